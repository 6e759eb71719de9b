"""Noise in and around a network: the reusable pieces of the randomness chapter.

Five ideas, one section each:

- **information**: mutual information from a confusion matrix, the Gaussian-channel
  bound, the bits that survive additive noise, digits of pi and how well they compress;
- **sampling**: draw outputs from a predicted categorical distribution, bin a real target;
- **noisy layers**: dropout, multiplicative Gaussian noise, a sign layer with a
  straight-through gradient, and batched models built from them (:class:`NoisyMLP`,
  :class:`StochasticDepthMLP`, :class:`NoisyBottleneck`, :class:`ToyVAE`);
- **exploration**: minibatch gradient descent on a tilted double well (:func:`minibatch_descent`);
- **symmetry**: constant initialization, how far apart the hidden units drift, and SGD with
  delayed gradients (:class:`DelayedSGD`), the noise of asynchronous training.

Every model holds many independent members (seeds, noise levels) as one batched
program, like :class:`~deepwhy.nets.EnsembleMLP`, and draws its noise from its own
generator, seeded by ``seed``. Nothing here touches global random state.

Used in: why randomness matters.
"""
from __future__ import annotations

import math
import numbers
import zlib
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch
from torch import nn

from ._validate import positive_float, positive_int
from .nets import ACTIVATIONS, EnsembleMLP, init_layers

# --------------------------------------------------------------------------------------
# Information
# --------------------------------------------------------------------------------------


def _probability_table(joint) -> torch.Tensor:
    P = torch.as_tensor(joint, dtype=torch.float64)
    if P.dim() < 2:
        raise ValueError(f"joint must be a table of shape (..., k, k), got shape {tuple(P.shape)}")
    if bool((P < 0).any()) or not bool(torch.isfinite(P).all()):
        raise ValueError("joint must hold finite, non-negative counts or probabilities")
    total = P.sum((-2, -1), keepdim=True)
    if bool((total <= 0).any()):
        raise ValueError("joint must have a positive total in every table")
    return P / total


def mutual_information(joint) -> torch.Tensor:
    """Return I(X; Y) in bits from a joint table of counts or probabilities.

    Args:
        joint: array-like of shape ``(..., kx, ky)``; entry ``[i, j]`` counts how often
            X = i and Y = j (a confusion matrix, rows = truth, columns = prediction).
            Leading dimensions are independent tables (members, noise levels).

    Returns a float64 tensor of shape ``joint.shape[:-2]``.

    Used in: why randomness matters (how many bits cross a noisy code).
    """
    P = _probability_table(joint)
    px = P.sum(-1, keepdim=True)
    py = P.sum(-2, keepdim=True)
    ratio = torch.where(P > 0, P / (px * py), torch.ones((), dtype=P.dtype))
    return (P * torch.log2(ratio)).sum((-2, -1))


def confusion_matrix(truth: torch.Tensor, predicted: torch.Tensor, classes: int) -> torch.Tensor:
    """Return counts of (truth, prediction) pairs: shape ``(..., classes, classes)``.

    Args:
        truth, predicted: integer tensors of the same shape ``(..., n)``, values in [0, classes).
        classes: the number of classes.

    Used in: why randomness matters.
    """
    classes = positive_int("classes", classes)
    if truth.shape != predicted.shape:
        raise ValueError(f"truth and predicted must have the same shape, got {tuple(truth.shape)} "
                         f"and {tuple(predicted.shape)}")
    for name, t in (("truth", truth), ("predicted", predicted)):
        if t.dtype not in (torch.int64, torch.int32) or (t.numel() and (t.min() < 0 or t.max() >= classes)):
            raise ValueError(f"{name} must hold integers in [0, {classes}), got dtype {t.dtype}")
    flat = (truth * classes + predicted).reshape(-1, truth.shape[-1]).long()
    counts = torch.zeros(flat.shape[0], classes * classes, dtype=torch.float64)
    counts.scatter_add_(1, flat, torch.ones_like(flat, dtype=torch.float64))
    return counts.reshape(*truth.shape[:-1], classes, classes)


def gaussian_channel_capacity(sigma, power: float = 1.0):
    """Return ½·log2(1 + power/σ²): the most bits one use of a Gaussian channel can carry.

    A real number whose mean square is at most ``power``, sent once through additive
    noise N(0, σ²), can tell the receiver at most this many bits (Shannon).

    Args:
        sigma: noise standard deviation(s), > 0 (a number or an array).
        power: the bound on the signal's mean square, > 0.

    Used in: why randomness matters (the bound a noisy bottleneck cannot beat).
    """
    power = positive_float("power", power)
    s = np.asarray(sigma, dtype=np.float64)
    if s.size == 0 or not np.all(s > 0):
        raise ValueError(f"sigma must be > 0, got {sigma!r}")
    out = 0.5 * np.log2(1.0 + power / s**2)
    return float(out) if out.ndim == 0 else out


