"""Vocabulary of w2vx: counting, trimming, sorting, and the tables the kernel reads.

The counting and trimming rules are gensim 4.4's (``max_vocab_size`` pruning
while scanning through :func:`gensim.utils.prune_vocab`, ``min_count`` /
``trim_rule`` through :func:`gensim.utils.keep_vocab_item`, ``max_final_vocab``
raising the effective min_count), so the same corpus and settings give the
same words and counts as gensim.  Sorting is by descending count with ties in
first-occurrence order (gensim 4.4 breaks ties in reverse first-occurrence
order; word sets and counts agree).

Tables for the kernel (all flat numpy arrays indexed by word id):
keep probabilities for subsampling, the alias table for negative sampling,
Huffman codes/points for hierarchical softmax.
"""
from __future__ import annotations

import logging
import math
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
from gensim import utils

from _gensimx.inputs import open_input
from w2vx._huffman import build_huffman_tree
from w2vx._train import build_alias_table

logger = logging.getLogger("w2vx")

TrimRule = Callable[[str, int, int], int] | None


@dataclass
class ScanResult:
    """Raw counts of one corpus pass, in first-occurrence order."""
    raw_vocab: dict[str, int]
    total_words: int
    corpus_count: int


def _shown(token: object) -> str:
    text = repr(token)
    return text if len(text) <= 40 else text[:37] + "..."


def token_problem(token: object) -> str | None:
    """Why ``token`` cannot be a vocabulary word (None if it can).

    Words must be ``str`` that encode to UTF-8: the model file, word2vec.c's
    vector and vocabulary files and gensim's text formats all store words as
    UTF-8 text, so an ``int``, ``bytes`` or ``None`` token (which gensim's
    pickles keep) or a string holding a lone surrogate could be trained but
    never saved and read back as the same word.
    """
    if not isinstance(token, str):
        return f"{_shown(token)} of type {type(token).__name__}, not str"
    if not token.isascii():
        try:
            token.encode("utf-8")
        except UnicodeEncodeError:
            return f"{_shown(token)}, which holds a lone surrogate (not valid Unicode text)"
    return None


def _first_sentence_with(sentences: Iterable, word: object) -> int | None:
    """Index of the first sentence holding ``word`` (None for a one-shot iterator)."""
    if iter(sentences) is sentences:
        return None
    for number, sentence in enumerate(sentences):
        if any(type(token) is type(word) and token == word for token in sentence):
            return number
    return None


def _refuse_scanned_words(raw_vocab: dict, sentences: Iterable) -> None:
    """Refuse the counted words if one is not a valid word (see :func:`token_problem`),
    naming the first sentence that holds it.  Checked once per distinct word after the
    scan (a check per sentence cost 16% of the scan's time)."""
    for word in raw_vocab:
        problem = token_problem(word)
        if problem is None:
            continue
        number = _first_sentence_with(sentences, word)
        where = f"sentence #{number}" if number is not None else "the corpus"
        kind = ValueError if isinstance(word, str) else TypeError
        raise kind(f"{where} holds the token {problem}; words must be str that encode to UTF-8 "
                   f"(decode bytes to str first, with errors='strict' or 'replace')")


def check_words(words: Iterable[object], where: str) -> None:
    """Refuse any word of ``words`` that :func:`token_problem` rejects, naming ``where``."""
    for word in words:
        problem = token_problem(word)
        if problem is not None:
            kind = ValueError if isinstance(word, str) else TypeError
            raise kind(f"{where} holds the word {problem}; words must be str that encode to UTF-8")


def _count_sentences(sentences: Iterable, max_vocab_size: int | None, trim_rule: TrimRule,
                     progress_per: int, check_tokens: bool = True) -> ScanResult:
    """Count tokens of ``sentences`` (token lists), pruning as gensim does when the
    dictionary grows beyond ``max_vocab_size``.  With ``check_tokens``, the counted words
    are checked by :func:`token_problem` at the end; a corpus file's byte tokens are
    checked when they are decoded instead."""
    raw_vocab: dict = {}
    total_words = 0
    min_reduce = 1
    sentence_no = -1
    for sentence_no, sentence in enumerate(sentences):
        if sentence_no == 0 and isinstance(sentence, (str, bytes)):
            raise TypeError("each sentence must be a list of tokens, not a string "
                            f"(first item is {type(sentence).__name__}: {sentence[:40]!r})")
        if progress_per and sentence_no % progress_per == 0:
            logger.debug("PROGRESS: at sentence #%i, processed %i words, keeping %i word types",
                         sentence_no, total_words, len(raw_vocab))
        try:
            for word in sentence:
                raw_vocab[word] = raw_vocab.get(word, 0) + 1
        except TypeError:
            if not isinstance(sentence, Iterable):
                raise TypeError(f"sentence #{sentence_no} is a {type(sentence).__name__}, not a "
                                f"list of tokens") from None
            bad = next((w for w in sentence if getattr(w, "__hash__", None) is None), None)
            if bad is None:
                raise
            raise TypeError(f"sentence #{sentence_no} holds the token {token_problem(bad)}; words "
                            f"must be str") from None
        total_words += len(sentence)
        if max_vocab_size and len(raw_vocab) > max_vocab_size:
            utils.prune_vocab(raw_vocab, min_reduce, trim_rule=trim_rule)
            min_reduce += 1
    if check_tokens:
        _refuse_scanned_words(raw_vocab, sentences)
    return ScanResult(raw_vocab, total_words, sentence_no + 1)


