"""gensim's API on ldax.LdaModel: signatures, return shapes, save/load, to_gensim/from_gensim."""
import inspect

import numpy as np
import pytest
from gensim.corpora import Dictionary
from gensim.models import LdaModel as GensimLda
from gensim.models import LdaMulticore as GensimMulticore

from _lda_helpers import id2word_for, random_corpus
from ldax import LdaModel, LdaMulticore
from ldax.io import ModelFileError

TEXTS = [["human", "interface", "computer"], ["survey", "user", "computer", "system", "response"],
         ["eps", "user", "interface", "system"], ["system", "human", "system", "eps"],
         ["user", "response", "time"], ["trees"], ["graph", "trees"], ["graph", "minors", "trees"],
         ["graph", "minors", "survey"]] * 5


@pytest.fixture(scope="module")
def trained():
    dictionary = Dictionary(TEXTS)
    corpus = [dictionary.doc2bow(t) for t in TEXTS]
    model = LdaModel(corpus, num_topics=3, id2word=dictionary, passes=5, random_state=0,
                     alpha="auto", chunksize=10)
    return model, corpus, dictionary


def test_signatures_follow_gensim():
    ours = inspect.signature(LdaModel).parameters
    for name, param in inspect.signature(GensimLda).parameters.items():
        assert name in ours, name
        assert ours[name].default == param.default or name == "dtype", name
    assert "workers" in ours
    ours_mc = inspect.signature(LdaMulticore).parameters
    for name, param in inspect.signature(GensimMulticore).parameters.items():
        assert name in ours_mc and ours_mc[name].default == param.default, name


def test_return_shapes_match_gensim(trained):
    model, corpus, dictionary = trained
    theirs = model.to_gensim()
    assert model.get_topics().shape == theirs.get_topics().shape == (3, len(dictionary))
    np.testing.assert_allclose(model.get_topics(), theirs.get_topics(), rtol=1e-5)
    assert [w for w, _ in model.show_topic(1, 5)] == [w for w, _ in theirs.show_topic(1, 5)]
    assert [i for i, _ in model.get_topic_terms(2, 4)] == [i for i, _ in theirs.get_topic_terms(2, 4)]
    shown = model.show_topics(num_topics=-1, num_words=4, formatted=False)
    assert len(shown) == 3 and all(len(words) == 4 for _, words in shown)
    assert all(isinstance(s, str) for _, s in model.print_topics(2))
    assert len(model.show_topics(num_topics=2)) == 2
    doc_topics = model.get_document_topics(corpus[0], minimum_probability=0.0)
    assert [k for k, _ in doc_topics] == [0, 1, 2]
    assert abs(sum(p for _, p in doc_topics) - 1.0) < 1e-9
    topics, word_topics, word_phis = model.get_document_topics(corpus[1], per_word_topics=True,
                                                               minimum_phi_value=0.0)
    g_topics, g_word_topics, g_word_phis = theirs.get_document_topics(corpus[1], per_word_topics=True,
                                                                       minimum_phi_value=0.0)
    assert [w for w, _ in word_topics] == [w for w, _ in g_word_topics]
    # phis of a word sum to its count, in both
    for (w, phis), (_, count) in zip(word_phis, corpus[1]):
        assert abs(sum(p for _, p in phis) - count) < 1e-6
    for (w, phis) in g_word_phis:
        assert abs(sum(p for _, p in phis) - dict(corpus[1])[w]) < 1e-3
    assert isinstance(model[corpus[0]], list)
    stream = model[corpus]
    assert len(stream) == len(corpus) and len(list(stream)) == len(corpus)
    term = model.get_term_topics("graph", minimum_probability=0.0)
    assert [k for k, _ in term] == [0, 1, 2]
    np.testing.assert_allclose([p for _, p in term], [p for _, p in theirs.get_term_topics(
        dictionary.token2id["graph"], minimum_probability=0.0)], rtol=1e-5)
    gamma, sstats = model.inference(corpus[:4])
    assert gamma.shape == (4, 3) and sstats is None


def test_top_topics_and_diff(trained):
    model, corpus, dictionary = trained
    top = model.top_topics(corpus=corpus, topn=5)
    assert len(top) == 3 and all(len(words) == 5 for words, _ in top)
    scores = [s for _, s in top]
    assert scores == sorted(scores, reverse=True) and np.all(np.isfinite(scores))
    mdiff, notes = model.diff(model, distance="hellinger", num_words=5)
    assert mdiff.shape == (3, 3) and np.allclose(np.diag(mdiff), 0.0)
    theirs = model.to_gensim()
    expected, _ = theirs.diff(theirs, distance="jensen_shannon", annotation=False)
    got, none = model.diff(model, distance="jensen_shannon", annotation=False)
    assert none is None
    np.testing.assert_allclose(got, expected, atol=1e-5)
    with pytest.raises(ValueError, match="distance"):
        model.diff(model, distance="cosine")


