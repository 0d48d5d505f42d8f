"""Offline simulation of w2vx.spark's partitioned training and merge rules, without Spark.

Skip-gram + hierarchical softmax on IMDB (MLlib's mode and the benchmark's settings), 1
epoch; P partitions of interleaved lines trained each round on private copies by the same
kernel, schedule and round slicing as w2vx.spark (one thread per partition), then merged.
Used to choose w2vx.spark's default merge (results: benchmarks/results/spark_word2vec_merge.md).

    python3 benchmarks/probes/w2v_spark_merge_sim.py SCHEME ROUNDS SEED [P] [JSON extras]

SCHEME: avg (MLlib's weighted average), sum, mean (plain mean; with {"alpha_scale": 2}),
avg_scaled (sum / n ** (1 - gamma); {"gamma": 0.5} is merge='sqrt'), bmuf (block momentum),
sum_syn0_avg_syn1, sat (w2vx.spark's merge='saturation': the sum times (1 - e^-X) / sum_p (1 - e^-x_p), x_p the row's
exposure in partition p, w2vx.spark.exposures; {"K_scale": k} multiplies every exposure by k),
cos (sum / (1 + (n - 1) * mean pairwise cosine of the changes)).
Split (extras): interleaved lines (default), {"random_split": true}, {"block": k} (interleaved
blocks of k lines; 25000 = contiguous halves), {"split_file": npz} (the line numbers each Spark
partition held, in order).  {"spark_seeds": true}: w2vx.spark's per-round and per-partition
seeds.  Given the same split, vocabulary order and seeds, w2vx.spark trains the same weights
(benchmarks/probes/w2v_spark_vs_sim.py).  Prints one JSON line with WordSim353 / SimLex-999.
"""
import copy, json, sys, time, threading
sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))
import numpy as np
from datasets import imdb_sg_hs_model
from w2vx.word2vec import Word2Vec, _mix_seed, _Schedule
from w2vx._train import encode_sentences
from w2vx.spark import exposures, saturation_factor
from gensim.test.utils import datapath

scheme, syncs, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
P = int(sys.argv[4]) if len(sys.argv) > 4 else 2
extra = json.loads(sys.argv[5]) if len(sys.argv) > 5 else {}
lines, model = imdb_sg_hs_model(seed)
k2i = model.wv.key_to_index
rng = np.random.default_rng(seed)
assign = rng.integers(0, P, len(lines)) if extra.get("random_split") else np.arange(len(lines)) % P
# each partition's line numbers, in training order: interleaved lines (default), a seeded random
# assignment, interleaved blocks of {"block": k} lines, or a split saved from Spark ({"split_file":
# npz of arrays p0, p1, ...: what w2vx.spark's partitions held, in order)
if extra.get("split_file"):
    saved = np.load(extra["split_file"])
    members = [saved[f"p{p}"] for p in range(P)]
