import pytest
import torch
from torch import nn

from deepwhy import nets


def test_mlp_structure_and_determinism():
    net = nets.mlp([2, 8, 1], "tanh", seed=4)
    assert isinstance(net, nn.Sequential)
    assert [type(m).__name__ for m in net] == ["Linear", "Activation", "Linear"]
    again = nets.mlp([2, 8, 1], "tanh", seed=4)
    for p, q in zip(net.parameters(), again.parameters()):
        assert torch.equal(p, q)
    other = nets.mlp([2, 8, 1], "tanh", seed=5)
    assert not torch.equal(net[0].weight, other[0].weight)


def test_mlp_default_init_matches_pytorch_bounds_and_scales():
    W = nets.mlp([100, 50, 1], seed=0)[0].weight
    assert W.abs().max() <= 1 / 10 and W.abs().max() > 0.09
    W10 = nets.mlp([100, 50, 1], seed=0, init_scale=10.0)[0].weight
    assert torch.allclose(W10, 10 * W)
    Wn = nets.mlp([400, 300, 1], seed=0, init="normal")[0].weight
    assert abs(Wn.std().item() - 1 / 20) < 0.002


def test_mlp_does_not_touch_global_random_state():
    torch.manual_seed(0)
    a = torch.rand(1)
    torch.manual_seed(0)
    nets.mlp([3, 4, 1], seed=9)
    assert torch.equal(torch.rand(1), a)


def test_n_parameters():
    assert nets.n_parameters([8, 200, 1]) == 2001
    assert nets.n_parameters([8, 32, 32, 32, 1]) == 2433
    assert nets.n_parameters([2, 3], bias=False) == 6


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_ensemble_members_start_equal_to_mlp_with_seed_plus_i(dtype):
    ens = nets.EnsembleMLP([3, 5, 4, 2], members=4, activation="sigmoid", seed=10, dtype=dtype)
    X = torch.randn(7, 3, dtype=dtype)
    out = ens(X)
    assert out.shape == (4, 7, 2)
    for i in range(4):
        ref = nets.mlp([3, 5, 4, 2], "sigmoid", seed=10 + i, dtype=dtype)
        torch.testing.assert_close(out[i], ref(X))
        torch.testing.assert_close(ens.member(i)(X), ref(X))


def test_ensemble_accepts_per_member_inputs_and_no_bias():
    ens = nets.EnsembleMLP([2, 3, 1], members=3, bias=False, seed=1)
    X = torch.randn(3, 5, 2)
    out = ens(X)
    for i in range(3):
        torch.testing.assert_close(out[i], ens.member(i)(X[i]))


def test_member_is_a_copy():
    ens = nets.EnsembleMLP([2, 3, 1], members=2)
    m = ens.member(0)
    with torch.no_grad():
        m[0].weight.add_(1.0)
    assert not torch.allclose(m[0].weight, ens.weights[0][0].T)


@pytest.mark.parametrize("kwargs, match", [
    (dict(sizes=[2, 3, 1], members=0), "members"),
    (dict(sizes=[2], members=2), "at least 2"),
    (dict(sizes=[2, 0, 1], members=2), "positive integers"),
    (dict(sizes=[2, -3, 1], members=2), "positive integers"),
    (dict(sizes=[2, 3, 1], members=2, activation="swishy"), "activation"),
    (dict(sizes=[2, 3, 1], members=2, init="xavier"), "init"),
    (dict(sizes=[2, 3, 1], members=2, init_scale=-1.0), "init_scale"),
])
def test_ensemble_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        nets.EnsembleMLP(**kwargs)


def test_ensemble_rejects_bad_inputs():
    ens = nets.EnsembleMLP([2, 3, 1], members=2)
    with pytest.raises(ValueError, match="last dimension"):
        ens(torch.zeros(4, 3))
    with pytest.raises(ValueError, match="first dimension"):
        ens(torch.zeros(3, 4, 2))
    with pytest.raises(ValueError, match="shape"):
        ens(torch.zeros(4))
    with pytest.raises(ValueError, match="in \\[0, 2\\)"):
        ens.member(2)


def test_register_activation():
    nets.register_activation("cube", lambda x: x ** 3)
    net = nets.mlp([1, 2, 1], "cube")
    assert net(torch.ones(1, 1)).shape == (1, 1)
    with pytest.raises(ValueError):
        nets.register_activation("", lambda x: x)
    with pytest.raises(ValueError):
        nets.register_activation("bad", 3)


def _grads(model, X, fused):
    """Output and gradients (parameters, then X) of a fixed scalar function of the ensemble."""
    model.fused = fused
    X = X.detach().clone().requires_grad_(True)
    out = model(X)
    weights = torch.linspace(-1, 1, out.numel(), dtype=out.dtype).reshape(out.shape)
    (out * weights).sum().backward()
    grads = [p.grad.clone() for p in model.parameters()] + [X.grad.clone()]
    model.zero_grad(set_to_none=True)
    return out.detach(), grads


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "identity"])
@pytest.mark.parametrize("sizes,shared,bias", [
    ([1, 16, 16, 1], True, True),   # the medium benchmark's shape: fan-in 1 first, fan-out 1 last
    ([3, 5, 4, 2], False, True),
    ([2, 8, 1], False, False),
    ([4, 1, 6, 3], True, False),    # a width-1 bottleneck in the middle
    ([5, 2], True, True),           # a single layer
])
def test_hand_written_backward_equals_autograd(activation, sizes, shared, bias):
    ens = nets.EnsembleMLP(sizes, 3, activation=activation, bias=bias, seed=2, dtype=torch.float64)
    g = torch.Generator().manual_seed(0)
    shape = (7, sizes[0]) if shared else (3, 7, sizes[0])
    X = torch.randn(*shape, generator=g, dtype=torch.float64)
    out_f, grads_f = _grads(ens, X, fused=True)
    out_a, grads_a = _grads(ens, X, fused=False)
    torch.testing.assert_close(out_f, out_a, rtol=1e-12, atol=1e-12)
    assert len(grads_f) == len(grads_a)
    for gf, ga in zip(grads_f, grads_a):
        assert gf.shape == ga.shape
        torch.testing.assert_close(gf, ga, rtol=1e-10, atol=1e-12)


def test_hand_written_backward_passes_gradcheck():
    ens = nets.EnsembleMLP([2, 4, 3, 1], 2, activation="tanh", seed=0, dtype=torch.float64)
    X = torch.randn(5, 2, dtype=torch.float64, requires_grad=True)
    params = [*ens.weights, *ens.biases]
    assert torch.autograd.gradcheck(lambda X, *p: nets._EnsembleForward.apply(X, "tanh", True, *p), (X, *params))


def test_other_activations_fall_back_to_autograd():
    ens = nets.EnsembleMLP([1, 8, 1], 2, activation="gelu")
    out = ens(torch.linspace(-1, 1, 5)[:, None])
    assert out.grad_fn is not None and "_EnsembleForward" not in type(out.grad_fn).__name__
