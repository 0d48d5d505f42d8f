"""ldax on Spark: a real local SparkSession (local[2], 127.0.0.1, UI off).

The ``spark`` fixture (conftest.py) skips with the reason when pyspark or Java is
absent; CI sets GENSIMX_REQUIRE_SPARK=1, so there they fail instead.
"""
import numpy as np
import pytest

from ldax import LdaModel, _estep
from ldax.lda import _csr_arrays, dirichlet_expectation
from ldax.spark import (SparkLDA, _block_csr, _block_seed, _document_rdd, _estep_partition,
                        _internal_block_csr, _partition_blocks, _partition_documents,
                        _rows_block_csr, to_documents, train_lda, transform)

NUM_TERMS = 30
TOPIC_WORDS = [range(0, 10), range(10, 20), range(20, 30)]  # three planted, disjoint topics


def planted_corpus(n_docs: int = 240, seed: int = 0) -> tuple[list, np.ndarray]:
    """Documents drawn mostly (90%) from one of three disjoint topics; returns (corpus, topic)."""
    rng = np.random.RandomState(seed)
    corpus, labels = [], rng.randint(0, 3, n_docs)
    for label in labels:
        words = rng.choice(list(TOPIC_WORDS[label]), 12)
        noise = rng.randint(0, NUM_TERMS, rng.binomial(12, 0.1))
        ids, counts = np.unique(np.concatenate([words, noise]), return_counts=True)
        corpus.append([(int(w), float(c)) for w, c in zip(ids, counts)])
    return corpus, labels


ID2WORD = {i: f"w{i}" for i in range(NUM_TERMS)}


def test_session_is_local_loopback_without_ui(spark):
    conf = spark.sparkContext.getConf()
    assert spark.sparkContext.master == "local[2]"
    assert conf.get("spark.driver.host") == "127.0.0.1"
    assert conf.get("spark.ui.enabled") == "false"
    assert spark.sparkContext.parallelize(range(100), 2).sum() == 4950


@pytest.mark.parametrize("alpha", ["symmetric", "auto"])
def test_one_partition_full_batches_equal_local_lda(spark, alpha):
    corpus, _ = planted_corpus()
    ours = train_lda(spark.sparkContext.parallelize(corpus, 1), num_topics=3, id2word=ID2WORD,
                     passes=4, alpha=alpha, random_state=7)
    local = LdaModel(corpus, num_topics=3, id2word=ID2WORD, chunksize=len(corpus), passes=4,
                     update_every=1, alpha=alpha, eval_every=None, random_state=7, workers=1)
    np.testing.assert_allclose(ours.state.get_lambda(), local.state.get_lambda(), rtol=1e-12)
    np.testing.assert_allclose(ours.alpha, local.alpha, rtol=1e-12)
    np.testing.assert_allclose(ours.expElogbeta, local.expElogbeta, rtol=1e-12)
    assert (ours.num_updates, ours.num_steps, ours.state.numdocs) == \
        (local.num_updates, local.num_steps, local.state.numdocs)
    if alpha == "auto":
        assert not np.allclose(ours.alpha, 1.0 / 3)  # alpha was really learned


def _aligned_topic_distance(a: LdaModel, b: LdaModel) -> float:
    """Largest |difference| of topic-word probabilities after matching topics by best overlap."""
    ta, tb = a.get_topics(), b.get_topics()
    order = [int(np.argmin(np.abs(tb - row).sum(axis=1))) for row in ta]
    assert sorted(order) == list(range(len(order))), "topics do not pair one to one"
    return float(np.abs(ta - tb[order]).max())


def test_result_does_not_depend_on_partitions(spark):
    corpus, _ = planted_corpus(seed=1)
    models = [train_lda(spark.sparkContext.parallelize(corpus, parts), num_topics=3,
                        id2word=ID2WORD, passes=6, random_state=3, block_size=50)
              for parts in (1, 3)]
    # only the E-step's initial gamma differs (per block seeds); converged topics agree
    assert _aligned_topic_distance(*models) < 0.01
    bounds = [m.log_perplexity(corpus) for m in models]
    assert abs(bounds[0] - bounds[1]) < 0.01 * abs(bounds[0])


