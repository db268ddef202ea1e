"""What a build is given, read and checked before anything runs.

Files (a params file, ``_toc.yml``, a chapter notebook, a data file), the chapters and their
parameters, and the values given on the command line or in a params file. Every failure is
one :class:`InputError` line naming the file (and the parameter, the line or the key).

Three guarantees need a few lines of their own; each says why:

- :func:`read_bytes`: ``Path.read_bytes`` would block for ever on a named pipe and read
  ``/dev/zero`` until memory runs out. It opens without blocking, refuses what is not a
  regular file, and reads at most the file's bound.
- :func:`load_yaml`: PyYAML's ``BaseLoader`` constructs no object and resolves no type (every
  scalar stays text, converted by the parameter's own type, as a ``-p`` value is: a file and
  the command line mean the same). It would still expand aliases (a billion laughs) and
  overwrite a key given twice: the loader below refuses both, and nesting past 32 levels.
- :func:`convert`: papermill cannot read ``float | None`` or ``[2000-12, 2003-06]``; the
  values are converted and checked here, by the same declarations the notebook checks itself
  with (:mod:`iijbook.params`).

>>> from iijbook.params import Parameter
>>> rate = Parameter("jpy_per_usd", "float | None", None, "[50, 1000] yen per dollar")
>>> convert(rate, "121.8"), convert(rate, "None")
(121.8, None)
>>> [c.name for c in discover()][:2]
['revenues', 'systems_integration']
"""

from __future__ import annotations

import ast
import errno
import hashlib
import math
import os
import re
import stat
import tokenize
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import yaml
from iijbook.params import (
    KINDS,
    Parameter,
    ParameterError,
    _not_a,
    cell_source,
    check,
    comments,
    parameters_cell,
    parameters_of,
    shown,
)

#: The longest value a parameter takes, in characters.
MAX_VALUE_CHARS = 1000

_KINDS = {stat.S_IFDIR: "a folder", stat.S_IFIFO: "a named pipe", stat.S_IFCHR: "a character device"}
_KINDS |= {stat.S_IFBLK: "a block device", stat.S_IFSOCK: "a socket"}
_REASONS = {errno.ENOENT: "no such file", errno.EACCES: "permission denied", errno.EPERM: "permission denied"}
_REASONS |= {errno.ENOTDIR: "a part of its path is not a folder", errno.EISDIR: "a folder, not a file"}
_REASONS |= {errno.ELOOP: "too many levels of symbolic links", errno.ENAMETOOLONG: "the name is too long"}


class InputError(ValueError):
    """An input the build refuses, in one line naming it."""


class ChapterError(InputError):
    """A chapter notebook, or the table of contents, that cannot be read."""


def reason(exc: OSError) -> str:
    """A short reason for an :class:`OSError`, without the file name.

    >>> reason(FileNotFoundError(2, "No such file or directory", "x"))
    'no such file'
    """
    return _REASONS.get(exc.errno or 0) or (exc.strerror or type(exc).__name__).lower()


def read_bytes(path: Path | str, what: str, limit: int) -> bytes:
    """The bytes of the regular file ``path``, at most ``limit`` of them; ``what`` names it.

    >>> read_bytes("/dev/zero", "data file", 10)
    Traceback (most recent call last):
    ...
    iijbook_build.inputs.InputError: data file /dev/zero: cannot read it: a character device, not a file
    """
    name = f"{what} {path}" if what else str(path)
    try:
        kind = _KINDS.get(stat.S_IFMT(os.stat(path).st_mode))  # a socket cannot even be opened
        fd = -1 if kind else os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY)
        kind = kind or _KINDS.get(stat.S_IFMT(os.fstat(fd).st_mode))  # swapped since the stat?
        if kind:
            os.close(fd) if fd >= 0 else None
            raise InputError(f"{name}: cannot read it: {kind}, not a file")
        with os.fdopen(fd, "rb") as fh:
            blob = fh.read(limit + 1)
    except InputError:
        raise
    except OSError as exc:
        raise InputError(f"{name}: cannot read it: {reason(exc)}") from None
    except ValueError as exc:  # a NUL in the name
        raise InputError(f"{name}: cannot read it: {exc}") from None
    if len(blob) > limit:
        size = f"{limit >> 20} MiB" if limit % (1 << 20) == 0 else f"{limit >> 10} KiB"
        raise InputError(f"{name}: cannot read it: larger than {size}")
    return blob


