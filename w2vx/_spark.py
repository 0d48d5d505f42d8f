"""What ldax.spark and w2vx.spark share: pyspark import, a local session, input columns.

Only Spark's own primitives are used by the Spark drivers (broadcast,
mapPartitions, treeAggregate, reduceByKey); this module holds the few helpers
both need, so there is one way to start a session and one way to read a
column of a DataFrame or an RDD.

On a real cluster every executor must be able to ``import ldax`` / ``import
w2vx`` with their compiled kernels: install the gensimx wheel (built for the
executors' platform and Python) on every node, or ship it with
``spark-submit --py-files`` / a packed environment (``--archives``).  On one
machine (``local[N]``) the executors are Python workers of this installation.
"""
from __future__ import annotations

from typing import Any, Callable


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
    """A local SparkSession: ``local[cores]``, bound to 127.0.0.1, UI off, quiet logs.

    Returns the running session if there is one (Spark allows one per process).

    Parameters
    ----------
    cores : int
        Executor threads (``local[cores]``), each running a Python worker.
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
    if cores < 1:
        raise ValueError(f"cores must be >= 1, got {cores}")
    builder = (SparkSession.builder.master(f"local[{cores}]").appName(app_name)
               .config("spark.driver.host", "127.0.0.1")
               .config("spark.driver.bindAddress", "127.0.0.1")
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.shuffle.partitions", str(cores))
               # room for K x V statistics travelling back to the driver
               .config("spark.driver.maxResultSize", "4g"))
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
