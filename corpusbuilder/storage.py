"""A directory at a local path or an fsspec URL (``s3://bucket/prefix``, ``memory://x``).

The text store, the signature store and releases read and write through `Storage`, so one code path
serves a laptop and a cluster's shared object store. A file is written whole or not at all: locally
to a temporary name, fsynced and renamed; on an object store an object appears only when its upload
completes. Credentials and endpoints come from fsspec's usual configuration (for example the
environment variables ``FSSPEC_S3_ENDPOINT_URL`` and ``AWS_ACCESS_KEY_ID``), never from corpus.yaml.
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq


def is_url(location: str | os.PathLike) -> bool:
    """True for an fsspec URL other than file:// (those are local paths)."""
    text = os.fspath(location)
    return "://" in text and not text.startswith("file://")


class Storage:
    """A directory at a local path or an fsspec URL (s3://bucket/prefix, memory://x)."""

    def __init__(self, location: str | os.PathLike) -> None:
        text = os.fspath(location)
        if is_url(text):
            self.url = text.rstrip("/")
            self._local: Path | None = None
            self.fs, self._root = fsspec.core.url_to_fs(self.url)
        else:
            self._local = Path(text.removeprefix("file://"))
            self.url = str(self._local)
            self.fs, self._root = fsspec.filesystem("file"), self.url

    def __repr__(self) -> str:
        return f"Storage({self.url!r})"

    def __str__(self) -> str:
        return self.url

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Storage) and other.url == self.url

    def __hash__(self) -> int:
        return hash(self.url)

    @property
    def local_path(self) -> Path | None:
        """The Path when local, else None (for libraries that need a local folder)."""
        return self._local

    def child(self, *parts: str) -> Storage:
        if self._local is not None:
            return Storage(self._local.joinpath(*parts))
        return Storage("/".join([self.url, *parts]))

    def path(self, name: str) -> str:
        """The full path of `name` as this storage's filesystem spells it."""
        return f"{self._root}/{name}"

    def names(self, prefix: str = "", suffix: str = "") -> list[str]:
        """Names of the files directly inside, sorted; [] if the directory is absent."""
        if self._local is not None:
            if not self._local.is_dir():
                return []
            found = (p.name for p in self._local.iterdir() if p.is_file())
        else:
            self.fs.invalidate_cache(self._root)
            try:
                entries = self.fs.ls(self._root, detail=True)
            except FileNotFoundError:
                return []
            files = (entry["name"] for entry in entries if entry["type"] == "file")
            found = (name.rstrip("/").rsplit("/", 1)[-1] for name in files)
        return sorted(n for n in found if n.startswith(prefix) and n.endswith(suffix))

    def exists(self, name: str) -> bool:
        if self._local is not None:
            return (self._local / name).exists()
        return self.fs.exists(self.path(name))

    def open(self, name: str, mode: str = "rb"):
        """A file object; writing creates a local directory first."""
        if self._local is not None:
            if any(flag in mode for flag in "wax"):
                (self._local / name).parent.mkdir(parents=True, exist_ok=True)
            return open(self._local / name, mode)
        return self.fs.open(self.path(name), mode)

    def write_parquet(self, name: str, table: pa.Table, **kwargs) -> None:
        """Write `table` to `name` whole or not at all (keyword arguments go to pq.write_table)."""
        kwargs.setdefault("compression", "zstd")
        self._write_whole(name, lambda sink: pq.write_table(table, sink, **kwargs))

    def write_bytes(self, name: str, data: bytes) -> None:
        """Write `data` to `name` whole or not at all."""
        self._write_whole(name, lambda sink: sink.write(data))

    def write_text(self, name: str, text: str) -> None:
        self.write_bytes(name, text.encode("utf-8"))

    def read_bytes(self, name: str) -> bytes:
        with self.open(name) as handle:
            return handle.read()

    def read_text(self, name: str) -> str:
        return self.read_bytes(name).decode("utf-8")

    def _write_whole(self, name: str, write) -> None:
        if self._local is None:  # one put of the whole object, only once it is all written
            buffer = io.BytesIO()
            write(buffer)
            self.fs.pipe_file(self.path(name), buffer.getvalue())
            return
        final = self._local / name
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = final.with_name(final.name + ".tmp")
        try:
            with open(tmp, "wb") as sink:
                write(sink)
                sink.flush()
                os.fsync(sink.fileno())
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        os.replace(tmp, final)
        directory = os.open(final.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)

    def read_parquet(self, name: str, columns: list[str] | None = None) -> pa.Table:
        if self._local is not None:
            return pq.read_table(self._local / name, columns=columns)
        with self.fs.open(self.path(name), "rb") as handle:
            return pq.read_table(handle, columns=columns)

    def parquet_file(self, name: str) -> pq.ParquetFile:
        """To read one row group (or a few columns) at a time without fetching the whole file:
        at a URL without read-ahead, so each read fetches only its byte range."""
        if self._local is not None:
            return pq.ParquetFile(self._local / name)
        return pq.ParquetFile(self.fs.open(self.path(name), "rb", cache_type="none"))

    def files(self) -> list[str]:
        """Paths (posix, relative) of every file under this directory, sorted; [] if absent."""
        if self._local is not None:
            found = (p for p in self._local.rglob("*") if p.is_file())
            return sorted(p.relative_to(self._local).as_posix() for p in found)
        self.fs.invalidate_cache()
        if not self.fs.isdir(self._root):
            return []
        start = len(self._root.rstrip("/")) + 1
        return sorted(path[start:] for path in self.fs.find(self._root))

    def replace_with(self, staging: Path) -> None:
        """Make this directory hold exactly the files of the local folder `staging`, which is
        consumed. Locally by renames (the old folder moved aside, then removed); on an object
        store by putting every file, each whole, then removing the files `staging` lacks."""
        if self._local is not None:
            old = self._local.with_name(f".{self._local.name}.old")
            _remove_tree(old)
            self._local.parent.mkdir(parents=True, exist_ok=True)
            if self._local.exists():
                os.replace(self._local, old)
            os.replace(staging, self._local)
            _remove_tree(old)
            return
        keep = Storage(staging).files()
        for name in keep:
            self.fs.put_file(str(staging / name), self.path(name))
        for name in sorted(set(self.files()) - set(keep)):
            self.fs.rm_file(self.path(name))
        _remove_tree(staging)

    @contextmanager
    def local_copy(self) -> Iterator[Path]:
        """A local folder with this directory's files, for libraries that read local files:
        the directory itself when local, else a temporary download removed afterwards."""
        if self._local is not None:
            yield self._local
            return
        with tempfile.TemporaryDirectory(prefix="corpusbuilder-") as folder:
            for name in self.files():
                target = Path(folder, name)
                target.parent.mkdir(parents=True, exist_ok=True)
                self.fs.get_file(self.path(name), str(target))
            yield Path(folder)

    def remove(self, name: str) -> None:
        if self._local is not None:
            (self._local / name).unlink(missing_ok=True)
        elif self.fs.exists(self.path(name)):
            self.fs.rm_file(self.path(name))


def _remove_tree(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
