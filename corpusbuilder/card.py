"""The dataset card (README.md) of a release: Hub metadata in YAML, then the licence table and the
funnel. Rendered only from the frozen release, so it is the same every time it is written.
"""

from __future__ import annotations

import re

import yaml

from corpusbuilder import stats
from corpusbuilder.config import CorpusConfig
from corpusbuilder.ledger.models import Release
from corpusbuilder.licences import Policy

SIZE_CATEGORIES = [
    (1_000, "n<1K"),
    (10_000, "1K<n<10K"),
    (100_000, "10K<n<100K"),
    (1_000_000, "100K<n<1M"),
    (10_000_000, "1M<n<10M"),
    (100_000_000, "10M<n<100M"),
]


def size_category(count: int) -> str:
    return next((name for bound, name in SIZE_CATEGORIES if count < bound), "n>100M")


def _licence_metadata(licences: list[str], policy: Policy) -> dict:
    hub_ids = sorted({policy.get(lic).hub_id for lic in licences})
    metadata: dict = {"license": hub_ids}
    others = sorted(lic for lic in licences if policy.get(lic).hub_id == "other")
    if others:
        metadata["license_name"] = "-and-".join(
            re.sub(r"[^a-z0-9.]+", "-", o.lower()) for o in others
        )
        metadata["license_link"] = "LICENSE.md"
    return metadata


def front_matter(config: CorpusConfig, release: Release, policy: Policy) -> dict:
    configs = release.counts["configs"]
    largest = max(sorted(configs), key=lambda c: configs[c])
    metadata = {
        **_licence_metadata(sorted(release.counts["licences"]), policy),
        "language": sorted(c for c in configs if c != "und"),
        "size_categories": [size_category(release.counts["documents"])],
        "task_categories": ["text-generation"],
        "pretty_name": config.name,
        "configs": [
            {
                "config_name": c,
                "data_files": [{"split": "train", "path": f"data/{c}/train-*.parquet"}],
            }
            | ({"default": True} if c == largest else {})
            for c in sorted(configs)
        ],
    }
    return metadata


def _licence_table(release: Release, policy: Policy) -> list[str]:
    lines = [
        "| licence | name | Hub id | documents | attribution | share-alike |",
        "|---|---|---|---:|---|---|",
    ]
    for licence_id, count in sorted(release.counts["licences"].items()):
        lic = policy.get(licence_id)
        lines.append(
            f"| [{lic.id}]({lic.url}) | {lic.name} | {lic.hub_id} | {count} | "
            f"{'yes' if lic.attribution else 'no'} | {'yes' if lic.share_alike else 'no'} |"
        )
    return lines


INTRO = (
    "Every document is public domain or under an open licence allowed by the corpus policy. "
    "Each row carries its origin `url`, its `licence` and `licence_url`; the verbatim licence "
    "evidence and every decision taken about the document are in the provenance ledger "
    "(`corpusbuilder audit <id>`)."
)


def _summary(release: Release) -> str:
    counts = release.counts
    configs = ", ".join(f"{c}: {n}" for c, n in sorted(counts["configs"].items()))
    return (
        f"Release **{release.version}**: {counts['documents']} documents, {counts['chars']} "
        f"characters, in {len(counts['configs'])} language configs ({configs})."
    )


def _reproducibility(release: Release) -> list[str]:
    lines = [
        f"- manifest sha256: `{release.manifest_hash}`",
        f"- licence policy sha256: `{release.policy_hash}`",
        f"- curation config sha256: `{release.config_hash}`",
        f"- parent release: {release.parent or 'none'}",
    ]
    if "diff" in release.counts:
        diff = release.counts["diff"]
        lines.append(
            f"- changes since {diff['parent']}: +{diff['added']} documents, "
            f"-{diff['removed']}, {diff['changed']} texts changed"
        )
    return lines


def render(config: CorpusConfig, release: Release, policy: Policy) -> str:
    """The README.md of a release."""
    description = config.description or "An open-licence text corpus built with corpusbuilder."
    body = [
        f"# {config.name}", "", description, "", _summary(release), "", INTRO, "",
        "## Licences", "", *_licence_table(release, policy), "",
        "## Funnel", "", "Every item the sources yielded, and where it ended when frozen.", "",
        *stats.markdown(release.counts["funnel"]), "",
        "## Reproducibility", "", *_reproducibility(release),
    ]  # fmt: skip
    header = yaml.safe_dump(
        front_matter(config, release, policy), sort_keys=False, allow_unicode=True
    )
    return f"---\n{header}---\n\n" + "\n".join(body) + "\n"


def render_licences(release: Release, policy: Policy) -> str:
    """LICENSE.md: the licences present, each with its text's URL; a row's own is in `licence`."""
    lines = [
        "# Licences", "",
        "Each document of this dataset is under the licence named in its `licence` column (the "
        "licence's text is at `licence_url`). Documents under attribution licences credit their "
        "authors through `creator`, `title` and `url`.", "",
    ]  # fmt: skip
    for licence_id in sorted(release.counts["licences"]):
        lic = policy.get(licence_id)
        lines.append(f"- **{lic.id}** — {lic.name}: <{lic.url}>")
    return "\n".join(lines) + "\n"
