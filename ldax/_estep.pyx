# cython: language_level=3
"""Hot loops of variational LDA: digamma, Dirichlet expectations, the E-step.

Everything here runs without the GIL on float64 arrays whose shapes, dtypes and
index ranges were checked by the caller (``ldax.lda``); nothing here knows of
gensim or of the model object.  Layout: topic-word matrices are stored
*transposed*, ``V x K`` (one contiguous row of K topics per word), because the
E-step reads and writes whole rows for each word of a document.

Entry points (stable; ``LdaModel`` and a Spark executor call them alike):

* :func:`e_step` -- the E-step over a chunk of CSR documents, in parallel:
  fills gamma in place, and optionally the sufficient statistics (``V x K``)
  and each document's part of the variational bound.
* :func:`init_gamma` -- the E-step's seeded Gamma(100, 1/100) starting points.
* :func:`exp_dirichlet_expectation_t` -- ``Elogbeta`` and ``exp(Elogbeta)`` of
  a ``V x K`` lambda (the M-step's topic update).
* :func:`digamma_array`, :func:`exp_digamma_array` -- the kernel's digamma and
  exp(digamma), element-wise (for tests).

On x86-64 CPUs with AVX2 and FMA the inner loops run in a vectorised copy
chosen once at import (:data:`SIMD_AVX2`); the build itself stays portable.
"""
cimport cython
from cython.parallel cimport prange, parallel, threadid
from libc.math cimport log, exp, sqrt, fabs, lgamma, INFINITY, NAN
from libc.stdint cimport uint64_t
from libc.stdlib cimport malloc, free
from libc.string cimport memcpy, memset

import numpy as np
cimport numpy as cnp

cnp.import_array()

ctypedef cnp.int32_t idx_t

# The positive root of digamma and its split into two doubles (hi + lo), so
# that x - root keeps full relative precision near the root.
cdef double _ROOT_HI = 1.4616321449683622
cdef double _ROOT_LO = 9.549995429965697e-17
# Taylor coefficients psi^(n)(root) / n! for n = 1..10 (computed with mpmath).
cdef double[10] _ROOT_TAYLOR = [
    0.9676722454476212, -0.4427631689835921, 0.258499760955651,
    -0.16394270544240652, 0.10782405069126237, -0.07219956125645471,
    0.04880428816414311, -0.03316112647484736, 0.022597648232218104,
    -0.01542476590494896]


cdef inline double digamma(double x) noexcept nogil:
    """psi(x) for x > 0, relative error below 1e-13 (NaN for x <= 0 or NaN).

    Near the root (1.4616...) a Taylor series keeps relative accuracy where
    the generic path would cancel; elsewhere the recurrence
    psi(x) = psi(x + 1) - 1/x lifts x to >= 6 and the asymptotic series ends it.
    """
    cdef double h, acc, inv, inv2, num, den, shift = 0.0
    cdef int n
    if not x > 0.0:
        return NAN
    if x == INFINITY:
        return INFINITY
    h = (x - _ROOT_HI) - _ROOT_LO
    if fabs(h) < 0.05:
        acc = _ROOT_TAYLOR[9]
        for n in range(8, -1, -1):
            acc = acc * h + _ROOT_TAYLOR[n]
        return acc * h
    if x < 1e-6:
        # psi(x) = -1/x - euler + (pi^2 / 6) x + O(x^2)
        return -1.0 / x - 0.5772156649015329 + 1.6449340668482264 * x
    # Recurrence psi(x) = psi(x + 1) - 1/x up to x >= 6, its sum of reciprocals
    # kept as one fraction num/den: one division instead of up to six.
    if x < 6.0:
        num = 0.0
        den = 1.0
        while x < 6.0:
            num = num * x + den
            den = den * x
            x += 1.0
        shift = num / den
    inv = 1.0 / x
    inv2 = inv * inv
    # ln x - 1/(2x) - sum_n B_2n / (2n x^2n), n = 1..8
    return (log(x) - 0.5 * inv - inv2 * (1.0 / 12 - inv2 * (1.0 / 120 - inv2 * (
        1.0 / 252 - inv2 * (1.0 / 240 - inv2 * (1.0 / 132 - inv2 * (
            691.0 / 32760 - inv2 * (1.0 / 12 - inv2 * (3617.0 / 8160))))))))) - shift


def digamma_array(x):
    """Element-wise digamma of a float64 array (NaN where x <= 0).

    Parameters
    ----------
    x : array_like of float

    Returns
    -------
    numpy.ndarray of float64, same shape as ``x``

    Examples
    --------
    >>> float(digamma_array([1.0])[0])  # -Euler's constant
    -0.5772156649015329
    """
    arr = np.ascontiguousarray(x, dtype=np.float64)
    out = np.empty_like(arr)
    cdef double[::1] src = arr.reshape(-1)
    cdef double[::1] dst = out.reshape(-1)
    cdef Py_ssize_t i
    with nogil:
        for i in range(src.shape[0]):
            dst[i] = digamma(src[i])
    return out


def exp_digamma_array(x, double scale=1.0):
    """``scale * exp(psi(x))`` element-wise, by the E-step's own code path (tests).

    Parameters
    ----------
    x : array_like of float, all > 0
    scale : float

    Returns
    -------
    numpy.ndarray of float64
    """
    arr = np.ascontiguousarray(x, dtype=np.float64).reshape(-1)
    out = np.empty_like(arr)
    cdef double[::1] src = arr
    cdef double[::1] dst = out
    if arr.size:
        with nogil:
            ldax_exp_digamma_scaled(&src[0], &dst[0], src.shape[0], scale)
    return out.reshape(np.shape(x))


def exp_dirichlet_expectation_t(const double[:, ::1] sstats_t, const double[:, ::1] eta_t,
                                double[:, ::1] exp_elog_beta_t, double[:, ::1] elog_beta_t=None,
                                int workers=1):
    """E[log beta] and exp(E[log beta]) of ``lambda = sstats + eta``, all stored transposed.

    lambda is formed on the fly, so the M-step needs no ``V x K`` temporary.

    Parameters
    ----------
    sstats_t : float64 array, shape (V, K), C-contiguous
        Expected topic-word counts, one row per word.
    eta_t : float64 array, shape (V, K) or (V, 1), C-contiguous
        The topic-word prior (a column when it is the same for every topic).
    exp_elog_beta_t : float64 array, shape (V, K), written, or None
        ``exp(psi(lambda[w, k]) - psi(sum_w lambda[w, k]))``.
    elog_beta_t : float64 array, shape (V, K), optional, written
        The logarithm before exponentiation, when given.
    workers : int
        Threads.
    """
    cdef Py_ssize_t V = sstats_t.shape[0], K = sstats_t.shape[1], w, k
    if eta_t.shape[0] != V or eta_t.shape[1] not in (1, K) or (exp_elog_beta_t is not None and (
                exp_elog_beta_t.shape[0] != V or exp_elog_beta_t.shape[1] != K)) or (
            elog_beta_t is not None and (elog_beta_t.shape[0] != V or elog_beta_t.shape[1] != K)):
        raise ValueError("exp_dirichlet_expectation_t: inconsistent array shapes")
    cdef bint per_topic_eta = eta_t.shape[1] == K
    cdef double[::1] psi_total = np.empty(K)
    cdef double value
    cdef bint want_log = elog_beta_t is not None
    cdef bint want_exp = exp_elog_beta_t is not None
    totals_arr = np.asarray(sstats_t).sum(axis=0) + np.asarray(eta_t).sum(axis=0)
    cdef const double[::1] totals = np.array(np.broadcast_to(totals_arr, (K,)))
    for k in range(K):
        psi_total[k] = digamma(totals[k])
    cdef double[::1] inv_exp_psi_total = np.empty(K)
    cdef bint direct = want_exp and not want_log
    for k in range(K):
        if not totals[k] >= 1.0:  # exp(psi(total)) could underflow: the log-domain path
            direct = False
        else:
            inv_exp_psi_total[k] = 1.0 / ldax_exp_digamma(totals[k])
    with nogil:
        if direct:
            # exp(psi(lambda) - psi(total)) = exp(psi(lambda)) / exp(psi(total)), by the
            # E-step's vectorised exp(psi): no scalar digamma and exp per entry
            for w in prange(V, num_threads=workers, schedule="static"):
                for k in range(K):
                    exp_elog_beta_t[w, k] = sstats_t[w, k] + eta_t[w, k if per_topic_eta else 0]
                ldax_exp_digamma_scaled(&exp_elog_beta_t[w, 0], &exp_elog_beta_t[w, 0], K, 1.0)
                for k in range(K):
                    exp_elog_beta_t[w, k] = exp_elog_beta_t[w, k] * inv_exp_psi_total[k]
        else:
            for w in prange(V, num_threads=workers, schedule="static"):
                for k in range(K):
                    value = digamma(sstats_t[w, k] + eta_t[w, k if per_topic_eta else 0]) - psi_total[k]
                    if want_exp:
                        exp_elog_beta_t[w, k] = exp(value)
                    if want_log:
                        elog_beta_t[w, k] = value


