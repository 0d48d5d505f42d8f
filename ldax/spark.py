"""ldax's LdaModel trained on Apache Spark: online variational Bayes, the kernel in the executors.

The algorithm is the one Spark MLlib's ``OnlineLDAOptimizer`` runs (Hoffman,
Blei & Bach 2010), with ldax's nogil E-step doing the per-document work and
the local :class:`ldax.LdaModel` doing the M-step on the driver::

    documents (DataFrame vector column or RDD of bag-of-words lists)
      -> validated, then cached in the executors one JVM record per document
         (its ids and counts as raw int32 / float64 bytes)          (once;
         a vector column is read as VectorUDT's internal tuples, without a
         pyspark SparseVector per row)
    per update, one Spark job of one stage:
      the JVM samples the cached records (RDD.sample, as MLlib does), so only
        the minibatch's documents reach the Python workers
      mapPartitions: E-step over the sampled documents with exp(E[log beta])
        (V x K, in the task's closure when small, else broadcast)
        -> (sstats V x K, sum_d E[log theta_d], documents)
      treeAggregate: sum those over partitions
      driver: the M-step (blend with step size rho, alpha Newton step)

The result is an ordinary :class:`ldax.LdaModel` (topics, inference, save,
``to_gensim`` all work on it); :func:`transform` adds a topic-distribution
column to a DataFrame, inferring in parallel.

Two vocabularies for the settings: :func:`train_lda` takes LdaModel's (gensim's)
names and rules; :class:`SparkLDA` takes MLlib's (``k``, ``maxIter``,
``subsamplingRate``, ``learningOffset``, ``learningDecay``,
``optimizeDocConcentration``, ``seed``) and follows MLlib's rules, as
documented there.

On a cluster, every executor needs gensimx installed (the compiled wheel for
the executors' platform); see :mod:`w2vx._spark`.
"""
from __future__ import annotations

import functools
import io
import itertools
import math
import pickle
from typing import Any, Iterator

import numpy as np
import scipy.sparse as sp

from w2vx._spark import (column_rdd, count_in_jvm, freeze_worker_heap, map_partitions_per_record,
                         require_pyspark, run_job, sample_in_jvm)

from . import _estep
from .corpus import (_check_ids, check_positive_finite, csr_from_bow, csr_from_sparse,
                     num_terms_from_id2word)
from .lda import LdaModel, LdaState, _csr_arrays, dirichlet_expectation, update_dir_prior

try:  # pyspark is needed to train, not to import this module
    from pyspark.serializers import FramedSerializer as _FramedSerializer
except ImportError:  # pragma: no cover - depends on the environment
    _FramedSerializer = object

__all__ = ["train_lda", "transform", "SparkLDA", "to_documents"]

#: Documents per CSR block inside a partition: bounds the executor's
#: ``block x K`` scratch arrays; the partition's statistics are summed over blocks.
DEFAULT_BLOCK_SIZE = 8192
#: exp(E[log beta]) travels inside the task's closure up to this size, else as a broadcast.
#: A closure is serialised into every task (and through py4j): for the 0.8 MB table of
#: 20 Newsgroups at K=50 it cost the JVM 35 ms more CPU per update than a broadcast.
CLOSURE_TABLE_BYTES = 1 << 16
#: Blocks of a partition are numbered ``partition * _BLOCKS_PER_PARTITION + block``.
_BLOCKS_PER_PARTITION = 1 << 24
_GOLDEN = 0x9E3779B97F4A7C15
_MASK64 = (1 << 64) - 1


# ------------------------------------------------------------------ input
def _document_pairs(item: Any, num_terms: int, where: str) -> list:
    """One document as ``(id, count)`` pairs from an ml/mllib vector or a bag-of-words list."""
    if hasattr(item, "indices") and hasattr(item, "values") and hasattr(item, "size"):
        if item.size > num_terms:  # a SparseVector
            raise ValueError(f"{where}: a vector of size {item.size} does not fit a vocabulary "
                             f"of {num_terms} terms")
        return list(zip(item.indices.tolist(), item.values.tolist()))
    if hasattr(item, "toArray"):   # a DenseVector
        values = item.toArray()
        if values.shape[0] > num_terms:
            raise ValueError(f"{where}: a vector of size {values.shape[0]} does not fit a "
                             f"vocabulary of {num_terms} terms")
        ids = np.flatnonzero(values)
        return list(zip(ids.tolist(), values[ids].tolist()))
    if isinstance(item, (str, bytes)) or item is None:
        raise TypeError(f"{where}: expected a vector or a bag-of-words list of (id, count) "
                        f"pairs, got {type(item).__name__}")
    return list(item)


