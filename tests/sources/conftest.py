"""Fixtures of the adapter tests: loopback OAI-PMH servers and a fetcher that does not wait."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from corpusbuilder.ingest.fetch import Fetcher
from tests.oai_server import OaiServer


@pytest.fixture
def serve() -> Iterator:
    servers: list[OaiServer] = []

    def start(pages: dict[str, bytes], **options: object) -> OaiServer:
        servers.append(OaiServer(pages, **options))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


@pytest.fixture
def fetch() -> Fetcher:
    return Fetcher(min_interval=0, max_attempts=1)
