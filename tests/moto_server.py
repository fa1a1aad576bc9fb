"""An S3 server for the tests: moto's, in a thread on 127.0.0.1 at a free port, with fsspec and
botocore pointed at it the way a user would (fsspec's `s3` configuration, `AWS_*` variables)."""

from __future__ import annotations

import itertools
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

_buckets = itertools.count()  # moto keeps its buckets per process: each server gets a new one


@contextmanager
def s3_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Start moto, create a bucket, and yield its URL (s3://corpus-N); s3:// URLs reach moto
    meanwhile."""
    pytest.importorskip("s3fs", reason="S3 storage needs the extra corpusbuilder[s3]")
    server_module = pytest.importorskip("moto.server", reason="the tests need moto[server]")
    import fsspec.config
    import s3fs

    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "FSSPEC_S3_ENDPOINT_URL": endpoint,  # for the CLI run in a subprocess
    }.items():
        monkeypatch.setenv(name, value)
    # fsspec read FSSPEC_* when imported: set its configuration as that variable would have.
    monkeypatch.setitem(fsspec.config.conf, "s3", {"endpoint_url": endpoint})
    s3fs.S3FileSystem.clear_instance_cache()
    bucket = f"corpus-{next(_buckets)}"
    cache = tempfile.TemporaryDirectory(prefix="corpusbuilder-cache-")  # a bare store's index
    monkeypatch.setenv("XDG_CACHE_HOME", cache.name)
    try:
        s3fs.S3FileSystem().mkdir(bucket)
        yield f"s3://{bucket}"
    finally:
        cache.cleanup()
        s3fs.S3FileSystem.clear_instance_cache()
        server.stop()
