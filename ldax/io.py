"""Safe save/load of ldax models (LdaModel, GSM): arrays + JSON, never pickles.

A thin layer over :mod:`w2vx._archive` (the one model-file format of
gensimx) adding what every topic model needs: its ``id2word`` mapping, a gensim
``Dictionary`` or a plain ``{id: word}`` dict, stored as JSON (a Dictionary is
never pickled), and numpy ``RandomState`` states, so that training resumes
reproducibly after a load.  Loading checks every stored field's type before
using it and raises :class:`ModelFileError` for anything malformed.
"""
from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

import numpy as np

from _gensimx.atomic import atomic_write
from w2vx._archive import Archive, MetaFields, ModelFileError, open_archive, save_archive

__all__ = ["save_model", "open_model", "save_dictionary_text", "id2word_to_json", "id2word_from_json",
           "random_state_to_archive", "random_state_from_archive", "ModelFileError", "MetaFields"]

_RNG_KEYS = "random_state_keys"
_MT19937_WORDS = 624


def id2word_to_json(id2word: Any) -> dict[str, Any]:
    """A JSON-serialisable description of a gensim ``Dictionary`` or an ``{id: word}`` dict.

    Words are stored as strings (a dict whose values are not strings, such as
    gensim's identity mapping of a corpus without dictionary, comes back with
    ``str`` values).
    """
    if id2word is None:
        return {"type": "none"}
    token2id = getattr(id2word, "token2id", None)
    if token2id is not None and hasattr(id2word, "dfs"):
        return {
            "type": "Dictionary",
            "token2id": {str(word): int(i) for word, i in token2id.items()},
            "dfs": [[int(i), int(n)] for i, n in id2word.dfs.items()],
            "cfs": [[int(i), int(n)] for i, n in getattr(id2word, "cfs", {}).items()],
            "num_docs": int(id2word.num_docs), "num_pos": int(id2word.num_pos),
            "num_nnz": int(id2word.num_nnz),
        }
    return {"type": "dict", "items": [[int(i), str(word)] for i, word in id2word.items()]}


def save_dictionary_text(dictionary: Any, path: str | os.PathLike) -> None:
    """Write a gensim ``Dictionary`` in its text format, byte for byte what
    ``Dictionary.save_as_text(path)`` writes (sorted by word), but through
    :func:`_gensimx.atomic.atomic_write` (``.gz``/``.bz2``/``.xz`` compressed, as gensim
    would), so an interrupted or concurrent save never leaves a partial file.
    ``Dictionary.load_from_text`` reads it."""
    lines = [f"{dictionary.num_docs}\n"]
    lines += [f"{token_id}\t{token}\t{dictionary.dfs.get(token_id, 0)}\n"
              for token, token_id in sorted(dictionary.token2id.items())]
    with atomic_write(path, compress_by_suffix=True) as fh:
        fh.write("".join(lines).encode("utf-8"))


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _pairs(fields: MetaFields, name: str, second: type) -> list:
    """A JSON list of ``[id, value]`` pairs: ids whole numbers >= 0, values of type ``second``."""
    value = fields.raw(name)
    ok = isinstance(value, list) and all(
        isinstance(p, list) and len(p) == 2 and _is_count(p[0])
        and (_is_count(p[1]) if second is int else isinstance(p[1], second)) for p in value)
    if not ok:
        raise fields.bad(name, value, f"a list of [id, {second.__name__}] pairs")
    return value


def id2word_from_json(spec: Any, path: str = "model file") -> Any:
    """Rebuild what :func:`id2word_to_json` stored (a gensim ``Dictionary`` or a dict),
    checking every id, word and count."""
    fields = MetaFields(spec, path, "id2word")
    kind = fields.choice("type", ("none", "dict", "Dictionary"))
    if kind == "none":
        return None
    if kind == "dict":
        return {i: word for i, word in _pairs(fields, "items", str)}
    from gensim.corpora import Dictionary
    token2id = fields.raw("token2id")
    if not isinstance(token2id, dict) or not all(_is_count(i) for i in token2id.values()):
        raise fields.bad("token2id", token2id, "an object mapping words to ids >= 0")
    dictionary = Dictionary()
    dictionary.token2id = dict(token2id)
    dictionary.dfs = dict(_pairs(fields, "dfs", int))
    dictionary.cfs = dict(_pairs(fields, "cfs", int))
    dictionary.num_docs = fields.integer("num_docs", 0)
    dictionary.num_pos = fields.integer("num_pos", 0)
    dictionary.num_nnz = fields.integer("num_nnz", 0)
    return dictionary


