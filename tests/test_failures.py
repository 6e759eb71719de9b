"""Tests of deepwhy.failures and of deepwhy.data.parity (chapter: failure modes of gradient-based learning)."""
import itertools
import math

import numpy as np
import pytest
import torch

from deepwhy import data, failures, nets, train


@pytest.fixture
def one_thread():
    """Small networks train faster on one thread, above all on a busy machine; restore the count after."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)

# ----------------------------------------------------------------------------- data.parity


def test_parity_labels_are_the_product_over_the_subset():
    X, y, subset = data.parity(200, 7, subset=[1, 4, 6], seed=3)
    assert X.shape == (200, 7) and y.shape == (200,)
    assert X.dtype == torch.float32 and y.dtype == torch.float32
    assert set(X.unique().tolist()) == {-1.0, 1.0}
    assert torch.equal(y, X[:, 1] * X[:, 4] * X[:, 6])
    assert subset == [1, 4, 6]


def test_parity_draws_the_subset_from_the_seed_with_probability_one_half():
    p = data.parity(10, 12, seed=5)
    assert p.subset == data.parity(3, 12, seed=5).subset  # does not depend on n
    assert p.subset == sorted(p.subset) and all(0 <= i < 12 for i in p.subset)
    expected = torch.ones(10)
    for i in p.subset:
        expected = expected * p.X[:, i]
    assert torch.equal(p.y, expected)
    sizes = [len(data.parity(1, 40, seed=s).subset) for s in range(200)]
    assert abs(np.mean(sizes) - 20) < 1.0  # Bin(40, 1/2) has mean 20, sd of the mean 0.22


def test_parity_inputs_depend_only_on_n_d_seed():
    a = data.parity(50, 6, seed=2)
    b = data.parity(50, 6, subset=[0], seed=2)
    assert torch.equal(a.X, b.X)
    assert torch.equal(b.y, b.X[:, 0])
    assert not torch.equal(a.X, data.parity(50, 6, seed=3).X)


def test_parity_empty_subset_gives_all_ones():
    X, y, subset = data.parity(20, 4, subset=[], seed=0)
    assert subset == [] and torch.equal(y, torch.ones(20))


@pytest.mark.parametrize("kwargs, match", [
    (dict(n=0, d=3), "n must be"),
    (dict(n=3, d=0), "d must be"),
    (dict(n=3, d=3, subset=[3]), r"subset indices must be integers in \[0, d\)"),
    (dict(n=3, d=3, subset=[-1]), "subset indices"),
    (dict(n=3, d=3, subset=[0.5]), "subset indices"),
    (dict(n=3, d=3, subset=[1, 1]), "must not repeat"),
    (dict(n=3, d=3, subset=5), "subset must be a list"),
    (dict(n=3, d=3, seed=-1), "seed must be"),
])
def test_parity_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        data.parity(**kwargs)


# ----------------------------------------------------------------------------- paper_init_


def test_paper_init_truncates_weights_and_zeroes_biases():
    ens = failures.paper_init_(nets.EnsembleMLP([50, 40, 1], members=3, seed=0), seed=7)
    for W in ens.weights:
        std = 1 / math.sqrt(W.shape[1])
        W = W.detach()
        assert float(W.abs().max()) <= 2 * std + 1e-7
        assert 0.7 * std < float(W.std()) < 1.0 * std  # a normal truncated at 2 sd has sd 0.88
    assert all(float(b.detach().abs().max()) == 0 for b in ens.biases)
    assert not torch.equal(ens.weights[0][0], ens.weights[0][1])
    again = failures.paper_init_(nets.EnsembleMLP([50, 40, 1], members=3, seed=0), seed=7)
    assert torch.equal(again.weights[0], ens.weights[0])
    with pytest.raises(ValueError, match="EnsembleMLP"):
        failures.paper_init_(nets.mlp([2, 1]))


# ----------------------------------------------------------------------------- parity learners


def test_parity_learners_shapes_subsets_and_labels():
    L = failures.ParityLearners(dims=[3, 6], seeds=[2, 3], seed=4)
    assert L.net.sizes == [6, 60, 1] and L.net.members == 5
    assert L.subsets[6][1] == data.parity(1, 6, seed=5).subset
    X, y = L.sample(16, torch.Generator().manual_seed(0))
    assert X.shape == (5, 16, 6) and y.shape == (5, 16, 1)
    assert torch.all(X[:2, :, 3:] == 0) and set(X[2:].unique().tolist()) == {-1.0, 1.0}
    for i, s in enumerate(L.subsets[6]):
        expected = X[2 + i][:, s].prod(dim=1) if s else torch.ones(16)
        assert torch.equal(y[2 + i, :, 0], expected)
    assert L(X).shape == (5, 16, 1)
    assert L.hinge(L(X), y).shape == (5,) and L.accuracy(X, y).shape == (5,)
    assert L.member_dims().tolist() == [3, 3, 6, 6, 6]


def test_parity_learners_fixed_subset_size():
    L = failures.ParityLearners(dims=[4, 8], seeds=3, subset_size=[2, 4])
    assert all(len(s) == 2 for s in L.subsets[4]) and all(len(s) == 4 for s in L.subsets[8])
    assert all(max(s) < 4 for s in L.subsets[4])
    with pytest.raises(ValueError, match="subset_size"):
        failures.ParityLearners(dims=[4], subset_size=5)


def test_padded_parity_member_trains_exactly_like_its_own_small_network(one_thread):
    """The zero padding stays zero, so a d = 3 member of a padded ensemble follows its own 3-30-1 net."""
    L = failures.ParityLearners(dims=[3, 5], seeds=1, seed=2)
    W1, W2 = L.net.weights
    own = nets.EnsembleMLP([3, 30, 1], members=1, seed=0)
    with torch.no_grad():
        own.weights[0].copy_(W1[:1, :3, :30])
        own.weights[1].copy_(W2[:1, :30])
        for b in own.biases:
            b.zero_()
    gen = torch.Generator().manual_seed(1)
    batches = [L.sample(32, gen) for _ in range(20)]
    train.fit(L, lambda step: batches[step % 20], loss=L.hinge, optimizer="sgd", lr=0.1, steps=20, progress=False)
    train.fit(own, lambda step: (batches[step % 20][0][:1, :, :3], batches[step % 20][1][:1]), loss="hinge",
              optimizer="sgd", lr=0.1, steps=20, progress=False)
    assert torch.all(W1[0, 3:] == 0) and torch.all(W1[0, :, 30:] == 0) and torch.all(W2[0, 30:] == 0)
    assert torch.allclose(W1[0, :3, :30], own.weights[0][0], atol=1e-6)
    assert torch.allclose(W2[0, :30], own.weights[1][0], atol=1e-6)


def test_parity_learners_learn_a_small_parity_in_one_loop(one_thread):
    L = failures.ParityLearners(dims=[2, 3], seeds=2, seed=0)
    gen = torch.Generator().manual_seed(1)
    test = L.sample(500, torch.Generator().manual_seed(2))
    before = L.accuracy(*test)
    train.fit(L, lambda step: L.sample(64, gen), loss=L.hinge, optimizer="sgd", lr=0.1, steps=300,
              progress=False)
    after = L.accuracy(*test)
    assert after.min() >= 0.95, (before, after)


def test_parity_learners_reject_bad_arguments():
    with pytest.raises(ValueError, match="dims"):
        failures.ParityLearners(dims=[])
    with pytest.raises(ValueError, match="dims"):
        failures.ParityLearners(dims=[3, 3])
    with pytest.raises(ValueError, match="dims"):
        failures.ParityLearners(dims=[0])
    with pytest.raises(ValueError, match="seeds"):
        failures.ParityLearners(dims=[3, 4], seeds=[1])
    with pytest.raises(ValueError, match="generator"):
        failures.ParityLearners(dims=[3]).sample(4, generator=0)


# ----------------------------------------------------------------------------- Theorem 1


def test_sign_cube_and_walsh_hadamard_agree_with_the_explicit_matrix():
    X = failures.sign_cube(3)
    assert X.shape == (8, 3) and X[0].tolist() == [1, 1, 1] and X[1].tolist() == [-1, 1, 1]
    H = torch.stack([X[:, [i for i in range(3) if v >> i & 1]].prod(dim=1) for v in range(8)])
    A = torch.randn(8, 5, dtype=torch.float64)
    assert torch.allclose(failures.walsh_hadamard(A), H @ A)
    assert torch.allclose(failures.walsh_hadamard(A[:, 0]), H @ A[:, 0])
    with pytest.raises(ValueError, match="power of two"):
        failures.walsh_hadamard(torch.zeros(6, 2))
    with pytest.raises(ValueError, match="d must be"):
        failures.sign_cube(0)


def test_per_example_gradients_match_autograd():
    model = nets.mlp([3, 4, 1], seed=1, dtype=torch.float64)
    X = torch.randn(5, 3, dtype=torch.float64)
    J = failures.per_example_gradients(model, X)
    for i in range(5):
        model.zero_grad()
        model(X[i:i + 1]).sum().backward()
        flat = torch.cat([p.grad.reshape(-1) for p in model.parameters()])
        assert torch.allclose(J[i], flat)
    with pytest.raises(ValueError, match="2-D"):
        failures.per_example_gradients(model, X[0])


def test_parity_gradient_variance_matches_brute_force_and_the_bound():
    d = 3
    model = nets.mlp([d, 7, 1], init="normal", seed=2, dtype=torch.float64)
    X = failures.sign_cube(d)
    grads = []
    for v in range(2**d):
        subset = [i for i in range(d) if v >> i & 1]
        y = X[:, subset].prod(dim=1) if subset else torch.ones(len(X), dtype=torch.float64)
        model.zero_grad()
        (0.5 * (model(X)[:, 0] - y) ** 2).mean().backward()
        grads.append(torch.cat([p.grad.reshape(-1) for p in model.parameters()]))
    G = torch.stack(grads)
    gv = failures.parity_gradient_variance(model, d)
    assert gv.variance == pytest.approx(((G - G.mean(0)) ** 2).sum(1).mean().item(), rel=1e-10)
    assert gv.mean_sq == pytest.approx((G.mean(0) ** 2).sum().item(), rel=1e-10)
    assert gv.variance <= gv.bound
    with pytest.raises(ValueError, match="at most 14"):
        failures.parity_gradient_variance(model, 15)


# ----------------------------------------------------------------------------- stocks


def test_stock_gradient_moments_match_exhaustive_enumeration():
    d, k = 4, 3
    labels = failures.stock_labels(d, k, seed=1)
    gen = torch.Generator().manual_seed(0)
    W = torch.randn(d, k, generator=gen, dtype=torch.float64)
    b = torch.randn(k, generator=gen, dtype=torch.float64)

    def grad(j, weights):
        Wp, bp = W.clone().requires_grad_(), b.clone().requires_grad_()
        (-(weights * torch.softmax(Wp[j] + bp, 0)).sum()).backward()
        return torch.cat([Wp.grad.reshape(-1), bp.grad])

    e2e, dec = [], []
    for j in range(d):
        others = [i for i in range(k) if i != labels[j]]
        for signs in itertools.product([-1.0, 1.0], repeat=k - 1):
            z = torch.ones(k, dtype=torch.float64)
            z[others] = torch.tensor(signs, dtype=torch.float64)
            e2e.append(grad(j, z))
        dec.append(grad(j, torch.nn.functional.one_hot(labels[j], k).double()))
    e2e, dec = torch.stack(e2e), torch.stack(dec)
    m = failures.stock_gradient_moments(W + b, labels)
    assert m.signal == pytest.approx((e2e.mean(0) ** 2).sum().item(), rel=1e-10)
    assert m.signal == pytest.approx((dec.mean(0) ** 2).sum().item(), rel=1e-10)
    assert m.e2e == pytest.approx((e2e**2).sum(1).mean().item(), rel=1e-10)
    assert m.dec == pytest.approx((dec**2).sum(1).mean().item(), rel=1e-10)
    assert m.snr_e2e < m.snr_dec


def test_stock_second_moment_ratio_is_k_at_uniform_softmax():
    for k in (2, 10, 300):
        m = failures.stock_gradient_moments(torch.zeros(50, k), failures.stock_labels(50, k))
        assert m.e2e / m.dec == pytest.approx(k, rel=1e-9)


def test_stock_gradient_moments_reject_bad_arguments():
    with pytest.raises(ValueError, match="labels must be a tensor of shape"):
        failures.stock_gradient_moments(torch.zeros(4, 3), torch.zeros(5, dtype=torch.long))
    with pytest.raises(ValueError, match="labels must lie"):
        failures.stock_gradient_moments(torch.zeros(2, 3), torch.tensor([0, 3]))
    with pytest.raises(ValueError, match="logits"):
        failures.stock_gradient_moments(torch.zeros(3), torch.tensor([0, 1, 2]))


def test_train_stocks_records_both_approaches_and_learns_a_small_problem(one_thread):
    h = failures.train_stocks(k=3, d=20, steps=300, batch_size=20, seeds=(0, 1), record_every=100,
                              progress=False)
    assert h.steps.tolist() == [0, 100, 200, 300]
    assert h.loss.shape == (4, 4)  # 2 seeds x (end-to-end, decomposition)
    assert np.allclose(h.loss[0, :2], h.loss[0, 2:])  # member layout: [e2e seeds..., dec seeds...]
    assert (h.loss[-1] < -0.9).all(), h.loss[-1]
    no_bias = failures.train_stocks(k=3, d=20, steps=10, batch_size=20, bias=False, progress=False)
    assert no_bias.loss.shape == (2, 2)
    with pytest.raises(ValueError, match="seeds"):
        failures.train_stocks(k=3, seeds=())
    with pytest.raises(ValueError, match="k must be"):
        failures.train_stocks(k=0)


# ----------------------------------------------------------------------------- PWL curves


def test_pwl_matrix_inverse_is_the_second_difference():
    W = failures.pwl_matrix(8)
    U = np.linalg.inv(W)
    expected = np.eye(8) - 2 * np.eye(8, k=-1) + np.eye(8, k=-2)
    assert np.allclose(U, expected)
    with pytest.raises(ValueError, match="n must be"):
        failures.pwl_matrix(0)


def test_pwl_curves_are_exactly_reproduced_by_the_filter():
    F, P = failures.pwl_curves(20, n=30, pieces=3, seed=1)
    assert F.shape == P.shape == (20, 30)
    assert ((P != 0).sum(axis=1) == 3).all() and (P[:, :2] == 0).all()
    assert np.abs(P).max() <= 1
    R, t = failures.three_tap_rows(F, P)
    assert R.shape == (20 * 28, 3)
    assert np.allclose(R @ np.array([1.0, -2.0, 1.0]), t)
    with pytest.raises(ValueError, match="pieces"):
        failures.pwl_curves(2, n=5, pieces=4)
    with pytest.raises(ValueError, match="equal shape"):
        failures.three_tap_rows(F, P[:, :5])


def test_whitening_solves_the_filter_and_plain_sgd_does_not(one_thread):
    F, P = failures.pwl_curves(500, n=60, seed=0)
    plain = failures.fit_three_tap(F, P, steps=300, seed=0)
    white = failures.fit_three_tap(F, P, steps=30, whiten=True, seed=0)
    assert plain.shape == (301,) and plain[0] == pytest.approx(2.0)
    assert plain[-1] > 1.0
    assert white[-1] < 1e-6


# ----------------------------------------------------------------------------- flat activations


def _floor_reference(r, levels):
    idx = torch.clamp(torch.searchsorted(levels, r, right=True) - 1, min=0)
    return levels[idx]


def test_step_function_rounds_down_to_the_levels_and_has_zero_gradient():
    levels = torch.tensor([-1.0, 0.0, 0.5, 2.0])
    r = torch.tensor([-3.0, -0.5, 0.2, 0.7, 1.9, 5.0], requires_grad=True)
    u = failures.step_function(r, levels)
    assert torch.allclose(u, torch.tensor([-1.0, -1.0, 0.0, 0.5, 0.5, 2.0]))
    u.sum().backward()
    assert torch.equal(r.grad, torch.zeros(6))
    task = failures.step_task(seed=0)
    x, y, rr = task.sample(300, torch.Generator().manual_seed(0))
    assert torch.allclose(y[:, 0], _floor_reference(rr, task.levels))


def test_straight_through_and_smooth_step():
    levels = torch.tensor([0.0, 1.0, 3.0])
    r = torch.tensor([0.4, 1.5, 2.2, 3.5], requires_grad=True)
    out = failures.straight_through_step(r, levels)
    assert torch.allclose(out, torch.tensor([0.0, 1.0, 1.0, 3.0]))
    (out * torch.tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
    assert torch.allclose(r.grad, torch.tensor([1.0, 2.0, 3.0, 4.0]))
    smooth = failures.smooth_step(torch.tensor([0.5, 2.0, 3.5]), levels)
    assert torch.allclose(smooth, torch.tensor([0.0, 1.0, 3.0]), atol=1e-4)
    with pytest.raises(ValueError, match="increasing"):
        failures.step_function(r, torch.tensor([1.0, 0.0]))
    with pytest.raises(ValueError, match="levels"):
        failures.smooth_step(r, torch.tensor([1.0]))


def test_step_task_and_learners():
    task = failures.step_task(n_inputs=10, seed=3)
    assert task.w.shape == (10,) and len(task.levels) == 52
    assert float(task.levels.min()) == pytest.approx(task.b - 100, abs=1e-4)
    x, y, r = task.sample(7, torch.Generator().manual_seed(0))
    assert x.shape == (7, 10) and y.shape == (7, 1) and r.shape == (7,)
    lin = failures.step_learner("straight-through", n_inputs=10, members=2)
    mlp = failures.step_learner("end-to-end", n_inputs=10, hidden=(8, 8))
    assert lin.sizes == [10, 1] and lin.members == 2 and mlp.sizes == [10, 8, 8, 1]
    pred = lin(x)
    for variant in failures.STEP_VARIANTS:
        out = failures.step_output(variant, pred, task.levels)
        assert out.shape == (2, 7, 1)
        assert failures.step_loss(variant, task.levels)(pred, y).shape == (2,)
    test_out = failures.step_output("smooth", pred, task.levels, training=False)
    assert torch.allclose(test_out[..., 0], failures.step_function(pred[..., 0], task.levels))
    with pytest.raises(ValueError, match="variant"):
        failures.step_learner("magic")
    with pytest.raises(ValueError, match="generator"):
        task.sample(3, generator=None)


def test_true_gradient_leaves_the_parameters_unchanged_and_straight_through_learns(one_thread):
    task = failures.step_task(n_inputs=20, seed=1)
    gen = torch.Generator().manual_seed(0)
    x_test, y_test, _ = task.sample(1000, torch.Generator().manual_seed(1))
    results = {}
    for variant in ("gradient", "straight-through"):
        model = failures.step_learner(variant, n_inputs=20, members=2, seed=0)
        start = [p.detach().clone() for p in model.parameters()]
        train.fit(model, lambda s: task.sample(128, gen)[:2], loss=failures.step_loss(variant, task.levels),
                  optimizer="adam", lr=3e-2, steps=300, progress=False)
        moved = max(float((p.detach() - q).abs().max()) for p, q in zip(model.parameters(), start))
        with torch.no_grad():
            out = failures.step_output(variant, model(x_test), task.levels, training=False)
        results[variant] = (moved, float(((out - y_test) ** 2).mean()))
    assert results["gradient"][0] == 0.0
    assert results["straight-through"][0] > 0.1
    assert results["straight-through"][1] < 0.1 * results["gradient"][1]


def test_stock_logit_gradients_match_autograd():
    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(3, 4, 6, generator=gen, dtype=torch.float64, requires_grad=True)
    target = torch.randn(3, 4, 6, generator=gen, dtype=torch.float64)
    p = torch.softmax(logits, dim=-1)
    (-(target * p).sum()).backward()
    assert torch.allclose(failures.stock_logit_gradients(p.detach(), target), logits.grad)
    with pytest.raises(ValueError, match="same shape"):
        failures.stock_logit_gradients(p, target[0])


def test_train_stocks_hand_gradients_match_an_autograd_run(one_thread):
    d, k, steps = 12, 4, 30
    h = failures.train_stocks(k, d=d, steps=steps, batch_size=5, seeds=(3,), record_every=steps,
                              progress=False)
    # the same run with autograd: same labels, initial weights and random stream
    labels = failures.stock_labels(d, k, 3).expand(2, d)
    W = torch.stack([failures.stock_initial_weights(d, k, 3)] * 2).requires_grad_()
    b = torch.zeros(2, 1, k, requires_grad=True)
    opt = torch.optim.Adam([W, b], lr=0.1, betas=(0.9, 0.99), eps=1e-5)
    gen = torch.Generator().manual_seed(3 + 12345)
    for _ in range(steps):
        idx = torch.randint(0, d, (5,), generator=gen)
        y = labels[:, idx]
        z = failures.random_signs((1, 5, k), gen)
        z.scatter_(2, y[:1, :, None], 1.0)
        p = torch.softmax(W[:, idx] + b, dim=-1)
        loss = -(p[0] * z[0]).sum(-1).mean() - p[1].gather(1, y[1, :, None]).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        p = torch.softmax(W + b, dim=-1)
        expected = -p.gather(2, labels[..., None]).squeeze(-1).mean(dim=1)
    assert np.allclose(h.loss[-1], expected.numpy(), atol=1e-5)


def test_parity_gradient_deviation_sizes_and_values():
    d = 4
    model = nets.mlp([d, 6, 1], init="normal", seed=3, dtype=torch.float64)
    sizes, dev = failures.parity_gradient_deviation(model, d)
    grads, G2 = failures.parity_gradients(model, d)
    assert grads.shape == (16, sum(p.numel() for p in model.parameters()))
    assert G2 > 0 and sizes.tolist()[:4] == [0, 1, 1, 2] and sizes[-1] == 4
    mean = grads.mean(0)
    assert dev[5] == pytest.approx(float((grads[5] - mean).norm() / mean.norm()))
    assert (dev >= 0).all()


# ----------------------------------------------------------------------------- tuple of line images


def test_random_signs_are_balanced_and_reject_bad_arguments():
    z = failures.random_signs((4, 1000), torch.Generator().manual_seed(0))
    assert z.shape == (4, 1000) and set(z.unique().tolist()) == {-1.0, 1.0}
    assert abs(float(z.mean())) < 0.05   # sd of the mean 0.016
    assert failures.random_signs((3,), torch.Generator().manual_seed(0)).shape == (3,)
    with pytest.raises(ValueError, match="shape"):
        failures.random_signs((), torch.Generator())
    with pytest.raises(ValueError, match="generator"):
        failures.random_signs((3,), 0)


def test_line_images_draw_one_line_whose_angle_gives_the_bit():
    X, bits = failures.line_images(200, size=14, seed=1)
    assert X.shape == (200, 196) and bits.shape == (200,)
    assert set(X.unique().tolist()) <= {0.0, 1.0} and set(bits.unique().tolist()) == {-1.0, 1.0}
    assert X.sum(dim=1).min() >= 10   # a line crosses the image
    # the bit is the sign of the slope: fit the lit pixels' rows against their columns
    img = X.reshape(200, 14, 14)
    for i in range(20):
        r, c = torch.nonzero(img[i], as_tuple=True)
        cov = ((c - c.float().mean()) * (-(r - r.float().mean()))).float().mean()
        assert torch.sign(cov) == bits[i]
    assert torch.equal(failures.line_images(5, seed=1)[0], failures.line_images(5, seed=1)[0])
    with pytest.raises(ValueError, match="size"):
        failures.line_images(5, size=3)


def test_tuple_learners_shapes_snr_and_training(one_thread):
    L = failures.TupleLearners(2, members=2, seed=0)
    X, bits = L.sample(64, torch.Generator().manual_seed(0))
    assert X.shape == (64, 2, 196) and bits.shape == (64, 2)
    assert L.scores(X).shape == (4, 64, 2) and L(X).shape == (4, 64, 1)
    assert torch.equal(L.scores(X)[:2], L.scores(X)[2:])     # both approaches start alike
    assert L.losses((X, bits)).shape == (4,) and L.accuracy(X, bits).shape == (4,)
    snr, floor = L.gradient_snr(*L.sample(2000, torch.Generator().manual_seed(1)))
    assert snr.shape == floor.shape == (4,) and (floor > 0).all()
    assert (snr[2:] > floor[2:]).all()                         # decomposition: a clear signal
    with pytest.raises(ValueError, match="X must have shape"):
        L.gradient_snr(X[:, :1], bits)
    h = failures.train_tuples(1, members=2, steps=150, record_every=50, test_size=300)
    assert h.metrics["accuracy"].shape == (4, 4) and h.metrics["accuracy"][-1].min() >= 0.9
