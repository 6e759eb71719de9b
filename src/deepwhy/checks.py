"""Exercise checks with feedback a student can act on.

Each ``check_*`` function runs a student's function on cases the student has not seen,
compares with a reference, and prints ``✓ correct`` or ``✗ for input …, expected …, got …``
with a hint. On failure it raises :class:`CheckFailed` (an ``AssertionError``) carrying the
same message. A ``None``, a stub that raises ``NotImplementedError``, a wrong shape, or an
error inside the student's code all give one readable message, not a long traceback. A hint
names what to look at (the rule, the shape, the pitfall), never the solution's code.

Hidden cases: the cases above are fixed, and anyone can read them in this file. When the
grader calls :func:`use_hidden_cases` with a seed it picks for each run, every check also runs
a few cases drawn from that seed, so an answer that only fits the fixed cases fails.

Used in: the Exercises section of every chapter, and ``python -m deepwhy.classroom grade``.
"""
from __future__ import annotations

import zlib

import numpy as np
import torch

_HIDDEN_SEED: int | None = None
HIDDEN_CASES = 3  # per check, when grading


class CheckFailed(AssertionError):
    """A student's answer did not pass a check; the message says why and what to try."""

    printed = False  # set by fail(), which has already printed the whole message

    def _render_traceback_(self):
        """IPython shows this instead of a traceback: one line if fail() printed the details."""
        text = str(self)
        return [f"CheckFailed: {text.splitlines()[0] if self.printed and text else text}"]


def _short(x, limit: int = 120) -> str:
    """Return a compact one-line description of an array-like value."""
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    if isinstance(x, np.ndarray):
        text = np.array2string(x, precision=4, suppress_small=True, threshold=12, max_line_width=10_000)
        text = " ".join(text.split())
        text = f"array{x.shape} {text}" if x.ndim else text
    else:
        text = repr(x)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def fail(message: str, hint: str | None = None):
    """Print ``✗ message`` (and the hint) and raise :class:`CheckFailed` with the same text."""
    __tracebackhide__ = True
    text = message + (f"\n  hint: {hint}" if hint else "")
    print("✗ " + text)
    error = CheckFailed(text)
    error.printed = True
    raise error from None


def passed(what: str) -> None:
    """Print the success line of a check (and how many hidden cases it ran, when grading)."""
    more = f" (and {HIDDEN_CASES} hidden cases)" if _HIDDEN_SEED is not None else ""
    print(f"✓ correct: {what}{more}")


def use_hidden_cases(seed: int | None) -> None:
    """Make every check also run cases drawn from ``seed``; None turns them off (the default).

    The grader calls it with a seed it picks for each run, in a fresh copy of this module,
    after the student's code ran. Used in: ``python -m deepwhy.classroom grade``.
    """
    global _HIDDEN_SEED
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0):
        raise ValueError(f"seed must be a non-negative integer or None, got {seed!r}")
    _HIDDEN_SEED = None if seed is None else int(seed)


def cases(public, rng, key: str, draw):
    """Yield ``(case, rng, note)``: the public cases with ``rng``, then the hidden ones, if any.

    Args:
        public: the check's fixed cases.
        rng: the check's own numpy Generator, used for the public cases' data.
        key: the check's name; with the grader's seed it picks the hidden generator.
        draw: ``draw(generator)`` returns one hidden case, drawn with that generator, which
            then also draws its data.

    ``note`` is "" for a public case and " (a hidden case)" for a drawn one.
    """
    for case in public:
        yield case, rng, ""
    if _HIDDEN_SEED is not None:
        hidden = np.random.default_rng([_HIDDEN_SEED, zlib.crc32(key.encode())])
        for _ in range(HIDDEN_CASES):
            yield draw(hidden), hidden, " (a hidden case)"


def call_student(fn, *args, exercise: str = "this exercise", describe: str | None = None):
    """Call ``fn(*args)`` and return its result, turning every way it can go wrong into one readable failure."""
    __tracebackhide__ = True
    if fn is None:
        fail(f"{exercise}: got None instead of a function.", "pass the function itself, e.g. check(my_fn), not check(my_fn()).")
    if not callable(fn):
        fail(f"{exercise}: expected a function, got {type(fn).__name__}.")
    try:
        return fn(*args)
    except NotImplementedError as e:
        # The student version's stub says "Exercise N.k (label): ..."; repeating it adds nothing.
        detail = "" if not str(e) or str(e).startswith("Exercise") else f" ({e})"
        fail(f"{exercise}: not attempted yet{detail}.", "replace the `raise NotImplementedError` line with your code.")
    except Exception as e:  # noqa: BLE001 - any error in student code becomes feedback
        where = describe or ", ".join(_short(a, 60) for a in args)
        fail(f"{exercise}: your function raised {type(e).__name__}: {e}\n  for input {where}")


def to_numpy(x, name: str = "the result") -> np.ndarray:
    """Return ``x`` as a float64 numpy array, or fail with a message if it is not array-like."""
    __tracebackhide__ = True
    if x is None:
        fail(f"{name} is None.", "did you forget a `return` statement?")
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    try:
        return np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        fail(f"{name} is not a number or an array: got {type(x).__name__}.")


def compare(got, expected, *, inputs: str, exercise: str, atol: float = 1e-6, rtol: float = 1e-6,
            hint: str | None = None, name: str = "the result") -> None:
    """Fail unless ``got`` has ``expected``'s shape and matches it to ``atol``/``rtol``."""
    __tracebackhide__ = True
    g = to_numpy(got, name)
    e = to_numpy(expected, "the reference")
    if g.shape != e.shape:
        fail(f"{exercise}: for input {inputs}, expected shape {e.shape}, got shape {g.shape}.", hint)
    if not np.allclose(g, e, atol=atol, rtol=rtol):
        fail(f"{exercise}: for input {inputs},\n  expected {_short(e)},\n  got      {_short(g)}", hint)


# --------------------------------------------------------------------------------------
# Introduction
# --------------------------------------------------------------------------------------

_CORNERS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)


