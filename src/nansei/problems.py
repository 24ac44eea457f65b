"""The one vocabulary for what is wrong with an input: problems, errors, suggestions.

Every input nansei reads (catalog directories, scenario and salvo files, command-line
options) reports what is wrong the same way:

* a :class:`Problem` says where (file, field path) and what, in one line;
* a :class:`NanseiError` carries one or more problems; the command line prints it and
  exits with code 2 (:attr:`NanseiError.exit_code`), never with a traceback;
* :func:`suggest` / :func:`unknown` give the "did you mean" hint for an unknown name;
* :func:`problems_from_validation` turns a pydantic ``ValidationError`` into problems
  with plain messages and dotted field paths;
* :class:`StrictModel` is the base of every schema: unknown fields are errors, numbers
  must be numbers (no ``true`` for 1, no ``"30"`` for 30, no NaN or infinity), whole
  numbers must be whole, and booleans must be ``true``/``false``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError

__all__ = [
    "MAX_REPLICATIONS",
    "MAX_SEED",
    "NanseiError",
    "Pair",
    "Problem",
    "ScenarioError",
    "StrictModel",
    "as_pair",
    "did_you_mean",
    "field_path",
    "probability",
    "problems_from_validation",
    "suggest",
    "unknown",
]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: the file (may be empty), the field path (may be
    empty) and what, as one line."""

    file: str
    path: str
    message: str

    @classmethod
    def at(cls, path: str, message: str, file: str = "") -> Problem:
        return cls(file, path, message)

    def __str__(self) -> str:
        where = ": ".join(part for part in (self.file, self.path) if part)
        return f"{where}: {self.message}" if where else self.message


class NanseiError(Exception):
    """Input nansei cannot use. The command line prints ``str(error)`` (one line per
    problem, no traceback) and exits with :attr:`exit_code`.

    ``what`` names the kind of document for the message head ("scenario", "salvo file");
    ``source`` names the document itself (a path or bundled name).
    """

    what: ClassVar[str] = ""
    exit_code: ClassVar[int] = 2

    def __init__(self, problems: Iterable[Problem | str] | str, source: str = ""):
        if isinstance(problems, str):
            problems = [problems]
        self.problems: list[Problem] = [
            p if isinstance(p, Problem) else Problem("", "", str(p)) for p in problems
        ]
        self.source = source
        super().__init__(self._text())

    def _text(self) -> str:
        head = " ".join(part for part in (self.what, self.source) if part)
        lines = [one_line(str(problem)) for problem in self.problems]
        if len(lines) == 1:
            return f"{head}: {lines[0]}" if head else lines[0]
        head = head or "input"
        return f"{head}: {len(lines)} problems:\n" + "\n".join(f"  - {line}" for line in lines)

    def __str__(self) -> str:
        return self._text()


class ScenarioError(NanseiError, ValueError):
    """A scenario (or salvo file, its subclass) did not load or validate; ``problems``
    lists each field path and why."""

    what = "scenario"

    def __init__(self, source: str, problems: list[Problem]):
        super().__init__(problems, source)


#: Bounds shared by campaign scenarios and salvo files; docs/limits.md says why.
MAX_REPLICATIONS = 10_000_000
MAX_SEED = 2**63 - 1


def one_line(text: str) -> str:
    """``text`` with every run of whitespace (newlines included) as one space."""
    return " ".join(str(text).split())


# -- "did you mean" ------------------------------------------------------------------


def suggest(wanted: object, known: Iterable[object], n: int = 3) -> list[str]:
    """The closest names in ``known`` to ``wanted`` (difflib ratio ≥ 0.5), best first."""
    return difflib.get_close_matches(str(wanted), [str(k) for k in known], n=n, cutoff=0.5)


def did_you_mean(wanted: object, known: Iterable[object], n: int = 3) -> str:
    """``"; did you mean a, b?"`` or ``""`` when nothing is close."""
    close = suggest(wanted, known, n)
    return f"; did you mean {', '.join(close)}?" if close else ""


