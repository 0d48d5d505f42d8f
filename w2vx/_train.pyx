# cython: language_level=3
"""The word2vec training kernel: skip-gram / CBOW x hierarchical softmax / negative sampling.

One readable loop (:func:`train_sentence`) serves every mode; the mode flags
live in :c:type:`Model`.  It follows word2vec.c: a precomputed sigmoid table,
the 48-bit-style LCG ``next = next * 25214903917 + 11`` (mod 2**64) for every
random decision, subsampling against a per-word keep probability, a window
shrunk by a random ``b`` in ``[0, window)``.  Negative words are drawn in O(1)
from an alias table of the unigram**ns_exponent distribution (word2vec.c uses
a 1e8-entry table; the alias table is exact and needs 8 bytes per word).

Everything here runs without the GIL on arrays that ``w2vx/word2vec.py`` has
validated; the only Python-object loop is :func:`encode_sentences`, which maps
token lists to int32 ids in batches.

Out-of-range sigmoid arguments (|f| >= MAX_EXP) give no update, as in gensim:
- hierarchical softmax skips that inner node (word2vec.c does the same);
- negative sampling skips that word.  word2vec.c saturates instead (gradient
  ``(label - 1) * alpha`` above +MAX_EXP, ``label * alpha`` below -MAX_EXP), which
  differs only for a negative word scored above +MAX_EXP or the positive word
  below -MAX_EXP.  gensim's rule is kept because gensim is what users compare
  with, and it measured better: CBOW-neg on IMDB, 5 epochs, 3 seeds, analogy
  accuracy 20.3% against 19.8% with saturation (WordSim353 and SimLex equal).
"""
import numpy as np

cimport numpy as cnp
from cpython.dict cimport PyDict_GetItem
from cpython.list cimport PyList_GET_ITEM
from cpython.long cimport PyLong_AsSsize_t
from cpython.ref cimport PyObject
from libc.math cimport exp, log, log1p
from libc.stdint cimport int32_t, int64_t, uint64_t, uint8_t
from libc.stdlib cimport free
from libc.string cimport memcpy, memset

cnp.import_array()

# sigmoid table: EXP_TABLE[i] = sigma((i / EXP_TABLE_SIZE * 2 - 1) * MAX_EXP)
cdef float EXP_TABLE[EXP_TABLE_SIZE]
# index = int((f + MAX_EXP) * EXP_TABLE_SIZE / MAX_EXP / 2), computed in floating point
# (word2vec.c's integer division gives 83 instead of 83.33, a small shift of the curve)
cdef float EXP_SCALE = (<float>EXP_TABLE_SIZE) / MAX_EXP / 2.0
cdef uint64_t LCG_MULTIPLIER = 25214903917ULL
cdef uint64_t LCG_INCREMENT = 11ULL


cdef void _init_exp_table():
    cdef int i
    cdef double e
    for i in range(EXP_TABLE_SIZE):
        e = exp((i / <double>EXP_TABLE_SIZE * 2.0 - 1.0) * MAX_EXP)
        EXP_TABLE[i] = <float>(e / (e + 1.0))


_init_exp_table()


cdef inline uint64_t lcg_next(uint64_t *state) noexcept nogil:
    state[0] = state[0] * LCG_MULTIPLIER + LCG_INCREMENT
    return state[0]


cdef inline double lcg_uniform(uint64_t *state) noexcept nogil:
    """word2vec.c's uniform draw in [0, 1): the low 16 bits of the next state / 65536."""
    return (lcg_next(state) & 0xFFFF) / 65536.0


cdef inline int keep_word(const float *keep_prob, int64_t word, uint64_t *state) noexcept nogil:
    """Subsampling decision: one LCG draw per word, kept when keep_prob[word] >= the draw."""
    return keep_prob[word] >= lcg_uniform(state)


cdef inline float sigmoid_lookup(float f) noexcept nogil:
    """Table sigmoid for -MAX_EXP < f < MAX_EXP."""
    cdef int index = <int>((f + MAX_EXP) * EXP_SCALE)
    if index >= EXP_TABLE_SIZE:  # f a hair below MAX_EXP can round up to the end
        index = EXP_TABLE_SIZE - 1
    elif index < 0:
        index = 0
    return EXP_TABLE[index]


cdef inline float hs_gradient(float f, int code, float alpha, int *skip) noexcept nogil:
    """Gradient scale of one inner node; outside +-MAX_EXP the node is skipped (word2vec.c)."""
    if f <= -MAX_EXP or f >= MAX_EXP:
        skip[0] = 1
        return 0.0
    skip[0] = 0
    return (1 - code - sigmoid_lookup(f)) * alpha


cdef inline float neg_gradient(float f, int label, float alpha) noexcept nogil:
    """Gradient scale of one (positive or negative) word; 0 outside +-MAX_EXP (gensim's rule)."""
    if f <= -MAX_EXP or f >= MAX_EXP:
        return 0.0
    return (label - sigmoid_lookup(f)) * alpha


cdef inline double neg_log_sigmoid(double x) noexcept nogil:
    """-log(sigma(x)) without overflow, for the training loss."""
    if x > 0:
        return log1p(exp(-x))
    return -x + log1p(exp(x))


