"""corpus_file training: every line trained exactly once per epoch, whatever the thread split;
.gz input; the C tokeniser agrees with the vocabulary scan."""
import gzip

import numpy as np
import pytest

from w2vx import Word2Vec
from w2vx._corpusfile import VocabHash

from test_w2vx_training import assert_clusters_learned, cluster_corpus


def write_corpus(path, sentences, newline="\n"):
    path.write_bytes(newline.join(" ".join(s) for s in sentences).encode("utf-8") + newline.encode())
    return path


@pytest.mark.parametrize("workers", [1, 2, 3, 7])
def test_each_line_read_once_per_epoch(tmp_path, workers):
    rng = np.random.default_rng(workers)
    # lines of very different lengths so thread boundaries fall mid-line
    sentences = [[f"w{rng.integers(50)}" for _ in range(rng.integers(0, 40))] for _ in range(300)]
    path = write_corpus(tmp_path / "c.txt", sentences)
    model = Word2Vec(vector_size=8, min_count=1, workers=workers, sample=0)
    model.build_vocab(corpus_file=str(path))
    total = sum(len(s) for s in sentences)
    assert model.corpus_total_words == total
    effective, raw = model.train(corpus_file=str(path), total_words=total, epochs=3)
    assert raw == 3 * total
    assert effective == 3 * total  # sample=0 and every word in the vocabulary


def test_unknown_tokens_are_dropped_and_whitespace_variants_split(tmp_path):
    path = tmp_path / "c.txt"
    path.write_bytes(b"a b  c\t a\r\n\n   \nb\x0bc a zz\n\x0c a b")  # no final newline
    model = Word2Vec(vector_size=4, min_count=2, workers=2, sample=0)
    model.build_vocab(corpus_file=str(path))
    assert sorted(model.wv.index_to_key) == ["a", "b", "c"]
    assert model.corpus_total_words == 10
    effective, raw = model.train(corpus_file=str(path), total_words=10, epochs=1)
    assert raw == 10 and effective == 9  # "zz" is out of vocabulary


def test_vocab_hash_lookup():
    words = ["a", "b", "héllo", "日本", "x" * 300] + [f"w{i}" for i in range(1000)]
    table = VocabHash(words)
    for i, w in enumerate(words):
        assert table.get(w) == i
    assert table.get("nope") == -1 and table.get("") == -1 and table.get("w1000") == -1


def test_file_training_learns_clusters_and_accepts_gz(tmp_path):
    sentences = cluster_corpus(8)
    plain = write_corpus(tmp_path / "c.txt", sentences)
    packed = tmp_path / "c.txt.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    for path in (plain, packed):
        model = Word2Vec(corpus_file=str(path), vector_size=16, window=3, min_count=1, sample=0,
                         workers=2, epochs=5, seed=3)
        assert model.corpus_count == len(sentences)
        assert_clusters_learned(model.wv)


def test_file_and_iterable_give_identical_vectors_with_one_worker(tmp_path):
    """Same seed, one worker, one job per epoch: the two inputs feed the kernel the same ids."""
    sentences = cluster_corpus(9, n_sentences=200)
    path = write_corpus(tmp_path / "c.txt", sentences)
    from_file = Word2Vec(vector_size=8, min_count=1, workers=1, sample=0, window=2)
    from_file.build_vocab(corpus_file=str(path))
    from_file.train(corpus_file=str(path), total_words=from_file.corpus_total_words, epochs=1)
    from_list = Word2Vec(vector_size=8, min_count=1, workers=1, sample=0, window=2)
    from_list.build_vocab(sentences)
    from_list.train(sentences, total_words=from_list.corpus_total_words, epochs=1)
    assert from_file.wv.index_to_key == from_list.wv.index_to_key
    np.testing.assert_allclose(from_file.wv.vectors, from_list.wv.vectors, rtol=0, atol=1e-6)
    np.testing.assert_allclose(from_file.syn1neg, from_list.syn1neg, rtol=0, atol=1e-6)


def test_real_imdb_sample_trains(tmp_path):
    """One modest test on real text: the first 2 MB of the IMDB corpus (gz, read by the C reader)."""
    from conftest import shared_data_file
    source = shared_data_file("imdb_reviews.txt.gz")
    with gzip.open(source, "rb") as fh:
        head = fh.read(2_000_000)
    head = head[: head.rfind(b"\n") + 1]
    path = tmp_path / "imdb_head.txt"
    path.write_bytes(head)
    model = Word2Vec(corpus_file=str(path), vector_size=32, min_count=5, workers=2, epochs=2)
    assert len(model.wv) > 3000 and np.isfinite(model.wv.vectors).all()
    neighbours = [w for w, _ in model.wv.most_similar("good", topn=20)]
    assert {"great", "bad", "decent", "nice", "fine"} & set(neighbours)
