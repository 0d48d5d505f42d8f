"""LDA benchmark (issue 5): ldax against gensim LdaModel, LdaMulticore and scikit-learn.

Every contender trains on the same documents with the same settings
(alpha = eta = 1/K, chunksize / batch_size 2000, 2 workers), each case in a
fresh spawned process (``harness.run_isolated``), timed around the training
call only, with nothing else running in the process; peak memory comes from one
more run per case that samples it (the sampler would slow the timed runs).  Every model is then scored by the same evaluator,
``topic_metrics.lda_heldout_bound`` (its lambda loaded into a float64 gensim
LdaModel, ``log_perplexity`` on the test documents), plus NPMI of the top-10
words (test-set document co-occurrence) and topic diversity (top-25).

Schedules (the step size rho_t of update t = 0, 1, ...):

- gensim counts from t = 0 and adds the pass number:
  rho = (offset + pass + t)^-decay, so with offset = 1 its first update has
  rho = 1 and erases the random initialisation.
- the reference schedule (Hoffman et al.'s code): rho = (offset + 1 + t)^-decay.
- scikit-learn (``_lda.py``: ``n_batch_iter_`` starts at 1 and grows by one per
  mini-batch across all passes, ``weight = (learning_offset + n_batch_iter_)
  ** -learning_decay``) is exactly the reference schedule with
  ``learning_offset = offset`` and ``learning_decay = decay``; that is the
  mapping used here.  (scikit-learn requires learning_offset >= 1, so
  gensim's own schedule cannot be expressed in it.)
- gensim's LdaMulticore makes one M-step per ``workers * chunksize`` documents
  (4000 here), by its design; it is run exactly as a user would run it.

Settings "gensim" = decay 0.5 / offset 1 (gensim's defaults) and "slow" =
decay 0.51 / offset 1024.  ``eval_every=None`` everywhere (no perplexity
logging during training; it would cost gensim time that ldax does not spend).

Contenders: ``gensim``, ``multicore``, ``sklearn``, ``ldax`` (gensim's
schedule), ``ldax-ref`` (reference schedule), ``ldax-shuffled`` (gensim's
schedule, documents shuffled: the training files are ordered by newsgroup),
``gensim-shuffled`` (gensim on the same documents in a shuffled order, to show
that ordering, not the implementation, is what changes its bound), and
``ldax-passive`` (``ldax`` with ``OMP_WAIT_POLICY=PASSIVE``: on a busy shared
machine libgomp's default spin-waiting made 2 threads several times slower
than 1 in a small test, so this variant shows what that costs).

Results are merged into ``results/lda.json`` by case (a run that measures only
some contenders keeps the others' earlier rows, each row stamped with its
time and commit) and the tables are rewritten in ``results/lda.md``.

Usage::

    flock /tmp/gensimx-bench.lock python3 benchmarks/bench_lda.py            # everything
    flock /tmp/gensimx-bench.lock python3 benchmarks/bench_lda.py --quick    # K=50, 1 pass
    python3 benchmarks/bench_lda.py --datasets bow --topics 50 --passes 1 \\
        --contenders ldax,ldax-ref --schedules gensim
"""
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import pathlib
import subprocess
import sys
import time

import numpy as np
import scipy.sparse as sp

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from benchmarks import harness  # noqa: E402
from benchmarks.datasets import load_20news_bow, load_20news_raw_bow  # noqa: E402
from benchmarks.topic_metrics import (document_presence, lda_heldout_bound,  # noqa: E402
                                      npmi_coherence, top_word_ids, topic_diversity)

SCHEDULES = {"gensim": (0.5, 1.0), "slow": (0.51, 1024.0)}
CONTENDERS = ["gensim", "multicore", "sklearn", "ldax", "ldax-ref", "ldax-shuffled",
              "gensim-shuffled", "ldax-passive"]
DATASETS = {"bow": "20News BoW (V=1995)", "raw": "raw 20News, simple_preprocess, no_below=5 no_above=0.5"}
CHUNKSIZE = 2000
ITERATIONS = 50   # gensim's LdaModel default, used by every contender
WORKERS = 2
SEED = 0
# floors of issue 5
SPEED_FLOORS = {"gensim": 10.0, "multicore": 3.0, "sklearn": 5.0}
BOUND_TOLERANCE = 0.01
CACHE = pathlib.Path(os.environ.get("TMPDIR", "/tmp")) / "gensimx-data"


# ---------------------------------------------------------------- data
def _cache_path(dataset: str) -> pathlib.Path:
    return CACHE / f"lda-bench-{dataset}.npz"


