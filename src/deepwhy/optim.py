"""Optimizers written out by hand for numpy arrays, 2-D loss surfaces, and trajectories.

Each optimizer keeps its state (velocity, running averages) in plain numpy arrays and
updates the parameters in place with ``step(params, grads)``, so every line of the update
can be read next to its equation. With the same hyperparameters they follow
``torch.optim.SGD``, ``RMSprop`` and ``Adam`` step for step (``tests/test_optim.py``
checks this to 1e-10 in float64).

The surfaces are the 2-D landscapes the optimizers chapter skis down: a saddle, a rotated
ill-conditioned valley, Rosenbrock's banana and a badly scaled bowl. Each has
``value(p)`` and ``grad(p)`` for points ``p`` of shape ``(..., 2)``, so one call can
evaluate a contour grid or move 100 runs at once.

Used in: optimizers and regularization.
"""
from __future__ import annotations

import math
import numbers
from typing import Callable

import numpy as np

from ._validate import positive_float, positive_int


def _fraction(name: str, value, upper_open: bool = True) -> float:
    """Return ``value`` as a float in [0, 1) (or [0, 1]), or raise ValueError naming it."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if ok:
        ok = 0 <= value < 1 if upper_open else 0 <= value <= 1
    if not ok:
        raise ValueError(f"{name} must be a number in [0, 1{')' if upper_open else ']'}, got {value!r}")
    return float(value)


class Optimizer:
    """Base class: checks the ``(params, grads)`` lists and keeps per-parameter state by position."""

    def __init__(self, lr: float):
        self.lr = positive_float("lr", lr)
        self.state: list[dict] | None = None

    def _pairs(self, params, grads):
        """Return matching lists of parameter and gradient arrays, or raise ValueError."""
        if isinstance(params, np.ndarray):
            params = [params]
        if isinstance(grads, np.ndarray):
            grads = [grads]
        params, grads = list(params), list(grads)
        if len(params) != len(grads) or not params:
            raise ValueError(f"params and grads must be non-empty lists of the same length, "
                             f"got {len(params)} params and {len(grads)} grads")
        for i, (p, g) in enumerate(zip(params, grads)):
            if not isinstance(p, np.ndarray) or p.dtype.kind != "f":
                raise ValueError(f"params[{i}] must be a float numpy array (updated in place), "
                                 f"got {type(p).__name__}")
            if np.shape(g) != p.shape:
                raise ValueError(f"grads[{i}] must have the shape of params[{i}], {p.shape}, "
                                 f"got {np.shape(g)}")
        if self.state is None:
            self.state = [{} for _ in params]
        elif len(self.state) != len(params):
            raise ValueError(f"this optimizer was used with {len(self.state)} parameter arrays, "
                             f"got {len(params)}")
        return params, [np.asarray(g, dtype=p.dtype) for p, g in zip(params, grads)]

    def step(self, params, grads) -> None:
        """Update every array in ``params`` in place from its gradient in ``grads``."""
        params, grads = self._pairs(params, grads)
        for p, g, s in zip(params, grads, self.state):
            self._update(p, g, s)

    def _update(self, p: np.ndarray, g: np.ndarray, s: dict) -> None:  # pragma: no cover
        raise NotImplementedError


class SGD(Optimizer):
    """Gradient descent with optional heavy-ball (Polyak) or Nesterov momentum.

    The update, as in ``torch.optim.SGD`` with no dampening or weight decay::

        v = momentum * v + g            (v starts at g)
        p -= lr * v                     heavy ball
        p -= lr * (g + momentum * v)    Nesterov: the gradient step, then the look-ahead

    Args:
        lr: learning rate, > 0.
        momentum: in [0, 1); 0 gives plain gradient descent. It may be changed between
            steps (a momentum schedule).
        nesterov: use Nesterov's look-ahead form (needs momentum > 0).

    Used in: optimizers and regularization.
    """

    def __init__(self, lr: float, momentum: float = 0.0, nesterov: bool = False):
        super().__init__(lr)
        self.momentum = _fraction("momentum", momentum)
        if nesterov and self.momentum == 0:
            raise ValueError("nesterov=True needs momentum > 0, got momentum=0")
        self.nesterov = bool(nesterov)

    def _update(self, p, g, s):
        mu = self.momentum
        if mu != 0:
            if "v" not in s:
                s["v"] = g.copy()
            else:
                s["v"] = mu * s["v"] + g
            g = g + mu * s["v"] if self.nesterov else s["v"]
        p -= self.lr * g


class RMSprop(Optimizer):
    """RMSprop (Tieleman and Hinton 2012): divide each gradient by the root of its running mean square.

    The update, as in ``torch.optim.RMSprop`` with no momentum and ``centered=False``::

        r = alpha * r + (1 - alpha) * g**2        (r starts at 0)
        p -= lr * g / (sqrt(r) + eps)

    Args:
        lr: learning rate, > 0.
        alpha: decay of the running mean square, in [0, 1).
        eps: added to the root, > 0.

    Used in: optimizers and regularization.
    """

    def __init__(self, lr: float, alpha: float = 0.99, eps: float = 1e-8):
        super().__init__(lr)
        self.alpha = _fraction("alpha", alpha)
        self.eps = positive_float("eps", eps)

    def _update(self, p, g, s):
        r = s.get("r", np.zeros_like(p))
        s["r"] = self.alpha * r + (1 - self.alpha) * g * g
        p -= self.lr * g / (np.sqrt(s["r"]) + self.eps)


class Adam(Optimizer):
    """Adam (Kingma and Ba 2015): momentum on the gradient, RMSprop on its scale, both bias-corrected.

    The update at step t = 1, 2, ..., as in ``torch.optim.Adam``::

        m = b1 * m + (1 - b1) * g;   v = b2 * v + (1 - b2) * g**2      (both start at 0)
        p -= lr / (1 - b1**t) * m / (sqrt(v) / sqrt(1 - b2**t) + eps)

    Args:
        lr: learning rate, > 0.
        betas: the two decay rates, each in [0, 1).
        eps: added to the root, > 0.

    Used in: optimizers and regularization.
    """

    def __init__(self, lr: float, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8):
        super().__init__(lr)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        self.betas = (_fraction("betas[0]", betas[0]), _fraction("betas[1]", betas[1]))
        self.eps = positive_float("eps", eps)

    def _update(self, p, g, s):
        b1, b2 = self.betas
        t = s.get("t", 0) + 1
        m = b1 * s.get("m", np.zeros_like(p)) + (1 - b1) * g
        v = b2 * s.get("v", np.zeros_like(p)) + (1 - b2) * g * g
        s.update(t=t, m=m, v=v)
        denom = np.sqrt(v) / math.sqrt(1 - b2**t) + self.eps
        p -= self.lr / (1 - b1**t) * m / denom


#: the optimizers the chapter compares, by the names its figures use
OPTIMIZER_NAMES = ("gradient descent", "momentum", "Nesterov", "RMSprop", "Adam")


def make_optimizer(name: str, lr: float, momentum: float = 0.9) -> Optimizer:
    """Return a fresh optimizer by name: one of :data:`OPTIMIZER_NAMES`.

    ``momentum`` is the heavy-ball or Nesterov momentum, and Adam's beta1 (its momentum
    on the gradient); gradient descent and RMSprop ignore it.

    Used in: optimizers and regularization (the skier figure and the explorer).
    """
    if name not in OPTIMIZER_NAMES:
        raise ValueError(f"name must be one of {list(OPTIMIZER_NAMES)}, got {name!r}")
    if name == "gradient descent":
        return SGD(lr)
    if name in ("momentum", "Nesterov"):
        return SGD(lr, momentum=momentum, nesterov=name == "Nesterov")
    if name == "RMSprop":
        return RMSprop(lr)
    return Adam(lr, betas=(momentum, 0.999))


def momentum_schedule(step: int, every: int = 250, maximum: float = 0.99) -> float:
    """Return the momentum for ``step`` under Sutskever et al.'s (2013) schedule: 0.5, 0.75, 0.83, ... up to ``maximum``.

    mu_t = min(1 - 2**(-1 - log2(floor(t / every) + 1)), maximum): it starts at 0.5, as
    Dettmers advises, and climbs towards 1 in stages of ``every`` steps.

    Args:
        step: the step index t >= 0.
        every: steps per stage, >= 1.
        maximum: the cap, in [0, 1).

    Used in: optimizers and regularization (Dettmers' 0.5 -> 0.9+ schedule).
    """
    step = positive_int("step", step, minimum=0)
    every = positive_int("every", every)
    maximum = _fraction("maximum", maximum)
    stage = step // every + 1
    return min(1 - 2.0 ** (-1 - math.log2(stage)), maximum)


# --------------------------------------------------------------------------------------
# Surfaces
# --------------------------------------------------------------------------------------

class Surface:
    """A 2-D loss surface. Subclasses define ``value`` and ``grad`` for points of shape ``(..., 2)``.

    Attributes:
        name: a short label for figures.
        minimum: a global minimizer, shape (2,).
        extent: ``(xmin, xmax, ymin, ymax)``, a box that shows the interesting part.
        start: a starting point that makes the surface's difficulty visible.
    """

    name = "surface"
    minimum = np.zeros(2)
    extent = (-1.0, 1.0, -1.0, 1.0)
    start = np.ones(2)

    @staticmethod
    def _xy(p):
        p = np.asarray(p, dtype=np.float64)
        if p.ndim == 0 or p.shape[-1] != 2:
            raise ValueError(f"p must have shape (..., 2), got {p.shape}")
        return p[..., 0], p[..., 1]

    @staticmethod
    def _pack(gx, gy):
        """Return the pair (gx, gy) as one array of shape (..., 2) (faster than np.stack)."""
        out = np.empty(np.shape(gx) + (2,))
        out[..., 0] = gx
        out[..., 1] = gy
        return out

    def value(self, p) -> np.ndarray:
        """Return the loss at ``p`` (shape (..., 2)): an array of shape (...)."""
        raise NotImplementedError  # pragma: no cover

    def grad(self, p) -> np.ndarray:
        """Return the gradient at ``p`` (shape (..., 2)): an array of the same shape."""
        raise NotImplementedError  # pragma: no cover

    @property
    def min_value(self) -> float:
        """The loss at :attr:`minimum`."""
        return float(self.value(self.minimum))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


class Saddle(Surface):
    """f(x, y) = x²/2 - y²/2 + y⁴/4: a saddle at the origin, minima at (0, ±1).

    Along y = 0 the gradient has no y component, so exact gradient descent started there
    slides into the saddle and stays. Used in: optimizers and regularization (the saddle).
    """

    name = "saddle"
    minimum = np.array([0.0, 1.0])
    extent = (-1.2, 1.2, -1.5, 1.5)
    start = np.array([1.0, 1e-3])

    def value(self, p):
        x, y = self._xy(p)
        return 0.5 * x**2 - 0.5 * y**2 + 0.25 * y**4

    def grad(self, p):
        x, y = self._xy(p)
        return self._pack(x, -y + y**3)


class Quadratic(Surface):
    """f(p) = ½ pᵀ R diag(curvatures) Rᵀ p: a bowl whose axes are rotated by ``angle`` degrees.

    Args:
        curvatures: the two eigenvalues of the Hessian, each > 0. Their ratio is the
            condition number kappa.
        angle: rotation of the bowl's axes in degrees; 0 puts them on x and y.
        name: a label for figures.
        start: the default starting point (x, y); the plotting box is sized around it.

    Used in: optimizers and regularization (momentum, RMSprop).
    """

    def __init__(self, curvatures=(1.0, 100.0), angle: float = 0.0, name: str = "quadratic",
                 start=(1.0, 1.0)):
        if not isinstance(curvatures, (tuple, list, np.ndarray)) or len(curvatures) != 2:
            raise ValueError(f"curvatures must be a pair of positive numbers, got {curvatures!r}")
        self.curvatures = (positive_float("curvatures[0]", curvatures[0]),
                           positive_float("curvatures[1]", curvatures[1]))
        if not isinstance(angle, numbers.Real) or isinstance(angle, bool):
            raise ValueError(f"angle must be a number of degrees, got {angle!r}")
        a = math.radians(angle)
        rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
        self.hessian = rot @ np.diag(self.curvatures) @ rot.T
        self.angle = float(angle)
        self.name = name
        self.minimum = np.zeros(2)
        self.kappa = max(self.curvatures) / min(self.curvatures)
        self.start = np.array(start, dtype=np.float64)
        if self.start.shape != (2,):
            raise ValueError(f"start must be a point (x, y), got {start!r}")
        half = 1.3 * float(np.abs(self.start).max())
        self.extent = (-half, half, -half, half)

    def value(self, p):
        p = np.asarray(p, dtype=np.float64)
        self._xy(p)
        return 0.5 * np.einsum("...i,ij,...j->...", p, self.hessian, p)

    def grad(self, p):
        p = np.asarray(p, dtype=np.float64)
        self._xy(p)
        return p @ self.hessian.T


class Rosenbrock(Surface):
    """f(x, y) = (a - x)² + b (y - x²)²: a curved, narrow valley with its minimum at (a, a²).

    Used in: optimizers and regularization (the skier figure and the explorer).
    """

    name = "Rosenbrock valley"
    extent = (-2.0, 2.0, -1.0, 3.0)
    start = np.array([-1.5, 2.0])

    def __init__(self, a: float = 1.0, b: float = 100.0):
        if not isinstance(a, numbers.Real) or isinstance(a, bool):
            raise ValueError(f"a must be a number, got {a!r}")
        self.a = float(a)
        self.b = positive_float("b", b)
        self.minimum = np.array([self.a, self.a**2])

    def value(self, p):
        x, y = self._xy(p)
        return (self.a - x) ** 2 + self.b * (y - x**2) ** 2

    def grad(self, p):
        x, y = self._xy(p)
        dy = 2 * self.b * (y - x**2)
        return self._pack(-2 * (self.a - x) - 2 * x * dy, dy)


def saddle() -> Saddle:
    """Return the saddle ½x² − ½y² + ¼y⁴. Used in: optimizers and regularization."""
    return Saddle()


def ill_conditioned(kappa: float = 100.0, angle: float = 30.0) -> Quadratic:
    """Return a narrow valley ½(u² + kappa w²) whose axes are rotated by ``angle`` degrees.

    The rotation matters for per-coordinate methods (RMSprop, Adam): their rescaling helps
    only when the narrow direction lines up with a coordinate axis.

    Used in: optimizers and regularization.
    """
    kappa = positive_float("kappa", kappa)
    if not isinstance(angle, numbers.Real) or isinstance(angle, bool):
        raise ValueError(f"angle must be a number of degrees, got {angle!r}")
    a = math.radians(angle)
    # start far out along the flat axis (u = 1.2) and a little up the steep wall (w = 0.4)
    start = (1.2 * math.cos(a) - 0.4 * math.sin(a), 1.2 * math.sin(a) + 0.4 * math.cos(a))
    return Quadratic((1.0, kappa), angle=angle, name=f"ill-conditioned valley (κ = {kappa:g})", start=start)


def badly_scaled(scale: float = 1e4) -> Quadratic:
    """Return ½(x² + scale·y²), start (1, 1): the two coordinates want learning rates ``scale`` apart.

    Used in: optimizers and regularization (RMSprop).
    """
    scale = positive_float("scale", scale)
    return Quadratic((1.0, scale), angle=0.0, name=f"badly scaled bowl (1 : {scale:g})")


def rosenbrock(a: float = 1.0, b: float = 100.0) -> Rosenbrock:
    """Return Rosenbrock's valley (a - x)² + b (y - x²)². Used in: optimizers and regularization."""
    return Rosenbrock(a, b)


#: the surfaces by name, as the chapter's explorer lists them
SURFACES: dict[str, Callable[[], Surface]] = {
    "saddle": saddle,
    "ill-conditioned valley": ill_conditioned,
    "Rosenbrock valley": rosenbrock,
    "badly scaled bowl": badly_scaled,
}


# --------------------------------------------------------------------------------------
# Trajectories
# --------------------------------------------------------------------------------------

def _start_and_rng(surface, start, noise, seed):
    if not isinstance(surface, Surface):
        raise ValueError(f"surface must be a deepwhy.optim.Surface, got {type(surface).__name__}")
    p = np.array(start, dtype=np.float64)
    if p.ndim not in (1, 2) or p.shape[-1] != 2:
        raise ValueError(f"start must have shape (2,) or (runs, 2), got {p.shape}")
    positive_float("noise", noise, allow_zero=True)
    positive_int("seed", seed, minimum=0)
    return p, np.random.default_rng(seed)


def _apply(optimizer, schedule, t):
    if schedule is None:
        return
    for key, value in schedule(t).items():
        if not hasattr(optimizer, key):
            raise ValueError(f"schedule returned {key!r}, which {type(optimizer).__name__} does not have")
        setattr(optimizer, key, value)


def trajectory(optimizer: Optimizer, surface: Surface, start, steps: int, noise: float = 0.0,
               seed: int = 0, schedule: Callable[[int], dict] | None = None) -> np.ndarray:
    """Return the path of ``optimizer`` on ``surface``: shape (steps+1, 2), or (steps+1, runs, 2).

    Args:
        optimizer: a fresh :class:`SGD`, :class:`RMSprop` or :class:`Adam`.
        surface: a :class:`Surface`.
        start: the starting point, shape (2,), or (runs, 2) to move many runs at once.
        steps: number of updates.
        noise: standard deviation of Gaussian noise added to every gradient component,
            a stand-in for minibatch noise (0 = exact gradients).
        seed: seeds the noise.
        schedule: optional ``t -> {attribute: value}`` applied before step t = 0, 1, ...,
            e.g. ``lambda t: {"momentum": momentum_schedule(t)}``.

    Row 0 is the start. Used in: optimizers and regularization.
    """
    if not isinstance(optimizer, Optimizer):
        raise ValueError(f"optimizer must be a deepwhy.optim optimizer, got {type(optimizer).__name__}")
    p, rng = _start_and_rng(surface, start, noise, seed)
    steps = positive_int("steps", steps, minimum=0)
    path = np.empty((steps + 1,) + p.shape)
    path[0] = p
    for t in range(steps):
        _apply(optimizer, schedule, t)
        g = surface.grad(p)
        if noise:
            g = g + noise * rng.standard_normal(p.shape)
        optimizer.step([p], [g])
        path[t + 1] = p
    return path


def steps_to_converge(optimizer: Optimizer, surface: Surface, start, tol: float = 1e-8,
                      max_steps: int = 100_000, schedule: Callable[[int], dict] | None = None) -> int:
    """Return the first step t at which f(p_t) - f_min <= tol · (f(p_0) - f_min), or -1 if never within ``max_steps``.

    Stops as soon as it gets there, so slow and fast optimizers cost what they need.

    Args:
        optimizer, surface, schedule: as in :func:`trajectory`.
        start: the starting point, shape (2,).
        tol: the relative loss gap to reach, in (0, 1).
        max_steps: the budget.

    Used in: optimizers and regularization (momentum).
    """
    if not isinstance(optimizer, Optimizer):
        raise ValueError(f"optimizer must be a deepwhy.optim optimizer, got {type(optimizer).__name__}")
    p, _ = _start_and_rng(surface, start, 0.0, 0)
    if p.ndim != 1:
        raise ValueError(f"start must have shape (2,), got {p.shape}")
    tol = positive_float("tol", tol)
    max_steps = positive_int("max_steps", max_steps)
    f_min = surface.min_value
    target = tol * (float(surface.value(p)) - f_min)
    for t in range(max_steps + 1):
        if float(surface.value(p)) - f_min <= target:
            return t
        if t == max_steps:
            break
        _apply(optimizer, schedule, t)
        optimizer.step([p], [surface.grad(p)])
    return -1


def first_step(mask) -> np.ndarray:
    """Return, for each run, the first index along axis 0 where ``mask`` is True, or inf if never.

    Args:
        mask: a boolean array of shape (steps+1, ...), e.g. ``np.abs(path[..., 1]) > 0.5``.

    Returns a float array of shape ``mask.shape[1:]``, or a float for a 1-D mask (floats so
    that "never" can be inf). Used in: optimizers and regularization (escape times from the saddle).
    """
    mask = np.asarray(mask)
    if mask.dtype != bool or mask.ndim < 1:
        raise ValueError(f"mask must be a boolean array of shape (steps+1, ...), got dtype {mask.dtype}, "
                         f"shape {mask.shape}")
    hit = mask.any(axis=0)
    first = np.where(hit, mask.argmax(axis=0).astype(float), np.inf)
    return float(first) if mask.ndim == 1 else first


def steps_to_settle(path, tol: float, hold: int = 1) -> np.ndarray:
    """Return, for each run, the first step from which it stays within ``tol`` of the origin to the end.

    A run that is still outside ``tol`` within its last ``hold`` steps has not settled: inf.
    Unlike :func:`first_step`, a run that passes through the ball and leaves again (an optimizer
    circling the minimum) does not count as arrived.

    Args:
        path: positions relative to the minimum, shape (steps+1, 2) or (steps+1, runs, 2).
        tol: the radius of the ball around the minimum, > 0.
        hold: how many final steps the run must spend inside, at least 1.

    Used in: optimizers and regularization (RMSprop at a loose and a tight tolerance).
    """
    path = np.asarray(path, dtype=float)
    if path.ndim not in (2, 3) or path.shape[-1] != 2:
        raise ValueError(f"path must have shape (steps+1, 2) or (steps+1, runs, 2), got {path.shape}")
    if not tol > 0:
        raise ValueError(f"tol must be a positive radius, got {tol!r}")
    if not isinstance(hold, (int, np.integer)) or not 1 <= hold <= len(path):
        raise ValueError(f"hold must be an int from 1 to the number of positions ({len(path)}), got {hold!r}")
    inside = np.linalg.norm(path, axis=-1) < tol
    stays = np.logical_and.accumulate(inside[::-1], axis=0)[::-1]
    first = first_step(stays)
    return np.where(first <= len(path) - hold, first, np.inf)
