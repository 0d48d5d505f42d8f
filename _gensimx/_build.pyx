"""How the compiled kernels were built: setup.py gives every extension the same flags."""

cdef extern from *:
    """
    #ifdef _OPENMP
    #define GENSIMX_OPENMP 1
    #else
    #define GENSIMX_OPENMP 0
    #endif
    """
    int GENSIMX_OPENMP

#: True when the kernels were compiled with OpenMP (their ``prange`` loops run threads).
OPENMP = bool(GENSIMX_OPENMP)
