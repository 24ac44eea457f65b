"""The I/O edge: reading YAML inputs safely and writing results all-or-nothing.

Reading (:func:`read_input`, :func:`parse_yaml`): an input must be a regular file
(not a directory, device or FIFO) of at most :data:`MAX_INPUT_BYTES`, checked before a
byte is parsed; the YAML must not nest deeper than :data:`MAX_DEPTH` or hold more than
:data:`MAX_NODES` values (aliases count as often as they are used, so "billion laughs"
documents stop early); a key written twice in one mapping is an error naming both
lines. Only plain YAML (``safe_load`` types) is accepted.

Writing (:func:`write_file`, :func:`output_directory`): a file is written to a
temporary file beside its target and renamed onto it, so a reader sees the old file or
the new one, never half of one. A directory result (``--out DIR``) is written whole
into a temporary sibling directory and swapped in with one rename; the old result
stays in place until the new one is complete and is removed only after. Writers
follow a symlink to the regular file it names (and write that file), refuse
directories, devices and other special files, give new files the mode the umask
allows, name only the user's path in errors (never a temporary name) and leave no
temporary file behind on any exit path they can see (errors, Ctrl-C, SIGTERM via the
CLI's handler). A hard kill (SIGKILL) can leave a temporary; the next write into that
directory removes those whose process is gone.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import yaml

from nansei.problems import NanseiError, Problem, one_line

__all__ = [
    "MAX_DEPTH",
    "MAX_INPUT_BYTES",
    "MAX_NODES",
    "InputError",
    "OutputError",
    "check_output_directory",
    "check_output_file",
    "output_directory",
    "parse_yaml",
    "read_input",
    "write_bytes",
    "write_file",
    "write_text",
]

#: Largest input file read, bytes. The bundled catalog's largest file is ~17 kB and a
#: large scenario a few kB; 1 MiB leaves a hundredfold room while parsing stays quick.
MAX_INPUT_BYTES = 1024 * 1024
#: Deepest nesting of YAML collections. Real inputs nest 5–6 levels; the limit stops
#: recursion in the YAML composer and in validation long before Python's stack does.
MAX_DEPTH = 32
#: Most YAML values (scalars, lists, mappings; an alias counts as its whole target) in
#: one document. The bundled catalog has ~4,400 in all; 100,000 parse in about 1 s.
MAX_NODES = 100_000


class InputError(NanseiError):
    """An input file that cannot be read or is not acceptable YAML."""


class OutputError(NanseiError, OSError):
    """An output target that cannot be written (named as the user gave it). An
    ``OSError`` too, so code that handles failed writes handles it."""


# -- reading ---------------------------------------------------------------------------


def _kind_of(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def read_input(path: str | os.PathLike[str], label: str | None = None) -> str:
    """The UTF-8 text of a regular file of at most :data:`MAX_INPUT_BYTES`, checked
    before reading; :class:`InputError` (naming ``label``) otherwise."""
    label = str(path) if label is None else label
    try:
        info = os.stat(path)
    except FileNotFoundError:
        kind = "a dangling symlink" if os.path.islink(path) else "no such file"
        raise InputError([Problem(label, "", kind)]) from None
    except OSError as error:
        raise InputError([Problem(label, "", f"cannot read: {error.strerror}")]) from None
    if not stat.S_ISREG(info.st_mode):
        raise InputError([Problem(label, "", f"is {_kind_of(info.st_mode)}, not a YAML file")])
    if info.st_size > MAX_INPUT_BYTES:
        raise InputError(
            [
                Problem(
                    label,
                    "",
                    f"is {info.st_size:,} bytes; inputs are limited to "
                    f"{MAX_INPUT_BYTES:,} bytes (docs/limits.md)",
                )
            ]
        )
    try:
        with open(path, "rb") as stream:
            data = stream.read(MAX_INPUT_BYTES + 1)
    except OSError as error:
        raise InputError([Problem(label, "", f"cannot read: {error.strerror}")]) from None
    if len(data) > MAX_INPUT_BYTES:
        raise InputError([Problem(label, "", f"is over {MAX_INPUT_BYTES:,} bytes")])
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError([Problem(label, "", f"is not UTF-8 text (byte {error.start})")]) from None


class _YamlLimit(yaml.YAMLError):
    pass


# libyaml (PyYAML's C extension) parses ~6x faster than the pure-Python parser, which
# cost 0.2 s of every command that loads the catalog. Both give the same events, nodes
# and values; the pure-Python parser gives the better message (it names the character
# and quotes the line), so a document libyaml refuses is read again with it for the
# message. Without libyaml the pure-Python parser does everything.
_HAS_LIBYAML = bool(getattr(yaml, "__with_libyaml__", False))


def _check_shape(text: str, loader: Any) -> None:
    """Stop a document nested deeper than :data:`MAX_DEPTH` or holding more than
    :data:`MAX_NODES` values, before any of it is built.

    Streams the parser's events, so the cost is bounded by the limits, not by the input:
    every scalar or collection is one value and one level below its parent; an alias
    counts the values of the node it names (so nested aliases multiply, as they would
    when built), and an alias to a collection still open counts 1.
    """
    depth = 0
    values = 0
    weights: dict[str, int] = {}  # anchor -> values in the node it names
    open_starts: list[tuple[str | None, int]] = []  # (anchor, values before it)

    def count(weight: int, mark: Any) -> None:
        nonlocal values
        values += weight
        if values > MAX_NODES:
            raise _YamlLimit(
                f"line {mark.line + 1}: more than {MAX_NODES:,} values (aliases count each "
                "time they are used; docs/limits.md)"
            )

    def check_depth(mark: Any) -> None:
        if depth > MAX_DEPTH:
            raise _YamlLimit(
                f"line {mark.line + 1}: nested deeper than {MAX_DEPTH} levels (docs/limits.md)"
            )

    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, yaml.AliasEvent):
            count(weights.get(event.anchor, 1), event.start_mark)
        elif isinstance(event, yaml.ScalarEvent):
            depth += 1
            check_depth(event.start_mark)
            depth -= 1
            if event.anchor is not None:
                weights[event.anchor] = 1
            count(1, event.start_mark)
        elif isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            check_depth(event.start_mark)
            if event.anchor is not None:
                weights.pop(event.anchor, None)  # redefined: counts 1 until it closes
            open_starts.append((event.anchor, values))
            count(1, event.start_mark)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
            anchor, before = open_starts.pop()
            if anchor is not None:
                weights[anchor] = values - before


class _NoDuplicateKeys:
    """Mixed into a safe loader: a key written twice in one mapping is an error."""

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)  # type: ignore[attr-defined]
                try:
                    hash(key)
                except TypeError:
                    continue  # the base class reports unhashable keys
                line = key_node.start_mark.line + 1
                if key in seen:
                    raise _YamlLimit(
                        f"line {line}: duplicate key {key!r} (first on line {seen[key]})"
                    )
                seen[key] = line
        return super().construct_mapping(node, deep=deep)  # type: ignore[misc]


class _PythonLoader(_NoDuplicateKeys, yaml.SafeLoader):
    pass


if _HAS_LIBYAML:

    class _FastLoader(_NoDuplicateKeys, yaml.CSafeLoader):
        pass

else:
    _FastLoader = _PythonLoader


def _load(text: str, loader_class: Any) -> Any:
    _check_shape(text, loader_class)
    loader = loader_class(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def _python_parser_error(text: str) -> yaml.YAMLError | None:
    """The pure-Python parser's error for a document libyaml refused, if it has one."""
    try:
        _load(text, _PythonLoader)
    except yaml.YAMLError as error:
        return error
    except RecursionError:
        return None
    return None


