"""Position checkpoints for local files; first-wins across batches and resumes (issue 8, item 1).

An interrupted ingest of a `local` source resumes after its last recorded position (JSONL line
and byte offset, or folder file) and ends with the ledger an uninterrupted ingest gives. A source
key repeated anywhere is recorded once, its first occurrence, whatever the batch size and
wherever the run was interrupted; a re-run then changes nothing.
"""

from __future__ import annotations

import json

import pytest

import corpusbuilder.ingest.runner as ingest_module
from corpusbuilder.ingest.fetch import Fetcher
from corpusbuilder.ingest.runner import ingest
from corpusbuilder.ledger import Ledger
from corpusbuilder.source import Checkpoint, SourceAdapter
from corpusbuilder.textstore import TextStore
from sources.local import LocalSource
from tests.sources.test_gutenberg import QuietHandler, serve


class Interrupted(SourceAdapter):
    """`inner`, stopped by Ctrl-C once it has yielded `after` items (checkpoints not counted)."""

    def __init__(self, inner: SourceAdapter, after: int) -> None:
        self.inner, self.after = inner, after
        self.name, self.version, self.config = inner.name, inner.version, inner.config

    def documents(self, fetch, limit=None, resume=None):
        yielded = 0
        for item in self.inner.documents(fetch, limit, resume):
            if yielded == self.after:
                raise KeyboardInterrupt
            yield item
            yielded += not isinstance(item, Checkpoint)


def _line(key: str, text: str | None = None) -> str:
    return json.dumps({"id": key, "text": text or f"text of {key}", "licence": "CC0-1.0"})


