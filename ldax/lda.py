"""Online and batch variational LDA with gensim's API and a nogil, multithreaded E-step.

``ldax.LdaModel`` is gensim's ``LdaModel`` (same constructor, methods, return
shapes and training algorithm: Hoffman, Blei & Bach 2010; Blei, Ng & Jordan
2003), with the per-document E-step in Cython (:mod:`ldax._estep`) running over
``workers`` threads.  A gensim user switches with one import::

    from ldax import LdaModel   # instead of: from gensim.models import LdaModel

Differences from gensim, all deliberate and documented in the parameters:

* the E-step runs in float64 with a negligible ``eps`` (1e-100) added to the
  normaliser, where gensim adds its dtype's machine epsilon (1.2e-7 in
  float32).  gensim's epsilon is far above ``exp(E[log beta])`` for words
  absent from the first chunk, so those words never receive counts again;
  ours lets them learn.  Where gensim's numbers are sound, nothing changes.
* the E-step's initial gamma comes from a per-document seeded stream, so
  results are identical for any number of threads.
* ``rho_schedule='reference'`` offers Hoffman's step size
  ``rho_t = (offset + 1 + t) ** -decay``; the default ``'gensim'`` keeps
  gensim's counting (its first update has ``rho = 1`` with ``offset=1``).
* ``shuffle=True`` visits in-memory corpora in a random order each pass.
  Online LDA assumes documents arrive in random order: a corpus sorted by
  class or date should be shuffled.

Internal layout: topic-word matrices are stored transposed (``V x K``, one
contiguous row per word) for the E-step; gensim's ``K x V`` attributes
(``state.sstats``, ``expElogbeta``) are transposed *views* of them.
"""
from __future__ import annotations

import logging
import math
import numbers
import os
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.special import gammaln, polygamma, psi

from _gensimx.cpus import thread_count, usable_cpus
from _gensimx.openmp import warn_if_serial

from . import _estep
from .corpus import (BowChunk, as_chunk, check_positive_finite, infer_num_terms, is_one_shot,
                     is_single_bow, iter_chunks, num_terms_from_id2word, require_restartable)
from .io import ModelFileError, open_model, save_model

warn_if_serial("ldax's LDA E-step")

logger = logging.getLogger(__name__)

__all__ = ["LdaModel", "LdaMulticore", "LdaState", "dirichlet_expectation", "update_dir_prior"]

RHO_SCHEDULES = ("gensim", "reference")


def check_offset(offset: Any, rho_schedule: str) -> float:
    """tau_0 of the step size: with gensim's schedule ``(offset + t) ** -decay`` (t from 0)
    it must be >= 1, or the first step has rho > 1 and the topics turn NaN; Hoffman's
    ``(offset + 1 + t) ** -decay`` allows any offset >= 0."""
    value = check_positive_finite("offset", offset, allow_zero=True)
    minimum = 1.0 if rho_schedule == "gensim" else 0.0
    if value < minimum:
        raise ValueError(f"offset must be >= {minimum:g} with rho_schedule={rho_schedule!r} "
                         f"(the step size (offset + t) ** -decay must not exceed 1), got {offset!r}")
    return value


def dirichlet_expectation(alpha: np.ndarray) -> np.ndarray:
    """E[log X] for X ~ Dir(alpha); for a 2-D array, one Dirichlet per row."""
    alpha = np.asarray(alpha, dtype=np.float64)
    if alpha.ndim == 1:
        return psi(alpha) - psi(alpha.sum())
    return psi(alpha) - psi(alpha.sum(axis=1))[:, None]


def update_dir_prior(prior: np.ndarray, N: float, logphat: np.ndarray, rho: float) -> np.ndarray:
    """One damped Newton step on the Dirichlet likelihood of ``prior`` (Blei et al. 2003, A.4.2).

    The Hessian of the log-likelihood is ``diag(q) + c 1 1^T`` with
    ``q = -N psi'(prior)`` and ``c = N psi'(sum prior)``, so the Newton step is
    computed in O(len(prior)) (Minka 2000; Huang).  The step is scaled by
    ``rho`` and rejected (prior unchanged) if it would make a component <= 0.

    Parameters
    ----------
    prior : ndarray
        Current Dirichlet parameters.
    N : float
        Number of observations behind ``logphat``.
    logphat : ndarray
        Mean observed E[log p] (the sufficient statistic).
    rho : float
        Step size.

    Returns
    -------
    ndarray
        The new prior (or ``prior`` when the step was rejected).
    """
    total = prior.sum()
    gradient = N * (psi(total) - psi(prior) + logphat)
    c = N * polygamma(1, total)
    q = -N * polygamma(1, prior)
    b = np.sum(gradient / q) / (1.0 / c + np.sum(1.0 / q))
    step = -(gradient - b) / q
    updated = prior + rho * step
    if np.all(updated > 0) and np.all(np.isfinite(updated)):
        return updated
    logger.warning("updated prior is not positive; keeping the previous one")
    return prior


def _top_ids(values: np.ndarray, topn: int | None) -> np.ndarray:
    """Indices of the ``topn`` largest values, largest first (all when topn is None)."""
    if topn is None or topn >= values.size:
        return np.argsort(values, kind="stable")[::-1]
    if topn <= 0:
        return np.empty(0, dtype=np.intp)
    part = np.argpartition(-values, topn - 1)[:topn]
    return part[np.argsort(-values[part], kind="stable")]


class LdaState:
    """Sufficient statistics of the topic-word posterior, gensim's ``LdaState`` in ldax.

    ``sstats`` (``K x V``, the expected word-topic counts) is a transposed view
    of the ``V x K`` array ``sstats_t`` the E-step writes.  Objects of this class
    are what an E-step produces and what :meth:`LdaModel.do_mstep` consumes, so
    a distributed driver (e.g. Spark) can run E-steps elsewhere, :meth:`merge`
    the results and apply the same M-step.

    Parameters
    ----------
    eta : ndarray
        The topic-word prior, shape ``(V,)`` or ``(K, V)``.
    shape : tuple of (int, int)
        ``(num_topics, num_terms)``.
    """

    def __init__(self, eta: np.ndarray, shape: tuple[int, int], dtype: Any = np.float64):
        self.eta = np.asarray(eta, dtype=np.float64)
        self.sstats_t = np.zeros((shape[1], shape[0]))
        self.numdocs = 0
        self.dtype = np.float64

    @property
    def sstats(self) -> np.ndarray:
        """Expected topic-word counts, ``K x V`` (a view; writes go to the state)."""
        return self.sstats_t.T

    @sstats.setter
    def sstats(self, value: np.ndarray) -> None:
        value = np.asarray(value, dtype=np.float64)
        if value.shape != self.sstats.shape:
            raise ValueError(f"sstats must have shape {self.sstats.shape}, got {value.shape}")
        self.sstats_t[...] = value.T

    def reset(self) -> None:
        """Zero the statistics before a new E-step pass."""
        self.sstats_t[...] = 0.0
        self.numdocs = 0

    def merge(self, other: Any) -> None:
        """Add the statistics of another E-step (exact: sums are order-free)."""
        self.sstats_t += _sstats_t_of(other)
        self.numdocs += other.numdocs

    def blend(self, rhot: float, other: Any, targetsize: int | None = None) -> None:
        """``sstats <- (1 - rho) sstats + rho * other.sstats``, both scaled to ``targetsize`` documents.

        This is the online step of Hoffman et al. (2010), eqs. 5 and 9:
        ``other`` holds the statistics of a mini-batch, stretched to the corpus size.
        """
        if targetsize is None:
            targetsize = self.numdocs
        scale = 1.0 if self.numdocs == 0 or targetsize == self.numdocs else targetsize / self.numdocs
        keep = (1.0 - rhot) * scale
        scale = 1.0 if other.numdocs == 0 or targetsize == other.numdocs else targetsize / other.numdocs
        if scale != 1.0:
            logger.info("merging changes from %i documents into a model of %i documents",
                        other.numdocs, targetsize)
        add = rhot * scale
        if add == 0.0 or not math.isfinite(keep / add):
            self.sstats_t *= keep
            self.sstats_t += add * _sstats_t_of(other)
        else:
            # keep * sstats + add * other, in place: no V x K temporary
            self.sstats_t *= keep / add
            self.sstats_t += _sstats_t_of(other)
            self.sstats_t *= add
        self.numdocs = targetsize

    def blend2(self, rhot: float, other: Any, targetsize: int | None = None) -> None:
        """Sum the statistics without scaling (gensim's ``blend2``; ``rhot`` unused)."""
        if targetsize is None:
            targetsize = self.numdocs
        self.sstats_t += _sstats_t_of(other)
        self.numdocs = targetsize

    def eta_t(self) -> np.ndarray:
        """eta in the kernels' layout: a ``V x 1`` column, or ``V x K`` for a per-topic eta."""
        return self.eta.reshape(-1, 1) if self.eta.ndim == 1 else np.ascontiguousarray(self.eta.T)

    def lambda_t(self) -> np.ndarray:
        """``eta + sstats`` transposed (``V x K``, C-contiguous)."""
        return self.sstats_t + self.eta_t()

    def get_lambda(self) -> np.ndarray:
        """The topic-word Dirichlet parameters ``eta + sstats``, ``K x V``."""
        return self.eta + self.sstats

    def get_Elogbeta(self) -> np.ndarray:
        """E[log beta], ``K x V``."""
        return dirichlet_expectation(self.get_lambda())


