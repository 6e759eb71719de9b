import math

import pytest
import torch

from deepwhy import data, depth, nets, train


def test_four_state_encodings_and_targets():
    assert depth.four_state_inputs("number").flatten().tolist() == [0, 1, 2, 3]
    assert depth.four_state_inputs("features").tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    t = depth.four_state_targets()
    assert t["OR"].flatten().tolist() == [0, 1, 1, 1]
    assert t["XOR"].flatten().tolist() == [0, 1, 1, 0]
    assert t["x2"].flatten().tolist() == [0, 1, 0, 1]
    with pytest.raises(ValueError, match="encoding"):
        depth.four_state_inputs("one-hot")


def _hand_set(model, W1, b1, v, c=0.0):
    with torch.no_grad():
        model.weights[0][0] = torch.tensor(W1)
        model.biases[0][0, 0] = torch.tensor(b1)
        model.weights[1][0, :, 0] = torch.tensor(v)
        model.biases[1][0, 0, 0] = c


def test_unit_usage_by_hand():
    model = nets.EnsembleMLP([2, 3, 1], members=1, activation="identity")
    # unit 0 = x1 (std over the 4 corners 0.577), unit 1 = 2 x2, unit 2 constant
    _hand_set(model, [[1.0, 0.0, 0.0], [0.0, 2.0, 0.0]], [0.0, 0.0, 5.0], [1.0, 1.0, 100.0])
    X = depth.four_state_inputs("features")
    share = depth.unit_usage(model, X)[0]
    assert torch.allclose(share, torch.tensor([1 / 3, 2 / 3, 0.0]), atol=1e-6)


def test_unit_usage_rows_sum_to_one_and_silent_rows_are_zero():
    model = nets.EnsembleMLP([2, 4, 1], members=5, activation="tanh", seed=3)
    X = depth.four_state_inputs("features")
    share = depth.unit_usage(model, X)
    assert share.shape == (5, 4)
    assert torch.allclose(share.sum(1), torch.ones(5), atol=1e-6)
    with torch.no_grad():
        model.weights[1].zero_()
    assert torch.equal(depth.unit_usage(model, X), torch.zeros(5, 4))


def test_unit_usage_rejects_deep_models():
    with pytest.raises(ValueError, match="one hidden layer"):
        depth.unit_usage(nets.EnsembleMLP([2, 4, 4, 1], 2), torch.zeros(3, 2))


def test_l2_penalty_all_and_output():
    model = nets.EnsembleMLP([2, 3, 1], members=2, seed=1)
    all_ = depth.l2_penalty(model, "all")
    out = depth.l2_penalty(model, "output")
    assert torch.allclose(out, (model.weights[1] ** 2).sum((1, 2)))
    assert torch.allclose(all_, out + (model.weights[0] ** 2).sum((1, 2)))
    with pytest.raises(ValueError, match="layers"):
        depth.l2_penalty(model, "hidden")


def test_bit_states_and_index():
    s = depth.bit_states(3)
    assert s.shape == (8, 3)
    assert depth.state_index(s).tolist() == list(range(8))


def test_factorized_states_shapes_determinism_and_noise_free_patterns():
    P = depth.factor_patterns(3, 10, seed=7)
    assert P.shape == (3, 2, 10)
    assert torch.equal(P, depth.factor_patterns(3, 10, seed=7))
    X, bits = depth.factorized_states(depth.bit_states(3), 50, P, noise=0.0, seed=1)
    assert X.shape == (50, 30) and bits.shape == (50, 3)
    i = 7
    expected = torch.cat([P[f, bits[i, f]] for f in range(3)])
    assert torch.allclose(X[i], expected)
    X2, b2 = depth.factorized_states(depth.bit_states(3), 50, P, noise=0.5, seed=1)
    assert torch.equal(b2, bits) and not torch.allclose(X2, X)
    even = depth.bit_states(3)[[0, 3, 5, 6]]
    _, b3 = depth.factorized_states(even, 200, P, seed=2)
    assert set(depth.state_index(b3).tolist()) <= {0, 3, 5, 6}
    with pytest.raises(ValueError, match="states"):
        depth.factorized_states(depth.bit_states(2), 5, P)


