"""w2vx's Word2Vec trained on Apache Spark: the nogil kernel in the executors, averaging on the driver.

The scheme of Spark MLlib's ``Word2Vec`` (each partition trains its share of
the sentences on a copy of the weights, then the copies are merged), with
every mode of w2vx (skip-gram or CBOW, negative sampling or hierarchical
softmax, subsampling) where MLlib has only skip-gram with hierarchical softmax::

    sentences (DataFrame array<string> column or RDD of token lists)
      -> with several partitions, sentences dealt to them at random (seeded;
         mapPartitionsWithIndex + partitionBy), as MLlib's repartition mixes them
      -> vocabulary counted with reduceByKey; tables built on the driver
         (w2vx.Word2Vec.build_vocab_from_freq: sort, min_count, Huffman tree,
         negative table, subsampling)
      -> each partition's sentences encoded once to int32 ids, cached
    per round (``syncs_per_epoch`` rounds per pass over the data; MLlib: 1):
      broadcast the weights (syn0 and syn1 / syn1neg)
      mapPartitions: train the round's share of the partition's ids on a
                     private copy (w2vx's kernel, one thread per Spark task);
                     return the rows' changes and which rows it changed
      treeAggregate: sum the changes (and each row's exposures, below)
      driver: every row moves by the sum of the partitions' changes to it times
              a factor between 1 and 1/n (n = partitions that trained it)

With one partition every rule is that partition's own training, merged once
per pass (the factor is exactly 1).  With several, each partition's copy of a
row drifts from the others' for a round: averaging the changes (MLlib's rule)
moves a row that every partition trains only 1/P as far as training on one
machine would, and summing them overshoots rows that all partitions push to
the same place (the Huffman nodes near the root, the most frequent words).

``merge='saturation'`` (the default for skip-gram with hierarchical softmax)
chooses the factor per row from how much each partition trained it.  SGD pulls
a row towards a place it approaches geometrically: after ``u`` updates at
learning rate ``a`` it has gone ``1 - exp(-a u / K)`` of the way.  One machine
training all the partitions' updates moves the row by ``1 - exp(-X)`` of the
way, ``X = sum_p x_p``, ``x_p = a u_p / K`` (the partition's *exposure*); the
summed changes move it by ``sum_p (1 - exp(-x_p))``.  Their ratio is the factor
(:func:`saturation_factor`): 1 for rows trained little or by one partition (their
changes add up, as in sequential SGD), ``1/n`` for rows every partition trained
to saturation (they all reached the same place).  ``u_p`` is counted exactly from
the round's sentences (expected SGD updates: ``window + 1`` per occurrence for a
word's input vector; for a Huffman node, per (centre, context) pair whose centre's
path passes it) and ``K`` per layer (``SATURATION_UPDATES``: syn0 10, syn1 50) was
measured by regressing one machine's change of each row on the partitions' summed
changes, instrumented by a second training of the same slices
(``benchmarks/probes/w2v_spark_merge_fit.py``): the best factor fell from 1 to
1/2 as the rows' counts grew, at counts proportional to 1/a, as the model says.
Against ``'sqrt'`` (the sum divided by sqrt(n), the earlier default, still the
default for the other modes, whose K was not measured) it scored WordSim353
+0.02 and SimLex-999 -0.003 at 2 partitions and did not degrade at 4
(``benchmarks/results/spark_word2vec_merge.md``).  On Spark over 11 seeds against
MLlib's ``local[2]``, 48 rounds per pass (the default since 2026-12-02):
WordSim353 +0.012 ± 0.006 and SimLex-999 -0.001 ± 0.004, where 16 rounds gave
-0.001 and -0.007 (``benchmarks/results/spark_word2vec_seeds.md``; paired on the
same seeds, 48 against 16 rounds: WordSim353 +0.017 ± 0.005, SimLex-999 +0.006 ±
0.004).  More rounds keep the partitions' copies closer at the cost of one
broadcast and one aggregation each (``docs/scaling.md``): 2 partitions on IMDB
trained in 36-41 s against 25-30 s with 16, MLlib's 46-58 s.

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
import numbers
import operator
import random
from typing import Any, Iterator

import numpy as np

from w2vx._spark import column_rdd, freeze_worker_heap, require_pyspark, run_job
from w2vx._train import encode_sentences
from w2vx.word2vec import Word2Vec, _mix_seed, _Schedule

__all__ = ["train_word2vec", "deal_sentences", "merge_changes", "merge_exponent", "exposures",
           "saturation_factor"]

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
    """Executor: the partition's sentences as ``(ids int32, offsets int64)``."""
    vocabulary = key_to_index.value
    ids, offsets, _ = encode_sentences([_tokens(s) for s in sentences], vocabulary,
                                       len(vocabulary))
    yield ids, offsets