def _xor_cases():
    rng = np.random.default_rng(12345)
    public = [_CORNERS, _CORNERS[[3, 1, 2, 0]], _CORNERS[rng.integers(0, 4, size=9)]]
    for X, _, _ in cases(public, rng, "xor", lambda h: _CORNERS[h.integers(0, 4, size=h.integers(5, 20))]):
        yield X


def check_xor_by_hand(fn) -> None:
    """Check a hand-wired XOR network: ``fn(X)`` takes (n, 2) inputs in {0,1} and returns (n,) or (n, 1) outputs in {0,1}.

    Used in: the introduction's worked exercise.
    """
    __tracebackhide__ = True
    ex = "Exercise 1"  # the introduction's exercises have no chapter number
    for X in _xor_cases():
        out = to_numpy(call_student(fn, X.copy(), exercise=ex), "xor_by_hand(X)")
        expected = (X[:, 0] != X[:, 1]).astype(np.float64)
        if out.shape == (len(X), 1):
            out = out[:, 0]
        compare(out, expected, inputs=_short(X), exercise=ex,
                hint="XOR is OR but not AND: let one hidden unit fire for OR and one for AND, then choose the "
                     "output unit's weights and threshold so that it fires when the first fires and the "
                     "second does not.")
    passed("your two threshold units compute XOR on every input, in any order")


# --- The rules of backpropagation ---
# Chapter 2. References come from torch.autograd, not from deepwhy.backprop, so a check
# never agrees with a student only because both copied the course's engine.

def _ch2_rng():
    return np.random.default_rng(2024)


def _ch2_autograd(fn, *arrays, dout=None):
    """Return fn(*tensors) and the gradients of sum(dout * out) with respect to every array."""
    ts = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    out = fn(*ts)
    out.backward(torch.ones_like(out) if dout is None else torch.tensor(dout, dtype=torch.float64))
    return [t.grad.numpy() for t in ts]


def check_tanh_backward(fn) -> None:
    """Check backward rule B2 for tanh: ``fn(dA, Z)`` returns ``dZ = dA * tanh'(Z)``, same shape as Z.

    Used in: the backprop chapter, Exercise 2.1.
    """
    __tracebackhide__ = True
    ex = "Exercise 2.1 (tanh backward)"
    hint = ("rule B2: multiply dA element-wise (not with a matrix product) by the derivative of tanh "
            "at the forward input Z. Write that derivative in terms of tanh itself, and mind what you are "
            "given: the input Z, not the output tanh(Z).")
    draw = lambda h: (int(h.integers(1, 9)), int(h.integers(1, 9)))  # noqa: E731
    for shape, rng, note in cases([(3, 4), (1, 7), (6, 2)], _ch2_rng(), "tanh_backward", draw):
        dA, Z = rng.normal(size=shape), rng.normal(scale=2.0, size=shape)
        (expected,) = _ch2_autograd(torch.tanh, Z, dout=dA)
        where = f"dA and Z of shape {shape}{note}"
        got = call_student(fn, dA.copy(), Z.copy(), exercise=ex, describe=where)
        compare(got, expected, inputs=where, exercise=ex, atol=1e-10, rtol=1e-8,
                hint=hint, name="tanh_backward(dA, Z)")
    passed("dZ = dA * (1 - tanh(Z)^2) on three shapes you had not seen")


def check_linear_backward(fn) -> None:
    """Check rules B1 and G for ``Z = A @ W + b``: ``fn(dZ, A, W)`` returns ``(dA, dW, db)``.

    Used in: the backprop chapter, Exercise 2.2.
    """
    __tracebackhide__ = True
    ex = "Exercise 2.2 (linear backward)"
    names = ("dA", "dW", "db")
    hints = {"dA": "rule B1: the error goes back through the weights, transposed; dA has the shape of A, "
                   "(n, fan_in).",
             "dW": "rule G: combine the layer's input A with the error dZ so that the result has the shape "
                   "of W, (fan_in, fan_out).",
             "db": "the bias sees an input that is always 1, and every example adds to its gradient; db has "
                   "shape (fan_out,)."}
    draw = lambda h: tuple(int(v) for v in h.integers(1, 8, size=3))  # noqa: E731
    for (n, fan_in, fan_out), rng, note in cases([(4, 3, 2), (1, 5, 3), (7, 2, 6)], _ch2_rng(),
                                                 "linear_backward", draw):
        A, W = rng.normal(size=(n, fan_in)), rng.normal(size=(fan_in, fan_out))
        b, dZ = rng.normal(size=fan_out), rng.normal(size=(n, fan_out))
        expected = _ch2_autograd(lambda a, w, c: a @ w + c, A, W, b, dout=dZ)
        where = f"dZ {dZ.shape}, A {A.shape}, W {W.shape}{note}"
        got = call_student(fn, dZ.copy(), A.copy(), W.copy(), exercise=ex, describe=where)
        if got is None:
            fail(f"{ex}: linear_backward returned None.", "did you forget to return the three gradients?")
        if not isinstance(got, (tuple, list)) or len(got) != 3:
            fail(f"{ex}: for {where}, expected a tuple (dA, dW, db), got {_short(got, 80)}.",
                 "return the three gradients together, as one tuple in the order (dA, dW, db).")
        for name, g, e in zip(names, got, expected):
            compare(g, e, inputs=where, exercise=f"{ex}, {name}", atol=1e-10, rtol=1e-8, hint=hints[name],
                    name=name)
    passed("dA = dZ Wᵀ, dW = Aᵀ dZ, db = sums of dZ (3 unseen shapes)")


