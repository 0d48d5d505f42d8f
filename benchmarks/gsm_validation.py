"""Tune GSM defaults without the test split: a fixed 15% of the 20News *training*
documents is held out as a validation set; GSM trains on the other 85% and is scored
on the validation documents (per-document perplexity, NPMI@10 from validation-set
document co-occurrence, diversity@25).

    python3 benchmarks/gsm_validation.py --topics 200 --seeds 0 1 --tag base --set '{}'
    python3 benchmarks/gsm_validation.py --topics 200 --seeds 0 --tag b1000 --set '{"batch_size": 1000}'

Each run appends one JSON line to results/tmp/gsm_validation.jsonl.
"""
from __future__ import annotations

import argparse
import json
import pathlib
import sys
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from datasets import load_20news_bow  # noqa: E402
from topic_metrics import document_presence, npmi_coherence, top_word_ids, topic_diversity  # noqa: E402

SPLIT_SEED = 20170806
VALID_FRACTION = 0.15
OUT = pathlib.Path(__file__).resolve().parent / "results" / "tmp" / "gsm_validation.jsonl"


def validation_split() -> tuple[list, list, object]:
    train, _, dictionary = load_20news_bow()
    order = np.random.default_rng(SPLIT_SEED).permutation(len(train))
    n_valid = int(round(VALID_FRACTION * len(train)))
    valid = [train[i] for i in sorted(order[:n_valid])]
    fit = [train[i] for i in sorted(order[n_valid:])]
    return fit, valid, dictionary


def run(num_topics: int, seed: int, settings: dict) -> dict:
    from ldax.gsm import GSM
    fit, valid, dictionary = validation_split()
    started = time.perf_counter()
    model = GSM(num_topics=num_topics, id2word=dictionary, random_state=seed, **settings)
    model.update(fit)
    train_s = time.perf_counter() - started
    topics = model.get_topics()
    presence = document_presence(valid, topics.shape[1])
    per_topic = npmi_coherence(top_word_ids(topics, 10), presence)
    # a larger reference: all 11,258 training documents (fit + validation; still no test docs)
    everything = document_presence(fit + valid, topics.shape[1])
    npmi_train_ref = float(np.mean(npmi_coherence(top_word_ids(topics, 10), everything)))
    losses = np.array([h["train_reconstruction"] + h["train_kl"] for h in model.history])
    return {"num_topics": num_topics, "seed": seed, "settings": settings,
            "ppl_valid": model.perplexity(valid), "npmi_valid": float(per_topic.mean()),
            "npmi_q10": float(np.quantile(per_topic, 0.1)), "npmi_train_ref": npmi_train_ref,
            "diversity": topic_diversity(topics, 25), "train_s": train_s,
            "s_per_epoch": float(np.median([h["seconds"] for h in model.history])),
            "all_finite": bool(np.all(np.isfinite(losses)) and np.all(np.isfinite(model.params.flat))),
            "final_kl": model.history[-1]["train_kl"],
            "per_topic_npmi": [round(float(v), 4) for v in per_topic],
            "top10": top_word_ids(topics, 10).tolist(),
            "topic_usage": [round(float(v), 5) for v in model.inference(valid)[0].mean(axis=0)]}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--topics", type=int, default=200)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    p.add_argument("--tag", required=True)
    p.add_argument("--set", default="{}", help="JSON of GSM keyword overrides")
    args = p.parse_args()
    settings = json.loads(args.set)
    for seed in args.seeds:
        row = run(args.topics, seed, settings)
        row["tag"] = args.tag
        with open(OUT, "a") as f:
            f.write(json.dumps(row) + "\n")
        print(f"{args.tag} K={args.topics} seed {seed}: ppl {row['ppl_valid']:.1f} NPMI {row['npmi_valid']:.4f} "
              f"q10 {row['npmi_q10']:.3f} NPMI(train ref) {row['npmi_train_ref']:.4f} div {row['diversity']:.3f} "
              f"{row['s_per_epoch']:.3f} s/epoch {row['train_s']:.0f}s", flush=True)


if __name__ == "__main__":
    main()
