# cython: language_level=3
"""corpus_file training: every thread reads, tokenises and trains its own byte range in C.

A line belongs to the thread whose range holds its first byte: a thread whose
range starts mid-line skips to the next newline, and reads past its end to
finish the last line it started, so each line is trained exactly once per
epoch.  Tokens are split on ASCII whitespace (as ``bytes.split()`` does, which
is how ``w2vx.vocab.scan_vocab`` counts a corpus file) and mapped to ids
through an open-addressing hash table of the UTF-8 vocabulary; unknown tokens
are dropped.  No Python object is touched between opening and closing the file.

``.gz`` corpora are decompressed once per ``train()`` call to a temporary file
by ``w2vx/word2vec.py`` (a gzip stream cannot be split into byte ranges).
"""
import numpy as np

cimport numpy as cnp
from libc.stdint cimport int32_t, int64_t, uint64_t, uint8_t
from libc.stdio cimport EOF, FILE, SEEK_SET, fclose, fgetc, fopen, fseek
from libc.stdlib cimport free
from libc.string cimport memcmp

from w2vx._train cimport (KernelModel, Model, Worker, alloc_lines, train_sentence, worker_free,
                          worker_init)

cnp.import_array()

cdef extern from "stdio.h" nogil:
    ssize_t getline(char **lineptr, size_t *n, FILE *stream)


cdef inline uint64_t fnv1a(const char *s, Py_ssize_t n) noexcept nogil:
    cdef uint64_t h = 14695981039346656037ULL
    cdef Py_ssize_t i
    for i in range(n):
        h = (h ^ <uint8_t>s[i]) * 1099511628211ULL
    return h


cdef inline bint is_space(char c) noexcept nogil:
    return c == b' ' or c == b'\t' or c == b'\n' or c == b'\r' or c == b'\x0b' or c == b'\x0c'


cdef class VocabHash:
    """Read-only hash table from UTF-8 token bytes to vocabulary ids.

    Parameters
    ----------
    words : list of str
        The vocabulary in id order.
    """
    cdef cnp.ndarray blob_array, starts_array, slots_array
    cdef const char *blob
    cdef const int64_t *starts
    cdef const int32_t *slots
    cdef uint64_t mask

    def __init__(self, list words):
        # one joined UTF-8 blob and per-word byte lengths: no list of bytes objects,
        # whose transient megabytes would count in the peak RSS of training
        cdef Py_ssize_t n = len(words), i
        cdef uint64_t size = 16, h
        while size < 2 * <uint64_t>n:
            size *= 2
        self.mask = size - 1
        lengths = np.fromiter((len(w.encode("utf-8")) for w in words), dtype=np.int64, count=n)
        self.starts_array = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(lengths, out=self.starts_array[1:])
        self.blob_array = np.frombuffer("".join(words).encode("utf-8") + b"\0", dtype=np.uint8).copy()
        self.slots_array = np.full(size, -1, dtype=np.int32)
        self.blob = <const char *>cnp.PyArray_DATA(self.blob_array)
        self.starts = <const int64_t *>cnp.PyArray_DATA(self.starts_array)
        cdef int32_t *slots = <int32_t *>cnp.PyArray_DATA(self.slots_array)
        for i in range(n):
            h = fnv1a(self.blob + self.starts[i], self.starts[i + 1] - self.starts[i]) & self.mask
            while slots[h] != -1:
                h = (h + 1) & self.mask
            slots[h] = <int32_t>i
        self.slots = slots

    cdef inline int32_t lookup(self, const char *token, Py_ssize_t n) noexcept nogil:
        cdef uint64_t h = fnv1a(token, n) & self.mask
        cdef int32_t word
        while True:
            word = self.slots[h]
            if word == -1:
                return -1
            if (self.starts[word + 1] - self.starts[word] == n
                    and memcmp(self.blob + self.starts[word], token, n) == 0):
                return word
            h = (h + 1) & self.mask

    def get(self, token):
        """Id of ``token`` (str), or -1 (for tests)."""
        b = token.encode("utf-8")
        return self.lookup(b, len(b))


