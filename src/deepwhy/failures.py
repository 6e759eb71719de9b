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
    """Parity learners for several input sizes d at once: one ``EnsembleMLP`` per d, trained in one loop.

    ``seeds`` is the number of members per d: one integer for all, or one per entry of ``dims``.
    Member ``i`` of size ``d`` is the paper's network, d -> 10d ReLU -> 1 (the width factor is
    ``width``), initialized by :func:`paper_init_` with seed ``seed + i``, and it learns the parity
    of the subset ``data.parity(1, d, seed=seed + i).subset``. Every call returns dicts keyed by d;
    :meth:`hinge` and :meth:`accuracy` concatenate the members in the order of ``dims``, so the
    losses can go straight to :func:`deepwhy.train.fit`, which then trains every size at once.

    Used in: failure modes (accuracy against iterations for d = 5, 10, 20, 30).
    """

    def __init__(self, dims=(5, 10, 20, 30), seeds: int = 3, width: int = 10, seed: int = 0):
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
        self.width = positive_int("width", width)
        seed = positive_int("seed", seed, minimum=0)
        self.nets = nn.ModuleDict()
        self.subsets: dict[int, list[list[int]]] = {}
        masks = []
        for d in dims:
            count = self.seeds[d]
            ens = nets.EnsembleMLP([d, width * d, 1], members=count, seed=seed)
            self.nets[str(d)] = paper_init_(ens, seed)
            self.subsets[d] = [data.parity(1, d, seed=seed + i).subset for i in range(count)]
            mask = torch.zeros(count, 1, d, dtype=torch.bool)
            for i, s in enumerate(self.subsets[d]):
                mask[i, 0, s] = True
            masks.append(mask)
        self._masks = masks

    def sample(self, n: int, generator: torch.Generator):
        """Return ``(X, y)``: dicts d -> (members, n, d) uniform ±1 inputs and d -> (members, n, 1) parity labels."""
        n = positive_int("n", n)
        if not isinstance(generator, torch.Generator):
            raise ValueError(f"generator must be a torch.Generator, got {generator!r}")
        X, y = {}, {}
        for d, mask in zip(self.dims, self._masks):
            x = 1.0 - 2.0 * torch.randint(0, 2, (self.seeds[d], n, d), generator=generator).float()
            X[d] = x
            y[d] = torch.where(mask, x, torch.ones(())).prod(dim=-1, keepdim=True)
        return X, y

    def forward(self, X: dict) -> dict:
        return {d: self.nets[str(d)](X[d]) for d in self.dims}

    def hinge(self, pred: dict, y: dict) -> torch.Tensor:
        """Return the hinge loss of every member, concatenated over ``dims``: shape (total members,)."""
        return torch.cat([train.loss_per_member("hinge", pred[d], y[d]) for d in self.dims])

    def accuracy(self, X: dict, y: dict) -> torch.Tensor:
        """Return the accuracy of every member on ``(X, y)``, concatenated over ``dims``."""
        with torch.no_grad():
            pred = self(X)
            return torch.cat([train.accuracy(pred[d], y[d]) for d in self.dims])

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
            y = labels[:, idx]                                                   # (M, B)
            target = torch.nn.functional.one_hot(y, k).float()                   # e_y for every member
            target[:half] = 1.0 - 2.0 * torch.randint(0, 2, (half, batch_size, k), generator=gen).float()
            target[:half].scatter_(2, y[:half, :, None], 1.0)                    # z, with z_y = 1
            p = torch.softmax(W[:, idx] + b, dim=-1)                             # (M, B, k)
            g = stock_logit_gradients(p, target) / batch_size                    # mean over the batch
            W.grad.index_put_((rows, idx.expand(members, batch_size)), g, accumulate=True)
            b.grad.copy_(g.sum(dim=1, keepdim=True))
            opt.step()
            if step % record_every == 0 or step == steps:
                rec_steps.append(step)
                rec_loss.append(expected_loss())
    return train.History(steps=np.array(rec_steps), loss=np.array(rec_loss),
                         seconds=time.perf_counter() - start)


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
    derivative is zero everywhere, so a loss through u has a gradient of exactly zero.

    Used in: failure modes (flat activations).
    """
    _check_levels(levels)
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
    return r + (step_function(r, levels) - r).detach()


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