def unknown(what: str, wanted: object, known: Sequence[object], list_up_to: int = 12) -> str:
    """``unknown ship class 'x'; did you mean …?`` — or the whole list when it is short
    and nothing is close."""
    known_text = [str(k) for k in known]
    message = f"unknown {what} {str(wanted)!r}"
    hint = did_you_mean(wanted, known_text)
    if hint:
        return message + hint
    if known_text and len(known_text) <= list_up_to:
        message += f" (known: {', '.join(known_text)})"
    return message


# -- pydantic ----------------------------------------------------------------------------

# pydantic names validator functions and union members in an error's location; they are
# not field names ("function-after[_place(), str]", "tuple[float, float]", "str").
_TYPE_TAG = re.compile(
    r"(str|int|float|bool|none|function-\w+\[.*\]|(tuple|list|dict|union|nullable"
    r"|lax-or-strict|json-or-python|tagged-union|literal)\[.*\])"
)


def field_path(loc: Sequence[Any]) -> str:
    """pydantic's error location as a dotted path: ``sides.red.units[1].count``.

    A mapping key that failed (``[key]``) reads ``sides.3 (the name)``.
    """
    path = ""
    for index, part in enumerate(loc):
        if part == "[key]":
            path += " (the name)"
            continue
        is_key = index + 1 < len(loc) and loc[index + 1] == "[key]"
        if isinstance(part, int) and not is_key:
            path += f"[{part}]"
            continue
        text = str(part)
        if not is_key and _TYPE_TAG.fullmatch(text):
            continue
        path += f".{text}" if path else text
    return path


def _shown(value: Any) -> str:
    """A value as the user wrote it in YAML (``true``, ``null``, ``'30'``), shortened."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _message(item: Any) -> str:
    kind = item["type"]
    given = item.get("input")
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "missing":
        return "required field is missing"
    if kind == "finite_number":
        return "must be a finite number (not NaN or infinity)"
    if kind in ("float_type", "float_parsing"):
        return f"must be a number, got {_shown(given)}"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"must be a whole number, got {_shown(given)}"
    if kind in ("bool_type", "bool_parsing"):
        return f"must be true or false, got {_shown(given)}"
    if kind in ("string_type",):
        return f"must be text, got {_shown(given)}"
    if kind in ("tuple_type", "list_type"):
        return f"must be a list, got {_shown(given)}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"must be a mapping of fields, got {_shown(given)}"
    bounds = {
        "greater_than": ">",
        "greater_than_equal": ">=",
        "less_than": "<",
        "less_than_equal": "<=",
    }
    if kind in bounds and "ctx" in item:
        limit = next(iter(item["ctx"].values()))
        shown = f"{limit:,}" if isinstance(limit, int) and not isinstance(limit, bool) else limit
        return f"must be {bounds[kind]} {shown}, got {_shown(given)}"
    if kind in ("too_long", "too_short") and "ctx" in item:
        return one_line(item["msg"])
    return one_line(item["msg"].removeprefix("Value error, "))


def problems_from_validation(
    error: ValidationError,
    file: str = "",
    prefix: str = "",
    path_of: Callable[[Sequence[Any]], str] = field_path,
) -> list[Problem]:
    """pydantic's errors as problems with field paths and plain messages, without repeats.

    ``prefix`` is put before every path (``entities[3]``), ``file`` names the document.
    """
    problems: list[Problem] = []
    for item in error.errors():
        path = path_of(item["loc"])
        if prefix:
            path = f"{prefix}.{path}" if path and not path.startswith("[") else prefix + path
        problem = Problem(file, path, _message(item))
        if problem not in problems:
            problems.append(problem)
    return problems


def as_pair(value: Any) -> Any:
    """A YAML list of two items as a tuple, so a strict schema accepts ``[lat, lon]``."""
    if isinstance(value, list) and len(value) == 2:
        return tuple(value)
    return value


def probability(value: float) -> float:
    """A pydantic check: ``value`` must lie in [0, 1]."""
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"must be a probability in [0, 1], got {value:g}")
    return value


#: Two numbers written as a YAML list ``[a, b]`` (strict: no bools, no text).
Pair = Annotated[tuple[float, float], BeforeValidator(as_pair)]


class StrictModel(BaseModel):
    """The base of every schema: unknown fields are errors, values are frozen, and types
    are strict — a number must be a number (not ``true``, not ``"30"``), finite, a whole
    number where a count is meant, a boolean ``true``/``false`` (not ``"yes"``)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)
