"""Tests of deepwhy.noise and of the data and plot helpers the randomness chapter appended."""
import math

import numpy as np
import pytest
import torch

from deepwhy import data, nets, noise, train

# --------------------------------------------------------------------------------------
# Information
# --------------------------------------------------------------------------------------


def test_mutual_information_of_perfect_useless_and_batched_channels():
    assert noise.mutual_information(5 * torch.eye(16)).item() == pytest.approx(4.0)
    assert noise.mutual_information(np.ones((3, 7))).item() == pytest.approx(0.0, abs=1e-12)
    P = np.array([[0.4, 0.1], [0.1, 0.4]])
    by_hand = sum(P[i, j] * math.log2(P[i, j] / 0.25) for i in range(2) for j in range(2))
    batch = noise.mutual_information(np.stack([P, np.eye(2) / 2, np.full((2, 2), 0.25)]))
    assert batch.shape == (3,)
    np.testing.assert_allclose(batch.numpy(), [by_hand, 1.0, 0.0], atol=1e-12)
    assert noise.mutual_information(100 * P).item() == pytest.approx(by_hand)  # counts or probabilities


@pytest.mark.parametrize("bad", [np.ones(4), -np.eye(2), np.zeros((2, 2)), [[1.0, float("nan")], [0, 1]]])
def test_mutual_information_rejects_bad_tables(bad):
    with pytest.raises(ValueError, match="joint"):
        noise.mutual_information(bad)


def test_confusion_matrix_counts_pairs_per_member():
    truth = torch.tensor([[0, 1, 2, 2], [1, 1, 0, 2]])
    guess = torch.tensor([[0, 1, 1, 2], [1, 0, 0, 2]])
    C = noise.confusion_matrix(truth, guess, 3)
    assert C.shape == (2, 3, 3)
    assert C[0].tolist() == [[1, 0, 0], [0, 1, 0], [0, 1, 1]]
    assert C[1].tolist() == [[1, 0, 0], [1, 1, 0], [0, 0, 1]]
    with pytest.raises(ValueError, match="same shape"):
        noise.confusion_matrix(truth, guess[:, :2], 3)
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        noise.confusion_matrix(truth, guess + 1, 3)


def test_gaussian_channel_capacity():
    assert noise.gaussian_channel_capacity(1.0) == pytest.approx(0.5)
    assert noise.gaussian_channel_capacity(0.5, power=3.0) == pytest.approx(0.5 * math.log2(13))
    np.testing.assert_allclose(noise.gaussian_channel_capacity([1.0, 1 / math.sqrt(3)]), [0.5, 1.0])
    with pytest.raises(ValueError, match="sigma"):
        noise.gaussian_channel_capacity([0.1, 0.0])
    with pytest.raises(ValueError, match="power"):
        noise.gaussian_channel_capacity(0.1, power=0)


def test_uniform_noise_information_matches_a_numerical_entropy():
    width, eps = 10.0, 0.7
    y = np.linspace(-eps, width + eps, 400_001)
    density = np.clip(np.minimum(y + eps, width + eps - y), 0, 2 * eps) / (2 * eps * width)
    inside = density > 0
    h_y = -np.trapezoid(np.where(inside, density * np.log2(np.where(inside, density, 1)), 0), y)
    assert noise.uniform_noise_information(eps, width) == pytest.approx(h_y - math.log2(2 * eps), abs=1e-6)
    assert noise.uniform_noise_information(0.01) == pytest.approx(math.log2(500) + 0.001 / math.log(2))
    with pytest.raises(ValueError, match="eps"):
        noise.uniform_noise_information(6.0)


def test_pi_digits():
    assert noise.pi_digits(30) == "314159265358979323846264338327"
    assert noise.pi_digits(1) == "3"
    mpmath = pytest.importorskip("mpmath")
    with mpmath.workdps(5010):
        reference = mpmath.nstr(mpmath.pi, 5005, strip_zeros=False).replace(".", "")
    assert noise.pi_digits(5000) == reference[:5000]
    with pytest.raises(ValueError, match="n must be"):
        noise.pi_digits(0)


