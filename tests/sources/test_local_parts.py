"""Where the parts of a local JSONL file begin and end (`sources.local_parts`): whole lines, at
most `PART_RECORDS` and about `PART_BYTES`, never past a checkpoint; a worker reads its part
from its own bytes, and a file changed since it was split is an error, not other lines."""

from __future__ import annotations

import pytest

from corpusbuilder.ingest.fetch import FetchError
from sources import local_parts
from sources.local_parts import line_parts, read_part

LONG = 7  # the line that reaches PART_BYTES alone


@pytest.fixture
def jsonl(tmp_path, monkeypatch):
    monkeypatch.setattr(local_parts, "PART_RECORDS", 4)
    monkeypatch.setattr(local_parts, "PART_BYTES", 100)
    rows = [b"x" * 150 if n == LONG else b"line %d" % n for n in range(1, 14)]
    path = tmp_path / "t.jsonl"
    path.write_bytes(b"\n".join(rows))  # the last line has no newline
    return path, rows


def _split(path, number=0, offset=0):
    with path.open("rb") as stream:
        stream.seek(offset)
        return list(line_parts(stream, str(path), number, offset, every=5))


def test_parts_are_whole_lines_and_never_run_past_a_checkpoint(jsonl):
    path, rows = jsonl
    parts = _split(path)
    # 4 lines; 5 (a checkpoint); 6-7 (the long line reaches PART_BYTES); 8-10; 11-13 (the end)
    assert [(p.after + 1, p.last) for p in parts] == [(1, 4), (5, 5), (6, 7), (8, 10), (11, 13)]
    assert [p.start for p in parts] == [0, *(p.end for p in parts[:-1])]
    assert parts[-1].end == path.stat().st_size
    for part in parts:
        read = list(read_part(part, limit=1000))
        assert [line.number for line in read] == list(range(part.after + 1, part.last + 1))
        assert [line.data.rstrip(b"\n") for line in read] == rows[part.after : part.last]
    assert [line.data for line in read_part(parts[2], limit=100)] == [b"line 6\n", None]


def test_a_resumed_split_starts_after_the_checkpoint(jsonl):
    path, _ = jsonl
    whole = _split(path)
    assert _split(path, number=5, offset=whole[1].end) == whole[2:]


def test_a_file_changed_since_it_was_split_is_an_error_naming_it(jsonl):
    path, _ = jsonl
    parts = _split(path)
    path.write_bytes(b"one more line\n" + path.read_bytes())
    with pytest.raises(FetchError, match=r"t\.jsonl changed while it was read: lines 8-10 are no"):
        list(read_part(parts[3], limit=1000))
