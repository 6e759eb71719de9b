"""Backpropagation as local rules: a multilayer perceptron in numpy, read next to Dettmers' rules.

Dettmers (2015) teaches backprop as rules, not formulas. For one layer with weights ``W`` and
an element-wise function ``f``, the engine below is those rules, one line each:

forward pass, first layer to last
    F1  meet a weight matrix: multiply by it          ``Z = A @ W + b``
    F2  meet a function: apply it                     ``A = f(Z)``
    F3  the output of one layer is the next one's input
    F4  meet the error function: apply it, which gives the error for the backward pass
backward pass, last layer to first
    B2  meet a function: multiply element-wise by its derivative at the forward input
                                                      ``dZ = dA * f'(Z)``
    B1  meet a weight matrix: multiply by its transpose   ``dA = dZ @ W.T``
    B3  the error of one layer is the next one's (going backwards) input error
gradient
    G   (forward output of the layer before)ᵀ × (error after B2)   ``dW = A.T @ dZ``

A bias is a weight on an input that is always 1, so rule G gives ``db = dZ.sum(axis=0)``.

For contrast, :func:`jvp` runs the chain rule forwards (forward mode): each forward rule also
carries a derivative along one parameter direction, so a whole gradient takes one pass per
parameter (:func:`forward_mode_gradient`) where the backward pass takes one.

Used in: the backprop chapter (and as a reference engine in later chapters).
"""
from __future__ import annotations

import numpy as np
import torch

from ._validate import one_of, positive_float, sizes as _check_sizes
from .nets import init_layers


def sigmoid(z):
    """Return the logistic function 1 / (1 + exp(-z)), written through tanh so it never overflows.

    Used in: the backprop chapter (the sigmoid of :data:`ACTIVATIONS`).
    """
    return 0.5 * (1.0 + np.tanh(0.5 * z))


#: name -> (f, f'), each taking the pre-activation Z of the forward pass
ACTIVATIONS = {
    "sigmoid": (sigmoid, lambda z: sigmoid(z) * (1.0 - sigmoid(z))),
    "tanh": (np.tanh, lambda z: 1.0 - np.tanh(z) ** 2),
    "relu": (lambda z: np.maximum(z, 0.0), lambda z: (z > 0).astype(np.float64)),
    "identity": (lambda z: z, np.ones_like),
}


class MLP:
    """A multilayer perceptron whose forward and backward passes follow Dettmers' rules.

    Args:
        sizes: layer widths, input first, e.g. ``[3, 5, 2]``.
        activation: ``"sigmoid"``, ``"tanh"``, ``"relu"`` or ``"identity"`` on the hidden layers;
            the output layer is always the identity.
        seed: seeds the initial weights. They equal those of
            ``deepwhy.nets.mlp(sizes, seed=seed, dtype=torch.float64)`` for the same ``init``.
        init, init_scale: passed to :func:`deepwhy.nets.init_layers` (default: PyTorch's uniform).

    ``params`` is a list of ``(W, b)`` float64 arrays, ``W`` of shape ``(fan_in, fan_out)``.
    After ``forward``: ``A[l]`` is the input of layer ``l`` (``A[0] = X``, ``A[-1]`` the output)
    and ``Z[l]`` its pre-activation. After ``backward``: ``dA[l]`` is the error arriving at the
    output of layer ``l`` and ``dZ[l]`` the error after rule B2.

    Used in: the backprop chapter.
    """

    def __init__(self, sizes, activation: str = "sigmoid", seed: int = 0, init: str = "uniform",
                 init_scale: float = 1.0):
        self.sizes = _check_sizes("sizes", sizes)
        self.activation = one_of("activation", activation, ACTIVATIONS)
        layers = init_layers(self.sizes, init_scale, True, seed, init, torch.float64)
        self.params = [(W.numpy().copy(), b.numpy().copy()) for W, b in layers]
        self.A = self.Z = self.dA = self.dZ = self.dX = None

    def forward(self, X):
        """Return the output (n, sizes[-1]) for X (n, sizes[0]); cache A and Z."""
        f, _ = ACTIVATIONS[self.activation]
        self.A, self.Z = [self._checked_input(X)], []
        for l, (W, b) in enumerate(self.params):
            self.Z.append(self.A[l] @ W + b)  # F1: weight matrix -> multiply
            hidden = l < len(self.params) - 1
            self.A.append(f(self.Z[l]) if hidden else self.Z[l])  # F2: apply f; F3
        self.dA = self.dZ = self.dX = None
        return self.A[-1]

    def backward(self, dY):
        """Return [(dW, db), ...] like params, given dY = dLoss/dOutput."""
        dA = self._checked_error(dY)  # F4's error enters the last layer
        _, df = ACTIVATIONS[self.activation]
        L = len(self.params)
        self.dA, self.dZ, grads = [None] * L, [None] * L, [None] * L
        for l in reversed(range(L)):
            W, _ = self.params[l]
            hidden = l < L - 1
            dZ = dA * df(self.Z[l]) if hidden else dA  # B2: function -> times f'(Z)
            grads[l] = (self.A[l].T @ dZ, dZ.sum(axis=0))  # G: inputᵀ @ error
            self.dA[l], self.dZ[l] = dA, dZ
            dA = dZ @ W.T  # B1: weight matrix -> times Wᵀ; B3
        self.dX = dA
        return grads

    def _checked_input(self, X):
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.sizes[0]:
            raise ValueError(f"X must have shape (n, {self.sizes[0]}), got {X.shape}")
        return X

    def _checked_error(self, dY):
        if self.Z is None:
            raise ValueError("backward needs the cache of a forward pass: call forward(X) first")
        dY = np.asarray(dY, dtype=np.float64)
        if dY.shape != self.A[-1].shape:
            raise ValueError(f"dY must have the output's shape {self.A[-1].shape}, got {dY.shape}")
        return dY

    def __repr__(self) -> str:
        return f"MLP(sizes={self.sizes}, activation={self.activation!r})"