def test_partition_statistics_are_the_sum_over_blocks():
    """The executor's E-step equals the kernel run block by block with the same seeds (no Spark)."""
    corpus, _ = planted_corpus(n_docs=130, seed=7)
    corpus[5] = []  # an empty document
    model = LdaModel(num_topics=3, id2word=ID2WORD, random_state=0, workers=1)
    blocks = list(_partition_blocks(2, iter(corpus), NUM_TERMS, block_size=40))
    assert [b.shape[0] for _, b in blocks] == [40, 40, 40, 10]
    # the cached records: one (int32 ids, float64 counts) pair of raw bytes per document
    records = list(_partition_documents(2, iter(corpus), NUM_TERMS, block_size=40))
    assert len(records) == 130 and records[5] == (b"", b"")
    np.testing.assert_array_equal(np.frombuffer(records[0][0], np.int32), [w for w, _ in corpus[0]])
    alpha = np.ascontiguousarray(model.alpha)
    expected_sstats, expected_elog = np.zeros_like(model._exp_elog_beta_t), np.zeros(3)
    for block_id, block in blocks:
        gamma = _estep.init_gamma(block.shape[0], 3, _block_seed(99, block_id))
        one = np.zeros_like(expected_sstats)
        _estep.e_step(*_csr_arrays(block), model._exp_elog_beta_t, alpha, gamma, 50, 1e-3,
                      sstats_t=one)
        expected_sstats += one
        expected_elog += dirichlet_expectation(gamma).sum(axis=0)

    class Broadcast:  # what the executor reads from a pyspark Broadcast
        value = model._exp_elog_beta_t

    for table in (model._exp_elog_beta_t, Broadcast):  # in the closure or broadcast
        (sstats_t, elog_theta_sum, n_docs, n_records), = _estep_partition(
            2, iter(records), table, alpha, 50, 1e-3, 1e-100, update_seed=99,
            num_terms=NUM_TERMS, block_size=40, skip_empty=False)
        assert (n_docs, n_records) == (130, 130)
        np.testing.assert_allclose(sstats_t, expected_sstats, rtol=1e-12)
        np.testing.assert_allclose(elog_theta_sum, expected_elog, rtol=1e-12)
    # MLlib's rule: the empty document is in neither the statistics nor the alpha step
    (sstats_t, elog_theta_sum, n_docs, n_records), = _estep_partition(
        2, iter(records), Broadcast, alpha, 50, 1e-3, 1e-100, update_seed=99,
        num_terms=NUM_TERMS, block_size=40, skip_empty=True)
    assert (n_docs, n_records) == (129, 130)
    block_id, first = blocks[0]
    first = first[[row for row in range(40) if row != 5]]
    gamma = _estep.init_gamma(39, 3, _block_seed(99, block_id))
    one = np.zeros_like(expected_sstats)
    _estep.e_step(*_csr_arrays(first), model._exp_elog_beta_t, alpha, gamma, 50, 1e-3, sstats_t=one)
    for block_id, block in blocks[1:]:
        gamma = _estep.init_gamma(block.shape[0], 3, _block_seed(99, block_id))
        _estep.e_step(*_csr_arrays(block), model._exp_elog_beta_t, alpha, gamma, 50, 1e-3,
                      sstats_t=one)
    np.testing.assert_allclose(sstats_t, one, rtol=1e-12)


def test_planted_topics_are_recovered(spark):
    corpus, labels = planted_corpus(seed=2)
    # LDA's local optima catch a few random starts on a corpus this small (locally,
    # 191 of 200 seeds recover all three topics): the seed is one whose start does not
    model = train_lda(spark.sparkContext.parallelize(corpus, 2), num_topics=3, id2word=ID2WORD,
                      passes=8, random_state=2)
    topics = model.get_topics()
    # each learned topic puts > 80% of its mass on one planted word group, all groups covered
    mass = np.array([[t[list(g)].sum() for g in TOPIC_WORDS] for t in topics])
    assert mass.max(axis=1).min() > 0.8
    assert sorted(mass.argmax(axis=1)) == [0, 1, 2]


def test_dataframe_vectors_equal_rdd_of_bow(spark):
    from pyspark.ml.linalg import Vectors
    corpus, _ = planted_corpus(n_docs=60, seed=3)
    rows = []
    for i, doc in enumerate(corpus):
        if i % 2:
            rows.append((i, Vectors.sparse(NUM_TERMS, doc)))
        else:
            dense = np.zeros(NUM_TERMS)
            for w, c in doc:
                dense[w] = c
            rows.append((i, Vectors.dense(dense)))
    frame = spark.createDataFrame(rows, ["id", "counts"]).repartition(1)
    from_frame = train_lda(frame, num_topics=3, id2word=ID2WORD, column="counts", passes=2,
                           random_state=5)
    from_rdd = train_lda(spark.sparkContext.parallelize(corpus, 1), num_topics=3,
                         id2word=ID2WORD, passes=2, random_state=5)
    np.testing.assert_allclose(from_frame.state.get_lambda(), from_rdd.state.get_lambda(),
                               rtol=1e-12)
    # without id2word the vocabulary is the vectors' size
    inferred = train_lda(frame, num_topics=2, column="counts", passes=1, random_state=0)
    assert inferred.num_terms == NUM_TERMS


