"""ldax: variational LDA with a nogil multithreaded E-step, and the NVDM-GSM topic model.

``from ldax import LdaModel`` is a drop-in for ``gensim.models.LdaModel``.

Names are resolved lazily (PEP 562): ``from ldax import LdaModel`` does not load
the GSM code, which keeps a process that only runs LDA smaller (peak RSS is one
of the figures we compare against gensim).
"""
import importlib

_EXPORTS = {
    "LdaModel": "ldax.lda",
    "LdaMulticore": "ldax.lda",
    "LdaState": "ldax.lda",
    "GSM": "ldax.gsm",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'ldax' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + __all__)
