"""The word2vec.c command line: ``python -m w2vx`` (or the ``w2vx`` console script).

The flags, their meaning and their defaults are word2vec.c's, for example::

    python -m w2vx -train text.txt -output vectors.bin -cbow 0 -size 200 -window 10 \\
        -negative 5 -hs 0 -sample 1e-4 -threads 2 -binary 1 -iter 5

Differences from word2vec.c, all deliberate:

* ``-threads`` defaults to ``min(12, usable CPUs)`` instead of a flat 12:
  threads beyond the cores add contention, not speed.  An explicit
  ``-threads N`` above the CPUs this process may use (its affinity and cgroup
  quota) runs with that many threads, and says so on stderr.
* The learning rate falls linearly from ``-alpha`` to ``-alpha`` x 1e-4 (the
  floor word2vec.c clamps it to) over all words of all epochs.
* ``-debug 0`` silences the progress output; any other value shows it.
* Sentences end at line ends (as in gensim's ``corpus_file`` and
  ``LineSentence``), so there is no ``</s>`` word: it is neither written to the
  vector or vocabulary files nor read from a ``-read-vocab`` file.
* User errors (unknown or malformed flags, out-of-range values, missing or
  unreadable files, a corpus with nothing above ``-min-count``) print one line
  ``w2vx: error: ...`` and exit with status 2, without a traceback.
"""
from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections.abc import Sequence
from typing import TextIO

from _gensimx.cpus import thread_count, usable_cpus
from _gensimx.inputs import DECOMPRESSION_ERRORS
from w2vx import TrainingProgress, Word2Vec
from w2vx.io import SENTENCE_MARKER, read_vocab, save_vectors, save_vocab

USAGE_EXIT = 2
DEFAULT_MAX_THREADS = 12  # word2vec.c's default, capped at the cores we may use


class UserError(Exception):
    """A problem with the command line or the user's files: reported without a traceback."""


def build_parser() -> argparse.ArgumentParser:
    """word2vec.c's flags, one dash each, with word2vec.c's defaults."""
    parser = argparse.ArgumentParser(
        prog="w2vx", allow_abbrev=False,
        description="Train word vectors with w2vx, with word2vec.c's command line and file formats.")
    add = parser.add_argument
    add("-train", metavar="FILE", required=True,
        help="training text, one sentence per line, words separated by spaces (.gz accepted)")
    add("-output", metavar="FILE", help="write the word vectors here (without it: vocabulary only)")
    add("-size", type=int, default=100, help="dimension of the word vectors (default 100)")
    add("-window", type=int, default=5, help="maximal skip length between words (default 5)")
    add("-sample", type=float, default=1e-3,
        help="threshold for down-sampling frequent words; 0 disables it (default 1e-3)")
    add("-hs", type=int, default=0, choices=(0, 1), help="use hierarchical softmax (default 0)")
    add("-negative", type=int, default=5, help="number of negative samples; 0 disables (default 5)")
    add("-threads", type=int, default=None,
        help=f"training threads (default min({DEFAULT_MAX_THREADS}, available cores) = "
             f"{min(DEFAULT_MAX_THREADS, usable_cpus())}; more than the usable CPUs run as many "
             f"threads as there are CPUs)")
    add("-iter", type=int, default=5, help="training epochs (default 5)")
    add("-min-count", dest="min_count", type=int, default=5,
        help="discard words that appear fewer times (default 5)")
    add("-alpha", type=float, default=None,
        help="starting learning rate (default 0.025 for skip-gram, 0.05 for CBOW)")
    add("-cbow", type=int, default=1, choices=(0, 1),
        help="1: continuous bag of words, 0: skip-gram (default 1)")
    add("-binary", type=int, default=0, choices=(0, 1),
        help="1: write vectors in binary, 0: as text (default 0)")
    add("-save-vocab", dest="save_vocab", metavar="FILE", help="write the vocabulary here")
    add("-read-vocab", dest="read_vocab", metavar="FILE",
        help="take the vocabulary and counts from this file instead of scanning -train")
    add("-debug", type=int, default=2, help="0: no progress output, 1 or more: progress (default 2)")
    return parser


