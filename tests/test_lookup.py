"""`lookup`: is my work included? Exact matches by text and URL, near matches from an edited copy,
nothing for an unrelated text, the ledger's status of what was not released, and the release's
signature file that lets a Hub user ask the same without a ledger."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from corpusbuilder.curate import dedup
from corpusbuilder.project import Project
from corpusbuilder.release import layout, lookup, manifest
from corpusbuilder.release import signatures as release_signatures
from tests.demo_copies import run

GARDEN = "demo/en-garden"
GARDEN_URL = "https://example.org/corpusbuilder-demo/en-garden"
UNRELATED = (
    "The committee met on Tuesday to review quarterly budgets for the municipal water utility."
    " Engineers presented estimates for replacing aging pipes under the northern districts, and"
    " residents asked why rates had risen twice in three years. After a long debate the members"
    " voted to postpone a decision until an independent audit of maintenance contracts is"
    " finished next spring, and asked staff to publish the contracts online before the hearing."
)


def demo_text(config: Path, key: str) -> str:
    for line in (config.parent / "texts.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record["id"] == key:
            return record["text"]
    raise KeyError(key)


def edited(text: str, share: float) -> str:
    """`text` with every k-th word replaced so that `share` of its words differ."""
    words = text.split()
    step = round(1 / share)
    return " ".join("zzqx" if i % step == step // 2 else w for i, w in enumerate(words))


def looked_up(config: Path, *args: str, stdin: str | None = None) -> dict:
    from click.testing import CliRunner

    from corpusbuilder.cli import cli

    result = CliRunner().invoke(cli, ["-q", "-c", str(config), "lookup", *args, "--json"], stdin)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_a_three_percent_edited_copy_is_found_with_its_similarity(template, tmp_path):
    text = demo_text(template, "en-garden")
    copy = edited(text, 0.03)
    changed = sum(a != b for a, b in zip(text.split(), copy.split(), strict=True))
    assert changed / len(text.split()) == pytest.approx(0.03, abs=0.005)
    (tmp_path / "copy.txt").write_text(copy, encoding="utf-8")
    report = looked_up(template, "--file", str(tmp_path / "copy.txt"))
    [match] = report["released"]
    assert match["doc_id"] == GARDEN and match["matched_by"] == []
    assert 0.6 <= match["similarity"] < 0.9  # measured 0.71 for 3 of 106 words
    assert match["releases"] == [{"version": "1.0.0", "config": "en"}]
    assert (match["url"], match["status"]) == (GARDEN_URL, "kept")
    assert report["searched"] == [{"release": "1.0.0", "from": "the ledger", "documents": 7}]


def test_an_unrelated_text_finds_nothing(template):
    report = looked_up(template, "--text", "-", "--threshold", "0.05", stdin=UNRELATED)
    assert report["released"] == [] and report["not_released"] == []
    result = run(template, "lookup", "--text", UNRELATED)
    assert result.exit_code == 0
    assert result.output.splitlines()[-1] == (
        "no match: no document has this text or URL, nor a similarity of at least 0.5 to it"
    )


def test_exact_matches_by_text_and_by_url(template):
    text = demo_text(template, "en-garden")
    # Another layout is another sha256, but the same words: a near match of similarity 1.
    relaid = looked_up(template, "--text", "-", stdin=text.replace(" ", "\n"))["released"]
    assert [(m["doc_id"], m["matched_by"], m["similarity"]) for m in relaid] == [(GARDEN, [], 1.0)]
    exact = looked_up(template, "--text", "-", stdin=text)["released"]
    assert [(m["doc_id"], m["matched_by"], m["similarity"]) for m in exact] == [
        (GARDEN, ["text"], 1.0)
    ]
    by_url = looked_up(template, "--url", GARDEN_URL)
    assert [(m["doc_id"], m["matched_by"], m["similarity"]) for m in by_url["released"]] == [
        (GARDEN, ["url"], None)
    ]
    assert by_url["query"] == {"text_sha256": None, "url": GARDEN_URL}


def test_what_the_ledger_holds_but_did_not_release_is_shown_with_its_status(template):
    lighthouse = looked_up(template, "--text", "-", stdin=demo_text(template, "en-lighthouse"))
    assert [m["doc_id"] for m in lighthouse["released"]] == ["demo/en-lighthouse"]
    [copy] = lighthouse["not_released"]
    assert copy["doc_id"] == "demo/en-lighthouse-copy"
    assert (copy["status"], copy["reason"], copy["duplicate_of"]) == (
        "duplicate", "exact_duplicate", "demo/en-lighthouse"
    )  # fmt: skip
    letter = looked_up(template, "--text", "-", stdin=demo_text(template, "fr-lettre-unknown"))
    assert letter["released"] == []
    [quarantined] = letter["not_released"]
    assert (quarantined["doc_id"], quarantined["status"], quarantined["reason"]) == (
        "demo/fr-lettre-unknown", "quarantined", "licence_unknown"
    )  # fmt: skip
    assert quarantined["matched_by"] == ["text"] and quarantined["releases"] == []


def test_a_taken_down_document_is_still_found_in_the_release_that_holds_it(built):
    assert run(built, "takedown", GARDEN, "--reason", "the author asked").exit_code == 0
    report = looked_up(built, "--url", GARDEN_URL, "--release", "1.0.0")
    [match] = report["released"]
    assert (match["doc_id"], match["status"]) == (GARDEN, "taken_down")
    assert "taken_down since" in run(built, "lookup", "--url", GARDEN_URL).output


def test_bad_input_is_one_line_that_says_what_to_do(template, tmp_path):
    (tmp_path / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))
    cases = {
        (): "Error: nothing to look up: pass --url, --file or --text",
        ("--text", "  "): "Error: the text to look up is empty: pass a file or text with words",
        ("--file", str(tmp_path / "latin1.txt")): f"Error: {tmp_path / 'latin1.txt'} is not UTF-8",
        ("--url", "x", "--release", "9.9.9"): "Error: no release 9.9.9 in the ledger",
        ("--url", "x", "--revision", "v1"): "Error: --revision reads a Hub repo: pass --repo-id",
    }
    for args, start in cases.items():
        result = run(template, "lookup", *args)
        assert result.exit_code != 0 and result.output.startswith(start), result.output
        assert len(result.output.splitlines()) == 1 and "Traceback" not in result.output


def test_the_release_ships_its_signatures_and_they_match_near_dedup(template):
    project = Project.open(template, progress=False)
    folder = template.parent / "work" / "releases" / "1.0.0"
    path = folder / layout.SIGNATURES
    assert layout.SIGNATURES in manifest.read(folder)["files"]
    index = lookup.read_index(folder, "the release folder")
    members = project.ledger.release_members("1.0.0")
    rows = index.rows.to_pylist()
    assert [r["doc_id"] for r in rows] == [m.doc_id for m in members]  # frozen order
    assert index.config == release_signatures.LOOKUP
    garden = next(i for i, r in enumerate(rows) if r["doc_id"] == GARDEN)
    text = project.store.get(rows[garden]["text_sha256"])
    assert (index.sigs[garden] == dedup.signatures([text], index.config)[0]).all()
    assert pq.read_schema(path).names == ["doc_id", "config", "url", "text_sha256", "signature"]


def test_writing_the_release_again_gives_the_same_signature_bytes(built):
    path = built.parent / "work" / "releases" / "1.0.0" / layout.SIGNATURES
    before = path.read_bytes()
    for store in (built.parent / "work" / "signatures").iterdir():  # recomputed from the texts
        for segment in store.glob("sig-*.parquet"):
            segment.unlink()
    result = run(built, "release", "1.0.0")
    assert result.exit_code == 0, result.output
    assert path.read_bytes() == before


# --- from the Hub alone ---------------------------------------------------------------------------
TOKEN = "hf_loopback_lookup_token_5e1d"
REPO = "open-org/lookup-demo"


def hub_scenario(plan: dict) -> dict:
    """The subprocess side (the Hub client reads HF_ENDPOINT at import): publish the demo, then
    look up from the Hub with no corpus at all."""
    from click.testing import CliRunner

    from corpusbuilder.cli import cli

    def invoke(config: str, *args: str) -> dict:
        result = CliRunner().invoke(cli, ["-q", "-c", config, *args])
        return {"code": result.exit_code, "stdout": result.stdout, "stderr": result.stderr}

    out = {"publish": invoke(plan["config"], "publish", "1.0.0", "--repo-id", REPO)}
    nowhere = plan["nowhere"]  # no corpus.yaml there: the Hub is all lookup reads
    hub = ("lookup", "--repo-id", REPO, "--release", "1.0.0", "--json")
    out["edited"] = invoke(nowhere, *hub, "--file", plan["edited"])
    out["unrelated"] = invoke(nowhere, *hub, "--file", plan["unrelated"])
    out["url"] = invoke(nowhere, *hub, "--url", GARDEN_URL)
    out["local"] = invoke(plan["config"], "lookup", "--file", plan["edited"], "--json")
    out["missing"] = invoke(nowhere, "lookup", "--repo-id", REPO, "--revision", "v9.9.9",
                            "--url", GARDEN_URL)  # fmt: skip
    out["older"] = invoke(plan["config"], "publish", "1.0.1", "--repo-id", REPO)
    out["no_signatures"] = invoke(nowhere, "lookup", "--repo-id", REPO, "--release", "1.0.1",
                                  "--url", GARDEN_URL)  # fmt: skip
    return out


@pytest.fixture(scope="module")
def from_hub(template, tmp_path_factory):
    import os
    import subprocess
    import sys

    from tests.demo_copies import copy_demo
    from tests.hub_server import HubServer

    root = tmp_path_factory.mktemp("lookup_hub")
    config = copy_demo(template, root / "demo")
    with pytest.MonkeyPatch.context() as patched:  # as corpusbuilder wrote releases before lookup
        patched.setattr(release_signatures, "write", lambda *args: None)
        assert run(config, "release", "1.0.1").exit_code == 0
    (root / "edited.txt").write_text(edited(demo_text(config, "en-garden"), 0.03), "utf-8")
    (root / "unrelated.txt").write_text(UNRELATED, "utf-8")
    plan = {"config": str(config), "nowhere": str(root / "none" / "corpus.yaml")}
    plan |= {"edited": str(root / "edited.txt"), "unrelated": str(root / "unrelated.txt")}
    with HubServer(TOKEN) as hub:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGING_FACE"))}
        env |= {"HF_ENDPOINT": hub.endpoint, "HF_TOKEN": TOKEN, "HF_HOME": str(root / "hf")}
        env |= {"HF_HUB_DISABLE_XET": "1", "HF_HUB_DISABLE_TELEMETRY": "1"}
        args = [sys.executable, "-m", "tests.test_lookup", json.dumps(plan)]
        root_dir = Path(__file__).resolve().parents[1]
        proc = subprocess.run(
            args, cwd=root_dir, env=env, capture_output=True, text=True, timeout=300
        )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    return json.loads(proc.stdout.splitlines()[-1])


def test_lookup_from_the_hub_alone_finds_the_edited_copy_and_not_the_unrelated_text(from_hub):
    assert from_hub["publish"]["code"] == 0, from_hub["publish"]
    edited_copy = from_hub["edited"]
    assert edited_copy["code"] == 0, edited_copy["stderr"]
    report = json.loads(edited_copy["stdout"])
    [match] = report["released"]
    assert (match["doc_id"], match["matched_by"]) == (GARDEN, [])
    assert match["releases"] == [{"version": "1.0.0", "config": "en"}]
    assert report["searched"] == [
        {"release": "1.0.0", "from": f"{REPO}@v1.0.0", "documents": 7}
    ]  # fmt: skip
    # The same signatures as the ledger's: the same similarity, only without a status.
    [local] = json.loads(from_hub["local"]["stdout"])["released"]
    assert match["similarity"] == local["similarity"] and match["status"] is None
    unrelated = json.loads(from_hub["unrelated"]["stdout"])
    assert unrelated["released"] == [] and unrelated["not_released"] == []
    by_url = json.loads(from_hub["url"]["stdout"])["released"]
    assert [(m["doc_id"], m["matched_by"]) for m in by_url] == [(GARDEN, ["url"])]


def test_a_revision_the_hub_lacks_or_a_release_without_signatures_is_one_clear_line(from_hub):
    missing = from_hub["missing"]
    assert missing["code"] != 0 and missing["stdout"] == ""
    assert missing["stderr"].startswith("Error: ") and len(missing["stderr"].splitlines()) == 1
    assert missing["stderr"] == (
        f"Error: {REPO} has no revision v9.9.9: pass a release's tag (v1.0.0) or a branch\n"
    )
    assert from_hub["older"]["code"] == 0, from_hub["older"]
    assert from_hub["no_signatures"]["stderr"] == (
        f"Error: {REPO}@v1.0.1 has no {layout.SIGNATURES}: it was not published by"
        " corpusbuilder, or by a version before lookup; look it up in the publisher's ledger"
        " instead\n"
    )


if __name__ == "__main__":
    print(json.dumps(hub_scenario(json.loads(__import__("sys").argv[1]))))


def test_a_text_released_redacted_is_found_by_its_text_as_ingested(tmp_path):
    from tests.helpers import write_corpus

    text = f"{UNRELATED} Write to jane.doe@example.org for the minutes."
    config = write_corpus(tmp_path / "c", [{"id": "minutes", "text": text, "licence": "CC0-1.0"}])
    for step in (("ingest", "t"), ("curate", "--workers", "1"), ("release", "1.0.0")):
        assert run(config, *step).exit_code == 0
    report = looked_up(config, "--text", "-", stdin=text)
    [match] = report["released"]
    assert match["text_sha256"] != report["query"]["text_sha256"]  # the email was redacted
    assert (match["doc_id"], match["matched_by"]) == ("t/minutes", ["text"])
    assert 0.8 < match["similarity"] < 1 and report["not_released"] == []


def test_a_release_first_written_without_signatures_is_written_again_without_them(
    built, monkeypatch
):
    from tests.demo_copies import files

    with monkeypatch.context() as patched:  # as corpusbuilder wrote releases before lookup
        patched.setattr(release_signatures, "write", lambda *args: None)
        assert run(built, "release", "1.0.1").exit_code == 0
    folder = built.parent / "work" / "releases" / "1.0.1"
    before = files(folder)
    assert layout.SIGNATURES not in before
    result = run(built, "release", "1.0.1")  # not a refusal: its files are as first written
    assert result.exit_code == 0, result.output
    assert files(folder) == before
    report = looked_up(built, "--url", GARDEN_URL, "--release", "1.0.1")  # from the ledger
    assert [m["doc_id"] for m in report["released"]] == [GARDEN]
    [both] = looked_up(built, "--url", GARDEN_URL)["released"]  # every release, one match
    assert both["releases"] == [{"version": "1.0.0", "config": "en"},
                                {"version": "1.0.1", "config": "en"}]  # fmt: skip


def test_a_signature_file_changed_after_publishing_is_refused(template, tmp_path):
    import shutil

    from corpusbuilder.errors import UserError

    folder = shutil.copytree(template.parent / "work" / "releases" / "1.0.0", tmp_path / "r")
    table = pq.read_table(folder / layout.SIGNATURES)
    pq.write_table(table.slice(1), folder / layout.SIGNATURES)  # a row removed
    with pytest.raises(UserError, match="is not the file its manifest.json lists"):
        lookup.read_index(folder, "org/corpus@v1.0.0")
