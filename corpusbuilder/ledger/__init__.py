"""The provenance ledger: metadata, evidence and decisions; never the texts themselves."""

from corpusbuilder.ledger.store import Ledger

__all__ = ["Ledger"]
