"""langid.py's model converted once per machine into numpy files that every process maps: the
same answers as langid.py's own decode, without its ~100 MB of Python lists in a worker."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from langid.langid import LanguageIdentifier, model

from corpusbuilder.cli import cli
from corpusbuilder.curate import langid_lpy
from corpusbuilder.errors import ExitCode
from tests.conftest import shared_path
from tests.helpers import write_corpus

WRITTEN = (  # texts the project wrote, in scripts and languages the sentence set lacks
    "Gallia est omnis divisa in partes tres, quarum unam incolunt Belgae.",
    "Ŝi aĉetis freŝan panon ĉe la bakejo.",
    "Ngiyabonga kakhulu ngosizo lwakho izolo.",
    "",
    "12345 !!! ???",
)


@pytest.fixture(scope="module")
def shipped() -> LanguageIdentifier:
    """langid.py's identifier as it decodes its own model: the reference."""
    return LanguageIdentifier.from_modelstring(model, norm_probs=True)


def test_the_mapped_model_answers_exactly_as_langid_py_decodes_it(shipped):
    with shared_path("langid", "sentences.tsv").open(encoding="utf-8") as f:
        rows = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))[1:]
    texts = [text for _, text, _ in rows[::5]] + list(WRITTEN)
    assert len(texts) > 2000
    differing = [t for t in texts if langid_lpy.classify(t) != shipped.classify(t)]
    assert differing == []


def test_the_model_is_mapped_from_the_cache_not_decoded():
    """The arrays are read-only maps of the converted files, so the workers share their pages."""
    identifier = langid_lpy._identifier()
    folder = langid_lpy.cache_dir()
    assert isinstance(identifier.nb_ptc, np.memmap)
    assert Path(identifier.nb_ptc.filename) == folder / "ptc.npy"
    assert identifier.nb_ptc.shape == (identifier.nb_numfeats, len(identifier.nb_pc)) == (7480, 97)
    assert isinstance(identifier.tk_nextmove, memoryview)
    assert isinstance(identifier.tk_nextmove.obj, np.memmap)
    assert not identifier.nb_ptc.flags.writeable


def test_the_conversion_runs_in_a_process_of_its_own(tmp_path, monkeypatch, caplog):
    """A worker that finds no converted model never decodes the pickle itself; the run's log
    says where the few seconds went."""
    caplog.set_level("INFO", logger=langid_lpy.__name__)

    def refuse(target):
        raise AssertionError(f"decoded in the calling process into {target}")

    monkeypatch.setenv(langid_lpy.CACHE_ENV, str(tmp_path))
    monkeypatch.setattr(langid_lpy, "convert", refuse)
    folder = langid_lpy.converted()
    assert folder == tmp_path / f"langid-{langid_lpy.version('langid')}"
    expected = {"ptc", "pc", "nextmove", "states", "ends", "features"}
    assert {p.stem for p in folder.iterdir()} == expected | {"classes"}
    assert len((folder / "classes.json").read_text().split(",")) == 97
    assert caplog.messages == [
        f"converting langid.py's model into {folder}, once for this machine (~5 s)"
    ]
    assert langid_lpy.converted() == folder  # found, not converted again


def test_a_second_conversion_leaves_the_first_whole(tmp_path):
    """Of two processes converting at once the first to finish wins; the other's staging folder
    is removed, and no reader ever sees half a model."""
    target = tmp_path / "langid"
    langid_lpy.convert(target)
    first = {p.name: p.stat().st_mtime_ns for p in target.iterdir()}
    langid_lpy.convert(target)
    assert {p.name: p.stat().st_mtime_ns for p in target.iterdir()} == first
    assert [p.name for p in tmp_path.iterdir()] == ["langid"]


def test_the_cache_folder_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv(langid_lpy.CACHE_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert langid_lpy.cache_dir().parent == tmp_path / "xdg" / "corpusbuilder"
    monkeypatch.setenv(langid_lpy.CACHE_ENV, str(tmp_path / "mine"))
    assert langid_lpy.cache_dir().parent == tmp_path / "mine"
    assert langid_lpy.cache_dir().name == f"langid-{langid_lpy.version('langid')}"


def test_a_cache_that_cannot_be_written_is_one_clear_error(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv(langid_lpy.CACHE_ENV, str(blocker / "cache"))
    with pytest.raises(langid_lpy.ModelNotConverted) as raised:
        langid_lpy.converted()
    message = str(raised.value)
    assert "NotADirectoryError" in message and langid_lpy.CACHE_ENV in message
    assert message.startswith(f"could not convert langid.py's model into {blocker / 'cache'}")


def test_a_build_prepares_the_model_before_any_worker_starts(tmp_path, monkeypatch):
    """The driver converts it (`Step.prepare`): a failure ends the build with the one line and
    the input exit code, not a worker pool that cannot start."""
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv(langid_lpy.CACHE_ENV, str(blocker / "cache"))
    records = [{"id": "a", "text": "Ein kurzer Satz.", "licence": "CC0-1.0", "url": "https://e/a"}]
    config = write_corpus(tmp_path / "corpus", records)
    done = CliRunner().invoke(cli, ["-q", "-c", str(config), "build", "--version", "1.0.0"])
    assert done.exit_code == ExitCode.INPUT
    assert "could not convert langid.py's model" in done.output
    assert langid_lpy.CACHE_ENV in done.output