elif extra.get("block"):
    members = [np.flatnonzero((np.arange(len(lines)) // extra["block"]) % P == p) for p in range(P)]
else:
    members = [np.flatnonzero(assign == p) for p in range(P)]
parts = []
for p in range(P):
    ids, offsets, _ = encode_sentences([lines[i] for i in members[p]], k2i, len(k2i))
    parts.append((ids, offsets))
sched = _Schedule(0.025, 0.025e-4, 1)
names = ["syn0", "syn1"]
def weights(m): return {"syn0": m.wv.vectors, "syn1": m.syn1}
RP = extra.get("round_power", 1.0)  # round r covers fractions ((r / R) ** RP, ((r + 1) / R) ** RP)
def frac(r):
    if extra.get("equal_step"):  # rounds of equal summed learning rate: f - f^2 / 2 = (r / R) / 2
        return 1.0 - (1.0 - r / syncs) ** 0.5
    return (r / syncs) ** RP
def round_slice(ids, offsets, part, parts):
    n = len(offsets) - 1
    a, b = ((part * n // parts, (part + 1) * n // parts) if RP == 1.0 and not extra.get("equal_step")
            else (int(frac(part) * n), int(frac(part + 1) * n)))
    return ids[offsets[a]:offsets[b]], offsets[a:b + 1] - offsets[a]
momentum = {n: np.zeros_like(a) for n, a in weights(model).items()}
t0 = time.perf_counter()
for r in range(syncs):
    start = {n: a.copy() for n, a in weights(model).items()}
    a0, a1 = sched.alpha(0, frac(r)), sched.alpha(0, frac(r + 1))
    a0, a1 = a0 * extra.get("alpha_scale", 1.0), a1 * extra.get("alpha_scale", 1.0)
    results = [None] * P
    results_counts = [None] * P
    def work(p):
        m = copy.copy(model); m.wv = copy.copy(model.wv)
        m.wv.vectors = start["syn0"].copy(); m.syn1 = start["syn1"].copy()
        ids, offs = round_slice(*parts[p], r, syncs)
        job_seed = (_mix_seed(_mix_seed(seed, 0, r), p, 0) if extra.get("spark_seeds")  # w2vx.spark's
                    else _mix_seed(seed, p, r))
        eff, _ = m._kernel(False).train_job(ids, offs, a0, a1, job_seed)
        results[p] = ({n: weights(m)[n] - start[n] for n in names}, eff)
    if scheme == "sat":  # per-partition exposures of every row in this round (w2vx.spark's)
        for p in range(P):
            ids, offs = round_slice(*parts[p], r, syncs)
            occ = np.bincount(ids, minlength=len(k2i))
            results_counts[p] = exposures(model, occ, 0.5 * (a0 + a1))
    th = [threading.Thread(target=work, args=(p,)) for p in range(P)]
    [t.start() for t in th]; [t.join() for t in th]
    for n in names:
        deltas = [res[0][n] for res in results]
        touched = [np.any(d != 0, axis=1) for d in deltas]
        if scheme == "avg":
            w = [t * float(res[1]) for t, res in zip(touched, results)]
            num = sum(d * np.float32(res[1]) for d, res in zip(deltas, results)); den = sum(w)
            rows = den > 0
            update = np.zeros_like(num); update[rows] = num[rows] / den[rows, None].astype(np.float32)
        elif scheme == "sum":
            update = sum(deltas) * np.float32(extra.get("scale", 1.0))
        elif scheme == "sum_syn0_avg_syn1":
            if n == "syn0": update = sum(deltas)
            else:
                cnt = sum(t.astype(np.float32) for t in touched); rows = cnt > 0
                update = np.zeros_like(deltas[0]); update[rows] = sum(deltas)[rows] / cnt[rows, None]
        elif scheme == "bmuf":  # block momentum on the averaged change
            cnt = sum(t.astype(np.float32) for t in touched); rows = cnt > 0
            avg = np.zeros_like(deltas[0]); avg[rows] = sum(deltas)[rows] / cnt[rows, None]
            eta = extra.get("eta", 1 - 1 / P)
            momentum[n] = eta * momentum[n] + avg
            update = momentum[n]
        elif scheme == "avg_scaled":  # average over touching partitions x number touching ^ gamma
            cnt = sum(t.astype(np.float32) for t in touched); rows = cnt > 0
            g = extra.get("gamma", 1.0)
            update = np.zeros_like(deltas[0]); update[rows] = sum(deltas)[rows] / cnt[rows, None] ** (1 - g)
        elif scheme == "cos":  # sum / (1 + (n - 1) * mean pairwise cosine of the changes, >= 0)
            unit = sum(d / np.maximum(np.linalg.norm(d, axis=1, keepdims=True), 1e-30) for d in deltas)
            cnt = sum(t.astype(np.float32) for t in touched); rows = cnt > 1
            c = np.zeros_like(cnt)
            c[rows] = np.clip(((unit[rows] ** 2).sum(1) - cnt[rows]) / (cnt[rows] * (cnt[rows] - 1)), 0, 1)
            update = sum(deltas) / (1 + (cnt - 1).clip(0) * c)[:, None]
        elif scheme == "sat":  # w2vx.spark's merge='saturation'; {"K_scale": k} multiplies the exposures
            xs = np.stack([rc[n] for rc in results_counts]) * extra.get("K_scale", 1.0)
            fac = saturation_factor(xs.sum(0), (-np.expm1(-xs)).sum(0))
            update = sum(deltas) * fac[:, None].astype(np.float32)
        elif scheme == "mean":  # plain average over all partitions (zero change where untouched)
            update = sum(deltas) / np.float32(P)
        else:
            raise SystemExit(scheme)
        weights(model)[n][...] += update
elapsed = time.perf_counter() - t0
model.wv.norms = None
out = {"scheme": scheme, "syncs": syncs, "seed": seed, "P": P, **extra, "train_s": round(elapsed, 1)}
for name, f in (("ws353", "wordsim353.tsv"), ("simlex", "simlex999.txt")):
    out[name] = round(float(model.wv.evaluate_word_pairs(datapath(f))[1].statistic), 4)
print(json.dumps(out), flush=True)
