"""GSM across seeds: do the issue-3 floors hold for every seed, not only the benchmark's?

Each seed trains GSM with default settings (full epochs) in its own process and is
scored as ``bench_gsm.py`` scores it (perplexity, NPMI@10, diversity@25 on the
test split), with the stability figures of the same run (non-finite values,
largest epoch-to-epoch rise of the training negative ELBO).

    flock /tmp/gensimx-bench.lock python3 benchmarks/bench_gsm_seeds.py --topics 200 --seeds 0 1 2 3 4
"""
from __future__ import annotations

import argparse
import concurrent.futures
import pathlib
import statistics
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from benchmarks import harness  # noqa: E402
from benchmarks.bench_gsm import gsm_case  # noqa: E402

COLUMNS = [("seed", "seed", ""), ("epochs", "epochs", ""), ("ppl_doc", "ppl (per-doc)", ".1f"),
           ("npmi", "NPMI@10", ".4f"), ("diversity", "diversity@25", ".3f"),
           ("s_per_epoch", "s/epoch", ".3f"), ("train_s", "train s", ".1f"),
           ("max_loss_rise", "max epoch loss rise", ".4f"), ("all_finite", "all finite", ""),
           ("peak_rss_mb", "peak RSS MB", ".0f")]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--topics", type=int, default=200)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--jobs", type=int, default=1,
                        help="seeds trained at once, each in its own process (quality figures are "
                             "unaffected; s/epoch then includes the contention)")
    args = parser.parse_args(argv)
    rows = []
    with concurrent.futures.ThreadPoolExecutor(max(args.jobs, 1)) as pool:
        futures = [pool.submit(harness.run_isolated, gsm_case, args.topics, seed, None, 1, 0, True)
                   for seed in args.seeds]
        results = [f.result() for f in futures]
    for seed, row in zip(args.seeds, results):
        row.pop("curve", None)
        rows.append(row)
        print(f"K={args.topics} seed {seed}: ppl {row['ppl_doc']:.1f} NPMI {row['npmi']:.4f} "
              f"diversity {row['diversity']:.3f} rise {row['max_loss_rise']:.4f} "
              f"finite {row['all_finite']} train {row['train_s']:.0f}s", flush=True)
    summary = {key: statistics.median(r[key] for r in rows) for key in ("ppl_doc", "npmi", "diversity")}
    markdown = "\n".join([
        f"# GSM across seeds, K = {args.topics} (20News BoW, default settings)", "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; one process per seed"
        f"{f', {args.jobs} at a time' if args.jobs > 1 else ''}; scored as in bench_gsm.py.", "",
        harness.markdown_table(rows, COLUMNS), "",
        f"Medians: perplexity {summary['ppl_doc']:.1f}, NPMI {summary['npmi']:.4f}, "
        f"diversity {summary['diversity']:.3f}; worst: perplexity {max(r['ppl_doc'] for r in rows):.1f}, "
        f"NPMI {min(r['npmi'] for r in rows):.4f}; "
        f"mean NPMI {statistics.mean(r['npmi'] for r in rows):.4f}."])
    harness.write_results(f"gsm_seeds_k{args.topics}", {"rows": rows, "summary": summary}, markdown)
    print(markdown)


if __name__ == "__main__":
    main()