def _sstats_t_of(state: Any) -> np.ndarray:
    """``V x K`` statistics of an ldax or gensim ``LdaState``."""
    if isinstance(state, LdaState):
        return state.sstats_t
    return np.asarray(state.sstats, dtype=np.float64).T


def _random_state(seed: Any) -> np.random.RandomState:
    """A numpy RandomState from None, an int or a RandomState (as gensim accepts)."""
    if seed is None or seed is np.random:
        return np.random.mtrand._rand
    if isinstance(seed, (numbers.Integral, np.integer)):
        return np.random.RandomState(int(seed))
    if isinstance(seed, np.random.RandomState):
        return seed
    raise TypeError(f"random_state must be None, an int or a numpy RandomState, got {seed!r}")


def _check_int(name: str, value: Any, minimum: int, maximum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, np.integer)):
        if isinstance(value, (float, np.floating)) and float(value).is_integer():
            value = int(value)
        else:
            raise TypeError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value}")
    return int(value)


MAX_ITERATIONS = 2**31 - 1  # the E-step kernel counts iterations in a C int


def _chunk_len(chunk: sp.csr_matrix | BowChunk) -> int:
    return len(chunk) if isinstance(chunk, BowChunk) else chunk.shape[0]


def _csr_arrays(chunk: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The int32/float64 contiguous CSR arrays the kernel reads."""
    return (np.ascontiguousarray(chunk.indptr, dtype=np.int32),
            np.ascontiguousarray(chunk.indices, dtype=np.int32),
            np.ascontiguousarray(chunk.data, dtype=np.float64))


class LdaModel:
    """Latent Dirichlet Allocation by online (or batch) variational Bayes, gensim's API.

    Parameters
    ----------
    corpus : iterable of list of (int, float) or scipy.sparse matrix, optional
        Training documents; when given, the model is trained at once (see
        :meth:`update`).  Read chunk by chunk, never held whole; a generator is
        accepted when ``passes == 1``.
    num_topics : int
        Number of topics K (>= 1).
    id2word : gensim Dictionary or dict of int to str, optional
        Vocabulary; its largest id + 1 is the vocabulary size.  Without it,
        ids are taken from the corpus (one extra pass) and mapped to their
        string form.
    distributed : bool
        Must be False (gensim's Pyro mode is not supported).
    chunksize : int
        Documents per E-step (mini-batch).
    passes : int
        Passes over the corpus.
    update_every : int
        M-step after every ``update_every`` chunks; 0 means batch VB (one
        M-step per pass).
    alpha : {'symmetric', 'asymmetric', 'auto'} or float or array of K floats
        Document-topic prior; 'auto' learns an asymmetric prior (Newton steps).
    eta : {None, 'symmetric', 'auto'} or float or array of V floats or K x V array
        Topic-word prior; None is 'symmetric' (1 / K).
    decay : float
        Forgetting rate kappa in (0.5, 1] for the step size.
    offset : float
        tau_0, slows the first steps; >= 1 with gensim's schedule (smaller
        values make the first step exceed 1), >= 0 with ``'reference'``.
    eval_every : int or None
        Log the per-word bound every ``eval_every`` chunks (computed from the
        E-step itself, at no extra inference cost); None or 0 disables.
    iterations : int
        Maximum E-step iterations per document.
    gamma_threshold : float
        E-step convergence threshold (mean absolute change of gamma).
    minimum_probability : float
        Topics with smaller probability are left out of document-topic output.
    random_state : None, int or numpy.random.RandomState
        Seed of the initial topics and of each chunk's E-step streams.
    ns_conf : None
        Unused (gensim's distributed name server).
    minimum_phi_value : float
        With ``per_word_topics``, smallest phi reported.
    per_word_topics : bool
        ``__getitem__`` also returns per-word topics.
    callbacks : list of gensim ``Callback`` metrics, optional
        Evaluated after each pass (gensim's callback protocol).
    dtype : numpy float type
        Kept for compatibility and used by :meth:`to_gensim`; ldax computes in float64.
    workers : int, optional
        Threads of the E-step; default all cores.  Results do not depend on it.
        More than the CPUs this process may use runs with that many (the
        attribute keeps the value given).
    rho_schedule : {'gensim', 'reference'}
        Step size: gensim's ``(offset + pass + num_updates / chunksize) ** -decay``
        (default, equal updates to gensim's), or Hoffman et al.'s
        ``(offset + 1 + t) ** -decay`` with ``t`` the number of M-steps done,
        which does not overwrite the random initialisation on the first step; with
        it, lambda also starts as Hoffman et al.'s code and scikit-learn start it,
        at the Gamma(100, 1/100) draw itself (gensim: eta + the draw).
    shuffle : bool
        Visit an in-memory corpus (list, tuple or sparse matrix) in a new random
        order each pass.  Recommended for corpora ordered by class or date;
        off by default for equality with gensim.
    eps : float
        Added to the E-step's normaliser ``phinorm`` (>= 0).  gensim uses its
        dtype's machine epsilon; the default 1e-100 only guards 0/0.

    Examples
    --------
    >>> from ldax import LdaModel
    >>> corpus = [[(0, 2.0), (1, 1.0)], [(2, 3.0), (3, 1.0)], [(0, 1.0), (1, 2.0)]]
    >>> lda = LdaModel(corpus, num_topics=2, id2word={0: "a", 1: "b", 2: "c", 3: "d"},
    ...                passes=5, random_state=1)
    >>> lda.get_topics().shape
    (2, 4)
    """

    _kind = "ldax.LdaModel"

    def __init__(self, corpus: Any = None, num_topics: int = 100, id2word: Any = None,
                 distributed: bool = False, chunksize: int = 2000, passes: int = 1,
                 update_every: int = 1, alpha: Any = "symmetric", eta: Any = None,
                 decay: float = 0.5, offset: float = 1.0, eval_every: int | None = 10,
                 iterations: int = 50, gamma_threshold: float = 0.001,
                 minimum_probability: float = 0.01, random_state: Any = None, ns_conf: Any = None,
                 minimum_phi_value: float = 0.01, per_word_topics: bool = False,
                 callbacks: list | None = None, dtype: Any = np.float32,
                 workers: int | None = None, rho_schedule: str = "gensim",
                 shuffle: bool = False, eps: float = 1e-100):
        if distributed:
            raise NotImplementedError("distributed=True (gensim's Pyro cluster) is not supported "
                                      "by ldax; use workers= for threads")
        self.dtype = np.finfo(dtype).dtype
        if id2word is None:
            if corpus is None:
                raise ValueError("at least one of corpus/id2word must be given, to know the vocabulary")
            if is_one_shot(corpus):
                raise TypeError("without id2word the vocabulary is read from the corpus in an extra "
                                "pass, which a generator cannot give; pass id2word")
            num_terms = infer_num_terms(corpus)
            id2word = {i: str(i) for i in range(num_terms)}
        self.id2word = id2word
        self.num_terms = num_terms_from_id2word(id2word)
        self.num_topics = _check_int("num_topics", num_topics, 1)
        self.distributed = False
        self.chunksize = _check_int("chunksize", chunksize, 1)
        self.passes = _check_int("passes", passes, 1)
        self.update_every = _check_int("update_every", update_every, 0)
        self.decay = check_positive_finite("decay", decay)
        if rho_schedule not in RHO_SCHEDULES:
            raise ValueError(f"rho_schedule must be one of {RHO_SCHEDULES}, got {rho_schedule!r}")
        self.rho_schedule = rho_schedule
        self.offset = check_offset(offset, rho_schedule)
        self.eval_every = None if eval_every is None else _check_int("eval_every", eval_every, 0)
        self.iterations = _check_int("iterations", iterations, 0, MAX_ITERATIONS)
        self.gamma_threshold = check_positive_finite("gamma_threshold", gamma_threshold, allow_zero=True)
        self.minimum_probability = check_positive_finite("minimum_probability", minimum_probability,
                                                         allow_zero=True)
        self.minimum_phi_value = check_positive_finite("minimum_phi_value", minimum_phi_value,
                                                       allow_zero=True)
        self.per_word_topics = bool(per_word_topics)
        self.callbacks = callbacks
        self.workers = workers
        self.shuffle = bool(shuffle)
        self.eps = check_positive_finite("eps", eps, allow_zero=True)
        self.num_updates = 0  # documents seen by M-steps of first passes (gensim's counter)
        self.num_steps = 0    # M-steps done (t of the reference schedule)
        self.numworkers = 1   # gensim's attribute (Pyro workers)

        self.alpha, self.optimize_alpha = self.init_dir_prior(alpha, "alpha")
        self.eta, self.optimize_eta = self.init_dir_prior(eta, "eta")
        self.random_state = _random_state(random_state)

        # Random initial topics: Gamma(100, 1/100) as in gensim, drawn by the E-step's own
        # parallel generator, seeded from random_state (numpy's serial draw of the K x V
        # values took 12% of a one-pass training on raw 20 Newsgroups, K=100, V=23k).
        # from_gensim() starts from gensim's very draw when the same start is wanted.
        self.state = LdaState(self.eta, (self.num_topics, self.num_terms))
        self.state.sstats_t = _estep.init_gamma(self.num_terms, self.num_topics,
                                                self._draw_seed(), self._threads)
        self._exp_elog_beta_t = np.empty((self.num_terms, self.num_topics))
        # gensim starts from E[log beta] of the random statistics alone (without eta)
        _estep.exp_dirichlet_expectation_t(self.state.sstats_t, np.zeros((self.num_terms, 1)),
                                           self._exp_elog_beta_t, workers=self._threads)
        if rho_schedule == "reference":
            # Hoffman et al.'s (and scikit-learn's) start: lambda_0 is the draw itself, where
            # gensim's is eta + draw; the statistics hold lambda - eta (negative where a draw
            # is below eta, which only a large eta makes possible)
            self.state.sstats_t -= self.state.eta.T if self.state.eta.ndim == 2 else self.state.eta[:, None]
        if corpus is not None:
            self.update(corpus)

    @property
    def workers(self) -> int:
        """E-step threads asked for (default: every usable CPU).  Kept and saved as given;
        the E-step runs with at most the CPUs this process may use (logged when capped)."""
        return self._workers

    @workers.setter
    def workers(self, value: int | None) -> None:
        value = None if value is None else _check_int("workers", value, 1)
        self._threads = thread_count("workers", value)
        self._workers = usable_cpus() if value is None else value

    # ------------------------------------------------------------ priors
    def init_dir_prior(self, prior: Any, name: str) -> tuple[np.ndarray, bool]:
        """Validate a prior and return it as an array, with whether it is learned ('auto').

        Parameters
        ----------
        prior : str, float, list or ndarray
            See ``alpha`` and ``eta`` in the class docstring.
        name : {'alpha', 'eta'}

        Returns
        -------
        prior : ndarray of float64
            Shape ``(K,)`` for alpha; ``(V,)`` or ``(K, V)`` for eta.
        is_auto : bool
        """
        if name not in ("alpha", "eta"):
            raise ValueError("name must be 'alpha' or 'eta'")
        K, V = self.num_topics, self.num_terms
        length = K if name == "alpha" else V
        if prior is None:
            prior = "symmetric"
        if isinstance(prior, str):
            if prior in ("symmetric", "auto"):
                return np.full(length, 1.0 / K), prior == "auto"
            if prior == "asymmetric":
                if name == "eta":
                    raise ValueError("the 'asymmetric' option cannot be used for eta")
                values = 1.0 / (np.arange(length) + np.sqrt(length))
                return values / values.sum(), False
            raise ValueError(f"{name} must be 'symmetric', 'asymmetric'"
                             f"{'' if name == 'alpha' else ' (alpha only)'}, 'auto', a number or "
                             f"an array, got {prior!r}")
        if isinstance(prior, (numbers.Real, np.number)) and not isinstance(prior, bool):
            value = check_positive_finite(name, prior)
            return np.full(length, value), False
        try:
            values = np.array(prior, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"{name} must be a string, a number or an array of numbers, "
                            f"got {type(prior).__name__}") from None
        shapes = [(K,)] if name == "alpha" else [(V,), (K, V)]
        if values.shape not in shapes:
            raise ValueError(f"{name} has shape {values.shape}, expected "
                             f"{' or '.join(str(s) for s in shapes)} (K={K} topics, V={V} terms)")
        if not np.all(np.isfinite(values)) or np.any(values <= 0):
            raise ValueError(f"{name} must contain finite numbers > 0")
        return values, False

    def update_alpha(self, gammat: np.ndarray, rho: float) -> np.ndarray:
        """One Newton step of alpha towards the documents' gamma (gensim's ``update_alpha``).

        Parameters
        ----------
        gammat : ndarray, shape (n_docs, K)
            Variational parameters of a chunk.
        rho : float
            Step size.

        Returns
        -------
        ndarray
            The new alpha.
        """
        gammat = np.asarray(gammat, dtype=np.float64)
        N = float(len(gammat))
        logphat = dirichlet_expectation(gammat).sum(axis=0) / N
        self.alpha = update_dir_prior(self.alpha, N, logphat, rho)
        logger.info("optimized alpha %s", list(self.alpha))
        return self.alpha

    def update_eta(self, lambdat: np.ndarray, rho: float) -> np.ndarray:
        """One Newton step of a per-word eta towards the topics ``lambdat`` (K x V).

        As in gensim, the learned eta is the model's ``eta`` (used by
        :meth:`bound`) while ``state.eta``, which ``get_lambda`` adds to the
        statistics to form the topics, keeps the initial prior; ldax keeps this
        behaviour so that its updates equal gensim's.
        """
        lambdat = np.asarray(lambdat, dtype=np.float64)
        N = float(lambdat.shape[0])
        logphat = dirichlet_expectation(lambdat).sum(axis=0) / N
        self.eta = update_dir_prior(self.eta, N, logphat, rho)
        return self.eta

    # ------------------------------------------------------------ state
    @property
    def expElogbeta(self) -> np.ndarray:
        """exp(E[log beta]) of the current topics, ``K x V`` (a view of the E-step's layout)."""
        return self._exp_elog_beta_t.T

    @expElogbeta.setter
    def expElogbeta(self, value: np.ndarray) -> None:
        value = np.asarray(value, dtype=np.float64)
        if value.shape != (self.num_topics, self.num_terms):
            raise ValueError(f"expElogbeta must have shape {(self.num_topics, self.num_terms)}")
        self._exp_elog_beta_t = np.ascontiguousarray(value.T)

    def sync_state(self, current_Elogbeta: np.ndarray | None = None) -> None:
        """Recompute ``expElogbeta`` from the state (or from a given ``K x V`` E[log beta])."""
        if current_Elogbeta is not None:
            self.expElogbeta = np.exp(current_Elogbeta)
            return
        _estep.exp_dirichlet_expectation_t(self.state.sstats_t, self.state.eta_t(),
                                           self._exp_elog_beta_t, workers=self._threads)

    def clear(self) -> None:
        """gensim compatibility: the state is kept (no distributed workers to free)."""

    def __str__(self) -> str:
        return (f"{type(self).__name__}<num_terms={self.num_terms}, num_topics={self.num_topics}, "
                f"decay={self.decay}, chunksize={self.chunksize}>")

    # ------------------------------------------------------------ E-step
    def _e_step(self, chunk: sp.csr_matrix, *, collect_sstats: bool, want_bound: bool = False,
                initial_gamma: np.ndarray | None = None, iterations: int | None = None,
                gamma_threshold: float | None = None, sstats_into: np.ndarray | None = None,
                keep_gamma: bool = True
                ) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
        """Run the kernel on a validated chunk: (gamma, sstats_t or None, per-document bound or None).

        With ``collect_sstats`` the chunk's statistics are added to ``sstats_into``
        (a ``V x K`` array, e.g. an LdaState's ``sstats_t``) or to new zeros.
        ``keep_gamma=False`` (statistics only) returns gamma None and runs the kernel
        on slices of the chunk, so only a slice's gamma is ever held (peak memory),
        with the same statistics bit for bit.
        """
        if not keep_gamma and initial_gamma is None and collect_sstats and not want_bound:
            return None, self._sstats_by_slices(chunk, iterations, gamma_threshold, sstats_into), None
        n_docs = chunk.shape[0]
        if initial_gamma is None:
            gamma = self._initial_gamma(n_docs)
        else:
            gamma = np.array(initial_gamma, dtype=np.float64, order="C")
            if gamma.shape != (n_docs, self.num_topics):
                raise ValueError(f"initial_gamma must have shape {(n_docs, self.num_topics)}, "
                                 f"got {gamma.shape}")
            if not np.all(np.isfinite(gamma)) or np.any(gamma <= 0):
                raise ValueError("initial_gamma must be finite and > 0")
        sstats_t = None
        if collect_sstats:
            sstats_t = np.zeros_like(self._exp_elog_beta_t) if sstats_into is None else sstats_into
        doc_bound = np.empty(n_docs) if want_bound else None
        elog_beta_t = None
        if want_bound:
            elog_beta_t = np.empty_like(self._exp_elog_beta_t)
            _estep.exp_dirichlet_expectation_t(self.state.sstats_t, self.state.eta_t(), None,
                                               elog_beta_t, workers=self._threads)
        indptr, indices, data = _csr_arrays(chunk)
        converged = _estep.e_step(
            indptr, indices, data, self._exp_elog_beta_t, np.ascontiguousarray(self.alpha),
            gamma, self.iterations if iterations is None else iterations,
            self.gamma_threshold if gamma_threshold is None else gamma_threshold,
            workers=self._threads, eps=self.eps, sstats_t=sstats_t, doc_bound=doc_bound,
            elog_beta_t=elog_beta_t)
        logger.debug("%i/%i documents converged within %i iterations", converged, n_docs,
                     self.iterations if iterations is None else iterations)
        return gamma, sstats_t, doc_bound

    def _sstats_by_slices(self, chunk: sp.csr_matrix | BowChunk, iterations: int | None,
                          gamma_threshold: float | None, sstats_into: np.ndarray | None
                          ) -> np.ndarray:
        """The chunk's statistics from kernel calls on slices of ``DOC_BLOCK_SIZE`` documents.

        The kernel itself works in such blocks and each document draws its initial gamma
        from (chunk seed, its index in the chunk), so this equals one call on the chunk.
        A :class:`BowChunk` is converted slice by slice (validate it first).
        """
        sstats_t = np.zeros_like(self._exp_elog_beta_t) if sstats_into is None else sstats_into
        draw = self._gamma_source(_chunk_len(chunk))
        step, alpha = _estep.DOC_BLOCK_SIZE, np.ascontiguousarray(self.alpha)
        beta_max = _estep.row_max(self._exp_elog_beta_t, self._threads)  # once, not per slice
        slices = (chunk.slices(step) if isinstance(chunk, BowChunk) else
                  (chunk[i:i + step] for i in range(0, chunk.shape[0], step)))
        start = 0
        for piece in slices:
            gamma = draw(start, start + piece.shape[0])
            _estep.e_step(
                *_csr_arrays(piece), self._exp_elog_beta_t, alpha, gamma,
                self.iterations if iterations is None else iterations,
                self.gamma_threshold if gamma_threshold is None else gamma_threshold,
                workers=self._threads, eps=self.eps, sstats_t=sstats_t, beta_max=beta_max)
            start += piece.shape[0]
        return sstats_t

    def _initial_gamma(self, n_docs: int) -> np.ndarray:
        """Gamma(100, 1/100) starting points of a chunk's E-step, ``(n_docs, K)``."""
        return self._gamma_source(n_docs)(0, n_docs)

    def _gamma_source(self, n_docs: int) -> Callable[[int, int], np.ndarray]:
        """The starting gammas of a chunk of ``n_docs`` documents, as a function of a row
        range ``(start, stop)``, so that a chunk can be run slice by slice.

        One seed per chunk is drawn from the model's RandomState, and document
        ``d`` draws from its own stream seeded by (seed, d), so the values do not
        depend on the number of threads or on the slicing.
        """
        seed = self._draw_seed()
        return lambda start, stop: _estep.init_gamma(stop - start, self.num_topics, seed,
                                                     self._threads, start)

    def _draw_seed(self) -> int:
        """A seed for the kernel's generator, drawn from the model's RandomState."""
        return int(self.random_state.randint(0, 2 ** 63, dtype=np.int64))

    def inference(self, chunk: Any, collect_sstats: bool = False,
                  initial_gamma: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None]:
        """Variational parameters gamma of each document of ``chunk`` (the model is not changed).

        Parameters
        ----------
        chunk : list of bag-of-words documents or scipy.sparse matrix
        collect_sstats : bool
            Also return the sufficient statistics for an M-step.
        initial_gamma : ndarray, shape (len(chunk), K), optional
            Starting gamma (default: Gamma(100, 1/100) draws from the model's
            seeded streams).  Given gensim's draws, the result equals gensim's.

        Returns
        -------
        gamma : ndarray, shape (len(chunk), K)
        sstats : ndarray, shape (K, V), or None
        """
        csr = as_chunk(chunk, self.num_terms)
        gamma, sstats_t, _ = self._e_step(csr, collect_sstats=collect_sstats,
                                          initial_gamma=initial_gamma)
        return gamma, (sstats_t.T if collect_sstats else None)

    def do_estep(self, chunk: Any, state: LdaState | None = None) -> np.ndarray:
        """E-step on ``chunk``, adding its statistics to ``state`` (default: the model's).

        Returns
        -------
        ndarray, shape (len(chunk), K)
            gamma of the chunk's documents.
        """
        if state is None:
            state = self.state
        csr = as_chunk(chunk, self.num_terms)
        if isinstance(state, LdaState):
            gamma, _, _ = self._e_step(csr, collect_sstats=True, sstats_into=state.sstats_t)
        else:  # a gensim LdaState
            gamma, sstats_t, _ = self._e_step(csr, collect_sstats=True)
            state.sstats += sstats_t.T.astype(state.sstats.dtype)
        state.numdocs += gamma.shape[0]
        return gamma

    # ------------------------------------------------------------ M-step
    def do_mstep(self, rho: float, other: Any, extra_pass: bool = False) -> None:
        """Blend the statistics ``other`` of an E-step into the topics with step size ``rho``.

        Parameters
        ----------
        rho : float
            Step size in (0, 1].
        other : LdaState (ldax's or gensim's)
            Statistics gathered by :meth:`do_estep` (possibly merged from several workers).
        extra_pass : bool
            True after the first pass; then ``num_updates`` is not advanced (gensim's rule).
        """
        self.state.blend(rho, other)
        self._after_blend(rho, other.numdocs, extra_pass)

    def _after_blend(self, rho: float, numdocs: int, extra_pass: bool) -> None:
        """The rest of an M-step once the statistics are blended into the state."""
        self.sync_state()
        logger.info("M-step %i, rho=%f", self.num_steps, rho)
        if self.optimize_eta:
            self.update_eta(self.state.get_lambda(), rho)
        if not extra_pass:
            self.num_updates += numdocs
        self.num_steps += 1

    def _online_step(self, chunk: sp.csr_matrix | BowChunk, rho: float, extra_pass: bool
                     ) -> tuple[bool, np.ndarray | None]:
        """E-step and M-step of one chunk (``update_every=1``) with the chunk's statistics
        added straight into the state: exactly ``do_mstep(rho, <E-step of chunk>)``, blend's
        in-place order of operations included, without a ``V x K`` array for the chunk.

        Returns (done, gamma): done is False when blend's in-place form does not apply
        (then nothing was done and the caller takes the general path); gamma is the
        chunk's when alpha is optimised (its update needs it), else None (never held whole).
        """
        state, n = self.state, _chunk_len(chunk)
        keep = 1.0 - rho  # blend's own scale is 1: the target size is the state's numdocs
        add = rho * (1.0 if n == 0 or state.numdocs == n else state.numdocs / n)
        if add == 0.0 or not math.isfinite(keep / add):
            return False, None
        if isinstance(chunk, BowChunk):  # any bad document must surface before the state changes
            if self.optimize_alpha:
                chunk = chunk.csr()
            else:
                # keep the validated slices when the chunk is small next to the model
                # (raw 20 Newsgroups, K=100: 2.9 MB against 18.5 MB for one V x K array),
                # saving their second conversion; where the chunk outweighs the model
                # (20 Newsgroups BoW, V=1995) only one slice is ever held
                chunk.validate(_estep.DOC_BLOCK_SIZE, keep_bytes=self._exp_elog_beta_t.nbytes // 4)
        if add != rho:
            logger.info("merging changes from %i documents into a model of %i documents",
                        n, state.numdocs)
        # the E-step reads expElogbeta, a separate array: scaling the state first is safe
        state.sstats_t *= keep / add
        gamma, _, _ = self._e_step(chunk, collect_sstats=True, sstats_into=state.sstats_t,
                                   keep_gamma=self.optimize_alpha)
        state.sstats_t *= add
        self._after_blend(rho, n, extra_pass)
        return True, gamma

    def _rho(self, offset: float, decay: float, pass_: int, chunksize: int) -> float:
        if self.rho_schedule == "reference":
            return (offset + 1.0 + self.num_steps) ** -decay
        return (offset + pass_ + self.num_updates / chunksize) ** -decay

    # ------------------------------------------------------------ training
    def _training_chunks(self, corpus: Any, chunksize: int) -> Iterator[sp.csr_matrix | BowChunk]:
        """The corpus as validated chunks, in a random order when ``shuffle`` is on."""
        if not self.shuffle:
            return iter_chunks(corpus, chunksize, self.num_terms, lazy=True)
        if sp.issparse(corpus) or isinstance(corpus, np.ndarray):
            matrix = next(iter_chunks(corpus, max(1, corpus.shape[0]), self.num_terms), None)
            if matrix is None:
                return iter([])
            order = self.random_state.permutation(matrix.shape[0])
            return (matrix[order[i:i + chunksize]] for i in range(0, len(order), chunksize))
        if isinstance(corpus, (list, tuple)):
            order = self.random_state.permutation(len(corpus))
            return iter_chunks((corpus[i] for i in order), chunksize, self.num_terms, lazy=True)
        raise TypeError("shuffle=True needs an in-memory corpus (list, tuple or sparse matrix); "
                        "shuffle a streamed corpus on disk beforehand")

    def _log_chunk_bound(self, doc_bound: np.ndarray, chunk: sp.csr_matrix, total_docs: int) -> float:
        """Per-word bound of a chunk from the E-step's per-document terms (as log_perplexity)."""
        words = float(chunk.data.sum())
        ratio = total_docs / chunk.shape[0]
        score = ratio * float(doc_bound.sum()) + self._topics_bound()
        perword = score / (ratio * words) if words > 0 else float("nan")
        logger.info("%.3f per-word bound, %.1f perplexity estimate based on a held-out corpus of "
                    "%i documents with %i words", perword, np.exp2(-perword), chunk.shape[0], words)
        return perword

    def update(self, corpus: Any, chunksize: int | None = None, decay: float | None = None,
               offset: float | None = None, passes: int | None = None,
               update_every: int | None = None, eval_every: int | None = None,
               iterations: int | None = None, gamma_threshold: float | None = None,
               chunks_as_numpy: bool = False) -> None:
        """Train on ``corpus``: E-steps on chunks, an M-step after every ``update_every`` chunks.

        Parameters
        ----------
        corpus : iterable of bag-of-words documents or scipy.sparse matrix
            Read chunk by chunk.  A generator (no ``len``, one-shot) is accepted
            for one pass; then the corpus size used to scale each mini-batch
            is the number of documents seen so far (as if :meth:`update` were
            called chunk by chunk).
        chunksize, decay, offset, passes, update_every, eval_every, iterations, gamma_threshold
            Override the model's values for this call (see the class).
        chunks_as_numpy : bool
            Ignored (gensim compatibility).
        """
        decay = self.decay if decay is None else check_positive_finite("decay", decay)
        offset = self.offset if offset is None else check_offset(offset, self.rho_schedule)
        passes = self.passes if passes is None else _check_int("passes", passes, 1)
        update_every = self.update_every if update_every is None else _check_int("update_every", update_every, 0)
        eval_every = self.eval_every if eval_every is None else _check_int("eval_every", eval_every, 0)
        saved = (self.iterations, self.gamma_threshold)
        if iterations is not None:
            self.iterations = _check_int("iterations", iterations, 0, MAX_ITERATIONS)
        if gamma_threshold is not None:
            self.gamma_threshold = check_positive_finite("gamma_threshold", gamma_threshold, allow_zero=True)
        try:
            self._train(corpus, chunksize, decay, offset, passes, update_every, eval_every)
        finally:
            self.iterations, self.gamma_threshold = saved

    def _train(self, corpus: Any, chunksize: int | None, decay: float, offset: float,
               passes: int, update_every: int, eval_every: int | None) -> None:
        """The training loop of :meth:`update`, top to bottom."""
        if not (sp.issparse(corpus) or isinstance(corpus, (np.ndarray, Iterable))):
            raise TypeError(f"corpus must be an iterable of bag-of-words documents or a scipy "
                            f"sparse matrix, got {type(corpus).__name__}")
        require_restartable(corpus, passes)
        if is_one_shot(corpus):
            lencorpus = None  # streamed: the corpus size grows as documents arrive
        elif sp.issparse(corpus) or isinstance(corpus, np.ndarray):
            lencorpus = int(corpus.shape[0])
        else:
            try:
                lencorpus = len(corpus)
            except TypeError:
                logger.warning("input corpus stream has no len(); counting documents")
                lencorpus = sum(1 for _ in corpus)
        if lencorpus == 0:
            raise ValueError("cannot train on an empty corpus (no documents)")
        if chunksize is None:
            chunksize = self.chunksize if lencorpus is None else min(lencorpus, self.chunksize)
        chunksize = _check_int("chunksize", chunksize, 1)
        if lencorpus is not None:
            self.state.numdocs += lencorpus
        callback = None
        if self.callbacks:
            from gensim.models.callbacks import Callback
            callback = Callback(self.callbacks)
            callback.set_model(self)
            self.metrics = defaultdict(list)

        for pass_ in range(passes):
            other = None  # the statistics of the chunks since the last M-step, made when needed
            dirty = False
            seen = 0
            for chunk_no, chunk in enumerate(self._training_chunks(corpus, chunksize)):
                seen += _chunk_len(chunk)
                if lencorpus is None:
                    self.state.numdocs += _chunk_len(chunk)
                evaluate = bool(eval_every) and (seen == lencorpus or (chunk_no + 1) % eval_every == 0)
                if update_every == 1 and not evaluate and not dirty:
                    # the common online case, without a V x K array for the chunk's statistics
                    rho = self._rho(offset, decay, pass_, chunksize)
                    done, gamma = self._online_step(chunk, rho, pass_ > 0)
                    if done:
                        logger.info("PROGRESS: pass %i, at document #%i/%s", pass_, seen,
                                    lencorpus or "?")
                        if self.optimize_alpha:
                            self.update_alpha(gamma, rho)
                        del gamma, chunk
                        continue
                if isinstance(chunk, BowChunk):
                    chunk = chunk.csr()
                if other is None:
                    other = LdaState(self.eta, (self.num_topics, self.num_terms))
                gamma, _, doc_bound = self._e_step(chunk, collect_sstats=True, want_bound=evaluate,
                                                   sstats_into=other.sstats_t)
                other.numdocs += chunk.shape[0]
                if evaluate:
                    self._log_chunk_bound(doc_bound, chunk, lencorpus or self.state.numdocs)
                logger.info("PROGRESS: pass %i, at document #%i/%s", pass_, seen, lencorpus or "?")
                if self.optimize_alpha:
                    self.update_alpha(gamma, self._rho(offset, decay, pass_, chunksize))
                dirty = True
                del gamma, doc_bound, chunk  # free before the next chunk is read
                if update_every and (chunk_no + 1) % update_every == 0:
                    self.do_mstep(self._rho(offset, decay, pass_, chunksize), other, pass_ > 0)
                    other = None
                    dirty = False
            if seen == 0:
                raise ValueError("cannot train on an empty corpus (no documents)")
            if lencorpus is not None and seen != lencorpus:
                raise RuntimeError(f"the corpus yielded {seen} documents but has len() {lencorpus}; "
                                   f"it changed during training")
            if dirty:
                self.do_mstep(self._rho(offset, decay, pass_, chunksize), other, pass_ > 0)
            if callback is not None:
                for metric, value in callback.on_epoch_end(pass_).items():
                    self.metrics[metric].append(value)

    # ------------------------------------------------------------ bound
    def _topics_bound(self) -> float:
        """The topic-word terms of the bound (E_q[log p(beta)] - E_q[log q(beta)]), as gensim sums them."""
        lambda_t = self.state.lambda_t()
        elog_beta_t = np.empty_like(lambda_t)
        _estep.exp_dirichlet_expectation_t(self.state.sstats_t, self.state.eta_t(), None,
                                           elog_beta_t, workers=self._threads)
        eta_t = self.eta[:, None] if self.eta.ndim == 1 else self.eta.T
        score = float(np.sum((eta_t - lambda_t) * elog_beta_t))
        score += float(np.sum(gammaln(lambda_t) - gammaln(eta_t)))
        # gensim sums the whole eta here, also for a K x V eta; kept for equal values
        score += float(np.sum(gammaln(np.sum(self.eta)) - gammaln(lambda_t.sum(axis=0))))
        return score

    def bound(self, corpus: Any, gamma: np.ndarray | None = None, subsample_ratio: float = 1.0) -> float:
        """Variational lower bound of ``corpus``, E_q[log p(corpus)] - E_q[log q(corpus)] (natural log).

        Parameters
        ----------
        corpus : iterable of bag-of-words documents or scipy.sparse matrix
        gamma : ndarray, shape (n_docs, K), optional
            Variational parameters of the documents; inferred when omitted.
        subsample_ratio : float
            Corpus size / ``len(corpus)`` when ``corpus`` is a sample.

        Returns
        -------
        float
            The same quantity gensim's ``LdaModel.bound`` returns.
        """
        subsample_ratio = check_positive_finite("subsample_ratio", subsample_ratio)
        if gamma is not None:
            gamma = np.asarray(gamma, dtype=np.float64)
        score = 0.0
        done = 0
        for chunk in iter_chunks(corpus, self.chunksize, self.num_terms):
            n = chunk.shape[0]
            if gamma is None:
                _, _, doc_bound = self._e_step(chunk, collect_sstats=False, want_bound=True)
            else:
                if gamma.ndim != 2 or gamma.shape[0] < done + n or gamma.shape[1] != self.num_topics:
                    raise ValueError(f"gamma must have shape (n_docs, {self.num_topics}) for all "
                                     f"documents of the corpus")
                # zero iterations: the bound of the given gamma, unchanged
                _, _, doc_bound = self._e_step(chunk, collect_sstats=False, want_bound=True,
                                               initial_gamma=gamma[done:done + n], iterations=0)
            score += float(doc_bound.sum())
            done += n
        return score * subsample_ratio + self._topics_bound()

    def log_perplexity(self, chunk: Any, total_docs: int | None = None) -> float:
        """Per-word bound of ``chunk`` (natural log), as gensim's ``log_perplexity`` returns it.

        The perplexity estimate is ``2 ** -bound`` (gensim's convention, logged at INFO).

        Parameters
        ----------
        chunk : list of bag-of-words documents or scipy.sparse matrix
        total_docs : int, optional
            Size of the corpus ``chunk`` was sampled from (default ``len(chunk)``).

        Returns
        -------
        float
        """
        csr = as_chunk(chunk, self.num_terms)
        if csr.shape[0] == 0:
            raise ValueError("log_perplexity of an empty chunk")
        total_docs = csr.shape[0] if total_docs is None else _check_int("total_docs", total_docs, 1)
        _, _, doc_bound = self._e_step(csr, collect_sstats=False, want_bound=True)
        return self._log_chunk_bound(doc_bound, csr, total_docs)

    # ------------------------------------------------------------ topics
    def get_topics(self) -> np.ndarray:
        """Topic-word probabilities, ``K x V`` (rows sum to 1)."""
        topics = self.state.get_lambda()
        return np.ascontiguousarray(topics / topics.sum(axis=1)[:, None])

    def get_topic_terms(self, topicid: int, topn: int = 10) -> list[tuple[int, float]]:
        """The ``topn`` most probable ``(word_id, probability)`` of a topic."""
        topic = self.get_topics()[self._topic_index(topicid)]
        return [(int(i), float(topic[i])) for i in _top_ids(topic, topn)]

    def show_topic(self, topicid: int, topn: int = 10) -> list[tuple[str, float]]:
        """The ``topn`` most probable ``(word, probability)`` of a topic."""
        return [(self.id2word[i], p) for i, p in self.get_topic_terms(topicid, topn)]

    def show_topics(self, num_topics: int = 10, num_words: int = 10, log: bool = False,
                    formatted: bool = True) -> list:
        """Some topics as ``(topic_id, words)``, as gensim shows them.

        With ``num_topics`` < K (and >= 0), half of the shown topics have the
        smallest and half the largest alpha (ties broken at random).
        ``formatted`` gives ``'0.012*"word" + ...'`` strings, else
        ``(word, probability)`` lists.
        """
        if num_topics < 0 or num_topics >= self.num_topics:
            chosen = list(range(self.num_topics))
        else:
            jitter = self.alpha + 0.0001 * self.random_state.rand(len(self.alpha))
            order = list(np.argsort(jitter))
            chosen = order[:num_topics // 2] + order[-num_topics // 2:]
        topics = self.get_topics()
        shown = []
        for i in chosen:
            words = [(self.id2word[w], float(topics[i, w])) for w in _top_ids(topics[i], num_words)]
            entry = ' + '.join('%.3f*"%s"' % (p, w) for w, p in words) if formatted else words
            shown.append((int(i), entry))
            if log:
                logger.info("topic #%i (%.3f): %s", i, self.alpha[i], entry)
        return shown

    def print_topics(self, num_topics: int = 20, num_words: int = 10) -> list:
        """Formatted topics, logged at INFO (gensim's ``print_topics``)."""
        return self.show_topics(num_topics=num_topics, num_words=num_words, log=True)

    def print_topic(self, topicno: int, topn: int = 10) -> str:
        """One topic as ``'0.012*"word" + ...'``."""
        return ' + '.join('%.3f*"%s"' % (p, w) for w, p in self.show_topic(topicno, topn))

    def _topic_index(self, topicid: Any) -> int:
        topicid = _check_int("topicid", topicid, 0)
        if topicid >= self.num_topics:
            raise IndexError(f"topic {topicid} does not exist (the model has {self.num_topics})")
        return topicid

    def top_topics(self, corpus: Any = None, texts: Any = None, dictionary: Any = None,
                   window_size: int | None = None, coherence: str = "u_mass", topn: int = 20,
                   processes: int = -1) -> list:
        """Topics sorted by coherence, through gensim's ``CoherenceModel``.

        Returns
        -------
        list of (list of (float, str), float)
            Each topic's ``topn`` ``(probability, word)`` and its coherence, best first.
        """
        from gensim.models import CoherenceModel
        if dictionary is None and not hasattr(self.id2word, "token2id"):
            raise ValueError("top_topics needs a gensim Dictionary: pass dictionary= or train "
                             "with id2word=<Dictionary>")
        model = CoherenceModel(model=self, corpus=corpus, texts=texts, dictionary=dictionary,
                               window_size=window_size, coherence=coherence, topn=topn,
                               processes=processes)
        scores = model.get_coherence_per_topic()
        topics = self.get_topics()
        described = [[(float(t[i]), self.id2word[i]) for i in _top_ids(t, topn)] for t in topics]
        return sorted(zip(described, scores), key=lambda pair: pair[1], reverse=True)

    # ------------------------------------------------------------ documents
    def get_document_topics(self, bow: Any, minimum_probability: float | None = None,
                            minimum_phi_value: float | None = None,
                            per_word_topics: bool = False) -> Any:
        """Topic distribution of a document (or a lazy stream of them for a corpus).

        Parameters
        ----------
        bow : list of (int, float), or a corpus
            One bag-of-words document; a corpus gives an iterable of results.
        minimum_probability : float, optional
            Smaller topic probabilities are left out (never below 1e-8).
        minimum_phi_value : float, optional
            With ``per_word_topics``, smaller phi values are left out (gensim's
            default here is ``minimum_probability`` of the model).
        per_word_topics : bool
            Also return each word's topics, most likely first, and its phi values.

        Returns
        -------
        list of (int, float)
            ``(topic_id, probability)``; with ``per_word_topics`` a triple
            ``(document_topics, word_topics, word_phis)`` as gensim returns.
        """
        minimum_probability = max(self.minimum_probability if minimum_probability is None
                                  else minimum_probability, 1e-8)
        minimum_phi_value = max(self.minimum_probability if minimum_phi_value is None
                                else minimum_phi_value, 1e-8)
        if not is_single_bow(bow):
            return _TransformedCorpus(self, bow, minimum_probability, minimum_phi_value, per_word_topics)
        csr = as_chunk([bow], self.num_terms)
        gamma, _, _ = self._e_step(csr, collect_sstats=False)
        return self._document_output(bow, csr, gamma[0], minimum_probability, minimum_phi_value,
                                     per_word_topics)

    def _document_output(self, bow: Any, csr: sp.csr_matrix, gammad: np.ndarray,
                         minimum_probability: float, minimum_phi_value: float,
                         per_word_topics: bool) -> Any:
        dist = gammad / gammad.sum()
        document_topics = [(k, float(p)) for k, p in enumerate(dist) if p >= minimum_probability]
        if not per_word_topics:
            return document_topics
        # phi of each distinct word, scaled by its total count (gensim's "phis")
        exp_elog_theta = np.exp(dirichlet_expectation(gammad))
        ids = csr.indices.astype(np.intp)
        rows = self._exp_elog_beta_t[ids]
        ratio = csr.data / (rows @ exp_elog_theta + self.eps)
        phis: dict[int, np.ndarray] = {}
        for word, r, row in zip(ids, ratio, rows):
            phis[int(word)] = phis.get(int(word), 0.0) + r * row * exp_elog_theta
        word_topics, word_phis = [], []
        for word_id, _ in bow:
            phi = phis[int(word_id)]
            kept = [(k, float(phi[k])) for k in range(self.num_topics) if phi[k] >= minimum_phi_value]
            word_phis.append((word_id, kept))
            word_topics.append((word_id, [k for k, _ in sorted(kept, key=lambda kv: (kv[1], kv[0]),
                                                                   reverse=True)]))
        return document_topics, word_topics, word_phis

    def __getitem__(self, bow: Any, eps: float | None = None) -> Any:
        """Topics of a document (or corpus), with the model's ``per_word_topics`` setting."""
        return self.get_document_topics(bow, eps, self.minimum_phi_value, self.per_word_topics)

    def get_term_topics(self, word_id: Any, minimum_probability: float | None = None) -> list:
        """Topics in which ``word_id`` (an id or a word) has exp(E[log beta]) above the threshold."""
        minimum_probability = max(self.minimum_probability if minimum_probability is None
                                  else minimum_probability, 1e-8)
        if isinstance(word_id, str):
            word = word_id
            if hasattr(self.id2word, "token2id"):
                word_id = self.id2word.token2id.get(word)
            else:
                word_id = next((i for i, w in self.id2word.items() if w == word), None)
            if word_id is None:
                raise KeyError(f"word {word!r} is not in the vocabulary")
        word_id = _check_int("word_id", word_id, 0)
        if word_id >= self.num_terms:
            raise ValueError(f"word id {word_id} is outside the vocabulary (0..{self.num_terms - 1})")
        row = self._exp_elog_beta_t[word_id]
        return [(k, float(row[k])) for k in range(self.num_topics) if row[k] >= minimum_probability]

    def diff(self, other: Any, distance: str = "kullback_leibler", num_words: int = 100,
             n_ann_terms: int = 10, diagonal: bool = False, annotation: bool = True,
             normed: bool = True) -> tuple[np.ndarray, Any]:
        """Pairwise distances between the topics of two models, as gensim's ``diff``.

        ``distance`` is 'kullback_leibler', 'hellinger', 'jaccard' or
        'jensen_shannon' (gensim's ``matutils`` functions).  Returns the
        distance matrix (or diagonal) and, with ``annotation``, the shared and
        differing top words of each pair.
        """
        from gensim import matutils
        distances = {"kullback_leibler": matutils.kullback_leibler, "hellinger": matutils.hellinger,
                     "jaccard": matutils.jaccard_distance, "jensen_shannon": matutils.jensen_shannon}
        if distance not in distances:
            raise ValueError(f"distance must be one of {sorted(distances)}, got {distance!r}")
        if not hasattr(other, "get_topics") or not hasattr(other, "show_topic"):
            raise TypeError("other must be a topic model with get_topics() and show_topic()")
        d1, d2 = self.get_topics(), other.get_topics()
        n1, n2 = d1.shape[0], d2.shape[0]
        first = [{w for w, _ in self.show_topic(t, topn=num_words)} for t in range(n1)]
        second = [{w for w, _ in other.show_topic(t, topn=num_words)} for t in range(n2)]
        if distance == "jaccard":
            d1, d2 = first, second
        if diagonal and n1 != n2:
            raise ValueError("diagonal=True needs two models with the same number of topics")
        shape = (n1,) if diagonal else (n1, n2)
        z = np.zeros(shape)
        notes = np.zeros(shape, dtype=object) if annotation else None
        for index in np.ndindex(shape):
            t1 = index[0]
            t2 = t1 if diagonal else index[1]
            z[index] = distances[distance](d1[t1], d2[t2])
            if annotation:
                shared = list(first[t1] & second[t2])[:n_ann_terms]
                differing = list(first[t1] ^ second[t2])[:n_ann_terms]
                notes[index] = [shared, differing]
        if normed and np.abs(np.max(z)) > 1e-8:
            z /= np.max(z)
        return z, notes

    # ------------------------------------------------------------ persistence
    _SETTINGS = ("num_topics", "num_terms", "chunksize", "passes", "update_every", "decay", "offset",
                 "eval_every", "iterations", "gamma_threshold", "minimum_probability",
                 "minimum_phi_value", "per_word_topics", "workers", "rho_schedule", "shuffle", "eps",
                 "num_updates", "num_steps", "optimize_alpha", "optimize_eta")

    def save(self, fname: str | os.PathLike, *args: Any, **kwargs: Any) -> None:
        """Save the model to one file (numpy arrays + JSON; loading never unpickles).

        gensim's ``ignore``/``separately`` arguments are accepted and ignored.
        Callbacks are not saved.
        """
        meta = {name: getattr(self, name) for name in self._SETTINGS}
        meta.update(dtype=self.dtype.name, numdocs=int(self.state.numdocs))
        arrays = {"sstats_t": self.state.sstats_t, "exp_elog_beta_t": self._exp_elog_beta_t,
                  "alpha": self.alpha, "eta": self.eta, "state_eta": self.state.eta}
        save_model(fname, self._kind, arrays, meta, id2word=self.id2word,
                   random_state=self.random_state)

    @classmethod
    def load(cls, fname: str | os.PathLike, *args: Any, **kwargs: Any) -> "LdaModel":
        """Load a model saved by :meth:`save`.

        Raises
        ------
        ModelFileError
            The file is corrupt, truncated, of another kind, or inconsistent.
        """
        path = os.fspath(fname)
        with open_model(path, cls._kind) as (archive, fields, id2word, rng):
            K, V = fields.integer("num_topics", 1), fields.integer("num_terms", 1)
            settings = {
                "chunksize": fields.integer("chunksize", 1), "passes": fields.integer("passes", 1),
                "update_every": fields.integer("update_every", 0), "decay": fields.number("decay"),
                "offset": fields.number("offset"), "eval_every": fields.integer("eval_every", 0, optional=True),
                "iterations": fields.integer("iterations", 0),
                "gamma_threshold": fields.number("gamma_threshold", 0),
                "minimum_probability": fields.number("minimum_probability", 0),
                "minimum_phi_value": fields.number("minimum_phi_value", 0),
                "per_word_topics": fields.boolean("per_word_topics"), "workers": fields.integer("workers", 1),
                "rho_schedule": fields.choice("rho_schedule", RHO_SCHEDULES),
                "shuffle": fields.boolean("shuffle"), "eps": fields.number("eps", 0),
                "dtype": np.dtype(fields.choice("dtype", ("float16", "float32", "float64"))).type}
            counters = {"num_updates": fields.integer("num_updates", 0),
                        "num_steps": fields.integer("num_steps", 0),
                        "optimize_alpha": fields.boolean("optimize_alpha"),
                        "optimize_eta": fields.boolean("optimize_eta")}
            numdocs = fields.integer("numdocs", 0)
            if id2word is None or num_terms_from_id2word(id2word) != V:
                raise ModelFileError(f"{path}: id2word does not match {V} terms")
            eta_shapes = {name: archive.shape(name) for name in ("eta", "state_eta")}
            for name, shape in eta_shapes.items():
                if shape not in ((V,), (K, V)):
                    raise ModelFileError(f"{path}: array {name!r} has shape {shape}, expected "
                                         f"{(V,)} or {(K, V)}")
            arrays = archive.read_all({
                "sstats_t": ((V, K), np.float64), "exp_elog_beta_t": ((V, K), np.float64),
                "alpha": ((K,), np.float64), "eta": (eta_shapes["eta"], np.float64),
                "state_eta": (eta_shapes["state_eta"], np.float64)})
        try:
            model = cls.__new__(cls)
            LdaModel.__init__(model, num_topics=K, id2word=id2word, alpha=arrays["alpha"],
                              eta=arrays["eta"], random_state=0, **settings)
            model._set_topic_state(arrays["sstats_t"], arrays["exp_elog_beta_t"], arrays["state_eta"],
                                   numdocs)
        except (TypeError, ValueError) as exc:
            raise ModelFileError(f"{path}: inconsistent model file ({exc})") from exc
        for name, value in counters.items():
            setattr(model, name, value)
        if rng is not None:
            model.random_state = rng
        return model

    def _set_topic_state(self, sstats_t: np.ndarray, exp_elog_beta_t: np.ndarray, state_eta: Any,
                         numdocs: Any) -> None:
        """Install topic statistics taken from a file or another model, after checking them:
        finite, exp(E[log beta]) >= 0, lambda = eta + statistics > 0, numdocs a count."""
        sstats_t = np.asarray(sstats_t, dtype=np.float64)
        exp_elog_beta_t = np.asarray(exp_elog_beta_t, dtype=np.float64)
        shape = (self.num_terms, self.num_topics)
        if sstats_t.shape != shape or exp_elog_beta_t.shape != shape:
            raise ValueError(f"topic arrays have shapes {sstats_t.shape} and {exp_elog_beta_t.shape}, "
                             f"expected {shape} (terms x topics)")
        if not (np.all(np.isfinite(sstats_t)) and np.all(np.isfinite(exp_elog_beta_t))):
            raise ValueError("topic arrays hold NaN or infinite values")
        if np.any(exp_elog_beta_t < 0):
            raise ValueError("topic arrays hold negative values (expElogbeta < 0)")
        eta = self.init_dir_prior(state_eta, "eta")[0]
        if np.any((sstats_t.T + eta) <= 0):
            raise ValueError("topic arrays hold negative values (lambda = eta + sstats <= 0)")
        self.state.sstats_t[...] = sstats_t
        self.state.eta = eta
        self.state.numdocs = _check_int("numdocs", numdocs, 0)
        self._exp_elog_beta_t = np.ascontiguousarray(exp_elog_beta_t)

    # ------------------------------------------------------------ gensim interop
    def to_gensim(self) -> Any:
        """A ``gensim.models.LdaModel`` with this model's exact state.

        Its ``state.sstats``, ``state.numdocs``, ``expElogbeta``, alpha, eta,
        ``num_updates``, id2word, settings and random state equal ours (cast
        to ``dtype``), so gensim tools (CoherenceModel, pyLDAvis's gensim
        adapter) work on it and its training can continue in gensim.
        """
        import copy
        from gensim.models import LdaModel as GensimLda
        dtype = self.dtype.type
        model = GensimLda(
            num_topics=self.num_topics, id2word=self.id2word, chunksize=self.chunksize,
            passes=self.passes, update_every=self.update_every, alpha=self.alpha.astype(dtype),
            eta=self.eta.astype(dtype), decay=self.decay, offset=self.offset,
            eval_every=self.eval_every, iterations=self.iterations,
            gamma_threshold=self.gamma_threshold, minimum_probability=self.minimum_probability,
            random_state=np.random.RandomState(0), minimum_phi_value=self.minimum_phi_value,
            per_word_topics=self.per_word_topics, dtype=dtype)
        model.state.sstats[...] = self.state.sstats
        model.state.eta = self.state.eta.astype(dtype)
        model.state.numdocs = self.state.numdocs
        model.expElogbeta = np.ascontiguousarray(self.expElogbeta, dtype=dtype)
        model.num_updates = self.num_updates
        model.optimize_alpha, model.optimize_eta = self.optimize_alpha, self.optimize_eta
        model.random_state = copy.deepcopy(self.random_state)
        return model

    @classmethod
    def from_gensim(cls, model: Any, workers: int | None = None, **kwargs: Any) -> "LdaModel":
        """An ldax model with the exact state of a ``gensim.models.LdaModel`` (in float64).

        Extra keyword arguments (``rho_schedule``, ``shuffle``, ``eps``) set ldax options.

        Raises
        ------
        ValueError
            The gensim model's settings or state are out of range: NaN or infinite
            statistics, lambda <= 0, ``offset`` below 1 (its steps would exceed 1).
        """
        import copy
        if getattr(model, "state", None) is None or not hasattr(model, "expElogbeta"):
            raise TypeError("from_gensim needs a trained or initialised gensim LdaModel")
        ours = cls.__new__(cls)
        LdaModel.__init__(
            ours, num_topics=model.num_topics, id2word=model.id2word, chunksize=model.chunksize,
            passes=model.passes, update_every=model.update_every,
            alpha=np.asarray(model.alpha, dtype=np.float64), eta=np.asarray(model.eta, dtype=np.float64),
            decay=model.decay, offset=model.offset, eval_every=model.eval_every,
            iterations=model.iterations, gamma_threshold=model.gamma_threshold,
            minimum_probability=model.minimum_probability, random_state=0,
            minimum_phi_value=model.minimum_phi_value, per_word_topics=model.per_word_topics,
            callbacks=model.callbacks, dtype=model.dtype, workers=workers, **kwargs)
        ours._set_topic_state(np.asarray(model.state.sstats).T, np.asarray(model.expElogbeta).T,
                              np.asarray(model.state.eta, dtype=np.float64), model.state.numdocs)
        ours.num_updates = _check_int("num_updates", model.num_updates, 0)
        ours.optimize_alpha, ours.optimize_eta = bool(model.optimize_alpha), bool(model.optimize_eta)
        ours.random_state = copy.deepcopy(model.random_state)
        return ours


class _TransformedCorpus:
    """Lazy topics of every document of a corpus (what gensim's ``model[corpus]`` gives)."""

    def __init__(self, model: LdaModel, corpus: Any, minimum_probability: float,
                 minimum_phi_value: float, per_word_topics: bool):
        self.model, self.corpus = model, corpus
        self.settings = (minimum_probability, minimum_phi_value, per_word_topics)

    def __len__(self) -> int:
        return self.corpus.shape[0] if sp.issparse(self.corpus) else len(self.corpus)

    def __iter__(self) -> Iterator[Any]:
        model = self.model
        for chunk in iter_chunks(self.corpus, model.chunksize, model.num_terms):
            gamma, _, _ = model._e_step(chunk, collect_sstats=False)
            for d in range(chunk.shape[0]):
                row = chunk[d]
                bow = list(zip(row.indices.tolist(), row.data.tolist()))
                yield model._document_output(bow, row, gamma[d], *self.settings)


class LdaMulticore(LdaModel):
    """gensim's ``LdaMulticore`` signature on ldax's threaded E-step.

    The ``workers`` threads share each chunk's E-step, so (unlike gensim's
    multiprocess version, which merges ``workers`` chunks per update) the
    model is updated after every chunk, exactly as :class:`LdaModel` with
    ``update_every=1``; ``batch=True`` is ``update_every=0``.  Default
    ``workers``: all cores.  ``alpha='auto'`` is supported.

    Examples
    --------
    >>> from ldax import LdaMulticore
    >>> lda = LdaMulticore([[(0, 1.0), (1, 2.0)], [(1, 1.0)]], num_topics=2, workers=2,
    ...                    random_state=0)
    >>> lda.num_topics
    2
    """

    _kind = "ldax.LdaMulticore"

    def __init__(self, corpus: Any = None, num_topics: int = 100, id2word: Any = None,
                 workers: int | None = None, chunksize: int = 2000, passes: int = 1,
                 batch: bool = False, alpha: Any = "symmetric", eta: Any = None,
                 decay: float = 0.5, offset: float = 1.0, eval_every: int | None = 10,
                 iterations: int = 50, gamma_threshold: float = 0.001, random_state: Any = None,
                 minimum_probability: float = 0.01, minimum_phi_value: float = 0.01,
                 per_word_topics: bool = False, dtype: Any = np.float32, **ldax_options: Any):
        super().__init__(
            corpus=corpus, num_topics=num_topics, id2word=id2word, chunksize=chunksize,
            passes=passes, update_every=0 if batch else 1, alpha=alpha, eta=eta, decay=decay,
            offset=offset, eval_every=eval_every, iterations=iterations,
            gamma_threshold=gamma_threshold, minimum_probability=minimum_probability,
            random_state=random_state, minimum_phi_value=minimum_phi_value,
            per_word_topics=per_word_topics, dtype=dtype, workers=workers, **ldax_options)
        self.batch = bool(batch)
