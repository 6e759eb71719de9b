import math

import numpy as np
import pytest
import torch

from deepwhy import nets, spectral, train


# --- the frequency principle ---------------------------------------------------------

def _three_sines(n=101):
    x = np.linspace(-5, 5, n)
    return np.sin(x) + 2 * np.sin(3 * x) + 3 * np.sin(5 * x)


def test_spectral_peaks_of_the_f_principle_target():
    assert spectral.spectral_peaks(_three_sines()).tolist() == [2, 5, 8]


def test_spectral_peaks_of_exact_bins():
    x = np.arange(64) / 64
    y = np.sin(2 * np.pi * 3 * x) + 0.5 * np.cos(2 * np.pi * 10 * x)
    assert spectral.spectral_peaks(y).tolist() == [3, 10]


@pytest.mark.parametrize("bad", [np.ones(10), np.zeros((3, 3)), [1.0, 2.0]])
def test_spectral_peaks_rejects_bad_targets(bad):
    with pytest.raises(ValueError, match="target"):
        spectral.spectral_peaks(bad)


def test_relative_error_is_zero_for_a_perfect_fit_and_one_for_zero():
    y = _three_sines()
    assert np.allclose(spectral.relative_error_by_frequency(y, y), 0)
    assert np.allclose(spectral.relative_error_by_frequency(np.zeros_like(y), y), 1)


def test_relative_error_matches_the_definition_with_a_time_axis():
    rng = np.random.default_rng(0)
    y = _three_sines()
    pred = rng.normal(size=(5, 3, y.size))  # (time, seeds, n)
    got = spectral.relative_error_by_frequency(torch.tensor(pred), y, freqs=[1, 5])
    F, Fy = np.fft.rfft(pred, axis=-1), np.fft.rfft(y)
    expected = np.abs(F[..., [1, 5]] - Fy[[1, 5]]) / np.abs(Fy[[1, 5]])
    assert got.shape == (5, 3, 2)
    assert np.allclose(got, expected)


def test_relative_error_sees_which_frequency_is_missing():
    x = np.arange(200) / 200
    y = np.sin(2 * np.pi * 5 * x) + np.sin(2 * np.pi * 40 * x)
    low_only = np.sin(2 * np.pi * 5 * x)
    err = spectral.relative_error_by_frequency(low_only, y)
    assert err[0] < 1e-9 and abs(err[1] - 1) < 1e-9


def test_relative_error_accepts_an_int_freq():
    y = _three_sines()
    assert spectral.relative_error_by_frequency(y, y, freqs=5).shape == (1,)


@pytest.mark.parametrize("pred, freqs, match", [
    (np.zeros(50), None, "pred"),
    (np.zeros(101), [60], "freqs"),
    (np.zeros(101), [-1], "freqs"),
    (np.zeros(101), [1.5], "freqs"),
    (np.zeros(101), [0], "no amplitude"),
])
def test_relative_error_rejects_bad_input(pred, freqs, match):
    with pytest.raises(ValueError, match=match):
        spectral.relative_error_by_frequency(pred, _three_sines(), freqs)


def test_relative_error_rejects_a_2d_target():
    with pytest.raises(ValueError, match="target"):
        spectral.relative_error_by_frequency(np.zeros(4), np.zeros((2, 2)))


def test_spearman():
    assert spectral.spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1)
    assert spectral.spearman([1, 2, 3, 4], [4, 1, 0, -5]) == pytest.approx(-1)
    with pytest.raises(ValueError, match="same length"):
        spectral.spearman([1, 2], [1, 2, 3])


# --- multiscale networks --------------------------------------------------------------

def test_s2relu_is_a_bump_on_the_unit_interval():
    x = torch.tensor([-0.5, 0.0, 0.25, 0.75, 1.0, 1.5])
    expected = torch.tensor([0.0, 0.0, 0.75 * 0.25, -0.25 * 0.75, 0.0, 0.0])
    assert torch.allclose(spectral.s2relu(x), expected, atol=1e-6)
    assert "s2relu" in nets.ACTIVATIONS