def train_file_range(KernelModel kernel, VocabHash vocab, bytes path, int64_t start, int64_t end,
                     double start_alpha, double end_alpha, int epoch, int epochs,
                     int64_t epoch_words, int64_t[:, ::1] progress, int thread_index, uint64_t seed,
                     const uint8_t[::1] stop, bint private_hot_rows=False):
    """Train on the lines of ``path`` whose first byte lies in ``[start, end)``.

    Alpha decays linearly over all epochs: at any moment it is set from
    ``(epoch + words_done_by_all_threads / epoch_words) / epochs``, where the
    other threads' counts are read from ``progress`` (a benign race, as in
    word2vec.c).  ``progress[thread_index]`` receives this thread's
    ``[raw_words, effective_words]`` as it goes.  The thread returns early once
    ``stop[0]`` becomes non-zero (set by the caller on an interrupt).
    ``private_hot_rows``: other threads train at the same time (see ``w2vx._train.RowCache``).

    Returns
    -------
    effective_words, raw_words, sentences : int
    loss : float
    """
    cdef FILE *fh = fopen(path, b"rb")
    if fh == NULL:
        raise FileNotFoundError(f"cannot open corpus file {path.decode(errors='replace')}")
    if progress.shape[1] != 2 or not 0 <= thread_index < progress.shape[0]:
        fclose(fh)
        raise ValueError("progress must have shape (workers, 2)")
    cdef Worker w
    if worker_init(&w, &kernel.m, seed, private_hot_rows) != 0:
        fclose(fh)
        raise MemoryError("cannot allocate training scratch memory")
    cdef char *line = NULL
    cdef size_t line_capacity = 0
    cdef ssize_t nread
    cdef int32_t *ids = NULL
    cdef int64_t ids_capacity = 0, n_ids, pos = start, raw = 0, effective = 0, sentences = 0
    cdef int64_t kept, done, t, raw_before
    cdef Py_ssize_t i, token_start
    cdef int32_t word
    cdef int c, failed = 0
    cdef double fraction, alpha
    cdef int n_threads = progress.shape[0]
    with nogil:
        # a range that starts mid-line leaves that line to the previous range
        if start > 0:
            fseek(fh, start - 1, SEEK_SET)
            c = fgetc(fh)
            if c != b'\n' and c != EOF:
                nread = getline(&line, &line_capacity, fh)
                if nread > 0:
                    pos += nread
        else:
            fseek(fh, 0, SEEK_SET)
        while pos < end and not stop[0]:
            nread = getline(&line, &line_capacity, fh)
            if nread <= 0:
                break
            pos += nread
            if nread > ids_capacity:  # at most one token per byte; contents need not survive
                free(ids)
                ids = <int32_t *>alloc_lines(nread * sizeof(int32_t))
                ids_capacity = nread if ids != NULL else 0
                if ids == NULL:
                    failed = 1
                    break
            n_ids = 0
            i = 0
            raw_before = raw
            while i < nread:
                while i < nread and is_space(line[i]):
                    i += 1
                if i >= nread:
                    break
                token_start = i
                while i < nread and not is_space(line[i]):
                    i += 1
                raw += 1
                word = vocab.lookup(line + token_start, i - token_start)
                if word >= 0:
                    ids[n_ids] = word
                    n_ids += 1
            done = 0
            for t in range(n_threads):
                done += progress[t, 0] if t != thread_index else raw_before
            fraction = (epoch + (<double>done / epoch_words if done < epoch_words else 1.0)) / epochs
            alpha = start_alpha - (start_alpha - end_alpha) * fraction
            kept = train_sentence(&kernel.m, &w, ids, n_ids, <float>alpha)
            if kept < 0:
                failed = 1
                break
            effective += kept
            sentences += 1
            progress[thread_index, 0] = raw
            progress[thread_index, 1] = effective
    loss = w.loss
    worker_free(&w, &kernel.m)
    free(line)
    free(ids)
    fclose(fh)
    if failed:
        raise MemoryError("cannot allocate memory for a line of the corpus file")
    return effective, raw, sentences, loss