def check_args(args: argparse.Namespace, stderr: TextIO | None = None) -> None:
    """Refuse values word2vec.c would silently misuse; fill in the mode-dependent defaults.

    ``-threads`` is bounded by the CPUs this process may use; a cap is reported
    on ``stderr`` (when given and ``-debug`` is not 0).
    """
    for flag, value, minimum in (("-size", args.size, 1), ("-window", args.window, 1),
                                 ("-iter", args.iter, 1), ("-min-count", args.min_count, 0),
                                 ("-negative", args.negative, 0)):
        if value < minimum:
            raise UserError(f"{flag} must be >= {minimum}, got {value}")
    if args.threads is not None and args.threads < 1:
        raise UserError(f"-threads must be >= 1, got {args.threads}")
    requested = args.threads
    args.threads = thread_count("-threads", requested, default=min(DEFAULT_MAX_THREADS, usable_cpus()))
    if requested is not None and args.threads < requested and stderr is not None and args.debug > 0:
        stderr.write(f"w2vx: -threads {requested} capped to the {args.threads} CPUs this process may use\n")
    if not (math.isfinite(args.sample) and args.sample >= 0):
        raise UserError(f"-sample must be a finite number >= 0, got {args.sample}")
    if args.alpha is None:
        args.alpha = 0.05 if args.cbow else 0.025  # word2vec.c's mode-dependent default
    elif not (math.isfinite(args.alpha) and args.alpha > 0):
        raise UserError(f"-alpha must be a finite number > 0, got {args.alpha}")
    if args.hs == 0 and args.negative == 0:
        raise UserError("nothing to train: -hs 0 with -negative 0; use -hs 1 or -negative N")
    for flag, path in (("-train", args.train), ("-read-vocab", args.read_vocab)):
        if path is not None and not os.path.isfile(path):
            raise UserError(f"{flag} file {path!r} does not exist (or is not a file)")
    for flag, path in (("-output", args.output), ("-save-vocab", args.save_vocab)):
        folder = os.path.dirname(os.path.abspath(path)) if path else None
        if folder is not None and not os.path.isdir(folder):
            raise UserError(f"{flag}: folder {folder!r} does not exist")


class ProgressLine:
    """word2vec.c's live line ``Alpha: ... Progress: ...% Words/thread/sec: ...k`` on a stream.

    Passed to ``Word2Vec.train`` as its ``progress_callback``: it receives a
    :class:`w2vx.TrainingProgress` every ``report_delay`` seconds and at each
    epoch end, and rewrites the line in place with ``\\r``.
    """

    def __init__(self, stream: TextIO, threads: int) -> None:
        self.stream, self.threads = stream, threads
        self.shown = False

    def __call__(self, progress: TrainingProgress) -> None:
        done = min(1.0, (progress.epoch + progress.epoch_fraction) / progress.epochs)
        self.stream.write(f"\rAlpha: {progress.alpha:f}  Progress: {100 * done:.2f}%  "
                          f"Words/thread/sec: {progress.words_per_sec / self.threads / 1000:.2f}k  ")
        self.stream.flush()
        self.shown = True

    def finish(self) -> None:
        """End the live line so that the next output starts on a fresh line."""
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()
            self.shown = False


def run(args: argparse.Namespace, stderr: TextIO) -> None:
    """Build the vocabulary, train and write the files the flags ask for."""
    model = Word2Vec(vector_size=args.size, window=args.window, sample=args.sample,
                     hs=args.hs, negative=args.negative, workers=args.threads,
                     epochs=args.iter, min_count=args.min_count, alpha=args.alpha,
                     min_alpha=args.alpha * 1e-4,  # word2vec.c's floor for the decaying rate
                     sg=1 - args.cbow, cbow_mean=1)
    if args.read_vocab:
        counts = read_vocab(args.read_vocab)
        counts.pop(SENTENCE_MARKER, None)
        if not counts:
            raise UserError(f"-read-vocab file {args.read_vocab!r} has no word besides {SENTENCE_MARKER}")
        model.build_vocab_from_freq(counts)
    else:
        model.build_vocab(corpus_file=args.train)
    # raw words per epoch, for the progress and the learning-rate schedule (word2vec.c's
    # train_words); with -read-vocab it is the sum of the file's counts
    total_words = model.corpus_total_words
    if args.debug > 0:
        stderr.write(f"Starting training using file {args.train}\nVocab size: {len(model.wv)}\n"
                     f"Words in train file: {total_words}\n")
    if args.save_vocab:
        save_vocab(model.wv, args.save_vocab)
    if not args.output:
        return

    progress = ProgressLine(stderr, args.threads)
    start = time.perf_counter()
    try:
        model.train(corpus_file=args.train, total_words=total_words, epochs=args.iter,
                    report_delay=0.5, progress_callback=progress if args.debug > 0 else None)
    finally:
        progress.finish()
    if args.debug > 0:
        stderr.write(f"Training took {time.perf_counter() - start:.1f} s\n")
    save_vectors(model.wv, args.output, binary=bool(args.binary))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0, or 2 for user errors).

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments without the program name (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success; 2 for user errors, after one line ``w2vx: error: ...`` on
        stderr (for bad flags, argparse's usage line comes first).

    Examples
    --------
    >>> main(["-train", "text.txt", "-output", "vec.txt", "-size", "50"])  # doctest: +SKIP
    0
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse has printed the usage and the error (or the help)
        return int(exit_.code or 0)
    try:
        check_args(args, sys.stderr)
        run(args, sys.stderr)
    # VocabFileError, CorruptInputError and the model's own validation of the data are
    # ValueErrors; OSError covers unreadable or unwritable files
    except (UserError, ValueError, OSError) as err:
        print(f"w2vx: error: {err}", file=sys.stderr)
        return USAGE_EXIT
    except DECOMPRESSION_ERRORS as err:  # a damaged .gz met outside w2vx's own reader
        print(f"w2vx: error: {args.train} is truncated or corrupt ({err or type(err).__name__})",
              file=sys.stderr)
        return USAGE_EXIT
    except KeyboardInterrupt:
        print("\nw2vx: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
