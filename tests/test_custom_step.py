"""Adding a filter is one module and one entry-point line: a step registered through a (fake)
`corpusbuilder.steps` entry point, named in `curate.steps`, drops documents whose reason and
measured detail land in the ledger's decisions, counted like the built-in filters' drops."""

from __future__ import annotations

from collections.abc import Sequence
from importlib.metadata import EntryPoint

import pytest

from corpusbuilder import config as corpus_config
from corpusbuilder import plugins, steps
from corpusbuilder.project import Project
from corpusbuilder.steps import KEEP, Doc, Outcome, Step, drop
from tests.helpers import write_corpus

NAME = "shouting_v1"


class Shouting(Step):
    """Drops a text written mostly in capitals (the whole of a third-party filter)."""

    name = NAME

    def run(self, docs: Sequence[Doc]) -> list[Outcome]:
        return [self._one(doc.text) for doc in docs]

    def _one(self, text: str) -> Outcome:
        letters = [c for c in text if c.isalpha()]
        upper = sum(c.isupper() for c in letters) / max(len(letters), 1)
        limit = self.settings.get("max_upper", 0.5)
        return drop("too_much_uppercase", f"upper={upper:.3f} > {limit}") if upper > limit else KEEP


@pytest.fixture
def registered(monkeypatch):
    real = plugins.entry_points

    def with_shouting(group: str):
        found = list(real(group=group))
        if group == steps.GROUP:
            found.append(EntryPoint(NAME, f"{__name__}:Shouting", group))
        return found

    monkeypatch.setattr(plugins, "entry_points", with_shouting)


PROSE = (
    "The old harbour town woke slowly under a grey sky, and the fishermen carried their nets"
    " down to the boats while the baker opened his shutters and the church bell rang seven."
)


def record(key: str, text: str) -> dict:
    return {"id": key, "text": text, "licence": "CC BY 4.0", "url": f"https://example.org/{key}"}


def test_a_registered_step_runs_in_the_chain_and_its_drops_are_in_the_ledger(registered, tmp_path):
    assert NAME in steps.names()
    chain = ["langdetect_fasttext_v8", NAME, "pii_regex_v1", "minhash_lsh_v1"]
    records = [record("calm", PROSE), record("loud", PROSE.upper())]
    path = write_corpus(tmp_path, records, curate={"filters": {}, "steps": chain})
    project = Project.open(path, progress=False)
    project.ingest("t")
    result = project.curate(workers=1)
    loud = project.ledger.document("t/loud")
    assert (loud.status, loud.reason) == ("filtered", "too_much_uppercase")
    dropped = [d for d in project.ledger.decisions("t/loud") if d.component == NAME]
    assert [(d.stage, d.outcome, d.reason, d.detail) for d in dropped] == [
        ("filter", "filtered", "too_much_uppercase", "upper=1.000 > 0.5")
    ]
    assert project.ledger.document("t/calm").status == "kept"
    assert result.counts["too_much_uppercase"] == 1


def test_a_third_party_step_takes_its_settings_inline(registered, tmp_path):
    """`- shouting_v1: {max_upper: 0.9}`: the step decides with them, the card describes them."""
    half = PROSE[: len(PROSE) // 4] + PROSE[len(PROSE) // 4 :].upper()  # 0.757 upper
    chain = ["langdetect_fasttext_v8", {NAME: {"max_upper": 0.9}}, "minhash_lsh_v1"]
    curate = {"filters": {}, "pii": False, "steps": chain}
    path = write_corpus(
        tmp_path, [record("half", half), record("loud", PROSE.upper())], curate=curate
    )
    project = Project.open(path, progress=False)
    (step,) = [s for s in steps.chain(project.config.curate) if s.name == NAME]
    assert step.described_settings() == {"max_upper": 0.9}
    project.ingest("t")
    project.curate(workers=1)
    assert Shouting()._one(half).reason == "too_much_uppercase"  # at the default 0.5
    assert project.ledger.document("t/half").status == "kept"
    loud = [d for d in project.ledger.decisions("t/loud") if d.component == NAME]
    assert [d.detail for d in loud] == ["upper=1.000 > 0.9"]


@pytest.mark.parametrize(
    "entry, error",
    [
        ({"gopher_quality_v1": {"min_words": 5}}, "reads its settings from its own key"),
        ({NAME: {}, "pii_regex_v1": {}}, "one `name: {settings}` mapping"),
        ({NAME: [0.9]}, "must be a mapping"),
    ],
)
def test_inline_settings_are_refused_where_they_would_be_ignored(
    registered, tmp_path, entry, error
):
    path = write_corpus(tmp_path, [record("a", PROSE)], curate={"filters": {}, "steps": [entry]})
    with pytest.raises(corpus_config.ConfigError, match=error):
        corpus_config.load(path)


def test_an_unknown_step_in_corpus_yaml_names_the_available_ones(tmp_path):
    path = write_corpus(tmp_path, [record("a", PROSE)], curate={"steps": ["shouting_v1"]})
    with pytest.raises(corpus_config.ConfigError, match="available: c4_lines_v1, "):
        corpus_config.load(path)


@pytest.mark.parametrize(
    "curate, error",
    [
        ({"steps": ["minhash_lsh_v1", "pii_regex_v1"]}, "must be the last step"),
        ({"steps": ["pii_regex_v1"], "pii": False}, "pii is false but steps lists"),
        ({"steps": ["minhash_lsh_v1"], "near_dedup": False}, "near_dedup is false"),
        ({"steps": ["pii_regex_v1", "pii_regex_v1"]}, "listed twice"),
        ({"steps": ["c4_lines_v1"], "filters": {"ocr_noise_v1": {}}}, "not list ocr_noise_v1"),
        ({"steps": ["c4_lines_v1"], "languages": ["en"]}, r"not list languages \(read by"),
    ],
)
def test_steps_that_disagree_with_the_other_keys_are_refused(tmp_path, curate, error):
    path = write_corpus(tmp_path, [record("a", PROSE)], curate=curate)
    with pytest.raises(corpus_config.ConfigError, match=error):
        corpus_config.load(path)


def test_a_duplicate_step_name_fails(monkeypatch):
    twice = [EntryPoint(NAME, f"{__name__}:Shouting", steps.GROUP)] * 2
    monkeypatch.setattr(plugins, "entry_points", lambda group: twice)
    with pytest.raises(RuntimeError, match="two steps are registered as 'shouting_v1'"):
        steps.names()
