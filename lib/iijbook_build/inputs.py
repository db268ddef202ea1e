"""What a build is given, read and checked before anything runs; each refusal is one
:class:`InputError` line naming the file (and the parameter, line or key). No library holds these:
``Path.read_bytes`` blocks on a named pipe and reads ``/dev/zero`` until memory runs out
(:func:`read_bytes` reads regular files only, bounded); PyYAML's ``BaseLoader`` expands aliases
(a billion laughs) and lets a key given twice win (:func:`load_yaml` refuses both); papermill
cannot read ``float | None`` or ``[2000-12, 2003-06]`` (:func:`convert`, by :mod:`iijbook.params`).
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
from iijbook import params
from iijbook.datafiles import data_dir
from iijbook.params import Parameter, ParameterError, shown
from sphinx_external_toc.parsing import MalformedError, parse_toc_data

#: The longest value a parameter takes, in characters.
MAX_VALUE_CHARS = 1000

_KINDS = {stat.S_IFDIR: "a folder", stat.S_IFIFO: "a named pipe", stat.S_IFCHR: "a character device"}
_KINDS |= {stat.S_IFBLK: "a block device", stat.S_IFSOCK: "a socket"}
_REASONS = {errno.ENOENT: "no such file", errno.EPERM: "permission denied"}  # the others: as strerror
_REASONS |= {errno.EISDIR: "a folder, not a file", errno.ENOTDIR: "a part of its path is not a folder"}
_OPEN = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY  # a pipe with no writer does not block


class InputError(ValueError):
    """An input the build refuses, in one line naming it."""


class ChapterError(InputError):
    """A chapter notebook, or the table of contents, that cannot be read."""


def reason(exc: OSError, named: bool = False) -> str:
    """A short reason for an :class:`OSError`; after its path (or paths) if ``named``.

    >>> reason(FileNotFoundError(2, "No such file or directory", "x"))
    'no such file'
    >>> reason(OSError(18, "Invalid cross-device link", "/a", None, "/b"), named=True)
    '/a -> /b: invalid cross-device link'
    """
    why = _REASONS.get(exc.errno or 0) or (exc.strerror or type(exc).__name__).lower()
    paths = " -> ".join(str(f) for f in (exc.filename, exc.filename2) if f is not None) if named else ""
    return f"{paths}: {why}" if paths else why


def read_bytes(path: Path | str, what: str, limit: int) -> bytes:
    """The bytes of the regular file ``path``, at most ``limit`` of them; ``what`` names it.

    >>> read_bytes("/dev/zero", "data file", 10)
    Traceback (most recent call last):
    ...
    iijbook_build.inputs.InputError: data file /dev/zero: cannot read it: a character device, not a file
    """
    blob, why = b"", ""
    try:
        kind = _KINDS.get(stat.S_IFMT(os.stat(path).st_mode))  # a socket cannot even be opened
        if not kind:
            with os.fdopen(os.open(path, _OPEN), "rb") as fh:
                kind = _KINDS.get(stat.S_IFMT(os.fstat(fh.fileno()).st_mode))  # swapped since the stat?
                blob = b"" if kind else fh.read(limit + 1)
        why = f"{kind}, not a file" if kind else ""
    except OSError as exc:
        why = reason(exc)
    except ValueError as exc:  # a NUL in the name
        why = str(exc)
    if len(blob) > limit:
        why = f"larger than {limit >> 20} MiB" if limit % (1 << 20) == 0 else f"larger than {limit >> 10} KiB"
    if why:
        raise InputError(f"{f'{what} ' if what else ''}{path}: cannot read it: {why}")
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
    """A SHA-256 over ``(name, file)`` pairs in name order: each name, then its bytes' SHA-256.

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
        if (twice := next((key for i, key in enumerate(keys) if key in keys[:i]), None)) is not None:
            raise yaml.MarkedYAMLError(None, None, f"{shown(twice)} is given twice", node.start_mark)
        return super().construct_mapping(node, deep=deep)


class _Typed(_Loader, yaml.SafeLoader):
    """As :class:`_Loader`, with YAML's types (``numbered: true``), as jupyter-book reads ``_toc.yml``."""


def load_yaml(text: str, where: str, loader: type[_Loader] = _Loader) -> Any:
    """One YAML document, every scalar as text; :class:`InputError` naming ``where`` if it fails.

    >>> load_yaml("jpy_per_usd: 121.8\\nprojection_cutoff: 2002-10\\n", "params file p.yaml")
    {'jpy_per_usd': '121.8', 'projection_cutoff': '2002-10'}
    """
    try:
        return yaml.load(text, Loader=loader)  # noqa: S506 - neither constructs an object
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(f"{where}: not valid YAML{at}: {problem}") from None


# -- the chapters ---------------------------------------------------------------------------
def project_root() -> Path:
    """The folder holding ``_toc.yml`` (the top of the project)."""
    return Path(__file__).resolve().parents[2]


