"""ldax: variational LDA with a nogil multithreaded E-step, and the NVDM-GSM topic model.

``from ldax import LdaModel`` is a drop-in for ``gensim.models.LdaModel``.
"""
from .lda import LdaModel, LdaMulticore, LdaState

__all__ = ["LdaModel", "LdaMulticore", "LdaState"]
