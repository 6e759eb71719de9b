"""The LeNet era on a laptop: a small convolutional net, batched over many training sets at once.

:class:`EnsembleLeNet` holds ``members`` independent LeNet-style networks (two 3x3
convolutions with ReLU and 2x2 max-pooling, then a linear read-out) for 8x8 images. Member
``m`` reads channel ``m`` of a grouped convolution, so all members train in one program,
like :class:`deepwhy.nets.EnsembleMLP`, and each may see its own training set.
:func:`subset_batches` feeds each member minibatches from its own subset of the data, so one
ensemble can cover several training-set sizes and splits in one run of ``train.fit``.

Used in: history (the LeNet era, on scikit-learn's 8x8 digits).
"""
from __future__ import annotations

import math
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ._validate import positive_int


class EnsembleLeNet(nn.Module):
    """``members`` small convolutional nets for ``side x side`` grey images, run as one batched model.

    Layout per member: conv 3x3 (``channels[0]`` maps) - ReLU - maxpool 2 - conv 3x3
    (``channels[1]`` maps) - ReLU - maxpool 2 - linear to ``classes`` scores. Convolutions
    keep the image size (padding 1), so ``side`` must be divisible by 4.

    ``forward(X)`` takes flattened images ``(n, side*side)``, shared by all members, or
    ``(members, n, side*side)``, and returns scores ``(members, n, classes)``.

    Used in: history (the LeNet era).
    """

    def __init__(self, members: int, channels: Sequence[int] = (16, 32), classes: int = 10,
                 side: int = 8, seed: int = 0):
        super().__init__()
        self.members = positive_int("members", members)
        if len(channels) != 2:
            raise ValueError(f"channels must be two positive integers, got {channels!r}")
        c1, c2 = (positive_int("channels", c) for c in channels)
        self.classes = positive_int("classes", classes, minimum=2)
        self.side = positive_int("side", side, minimum=4)
        if self.side % 4:
            raise ValueError(f"side must be divisible by 4 (two 2x2 poolings), got {side}")
        gen = torch.Generator().manual_seed(positive_int("seed", seed, minimum=0))
        M = self.members

        def uniform(*shape, fan_in):  # PyTorch's default bound, from our own generator
            bound = 1.0 / math.sqrt(fan_in)
            return nn.Parameter((torch.rand(*shape, generator=gen) * 2 - 1) * bound)

        self.conv1_w = uniform(M * c1, 1, 3, 3, fan_in=9)
        self.conv1_b = uniform(M * c1, fan_in=9)
        self.conv2_w = uniform(M * c2, c1, 3, 3, fan_in=9 * c1)
        self.conv2_b = uniform(M * c2, fan_in=9 * c1)
        flat = c2 * (self.side // 4) ** 2
        self.out_w = uniform(M, flat, self.classes, fan_in=flat)
        self.out_b = uniform(M, 1, self.classes, fan_in=flat)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        M, s = self.members, self.side
        if not isinstance(X, torch.Tensor) or X.dim() not in (2, 3) or X.shape[-1] != s * s:
            got = tuple(X.shape) if isinstance(X, torch.Tensor) else type(X).__name__
            raise ValueError(f"X must be a tensor of shape (n, {s * s}) or ({M}, n, {s * s}), got {got}")
        if X.dim() == 3 and X.shape[0] != M:
            raise ValueError(f"a 3-D X must have members = {M} as its first dimension, got {tuple(X.shape)}")
        if X.dim() == 2:
            X = X.unsqueeze(0).expand(M, *X.shape)
        n = X.shape[1]
        h = X.transpose(0, 1).reshape(n, M, s, s)  # member m is input channel m
        h = F.max_pool2d(torch.relu(F.conv2d(h, self.conv1_w, self.conv1_b, padding=1, groups=M)), 2)
        h = F.max_pool2d(torch.relu(F.conv2d(h, self.conv2_w, self.conv2_b, padding=1, groups=M)), 2)
        h = h.reshape(n, M, -1).transpose(0, 1)  # (members, n, flat)
        return torch.baddbmm(self.out_b, h, self.out_w)


def n_multiply_adds(model: nn.Module, side: int = 8) -> int:
    """Return the multiply-adds of one forward pass of ONE member for one image.

    Works for :class:`EnsembleLeNet` and :class:`deepwhy.nets.EnsembleMLP`.

    Used in: history (the compute each model needs).
    """
    if isinstance(model, EnsembleLeNet):
        M, s = model.members, model.side
        c1, c2 = model.conv1_w.shape[0] // M, model.conv2_w.shape[0] // M
        return s * s * c1 * 9 + (s // 2) ** 2 * c2 * c1 * 9 + model.out_w.shape[1] * model.classes
    sizes = getattr(model, "sizes", None)
    if sizes is None:
        raise ValueError(f"model must be an EnsembleLeNet or an EnsembleMLP, got {type(model).__name__}")
    return sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))


def nested_subsets(n_pool: int, sizes: Sequence[int], splits: int = 3, seed: int = 0) -> list[torch.Tensor]:
    """Return ``len(sizes) * splits`` index tensors: for each size, ``splits`` random subsets of range(n_pool).

    The order is size-major: entry ``k * splits + s`` is split ``s`` of ``sizes[k]``. Within a
    split the subsets are nested (the 100 examples of a split contain its 50), so a larger
    training set only adds data.

    Used in: history (accuracy against training-set size).
    """
    n_pool = positive_int("n_pool", n_pool)
    sizes = [positive_int("sizes", s) for s in sizes]
    if not sizes or max(sizes) > n_pool:
        raise ValueError(f"sizes must be non-empty and at most n_pool = {n_pool}, got {sizes}")
    splits = positive_int("splits", splits)
    gen = torch.Generator().manual_seed(positive_int("seed", seed, minimum=0))
    orders = [torch.randperm(n_pool, generator=gen) for _ in range(splits)]
    return [orders[s][:size] for size in sizes for s in range(splits)]


def subset_batches(X: torch.Tensor, y: torch.Tensor, subsets: Sequence[torch.Tensor],
                   batch_size: int = 64, seed: int = 0):
    """Return a callable ``step -> (Xb, yb)`` for ``train.fit``: member m gets a minibatch from ``subsets[m]``.

    ``Xb`` has shape (members, batch_size, d) and ``yb`` (members, batch_size); examples are
    drawn with replacement from a generator seeded with ``seed``.

    Used in: history (one ensemble trains on every training-set size at once).
    """
    if not isinstance(X, torch.Tensor) or not isinstance(y, torch.Tensor) or len(X) != len(y):
        raise ValueError("X and y must be tensors with the same number of examples")
    if not subsets or any(len(s) == 0 for s in subsets):
        raise ValueError("subsets must be a non-empty list of non-empty index tensors")
    batch_size = positive_int("batch_size", batch_size)
    gen = torch.Generator().manual_seed(positive_int("seed", seed, minimum=0))
    lengths = torch.tensor([len(s) for s in subsets])
    padded = torch.stack([torch.cat([s, s.new_zeros(int(lengths.max()) - len(s))]) for s in subsets])

    def batch(step):
        pick = (torch.rand(len(subsets), batch_size, generator=gen) * lengths[:, None]).long()
        idx = torch.gather(padded, 1, pick)
        return X[idx], y[idx]

    return batch
