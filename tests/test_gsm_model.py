"""GSM's behaviour: planted topics recovered, theta on the simplex, held-out perplexity
falls with training, seeded runs reproduce, odd but valid input stays finite."""
import numpy as np
import pytest

from ldax.gsm import (GSM, LOG_SIGMA_BOUND, MU_BOUND, default_learning_rate, default_topic_dropout,
                      encoder_input)

NUM_TERMS, NUM_TOPICS = 60, 4
VOCAB = {i: f"w{i}" for i in range(NUM_TERMS)}


def planted_corpus(seed, num_docs=1500, length=60):
    """Documents drawn from K known topics, each on its own random 15 words."""
    rng = np.random.default_rng(seed)
    topics = np.zeros((NUM_TOPICS, NUM_TERMS))
    for k in range(NUM_TOPICS):
        support = rng.choice(NUM_TERMS, 15, replace=False)
        topics[k, support] = rng.dirichlet(np.full(15, 2.0))
    proportions = rng.dirichlet(np.full(NUM_TOPICS, 0.3), size=num_docs)
    docs = []
    for theta in proportions:
        counts = rng.multinomial(length, theta @ topics)
        docs.append([(int(v), int(c)) for v, c in enumerate(counts) if c])
    return topics, docs


def hellinger(p, q):
    """Pairwise Hellinger distances between rows of p and rows of q."""
    return np.sqrt(0.5 * ((np.sqrt(p)[:, None, :] - np.sqrt(q)[None, :, :]) ** 2).sum(axis=-1))


def small_model(docs, **kwargs):
    # a corpus this small needs more, smaller steps per epoch than the 20News defaults
    settings = dict(num_topics=NUM_TOPICS, id2word=VOCAB, hidden_sizes=(64,), epochs=100,
                    batch_size=64, learning_rate=2e-3, min_learning_rate=None, random_state=0)
    settings.update(kwargs)
    return GSM(docs, **settings)


@pytest.mark.parametrize("seed", [0, 1])
def test_planted_topics_are_recovered(seed):
    topics, docs = planted_corpus(seed)
    model = small_model(docs, random_state=seed)
    distance = hellinger(topics, model.get_topics())
    # every true topic has a learned topic within Hellinger 0.2, and they are distinct ones
    assert distance.min(axis=1).max() < 0.2, distance.min(axis=1)
    assert len(set(distance.argmin(axis=1))) == NUM_TOPICS


def test_theta_rows_are_on_the_simplex():
    _, docs = planted_corpus(3, num_docs=300)
    model = small_model(docs, epochs=5)
    theta, no_sstats = model.inference(docs + [[]])
    assert no_sstats is None                    # LdaModel.inference's (gamma, sstats) shape
    assert theta.shape == (301, NUM_TOPICS)
    assert np.all(theta >= 0) and np.all(np.isfinite(theta))
    np.testing.assert_allclose(theta.sum(axis=1), 1.0, atol=1e-6)
    pairs = model.get_document_topics(docs[0], minimum_probability=0.0)
    assert [k for k, _ in pairs] == list(range(NUM_TOPICS))
    assert sum(p for _, p in pairs) == pytest.approx(1.0, abs=1e-6)


def test_training_lowers_heldout_perplexity():
    _, docs = planted_corpus(4, num_docs=1200)
    train, test = docs[:1000], docs[1000:]
    model = GSM(num_topics=NUM_TOPICS, id2word=VOCAB, hidden_sizes=(64,), random_state=4,
                heldout_corpus=test, eval_every=10)
    before = model.perplexity(test)
    model.update(train, epochs=40)
    after = model.perplexity(test)
    assert after < 0.8 * before, (before, after)
    curve = [h["heldout_perplexity"] for h in model.history if "heldout_perplexity" in h]
    assert len(curve) == 4 and curve[-1] == pytest.approx(after)
    assert curve[-1] < curve[0]
    # near the planted model's entropy, far below uniform over the words used
    assert after < NUM_TERMS / 2


def test_seeded_training_reproduces_and_seeds_differ():
    _, docs = planted_corpus(5, num_docs=300)
    first = small_model(docs, epochs=5, random_state=11)
    again = small_model(docs, epochs=5, random_state=11)
    other = small_model(docs, epochs=5, random_state=12)
    np.testing.assert_array_equal(first.params.flat, again.params.flat)
    assert [h["train_loss"] for h in first.history] == [h["train_loss"] for h in again.history]
    assert first.perplexity(docs) == again.perplexity(docs)
    assert not np.array_equal(first.params.flat, other.params.flat)


def test_early_stopping_keeps_the_best_epoch():
    _, docs = planted_corpus(6, num_docs=400)
    # a learning rate this large makes held-out perplexity worsen at some point
    model = small_model(docs[:300], epochs=60, heldout_corpus=docs[300:], learning_rate=0.05,
                        early_stopping_patience=3)
    curve = [h["heldout_perplexity"] for h in model.history]
    assert len(curve) < 60                      # it stopped
    assert model.perplexity(docs[300:]) == pytest.approx(min(curve), rel=1e-6)