# Vector primitives in C so gcc vectorises the float reductions (omp simd) and
# clones them for AVX-512 / AVX2 / baseline, picked by CPU feature at load time (ifunc):
# the default build stays portable and still uses the machine's vector units.
cdef extern from *:
    """
    #if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
    #define W2VX_SIMD __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
    #else
    #define W2VX_SIMD
    #endif
    /* 8- and 4-float vectors (gcc vector extension): each clone maps them to its
       own registers.  Loops run over 8 floats, then at most one 4-float step,
       then scalars (a 100-float row is 12 x 8 + 4). */
    #if defined(__GNUC__) && !defined(__clang__)
    #pragma GCC diagnostic ignored "-Wpsabi"  /* the helpers below are inlined, never called across an ABI */
    #endif
    typedef float w2vx_v8 __attribute__((vector_size(32)));
    typedef float w2vx_v4 __attribute__((vector_size(16)));
    static inline w2vx_v8 w2vx_load8(const float *p) { w2vx_v8 v; __builtin_memcpy(&v, p, sizeof v); return v; }
    static inline void w2vx_store8(float *p, w2vx_v8 v) { __builtin_memcpy(p, &v, sizeof v); }
    static inline w2vx_v4 w2vx_load4(const float *p) { w2vx_v4 v; __builtin_memcpy(&v, p, sizeof v); return v; }
    static inline void w2vx_store4(float *p, w2vx_v4 v) { __builtin_memcpy(p, &v, sizeof v); }
    static inline float w2vx_hsum(w2vx_v8 v) {
        return ((v[0] + v[4]) + (v[1] + v[5])) + ((v[2] + v[6]) + (v[3] + v[7]));
    }

    static inline float w2vx_dot_inline(const float *a, const float *b, int n) {
        w2vx_v8 s0 = {0}, s1 = {0};
        int i = 0;
        for (; i + 16 <= n; i += 16) {  /* two accumulators hide the add latency */
            s0 += w2vx_load8(a + i) * w2vx_load8(b + i);
            s1 += w2vx_load8(a + i + 8) * w2vx_load8(b + i + 8);
        }
        if (i + 8 <= n) { s0 += w2vx_load8(a + i) * w2vx_load8(b + i); i += 8; }
        float s = w2vx_hsum(s0 + s1);
        if (i + 4 <= n) {
            w2vx_v4 p = w2vx_load4(a + i) * w2vx_load4(b + i);
            s += (p[0] + p[2]) + (p[1] + p[3]);
            i += 4;
        }
        for (; i < n; i++) s += a[i] * b[i];
        return s;
    }
    /* y += alpha * x */
    static inline void w2vx_axpy_inline(float alpha, const float *x, float *y, int n) {
        int i = 0;
        for (; i + 8 <= n; i += 8) w2vx_store8(y + i, w2vx_load8(y + i) + alpha * w2vx_load8(x + i));
        for (; i < n; i++) y[i] += alpha * x[i];
    }
    W2VX_SIMD static float w2vx_dot(const float *a, const float *b, int n) { return w2vx_dot_inline(a, b, n); }
    W2VX_SIMD static void w2vx_axpy(float alpha, const float *x, float *y, int n) { w2vx_axpy_inline(alpha, x, y, n); }
    /* ask for every cache line of a row now, so the loads overlap with other work */
    static inline void w2vx_prefetch_row(const float *row, int n) {
        for (int i = 0; i < n; i += 16) __builtin_prefetch(row + i, 1, 3);
    }
    /* out[k] = rows[k] . l1 for every k, four rows at a time: four independent
       accumulators, and each slice of l1 is loaded once for four rows */
    W2VX_SIMD static void w2vx_dots(const float *l1, float *const *rows, int count, int n, float *out) {
        int k = 0;
        for (; k + 4 <= count; k += 4) {
            const float *r0 = rows[k], *r1 = rows[k + 1], *r2 = rows[k + 2], *r3 = rows[k + 3];
            w2vx_v8 s0 = {0}, s1 = {0}, s2 = {0}, s3 = {0};
            int i = 0;
            for (; i + 8 <= n; i += 8) {
                w2vx_v8 x = w2vx_load8(l1 + i);
                s0 += x * w2vx_load8(r0 + i);
                s1 += x * w2vx_load8(r1 + i);
                s2 += x * w2vx_load8(r2 + i);
                s3 += x * w2vx_load8(r3 + i);
            }
            float t0 = w2vx_hsum(s0), t1 = w2vx_hsum(s1), t2 = w2vx_hsum(s2), t3 = w2vx_hsum(s3);
            if (i + 4 <= n) {
                w2vx_v4 x = w2vx_load4(l1 + i);
                w2vx_v4 p0 = x * w2vx_load4(r0 + i), p1 = x * w2vx_load4(r1 + i);
                w2vx_v4 p2 = x * w2vx_load4(r2 + i), p3 = x * w2vx_load4(r3 + i);
                t0 += (p0[0] + p0[2]) + (p0[1] + p0[3]);
                t1 += (p1[0] + p1[2]) + (p1[1] + p1[3]);
                t2 += (p2[0] + p2[2]) + (p2[1] + p2[3]);
                t3 += (p3[0] + p3[2]) + (p3[1] + p3[3]);
                i += 4;
            }
            for (; i < n; i++) {
                t0 += l1[i] * r0[i]; t1 += l1[i] * r1[i]; t2 += l1[i] * r2[i]; t3 += l1[i] * r3[i];
            }
            out[k] = t0; out[k + 1] = t1; out[k + 2] = t2; out[k + 3] = t3;
        }
        for (; k < count; k++) out[k] = w2vx_dot_inline(l1, rows[k], n);
    }
    /* for every k: neu1e += g[k] * rows[k], then rows[k] += g[k] * l1 (g[k] == 0: no-op).
       Slice by slice, so each slice of l1 stays in a register for all rows, and the
       neu1e sum runs in two accumulators (even / odd k) instead of one long chain. */
    W2VX_SIMD static void w2vx_updates(const float *l1, float *const *rows, const float *g, int count,
                                       int n, float *neu1e) {
        int i = 0;
        for (; i + 8 <= n; i += 8) {
            w2vx_v8 x = w2vx_load8(l1 + i), e0 = w2vx_load8(neu1e + i), e1 = {0};
            int k = 0;
            for (; k + 2 <= count; k += 2) {
                float *ra = rows[k] + i, *rb = rows[k + 1] + i;
                w2vx_v8 a = w2vx_load8(ra);
                e0 += g[k] * a;
                w2vx_store8(ra, a + g[k] * x);
                w2vx_v8 b = w2vx_load8(rb);  /* after the store: rows[k] may equal rows[k + 1] */
                e1 += g[k + 1] * b;
                w2vx_store8(rb, b + g[k + 1] * x);
            }
            if (k < count) {
                float *ra = rows[k] + i;
                w2vx_v8 a = w2vx_load8(ra);
                e0 += g[k] * a;
                w2vx_store8(ra, a + g[k] * x);
            }
            w2vx_store8(neu1e + i, e0 + e1);
        }
        if (i + 4 <= n) {
            w2vx_v4 x = w2vx_load4(l1 + i), e = w2vx_load4(neu1e + i);
            for (int k = 0; k < count; k++) {
                w2vx_v4 r = w2vx_load4(rows[k] + i);
                e += g[k] * r;
                w2vx_store4(rows[k] + i, r + g[k] * x);
            }
            w2vx_store4(neu1e + i, e);
            i += 4;
        }
        for (; i < n; i++) {
            float x = l1[i], e = neu1e[i];
            for (int k = 0; k < count; k++) {
                float r = rows[k][i];
                e += g[k] * r;
                rows[k][i] = r + g[k] * x;
            }
            neu1e[i] = e;
        }
    }
    """
    float dot "w2vx_dot"(const float *a, const float *b, int n) noexcept nogil
    void axpy "w2vx_axpy"(float alpha, const float *x, float *y, int n) noexcept nogil
    void dots "w2vx_dots"(const float *l1, float **rows, int count, int n, float *out) noexcept nogil
    void updates "w2vx_updates"(const float *l1, float **rows, const float *g, int count, int n,
                                float *neu1e) noexcept nogil
    void prefetch_row "w2vx_prefetch_row"(const float *row, int n) noexcept nogil