# ---------------------------------------------------------------- generator
cdef inline uint64_t splitmix64(uint64_t* state) noexcept nogil:
    """One step of SplitMix64 (Steele, Lea & Flood 2014): a tiny seedable stream."""
    cdef uint64_t z
    state[0] += <uint64_t>0x9E3779B97F4A7C15
    z = state[0]
    z = (z ^ (z >> 30)) * <uint64_t>0xBF58476D1CE4E5B9
    z = (z ^ (z >> 27)) * <uint64_t>0x94D049BB133111EB
    return z ^ (z >> 31)


cdef inline double uniform_open(uint64_t* state) noexcept nogil:
    """Uniform on (0, 1): 53 random bits, shifted off zero."""
    return ((splitmix64(state) >> 11) + 0.5) * (1.0 / 9007199254740992.0)


# Standard normals by the ziggurat method of Marsaglia & Tsang (2000), 256 layers of
# equal area under exp(-x^2 / 2): one 64-bit draw, a table lookup and a compare for
# 98.8% of the normals (the E-step draws K of them per document, the initial topics
# K x V).  Layer i spans widths [0, x[i]] and heights [f(x[i]), f(x[i + 1])]; layer 0
# is the base strip with the tail beyond r folded into its width x[0] = v / f(r).
cdef extern from *:
    """
    #include <math.h>
    #define LDAX_ZIG_LAYERS 256
    static double ldax_zig_x[LDAX_ZIG_LAYERS + 1], ldax_zig_f[LDAX_ZIG_LAYERS + 1];
    static const double ldax_zig_r = 3.6541528853610088;  /* x[1]: where the tail starts */
    static void ldax_zig_init(void) {
        const double area = 4.92867323399e-3;  /* of each layer (the paper's v for 256) */
        ldax_zig_f[1] = exp(-0.5 * ldax_zig_r * ldax_zig_r);
        ldax_zig_x[0] = area / ldax_zig_f[1];
        ldax_zig_f[0] = 0.0;
        ldax_zig_x[1] = ldax_zig_r;
        for (int i = 1; i < LDAX_ZIG_LAYERS - 1; ++i) {
            ldax_zig_f[i + 1] = ldax_zig_f[i] + area / ldax_zig_x[i];
            ldax_zig_x[i + 1] = sqrt(-2.0 * log(ldax_zig_f[i + 1]));
        }
        ldax_zig_x[LDAX_ZIG_LAYERS] = 0.0;
        ldax_zig_f[LDAX_ZIG_LAYERS] = 1.0;
    }
    """
    void ldax_zig_init() noexcept nogil
    const double* ldax_zig_x
    const double* ldax_zig_f
    const double ldax_zig_r

ldax_zig_init()


cdef inline double std_normal(uint64_t* state) noexcept nogil:
    """A standard normal draw (ziggurat; bits 0-7 pick the layer, bit 8 the sign, the top
    53 the position within the layer)."""
    cdef uint64_t bits
    cdef int layer
    cdef double x, t, y
    while True:
        bits = splitmix64(state)
        layer = <int>(bits & 0xFF)
        x = ((bits >> 11) * (1.0 / 9007199254740992.0)) * ldax_zig_x[layer]
        if x >= ldax_zig_x[layer + 1]:
            if layer == 0:
                # the tail beyond r (Marsaglia 1964): x = r + t with t ~ exp(r) tilted
                while True:
                    t = -log(uniform_open(state)) / ldax_zig_r
                    y = -log(uniform_open(state))
                    if y + y >= t * t:
                        break
                x = ldax_zig_r + t
            else:
                # in the wedge: accept below the curve
                y = ldax_zig_f[layer] + uniform_open(state) * (
                    ldax_zig_f[layer + 1] - ldax_zig_f[layer])
                if y >= exp(-0.5 * x * x):
                    continue
        return -x if (bits >> 8) & 1 else x


cdef inline double gamma_draw(double shape, double scale, uint64_t* state) noexcept nogil:
    """Gamma(shape, scale) for shape >= 1 by Marsaglia & Tsang's (2000) squeeze method."""
    cdef double d = shape - 1.0 / 3.0, c = 1.0 / sqrt(9.0 * d), x, v, u
    while True:
        x = std_normal(state)
        v = 1.0 + c * x
        if v <= 0.0:
            continue
        v = v * v * v
        u = uniform_open(state)
        if u < 1.0 - 0.0331 * x * x * x * x:
            return d * v * scale
        if log(u) < 0.5 * x * x + d * (1.0 - v + log(v)):
            return d * v * scale


def std_normal_array(Py_ssize_t n, uint64_t seed):
    """``n`` standard normal draws of the E-step's generator, from one stream (tests).

    Returns
    -------
    numpy.ndarray of float64, shape (n,)
    """
    out = np.empty(n)
    cdef double[::1] dst = out
    cdef uint64_t state = seed
    cdef Py_ssize_t i
    with nogil:
        for i in range(n):
            dst[i] = std_normal(&state)
    return out


def init_gamma(Py_ssize_t n_docs, Py_ssize_t num_topics, uint64_t seed, int workers=1,
               Py_ssize_t first_doc=0):
    """The E-step's initial gamma: Gamma(100, 1/100) draws, one seeded stream per document.

    Document ``d`` of a chunk draws from a SplitMix64 stream seeded by
    ``(seed, d)``, so the result depends on neither thread count nor schedule.
    Row ``i`` of the result is document ``first_doc + i`` (a slice of a chunk).

    Returns
    -------
    numpy.ndarray of float64, shape (n_docs, num_topics)
    """
    out = np.empty((n_docs, num_topics))
    cdef double[:, ::1] gamma = out
    cdef Py_ssize_t d
    if workers < 1 or first_doc < 0:
        raise ValueError("init_gamma: workers must be >= 1 and first_doc >= 0")
    with nogil:
        for d in prange(n_docs, num_threads=workers, schedule="static"):
            _init_doc(&gamma[d, 0], num_topics, seed, first_doc + d)
    return out


cdef inline void _init_doc(double* gammad, Py_ssize_t K, uint64_t seed, Py_ssize_t d) noexcept nogil:
    cdef uint64_t state = seed ^ (<uint64_t>(d + 1) * <uint64_t>0xD1B54A32D192ED03)
    cdef Py_ssize_t k
    splitmix64(&state)  # decorrelate neighbouring document seeds
    for k in range(K):
        gammad[k] = gamma_draw(100.0, 0.01, &state)


