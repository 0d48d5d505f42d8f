"""Safe model files: named numpy arrays plus JSON metadata in one ``.npz``.

Shared by ``w2vx`` and ``ldax`` (``ldax.io`` imports it), so that every model
file of gensimx has one format and one loader.  What loading guarantees:

* nothing is unpickled: metadata is JSON, arrays are numeric ``.npy`` members
  read without ``allow_pickle``, so a file cannot run code;
* only the members the loader asks for are read, and each member's declared
  size is checked before anything is inflated: against its ``.npy`` header
  (shape and dtype), against the shape the validated metadata implies, and,
  for a compressed member, against its compressed size (at most
  ``MAX_INFLATION`` times larger), so a small file cannot make the loader
  allocate gigabytes;
* every failure (a bad zip structure, an unsupported compression, a CRC error,
  truncated data, malformed JSON, a missing or mistyped field) raises
  :class:`ModelFileError` naming the file; a missing file raises
  ``FileNotFoundError``.

Saving goes through :func:`_gensimx.atomic.atomic_write`: a unique temporary
file in the target's folder, renamed over the target once complete.
"""
from __future__ import annotations

import json
import lzma
import math
import numbers
import os
import reprlib
import stat
import struct
import zipfile
import zlib
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from _gensimx.atomic import atomic_write
from _gensimx.errors import ModelFileError
from _gensimx.pickles import looks_like_pickle

__all__ = ["ModelFileError", "Archive", "MetaFields", "save_archive", "open_archive", "load_archive"]

_META_KEY = "__gensimx_meta__"
FORMAT_VERSION = 1
# A compressed member may declare at most this many times its compressed size
# (np.savez, which gensimx uses, stores members uncompressed: ratio 1).
MAX_INFLATION = 100
_INFLATION_SLACK = 1 << 16          # small members: headers compress well
MAX_META_BYTES = 256 << 20          # the JSON metadata (id2word of a large Dictionary included)
_NUMERIC_KINDS = "biuf"             # bool, int, uint, float: the only dtypes a model stores
_READ_CHUNK = 1 << 20            # bytes per read: larger chunks cost page faults on each new buffer
# what zipfile, zlib, numpy's header parser and json raise on damaged or crafted input
_READ_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError,
                zlib.error, lzma.LZMAError, EOFError, OSError, KeyError, IndexError,
                UnicodeDecodeError, ValueError, TypeError, struct.error, OverflowError,
                SyntaxError)
_short = reprlib.Repr()
_short.maxstring = _short.maxother = 60


def save_archive(path: str | os.PathLike, kind: str, arrays: dict[str, np.ndarray],
                 meta: dict[str, Any]) -> None:
    """Write ``arrays`` and JSON-serialisable ``meta`` to ``path``.

    Parameters
    ----------
    path : str or PathLike
        Destination file.  Written exactly as given (numpy's habit of adding
        ``.npz`` is avoided), through :func:`_gensimx.atomic.atomic_write`.
    kind : str
        Model kind stored in the file and checked on load (e.g. ``"w2vx.Word2Vec"``).
    arrays : dict of str to ndarray
        Numeric arrays only (object arrays are refused).
    meta : dict
        Anything ``json.dumps`` accepts.
    """
    for name, arr in arrays.items():
        if name == _META_KEY:
            raise ValueError(f"array name {name!r} is reserved")
        if np.asarray(arr).dtype.kind not in _NUMERIC_KINDS:
            raise TypeError(f"array {name!r} has dtype {np.asarray(arr).dtype}; only numeric "
                            f"arrays are saved")
    header = {"kind": kind, "format_version": FORMAT_VERSION, "meta": meta}
    blob = np.frombuffer(json.dumps(header).encode("utf-8"), dtype=np.uint8)
    with atomic_write(path) as fh:
        np.savez(fh, **{_META_KEY: blob}, **arrays)