def _jsonl(tmp_path, lines: list[str], **options) -> LocalSource:
    (tmp_path / "t.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return LocalSource({"path": "t.jsonl", "url_prefix": "https://e.org/t/", **options})


def _ingest(ledger: Ledger, tmp_path, adapter: SourceAdapter):
    store = TextStore(tmp_path / "texts")
    return ingest(ledger, store, "s", adapter, Fetcher(tmp_path), progress=False)


def _state(ledger: Ledger) -> list[tuple]:
    """Everything an ingest decides about each document, in order."""
    return [
        (d.doc_id, d.seq, d.status, d.reason, d.text_sha256,
         [(x.outcome, x.reason, x.detail) for x in ledger.decisions(d.doc_id)])
        for d in ledger.documents()
    ]  # fmt: skip


LINES = [_line(k) for k in "abcdefghij"]


def test_an_interrupted_jsonl_ingest_resumes_after_its_last_line_and_byte(tmp_path):
    whole = Ledger("sqlite://")
    _ingest(whole, tmp_path, _jsonl(tmp_path, LINES, checkpoint_every=3))
    ledger = Ledger("sqlite://")
    with pytest.raises(KeyboardInterrupt):
        _ingest(ledger, tmp_path, Interrupted(_jsonl(tmp_path, LINES, checkpoint_every=3), 7))
    offset = sum(len(line) + 1 for line in LINES[:6])
    assert ledger.resume_point("s") == f"line 6 at byte {offset}"
    resumed = _ingest(ledger, tmp_path, _jsonl(tmp_path, LINES, checkpoint_every=3))
    assert resumed.resumed_from == f"line 6 at byte {offset}"
    assert dict(resumed.counts) == {"seen": 4, "unchanged": 1, "new": 3, "repeated_source_key": 0}
    assert _state(ledger) == _state(whole)
    assert ledger.resume_point("s") is None


def test_a_resume_survives_a_run_interrupted_before_its_first_checkpoint(tmp_path):
    ledger = Ledger("sqlite://")
    with pytest.raises(KeyboardInterrupt):
        _ingest(ledger, tmp_path, Interrupted(_jsonl(tmp_path, LINES, checkpoint_every=4), 5))
    with pytest.raises(KeyboardInterrupt):  # the resumed run dies before it checkpoints
        _ingest(ledger, tmp_path, Interrupted(_jsonl(tmp_path, LINES, checkpoint_every=4), 1))
    offset = sum(len(line) + 1 for line in LINES[:4])
    assert ledger.resume_point("s") == f"line 4 at byte {offset}"  # not the start again


def test_a_file_changed_before_the_resume_is_read_again_from_the_start(tmp_path, caplog):
    ledger = Ledger("sqlite://")
    with pytest.raises(KeyboardInterrupt):
        _ingest(ledger, tmp_path, Interrupted(_jsonl(tmp_path, LINES, checkpoint_every=3), 4))
    changed = [_line("a", "a longer text of a than before")] + LINES[1:]
    resumed = _ingest(ledger, tmp_path, _jsonl(tmp_path, changed, checkpoint_every=3))
    assert "t.jsonl changed since the interrupted ingest: reading it again" in caplog.text
    assert resumed.counts["seen"] == 10
    assert sorted(d.doc_id for d in ledger.documents()) == [f"s/{k}" for k in "abcdefghij"]
    # `a` was read before the checkpoint in this pass: the first read stands until the next pass
    store = TextStore(tmp_path / "texts")
    assert store.get(ledger.document("s/a").text_sha256) == "text of a"
    again = _ingest(ledger, tmp_path, _jsonl(tmp_path, changed, checkpoint_every=3))
    assert (again.counts["changed"], again.counts["unchanged"]) == (1, 9)
    later = TextStore(tmp_path / "texts")  # a store reads the texts present when opened
    assert later.get(ledger.document("s/a").text_sha256) == "a longer text of a than before"


def test_an_interrupted_folder_ingest_resumes_after_its_last_file(tmp_path):
    folder = tmp_path / "texts-in"
    folder.mkdir()
    for name in "abcde":
        (folder / f"{name}.txt").write_text(f"text of {name}", encoding="utf-8")
        (folder / f"{name}.json").write_text('{"url": "https://e.org/x"}', encoding="utf-8")
    options = {"path": "texts-in", "licence": "CC0-1.0", "checkpoint_every": 2}
    whole = Ledger("sqlite://")
    _ingest(whole, tmp_path, LocalSource(options))
    ledger = Ledger("sqlite://")
    with pytest.raises(KeyboardInterrupt):
        _ingest(ledger, tmp_path, Interrupted(LocalSource(options), 3))
    assert ledger.resume_point("s") == "file b.txt"
    resumed = _ingest(ledger, tmp_path, LocalSource(options))
    assert resumed.counts["seen"] == 3  # c, d, e
    assert _state(ledger) == _state(whole)


REPEATS = [_line("a"), _line("b"), _line("c"), _line("a", "later a"), _line("d"),
           _line("b", "later b"), _line("e")]  # fmt: skip


@pytest.mark.parametrize("batch", [1, 2, 1000])
@pytest.mark.parametrize("interrupt", [None, 3, 5])
def test_the_first_occurrence_of_a_key_wins_across_batches_and_resumes(
    tmp_path, monkeypatch, batch, interrupt
):
    monkeypatch.setattr(ingest_module, "BATCH", batch)
    ledger = Ledger("sqlite://")
    if interrupt is not None:  # stopped between the two a's (3) or the two b's (5)
        with pytest.raises(KeyboardInterrupt):
            adapter = _jsonl(tmp_path, REPEATS, checkpoint_every=2)
            _ingest(ledger, tmp_path, Interrupted(adapter, interrupt))
    _ingest(ledger, tmp_path, _jsonl(tmp_path, REPEATS, checkpoint_every=2))
    store = TextStore(tmp_path / "texts")
    texts = {d.doc_id: store.get(d.text_sha256) for d in ledger.documents()}
    assert texts == {f"s/{k}": f"text of {k}" for k in "abcde"}
    assert [d.seq for d in ledger.documents()] == [1, 2, 3, 4, 5]
    before = _state(ledger)
    for _ in range(2):
        again = _ingest(ledger, tmp_path, _jsonl(tmp_path, REPEATS, checkpoint_every=2))
        assert dict(again.counts) == {"seen": 7, "unchanged": 5, "repeated_source_key": 2}
        assert _state(ledger) == before  # no `changed`, no new decision, no seq bump
    assert [x.reason for x in ledger.decisions("s/a")] == ["ingested"]


def test_a_jsonl_file_over_http_resumes_by_reading_up_to_its_offset(tmp_path):
    _jsonl(tmp_path, LINES)
    offset = sum(len(line) + 1 for line in LINES[:3])
    server = serve(QuietHandler, tmp_path)
    try:
        url = f"http://127.0.0.1:{server.server_port}/t.jsonl"
        adapter = LocalSource({"path": url, "url_prefix": "https://e.org/t/"})
        fetch = Fetcher(min_interval=0, max_attempts=1, respect_robots=False)
        resumed = list(adapter.documents(fetch, resume=f"line 3 at byte {offset}"))
        moved = list(adapter.documents(fetch, resume=f"line 3 at byte {offset + 1}"))
    finally:
        server.shutdown()
        server.server_close()
    assert [i.source_key for i in resumed] == list("defghij")
    assert resumed[0].url == "https://e.org/t/d"
    assert [i.source_key for i in moved] == list("abcdefghij")  # no line ends there: read again
