"""The worker side of curation: runs the chain of steps over one batch of documents, pure and
batch-shaped so it runs in worker processes. Each step sees the documents no earlier step
dropped, with the texts and annotations earlier steps gave them; what each step decided comes
back as a `Trace` per document, for the runner in the parent to write to the ledger.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from corpusbuilder.steps import Doc, Outcome, Step


@dataclass
class Trace:
    """What the chain did to one document: (step name, stage, outcome) in the order run."""

    outcomes: list[tuple[str, str, Outcome]] = field(default_factory=list)
    text: str | None = None  # the final text, when a step changed it
    annotations: dict[str, Any] = field(default_factory=dict)

    @property
    def dropped(self) -> bool:
        return bool(self.outcomes) and self.outcomes[-1][2].dropped

    @property
    def signed(self) -> bool:
        """Whether a step gave the document its MinHash signature."""
        return "signature" in self.annotations

    def add(self, step: Step, outcome: Outcome) -> None:
        self.outcomes.append((step.name, step.stage, outcome))
        if outcome.text is not None:
            self.text = outcome.text
        self.annotations.update(outcome.annotations)


def analyse(chain: Sequence[Step], docs: list[Doc]) -> list[Trace]:
    """Run `chain` over `docs` (one call of each step on the batch); one trace per document."""
    traces = [Trace() for _ in docs]
    alive = list(range(len(docs)))
    for step in chain:
        batch = [docs[i] for i in alive]
        outcomes = step.run(batch)
        if len(outcomes) != len(batch):
            raise RuntimeError(
                f"step {step.name} answered {len(outcomes)} outcomes for {len(batch)} documents"
            )
        for i, doc, outcome in zip(alive, batch, outcomes, strict=True):
            traces[i].add(step, outcome)
            doc.apply(outcome)
        alive = [i for i in alive if not traces[i].dropped]
    return traces
