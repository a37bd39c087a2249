"""The GAN games of gansim.gan.games: closed-form optima, signs, saturation, and each loss
training a GAN that learns N(0, 1) in the batched engine."""

import math

import numpy as np
import pytest
import torch
from scipy import optimize, stats

from gansim.gan.config import GANConfig
from gansim.gan.engine import train_gans
from gansim.gan.games import LOSSES, get_loss
from gansim.rng import replication_streams, torch_generator

NAMES = sorted(LOSSES)
LABELLED = [name for name in NAMES if LOSSES[name].kind != "w"]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("n_fake", [7, 14])
def test_closed_form_derivatives_are_the_derivatives_of_the_values(name, n_fake):
    """The engine's closed forms against autograd of the values the reference loop uses."""
    loss = LOSSES[name]
    target = 1.0 if loss.kind == "w" else 0.9
    torch.manual_seed(1)
    R, n = 3, 7
    out = (3 * torch.randn(R, n + n_fake, 1, dtype=torch.float64)).requires_grad_(True)
    d = loss.d_value(out[:, :n], out[:, n:], target).sum()
    (auto,) = torch.autograd.grad(d, out)
    torch.testing.assert_close(loss.d_grad(out.detach(), n, target), auto, rtol=1e-12,
                               atol=1e-14)
    g = loss.g_value(out[:, n:]).mean(1).sum()
    (auto,) = torch.autograd.grad(g, out)
    torch.testing.assert_close(loss.g_grad(out.detach()[:, n:], n_fake), auto[:, n:],
                               rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", LABELLED)
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_optimal_discriminator_is_p_data_over_p_data_plus_p_g(name, smoothing):
    """Pointwise, D minimises p_d ℓ_real(o) + p_g ℓ_fake(o); its optimum on the probability
    scale is y p_d / (p_d + p_g), y = 1 - smoothing (one-sided: fakes keep target 0).  A
    swapped or wrong target label gives another optimum."""
    loss = LOSSES[name]
    y = 1.0 - smoothing
    for p_d, p_g in [(0.3, 0.3), (0.9, 0.1), (0.05, 0.6), (1.2, 0.4)]:
        def risk(o, p_d=p_d, p_g=p_g):
            o = torch.tensor([o], dtype=torch.float64)
            return float(p_d * loss.real_value(o, y) + p_g * loss.fake_value(o))

        best = optimize.minimize_scalar(risk, bounds=(-30, 30), method="bounded",
                                        options={"xatol": 1e-10}).x
        d_star = float(loss.prob(torch.tensor(best, dtype=torch.float64)))
        assert d_star == pytest.approx(y * p_d / (p_d + p_g), abs=1e-6)
        if p_d != p_g:  # negative control: the swapped labels' answer
            assert abs(d_star - y * p_g / (p_d + p_g)) > 0.1


@pytest.mark.parametrize("name", NAMES)
def test_value_at_equilibrium(name):
    """At p_g = p_data and the optimal D (½ everywhere; equal critic scores), minus D's loss
    is the registry's equilibrium value: -log 4 for cross-entropy, -1/4 for least squares,
    0 for Wasserstein."""
    loss = LOSSES[name]
    half = {"bce": 0.0, "ls": 0.5, "w": 0.37}[loss.kind]
    o = torch.full((1, 10, 1), half, dtype=torch.float64)
    value = -float(loss.d_value(o, o))
    assert value == pytest.approx(loss.value_at_equilibrium, abs=1e-15)
    if loss.kind == "bce":
        assert value == pytest.approx(-math.log(4))


@pytest.mark.parametrize("name", NAMES)
def test_generator_pushes_d_output_up(name):
    """Every generator loss decreases as D's output on the fakes rises (below its target):
    a sign error in G's loss would make the gradient positive."""
    loss = LOSSES[name]
    o = torch.tensor([[[-5.0], [-1.0], [0.0], [0.4]]], dtype=torch.float64)
    assert (loss.g_grad(o, 4) < 0).all()


def test_minimax_gradient_vanishes_when_d_is_confident():
    """Goodfellow et al. (2014, section 3): with D confidently rejecting the fakes
    (logit -12), log(1 - D) has a vanishing gradient, -log D a gradient of -1 per point."""
    o = torch.tensor([[[-12.0], [-6.0], [0.0]]], dtype=torch.float64)
    mm, ns = LOSSES["minimax"].g_grad(o, 1), LOSSES["nonsaturating"].g_grad(o, 1)
    assert abs(mm[0, 0, 0]) < 1e-5 and abs(ns[0, 0, 0] + 1) < 1e-5
    # at D = ½ the two agree: both -½
    assert mm[0, 2, 0] == ns[0, 2, 0] == -0.5


def test_unknown_loss_names_the_known_ones():
    with pytest.raises(ValueError, match="`loss` must be one of .*wasserstein"):
        get_loss("hinge")


# -- each loss trains GANs that learn N(0, 1) ------------------------------------------------

LEARNS = {
    "nonsaturating": GANConfig(steps=1500),
    "nonsaturating-k5": GANConfig(steps=1500, d_steps=5),
    "minimax": GANConfig(steps=1500, loss="minimax"),
    "least-squares": GANConfig(steps=1500, loss="least-squares"),
    "wasserstein-one-sided": GANConfig(steps=1500, loss="wasserstein", gp_one_sided=True),
}


@pytest.mark.slow
@pytest.mark.parametrize("label", list(LEARNS))
def test_each_loss_learns_a_normal_distribution(label):
    """R = 16 GANs on n = 100 points of N(0, 1): the draws' mean KS distance to Φ is no
    worse than the empirical CDF's by more than 0.03 (E KS_n ≈ 0.087; a collapsed or shifted
    GAN scores > 0.2), the sd of the draws is near 1, and the trained D sits near ½ on real
    and generated points (cross-entropy and least squares)."""
    from gansim.gan.diagnostics import equilibrium

    cfg = LEARNS[label]
    R, n, m = 16, 100, 4000
    streams = [replication_streams(77, rep=r) for r in range(R)]
    x = np.stack([s.data_rng().standard_normal(n) for s in streams])
    block = train_gans(x, cfg, init_seeds=[s.init for s in streams],
                       noise_seeds=[s.noise for s in streams])
    draws_t = block.sample(m, [torch_generator(s.draws) for s in streams])
    draws = draws_t.double().numpy()
    ks_gan = np.array([stats.kstest(d, "norm").statistic for d in draws])
    ks_emp = np.array([stats.kstest(d, "norm").statistic for d in x])
    sd = draws.std(axis=1, ddof=1)
    assert np.isfinite(draws).all()
    assert ks_gan.mean() < ks_emp.mean() + 0.03, (ks_gan.mean(), ks_emp.mean())
    assert abs(sd.mean() - 1.0) < 0.15 and np.all(sd > 0.5)
    if get_loss(cfg.loss).kind != "w":
        diag = equilibrium(block, torch.as_tensor(x), draws_t)
        assert abs(diag["d_real"].mean() - 0.5) < 0.1
        assert abs(diag["d_fake"].mean() - 0.5) < 0.1
    # negative control: the same draws are far from N(0.5, 1)
    assert np.mean([stats.kstest(d, "norm", args=(0.5,)).statistic for d in draws]) > 0.15

