"""nansei.io (the YAML reader and the all-or-nothing writers) and nansei.problems."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from pydantic import Field, ValidationError

from nansei import io
from nansei.io import (
    InputError,
    OutputError,
    check_output_directory,
    output_directory,
    parse_yaml,
    read_input,
    write_file,
    write_text,
)
from nansei.problems import (
    NanseiError,
    Pair,
    Problem,
    StrictModel,
    did_you_mean,
    field_path,
    problems_from_validation,
    suggest,
    unknown,
)

# -- reading ------------------------------------------------------------------------------


def test_plain_yaml_parses():
    assert parse_yaml("a: 1\nb: [1, 2]\nc: {d: x}\n") == {"a": 1, "b": [1, 2], "c": {"d": "x"}}


@pytest.mark.parametrize(
    "text, key, line, first",
    [
        ("a: 1\nb: 2\na: 3\n", "a", 3, 1),
        ("x:\n  k: 1\n  k: 2\n", "k", 3, 2),
        ("- {id: 1, id: 2}\n", "id", 1, 1),
    ],
)
def test_duplicate_keys_name_both_lines(text, key, line, first):
    with pytest.raises(InputError) as info:
        parse_yaml(text, "f.yaml")
    assert str(info.value) == f"f.yaml: line {line}: duplicate key {key!r} (first on line {first})"


def test_the_same_key_in_different_mappings_is_fine():
    assert parse_yaml("- {id: 1}\n- {id: 2}\n") == [{"id": 1}, {"id": 2}]


def test_nesting_is_limited_before_recursion_runs_out():
    depth = io.MAX_DEPTH + 1
    with pytest.raises(InputError, match="nested deeper than 32"):
        parse_yaml("[" * depth + "]" * depth)
    assert parse_yaml("[" * (io.MAX_DEPTH - 1) + "]" * (io.MAX_DEPTH - 1)) is not None
    with pytest.raises(InputError):
        parse_yaml("[" * 100_000 + "]" * 100_000)


def test_aliases_count_as_often_as_they_are_used():
    # 9^6 ≈ 531,000 values once expanded, from a few hundred bytes
    text = "a: &a [1,2,3,4,5,6,7,8,9]\n"
    for name, previous in zip("bcdef", "abcde", strict=True):
        text += f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]\n"
    with pytest.raises(InputError, match="more than 100,000 values"):
        parse_yaml(text)
    assert parse_yaml("a: &x [1, 2]\nb: *x\n") == {"a": [1, 2], "b": [1, 2]}


def test_libyaml_and_the_python_parser_read_every_bundled_file_alike():
    root = Path(__file__).resolve().parent.parent
    files = [*(root / "src" / "nansei").rglob("*.yaml"), *(root / "examples").rglob("*.yaml")]
    assert len(files) >= 10
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert io._load(text, io._FastLoader) == io._load(text, io._PythonLoader), path


@pytest.mark.parametrize(
    "text, says",
    [
        ("a:\n\t- 1\n", "found character '\\t' that cannot start any token"),
        ("a: *x\n", "found undefined alias 'x'"),
        ("sides: [1, 2\n", "expected ',' or ']', but got '<stream end>'"),
    ],
)
def test_a_refused_document_gets_the_message_that_names_the_culprit(text, says):
    # libyaml's own messages leave out the character and the alias name.
    with pytest.raises(InputError, match="not valid YAML") as info:
        parse_yaml(text, "f.yaml")
    assert says in str(info.value)


def test_libyaml_nesting_limit_reads_as_ours():
    with pytest.raises(InputError, match=r"line 1: nested deeper than 32 levels"):
        parse_yaml("a: " + "[" * 2000 + "]" * 2000)


def test_python_tags_are_refused():
    with pytest.raises(InputError, match="not valid YAML"):
        parse_yaml("a: !!python/object/apply:os.system [echo hi]\n")


def test_size_is_checked_before_reading(tmp_path):
    path = tmp_path / "big.yaml"
    with open(path, "wb") as stream:
        stream.truncate(io.MAX_INPUT_BYTES + 1)  # sparse: checked by size, never read
    with pytest.raises(InputError, match="inputs are limited to 1,048,576 bytes"):
        read_input(path)


@pytest.mark.parametrize("kind", ["directory", "dangling", "missing", "device", "binary"])
def test_only_regular_text_files_are_read(tmp_path, kind):
    path = tmp_path / "x.yaml"
    if kind == "directory":
        path.mkdir()
    elif kind == "dangling":
        path.symlink_to(tmp_path / "nowhere")
    elif kind == "device":
        path = "/dev/zero"
    elif kind == "binary":
        path.write_bytes(b"\xff\xfe\x00")
    expected = {
        "directory": "is a directory",
        "dangling": "dangling symlink",
        "missing": "no such file",
        "device": "is a device",
        "binary": "not UTF-8",
    }[kind]
    with pytest.raises(InputError, match=expected):
        read_input(path)


# -- writing a file -------------------------------------------------------------------------


def test_write_replaces_the_file_and_leaves_nothing_else(tmp_path):
    target = tmp_path / "a.json"
    target.write_text("old")
    write_text(target, "new")
    assert target.read_text() == "new"
    assert os.listdir(tmp_path) == ["a.json"]


def test_an_existing_file_keeps_its_mode(tmp_path):
    target = tmp_path / "a.json"
    target.write_text("old")
    os.chmod(target, 0o640)
    write_text(target, "new")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_a_failure_while_writing_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "a.json"
    target.write_text("old")

    def half_then_fail(temporary):
        temporary.write_text("half")
        raise OSError(28, "No space left on device", str(temporary))

    with pytest.raises(OutputError) as info:
        write_file(target, half_then_fail, "--out")
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["a.json"]
    message = str(info.value)
    assert "cannot write" in message and str(target) in message
    assert "nansei-tmp" not in message and ".tmp" not in message


def test_an_interrupt_while_writing_leaves_no_temporary(tmp_path):
    def interrupted(_temporary):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_file(tmp_path / "a.json", interrupted)
    assert os.listdir(tmp_path) == []


def test_a_dangling_symlink_is_written_through(tmp_path):
    link = tmp_path / "link.json"
    link.symlink_to(tmp_path / "target.json")
    write_text(link, "x")
    assert link.is_symlink() and (tmp_path / "target.json").read_text() == "x"


@pytest.mark.parametrize("target", ["directory", "/dev/null"])
def test_directories_and_devices_are_refused(tmp_path, target):
    path = tmp_path if target == "directory" else target
    with pytest.raises(OutputError, match="give a file name"):
        write_text(path, "x")


def test_empty_path_is_refused():
    with pytest.raises(OutputError, match="not ''"):
        write_text("", "x", "--png")


# -- writing a directory --------------------------------------------------------------------

RESULT = frozenset({"a", "b"})


def test_a_result_directory_is_swapped_in_whole(tmp_path):
    out = tmp_path / "k"
    with output_directory(out, "--out", RESULT) as staging:
        (staging / "a").write_text("1")
        (staging / "b").write_text("1")
    with output_directory(out, "--out", RESULT) as staging:
        (staging / "a").write_text("2")
    assert sorted(os.listdir(out)) == ["a"] and (out / "a").read_text() == "2"
    assert os.listdir(tmp_path) == ["k"]


def test_a_failed_result_keeps_the_old_one(tmp_path):
    out = tmp_path / "k"
    with output_directory(out, "--out", RESULT) as staging:
        (staging / "a").write_text("1")
    with pytest.raises(RuntimeError), output_directory(out, "--out", RESULT) as staging:
        (staging / "a").write_text("half")
        raise RuntimeError("the writer broke")
    assert (out / "a").read_text() == "1"
    assert os.listdir(tmp_path) == ["k"]


def test_the_two_rename_fallback_gives_the_same_result(tmp_path, monkeypatch):
    monkeypatch.setattr(io, "_exchange", lambda a, b: False)
    out = tmp_path / "k"
    for value in ("1", "2"):
        with output_directory(out, "--out", RESULT) as staging:
            (staging / "a").write_text(value)
    assert (out / "a").read_text() == "2"
    assert os.listdir(tmp_path) == ["k"]


def test_a_symlinked_result_directory_is_replaced_behind_the_link(tmp_path):
    real = tmp_path / "real"
    with output_directory(real, "--out", RESULT) as staging:
        (staging / "a").write_text("1")
    link = tmp_path / "link"
    link.symlink_to(real)
    with output_directory(link, "--out", RESULT) as staging:
        (staging / "a").write_text("2")
    assert link.is_symlink() and (real / "a").read_text() == "2"


def test_a_directory_with_other_files_is_never_replaced(tmp_path):
    (tmp_path / "thesis.tex").write_text("years of work")
    with pytest.raises(OutputError, match="thesis.tex"):
        check_output_directory(tmp_path, "--out", RESULT)


def test_free_space_is_checked(tmp_path):
    with pytest.raises(OutputError, match="MB free"):
        check_output_directory(tmp_path / "k", "--out", RESULT, needed_bytes=10**18)


# -- problems --------------------------------------------------------------------------------


def test_problem_and_error_text():
    assert str(Problem("f.yaml", "a.b[1]", "bad")) == "f.yaml: a.b[1]: bad"
    assert str(Problem.at("", "bad")) == "bad"
    one = NanseiError([Problem.at("x", "bad\nthing")], "s.yaml")
    assert str(one) == "s.yaml: x: bad thing"
    two = NanseiError([Problem.at("x", "bad"), Problem.at("y", "worse")])
    assert str(two).splitlines() == ["input: 2 problems:", "  - x: bad", "  - y: worse"]
    assert NanseiError("plain").exit_code == 2


def test_suggestions():
    assert suggest("rnage_km", ["range_km", "p_hit"]) == ["range_km"]
    assert did_you_mean("zzz", ["range_km"]) == ""
    assert unknown("gate", "miyako", ["miyako-strait", "yonaguni-gap"]) == (
        "unknown gate 'miyako'; did you mean miyako-strait?"
    )
    assert unknown("gate", "q", ["a", "b"]) == "unknown gate 'q' (known: a, b)"


def test_field_paths():
    assert field_path(("sides", "red", "units", 1, "count")) == "sides.red.units[1].count"
    assert field_path(("sides", 3, "[key]")) == "sides.3 (the name)"
    assert field_path(("origin", "function-before[_place(), str]")) == "origin"
    assert field_path(("sides", "strike", "units")) == "sides.strike.units"


class _Model(StrictModel):
    count: int = Field(ge=1, le=10)
    rate: float = 0.0
    flag: bool = False
    where: Pair | None = None


@pytest.mark.parametrize(
    "document, message",
    [
        ({"count": True}, "must be a whole number, got true"),
        ({"count": 2.0}, "must be a whole number, got 2.0"),
        ({"count": "3"}, "must be a whole number, got '3'"),
        ({"count": 11}, "must be <= 10, got 11"),
        ({"count": 1, "rate": "30"}, "must be a number, got '30'"),
        ({"count": 1, "rate": float("nan")}, "must be a finite number (not NaN or infinity)"),
        ({"count": 1, "flag": "yes"}, "must be true or false, got 'yes'"),
        ({"count": 1, "colour": "red"}, "unknown field"),
        ({}, "required field is missing"),
        ({"count": 1, "where": [True, 2.0]}, "must be a number, got true"),
    ],
)
def test_strict_model_and_its_messages(document, message):
    with pytest.raises(ValidationError) as info:
        _Model.model_validate(document)
    problems = problems_from_validation(info.value, "f.yaml")
    assert any(problem.message == message for problem in problems), problems


def test_strict_model_accepts_what_yaml_writes():
    model = _Model.model_validate({"count": 3, "rate": 2, "flag": True, "where": [24, 125.5]})
    assert (model.count, model.rate, model.flag, model.where) == (3, 2.0, True, (24.0, 125.5))