def _partition_blocks(index: int, items: Iterator[Any], num_terms: int, block_size: int,
                      internal_rows: bool = False) -> Iterator[tuple[int, sp.csr_matrix]]:
    """Validated ``(block id, CSR)`` per ``block_size`` documents of a partition (executor side).

    ``internal_rows``: the items are one-column rows read by :class:`_InternalRowsSerializer`
    (a vector as VectorUDT's internal tuple), not vectors or bag-of-words lists."""
    to_csr = _rows_block_csr if internal_rows else _block_csr
    buffer: list = []
    block_no = 0
    where = f"partition {index}"
    for item in items:
        buffer.append(item)
        if len(buffer) == block_size:
            yield index * _BLOCKS_PER_PARTITION + block_no, to_csr(buffer, num_terms, where)
            buffer, block_no = [], block_no + 1
    if buffer:
        yield index * _BLOCKS_PER_PARTITION + block_no, to_csr(buffer, num_terms, where)


def _rows_block_csr(rows: list, num_terms: int, where: str) -> sp.csr_matrix:
    """A block of one-column rows of vectors as a validated CSR matrix.

    A value is VectorUDT's internal tuple when :class:`_InternalRowsSerializer` read the
    rows; should a pyspark version pickle rows differently, the values arrive as
    ml vectors instead, and go the vector route (slower, same result)."""
    values = [row[0] for row in rows]
    if all(type(value) is tuple for value in values):
        return _internal_block_csr(values, num_terms, where)
    return _block_csr(values, num_terms, where)


def _internal_block_csr(vectors: list, num_terms: int, where: str) -> sp.csr_matrix:
    """VectorUDT internal tuples ``(type, size, indices, values)`` as a validated CSR matrix.

    Type 0 is sparse (``indices``/``values`` lists, validated increasing by the
    vector that made them), type 1 dense (``values`` only).  Every id and count of
    the block goes to numpy in one ``fromiter`` each: no numpy array per document."""
    pairs = []
    for vector in vectors:
        kind, size, indices, counts = vector
        if kind == 1:  # dense: its nonzero entries
            size = len(counts)
            dense = np.asarray(counts, dtype=np.float64)
            indices = np.flatnonzero(dense).tolist()
            counts = dense[indices].tolist()
        if size > num_terms:
            raise ValueError(f"{where}: a vector of size {size} does not fit a vocabulary "
                             f"of {num_terms} terms")
        pairs.append((indices, counts))
    indptr = np.zeros(len(pairs) + 1, dtype=np.int64)
    np.cumsum([len(indices) for indices, _ in pairs], out=indptr[1:])
    nnz = int(indptr[-1])
    if nnz >= np.iinfo(np.int32).max:
        raise ValueError("a block holds 2**31 or more entries; use a smaller block_size")
    ids = np.fromiter(itertools.chain.from_iterable(indices for indices, _ in pairs),
                      dtype=np.int64, count=nnz)
    _check_ids(ids, num_terms, where)  # the vectors checked their own size, not ours
    data = np.fromiter(itertools.chain.from_iterable(counts for _, counts in pairs),
                       dtype=np.float64, count=nnz)
    return csr_from_sparse(sp.csr_matrix((data, ids.astype(np.int32), indptr.astype(np.int32)),
                                         shape=(len(pairs), num_terms)), num_terms)


def _block_csr(items: list, num_terms: int, where: str) -> sp.csr_matrix:
    """A block of documents as a validated CSR matrix.

    SparseVectors (what CountVectorizer makes) are joined array by array, without
    a Python (id, count) pair per entry; anything else goes through the pairs."""
    if all(type(item).__name__ == "SparseVector" for item in items):
        if any(item.size > num_terms for item in items):
            return csr_from_bow([_document_pairs(item, num_terms, where) for item in items],
                                num_terms, where=where)  # raises with the offending size
        indptr = np.zeros(len(items) + 1, dtype=np.int64)
        np.cumsum([len(item.indices) for item in items], out=indptr[1:])
        if indptr[-1] == 0:
            return sp.csr_matrix((len(items), num_terms))
        indices = np.concatenate([item.indices for item in items]).astype(np.int32, copy=False)
        data = np.concatenate([item.values for item in items]).astype(np.float64, copy=False)
        return csr_from_sparse(sp.csr_matrix((data, indices, indptr.astype(np.int32)),
                                             shape=(len(items), num_terms)), num_terms)
    return csr_from_bow([_document_pairs(item, num_terms, where) for item in items],
                        num_terms, where=where)


