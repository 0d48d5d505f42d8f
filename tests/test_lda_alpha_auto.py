"""alpha='auto' and eta='auto': the Newton step of Blei et al. (A.4.2), as gensim takes it."""
import numpy as np
import pytest
from gensim.models import LdaModel as GensimLda

from _lda_helpers import GensimDraws, id2word_for, random_corpus, rel_err
from ldax import LdaModel

V, K = 40, 5
CORPUS = random_corpus(150, V, seed=8)


def test_update_alpha_equals_gensim_newton_step():
    gensim_model = GensimLda(num_topics=K, id2word=id2word_for(V), alpha="auto", dtype=np.float64,
                             random_state=0)
    ours = LdaModel.from_gensim(gensim_model)
    assert ours.optimize_alpha
    gammat = np.random.RandomState(1).gamma(2.0, 1.0, size=(30, K))
    for rho in (1.0, 0.3):
        expected = gensim_model.update_alpha(gammat, rho)
        got = ours.update_alpha(gammat, rho)
        assert rel_err(got, expected) < 1e-10


def test_update_eta_equals_gensim_newton_step():
    gensim_model = GensimLda(num_topics=K, id2word=id2word_for(V), eta="auto", dtype=np.float64,
                             random_state=0)
    ours = LdaModel.from_gensim(gensim_model)
    lam = np.random.RandomState(2).gamma(1.0, 1.0, size=(K, V))
    assert rel_err(ours.update_eta(lam, 0.5), gensim_model.update_eta(lam, 0.5)) < 1e-10


@pytest.mark.parametrize("settings", [{"alpha": "auto"}, {"alpha": "auto", "eta": "auto"},
                                      {"alpha": "auto", "update_every": 0, "passes": 2}])
def test_training_with_auto_priors_equals_gensim(settings):
    gensim_model = GensimLda(num_topics=K, id2word=id2word_for(V), random_state=4, dtype=np.float64,
                             chunksize=40, eval_every=None, passes=settings.pop("passes", 2),
                             **settings)
    ours = GensimDraws.from_gensim(gensim_model, workers=2, eps=np.finfo(np.float64).eps)
    gensim_model.update(CORPUS)
    ours.update(CORPUS)
    assert rel_err(ours.alpha, gensim_model.alpha) < 1e-5
    assert rel_err(ours.eta, gensim_model.eta) < 1e-5
    assert rel_err(ours.state.get_lambda(), gensim_model.state.get_lambda()) < 1e-5
    assert not np.allclose(ours.alpha, 1.0 / K)   # it did move


def test_rejected_newton_step_keeps_prior_positive():
    from ldax.lda import update_dir_prior
    prior = np.array([0.01, 0.01])
    # a huge step towards negative values is refused
    out = update_dir_prior(prior, 10.0, np.array([-500.0, 0.0]), 1.0)
    assert np.all(out > 0)
