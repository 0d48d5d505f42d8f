"""Errors that both ``w2vx`` and ``ldax`` raise (re-exported where users meet them)."""
from __future__ import annotations

__all__ = ["ModelFileError"]


class ModelFileError(ValueError):
    """A model or vector file is missing, corrupt, truncated, of the wrong kind, or not allowed.

    Every gensimx loader raises this (never a bare ``KeyError``, ``zlib.error`` or
    ``MemoryError`` from deep inside a parser) for anything wrong with the file's
    contents; the message names the file and what is wrong.
    """