def _file_sentences(path: str):
    """Lines of a corpus file split on ASCII whitespace, as the C reader of
    ``_corpusfile`` splits them (tokens stay bytes until the end of the scan)."""
    with open_input(path) as fh:
        for line in fh:
            yield line.split()


def scan_vocab(corpus_iterable: Iterable | None = None, corpus_file: str | None = None,
               max_vocab_size: int | None = None, trim_rule: TrimRule = None,
               progress_per: int = 10000) -> ScanResult:
    """Count every token of a corpus (one pass).

    Parameters
    ----------
    corpus_iterable : iterable of list of str, optional
    corpus_file : str, optional
        One sentence per line, whitespace-separated UTF-8 tokens; ``.gz`` accepted.
        Tokens are split exactly as the corpus_file trainer splits them.
    max_vocab_size : int, optional
        Prune rare words while scanning when the dictionary grows beyond this.
    trim_rule : callable, optional
        gensim trim rule, also applied while pruning.
    progress_per : int
        Log progress every this many sentences (at DEBUG level).

    Returns
    -------
    ScanResult

    Examples
    --------
    >>> scan_vocab([["a", "b", "a"]]).raw_vocab
    {'a': 2, 'b': 1}
    """
    if corpus_file is not None:
        scan = _count_sentences(_file_sentences(os.fspath(corpus_file)), max_vocab_size,
                                _bytes_rule(trim_rule), progress_per, check_tokens=False)
        # decode in first-seen order, dropping each bytes key as it is converted, so the
        # two dictionaries' strings are never all alive at once (the peak RSS of the scan)
        counts, decoded = scan.raw_vocab, {}
        try:
            for word in list(counts):
                decoded[word.decode("utf-8")] = counts.pop(word)
        except UnicodeDecodeError as exc:
            raise ValueError(f"{corpus_file} is not valid UTF-8: {exc}") from None
        scan.raw_vocab = decoded
        return scan
    return _count_sentences(corpus_iterable, max_vocab_size, trim_rule, progress_per)


def _bytes_rule(trim_rule: TrimRule) -> TrimRule:
    """A trim rule for byte tokens (the corpus_file scan counts bytes, decoded at the end)."""
    if trim_rule is None:
        return None
    return lambda word, count, min_count: trim_rule(word.decode("utf-8", "replace"), count, min_count)


def effective_min_count(raw_vocab: dict[str, int], min_count: int, max_final_vocab: int | None) -> int:
    """min_count raised, as gensim does, so that at most ``max_final_vocab`` words survive."""
    if max_final_vocab is None:
        return min_count
    counts = sorted(raw_vocab.values(), reverse=True)
    calc_min_count = 1
    if max_final_vocab < len(counts):
        calc_min_count = counts[max_final_vocab] + 1
    return max(calc_min_count, min_count)


def retained_words(raw_vocab: dict[str, int], min_count: int, trim_rule: TrimRule) -> list[str]:
    """Words of ``raw_vocab`` that gensim's ``keep_vocab_item`` keeps, in scan order."""
    return [word for word, count in raw_vocab.items()
            if utils.keep_vocab_item(word, count, min_count, trim_rule=trim_rule)]


def descending_count_order(counts: np.ndarray) -> np.ndarray:
    """Permutation sorting by descending count, ties in their current order."""
    return np.argsort(-np.asarray(counts, dtype=np.int64), kind="stable")


def sample_threshold(sample: float, retain_total: int) -> float:
    """gensim's downsampling threshold count: ``sample * retain_total`` for sample < 1,
    gensim's shorthand ``int(sample * (3 + sqrt(5)) / 2)`` for sample >= 1."""
    if sample < 1.0:
        return sample * retain_total
    return int(sample * (3 + math.sqrt(5)) / 2)


def keep_probabilities(counts: np.ndarray, sample: float, retain_total: int) -> np.ndarray:
    """word2vec.c's keep probability ``(sqrt(c/(s*T)) + 1) * (s*T)/c``, capped at 1.

    Parameters
    ----------
    counts : ndarray of int
    sample : float
        0 disables subsampling (all ones).
    retain_total : int
        T, the number of corpus words retained by min_count.

    Returns
    -------
    ndarray of float64
    """
    counts = np.asarray(counts, dtype=np.float64)
    if not sample:
        return np.ones(len(counts))
    threshold = sample_threshold(sample, retain_total)
    with np.errstate(divide="ignore"):
        prob = (np.sqrt(counts / threshold) + 1.0) * (threshold / counts)
    return np.minimum(np.nan_to_num(prob, nan=1.0, posinf=1.0), 1.0)