cdef inline float *cached_row(RowCache *c, int64_t row, int size) noexcept nogil:
    """The row to read and update: the thread's copy for a hot row (copied on first use
    since the last flush), the shared row otherwise."""
    cdef int32_t slot
    cdef float *local
    cdef const float *shared = c.shared + row * size
    if c.n_slots == 0:
        return c.shared + row * size
    slot = c.slot_of[row]
    if slot < 0:
        return c.shared + row * size
    local = c.local + <int64_t>slot * size
    if not c.loaded[slot]:
        memcpy(local, shared, size * sizeof(float))
        memcpy(c.base + <int64_t>slot * size, shared, size * sizeof(float))
        c.loaded[slot] = 1
        c.loaded_slots[c.n_loaded] = slot
        c.n_loaded += 1
    return local


cdef inline void prefetch_shared_row(const RowCache *c, int64_t row, int size) noexcept nogil:
    """Prefetch a row that will be updated, unless it is hot (then the thread's copy is used,
    and asking for the shared line would only pull it away from another core)."""
    if c.n_slots == 0 or c.slot_of[row] < 0:
        prefetch_row(c.shared + row * size, size)


cdef void flush_rows(RowCache *c, int size) noexcept nogil:
    """Add each copied row's change since its copy into the shared row; drop the copies."""
    cdef int k, i, slot
    cdef float *shared
    cdef const float *local
    cdef const float *base
    for k in range(c.n_loaded):
        slot = c.loaded_slots[k]
        shared = c.shared + c.row_of[slot] * size
        local = c.local + <int64_t>slot * size
        base = c.base + <int64_t>slot * size
        for i in range(size):
            shared[i] += local[i] - base[i]
        c.loaded[slot] = 0
    c.n_loaded = 0


cdef void flush_hot_rows(const Model *m, Worker *w) noexcept nogil:
    flush_rows(&w.input_cache, m.size)
    flush_rows(&w.output_cache, m.size)
    flush_rows(&w.node_cache, m.size)
    w.words_since_flush = 0


cdef inline int64_t draw_negative(const Model *m, Worker *w) noexcept nogil:
    """O(1) draw from the alias table with one LCG step (its top 48 bits)."""
    cdef double x = (lcg_next(&w.next_random) >> 16) * (m.vocab_size / 281474976710656.0)
    cdef int64_t slot = <int64_t>x
    if slot >= m.vocab_size:
        slot = m.vocab_size - 1
    if x - slot < m.alias_prob[slot]:
        return slot
    return m.alias_index[slot]


cdef inline void draw_negatives_into(const Model *m, Worker *w, int64_t *samples) noexcept nogil:
    """Fill samples[1..negative] and start loading their output rows."""
    cdef int k
    for k in range(1, m.negative + 1):
        samples[k] = draw_negative(m, w)
        prefetch_shared_row(&w.output_cache, samples[k], m.size)


