"""Hostile arguments: absurd thread counts, counts that overflow, NaN and infinite
hyperparameters, tokens that are not text, and queries racing with training.

Cases that could crash (a thread count reaching OpenMP) or hang (the Huffman
builder, a race) run in child processes with a time limit (see ``_isolated``);
argument checks that cannot crash are ordinary tests.
"""
from __future__ import annotations

import math
import os
import threading

import numpy as np
import pytest
from gensim.test.utils import common_corpus, common_dictionary, common_texts

import _isolated
from _isolated import case

MODULE = __name__
HUGE = 10**6


# ------------------------------------------------------------------ thread counts (isolated)
def _worker_threads_during_training(model, **train_args):
    """Names of the w2vx worker threads that ``train`` starts."""
    started = []
    real_start = threading.Thread.start

    def start(thread):
        started.append(thread.name)
        real_start(thread)
    threading.Thread.start = start
    try:
        model.train(**train_args)
    finally:
        threading.Thread.start = real_start
    return [name for name in started if name.startswith(("w2vx-worker", "w2vx-file"))]


@case("threads", seconds=30)
def word2vec_workers_beyond_the_cpus_are_capped(tmp):
    from _gensimx.cpus import usable_cpus
    from w2vx import Word2Vec
    cpus = usable_cpus()
    model = Word2Vec(common_texts, vector_size=8, min_count=1, workers=HUGE, epochs=1)
    assert model.workers == HUGE  # the attribute keeps what was asked, as gensim's does
    corpus = [s for s in common_texts for _ in range(300)]
    threads = _worker_threads_during_training(model, corpus_iterable=corpus, total_examples=len(corpus),
                                              epochs=1)
    assert 0 < len(threads) <= cpus, threads
    path = os.path.join(tmp, "corpus.txt")
    with open(path, "w") as fh:
        fh.write("\n".join(" ".join(s) for s in corpus) + "\n")
    threads = _worker_threads_during_training(model, corpus_file=path, total_words=model.corpus_total_words,
                                              epochs=1)
    assert len(threads) <= cpus, threads
    assert model.to_gensim().workers == cpus  # gensim starts as many threads as it is given
    for bad in (0, -1, 2.5, "2", True, None):
        with pytest.raises((TypeError, ValueError), match="workers"):
            Word2Vec(common_texts, min_count=1, workers=bad)


@case("threads", seconds=30)
def topic_model_threads_beyond_the_cpus_are_capped(tmp):
    from _gensimx.cpus import usable_cpus
    from ldax import GSM, LdaModel, LdaMulticore
    cpus = usable_cpus()
    for cls in (LdaModel, LdaMulticore):
        model = cls(common_corpus, num_topics=3, id2word=common_dictionary, workers=HUGE, random_state=0)
        assert model.workers == HUGE and model._threads == cpus
        model.workers = 10**9  # later assignments are capped as well
        assert model._threads == cpus
        model.update(common_corpus, passes=1)
        assert np.isfinite(model.get_topics()).all()
    gsm = GSM(common_corpus, num_topics=3, id2word=common_dictionary, threads=HUGE, epochs=3,
              batch_size=4, hidden_sizes=(8,), random_state=0)
    assert gsm.threads == HUGE and gsm._threads == cpus and gsm._net.threads == cpus
    assert len(gsm.get_document_topics(common_corpus[0], minimum_probability=0)) == 3
    for bad in (0, -1, 2.5, "2", True):
        with pytest.raises((TypeError, ValueError), match="workers"):
            LdaModel(common_corpus, num_topics=2, id2word=common_dictionary, workers=bad)
        with pytest.raises((TypeError, ValueError), match="threads"):
            GSM(num_topics=2, id2word=common_dictionary, threads=bad)


