"""ldax.LdaModel next to gensim's LdaModel on the Lee corpus that ships inside gensim.

``python3 -m ldax.demo`` trains both with the same settings on
``lee_background.cor`` (300 news articles, one per line), scores both with
the same code, and prints a short side-by-side: wall time, documents/s, the
speed ratio, the held-out per-word bound on ``lee.cor`` (50 further
articles), c_v topic coherence (gensim's ``CoherenceModel``), and a few
topics.  No network, well under a minute.

The corpus is small (300 documents), so each model makes several passes
(``--passes``, default 20) to give the clocks something to measure; the
timings are still those of a small job on a possibly busy machine, and
``benchmarks/bench_lda.py`` is where speed is measured properly.
"""
from __future__ import annotations

import argparse
import sys
import time
from typing import Any

import numpy as np

TRAIN_FILE = "lee_background.cor"
HELDOUT_FILE = "lee.cor"


def load_lee(max_docs: int | None = None) -> tuple[list[list[str]], list[list[str]]]:
    """Tokenised Lee corpora ``(train, held-out)``: ``simple_preprocess`` minus English stop words."""
    from gensim.parsing.preprocessing import STOPWORDS
    from gensim.test.utils import datapath
    from gensim.utils import simple_preprocess

    def read(name: str) -> list[list[str]]:
        with open(datapath(name), encoding="utf-8", errors="replace") as fh:
            return [[t for t in simple_preprocess(line) if t not in STOPWORDS] for line in fh]

    train = read(TRAIN_FILE)
    return (train[:max_docs] if max_docs else train), read(HELDOUT_FILE)


def run_demo(num_topics: int = 10, passes: int = 20, max_docs: int | None = None,
             workers: int | None = None, seed: int = 1, topn: int = 10) -> dict[str, Any]:
    """Train gensim's and ldax's LdaModel with the same settings; score both the same way.

    Parameters
    ----------
    num_topics, passes : int
        K and the number of passes over the training documents.
    max_docs : int, optional
        Use only the first ``max_docs`` training documents (for quick checks).
    workers : int, optional
        ldax's E-step threads (default: all cores).  gensim's LdaModel is one process.
    seed : int
        ``random_state`` of both models.
    topn : int
        Words per topic for coherence and display.

    Returns
    -------
    dict
        ``settings`` and, under ``"gensim"`` and ``"ldax"``: ``seconds``,
        ``docs_per_s``, ``heldout_bound`` (per word, natural log), ``coherence``
        (c_v of the top ``topn`` words) and ``topics`` (top words per topic);
        ``speed_ratio`` is ldax's documents/s over gensim's.

    Examples
    --------
    >>> result = run_demo(num_topics=3, passes=1, max_docs=50)
    >>> sorted(result["ldax"])
    ['coherence', 'docs_per_s', 'heldout_bound', 'seconds', 'topics']
    """
    from gensim.corpora import Dictionary
    from gensim.models import CoherenceModel
    from gensim.models import LdaModel as GensimLda

    from ldax import LdaModel as LdaxModel

    train_texts, heldout_texts = load_lee(max_docs)
    dictionary = Dictionary(train_texts)
    dictionary.filter_extremes(no_below=2, no_above=0.5)
    train = [dictionary.doc2bow(t) for t in train_texts]
    heldout = [dictionary.doc2bow(t) for t in heldout_texts]
    # gensim's default eval_every=10 would spend gensim's time on logging a bound ldax skips
    settings = dict(num_topics=num_topics, passes=passes, random_state=seed, eval_every=None)

    results: dict[str, Any] = {"settings": {**settings, "documents": len(train),
                                            "terms": len(dictionary), "heldout_documents": len(heldout),
                                            "workers": workers}}
    for name, train_model in (("gensim", lambda: GensimLda(train, id2word=dictionary, **settings)),
                              ("ldax", lambda: LdaxModel(train, id2word=dictionary, workers=workers,
                                                         **settings))):
        start = time.perf_counter()
        model = train_model()
        seconds = time.perf_counter() - start
        # one evaluator for both: gensim's own code on a gensim model with the learned state
        as_gensim = model if name == "gensim" else model.to_gensim()
        topics = [[word for word, _ in as_gensim.show_topic(k, topn)] for k in range(num_topics)]
        coherence = CoherenceModel(topics=topics, texts=train_texts, dictionary=dictionary,
                                   coherence="c_v", processes=1).get_coherence()
        results[name] = {
            "seconds": seconds,
            "docs_per_s": len(train) * passes / seconds,
            # gensim's held-out estimate: the corpus-level topic terms spread over a training-size corpus
            "heldout_bound": float(as_gensim.log_perplexity(heldout, total_docs=len(train))),
            "coherence": float(coherence),
            "topics": topics,
        }
    results["speed_ratio"] = results["ldax"]["docs_per_s"] / results["gensim"]["docs_per_s"]
    return results


def format_report(results: dict[str, Any], show_topics: int = 3, words: int = 8) -> str:
    """The side-by-side table and a few topics of each model, as printed by ``main``."""
    s = results["settings"]
    g, x = results["gensim"], results["ldax"]
    rows = [("training time (s)", f"{g['seconds']:.2f}", f"{x['seconds']:.2f}"),
            ("documents/s", f"{g['docs_per_s']:,.0f}", f"{x['docs_per_s']:,.0f}"),
            ("speed vs gensim", "1.0x", f"{results['speed_ratio']:.1f}x"),
            ("held-out bound (nats/word)", f"{g['heldout_bound']:.3f}", f"{x['heldout_bound']:.3f}"),
            ("c_v coherence (top 10)", f"{g['coherence']:.3f}", f"{x['coherence']:.3f}")]
    width = max(len(r[0]) for r in rows)
    lines = [f"LdaModel on gensim's Lee corpus: {s['documents']} training documents, "
             f"{s['terms']} terms, K={s['num_topics']}, {s['passes']} passes, "
             f"same settings and seed for both",
             f"held-out: {s['heldout_documents']} documents of lee.cor, both scored by gensim's "
             f"log_perplexity (ldax through to_gensim())", "",
             f"{'':<{width}}  {'gensim':>10}  {'ldax':>10}"]
    lines += [f"{label:<{width}}  {a:>10}  {b:>10}" for label, a, b in rows]
    for name in ("gensim", "ldax"):
        lines += ["", f"{name}: first {show_topics} topics"]
        lines += [f"  {k}: {' '.join(t[:words])}" for k, t in enumerate(results[name]["topics"][:show_topics])]
    lines += ["", "A small corpus on a possibly busy machine: see benchmarks/bench_lda.py for "
                  "speed measured properly."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the demo and print its report."""
    parser = argparse.ArgumentParser(prog="python -m ldax.demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("--num-topics", type=int, default=10)
    parser.add_argument("--passes", type=int, default=20)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if args.num_topics < 1 or args.passes < 1:
        parser.error("--num-topics and --passes must be >= 1")
    print(format_report(run_demo(num_topics=args.num_topics, passes=args.passes,
                                 workers=args.workers, seed=args.seed)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
