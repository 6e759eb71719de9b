"""deepwhy: the helper package of the course *Why Deep Learning Works, and When It Fails*.

The chapter notebooks in ``book/`` tell the story; this package holds the reusable
parts they call. One module per idea:

Shared by all chapters:

- :mod:`deepwhy.data`      synthetic tasks (logic gates, parity, ...)
- :mod:`deepwhy.nets`      model builders, including batched ensembles of MLPs
- :mod:`deepwhy.train`     the training loop and its :class:`~deepwhy.train.History`
- :mod:`deepwhy.plots`     the course's figure style and plotting helpers
- :mod:`deepwhy.widgets`   interactive explorers with a static fallback
- :mod:`deepwhy.checks`    exercise checks with feedback a student can act on
- :mod:`deepwhy.ledger`    the claims ledger: each chapter records what it measured

One module per chapter's idea:

- :mod:`deepwhy.history`, :mod:`deepwhy.classic`, :mod:`deepwhy.lenet`   history (timeline, perceptron, GMDH, digits)
- :mod:`deepwhy.backprop`  backpropagation as local rules, in numpy
- :mod:`deepwhy.optim`, :mod:`deepwhy.regularize`   optimizers by hand, loss surfaces, L1/L2/dropout
- :mod:`deepwhy.noise`     randomness: mutual information, noisy bottlenecks, escapes
- :mod:`deepwhy.depth`     distributed and compositional tasks
- :mod:`deepwhy.failures`  failure modes of gradient-based learning
- :mod:`deepwhy.spectral`  frequency principle and condensation measures

Tools: :mod:`deepwhy.classroom` (student copies and grading), :mod:`deepwhy.bench` (ensemble
benchmark), :mod:`deepwhy.sphinxext` (two fixes for the book's HTML).

``plots`` and ``widgets`` sit on top; the compute modules never import plotting.
"""
from __future__ import annotations

import random as _random

import numpy as _np
import torch as _torch

__version__ = "0.1.0"


def set_seed(seed: int) -> _torch.Generator:
    """Seed Python's, numpy's and torch's global generators; return a fresh torch.Generator.

    Call it once at the top of a notebook so that every cell is reproducible.
    Functions in this package never touch these global generators: they take a
    ``seed`` argument of their own.

    Args:
        seed: a non-negative integer.

    Used in: every chapter's first code cell.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, _np.integer)) or seed < 0:
        raise ValueError(f"set_seed: seed must be a non-negative integer, got {seed!r}")
    seed = int(seed)
    _random.seed(seed)
    _np.random.seed(seed % 2**32)
    _torch.manual_seed(seed)
    return _torch.Generator().manual_seed(seed)


def use_cpu(threads: int = 1) -> dict:
    """Set this process up for the course's small CPU workloads; return what was set.

    - torch and the BLAS/OpenMP libraries already imported (numpy's, scipy's, scikit-learn's:
      import them first) use ``threads`` threads. The course's networks are small: one thread
      is fastest, and steady on a busy laptop.
    - On Linux (glibc), freed memory stays with the process instead of going back to the
      operating system. Otherwise every training step maps fresh pages for its activations
      and the kernel zeroes them: on the medium benchmark that page-faulting took a third
      to a half of the time.

    Used in: every chapter's first code cell, and the ensemble benchmark.
    """
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"use_cpu: threads must be a positive integer, got {threads!r}")
    _torch.set_num_threads(threads)
    from threadpoolctl import threadpool_limits

    threadpool_limits(threads)
    return {"threads": threads, "keep_freed_memory": _keep_freed_memory()}


def _keep_freed_memory() -> bool:
    # mallopt(M_MMAP_THRESHOLD = -3, 32 MiB): blocks up to 32 MiB come from the heap, not mmap;
    # mallopt(M_TRIM_THRESHOLD = -1, 1 GiB): the heap is not trimmed until 1 GiB lies free.
    import ctypes
    import ctypes.util
    import sys

    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return False
    return bool(mallopt(-3, 32 * 2**20)) and bool(mallopt(-1, 2**30))


from . import data, nets, train  # noqa: E402  (after set_seed, which they do not need)

__all__ = ["set_seed", "use_cpu", "data", "nets", "train", "__version__"]
