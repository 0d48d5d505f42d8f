"""w2vx's Word2Vec trained on Apache Spark: the nogil kernel in the executors, averaging on the driver.

The scheme of Spark MLlib's ``Word2Vec`` (each partition trains its share of
the sentences on a copy of the weights, then the copies are merged), with
every mode of w2vx (skip-gram or CBOW, negative sampling or hierarchical
softmax, subsampling) where MLlib has only skip-gram with hierarchical softmax::

    sentences (DataFrame array<string> column or RDD of token lists)
      -> vocabulary counted with reduceByKey; tables built on the driver
         (w2vx.Word2Vec.build_vocab_from_freq: sort, min_count, Huffman tree,
         negative table, subsampling)
      -> each partition's sentences encoded once to int32 ids, cached
    per iteration (= one pass over the data, MLlib's maxIter):
      broadcast the weights (syn0 and syn1 / syn1neg)
      mapPartitions: train the partition's ids on a private copy
                     (w2vx's kernel, one thread per Spark task); return the
                     rows' changes and how much the partition trained them
      treeAggregate: sum the weighted changes
      driver: every row moves by the update-count-weighted average of the
              partitions' changes to it

The weight of partition p's change to a row is the number of words p
trained (after subsampling) if p changed that row, else 0: with equal
partitions this is MLlib's plain average over the partitions that touched the
row; with one partition it is simply that partition's training.

MLlib's parameter names map as: ``vectorSize`` -> ``vector_size``,
``minCount`` -> ``min_count``, ``windowSize`` -> ``window``, ``stepSize`` ->
``alpha``, ``maxIter`` -> ``epochs``, ``numPartitions`` -> ``num_partitions``,
``seed`` -> ``seed``; MLlib's mode is ``sg=1, hs=1, negative=0, sample=0``.
MLlib cuts sentences at ``maxSentenceLength`` (1000) tokens; w2vx never cuts.

On a cluster, every executor needs gensimx installed (see :mod:`w2vx._spark`).
"""
from __future__ import annotations

import copy
import functools
import operator
from typing import Any, Iterator

import numpy as np

from w2vx._spark import column_rdd, require_pyspark, run_job
from w2vx._train import encode_sentences
from w2vx.word2vec import Word2Vec, _mix_seed, _Schedule

__all__ = ["train_word2vec"]

_OUTPUT_LAYERS = ("syn1", "syn1neg")


def _tokens(sentence: Any) -> list:
    """A sentence as a list of str, or TypeError naming what it is."""
    if isinstance(sentence, (str, bytes)) or sentence is None:
        raise TypeError(f"each sentence must be a list of string tokens, got "
                        f"{type(sentence).__name__} {str(sentence)[:40]!r}")
    tokens = list(sentence)
    for token in tokens:
        if not isinstance(token, str):
            raise TypeError(f"each sentence must be a list of string tokens, found a "
                            f"{type(token).__name__} token {token!r}")
    return tokens


def _partition_counts(sentences: Iterator[Any]) -> Iterator[tuple[str, int]]:
    """Executor: ``(word, count)`` of a partition, plus the sentence count under key ``None``."""
    counts: dict[str, int] = {}
    n_sentences = 0
    for sentence in sentences:
        n_sentences += 1
        for token in _tokens(sentence):
            counts[token] = counts.get(token, 0) + 1
    yield from counts.items()
    yield None, n_sentences


def _encode_partition(sentences: Iterator[Any], key_to_index: Any) -> Iterator[tuple]:
    """Executor: the partition's sentences as ``(ids int32, offsets int64, raw words)``."""
    vocabulary = key_to_index.value
    ids, offsets, raw = encode_sentences([_tokens(s) for s in sentences], vocabulary,
                                         len(vocabulary))
    yield ids, offsets, raw


def _weights(model: Word2Vec) -> dict[str, np.ndarray]:
    """The arrays training changes: syn0 and the active output layers."""
    arrays = {"syn0": model.wv.vectors}
    for name in _OUTPUT_LAYERS:
        if getattr(model, name) is not None:
            arrays[name] = getattr(model, name)
    return arrays


def _train_partition(index: int, encoded: Iterator[tuple], shell: Any, weights: Any,
                     alpha_start: float, alpha_end: float, seed: int) -> Iterator[tuple]:
    """Executor: train the partition on a private copy; return weighted changes and weights."""
    model = copy.copy(shell.value)
    model.wv = copy.copy(model.wv)
    start = weights.value
    model.wv.vectors = start["syn0"].copy()
    for name in _OUTPUT_LAYERS:
        if name in start:
            setattr(model, name, start[name].copy())
    kernel = model._kernel(False)
    trained = raw_total = 0
    for part, (ids, offsets, raw) in enumerate(encoded):
        effective, _ = kernel.train_job(ids, offsets, alpha_start, alpha_end,
                                        _mix_seed(seed, index, part))
        trained += effective
        raw_total += raw
    changes, row_weights = {}, {}
    for name, trained_array in _weights(model).items():
        delta = trained_array - start[name]
        touched = np.any(delta != 0, axis=1)
        row_weights[name] = touched * float(trained)
        changes[name] = delta * np.float32(trained)
    yield changes, row_weights, trained, raw_total


