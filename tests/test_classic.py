import numpy as np
import pytest
import torch

from deepwhy import classic, data, nets


# --- the perceptron ---------------------------------------------------------------------

def test_perceptron_step_updates_only_on_mistakes():
    w, b = np.array([1.0, -1.0]), 0.5
    x = np.array([1.0, 0.0])  # w.x + b = 1.5 > 0: predicts 1
    w2, b2 = classic.perceptron_step(w, b, x, 1.0)
    assert np.array_equal(w2, w) and b2 == b
    w3, b3 = classic.perceptron_step(w, b, x, 0.0)
    assert np.array_equal(w3, w - x) and b3 == b - 1


def test_perceptron_step_counts_a_tie_as_zero():
    w, b = classic.perceptron_step(np.zeros(2), 0.0, np.array([1.0, 1.0]), 1.0)
    assert np.array_equal(w, [1.0, 1.0]) and b == 1.0


@pytest.mark.parametrize("kwargs, word", [({"y": 2}, "y"), ({"x": np.ones(3)}, "x"), ({"lr": 0.0}, "lr")])
def test_perceptron_step_rejects_bad_input(kwargs, word):
    args = dict(w=np.zeros(2), b=0.0, x=np.ones(2), y=1.0) | kwargs
    with pytest.raises(ValueError, match=word):
        classic.perceptron_step(**args)


def test_perceptron_converges_on_or_and_and():
    for gate, epochs in [("or", 4), ("and", 6)]:
        run = classic.train_perceptron(*data.logic_gate(gate))
        assert run.converged_epoch == epochs and run.accuracy[-1] == 1.0
        assert run.weights.shape == (epochs + 1, 2) and run.mistakes[-1] == 0


def test_perceptron_cycles_forever_on_xor():
    run = classic.train_perceptron(*data.xor(), epochs=50)
    assert run.converged_epoch is None and run.epochs == 50
    assert run.cycle == (2, 1)
    assert run.accuracy.max() <= 0.75


def test_perceptron_with_shuffling_is_seeded():
    X, y = data.or_gate()
    a = classic.train_perceptron(X, y, shuffle_seed=3, w0=[0.3, -0.2], b0=0.1)
    b = classic.train_perceptron(X, y, shuffle_seed=3, w0=[0.3, -0.2], b0=0.1)
    assert np.array_equal(a.weights, b.weights) and a.converged_epoch is not None


@pytest.mark.parametrize("kwargs, word", [({"y": [0, 1, 2, 1]}, "y"), ({"epochs": 0}, "epochs"),
                                          ({"w0": [1.0]}, "w0"), ({"X": np.ones(4)}, "X")])
def test_train_perceptron_rejects_bad_input(kwargs, word):
    args = dict(X=np.eye(4)[:, :2], y=[0, 1, 1, 1]) | kwargs
    with pytest.raises(ValueError, match=word):
        classic.train_perceptron(**args)


def test_perceptron_predict():
    out = classic.perceptron_predict(np.array([1.0, 1.0]), -1.5, data.and_gate()[0])
    assert out.tolist() == [0, 0, 0, 1]
    with pytest.raises(ValueError, match="w"):
        classic.perceptron_predict(np.ones(3), 0.0, np.ones((2, 2)))


# --- GMDH -----------------------------------------------------------------------------

def test_quadratic_features_columns():
    A = classic.quadratic_features([2.0], [3.0])
    assert A.tolist() == [[1.0, 2.0, 3.0, 4.0, 9.0, 6.0]]
    with pytest.raises(ValueError, match="equal length"):
        classic.quadratic_features([1.0, 2.0], [1.0])


def test_gmdh_unit_recovers_an_exact_quadratic():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=50), rng.normal(size=50)
    c = np.array([0.5, -1.0, 2.0, 0.3, -0.7, 1.5])
    np.testing.assert_allclose(classic.fit_gmdh_unit(a, b, classic.quadratic_features(a, b) @ c), c, atol=1e-10)


