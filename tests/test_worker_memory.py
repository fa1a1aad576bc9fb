"""What curation's workers hold: the steps' modules and read-only models come from their pool's
own forkserver (shared pages, read once), never the main script's imports. Memory itself is
measured in bench/, not here."""

from __future__ import annotations

import multiprocessing.forkserver
import os
import subprocess
import sys
import textwrap

from corpusbuilder import config as corpus_config
from corpusbuilder.curate import langid, langid_nb, pipeline
from corpusbuilder.engines import pool

MAIN_SCRIPT = """
    import os

    with open(os.environ["IMPORTS"], "a") as imports:  # once per process that runs this script
        imports.write(f"{os.getpid()}\\n")

    from corpusbuilder.engines import pool

    if __name__ == "__main__":
        with pool.executor(2, True) as workers:
            pids = {workers.submit(os.getpid).result() for _ in range(4)}
        print(os.getpid(), len(pids - {os.getpid()}))
"""


def test_workers_do_not_rerun_the_main_script(tmp_path):
    """multiprocessing re-runs the main script in each worker by default: the CLI's imports,
    ~130 MiB a worker, for functions that live in importable modules."""
    script, imports = tmp_path / "main_script.py", tmp_path / "imports.txt"
    script.write_text(textwrap.dedent(MAIN_SCRIPT))
    done = subprocess.run(
        [sys.executable, str(script)],
        env=os.environ | {"IMPORTS": str(imports)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    main, workers = done.stdout.split()
    assert int(workers) >= 1  # the tasks ran in workers
    assert imports.read_text().split() == [main]


def test_a_pool_after_another_starts_from_its_own_modules_and_models():
    """A build's ingest starts a forkserver first; curation's workers must not come from it,
    or they import and read langdetect's profiles each on their own."""
    with pool.executor(1, True, preload=["json"]) as ingest:
        assert ingest.submit(os.getpid).result()
    with pool.executor(1, True, preload=["corpusbuilder.curate.langid_models"]) as curate:
        read_before_any_task = curate.submit(_profile_reads).result()
        forkserver = multiprocessing.forkserver._forkserver._forkserver_pid
        assert curate.submit(langid.identify, "Ceci est une phrase en français.").result()
        after_a_task = curate.submit(_profile_reads).result()
    assert read_before_any_task == (1, 1)  # read once, in the forkserver, before the fork
    assert after_a_task == (1, 1)  # the worker never read them again
    assert not pool._alive(forkserver)  # ended with its pool: it holds nothing between stages


def test_curation_preloads_the_language_models_in_its_workers(tmp_path, monkeypatch):
    config = _config(tmp_path)
    asked = {}
    monkeypatch.setattr(
        pipeline, "open_engine", lambda name, workers, **options: asked.update(options)
    )
    curator = pipeline.Curator(config, ledger=None, store=None, workers=2)
    curator._engine(documents=10 * pipeline.CHUNK)
    assert "corpusbuilder.curate.langid_models" in asked["preload"]
    assert "corpusbuilder.curate.langid" in asked["preload"]


def _profile_reads() -> tuple[int, int]:
    """In a worker: how often it read langdetect's profiles, and whether it holds them."""
    info = langid_nb.profiles.cache_info()
    return info.misses, info.currsize


def _config(tmp_path):
    path = tmp_path / "corpus.yaml"
    path.write_text("sources:\n  - {name: t, adapter: local, path: t.jsonl}\n")
    return corpus_config.load(path)
