"""Release versions are SemVer, checked before they reach a path, a tag or the ledger.

A version names a folder under ``work/releases`` and a Hub tag, so ``..``, ``""`` (an unset
``$VERSION``), ``1.0`` or ``v1.0.0`` must be refused at every command that takes one.
"""

from __future__ import annotations

import re

from corpusbuilder.errors import UserError

# semver.org 2.0.0: MAJOR.MINOR.PATCH, no leading zeros, an optional pre-release; build
# metadata (+…) is left out on purpose: two versions differing only by it would share a tag.
SEMVER = re.compile(
    r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?"
)


class VersionError(UserError):
    """A release version that is not MAJOR.MINOR.PATCH[-pre]."""


def check_version(text: str) -> str:
    """`text` if it is a SemVer release version, else a VersionError saying what is expected."""
    if not isinstance(text, str) or len(text) > 64 or not SEMVER.fullmatch(text):
        hint = " (without the leading 'v')" if str(text).startswith("v") else ""
        raise VersionError(
            f"version {text!r} is not MAJOR.MINOR.PATCH[-pre] like 1.0.0 or 2.1.0-rc.1{hint}"
        )
    return text


def next_patch(version: str) -> str:
    """The version after `version` with its patch number raised: 1.0.0 → 1.0.1."""
    major, minor, patch = SEMVER.fullmatch(check_version(version)).group(1, 2, 3)
    return f"{major}.{minor}.{int(patch) + 1}"
