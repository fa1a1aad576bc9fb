"""Commands never destroy what they did not create, and end with one line and a documented code.

Each test reproduces a failure a new user met (issue 7): a mistyped version deleting the ledger,
one failing source stopping a build, a second nightly build failing, kept documents silently in
no release, tracebacks instead of a line saying what to do.
"""

from __future__ import annotations

import json
import logging
import shutil
import sqlite3
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from corpusbuilder.cli import cli
from corpusbuilder.errors import ExitCode
from corpusbuilder.ingest.fetch import Fetcher
from corpusbuilder.project import Project
from corpusbuilder.release.versions import VersionError, check_version, next_patch
from tests.helpers import demo_project, write_corpus
from tests.oai_server import OaiServer, identify, real


def run(config: Path, *args: str):
    return CliRunner().invoke(cli, ["-q", "-c", str(config), *args])


@pytest.fixture
def built(tmp_path: Path) -> Path:
    """The demo corpus, built once (release 1.0.0 frozen and published to its `hub` folder)."""
    demo_project(tmp_path / "demo")
    config = tmp_path / "demo" / "corpus.yaml"
    result = run(config, "build")
    assert result.exit_code == 0, result.output
    return config


def _dump(database: Path) -> list[str]:
    """The ledger's content as SQL (its file's bytes move with SQLite's write-ahead log)."""
    with sqlite3.connect(database) as connection:
        return list(connection.iterdump())


def _tree(folder: Path) -> set[str]:
    """Every path under `folder`, but SQLite's -wal/-shm files, which come and go on their own."""
    paths = (p.relative_to(folder).as_posix() for p in folder.rglob("*"))
    return {p for p in paths if not p.endswith(("-wal", "-shm"))}


@pytest.mark.parametrize("version", ["..", "../..", "", "1.0", "notaversion", "v1.0.0", "1.0.0/x"])
def test_a_bad_version_is_refused_before_it_reaches_a_path(built: Path, version: str):
    before = _tree(built.parent)
    result = run(built, "release", version)
    assert result.exit_code == ExitCode.INPUT, result.output
    assert "is not MAJOR.MINOR.PATCH" in result.output
    assert "Traceback" not in result.output
    assert _tree(built.parent) - before <= {p for p in _tree(built.parent) if "logs/" in p}
    assert before <= _tree(built.parent), "a bad version deleted files"


@pytest.mark.parametrize("command", ["publish", "verify"])
def test_publish_and_verify_check_the_version_too(built: Path, command: str):
    before = _tree(built.parent)
    result = run(built, command, "../..", "--to", str(built.parent / "elsewhere"))
    assert result.exit_code == ExitCode.INPUT, result.output
    assert "is not MAJOR.MINOR.PATCH" in result.output
    assert before <= _tree(built.parent)


def test_versions_follow_semver():
    assert check_version("2.1.0-rc.1") == "2.1.0-rc.1"
    assert next_patch("1.4.9") == "1.4.10"
    for bad in ("01.0.0", "1.0.0+build", "1.0.0-", "1.0.0-a..b", "1" * 70 + ".0.0"):
        with pytest.raises(VersionError, match="MAJOR.MINOR.PATCH"):
            check_version(bad)


@pytest.mark.parametrize(
    "args", [["curate", "--workers", "0"], ["ingest", "demo", "--limit", "-1"],
             ["build", "--workers", "0"]]
)  # fmt: skip
def test_out_of_range_numbers_are_usage_errors(built: Path, args: list[str]):
    result = run(built, *args)
    assert result.exit_code == ExitCode.USAGE
    assert "is not in the range x>=1" in result.output


def test_a_second_build_with_nothing_new_succeeds_and_says_so(built: Path):
    result = run(built, "build")
    assert result.exit_code == 0, result.output
    assert "release 1.0.0 (nothing new, already frozen): 7 documents" in result.output
    assert "unchanged 11" in result.output