def uniform_noise_information(eps, width: float = 10.0):
    """Return I(a; a + r) in bits for a ~ U[0, width) and noise r ~ U(-eps, eps).

    Exactly ``log2(width / (2 eps)) + eps / (width ln 2)``: the noise leaves about
    log2(width / 2eps) bits of ``a``, however many digits ``a`` had.

    Args:
        eps: the noise half-width(s), with 0 < eps <= width / 2.
        width: the range of ``a``.

    Used in: why randomness matters (the pi example).
    """
    width = positive_float("width", width)
    e = np.asarray(eps, dtype=np.float64)
    if e.size == 0 or not np.all((e > 0) & (e <= width / 2)):
        raise ValueError(f"eps must be in (0, width/2] = (0, {width / 2}], got {eps!r}")
    out = np.log2(width / (2 * e)) + e / (width * math.log(2))
    return float(out) if out.ndim == 0 else out


def pi_digits(n: int) -> str:
    """Return the first ``n`` decimal digits of pi as a string, ``"31415926..."``.

    Computed with Machin's formula, pi = 16 arctan(1/5) - 4 arctan(1/239), in integer
    arithmetic with 10 guard digits. 10,000 digits take about 0.1 s.

    Used in: why randomness matters (a long string that is not random).
    """
    n = positive_int("n", n)
    scale = 10 ** (n + 10)

    def arctan_inverse(x):  # arctan(1/x) * scale
        power = total = scale // x
        j = 0
        while power:
            power //= x * x
            j += 1
            total += (-1) ** j * (power // (2 * j + 1))
        return total

    big = 4 * (4 * arctan_inverse(5) - arctan_inverse(239))
    chunks = []  # Python refuses str() of ints over 4300 digits: convert in chunks
    while big:
        big, low = divmod(big, 10**4000)
        chunks.append(f"{low:04000d}")
    return "".join(reversed(chunks)).lstrip("0")[:n]


def compressed_bits_per_symbol(text: str) -> float:
    """Return the size of ``text`` after zlib (level 9), in bits per character of ``text``.

    Used in: why randomness matters (zlib sees pi's digits as random).
    """
    if not isinstance(text, str) or not text:
        raise ValueError(f"text must be a non-empty string, got {text!r:.40}")
    return 8 * len(zlib.compress(text.encode(), 9)) / len(text)


def matching_digits(a: str, b: str) -> int:
    """Return how many leading digits two decimal strings share (the point is skipped).

    ``matching_digits("3.14159", "3.14059") == 3``.

    Used in: why randomness matters (digits of a + r that still equal a's).
    """
    for name, s in (("a", a), ("b", b)):
        if not isinstance(s, str):
            raise ValueError(f"{name} must be a decimal string, got {s!r}")
    count = 0
    for x, y in zip(a, b):
        if x != y:
            break
        count += x.isdigit()
    return count


# --------------------------------------------------------------------------------------
# Sampling: one input, many outputs
# --------------------------------------------------------------------------------------


def sample_categorical(logits: torch.Tensor, samples: int = 1, seed: int = 0) -> torch.Tensor:
    """Return ``samples`` draws from softmax(logits): shape ``(..., samples)``, integer classes.

    Args:
        logits: ``(..., classes)`` unnormalized log-probabilities.
        samples: draws per distribution.
        seed: seeds the draws.

    Used in: why randomness matters (a policy that samples moves).
    """
    samples = positive_int("samples", samples)
    if not isinstance(logits, torch.Tensor) or logits.dim() < 1 or logits.shape[-1] < 1:
        raise ValueError(f"logits must be a tensor of shape (..., classes), got {logits!r:.60}")
    gen = torch.Generator().manual_seed(positive_int("seed", seed, minimum=0))
    probs = torch.softmax(logits.detach().double(), dim=-1).reshape(-1, logits.shape[-1])
    draws = torch.multinomial(probs, samples, replacement=True, generator=gen)
    return draws.reshape(*logits.shape[:-1], samples)


def bin_edges(low: float, high: float, bins: int) -> torch.Tensor:
    """Return ``bins + 1`` equally spaced edges from ``low`` to ``high``.

    Used in: why randomness matters (a real target as a categorical one).
    """
    bins = positive_int("bins", bins)
    if not high > low:
        raise ValueError(f"high must be > low, got low={low!r}, high={high!r}")
    return torch.linspace(float(low), float(high), bins + 1)


def to_bins(y: torch.Tensor, edges: torch.Tensor) -> torch.Tensor:
    """Return the bin index of each value of ``y`` (values outside go to the end bins).

    Used in: why randomness matters (a real target as a categorical one).
    """
    inner = edges[1:-1].contiguous()
    return torch.bucketize(y.contiguous(), inner)


def bin_centers(edges: torch.Tensor) -> torch.Tensor:
    """Return the midpoints of consecutive ``edges``: the value a sampled bin stands for.

    Used in: why randomness matters.
    """
    return (edges[1:] + edges[:-1]) / 2


# --------------------------------------------------------------------------------------
# Noisy layers
# --------------------------------------------------------------------------------------


def _per_member(name: str, value, members: int, upper: float | None = None) -> torch.Tensor:
    """Return ``value`` (a number or one per member) as a (members, 1, 1) float tensor."""
    t = torch.as_tensor(value, dtype=torch.float64).flatten()
    if t.numel() == 1:
        t = t.expand(members)
    if t.numel() != members:
        raise ValueError(f"{name} must be a number or one value per member ({members}), got {t.numel()} values")
    bad = (t < 0) | ~torch.isfinite(t)
    if upper is not None:
        bad |= t >= upper
    if bool(bad.any()):
        bound = f"[0, {upper})" if upper is not None else ">= 0"
        raise ValueError(f"{name} must be {bound}, got {value!r}")
    return t.float().view(members, 1, 1).clone()


def dropout(h: torch.Tensor, p, generator: torch.Generator) -> torch.Tensor:
    """Return ``h`` with each entry zeroed with probability ``p`` and survivors scaled by 1/(1-p).

    ``p`` is a number or a tensor that broadcasts against ``h`` (one rate per member).
    The mean of the output equals ``h``, so nothing needs rescaling at test time.

    Used in: why randomness matters.
    """
    p = torch.as_tensor(p, dtype=h.dtype)
    if bool(((p < 0) | (p >= 1)).any()):
        raise ValueError(f"p must be a drop probability in [0, 1), got {p.flatten().tolist()}")
    keep = torch.rand(h.shape, generator=generator, dtype=h.dtype) >= p
    return torch.where(keep, h / (1 - p), torch.zeros((), dtype=h.dtype))


def gaussian_dropout(h: torch.Tensor, std, generator: torch.Generator) -> torch.Tensor:
    """Return ``h * (1 + std·ε)`` with ε ~ N(0, 1): multiplicative Gaussian noise.

    With ``std = sqrt(p / (1 - p))`` the noise has the same mean and variance as
    dropout with rate ``p`` (Srivastava et al., 2014, section 10).

    Used in: why randomness matters (dropout against VAE-style Gaussian noise).
    """
    std = torch.as_tensor(std, dtype=h.dtype)
    if bool((std < 0).any()):
        raise ValueError(f"std must be >= 0, got {std.flatten().tolist()}")
    return h * (1 + std * torch.randn(h.shape, generator=generator, dtype=h.dtype))


class SignSTE(torch.autograd.Function):
    """sign(x) forward (+1 for x >= 0), and the straight-through gradient 1{|x| <= 1} backward.

    Used in: why randomness matters (through :func:`binarize`).
    """

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.where(x >= 0, torch.ones_like(x), -torch.ones_like(x))

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * (x.abs() <= 1).to(grad.dtype)


def binarize(x: torch.Tensor) -> torch.Tensor:
    """Return sign(x) in {-1, +1}, with a straight-through gradient (as BinaryNet trains).

    Used in: why randomness matters (a binarized layer trained with real-valued gradients).
    """
    return SignSTE.apply(x)


class NoisyMLP(EnsembleMLP):
    """An :class:`~deepwhy.nets.EnsembleMLP` with noise on its hidden units, one noise level per member.

    In training mode, after each hidden activation, the units of member ``m`` get
    dropout with rate ``drop[m]``, multiplicative Gaussian noise with standard
    deviation ``gauss[m]`` and additive Gaussian noise N(0, ``additive[m]``²) (the
    VAE's kind of noise); in eval mode the noise is off. A member with ``binary[m]``
    is binarized as in BinaryNet: its hidden activations are sign(pre-activation) and its
    hidden-to-hidden weights sign(W) / sqrt(fan_in), both with straight-through gradients,
    while its first and last layers keep real weights.

    Args:
        sizes, members, activation, init_scale, bias, seed, init, dtype: as EnsembleMLP.
        drop: a dropout rate in [0, 1), or one per member.
        gauss: a multiplicative noise std >= 0, or one per member.
        additive: an additive noise std >= 0, or one per member.
        binary: a bool, or one per member.
        noise_seed: seeds the noise (default: ``seed``).

    Used in: why randomness matters (symmetry breaking, regularizers, memorization).
    """

    def __init__(self, sizes: Sequence[int], members: int, activation: str = "relu", drop=0.0,
                 gauss=0.0, binary=False, init_scale: float = 1.0, bias: bool = True,
                 seed: int = 0, init: str = "uniform", dtype: torch.dtype = torch.float32,
                 noise_seed: int | None = None, additive=0.0):
        super().__init__(sizes, members, activation, init_scale, bias, seed, init, dtype)
        self.register_buffer("drop", _per_member("drop", drop, self.members, upper=1.0).to(dtype))
        self.register_buffer("gauss", _per_member("gauss", gauss, self.members).to(dtype))
        self.register_buffer("additive", _per_member("additive", additive, self.members).to(dtype))
        flags = torch.as_tensor(binary).flatten()
        if flags.dtype != torch.bool or flags.numel() not in (1, self.members):
            raise ValueError(f"binary must be a bool or one bool per member ({self.members}), got {binary!r}")
        self.register_buffer("binary", flags.expand(self.members).reshape(-1, 1, 1).clone())
        noise_seed = self.seed if noise_seed is None else positive_int("noise_seed", noise_seed, minimum=0)
        self.generator = torch.Generator().manual_seed(noise_seed)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        if not isinstance(X, torch.Tensor) or X.dim() not in (2, 3) or X.shape[-1] != self.sizes[0] \
                or (X.dim() == 3 and X.shape[0] != self.members):
            got = tuple(X.shape) if isinstance(X, torch.Tensor) else type(X).__name__
            raise ValueError(f"X must have shape (n, {self.sizes[0]}) or ({self.members}, n, "
                             f"{self.sizes[0]}), got {got}")
        act = ACTIVATIONS[self.activation]
        any_binary = bool(self.binary.any())
        h = X
        last = len(self.weights) - 1
        for l, W in enumerate(self.weights):
            if any_binary and 0 < l < last:
                W = torch.where(self.binary, binarize(W) / math.sqrt(W.shape[1]), W)
            h = torch.matmul(h, W)
            if self.bias:
                h = h + self.biases[l]
            if l == last:
                break
            h = torch.where(self.binary, binarize(h), act(h)) if any_binary else act(h)
            if self.training:
                if bool((self.drop > 0).any()):
                    h = dropout(h, self.drop, self.generator)
                if bool((self.gauss > 0).any()):
                    h = gaussian_dropout(h, self.gauss, self.generator)
                if bool((self.additive > 0).any()):
                    h = h + self.additive * torch.randn(h.shape, generator=self.generator, dtype=h.dtype)
        return h


class StochasticDepthMLP(nn.Module):
    """``members`` deep residual MLPs whose blocks are skipped at random in training (stochastic depth).

    ``h = relu(x W_in + b_in)``, then ``depth`` blocks ``h = h + g_l · f_l(h)`` with
    ``f_l(h) = relu(h A_l + a_l) B_l + b_l``, then ``h W_out + b_out``. In training each
    block survives with probability ``s_l = 1 - (l+1)/depth · (1 - survival)`` (the linear
    rule of Huang et al., 2016), drawn per member and per minibatch: ``g_l`` is 0 or 1.
    In eval mode ``g_l = s_l``, the expected gate.

    Args:
        d_in, width, d_out: input, hidden and output widths.
        depth: the number of residual blocks.
        members: independent networks.
        survival: the last block's survival probability in (0, 1], or one per member.
        seed: seeds the weights (member ``i`` uses ``seed + i``) and the gates.

    Used in: why randomness matters.
    """

    def __init__(self, d_in: int, width: int, d_out: int, depth: int, members: int, survival=1.0,
                 seed: int = 0):
        super().__init__()
        d_in, width, d_out = (positive_int(n, v) for n, v in (("d_in", d_in), ("width", width), ("d_out", d_out)))
        self.depth = positive_int("depth", depth)
        self.members = positive_int("members", members)
        seed = positive_int("seed", seed, minimum=0)
        last = _per_member("survival", survival, self.members).view(self.members)
        if bool(((last <= 0) | (last > 1)).any()):
            raise ValueError(f"survival must be in (0, 1], got {survival!r}")
        rungs = torch.arange(1, self.depth + 1, dtype=torch.float32) / self.depth
        self.register_buffer("survival", 1 - rungs[None, :] * (1 - last[:, None]))  # (members, depth)
        sizes = [d_in] + [width] * (2 * self.depth + 1) + [d_out]
        per_member = [init_layers(sizes, seed=seed + i) for i in range(self.members)]
        self.weights = nn.ParameterList(
            nn.Parameter(torch.stack([m[l][0] for m in per_member])) for l in range(len(sizes) - 1))
        self.biases = nn.ParameterList(
            nn.Parameter(torch.stack([m[l][1] for m in per_member]).unsqueeze(1)) for l in range(len(sizes) - 1))
        self.generator = torch.Generator().manual_seed(seed)

    def _linear(self, h, l):
        return torch.matmul(h, self.weights[l]) + self.biases[l]

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        if not isinstance(X, torch.Tensor) or X.dim() not in (2, 3) or X.shape[-1] != self.weights[0].shape[1]:
            raise ValueError(f"X must have shape (n, {self.weights[0].shape[1]}) or (members, n, "
                             f"{self.weights[0].shape[1]}), got {getattr(X, 'shape', X)!r}")
        h = torch.relu(self._linear(X, 0))
        if self.training:
            gates = (torch.rand(self.survival.shape, generator=self.generator) < self.survival).float()
        else:
            gates = self.survival
        for k in range(self.depth):
            branch = self._linear(torch.relu(self._linear(h, 1 + 2 * k)), 2 + 2 * k)
            h = h + gates[:, k].view(-1, 1, 1) * branch
        return self._linear(h, len(self.weights) - 1)


class NoisyBottleneck(nn.Module):
    """``members`` autoencoders that send one of ``symbols`` symbols through a single noisy number.

    The encoder gives symbol ``s`` the code ``z_s = tanh(w_s)``, so |z| <= 1 (power <= 1).
    The channel adds N(0, sigma²) and, if ``drop`` > 0, erases the code (sets it to 0)
    with probability ``drop``, scaling survivors by 1/(1-drop). The decoder is an MLP
    ``[1, hidden, symbols]`` that returns logits. The channel is part of the task, so
    it stays on in eval mode too.

    Args:
        symbols: how many symbols (4 bits for 16).
        members: independent autoencoders.
        sigma: noise std >= 0, or one per member.
        drop: erasure rate in [0, 1), or one per member.
        hidden: the decoder's width.
        seed: seeds the weights (member ``i`` uses ``seed + i``) and the channel.

    ``forward(S)`` takes integer symbols ``(n,)`` or ``(members, n)`` and returns
    logits ``(members, n, symbols)``.

    Used in: why randomness matters (noise caps what a layer can carry).
    """

    def __init__(self, symbols: int = 16, members: int = 1, sigma=0.0, drop=0.0, hidden: int = 64,
                 seed: int = 0):
        super().__init__()
        self.symbols = positive_int("symbols", symbols, minimum=2)
        self.members = positive_int("members", members)
        seed = positive_int("seed", seed, minimum=0)
        self.register_buffer("sigma", _per_member("sigma", sigma, self.members))
        self.register_buffer("drop", _per_member("drop", drop, self.members, upper=1.0))
        self.encoder = EnsembleMLP([self.symbols, 1], self.members, bias=False, seed=seed)
        self.decoder = EnsembleMLP([1, positive_int("hidden", hidden), self.symbols], self.members,
                                   seed=seed + self.members)
        self.generator = torch.Generator().manual_seed(seed)

    def code(self, S: torch.Tensor) -> torch.Tensor:
        """Return the noiseless codes of symbols ``S``: shape (members, n, 1), in [-1, 1]."""
        if not isinstance(S, torch.Tensor) or S.dtype != torch.int64 or S.dim() not in (1, 2):
            raise ValueError(f"S must be an int64 tensor of shape (n,) or (members, n), got {S!r:.60}")
        if S.numel() and (S.min() < 0 or S.max() >= self.symbols):
            raise ValueError(f"S must hold symbols in [0, {self.symbols})")
        table = torch.tanh(self.encoder.weights[0][..., 0])  # (members, symbols)
        S = S.expand(self.members, -1)
        return torch.gather(table, 1, S).unsqueeze(-1)

    def forward(self, S: torch.Tensor) -> torch.Tensor:
        z = self.code(S)
        z = z + self.sigma * torch.randn(z.shape, generator=self.generator)
        if bool((self.drop > 0).any()):
            z = dropout(z, self.drop, self.generator)
        return self.decoder(z)


def bottleneck_information(model: NoisyBottleneck, samples: int = 32_000, seed: int = 0):
    """Return ``(bits, accuracy)`` of a :class:`NoisyBottleneck`, each of shape (members,).

    Sends ``samples`` uniformly drawn symbols through the noisy channel, decodes each by
    its most likely symbol, and computes I(S; Ŝ) from the confusion matrix.

    Used in: why randomness matters.
    """
    samples = positive_int("samples", samples)
    gen = torch.Generator().manual_seed(positive_int("seed", seed, minimum=0))
    S = torch.randint(0, model.symbols, (model.members, samples), generator=gen)
    with torch.no_grad():
        guess = model(S).argmax(-1)
    bits = mutual_information(confusion_matrix(S, guess, model.symbols))
    return bits, (guess == S).double().mean(-1)


def gaussian_kl_bits(mu: torch.Tensor, log_var: torch.Tensor) -> torch.Tensor:
    """Return KL(N(mu, exp(log_var)) || N(0, 1)) in bits, summed over the last dimension.

    Used in: why randomness matters (the VAE's rate).
    """
    if mu.shape != log_var.shape:
        raise ValueError(f"mu and log_var must have the same shape, got {tuple(mu.shape)} and {tuple(log_var.shape)}")
    nats = 0.5 * (mu**2 + log_var.exp() - 1 - log_var)
    return nats.sum(-1) / math.log(2)


def reparameterize(mu: torch.Tensor, log_var: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
    """Return ``mu + exp(log_var / 2) * eps``: a sample of N(mu, exp(log_var)) that gradients flow through.

    Used in: why randomness matters (the VAE, and an exercise).
    """
    return mu + torch.exp(0.5 * log_var) * eps


class ToyVAE(nn.Module):
    """``members`` small VAEs for low-dimensional points, each with its own weight ``beta`` on the KL term.

    Encoder ``[d, hidden, 2·latent]`` gives the mean and log-variance of q(z|x) = N(mu, sigma²);
    decoder ``[latent, hidden, d]`` gives the reconstruction. ``loss(X)`` is, per member and
    in nats per point, squared error / (2 recon_std²) + beta · KL(q(z|x) || N(0, I)); beta = 1
    is the negative ELBO. A larger beta makes bits in the code dearer, so the encoder learns
    more noise. ``rate(X)`` is the KL in bits: an upper bound on what the code carries about x.

    Args:
        d, latent, hidden: data, code and hidden widths.
        members: independent VAEs.
        beta: a number > 0, or one per member.
        recon_std: the likelihood's standard deviation.
        seed: seeds the weights (member ``i`` uses ``seed + i``) and the sampling noise.

    Used in: why randomness matters (VAE noise limits the bits a code carries).
    """

    def __init__(self, d: int = 2, latent: int = 2, hidden: int = 64, members: int = 1, beta=1.0,
                 recon_std: float = 0.1, seed: int = 0):
        super().__init__()
        self.members = positive_int("members", members)
        self.latent = positive_int("latent", latent)
        self.recon_std = positive_float("recon_std", recon_std)
        beta = _per_member("beta", beta, self.members).view(self.members)
        if bool((beta <= 0).any()):
            raise ValueError(f"beta must be > 0, got {beta.tolist()}")
        self.register_buffer("beta", beta)
        seed = positive_int("seed", seed, minimum=0)
        self.encoder = EnsembleMLP([positive_int("d", d), positive_int("hidden", hidden), 2 * self.latent],
                                   self.members, seed=seed)
        self.decoder = EnsembleMLP([self.latent, hidden, d], self.members, seed=seed + self.members)
        self.generator = torch.Generator().manual_seed(seed)

    def posterior(self, X: torch.Tensor):
        """Return ``(mu, log_var)`` of q(z|x), each (members, n, latent)."""
        out = self.encoder(X)
        return out[..., : self.latent], out[..., self.latent:].clamp(-12, 6)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """Return a reconstruction of ``X`` through a sampled code: (members, n, d)."""
        mu, log_var = self.posterior(X)
        eps = torch.randn(mu.shape, generator=self.generator)
        return self.decoder(reparameterize(mu, log_var, eps))

    def rate(self, X: torch.Tensor) -> torch.Tensor:
        """Return the mean KL(q(z|x) || N(0, I)) in bits per point: shape (members,)."""
        mu, log_var = self.posterior(X)
        return gaussian_kl_bits(mu, log_var).mean(-1)

    def loss(self, X: torch.Tensor) -> torch.Tensor:
        """Return distortion + beta · KL per member, in nats per point: shape (members,)."""
        mu, log_var = self.posterior(X)
        eps = torch.randn(mu.shape, generator=self.generator)
        recon = self.decoder(reparameterize(mu, log_var, eps))
        distortion = ((recon - X) ** 2).sum(-1) / (2 * self.recon_std**2)
        kl = gaussian_kl_bits(mu, log_var) * math.log(2)
        return (distortion + self.beta.view(-1, 1) * kl).mean(-1)


def train_vae(model: ToyVAE, X: torch.Tensor, steps: int = 1000, batch_size: int = 128, lr: float = 3e-3,
              progress: bool | None = None, seed: int = 0) -> np.ndarray:
    """Train a :class:`ToyVAE` with Adam on minibatches of ``X``; return the final loss per member.

    Args:
        model: the VAEs to train (in place).
        X: ``(n, d)`` training points, shared by every member.
        steps, batch_size, lr: the schedule; batches are drawn with replacement.
        progress: show a progress bar (default: unless DEEPWHY_PROGRESS=0).
        seed: seeds the batches.

    Used in: why randomness matters.
    """
    from .train import progress_bar

    if not isinstance(X, torch.Tensor) or X.dim() != 2:
        raise ValueError(f"X must be an (n, d) tensor, got {getattr(X, 'shape', X)!r}")
    steps = positive_int("steps", steps)
    batch_size = positive_int("batch_size", batch_size)
    gen = torch.Generator().manual_seed(positive_int("seed", seed, minimum=0))
    opt = torch.optim.Adam(model.parameters(), lr=positive_float("lr", lr))
    model.train()
    for _ in progress_bar(range(steps), progress, desc="VAE"):
        loss = model.loss(X[torch.randint(0, len(X), (batch_size,), generator=gen)])
        opt.zero_grad(set_to_none=True)
        loss.sum().backward()
        opt.step()
    return loss.detach().numpy()


# --------------------------------------------------------------------------------------
# Exploration: minibatch noise on a tilted double well
# --------------------------------------------------------------------------------------


def double_well_offsets(n: int = 100, scale: float = 3.0, seed: int = 0) -> torch.Tensor:
    """Return ``n`` per-example slopes a_i ~ N(0, scale²), shifted to have mean exactly 0 (float64).

    Used in: why randomness matters (the examples of the tilted double well).
    """
    n = positive_int("n", n)
    scale = positive_float("scale", scale, allow_zero=True)
    gen = torch.Generator().manual_seed(positive_int("seed", seed, minimum=0))
    a = scale * torch.randn(n, generator=gen, dtype=torch.float64)
    return a - a.mean()


def double_well_loss(x, tilt: float = 0.1):
    """Return the full-batch loss f(x) = x⁴/4 - x²/2 + tilt·x (the a_i x terms average to 0).

    With tilt 0.1 the minima sit at x = -1.047 (global) and x = 0.946 (local), with a
    barrier at x = 0.100.

    Used in: why randomness matters (escaping a shallow minimum).
    """
    x = torch.as_tensor(x, dtype=torch.float64)
    return x**4 / 4 - x**2 / 2 + tilt * x


@dataclass
class Descent:
    """What :func:`minibatch_descent` returns, for each batch size (rows) and run (columns).

    Attributes:
        final: ``(sizes, runs)`` positions after the noisy phase and the polish.
        crossed: ``(sizes, runs)`` bool, whether the run ever went past the barrier.
        path: ``(records, sizes, runs)`` positions during the noisy phase, or None.

    Used in: why randomness matters.
    """

    final: torch.Tensor
    crossed: torch.Tensor
    path: torch.Tensor | None = None


def minibatch_descent(batch_sizes: Sequence[int], runs: int = 200, steps: int = 5000, lr: float = 0.05,
                      start: float = 0.946, offsets: torch.Tensor | None = None, tilt: float = 0.1,
                      polish: int = 500, gaussian: bool = False, record_every: int = 0,
                      seed: int = 0) -> Descent:
    """Run minibatch gradient descent on a tilted double well and return a :class:`Descent`.

    Example i has loss x⁴/4 - x²/2 + tilt·x + a_i·x, so a minibatch of size b sees the
    full gradient plus the noise mean(a_batch), of std about std(a)/sqrt(b). Batches are
    drawn with replacement, independently per run; ``b == len(offsets)`` means the full
    batch (plain gradient descent, no noise). With ``gaussian=True`` the minibatch noise
    is replaced by Gaussian noise of the same std added to the full gradient (Neelakantan
    et al., 2015). After ``steps`` noisy steps, ``polish`` full-batch steps settle each run
    into the bottom of its basin.

    Args:
        batch_sizes: the batch sizes to compare, each in [1, n].
        runs: independent runs per batch size.
        steps, lr: the noisy phase.
        start: the starting point (the local minimum by default).
        offsets: the a_i (default :func:`double_well_offsets` with n=100, seed 0).
        tilt: the slope that makes the left minimum the deeper one.
        record_every: if > 0, record the positions every this many steps.
        seed: seeds the minibatches.

    Used in: why randomness matters (minibatch noise escapes a shallow minimum).
    """
    a = double_well_offsets() if offsets is None else torch.as_tensor(offsets, dtype=torch.float64)
    n = a.numel()
    try:
        sizes = [positive_int("batch_sizes", b) for b in batch_sizes]
    except TypeError:
        sizes = []
    if not sizes or max(sizes) > n:
        raise ValueError(f"batch_sizes must be a non-empty list of integers in [1, {n}], got {batch_sizes!r}")
    runs = positive_int("runs", runs)
    steps = positive_int("steps", steps, minimum=0)
    polish = positive_int("polish", polish, minimum=0)
    lr = positive_float("lr", lr)
    record_every = positive_int("record_every", record_every, minimum=0)
    gen = torch.Generator().manual_seed(positive_int("seed", seed, minimum=0))
    barrier = _double_well_barrier(tilt)
    x = torch.full((len(sizes), runs), float(start), dtype=torch.float64)
    crossed = x < barrier
    path = [x.clone()] if record_every else None
    chunk = 500
    for begin in range(0, steps, chunk):
        length = min(chunk, steps - begin)
        noise = torch.zeros(length, len(sizes), runs, dtype=torch.float64)
        for k, b in enumerate(sizes):
            if b == n:
                continue
            if gaussian:
                std = a.std(unbiased=False) / math.sqrt(b)
                noise[:, k] = std * torch.randn(length, runs, generator=gen, dtype=torch.float64)
            else:
                noise[:, k] = a[torch.randint(0, n, (length, runs, b), generator=gen)].mean(-1)
        for t in range(length):
            x = x - lr * (x**3 - x + tilt + noise[t])
            crossed |= x < barrier
            if record_every and (begin + t + 1) % record_every == 0:
                path.append(x.clone())
    for _ in range(polish):
        x = x - lr * (x**3 - x + tilt)
    return Descent(x, crossed, torch.stack(path) if record_every else None)


def _double_well_barrier(tilt: float) -> float:
    """Return the local maximum of x⁴/4 - x²/2 + tilt·x between the two minima (|tilt| small)."""
    roots = np.roots([1.0, 0.0, -1.0, float(tilt)])
    real = np.sort(roots[np.abs(roots.imag) < 1e-9].real)
    if len(real) != 3:
        raise ValueError(f"tilt must be small enough for two minima (|tilt| < 0.38), got {tilt!r}")
    return float(real[1])


# --------------------------------------------------------------------------------------
# Symmetry
# --------------------------------------------------------------------------------------


def constant_init_(model: nn.Module, value: float, members: Sequence[int] | None = None) -> nn.Module:
    """Set every weight and bias of an ensemble's ``members`` (default: all) to ``value``, in place.

    Used in: why randomness matters (constant initialization keeps hidden units identical).
    """
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise ValueError(f"value must be a number, got {value!r}")
    with torch.no_grad():
        for p in model.parameters():
            if members is None:
                p.fill_(float(value))
            else:
                p[list(members)] = float(value)
    return model


def hidden_unit_spread(W: torch.Tensor, b: torch.Tensor | None = None) -> torch.Tensor:
    """Return, per member, the largest distance between any hidden unit's incoming weights and unit 0's.

    Args:
        W: ``(members, fan_in, units)`` first-layer weights (an ensemble's ``weights[0]``).
        b: optional ``(members, 1, units)`` biases, compared too.

    0 means every hidden unit computes the same function: the layer is one unit, copied.

    Used in: why randomness matters (symmetry breaking).
    """
    W = torch.as_tensor(W)
    if W.dim() != 3:
        raise ValueError(f"W must have shape (members, fan_in, units), got {tuple(W.shape)}")
    cols = W if b is None else torch.cat([W, torch.as_tensor(b).reshape(W.shape[0], 1, -1)], dim=1)
    return (cols - cols[..., :1]).abs().amax(dim=(1, 2))


class DelayedSGD(torch.optim.Optimizer):
    """Plain SGD that applies, per member, a gradient computed a random number of steps ago.

    This is the noise of asynchronous SGD (Dean et al., 2012): a worker's gradient arrives
    after other workers have already moved the weights, so the update uses stale weights.
    At each step, member ``m`` of an ensemble (the first dimension of every parameter)
    draws a delay uniformly from ``0 .. max_delay[m]`` and steps along the gradient of
    that many steps ago (the newest available one while fewer are stored).

    Args:
        params: the ensemble's parameters, each of shape ``(members, ...)``.
        lr: the step size, > 0.
        max_delay: the longest delay, an integer >= 0, or one per member (0: plain SGD).
        seed: seeds the delays.

    Used in: why randomness matters (asynchronous noise does not break symmetry).
    """

    def __init__(self, params, lr: float, max_delay=0, seed: int = 0):
        super().__init__(params, {"lr": positive_float("lr", lr)})
        members = {p.shape[0] for g in self.param_groups for p in g["params"]}
        if len(members) != 1:
            raise ValueError(f"params must all have the same first (members) dimension, got {sorted(members)}")
        self.members = members.pop()
        delay = torch.as_tensor(max_delay).flatten()
        if delay.numel() == 1:
            delay = delay.expand(self.members)
        if delay.numel() != self.members or delay.is_floating_point() or bool((delay < 0).any()):
            raise ValueError(f"max_delay must be an integer >= 0 or one per member ({self.members}), got {max_delay!r}")
        self.max_delay = delay.long().clone()
        self.generator = torch.Generator().manual_seed(positive_int("seed", seed, minimum=0))
        self.stored = 0   # how many past gradients the ring buffers hold

    @torch.no_grad()
    def step(self, closure=None):
        size = int(self.max_delay.max()) + 1
        slot = self.stored % size                  # where this step's gradient goes
        self.stored += 1
        draw = torch.rand(self.members, generator=self.generator)
        delay = torch.minimum((draw * (self.max_delay + 1)).long(), self.max_delay)
        delay = delay.clamp(max=min(self.stored, size) - 1)
        read = (slot - delay) % size               # the slot written `delay` steps ago
        members = torch.arange(self.members)
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state[p]
                if "past" not in state:
                    state["past"] = torch.zeros((size, *p.shape), dtype=p.dtype)
                state["past"][slot] = p.grad
                p -= group["lr"] * state["past"][read, members]
        return None
