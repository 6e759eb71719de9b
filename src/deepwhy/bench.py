"""Benchmark: an ensemble trained as one batched model against a Python loop over separate MLPs.

Run ``python -m deepwhy.bench`` (or ``make bench``). It times full-batch training both ways on
two workloads and prints the speed-ups, and for the compute-bound workload the ensemble's
achieved GFLOP/s as a share of this machine's fp32 matmul rate, measured in the same run.

- small, overhead-bound: XOR, widths [2, 8, 1], 4 points, 100 members, 500 steps;
- medium, compute-bound: widths [1, 64, 64, 1], 256 points, 32 members, 300 steps.

It then times the chapters' claims about speed, which the notebooks show but do not assert
(a timing that passes on one machine fails on a busier one; the notebooks assert counts):

- backprop chapter: one gradient by the numpy rules costs a few forward passes (target <= 10
  at P = 20,301), finite differences cost far more (target >= 100x backprop at P = 1,761), and
  the ensemble's hand-written backward beats autograd (target >= 1.1x, tanh, one pass);
- history chapter: training the digits CNN takes longer than the SVM (target >= 5x, the
  chapter's 15 training sets).

This is a measurement, not a unit test: its numbers depend on the machine and its load.
Used in: README ("Many seeds at once").
"""
from __future__ import annotations

import argparse
import time
from dataclasses import dataclass

import torch

from . import nets, train, use_cpu


def matmul_gflops(n: int = 1024, repeats: int = 20, dtype: torch.dtype = torch.float32) -> float:
    """Return the best fp32 GFLOP/s of an ``n x n`` matrix product on this machine (2 n^3 flops each)."""
    a = torch.randn(n, n, dtype=dtype)
    b = torch.randn(n, n, dtype=dtype)
    a @ b  # warm-up
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t)
    return 2 * n**3 / best / 1e9


def training_flops(sizes, n: int, members: int, steps: int) -> float:
    """Return the flops of ``steps`` full-batch training steps: forward plus backward, every layer.

    Per layer of a member: forward 2·n·in·out; backward 2·n·in·out for the weight gradient and,
    for every layer but the first, 2·n·in·out for the gradient of its input.
    """
    total = 0
    for l, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        total += (2 if l == 0 else 3) * 2 * n * a * b
    return float(total) * members * steps


@dataclass
class Timing:
    """Seconds taken by the ensemble and by the loop on one workload."""

    name: str
    ensemble_s: float
    loop_s: float

    @property
    def speedup(self) -> float:
        return self.loop_s / self.ensemble_s


def _adam(params):
    # The fused kernel updates every tensor in one call; both contenders use it.
    return torch.optim.Adam(params, lr=1e-3, fused=True)


def _train(model, X, y, steps, loss):
    train.fit(model, X, y, loss=loss, optimizer=_adam, steps=steps, record_every=steps, progress=False)


def time_workload(name: str, sizes, n: int, members: int, steps: int, activation: str = "relu",
                  loss: str = "mse", seed: int = 0, repeats: int = 3, fused: bool = True,
                  loop: bool = True) -> Timing:
    """Return the best-of-``repeats`` seconds to train ``members`` nets as one ensemble and one by one.

    ``fused=False`` makes the ensemble use autograd instead of its hand-written backward;
    ``loop=False`` skips the loop over single nets (``loop_s`` is then NaN).
    """
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, sizes[0], generator=g)
    y = torch.randn(n, sizes[-1], generator=g)
    if loss == "bce":
        y = (y > 0).float()
    best_ens = best_loop = float("inf")
    for _ in range(repeats):
        ens = nets.EnsembleMLP(sizes, members, activation=activation, seed=seed)
        ens.fused = fused
        t = time.perf_counter()
        _train(ens, X, y, steps, loss)
        best_ens = min(best_ens, time.perf_counter() - t)
    if not loop:
        return Timing(name, best_ens, float("nan"))
    # The loop is slow and steady: one repeat is enough to time it.
    models = [nets.mlp(sizes, activation, seed=seed + i) for i in range(members)]
    t = time.perf_counter()
    for m in models:
        _train(m, X, y, steps, loss)
    best_loop = time.perf_counter() - t
    return Timing(name, best_ens, best_loop)


