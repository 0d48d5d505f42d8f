"""Validate bag-of-words input and cut it into CSR chunks.

One module shared by every ldax model (LdaModel, GSM, the Spark driver): the
kernels downstream run with bounds checks off, so this is where ids, counts
and shapes are checked.

A *chunk* is always a ``scipy.sparse.csr_matrix`` of shape
``(n_docs, num_terms)`` with ``float64`` data and ``int32`` ``indices`` and
``indptr`` (a chunk of documents never holds 2**31 non-zeros; whole-corpus
matrices are sliced into chunks before they reach a kernel).  Within a row,
ids may be unsorted or repeated, exactly as in the user's bag of words: the
E-step treats each entry as a separate word occurrence count, as gensim does.

Accepted corpora: any iterable of documents, each a list of ``(id, count)``
pairs (gensim's bag of words: lists, ``MmCorpus``, generators for a single
pass), or a scipy sparse matrix (documents as rows, fast path).
"""
from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
import scipy.sparse as sp

from ._bow import bow_to_csr

INDEX_DTYPE = np.int32
VALUE_DTYPE = np.float64


def is_one_shot(corpus: Any) -> bool:
    """True when iterating ``corpus`` consumes it (a generator or iterator)."""
    try:
        return iter(corpus) is corpus
    except TypeError:
        return False


def require_restartable(corpus: Any, passes: int, what: str = "corpus") -> None:
    """Refuse a one-shot iterator where ``passes`` > 1 passes are needed."""
    if passes > 1 and is_one_shot(corpus):
        raise TypeError(
            f"the {what} is a generator or iterator, which can be read only once, but "
            f"{passes} passes over it are needed; pass a re-iterable corpus (a list, "
            f"gensim's MmCorpus, or a class whose __iter__ restarts) or use passes=1")


def _check_values(data: np.ndarray, where: str) -> None:
    if data.size and not np.all(np.isfinite(data)):
        raise ValueError(f"{where}: word counts must be finite (found NaN or inf)")
    if data.size and data.min() < 0:
        raise ValueError(f"{where}: word counts must be non-negative (found {data.min()!r})")


def _check_ids(ids: np.ndarray, num_terms: int, where: str) -> None:
    if ids.size == 0:
        return
    lo, hi = ids.min(), ids.max()
    if lo < 0 or hi >= num_terms:
        bad = lo if lo < 0 else hi
        raise ValueError(
            f"{where}: word id {int(bad)} is outside the vocabulary (valid ids are "
            f"0..{num_terms - 1}); was the corpus built with a different dictionary?")


def csr_from_sparse(matrix: Any, num_terms: int | None = None) -> sp.csr_matrix:
    """Validate a scipy sparse (or dense 2-D) documents x terms matrix as a canonical CSR.

    Parameters
    ----------
    matrix : scipy.sparse matrix/array or 2-D ndarray
        Documents as rows, term ids as columns.
    num_terms : int, optional
        Vocabulary size; the matrix may have fewer columns (trailing ids unused)
        but not more.

    Returns
    -------
    scipy.sparse.csr_matrix
        float64 data; int32 indices when they fit.
    """
    if sp.issparse(matrix):
        m = sp.csr_matrix(matrix)
    else:
        arr = np.asarray(matrix)
        if arr.ndim != 2 or not np.issubdtype(arr.dtype, np.number):
            raise TypeError("expected a 2-D numeric documents x terms matrix")
        m = sp.csr_matrix(arr)
    if not np.issubdtype(m.dtype, np.number) or np.issubdtype(m.dtype, np.complexfloating):
        raise TypeError(f"sparse corpus has non-real dtype {m.dtype}")
    n_cols = m.shape[1]
    if num_terms is not None and n_cols > num_terms:
        raise ValueError(f"sparse corpus has {n_cols} columns but the vocabulary has "
                         f"only {num_terms} terms")
    data = np.asarray(m.data, dtype=VALUE_DTYPE)
    _check_values(data, "sparse corpus")
    cols = num_terms if num_terms is not None else n_cols
    out = sp.csr_matrix((data, m.indices, m.indptr), shape=(m.shape[0], cols), copy=False)
    if out.nnz < np.iinfo(INDEX_DTYPE).max:
        out.indices = out.indices.astype(INDEX_DTYPE, copy=False)
        out.indptr = out.indptr.astype(INDEX_DTYPE, copy=False)
    return out


