"""Safe save/load of ldax models (LdaModel, GSM): arrays + JSON, never pickles.

A thin layer over :mod:`w2vx._archive` (the one model-file format of
gensimx) adding what every topic model needs: its ``id2word`` mapping, a gensim
``Dictionary`` or a plain ``{id: word}`` dict, stored as JSON (a Dictionary is
never pickled), and numpy ``RandomState`` states, so that training resumes
reproducibly after a load.
"""
from __future__ import annotations

import os
from typing import Any

import numpy as np

from w2vx._archive import ModelFileError, load_archive, require_arrays, save_archive

__all__ = ["save_model", "load_model", "id2word_to_json", "id2word_from_json",
           "random_state_to_archive", "random_state_from_archive", "ModelFileError",
           "require_arrays"]

_RNG_KEYS = "random_state_keys"


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


def id2word_from_json(spec: dict[str, Any], path: str = "model file") -> Any:
    """Rebuild what :func:`id2word_to_json` stored (a gensim ``Dictionary`` or a dict)."""
    try:
        kind = spec["type"]
        if kind == "none":
            return None
        if kind == "dict":
            return {int(i): str(word) for i, word in spec["items"]}
        if kind == "Dictionary":
            from gensim.corpora import Dictionary
            dictionary = Dictionary()
            dictionary.token2id = {str(w): int(i) for w, i in spec["token2id"].items()}
            dictionary.dfs = {int(i): int(n) for i, n in spec["dfs"]}
            dictionary.cfs = {int(i): int(n) for i, n in spec["cfs"]}
            dictionary.num_docs = int(spec["num_docs"])
            dictionary.num_pos = int(spec["num_pos"])
            dictionary.num_nnz = int(spec["num_nnz"])
            return dictionary
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ModelFileError(f"{path}: malformed id2word ({exc})") from exc
    raise ModelFileError(f"{path}: unknown id2word type {kind!r}")


def random_state_to_archive(rng: np.random.RandomState) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Split a ``RandomState``'s state into arrays and JSON metadata."""
    name, keys, pos, has_gauss, cached = rng.get_state()
    return ({_RNG_KEYS: np.asarray(keys, dtype=np.uint32)},
            {"name": name, "pos": int(pos), "has_gauss": int(has_gauss), "cached": float(cached)})


def random_state_from_archive(arrays: dict[str, np.ndarray], meta: dict[str, Any],
                              path: str = "model file") -> np.random.RandomState:
    """Inverse of :func:`random_state_to_archive`."""
    require_arrays(arrays, {_RNG_KEYS: ((624,), np.uint32)}, path)
    rng = np.random.RandomState()
    try:
        rng.set_state((meta["name"], arrays[_RNG_KEYS], int(meta["pos"]),
                       int(meta["has_gauss"]), float(meta["cached"])))
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFileError(f"{path}: malformed random state ({exc})") from exc
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
    >>> arrays, meta, id2word, rng = load_model(path, "demo")
    >>> meta["k"], id2word
    (1, {0: 'a'})
    """
    full_arrays = dict(arrays)
    full_meta = {"model": meta, "id2word": id2word_to_json(id2word), "random_state": None}
    if random_state is not None:
        rng_arrays, rng_meta = random_state_to_archive(random_state)
        full_arrays.update(rng_arrays)
        full_meta["random_state"] = rng_meta
    save_archive(path, kind, full_arrays, full_meta)


def load_model(path: str | os.PathLike, kind: str
               ) -> tuple[dict[str, np.ndarray], dict[str, Any], Any, np.random.RandomState | None]:
    """Load what :func:`save_model` wrote.

    Returns
    -------
    arrays : dict of str to ndarray
    meta : dict
        The ``meta`` given to :func:`save_model`.
    id2word : gensim Dictionary, dict or None
    random_state : numpy RandomState or None

    Raises
    ------
    ModelFileError
        Corrupt or truncated file, another model kind, malformed metadata.
    """
    arrays, full_meta = load_archive(path, kind)
    path = os.fspath(path)
    if not isinstance(full_meta, dict) or not isinstance(full_meta.get("model"), dict):
        raise ModelFileError(f"{path}: malformed metadata")
    id2word = id2word_from_json(full_meta.get("id2word") or {"type": "none"}, path)
    rng = None
    if full_meta.get("random_state") is not None:
        rng = random_state_from_archive(arrays, full_meta["random_state"], path)
    arrays.pop(_RNG_KEYS, None)
    return arrays, full_meta["model"], id2word, rng