# ---------------------------------------------------------------- E-step
# The two inner loops of the E-step (a dot product and an axpy per word of a
# document), in C so that x86-64 CPUs with AVX2/FMA get a vectorised copy
# chosen once at import, while the default build stays portable (baseline
# x86-64 or any other architecture gets the generic copy).  "omp simd" lets
# the compiler vectorise the dot product's sum without -ffast-math.
cdef extern from *:
    """
    #include <stddef.h>
    /* acc += sum_j cts[j] / (theta . beta[ids[j]] + eps) * beta[ids[j]], and
       ratios[j] = cts[j] / (theta . beta[ids[j]] + eps).
       Four words at a time: theta is loaded once for four dot products (four
       independent chains) and acc once for four axpys; DOT serves the last words. */
    #define LDAX_ACCUMULATE(SUFFIX, DOT)                                               \
    static void ldax_accumulate_##SUFFIX(const int* ids, const double* cts, ptrdiff_t n,\
            const double* beta_t, const double* theta, double* acc, ptrdiff_t K,       \
            double eps, double* ratios) {                                              \
        ptrdiff_t j = 0;                                                               \
        for (; j + 4 <= n; j += 4) {                                                   \
            const double* r0 = beta_t + (ptrdiff_t)ids[j] * K;                         \
            const double* r1 = beta_t + (ptrdiff_t)ids[j + 1] * K;                     \
            const double* r2 = beta_t + (ptrdiff_t)ids[j + 2] * K;                     \
            const double* r3 = beta_t + (ptrdiff_t)ids[j + 3] * K;                     \
            double d0 = 0.0, d1 = 0.0, d2 = 0.0, d3 = 0.0;                             \
            _Pragma("omp simd reduction(+:d0,d1,d2,d3)")                               \
            for (ptrdiff_t k = 0; k < K; ++k) {                                        \
                const double t = theta[k];                                             \
                d0 += t * r0[k]; d1 += t * r1[k]; d2 += t * r2[k]; d3 += t * r3[k];    \
            }                                                                          \
            const double c0 = cts[j] / (d0 + eps), c1 = cts[j + 1] / (d1 + eps);       \
            const double c2 = cts[j + 2] / (d2 + eps), c3 = cts[j + 3] / (d3 + eps);   \
            ratios[j] = c0; ratios[j + 1] = c1; ratios[j + 2] = c2; ratios[j + 3] = c3; \
            _Pragma("omp simd")                                                        \
            for (ptrdiff_t k = 0; k < K; ++k)                                          \
                acc[k] += (c0 * r0[k] + c1 * r1[k]) + (c2 * r2[k] + c3 * r3[k]);       \
        }                                                                              \
        for (; j < n; ++j) {                                                           \
            const double* row = beta_t + (ptrdiff_t)ids[j] * K;                        \
            const double r = cts[j] / (DOT(theta, row, K) + eps);                      \
            ratios[j] = r;                                                             \
            _Pragma("omp simd")                                                        \
            for (ptrdiff_t k = 0; k < K; ++k) acc[k] += r * row[k];                    \
        }                                                                              \
    }
    /* Four partial sums: one chain of additions would wait on each add's latency. */
    static inline double ldax_dot_generic(const double* a, const double* b, ptrdiff_t n) {
        double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
        ptrdiff_t k = 0;
        for (; k + 4 <= n; k += 4) {
            s0 += a[k] * b[k]; s1 += a[k + 1] * b[k + 1];
            s2 += a[k + 2] * b[k + 2]; s3 += a[k + 3] * b[k + 3];
        }
        for (; k < n; ++k) s0 += a[k] * b[k];
        return (s0 + s1) + (s2 + s3);
    }
    LDAX_ACCUMULATE(generic, ldax_dot_generic)
    /* The same products on a document's compact block (the topics still in play, see
       _infer_doc), stored topic-major, block[a * n + j], so that both run along the
       document's words, which vectorise without a horizontal sum per word:
       ratios[j] = cts[j] / (sum_a theta[a] block[a, j] + eps) and
       acc[a] = sum_j ratios[j] block[a, j].  Four topics per sweep of the words. */
    #define LDAX_ACCUMULATE_COMPACT(SUFFIX)                                              \
    static void ldax_accumulate_compact_##SUFFIX(const double* block, ptrdiff_t n,      \
            ptrdiff_t m, const double* cts, const double* theta, double eps,            \
            double* ratios, double* acc) {                                               \
        ptrdiff_t a = 0, j;                                                              \
        for (j = 0; j < n; ++j) ratios[j] = 0.0;                                         \
        for (; a + 4 <= m; a += 4) {                                                     \
            const double t0 = theta[a], t1 = theta[a + 1], t2 = theta[a + 2], t3 = theta[a + 3]; \
            const double *r0 = block + a * n, *r1 = r0 + n, *r2 = r1 + n, *r3 = r2 + n; \
            _Pragma("omp simd")                                                          \
            for (j = 0; j < n; ++j)                                                      \
                ratios[j] += (t0 * r0[j] + t1 * r1[j]) + (t2 * r2[j] + t3 * r3[j]);      \
        }                                                                                \
        for (; a < m; ++a) {                                                             \
            const double t = theta[a], *r = block + a * n;                               \
            _Pragma("omp simd")                                                          \
            for (j = 0; j < n; ++j) ratios[j] += t * r[j];                               \
        }                                                                                \
        _Pragma("omp simd")                                                              \
        for (j = 0; j < n; ++j) ratios[j] = cts[j] / (ratios[j] + eps);                  \
        for (a = 0; a + 4 <= m; a += 4) {                                                \
            const double *r0 = block + a * n, *r1 = r0 + n, *r2 = r1 + n, *r3 = r2 + n; \
            double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;                               \
            _Pragma("omp simd reduction(+:s0,s1,s2,s3)")                                 \
            for (j = 0; j < n; ++j) {                                                    \
                const double r = ratios[j];                                              \
                s0 += r * r0[j]; s1 += r * r1[j]; s2 += r * r2[j]; s3 += r * r3[j];      \
            }                                                                            \
            acc[a] = s0; acc[a + 1] = s1; acc[a + 2] = s2; acc[a + 3] = s3;              \
        }                                                                                \
        for (; a < m; ++a) {                                                             \
            const double* r = block + a * n;                                             \
            double s0 = 0.0;                                                             \
            _Pragma("omp simd reduction(+:s0)")                                          \
            for (j = 0; j < n; ++j) s0 += ratios[j] * r[j];                              \
            acc[a] = s0;                                                                 \
        }                                                                                \
    }
    LDAX_ACCUMULATE_COMPACT(generic)
    /* y += a * x (the sufficient statistics' per-word sums) */
    #define LDAX_AXPY(SUFFIX)                                                            \
    static void ldax_axpy_##SUFFIX(double a, const double* restrict x, double* restrict y, \
                                   ptrdiff_t n) {                                        \
        _Pragma("omp simd")                                                              \
        for (ptrdiff_t k = 0; k < n; ++k) y[k] += a * x[k];                              \
    }
    LDAX_AXPY(generic)
    #if defined(__GNUC__) && defined(__x86_64__)
    #include <immintrin.h>
    /* Four independent 4-wide FMA chains (16 doubles per step). */
    __attribute__((target("avx2,fma")))
    static inline double ldax_dot_avx2(const double* a, const double* b, ptrdiff_t n) {
        __m256d s0 = _mm256_setzero_pd(), s1 = s0, s2 = s0, s3 = s0;
        ptrdiff_t k = 0;
        for (; k + 16 <= n; k += 16) {
            s0 = _mm256_fmadd_pd(_mm256_loadu_pd(a + k), _mm256_loadu_pd(b + k), s0);
            s1 = _mm256_fmadd_pd(_mm256_loadu_pd(a + k + 4), _mm256_loadu_pd(b + k + 4), s1);
            s2 = _mm256_fmadd_pd(_mm256_loadu_pd(a + k + 8), _mm256_loadu_pd(b + k + 8), s2);
            s3 = _mm256_fmadd_pd(_mm256_loadu_pd(a + k + 12), _mm256_loadu_pd(b + k + 12), s3);
        }
        for (; k + 4 <= n; k += 4)
            s0 = _mm256_fmadd_pd(_mm256_loadu_pd(a + k), _mm256_loadu_pd(b + k), s0);
        s0 = _mm256_add_pd(_mm256_add_pd(s0, s1), _mm256_add_pd(s2, s3));
        __m128d h = _mm_add_pd(_mm256_castpd256_pd128(s0), _mm256_extractf128_pd(s0, 1));
        double s = _mm_cvtsd_f64(_mm_add_sd(h, _mm_unpackhi_pd(h, h)));
        for (; k < n; ++k) s += a[k] * b[k];
        return s;
    }
    #pragma GCC push_options
    #pragma GCC target("avx2,fma")
    LDAX_ACCUMULATE(avx2, ldax_dot_avx2)
    LDAX_ACCUMULATE_COMPACT(avx2)
    LDAX_AXPY(avx2)
    #pragma GCC pop_options
    #endif
    /* exp(psi(x)) for x > 0: psi(x) = psi(y) - sum_{i<n} 1/(x+i), y = x + n >= 6,
       with the reciprocals summed as one fraction num/den, and the asymptotic
       series psi(y) = ln y - 1/(2y) - sum_n B_2n / (2n y^2n), so that
       exp(psi(x)) = y exp(-num/den - 1/(2y) - series): no logarithm.  Branch
       free: six masked recurrence steps (all masked off for x >= 6). */
    #define LDAX_SERIES(inv2) ((inv2) * (1.0 / 12 - (inv2) * (1.0 / 120 - (inv2) * (      \
        1.0 / 252 - (inv2) * (1.0 / 240 - (inv2) * (1.0 / 132 - (inv2) * (              \
        691.0 / 32760 - (inv2) * (1.0 / 12 - (inv2) * (3617.0 / 8160)))))))))
    static inline double ldax_exp_digamma(double x) {
        double num = 0.0, den = 1.0, y = x;
        for (int i = 0; i < 6; ++i) {
            const double t = x + i;
            const int m = t < 6.0;
            num = m ? num * t + den : num;
            den = m ? den * t : den;
            y = m ? t + 1.0 : y;
        }
        const double inv = 1.0 / y;
        return y * exp(-num / den - 0.5 * inv - LDAX_SERIES(inv * inv));
    }
    static void ldax_exp_digamma_scaled_generic(const double* x, double* out, ptrdiff_t n,
                                                double scale) {
        for (ptrdiff_t k = 0; k < n; ++k) out[k] = ldax_exp_digamma(x[k]) * scale;
    }
    #if defined(__GNUC__) && defined(__x86_64__)
    #include <immintrin.h>
    /* exp(x) for x <= 0, four at a time: x = n ln2 + r, |r| <= ln2 / 2, e^r by its
       Taylor series to r^12 (error below 2e-16), 2^n built in the exponent bits;
       0 below -708 (where exp leaves the normal range). */
    __attribute__((target("avx2,fma")))
    static inline __m256d ldax_exp_nonpositive_avx2(__m256d x) {
        const __m256d tiny = _mm256_cmp_pd(x, _mm256_set1_pd(-708.0), _CMP_LT_OQ);
        x = _mm256_max_pd(x, _mm256_set1_pd(-708.0));
        const __m256d n = _mm256_round_pd(_mm256_mul_pd(x, _mm256_set1_pd(1.4426950408889634)),
                                          _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        __m256d r = _mm256_fnmadd_pd(n, _mm256_set1_pd(0.6931471805599453), x);
        r = _mm256_fnmadd_pd(n, _mm256_set1_pd(2.3190468138462996e-17), r);
        static const double inv_fact[13] = {1.0, 1.0, 1.0 / 2, 1.0 / 6, 1.0 / 24, 1.0 / 120,
            1.0 / 720, 1.0 / 5040, 1.0 / 40320, 1.0 / 362880, 1.0 / 3628800,
            1.0 / 39916800, 1.0 / 479001600};
        __m256d p = _mm256_set1_pd(inv_fact[12]);
        for (int i = 11; i >= 0; --i) p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(inv_fact[i]));
        const __m256i e = _mm256_slli_epi64(_mm256_add_epi64(
            _mm256_cvtepi32_epi64(_mm256_cvtpd_epi32(n)), _mm256_set1_epi64x(1023)), 52);
        return _mm256_andnot_pd(tiny, _mm256_mul_pd(p, _mm256_castsi256_pd(e)));
    }
    /* exp(psi(x)) of four lanes.  Six recurrence steps in every lane, unmasked
       (cheaper than masking each step): sum_{i<6} 1/(x+i) = num/den, then y = x + 6.
       Lanes with x >= 6 take y = x and no sum instead (their num and den, which may
       overflow there, are replaced before use).  One division serves both num/den
       and 1/y: q = 1/(den y), num/den = num y q, 1/y = den q. */
    __attribute__((target("avx2,fma")))
    static inline __m256d ldax_exp_digamma4_avx2(__m256d xv) {
        const __m256d six = _mm256_set1_pd(6.0), one = _mm256_set1_pd(1.0);
        __m256d num = one, den = xv;
        for (int i = 1; i < 6; ++i) {
            const __m256d t = _mm256_add_pd(xv, _mm256_set1_pd((double)i));
            num = _mm256_fmadd_pd(num, t, den);
            den = _mm256_mul_pd(den, t);
        }
        const __m256d small = _mm256_cmp_pd(xv, six, _CMP_LT_OQ);
        const __m256d y = _mm256_blendv_pd(xv, _mm256_add_pd(xv, six), small);
        num = _mm256_blendv_pd(_mm256_setzero_pd(), num, small);
        den = _mm256_blendv_pd(one, den, small);
        const __m256d q = _mm256_div_pd(one, _mm256_mul_pd(den, y));
        const __m256d shift = _mm256_mul_pd(_mm256_mul_pd(num, y), q);
        const __m256d inv = _mm256_mul_pd(den, q), inv2 = _mm256_mul_pd(inv, inv);
        __m256d series = _mm256_set1_pd(3617.0 / 8160);
        static const double coef[7] = {1.0 / 12, 691.0 / 32760, 1.0 / 132, 1.0 / 240,
                                       1.0 / 252, 1.0 / 120, 1.0 / 12};
        for (int i = 0; i < 7; ++i)
            series = _mm256_fnmadd_pd(inv2, series, _mm256_set1_pd(coef[i]));
        series = _mm256_mul_pd(inv2, series);
        const __m256d arg = _mm256_sub_pd(_mm256_sub_pd(
            _mm256_sub_pd(_mm256_setzero_pd(), shift),
            _mm256_mul_pd(_mm256_set1_pd(0.5), inv)), series);
        return _mm256_mul_pd(y, ldax_exp_nonpositive_avx2(arg));
    }
    /* Eight lanes per step: each lane's chain of dependent operations (the
       recurrence, the division, two polynomials) is long, and two independent sets
       give the scheduler work to overlap.  With the single division and unmasked
       recurrence above: 3.5 ns per value against 3.6 before, on 2.3M values. */
    __attribute__((target("avx2,fma")))
    static void ldax_exp_digamma_scaled_avx2(const double* x, double* out, ptrdiff_t n,
                                             double scale) {
        const __m256d s = _mm256_set1_pd(scale);
        ptrdiff_t k = 0;
        for (; k + 8 <= n; k += 8) {
            const __m256d a = ldax_exp_digamma4_avx2(_mm256_loadu_pd(x + k));
            const __m256d b = ldax_exp_digamma4_avx2(_mm256_loadu_pd(x + k + 4));
            _mm256_storeu_pd(out + k, _mm256_mul_pd(a, s));
            _mm256_storeu_pd(out + k + 4, _mm256_mul_pd(b, s));
        }
        for (; k + 4 <= n; k += 4)
            _mm256_storeu_pd(out + k, _mm256_mul_pd(ldax_exp_digamma4_avx2(_mm256_loadu_pd(x + k)), s));
        for (; k < n; ++k) out[k] = ldax_exp_digamma(x[k]) * scale;
    }
    #endif
    static void (*ldax_exp_digamma_scaled)(const double*, double*, ptrdiff_t, double) =
        ldax_exp_digamma_scaled_generic;
    static double (*ldax_dot)(const double*, const double*, ptrdiff_t) = ldax_dot_generic;
    static void (*ldax_accumulate)(const int*, const double*, ptrdiff_t, const double*,
                                   const double*, double*, ptrdiff_t, double, double*) =
        ldax_accumulate_generic;
    static void (*ldax_accumulate_compact)(const double*, ptrdiff_t, ptrdiff_t, const double*,
                                           const double*, double, double*, double*) =
        ldax_accumulate_compact_generic;
    static void (*ldax_axpy)(double, const double*, double*, ptrdiff_t) = ldax_axpy_generic;
    static int ldax_select_kernels(void) {
    #if defined(__GNUC__) && defined(__x86_64__)
        __builtin_cpu_init();
        if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
            ldax_dot = ldax_dot_avx2;
            ldax_accumulate = ldax_accumulate_avx2;
            ldax_accumulate_compact = ldax_accumulate_compact_avx2;
            ldax_axpy = ldax_axpy_avx2;
            ldax_exp_digamma_scaled = ldax_exp_digamma_scaled_avx2;
            return 1;
        }
    #endif
        return 0;
    }
    """
    double ldax_dot(const double* a, const double* b, Py_ssize_t n) noexcept nogil
    void ldax_accumulate(const idx_t* ids, const double* cts, Py_ssize_t n, const double* beta_t,
                         const double* theta, double* acc, Py_ssize_t K, double eps,
                         double* ratios) noexcept nogil
    void ldax_accumulate_compact(const double* block, Py_ssize_t n, Py_ssize_t m,
                                 const double* cts, const double* theta, double eps,
                                 double* ratios, double* acc) noexcept nogil
    void ldax_axpy(double a, const double* x, double* y, Py_ssize_t n) noexcept nogil
    int ldax_select_kernels() noexcept nogil
    double ldax_exp_digamma(double x) noexcept nogil
    void ldax_exp_digamma_scaled(const double* x, double* out, Py_ssize_t n,
                                 double scale) noexcept nogil

