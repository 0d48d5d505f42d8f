"""The word2vec benchmark scores analogies on the same questions for both libraries.

``evaluate_word_analogies(restrict_vocab=N)`` keeps the first N words of the
model's own order, and w2vx and gensim break count ties differently, so on
IMDB they used to be scored on different question sets (10,238 against 9,909).
"""
import pathlib
import sys

import numpy as np
from gensim.models import KeyedVectors

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "benchmarks"))

from bench_word2vec import analogy_common_order  # noqa: E402

COUNTS = {"berlin": 10, "germany": 10, "athens": 5, "greece": 5, "paris": 5, "france": 5,
          "rome": 5, "italy": 5}
QUESTIONS = """: capital-common-countries
athens greece berlin germany
berlin germany athens greece
paris france berlin germany
rome italy berlin germany
athens greece paris france
rome italy athens greece
"""


def keyed_vectors(order, vectors):
    kv = KeyedVectors(4)
    kv.add_vectors(order, np.stack([vectors[w] for w in order]))
    for w in order:
        kv.set_vecattr(w, "count", COUNTS[w])
    return kv


def test_tie_order_does_not_change_the_questions(tmp_path):
    questions = tmp_path / "questions.txt"
    questions.write_text(QUESTIONS)
    rng = np.random.default_rng(0)
    vectors = {w: rng.standard_normal(4).astype(np.float32) for w in COUNTS}
    ties = ["athens", "greece", "paris", "france", "rome", "italy"]
    # the same counts and vectors, count ties in first-occurrence order and reversed
    first = keyed_vectors(["berlin", "germany"] + ties, vectors)
    reverse = keyed_vectors(["germany", "berlin"] + ties[::-1], vectors)

    def own_order_questions(kv):
        sections = kv.evaluate_word_analogies(str(questions), restrict_vocab=6)[1]
        return len(sections[-1]["correct"]) + len(sections[-1]["incorrect"])

    # the library's own order: rome/italy in one top 6, athens/greece in the other
    assert own_order_questions(first) != own_order_questions(reverse)
    a = analogy_common_order(first, restrict_vocab=6, questions=str(questions))
    b = analogy_common_order(reverse, restrict_vocab=6, questions=str(questions))
    assert a == b
    # ties broken by the word: athens, france, greece, italy join berlin, germany,
    # which leaves only the first two questions
    assert a[1] == 2
