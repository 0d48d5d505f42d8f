"""Safe model files: named numpy arrays plus JSON metadata in one ``.npz``.

Shared by ``w2vx`` and ``ldax`` (``ldax.io`` imports it), so that every model
file of gensimx has one format and one loader.  Loading never unpickles:
arrays are read with ``allow_pickle=False`` and metadata is plain JSON, so a
file cannot run code.  A file that is truncated, not an archive, of another
model kind, or of a newer format version raises :class:`ModelFileError`.
"""
from __future__ import annotations

import json
import os
import zipfile
from typing import Any

import numpy as np

_META_KEY = "__gensimx_meta__"
FORMAT_VERSION = 1


class ModelFileError(ValueError):
    """A model file is missing, corrupt, truncated or of the wrong kind."""


def save_archive(path: str | os.PathLike, kind: str, arrays: dict[str, np.ndarray],
                 meta: dict[str, Any]) -> None:
    """Write ``arrays`` and JSON-serialisable ``meta`` to ``path``.

    Parameters
    ----------
    path : str or PathLike
        Destination file.  Written exactly as given (numpy's habit of adding
        ``.npz`` is avoided), through a temporary file and an atomic rename.
    kind : str
        Model kind stored in the file and checked on load (e.g. ``"w2vx.Word2Vec"``).
    arrays : dict of str to ndarray
        Numeric arrays only (object arrays are refused).
    meta : dict
        Anything ``json.dumps`` accepts.
    """
    path = os.fspath(path)
    for name, arr in arrays.items():
        if name == _META_KEY:
            raise ValueError(f"array name {name!r} is reserved")
        if np.asarray(arr).dtype == object:
            raise TypeError(f"array {name!r} has dtype object; only numeric arrays are saved")
    header = {"kind": kind, "format_version": FORMAT_VERSION, "meta": meta}
    blob = np.frombuffer(json.dumps(header).encode("utf-8"), dtype=np.uint8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as fh:
        np.savez(fh, **{_META_KEY: blob}, **arrays)
    os.replace(tmp, path)


def load_archive(path: str | os.PathLike, kind: str) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Read a file written by :func:`save_archive`.

    Parameters
    ----------
    path : str or PathLike
    kind : str
        The model kind the caller expects.

    Returns
    -------
    arrays : dict of str to ndarray
    meta : dict

    Raises
    ------
    FileNotFoundError
        The file does not exist.
    ModelFileError
        Corrupt, truncated, not a gensimx file, another kind, or a newer format.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"model file not found: {path}")
    try:
        with np.load(path, allow_pickle=False) as npz:
            names = list(npz.files)
            if _META_KEY not in names:
                raise ModelFileError(f"{path} is not a gensimx model file (no metadata)")
            header = json.loads(bytes(npz[_META_KEY]).decode("utf-8"))
            arrays = {name: npz[name] for name in names if name != _META_KEY}
    except ModelFileError:
        raise
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, KeyError,
            UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{path} is corrupt or truncated: {exc}") from exc
    if not isinstance(header, dict) or "kind" not in header:
        raise ModelFileError(f"{path} has malformed metadata")
    if header["kind"] != kind:
        raise ModelFileError(f"{path} holds a {header['kind']!r}, not a {kind!r}")
    if header.get("format_version", 0) > FORMAT_VERSION:
        raise ModelFileError(
            f"{path} has format version {header['format_version']}, newer than this "
            f"gensimx understands ({FORMAT_VERSION}); upgrade gensimx")
    return arrays, header.get("meta", {})


def require_arrays(arrays: dict[str, np.ndarray], spec: dict[str, tuple[tuple, Any]],
                   path: str = "model file") -> None:
    """Check that ``arrays`` holds each named array with the given shape and dtype kind.

    ``spec`` maps a name to ``(shape, dtype)``; ``None`` in a shape accepts any length.
    Raises :class:`ModelFileError` on the first mismatch.
    """
    for name, (shape, dtype) in spec.items():
        if name not in arrays:
            raise ModelFileError(f"{path}: array {name!r} is missing")
        arr = arrays[name]
        if arr.ndim != len(shape) or any(s is not None and s != a for s, a in zip(shape, arr.shape)):
            raise ModelFileError(f"{path}: array {name!r} has shape {arr.shape}, expected {shape}")
        if dtype is not None and arr.dtype != np.dtype(dtype):
            raise ModelFileError(f"{path}: array {name!r} has dtype {arr.dtype}, expected {np.dtype(dtype)}")
