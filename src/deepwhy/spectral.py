"""Frequency-resolved errors and condensation measures, and the small models that show them.

The simplicity-bias chapter asks two questions of a trained network:

- *Which frequencies has it learned?* :func:`relative_error_by_frequency` compares the
  discrete Fourier transform of the network's output with the target's, frequency by
  frequency (the F-Principle's Δ_F(k)).
- *How many different neurons does it really use?* :func:`effective_directions` counts the
  orientations its input weights point to, :func:`relative_change` says how far the weights
  moved, and :func:`merge_by_direction` shrinks a condensed ReLU net to one neuron per
  orientation.

Models: :class:`MscaleMLP` (a multiscale network, with the ``"s2relu"`` activation that this
module registers in :mod:`deepwhy.nets`) and :class:`TwoLayerReLU` (the two-layer net with the
scalings of Luo et al., trained by :func:`gradient_descent`).

Used in: simplicity bias.
"""
from __future__ import annotations

import math
import numbers
import time
from typing import Sequence

import numpy as np
import torch
from torch import nn

from . import nets, train
from ._validate import positive_float, positive_int

#: width, in degrees, of the orientation histogram used for 2-column weights
ANGLE_BIN_DEGREES = 3.0
#: two rows of more than 2 columns share a direction when their cosine is at least this
MIN_COSINE = 0.99


def _array(name: str, x, ndim: tuple[int, ...]) -> np.ndarray:
    """Return ``x`` as a finite float64 array with one of the allowed numbers of dimensions."""
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be an array of numbers, got {type(x).__name__}") from None
    if arr.ndim not in ndim:
        raise ValueError(f"{name} must have {' or '.join(map(str, ndim))} dimensions, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got NaN or infinite entries")
    return arr


# --------------------------------------------------------------------------------------
# The frequency principle
# --------------------------------------------------------------------------------------

def spectral_peaks(target, min_height: float = 0.1) -> np.ndarray:
    """Return the DFT indices k >= 1 where ``|F[target](k)|`` has a local maximum.

    A peak must be at least ``min_height`` times the largest amplitude (the constant
    term k = 0 is left out). Args: ``target``, samples on a uniform 1-D grid.

    Used in: simplicity bias (the peaks at which the F-Principle is measured).
    """
    t = _array("target", target, (1,))
    if t.shape[0] < 4:
        raise ValueError(f"target must hold at least 4 samples, got {t.shape[0]}")
    if not 0 < min_height <= 1:
        raise ValueError(f"min_height must be in (0, 1], got {min_height!r}")
    amp = np.abs(np.fft.rfft(t))
    amp[0] = 0.0
    if amp.max() == 0:
        raise ValueError("target is constant: it has no frequency k >= 1 to measure")
    right = np.append(amp[2:], 0.0)
    k = np.arange(1, len(amp))
    is_peak = (amp[1:] > amp[:-1]) & (amp[1:] >= right) & (amp[1:] >= min_height * amp.max())
    return k[is_peak]


def relative_error_by_frequency(pred, target, freqs=None) -> np.ndarray:
    """Return |F[pred](k) - F[target](k)| / |F[target](k)| at the DFT indices ``freqs``.

    Args:
        pred: samples on the same uniform 1-D grid as ``target``: shape ``(n,)``, or
            ``(..., n)`` with leading axes such as training time or seeds.
        target: shape ``(n,)``.
        freqs: DFT indices in ``[0, n // 2]`` (an int or a sequence); default: the
            target's spectral peaks (:func:`spectral_peaks`).

    Returns an array of shape ``pred.shape[:-1] + (len(freqs),)``: 0 where the network has
    learned that frequency, about 1 where it has learned nothing of it.

    Used in: simplicity bias (the F-Principle in 1-D, multiscale networks).
    """
    t = _array("target", target, (1,))
    p = _array("pred", pred, tuple(range(1, 8)))
    n = t.shape[0]
    if p.shape[-1] != n:
        raise ValueError(f"pred's last axis must match target's length {n}, got pred shape {p.shape}")
    if freqs is None:
        k = spectral_peaks(t)
    else:
        k = np.atleast_1d(np.asarray(freqs))
        if k.ndim != 1 or k.size == 0 or not np.issubdtype(k.dtype, np.integer):
            raise ValueError(f"freqs must be a non-empty list of integer DFT indices, got {freqs!r}")
        if k.min() < 0 or k.max() > n // 2:
            raise ValueError(f"freqs must lie in [0, {n // 2}] for {n} samples, got {freqs!r}")
    ft = np.fft.rfft(t)[k]
    if np.any(np.abs(ft) <= 1e-12 * max(1.0, np.abs(np.fft.rfft(t)).max())):
        raise ValueError(f"target has no amplitude at some of freqs {k.tolist()}: the relative error is undefined")
    fp = np.fft.rfft(p, axis=-1)[..., k]
    return np.abs(fp - ft) / np.abs(ft)


