"""ldax's own nogil digamma and Dirichlet expectation against scipy."""
import numpy as np
from scipy.special import psi

from ldax import _estep
from ldax.lda import dirichlet_expectation


def test_digamma_relative_accuracy_over_wide_range():
    x = np.concatenate([
        np.logspace(-300, 300, 6001),          # tiny to huge
        np.linspace(1e-6, 10.0, 20001),        # the recurrence region
        np.linspace(1.40, 1.52, 4001),         # around the positive root 1.4616...
        1.4616321449683622 + np.arange(-50, 51) * 1e-12,
    ])
    ours = _estep.digamma_array(x)
    ref = psi(x)
    rel = np.abs(ours - ref) / np.abs(ref)
    assert rel.max() < 1e-10, (rel.max(), x[rel.argmax()])


def test_digamma_known_values_and_domain():
    euler = 0.5772156649015329
    np.testing.assert_allclose(_estep.digamma_array([1.0, 0.5, 2.0]),
                               [-euler, -euler - 2 * np.log(2), 1 - euler], rtol=1e-12)
    out = _estep.digamma_array([0.0, -1.0, np.nan, np.inf])
    assert np.isnan(out[:3]).all() and out[3] == np.inf


def test_exp_dirichlet_expectation_matches_scipy():
    rng = np.random.RandomState(0)
    lam = rng.gamma(0.3, 2.0, size=(7, 50)) + 1e-3          # K x V
    lam_t = np.ascontiguousarray(lam.T)
    exp_t, log_t = np.empty_like(lam_t), np.empty_like(lam_t)
    _estep.exp_dirichlet_expectation_t(lam_t - 0.25, np.full((50, 1), 0.25), exp_t, log_t, workers=2)
    ref = psi(lam) - psi(lam.sum(axis=1))[:, None]
    np.testing.assert_allclose(log_t.T, ref, rtol=1e-10)
    np.testing.assert_allclose(exp_t.T, np.exp(ref), rtol=1e-10)
    np.testing.assert_allclose(dirichlet_expectation(lam), ref, rtol=1e-12)


def test_initial_gamma_is_gamma_100_over_100_and_seeded():
    a = _estep.init_gamma(4000, 25, 42)
    assert a.shape == (4000, 25) and np.all(a > 0)
    # Gamma(100, 1/100): mean 1, variance 0.01
    assert abs(a.mean() - 1.0) < 2e-3 and abs(a.var() - 0.01) < 5e-4
    np.testing.assert_array_equal(a, _estep.init_gamma(4000, 25, 42))
    b = _estep.init_gamma(4000, 25, 43)
    assert not np.allclose(a, b)
    # document d's draws do not depend on how many documents come before or after
    np.testing.assert_array_equal(_estep.init_gamma(10, 25, 42), a[:10])
    np.testing.assert_array_equal(_estep.init_gamma(4000, 25, 42, workers=2), a)


def test_generator_draws_normals_and_gammas_of_the_right_law():
    """The ziggurat normals behind the Gamma draws: the right law in the body (KS), in the
    tail past the base layer's r = 3.654 (where a separate sampler takes over), and the
    Gamma(100, 1/100) draws built on them."""
    from scipy import stats
    z = _estep.std_normal_array(1_000_000, 11)
    assert stats.kstest(z, "norm").pvalue > 1e-3
    for cut in (3.6541528853610088, 4.2):
        expected = 2 * stats.norm.sf(cut) * z.size
        # Poisson count: within 5 standard deviations of its mean
        assert abs((np.abs(z) > cut).sum() - expected) < 5 * np.sqrt(expected)
    assert abs(np.mean(z > 0) - 0.5) < 2e-3
    g = _estep.init_gamma(10_000, 50, 5).ravel()
    assert stats.kstest(g, stats.gamma(100, scale=0.01).cdf).pvalue > 1e-3


def test_exp_digamma_of_the_estep_matches_scipy():
    """The E-step's exp(psi(x)) (vectorised on AVX2 CPUs, libm elsewhere)."""
    x = np.concatenate([np.logspace(-3, 4, 20001), np.linspace(0.01, 12.0, 20003)])
    got = _estep.exp_digamma_array(x, 0.5)
    ref = 0.5 * np.exp(psi(x))
    normal = ref > 1e-290
    assert normal.sum() > 39000
    rel = np.abs(got[normal] - ref[normal]) / ref[normal]
    # exp(psi) inherits psi's absolute error: relative error ~ 1e-16 * |psi(x)|
    assert np.all(rel < 1e-12 * np.maximum(1.0, np.abs(psi(x[normal])))), rel.max()
    assert np.all(got[~normal] < 1e-280)
    # where exp(psi(x)) underflows (tiny x) the result is 0 or denormal, never NaN
    tiny = _estep.exp_digamma_array(np.array([1e-300, 1e-100, 1e-5]))
    assert np.all(np.isfinite(tiny)) and np.all(tiny < 1e-300)
