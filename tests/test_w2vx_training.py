"""Every mode of the kernel learns a planted structure; runs are reproducible; loss adds up."""
import numpy as np
import pytest

from w2vx import Word2Vec

N_CLUSTERS, PER_CLUSTER = 4, 8


def cluster_corpus(seed=0, n_sentences=1500, length=10):
    """Sentences drawn from one cluster each: words of a cluster share all their contexts."""
    rng = np.random.default_rng(seed)
    words = [[f"c{c}w{i}" for i in range(PER_CLUSTER)] for c in range(N_CLUSTERS)]
    return [[words[c][i] for i in rng.integers(PER_CLUSTER, size=length)]
            for c in rng.integers(N_CLUSTERS, size=n_sentences)]


def cluster_of(word):
    return int(word[1:word.index("w")])


def assert_clusters_learned(wv):
    words = wv.index_to_key
    sims = wv.most_similar
    same = [cluster_of(sims(w, topn=1)[0][0]) == cluster_of(w) for w in words]
    assert np.mean(same) >= 0.9, f"nearest neighbour in own cluster for only {np.mean(same):.0%}"
    unit = wv.get_normed_vectors()
    cos = unit @ unit.T
    labels = np.array([cluster_of(w) for w in words])
    same_mask = labels[:, None] == labels[None, :]
    np.fill_diagonal(same_mask, False)
    intra, inter = cos[same_mask].mean(), cos[labels[:, None] != labels[None, :]].mean()
    assert intra > inter + 0.3, (intra, inter)
    assert np.isfinite(wv.vectors).all()


MODES = [dict(sg=1, hs=0, negative=5), dict(sg=1, hs=1, negative=0),
         dict(sg=0, hs=0, negative=5), dict(sg=0, hs=1, negative=0),
         dict(sg=0, hs=1, negative=0, cbow_mean=0), dict(sg=1, hs=1, negative=3)]


@pytest.mark.parametrize("mode", MODES, ids=lambda m: "-".join(f"{k}{v}" for k, v in m.items()))
def test_every_mode_learns_planted_clusters(mode):
    model = Word2Vec(cluster_corpus(), vector_size=16, window=3, min_count=1, sample=0,
                     workers=2, epochs=5, seed=3, **mode)
    assert_clusters_learned(model.wv)


def test_same_seed_one_worker_is_reproducible():
    corpus = cluster_corpus(1, n_sentences=300)
    runs = [Word2Vec(corpus, vector_size=12, min_count=1, workers=1, epochs=2, seed=9, sample=1e-2)
            for _ in range(2)]
    np.testing.assert_array_equal(runs[0].wv.vectors, runs[1].wv.vectors)
    np.testing.assert_array_equal(runs[0].syn1neg, runs[1].syn1neg)
    other = Word2Vec(corpus, vector_size=12, min_count=1, workers=1, epochs=2, seed=10, sample=1e-2)
    assert not np.array_equal(other.wv.vectors, runs[0].wv.vectors)


def test_loss_falls_and_is_off_by_default():
    corpus = cluster_corpus(2, n_sentences=2000)
    for workers in (1, 2):
        model = Word2Vec(vector_size=16, min_count=1, workers=workers, sample=0, seed=1)
        model.build_vocab(corpus)
        model.train(corpus, total_examples=model.corpus_count, epochs=1, compute_loss=True)
        first = model.get_latest_training_loss()
        model.train(corpus, total_examples=model.corpus_count, epochs=1, compute_loss=True)
        assert np.isfinite(first) and first > model.get_latest_training_loss() > 0
    model = Word2Vec(corpus[:50], vector_size=8, min_count=1, epochs=1)
    assert model.get_latest_training_loss() == 0.0  # compute_loss off


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_loss_equals_closed_form_whatever_the_threads(workers):
    """With alpha = 0 nothing moves, so the summed loss is a closed form: no update may be
    lost or double counted in the per-thread accumulation and reduction."""
    corpus = cluster_corpus(3, n_sentences=3000, length=7)
    model = Word2Vec(vector_size=8, min_count=1, workers=workers, sample=0, sg=1, hs=1, negative=0,
                     window=2, shrink_windows=False, batch_words=1000)
    model.build_vocab(corpus)
    rng = np.random.default_rng(0)
    model.syn1[:] = rng.normal(scale=0.5, size=model.syn1.shape)
    model.train(corpus, total_examples=len(corpus), epochs=2, start_alpha=0.0, end_alpha=0.0,
                compute_loss=True)
    wv = model.wv
    expected = 0.0
    for sentence in corpus:
        ids = [wv.key_to_index[w] for w in sentence]
        for pos, word in enumerate(ids):
            code = wv.get_vecattr(word, "code").astype(float)
            rows = model.syn1[wv.get_vecattr(word, "point")]
            for c in range(max(0, pos - 2), min(len(ids), pos + 3)):
                if c != pos:
                    f = rows @ wv.vectors[ids[c]].astype(float)
                    expected += np.logaddexp(0, -(1 - 2 * code) * f).sum()
    assert model.get_latest_training_loss() == pytest.approx(2 * expected, rel=1e-5)


