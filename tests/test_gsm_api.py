"""GSM's gensim-compatible interface, CSR input, logging, and save/load without pickle."""
import logging

import numpy as np
import pytest
import scipy.sparse as sp
from gensim.corpora import Dictionary
from gensim.interfaces import TransformedCorpus

from ldax.gsm import GSM
from w2vx._archive import ModelFileError, save_archive

TEXTS = [["apple", "banana", "fruit", "juice"], ["engine", "car", "wheel", "road"],
         ["banana", "fruit", "smoothie"], ["car", "road", "traffic", "engine"],
         ["apple", "juice", "fruit"], ["wheel", "car", "tyre"]] * 10


@pytest.fixture(scope="module")
def dictionary():
    return Dictionary(TEXTS)


@pytest.fixture(scope="module")
def corpus(dictionary):
    return [dictionary.doc2bow(t) for t in TEXTS]


@pytest.fixture(scope="module")
def model(corpus, dictionary):
    return GSM(corpus, num_topics=3, id2word=dictionary, hidden_sizes=(16,), epochs=30,
               batch_size=8, random_state=0)


def test_topics_are_distributions_over_the_vocabulary(model, dictionary):
    topics = model.get_topics()
    assert topics.shape == (3, len(dictionary)) and topics.dtype == np.float64
    np.testing.assert_allclose(topics.sum(axis=1), 1.0, atol=1e-6)
    words = model.show_topic(1, topn=4)
    assert len(words) == 4 and all(w in dictionary.token2id for w, _ in words)
    probs = [p for _, p in words]
    assert probs == sorted(probs, reverse=True)
    assert probs[0] == pytest.approx(topics[1].max(), rel=1e-6)
    assert model.get_topic_terms(1, topn=4)[0][0] == dictionary.token2id[words[0][0]]


def test_show_and_print_topics(model, caplog):
    shown = model.show_topics(num_topics=-1, num_words=3)
    assert [k for k, _ in shown] == [0, 1, 2]
    assert all(isinstance(s, str) and s.count("*") == 3 for _, s in shown)
    raw = model.show_topics(num_topics=2, num_words=3, formatted=False)
    assert len(raw) == 2 and len(raw[0][1]) == 3
    with caplog.at_level(logging.INFO, logger="ldax"):
        printed = model.print_topics(num_topics=5, num_words=2)
    assert len(printed) == 3
    assert sum("topic #" in r.getMessage() for r in caplog.records) == 3


def test_document_topics_and_getitem(model, corpus):
    doc = corpus[0]
    theta = model.inference([doc])[0][0]
    everything = model.get_document_topics(doc, minimum_probability=0.0)
    np.testing.assert_allclose([p for _, p in everything], theta, rtol=1e-6)
    above = model.get_document_topics(doc, minimum_probability=0.3)
    assert all(p >= 0.3 for _, p in above)
    assert len(above) == int((theta >= 0.3).sum())
    assert model[doc] == model.get_document_topics(doc)
    transformed = model[corpus[:3]]
    assert isinstance(transformed, TransformedCorpus)
    assert list(transformed)[1] == model.get_document_topics(corpus[1])
    # the posterior mean is deterministic
    assert model.get_document_topics(doc) == model.get_document_topics(doc)


def test_sparse_input_trains_like_bag_of_words(corpus, dictionary):
    rows = [i for i, d in enumerate(corpus) for _ in d]
    cols = [w for d in corpus for w, _ in d]
    vals = [c for d in corpus for _, c in d]
    matrix = sp.csr_matrix((vals, (rows, cols)), shape=(len(corpus), len(dictionary)))
    settings = dict(num_topics=3, id2word=dictionary, hidden_sizes=(8,), epochs=3, random_state=5)
    from_bow = GSM(corpus, **settings)
    from_csr = GSM(matrix, **settings)
    np.testing.assert_array_equal(from_bow.params.flat, from_csr.params.flat)
    np.testing.assert_allclose(from_bow.inference(matrix[:4])[0], from_bow.inference(corpus[:4])[0])


def test_one_shot_generator_is_read_once(corpus, dictionary):
    model = GSM((doc for doc in corpus), num_topics=2, id2word=dictionary, hidden_sizes=(8,),
                epochs=3, random_state=0)
    assert len(model.history) == 3


