"""Imported in the forkserver the curation workers start from (`LanguageStep.preload`): the three
identifiers' read-only models are read there once, so the workers share their pages instead of
each keeping its own (~60 MiB) and paying the peak of reading langdetect's profiles (~110 MiB).
langid.py's model is mapped from its converted files (`langid_lpy`), converted first, once per
machine and in a process of its own, where this machine has none. The word table is not built
here: each worker fills its own."""

from __future__ import annotations

from corpusbuilder.curate import langid_ft, langid_lpy, langid_nb

langid_nb.profiles()
langid_ft._model()
langid_lpy._identifier()