def _deal(index: int, sentences: Iterator[Any], seed: int, parts: int) -> Iterator[tuple[int, Any]]:
    """Executor: ``(partition, sentence)``, the partition drawn at random for every sentence
    (seeded by ``seed`` and the input partition's index, so a rerun deals alike)."""
    draw = random.Random(_mix_seed(seed, index)).randrange
    for sentence in sentences:
        yield draw(parts), sentence


def deal_sentences(sentences: Any, num_partitions: int, seed: int) -> Any:
    """The sentences of an RDD dealt to ``num_partitions`` partitions at random, seeded.

    Every sentence goes to a partition drawn uniformly at random; within a
    partition the sentences keep their input order (input partition by input
    partition).  Spark primitives only: ``mapPartitionsWithIndex`` draws,
    ``partitionBy`` moves each sentence to its partition.

    Parameters
    ----------
    sentences : pyspark.RDD
    num_partitions : int
        Partitions of the result (>= 1).
    seed : int
        Seed of the draws: the same input, partitioning and seed give the same deal.

    Returns
    -------
    pyspark.RDD
        The same sentences in ``num_partitions`` partitions.
    """
    _check_count("num_partitions", num_partitions)
    dealt = sentences.mapPartitionsWithIndex(functools.partial(_deal, seed=int(seed),
                                                               parts=num_partitions))
    return dealt.partitionBy(num_partitions, _identity).values()


def _identity(key: int) -> int:
    return key