def relative_error_by_band(pred, target, edges) -> np.ndarray:
    """Return the relative error of ``pred`` in rings of the 2-D Fourier plane of ``target``.

    For each band [edges[i], edges[i+1]) of radial frequency |k| (in cycles per image):
    ||F[pred] - F[target]|| / ||F[target]|| over the DFT coefficients in that ring.

    Args:
        pred: ``(..., h, w)`` images on the target's grid, leading axes e.g. time and seeds.
        target: ``(h, w)``.
        edges: increasing band edges, e.g. ``(0.5, 3, 6, 12, 32)`` (0.5 leaves out the mean).

    Returns shape ``pred.shape[:-2] + (len(edges) - 1,)``. Used in: simplicity bias (2-D).
    """
    t = _array("target", target, (2,))
    p = _array("pred", pred, tuple(range(2, 8)))
    if p.shape[-2:] != t.shape:
        raise ValueError(f"pred's last two axes must match target's shape {t.shape}, got pred shape {p.shape}")
    e = _array("edges", edges, (1,))
    if e.size < 2 or np.any(np.diff(e) <= 0) or e[0] < 0:
        raise ValueError(f"edges must be at least 2 increasing non-negative numbers, got {edges!r}")
    ky = np.fft.fftfreq(t.shape[0]) * t.shape[0]
    kx = np.fft.fftfreq(t.shape[1]) * t.shape[1]
    radius = np.sqrt(ky[:, None] ** 2 + kx[None, :] ** 2)
    ft, fp = np.fft.fft2(t), np.fft.fft2(p)
    out = []
    for lo, hi in zip(e[:-1], e[1:]):
        ring = (radius >= lo) & (radius < hi)
        norm = np.sqrt((np.abs(ft[ring]) ** 2).sum())
        if not ring.any() or norm == 0:
            raise ValueError(f"target has no amplitude in the band [{lo}, {hi}): the relative error is undefined")
        out.append(np.sqrt((np.abs(fp[..., ring] - ft[ring]) ** 2).sum(axis=-1)) / norm)
    return np.stack(out, axis=-1)


def first_step_below(steps, values, threshold: float) -> np.ndarray:
    """Return, for each curve, the first recorded step at which ``values`` drops below ``threshold``.

    Args: ``steps`` (records,); ``values`` (records, ...) such as a relative error per
    member and frequency. Returns an array of shape ``values.shape[1:]``, NaN where the
    curve never drops below ``threshold``.

    Used in: simplicity bias (when is each frequency learned?).
    """
    st = _array("steps", steps, (1,))
    v = _array("values", values, tuple(range(1, 8)))
    if v.shape[0] != st.shape[0]:
        raise ValueError(f"values must have len(steps) = {st.shape[0]} records first, got shape {v.shape}")
    below = v < threshold
    first = np.argmax(below, axis=0)
    return np.where(below.any(axis=0), st[first], np.nan)