def parse_yaml(text: str, label: str = "") -> Any:
    """One YAML document, safely: ``safe_load`` types only, within :data:`MAX_DEPTH` and
    :data:`MAX_NODES`, no duplicate keys. :class:`InputError` naming ``label`` otherwise."""
    if len(text) > MAX_INPUT_BYTES:
        raise InputError([Problem(label, "", f"is over {MAX_INPUT_BYTES:,} characters")])
    try:
        return _load(text, _FastLoader)
    except yaml.YAMLError as error:
        if _FastLoader is not _PythonLoader and not isinstance(error, _YamlLimit):
            error = _python_parser_error(text) or error
        message = (
            str(error) if isinstance(error, _YamlLimit) else "not valid YAML: " + one_line(error)
        )
        raise InputError([Problem(label, "", message)]) from None
    except RecursionError:  # a guard: the depth limit should stop this first
        raise InputError([Problem(label, "", "nested too deeply")]) from None


def load_yaml(path: str | os.PathLike[str], label: str | None = None) -> Any:
    """:func:`read_input` then :func:`parse_yaml`."""
    label = str(path) if label is None else label
    return parse_yaml(read_input(path, label), label)


# -- writing -----------------------------------------------------------------------------

_TEMP_MARK = ".nansei-tmp-"
_TEMP_NAME = re.compile(re.escape(_TEMP_MARK) + r"(\d+)-")


