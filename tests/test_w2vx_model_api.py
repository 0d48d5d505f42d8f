"""gensim API of w2vx.Word2Vec: signature, KeyedVectors, save/load, to_gensim, predict, score."""
import inspect

import numpy as np
import pytest
from gensim.models import KeyedVectors
from gensim.models import Word2Vec as GensimWord2Vec

from w2vx import Word2Vec
from w2vx._archive import ModelFileError

from test_w2vx_training import cluster_corpus


def test_signatures_match_gensim():
    for name in ("__init__", "build_vocab", "train"):
        ours = inspect.signature(getattr(Word2Vec, name)).parameters
        theirs = inspect.signature(getattr(GensimWord2Vec, name)).parameters
        for pname, param in theirs.items():
            if param.kind is param.VAR_KEYWORD:
                continue
            assert pname in ours, (name, pname)
            if pname != "sentences" or name != "__init__":
                assert ours[pname].default == param.default, (name, pname)


@pytest.fixture(scope="module")
def trained():
    corpus = cluster_corpus(5, n_sentences=600)
    return corpus, Word2Vec(corpus, vector_size=12, min_count=1, workers=2, epochs=3, hs=1, negative=5)


def test_wv_is_gensim_keyedvectors_around_the_trained_array(trained):
    corpus, model = trained
    assert isinstance(model.wv, KeyedVectors)
    assert model.wv.vectors.dtype == np.float32 and model.wv.vectors.flags.c_contiguous
    before = model.wv.vectors.__array_interface__["data"][0]
    model.train(corpus, total_examples=model.corpus_count, epochs=1)
    assert model.wv.vectors.__array_interface__["data"][0] == before  # trained in place, no copy
    assert model.syn1.shape == model.syn1neg.shape == model.wv.vectors.shape
    assert model.corpus_count == 600 and model.corpus_total_words == 6000
    assert model.wv.most_similar("c0w0", topn=3)


def test_save_load_round_trip(trained, tmp_path):
    _, model = trained
    path = tmp_path / "model.w2vx"
    model.save(path)
    loaded = Word2Vec.load(path)
    assert loaded.wv.index_to_key == model.wv.index_to_key
    for name in ("vector_size", "window", "sg", "hs", "negative", "sample", "alpha", "epochs"):
        assert getattr(loaded, name) == getattr(model, name)
    np.testing.assert_array_equal(loaded.wv.vectors, model.wv.vectors)
    np.testing.assert_array_equal(loaded.syn1, model.syn1)
    np.testing.assert_array_equal(loaded.syn1neg, model.syn1neg)
    for w in model.wv.index_to_key[:5]:
        assert loaded.wv.get_vecattr(w, "count") == model.wv.get_vecattr(w, "count")
        np.testing.assert_array_equal(loaded.wv.get_vecattr(w, "code"), model.wv.get_vecattr(w, "code"))
    # and it trains on
    loaded.train(cluster_corpus(6, 100), total_examples=100, epochs=1)
    assert np.isfinite(loaded.wv.vectors).all()


def test_to_gensim_round_trip_and_continued_training(trained):
    corpus, model = trained
    g = model.to_gensim()
    assert isinstance(g, GensimWord2Vec)
    assert g.wv.index_to_key == model.wv.index_to_key
    np.testing.assert_array_equal(g.wv.vectors, model.wv.vectors)
    np.testing.assert_array_equal(g.syn1neg, model.syn1neg)
    for w in model.wv.index_to_key:
        assert g.wv.get_vecattr(w, "count") == model.wv.get_vecattr(w, "count")
        np.testing.assert_array_equal(g.wv.get_vecattr(w, "point"), model.wv.get_vecattr(w, "point"))
    assert g.wv.vectors is not model.wv.vectors
    assert g.cum_table is not None and len(g.cum_table) == len(g.wv)
    g.train(corpus, total_examples=len(corpus), epochs=1)
    assert not np.array_equal(g.wv.vectors, model.wv.vectors)  # gensim kept training
    assert np.isfinite(g.wv.vectors).all()
    assert g.wv.most_similar("c1w1", topn=1)[0][0].startswith("c1")