def check_softmax_cross_entropy_backward(fn) -> None:
    """Check ``fn(logits, labels)``: the gradient of the mean softmax cross-entropy w.r.t. the logits.

    Used in: the backprop chapter, Exercise 2.3.
    """
    __tracebackhide__ = True
    ex = "Exercise 2.3 (softmax cross-entropy backward)"
    public = [(5, 3, 1.0), (1, 4, 1.0), (8, 10, 3.0), (4, 3, 1000.0)]
    draw = lambda h: (int(h.integers(1, 10)), int(h.integers(2, 10)), float(h.choice([1.0, 5.0, 1000.0])))  # noqa: E731
    for (n, k, scale), rng, note in cases(public, _ch2_rng(), "softmax_cross_entropy_backward", draw):
        logits, labels = rng.normal(scale=scale, size=(n, k)), rng.integers(0, k, size=n)
        lab = torch.tensor(labels)
        (expected,) = _ch2_autograd(lambda y: torch.nn.functional.cross_entropy(y, lab), logits)
        where = f"logits of shape {(n, k)} (entries of size ~{scale:g}), labels {labels.tolist()}{note}"
        got = call_student(fn, logits.copy(), labels.copy(), exercise=ex, describe=where)
        g = to_numpy(got, "softmax_cross_entropy_backward(logits, labels)")
        if g.shape == expected.shape and not np.all(np.isfinite(g)):
            fail(f"{ex}: for {where}, your result contains nan or inf.",
                 "np.exp overflows for large logits. Softmax gives the same probabilities when you shift "
                 "a whole row by a constant: choose the shift so that nothing overflows.")
        if n > 1 and g.shape == expected.shape and np.allclose(g, n * expected, atol=1e-10, rtol=1e-8):
            fail(f"{ex}: for {where}, your result is n = {n} times the expected one.",
                 "the loss is a mean over the n examples, not a sum: that factor reaches every row of the error.")
        compare(g, expected, inputs=where, exercise=ex, atol=1e-10, rtol=1e-8,
                hint="the error of softmax with cross-entropy is the predicted probabilities minus the one-hot "
                     "answer (the monkey-and-sloth example above, one row per example), and the loss is a mean "
                     "over the n examples.")
    passed("(softmax - onehot) / n on four cases, including logits of size 1000")


# --- Optimizers and regularization ---
# Chapter 3. The references are torch.optim's own optimizers, run on the same loss in
# float64, so a check never agrees with a student only because both copied deepwhy.optim.

def _ch3_problem(rng, shape):
    """Return a start point and a gradient function of a non-quadratic loss for parameters of ``shape``."""
    size = int(np.prod(shape))
    A = rng.normal(size=(size, size))
    A = A @ A.T / size + 0.5 * np.eye(size)
    b = rng.normal(size=size)

    def loss(p):  # p: a torch tensor of ``shape``
        v = p.reshape(-1)
        return 0.5 * v @ torch.tensor(A) @ v + torch.tensor(b) @ v + 0.05 * (v**4).sum()

    return rng.normal(size=shape), loss


def _ch3_check_rule(fn, ex, make_torch, state_name, hyper, hint, draw):
    """Run the student's one-step rule next to torch.optim on unseen losses and compare every step."""
    __tracebackhide__ = True
    for (shape, params), rng, note in cases(hyper, np.random.default_rng(303), ex, draw):
        start, loss = _ch3_problem(rng, shape)
        p_torch = torch.tensor(start, dtype=torch.float64, requires_grad=True)
        opt = make_torch([p_torch], **params)
        p, state = start.copy(), np.zeros(shape)
        args = ", ".join(f"{k}={v:g}" for k, v in params.items())
        for step in range(1, 16):
            t = torch.tensor(p, dtype=torch.float64, requires_grad=True)
            (grad,) = torch.autograd.grad(loss(t), t)
            grad = grad.numpy()
            opt.zero_grad()
            loss(p_torch).backward()
            opt.step()
            where = f"step {step} on parameters of shape {shape} with {args}{note}"
            got = call_student(fn, p.copy(), grad.copy(), state.copy(), *params.values(), exercise=ex,
                               describe=where)
            if got is None:
                fail(f"{ex}: your function returned None at {where}.",
                     f"return the pair (new_param, new_{state_name}).")
            if not isinstance(got, (tuple, list)) or len(got) != 2:
                fail(f"{ex}: at {where}, expected a pair (new_param, new_{state_name}), got {_short(got, 80)}.",
                     f"return both: return new_param, new_{state_name}")
            p = to_numpy(got[0], "new_param")
            state = to_numpy(got[1], f"new_{state_name}")
            if state.shape != shape:
                fail(f"{ex}: at {where}, new_{state_name} has shape {state.shape}, expected {shape}.",
                     f"{state_name} holds one number per parameter.")
            expected = p_torch.detach().numpy()
            if p.shape == expected.shape and not np.allclose(p, expected, atol=1e-9, rtol=1e-7):
                fail(f"{ex}: at {where}, new_param differs from torch.optim's by up to "
                     f"{np.abs(p - expected).max():.2g},\n  expected {_short(expected)},\n  got      {_short(p)}",
                     hint)
            compare(p, expected, inputs=where, exercise=ex, atol=1e-9, rtol=1e-7, hint=hint, name="new_param")


def check_momentum_step(fn) -> None:
    """Check ``fn(param, grad, velocity, lr, momentum) -> (param, velocity)`` against torch.optim.SGD(momentum).

    Used in: optimizers and regularization, Exercise 3.1.
    """
    __tracebackhide__ = True
    _ch3_check_rule(
        fn, "Exercise 3.1 (momentum)", torch.optim.SGD, "velocity",
        [((3,), dict(lr=0.05, momentum=0.9)), ((2, 4), dict(lr=0.1, momentum=0.5)),
         ((1,), dict(lr=0.2, momentum=0.0))],
        "the velocity decays by the momentum factor and adds the new gradient (torch's form, without a "
        "(1 - momentum) factor); the parameter then steps against the velocity, scaled by lr. The velocity "
        "starts at zero, so the first step is a plain gradient step.",
        lambda h: ((int(h.integers(1, 6)),), dict(lr=float(h.uniform(0.01, 0.2)), momentum=float(h.uniform(0, 0.95)))))
    passed("15 heavy-ball steps match torch.optim.SGD on 3 unseen losses")


