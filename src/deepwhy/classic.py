"""Classic learning procedures from before deep learning worked, written out to be rerun.

- the perceptron rule of Rosenblatt (1958), epoch by epoch, in numpy;
- Ivakhnenko's group method of data handling (GMDH, 1965): a polynomial network grown
  layer by layer with least squares, with no backpropagation;
- the gradient norm of every layer of a deep net, which shows why deep sigmoid nets
  could not be trained before ReLUs and better initializations.

Used in: history.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import torch

from . import nets, train
from ._validate import one_of, positive_float, positive_int


def _as_2d(name: str, X) -> np.ndarray:
    X = np.asarray(X.detach().cpu().numpy() if isinstance(X, torch.Tensor) else X, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] == 0:
        raise ValueError(f"{name} must be a non-empty 2-D array (n, d), got shape {X.shape}")
    return X


def _as_1d(name: str, y, n: int) -> np.ndarray:
    y = np.asarray(y.detach().cpu().numpy() if isinstance(y, torch.Tensor) else y, dtype=np.float64)
    y = y.reshape(-1) if y.ndim == 2 and 1 in y.shape else y
    if y.shape != (n,):
        raise ValueError(f"{name} must hold one value per example, shape ({n},), got shape {y.shape}")
    return y


# --------------------------------------------------------------------------------------
# The perceptron
# --------------------------------------------------------------------------------------

def perceptron_predict(w: np.ndarray, b: float, X) -> np.ndarray:
    """Return the perceptron's outputs in {0, 1}: 1 where ``X @ w + b > 0``, else 0.

    Used in: history (the perceptron and the first winter).
    """
    X = _as_2d("X", X)
    w = np.asarray(w, dtype=np.float64).reshape(-1)
    if w.shape != (X.shape[1],):
        raise ValueError(f"w must have one weight per input column, shape ({X.shape[1]},), got {w.shape}")
    return (X @ w + float(b) > 0).astype(np.float64)


def perceptron_step(w: np.ndarray, b: float, x: np.ndarray, y: float, lr: float = 1.0):
    """Return ``(w, b)`` after one application of the perceptron rule to the example ``(x, y)``.

    The rule: predict ``y_hat = 1 if w.x + b > 0 else 0``; then ``w += lr (y - y_hat) x`` and
    ``b += lr (y - y_hat)``. A correct prediction leaves the weights unchanged.

    Args:
        w: weights, shape (d,). b: bias. x: one input, shape (d,). y: its label, 0 or 1.
        lr: step size (1 in Rosenblatt's rule; any positive value gives the same lines when w, b start at 0).

    Used in: history (and its first exercise).
    """
    positive_float("lr", lr)
    if y not in (0, 1, 0.0, 1.0):
        raise ValueError(f"y must be 0 or 1, got {y!r}")
    w = np.asarray(w, dtype=np.float64).reshape(-1)
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    if x.shape != w.shape:
        raise ValueError(f"x must have the shape of w, {w.shape}, got {x.shape}")
    error = float(y) - float(x @ w + b > 0)
    return w + lr * error * x, float(b) + lr * error


@dataclass
class PerceptronRun:
    """The record of :func:`train_perceptron`, one row per epoch (row 0 = before training).

    Attributes:
        weights: (epochs + 1, d) weights at the end of each epoch.
        biases: (epochs + 1,) biases at the end of each epoch.
        mistakes: (epochs,) number of updates made during each epoch.
        accuracy: (epochs + 1,) training accuracy of the weights at the end of each epoch.
        converged_epoch: the first epoch (1-based) with no mistake, or None.
        cycle: ``(first, period)`` if the end-of-epoch weights returned to an earlier state while
            still making mistakes, which proves the rule will loop forever; else None.
    """

    weights: np.ndarray
    biases: np.ndarray
    mistakes: np.ndarray
    accuracy: np.ndarray
    converged_epoch: int | None
    cycle: tuple[int, int] | None

    @property
    def epochs(self) -> int:
        """Return the number of epochs that were run."""
        return len(self.mistakes)


def train_perceptron(X, y, epochs: int = 1000, lr: float = 1.0, w0=None, b0: float = 0.0,
                     shuffle_seed: int | None = None) -> PerceptronRun:
    """Return the :class:`PerceptronRun` of the perceptron rule on ``(X, y)``, epoch by epoch.

    Training stops after the first epoch without a mistake, or after ``epochs`` epochs.

    Args:
        X: inputs (n, d); y: labels in {0, 1}, shape (n,) or (n, 1).
        epochs: the most passes over the data.
        lr: step size of :func:`perceptron_step`.
        w0, b0: starting weights (default zeros) and bias.
        shuffle_seed: ``None`` visits the examples in their given order every epoch; an integer
            shuffles the order each epoch with a generator seeded by it.

    Used in: history (the perceptron and the first winter).
    """
    X = _as_2d("X", X)
    y = _as_1d("y", y, X.shape[0])
    if not np.isin(y, (0.0, 1.0)).all():
        raise ValueError(f"y must contain only 0 and 1, got values {np.unique(y)}")
    epochs = positive_int("epochs", epochs)
    positive_float("lr", lr)
    w = np.zeros(X.shape[1]) if w0 is None else np.asarray(w0, dtype=np.float64).reshape(-1).copy()
    if w.shape != (X.shape[1],):
        raise ValueError(f"w0 must have shape ({X.shape[1]},), got {w.shape}")
    b = float(b0)
    rng = None if shuffle_seed is None else np.random.default_rng(positive_int("shuffle_seed", shuffle_seed, 0))
    weights, biases, accuracy, mistakes = [w.copy()], [b], [np.mean(perceptron_predict(w, b, X) == y)], []
    seen = {(tuple(w), b): 0}
    converged, cycle = None, None
    for epoch in range(1, epochs + 1):
        order = np.arange(len(X)) if rng is None else rng.permutation(len(X))
        errors = 0
        for i in order:
            w_new, b_new = perceptron_step(w, b, X[i], y[i], lr)
            errors += int(b_new != b or not np.array_equal(w_new, w))
            w, b = w_new, b_new
        weights.append(w.copy())
        biases.append(b)
        mistakes.append(errors)
        accuracy.append(np.mean(perceptron_predict(w, b, X) == y))
        if errors == 0:
            converged = epoch
            break
        state = (tuple(w), b)
        if rng is None and cycle is None and state in seen:
            cycle = (seen[state], epoch - seen[state])
        seen.setdefault(state, epoch)
    return PerceptronRun(np.array(weights), np.array(biases), np.array(mistakes), np.array(accuracy),
                         converged, cycle)


# --------------------------------------------------------------------------------------
# GMDH: Ivakhnenko's polynomial network, grown layer by layer
# --------------------------------------------------------------------------------------

def quadratic_features(a, b) -> np.ndarray:
    """Return the (n, 6) design matrix ``[1, a, b, a^2, b^2, a*b]`` of one GMDH unit.

    Used in: history (GMDH, and its second exercise).
    """
    a = np.asarray(a, dtype=np.float64).reshape(-1)
    b = np.asarray(b, dtype=np.float64).reshape(-1)
    if a.shape != b.shape or a.size == 0:
        raise ValueError(f"a and b must be non-empty and of equal length, got shapes {a.shape} and {b.shape}")
    return np.stack([np.ones_like(a), a, b, a * a, b * b, a * b], axis=1)


def fit_gmdh_unit(a, b, y) -> np.ndarray:
    """Return the 6 least-squares coefficients of ``y ~ c0 + c1 a + c2 b + c3 a^2 + c4 b^2 + c5 a b``.

    Used in: history (GMDH, and its second exercise).
    """
    A = quadratic_features(a, b)
    y = _as_1d("y", y, A.shape[0])
    coef, *_ = np.linalg.lstsq(A, y, rcond=None)
    return coef


@dataclass
class GMDH:
    """A fitted GMDH network: ``layers[k]`` lists the units kept in layer ``k + 1``.

    Each unit is ``(i, j, coef)``: it reads features ``i`` and ``j`` of the layer below (the
    inputs, for the first layer) and outputs ``quadratic_features(f_i, f_j) @ coef``.
    ``val_mse[k]`` is the validation error of the best unit of layer ``k + 1``. Growth stopped
    when a new layer did not improve on the previous one, so ``best_layer`` (1-based) is the
    layer used for predictions by default.
    """

    layers: list
    val_mse: np.ndarray
    best_layer: int

    def predict(self, X, layer: int | None = None) -> np.ndarray:
        """Return the best unit's output of ``layer`` (1-based; default ``best_layer``) for inputs X (n, d)."""
        layer = self.best_layer if layer is None else layer
        if isinstance(layer, bool) or not isinstance(layer, int) or not 1 <= layer <= len(self.layers):
            raise ValueError(f"layer must be an integer in [1, {len(self.layers)}], got {layer!r}")
        F = _as_2d("X", X)
        for units in self.layers[:layer]:
            F = np.stack([quadratic_features(F[:, i], F[:, j]) @ c for i, j, c in units], axis=1)
        return F[:, 0]


def fit_gmdh(X_train, y_train, X_val, y_val, keep: int = 8, max_layers: int = 6) -> GMDH:
    """Return a :class:`GMDH` network grown on ``(X_train, y_train)`` and pruned on ``(X_val, y_val)``.

    Each layer fits one quadratic unit (:func:`fit_gmdh_unit`) to the target for every pair of
    features of the layer below, by least squares on the training set, and keeps the ``keep``
    units with the lowest validation error as the next layer's features. Growth stops when the
    best validation error of a new layer is not lower than the previous layer's, or after
    ``max_layers`` layers.

    Used in: history (Ivakhnenko's GMDH).
    """
    Xt, Xv = _as_2d("X_train", X_train), _as_2d("X_val", X_val)
    if Xt.shape[1] != Xv.shape[1] or Xt.shape[1] < 2:
        raise ValueError(f"X_train and X_val must have the same number (>= 2) of columns, "
                         f"got {Xt.shape} and {Xv.shape}")
    yt, yv = _as_1d("y_train", y_train, len(Xt)), _as_1d("y_val", y_val, len(Xv))
    keep = positive_int("keep", keep, minimum=2)
    max_layers = positive_int("max_layers", max_layers)
    layers, val_mse = [], []
    Ft, Fv = Xt, Xv
    for _ in range(max_layers):
        units = []
        for i, j in itertools.combinations(range(Ft.shape[1]), 2):
            coef = fit_gmdh_unit(Ft[:, i], Ft[:, j], yt)
            zv = quadratic_features(Fv[:, i], Fv[:, j]) @ coef
            units.append((float(np.mean((zv - yv) ** 2)), i, j, coef))
        units.sort(key=lambda u: u[0])
        kept = units[:keep]
        layers.append([(i, j, c) for _, i, j, c in kept])
        val_mse.append(kept[0][0])
        Ft = np.stack([quadratic_features(Ft[:, i], Ft[:, j]) @ c for _, i, j, c in kept], axis=1)
        Fv = np.stack([quadratic_features(Fv[:, i], Fv[:, j]) @ c for _, i, j, c in kept], axis=1)
        if len(val_mse) > 1 and val_mse[-1] >= val_mse[-2]:
            break
    best = int(np.argmin(val_mse)) + 1
    return GMDH(layers, np.array(val_mse), best)


def linear_regression_mse(X_train, y_train, X_test, y_test) -> float:
    """Return the test mean squared error of ordinary least squares (with intercept) fitted on the training set.

    Used in: history (the baseline GMDH is compared with).
    """
    Xt, Xs = _as_2d("X_train", X_train), _as_2d("X_test", X_test)
    yt, ys = _as_1d("y_train", y_train, len(Xt)), _as_1d("y_test", y_test, len(Xs))
    coef, *_ = np.linalg.lstsq(np.c_[np.ones(len(Xt)), Xt], yt, rcond=None)
    return float(np.mean((np.c_[np.ones(len(Xs)), Xs] @ coef - ys) ** 2))


def cubic_task(n: int, noise: float = 0.05, seed: int = 0):
    """Return ``(X, y)`` numpy arrays with ``y = x1 x2 x3 + x4^2 - x5 + noise * N(0, 1)``, ``x ~ U[-1, 1]^5``.

    No pair of inputs predicts the ``x1 x2 x3`` term: averaged over the third factor it is zero.

    Used in: history (GMDH against linear regression and backprop).
    """
    n = positive_int("n", n)
    positive_float("noise", noise, allow_zero=True)
    rng = np.random.default_rng(positive_int("seed", seed, minimum=0))
    X = rng.uniform(-1, 1, size=(n, 5))
    y = X[:, 0] * X[:, 1] * X[:, 2] + X[:, 3] ** 2 - X[:, 4] + noise * rng.standard_normal(n)
    return X, y


# --------------------------------------------------------------------------------------
# Vanishing gradients: the gradient norm of each layer
# --------------------------------------------------------------------------------------

#: the standard initialization gain per activation: N(0, gain^2 / fan_in)
STANDARD_GAIN = {"sigmoid": 1.0, "tanh": 1.0, "relu": math.sqrt(2.0)}


def layer_gradient_norms(model: nets.EnsembleMLP, X: torch.Tensor, y: torch.Tensor,
                         loss: str = "mse") -> np.ndarray:
    """Return the Frobenius norm of dLoss/dW for every weight matrix: shape (members, layers).

    Column 0 is the first layer (next to the input), the last column the output layer. Each
    member's loss is its own, so every row is one independent network.

    Used in: history (vanishing gradients), and its explorer.
    """
    if not isinstance(model, nets.EnsembleMLP):
        raise ValueError(f"model must be a deepwhy.nets.EnsembleMLP, got {type(model).__name__}")
    per_member = train.loss_per_member(loss, model(X), y)
    grads = torch.autograd.grad(per_member.sum(), list(model.weights))
    return torch.stack([g.flatten(1).norm(dim=1) for g in grads], dim=1).detach().cpu().numpy()


def deep_net_gradients(activation: str, depth: int = 20, width: int = 100, n: int = 256,
                       members: int = 10, gain: float | None = None, seed: int = 0,
                       dtype: torch.dtype = torch.float64) -> np.ndarray:
    """Return the per-layer gradient norms (members, depth + 1) of fresh deep nets on a random regression batch.

    The nets have ``depth`` hidden layers of ``width`` units, no biases, weights drawn from
    N(0, gain^2 / fan_in) (``gain`` defaults to :data:`STANDARD_GAIN`: 1 for sigmoid and tanh,
    sqrt(2), He's, for ReLU), and one linear output. The batch is ``n`` standard-normal inputs
    with standard-normal targets, and the loss is the mean squared error.

    Used in: history (vanishing gradients), and its explorer.
    """
    one_of("activation", activation, STANDARD_GAIN)
    depth, width = positive_int("depth", depth), positive_int("width", width)
    n, members = positive_int("n", n), positive_int("members", members)
    gain = STANDARD_GAIN[activation] if gain is None else positive_float("gain", gain)
    seed = positive_int("seed", seed, minimum=0)
    model = nets.EnsembleMLP([width] * (depth + 1) + [1], members=members, activation=activation,
                             init="normal", init_scale=gain, bias=False, seed=seed, dtype=dtype)
    gen = torch.Generator().manual_seed(seed)
    X = torch.randn(n, width, generator=gen, dtype=dtype)
    y = torch.randn(n, 1, generator=gen, dtype=dtype)
    return layer_gradient_norms(model, X, y)