def test_alpha_decays_linearly_to_min_alpha_and_callbacks_fire():
    from gensim.models.callbacks import CallbackAny2Vec

    class Recorder(CallbackAny2Vec):
        def __init__(self):
            self.events = []

        def on_train_begin(self, model):
            self.events.append("train_begin")

        def on_epoch_begin(self, model):
            self.events.append("epoch_begin")

        def on_epoch_end(self, model):
            self.events.append("epoch_end")

        def on_train_end(self, model):
            self.events.append("train_end")

    corpus = cluster_corpus(3, n_sentences=3000)
    model = Word2Vec(vector_size=8, min_count=1, workers=1, alpha=0.05, min_alpha=0.001)
    model.build_vocab(corpus)
    reports, recorder = [], Recorder()
    model.train(corpus, total_words=model.corpus_total_words, epochs=3, callbacks=[recorder],
                report_delay=0.0, progress_callback=reports.append)
    assert recorder.events == ["train_begin"] + ["epoch_begin", "epoch_end"] * 3 + ["train_end"]
    alphas = [r.alpha for r in reports]
    assert all(a >= b - 1e-12 for a, b in zip(alphas, alphas[1:]))
    ends = [r for i, r in enumerate(reports) if i + 1 == len(reports) or reports[i + 1].epoch != r.epoch]
    assert [(r.epoch, r.epoch_fraction) for r in ends] == [(0, 1.0), (1, 1.0), (2, 1.0)]
    for r in ends:  # alpha at the end of epoch e is on the straight line over all epochs
        assert r.alpha == pytest.approx(0.05 - (0.05 - 0.001) * (r.epoch + 1) / 3)
    assert ends[-1].raw_words == model.corpus_total_words


def test_subsampling_reduces_effective_words():
    corpus = cluster_corpus(4, n_sentences=500)
    model = Word2Vec(vector_size=8, min_count=1, workers=1, sample=1e-3)
    model.build_vocab(corpus)
    effective, raw = model.train(corpus, total_examples=model.corpus_count, epochs=1)
    assert raw == 5000
    keep = np.array([model.wv.get_vecattr(w, "sample_int") / (2**32 - 1) for w in model.wv.index_to_key])
    counts = np.array([model.wv.get_vecattr(w, "count") for w in model.wv.index_to_key])
    expected = float((keep * counts).sum())
    assert abs(effective - expected) < 4 * np.sqrt(expected) + 10


@pytest.mark.parametrize("mode", MODES[:4])
def test_private_hot_rows_change_nothing_for_one_thread(monkeypatch, mode):
    """A thread's private copies of hot rows (used when workers > 1) must add exactly its
    own updates back into the shared rows: one thread with every row private and flushes
    every few sentences trains the same vectors as one thread without copies, up to the
    float32 rounding of base + (copy - base) at each flush (a lost or doubled flush would
    be off by the size of the updates)."""
    import w2vx.word2vec as w2v_module
    from w2vx._train import encode_sentences

    corpus = cluster_corpus(2, n_sentences=400)
    results = []
    for private in (False, True):
        model = Word2Vec(vector_size=16, min_count=1, workers=1, seed=5, sample=0, **mode)
        model.build_vocab(corpus)
        n = len(model.wv)
        monkeypatch.setattr(w2v_module, "HOT_WORDS", n)
        monkeypatch.setattr(w2v_module, "HOT_NODES", n)
        monkeypatch.setattr(w2v_module, "HOT_FLUSH_WORDS", 50)
        kernel = model._kernel(False)
        ids, offsets, _ = encode_sentences(corpus, model.wv.key_to_index, n)
        kernel.train_job(ids, offsets, 0.025, 0.0001, 7, private)
        results.append([model.wv.vectors.copy()]
                       + [getattr(model, m).copy() for m in ("syn1", "syn1neg") if getattr(model, m) is not None])
    for shared, private in zip(*results):
        assert np.abs(shared).max() > 0.01  # the rows did move
        np.testing.assert_allclose(private, shared, rtol=0, atol=1e-4)


@pytest.mark.parametrize("use_file", [False, True])
def test_each_train_call_draws_new_random_streams(tmp_path, use_file):
    """A loop of train(epochs=1) calls (a common gensim pattern) must not replay the same
    subsampling, windows and negatives every call: the words kept differ between calls."""
    corpus = cluster_corpus(5, n_sentences=400)
    source = {"corpus_iterable": corpus}
    if use_file:
        path = tmp_path / "corpus.txt"
        path.write_text("\n".join(" ".join(s) for s in corpus) + "\n")
        source = {"corpus_file": str(path)}
    model = Word2Vec(vector_size=8, min_count=1, workers=1, sample=1e-2, seed=4)
    model.build_vocab(**source)
    kept = [model.train(**source, total_examples=model.corpus_count,
                        total_words=model.corpus_total_words, epochs=1)[0] for _ in range(3)]
    assert len(set(kept)) == 3, kept
    # the first call is what a fresh model's single call does (same streams as before)
    fresh = Word2Vec(vector_size=8, min_count=1, workers=1, sample=1e-2, seed=4)
    fresh.build_vocab(**source)
    assert fresh.train(**source, total_examples=fresh.corpus_count,
                       total_words=fresh.corpus_total_words, epochs=1)[0] == kept[0]
