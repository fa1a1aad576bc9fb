"""Stable reason codes and document statuses, defined once.

These strings are written to the ledger and shown in the card; renaming one breaks old ledgers,
so add new codes rather than changing existing ones.
"""

from enum import StrEnum


class Status(StrEnum):
    """Where a document stands; each item a source yields ends in exactly one of these."""

    INGESTED = "ingested"  # waiting for curation
    KEPT = "kept"  # passed every stage; goes into the next release
    SKIPPED = "skipped"  # the adapter could not or would not yield it
    LICENCE_REJECTED = "licence_rejected"
    QUARANTINED = "quarantined"  # unknown or conflicting licence evidence
    FILTERED = "filtered"
    HELD = "held"  # held for a person to review (its metadata contradicts what was measured)
    DUPLICATE = "duplicate"
    TAKEN_DOWN = "taken_down"


class Reason(StrEnum):
    """Reason codes of the core's decisions (adapters' skip reasons are their own codes)."""

    INGESTED = "ingested"
    TEXT_CHANGED = "text_changed"
    RECORD_CHANGED = "record_changed"  # same text, new metadata or licence evidence
    LICENCE_ALLOWED = "licence_allowed"
    LICENCE_REJECTED = "licence_rejected"
    LICENCE_UNKNOWN = "licence_unknown"
    LICENCE_CONFLICT = "licence_conflict"
    LANGUAGE_IDENTIFIED = "language_identified"
    LANGUAGE_NOT_SELECTED = "language_not_selected"
    LANGUAGE_MISMATCH = "language_mismatch"  # the source states another language
    LANGUAGE_STATED_USED = "language_stated_used"  # the detector was unsure
    EXACT_DUPLICATE = "exact_duplicate"
    NEAR_DUPLICATE = "near_duplicate"
    KEPT = "kept"
    PII_REDACTED = "pii_redacted"
    TAKEDOWN = "takedown"