def check_nesterov_step(fn) -> None:
    """Check ``fn(param, grad, velocity, lr, momentum) -> (param, velocity)`` against torch.optim.SGD(nesterov=True).

    Used in: optimizers and regularization, Exercise 3.2.
    """
    __tracebackhide__ = True
    _ch3_check_rule(
        fn, "Exercise 3.2 (Nesterov)", lambda ps, **kw: torch.optim.SGD(ps, nesterov=True, **kw), "velocity",
        [((3,), dict(lr=0.05, momentum=0.9)), ((2, 4), dict(lr=0.1, momentum=0.5)),
         ((5,), dict(lr=0.02, momentum=0.99))],
        "update the velocity exactly as for momentum; what changes is the direction of the step: it looks "
        "ahead, combining the gradient with the momentum times the velocity you just updated.",
        lambda h: ((int(h.integers(1, 6)),), dict(lr=float(h.uniform(0.01, 0.1)), momentum=float(h.uniform(0, 0.95)))))
    passed("15 Nesterov steps match torch.optim.SGD on 3 unseen losses")


def check_rmsprop_step(fn) -> None:
    """Check ``fn(param, grad, square_avg, lr, alpha, eps) -> (param, square_avg)`` against torch.optim.RMSprop.

    Used in: optimizers and regularization, Exercise 3.3.
    """
    __tracebackhide__ = True
    _ch3_check_rule(
        fn, "Exercise 3.3 (RMSprop)", torch.optim.RMSprop, "square_avg",
        [((3,), dict(lr=0.01, alpha=0.99, eps=1e-8)), ((2, 4), dict(lr=0.05, alpha=0.9, eps=1e-6)),
         ((2,), dict(lr=0.01, alpha=0.5, eps=0.3))],
        "square_avg is a running average of the squared gradient, weighted by alpha; the step divides the "
        "gradient by the root of that average. Where eps goes matters: torch adds it after taking the root.",
        lambda h: ((int(h.integers(1, 6)),), dict(lr=float(h.uniform(0.005, 0.05)), alpha=float(h.uniform(0.5, 0.99)),
                                                 eps=float(h.choice([1e-8, 1e-6, 0.1])))))
    passed("15 RMSprop steps match torch.optim.RMSprop on 3 losses, one large eps")


# --- History of deep learning ---
# Chapter 1. The references are written out here, independent of deepwhy.classic.

def _ch1_perceptron_cases():
    """Yield (w, b, x, y, what): a correct example, both kinds of mistake, and the tie w.x + b = 0."""
    rng = np.random.default_rng(1958)
    w, x = rng.normal(size=3), rng.normal(size=3)
    b = 1.0 - float(x @ w)  # w.x + b = 1 > 0: predicts 1
    yield w, b, x, 1.0, "an example it already gets right"
    yield w, b, x, 0.0, "a false positive (predicts 1, label 0)"
    w5, x5 = rng.normal(size=5), rng.normal(size=5)
    b5 = -2.0 - float(x5 @ w5)  # w.x + b = -2: predicts 0
    yield w5, b5, x5, 1.0, "a false negative (predicts 0, label 1)"
    yield np.zeros(2), 0.0, np.array([1.0, 1.0]), 1.0, "the tie w.x + b = 0 (predicts 0, label 1)"
    yield np.array([0.5, -1.0]), 0.5, np.array([1.0, 1.0]), 0.0, "the tie w.x + b = 0 with label 0"
    draw = lambda h: h.integers(2, 7)  # noqa: E731
    for d, h, note in cases([], None, "perceptron_step", draw):
        w, x = h.normal(size=d), h.normal(size=d)
        yield w, float(h.normal()), x, float(h.integers(0, 2)), "a random example" + note


def check_perceptron_step(fn) -> None:
    """Check ``fn(w, b, x, y) -> (w, b)``: one step of the perceptron rule (predict 1 iff w.x + b > 0).

    Used in: history, Exercise 1.1.
    """
    __tracebackhide__ = True
    ex = "Exercise 1.1 (perceptron step)"
    hint = ("predict first: 1 when w·x + b is above 0, else 0 (a tie counts as 0). Then move w by the "
            "prediction's error (label minus prediction) times the input, and b by the error alone, as if "
            "its input were 1. A correct prediction changes nothing.")
    for w, b, x, y, what in _ch1_perceptron_cases():
        error = y - float(x @ w + b > 0)
        expected_w, expected_b = w + error * x, b + error
        where = f"{what}: w={_short(w)}, b={b:.3g}, x={_short(x)}, y={y:g}"
        got = call_student(fn, w.copy(), float(b), x.copy(), y, exercise=ex, describe=where)
        if got is None:
            fail(f"{ex}: perceptron_step returned None.", "did you forget `return w, b`?")
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            fail(f"{ex}: for {where}, expected a tuple (w, b), got {_short(got, 80)}.",
                 "return the new weights and the new bias: return w, b")
        compare(got[0], expected_w, inputs=where, exercise=f"{ex}, new w", atol=1e-12, hint=hint, name="w")
        compare(got[1], expected_b, inputs=where, exercise=f"{ex}, new b", atol=1e-12, hint=hint, name="b")
    passed("five unseen cases: right answers, both kinds of mistake, and ties")


def check_gmdh_unit(fn) -> None:
    """Check ``fn(a, b, y)``: the 6 least-squares coefficients of y ~ [1, a, b, a^2, b^2, ab].

    Used in: history, Exercise 1.2.
    """
    __tracebackhide__ = True
    ex = "Exercise 1.2 (GMDH unit)"
    hint = ("build a design matrix with one column per term, in the order 1, a, b, a², b², ab, and solve "
            "the least-squares problem it poses (numpy's linear-algebra module has a solver for it).")
    draw = lambda h: (int(h.integers(10, 100)), float(h.uniform(0, 1)))  # noqa: E731
    for (n, noise), rng, note in cases([(40, 0.1), (200, 0.0), (17, 1.0)], np.random.default_rng(1965),
                                       "gmdh_unit", draw):
        a, b = rng.uniform(-2, 2, size=n), rng.normal(size=n)
        true = rng.normal(size=6)
        A = np.stack([np.ones(n), a, b, a * a, b * b, a * b], axis=1)
        y = A @ true + noise * rng.normal(size=n)
        expected = np.linalg.lstsq(A, y, rcond=None)[0]
        where = f"{n} points (noise {noise:.2g}){note}"
        got = call_student(fn, a.copy(), b.copy(), y.copy(), exercise=ex, describe=where)
        compare(got, expected, inputs=where, exercise=ex, atol=1e-8, rtol=1e-6, hint=hint,
                name="fit_gmdh_unit(a, b, y)")
    passed("least-squares quadratic units on three unseen data sets")


