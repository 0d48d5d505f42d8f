"""w2vx on Spark: a real local SparkSession (local[2], 127.0.0.1, UI off).

The ``spark`` fixture (conftest.py) skips with the reason when pyspark or Java is
absent; CI sets GENSIMX_REQUIRE_SPARK=1, so there they fail instead.
"""
import numpy as np
import pytest

from w2vx import Word2Vec
from w2vx.spark import train_word2vec

GROUPS = [[f"a{i}" for i in range(8)], [f"b{i}" for i in range(8)]]


def planted_sentences(n: int = 600, seed: int = 0) -> list[list[str]]:
    """Sentences of 12 words from one group each: words of a group share all their contexts."""
    rng = np.random.RandomState(seed)
    return [[str(w) for w in rng.choice(GROUPS[rng.randint(2)], 12)] for _ in range(n)]


def group_margin(model: Word2Vec) -> float:
    """Mean similarity within a group minus mean similarity across groups."""
    vectors = {w: model.wv[w] / np.linalg.norm(model.wv[w]) for g in GROUPS for w in g}
    within = [vectors[a] @ vectors[b] for g in GROUPS for a in g for b in g if a < b]
    across = [vectors[a] @ vectors[b] for a in GROUPS[0] for b in GROUPS[1]]
    return float(np.mean(within) - np.mean(across))


@pytest.mark.parametrize("sg,hs,negative,parts", [(1, 1, 0, 1), (1, 0, 5, 2), (0, 0, 5, 2),
                                                  (0, 1, 0, 2)])
def test_every_mode_learns_the_planted_groups(spark, sg, hs, negative, parts):
    sentences = planted_sentences()
    model = train_word2vec(spark.sparkContext.parallelize(sentences, parts), sg=sg, hs=hs,
                           negative=negative, vector_size=16, window=3, min_count=1, epochs=3,
                           sample=0, seed=3)
    assert len(model.wv) == 16
    assert model.wv.get_vecattr("a0", "count") == sum(s.count("a0") for s in sentences)
    untrained = Word2Vec(vector_size=16, min_count=1, seed=3)
    untrained.build_vocab(sentences)
    assert abs(group_margin(untrained)) < 0.3
    assert group_margin(model) > 0.5
    # a word's nearest neighbours are words of its own group
    assert all(w.startswith("a") for w, _ in model.wv.most_similar("a0", topn=5))


def test_one_partition_matches_local_training_quality(spark):
    sentences = planted_sentences(seed=1)
    params = dict(sg=1, hs=0, negative=5, vector_size=16, window=3, min_count=1, epochs=2, seed=5)
    ours = train_word2vec(spark.sparkContext.parallelize(sentences, 1), **params)
    local = Word2Vec(sentences, workers=1, **params)
    # same vocabulary, counts and initial vectors (the driver builds them like the local model)
    assert ours.wv.index_to_key == local.wv.index_to_key
    np.testing.assert_array_equal(ours.wv.expandos["count"], local.wv.expandos["count"])
    assert abs(group_margin(ours) - group_margin(local)) < 0.15


