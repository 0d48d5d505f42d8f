"""Command line: train an ldax topic model from text or from gensim's corpus files.

::

    python -m ldax lda docs.txt --num-topics 20 --passes 5 --output model.npz
    python -m ldax lda folder/ --no-below 2 --output model.npz --save-dictionary dict.txt
    python -m ldax lda --mm corpus.mm --dictionary dict.txt --output model.npz
    python -m ldax lda --mm corpus.mm --dictionary dict.pkl --allow-pickle   # trusted pickle
    python -m ldax gsm docs.txt --num-topics 20 --epochs 50 --output gsm.npz

Input is a text file (one document per line), a folder of text files (each
file one document, read recursively in sorted order; ``.gz`` files are
decompressed), or a Matrix Market corpus with its dictionary (gensim's
``MmCorpus`` and ``Dictionary`` formats).  A dictionary saved with
``Dictionary.save`` is a pickle, which can run code when loaded: it is read only
with ``--allow-pickle``.
Text is tokenised with gensim's ``simple_preprocess`` and a ``Dictionary``
pruned with ``filter_extremes``.  Progress goes to stderr (logging), the
topics to stdout; ``--output`` saves the model (ldax's safe format; load it
with ``ldax.LdaModel.load`` / ``ldax.GSM.load``).

User errors (a missing file, a corpus that is empty after filtering, a
truncated ``.gz`` input, a pickle without ``--allow-pickle``, a bad value) end
with a one-line message and exit status 2.
"""
from __future__ import annotations

import argparse
import io
import logging
import math
import os
import pathlib
import pickle
import sys
import time
from collections.abc import Iterator
from typing import Any

from _gensimx.inputs import DECOMPRESSION_ERRORS, CorruptInputError, open_input
from _gensimx.pickles import PickleNotAllowed, looks_like_pickle, require_pickle_opt_in

logger = logging.getLogger("ldax")

EXIT_USAGE = 2


class UserError(Exception):
    """A problem with the user's input or options: reported without a traceback."""


