"""Any SQLAlchemy URL is a ledger: the demo built on PostgreSQL ends exactly as on SQLite."""

from __future__ import annotations

import pytest
import yaml

from corpusbuilder.project import Project
from tests.helpers import demo_project
from tests.postgres import postgres_server


@pytest.fixture(scope="module")
def postgres_url():
    with postgres_server() as url:
        yield url


def test_demo_on_postgres_matches_sqlite(tmp_path, postgres_url):
    on_sqlite = demo_project(tmp_path / "sqlite")
    expected = on_sqlite.build().release.manifest_hash
    demo_project(tmp_path / "pg")
    config_path = tmp_path / "pg" / "corpus.yaml"
    config = yaml.safe_load(config_path.read_text())
    config_path.write_text(yaml.safe_dump(config | {"ledger": postgres_url}))
    on_postgres = Project.open(config_path, progress=False)
    assert on_postgres.ledger.engine.dialect.name == "postgresql"
    assert on_postgres.build().release.manifest_hash == expected
    assert on_postgres.ledger.funnel() == on_sqlite.ledger.funnel()
    again = on_postgres.build()
    assert again.ingest[0].counts["unchanged"] == 11  # idempotent on PostgreSQL too
    doc = on_postgres.ledger.document("demo/fr-riviere")
    assert doc.ingested_at.tzinfo is not None  # timezone-aware UTC round-trips
    evidence = on_postgres.ledger.evidence(["demo/fr-riviere"])["demo/fr-riviere"]
    assert evidence[0].statement.startswith("CC0 1.0 Universal")
