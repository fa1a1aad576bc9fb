"""Publishing a release: to a folder datasets opens, and to the Hub through the loopback hub.

huggingface_hub and datasets read HF_ENDPOINT, HF_HOME and the token when they are imported, and
pytest imports every test module in one process, so everything that talks to the loopback hub with
the real client runs in one subprocess (`python -m tests.test_publish PLAN`) whose environment
points at the server; the server itself runs in this process, where the tests inspect its state.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from corpusbuilder.ledger import ReleaseRecord
from corpusbuilder.release import manifest
from corpusbuilder.release.publish import PublishError, publish_to_folder
from corpusbuilder.release.shards import SCHEMA
from corpusbuilder.release.versions import VersionError

REPO_ROOT = Path(__file__).resolve().parents[1]
TOKEN = "hf_loopback_secret_7f3a"
REPO_ID = "corpus-org/open-text"
LOADS = [("v1.0.0", "fr"), ("v1.0.0", "de"), ("v1.0.0", "en"), ("v1.1.0", "fr"), ("v1.1.0", "en")]


def make_rows(lang: str, count: int) -> list[dict]:
    rows = []
    for i in range(count):
        text = f"{lang} texte numéro {i} — « ouvert » ✓\nligne deux"
        rows.append(
            {"id": f"gutenberg/{lang}{i}", "text": text, "source": "gutenberg"}
            | {"url": f"https://example.org/{lang}/{i}", "title": f"Titre {i}", "creator": None}
            | {"date": f"18{i:02d}", "language": lang, "language_score": 0.5 + i / 1000}
            | {"licence": "public-domain", "licence_url": None}
            | {"text_sha256": hashlib.sha256(text.encode()).hexdigest()}
            | {"chars": len(text), "words": len(text.split())}
        )
    return rows


def write_release(
    root: Path, version: str, sizes: dict[str, list[int]], croissant: bool = False
) -> dict[str, list[dict]]:
    """A release folder like release.py writes: shards per language, a card listing configs."""
    rows, configs = {}, []
    for lang, shard_sizes in sizes.items():
        rows[lang] = make_rows(lang, sum(shard_sizes))
        start = 0
        for k, size in enumerate(shard_sizes):
            path = root / f"data/{lang}/train-{k:05d}-of-{len(shard_sizes):05d}.parquet"
            path.parent.mkdir(parents=True, exist_ok=True)
            part = rows[lang][start : start + size]
            pq.write_table(pa.Table.from_pylist(part, schema=SCHEMA), path)
            start += size
        configs.append(f"- config_name: {lang}\n  data_files:\n")
        configs.append(f"  - split: train\n    path: data/{lang}/train-*.parquet\n")
    card = f"---\nlicense: other\nconfigs:\n{''.join(configs)}---\n# Open text v{version}\n"
    (root / "README.md").write_text(card, encoding="utf-8")
    (root / "ATTRIBUTION.md").write_text(f"# Attribution for v{version}\n", encoding="utf-8")
    if croissant:
        (root / "croissant.json").write_text(json.dumps({"version": version}), encoding="utf-8")
    write_manifest(root, version)
    return rows


def write_manifest(root: Path, version: str) -> None:
    """manifest.json as the release writes it, naming every other file of `root`."""
    release = ReleaseRecord(
        version=version,
        parent=None,
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        policy_hash="p" * 64,
        config_hash="c" * 64,
        manifest_hash="m" * 64,
        counts={"documents": 0},
    )
    files = manifest.digest_tree(root)
    (root / manifest.NAME).write_text(manifest.render(release, files), encoding="utf-8")


V1 = {"fr": [3, 2], "de": [2], "en": [1]}
V1_1 = {"fr": [4], "en": [2]}


def load_folder(dest: Path, config: str, cache: Path) -> list[dict]:
    import datasets

    return datasets.load_dataset(str(dest), config, split="train", cache_dir=str(cache)).to_list()


def test_folder_release_loads_with_datasets(tmp_path):
    rows = write_release(tmp_path / "rel", "1.0.0", V1)
    done = publish_to_folder(tmp_path / "rel", tmp_path / "out", "1.0.0")
    assert (done.commit, done.tag, done.files) == (None, None, 7)  # 4 shards, 2 .md, manifest
    assert load_folder(tmp_path / "out", "fr", tmp_path / "cache") == rows["fr"]
    assert load_folder(tmp_path / "out", "de", tmp_path / "cache") == rows["de"]


def test_folder_next_release_replaces_and_prunes(tmp_path):
    write_release(tmp_path / "v1", "1.0.0", V1, croissant=True)
    rows = write_release(tmp_path / "v11", "1.1.0", V1_1)
    publish_to_folder(tmp_path / "v1", tmp_path / "out", "1.0.0")
    assert (tmp_path / "out/croissant.json").is_file()
    (tmp_path / "out/NOTES.txt").write_text("the owner's file")
    publish_to_folder(tmp_path / "v11", tmp_path / "out", "1.1.0")
    left = sorted(p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*"))
    assert left == [
        "ATTRIBUTION.md",
        "NOTES.txt",
        "README.md",
        "data",
        "data/en",
        "data/en/train-00000-of-00001.parquet",
        "data/fr",
        "data/fr/train-00000-of-00001.parquet",
        "manifest.json",
    ]
    assert "v1.1.0" in (tmp_path / "out/README.md").read_text()
    assert load_folder(tmp_path / "out", "fr", tmp_path / "cache") == rows["fr"]


def _remanifest(damage):
    """The damage, then a manifest.json naming the damaged files: only the card is wrong."""

    def damage_card(root: Path) -> None:
        damage(root)
        write_manifest(root, "1.0.0")

    return damage_card


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (
            _remanifest(
                lambda r: (r / "data/xx").mkdir() or (r / "data/xx/a.parquet").write_bytes(b"x")
            ),
            "data/xx/a.parquet belongs to no config",
        ),
        (_remanifest(lambda r: (r / "README.md").write_text("# none\n")), "lists no configs"),
        (
            _remanifest(lambda r: (r / "README.md").write_text("---\nconfigs: [\n---\n")),
            "not valid YAML",
        ),
        (lambda r: (r / "README.md").unlink(), "no README.md or no manifest.json"),
        (lambda r: (r / "manifest.json").unlink(), "no README.md or no manifest.json"),
        (
            lambda r: (r / "ATTRIBUTION.md").write_text("longer than before"),
            r"does not match its manifest.json \(ATTRIBUTION.md\): run `corpusbuilder release",
        ),
        (lambda r: (r / "notes.txt").write_text("x"), r"manifest.json \(notes.txt\)"),
    ],
)
def test_inconsistent_release_is_refused_before_writing(tmp_path, damage, message):
    write_release(tmp_path / "rel", "1.0.0", {"fr": [1]})
    damage(tmp_path / "rel")
    with pytest.raises(PublishError, match=message):
        publish_to_folder(tmp_path / "rel", tmp_path / "out", "1.0.0")
    assert not (tmp_path / "out").exists()


def test_bad_version_and_destination_are_refused(tmp_path):
    write_release(tmp_path / "rel", "1.0.0", {"fr": [1]})
    with pytest.raises(VersionError, match="without the leading 'v'"):
        publish_to_folder(tmp_path / "rel", tmp_path / "out", "v1.0.0")
    with pytest.raises(PublishError, match="outside the release folder"):
        publish_to_folder(tmp_path / "rel", tmp_path / "rel/out", "1.0.0")


# --- the Hub, through the loopback server ---------------------------------------------------------


def run_client(plan: dict) -> dict:
    """The subprocess side: publish, republish, publish the next release, read everything back."""
    from datasets import load_dataset
    from huggingface_hub import HfApi

    from corpusbuilder.release.publish_hub import publish_to_hub

    out = {"first": asdict(publish_to_hub(Path(plan["v1"]), REPO_ID, "1.0.0"))}
    out["again"] = asdict(publish_to_hub(Path(plan["v1"]), REPO_ID, "1.0.0"))
    out["second"] = asdict(publish_to_hub(Path(plan["v1_1"]), REPO_ID, "1.1.0"))
    api = HfApi()
    out["tags"] = {
        t.name: t.target_commit for t in api.list_repo_refs(REPO_ID, repo_type="dataset").tags
    }
    out["files"] = {
        tag: sorted(api.list_repo_files(REPO_ID, repo_type="dataset", revision=tag))
        for tag in ("v1.0.0", "v1.1.0")
    }
    out["rows"] = {
        f"{tag}/{config}": load_dataset(REPO_ID, config, revision=tag, split="train").to_list()
        for tag, config in LOADS
    }
    try:
        load_dataset(REPO_ID, "de", revision="v1.1.0", split="train")
    except ValueError as err:
        out["removed_config"] = str(err)
    return out | _refused(Path(plan["v9"]))


def _refused(release: Path) -> dict[str, str]:
    """What publishing says with a wrong token, and with none at all (HF_TOKEN unset)."""
    from corpusbuilder.release.publish_hub import publish_to_hub

    out = {}
    for case, token in (("wrong_token", "hf_wrong_token_0000"), ("no_token", None)):
        if token is None:
            del os.environ["HF_TOKEN"]
        try:
            publish_to_hub(release, REPO_ID, "9.0.0", token=token)
        except PublishError as err:
            out[case] = str(err)
    return out


@pytest.fixture(scope="module")
def hub():
    from tests.hub_server import HubServer

    with HubServer(TOKEN, page_size=2) as server:
        yield server


@pytest.fixture(scope="module")
def published(hub, tmp_path_factory):
    """One client run against the hub; the tests below each check one part of what it did."""
    root = tmp_path_factory.mktemp("hub")
    rows = {"v1.0.0": write_release(root / "v1", "1.0.0", V1, croissant=True)}
    rows["v1.1.0"] = write_release(root / "v1_1", "1.1.0", V1_1)
    write_release(root / "v9", "9.0.0", V1_1)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGING_FACE"))}
    env |= {"HF_ENDPOINT": hub.endpoint, "HF_TOKEN": TOKEN, "HF_HOME": str(root / "hf_home")}
    env |= {"HF_HUB_DISABLE_XET": "1", "HF_HUB_DISABLE_TELEMETRY": "1", "NO_PROXY": "127.0.0.1"}
    plan = json.dumps({name: str(root / name) for name in ("v1", "v1_1", "v9")})
    proc = subprocess.run(
        [sys.executable, "-m", "tests.test_publish", plan],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.splitlines()[-1]), rows, proc


def test_hub_release_reads_back_every_row(published):
    out, rows, _ = published
    for tag, config in LOADS:
        assert out["rows"][f"{tag}/{config}"] == rows[tag][config], (tag, config)


def test_hub_release_is_one_tagged_commit_holding_every_file(published, hub):
    out, _, _ = published
    repo = hub.hub.repos[("dataset", REPO_ID)]
    first = repo.commits[out["first"]["commit"]]
    initial = repo.commits[first.parent]
    assert initial.parent is None and set(initial.files) == {".gitattributes"}
    assert set(first.files) - set(initial.files) == {
        "README.md",
        "manifest.json",
        "ATTRIBUTION.md",
        "croissant.json",
        "data/fr/train-00000-of-00002.parquet",
        "data/fr/train-00001-of-00002.parquet",
        "data/de/train-00000-of-00001.parquet",
        "data/en/train-00000-of-00001.parquet",
    }
    assert all(first.files[p].lfs for p in first.files if p.endswith(".parquet"))
    assert out["tags"] == {"v1.0.0": first.oid, "v1.1.0": out["second"]["commit"]}
    assert {k: v for k, v in out["first"].items() if k != "plan"} == {
        "target": REPO_ID,
        "commit": first.oid,
        "tag": "v1.0.0",
        "url": f"{hub.endpoint}/datasets/{REPO_ID}/tree/v1.0.0",
        "files": 8,
        "already": False,
        "dry_run": False,
    }
    assert out["first"]["plan"]["keep"] == []  # planned before the repo existed
    assert out["first"]["plan"]["write"][-1] == "manifest.json"  # last: it names what is ours


def test_hub_publishing_a_version_twice_is_already_published(published, hub):
    out, _, _ = published
    again = out["again"]
    assert (again["already"], again["commit"], again["tag"]) == (
        True,
        out["first"]["commit"],
        "v1.0.0",
    )
    assert again["plan"]["write"] == [] and again["plan"]["delete"] == []
    assert len(hub.hub.repos[("dataset", REPO_ID)].commits) == 3  # initial, v1.0.0, v1.1.0


def test_hub_next_version_drops_removed_config_and_keeps_old_tag(published, hub):
    out, _, _ = published
    second = hub.hub.repos[("dataset", REPO_ID)].commits[out["second"]["commit"]]
    assert second.parent == out["first"]["commit"]
    assert out["files"]["v1.1.0"] == [
        ".gitattributes",
        "ATTRIBUTION.md",
        "README.md",
        "data/en/train-00000-of-00001.parquet",
        "data/fr/train-00000-of-00001.parquet",
        "manifest.json",
    ]  # croissant.json and the de and fr shards of 1.0.0 deleted: its manifest names them
    assert out["second"]["plan"]["delete"] == [
        "croissant.json",
        "data/de/train-00000-of-00001.parquet",
        "data/fr/train-00000-of-00002.parquet",
        "data/fr/train-00001-of-00002.parquet",
    ]
    assert "data/de/train-00000-of-00001.parquet" in out["files"]["v1.0.0"]
    assert "data/fr/train-00001-of-00002.parquet" in out["files"]["v1.0.0"]
    assert "croissant.json" in out["files"]["v1.0.0"]
    assert "'de'" in out["removed_config"] and "'fr'" in out["removed_config"]


def test_hub_refuses_a_wrong_or_missing_token_clearly(published, hub):
    out, _, _ = published
    assert out["wrong_token"] == (
        f"the Hub refused the token: it needs write access to {REPO_ID} (`hf auth login`)"
    )
    assert out["no_token"] == "no Hugging Face token: set HF_TOKEN or run `hf auth login`"
    assert "v9.0.0" not in hub.hub.repos[("dataset", REPO_ID)].tags


def test_hub_client_followed_pagination_and_never_printed_the_token(published, hub):
    _, _, proc = published
    assert TOKEN not in proc.stdout + proc.stderr
    assert any("cursor=" in path for _, path, status in hub.hub.log if status == 200)
    assert not [entry for entry in hub.hub.log if entry[2] >= 500]


if __name__ == "__main__":
    print(json.dumps(run_client(json.loads(sys.argv[1]))))