#: True when the AVX2/FMA copy of the inner loops is in use on this CPU.
SIMD_AVX2 = bool(ldax_select_kernels())


cdef inline double _dot(const double* a, const double* b, Py_ssize_t K) noexcept nogil:
    return ldax_dot(a, b, K)


cdef inline bint _update_exp_elog_theta(const double* gammad, const double* last, double* edg,
                                       double* exp_elog_theta, Py_ssize_t K,
                                       bint all_topics, double* scale_out) noexcept nogil:
    """exp(psi(gamma_k) - psi(sum gamma)) into exp_elog_theta, with
    exp(psi(gamma_k)) kept in ``edg`` and recomputed only for the groups of four topics
    whose gamma differs from ``last`` (or all of them when ``all_topics``).

    Most topics of a document settle at gamma = alpha exactly after an iteration or
    two (alpha + theta_k * acc_k with theta_k near exp(-200) rounds to alpha), so at
    K = 200 most of exp(psi) need no recomputing.  Groups are recomputed whole by the
    same vectorised code, so the values are bit for bit those of a full recomputation.
    Returns False (``edg`` not filled) when the log-domain path of a tiny total ran;
    otherwise ``scale_out`` receives 1 / exp(psi(sum gamma)).
    """
    cdef double total = 0.0, scale, psi_total
    cdef Py_ssize_t k
    for k in range(K):
        total += gammad[k]
    if total < 1.0:
        # exp(psi(total)) may underflow for a tiny total: stay in the log domain
        psi_total = digamma(total)
        for k in range(K):
            exp_elog_theta[k] = exp(digamma(gammad[k]) - psi_total)
        return False
    if all_topics:
        ldax_exp_digamma_scaled(gammad, edg, K, 1.0)
    else:
        k = 0
        while k + 4 <= K:
            if (gammad[k] != last[k] or gammad[k + 1] != last[k + 1]
                    or gammad[k + 2] != last[k + 2] or gammad[k + 3] != last[k + 3]):
                ldax_exp_digamma_scaled(gammad + k, edg + k, 4, 1.0)
            k += 4
        if k < K:  # the tail, which a full call also computes element by element
            ldax_exp_digamma_scaled(gammad + k, edg + k, K - k, 1.0)
    scale = 1.0 / ldax_exp_digamma(total)
    for k in range(K):
        exp_elog_theta[k] = edg[k] * scale
    scale_out[0] = scale
    return True


