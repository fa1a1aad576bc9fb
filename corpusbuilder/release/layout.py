"""The release layout, in one place: where each file of a release lives and which files each
config of the dataset card reads. Shards, card, provenance, publish and verify all ask here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

README = "README.md"
LICENSE = "LICENSE.md"
MANIFEST = "manifest.json"
DATA = "data"
SIGNATURES = "signatures/minhash-00000-of-00001.parquet"  # for `lookup` from the Hub
ALL_CONFIG = "all"  # every language config together
CHANGELOG = "CHANGELOG.md"
ATTRIBUTION = "ATTRIBUTION.md"
PROVENANCE = "provenance"  # config and folder: one provenance row per released document
DECISIONS = "decisions"  # config and folder: what was removed, per source × stage × reason
DECISIONS_SHARD = f"{DECISIONS}/train-00000-of-00001.parquet"
SHAREALIKE = "-sharealike"  # suffix of a language config holding its share-alike documents
CROISSANT = "croissant.json"  # Croissant 1.1 metadata with RAI fields
FUNNEL_FIGURE = "funnel.svg"  # the funnel per source, shown by the card
# Rows a row group of the provenance and signature files: ~33 MB of provenance (~3.3 KB a row),
# ~5 MB of signatures, so writing holds one group, and the Hub's viewer reads groups well under
# its ~100 MB; releases of at most this many rows keep the bytes of one group per file.
ROW_GROUP_ROWS = 10_000

CONFIG = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


def check_config(config: str) -> str:
    """A config names a folder of the release, so it must be a plain name."""
    if not CONFIG.fullmatch(config):
        raise ValueError(
            f"language config {config!r} cannot name a folder of the release: use letters,"
            " digits, '-' and '_' (a language code such as 'fr' or 'pt-BR')"
        )
    return config


def shard_path(config: str, index: int, count: int) -> str:
    """`data/<config>/train-0000K-of-0000N.parquet`."""
    return f"{DATA}/{check_config(config)}/train-{index:05d}-of-{count:05d}.parquet"


def config_glob(config: str) -> str:
    """The files of one data config, as the card's `configs:` names them."""
    return f"{DATA}/{check_config(config)}/train-*.parquet"


def all_glob() -> str:
    """The files of the `all` config: every data config's shards."""
    return f"{DATA}/*/train-*.parquet"


def is_data(path: str) -> bool:
    return path.startswith(f"{DATA}/")


def provenance_path(index: int, count: int) -> str:
    """`provenance/train-0000K-of-0000N.parquet`."""
    return f"{PROVENANCE}/train-{index:05d}-of-{count:05d}.parquet"


def is_config_file(path: str) -> bool:
    """A file that a config of the card reads (data, provenance or decisions)."""
    return path.startswith((f"{DATA}/", f"{PROVENANCE}/", f"{DECISIONS}/"))


def extra_configs(files: Iterable[str]) -> dict[str, str]:
    """The configs of a release besides its language ones, config name → glob, for the card:
    `provenance` and `decisions` when the release has them (releases frozen before they
    existed do not)."""
    found = {path.split("/", 1)[0] for path in files}
    return {name: f"{name}/train-*.parquet" for name in (PROVENANCE, DECISIONS) if name in found}