def jacobi_mode_errors(n: int = 63, modes: Sequence[int] = (1, 4, 16), iterations: int = 1000,
                       omega: float = 2 / 3) -> np.ndarray:
    """Return the relative error of damped Jacobi at each sine mode: shape (iterations + 1, len(modes)).

    Solves the discrete Poisson problem A u = f, A = tridiag(-1, 2, -1) on ``n`` interior points
    (zero boundary values), whose exact solution u* is the sum of the sine modes
    sin(k pi j / (n + 1)) for k in ``modes``, by the damped Jacobi iteration
    u <- u + (omega / 2) (f - A u) from u = 0. Row t holds, for each mode, the size of the
    error's component along it, |<u_t - u*, s_k>| / |<u*, s_k>|. Unlike gradient descent on a
    network, the iteration removes the high frequencies first (Xu's contrast with the
    frequency principle; multigrid methods exist because of it).

    Used in: simplicity bias (the opposite order of a classical solver).
    """
    n, iterations = positive_int("n", n, minimum=3), positive_int("iterations", iterations, minimum=0)
    if not (isinstance(omega, numbers.Real) and 0 < omega <= 1):
        raise ValueError(f"omega must be a number in (0, 1], got {omega!r}")
    modes = [int(k) for k in modes]
    if not modes or any(k < 1 or k > n for k in modes):
        raise ValueError(f"modes must be integers in [1, n = {n}], got {modes!r}")
    j = np.arange(1, n + 1)
    S = np.sin(np.pi * np.outer(modes, j) / (n + 1))          # (modes, n): the sine modes
    u_star = S.sum(axis=0)
    f = 2 * u_star - np.r_[u_star[1:], 0] - np.r_[0, u_star[:-1]]
    u = np.zeros(n)
    reference = np.abs(S @ u_star)
    errors = [np.abs(S @ (u - u_star)) / reference]
    for _ in range(iterations):
        Au = 2 * u - np.r_[u[1:], 0] - np.r_[0, u[:-1]]
        u = u + omega / 2 * (f - Au)
        errors.append(np.abs(S @ (u - u_star)) / reference)
    return np.array(errors)


def spearman(x, y) -> float:
    """Return Spearman's rank correlation of two 1-D sequences (no ties expected).

    Used in: simplicity bias (is the learned amplitude falling with frequency?).
    """
    a, b = _array("x", x, (1,)), _array("y", y, (1,))
    if a.shape != b.shape or a.shape[0] < 2:
        raise ValueError(f"x and y must be 1-D of the same length >= 2, got {a.shape} and {b.shape}")
    ra, rb = a.argsort().argsort().astype(float), b.argsort().argsort().astype(float)
    return float(np.corrcoef(ra, rb)[0, 1])


# --------------------------------------------------------------------------------------
# Multiscale networks (Liu, Cai and Xu 2020)
# --------------------------------------------------------------------------------------

def s2relu(x: torch.Tensor) -> torch.Tensor:
    """Return sin(2 pi x) * relu(x) * relu(1 - x): a bump on [0, 1] with a sine inside.

    Used in: simplicity bias (the activation of MscaleDNN).
    """
    return torch.sin(2 * math.pi * x) * torch.relu(x) * torch.relu(1 - x)


nets.register_activation("s2relu", s2relu)


def scale_vector(width: int, levels: Sequence[float] = (1, 2, 4, 8, 16, 32)) -> torch.Tensor:
    """Return the ``(width,)`` scales of MscaleDNN: consecutive equal blocks of neurons per level.

    Used in: simplicity bias (multiscale networks).
    """
    width = positive_int("width", width)
    levels = [positive_float("levels", s) for s in levels] if len(levels) else []
    if not levels or len(levels) > width:
        raise ValueError(f"levels must hold between 1 and width = {width} positive numbers, got {levels!r}")
    block = (np.arange(width) * len(levels)) // width
    return torch.tensor(np.asarray(levels)[block], dtype=torch.float32)


