import pytest
import torch
import torch.nn.functional as F

from deepwhy import data, lenet, nets, train


def _member_forward(model, m, X):
    """Member m of an EnsembleLeNet, written as an ordinary (ungrouped) CNN."""
    c1 = model.conv1_w.shape[0] // model.members
    c2 = model.conv2_w.shape[0] // model.members
    h = X.reshape(-1, 1, model.side, model.side)
    h = F.max_pool2d(torch.relu(F.conv2d(h, model.conv1_w[m * c1:(m + 1) * c1],
                                         model.conv1_b[m * c1:(m + 1) * c1], padding=1)), 2)
    h = F.max_pool2d(torch.relu(F.conv2d(h, model.conv2_w[m * c2:(m + 1) * c2],
                                         model.conv2_b[m * c2:(m + 1) * c2], padding=1)), 2)
    return h.flatten(1) @ model.out_w[m] + model.out_b[m]


def test_each_member_is_an_independent_cnn():
    model = lenet.EnsembleLeNet(3, channels=(4, 6), seed=1)
    X = torch.rand(5, 64, generator=torch.Generator().manual_seed(0))
    out = model(X)
    assert out.shape == (3, 5, 10)
    for m in range(3):
        torch.testing.assert_close(out[m], _member_forward(model, m, X))
    per_member = model(torch.stack([X, X.flip(0), X]))
    torch.testing.assert_close(per_member[1], _member_forward(model, 1, X.flip(0)))


def test_members_get_only_their_own_gradient():
    model = lenet.EnsembleLeNet(2, channels=(2, 2), seed=0)
    X = torch.rand(4, 64, generator=torch.Generator().manual_seed(1))
    model(X)[0].sum().backward()  # a loss that depends on member 0 only
    assert model.out_w.grad[1].abs().max() == 0 and model.out_w.grad[0].abs().max() > 0
    assert model.conv1_w.grad[2:].abs().max() == 0


def test_lenet_is_seeded():
    a, b = lenet.EnsembleLeNet(2, seed=3), lenet.EnsembleLeNet(2, seed=3)
    assert torch.equal(a.conv2_w, b.conv2_w)
    assert not torch.equal(a.conv2_w, lenet.EnsembleLeNet(2, seed=4).conv2_w)


@pytest.mark.parametrize("kwargs, word", [({"members": 0}, "members"), ({"channels": (4,)}, "channels"),
                                          ({"side": 6}, "side"), ({"classes": 1}, "classes")])
def test_lenet_rejects_bad_arguments(kwargs, word):
    with pytest.raises(ValueError, match=word):
        lenet.EnsembleLeNet(**({"members": 2} | kwargs))


def test_lenet_rejects_bad_input_shapes():
    model = lenet.EnsembleLeNet(2)
    with pytest.raises(ValueError, match="X"):
        model(torch.zeros(3, 63))
    with pytest.raises(ValueError, match="members"):
        model(torch.zeros(3, 4, 64))


def test_n_multiply_adds():
    assert lenet.n_multiply_adds(nets.EnsembleMLP([64, 10], members=1)) == 640
    cnn = lenet.EnsembleLeNet(1, channels=(16, 32))
    assert lenet.n_multiply_adds(cnn) == 8 * 8 * 16 * 9 + 4 * 4 * 32 * 16 * 9 + 32 * 4 * 10
    with pytest.raises(ValueError, match="model"):
        lenet.n_multiply_adds(torch.nn.Linear(2, 2))


def test_nested_subsets_are_nested_and_seeded():
    subs = lenet.nested_subsets(100, [10, 30], splits=2, seed=0)
    assert [len(s) for s in subs] == [10, 10, 30, 30]
    assert set(subs[0].tolist()) <= set(subs[2].tolist())
    assert not torch.equal(subs[0], subs[1])
    assert all(torch.equal(a, b) for a, b in zip(subs, lenet.nested_subsets(100, [10, 30], 2, seed=0)))
    with pytest.raises(ValueError, match="sizes"):
        lenet.nested_subsets(10, [20])


def test_subset_batches_draw_from_each_members_subset():
    X = torch.arange(20.0).unsqueeze(1)
    y = torch.arange(20)
    subsets = [torch.tensor([0, 1, 2]), torch.tensor([10, 11, 12, 13, 14])]
    batch = lenet.subset_batches(X, y, subsets, batch_size=50, seed=0)
    Xb, yb = batch(1)
    assert Xb.shape == (2, 50, 1) and yb.shape == (2, 50)
    assert set(yb[0].tolist()) == {0, 1, 2} and set(yb[1].tolist()) == {10, 11, 12, 13, 14}
    with pytest.raises(ValueError, match="subsets"):
        lenet.subset_batches(X, y, [])


def test_digits_split_is_disjoint_seeded_and_scaled():
    Xp, yp, Xt, yt = data.digits(n_test=300, seed=0)
    assert Xp.shape == (1497, 64) and Xt.shape == (300, 64) and yt.dtype == torch.int64
    assert 0 <= Xp.min() and Xp.max() <= 1
    again = data.digits(n_test=300, seed=0)
    assert torch.equal(again[3], yt)
    with pytest.raises(ValueError, match="n_test"):
        data.digits(n_test=5000)


def test_an_ensemble_lenet_learns_digits_through_train_fit():
    Xp, yp, Xt, yt = data.digits(seed=1)
    subs = lenet.nested_subsets(len(Xp), [200], splits=2, seed=0)
    model = lenet.EnsembleLeNet(2, channels=(4, 8), seed=0)
    train.fit(model, lenet.subset_batches(Xp, yp, subs, 32, seed=0), loss="cross_entropy",
              optimizer="adam", lr=1e-2, steps=60, progress=False)
    assert (train.accuracy(model(Xt), yt) > 0.5).all()
