"""Bad input to GSM raises a clear Python exception (never a crash or NaN parameters)."""
import math

import numpy as np
import pytest
import scipy.sparse as sp

from ldax.gsm import GSM

VOCAB = {i: f"w{i}" for i in range(5)}
DOCS = [[(0, 1.0), (2, 3.0)], [(1, 2.0), (4, 1.0)], [(3, 5.0)]]


def make(**kwargs):
    settings = dict(num_topics=2, id2word=VOCAB, hidden_sizes=(4,), epochs=1, random_state=0)
    settings.update(kwargs)
    return GSM(**settings)


@pytest.mark.parametrize("kwargs,error,match", [
    (dict(num_topics=0), ValueError, "num_topics must be >= 1"),
    (dict(num_topics=2.5), TypeError, "num_topics must be an integer"),
    (dict(learning_rate=0.0), ValueError, "learning_rate"),
    (dict(learning_rate=-1e-3), ValueError, "learning_rate"),
    (dict(learning_rate=math.nan), ValueError, "learning_rate"),
    (dict(batch_size=0), ValueError, "batch_size must be >= 1"),
    (dict(epochs=-1), ValueError, "epochs"),
    (dict(kl_weight=math.nan), ValueError, "kl_weight"),
    (dict(kl_weight=-1.0), ValueError, "kl_weight"),
    (dict(prior_variance=0.0), ValueError, "prior_variance"),
    (dict(prior_mean=math.inf), ValueError, "prior_mean"),
    (dict(clip_norm=-5.0), ValueError, "clip_norm"),
    (dict(hidden_sizes=(0,)), ValueError, "hidden size"),
    (dict(activation="gelu"), ValueError, "activation must be one of"),
    (dict(encoder_input="tfidf"), ValueError, "encoder_input must be one of"),
    (dict(dtype=np.int32), TypeError, "dtype"),
    (dict(threads=0), ValueError, "threads"),
    (dict(id2word=None), ValueError, "corpus or id2word"),
    (dict(id2word={}), ValueError, "empty"),
    (dict(topic_dropout=1.0), ValueError, r"topic_dropout must be in \[0, 1\)"),
    (dict(topic_dropout=-0.1), ValueError, "topic_dropout"),
    (dict(topic_dropout=math.nan), ValueError, "topic_dropout"),
    (dict(topic_dropout="0.2"), TypeError, "topic_dropout must be a number"),
    (dict(topic_dropout=True), TypeError, "topic_dropout must be a number"),
])
def test_bad_hyperparameters(kwargs, error, match):
    with pytest.raises(error, match=match):
        make(**kwargs)


@pytest.mark.parametrize("corpus,error,match", [
    ([], ValueError, "empty"),
    ([[(0, 1.0)], [(5, 1.0)]], ValueError, "word id 5 is outside the vocabulary"),
    ([[(-1, 1.0)]], ValueError, "outside the vocabulary"),
    ([[(0, -2.0)]], ValueError, "non-negative"),
    ([[(0, math.nan)]], ValueError, "finite"),
    ([[(0, math.inf)]], ValueError, "finite"),
    ([[], []], ValueError, "no words"),
    (["some text"], TypeError, "string"),
    ("some text", TypeError, "string"),
    ([[(0.5, 1.0)]], ValueError, "integers"),
    (sp.csr_matrix(np.ones((2, 7))), ValueError, "columns"),
    (sp.csr_matrix(-np.ones((2, 5))), ValueError, "non-negative"),
    (42, TypeError, "iterable"),
])
def test_bad_corpora(corpus, error, match):
    model = make()
    before = model.params.flat.copy()
    with pytest.raises(error, match=match):
        model.update(corpus)
    np.testing.assert_array_equal(model.params.flat, before)     # nothing half-trained


def test_bad_heldout_corpus_is_refused_before_training():
    model = make()
    with pytest.raises(ValueError, match="outside the vocabulary"):
        model.update(DOCS, heldout_corpus=[[(9, 1.0)]])
    assert model.history == []


def test_early_stopping_without_heldout_corpus_is_refused():
    with pytest.raises(ValueError, match="needs a heldout_corpus"):
        make(corpus=DOCS, early_stopping_patience=2)


def test_bad_queries():
    model = make(corpus=DOCS)
    with pytest.raises(ValueError, match="outside the vocabulary"):
        model.get_document_topics([(7, 1.0)])
    with pytest.raises(ValueError, match="outside the vocabulary"):
        model.inference([[(0, 1.0)], [(99, 1.0)]])
    with pytest.raises(ValueError, match="topicid 2 is out of range"):
        model.show_topic(2)
    with pytest.raises(ValueError, match="every document is empty"):
        model.perplexity([[], []])
    with pytest.raises(ValueError, match="no words"):
        model.log_perplexity([[]])
    with pytest.raises(ValueError, match="minimum_probability"):
        model.get_document_topics(DOCS[0], minimum_probability=-0.1)
    with pytest.raises(ValueError, match="empty"):
        model.perplexity([])


def test_vocabulary_cannot_be_inferred_from_an_empty_corpus():
    with pytest.raises(ValueError, match="empty"):
        GSM([], num_topics=2)