def read_text(path: Path | str, what: str, limit: int) -> str:
    """The UTF-8 text of ``path`` (see :func:`read_bytes`); bad bytes are named by line and byte."""
    blob = read_bytes(path, what, limit)
    try:
        return blob.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = blob[: exc.start].count(b"\n") + 1
        where = f"line {line} (byte {exc.start}: {exc.reason})"
        raise InputError(f"{what} {path}: cannot read it: not UTF-8 at {where}") from None


def tree_hash(files: Iterable[tuple[str, Path]], what: str = "") -> str:
    """A SHA-256 over ``(name, file)`` pairs in name order: each name, then its bytes' SHA-256 (the
    build's digests of the data, the helper package, the sources, the staged book and the site).

    >>> tree_hash([("b", Path(__file__))]) == tree_hash([("a", Path(__file__))])
    False
    """
    h = hashlib.sha256()
    for name, path in sorted(files):
        h.update(os.fsencode(name) + b"\0" + hashlib.sha256(read_bytes(path, what, 64 << 20)).digest())
    return h.hexdigest()


class _Loader(yaml.BaseLoader):
    """Every scalar text, no object constructed; no aliases, no key twice, at most 32 levels."""

    depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        mark = self.peek_event().start_mark
        if self.check_event(yaml.AliasEvent):
            raise yaml.MarkedYAMLError(None, None, "aliases (*name) are not allowed here", mark)
        if self.depth >= 32:
            raise yaml.MarkedYAMLError(None, None, "nested too deeply (more than 32 levels)", mark)
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        keys = [key.value for key, _ in node.value if isinstance(key, yaml.ScalarNode)]
        twice = next((key for i, key in enumerate(keys) if key in keys[:i]), None)
        if twice is not None:
            raise yaml.MarkedYAMLError(None, None, f"{shown(twice)} is given twice", node.start_mark)
        return super().construct_mapping(node, deep=deep)


def load_yaml(text: str, where: str) -> Any:
    """One YAML document, every scalar as text; :class:`InputError` naming ``where`` if it fails.

    >>> load_yaml("jpy_per_usd: 121.8\\nprojection_cutoff: 2002-10\\n", "params file p.yaml")
    {'jpy_per_usd': '121.8', 'projection_cutoff': '2002-10'}
    >>> load_yaml("a: &x 1\\nb: *x\\n", "params file p.yaml")
    Traceback (most recent call last):
    ...
    iijbook_build.inputs.InputError: params file p.yaml: not valid YAML at line 2, column 4: aliases ...
    """
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - BaseLoader constructs no object
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(f"{where}: not valid YAML{at}: {problem}") from None
    except RecursionError:
        raise InputError(f"{where}: not valid YAML: nested too deeply") from None


# -- the chapters ---------------------------------------------------------------------------
def project_root() -> Path:
    """The folder holding ``_toc.yml`` (the top of the project)."""
    return Path(__file__).resolve().parents[2]


def book_data(root: Path) -> Path:
    """The data folder a build reads: ``IIJBOOK_DATA_DIR`` if set, else the book's own ``data/``,
    else (a book without one, such as the tests' small books) the helper package's."""
    from iijbook.datafiles import data_dir

    own = root / "data"
    return own if own.is_dir() and not os.environ.get("IIJBOOK_DATA_DIR") else data_dir()


@dataclass(frozen=True)
class Chapter:
    """A notebook chapter of the book, with the parameters its parameters cell declares."""

    name: str
    path: Path
    parameters: tuple[Parameter, ...]

    def parameter(self, name: str) -> Parameter | None:
        return next((p for p in self.parameters if p.name == name), None)


