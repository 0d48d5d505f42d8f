"""A corpus sampled from planted topics is recovered, online and batch, for any thread count."""
import numpy as np
import pytest

from ldax import LdaModel, LdaMulticore

K, V = 5, 100


def planted_corpus(n_docs=1500, doc_len=80, seed=0):
    """Documents drawn from LDA's generative model with known, well-separated topics."""
    rng = np.random.RandomState(seed)
    topics = np.full((K, V), 1e-3)
    for k in range(K):
        topics[k, k * 20:(k + 1) * 20] = rng.dirichlet(np.ones(20))
    topics /= topics.sum(axis=1, keepdims=True)
    corpus = []
    for _ in range(n_docs):
        theta = rng.dirichlet(np.full(K, 0.3))
        words = rng.choice(V, size=doc_len, p=theta @ topics)
        ids, counts = np.unique(words, return_counts=True)
        corpus.append([(int(i), float(c)) for i, c in zip(ids, counts)])
    return topics, corpus


def hellinger_matches(true, learned):
    """For each true topic, the Hellinger distance to its closest learned topic."""
    d = np.sqrt(0.5 * ((np.sqrt(true)[:, None, :] - np.sqrt(learned)[None, :, :]) ** 2).sum(-1))
    return d.min(axis=1)


@pytest.fixture(scope="module")
def planted():
    return planted_corpus()


@pytest.mark.parametrize("settings", [
    {"update_every": 1, "chunksize": 250, "passes": 4},
    {"update_every": 0, "chunksize": 500, "passes": 25},
    {"update_every": 1, "chunksize": 250, "passes": 4, "rho_schedule": "reference", "shuffle": True},
])
def test_planted_topics_are_recovered(planted, settings):
    true, corpus = planted
    model = LdaModel(corpus, num_topics=K, id2word={i: str(i) for i in range(V)}, random_state=1,
                     alpha="auto", eval_every=None, workers=2, **settings)
    distances = hellinger_matches(true, model.get_topics())
    assert distances.max() < 0.15, distances


def test_results_identical_for_one_and_two_workers(planted):
    _, corpus = planted
    a, b = [LdaMulticore(corpus[:600], num_topics=K, id2word={i: str(i) for i in range(V)},
                         workers=w, chunksize=200, passes=2, random_state=5, eval_every=1)
            for w in (1, 2)]
    np.testing.assert_array_equal(a.state.sstats, b.state.sstats)
    np.testing.assert_array_equal(a.expElogbeta, b.expElogbeta)
    np.testing.assert_array_equal(a.inference(corpus[:50])[0], b.inference(corpus[:50])[0])
