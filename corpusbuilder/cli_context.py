"""What every command shares: the corpus of `-c`, opened once, and its run log."""

from __future__ import annotations

import click

from corpusbuilder import logs
from corpusbuilder.project import Project

READ_ONLY = frozenset({"audit", "diff", "docs", "init", "licences", "lookup", "sample", "sources",
                       "stats", "status", "validate", "verify"})  # fmt: skip
WORKERS = click.IntRange(min=1)
JSON = click.option("--json", "as_json", is_flag=True, help="One JSON document on stdout.")


def project(ctx: click.Context) -> Project:
    """The corpus of `-c`; a command that writes it also starts its log file."""
    if "project" not in ctx.obj:
        opened = Project.open(ctx.obj["config"], ctx.obj["progress"])
        command = ctx.info_name or "command"
        if command not in READ_ONLY:
            ctx.obj["log_file"] = logs.run_file(opened.config.workdir, command)
        ctx.obj["project"] = opened
    return ctx.obj["project"]