def _partition_documents(index: int, items: Iterator[Any], num_terms: int, block_size: int,
                         internal_rows: bool = False) -> Iterator[tuple[bytes, bytes]]:
    """Executor side of :func:`to_documents`: each document as ``(ids, counts)`` raw bytes.

    The documents are validated a block at a time (:func:`_partition_blocks`);
    ids are int32 and counts float64, as the kernel reads them."""
    for _, block in _partition_blocks(index, items, num_terms, block_size, internal_rows):
        indptr, indices, data = block.indptr, block.indices, block.data
        for row in range(block.shape[0]):
            first, last = indptr[row], indptr[row + 1]
            yield indices[first:last].tobytes(), data[first:last].tobytes()
    freeze_worker_heap()  # the input's modules (e.g. pyspark.ml.linalg) are imported by now


def to_documents(data: Any, num_terms: int, column: str = "features",
                 block_size: int = DEFAULT_BLOCK_SIZE) -> tuple[Any, int]:
    """Validated documents of a DataFrame vector column or an RDD, cached one JVM record each.

    One record per document lets Spark's JVM sampler draw the minibatches
    (:func:`w2vx._spark.sample_in_jvm`): a minibatch costs the transfer of its
    own documents to the Python workers, not of the whole partition.

    Parameters
    ----------
    data : pyspark.sql.DataFrame or pyspark.RDD
        A DataFrame with a vector column (``pyspark.ml.linalg`` SparseVector or
        DenseVector, as ``CountVectorizer`` makes), or an RDD whose elements are
        such vectors or gensim bag-of-words lists of ``(id, count)``.
    num_terms : int
        Vocabulary size V; every id must be in ``[0, V)``.
    column : str
        The vector column of a DataFrame.
    block_size : int
        Documents validated at a time.

    Returns
    -------
    documents : pyspark.RDD of (bytes, bytes)
        ``(int32 ids, float64 counts)`` per document, in the input's order and
        partitioning, persisted (``unpersist`` it when done).
    total_docs : int
        Number of documents.

    Raises
    ------
    ValueError, TypeError
        Ids out of range, negative or non-finite counts, vectors larger than
        the vocabulary, elements that are not documents, an empty input.
    """
    block_size = _positive_int("block_size", block_size)
    return _cache_documents(*_document_rdd(data, column), num_terms, block_size)


def _cache_documents(rdd: Any, internal_rows: bool, num_terms: int,
                     block_size: int) -> tuple[Any, int]:
    """:func:`to_documents` of the RDD :func:`_document_rdd` made."""
    documents = map_partitions_per_record(rdd, functools.partial(
        _partition_documents, num_terms=num_terms, block_size=block_size,
        internal_rows=internal_rows)).persist()
    total_docs = count_in_jvm(documents)
    if total_docs == 0:
        documents.unpersist()
        raise ValueError("the corpus is empty (no documents)")
    return documents, total_docs


def _document_rdd(data: Any, column: str) -> tuple[Any, bool]:
    """The documents of ``data`` as an RDD, and whether its elements are internal rows.

    A DataFrame column of ``pyspark.ml`` vectors is read as one-column rows of
    VectorUDT's internal tuples (:class:`_InternalRowsSerializer`); anything else
    as the column's values (:func:`w2vx._spark.column_rdd`)."""
    require_pyspark()
    from pyspark import RDD
    from pyspark.ml.linalg import VectorUDT
    from pyspark.serializers import BatchedSerializer
    from pyspark.sql import DataFrame
    if isinstance(data, DataFrame) and column in data.columns \
            and isinstance(data.schema[column].dataType, VectorUDT):
        rows = data.select(column)._jdf.javaToPython()  # what DataFrame.rdd reads
        return RDD(rows, data.sparkSession.sparkContext,
                   BatchedSerializer(_InternalRowsSerializer())), True
    return column_rdd(data, column), False


class _InternalRowUnpickler(pickle.Unpickler):
    """Unpickles the rows the JVM sends to Python as plain tuples of internal values.

    The JVM pickles a row as a call of pyspark's row converter for its schema
    (itself parsed from JSON, once per batch); the converter builds a Row and
    turns a VectorUDT struct into a SparseVector, whose constructor makes two
    numpy arrays and checks its indices increase in a Python loop, entry by
    entry (the JVM's vector checked them when it was made).  On 20 Newsgroups
    (11,258 documents, local[2]) that was 0.13 s of :func:`to_documents`' 0.5 s;
    most of the rest is the JVM pickling the rows.  These two names give the
    values back as they arrive instead (a vector as ``(type, size, indices,
    values)`` with lists); all other names resolve as usual.
    """

    def find_class(self, module: str, name: str) -> Any:
        if module == "pyspark.sql.types":
            if name == "_create_row_inbound_converter":
                return _plain_row_converter
            if name == "_parse_datatype_json_string":
                return _skip_schema
        return super().find_class(module, name)


def _plain_row_converter(schema: Any) -> Any:
    return _plain_row


def _plain_row(*values: Any) -> tuple:
    return values


