"""Imported in the forkserver the curation workers start from (`LanguageStep.preload`): both
identifiers' read-only models are read there once, so the workers share their pages instead of
each keeping its own (~50 MiB) and paying the peak of reading langdetect's profiles (~110 MiB).
The word table is not built here: each worker fills its own."""

from __future__ import annotations

from corpusbuilder.curate import langid_ft, langid_nb

langid_nb.profiles()
langid_ft._model()
