"""What ldax.spark and w2vx.spark share: pyspark import, a local session, input columns.

Only Spark's own primitives are used by the Spark drivers (broadcast,
mapPartitions, treeAggregate, reduceByKey, sample, count); this module holds the
few helpers they need, so there is one way to start a session, one way to read
a column of a DataFrame or an RDD, and one way to let the JVM sample and count
Python records.

On a real cluster every executor must be able to ``import ldax`` / ``import
w2vx`` with their compiled kernels: install the gensimx wheel (built for the
executors' platform and Python) on every node, or ship it with
``spark-submit --py-files`` / a packed environment (``--archives``).  On one
machine (``local[N]``) the executors are Python workers of this installation.
"""
from __future__ import annotations

import gc
import socket
from typing import Any, Callable

from _gensimx.cpus import thread_count


def require_pyspark() -> Any:
    """Import pyspark or raise ImportError naming the extra that installs it."""
    try:
        import pyspark
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("gensimx on Spark needs pyspark >= 4: pip install 'gensimx[spark]'") from exc
    major = int(pyspark.__version__.split(".")[0])
    if major < 4:
        raise ImportError(f"gensimx on Spark needs pyspark >= 4, found {pyspark.__version__}")
    return pyspark


def local_session(cores: int = 2, app_name: str = "gensimx", log_level: str = "ERROR") -> Any:
    """A local SparkSession: ``local[cores]``, bound to 127.0.0.1, UI off, quiet logs,
    Python workers on Unix domain sockets (where the OS has them).

    Returns the running session if there is one (Spark allows one per process).

    Parameters
    ----------
    cores : int
        Executor threads (``local[cores]``), each running a Python worker; at most
        the CPUs this process may use (a larger request is capped, and logged).
    app_name : str
        Spark application name.
    log_level : str
        Spark's log level (``"ERROR"`` keeps test and benchmark output readable).

    Returns
    -------
    pyspark.sql.SparkSession

    Raises
    ------
    RuntimeError
        When the JVM cannot start (no Java, ports refused), with Spark's reason.

    Examples
    --------
    >>> spark = local_session(2)          # doctest: +SKIP
    >>> spark.sparkContext.master         # doctest: +SKIP
    'local[2]'
    """
    require_pyspark()
    from pyspark.sql import SparkSession
    cores = thread_count("cores", cores)
    builder = (SparkSession.builder.master(f"local[{cores}]").appName(app_name)
               .config("spark.driver.host", "127.0.0.1")
               .config("spark.driver.bindAddress", "127.0.0.1")
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.shuffle.partitions", str(cores))
               # room for K x V statistics travelling back to the driver
               .config("spark.driver.maxResultSize", "4g"))
    if hasattr(socket, "AF_UNIX"):
        # The JVM talks to its Python workers over loopback TCP by default, where a task's
        # small last write waits for the delayed ACK of the one before it (Nagle): 40 ms
        # per task on Linux, half of an ldax.spark LDA update (80 ms -> 45 ms measured on
        # 20 Newsgroups, K=50, local[2]).  A Unix domain socket has no such wait.  (Spark
        # >= 4.1; older versions ignore the key.)
        builder = builder.config("spark.python.unix.domain.socket.enabled", "true")
    try:
        session = builder.getOrCreate()
    except Exception as exc:
        raise RuntimeError(f"could not start a local SparkSession (is Java 17+ installed and "
                           f"JAVA_HOME set?): {exc}") from exc
    session.sparkContext.setLogLevel(log_level)
    return session


def run_job(action: Callable[[], Any]) -> Any:
    """Run a Spark action, re-raising an executor's ValueError/TypeError as itself.

    Spark wraps an exception raised in a Python worker into a Py4J/
    ``PythonException`` whose text ends with the worker's traceback; the
    user's bad input (an id out of range, a non-string token) should reach
    the caller as the ValueError or TypeError it is, with its message.
    """
    try:
        return action()
    except Exception as exc:
        text = str(exc)
        for kind in (ValueError, TypeError):
            at = text.rfind(f"{kind.__name__}: ")
            if at >= 0:
                message = text[at + len(kind.__name__) + 2:].strip().splitlines()
                raise kind(message[0] if message else text) from None
        raise


