# cython: language_level=3
"""Huffman tree for hierarchical softmax, built the way word2vec.c's CreateBinaryTree does.

Leaves are the words sorted by descending count; inner nodes are created in
order of increasing count, so two cursors (one walking the leaves from the
rarest word upwards, one walking the inner nodes already made) always find the
two smallest nodes without a heap.  The second-smallest node of each merge gets
code 1.  Inner node ``k`` (0-based, in creation order) is row ``k`` of
``syn1``; the root is ``vocab_size - 2``.
"""
import numpy as np

cimport numpy as cnp
from libc.stdint cimport int32_t, int64_t, uint8_t

cnp.import_array()


def build_huffman_tree(counts):
    """Huffman codes and inner-node points of every word, root to leaf.

    Parameters
    ----------
    counts : array_like of int, shape (vocab_size,)
        Word counts in vocabulary order (any order: the tree is built on a
        stable descending sort, ties keeping vocabulary order, and the result
        is reported in vocabulary order).

    Returns
    -------
    codes : ndarray of uint8, shape (total_code_length,)
        All words' codes concatenated; word ``i`` owns
        ``codes[offsets[i]:offsets[i + 1]]``.
    points : ndarray of int32, shape (total_code_length,)
        Inner-node indices (rows of ``syn1``) along the same paths.
    offsets : ndarray of int64, shape (vocab_size + 1,)

    Examples
    --------
    >>> codes, points, offsets = build_huffman_tree([7, 5, 4, 4, 3, 2])
    >>> codes[offsets[0]:offsets[1]].tolist(), points[offsets[0]:offsets[1]].tolist()
    ([1, 0], [4, 3])
    """
    cdef cnp.ndarray[int64_t, ndim=1] raw = np.ascontiguousarray(counts, dtype=np.int64)
    cdef Py_ssize_t n = raw.shape[0]
    if n == 0:
        return (np.zeros(0, np.uint8), np.zeros(0, np.int32), np.zeros(1, np.int64))
    if (raw < 0).any():
        raise ValueError("word counts must be non-negative")
    # leaf k of the tree is word order[k]; leaves must be sorted by descending count
    cdef cnp.ndarray[int64_t, ndim=1] order = np.argsort(-raw, kind="stable").astype(np.int64)
    cdef cnp.ndarray[int64_t, ndim=1] count = np.empty(2 * n, dtype=np.int64)
    cdef cnp.ndarray[int64_t, ndim=1] parent = np.zeros(2 * n, dtype=np.int64)
    cdef cnp.ndarray[uint8_t, ndim=1] binary = np.zeros(2 * n, dtype=np.uint8)
    cdef cnp.ndarray[int64_t, ndim=1] depth = np.zeros(n, dtype=np.int64)
    cdef Py_ssize_t a, b, pos1, pos2, min1, min2, length, leaf
    cdef int64_t big = np.iinfo(np.int64).max // 4
    for a in range(n):
        count[a] = raw[order[a]]
    for a in range(n, 2 * n):
        count[a] = big
    pos1 = n - 1
    pos2 = n
    for a in range(n - 1):
        if pos1 >= 0 and count[pos1] < count[pos2]:
            min1 = pos1
            pos1 -= 1
        else:
            min1 = pos2
            pos2 += 1
        if pos1 >= 0 and count[pos1] < count[pos2]:
            min2 = pos1
            pos1 -= 1
        else:
            min2 = pos2
            pos2 += 1
        count[n + a] = count[min1] + count[min2]
        parent[min1] = n + a
        parent[min2] = n + a
        binary[min2] = 1
    cdef Py_ssize_t root = 2 * n - 2
    # path lengths first, then fill each word's slice from the leaf upwards
    for leaf in range(n):
        length = 0
        b = leaf
        while b != root:
            length += 1
            b = parent[b]
        depth[order[leaf]] = length
    cdef cnp.ndarray[int64_t, ndim=1] offsets = np.zeros(n + 1, dtype=np.int64)
    offsets[1:] = np.cumsum(depth)
    cdef cnp.ndarray[uint8_t, ndim=1] codes = np.zeros(offsets[n], dtype=np.uint8)
    cdef cnp.ndarray[int32_t, ndim=1] points = np.zeros(offsets[n], dtype=np.int32)
    cdef Py_ssize_t word, slot
    for leaf in range(n):
        word = order[leaf]
        slot = offsets[word + 1] - 1   # deepest position of this word's path
        b = leaf
        while b != root:
            codes[slot] = binary[b]
            points[slot] = parent[b] - n
            slot -= 1
            b = parent[b]
    return codes, points, offsets
