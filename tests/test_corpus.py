import numpy as np
import pytest
import scipy.sparse as sp

from ldax.corpus import (as_chunk, csr_from_bow, infer_num_terms, is_single_bow, iter_chunks,
                         require_restartable)


def test_bow_chunks_keep_entries_and_order():
    docs = [[(2, 1.0), (0, 3.0), (2, 1.0)], [], [(1, 0.5)]]
    chunks = list(iter_chunks(docs, 2, 3))
    assert [c.shape for c in chunks] == [(2, 3), (1, 3)]
    c = chunks[0]
    assert c.indices.dtype == np.int32 and c.data.dtype == np.float64
    np.testing.assert_array_equal(c.indices, [2, 0, 2])   # unsorted/repeated ids kept as given
    np.testing.assert_array_equal(c.indptr, [0, 3, 3])   # empty document kept
    assert c.toarray()[0].tolist() == [3.0, 0.0, 2.0]


@pytest.mark.parametrize("doc, err", [
    ([(5, 1.0)], "outside the vocabulary"),
    ([(-1, 1.0)], "outside the vocabulary"),
    ([(0, -1.0)], "non-negative"),
    ([(0, float("nan"))], "finite"),
    ([(0.5, 1.0)], "integers"),
])
def test_bad_documents(doc, err):
    with pytest.raises(ValueError, match=err):
        csr_from_bow([doc], 3)


def test_string_documents_rejected():
    with pytest.raises(TypeError):
        list(iter_chunks(["a b c"], 10, 3))
    with pytest.raises(TypeError):
        csr_from_bow([["a", "b", "c"]], 3)


def test_sparse_fast_path_validated():
    m = sp.csr_matrix(np.array([[1, 0, 2], [0, 0, 0]], dtype=np.float32))
    chunks = list(iter_chunks(m, 1, 5))
    assert chunks[0].shape == (1, 5) and chunks[0].dtype == np.float64
    with pytest.raises(ValueError):
        as_chunk(sp.csr_matrix(np.array([[1.0, -1.0]])), 2)
    with pytest.raises(ValueError):
        as_chunk(sp.csr_matrix(np.ones((1, 4))), 3)


def test_one_shot_and_helpers():
    gen = ([(0, 1.0)] for _ in range(3))
    with pytest.raises(TypeError, match="read only once"):
        require_restartable(gen, 2)
    require_restartable([[(0, 1.0)]], 5)
    require_restartable(gen, 1)
    assert is_single_bow([(0, 1.0)]) and is_single_bow([]) and not is_single_bow([[(0, 1.0)]])
    assert infer_num_terms([[(0, 1)], [(7, 2)]]) == 8


@pytest.mark.parametrize("docs", [[[(1, 2, 3)]], [[(1,)]], [[1, 2]], [[("a", 1)]]])
def test_malformed_pairs_rejected(docs):
    with pytest.raises(TypeError, match="pairs"):
        csr_from_bow(docs, 5)


def test_bow_chunk_keeps_validated_slices_only_within_the_budget(monkeypatch):
    from ldax.corpus import BowChunk
    docs = [[(i % 7, 1.0), ((i * 3) % 7, 2.0)] for i in range(10)]
    expected = [csr_from_bow(docs[i:i + 4], 7).toarray() for i in range(0, 10, 4)]
    calls = []
    convert = BowChunk._convert
    monkeypatch.setattr(BowChunk, "_convert",
                        lambda self, a, b: calls.append((a, b)) or convert(self, a, b))
    for budget, conversions in ((10 ** 6, 3), (0, 6)):
        calls.clear()
        chunk = BowChunk(docs, 7, 0)
        chunk.validate(4, keep_bytes=budget)
        got = [piece.toarray() for piece in chunk.slices(4)]
        assert len(calls) == conversions      # kept: converted once; over budget: twice
        assert all(np.array_equal(a, b) for a, b in zip(got, expected)) and len(got) == 3
        assert len(list(chunk.slices(4))) == 3  # kept slices serve one pass, then convert again
    with pytest.raises(ValueError):
        BowChunk(docs + [[(9, 1.0)]], 7, 0).validate(4, keep_bytes=10 ** 6)
