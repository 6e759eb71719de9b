"""Four simple problems on which gradient-based learning fails, after Shalev-Shwartz, Shamir and Shammah (2017).

1. Random parities: the population gradient hardly depends on which parity is the target
   (:class:`ParityLearners`, :func:`parity_gradient_variance`).
2. Decomposition vs end-to-end: the "stocks" problem, where the end-to-end gradient
   estimate is k times noisier (:func:`stock_gradient_moments`, :func:`train_stocks`).
3. Architecture and conditioning: encoding piecewise-linear curves, where a convolution plus
   whitening turns a hopeless problem into an easy one (:func:`pwl_matrix`, :func:`fit_three_tap`).
4. Flat activations: learning through a step function, where the true gradient is exactly
   zero and a straight-through ("forward-only") update works (:func:`step_function`, :func:`step_learner`).

Used in: failure modes of gradient-based learning.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from . import data, nets, train
from ._validate import one_of, positive_float, positive_int

# --------------------------------------------------------------------------------------
# Shared: the paper's initialization
# --------------------------------------------------------------------------------------


def paper_init_(model: nets.EnsembleMLP, seed: int = 0) -> nets.EnsembleMLP:
    """Re-initialize an ensemble in place the way the paper's code does; return it.

    Every weight matrix is drawn from N(0, 1/fan_in) truncated at two standard deviations
    (TensorFlow's ``truncated_normal``), every bias is zero. Member ``i`` is drawn from a
    generator seeded with ``seed + i``, so members differ and runs repeat.

    Used in: failure modes (parity learners, step-function learners).
    """
    if not isinstance(model, nets.EnsembleMLP):
        raise ValueError(f"model must be a deepwhy.nets.EnsembleMLP, got {type(model).__name__}")
    seed = positive_int("seed", seed, minimum=0)
    with torch.no_grad():
        for i in range(model.members):
            gen = torch.Generator().manual_seed(seed + i)
            for W in model.weights:
                std = 1.0 / math.sqrt(W.shape[1])
                W[i] = nn.init.trunc_normal_(torch.empty(W.shape[1:], dtype=torch.float64), std=std,
                                             a=-2 * std, b=2 * std, generator=gen).to(W.dtype)
        for b in model.biases:
            b.zero_()
    return model


# --------------------------------------------------------------------------------------
# 1. Parity
# --------------------------------------------------------------------------------------


class ParityLearners(nn.Module):
    """Parity learners for several input sizes d at once, held in one zero-padded ``EnsembleMLP``.

    ``seeds`` is the number of members per d: one integer for all, or one per entry of ``dims``.
    Member ``i`` of size ``d`` is the paper's network, d -> 10d ReLU -> 1 (the width factor is
    ``width``), initialized like :func:`paper_init_` (fan-in d) from seed ``seed + i``. It learns
    the parity of ``subsets[d][i]``: with ``subset_size=None`` the subset of
    ``data.parity(1, d, seed=seed + i)`` (each bit with probability 1/2, as in the paper); with
    an integer, or one integer per d, a subset of exactly that size drawn uniformly from the
    same seed.

    All members live in one ensemble of width ``width * max(dims)`` on ``max(dims)`` inputs: a
    member of size d has zero inputs beyond d, and zero weights into and out of its hidden units
    beyond ``width * d``. Those stay exactly zero under gradient descent (their gradients
    vanish), so every member computes and learns exactly what its own d-10d-1 network would,
    and one step trains every size at once. Use :meth:`sample`, :meth:`hinge` and
    :meth:`accuracy` with :func:`deepwhy.train.fit`.

    Used in: failure modes (accuracy against SGD steps while d grows: the parity cliff).
    """

    def __init__(self, dims=(5, 10, 15), seeds: int = 3, width: int = 10, seed: int = 0,
                 subset_size=None):
        super().__init__()
        try:
            dims = [positive_int("dims", d) for d in dims]
        except TypeError:
            raise ValueError(f"dims must be a list of input sizes >= 1, got {dims!r}") from None
        if not dims or len(set(dims)) != len(dims):
            raise ValueError(f"dims must be a non-empty list of distinct input sizes, got {dims!r}")
        self.dims = dims
        counts = [seeds] * len(dims) if isinstance(seeds, int) else list(seeds)
        if len(counts) != len(dims):
            raise ValueError(f"seeds must be an integer or one integer per d in dims = {dims}, got {seeds!r}")
        self.seeds = {d: positive_int("seeds", c) for d, c in zip(dims, counts)}
        sizes = ([subset_size] * len(dims) if subset_size is None or isinstance(subset_size, int)
                 else list(subset_size))
        if len(sizes) != len(dims) or any(s is not None and not (isinstance(s, int) and 0 <= s <= d)
                                          for s, d in zip(sizes, dims)):
            raise ValueError(f"subset_size must be None, an integer in [0, d] or one per d in dims = {dims}, "
                             f"got {subset_size!r}")
        self.width = positive_int("width", width)
        seed = positive_int("seed", seed, minimum=0)
        top = max(dims)
        members = sum(self.seeds.values())
        self.net = nets.EnsembleMLP([top, width * top, 1], members=members, seed=seed)
        self.subsets: dict[int, list[list[int]]] = {}
        self._mask = torch.zeros(members, 1, top, dtype=torch.bool)   # the subset of each member
        self._inputs = torch.zeros(members, 1, top)                   # 1 on the member's own d inputs
        W1, W2 = self.net.weights
        with torch.no_grad():
            for b in self.net.biases:
                b.zero_()
            W1.zero_()
            W2.zero_()
            i = 0
            for d, size in zip(dims, sizes):
                self.subsets[d] = []
                for j in range(self.seeds[d]):
                    if size is None:
                        subset = data.parity(1, d, seed=seed + j).subset
                    else:
                        gen = torch.Generator().manual_seed(seed + j)
                        subset = sorted(torch.randperm(d, generator=gen)[:size].tolist())
                    self.subsets[d].append(subset)
                    self._mask[i, 0, subset] = True
                    self._inputs[i, 0, :d] = 1.0
                    gen = torch.Generator().manual_seed(seed + j)
                    for W, (fan_in, fan_out) in ((W1, (d, width * d)), (W2, (width * d, 1))):
                        std = 1.0 / math.sqrt(fan_in)
                        W[i, :fan_in, :fan_out] = nn.init.trunc_normal_(
                            torch.empty(fan_in, fan_out, dtype=torch.float64), std=std, a=-2 * std, b=2 * std,
                            generator=gen).to(W.dtype)
                    i += 1

    def sample(self, n: int, generator: torch.Generator):
        """Return ``(X, y)``: (members, n, max(dims)) uniform ±1 inputs (zero beyond each member's d) and (members, n, 1) labels."""
        n = positive_int("n", n)
        if not isinstance(generator, torch.Generator):
            raise ValueError(f"generator must be a torch.Generator, got {generator!r}")
        members, _, top = self._mask.shape
        x = (1.0 - 2.0 * torch.randint(0, 2, (members, n, top), generator=generator).float()) * self._inputs
        y = torch.where(self._mask, x, torch.ones(())).prod(dim=-1, keepdim=True)
        return x, y

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.net(X)

    def hinge(self, pred: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Return the hinge loss of every member: shape (members,), in the order of :meth:`member_dims`."""
        return train.loss_per_member("hinge", pred, y)

    def accuracy(self, X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Return the accuracy of every member on ``(X, y)``, in the order of :meth:`member_dims`."""
        with torch.no_grad():
            return train.accuracy(self(X), y)

    def member_dims(self) -> np.ndarray:
        """Return the input size d of every member, in the order of :meth:`hinge` and :meth:`accuracy`."""
        return np.repeat(self.dims, [self.seeds[d] for d in self.dims])


def sign_cube(d: int, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """Return all 2^d points of {-1, +1}^d as a (2^d, d) tensor: row j has x_i = (-1)^(bit i of j).

    Used in: failure modes (exact expectations over every input of a parity problem).
    """
    d = positive_int("d", d)
    if d > 20:
        raise ValueError(f"d must be at most 20 (2^d rows), got {d}")
    bits = (torch.arange(2**d)[:, None] >> torch.arange(d)) & 1
    return (1 - 2 * bits).to(dtype)


def walsh_hadamard(A: torch.Tensor) -> torch.Tensor:
    """Return ``H @ A`` for the 2^d x 2^d Walsh-Hadamard matrix, H[v, j] = (-1)^popcount(v & j).

    With the rows of ``A`` indexed like :func:`sign_cube`, row v of the result is
    ``sum_x chi_v(x) A[x]``, where chi_v(x) is the product of x_i over the bits i of v: the
    parity with subset v. The fast transform costs d * 2^d * columns operations.

    Used in: failure modes (the gradient for every one of the 2^d parity targets at once).
    """
    if not isinstance(A, torch.Tensor) or A.dim() not in (1, 2):
        raise ValueError(f"A must be a 1-D or 2-D tensor, got {type(A).__name__}")
    n = A.shape[0]
    if n < 1 or n & (n - 1):
        raise ValueError(f"A must have a power of two rows, got {n}")
    out = A.reshape(n, -1)
    h = 1
    while h < n:
        pairs = out.reshape(n // (2 * h), 2, h, -1)
        out = torch.stack([pairs[:, 0] + pairs[:, 1], pairs[:, 0] - pairs[:, 1]], dim=1).reshape(n, -1)
        h *= 2
    return out.reshape(A.shape)


def per_example_gradients(model: nn.Module, X: torch.Tensor) -> torch.Tensor:
    """Return the gradient of the model's scalar output at each input: shape (n, number of parameters).

    Args:
        model: a module mapping (n, d) inputs to (n, 1) outputs, e.g. :func:`deepwhy.nets.mlp`.
        X: (n, d) inputs.

    Used in: failure modes (Theorem 1 of Shalev-Shwartz et al. 2017).
    """
    from torch.func import functional_call, grad, vmap

    if not isinstance(X, torch.Tensor) or X.dim() != 2:
        raise ValueError(f"X must be a 2-D tensor (n, d), got {type(X).__name__}")
    params = {k: v.detach() for k, v in model.named_parameters()}

    def output(p, x):
        return functional_call(model, p, (x[None],)).reshape(())

    grads = vmap(grad(output), in_dims=(None, 0))(params, X)
    return torch.cat([g.reshape(X.shape[0], -1) for g in grads.values()], dim=1)


@dataclass
class GradientVariance:
    """The spread of the population gradient over a family of parity targets (see :func:`parity_gradient_variance`).

    Attributes:
        d: input dimension.
        variance: E_v ||grad F_v - E_v' grad F_v'||^2 over all 2^d parities v.
        bound: G^2 / 2^d, Theorem 1's bound, with G^2 = E_x ||grad_w p_w(x)||^2.
        mean_sq: ||E_v grad F_v||^2, the part of the gradient every target shares.
    """

    d: int
    variance: float
    bound: float
    mean_sq: float


def parity_gradients(model: nn.Module, d: int):
    """Return ``(grads, G2)``: the population gradient for every parity target, and G^2.

    Row v of ``grads`` (2^d, number of parameters) is the gradient of
    F_v(w) = E_x 1/2 (p_w(x) - chi_v(x))^2, x uniform on {-1, +1}^d, for the parity chi_v whose
    subset is the set bits of v. ``G2`` = E_x ||grad_w p_w(x)||^2. Every expectation is an exact
    average over the 2^d inputs and every target is enumerated (through :func:`walsh_hadamard`),
    so nothing is sampled.

    Args:
        model: a float64 network from (n, d) to (n, 1), e.g. ``nets.mlp([d, 10 * d, 1], dtype=torch.float64)``.
        d: its input dimension, at most 14.

    Used in: failure modes (Theorem 1 made visible, and its explorer).
    """
    d = positive_int("d", d)
    if d > 14:
        raise ValueError(f"d must be at most 14 (the gradient of 2^d targets is held in memory), got {d}")
    X = sign_cube(d)
    J = per_example_gradients(model, X)  # (2^d, P)
    n = X.shape[0]
    with torch.no_grad():
        common = (model(X).reshape(n, 1) * J).mean(dim=0)   # E_x p(x) grad p(x), the same for every target
    grads = common - walsh_hadamard(J) / n                    # row v: grad F_v
    return grads, float((J**2).sum(dim=1).mean())


def parity_gradient_variance(model: nn.Module, d: int) -> GradientVariance:
    """Return the exact :class:`GradientVariance` of ``model`` over all 2^d parity targets, square loss.

    Theorem 1 of Shalev-Shwartz et al. (2017) bounds the variance by G^2 / 2^d, because the
    2^d parities are orthogonal functions. See :func:`parity_gradients` for the set-up.

    Used in: failure modes (Theorem 1 made visible).
    """
    grads, G2 = parity_gradients(model, d)
    mean = grads.mean(dim=0)
    variance = ((grads - mean) ** 2).sum(dim=1).mean().item()
    return GradientVariance(int(d), variance, G2 / 2**d, float((mean**2).sum()))


def parity_gradient_deviation(model: nn.Module, d: int):
    """Return ``(sizes, deviation)``: for each of the 2^d parity targets, its subset size and gradient deviation.

    ``deviation[v]`` is ||grad F_v - E_v' grad F_v'|| / ||E_v' grad F_v'||, how far the gradient
    for target v is from the average gradient, relative to the average's length, and
    ``sizes[v]`` is the number of bits in the subset v. Both are numpy arrays of length 2^d.
    See :func:`parity_gradients` for the set-up.

    Used in: failure modes (which parities the gradient can tell apart).
    """
    grads, _ = parity_gradients(model, d)
    mean = grads.mean(dim=0)
    deviation = ((grads - mean).norm(dim=1) / mean.norm()).numpy()
    sizes = np.array([bin(v).count("1") for v in range(2**d)])
    return sizes, deviation


# --------------------------------------------------------------------------------------
# 2. Decomposition vs end-to-end: the stocks experiment
# --------------------------------------------------------------------------------------


def stock_initial_weights(d: int = 1000, k: int = 100, seed: int = 0) -> torch.Tensor:
    """Return the (d, k) weights of the stocks model at initialization, drawn as :func:`paper_init_` does.

    With one-hot inputs and a zero bias, row j is also the logits for input j.

    Used in: failure modes (decomposition vs end-to-end).
    """
    d, k = positive_int("d", d), positive_int("k", k)
    seed = positive_int("seed", seed, minimum=0)
    return paper_init_(nets.EnsembleMLP([d, k], members=1, bias=False, seed=seed), seed).weights[0][0].detach()


def stock_labels(d: int = 1000, k: int = 100, seed: int = 0) -> torch.Tensor:
    """Return y(x) for each of the ``d`` one-hot inputs: the one stock (in 0..k-1) that x predicts.

    Used in: failure modes (decomposition vs end-to-end).
    """
    d, k = positive_int("d", d), positive_int("k", k)
    gen = torch.Generator().manual_seed(positive_int("seed", seed, minimum=0))
    return torch.randint(0, k, (d,), generator=gen)


@dataclass
class StockMoments:
    """Exact gradient moments of the stocks problem at one point (see :func:`stock_gradient_moments`).

    Attributes:
        signal: ||grad L||^2, the squared norm of the true gradient (equal for both estimators).
        e2e: E ||g||^2 of the end-to-end estimate g = grad(-z^T p) from one sample (x, z).
        dec: E ||g||^2 of the decomposition estimate g = grad(-p_y(x)) from one sample x.
    """

    signal: float
    e2e: float
    dec: float

    @property
    def snr_e2e(self) -> float:
        """Signal-to-noise ratio of the end-to-end estimate: signal / (e2e - signal)."""
        return self.signal / (self.e2e - self.signal)

    @property
    def snr_dec(self) -> float:
        """Signal-to-noise ratio of the decomposition estimate: signal / (dec - signal)."""
        return self.signal / (self.dec - self.signal)


def stock_gradient_moments(logits: torch.Tensor, labels: torch.Tensor) -> StockMoments:
    """Return the exact :class:`StockMoments` of a linear-softmax model at ``logits``.

    The model is p(x) = softmax(W x + b) with one-hot inputs x = e_j, so its logits for input
    j are row j of ``W + b``. For one sample, ``d(-z^T p)/d logits = -J z`` with the softmax
    Jacobian ``J = diag(p) - p p^T``, and the parameter gradient has squared norm
    ``2 ||J z||^2`` (weights and bias). With z_y = 1 and the other z_i = ±1 at random,
    E_z ||J z||^2 = ||J||_F^2 (end-to-end) against ||J e_y||^2 for decomposition: the paper's
    equations (2) and (3), here without sampling.

    Args:
        logits: (d, k) tensor, row j = the logits for input j.
        labels: (d,) integer tensor, y(x) for every input.

    Used in: failure modes (the signal-to-noise ratio against k).
    """
    if not isinstance(logits, torch.Tensor) or logits.dim() != 2:
        raise ValueError(f"logits must be a (d, k) tensor, got {type(logits).__name__}")
    d, k = logits.shape
    if not isinstance(labels, torch.Tensor) or labels.shape != (d,):
        raise ValueError(f"labels must be a tensor of shape ({d},), got {getattr(labels, 'shape', labels)!r}")
    if int(labels.min()) < 0 or int(labels.max()) >= k:
        raise ValueError(f"labels must lie in [0, {k}), got values in [{int(labels.min())}, {int(labels.max())}]")
    p = torch.softmax(logits.double(), dim=1)
    sum_sq = (p**2).sum(dim=1)
    frob = sum_sq - 2 * (p**3).sum(dim=1) + sum_sq**2                   # ||J||_F^2 per input
    py = p.gather(1, labels[:, None]).squeeze(1)
    col_y = py[:, None] * (torch.nn.functional.one_hot(labels, k) - p)   # J e_y per input
    e2e = 2 * frob.mean()
    dec = 2 * (col_y**2).sum(dim=1).mean()
    signal = (col_y**2).sum() / d**2 + (col_y.mean(dim=0) ** 2).sum()    # weight rows + bias
    return StockMoments(float(signal), float(e2e), float(dec))


def stock_logit_gradients(p: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Return the gradient of the loss -target^T p with respect to the logits of p = softmax(logits).

    It is ``-(p * target - p * (p . target))``, the softmax Jacobian applied to -target. With
    ``target = z`` this is the end-to-end estimate, with the one-hot ``target = e_y`` the
    decomposition estimate. Shapes: ``p`` and ``target`` (..., k); the result has the same shape.

    Used in: failure modes (the stocks experiment computes its gradients by hand, row by row).
    """
    if not isinstance(p, torch.Tensor) or not isinstance(target, torch.Tensor) or p.shape != target.shape:
        raise ValueError(f"p and target must be tensors of the same shape, got {getattr(p, 'shape', p)!r} "
                         f"and {getattr(target, 'shape', target)!r}")
    pt = p * target
    return p * pt.sum(dim=-1, keepdim=True) - pt


#: row b holds the 8 bits of the byte b as signs: +1 for a 0 bit, -1 for a 1 bit
_BYTE_SIGNS = 1.0 - 2.0 * ((torch.arange(256)[:, None] >> torch.arange(8)) & 1).float()


def random_signs(shape, generator: torch.Generator) -> torch.Tensor:
    """Return a float tensor of independent uniform ±1 entries, drawn 8 at a time from random bytes.

    Equivalent in distribution to ``1 - 2 * randint(0, 2, shape)``, and several times faster
    for large tensors.

    Used in: failure modes (the stocks problem draws a million random returns per second).
    """
    shape = tuple(shape)
    if not shape or any(not isinstance(s, int) or s < 0 for s in shape):
        raise ValueError(f"shape must be a non-empty tuple of sizes >= 0, got {shape!r}")
    if not isinstance(generator, torch.Generator):
        raise ValueError(f"generator must be a torch.Generator, got {generator!r}")
    n = math.prod(shape)
    bytes_ = torch.randint(0, 256, ((n + 7) // 8,), generator=generator, dtype=torch.uint8)
    return _BYTE_SIGNS[bytes_.long()].reshape(-1)[:n].reshape(shape)


def train_stocks(k: int, d: int = 1000, steps: int = 2500, batch_size: int = 100, lr: float = 0.1,
                 seeds=(0,), record_every: int = 100, bias: bool = True,
                 progress: bool | None = None) -> train.History:
    """Train the stocks problem end-to-end and by decomposition, side by side; return a History.

    The model is a linear layer from one-hot x in R^d to k logits, then a softmax, initialized
    by :func:`stock_initial_weights` with a zero bias. The end-to-end loss of a sample is
    -z^T p(x), with z_y(x) = 1 and the other k - 1 entries uniform ±1; the decomposition loss
    is -p_y(x)(x). Both use Adam (lr 0.1, betas 0.9/0.99, eps 1e-5) on batches of 100, as the
    paper's code. Members are held in one tensor and see the same inputs: the first half
    end-to-end, the second half decomposition, one member per seed in each (seed s fixes the
    labels and the initial weights). ``bias=False`` drops the bias vector.

    A one-hot input touches one row of W, so the gradient is computed by hand
    (:func:`stock_logit_gradients`) and written into the rows of the batch only, which is
    several times faster than autograd here. The recorded loss is the exact expected loss
    E[-z^T p] = -mean_x p_y(x)(x), over all d inputs.

    Used in: failure modes (learning curves at k = 10, 100, 1000).
    """
    k, d = positive_int("k", k), positive_int("d", d)
    steps, batch_size = positive_int("steps", steps, minimum=0), positive_int("batch_size", batch_size)
    positive_float("lr", lr)
    record_every = positive_int("record_every", record_every)
    seeds = [positive_int("seeds", s, minimum=0) for s in seeds]
    if not seeds:
        raise ValueError("seeds must hold at least one seed")
    half, members = len(seeds), 2 * len(seeds)
    labels = torch.stack([stock_labels(d, k, s) for s in seeds] * 2)              # (M, d)
    W = nn.Parameter(torch.stack([stock_initial_weights(d, k, s) for s in seeds] * 2))  # (M, d, k)
    b = nn.Parameter(torch.zeros(members, 1, k))
    W.grad, b.grad = torch.zeros_like(W), torch.zeros_like(b)
    opt = torch.optim.Adam([W, b] if bias else [W], lr=lr, betas=(0.9, 0.99), eps=1e-5, fused=True)
    gen = torch.Generator().manual_seed(seeds[0] + 12345)
    rows = torch.arange(members)[:, None].expand(members, batch_size)

    def expected_loss():
        with torch.no_grad():
            p = torch.softmax(W + b, dim=-1)
            return -p.gather(2, labels[..., None]).squeeze(-1).mean(dim=1).numpy().copy()

    rec_steps, rec_loss = [0], [expected_loss()]
    start = time.perf_counter()
    idx = torch.zeros(batch_size, dtype=torch.long)
    with torch.no_grad():
        for step in train.progress_bar(range(1, steps + 1), progress, desc="stocks"):
            W.grad[:, idx] = 0.0                                                 # clear the last batch's rows
            idx = torch.randint(0, d, (batch_size,), generator=gen)
            y = labels[:, idx, None]                                             # (M, B, 1)
            z = random_signs((half, batch_size, k), gen).scatter_(2, y[:half], 1.0)  # z, with z_y = 1
            p = torch.softmax(W[:, idx] + b, dim=-1)                             # (M, B, k)
            p_y = p[half:].gather(2, y[half:])                                   # decomposition, target e_y:
            g = torch.cat([stock_logit_gradients(p[:half], z),                   # p p_y - p_y e_y
                           (p[half:] * p_y).scatter_add_(2, y[half:], -p_y)]) / batch_size
            W.grad.index_put_((rows, idx.expand(members, batch_size)), g, accumulate=True)
            b.grad.copy_(g.sum(dim=1, keepdim=True))
            opt.step()
            if step % record_every == 0 or step == steps:
                rec_steps.append(step)
                rec_loss.append(expected_loss())
    return train.History(steps=np.array(rec_steps), loss=np.array(rec_loss),
                         seconds=time.perf_counter() - start)


# --------------------------------------------------------------------------------------
# 2b. Decomposition vs end-to-end: the tuple of line images (the paper's Section 3.1)
# --------------------------------------------------------------------------------------


def line_images(n: int, size: int = 14, seed: int = 0, generator: torch.Generator | None = None):
    """Return ``(X, bits)``: n binary images of one straight line each, (n, size * size), and their bits ±1, (n,).

    The line's angle theta is drawn uniformly from [10°, 80°] or [100°, 170°] (away from the
    two angles where the bit flips), and it passes within 2 pixels of the centre. A pixel is 1
    when its centre lies within half a pixel of the line. The bit is +1 if theta < 90°, else -1,
    as in the paper's Section 3.1 (which uses 28 x 28 images). Pass ``generator`` to draw
    batch after batch from one stream; otherwise a generator seeded with ``seed`` is used.

    Used in: failure modes (the tuple-of-lines experiment).
    """
    n, size = positive_int("n", n), positive_int("size", size, minimum=5)
    gen = generator if generator is not None else torch.Generator().manual_seed(positive_int("seed", seed, minimum=0))
    if not isinstance(gen, torch.Generator):
        raise ValueError(f"generator must be a torch.Generator or None, got {generator!r}")
    bits = 1.0 - 2.0 * torch.randint(0, 2, (n,), generator=gen).float()
    theta = torch.deg2rad(10 + 70 * torch.rand(n, generator=gen) + 90 * (bits < 0))
    offset = 4 * torch.rand(n, generator=gen) - 2
    centre = (size - 1) / 2
    coords = torch.arange(size, dtype=torch.float32) - centre
    rows, cols = coords[:, None], coords[None, :]            # row grows downwards: y = -row
    normal = torch.stack([-torch.sin(theta), torch.cos(theta)], dim=1)   # unit normal of direction (cos, sin)
    dist = normal[:, 0, None, None] * cols + normal[:, 1, None, None] * (-rows) - offset[:, None, None]
    return (dist.abs() <= 0.5).float().reshape(n, size * size), bits


class TupleLearners(nn.Module):
    """End-to-end and decomposition learners for the tuple-of-lines problem, as one batched model.

    Every member has an image encoder, ``size**2 -> hidden -> 1`` ReLU (an :class:`EnsembleMLP`
    applied to each of the k images, giving k scores), and a head ``k -> 10k -> 1`` ReLU that
    maps the k scores to the tuple's prediction (end-to-end members only). Both start from
    :func:`paper_init_`.

    - **end-to-end** members train encoder and head together on the hinge loss of the tuple's
      label, the parity of the k bits;
    - **decomposition** members train the encoder on the hinge loss of each image's own bit,
      and predict the tuple by the parity of the signs of the k scores (the head is not used).

    ``members`` is the number of seeds per approach; the first half of the ensemble is
    end-to-end, the second half decomposition, member i of each half starting from seed
    ``seed + i``. The paper's encoder is a LeNet-like CNN on 28 x 28 images; this one is smaller
    so that the experiment fits in seconds.

    Used in: failure modes (the tuple-of-lines experiment: :meth:`gradient_snr` at initialization,
    and :func:`train_tuples`).
    """

    def __init__(self, k: int, members: int = 3, size: int = 14, hidden: int = 32, seed: int = 0):
        super().__init__()
        self.k, self.size = positive_int("k", k), positive_int("size", size, minimum=5)
        self.half = positive_int("members", members)
        seed = positive_int("seed", seed, minimum=0)
        M = 2 * self.half
        self.encoder = nets.EnsembleMLP([size * size, positive_int("hidden", hidden), 1], members=M, seed=seed)
        self.head = paper_init_(nets.EnsembleMLP([self.k, 10 * self.k, 1], members=self.half, seed=seed), seed)
        paper_init_(self.encoder, seed)
        with torch.no_grad():           # the decomposition half starts where the end-to-end half does
            for W in self.encoder.weights:
                W[self.half:] = W[: self.half]

    def sample(self, n: int, generator: torch.Generator):
        """Return ``(X, bits)``: n tuples for every member, X of shape (n, k, size * size) and bits (n, k)."""
        X, bits = line_images(positive_int("n", n) * self.k, self.size, generator=generator)
        return X.reshape(n, self.k, -1), bits.reshape(n, self.k)

    def scores(self, X: torch.Tensor) -> torch.Tensor:
        """Return the encoder's score of every image: (members, n, k) for X of shape (n, k, size * size)."""
        n = X.shape[0]
        return self.encoder(X.reshape(n * self.k, -1)).reshape(-1, n, self.k)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """Return the tuple predictions (members, n, 1): the head's output for the end-to-end half, the parity of the score signs for the other."""
        s = self.scores(X)
        e2e = self.head(s[: self.half])
        dec = torch.sign(s[self.half:]).prod(dim=-1, keepdim=True)
        return torch.cat([e2e, dec])

    def losses(self, batch) -> torch.Tensor:
        """Return the training loss of every member for a batch ``(X, bits)``: shape (members,)."""
        X, bits = batch
        s = self.scores(X)
        y = bits.prod(dim=1, keepdim=True)                                    # (n, 1) tuple labels
        e2e = train.loss_per_member("hinge", self.head(s[: self.half]), y)
        dec = torch.clamp(1 - s[self.half:] * bits, min=0).mean(dim=(1, 2))
        return torch.cat([e2e, dec])

    def accuracy(self, X: torch.Tensor, bits: torch.Tensor) -> torch.Tensor:
        """Return every member's accuracy on the tuples' labels (the parity of the k bits): shape (members,)."""
        with torch.no_grad():
            return train.accuracy(self(X), bits.prod(dim=1, keepdim=True))

    def gradient_snr(self, X: torch.Tensor, bits: torch.Tensor):
        """Return ``(snr, floor)``: the SNR of the one-tuple gradient for the encoder's last layer, per member.

        For each tuple i, g_i is the gradient of the member's loss (end-to-end or decomposition)
        with respect to the encoder's output weights and bias. The SNR is ||E g||^2 / E||g - E g||^2,
        the ratio the paper plots in its Figure 5. ||E g||^2 is estimated without bias by the dot
        product of the means of two halves of the sample, so it can come out negative when the
        signal is below the sampling noise. ``floor`` is the smallest SNR the sample can detect:
        two standard errors of that estimate, over the noise. Both are (members,) numpy arrays.
        """
        n = X.shape[0]
        if n < 4 or X.shape[1:] != (self.k, self.size**2) or bits.shape != (n, self.k):
            raise ValueError(f"X must have shape (n >= 4, {self.k}, {self.size ** 2}) and bits (n, {self.k}), "
                             f"got {tuple(X.shape)} and {tuple(bits.shape)}")
        W1, b1 = self.encoder.weights[0].detach(), self.encoder.biases[0].detach()
        feats = torch.relu(X.reshape(n * self.k, -1).double() @ W1.double() + b1.double())   # (M, n k, hidden)
        feats = torch.cat([feats, torch.ones_like(feats[..., :1])], dim=-1).reshape(-1, n, self.k, feats.shape[-1] + 1)
        s = (feats[..., :-1] @ self.encoder.weights[1].detach().double()[:, None]).squeeze(-1) \
            + self.encoder.biases[1].detach().double().reshape(-1, 1, 1)          # (M, n, k)
        y = bits.double().prod(dim=1)
        with torch.enable_grad():                                                  # d loss / d scores, end-to-end
            s_e2e = s[: self.half].clone().requires_grad_(True)
            head = [W.detach().double() for W in self.head.weights], [b.detach().double() for b in self.head.biases]
            h = torch.relu(s_e2e @ head[0][0] + head[1][0])
            out = (h @ head[0][1] + head[1][1])[..., 0]
            torch.clamp(1 - out * y, min=0).sum().backward()
        dscore = torch.cat([s_e2e.grad, -bits.double() * ((s[self.half:] * bits.double()) < 1)])  # (M, n, k)
        g = (dscore[..., None] * feats).sum(dim=2)                                 # (M, n, hidden + 1)
        a, b = g[:, : n // 2].mean(dim=1), g[:, n // 2: 2 * (n // 2)].mean(dim=1)
        signal = (a * b).sum(dim=1)
        centred = g - g.mean(dim=1, keepdim=True)
        noise = (centred**2).sum(dim=2).mean(dim=1)
        cov = centred.transpose(1, 2) @ centred / n
        floor = 2 * torch.sqrt((cov**2).sum(dim=(1, 2))) / (n // 2) / noise
        return (signal / noise).numpy(), floor.numpy()


def train_tuples(k: int, members: int = 3, steps: int = 500, batch_size: int = 100, lr: float = 1e-3,
                 record_every: int = 50, test_size: int = 1000, seed: int = 0) -> train.History:
    """Train :class:`TupleLearners` end-to-end and by decomposition with the same Adam steps; return a History.

    Every step draws ``batch_size`` fresh tuples of k line images (the same for every member) and
    takes one Adam step (learning rate ``lr``, the paper's 1e-3) on every member's loss. The
    History holds the losses and ``metrics["accuracy"]``, each member's accuracy on the tuples'
    labels for ``test_size`` fixed test tuples; members are ordered end-to-end first.

    Used in: failure modes (end-to-end against decomposition for k = 1 and 3).
    """
    steps, record_every = positive_int("steps", steps, minimum=0), positive_int("record_every", record_every)
    batch_size, test_size = positive_int("batch_size", batch_size), positive_int("test_size", test_size)
    positive_float("lr", lr)
    model = TupleLearners(k, members=members, seed=seed)
    test = model.sample(test_size, torch.Generator().manual_seed(seed + 7))
    gen = torch.Generator().manual_seed(seed + 8)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    rec_steps, losses, accuracy = [], [], []
    start = time.perf_counter()
    for step in range(steps + 1):
        if step:
            opt.zero_grad()
            loss = model.losses(model.sample(batch_size, gen))
            loss.sum().backward()
            opt.step()
        if step % record_every == 0 or step == steps:
            rec_steps.append(step)
            with torch.no_grad():
                losses.append(model.losses(test).numpy())
            accuracy.append(model.accuracy(*test).numpy())
    return train.History(steps=np.array(rec_steps), loss=np.array(losses),
                         metrics={"accuracy": np.array(accuracy)}, seconds=time.perf_counter() - start)


# --------------------------------------------------------------------------------------
# 3. Architecture and conditioning: piecewise-linear curves
# --------------------------------------------------------------------------------------


def pwl_matrix(n: int = 100) -> np.ndarray:
    """Return the n x n matrix W with W[i, j] = max(0, i - j + 1), so that a curve is f = W p.

    p holds the changes of slope: p[j] = a_i if a piece starts at theta_i = j. Its inverse
    is the second-difference matrix (1 on the diagonal, -2 below it, 1 two below; Lemma 1).

    Used in: failure modes (the condition number grows like n^3.5 or faster).
    """
    n = positive_int("n", n)
    i, j = np.arange(n)[:, None], np.arange(n)[None, :]
    return np.maximum(0, i - j + 1).astype(np.float64)


def pwl_curves(m: int, n: int = 100, pieces: int = 3, seed: int = 0, first: int = 2):
    """Return ``(F, P)``: m piecewise-linear curves sampled at 0..n-1, (m, n) each, with F = P W^T.

    Each curve has ``pieces`` kinks at distinct positions theta drawn uniformly from
    ``first``..n-1 and slope changes a ~ U[-1, 1] (the paper's text; its code draws slopes from
    a short list). With ``first = 2`` a 3-tap filter reproduces P exactly from F.

    Used in: failure modes (architecture and conditioning).
    """
    m, n, pieces = positive_int("m", m), positive_int("n", n), positive_int("pieces", pieces)
    first = positive_int("first", first, minimum=0)
    if pieces > n - first:
        raise ValueError(f"pieces must be at most n - first = {n - first}, got {pieces}")
    rng = np.random.default_rng(positive_int("seed", seed, minimum=0))
    theta = np.argsort(rng.random((m, n - first)), axis=1)[:, :pieces] + first
    P = np.zeros((m, n))
    np.put_along_axis(P, theta, rng.uniform(-1, 1, (m, pieces)), axis=1)
    return P @ pwl_matrix(n).T, P


def three_tap_rows(F: np.ndarray, P: np.ndarray):
    """Return ``(R, t)``: the regression a 3-tap convolution solves, rows [f_{t-2}, f_{t-1}, f_t] -> p_t.

    R has shape (m * (n - 2), 3) and t shape (m * (n - 2),); the exact solution is the filter
    (1, -2, 1).

    Used in: failure modes (the convolution as a 3-parameter linear regression).
    """
    F, P = np.asarray(F, dtype=np.float64), np.asarray(P, dtype=np.float64)
    if F.ndim != 2 or F.shape != P.shape or F.shape[1] < 3:
        raise ValueError(f"F and P must be (m, n) arrays of equal shape with n >= 3, got {F.shape} and {P.shape}")
    R = np.stack([F[:, :-2], F[:, 1:-1], F[:, 2:]], axis=-1).reshape(-1, 3)
    return R, P[:, 2:].reshape(-1)


def fit_three_tap(F: np.ndarray, P: np.ndarray, steps: int = 1000, batch_size: int = 10,
                  whiten: bool = False, seed: int = 0) -> np.ndarray:
    """Return max|w_t - (1, -2, 1)| for t = 0..steps: SGD on the 3-tap filter, from w = 0.

    Each step draws ``batch_size`` curves and takes a gradient step on the mean squared error
    of their rows. Plain SGD uses the largest safe step, lr = 1 / lambda_max of the rows'
    correlation matrix C. With ``whiten`` the rows are multiplied by C^(-1/2) (the paper's
    conditioning, Section 4.1.3), the correlation becomes the identity, and lr = 1.

    Used in: failure modes (plain SGD makes no progress; whitening solves it in a few steps).
    """
    steps, batch_size = positive_int("steps", steps, minimum=0), positive_int("batch_size", batch_size)
    R, t = three_tap_rows(F, P)
    m, rows = F.shape[0], F.shape[1] - 2
    C = R.T @ R / len(R)
    eigval, eigvec = np.linalg.eigh(C)
    M = eigvec @ np.diag(eigval**-0.5) @ eigvec.T if whiten else np.eye(3)
    lr = 1.0 if whiten else 1.0 / eigval[-1]
    R = (R @ M).reshape(m, rows, 3)
    t = t.reshape(m, rows)
    target = np.array([1.0, -2.0, 1.0])
    rng = np.random.default_rng(positive_int("seed", seed, minimum=0))
    v = np.zeros(3)
    errors = [np.abs(M @ v - target).max()]
    for _ in range(steps):
        idx = rng.integers(0, m, batch_size)
        Rb, tb = R[idx].reshape(-1, 3), t[idx].reshape(-1)
        v = v - lr * Rb.T @ (Rb @ v - tb) / len(tb)
        errors.append(np.abs(M @ v - target).max())
    return np.array(errors)


# --------------------------------------------------------------------------------------
# 4. Flat activations: learning through a step function
# --------------------------------------------------------------------------------------

#: offsets of the step positions from b*, as in the paper's code (52 distinct values)
STEP_OFFSETS = tuple(float(v) for v in range(-100, 100, 5)) + (
    -5.0, -4.0, -3.0, -2.0, -1.0, -0.2, 0.0, 0.1, 0.15, 0.175, 1.0, 2.0, 3.0, 4.0, 5.0)

STEP_VARIANTS = ("gradient", "smooth", "end-to-end", "straight-through")


@dataclass
class StepTask:
    """A target y(x) = u(w*^T x + b*) with u the step function onto ``levels`` (see :func:`step_task`)."""

    w: torch.Tensor
    b: float
    levels: torch.Tensor

    def sample(self, n: int, generator: torch.Generator):
        """Return ``(x, y, r)``: x ~ N(0, I)/N of shape (n, N), labels y = u(r) (n, 1), and r = w*^T x + b* (n,)."""
        n = positive_int("n", n)
        if not isinstance(generator, torch.Generator):
            raise ValueError(f"generator must be a torch.Generator, got {generator!r}")
        dim = self.w.shape[0]
        x = torch.randn(n, dim, generator=generator) / dim
        r = x @ self.w + self.b
        return x, step_function(r, self.levels)[:, None], r


def step_task(n_inputs: int = 100, seed: int = 0) -> StepTask:
    """Return the paper's step-function task: w* ~ N(0, I), b* ~ N(0, 1), levels b* + STEP_OFFSETS.

    Used in: failure modes (flat activations).
    """
    n_inputs = positive_int("n_inputs", n_inputs)
    gen = torch.Generator().manual_seed(positive_int("seed", seed, minimum=0))
    w = torch.randn(n_inputs, generator=gen, dtype=torch.float64)
    b = torch.randn((), generator=gen, dtype=torch.float64)
    levels = torch.unique(b + torch.tensor(STEP_OFFSETS, dtype=torch.float64))
    return StepTask(w.float(), float(b), levels.float())


def _check_levels(levels):
    if not isinstance(levels, torch.Tensor) or levels.dim() != 1 or len(levels) < 2:
        raise ValueError(f"levels must be a 1-D tensor of at least 2 increasing values, got {levels!r}")
    if bool((levels[1:] <= levels[:-1]).any()):
        raise ValueError("levels must be strictly increasing")


def step_function(r: torch.Tensor, levels: torch.Tensor) -> torch.Tensor:
    """Return u(r): each entry of r rounded down to the nearest level (the lowest level below them all).

    Written as u(r) = z_0 + sum_i (z_i - z_{i-1}) 1[r > z_i], the paper's formula, with the
    indicator computed as sign(relu(r - z_i)). Autograd differentiates it honestly: its
    derivative is zero everywhere, so a loss through u has a gradient of exactly zero. When no
    gradient is needed, the same values come from a binary search over the levels.

    Used in: failure modes (flat activations).
    """
    _check_levels(levels)
    if not (r.requires_grad and torch.is_grad_enabled()):   # no gradient wanted: a binary search is faster
        return levels[(torch.searchsorted(levels, r.contiguous()) - 1).clamp(min=0)]
    above = torch.sign(torch.relu(r[..., None] - levels[1:]))
    return levels[0] + (above * (levels[1:] - levels[:-1])).sum(dim=-1)


def smooth_step(r: torch.Tensor, levels: torch.Tensor, c: float = 5.0, sharpness: float = 10.0) -> torch.Tensor:
    """Return a sum of sigmoids that approximates :func:`step_function` (the paper's non-flat approximation).

    Step i, of height Δ_i = z_i - z_{i-1}, becomes Δ_i σ(c (r - m_i) · sharpness / Δ_i),
    centred at m_i = z_i - Δ_i / (2 sharpness), as in the paper's code (c = 5, L = 10).

    Used in: failure modes (a smooth approximation is slow).
    """
    _check_levels(levels)
    positive_float("c", c)
    positive_float("sharpness", sharpness)
    gaps = levels[1:] - levels[:-1]
    centres = levels[1:] - gaps / (2 * sharpness)
    return levels[0] + (gaps * torch.sigmoid(c * sharpness * (r[..., None] - centres) / gaps)).sum(dim=-1)


def straight_through_step(r: torch.Tensor, levels: torch.Tensor) -> torch.Tensor:
    """Return u(r) in the forward pass, with the backward pass of the identity (straight-through).

    This is the paper's "forward-only" update (Kalai and Sastry's Isotron): the message
    backpropagated through u is the incoming gradient, unchanged.

    Used in: failure modes (the straight-through update wins).
    """
    with torch.no_grad():
        u = step_function(r, levels)
    return r + (u - r).detach()


_STEP_HEADS = {
    "gradient": step_function,
    "smooth": smooth_step,
    "straight-through": straight_through_step,
}


def step_learner(variant: str, n_inputs: int = 100, members: int = 1, hidden=(100, 100, 100),
                 seed: int = 0) -> nets.EnsembleMLP:
    """Return the network a variant trains: a linear unit (w, b), or an MLP for "end-to-end".

    The end-to-end MLP has the paper's three hidden ReLU layers of 100 units. Both start
    from :func:`paper_init_` (zero bias), member i with seed ``seed + i``.

    Used in: failure modes (flat activations).
    """
    one_of("variant", variant, STEP_VARIANTS)
    sizes = [n_inputs, *hidden, 1] if variant == "end-to-end" else [n_inputs, 1]
    return paper_init_(nets.EnsembleMLP(sizes, members=members, seed=seed), seed)


def step_output(variant: str, pred: torch.Tensor, levels: torch.Tensor, training: bool = True) -> torch.Tensor:
    """Return what a variant outputs for the network's raw output ``pred``.

    In training, "gradient" passes ``pred`` through u, "smooth" through the sigmoid sum,
    "straight-through" through u with an identity backward pass, and "end-to-end" returns
    ``pred`` as it is. At test time (``training=False``) every linear variant is judged by the
    real predictor u(pred).

    Used in: failure modes (flat activations).
    """
    one_of("variant", variant, STEP_VARIANTS)
    if variant == "end-to-end":
        return pred
    head = _STEP_HEADS[variant] if training else step_function
    return head(pred[..., 0], levels)[..., None]


def step_loss(variant: str, levels: torch.Tensor):
    """Return the training loss of a variant for :func:`deepwhy.train.fit`: (pred, y) -> per-member squared error.

    Used in: failure modes (flat activations).
    """
    one_of("variant", variant, STEP_VARIANTS)
    _check_levels(levels)

    def loss(pred, y):
        return ((step_output(variant, pred, levels) - y) ** 2).mean(dim=(-2, -1))

    return loss
