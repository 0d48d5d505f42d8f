"""w2vx and gensim side by side on gensim's bundled Lee corpus: ``python -m w2vx.demo``.

Both libraries train with the same settings, from an iterable (``LineSentence``)
and from ``corpus_file``, on the Lee background corpus that ships inside
gensim (300 news articles, about 60,000 words), tokenised once with gensim's
``simple_preprocess`` into a temporary file that both inputs read.  The table
shows the time of ``train()``, effective words/s (words trained after
subsampling, as ``train()`` reports them), the w2vx/gensim speed ratio and the
WordSim353 Spearman correlation; then the nearest neighbours of a few words.
The corpus is small, so the speed figures are indicative only (thread start-up
weighs in); ``benchmarks/bench_word2vec.py`` measures on a real corpus.
No network is needed.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Sequence
from typing import Any

from gensim.models.word2vec import LineSentence
from gensim.test.utils import datapath
from gensim.utils import simple_preprocess

LIBRARIES = ("gensim", "w2vx")
INPUTS = ("iterable", "corpus_file")
MODES = {"cbow": 0, "skip-gram": 1}
PROBE_WORDS = ("government", "fire", "police")


def word2vec_class(library: str) -> type:
    """The ``Word2Vec`` class of ``library`` (``"w2vx"`` or ``"gensim"``)."""
    if library == "w2vx":
        from w2vx import Word2Vec
    elif library == "gensim":
        from gensim.models import Word2Vec
    else:
        raise ValueError(f"library must be 'w2vx' or 'gensim', got {library!r}")
    return Word2Vec


def train_timed(library: str, params: dict[str, Any], corpus_path: str, input_kind: str,
                epochs: int) -> tuple[Any, dict[str, float]]:
    """Build the vocabulary and train a model, timing the two steps separately.

    Parameters
    ----------
    library : {"w2vx", "gensim"}
    params : dict
        ``Word2Vec`` constructor parameters (without a corpus and ``epochs``).
    corpus_path : str
        A text file, one sentence per line, tokens separated by spaces.
    input_kind : {"iterable", "corpus_file"}
        Train from ``LineSentence(corpus_path)`` or from ``corpus_file=corpus_path``.
    epochs : int

    Returns
    -------
    model : Word2Vec
        The trained model (of ``library``).
    figures : dict
        ``vocab_seconds``, ``train_seconds``, ``effective_words``, ``raw_words``
        (as returned by ``train()``) and ``words_per_second`` (effective).
    """
    if input_kind == "corpus_file":
        source: dict[str, Any] = {"corpus_file": corpus_path}
    elif input_kind == "iterable":
        source = {"corpus_iterable": LineSentence(corpus_path)}
    else:
        raise ValueError(f"input_kind must be 'iterable' or 'corpus_file', got {input_kind!r}")
    model = word2vec_class(library)(**params, epochs=epochs)
    start = time.perf_counter()
    model.build_vocab(**source)
    vocab_seconds = time.perf_counter() - start
    start = time.perf_counter()
    effective_words, raw_words = model.train(**source, total_examples=model.corpus_count,
                                             total_words=model.corpus_total_words, epochs=epochs)
    train_seconds = time.perf_counter() - start
    return model, {"vocab_seconds": vocab_seconds, "train_seconds": train_seconds,
                   "effective_words": int(effective_words), "raw_words": int(raw_words),
                   "words_per_second": effective_words / train_seconds}


def tokenised_lee_corpus(folder: str, max_docs: int | None = None) -> str:
    """Write the Lee corpus, one ``simple_preprocess``-ed article per line, into ``folder``."""
    path = os.path.join(folder, "lee_background.txt")
    with open(datapath("lee_background.cor"), encoding="utf-8") as src, \
            open(path, "w", encoding="utf-8") as dst:
        for number, line in enumerate(src):
            if max_docs is not None and number >= max_docs:
                break
            dst.write(" ".join(simple_preprocess(line)) + "\n")
    return path


def compare(epochs: int = 10, workers: int = 2, modes: Sequence[str] = tuple(MODES),
            max_docs: int | None = None, min_count: int = 2,
            probe_words: Sequence[str] = PROBE_WORDS) -> tuple[list[dict], dict]:
    """Train w2vx and gensim with identical settings on the Lee corpus and measure both.

    Parameters
    ----------
    epochs, workers, min_count : int
        Training settings shared by both libraries (vector_size 100, window 5,
        negative sampling with 5 noise words, sample 1e-3: gensim's defaults).
    modes : sequence of {"cbow", "skip-gram"}
    max_docs : int, optional
        Use only the first articles (for quick runs).
    probe_words : sequence of str
        Words whose nearest neighbours are listed (those in the vocabulary).

    Returns
    -------
    rows : list of dict
        One per mode, input and library: ``mode``, ``input``, ``library``,
        ``train_seconds``, ``effective_words`` and ``raw_words`` (as ``train()``
        returns them), ``words_per_second``, ``speed_ratio`` (w2vx/gensim for
        the same mode and input; 1.0 for gensim), ``wordsim353`` (Spearman) and
        ``wordsim353_oov_percent``.
    neighbours : dict
        ``{(mode, library): {word: [neighbour, ...]}}`` from the corpus_file models.

    Examples
    --------
    >>> rows, neighbours = compare(epochs=5)  # doctest: +SKIP
    >>> print(format_report(rows, neighbours))  # doctest: +SKIP
    """
    unknown = [m for m in modes if m not in MODES]
    if unknown or not modes:
        raise ValueError(f"modes must be a non-empty subset of {list(MODES)}, got {list(modes)}")
    rows, neighbours = [], {}
    with tempfile.TemporaryDirectory(prefix="w2vx-demo-") as folder:
        corpus_path = tokenised_lee_corpus(folder, max_docs)
        for mode in modes:
            params = {"vector_size": 100, "window": 5, "min_count": min_count, "sample": 1e-3,
                      "negative": 5, "hs": 0, "sg": MODES[mode], "workers": workers, "seed": 1}
            for input_kind in INPUTS:
                gensim_speed = None
                for library in LIBRARIES:
                    model, figures = train_timed(library, params, corpus_path, input_kind, epochs)
                    _, spearman, oov = model.wv.evaluate_word_pairs(datapath("wordsim353.tsv"))
                    speed = figures["words_per_second"]
                    gensim_speed = speed if library == "gensim" else gensim_speed
                    rows.append({"mode": mode, "input": input_kind, "library": library,
                                 "train_seconds": figures["train_seconds"],
                                 "effective_words": figures["effective_words"],
                                 "raw_words": figures["raw_words"],
                                 "words_per_second": speed, "speed_ratio": speed / gensim_speed,
                                 "wordsim353": float(spearman[0]),
                                 "wordsim353_oov_percent": float(oov)})
                    if input_kind == "corpus_file":
                        neighbours[(mode, library)] = {
                            word: [w for w, _ in model.wv.most_similar(word, topn=5)]
                            for word in probe_words if word in model.wv}
    return rows, neighbours


def format_report(rows: list[dict], neighbours: dict) -> str:
    """The side-by-side table and the neighbour lists as plain text."""
    header = (f"{'mode':10s} {'input':12s} {'library':8s} {'train s':>8s} {'words/s':>11s} "
              f"{'speed':>6s} {'WS353 rho':>9s}")
    lines = [header, "-" * len(header)]
    for r in rows:
        lines.append(f"{r['mode']:10s} {r['input']:12s} {r['library']:8s} {r['train_seconds']:8.2f} "
                     f"{r['words_per_second']:11,.0f} {r['speed_ratio']:5.2f}x {r['wordsim353']:9.3f}")
    if rows:
        lines.append(f"(WordSim353: {rows[0]['wordsim353_oov_percent']:.0f}% of its pairs are out of "
                     f"this small corpus's vocabulary; speed = w2vx/gensim words/s, same input)")
    for (mode, library), by_word in neighbours.items():
        for word, near in by_word.items():
            lines.append(f"{mode:10s} {library:7s} {word:>11s}: {', '.join(near)}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    """Run the comparison and print the report (``python -m w2vx.demo --help`` for options)."""
    parser = argparse.ArgumentParser(prog="python -m w2vx.demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=10, help="training epochs (default 10)")
    parser.add_argument("--workers", type=int, default=2, help="threads for both libraries (default 2)")
    args = parser.parse_args(argv)
    if args.epochs < 1 or args.workers < 1:
        parser.error("--epochs and --workers must be >= 1")
    print(f"w2vx vs gensim on gensim's Lee corpus: vector_size 100, window 5, negative 5, "
          f"min_count 2, {args.epochs} epochs, {args.workers} workers")
    rows, neighbours = compare(epochs=args.epochs, workers=args.workers)
    print(format_report(rows, neighbours))


if __name__ == "__main__":
    main()
