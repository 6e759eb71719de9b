import numpy as np
import pytest
import torch

from deepwhy import data, nets, train


def test_fit_single_model_learns_xor_and_records():
    X, y = data.xor()
    net = nets.mlp([2, 8, 1], "tanh", seed=0)
    hist = train.fit(net, X, y, loss="bce", optimizer="adam", lr=0.05, steps=400, record_every=50,
                     metrics={"acc": lambda m: train.accuracy(m(X), y)}, progress=False)
    assert hist.steps.tolist() == [0, 50, 100, 150, 200, 250, 300, 350, 400]
    assert hist.loss.shape == (9,)
    assert hist.loss[-1] < 0.05 < hist.loss[0]
    assert hist.final("acc") == 1.0
    with pytest.raises(ValueError, match="one of"):
        hist.final("nope")


@pytest.mark.parametrize("opt", ["sgd", "adam"])
def test_ensemble_member_trains_exactly_like_it_would_alone(opt):
    torch.manual_seed(0)
    X = torch.randn(32, 3, dtype=torch.float64)
    y = torch.randn(32, 2, dtype=torch.float64)
    ens = nets.EnsembleMLP([3, 6, 2], members=5, activation="tanh", seed=3, dtype=torch.float64)
    alone = [ens.member(i) for i in range(5)]
    hist = train.fit(ens, X, y, loss="mse", optimizer=opt, lr=0.05, steps=100, batch_size=8, seed=1, progress=False)
    assert hist.loss.shape == (101, 5)
    for i in (0, 4):
        h = train.fit(alone[i], X, y, loss="mse", optimizer=opt, lr=0.05, steps=100, batch_size=8, seed=1, progress=False)
        trained = ens.member(i)
        for p, q in zip(trained.parameters(), alone[i].parameters()):
            assert torch.allclose(p, q, atol=1e-10, rtol=0)
        np.testing.assert_allclose(hist.loss[:, i], h.loss, atol=1e-10)


def test_ensemble_float32_within_1e5():
    X, y = data.xor()
    ens = nets.EnsembleMLP([2, 8, 1], members=3, activation="sigmoid", seed=0)
    single = ens.member(2)
    train.fit(ens, X, y, loss="bce", optimizer="adam", lr=0.01, steps=100, progress=False)
    train.fit(single, X, y, loss="bce", optimizer="adam", lr=0.01, steps=100, progress=False)
    for p, q in zip(ens.member(2).parameters(), single.parameters()):
        assert (p - q).abs().max() < 1e-5


def test_fit_takes_per_member_class_labels():
    # member i learns its own labelling of the same 12 points, with minibatches
    g = torch.Generator().manual_seed(0)
    X = torch.randn(12, 2, generator=g, dtype=torch.float64)
    labels = torch.randint(0, 3, (2, 12), generator=g)
    ens = nets.EnsembleMLP([2, 8, 3], members=2, activation="tanh", seed=1, dtype=torch.float64)
    alone = ens.member(1)
    train.fit(ens, X, labels, loss="cross_entropy", optimizer="adam", lr=0.05, steps=30, batch_size=5,
              progress=False)
    train.fit(alone, X, labels[1], loss="cross_entropy", optimizer="adam", lr=0.05, steps=30, batch_size=5,
              progress=False)
    for p, q in zip(ens.member(1).parameters(), alone.parameters()):
        assert torch.allclose(p, q, atol=1e-10, rtol=0)
    with pytest.raises(ValueError, match="same number of examples"):
        train.fit(ens, X, labels[:, :10], loss="cross_entropy", steps=1, progress=False)


def test_losses_per_member_and_shared_targets():
    pred = torch.tensor([[[1.0], [3.0]], [[0.0], [0.0]]])  # 2 members, 2 points
    y = torch.tensor([[1.0], [1.0]])
    assert train.loss_per_member("mse", pred, y).tolist() == [2.0, 1.0]
    assert train.loss_per_member("hinge", pred, y).tolist() == [0.0, 1.0]
    logits = torch.zeros(2, 3, 4)
    labels = torch.tensor([0, 1, 3])
    ce = train.loss_per_member("cross_entropy", logits, labels)
    torch.testing.assert_close(ce, torch.full((2,), float(np.log(4))))
    with pytest.raises(ValueError, match="loss"):
        train.loss_per_member("l7", pred, y)


def test_accuracy_rules():
    assert train.accuracy(torch.tensor([[0.3], [-2.0]]), torch.tensor([[1.0], [0.0]])).item() == 1.0
    assert train.accuracy(torch.tensor([[0.3], [-2.0]]), torch.tensor([[1.0], [-1.0]])).item() == 1.0
    assert train.accuracy(torch.tensor([[0.7, 0.2], [0.1, 0.9]]), torch.tensor([0, 0])).item() == 0.5
    acc = train.accuracy(torch.tensor([[[0.9]], [[0.1]]]), torch.tensor([[1.0]]), threshold=0.5)
    assert acc.tolist() == [1.0, 0.0]


def test_online_batches_and_custom_loss():
    net = nets.mlp([1, 1], "identity", seed=0)
    g = torch.Generator().manual_seed(0)

    def batch(step):
        x = torch.randn(16, 1, generator=g)
        return x, 3 * x

    hist = train.fit(net, batch, loss=lambda p, t: ((p - t) ** 2).mean(), optimizer="sgd", lr=0.1,
                     steps=200, record_every=100, progress=False)
    assert hist.steps.tolist() == [100, 200]
    assert abs(net[0].weight.item() - 3) < 1e-3


@pytest.mark.parametrize("kwargs, match", [
    (dict(steps=-1), "steps"), (dict(optimizer="lbfgs"), "optimizer"), (dict(lr=0), "lr"),
    (dict(batch_size=0), "batch_size"), (dict(loss="l3"), "loss"),
])
def test_fit_rejects_bad_arguments(kwargs, match):
    X, y = data.xor()
    with pytest.raises(ValueError, match=match):
        train.fit(nets.mlp([2, 2, 1]), X, y, progress=False, **kwargs)


def test_fit_rejects_mismatched_data():
    with pytest.raises(ValueError, match="same number"):
        train.fit(nets.mlp([2, 2, 1]), torch.zeros(4, 2), torch.zeros(3, 1), progress=False)


def test_progress_switch(monkeypatch):
    monkeypatch.setenv("DEEPWHY_PROGRESS", "0")
    assert not train.progress_enabled(None)
    assert train.progress_enabled(True)
    monkeypatch.setenv("DEEPWHY_PROGRESS", "1")
    assert train.progress_enabled(None)
    assert list(train.progress_bar(range(3), progress=False)) == [0, 1, 2]
