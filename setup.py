"""Build the Cython extensions of gensimx.

Every ``w2vx/*.pyx`` and ``ldax/*.pyx`` becomes an extension module, compiled
with ``-O3`` and OpenMP.  The default build is portable; set
``GENSIMX_NATIVE=1`` to add ``-march=native`` for the machine you build on.
``GENSIMX_ONLY=ldax`` (comma-separated substrings of module paths) builds a
subset, which is handy while developing one kernel.
Per-module extra flags belong in the ``.pyx`` itself (``# distutils:`` lines).
"""
import glob
import os

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup


def find_extensions() -> list[Extension]:
    compile_args = ["-O3", "-fopenmp", "-fno-math-errno"]
    if os.environ.get("GENSIMX_NATIVE") == "1":
        compile_args.append("-march=native")
    only = [s for s in os.environ.get("GENSIMX_ONLY", "").split(",") if s]
    extensions = []
    for path in sorted(glob.glob("w2vx/*.pyx") + glob.glob("ldax/*.pyx")):
        if only and not any(s in path for s in only):
            continue
        name = path[:-4].replace(os.sep, ".")
        extensions.append(Extension(
            name, [path],
            include_dirs=[np.get_include()],
            define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
            extra_compile_args=compile_args,
            extra_link_args=["-fopenmp"],
        ))
    return extensions


setup(ext_modules=cythonize(
    find_extensions(),
    language_level=3,
    compiler_directives={"boundscheck": False, "wraparound": False,
                         "cdivision": True, "initializedcheck": False},
))