def _add_updates(left: tuple | None, right: tuple | None) -> tuple | None:
    """treeAggregate's combiner: sums (None is the empty update)."""
    if left is None:
        return right
    if right is None:
        return left
    return ({name: left[0][name] + right[0][name] for name in left[0]},
            {name: left[1][name] + right[1][name] for name in left[1]},
            left[2] + right[2], left[3] + right[3])


def train_word2vec(data: Any, column: str = "tokens", *, num_partitions: int | None = None,
                   tree_depth: int = 2, **word2vec_params: Any) -> Word2Vec:
    """Train a :class:`w2vx.Word2Vec` on a Spark DataFrame or RDD of tokenised sentences.

    Parameters
    ----------
    data : pyspark.sql.DataFrame or pyspark.RDD
        A DataFrame with an ``array<string>`` column, or an RDD of token lists.
    column : str
        The token column of a DataFrame.
    num_partitions : int, optional
        Repartition the sentences to this many partitions first (MLlib's
        ``numPartitions``); default: keep the input's partitioning.
    tree_depth : int
        Depth of ``treeAggregate``.
    **word2vec_params
        Any :class:`w2vx.Word2Vec` parameter (``vector_size``, ``window``,
        ``min_count``, ``sg``, ``hs``, ``negative``, ``sample``, ``alpha``,
        ``min_alpha``, ``epochs``, ``seed``, ...), gensim's defaults;
        ``workers`` is ignored (one kernel thread per Spark task).
        ``epochs`` is the number of broadcast/train/merge iterations.

    Returns
    -------
    w2vx.Word2Vec
        Its ``wv`` is a gensim ``KeyedVectors``; ``to_gensim()``, ``save()``
        work as for a locally trained model.

    Examples
    --------
    >>> model = train_word2vec(frame, "tokens", sg=1, hs=1, negative=0,  # doctest: +SKIP
    ...                        vector_size=100, epochs=1)
    >>> model.wv.most_similar("good", topn=3)                            # doctest: +SKIP
    """
    require_pyspark()
    word2vec_params["workers"] = 1
    model = Word2Vec(**word2vec_params)  # validates every parameter
    sentences = column_rdd(data, column)
    if num_partitions is not None:
        if isinstance(num_partitions, bool) or not isinstance(num_partitions, int) or num_partitions < 1:
            raise ValueError(f"num_partitions must be an integer >= 1, got {num_partitions!r}")
        sentences = sentences.repartition(num_partitions)
    if isinstance(tree_depth, bool) or not isinstance(tree_depth, int) or tree_depth < 1:
        raise ValueError(f"tree_depth must be an integer >= 1, got {tree_depth!r}")
    context = sentences.context

    # vocabulary: counted in the executors, tables built on the driver
    counted = run_job(lambda: sentences.mapPartitions(_partition_counts)
                         .reduceByKey(operator.add).collect())
    word_freq = {word: count for word, count in counted if word is not None}
    n_sentences = sum(count for word, count in counted if word is None)
    if not word_freq:
        raise ValueError("the corpus is empty: it has no words to build a vocabulary from")
    model.build_vocab_from_freq(word_freq, corpus_count=n_sentences)

    vocabulary = context.broadcast(model.wv.key_to_index)
    encoded = sentences.mapPartitions(functools.partial(_encode_partition,
                                                        key_to_index=vocabulary)).persist()
    shell = context.broadcast(model)
    schedule = _Schedule(float(model.alpha), float(model.min_alpha), model.epochs)
    try:
        encoded.count()
        for epoch in range(model.epochs):
            weights = context.broadcast(_weights(model))
            try:
                partial = functools.partial(
                    _train_partition, shell=shell, weights=weights,
                    alpha_start=schedule.alpha(epoch, 0.0), alpha_end=schedule.alpha(epoch, 1.0),
                    seed=_mix_seed(model.seed, epoch))
                summed = encoded.mapPartitionsWithIndex(partial).treeAggregate(
                    None, _add_updates, _add_updates, depth=tree_depth)
            finally:
                weights.destroy()
            changes, row_weights, trained, raw = summed
            for name, array in _weights(model).items():
                total = row_weights[name]
                rows = total > 0
                array[rows] += changes[name][rows] / total[rows, None].astype(np.float32)
        model.train_count += 1
    finally:
        encoded.unpersist()
        vocabulary.destroy()
        shell.destroy()
    model.wv.norms = None
    return model