@pytest.mark.parametrize("docs,num_terms", [
    ([[(0, 1e6), (1, 3.0)], [(1, 2.0), (2, 5e5)], [(0, 1.0)]] * 20, 3),     # very long documents
    ([[], [(0, 2.0), (3, 1.0)], [], [(2, 4.0)]] * 20, 4),                   # empty documents
    ([[(0, 3.0)], [(0, 1.0)], [], [(0, 250.0)]] * 10, 1),                   # a vocabulary of one word
])
def test_odd_but_valid_input_keeps_parameters_finite(docs, num_terms):
    model = GSM(docs, num_topics=3, id2word={i: str(i) for i in range(num_terms)},
                hidden_sizes=(8,), epochs=20, batch_size=7, learning_rate=0.01, random_state=0)
    assert np.all(np.isfinite(model.params.flat))
    assert all(np.isfinite(h["train_loss"]) for h in model.history)
    topics = model.get_topics()
    assert topics.shape == (3, num_terms)
    np.testing.assert_allclose(topics.sum(axis=1), 1.0, atol=1e-6)
    assert np.isfinite(model.perplexity(docs))
    assert np.all(np.isfinite(model.inference(docs)[0]))


def test_learning_rate_falls_linearly_to_its_minimum():
    _, docs = planted_corpus(7, num_docs=200)
    constant = small_model(docs, epochs=3)
    same = small_model(docs, epochs=3, min_learning_rate=2e-3)     # the start rate: constant
    np.testing.assert_array_equal(constant.params.flat, same.params.flat)
    # a rate falling to zero moves the parameters less than a constant one
    start = small_model(docs, epochs=0).params.flat
    falling = small_model(docs, epochs=3, min_learning_rate=0.0)
    assert 0 < np.abs(falling.params.flat - start).sum() < np.abs(constant.params.flat - start).sum()


def test_default_learning_rate_depends_on_k():
    # 3e-3 up to K = 50 (unchanged there), 2e-3 from K = 200, falling in log2 K between
    assert default_learning_rate(1) == default_learning_rate(50) == 3e-3
    assert default_learning_rate(200) == pytest.approx(2e-3) and default_learning_rate(1000) == 2e-3
    assert default_learning_rate(100) == pytest.approx(2.5e-3)
    assert GSM(num_topics=200, id2word=VOCAB).learning_rate == pytest.approx(2e-3)
    assert GSM(num_topics=NUM_TOPICS, id2word=VOCAB).learning_rate == 3e-3
    assert GSM(num_topics=200, id2word=VOCAB, learning_rate=5e-3).learning_rate == 5e-3


def test_default_topic_dropout_depends_on_k():
    # none up to K = 50 (those runs are unchanged), 0.2 from K = 200, rising in log2 K between
    assert default_topic_dropout(1) == default_topic_dropout(50) == 0.0
    assert default_topic_dropout(200) == pytest.approx(0.2) and default_topic_dropout(1000) == 0.2
    assert default_topic_dropout(100) == pytest.approx(0.1)
    assert GSM(num_topics=200, id2word=VOCAB).topic_dropout == pytest.approx(0.2)
    assert GSM(num_topics=NUM_TOPICS, id2word=VOCAB).topic_dropout == 0.0
    assert GSM(num_topics=200, id2word=VOCAB, topic_dropout=0).topic_dropout == 0.0


def test_topic_dropout_trains_on_subsets_and_scores_on_all_topics():
    _, docs = planted_corpus(9, num_docs=300)
    model = small_model(docs, epochs=3, topic_dropout=0.5)
    keep = model._topic_keep(1000)
    assert 0.4 < 1 - keep.mean() < 0.6 and keep.any(axis=1).all()
    assert model._topic_keep(10) is not None
    assert small_model(docs, epochs=0)._topic_keep(10) is None      # rate 0: no draw at all
    theta, _ = model.inference(docs[:20])
    assert np.all(theta > 0)                    # scoring and inference use every topic
    assert np.isfinite(model.perplexity(docs)) and all(np.isfinite(h["train_loss"]) for h in model.history)


def test_kl_warmup_ramps_the_weight_then_holds_it():
    _, docs = planted_corpus(8, num_docs=256)
    model = small_model(docs, epochs=1, kl_warmup_epochs=4, kl_weight=0.8)
    assert 0 < model._net.kl_weight < 0.25 * 0.8          # 4 batches of 64: at 3/16
    model.update(docs, epochs=4)
    assert model._net.kl_weight == pytest.approx(0.8)
    first = model.history[0]
    # the training loss of the first epoch used the reduced weight
    assert first["train_loss"] < first["train_reconstruction"] + 0.8 * first["train_kl"]


def test_encoder_heads_are_bounded_for_outlying_documents():
    _, docs = planted_corpus(9, num_docs=50)
    model = small_model(docs, epochs=1, prior_mean=0.5, prior_variance=4.0)
    # a head pushed far out, as one large step on a very long document could push it
    model.params["log_sigma_b"][...] = 1e4
    model.params["mu_b"][...] = -1e4
    x = model._as_matrix(docs[:5] + [[(0, 1e6)]])
    _, mu, log_sigma, _ = model._net.encode(encoder_input(x, "log1p", model.dtype))
    assert np.all(log_sigma <= 0.5 * np.log(4.0) + LOG_SIGMA_BOUND + 1e-5)
    assert np.all(mu >= 0.5 - MU_BOUND * 2.0 - 1e-4)
    loss, _, kl = model._net.loss_and_grad(x, np.zeros((6, NUM_TOPICS), dtype=model.dtype))
    assert np.isfinite(loss) and kl < NUM_TOPICS * (np.exp(2 * LOG_SIGMA_BOUND) + MU_BOUND ** 2)
