"""word2vec.c's file formats: word vectors (text and binary) and vocabulary files.

Vectors are read by gensim's own ``KeyedVectors.load_word2vec_format`` and
written in the same layout as gensim's ``save_word2vec_format`` and word2vec.c
(a ``count dimension`` header line, then one word per row followed by its
vector as text or as raw little-endian float32), through a temporary file that
replaces the target only when complete (:mod:`_gensimx.atomic`).  This module
adds what gensim lacks: word2vec.c's vocabulary files (``-save-vocab`` /
``-read-vocab``: one ``word count`` per line, in vocabulary order), checks of a
vector file's header against the file's size before anything is allocated, and
errors that name the file and line instead of a bare ``ValueError`` or
``MemoryError`` from deep inside a parser.

Model files (``Word2Vec.save`` / ``load``) are a separate, safe format: see
``w2vx._archive``.
"""
from __future__ import annotations

import os
import zlib
from collections.abc import Iterable, Mapping

import numpy as np
from gensim import utils
from gensim.models import KeyedVectors

from _gensimx.atomic import COMPRESSED_SUFFIXES, atomic_write
from _gensimx.inputs import DECOMPRESSION_ERRORS
from w2vx._archive import ModelFileError
from w2vx.vocab import token_problem

# word2vec.c's sentence marker: it writes this entry first in its vocabulary
# and vector files; w2vx (like gensim) ends sentences at line ends instead
SENTENCE_MARKER = "</s>"
# A compressed vector file is trusted to expand at most this much (deflate's own
# limit is about 1032); its header may not declare more vectors than that holds.
MAX_COMPRESSION_RATIO = 1032
_HEADER_LIMIT = 256  # bytes of the "count dimension" line


class VocabFileError(ValueError):
    """A vocabulary file is malformed; the message names the file and the line."""


def save_vectors(wv: KeyedVectors, path: str | os.PathLike, binary: bool = False) -> None:
    """Write word vectors in word2vec.c's format (text, or binary with ``binary=True``).

    Parameters
    ----------
    wv : gensim.models.KeyedVectors
        The vectors, e.g. ``model.wv``; rows are written in index order, each
        value as gensim writes it (``str`` of the number in text, float32 bytes
        in binary).
    path : str or PathLike
        Destination file; ``.gz``, ``.bz2`` and ``.xz`` names are compressed
        (gensim reads them back).  Written through a temporary file that
        replaces ``path`` only when complete.
    binary : bool
        ``False`` for word2vec.c's ``-binary 0`` text format, ``True`` for ``-binary 1``.

    Examples
    --------
    >>> save_vectors(model.wv, "vectors.bin", binary=True)  # doctest: +SKIP
    """
    words = list(wv.index_to_key)
    _check_words(words, path)
    with atomic_write(path, compress_by_suffix=True) as fh:
        fh.write(f"{len(words)} {wv.vector_size}\n".encode("utf-8"))
        for word, row in zip(words, wv.vectors):
            if binary:
                fh.write(f"{word} ".encode("utf-8") + row.astype(np.float32).tobytes())
            else:
                fh.write(f"{word} {' '.join(str(value) for value in row)}\n".encode("utf-8"))


def _check_vector_header(path: str, binary: bool) -> None:
    """Refuse a header that declares more vectors than the file can hold, or text read as binary.

    gensim allocates ``count x dimension`` float32 values from the header alone,
    so a 20-byte file declaring 10**11 words would ask for terabytes.  A value
    takes at least 2 bytes in text (a digit and a space) and 4 in binary.
    """
    compressed = path.lower().endswith(COMPRESSED_SUFFIXES)
    capacity = os.path.getsize(path) * (MAX_COMPRESSION_RATIO if compressed else 1)
    with utils.open(path, "rb") as fh:
        header = fh.readline(_HEADER_LIMIT)
        first_row = fh.readline(1 << 16) if binary else b""
    fields = header.split()
    if len(fields) != 2 or not all(f.isdigit() for f in fields):
        raise ModelFileError(f"{path!r} is not a valid word2vec vector file: its first line should be "
                             f"'count dimension', got {header[:80]!r}")
    count, dimension = int(fields[0]), int(fields[1])
    needed = count * dimension * (4 if binary else 2)
    if needed > capacity:
        raise ModelFileError(
            f"{path!r} is not a valid word2vec {'binary' if binary else 'text'} vector file: "
            f"it declares {count} vectors of dimension {dimension}, which need at least "
            f"{needed} bytes, but the file {'expands to at most' if compressed else 'holds'} "
            f"{capacity} bytes: the header is wrong or the file is truncated")
    if binary and _is_text_row(first_row, dimension):
        raise ModelFileError(f"{path!r} is a text vector file, not a binary one; load it with "
                             f"binary=False")


def _is_text_row(row: bytes, dimension: int) -> bool:
    """Whether ``row`` is a text-format row: a word and ``dimension`` decimal numbers."""
    try:
        fields = row.decode("utf-8").split()
        return len(fields) == dimension + 1 and all(float(f) == float(f) for f in fields[1:])
    except (UnicodeDecodeError, ValueError):
        return False


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
        If the file is missing, truncated, not in the stated format, declares
        more vectors than it can hold, or holds NaN or infinite values.

    Examples
    --------
    >>> wv = load_vectors("vectors.txt")  # doctest: +SKIP
    >>> wv.most_similar("movie", topn=3)  # doctest: +SKIP
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise ModelFileError(f"word vector file {path!r} does not exist")
    kind = "binary" if binary else "text"
    try:
        _check_vector_header(path, binary)
        wv = KeyedVectors.load_word2vec_format(path, binary=binary)
    except ModelFileError:
        raise
    except (ValueError, EOFError, IndexError, UnicodeDecodeError, OSError, zlib.error,
            *DECOMPRESSION_ERRORS) as err:
        raise ModelFileError(f"{path!r} is not a valid word2vec {kind} vector file "
                             f"(truncated or another format?): {err}") from err
    finite = np.isfinite(wv.vectors).all(axis=1)
    if not finite.all():
        first = wv.index_to_key[int(np.argmin(finite))]
        raise ModelFileError(f"{path!r} holds NaN or infinite values ({int((~finite).sum())} "
                             f"vectors, the first for {first!r})")
    return wv


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
    with atomic_write(path) as fh:
        fh.write("".join(lines).encode("utf-8"))


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
        problem = token_problem(word)
        if problem is not None:
            kind = ValueError if isinstance(word, str) else TypeError
            raise kind(f"cannot write the word {problem} to {os.fspath(path)!r}: words must be "
                       f"str that encode to UTF-8")
        if not word or any(ch.isspace() for ch in word):
            raise ValueError(f"cannot write {word!r} to {os.fspath(path)!r}: word2vec.c files "
                             f"separate words by whitespace, so words must be non-empty and "
                             f"contain none")