# --- Why randomness matters ---
# Chapter 4. The references are written out here, independent of deepwhy.noise.

def check_reparameterize(fn) -> None:
    """Check ``fn(mu, log_var, eps)``: returns mu + exp(log_var / 2) * eps, differentiable in mu and log_var.

    Used in: why randomness matters, Exercise 4.1.
    """
    __tracebackhide__ = True
    ex = "Exercise 4.1 (reparameterization)"
    hint = ("log_var is the logarithm of the variance, not of the standard deviation: turn it into a "
            "standard deviation, scale the eps you are given by it (do not draw new noise), and shift by mu.")
    draw = lambda h: tuple(int(v) for v in h.integers(1, 6, size=h.integers(1, 4)))  # noqa: E731
    for shape, rng, note in cases([(3,), (2, 4), (5, 1, 3)], np.random.default_rng(404), "reparameterize", draw):
        mu = torch.tensor(rng.normal(size=shape), requires_grad=True)
        log_var = torch.tensor(rng.normal(scale=1.5, size=shape), requires_grad=True)
        eps = torch.tensor(rng.normal(size=shape))
        where = f"mu, log_var, eps of shape {shape}{note}"
        got = call_student(fn, mu, log_var, eps, exercise=ex, describe=where)
        if got is None:
            fail(f"{ex}: reparameterize returned None.", "did you forget a `return`?")
        expected = mu.detach() + torch.exp(0.5 * log_var.detach()) * eps
        compare(got, expected, inputs=where, exercise=ex, atol=1e-10, rtol=1e-8, hint=hint, name="z")
        if not isinstance(got, torch.Tensor) or not got.requires_grad:
            fail(f"{ex}: for {where}, the result is cut off from mu and log_var, so no gradient reaches them.",
                 "stay in torch all the way: no detaching, no conversion to numpy or to Python numbers, "
                 "no no_grad block.")
        upstream = torch.tensor(rng.normal(size=shape))
        d_mu, d_log_var = torch.autograd.grad(got, (mu, log_var), upstream, allow_unused=True)
        std = torch.exp(0.5 * log_var.detach())
        for name, g, e in (("d z / d mu", d_mu, upstream), ("d z / d log_var", d_log_var, upstream * 0.5 * std * eps)):
            if g is None:
                fail(f"{ex}: for {where}, {name} is missing: the result does not depend on it.", hint)
            compare(g, e, inputs=where, exercise=f"{ex}, gradient {name}", atol=1e-10, rtol=1e-8, hint=hint,
                    name=name)
    passed("mu + exp(log_var/2) * eps and its gradients, on 3 unseen shapes")


def check_dropout_layer(fn) -> None:
    """Check ``fn(h, p, training, generator)``: inverted dropout, identity in eval mode.

    Used in: why randomness matters, Exercise 4.2.
    """
    __tracebackhide__ = True
    ex = "Exercise 4.2 (dropout)"
    rng = np.random.default_rng(4242)
    small = torch.tensor(rng.uniform(1.0, 2.0, size=(4, 5)))
    for p, training in [(0.5, False), (0.0, True)]:
        h = small.clone()
        where = f"h of shape {tuple(h.shape)}, p={p}, training={training}"
        got = call_student(fn, h, p, training, torch.Generator().manual_seed(0), exercise=ex, describe=where)
        if got is None:
            fail(f"{ex}: dropout_layer returned None for {where}.", "did you forget a `return`?")
        why = ("in evaluation mode dropout does nothing: the 1/(1-p) scaling in training already keeps "
               "the mean right" if not training else "with p = 0 nothing is dropped and nothing is scaled")
        compare(got, small, inputs=where, exercise=ex, atol=0, rtol=0, hint=why)
    draw = lambda g: (float(g.uniform(0.2, 0.7)), (200, int(g.integers(100, 150))))  # noqa: E731
    for (p, shape), rng, note in cases([(0.3, (200, 100)), (0.75, (50, 8, 50))], rng, "dropout_layer", draw):
        h = torch.tensor(rng.uniform(1.0, 2.0, size=shape))
        original = h.clone()
        where = f"h of shape {shape} (entries in [1, 2]), p={p:.3g}, training=True{note}"
        got = call_student(fn, h, p, True, torch.Generator().manual_seed(7), exercise=ex, describe=where)
        out = to_numpy(got, "dropout_layer(h, ...)")
        if not torch.equal(h, original):
            fail(f"{ex}: for {where}, your function changed h in place.",
                 "build a new tensor instead of writing into h.")
        if out.shape != shape:
            fail(f"{ex}: for {where}, expected shape {shape}, got shape {out.shape}.")
        dropped = out == 0
        scaled = original.numpy() / (1 - p)
        if not np.allclose(out[~dropped], scaled[~dropped], rtol=1e-6, atol=1e-9):
            kept_like_h = np.allclose(out[~dropped], original.numpy()[~dropped])
            fail(f"{ex}: for {where}, the entries you keep should equal h / (1 - p).",
                 "scale the entries you keep so that the expected output equals h: an entry survives "
                 "with probability 1 - p." if kept_like_h else
                 "each entry is either exactly 0 or its value in h scaled up for the dropped ones.")
        share = dropped.mean()
        if abs(share - p) > 0.02:
            fail(f"{ex}: for {where}, you zeroed {share:.3f} of the entries; expected about p = {p:.3g}.",
                 "each entry must be dropped with probability p, independently of the others.")
        again = to_numpy(call_student(fn, original.clone(), p, True, torch.Generator().manual_seed(7), exercise=ex,
                                      describe=where))
        if not np.array_equal(out, again):
            fail(f"{ex}: for {where}, two calls with identically seeded generators gave different masks.",
                 "draw the random numbers from the generator you are given, not from torch's global one.")
    passed("eval: h unchanged; training: share p zeroed, rest times 1/(1-p)")


