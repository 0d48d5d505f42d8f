"""w2vx: word2vec with nogil Cython training loops behind gensim's Word2Vec API.

``from w2vx import Word2Vec`` in place of ``from gensim.models import Word2Vec``.
gensim's corpus readers, ``KeyedVectors`` and callbacks are re-exported for convenience.

Names are resolved lazily (PEP 562), so importing a submodule such as
``w2vx._archive`` (which ``ldax`` uses for model files) does not load gensim's
word2vec stack.
"""
from _gensimx import __version__
from w2vx._lazy import lazy_exports

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

__getattr__, __dir__ = lazy_exports('w2vx', globals(), _EXPORTS)