def prepare_dataset(dataset: str) -> pathlib.Path:
    """Write the dataset once as CSR + vocabulary, so each case process loads it in a second.

    Loading the same compact file in every process also keeps the data's share
    of peak RSS equal for all contenders (the raw corpus' tokenised texts are
    never resident while a model trains).
    """
    path = _cache_path(dataset)
    if path.exists():
        return path
    if dataset == "bow":
        train, test, dictionary = load_20news_bow()
    else:
        train, test, dictionary = load_20news_raw_bow(no_below=5, no_above=0.5)
    num_terms = len(dictionary)
    words = np.array([dictionary[i] for i in range(num_terms)])
    mats = {}
    for name, docs in (("train", train), ("test", test)):
        rows = np.repeat(np.arange(len(docs)), [len(d) for d in docs])
        cols = np.array([w for d in docs for w, _ in d], dtype=np.int64)
        vals = np.array([c for d in docs for _, c in d], dtype=np.float64)
        m = sp.csr_matrix((vals, (rows, cols)), shape=(len(docs), num_terms))
        mats.update({f"{name}_data": m.data, f"{name}_indices": m.indices,
                     f"{name}_indptr": m.indptr, f"{name}_shape": np.array(m.shape)})
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part.npz")
    np.savez(tmp, words=words, **mats)
    os.replace(tmp, path)
    return path


def _load_split(dataset: str, split: str) -> tuple[list, sp.csr_matrix, object]:
    """``(bag-of-words list, CSR, dictionary)`` of one split from the prepared file."""
    from gensim.corpora import Dictionary
    with np.load(_cache_path(dataset), allow_pickle=False) as f:
        words = [str(w) for w in f["words"]]
        m = sp.csr_matrix((f[f"{split}_data"], f[f"{split}_indices"], f[f"{split}_indptr"]),
                          shape=tuple(f[f"{split}_shape"]))
    dictionary = Dictionary()
    dictionary.token2id = {w: i for i, w in enumerate(words)}
    bow = [list(zip(m.indices[a:b].tolist(), m.data[a:b].tolist()))
           for a, b in zip(m.indptr[:-1], m.indptr[1:])]
    return bow, m, dictionary


def load_train(dataset: str) -> tuple[list, sp.csr_matrix, object]:
    return _load_split(dataset, "train")


def load_test(dataset: str) -> tuple[list, object]:
    bow, _, dictionary = _load_split(dataset, "test")
    return bow, dictionary


# ---------------------------------------------------------------- one case (child process)
def make_trainer(contender: str, train: list, train_csr: sp.csr_matrix, dictionary,
                 num_topics: int, passes: int, decay: float, offset: float, seed: int = SEED):
    """A function that trains ``contender`` as its users would and returns its lambda (K x V)."""
    prior = 1.0 / num_topics
    common = dict(num_topics=num_topics, id2word=dictionary, chunksize=CHUNKSIZE, passes=passes,
                  alpha=prior, eta=prior, decay=decay, offset=offset, eval_every=None,
                  random_state=seed)
    if contender in ("gensim", "gensim-shuffled"):
        from gensim.models import LdaModel
        return lambda: LdaModel(train, **common).state.get_lambda()
    if contender == "multicore":
        from gensim.models import LdaMulticore
        return lambda: LdaMulticore(train, workers=WORKERS, **common).state.get_lambda()
    if contender == "sklearn":
        from sklearn.decomposition import LatentDirichletAllocation
        model = LatentDirichletAllocation(
            n_components=num_topics, doc_topic_prior=prior, topic_word_prior=prior,
            learning_method="online", learning_decay=decay, learning_offset=offset,
            max_iter=passes, batch_size=CHUNKSIZE, n_jobs=WORKERS, random_state=seed,
            # the same per-document iteration limit as gensim's and ldax's default
            # (iterations=50; scikit-learn's own default is 100; both stop at a mean
            # change of 1e-3), so that the bounds compare equal settings
            max_doc_update_iter=ITERATIONS)
        return lambda: model.fit(train_csr).components_
    if contender in LDAX_VARIANTS:
        from ldax import LdaModel as LdaxModel
        options = LDAX_VARIANTS[contender]
        return lambda: LdaxModel(train, workers=WORKERS, **common, **options).state.get_lambda()
    raise ValueError(f"unknown contender {contender!r}")


