"""ATTRIBUTION.md and the share-alike configs (issue 10): every document whose licence requires
attribution is credited with its creator, title, source and licence, with a notice when the
released text was changed; share-alike documents are flagged and, when corpus.yaml asks, kept
in their own `<lang>-sharealike` configs."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pyarrow.parquet as pq
import pytest
import yaml

from corpusbuilder.licences import Policy
from corpusbuilder.project import Project
from corpusbuilder.release import attribution, layout, provenance
from corpusbuilder.release import freeze as release
from tests.demo_copies import run
from tests.helpers import demo_project

EMAIL = "boulanger@example.org"


def folder_of(config: Path, version: str = "1.0.0") -> Path:
    return config.parent / "work" / "releases" / version


def test_only_documents_whose_licence_requires_attribution_are_credited(built: Path):
    text = (folder_of(built) / layout.ATTRIBUTION).read_text()
    credited = [line.split("`")[1] for line in text.splitlines() if line.startswith("- id:")]
    assert credited == ["demo/en-garden", "demo/fr-boulangerie"]  # CC-BY-4.0, etalab-2.0
    garden = text.split("## Notes from a Small Garden\n", 1)[1].split("\n## ", 1)[0]
    assert garden.strip().splitlines() == [
        "- id: `demo/en-garden`",
        "- creator: corpusbuilder contributors",
        "- source: <https://example.org/corpusbuilder-demo/en-garden>",
        "- licence: [Creative Commons Attribution 4.0 International]"
        "(https://creativecommons.org/licenses/by/4.0/)",
    ]
    assert "share-alike" not in garden and "modified" not in text


def _edited_demo(folder: Path, sharealike: bool) -> Path:
    """The demo with en-garden under CC BY-SA, de-bahnhof offered under BY-SA or CC0, and an
    e-mail address in fr-boulangerie."""
    config = demo_project(folder).config.path
    texts = folder / "texts.jsonl"
    records = [json.loads(line) for line in texts.read_text().splitlines()]
    for record in records:
        if record["id"] == "en-garden":
            record["licence"] = "CC-BY-SA-4.0"
        if record["id"] == "de-bahnhof":
            record["licence"] = "CC-BY-SA-4.0 OR CC0-1.0"
        if record["id"] == "fr-boulangerie":
            record["text"] += f" Commandes : {EMAIL}."
    texts.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    settings = yaml.safe_load(config.read_text())
    settings["release"] |= {"sharealike_configs": sharealike}
    config.write_text(yaml.safe_dump(settings))
    result = run(config, "build")
    assert result.exit_code == 0, result.output
    return config


@pytest.fixture(scope="module")
def sharealike(tmp_path_factory) -> Path:
    return _edited_demo(tmp_path_factory.mktemp("sharealike") / "demo", sharealike=True)


def test_share_alike_documents_get_their_own_config_when_asked(sharealike: Path):
    folder = folder_of(sharealike)
    shard = folder / "data/en-sharealike/train-00000-of-00001.parquet"
    assert pq.read_table(shard, columns=["id"]).column(0).to_pylist() == ["demo/en-garden"]
    english = pq.read_table(folder / "data/en/train-00000-of-00001.parquet", columns=["id"])
    assert english.column(0).to_pylist() == ["demo/en-lighthouse"]
    release = Project.open(sharealike, progress=False).ledger.release("1.0.0")
    assert release.counts["configs"]["en-sharealike"] == 1
    assert run(sharealike, "verify", "1.0.0").exit_code == 0


def test_attribution_flags_share_alike_and_notes_the_redaction(sharealike: Path):
    text = (folder_of(sharealike) / layout.ATTRIBUTION).read_text()
    garden = text.split("## Notes from a Small Garden\n", 1)[1].split("\n## ", 1)[0]
    assert "- licence: [Creative Commons Attribution-ShareAlike 4.0 International]" in garden
    assert garden.rstrip().endswith("— **share-alike**")
    bakery = text.split("## La boulangerie du coin\n", 1)[1]
    assert "- modified: personal data redacted (1 email)" in bakery
    shard = folder_of(sharealike) / "data/fr/train-00000-of-00001.parquet"
    assert EMAIL not in "".join(pq.read_table(shard, columns=["text"]).column(0).to_pylist())


@pytest.mark.parametrize(
    "licence,asked,config",
    [("CC-BY-SA-4.0", False, "en"), ("CC-BY-SA-4.0", True, "en-sharealike"),
     ("CC-BY-4.0", True, "en"), ("CC0-1.0", True, "en")],
)  # fmt: skip
def test_only_share_alike_documents_move_and_only_when_asked(licence, asked, config):
    doc = SimpleNamespace(language="en", licence=licence)
    assert release._config(doc, Policy.load(), asked) == config


def test_no_attribution_file_when_no_licence_requires_it(tmp_path):
    rows = [{"doc_id": "s/1", "attribution": False, "licence": "CC0-1.0"}]
    attribution.write(tmp_path / "ATTRIBUTION.md", "1.0.0", rows)
    assert not (tmp_path / "ATTRIBUTION.md").exists()


def test_the_file_is_written_as_rows_pass_an_entry_at_a_time(tmp_path):
    """Entries are blank-line separated and the file ends after the last one's last line; the
    rows pass on unchanged to the other writer, attributed or not."""
    rows = [{"doc_id": f"s/{n}", "attribution": n != 1, "licence": "CC-BY-4.0", "url": f"u/{n}",
             "title": f"T{n}", "creator": None, "share_alike": n == 2}
            for n in range(3)]  # fmt: skip
    path = tmp_path / "ATTRIBUTION.md"
    with attribution.Attribution(path, "2.0.0") as credits:
        passed = list(credits.passing(iter(rows)))
    assert passed == rows
    assert path.read_text(encoding="utf-8") == (
        "# Attribution — release 2.0.0\n\nThese documents are released under licences that"
        " require attribution. Reuse them with the credit below; documents marked"
        " **share-alike** must be shared under the same licence.\n\n"
        "## T0\n\n- id: `s/0`\n- creator: unknown creator\n- source: <u/0>\n"
        "- licence: CC-BY-4.0\n\n"
        "## T2\n\n- id: `s/2`\n- creator: unknown creator\n- source: <u/2>\n"
        "- licence: CC-BY-4.0 — **share-alike**\n"
    )


def test_an_or_statement_records_the_alternative_chosen_and_is_not_share_alike(sharealike):
    folder = folder_of(sharealike)
    row = provenance.read([folder / "provenance/train-00000-of-00001.parquet"], "demo/de-bahnhof")
    assert row["evidence"][0]["statement"] == "CC-BY-SA-4.0 OR CC0-1.0"
    assert row["licence"] == "CC0-1.0" and row["config"] == "de"
    assert "or: CC0-1.0 chosen of CC0-1.0 OR CC-BY-SA-4.0" in row["licence_rule"]
    assert (row["attribution"], row["share_alike"]) == (False, False)


def test_the_adapters_edits_come_before_the_redaction_in_the_notice(tmp_path):
    row = {"doc_id": "w/1", "attribution": True, "licence": "CC-BY-SA-4.0", "url": "https://w/1",
           "adapter_edits": "rendered from wikitext as plain text", "text_modified": True,
           "pii": [{"kind": "email", "count": 2}]}  # fmt: skip
    attribution.write(tmp_path / "ATTRIBUTION.md", "1.0.0", [row])
    text = (tmp_path / "ATTRIBUTION.md").read_text(encoding="utf-8")
    assert text.endswith(
        "- modified: rendered from wikitext as plain text\n"
        "- modified: personal data redacted (2 email)\n"
    )