def random_state_to_archive(rng: np.random.RandomState) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Split a ``RandomState``'s state into arrays and JSON metadata."""
    name, keys, pos, has_gauss, cached = rng.get_state()
    return ({_RNG_KEYS: np.asarray(keys, dtype=np.uint32)},
            {"name": name, "pos": int(pos), "has_gauss": int(has_gauss), "cached": float(cached)})


def random_state_from_archive(keys: np.ndarray, fields: MetaFields) -> np.random.RandomState:
    """Inverse of :func:`random_state_to_archive`, from the key array and the checked fields."""
    rng = np.random.RandomState()
    rng.set_state((fields.choice("name", ("MT19937",)), keys,
                   fields.integer("pos", 0, _MT19937_WORDS), int(fields.boolean("has_gauss")),
                   fields.number("cached")))
    return rng


def save_model(path: str | os.PathLike, kind: str, arrays: dict[str, np.ndarray],
               meta: dict[str, Any], id2word: Any = None,
               random_state: np.random.RandomState | None = None) -> None:
    """Save a topic model: its arrays, JSON metadata, id2word and random state.

    Parameters
    ----------
    path : str or PathLike
    kind : str
        Model kind checked on load, e.g. ``"ldax.LdaModel"``.
    arrays : dict of str to ndarray
        Numeric arrays of the model.
    meta : dict
        JSON-serialisable parameters.
    id2word : gensim Dictionary or dict, optional
    random_state : numpy RandomState, optional

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "m.npz")
    >>> save_model(path, "demo", {"w": np.ones(3)}, {"k": 1}, id2word={0: "a"})
    >>> with open_model(path, "demo") as (archive, meta, id2word, rng):
    ...     meta.integer("k"), id2word, archive.read("w", (3,), np.float64).sum()
    (1, {0: 'a'}, 3.0)
    """
    full_arrays = dict(arrays)
    full_meta = {"model": meta, "id2word": id2word_to_json(id2word), "random_state": None}
    if random_state is not None:
        rng_arrays, rng_meta = random_state_to_archive(random_state)
        full_arrays.update(rng_arrays)
        full_meta["random_state"] = rng_meta
    save_archive(path, kind, full_arrays, full_meta)


@contextlib.contextmanager
def open_model(path: str | os.PathLike, kind: str
               ) -> Iterator[tuple[Archive, MetaFields, Any, np.random.RandomState | None]]:
    """Open what :func:`save_model` wrote (a context manager).

    Yields
    ------
    archive : w2vx._archive.Archive
        Read the model's arrays from it (each checked against the expected shape).
    meta : w2vx._archive.MetaFields
        The ``meta`` given to :func:`save_model`, for typed, checked access.
    id2word : gensim Dictionary, dict or None
    random_state : numpy RandomState or None

    Raises
    ------
    FileNotFoundError
    ModelFileError
        Corrupt or truncated file, another model kind, malformed metadata.
    """
    with open_archive(path, kind) as archive:
        fields = MetaFields(archive.meta, archive.path)
        model = fields.section("model")
        id2word = id2word_from_json(fields.raw("id2word", None) or {"type": "none"}, archive.path)
        rng = None
        if fields.raw("random_state", None) is not None:
            keys = archive.read(_RNG_KEYS, (_MT19937_WORDS,), np.uint32)
            try:
                rng = random_state_from_archive(keys, fields.section("random_state"))
            except (TypeError, ValueError) as exc:
                if isinstance(exc, ModelFileError):
                    raise
                raise ModelFileError(f"{archive.path}: malformed random state ({exc})") from exc
        yield archive, model, id2word, rng
