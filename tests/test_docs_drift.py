"""Docs that cannot drift.

1. Every JSON key documented in README/docs for ``salvo``, ``campaign``, ``compare``,
   ``coverage`` and ``reach`` appears in the real ``--json`` output, and every key of the
   real output is documented.
2. Every ``nansei`` command and option appears in the README's command table.
3. No file in the repository cites a document outside it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from nansei.cli import app

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()

#: Maps whose keys are data (side names, ship types, years, counts, parameter ids), not
#: field names: their values are walked, their keys are not compared.
DYNAMIC = {"sides", "losses_by_type", "distribution", "years", "overrides", "parameters_read"}

#: Where each command's JSON contract is documented: (file, first line, end line),
#: the span running from the line that starts with the first text up to (not including)
#: the line that starts with the end text. The provenance block is shared by all.
PROVENANCE = ("README.md", "### Provenance", "## The catalog")
SPANS = {
    "salvo": [
        ("README.md", "`nansei salvo FILE --json`", "`nansei campaign SCENARIO --json`"),
        ("docs/salvo.md", "### JSON", "## Method"),
        PROVENANCE,
    ],
    "campaign": [
        ("README.md", "`nansei campaign SCENARIO --json`", "`nansei compare SCENARIO"),
        ("docs/campaign.md", "### `nansei campaign SCENARIO --json`", "### `nansei compare"),
        PROVENANCE,
    ],
    "compare": [
        ("README.md", "`nansei compare SCENARIO --years", "### Provenance"),
        ("docs/campaign.md", "### `nansei compare", "## Method"),
        PROVENANCE,
    ],
    "reach": [
        ("docs/geo.md", "### `nansei reach", "### `nansei coverage"),
        PROVENANCE,
    ],
    "coverage": [
        ("docs/geo.md", "### `nansei coverage", "## Method"),
        PROVENANCE,
    ],
}

_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"

#: Names that the examples use as data (side and unit names), not as fields.
EXAMPLE_NAMES = {"blue", "red", "ddg", "fac"}


def _span(file: str, start: str, end: str) -> str:
    lines = (ROOT / file).read_text(encoding="utf-8").splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith(start))
    last = next((i for i in range(first + 1, len(lines)) if lines[i].startswith(end)), len(lines))
    return "\n".join(lines[first:last])


def documented_keys(command: str) -> set[str]:
    """Key names in the JSON examples (``"name":`` or ``{"name", ...}``; quoted values
    after a colon are not keys) and in the first column of field tables."""
    keys: set[str] = set()
    for file, start, end in SPANS[command]:
        text = _span(file, start, end)
        blocks = re.findall(r"```(?:json|text)\n(.*?)```", text, flags=re.S)
        blocks += [code for code in re.findall(r"`([^`\n]*)`", text) if '"' in code]
        for block in blocks:
            for prefix, name in re.findall(rf'(:\s*|\[\s*)?"({_IDENT})"', block):
                if not prefix:
                    keys.add(name)
        for row in re.findall(r"^\|\s*(`[^|]*)\|", text, flags=re.M):
            for token in re.findall(r"`([^`]*)`", row):
                keys.update(re.findall(_IDENT, token))
    return keys - EXAMPLE_NAMES


def real_keys(payload) -> set[str]:
    keys: set[str] = set()

    def walk(node, dynamic: bool) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if not dynamic:
                    keys.add(key)
                walk(value, key in DYNAMIC)
        elif isinstance(node, list):
            for value in node:
                walk(value, False)

    walk(payload, False)
    return keys


@pytest.fixture(scope="module")
def overlay(tmp_path_factory):
    """An overlay, so that the provenance block's overlay entries are filled in."""
    directory = tmp_path_factory.mktemp("overlay")
    (directory / "mine.yaml").write_text(
        "entities:\n  - id: isr\n    params:\n      cue_rate_per_h: {value: 0.13}\n"
    )
    return str(directory)


RUNS = {
    "salvo": [
        ["salvo", "examples/salvo/company-vs-sag.yaml", "--reps", "300"],
        ["salvo", "examples/salvo/hughes-example.yaml", "--model", "hughes"],
    ],
    "campaign": [
        ["campaign", "yonaguni-gap", "--year", "2026", "--reps", "40"],
        [
            "campaign",
            "yonaguni-gap",
            "--year",
            "2026",
            "--reps",
            "20",
            "--uncertainty",
            "2",
            "--uncertainty-reps",
            "5",
        ],
    ],
    "compare": [
        ["compare", "yonaguni-gap", "--years", "2022,2026", "--reps", "40"],
        [
            "compare",
            "yonaguni-gap",
            "--years",
            "2026",
            "--reps",
            "20",
            "--uncertainty",
            "2",
            "--uncertainty-reps",
            "5",
        ],
    ],
    "reach": [["reach", "25.5", "126.0", "--year", "2026"]],
    "coverage": [["coverage", "--year", "2022"], ["coverage", "--compare", "2022,2025"]],
}


@pytest.mark.parametrize("command", sorted(RUNS))
def test_documented_json_keys_match_the_real_output(command, overlay):
    real: set[str] = set()
    for args in RUNS[command]:
        result = runner.invoke(app, ["--catalog", overlay, *args, "--json"])
        assert result.exit_code == 0, result.output
        real |= real_keys(json.loads(result.stdout))
    documented = documented_keys(command)
    assert real - documented == set(), f"{command}: in the output but not documented"
    assert documented - real == set(), f"{command}: documented but not in the output"


def _options(command) -> list[str]:
    # typer ships its own copy of click, so options are recognised by their kind, not class
    return [
        opt
        for param in command.params
        if param.param_type_name == "option"
        for opt in param.opts
        if opt.startswith("--") and opt != "--help"
    ]


def _commands(group, prefix: str = ""):
    # list_commands/get_command, not group.commands: the top group loads subcommands lazily
    for name in sorted(group.list_commands(None)):
        command = group.get_command(None, name)
        path = f"{prefix}{name}"
        if hasattr(command, "commands"):
            yield from _commands(command, path + " ")
        else:
            yield path, _options(command)


def test_every_command_and_option_is_in_the_readme_table():
    table = _span("README.md", "| command |", "Every analytic command")
    rows = [line for line in table.splitlines() if line.startswith("| `nansei")]
    root = typer.main.get_command(app)
    commands = list(_commands(root))
    assert len(commands) >= 13 and any(options for _, options in commands)
    missing = [f"nansei {opt}" for opt in _options(root) if opt not in table]
    for path, options in commands:
        mine = [row for row in rows if row.startswith(f"| `nansei {path}")]
        if not mine:
            missing.append(f"nansei {path}")
            continue
        for opt in options:
            if not any(opt in row for row in mine):
                missing.append(f"nansei {path} {opt}")
    assert missing == []


def test_no_file_cites_a_document_outside_the_repository():
    pattern = re.compile(r"MODEL\.md|shared/(seeds|reference)|LAYOUT\.md")
    offenders = []
    for path in [*ROOT.glob("src/nansei/**/*"), *ROOT.glob("docs/**/*"), *ROOT.glob("*.md")]:
        if path.suffix not in {".py", ".md", ".yaml", ".toml"} or not path.is_file():
            continue
        relative = str(path.relative_to(ROOT))
        if pattern.search(path.read_text(encoding="utf-8")):
            offenders.append(relative)
    for path in [*ROOT.glob("examples/**/*.yaml"), ROOT / "pyproject.toml"]:
        if pattern.search(path.read_text(encoding="utf-8")):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
