# cython: language_level=3
# distutils: extra_compile_args = -fassociative-math -fno-signed-zeros -fno-trapping-math
"""Hot loops of the GSM neural topic model (``ldax.gsm``).

Two fused kernels that numpy would spread over many passes and temporaries:

* :func:`decoder_loglik` -- the multinomial log-likelihood of sparse documents
  under the mixture ``theta @ beta``, evaluated only at each document's non-zero
  counts (never forming the dense N x V product), optionally with its gradients
  with respect to ``theta`` and ``beta``.
* :func:`adam_update` -- one Adam step over a flat parameter vector, with the
  gradient-clipping scale folded in: a single pass instead of ten.

Arrays arrive validated from ``ldax.gsm`` (shapes, dtypes, ids < V); nothing
here knows of gensim or of the model object.  ``beta`` is stored transposed,
``V x K``, so that one word's K topic probabilities are contiguous.
Sums over topics may be reassociated (the flags above) so that the compiler
vectorises them; arithmetic stays in the arrays' precision.
"""
cimport cython
from cython.parallel cimport prange
from libc.math cimport log, sqrt, sqrtf

ctypedef fused real:
    float
    double


cdef inline double _doc_loglik(Py_ssize_t d, const real[:, ::1] theta, const real[:, ::1] beta_t,
                               const int[::1] indptr, const int[::1] indices,
                               const real[::1] counts, real floor,
                               real[:, ::1] grad_theta, real[:, ::1] grad_beta_t,
                               bint with_grad) noexcept nogil:
    """log p(x_d | theta_d) = sum_j c_j log (theta_d . beta_t[v_j]); gradients accumulated."""
    cdef Py_ssize_t j, k
    cdef Py_ssize_t num_topics = theta.shape[1]
    cdef const real* th = &theta[d, 0]
    cdef const real* bt
    cdef real* g_th
    cdef real* g_bt
    cdef real prob, ratio
    cdef double total = 0.0
    for j in range(indptr[d], indptr[d + 1]):
        bt = &beta_t[indices[j], 0]
        prob = 0
        for k in range(num_topics):
            prob = prob + th[k] * bt[k]
        # a floor keeps float32 underflow (prob == 0) from turning into -inf
        if prob < floor:
            prob = floor
        total = total + counts[j] * log(prob)
        if with_grad:
            ratio = counts[j] / prob
            g_th = &grad_theta[d, 0]
            g_bt = &grad_beta_t[indices[j], 0]
            for k in range(num_topics):
                g_th[k] = g_th[k] + ratio * bt[k]
                g_bt[k] = g_bt[k] + ratio * th[k]
    return total


@cython.boundscheck(False)
@cython.wraparound(False)
def decoder_loglik(const real[:, ::1] theta, const real[:, ::1] beta_t,
                   const int[::1] indptr, const int[::1] indices, const real[::1] counts,
                   double floor, double[::1] out,
                   real[:, ::1] grad_theta=None, real[:, ::1] grad_beta_t=None,
                   int num_threads=1):
    """Per-document multinomial log-likelihood, and optionally its gradients.

    Parameters
    ----------
    theta : (n, K) topic proportions of the n documents.
    beta_t : (V, K) topic-word probabilities, transposed.
    indptr, indices, counts : the documents as CSR (int32, int32, real).
    floor : lower bound applied to each mixture probability before the log.
    out : (n,) float64, receives ``sum_v x_dv log (theta_d . beta_v)``.
    grad_theta : (n, K), optional, zeroed by the caller; receives d out_d / d theta_d.
    grad_beta_t : (V, K), optional, zeroed by the caller; receives d sum(out) / d beta_t.

    Without gradients the documents run in parallel (OpenMP); with gradients
    they run in order, since every document adds into the shared ``grad_beta_t``.
    ``num_threads`` is the OpenMP thread count of the parallel case.
    """
    cdef Py_ssize_t d, n = theta.shape[0]
    cdef bint with_grad = grad_theta is not None
    if with_grad:
        with nogil:
            for d in range(n):
                out[d] = _doc_loglik(d, theta, beta_t, indptr, indices, counts, floor,
                                     grad_theta, grad_beta_t, True)
    else:
        for d in prange(n, nogil=True, schedule="guided", num_threads=num_threads):
            out[d] = _doc_loglik(d, theta, beta_t, indptr, indices, counts, floor,
                                 grad_theta, grad_beta_t, False)


@cython.boundscheck(False)
@cython.wraparound(False)
def adam_update(real[::1] param, const real[::1] grad, real[::1] first_moment,
                real[::1] second_moment, double grad_scale, double step_size,
                double beta1, double beta2, double eps_hat, int num_threads=1):
    """One in-place Adam step: ``param -= step_size * m / (sqrt(v) + eps_hat)``.

    ``grad_scale`` multiplies the gradient first (gradient-norm clipping);
    ``step_size`` and ``eps_hat`` already carry the bias corrections.
    """
    cdef Py_ssize_t i, n = param.shape[0]
    cdef real g, m, s
    cdef real scale = <real>grad_scale, step = <real>step_size, eps = <real>eps_hat
    cdef real b1 = <real>beta1, b2 = <real>beta2
    for i in prange(n, nogil=True, schedule="static", num_threads=num_threads):
        g = grad[i] * scale
        m = b1 * first_moment[i] + (1 - b1) * g
        s = b2 * second_moment[i] + (1 - b2) * g * g
        first_moment[i] = m
        second_moment[i] = s
        if real is float:
            param[i] = param[i] - step * m / (sqrtf(s) + eps)
        else:
            param[i] = param[i] - step * m / (sqrt(s) + eps)


@cython.boundscheck(False)
@cython.wraparound(False)
def csr_matmul(const int[::1] indptr, const int[::1] indices, const real[::1] data,
               const real[:, ::1] dense, real[:, ::1] out, int num_threads=1):
    """``out += X @ dense`` for CSR ``X`` (n x V) and ``dense`` (V x H): the encoder's first layer.

    Rows of ``out`` are independent, so documents run in parallel.
    """
    cdef Py_ssize_t d, j, h, n = out.shape[0], width = out.shape[1]
    cdef real x
    cdef real* row
    cdef const real* w
    if n == 0 or width == 0:
        return
    for d in prange(n, nogil=True, schedule="guided", num_threads=num_threads):
        row = &out[d, 0]
        for j in range(indptr[d], indptr[d + 1]):
            x = data[j]
            w = &dense[indices[j], 0]
            for h in range(width):
                row[h] += x * w[h]


@cython.boundscheck(False)
@cython.wraparound(False)
def csr_t_matmul(const int[::1] indptr, const int[::1] indices, const real[::1] data,
                 const real[:, ::1] dense, real[:, ::1] out):
    """``out += X^T @ dense`` for CSR ``X`` (n x V) and ``dense`` (n x H): the first layer's
    weight gradient, touching only the rows of words present in the batch."""
    cdef Py_ssize_t d, j, h, n = dense.shape[0], width = dense.shape[1]
    cdef real x
    cdef real* row
    cdef const real* g
    if n == 0 or width == 0:
        return
    with nogil:
        for d in range(n):
            g = &dense[d, 0]
            for j in range(indptr[d], indptr[d + 1]):
                x = data[j]
                row = &out[indices[j], 0]
                for h in range(width):
                    row[h] += x * g[h]