def test_scale_vector_blocks():
    k = spectral.scale_vector(12, (1, 2, 4))
    assert k.tolist() == [1] * 4 + [2] * 4 + [4] * 4
    assert spectral.scale_vector(7, (1, 10)).tolist() == [1, 1, 1, 1, 10, 10, 10]
    with pytest.raises(ValueError, match="levels"):
        spectral.scale_vector(2, (1, 2, 3))
    with pytest.raises(ValueError, match="width"):
        spectral.scale_vector(0)


def test_mscale_with_unit_scales_is_the_plain_ensemble():
    X = torch.linspace(-1, 1, 9).unsqueeze(1)
    plain = nets.EnsembleMLP([1, 6, 6, 1], 2, activation="s2relu", seed=3)
    ms = spectral.MscaleMLP([1, 6, 6, 1], 2, torch.ones(6), seed=3)
    assert torch.allclose(plain(X), ms(X))


def test_mscale_scales_the_first_layer_per_member():
    X = torch.linspace(-1, 1, 9).unsqueeze(1)
    scales = torch.stack([torch.ones(4), torch.full((4,), 3.0)])
    ms = spectral.MscaleMLP([1, 4, 1], 2, scales, activation="tanh", seed=0)
    W0, b0, W1, b1 = ms.weights[0], ms.biases[0], ms.weights[1], ms.biases[1]
    expected = torch.tanh(X @ W0[1] * 3 + b0[1]) @ W1[1] + b1[1]
    assert torch.allclose(ms(X)[1], expected, atol=1e-6)
    assert ms(X).shape == (2, 9, 1)


def test_mscale_trains_with_fit():
    X = torch.linspace(-1, 1, 32).unsqueeze(1)
    y = torch.sin(3 * X)
    ms = spectral.MscaleMLP([1, 12, 1], 2, spectral.scale_vector(12, (1, 2)), activation="tanh")
    h = train.fit(ms, X, y, optimizer="adam", lr=1e-2, steps=200, progress=False)
    assert (h.loss[-1] < h.loss[0]).all()


@pytest.mark.parametrize("scales", [torch.ones(5), torch.ones(3, 4)])
def test_mscale_rejects_bad_scales(scales):
    with pytest.raises(ValueError, match="scales"):
        spectral.MscaleMLP([1, 4, 1], 2, scales)


def test_mscale_rejects_bad_input():
    ms = spectral.MscaleMLP([1, 4, 1], 1, torch.ones(4))
    with pytest.raises(ValueError, match="X"):
        ms(torch.zeros(3, 2))


# --- condensation ---------------------------------------------------------------------

def test_two_layer_relu_matches_its_formula_and_scalings():
    net = spectral.TwoLayerReLU(2000, members=2, beta1=[1.0, 0.01], beta2=0.5, alpha=[1.0, 4.0], seed=1)
    X = torch.tensor([[0.3], [-0.7]], dtype=torch.float64)
    Xb = torch.cat([X, torch.ones(2, 1, dtype=torch.float64)], 1)
    expected = torch.relu(Xb @ net.w[1].T) @ net.a[1] / 4.0
    assert torch.allclose(net(X)[1, :, 0], expected)
    assert net.a[0].std().item() == pytest.approx(1.0, rel=0.1)
    assert net.a[1].std().item() == pytest.approx(0.01, rel=0.1)
    assert net.w.std().item() == pytest.approx(0.5, rel=0.1)
    assert net.amplitudes().shape == (2, 2000)


@pytest.mark.parametrize("kwargs, match", [
    ({"width": 0}, "width"), ({"beta1": -1.0}, "beta1"), ({"alpha": [1.0, 2.0, 3.0]}, "alpha")])
def test_two_layer_relu_rejects_bad_arguments(kwargs, match):
    args = {"width": 4, "members": 2, **kwargs}
    with pytest.raises(ValueError, match=match):
        spectral.TwoLayerReLU(**args)