# Below SETTLED * alpha_k, a topic's share theta_k * acc_k of the gamma update is under
# a quarter unit in the last place of alpha_k (an ulp exceeds 2^-53 alpha_k), so
# gamma_k = alpha_k + theta_k * acc_k rounds to alpha_k exactly.  A topic is set aside
# when its bound is under SET_ASIDE * alpha_k, leaving room for the bound to grow
# 16-fold before the next iteration's check fails; see _infer_doc.
cdef double SETTLED = 2.0 ** -56
# Documents per block of the E-step (see e_step).
cdef Py_ssize_t DOC_BLOCK = 512
#: Documents per block of :func:`e_step` (a caller slicing a chunk at multiples of it
#: gets bit for bit the statistics of one call on the whole chunk).
DOC_BLOCK_SIZE = DOC_BLOCK
cdef double SET_ASIDE = 2.0 ** -60


ctypedef struct DocScratch:
    double* last         # K: gamma before the update
    double* acc          # K: sum_j ratio_j * beta[ids_j]
    double* edg          # K: exp(psi(gamma))
    double* theta_c      # K + 4: theta of the topics in play (and gathered gammas)
    double* acc_c        # K + 4: their accumulator (and gathered exp(psi))
    double* ratios       # n_max: cts_j / phinorm_j
    int* in_play         # K: 1 for a topic in play
    int* topics          # K: the topics in play
    int* pending         # K: topics set aside whose gamma the next iteration sets to alpha
    Py_ssize_t n_pending
    double* bmax         # n_max: max_k beta[ids_j, k] for the document's words
    double* block        # capacity: beta of the document's words for the topics in play,
                         # topic-major: block[a * n + j]
    Py_ssize_t capacity
    # Kept up to date as topics are set aside and their pending gammas resolved:
    double aside_max     # max of exp(psi(gamma_k)) / alpha_k over the topics set aside
    double settled_max   # the same over those whose gamma is alpha already (not pending)
    double aside_alpha   # sum of alpha_k over the topics set aside (their final gamma_k)


cdef inline void _exp_psi_of(const double* gammad, const int* topics, Py_ssize_t m,
                             double* edg, double* gathered, double* values) noexcept nogil:
    """edg[topics[a]] = exp(psi(gammad[topics[a]])), in groups of four (padded with 1.0)."""
    cdef Py_ssize_t a, padded = (m + 3) & ~(<Py_ssize_t>3)
    for a in range(m):
        gathered[a] = gammad[topics[a]]
    for a in range(m, padded):
        gathered[a] = 1.0
    ldax_exp_digamma_scaled(gathered, values, padded, 1.0)
    for a in range(m):
        edg[topics[a]] = values[a]


