import numpy as np
import pytest
import torch

from deepwhy import backprop as bp
from deepwhy import nets

ACTS = ["sigmoid", "tanh", "relu", "identity"]


def _torch_grads(sizes, activation, seed, X, targets, loss):
    """Gradients by torch.autograd through nets.mlp (nn.Linear stores W transposed)."""
    net = nets.mlp(sizes, activation=activation, seed=seed, dtype=torch.float64)
    Xt = torch.tensor(X, requires_grad=True)
    out = net(Xt)
    if loss == "mse":
        value = torch.mean((out - torch.tensor(targets)) ** 2)
    else:
        value = torch.nn.functional.cross_entropy(out, torch.tensor(targets))
    value.backward()
    linears = [m for m in net if isinstance(m, torch.nn.Linear)]
    grads = [(m.weight.grad.T.numpy(), m.bias.grad.numpy()) for m in linears]
    return value.item(), out.detach().numpy(), grads, Xt.grad.numpy()


def _data(sizes, n, loss, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, sizes[0]))
    if loss == "mse":
        return X, rng.normal(size=(n, sizes[-1]))
    return X, rng.integers(0, sizes[-1], size=n)


def test_params_are_float64_fan_in_by_fan_out_and_match_nets_mlp():
    m = bp.MLP([3, 5, 2], seed=4)
    net = nets.mlp([3, 5, 2], seed=4, dtype=torch.float64)
    linears = [x for x in net if isinstance(x, torch.nn.Linear)]
    assert [(W.shape, b.shape) for W, b in m.params] == [((3, 5), (5,)), ((5, 2), (2,))]
    for (W, b), lin in zip(m.params, linears):
        assert W.dtype == np.float64 and b.dtype == np.float64
        np.testing.assert_array_equal(W, lin.weight.detach().T.numpy())
        np.testing.assert_array_equal(b, lin.bias.detach().numpy())


@pytest.mark.parametrize("activation", ACTS)
@pytest.mark.parametrize("sizes,loss", [([5, 7, 1], "mse"), ([4, 6, 6, 6, 3], "mse"),
                                        ([3, 5, 5, 4], "cross_entropy"), ([2, 1], "mse")])
