"""Reading corpus files that may be gzip-compressed, with one clear error for a damaged one.

A truncated or corrupt ``.gz`` file makes :mod:`gzip` raise ``EOFError``,
``zlib.error`` or ``gzip.BadGzipFile`` somewhere in the middle of a read; the
reader of :func:`open_input` turns each of them into :class:`CorruptInputError`
(a ``ValueError``) naming the file, so that the API and both command lines
report it in one line instead of a traceback.
"""
from __future__ import annotations

import gzip
import io
import os
import zlib
from typing import BinaryIO

__all__ = ["CorruptInputError", "DECOMPRESSION_ERRORS", "open_input", "is_gzip_path"]

# what gzip (and gensim's readers through it) raise for damaged compressed data
DECOMPRESSION_ERRORS = (EOFError, zlib.error, gzip.BadGzipFile)


class CorruptInputError(ValueError):
    """A compressed input file is truncated or corrupt; the message names the file."""


def is_gzip_path(path: str | os.PathLike) -> bool:
    """Whether ``path`` names a gzip file by its suffix (as gensim and word2vec tools decide)."""
    return os.fspath(path).endswith(".gz")


def corrupt_input_error(path: str | os.PathLike, exc: BaseException) -> CorruptInputError:
    """The error for a damaged compressed file, with the decompressor's reason."""
    reason = str(exc) or type(exc).__name__
    return CorruptInputError(f"{os.fspath(path)} is truncated or corrupt ({reason})")


class _CheckedReader(io.RawIOBase):
    """A raw reader over a decompressing stream that reports damage as CorruptInputError."""

    def __init__(self, stream: BinaryIO, path: str) -> None:
        self._stream, self._path = stream, path

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        try:
            return self._stream.readinto(buffer)
        except DECOMPRESSION_ERRORS as exc:
            raise corrupt_input_error(self._path, exc) from None

    def close(self) -> None:
        try:
            self._stream.close()
        finally:
            super().close()


def open_input(path: str | os.PathLike) -> BinaryIO:
    """Open a corpus file for binary reading; ``.gz`` files are decompressed on the fly.

    Returns
    -------
    binary file object
        Reads raise :class:`CorruptInputError` if a ``.gz`` file is truncated or corrupt.
    """
    path = os.fspath(path)
    if not is_gzip_path(path):
        return open(path, "rb")
    return io.BufferedReader(_CheckedReader(gzip.open(path, "rb"), path), buffer_size=1 << 20)
