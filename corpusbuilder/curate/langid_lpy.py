"""The third identifier: langid.py's naive Bayes over byte n-grams (97 languages), as shipped.

Why a third: langdetect's profiles lack Latin, Basque and Irish, and fastText's lite model reads
short sentences in them poorly, so a short Latin sentence the two cannot agree on was `und`
(2.6 % of Latin on the reported half); and a language neither knows that fastText spreads over
two neighbours (Bislama: Finnish and Estonian) kept a neighbour's label. langid.py models the
heritage languages well and knows a few languages the other two lack (Zulu, Xhosa, Quechua,
Kinyarwanda…), so it is asked about the few texts the two leave in doubt (`langid.identify`).

Why converted: langid.py ships its model as a text pickle of Python lists (29.7 MB, inside its
module), and decoding it builds ~100 MB of Python ints and floats: a worker that met a text in
doubt peaked ~140 MiB higher and kept ~48 MiB. So the model is converted once per machine, by a
process of its own (`convert`, ~5 s), into numpy files in the user's cache (`cache_dir`); every
process then maps them read-only (~8 MB, pages shared) and hands them to langid.py's own
`LanguageIdentifier`, which gives the same answers. Nothing is downloaded: the model ships in
the wheel. Deterministic: naive Bayes over the text's bytes.
"""

from __future__ import annotations

import base64
import bz2
import json
import logging
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np

from corpusbuilder.errors import UserError

CACHE_ENV = "CORPUSBUILDER_CACHE"
log = logging.getLogger(__name__)


class ModelNotConverted(UserError):
    """langid.py's model could not be converted into the cache (a folder the user cannot write)."""


def cache_dir() -> Path:
    """Where the converted model lives: ``$CORPUSBUILDER_CACHE``, else the user's cache
    (``$XDG_CACHE_HOME`` or ``~/.cache``) under ``corpusbuilder/``; one folder per langid.py
    version, so an upgrade converts its own model."""
    root = os.environ.get(CACHE_ENV)
    if not root:
        user = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
        root = Path(user) / "corpusbuilder"
    return Path(root) / f"langid-{version('langid')}"


def convert(target: Path) -> None:
    """Decode langid.py's shipped model and write it to `target` as numpy files.

    Written to a temporary folder beside `target`, then renamed: a reader never sees half a
    model, and of two processes converting at once the first to finish wins."""
    from langid.langid import model

    ptc, pc, classes, nextmove, output = pickle.loads(bz2.decompress(base64.b64decode(model)))
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}-"))
    states = sorted(output)
    np.save(staging / "ptc.npy", np.array(ptc).reshape(-1, len(pc)))
    np.save(staging / "pc.npy", np.array(pc))
    np.save(staging / "nextmove.npy", np.array(nextmove))
    np.save(staging / "states.npy", np.array(states, dtype=np.int64))
    np.save(staging / "ends.npy", np.cumsum([len(output[s]) for s in states], dtype=np.int64))
    np.save(staging / "features.npy", np.array([i for s in states for i in output[s]], np.int64))
    (staging / "classes.json").write_text(json.dumps(list(classes)))
    try:
        staging.rename(target)
    except OSError:  # another process converted it first
        shutil.rmtree(staging)


def converted() -> Path:
    """The converted model's folder, converting it first where this machine has not: in a child
    process, so that the decode's ~100 MB of Python objects never sit in a worker."""
    target = cache_dir()
    if not target.is_dir():
        log.info("converting langid.py's model into %s, once for this machine (~5 s)", target)
        command = [sys.executable, "-m", __name__, str(target)]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode:
            why = (done.stderr.strip().splitlines() or ["no message"])[-1]
            raise ModelNotConverted(
                f"could not convert langid.py's model into {target} ({why}); set "
                f"{CACHE_ENV} to a folder this user can write, or run `{' '.join(command)}`"
            )
    return target


@cache
def _identifier() -> Any:
    """langid.py's identifier over the mapped model (~10 ms; imported in the workers'
    forkserver, `langid_models`, so the workers share it)."""
    from langid.langid import LanguageIdentifier

    folder = converted()
    ptc = np.load(folder / "ptc.npy", mmap_mode="r")
    states, ends, features = (np.load(folder / f"{n}.npy") for n in ("states", "ends", "features"))
    starts = np.concatenate(([0], ends[:-1]))
    output = {
        int(state): tuple(features[start:end].tolist())
        for state, start, end in zip(states, starts, ends, strict=True)
    }
    return LanguageIdentifier(
        ptc,
        np.load(folder / "pc.npy"),
        ptc.shape[0],
        json.loads((folder / "classes.json").read_text()),
        memoryview(np.load(folder / "nextmove.npy", mmap_mode="r")),  # indexed a byte at a time
        output,
        norm_probs=True,
    )


def classify(text: str) -> tuple[str, float]:
    """langid.py's language (ISO 639-1) for `text` and its probability over its 97 languages."""
    language, probability = _identifier().classify(text)
    return language, float(probability)


if __name__ == "__main__":
    convert(Path(sys.argv[1]))