def test_shared_chain_and_tree_compute_the_composition_of_g():
    net = depth.SharedModuleNet(members=2, hidden=4, structure="chain", seed=0)
    X = torch.randn(5, 3)

    def g(i, a, b):
        return net.g.member(i)(torch.stack([a, b], -1))[..., 0]

    out = net(X)
    assert out.shape == (2, 5, 1)
    for i in range(2):
        ref = g(i, g(i, X[:, 0], X[:, 1]), X[:, 2])
        assert torch.allclose(out[i, :, 0], ref, atol=1e-6)
    tree = depth.SharedModuleNet(members=1, hidden=4, structure="tree", seed=1)
    X4 = torch.randn(6, 4)
    ref = tree.g.member(0)
    left = ref(X4[:, :2])
    right = ref(X4[:, 2:])
    assert torch.allclose(tree(X4)[0], ref(torch.cat([left, right], 1)), atol=1e-6)
    with pytest.raises(ValueError, match="power of 2"):
        tree(torch.randn(3, 6))
    with pytest.raises(ValueError, match="structure"):
        depth.SharedModuleNet(2, structure="ring")


def test_hypercube_and_best_of_restarts():
    V = depth.hypercube(3)
    assert V.shape == (8, 3) and set(V.flatten().tolist()) == {-1.0, 1.0}
    values = torch.tensor([0.1, 0.2, 0.3, 0.4, 0.5, 0.6])
    loss = torch.tensor([3.0, 1.0, 2.0, 0.5, 9.0, 0.1])
    assert torch.allclose(depth.best_of_restarts(values, loss, 3), torch.tensor([0.2, 0.6]))
    with pytest.raises(ValueError, match="restarts"):
        depth.best_of_restarts(values, loss, 4)


def test_tree_and_additive_targets():
    X = torch.tensor([[0.5, -0.5, 0.2, 0.1]])
    h = depth.node_function
    a, b = torch.tensor(0.5), torch.tensor(-0.5)
    c, d = torch.tensor(0.2), torch.tensor(0.1)
    assert torch.allclose(depth.tree_target(X)[0, 0], h(h(a, b), h(c, d)))
    assert torch.allclose(depth.additive_target(X)[0, 0], 0.5 * torch.sin(2 * X).sum())
    assert depth.tree_target(torch.zeros(7, 8)).shape == (7, 1)
    with pytest.raises(ValueError, match="power of 2"):
        depth.tree_target(torch.zeros(2, 6))


def test_uniform_inputs_and_normalized_error():
    X = depth.uniform_inputs(1000, 3, seed=4)
    assert X.shape == (1000, 3) and X.min() >= -1 and X.max() <= 1
    assert torch.equal(X, depth.uniform_inputs(1000, 3, seed=4))
    y = torch.randn(50, 1)
    pred = torch.stack([y, torch.full_like(y, y.mean().item())])
    err = depth.normalized_error(pred, y)
    assert err[0] == 0 and abs(err[1].item() - 49 / 50) < 1e-5
    with pytest.raises(ValueError, match="members"):
        depth.normalized_error(y, y)


def test_sample_efficiency_learns_an_easy_target_and_picks_restarts():
    easy, zero = (lambda X: X[..., :1] * 0.5), (lambda X: 0 * X[..., :1])
    err, fit = depth.sample_efficiency(lambda m: nets.EnsembleMLP([2, 16, 1], m, activation="tanh"),
                                       easy, ns=[8, 64], seeds=2, restarts=2, d=2,
                                       steps=300, lr=1e-2, n_test=200, progress=False)
    assert err.shape == fit.shape == (1, 2, 2)
    assert (err[0, 1] < 0.05).all() and (fit[0, 0] < err[0, 0]).all()   # 8 points: fitted, not learned
    both, _ = depth.sample_efficiency(lambda m: nets.EnsembleMLP([2, 16, 1], m, activation="tanh"),
                                      [easy, easy], ns=[8, 64], seeds=2, restarts=2, d=2,
                                      steps=300, lr=1e-2, n_test=200, pad_ratio=1, progress=False)
    assert both.shape == (2, 2, 2) and (both[:, 1] < 0.05).all()
    assert depth._size_groups([64, 16, 256, 2048], 4) == [[1, 0], [2], [3]]
    with pytest.raises(ValueError, match="callables"):
        depth.sample_efficiency(None, depth.tree_target, [8])


