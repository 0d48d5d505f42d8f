"""The kernel's numeric building blocks: sigmoid table, out-of-range rules, LCG, subsampling,
negative-sampling draws, all through the very inline functions the training loop calls."""
import math

import numpy as np
import pytest

from w2vx import _train, vocab

EXP_TABLE_SIZE, MAX_EXP = 1000, 6


def sigma(x):
    return 1.0 / (1.0 + math.exp(-x))


def test_sigmoid_table_matches_closed_form():
    table = _train.exp_table()
    assert table.shape == (EXP_TABLE_SIZE,) and table.dtype == np.float32
    expected = [sigma((i / EXP_TABLE_SIZE * 2 - 1) * MAX_EXP) for i in range(EXP_TABLE_SIZE)]
    np.testing.assert_allclose(table, expected, rtol=0, atol=1e-7)


def test_sigmoid_lookup_index_and_accuracy():
    table = _train.exp_table()
    for f in np.linspace(-5.999, 5.999, 2001):
        index = int((f + MAX_EXP) * (EXP_TABLE_SIZE / MAX_EXP / 2))
        got = _train.sigmoid_table_lookup(f)
        assert got == table[min(index, EXP_TABLE_SIZE - 1)]
        assert abs(got - sigma(f)) < 0.004  # one table step of sigma' <= 0.25 * 0.012
    # a float just below MAX_EXP must not index past the table
    assert _train.sigmoid_table_lookup(np.nextafter(np.float32(6), np.float32(0))) == table[-1]


def test_hs_skips_outside_max_exp():
    alpha = 0.025
    for f in (6.0, 7.5, -6.0, -100.0):
        assert _train.hs_update_scale(f, 0, alpha) is None
        assert _train.hs_update_scale(f, 1, alpha) is None
    for f, code in ((0.0, 0), (2.0, 1), (-3.0, 0)):
        expected = (1 - code - _train.sigmoid_table_lookup(f)) * alpha
        assert _train.hs_update_scale(f, code, alpha) == pytest.approx(expected, rel=1e-6)


def test_negative_sampling_skips_outside_max_exp():
    alpha = 0.025
    # gensim's rule: no update at |f| >= MAX_EXP, for the positive and the negative words
    # (word2vec.c would give -alpha to a negative above +6 and +alpha to a positive below -6)
    for f in (6.0, 6.5, 100.0, -6.0, -6.5, -100.0):
        for label in (0, 1):
            assert _train.negative_update_scale(f, label, alpha) == 0.0
    just_inside = np.nextafter(np.float32(6.0), np.float32(0.0))
    assert _train.negative_update_scale(float(just_inside), 0, alpha) < 0.0
    expected = (1 - _train.sigmoid_table_lookup(1.5)) * alpha
    assert _train.negative_update_scale(1.5, 1, alpha) == pytest.approx(expected, rel=1e-6)


def test_lcg_sequence_is_word2vec_c():
    state, expected = 1, []
    for _ in range(50):
        state = (state * 25214903917 + 11) % 2**64
        expected.append(state)
    assert _train.lcg_states(1, 50).tolist() == expected
    assert _train.lcg_states(1, 3).tolist()[0] == 25214903928
    uniforms = _train.lcg_uniforms(1, 50)
    np.testing.assert_array_equal(uniforms, [(s & 0xFFFF) / 65536 for s in expected])


def test_keep_probability_formula():
    counts = np.array([1, 10, 100, 1000, 100000])
    total, sample = int(counts.sum()) * 10, 1e-3
    keep = vocab.keep_probabilities(counts, sample, total)
    st = sample * total
    expected = np.minimum((np.sqrt(counts / st) + 1) * st / counts, 1.0)
    np.testing.assert_allclose(keep, expected)
    assert keep[0] == 1.0 and keep[-1] < 0.2
    np.testing.assert_array_equal(vocab.keep_probabilities(counts, 0, total), 1.0)  # sample=0 disables
    # gensim's uint32 form of the same numbers
    np.testing.assert_array_equal(vocab.gensim_sample_ints(keep), (keep * (2**32 - 1)).astype(np.uint32))


def test_subsampling_draws_follow_the_lcg():
    keep = np.array([1.0, 0.5, 0.1, 0.0], dtype=np.float32)
    sentence = np.array([0, 1, 2, 3] * 5000, dtype=np.int32)
    mask = _train.subsample_mask(sentence, keep, 7)
    draws = _train.lcg_uniforms(7, len(sentence))
    np.testing.assert_array_equal(mask, keep[sentence] >= draws)
    rates = [mask[sentence == w].mean() for w in range(4)]
    assert rates[0] == 1.0 and rates[3] == 0.0
    assert abs(rates[1] - 0.5) < 0.03 and abs(rates[2] - 0.1) < 0.02


def test_negative_draws_follow_unigram_power():
    counts = np.array([1000, 300, 100, 10, 1])
    prob, alias = vocab.negative_table(counts, 0.75)
    draws = _train.draw_negatives(prob, alias, 12345, 400_000)
    freq = np.bincount(draws, minlength=len(counts)) / len(draws)
    target = counts ** 0.75 / (counts ** 0.75).sum()
    np.testing.assert_allclose(freq, target, atol=0.004)
    # ns_exponent 0 is uniform
    prob, alias = vocab.negative_table(counts, 0.0)
    freq = np.bincount(_train.draw_negatives(prob, alias, 3, 200_000), minlength=5) / 200_000
    np.testing.assert_allclose(freq, 0.2, atol=0.005)