def test_compressed_bits_per_symbol_and_matching_digits():
    assert noise.compressed_bits_per_symbol("01" * 5000) < 0.1
    rng = np.random.default_rng(0)
    assert noise.compressed_bits_per_symbol("".join(map(str, rng.integers(0, 10, 5000)))) > math.log2(10)
    with pytest.raises(ValueError, match="text"):
        noise.compressed_bits_per_symbol("")
    assert noise.matching_digits("3.14159", "3.14059") == 3
    assert noise.matching_digits("3.14159", "3.14159") == 6
    assert noise.matching_digits("3.1", "2.1") == 0
    with pytest.raises(ValueError, match="decimal string"):
        noise.matching_digits(3.14, "3.14")


# --------------------------------------------------------------------------------------
# Sampling
# --------------------------------------------------------------------------------------


def test_sample_categorical_follows_the_probabilities_and_the_seed():
    probs = torch.tensor([[0.7, 0.2, 0.1, 0.0], [0.0, 0.0, 0.5, 0.5]])
    torch.manual_seed(0)
    before = torch.rand(1)
    torch.manual_seed(0)
    draws = noise.sample_categorical(probs.log(), samples=20_000, seed=3)
    assert torch.equal(torch.rand(1), before)  # global generator untouched
    assert draws.shape == (2, 20_000) and draws.dtype == torch.int64
    freq = torch.stack([torch.bincount(d, minlength=4) for d in draws]).double() / 20_000
    np.testing.assert_allclose(freq.numpy(), probs.numpy(), atol=0.015)
    assert torch.equal(draws, noise.sample_categorical(probs.log(), samples=20_000, seed=3))
    assert noise.sample_categorical(torch.zeros(3, 5, 7)).shape == (3, 5, 1)
    with pytest.raises(ValueError, match="samples"):
        noise.sample_categorical(probs, samples=0)


def test_bins():
    edges = noise.bin_edges(-1.0, 1.0, 4)
    np.testing.assert_allclose(edges.numpy(), [-1, -0.5, 0, 0.5, 1])
    np.testing.assert_allclose(noise.bin_centers(edges).numpy(), [-0.75, -0.25, 0.25, 0.75])
    y = torch.tensor([-3.0, -0.9, -0.1, 0.1, 0.7, 5.0])
    assert noise.to_bins(y, edges).tolist() == [0, 0, 1, 2, 3, 3]
    with pytest.raises(ValueError, match="high"):
        noise.bin_edges(1.0, 1.0, 3)


# --------------------------------------------------------------------------------------
# Noisy layers
# --------------------------------------------------------------------------------------


def test_dropout_keeps_the_mean_and_drops_a_share_p_per_member():
    gen = torch.Generator().manual_seed(0)
    h = torch.rand(3, 400, 50) + 1
    p = torch.tensor([0.0, 0.3, 0.8]).view(3, 1, 1)
    out = noise.dropout(h, p, gen)
    assert torch.equal(out[0], h[0])
    for k, rate in [(1, 0.3), (2, 0.8)]:
        zero = out[k] == 0
        assert abs(zero.double().mean().item() - rate) < 0.02
        torch.testing.assert_close(out[k][~zero], h[k][~zero] / (1 - rate))
        assert abs(out[k].mean().item() / h[k].mean().item() - 1) < 0.03
    with pytest.raises(ValueError, match="p must"):
        noise.dropout(h, 1.0, gen)


def test_gaussian_dropout_has_the_mean_and_variance_of_dropout():
    gen = torch.Generator().manual_seed(1)
    h = torch.ones(200_000)
    out = noise.gaussian_dropout(h, math.sqrt(0.5 / 0.5), gen)
    assert abs(out.mean().item() - 1) < 0.01
    assert abs(out.var().item() - 1.0) < 0.02   # dropout 0.5 on ones: variance p/(1-p) = 1
    with pytest.raises(ValueError, match="std"):
        noise.gaussian_dropout(h, -0.1, gen)