def _best(fn, repeats: int = 20) -> float:
    fn()  # warm-up
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def backprop_timings() -> dict:
    """Return the backprop chapter's timing ratios: gradient / forward, FD / gradient, autograd / rules."""
    import numpy as np

    from . import backprop

    out = {}
    for h in (40, 100):
        rng = np.random.default_rng(h)
        X, T = rng.normal(size=(64, h)), rng.normal(size=(64, 1))
        net = backprop.MLP([h, h, h, 1], activation="tanh", seed=0)
        forward = _best(lambda: backprop.loss_of(net, X, T), 40)
        gradient = _best(lambda: backprop.gradient(net, X, T), 40)
        if h == 100:
            out["gradient / forward (P = 20301)"] = gradient / forward
        else:
            fd = _best(lambda: backprop.numerical_gradient(lambda: backprop.loss_of(net, X, T), net.params), 1)
            out["finite differences / gradient (P = 1761)"] = fd / gradient
    x = torch.linspace(-1, 1, 256)[:, None]
    y = torch.sin(3 * x)
    ens = nets.EnsembleMLP([1, 64, 64, 1], members=32, activation="tanh", seed=0)

    def one_pass():
        ens.zero_grad(set_to_none=True)
        ((ens(x) - y) ** 2).mean(dim=(1, 2)).sum().backward()

    ms = {}
    for fused in (True, False):
        ens.fused = fused
        ms[fused] = _best(one_pass, 30)
    out["ensemble pass: autograd / rules"] = ms[False] / ms[True]
    return out


def digits_timings() -> dict:
    """Return the history chapter's training times: the CNN's and the SVM's, 15 training sets of digits."""
    from sklearn.svm import SVC

    from . import data, lenet

    X_pool, y_pool, _, _ = data.digits(n_test=497, seed=0)
    subsets = lenet.nested_subsets(len(X_pool), [50, 100, 200, 400, 1300], 3, seed=0)
    t = time.perf_counter()
    for s in subsets:
        SVC(C=10.0).fit(X_pool[s].numpy(), y_pool[s].numpy())
    svm = time.perf_counter() - t
    model = lenet.EnsembleLeNet(len(subsets), channels=(16, 32), seed=0)
    batches = lenet.subset_batches(X_pool, y_pool, subsets, 64, seed=0)
    t = time.perf_counter()
    train.fit(model, batches, loss="cross_entropy", optimizer="adam", lr=1e-2, steps=300, progress=False)
    return {"CNN": time.perf_counter() - t, "SVM": svm}


def main(argv=None) -> int:
    """Run both workloads, print the figures, and return 0 if the targets are met, else 1."""
    parser = argparse.ArgumentParser(prog="python -m deepwhy.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2, help="torch threads (default 2, the course machine)")
    args = parser.parse_args(argv)
    setup = use_cpu(args.threads)
    rate = max(matmul_gflops() for _ in range(3))
    print(f"fp32 matmul rate (1024x1024, {args.threads} threads): {rate:.1f} GFLOP/s"
          f"{'' if setup['keep_freed_memory'] else ' (freed memory goes back to the OS: expect less)'}")

    small = time_workload("small  XOR [2, 8, 1], 4 points, 100 members, 500 steps", [2, 8, 1], 4, 100, 500,
                          activation="sigmoid", loss="bce")
    medium_sizes, n, members, steps = [1, 64, 64, 1], 256, 32, 300
    medium = time_workload("medium [1, 64, 64, 1], 256 points, 32 members, 300 steps", medium_sizes, n,
                           members, steps, repeats=5)
    flops = training_flops(medium_sizes, n, members, steps)
    ok = True
    for timing, target in ((small, 15.0), (medium, 1.5)):
        met = timing.speedup >= target
        ok &= met
        print(f"{timing.name}: ensemble {timing.ensemble_s:.3f} s, loop {timing.loop_s:.3f} s, "
              f"speed-up {timing.speedup:.1f}x (target >= {target:g}x) {'ok' if met else 'MISSED'}")
    share = flops / medium.ensemble_s / 1e9 / rate
    ok &= share >= 0.30
    print(f"medium ensemble (relu): {flops / medium.ensemble_s / 1e9:.1f} GFLOP/s = {100 * share:.0f} % "
          f"of the matmul rate (target >= 30 %) {'ok' if share >= 0.30 else 'MISSED'}")
    print("for comparison, the medium ensemble (no target):")
    for activation, fused in (("relu", False), ("tanh", True), ("tanh", False)):
        t = time_workload("", medium_sizes, n, members, steps, activation=activation, repeats=5,
                          fused=fused, loop=False)
        print(f"  {activation}, {'hand-written backward' if fused else 'autograd':21s}: {t.ensemble_s:.3f} s, "
              f"{flops / t.ensemble_s / 1e9:.1f} GFLOP/s = {100 * flops / t.ensemble_s / 1e9 / rate:.0f} %")
    print("the chapters' claims about speed:")
    ratios = backprop_timings()
    digits = digits_timings()
    ratios["digits: CNN / SVM training time"] = digits["CNN"] / digits["SVM"]
    targets = {"gradient / forward (P = 20301)": (10.0, "<="), "finite differences / gradient (P = 1761)": (100.0, ">="),
               "ensemble pass: autograd / rules": (1.1, ">="), "digits: CNN / SVM training time": (5.0, ">=")}
    for name, value in ratios.items():
        target, sense = targets[name]
        met = value <= target if sense == "<=" else value >= target
        ok &= met
        print(f"  {name}: {value:.2f}x (target {sense} {target:g}x) {'ok' if met else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
