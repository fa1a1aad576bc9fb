"""Ingest: source adapters' items, checked and recorded in the ledger with their licence evidence,
their texts in the text store; partitions of a source run in parallel on an engine, each resumable
from its own checkpoint. The only code here that reads the network is fetch.
"""