def _file(entry: Any) -> str:
    if not isinstance(entry, str) or not entry.strip():
        raise ChapterError(f"file {shown(entry)} is not a file name")
    if Path(entry).is_absolute() or ".." in Path(entry).parts or "\0" in entry:
        raise ChapterError(f"file {shown(entry)} is outside the book")
    return entry


def _entries(entries: Any) -> list[str]:
    """The files of a list of table-of-contents entries, their sections and parts included."""
    if not isinstance(entries, list):
        raise ChapterError(f"a list of entries was expected, got {shown(entries)}")
    files: list[str] = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise ChapterError(f"an entry is not a mapping: {shown(entry)}")
        files += [_file(entry["file"])] if "file" in entry else []
        files += [f for key in ("sections", "chapters") if key in entry for f in _entries(entry[key])]
        files += _parts(entry.get("parts", []))
    return files


def _parts(parts: Any) -> list[str]:
    if not isinstance(parts, list) or not all(isinstance(p, dict) for p in parts):
        raise ChapterError(f"parts must be a list of mappings, got {shown(parts)}")
    return [f for part in parts for f in _entries(part.get("chapters", []))]


def toc_files(root: Path | None = None) -> list[str]:
    """Every file ``_toc.yml`` lists, in order, without extensions.

    >>> toc_files()[:3]
    ['intro', 'chapters/release', 'chapters/revenues']
    """
    path = (root or project_root()) / "_toc.yml"
    where = f"table of contents {path}"
    try:
        toc = load_yaml(read_text(path, "table of contents", 1 << 20), where)
        if not isinstance(toc, dict) or "root" not in toc:
            raise ChapterError("expected a mapping with a 'root' entry")
        if toc.get("format", "jb-book") != "jb-book":
            raise ChapterError(f"format {shown(toc['format'])}: the book is a jb-book")
        files = [_file(toc["root"]), *_parts(toc.get("parts", [])), *_entries(toc.get("chapters", []))]
        root = root or project_root()
        # anything at the name counts (a pipe or a link is the notebook reader's to refuse, by name)
        missing = next(
            (f for f in files if not any(os.path.lexists(root / f"{f}{x}") for x in (".md", ".ipynb"))), None
        )
        if missing is not None:
            raise ChapterError(f"file {shown(missing)} names no page (no {missing}.md or {missing}.ipynb)")
        return files
    except InputError as exc:
        raise ChapterError(str(exc) if str(exc).startswith(where) else f"{where}: {exc}") from None


def read_notebook(path: Path) -> nbformat.NotebookNode:
    """A chapter notebook, read (16 MiB at most: sources hold no outputs) and validated."""
    try:
        text = read_text(path, "chapter notebook", 16 << 20)
    except InputError as exc:
        raise ChapterError(str(exc)) from None
    invalid: dict[str, Any] = {}
    try:
        nb = nbformat.reads(text, as_version=4, capture_validation_error=invalid)
    except Exception as exc:  # nbformat raises many kinds for many kinds of damage
        invalid["ValidationError"] = exc
    if "ValidationError" in invalid:
        first = (str(invalid["ValidationError"]).strip().splitlines() or ["damaged"])[0]
        raise ChapterError(f"chapter notebook {path}: not a valid notebook ({shown(first, 80)[1:-1]})")
    return nb


