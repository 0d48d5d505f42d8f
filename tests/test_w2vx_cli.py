"""The word2vec.c-style command line (``python -m w2vx``), end to end on a tiny corpus."""
import gzip
import subprocess
import sys
from collections import Counter

import numpy as np
import pytest
from gensim.models import KeyedVectors

from _gensimx.cpus import usable_cpus
from w2vx.__main__ import build_parser, check_args, main
from w2vx.io import read_vocab

FAST = ["-size", "16", "-iter", "2", "-threads", "2"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """1,500 lines over 60 words with Zipf-like frequencies: some fall below -min-count 5."""
    rng = np.random.default_rng(3)
    words = [f"w{i}" for i in range(60)] + ["rare1", "rare2"]
    weights = 1.0 / np.arange(1, 61)
    lines = [" ".join(rng.choice(words[:60], size=rng.integers(3, 15), p=weights / weights.sum()))
             for _ in range(1500)]
    lines += ["rare1 rare2 w0", "rare1 w1"]  # rare1 twice, rare2 once: under -min-count 5
    path = tmp_path_factory.mktemp("cli") / "corpus.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, Counter(" ".join(lines).split())


def test_text_output_readable_by_gensim_with_progress_line(corpus, tmp_path, capsys):
    path, counts = corpus
    out = tmp_path / "vectors.txt"
    assert main(["-train", str(path), "-output", str(out), *FAST]) == 0
    wv = KeyedVectors.load_word2vec_format(str(out), binary=False)
    assert set(wv.index_to_key) == {w for w, c in counts.items() if c >= 5}
    assert wv.vector_size == 16 and np.isfinite(wv.vectors).all() and np.abs(wv.vectors).sum() > 0
    err = capsys.readouterr().err
    assert "\rAlpha: " in err and "Progress: 100.00%" in err and "Words/thread/sec:" in err
    assert f"Vocab size: {len(wv)}" in err


def test_binary_output_skipgram_hs_readable_by_gensim(corpus, tmp_path):
    path, counts = corpus
    out = tmp_path / "vectors.bin"
    argv = ["-train", str(path), "-output", str(out), "-binary", "1", "-cbow", "0", "-hs", "1",
            "-negative", "0", "-min-count", "1", "-debug", "0", *FAST]
    assert main(argv) == 0
    wv = KeyedVectors.load_word2vec_format(str(out), binary=True)
    assert set(wv.index_to_key) == set(counts) and wv.vector_size == 16
    assert np.isfinite(wv.vectors).all()


def test_gzipped_training_file(corpus, tmp_path):
    path, counts = corpus
    packed = tmp_path / "corpus.txt.gz"
    packed.write_bytes(gzip.compress(path.read_bytes()))
    out = tmp_path / "v.txt"
    assert main(["-train", str(packed), "-output", str(out), "-debug", "0", *FAST]) == 0
    assert set(KeyedVectors.load_word2vec_format(str(out)).index_to_key) == {
        w for w, c in counts.items() if c >= 5}


def test_save_vocab_writes_counts_in_vocabulary_order(corpus, tmp_path):
    path, counts = corpus
    vocab_file, out = tmp_path / "vocab.txt", tmp_path / "v.txt"
    assert main(["-train", str(path), "-output", str(out), "-save-vocab", str(vocab_file), *FAST]) == 0
    saved = read_vocab(vocab_file)
    assert saved == {w: c for w, c in counts.items() if c >= 5}
    assert list(saved.values()) == sorted(saved.values(), reverse=True)
    assert list(saved) == KeyedVectors.load_word2vec_format(str(out)).index_to_key


def test_save_vocab_without_output_only_builds_the_vocabulary(corpus, tmp_path):
    path, counts = corpus
    vocab_file = tmp_path / "vocab.txt"
    assert main(["-train", str(path), "-save-vocab", str(vocab_file), "-min-count", "1"]) == 0
    assert read_vocab(vocab_file) == dict(counts)


def test_read_vocab_builds_vocabulary_from_the_file_not_the_corpus(corpus, tmp_path):
    path, _ = corpus
    vocab_file, out = tmp_path / "vocab.txt", tmp_path / "v.txt"
    # word2vec.c's marker is dropped, "zebra" never occurs in the corpus, w3's count is
    # below -min-count: only the file decides what the vocabulary is
    vocab_file.write_text("</s> 1500\nw1 40\nzebra 90\nw2 70\nw3 2\nw0 10\n", encoding="utf-8")
    assert main(["-train", str(path), "-output", str(out), "-read-vocab", str(vocab_file), *FAST]) == 0
    wv = KeyedVectors.load_word2vec_format(str(out))
    assert wv.index_to_key == ["zebra", "w2", "w1", "w0"]
    assert np.isfinite(wv.vectors).all()


def test_malformed_read_vocab_file_exits_2_naming_the_line(corpus, tmp_path, capsys):
    path, _ = corpus
    vocab_file = tmp_path / "vocab.txt"
    vocab_file.write_text("w1 40\nw2 many\n", encoding="utf-8")
    assert main(["-train", str(path), "-output", str(tmp_path / "v"), "-read-vocab", str(vocab_file)]) == 2
    err = capsys.readouterr().err
    assert "w2vx: error:" in err and "line 2" in err and "Traceback" not in err


@pytest.mark.parametrize("extra, message", [
    (["-bogus", "1"], "unrecognized arguments: -bogus"),
    (["-size", "ten"], "invalid int value"),
    (["-size", "0"], "-size must be >= 1"),
    (["-window", "0"], "-window must be >= 1"),
    (["-iter", "-2"], "-iter must be >= 1"),
    (["-threads", "0"], "-threads must be >= 1"),
    (["-alpha", "-0.1"], "-alpha must be a finite number > 0"),
    (["-sample", "nan"], "-sample must be a finite number >= 0"),
    (["-hs", "0", "-negative", "0"], "nothing to train"),
    (["-cbow", "2"], "invalid choice"),
    (["-min-count", "100000"], "min_count"),
])
def test_bad_flags_exit_2_with_a_message(corpus, tmp_path, capsys, extra, message):
    path, _ = corpus
    assert main(["-train", str(path), "-output", str(tmp_path / "v.txt"), *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "v.txt").exists()


def test_missing_files_exit_2(corpus, tmp_path, capsys):
    path, _ = corpus
    assert main(["-train", str(tmp_path / "absent.txt"), "-output", str(tmp_path / "v")]) == 2
    assert "-train file" in capsys.readouterr().err
    assert main(["-output", str(tmp_path / "v")]) == 2
    assert "required: -train" in capsys.readouterr().err
    assert main(["-train", str(path), "-output", str(tmp_path / "no" / "dir" / "v")]) == 2
    assert "folder" in capsys.readouterr().err
    assert main(["-train", str(path), "-read-vocab", str(tmp_path / "absent")]) == 2
    assert "-read-vocab file" in capsys.readouterr().err


def test_word2vec_c_defaults(corpus):
    path, _ = corpus
    parser = build_parser()

    def parsed(*extra):
        args = parser.parse_args(["-train", str(path), *extra])
        check_args(args)
        return args

    cbow = parsed()
    assert (cbow.size, cbow.window, cbow.sample, cbow.hs, cbow.negative, cbow.iter, cbow.min_count,
            cbow.cbow, cbow.binary) == (100, 5, 1e-3, 0, 5, 5, 5, 1, 0)
    assert cbow.alpha == 0.05 and cbow.threads == min(12, usable_cpus())
    assert parsed("-cbow", "0").alpha == 0.025
    explicit = parsed("-cbow", "0", "-alpha", "0.1", "-threads", "7")
    assert explicit.alpha == 0.1 and explicit.threads == min(7, usable_cpus())


def test_module_entry_point_in_a_fresh_process(corpus, tmp_path):
    path, _ = corpus
    out = tmp_path / "v.txt"
    ok = subprocess.run([sys.executable, "-m", "w2vx", "-train", str(path), "-output", str(out), *FAST],
                        capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert KeyedVectors.load_word2vec_format(str(out)).vector_size == 16
    bad = subprocess.run([sys.executable, "-m", "w2vx", "-train", str(path), "-size"],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "expected one argument" in bad.stderr
    assert "Traceback" not in bad.stderr