def test_binarize_is_sign_forward_and_straight_through_backward():
    x = torch.tensor([-2.0, -0.5, 0.0, 0.3, 1.5], requires_grad=True)
    y = noise.binarize(x)
    assert y.tolist() == [-1, -1, 1, 1, 1]
    y.backward(torch.tensor([1.0, 2.0, 3.0, 4.0, 5.0]))
    assert x.grad.tolist() == [0, 2, 3, 4, 0]


def test_noisy_mlp_without_noise_or_in_eval_mode_is_the_ensemble():
    X = torch.randn(6, 3)
    plain = nets.EnsembleMLP([3, 5, 5, 2], members=4, seed=2)
    noisy = noise.NoisyMLP([3, 5, 5, 2], members=4, drop=[0, 0.5, 0, 0.2], gauss=[0, 0, 1.0, 0], seed=2)
    noisy.eval()
    torch.testing.assert_close(noisy(X), plain(X))
    noisy.train()
    out = noisy(X)
    torch.testing.assert_close(out[0], plain(X)[0])  # member 0 has no noise
    assert not torch.allclose(out[1:], plain(X)[1:])
    again = noise.NoisyMLP([3, 5, 5, 2], members=4, drop=[0, 0.5, 0, 0.2], gauss=[0, 0, 1.0, 0], seed=2)
    torch.testing.assert_close(again(X), out)  # the noise repeats with the seed


def test_noisy_mlp_additive_noise_is_zero_mean_and_off_in_eval():
    X = torch.randn(4, 3)
    plain = nets.EnsembleMLP([3, 6, 2], members=2, seed=1)
    noisy = noise.NoisyMLP([3, 6, 2], members=2, additive=[0.0, 0.5], seed=1)
    noisy.eval()
    torch.testing.assert_close(noisy(X), plain(X))
    noisy.train()
    torch.testing.assert_close(noisy(X)[0], plain(X)[0])  # member 0 has no noise
    # hidden h + 0.5·ε: the output moves by 0.5·ε·W, whose mean is 0 and spread as computed
    outs = torch.stack([noisy(X)[1] for _ in range(4000)]) - plain(X)[1]
    assert outs.mean(0).abs().max() < 0.05
    expected_std = 0.5 * noisy.weights[1][1].detach().norm(dim=0)   # per output
    torch.testing.assert_close(outs.std(0), expected_std.expand(4, -1), rtol=0.08, atol=0)


def test_delayed_sgd_steps_along_stale_gradients():
    w = torch.nn.Parameter(torch.zeros(2, 1))
    opt = noise.DelayedSGD([w], lr=1.0, max_delay=[0, 3], seed=0)
    for t in range(1, 30):
        w.grad = torch.full((2, 1), float(t))   # the gradient of step t is t
        before = w.detach().clone()
        opt.step()
        used = (before - w.detach())[:, 0]
        assert used[0] == t                       # member 0: plain SGD
        assert t - 3 <= used[1] <= t and used[1] >= 1   # member 1: at most 3 steps old
    # identical members get identical updates, whatever the delay (same draw per member)
    a = torch.nn.Parameter(torch.ones(3, 2))
    opt = noise.DelayedSGD([a], lr=0.1, max_delay=5, seed=1)
    for t in range(20):
        a.grad = torch.sin(a.detach() * t)
        opt.step()
    assert torch.equal(a[:, 0], a[:, 1])


@pytest.mark.parametrize("kwargs, match", [({"max_delay": -1}, "max_delay"), ({"max_delay": [1, 2, 3]}, "max_delay"),
                                           ({"max_delay": 1.5}, "max_delay"), ({"lr": 0}, "lr")])
def test_delayed_sgd_validates(kwargs, match):
    w = torch.nn.Parameter(torch.zeros(2, 3))
    args = {"lr": 0.1, **kwargs}
    with pytest.raises(ValueError, match=match):
        noise.DelayedSGD([w], **args)


