"""The gensim-compatible word2vec model of w2vx.

``from w2vx import Word2Vec`` replaces ``from gensim.models import Word2Vec``:
same constructor parameters and defaults as gensim 4.4, same ``build_vocab`` /
``train`` signatures, ``wv`` is a real :class:`gensim.models.KeyedVectors`
wrapped around the very array the C kernel trains.  Training runs in
``workers`` threads that hold no GIL (Hogwild updates); the data flow is

    corpus -> vocab tables (w2vx.vocab) -> int32 id batches -> _train kernel
    corpus_file -> each thread reads its byte range in C (_corpusfile) -> same kernel

Differences from gensim, all deliberate:

* sentences are never truncated (gensim cuts at 10,000 tokens);
* ties in ``sorted_vocab`` keep first-occurrence order (gensim 4.4 reverses them);
* negative words come from an O(1) alias table (gensim bisects ``cum_table``);
* the learning rate falls with the words trained by all threads together, for
  ``corpus_file`` too (gensim's corpus_file threads each count only their own
  words, so its alpha decays ``workers`` times slower within an epoch);
* ``score()`` sums exact ``log sigma`` terms (gensim uses a table and skips
  arguments beyond +-6);
* ``corpus_file`` may be ``.gz`` (decompressed once per ``train()`` call to a
  temporary file in ``tempfile.gettempdir()``, deleted afterwards);
* ``corpus_file`` lines are split on ASCII whitespace, in C (gensim's
  ``LineSentence`` uses ``str.split()``, which also splits on Unicode spaces);
* a first sentence that is a ``str`` is refused (gensim only warns and then
  trains on its characters);
* ``save``/``load`` use gensimx's pickle-free archive; ``to_gensim()`` gives a
  gensim model for everything else;
* tokens must be ``str`` that encode to UTF-8 (gensim trains any hashable
  token): others are refused when the vocabulary is built, since they could not
  be saved as text and read back as the same word;
* ``workers`` above the CPUs this process may use trains with that many threads
  (``model.workers`` keeps the value given, as gensim's does).
"""
from __future__ import annotations

import logging
import math
import numbers
import os
import queue
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import GeneratorType
from typing import Any, NamedTuple

import numpy as np
from gensim.models import KeyedVectors
from gensim.models import Word2Vec as GensimWord2Vec

from _gensimx.cpus import thread_count
from _gensimx.inputs import open_input
from w2vx import vocab as vocab_mod
from w2vx._archive import MetaFields, ModelFileError, open_archive, save_archive
from w2vx._corpusfile import VocabHash, train_file_range
from w2vx._train import KernelModel, encode_sentences, release_free_memory

logger = logging.getLogger("w2vx")

REAL = np.float32
# Inner nodes of the Huffman tree (those nearest the root) whose syn1 rows each thread
# updates in a private copy when workers > 1, adding its changes to the shared rows
# every HOT_FLUSH_WORDS words (w2vx/_train.pyx, RowCache).  Every prediction walks
# through the root, so with shared rows these few rows bounce between the cores' caches
# on every word.  Measured on 20 MB of IMDB, CBOW-hs, 2 threads, corpus_file: 1.84M ->
# 2.53M words/s (medians of 3), and 0.58M -> 1.79M when the host had put the two vCPUs
# on cores without a shared cache.  The same copies for the most frequent words' syn0 /
# syn1neg rows (HOT_WORDS) did not pay: SG-neg unchanged, CBOW-neg 8% slower, so they
# are off by default.  512 rows cost 0.4 MB (copy and base) per thread.  The flush
# interval is short because a long one hurts quality: with 65,536 words, two threads
# each moved a hot row by a full period of stale gradients and the sum overshot (the
# IMDB test of tests/test_w2vx_corpusfile.py failed).
HOT_WORDS = 0
HOT_NODES = 512
HOT_FLUSH_WORDS = 4096
ARCHIVE_KIND = "w2vx.Word2Vec"
# Words per training job of the iterable path: at least batch_words, and up to
# MAX_JOB_WORDS on large corpora so that a worker rarely waits for the GIL
# between jobs (the producer thread holds it while reading and encoding);
# at most 1/8 of an epoch per worker so that every thread gets work.  Queued jobs
# are memory: 250,000 words per job cost 3 MB more peak RSS on IMDB than 50,000.
MAX_JOB_WORDS = 50_000
# Largest values the kernel's C ints hold; negative also sizes each thread's scratch
# (two int64 slots per sample), so it is held far below 2**31.
MAX_INT32 = 2**31 - 1
MAX_NEGATIVE = 1 << 20
MAX_COUNT = 2**63 - 1  # counts are int64

# constructor parameters stored in saved models and copied by to_gensim()
_PARAMS = ("vector_size", "alpha", "window", "min_count", "max_vocab_size", "sample", "seed",
           "workers", "min_alpha", "sg", "hs", "negative", "ns_exponent", "cbow_mean", "epochs",
           "null_word", "sorted_vocab", "batch_words", "compute_loss", "comment",
           "max_final_vocab", "shrink_windows")


class TrainingProgress(NamedTuple):
    """What a ``progress_callback`` receives every ``report_delay`` seconds and at each epoch end."""
    epoch: int                   # 0-based epoch being trained
    epochs: int
    epoch_fraction: float        # share of this epoch done, 0..1
    raw_words: int               # words read in this epoch
    effective_words: int         # words trained in this epoch (after OOV removal and subsampling)
    words_per_sec: float         # effective words per second in this epoch
    alpha: float                 # current learning rate


def _without_huffman_paths(expandos: dict) -> dict:
    """``expandos`` without its 'code' / 'point' entries, read as stored (``dict.items``
    builds no pending LazyVecattrs entry): they are rebuilt from the new tree."""
    return {k: v for k, v in dict.items(expandos) if k not in ("code", "point")}


def _mix_seed(*parts: int) -> int:
    """A 64-bit seed from integers (splitmix64 steps), so every job has its own LCG stream."""
    state = 0x9E3779B97F4A7C15
    mask = (1 << 64) - 1
    for part in parts:
        state = (state + (int(part) & mask) + 0x9E3779B97F4A7C15) & mask
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        state = z ^ (z >> 31)
    return state