def test_predict_output_word_and_score(trained):
    _, model = trained
    neg = Word2Vec(cluster_corpus(5, 1500), vector_size=12, min_count=1, epochs=10, sample=0)
    top = neg.predict_output_word(["c2w0", "c2w1", "c2w3"], topn=5)
    assert len(top) == 5 and sum(p for _, p in top) <= 1.0
    assert all(w.startswith("c2") for w, _ in top)
    assert neg.predict_output_word(["not-a-word"]) is None
    sentences = [["c3w0", "c3w1", "c3w2", "c3w4"], ["c3w0", "c0w1", "c1w2", "c2w4"]]
    scores = model.score(sentences)
    assert scores.shape == (2,) and np.all(scores < 0)
    assert scores[0] > scores[1]  # an in-cluster sentence is more probable
    neg_only = Word2Vec(sentences * 5, vector_size=4, min_count=1, hs=0, negative=2, epochs=1)
    with pytest.raises(RuntimeError, match="hierarchical softmax"):
        neg_only.score(sentences)
    hs_only = Word2Vec(sentences * 5, vector_size=4, min_count=1, hs=1, negative=0, epochs=1)
    with pytest.raises(RuntimeError, match="negative sampling"):
        hs_only.predict_output_word(["c3w0"])


def test_corrupt_and_truncated_files_raise_model_file_error(trained, tmp_path):
    _, model = trained
    path = tmp_path / "model.w2vx"
    model.save(path)
    data = path.read_bytes()
    (tmp_path / "truncated").write_bytes(data[: len(data) // 2])
    (tmp_path / "garbage").write_bytes(b"\x00not a model at all" * 10)
    for name in ("truncated", "garbage"):
        with pytest.raises(ModelFileError):
            Word2Vec.load(tmp_path / name)
    with pytest.raises(FileNotFoundError):
        Word2Vec.load(tmp_path / "absent")
    # a file with a consistent-looking but wrong vocabulary length
    from _model_files import rewrite_model_file

    def drop_last_length(arrays):
        arrays["word_lengths"] = arrays["word_lengths"][:-1]

    def bad_window(meta):
        meta["window"] = -3
    for name, edits in (("inconsistent", {"edit_arrays": drop_last_length}),
                        ("badparams", {"edit_meta": bad_window})):
        with pytest.raises(ModelFileError):
            Word2Vec.load(rewrite_model_file(path, tmp_path / name, **edits))


def test_restartable_corpora_from_gensim(tmp_path):
    from w2vx import LineSentence, PathLineSentences, Text8Corpus
    text = "\n".join(" ".join(s) for s in cluster_corpus(7, 200)) + "\n"
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "a.txt").write_text(text)
    (tmp_path / "t8").write_text(text.replace("\n", " "))
    for corpus in (LineSentence(str(tmp_path / "dir" / "a.txt")), PathLineSentences(str(tmp_path / "dir")),
                   Text8Corpus(str(tmp_path / "t8"))):
        model = Word2Vec(corpus, vector_size=8, min_count=1, epochs=2, workers=2)
        assert len(model.wv) == 32 and np.isfinite(model.wv.vectors).all()


def test_unbuilt_model_round_trip(tmp_path):
    model = Word2Vec(vector_size=7, window=3, sg=1)
    model.save(tmp_path / "empty")
    loaded = Word2Vec.load(tmp_path / "empty")
    assert (loaded.vector_size, loaded.window, loaded.sg, len(loaded.wv)) == (7, 3, 1, 0)
    with pytest.raises(RuntimeError, match="build vocabulary"):
        loaded.train([["a"]], total_examples=1, epochs=1)


def test_corrupted_key_to_index_is_refused_before_the_kernel():
    corpus = cluster_corpus(11, 50)
    model = Word2Vec(corpus, vector_size=4, min_count=1, epochs=1)
    model.wv.key_to_index["c0w0"] = 10**6
    with pytest.raises(ValueError, match="outside the vocabulary"):
        model.train(corpus, total_examples=50, epochs=1)
