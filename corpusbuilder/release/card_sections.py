"""The sections of the dataset card's body, each a list of markdown lines rendered from the frozen
release alone: how to use it, its structure, its sources, its curation, personal information,
limitations and citation. A release frozen before a fact existed (no `curation` in its counts)
shows what it has and says what it lacks.
"""

from __future__ import annotations

import json
import re

from corpusbuilder.ledger import ReleaseRecord
from corpusbuilder.reasons import Status
from corpusbuilder.release import dataset_info, layout, shards

PLACEHOLDER_REPO = "ORG/NAME"


def tag(release: ReleaseRecord) -> str:
    """The Hub tag a release is published under."""
    return f"v{release.version}"


def _curation(release: ReleaseRecord) -> dict | None:
    return release.counts.get("curation")


def repo_id(release: ReleaseRecord) -> str:
    return (_curation(release) or {}).get("repo_id") or PLACEHOLDER_REPO


def usage(release: ReleaseRecord, extra: dict[str, str]) -> list[str]:
    repo, revision = repo_id(release), tag(release)
    largest = max(sorted(release.counts["configs"]), key=release.counts["configs"].get)
    lines = [
        "## How to use", "",
        f"Each language is a config, and `{layout.ALL_CONFIG}` holds every one of them. Load a"
        f" release at its tag (`{revision}`), so that the data does not change under you:", "",
        "```python", "from datasets import load_dataset", "",
        f'ds = load_dataset("{repo}", "{largest}", split="train", revision="{revision}")',
        "# every language, streamed instead of downloaded first",
        f'ds = load_dataset("{repo}", "{layout.ALL_CONFIG}", split="train", streaming=True,'
        f' revision="{revision}")',
    ]  # fmt: skip
    if layout.PROVENANCE in extra:
        lines += [
            "# one provenance row per document: licence evidence verbatim, decisions, filter"
            " measurements, duplicates",
            f'prov = load_dataset("{repo}", "{layout.PROVENANCE}", split="train",'
            f' revision="{revision}")',
        ]
    lines += ["```"]
    if repo == PLACEHOLDER_REPO:
        lines += ["", f"Replace `{PLACEHOLDER_REPO}` with the Hub repo this release is in."]
    lines += ["", f"`{layout.CROISSANT}` describes the same files in Croissant 1.1 (with its RAI"
              " fields), for tools that read it (`mlcroissant`)."]  # fmt: skip
    return lines


def structure(release: ReleaseRecord, extra: dict[str, str]) -> list[str]:
    lines = [
        "## Dataset structure", "",
        "One split, `train`, per config. Every row of a language config has these columns:", "",
        "| column | type | meaning |", "|---|---|---|",
    ]  # fmt: skip
    for field in shards.SCHEMA:
        dtype = dataset_info.features()[field.name].dtype
        lines.append(f"| `{field.name}` | {dtype} | {dataset_info.COLUMNS[field.name]} |")
    lines += ["", "| config | documents | files |", "|---|---:|---|"]
    configs = release.counts["configs"]
    for config in sorted(configs):
        lines.append(f"| {config} | {configs[config]} | `{layout.config_glob(config)}` |")
    total = release.counts["documents"]
    lines.append(f"| {layout.ALL_CONFIG} | {total} | `{layout.all_glob()}` |")
    for name, glob in sorted(extra.items()):
        lines.append(f"| {name} | | `{glob}` |")
    return lines


def _terms(terms: list[dict]) -> str:
    if not terms:
        return "stated on each item (see each row's provenance)"
    return "; ".join(
        f"“{t['statement']}”" + (f" (<{t['url']}>)" if t["url"] else "") for t in terms
    )


def sources(release: ReleaseRecord) -> list[str]:
    curation = _curation(release)
    if curation is None:
        return []
    kept = _kept_by_source(release.counts["funnel"])
    lines = ["## Sources", ""]
    for name, facts in sorted(curation["sources"].items()):
        adapter = f"`{facts['adapter']}` adapter {facts['adapter_version']}"
        lines += [
            f"### {name}", "",
            facts["description"] or f"Read by the {adapter}.", "",
            f"- read by: the {adapter}",
            f"- terms of the collection: {_terms(facts['terms'])}",
            f"- documents released: {kept.get(name, 0)}", "",
        ]  # fmt: skip
    return lines[:-1]