def test_vector_column_is_read_as_internal_tuples(spark):
    """A DataFrame's ml vectors reach the executors as VectorUDT's internal tuples (no
    SparseVector per row) and give the same CSR blocks as the vectors themselves."""
    from pyspark.ml.linalg import Vectors
    corpus, _ = planted_corpus(n_docs=20, seed=9)
    vectors = [Vectors.sparse(NUM_TERMS, doc) for doc in corpus]
    vectors[3] = Vectors.dense([float(i % 3) for i in range(NUM_TERMS - 2)])  # narrower, dense
    vectors[4] = Vectors.sparse(NUM_TERMS, [])                                # empty
    frame = spark.createDataFrame([(i, v) for i, v in enumerate(vectors)], ["id", "counts"])
    rdd, internal = _document_rdd(frame, "counts")
    rows = rdd.collect()
    assert internal and [type(row) for row in rows] == [tuple] * 20
    assert rows[0][0] == (0, NUM_TERMS, vectors[0].indices.tolist(), vectors[0].values.tolist())
    assert rows[3][0][0] == 1  # dense
    expected = _block_csr(vectors, NUM_TERMS, "here")
    for got in (_rows_block_csr(rows, NUM_TERMS, "here"),
                _rows_block_csr([(v,) for v in vectors], NUM_TERMS, "here")):  # rows of vectors
        assert (got != expected).nnz == 0 and got.shape == expected.shape
        assert got.indices.dtype == np.int32 and got.data.dtype == np.float64
    assert not _document_rdd(frame, "id")[1]  # not a vector column: the values as they are
    # the checks the vectors' own constructors cannot make: our vocabulary, counts
    with pytest.raises(ValueError, match="does not fit"):
        _internal_block_csr([(0, NUM_TERMS + 1, [0], [1.0])], NUM_TERMS, "here")
    with pytest.raises(ValueError, match="outside the vocabulary"):
        _internal_block_csr([(0, NUM_TERMS, [NUM_TERMS + 3], [1.0])], NUM_TERMS, "here")
    bad = [Vectors.sparse(NUM_TERMS, [(1, -2.0)]), Vectors.sparse(NUM_TERMS, [(1, float("nan"))]),
           Vectors.dense([1.0, float("inf")])]
    for vector, message in zip(bad, ("non-negative", "finite", "finite")):
        frame = spark.createDataFrame([(vectors[0],), (vector,)], ["features"])
        with pytest.raises(ValueError, match=message):
            train_lda(frame, num_topics=2, id2word=ID2WORD)
    from pyspark.ml.linalg import VectorUDT
    from pyspark.sql.types import StructField, StructType
    nulls = spark.createDataFrame([(vectors[0],), (None,)],
                                  StructType([StructField("features", VectorUDT(), True)]))
    with pytest.raises(TypeError, match="bag-of-words"):
        train_lda(nulls, num_topics=2, id2word=ID2WORD)


def test_minibatches_are_seeded_and_counted(spark):
    corpus, _ = planted_corpus(seed=4)
    rdd = spark.sparkContext.parallelize(corpus, 2)
    runs = [train_lda(rdd, num_topics=3, id2word=ID2WORD, minibatch_fraction=0.25,
                      max_updates=6, random_state=seed, with_replacement=replace)
            for seed, replace in ((11, True), (11, True), (12, True), (11, False))]
    # same seed, same sample; treeAggregate adds partitions in arrival order, so equal up to
    # floating-point summation order (differences of ~1e-16 relative were seen)
    np.testing.assert_allclose(runs[0].state.get_lambda(), runs[1].state.get_lambda(), rtol=1e-10)
    assert not np.allclose(runs[0].state.get_lambda(), runs[2].state.get_lambda())
    assert not np.allclose(runs[0].state.get_lambda(), runs[3].state.get_lambda())
    assert all(run.num_steps == 6 for run in runs)
    # a minibatch is about a quarter of the corpus: updates saw ~6 * 60 documents
    assert 0.6 * 6 * 60 < runs[3].num_updates < 1.4 * 6 * 60
    # passes= without max_updates means passes / fraction updates
    assert train_lda(rdd, num_topics=3, id2word=ID2WORD, passes=1, minibatch_fraction=0.5,
                     random_state=0).num_steps == 2


