"""The training loop, its record (:class:`History`), and the losses the course uses.

:func:`fit` trains one model or an :class:`~deepwhy.nets.EnsembleMLP`. For an ensemble
every loss is kept per member and the members' mean losses are *summed*, so each member
receives exactly the gradient it would receive alone.

Used in: every chapter that trains a network.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from ._validate import one_of, positive_float, positive_int

LOSSES = ("mse", "bce", "cross_entropy", "hinge")
OPTIMIZERS = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "rmsprop": torch.optim.RMSprop}


def _reduce(per_element: torch.Tensor, ensemble: bool) -> torch.Tensor:
    """Mean over everything but the member axis (axis 0) when ``ensemble``; otherwise a full mean."""
    if ensemble:
        return per_element.reshape(per_element.shape[0], -1).mean(dim=1)
    return per_element.mean()


def loss_per_member(name: str, pred: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Return the loss ``name`` of ``pred`` against ``y``: shape ``(members,)`` for a 3-D ``pred``, else a scalar.

    - ``"mse"``: mean squared error.
    - ``"bce"``: binary cross-entropy on logits, targets in {0, 1}.
    - ``"hinge"``: mean of max(0, 1 - pred * y), targets in {-1, +1}.
    - ``"cross_entropy"``: softmax cross-entropy, ``pred`` (..., n, classes), ``y`` (n,) integer labels.

    ``y`` may be shared, ``(n, out)``, or per member, ``(members, n, out)``.
    """
    one_of("loss", name, LOSSES)
    ensemble = pred.dim() == 3
    if name == "cross_entropy":
        classes = pred.shape[-1]
        labels = y.expand(pred.shape[:-1]) if ensemble else y
        per = F.cross_entropy(pred.reshape(-1, classes), labels.reshape(-1), reduction="none")
        return _reduce(per.reshape(pred.shape[:-1]), ensemble)
    if y.dim() == 1:  # (n,) targets for an (..., n, 1) output
        y = y.unsqueeze(-1)
    target = y.expand_as(pred)
    if name == "mse":
        per = (pred - target) ** 2
    elif name == "bce":
        per = F.binary_cross_entropy_with_logits(pred, target, reduction="none")
    else:
        per = torch.clamp(1 - pred * target, min=0)
    return _reduce(per, ensemble)


def accuracy(pred: torch.Tensor, y: torch.Tensor, threshold: float = 0.0) -> torch.Tensor:
    """Return the accuracy of ``pred`` against ``y``, per member for a 3-D ``pred``.

    The label type decides the rule: integer labels are compared with ``argmax(pred)``;
    labels in {-1, +1} with ``sign(pred - threshold)``; labels in {0, 1} with ``pred > threshold``
    (so ``threshold=0`` for logits, ``0.5`` for outputs trained with MSE towards 0/1).
    """
    ensemble = pred.dim() == 3
    with torch.no_grad():
        if not torch.is_floating_point(y):
            hit = (pred.argmax(dim=-1) == y).float()
        else:
            if y.dim() == 1:
                y = y.unsqueeze(-1)
            y = y.expand_as(pred)
            if bool((y < 0).any()):
                hit = (torch.where(pred > threshold, 1.0, -1.0).to(y.dtype) == y).float()
            else:
                hit = ((pred > threshold).to(y.dtype) == y).float()
        return _reduce(hit, ensemble)


@dataclass
class History:
    """What :func:`fit` recorded.

    Attributes:
        steps: ``(records,)`` the update counts at which values were recorded (0 = before training).
        loss: ``(records,)`` for one model, ``(records, members)`` for an ensemble.
        metrics: name -> array shaped like ``loss``.
        seconds: wall-clock time of the whole fit.
    """

    steps: np.ndarray
    loss: np.ndarray
    metrics: dict = field(default_factory=dict)
    seconds: float = 0.0

    def final(self, name: str = "loss") -> np.ndarray:
        """Return the last recorded value of ``"loss"`` or of a metric: a float or a ``(members,)`` array."""
        values = self.loss if name == "loss" else self.metrics.get(name)
        if values is None:
            raise ValueError(f"name must be 'loss' or one of {sorted(self.metrics)}, got {name!r}")
        return values[-1]


def progress_enabled(progress: bool | None) -> bool:
    """Return whether to show progress bars: ``progress`` if given, else unless DEEPWHY_PROGRESS=0."""
    if progress is not None:
        return bool(progress)
    return os.environ.get("DEEPWHY_PROGRESS", "1") != "0"


def progress_bar(iterable, progress: bool | None = None, **kwargs):
    """Wrap ``iterable`` in a tqdm progress bar (a widget in Jupyter), or return it unchanged when off."""
    if not progress_enabled(progress):
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, leave=False, mininterval=0.5, **kwargs)


def _make_optimizer(optimizer, params, lr):
    if isinstance(optimizer, torch.optim.Optimizer):
        return optimizer
    if isinstance(optimizer, str):
        one_of("optimizer", optimizer, OPTIMIZERS)
        positive_float("lr", lr)
        return OPTIMIZERS[optimizer](params, lr=lr)
    if callable(optimizer):
        return optimizer(params)
    raise ValueError(f"optimizer must be one of {sorted(OPTIMIZERS)}, a torch.optim.Optimizer, "
                     f"or a callable params -> optimizer, got {optimizer!r}")


