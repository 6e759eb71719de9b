"""Regularization written out: L1 by proximal gradient (ISTA), L2 by gradient descent, and dropout.

The L1 and L2 solvers work on a batch of least-squares problems at once (one per seed):
``X`` is ``(..., n, d)`` and ``y`` is ``(..., n)``. Both minimize

    (1 / 2n) ||X w - y||²  +  penalty(w)

with penalty ``lam * ||w||_1`` (L1) or ``lam / 2 * ||w||²`` (L2), at learning rate 1/L where
L is the largest eigenvalue of XᵀX / n. The L1 step is a gradient step followed by the
soft threshold, which sets small weights to exactly zero (Tibshirani's lasso, solved by ISTA).

:class:`DropoutEnsemble` adds dropout to an :class:`~deepwhy.nets.EnsembleMLP`, so many
seeds of a dropout network train as one batched model.

Used in: optimizers and regularization.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ._validate import positive_float, positive_int
from .nets import EnsembleMLP


def soft_threshold(w, threshold) -> np.ndarray:
    """Return sign(w) · max(|w| - threshold, 0): the proximal step of threshold · ||w||_1.

    Args:
        w: an array of weights.
        threshold: a number >= 0, or an array of them that broadcasts against ``w``.

    Used in: optimizers and regularization (L1 zeros weights).
    """
    threshold = np.asarray(threshold, dtype=np.float64)
    if not np.all(threshold >= 0):
        raise ValueError(f"threshold must be >= 0, got {threshold!r}")
    w = np.asarray(w, dtype=np.float64)
    return np.sign(w) * np.maximum(np.abs(w) - threshold, 0.0)


def _least_squares(X, y, lam, steps):
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if X.ndim < 2:
        raise ValueError(f"X must have shape (..., n, d), got {X.shape}")
    if y.shape != X.shape[:-1]:
        raise ValueError(f"y must have shape X.shape[:-1] = {X.shape[:-1]}, got {y.shape}")
    lam = positive_float("lam", lam, allow_zero=True)
    steps = positive_int("steps", steps)
    n = X.shape[-2]
    gram = np.swapaxes(X, -1, -2) @ X / n                      # (..., d, d)
    Xty = np.einsum("...nd,...n->...d", X, y) / n               # (..., d)
    lipschitz = np.linalg.eigvalsh(gram)[..., -1:]              # (..., 1)
    return gram, Xty, 1.0 / lipschitz, lam, steps


def lasso_ista(X, y, lam: float, steps: int = 3000) -> np.ndarray:
    """Return the L1-penalized least-squares weights after ``steps`` of ISTA: shape (..., d).

    Minimizes (1/2n)||Xw - y||² + lam ||w||_1 from w = 0 with step 1/L:
    w <- soft_threshold(w - (1/L) grad, lam / L).

    Args:
        X: (..., n, d) inputs, one problem per leading index (e.g. per seed).
        y: (..., n) targets.
        lam: the L1 strength, >= 0.
        steps: number of iterations.

    Used in: optimizers and regularization (L1 and L2).
    """
    gram, Xty, lr, lam, steps = _least_squares(X, y, lam, steps)
    w = np.zeros(Xty.shape)
    for _ in range(steps):
        grad = np.einsum("...ij,...j->...i", gram, w) - Xty
        w = soft_threshold(w - lr * grad, lr * lam)
    return w


def ridge_gd(X, y, lam: float, steps: int = 3000) -> np.ndarray:
    """Return the L2-penalized least-squares weights after ``steps`` of gradient descent: shape (..., d).

    Minimizes (1/2n)||Xw - y||² + (lam/2)||w||² from w = 0 with step 1/(L + lam).

    Args: as :func:`lasso_ista`, with ``lam`` the L2 strength.

    Used in: optimizers and regularization (L1 and L2).
    """
    gram, Xty, lr, lam, steps = _least_squares(X, y, lam, steps)
    lr = 1.0 / (1.0 / lr + lam)
    w = np.zeros(Xty.shape)
    for _ in range(steps):
        w = w - lr * (np.einsum("...ij,...j->...i", gram, w) - Xty + lam * w)
    return w


class DropoutEnsemble(nn.Module):
    """An :class:`~deepwhy.nets.EnsembleMLP` with (inverted) dropout on every hidden layer.

    In training mode each hidden unit of each member and example is zeroed with
    probability ``p`` and the survivors are scaled by 1/(1-p); in eval mode the network
    is the plain ensemble. ``p`` may differ between members, so that runs with and
    without dropout train together as one batched model. The masks come from the
    module's own generator, seeded with ``seed``, so runs repeat exactly.

    Args:
        ensemble: the EnsembleMLP to wrap (its parameters are trained).
        p: drop probability in [0, 1), or a sequence of them, one per member.
        seed: seeds the dropout masks.

    Used in: optimizers and regularization (dropout).
    """

    def __init__(self, ensemble: EnsembleMLP, p: float = 0.5, seed: int = 0):
        super().__init__()
        if not isinstance(ensemble, EnsembleMLP):
            raise ValueError(f"ensemble must be a deepwhy.nets.EnsembleMLP, got {type(ensemble).__name__}")
        probs = [p] if isinstance(p, (int, float)) and not isinstance(p, bool) else p
        try:
            probs = [float(q) for q in probs]
        except (TypeError, ValueError):
            probs = []
        if not probs or not all(0 <= q < 1 for q in probs) or len(probs) not in (1, ensemble.members):
            raise ValueError(f"p must be a drop probability in [0, 1), or one per member "
                             f"({ensemble.members}), got {p!r}")
        self.ensemble = ensemble
        self.p = probs[0] if len(probs) == 1 else probs
        keep = torch.tensor(probs, dtype=ensemble.weights[0].dtype)
        self.register_buffer("keep", (1 - keep).reshape(-1, 1, 1))
        self.generator = torch.Generator().manual_seed(positive_int("seed", seed, minimum=0))

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        ens = self.ensemble
        if not self.training or bool((self.keep == 1).all()):
            return ens(X)
        ens.check_input(X)

        def drop(h):
            kept = torch.rand(h.shape, generator=self.generator, dtype=h.dtype) < self.keep
            return h * kept / self.keep

        return ens._autograd_forward(X, after_hidden=drop)