def test_gradient_descent_matches_autograd_member_by_member():
    X = torch.linspace(-1, 1, 10, dtype=torch.float64).unsqueeze(1)
    y = X.abs() - 0.3
    net = spectral.TwoLayerReLU(5, members=2, beta1=0.5, alpha=[1.0, 3.0], seed=0)
    ref = spectral.TwoLayerReLU(5, members=2, beta1=0.5, alpha=[1.0, 3.0], seed=0)
    h = spectral.gradient_descent(net, X, y, lr=[0.1, 0.01], steps=1, progress=False)
    for i, rate in enumerate([0.1, 0.01]):
        loss = train.loss_per_member("mse", ref(X), y)[i]
        ga, gw = torch.autograd.grad(loss, [ref.a, ref.w])
        assert torch.allclose(net.a[i], ref.a[i] - rate * ga[i])
        assert torch.allclose(net.w[i], ref.w[i] - rate * gw[i])
    assert h.steps.tolist() == [0, 1] and h.loss.shape == (2, 2)
    assert np.allclose(h.loss[0], train.loss_per_member("mse", ref(X), y).detach().numpy())


def test_gradient_descent_fits_a_kink():
    X = torch.linspace(-1, 1, 20, dtype=torch.float64).unsqueeze(1)
    net = spectral.TwoLayerReLU(50, members=1, beta1=0.1, beta2=0.1, seed=0)
    h = spectral.gradient_descent(net, X, X.relu(), lr=0.5, steps=2000, progress=False)
    assert h.loss[-1, 0] < 1e-3 < h.loss[0, 0]


@pytest.mark.parametrize("kwargs, match", [
    ({"lr": -1.0}, "lr"), ({"lr": [0.1, 0.1, 0.1]}, "lr"), ({"steps": -1}, "steps"),
    ({"y": torch.zeros(3, 1)}, "one target")])
def test_gradient_descent_rejects_bad_arguments(kwargs, match):
    net = spectral.TwoLayerReLU(4, members=2)
    args = {"X": torch.zeros(5, 1, dtype=torch.float64), "y": torch.zeros(5, 1), "lr": 0.1, "steps": 3, **kwargs}
    with pytest.raises(ValueError, match=match):
        spectral.gradient_descent(net, **args)
    with pytest.raises(ValueError, match="TwoLayerReLU"):
        spectral.gradient_descent(torch.nn.Linear(1, 1), args["X"], args["y"], 0.1, 3)


def test_luo_exponents_and_regimes():
    m = 100
    g, gp = spectral.luo_exponents(m, m ** -2.0, m ** -2.0)
    assert (g, gp) == pytest.approx((4.0, 0.0))
    assert spectral.luo_regime(g, gp) == "condensed"
    assert spectral.luo_regime(*spectral.luo_exponents(m, m ** -0.5, m ** -0.5)) == "critical"
    assert spectral.luo_regime(*spectral.luo_exponents(m, m ** -0.5, 1.0)) == "linear"
    assert spectral.luo_regime(2.0, 1.5) == "linear"  # gamma' > gamma - 1
    with pytest.raises(ValueError, match="gamma"):
        spectral.luo_regime(float("nan"), 0.0)
    with pytest.raises(ValueError, match="beta1"):
        spectral.luo_exponents(m, 0.0, 1.0)


def test_relative_change():
    before = np.ones((2, 3))
    after = np.array([[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]])
    assert spectral.relative_change(before, after) == pytest.approx(math.sqrt(3) / math.sqrt(6))
    assert spectral.relative_change(before, after, batch_dims=1).tolist() == pytest.approx([0.0, 1.0])
    with pytest.raises(ValueError, match="same shape"):
        spectral.relative_change(before, after[:1])
    with pytest.raises(ValueError, match="zero norm"):
        spectral.relative_change(np.zeros(3), np.ones(3))


def _on_directions(angles_deg, per_direction, rng, spread_deg=0.2):
    ang = np.repeat(np.deg2rad(angles_deg), per_direction) + rng.normal(0, np.deg2rad(spread_deg),
                                                                       len(angles_deg) * per_direction)
    r = rng.uniform(0.5, 1.5, ang.size)
    return np.c_[r * np.cos(ang), r * np.sin(ang)]