# ------------------------------------------------------------------ argument types
def _int_at_least(minimum: int):
    """An argparse type: a whole number >= ``minimum``."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}, got {value}")
        return value
    return parse


_positive_int = _int_at_least(1)
_non_negative_int = _int_at_least(0)


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text!r}")
    return value


def _fraction(text: str) -> float:
    value = _positive_float(text)
    if value > 1:
        raise argparse.ArgumentTypeError(f"must be in (0, 1], got {text!r}")
    return value


def _prior(*names: str):
    """A Dirichlet prior: one of ``names`` or a positive number."""
    def parse(text: str) -> str | float:
        if text in names:
            return text
        try:
            return _positive_float(text)
        except argparse.ArgumentTypeError:
            raise argparse.ArgumentTypeError(
                f"expected one of {', '.join(names)} or a number > 0, got {text!r}") from None
    return parse


def _sizes(text: str) -> tuple[int, ...]:
    parts = [p for p in text.split(",") if p.strip()]
    return tuple(_positive_int(p) for p in parts)


# ------------------------------------------------------------------ input
def _text_files(folder: pathlib.Path) -> list[pathlib.Path]:
    files = sorted(p for p in folder.rglob("*")
                   if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts))
    if not files:
        raise UserError(f"folder {folder} holds no files")
    return files


def _open_text(path: pathlib.Path, encoding: str) -> io.TextIOWrapper:
    """A text file (``.gz`` decompressed), undecodable bytes replaced."""
    return io.TextIOWrapper(open_input(path), encoding=encoding, errors="replace")


def iter_documents(path: pathlib.Path, encoding: str) -> Iterator[str]:
    """Documents of a text file (one per line) or of a folder (one per file)."""
    if path.is_dir():
        for file in _text_files(path):
            with _open_text(file, encoding) as fh:
                yield fh.read()
    else:
        with _open_text(path, encoding) as fh:
            yield from fh


def corpus_from_text(path: pathlib.Path, args: argparse.Namespace) -> tuple[list, Any]:
    """Tokenise, build and prune a Dictionary, return ``(bag-of-words list, dictionary)``."""
    from gensim.corpora import Dictionary
    from gensim.parsing.preprocessing import STOPWORDS
    from gensim.utils import simple_preprocess

    if not path.exists():
        raise UserError(f"input {path} does not exist")
    stopwords = STOPWORDS if args.stopwords else frozenset()

    def tokens() -> Iterator[list[str]]:
        for text in iter_documents(path, args.encoding):
            yield [t for t in simple_preprocess(text, min_len=args.min_len, max_len=args.max_len)
                   if t not in stopwords]

    dictionary = Dictionary(tokens())
    n_docs, n_types = dictionary.num_docs, len(dictionary)
    if n_docs == 0:
        raise UserError(f"input {path} holds no documents")
    dictionary.filter_extremes(no_below=args.no_below, no_above=args.no_above,
                               keep_n=args.keep_n or None)
    logger.info("%d documents, %d word types, %d kept by filter_extremes(no_below=%d, "
                "no_above=%g, keep_n=%s)", n_docs, n_types, len(dictionary), args.no_below,
                args.no_above, args.keep_n or "all")
    if len(dictionary) == 0:
        raise UserError(f"no words left after filtering ({n_types} word types in {n_docs} "
                        f"documents, none in at least --no-below {args.no_below} documents and "
                        f"at most --no-above {args.no_above:g} of them); lower --no-below or "
                        f"raise --no-above")
    # a second read instead of keeping every token list in memory
    corpus = [dictionary.doc2bow(doc) for doc in tokens()]
    return corpus, dictionary


def load_dictionary(path: pathlib.Path, allow_pickle: bool = False) -> Any:
    """A gensim Dictionary in its text format (``save_as_text``) or its own ``save`` format.

    The latter is a pickle, which can run any code when loaded: it is read only
    with ``allow_pickle=True`` (``--allow-pickle``), else refused with a UserError.
    """
    from gensim.corpora import Dictionary
    if not path.exists():
        raise UserError(f"dictionary {path} does not exist")
    with open(path, "rb") as fh:
        head = fh.read(2)
    if looks_like_pickle(head):         # Dictionary.save
        try:
            require_pickle_opt_in(path, allow_pickle, "a gensim Dictionary.save file",
                                  "pass --allow-pickle")
        except PickleNotAllowed as exc:
            raise UserError(str(exc)) from None
        try:
            dictionary = Dictionary.load(str(path))
        except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, ValueError) as exc:
            raise UserError(f"dictionary {path} could not be read ({_short(exc)})") from None
        if not isinstance(dictionary, Dictionary):
            raise UserError(f"{path} holds a {type(dictionary).__name__}, not a gensim Dictionary")
        return dictionary
    try:
        return Dictionary.load_from_text(str(path))
    except (ValueError, IndexError, UnicodeDecodeError) as exc:
        raise UserError(f"dictionary {path} is neither gensim's text format "
                        f"(Dictionary.save_as_text) nor Dictionary.save's ({_short(exc)})") from None


def corpus_from_mm(args: argparse.Namespace) -> tuple[Any, Any]:
    """``(MmCorpus, dictionary or None)``; the corpus is streamed from disk by the model."""
    from gensim.corpora import MmCorpus
    path = pathlib.Path(args.mm)
    if not path.exists():
        raise UserError(f"corpus {path} does not exist")
    try:
        corpus = MmCorpus(str(path))
    except (ValueError, IndexError, OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{path} is not a Matrix Market corpus ({_short(exc)})") from None
    if corpus.num_docs == 0 or corpus.num_nnz == 0:
        raise UserError(f"corpus {path} holds no words ({corpus.num_docs} documents)")
    dictionary = (load_dictionary(pathlib.Path(args.dictionary), args.allow_pickle)
                  if args.dictionary else None)
    if dictionary is not None and corpus.num_terms > len(dictionary):
        raise UserError(f"corpus {path} has {corpus.num_terms} terms but dictionary "
                        f"{args.dictionary} only {len(dictionary)}; were they saved together?")
    logger.info("%s: %d documents, %d terms, %d non-zeros", path, corpus.num_docs,
                corpus.num_terms, corpus.num_nnz)
    return corpus, dictionary


# ------------------------------------------------------------------ models
def _lda_options(args: argparse.Namespace) -> dict:
    options = {"passes": args.passes, "chunksize": args.chunksize, "workers": args.workers,
               "alpha": args.alpha, "eta": args.eta, "decay": args.decay, "offset": args.offset,
               "iterations": args.iterations, "update_every": args.update_every,
               "random_state": args.seed}
    if args.reference_schedule:
        options["rho_schedule"] = "reference"
    if args.shuffle:
        options["shuffle"] = True
    return options


def _gsm_options(args: argparse.Namespace) -> dict:
    return {"epochs": args.epochs, "batch_size": args.batch_size,
            "learning_rate": args.learning_rate, "hidden_sizes": args.hidden_sizes,
            "random_state": args.seed}


def model_class(command: str) -> type:
    import ldax
    name = {"lda": "LdaModel", "gsm": "GSM"}[command]
    cls = getattr(ldax, name, None)
    if cls is None:
        raise UserError(f"ldax.{name} is not available in this installation of ldax")
    return cls


def _short(exc: BaseException, limit: int = 200) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[:limit] + " ..."


def _check_output_paths(args: argparse.Namespace) -> None:
    """Fail before training, not after it, when an output cannot be written."""
    for flag, value in (("--output", args.output), ("--save-dictionary", args.save_dictionary)):
        if value is None:
            continue
        path = pathlib.Path(value)
        if path.is_dir():
            raise UserError(f"{flag} {path} is a directory; give a file name")
        folder = path.parent
        if not folder.is_dir():
            raise UserError(f"{flag}: directory {folder} does not exist")
        if not os.access(folder, os.W_OK):
            raise UserError(f"{flag}: directory {folder} is not writable")


def train(args: argparse.Namespace) -> int:
    from ldax.io import save_dictionary_text
    _check_output_paths(args)
    if args.mm:
        corpus, dictionary = corpus_from_mm(args)
    else:
        corpus, dictionary = corpus_from_text(pathlib.Path(args.input), args)
    if args.save_dictionary:
        if dictionary is None:
            raise UserError("--save-dictionary needs a dictionary (text input, or --dictionary)")
        save_dictionary_text(dictionary, args.save_dictionary)
        logger.info("dictionary saved to %s", args.save_dictionary)

    cls = model_class(args.command)
    options = _lda_options(args) if args.command == "lda" else _gsm_options(args)
    options["num_topics"] = args.num_topics
    options = {k: v for k, v in options.items() if v is not None}   # unset: the model's default
    n_docs = len(corpus)
    logger.info("training %s with %s", cls.__name__, options)
    start = time.perf_counter()
    try:
        model = cls(corpus, id2word=dictionary, **options)
    except (ValueError, TypeError) as exc:      # the model's validation of the user's values
        raise UserError(_short(exc, 500)) from None
    seconds = time.perf_counter() - start
    rounds = getattr(model, "passes", None) or getattr(model, "epochs", None) or 1
    logger.info("trained in %.2f s (%.0f documents/s over %d passes)", seconds,
                n_docs * rounds / max(seconds, 1e-9), rounds)

    for topic_id, text in model.show_topics(num_topics=args.show, num_words=args.topn,
                                            formatted=True):
        print(f"topic {topic_id}: {text}")
    if args.output:
        model.save(args.output)
        logger.info("model saved to %s (load it with ldax.%s.load)", args.output, cls.__name__)
    return 0


# ------------------------------------------------------------------ parser
ALIASES = {"passes": "--epochs", "epochs": "--passes", "chunksize": "--batch-size",
           "batch_size": "--chunksize"}


def _add_rounds_and_batch(group: Any, rounds: str, rounds_help: str, batch: str,
                          batch_help: str) -> None:
    """Passes/epochs and chunk/batch size, under the model's own names and the other model's."""
    for dest, text in ((rounds, rounds_help), (batch, batch_help)):
        group.add_argument("--" + dest.replace("_", "-"), ALIASES[dest], dest=dest,
                           type=_positive_int, default=None, help=text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ldax", description="Train an ldax topic model (LDA or GSM) from text or an MmCorpus.",
        epilog="Run 'ldax lda -h' or 'ldax gsm -h' for the options of each model.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="{lda,gsm}")

    common = argparse.ArgumentParser(add_help=False)
    source = common.add_argument_group("input")
    source.add_argument("input", nargs="?",
                        help="text file (one document per line) or folder of text files "
                             "(one document per file)")
    source.add_argument("--mm", metavar="CORPUS.mm", help="Matrix Market corpus (gensim's MmCorpus)")
    source.add_argument("--dictionary", metavar="DICT",
                        help="with --mm: gensim Dictionary in its text format (save_as_text); a "
                             "Dictionary.save file is a pickle and is read only with --allow-pickle")
    source.add_argument("--allow-pickle", action="store_true",
                        help="with --dictionary: allow a Dictionary.save file. Unpickling runs any "
                             "code the file's author put in it: use only for files you trust "
                             "(without this flag such files are refused)")
    source.add_argument("--encoding", default="utf-8", help="of the text input (default utf-8; "
                        "undecodable bytes are replaced)")
    prep = common.add_argument_group("tokenising and filtering (text input)")
    prep.add_argument("--no-below", type=_non_negative_int, default=5,
                      help="drop words in fewer documents than this (default 5)")
    prep.add_argument("--no-above", type=_fraction, default=0.5,
                      help="drop words in more than this fraction of documents (default 0.5)")
    prep.add_argument("--keep-n", type=_non_negative_int, default=100000,
                      help="keep at most this many most frequent words; 0 keeps all (default 100000)")
    prep.add_argument("--min-len", type=_positive_int, default=2, help="shortest token (default 2)")
    prep.add_argument("--max-len", type=_positive_int, default=15, help="longest token (default 15)")
    prep.add_argument("--stopwords", action="store_true",
                      help="remove gensim's English stop words (gensim.parsing.preprocessing.STOPWORDS)")
    out = common.add_argument_group("output")
    out.add_argument("--output", "-o", metavar="MODEL", help="save the trained model here")
    out.add_argument("--save-dictionary", metavar="DICT",
                     help="save the dictionary here (gensim's text format)")
    out.add_argument("--topn", type=_positive_int, default=10, help="words per printed topic (default 10)")
    out.add_argument("--show", type=int, default=-1,
                     help="number of topics to print (default -1: all)")
    out.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")
    out.add_argument("--verbose", "-v", action="store_true", help="gensim's own log messages too")
    model = common.add_argument_group("model")
    model.add_argument("--num-topics", "-k", type=_positive_int, default=None,
                       help="number of topics (default: the model's, 100 for lda, 50 for gsm)")
    model.add_argument("--seed", type=int, default=None, help="random seed")

    lda = sub.add_parser("lda", parents=[common], help="variational LDA (ldax.LdaModel)",
                         description="Train ldax.LdaModel (gensim's LdaModel API, nogil E-step).")
    g = lda.add_argument_group("LDA")
    _add_rounds_and_batch(g, "passes", "passes over the corpus (default 1)",
                          "chunksize", "documents per update (default 2000)")
    g.add_argument("--workers", type=_positive_int, default=None,
                   help="E-step threads (default: all cores)")
    g.add_argument("--alpha", type=_prior("symmetric", "asymmetric", "auto"), default=None,
                   help="document-topic prior: symmetric, asymmetric, auto or a number")
    g.add_argument("--eta", type=_prior("symmetric", "auto"), default=None,
                   help="topic-word prior: symmetric, auto or a number")
    g.add_argument("--decay", type=_fraction, default=None, help="kappa of the step size (default 0.5)")
    g.add_argument("--offset", type=_positive_float, default=None, help="tau0 of the step size (default 1)")
    g.add_argument("--iterations", type=_positive_int, default=None,
                   help="maximum E-step iterations per document (default 50)")
    g.add_argument("--update-every", type=_non_negative_int, default=None,
                   help="chunks per M-step; 0 = batch VB (default 1)")
    g.add_argument("--reference-schedule", action="store_true",
                   help="step size (offset + 1 + t)^-decay as Hoffman et al.'s and scikit-learn's "
                        "code, instead of gensim's (offset + t)^-decay")
    g.add_argument("--shuffle", action="store_true",
                   help="shuffle the documents (advised when the input is ordered, e.g. by subject)")

    gsm = sub.add_parser("gsm", parents=[common], help="NVDM-GSM neural topic model (ldax.GSM)",
                         description="Train ldax.GSM, the Gaussian softmax neural topic model.")
    g = gsm.add_argument_group("GSM")
    _add_rounds_and_batch(g, "epochs", "epochs over the corpus",
                          "batch_size", "documents per Adam step")
    g.add_argument("--learning-rate", type=_positive_float, default=None, help="Adam's step size")
    g.add_argument("--hidden-sizes", type=_sizes, default=None,
                   help="encoder hidden layer widths, comma separated (e.g. 256,256)")
    return parser


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = build_parser()
    args = parser.parse_args(argv)
    if bool(args.mm) == bool(args.input):
        parser.error("give either a text file/folder or --mm CORPUS.mm (one of them)")
    if args.dictionary and not args.mm:
        parser.error("--dictionary goes with --mm (text input builds its own dictionary)")
    if args.allow_pickle and not args.dictionary:
        parser.error("--allow-pickle goes with --dictionary")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status (0, or 2 for a user error)."""
    try:
        args = parse_args(argv)
    except SystemExit as exc:                   # argparse: usage errors (2) and --help (0)
        return int(exc.code or 0)
    handler = logging.StreamHandler(sys.stderr)     # the stderr of this call, also in tests
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s: %(message)s"))
    # ldax's own progress at INFO; gensim narrates every Dictionary event, shown with --verbose
    # _gensimx says when a --workers request is capped at the usable CPUs
    loggers = {"ldax": logging.WARNING if args.quiet else logging.INFO,
               "_gensimx": logging.WARNING if args.quiet else logging.INFO,
               "gensim": logging.INFO if args.verbose else logging.WARNING}
    saved = {}
    for name, level in loggers.items():
        log = logging.getLogger(name)
        saved[name] = (log.level, log.propagate)
        log.setLevel(level)
        log.propagate = False
        log.addHandler(handler)
    try:
        return train(args)
    except (UserError, CorruptInputError) as exc:
        print(f"ldax {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except DECOMPRESSION_ERRORS as exc:         # a damaged .gz read by gensim (MmCorpus)
        print(f"ldax {args.command}: error: {args.mm or args.input} is truncated or corrupt "
              f"({_short(exc) or type(exc).__name__})", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:                      # unreadable input, unwritable output
        name = f" {exc.filename}" if getattr(exc, "filename", None) else ""
        print(f"ldax {args.command}: error:{name} {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"ldax {args.command}: interrupted", file=sys.stderr)
        return 130
    finally:
        for name, (level, propagate) in saved.items():
            log = logging.getLogger(name)
            log.removeHandler(handler)
            log.setLevel(level)
            log.propagate = propagate


if __name__ == "__main__":
    sys.exit(main())
