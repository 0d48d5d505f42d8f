"""Test cases that could crash or hang, run in child processes, many cases per child.

A test module registers its cases with :func:`case` (each a function of a
fresh temporary folder that raises on failure) and parametrizes one pytest
test over :func:`names`; that test calls :func:`check`.  The first check of a
batch runs every case of the batch in one child process (one interpreter start
for many cases) with a time limit, and caches each case's outcome.  If the
child dies (a segfault, the OOM killer) or runs out of time, the cases it did
not report are run again, each in its own child, so the crash or hang is pinned
on its case and every other case still gets its own verdict.

Children run with a 6 GiB address-space limit, so a regression that asks for
terabytes fails its case instead of the machine.

Run as a script, this file is the child: ``python _isolated.py MODULE CASE...``.
"""
from __future__ import annotations

import importlib
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from typing import Callable

CHILD_ADDRESS_SPACE = 6 << 30
REGISTRY: dict[str, dict[str, dict[str, "Case"]]] = {}   # module -> batch -> name -> case
_RESULTS: dict[tuple[str, str], dict[str, "Outcome"]] = {}


@dataclass
class Case:
    name: str
    batch: str
    function: Callable[[str], None]
    seconds: float          # time limit of the case when it runs alone


@dataclass
class Outcome:
    ok: bool
    message: str
    seconds: float = 0.0


def case(batch: str, seconds: float = 30.0, name: str | None = None):
    """Register a case: ``function(tmp_dir)`` passes by returning, fails by raising."""
    def register(function: Callable[[str], None]) -> Callable[[str], None]:
        module = function.__module__
        key = name or function.__name__
        REGISTRY.setdefault(module, {}).setdefault(batch, {})[key] = Case(key, batch, function, seconds)
        return function
    return register


def names(module: str, batch: str) -> list[str]:
    """The case names of a batch, for ``pytest.mark.parametrize``."""
    return list(REGISTRY[module][batch])


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _run_child(module: str, cases: list[Case], timeout: float) -> tuple[dict[str, Outcome], str]:
    """Run ``cases`` in one child; returns the outcomes it reported and how it ended."""
    here = os.path.dirname(os.path.abspath(__file__))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (here, env.get("PYTHONPATH", "")) if p)
    env["PYTHONFAULTHANDLER"] = "1"
    command = [sys.executable, os.path.join(here, "_isolated.py"), module, *[c.name for c in cases]]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env)
        stdout, stderr, code = done.stdout, done.stderr, done.returncode
        ending = ("" if code == 0 else
                  f"the child process died: {'signal ' + signal.Signals(-code).name if code < 0 else f'exit status {code}'}")
    except subprocess.TimeoutExpired as exc:
        stdout = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        stderr = exc.stderr.decode() if isinstance(exc.stderr, bytes) else (exc.stderr or "")
        ending = f"the child process ran past its {timeout:.0f} s limit (a hang?)"
    outcomes = {}
    for line in stdout.splitlines():
        if line.startswith("@@case "):
            record = json.loads(line[len("@@case "):])
            outcomes[record["name"]] = Outcome(record["ok"], record["message"], record["seconds"])
    if ending:
        ending += "; its last output:\n" + stderr[-3000:]
    return outcomes, ending


def results(module: str, batch: str) -> dict[str, Outcome]:
    """Every case's outcome in a batch (run on first use, then cached)."""
    key = (module, batch)
    if key not in _RESULTS:
        cases = list(REGISTRY[module][batch].values())
        limit = 30 + sum(c.seconds for c in cases)
        outcomes, ending = _run_child(module, cases, limit)
        if ending:  # pin the crash or hang on its case: run the unreported ones alone
            for c in cases:
                if c.name not in outcomes:
                    alone, how = _run_child(module, [c], 30 + c.seconds)
                    outcomes[c.name] = alone.get(c.name) or Outcome(False, how)
        _RESULTS[key] = outcomes
    return _RESULTS[key]


def check(module: str, batch: str, name: str) -> None:
    """Fail the calling test unless case ``name`` passed in its child process."""
    import pytest
    outcome = results(module, batch)[name]
    if not outcome.ok:
        pytest.fail(outcome.message, pytrace=False)


# ------------------------------------------------------------------ the child
def _child(module_name: str, case_names: list[str]) -> None:
    try:
        resource.setrlimit(resource.RLIMIT_AS, (CHILD_ADDRESS_SPACE, CHILD_ADDRESS_SPACE))
    except (ValueError, OSError):
        pass
    module = importlib.import_module(module_name)
    registered = {name: c for batch in REGISTRY[module.__name__].values() for name, c in batch.items()}
    for name in case_names:
        print(f"@@start {name}", file=sys.stderr, flush=True)
        start = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="gensimx-hostile-") as tmp:
            try:
                registered[name].function(tmp)
                ok, message = True, ""
            except BaseException as exc:  # noqa: BLE001 - every failure is reported, not raised
                ok = False
                message = "".join(traceback.format_exception(exc))[-4000:]
        record = {"name": name, "ok": ok, "message": message, "seconds": time.perf_counter() - start}
        print("@@case " + json.dumps(record), flush=True)


if __name__ == "__main__":
    import _isolated  # the registry the test modules fill is that module's, not __main__'s
    _isolated._child(sys.argv[1], sys.argv[2:])
