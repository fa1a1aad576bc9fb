"""croissant.json: the release described in Croissant 1.1 with its Responsible AI fields, for tools
that read it (`mlcroissant`, dataset search engines). Record sets per language config and for
`all`; the per-record licence is a field (`licence_url` is the record's schema.org `license`);
collection, preprocessing (language, filters with their thresholds, PII, dedup and its keep
policy) and provenance (PROV) come from the facts frozen with the release, so the file is the
same every time it is written.
"""

from __future__ import annotations

import json

from corpusbuilder.ledger import ReleaseRecord
from corpusbuilder.release import card_sections, dataset_info, layout, shards

CONFORMS_TO = "http://mlcommons.org/croissant/1.1"
CONTEXT = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "containedIn": "cr:containedIn",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "prov": "http://www.w3.org/ns/prov#",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}
DATA_TYPES = {"string": "sc:Text", "large_string": "sc:Text", "double": "sc:Float"}
DATA_TYPES |= {"int64": "sc:Integer"}
PARQUET = "application/x-parquet"


def _field(record_set: str, file_set: str, column) -> dict:
    field = {
        "@type": "cr:Field",
        "@id": f"{record_set}/{column.name}",
        "name": column.name,
        "description": dataset_info.COLUMNS[column.name],
        "dataType": DATA_TYPES[str(column.type)],
        "source": {"fileSet": {"@id": file_set}, "extract": {"column": column.name}},
    }
    if column.name == "licence_url":  # the licence of this record, not of the dataset
        field["equivalentProperty"] = "sc:license"
    return field


def _record_set(name: str, glob: str, documents: int) -> tuple[dict, dict]:
    """(the FileSet of a config's shards, its RecordSet)."""
    file_set = f"files-{name}"
    files = {
        "@type": "cr:FileSet",
        "@id": file_set,
        "name": file_set,
        "description": f"the Parquet shards of config {name}",
        "encodingFormat": PARQUET,
        "includes": glob,
    }
    records = {
        "@type": "cr:RecordSet",
        "@id": name,
        "name": name,
        "description": f"config {name}: {documents} documents, one per record",
        "key": {"@id": f"{name}/id"},
        "field": [_field(name, file_set, column) for column in shards.SCHEMA],
    }
    return files, records


def _sets(release: ReleaseRecord) -> tuple[list, list]:
    configs = release.counts["configs"]
    pairs = [_record_set(c, layout.config_glob(c), configs[c]) for c in sorted(configs)]
    pairs.append(_record_set(layout.ALL_CONFIG, layout.all_glob(), release.counts["documents"]))
    return [files for files, _ in pairs], [records for _, records in pairs]


def _settings(step: dict) -> str:
    settings = json.dumps(step["settings"], ensure_ascii=False, sort_keys=True)
    what = step["description"].rstrip(".")
    return f"{step['name']} (v{step['version']}, {step['stage']}): {what}. Settings: {settings}"


def _rai(release: ReleaseRecord) -> dict:
    """The RAI fields; those describing curation only when the release froze its steps."""
    curation = release.counts.get("curation")
    found = {
        "rai:dataCollectionType": ["Secondary data collected from open collections"],
        "rai:dataUseCases": ["Pretraining and evaluating language models on open-licence text."],
        "rai:dataLimitations": [line[2:] for line in card_sections.limitations(release)[2:]],
        "rai:dataBiases": [
            "The texts reflect their sources' eras, places and points of view; languages are"
            " represented as the sources hold them, not evenly."
        ],
        "rai:dataReleaseMaintenancePlan": (
            "Versioned, frozen releases, each tagged on the Hub; a takedown request removes the"
            " document from the next release, and each release lists its changes."
        ),
    }
    if curation is None:
        return found
    sources = curation["sources"]
    found["rai:dataCollection"] = " ".join(
        f"{name}: {s['description'] or 'read'} (adapter {s['adapter']} {s['adapter_version']})."
        for name, s in sorted(sources.items())
    )
    found["rai:dataCollectionRawData"] = (
        "Each document was stored with its origin URL and every licence statement found, "
        "verbatim, with where and when it was read."
    )
    found["rai:dataPreprocessingProtocol"] = [_settings(step) for step in curation["steps"]]
    found["rai:dataPreprocessingProtocol"].append(f"Keep policy: {curation['keep_policy']}.")
    found["rai:personalSensitiveInformation"] = " ".join(
        filter(None, card_sections.personal_information(release)[2:])
    )
    return found


def _prov(release: ReleaseRecord) -> dict:
    """PROV: the sources the dataset was derived from and the activities that made it."""
    curation = release.counts.get("curation")
    if curation is None:
        return {}
    derived = [
        {
            "@type": "prov:Entity",
            "prov:label": name,
            "description": s["description"] or f"read by the {s['adapter']} adapter",
            "prov:atLocation": [t["url"] for t in s["terms"] if t["url"]],
        }
        for name, s in sorted(curation["sources"].items())
    ]
    activities = [
        {
            "@type": "prov:Activity",
            "prov:label": f"{step['stage']}: {step['name']}",
            "description": _settings(step),
            "prov:wasAssociatedWith": {
                "@type": "prov:SoftwareAgent",
                "prov:label": f"corpusbuilder {step['name']} v{step['version']}",
            },
        }
        for step in curation["steps"]
    ]
    return {"prov:wasDerivedFrom": derived, "prov:wasGeneratedBy": activities}


def render(release: ReleaseRecord) -> str:
    """croissant.json of a frozen release."""
    facts = release.counts["card"]
    repo = (release.counts.get("curation") or {}).get("repo_id")
    files, records = _sets(release)
    document = {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "conformsTo": CONFORMS_TO,
        "name": facts["name"],
        "description": facts["description"] or "An open-licence text corpus.",
        "license": sorted({lic["url"] for lic in facts["licences"].values()}),
        **({"url": f"https://huggingface.co/datasets/{repo}"} if repo else {}),
        "version": release.version,
        "datePublished": release.created_at.date().isoformat(),
        "citeAs": "\n".join(card_sections.citation(release, facts["name"])[3:-1]),
        "inLanguage": sorted(release.counts["configs"]),
        "distribution": files,
        "recordSet": records,
        **_rai(release),
        **_prov(release),
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