class MscaleMLP(nets.EnsembleMLP):
    """An :class:`~deepwhy.nets.EnsembleMLP` whose first-layer pre-activation is scaled per neuron.

    Neuron j of the first hidden layer computes act(K_j (w_j . x) + b_j) (the compact form
    "MscaleDNN-1" of Liu, Cai and Xu): a neuron with scale K sees the input stretched K times,
    so a high frequency of the target looks like a low one to it. ``scales`` is ``(width,)``,
    shared, or ``(members, width)``, one row per member; all ones gives a plain MLP, so plain
    and multiscale nets can train in one batch. Other arguments as ``EnsembleMLP``; the
    activation defaults to ``"s2relu"``.

    Used in: simplicity bias (multiscale networks).
    """

    def __init__(self, sizes: Sequence[int], members: int, scales, activation: str = "s2relu",
                 init_scale: float = 1.0, bias: bool = True, seed: int = 0, init: str = "uniform",
                 dtype: torch.dtype = torch.float32):
        super().__init__(sizes, members, activation, init_scale, bias, seed, init, dtype)
        if len(self.sizes) < 3:
            raise ValueError(f"sizes must have a hidden layer to scale, got {self.sizes}")
        k = torch.as_tensor(scales, dtype=dtype)
        width = self.sizes[1]
        if k.shape == (width,):
            k = k.expand(self.members, width)
        if k.shape != (self.members, width):
            raise ValueError(f"scales must have shape ({width},) or ({self.members}, {width}), got {tuple(k.shape)}")
        self.register_buffer("scales", k.reshape(self.members, 1, width).clone())

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        if not isinstance(X, torch.Tensor) or X.dim() != 2 or X.shape[1] != self.sizes[0]:
            got = tuple(X.shape) if isinstance(X, torch.Tensor) else type(X).__name__
            raise ValueError(f"X must be a tensor of shape (n, {self.sizes[0]}), got {got}")
        act = nets.ACTIVATIONS[self.activation]
        h = torch.matmul(X, self.weights[0]) * self.scales
        for l in range(len(self.weights)):
            if l > 0:
                h = torch.matmul(act(h), self.weights[l])
            if self.bias:
                h = h + self.biases[l]
        return h


# --------------------------------------------------------------------------------------
# Condensation (Luo et al. 2021; Zhou et al. 2022)
# --------------------------------------------------------------------------------------

def _per_member(name: str, value, members: int) -> torch.Tensor:
    v = torch.as_tensor(value, dtype=torch.float64).flatten()
    if v.numel() == 1:
        v = v.expand(members)
    if v.numel() != members or not bool(torch.all(v > 0)):
        raise ValueError(f"{name} must be a positive number or {members} positive numbers, got {value!r}")
    return v.clone()


class TwoLayerReLU(nn.Module):
    """``members`` two-layer ReLU nets f(x) = (1/alpha) sum_k a_k relu(w_k . (x, 1)), held as one batch.

    The scalings follow Luo, Xu, Ma and Zhang (2021): a_k ~ N(0, beta1^2) and
    w_k ~ N(0, beta2^2) (the bias is the last entry of w_k). ``alpha``, ``beta1`` and
    ``beta2`` are numbers or one number per member, so the linear, critical and condensed
    regimes can train side by side.

    Attributes: ``w`` (members, width, input_dim + 1), ``a`` (members, width), ``alpha`` (members,).
    ``forward(X)`` takes ``(n, input_dim)`` and returns ``(members, n, 1)``.

    Used in: simplicity bias (condensation and the phase diagram).
    """

    def __init__(self, width: int, members: int = 1, input_dim: int = 1, beta1=1.0, beta2=1.0,
                 alpha=1.0, seed: int = 0, dtype: torch.dtype = torch.float64):
        super().__init__()
        self.width = positive_int("width", width)
        self.members = positive_int("members", members)
        self.input_dim = positive_int("input_dim", input_dim)
        positive_int("seed", seed, minimum=0)
        b1 = _per_member("beta1", beta1, self.members)
        b2 = _per_member("beta2", beta2, self.members)
        gen = torch.Generator().manual_seed(int(seed))
        a = torch.randn(self.members, self.width, generator=gen, dtype=torch.float64) * b1[:, None]
        w = torch.randn(self.members, self.width, self.input_dim + 1, generator=gen,
                        dtype=torch.float64) * b2[:, None, None]
        self.w = nn.Parameter(w.to(dtype))
        self.a = nn.Parameter(a.to(dtype))
        self.register_buffer("alpha", _per_member("alpha", alpha, self.members).to(dtype))

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        if not isinstance(X, torch.Tensor) or X.dim() != 2 or X.shape[1] != self.input_dim:
            got = tuple(X.shape) if isinstance(X, torch.Tensor) else type(X).__name__
            raise ValueError(f"X must be a tensor of shape (n, {self.input_dim}), got {got}")
        Xb = torch.cat([X, torch.ones_like(X[:, :1])], dim=1).to(self.w.dtype)
        h = torch.relu(torch.matmul(Xb, self.w.transpose(1, 2)))  # (members, n, width)
        return torch.matmul(h, self.a.unsqueeze(-1)) / self.alpha[:, None, None]

    def amplitudes(self) -> torch.Tensor:
        """Return |a_k| * ||w_k|| per neuron, shape (members, width): what each neuron contributes."""
        with torch.no_grad():
            return self.a.abs() * self.w.norm(dim=-1)