# --- error functions (rule F4): each returns the loss and dLoss/dOutput -------------------------

def mse(Y, T):
    """Return ``(loss, dY)`` for the mean squared error over all entries of ``Y`` against targets ``T``.

    Used in: the backprop chapter.
    """
    Y, T = np.asarray(Y, dtype=np.float64), np.asarray(T, dtype=np.float64)
    if Y.shape != T.shape:
        raise ValueError(f"T must have the shape of Y {Y.shape}, got {T.shape}")
    diff = Y - T
    return float(np.mean(diff ** 2)), 2.0 * diff / diff.size


def log_softmax(Y):
    """Return the row-wise log-softmax of the logits ``Y`` (n, k), shifted by the row maximum for stability.

    Used in: the backprop chapter, through :func:`softmax_cross_entropy`.
    """
    shifted = Y - Y.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def softmax_cross_entropy(Y, labels):
    """Return ``(loss, dY)`` for the mean cross-entropy of softmax(logits ``Y``) against integer ``labels``.

    ``dY = (softmax(Y) - onehot(labels)) / n``. Used in: the backprop chapter (the 100-layer picture).
    """
    Y = np.asarray(Y, dtype=np.float64)
    labels = np.asarray(labels)
    if Y.ndim != 2:
        raise ValueError(f"Y must be (n, classes) logits, got shape {Y.shape}")
    if labels.shape != (len(Y),) or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must be {len(Y)} integers, got {labels.dtype} array of shape {labels.shape}")
    if labels.min() < 0 or labels.max() >= Y.shape[1]:
        raise ValueError(f"labels must lie in [0, {Y.shape[1] - 1}], got {labels.min()}..{labels.max()}")
    logP = log_softmax(Y)
    n = len(Y)
    loss = -np.mean(logP[np.arange(n), labels])
    dY = np.exp(logP)
    dY[np.arange(n), labels] -= 1.0
    return float(loss), dY / n


LOSSES = {"mse": mse, "cross_entropy": softmax_cross_entropy}


def gradient(model: MLP, X, targets, loss: str = "mse"):
    """Return ``(loss value, [(dW, db), ...])``: forward pass, error function (F4), backward pass.

    Used in: the backprop chapter.
    """
    one_of("loss", loss, LOSSES)
    value, dY = LOSSES[loss](model.forward(X), targets)
    return value, model.backward(dY)


def loss_of(model: MLP, X, targets, loss: str = "mse") -> float:
    """Return the loss of ``model`` on ``(X, targets)``: one forward pass and the error function.

    Used in: the backprop chapter (the function that finite differences nudge).
    """
    one_of("loss", loss, LOSSES)
    return LOSSES[loss](model.forward(X), targets)[0]


# --- forward mode: the chain rule run in the other direction ------------------------------------

