"""Build the Cython extensions of gensimx.

Every ``w2vx/*.pyx``, ``ldax/*.pyx`` and ``_gensimx/*.pyx`` becomes an extension
module, compiled with ``-O3`` and OpenMP.  The default build is portable; set
``GENSIMX_NATIVE=1`` to add ``-march=native`` for the machine you build on.
``GENSIMX_ONLY=ldax`` (comma-separated substrings of module paths) builds a
subset, which is handy while developing one kernel.
Per-module extra flags belong in the ``.pyx`` itself (``# distutils:`` lines).

Before compiling, the build checks that a C compiler and Python's headers work
(and says how to get them, or a wheel, when they do not) and whether the compiler
accepts ``-fopenmp``.  Without OpenMP (Apple clang, or ``GENSIMX_NO_OPENMP=1``)
the kernels compile single-threaded, with a warning: Cython's ``prange`` loops
then run serially and ``ldax`` ignores ``workers``.

``setup.py build_ext`` skips extensions newer than their sources; each build
records its flags in ``build/temp.*/gensimx-build-flags.json`` and recompiles the
extensions whose flags changed (``GENSIMX_NATIVE=1`` after a portable build).
"""
import contextlib
import glob
import json
import os
import sys
import tempfile
import textwrap

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

from setuptools.errors import CompileError, ExecError, LinkError, PlatformError

OPENMP_FLAG = "-fopenmp"
FLAGS_FILE = "gensimx-build-flags.json"

NO_COMPILER = """\
Building gensimx from source needs a C compiler, which is missing or failed
({detail}).  Install one:
  Debian/Ubuntu:  sudo apt install build-essential python3-dev
  Fedora/RHEL:    sudo dnf install gcc python3-devel
  macOS:          xcode-select --install
or, instead of building, install a prebuilt wheel where one exists for your
platform (manylinux, CPython 3.11-3.13):
  python3 -m pip install --only-binary gensimx gensimx"""

NO_PYTHON_HEADERS = """\
The C compiler works but cannot find Python.h ({detail}): install Python's
development headers (Debian/Ubuntu: sudo apt install python3-dev;
Fedora/RHEL: sudo dnf install python3-devel), or install a prebuilt wheel."""

SERIAL_BUILD = """\
WARNING: gensimx's kernels are compiled WITHOUT OpenMP:
{reason}.
w2vx trains with threads as usual, but ldax's LDA E-step and GSM run on one
thread (workers is ignored).  For the multithreaded build use a compiler with
OpenMP: gcc, or on macOS Homebrew's llvm and libomp (brew install llvm libomp,
then CC=$(brew --prefix llvm)/bin/clang pip install ...), or install a wheel."""


def find_extensions() -> list[Extension]:
    compile_args = ["-O3", OPENMP_FLAG, "-fno-math-errno"]
    if os.environ.get("GENSIMX_NATIVE") == "1":
        compile_args.append("-march=native")
    only = [s for s in os.environ.get("GENSIMX_ONLY", "").split(",") if s]
    extensions = []
    paths = glob.glob("w2vx/*.pyx") + glob.glob("ldax/*.pyx") + glob.glob("_gensimx/*.pyx")
    for path in sorted(paths):
        if only and not any(s in path for s in only):
            continue
        name = path[:-4].replace(os.sep, ".")
        extensions.append(Extension(
            name, [path],
            include_dirs=[np.get_include()],
            define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
            extra_compile_args=list(compile_args),
            extra_link_args=[OPENMP_FLAG],
        ))
    return extensions


