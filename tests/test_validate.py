"""`corpusbuilder validate`, the JSON Schema, and the adapters' declared options in the README."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from pydantic import Field

from corpusbuilder import registry
from corpusbuilder.cli import cli
from corpusbuilder.config import json_schema
from corpusbuilder.options import SourceOptions, checked, options_of, options_table
from corpusbuilder.source import SourceAdapter

README = Path(__file__).resolve().parents[1] / "README.md"
SHIPPED = ("corpus.yaml", "template.yaml")


def _shipped(name: str) -> Path:
    with resources.as_file(resources.files("corpusbuilder") / "demo" / name) as path:
        return path


@pytest.mark.parametrize("name", SHIPPED)
def test_validate_accepts_the_shipped_demo_and_template(name):
    path = _shipped(name)
    result = CliRunner().invoke(cli, ["-c", str(path), "validate"])
    assert result.exit_code == 0, result.output
    source = "demo: local" if name == "corpus.yaml" else "my-texts: local"
    assert result.output == f"ok: 1 source ({source}) in {path}\n"


def test_validate_gives_one_line_and_exit_code_3(tmp_path):
    path = tmp_path / "corpus.yaml"
    path.write_text("sources:\n  - {name: a, adapter: local, path: t.jsonl}\nrelase: {}\n")
    result = CliRunner().invoke(cli, ["-c", str(path), "validate"])
    assert result.exit_code == 3
    assert result.output == f"Error: {path}:3: relase: unknown key; did you mean release?\n"


def test_validate_runs_nothing_and_writes_nothing(tmp_path):
    path = tmp_path / "corpus.yaml"
    path.write_text("sources:\n  - {name: a, adapter: local, path: missing.jsonl}\n")
    result = CliRunner().invoke(cli, ["-c", str(path), "validate"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus.yaml"]


def test_schema_describes_every_section_and_each_adapter_s_options():
    result = CliRunner().invoke(cli, ["validate", "--schema"])
    assert result.exit_code == 0, result.output
    schema = json.loads(result.output)
    assert schema == json_schema()
    assert schema["additionalProperties"] is False
    assert set(schema["properties"]) == {
        *("name", "description", "workdir", "ledger", "storage", "sources"),
        *("licences", "curate", "release", "publish", "fetch", "engine"),
    }
    mapping = schema["properties"]["sources"]["items"]["discriminator"]["mapping"]
    assert sorted(mapping) == registry.names()
    hf = schema["$defs"]["hf_dataset_source"]
    assert {"name", "adapter", "config_name", "columns"} <= set(hf["properties"])
    assert hf["additionalProperties"] is False
    curate = schema["$defs"]["Curate"]["properties"]
    assert curate["languages"]["anyOf"][0] == {
        "items": {"type": "string"},
        "type": "array",
    }


def test_the_shipped_files_pass_the_schema_and_typos_do_not():
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft202012Validator(json_schema())
    for name in SHIPPED:
        validator.validate(yaml.safe_load(_shipped(name).read_text()))
    typo = {"sources": [{"name": "a", "adapter": "local", "pth": "x"}], "relase": {}}
    assert not validator.is_valid(typo)


@pytest.mark.parametrize("name", registry.names())
def test_every_option_is_declared_with_a_description(name):
    model = options_of(registry.load(name))
    assert model.model_config["extra"] == "forbid"
    assert model.model_fields, f"{name} declares no options"
    for key, field in model.model_fields.items():
        assert field.description, f"{name}.Options.{key} has no description"


def test_readme_lists_exactly_the_declared_options():
    table = options_table()
    assert table in README.read_text(encoding="utf-8"), (
        "the README's option table is out of date: replace it with the output of"
        " `python -m corpusbuilder.options`"
    )
    assert "| `hf_dataset` | `config_name` |" in table
    assert "| `oai_pmh` | `from` |" in table


class _Clashing(SourceAdapter):
    name = "clashing"
    version = "1.0.0"

    class Options(SourceOptions):
        name: str = Field(description="collides with the source's own name:")

    def documents(self, fetch, limit=None, resume=None):
        return iter(())


def test_an_option_named_like_a_source_key_is_refused():
    with pytest.raises(TypeError, match=r"_Clashing.Options declares \['name'\]"):
        checked(_Clashing(), {"name": "x"})


class _Undeclared(SourceAdapter):
    name = "undeclared"
    version = "1.0.0"

    def documents(self, fetch, limit=None, resume=None):
        return iter(())


def test_an_adapter_that_declares_nothing_gets_its_config_as_given():
    assert checked(_Undeclared(), {"anything": [1, 2]}) == {"anything": [1, 2]}


def test_the_readme_example_is_a_valid_corpus_yaml(tmp_path):
    text = README.read_text(encoding="utf-8").split("## corpus.yaml\n", 1)[1]
    example = text.split("```yaml\n", 1)[1].split("```", 1)[0]
    (tmp_path / "corpus.yaml").write_text(example, encoding="utf-8")
    result = CliRunner().invoke(cli, ["-c", str(tmp_path / "corpus.yaml"), "validate"])
    assert result.output.startswith("ok: 2 sources (pg: gutenberg, enwiki: mediawiki)"), (
        result.output
    )
