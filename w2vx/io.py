"""word2vec.c's file formats: word vectors (text and binary) and vocabulary files.

Vectors are written and read by gensim's own ``KeyedVectors.save_word2vec_format``
/ ``load_word2vec_format`` (the same layout word2vec.c writes: a ``count
dimension`` header line, then one word per row followed by its vector as text or
as raw little-endian float32).  This module adds what gensim lacks: word2vec.c's
vocabulary files (``-save-vocab`` / ``-read-vocab``: one ``word count`` per
line, in vocabulary order) and errors that name the file and line instead of a
bare ``ValueError`` from deep inside a parser.

Model files (``Word2Vec.save`` / ``load``) are a separate, safe format: see
``w2vx._archive``.
"""
from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

from gensim.models import KeyedVectors

from w2vx._archive import ModelFileError

# word2vec.c's sentence marker: it writes this entry first in its vocabulary
# and vector files; w2vx (like gensim) ends sentences at line ends instead
SENTENCE_MARKER = "</s>"


class VocabFileError(ValueError):
    """A vocabulary file is malformed; the message names the file and the line."""


def save_vectors(wv: KeyedVectors, path: str | os.PathLike, binary: bool = False) -> None:
    """Write word vectors in word2vec.c's format (text, or binary with ``binary=True``).

    Parameters
    ----------
    wv : gensim.models.KeyedVectors
        The vectors, e.g. ``model.wv``; rows are written in index order.
    path : str or PathLike
        Destination file.
    binary : bool
        ``False`` for word2vec.c's ``-binary 0`` text format, ``True`` for ``-binary 1``.

    Examples
    --------
    >>> save_vectors(model.wv, "vectors.bin", binary=True)  # doctest: +SKIP
    """
    _check_words(wv.index_to_key, path)
    wv.save_word2vec_format(os.fspath(path), binary=binary)


def load_vectors(path: str | os.PathLike, binary: bool = False) -> KeyedVectors:
    """Read word vectors written by word2vec.c, gensim or :func:`save_vectors`.

    Parameters
    ----------
    path : str or PathLike
        A text (``binary=False``) or binary (``binary=True``) word2vec file.
    binary : bool
        Which of the two formats the file is in.

    Returns
    -------
    gensim.models.KeyedVectors

    Raises
    ------
    ModelFileError
        If the file is missing, truncated or not in the stated format.

    Examples
    --------
    >>> wv = load_vectors("vectors.txt")  # doctest: +SKIP
    >>> wv.most_similar("movie", topn=3)  # doctest: +SKIP
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise ModelFileError(f"word vector file {path!r} does not exist")
    try:
        return KeyedVectors.load_word2vec_format(path, binary=binary)
    except (ValueError, EOFError, IndexError, UnicodeDecodeError) as err:
        kind = "binary" if binary else "text"
        raise ModelFileError(f"{path!r} is not a valid word2vec {kind} vector file "
                             f"(truncated or another format?): {err}") from err


def save_vocab(counts: Mapping[str, int] | Iterable[tuple[str, int]] | KeyedVectors,
               path: str | os.PathLike) -> None:
    """Write a word2vec.c vocabulary file: one ``word count`` line per word, in order.

    Parameters
    ----------
    counts : KeyedVectors, mapping or iterable of (word, count)
        A ``KeyedVectors`` (e.g. ``model.wv``) is written in index order with its
        ``count`` attribute; a mapping or pair list in its own order.
    path : str or PathLike
        Destination file (UTF-8).

    Raises
    ------
    ValueError
        If a word is empty or contains whitespace (the file could not be read
        back), or a count is negative.

    Examples
    --------
    >>> save_vocab(model.wv, "vocab.txt")  # doctest: +SKIP
    """
    if isinstance(counts, KeyedVectors):
        pairs = [(word, counts.get_vecattr(word, "count")) for word in counts.index_to_key]
    elif isinstance(counts, Mapping):
        pairs = list(counts.items())
    else:
        pairs = list(counts)
    _check_words((word for word, _ in pairs), path)
    lines = []
    for word, count in pairs:
        if int(count) < 0:
            raise ValueError(f"cannot write a negative count ({count}) for {word!r} to {path}")
        lines.append(f"{word} {int(count)}\n")
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.writelines(lines)


def read_vocab(path: str | os.PathLike) -> dict[str, int]:
    """Read a word2vec.c vocabulary file (``-read-vocab``) into an ordered ``{word: count}``.

    Parameters
    ----------
    path : str or PathLike
        A UTF-8 file of ``word count`` lines, as written by :func:`save_vocab` or
        by word2vec.c's ``-save-vocab``.

    Returns
    -------
    dict of str to int
        Counts in file order.  word2vec.c's sentence marker ``</s>`` is kept if
        present; callers that train on lines (w2vx, gensim) drop it.

    Raises
    ------
    VocabFileError
        For a missing or empty file, and for any line that is not exactly a
        word and a non-negative integer, or repeats a word, naming the line.

    Examples
    --------
    >>> counts = read_vocab("vocab.txt")  # doctest: +SKIP
    >>> model.build_vocab_from_freq(counts)  # doctest: +SKIP
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise VocabFileError(f"vocabulary file {path!r} does not exist")
    counts: dict[str, int] = {}
    with open(path, "rb") as fh:
        for number, raw in enumerate(fh, start=1):
            where = f"{path}, line {number}"
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise VocabFileError(f"{where}: not valid UTF-8") from None
            fields = line.split()
            if len(fields) != 2:
                raise VocabFileError(f"{where}: expected 'word count', got {line.rstrip()!r}")
            word, count_text = fields
            if not (count_text.isascii() and count_text.isdigit()):
                raise VocabFileError(f"{where}: count {count_text!r} of {word!r} "
                                     f"is not a non-negative integer")
            if word in counts:
                raise VocabFileError(f"{where}: {word!r} already appeared earlier in the file")
            counts[word] = int(count_text)
    if not counts:
        raise VocabFileError(f"vocabulary file {path!r} is empty")
    return counts


def _check_words(words: Iterable[str], path: str | os.PathLike) -> None:
    """Refuse words that the word2vec.c formats cannot represent (they split on whitespace)."""
    for word in words:
        if not word or any(ch.isspace() for ch in word):
            raise ValueError(f"cannot write {word!r} to {os.fspath(path)!r}: word2vec.c files "
                             f"separate words by whitespace, so words must be non-empty and "
                             f"contain none")
