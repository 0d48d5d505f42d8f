"""Whether the compiled kernels run OpenMP threads, and the warning when they cannot."""
from __future__ import annotations

import warnings

from _gensimx._build import OPENMP

__all__ = ["OPENMP", "warn_if_serial"]


def warn_if_serial(component: str) -> None:
    """Warn (RuntimeWarning) that ``component`` runs on one thread when built without OpenMP.

    A source build with a compiler lacking OpenMP (Apple clang) or with
    ``GENSIMX_NO_OPENMP=1`` compiles ``prange`` loops as serial loops; pip hides
    the build's own warning, so the user learns it here, on first import.
    """
    if not OPENMP:
        warnings.warn(
            f"{component} was compiled without OpenMP: it runs on one thread and ignores "
            "workers. Install a gensimx wheel, or rebuild from source with a compiler that "
            "accepts -fopenmp (gcc; on macOS Homebrew's llvm with libomp).",
            RuntimeWarning, stacklevel=2)