def check_mutual_information_bits(fn) -> None:
    """Check ``fn(counts)``: I(S; Ŝ) in bits from a 2-D table of (sent, decoded) counts.

    Used in: why randomness matters, Exercise 4.3.
    """
    __tracebackhide__ = True
    ex = "Exercise 4.3 (mutual information)"
    rng = np.random.default_rng(43)
    sparse = rng.integers(0, 9, size=(5, 3)).astype(float)
    sparse[0, 1] = sparse[3, :] = 0
    public = [("a perfect 8-symbol channel", 12 * np.eye(8), 3.0),
              ("a useless 3-symbol channel", np.full((3, 3), 5.0), 0.0),
              ("a 5 x 3 table with empty cells", sparse, None),
              ("a 4 x 4 table of probabilities", rng.dirichlet(np.ones(16)).reshape(4, 4), None)]

    def draw(h):
        counts = h.integers(0, 6, size=(int(h.integers(2, 7)), int(h.integers(2, 7)))).astype(float)
        counts[0, 0] += 1                                   # never an all-zero table
        return f"a {counts.shape[0]} x {counts.shape[1]} table (a hidden case)", counts, None

    for (what, counts, known), _, _ in cases(public, rng, "mutual_information_bits", draw):
        P = counts / counts.sum()
        outer = P.sum(1, keepdims=True) * P.sum(0, keepdims=True)
        mask = P > 0
        expected = float(np.sum(P[mask] * np.log2(P[mask] / outer[mask]))) if known is None else known
        got = call_student(fn, counts.copy(), exercise=ex, describe=what)
        if got is None:
            fail(f"{ex}: mutual_information_bits returned None for {what}.", "did you forget a `return`?")
        got = to_numpy(got, "mutual_information_bits(counts)")
        if got.size == 1 and not np.isfinite(got).all():
            fail(f"{ex}: for {what}, you returned {float(got.reshape(-1)[0])}.",
                 "an empty cell gives 0 times the log of 0, which is nan: leave empty cells out of the sum "
                 "(they add 0).")
        compare(got.reshape(()) if got.size == 1 else got, np.float64(expected), inputs=what, exercise=ex,
                atol=1e-9, rtol=1e-9,
                hint="turn the counts into a joint distribution, compare it cell by cell with the product of "
                     "its two marginals (the definition of mutual information), and measure in bits: log base 2.")
    passed("3 bits, 0 bits, and two unseen tables with empty cells")


# --- Simplicity bias ---
# Chapter 7. The references are written out here, independent of deepwhy.spectral.

def _ch7_one_number(fn, ex, public, reference, name, hint, draw):
    """Run ``fn(*args)`` on each ``(*args, description)`` case and compare its single number with ``reference``."""
    __tracebackhide__ = True
    for (*args, where), _, note in cases(public, None, ex, draw):
        where += note
        got = call_student(fn, *[np.copy(a) for a in args], exercise=ex, describe=where)
        value = to_numpy(got, name)
        if value.size != 1:
            fail(f"{ex}: for {where}, expected a single number, got an array of shape {value.shape}.",
                 "the result is one number, not one per frequency or per bin.")
        compare(value.reshape(()), reference(*args), inputs=where, exercise=ex, atol=1e-9, rtol=1e-7, hint=hint)