@case("threads", seconds=30)
def command_line_thread_counts_beyond_the_cpus_are_capped(tmp):
    import contextlib
    import io
    from ldax.__main__ import main as ldax_main
    from w2vx.__main__ import main as w2vx_main
    corpus = os.path.join(tmp, "corpus.txt")
    with open(corpus, "w") as fh:
        fh.write("\n".join(" ".join(s) for s in common_texts * 20) + "\n")
    for main, argv, needle in (
            (w2vx_main, ["-train", corpus, "-output", os.path.join(tmp, "v"), "-min-count", "1",
                         "-size", "4", "-iter", "1", "-threads", str(HUGE)], "-threads 1000000 capped"),
            (ldax_main, ["lda", corpus, "--no-below", "1", "-k", "2", "--workers", str(HUGE)],
             "workers=1000000 capped")):
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            assert main(argv) == 0, err.getvalue()
        assert needle in err.getvalue(), err.getvalue()
    with contextlib.redirect_stderr(io.StringIO()):
        assert w2vx_main(["-train", corpus, "-threads", "0"]) == 2
        assert ldax_main(["lda", corpus, "--workers", "0"]) == 2


@case("threads", seconds=30)
def spark_local_cores_are_checked(tmp):
    pytest.importorskip("pyspark")
    from w2vx._spark import local_session
    for bad in (0, -2, 1.5):
        with pytest.raises(ValueError, match="cores"):
            local_session(bad)


# ------------------------------------------------------------------ counts (isolated: hangs)
def word2vec_c_tree(counts):
    """word2vec.c's CreateBinaryTree (sentinel 1e15), for counts sorted in descending order:
    each word's (code, points) from the root down."""
    n = len(counts)
    count = list(counts) + [10**15] * n
    parent, binary = [0] * (2 * n), [0] * (2 * n)
    pos1, pos2 = n - 1, n
    for a in range(n - 1):
        picked = []
        for _ in range(2):
            if pos1 >= 0 and count[pos1] < count[pos2]:
                picked.append(pos1)
                pos1 -= 1
            else:
                picked.append(pos2)
                pos2 += 1
        count[n + a] = count[picked[0]] + count[picked[1]]
        parent[picked[0]] = parent[picked[1]] = n + a
        binary[picked[1]] = 1
    paths = []
    for leaf in range(n):
        code, points, b = [], [], leaf
        while b != 2 * n - 2:
            code.append(binary[b])
            points.append(parent[b] - n)
            b = parent[b]
        paths.append((code[::-1], points[::-1]))
    return paths


@case("counts", seconds=30)
def huffman_tables_equal_word2vec_c_on_ordinary_counts(tmp):
    from w2vx._huffman import build_huffman_tree
    rng = np.random.default_rng(0)
    for trial in range(40):
        n = int(rng.integers(2, 400))
        counts = (rng.zipf(1.4, n) if trial % 2 else rng.integers(1, 6, n)).clip(1, 10**12)
        counts = np.sort(counts)[::-1]
        codes, points, offsets = build_huffman_tree(counts)
        for i, (code, point) in enumerate(word2vec_c_tree(counts.tolist())):
            assert codes[offsets[i]:offsets[i + 1]].tolist() == code, (trial, i)
            assert points[offsets[i]:offsets[i + 1]].tolist() == point, (trial, i)