def column_rdd(data: Any, column: str) -> Any:
    """The values of ``column`` of a DataFrame as an RDD, or an RDD unchanged.

    Parameters
    ----------
    data : pyspark.sql.DataFrame or pyspark.RDD
    column : str
        Name of the column to read when ``data`` is a DataFrame.

    Returns
    -------
    pyspark.RDD
        One element per row (the column's value), partitioned like ``data``.
    """
    require_pyspark()
    from pyspark import RDD
    from pyspark.sql import DataFrame
    if isinstance(data, DataFrame):
        if column not in data.columns:
            raise ValueError(f"the DataFrame has no column {column!r} (columns: {data.columns})")
        return data.select(column).rdd.map(lambda row: row[0])
    if isinstance(data, RDD):
        return data
    raise TypeError(f"expected a pyspark DataFrame or RDD, got {type(data).__name__}")


def map_partitions_per_record(rdd: Any, function: Callable[[int, Any], Any]) -> Any:
    """``rdd.mapPartitionsWithIndex(function)`` whose output is stored one record per element.

    PySpark normally pickles the elements a task yields in batches, so the JVM
    sees one opaque record per batch.  Here every element becomes its own JVM
    record, which lets Spark's JVM operators (:func:`sample_in_jvm`,
    :func:`count_in_jvm`) work on the elements themselves without a Python pass.

    Parameters
    ----------
    rdd : pyspark.RDD
    function : callable ``(partition index, iterator) -> iterator``

    Returns
    -------
    pyspark.RDD
        A new RDD (lazy, like any transformation).
    """
    from pyspark.serializers import CPickleSerializer
    out = rdd.mapPartitionsWithIndex(function)
    # the output serializer of a fresh PipelinedRDD: one pickle frame (one JVM record) per element
    out._jrdd_deserializer = CPickleSerializer()
    return out


def _require_per_record(rdd: Any) -> None:
    from pyspark.serializers import CPickleSerializer
    if type(rdd._jrdd_deserializer) is not CPickleSerializer:
        raise ValueError("the RDD does not store one JVM record per element; "
                         "build it with map_partitions_per_record")


def sample_in_jvm(rdd: Any, with_replacement: bool, fraction: float, seed: int) -> Any:
    """``rdd.sample(with_replacement, fraction, seed)`` done by Spark's JVM sampler.

    PySpark's own ``RDD.sample`` draws in the Python worker, so every task
    first receives (and unpickles) all of its partition's elements.  On an RDD
    made by :func:`map_partitions_per_record` the JVM's ``RDD.sample`` (the one
    MLlib calls: Poisson copies with replacement, Bernoulli without, seeded
    per partition) picks the records, and only the picked elements reach Python.

    Parameters
    ----------
    rdd : pyspark.RDD
        Made by :func:`map_partitions_per_record` (usually persisted).
    with_replacement : bool
    fraction : float
        Expected share of the elements (expected copies with replacement).
    seed : int
        In ``[-2**63, 2**63)``.

    Returns
    -------
    pyspark.RDD
        The sample, partitioned like ``rdd``.
    """
    from pyspark import RDD
    _require_per_record(rdd)
    sampled = rdd._jrdd.sample(bool(with_replacement), float(fraction), int(seed))
    return RDD(sampled, rdd.context, rdd._jrdd_deserializer)


def count_in_jvm(rdd: Any) -> int:
    """Number of elements of an RDD made by :func:`map_partitions_per_record`, counted by
    the JVM (the elements are computed, and cached if the RDD is persisted, but
    never read back into Python)."""
    _require_per_record(rdd)
    return int(run_job(rdd._jrdd.count))


_HEAP_FROZEN = False


def freeze_worker_heap() -> None:
    """Exempt the objects alive now in this (Python worker) process from garbage collection.

    PySpark's daemon runs a full ``gc.collect()`` after every task of a reused
    worker.  Once numpy, scipy and gensimx are imported that walks some 60,000
    long-lived module objects: 20-50 ms per task on this machine, on the critical
    path of every small Spark job (the worker takes its next task only after it).
    ``gc.freeze()`` moves them to the permanent generation, so the collection
    costs well under a millisecond.  Reference counting still frees frozen
    objects; only reference cycles among them would stay, and module objects
    live as long as the worker anyway.  Called by the executor functions of
    :mod:`ldax.spark` and :mod:`w2vx.spark` at the start of a task; only the
    first call in a process freezes.
    """
    global _HEAP_FROZEN
    if not _HEAP_FROZEN:
        _HEAP_FROZEN = True
        gc.freeze()
