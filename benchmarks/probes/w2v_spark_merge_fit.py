"""Which merge would reproduce one machine's training?  Per-row regression against sequential SGD.

From the state reached by the simulator's sqrt merge, at some rounds, train each partition's round
slice on a private copy (changes d_p) and, on another copy, the union of the slices in file order
(what one machine would train: d_seq).  For every row the best factor s on the summed change,
d_seq ~ s * sum_p d_p, estimated as <d_seq, S'> / <S, S'> (S' = the summed changes of the same
slices trained again with other seeds: an instrument, so that the noise of S does not bias s
towards 0); printed per layer, per number of partitions that
touched the row (n) and per bin of the row's update count (occurrences of the word in the slices
for syn0; summed occurrences of the words under a Huffman node for syn1).

    python3 benchmarks/probes/w2v_spark_merge_fit.py SEED [P] [ROUNDS] [probe rounds, comma-separated]
"""
import copy, json, sys
sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))
import numpy as np
from datasets import imdb_sg_hs_model
from w2vx.word2vec import Word2Vec, _mix_seed, _Schedule
from w2vx._train import encode_sentences

seed = int(sys.argv[1]); P = int(sys.argv[2]) if len(sys.argv) > 2 else 2
syncs = int(sys.argv[3]) if len(sys.argv) > 3 else 16
verbose = "-v" in sys.argv; sys.argv = [a for a in sys.argv if a != "-v"]
probe = [int(x) for x in sys.argv[4].split(",")] if len(sys.argv) > 4 else [0, 3, 8, 14]
lines, model = imdb_sg_hs_model(seed)
k2i = model.wv.key_to_index; V = len(k2i)
rng = np.random.default_rng(seed)
assign = rng.integers(0, P, len(lines))
members = [np.flatnonzero(assign == p) for p in range(P)]
def slices(r):
    out = []
    for p in range(P):
        m = members[p]; n = len(m)
        out.append(m[r * n // syncs:(r + 1) * n // syncs])
    return out
def enc(idx):
    ids, offs, _ = encode_sentences([lines[i] for i in idx], k2i, V)
    return ids, offs
# Huffman paths: node -> words under it, via per-word points
_pt, _off = model._tables["points"], model._tables["code_offsets"]
pts = [np.asarray(_pt[_off[i]:_off[i + 1]], np.int64) for i in range(V)]
sched = _Schedule(0.025, 0.025e-4, 1)
def W(m): return {"syn0": m.wv.vectors, "syn1": m.syn1}
def train(ids, offs, a0, a1, js):
    m = copy.copy(model); m.wv = copy.copy(model.wv)
    m.wv.vectors = model.wv.vectors.copy(); m.syn1 = model.syn1.copy()
    m._kernel(False).train_job(ids, offs, a0, a1, js)
    return {k: W(m)[k] - W(model)[k] for k in ("syn0", "syn1")}
bins = [0, 1, 3, 10, 30, 100, 300, 1000, 3000, 10 ** 9]
for r in range(syncs):
    a0, a1 = sched.alpha(0, r / syncs), sched.alpha(0, (r + 1) / syncs)
    sl = slices(r)
    encs = [enc(s) for s in sl]
    deltas = [train(*encs[p], a0, a1, _mix_seed(_mix_seed(seed, 0, r), p, 0)) for p in range(P)]
    if r in probe:
        union = np.sort(np.concatenate(sl))
        dseq = train(*enc(union), a0, a1, _mix_seed(seed, 99, r))
        # the same partitions trained again with other seeds: an instrument free of S's noise
        again = [train(*encs[p], a0, a1, _mix_seed(seed, 77, r, p)) for p in range(P)]
        occ = [np.bincount(e[0], minlength=V) for e in encs]
        cnt = {"syn0": occ}
        if pts is not None:
            c1 = []
            for o in occ:
                c = np.zeros(V, np.int64)
                for w in np.flatnonzero(o):
                    c[pts[w]] += o[w]
                c1.append(c)
            cnt["syn1"] = c1
        for k in ("syn0", "syn1"):
            if k not in cnt: continue
            S = sum(d[k] for d in deltas)
            S2 = sum(d[k] for d in again)
            n = sum(np.any(d[k] != 0, axis=1).astype(int) for d in deltas)
            cmin = np.min(cnt[k], axis=0); ctot = np.sum(cnt[k], axis=0)
            for nn in range(1, P + 1):
                rows_n = n == nn
                if not rows_n.any(): continue
                row = []
                for lo, hi in zip(bins[:-1], bins[1:]):
                    sel = rows_n & (cmin >= lo) & (cmin < hi) if nn > 1 else rows_n & (ctot >= lo) & (ctot < hi)
                    if sel.sum() < 5: continue
                    s = float((dseq[k][sel] * S2[sel]).sum() / (S[sel] * S2[sel]).sum())
                    row.append(f"[{lo},{hi}) rows {int(sel.sum())} s_iv={s:.3f}")
                if verbose: print(f"round {r} alpha {a0:.4f} {k} n={nn}: " + "; ".join(row), flush=True)
            # saturation model: s = (1 - exp(-C / c0)) / sum_p (1 - exp(-c_p / c0)), C = sum_p c_p;
            # c0 chosen so that the instrumented residual <d_seq - s S, S'> is smallest over the rows
            # touched by several partitions (binned by their count)
            multi = n > 1
            cs = np.stack(cnt[k]).astype(np.float64)[:, multi]
            num = (dseq[k][multi] * S2[multi]).sum(1); den = (S[multi] * S2[multi]).sum(1)
            best = None
            for c0 in np.geomspace(1, 1e6, 121):
                sfit = -np.expm1(-cs.sum(0) / c0) / (-np.expm1(-cs / c0)).sum(0)
                # per-bin instrumented residuals, squared, weighted by rows
                res = 0.0
                cm = cs.min(0)
                for lo, hi in zip(bins[:-1], bins[1:]):
                    b = (cm >= lo) & (cm < hi)
                    if b.sum() < 5: continue
                    res += (num[b].sum() - (sfit[b] * den[b]).sum()) ** 2 / max((den[b].sum()) ** 2, 1e-30) * b.sum()
                if best is None or res < best[0]: best = (res, c0)
            print(json.dumps({"round": r, "alpha": round(a0, 5), "layer": k, "c0": round(best[1], 1),
                              "c0_alpha": round(best[1] * a0, 3)}), flush=True)
    for k in ("syn0", "syn1"):
        ds = [d[k] for d in deltas]
        n = sum(np.any(d != 0, axis=1).astype(np.float32) for d in ds); rows = n > 0
        upd = np.zeros_like(ds[0]); upd[rows] = sum(ds)[rows] / np.sqrt(n[rows])[:, None]
        W(model)[k][...] += upd