def test_noisy_mlp_binary_members():
    X = torch.randn(5, 2)
    net = noise.NoisyMLP([2, 4, 4, 1], members=2, binary=[False, True], seed=0)
    net.eval()
    plain = nets.EnsembleMLP([2, 4, 4, 1], members=2, seed=0)
    torch.testing.assert_close(net(X)[0], plain(X)[0])
    W0, b0 = net.weights[0][1], net.biases[0][1]
    h = torch.where(X @ W0 + b0 >= 0, 1.0, -1.0)
    W1 = torch.where(net.weights[1][1] >= 0, 1.0, -1.0) / 2
    h = torch.where(h @ W1 + net.biases[1][1] >= 0, 1.0, -1.0)
    torch.testing.assert_close(net(X)[1], h @ net.weights[2][1] + net.biases[2][1])
    loss = net(X).sum()
    loss.backward()
    assert net.weights[0].grad[1].abs().sum() > 0  # real-valued gradients reach the first layer


@pytest.mark.parametrize("kwargs, match", [({"drop": 1.0}, "drop"), ({"drop": [0.1, 0.2]}, "drop"),
                                           ({"gauss": -1.0}, "gauss"), ({"additive": -0.5}, "additive"),
                                           ({"binary": [True, False]}, "binary"),
                                           ({"binary": 1}, "binary")])
def test_noisy_mlp_validates_noise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        noise.NoisyMLP([2, 3, 1], members=3, **kwargs)


def test_stochastic_depth_mlp():
    X = torch.randn(7, 2)
    net = noise.StochasticDepthMLP(2, 8, 3, depth=4, members=2, survival=[1.0, 0.5], seed=1)
    np.testing.assert_allclose(net.survival.numpy(), [[1, 1, 1, 1], [0.875, 0.75, 0.625, 0.5]])
    net.eval()
    out = net(X)
    assert out.shape == (2, 7, 3)
    torch.testing.assert_close(net(X), out)
    net.train()
    torch.testing.assert_close(net(X)[0], out[0])  # survival 1: training = eval
    outs = torch.stack([net(X)[1] for _ in range(20)])
    assert (outs - outs[0]).abs().max() > 0  # blocks are skipped at random
    alone = noise.StochasticDepthMLP(2, 8, 3, depth=4, members=1, survival=1.0, seed=1)
    alone.eval()
    torch.testing.assert_close(alone(X)[0], out[0])  # member i starts from seed + i
    with pytest.raises(ValueError, match="survival"):
        noise.StochasticDepthMLP(2, 8, 3, depth=4, members=2, survival=0.0)
    with pytest.raises(ValueError, match="X must"):
        net(torch.randn(7, 5))


def test_noisy_bottleneck_codes_channel_and_information():
    model = noise.NoisyBottleneck(symbols=4, members=3, sigma=[0.0, 10.0, 0.0], drop=[0.0, 0.0, 0.5], seed=0)
    S = torch.tensor([0, 1, 2, 3])
    z = model.code(S)
    assert z.shape == (3, 4, 1) and z.abs().max() <= 1
    model.eval()  # the channel stays noisy in eval mode
    assert not torch.allclose(model(S)[1], model(S)[1])
    assert model(S).shape == (3, 4, 4)
    with pytest.raises(ValueError, match="symbols"):
        model.code(torch.tensor([4]))
    with pytest.raises(ValueError, match="int64"):
        model.code(torch.tensor([0.0]))
    gen = torch.Generator().manual_seed(0)

    def batch(step):
        s = torch.randint(0, 4, (64,), generator=gen)
        return s, s

    train.fit(model, batch, loss="cross_entropy", optimizer="adam", lr=3e-2, steps=300, progress=False)
    bits, acc = noise.bottleneck_information(model, samples=4000, seed=1)
    assert bits.shape == acc.shape == (3,)
    assert bits[0] > 1.95 and acc[0] > 0.99        # noiseless: all 2 bits
    assert bits[1] < 0.2                            # sigma 10: almost nothing
    assert 0.7 < bits[2] < 1.1                      # erased half the time: about (1 - p) * 2 bits


