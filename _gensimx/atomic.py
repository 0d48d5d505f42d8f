"""Every file gensimx writes goes through :func:`atomic_write`: all of it or none of it.

The new contents go to a temporary file that is created, never opened, in the
target's folder: its name is random, and it is created with ``O_CREAT |
O_EXCL | O_NOFOLLOW``, so a file or link planted there in advance is never
written through.  When the writer is done the file is flushed and ``fsync``-ed,
renamed over the target in one step (``os.replace``) and the folder is
``fsync``-ed, so a reader, a crash or a power cut sees either the old file or
the whole new one.  On any error (a full disk, Ctrl-C, a bug in the writer) the
temporary file is removed and the target is left as it was.  Several processes
saving to one path at once each write their own temporary file; the last
rename wins and the result is always one complete file.

A link at the target path itself is replaced by the new file, not followed.
A new file gets the permissions ``open()`` would give it (0666 less the
umask); an existing file keeps its permissions.
"""
from __future__ import annotations

import bz2
import contextlib
import gzip
import lzma
import os
import secrets
import stat
from collections.abc import Iterator
from typing import BinaryIO

__all__ = ["atomic_write", "COMPRESSED_SUFFIXES"]

# suffixes whose files are compressed on write, as gensim (smart_open) reads them
COMPRESSED_SUFFIXES = (".gz", ".bz2", ".xz")
_NAME_KEEP = 180  # of the target's name in the temporary's (NAME_MAX is 255 bytes)
_ATTEMPTS = 100


def _create_temporary(folder: str, name: str) -> tuple[int, str]:
    """A new, empty, uniquely named file in ``folder`` (never an existing file or link)."""
    flags = (os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
             | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))
    for _ in range(_ATTEMPTS):
        temporary = os.path.join(folder, f".{name[:_NAME_KEEP]}.{secrets.token_hex(8)}.tmp")
        try:
            return os.open(temporary, flags, 0o666), temporary
        except FileExistsError:
            continue
    raise FileExistsError(f"could not create a temporary file in {folder!r} after {_ATTEMPTS} tries")


def _fsync_folder(folder: str) -> None:
    """Make the rename itself durable (where the platform can open a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:  # some file systems cannot sync a directory
        pass
    finally:
        os.close(fd)


def _compressor(raw: BinaryIO, name: str) -> BinaryIO | None:
    """A compressing writer over ``raw`` when ``name`` ends in a compressed suffix."""
    lower = name.lower()
    if lower.endswith(".gz"):
        return gzip.GzipFile(filename=name, mode="wb", fileobj=raw, mtime=0)
    if lower.endswith(".bz2"):
        return bz2.BZ2File(raw, "wb")
    if lower.endswith(".xz"):
        return lzma.LZMAFile(raw, "wb")
    return None


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, *, compress_by_suffix: bool = False) -> Iterator[BinaryIO]:
    """Write ``path`` through a temporary file that replaces it only once it is complete.

    Parameters
    ----------
    path : str or PathLike
        The file to (re)write.  Its folder must exist.
    compress_by_suffix : bool
        Compress what is written when ``path`` ends in ``.gz``, ``.bz2`` or ``.xz``
        (as gensim's own writers do, so that gensim's readers read it back).

    Yields
    ------
    binary file object
        Write the new contents to it; do not close it.

    Raises
    ------
    IsADirectoryError
        ``path`` is a folder.
    OSError
        The folder is missing or not writable, the disk is full, ...  The target is unchanged.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "out.txt")
    >>> with atomic_write(path) as fh:
    ...     _ = fh.write(b"all or nothing\\n")
    >>> open(path, "rb").read()
    b'all or nothing\\n'
    """
    path = os.fspath(path)
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    folder, name = os.path.split(os.path.abspath(path))
    try:
        existing = os.lstat(path)
    except FileNotFoundError:
        existing = None
    if existing is not None and stat.S_ISDIR(existing.st_mode):
        raise IsADirectoryError(f"{path!r} is a directory; give a file name")
    fd, temporary = _create_temporary(folder, name)
    try:
        with os.fdopen(fd, "wb") as raw:
            if existing is not None and stat.S_ISREG(existing.st_mode) and hasattr(os, "fchmod"):
                os.fchmod(raw.fileno(), stat.S_IMODE(existing.st_mode))
            compressor = _compressor(raw, name) if compress_by_suffix else None
            if compressor is None:
                yield raw
            else:
                with compressor:
                    yield compressor
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _fsync_folder(folder)
