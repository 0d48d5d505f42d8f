"""CPU seconds per GSM epoch (default settings), a speed figure that survives a busy machine.

Wall-clock s/epoch on a shared machine measures the other jobs; the process's CPU time of a
single-threaded run (BLAS and OpenMP at one thread) does not, apart from cache effects.

    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 python3 benchmarks/probes/gsm_cpu_time.py 50 15
"""
from __future__ import annotations

import pathlib
import statistics
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from datasets import load_20news_bow  # noqa: E402


def main() -> None:
    from ldax.gsm import GSM
    num_topics, epochs = int(sys.argv[1]), int(sys.argv[2])
    train, _, dictionary = load_20news_bow()
    model = GSM(num_topics=num_topics, id2word=dictionary, random_state=0, epochs=epochs)
    cpu, wall = time.process_time(), time.perf_counter()
    model.update(train)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(f"K={num_topics} topic_dropout={getattr(model, 'topic_dropout', 0.0)}: "
          f"CPU {cpu / epochs:.3f} s/epoch, wall {wall / epochs:.3f} s/epoch "
          f"(median epoch {statistics.median(h['seconds'] for h in model.history):.3f})")


if __name__ == "__main__":
    main()