def _check_number(name: str, value: Any, minimum: float, integer: bool = False,
                  strict: bool = False, maximum: float | None = None) -> None:
    """Raise a clear error unless ``value`` is a finite number >= (or >) ``minimum``
    (and <= ``maximum``)."""
    kind = numbers.Integral if integer else numbers.Real
    if isinstance(value, bool) or not isinstance(value, kind):
        raise TypeError(f"{name} must be {'an integer' if integer else 'a number'}, got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if value < minimum or (strict and value == minimum):
        raise ValueError(f"{name} must be {'>' if strict else '>='} {minimum}, got {value!r}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value!r}")


def _check_corpus(corpus_iterable: Any, corpus_file: Any, passes: int) -> None:
    """gensim's corpus checks (with its messages), plus a clear error for a missing file."""
    if corpus_file is None and corpus_iterable is None:
        raise TypeError("Either one of corpus_file or corpus_iterable value must be provided")
    if corpus_file is not None and corpus_iterable is not None:
        raise TypeError("Both corpus_file and corpus_iterable must not be provided at the same time")
    if corpus_file is not None:
        if not isinstance(corpus_file, (str, os.PathLike)):
            raise TypeError(f"corpus_file must be a path, got {corpus_file!r}")
        if not os.path.isfile(corpus_file):
            raise FileNotFoundError(f"corpus_file {os.fspath(corpus_file)!r} does not exist or is not a file")
        return
    if isinstance(corpus_iterable, (str, bytes)) or not isinstance(corpus_iterable, Iterable):
        raise TypeError(
            "The corpus_iterable must be an iterable of lists of strings, got %r instead" % (corpus_iterable,))
    if isinstance(corpus_iterable, GeneratorType) and passes > 1:
        raise TypeError(
            f"Using a generator as corpus_iterable can't support {passes} passes. Try a re-iterable sequence.")


def _params_from_meta(fields: MetaFields) -> dict[str, Any]:
    """The constructor parameters stored in a model file, each checked for type and range."""
    integer, number = fields.integer, fields.number
    return {
        "vector_size": integer("vector_size", 1, MAX_INT32), "alpha": number("alpha", 0),
        "window": integer("window", 1, MAX_INT32), "min_count": integer("min_count", 0, MAX_COUNT),
        "max_vocab_size": integer("max_vocab_size", 1, optional=True), "sample": number("sample", 0),
        "seed": integer("seed", 0), "workers": integer("workers", 1),
        "min_alpha": number("min_alpha", 0), "sg": integer("sg", 0, 1), "hs": integer("hs", 0, 1),
        "negative": integer("negative", 0, MAX_NEGATIVE), "ns_exponent": number("ns_exponent"),
        "cbow_mean": integer("cbow_mean", 0, 1), "epochs": integer("epochs", 1),
        "null_word": integer("null_word", 0), "sorted_vocab": integer("sorted_vocab", 0),
        "batch_words": integer("batch_words", 1), "compute_loss": fields.boolean("compute_loss"),
        "comment": fields.string("comment", optional=True),
        "max_final_vocab": integer("max_final_vocab", 1, optional=True),
        "shrink_windows": fields.boolean("shrink_windows"),
    }


class Word2Vec:
    """Word2vec (skip-gram / CBOW, hierarchical softmax / negative sampling) with gensim's API.

    Parameters are gensim 4.4's, with the same defaults and meaning; see
    :class:`gensim.models.Word2Vec`.  ``hashfxn`` is accepted and ignored
    (initial vectors come from ``seed`` through gensim's own initialiser, so a
    w2vx and a gensim model with the same seed and vocabulary start from the
    same vectors).

    Parameters
    ----------
    sentences : iterable of list of str, optional
        A restartable corpus (list, ``LineSentence``, ``Text8Corpus``, ...).  If
        given (or ``corpus_file``), the vocabulary is built and the model trained.
    corpus_file : str or PathLike, optional
        A text file, one sentence per line, tokens separated by whitespace
        (``.gz`` accepted).  Read in C by every worker thread.
    vector_size, alpha, window, min_count, max_vocab_size, sample, seed, workers,
    min_alpha, sg, hs, negative, ns_exponent, cbow_mean, hashfxn, epochs,
    null_word, trim_rule, sorted_vocab, batch_words, compute_loss, callbacks,
    comment, max_final_vocab, shrink_windows
        As in gensim.

    Attributes
    ----------
    wv : gensim.models.KeyedVectors
        The word vectors; ``wv.vectors`` is the array the kernel updates in place.
        ``wv.get_vecattr(word, 'count' | 'sample_int' | 'code' | 'point')`` as in gensim.
    syn1, syn1neg : ndarray or None
        Output weights for hierarchical softmax / negative sampling.
    corpus_count, corpus_total_words : int
        Sentences and words seen by the last ``build_vocab``.

    Examples
    --------
    >>> from gensim.test.utils import common_texts
    >>> from w2vx import Word2Vec
    >>> model = Word2Vec(common_texts, vector_size=20, min_count=1, workers=1, epochs=2)
    >>> model.wv["computer"].shape
    (20,)

    Progress: training logs gensim-style lines on ``logging.getLogger("w2vx")``
    every ``report_delay`` seconds; ``train(..., progress_callback=f)`` also
    calls ``f(TrainingProgress(...))`` at the same moments (for a live progress line).
    """

    def __init__(self, sentences: Iterable | None = None, corpus_file: str | os.PathLike | None = None,
                 vector_size: int = 100, alpha: float = 0.025, window: int = 5, min_count: int = 5,
                 max_vocab_size: int | None = None, sample: float = 1e-3, seed: int = 1,
                 workers: int = 3, min_alpha: float = 0.0001, sg: int = 0, hs: int = 0,
                 negative: int = 5, ns_exponent: float = 0.75, cbow_mean: int = 1,
                 hashfxn: Callable = hash, epochs: int = 5, null_word: int = 0,
                 trim_rule: Callable | None = None, sorted_vocab: int = 1, batch_words: int = 10000,
                 compute_loss: bool = False, callbacks: Sequence = (), comment: str | None = None,
                 max_final_vocab: int | None = None, shrink_windows: bool = True) -> None:
        self.vector_size = vector_size
        self.alpha = alpha
        self.window = window
        self.min_count = min_count
        self.max_vocab_size = max_vocab_size
        self.sample = sample
        self.seed = seed
        self.workers = workers
        self.min_alpha = min_alpha
        self.sg = int(sg)
        self.hs = int(hs)
        self.negative = negative
        self.ns_exponent = ns_exponent
        self.cbow_mean = int(cbow_mean)
        self.hashfxn = hashfxn
        self.epochs = epochs
        self.null_word = null_word
        self.sorted_vocab = sorted_vocab
        self.batch_words = batch_words
        self.compute_loss = bool(compute_loss)
        self.comment = comment
        self.max_final_vocab = max_final_vocab
        self.shrink_windows = bool(shrink_windows)
        self._check_params()

        self.layer1_size = vector_size
        self.wv = KeyedVectors(vector_size)
        self.wv.vectors_lockf = np.ones(1, dtype=REAL)  # gensim's no-op lock factors
        self.syn1: np.ndarray | None = None
        self.syn1neg: np.ndarray | None = None
        self.corpus_count = 0
        self.corpus_total_words = 0
        self.effective_min_count = min_count
        self.raw_vocab: dict[str, int] | None = None
        self.running_training_loss = 0.0
        self.train_count = 0
        self.total_train_time = 0.0
        self._keep_prob = np.ones(0, dtype=REAL)
        self._tables: dict[str, np.ndarray] = {}

        if sentences is not None or corpus_file is not None:
            _check_corpus(sentences, corpus_file, passes=epochs + 1)
            self.build_vocab(corpus_iterable=sentences, corpus_file=corpus_file, trim_rule=trim_rule)
            self.train(corpus_iterable=sentences, corpus_file=corpus_file, total_examples=self.corpus_count,
                       total_words=self.corpus_total_words, epochs=self.epochs, start_alpha=self.alpha,
                       end_alpha=self.min_alpha, compute_loss=self.compute_loss, callbacks=callbacks)
        elif trim_rule is not None or callbacks:
            logger.warning("trim_rule and callbacks are only used when a corpus is given; ignored here")

    # ------------------------------------------------------------------ checks
    def _check_params(self) -> None:
        """Refuse parameters the kernel cannot train with, with a message naming the parameter."""
        _check_number("vector_size", self.vector_size, 1, integer=True, maximum=MAX_INT32)
        _check_number("window", self.window, 1, integer=True, maximum=MAX_INT32)
        _check_number("epochs", self.epochs, 1, integer=True)
        _check_number("workers", self.workers, 1, integer=True)  # runs are capped at the CPUs
        _check_number("seed", self.seed, 0, integer=True)
        _check_number("min_count", self.min_count, 0, integer=True)
        _check_number("negative", self.negative, 0, integer=True, maximum=MAX_NEGATIVE)
        for flag in ("sg", "hs", "cbow_mean"):  # gensim's {0, 1}
            _check_number(flag, getattr(self, flag), 0, integer=True, maximum=1)
        for flag in ("null_word", "sorted_vocab"):
            _check_number(flag, getattr(self, flag), 0, integer=True)
        _check_number("alpha", self.alpha, 0)
        _check_number("min_alpha", self.min_alpha, 0)
        _check_number("sample", self.sample, 0)
        _check_number("ns_exponent", self.ns_exponent, -math.inf)
        _check_number("batch_words", self.batch_words, 1, integer=True)
        if self.max_vocab_size is not None:
            _check_number("max_vocab_size", self.max_vocab_size, 1, integer=True)
        if self.max_final_vocab is not None:
            _check_number("max_final_vocab", self.max_final_vocab, 1, integer=True)
        if not self.hs and not self.negative:
            raise ValueError(
                "You must set either 'hs' or 'negative' to be positive for proper training. "
                "When both 'hs=0' and 'negative=0', there will be no training.")

    # ------------------------------------------------------------ vocabulary
    def build_vocab(self, corpus_iterable: Iterable | None = None, corpus_file: str | None = None,
                    update: bool = False, progress_per: int = 10000, keep_raw_vocab: bool = False,
                    trim_rule: Callable | None = None, **kwargs: Any) -> None:
        """Count the corpus and build the vocabulary, weights and sampling tables.

        Parameters
        ----------
        corpus_iterable : iterable of list of str, optional
        corpus_file : str, optional
        update : bool
            Add new words to an existing vocabulary (their vectors start random,
            existing vectors are kept).
        progress_per : int
            Sentences between progress log lines.
        keep_raw_vocab : bool
            Keep ``raw_vocab`` (the untrimmed counts) after building.
        trim_rule : callable, optional
            gensim trim rule ``(word, count, min_count) -> RULE_*``.

        Raises
        ------
        ValueError
            Empty corpus, or no word reaching min_count.
        """
        self._check_params()
        _check_corpus(corpus_iterable, corpus_file, passes=1)
        scan = vocab_mod.scan_vocab(corpus_iterable=corpus_iterable, corpus_file=corpus_file,
                                    max_vocab_size=self.max_vocab_size, trim_rule=trim_rule,
                                    progress_per=progress_per)
        if scan.total_words == 0:
            raise ValueError("the corpus is empty: it has no words to build a vocabulary from")
        logger.info("collected %i word types from a corpus of %i raw words and %i sentences",
                    len(scan.raw_vocab), scan.total_words, scan.corpus_count)
        self.corpus_count = scan.corpus_count
        self.corpus_total_words = scan.total_words
        self._prepare_vocab(scan.raw_vocab, update=update, trim_rule=trim_rule)
        self.raw_vocab = scan.raw_vocab if keep_raw_vocab else None
        del scan
        release_free_memory()  # the scan's dictionary is gone: hand its pages back before training

    def build_vocab_from_freq(self, word_freq: dict[str, int], keep_raw_vocab: bool = False,
                              corpus_count: int | None = None, trim_rule: Callable | None = None,
                              update: bool = False) -> None:
        """Build the vocabulary from a ``{word: count}`` dictionary instead of a corpus.

        Words must be ``str`` (valid Unicode), counts whole numbers in ``[0, 2**63 - 1]``
        whose sum also fits there.

        Raises
        ------
        TypeError
            A word that is not a str, a count that is not a whole number.
        ValueError
            Empty, a negative or too large count, a word with a lone surrogate.
        """
        self._check_params()
        if not isinstance(word_freq, Mapping):
            raise TypeError(f"word_freq must be a mapping of word to count, got {type(word_freq).__name__}")
        if not word_freq:
            raise ValueError("word_freq is empty")
        if corpus_count is not None:
            _check_number("corpus_count", corpus_count, 0, integer=True)
        raw_vocab = dict(word_freq)
        vocab_mod.check_words(raw_vocab, "word_freq")
        total = 0
        for word, count in raw_vocab.items():
            if type(count) is not int or not 0 <= count <= MAX_COUNT:  # the message only on failure
                _check_number(f"the count of {word!r:.40}", count, 0, integer=True, maximum=MAX_COUNT)
            total += int(count)
        if total > MAX_COUNT:
            raise ValueError(f"the counts of word_freq sum to {total}, more than 2**63 - 1")
        raw_vocab = {word: int(count) for word, count in raw_vocab.items()}
        self.corpus_count = int(corpus_count or 0)
        self.corpus_total_words = total
        self._prepare_vocab(raw_vocab, update=update, trim_rule=trim_rule)
        self.raw_vocab = raw_vocab if keep_raw_vocab else None

    def _prepare_vocab(self, raw_vocab: dict[str, int], update: bool, trim_rule: Callable | None) -> None:
        """Trim, sort, compute keep probabilities, grow the weights and rebuild the tables."""
        wv = self.wv
        self.effective_min_count = vocab_mod.effective_min_count(raw_vocab, self.min_count, self.max_final_vocab)
        retained = vocab_mod.retained_words(raw_vocab, self.effective_min_count, trim_rule)
        counts = np.array([raw_vocab[w] for w in retained], dtype=np.int64)
        keep = vocab_mod.keep_probabilities(counts, self.sample, int(counts.sum()))
        if not update:
            if not retained:
                raise ValueError(
                    f"no word occurs at least min_count={self.effective_min_count} times in the corpus "
                    f"({len(raw_vocab)} distinct words); lower min_count or use a larger corpus")
            words = list(retained)
            if self.null_word:
                words.append("\0")
                counts = np.append(counts, 1)
                keep = np.append(keep, 1.0)
            if self.sorted_vocab:
                order = vocab_mod.descending_count_order(counts)
                words = [words[i] for i in order]
                counts, keep = counts[order], keep[order]
            self.wv = wv = KeyedVectors(self.vector_size, count=0)
            wv.vectors_lockf = np.ones(1, dtype=REAL)
            wv.index_to_key = words
            wv.key_to_index = {w: i for i, w in enumerate(words)}
            wv.resize_vectors(seed=self.seed)  # gensim's initial vectors for this seed
            self._keep_prob = keep.astype(REAL)
            all_counts = counts
            self.syn1 = np.zeros((len(words), self.vector_size), dtype=REAL) if self.hs else None
            self.syn1neg = np.zeros((len(words), self.vector_size), dtype=REAL) if self.negative else None
        else:
            if not len(wv):
                raise RuntimeError(
                    "You cannot do an online vocabulary-update of a model which has no prior vocabulary. "
                    "First build the vocabulary of your model with a corpus before doing an online update.")
            old_size = len(wv)
            old_counts = np.asarray(wv.expandos["count"], dtype=np.int64)
            new_words = [w for w in retained if w not in wv.key_to_index]
            for w in new_words:
                wv.key_to_index[w] = len(wv.index_to_key)
                wv.index_to_key.append(w)
            # the old code/point entries are stale: drop them unbuilt (resize_vectors would
            # build them to resize them)
            wv.expandos = _without_huffman_paths(wv.expandos)
            wv.resize_vectors(seed=self.seed)  # keeps the old rows, random new rows
            # gensim adds this corpus' counts to every known word
            all_counts = np.concatenate([old_counts, np.zeros(len(new_words), dtype=np.int64)])
            added = np.array([raw_vocab.get(w, 0) for w in wv.index_to_key], dtype=np.int64)
            if np.any(all_counts > MAX_COUNT - added):
                raise ValueError("this update would take a word's count past 2**63 - 1")
            all_counts += added
            # and recomputes keep probabilities of the retained words from this corpus' counts
            self._keep_prob = np.concatenate([self._keep_prob, np.ones(len(new_words), dtype=REAL)])
            self._keep_prob[[wv.key_to_index[w] for w in retained]] = keep
            gained = len(wv) - old_size
            if self.hs:
                self.syn1 = np.vstack([self.syn1, np.zeros((gained, self.vector_size), dtype=REAL)])
            if self.negative:
                self.syn1neg = np.vstack([self.syn1neg, np.zeros((gained, self.vector_size), dtype=REAL)])
        self._set_vocab_tables(all_counts)
        logger.info("vocabulary of %i words (effective_min_count=%i), sample=%g downsamples %i words",
                    len(wv), self.effective_min_count, self.sample, int((self._keep_prob < 1).sum()))

    def _set_vocab_tables(self, counts: np.ndarray) -> None:
        """Store counts (and gensim's per-word attributes) and build the kernel's tables."""
        wv = self.wv
        wv.allocate_vecattrs(attrs=["count", "sample_int"], types=[np.int64, np.uint32])
        wv.expandos["count"][:] = counts
        wv.expandos["sample_int"][:] = vocab_mod.gensim_sample_ints(self._keep_prob)
        tables: dict[str, np.ndarray] = {}
        if self.hs:
            codes, points, offsets = vocab_mod.huffman_tables(counts)
            tables.update(codes=codes, points=points, code_offsets=offsets)
            # gensim's per-word 'code' / 'point' arrays: views into the kernel's flat
            # tables (uint32 points are the same bits as the kernel's int32 ones, since
            # inner-node ids are below 2**31), built only when asked for (see LazyVecattrs)
            builders = {"code": lambda: vocab_mod.per_word_slices(codes, offsets),
                        "point": lambda: vocab_mod.per_word_slices(points.view(np.uint32), offsets)}
        else:
            builders = {}
        wv.expandos = vocab_mod.LazyVecattrs(_without_huffman_paths(wv.expandos), builders)
        if self.negative:
            tables["alias_prob"], tables["alias_index"] = vocab_mod.negative_table(counts, self.ns_exponent)
        self._tables = tables

    # ---------------------------------------------------------------- training
    def _job_seed(self, epoch: int, job: int) -> int:
        """The LCG seed of one job (or corpus_file thread) of one epoch of this train() call.

        Every train() call draws new streams: a loop of ``train(..., epochs=1)``
        calls (a common gensim pattern) must not repeat the same windows,
        subsamples and negatives each time.  The first call keeps the streams of
        earlier w2vx versions, so a single train() gives the same vectors as before.
        """
        if self.train_count == 0:
            return _mix_seed(self.seed, epoch, job)
        return _mix_seed(self.seed, self.train_count, epoch, job)

    def _kernel(self, compute_loss: bool) -> KernelModel:
        """The kernel's view of the current weights and tables (checked, no copies)."""
        n, size = len(self.wv), self.vector_size
        vectors = self.wv.vectors
        if (not isinstance(vectors, np.ndarray) or vectors.dtype != REAL or vectors.shape != (n, size)
                or not vectors.flags.c_contiguous or not vectors.flags.writeable):
            raise ValueError(f"wv.vectors must be a writeable C-contiguous float32 array of shape {(n, size)}")
        for name in ("syn1", "syn1neg"):
            arr = getattr(self, name)
            if arr is not None and (arr.dtype != REAL or arr.shape != (n, size) or not arr.flags.c_contiguous):
                raise ValueError(f"{name} must be a C-contiguous float32 array of shape {(n, size)}")
        empty_2d = np.zeros((0, size), dtype=REAL)
        t = self._tables
        hot = min(HOT_NODES, n)
        counts = self.wv.expandos["count"] if "count" in self.wv.expandos else np.zeros(n, dtype=np.int64)
        # inner nodes are numbered in the order word2vec.c's construction creates them,
        # by increasing count: the highest ids (the root is n - 2) are on the most paths
        hot_nodes = np.arange(max(n - 2, 0), max(n - 2 - hot, -1), -1, dtype=np.int64) if self.hs and n > 1 else None
        return KernelModel(
            vectors, self.syn1 if self.hs else empty_2d, self.syn1neg if self.negative else empty_2d,
            self._keep_prob if self.sample else None,
            t.get("alias_prob", np.zeros(0, REAL)), t.get("alias_index", np.zeros(0, np.int32)),
            t.get("codes", np.zeros(0, np.uint8)), t.get("points", np.zeros(0, np.int32)),
            t.get("code_offsets", np.zeros(0, np.int64)),
            self.sg, self.hs, self.negative, self.window, self.cbow_mean, int(self.shrink_windows),
            int(compute_loss), hot_words=np.argsort(-counts, kind="stable")[:min(HOT_WORDS, n)], hot_nodes=hot_nodes,
            hot_flush_words=HOT_FLUSH_WORDS)

    def train(self, corpus_iterable: Iterable | None = None, corpus_file: str | None = None,
              total_examples: int | None = None, total_words: int | None = None,
              epochs: int | None = None, start_alpha: float | None = None,
              end_alpha: float | None = None, word_count: int = 0, queue_factor: int = 2,
              report_delay: float = 1.0, compute_loss: bool = False, callbacks: Sequence = (),
              progress_callback: Callable[[TrainingProgress], None] | None = None,
              **kwargs: Any) -> tuple[int, int]:
        """Train the vectors; the learning rate falls linearly over all words of all epochs.

        Parameters
        ----------
        corpus_iterable : iterable of list of str, optional
            Restartable when ``epochs > 1`` (a generator is refused).
        corpus_file : str, optional
            Text file (``.gz`` accepted), read by every worker thread in C.
        total_examples : int, optional
            Sentences per epoch (for progress and alpha), e.g. ``model.corpus_count``.
        total_words : int, optional
            Raw words per epoch; required with ``corpus_file`` (gensim's rule).
        epochs : int
        start_alpha, end_alpha : float, optional
            Default ``alpha`` and ``min_alpha``.
        word_count : int
            Ignored (gensim compatibility).
        queue_factor : int
            Jobs queued per worker thread.
        report_delay : float
            Seconds between progress reports.
        compute_loss : bool
            Accumulate the training loss (read with :meth:`get_latest_training_loss`).
        callbacks : sequence of gensim.models.callbacks.CallbackAny2Vec
        progress_callback : callable, optional
            Called with a :class:`TrainingProgress` every ``report_delay`` seconds
            and at each epoch end, from the calling thread.

        Returns
        -------
        (effective_words, raw_words) : tuple of int
            Words trained (after subsampling) and words read, over all epochs.
        """
        self._check_params()
        if not len(self.wv):
            raise RuntimeError("you must first build vocabulary before training the model")
        if epochs is None or isinstance(epochs, bool) or not isinstance(epochs, numbers.Integral) or epochs <= 0:
            raise ValueError("You must specify an explicit epochs count. The usual value is epochs=model.epochs.")
        _check_corpus(corpus_iterable, corpus_file, passes=epochs)
        if total_words is None and total_examples is None:
            raise ValueError(
                "You must specify either total_examples or total_words, for proper learning-rate "
                "and progress calculations. "
                "If you've just built the vocabulary using the same corpus, using the count cached "
                "in the model is sufficient: total_examples=model.corpus_count.")
        if corpus_file is not None and not total_words:
            raise ValueError("training from corpus_file needs total_words (e.g. model.corpus_total_words)")
        for name, value in (("total_examples", total_examples), ("total_words", total_words)):
            if value is not None:
                _check_number(name, value, 0, integer=True, strict=True, maximum=MAX_COUNT)
        start_alpha = self.alpha if start_alpha is None else start_alpha
        end_alpha = self.min_alpha if end_alpha is None else end_alpha
        _check_number("start_alpha", start_alpha, 0)
        _check_number("end_alpha", end_alpha, 0)
        _check_number("report_delay", report_delay, 0)
        _check_number("queue_factor", queue_factor, 1, integer=True)
        if self.hs and self.negative:
            logger.warning("Both hierarchical softmax and negative sampling are activated.")

        threads = thread_count("workers", self.workers)  # self.workers keeps what was asked
        kernel = self._kernel(compute_loss)
        self.compute_loss = bool(compute_loss)
        self.running_training_loss = 0.0
        self.epochs = epochs
        schedule = _Schedule(float(start_alpha), float(end_alpha), epochs)
        temporary = None
        if corpus_file is not None and os.fspath(corpus_file).endswith(".gz"):
            temporary = _decompress(os.fspath(corpus_file))
        trained = raw = 0
        start = time.perf_counter()
        try:
            for callback in callbacks:
                callback.on_train_begin(self)
            if corpus_file is not None:
                runner = _FileEpoch(self, kernel, temporary or os.fspath(corpus_file), int(total_words),
                                    threads)
            else:
                runner = _IterableEpoch(self, kernel, corpus_iterable, total_examples, total_words,
                                        queue_factor, threads)
            for epoch in range(epochs):
                for callback in callbacks:
                    callback.on_epoch_begin(self)
                reporter = _Reporter(epoch, epochs, report_delay, progress_callback)
                epoch_trained, epoch_raw, loss = runner.run(epoch, schedule, reporter)
                trained += epoch_trained
                raw += epoch_raw
                self.running_training_loss += loss
                reporter.epoch_end(epoch_raw, epoch_trained, schedule.alpha(epoch + 1, 0.0))
                for callback in callbacks:
                    callback.on_epoch_end(self)
            for callback in callbacks:
                callback.on_train_end(self)
        finally:
            if temporary is not None:
                os.unlink(temporary)
        elapsed = time.perf_counter() - start
        self.train_count += 1
        self.total_train_time += elapsed
        if self.wv.norms is not None:
            # recomputed and swapped in one assignment: a most_similar() running in another
            # thread must never see norms = None between its fill_norms() and its use of them
            self.wv.fill_norms(force=True)
        logger.info("training on %i raw words (%i effective words) took %.1fs, %.0f effective words/s",
                    raw, trained, elapsed, trained / max(elapsed, 1e-9))
        return trained, raw

    def get_latest_training_loss(self) -> float:
        """Loss summed over the last ``train()`` call (needs ``compute_loss=True``)."""
        return self.running_training_loss

    # -------------------------------------------------------------- inference
    def predict_output_word(self, context_words_list: Sequence[str], topn: int = 10
                            ) -> list[tuple[str, float]] | None:
        """Most probable centre words for a context, from the negative-sampling output layer.

        Returns None (with a warning) when no context word is in the vocabulary.
        """
        if not self.negative:
            raise RuntimeError(
                "We have currently only implemented predict_output_word for the negative sampling scheme, "
                "so you need to have run word2vec with negative > 0 for this to work.")
        indices = [self.wv.key_to_index[w] for w in context_words_list if w in self.wv.key_to_index]
        if not indices:
            logger.warning("All the input context words are out-of-vocabulary for the current model.")
            return None
        hidden = self.wv.vectors[indices].sum(axis=0)
        if self.cbow_mean:
            hidden /= len(indices)
        logits = self.syn1neg @ hidden
        prob = np.exp(logits - logits.max())
        prob /= prob.sum()
        top = np.argsort(-prob, kind="stable")[:topn]
        return [(self.wv.index_to_key[i], float(prob[i])) for i in top]

    def score(self, sentences: Iterable, total_sentences: int = int(1e6), chunksize: int = 100,
              queue_factor: int = 2, report_delay: float = 1) -> np.ndarray:
        """Log-probability of each sentence under the model (hierarchical softmax only).

        Uses the full window (no shrinking, no subsampling); every (context, word)
        term is the exact ``log sigma`` of its inner-node score.

        Returns
        -------
        ndarray of float32, one entry per sentence (at most ``total_sentences``).
        """
        if not self.hs:
            raise RuntimeError(
                "We have currently only implemented score for the hierarchical softmax scheme, "
                "so you need to have run word2vec with hs=1 and negative=0 for this to work.")
        kernel = self._kernel(False)
        scores: list[np.ndarray] = []
        batch: list = []
        n = 0
        for sentence in sentences:
            if n >= total_sentences:
                break
            batch.append(sentence)
            n += 1
            if len(batch) >= max(chunksize, 1):
                scores.append(kernel.score_job(*encode_sentences(batch, self.wv.key_to_index, len(self.wv))[:2]))
                batch = []
        if batch:
            scores.append(kernel.score_job(*encode_sentences(batch, self.wv.key_to_index, len(self.wv))[:2]))
        return np.concatenate(scores).astype(REAL) if scores else np.zeros(0, dtype=REAL)

    # -------------------------------------------------------------- save/load
    def save(self, fname: str | os.PathLike, *args: Any, **kwargs: Any) -> None:
        """Save the model to one pickle-free file (see :mod:`w2vx._archive`)."""
        words = [w.encode("utf-8") for w in self.wv.index_to_key]
        lengths = np.fromiter((len(w) for w in words), dtype=np.int64, count=len(words))
        arrays = {
            "vectors": self.wv.vectors,
            "counts": np.asarray(self.wv.expandos.get("count", np.zeros(0)), dtype=np.int64),
            "keep_prob": self._keep_prob,
            "word_bytes": np.frombuffer(b"".join(words), dtype=np.uint8),
            "word_lengths": lengths,
        }
        if self.syn1 is not None:
            arrays["syn1"] = self.syn1
        if self.syn1neg is not None:
            arrays["syn1neg"] = self.syn1neg
        meta = {name: getattr(self, name) for name in _PARAMS}
        meta.update(corpus_count=self.corpus_count, corpus_total_words=self.corpus_total_words,
                    effective_min_count=self.effective_min_count,
                    running_training_loss=self.running_training_loss, train_count=self.train_count)
        save_archive(fname, ARCHIVE_KIND, arrays, meta)

    @classmethod
    def load(cls, fname: str | os.PathLike, *args: Any, **kwargs: Any) -> "Word2Vec":
        """Load a model saved by :meth:`save`; never unpickles.

        Every metadata field is checked (type and range) and every array's shape
        and dtype against them before anything is built or inflated.

        Raises
        ------
        FileNotFoundError
        w2vx._archive.ModelFileError
            Corrupt, truncated, inconsistent or of another kind.
        """
        path = os.fspath(fname)
        with open_archive(path, ARCHIVE_KIND) as archive:
            fields = MetaFields(archive.meta, path)
            params = _params_from_meta(fields)
            state = {"corpus_count": fields.integer("corpus_count", 0, default=0),
                     "corpus_total_words": fields.integer("corpus_total_words", 0, MAX_COUNT, default=0),
                     "effective_min_count": fields.integer("effective_min_count", 0, default=0),
                     "train_count": fields.integer("train_count", 0, default=0),
                     "running_training_loss": fields.number("running_training_loss", default=0.0)}
            try:
                model = cls(**params)
            except (TypeError, ValueError) as exc:
                raise ModelFileError(f"{path}: invalid model parameters: {exc}") from exc
            for name, value in state.items():
                setattr(model, name, value)
            lengths = archive.read("word_lengths", (None,), np.int64)
            # each word fits in the file, and the sum cannot wrap around in int64
            if len(lengths) and (lengths.min() < 0 or lengths.max() > archive.size
                                 or int(lengths.max()) * len(lengths) > MAX_COUNT):
                raise ModelFileError(f"{path}: vocabulary byte lengths out of range")
            blob = archive.read("word_bytes", (int(lengths.sum()),), np.uint8).tobytes()
            n, size = len(lengths), model.vector_size
            if n == 0:
                return model  # saved before build_vocab
            spec = {"vectors": ((n, size), REAL), "counts": ((n,), np.int64), "keep_prob": ((n,), REAL)}
            if model.hs:
                spec["syn1"] = ((n, size), REAL)
            if model.negative:
                spec["syn1neg"] = ((n, size), REAL)
            arrays = archive.read_all(spec)
        if (arrays["counts"] < 0).any() or not np.all((arrays["keep_prob"] >= 0) & (arrays["keep_prob"] <= 1)):
            raise ModelFileError(f"{path}: counts or keep probabilities out of range")
        for name in ("vectors", "syn1", "syn1neg"):
            if name in arrays and not np.isfinite(arrays[name]).all():
                raise ModelFileError(f"{path}: {name} holds NaN or infinite values")
        ends = np.cumsum(lengths)
        try:
            words = [blob[e - l:e].decode("utf-8") for e, l in zip(ends.tolist(), lengths.tolist())]
        except UnicodeDecodeError as exc:
            raise ModelFileError(f"{path}: vocabulary is not valid UTF-8") from exc
        if len(set(words)) != n:
            raise ModelFileError(f"{path}: vocabulary has duplicate words")
        wv = KeyedVectors(size, count=0)
        wv.vectors_lockf = np.ones(1, dtype=REAL)
        wv.index_to_key = words
        wv.key_to_index = {w: i for i, w in enumerate(words)}
        wv.vectors = arrays["vectors"]
        model.wv = wv
        model.syn1 = arrays["syn1"] if model.hs else None
        model.syn1neg = arrays["syn1neg"] if model.negative else None
        model._keep_prob = arrays["keep_prob"]
        model._set_vocab_tables(arrays["counts"])
        return model

    def to_gensim(self) -> GensimWord2Vec:
        """A :class:`gensim.models.Word2Vec` with this model's vocabulary, weights and tables
        (copies), ready to continue training in gensim."""
        params = {name: getattr(self, name) for name in _PARAMS}
        params["workers"] = thread_count("workers", self.workers)  # gensim starts that many threads
        model = GensimWord2Vec(**params)
        wv = KeyedVectors(self.vector_size, count=0)
        wv.index_to_key = list(self.wv.index_to_key)
        wv.key_to_index = dict(self.wv.key_to_index)
        wv.vectors = self.wv.vectors.copy()
        wv.vectors_lockf = np.ones(1, dtype=REAL)
        for attr in ("count", "sample_int", "code", "point"):
            if attr in self.wv.expandos:
                wv.expandos[attr] = self.wv.expandos[attr].copy()
        model.wv = wv
        if self.hs:
            model.syn1 = self.syn1.copy()
        if self.negative:
            model.syn1neg = self.syn1neg.copy()
            model.make_cum_table()
        model.corpus_count = self.corpus_count
        model.corpus_total_words = self.corpus_total_words
        model.effective_min_count = self.effective_min_count
        return model

    def __str__(self) -> str:
        return f"Word2Vec<vocab={len(self.wv)}, vector_size={self.vector_size}, alpha={self.alpha}>"

    __repr__ = __str__


# ---------------------------------------------------------------- internals
class _Schedule:
    """Linear learning-rate decay over all words of all epochs."""

    def __init__(self, start_alpha: float, end_alpha: float, epochs: int) -> None:
        self.start_alpha, self.end_alpha, self.epochs = start_alpha, end_alpha, epochs

    def alpha(self, epoch: int, epoch_fraction: float) -> float:
        fraction = min(max((epoch + min(max(epoch_fraction, 0.0), 1.0)) / self.epochs, 0.0), 1.0)
        return self.start_alpha - (self.start_alpha - self.end_alpha) * fraction


class _Reporter:
    """Progress lines (gensim style) every ``report_delay`` seconds, and the optional callback."""

    def __init__(self, epoch: int, epochs: int, report_delay: float,
                 callback: Callable[[TrainingProgress], None] | None) -> None:
        self.epoch, self.epochs, self.report_delay, self.callback = epoch, epochs, report_delay, callback
        self.start = self.last = time.perf_counter()

    def due(self) -> bool:
        return time.perf_counter() - self.last >= self.report_delay

    def report(self, fraction: float, raw_words: int, effective_words: int, alpha: float,
               final: bool = False) -> None:
        now = time.perf_counter()
        self.last = now
        speed = effective_words / max(now - self.start, 1e-9)
        if final:
            logger.info("EPOCH %i: training on %i raw words (%i effective words) took %.1fs, "
                        "%.0f effective words/s", self.epoch, raw_words, effective_words,
                        now - self.start, speed)
        else:
            logger.info("EPOCH %i - PROGRESS: at %.2f%% words, %.0f effective words/s, alpha %.6f",
                        self.epoch, 100.0 * fraction, speed, alpha)
        if self.callback is not None:
            self.callback(TrainingProgress(self.epoch, self.epochs, fraction, raw_words,
                                           effective_words, speed, alpha))

    def epoch_end(self, raw_words: int, effective_words: int, alpha: float) -> None:
        self.report(1.0, raw_words, effective_words, alpha, final=True)


def _decompress(path: str) -> str:
    """Decompress a ``.gz`` corpus once to a temporary file (the caller deletes it)."""
    handle, temporary = tempfile.mkstemp(prefix="w2vx-", suffix=".txt")
    try:
        with os.fdopen(handle, "wb") as out, open_input(path) as src:
            shutil.copyfileobj(src, out, 1 << 20)
    except BaseException:
        os.unlink(temporary)
        raise
    return temporary


class _IterableEpoch:
    """One epoch over a restartable iterable: a producer thread batches sentences and
    encodes them to int32 ids; ``workers`` threads train the batches without the GIL."""

    def __init__(self, model: Word2Vec, kernel: KernelModel, corpus: Iterable,
                 total_examples: int | None, total_words: int | None, queue_factor: int,
                 threads: int) -> None:
        self.model, self.kernel, self.corpus = model, kernel, corpus
        self.total_examples, self.total_words = total_examples, total_words
        self.queue_factor, self.threads = queue_factor, threads

    def _job_words(self) -> int:
        epoch_words = self.total_words or self.model.corpus_total_words
        return max(self.model.batch_words, min(MAX_JOB_WORDS, epoch_words // (8 * self.threads)))

    def _fraction(self, sentences: int, words: int) -> float:
        if self.total_words:
            return words / self.total_words
        return sentences / self.total_examples

    def run(self, epoch: int, schedule: _Schedule, reporter: _Reporter) -> tuple[int, int, float]:
        workers = self.threads
        jobs: queue.Queue = queue.Queue(maxsize=self.queue_factor * workers)
        done: queue.Queue = queue.Queue()
        errors: list[BaseException] = []
        stop = threading.Event()
        key_to_index = self.model.wv.key_to_index
        vocab_size = len(self.model.wv)
        job_words = self._job_words()

        def put(item: Any) -> bool:
            while not stop.is_set():
                try:
                    jobs.put(item, timeout=0.1)
                    return True
                except queue.Full:
                    continue
            return False

        def produce() -> None:
            # Sentences are encoded every batch_words words (so their token strings are
            # freed early) and the id arrays are joined into jobs of job_words words.
            sentences = words = job_no = 0
            batch: list = []
            batch_words = 0
            id_parts: list[np.ndarray] = []
            length_parts: list[np.ndarray] = []
            job_raw = job_sentences = 0
            try:
                def encode() -> None:
                    nonlocal batch, batch_words, job_raw, job_sentences
                    ids, offsets, raw = encode_sentences(batch, key_to_index, vocab_size)
                    id_parts.append(ids)
                    length_parts.append(np.diff(offsets))
                    job_raw += raw
                    job_sentences += len(batch)
                    batch, batch_words = [], 0

                def emit() -> bool:
                    nonlocal sentences, words, job_no, job_raw, job_sentences
                    ids = np.concatenate(id_parts)
                    offsets = np.zeros(job_sentences + 1, dtype=np.int64)
                    np.cumsum(np.concatenate(length_parts), out=offsets[1:])
                    id_parts.clear()
                    length_parts.clear()
                    alpha_start = schedule.alpha(epoch, self._fraction(sentences, words))
                    sentences += job_sentences
                    words += job_raw
                    alpha_end = schedule.alpha(epoch, self._fraction(sentences, words))
                    job = (ids, offsets, alpha_start, alpha_end, self.model._job_seed(epoch, job_no),
                           job_raw, job_sentences)
                    job_no += 1
                    job_raw = job_sentences = 0
                    return put(job)

                for sentence in self.corpus:
                    if not isinstance(sentence, list):
                        sentence = list(sentence)
                    batch.append(sentence)
                    batch_words += len(sentence)
                    if batch_words >= self.model.batch_words:
                        encode()
                        if job_raw >= job_words and not emit():
                            return
                if batch:
                    encode()
                if job_sentences:
                    emit()
            except BaseException as exc:  # surfaced in the calling thread
                errors.append(exc)
                stop.set()
            finally:
                for _ in range(workers):  # workers drain the queue until they see this
                    jobs.put(None)

        def work() -> None:
            try:
                while True:
                    job = jobs.get()
                    if job is None:
                        break
                    if stop.is_set():
                        continue
                    ids, offsets, alpha_start, alpha_end, job_seed, raw, n_sentences = job
                    effective, loss = self.kernel.train_job(ids, offsets, alpha_start, alpha_end, job_seed,
                                                            workers > 1)
                    done.put((effective, raw, n_sentences, loss, alpha_end))
            except BaseException as exc:
                errors.append(exc)
                stop.set()
                while True:  # let the producer finish
                    try:
                        if jobs.get(timeout=0.1) is None:
                            break
                    except queue.Empty:
                        if not producer.is_alive():
                            break
            finally:
                done.put(None)

        producer = threading.Thread(target=produce, name="w2vx-producer", daemon=True)
        threads = [threading.Thread(target=work, name=f"w2vx-worker-{i}", daemon=True) for i in range(workers)]
        producer.start()
        for thread in threads:
            thread.start()
        effective_total = raw_total = sentences_total = 0
        loss_total = 0.0
        alpha = schedule.alpha(epoch, 0.0)
        finished = 0
        try:
            while finished < workers:
                try:
                    item = done.get(timeout=0.05)
                except queue.Empty:
                    item = False
                if item is None:
                    finished += 1
                elif item:
                    effective, raw, n_sentences, loss, alpha = item
                    effective_total += effective
                    raw_total += raw
                    sentences_total += n_sentences
                    loss_total += loss
                if reporter.due():
                    reporter.report(min(self._fraction(sentences_total, raw_total), 1.0), raw_total,
                                    effective_total, alpha)
        except BaseException:  # e.g. KeyboardInterrupt: wind the threads down, then re-raise
            stop.set()
            producer.join()
            for thread in threads:
                thread.join()
            raise
        producer.join()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]
        return effective_total, raw_total, loss_total


class _FileEpoch:
    """One epoch over a corpus file: each worker thread trains its own byte range in C."""

    def __init__(self, model: Word2Vec, kernel: KernelModel, path: str, total_words: int,
                 threads: int) -> None:
        self.model, self.kernel, self.total_words, self.threads = model, kernel, total_words, threads
        self.path = os.fsencode(path)
        self.size = os.path.getsize(path)
        self.vocab = VocabHash(list(model.wv.index_to_key))

    def run(self, epoch: int, schedule: _Schedule, reporter: _Reporter) -> tuple[int, int, float]:
        workers = self.threads
        bounds = [self.size * i // workers for i in range(workers + 1)]
        progress = np.zeros((workers, 2), dtype=np.int64)
        stop = np.zeros(1, dtype=np.uint8)
        results: list[Any] = [None] * workers

        def work(i: int) -> None:
            try:
                results[i] = train_file_range(
                    self.kernel, self.vocab, self.path, bounds[i], bounds[i + 1], schedule.start_alpha,
                    schedule.end_alpha, epoch, schedule.epochs, self.total_words, progress, i,
                    self.model._job_seed(epoch, i), stop, workers > 1)
            except BaseException as exc:
                results[i] = exc

        threads = [threading.Thread(target=work, args=(i,), name=f"w2vx-file-{i}", daemon=True)
                   for i in range(workers)]
        for thread in threads:
            thread.start()
        try:
            for thread in threads:
                while thread.is_alive():
                    thread.join(timeout=0.05)
                    if reporter.due():
                        raw, effective = (int(x) for x in progress.sum(axis=0))
                        fraction = min(raw / self.total_words, 1.0)
                        reporter.report(fraction, raw, effective, schedule.alpha(epoch, fraction))
        except BaseException:  # e.g. KeyboardInterrupt: the C threads stop at their next line
            stop[0] = 1
            for thread in threads:
                thread.join()
            raise
        for result in results:
            if isinstance(result, BaseException):
                raise result
        effective = sum(r[0] for r in results)
        raw = sum(r[1] for r in results)
        loss = sum(r[3] for r in results)
        return effective, raw, loss
