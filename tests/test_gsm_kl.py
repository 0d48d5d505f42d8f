"""The closed-form Gaussian KL used in GSM's loss, against Monte Carlo estimates."""
import math

import numpy as np
import pytest

from ldax.gsm import gaussian_kl


@pytest.mark.parametrize("prior_mean,prior_variance", [(0.0, 1.0), (0.5, 2.0), (-1.0, 0.3)])
def test_closed_form_matches_monte_carlo(prior_mean, prior_variance):
    rng = np.random.default_rng(7)
    mu = rng.normal(0.0, 1.0, size=(3, 4))
    log_sigma = rng.normal(0.0, 0.5, size=(3, 4))
    closed = gaussian_kl(mu, log_sigma, prior_mean, prior_variance)
    draws = 200_000
    sigma = np.exp(log_sigma)
    for d in range(3):
        z = mu[d] + sigma[d] * rng.standard_normal((draws, 4))
        log_q = -0.5 * ((z - mu[d]) / sigma[d]) ** 2 - log_sigma[d] - 0.5 * math.log(2 * math.pi)
        log_p = (-0.5 * (z - prior_mean) ** 2 / prior_variance
                 - 0.5 * math.log(2 * math.pi * prior_variance))
        samples = (log_q - log_p).sum(axis=1)
        standard_error = samples.std() / math.sqrt(draws)
        assert abs(samples.mean() - closed[d]) < 5 * standard_error + 1e-3


def test_zero_at_the_prior_and_positive_elsewhere():
    log_var = math.log(2.5)
    at_prior = gaussian_kl(np.full((1, 5), 0.7), np.full((1, 5), 0.5 * log_var), 0.7, 2.5)
    assert at_prior[0] == pytest.approx(0.0, abs=1e-12)
    rng = np.random.default_rng(1)
    away = gaussian_kl(rng.normal(size=(50, 5)), rng.normal(size=(50, 5)), 0.0, 1.0)
    assert np.all(away > 0)


def test_known_value():
    # KL(N(1, e^2) || N(0, 1)) = -1 + (e^2 + 1) / 2 - 1/2 = e^2 / 2 - 1 per dimension
    value = gaussian_kl(np.ones((1, 2)), np.ones((1, 2)), 0.0, 1.0)[0]
    assert value == pytest.approx(2 * (math.e ** 2 / 2 - 1), rel=1e-12)