@contextlib.contextmanager
def captured_stderr():
    """Send the compiler's complaints during a probe to a file (yields a function reading it)."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as sink:
        os.dup2(sink.fileno(), 2)
        try:
            def read() -> str:
                sink.seek(0)
                return sink.read().decode(errors="replace").strip()
            yield read
        finally:
            os.dup2(saved, 2)
            os.close(saved)


class BuildExt(build_ext):
    """build_ext that checks the toolchain first and builds without OpenMP where it must."""

    def build_extensions(self) -> None:
        self.check_compiler()
        reason = self.openmp_unavailable()
        if reason:
            print("\n" + SERIAL_BUILD.format(reason=reason) + "\n", file=sys.stderr, flush=True)
            simd = [] if self.probe("int x;\n", ["-fopenmp-simd"]) else ["-fopenmp-simd"]
            for ext in self.extensions:
                ext.extra_compile_args = [a for a in ext.extra_compile_args if a != OPENMP_FLAG] + simd
                ext.extra_link_args = [a for a in ext.extra_link_args if a != OPENMP_FLAG]
        flags, flags_path = self.drop_outputs_of_other_flags()
        super().build_extensions()
        with open(flags_path, "w") as f:  # only once everything built with them
            json.dump(flags, f, indent=1)

    def probe(self, source: str, flags: list[str], link: bool = False) -> str | None:
        """Compile (and link as a shared object) ``source``; None if it worked, else the error."""
        with tempfile.TemporaryDirectory() as tmp, captured_stderr() as stderr:
            path = os.path.join(tmp, "gensimx_probe.c")
            with open(path, "w") as f:
                f.write(source)
            try:
                objects = self.compiler.compile([path], output_dir=tmp, extra_postargs=flags)
                if link:
                    self.compiler.link_shared_object(objects, os.path.join(tmp, "probe.so"),
                                                     extra_postargs=flags)
            except (CompileError, LinkError, ExecError, OSError) as exc:
                said = stderr().splitlines()
                errors = [line for line in said if "error" in line.lower()]
                if errors or said:
                    return (errors or said)[0].strip()
                command = getattr(self.compiler, "compiler_so", None) or ["the compiler"]
                return str(exc) if len(str(exc)) < 200 else f"{command[0]} failed"
        return None

    def check_compiler(self) -> None:
        """Fail early, with instructions, when no C compiler or no Python.h is there."""
        error = self.probe("int gensimx_probe(void) { return 0; }\n", [])
        if error:
            raise PlatformError("\n" + NO_COMPILER.format(detail=error))
        error = self.probe("#include <Python.h>\n", [])
        if error:
            raise PlatformError("\n" + NO_PYTHON_HEADERS.format(detail=error))

    def openmp_unavailable(self) -> str | None:
        """Why the kernels cannot use OpenMP here, or None when they can."""
        if os.environ.get("GENSIMX_NO_OPENMP") == "1":
            return "GENSIMX_NO_OPENMP=1"
        error = self.probe(textwrap.dedent("""\
            #include <omp.h>
            int gensimx_probe(void) {
                int n = 0;
                #pragma omp parallel reduction(+:n)
                n += 1;
                return n + omp_get_max_threads();
            }
            """), [OPENMP_FLAG], link=True)
        return error and f"the C compiler does not accept {OPENMP_FLAG} ({error})"

    def drop_outputs_of_other_flags(self) -> tuple[dict, str]:
        """Delete built extensions whose flags differ from the last build in this folder,
        so that they compile again (distutils only compares file times).

        Returns the flags of every extension and the file that records them once the
        build succeeds.
        """
        compiler = list(getattr(self.compiler, "compiler_so", None) or [])
        current = {ext.name: [compiler, ext.extra_compile_args, ext.extra_link_args,
                              ext.define_macros] for ext in self.extensions}
        current = json.loads(json.dumps(current))  # tuples as lists, as read back from the file
        path = os.path.join(self.build_temp, FLAGS_FILE)
        try:
            with open(path) as f:
                recorded = json.load(f)
        except (OSError, ValueError):
            recorded = {}
        for ext in self.extensions:
            output = self.get_ext_fullpath(ext.name)
            if recorded.get(ext.name) != current[ext.name] and os.path.exists(output):
                os.remove(output)
        os.makedirs(self.build_temp, exist_ok=True)
        return {**recorded, **current}, path


setup(
    ext_modules=cythonize(
        find_extensions(),
        language_level=3,
        compiler_directives={"boundscheck": False, "wraparound": False,
                             "cdivision": True, "initializedcheck": False},
    ),
    cmdclass={"build_ext": BuildExt},
)