def luo_exponents(width: int, beta1: float, beta2: float, alpha: float = 1.0) -> tuple[float, float]:
    """Return Luo et al.'s (gamma, gamma'): -log(beta1 beta2 / alpha) / log m and -log(beta1 / beta2) / log m.

    Used in: simplicity bias (the phase diagram).
    """
    m = positive_int("width", width, minimum=2)
    b1, b2, al = (positive_float(n, v) for n, v in (("beta1", beta1), ("beta2", beta2), ("alpha", alpha)))
    return -math.log(b1 * b2 / al) / math.log(m), -math.log(b1 / b2) / math.log(m)


def luo_regime(gamma: float, gamma_prime: float, tol: float = 1e-9) -> str:
    """Return "linear", "critical" or "condensed": the regime of Luo et al.'s phase diagram at (gamma, gamma').

    Linear if gamma < 1 or gamma' > gamma - 1; condensed if gamma > 1 and gamma' < gamma - 1;
    critical on the boundary between them.

    Used in: simplicity bias (the phase diagram).
    """
    for name, v in (("gamma", gamma), ("gamma_prime", gamma_prime)):
        if not isinstance(v, numbers.Real) or isinstance(v, bool) or not math.isfinite(v):
            raise ValueError(f"{name} must be a finite number, got {v!r}")
    if gamma < 1 - tol or gamma_prime > gamma - 1 + tol:
        return "linear"
    if gamma > 1 + tol and gamma_prime < gamma - 1 - tol:
        return "condensed"
    return "critical"


