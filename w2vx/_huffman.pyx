# cython: language_level=3
"""Huffman tree for hierarchical softmax, built the way word2vec.c's CreateBinaryTree does.

Leaves are the words sorted by descending count; inner nodes are created in
order of increasing count, so two cursors (one walking the leaves from the
rarest word upwards, one walking the inner nodes already made) always find the
two smallest nodes without a heap.  The second-smallest node of each merge gets
code 1.  Inner node ``k`` (0-based, in creation order) is row ``k`` of
``syn1``; the root is ``vocab_size - 2``.

Two departures from word2vec.c, neither of which changes its table for counts
of 1 or more whose sum fits in 64 bits:

* inner-node counts are exact 128-bit sums, and the inner-node cursor never
  looks past the nodes already made (word2vec.c marks them with a sentinel count
  of 1e15; a sentinel below the counts makes the cursors build a cycle), so any
  int64 counts, up to 2**63 - 1 each, give a valid tree;
* a tie between a leaf and an inner node that both have count 0 takes the leaf
  (word2vec.c takes the inner node, which chains zero-count words into a path as
  deep as there are such words: n**2 / 2 code entries); zero-count words then
  form a balanced subtree.
"""
import numpy as np

cimport numpy as cnp
from libc.stdint cimport int32_t, int64_t, uint8_t, uint64_t

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
    # node counts as 128-bit numbers: high and low 64-bit halves
    cdef cnp.ndarray[uint64_t, ndim=1] high = np.zeros(2 * n, dtype=np.uint64)
    cdef cnp.ndarray[uint64_t, ndim=1] low = np.zeros(2 * n, dtype=np.uint64)
    cdef cnp.ndarray[int64_t, ndim=1] parent = np.zeros(2 * n, dtype=np.int64)
    cdef cnp.ndarray[uint8_t, ndim=1] binary = np.zeros(2 * n, dtype=np.uint8)
    cdef cnp.ndarray[int64_t, ndim=1] depth = np.zeros(n, dtype=np.int64)
    cdef Py_ssize_t a, b, k, pos1, pos2, made, length, leaf
    cdef Py_ssize_t picked[2]
    for a in range(n):
        low[a] = <uint64_t>raw[order[a]]
    pos1 = n - 1
    pos2 = n
    for a in range(n - 1):
        made = n + a   # inner nodes n .. made - 1 exist
        for k in range(2):
            # the leaf when no unused inner node exists yet, when it is smaller, or on a
            # tie at count 0; else the inner node (word2vec.c's choice on other ties)
            if pos1 >= 0 and (pos2 >= made or high[pos1] < high[pos2]
                              or (high[pos1] == high[pos2] and (low[pos1] < low[pos2]
                                                                or (low[pos1] == 0 and low[pos2] == 0)))):
                picked[k] = pos1
                pos1 -= 1
            else:
                picked[k] = pos2
                pos2 += 1
        low[made] = low[picked[0]] + low[picked[1]]
        high[made] = high[picked[0]] + high[picked[1]] + (1 if low[made] < low[picked[0]] else 0)
        parent[picked[0]] = made
        parent[picked[1]] = made
        binary[picked[1]] = 1
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