def _open_regular_file(path: str) -> Any:
    """Open ``path`` for reading if it is a regular file (a FIFO or device would block or never end)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
                 | getattr(os, "O_BINARY", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ModelFileError(f"{path} is not a regular file")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


class Archive:
    """An open gensimx model file: its metadata at once, its arrays one by one on request.

    Use :func:`open_archive` (a context manager).  :attr:`meta` is the JSON
    metadata the model saved (a dict, not yet validated: check it with
    :class:`MetaFields`); :meth:`read` reads one array after checking its
    header against the shape and dtype the caller expects.
    """

    def __init__(self, path: str | os.PathLike, kind: str) -> None:
        self.path = os.fspath(path)
        self.kind = kind
        self._file = _open_regular_file(self.path)
        try:
            self._size = os.fstat(self._file.fileno()).st_size
            if looks_like_pickle(self._file.read(2)):
                raise ModelFileError(f"{self.path} is a pickle (a model saved by gensim?), not a "
                                     f"gensimx model file; gensimx model files hold no pickles")
            self._file.seek(0)
            self._zip = self._guard(lambda: zipfile.ZipFile(self._file))
            self._members = {info.filename[:-4]: info for info in self._zip.infolist()
                             if info.filename.endswith(".npy")}
            self.meta = self._read_header()
        except BaseException:
            self.close()
            raise

    @property
    def size(self) -> int:
        """The file's size in bytes."""
        return self._size

    # ------------------------------------------------------------- plumbing
    def _guard(self, action):
        """Run ``action``; any failure of the zip, zlib, npy or JSON layers becomes ModelFileError."""
        try:
            return action()
        except ModelFileError:
            raise
        except MemoryError as exc:
            raise MemoryError(f"{self.path}: not enough memory to load it ({exc})") from exc
        except _READ_ERRORS as exc:
            reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            raise ModelFileError(f"{self.path} is corrupt or truncated ({_short.repr(reason)[1:-1]})") from exc

    def close(self) -> None:
        for closable in (getattr(self, "_zip", None), getattr(self, "_file", None)):
            if closable is not None:
                try:
                    closable.close()
                except OSError:
                    pass

    def __enter__(self) -> "Archive":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def _read_header(self) -> dict[str, Any]:
        if _META_KEY not in self._members:
            raise ModelFileError(f"{self.path} is not a gensimx model file (no metadata)")
        blob = self.read(_META_KEY, (None,), np.uint8, limit=MAX_META_BYTES)
        header = self._guard(lambda: json.loads(blob.tobytes().decode("utf-8")))
        if not isinstance(header, dict) or not isinstance(header.get("kind"), str):
            raise ModelFileError(f"{self.path} has malformed metadata")
        if header["kind"] != self.kind:
            raise ModelFileError(f"{self.path} holds a {_short.repr(header['kind'])}, not a {self.kind!r}")
        version = header.get("format_version", 0)
        if isinstance(version, bool) or not isinstance(version, int):
            raise ModelFileError(f"{self.path} has a malformed format version {_short.repr(version)}")
        if version > FORMAT_VERSION:
            raise ModelFileError(
                f"{self.path} has format version {version}, newer than this gensimx "
                f"understands ({FORMAT_VERSION}); upgrade gensimx")
        meta = header.get("meta", {})
        if not isinstance(meta, dict):
            raise ModelFileError(f"{self.path} has malformed metadata (not a JSON object)")
        return meta

    # ---------------------------------------------------------------- arrays
    def has(self, name: str) -> bool:
        """Whether the file holds an array called ``name``."""
        return name in self._members

    def _member(self, name: str) -> zipfile.ZipInfo:
        info = self._members.get(name)
        if info is None:
            raise ModelFileError(f"{self.path}: array {name!r} is missing")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise ModelFileError(f"{self.path}: array {name!r} uses zip compression method "
                                 f"{info.compress_type}; gensimx files are stored or deflated")
        if info.compress_type == zipfile.ZIP_STORED and info.file_size != info.compress_size:
            raise ModelFileError(f"{self.path}: array {name!r} declares {info.file_size} bytes "
                                 f"but stores {info.compress_size}")
        if info.file_size > MAX_INFLATION * info.compress_size + _INFLATION_SLACK:
            raise ModelFileError(
                f"{self.path}: array {name!r} declares {info.file_size} bytes from "
                f"{info.compress_size} compressed bytes, over {MAX_INFLATION} times more; "
                f"refused (a decompression bomb?)")
        if info.compress_size > self._size:
            raise ModelFileError(f"{self.path}: array {name!r} declares {info.compress_size} "
                                 f"bytes, more than the {self._size}-byte file holds")
        return info

    def _open_npy(self, info: zipfile.ZipInfo) -> tuple[Any, tuple[int, ...], np.dtype, bool, int]:
        """Open a member and parse its ``.npy`` header: (stream, shape, dtype, fortran, data bytes)."""
        stream = self._zip.open(info)
        try:
            version = np.lib.format.read_magic(stream)
            if version not in ((1, 0), (2, 0)):
                raise ModelFileError(f"{self.path}: array {info.filename!r} has .npy version "
                                     f"{version}, not 1.0 or 2.0")
            try:  # numpy parses the header with the tokenizer and literal_eval: any error is damage
                read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                               else np.lib.format.read_array_header_2_0)
                shape, fortran, dtype = read_header(stream)
            except Exception as exc:  # noqa: BLE001 - untrusted bytes, parsed by a third party
                raise ModelFileError(f"{self.path}: array {info.filename!r} has a malformed .npy "
                                     f"header ({type(exc).__name__}: {_short.repr(str(exc))[1:-1]})") from exc
            if dtype.hasobject or dtype.kind not in _NUMERIC_KINDS or dtype.fields is not None:
                raise ModelFileError(f"{self.path}: array {info.filename!r} has dtype {dtype}; "
                                     f"model files hold numeric arrays only")
            if any(not isinstance(d, int) or d < 0 for d in shape):
                raise ModelFileError(f"{self.path}: array {info.filename!r} has shape {shape}")
            nbytes = math.prod(shape) * dtype.itemsize
            if stream.tell() + nbytes != info.file_size:
                raise ModelFileError(
                    f"{self.path}: array {info.filename!r} of shape {shape} and dtype {dtype} "
                    f"needs {nbytes} bytes, but its member holds {info.file_size - stream.tell()}")
            return stream, tuple(shape), dtype, bool(fortran), nbytes
        except BaseException:
            stream.close()
            raise

    def shape(self, name: str) -> tuple[int, ...]:
        """The shape of array ``name`` from its header (nothing inflated beyond the header)."""
        stream, shape, _, _, _ = self._guard(lambda: self._open_npy(self._member(name)))
        stream.close()
        return shape

    def read(self, name: str, shape: Sequence[int | None], dtype: Any,
             limit: int | None = None) -> np.ndarray:
        """Read array ``name`` after checking that its header matches ``shape`` and ``dtype``.

        Parameters
        ----------
        name : str
        shape : sequence of int or None
            The expected shape; ``None`` accepts any length in that dimension.
        dtype : numpy dtype or None
            The expected dtype (None: any numeric dtype).
        limit : int, optional
            Refuse an array larger than this many bytes.

        Raises
        ------
        ModelFileError
            Missing, another shape or dtype, larger than ``limit``, or damaged.
        """
        return self._guard(lambda: self._read(name, tuple(shape), dtype, limit))

    def _read(self, name: str, expected: tuple, dtype: Any, limit: int | None) -> np.ndarray:
        stream, shape, found, fortran, nbytes = self._open_npy(self._member(name))
        with stream:
            if len(shape) != len(expected) or any(e is not None and e != s for e, s in zip(expected, shape)):
                raise ModelFileError(f"{self.path}: array {name!r} has shape {shape}, expected "
                                     f"{tuple('any' if e is None else e for e in expected)}")
            if dtype is not None and found != np.dtype(dtype):
                raise ModelFileError(f"{self.path}: array {name!r} has dtype {found}, "
                                     f"expected {np.dtype(dtype)}")
            if limit is not None and nbytes > limit:
                raise ModelFileError(f"{self.path}: array {name!r} holds {nbytes} bytes, more than "
                                     f"the {limit} allowed")
            array = np.empty(shape, dtype=found, order="F" if fortran else "C")
            view = memoryview(array.reshape(-1, order="A").view(np.uint8))
            done = 0
            while done < nbytes:
                got = stream.readinto(view[done:done + _READ_CHUNK])
                if not got:
                    raise ModelFileError(f"{self.path}: array {name!r} is truncated")
                done += got
            if stream.read(1):
                raise ModelFileError(f"{self.path}: array {name!r} has trailing data")
        return np.ascontiguousarray(array)

    def read_all(self, spec: dict[str, tuple[Sequence[int | None], Any]]) -> dict[str, np.ndarray]:
        """Read every array of ``spec`` (name -> (shape, dtype)), checked as :meth:`read` does."""
        return {name: self.read(name, shape, dtype) for name, (shape, dtype) in spec.items()}