cdef double output_layer(const Model *m, Worker *w, const float *l1, int64_t target,
                         float alpha, float *neu1e) noexcept nogil:
    """Predict ``target`` from the hidden vector ``l1``: update the output rows, add the
    gradient for ``l1`` into ``neu1e``; return the loss (0 unless compute_loss).

    All scores of one prediction are computed before any output row moves (the
    rows of a Huffman path are distinct, so hs is exactly word2vec.c's sequential
    update; a word drawn twice among the negatives sees its pre-update row)."""
    cdef int size = m.size
    cdef double loss = 0.0
    cdef int64_t start
    cdef int count, k, code, label, skip
    cdef float g
    cdef int64_t *samples
    if m.hs:
        start = m.code_offsets[target]
        count = <int>(m.code_offsets[target + 1] - start)
        for k in range(count):  # ask for every row of the path before the first dot product
            prefetch_shared_row(&w.node_cache, m.points[start + k], size)
        for k in range(count):
            w.rows[k] = cached_row(&w.node_cache, m.points[start + k], size)
        dots(l1, w.rows, count, size, w.scores)
        for k in range(count):
            code = m.codes[start + k]
            if m.compute_loss:
                loss += neg_log_sigmoid((1 - 2 * code) * <double>w.scores[k])
            g = hs_gradient(w.scores[k], code, alpha, &skip)
            w.grads[k] = 0.0 if skip else g
        updates(l1, w.rows, w.grads, count, size, neu1e)
    if m.negative:
        # Negatives are drawn one prediction ahead and their rows prefetched, so the
        # cache misses of these random rows overlap with the previous prediction.
        if not w.have_next_samples:
            draw_negatives_into(m, w, w.next_samples)
        samples = w.next_samples
        w.next_samples = w.samples
        w.samples = samples
        draw_negatives_into(m, w, w.next_samples)
        w.have_next_samples = 1
        samples[0] = target
        count = m.negative + 1
        for k in range(count):
            w.rows[k] = cached_row(&w.output_cache, samples[k], size)
        dots(l1, w.rows, count, size, w.scores)
        for k in range(count):
            label = 1 if k == 0 else 0
            if k > 0 and samples[k] == target:  # the target is no negative of itself
                w.grads[k] = 0.0
                continue
            if m.compute_loss:
                loss += neg_log_sigmoid((2 * label - 1) * <double>w.scores[k])
            w.grads[k] = neg_gradient(w.scores[k], label, alpha)
        updates(l1, w.rows, w.grads, count, size, neu1e)
    return loss


cdef extern from "<stdlib.h>" nogil:
    void *aligned_alloc(size_t alignment, size_t size)

cdef extern from "<sys/mman.h>" nogil:
    void *mmap(void *addr, size_t length, int prot, int flags, int fd, long offset)
    int munmap(void *addr, size_t length)
    int PROT_READ, PROT_WRITE, MAP_PRIVATE, MAP_ANONYMOUS
    void *MAP_FAILED


cdef inline size_t whole_lines(size_t nbytes) noexcept nogil:
    return (nbytes + 63) & ~(<size_t>63)


cdef void *alloc_lines(size_t nbytes) noexcept nogil:
    """Memory on cache lines of its own (aligned, size rounded up to 64 bytes): the
    scratch of two threads must never share a line, or every update would bounce it."""
    return aligned_alloc(64, whole_lines(nbytes if nbytes > 0 else 1))


