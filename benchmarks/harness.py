"""Run benchmark cases in fresh processes and record time, throughput and peak RSS.

Every case runs in its own spawned process, so its peak resident set size
(``ru_maxrss``) is its own and no warm cache or allocator state leaks from one
library into the next.  A case is a module-level function returning a dict of
figures; the harness adds ``peak_rss_mb``.  Results are written as JSON and a
Markdown table under ``benchmarks/results/``.
"""
from __future__ import annotations

import json
import multiprocessing as mp
import os
import pathlib
import platform
import queue as queue_mod
import resource
import statistics
import traceback
from collections.abc import Callable
from typing import Any

RESULTS = pathlib.Path(__file__).resolve().parent / "results"
ROOT = RESULTS.parent.parent


def compile_packages() -> None:
    """Write the bytecode of w2vx and ldax, as ``pip install`` does for gensim.

    With PYTHONDONTWRITEBYTECODE set (as on the machines these run on) an editable
    install would compile our modules from source in every process, and the
    compiler's freed memory stays in the heap: 3 MB of peak RSS for ldax/lda.py
    alone, a handicap gensim (installed with its .pyc files) does not carry.
    """
    import compileall
    for package in ("w2vx", "ldax"):
        compileall.compile_dir(str(ROOT / package), quiet=1)


compile_packages()


def _child(queue: mp.Queue, func: Callable[..., dict], args: tuple, kwargs: dict) -> None:
    try:
        out = dict(func(*args, **kwargs))
        out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
        queue.put(("ok", out))
    except BaseException:  # report, do not hang the parent
        queue.put(("error", traceback.format_exc()))


def run_isolated(func: Callable[..., dict], *args: Any, **kwargs: Any) -> dict:
    """Run ``func(*args, **kwargs)`` in a fresh spawned process; return its dict plus peak RSS."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(queue, func, args, kwargs))
    proc.start()
    while True:     # a child that dies before reporting (e.g. killed, crashed) must not hang us
        try:
            status, payload = queue.get(timeout=1.0)
            break
        except queue_mod.Empty:
            if not proc.is_alive():
                raise RuntimeError(f"benchmark case {func.__name__} died without a result "
                                   f"(exit code {proc.exitcode})") from None
    proc.join()
    if status != "ok":
        raise RuntimeError(f"benchmark case {func.__name__} failed:\n{payload}")
    return payload


def run_repeated(func: Callable[..., dict], repeats: int, *args: Any, **kwargs: Any) -> dict:
    """Run a case ``repeats`` times (each isolated); numeric figures become medians.

    The individual values are kept under ``<name>_runs``.
    """
    return merge_runs([run_isolated(func, *args, **kwargs) for _ in range(repeats)])


def merge_runs(runs: list[dict]) -> dict:
    """Merge the dicts of repeated runs: numbers become medians, anything else the first run's.

    The individual numbers are kept under ``<name>_runs`` when there are several runs.
    """
    repeats = len(runs)
    merged: dict[str, Any] = {}
    for key in runs[0]:
        values = [r[key] for r in runs]
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            merged[key] = statistics.median(values)
            if repeats > 1:
                merged[f"{key}_runs"] = values
        else:
            merged[key] = values[0]
    merged["repeats"] = repeats
    return merged


def tree_pss_mb(proc: Any = None) -> float:
    """Summed proportional set size (MB) of ``proc`` (default: this process) and its children."""
    import psutil
    proc = psutil.Process() if proc is None else proc
    total = 0
    for member in [proc, *proc.children(recursive=True)]:
        try:
            info = member.memory_full_info()
            total += getattr(info, "pss", info.rss)
        except psutil.Error:        # a worker exited between listing and reading
            pass
    return total / 2**20


class TreeMemorySampler:
    """Peak memory of this process and all its children while a block runs (MB).

    ``ru_maxrss`` covers one process over its whole life (data loading
    included) and misses worker processes (gensim's LdaMulticore,
    scikit-learn's joblib workers).  This samples, every ``interval``
    seconds in a background thread, the summed *proportional* set size
    (PSS) of the process tree: pages shared between a forked worker and its
    parent are counted once, not once per process as summed RSS would.
    Spikes shorter than ``interval`` can be missed.

    Examples
    --------
    >>> with TreeMemorySampler() as mem:
    ...     train()
    >>> mem.peak_mb
    """

    def __init__(self, interval: float = 0.05):
        self.interval = interval
        self.peak_mb = 0.0

    def _sample(self) -> float:
        return tree_pss_mb(self._proc)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak_mb = max(self.peak_mb, self._sample())

    def __enter__(self) -> "TreeMemorySampler":
        import threading
        import psutil
        self._proc = psutil.Process()
        self.peak_mb = self._sample()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_mb = max(self.peak_mb, self._sample())


_PROBE = pathlib.Path(__file__).resolve().parent / "probes" / "core_handoff.c"


def core_handoff_ns() -> float | None:
    """One-way cache-line handoff time between two threads right now (ns), or None
    without a C compiler.  See ``probes/core_handoff.c`` for why it is recorded."""
    import shutil
    import subprocess
    import tempfile
    binary = pathlib.Path(tempfile.gettempdir()) / f"gensimx-core-handoff-{os.getuid()}"
    compiler = shutil.which(os.environ.get("CC", "cc")) or shutil.which("gcc")
    try:
        if not binary.exists() or binary.stat().st_mtime < _PROBE.stat().st_mtime:
            if compiler is None:
                return None
            subprocess.run([compiler, "-O2", "-pthread", str(_PROBE), "-o", str(binary)], check=True)
        return float(subprocess.run([str(binary)], check=True, capture_output=True,
                                    text=True, timeout=60).stdout)
    except (OSError, subprocess.SubprocessError, ValueError):
        return None


def machine_info() -> dict:
    """What the figures were measured on."""
    import gensim
    import numpy
    cpu = platform.processor()
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "numpy": numpy.__version__, "gensim": gensim.__version__}


def markdown_table(rows: list[dict], columns: list[tuple[str, str, str]]) -> str:
    """Format ``rows`` as a Markdown table; ``columns`` are (key, header, format spec)."""
    lines = ["| " + " | ".join(h for _, h, _ in columns) + " |",
             "|" + "|".join("---" for _ in columns) + "|"]
    for row in rows:
        cells = []
        for key, _, spec in columns:
            value = row.get(key, "")
            cells.append(format(value, spec) if isinstance(value, (int, float)) and spec else str(value))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_results(name: str, payload: dict, markdown: str) -> pathlib.Path:
    """Write ``results/<name>.json`` (all figures) and ``results/<name>.md`` (the table)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    payload = {"machine": machine_info(), **payload}
    (RESULTS / f"{name}.json").write_text(json.dumps(payload, indent=2, default=float))
    path = RESULTS / f"{name}.md"
    path.write_text(markdown.rstrip() + "\n")
    return path
