"""The batched engine against autograd and against torch.nn trained one replication at a time."""

import numpy as np
import pytest
import torch
from scipy import stats

from gansim.gan.config import GANConfig
from gansim.gan.fused import fused_available
from gansim.gan.mlp import MLPLayout, initial_parameters, mlp_backward, mlp_forward
from gansim.gan.reference import train_gan_reference
from gansim.gan.train import train_gans
from gansim.rng import replication_streams, torch_generator


def _streams(seed, R):
    return [replication_streams(seed, rep=r) for r in range(R)]


def _data(streams, n, loc=0.0, scale=1.0):
    return np.stack([s.data_rng().normal(loc, scale, size=n) for s in streams])


def _train(x, cfg, streams):
    return train_gans(x, cfg, init_seeds=[s.init for s in streams],
                      noise_seeds=[s.noise for s in streams])


@pytest.mark.parametrize("sizes", [(1, 16, 16, 1), (4, 8, 1), (3, 5, 7, 2)])
def test_hand_written_backward_matches_autograd(sizes):
    torch.manual_seed(0)
    R, N, slope = 5, 11, 0.2
    layout = MLPLayout(sizes)
    flat = torch.randn(R * layout.size, dtype=torch.float64, requires_grad=True)
    x = torch.randn(R, N, sizes[0], dtype=torch.float64, requires_grad=True)
    upstream = torch.randn(R, N, sizes[-1], dtype=torch.float64)

    out, cache = mlp_forward(layout.views(flat, R), x, slope)
    (out * upstream).sum().backward()

    grad = torch.empty(R * layout.size, dtype=torch.float64)
    with torch.no_grad():
        dx = mlp_backward(layout.views(flat, R), cache, upstream, slope,
                          layout.views(grad, R))
    torch.testing.assert_close(grad, flat.grad, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(dx, x.grad, rtol=1e-12, atol=1e-12)


def test_forward_matches_torch_nn():
    layout = MLPLayout((4, 16, 16, 1))
    rows = initial_parameters(layout, [torch_generator(np.random.SeedSequence(1))],
                              dtype=torch.float64, device="cpu")
    z = torch.randn(1, 50, 4, dtype=torch.float64)
    out, _ = mlp_forward(layout.views(layout.to_flat(rows), 1), z, 0.2, keep=False)
    net = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.LeakyReLU(0.2),
                              torch.nn.Linear(16, 16), torch.nn.LeakyReLU(0.2),
                              torch.nn.Linear(16, 1)).double()
    with torch.no_grad():
        for lin, (W, b) in zip(net[::2], layout.views(layout.to_flat(rows), 1), strict=True):
            lin.weight.copy_(W[0].T)
            lin.bias.copy_(b[0])
        torch.testing.assert_close(out[0], net(z[0]), rtol=1e-13, atol=1e-13)


def test_layout_rows_and_flat_round_trip():
    layout = MLPLayout((4, 16, 16, 1))
    rows = torch.randn(7, layout.size)
    assert torch.equal(layout.to_rows(layout.to_flat(rows), 7), rows)


def test_initialisation_is_torch_nn_linear_default():
    # nn.Linear draws weights and biases from U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
    layout = MLPLayout((4, 16, 1))
    gens = [torch_generator(np.random.SeedSequence(r)) for r in range(200)]
    rows = initial_parameters(layout, gens, dtype=torch.float64, device="cpu")
    w1 = rows[:, layout.slices[0][0]].reshape(-1).numpy()
    w2 = rows[:, layout.slices[1][0]].reshape(-1).numpy()
    assert stats.kstest(w1, stats.uniform(-0.5, 1.0).cdf).pvalue > 1e-3
    assert stats.kstest(w2, stats.uniform(-0.25, 0.5).cdf).pvalue > 1e-3
    # negative control: the first layer's weights are not U(-0.25, 0.25)
    assert stats.kstest(w1, stats.uniform(-0.25, 0.5).cdf).pvalue < 1e-6