def test_to_gensim_has_identical_state_and_from_gensim_round_trip(trained):
    model, corpus, dictionary = trained
    theirs = model.to_gensim()
    assert isinstance(theirs, GensimLda) and theirs.id2word is model.id2word
    np.testing.assert_allclose(theirs.state.sstats, model.state.sstats, rtol=1e-6)
    np.testing.assert_allclose(theirs.expElogbeta, model.expElogbeta, rtol=1e-6)
    np.testing.assert_allclose(theirs.alpha, model.alpha, rtol=1e-6)
    np.testing.assert_allclose(theirs.eta, model.eta, rtol=1e-6)
    assert theirs.num_updates == model.num_updates and theirs.state.numdocs == model.state.numdocs
    assert theirs.optimize_alpha
    back = LdaModel.from_gensim(theirs)
    np.testing.assert_allclose(back.state.sstats, model.state.sstats, rtol=1e-6)
    assert back.num_updates == model.num_updates
    # gensim keeps training the exported model
    theirs.update(corpus[:5])
    assert np.all(np.isfinite(theirs.get_topics()))


@pytest.mark.parametrize("cls", [LdaModel, LdaMulticore])
def test_save_load_round_trip_continues_identically(tmp_path, trained, cls):
    _, corpus, dictionary = trained
    model = cls(corpus, num_topics=3, id2word=dictionary, random_state=0, eta="auto", chunksize=10)
    path = tmp_path / "model.lda"
    model.save(str(path))
    loaded = cls.load(str(path))
    assert type(loaded) is cls
    np.testing.assert_array_equal(loaded.state.sstats, model.state.sstats)
    np.testing.assert_array_equal(loaded.expElogbeta, model.expElogbeta)
    np.testing.assert_array_equal(loaded.eta, model.eta)
    assert loaded.id2word.token2id == dictionary.token2id
    assert loaded.optimize_eta and loaded.num_updates == model.num_updates
    model.update(corpus)
    loaded.update(corpus)
    np.testing.assert_array_equal(loaded.state.sstats, model.state.sstats)


def test_dict_id2word_round_trip(tmp_path):
    corpus = random_corpus(20, 10)
    model = LdaModel(corpus, num_topics=2, id2word=id2word_for(10), random_state=0)
    model.save(tmp_path / "m")
    loaded = LdaModel.load(tmp_path / "m")
    assert loaded.id2word == id2word_for(10)


def test_corrupt_or_foreign_model_files_raise(tmp_path, trained):
    model, _, _ = trained
    good = tmp_path / "good"
    model.save(good)
    truncated = tmp_path / "truncated"
    truncated.write_bytes(good.read_bytes()[:200])
    with pytest.raises(ModelFileError):
        LdaModel.load(truncated)
    junk = tmp_path / "junk"
    junk.write_bytes(b"not a model at all" * 10)
    with pytest.raises(ModelFileError):
        LdaModel.load(junk)
    with pytest.raises(ModelFileError, match="ldax.LdaModel"):
        LdaMulticore.load(good)
    import pickle
    pickled = tmp_path / "pickled"
    pickled.write_bytes(pickle.dumps({"a": 1}))
    with pytest.raises(ModelFileError):
        LdaModel.load(pickled)
    # an archive with a wrong-shaped array
    from _model_files import rewrite_model_file

    def wrong_alpha(arrays):
        arrays["alpha"] = np.ones(7)
    with pytest.raises(ModelFileError, match="alpha"):
        LdaModel.load(rewrite_model_file(good, tmp_path / "bad_shape", edit_arrays=wrong_alpha))
    with pytest.raises(FileNotFoundError):
        LdaModel.load(tmp_path / "missing")


def test_callbacks_are_evaluated_each_pass(trained):
    from gensim.models.callbacks import PerplexityMetric
    _, corpus, dictionary = trained
    model = LdaModel(corpus, num_topics=3, id2word=dictionary, passes=2, random_state=0,
                     callbacks=[PerplexityMetric(corpus=corpus, logger="shell")])
    assert len(model.metrics["Perplexity"]) == 2
    assert all(np.isfinite(v) and v > 0 for v in model.metrics["Perplexity"])
