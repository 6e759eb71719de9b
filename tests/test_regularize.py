import numpy as np
import pytest
import torch

from deepwhy import data, nets, regularize, train


def test_soft_threshold_zeroes_small_weights_and_shrinks_the_rest():
    w = np.array([-3.0, -0.5, 0.0, 0.2, 2.0])
    np.testing.assert_array_equal(regularize.soft_threshold(w, 1.0), [-2.0, 0.0, 0.0, 0.0, 1.0])
    np.testing.assert_array_equal(regularize.soft_threshold(w, 0.0), w)
    with pytest.raises(ValueError, match="threshold"):
        regularize.soft_threshold(w, -0.1)


def _lasso_objective(X, y, w, lam):
    return 0.5 * np.mean((X @ w - y) ** 2) + lam * np.abs(w).sum()


def test_ista_reaches_the_lasso_optimum_and_zeros_most_weights():
    X, y, w_true = (t.numpy() for t in data.sparse_linear(n=40, d=50, members=3, seed=1))
    w = regularize.lasso_ista(X, y, lam=0.1, steps=3000)
    assert w.shape == (3, 50)
    for m in range(3):
        # the optimality (KKT) conditions of the lasso: |grad_j| <= lam, with equality where w_j != 0
        grad = X[m].T @ (X[m] @ w[m] - y[m]) / 40
        assert np.all(np.abs(grad) <= 0.1 + 1e-6)
        nz = w[m] != 0
        np.testing.assert_allclose(grad[nz], -0.1 * np.sign(w[m, nz]), atol=1e-6)
        # and no random nearby point does better
        rng = np.random.default_rng(m)
        best = _lasso_objective(X[m], y[m], w[m], 0.1)
        for _ in range(20):
            assert _lasso_objective(X[m], y[m], w[m] + 1e-3 * rng.standard_normal(50), 0.1) >= best - 1e-12
    assert (w == 0).sum(axis=1).min() >= 40


def test_ridge_gd_matches_the_closed_form():
    X, y, _ = (t.numpy() for t in data.sparse_linear(n=30, d=10, members=2, seed=0))
    w = regularize.ridge_gd(X, y, lam=0.5, steps=2000)
    for m in range(2):
        exact = np.linalg.solve(X[m].T @ X[m] / 30 + 0.5 * np.eye(10), X[m].T @ y[m] / 30)
        np.testing.assert_allclose(w[m], exact, atol=1e-10)
    assert (w == 0).sum() == 0


@pytest.mark.parametrize("solver", [regularize.lasso_ista, regularize.ridge_gd])
def test_solvers_validate_their_inputs(solver):
    X = np.zeros((5, 3))
    with pytest.raises(ValueError, match="y must have shape"):
        solver(X, np.zeros(4), 0.1)
    with pytest.raises(ValueError, match="X must have shape"):
        solver(np.zeros(5), np.zeros(5), 0.1)
    with pytest.raises(ValueError, match="lam"):
        solver(X, np.zeros(5), -1.0)
    with pytest.raises(ValueError, match="steps"):
        solver(X, np.zeros(5), 0.1, steps=0)


def test_dropout_ensemble_is_the_plain_ensemble_in_eval_mode_and_random_in_training():
    ens = nets.EnsembleMLP([1, 32, 32, 1], members=3, seed=0)
    model = regularize.DropoutEnsemble(ens, p=0.5, seed=4)
    X = torch.linspace(-1, 1, 7).reshape(-1, 1)
    model.eval()
    assert torch.equal(model(X), ens(X))
    model.train()
    a, b = model(X), model(X)
    assert a.shape == (3, 7, 1) and not torch.equal(a, b)
    again = regularize.DropoutEnsemble(ens, p=0.5, seed=4)
    assert torch.equal(again(X), a)


