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
1/k`` (MLlib's defaults), the E-step run to a mean gamma change below 1e-3
(MLlib has no iteration cap; ldax gets ``iterations=1000``), one seed per
repeat (the same for both).  Timed: the
``fit`` call only.  Scored: the held-out per-word bound on the 7,487 test
documents by the one shared evaluator ``topic_metrics.lda_heldout_bound``,
fed MLlib's ``topicsMatrix()`` (its variational lambda, V x K, transposed) and
``estimatedDocConcentration()``, and ldax's lambda and alpha.

Memory: ``harness.tree_pss_mb``, the summed proportional set size of the
whole process tree (this driver, the JVM and its Python workers), read once
right after each fit (sampling during the fit slowed the fits; see ``timed``).

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
import sys
import time
from typing import Any, Callable

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from datasets import imdb_text_path, load_20news_bow  # noqa: E402
from harness import tree_pss_mb, markdown_table, merge_runs, write_results  # noqa: E402
from topic_metrics import lda_heldout_bound  # noqa: E402

from w2vx._spark import local_session  # noqa: E402

K = 50


def timed(fit: Callable[[], Any]) -> tuple[Any, float, float]:
    """(result, seconds, memory MB of the process tree right after the fit: driver, JVM,
    Python workers).

    Nothing samples memory during the fit: reading ``/proc/<pid>/smaps`` of the JVM every
    0.1 s (as this benchmark did until 2026-12-02) slowed the fits themselves, MLlib's
    most (its LDA, 2 passes at rate 0.05: 14.5 s with the sampler, 9.2 s without), which
    inflated the speed-ups.  The JVM's heap does not shrink after a fit, so the
    figure after it is close to the peak.
    """
    start = time.perf_counter()
    result = fit()
    seconds = time.perf_counter() - start
    return result, seconds, tree_pss_mb()


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


E_STEP_CAP = 1000


def fit_ldax_lda(frame: Any, max_iter: int, rate: float, seed: int,
                 id2word: Any) -> tuple[np.ndarray, np.ndarray, float]:
    from ldax.spark import SparkLDA
    model = SparkLDA(k=K, maxIter=max_iter, subsamplingRate=rate, seed=seed,
                     learningOffset=1024.0, learningDecay=0.51, optimizeDocConcentration=True,
                     docConcentration=1.0 / K, topicConcentration=1.0 / K,
                     # MLlib's E-step has no iteration cap, only the 1e-3 mean-change threshold;
                     # equal settings: ldax runs to the same threshold (1000 is only a safety cap)
                     iterations=E_STEP_CAP).fit(frame, id2word=id2word)
    return model.state.get_lambda(), model.alpha, 1.0 / K


def bench_lda(spark: Any, passes_list: list[int], rates: list[float], repeats: int,
              partitions: int, save: Callable[[list[dict]], None]) -> list[dict]:
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
                                 "mem_after_fit_mb": rss})
                    print(f"lda {name} rate={rate} passes={passes} iter={max_iter}: "
                          f"{seconds:.1f}s bound={bound:.4f} mem={rss:.0f}MB", flush=True)
                rows.append(merge_runs(runs))
            mllib, ours = rows[-2], rows[-1]
            ours["speedup_vs_mllib"] = mllib["seconds"] / ours["seconds"]
            ours["bound_minus_mllib"] = ours["heldout_bound"] - mllib["heldout_bound"]
            save(rows)  # a run stopped early keeps the settings already measured
    frame.unpersist()
    return rows