def _skip_schema(json: str) -> None:
    return None


class _InternalRowsSerializer(_FramedSerializer):
    """pyspark's framed pickle stream, unpickled by :class:`_InternalRowUnpickler` (in the
    Python workers, wrapped in BatchedSerializer to flatten the JVM's batches of rows).
    Read-only: nothing is written with it."""

    def loads(self, obj: bytes) -> Any:
        return _InternalRowUnpickler(io.BytesIO(obj)).load()

    def dumps(self, obj: Any) -> bytes:
        raise NotImplementedError("rows are only read")


def _document_blocks(documents: Iterator[tuple[bytes, bytes]], num_terms: int,
                     block_size: int) -> Iterator[sp.csr_matrix]:
    """The ``(ids, counts)`` records of :func:`to_documents` back as CSR blocks (validated
    when they were stored), ``block_size`` documents each."""
    buffer: list = []
    for document in documents:
        buffer.append(document)
        if len(buffer) == block_size:
            yield _records_csr(buffer, num_terms)
            buffer = []
    if buffer:
        yield _records_csr(buffer, num_terms)


def _records_csr(records: list, num_terms: int) -> sp.csr_matrix:
    indptr = np.zeros(len(records) + 1, dtype=np.int32)
    np.cumsum([len(ids) for ids, _ in records], out=indptr[1:])
    indptr //= 4  # bytes of int32 ids -> entries
    indices = np.frombuffer(b"".join(ids for ids, _ in records), dtype=np.int32)
    data = np.frombuffer(b"".join(counts for _, counts in records), dtype=np.float64)
    return sp.csr_matrix((data, indices, indptr), shape=(len(records), num_terms), copy=False)


def _num_terms_of(rdd: Any, internal_rows: bool) -> int:
    """Vocabulary size implied by the data: largest vector size / id + 1 (one Spark job)."""
    def top(item: Any) -> int:
        if internal_rows:
            item = item[0]
            if type(item) is tuple:  # VectorUDT's (type, size, indices, values)
                return int(item[1]) if item[0] == 0 else len(item[3])
        if hasattr(item, "size") and hasattr(item, "indices"):
            return int(item.size)
        if hasattr(item, "toArray"):
            return int(item.toArray().shape[0])
        return max((int(w) + 1 for w, _ in item), default=0)
    largest = run_job(lambda: rdd.map(top).fold(0, max))
    if largest <= 0:
        raise ValueError("cannot infer the vocabulary from an empty corpus; pass id2word")
    return largest


# ------------------------------------------------------------------ executors
def _block_seed(update_seed: int, block_id: int) -> int:
    """The E-step seed of a block: the update's seed itself for block 0, offset for others.

    With one block (one partition, all documents) the seed equals the one
    the local LdaModel draws for its chunk, so both give the same gamma.
    """
    return (update_seed + block_id * _GOLDEN) & _MASK64


def _estep_partition(index: int, documents: Iterator[tuple[bytes, bytes]], table: Any,
                     alpha: np.ndarray, iterations: int, gamma_threshold: float, eps: float,
                     update_seed: int, num_terms: int, block_size: int,
                     skip_empty: bool) -> Iterator[tuple[np.ndarray, np.ndarray, int, int]]:
    """E-step over a partition's (sampled) documents.

    Yields one ``(sstats_t V x K, sum_d E[log theta_d], documents, records)``:
    ``documents`` counts those in the statistics, ``records`` all that arrived
    (they differ by the empty documents when ``skip_empty``, MLlib's rule).
    Runs in an executor, one kernel thread per task (Spark runs one task per core).
    """
    freeze_worker_heap()  # PySpark collects garbage after every task: keep that cheap
    table = table.value if hasattr(table, "value") else table  # a Broadcast or the array
    num_topics = table.shape[1]
    sstats_t = np.zeros_like(table)  # the kernel adds every block's statistics to it
    elog_theta_sum = np.zeros(num_topics)
    beta_max = _estep.row_max(table)  # once per partition, not per block
    n_docs = n_records = 0
    for block_no, block in enumerate(_document_blocks(documents, num_terms, block_size)):
        n_records += block.shape[0]
        if skip_empty:  # counts are validated non-negative: empty means a zero row sum
            keep = np.flatnonzero(np.asarray(block.sum(axis=1)).ravel() > 0)
            if keep.size < block.shape[0]:
                block = block[keep]
        if block.shape[0] == 0:
            continue
        gamma = _estep.init_gamma(block.shape[0], num_topics,
                                  _block_seed(update_seed, index * _BLOCKS_PER_PARTITION + block_no))
        _estep.e_step(*_csr_arrays(block), table, alpha, gamma,
                      iterations, gamma_threshold, workers=1, eps=eps, sstats_t=sstats_t,
                      beta_max=beta_max)
        elog_theta_sum += dirichlet_expectation(gamma).sum(axis=0)
        n_docs += block.shape[0]
    yield sstats_t, elog_theta_sum, n_docs, n_records


