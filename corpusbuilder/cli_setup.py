"""Commands that set a corpus up or inspect its setup without touching its ledger: `init`,
`sources`, `steps`, `licences resolve`, `validate`."""

from __future__ import annotations

import json
import shutil
import sys
from importlib import resources
from pathlib import Path

import click

from corpusbuilder import config as corpus_config
from corpusbuilder import registry
from corpusbuilder import steps as curation_steps
from corpusbuilder.errors import UserError
from corpusbuilder.licences import Policy, format_resolution


@click.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--demo", is_flag=True, help="Copy the demo corpus (texts and corpus.yaml).")
def init(directory: Path, demo: bool) -> None:
    """Create a corpus folder with a corpus.yaml to edit.

    \b
    Example:
      corpusbuilder init --demo demo
    """
    if (directory / "corpus.yaml").exists():
        raise UserError(f"{directory / 'corpus.yaml'} exists; choose another folder")
    directory.mkdir(parents=True, exist_ok=True)
    files = ("corpus.yaml", "texts.jsonl") if demo else ("template.yaml",)
    for name in files:
        source = resources.files("corpusbuilder") / "demo" / name
        target = directory / ("corpus.yaml" if name.endswith(".yaml") else name)
        with resources.as_file(source) as path:
            shutil.copyfile(path, target)
    click.echo(
        f"wrote {directory / 'corpus.yaml'}; next: corpusbuilder -c {directory}/corpus.yaml build"
    )


@click.command()
def sources() -> None:
    """List the registered source adapters (name, version, module).

    \b
    Example:
      corpusbuilder sources
    """
    for info in registry.describe():
        click.echo(f"{info.name}\t{info.version}\t{info.module}")


@click.command()
def steps() -> None:
    """List the registered curation steps (name, version, module) for `curate.steps:`.

    \b
    Example:
      corpusbuilder steps
    """
    for info in curation_steps.describe():
        click.echo(f"{info.name}\t{info.version}\t{info.module}")


@click.group()
def licences() -> None:
    """Inspect the licence policy (licences.yaml)."""


@licences.command("resolve")
@click.argument("statements", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.pass_context
def licences_resolve(ctx: click.Context, statements: tuple[str, ...], as_json: bool) -> None:
    """Resolve licence statements: id (or null), allowed|rejected|unknown, and the rule.

    Reads one statement per line from stdin when none is given. When the corpus config (-c)
    exists, its `licences:` (allow, deny, jurisdictions) apply, as in `curate`.

    \b
    Example:
      corpusbuilder licences resolve "https://creativecommons.org/licenses/by-sa/3.0/fr/"
      cut -f1 statements.tsv | corpusbuilder -c corpus.yaml licences resolve --json
    """

    config_path = Path(ctx.obj["config"])
    overrides = corpus_config.load(config_path).licences if config_path.is_file() else None
    policy = Policy.load(overrides=overrides)
    lines = statements or (line.rstrip("\n") for line in sys.stdin if line.strip())
    for statement in lines:
        click.echo(format_resolution(policy.resolve(statement), as_json))


@click.command()
@click.option("--schema", is_flag=True, help="Print the JSON Schema of corpus.yaml, for editors.")
@click.pass_context
def validate(ctx: click.Context, schema: bool) -> None:
    """Check corpus.yaml (every key, type, range and adapter option) without running anything.

    A mistake is one line naming the file, the line and the key, and exits with code 3.

    \b
    Example:
      corpusbuilder -c demo/corpus.yaml validate
      corpusbuilder validate --schema > corpus.schema.json
    """

    if schema:
        click.echo(json.dumps(corpus_config.json_schema(), indent=2, ensure_ascii=False))
        return
    config = corpus_config.load(ctx.obj["config"])
    count = len(config.sources)
    names = ", ".join(f"{s.name}: {s.adapter}" for s in config.sources)
    click.echo(f"ok: {count} source{'s' * (count != 1)} ({names}) in {ctx.obj['config']}")