def train_case(dataset: str, contender: str, num_topics: int, passes: int,
               decay: float, offset: float, seed: int = SEED, sample_memory: bool = False) -> dict:
    """Train one contender; return timing, its lambda for scoring in the parent and, with
    ``sample_memory``, the peak memory of training.

    A timed run does not sample memory: the sampler thread reads the process tree's
    ``/proc/<pid>/smaps`` through psutil every 50 ms (3 ms a read here, parsed in Python
    with the GIL held), which slowed a 0.5 s ldax fit by 18% and a 5.5 s gensim fit by
    7%, so memory comes from a separate run of its own (see :func:`run_case`).
    """
    if contender == "ldax-passive":
        # OpenMP threads that sleep instead of spinning at barriers: on a shared machine a
        # spinning thread whose partner lost its core wastes the whole time slice.  Read
        # by libgomp when ldax's kernel loads, which has not happened yet in this process.
        os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
    train, train_csr, dictionary = load_train(dataset)
    if contender == "gensim-shuffled":          # same documents, one fixed random order
        order = np.random.default_rng(seed).permutation(len(train))
        train = [train[i] for i in order]
    # scikit-learn's input matrix is built before the clock starts, as a user would
    fit = make_trainer(contender, train, train_csr if contender == "sklearn" else None,
                       dictionary, num_topics, passes, decay, offset, seed)
    with harness.TreeMemorySampler() if sample_memory else contextlib.nullcontext() as memory:
        start = time.perf_counter()
        lam = fit()
        seconds = time.perf_counter() - start
    if contender == "sklearn":
        # joblib keeps its worker processes for 300 s of idleness, and this process
        # would wait for them at exit: stop them now (after the clock)
        from joblib.externals.loky import get_reusable_executor
        get_reusable_executor().shutdown(wait=True)
    if sample_memory:
        return {"train_peak_mb": memory.peak_mb, "sampled_train_s": seconds}
    return {"train_s": seconds, "docs_per_s": len(train) * passes / seconds,
            "lam": np.asarray(lam, dtype=np.float64)}


# ldax's options for each variant (parameter names from ldax.LdaModel's docstring)
LDAX_VARIANTS = {
    "ldax": {},
    "ldax-ref": {"rho_schedule": "reference"},
    "ldax-shuffled": {"shuffle": True},
    "ldax-passive": {},
}


