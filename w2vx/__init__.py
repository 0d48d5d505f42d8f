"""w2vx: word2vec with nogil Cython training loops behind gensim's Word2Vec API.

``from w2vx import Word2Vec`` in place of ``from gensim.models import Word2Vec``.
gensim's corpus readers, ``KeyedVectors`` and callbacks are re-exported for convenience.

Names are resolved lazily (PEP 562), so importing a submodule such as
``w2vx._archive`` (which ``ldax`` uses for model files) does not load gensim's
word2vec stack.
"""
import importlib

_EXPORTS = {
    "Word2Vec": "w2vx.word2vec",
    "TrainingProgress": "w2vx.word2vec",
    "KeyedVectors": "gensim.models",
    "CallbackAny2Vec": "gensim.models.callbacks",
    "LineSentence": "gensim.models.word2vec",
    "PathLineSentences": "gensim.models.word2vec",
    "Text8Corpus": "gensim.models.word2vec",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'w2vx' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + __all__)