def book_data(root: Path) -> Path:
    """The data folder a build reads: ``IIJBOOK_DATA_DIR`` if set, else the book's own ``data/``,
    else (a book without one, such as the tests' small books) the helper package's."""
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


def toc_files(root: Path | None = None) -> list[str]:
    """Every file ``_toc.yml`` lists, in order, without extensions: sphinx_external_toc (which
    jupyter-book builds from) reads the structure; the checks it does not make are here: a file
    outside the book and a name with no page.

    >>> toc_files()[:3]
    ['intro', 'chapters/release', 'chapters/revenues']
    """
    root = root or project_root()
    where = f"table of contents {root / '_toc.yml'}"
    try:
        toc = load_yaml(read_text(root / "_toc.yml", "table of contents", 1 << 20), where, _Typed)
        if isinstance(toc, dict) and toc.setdefault("format", "jb-book") != "jb-book":
            raise ChapterError(f"format {shown(toc['format'])}: the book is a jb-book")
        try:
            files = list(parse_toc_data(toc))
        except (MalformedError, TypeError) as exc:  # TypeError: a list or mapping where text belongs
            why = exc if isinstance(exc, MalformedError) else "a file or options of the wrong type"
            raise ChapterError(f"not a jb-book table of contents: {why}") from None
        for f in files:  # anything at the name counts: a pipe is the notebook reader's to refuse
            if Path(f).is_absolute() or ".." in Path(f).parts or "\0" in f:
                raise ChapterError(f"file {shown(f)} is outside the book")
            if not any(os.path.lexists(root / f"{f}{x}") for x in (".md", ".ipynb")):
                raise ChapterError(f"file {shown(f)} names no page (no {f}.md or {f}.ipynb)")
        return files
    except InputError as exc:
        raise ChapterError(str(exc) if str(exc).startswith(where) else f"{where}: {exc}") from None


def read_notebook(path: Path) -> nbformat.NotebookNode:
    """A chapter notebook, read (16 MiB at most: sources hold no outputs) and validated."""
    try:
        text = read_text(path, "chapter notebook", 16 << 20)
    except InputError as exc:
        raise ChapterError(str(exc)) from None
    try:  # not nbformat.reads, which logs a notebook that fails its schema and returns it
        nb = nbformat.convert(nbformat.reader.reads(text), 4)
        nbformat.validate(nb)
    except Exception as exc:  # nbformat raises many kinds for many kinds of damage
        first = shown((str(exc).strip().splitlines() or ["damaged"])[0], 80)[1:-1]
        raise ChapterError(f"chapter notebook {path}: not a valid notebook ({first})") from None
    return nb


def read_parameters(cells: list, path: Path) -> tuple[Parameter, ...]:
    """The parameters of a notebook, once its parameters cell is known to be written as the build
    reads it: one line ``name: type = literal  # [allowed] meaning`` per parameter, declared once."""
    if (found := params.parameters_cell(cells)) is None:
        return ()
    index, source = found[0], params.cell_source(found[1])
    try:
        tree, said = ast.parse(source), params.comments(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError, tokenize.TokenError) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise ChapterError(f"{path}: parameters cell (cell {index}) is not valid Python: {first}") from None
    names: set[str] = set()
    for node in tree.body:
        if not isinstance(node, ast.AnnAssign) or not isinstance(node.target, ast.Name):
            form = "write each parameter as 'name: type = value  # comment'"
            raise ChapterError(f"{path}: parameters cell line {node.lineno}: {form}")
        name, annotation = node.target.id, ast.unparse(node.annotation)
        if node.end_lineno != node.lineno:
            problem = f"spans lines {node.lineno}-{node.end_lineno}; write each parameter on one line"
            problem += ", with its comment (a formatter may have split it: chapters are not reformatted)"
        elif node.lineno not in said:
            problem = "has no comment saying what it means and allows"
        elif not {k.strip() for k in annotation.split("|")} <= set(params.KINDS):
            kinds = ", ".join(params.KINDS)
            problem = f"has type {shown(annotation)}; a parameter is one of {kinds} or a union of them"
        elif name in names:
            problem = "is declared twice"
        else:
            try:
                ast.literal_eval(node.value) if node.value is not None else None
                problem = ""
            except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
                problem = "has a default that is not a literal"
        if problem:
            raise ChapterError(f"{path}: parameter {name} {problem}")
        names.add(name)
    return params.parameters_of(cells)


def discover(root: Path | None = None) -> list[Chapter]:
    """The notebook chapters ``_toc.yml`` lists, in book order, with their parameters."""
    root = root or project_root()
    chapters: list[Chapter] = []
    for path in (root / f"{entry}.ipynb" for entry in toc_files(root)):
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
_NOT = object()
Values = dict[str, Any]