# ---------------------------------------------------------------- driver
def _git_commit() -> str:
    """HEAD's short hash, with ``+dirty`` when ldax's sources differ from it (the run used those)."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], capture_output=True, text=True,
                              cwd=harness.RESULTS.parent, check=True).stdout.strip()
    try:
        dirty = git("status", "--porcelain", "--untracked-files=no", "ldax/")
        return git("rev-parse", "--short", "HEAD") + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def case_key(row: dict) -> str:
    return f"{row['dataset']}|K={row['num_topics']}|passes={row['passes']}|{row['schedule']}|{row['contender']}"


def score(lam: np.ndarray, prior: float, test: list, dictionary, presence) -> dict:
    """The same figures for every model: held-out bound, NPMI@10, diversity@25."""
    return {"heldout_bound": lda_heldout_bound(lam, prior, prior, test, dictionary),
            "npmi": float(np.mean(npmi_coherence(top_word_ids(lam, 10), presence))),
            "diversity": topic_diversity(lam, 25)}


def run_case(dataset: str, contender: str, num_topics: int, passes: int, schedule: str,
             repeats: int, repeat_below_s: float) -> dict:
    """One case: timed runs (the first one scored; cheap cases repeated for a median of the
    speed figures), then one more run that samples memory and is not timed."""
    decay, offset = SCHEDULES[schedule]
    args = (train_case, dataset, contender, num_topics, passes, decay, offset)
    runs = [harness.run_isolated(*args)]
    if runs[0]["train_s"] < repeat_below_s:
        runs += [harness.run_isolated(*args) for _ in range(repeats - 1)]
    merged = harness.merge_runs(runs)     # medians of the numbers; lam of the first run
    memory = harness.run_isolated(*args, sample_memory=True)
    merged["train_peak_mb"] = memory["train_peak_mb"]
    merged["sampled_train_s"] = memory["sampled_train_s"]
    merged["peak_rss_mb"] = memory["peak_rss_mb"]   # ru_maxrss of the sampled run's process
    return merged


def build_cases(args) -> list[dict]:
    cases = []
    for dataset in args.datasets:
        topics = args.topics if dataset == "bow" else args.raw_topics
        passes_list = args.passes if dataset == "bow" else args.raw_passes
        for schedule in args.schedules:
            for k in topics:
                for passes in passes_list:
                    for contender in args.contenders:
                        cases.append({"dataset": dataset, "num_topics": k, "passes": passes,
                                      "schedule": schedule, "contender": contender})
    # cheap, most informative settings first: partial results of a long run are usable
    schedules = list(SCHEDULES)
    cases.sort(key=lambda c: (schedules.index(c["schedule"]), c["passes"], c["dataset"],
                              c["num_topics"]))
    return cases


def _group_key(row: dict) -> tuple:
    return (row["dataset"], row["num_topics"], row["passes"], row["schedule"])


def verdicts(rows: list[dict]) -> list[dict]:
    """Ratios of ldax against each contender and the floors of issue 5, per setting."""
    groups: dict[tuple, dict[str, dict]] = {}
    for row in rows:
        groups.setdefault(_group_key(row), {})[row["contender"]] = row
    out = []
    for key, by in sorted(groups.items()):
        ldax = by.get("ldax")
        if ldax is None:
            continue
        v = {"dataset": key[0], "num_topics": key[1], "passes": key[2], "schedule": key[3]}
        checks = []
        for name, floor in SPEED_FLOORS.items():
            if name in by:
                ratio = ldax["docs_per_s"] / by[name]["docs_per_s"]
                v[f"speed_vs_{name}"] = ratio
                checks.append((f"speed vs {name}", ratio >= floor))
        if "gensim" in by:
            diff = ldax["heldout_bound"] - by["gensim"]["heldout_bound"]
            v["bound_minus_gensim"] = diff
            checks.append(("bound vs gensim", diff >= -BOUND_TOLERANCE))
            v["memory_vs_gensim"] = ldax["train_peak_mb"] / by["gensim"]["train_peak_mb"]
            checks.append(("memory vs gensim", ldax["train_peak_mb"] <= by["gensim"]["train_peak_mb"]))
        if "ldax-ref" in by and "sklearn" in by:
            diff = by["ldax-ref"]["heldout_bound"] - by["sklearn"]["heldout_bound"]
            v["ref_bound_minus_sklearn"] = diff
            checks.append(("reference bound vs sklearn", diff >= -BOUND_TOLERANCE))
        for name in ("ldax", "gensim"):     # what shuffling the ordered corpus changes
            if name in by and f"{name}-shuffled" in by:
                v[f"shuffle_gain_{name}"] = (by[f"{name}-shuffled"]["heldout_bound"]
                                             - by[name]["heldout_bound"])
        failed = [name for name, ok in checks if not ok]
        v["verdict"] = ("n/a" if not checks else "FAIL: " + ", ".join(failed) if failed
                        else f"PASS ({len(checks)} floors)")
        out.append(v)
    return out


CASE_COLUMNS = [("dataset", "data", ""), ("num_topics", "K", ""), ("passes", "passes", ""),
                ("schedule", "schedule", ""), ("contender", "contender", ""),
                ("train_s", "train s", ".2f"), ("docs_per_s", "docs/s", ",.0f"),
                ("repeats", "runs", ""), ("train_peak_mb", "peak MB (training)", ".0f"),
                ("peak_rss_mb", "max RSS MB (process)", ".0f"),
                ("heldout_bound", "held-out bound", ".4f"), ("npmi", "NPMI@10", ".3f"),
                ("diversity", "diversity@25", ".3f"), ("measured_at", "measured (UTC)", ""),
                ("commit", "commit", "")]
VERDICT_COLUMNS = [("dataset", "data", ""), ("num_topics", "K", ""), ("passes", "passes", ""),
                   ("schedule", "schedule", ""), ("speed_vs_gensim", "x gensim (floor 10)", ".1f"),
                   ("speed_vs_multicore", "x multicore (3)", ".1f"),
                   ("speed_vs_sklearn", "x sklearn (5)", ".1f"),
                   ("bound_minus_gensim", "bound - gensim (>= -0.01)", "+.4f"),
                   ("ref_bound_minus_sklearn", "ref bound - sklearn (>= -0.01)", "+.4f"),
                   ("memory_vs_gensim", "peak MB / gensim (<= 1)", ".2f"), ("verdict", "verdict", ""),
                   ("shuffle_gain_ldax", "shuffled - ordered bound, ldax", "+.4f"),
                   ("shuffle_gain_gensim", "same, gensim", "+.4f")]


def render(rows: list[dict], checks: list[dict]) -> str:
    lines = ["# LDA benchmark (issue 5)", "",
             "alpha = eta = 1/K, chunksize 2000, 2 workers; schedule `gensim` = decay 0.5 / offset 1, "
             "`slow` = decay 0.51 / offset 1024. Held-out bound: per-word, natural log, every model "
             "scored by `topic_metrics.lda_heldout_bound`. `runs` > 1: time and docs/s are "
             "medians of that many fresh processes; 1: a single run. Timed runs do not sample "
             "memory (the sampler's reads of /proc slowed the fits it watched); memory comes from "
             "one more fresh process per case: `peak MB (training)` is the summed "
             "proportional set size of its process tree (workers included), sampled every "
             "50 ms during training; the training documents (the same Python list for every "
             "contender; a CSR matrix for scikit-learn) are part of it. `max RSS (process)`: "
             "ru_maxrss of that process over its life. 2-core machine; the runs were made one "
             "at a time with nothing else running.", "",
             "## Verdict (ldax = gensim's schedule, workers 2)", "",
             harness.markdown_table(checks, VERDICT_COLUMNS), "", "## All cases", "",
             harness.markdown_table(rows, CASE_COLUMNS)]
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    def ints(text: str) -> list[int]:
        return [int(t) for t in text.split(",") if t]

    def names(allowed):
        def parse(text: str) -> list[str]:
            items = [t for t in text.split(",") if t]
            bad = [t for t in items if t not in allowed]
            if bad:
                raise argparse.ArgumentTypeError(f"unknown {bad}; choose from {list(allowed)}")
            return items
        return parse

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--datasets", type=names(DATASETS), default=list(DATASETS),
                   help="comma separated, from " + ", ".join(DATASETS))
    p.add_argument("--topics", type=ints, default=[50, 200], help="K for the BoW dataset")
    p.add_argument("--passes", type=ints, default=[1, 5], help="passes for the BoW dataset")
    p.add_argument("--raw-topics", type=ints, default=[100], help="K for the raw dataset")
    p.add_argument("--raw-passes", type=ints, default=[1], help="passes for the raw dataset")
    p.add_argument("--schedules", type=names(SCHEDULES), default=list(SCHEDULES),
                   help="gensim (decay 0.5, offset 1) and/or slow (decay 0.51, offset 1024)")
    p.add_argument("--contenders", type=names(CONTENDERS), default=list(CONTENDERS),
                   help="comma separated, from " + ", ".join(CONTENDERS))
    p.add_argument("--repeats", type=int, default=3,
                   help="runs per case whose first run trains in under --repeat-below seconds")
    p.add_argument("--repeat-below", type=float, default=6.0)
    p.add_argument("--quick", action="store_true",
                   help="BoW only, K=50, 1 pass, gensim's schedule, single runs")
    p.add_argument("--fresh", action="store_true",
                   help="discard earlier rows of results/lda.json instead of merging")
    args = p.parse_args(argv)
    if args.quick:
        args.datasets, args.topics, args.passes, args.schedules = ["bow"], [50], [1], ["gensim"]
        args.repeats = 1
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    results_json = harness.RESULTS / "lda.json"
    previous = {}
    if results_json.exists() and not args.fresh:
        previous = {case_key(r): r for r in json.loads(results_json.read_text()).get("cases", [])}
    evaluation = {}
    for dataset in args.datasets:
        prepare_dataset(dataset)
        test, dictionary = load_test(dataset)
        evaluation[dataset] = (test, dictionary, document_presence(test, len(dictionary)))
    cases = build_cases(args)
    for i, case in enumerate(cases, 1):
        label = case_key(case)
        print(f"[{i}/{len(cases)}] {time.strftime('%H:%M:%S')} {label} ...", file=sys.stderr,
              flush=True)
        commit = _git_commit()              # the ldax sources this case runs
        result = run_case(case["dataset"], case["contender"], case["num_topics"], case["passes"],
                          case["schedule"], args.repeats, args.repeat_below)
        lam = result.pop("lam")
        test, dictionary, presence = evaluation[case["dataset"]]
        row = {**case, **result, **score(lam, 1.0 / case["num_topics"], test, dictionary, presence),
               "measured_at": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M"),
               "commit": commit}
        previous[label] = row
        print(f"    {row['train_s']:.2f} s, {row['docs_per_s']:,.0f} docs/s, "
              f"peak {row['train_peak_mb']:.0f} MB, bound {row['heldout_bound']:.4f}, "
              f"NPMI {row['npmi']:.3f}", file=sys.stderr, flush=True)
        rows = sorted(previous.values(), key=lambda r: (_group_key(r), CONTENDERS.index(r["contender"])))
        checks = verdicts(rows)
        harness.write_results("lda", {"settings": {"chunksize": CHUNKSIZE, "workers": WORKERS,
                                                   "seed": SEED, "schedules": SCHEDULES},
                                      "cases": rows, "verdicts": checks}, render(rows, checks))
    print((harness.RESULTS / "lda.md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
