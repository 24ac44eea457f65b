"""Start-up structure of the command line: subcommands load on use, heavy libraries stay
out of the entry point (the timings themselves are in bench/bench_start.py)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import typer

from nansei import cli
from nansei.catalog import default_catalog
from nansei.geo import ReachIndex, distance_km, reach_record

HEAVY = ("scipy.stats", "matplotlib", "pyarrow", "numba")


def _modules_after(code: str) -> set[str]:
    """The module names loaded by a fresh interpreter after running ``code``."""
    done = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        check=True,
    )
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def test_importing_the_cli_loads_no_heavy_library():
    loaded = _modules_after("import nansei.cli")
    assert not loaded & set(HEAVY)
    assert not {m for m in loaded if m.startswith("nansei.cli.") and m != "nansei.cli.common"}
    assert "nansei.catalog" not in loaded


def test_help_loads_no_subcommand_module():
    loaded = _modules_after(
        "from typer.testing import CliRunner\n"
        "from nansei.cli import app\n"
        "assert CliRunner().invoke(app, ['--help']).exit_code == 0"
    )
    assert not {m for m in loaded if m.startswith("nansei.cli.") and m != "nansei.cli.common"}
    assert not loaded & set(HEAVY)


def test_geo_point_functions_load_neither_shapely_nor_the_catalog():
    loaded = _modules_after("from nansei.geo import inverse\ninverse(24, 125, 26, 127)")
    assert not loaded & {*HEAVY, "shapely", "nansei.catalog", "pydantic"}


@pytest.mark.parametrize(
    "args", [["distance", "24", "125", "26", "127"], ["reach", "25.5", "126", "--year", "2025"]]
)
def test_point_commands_load_neither_numpy_nor_proj(args):
    """`nansei distance` and `nansei reach` solve their few geodesics in plain Python
    (nansei.geo.karney): numpy, pyproj and shapely would add ~0.25 s to their start."""
    loaded = _modules_after(f"from nansei.cli import run\nassert run({args!r}) == 0")
    assert not loaded & {*HEAVY, "numpy", "pyproj", "shapely"}


def test_every_geo_name_resolves():
    import nansei.geo

    assert set(nansei.geo._HOME_OF) == set(nansei.geo.__all__)
    for name in nansei.geo.__all__:
        assert getattr(nansei.geo, name) is not None
    with pytest.raises(AttributeError):
        nansei.geo.no_such_name  # noqa: B018


def test_registry_help_matches_each_command():
    """The one-line help ``nansei --help`` shows is the command's own first docstring line."""
    for name, (_module, short_help) in cli.COMMANDS.items():
        command = cli.load_command(name)
        assert command.help.strip().splitlines()[0] == short_help, name


def test_every_registered_command_is_listed():
    """A module's ``register`` adds no command the top-level group does not know."""
    for module_name in {module for module, _help in cli.COMMANDS.values()}:
        module_app = typer.Typer()
        __import__(module_name, fromlist=["register"]).register(module_app)
        names = set(typer.main.get_group(module_app).commands)
        listed = {n for n, (m, _h) in cli.COMMANDS.items() if m == module_name}
        assert names == listed, module_name


def test_help_lists_every_command_and_a_typo_gets_a_suggestion():
    from typer.testing import CliRunner

    result = CliRunner().invoke(cli.app, ["--help"])
    assert result.exit_code == 0
    for name in cli.COMMANDS:
        assert name in result.output
    typo = CliRunner().invoke(cli.app, ["reac", "25", "126"])
    assert typo.exit_code == 2
    assert "Did you mean 'reach'" in typo.output


@pytest.mark.parametrize("name", ["distance", "reach"])
def test_lazy_command_runs_like_the_module_command(name):
    from typer.testing import CliRunner

    args = {"distance": ["24", "125", "26", "127"], "reach": ["25.5", "126", "--year", "2025"]}
    result = CliRunner().invoke(cli.app, [name, *args[name], "--json"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    if name == "distance":
        assert record["distance_km"] == pytest.approx(distance_km(24, 125, 26, 127), abs=1e-6)
    else:
        index = ReachIndex.for_posture(default_catalog(), 2025)
        expected = json.loads(json.dumps(reach_record(index, 25.5, 126)))
        assert record["reached_by"] == expected["reached_by"] and record["reached_by"]