def _check_count(name: str, value: Any) -> None:
    """ValueError unless ``value`` is an integer >= 1 (bool refused)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}")


def _weights(model: Word2Vec) -> dict[str, np.ndarray]:
    """The arrays training changes: syn0 and the active output layers."""
    arrays = {"syn0": model.wv.vectors}
    for name in _OUTPUT_LAYERS:
        if getattr(model, name) is not None:
            arrays[name] = getattr(model, name)
    return arrays


def _round_slice(ids: np.ndarray, offsets: np.ndarray, part: int, parts: int) -> tuple:
    """Sentences ``[part * S / parts, (part + 1) * S / parts)`` of an encoded partition."""
    n = len(offsets) - 1
    first, last = part * n // parts, (part + 1) * n // parts
    return ids[offsets[first]:offsets[last]], offsets[first:last + 1] - offsets[first]


def _train_partition(index: int, encoded: Iterator[tuple], shell: Any, weights: Any,
                     alpha_start: float, alpha_end: float, seed: int, sync: int = 0,
                     syncs: int = 1, merge: str | float = "sqrt") -> Iterator[tuple]:
    """Executor: train round ``sync`` of ``syncs`` (that share of the partition's sentences)
    on a private copy; return the changes (weighted for ``merge='average'``) and the row
    weights :func:`merge_changes` reads: 1 on the rows the partition changed (words trained
    for ``'average'``), or for ``'saturation'`` the rows' exposures (see :func:`exposures`)."""
    freeze_worker_heap()  # PySpark collects garbage after every task: keep that cheap
    model = copy.copy(shell.value)
    model.wv = copy.copy(model.wv)
    start = weights.value
    model.wv.vectors = start["syn0"].copy()
    for name in _OUTPUT_LAYERS:
        if name in start:
            setattr(model, name, start[name].copy())
    kernel = model._kernel(False)
    trained = 0
    occurrences = np.zeros(len(model.wv), np.int64) if merge == "saturation" else None
    for part, (ids, offsets) in enumerate(encoded):
        ids, offsets = _round_slice(ids, offsets, sync, syncs)
        effective, _ = kernel.train_job(ids, offsets, alpha_start, alpha_end,
                                        _mix_seed(seed, index, part))
        trained += effective
        if occurrences is not None:
            occurrences += np.bincount(ids, minlength=len(occurrences))
    exposure = (exposures(model, occurrences, 0.5 * (alpha_start + alpha_end))
                if occurrences is not None else {})
    changes, row_weights = {}, {}
    for name, trained_array in _weights(model).items():
        delta = trained_array - start[name]
        if merge == "average":
            touched = np.any(delta != 0, axis=1)
            row_weights[name] = touched * float(trained)
            changes[name] = delta * np.float32(trained)
        elif _layer_merge(merge, name) == "saturation":
            x = exposure[name]
            row_weights[name] = np.stack([x, -np.expm1(-x)], axis=1)
            changes[name] = delta
        else:
            row_weights[name] = np.any(delta != 0, axis=1).astype(np.float64)
            changes[name] = delta
    yield changes, row_weights


#: ``K`` per layer for ``merge='saturation'``: a row updated ``u`` times at learning rate ``a``
#: has gone ``1 - exp(-a u / K)`` of the way to where the round's training pulls it
#: (measured on IMDB, skip-gram + hierarchical softmax, window 5, vector_size 100:
#: benchmarks/results/spark_word2vec_merge.md).
SATURATION_UPDATES = {"syn0": 10.0, "syn1": 50.0}


def _layer_merge(merge: str | float, layer: str) -> str | float:
    """The rule a layer's rows are merged by: ``merge``, except that ``'saturation'``
    covers only the layers :func:`exposures` models (syn0, syn1) and syn1neg falls
    back to ``'sqrt'``."""
    return "sqrt" if merge == "saturation" and layer not in SATURATION_UPDATES else merge


def exposures(model: Word2Vec, occurrences: np.ndarray, alpha: float) -> dict[str, np.ndarray]:
    """A partition's exposure of every row in a round, for ``merge='saturation'``.

    ``alpha * updates / SATURATION_UPDATES[layer]``, ``updates`` being the expected
    number of SGD updates the round's sentences make to the row: a word's input
    vector (syn0) is updated once per (centre, context) pair it is the context of,
    ``window + 1`` per occurrence on average (reduced windows); a hierarchical-softmax
    node (syn1) once per pair (skip-gram) or per centre word (CBOW) whose Huffman path
    passes through it.  syn1neg is not modelled (merged by ``'sqrt'``).

    Parameters
    ----------
    model : w2vx.Word2Vec
        The model (its window, mode and Huffman tables).
    occurrences : ndarray of int, shape (V,)
        How often each word occurs in the round's sentences.
    alpha : float
        The round's mean learning rate.
    """
    pairs = occurrences * float(model.window + 1)
    updates = {"syn0": pairs}
    if model.hs:
        tables = model._tables
        path_lengths = np.diff(tables["code_offsets"])
        per_centre = pairs if model.sg else occurrences.astype(np.float64)
        updates["syn1"] = np.bincount(tables["points"], weights=np.repeat(per_centre, path_lengths),
                                      minlength=len(occurrences))
    return {name: count * (alpha / SATURATION_UPDATES[name]) for name, count in updates.items()}


def _add_updates(left: tuple | None, right: tuple | None) -> tuple | None:
    """treeAggregate's combiner: sums (None is the empty update)."""
    if left is None:
        return right
    if right is None:
        return left
    return ({name: left[0][name] + right[0][name] for name in left[0]},
            {name: left[1][name] + right[1][name] for name in left[1]})


MERGES = ("saturation", "sqrt", "average", "sum")


def merge_exponent(merge: str | float) -> float | None:
    """The exponent ``p`` of a merge rule (the summed changes are divided by ``n ** p``),
    None for ``'average'`` and ``'saturation'``; ValueError for anything else."""
    named = {"sum": 0.0, "sqrt": 0.5}
    if isinstance(merge, str):
        if merge in ("average", "saturation"):
            return None
        if merge in named:
            return named[merge]
    elif isinstance(merge, numbers.Real) and not isinstance(merge, bool) and 0.0 <= merge <= 1.0:
        return float(merge)
    raise ValueError(f"merge must be one of {MERGES} or a number in [0, 1], got {merge!r}")


def saturation_factor(exposure_sum: np.ndarray, saturation_sum: np.ndarray) -> np.ndarray:
    """``'saturation'``: the factor on a row's summed change, ``(1 - e^-X) / sum_p (1 - e^-x_p)``.

    ``x_p`` is partition ``p``'s exposure of the row (:func:`exposures`), ``X`` their sum.
    A row trained ``x`` towards a place it approaches as ``1 - e^-x`` (SGD on a locally
    quadratic loss) moves by ``(1 - e^-X)`` of the way when one machine trains all the
    updates, and by ``sum_p (1 - e^-x_p)`` when the partitions' changes are summed: the
    factor is their ratio.  It is 1 for a row only one partition trained and for rows
    trained little (their changes add up, as in sequential SGD), and falls to ``1/n``
    for rows that every one of ``n`` partitions trained to saturation (they all reached
    the same place: the mean).  0 where no partition trained the row.
    """
    factor = np.zeros(len(saturation_sum))
    rows = saturation_sum > 0
    factor[rows] = -np.expm1(-exposure_sum[rows]) / saturation_sum[rows]
    return factor


def merge_changes(array: np.ndarray, changes: np.ndarray, row_weights: np.ndarray,
                  merge: str | float) -> None:
    """Driver: move ``array``'s rows (in place) by the partitions' summed changes.

    Parameters
    ----------
    array : ndarray of float32, shape (V, d)
        The weights before the round.
    changes : ndarray of float32, shape (V, d)
        Sum over the partitions of what each changed (for ``'average'``, each
        partition's change times the words it trained).
    row_weights : ndarray of float64, shape (V,), or (V, 2) for ``'saturation'``
        Sum over the partitions of their weight on each row: 1 per partition that
        changed the row (``n``), or for ``'average'`` the words the partition
        trained; 0 where no partition changed it (the row stays).  For
        ``'saturation'``, columns ``sum_p x_p`` and ``sum_p (1 - e^-x_p)`` of the
        partitions' exposures (:func:`saturation_factor`).
    merge : {'saturation', 'sqrt', 'average', 'sum'} or float in [0, 1]
        A number ``p``: ``array += changes / n ** p`` on the changed rows
        (``'sum'`` is 0, ``'sqrt'`` 0.5, the plain mean 1); ``'average'``:
        ``changes / row_weights``; ``'saturation'``: ``changes`` times
        :func:`saturation_factor`.
    """
    power = merge_exponent(merge)
    if merge == "saturation":
        factor = saturation_factor(row_weights[:, 0], row_weights[:, 1])
        rows = factor > 0
        array[rows] += changes[rows] * factor[rows, None].astype(np.float32)
        return
    rows = row_weights > 0
    divisor = row_weights[rows] if power is None else row_weights[rows] ** power
    array[rows] += changes[rows] / divisor[:, None].astype(np.float32)


#: Rounds per epoch when several partitions train and ``syncs_per_epoch`` is not given.
DEFAULT_SYNCS_PER_EPOCH = 48


def train_word2vec(data: Any, column: str = "tokens", *, num_partitions: int | None = None,
                   shuffle: bool = True, tree_depth: int = 2, syncs_per_epoch: int | None = None,
                   merge: str | float | None = None, **word2vec_params: Any) -> Word2Vec:
    """Train a :class:`w2vx.Word2Vec` on a Spark DataFrame or RDD of tokenised sentences.

    Parameters
    ----------
    data : pyspark.sql.DataFrame or pyspark.RDD
        A DataFrame with an ``array<string>`` column, or an RDD of token lists.
    column : str
        The token column of a DataFrame.
    num_partitions : int, optional
        Train on this many partitions (MLlib's ``numPartitions``); default: as
        many as the input has.
    shuffle : bool
        When several partitions train, first deal the sentences to them at random
        (seeded by ``seed``; :func:`deal_sentences`), so that every partition holds
        a sample of the whole corpus, as MLlib's ``repartition`` gives it.  A
        partition holding a contiguous stretch of a corpus stored in some order
        (by source, topic, label) drifts towards that stretch between merges:
        with IMDB split in contiguous halves, SimLex-999 fell by about 0.015
        (``docs/scaling.md``).  ``False`` keeps the input's partitioning (or
        Spark's ``repartition`` when ``num_partitions`` is given) and saves the
        shuffle, for input already in random order.  One partition: no shuffle.
    tree_depth : int
        Depth of ``treeAggregate``.
    syncs_per_epoch : int, optional
        Broadcast/train/merge rounds per epoch.  With ``s`` rounds every partition
        trains its sentences in ``s`` consecutive slices, the learning rate falling
        across them as in one pass, and the weights are merged after each slice: the
        partitions' copies drift apart less.  Each round costs one broadcast of the
        weights and one aggregation of the changes (``V x d`` floats per layer and
        partition, see ``docs/scaling.md``).  Default: 1 with one partition (nothing
        to merge), else ``DEFAULT_SYNCS_PER_EPOCH`` (48).  MLlib's scheme is 1.
    merge : {'saturation', 'sqrt', 'average', 'sum'} or float in [0, 1], optional
        How the partitions' changes to a row combine, ``n`` being the number of
        partitions that changed it in the round.  Default: ``'saturation'`` for
        skip-gram with hierarchical softmax only (``sg=1, hs=1, negative=0``, where
        its constants were measured), else ``'sqrt'``.  ``'saturation'``: the sum of
        the changes times a factor from 1 (rows the partitions trained little: the
        changes add up as in sequential SGD) to ``1/n`` (rows every partition trained
        to saturation), from each partition's count of updates to the row (module
        docstring, :func:`exposures`, :func:`saturation_factor`); syn1neg (negative
        sampling) rows, whose updates are not modelled, are merged by ``'sqrt'``.  A
        number ``p``: the sum of the changes divided by ``n ** p`` (0 is ``'sum'``, 1
        the plain mean of the partitions that changed the row).  ``'sqrt'``
        (``p = 0.5``): the sum divided by ``sqrt(n)``.  ``'average'`` (MLlib's rule):
        their average, weighted by how many words each partition trained; a row that
        every partition trains moves as far as in one partition's share of the data.
        ``'sum'``: their sum, as if the partitions had trained one after another on
        the same start (delayed Hogwild), which overshoots rows that every partition
        moves towards the same place.  Measured on IMDB, 2 partitions, 16 rounds, 8
        simulated seeds: ``'saturation'`` against ``'sqrt'`` WordSim353 +0.02 (all 8
        seeds), SimLex-999 -0.003; ``merge=0.35`` WordSim353 +0.007, SimLex-999
        -0.002, but at 4 partitions it broke down (SimLex-999 0.03-0.06 against
        0.18-0.19 for ``'sqrt'`` and ``'saturation'``): a fixed small exponent moves
        rows further the more partitions train them, ``'saturation'`` never more
        than their mean when they are saturated
        (``benchmarks/results/spark_word2vec_merge.md``).
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
    if syncs_per_epoch is not None:
        _check_count("syncs_per_epoch", syncs_per_epoch)
    if merge is not None:
        merge_exponent(merge)  # validates
    word2vec_params["workers"] = 1
    model = Word2Vec(**word2vec_params)  # validates every parameter
    if merge is None:
        merge = "saturation" if model.sg and model.hs and not model.negative else "sqrt"
    sentences = column_rdd(data, column)
    if num_partitions is not None:
        _check_count("num_partitions", num_partitions)
    if not isinstance(shuffle, bool):
        raise TypeError(f"shuffle must be True or False, got {shuffle!r}")
    parts = sentences.getNumPartitions() if num_partitions is None else num_partitions
    if shuffle and parts > 1:
        # every partition a random sample of the corpus, whatever order the input is in
        sentences = deal_sentences(sentences, parts, _mix_seed(model.seed, 0x5EED))
    elif num_partitions is not None:
        sentences = sentences.repartition(num_partitions)
    _check_count("tree_depth", tree_depth)
    context = sentences.context
    if syncs_per_epoch is None:
        syncs_per_epoch = 1 if sentences.getNumPartitions() == 1 else DEFAULT_SYNCS_PER_EPOCH

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
            for sync in range(syncs_per_epoch):
                weights = context.broadcast(_weights(model))
                try:
                    partial = functools.partial(
                        _train_partition, shell=shell, weights=weights,
                        alpha_start=schedule.alpha(epoch, sync / syncs_per_epoch),
                        alpha_end=schedule.alpha(epoch, (sync + 1) / syncs_per_epoch),
                        seed=(_mix_seed(model.seed, epoch) if syncs_per_epoch == 1
                              else _mix_seed(model.seed, epoch, sync)), sync=sync,
                        syncs=syncs_per_epoch, merge=merge)
                    summed = encoded.mapPartitionsWithIndex(partial).treeAggregate(
                        None, _add_updates, _add_updates, depth=tree_depth)
                finally:
                    weights.destroy()
                if summed is None:      # no partition had sentences
                    continue
                changes, row_weights = summed
                for name, array in _weights(model).items():
                    merge_changes(array, changes[name], row_weights[name],
                                  _layer_merge(merge, name))
        model.train_count += 1
    finally:
        encoded.unpersist()
        vocabulary.destroy()
        shell.destroy()
    model.wv.norms = None
    return model
