"""Bad input gets a clear Python exception; odd but valid input trains without crash, hang or NaN."""
import math

import numpy as np
import pytest

from w2vx import Word2Vec

GOOD = [["alpha", "beta", "gamma", "delta"]] * 20


@pytest.mark.parametrize("param,value,error", [
    ("vector_size", 0, ValueError), ("window", 0, ValueError), ("epochs", 0, ValueError),
    ("workers", 0, ValueError), ("vector_size", -5, ValueError), ("window", 2.5, TypeError),
    ("alpha", -0.1, ValueError), ("alpha", math.nan, ValueError), ("min_alpha", math.inf, ValueError),
    ("sample", -1e-3, ValueError), ("sample", math.nan, ValueError), ("negative", -1, ValueError),
    ("min_count", -1, ValueError), ("vector_size", "100", TypeError), ("max_final_vocab", 0, ValueError),
])
def test_bad_hyperparameters(param, value, error):
    with pytest.raises(error, match=param):
        Word2Vec(**{param: value})
    with pytest.raises(error, match=param):  # the same check guards training with a corpus
        Word2Vec(GOOD, **{"min_count": 1, param: value})


def test_no_output_layer():
    with pytest.raises(ValueError, match="hs.*negative"):
        Word2Vec(hs=0, negative=0)


@pytest.mark.parametrize("corpus", [[], [[]], [[], [], []]])
def test_empty_corpus(corpus):
    with pytest.raises(ValueError, match="empty"):
        Word2Vec(corpus, min_count=1)


def test_empty_corpus_file(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_text("\n\n  \n")
    with pytest.raises(ValueError, match="empty"):
        Word2Vec(corpus_file=str(path), min_count=1)


def test_nothing_reaches_min_count():
    with pytest.raises(ValueError, match="min_count=5"):
        Word2Vec([["a", "b", "c"]], min_count=5)


def test_missing_corpus_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="absent.txt"):
        Word2Vec(corpus_file=str(tmp_path / "absent.txt"))
    model = Word2Vec(GOOD, min_count=1, epochs=1)
    with pytest.raises(FileNotFoundError):
        model.train(corpus_file=str(tmp_path / "absent.txt"), total_words=10, epochs=1)


def test_train_before_build_vocab():
    with pytest.raises(RuntimeError, match="build vocabulary"):
        Word2Vec().train(GOOD, total_examples=20, epochs=1)


def test_one_shot_generator_refused_with_gensims_message():
    with pytest.raises(TypeError, match="Using a generator as corpus_iterable can't support 6 passes"):
        Word2Vec((s for s in GOOD), min_count=1)
    model = Word2Vec(min_count=1)
    model.build_vocab((s for s in GOOD))  # one pass is fine
    with pytest.raises(TypeError, match="generator"):
        model.train((s for s in GOOD), total_examples=20, epochs=2)


def test_train_arguments():
    model = Word2Vec(GOOD, min_count=1, epochs=1)
    with pytest.raises(ValueError, match="total_examples or total_words"):
        model.train(GOOD, epochs=1)
    with pytest.raises(ValueError, match="epochs"):
        model.train(GOOD, total_examples=20)
    with pytest.raises(ValueError, match="start_alpha"):
        model.train(GOOD, total_examples=20, epochs=1, start_alpha=math.nan)
    with pytest.raises(TypeError, match="corpus_iterable"):
        model.train(42, total_examples=20, epochs=1)
    with pytest.raises(TypeError, match="Both corpus_file and corpus_iterable"):
        model.train(GOOD, corpus_file="x", total_examples=20, epochs=1)
    with pytest.raises(TypeError, match="not a string"):
        Word2Vec(["a sentence given as a string"], min_count=1)
    model.wv.vectors = model.wv.vectors.astype(np.float64)
    with pytest.raises(ValueError, match="float32"):
        model.train(GOOD, total_examples=20, epochs=1)


MODES = [dict(sg=1, hs=0, negative=5), dict(sg=1, hs=1, negative=0),
         dict(sg=0, hs=0, negative=5), dict(sg=0, hs=1, negative=0)]


@pytest.mark.parametrize("mode", MODES, ids=["sg-neg", "sg-hs", "cbow-neg", "cbow-hs"])
def test_odd_but_valid_input(mode, tmp_path):
    rng = np.random.default_rng(0)
    words = [f"t{i}" for i in range(200)]
    long_sentence = [words[i] for i in rng.integers(0, 200, size=300_000)]
    model = Word2Vec([long_sentence], vector_size=8, min_count=1, epochs=1, workers=2, **mode)
    assert np.isfinite(model.wv.vectors).all()
    # one-word vocabulary (negative sampling can only draw the word itself)
    model = Word2Vec([["solo"]] * 50, vector_size=8, min_count=1, epochs=2, **mode)
    assert len(model.wv) == 1 and np.isfinite(model.wv.vectors).all()
    # window larger than every sentence, blank sentences, non-ASCII UTF-8
    corpus = [["ünïcödé", "日本語", "emoji😀"], [], ["ünïcödé", "日本語"], ["x"], []] * 20
    model = Word2Vec(corpus, vector_size=8, min_count=1, window=50, epochs=2, **mode)
    assert np.isfinite(model.wv.vectors).all() and "日本語" in model.wv
    path = tmp_path / "odd.txt"
    path.write_text("\n".join(" ".join(s) for s in corpus) + "\n\n\n", encoding="utf-8")
    from_file = Word2Vec(corpus_file=str(path), vector_size=8, min_count=1, window=50, epochs=2,
                         workers=3, **mode)
    assert from_file.wv.index_to_key == model.wv.index_to_key
    assert np.isfinite(from_file.wv.vectors).all()


def test_invalid_utf8_corpus_file(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_bytes(b"ok words \xff\xfe here\n" * 5)
    with pytest.raises(ValueError, match="UTF-8"):
        Word2Vec(corpus_file=str(path), min_count=1)


@pytest.mark.parametrize("from_file", [False, True])
def test_exception_in_progress_callback_stops_training_cleanly(tmp_path, from_file):
    """An exception raised on the calling thread (as Ctrl-C would be) stops the worker
    threads and reaches the caller; the model stays usable."""
    rng = np.random.default_rng(1)
    corpus = [[f"w{i}" for i in rng.integers(0, 50, size=40)] for _ in range(20000)]
    model = Word2Vec(vector_size=16, min_count=1, workers=2, sg=1)
    model.build_vocab(corpus)
    source = dict(corpus_iterable=corpus, total_examples=len(corpus))
    if from_file:
        path = tmp_path / "c.txt"
        path.write_text("\n".join(" ".join(s) for s in corpus) + "\n")
        source = dict(corpus_file=str(path), total_words=model.corpus_total_words)

    class Stop(Exception):
        pass

    def interrupt(progress):
        raise Stop

    with pytest.raises(Stop):
        model.train(**source, epochs=3, report_delay=0.0, progress_callback=interrupt)
    assert np.isfinite(model.wv.vectors).all()
    model.train(corpus[:100], total_examples=100, epochs=1)  # still trains afterwards
