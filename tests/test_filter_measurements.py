"""What the filters measured on a kept document (issue 10): each filter step annotates the
documents it keeps with the values its thresholds were compared with; the runner records them
as the detail of the `curation_filters_v1 passed kept` decision; the release freezes them into
the provenance config's `filter_measurements`; `audit` shows them, locally and from a release.
A dropped document keeps the detail of the rule that dropped it, as before."""

from __future__ import annotations

import json

import pytest

from corpusbuilder import audit, audit_hub, steps
from corpusbuilder.curate.filter_rules.base import words
from corpusbuilder.curate.filter_rules.gopher import GopherQuality
from corpusbuilder.curate.filter_rules.ocr import OcrNoise
from corpusbuilder.curate.filters import available, build_filters
from corpusbuilder.project import Project
from corpusbuilder.release import layout, provenance
from tests.helpers import write_corpus
from tests.test_curation import paragraphs, record

SHORT = "Too short to be a document."
GOPHER_QUALITY = {"words", "mean_word_length", "hash_word_ratio", "ellipsis_word_ratio",
                  "bullet_lines_ratio", "ellipsis_lines_ratio", "alpha_words_ratio",
                  "stop_words"}  # fmt: skip


@pytest.fixture(scope="module")
def released(tmp_path_factory) -> Project:
    """A real English book passage (kept) and a short text (filtered), built and released with
    the default filters."""
    records = [record("book", "\n\n".join(paragraphs("en")[:4])), record("short", SHORT)]
    folder = tmp_path_factory.mktemp("measurements")
    path = write_corpus(folder, records, curate={"languages": ["en"]}, release={"version": "1.0.0"})
    project = Project.open(path, progress=False)
    project.build(workers=1)
    return project


def book(project: Project) -> tuple[str, dict]:
    """The kept book's text and what each default filter measures on it, called directly."""
    doc = project.ledger.document("t/book")
    text = project.store.get(doc.raw_sha256 or doc.text_sha256)  # the text the filters judged
    return text, {rule.name: rule.measure(text, doc.language) for rule in build_filters(None)}


def provenance_files(project: Project) -> list:
    return sorted((project.config.release_dir("1.0.0") / layout.PROVENANCE).glob("*.parquet"))


def test_the_steps_default_chain_names_the_built_in_filters():
    assert list(steps.FILTERS) == available()


def test_a_kept_document_carries_what_each_filter_measured_a_dropped_one_its_reason():
    text = "\n\n".join(paragraphs("en")[:4])
    rule = GopherQuality()
    kept, dropped = rule.run([steps.Doc("t/a", text, language="en"), steps.Doc("t/b", SHORT)])
    assert kept.annotations == {"measurements": {rule.name: rule.measure(text, "en")}}
    assert set(rule.measure(text, "en")) == GOPHER_QUALITY
    assert rule.measure(text, "en")["words"] == len(words(text))
    assert (dropped.dropped, dropped.reason, dropped.detail) == (
        True,
        "too_few_words",
        "words=6 < 50",
    )
    assert dropped.annotations == {}
    # Chinese is written without spaces: the filter keeps it without measuring anything
    (unspaced,) = rule.run([steps.Doc("t/c", "天地玄黄，宇宙洪荒。" * 20, language="zh")])
    assert unspaced.annotations == {"measurements": {rule.name: {}}}


def test_the_measurements_are_the_values_the_thresholds_are_compared_with():
    text = "\n\n".join(paragraphs("en")[:4])
    n = GopherQuality().measure(text, "en")["words"]
    assert GopherQuality({"min_words": n}).check(text, "en") is None
    assert GopherQuality({"min_words": n + 1}).check(text, "en").detail == f"words={n} < {n + 1}"
    mean = GopherQuality().measure(text, "en")["mean_word_length"]
    dropped = GopherQuality({"max_mean_word_length": mean - 0.5}).check(text, "en")
    assert dropped.detail == f"mean_word={mean:.2f} > {mean - 0.5}"
    ocr = OcrNoise().measure(text + " w0rd tbe" * 10, "en")["non_word_ratio"]
    dropped = OcrNoise({"max_non_word_ratio": ocr / 2}).check(text + " w0rd tbe" * 10, "en")
    assert ocr > 0 and dropped.detail == f"non_word_ratio={ocr:.3f} > {ocr / 2}"


def test_the_ledger_records_them_in_the_kept_decision(released: Project):
    _, expected = book(released)
    assert set(expected) == set(steps.FILTERS)
    kept = [d for d in released.ledger.decisions("t/book") if d.component == "curation_filters_v1"]
    assert [(d.outcome, d.reason) for d in kept] == [("passed", "kept")]
    assert json.loads(kept[0].detail) == expected
    assert kept[0].detail == json.dumps(expected, sort_keys=True, separators=(",", ":"))


def test_a_dropped_document_keeps_its_detail_and_has_no_measurements(released: Project):
    decided = [(d.component, d.outcome, d.reason, d.detail)
               for d in released.ledger.decisions("t/short") if d.stage == "filter"]  # fmt: skip
    assert decided == [("gopher_quality_v1", "filtered", "too_few_words", "words=6 < 50")]
    assert GopherQuality().check(SHORT, "en").detail == "words=6 < 50"
    assert audit.report(released.ledger, "t/short")["filter_measurements"] == []


def test_the_provenance_config_and_both_audits_show_them(released: Project):
    _, expected = book(released)
    rows = [
        {"filter": name, "measure": measure, "value": float(value)}
        for name, measured in sorted(expected.items())
        for measure, value in sorted(measured.items())
    ]
    published = provenance.read(provenance_files(released), "t/book")
    assert published["filter_measurements"] == rows
    local = audit.report(released.ledger, "t/book")
    assert local["filter_measurements"] == rows
    assert audit_hub.from_row(published)["filter_measurements"] == rows
    shown = audit.render(local).splitlines()
    at = shown.index("filter measurements:")
    words_shown = f"words={expected['gopher_quality_v1']['words']}"
    assert shown[at + 2].startswith("  gopher_quality_v1: alpha_words_ratio=")
    assert words_shown in shown[at + 2].split(", ")
    # a row published before the column existed audits without it
    older = {k: v for k, v in published.items() if k != "filter_measurements"}
    assert audit_hub.from_row(older)["filter_measurements"] == []