def test_mllib_vocabulary(spark):
    from pyspark.ml.linalg import Vectors
    corpus, _ = planted_corpus(seed=5)
    frame = spark.createDataFrame([(Vectors.sparse(NUM_TERMS, d),) for d in corpus], ["features"])
    estimator = SparkLDA(k=3, maxIter=5, subsamplingRate=0.3, learningOffset=16.0,
                         learningDecay=0.6, seed=2)
    model = estimator.fit(frame, id2word=ID2WORD)
    assert isinstance(model, LdaModel)
    assert (model.num_topics, model.num_steps, model.rho_schedule) == (3, 5, "reference")
    assert (model.offset, model.decay) == (16.0, 0.6)
    # MLlib's step size: rho_t = (learningOffset + t) ** -learningDecay, t = 1, 2, ...
    assert model._rho(model.offset, model.decay, 0, 1) == pytest.approx((16.0 + 6) ** -0.6)
    assert model.optimize_alpha and not np.allclose(model.alpha, 1.0 / 3)
    fixed = SparkLDA(k=3, maxIter=2, subsamplingRate=0.3, optimizeDocConcentration=False,
                     docConcentration=0.5, seed=2).fit(frame, id2word=ID2WORD)
    np.testing.assert_array_equal(fixed.alpha, [0.5, 0.5, 0.5])
    with pytest.raises(ValueError, match="subsamplingRate"):
        SparkLDA(subsamplingRate=1.5)
    with pytest.raises(ValueError, match="maxIter"):
        SparkLDA(maxIter=0)


def test_transform_adds_topic_column(spark, tmp_path):
    from pyspark.ml.linalg import Vectors
    corpus, labels = planted_corpus(n_docs=90, seed=6)
    frame = spark.createDataFrame(
        [(i, Vectors.sparse(NUM_TERMS, d)) for i, d in enumerate(corpus)], ["id", "features"])
    model = train_lda(frame.repartition(2), num_topics=3, id2word=ID2WORD, passes=8,
                      random_state=2)  # a start that escapes the local optima (see above)
    out = transform(model, frame.repartition(3), block_size=16)
    assert out.columns == ["id", "features", "topicDistribution"]
    rows = sorted(out.collect(), key=lambda row: row["id"])
    assert [row["id"] for row in rows] == list(range(90))
    theta = np.array([row["topicDistribution"].toArray() for row in rows])
    np.testing.assert_allclose(theta.sum(axis=1), 1.0, rtol=1e-12)
    gamma, _ = model.inference(corpus)
    np.testing.assert_allclose(theta, gamma / gamma.sum(axis=1, keepdims=True), atol=0.02)
    # documents of one planted topic share their dominant learned topic
    dominant = theta.argmax(axis=1)
    for label in range(3):
        values, counts = np.unique(dominant[labels == label], return_counts=True)
        assert counts.max() >= 0.9 * counts.sum()
    # and the result is an ordinary ldax model: save/load and gensim export work
    model.save(tmp_path / "lda.npz")
    loaded = LdaModel.load(tmp_path / "lda.npz")
    np.testing.assert_array_equal(loaded.get_topics(), model.get_topics())
    assert model.to_gensim().get_topics().shape == (3, NUM_TERMS)
    with pytest.raises(ValueError, match="already has a column"):
        transform(model, out)
    with pytest.raises(ValueError, match="no column"):
        transform(model, frame, column="nope")


