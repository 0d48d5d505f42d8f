"""The README's main job, ``python -m w2vx.demo``, on a cut-down setting."""
import math

import pytest

from w2vx import demo

MAX_DOCS = 120


@pytest.fixture(scope="module")
def comparison():
    return demo.compare(epochs=2, workers=2, modes=("skip-gram",), max_docs=MAX_DOCS, min_count=2)


def test_compare_measures_both_libraries_on_both_inputs(comparison):
    rows, _ = comparison
    assert [(r["input"], r["library"]) for r in rows] == [
        ("iterable", "gensim"), ("iterable", "w2vx"), ("corpus_file", "gensim"), ("corpus_file", "w2vx")]
    for r in rows:
        assert r["mode"] == "skip-gram"
        assert r["train_seconds"] > 0 and r["words_per_second"] > 0
        assert -1.0 <= r["wordsim353"] <= 1.0
        assert 0.0 < r["wordsim353_oov_percent"] < 100.0
    for gensim_row, w2vx_row in (rows[0:2], rows[2:4]):
        assert gensim_row["speed_ratio"] == 1.0
        assert math.isclose(w2vx_row["speed_ratio"],
                            w2vx_row["words_per_second"] / gensim_row["words_per_second"])


def test_w2vx_trains_every_word_once_per_epoch_on_both_inputs(comparison, tmp_path):
    rows, _ = comparison
    found = {(r["input"], r["library"]): r for r in rows}
    path = demo.tokenised_lee_corpus(str(tmp_path), max_docs=MAX_DOCS)
    corpus_words = sum(len(line.split()) for line in open(path, encoding="utf-8"))
    # raw words: the whole corpus, once per epoch (2 epochs), from both of w2vx's inputs and
    # from gensim's iterable; effective words (after subsampling and min_count) agree with
    # gensim's iterable within the subsampling noise
    reference = found[("iterable", "gensim")]
    assert reference["raw_words"] == 2 * corpus_words
    for input_kind in ("iterable", "corpus_file"):
        ours = found[(input_kind, "w2vx")]
        assert ours["raw_words"] == 2 * corpus_words
        assert abs(ours["effective_words"] / reference["effective_words"] - 1) < 0.05


def test_neighbours_come_from_each_library(comparison):
    _, neighbours = comparison
    assert set(neighbours) == {("skip-gram", "gensim"), ("skip-gram", "w2vx")}
    for by_word in neighbours.values():
        assert "government" in by_word
        assert len(by_word["government"]) == 5 and "government" not in by_word["government"]


def test_report_shows_the_table_fields(comparison):
    rows, neighbours = comparison
    text = demo.format_report(rows, neighbours)
    lines = text.splitlines()
    for header in ("mode", "input", "library", "train s", "words/s", "speed", "WS353 rho"):
        assert header in lines[0]
    assert sum(line.startswith("skip-gram  corpus_file  w2vx") for line in lines) == 1
    assert "government:" in text and "out of" in text


def test_tokenised_corpus_and_bad_arguments(tmp_path):
    path = demo.tokenised_lee_corpus(str(tmp_path), max_docs=10)
    lines = open(path, encoding="utf-8").read().splitlines()
    assert len(lines) == 10 and all(line == line.lower() and "," not in line for line in lines)
    with pytest.raises(ValueError, match="modes"):
        demo.compare(modes=("glove",))
    with pytest.raises(ValueError, match="library"):
        demo.word2vec_class("fasttext")
    with pytest.raises(SystemExit) as exit_:
        demo.main(["--epochs", "0"])
    assert exit_.value.code == 2