def jvp(model: MLP, X, targets, tangent, loss: str = "mse"):
    """Return ``(loss value, directional derivative)``: the loss and its rate of change along ``tangent``.

    Forward mode (a Jacobian-vector product): every forward rule carries, beside its value, the
    value's derivative along one direction ``tangent`` in parameter space, written with a dot:

    - F1 ``Z = A @ W + b``  gives  ``Ż = Ȧ @ W + A @ Ẇ + ḃ``  (the input X has ``Ȧ = 0``)
    - F2 ``A = f(Z)``       gives  ``Ȧ = f'(Z) * Ż``
    - F4 the error function gives ``loss˙ = sum(dY * Ẏ)``, ``dY`` its derivative (as in :data:`LOSSES`)

    ``tangent`` is a list of ``(Ẇ, ḃ)`` arrays shaped like ``model.params``. One call is one
    pass through the network and yields one number, the gradient's component along ``tangent``;
    the whole gradient takes one pass per parameter (:func:`forward_mode_gradient`).
    Used in: the backprop chapter (forward against reverse mode) and its tests.
    """
    one_of("loss", loss, LOSSES)
    if len(tangent) != len(model.params) or any(
            np.shape(dW) != W.shape or np.shape(db) != b.shape
            for (dW, db), (W, b) in zip(tangent, model.params)):
        raise ValueError("tangent must be a list of (dW, db) arrays shaped like model.params, "
                         f"{[(W.shape, b.shape) for W, b in model.params]}")
    f, df = ACTIVATIONS[model.activation]
    A, dot_A = model._checked_input(X), None  # the data does not move with the parameters
    L = len(model.params)
    for l, ((W, b), (dot_W, dot_b)) in enumerate(zip(model.params, tangent)):
        Z = A @ W + b  # F1
        dot_Z = A @ dot_W + dot_b if dot_A is None else dot_A @ W + A @ dot_W + dot_b
        if l < L - 1:
            A, dot_A = f(Z), df(Z) * dot_Z  # F2 and its derivative; F3
        else:
            A, dot_A = Z, dot_Z  # the output layer is the identity
    value, dY = LOSSES[loss](A, targets)  # F4
    return value, float(np.sum(dY * dot_A))


def forward_mode_gradient(model: MLP, X, targets, loss: str = "mse"):
    """Return ``(loss value, [(dW, db), ...])`` by forward mode: one :func:`jvp` pass per parameter.

    Each pass pushes the unit direction of one weight or bias through the network, so a model
    with P parameters takes P passes, against one forward and one backward pass for
    :func:`gradient`. Used in: the backprop chapter (the cost of a gradient) and its tests.
    """
    zero = [(np.zeros_like(W), np.zeros_like(b)) for W, b in model.params]
    grads = [(np.zeros_like(W), np.zeros_like(b)) for W, b in model.params]
    value = loss_of(model, X, targets, loss)
    for l, pair in enumerate(zero):
        for k, direction in enumerate(pair):
            for i in np.ndindex(direction.shape):
                direction[i] = 1.0
                _, grads[l][k][i] = jvp(model, X, targets, zero, loss)
                direction[i] = 0.0
    return value, grads


# --- two independent references -----------------------------------------------------------------

def numerical_gradient(f, params, eps: float = 1e-6):
    """Return the central-difference gradient of ``f()`` with respect to every entry of ``params``.

    Args:
        f: a function of no arguments that returns the scalar loss computed from the arrays in
            ``params``. Each entry is nudged in place by ``±eps`` and restored, so ``f`` is called
            exactly twice per parameter.
        params: a list of float64 arrays or of tuples of them (e.g. ``MLP.params``).
        eps: the step of the central difference.

    Returns a list with the nesting of ``params``. Used in: the backprop chapter (checking the rules, the cost of a gradient).
    """
    if not callable(f):
        raise ValueError(f"f must be a callable of no arguments returning the loss, got {f!r}")
    eps = positive_float("eps", eps)
    grads = []
    for group in params:
        arrays = group if isinstance(group, (tuple, list)) else (group,)
        out = []
        for p in arrays:
            if not isinstance(p, np.ndarray) or p.dtype != np.float64:
                raise ValueError(f"params must hold float64 numpy arrays (nudged in place), got {type(p).__name__}"
                                 f"{'' if not isinstance(p, np.ndarray) else ' of dtype ' + str(p.dtype)}")
            d = np.zeros_like(p)
            for i in np.ndindex(p.shape):
                old = p[i]
                p[i] = old + eps
                up = float(f())
                p[i] = old - eps
                down = float(f())
                p[i] = old
                d[i] = (up - down) / (2.0 * eps)
            out.append(d)
        grads.append(tuple(out) if isinstance(group, (tuple, list)) else out[0])
    return grads


_TORCH_ACTIVATIONS = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu,
                      "identity": lambda z: z}


