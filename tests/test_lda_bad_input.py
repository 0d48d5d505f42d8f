"""Bad input raises a clear exception (never a crash); odd but valid input gives finite results."""
import numpy as np
import pytest
import scipy.sparse as sp

from _lda_helpers import id2word_for, random_corpus
from ldax import LdaModel

V, K = 12, 3
ID2WORD = id2word_for(V)
CORPUS = random_corpus(30, V, max_len=8)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"num_topics": 0}, ValueError, "num_topics"),
    ({"num_topics": 2.5}, TypeError, "num_topics"),
    ({"chunksize": 0}, ValueError, "chunksize"),
    ({"passes": 0}, ValueError, "passes"),
    ({"alpha": -0.1}, ValueError, "alpha"),
    ({"alpha": float("nan")}, ValueError, "alpha"),
    ({"alpha": 0.0}, ValueError, "alpha"),
    ({"alpha": [0.1, 0.2]}, ValueError, "shape"),
    ({"alpha": [0.1, -0.2, 0.3]}, ValueError, "alpha"),
    ({"alpha": "flat"}, ValueError, "alpha"),
    ({"eta": -1.0}, ValueError, "eta"),
    ({"eta": float("inf")}, ValueError, "eta"),
    ({"eta": np.ones(V + 1)}, ValueError, "shape"),
    ({"eta": np.ones((K + 1, V))}, ValueError, "shape"),
    ({"eta": np.full(V, np.nan)}, ValueError, "eta"),
    ({"eta": "asymmetric"}, ValueError, "asymmetric"),
    ({"decay": float("nan")}, ValueError, "decay"),
    ({"offset": -1.0}, ValueError, "offset"),
    ({"rho_schedule": "fast"}, ValueError, "rho_schedule"),
    ({"workers": 0}, ValueError, "workers"),
    ({"iterations": -1}, ValueError, "iterations"),
    ({"gamma_threshold": float("nan")}, ValueError, "gamma_threshold"),
    ({"eps": -1e-3}, ValueError, "eps"),
    ({"distributed": True}, NotImplementedError, "distributed"),
    ({"random_state": "seed"}, TypeError, "random_state"),
])
def test_bad_parameters(kwargs, error, match):
    with pytest.raises(error, match=match):
        LdaModel(num_topics=kwargs.pop("num_topics", K), id2word=ID2WORD, **kwargs)


def test_empty_vocabulary_and_corpus():
    with pytest.raises(ValueError, match="empty"):
        LdaModel(num_topics=K, id2word={})
    with pytest.raises(ValueError, match="id2word"):
        LdaModel(num_topics=K)
    with pytest.raises(ValueError, match="empty"):
        LdaModel([], num_topics=K, id2word=ID2WORD)
    with pytest.raises(ValueError, match="empty"):
        LdaModel(iter([]), num_topics=K, id2word=ID2WORD)
    with pytest.raises(ValueError, match="empty"):
        LdaModel(sp.csr_matrix((0, V)), num_topics=K, id2word=ID2WORD)
    with pytest.raises(ValueError, match="empty"):
        LdaModel([], num_topics=K)


@pytest.mark.parametrize("doc, error, match", [
    ([(V, 1.0)], ValueError, "outside the vocabulary"),
    ([(-1, 1.0)], ValueError, "outside the vocabulary"),
    ([(0, -2.0)], ValueError, "non-negative"),
    ([(0, float("nan"))], ValueError, "finite"),
    ([(0, float("inf"))], ValueError, "finite"),
    ([(0.5, 1.0)], ValueError, "integers"),
    ("some text", TypeError, "string"),
])
def test_bad_documents_in_training_and_queries(doc, error, match):
    model = LdaModel(num_topics=K, id2word=ID2WORD, random_state=0)
    with pytest.raises(error, match=match):
        model.update(CORPUS[:5] + [doc])
    if not isinstance(doc, str):
        for query in (lambda: model[doc], lambda: model.inference([doc]),
                      lambda: model.log_perplexity([doc]), lambda: model.bound([doc])):
            with pytest.raises(error, match=match):
                query()