def test_bad_input_raises_clear_errors(spark):
    sc = spark.sparkContext
    good = [[(0, 1.0), (1, 2.0)], [(2, 1.0)]]
    with pytest.raises(ValueError, match="outside the vocabulary"):
        train_lda(sc.parallelize(good + [[(40, 1.0)]], 2), num_topics=2, id2word=ID2WORD)
    with pytest.raises(ValueError, match="non-negative"):
        train_lda(sc.parallelize(good + [[(1, -2.0)]], 2), num_topics=2, id2word=ID2WORD)
    with pytest.raises(ValueError, match="finite"):
        train_lda(sc.parallelize(good + [[(1, float("nan"))]], 2), num_topics=2, id2word=ID2WORD)
    with pytest.raises(TypeError, match="bag-of-words"):
        train_lda(sc.parallelize(good + ["a string"], 2), num_topics=2, id2word=ID2WORD)
    from pyspark.ml.linalg import Vectors
    wide = spark.createDataFrame([(Vectors.sparse(NUM_TERMS + 5, [(0, 1.0)]),)], ["features"])
    with pytest.raises(ValueError, match="does not fit"):
        train_lda(wide, num_topics=2, id2word=ID2WORD)
    with pytest.raises(ValueError, match="empty"):
        train_lda(sc.parallelize([], 2), num_topics=2, id2word=ID2WORD)
    with pytest.raises(ValueError, match="empty"):
        train_lda(sc.parallelize([], 2), num_topics=2)
    rdd = sc.parallelize(good, 1)
    for fraction in (0.0, 1.5, float("nan")):
        with pytest.raises(ValueError, match="minibatch_fraction"):
            train_lda(rdd, num_topics=2, id2word=ID2WORD, minibatch_fraction=fraction)
    with pytest.raises(ValueError, match="passes"):
        train_lda(rdd, num_topics=2, id2word=ID2WORD, passes=0)
    with pytest.raises(ValueError, match="decay"):
        train_lda(rdd, num_topics=2, id2word=ID2WORD, decay=float("nan"))
    with pytest.raises(ValueError, match="num_topics"):
        train_lda(rdd, num_topics=0, id2word=ID2WORD)
    with pytest.raises(ValueError, match="no column"):
        train_lda(wide, num_topics=2, id2word=ID2WORD, column="text")
    with pytest.raises(TypeError, match="DataFrame or RDD"):
        train_lda(good, num_topics=2, id2word=ID2WORD)
    with pytest.raises(ValueError, match="block_size"):
        to_documents(rdd, NUM_TERMS, block_size=0)


def test_sample_in_jvm_draws_records(spark):
    from w2vx._spark import count_in_jvm, map_partitions_per_record, sample_in_jvm
    rdd = map_partitions_per_record(spark.sparkContext.parallelize(range(2000), 2),
                                    lambda index, items: ((index, item) for item in items)).persist()
    assert count_in_jvm(rdd) == 2000
    without = sample_in_jvm(rdd, False, 0.3, 5).collect()
    assert len(set(without)) == len(without) and 450 < len(without) < 750
    assert {index for index, _ in without} == {0, 1}  # drawn in every partition
    assert sample_in_jvm(rdd, False, 0.3, 5).collect() == without  # seeded
    assert sample_in_jvm(rdd, False, 0.3, 6).collect() != without
    copies = sample_in_jvm(rdd, True, 0.5, 5).collect()  # Poisson(0.5) copies of each
    assert len(set(copies)) < len(copies) and 800 < len(copies) < 1200
    with pytest.raises(ValueError, match="one JVM record per element"):
        sample_in_jvm(spark.sparkContext.parallelize(range(10), 2), False, 0.5, 1)
    rdd.unpersist()


def test_mllib_minibatch_rules(spark, monkeypatch):
    """SparkLDA's M-step: statistics scaled by D / ceil(f D), alpha by the non-empty documents."""
    import math
    import ldax.spark as spark_lda
    from ldax.lda import LdaState, update_dir_prior
    corpus, _ = planted_corpus(n_docs=90, seed=8)
    frame_rdd = spark.sparkContext.parallelize(corpus, 2)
    rng = np.random.default_rng(0)
    summed = rng.random((NUM_TERMS, 3))
    elog_sum = -rng.random(3) * 7

    def fake_estep(model, documents, fraction, with_replacement, tree_depth, block_size,
                   skip_empty):
        assert skip_empty and fraction == 0.2 and with_replacement
        state = LdaState(model.eta, (model.num_topics, model.num_terms))
        state.sstats_t[...] = summed
        state.numdocs = 7
        return state, elog_sum.copy(), 8

    start = SparkLDA(k=3, maxIter=1, subsamplingRate=0.2, seed=4)
    before = LdaModel(num_topics=3, id2word=ID2WORD, random_state=4, workers=1,
                      rho_schedule="reference", alpha=1 / 3, eta=1 / 3, decay=0.51, offset=1024.0)
    monkeypatch.setattr(spark_lda, "_distributed_estep", fake_estep)
    model = start.fit(frame_rdd, id2word=ID2WORD)
    rho = (1024.0 + 1) ** -0.51
    scale = 90 / math.ceil(0.2 * 90)  # the expected minibatch size, not the 7 documents
    np.testing.assert_allclose(model.state.sstats_t,
                               (1 - rho) * before.state.sstats_t + rho * scale * summed, rtol=1e-12)
    np.testing.assert_allclose(model.alpha, update_dir_prior(np.full(3, 1 / 3), 7.0, elog_sum / 7, rho),
                               rtol=1e-12)
    assert (model.num_steps, model.num_updates) == (1, 7)
