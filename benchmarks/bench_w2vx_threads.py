"""Repeatability of w2vx throughput with 1 and 2 worker threads (a diagnosis, not a verdict).

Found at the end of session 1: skip-gram with negative sampling from
corpus_file, ``workers=2``, gave 0.285 / 0.291 / 0.978 / 0.335 M words/s in
four identical runs on the first 20 MB of the IMDB corpus (quiet machine),
while ``workers=1`` was steady at 0.76 M. Each run here is a fresh process,
so thread placement and memory layout are drawn anew every time.

    flock /tmp/gensimx-bench.lock python3 benchmarks/bench_w2vx_threads.py --runs 5
"""
from __future__ import annotations

import argparse
import pathlib
import statistics
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from datasets import imdb_text_path  # noqa: E402
from harness import run_isolated  # noqa: E402


def slice_of(path: pathlib.Path, megabytes: int) -> pathlib.Path:
    """The first ``megabytes`` MB of ``path`` (cut at a line end), cached beside it."""
    target = path.with_name(f"{path.stem}_first{megabytes}mb.txt")
    if not target.exists():
        data = path.read_bytes()[: megabytes * 1_000_000]
        target.write_bytes(data[: data.rfind(b"\n") + 1])
    return target


def one_epoch(lib: str, workers: int, sg: int, corpus: str) -> dict:
    if lib == "w2vx":
        from w2vx import Word2Vec
    else:
        from gensim.models import Word2Vec
    model = Word2Vec(vector_size=100, window=5, min_count=5, sample=1e-3, workers=workers,
                     sg=sg, hs=0, negative=5, epochs=1)
    model.build_vocab(corpus_file=corpus)
    start = time.perf_counter()
    effective, _ = model.train(corpus_file=corpus, total_examples=model.corpus_count,
                               total_words=model.corpus_total_words, epochs=1)
    return {"words_per_second": effective / (time.perf_counter() - start)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--megabytes", type=int, default=20)
    parser.add_argument("--sg", type=int, default=1)
    parser.add_argument("--libs", default="w2vx,gensim")
    args = parser.parse_args()
    corpus = str(slice_of(imdb_text_path(), args.megabytes))
    for lib in args.libs.split(","):
        for workers in (1, 2):
            speeds = [run_isolated(one_epoch, lib, workers, args.sg, corpus)["words_per_second"] / 1e6
                      for _ in range(args.runs)]
            print(f"{lib:6s} sg={args.sg} workers={workers}: median {statistics.median(speeds):.3f} M words/s; "
                  f"runs {' '.join(f'{s:.3f}' for s in speeds)}", flush=True)


if __name__ == "__main__":
    main()
