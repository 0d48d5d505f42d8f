"""How many threads this process should run: the CPUs it may use, and bounded requests."""
from __future__ import annotations

import logging
import operator
import os
from typing import Any

logger = logging.getLogger(__name__)

__all__ = ["usable_cpus", "thread_count"]


def _affinity_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def _cgroup_quota_cpus() -> int | None:
    """CPUs granted by a cgroup CPU quota (containers, systemd slices), rounded up; None if unlimited."""
    try:  # cgroup v2: "max 100000" or "150000 100000"
        with open("/sys/fs/cgroup/cpu.max") as f:
            quota, period = f.read().split()[:2]
        if quota != "max" and int(period) > 0:
            return -(-int(quota) // int(period))
    except (OSError, ValueError):
        pass
    try:  # cgroup v1
        with open("/sys/fs/cgroup/cpu/cpu.cfs_quota_us") as f:
            quota_us = int(f.read())
        with open("/sys/fs/cgroup/cpu/cpu.cfs_period_us") as f:
            period_us = int(f.read())
        if quota_us > 0 and period_us > 0:
            return -(-quota_us // period_us)
    except (OSError, ValueError):
        pass
    return None


def usable_cpus() -> int:
    """CPUs this process may actually run on: its affinity mask, capped by a cgroup CPU quota."""
    cpus = _affinity_cpus()
    quota = _cgroup_quota_cpus()
    if quota is not None:
        cpus = min(cpus, quota)
    return max(1, cpus)


def thread_count(name: str, value: Any, default: int | None = None) -> int:
    """Validate a requested number of threads and bound it by :func:`usable_cpus`.

    ``None`` means ``default`` (or every usable CPU).  A request above the usable
    CPUs runs with as many threads as there are CPUs (more threads than cores only
    make Hogwild writers and OpenMP teams wait on each other); the cap is logged.
    Raises ``ValueError`` for anything that is not a whole number >= 1.
    """
    cpus = usable_cpus()
    if value is None:
        value = cpus if default is None else default
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a whole number >= 1, got {value!r}")
    try:
        count = operator.index(value)
    except TypeError:
        raise ValueError(f"{name} must be a whole number >= 1, got {value!r}") from None
    if count < 1:
        raise ValueError(f"{name} must be >= 1, got {count}")
    if count > cpus:
        logger.info("%s=%d capped to the %d CPUs this process may use", name, count, cpus)
        count = cpus
    return count