def test_perplexity_definitions(model, corpus):
    one_doc = corpus[:1]
    # for a single document both definitions coincide
    assert model.perplexity(one_doc) == pytest.approx(np.exp(-model.log_perplexity(one_doc)), rel=1e-9)
    # and the estimate is reproducible (seeded noise)
    assert model.perplexity(corpus) == model.perplexity(corpus)
    assert model.log_perplexity(corpus) < 0


def test_top_topics_uses_coherence_model(model, corpus, dictionary):
    ranked = model.top_topics(corpus=corpus, dictionary=dictionary, topn=5)
    assert len(ranked) == 3
    scores = [s for _, s in ranked]
    assert scores == sorted(scores, reverse=True) and all(np.isfinite(scores))
    first_words = ranked[0][0]
    assert len(first_words) == 5 and isinstance(first_words[0][0], float)
    assert isinstance(first_words[0][1], str)


def test_fit_alias_history_and_epoch_logging(corpus, dictionary, caplog):
    model = GSM(num_topics=2, id2word=dictionary, hidden_sizes=(8,), epochs=2, random_state=0)
    with caplog.at_level(logging.INFO, logger="ldax"):
        assert model.fit(corpus) is model
    assert [h["epoch"] for h in model.history] == [1, 2]
    assert {"train_loss", "train_kl", "seconds", "max_grad_norm"} <= set(model.history[0])
    assert sum("GSM epoch" in r.getMessage() for r in caplog.records) == 2


def test_save_load_round_trip_and_resume(tmp_path, corpus, dictionary):
    settings = dict(num_topics=3, id2word=dictionary, hidden_sizes=(8, 6), activation="tanh",
                    epochs=4, random_state=3, prior_mean=0.2, kl_weight=0.5, topic_dropout=0.3)
    model = GSM(corpus, **settings)
    path = tmp_path / "gsm.model"
    model.save(path)
    loaded = GSM.load(path)
    np.testing.assert_array_equal(loaded.get_topics(), model.get_topics())
    np.testing.assert_array_equal(loaded.inference(corpus[:5])[0], model.inference(corpus[:5])[0])
    assert type(loaded.id2word) is type(dictionary) and loaded.id2word.token2id == dictionary.token2id
    assert loaded.perplexity(corpus) == model.perplexity(corpus)
    assert loaded.history == model.history
    assert loaded.show_topic(0) == model.show_topic(0)
    assert (loaded.activation, loaded.kl_weight, loaded.prior_mean) == ("tanh", 0.5, 0.2)
    assert loaded.topic_dropout == 0.3
    # training on after loading is the same as never having stopped
    model.update(corpus, epochs=2)
    loaded.update(corpus, epochs=2)
    np.testing.assert_array_equal(loaded.params.flat, model.params.flat)


def test_corrupt_or_foreign_files_are_refused(tmp_path, model):
    path = tmp_path / "gsm.model"
    model.save(path)
    data = path.read_bytes()
    (tmp_path / "truncated").write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError):
        GSM.load(tmp_path / "truncated")
    save_archive(tmp_path / "other", "ldax.LdaModel", {"x": np.zeros(2)}, {})
    with pytest.raises(ModelFileError, match="not a 'ldax.GSM'"):
        GSM.load(tmp_path / "other")
    save_archive(tmp_path / "missing", "ldax.GSM", {"x": np.zeros(2)}, {"num_topics": 3})
    with pytest.raises(ModelFileError):
        GSM.load(tmp_path / "missing")
    with pytest.raises(FileNotFoundError):
        GSM.load(tmp_path / "absent")


def test_vocabulary_inferred_from_a_generator_without_losing_it(corpus, dictionary):
    model = GSM((doc for doc in corpus), num_topics=2, hidden_sizes=(8,), epochs=2, random_state=0)
    assert model.num_terms == len(dictionary) and len(model.history) == 2
    assert model.show_topic(0, topn=1)[0][0] in {str(i) for i in range(len(dictionary))}


def test_top_topics_without_a_dictionary(corpus):
    model = GSM(corpus, num_topics=2, hidden_sizes=(8,), epochs=2, random_state=0)
    ranked = model.top_topics(corpus=corpus, topn=3)
    assert len(ranked) == 2 and all(np.isfinite(s) for _, s in ranked)
