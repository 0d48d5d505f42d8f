"""ldax: variational LDA with a nogil multithreaded E-step, and the NVDM-GSM topic model.

``from ldax import LdaModel`` is a drop-in for ``gensim.models.LdaModel``.

Names are resolved lazily (PEP 562): ``from ldax import LdaModel`` does not load
the GSM code, which keeps a process that only runs LDA smaller (peak RSS is one
of the figures we compare against gensim).
"""
from _gensimx import __version__
from w2vx._lazy import lazy_exports

_EXPORTS = {
    "LdaModel": "ldax.lda",
    "LdaMulticore": "ldax.lda",
    "LdaState": "ldax.lda",
    "GSM": "ldax.gsm",
}

__all__ = list(_EXPORTS)

__getattr__, __dir__ = lazy_exports('ldax', globals(), _EXPORTS)
