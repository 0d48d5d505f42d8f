"""The E-step equals gensim's inference on the same topics and initial gamma."""
import copy

import numpy as np
import pytest
from gensim.models import LdaModel as GensimLda

from _lda_helpers import id2word_for, random_corpus, rel_err
from ldax import LdaModel

V, K = 40, 4


@pytest.fixture(scope="module")
def twin():
    gensim_model = GensimLda(num_topics=K, id2word=id2word_for(V), random_state=1,
                             dtype=np.float64, eval_every=None)
    return gensim_model


@pytest.mark.parametrize("iterations, threshold", [(50, 1e-3), (3, 1e-3), (0, 1e-3), (500, 1e-12)])
def test_inference_equals_gensim_given_its_initial_gamma(twin, iterations, threshold):
    corpus = random_corpus(60, V)
    twin.iterations, twin.gamma_threshold = iterations, threshold
    ours = LdaModel.from_gensim(twin, workers=2, eps=np.finfo(np.float64).eps)
    start = copy.deepcopy(twin.random_state).gamma(100., 1. / 100., (len(corpus), K))
    gamma_g, sstats_g = twin.inference(corpus, collect_sstats=True)
    gamma_o, sstats_o = ours.inference(corpus, collect_sstats=True, initial_gamma=start)
    assert gamma_o.shape == gamma_g.shape == (len(corpus), K)
    assert sstats_o.shape == sstats_g.shape == (K, V)
    assert rel_err(gamma_o, gamma_g) < 1e-5
    assert rel_err(sstats_o, sstats_g) < 1e-5
    gamma_n, sstats_n = ours.inference(corpus)
    assert sstats_n is None and gamma_n.shape == (len(corpus), K)


def test_estep_is_identical_for_one_and_two_threads():
    corpus = random_corpus(300, V, seed=5)
    models = [LdaModel(num_topics=K, id2word=id2word_for(V), random_state=7, workers=w)
              for w in (1, 2)]
    out = [m.inference(corpus, collect_sstats=True) for m in models]
    np.testing.assert_array_equal(out[0][0], out[1][0])
    np.testing.assert_array_equal(out[0][1], out[1][1])


def test_bound_and_log_perplexity_equal_gensims():
    """Same state, same per-document gamma: gensim's bound() and ours agree."""
    corpus = random_corpus(50, V, seed=11)
    gensim_model = GensimLda(corpus, num_topics=K, id2word=id2word_for(V), random_state=2,
                             eval_every=None, iterations=0)   # float32, as gensim users run it
    ours = LdaModel.from_gensim(gensim_model)
    # with iterations=0 gensim's bound() scores its random starting gamma: draw the same
    draws = copy.deepcopy(gensim_model.random_state).gamma(100., 1. / 100., (len(corpus), K))
    expected = gensim_model.bound(corpus)
    got = ours.bound(corpus, gamma=draws.astype(np.float32))
    assert abs(got - expected) / abs(expected) < 1e-5
    gensim_model.iterations = ours.iterations = 0
    draws = copy.deepcopy(gensim_model.random_state).gamma(100., 1. / 100., (len(corpus), K))
    words = sum(c for doc in corpus for _, c in doc)
    expected = gensim_model.log_perplexity(corpus, total_docs=200)
    got = (ours.bound(corpus, gamma=draws.astype(np.float32), subsample_ratio=200 / len(corpus))
           / (200 / len(corpus) * words))
    assert abs(got - expected) < 1e-5


def test_log_perplexity_of_trained_model_matches_gensim_scoring():
    corpus = random_corpus(200, V, seed=4)
    ours = LdaModel(corpus, num_topics=K, id2word=id2word_for(V), random_state=0, passes=3,
                    gamma_threshold=1e-8, iterations=400, eval_every=None)
    theirs = ours.to_gensim()
    theirs.iterations, theirs.gamma_threshold = 400, 1e-8
    # different random starts, converged E-steps: equal up to the float32 of gensim
    assert abs(ours.log_perplexity(corpus) - theirs.log_perplexity(corpus)) < 2e-3


