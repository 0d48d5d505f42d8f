"""Training updates equal gensim's from the same initial state (online, batch, multi-pass)."""
import numpy as np
import pytest
import scipy.sparse as sp
from gensim.models import LdaModel as GensimLda

from _lda_helpers import GensimDraws, id2word_for, random_corpus, rel_err
from ldax import LdaModel, _estep

V, K = 40, 4
CORPUS = random_corpus(120, V)


def twins(**settings):
    gensim_model = GensimLda(num_topics=K, id2word=id2word_for(V), random_state=1, dtype=np.float64,
                             chunksize=50, eval_every=None, **settings)
    ours = GensimDraws.from_gensim(gensim_model, workers=2, eps=np.finfo(np.float64).eps)
    np.testing.assert_array_equal(ours.state.sstats, gensim_model.state.sstats)
    return gensim_model, ours


@pytest.mark.parametrize("settings", [
    {},                                              # online, 3 chunks, one pass
    {"update_every": 0, "passes": 3},                # batch VB
    {"update_every": 2, "passes": 2, "alpha": "asymmetric", "eta": 0.3},
    {"decay": 0.7, "offset": 16.0, "passes": 2},
])
def test_update_equals_gensim(settings):
    gensim_model, ours = twins(**settings)
    gensim_model.update(CORPUS)
    ours.update(CORPUS)
    assert rel_err(ours.state.get_lambda(), gensim_model.state.get_lambda()) < 1e-5
    assert rel_err(ours.expElogbeta, gensim_model.expElogbeta) < 1e-5
    assert ours.num_updates == gensim_model.num_updates
    assert ours.state.numdocs == gensim_model.state.numdocs


def test_one_update_from_gensim_initial_state_single_chunk():
    gensim_model, ours = twins()
    gensim_model.update(CORPUS[:50])
    ours.update(CORPUS[:50])
    # first gensim step has rho = 1: lambda = eta + sstats of the chunk
    assert rel_err(ours.state.get_lambda(), gensim_model.state.get_lambda()) < 1e-5


def test_sparse_matrix_input_trains_like_bag_of_words():
    dense = np.zeros((len(CORPUS), V))
    for d, doc in enumerate(CORPUS):
        for i, c in doc:
            dense[d, i] += c
    a = LdaModel(CORPUS, num_topics=K, id2word=id2word_for(V), random_state=3, chunksize=50)
    b = LdaModel(sp.csr_matrix(dense), num_topics=K, id2word=id2word_for(V), random_state=3,
                 chunksize=50)
    np.testing.assert_allclose(a.state.sstats, b.state.sstats, rtol=1e-12)


def test_do_estep_and_do_mstep_compose_like_update():
    """The Spark path: E-steps on parts of a chunk, merged, then one M-step."""
    a = LdaModel(num_topics=K, id2word=id2word_for(V), random_state=3, chunksize=120)
    b = LdaModel(num_topics=K, id2word=id2word_for(V), random_state=3, chunksize=120)
    a.update(CORPUS)
    # b: same seeds by hand; the E-step of a chunk is a sum over documents
    from ldax.lda import LdaState
    b.state.numdocs += len(CORPUS)
    other = LdaState(b.eta, (K, V))
    gamma = b.do_estep(CORPUS, other)
    assert gamma.shape == (len(CORPUS), K) and other.numdocs == len(CORPUS)
    b.do_mstep((b.offset + b.num_updates / 120) ** -b.decay, other)
    np.testing.assert_allclose(a.state.get_lambda(), b.state.get_lambda(), rtol=1e-12)
    assert a.num_updates == b.num_updates == len(CORPUS)


def test_reference_schedule_starts_below_one():
    corpus = CORPUS[:50]
    gensim_like = LdaModel(num_topics=K, id2word=id2word_for(V), random_state=0, chunksize=50)
    reference = LdaModel(num_topics=K, id2word=id2word_for(V), random_state=0, chunksize=50,
                         rho_schedule="reference")
    initial = reference.state.sstats.copy()
    gensim_like.update(corpus)
    reference.update(corpus)
    # gensim's first step (rho = 1) forgets the random start: lambda = eta + chunk statistics.
    # The reference step keeps (1 - rho) of it, rho = (offset + 1) ** -decay = 2 ** -0.5.
    rho = 2 ** -0.5
    chunk_stats = gensim_like.state.sstats
    np.testing.assert_allclose(reference.state.sstats, (1 - rho) * initial + rho * chunk_stats,
                               rtol=1e-10)
    assert reference.num_steps == 1


def test_generator_corpus_is_streamed_for_one_pass():
    model = LdaModel((doc for doc in CORPUS), num_topics=K, id2word=id2word_for(V), chunksize=50,
                     random_state=0)
    assert model.state.numdocs == len(CORPUS) and model.num_updates == len(CORPUS)
    assert np.all(np.isfinite(model.get_topics()))
    with pytest.raises(TypeError, match="read only once"):
        LdaModel((doc for doc in CORPUS), num_topics=K, id2word=id2word_for(V), passes=2)


def test_shuffle_visits_in_random_order_and_keeps_the_corpus():
    a = LdaModel(CORPUS, num_topics=K, id2word=id2word_for(V), random_state=0, chunksize=30,
                 shuffle=True, passes=2)
    b = LdaModel(CORPUS, num_topics=K, id2word=id2word_for(V), random_state=0, chunksize=30,
                 passes=2)
    assert not np.allclose(a.state.sstats, b.state.sstats)
    # whole-corpus totals are order-free: expected counts sum to the corpus's words
    words = sum(c for doc in CORPUS for _, c in doc)
    one = LdaModel(CORPUS, num_topics=K, id2word=id2word_for(V), random_state=0, chunksize=200,
                   shuffle=True, rho_schedule="reference", offset=0.0)
    np.testing.assert_allclose(one.state.sstats.sum(), words, rtol=1e-9)
    with pytest.raises(TypeError, match="in-memory"):
        LdaModel(iter(CORPUS), num_topics=K, id2word=id2word_for(V), shuffle=True)


def test_reference_schedule_starts_at_hoffmans_draw(tmp_path):
    """rho_schedule='reference': lambda_0 is the Gamma(100, 1/100) draw (Hoffman's code,
    scikit-learn); gensim's schedule keeps gensim's start, eta + the draw."""
    # the kernel's Gamma(100, 1/100) generator, seeded by the first draw of random_state
    seed = int(np.random.RandomState(4).randint(0, 2 ** 63, dtype=np.int64))
    draw = _estep.init_gamma(V, K, seed).T
    reference = LdaModel(num_topics=K, id2word=id2word_for(V), random_state=4, eta=2.0,
                         rho_schedule="reference")
    gensim_like = LdaModel(num_topics=K, id2word=id2word_for(V), random_state=4, eta=2.0)
    np.testing.assert_allclose(reference.state.get_lambda(), draw, rtol=1e-12)
    np.testing.assert_allclose(gensim_like.state.get_lambda(), draw + 2.0, rtol=1e-12)
    # both start from E[log beta] of the draw (gensim computes it without eta)
    np.testing.assert_allclose(reference._exp_elog_beta_t, gensim_like._exp_elog_beta_t)
    # with eta = 2 every statistic starts negative; training and save/load still work
    assert (reference.state.sstats < 0).all()
    reference.update(CORPUS[:60])
    path = tmp_path / "ref.ldax"
    reference.save(str(path))
    loaded = LdaModel.load(str(path))
    np.testing.assert_array_equal(loaded.state.get_lambda(), reference.state.get_lambda())
