"""One contract over every registered curation step (``corpusbuilder steps``): a batch in, one
outcome per document out, in order; deterministic; stable snake_case drop reasons with the
measured detail; picklable (steps cross process boundaries); an empty batch is fine."""

from __future__ import annotations

import copy
import pickle
import re

import numpy as np
import pytest

from corpusbuilder import steps
from corpusbuilder.curate.analysis import analyse
from corpusbuilder.steps import Doc, Outcome

NAMES = steps.names()
CURATE = {"languages": ["en"]}  # as corpus.yaml's `curate:` (so language selection drops too)
SNAKE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
VERSIONED = re.compile(r"[a-z][a-z0-9_]*_v[0-9]+")
PROSE = (
    "The old harbour town woke slowly under a grey sky. Fishermen carried their nets down to the"
    " boats, and the baker opened his shutters while the church bell rang seven. Children ran"
    " along the quay, shouting to the gulls that circled above the masts.\n\n"
)
TEXTS = [
    PROSE * 4,
    "Too short.",
    "",
    "Le vieux port s'éveillait lentement sous un ciel gris. " * 20,
    PROSE + "Write to someone@example.org or call (801) 596-1887, server 192.168.0.1.",
    "buy now buy now buy now\n" * 60,
    "| 12 | 3,4 | 5 |\n" * 40,
]


def batch() -> list[Doc]:
    return [Doc(f"t/{i}", text, "t", "CC-BY-4.0", "en", 0.99) for i, text in enumerate(TEXTS)]


def comparable(outcome: Outcome) -> tuple:
    """An outcome as plain values (a MinHash signature is an array)."""
    annotations = {
        key: value.tolist() if isinstance(value, np.ndarray) else value
        for key, value in outcome.annotations.items()
    }
    found = sorted(annotations.items())
    return outcome.dropped, outcome.reason, outcome.detail, outcome.text, found


@pytest.fixture(params=NAMES)
def step(request) -> steps.Step:
    return steps.load(request.param).configure(CURATE)


def test_the_built_in_chain_is_registered():
    assert set(steps.default_names({})) <= set(NAMES)
    assert steps.default_names({}) == [s.name for s in steps.chain({})]


def test_one_outcome_per_document_in_order(step):
    docs = batch()
    outcomes = step.run(docs)
    assert len(outcomes) == len(docs)
    assert all(isinstance(outcome, Outcome) for outcome in outcomes)
    alone = [step.run([doc])[0] for doc in batch()]  # the batch does not change an answer
    assert [comparable(o) for o in outcomes] == [comparable(o) for o in alone]


def test_deterministic(step):
    first = [comparable(o) for o in step.run(batch())]
    assert first == [comparable(o) for o in step.run(batch())]


def test_versioned_name_and_stage(step):
    assert VERSIONED.fullmatch(step.name)
    assert step.version == step.name.rpartition("_v")[2]
    assert SNAKE.fullmatch(step.stage)


def test_drop_reasons_are_snake_case_with_detail(step):
    for outcome in step.run(batch()):
        if outcome.dropped or outcome.reason:
            assert SNAKE.fullmatch(str(outcome.reason)), outcome.reason
            assert isinstance(outcome.detail, str) and outcome.detail, outcome
        if outcome.dropped:
            assert outcome.text is None  # a dropped document keeps its text


def test_the_batch_exercises_drops_and_modifications():
    outcomes = [o for name in NAMES for o in steps.load(name).configure(CURATE).run(batch())]
    assert any(o.dropped for o in outcomes) and any(o.text is not None for o in outcomes)


def test_step_and_outcomes_are_picklable(step):
    twin = pickle.loads(pickle.dumps(step))
    outcomes = pickle.loads(pickle.dumps(step.run(batch())))
    assert [comparable(o) for o in twin.run(batch())] == [comparable(o) for o in outcomes]


def test_empty_batch(step):
    assert step.run([]) == []


def test_a_step_does_not_change_its_documents(step):
    docs = batch()
    before = copy.deepcopy([(d.text, d.language, d.annotations) for d in docs])
    step.run(docs)
    assert [(d.text, d.language, d.annotations) for d in docs] == before


def test_the_chain_skips_dropped_documents_and_passes_on_modified_text():
    traces = analyse(steps.chain({}), batch())
    assert len(traces) == len(TEXTS)
    for trace in traces:
        dropped = [outcome for _, _, outcome in trace.outcomes if outcome.dropped]
        assert len(dropped) <= 1 and (not dropped or trace.outcomes[-1][2] is dropped[0])
        assert trace.signed == (not dropped)
    redacted = traces[4]
    assert redacted.text is not None and "<EMAIL>" in redacted.text
    assert redacted.annotations["pii"] == {"email": 1, "ip_address": 1, "phone": 1}


def test_unknown_step_names_the_available_ones():
    with pytest.raises(steps.UnknownStep, match="available: " + ", ".join(NAMES)):
        steps.load("gopher_v9")