CONFIGS = [
    GANConfig(steps=60, dtype="float64"),
    GANConfig(steps=60, dtype="float64", loss="minimax", ema_decay=None, standardize=True),
    GANConfig(steps=40, dtype="float64", latent_dim=1, g_hidden=(8,), d_hidden=(8, 4),
              lr=2e-3, lr_final=2e-3, ema_start=0.0),
    GANConfig(steps=40, dtype="float64", loss="least-squares", label_smoothing=0.1),
    GANConfig(steps=30, dtype="float64", loss="wasserstein", gp_weight=5.0, d_steps=2),
    GANConfig(steps=30, dtype="float64", d_steps=3, label_smoothing=0.2, lr_d=3e-3,
              fake_ratio=2, betas=(0.0, 0.9), r1_weight=2.0),
    GANConfig(steps=30, dtype="float64", loss="minimax", fake_ratio=3, lr_d=5e-4),
    GANConfig(steps=30, dtype="float64", loss="wasserstein", gp_one_sided=True,
              standardize=True),
    GANConfig(steps=20, dtype="float64", latent="pareto", latent_components=3,
              steps_power=0.5, budget_n0=15, standardize=False),
]
IDS = ["default", "minimax-std", "small", "lsgan-smooth", "wgan-gp-k2",
       "ns-k3-smooth-ttur-r1-fakes2", "minimax-fakes3-ttur", "wgan-gp-one-sided-std",
       "pareto-hill-mixture3-grow-raw"]