def autograd_gradient(model: MLP, X, targets, loss: str = "mse"):
    """Return ``(loss value, [(dW, db), ...])`` for ``model``'s current params computed by torch.autograd.

    An independent reference: the same network written in torch (float64), differentiated by
    PyTorch's reverse mode. Used in: the backprop chapter (checking the rules) and its tests.
    """
    one_of("loss", loss, LOSSES)
    X = torch.as_tensor(np.asarray(X, dtype=np.float64))
    if X.ndim != 2 or X.shape[1] != model.sizes[0]:
        raise ValueError(f"X must have shape (n, {model.sizes[0]}), got {tuple(X.shape)}")
    params = [(torch.tensor(W, requires_grad=True), torch.tensor(b, requires_grad=True))
              for W, b in model.params]
    f = _TORCH_ACTIVATIONS[model.activation]
    H = X
    for l, (W, b) in enumerate(params):
        H = H @ W + b
        if l < len(params) - 1:
            H = f(H)
    if loss == "mse":
        value = torch.mean((H - torch.as_tensor(np.asarray(targets, dtype=np.float64))) ** 2)
    else:
        value = torch.nn.functional.cross_entropy(H, torch.as_tensor(np.asarray(targets), dtype=torch.long))
    value.backward()
    return value.item(), [(W.grad.numpy(), b.grad.numpy()) for W, b in params]


def flatten(grads) -> np.ndarray:
    """Return every array in a (nested) list of gradients as one flat float64 vector.

    Used in: :func:`relative_error`.
    """
    if isinstance(grads, np.ndarray):
        return grads.astype(np.float64).ravel()
    parts = []
    for group in grads:
        for g in (group if isinstance(group, (tuple, list)) else (group,)):
            parts.append(np.asarray(g, dtype=np.float64).ravel())
    return np.concatenate(parts) if parts else np.zeros(0)


def relative_error(a, b) -> float:
    """Return max|a - b| / max(max|a|, max|b|) over two gradients (arrays or nested lists of arrays).

    Relative to the largest entry, so entries that happen to be near zero do not inflate it.
    Used in: the backprop chapter (checking the rules) and its tests.
    """
    a, b = flatten(a), flatten(b)
    if a.shape != b.shape:
        raise ValueError(f"a and b must hold the same number of entries, got {a.size} and {b.size}")
    scale = max(np.max(np.abs(a), initial=0.0), np.max(np.abs(b), initial=0.0))
    return 0.0 if scale == 0 else float(np.max(np.abs(a - b)) / scale)


# --- the article's picture: the shape of every matrix the rules meet ---------------------------

def _dims(shape) -> str:
    return "×".join(str(s) for s in shape)


def _table(header, rows) -> list[str]:
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    return ["  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip() for r in [header] + rows]


def shape_trace(model: MLP, grads) -> tuple[list[str], list[str]]:
    """Return ``(forward, backward)``: two text tables of the shapes each rule met, per layer.

    Each table is a list of lines: a header naming the rules, then one row per layer (forward:
    first layer to last; backward: last to first). The shapes are read off the arrays that the
    last ``forward`` and ``backward`` passes produced; ``grads`` is what ``backward`` returned.
    Used in: the backprop chapter (the 100-layer picture).
    """
    if model.dZ is None:
        raise ValueError("shape_trace needs a forward and a backward pass: call forward(X), then backward(dY)")
    if len(grads) != len(model.params):
        raise ValueError(f"grads must hold one (dW, db) per layer ({len(model.params)}), got {len(grads)}")
    L, f = len(model.params), model.activation
    forward, backward = [], []
    for l, (W, _) in enumerate(model.params):
        f1 = f"{_dims(model.A[l].shape)} @ {_dims(W.shape)} -> {_dims(model.Z[l].shape)}"
        f2 = f"{f}({_dims(model.Z[l].shape)}) -> {_dims(model.A[l + 1].shape)}" if l < L - 1 else "output"
        forward.append((l + 1, f1, f2))
    for l in reversed(range(L)):
        W = model.params[l][0]
        below = model.dA[l - 1] if l > 0 else model.dX
        b2 = (f"{_dims(model.dA[l].shape)} * {_dims(model.Z[l].shape)} -> {_dims(model.dZ[l].shape)}"
              if l < L - 1 else f"{_dims(model.dA[l].shape)}, no function")
        g = f"({_dims(model.A[l].shape)})ᵀ @ {_dims(model.dZ[l].shape)} -> {_dims(grads[l][0].shape)}"
        b1 = f"{_dims(model.dZ[l].shape)} @ {_dims(W.T.shape)} -> {_dims(below.shape)}"
        backward.append((l + 1, b2, g, b1))
    return (_table(("layer", "F1: A @ W -> Z", "F2: f(Z) -> A"), forward),
            _table(("layer", "B2: dA * f'(Z) -> dZ", "G: Aᵀ @ dZ -> dW", "B1: dZ @ Wᵀ -> dA below"), backward))