def test_kernel_refuses_malformed_csr_arrays():
    """The kernel is public (a Spark executor calls it): bad structure raises, never crashes."""
    from ldax import _estep
    ebt = np.full((V, K), 0.5)
    alpha = np.full(K, 0.1)
    gamma = np.ones((2, K))
    data = np.ones(3)
    cases = [
        (np.array([0, 2, 3], dtype=np.int32), np.array([0, 1, V], dtype=np.int32)),   # id = V
        (np.array([0, 2, 3], dtype=np.int32), np.array([0, -1, 2], dtype=np.int32)),  # id < 0
        (np.array([0, 3, 2], dtype=np.int32), np.array([0, 1, 2], dtype=np.int32)),   # decreasing
        (np.array([0, 2, 9], dtype=np.int32), np.array([0, 1, 2], dtype=np.int32)),   # past nnz
    ]
    for indptr, indices in cases:
        with pytest.raises(ValueError):
            _estep.e_step(indptr, indices, data, ebt, alpha, gamma, 5, 1e-3)
    with pytest.raises(ValueError, match="shape"):
        _estep.e_step(np.array([0, 3], dtype=np.int32), np.array([0, 1, 2], dtype=np.int32), data,
                      ebt, alpha, gamma, 5, 1e-3)
    ok = _estep.e_step(np.array([0, 2, 3], dtype=np.int32), np.array([0, 1, 2], dtype=np.int32),
                       data, ebt, alpha, gamma, 5, 1e-3)
    assert 0 <= ok <= 2 and np.all(np.isfinite(gamma))


def test_row_max_and_a_given_beta_max_leave_the_kernel_unchanged():
    """row_max equals numpy's; passing it to e_step (as the sliced path does) changes nothing."""
    from ldax import _estep
    rng = np.random.default_rng(3)
    ebt = rng.random((V, K)) ** 8
    np.testing.assert_array_equal(_estep.row_max(ebt, 2), ebt.max(axis=1))
    indptr = np.array([0, 3, 5], dtype=np.int32)
    indices = np.array([0, 4, 9, 2, 4], dtype=np.int32)
    data = np.array([1.0, 3.0, 2.0, 5.0, 1.0])
    alpha = np.full(K, 0.05)
    gamma0 = rng.gamma(100.0, 0.01, size=(2, K))
    results = []
    for given in (None, _estep.row_max(ebt)):
        gamma, sstats = gamma0.copy(), np.zeros_like(ebt)
        _estep.e_step(indptr, indices, data, ebt, alpha, gamma, 50, 1e-3, sstats_t=sstats,
                      beta_max=given)
        results.append((gamma, sstats))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_array_equal(results[0][1], results[1][1])
    with pytest.raises(ValueError, match="beta_max"):
        _estep.e_step(indptr, indices, data, ebt, alpha, gamma0.copy(), 5, 1e-3,
                      beta_max=np.ones(V - 1))


def planted_sparse_corpus(n_docs, num_terms, num_topics, seed):
    """Documents each drawn from one or two of ``num_topics`` disjoint word blocks."""
    rng = np.random.RandomState(seed)
    block = num_terms // num_topics
    corpus = []
    for _ in range(n_docs):
        topics = rng.choice(num_topics, size=rng.randint(1, 3), replace=False)
        words = np.concatenate([t * block + rng.randint(0, block, size=15) for t in topics])
        ids, counts = np.unique(words, return_counts=True)
        corpus.append([(int(i), float(c)) for i, c in zip(ids, counts)])
    return corpus


def test_topics_set_aside_leave_the_estep_equal_to_gensims():
    """With alpha = 1/K most topics of a document settle at gamma = alpha and the kernel
    sets them aside (iterating on the topics still in play): gamma and the statistics
    must still equal gensim's full computation, and the set-aside path must be taken."""
    from ldax import _estep
    from ldax.lda import _csr_arrays
    from ldax.corpus import csr_from_bow

    k, v = 60, 600
    corpus = planted_sparse_corpus(400, v, k, seed=4)
    gensim_model = GensimLda(corpus, num_topics=k, id2word=id2word_for(v), alpha=1.0 / k,
                             eta=1.0 / k, passes=3, random_state=3, dtype=np.float64,
                             eval_every=None, iterations=100, gamma_threshold=1e-6)
    queries = planted_sparse_corpus(150, v, k, seed=9)
    ours = LdaModel.from_gensim(gensim_model, workers=2, eps=np.finfo(np.float64).eps)
    start = copy.deepcopy(gensim_model.random_state).gamma(100., 1. / 100., (len(queries), k))
    gamma_g, sstats_g = gensim_model.inference(queries, collect_sstats=True)
    gamma_o, sstats_o = ours.inference(queries, collect_sstats=True, initial_gamma=start)
    assert rel_err(gamma_o, gamma_g) < 1e-5
    assert rel_err(sstats_o, sstats_g) < 1e-5

    indptr, indices, data = _csr_arrays(csr_from_bow(queries, v))
    in_play = np.empty(len(queries), dtype=np.intp)
    gamma = start.copy()
    _estep.e_step(indptr, indices, data, ours._exp_elog_beta_t, np.ascontiguousarray(ours.alpha),
                  gamma, 100, 1e-6, workers=1, eps=np.finfo(np.float64).eps, topics_in_play=in_play)
    np.testing.assert_array_equal(gamma, gamma_o)       # the same kernel, any thread count
    assert np.median(in_play) <= k // 4                # most documents ran on a compact block
