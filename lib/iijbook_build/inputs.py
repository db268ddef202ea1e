"""One guarded way in for every file the build reads.

Each file the book reads (a params file, ``_toc.yml``, a chapter notebook, a
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
iijbook_build.inputs.InputError: params file /...: cannot read it: a folder, not a file
>>> shown("x" * 100, limit=12)
"'xxxxxxxx… (100 characters)"
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path

from iijbook.params import shown

__all__ = ["InputError", "chunks", "open_regular", "read_bytes", "read_text", "reason", "shown"]

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


class InputError(ValueError):
    """A file the build cannot read as it needs, in one line naming it."""


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
    iijbook_build.inputs.InputError: data file /dev/zero: cannot read it: a character device, not a file
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
    iijbook_build.inputs.InputError: params file /.../bad.yaml: cannot read it: not UTF-8 at line 2 ...
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