@case("counts", seconds=30)
def huge_counts_build_and_train(tmp):
    """Counts of 2**61 and more (word2vec.c's sentinel arithmetic looped forever on them) and
    zero counts: valid Huffman, negative-sampling and subsampling tables, and training."""
    from w2vx import Word2Vec
    from w2vx._huffman import build_huffman_tree
    for counts in ([2**61, 2**61, 2**61, 3, 1], [2**63 - 1] * 6, [2**62, 2**62 - 1, 5, 0, 0]):
        codes, points, offsets = build_huffman_tree(counts)
        lengths = np.diff(offsets)
        assert lengths.min() >= 1 and lengths.max() <= len(counts) - 1
        if sum(counts) <= 2**63 - 1:
            freq = {f"w{i}": c for i, c in enumerate(counts)}
            for hs, negative in ((1, 0), (0, 5), (1, 5)):
                model = Word2Vec(vector_size=4, min_count=0, hs=hs, negative=negative, workers=1, sample=1e-3)
                model.build_vocab_from_freq(freq)
                assert np.all((model._keep_prob >= 0) & (model._keep_prob <= 1))
                if negative:
                    assert np.isfinite(model._tables["alias_prob"]).all()
                model.train([list(freq)] * 5, total_examples=5, epochs=1)
                assert np.isfinite(model.wv.vectors).all()
    many_zeros = {f"w{i}": 0 for i in range(50_000)}
    many_zeros["common"] = 10
    model = Word2Vec(vector_size=2, min_count=0, hs=1, negative=0, workers=1)
    model.build_vocab_from_freq(many_zeros)
    assert max(len(model.wv.get_vecattr(w, "code")) for w in ("w0", "w49999")) <= 20


@case("counts", seconds=30)
def counts_that_overflow_are_refused(tmp):
    import contextlib
    import io
    from w2vx import Word2Vec
    from w2vx.__main__ import main
    for freq, error in (({"a": 2**62, "b": 2**62}, "sum to"), ({"a": 2**63}, "<= 9223372036854775807"),
                        ({"a": -1}, ">= 0"), ({"a": 1.5}, "integer"), ({"a": "3"}, "integer"),
                        ({"a": float("nan")}, "integer"), ({3: 5}, "not str")):
        with pytest.raises((TypeError, ValueError), match=error):
            Word2Vec(min_count=0, hs=1).build_vocab_from_freq(freq)
    model = Word2Vec(min_count=1, hs=1, workers=1)
    model.build_vocab_from_freq({"a": 2**62, "b": 5})
    with pytest.raises(ValueError, match="2\\*\\*63"):
        model.build_vocab_from_freq({"a": 2**62}, update=True)
    corpus = os.path.join(tmp, "corpus.txt")
    with open(corpus, "w") as fh:
        fh.write("a b a c\n" * 20)
    vocab = os.path.join(tmp, "vocab.txt")
    with open(vocab, "w") as fh:  # the hang: counts of 2**61 through -read-vocab
        fh.write(f"a {2**61}\nb {2**61}\nc 7\n")
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        assert main(["-train", corpus, "-read-vocab", vocab, "-output", os.path.join(tmp, "v"),
                     "-hs", "1", "-negative", "0", "-size", "4", "-threads", "1", "-iter", "1",
                     "-min-count", "1"]) == 0, err.getvalue()
    with open(vocab, "w") as fh:
        fh.write(f"a {2**62}\nb {2**62}\n")
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        assert main(["-train", corpus, "-read-vocab", vocab, "-threads", "1"]) == 2
    assert "sum to" in err.getvalue() and "Traceback" not in err.getvalue()


@case("counts", seconds=30)
def extreme_negative_sampling_exponents_train(tmp):
    """ns_exponent of +-1000 (count ** 1000 overflows float64) gives a valid distribution."""
    from w2vx import Word2Vec
    from w2vx.vocab import negative_weights
    counts = np.array([10**12, 5000, 3, 1, 0])
    for exponent in (1000.0, -1000.0, 1e300, -1e300, 0.75, 0.0, -0.5):
        weights = negative_weights(counts, exponent)
        assert np.isfinite(weights).all() and weights.sum() > 0 and weights.min() >= 0, exponent
        model = Word2Vec(common_texts, vector_size=4, min_count=1, workers=1, epochs=1, ns_exponent=exponent)
        assert np.isfinite(model.wv.vectors).all()
    assert np.allclose(negative_weights(counts[:4], 0.75), counts[:4] ** 0.75)  # ordinary: unchanged


