"""Curation: the licence decision, then the configured steps (language, filters, PII, MinHash) over
batches of documents on an engine, then exact and near deduplication with the keep policy. The
runner, never a step or a worker, writes every outcome to the ledger.
"""