def _kept_by_source(funnel: list) -> dict[str, int]:
    kept: dict[str, int] = {}
    for source, _language, status, _reason, count in funnel:
        if status == Status.KEPT:
            kept[source] = kept.get(source, 0) + count
    return kept


def _value(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def curation(release: ReleaseRecord) -> list[str]:
    facts = _curation(release)
    if facts is None:
        missing = "This release was frozen before its curation steps were recorded with it."
        return ["## Curation", "", missing]
    lines = [
        "## Curation", "",
        "Each document went through these steps, in order; deduplication then ran over the"
        " whole corpus: exact duplicates first, then near duplicates on the MinHash signatures."
        " Each decision is recorded with the step's versioned name and the measured value.", "",
        "| step | version | stage | what it does |", "|---|---|---|---|",
    ]  # fmt: skip
    for step in facts["steps"]:
        lines.append(
            f"| `{step['name']}` | {step['version']} | {step['stage']} | {step['description']} |"
        )
    lines += ["", "Settings and thresholds, as they were when the release was frozen:", ""]
    for step in facts["steps"]:
        settings = step["settings"] or {}
        found = ", ".join(f"`{k}`: {_value(v)}" for k, v in sorted(settings.items()))
        lines.append(f"- `{step['name']}`: {found or 'no settings'}")
    lines += ["", f"Keep policy of deduplication: {facts['keep_policy']}."]
    return lines


def reasons(release: ReleaseRecord) -> list[str]:
    facts = _curation(release)
    if not facts or not facts["reasons"]:
        return []
    lines = [
        "What each exclusion reason means:", "",
        "| outcome | reason | decided by | meaning |", "|---|---|---|---|",
    ]  # fmt: skip
    for r in facts["reasons"]:
        decider = f"`{r['component']}`" if r["component"] else "-"
        lines.append(f"| {r['outcome']} | `{r['reason']}` | {decider} | {r['meaning']} |")
    return lines


def personal_information(release: ReleaseRecord) -> list[str]:
    facts = _curation(release)
    steps = {s["stage"]: s for s in facts["steps"]} if facts else {}
    lines = ["## Personal information", ""]
    if facts is None:
        lines.append(
            "Whether PII was redacted was not recorded with this release (frozen before its"
            " curation steps were); each document's decisions say."
        )
    elif "pii" in steps:
        kinds = steps["pii"]["settings"].get("placeholders", {})
        shown = ", ".join(f"{kind.replace('_', ' ')} → `{p}`" for kind, p in sorted(kinds.items()))
        lines.append(
            f"`{steps['pii']['name']}` replaced what looked like personal contact data in the"
            f" texts by placeholders ({shown}); the provenance records how many of each were"
            " replaced. It is a pattern matcher: names, postal addresses and contact data in"
            " unusual forms remain."
        )
    else:
        lines.append("No PII redaction step ran: the texts are as published at their origin.")
    lines += ["", "`creator` names the authors, as the sources credit them, for attribution."]
    return lines


def limitations(release: ReleaseRecord) -> list[str]:
    return [
        "## Limitations", "",
        "- Licences are those the sources state; a wrong statement at the source is a wrong"
        " licence here. The verbatim evidence travels with each document, so it can be checked.",
        "- Language identification is statistical: short or mixed texts may carry the wrong"
        " language, and texts it could not decide are in the `und` config.",
        "- The quality filters are heuristics tuned on prose; they remove some good text and"
        " keep some poor text. Their thresholds are listed under Curation.",
        "- Near-duplicate detection estimates similarity; copies edited beyond its threshold"
        " remain.",
        "- The texts reflect their sources' eras, places and points of view, including their"
        " biases.",
        "- To have a document removed, ask the publisher: a takedown removes it from the next"
        " release.",
    ]  # fmt: skip


def citation(release: ReleaseRecord, name: str) -> list[str]:
    key = re.sub(r"[^a-z0-9]+", "_", f"{name} {release.version}".lower()).strip("_")
    url = f"https://huggingface.co/datasets/{repo_id(release)}"
    return [
        "## Citation", "",
        "```bibtex",
        f"@misc{{{key},",
        f"  title = {{{{{name}}}}},",
        f"  note = {{Release {release.version}, built with corpusbuilder}},",
        f"  year = {{{release.created_at.year}}},",
        f"  howpublished = {{\\url{{{url}/tree/{tag(release)}}}}}",
        "}",
        "```",
    ]  # fmt: skip