def test_gaussian_kl_and_reparameterize():
    assert noise.gaussian_kl_bits(torch.zeros(3, 2), torch.zeros(3, 2)).tolist() == [0, 0, 0]
    mu, log_var = torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, math.log(0.25)]])
    nats = 0.5 * 1.0 + 0.5 * (0.25 - 1 - math.log(0.25))
    assert noise.gaussian_kl_bits(mu, log_var).item() == pytest.approx(nats / math.log(2))
    with pytest.raises(ValueError, match="same shape"):
        noise.gaussian_kl_bits(mu, log_var[:, :1])
    mu = torch.tensor([1.0, -2.0], requires_grad=True)
    log_var = torch.tensor([0.0, math.log(4.0)], requires_grad=True)
    z = noise.reparameterize(mu, log_var, torch.tensor([0.5, 1.0]))
    torch.testing.assert_close(z, torch.tensor([1.5, 0.0]), check_dtype=False)
    z.sum().backward()
    assert mu.grad.tolist() == [1, 1]
    torch.testing.assert_close(log_var.grad, torch.tensor([0.25, 1.0]))


def test_toy_vae_trains_and_beta_sets_the_rate():
    X = data.blob_ring(256, seed=0)
    vae = noise.ToyVAE(d=2, latent=2, hidden=16, members=2, beta=[0.1, 10.0], seed=0)
    mu, log_var = vae.posterior(X)
    assert mu.shape == log_var.shape == (2, 256, 2)
    assert vae(X).shape == (2, 256, 2)
    before = vae.loss(X).detach()
    final = noise.train_vae(vae, X, steps=300, batch_size=64, lr=1e-2, progress=False, seed=0)
    assert final.shape == (2,)
    assert bool((vae.loss(X).detach() < before).all())
    rate = vae.rate(X).detach()
    assert bool((rate >= 0).all()) and rate[0] > rate[1] + 2
    with pytest.raises(ValueError, match="beta"):
        noise.ToyVAE(members=2, beta=[1.0, 0.0])
    with pytest.raises(ValueError, match="X must"):
        noise.train_vae(vae, X[0], steps=1)


# --------------------------------------------------------------------------------------
# Exploration and symmetry
# --------------------------------------------------------------------------------------


def test_double_well():
    a = noise.double_well_offsets(50, scale=2.0, seed=1)
    assert a.shape == (50,) and abs(a.mean().item()) < 1e-12 and a.dtype == torch.float64
    x = torch.linspace(-2, 2, 40001, dtype=torch.float64)
    f = noise.double_well_loss(x)
    left, right = x[:20000][f[:20000].argmin()], x[20000:][f[20000:].argmin()]
    assert left.item() == pytest.approx(-1.047, abs=1e-3) and right.item() == pytest.approx(0.946, abs=1e-3)
    assert f[:20000].min() < f[20000:].min()  # the left minimum is the deeper one
    assert noise._double_well_barrier(0.1) == pytest.approx(0.1010, abs=1e-4)
    with pytest.raises(ValueError, match="tilt"):
        noise._double_well_barrier(1.0)