def gensim_sample_ints(keep_prob: np.ndarray) -> np.ndarray:
    """The same probabilities in gensim's ``sample_int`` form (uint32 thresholds)."""
    return (np.asarray(keep_prob, dtype=np.float64) * (2**32 - 1)).astype(np.uint32)


def negative_weights(counts: np.ndarray, ns_exponent: float) -> np.ndarray:
    """``count ** ns_exponent`` up to a common factor, finite for any counts and exponent.

    Where the plain powers would overflow (or all underflow), counts are divided
    by the largest count (by the smallest non-zero one for a negative exponent)
    first, so every weight lies in [0, 1] and one is exactly 1: counts up to
    2**63 and exponents such as 1000 give a valid distribution.
    A word of count 0 gets weight 0 for a negative exponent (``0 ** -e`` is
    infinite; a word never seen is never drawn); ``0 ** 0`` is 1, as in gensim.
    If every weight is 0 (every count 0), the distribution is uniform.
    """
    counts = np.asarray(counts, dtype=np.float64)
    exponent = float(ns_exponent)
    seen = counts > 0
    if exponent == 0 or not seen.any():
        return np.ones(len(counts))
    weights = np.zeros(len(counts))
    with np.errstate(over="ignore", under="ignore"):
        weights[seen] = counts[seen] ** exponent
        total = weights.sum()
        if not (math.isfinite(total) and total > 0):  # overflow, or every weight underflowed
            scale = counts.max() if exponent > 0 else counts[seen].min()
            weights[seen] = (counts[seen] / scale) ** exponent
    return weights


def negative_table(counts: np.ndarray, ns_exponent: float) -> tuple[np.ndarray, np.ndarray]:
    """Alias table for O(1) draws from the unigram**ns_exponent distribution."""
    return build_alias_table(negative_weights(counts, ns_exponent))


def huffman_tables(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Flat Huffman codes, points and per-word offsets (see ``w2vx._huffman``)."""
    return build_huffman_tree(np.asarray(counts, dtype=np.int64))


def per_word_slices(flat: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """gensim's per-word array layout: an object array whose entry i is ``flat[offsets[i]:offsets[i+1]]``
    (views, no copies)."""
    out = np.empty(len(offsets) - 1, dtype=object)
    for i in range(len(out)):
        out[i] = flat[offsets[i]:offsets[i + 1]]
    return out


class LazyVecattrs(dict):
    """``KeyedVectors.expandos`` whose derived entries are built on first use.

    gensim keeps a word's Huffman code and point path as two small numpy arrays
    per word (``wv.get_vecattr(word, 'code')``); at about 110 bytes of object
    overhead each, that is 9 MB for IMDB's 42k words and hundreds of MB for a
    million-word vocabulary, while w2vx's kernel reads flat tables.  So the
    per-word arrays are only built when something asks for them: ``d[key]``
    (which ``get_vecattr`` uses), ``key in d``, or any walk over the whole
    dict (``keys``, ``items``, ``values``, iteration, ``len``, ``get``,
    pickling, copying).  Once built, an entry is an ordinary dict value, and a
    pickled ``LazyVecattrs`` loads as a plain ``dict`` (no w2vx code needed).
    """

    def __init__(self, values: dict, builders: dict[str, Callable[[], np.ndarray]]) -> None:
        super().__init__(values)
        self._builders = {k: v for k, v in builders.items() if k not in values}

    def materialise(self, key: str | None = None) -> None:
        """Build ``key``'s entry (every pending entry when ``key`` is None)."""
        for name in ([key] if key is not None else list(self._builders)):
            build = self._builders.pop(name, None)
            if build is not None:
                dict.__setitem__(self, name, build())

    def __missing__(self, key: str) -> np.ndarray:
        if key not in self._builders:
            raise KeyError(key)
        self.materialise(key)
        return dict.__getitem__(self, key)

    def __contains__(self, key: object) -> bool:
        return dict.__contains__(self, key) or key in self._builders

    def __setitem__(self, key: str, value: np.ndarray) -> None:
        self._builders.pop(key, None)
        dict.__setitem__(self, key, value)

    def __delitem__(self, key: str) -> None:
        if self._builders.pop(key, None) is not None and not dict.__contains__(self, key):
            return
        dict.__delitem__(self, key)

    def _whole(name: str):  # noqa: N805 - builds methods that see every entry
        method = getattr(dict, name)

        def whole(self, *args, **kwargs):
            self.materialise()
            return method(self, *args, **kwargs)
        whole.__name__ = name
        whole.__doc__ = method.__doc__
        return whole

    keys = _whole("keys")
    items = _whole("items")
    values = _whole("values")
    get = _whole("get")
    pop = _whole("pop")
    setdefault = _whole("setdefault")
    copy = _whole("copy")
    update = _whole("update")
    __iter__ = _whole("__iter__")
    __len__ = _whole("__len__")
    __eq__ = _whole("__eq__")
    __repr__ = _whole("__repr__")
    del _whole
    __hash__ = None

    def __reduce_ex__(self, protocol: int):
        self.materialise()
        return dict, (dict(self),)
