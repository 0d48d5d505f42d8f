"""Word2vec on Spark over several seeds: MLlib's Word2Vec against w2vx.spark, quality only.

The settings of ``bench_spark.py --part w2v`` (IMDB, skip-gram + hierarchical softmax,
vector_size 100, window 5, min_count 5, 1 epoch, no subsampling, ``local[2]``), at one
partition count, seeds ``1000 ..``: every run's WordSim353 / SimLex-999 Spearman is kept in
``results/spark_word2vec_seeds.json`` (runs already there are not repeated, so contenders
and seeds can be added in several sittings); ``results/spark_word2vec_seeds.md`` gets, per
contender, the mean, sample sd and standard error over seeds, and each w2vx rule's
difference of means against MLlib with its standard error (Welch:
sqrt(sd1^2 / n1 + sd2^2 / n2)).  Fit times are printed but not a benchmark: these runs need
not hold the bench lock.

    python3 benchmarks/bench_spark_w2v_seeds.py --contenders mllib,w2vx --seeds 6 [--partitions 2]
        [--merge sqrt|saturation|average|sum|P]
"""
from __future__ import annotations

import argparse
import json
import pathlib
import sys
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from bench_spark import (W2V, W2V_MODES, fit_mllib_w2v, imdb_frame,  # noqa: E402
                         similarity_scores)
from harness import RESULTS  # noqa: E402
from w2vx._spark import local_session  # noqa: E402

STORE = RESULTS / "spark_word2vec_seeds.json"


def _merge_arg(text: str) -> str | float:
    try:
        return float(text)
    except ValueError:
        return text


def fit_w2vx(frame, partitions: int, seed: int, merge, syncs: int | None = None) -> object:
    from w2vx.spark import train_word2vec
    model = train_word2vec(frame, "tokens", num_partitions=partitions, seed=seed,
                           min_alpha=W2V["alpha"] * 1e-4, merge=merge, syncs_per_epoch=syncs,
                           **W2V, **W2V_MODES["sg-hs"])
    return model.wv


def summary(runs: list[dict]) -> str:
    groups: dict[tuple, list[dict]] = {}
    for run in runs:
        groups.setdefault((run["partitions"], run["contender"]), []).append(run)
    lines = ["| partitions | contender | seeds | WordSim353 mean | sd | se | SimLex-999 mean | sd | se "
             "| WS353 - MLlib (se) | SimLex - MLlib (se) | fit s (mean, unlocked) |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    stats = {}
    for key in sorted(groups, key=lambda k: (k[0], k[1] != "mllib", k[1])):
        rs = sorted(groups[key], key=lambda r: r["seed"])
        row = {}
        for score in ("wordsim353_spearman", "simlex999_spearman"):
            x = np.array([r[score] for r in rs])
            sd = float(x.std(ddof=1)) if len(x) > 1 else float("nan")
            row[score] = (float(x.mean()), sd, sd / len(x) ** 0.5, len(x))
        stats[key] = row
        base = stats.get((key[0], "mllib"))
        diffs = []
        for score in ("wordsim353_spearman", "simlex999_spearman"):
            if base is None or key[1] == "mllib":
                diffs.append("")
                continue
            m1, s1, _, n1 = row[score]
            m0, s0, _, n0 = base[score]
            diffs.append(f"{m1 - m0:+.4f} ({(s1 ** 2 / n1 + s0 ** 2 / n0) ** 0.5:.4f})")
        ws, sl = row["wordsim353_spearman"], row["simlex999_spearman"]
        seeds = ",".join(str(r["seed"]) for r in rs)
        lines.append(f"| {key[0]} | {key[1]} | {seeds} | {ws[0]:.4f} | {ws[1]:.4f} | {ws[2]:.4f} | "
                     f"{sl[0]:.4f} | {sl[1]:.4f} | {sl[2]:.4f} | {diffs[0]} | {diffs[1]} | "
                     f"{np.mean([r['seconds'] for r in rs]):.1f} |")
    per_run = ["", "Per run:", "", "| partitions | contender | seed | WordSim353 | SimLex-999 | fit s |",
               "|---|---|---|---|---|---|"]
    for run in sorted(runs, key=lambda r: (r["partitions"], r["contender"], r["seed"])):
        per_run.append(f"| {run['partitions']} | {run['contender']} | {run['seed']} | "
                       f"{run['wordsim353_spearman']:.4f} | {run['simlex999_spearman']:.4f} | "
                       f"{run['seconds']:.1f} |")
    return "\n".join(lines + per_run)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--contenders", default="mllib,w2vx")
    parser.add_argument("--seeds", type=int, default=6, help="seeds 1000 .. 1000 + seeds - 1")
    parser.add_argument("--first-seed", type=int, default=1000)
    parser.add_argument("--partitions", type=int, default=2)
    parser.add_argument("--merge", default="saturation", help="w2vx.spark's merge rule")
    parser.add_argument("--syncs", type=int, default=None,
                        help="w2vx.spark's syncs_per_epoch (default: its own default)")
    args = parser.parse_args(argv)
    runs = json.loads(STORE.read_text())["runs"] if STORE.exists() else []
    spark = local_session(2, app_name="gensimx-w2v-seeds")
    frame = imdb_frame(spark)
    merge = _merge_arg(args.merge)
    header = ("# w2vx on Spark vs MLlib Word2Vec over seeds: IMDB, skip-gram + hs, local[2]\n\n"
              f"Settings: {W2V}, min_alpha = alpha * 1e-4, no subsampling; "
              "`benchmarks/bench_spark_w2v_seeds.py`.  w2vx rows are named `w2vx merge=RULE` (plus ` syncs=N` where rounds per epoch were set).  "
              "Differences: mean minus MLlib's mean, Welch standard error.  Fit times were not "
              "taken under the bench lock (shared machine): indicative only.\n\n")
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        for contender in args.contenders.split(","):
            name = ("mllib" if contender == "mllib" else f"w2vx merge={args.merge}"
                    + (f" syncs={args.syncs}" if args.syncs else ""))
            if any(r["contender"] == name and r["seed"] == seed and r["partitions"] == args.partitions
                   for r in runs):
                continue
            start = time.perf_counter()
            vectors = (fit_mllib_w2v(frame, args.partitions, seed) if contender == "mllib"
                       else fit_w2vx(frame, args.partitions, seed, merge, args.syncs))
            seconds = time.perf_counter() - start
            run = {"contender": name, "partitions": args.partitions, "seed": seed,
                   "seconds": seconds, **similarity_scores(vectors)}
            runs.append(run)
            print(json.dumps(run), flush=True)
            STORE.write_text(json.dumps({"settings": W2V, "runs": runs}, indent=1))
            (RESULTS / "spark_word2vec_seeds.md").write_text(header + summary(runs) + "\n")
    frame.unpersist()
    spark.stop()


if __name__ == "__main__":
    main()