cdef bint _set_aside(const idx_t* ids, Py_ssize_t n, const double* ebt, const double* alpha,
                     Py_ssize_t K, const double* gammad, const double* exp_elog_theta,
                     double bound, DocScratch* s, Py_ssize_t* m, bint compact) noexcept nogil:
    """Set aside the topics in play whose next gamma is alpha exactly, when at least a
    quarter of them are and the compact block fits: rebuild s.topics, s.in_play, the
    block, and list in s.pending those whose gamma is not alpha yet (the next iteration
    sets it); update m.  Returns True when the block was rebuilt.

    From the full computation the block is gathered from ``ebt``; from a compact block
    (``compact``) it is compacted in place, row by row (the rows are in L1, ebt's are not).
    """
    cdef Py_ssize_t a, j, k, kept = 0
    cdef double ratio
    for a in range(m[0]):
        k = s.topics[a]
        if not exp_elog_theta[k] * bound < SET_ASIDE * alpha[k]:
            kept += 1
    if kept == 0 or 4 * (m[0] - kept) < m[0] or n * kept > s.capacity:
        return False
    kept = 0
    # local pointers: writes to the block cannot then alias the topic list for the compiler
    cdef double* block = s.block
    for a in range(m[0]):
        k = s.topics[a]
        if exp_elog_theta[k] * bound < SET_ASIDE * alpha[k]:
            s.in_play[k] = 0
            ratio = s.edg[k] / alpha[k]
            s.aside_max = max(s.aside_max, ratio)
            s.aside_alpha += alpha[k]
            if gammad[k] != alpha[k]:
                s.pending[s.n_pending] = <int>k
                s.n_pending += 1
            else:
                s.settled_max = max(s.settled_max, ratio)
        else:
            s.topics[kept] = <int>k  # kept <= a: compacting in place
            if compact and kept != a:  # rows kept and a are disjoint
                memcpy(block + kept * n, block + a * n, n * sizeof(double))
            kept += 1
    m[0] = kept
    cdef const int* topics = s.topics
    cdef const double* row
    if not compact:
        for j in range(n):
            row = ebt + <Py_ssize_t>ids[j] * K
            for a in range(kept):
                block[a * n + j] = row[topics[a]]
    return True


cdef int _infer_doc(const idx_t* ids, const double* cts, Py_ssize_t n,
                    const double* ebt, const double* beta_max, const double* alpha,
                    Py_ssize_t K, double* gammad, double* exp_elog_theta, DocScratch* s,
                    int iterations, double gamma_threshold, double eps,
                    Py_ssize_t* in_play) noexcept nogil:
    """Fixed-point iterations of one document; gammad is updated in place.

    Leaves exp_elog_theta consistent with the final gammad; returns 1 when
    the mean absolute change fell below gamma_threshold.

    Topics set aside.  With alpha = 1/K most topics of a document die within a few
    iterations: theta_k falls to exp(-200) and gamma_k settles at alpha_k *exactly*
    (floating point).  Every accumulator obeys acc_k <= B = sum_j ratio_j * max_k
    beta[ids_j, k], so a topic with theta_k * B below SETTLED * alpha_k gets
    gamma_k = alpha_k exactly at the next update whatever its accumulator: computing
    it changes nothing (and the update is done directly, for a topic not yet at alpha).  Such topics are set aside, and the iterations run on a compact
    copy of beta holding the document's words and the topics still in play (a few
    kilobytes, in L1, instead of K doubles per word): 3-5x less work at K = 200.
    Each iteration re-checks every set-aside topic against the new B, and one that
    fails brings the document back to the full computation (as does a log-domain
    total), so gamma is that of the full fixed-point iteration except that phinorm
    misses terms below 2^-60 / cts_j of itself.  The decision depends on the document
    alone, so results do not depend on the number of threads.
    """
    cdef Py_ssize_t j, k, a, m = K
    cdef int it
    cdef double change = 0.0, bound = 0.0, total, scale = 1.0
    cdef bint compact = False, valid
    s.n_pending = 0
    for j in range(n):
        s.bmax[j] = beta_max[ids[j]]
    valid = _update_exp_elog_theta(gammad, NULL, s.edg, exp_elog_theta, K, True, &scale)
    for it in range(iterations):
        if compact:
            # exp_elog_theta is current for the topics in play only; a topic set aside has
            # theta_k = edg_k * scale, so theta_k / alpha_k <= aside_max * scale
            for a in range(m):
                s.theta_c[a] = exp_elog_theta[s.topics[a]]
            ldax_accumulate_compact(s.block, n, m, cts, s.theta_c, eps, s.ratios, s.acc_c)
            # B = sum_j ratio_j * max_k beta[ids_j, k] bounds every topic's accumulator
            bound = ldax_dot(s.ratios, s.bmax, n)
            if s.aside_max * scale * bound >= SETTLED:
                # a topic set aside could move: back to the full computation
                compact = False
                for k in range(K):
                    exp_elog_theta[k] = s.edg[k] * scale
        if compact:
            change = 0.0
            total = s.aside_alpha
            for a in range(m):
                k = s.topics[a]
                s.last[k] = gammad[k]
                gammad[k] = alpha[k] + exp_elog_theta[k] * s.acc_c[a]
                change += fabs(gammad[k] - s.last[k])
                total += gammad[k]
            for a in range(s.n_pending):  # alpha + theta_k * acc_k rounds to alpha exactly
                k = s.pending[a]
                change += fabs(alpha[k] - gammad[k])
                gammad[k] = alpha[k]
            if total >= 1.0:
                _exp_psi_of(gammad, s.topics, m, s.edg, s.theta_c, s.acc_c)
                if s.n_pending:
                    # the pending topics' exp(psi) fall to their final values
                    _exp_psi_of(gammad, s.pending, s.n_pending, s.edg, s.theta_c, s.acc_c)
                    for a in range(s.n_pending):
                        k = s.pending[a]
                        s.settled_max = max(s.settled_max, s.edg[k] / alpha[k])
                    s.aside_max = s.settled_max
                    s.n_pending = 0
                scale = 1.0 / ldax_exp_digamma(total)
                for a in range(m):
                    k = s.topics[a]
                    exp_elog_theta[k] = s.edg[k] * scale
            else:
                compact = False
                valid = _update_exp_elog_theta(gammad, NULL, s.edg, exp_elog_theta, K, True, &scale)
        else:
            # acc = sum_j cts_j / phinorm_j * ebt[ids_j], phinorm_j computed on the fly
            memset(s.acc, 0, K * sizeof(double))
            ldax_accumulate(ids, cts, n, ebt, exp_elog_theta, s.acc, K, eps, s.ratios)
            bound = ldax_dot(s.ratios, s.bmax, n)
            change = 0.0
            for k in range(K):
                s.last[k] = gammad[k]
                gammad[k] = alpha[k] + exp_elog_theta[k] * s.acc[k]
                change += fabs(gammad[k] - s.last[k])
            valid = _update_exp_elog_theta(gammad, s.last, s.edg, exp_elog_theta, K, not valid, &scale)
            s.n_pending = 0
            if valid:
                m = K
                for k in range(K):
                    s.topics[k] = <int>k
                    s.in_play[k] = 1
                s.aside_max = s.settled_max = s.aside_alpha = 0.0
        if change / K < gamma_threshold or it + 1 == iterations:
            break
        if valid or compact:
            compact = _set_aside(ids, n, ebt, alpha, K, gammad, exp_elog_theta, bound, s, &m,
                                 compact) or compact
    if compact:  # the topics set aside: theta at the final scale
        for k in range(K):
            if not s.in_play[k]:
                exp_elog_theta[k] = s.edg[k] * scale
    in_play[0] = m if compact else K
    return change / K < gamma_threshold if iterations > 0 else 0


