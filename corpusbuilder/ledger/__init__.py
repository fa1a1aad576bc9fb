"""The provenance ledger: metadata, evidence and decisions; never the texts themselves."""

from corpusbuilder.ledger.records import (
    DecisionRecord,
    DocumentRecord,
    PublicationRecord,
    ReleaseDocumentRecord,
    ReleaseRecord,
    RunRecord,
    SourceRecord,
    TakedownRecord,
    decision_row,
)
from corpusbuilder.ledger.store import Ledger

__all__ = [
    "DecisionRecord",
    "DocumentRecord",
    "Ledger",
    "PublicationRecord",
    "ReleaseDocumentRecord",
    "ReleaseRecord",
    "RunRecord",
    "SourceRecord",
    "TakedownRecord",
    "decision_row",
]
