"""Small corpora and gensim-twin helpers shared by the tests/test_lda_*.py files."""
from __future__ import annotations

import numpy as np

from ldax import LdaModel


def random_corpus(n_docs: int = 120, num_terms: int = 40, max_len: int = 30,
                  seed: int = 3) -> list[list[tuple[int, float]]]:
    """Bag-of-words documents with uniformly random words (sorted unique ids)."""
    rng = np.random.RandomState(seed)
    corpus = []
    for _ in range(n_docs):
        ids, counts = np.unique(rng.randint(0, num_terms, size=rng.randint(1, max_len)),
                                return_counts=True)
        corpus.append([(int(i), float(c)) for i, c in zip(ids, counts)])
    return corpus


def id2word_for(num_terms: int) -> dict[int, str]:
    return {i: f"w{i}" for i in range(num_terms)}


class GensimDraws(LdaModel):
    """An LdaModel whose E-steps start from gensim's gamma draws.

    gensim draws each chunk's initial gamma from the model's RandomState; with
    the RandomState copied by ``from_gensim`` this subclass draws the same
    numbers in the same order, so training can be compared with gensim's
    step for step (the per-document fixed point depends on the start).
    """

    def _gamma_source(self, n_docs: int):
        draws = self.random_state.gamma(100., 1. / 100., (n_docs, self.num_topics))
        return lambda start, stop: draws[start:stop]


def rel_err(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))