def check_relative_error_at(fn) -> None:
    """Check ``fn(pred, target, k)``: |F[pred](k) - F[target](k)| / |F[target](k)| for 1-D arrays.

    Used in: simplicity bias, Exercise 7.1.
    """
    __tracebackhide__ = True
    rng = np.random.default_rng(707)
    x = np.linspace(-1, 1, 64, endpoint=False)
    target = np.sin(2 * np.pi * 2 * x) + 0.5 * np.cos(2 * np.pi * 7 * x)
    public = [(target, target, 4, "a perfect fit, k = 4"),
              (np.zeros(64), target, 14, "a zero prediction, k = 14"),
              (np.sin(2 * np.pi * 2 * x), target, 14, "a fit that misses the high frequency, k = 14")]
    for n, k in [(101, 3), (50, 11)]:
        t = rng.normal(size=n)
        public.append((t + 0.3 * rng.normal(size=n), t, k, f"random signals of length {n}, k = {k}"))

    def draw(h):
        n = int(h.integers(30, 121))
        k, t = int(h.integers(1, n // 2)), h.normal(size=n)
        return t + 0.3 * h.normal(size=n), t, k, f"random signals of length {n}, k = {k}"

    def reference(pred, target, k):
        ft = np.fft.rfft(target)[k]
        return abs(np.fft.rfft(pred)[k] - ft) / abs(ft)

    _ch7_one_number(fn, "Exercise 7.1 (relative error at one frequency)", public, reference,
                    "relative_error_at(pred, target, k)",
                    "compare the two signals' Fourier coefficients at frequency k (numpy has a module for the "
                    "discrete Fourier transform); the error is the size of their difference, relative to the "
                    "size of the target's coefficient. The coefficients are complex numbers.", draw)
    passed("0 for a perfect fit, 1 for a lost frequency, right on new signals")


def check_effective_number(fn) -> None:
    """Check ``fn(angles_deg, amplitudes, bin_deg)``: exp(entropy) of the amplitude-weighted angle histogram.

    Used in: simplicity bias, Exercise 7.2.
    """
    __tracebackhide__ = True
    rng = np.random.default_rng(7077)
    pair = np.r_[np.full(5, -100.5), np.full(5, 60.5)]
    public = [
        (np.full(20, 31.0) + rng.uniform(0, 0.5, 20), rng.uniform(0.5, 1, 20), 3.0, "20 neurons in one 3-degree bin"),
        (pair, np.ones(10), 3.0, "two equal clusters, 3-degree bins"),
        (pair, np.r_[np.ones(5), 3 * np.ones(5)], 3.0, "two clusters, one three times heavier, 3-degree bins"),
        (rng.uniform(-179, 179, 50), rng.uniform(0, 1, 50), 5.0, "50 random angles, 5-degree bins"),
        (rng.uniform(-179, 179, 30), rng.exponential(1, 30), 10.0, "30 random angles, 10-degree bins"),
    ]

    def reference(angles, amplitudes, bin_deg):
        bins = int(round(360 / bin_deg))
        mass = np.bincount(np.floor((angles + 180) / bin_deg).astype(int) % bins, weights=amplitudes,
                           minlength=bins)
        p = mass[mass > 0] / mass.sum()
        return np.exp(-(p * np.log(p)).sum())

    def draw(h):
        n, bin_deg = int(h.integers(10, 61)), float(h.choice([3.0, 5.0, 10.0, 15.0]))
        return h.uniform(-179, 179, n), h.exponential(1, n), bin_deg, f"{n} random angles, {bin_deg:g}-degree bins"

    _ch7_one_number(fn, "Exercise 7.2 (effective number of directions)", public, reference,
                    "effective_number(angles_deg, amplitudes, bin_deg)",
                    "bins of bin_deg degrees start at -180; weight each bin by the amplitudes of the angles in it, "
                    "turn the weights into probabilities, and take the exponential of their entropy (natural "
                    "log). Empty bins contribute nothing.", draw)
    passed("1 for one direction, 2 for two equal ones, right on random spreads")


# --- Why depth ---
# Chapter 5. References are written here from the definitions, not imported from
# deepwhy.depth, so a check never agrees with a student only because both copied the module.

def _ch5_rng():
    return np.random.default_rng(505)


def check_unit_shares(fn) -> None:
    """Check ``fn(v, H)``: each hidden unit's share of the work, ``|v_j| * std(H[:, j])``, normalized to sum 1.

    ``v`` is (hidden,) output weights, ``H`` is (n, hidden) hidden activations; the answer is
    (hidden,), all zeros when no unit varies. Used in: why depth, exercise "unit shares".
    """
    __tracebackhide__ = True
    ex = "Exercise 5.1 (unit shares)"
    rng = _ch5_rng()
    public = []
    for n, hidden in [(4, 4), (9, 3), (6, 7)]:
        public.append((rng.normal(size=hidden), rng.uniform(size=(n, hidden))))
    v, H = rng.normal(size=5), rng.uniform(size=(8, 5))
    H[:, 2] = 0.7                     # a constant unit: it does no work, whatever its weight
    v[2] = 50.0
    v[4] = -3.0                       # a negative weight works as hard as a positive one
    public.append((v, H))
    public.append((rng.normal(size=3), np.ones((5, 3))))   # nobody varies: all zeros
    hint = ("a unit's work is the size of its output weight times how much its activation varies over the "
            "data; normalize so that the shares add up to 1, and handle the case where no unit varies. A "
            "unit that is constant on the data only shifts the output.")

    def draw(h):
        hidden = int(h.integers(2, 9))
        H = h.uniform(size=(int(h.integers(3, 10)), hidden))
        H[:, int(h.integers(0, hidden))] = float(h.uniform())       # one constant unit
        return h.normal(size=hidden), H

    for (v, H), _, note in cases(public, rng, "unit_shares", draw):
        work = np.abs(v) * H.std(axis=0)
        expected = work / work.sum() if work.sum() > 0 else np.zeros_like(work)
        where = f"v of shape {v.shape} and H of shape {H.shape}{note}"
        got = call_student(fn, v.copy(), H.copy(), exercise=ex, describe=where)
        g = to_numpy(got, "unit_shares(v, H)")
        if g.shape == expected.shape and not np.all(np.isfinite(g)):
            fail(f"{ex}: for {where}, your result contains nan or inf.",
                 "when no unit varies, the total work is 0: decide what the shares are then, instead of "
                 "dividing by it.")
        compare(g, expected, inputs=where, exercise=ex, atol=1e-9, rtol=1e-7, hint=hint,
                name="unit_shares(v, H)")
    passed("unit shares on 5 unseen cases, constant units included")


def check_tree_compose(fn) -> None:
    """Check ``fn(node, X)``: a balanced binary tree of the 2-input ``node`` over the columns of X.

    ``X`` is (n, d) with d a power of 2; the answer is (n,), e.g. for d = 4
    ``node(node(x1, x2), node(x3, x4))``. Used in: why depth, exercise "tree composition".
    """
    __tracebackhide__ = True
    ex = "Exercise 5.2 (tree composition)"
    rng = _ch5_rng()

    def reference(node, X):
        cols = [X[:, j] for j in range(X.shape[1])]
        while len(cols) > 1:
            cols = [node(cols[i], cols[i + 1]) for i in range(0, len(cols), 2)]
        return cols[0]

    nodes = [("node(a, b) = a - 2 b", lambda a, b: a - 2 * b),
             ("node(a, b) = tanh(2 a b + a - b)", lambda a, b: np.tanh(2 * a * b + a - b)),
             ("node(a, b) = max(a, b) + 0.1 a", lambda a, b: np.maximum(a, b) + 0.1 * a)]
    hint = ("the tree combines neighbouring columns in pairs, level by level, until one is left, as in the "
            "statement's example. Keep each pair in order: the left column is node's first argument.")
    public = list(zip(nodes * 2, [(5, 2), (4, 4), (6, 8), (3, 16), (7, 8), (2, 4)]))
    draw = lambda h: (nodes[int(h.integers(0, 3))], (int(h.integers(2, 8)), int(2 ** h.integers(1, 5))))  # noqa: E731
    for ((label, node), (n, d)), rng, note in cases(public, rng, "tree_compose", draw):
        X = rng.uniform(-1, 1, size=(n, d))
        where = f"{label} and X of shape {(n, d)}{note}"
        got = call_student(fn, node, X.copy(), exercise=ex, describe=where)
        g = to_numpy(got, "tree_compose(node, X)")
        if g.shape == (n, 1):
            g = g[:, 0]
        compare(g, reference(node, X), inputs=where, exercise=ex, atol=1e-9, rtol=1e-7, hint=hint,
                name="tree_compose(node, X)")
    passed("trees of 3 unseen node functions, 2 to 16 leaves")


# --- Failure modes of gradient-based learning ---
# Chapter 6. The references enumerate the targets with itertools and use torch.autograd,
# not deepwhy.failures, so a check never agrees with a student only because both copied
# the course's fast transform.

def _ch6_rng():
    return np.random.default_rng(606)


def _ch6_parity_variance(J, X):
    """Reference: E_v ||c_v - mean c||^2 with c_v = E_x chi_v(x) J(x), over all 2^d subsets v."""
    import itertools

    d = X.shape[1]
    rows = []
    for bits in itertools.product([False, True], repeat=d):
        chi = X[:, list(bits)].prod(axis=1)  # the empty product is 1
        rows.append((chi[:, None] * J).mean(axis=0))
    C = np.array(rows)
    return float(((C - C.mean(axis=0)) ** 2).sum(axis=1).mean())


def check_parity_gradient_variance(fn) -> None:
    """Check ``fn(J, X)``: the variance over all 2^d parity targets of the square-loss population gradient.

    ``X`` is (2^d, d), every point of {-1, +1}^d once, in any order; ``J`` is (2^d, P), row x
    the gradient of the network's output at X[x]. Used in: failure modes, Exercise 6.1.
    """
    __tracebackhide__ = True
    import itertools

    ex = "Exercise 6.1 (gradient variance by enumeration)"
    rng = _ch6_rng()
    hint = ("the part of the gradient that comes from the network's own output is the same for every "
            "target, so only the correlation of each parity with J varies. Enumerate every subset of the d "
            "inputs, the empty one included, and average (not sum) the squared distance from the mean over "
            "the targets.")
    draw = lambda h: (int(h.integers(1, 6)), int(h.integers(1, 8)))  # noqa: E731
    for (d, P), rng, note in cases([(1, 3), (2, 5), (4, 7), (5, 2)], rng, "parity_gradient_variance", draw):
        X = np.array(list(itertools.product([-1.0, 1.0], repeat=d)))[rng.permutation(2**d)]
        J = rng.normal(size=(2**d, P)) * rng.uniform(0.5, 2.0, size=P)
        where = f"d = {d}, J of shape {J.shape}, X rows in a shuffled order{note}"
        got = call_student(fn, J.copy(), X.copy(), exercise=ex, describe=where)
        g = to_numpy(got, "gradient_variance(J, X)")
        if g.size != 1:
            fail(f"{ex}: for {where}, expected one number, got an array of shape {g.shape}.",
                 "average the squared norms over the targets: the answer is a single float.")
        compare(g.reshape(()), _ch6_parity_variance(J, X), inputs=where, exercise=ex, atol=1e-10,
                rtol=1e-8, hint=hint, name="gradient_variance(J, X)")
    passed("the variance over all 2^d parities (d = 1, 2, 4, 5, any order)")


def check_straight_through(fn) -> None:
    """Check ``fn(r, levels)``: u(r) (round down onto ``levels``) forward, the identity backward.

    Used in: failure modes, Exercise 6.2.
    """
    __tracebackhide__ = True
    ex = "Exercise 6.2 (straight-through estimator)"
    rng = _ch6_rng()
    draw = lambda h: (tuple(int(v) for v in h.integers(1, 9, size=h.integers(1, 3))),  # noqa: E731
                      int(h.integers(2, 13)))
    for (shape, n_levels), rng, note in cases([((9,), 3), ((4, 5), 6), ((30,), 12)], rng, "straight_through", draw):
        levels = np.sort(rng.choice(np.arange(-40, 40), n_levels, replace=False) / 8.0)
        r_np = rng.uniform(levels[0] - 1, levels[-1] + 1, size=shape)
        r_np[np.isclose(r_np[..., None], levels).any(axis=-1)] += 0.01  # no exact ties
        idx = np.clip(np.searchsorted(levels, r_np, side="right") - 1, 0, None)
        expected = levels[idx]
        r = torch.tensor(r_np, requires_grad=True)
        lv = torch.tensor(levels)
        where = f"r of shape {shape}, {n_levels} levels {np.round(levels, 3).tolist()}{note}"
        out = call_student(fn, r, lv, exercise=ex, describe=where)
        if not isinstance(out, torch.Tensor):
            fail(f"{ex}: for {where}, expected a torch.Tensor, got {type(out).__name__}.",
                 "return the tensor your autograd.Function computes (call its apply method), not the "
                 "Function itself.")
        compare(out.detach(), expected, inputs=where, exercise=f"{ex}, forward pass", atol=1e-12,
                hint="the forward pass rounds each r down to the largest level <= r (the lowest level "
                     "when r is below all of them); torch can find, for every value, its position in a sorted "
                     "tensor.")
        if not out.requires_grad:
            fail(f"{ex}: for {where}, the output does not require a gradient, so nothing flows back to r.",
                 "compute the forward pass inside a torch.autograd.Function (or with the detach trick), "
                 "not on r.detach() alone.")
        upstream = torch.tensor(rng.normal(size=shape))
        try:
            (grad,) = torch.autograd.grad(out, r, upstream, allow_unused=True)
        except Exception as e:  # noqa: BLE001 - any error in student code becomes feedback
            fail(f"{ex}: for {where}, the backward pass raised {type(e).__name__}: {e}",
                 "backward must return one gradient per input of forward, None for an input that needs "
                 "none (levels).")
        if grad is None:
            fail(f"{ex}: for {where}, no gradient reached r.", "backward must hand a gradient on to r.")
        compare(grad, upstream, inputs=where, exercise=f"{ex}, backward pass", atol=1e-12,
                hint="straight-through means the backward pass hands the incoming gradient on unchanged, as "
                     "if the forward pass were the identity. The true derivative, 0, is what we avoid.")
    passed("rounds down onto the levels, passes gradients straight through")