def read_parameters(cells: list, path: Path) -> tuple[Parameter, ...]:
    """The parameters of a notebook, once its parameters cell is known to be written as the build
    reads it: one line ``name: type = literal  # [allowed] meaning`` per parameter, declared once."""
    found = parameters_cell(cells)
    if found is None:
        return ()
    index, cell = found
    source = cell_source(cell)
    try:
        tree, said = ast.parse(source), comments(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError, tokenize.TokenError) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise ChapterError(f"{path}: parameters cell (cell {index}) is not valid Python: {first}") from None
    names: set[str] = set()
    for node in tree.body:
        if not isinstance(node, ast.AnnAssign) or not isinstance(node.target, ast.Name):
            raise ChapterError(
                f"{path}: parameters cell line {node.lineno}: write each parameter as "
                "'name: type = value  # comment'"
            )
        name, problem = node.target.id, ""
        try:
            ast.literal_eval(node.value) if node.value is not None else None
        except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
            problem = "has a default that is not a literal"
        kinds = {k.strip() for k in ast.unparse(node.annotation).split("|")}
        if node.end_lineno != node.lineno:
            problem = (
                f"spans lines {node.lineno}-{node.end_lineno}; write each parameter on one line, with "
                "its comment (a formatter may have split it: chapters are not reformatted)"
            )
        elif node.lineno not in said:
            problem = "has no comment saying what it means and allows"
        elif not kinds <= set(KINDS):
            problem = (
                f"has type {shown(ast.unparse(node.annotation))}; a parameter is one of {', '.join(KINDS)}"
            )
            problem += " or a union of them"
        elif name in names:
            problem = "is declared twice"
        if problem:
            raise ChapterError(f"{path}: parameter {name} {problem}")
        names.add(name)
    return parameters_of(cells)


def discover(root: Path | None = None) -> list[Chapter]:
    """The notebook chapters ``_toc.yml`` lists, in book order, with their parameters."""
    root = root or project_root()
    chapters: list[Chapter] = []
    for entry in toc_files(root):
        path = root / f"{entry}.ipynb"
        if path.exists() or path.is_symlink():
            if any(c.name == path.stem for c in chapters):
                raise ChapterError(f"table of contents {root / '_toc.yml'}: two chapters named {path.stem}")
            chapters.append(Chapter(path.stem, path, read_parameters(read_notebook(path).cells, path)))
    return chapters


# -- the values -----------------------------------------------------------------------------
#: Numbers as a reader writes them: ASCII digits, a sign, a point, an exponent. Python's own
#: ``float`` would also take ``1_5_0`` (150), ``１５０`` and ``" 150 "``.
_FLOAT = re.compile(r"[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?", re.ASCII)
_INT = re.compile(r"[-+]?[0-9]+", re.ASCII)


def _one(kind: str, text: str) -> Any:
    """``text`` as a value of one kind; ValueError if it is not one.

    >>> _one("float", "-1.5e9"), _one("int", "12")
    (-1500000000.0, 12)
    >>> _one("float", "1_5_0")
    Traceback (most recent call last):
    ...
    ValueError: 1_5_0
    >>> _one("float", "1e-400")
    Traceback (most recent call last):
    ...
    ValueError: 1e-400
    """
    if kind == "None" and text.strip() in ("None", "null", "~"):
        return None
    if kind == "float" and _FLOAT.fullmatch(text):
        value, digits = float(text), re.split("[eE]", text)[0]
        # one that overflows (1e400) or underflows to 0.0 (1e-400) is not the number typed
        if math.isfinite(value) and (value != 0 or not re.search("[1-9]", digits)):
            return value
    if kind == "int" and _INT.fullmatch(text):
        return int(text)
    if kind == "bool" and text.strip().lower() in ("true", "yes", "false", "no"):
        return text.strip().lower() in ("true", "yes")
    if kind == "str":
        return text
    raise ValueError(text)