def test_kept_documents_in_no_release_are_named_not_dropped(built: Path):
    texts = built.parent / "texts.jsonl"
    text = (
        "The boats come into the harbour at dawn, and the people who wait for them on the quay "
        "carry baskets, ropes and stories of the night at sea. Children run between the nets "
        "while the older fishermen argue about the weather, the price of fuel and the new rules "
        "from the town hall. By noon the market is empty, the gulls have taken what was left, and "
        "the harbour master writes the names of the boats that are still out in his blue book."
    )
    record = {"id": "en-new", "url": "https://example.org/en-new", "licence": "CC0-1.0"}
    extra = json.dumps(record | {"text": text}) + "\n"
    texts.write_text(texts.read_text(encoding="utf-8") + extra, encoding="utf-8")
    result = run(built, "build")
    assert result.exit_code == ExitCode.INPUT, result.output
    assert "release 1.0.0 is frozen" in result.output
    assert "1 kept documents are in no release" in result.output
    assert "e.g. 1.0.1" in result.output
    status = run(built, "status")
    assert "warning: 1 kept documents are in no release" in status.output
    result = run(built, "build", "--version", "1.0.1")
    assert result.exit_code == 0, result.output
    assert "warning" not in run(built, "status").output


def _two_sources(tmp_path: Path, broken: dict) -> Path:
    text = "The river runs past the mill and under the old stone bridge. " * 8
    good = {"id": "a", "url": "https://example.org/a", "licence": "CC0-1.0", "text": text}
    config = write_corpus(tmp_path / "c", [good], release={"version": "1.0.0"})
    raw = yaml.safe_load(config.read_text(encoding="utf-8"))
    raw["sources"].insert(0, broken)
    config.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return config


@pytest.mark.parametrize(
    "broken,said",
    [
        ({"name": "gone", "adapter": "local", "path": "missing.jsonl"}, "missing.jsonl"),
        (
            {"name": "down", "adapter": "oai_pmh", "base_url": "http://127.0.0.1:9/oai"},
            "127.0.0.1:9",
        ),
    ],
)
def test_one_failing_source_does_not_stop_the_others(tmp_path: Path, broken: dict, said: str):
    config = _two_sources(tmp_path, broken)
    (config.parent / "corpus.yaml").write_text(
        config.read_text(encoding="utf-8") + "fetch: {max_attempts: 1, backoff: 0}\n",
        encoding="utf-8",
    )
    result = run(config, "build")
    assert result.exit_code == ExitCode.SOURCE_FAILED, result.output
    name = broken["name"]
    assert f"ingest {name}: FAILED:" in result.output and said in result.output
    assert "ingest t: new 1" in result.output, "the source after the failed one did not run"
    assert f"1 of 2 sources failed ({name})" in result.output
    assert "Traceback" not in result.output
    project = Project.open(config, progress=False)
    assert project.ledger.latest_release() is None, "released although a source failed"
    runs = {r.source: r for r in project.ledger.runs() if r.kind == "ingest"}
    assert runs[name].status == "failed" and said in runs[name].error
    result = run(config, "build", "--allow-failed-sources")
    assert result.exit_code == 0, result.output
    assert f"released without the failed sources: {name}" in result.output


def test_an_unexpected_error_is_one_line_with_the_traceback_in_the_run_log(
    built: Path, monkeypatch: pytest.MonkeyPatch
):
    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(Project, "curate", broken)
    result = run(built, "curate")
    assert result.exit_code == ExitCode.BUG
    assert "unexpected RuntimeError: disk on fire (a bug: run again with --debug" in result.output
    assert "Traceback" not in result.output
    log = Path(result.output.rsplit("see ", 1)[1].rstrip(")\n"))
    assert log.parent == built.parent / "work" / "logs"
    assert "Traceback" in log.read_text(encoding="utf-8")
    debug = CliRunner().invoke(cli, ["--debug", "-q", "-c", str(built), "curate"])
    assert isinstance(debug.exception, RuntimeError), "--debug must show the real error"


