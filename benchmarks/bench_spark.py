"""Spark benchmark (issue 4): ldax / w2vx on Spark against Spark MLlib, in one SparkSession.

LDA (``--part lda``): 20 Newsgroups BoW (train 11,258 docs, V = 1995), K = 50,
``local[2]``, the training DataFrame (a SparseVector ``features`` column, 2
partitions, cached and counted before any timing) shared by both contenders:

- ``mllib``: ``pyspark.ml.clustering.LDA(optimizer='online')``;
- ``ldax``: :class:`ldax.spark.SparkLDA` (same MLlib parameter names).

Same settings for both: ``k=50``, ``subsamplingRate`` in {0.05, 0.2},
``maxIter = passes / subsamplingRate`` for 1, 2 and 5 passes' worth of
documents, ``learningOffset=1024``, ``learningDecay=0.51``,
``optimizeDocConcentration=True``, ``docConcentration = topicConcentration =
1/k`` (MLlib's defaults), one seed per repeat (the same for both).  Timed: the
``fit`` call only.  Scored: the held-out per-word bound on the 7,487 test
documents by the one shared evaluator ``topic_metrics.lda_heldout_bound``,
fed MLlib's ``topicsMatrix()`` (its variational lambda, V x K, transposed) and
``estimatedDocConcentration()``, and ldax's lambda and alpha.

Peak RSS: the largest resident set of the whole process tree (this driver,
the JVM and its Python workers), sampled every 0.1 s during each fit.

word2vec (``--part w2v``): the IMDB reviews (50,000 lines, 11.5M tokens)
tokenised by whitespace into a DataFrame column of string arrays, 1 and 2
partitions; MLlib's ``Word2Vec`` (skip-gram + hierarchical softmax, its only
mode) against :func:`w2vx.spark.train_word2vec` with the same mode and
settings; scored by WordSim353 / SimLex-999 Spearman (gensim's
``evaluate_word_pairs``, the files shipped in gensim's test data).

Figures are medians over ``--repeats`` runs (each run's values kept).  The
machine is shared (2 cores, other engineers' jobs): run under the lock,
``flock /tmp/gensimx-bench.lock python3 benchmarks/bench_spark.py``.
"""
from __future__ import annotations

import argparse
import pathlib
import statistics
import sys
import threading
import time
from typing import Any, Callable

import numpy as np
import psutil

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from datasets import imdb_text_path, load_20news_bow  # noqa: E402
from harness import markdown_table, write_results  # noqa: E402
from topic_metrics import lda_heldout_bound  # noqa: E402

from w2vx._spark import local_session  # noqa: E402

K = 50


class PeakRss:
    """Peak resident set size (MB) of this process and all its descendants while active."""

    def __init__(self, interval: float = 0.1) -> None:
        self.interval, self.peak, self._stop = interval, 0.0, threading.Event()

    def _total(self) -> float:
        me = psutil.Process()
        total = 0
        for proc in [me] + me.children(recursive=True):
            try:
                total += proc.memory_info().rss
            except psutil.Error:
                pass
        return total / 2 ** 20

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._total())
            self._stop.wait(self.interval)

    def __enter__(self) -> "PeakRss":
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._total())


def timed(fit: Callable[[], Any]) -> tuple[Any, float, float]:
    """(result, seconds, peak RSS MB of the process tree) of one call."""
    with PeakRss() as rss:
        start = time.perf_counter()
        result = fit()
        seconds = time.perf_counter() - start
    return result, seconds, rss.peak


def median_row(runs: list[dict]) -> dict:
    """Numeric fields as medians, with each run's values under ``<name>_runs``."""
    row: dict[str, Any] = {}
    for key, value in runs[0].items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            values = [r[key] for r in runs]
            row[key] = statistics.median(values)
            if len(runs) > 1:
                row[f"{key}_runs"] = values
        else:
            row[key] = value
    row["repeats"] = len(runs)
    return row


# ------------------------------------------------------------------ LDA
def lda_frame(spark: Any, docs: list, num_terms: int, partitions: int) -> Any:
    from pyspark.ml.linalg import Vectors
    rows = [(Vectors.sparse(num_terms, sorted(doc)),) for doc in docs]
    frame = spark.createDataFrame(rows, ["features"]).repartition(partitions).cache()
    frame.count()
    return frame


def fit_mllib_lda(frame: Any, max_iter: int, rate: float, seed: int) -> tuple[np.ndarray, np.ndarray, float]:
    """(lambda K x V, alpha, eta) of MLlib's online LDA."""
    from pyspark.ml.clustering import LDA
    model = LDA(k=K, optimizer="online", maxIter=max_iter, subsamplingRate=rate, seed=seed,
                learningOffset=1024.0, learningDecay=0.51, optimizeDocConcentration=True,
                docConcentration=[1.0 / K], topicConcentration=1.0 / K).fit(frame)
    lam = model.topicsMatrix().toArray().T      # V x K -> K x V
    alpha = model.estimatedDocConcentration().toArray()
    return lam, alpha, 1.0 / K