def test_seeded_and_learns_with_any_partitioning(spark):
    sentences = planted_sentences(seed=2)
    sc = spark.sparkContext
    params = dict(sg=1, hs=1, negative=0, vector_size=16, window=3, min_count=1, epochs=2, seed=9)
    first = train_word2vec(sc.parallelize(sentences, 2), **params)
    again = train_word2vec(sc.parallelize(sentences, 2), **params)
    # seeded: equal up to the order in which treeAggregate adds the partitions' float32 updates
    np.testing.assert_allclose(first.wv.vectors, again.wv.vectors, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(first.syn1, again.syn1, rtol=1e-5, atol=1e-6)
    other_seed = train_word2vec(sc.parallelize(sentences, 2), **{**params, "seed": 10})
    assert not np.allclose(first.wv.vectors, other_seed.wv.vectors, rtol=1e-3, atol=1e-4)
    frame = spark.createDataFrame([(s,) for s in sentences], ["words"])
    one = train_word2vec(frame, "words", num_partitions=1, **params)
    mllib_rule = train_word2vec(sc.parallelize(sentences, 2), merge="average", syncs_per_epoch=1,
                                **params)
    # averaging P partitions' changes once per pass (MLlib's scheme) moves each row about
    # 1/P as far per iteration: all learn the groups, one partition further than that
    assert min(group_margin(first), group_margin(mllib_rule)) > 0.5
    assert group_margin(one) > group_margin(mllib_rule)


def test_output_is_an_ordinary_w2vx_model(spark, tmp_path):
    sentences = planted_sentences(n=200, seed=4)
    model = train_word2vec(spark.sparkContext.parallelize(sentences, 2), vector_size=8,
                           min_count=1, epochs=1, seed=1)
    model.save(str(tmp_path / "w2v.npz"))
    loaded = Word2Vec.load(str(tmp_path / "w2v.npz"))
    np.testing.assert_array_equal(loaded.wv.vectors, model.wv.vectors)
    assert model.to_gensim().wv.most_similar("a1", topn=3)
    model.train(sentences, total_examples=len(sentences), epochs=1)  # training continues locally


def test_bad_input_raises_clear_errors(spark):
    sc = spark.sparkContext
    with pytest.raises(TypeError, match="list of string tokens"):
        train_word2vec(sc.parallelize([["a", "b"], "a plain string"], 2), min_count=1)
    with pytest.raises(TypeError, match="list of string tokens"):
        train_word2vec(sc.parallelize([["a", 3]], 1), min_count=1)
    with pytest.raises(ValueError, match="empty"):
        train_word2vec(sc.parallelize([[], []], 2), min_count=1)
    with pytest.raises(ValueError, match="min_count"):
        train_word2vec(sc.parallelize([["a", "b"]], 1), min_count=5)
    with pytest.raises(ValueError, match="vector_size"):
        train_word2vec(sc.parallelize([["a"]], 1), vector_size=0)
    with pytest.raises(ValueError, match="hs"):
        train_word2vec(sc.parallelize([["a"]], 1), hs=0, negative=0)
    with pytest.raises(ValueError, match="num_partitions"):
        train_word2vec(sc.parallelize([["a"]], 1), num_partitions=0)
    with pytest.raises(ValueError, match="syncs_per_epoch"):
        train_word2vec(sc.parallelize([["a"]], 1), min_count=1, syncs_per_epoch=0)
    with pytest.raises(ValueError, match="merge"):
        train_word2vec(sc.parallelize([["a"]], 1), min_count=1, merge="mean")
    frame = spark.createDataFrame([(["a", "b"],)], ["words"])
    with pytest.raises(ValueError, match="no column"):
        train_word2vec(frame, "tokens")
    with pytest.raises(TypeError, match="DataFrame or RDD"):
        train_word2vec([["a", "b"]])


@pytest.mark.parametrize("merge,hs,negative", [("sqrt", 0, 5), ("average", 0, 5), ("sum", 0, 5),
                                               ("saturation", 0, 5), ("saturation", 1, 0),
                                               (None, 1, 0)])
def test_several_syncs_per_epoch_learn_with_every_merge(spark, merge, hs, negative):
    sentences = planted_sentences(seed=4)
    model = train_word2vec(spark.sparkContext.parallelize(sentences, 2), sg=1, hs=hs, negative=negative,
                           vector_size=16, window=3, min_count=1, epochs=2, sample=0, seed=3,
                           syncs_per_epoch=3, merge=merge)
    assert np.isfinite(model.wv.vectors).all()
    assert group_margin(model) > 0.5


def test_one_partition_merges_agree(spark):
    """With one partition every merge rule applies that partition's changes unchanged."""
    sentences = planted_sentences(seed=6)
    params = dict(sg=0, hs=1, negative=0, vector_size=8, window=2, min_count=1, epochs=1, seed=2,
                  syncs_per_epoch=2)
    rdd = spark.sparkContext.parallelize(sentences, 1)
    averaged = train_word2vec(rdd, merge="average", **params)
    for merge in ("sum", "sqrt", "saturation"):
        other = train_word2vec(rdd, merge=merge, **params)
        np.testing.assert_allclose(averaged.wv.vectors, other.wv.vectors, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(averaged.syn1, other.syn1, rtol=1e-5, atol=1e-6)


def test_deal_sentences_is_a_seeded_random_mix(spark):
    from w2vx.spark import deal_sentences
    sentences = [[f"s{i}"] for i in range(400)]
    contiguous = spark.sparkContext.parallelize(sentences, 2)   # halves: s0-s199, s200-s399
    dealt = deal_sentences(contiguous, 2, seed=11).glom().collect()
    ids = [[int(s[0][1:]) for s in part] for part in dealt]
    assert sorted(ids[0] + ids[1]) == list(range(400))           # every sentence once
    for part in ids:
        assert 150 < len(part) < 250                             # about half each
        first_half = sum(i < 200 for i in part)
        assert 0.35 < first_half / len(part) < 0.65              # a mix of both halves
        assert part == sorted(part)                              # input order kept inside
    assert deal_sentences(contiguous, 2, seed=11).glom().collect() == dealt   # seeded
    assert deal_sentences(contiguous, 2, seed=12).glom().collect() != dealt
    three = deal_sentences(contiguous, 3, seed=11).glom().collect()
    assert len(three) == 3 and sum(map(len, three)) == 400
    with pytest.raises(ValueError, match="num_partitions"):
        deal_sentences(contiguous, 0, seed=1)


def test_merge_rules_on_small_arrays():
    from w2vx.spark import merge_changes
    start = np.arange(8, dtype=np.float32).reshape(4, 2)
    # rows 0-1 changed by 2 partitions, row 2 by 1, row 3 by none
    changes = np.array([[2, 4], [-1, 1], [3, 3], [0, 0]], dtype=np.float32)
    touched = np.array([2.0, 2.0, 1.0, 0.0])
    for merge, scale in (("sum", [1, 1, 1]), ("sqrt", [2 ** -0.5, 2 ** -0.5, 1]),
                         ("average", [0.5, 0.5, 1])):
        array = start.copy()
        merge_changes(array, changes, touched, merge)
        np.testing.assert_allclose(array[:3], start[:3] + changes[:3] * np.array(scale)[:, None],
                                   rtol=1e-6)
        np.testing.assert_array_equal(array[3], start[3])        # untouched row stays
    # 'average' divides by the summed word weights: partitions of 30 and 10 words
    array = start.copy()
    merge_changes(array, np.array([[40, 0]] * 4, np.float32), np.array([40.0, 30, 10, 0]), "average")
    np.testing.assert_allclose(array[:, 0], start[:, 0] + [1, 40 / 30, 4, 0], rtol=1e-6)
    # a number p: the sum divided by n ** p; 0 and 0.5 are 'sum' and 'sqrt'
    for power, named in ((0, "sum"), (0.5, "sqrt")):
        by_number, by_name = start.copy(), start.copy()
        merge_changes(by_number, changes, touched, power)
        merge_changes(by_name, changes, touched, named)
        np.testing.assert_array_equal(by_number, by_name)
    array = start.copy()
    merge_changes(array, changes, touched, 0.35)
    np.testing.assert_allclose(array, start + changes * np.array([2 ** -0.35, 2 ** -0.35, 1, 0])[:, None],
                               rtol=1e-6)
    for bad in ("mean", 1.5, -0.1, True, None):
        with pytest.raises(ValueError, match="merge"):
            merge_changes(start.copy(), changes, touched, bad)


def test_saturation_rule_arithmetic():
    from w2vx.spark import SATURATION_UPDATES, exposures, merge_changes, saturation_factor
    # factor (1 - e^-X) / sum_p (1 - e^-x_p), X = sum_p x_p
    x = np.array([[0.3, 0.0, 0.0],      # one partition: its change unchanged (exactly 1)
                  [1e-4, 2e-4, 0.0],    # little trained everywhere: the sum (about 1)
                  [40.0, 50.0, 0.0],    # saturated in 2 partitions: the mean
                  [40.0, 50.0, 60.0],   # ... in 3: a third
                  [1.0, 1.0, 0.0],      # between: (1 - e^-2) / (2 (1 - e^-1)) = (1 + e^-1) / 2
                  [0.0, 0.0, 0.0]])     # untrained: stays
    factor = saturation_factor(x.sum(1), (-np.expm1(-x)).sum(1))
    assert factor[0] == 1.0
    np.testing.assert_allclose(factor[1:], [1 - 1e-4, 1 / 2, 1 / 3, (1 + np.exp(-1)) / 2, 0],
                               rtol=1e-4)
    start = np.arange(12, dtype=np.float32).reshape(6, 2)
    changes = np.ones((6, 2), np.float32)
    array = start.copy()
    merge_changes(array, changes, np.stack([x.sum(1), (-np.expm1(-x)).sum(1)], axis=1), "saturation")
    np.testing.assert_allclose(array, start + factor[:, None], rtol=1e-6)
    np.testing.assert_array_equal(array[5], start[5])
    # exposures: alpha * expected updates / SATURATION_UPDATES; syn0 updated window + 1 times
    # per occurrence, a Huffman node once per (centre, context) pair whose path passes it
    model = Word2Vec(vector_size=4, window=2, min_count=1, sg=1, hs=1, negative=0, seed=1)
    model.build_vocab_from_freq({"a": 5, "b": 3, "c": 2, "d": 1}, corpus_count=1)
    occurrences = np.array([4, 0, 1, 2])
    got = exposures(model, occurrences, 0.02)
    np.testing.assert_allclose(got["syn0"], occurrences * 3 * 0.02 / SATURATION_UPDATES["syn0"])
    tables = model._tables
    expected = np.zeros(4)
    for word in range(4):
        for node in tables["points"][tables["code_offsets"][word]:tables["code_offsets"][word + 1]]:
            expected[node] += occurrences[word] * 3
    np.testing.assert_allclose(got["syn1"], expected * 0.02 / SATURATION_UPDATES["syn1"])
    # the root (node V - 2) lies on every path: every pair updates it
    assert expected[len(occurrences) - 2] == occurrences.sum() * 3


def test_shuffle_option(spark):
    sentences = planted_sentences(seed=8)
    rdd = spark.sparkContext.parallelize(sentences, 2)
    params = dict(sg=1, hs=1, negative=0, vector_size=16, window=3, min_count=1, epochs=3, seed=4)
    kept = train_word2vec(rdd, shuffle=False, **params)
    dealt = train_word2vec(rdd, **params)
    assert kept.wv.index_to_key == dealt.wv.index_to_key         # same vocabulary either way
    assert not np.allclose(kept.wv.vectors, dealt.wv.vectors)     # but other partitions' contents
    assert group_margin(dealt) > 0.5 and group_margin(kept) > 0.5
    # one partition: nothing to deal, shuffle changes nothing
    one = [train_word2vec(spark.sparkContext.parallelize(sentences, 1), shuffle=s, **params)
           for s in (True, False)]
    np.testing.assert_array_equal(one[0].wv.vectors, one[1].wv.vectors)
    with pytest.raises(TypeError, match="shuffle"):
        train_word2vec(rdd, shuffle="yes", **params)