def test_effective_directions_counts_condensed_directions_in_2d():
    rng = np.random.default_rng(0)
    W = _on_directions([-100.0, 31.0, 151.0], 40, rng)
    assert 2.5 <= spectral.effective_directions(W) <= 3.6
    assert spectral.effective_directions(W, weights=np.ones(len(W))) == pytest.approx(3.0, abs=0.6)


def test_effective_directions_of_a_random_spread_is_near_the_neuron_count():
    rng = np.random.default_rng(1)
    W = rng.normal(size=(60, 2))
    assert 30 <= spectral.effective_directions(W) <= 60
    W6 = rng.normal(size=(50, 6))
    assert 45 <= spectral.effective_directions(W6) <= 50


def test_effective_directions_groups_by_cosine_in_higher_dimensions():
    rng = np.random.default_rng(2)
    centres = rng.normal(size=(3, 6))
    W = np.repeat(centres, 20, axis=0) * rng.uniform(0.5, 2, (60, 1)) + rng.normal(0, 1e-3, (60, 6))
    assert spectral.effective_directions(W, weights=np.ones(60)) == pytest.approx(3.0, abs=1e-9)
    # opposite directions are different features
    assert spectral.effective_directions(np.array([[1.0, 0, 0], [-1.0, 0, 0]])) == pytest.approx(2.0)


def test_effective_directions_weights_and_zero_rows():
    W = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
    assert spectral.effective_directions(W) == pytest.approx(2.0)
    assert spectral.effective_directions(W, weights=[1.0, 0.0, 5.0]) == pytest.approx(1.0)


@pytest.mark.parametrize("W, weights, match", [
    (np.zeros(4), None, "W"),
    (np.zeros((0, 2)), None, "W"),
    (np.zeros((3, 2)), None, "zero amplitude"),
    (np.ones((3, 2)), [1.0, 2.0], "weights"),
    (np.ones((3, 2)), [1.0, -2.0, 1.0], "weights"),
    (np.full((3, 2), np.nan), None, "finite"),
])
def test_effective_directions_rejects_bad_input(W, weights, match):
    with pytest.raises(ValueError, match=match):
        spectral.effective_directions(W, weights)


def test_direction_groups():
    W = np.array([[1.0, 0.0], [2.0, 0.01], [0.0, 1.0], [0.0, 0.0]])
    assert spectral.direction_groups(W).tolist() == [0, 0, 1, -1]
    with pytest.raises(ValueError, match="min_cos"):
        spectral.direction_groups(W, min_cos=1.0)


def test_merge_by_direction_keeps_the_function_of_a_condensed_relu_net():
    rng = np.random.default_rng(3)
    W = _on_directions([-100.0, 31.0, 151.0], 30, rng, spread_deg=0.05)
    a = rng.normal(size=len(W))
    Ws, as_ = spectral.merge_by_direction(W, a)
    assert Ws.shape == (3, 2) and as_.shape == (3,)
    x = np.c_[np.linspace(-1, 1, 50), np.ones(50)]
    full = np.maximum(x @ W.T, 0) @ a
    small = np.maximum(x @ Ws.T, 0) @ as_
    assert np.abs(full - small).max() < 1e-2 * np.abs(full).max()


def test_merge_by_direction_drops_negligible_groups_and_rejects_bad_input():
    W = np.array([[1.0, 0.0], [0.0, 1.0]])
    Ws, as_ = spectral.merge_by_direction(W, [1.0, 1e-6])
    assert Ws.shape == (1, 2) and as_.tolist() == pytest.approx([1.0])
    with pytest.raises(ValueError, match="a must"):
        spectral.merge_by_direction(W, [1.0])
    with pytest.raises(ValueError, match="zero amplitude"):
        spectral.merge_by_direction(W, [0.0, 0.0])


# --- 2-D bands and the chapter's data -------------------------------------------------

