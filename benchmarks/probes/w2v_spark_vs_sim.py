"""Does w2vx.spark train what the offline merge simulator trains, on the same split?

(1) The split the benchmark's Spark path gives: IMDB read by ``spark.read.text`` and
    ``num_partitions=2`` -> which file lines land in which partition, in which order.
(2) A slice of IMDB put into 2 partitions explicitly; ``train_word2vec`` against the
    simulator's loop (same vocabulary order, initial vectors, seeds, schedule, slices,
    merge) run in this process: the weights must agree.

    python3 benchmarks/probes/w2v_spark_vs_sim.py [LINES] [ROUNDS] [MERGE]
"""
import copy, gzip, sys, pathlib
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2]))
import numpy as np
from datasets import imdb_text_path
from w2vx._spark import local_session, column_rdd
from w2vx.spark import train_word2vec, exposures, saturation_factor
from w2vx.word2vec import Word2Vec, _mix_seed, _Schedule
from w2vx._train import encode_sentences

n_lines = int(sys.argv[1]) if len(sys.argv) > 1 else 6000
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 4
merge = sys.argv[3] if len(sys.argv) > 3 else "sqrt"
spark = local_session(2)
sc = spark.sparkContext
import w2vx
print("worker imports", sc.parallelize([0], 1).map(lambda _: __import__("w2vx").__file__).collect(),
      "driver", w2vx.__file__, flush=True)

lines = [l for l in open(imdb_text_path()).read().split("\n") if l]
position = {l: i for i, l in enumerate(lines)}
# (1) the benchmark's path
from pyspark.sql import functions as F
frame = spark.read.text(str(imdb_text_path())).select(F.split("value", " ").alias("tokens"))
print("input partitions", frame.rdd.getNumPartitions())
split = column_rdd(frame, "tokens").repartition(2).mapPartitionsWithIndex(
    lambda i, it: [(i, [" ".join(s) for s in it])]).collect()
for index, part in split:
    pos = np.array([position.get(l, -1) for l in part])
    print(f"partition {index}: {len(pos)} lines, first positions {pos[:25].tolist()}, "
          f"monotone {bool(np.all(np.diff(pos) > 0))}, mean position {pos.mean():.0f}, "
          f"even share {np.mean(pos % 2 == 0):.3f}, missing {(pos < 0).sum()}")

# (2) same split, Spark vs simulation
sub = [l.split(" ") for l in lines[:n_lines]]
parts = [sub[0::2], sub[1::2]]
params = dict(vector_size=50, window=5, min_count=5, alpha=0.025, min_alpha=0.025e-4, epochs=1,
              sg=1, hs=1, negative=0, sample=0.0, seed=7)
rdd = sc.parallelize(parts, 2).flatMap(lambda p: p)     # partition p holds parts[p], in order
assert [len(x) for x in rdd.glom().collect()] == [len(p) for p in parts]
spark_model = train_word2vec(rdd, syncs_per_epoch=rounds, merge=merge, shuffle=False, **params)

freq = {}
for s in sub:
    for t in s:
        freq[t] = freq.get(t, 0) + 1
order = spark_model.wv.index_to_key + [w for w in freq if w not in spark_model.wv.key_to_index]
model = Word2Vec(workers=1, **params)
model.build_vocab_from_freq({w: freq[w] for w in order}, corpus_count=len(sub))
assert model.wv.index_to_key == spark_model.wv.index_to_key
k2i = model.wv.key_to_index
enc = [encode_sentences(p, k2i, len(k2i))[:2] for p in parts]
sched = _Schedule(0.025, 0.025e-4, 1)
W = lambda m: {"syn0": m.wv.vectors, "syn1": m.syn1}
for r in range(rounds):
    start = {n: a.copy() for n, a in W(model).items()}
    seed = _mix_seed(params["seed"], 0) if rounds == 1 else _mix_seed(params["seed"], 0, r)
    deltas, exposed = [], []
    for p in range(2):
        m = copy.copy(model); m.wv = copy.copy(model.wv)
        m.wv.vectors = start["syn0"].copy(); m.syn1 = start["syn1"].copy()
        ids, offs = enc[p]
        n = len(offs) - 1; a, b = r * n // rounds, (r + 1) * n // rounds
        m._kernel(False).train_job(ids[offs[a]:offs[b]], offs[a:b + 1] - offs[a],
                                   sched.alpha(0, r / rounds), sched.alpha(0, (r + 1) / rounds),
                                   _mix_seed(seed, p, 0))
        deltas.append({k: W(m)[k] - start[k] for k in start})
        exposed.append(exposures(model, np.bincount(ids[offs[a]:offs[b]], minlength=len(k2i)),
                                 0.5 * (sched.alpha(0, r / rounds) + sched.alpha(0, (r + 1) / rounds))))
    for k in start:
        cnt = sum(np.any(d[k] != 0, axis=1).astype(np.float32) for d in deltas)
        rows = cnt > 0
        tot = sum(d[k] for d in deltas)
        if merge == "sqrt":
            W(model)[k][rows] += tot[rows] / np.sqrt(cnt[rows, None])
        elif merge == "sum":
            W(model)[k][rows] += tot[rows]
        elif merge == "saturation":
            x = [e[k] for e in exposed]
            factor = saturation_factor(x[0] + x[1], -np.expm1(-x[0]) + -np.expm1(-x[1]))
            W(model)[k][factor > 0] += tot[factor > 0] * factor[factor > 0, None].astype(np.float32)
for k in ("syn0", "syn1"):
    a, b = W(spark_model)[k], W(model)[k]
    print(f"{k}: max |spark - sim| = {np.abs(a - b).max():.3g}, max |w| = {np.abs(b).max():.3g}")
spark.stop()