def _one(kind: str, text: str) -> Any:
    """``text`` as a value of one kind, or ``_NOT``."""
    word = text.strip().lower()
    if kind == "None" and text.strip() in ("None", "null", "~"):
        return None
    if kind == "float" and _FLOAT.fullmatch(text):
        # one that overflows (1e400) or underflows to 0.0 (1e-400) is not the number typed
        value, digits = float(text), re.split("[eE]", text)[0]
        return value if math.isfinite(value) and (value or not re.search("[1-9]", digits)) else _NOT
    if kind == "int" and _INT.fullmatch(text):
        return int(text)
    if kind == "bool" and word in ("true", "yes", "false", "no"):
        return word in ("true", "yes")
    return text if kind == "str" else _NOT


def convert(param: Parameter, value: Any) -> Any:
    """``value`` (text, or a number) as the parameter's type, checked against its range. A value is
    data: text stays text and nothing in it is evaluated.

    >>> steps = Parameter("steps", "int", 3, "[1, 10] how many")
    >>> convert(steps, "2"), convert(Parameter("rate", "float | None", None, "(0, 9] r"), "None")
    (2, None)
    >>> convert(steps, "2.5")
    Traceback (most recent call last):
    ...
    iijbook.params.ParameterError: parameter steps: '2.5' is not an int
    """
    text = "None" if value is None else str(value)
    if value is not None and not isinstance(value, str | int | float):
        why = "is not a single value (a number, text, true or false)"
    elif len(text) > MAX_VALUE_CHARS:
        why = f"is too long (at most {MAX_VALUE_CHARS} characters)"
    elif any("\ud800" <= c <= "\udfff" for c in text):  # a lone surrogate: undecodable bytes
        why = "is not valid UTF-8 text"
    else:  # None first, so "None" means None wherever None is allowed; true or false, a bool's alone
        for kind in sorted((k.strip() for k in param.annotation.split("|")), key=lambda k: k != "None"):
            converted = _one(kind, text)
            if converted is not _NOT and (kind == "bool" or not isinstance(value, bool)):
                params.check(param, converted)
                return converted
        raise params._not_a(param, value)
    raise ParameterError(f"parameter {param.name}: {shown(value)} {why}")


def resolve(
    chapters: list[Chapter], overrides: Values, per_chapter: dict[str, Values] | None = None
) -> dict[str, Values]:
    """The values each chapter gets, converted and checked. ``overrides`` apply to every chapter that
    declares them; ``per_chapter`` (a params file's chapter blocks) to one chapter each, and win. A
    name no chapter declares is refused, so a typo never passes silently."""
    per_chapter = per_chapter or {}
    known = {p.name for c in chapters for p in c.parameters}
    if (name := next((n for n in overrides if n not in known), None)) is not None:
        listed = ", ".join(sorted(known)) or "none"
        raise ParameterError(f"unknown parameter {shown(name)} (the chapters take: {listed})")
    resolved: dict[str, Values] = {}
    for c in chapters:  # the blocks name only chapters: read_params_file refuses any other name
        block = per_chapter.get(c.name, {})
        if (name := next((n for n in block if c.parameter(n) is None), None)) is not None:
            takes = ", ".join(p.name for p in c.parameters) or "none"
            raise ParameterError(f"chapter {c.name} has no parameter {shown(name)} (it takes: {takes})")
        given = {n: v for n, v in overrides.items() if c.parameter(n)} | block
        resolved[c.name] = {n: convert(c.parameter(n), v) for n, v in given.items()}  # type: ignore[arg-type]
    return resolved


def read_params_file(path: Path, chapter_names: list[str]) -> tuple[Values, dict[str, Values]]:
    """A params file (YAML, 64 KiB at most): (shared ``name: value`` lines, ``chapter:`` blocks), the
    values text until :func:`resolve` converts them."""
    where = f"params file {path}"
    try:
        loaded = load_yaml(read_text(path, "params file", 64 << 10), where)
    except InputError as exc:
        raise ParameterError(str(exc)) from None
    if loaded in (None, ""):
        return {}, {}
    if not isinstance(loaded, dict):
        expected = "expected a mapping of 'name: value' lines and 'chapter:' blocks"
        raise ParameterError(f"{where}: {expected}, got {'a list' if isinstance(loaded, list) else 'text'}")
    blocks = {key: value for key, value in loaded.items() if isinstance(value, dict)}
    if (name := next((key for key in blocks if key not in chapter_names), None)) is not None:
        chapters = ", ".join(chapter_names)
        raise ParameterError(f"{where}: {shown(name)} is not a chapter (chapters: {chapters})")
    shared = {key: value for key, value in loaded.items() if key not in blocks}
    given = [*shared.items(), *((f"{key}.{n}", v) for key, block in blocks.items() for n, v in block.items())]
    for label, one in given:
        if not isinstance(one, str):
            kind = "list" if isinstance(one, list) else "mapping"
            label = label if len(label) <= 60 else shown(label)
            raise ParameterError(f"{where}: {label} must be a single value, not a {kind}")
    return shared, blocks
