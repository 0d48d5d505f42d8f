"""Reading and rewriting gensimx model files in tests, to craft damaged or hostile ones."""
import json

import numpy as np

from w2vx._archive import save_archive

META_KEY = "__gensimx_meta__"


def read_model_file(path):
    """Every array of a gensimx model file and its metadata (what the model saved)."""
    with np.load(path, allow_pickle=False) as npz:
        arrays = {name: npz[name] for name in npz.files}
    header = json.loads(bytes(arrays.pop(META_KEY)).decode("utf-8"))
    return arrays, header["meta"], header["kind"]


def rewrite_model_file(source, target, edit_arrays=None, edit_meta=None):
    """Copy a model file to ``target`` after ``edit_arrays(arrays)`` / ``edit_meta(meta)`` (in place)."""
    arrays, meta, kind = read_model_file(source)
    if edit_arrays is not None:
        edit_arrays(arrays)
    if edit_meta is not None:
        edit_meta(meta)
    save_archive(target, kind, arrays, meta)
    return target