def _umask_mode(base: int = 0o666) -> int:
    mask = os.umask(0)
    os.umask(mask)
    return base & ~mask


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _sweep(directory: Path) -> None:
    """Remove temporaries a killed nansei process left in ``directory``."""
    try:
        names = os.listdir(directory)
    except OSError:
        return
    for name in names:
        match = _TEMP_NAME.search(name)
        if match is None or _pid_alive(int(match.group(1))):
            continue
        leftover = directory / name
        with contextlib.suppress(OSError):
            if leftover.is_dir() and not leftover.is_symlink():
                shutil.rmtree(leftover)
            else:
                leftover.unlink()


def _temp_prefix(name: str) -> str:
    return f".{name}{_TEMP_MARK}{os.getpid()}-"


def _real_target(path: str | os.PathLike[str], option: str) -> Path:
    """Where writing ``path`` lands: symlinks followed (a dangling one to the file it
    names). Refuses an empty path and special files."""
    if not str(path).strip():
        raise OutputError([Problem(option, "", "give a file or directory name, not ''")])
    real = Path(os.path.realpath(path))
    return real


def _probe(directory: Path, shown: str, option: str) -> None:
    """Create and remove a temporary in ``directory``: the only check that tells a
    read-only file system, /proc or a full inode table apart when running as root."""
    try:
        handle, name = tempfile.mkstemp(prefix=_temp_prefix("probe"), dir=directory)
    except OSError as error:
        raise OutputError(
            [Problem(option, "", f"cannot write {shown}: {error.strerror}")]
        ) from None
    os.close(handle)
    with contextlib.suppress(OSError):
        os.unlink(name)


