"""Model builders: a single MLP, and an ensemble of independent MLPs trained as one batched model.

Both draw their initial weights the same way (:func:`init_layers`), so member ``i`` of
``EnsembleMLP(sizes, members, seed=s)`` starts exactly equal to ``mlp(sizes, seed=s + i)``.
Weights are stored as ``(fan_in, fan_out)`` matrices, "input times weight", as the
backprop chapter draws them.

Used in: almost every chapter; the ensemble is what lets a figure show 100 seeds at once.
"""
from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ._validate import one_of, positive_float, positive_int, sizes as _check_sizes

ACTIVATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "relu": torch.relu,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "identity": lambda x: x,
    "gelu": F.gelu,
    "softplus": F.softplus,
}

INITS = ("uniform", "normal")


def register_activation(name: str, fn: Callable[[torch.Tensor], torch.Tensor]) -> None:
    """Add an element-wise activation under ``name`` so that builders accept it.

    Used in: simplicity bias (the s2ReLU of multiscale networks).
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"name must be a non-empty string, got {name!r}")
    if not callable(fn):
        raise ValueError(f"fn must be callable (tensor -> tensor), got {fn!r}")
    ACTIVATIONS[name] = fn


class Activation(nn.Module):
    """An element-wise activation looked up by name in :data:`ACTIVATIONS`."""

    def __init__(self, name: str):
        super().__init__()
        one_of("activation", name, ACTIVATIONS)
        self.name = name

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return ACTIVATIONS[self.name](x)

    def extra_repr(self) -> str:
        return self.name


def n_parameters(sizes: Sequence[int], bias: bool = True) -> int:
    """Return the number of weights (and biases) of an MLP with layer widths ``sizes``.

    Used in: why depth, to compare deep and shallow nets of equal size.
    """
    sizes = _check_sizes("sizes", sizes)
    return sum(a * b + (b if bias else 0) for a, b in zip(sizes[:-1], sizes[1:]))


def init_layers(sizes: Sequence[int], init_scale: float = 1.0, bias: bool = True, seed: int = 0,
                init: str = "uniform", dtype: torch.dtype = torch.float32):
    """Return initial ``[(W, b), ...]`` for an MLP: W is (fan_in, fan_out), b is (fan_out,) or None.

    The default ("uniform") is PyTorch's ``nn.Linear`` default, U(-1/sqrt(fan_in), 1/sqrt(fan_in))
    for weights and biases; "normal" draws N(0, 1/fan_in). ``init_scale`` multiplies both.
    Draws happen in float64, layer by layer, W before b, from a generator seeded with ``seed``,
    and are then cast to ``dtype``, so float32 and float64 nets start from the same numbers.
    """
    sizes = _check_sizes("sizes", sizes)
    positive_float("init_scale", init_scale, allow_zero=True)
    one_of("init", init, INITS)
    positive_int("seed", seed, minimum=0)
    gen = torch.Generator().manual_seed(int(seed))
    layers = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = 1.0 / math.sqrt(fan_in)

        def draw(*shape):
            if init == "uniform":
                z = torch.rand(*shape, generator=gen, dtype=torch.float64) * 2 - 1
            else:
                z = torch.randn(*shape, generator=gen, dtype=torch.float64)
            return (z * bound * init_scale).to(dtype)

        W = draw(fan_in, fan_out)
        b = draw(fan_out) if bias else None
        layers.append((W, b))
    return layers


def mlp(sizes: Sequence[int], activation: str = "relu", init_scale: float = 1.0, bias: bool = True,
        seed: int = 0, init: str = "uniform", dtype: torch.dtype = torch.float32) -> nn.Sequential:
    """Return an MLP as ``nn.Sequential``: Linear, activation, ..., Linear (no output activation).

    Args:
        sizes: layer widths, input first, e.g. ``[2, 8, 1]``.
        activation: a name in :data:`ACTIVATIONS`, used on every hidden layer.
        init_scale: multiplies the default initialization (see :func:`init_layers`).
        bias: whether the linear layers have biases.
        seed: seeds this network's own generator; global random state is untouched.
        init: ``"uniform"`` (PyTorch default) or ``"normal"``.
        dtype: torch.float32 or torch.float64.

    Used in: the introduction and every chapter that trains one network.
    """
    one_of("activation", activation, ACTIVATIONS)
    layers = init_layers(sizes, init_scale, bias, seed, init, dtype)
    modules: list[nn.Module] = []
    for k, (W, b) in enumerate(layers):
        lin = nn.utils.skip_init(nn.Linear, W.shape[0], W.shape[1], bias=bias, dtype=dtype)
        with torch.no_grad():
            lin.weight.copy_(W.T)
            if bias:
                lin.bias.copy_(b)
        modules.append(lin)
        if k < len(layers) - 1:
            modules.append(Activation(activation))
    return nn.Sequential(*modules)


class EnsembleMLP(nn.Module):
    """``members`` independent MLPs held as stacked weights and run as one batched program.

    Layer ``l`` keeps ``weights[l]`` of shape ``(members, fan_in, fan_out)`` and ``biases[l]``
    of shape ``(members, 1, fan_out)``. Member ``i`` starts equal to
    ``mlp(sizes, activation, init_scale, bias, seed=seed + i, init=init)``.

    ``forward(X)`` takes ``X`` of shape ``(n, d)``, shared by every member, or
    ``(members, n, d)``, one input per member, and returns ``(members, n, sizes[-1])``.
    With relu, tanh, sigmoid or identity its backward pass is written out by hand (the rules
    of the backprop chapter, see :class:`_EnsembleForward`); ``model.fused = False`` hands it
    to autograd instead. Other activations always use autograd.

    Used in: every figure that shows a spread over seeds (see "Many seeds at once").
    """

    def __init__(self, sizes: Sequence[int], members: int, activation: str = "relu",
                 init_scale: float = 1.0, bias: bool = True, seed: int = 0, init: str = "uniform",
                 dtype: torch.dtype = torch.float32):
        super().__init__()
        self.sizes = _check_sizes("sizes", sizes)
        self.members = positive_int("members", members)
        self.activation = one_of("activation", activation, ACTIVATIONS)
        self.bias = bool(bias)
        self.seed = positive_int("seed", seed, minimum=0)
        per_member = [init_layers(self.sizes, init_scale, bias, self.seed + i, init, dtype)
                      for i in range(self.members)]
        self.weights = nn.ParameterList()
        self.biases = nn.ParameterList()
        for l in range(len(self.sizes) - 1):
            self.weights.append(nn.Parameter(torch.stack([m[l][0] for m in per_member])))
            if self.bias:
                self.biases.append(nn.Parameter(torch.stack([m[l][1] for m in per_member]).unsqueeze(1)))

    def check_input(self, X) -> None:
        """Raise ValueError unless ``X`` has shape ``(n, sizes[0])`` or ``(members, n, sizes[0])``."""
        if not isinstance(X, torch.Tensor) or X.dim() not in (2, 3):
            got = tuple(X.shape) if isinstance(X, torch.Tensor) else type(X).__name__
            raise ValueError(f"X must be a tensor of shape (n, {self.sizes[0]}) or "
                             f"({self.members}, n, {self.sizes[0]}), got {got}")
        if X.shape[-1] != self.sizes[0]:
            raise ValueError(f"X's last dimension must be sizes[0] = {self.sizes[0]}, got shape {tuple(X.shape)}")
        if X.dim() == 3 and X.shape[0] != self.members:
            raise ValueError(f"a 3-D X must have members = {self.members} as its first dimension, "
                             f"got shape {tuple(X.shape)}")

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        self.check_input(X)
        if self.fused and self.activation in _FUSED:
            params = [*self.weights, *(self.biases if self.bias else ())]
            return _EnsembleForward.apply(X, self.activation, self.bias, *params)
        return self._autograd_forward(X)

    #: With relu, tanh, sigmoid or identity, ``forward`` runs all layers as one autograd node
    #: whose backward is written out by hand (see :class:`_EnsembleForward`): equal up to
    #: rounding, and faster. Set ``model.fused = False`` to let autograd differentiate every op.
    fused = True

    def _autograd_forward(self, X: torch.Tensor, after_hidden: Callable | None = None) -> torch.Tensor:
        """The same function as ``forward``, built from plain torch ops and differentiated by autograd.

        ``after_hidden(h)``, if given, transforms each hidden layer's activations (dropout does).
        """
        act = ACTIVATIONS[self.activation]
        h = X
        last = len(self.weights) - 1
        for l, W in enumerate(self.weights):
            if h.dim() == 2:  # shared input: (n, d) @ (members, d, out) -> (members, n, out)
                h = torch.matmul(h, W)
                if self.bias:
                    h = h + self.biases[l]
            elif self.bias:
                h = torch.baddbmm(self.biases[l], h, W)
            else:
                h = torch.bmm(h, W)
            if l < last:
                h = act(h)
                if after_hidden is not None:
                    h = after_hidden(h)
        return h

    def member(self, i: int) -> nn.Sequential:
        """Return member ``i`` as a standalone ``nn.Sequential`` holding copies of its weights."""
        if isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < self.members:
            raise ValueError(f"i must be an integer in [0, {self.members}), got {i!r}")
        dtype = self.weights[0].dtype
        net = mlp(self.sizes, self.activation, bias=self.bias, dtype=dtype)
        linears = [m for m in net if isinstance(m, nn.Linear)]
        with torch.no_grad():
            for l, lin in enumerate(linears):
                lin.weight.copy_(self.weights[l][i].T)
                if self.bias:
                    lin.bias.copy_(self.biases[l][i, 0])
        return net

    def extra_repr(self) -> str:
        return f"sizes={self.sizes}, members={self.members}, activation={self.activation!r}"


# ---------------------------------------------------------------------------------------------
# The ensemble's fast path: forward and backward written out by hand.
#
# Autograd is correct for any activation, but on the small matrices of this course it spends
# most of its time outside the matrix products: it allocates a fresh tensor for every activation
# and every gradient, and it multiplies by a (fan_in, 1) or (1, fan_out) matrix with a batched
# matrix-vector product that is several times slower than the same arithmetic done another way.
# The rules are those of the backprop chapter; a unit test checks them against autograd.


def _tanh_(z: torch.Tensor) -> torch.Tensor:
    # NumPy's vectorized tanh is about five times faster than torch's on these CPUs, to 2 ulp.
    if z.device.type == "cpu" and z.is_contiguous() and z.dtype in (torch.float32, torch.float64):
        a = z.numpy()
        np.tanh(a, out=a)
        return z
    return z.tanh_()


# name -> (activation in place, "grad times derivative" in place, from the activation's output)
_FUSED = {
    "relu": (torch.relu_, lambda g, y: torch.ops.aten.threshold_backward.grad_input(g, y, 0, grad_input=g)),
    "tanh": (_tanh_, lambda g, y: torch.ops.aten.tanh_backward.grad_input(g, y, grad_input=g)),
    "sigmoid": (torch.sigmoid_, lambda g, y: torch.ops.aten.sigmoid_backward.grad_input(g, y, grad_input=g)),
    "identity": (lambda z: z, lambda g, y: g),
}


def _affine(h: torch.Tensor, W: torch.Tensor, b: torch.Tensor | None) -> torch.Tensor:
    """Return ``h @ W + b`` of shape (members, n, fan_out) for h of shape (n, d) or (members, n, d)."""
    members, fan_in, fan_out = W.shape
    if fan_in == 1:  # an outer product: element-wise, not a matrix product
        return h * W if b is None else torch.addcmul(b, h, W)
    if h.dim() == 2:
        z = torch.matmul(h, W)
    elif fan_out == 1:  # (1, d) @ (d, n) runs far faster than (n, d) @ (d, 1)
        z = torch.bmm(W.transpose(1, 2), h.transpose(1, 2)).transpose(1, 2)
    else:
        return torch.bmm(h, W) if b is None else torch.baddbmm(b, h, W)
    return z if b is None else z.add_(b)


class _EnsembleForward(torch.autograd.Function):
    """All layers of an :class:`EnsembleMLP` as one autograd node with a hand-written backward."""

    @staticmethod
    def forward(ctx, X, activation, has_bias, *params):
        n_layers = len(params) // 2 if has_bias else len(params)
        Ws = params[:n_layers]
        bs = params[n_layers:] if has_bias else (None,) * n_layers
        act_ = _FUSED[activation][0]
        inputs = [X]  # the input of every layer
        for l in range(n_layers):
            z = _affine(inputs[-1], Ws[l], bs[l])
            inputs.append(act_(z) if l < n_layers - 1 else z)
        out = inputs.pop()
        ctx.activation, ctx.has_bias, ctx.n_layers = activation, has_bias, n_layers
        ctx.save_for_backward(*inputs, *Ws)
        return out

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, g):
        n_layers = ctx.n_layers
        saved = ctx.saved_tensors
        inputs, Ws = saved[:n_layers], saved[n_layers:]
        d_act_ = _FUSED[ctx.activation][1]
        grad_W, grad_b, grad_X = [None] * n_layers, [None] * n_layers, None
        for l in range(n_layers - 1, -1, -1):  # g is the gradient of layer l's pre-activation
            h, W = inputs[l], Ws[l]
            fan_out = W.shape[2]
            if h.dim() == 2:
                grad_W[l] = torch.matmul(h.T, g)
            elif fan_out == 1:
                grad_W[l] = torch.bmm(g.transpose(1, 2), h).transpose(1, 2)
            else:
                grad_W[l] = torch.bmm(h.transpose(1, 2), g)
            if ctx.has_bias:
                grad_b[l] = g.sum(1, keepdim=True)
            if l == 0 and not ctx.needs_input_grad[0]:
                break
            gh = g * W.transpose(1, 2) if fan_out == 1 else torch.bmm(g, W.transpose(1, 2))
            if l > 0:
                g = d_act_(gh, h)
            else:
                grad_X = gh.sum(0) if h.dim() == 2 else gh
        return (grad_X, None, None, *grad_W, *(grad_b if ctx.has_bias else ()))