def test_rules_match_torch_autograd_to_1e10(activation, sizes, loss):
    for seed in range(3):
        X, T = _data(sizes, 16, loss, seed)
        m = bp.MLP(sizes, activation, seed=seed)
        value, grads = bp.gradient(m, X, T, loss)
        t_value, t_out, t_grads, t_dX = _torch_grads(sizes, activation, seed, X, T, loss)
        np.testing.assert_allclose(m.A[-1], t_out, rtol=1e-12, atol=1e-14)
        assert abs(value - t_value) < 1e-12
        assert len(grads) == len(m.params)
        for (dW, db), (W, b), (tW, tb) in zip(grads, m.params, t_grads):
            assert dW.shape == W.shape and db.shape == b.shape
            np.testing.assert_allclose(dW, tW, rtol=1e-10, atol=1e-14)
            np.testing.assert_allclose(db, tb, rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(m.dX, t_dX, rtol=1e-10, atol=1e-14)
        assert bp.relative_error(grads, t_grads) < 1e-10


@pytest.mark.parametrize("activation", ACTS)
def test_autograd_helper_and_finite_differences_agree_with_rules(activation):
    X, T = _data([5, 7, 1], 16, "mse", 3)
    m = bp.MLP([5, 7, 1], activation, seed=5)
    value, grads = bp.gradient(m, X, T)
    a_value, a_grads = bp.autograd_gradient(m, X, T)
    assert abs(value - a_value) < 1e-12
    assert bp.relative_error(grads, a_grads) < 1e-12
    fd = bp.numerical_gradient(lambda: bp.loss_of(m, X, T), m.params)
    assert bp.relative_error(grads, fd) < 1e-6


def test_numerical_gradient_calls_f_twice_per_parameter_and_restores_params():
    m = bp.MLP([3, 4, 2], "tanh", seed=0)
    X, T = _data([3, 4, 2], 5, "mse", 0)
    before = [(W.copy(), b.copy()) for W, b in m.params]
    calls = []

    def f():
        calls.append(1)
        return bp.loss_of(m, X, T)

    fd = bp.numerical_gradient(f, m.params)
    assert len(calls) == 2 * nets.n_parameters([3, 4, 2])
    assert [(g.shape, h.shape) for g, h in fd] == [(W.shape, b.shape) for W, b in m.params]
    for (W, b), (W0, b0) in zip(m.params, before):
        np.testing.assert_array_equal(W, W0)
        np.testing.assert_array_equal(b, b0)


def test_numerical_gradient_of_a_quadratic_over_plain_arrays():
    a, c = np.array([1.0, -2.0, 3.0]), np.array([[0.5, 4.0]])
    fd = bp.numerical_gradient(lambda: np.sum(a ** 2) + np.sum(c ** 3), [a, c])
    np.testing.assert_allclose(fd[0], 2 * a, rtol=1e-8)
    np.testing.assert_allclose(fd[1], 3 * c ** 2, rtol=1e-8)


@pytest.mark.parametrize("args,match", [
    (("not callable", [np.zeros(2)]), "f must be"),
    ((lambda: 0.0, [np.zeros(2, dtype=np.int64)]), "float64"),
    ((lambda: 0.0, [[1.0, 2.0]]), "float64"),
])
def test_numerical_gradient_rejects_bad_arguments(args, match):
    with pytest.raises(ValueError, match=match):
        bp.numerical_gradient(*args)


def test_numerical_gradient_rejects_bad_eps():
    with pytest.raises(ValueError, match="eps"):
        bp.numerical_gradient(lambda: 0.0, [np.zeros(2)], eps=0)


@pytest.mark.parametrize("kwargs,match", [
    (dict(sizes=[3]), "sizes"), (dict(sizes=[3, 0, 1]), "sizes"), (dict(sizes="abc"), "sizes"),
    (dict(sizes=[3, 2], activation="gelu"), "activation"), (dict(sizes=[3, 2], seed=-1), "seed"),
])
def test_mlp_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        bp.MLP(**kwargs)


def test_forward_and_backward_reject_bad_shapes_and_order():
    m = bp.MLP([3, 4, 2])
    with pytest.raises(ValueError, match="call forward"):
        m.backward(np.zeros((5, 2)))
    for bad in (np.zeros((5, 4)), np.zeros(3), np.zeros((2, 3, 3))):
        with pytest.raises(ValueError, match=r"X must have shape \(n, 3\)"):
            m.forward(bad)
    m.forward(np.zeros((5, 3)))
    with pytest.raises(ValueError, match=r"dY must have the output's shape \(5, 2\)"):
        m.backward(np.zeros((5, 1)))


def test_backward_can_be_called_twice_and_forward_resets_errors():
    m = bp.MLP([3, 4, 2], "relu", seed=1)
    X = np.random.default_rng(0).normal(size=(6, 3))
    m.forward(X)
    g1 = m.backward(np.ones((6, 2)))
    g2 = m.backward(np.ones((6, 2)))
    assert bp.relative_error(g1, g2) == 0.0
    assert [d.shape for d in m.dZ] == [(6, 4), (6, 2)]
    m.forward(X)
    assert m.dZ is None and m.dA is None


def test_losses_match_torch_and_softmax_is_stable():
    rng = np.random.default_rng(0)
    Y, T = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    value, dY = bp.mse(Y, T)
    Yt = torch.tensor(Y, requires_grad=True)
    torch.mean((Yt - torch.tensor(T)) ** 2).backward()
    np.testing.assert_allclose(dY, Yt.grad.numpy(), rtol=1e-12)
    logits, labels = rng.normal(size=(5, 4)) * 1000, rng.integers(0, 4, 5)
    value, dY = bp.softmax_cross_entropy(logits, labels)
    Yt = torch.tensor(logits, requires_grad=True)
    loss = torch.nn.functional.cross_entropy(Yt, torch.tensor(labels))
    loss.backward()
    assert np.isfinite(value) and abs(value - loss.item()) < 1e-9
    np.testing.assert_allclose(dY, Yt.grad.numpy(), atol=1e-12)


@pytest.mark.parametrize("Y,labels,match", [
    (np.zeros((3, 2)), np.array([0, 1]), "labels"), (np.zeros((3, 2)), np.array([0, 1, 2]), "labels"),
    (np.zeros((3, 2)), np.array([0.0, 1.0, 1.0]), "labels"), (np.zeros(3), np.array([0, 1, 1]), "Y"),
])
def test_cross_entropy_rejects_bad_labels(Y, labels, match):
    with pytest.raises(ValueError, match=match):
        bp.softmax_cross_entropy(Y, labels)


def test_mse_and_gradient_reject_bad_arguments():
    with pytest.raises(ValueError, match="T must have"):
        bp.mse(np.zeros((3, 1)), np.zeros(3))
    with pytest.raises(ValueError, match="loss"):
        bp.gradient(bp.MLP([2, 1]), np.zeros((1, 2)), np.zeros((1, 1)), loss="hinge")


def test_relative_error():
    assert bp.relative_error([np.array([1.0, 2.0])], [np.array([1.0, 2.2])]) == pytest.approx(0.1 / 1.1)
    assert bp.relative_error(np.zeros(3), np.zeros(3)) == 0.0
    with pytest.raises(ValueError, match="same number"):
        bp.relative_error(np.zeros(3), np.zeros(4))


def test_mlp_leaves_global_random_state_alone():
    np.random.seed(0)
    torch.manual_seed(0)
    a = (np.random.rand(), torch.rand(1).item())
    np.random.seed(0)
    torch.manual_seed(0)
    bp.MLP([4, 8, 1], seed=3)
    assert (np.random.rand(), torch.rand(1).item()) == a


def test_shape_trace_reads_the_articles_picture():
    m = bp.MLP([3, 5, 5, 2], "relu", seed=0)
    X = np.random.default_rng(0).random((128, 3))
    with pytest.raises(ValueError, match="forward and a backward"):
        bp.shape_trace(m, [])
    _, grads = bp.gradient(m, X, np.zeros(128, dtype=int), "cross_entropy")
    forward, backward = bp.shape_trace(m, grads)
    assert forward[0].split() == ["layer", "F1:", "A", "@", "W", "->", "Z", "F2:", "f(Z)", "->", "A"]
    assert forward[1].split() == ["1", "128×3", "@", "3×5", "->", "128×5", "relu(128×5)", "->", "128×5"]
    assert forward[-1].split() == ["3", "128×5", "@", "5×2", "->", "128×2", "output"]
    assert backward[1].split()[:3] == ["3", "128×2,", "no"]
    assert backward[-1].split() == ["1", "128×5", "*", "128×5", "->", "128×5", "(128×3)ᵀ", "@", "128×5",
                                    "->", "3×5", "128×5", "@", "5×3", "->", "128×3"]
    assert len(forward) == len(backward) == 4
    assert len({line.index("G:") for line in backward[:1]} | {line.index("(1") for line in backward[1:]}) == 1
    with pytest.raises(ValueError, match="one \\(dW, db\\) per layer"):
        bp.shape_trace(m, grads[:1])


@pytest.mark.parametrize("activation", ACTS)
@pytest.mark.parametrize("sizes,loss", [([5, 7, 1], "mse"), ([3, 5, 5, 4], "cross_entropy"), ([2, 1], "mse")])
def test_forward_mode_gradient_matches_reverse_mode_to_1e10(activation, sizes, loss):
    for seed in range(2):
        X, T = _data(sizes, 16, loss, seed)
        m = bp.MLP(sizes, activation, seed=seed)
        value, grads = bp.gradient(m, X, T, loss)
        f_value, f_grads = bp.forward_mode_gradient(m, X, T, loss)
        assert abs(value - f_value) < 1e-12
        for (dW, db), (fW, fb) in zip(grads, f_grads):
            assert fW.shape == dW.shape and fb.shape == db.shape
        assert bp.relative_error(grads, f_grads) < 1e-10


def test_jvp_is_the_gradient_dotted_with_the_direction():
    X, T = _data([4, 6, 6, 2], 8, "mse", 1)
    m = bp.MLP([4, 6, 6, 2], "tanh", seed=1)
    value, grads = bp.gradient(m, X, T)
    rng = np.random.default_rng(0)
    tangent = [(rng.normal(size=W.shape), rng.normal(size=b.shape)) for W, b in m.params]
    j_value, slope = bp.jvp(m, X, T, tangent)
    expected = sum(np.sum(dW * tW) + np.sum(db * tb) for (dW, db), (tW, tb) in zip(grads, tangent))
    assert j_value == pytest.approx(value, abs=1e-12)
    assert slope == pytest.approx(expected, rel=1e-10)
    before = [(W.copy(), b.copy()) for W, b in m.params]
    bp.jvp(m, X, T, tangent)
    for (W, b), (W0, b0) in zip(m.params, before):
        np.testing.assert_array_equal(W, W0)
        np.testing.assert_array_equal(b, b0)


def test_jvp_rejects_bad_arguments():
    X, T = _data([3, 4, 1], 5, "mse", 0)
    m = bp.MLP([3, 4, 1], seed=0)
    good = [(np.zeros_like(W), np.zeros_like(b)) for W, b in m.params]
    with pytest.raises(ValueError, match="tangent"):
        bp.jvp(m, X, T, good[:1])
    with pytest.raises(ValueError, match="tangent"):
        bp.jvp(m, X, T, [(np.zeros((4, 3)), good[0][1]), good[1]])
    with pytest.raises(ValueError, match="loss"):
        bp.jvp(m, X, T, good, loss="hinge")
    with pytest.raises(ValueError, match="X must have shape"):
        bp.jvp(m, X[:, :2], T, good)