def _existing_ancestor(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return Path("/")


def _check_space(directory: Path, needed_bytes: int, shown: str, option: str) -> None:
    if needed_bytes <= 0:
        return
    try:
        free = shutil.disk_usage(directory).free
    except OSError:
        return
    if free < needed_bytes:
        raise OutputError(
            [
                Problem(
                    option,
                    "",
                    f"cannot write {shown}: needs about {needed_bytes / 1e6:,.0f} MB, "
                    f"{free / 1e6:,.0f} MB free",
                )
            ]
        )


def check_output_file(
    path: str | os.PathLike[str], option: str = "", needed_bytes: int = 0
) -> Path:
    """Check that ``path`` can be written (before any work is done) and return the real
    file it names. :class:`OutputError` if it is a directory or special file, its
    directory is missing or not writable, or there is not ``needed_bytes`` free."""
    real = _real_target(path, option)
    shown = str(path)
    if real.exists():
        mode = real.stat().st_mode
        if not stat.S_ISREG(mode):
            raise OutputError(
                [
                    Problem(
                        option,
                        "",
                        f"cannot write {shown}: it is {_kind_of(mode)}; give a file name",
                    )
                ]
            )
    parent = real.parent
    if not parent.is_dir():
        what = "is not a directory" if parent.exists() else "does not exist"
        raise OutputError(
            [Problem(option, "", f"cannot write {shown}: the directory {parent} {what}")]
        )
    _probe(parent, shown, option)
    _check_space(parent, needed_bytes, shown, option)
    return real


def write_file(
    path: str | os.PathLike[str], write: Callable[[Path], None], option: str = ""
) -> Path:
    """Call ``write(tmp)`` to fill a temporary file beside the target, then rename it
    onto the target (atomic). Returns the real path written. :class:`OutputError` names
    ``path`` (never the temporary) if anything fails; the temporary is always removed."""
    real = check_output_file(path, option)
    _sweep(real.parent)
    mode = real.stat().st_mode & 0o7777 if real.exists() else _umask_mode()
    handle, name = tempfile.mkstemp(prefix=_temp_prefix(real.name), suffix=".tmp", dir=real.parent)
    os.close(handle)
    temporary = Path(name)
    try:
        write(temporary)
        os.chmod(temporary, mode)
        os.replace(temporary, real)
    except OSError as error:
        reason = error.strerror or one_line(error)
        raise OutputError([Problem(option, "", f"cannot write {path}: {reason}")]) from None
    finally:
        with contextlib.suppress(OSError):
            temporary.unlink()
    return real


def write_bytes(path: str | os.PathLike[str], data: bytes, option: str = "") -> Path:
    """:func:`write_file` with fixed content."""
    return write_file(path, lambda tmp: tmp.write_bytes(data), option)


def write_text(path: str | os.PathLike[str], text: str, option: str = "") -> Path:
    """:func:`write_file` with UTF-8 text."""
    return write_file(path, lambda tmp: tmp.write_text(text, encoding="utf-8"), option)


def check_output_directory(
    path: str | os.PathLike[str],
    option: str = "",
    replaceable: frozenset[str] = frozenset(),
    needed_bytes: int = 0,
) -> Path:
    """Check that a result directory can be written at ``path`` (before any work) and
    return its real path. An existing directory is replaced only if it holds nothing
    but names in ``replaceable`` (a previous result), so a mistyped ``--out ~`` can never
    delete a home directory."""
    real = _real_target(path, option)
    shown = str(path)
    if real.exists():
        mode = real.stat().st_mode
        if not stat.S_ISDIR(mode):
            raise OutputError(
                [Problem(option, "", f"{shown} exists and is {_kind_of(mode)}, not a directory")]
            )
        foreign = sorted(
            name
            for name in os.listdir(real)
            if name not in replaceable and not _TEMP_NAME.search(name)
        )
        if foreign:
            listed = ", ".join(foreign[:3]) + (" …" if len(foreign) > 3 else "")
            raise OutputError(
                [
                    Problem(
                        option,
                        "",
                        f"{shown} holds files that are not a nansei result ({listed}); "
                        "give a new or empty directory",
                    )
                ]
            )
    parent = _existing_ancestor(real.parent)
    if not parent.is_dir():
        raise OutputError([Problem(option, "", f"{shown}: {parent} is not a directory")])
    _probe(parent, shown, option)
    _check_space(parent, needed_bytes, shown, option)
    return real


_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically with Linux ``renameat2(RENAME_EXCHANGE)``; False where
    that is not available."""
    import ctypes  # only here: ~5 ms of every start-up otherwise
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd = -100
    result = renameat2(
        at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), ctypes.c_uint(_RENAME_EXCHANGE)
    )
    if result == 0:
        return True
    errno = ctypes.get_errno()
    if errno in (38, 22, 95):  # ENOSYS, EINVAL, EOPNOTSUPP: kernel or file system lacks it
        return False
    raise OSError(errno, os.strerror(errno))


@contextlib.contextmanager
def output_directory(
    path: str | os.PathLike[str],
    option: str = "",
    replaceable: frozenset[str] = frozenset(),
) -> Iterator[Path]:
    """Yield a fresh temporary directory beside ``path``; when the block finishes
    without error, swap it in for ``path`` in one rename (the old result is removed only
    after). On any error the temporary directory is removed and ``path`` is untouched."""
    real = check_output_directory(path, option, replaceable)
    real.parent.mkdir(parents=True, exist_ok=True)
    _sweep(real.parent)
    staging = Path(tempfile.mkdtemp(prefix=_temp_prefix(real.name), dir=real.parent))
    old: Path | None = None
    try:
        yield staging
        os.chmod(staging, _umask_mode(0o777))
        if real.is_dir():
            if _exchange(staging, real):
                old = staging  # the previous result now sits at the temporary name
            else:
                # Two renames: between them the name is briefly absent, never mixed.
                old = Path(tempfile.mkdtemp(prefix=_temp_prefix(real.name), dir=real.parent))
                os.rename(real, old / "previous")
                try:
                    os.rename(staging, real)
                except OSError:
                    os.rename(old / "previous", real)
                    raise
        else:
            os.rename(staging, real)
    except OSError as error:
        reason = error.strerror or one_line(error)
        raise OutputError([Problem(option, "", f"cannot write {path}: {reason}")]) from None
    finally:
        for leftover in (staging, old):
            if leftover is not None and leftover != real and leftover.exists():
                shutil.rmtree(leftover, ignore_errors=True)