LDA_COLUMNS = [("contender", "contender", ""), ("subsampling_rate", "subsamplingRate", ""),
               ("passes", "passes", ""), ("max_iter", "maxIter", ""),
               ("seconds", "fit s (median)", ".2f"), ("docs_per_s", "docs/s", ".0f"),
               ("heldout_bound", "held-out bound", ".4f"),
               ("speedup_vs_mllib", "speed-up vs MLlib", ".2f"),
               ("bound_minus_mllib", "bound - MLlib's", "+.4f"),
               ("mem_after_fit_mb", "PSS MB after fit (tree)", ".0f")]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--part", choices=["lda", "w2v", "all"], default="all")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--passes", default="1,2,5", help="LDA: passes' worth of documents")
    parser.add_argument("--rates", default="0.05,0.2", help="LDA: subsamplingRate values")
    parser.add_argument("--partitions", type=int, default=2, help="LDA: partitions")
    parser.add_argument("--w2v-modes", default="sg-hs,sg-neg5-sample",
                        help=f"word2vec: w2vx modes among {sorted(W2V_MODES)}")
    parser.add_argument("--w2v-partitions", default="1,2", help="word2vec: partition counts")
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
        header = (f"# ldax on Spark vs MLlib online LDA: 20 Newsgroups BoW, K={K}, local[2], "
                  f"{args.partitions} partitions\n\nMedians of {args.repeats} runs; held-out "
                  f"per-word bound (natural log, higher is better) on the 7,487 test documents by "
                  f"topic_metrics.lda_heldout_bound.  Memory: PSS of the whole process "
                  f"tree (driver, JVM, Python workers) right after each fit; nothing samples "
                  f"it during the timed fit.  Shared 2-core machine: figures carry its noise.\n\n")

        def save_lda(rows: list[dict]) -> None:
            write_results(f"spark_lda{args.tag}", {"settings": settings, "rows": rows},
                          header + markdown_table(rows, LDA_COLUMNS))

        bench_lda(spark, [int(p) for p in args.passes.split(",")],
                  [float(r) for r in args.rates.split(",")], args.repeats, args.partitions, save_lda)
    if args.part in ("w2v", "all"):
        header = (f"# w2vx on Spark vs MLlib Word2Vec: IMDB reviews (11.55M tokens), local[2]\n\n"
                  f"Settings: {W2V}, learning rate down to alpha * 1e-4 (MLlib's floor); MLlib "
                  f"runs its only mode, skip-gram + hierarchical softmax without subsampling "
                  f"('sg-hs'); w2vx runs the same, plus its default skip-gram mode as an extra "
                  f"row.  Medians of {args.repeats} runs; Spearman rho from gensim's "
                  f"evaluate_word_pairs.  Shared 2-core machine: figures carry its noise.\n\n")

        def save_w2v(rows: list[dict]) -> None:
            write_results(f"spark_word2vec{args.tag}", {"settings": {**settings, **W2V}, "rows": rows},
                          header + markdown_table(rows, W2V_COLUMNS))

        bench_w2v(spark, args, save_w2v)
    spark.stop()


def imdb_frame(spark: Any) -> Any:
    """The IMDB reviews as a DataFrame column ``tokens`` (array<string>), split in the JVM."""
    from pyspark.sql import functions as F
    frame = spark.read.text(str(imdb_text_path())).select(F.split("value", " ").alias("tokens"))
    frame = frame.cache()
    frame.count()
    return frame


def similarity_scores(keyed_vectors: Any) -> dict[str, float]:
    """Spearman correlations on WordSim353 and SimLex-999 (gensim's evaluate_word_pairs)."""
    from gensim.test.utils import datapath
    scores = {}
    for name, file in (("wordsim353", "wordsim353.tsv"), ("simlex999", "simlex999.txt")):
        _, spearman, oov = keyed_vectors.evaluate_word_pairs(datapath(file))
        scores[f"{name}_spearman"] = float(spearman.statistic)
        scores[f"{name}_oov_pct"] = float(oov)
    return scores


W2V = dict(vector_size=100, window=5, min_count=5, alpha=0.025, epochs=1)


def fit_mllib_w2v(frame: Any, partitions: int, seed: int) -> Any:
    from gensim.models import KeyedVectors
    from pyspark.ml.feature import Word2Vec as MLlibWord2Vec
    model = MLlibWord2Vec(vectorSize=W2V["vector_size"], windowSize=W2V["window"],
                          minCount=W2V["min_count"], stepSize=W2V["alpha"], maxIter=W2V["epochs"],
                          numPartitions=partitions, seed=seed, inputCol="tokens",
                          outputCol="vector").fit(frame)
    rows = model.getVectors().collect()
    vectors = KeyedVectors(W2V["vector_size"])
    vectors.add_vectors([r["word"] for r in rows],
                        np.array([r["vector"].toArray() for r in rows], dtype=np.float32))
    return vectors


