"""Imported in the forkserver the curation workers start from (`LanguageStep.preload`): both
identifiers' read-only models are read there once, so the workers share their pages instead of
each keeping its own (~50 MiB) and paying the peak of reading langdetect's profiles (~110 MiB).
The word table is not built here: each worker fills its own. Nor is langid.py's model
(`langid_lpy`): ~5 s to decode, it is needed only by a worker that meets a text in doubt
(3 of 20,000 bench documents), so each worker loads it on first use."""

from __future__ import annotations

from corpusbuilder.curate import langid_ft, langid_nb

langid_nb.profiles()
langid_ft._model()