# ------------------------------------------------------------------ a query racing training
@case("race", seconds=30)
def most_similar_while_train_finishes(tmp):
    """most_similar in another thread while train() runs and ends, 40 times: never a
    TypeError (train() used to set wv.norms to None between fill_norms and its use)."""
    from w2vx import Word2Vec
    model = Word2Vec(common_texts, vector_size=16, min_count=1, workers=2, epochs=1)
    model.wv.most_similar("computer")
    stop, errors = threading.Event(), []

    def query():
        while not stop.is_set():
            try:
                model.wv.most_similar("computer", topn=3)
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
                return
    reader = threading.Thread(target=query)
    reader.start()
    try:
        for _ in range(40):
            model.train(common_texts, total_examples=len(common_texts), epochs=1)
    finally:
        stop.set()
        reader.join()
    assert not errors, errors[0]


@pytest.mark.parametrize("batch,name", [(b, n) for b in ("threads", "counts", "race")
                                        for n in _isolated.names(MODULE, b)])
def test_hostile_argument(batch, name):
    _isolated.check(MODULE, batch, name)


# ------------------------------------------------------------------ NaN and infinity (in process)
W2V_NUMBERS = ["alpha", "min_alpha", "sample", "ns_exponent"]
BAD_FLOATS = [float("nan"), float("inf"), -float("inf")]


@pytest.mark.parametrize("name", W2V_NUMBERS)
@pytest.mark.parametrize("value", BAD_FLOATS)
def test_word2vec_refuses_non_finite_numbers_naming_them(name, value):
    from w2vx import Word2Vec
    with pytest.raises(ValueError, match=name):
        Word2Vec(**{name: value})


def test_word2vec_train_refuses_non_finite_rates():
    from w2vx import Word2Vec
    model = Word2Vec(common_texts, vector_size=4, min_count=1, workers=1, epochs=1)
    for name in ("start_alpha", "end_alpha"):
        for value in BAD_FLOATS:
            with pytest.raises(ValueError, match=name):
                model.train(common_texts, total_examples=9, epochs=1, **{name: value})


LDA_NUMBERS = ["decay", "offset", "eps", "gamma_threshold", "minimum_probability", "minimum_phi_value",
               "alpha", "eta"]


@pytest.mark.parametrize("name", LDA_NUMBERS)
@pytest.mark.parametrize("value", BAD_FLOATS)
def test_lda_refuses_non_finite_numbers_naming_them(name, value):
    from ldax import LdaModel
    with pytest.raises(ValueError, match=name):
        LdaModel(num_topics=2, id2word=common_dictionary, **{name: value})


def test_lda_offset_below_one_would_step_past_one():
    """gensim's rho = (offset + t) ** -decay exceeds 1 at t = 0 when offset < 1: NaN topics."""
    from ldax import LdaModel
    for offset in (0.0, 0.5, 0.999):
        with pytest.raises(ValueError, match="offset must be >= 1"):
            LdaModel(num_topics=2, id2word=common_dictionary, offset=offset)
    model = LdaModel(common_corpus, num_topics=2, id2word=common_dictionary, random_state=0)
    with pytest.raises(ValueError, match="offset"):
        model.update(common_corpus, offset=0.5)
    reference = LdaModel(common_corpus, num_topics=2, id2word=common_dictionary, offset=0.0,
                         rho_schedule="reference", random_state=0)
    assert np.isfinite(reference.get_topics()).all()


@pytest.mark.parametrize("damage", ["nan_sstats", "inf_expelogbeta", "negative_expelogbeta", "nan_eta",
                                    "negative_lambda", "offset"])
