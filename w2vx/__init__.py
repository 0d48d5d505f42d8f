"""w2vx: word2vec with nogil Cython training loops behind gensim's Word2Vec API.

``from w2vx import Word2Vec`` in place of ``from gensim.models import Word2Vec``.
gensim's corpus readers, ``KeyedVectors`` and callbacks are re-exported for convenience.
"""
from gensim.models import KeyedVectors
from gensim.models.callbacks import CallbackAny2Vec
from gensim.models.word2vec import LineSentence, PathLineSentences, Text8Corpus

from w2vx.word2vec import TrainingProgress, Word2Vec

__all__ = ["Word2Vec", "TrainingProgress", "KeyedVectors", "LineSentence", "Text8Corpus",
           "PathLineSentences", "CallbackAny2Vec"]