@pytest.mark.parametrize("cfg", CONFIGS, ids=IDS)
def test_batched_training_equals_one_replication_at_a_time(cfg):
    """Same data, initial weights and noise: the block's networks are the textbook loop's."""
    streams = _streams(3, 4)
    x = _data(streams, 30, loc=2.0, scale=3.0)
    block = _train(x, cfg, streams)
    for r, s in enumerate(streams):
        g, d = train_gan_reference(x[r], cfg, init_seed=s.init, noise_seed=s.noise)
        torch.testing.assert_close(block.generator[r], g, rtol=1e-10, atol=1e-12)
        torch.testing.assert_close(block.discriminator[r], d, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("engine", [
    "torch",
    pytest.param("fused", marks=pytest.mark.skipif(
        fused_available(GANConfig()) is not None, reason="no C compiler for the fused engine")),
])
def test_float32_training_stays_close_to_reference(engine):
    """torch.nn + torch.optim.Adam one replication at a time against each engine, float32,
    100 steps: equal to float32 rounding."""
    cfg = GANConfig(steps=100, engine=engine)
    streams = _streams(5, 2)
    x = _data(streams, 50)
    block = _train(x, cfg, streams)
    for r, s in enumerate(streams):
        g, d = train_gan_reference(x[r], cfg, init_seed=s.init, noise_seed=s.noise)
        torch.testing.assert_close(block.generator[r], g, rtol=0, atol=1e-4)
        torch.testing.assert_close(block.discriminator[r], d, rtol=0, atol=1e-4)


@pytest.mark.parametrize("cfg", [GANConfig(steps=50),
                                 GANConfig(steps=20, loss="wasserstein", d_steps=2),
                                 GANConfig(steps=20, r1_weight=1.0, fake_ratio=2)],
                         ids=["default", "wgan-gp", "r1-fakes2"])
def test_replications_do_not_interact(cfg):
    """Changing one replication's data leaves every other replication bit-for-bit unchanged,
    also in the autograd path of the input-gradient penalties."""
    streams = _streams(11, 6)
    x = _data(streams, 40)
    a = _train(x, cfg, streams)
    x2 = x.copy()
    # Not an affine change: the default recipe standardises in float64, so an affine change
    # of a replication's data leaves its (float32) training data, and its GAN, unchanged.
    x2[2] = x2[2] ** 3
    b = _train(x2, cfg, streams)
    others = [0, 1, 3, 4, 5]
    assert torch.equal(a.generator[others], b.generator[others])
    assert torch.equal(a.discriminator[others], b.discriminator[others])
    assert not torch.equal(a.generator[2], b.generator[2])


def test_bad_data_are_refused_naming_the_rows():
    """Regression (issue 13): NaN, infinite or constant data trained silently to all-NaN
    draws.  train_gans refuses them; a study records such a replication as failed."""
    cfg = GANConfig(steps=30)
    streams = _streams(12, 4)
    x = _data(streams, 40)
    x[1, 0] = np.nan
    with pytest.raises(ValueError, match="`data` must hold only finite values"):
        _train(x, cfg, streams)
    x[1] = 3.0
    with pytest.raises(ValueError, match=r"`data` rows \[1\] are constant"):
        _train(x, cfg, streams)


def test_standardize_is_location_scale_equivariant():
    """Shifting by c and scaling by s moves every draw by exactly x -> c + s x (up to rounding)."""
    cfg = GANConfig(steps=80, standardize=True, dtype="float64")
    streams = _streams(4, 3)
    x = _data(streams, 50)
    draws = [torch_generator(s.draws) for s in streams]
    base = _train(x, cfg, streams).sample(500, draws)
    draws = [torch_generator(s.draws) for s in streams]
    moved = _train(5.0 + 2.0 * x, cfg, streams).sample(500, draws)
    torch.testing.assert_close(moved, 5.0 + 2.0 * base, rtol=1e-9, atol=1e-9)




def test_gan_learns_a_normal_distribution():
    """Trained on n = 100 points of N(0, 1), the GAN's draws are close to N(0, 1): the mean
    KS distance of its draws is no worse than the empirical CDF's (the prototype found it
    smaller), its sd is near 1 and no replication collapses."""
    R, n, m = 24, 100, 4000
    cfg = GANConfig(steps=1500)
    streams = _streams(2024, R)
    x = _data(streams, n)
    block = _train(x, cfg, streams)
    draws = block.sample(m, [torch_generator(s.draws) for s in streams]).double().numpy()
    ks_gan = np.array([stats.kstest(d, "norm").statistic for d in draws])
    ks_emp = np.array([stats.kstest(d, "norm").statistic for d in x])
    sd = draws.std(axis=1, ddof=1)
    # E KS_n at n = 100 is about 0.087; a broken GAN (collapsed or shifted) scores > 0.2.
    assert ks_gan.mean() < ks_emp.mean() + 0.02
    assert np.all(sd > 0.6) and abs(sd.mean() - 1.0) < 0.1
    # negative control: the same draws are far from N(0.5, 1)
    assert np.mean([stats.kstest(d, "norm", args=(0.5,)).statistic for d in draws]) > 0.15


def test_config_rejects_bad_values():
    with pytest.raises(ValueError, match="`steps`"):
        GANConfig(steps=0)
    with pytest.raises(ValueError, match="`loss`"):
        GANConfig(loss="hinge")
    with pytest.raises(ValueError, match="`g_hidden`"):
        GANConfig(g_hidden=())
    with pytest.raises(ValueError, match="`lr`"):
        GANConfig(lr=float("nan"))
    with pytest.raises(ValueError, match="`betas`"):
        GANConfig(betas=(0.5, 1.0))
    with pytest.raises(ValueError, match="`dtype`"):
        GANConfig(dtype="float16")


def test_config_rejects_bad_new_options():
    with pytest.raises(ValueError, match="`d_steps`"):
        GANConfig(d_steps=0)
    with pytest.raises(ValueError, match="`label_smoothing`"):
        GANConfig(label_smoothing=0.5)
    with pytest.raises(ValueError, match="`label_smoothing` must be 0 with loss 'wasserstein'"):
        GANConfig(loss="wasserstein", label_smoothing=0.1)
    with pytest.raises(ValueError, match="`gp_weight` must be > 0"):
        GANConfig(loss="wasserstein", gp_weight=0.0)
    with pytest.raises(ValueError, match="`lr_d`"):
        GANConfig(lr_d=-1e-3)
    with pytest.raises(ValueError, match="`r1_weight`"):
        GANConfig(r1_weight=float("inf"))
    with pytest.raises(ValueError, match="`fake_ratio`"):
        GANConfig(fake_ratio=1.5)


def test_settings_record_of_the_default_recipe_is_unchanged():
    """Options added later are left out of the record at the values that reproduce earlier
    runs, so the blocks of runs made before them still resume; the default engine is not
    one of those values (it changes the floating-point results), so it is recorded."""
    assert sorted(GANConfig(engine="torch", noise="generator").to_dict()) == [
        "betas", "d_hidden", "dtype", "ema_decay", "ema_start", "eps", "g_hidden",
        "latent_dim", "loss", "lr", "lr_final", "negative_slope", "standardize", "steps"]
    assert GANConfig(d_steps=5).to_dict()["d_steps"] == 5
    assert GANConfig().to_dict()["engine"] == "auto"
    assert GANConfig().to_dict()["noise"] == "philox"


def test_lr_d_follows_the_same_decay():
    cfg = GANConfig(steps=101, lr=1e-3, lr_final=1e-4, lr_d=4e-3)
    assert cfg.lr_d_at(0) == 4e-3
    assert cfg.lr_d_at(100) == pytest.approx(4e-4)
    assert cfg.lr_d_at(50) / cfg.lr_at(50) == pytest.approx(4.0)
    assert GANConfig().lr_d_at(7) == GANConfig().lr_at(7)


def test_recording_losses_changes_nothing_and_ends_near_equilibrium():
    """The trace is a by-product: the networks are bit-for-bit those of a run without it.
    After training on N(0, 1), D's cross-entropy loss is near log 4 (its value at the
    equilibrium) and G's non-saturating loss near log 2."""
    cfg = GANConfig(steps=800)
    streams = _streams(8, 8)
    x = _data(streams, 100)
    plain = _train(x, cfg, streams)
    traced = train_gans(x, cfg, init_seeds=[s.init for s in streams],
                        noise_seeds=[s.noise for s in streams], record_losses=True)
    assert plain.losses is None and traced.losses.shape == (800, 2, 8)
    assert torch.equal(plain.generator, traced.generator)
    assert torch.equal(plain.discriminator, traced.discriminator)
    late = traced.losses[-200:].double().mean(dim=(0, 2))
    assert abs(float(late[0]) - np.log(4)) < 0.1
    assert abs(float(late[1]) - np.log(2)) < 0.1
    # negative control: the minimax generator's loss log(1 - D) is negative, not log 2
    mm = train_gans(x, GANConfig(steps=50, loss="minimax"), init_seeds=[s.init for s in streams],
                    noise_seeds=[s.noise for s in streams], record_losses=True)
    assert (mm.losses[:, 1] < 0).all()


def test_default_recipe_is_bit_for_bit_unchanged():
    """Regression pin: results/poc (B = 10,000) was made by the engine before the losses,
    options and diagnostics were added.  These values were printed by that engine (commit
    26790b6) for what was then the default, GANConfig() on raw data, on three replications
    of seed 2020 (with the noise of that time, noise="generator"); that path must reproduce
    them exactly, so the studies run with it
    (results/losses, the raw recipe of results/recipe) stay reproducible (float32 on this CPU
    build of torch 2.13)."""
    streams = _streams(2020, 3)
    x = np.stack([s.data_rng().standard_normal(100) for s in streams])
    block = _train(x, GANConfig(standardize=False, engine="torch", noise="generator"), streams)
    g, d = block.generator, block.discriminator
    expected_g = [[0.4290894865989685, -0.5337826609611511, 0.1337045133113861,
                   0.19317907094955444],
                  [-0.21981771290302277, 0.2098313421010971, -0.010758679360151291,
                   0.1637423038482666],
                  [0.17657612264156342, 0.1954295039176941, 0.03299272060394287,
                   -0.1788673847913742]]
    expected_d = [[-0.5831628441810608, 0.45113858580589294, 0.11939842253923416],
                  [0.6757041215896606, -0.4480569660663605, 0.1540553867816925],
                  [0.5131186842918396, 0.8225515484809875, 0.042952485382556915]]
    assert g[:, [0, 17, 100, g.shape[1] - 1]].tolist() == expected_g
    assert d[:, [0, 20, d.shape[1] - 1]].tolist() == expected_d
    assert float(g.double().sum()) == 11.415356794548643
    assert float(d.double().sum()) == 2.6372440534760244
    draws = block.sample(1000, [torch_generator(s.draws) for s in streams])
    assert draws.double().mean(1).tolist() == [0.10080449797958135, 0.127376872099936,
                                               -0.040001042053103446]


@pytest.mark.parametrize("mu", [0.0, 1e3, 1e7, -1e7])
@pytest.mark.parametrize("sigma", [1e-3, 1.0, 1e3])
def test_standardised_gan_is_location_scale_equivariant(mu, sigma):
    """Regression (issue 13): the data were cast to float32 before standardising, so at
    N(1e7, 1) the GAN saw about one significant digit and its KS distance was 0.41 instead
    of 0.24.  Standardising and mapping back in float64, the draws for mu + sigma x are
    mu + sigma times the draws for x, to float32 rounding of the standardised data."""
    cfg = GANConfig(steps=60, standardize=True)
    streams = _streams(5, 3)
    x = _data(streams, 30)
    gens = [torch_generator(s.draws) for s in streams]
    base = _train(x, cfg, streams).sample(500, gens).numpy()
    gens = [torch_generator(s.draws) for s in streams]
    moved = _train(mu + sigma * x, cfg, streams).sample(500, gens).numpy()
    assert moved.dtype == np.float64
    back = (moved - mu) / sigma
    # float64 rounding of mu + sigma x itself bounds how close the two can be.
    tol = 1e-5 + 1e-15 * abs(mu) / sigma
    assert np.max(np.abs(back - base)) < tol