def convert(param: Parameter, value: Any) -> Any:
    """``value`` (text, or a number) as the parameter's type, checked against its range.

    A value is data: text stays text and nothing in it is evaluated.

    >>> steps = Parameter("steps", "int", 3, "[1, 10] how many")
    >>> convert(steps, "2.5")
    Traceback (most recent call last):
    ...
    iijbook.params.ParameterError: parameter steps: '2.5' is not an int
    >>> convert(Parameter("label", "str", "", "a label"), "__import__('os')")
    "__import__('os')"
    """
    if value is not None and not isinstance(value, str | int | float):
        kinds = "a number, text, true or false"
        raise ParameterError(f"parameter {param.name}: {shown(value)} is not a single value ({kinds})")
    text = "None" if value is None else str(value)
    if len(text) > MAX_VALUE_CHARS:
        limit = f"at most {MAX_VALUE_CHARS} characters"
        raise ParameterError(f"parameter {param.name}: {shown(value)} is too long ({limit})")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ParameterError(f"parameter {param.name}: {shown(value)} is not valid UTF-8 text") from None
    kinds = sorted((k.strip() for k in param.annotation.split("|")), key=lambda k: k != "None")
    if isinstance(value, bool) and "bool" not in kinds:
        raise _not_a(param, value)
    for kind in kinds:  # None first, so "None" means None wherever None is allowed
        try:
            converted = _one(kind, text)
            break
        except (ValueError, TypeError):
            continue
    else:
        raise _not_a(param, value)
    check(param, converted)
    return converted


def resolve(
    chapters: list[Chapter], overrides: dict[str, Any], per_chapter: dict[str, dict[str, Any]] | None = None
) -> dict[str, dict[str, Any]]:
    """The values each chapter gets, converted and checked.

    ``overrides`` apply to every chapter that declares them; ``per_chapter`` (a params file's
    chapter blocks) to one chapter each, and win. A name no chapter declares is refused, so a
    typo never passes silently.
    """
    known = {p.name for c in chapters for p in c.parameters}
    for name in overrides:
        if name not in known:
            listed = ", ".join(sorted(known)) or "none"
            raise ParameterError(f"unknown parameter {shown(name)} (the chapters take: {listed})")
    by_name = {c.name: c for c in chapters}
    for chapter_name, values in (per_chapter or {}).items():
        if chapter_name not in by_name:
            raise ParameterError(f"unknown chapter {shown(chapter_name)} (chapters: {', '.join(by_name)})")
        for name in values:
            if by_name[chapter_name].parameter(name) is None:
                takes = ", ".join(p.name for p in by_name[chapter_name].parameters) or "none"
                raise ParameterError(
                    f"chapter {chapter_name} has no parameter {shown(name)} (it takes: {takes})"
                )
    resolved: dict[str, dict[str, Any]] = {}
    for chapter in chapters:
        given = {n: v for n, v in overrides.items() if chapter.parameter(n) is not None}
        given.update((per_chapter or {}).get(chapter.name, {}))
        resolved[chapter.name] = {n: convert(chapter.parameter(n), v) for n, v in given.items()}  # type: ignore[arg-type]
    return resolved


def read_params_file(
    path: Path, chapter_names: list[str]
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """A params file (YAML, 64 KiB at most): shared ``name: value`` lines and ``chapter:`` blocks.

    Returns (shared, per chapter); the values are text until :func:`resolve` converts them.
    """
    where = f"params file {path}"
    try:
        loaded = load_yaml(read_text(path, "params file", 64 << 10), where)
    except InputError as exc:
        raise ParameterError(str(exc)) from None
    if loaded in (None, ""):
        return {}, {}
    if not isinstance(loaded, dict):
        got = "a list" if isinstance(loaded, list) else "text"
        raise ParameterError(
            f"{where}: expected a mapping of 'name: value' lines and 'chapter:' blocks, got {got}"
        )
    shared: dict[str, Any] = {}
    per_chapter: dict[str, dict[str, Any]] = {}
    for key, value in loaded.items():
        if isinstance(value, dict):
            if key not in chapter_names:
                raise ParameterError(
                    f"{where}: {shown(key)} is not a chapter (chapters: {', '.join(chapter_names)})"
                )
            for name, one in value.items():
                _scalar(where, f"{key}.{name}", one)
            per_chapter[key] = dict(value)
        else:
            _scalar(where, key, value)
            shared[key] = value
    return shared, per_chapter


def _scalar(where: str, key: str, value: Any) -> None:
    if not isinstance(value, str):
        key = key if len(key) <= 60 else shown(key)
        raise ParameterError(
            f"{where}: {key} must be a single value, not a {'list' if isinstance(value, list) else 'mapping'}"
        )