def gradient_descent(net: TwoLayerReLU, X: torch.Tensor, y: torch.Tensor, lr, steps: int,
                     record_every: int | None = None, progress: bool | None = None) -> train.History:
    """Train ``net`` in place by full-batch gradient descent on the mean squared error; return its History.

    Each member follows its own gradient with its own learning rate (``lr``: a number or one
    per member). The gradients of the two-layer ReLU net are written out by hand, which is
    several times faster than autograd for the thousands of small steps that condensation needs:
    with r = f - y, dL/da_k = 2 mean(r relu(w_k . x)) / alpha and
    dL/dw_k = 2 mean(r a_k 1[w_k . x > 0] x) / alpha.

    Args: ``X`` (n, input_dim), ``y`` (n, 1) or (n,); ``record_every`` as in :func:`deepwhy.train.fit`.
    Used in: simplicity bias (condensation and the phase diagram).
    """
    if not isinstance(net, TwoLayerReLU):
        raise ValueError(f"net must be a TwoLayerReLU, got {type(net).__name__}")
    steps = positive_int("steps", steps, minimum=0)
    record_every = positive_int("record_every", record_every if record_every is not None else max(1, steps // 100))
    rates = _per_member("lr", lr, net.members).to(net.w.dtype)
    if not isinstance(X, torch.Tensor) or not isinstance(y, torch.Tensor) or y.numel() != X.shape[0]:
        raise ValueError(f"X and y must be tensors with one target per row of X, got {type(X).__name__} "
                         f"and {type(y).__name__}")
    net(X)  # validates X's shape
    Xb = torch.cat([X, torch.ones_like(X[:, :1])], dim=1).to(net.w.dtype)  # (n, d + 1)
    target = y.reshape(1, -1).to(net.w.dtype)
    n = Xb.shape[0]
    inv_alpha = (1 / net.alpha)[:, None]
    steps_rec, loss_rec = [], []
    start = time.perf_counter()
    with torch.no_grad():
        w, a = net.w, net.a
        for step in train.progress_bar(range(steps + 1), progress, desc="gradient descent"):
            z = torch.matmul(w, Xb.T)  # (members, width, n)
            h = torch.relu(z)
            r = torch.matmul(a[:, None, :], h)[:, 0] * inv_alpha - target  # residuals (members, n)
            if step % record_every == 0 or step == steps:
                steps_rec.append(step)
                loss_rec.append((r ** 2).mean(dim=1).cpu().numpy())
            if step == steps:
                break
            g = r * (2 / n)
            grad_a = torch.matmul(h, g[:, :, None])[..., 0] * inv_alpha
            grad_w = torch.matmul((z > 0) * g[:, None, :], Xb) * (a * inv_alpha)[:, :, None]
            a -= rates[:, None] * grad_a
            w -= rates[:, None, None] * grad_w
    return train.History(steps=np.array(steps_rec), loss=np.array(loss_rec),
                         seconds=time.perf_counter() - start)


def relative_change(before, after, batch_dims: int = 0) -> np.ndarray:
    """Return ||after - before|| / ||before||, the relative distance the weights moved.

    Norms run over all axes except the first ``batch_dims`` (e.g. 1 for a member axis),
    so the result is a float, or an array of the batch shape.

    Used in: simplicity bias (RD of Luo et al.'s phase diagram).
    """
    b = _array("before", before, tuple(range(0, 8)))
    a = _array("after", after, tuple(range(0, 8)))
    if a.shape != b.shape:
        raise ValueError(f"before and after must have the same shape, got {b.shape} and {a.shape}")
    positive_int("batch_dims", batch_dims, minimum=0)
    if batch_dims > b.ndim:
        raise ValueError(f"batch_dims must be <= before.ndim = {b.ndim}, got {batch_dims}")
    axes = tuple(range(batch_dims, b.ndim))
    denom = np.sqrt((b ** 2).sum(axis=axes))
    if np.any(denom == 0):
        raise ValueError("before has a zero norm: the relative change is undefined")
    out = np.sqrt(((a - b) ** 2).sum(axis=axes)) / denom
    return float(out) if np.ndim(out) == 0 else out


def _amplitudes(W: np.ndarray, weights) -> np.ndarray:
    norms = np.linalg.norm(W, axis=1)
    if weights is None:
        return norms
    amp = _array("weights", weights, (1,))
    if amp.shape[0] != W.shape[0] or np.any(amp < 0):
        raise ValueError(f"weights must be {W.shape[0]} non-negative numbers (one per row of W), got shape {amp.shape}")
    return np.where(norms > 0, amp, 0.0)  # a zero row has no orientation


def direction_groups(W, weights=None, min_cos: float = MIN_COSINE) -> np.ndarray:
    """Return a group label per row of ``W``: rows whose cosine similarity is >= ``min_cos`` share one.

    Greedy: the row with the largest amplitude (row norm, or ``weights``) that has no group
    yet opens one and takes every ungrouped row within ``min_cos`` of it. Zero rows get -1.

    Used in: simplicity bias (effective directions, merging a condensed net).
    """
    W = _array("W", W, (2,))
    if W.shape[0] == 0 or W.shape[1] == 0:
        raise ValueError(f"W must have at least one row and one column, got shape {W.shape}")
    if not -1 < min_cos < 1:
        raise ValueError(f"min_cos must be in (-1, 1), got {min_cos!r}")
    amp = _amplitudes(W, weights)
    norms = np.linalg.norm(W, axis=1)
    U = W / np.where(norms > 0, norms, 1.0)[:, None]
    labels = np.full(W.shape[0], -1)
    free = norms > 0
    g = 0
    while free.any():
        i = np.flatnonzero(free)[np.argmax(amp[free])]
        members = free & (U @ U[i] >= min_cos)
        members[i] = True
        labels[members] = g
        free &= ~members
        g += 1
    return labels


def effective_directions(W, weights=None) -> float:
    """Return exp(entropy) of the amplitude-weighted distribution of the rows' orientations.

    Args:
        W: ``(neurons, columns)``, one row per neuron: its input weights, with the bias as
            the last column where the net has one.
        weights: ``(neurons,)`` non-negative amplitudes; default: the row norms. (For a
            two-layer net, |a_k| ||w_k|| measures what neuron k contributes.)

    With two columns, orientations are angles binned on a histogram of
    :data:`ANGLE_BIN_DEGREES`; with more, rows whose cosine is at least :data:`MIN_COSINE`
    form one group (:func:`direction_groups`). Neurons on 3 directions with equal weight
    give 3; a random spread gives a number close to the number of neurons.

    Used in: simplicity bias (condensation and the phase diagram).
    """
    W = _array("W", W, (2,))
    if W.shape[0] == 0 or W.shape[1] == 0:
        raise ValueError(f"W must have at least one row and one column, got shape {W.shape}")
    amp = _amplitudes(W, weights)
    if amp.sum() <= 0:
        raise ValueError("W and weights give every neuron a zero amplitude: there is no orientation to count")
    if W.shape[1] == 2:
        bins = int(round(360 / ANGLE_BIN_DEGREES))
        angle = np.arctan2(W[:, 1], W[:, 0])
        idx = np.floor((angle + np.pi) / (2 * np.pi) * bins).astype(int) % bins
        mass = np.bincount(idx, weights=amp, minlength=bins)
    else:
        labels = direction_groups(W, amp)
        keep = labels >= 0
        mass = np.bincount(labels[keep], weights=amp[keep])
    p = mass[mass > 0] / mass.sum()
    return float(np.exp(-(p * np.log(p)).sum()))


def merge_by_direction(W, a, min_cos: float = MIN_COSINE, min_share: float = 1e-3):
    """Return ``(W_small, a_small)``: a two-layer ReLU net with one neuron per direction group.

    ReLU is positively homogeneous, a relu(w . x) = a ||w|| relu(u . x) with u = w / ||w||,
    so neurons that point the same way add up to one neuron. Each group of
    :func:`direction_groups` becomes a unit-norm neuron along the amplitude-weighted mean of
    its directions, with output weight sum(a_k ||w_k||). Groups carrying less than
    ``min_share`` of the total amplitude are dropped.

    Args: ``W`` (neurons, columns), bias last; ``a`` (neurons,) output weights.
    Used in: simplicity bias (the effective size of a condensed network).
    """
    W = _array("W", W, (2,))
    a = _array("a", a, (1,))
    if a.shape[0] != W.shape[0]:
        raise ValueError(f"a must hold one output weight per row of W ({W.shape[0]}), got shape {a.shape}")
    if not 0 <= min_share < 1:
        raise ValueError(f"min_share must be in [0, 1), got {min_share!r}")
    norms = np.linalg.norm(W, axis=1)
    amp = np.abs(a) * norms
    if amp.sum() <= 0:
        raise ValueError("every neuron has zero amplitude |a| ||w||: nothing to merge")
    labels = direction_groups(W, amp, min_cos)
    rows, outs = [], []
    for g in range(labels.max() + 1):
        k = labels == g
        if amp[k].sum() < min_share * amp.sum():
            continue
        u = (W[k] / norms[k, None] * amp[k, None]).sum(axis=0)
        rows.append(u / np.linalg.norm(u))
        outs.append((a[k] * norms[k]).sum())
    return np.array(rows), np.array(outs)