cdef int cache_init(RowCache *c, float *shared, const int32_t *slot_of, const int64_t *row_of,
                    int n_slots, int size) noexcept nogil:
    """Set up a thread's copies of ``n_slots`` hot rows of ``shared`` (0 slots: off)."""
    cdef size_t copies = whole_lines(<size_t>n_slots * size * sizeof(float))
    cdef void *block
    memset(c, 0, sizeof(RowCache))
    c.shared = shared
    if n_slots <= 0 or shared == NULL or slot_of == NULL:
        return 0
    # mmap'd, not malloc'd: a job-sized block handed back to malloc after each job
    # stays in the thread's heap (measured: +16 MB peak RSS on IMDB from an iterable)
    c.mapped_bytes = 2 * copies + whole_lines(n_slots) + whole_lines(n_slots * sizeof(int32_t))
    block = mmap(NULL, c.mapped_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
    if block == MAP_FAILED:
        c.mapped_bytes = 0
        return -1
    c.local = <float *>block
    c.base = <float *>(<char *>c.local + copies)
    c.loaded = <uint8_t *>(<char *>c.local + 2 * copies)
    c.loaded_slots = <int32_t *>(<char *>c.loaded + whole_lines(n_slots))
    memset(c.loaded, 0, n_slots)
    c.slot_of, c.row_of, c.n_slots = slot_of, row_of, n_slots
    return 0


cdef void cache_free(RowCache *c) noexcept nogil:
    if c.mapped_bytes:
        munmap(c.local, c.mapped_bytes)
    c.mapped_bytes = 0


cdef int worker_init(Worker *w, const Model *m, uint64_t seed, int private_hot_rows) noexcept nogil:
    """Scratch for one thread.  ``private_hot_rows``: update thread-private copies of the hot
    rows (worth it only when several threads train at once; off, updates are word2vec.c's)."""
    cdef size_t width = max(m.negative + 1, m.max_code_length, 1)
    cdef size_t vec = whole_lines(m.size * sizeof(float))
    cdef size_t samples = whole_lines(2 * (m.negative + 1) * sizeof(int64_t))
    cdef size_t rows = whole_lines(width * sizeof(float *))
    cdef size_t scores = whole_lines(2 * width * sizeof(float))
    cdef char *block = <char *>alloc_lines(2 * vec + samples + rows + scores)
    cdef int hot_words = m.hot_words if private_hot_rows else 0
    cdef int hot_nodes = m.hot_nodes if private_hot_rows else 0
    w.next_random = seed
    w.loss = 0.0
    w.kept_capacity = 0
    w.kept = NULL
    w.scratch = block
    w.words_since_flush = 0
    cache_init(&w.input_cache, m.syn0, NULL, NULL, 0, m.size)  # all off until set below
    cache_init(&w.output_cache, m.syn1neg, NULL, NULL, 0, m.size)
    cache_init(&w.node_cache, m.syn1, NULL, NULL, 0, m.size)
    if block == NULL:
        return -1
    w.neu1 = <float *>block
    w.neu1e = <float *>(block + vec)
    w.samples = <int64_t *>(block + 2 * vec)
    w.next_samples = w.samples + (m.negative + 1)
    w.have_next_samples = 0
    # per-prediction scratch: output rows, their scores and gradient scales
    w.rows = <float **>(block + 2 * vec + samples)
    w.scores = <float *>(block + 2 * vec + samples + rows)
    w.grads = w.scores + width
    if (cache_init(&w.input_cache, m.syn0, m.hot_word_slot, m.hot_word_rows, hot_words, m.size) != 0
            or cache_init(&w.output_cache, m.syn1neg, m.hot_word_slot, m.hot_word_rows,
                          hot_words if m.negative else 0, m.size) != 0
            or cache_init(&w.node_cache, m.syn1, m.hot_node_slot, m.hot_node_rows,
                          hot_nodes if m.hs else 0, m.size) != 0):
        worker_free(w, m)
        return -1
    return 0


cdef void worker_free(Worker *w, const Model *m) noexcept nogil:
    """Flush the thread's hot-row changes into the shared matrices, then free its scratch."""
    flush_hot_rows(m, w)
    cache_free(&w.input_cache)
    cache_free(&w.output_cache)
    cache_free(&w.node_cache)
    w.input_cache.n_slots = w.output_cache.n_slots = w.node_cache.n_slots = 0
    w.input_cache.local = w.output_cache.local = w.node_cache.local = NULL
    free(w.scratch)
    free(w.kept)
    w.scratch = NULL
    w.kept = NULL
    w.kept_capacity = 0


cdef int64_t train_sentence(const Model *m, Worker *w, const int32_t *sentence,
                            int64_t length, float alpha) noexcept nogil:
    """Train on one sentence of vocabulary ids.  Returns the number of words kept by
    subsampling (the "effective" words), or -1 if scratch memory could not be grown."""
    cdef int64_t i, n, pos, c, start, end, word
    cdef int reduced, count, size = m.size
    cdef float *l1
    cdef float *neu1 = w.neu1
    cdef float *neu1e = w.neu1e
    if length > w.kept_capacity:  # contents need not survive: refilled below
        free(w.kept)
        w.kept = <int32_t *>alloc_lines(length * sizeof(int32_t))
        w.kept_capacity = length if w.kept != NULL else 0
        if w.kept == NULL:
            return -1
    # subsampling: keep word with probability keep_prob[word], one draw per word as word2vec.c
    n = 0
    for i in range(length):
        word = sentence[i]
        if m.keep_prob != NULL and not keep_word(m.keep_prob, word, &w.next_random):
            continue
        w.kept[n] = <int32_t>word
        n += 1

    for pos in range(n):
        word = w.kept[pos]
        # rows needed a few steps from now: the word entering the window, the next target
        if pos + m.window < n:
            prefetch_shared_row(&w.input_cache, w.kept[pos + m.window], size)
        if m.negative and pos + 1 < n:
            prefetch_shared_row(&w.output_cache, w.kept[pos + 1], size)
        reduced = m.window
        if m.shrink_windows:
            reduced = m.window - <int>(lcg_next(&w.next_random) % <uint64_t>m.window)
        start = pos - reduced if pos > reduced else 0
        end = pos + reduced + 1 if pos + reduced + 1 < n else n
        if m.sg:
            # each context word's vector predicts the centre word
            for c in range(start, end):
                if c == pos:
                    continue
                l1 = cached_row(&w.input_cache, w.kept[c], size)
                if c + 1 < end:
                    prefetch_shared_row(&w.input_cache, w.kept[c + 1], size)
                memset(neu1e, 0, size * sizeof(float))
                w.loss += output_layer(m, w, l1, word, alpha, neu1e)
                axpy(1.0, neu1e, l1, size)
        else:
            # the sum (or mean) of the context vectors predicts the centre word
            memset(neu1, 0, size * sizeof(float))
            count = 0
            for c in range(start, end):
                if c != pos:
                    axpy(1.0, cached_row(&w.input_cache, w.kept[c], size), neu1, size)
                    count += 1
            if count == 0:
                continue
            if m.cbow_mean:
                for i in range(size):
                    neu1[i] /= count
            memset(neu1e, 0, size * sizeof(float))
            w.loss += output_layer(m, w, neu1, word, alpha, neu1e)
            if not m.cbow_mean:  # a summed input spreads its error over the context words
                for i in range(size):
                    neu1e[i] /= count
            for c in range(start, end):
                if c != pos:
                    axpy(1.0, neu1e, cached_row(&w.input_cache, w.kept[c], size), size)
    w.words_since_flush += n
    if w.words_since_flush >= m.hot_flush_words:
        flush_hot_rows(m, w)
    return n


cdef double score_sentence(const Model *m, Worker *w, const int32_t *sentence,
                           int64_t length) noexcept nogil:
    """log P(sentence) under hierarchical softmax, full window, no subsampling."""
    cdef int64_t pos, c, start, end, d, word
    cdef int count, size = m.size, i
    cdef double logp = 0.0
    cdef float *neu1 = w.neu1
    cdef const float *l1
    for pos in range(length):
        word = sentence[pos]
        start = pos - m.window if pos > m.window else 0
        end = pos + m.window + 1 if pos + m.window + 1 < length else length
        if m.sg:
            for c in range(start, end):
                if c == pos:
                    continue
                l1 = m.syn0 + <int64_t>sentence[c] * size
                for d in range(m.code_offsets[word], m.code_offsets[word + 1]):
                    logp -= neg_log_sigmoid((1 - 2 * m.codes[d]) *
                                            <double>dot(l1, m.syn1 + <int64_t>m.points[d] * size, size))
        else:
            memset(neu1, 0, size * sizeof(float))
            count = 0
            for c in range(start, end):
                if c != pos:
                    axpy(1.0, m.syn0 + <int64_t>sentence[c] * size, neu1, size)
                    count += 1
            if count == 0:
                continue
            if m.cbow_mean:
                for i in range(size):
                    neu1[i] /= count
            for d in range(m.code_offsets[word], m.code_offsets[word + 1]):
                logp -= neg_log_sigmoid((1 - 2 * m.codes[d]) *
                                        <double>dot(neu1, m.syn1 + <int64_t>m.points[d] * size, size))
    return logp


cdef class KernelModel:
    """The kernel's view of a model: pointers into validated arrays, kept alive here.

    Parameters
    ----------
    syn0, syn1, syn1neg : ndarray of float32, shape (vocab_size, size), C-contiguous
        Updated in place.  ``syn1`` / ``syn1neg`` may be empty when hs / negative is off.
    keep_prob : ndarray of float32, shape (vocab_size,) or None
        Subsampling keep probabilities; None disables subsampling.
    alias_prob, alias_index : ndarrays (vocab_size,) float32 / int32
        Negative-sampling alias table.
    codes, points, code_offsets : Huffman paths (see ``w2vx._huffman``).
    sg, hs, negative, window, cbow_mean, shrink_windows, compute_loss : int
    hot_words : ndarray of int64, optional
        Word ids whose syn0 / syn1neg rows each thread updates in a private copy when
        several threads train (the most frequent words; see ``RowCache``).
    hot_nodes : ndarray of int64, optional
        Inner-node ids likewise for syn1 (the nodes nearest the Huffman root).
    hot_flush_words : int
        Words a thread trains between two flushes of its copies into the shared rows.
    """

    def __init__(self, float[:, ::1] syn0, float[:, ::1] syn1, float[:, ::1] syn1neg,
                 keep_prob, float[::1] alias_prob, int32_t[::1] alias_index,
                 uint8_t[::1] codes, int32_t[::1] points, int64_t[::1] code_offsets,
                 int sg, int hs, int negative, int window, int cbow_mean,
                 int shrink_windows, int compute_loss, hot_words=None, hot_nodes=None,
                 int64_t hot_flush_words=4096):
        cdef int64_t vocab_size = syn0.shape[0]
        cdef float[::1] keep
        if vocab_size < 1 or syn0.shape[1] < 1 or window < 1 or negative < 0:
            raise ValueError("kernel needs a non-empty vocabulary, size >= 1, window >= 1")
        if hs and (syn1.shape[0] != vocab_size or syn1.shape[1] != syn0.shape[1]
                   or code_offsets.shape[0] != vocab_size + 1 or points.shape[0] != codes.shape[0]
                   or (codes.shape[0] and (np.asarray(points).min() < 0
                                          or np.asarray(points).max() >= max(vocab_size - 1, 1)))):
            raise ValueError("hierarchical softmax tables do not match the vocabulary")
        if negative and (syn1neg.shape[0] != vocab_size or syn1neg.shape[1] != syn0.shape[1]
                         or alias_prob.shape[0] != vocab_size or alias_index.shape[0] != vocab_size
                         or np.asarray(alias_index).min() < 0 or np.asarray(alias_index).max() >= vocab_size):
            raise ValueError("negative-sampling tables do not match the vocabulary")
        self._arrays = [syn0, syn1, syn1neg, alias_prob, alias_index, codes, points, code_offsets]
        self.m.syn0 = &syn0[0, 0]
        self.m.syn1 = &syn1[0, 0] if hs else NULL
        self.m.syn1neg = &syn1neg[0, 0] if negative else NULL
        self.m.keep_prob = NULL
        if keep_prob is not None:
            keep = keep_prob
            if keep.shape[0] != vocab_size:
                raise ValueError("keep_prob does not match the vocabulary")
            self._arrays.append(keep)
            self.m.keep_prob = &keep[0]
        self.m.alias_prob = &alias_prob[0] if negative else NULL
        self.m.alias_index = &alias_index[0] if negative else NULL
        self.m.codes = &codes[0] if hs and codes.shape[0] else NULL
        self.m.points = &points[0] if hs and points.shape[0] else NULL
        self.m.code_offsets = &code_offsets[0] if hs else NULL
        self.m.max_code_length = int(np.diff(np.asarray(code_offsets)).max()) if hs and vocab_size > 1 else 0
        self.m.vocab_size = vocab_size
        self.m.size = <int>syn0.shape[1]
        self.m.window = window
        self.m.negative = negative
        self.m.hs = 1 if hs else 0
        self.m.sg = 1 if sg else 0
        self.m.cbow_mean = 1 if cbow_mean else 0
        self.m.shrink_windows = 1 if shrink_windows else 0
        self.m.compute_loss = 1 if compute_loss else 0
        self.m.hot_word_slot = self.m.hot_node_slot = NULL
        self.m.hot_word_rows = self.m.hot_node_rows = NULL
        self.m.hot_words = self.m.hot_nodes = 0
        if hot_flush_words < 1:
            raise ValueError("hot_flush_words must be >= 1")
        self.m.hot_flush_words = hot_flush_words
        if hot_words is not None and len(hot_words):
            slot_of, rows = _slot_map(hot_words, vocab_size)
            self._arrays += [slot_of, rows]
            self.m.hot_word_slot = <const int32_t *>cnp.PyArray_DATA(slot_of)
            self.m.hot_word_rows = <const int64_t *>cnp.PyArray_DATA(rows)
            self.m.hot_words = <int>rows.shape[0]
        if hs and hot_nodes is not None and len(hot_nodes):
            slot_of, rows = _slot_map(hot_nodes, max(vocab_size - 1, 1))
            self._arrays += [slot_of, rows]
            self.m.hot_node_slot = <const int32_t *>cnp.PyArray_DATA(slot_of)
            self.m.hot_node_rows = <const int64_t *>cnp.PyArray_DATA(rows)
            self.m.hot_nodes = <int>rows.shape[0]

    def train_job(self, int32_t[::1] ids, int64_t[::1] offsets, double alpha_start,
                  double alpha_end, uint64_t seed, bint private_hot_rows=False):
        """Train on sentences ``ids[offsets[k]:offsets[k+1]]`` without the GIL.

        Alpha falls linearly from ``alpha_start`` to ``alpha_end`` across the job's words.
        Ids must be valid vocabulary indices (:func:`encode_sentences` guarantees it).
        ``private_hot_rows``: other threads train at the same time (see ``RowCache``).

        Returns
        -------
        effective_words : int
            Words trained after subsampling.
        loss : float
            Summed loss of the job (0.0 unless compute_loss).
        """
        cdef Py_ssize_t n_sent = offsets.shape[0] - 1
        cdef Py_ssize_t k
        cdef int64_t total = offsets[n_sent] - offsets[0] if n_sent > 0 else 0
        cdef int64_t done = 0, kept, effective = 0
        cdef double alpha
        cdef Worker w
        cdef int failed = 0
        if n_sent > 0 and (offsets[0] < 0 or offsets[n_sent] > ids.shape[0]):
            raise ValueError("sentence offsets out of range")
        if worker_init(&w, &self.m, seed, private_hot_rows) != 0:
            raise MemoryError("cannot allocate training scratch memory")
        with nogil:
            for k in range(n_sent):
                alpha = alpha_start
                if total > 0:
                    alpha = alpha_start + (alpha_end - alpha_start) * (<double>done / total)
                kept = train_sentence(&self.m, &w, &ids[0] + offsets[k],
                                      offsets[k + 1] - offsets[k], <float>alpha)
                if kept < 0:
                    failed = 1
                    break
                effective += kept
                done += offsets[k + 1] - offsets[k]
        loss = w.loss
        worker_free(&w, &self.m)
        if failed:
            raise MemoryError("cannot allocate memory for a sentence")
        return effective, loss

    def score_job(self, int32_t[::1] ids, int64_t[::1] offsets):
        """log-probability of each sentence under hierarchical softmax (needs hs=1)."""
        cdef Py_ssize_t n_sent = offsets.shape[0] - 1, k
        cdef cnp.ndarray[double, ndim=1] result = np.zeros(max(n_sent, 0), dtype=np.float64)
        cdef double[::1] out = result
        cdef Worker w
        if not self.m.hs:
            raise RuntimeError("scoring needs hierarchical softmax (hs=1)")
        if worker_init(&w, &self.m, 1, 0) != 0:
            raise MemoryError("cannot allocate scratch memory")
        with nogil:
            for k in range(n_sent):
                out[k] = score_sentence(&self.m, &w, &ids[0] + offsets[k], offsets[k + 1] - offsets[k])
        worker_free(&w, &self.m)
        return result


cdef extern from *:
    """
    #if defined(__GLIBC__)
    #include <malloc.h>
    static int w2vx_release_free_memory(void) { return malloc_trim(0); }
    #else
    static int w2vx_release_free_memory(void) { return 0; }
    #endif
    """
    int w2vx_release_free_memory() nogil


def release_free_memory() -> bool:
    """Give the C heap's free pages back to the OS (glibc ``malloc_trim``; no-op elsewhere).

    Building a vocabulary frees a large dictionary; without this its pages stay
    resident through training (3 MB on IMDB).
    """
    return bool(w2vx_release_free_memory())


def _slot_map(rows, int64_t n_rows):
    """(slot_of, rows): slot_of[r] is r's position in ``rows`` (unique ids < n_rows), else -1."""
    rows = np.ascontiguousarray(rows, dtype=np.int64)
    if rows.ndim != 1 or rows.min() < 0 or rows.max() >= n_rows or np.unique(rows).size != rows.size:
        raise ValueError("hot rows must be distinct row ids of the matrix")
    slot_of = np.full(n_rows, -1, dtype=np.int32)
    slot_of[rows] = np.arange(rows.size, dtype=np.int32)
    return slot_of, rows


def encode_sentences(list sentences, dict key_to_index, int64_t vocab_size):
    """Map token lists to one int32 id array, dropping out-of-vocabulary tokens.

    Parameters
    ----------
    sentences : list of list of str
    key_to_index : dict of str to int
    vocab_size : int
        Ids must lie in ``[0, vocab_size)``; anything else raises ValueError
        (a corrupted ``key_to_index`` must not reach the kernel).

    Returns
    -------
    ids : ndarray of int32
    offsets : ndarray of int64, shape (len(sentences) + 1,)
        Sentence ``k`` is ``ids[offsets[k]:offsets[k+1]]``.
    raw_words : int
        Tokens seen, including out-of-vocabulary ones.
    """
    cdef Py_ssize_t n_sent = len(sentences), k, n = 0, raw = 0
    for sentence in sentences:
        raw += len(sentence)
    cdef cnp.ndarray[int32_t, ndim=1] ids = np.empty(raw, dtype=np.int32)
    cdef cnp.ndarray[int64_t, ndim=1] offsets = np.empty(n_sent + 1, dtype=np.int64)
    cdef PyObject *found
    cdef int64_t index
    cdef Py_ssize_t j
    cdef object sentence_obj
    cdef list tokens
    offsets[0] = 0
    for k in range(n_sent):
        sentence_obj = sentences[k]
        tokens = sentence_obj if type(sentence_obj) is list else list(sentence_obj)
        if len(tokens) > len(sentence_obj):  # an iterable whose len() undercounts
            raise ValueError("a sentence yielded more tokens than its len()")
        for j in range(len(tokens)):
            token = <object>PyList_GET_ITEM(tokens, j)
            found = PyDict_GetItem(key_to_index, token)
            if found != NULL:
                index = PyLong_AsSsize_t(<object>found)
                if index < 0 or index >= vocab_size:
                    raise ValueError(f"key_to_index maps {token!r} to {index}, outside the "
                                     f"vocabulary of {vocab_size} words")
                ids[n] = <int32_t>index
                n += 1
        offsets[k + 1] = n
    return ids[:n], offsets, raw


def build_alias_table(weights):
    """Alias table (Vose) for O(1) draws from ``weights / weights.sum()``.

    Returns
    -------
    prob : ndarray of float32
        Draw slot ``i`` uniformly, then keep ``i`` if a uniform number is below
        ``prob[i]``, else take ``alias[i]``.
    alias : ndarray of int32
    """
    cdef cnp.ndarray[double, ndim=1] scaled = np.asarray(weights, dtype=np.float64).copy()
    cdef Py_ssize_t n = scaled.shape[0], i, s, l, n_small = 0, n_large = 0
    if n == 0 or not np.isfinite(scaled).all() or (scaled < 0).any() or scaled.sum() <= 0:
        raise ValueError("alias table needs finite non-negative weights with a positive sum")
    scaled *= n / scaled.sum()
    cdef cnp.ndarray[double, ndim=1] prob = np.ones(n, dtype=np.float64)
    cdef cnp.ndarray[int32_t, ndim=1] alias = np.arange(n, dtype=np.int32)
    cdef cnp.ndarray[int64_t, ndim=1] small = np.empty(n, dtype=np.int64)
    cdef cnp.ndarray[int64_t, ndim=1] large = np.empty(n, dtype=np.int64)
    for i in range(n):
        if scaled[i] < 1.0:
            small[n_small] = i
            n_small += 1
        else:
            large[n_large] = i
            n_large += 1
    while n_small > 0 and n_large > 0:
        n_small -= 1
        s = small[n_small]
        l = large[n_large - 1]
        prob[s] = scaled[s]
        alias[s] = <int32_t>l
        scaled[l] = (scaled[l] + scaled[s]) - 1.0
        if scaled[l] < 1.0:
            n_large -= 1
            small[n_small] = l
            n_small += 1
    # leftovers are 1 up to rounding
    return prob.astype(np.float32), alias


# ---- small windows onto the kernel's own inline functions, for tests ----

def exp_table():
    """A copy of the sigmoid table (float32, EXP_TABLE_SIZE entries)."""
    return np.array(<float[:EXP_TABLE_SIZE]>EXP_TABLE, dtype=np.float32)


def sigmoid_table_lookup(float f):
    """The kernel's table sigmoid of ``f`` (meaningful for -MAX_EXP < f < MAX_EXP)."""
    return sigmoid_lookup(f)


def hs_update_scale(float f, int code, float alpha):
    """Gradient scale of one hs inner node, or None when the kernel skips it (|f| >= MAX_EXP)."""
    cdef int skip
    cdef float g = hs_gradient(f, code, alpha, &skip)
    return None if skip else g


def negative_update_scale(float f, int label, float alpha):
    """Gradient scale of one negative-sampling word (saturating outside +-MAX_EXP)."""
    return neg_gradient(f, label, alpha)


def lcg_states(uint64_t seed, int n):
    """The next ``n`` LCG states after ``seed`` (uint64)."""
    cdef cnp.ndarray[uint64_t, ndim=1] out = np.empty(n, dtype=np.uint64)
    cdef uint64_t state = seed
    cdef int i
    for i in range(n):
        out[i] = lcg_next(&state)
    return out


def lcg_uniforms(uint64_t seed, int n):
    """The next ``n`` uniform draws ((state & 0xFFFF) / 65536) after ``seed``."""
    cdef cnp.ndarray[double, ndim=1] out = np.empty(n, dtype=np.float64)
    cdef uint64_t state = seed
    cdef int i
    for i in range(n):
        out[i] = lcg_uniform(&state)
    return out


def subsample_mask(int32_t[::1] sentence, float[::1] keep_prob, uint64_t seed):
    """Which words of ``sentence`` the kernel keeps, drawing from the LCG started at ``seed``."""
    cdef cnp.ndarray[uint8_t, ndim=1] out = np.zeros(sentence.shape[0], dtype=np.uint8)
    cdef uint64_t state = seed
    cdef Py_ssize_t i
    for i in range(sentence.shape[0]):
        out[i] = keep_word(&keep_prob[0], sentence[i], &state)
    return out.astype(bool)


def draw_negatives(float[::1] alias_prob, int32_t[::1] alias_index, uint64_t seed, int n):
    """``n`` negative-sampling draws exactly as the kernel makes them."""
    cdef Model m
    cdef Worker w
    cdef cnp.ndarray[int64_t, ndim=1] out = np.empty(n, dtype=np.int64)
    cdef int i
    m.vocab_size = alias_prob.shape[0]
    m.alias_prob = &alias_prob[0]
    m.alias_index = &alias_index[0]
    w.next_random = seed
    for i in range(n):
        out[i] = draw_negative(&m, &w)
    return out
