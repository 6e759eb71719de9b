import numpy as np
import pytest
import torch

from deepwhy import optim

CASES = [
    ("sgd", dict(lr=0.05), lambda ps: torch.optim.SGD(ps, lr=0.05)),
    ("momentum", dict(lr=0.05, momentum=0.9), lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9)),
    ("nesterov", dict(lr=0.05, momentum=0.8, nesterov=True),
     lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.8, nesterov=True)),
    # RMSprop's step g / sqrt(r) is nearly sign(g) once it hovers near a minimum, which
    # amplifies 1-ulp differences step after step; a small lr keeps it descending for 200 steps.
    ("rmsprop", dict(lr=0.003, alpha=0.9, eps=1e-6),
     lambda ps: torch.optim.RMSprop(ps, lr=0.003, alpha=0.9, eps=1e-6)),
    ("adam", dict(lr=0.02, betas=(0.8, 0.99), eps=1e-7),
     lambda ps: torch.optim.Adam(ps, lr=0.02, betas=(0.8, 0.99), eps=1e-7)),
]


def _ours(name, kwargs):
    cls = {"sgd": optim.SGD, "momentum": optim.SGD, "nesterov": optim.SGD,
           "rmsprop": optim.RMSprop, "adam": optim.Adam}[name]
    return cls(**kwargs)


def _loss(params):
    """A non-quadratic loss of two parameter tensors, so the gradients change along the path."""
    w, b = params
    return (torch.sin(w).sum() ** 2 + (w**4).sum() / 4 + (b * w[:3, 0]).sum()
            + torch.cosh(b).sum() + 0.5 * (w @ w.T).trace())


@pytest.mark.parametrize("name,kwargs,make_torch", CASES, ids=[c[0] for c in CASES])
def test_same_trajectory_as_torch_optim(name, kwargs, make_torch):
    rng = np.random.default_rng(0)
    start = [rng.standard_normal((3, 4)), rng.standard_normal(3)]
    ours = [a.copy() for a in start]
    theirs = [torch.tensor(a, requires_grad=True) for a in start]
    opt_ours, opt_torch = _ours(name, kwargs), make_torch(theirs)
    for _ in range(200):
        ts = [torch.tensor(a, requires_grad=True) for a in ours]
        grads = torch.autograd.grad(_loss(ts), ts)
        opt_ours.step(ours, [g.numpy() for g in grads])
        opt_torch.zero_grad()
        _loss(theirs).backward()
        opt_torch.step()
        for a, t in zip(ours, theirs):
            np.testing.assert_allclose(a, t.detach().numpy(), atol=1e-10, rtol=0)


def test_momentum_can_follow_a_schedule_like_torch():
    p = np.array([1.0, -2.0])
    t = torch.tensor(p.copy(), requires_grad=True)
    ours, theirs = optim.SGD(0.1, momentum=0.5), torch.optim.SGD([t], lr=0.1, momentum=0.5)
    for step in range(60):
        mu = optim.momentum_schedule(step, every=10, maximum=0.95)
        ours.momentum = mu
        theirs.param_groups[0]["momentum"] = mu
        ours.step([p], [p * np.array([1.0, 5.0])])
        theirs.zero_grad()
        (0.5 * (t[0] ** 2 + 5 * t[1] ** 2)).backward()
        theirs.step()
    np.testing.assert_allclose(p, t.detach().numpy(), atol=1e-12, rtol=0)


def test_momentum_schedule_starts_at_half_and_climbs_to_the_cap():
    values = [optim.momentum_schedule(t, every=10, maximum=0.99) for t in range(0, 2000, 10)]
    assert values[0] == 0.5 and values[1] == 0.75
    assert all(b >= a for a, b in zip(values, values[1:]))
    assert values[-1] == 0.99
    with pytest.raises(ValueError, match="maximum"):
        optim.momentum_schedule(0, maximum=1.0)
    with pytest.raises(ValueError, match="every"):
        optim.momentum_schedule(0, every=0)


def test_step_updates_in_place_and_accepts_a_bare_array():
    p = np.array([1.0, 2.0])
    alias = p
    optim.SGD(0.5).step(p, np.array([2.0, 2.0]))
    assert alias is p and p.tolist() == [0.0, 1.0]