def csr_from_bow(docs: list, num_terms: int, where: str = "corpus") -> sp.csr_matrix:
    """Turn a list of bag-of-words documents into a validated CSR chunk.

    Parameters
    ----------
    docs : list of list of (int, float)
        Each document a sequence of ``(word_id, count)`` pairs (an empty
        document is allowed).
    num_terms : int
        Vocabulary size; every id must be in ``[0, num_terms)``.

    Returns
    -------
    scipy.sparse.csr_matrix of shape ``(len(docs), num_terms)``
    """
    if isinstance(docs, list):
        try:
            fast = bow_to_csr(docs, num_terms)
        except (OverflowError, TypeError):
            fast = None
        if fast is not None:  # plain valid pairs: converted and checked in one pass
            indptr32, indices32, counts = fast
            return sp.csr_matrix((counts, indices32, indptr32), shape=(len(docs), num_terms),
                                 copy=False)
    # the generic route, which also says precisely what is wrong with an odd entry
    lengths = np.fromiter((len(doc) for doc in docs), dtype=np.int64, count=len(docs))
    indptr = np.zeros(len(docs) + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    nnz = int(indptr[-1])
    if nnz >= np.iinfo(INDEX_DTYPE).max:
        raise ValueError("a chunk holds 2**31 or more (id, count) entries; use a smaller chunksize")
    # flatten docs -> pairs -> numbers in C (np.fromiter); 2x faster than np.array(list of pairs)
    # (with the count given, so the array is allocated once instead of grown by doubling)
    flat_numbers = itertools.chain.from_iterable(itertools.chain.from_iterable(docs))
    try:
        flat = np.fromiter(flat_numbers, dtype=VALUE_DTYPE, count=2 * nnz)
        if next(flat_numbers, None) is not None:  # more numbers than two per entry
            flat = np.empty(0)
    except (TypeError, ValueError) as exc:
        flat = None
        reason = str(exc)
    if flat is None or flat.size != 2 * nnz:
        reason = reason if flat is None else "an entry is not an (id, count) pair"
        raise TypeError(
            f"{where}: each document must be a list of (word_id, count) pairs, as gensim's "
            f"Dictionary.doc2bow returns ({reason})")
    pairs = flat.reshape(nnz, 2)
    ids_f = pairs[:, 0]
    if nnz and not np.all(np.isfinite(ids_f)):
        raise ValueError(f"{where}: word ids must be integers (found NaN or inf)")
    if nnz and not np.all(ids_f == np.floor(ids_f)):
        raise ValueError(f"{where}: word ids must be integers")
    _check_ids(ids_f, num_terms, where)
    counts = np.ascontiguousarray(pairs[:, 1])
    _check_values(counts, where)
    return sp.csr_matrix(
        (counts, ids_f.astype(INDEX_DTYPE), indptr.astype(INDEX_DTYPE)),
        shape=(len(docs), num_terms), copy=False)


class BowChunk:
    """A chunk of bag-of-words documents, converted to CSR on demand: whole, or slice
    by slice after a validating pass, so that only one slice's CSR is ever held.

    Parameters
    ----------
    docs : list
        The documents.
    num_terms : int
        Vocabulary size.
    first_doc : int
        Number of the chunk's first document in the corpus (for error messages).
    """

    def __init__(self, docs: list, num_terms: int, first_doc: int):
        self.docs, self.num_terms, self.first_doc = docs, num_terms, first_doc
        self._kept: tuple[int, list] | None = None  # (step, slices) kept by validate()

    def __len__(self) -> int:
        return len(self.docs)

    def _convert(self, start: int, stop: int) -> sp.csr_matrix:
        return csr_from_bow(self.docs[start:stop], self.num_terms,
                            where=f"document {self.first_doc + start}..{self.first_doc + stop - 1}")

    def csr(self) -> sp.csr_matrix:
        """The whole chunk as one validated CSR matrix."""
        return self._convert(0, len(self.docs))

    def validate(self, step: int, keep_bytes: int = 0) -> None:
        """Raise what :meth:`csr` would raise, holding at most ``step`` documents' CSR.

        When the whole chunk's CSR takes at most ``keep_bytes``, its slices are kept
        for the next :meth:`slices` call with the same ``step``, which then does not
        convert the documents a second time.
        """
        kept, size = [], 0
        for piece in self.slices(step):
            size += piece.data.nbytes + piece.indices.nbytes + piece.indptr.nbytes
            if kept is not None and size <= keep_bytes:
                kept.append(piece)
            else:
                kept = None
        self._kept = None if kept is None else (step, kept)

    def slices(self, step: int) -> Iterator[sp.csr_matrix]:
        """Validated CSR slices of ``step`` documents, in order."""
        if self._kept is not None and self._kept[0] == step:
            kept, self._kept = self._kept[1], None
            while kept:
                yield kept.pop(0)   # released as the caller moves on
            return
        for start in range(0, len(self.docs), step):
            yield self._convert(start, min(len(self.docs), start + step))


def iter_chunks(corpus: Any, chunksize: int, num_terms: int,
                lazy: bool = False) -> Iterator[sp.csr_matrix | BowChunk]:
    """Stream ``corpus`` as validated CSR chunks of at most ``chunksize`` documents.

    A bag-of-words iterable is read lazily, one chunk in memory at a time; a
    sparse matrix is validated once and sliced.  With ``lazy``, chunks of a
    bag-of-words iterable come as :class:`BowChunk` (converted by the caller).
    """
    if chunksize < 1:
        raise ValueError(f"chunksize must be >= 1, got {chunksize}")
    if sp.issparse(corpus) or isinstance(corpus, np.ndarray):
        matrix = csr_from_sparse(corpus, num_terms)
        for start in range(0, matrix.shape[0], chunksize):
            yield matrix[start:start + chunksize]
        return
    if not isinstance(corpus, Iterable):
        raise TypeError(f"corpus must be an iterable of bag-of-words documents or a "
                        f"scipy sparse matrix, got {type(corpus).__name__}")
    buffer: list = []
    for doc_no, doc in enumerate(corpus):
        if isinstance(doc, (str, bytes)):
            raise TypeError(f"document {doc_no} is a string; ldax needs bag-of-words "
                            f"documents (use gensim's Dictionary.doc2bow)")
        buffer.append(doc)
        if len(buffer) == chunksize:
            chunk = BowChunk(buffer, num_terms, doc_no - chunksize + 1)
            yield chunk if lazy else chunk.csr()
            buffer = []
    if buffer:
        chunk = BowChunk(buffer, num_terms, doc_no - len(buffer) + 1)
        yield chunk if lazy else chunk.csr()


def as_chunk(docs: Any, num_terms: int) -> sp.csr_matrix:
    """Validate one batch given as a list of bag-of-words documents or a sparse matrix."""
    if sp.issparse(docs) or isinstance(docs, np.ndarray):
        return csr_from_sparse(docs, num_terms)
    return csr_from_bow(list(docs), num_terms)


def is_single_bow(obj: Any) -> bool:
    """True when ``obj`` is one bag-of-words document rather than a corpus of them.

    ``[]`` counts as an (empty) document; ``[(0, 1.0), ...]`` as a document;
    ``[[(0, 1.0)], ...]`` as a corpus.
    """
    if sp.issparse(obj):
        return False
    try:
        seq = list(obj) if not isinstance(obj, (list, tuple)) else obj
    except TypeError:
        return False
    if len(seq) == 0:
        return True
    first = seq[0]
    return (isinstance(first, (tuple, list)) and len(first) == 2
            and isinstance(first[0], (int, np.integer, float, np.floating)))


def infer_num_terms(corpus: Any) -> int:
    """Vocabulary size implied by a corpus without id2word: largest id + 1 (one pass)."""
    if sp.issparse(corpus):
        return int(corpus.shape[1])
    top = -1
    for doc in corpus:
        for word_id, _ in doc:
            if word_id > top:
                top = word_id
    if top < 0:
        raise ValueError("cannot infer the vocabulary from an empty corpus; pass id2word")
    return int(top) + 1


def num_terms_from_id2word(id2word: Any) -> int:
    """Vocabulary size from a gensim ``Dictionary`` or a ``{id: word}`` dict (largest id + 1)."""
    if id2word is None:
        raise ValueError("id2word is None")
    if len(id2word) == 0:
        raise ValueError("id2word is empty: the vocabulary has no terms")
    keys = id2word.keys()
    top = max(int(k) for k in keys)
    if min(int(k) for k in keys) < 0:
        raise ValueError("id2word has negative ids")
    return top + 1


def check_positive_finite(name: str, value: float, allow_zero: bool = False) -> float:
    """Return ``value`` as float, or raise ValueError if it is NaN/inf or not > 0 (>= 0)."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number, got {value!r}") from None
    if math.isnan(v) or math.isinf(v) or v < 0 or (v == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be a finite number {bound}, got {value!r}")
    return v