def fit_ldax_lda(frame: Any, max_iter: int, rate: float, seed: int,
                 id2word: Any) -> tuple[np.ndarray, np.ndarray, float]:
    from ldax.spark import SparkLDA
    model = SparkLDA(k=K, maxIter=max_iter, subsamplingRate=rate, seed=seed,
                     learningOffset=1024.0, learningDecay=0.51, optimizeDocConcentration=True,
                     docConcentration=1.0 / K, topicConcentration=1.0 / K).fit(frame, id2word=id2word)
    return model.state.get_lambda(), model.alpha, 1.0 / K


def bench_lda(spark: Any, passes_list: list[int], rates: list[float], repeats: int,
              partitions: int) -> list[dict]:
    train, test, dictionary = load_20news_bow()
    id2word = {i: w for w, i in dictionary.token2id.items()}
    frame = lda_frame(spark, train, len(id2word), partitions)
    rows = []
    for rate in rates:
        for passes in passes_list:
            max_iter = round(passes / rate)
            for name in ("mllib", "ldax"):
                runs = []
                for repeat in range(repeats):
                    seed = 1000 + repeat
                    if name == "mllib":
                        fit = lambda: fit_mllib_lda(frame, max_iter, rate, seed)  # noqa: E731
                    else:
                        fit = lambda: fit_ldax_lda(frame, max_iter, rate, seed, id2word)  # noqa: E731
                    (lam, alpha, eta), seconds, rss = timed(fit)
                    docs = max_iter * rate * len(train)
                    bound = lda_heldout_bound(lam, alpha, eta, test, dictionary)
                    runs.append({"contender": name, "subsampling_rate": rate, "passes": passes,
                                 "max_iter": max_iter, "seconds": seconds,
                                 "docs_per_s": docs / seconds, "heldout_bound": bound,
                                 "peak_rss_mb": rss})
                    print(f"lda {name} rate={rate} passes={passes} iter={max_iter}: "
                          f"{seconds:.1f}s bound={bound:.4f} rss={rss:.0f}MB", flush=True)
                rows.append(median_row(runs))
            mllib, ours = rows[-2], rows[-1]
            ours["speedup_vs_mllib"] = mllib["seconds"] / ours["seconds"]
            ours["bound_minus_mllib"] = ours["heldout_bound"] - mllib["heldout_bound"]
    frame.unpersist()
    return rows


LDA_COLUMNS = [("contender", "contender", ""), ("subsampling_rate", "subsamplingRate", ""),
               ("passes", "passes", ""), ("max_iter", "maxIter", ""),
               ("seconds", "fit s (median)", ".2f"), ("docs_per_s", "docs/s", ".0f"),
               ("heldout_bound", "held-out bound", ".4f"),
               ("speedup_vs_mllib", "speed-up vs MLlib", ".2f"),
               ("bound_minus_mllib", "bound - MLlib's", "+.4f"),
               ("peak_rss_mb", "peak RSS MB (tree)", ".0f")]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--part", choices=["lda", "w2v", "all"], default="all")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--passes", default="1,2,5", help="LDA: passes' worth of documents")
    parser.add_argument("--rates", default="0.05,0.2", help="LDA: subsamplingRate values")
    parser.add_argument("--partitions", type=int, default=2)
    parser.add_argument("--tag", default="", help="suffix of the result files (e.g. .quick)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    spark = local_session(2, app_name="gensimx-bench")
    session_seconds = time.perf_counter() - start
    print(f"SparkSession started in {session_seconds:.1f}s", flush=True)
    import pyspark
    settings = {"session_start_s": session_seconds, "pyspark": pyspark.__version__,
                "master": spark.sparkContext.master, "repeats": args.repeats}
    if args.part in ("lda", "all"):
        rows = bench_lda(spark, [int(p) for p in args.passes.split(",")],
                         [float(r) for r in args.rates.split(",")], args.repeats, args.partitions)
        table = markdown_table(rows, LDA_COLUMNS)
        header = (f"# ldax on Spark vs MLlib online LDA: 20 Newsgroups BoW, K={K}, local[2], "
                  f"{args.partitions} partitions\n\nMedians of {args.repeats} runs; held-out "
                  f"per-word bound (natural log, higher is better) on the 7,487 test documents by "
                  f"topic_metrics.lda_heldout_bound.  Peak RSS is the whole process tree (driver, "
                  f"JVM, Python workers).  Shared 2-core machine: figures carry its noise.\n\n")
        path = write_results(f"spark_lda{args.tag}", {"settings": settings, "rows": rows},
                             header + table)
        print(path.read_text(), flush=True)
    if args.part in ("w2v", "all"):
        bench_w2v(spark, args)
    spark.stop()


def bench_w2v(spark: Any, args: argparse.Namespace) -> None:
    raise SystemExit("the word2vec part is not written yet")


if __name__ == "__main__":
    main()
