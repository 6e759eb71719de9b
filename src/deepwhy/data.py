"""Synthetic tasks the chapters learn: logic gates, and more as chapters need them.

Every function that draws random numbers takes ``seed`` and uses its own generator.
"""
from __future__ import annotations

import torch

from ._validate import one_of

_GATE_INPUTS = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
_GATE_OUTPUTS = {
    "and": [0.0, 0.0, 0.0, 1.0],
    "or": [0.0, 1.0, 1.0, 1.0],
    "xor": [0.0, 1.0, 1.0, 0.0],
    "nand": [1.0, 1.0, 1.0, 0.0],
}


def logic_gate(name: str, dtype: torch.dtype = torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
    """Return ``(X, y)`` for a two-input logic gate: X is (4, 2) in {0,1}, y is (4, 1).

    Args:
        name: ``"and"``, ``"or"``, ``"xor"`` or ``"nand"``.
        dtype: a floating torch dtype.

    Used in: the introduction, history (perceptron, backprop revival), why depth.
    """
    one_of("name", name, _GATE_OUTPUTS)
    X = torch.tensor(_GATE_INPUTS, dtype=dtype)
    y = torch.tensor(_GATE_OUTPUTS[name], dtype=dtype).unsqueeze(1)
    return X, y


def xor(dtype: torch.dtype = torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
    """Return ``(X, y)`` for XOR: X is (4, 2) in {0,1}, y is (4, 1) with y = x1 XOR x2."""
    return logic_gate("xor", dtype)


def and_gate(dtype: torch.dtype = torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
    """Return ``(X, y)`` for AND, as :func:`logic_gate`."""
    return logic_gate("and", dtype)


def or_gate(dtype: torch.dtype = torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
    """Return ``(X, y)`` for OR, as :func:`logic_gate`."""
    return logic_gate("or", dtype)


def inverse_xor(dtype: torch.dtype = torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
    """Return ``(y, X)`` for the inverse of XOR, a non-function: y is (4, 1), X is (4, 2).

    Each output value of XOR has two preimages, (0,0) and (1,1) for 0, and (0,1) and
    (1,0) for 1, so "predict the input from the output" has no single right answer.

    Used in: why depth (non-functions), randomness (one input, many outputs).
    """
    X, y = xor(dtype)
    return y, X


# --- History ---

def digits(n_test: int = 497, seed: int = 0, dtype: torch.dtype = torch.float32):
    """Return ``(X_pool, y_pool, X_test, y_test)``: scikit-learn's 1,797 8x8 handwritten digits, split at random.

    The images ship with scikit-learn (no download); each is flattened to 64 pixel values
    scaled to [0, 1]. Labels are int64 in 0..9. ``n_test`` images, drawn with a generator
    seeded by ``seed``, are held out for testing; the rest form the pool that training sets
    are drawn from.

    Used in: history (the LeNet era).
    """
    from sklearn.datasets import load_digits

    from ._validate import positive_int

    bunch = load_digits()
    n = len(bunch.target)
    n_test = positive_int("n_test", n_test)
    if n_test >= n:
        raise ValueError(f"n_test must be smaller than the {n} images, got {n_test}")
    gen = torch.Generator().manual_seed(positive_int("seed", seed, minimum=0))
    order = torch.randperm(n, generator=gen)
    X = torch.tensor(bunch.data / 16.0, dtype=dtype)
    y = torch.tensor(bunch.target, dtype=torch.int64)
    test, pool = order[:n_test], order[n_test:]
    return X[pool], y[pool], X[test], y[test]


# --- Optimizers and regularization ---

def noisy_sine(n: int = 30, members: int = 1, freq: float = 3.0, noise: float = 0.3, low: float = -1.0,
               high: float = 1.0, seed: int = 0, dtype: torch.dtype = torch.float32):
    """Return ``(X, y)``, one small noisy regression set per member: shapes (members, n, 1).

    x ~ U[low, high] and y = sin(freq · x) + noise · N(0, 1), drawn from a generator seeded
    with ``seed`` (member i gets its own points and noise).

    Used in: optimizers and regularization (dropout on a small regression).
    """
    from ._validate import positive_float, positive_int

    n, members = positive_int("n", n), positive_int("members", members)
    positive_float("noise", noise, allow_zero=True)
    positive_int("seed", seed, minimum=0)
    if not high > low:
        raise ValueError(f"high must be > low, got low={low!r}, high={high!r}")
    gen = torch.Generator().manual_seed(int(seed))
    X = low + (high - low) * torch.rand(members, n, 1, generator=gen, dtype=torch.float64)
    y = torch.sin(freq * X) + noise * torch.randn(members, n, 1, generator=gen, dtype=torch.float64)
    return X.to(dtype), y.to(dtype)


def sparse_linear(n: int = 40, d: int = 50, coef=(3.0, -2.0, 1.5, -1.0, 2.0), noise: float = 0.1,
                  members: int = 1, seed: int = 0, dtype: torch.dtype = torch.float64):
    """Return ``(X, y, w)`` for sparse linear regression: X (members, n, d), y (members, n), w (members, d).

    X is standard normal; w holds the values ``coef`` at random positions and zeros
    elsewhere (new positions per member); y = X w + noise · N(0, 1).

    Used in: optimizers and regularization (L1 zeros weights, L2 shrinks them).
    """
    from ._validate import positive_float, positive_int

    n, d, members = positive_int("n", n), positive_int("d", d), positive_int("members", members)
    positive_float("noise", noise, allow_zero=True)
    positive_int("seed", seed, minimum=0)
    coef = torch.as_tensor(coef, dtype=torch.float64).reshape(-1)
    if len(coef) > d:
        raise ValueError(f"coef must have at most d = {d} entries, got {len(coef)}")
    gen = torch.Generator().manual_seed(int(seed))
    X = torch.randn(members, n, d, generator=gen, dtype=torch.float64)
    w = torch.zeros(members, d, dtype=torch.float64)
    for m in range(members):
        w[m, torch.randperm(d, generator=gen)[: len(coef)]] = coef
    y = torch.einsum("mnd,md->mn", X, w) + noise * torch.randn(members, n, generator=gen, dtype=torch.float64)
    return X.to(dtype), y.to(dtype), w.to(dtype)


# --- Failure modes of gradient-based learning ---

from typing import NamedTuple  # noqa: E402


class Parity(NamedTuple):
    """A parity data set: ``X`` (n, d) in {-1, +1}, ``y`` (n,) in {-1, +1}, and the ``subset`` of coordinates."""

    X: torch.Tensor
    y: torch.Tensor
    subset: list


def parity(n: int, d: int, subset=None, seed: int = 0) -> Parity:
    """Return ``Parity(X, y, subset)``: n uniform points of {-1, +1}^d labelled by a parity.

    ``X`` is float32 of shape (n, d) with independent entries ±1, and
    ``y = prod(X[:, subset], axis=1)`` is float32 of shape (n,) in {-1, +1} (all ones for an
    empty subset). Unpack it as ``X, y, subset = data.parity(...)``, or read ``.subset``.

    Args:
        n: number of points, >= 1.
        d: input dimension, >= 1.
        subset: a list of distinct coordinate indices in [0, d). If None, it is drawn from
            ``seed``: each coordinate is included with probability 1/2, as in
            Shalev-Shwartz, Shamir and Shammah (2017), and returned sorted.
        seed: seeds a generator of its own. The subset is drawn first, then ``X``, so ``X``
            depends only on (n, d, seed), whether or not a subset is given.

    Used in: failure modes (random parities), simplicity bias (parity is all high frequency).
    """
    from ._validate import positive_int

    n, d = positive_int("n", n), positive_int("d", d)
    seed = positive_int("seed", seed, minimum=0)
    gen = torch.Generator().manual_seed(seed)
    drawn = torch.rand(d, generator=gen, dtype=torch.float64) < 0.5
    if subset is None:
        subset = torch.nonzero(drawn).flatten().tolist()
    else:
        given = subset
        try:
            subset = [int(i) if float(i) == int(i) else None for i in given]
        except (TypeError, ValueError):
            raise ValueError(f"subset must be a list of integer indices in [0, {d}), got {given!r}") from None
        if any(i is None or not 0 <= i < d for i in subset):
            raise ValueError(f"subset indices must be integers in [0, d) = [0, {d}), got {given!r}")
        if len(set(subset)) != len(subset):
            raise ValueError(f"subset must not repeat an index, got {given!r}")
    X = 1.0 - 2.0 * torch.randint(0, 2, (n, d), generator=gen).to(torch.float32)
    y = X[:, subset].prod(dim=1) if subset else torch.ones(n, dtype=torch.float32)
    return Parity(X, y, list(subset))


# --- Why randomness matters ---

GO_STAR_POINTS = ((3, 3), (3, 15), (15, 3), (15, 15))


def go_first_moves(n: int = 100, board: int = 19, moves=GO_STAR_POINTS):
    """Return ``(X, rows_cols, index)``: ``n`` empty boards and the first move played on each.

    Every one of ``moves`` (by default the four 4-4 star points, which the board's
    symmetry makes equally good) is played equally often, in turn, so the data say
    "any of these, never anything else". ``X`` is (n, board²) zeros (the empty board),
    ``rows_cols`` is (n, 2) float (row, column) of the move, and ``index`` is (n,) int64,
    ``row · board + column``, the move as one of board² classes.

    Used in: why randomness matters (one input, many outputs).
    """
    from ._validate import positive_int

    n, board = positive_int("n", n), positive_int("board", board, minimum=2)
    moves = torch.as_tensor(moves, dtype=torch.int64).reshape(-1, 2)
    if len(moves) == 0 or bool(((moves < 0) | (moves >= board)).any()):
        raise ValueError(f"moves must be (row, column) pairs in [0, {board}), got {moves.tolist()}")
    played = moves[torch.arange(n) % len(moves)]
    return torch.zeros(n, board * board), played.float(), played[:, 0] * board + played[:, 1]


def two_branch(n: int = 512, noise: float = 0.05, seed: int = 0):
    """Return ``(x, y)``, each (n, 1): y = ±(0.6 + 0.3 sin 3x) + noise, the sign a fair coin.

    x ~ U[-1, 1]. Every input has two right answers, one on each branch; their mean, 0,
    is never right.

    Used in: why randomness matters (a mixture target that regression averages).
    """
    from ._validate import positive_float, positive_int

    n = positive_int("n", n)
    noise = positive_float("noise", noise, allow_zero=True)
    gen = torch.Generator().manual_seed(positive_int("seed", seed, minimum=0))
    x = torch.rand(n, 1, generator=gen) * 2 - 1
    sign = torch.randint(0, 2, (n, 1), generator=gen) * 2 - 1
    y = sign * two_branch_curve(x) + noise * torch.randn(n, 1, generator=gen)
    return x, y


def two_branch_curve(x: torch.Tensor) -> torch.Tensor:
    """Return the upper branch 0.6 + 0.3 sin 3x of :func:`two_branch` (the lower one is its negative).

    Used in: why randomness matters.
    """
    return 0.6 + 0.3 * torch.sin(3 * x)


def noisy_moons(n: int = 100, noise: float = 0.15, flip: float = 0.2, seed: int = 0):
    """Return ``(X, y)``: two interleaved half-moons, X (n, 2) float, y (n,) int64 in {0, 1}.

    Each point lies on its class's half circle plus N(0, noise²) in each coordinate;
    then a fraction ``flip`` of the labels, chosen at random, is flipped, so no model
    should score much above 1 - flip on fresh data.

    Used in: why randomness matters (noise regularizers and the train/test gap).
    """
    import math

    from ._validate import positive_float, positive_int

    n = positive_int("n", n)
    noise = positive_float("noise", noise, allow_zero=True)
    if isinstance(flip, bool) or not isinstance(flip, (int, float)) or not 0 <= flip <= 1:
        raise ValueError(f"flip must be a fraction in [0, 1], got {flip!r}")
    gen = torch.Generator().manual_seed(positive_int("seed", seed, minimum=0))
    y = torch.randint(0, 2, (n,), generator=gen)
    t = torch.rand(n, generator=gen) * math.pi
    upper = torch.stack([torch.cos(t), torch.sin(t)], 1)
    lower = torch.stack([1 - torch.cos(t), 0.5 - torch.sin(t)], 1)
    X = torch.where(y[:, None] == 1, lower, upper) + noise * torch.randn(n, 2, generator=gen)
    flipped = torch.rand(n, generator=gen) < flip
    return X, torch.where(flipped, 1 - y, y)


def blob_ring(n: int = 512, blobs: int = 8, noise: float = 0.1, seed: int = 0):
    """Return (n, 2) points from ``blobs`` Gaussian blobs of std ``noise`` evenly spaced on the unit circle.

    Used in: why randomness matters (a toy VAE).
    """
    import math

    from ._validate import positive_float, positive_int

    n, blobs = positive_int("n", n), positive_int("blobs", blobs)
    noise = positive_float("noise", noise, allow_zero=True)
    gen = torch.Generator().manual_seed(positive_int("seed", seed, minimum=0))
    angle = torch.randint(0, blobs, (n,), generator=gen).double() * 2 * math.pi / blobs
    centre = torch.stack([torch.cos(angle), torch.sin(angle)], 1)
    return (centre + noise * torch.randn(n, 2, generator=gen, dtype=torch.float64)).float()


def random_labels(n: int = 256, d: int = 32, classes: int = 2, seed: int = 0):
    """Return ``(X, y)``: n standard normal points in d dimensions with labels drawn at random.

    The labels carry no information about X, so the best test accuracy is chance and
    any training accuracy above it is memorization (Zhang et al., 2017).

    Used in: why randomness matters (dropout does not stop memorization).
    """
    from ._validate import positive_int

    n, d = positive_int("n", n), positive_int("d", d)
    classes = positive_int("classes", classes, minimum=2)
    gen = torch.Generator().manual_seed(positive_int("seed", seed, minimum=0))
    return torch.randn(n, d, generator=gen), torch.randint(0, classes, (n,), generator=gen)


# --- Simplicity bias ---

def spectral_bias_data(n: int = 200, freqs=(5, 10, 15, 20, 25, 30, 35, 40, 45, 50), members: int = 1,
                       seed: int = 0, dtype: torch.dtype = torch.float32):
    """Return ``(x, y, phases)``: sums of unit sines, one random-phase target per member.

    x = i / n for i = 0 .. n-1 is (n, 1) in [0, 1); y is (members, n, 1) with
    y = sum_k sin(2 pi (k x + phi_k)); phases phi is (members, len(freqs)), drawn U[0, 1)
    from a generator seeded with ``seed``. Frequency k sits exactly in DFT bin k.

    Used in: simplicity bias (the spectral-bias sweep of Rahaman et al.).
    """
    from ._validate import positive_int

    n, members = positive_int("n", n, minimum=2), positive_int("members", members)
    positive_int("seed", seed, minimum=0)
    k = torch.as_tensor(freqs, dtype=torch.float64).reshape(-1)
    if k.numel() == 0 or bool(torch.any(k < 1)) or bool(torch.any(k >= n / 2)) or bool(torch.any(k != k.round())):
        raise ValueError(f"freqs must be integers in [1, n/2) = [1, {n / 2}), got {freqs!r}")
    gen = torch.Generator().manual_seed(int(seed))
    phases = torch.rand(members, k.numel(), generator=gen, dtype=torch.float64)
    x = torch.arange(n, dtype=torch.float64) / n
    y = torch.sin(2 * torch.pi * (k[None, :, None] * x + phases[:, :, None])).sum(dim=1)
    return x.unsqueeze(1).to(dtype), y.unsqueeze(-1).to(dtype), phases.to(dtype)


def grey_image(size: int = 32, dtype: torch.dtype = torch.float32):
    """Return ``(X, y, image)``: a grey-value picture as a regression task from (x, y) to grey.

    The picture holds coarse shapes (a large disc, a square) and fine detail (stripes in
    one corner), with grey values in [0, 1]. ``image`` is (size, size), row 0 at the top;
    ``X`` is (size * size, 2) pixel centres in [-1, 1]^2 (x to the right, y downwards), in
    the order of ``image.ravel()``; ``y`` is (size * size, 1).

    Used in: simplicity bias (the F-Principle in 2-D: coarse first, details later).
    """
    from ._validate import positive_int

    size = positive_int("size", size, minimum=8)
    u = (torch.arange(size, dtype=torch.float64) + 0.5) / size * 2 - 1
    gy, gx = torch.meshgrid(u, u, indexing="ij")
    image = 0.2 + 0.6 * (((gx + 0.25) ** 2 + (gy - 0.1) ** 2) < 0.45 ** 2).double()
    image = image + 0.5 * ((gx - 0.55).abs() < 0.2).double() * ((gy + 0.55).abs() < 0.2).double()
    image = image + 0.3 * ((gx > 0.3) & (gy > 0.3)).double() * torch.sign(torch.sin(6 * torch.pi * gx))
    image = image.clamp(0, 1)
    X = torch.stack([gx.reshape(-1), gy.reshape(-1)], dim=1)
    return X.to(dtype), image.reshape(-1, 1).to(dtype), image.to(dtype)
