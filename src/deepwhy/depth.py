"""Why depth: the tasks, models and measures of the why-depth chapter.

YJango's article says a network wins because the world is built in two ways: new states are
*parallel* combinations of factors (which pays for a distributed code) and *iterations* of
old states (which pays for depth). This module holds what the chapter needs to test that:

- encodings of a 4-state input (one number, or two binary features);
- the share of the work each hidden unit does (:func:`unit_usage`) and an L2 penalty per member;
- the factorized 8-state task of the parallel prior (:func:`factorized_states`);
- a module shared along a chain or a binary tree (:class:`SharedModuleNet`) for the iterative prior;
- compositional and additive targets on [-1, 1]^d and the sample-efficiency sweep;
- the sawtooth of Telgarsky; the k^n grid memorization search.

Used in: why depth.
"""
from __future__ import annotations

import itertools
import math
from typing import Callable, Sequence

import torch
from torch import nn

from . import nets, train
from ._validate import one_of, positive_float, positive_int


# --------------------------------------------------------------------------------------
# Four states, two ways: one number or two binary features
# --------------------------------------------------------------------------------------

def four_state_inputs(encoding: str = "features", dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Return the 4 states 00, 01, 10, 11 as network inputs: (4, 1) numbers 0..3, or (4, 2) bits.

    Args:
        encoding: ``"number"`` (state i is the single input i) or ``"features"`` (its two bits).

    Used in: why depth (memorizing vs features).
    """
    one_of("encoding", encoding, ("number", "features"))
    bits = torch.tensor([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=dtype)
    if encoding == "features":
        return bits
    return (2 * bits[:, :1] + bits[:, 1:])


def four_state_targets(dtype: torch.dtype = torch.float32) -> dict[str, torch.Tensor]:
    """Return the targets of the 4 states as (4, 1) tensors: "x1", "x2", "OR" and "XOR".

    Used in: why depth (memorizing vs features).
    """
    b = four_state_inputs("features", dtype)
    x1, x2 = b[:, :1], b[:, 1:]
    return {"x1": x1, "x2": x2, "OR": torch.maximum(x1, x2), "XOR": (x1 != x2).to(dtype)}


# --------------------------------------------------------------------------------------
# Who does the work: unit usage, and an L2 penalty kept per member
# --------------------------------------------------------------------------------------

def _check_one_hidden_layer(model) -> None:
    if not isinstance(model, nets.EnsembleMLP) or len(model.sizes) != 3 or model.sizes[-1] != 1:
        got = getattr(model, "sizes", type(model).__name__)
        raise ValueError(f"model must be an EnsembleMLP with one hidden layer and one output, "
                         f"sizes [d, hidden, 1]; got {got}")


def hidden_activity(model: nets.EnsembleMLP, X: torch.Tensor) -> torch.Tensor:
    """Return the hidden activations of a one-hidden-layer ensemble: shape (members, n, hidden).

    Used in: why depth (the hidden representation of XOR, unit usage).
    """
    _check_one_hidden_layer(model)
    with torch.no_grad():
        z = torch.matmul(X, model.weights[0])
        if model.bias:
            z = z + model.biases[0]
        return nets.ACTIVATIONS[model.activation](z)


def unit_usage(model: nets.EnsembleMLP, X: torch.Tensor) -> torch.Tensor:
    """Return each hidden unit's share of the work, shape (members, hidden); rows sum to 1.

    Unit j's work is ``|v_j| * std_x h_j(x)``: the size of its output weight times how much
    its activity varies over the inputs ``X``. A unit that is constant on the data only
    shifts the bias, so it does no work however large its weight. Rows where no unit
    varies are all zeros.

    Used in: why depth (four hidden units, two idle), and its explorer.
    """
    h = hidden_activity(model, X)
    with torch.no_grad():
        work = model.weights[1][:, :, 0].abs() * h.std(dim=1)
        total = work.sum(dim=1, keepdim=True)
        return torch.where(total > 0, work / total.clamp_min(1e-30), torch.zeros_like(work))


def l2_penalty(model: nets.EnsembleMLP, layers: str = "all") -> torch.Tensor:
    """Return the sum of squared weights of each member, shape (members,), biases excluded.

    Args:
        layers: ``"all"`` (every weight matrix, as in the article's formula) or ``"output"``
            (the last weight matrix only).

    Used in: why depth (does L2 spread the work?).
    """
    if not isinstance(model, nets.EnsembleMLP):
        raise ValueError(f"model must be an EnsembleMLP, got {type(model).__name__}")
    one_of("layers", layers, ("all", "output"))
    mats = list(model.weights) if layers == "all" else [model.weights[-1]]
    return sum((W ** 2).sum(dim=(1, 2)) for W in mats)


def xor_with_l2(width: int = 4, l2: float | Sequence[float] = 0.0, layers: str | Sequence[str] = "all",
                seeds: int = 100, steps: int = 3000, lr: float = 0.5, seed: int = 0):
    """Return ``(solved, shares)`` for XOR nets of one tanh hidden layer trained with an L2 penalty.

    Each configuration ``(l2[c], layers[c])`` trains ``seeds`` nets that start from the *same*
    initializations (seeds ``seed .. seed + seeds - 1``), so configurations differ only in the
    penalty ``l2 / 2 * sum of squared weights`` (see :func:`l2_penalty`). All train as one
    batched model: SGD, full batch, cross-entropy on the output logit.

    Returns:
        solved: (configs, seeds) bool, all 4 points right.
        shares: (configs, seeds, width) each unit's share of the work (:func:`unit_usage`),
            sorted from the busiest unit down.

    Used in: why depth (four hidden units, two idle), and its explorer.
    """
    width, seeds = positive_int("width", width), positive_int("seeds", seeds)
    l2s = [l2] if not isinstance(l2, (list, tuple)) else list(l2)
    where = [layers] * len(l2s) if isinstance(layers, str) else list(layers)
    if len(where) != len(l2s):
        raise ValueError(f"l2 and layers must have the same length, got {len(l2s)} and {len(where)}")
    for v in l2s:
        positive_float("l2", v, allow_zero=True)
    for w in where:
        one_of("layers", w, ("all", "output"))
    configs = len(l2s)
    X = four_state_inputs("features")
    y = four_state_targets()["XOR"]
    model = nets.EnsembleMLP([2, width, 1], seeds * configs, activation="tanh", seed=seed)
    with torch.no_grad():  # configuration c, seed s is member c * seeds + s, initialized like seed s
        for p in model.parameters():
            p.copy_(p[:seeds].repeat(configs, 1, 1))
    lam = torch.tensor(l2s, dtype=torch.float32).repeat_interleave(seeds)
    output_only = torch.tensor([w == "output" for w in where]).repeat_interleave(seeds)

    def loss(pred, target):
        penalty = torch.where(output_only, l2_penalty(model, "output"), l2_penalty(model, "all"))
        return train.loss_per_member("bce", pred, target) + lam / 2 * penalty

    train.fit(model, X, y, loss=loss, optimizer="sgd", lr=lr, steps=steps, record_every=steps, progress=False)
    solved = (train.accuracy(model(X), y) == 1).reshape(configs, seeds)
    shares = unit_usage(model, X).sort(dim=1, descending=True).values
    return solved, shares.reshape(configs, seeds, width)


# --------------------------------------------------------------------------------------
# The parallel prior: 8 states made of 3 binary factors
# --------------------------------------------------------------------------------------

def bit_states(factors: int = 3) -> torch.Tensor:
    """Return all 2^factors binary states as a (2^factors, factors) long tensor, in counting order.

    Used in: why depth (the parallel prior).
    """
    factors = positive_int("factors", factors)
    return torch.tensor(list(itertools.product([0, 1], repeat=factors)), dtype=torch.long)


def state_index(bits: torch.Tensor) -> torch.Tensor:
    """Return the index of each binary state (bits read as a binary number): shape ``bits.shape[:-1]``.

    Used in: why depth (the parallel prior).
    """
    if not isinstance(bits, torch.Tensor) or bits.dim() < 1:
        raise ValueError(f"bits must be a tensor whose last dimension holds the factors, got {bits!r}")
    powers = 2 ** torch.arange(bits.shape[-1] - 1, -1, -1)
    return (bits.long() * powers).sum(-1)


def factor_patterns(factors: int = 3, dim: int = 10, seed: int = 7) -> torch.Tensor:
    """Return fixed random patterns, shape (factors, 2, dim): one pattern per value of each factor.

    Used in: why depth (the parallel prior).
    """
    factors, dim = positive_int("factors", factors), positive_int("dim", dim)
    gen = torch.Generator().manual_seed(positive_int("seed", seed, minimum=0))
    return torch.randn(factors, 2, dim, generator=gen)


def factorized_states(states: torch.Tensor, n: int, patterns: torch.Tensor, noise: float = 0.5,
                      seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Return ``(X, bits)``: n noisy observations of states drawn uniformly from ``states``.

    Each observation concatenates, factor by factor, the pattern of that factor's value,
    then adds N(0, noise^2): X is (n, factors * dim), bits is (n, factors) long.

    Args:
        states: (s, factors) binary states to draw from (e.g. rows of :func:`bit_states`).
        n: number of observations.
        patterns: (factors, 2, dim), from :func:`factor_patterns`.
        noise: standard deviation of the added noise.
        seed: seeds the draws.

    Used in: why depth (the parallel prior).
    """
    if not isinstance(patterns, torch.Tensor) or patterns.dim() != 3 or patterns.shape[1] != 2:
        raise ValueError(f"patterns must be a (factors, 2, dim) tensor, got {getattr(patterns, 'shape', patterns)}")
    if not isinstance(states, torch.Tensor) or states.dim() != 2 or states.shape[1] != patterns.shape[0]:
        raise ValueError(f"states must be an (s, {patterns.shape[0]}) tensor of bits, "
                         f"got {getattr(states, 'shape', states)}")
    n = positive_int("n", n)
    noise = positive_float("noise", noise, allow_zero=True)
    gen = torch.Generator().manual_seed(positive_int("seed", seed, minimum=0))
    bits = states.long()[torch.randint(0, len(states), (n,), generator=gen)]
    X = torch.cat([patterns[f, bits[:, f]] for f in range(patterns.shape[0])], dim=1)
    X = X + noise * torch.randn(X.shape, generator=gen)
    return X, bits


def unseen_state_accuracy(train_states: torch.Tensor, test_states: torch.Tensor, n: int,
                          patterns: torch.Tensor, noise: float = 0.5, hidden: int | None = None,
                          seeds: int = 10, steps: int = 300, lr: float = 1e-2,
                          seed: int = 0) -> dict[str, torch.Tensor]:
    """Return the accuracy on ``test_states`` of a local and a distributed readout: each (seeds,).

    Both read the observations of :func:`factorized_states`. The *local* model is a softmax
    over all 2^factors states (one output unit per state); the *distributed* one has one
    sigmoid output per factor, and its answer is right when every factor is. Each seed draws
    its own n training observations from ``train_states``; all test on 1000 observations of
    ``test_states``. ``hidden`` puts a ReLU hidden layer of that width under both readouts.
    Adam, full batch.

    Used in: why depth (the parallel prior).
    """
    seeds = positive_int("seeds", seeds)
    factors = patterns.shape[0]
    draws = [factorized_states(train_states, n, patterns, noise, seed=seed + s) for s in range(seeds)]
    X = torch.stack([d[0] for d in draws])
    bits = torch.stack([d[1] for d in draws])
    X_test, bits_test = factorized_states(test_states, 1000, patterns, noise, seed=seed + 10_000)
    trunk = [X.shape[-1]] + ([positive_int("hidden", hidden)] if hidden else [])
    local = nets.EnsembleMLP(trunk + [2 ** factors], seeds, seed=seed)
    labels = state_index(bits).unsqueeze(-1)                  # (seeds, n, 1): one label set per seed
    train.fit(local, X, labels, optimizer="adam", lr=lr, steps=steps, record_every=steps, progress=False,
              loss=lambda pred, t: train.loss_per_member("cross_entropy", pred, t[..., 0]))
    distributed = nets.EnsembleMLP(trunk + [factors], seeds, seed=seed)
    train.fit(distributed, X, bits.float(), loss="bce", optimizer="adam", lr=lr, steps=steps,
              record_every=steps, progress=False)
    truth = state_index(bits_test)
    with torch.no_grad():
        hit_local = local(X_test).argmax(-1) == truth
        hit_distributed = state_index((distributed(X_test) > 0).long()) == truth
    return {"local": hit_local.float().mean(1), "distributed": hit_distributed.float().mean(1)}


# --------------------------------------------------------------------------------------
# The iterative prior: one small module, reused along a chain or a tree
# --------------------------------------------------------------------------------------

class SharedModuleNet(nn.Module):
    """An ensemble of networks that apply one shared 2-input module g again and again.

    ``structure="chain"`` computes g(...g(g(x1, x2), x3)..., xd); ``structure="tree"``
    computes a balanced binary tree, e.g. g(g(x1, x2), g(x3, x4)) (d a power of 2). g is an
    ``EnsembleMLP([2, hidden, 1])``: each member has its own g, reused at every node.
    ``forward(X)`` takes (n, d) or (members, n, d) and returns (members, n, 1).

    Used in: why depth (3-bit parity from 6 examples, the 8-bit parity tree, and the
    compositional tree target).
    """

    def __init__(self, members: int, hidden: int = 8, structure: str = "chain", activation: str = "tanh",
                 seed: int = 0):
        super().__init__()
        self.structure = one_of("structure", structure, ("chain", "tree"))
        self.g = nets.EnsembleMLP([2, positive_int("hidden", hidden), 1], members, activation=activation, seed=seed)
        self.members = self.g.members

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        if not isinstance(X, torch.Tensor) or X.dim() not in (2, 3) or X.shape[-1] < 2:
            raise ValueError(f"X must be an (n, d) or (members, n, d) tensor with d >= 2, "
                             f"got {getattr(X, 'shape', X)}")
        x = X.expand(self.members, -1, -1) if X.dim() == 2 else X
        m, n, d = x.shape
        if self.structure == "chain":
            h = x[..., :1]
            for i in range(1, d):
                h = self.g(torch.cat([h, x[..., i:i + 1]], dim=-1))
            return h
        if d & (d - 1):
            raise ValueError(f"a tree needs d to be a power of 2, got d = {d}")
        while x.shape[-1] > 1:
            k = x.shape[-1] // 2
            x = self.g(x.reshape(m, n * k, 2)).reshape(m, n, k)
        return x

    def extra_repr(self) -> str:
        return f"structure={self.structure!r}, members={self.members}"


class IteratedModule(nn.Module):
    """An ensemble of networks that apply one shared 1-input module g several times: g(g(g(x))).

    g is an ``EnsembleMLP([1, hidden, 1])``; ``forward(X)`` takes (n, 1) or (members, n, 1) and
    returns (members, n, 1). With ReLU and hidden = 2, g can be the tent map exactly, so three
    applications can be the sawtooth of :func:`sawtooth`.

    Used in: why depth (the sawtooth: the right structure is not enough).
    """

    def __init__(self, members: int, hidden: int = 4, times: int = 3, activation: str = "relu", seed: int = 0):
        super().__init__()
        self.times = positive_int("times", times)
        self.g = nets.EnsembleMLP([1, positive_int("hidden", hidden), 1], members, activation=activation, seed=seed)
        self.members = self.g.members

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        if not isinstance(X, torch.Tensor) or X.dim() not in (2, 3) or X.shape[-1] != 1:
            raise ValueError(f"X must be an (n, 1) or (members, n, 1) tensor, got {getattr(X, 'shape', X)}")
        for _ in range(self.times):
            X = self.g(X)
        return X

    def extra_repr(self) -> str:
        return f"times={self.times}, members={self.members}"


def hypercube(d: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Return the 2^d vertices of {-1, +1}^d, shape (2^d, d), in counting order.

    Used in: why depth (parity learned by a shared chain or tree).
    """
    return (2 * bit_states(d) - 1).to(dtype)


def best_of_restarts(values: torch.Tensor, train_loss: torch.Tensor, restarts: int) -> torch.Tensor:
    """Return, for each group of ``restarts`` consecutive members, the value of the one with the lowest training loss.

    Args:
        values: (groups * restarts,) the quantity to report (e.g. held-out accuracy).
        train_loss: (groups * restarts,) the training loss that picks the restart.
        restarts: members per group.

    Used in: why depth (best of 3 restarts, chosen without looking at test data).
    """
    restarts = positive_int("restarts", restarts)
    values, train_loss = torch.as_tensor(values), torch.as_tensor(train_loss)
    if values.shape != train_loss.shape or values.dim() != 1 or len(values) % restarts:
        raise ValueError(f"values and train_loss must be 1-D, of equal length, a multiple of restarts = "
                         f"{restarts}; got {tuple(values.shape)} and {tuple(train_loss.shape)}")
    pick = train_loss.reshape(-1, restarts).argmin(dim=1)
    return values.reshape(-1, restarts)[torch.arange(len(pick)), pick]


def masked_mse(pred: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Return the MSE per member over the targets that are not NaN: shape (members,).

    Pad each member's training set to a common length with NaN targets, and members with
    different numbers of examples train together as one batched model.
    Used in: why depth (parity and the sawtooth: several training-set sizes in one batch).
    """
    if pred.dim() != 3 or y.shape != pred.shape:
        raise ValueError(f"pred and y must both be (members, n, out) of equal shape, "
                         f"got {tuple(pred.shape)} and {tuple(y.shape)}")
    seen = ~torch.isnan(y)
    sq = torch.where(seen, pred - torch.nan_to_num(y), torch.zeros_like(pred)) ** 2
    return sq.sum(dim=(1, 2)) / seen.sum(dim=(1, 2)).clamp_min(1)


def held_out_parity(make_model: Callable[[int], nn.Module], train_sizes: Sequence[int] = (4, 5, 6),
                    d: int = 3, restarts: int = 3, steps: int = 1500, lr: float = 1e-2,
                    ) -> dict[int, torch.Tensor]:
    """Return, for each k in ``train_sizes``, the held-out accuracy on d-bit parity per training subset.

    Every subset of k of the 2^d vertices of {-1, 1}^d is a training set (y = x1 x2 ... xd);
    the other vertices are the test set. Each subset trains ``restarts`` members with Adam on
    the MSE, and the one with the lowest training loss is kept (:func:`best_of_restarts`).
    All subsets of all sizes train as one batched model: smaller training sets are padded
    with NaN targets that :func:`masked_mse` skips.

    Args:
        make_model: ``members -> model`` mapping (members, n, d) to (members, n, 1).

    Used in: why depth (3-bit parity from 6 examples).
    """
    if not callable(make_model):
        raise ValueError(f"make_model must be a callable members -> model, got {make_model!r}")
    d, restarts = positive_int("d", d, minimum=2), positive_int("restarts", restarts)
    V = hypercube(d)
    y = V.prod(dim=1, keepdim=True)
    corners = len(V)
    sizes = [positive_int("train_sizes[i]", k) for k in train_sizes]
    if max(sizes) >= corners:
        raise ValueError(f"train_sizes must be below 2^d = {corners}, got {list(train_sizes)}")
    subsets = [(k, list(c)) for k in sizes for c in itertools.combinations(range(corners), k)]
    width = max(sizes)
    X_tr = torch.zeros(len(subsets), width, d)
    y_tr = torch.full((len(subsets), width, 1), math.nan)
    X_te = torch.zeros(len(subsets), corners - min(sizes), d)
    y_te = torch.full((len(subsets), corners - min(sizes), 1), math.nan)
    for i, (k, c) in enumerate(subsets):
        rest = [j for j in range(corners) if j not in c]
        X_tr[i, :k], y_tr[i, :k] = V[c], y[c]
        X_te[i, :len(rest)], y_te[i, :len(rest)] = V[rest], y[rest]
    rep = lambda t: t.repeat_interleave(restarts, dim=0)      # member = subset * restarts + restart
    model = make_model(len(subsets) * restarts)
    train.fit(model, rep(X_tr), rep(y_tr), loss=masked_mse, optimizer="adam", lr=lr, steps=steps,
              record_every=steps, progress=False)
    with torch.no_grad():
        train_loss = masked_mse(model(rep(X_tr)), rep(y_tr))
        pred, truth = model(rep(X_te)), rep(y_te)
        seen = ~torch.isnan(truth)
        hits = ((torch.sign(pred) == truth) & seen).sum(dim=(1, 2)) / seen.sum(dim=(1, 2))
    best = best_of_restarts(hits, train_loss, restarts)
    ks = torch.tensor([k for k, _ in subsets])
    return {k: best[ks == k] for k in sizes}


# --------------------------------------------------------------------------------------
# Compositional against additive targets, and the sample-efficiency sweep
# --------------------------------------------------------------------------------------

def node_function(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Return h(a, b) = tanh(2ab + a - b), the 2-input function at every node of the tree target.

    Used in: why depth (the compositional target).
    """
    return torch.tanh(2 * a * b + a - b)


def tree_target(X: torch.Tensor, node: Callable = node_function) -> torch.Tensor:
    """Return the balanced binary tree of ``node`` over the last dimension of X: shape (..., 1).

    For d = 8: h(h(h(x1, x2), h(x3, x4)), h(h(x5, x6), h(x7, x8))). d must be a power of 2.

    Used in: why depth (the compositional target of the sample-efficiency curve).
    """
    if not isinstance(X, torch.Tensor) or X.dim() < 1:
        raise ValueError(f"X must be a tensor whose last dimension holds the inputs, got {X!r}")
    d = X.shape[-1]
    if d < 1 or d & (d - 1):
        raise ValueError(f"X's last dimension must be a power of 2, got {d}")
    while X.shape[-1] > 1:
        X = node(X[..., 0::2], X[..., 1::2])
    return X


def additive_target(X: torch.Tensor) -> torch.Tensor:
    """Return the additive control g(x) = 1/2 sum_i sin(2 x_i), with no composition: shape (..., 1).

    Used in: why depth (the control where depth should not help).
    """
    if not isinstance(X, torch.Tensor) or X.dim() < 1:
        raise ValueError(f"X must be a tensor whose last dimension holds the inputs, got {X!r}")
    return 0.5 * torch.sin(2 * X).sum(dim=-1, keepdim=True)


def uniform_inputs(n: int, d: int, seed: int = 0) -> torch.Tensor:
    """Return n points drawn uniformly from [-1, 1]^d, shape (n, d).

    Used in: why depth.
    """
    gen = torch.Generator().manual_seed(positive_int("seed", seed, minimum=0))
    return torch.rand(positive_int("n", n), positive_int("d", d), generator=gen) * 2 - 1


def normalized_error(pred: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Return the mean squared error divided by the variance of ``y``, per member: shape (members,).

    0 is perfect; 1 is what predicting the mean of y scores.
    Used in: why depth.
    """
    if pred.dim() != 3:
        raise ValueError(f"pred must be (members, n, out), got shape {tuple(pred.shape)}")
    y = y.expand_as(pred)
    return ((pred - y) ** 2).mean(dim=(1, 2)) / y.var(dim=(1, 2))


def _size_groups(ns: Sequence[int], pad_ratio: float) -> list[list[int]]:
    """Return the indices of ``ns`` in groups, smallest first, whose sizes lie within ``pad_ratio`` of each other."""
    groups: list[list[int]] = []
    for i in sorted(range(len(ns)), key=lambda i: ns[i]):
        if groups and ns[i] <= pad_ratio * ns[groups[-1][0]]:
            groups[-1].append(i)
        else:
            groups.append([i])
    return groups


def sample_efficiency(make_model: Callable[[int], nn.Module], target: Callable | Sequence[Callable],
                      ns: Sequence[int], seeds: int = 3, restarts: int = 1, d: int = 8, steps: int = 1000,
                      lr: float = 5e-3, n_test: int = 4000, seed: int = 0, pad_ratio: float = 4.0,
                      progress: bool | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Return ``(test_error, train_error)`` after training on n points, each (targets, len(ns), seeds).

    Both errors are an MSE divided by the variance of the target on the test set, so 1 is what
    predicting the mean scores; the training error is measured on the points the net was
    trained on, which separates what the net *can* fit (approximation and optimization) from
    what it generalizes (sample efficiency). Seed s of size n trains on its own n points of
    [-1, 1]^d (drawn with seed ``seed + 1000 n + s``; every target sees the same points), full
    batch, with Adam on the MSE; of its ``restarts`` members the one with the lowest training
    loss is kept. The test set is ``n_test`` fresh points.

    All targets, seeds and restarts train as one batched model, and so do all sizes within a
    factor ``pad_ratio`` of each other: smaller training sets are padded with NaN targets that
    :func:`masked_mse` skips.

    Args:
        make_model: ``members -> model`` whose forward maps (members, n, d) to (members, n, 1),
            e.g. ``lambda m: nets.EnsembleMLP([8, 100, 1], m, activation="tanh")``.
        target: a function of X (..., d) returning (..., 1), e.g. :func:`tree_target`, or a
            list of them (one row of the result each).
        ns: training-set sizes.
        seeds: training sets per size.
        restarts: initializations per training set.

    Used in: why depth (the chapter's main figure).
    """
    targets = [target] if callable(target) else list(target) if isinstance(target, (list, tuple)) else None
    if not callable(make_model) or not targets or not all(callable(t) for t in targets):
        raise ValueError(f"make_model (members -> model) and target (X -> y, or a list of them) must be "
                         f"callables, got {make_model!r} and {target!r}")
    ns = [positive_int("ns[i]", n) for n in ns]
    seeds, restarts = positive_int("seeds", seeds), positive_int("restarts", restarts)
    pad_ratio = positive_float("pad_ratio", pad_ratio)
    X_test = uniform_inputs(n_test, d, seed=seed + 999_999)
    y_test = [t(X_test) for t in targets]
    scale = torch.stack([y.var() for y in y_test])                     # (targets,)
    test_out = torch.zeros(len(targets), len(ns), seeds)
    train_out = torch.zeros(len(targets), len(ns), seeds)
    for group in train.progress_bar(_size_groups(ns, pad_ratio), progress, desc="training-set sizes"):
        width = max(ns[i] for i in group)
        draws = {i: [uniform_inputs(ns[i], d, seed=seed + 1000 * ns[i] + s) for s in range(seeds)] for i in group}
        # member = ((target * len(group) + size) * seeds + seed) * restarts + restart
        X = torch.zeros(len(targets), len(group), seeds, restarts, width, d)
        y = torch.full((len(targets), len(group), seeds, restarts, width, 1), math.nan)
        for t, f in enumerate(targets):
            for g, i in enumerate(group):
                for s, x in enumerate(draws[i]):
                    X[t, g, s, :, :ns[i]], y[t, g, s, :, :ns[i]] = x, f(x)
        X, y = X.reshape(-1, width, d), y.reshape(-1, width, 1)
        model = make_model(len(X))
        train.fit(model, X, y, loss=masked_mse, optimizer="adam", lr=lr, steps=steps, record_every=steps,
                  progress=False)
        per_target = len(group) * seeds * restarts
        with torch.no_grad():
            train_loss = masked_mse(model(X), y)
            pred = model(X_test)
        for t in range(len(targets)):
            rows = slice(t * per_target, (t + 1) * per_target)
            test_err = normalized_error(pred[rows], y_test[t])
            best_test = best_of_restarts(test_err, train_loss[rows], restarts).reshape(len(group), seeds)
            best_train = best_of_restarts(train_loss[rows], train_loss[rows], restarts).reshape(len(group), seeds)
            test_out[t, group] = best_test
            train_out[t, group] = best_train / scale[t]
    return test_out, train_out


def sawtooth(x: torch.Tensor, depth: int = 3) -> torch.Tensor:
    """Return the tent map t(x) = 2x for x < 1/2, 2 - 2x otherwise, composed ``depth`` times.

    On [0, 1] the result has 2^depth linear pieces. A ReLU net with ``depth`` hidden layers of
    width 2 computes it exactly; a net with one hidden layer needs about 2^depth units
    (Telgarsky 2016). Used in: why depth (where depth does not help gradient descent).
    """
    depth = positive_int("depth", depth)
    for _ in range(depth):
        x = torch.where(x < 0.5, 2 * x, 2 - 2 * x)
    return x


def sawtooth_errors(make_model: Callable[[int], nn.Module], ns: Sequence[int], seeds: int = 4, depth: int = 3,
                    steps: int = 2000, lr: float = 1e-2, restarts: int = 1, seed: int = 0) -> dict:
    """Return the normalized test and training errors on the sawtooth, each (len(ns), seeds), and the fits.

    Seed s of size n trains on n points drawn uniformly from [0, 1] (seed ``seed + 100 n + s``)
    with Adam on the MSE, from ``restarts`` initializations; the one with the lowest training
    loss is kept. All sizes, seeds and restarts train as one batched model (member
    ``(i * seeds + s) * restarts + r``), smaller sets padded with NaN targets. The test set is
    1001 evenly spaced points; both errors are divided by the target's variance there, so 1 is
    the error of predicting the mean.

    Returns:
        a dict with ``"test"`` and ``"train"`` (len(ns), seeds), ``"member"`` (len(ns), seeds):
        the index of the kept member, and ``"model"``: the trained ensemble.

    Used in: why depth (the sawtooth: depth that represents it, and gradient descent that finds it).
    """
    ns = [positive_int("ns[i]", n) for n in ns]
    seeds, restarts = positive_int("seeds", seeds), positive_int("restarts", restarts)
    X = torch.zeros(len(ns), seeds, restarts, max(ns), 1)
    y = torch.full_like(X, math.nan)
    for i, n in enumerate(ns):
        for s in range(seeds):
            gen = torch.Generator().manual_seed(seed + 100 * n + s)
            x = torch.rand(n, 1, generator=gen)
            X[i, s, :, :n], y[i, s, :, :n] = x, sawtooth(x, depth)
    X, y = X.reshape(-1, max(ns), 1), y.reshape(-1, max(ns), 1)
    model = make_model(len(X))
    train.fit(model, X, y, loss=masked_mse, optimizer="adam", lr=lr, steps=steps, record_every=steps,
              progress=False)
    x_test = torch.linspace(0, 1, 1001).unsqueeze(1)
    y_test = sawtooth(x_test, depth)
    with torch.no_grad():
        train_loss = masked_mse(model(X), y)
        test = normalized_error(model(x_test), y_test)
    pick = lambda v: best_of_restarts(v, train_loss, restarts).reshape(len(ns), seeds)
    return {"test": pick(test), "train": pick(train_loss) / y_test.var(),
            "member": pick(torch.arange(len(X))), "model": model}


# --------------------------------------------------------------------------------------
# Universal approximation, and its price: memorizing random labels on a k^n grid
# --------------------------------------------------------------------------------------

def grid_points(k: int, n: int = 2, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Return the k^n points of a regular grid on [-1, 1]^n, shape (k^n, n).

    Used in: why depth (universal approximation, and its price).
    """
    k, n = positive_int("k", k, minimum=2), positive_int("n", n)
    axis = torch.linspace(-1, 1, k, dtype=dtype)
    return torch.cartesian_prod(*[axis] * n).reshape(-1, n)


class _WidthMasked(nn.Module):
    """One-hidden-layer ReLU ensemble in which member i uses only its first widths[i] hidden units."""

    def __init__(self, d: int, widths: Sequence[int], seed: int):
        super().__init__()
        self.net = nets.EnsembleMLP([d, max(widths), 1], len(widths), activation="relu", seed=seed)
        mask = torch.zeros(len(widths), 1, max(widths))
        for i, w in enumerate(widths):
            mask[i, 0, :w] = 1.0
        self.register_buffer("mask", mask)

    def forward(self, X):
        h = torch.relu(torch.matmul(X, self.net.weights[0]) + self.net.biases[0]) * self.mask
        return torch.bmm(h, self.net.weights[1]) + self.net.biases[1]


def memorization_accuracy(k: int, n: int = 2, widths: Sequence[int] = (1, 2, 4, 8, 16, 32, 64, 128, 256),
                          labelings: int = 3, restarts: int = 2, steps: int = 2000, lr: float = 1e-2,
                          seed: int = 0, progress: bool | None = None) -> torch.Tensor:
    """Return the best training accuracy over restarts, shape (labelings, len(widths)).

    Each labeling gives the k^n points of :func:`grid_points` random labels in {0, 1} (seed
    ``seed + labeling``); a one-hidden-layer ReLU net of each width is trained on them with
    Adam on the cross-entropy, full batch. All labelings, widths and restarts train as one
    batched model per group of widths within a factor of 16; a member of width w uses the
    first w hidden units of its group's widest net (the others get zero gradient and stay
    out of the computation).

    Used in: why depth (universal approximation, and its price).
    """
    points = grid_points(k, n)
    widths = [positive_int("widths[i]", w) for w in widths]
    labelings, restarts = positive_int("labelings", labelings), positive_int("restarts", restarts)
    cells = len(points)
    labels = torch.stack([(torch.rand(cells, 1, generator=torch.Generator().manual_seed(seed + j)) > 0.5).float()
                          for j in range(labelings)])                      # (labelings, cells, 1)
    acc = torch.zeros(labelings, len(widths), restarts)
    # widths within a factor of 16 share one batched model: fewer, larger programs
    buckets: dict[int, list[int]] = {}
    for i, w in enumerate(widths):
        buckets.setdefault(math.ceil(math.log(w, 16) - 1e-9), []).append(i)
    for b, idx in enumerate(train.progress_bar(list(buckets.values()), progress, desc="widths")):
        member_widths = [widths[i] for _ in range(labelings) for i in idx for _ in range(restarts)]
        y = labels.repeat_interleave(len(idx) * restarts, dim=0)
        model = _WidthMasked(n, member_widths, seed=seed + 100 * b)
        train.fit(model, points, y, loss="bce", optimizer="adam", lr=lr, steps=steps, record_every=steps,
                  progress=False)
        acc[:, idx] = train.accuracy(model(points), y).reshape(labelings, len(idx), restarts)
    return acc.amax(dim=2)


def smallest_width(accuracy: torch.Tensor, widths: Sequence[int]) -> torch.Tensor:
    """Return, per row of ``accuracy`` (rows, len(widths)), the smallest width at 100 %, or nan if none.

    Used in: why depth (universal approximation, and its price).
    """
    accuracy = torch.as_tensor(accuracy)
    if accuracy.dim() != 2 or accuracy.shape[1] != len(widths):
        raise ValueError(f"accuracy must be (rows, {len(widths)}) for {len(widths)} widths, "
                         f"got shape {tuple(accuracy.shape)}")
    out = torch.full((accuracy.shape[0],), math.nan)
    for r in range(accuracy.shape[0]):
        hits = [w for w, a in zip(widths, accuracy[r].tolist()) if a >= 1.0]
        if hits:
            out[r] = float(min(hits))
    return out


def padded_widths(widths: Sequence[int], members: int, d_in: int = 2, d_out: int = 1,
                  activation: str = "tanh", seed: int = 0) -> nets.EnsembleMLP:
    """Return one ensemble of ``len(widths) * members`` one-hidden-layer nets of different widths.

    Block ``k`` (members ``k*members`` to ``(k+1)*members - 1``) starts from exactly the weights
    of ``EnsembleMLP([d_in, widths[k], d_out], members, activation, seed=seed)``; its hidden
    layer is padded to ``max(widths)`` units whose incoming weights, biases and outgoing
    weights are 0. With an activation that maps 0 to 0 (tanh, relu) a padded unit outputs 0
    and gets no gradient, so it stays 0 under gradient descent without weight decay, and each
    block trains as its narrower net would, all in one batched program.

    Used in: why depth (how many seeds solve XOR with 2, 3 and 4 hidden units).
    """
    try:
        widths = [positive_int("widths", w) for w in widths]
    except TypeError:
        widths = []
    if not widths:
        raise ValueError(f"widths must be a non-empty list of positive integers, got {widths!r}")
    members = positive_int("members", members)
    if activation not in ("tanh", "relu"):
        raise ValueError(f"activation must map 0 to 0 ('tanh' or 'relu'), got {activation!r}")
    wide = nets.EnsembleMLP([d_in, max(widths), d_out], members=len(widths) * members,
                            activation=activation, seed=seed)
    with torch.no_grad():
        for p in wide.parameters():
            p.zero_()
        for k, w in enumerate(widths):
            narrow = nets.EnsembleMLP([d_in, w, d_out], members=members, activation=activation, seed=seed)
            block = slice(k * members, (k + 1) * members)
            wide.weights[0][block, :, :w] = narrow.weights[0]
            wide.biases[0][block, :, :w] = narrow.biases[0]
            wide.weights[1][block, :w] = narrow.weights[1]
            wide.biases[1][block] = narrow.biases[1]
    return wide