def test_dropout_keeps_the_expected_activation_and_drops_about_p():
    ens = nets.EnsembleMLP([4, 2000, 1], members=2, activation="identity", bias=False, seed=0)
    with torch.no_grad():
        ens.weights[0].fill_(1.0)
        ens.weights[1].fill_(1.0)
    model = regularize.DropoutEnsemble(ens, p=0.3, seed=0)
    out = model(torch.ones(50, 4)) / 4  # each of the 2000 hidden units carries 4 before dropout
    kept = out / (2000 / 0.7)
    assert abs(kept.mean().item() - 0.7) < 0.01
    assert abs(out.mean().item() - 2000) < 30


def test_a_dropout_ensemble_trains_with_fit():
    X, y = data.noisy_sine(n=20, members=2, seed=0)
    model = regularize.DropoutEnsemble(nets.EnsembleMLP([1, 16, 1], members=2, seed=0), p=0.2, seed=0)
    hist = train.fit(model, X, y, loss="mse", optimizer="adam", lr=1e-2, steps=200, progress=False)
    assert hist.loss.shape == (101, 2)
    assert (hist.loss[-1] < hist.loss[0]).all()


@pytest.mark.parametrize("bad,match", [(dict(p=1.0), "p must"), (dict(p=-0.1), "p must"),
                                       (dict(ensemble="net"), "ensemble"), (dict(seed=-1), "seed")])
def test_dropout_ensemble_validates(bad, match):
    args = dict(ensemble=nets.EnsembleMLP([1, 4, 1], members=1), p=0.5, seed=0)
    args.update(bad)
    with pytest.raises(ValueError, match=match):
        regularize.DropoutEnsemble(**args)


def test_noisy_sine_shapes_seeds_and_noise():
    X, y = data.noisy_sine(n=25, members=4, noise=0.0, seed=3)
    assert X.shape == y.shape == (4, 25, 1)
    assert torch.allclose(y, torch.sin(3 * X), atol=1e-6)
    assert X.min() >= -1 and X.max() <= 1
    X2, _ = data.noisy_sine(n=25, members=4, seed=3)
    assert torch.equal(X, X2)
    assert not torch.equal(X[0], X[1])
    with pytest.raises(ValueError, match="high"):
        data.noisy_sine(low=1.0, high=0.0)
    with pytest.raises(ValueError, match="n must"):
        data.noisy_sine(n=0)


def test_sparse_linear_has_the_requested_support():
    X, y, w = data.sparse_linear(n=10, d=20, coef=(1.0, -2.0), noise=0.0, members=3, seed=0)
    assert X.shape == (3, 10, 20) and y.shape == (3, 10) and w.shape == (3, 20)
    assert ((w != 0).sum(dim=1) == 2).all()
    assert sorted(w[0][w[0] != 0].tolist()) == [-2.0, 1.0]
    assert torch.allclose(y, torch.einsum("mnd,md->mn", X, w))
    with pytest.raises(ValueError, match="coef"):
        data.sparse_linear(d=1, coef=(1.0, 2.0))


def test_dropout_can_differ_between_members():
    ens = nets.EnsembleMLP([1, 64, 1], members=2, seed=0)
    with torch.no_grad():  # make member 1 a copy of member 0
        for W in list(ens.weights) + list(ens.biases):
            W[1] = W[0]
    model = regularize.DropoutEnsemble(ens, p=[0.0, 0.5], seed=0)
    X = torch.linspace(-1, 1, 9).reshape(-1, 1)
    out = model(X)
    model.eval()
    plain = model(X)
    # p = 0: untouched (up to rounding: the plain ensemble runs its hand-written fast path)
    torch.testing.assert_close(out[0], plain[0], rtol=1e-6, atol=1e-7)
    assert (out[1] - plain[1]).abs().max() > 1e-2
    with pytest.raises(ValueError, match="one per member"):
        regularize.DropoutEnsemble(ens, p=[0.1, 0.2, 0.3])
    model.train()
    with pytest.raises(ValueError, match="sizes\\[0\\]"):  # the ensemble's own check of X
        model(torch.zeros(3, 5))