def _add_statistics(left: tuple | None, right: tuple | None) -> tuple | None:
    """treeAggregate's combiner: element-wise sums (None is the empty statistic)."""
    if left is None:
        return right
    if right is None:
        return left
    return tuple(a + b for a, b in zip(left, right))


# ------------------------------------------------------------------ driver
def train_lda(data: Any, num_topics: int = 100, id2word: Any = None, *, column: str = "features",
              passes: int = 1, minibatch_fraction: float | None = None,
              max_updates: int | None = None, with_replacement: bool = True,
              alpha: Any = "symmetric", eta: Any = None, decay: float = 0.5, offset: float = 1.0,
              iterations: int = 50, gamma_threshold: float = 0.001,
              rho_schedule: str = "gensim", random_state: Any = None, eps: float = 1e-100,
              optimize_alpha: bool | None = None, block_size: int = DEFAULT_BLOCK_SIZE,
              tree_depth: int = 2) -> LdaModel:
    """Train an :class:`ldax.LdaModel` on a Spark DataFrame or RDD of documents.

    Each update is one E-step over a minibatch in the executors and one
    M-step on the driver (``LdaModel.do_mstep``, its step-size schedule and
    its alpha/eta updates).  Two ways to choose the minibatches:

    * ``minibatch_fraction=None`` (full batches): every update reads all
      documents, ``passes`` updates.  With one partition this is exactly
      ``LdaModel(corpus, chunksize=len(corpus), passes=passes,
      update_every=1)`` with the same seed: same gamma draws, same lambda.
    * ``minibatch_fraction=f``: each update samples each document with
      probability ``f`` (or Poisson(f) copies with ``with_replacement``),
      seeded, by Spark's own sampler in the JVM; ``max_updates`` updates
      (default ``ceil(passes / f)``).  The step size counts as the local
      model would with ``chunksize`` equal to the expected minibatch size
      ``f * D``; the minibatch's statistics are scaled by ``D / (documents
      sampled)``, as the local model scales a chunk's.

    Parameters
    ----------
    data : pyspark.sql.DataFrame or pyspark.RDD
        See :func:`to_documents`.
    num_topics : int
        Number of topics K.
    id2word : gensim Dictionary or dict of int to str, optional
        Vocabulary; inferred from the data (largest vector size or id + 1)
        when omitted.
    column : str
        Vector column of a DataFrame.
    passes : int
        Full batches to run, or the passes' worth of documents to sample.
    minibatch_fraction : float in (0, 1], optional
        Expected share of the documents in each minibatch.
    max_updates : int, optional
        Number of minibatch updates (overrides ``passes`` when sampling).
    with_replacement : bool
        Poisson (True, as MLlib) or Bernoulli sampling.
    alpha, eta, decay, offset, iterations, gamma_threshold, rho_schedule, random_state, eps
        As for :class:`ldax.LdaModel`.
    optimize_alpha : bool, optional
        Learn alpha (a Newton step per update) starting from the given
        ``alpha``; default: only when ``alpha='auto'``.
    block_size : int
        Documents per E-step call in an executor.
    tree_depth : int
        Depth of ``treeAggregate``.

    Returns
    -------
    ldax.LdaModel
        ``num_updates`` / ``num_steps`` and the random state advanced as the
        training advanced them.

    Examples
    --------
    >>> from w2vx._spark import local_session          # doctest: +SKIP
    >>> spark = local_session(2)                        # doctest: +SKIP
    >>> rdd = spark.sparkContext.parallelize([[(0, 2.0), (1, 1.0)], [(2, 3.0)]], 2)  # doctest: +SKIP
    >>> lda = train_lda(rdd, num_topics=2, passes=5, random_state=0)  # doctest: +SKIP
    >>> lda.get_topics().shape                          # doctest: +SKIP
    (2, 3)
    """
    return _train(data, num_topics, id2word, column=column, passes=passes,
                  minibatch_fraction=minibatch_fraction, max_updates=max_updates,
                  with_replacement=with_replacement, alpha=alpha, eta=eta, decay=decay,
                  offset=offset, iterations=iterations, gamma_threshold=gamma_threshold,
                  rho_schedule=rho_schedule, random_state=random_state, eps=eps,
                  optimize_alpha=optimize_alpha, block_size=block_size, tree_depth=tree_depth,
                  mllib_rules=False)