def test_relative_error_by_band_separates_coarse_and_fine():
    from deepwhy import data

    _, _, image = data.grey_image(32)
    img = image.numpy()
    F = np.fft.fft2(img)
    k = np.fft.fftfreq(32) * 32
    low = np.sqrt(k[:, None] ** 2 + k[None, :] ** 2) < 4
    coarse = np.real(np.fft.ifft2(F * low))  # only the low frequencies of the image
    err = spectral.relative_error_by_band(np.stack([img, coarse]), img, (0.5, 4, 32))
    assert err.shape == (2, 2)
    assert np.allclose(err[0], 0) and err[1, 0] < 1e-6 and abs(err[1, 1] - 1) < 1e-6


@pytest.mark.parametrize("pred, edges, match", [
    (np.zeros((4, 5)), (0.5, 2), "pred"), (np.zeros((4, 4)), (2, 1), "edges"),
    (np.zeros((4, 4)), (10, 20), "no amplitude")])
def test_relative_error_by_band_rejects_bad_input(pred, edges, match):
    target = np.random.default_rng(0).normal(size=(4, 4))
    with pytest.raises(ValueError, match=match):
        spectral.relative_error_by_band(pred, target, edges)


def test_spectral_bias_data_puts_each_sine_in_its_bin():
    from deepwhy import data

    x, y, phases = data.spectral_bias_data(n=100, freqs=(3, 7), members=2, seed=4)
    assert x.shape == (100, 1) and y.shape == (2, 100, 1) and phases.shape == (2, 2)
    amp = np.abs(np.fft.rfft(y[..., 0].double().numpy(), axis=-1)) * 2 / 100
    assert np.allclose(amp[:, [3, 7]], 1, atol=1e-5)
    assert amp[:, [1, 2, 4, 5, 6, 8]].max() < 1e-5
    assert not torch.equal(phases[0], phases[1])
    _, y2, _ = data.spectral_bias_data(n=100, freqs=(3, 7), members=2, seed=4)
    assert torch.equal(y, y2)
    with pytest.raises(ValueError, match="freqs"):
        data.spectral_bias_data(n=100, freqs=(50,))


def test_grey_image():
    from deepwhy import data

    X, y, image = data.grey_image(16)
    assert X.shape == (256, 2) and y.shape == (256, 1) and image.shape == (16, 16)
    assert float(image.min()) >= 0 and float(image.max()) <= 1
    assert torch.equal(y[:, 0], image.reshape(-1))
    assert float(X.abs().max()) < 1
    with pytest.raises(ValueError, match="size"):
        data.grey_image(4)


def test_first_step_below():
    steps = np.array([0, 10, 20, 30])
    values = np.array([[1.0, 1.0], [0.5, 1.0], [0.05, 0.9], [0.01, 0.2]])
    got = spectral.first_step_below(steps, values, 0.1)
    assert got[0] == 20 and np.isnan(got[1])
    assert spectral.first_step_below(steps, values, 0.95).tolist() == [10.0, 20.0]
    with pytest.raises(ValueError, match="values"):
        spectral.first_step_below(steps, values[:2], 0.1)


def test_jacobi_removes_high_frequencies_first_at_the_predicted_rate():
    n, omega = 31, 2 / 3
    errors = spectral.jacobi_mode_errors(n=n, modes=(1, 8, 24), iterations=50, omega=omega)
    assert errors.shape == (51, 3) and np.allclose(errors[0], 1)
    # each sine mode is an eigenvector of the iteration: its error shrinks by a fixed factor
    factors = [abs(1 - omega * (1 - np.cos(np.pi * k / (n + 1)))) for k in (1, 8, 24)]
    assert np.allclose(errors[10], np.array(factors) ** 10, rtol=1e-6)
    assert errors[10, 2] < errors[10, 1] < errors[10, 0]
    with pytest.raises(ValueError, match="modes"):
        spectral.jacobi_mode_errors(n=10, modes=(11,))
    with pytest.raises(ValueError, match="omega"):
        spectral.jacobi_mode_errors(omega=1.5)
