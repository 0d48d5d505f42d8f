"""Huffman tree of w2vx: word2vec.c's CreateBinaryTree, checked against the issue's reference table."""
import numpy as np
import pytest

from w2vx import Word2Vec
from w2vx._huffman import build_huffman_tree

# issue 2: counts T:7, E:5, G:4, R:4, O:3, F:2 (first seen in that order)
REFERENCE = {"T": ("10", "4-3"), "E": ("01", "4-2"), "G": ("111", "4-3-1"),
             "R": ("110", "4-3-1"), "O": ("001", "4-2-0"), "F": ("000", "4-2-0")}
WORDS = ["T", "E", "G", "R", "O", "F"]
COUNTS = [7, 5, 4, 4, 3, 2]


def as_strings(codes, points):
    return "".join(str(int(c)) for c in codes), "-".join(str(int(p)) for p in points)


def test_reference_table_from_the_function():
    codes, points, offsets = build_huffman_tree(COUNTS)
    for i, word in enumerate(WORDS):
        got = as_strings(codes[offsets[i]:offsets[i + 1]], points[offsets[i]:offsets[i + 1]])
        assert got == REFERENCE[word], word


def test_reference_table_through_the_model_vecattrs():
    corpus = [[w] for w, c in zip(WORDS, COUNTS) for _ in range(c)]
    model = Word2Vec(vector_size=4, min_count=1, hs=1, negative=0, sample=0)
    model.build_vocab(corpus)
    assert model.wv.index_to_key == WORDS
    for word in WORDS:
        code = model.wv.get_vecattr(word, "code")
        point = model.wv.get_vecattr(word, "point")
        assert code.dtype == np.uint8 and point.dtype == np.uint32  # gensim's storage types
        assert as_strings(code, point) == REFERENCE[word]


def test_unsorted_counts_give_the_same_codes_per_word():
    order = [5, 2, 0, 3, 1, 4]
    codes, points, offsets = build_huffman_tree([COUNTS[i] for i in order])
    for pos, i in enumerate(order):
        got = as_strings(codes[offsets[pos]:offsets[pos + 1]], points[offsets[pos]:offsets[pos + 1]])
        assert got == REFERENCE[WORDS[i]]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_prefix_free_and_optimal_length(seed):
    rng = np.random.default_rng(seed)
    counts = np.sort(rng.integers(1, 1000, size=200))[::-1]
    codes, points, offsets = build_huffman_tree(counts)
    words = ["".join(map(str, codes[offsets[i]:offsets[i + 1]])) for i in range(len(counts))]
    assert len(set(words)) == len(words)
    for a in words:  # prefix free
        assert not any(b != a and b.startswith(a) for b in words)
    assert points.min() >= 0 and points.max() == len(counts) - 2  # root is vocab_size - 2
    # a Huffman code minimises sum(count * length): compare with heapq-built Huffman cost
    import heapq
    heap = list(map(int, counts))
    heapq.heapify(heap)
    cost = 0
    while len(heap) > 1:
        merged = heapq.heappop(heap) + heapq.heappop(heap)
        cost += merged
        heapq.heappush(heap, merged)
    assert int(np.sum(counts * np.diff(offsets))) == cost


def test_degenerate_sizes():
    codes, points, offsets = build_huffman_tree([5])
    assert offsets.tolist() == [0, 0] and len(codes) == 0
    codes, points, offsets = build_huffman_tree([3, 1])
    assert offsets.tolist() == [0, 1, 2] and codes.tolist() == [1, 0]  # code 1 on the second-smallest and points.tolist() == [0, 0]
    with pytest.raises(ValueError):
        build_huffman_tree([3, -1])


def _reference_model():
    corpus = [[w] for w, c in zip(WORDS, COUNTS) for _ in range(c)]
    model = Word2Vec(vector_size=4, min_count=1, hs=1, negative=0, sample=0)
    model.build_vocab(corpus)
    return model


def test_per_word_paths_are_built_only_when_asked_for():
    model = _reference_model()
    expandos = model.wv.expandos
    assert not dict.__contains__(expandos, "code")      # not built by build_vocab
    assert "code" in expandos and "point" in expandos    # but present to every reader
    assert "".join(map(str, expandos["code"][0])) == REFERENCE["T"][0]
    assert dict.__contains__(expandos, "code") and not dict.__contains__(expandos, "point")
    assert sorted(expandos) == ["code", "count", "point", "sample_int"]   # a walk builds the rest
    assert dict.__contains__(expandos, "point")


def test_lazy_expandos_pickle_as_a_plain_dict_and_load_in_gensim(tmp_path):
    import pickle

    from gensim.models import KeyedVectors
    model = _reference_model()
    restored = pickle.loads(pickle.dumps(model.wv.expandos))
    assert type(restored) is dict and set(restored) == {"code", "count", "point", "sample_int"}
    model.wv.save(str(tmp_path / "wv.kv"))           # gensim's own pickle-based save
    loaded = KeyedVectors.load(str(tmp_path / "wv.kv"))
    assert type(loaded.expandos) is dict
    for word in WORDS:
        assert as_strings(loaded.get_vecattr(word, "code"), loaded.get_vecattr(word, "point")) == REFERENCE[word]


def test_vocabulary_update_rebuilds_the_paths():
    model = _reference_model()
    model.build_vocab([["T", "new", "new"]] * 20, update=True)
    assert "new" in model.wv.key_to_index
    codes = [model.wv.get_vecattr(w, "code") for w in model.wv.index_to_key]
    points = [model.wv.get_vecattr(w, "point") for w in model.wv.index_to_key]
    assert len(codes) == len(model.wv) == len(model.wv.expandos["count"])
    assert max(int(p.max()) for p in points) == len(model.wv) - 2      # the new tree's root
    words = ["".join(map(str, c)) for c in codes]
    assert all(not b.startswith(a) for a in words for b in words if a != b)   # prefix free


def test_lazy_vecattrs_behaves_like_a_dict():
    from w2vx.vocab import LazyVecattrs
    d = LazyVecattrs({"a": np.zeros(2)}, {"b": lambda: np.ones(2)})
    with pytest.raises(KeyError):
        d["missing"]
    d["b"] = np.full(2, 5.0)              # an assignment replaces the pending builder
    assert d["b"][0] == 5.0
    d2 = LazyVecattrs({}, {"c": lambda: np.ones(1)})
    del d2["c"]
    assert "c" not in d2 and len(d2) == 0
    assert LazyVecattrs({}, {"c": lambda: np.ones(1)}).get("c")[0] == 1.0