def test_gmdh_beats_linear_regression_and_predicts_consistently():
    Xtr, ytr = classic.cubic_task(200, seed=0)
    Xva, yva = classic.cubic_task(100, seed=1)
    model = classic.fit_gmdh(Xtr, ytr, Xva, yva, keep=8, max_layers=4)
    assert 1 <= model.best_layer <= len(model.layers) <= 4
    assert len(model.layers[0]) == 8 and len(model.val_mse) == len(model.layers)
    pred = model.predict(Xva, 1)
    assert np.isclose(np.mean((pred - yva) ** 2), model.val_mse[0])
    lin = classic.linear_regression_mse(Xtr, ytr, Xva, yva)
    assert model.val_mse.min() < 0.5 * lin


def test_gmdh_stops_when_validation_error_stops_falling():
    Xtr, ytr = classic.cubic_task(200, seed=3)
    Xva, yva = classic.cubic_task(100, seed=4)
    model = classic.fit_gmdh(Xtr, ytr, Xva, yva, max_layers=10)
    v = model.val_mse
    assert len(v) == 10 or v[-1] >= v[-2]
    assert (np.diff(v[:-1]) < 0).all()


@pytest.mark.parametrize("kwargs, word", [({"keep": 1}, "keep"), ({"max_layers": 0}, "max_layers"),
                                          ({"y_val": np.ones(3)}, "y_val"), ({"X_val": np.ones((5, 2))}, "columns")])
def test_fit_gmdh_rejects_bad_input(kwargs, word):
    Xtr, ytr = classic.cubic_task(30, seed=0)
    args = dict(X_train=Xtr, y_train=ytr, X_val=Xtr[:5], y_val=ytr[:5]) | kwargs
    with pytest.raises(ValueError, match=word):
        classic.fit_gmdh(**args)


def test_gmdh_predict_rejects_bad_layer():
    Xtr, ytr = classic.cubic_task(40, seed=0)
    model = classic.fit_gmdh(Xtr, ytr, Xtr, ytr, max_layers=1)
    with pytest.raises(ValueError, match="layer"):
        model.predict(Xtr, 2)


def test_cubic_task_is_seeded_and_checked():
    X, y = classic.cubic_task(10, seed=5)
    X2, y2 = classic.cubic_task(10, seed=5)
    assert X.shape == (10, 5) and np.array_equal(y, y2) and np.array_equal(X, X2)
    X0, y0 = classic.cubic_task(4, noise=0.0, seed=1)
    np.testing.assert_allclose(y0, X0[:, 0] * X0[:, 1] * X0[:, 2] + X0[:, 3] ** 2 - X0[:, 4])
    with pytest.raises(ValueError, match="n"):
        classic.cubic_task(0)


# --- gradient norms -------------------------------------------------------------------

def test_layer_gradient_norms_match_autograd_on_one_member():
    ens = nets.EnsembleMLP([3, 4, 4, 1], members=2, activation="tanh", seed=7, dtype=torch.float64)
    X = torch.randn(5, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    y = torch.zeros(5, 1, dtype=torch.float64)
    G = classic.layer_gradient_norms(ens, X, y)
    assert G.shape == (2, 3)
    net = ens.member(1)
    ((net(X) - y) ** 2).mean().backward()
    ref = [m.weight.grad.norm().item() for m in net if isinstance(m, torch.nn.Linear)]
    np.testing.assert_allclose(G[1], ref, rtol=1e-10)


def test_deep_sigmoid_gradients_vanish_and_relu_gradients_do_not():
    sig = classic.deep_net_gradients("sigmoid", depth=10, width=50, n=32, members=3)
    relu = classic.deep_net_gradients("relu", depth=10, width=50, n=32, members=3)
    assert sig.shape == (3, 11)
    assert (sig[:, 0] / sig[:, 9] < 1e-4).all()
    assert (relu[:, 0] / relu[:, 9] > 0.01).all()


@pytest.mark.parametrize("kwargs, word", [({"activation": "gelu"}, "activation"), ({"depth": 0}, "depth"),
                                          ({"gain": -1.0}, "gain")])
def test_deep_net_gradients_rejects_bad_input(kwargs, word):
    args = dict(activation="tanh", depth=2, width=4, n=3, members=1) | kwargs
    with pytest.raises(ValueError, match=word):
        classic.deep_net_gradients(**args)


def test_layer_gradient_norms_needs_an_ensemble():
    with pytest.raises(ValueError, match="EnsembleMLP"):
        classic.layer_gradient_norms(nets.mlp([2, 1]), torch.zeros(1, 2), torch.zeros(1, 1))