def test_masked_mse_ignores_nan_targets():
    pred = torch.tensor([[[1.0], [2.0], [3.0]], [[0.0], [0.0], [0.0]]])
    y = torch.tensor([[[1.0], [0.0], [float("nan")]], [[1.0], [1.0], [1.0]]])
    assert torch.allclose(depth.masked_mse(pred, y), torch.tensor([2.0, 1.0]))
    pred.requires_grad_(True)
    depth.masked_mse(pred, y).sum().backward()
    assert torch.isfinite(pred.grad).all() and pred.grad[0, 2, 0] == 0


def test_sawtooth_has_2_to_the_depth_pieces():
    x = torch.linspace(0, 1, 4097)
    y = depth.sawtooth(x, 3)
    assert y.min() >= 0 and y.max() <= 1
    peaks = ((y[1:-1] > y[:-2]) & (y[1:-1] >= y[2:])).sum().item()
    assert peaks == 4  # 8 linear pieces = 4 teeth
    assert abs(y.var().item() - 1 / 12) < 1e-3


def test_grid_points():
    G = depth.grid_points(4, 2)
    assert G.shape == (16, 2) and G.min() == -1 and G.max() == 1
    assert len(torch.unique(G[:, 0])) == 4
    with pytest.raises(ValueError, match="k"):
        depth.grid_points(1)


def test_width_masked_members_only_use_their_units():
    model = depth._WidthMasked(2, [1, 3], seed=0)
    X = torch.randn(5, 2)
    out = model(X)
    out.sum().backward()
    assert model.net.weights[0].grad[0, :, 1:].abs().sum() == 0
    assert model.net.weights[1].grad[0, 1:].abs().sum() == 0
    assert model.net.weights[1].grad[1, :3].abs().sum() > 0


def test_memorization_accuracy_and_smallest_width():
    acc = depth.memorization_accuracy(3, widths=(1, 32), labelings=2, restarts=1, steps=400,
                                      progress=False)
    assert acc.shape == (2, 2)
    assert (acc[:, 1] == 1).all()  # 9 points, 32 units: memorized
    w = depth.smallest_width(torch.tensor([[0.5, 1.0, 1.0], [0.5, 0.7, 0.9]]), [2, 4, 8])
    assert w[0] == 4 and math.isnan(w[1].item())
    with pytest.raises(ValueError, match="accuracy"):
        depth.smallest_width(torch.ones(2, 2), [1, 2, 3])


def test_iterated_module_applies_g_repeatedly():
    net = depth.IteratedModule(members=2, hidden=3, times=3, seed=0)
    X = torch.rand(6, 1)
    g = net.g.member(1)
    assert torch.allclose(net(X)[1], g(g(g(X))), atol=1e-6)
    with torch.no_grad():  # g = the tent map: relu(2x) - relu(4x - 2)
        net.g.weights[0][0] = torch.tensor([[2.0, 4.0, 0.0]])
        net.g.biases[0][0, 0] = torch.tensor([0.0, -2.0, 0.0])
        net.g.weights[1][0, :, 0] = torch.tensor([1.0, -1.0, 0.0])
        net.g.biases[1][0, 0, 0] = 0.0
    x = torch.linspace(0, 1, 101).unsqueeze(1)
    assert torch.allclose(net(x)[0], depth.sawtooth(x, 3), atol=1e-5)
    with pytest.raises(ValueError, match="X must"):
        net(torch.rand(4, 2))


def test_unseen_state_accuracy_local_never_names_an_unseen_state():
    P = depth.factor_patterns(seed=7)
    states = depth.bit_states(3)
    even, odd = states[states.sum(1) % 2 == 0], states[states.sum(1) % 2 == 1]
    acc = depth.unseen_state_accuracy(even, odd, 100, P, seeds=2, steps=150)
    assert acc["local"].shape == (2,) and (acc["local"] == 0).all()
    assert (acc["distributed"] > 0.8).all()


