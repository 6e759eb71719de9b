"""deepwhy: the helper package of the course *Why Deep Learning Works, and When It Fails*.

The chapter notebooks in ``book/`` tell the story; this package holds the reusable
parts they call. One module per idea:

- :mod:`deepwhy.data`     synthetic tasks (logic gates, ...)
- :mod:`deepwhy.nets`     model builders, including batched ensembles of MLPs
- :mod:`deepwhy.train`    the training loop and its :class:`~deepwhy.train.History`
- :mod:`deepwhy.plots`    the course's figure style and plotting helpers
- :mod:`deepwhy.checks`   exercise checks with feedback a student can act on
- :mod:`deepwhy.ledger`   the claims ledger: each chapter records what it measured

``plots`` and ``widgets`` sit on top; ``data``, ``nets`` and ``train`` never import plotting.
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


from . import data, nets, train  # noqa: E402  (after set_seed, which they do not need)

__all__ = ["set_seed", "data", "nets", "train", "__version__"]