def test_bad_sparse_input_and_other_queries():
    model = LdaModel(num_topics=K, id2word=ID2WORD, random_state=0)
    with pytest.raises(ValueError, match="columns"):
        model.update(sp.csr_matrix(np.ones((3, V + 2))))
    with pytest.raises(ValueError, match="non-negative"):
        model.update(sp.csr_matrix(-np.ones((3, V))))
    with pytest.raises(ValueError, match="outside the vocabulary"):
        model.get_term_topics(V)
    with pytest.raises(KeyError):
        model.get_term_topics("no-such-word")
    with pytest.raises(IndexError):
        model.show_topic(K)
    with pytest.raises(ValueError, match="initial_gamma"):
        model.inference(CORPUS[:2], initial_gamma=np.ones((3, K)))
    with pytest.raises(ValueError, match="initial_gamma"):
        model.inference(CORPUS[:2], initial_gamma=-np.ones((2, K)))
    with pytest.raises(ValueError, match="gamma"):
        model.bound(CORPUS[:4], gamma=np.ones((2, K)))
    with pytest.raises(TypeError, match="corpus"):
        model.update(42)


def test_one_shot_generator_for_several_passes_is_refused():
    with pytest.raises(TypeError, match="read only once"):
        LdaModel((d for d in CORPUS), num_topics=K, id2word=ID2WORD, passes=3)
    with pytest.raises(TypeError, match="id2word"):
        LdaModel((d for d in CORPUS), num_topics=K)


def test_odd_but_valid_input_gives_finite_results():
    odd = [
        [],                                        # empty document
        [(3, 1e9), (4, 1.0)],                      # a huge count
        [(5, 0.25), (6, 1.5)],                     # fractional counts
        [(7, 1.0), (2, 2.0), (7, 3.0), (2, 1.0)],  # unsorted, repeated ids
        [(0, 0.0)],                                # explicit zero count
    ] + CORPUS
    for kwargs in ({}, {"update_every": 0, "passes": 2}, {"alpha": "auto", "eta": "auto"}):
        model = LdaModel(odd, num_topics=K, id2word=ID2WORD, random_state=0, chunksize=7,
                         eval_every=1, **kwargs)
        assert np.all(np.isfinite(model.get_topics()))
        assert np.all(np.isfinite(model.alpha)) and np.all(model.alpha > 0)
        gamma, sstats = model.inference(odd, collect_sstats=True)
        assert np.all(np.isfinite(gamma)) and np.all(np.isfinite(sstats))
        assert np.isfinite(model.log_perplexity(odd))
        assert model[[]] == [(k, p) for k, p in model[[]]]  # empty document: the prior
    # repeated ids are counted like their sum
    model = LdaModel(num_topics=K, id2word=ID2WORD, random_state=0)
    g1, s1 = model.inference([[(7, 1.0), (2, 2.0), (7, 3.0), (2, 1.0)]], collect_sstats=True,
                             initial_gamma=np.ones((1, K)))
    g2, s2 = model.inference([[(2, 3.0), (7, 4.0)]], collect_sstats=True,
                             initial_gamma=np.ones((1, K)))
    np.testing.assert_allclose(g1, g2, rtol=1e-10)
    np.testing.assert_allclose(s1, s2, rtol=1e-10, atol=1e-300)


def test_corpus_without_id2word_infers_vocabulary():
    model = LdaModel(CORPUS, num_topics=K, random_state=0)
    assert model.num_terms == max(i for doc in CORPUS for i, _ in doc) + 1
    assert model.id2word[0] == "0"


def test_bad_document_late_in_a_chunk_leaves_the_model_unchanged():
    """Training converts a chunk slice by slice, but validates all of it first: a bad
    document in the chunk's last slice raises before the topics change."""
    corpus = random_corpus(1300, 30, seed=3)
    model = LdaModel(corpus[:200], num_topics=3, id2word=id2word_for(30), random_state=0,
                     chunksize=1300)
    before = model.state.sstats.copy()
    bad = corpus[:1200] + [[(0, 1.0), (30, 2.0)]] + corpus[1200:]
    with pytest.raises(ValueError, match=r"document 1024\.\.1299: word id 30"):
        model.update(bad)
    np.testing.assert_array_equal(model.state.sstats, before)


def test_sliced_statistics_equal_one_kernel_call():
    """The training path's slice-by-slice E-step gives the whole chunk's statistics bit for bit."""
    corpus = random_corpus(1300, 30, seed=4)  # three slices of the kernel's 512-document blocks
    chunk = sp.csr_matrix(([c for d in corpus for _, c in d], [w for d in corpus for w, _ in d],
                           np.cumsum([0] + [len(d) for d in corpus])), shape=(1300, 30))
    whole, sliced = (LdaModel(num_topics=4, id2word=id2word_for(30), random_state=5, workers=2)
                     for _ in range(2))
    _, expected, _ = whole._e_step(chunk, collect_sstats=True)
    _, got, _ = sliced._e_step(chunk, collect_sstats=True, keep_gamma=False)
    np.testing.assert_array_equal(got, expected)