def fit(model: torch.nn.Module, X, y=None, loss="mse", optimizer="sgd", steps: int = 1000,
        lr: float = 0.1, batch_size: int | None = None, record_every: int | None = None,
        metrics: dict[str, Callable] | None = None, progress: bool | None = None,
        seed: int = 0) -> History:
    """Train ``model`` in place and return its :class:`History`.

    Args:
        model: any ``nn.Module``; an ``EnsembleMLP`` gets per-member losses.
        X, y: the training set (tensors with the same first dimension; for an ensemble, ``X``
            may be ``(members, n, d)`` and ``y`` ``(members, n, out)`` or, integer class labels,
            ``(members, n)``). Or ``X`` is a callable ``step -> (Xb, yb)``
            that yields a fresh batch each step (online data) and ``y`` is None.
        loss: a name in :data:`LOSSES`, or a callable ``(pred, y) -> loss`` that returns a
            scalar or a ``(members,)`` tensor.
        optimizer: ``"sgd"``, ``"adam"``, ``"rmsprop"`` (with ``lr``), a ``torch.optim.Optimizer``
            over the model's parameters, or a callable ``params -> optimizer``.
        steps: number of updates.
        batch_size: ``None`` for full batch; else minibatches drawn with replacement from a
            generator seeded with ``seed``, the same batch for every member.
        record_every: record every this many steps (default ``steps // 100``), plus step 0 and the end.
        metrics: name -> callable ``model -> number or (members,) tensor``, evaluated at each record.
        progress: show a progress bar; default on unless the environment sets DEEPWHY_PROGRESS=0.
        seed: seeds the minibatch sampler.

    Used in: the introduction, and every chapter that trains a network.
    """
    steps = positive_int("steps", steps, minimum=0)
    record_every = positive_int("record_every", record_every if record_every is not None else max(1, steps // 100))
    online = callable(X) and not isinstance(X, torch.Tensor)
    if not online:
        if not isinstance(X, torch.Tensor) or not isinstance(y, torch.Tensor):
            raise ValueError(f"X and y must be tensors (or X a callable step -> (Xb, yb)), got "
                             f"{type(X).__name__} and {type(y).__name__}")
        n = X.shape[-2] if X.dim() == 3 else X.shape[0]
        # per member: (members, n, out) targets, or (members, n) integer class labels
        y_per_member = y.dim() == 3 or (y.dim() == 2 and not torch.is_floating_point(y)
                                        and y.shape[0] != n and y.shape[1] == n)
        n_y = y.shape[1] if y_per_member else y.shape[0]
        if n != n_y:
            raise ValueError(f"X and y must hold the same number of examples, got X {tuple(X.shape)} and y {tuple(y.shape)}")
        if batch_size is not None:
            batch_size = positive_int("batch_size", batch_size)
    loss_fn = loss if callable(loss) else (lambda p, t, _n=one_of("loss", loss, LOSSES): loss_per_member(_n, p, t))
    opt = _make_optimizer(optimizer, [p for p in model.parameters() if p.requires_grad], lr)
    metrics = dict(metrics or {})
    gen = torch.Generator().manual_seed(int(seed))

    def batch(step):
        if online:
            return X(step)
        if batch_size is None:
            return X, y
        idx = torch.randint(0, n, (batch_size,), generator=gen)
        return (X[:, idx] if X.dim() == 3 else X[idx]), (y[:, idx] if y_per_member else y[idx])

    steps_rec, loss_rec, metric_rec = [], [], {k: [] for k in metrics}

    def record(step, last_loss):
        was_training = model.training
        model.eval()  # dropout and friends off while measuring
        with torch.no_grad():
            if online:
                value = last_loss
            else:
                value = loss_fn(model(X), y).detach()
            steps_rec.append(step)
            loss_rec.append(None if value is None else value.cpu().numpy().copy())
            for k, fn in metrics.items():
                v = fn(model)
                metric_rec[k].append(np.asarray(v.detach().cpu() if isinstance(v, torch.Tensor) else v, dtype=float))
        model.train(was_training)

    start = time.perf_counter()
    model.train()
    last = None
    if not online:
        record(0, None)
    for step in progress_bar(range(1, steps + 1), progress, desc="training"):
        Xb, yb = batch(step)
        per_member = loss_fn(model(Xb), yb)
        opt.zero_grad(set_to_none=True)
        per_member.sum().backward()
        opt.step()
        last = per_member.detach()
        if step % record_every == 0 or step == steps:
            record(step, last)
    seconds = time.perf_counter() - start
    loss_arr = np.array([v for v in loss_rec if v is not None])
    steps_arr = np.array([s for s, v in zip(steps_rec, loss_rec) if v is not None])
    metric_arr = {k: np.array(v) for k, v in metric_rec.items()}
    if online:  # the first record is missing only for offline data, where it is filled in
        metric_arr = {k: v[-len(steps_arr):] for k, v in metric_arr.items()}
    return History(steps=steps_arr, loss=loss_arr, metrics=metric_arr, seconds=seconds)