def _train(data: Any, num_topics: int, id2word: Any, *, column: str, passes: int,
           minibatch_fraction: float | None, max_updates: int | None, with_replacement: bool,
           alpha: Any, eta: Any, decay: float, offset: float, iterations: int,
           gamma_threshold: float, rho_schedule: str, random_state: Any, eps: float,
           optimize_alpha: bool | None, block_size: int, tree_depth: int,
           mllib_rules: bool) -> LdaModel:
    """:func:`train_lda`; ``mllib_rules`` switches to MLlib's minibatch rules (see :class:`SparkLDA`)."""
    require_pyspark()
    passes = _positive_int("passes", passes)
    tree_depth = _positive_int("tree_depth", tree_depth)
    block_size = _positive_int("block_size", block_size)
    if minibatch_fraction is not None:
        minibatch_fraction = check_positive_finite("minibatch_fraction", minibatch_fraction)
        if minibatch_fraction > 1.0:
            raise ValueError(f"minibatch_fraction must be in (0, 1], got {minibatch_fraction}")
        if max_updates is None:
            max_updates = math.ceil(passes / minibatch_fraction)
    if max_updates is not None:
        max_updates = _positive_int("max_updates", max_updates)
    rdd, internal_rows = _document_rdd(data, column)
    if id2word is None:
        num_terms = _num_terms_of(rdd, internal_rows)
        id2word = {i: str(i) for i in range(num_terms)}
    else:
        num_terms = num_terms_from_id2word(id2word)
    # the local model validates every setting and draws the initial topics
    model = LdaModel(num_topics=num_topics, id2word=id2word, chunksize=1, passes=passes,
                     alpha=alpha, eta=eta, decay=decay, offset=offset, eval_every=None,
                     iterations=iterations, gamma_threshold=gamma_threshold,
                     random_state=random_state, workers=1, rho_schedule=rho_schedule, eps=eps)
    if optimize_alpha is not None:
        model.optimize_alpha = bool(optimize_alpha)
    documents, total_docs = _cache_documents(rdd, internal_rows, num_terms, block_size)
    try:
        model.state.numdocs += total_docs
        if minibatch_fraction is None:
            chunksize, updates = total_docs, passes
        else:
            chunksize, updates = max(1, round(minibatch_fraction * total_docs)), max_updates
        model.chunksize = chunksize
        # MLlib scales a minibatch's statistics by D / ceil(f D), whatever the sample's size
        expected_batch = math.ceil((minibatch_fraction or 1.0) * total_docs)
        docs_seen = 0
        for _ in range(updates):
            pass_ = docs_seen // total_docs
            statistics, elog_theta_sum, n_records = _distributed_estep(
                model, documents, minibatch_fraction, with_replacement, tree_depth, block_size,
                skip_empty=mllib_rules)
            n_docs = statistics.numdocs
            if n_docs == 0:
                if mllib_rules and n_records > 0:
                    model.num_steps += 1  # MLlib counts the iteration of an all-empty sample
                continue  # an empty sample changes nothing (MLlib skips it too)
            rho = model._rho(model.offset, model.decay, pass_, chunksize)
            if model.optimize_alpha:  # LdaModel.update_alpha's step, from the summed statistic
                model.alpha = update_dir_prior(model.alpha, float(n_docs),
                                               elog_theta_sum / n_docs, rho)
            if mllib_rules:
                statistics.numdocs = expected_batch  # the blend's scale: D / expected size
            model.state.blend(rho, statistics)       # = do_mstep, counting the real documents
            model._after_blend(rho, n_docs, pass_ > 0)
            docs_seen += n_docs
    finally:
        documents.unpersist()
    return model


def _distributed_estep(model: LdaModel, documents: Any, fraction: float | None,
                       with_replacement: bool, tree_depth: int, block_size: int,
                       skip_empty: bool) -> tuple[LdaState, np.ndarray, int]:
    """One E-step over (a sample of) the documents: one Spark job of one stage.

    Returns the summed statistics as an ``LdaState`` (what ``do_mstep``
    takes), ``sum_d E[log theta_d]`` (what the alpha step takes) and the
    number of records the sample held (empty documents included).
    """
    context = documents.context
    # the same draw as the local model's chunk seed, so one block reproduces it
    update_seed = model._draw_seed()
    source = documents
    if fraction is not None:
        source = sample_in_jvm(documents, with_replacement, fraction, model._draw_seed())
    table = model._exp_elog_beta_t
    broadcast = context.broadcast(table) if table.nbytes > CLOSURE_TABLE_BYTES else None
    try:
        partial = functools.partial(
            _estep_partition, table=table if broadcast is None else broadcast,
            alpha=np.ascontiguousarray(model.alpha), iterations=model.iterations,
            gamma_threshold=model.gamma_threshold, eps=model.eps, update_seed=update_seed,
            num_terms=model.num_terms, block_size=block_size, skip_empty=skip_empty)
        summed = run_job(lambda: source.mapPartitionsWithIndex(partial).treeAggregate(
            None, _add_statistics, _add_statistics, depth=tree_depth))
    finally:
        if broadcast is not None:
            broadcast.destroy()
    statistics = LdaState(model.eta, (model.num_topics, model.num_terms))
    if summed is None:  # no partition at all
        return statistics, np.zeros(model.num_topics), 0
    statistics.sstats_t[...] = summed[0]
    statistics.numdocs = int(summed[2])
    return statistics, summed[1], int(summed[3])


