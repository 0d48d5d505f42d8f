"""word2vec.c file formats in w2vx.io: vectors (text, binary) and vocabulary files."""
import numpy as np
import pytest
from gensim.models import KeyedVectors

from w2vx._archive import ModelFileError
from w2vx.io import VocabFileError, load_vectors, read_vocab, save_vectors, save_vocab

WORDS = ["the", "film", "café", "naïve", "日本", "x'y", "42"]


@pytest.fixture
def vectors() -> KeyedVectors:
    rng = np.random.default_rng(0)
    wv = KeyedVectors(vector_size=7)
    wv.add_vectors(WORDS, rng.normal(scale=3.0, size=(len(WORDS), 7)).astype(np.float32))
    for i, word in enumerate(WORDS):
        wv.set_vecattr(word, "count", 1000 - 10 * i)
    return wv


@pytest.mark.parametrize("binary", [False, True])
def test_vectors_round_trip_through_gensim_loader(vectors, tmp_path, binary):
    path = tmp_path / ("v.bin" if binary else "v.txt")
    save_vectors(vectors, path, binary=binary)
    for loaded in (KeyedVectors.load_word2vec_format(str(path), binary=binary),
                   load_vectors(path, binary=binary)):
        assert loaded.index_to_key == WORDS
        if binary:  # raw float32 bytes: exact
            np.testing.assert_array_equal(loaded.vectors, vectors.vectors)
        else:       # decimal text: float32 round trip within its printed precision
            np.testing.assert_allclose(loaded.vectors, vectors.vectors, rtol=1e-6, atol=1e-6)


def test_text_format_is_word2vec_c_layout(vectors, tmp_path):
    path = tmp_path / "v.txt"
    save_vectors(vectors, path)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0].split() == [str(len(WORDS)), "7"]
    assert len(lines) == len(WORDS) + 1
    fields = lines[3].split()
    assert fields[0] == "café" and len(fields) == 8
    np.testing.assert_allclose([float(f) for f in fields[1:]], vectors["café"], rtol=1e-6)


def test_binary_format_is_word2vec_c_layout(vectors, tmp_path):
    path = tmp_path / "v.bin"
    save_vectors(vectors, path, binary=True)
    blob = path.read_bytes()
    header, rest = blob.split(b"\n", 1)
    assert header.split() == [str(len(WORDS)).encode(), b"7"]
    assert rest.startswith(b"the ")
    first = np.frombuffer(rest[4:4 + 7 * 4], dtype="<f4")
    np.testing.assert_array_equal(first, vectors["the"])


def test_save_vectors_refuses_words_with_whitespace(tmp_path):
    wv = KeyedVectors(vector_size=2)
    wv.add_vectors(["new york"], np.ones((1, 2), dtype=np.float32))
    with pytest.raises(ValueError, match="whitespace"):
        save_vectors(wv, tmp_path / "v.txt")


@pytest.mark.parametrize("binary", [False, True])
def test_truncated_vector_file_is_a_clear_error(vectors, tmp_path, binary):
    path = tmp_path / "v"
    save_vectors(vectors, path, binary=binary)
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
    with pytest.raises(ModelFileError, match="not a valid word2vec"):
        load_vectors(path, binary=binary)


def test_missing_vector_file(tmp_path):
    with pytest.raises(ModelFileError, match="does not exist"):
        load_vectors(tmp_path / "absent.txt")


def test_vocab_round_trip_keeps_order_and_counts(vectors, tmp_path):
    path = tmp_path / "vocab.txt"
    save_vocab(vectors, path)
    expected = {w: vectors.get_vecattr(w, "count") for w in WORDS}
    assert path.read_text(encoding="utf-8").splitlines()[0] == "the 1000"
    counts = read_vocab(path)
    assert list(counts) == WORDS and counts == expected
    # a mapping and a list of pairs are written in their own order
    save_vocab({"b": 1, "a": 5}, path)
    assert list(read_vocab(path).items()) == [("b", 1), ("a", 5)]
    save_vocab([("z", 0), ("y", 2)], path)
    assert list(read_vocab(path).items()) == [("z", 0), ("y", 2)]


def test_read_vocab_accepts_word2vec_c_files_with_sentence_marker(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_bytes(b"</s> 300\nthe 20\nfilm 7\n")
    assert read_vocab(path) == {"</s>": 300, "the": 20, "film": 7}


@pytest.mark.parametrize("content, line, reason", [
    (b"the 10\nfilm\n", 2, "expected 'word count'"),
    (b"the 10\nfilm 3 4\n", 2, "expected 'word count'"),
    (b"the 10\n\nfilm 3\n", 2, "expected 'word count'"),
    (b"the ten\n", 1, "not a non-negative integer"),
    (b"the 10\nfilm -3\n", 2, "not a non-negative integer"),
    (b"the 10\nfilm 2.5\n", 2, "not a non-negative integer"),
    (b"a 1\nb 2\nc 3\na 4\n", 4, "already appeared"),
    (b"the 10\ncaf\xe9 3\n", 2, "UTF-8"),
])
def test_malformed_vocab_lines_name_the_line(tmp_path, content, line, reason):
    path = tmp_path / "vocab.txt"
    path.write_bytes(content)
    with pytest.raises(VocabFileError, match=f"line {line}: .*{reason}"):
        read_vocab(path)


def test_empty_or_missing_vocab_file(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_bytes(b"")
    with pytest.raises(VocabFileError, match="empty"):
        read_vocab(path)
    with pytest.raises(VocabFileError, match="does not exist"):
        read_vocab(tmp_path / "absent.txt")


def test_save_vocab_refuses_unreadable_entries(tmp_path):
    with pytest.raises(ValueError, match="whitespace"):
        save_vocab({"a b": 3}, tmp_path / "v.txt")
    with pytest.raises(ValueError, match="negative count"):
        save_vocab({"a": -1}, tmp_path / "v.txt")
