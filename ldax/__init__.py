"""ldax: variational LDA with a nogil multithreaded E-step, and the NVDM-GSM topic model.

``from ldax import LdaModel`` is a drop-in for ``gensim.models.LdaModel``.
"""
from .lda import LdaModel, LdaMulticore, LdaState
from .gsm import GSM

__all__ = ["LdaModel", "LdaMulticore", "LdaState", "GSM"]