cdef double _doc_bound(const idx_t* ids, const double* cts, Py_ssize_t n,
                       const double* ebt, const double* elbt, const double* alpha,
                       double sum_lgamma_alpha, double lgamma_sum_alpha, Py_ssize_t K,
                       const double* gammad, const double* exp_elog_theta,
                       double* elog_theta) noexcept nogil:
    """The document's part of the variational bound, the terms gensim's bound() sums per document."""
    cdef Py_ssize_t j, k
    cdef double total = 0.0, psi_total, score = 0.0, p, top, s
    cdef const double* row
    cdef int sign
    for k in range(K):
        total += gammad[k]
    psi_total = digamma(total)
    for k in range(K):
        elog_theta[k] = digamma(gammad[k]) - psi_total
    for j in range(n):
        row = ebt + <Py_ssize_t>ids[j] * K
        p = _dot(exp_elog_theta, row, K)
        if p > 1e-250:
            score += cts[j] * log(p)
        else:
            # log-sum-exp in the log domain where the product underflows
            row = elbt + <Py_ssize_t>ids[j] * K
            top = -INFINITY
            for k in range(K):
                if elog_theta[k] + row[k] > top:
                    top = elog_theta[k] + row[k]
            s = 0.0
            for k in range(K):
                s += exp(elog_theta[k] + row[k] - top)
            score += cts[j] * (top + log(s))
    for k in range(K):
        score += (alpha[k] - gammad[k]) * elog_theta[k] + lgamma(gammad[k])
    score += lgamma_sum_alpha - sum_lgamma_alpha - lgamma(total)
    return score


def row_max(const double[:, ::1] table, int workers=1):
    """The largest entry of each row of ``table`` (V x K), rows over ``workers`` threads.

    ``e_step`` bounds every word's accumulator with its row maximum of
    ``exp_elog_beta_t``; computing it once per ``exp_elog_beta_t`` instead of once
    per kernel call saved 9% of a one-pass training on raw 20 Newsgroups (V = 23k).
    """
    cdef Py_ssize_t V = table.shape[0], K = table.shape[1], w, k
    cdef double best
    if workers < 1:
        raise ValueError("row_max: workers must be >= 1")
    out_arr = np.empty(V)  # every row is written below
    cdef double[::1] out = out_arr
    with nogil:
        for w in prange(V, num_threads=workers, schedule="static"):
            best = -INFINITY
            for k in range(K):
                if table[w, k] > best:
                    best = table[w, k]
            out[w] = best
    return out_arr


def e_step(const idx_t[::1] indptr, const idx_t[::1] indices, const double[::1] data,
           const double[:, ::1] exp_elog_beta_t, const double[::1] alpha,
           double[:, ::1] gamma, int iterations, double gamma_threshold,
           int workers=1, double eps=1e-100, double[:, ::1] sstats_t=None,
           double[::1] doc_bound=None, const double[:, ::1] elog_beta_t=None,
           topics_in_play=None, const double[::1] beta_max=None):
    """Variational E-step on a chunk of documents in CSR form, in parallel.

    For each document d: iterate
    ``gamma_d = alpha + expElogtheta_d * sum_w cts_w / phinorm_w * expElogbeta[:, w]``
    with ``phinorm_w = expElogtheta_d . expElogbeta[:, w] + eps`` until the
    mean absolute change of gamma_d is below ``gamma_threshold`` or
    ``iterations`` are done (the algorithm of Hoffman, Blei & Bach 2010, as
    gensim runs it).  Documents are spread over ``workers`` threads; the
    result does not depend on the thread count (bit for bit): each document is
    computed by one thread, and the sufficient statistics are summed per word
    in document order.

    Parameters
    ----------
    indptr, indices : int32 arrays
        CSR structure of the chunk (``n_docs + 1`` and ``nnz``); ids in
        ``[0, V)``, unsorted or repeated ids allowed.
    data : float64 array, shape (nnz,)
        Counts (finite, >= 0).
    exp_elog_beta_t : float64 array, shape (V, K), C-contiguous
        ``exp(E[log beta])`` transposed.
    alpha : float64 array, shape (K,)
    gamma : float64 array, shape (n_docs, K), C-contiguous, read and written
        Initial gamma on entry (e.g. from :func:`init_gamma`), final gamma on exit.
    iterations : int
        Maximum fixed-point iterations per document (>= 0).
    gamma_threshold : float
        Convergence threshold on the mean absolute change of gamma.
    workers : int
        Threads.
    eps : float
        Added to phinorm (gensim adds its dtype's machine epsilon; the
        default 1e-100 only guards against 0/0).
    sstats_t : float64 array, shape (V, K), optional, added to
        When given, the chunk's sufficient statistics (transposed),
        ``sum_d cts_dw / phinorm_dw * expElogtheta_d * expElogbeta[:, w]``,
        are *added* to it (pass zeros for the chunk's statistics alone), so
        that several chunks accumulate without a temporary.
    doc_bound : float64 array, shape (n_docs,), optional, written
        When given, receives each document's part of the variational bound
        (the per-document terms of gensim's ``LdaModel.bound``).
    elog_beta_t : float64 array, shape (V, K), optional
        ``E[log beta]`` transposed; required with ``doc_bound`` (used where
        ``exp`` underflows).

    topics_in_play : int64 array, shape (n_docs,), optional, written
        For each document, the number of topics still in play when its iterations
        ended (K when none was set aside; see ``_infer_doc``), a diagnostic.
    beta_max : float64 array, shape (V,), optional
        ``row_max(exp_elog_beta_t)``, for callers that run several calls on the
        same ``exp_elog_beta_t`` (computed here when not given).  It must be
        exactly that: the set-aside test relies on it bounding every row.

    Returns
    -------
    int
        Number of documents that converged before ``iterations``.
    """
    cdef Py_ssize_t D = gamma.shape[0], K = gamma.shape[1], V = exp_elog_beta_t.shape[0]
    cdef Py_ssize_t nnz = indices.shape[0]
    if indptr.shape[0] != D + 1 or data.shape[0] != nnz or alpha.shape[0] != K \
            or exp_elog_beta_t.shape[1] != K:
        raise ValueError("e_step: inconsistent array shapes")
    if workers < 1:
        raise ValueError("e_step: workers must be >= 1")
    cdef bint want_sstats = sstats_t is not None
    cdef bint want_bound = doc_bound is not None
    if want_sstats and (sstats_t.shape[0] != V or sstats_t.shape[1] != K):
        raise ValueError("e_step: sstats_t must have the shape of exp_elog_beta_t")
    if want_bound and (doc_bound.shape[0] != D or elog_beta_t is None
                       or elog_beta_t.shape[0] != V or elog_beta_t.shape[1] != K):
        raise ValueError("e_step: doc_bound needs shape (n_docs,) and elog_beta_t of shape (V, K)")

    # Final exp(E[log theta]) per document, kept for the sufficient statistics.  The
    # documents run in blocks of DOC_BLOCK, each block's statistics collected before
    # the next starts, so this and the collection's temporaries stay small (peak RSS).
    cdef Py_ssize_t block = min(D, DOC_BLOCK) if D > 0 else 1, b0, b1
    theta_arr = np.empty((block, K))
    cdef double[:, ::1] exp_elog_theta = theta_arr
    in_play_arr = np.empty(max(D, 1), dtype=np.intp)
    cdef Py_ssize_t[::1] in_play = in_play_arr
    lengths = np.diff(np.asarray(indptr)) if D > 0 else np.zeros(1, dtype=np.int64)
    cdef Py_ssize_t n_max = max(int(lengths.max()) if lengths.size else 0, 1)
    # Per-thread scratch (see DocScratch): 5 K-vectors (+ padding), ratios, the
    # E[log theta] of the bound, bmax, and the compact block (at most 512 kB per thread)
    cdef Py_ssize_t capacity = min(n_max * K, 1 << 16)
    cdef Py_ssize_t width = 6 * K + 8 + 2 * n_max
    scratch_arr = np.empty((workers, width + capacity))
    cdef double[:, ::1] scratch = scratch_arr
    int_arr = np.zeros((workers, 3 * K), dtype=np.int32)
    cdef idx_t[:, ::1] int_scratch = int_arr
    if beta_max is None:
        beta_max = row_max(exp_elog_beta_t, workers) if V > 0 else np.zeros(1)
    elif beta_max.shape[0] != V:
        raise ValueError("e_step: beta_max must have shape (V,)")
    cdef double sum_lgamma_alpha = 0.0, lgamma_sum_alpha, alpha_total = 0.0
    order_arr = np.empty(block, dtype=np.intp)
    cdef Py_ssize_t[::1] order = order_arr
    cdef Py_ssize_t d, i, k, tid
    cdef int converged = 0
    cdef const double* ebt = &exp_elog_beta_t[0, 0]
    cdef const double* elbt = NULL
    for k in range(K):
        sum_lgamma_alpha += lgamma(alpha[k])
        alpha_total += alpha[k]
    lgamma_sum_alpha = lgamma(alpha_total)
    if want_bound:
        elbt = &elog_beta_t[0, 0]
    # Cheap structural checks (O(nnz), against the O(nnz K iterations) work):
    # a caller outside LdaModel (e.g. a Spark executor) must not crash the kernel.
    cdef Py_ssize_t j, bad = -1
    with nogil:
        if indptr[0] != 0 or indptr[D] != nnz:
            bad = 0
        for d in range(D):
            if indptr[d + 1] < indptr[d]:
                bad = 0
        for j in range(nnz):
            if indices[j] < 0 or indices[j] >= V:
                bad = 1
    if bad == 0:
        raise ValueError("e_step: indptr is not a valid CSR row pointer for the given indices")
    if bad == 1:
        raise ValueError(f"e_step: word ids must be in [0, {V})")
    if D == 0:
        return 0

    cdef const idx_t* ids0 = &indices[0] if nnz > 0 else NULL
    cdef const double* cts0 = &data[0] if nnz > 0 else NULL
    # one DocScratch per thread, set up before the parallel region (a struct assigned
    # member by member inside it would be shared between the threads)
    cdef DocScratch* per_thread = <DocScratch*>malloc(workers * sizeof(DocScratch))
    if per_thread == NULL:
        raise MemoryError("e_step: cannot allocate per-thread scratch")
    for tid in range(workers):
        per_thread[tid].last = &scratch[tid, 0]
        per_thread[tid].acc = &scratch[tid, K]
        per_thread[tid].edg = &scratch[tid, 2 * K]
        per_thread[tid].theta_c = &scratch[tid, 3 * K]
        per_thread[tid].acc_c = &scratch[tid, 4 * K + 4]
        per_thread[tid].ratios = &scratch[tid, 5 * K + 8]
        per_thread[tid].block = &scratch[tid, width]
        per_thread[tid].capacity = capacity
        per_thread[tid].in_play = <int*>&int_scratch[tid, 0]
        per_thread[tid].topics = <int*>&int_scratch[tid, K]
        per_thread[tid].pending = <int*>&int_scratch[tid, 2 * K]
        per_thread[tid].n_pending = 0
        per_thread[tid].bmax = &scratch[tid, 6 * K + 8 + n_max]
    for b0 in range(0, D, block):
        b1 = min(D, b0 + block)
        # longest documents first: the threads then meet at the block's end with short
        # ones left to share, instead of one thread finishing a long document alone
        # (each document's result does not depend on when or where it runs)
        order_arr[:b1 - b0] = b0 + np.argsort(-lengths[b0:b1], kind="stable")
        with nogil, parallel(num_threads=workers):
            tid = threadid()
            for i in prange(b1 - b0, schedule="dynamic", chunksize=2):
                d = order[i]
                converged += _infer_doc(
                    ids0 + indptr[d], cts0 + indptr[d], indptr[d + 1] - indptr[d], ebt,
                    &beta_max[0], &alpha[0], K, &gamma[d, 0], &exp_elog_theta[d - b0, 0],
                    &per_thread[tid], iterations, gamma_threshold, eps, &in_play[d])
                if want_bound:
                    doc_bound[d] = _doc_bound(
                        ids0 + indptr[d], cts0 + indptr[d], indptr[d + 1] - indptr[d], ebt, elbt,
                        &alpha[0], sum_lgamma_alpha, lgamma_sum_alpha, K, &gamma[d, 0],
                        &exp_elog_theta[d - b0, 0], &scratch[tid, 5 * K + 8 + n_max])
        if want_sstats:
            _collect_sstats(np.asarray(indptr[b0:b1 + 1]) - indptr[b0],
                            indices[indptr[b0]:indptr[b1]], data[indptr[b0]:indptr[b1]],
                            exp_elog_beta_t, exp_elog_theta[:b1 - b0], sstats_t, workers, eps)
    free(per_thread)
    if topics_in_play is not None:
        if np.shape(topics_in_play) != (D,):
            raise ValueError("e_step: topics_in_play must have shape (n_docs,)")
        topics_in_play[:] = in_play_arr[:D]
    return converged