def _positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be >= 1, got {value}")
    return int(value)


# ------------------------------------------------------------------ inference
def _infer_partition(index: int, rows: Iterator[Any], column: str, num_terms: int,
                     exp_elog_beta_t: Any, alpha: np.ndarray, iterations: int,
                     gamma_threshold: float, eps: float, seed: int,
                     block_size: int) -> Iterator[tuple]:
    """Executor side of :func:`transform`: each row plus its normalised gamma."""
    from pyspark.ml.linalg import DenseVector
    table = exp_elog_beta_t.value
    buffer: list = []
    block_no = 0

    def flush() -> Iterator[tuple]:
        docs = [_document_pairs(row[column], num_terms, f"partition {index}") for row in buffer]
        chunk = csr_from_bow(docs, num_terms, where=f"partition {index}")
        gamma = _estep.init_gamma(chunk.shape[0], table.shape[1],
                                  _block_seed(seed, index * _BLOCKS_PER_PARTITION + block_no))
        _estep.e_step(*_csr_arrays(chunk), table, alpha, gamma,
                      iterations, gamma_threshold, workers=1, eps=eps)
        gamma /= gamma.sum(axis=1, keepdims=True)
        for row, theta in zip(buffer, gamma):
            yield tuple(row) + (DenseVector(theta),)

    for row in rows:
        buffer.append(row)
        if len(buffer) == block_size:
            yield from flush()
            buffer, block_no = [], block_no + 1
    if buffer:
        yield from flush()


def transform(model: LdaModel, frame: Any, column: str = "features",
              output_column: str = "topicDistribution",
              block_size: int = DEFAULT_BLOCK_SIZE) -> Any:
    """Add each row's topic proportions to a DataFrame, inferred in the executors.

    Like MLlib's ``LDAModel.transform``: the output column holds the
    normalised variational gamma of each document (a DenseVector of K).

    Parameters
    ----------
    model : ldax.LdaModel
    frame : pyspark.sql.DataFrame
        With a vector column ``column`` (or a column of bag-of-words lists).
    column : str
        Input column.
    output_column : str
        Name of the new column (must not exist yet).
    block_size : int
        Documents per E-step call.

    Returns
    -------
    pyspark.sql.DataFrame
        ``frame``'s columns plus ``output_column``.  Lazy, like any Spark
        transformation; invalid documents raise when it is evaluated.
    """
    require_pyspark()
    from pyspark.ml.linalg import VectorUDT
    from pyspark.sql import DataFrame
    from pyspark.sql.types import StructField, StructType
    if not isinstance(model, LdaModel):
        raise TypeError(f"model must be an ldax.LdaModel, got {type(model).__name__}")
    if not isinstance(frame, DataFrame):
        raise TypeError(f"frame must be a pyspark DataFrame, got {type(frame).__name__}")
    if column not in frame.columns:
        raise ValueError(f"the DataFrame has no column {column!r} (columns: {frame.columns})")
    if output_column in frame.columns:
        raise ValueError(f"the DataFrame already has a column {output_column!r}")
    block_size = _positive_int("block_size", block_size)
    table = frame.sparkSession.sparkContext.broadcast(model._exp_elog_beta_t)
    seed = model._draw_seed()
    rows = frame.rdd.mapPartitionsWithIndex(functools.partial(
        _infer_partition, column=column, num_terms=model.num_terms, exp_elog_beta_t=table,
        alpha=np.ascontiguousarray(model.alpha), iterations=model.iterations,
        gamma_threshold=model.gamma_threshold, eps=model.eps, seed=seed, block_size=block_size))
    schema = StructType(frame.schema.fields + [StructField(output_column, VectorUDT(), False)])
    return frame.sparkSession.createDataFrame(rows, schema)


