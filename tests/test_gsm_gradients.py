"""GSM's analytic gradients against central finite differences (float64), for every parameter."""
import numpy as np
import pytest

from ldax.gsm import ACTIVATIONS, ENCODER_INPUTS, GSM

NUM_TERMS, NUM_TOPICS, NUM_DOCS = 25, 4, 6


def _model_and_batch(activation, encoder_input, hidden_sizes, seed=0, **options):
    rng = np.random.default_rng(seed)
    model = GSM(num_topics=NUM_TOPICS, id2word={i: f"w{i}" for i in range(NUM_TERMS)},
                hidden_sizes=hidden_sizes, activation=activation, encoder_input=encoder_input,
                embedding_size=3, kl_weight=0.7, prior_mean=0.3, prior_variance=2.0,
                dtype=np.float64, random_state=seed, **options)
    # move away from the initial zeros (log-sigma head, biases) so every term is exercised
    model.params.flat += rng.normal(0.0, 0.2, model.params.flat.shape)
    docs = [[(int(v), float(rng.integers(1, 6))) for v in rng.choice(NUM_TERMS, 7, replace=False)]
            for _ in range(NUM_DOCS - 1)] + [[]]          # an empty document too
    x = model._as_matrix(docs)
    eps = rng.standard_normal((NUM_DOCS, NUM_TOPICS))
    return model, x, eps


def _numeric_gradient(model, x, eps, step=1e-6, **masks):
    flat = model.params.flat
    grad = np.empty_like(flat)
    for i in range(flat.size):
        saved = flat[i]
        flat[i] = saved + step
        plus = model._net.loss_and_grad(x, eps, **masks)[0]
        flat[i] = saved - step
        minus = model._net.loss_and_grad(x, eps, **masks)[0]
        flat[i] = saved
        grad[i] = (plus - minus) / (2 * step)
    return grad


@pytest.mark.parametrize("activation,encoder_input,hidden_sizes", [
    ("relu", "log1p", (6, 5)),
    ("tanh", "counts", (5,)),
    ("softplus", "frequencies", (6, 4)),
    ("sigmoid", "log1p", (5,)),
    ("relu", "counts", ()),                 # heads straight on the sparse input
])
def test_every_parameter_matches_finite_differences(activation, encoder_input, hidden_sizes):
    model, x, eps = _model_and_batch(activation, encoder_input, hidden_sizes)
    _check_all_gradients(model, x, eps)


def _check_all_gradients(model, x, eps, **masks):
    model._net.loss_and_grad(x, eps, model._grads, **masks)
    numeric = _numeric_gradient(model, x, eps, **masks)
    checked = set()
    for name, analytic in model._grads.views.items():
        start = analytic.ctypes.data - model._grads.flat.ctypes.data
        offset = start // model._grads.flat.itemsize
        expected = numeric[offset:offset + analytic.size].reshape(analytic.shape)
        scale = max(np.abs(expected).max(), 1e-3)
        np.testing.assert_allclose(analytic, expected, rtol=0, atol=1e-6 * scale,
                                   err_msg=f"gradient of {name}")
        assert np.abs(expected).max() > 0 or name.startswith("encoder_b"), f"{name} untested (zero gradient)"
        checked.add(name)
    assert checked == {n for n, _ in model._layout()}


@pytest.mark.parametrize("activation,hidden_sizes", [("relu", (6, 5)), ("tanh", (5,)), ("relu", ())])
def test_gradients_with_topic_dropout(activation, hidden_sizes):
    """Topic dropout (theta renormalised over each document's kept topics), with the mask
    held fixed as training draws it."""
    model, x, eps = _model_and_batch(activation, "log1p", hidden_sizes, topic_dropout=0.5)
    keep = model._topic_keep(x.shape[0])
    assert keep.shape == eps.shape and keep.any(axis=1).all() and not keep.all()
    _check_all_gradients(model, x, eps, topic_keep=keep)
    # a dropped topic gets exactly zero weight, and the kept ones sum to 1
    theta = model._net.theta(eps, keep)
    assert np.all(theta[~keep] == 0)
    np.testing.assert_allclose(theta.sum(axis=1), 1.0)


def test_all_activations_and_inputs_are_covered():
    assert set(ACTIVATIONS) == {"relu", "tanh", "softplus", "sigmoid"}
    assert set(ENCODER_INPUTS) == {"log1p", "counts", "frequencies"}


def test_loss_is_reconstruction_plus_weighted_kl():
    model, x, eps = _model_and_batch("relu", "log1p", (5,))
    loss, reconstruction, kl = model._net.loss_and_grad(x, eps)
    assert reconstruction > 0 and kl > 0
    assert loss == pytest.approx(reconstruction + 0.7 * kl, rel=1e-12)
