"""Quality-only probe for the w2vx / gensim analogy gap (issue 2, CBOW-neg corpus_file).

Trains one library for ``--epochs`` epochs on IMDB with the benchmark's settings
(bench_word2vec.COMMON) but a chosen ``--workers``, once per seed, and appends
one JSON line per run (WordSim353, SimLex-999, analogy % with restrict_vocab=30000)
to ``--out``.  Runs in this process; the library is imported from the current
``PYTHONPATH`` (point it at a worktree or at a patched copy to compare variants).

    flock -s /tmp/gensimx-bench.lock python3 benchmarks/probes/w2v_quality_probe.py \
        --lib w2vx --workers 1 --seeds 1,2,3 --tag w1 --out benchmarks/results/probe.jsonl
    python3 benchmarks/probes/w2v_quality_probe.py --summary benchmarks/results/probe.jsonl
"""
from __future__ import annotations

import argparse
import collections
import json
import pathlib
import statistics
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from bench_word2vec import COMMON, MODES, truncated_copy  # noqa: E402
from datasets import imdb_text_path  # noqa: E402


def evaluate(wv) -> dict:
    from gensim.test.utils import datapath
    from bench_word2vec import analogy_common_order
    analogy, sections = wv.evaluate_word_analogies(datapath("questions-words.txt"), restrict_vocab=30000)
    common, common_questions = analogy_common_order(wv)
    return {"wordsim353": float(wv.evaluate_word_pairs(datapath("wordsim353.tsv"))[1][0]),
            "simlex999": float(wv.evaluate_word_pairs(datapath("simlex999.txt"))[1][0]),
            "analogy_percent": 100.0 * float(analogy),
            "analogy_questions": len(sections[-1]["correct"]) + len(sections[-1]["incorrect"]),
            "analogy_common_percent": common, "analogy_common_questions": common_questions}


def run(lib: str, mode: str, input_kind: str, workers: int, epochs: int, seed: int, corpus: str,
        save: str | None = None, schedule: str = "documented") -> dict:
    if lib == "w2vx":
        from w2vx import Word2Vec
    else:
        from gensim.models import Word2Vec
    from gensim.models.word2vec import LineSentence
    params = dict(COMMON, **MODES[mode])
    params["workers"] = workers
    model = Word2Vec(**params, epochs=epochs, seed=seed)
    source = {"corpus_file": corpus} if input_kind == "corpus_file" else {"corpus_iterable": LineSentence(corpus)}
    model.build_vocab(**source)
    start = time.perf_counter()
    if schedule == "documented":
        effective, raw = model.train(**source, total_examples=model.corpus_count,
                                     total_words=model.corpus_total_words, epochs=epochs)
    else:
        # gensim's corpus_file schedule: each of its threads counts only its own words
        # against the whole epoch, so within epoch e alpha falls from a(e / E) to
        # a((e + 1 / workers) / E), then jumps to a((e + 1) / E)
        effective = raw = 0
        a0, a1 = model.alpha, model.min_alpha
        for e in range(epochs):
            trained = model.train(**source, total_examples=model.corpus_count,
                                  total_words=model.corpus_total_words, epochs=1,
                                  start_alpha=a0 - (a0 - a1) * e / epochs,
                                  end_alpha=a0 - (a0 - a1) * (e + 1 / workers) / epochs)
            effective, raw = effective + trained[0], raw + trained[1]
    seconds = time.perf_counter() - start
    out = {"effective_words": int(effective), "raw_words": int(raw), "train_seconds": seconds}
    out.update(evaluate(model.wv))
    if save:  # keys, counts and vectors, to score the run again in other ways later
        import numpy as np
        wv = model.wv
        np.savez(save, keys=np.array(wv.index_to_key), vectors=wv.vectors,
                 counts=np.array([wv.get_vecattr(w, "count") for w in wv.index_to_key]))
    return out


def summary(path: str) -> None:
    groups = collections.defaultdict(list)
    for line in open(path):
        r = json.loads(line)
        groups[(r["tag"], r["lib"], r["mode"], r["input"], r["workers"], r["epochs"], r["max_lines"])].append(r)
    for key, rs in groups.items():
        a = [r["analogy_percent"] for r in rs]
        sd = statistics.stdev(a) if len(a) > 1 else float("nan")
        print(f"{' '.join(map(str, key)):55s} n={len(rs):2d} seeds {','.join(str(r['seed']) for r in rs):14s} "
              f"ws353 {statistics.mean(r['wordsim353'] for r in rs):.3f} "
              f"simlex {statistics.mean(r['simlex999'] for r in rs):.3f} "
              f"analogy {statistics.mean(a):6.2f} (sd {sd:.2f}; {' '.join(f'{x:.2f}' for x in a)})"
              + (f" common {statistics.mean(c):6.2f} ({' '.join(f'{x:.2f}' for x in c)})"
                 if (c := [r["analogy_common_percent"] for r in rs if "analogy_common_percent" in r]) else ""))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--lib", choices=("gensim", "w2vx"))
    p.add_argument("--mode", default="cbow-neg", choices=tuple(MODES))
    p.add_argument("--input", default="corpus_file", choices=("corpus_file", "iterable"))
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--seeds", default="1,2,3", help="comma-separated seeds, one run each")
    p.add_argument("--max-lines", type=int, default=0, help="first N reviews only (0: all)")
    p.add_argument("--tag", default="", help="label of this variant in the output")
    p.add_argument("--out", default="benchmarks/results/w2v_quality_probe.jsonl")
    p.add_argument("--schedule", default="documented", choices=("documented", "gensim-file"),
                   help="gensim-file: emulate gensim's corpus_file alpha (a train() call per epoch)")
    p.add_argument("--save-dir", help="also save each run's vectors here (<tag>_<lib>_s<seed>.npz)")
    p.add_argument("--summary", metavar="JSONL", help="print means per variant of a probe file and exit")
    args = p.parse_args()
    if args.summary:
        summary(args.summary)
        return
    if args.lib is None:
        p.error("--lib is required")
    corpus = imdb_text_path()
    if args.max_lines:
        corpus = truncated_copy(corpus, args.max_lines)
    for seed in (int(s) for s in args.seeds.split(",")):
        save = (str(pathlib.Path(args.save_dir) / f"{args.tag}_{args.lib}_s{seed}.npz")
                if args.save_dir else None)
        r = run(args.lib, args.mode, args.input, args.workers, args.epochs, seed, str(corpus), save,
                args.schedule)
        r.update(schedule=args.schedule, tag=args.tag, lib=args.lib, mode=args.mode, input=args.input, workers=args.workers,
                 epochs=args.epochs, max_lines=args.max_lines, seed=seed,
                 time=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()))
        with open(args.out, "a") as fh:
            fh.write(json.dumps(r) + "\n")
        print(json.dumps(r), flush=True)


if __name__ == "__main__":
    main()