@pytest.mark.parametrize(
    "error,code,said",
    [
        (KeyboardInterrupt(), ExitCode.INTERRUPTED, "interrupted: what was committed is kept"),
        (ConnectionResetError("peer reset"), ExitCode.NETWORK, "network: peer reset"),
        (TimeoutError("timed out"), ExitCode.NETWORK, "a retry is safe"),
    ],
)
def test_interrupts_and_network_errors_have_their_codes(
    built: Path, monkeypatch: pytest.MonkeyPatch, error: BaseException, code: int, said: str
):
    def fails(*args, **kwargs):
        raise error

    monkeypatch.setattr(Project, "curate", fails)
    result = run(built, "curate")
    assert result.exit_code == code, result.output
    assert said in result.output


def test_fetch_retries_are_logged(tmp_path: Path, caplog: pytest.LogCaptureFixture):
    from tests.test_fetch import ScriptedServer

    server = ScriptedServer({"/x": [(503, {}, b"busy"), (200, {}, b"ok")]})
    try:
        fetcher = Fetcher(base_dir=tmp_path, backoff=0, respect_robots=False)
        with caplog.at_level(logging.WARNING, logger="corpusbuilder.ingest.fetch"):
            assert fetcher.read_bytes(f"{server.url}/x") == b"ok"
    finally:
        server.close()
    assert f"{server.url}/x: HTTP 503; retry 1 of 3 in 0.0 s" in caplog.text


def test_the_demo_folder_survives_every_refused_command(built: Path):
    """The bullets' worst cases in one place: nothing the user wrote is ever deleted."""
    keep = shutil.copytree(built.parent, built.parent.parent / "before")
    for args in (["release", ".."], ["release", "../.."], ["release", ""]):
        assert run(built, *args).exit_code == ExitCode.INPUT
    for name in ("corpus.yaml", "texts.jsonl"):
        assert (built.parent / name).read_bytes() == (keep / name).read_bytes()
    assert _dump(built.parent / "work/ledger.db") == _dump(keep / "work/ledger.db")
    assert _tree(keep / "work" / "releases") == _tree(built.parent / "work" / "releases")


@pytest.mark.parametrize(
    "pages,said",
    [
        (lambda: {"Identify": identify(), "ListRecords": real("sickle_anonymized",
                                                              "badArgument.xml")}, "badArgument"),
        (lambda: {"Identify": b"<html><body>Down for maintenance</body></html>"}, "not_oai_pmh"),
    ],
)  # fmt: skip
def test_an_oai_pmh_error_fails_its_source_only(tmp_path: Path, pages, said: str):
    with OaiServer(pages()) as server:
        broken = {"name": "oai", "adapter": "oai_pmh", "base_url": server.url}
        config = _two_sources(tmp_path, broken)
        result = run(config, "build")
    assert result.exit_code == ExitCode.SOURCE_FAILED, result.output
    assert "ingest oai: FAILED:" in result.output and said in result.output
    assert "ingest t: new 1" in result.output
    assert "Traceback" not in result.output


def test_status_lists_every_publication_of_a_release(built: Path, tmp_path: Path):
    other = tmp_path / "mirror"
    assert run(built, "publish", "1.0.0", "--to", str(other)).exit_code == 0
    first = run(built, "status").output.splitlines()[0]
    hub = built.parent / "hub"
    assert first == f"release 1.0.0: 7 documents, published to {hub}, {other}"


def test_the_release_folder_is_never_formed_from_an_unchecked_version(built: Path):
    config = Project.open(built, progress=False).config
    assert config.release_dir("1.0.0") == built.parent / "work" / "releases" / "1.0.0"
    with pytest.raises(VersionError, match="'../..' is not MAJOR.MINOR.PATCH"):
        config.release_dir("../..")


def test_running_many_commands_in_one_process_keeps_one_handler_of_each_kind(built: Path):
    for _ in range(3):
        assert run(built, "curate").exit_code == 0
    handlers = logging.getLogger("corpusbuilder").handlers
    names = sorted(h.get_name() for h in handlers if h.get_name())
    assert names == ["corpusbuilder-console", "corpusbuilder-run_file"]