def test_from_gensim_refuses_a_broken_state(damage):
    from gensim.models import LdaModel as GensimLda
    from ldax import LdaModel
    model = GensimLda(common_corpus, num_topics=2, id2word=common_dictionary, random_state=0)
    if damage == "nan_sstats":
        model.state.sstats[0, 0] = np.nan
    elif damage == "inf_expelogbeta":
        model.expElogbeta[1, 1] = np.inf
    elif damage == "negative_expelogbeta":
        model.expElogbeta[1, 1] = -0.5
    elif damage == "nan_eta":
        model.state.eta = np.full_like(model.state.eta, np.nan)
    elif damage == "negative_lambda":
        model.state.sstats[0, 0] = -10.0
    else:
        model.offset = 0.5
    with pytest.raises(ValueError):
        LdaModel.from_gensim(model)
    ours = LdaModel.from_gensim(GensimLda(common_corpus, num_topics=2, id2word=common_dictionary,
                                          random_state=0))
    assert np.isfinite(ours.get_topics()).all()


GSM_NUMBERS = ["learning_rate", "min_learning_rate", "clip_norm", "kl_weight", "prior_mean",
               "prior_variance", "topic_dropout", "minimum_probability"]


@pytest.mark.parametrize("name", GSM_NUMBERS)
@pytest.mark.parametrize("value", BAD_FLOATS)
def test_gsm_refuses_non_finite_numbers_naming_them(name, value):
    from ldax import GSM
    with pytest.raises(ValueError, match=name):
        GSM(num_topics=2, id2word=common_dictionary, **{name: value})


# ------------------------------------------------------------------ tokens (in process)
@pytest.mark.parametrize("token,error,shown", [
    (7, TypeError, "int"), (b"bytes", TypeError, "bytes"), (None, TypeError, "NoneType"),
    ("caf\udce9", ValueError, "lone surrogate"), (["nested"], TypeError, "list")])
def test_tokens_that_are_not_text_are_refused_when_counting(token, error, shown):
    """Words must be str that encode to UTF-8: anything else could be trained but never saved
    and read back (model files and word2vec.c files hold UTF-8 text).  Refused at vocabulary
    building, naming the sentence and the token's type."""
    from w2vx import Word2Vec
    corpus = [["good", "words"], ["more", "good", token, "words"]]
    with pytest.raises(error, match=f"sentence #1 .*{shown}"):
        Word2Vec(corpus, min_count=1, workers=1)
    model = Word2Vec(min_count=1, workers=1)
    with pytest.raises(error):
        model.build_vocab(corpus)


def test_words_that_are_not_text_are_refused_by_every_other_entry():
    from gensim.models import KeyedVectors
    from w2vx import Word2Vec
    from w2vx.io import save_vectors, save_vocab
    with pytest.raises(TypeError, match="not str"):
        Word2Vec(min_count=1).build_vocab_from_freq({b"x": 3})
    with pytest.raises(ValueError, match="lone surrogate"):
        Word2Vec(min_count=1).build_vocab_from_freq({"\ud800": 3})
    wv = KeyedVectors(vector_size=2)
    wv.add_vectors(["ok", "\udcff"], np.ones((2, 2), dtype=np.float32))
    with pytest.raises(ValueError, match="lone surrogate"):
        save_vectors(wv, "never-written.txt")
    with pytest.raises(TypeError, match="int"):
        save_vocab({5: 3}, "never-written.txt")
    assert not os.path.exists("never-written.txt")


def test_tokens_outside_the_vocabulary_are_skipped_whatever_their_type(tmp_path):
    """Training after a clean vocabulary: non-str tokens are out of vocabulary, as in gensim."""
    from w2vx import Word2Vec
    model = Word2Vec(common_texts, vector_size=4, min_count=1, workers=1, epochs=1)
    noisy = [s + [7, None, b"x", ("t",)] for s in common_texts]
    trained, raw = model.train(noisy, total_examples=len(noisy), epochs=1)
    assert raw == sum(len(s) for s in noisy) and np.isfinite(model.wv.vectors).all()
    model.save(tmp_path / "m")
    assert Word2Vec.load(tmp_path / "m").wv.index_to_key == model.wv.index_to_key
    assert math.isfinite(model.get_latest_training_loss())
