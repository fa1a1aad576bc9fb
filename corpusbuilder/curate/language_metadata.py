"""The language a source states (Gutenberg's catalog, OAI ``dc:language``, a wiki's language, a
local record's ``language``) checked against the detected one.

Why: a text released under the wrong language config is worse than one held back. A catalog says
German and the detector reads English when the text is the wrong part of a book (a Gutenberg
licence block kept instead of the play), a mislabelled record, or a detector error; a person
should look before it is released. So when both are confident — the stated language is a valid
code and the detector's score is at least `MIN_SCORE` — a disagreement holds the document
(status ``held``, reason ``language_mismatch``) with both values on the document and in the
decision. When the detector is unsure (``und``, or a score below `MIN_SCORE`: short texts,
mixed texts, languages it does not know), the stated language is the better evidence and
becomes the document's language, with no score (it was not measured) and a note in the ledger.

Once a person has looked (`corpusbuilder docs --status held --reason language_mismatch`), the
corpus says which side to trust, `curate.language_mismatch: hold | detected | stated`, and
`curate --all` decides the held documents again: `detected` releases them under the detected
language, `stated` under the stated one; either way the disagreement stays noted in the ledger.

Stated values are normalised with `langcodes` (the IANA subtag registry and CLDR names, kept up
to date by its maintainers): ISO 639-1/2/3 codes, bibliographic codes (``ger``), BCP 47 tags
(``de-DE``, ``en_US``) and names in English or the language itself (``German``, ``Deutsch``).
Two codes agree when CLDR's language matching calls them mutually intelligible (``nb`` and ``no``,
``hr`` and ``bs``; not ``da`` and ``nb``, nor ``id`` and ``ms``). A value that names no single
language (``und``, ``mul``, an unknown name) is ignored: no check, no hold.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

import langcodes

from corpusbuilder.curate.langid import UNDETERMINED
from corpusbuilder.reasons import Reason
from corpusbuilder.steps import Doc, Outcome, Step, hold, keep, note

COMPONENT = "language_metadata_v1"
MIN_SCORE = 0.8  # the detector's score from which it is confident enough to hold a document
SAME_LANGUAGE = 10  # langcodes' tag distance below which two tags are one language for a reader
NOT_ONE_LANGUAGE = frozenset({"und", "mul", "mis", "zxx"})  # ISO 639's special codes


@cache
def normalise(stated: str | None) -> str | None:
    """The ISO 639 code (two letters where there is one) of a stated language, or None when the
    value names no single known language."""
    value = (stated or "").strip()
    if not value:
        return None
    try:
        found = langcodes.Language.get(value.replace("_", "-"))
        if not found.is_valid():
            found = langcodes.find(value)
    except (LookupError, ValueError):  # LanguageTagError is a ValueError
        return None
    code = found.prefer_macrolanguage().language
    return None if code is None or code in NOT_ONE_LANGUAGE else code


def same_language(detected: str, stated: str) -> bool:
    """Whether a detected code and a normalised stated one name the same language, or variants
    CLDR counts as mutually intelligible (``no``/``nb``, ``hr``/``bs``)."""
    return langcodes.tag_distance(detected, stated) < SAME_LANGUAGE


class LanguageMetadataStep(Step):
    """Holds a document whose stated language the confident detector contradicts (or trusts
    the side `curate.language_mismatch` names); uses the stated language when the detector is
    unsure. Runs after the language step."""

    name = COMPONENT
    stage = "language"

    @classmethod
    def configure(cls, curate: Mapping[str, Any]) -> LanguageMetadataStep:
        return cls({"language_mismatch": curate.get("language_mismatch") or "hold"})

    def run(self, docs: Sequence[Doc]) -> list[Outcome]:
        return [self._one(doc) for doc in docs]

    def _one(self, doc: Doc) -> Outcome:
        stated = normalise(doc.language_hint)
        if stated is None:
            return keep(language_stated=None)
        detected, score = doc.language or UNDETERMINED, doc.language_score or 0.0
        if detected != UNDETERMINED and same_language(detected, stated):
            return keep(language_stated=stated)
        said = f"the source states {stated} ({doc.language_hint!r})"
        if detected == UNDETERMINED or score < MIN_SCORE:
            detail = f"detector unsure ({detected} {score:.4f}); {said}"
            return note(
                Reason.LANGUAGE_STATED_USED,
                detail,
                language=stated,
                language_score=None,
                language_stated=stated,
            )
        detail = f"detected {detected} {score:.4f}; {said}"
        trusted = self.settings.get("language_mismatch", "hold")
        if trusted == "detected":
            return note(
                Reason.LANGUAGE_MISMATCH, f"{detail}; detected trusted", language_stated=stated
            )
        if trusted == "stated":
            return note(
                Reason.LANGUAGE_MISMATCH,
                f"{detail}; stated trusted",
                language=stated,
                language_score=None,
                language_stated=stated,
            )
        return hold(Reason.LANGUAGE_MISMATCH, detail, language_stated=stated)
