"""The release layout, in one place: where each file of a release lives and which files each
config of the dataset card reads. Shards, card, provenance, publish and verify all ask here.
"""

from __future__ import annotations

import re

README = "README.md"
LICENSE = "LICENSE.md"
MANIFEST = "manifest.json"
DATA = "data"
ALL_CONFIG = "all"  # every language config together

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


def is_data(path: str) -> bool:
    return path.startswith(f"{DATA}/")