cdef void _collect_sstats(const idx_t[::1] indptr, const idx_t[::1] indices,
                          const double[::1] data, const double[:, ::1] ebt,
                          const double[:, ::1] exp_elog_theta, double[:, ::1] sstats_t,
                          int workers, double eps) noexcept:
    """Add each word's statistics over the chunk to sstats_t, word rows in parallel.

    The CSR entries are bucketed by word (a counting sort that keeps document
    order), so every row of sstats_t is written by one thread in a fixed
    order: no per-thread V x K copies, the sum is the same for any number of
    threads, and rows of words absent from the chunk are not touched.
    """
    cdef Py_ssize_t D = exp_elog_theta.shape[0], K = ebt.shape[1], V = ebt.shape[0]
    cdef Py_ssize_t nnz = indices.shape[0], d, j, p, w, k, tid, start
    col_ptr_arr = np.zeros(V + 1, dtype=np.int64)
    # entry numbers fit int32 (the CSR's own index type): half the memory of int64
    order_arr = np.empty(nnz, dtype=np.int32)
    doc_of_arr = np.empty(nnz, dtype=np.int32)
    ratio_arr = np.empty(nnz)
    row_arr = np.empty((workers, K))
    cdef long long[::1] col_ptr = col_ptr_arr
    cdef idx_t[::1] order = order_arr, doc_of = doc_of_arr
    cdef double[::1] ratio = ratio_arr
    cdef double[:, ::1] row = row_arr
    with nogil:
        # cts / phinorm per entry, with the final exp(E[log theta]) (parallel over documents)
        for d in prange(D, num_threads=workers, schedule="dynamic", chunksize=16):
            for j in range(indptr[d], indptr[d + 1]):
                doc_of[j] = d
                ratio[j] = data[j] / (_dot(&exp_elog_theta[d, 0], &ebt[indices[j], 0], K) + eps)
        for j in range(nnz):
            col_ptr[indices[j] + 1] += 1
        for w in range(V):
            col_ptr[w + 1] += col_ptr[w]
        for j in range(nnz):
            w = indices[j]
            order[col_ptr[w]] = j
            col_ptr[w] += 1
        # col_ptr[w] now points at the end of bucket w; bucket w starts at col_ptr[w - 1]
        with parallel(num_threads=workers):
            tid = threadid()
            for w in prange(V, schedule="dynamic", chunksize=32):
                start = col_ptr[w - 1] if w > 0 else 0
                if start == col_ptr[w]:
                    continue
                for k in range(K):
                    row[tid, k] = 0.0
                for p in range(start, col_ptr[w]):
                    j = order[p]
                    ldax_axpy(ratio[j], &exp_elog_theta[doc_of[j], 0], &row[tid, 0], K)
                for k in range(K):
                    sstats_t[w, k] += row[tid, k] * ebt[w, k]