def open_archive(path: str | os.PathLike, kind: str) -> Archive:
    """Open a gensimx model file of the given kind; use it as a context manager.

    Raises
    ------
    FileNotFoundError
        The file does not exist.
    ModelFileError
        Not a gensimx file, another kind, a newer format, or damaged.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "m.npz")
    >>> save_archive(path, "demo", {"w": np.ones(3)}, {"k": 1})
    >>> with open_archive(path, "demo") as archive:
    ...     archive.meta, archive.read("w", (3,), np.float64).tolist()
    ({'k': 1}, [1.0, 1.0, 1.0])
    """
    return Archive(path, kind)


def load_archive(path: str | os.PathLike, kind: str,
                 spec: dict[str, tuple[Sequence[int | None], Any]]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Read the metadata and exactly the arrays of ``spec`` (name -> (shape, dtype)).

    For models whose expected shapes depend on the metadata, use :func:`open_archive`.
    """
    with open_archive(path, kind) as archive:
        return archive.read_all(spec), archive.meta


# --------------------------------------------------------------- metadata
_MISSING = object()


class MetaFields:
    """Typed, range-checked access to a model file's JSON metadata.

    Each getter returns the field converted to the Python type it names, or
    raises :class:`ModelFileError` naming the file and the field; so a loader
    checks every field before it builds anything from it.
    """

    def __init__(self, meta: Any, path: str, where: str = "metadata") -> None:
        if not isinstance(meta, dict):
            raise ModelFileError(f"{path}: {where} is not a JSON object")
        self.meta, self.path, self.where = meta, path, where

    def has(self, name: str) -> bool:
        return name in self.meta

    def raw(self, name: str, default: Any = _MISSING) -> Any:
        """The field as stored (``default`` when absent; missing and no default: ModelFileError)."""
        if name in self.meta:
            return self.meta[name]
        if default is _MISSING:
            raise ModelFileError(f"{self.path}: {self.where} field {name!r} is missing")
        return default

    def bad(self, name: str, value: Any, expected: str) -> ModelFileError:
        return ModelFileError(f"{self.path}: {self.where} field {name!r} must be {expected}, "
                              f"got {_short.repr(value)}")

    def _bounded(self, name: str, what: str, accepts: Any, minimum: float | None,
                 maximum: float | None, default: Any, optional: bool) -> Any:
        value = self.raw(name, default)
        if value is None and optional:
            return None
        if (isinstance(value, bool) or not accepts(value) or (minimum is not None and value < minimum)
                or (maximum is not None and value > maximum)):
            raise self.bad(name, value, what + _range_text(minimum, maximum) + (" or null" if optional else ""))
        return value

    def integer(self, name: str, minimum: int | None = None, maximum: int | None = None,
                default: Any = _MISSING, optional: bool = False) -> int | None:
        """A whole number (JSON integer, not a boolean) in ``[minimum, maximum]``; ``optional`` allows null."""
        return self._bounded(name, "a whole number", lambda v: isinstance(v, int), minimum, maximum,
                             default, optional)

    def number(self, name: str, minimum: float | None = None, maximum: float | None = None,
               default: Any = _MISSING, optional: bool = False) -> float | None:
        """A finite real number in ``[minimum, maximum]``; ``optional`` allows null."""
        value = self._bounded(name, "a finite number",
                              lambda v: isinstance(v, numbers.Real) and math.isfinite(v), minimum,
                              maximum, default, optional)
        return None if value is None else float(value)

    def boolean(self, name: str, default: Any = _MISSING) -> bool:
        """true/false (or 0/1, as gensim stores flags such as ``sg``)."""
        value = self.raw(name, default)
        if value not in (True, False) or not isinstance(value, (bool, int)):
            raise self.bad(name, value, "true, false, 0 or 1")
        return bool(value)

    def choice(self, name: str, choices: Iterable[Any], default: Any = _MISSING) -> Any:
        """One of ``choices`` (compared by type and value)."""
        value = self.raw(name, default)
        choices = tuple(choices)
        if not any(type(value) is type(c) and value == c for c in choices):
            raise self.bad(name, value, f"one of {choices}")
        return value

    def string(self, name: str, default: Any = _MISSING, optional: bool = False,
               max_length: int = 1 << 20) -> str | None:
        """A string of at most ``max_length`` characters; ``optional`` allows null."""
        value = self.raw(name, default)
        if value is None and optional:
            return None
        if not isinstance(value, str) or len(value) > max_length:
            raise self.bad(name, value, "a string" + (" or null" if optional else ""))
        return value

    def integers(self, name: str, minimum: int | None = None, maximum: int | None = None,
                 max_items: int = 1 << 10) -> list[int]:
        """A list of whole numbers each in ``[minimum, maximum]``."""
        value = self.raw(name)
        expected = f"a list of at most {max_items} whole numbers" + _range_text(minimum, maximum)
        if not isinstance(value, list) or len(value) > max_items:
            raise self.bad(name, value, expected)
        for item in value:
            if (isinstance(item, bool) or not isinstance(item, int)
                    or (minimum is not None and item < minimum) or (maximum is not None and item > maximum)):
                raise self.bad(name, value, expected)
        return list(value)

    def section(self, name: str, default: Any = _MISSING) -> "MetaFields":
        """A nested JSON object, checked the same way."""
        return MetaFields(self.raw(name, default), self.path, f"{self.where} field {name!r}")


def _range_text(minimum: float | None, maximum: float | None) -> str:
    if minimum is not None and maximum is not None:
        return f" in [{minimum}, {maximum}]"
    if minimum is not None:
        return f" >= {minimum}"
    if maximum is not None:
        return f" <= {maximum}"
    return ""