def fit_w2vx_w2v(frame: Any, partitions: int, seed: int, mode: dict) -> Any:
    from w2vx.spark import train_word2vec
    # MLlib's learning rate falls to stepSize * 1e-4; so does ours here
    model = train_word2vec(frame, "tokens", num_partitions=partitions, seed=seed,
                           min_alpha=W2V["alpha"] * 1e-4, **W2V, **mode)
    return model.wv


#: MLlib's only mode (skip-gram, hierarchical softmax, no subsampling), and w2vx's default
#: skip-gram setting (negative sampling, subsampling) as an extra row.
W2V_MODES = {"sg-hs": dict(sg=1, hs=1, negative=0, sample=0.0),
             # w2vx.spark's merge alternatives: MLlib's (average once per pass), and summing
             "sg-hs-avg1": dict(sg=1, hs=1, negative=0, sample=0.0, syncs_per_epoch=1, merge="average"),
             "sg-hs-sum8": dict(sg=1, hs=1, negative=0, sample=0.0, syncs_per_epoch=8, merge="sum"),
             "sg-hs-avg8": dict(sg=1, hs=1, negative=0, sample=0.0, syncs_per_epoch=8, merge="average"),
             "sg-neg5-sample": dict(sg=1, hs=0, negative=5, sample=1e-3)}


def bench_w2v(spark: Any, args: argparse.Namespace,
              save: Callable[[list[dict]], None]) -> list[dict]:
    frame = imdb_frame(spark)
    words = 11_550_138  # tokens in the corpus (shared/data/README.md)
    rows = []
    for partitions in (int(p) for p in args.w2v_partitions.split(",")):
        contenders = [("mllib", "sg-hs")] + [("w2vx", mode) for mode in args.w2v_modes.split(",")]
        for name, mode in contenders:
            runs = []
            for repeat in range(args.repeats):
                seed = 1000 + repeat
                if name == "mllib":
                    fit = lambda: fit_mllib_w2v(frame, partitions, seed)  # noqa: E731
                else:
                    fit = lambda: fit_w2vx_w2v(frame, partitions, seed, W2V_MODES[mode])  # noqa: E731
                vectors, seconds, memory = timed(fit)
                run = {"contender": name, "mode": mode, "partitions": partitions,
                       "seconds": seconds, "words_per_s": words * W2V["epochs"] / seconds,
                       "vocab": len(vectors), **similarity_scores(vectors), "mem_after_fit_mb": memory}
                runs.append(run)
                print(f"w2v {name} {mode} partitions={partitions}: {seconds:.1f}s "
                      f"ws353={run['wordsim353_spearman']:.3f} "
                      f"simlex={run['simlex999_spearman']:.3f} mem={memory:.0f}MB", flush=True)
            rows.append(merge_runs(runs))
            save(rows)
        mllib = next(r for r in rows if r["contender"] == "mllib" and r["partitions"] == partitions)
        for row in rows:
            if row["partitions"] == partitions and row["contender"] == "w2vx":
                row["speedup_vs_mllib"] = mllib["seconds"] / row["seconds"]
        save(rows)
    frame.unpersist()
    return rows


W2V_COLUMNS = [("contender", "contender", ""), ("mode", "mode", ""),
               ("partitions", "partitions", ""), ("seconds", "fit s (median)", ".1f"),
               ("words_per_s", "words/s", ".0f"), ("speedup_vs_mllib", "speed-up vs MLlib", ".2f"),
               ("wordsim353_spearman", "WordSim353 rho", ".3f"),
               ("simlex999_spearman", "SimLex-999 rho", ".3f"), ("vocab", "vocab", ""),
               ("mem_after_fit_mb", "PSS MB after fit (tree)", ".0f")]


if __name__ == "__main__":
    main()