# ------------------------------------------------------------------ MLlib vocabulary
class SparkLDA:
    """Online LDA on Spark with MLlib's parameter names, returning an :class:`ldax.LdaModel`.

    A drop-in for ``pyspark.ml.clustering.LDA(optimizer='online')``'s settings:

    ==========================  ==========================================================
    MLlib parameter (default)   ldax meaning
    ==========================  ==========================================================
    ``k`` (10)                  ``num_topics``
    ``maxIter`` (20)            number of minibatch updates (``max_updates``); MLlib's
                                iteration is one minibatch, not one pass
    ``subsamplingRate`` (0.05)  ``minibatch_fraction``; sampled with replacement
                                (Poisson), as MLlib's online optimizer samples
    ``learningOffset`` (1024)   ``offset`` with ``rho_schedule='reference'``:
                                ``rho_t = (learningOffset + t) ** -learningDecay``,
                                t = 1, 2, ... -- MLlib's schedule exactly
    ``learningDecay`` (0.51)    ``decay``
    ``optimizeDocConcentration``  ``alpha='auto'`` (Newton step on alpha each update,
    (True)                      damped by rho)
    ``docConcentration`` (1/k)  ``alpha`` (a number or K numbers)
    ``topicConcentration``      ``eta`` (1/k by default)
    ``seed``                    ``random_state``
    ``featuresCol``             ``column``
    ``topicDistributionCol``    output column of :meth:`transform`
    ==========================  ==========================================================

    MLlib's minibatch rules are followed: the JVM draws the minibatch with
    ``RDD.sample(withReplacement=True, subsamplingRate, seed)``; empty
    documents are left out of the E-step and of the alpha step; the
    statistics are scaled by ``D / ceil(subsamplingRate * D)`` (the expected
    minibatch size, where :func:`train_lda` divides by the documents
    sampled); an all-empty sample counts as an iteration without an update.

    Differences kept on purpose: the E-step stops after ``iterations`` (50)
    fixed-point steps or a mean change below 1e-3, where MLlib has only the
    threshold; every document starts from its own Gamma(100, 1/100) draw
    (MLlib starts all documents of a partition's minibatch from one draw);
    the random initial lambda is Gamma(100, 1/100) as in MLlib, from ldax's
    own generator (the local LdaModel's draw).

    Examples
    --------
    >>> lda = SparkLDA(k=20, maxIter=40, subsamplingRate=0.05, seed=1)  # doctest: +SKIP
    >>> model = lda.fit(df)                 # an ldax.LdaModel          # doctest: +SKIP
    >>> lda.transform(model, df).select("topicDistribution").first()    # doctest: +SKIP
    """

    def __init__(self, k: int = 10, maxIter: int = 20, subsamplingRate: float = 0.05,
                 learningOffset: float = 1024.0, learningDecay: float = 0.51,
                 optimizeDocConcentration: bool = True, docConcentration: Any = None,
                 topicConcentration: Any = None, seed: int | None = None,
                 featuresCol: str = "features", topicDistributionCol: str = "topicDistribution",
                 iterations: int = 50, gamma_threshold: float = 0.001,
                 block_size: int = DEFAULT_BLOCK_SIZE):
        self.k = _positive_int("k", k)
        self.maxIter = _positive_int("maxIter", maxIter)
        self.subsamplingRate = check_positive_finite("subsamplingRate", subsamplingRate)
        if self.subsamplingRate > 1.0:
            raise ValueError(f"subsamplingRate must be in (0, 1], got {subsamplingRate}")
        self.learningOffset = check_positive_finite("learningOffset", learningOffset)
        self.learningDecay = check_positive_finite("learningDecay", learningDecay)
        self.optimizeDocConcentration = bool(optimizeDocConcentration)
        self.docConcentration = docConcentration
        self.topicConcentration = topicConcentration
        self.seed = seed
        self.featuresCol = featuresCol
        self.topicDistributionCol = topicDistributionCol
        self.iterations = iterations
        self.gamma_threshold = gamma_threshold
        self.block_size = block_size

    def fit(self, data: Any, id2word: Any = None) -> LdaModel:
        """Train on a DataFrame (``featuresCol``) or an RDD; return an :class:`ldax.LdaModel`."""
        alpha: Any = "symmetric" if self.docConcentration is None else self.docConcentration
        return _train(
            data, self.k, id2word, column=self.featuresCol, passes=1,
            minibatch_fraction=self.subsamplingRate, max_updates=self.maxIter,
            with_replacement=True, alpha=alpha, eta=self.topicConcentration,
            decay=self.learningDecay, offset=self.learningOffset, rho_schedule="reference",
            iterations=self.iterations, gamma_threshold=self.gamma_threshold,
            random_state=self.seed, eps=1e-100, optimize_alpha=self.optimizeDocConcentration,
            block_size=self.block_size, tree_depth=2, mllib_rules=True)

    def transform(self, model: LdaModel, frame: Any) -> Any:
        """:func:`transform` with this estimator's column names."""
        return transform(model, frame, column=self.featuresCol,
                         output_column=self.topicDistributionCol, block_size=self.block_size)