def test_held_out_parity_shapes_and_a_learnable_case():
    chain = lambda m: depth.SharedModuleNet(m, hidden=8, structure="chain")
    out = depth.held_out_parity(chain, train_sizes=(2, 3), d=2, restarts=2, steps=200)
    assert set(out) == {2, 3} and out[2].shape == (6,) and out[3].shape == (4,)
    assert ((out[3] >= 0) & (out[3] <= 1)).all()
    with pytest.raises(ValueError, match="train_sizes"):
        depth.held_out_parity(chain, train_sizes=(8,), d=3)


def test_sawtooth_errors_shapes():
    fits = depth.sawtooth_errors(lambda m: nets.EnsembleMLP([1, 8, 1], m), ns=[4, 8], seeds=2,
                                 restarts=2, steps=50)
    assert fits["test"].shape == fits["train"].shape == fits["member"].shape == (2, 2)
    assert fits["model"](torch.zeros(3, 1)).shape == (8, 3, 1)
    assert (fits["member"] // 2 == torch.arange(4).reshape(2, 2)).all()   # one of each pair of restarts


def test_truth_table_frames_wrong_cells():
    import matplotlib

    matplotlib.use("Agg")
    from deepwhy import plots

    fig, ax = plots.figure()
    plots.truth_table(ax, [[0.1, 0.9], [0.6, 0.2]], [[0, 1], [0, 0]], ["a", "b"], ["t1", "t2"])
    frames = [p for p in ax.patches if not p.get_fill()]
    assert len(frames) == 1 and frames[0].get_xy() == (0 - 0.46, 1 - 0.46)
    assert len(ax.texts) == 4
    fig, ax = plots.figure()
    plots.truth_table(ax, [[0.5, 0.5]], [[0, 1]], ["a"], ["t1", "t2"])   # undecided: both framed
    assert len([p for p in ax.patches if not p.get_fill()]) == 2
    with pytest.raises(ValueError, match="row labels"):
        plots.truth_table(ax, [[0.1, 0.9]], [[0, 1]], ["a", "b"], ["t1", "t2"])


def test_xor_with_l2_configs_share_their_initializations():
    solved, shares = depth.xor_with_l2(width=3, l2=[0.0, 0.0], layers=["all", "output"], seeds=4, steps=200)
    assert solved.shape == (2, 4) and shares.shape == (2, 4, 3)
    assert torch.equal(shares[0], shares[1])   # zero penalty: same start, same run
    assert (shares[..., :-1] >= shares[..., 1:]).all()   # sorted, busiest first
    with pytest.raises(ValueError, match="same length"):
        depth.xor_with_l2(l2=[0.1, 0.2], layers=["all"])
    with pytest.raises(ValueError, match="l2"):
        depth.xor_with_l2(l2=-1.0)


def test_padded_widths_trains_each_block_as_its_narrow_net():
    X, y = data.xor()
    wide = depth.padded_widths([2, 3], members=4, seed=0)
    train.fit(wide, X, y, loss="bce", optimizer="sgd", lr=0.5, steps=50)
    for k, w in enumerate([2, 3]):
        narrow = nets.EnsembleMLP([2, w, 1], members=4, activation="tanh", seed=0)
        train.fit(narrow, X, y, loss="bce", optimizer="sgd", lr=0.5, steps=50)
        block = slice(4 * k, 4 * k + 4)
        torch.testing.assert_close(wide.weights[0][block, :, :w], narrow.weights[0])
        assert (wide.weights[0][block, :, w:] == 0).all() and (wide.weights[1][block, w:] == 0).all()
        torch.testing.assert_close(wide(X)[block], narrow(X))


@pytest.mark.parametrize("kwargs, match", [({"widths": []}, "widths"), ({"widths": [0, 2]}, "widths"),
                                           ({"activation": "sigmoid"}, "activation")])
def test_padded_widths_validates(kwargs, match):
    args = {"widths": [2, 3], "members": 2, **kwargs}
    with pytest.raises(ValueError, match=match):
        depth.padded_widths(**args)
