"""One guarded way in for every file the build reads.

Each file the build reads (a params file, ``_toc.yml``, a chapter notebook, a
data file) comes in through :func:`read_bytes` or :func:`read_text`. They refuse,
at once and without blocking, anything that is not a regular file (a named
pipe, ``/dev/zero``, a folder, a socket); read at most ``limit_bytes``; and turn
every failure into one :class:`InputError` line naming the file and the reason.

>>> import pathlib, tempfile
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> (folder / "ok.yaml").write_text("rate: 150\\n")
10
>>> read_text(folder / "ok.yaml", "params file", 1024)
'rate: 150\\n'
>>> read_text(folder, "params file", 1024)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
iijbook.inputs.InputError: params file /...: cannot read it: a folder, not a file
>>> shown("x" * 100, limit=12)
"'xxxxxxxx… (100 characters)"
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

#: How much of a value a message shows before it is cut short.
SHOWN_CHARS = 60

_KINDS = {
    stat.S_IFDIR: "a folder",
    stat.S_IFIFO: "a named pipe",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}

_REASONS = {
    errno.ENOENT: "no such file",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ENOTDIR: "a part of its path is not a folder",
    errno.ELOOP: "too many levels of symbolic links",
    errno.ENAMETOOLONG: "the name is too long",
    errno.EISDIR: "a folder, not a file",
}


#: How deep a YAML file the build reads may nest (a params file needs 2, ``_toc.yml`` about 6).
YAML_MAX_DEPTH = 32

#: The longest number a YAML file may write (Python refuses ints of over 4300 digits).
YAML_MAX_DIGITS = 100


class InputError(ValueError):
    """A file the build cannot read as it needs, in one line naming it."""


def shown(value: Any, limit: int = SHOWN_CHARS) -> str:
    """``repr(value)`` for a message, cut to about ``limit`` characters with its length.

    >>> shown("150"), shown(150.0)
    ("'150'", '150.0')
    >>> shown("9" * 5000)[-23:]
    '9999… (5000 characters)'
    """
    text = repr(value)
    if len(text) <= limit:
        return text
    size = len(value) if isinstance(value, str | bytes) else len(text)
    return f"{text[: limit - 3]}… ({size} characters)"


def reason(exc: OSError) -> str:
    """A short reason for an :class:`OSError`, without the file name.

    >>> reason(FileNotFoundError(2, "No such file or directory", "x"))
    'no such file'
    """
    return _REASONS.get(exc.errno or 0) or (exc.strerror or type(exc).__name__).lower()


def _refuse(path: Path | str, what: str, why: str) -> InputError:
    name = f"{what} {path}" if what else str(path)
    return InputError(f"{name}: cannot read it: {why}")


def _kind(mode: int) -> str | None:
    """What a file of ``mode`` is, if it is not a regular file."""
    if stat.S_ISREG(mode):
        return None
    return _KINDS.get(stat.S_IFMT(mode), "not a regular file")


def open_regular(path: Path | str, what: str) -> int:
    """A read-only descriptor of the regular file ``path``; :class:`InputError` for anything else.

    Never blocks: the file is checked before it is opened, opened
    non-blocking, and checked again on the descriptor (it may have been
    swapped meanwhile). The caller closes the descriptor.
    """
    try:
        kind = _kind(os.stat(path).st_mode)
        if kind:
            raise _refuse(path, what, f"{kind}, not a file")
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
        kind = _kind(os.fstat(fd).st_mode)
        if kind:
            os.close(fd)
            raise _refuse(path, what, f"{kind}, not a file")
        return fd
    except InputError:
        raise
    except OSError as exc:
        raise _refuse(path, what, reason(exc)) from None
    except ValueError:  # a NUL character in the name
        raise _refuse(path, what, "not a valid file name") from None


def chunks(path: Path | str, what: str, limit_bytes: int | None = None) -> Iterator[bytes]:
    """The bytes of the regular file ``path`` in pieces of up to 1 MiB (see :func:`open_regular`).

    With ``limit_bytes``, a file larger than that raises :class:`InputError`.
    """
    fd = open_regular(path, what)
    size = 0
    try:
        while True:
            want = 1 << 20 if limit_bytes is None else min(1 << 20, limit_bytes + 1 - size)
            try:
                chunk = os.read(fd, want)
            except OSError as exc:
                raise _refuse(path, what, reason(exc)) from None
            if not chunk:
                return
            size += len(chunk)
            if limit_bytes is not None and size > limit_bytes:
                raise _refuse(path, what, f"larger than {_size(limit_bytes)}")
            yield chunk
    finally:
        os.close(fd)


def read_bytes(path: Path | str, what: str, limit_bytes: int) -> bytes:
    """The bytes of the regular file ``path``, at most ``limit_bytes`` of them.

    ``what`` names the file in messages ("params file", "data file").
    Anything but a regular file is refused at once (see :func:`open_regular`).

    >>> read_bytes("/dev/zero", "data file", 10)
    Traceback (most recent call last):
    ...
    iijbook.inputs.InputError: data file /dev/zero: cannot read it: a character device, not a file
    """
    return b"".join(chunks(path, what, limit_bytes))


def read_text(path: Path | str, what: str, limit_bytes: int) -> str:
    """The UTF-8 text of ``path`` (see :func:`read_bytes`); bad bytes are named by line and byte.

    >>> import pathlib, tempfile
    >>> bad = pathlib.Path(tempfile.mkdtemp()) / "bad.yaml"
    >>> _ = bad.write_bytes(b"a: 1\\nlabel: caf\\xe9\\n")
    >>> read_text(bad, "params file", 100)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    iijbook.inputs.InputError: params file /.../bad.yaml: cannot read it: not UTF-8 at line 2 (byte 15: ...)
    """
    blob = read_bytes(path, what, limit_bytes)
    try:
        return blob.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = blob[: exc.start].count(b"\n") + 1
        raise _refuse(path, what, f"not UTF-8 at line {line} (byte {exc.start}: {exc.reason})") from None


def _size(n: int) -> str:
    """
    >>> _size(65536), _size(32 << 20), _size(1000)
    ('64 KiB', '32 MiB', '1000 bytes')
    """
    for unit, scale in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale and n % scale == 0:
            return f"{n // scale} {unit}"
    return f"{n} bytes"


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader, bounded: no aliases, limited depth and digits, no timestamps or base 60.

    Dates stay text (``2002-02-30`` is for the parameter to judge, not for
    PyYAML to fail on); a key given twice is refused rather than overwritten.
    """

    _depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        mark = self.peek_event().start_mark
        if self.check_event(yaml.AliasEvent):
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not allowed here", mark)
        if self._depth >= YAML_MAX_DEPTH:
            raise yaml.composer.ComposerError(
                None, None, f"nested too deeply (more than {YAML_MAX_DEPTH} levels)", mark
            )
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                if key_node.value in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"{shown(key_node.value)} is given twice", key_node.start_mark
                    )
                seen.add(key_node.value)
        return super().construct_mapping(node, deep=deep)

    def construct_number(self, node: Any) -> Any:
        text = str(node.value)
        if len(text) > YAML_MAX_DIGITS:
            raise yaml.constructor.ConstructorError(
                None, None, f"a number of {len(text)} characters is too long", node.start_mark
            )
        if ":" in text:  # YAML 1.1's base 60 (12:30 is 750): keep the text
            return text
        is_int = node.tag.endswith(":int")
        try:
            return self.construct_yaml_int(node) if is_int else self.construct_yaml_float(node)
        except (ValueError, TypeError):
            kind = "an int" if is_int else "a float"
            raise yaml.constructor.ConstructorError(
                None, None, f"{shown(text)} is not {kind}", node.start_mark
            ) from None


_BoundedLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if not tag.endswith(":timestamp")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_BoundedLoader.add_constructor("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_yaml_str)
_BoundedLoader.add_constructor("tag:yaml.org,2002:int", _BoundedLoader.construct_number)
_BoundedLoader.add_constructor("tag:yaml.org,2002:float", _BoundedLoader.construct_number)


def load_yaml(text: str, where: str) -> Any:
    """Parse ``text`` (one YAML document) with the bounded loader; :class:`InputError` if it fails.

    ``where`` names the file in messages.

    >>> load_yaml("cutoff: 2002-02-30\\nrate: 150\\ntime: 12:30\\n", "params file p.yaml")
    {'cutoff': '2002-02-30', 'rate': 150, 'time': '12:30'}
    >>> load_yaml("rate: " + "9" * 5000, "params file p.yaml")
    Traceback (most recent call last):
    ...
    iijbook.inputs.InputError: params file p.yaml: ... column 7: a number of 5000 characters is too long
    >>> load_yaml("[" * 100 + "]" * 100, "params file p.yaml")
    Traceback (most recent call last):
    ...
    iijbook.inputs.InputError: params file p.yaml: ... column 33: nested too deeply (more than 32 levels)
    """
    try:
        return yaml.load(text, Loader=_BoundedLoader)  # noqa: S506 - a SafeLoader, bounded
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(f"{where}: not valid YAML{at}: {problem}") from None
    except RecursionError:
        raise InputError(f"{where}: not valid YAML: nested too deeply") from None
    except (ValueError, TypeError, OverflowError) as exc:
        raise InputError(f"{where}: not valid YAML: {shown(str(exc))}") from None