def test_minibatch_descent():
    run = noise.minibatch_descent([1, 100], runs=50, steps=1500, lr=0.05, record_every=100, seed=0)
    assert run.final.shape == run.crossed.shape == (2, 50)
    assert run.path.shape == (16, 2, 50)
    assert not run.crossed[1].any() and torch.allclose(run.final[1], torch.full((50,), 0.946, dtype=torch.float64),
                                                       atol=1e-3)
    assert run.crossed[0].double().mean() > 0.8
    settled = run.final[0]
    assert bool(((settled - 0.946).abs() < 1e-3).logical_or((settled + 1.047).abs() < 1e-3).all())
    same = noise.minibatch_descent([1, 100], runs=50, steps=1500, lr=0.05, seed=0)
    assert torch.equal(same.final, run.final) and same.path is None
    gauss = noise.minibatch_descent([1], runs=50, steps=1500, lr=0.05, gaussian=True, seed=0)
    assert gauss.crossed.double().mean() > 0.8
    with pytest.raises(ValueError, match="batch_sizes"):
        noise.minibatch_descent([200])
    with pytest.raises(ValueError, match="batch_sizes"):
        noise.minibatch_descent([])


def test_constant_init_and_hidden_unit_spread():
    net = nets.EnsembleMLP([2, 6, 1], members=3, activation="sigmoid", seed=0)
    noise.constant_init_(net, 0.3, members=[0, 2])
    assert bool((net.weights[0][0] == 0.3).all()) and bool((net.biases[1][2] == 0.3).all())
    spread = noise.hidden_unit_spread(net.weights[0], net.biases[0])
    assert spread[0] == 0 and spread[2] == 0 and spread[1] > 0
    X, y = data.xor()
    train.fit(net, X, y, loss="bce", optimizer="sgd", lr=0.5, steps=300, progress=False)
    spread = noise.hidden_unit_spread(net.weights[0], net.biases[0])
    assert spread[0] < 1e-6 and spread[2] < 1e-6  # equal units stay equal, up to float rounding
    with pytest.raises(ValueError, match="W must"):
        noise.hidden_unit_spread(torch.zeros(2, 3))
    with pytest.raises(ValueError, match="value"):
        noise.constant_init_(net, "0.3")


# --------------------------------------------------------------------------------------
# Data and plots appended for the chapter
# --------------------------------------------------------------------------------------


def test_go_first_moves():
    X, rows_cols, index = data.go_first_moves(n=10)
    assert X.shape == (10, 361) and not X.any()
    assert rows_cols[:4].tolist() == [[3, 3], [3, 15], [15, 3], [15, 15]]
    assert index.tolist()[:5] == [60, 72, 288, 300, 60]
    assert data.go_first_moves(n=40)[1].mean(0).tolist() == [9.0, 9.0]
    with pytest.raises(ValueError, match="moves"):
        data.go_first_moves(moves=[(0, 19)])


def test_two_branch_noisy_moons_blob_ring_and_random_labels():
    x, y = data.two_branch(n=300, noise=0.0, seed=1)
    assert x.shape == y.shape == (300, 1)
    torch.testing.assert_close(y.abs(), data.two_branch_curve(x))
    assert 0.4 < (y > 0).double().mean() < 0.6
    X, labels = data.noisy_moons(500, flip=0.0, seed=0)
    assert X.shape == (500, 2) and set(labels.tolist()) == {0, 1}
    _, flipped = data.noisy_moons(500, flip=1.0, seed=0)
    assert torch.equal(flipped, 1 - labels)
    with pytest.raises(ValueError, match="flip"):
        data.noisy_moons(10, flip=1.5)
    ring = data.blob_ring(1000, blobs=4, noise=0.0, seed=0)
    torch.testing.assert_close(ring.norm(dim=1), torch.ones(1000))
    assert len(torch.unique(ring.round(decimals=3), dim=0)) == 4
    X, labels = data.random_labels(n=50, d=7, classes=3, seed=2)
    assert X.shape == (50, 7) and labels.max() <= 2
    assert torch.equal(data.random_labels(n=50, d=7, classes=3, seed=2)[1], labels)


def test_go_board_plot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from deepwhy import plots

    fig, ax = plt.subplots()
    assert plots.go_board(ax) is None
    image = plots.go_board(ax, np.random.default_rng(0).random((19, 19)), vmax=1)
    assert image.get_array().shape == (19, 19)
    with pytest.raises(ValueError, match="heat"):
        plots.go_board(ax, np.zeros((9, 9)))
    plt.close(fig)
