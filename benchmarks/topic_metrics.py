"""Topic-model figures shared by the LDA, GSM and Spark benchmarks.

- ``npmi_coherence``: NPMI of each topic's top words from *document*
  co-occurrence in a reference corpus (the test set), the measure of the
  NVDM/GSM papers; a pair that never co-occurs scores -1.
- ``topic_diversity``: unique words among all topics' top-25 / (25 K).
- ``lda_heldout_bound``: the one evaluator every LDA implementation is scored
  by: its variational topic-word parameters (lambda) loaded into a gensim
  ``LdaModel`` (float64) and scored with gensim's ``log_perplexity``, so
  gensim, LdaMulticore, scikit-learn and ldax are judged by the same code.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def top_word_ids(topics: np.ndarray, topn: int) -> np.ndarray:
    """Indices of the ``topn`` largest entries of each row, largest first (K x topn)."""
    part = np.argpartition(-topics, topn - 1, axis=1)[:, :topn]
    order = np.argsort(-np.take_along_axis(topics, part, axis=1), axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1)


def document_presence(docs: list | sp.spmatrix, num_terms: int) -> sp.csc_matrix:
    """Binary documents x terms matrix (CSC, for fast column access)."""
    if sp.issparse(docs):
        m = sp.csr_matrix(docs, copy=True)
    else:
        rows = [i for i, doc in enumerate(docs) for _ in doc]
        cols = [w for doc in docs for w, _ in doc]
        m = sp.csr_matrix((np.ones(len(cols)), (rows, cols)), shape=(len(docs), num_terms))
    m.data[:] = 1.0
    m.sum_duplicates()
    m.data[:] = 1.0
    return m.tocsc()


def npmi_coherence(top_ids: np.ndarray, presence: sp.csc_matrix) -> np.ndarray:
    """Mean pairwise NPMI of each topic's words (rows of ``top_ids``); one value per topic."""
    n_docs = presence.shape[0]
    scores = []
    for words in top_ids:
        cols = presence[:, list(words)]
        df = np.asarray(cols.sum(axis=0)).ravel()
        co = (cols.T @ cols).toarray()
        vals = []
        for a in range(len(words)):
            for b in range(a + 1, len(words)):
                if co[a, b] == 0 or df[a] == 0 or df[b] == 0:
                    vals.append(-1.0)
                    continue
                p_ab = co[a, b] / n_docs
                if p_ab >= 1.0:                 # both words in every document
                    vals.append(1.0)
                    continue
                pmi = np.log(p_ab / ((df[a] / n_docs) * (df[b] / n_docs)))
                vals.append(pmi / -np.log(p_ab))
        scores.append(float(np.mean(vals)))
    return np.array(scores)


def topic_diversity(topics: np.ndarray, topn: int = 25) -> float:
    """Fraction of unique words among all topics' top-``topn`` words."""
    ids = top_word_ids(topics, topn)
    return len(np.unique(ids)) / ids.size


def lda_heldout_bound(lam: np.ndarray, alpha: np.ndarray | float, eta: np.ndarray | float,
                      test_docs: list, id2word, seed: int = 0) -> float:
    """Held-out per-word bound (natural log) of LDA topics given as lambda (K x V).

    Loads lambda into a float64 gensim ``LdaModel`` and returns its
    ``log_perplexity(test_docs)``; identical code for every implementation.
    """
    return float(_gensim_lda(lam, alpha, eta, id2word, seed).log_perplexity(test_docs))


def _gensim_lda(lam: np.ndarray, alpha: np.ndarray | float, eta: np.ndarray | float,
                id2word, seed: int):
    """A float64 gensim ``LdaModel`` whose variational topic-word parameters are ``lam``."""
    from gensim.models import LdaModel
    lam = np.asarray(lam, dtype=np.float64)
    k, v = lam.shape
    alpha = np.full(k, alpha, dtype=np.float64) if np.isscalar(alpha) else np.asarray(alpha, np.float64)
    eta_arr = np.full(v, eta, dtype=np.float64) if np.isscalar(eta) else np.asarray(eta, np.float64)
    model = LdaModel(num_topics=k, id2word=id2word, alpha=alpha, eta=eta_arr,
                     random_state=seed, dtype=np.float64)
    model.state.sstats[...] = lam - eta_arr
    model.sync_state()
    return model


def lda_document_bounds(lam: np.ndarray, alpha: np.ndarray | float, eta: np.ndarray | float,
                        test_docs: list, id2word, seed: int = 0) -> np.ndarray:
    """Per-document variational bound (natural log) of LDA topics given as lambda (K x V).

    The document terms of gensim's ``LdaModel.bound`` (expected log-likelihood
    plus the theta terms, with gamma from gensim's E-step); the corpus-level
    topic terms, which belong to no single document, are left out.  For the
    papers' per-document perplexity ``exp(mean_d(-bound_d / N_d))``.  Checked
    against gensim: the sum plus the topic terms equals ``bound(test_docs, gamma)``.
    """
    from scipy.special import gammaln, logsumexp, psi
    model = _gensim_lda(lam, alpha, eta, id2word, seed)
    gamma, _ = model.inference(test_docs)
    elog_beta = model.state.get_Elogbeta()
    alpha = model.alpha
    bounds = np.empty(len(test_docs))
    for d, doc in enumerate(test_docs):
        g = gamma[d]
        elog_theta = psi(g) - psi(g.sum())
        ids = np.fromiter((w for w, _ in doc), dtype=np.int64, count=len(doc))
        counts = np.fromiter((c for _, c in doc), dtype=np.float64, count=len(doc))
        words = counts @ logsumexp(elog_theta[:, None] + elog_beta[:, ids], axis=0) if len(doc) else 0.0
        bounds[d] = (words + np.sum((alpha - g) * elog_theta) + np.sum(gammaln(g) - gammaln(alpha))
                     + gammaln(alpha.sum()) - gammaln(g.sum()))
    topic_terms = model.bound([])
    # gensim's bound indexes gamma per document and wants each as a 1 x K row
    expected = model.bound(test_docs, gamma=gamma[:, None, :])
    if not np.isclose(bounds.sum() + topic_terms, expected, rtol=1e-9, atol=1e-6):
        raise AssertionError(f"per-document bounds disagree with gensim: "
                             f"{bounds.sum() + topic_terms} vs {expected}")
    return bounds