@pytest.mark.parametrize("make,match", [
    (lambda: optim.SGD(0.0), "lr"),
    (lambda: optim.SGD(0.1, momentum=1.0), "momentum"),
    (lambda: optim.SGD(0.1, nesterov=True), "nesterov"),
    (lambda: optim.RMSprop(0.1, alpha=-0.1), "alpha"),
    (lambda: optim.RMSprop(0.1, eps=0), "eps"),
    (lambda: optim.Adam(0.1, betas=(0.9,)), "betas"),
    (lambda: optim.Adam(0.1, betas=(0.9, 1.5)), "betas"),
])
def test_optimizers_reject_bad_hyperparameters(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_step_rejects_bad_params_and_grads():
    opt = optim.SGD(0.1)
    with pytest.raises(ValueError, match="same length"):
        opt.step([np.zeros(2)], [])
    with pytest.raises(ValueError, match="shape"):
        opt.step([np.zeros(2)], [np.zeros(3)])
    with pytest.raises(ValueError, match="float numpy array"):
        opt.step([[0.0, 1.0]], [np.zeros(2)])
    opt.step([np.zeros(2)], [np.zeros(2)])
    with pytest.raises(ValueError, match="used with 1"):
        opt.step([np.zeros(2), np.zeros(2)], [np.zeros(2), np.zeros(2)])


@pytest.mark.parametrize("surface", [optim.saddle(), optim.ill_conditioned(50, angle=20),
                                     optim.badly_scaled(1e3), optim.rosenbrock(1.0, 10.0)],
                         ids=lambda s: s.name)
def test_surface_gradients_match_autograd_and_vectorize(surface):
    rng = np.random.default_rng(1)
    pts = rng.uniform(-1.5, 1.5, size=(7, 2))
    t = torch.tensor(pts, requires_grad=True)
    x, y = t[:, 0], t[:, 1]
    if isinstance(surface, optim.Saddle):
        f = 0.5 * x**2 - 0.5 * y**2 + 0.25 * y**4
    elif isinstance(surface, optim.Rosenbrock):
        f = (surface.a - x) ** 2 + surface.b * (y - x**2) ** 2
    else:
        f = 0.5 * torch.einsum("ni,ij,nj->n", t, torch.tensor(surface.hessian), t)
    f.sum().backward()
    np.testing.assert_allclose(surface.value(pts), f.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(surface.grad(pts), t.grad.numpy(), atol=1e-12)
    assert surface.value(pts[0]).shape == ()
    assert surface.value(pts.reshape(7, 1, 2)).shape == (7, 1)
    np.testing.assert_allclose(surface.grad(surface.minimum), 0, atol=1e-12)
    with pytest.raises(ValueError, match="shape"):
        surface.grad(np.zeros(3))


def test_ill_conditioned_valley_has_the_requested_condition_number():
    s = optim.ill_conditioned(kappa=400, angle=30)
    eig = np.linalg.eigvalsh(s.hessian)
    assert eig.max() / eig.min() == pytest.approx(400)
    assert s.kappa == pytest.approx(400)
    with pytest.raises(ValueError, match="kappa"):
        optim.ill_conditioned(kappa=0)
    with pytest.raises(ValueError, match="curvatures"):
        optim.Quadratic((1.0,))


def test_trajectory_shapes_and_gradient_descent_on_a_bowl():
    s = optim.badly_scaled(4.0)
    path = optim.trajectory(optim.SGD(0.1), s, (1.0, 1.0), 30)
    assert path.shape == (31, 2)
    assert path[0].tolist() == [1.0, 1.0]
    np.testing.assert_allclose(path[:, 0], 0.9 ** np.arange(31), atol=1e-14)
    np.testing.assert_allclose(path[:, 1], 0.6 ** np.arange(31), atol=1e-14)
    runs = optim.trajectory(optim.SGD(0.1), s, np.ones((5, 2)), 10, noise=0.1, seed=3)
    assert runs.shape == (11, 5, 2)
    again = optim.trajectory(optim.SGD(0.1), s, np.ones((5, 2)), 10, noise=0.1, seed=3)
    assert np.array_equal(runs, again)
    assert not np.allclose(runs[-1, 0], runs[-1, 1])


def test_exact_gradient_descent_stalls_on_the_saddle_and_noise_escapes():
    s = optim.saddle()
    exact = optim.trajectory(optim.SGD(0.05), s, (1.0, 0.0), 500)
    assert np.abs(exact[:, 1]).max() == 0.0
    assert np.abs(exact[-1, 0]) < 1e-10
    noisy = optim.trajectory(optim.SGD(0.05), s, np.tile([1.0, 0.0], (20, 1)), 500, noise=0.01, seed=0)
    escaped = optim.first_step(np.abs(noisy[..., 1]) > 0.5)
    assert escaped.shape == (20,) and np.isfinite(escaped).all()


def test_schedule_sets_attributes_and_rejects_unknown_ones():
    opt = optim.SGD(0.1, momentum=0.5)
    optim.trajectory(opt, optim.saddle(), (1.0, 0.1), 30,
                     schedule=lambda t: {"momentum": optim.momentum_schedule(t, every=5)})
    assert opt.momentum == optim.momentum_schedule(29, every=5)
    with pytest.raises(ValueError, match="does not have"):
        optim.trajectory(optim.SGD(0.1), optim.saddle(), (1.0, 0.1), 3, schedule=lambda t: {"beta": 1})


def test_steps_to_converge_counts_gradient_descent_steps_on_a_bowl():
    s = optim.Quadratic((1.0, 1.0))
    # f shrinks by 0.9**2 = 0.81 per step: 0.81**t <= 1e-4 first at t = 44
    assert optim.steps_to_converge(optim.SGD(0.1), s, (1.0, 1.0), tol=1e-4) == 44
    assert optim.steps_to_converge(optim.SGD(0.1), s, (1.0, 1.0), tol=1e-4, max_steps=10) == -1
    with pytest.raises(ValueError, match="tol"):
        optim.steps_to_converge(optim.SGD(0.1), s, (1.0, 1.0), tol=0)


@pytest.mark.parametrize("bad,match", [
    (dict(optimizer="sgd"), "optimizer"),
    (dict(surface=None), "surface"),
    (dict(start=(1.0, 2.0, 3.0)), "start"),
    (dict(steps=-1), "steps"),
    (dict(noise=-0.1), "noise"),
])
def test_trajectory_validates_its_arguments(bad, match):
    args = dict(optimizer=optim.SGD(0.1), surface=optim.saddle(), start=(1.0, 0.0), steps=3)
    args.update(bad)
    with pytest.raises(ValueError, match=match):
        optim.trajectory(**args)


def test_first_step_reports_inf_when_never():
    mask = np.array([[False, False], [False, True], [True, True]])
    assert optim.first_step(mask).tolist() == [2.0, 1.0]
    assert optim.first_step(np.zeros((4, 2), dtype=bool)).tolist() == [np.inf, np.inf]
    assert optim.first_step(np.array([False, False, True])) == 2.0
    assert optim.first_step(np.zeros(3, dtype=bool)) == np.inf
    with pytest.raises(ValueError, match="boolean"):
        optim.first_step(np.zeros(3))


def test_surfaces_registry_builds_each_surface():
    for name, make in optim.SURFACES.items():
        s = make()
        assert isinstance(s, optim.Surface)
        assert np.isfinite(s.value(s.start))
        assert len(s.extent) == 4


def test_make_optimizer_builds_each_named_optimizer():
    kinds = [type(optim.make_optimizer(n, 0.1, momentum=0.8)) for n in optim.OPTIMIZER_NAMES]
    assert kinds == [optim.SGD, optim.SGD, optim.SGD, optim.RMSprop, optim.Adam]
    assert optim.make_optimizer("Nesterov", 0.1, 0.8).nesterov
    assert optim.make_optimizer("momentum", 0.1, 0.8).momentum == 0.8
    assert optim.make_optimizer("gradient descent", 0.1, 0.8).momentum == 0.0
    assert optim.make_optimizer("Adam", 0.1, 0.8).betas == (0.8, 0.999)
    with pytest.raises(ValueError, match="name"):
        optim.make_optimizer("LBFGS", 0.1)


def test_plot_helpers_draw_contours_and_paths():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from deepwhy import plots

    fig, ax = plots.figure()
    s = optim.rosenbrock()
    plots.surface_contours(ax, s)
    assert ax.get_xlim() == (s.extent[0], s.extent[1])
    line = plots.optimizer_path(ax, optim.trajectory(optim.SGD(1e-3), s, s.start, 10), label="gd")
    assert line.get_xdata().shape == (11,)
    with pytest.raises(ValueError, match="path"):
        plots.optimizer_path(ax, np.zeros((5, 3)))
    with pytest.raises(ValueError, match="surface"):
        plots.surface_contours(ax, "bowl")
    plt.close(fig)


def test_steps_to_settle_ignores_passing_through():
    # run 0 settles at step 2; run 1 passes through the ball at step 1, leaves, and is back only
    # for the last step; run 2 never enters
    path = np.array([[[1.0, 0.0], [1.0, 0.0], [1.0, 1.0]],
                     [[0.5, 0.0], [0.0, 0.0], [1.0, 0.0]],
                     [[0.0, 0.0], [0.5, 0.0], [1.0, 0.0]],
                     [[0.0, 0.0], [0.0, 0.0], [1.0, 0.0]]])
    assert optim.steps_to_settle(path, 0.1).tolist() == [2.0, 3.0, np.inf]
    assert optim.steps_to_settle(path, 0.1, hold=2).tolist() == [2.0, np.inf, np.inf]
    assert optim.steps_to_settle(path, 0.1, hold=3).tolist() == [np.inf, np.inf, np.inf]
    assert optim.steps_to_settle(path[:, 0], 0.1) == 2.0


def test_steps_to_settle_rejects_bad_arguments():
    with pytest.raises(ValueError, match="path"):
        optim.steps_to_settle(np.zeros((3, 3)), 0.1)
    with pytest.raises(ValueError, match="tol"):
        optim.steps_to_settle(np.zeros((3, 2)), 0.0)
    with pytest.raises(ValueError, match="hold"):
        optim.steps_to_settle(np.zeros((3, 2)), 0.1, hold=4)
