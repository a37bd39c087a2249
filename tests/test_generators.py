"""Generators beyond the normal latent: the Pareto latent with its tail index (fixed or
Hill's estimate), the mixture latent, the budget that grows with n, and the functionals that
measure them (mass in a gap, tail index).  Engines against each other for these options are
in tests/test_fused.py; the definitions against closed forms and scipy here."""

import math
from dataclasses import replace

import numpy as np
import pytest
import torch
from scipy import stats

from gansim._validation import InvalidParameterError
from gansim.gan import fused
from gansim.gan.config import GANConfig
from gansim.gan.latent import (
    HILL_CLIP,
    hill_k,
    hill_tail_index,
    latent_spec,
    latent_tails,
    sample_latent,
)
from gansim.gan.memory import replication_bytes
from gansim.gan.mlp import MLPLayout, initial_parameters
from gansim.gan.noise import latents_from_tensors, philox_normals
from gansim.gan.train import train_gans
from gansim.rng import replication_streams, torch_generator
from gansim.study.dgp import NormalMixture, StudentT, make_dgp
from gansim.study.functionals import GapMass, TailIndex, mixture_gap, tail_index_truth

needs_fused = pytest.mark.skipif(fused.fused_available(GANConfig()) is not None,
                                 reason="no C compiler for the fused engine")
KEYS = np.array([[1, 2], [3, 4], [0xFFFFFFFF, 7]])


def _streams(seed, R):
    return [replication_streams(seed, rep=r) for r in range(R)]


def _torch_latents(cfg, steps, draws, points, tails=None):
    t = None if tails is None else torch.as_tensor(tails)
    return latents_from_tensors(torch.as_tensor(KEYS), torch.as_tensor(steps), draws, points,
                                cfg.latent_dim, latent_spec(cfg), t)


# ------------------------------------------------------------------------------------------
# The options in GANConfig


def test_defaults_keep_the_settings_record():
    """The new fields stay out of the record while they hold their defaults, so every
    committed study's settings (and resumable blocks) still match."""
    cfg = GANConfig()
    assert cfg.normal_latent and not cfg.grows
    assert not {"latent", "latent_tail", "latent_components", "latent_separation",
                "steps_power", "width_power", "budget_n0"} & set(cfg.to_dict())
    rec = GANConfig(latent="pareto", latent_tail=3, latent_components=2).to_dict()
    assert rec["latent"] == "pareto" and rec["latent_tail"] == 3.0
    assert rec["latent_components"] == 2


@pytest.mark.parametrize("kwargs, match", [
    (dict(latent="student_t"), "`latent` must be one of"),
    (dict(latent_tail=0), "`latent_tail` must be one of 'hill' or a number in"),
    (dict(latent_tail="moment"), "`latent_tail`"),
    (dict(latent_components=0), "`latent_components`"),
    (dict(latent_separation=0.0), "`latent_separation`"),
    (dict(steps_power=-0.5), "`steps_power`"),
    (dict(budget_n0=1), "`budget_n0`"),
    (dict(latent="pareto", noise="generator"), "need noise='philox'"),
    (dict(latent_components=3, noise="generator"), "need noise='philox'"),
])
def test_bad_generator_options_are_refused(kwargs, match):
    with pytest.raises(InvalidParameterError, match=match):
        GANConfig(**kwargs)


def test_budget_grows_with_n_by_its_rule():
    cfg = GANConfig(steps=2000, g_hidden=(16, 16), d_hidden=(16,), steps_power=0.5,
                    width_power=0.5, budget_n0=100)
    for n in (25, 100, 400, 3200):
        got = cfg.at_n(n)
        assert got.steps == round(2000 * (n / 100) ** 0.5)
        assert got.g_hidden == (round(16 * (n / 100) ** 0.5),) * 2
        assert got.d_hidden == (round(16 * (n / 100) ** 0.5),)
        assert not got.grows
    assert GANConfig().at_n(3200) is not None and GANConfig().at_n(3200) == GANConfig()
    # Trained at n = 400: the block's config is that n's, and memory is counted for it.
    streams = _streams(2, 2)
    x = np.stack([s.data_rng().standard_normal(40) for s in streams])
    small = GANConfig(steps=10, steps_power=1.0, width_power=0.5, budget_n0=10,
                      engine="torch")
    block = train_gans(x, small, init_seeds=[s.init for s in streams],
                       noise_seeds=[s.noise for s in streams])
    assert block.config.steps == 40 and block.config.g_hidden == (32, 32)
    assert replication_bytes(small, 40, 1000) == replication_bytes(small.at_n(40), 40, 1000)


# ------------------------------------------------------------------------------------------
# Hill's estimator and the latent's tail index


def test_hill_is_the_pareto_mle_above_the_threshold():
    """Hill's estimate equals scipy's maximum-likelihood Pareto exponent of the k largest
    points over the (k+1)-th (Hill 1975: the conditional MLE)."""
    x = stats.t(3).rvs(size=(3, 500), random_state=np.random.default_rng(5))
    k = 40
    got = hill_tail_index(x, k)
    for row, est in zip(x, got, strict=True):
        top = np.sort(row)[::-1]
        b, _, _ = stats.pareto.fit(top[:k] / top[k], floc=0, fscale=1)
        assert est == pytest.approx(b, rel=1e-9)
    assert hill_k(100) == 10 and hill_k(3) == 2
    assert np.isnan(hill_tail_index(-np.abs(x[0]), 5))   # no positive threshold
    with pytest.raises(ValueError, match="`k` must be in"):
        hill_tail_index(x, 500)


def test_latent_tails_fixed_estimated_and_clipped():
    rng = np.random.default_rng(0)
    x = np.stack([rng.standard_t(2, 400), rng.uniform(size=400), np.tile([-1.0, 1.0], 200)])
    x = (x - x.mean(1, keepdims=True)) / x.std(1, ddof=1, keepdims=True)
    assert latent_tails(GANConfig(), x) is None
    assert np.all(latent_tails(GANConfig(latent="pareto", latent_tail=2.5), x) == 2.5)
    est = latent_tails(GANConfig(latent="pareto"), x)
    raw = hill_tail_index(np.abs(x), hill_k(400))
    assert est[0] == pytest.approx(raw[0]) and 1 < est[0] < 4          # t2: about 2
    assert HILL_CLIP[0] <= est.min() and est.max() <= HILL_CLIP[1]
    assert est[2] == HILL_CLIP[1]          # |x| all tied: no finite estimate, the light end


# ------------------------------------------------------------------------------------------
# The latent noise: definitions, and the C kernel against PyTorch


@needs_fused
@pytest.mark.parametrize("cfg", [
    GANConfig(latent="pareto"),
    GANConfig(latent_components=3),
    GANConfig(latent="pareto", latent_components=4, latent_separation=2.5, latent_dim=3),
], ids=["pareto", "mixture3", "pareto-mixture4"])
def test_fused_kernel_computes_the_same_latents(cfg):
    """fused.c's latents equal noise.py's: bit for bit, or at most one unit in the last place
    where the two libraries' double exp/log round differently."""
    tails = np.array([0.7, 3.0, 40.0])
    points = 257                                   # not a multiple of 4
    c = fused.philox_latents_c(cfg, KEYS, 5, 2, 2, points, tails)
    t = _torch_latents(cfg, [5, 6], 2, points, tails)
    assert c.shape == t.shape == (2, 2, 3, points * cfg.latent_dim)
    ulp = torch.nextafter(t.abs(), torch.tensor(math.inf)) - t.abs()
    assert ((c - t).abs() <= ulp).all()
    assert (c == t).float().mean() > 0.999


def test_latents_do_not_depend_on_the_block_or_the_chunk():
    """PhiloxNoise hands every engine the same latents whatever the chunk of steps and the
    other replications of the block."""
    from gansim.gan.noise import PhiloxNoise

    cfg = GANConfig(latent="pareto", latent_components=2)
    seeds = [s.noise for s in _streams(6, 3)]
    tails = np.array([1.5, 2.5, 4.0])
    common = dict(steps=7, n=9, latent_dim=4, dtype=torch.float32, device="cpu",
                  latent=latent_spec(cfg))
    whole = PhiloxNoise(seeds, chunk=7, tails=tails, **common)
    pieces = PhiloxNoise(seeds[1:], chunk=2, tails=tails[1:], **common)
    for step in range(7):
        assert torch.equal(whole.at(step)[1][1:], pieces.at(step)[1])


def test_pareto_latent_has_its_closed_form_law():
    """|z| has P(|z| > x) = (1 + x/α)^(-α), the sign is a fair coin, independent of the draw,
    step and replication (KS against the closed form, one sample per replication)."""
    cfg = GANConfig(latent="pareto", latent_dim=2)
    tails = np.array([1.5, 3.0, 8.0])
    z = _torch_latents(cfg, [0, 1], 1, 10_000, tails).double()     # (2, 1, 3, 20_000)
    for r, a in enumerate(tails):
        s = z[:, :, r].reshape(-1).numpy()
        p = stats.kstest(np.abs(s), lambda x, a=a: 1 - (1 + x / a) ** -a).pvalue
        assert p > 1e-3
        assert abs(np.mean(s > 0) - 0.5) < 4 * 0.5 / math.sqrt(s.size)
    # Sampling after training uses the same law, from the sampling generators.
    gens = [torch_generator(s.draws) for s in _streams(1, 3)]
    w = sample_latent(cfg, 20_000, gens, torch.as_tensor(tails), dtype=torch.float64,
                      device="cpu")
    for r, a in enumerate(tails):
        p = stats.kstest(np.abs(w[r].reshape(-1).numpy()),
                         lambda x, a=a: 1 - (1 + x / a) ** -a).pvalue
        assert p > 1e-3


def test_mixture_latent_shifts_equal_shares_of_points():
    """Each point's first coordinate is shifted by sep * (k - (K-1)/2), k uniform on
    0..K-1 (exact shares within 4 binomial sds); the other coordinates are the normals."""
    K, sep, points = 4, 6.0, 20_000
    cfg = GANConfig(latent_components=K, latent_separation=sep)
    z = _torch_latents(cfg, [3], 2, points).view(2, 3, points, 4)
    normals = philox_normals(KEYS, [3], 2, points * 4).view(2, 3, points, 4)
    assert torch.equal(z[..., 1:], normals[..., 1:])
    shift = (z[..., 0] - normals[..., 0]).double()
    k = torch.round(shift / sep + (K - 1) / 2)
    assert torch.allclose(shift, sep * (k - (K - 1) / 2), atol=1e-5)
    shares = torch.stack([(k == j).double().mean() for j in range(K)])
    assert torch.allclose(shares, torch.full((K,), 1 / K, dtype=torch.float64),
                          atol=4 * math.sqrt(0.25 * 0.75 / k.numel()))
    # The draws after training: the first coordinate is a K-component normal mixture.
    gens = [torch_generator(s.draws) for s in _streams(4, 2)]
    w = sample_latent(cfg, 20_000, gens, None, dtype=torch.float64, device="cpu")
    centres = sep * (np.arange(K) - (K - 1) / 2)
    cdf = lambda x: np.mean([stats.norm.cdf(x - c) for c in centres], axis=0)  # noqa: E731
    assert stats.kstest(w[0, :, 0].numpy(), cdf).pvalue > 1e-3
    assert stats.kstest(w[1, :, 2].numpy(), "norm").pvalue > 1e-3


@needs_fused
def test_gradients_with_a_heavy_tailed_latent_match_autograd():
    """The kernel's backward pass on Pareto latents (inputs up to ~10^3) against autograd in
    float64, as tests/test_fused.py does for normal latents."""
    from tests.test_fused import _autograd_gradients

    cfg = GANConfig(latent="pareto", latent_components=2)
    R, n = 3, 37
    streams = _streams(11, R)
    real = torch.as_tensor(np.stack([s.data_rng().standard_t(3, n) for s in streams]),
                           dtype=torch.float32)
    gens = [torch_generator(s.init) for s in streams]
    g_rows = initial_parameters(MLPLayout(cfg.g_sizes), gens, dtype=torch.float32, device="cpu")
    d_rows = initial_parameters(MLPLayout(cfg.d_sizes), gens, dtype=torch.float32, device="cpu")
    z = fused.philox_latents_c(cfg, KEYS, 0, 1, 2, n, np.array([1.2, 2.0, 3.0]))
    z_d, z_g = z[0].view(2, R, n, cfg.latent_dim)
    assert z.abs().max() > 50                       # the heavy tail is exercised
    g_grad, d_grad = fused.fused_gradients(real, cfg, g_rows, d_rows, z_d, z_g)
    g_ref, d_ref = _autograd_gradients(real, cfg, g_rows, d_rows, z_d, z_g)
    torch.testing.assert_close(d_grad.double(), d_ref, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(g_grad.double(), g_ref, rtol=1e-4, atol=1e-5)


def test_compiled_step_computes_the_torch_engines_training(monkeypatch):
    """The compiled engine's step with a Pareto mixture latent, run eagerly (its arithmetic;
    the compilation itself is checked for the normal latent in test_engine_compiled.py),
    follows the batched PyTorch engine."""
    from gansim.gan import compiled

    monkeypatch.setattr(compiled, "compiled_step_fn", lambda kind: compiled._compiled_step)
    monkeypatch.setattr(compiled, "compiled_supports", lambda cfg: None)
    monkeypatch.setattr(compiled, "compiled_unavailable", lambda device="cpu": None)
    from gansim.gan import resolve

    monkeypatch.setattr(resolve, "compiled_supports", lambda cfg: None)
    monkeypatch.setattr(resolve, "compiled_unavailable", lambda device="cpu": None)
    streams = _streams(8, 3)
    x = np.stack([s.data_rng().standard_t(3, 20) for s in streams])
    kw = dict(init_seeds=[s.init for s in streams], noise_seeds=[s.noise for s in streams])
    cfg = GANConfig(steps=15, latent="pareto", latent_components=2)
    ref = train_gans(x, replace(cfg, engine="torch"), **kw, record_losses=True)
    got = train_gans(x, replace(cfg, engine="compiled"), **kw, record_losses=True)
    torch.testing.assert_close(got.latent_tails, ref.latent_tails)
    for a, b in ((got.generator, ref.generator), (got.losses, ref.losses)):
        torch.testing.assert_close(a, b, rtol=0, atol=2e-5)


# ------------------------------------------------------------------------------------------
# Functionals: mass in a gap, tail index


def test_gap_of_a_mixture_and_its_mass():
    sym = NormalMixture()
    lo, hi = mixture_gap(sym)
    assert (lo, hi) == pytest.approx((-1.0, 1.0), abs=1e-7)
    f = GapMass(lo, hi)
    # Closed form: each component puts Φ((1 + 2)/0.5) - Φ((-1 + 2)/0.5) in (-1, 1).
    closed = stats.norm.cdf(6) - stats.norm.cdf(2)
    assert f.true_value(sym) == pytest.approx(closed, rel=1e-9)
    x = sym.sample(200_000, np.random.default_rng(1))
    est = f.evaluate(x[None, :], n=100)["estimate"][0]
    assert abs(est - closed) < 4 * math.sqrt(closed * (1 - closed) / x.size)
    skew = NormalMixture(weights=(0.7, 0.3), means=(0.0, 3.0), sds=(1.0, 0.5))
    lo, hi = mixture_gap(skew, half_width=0.1)
    grid = np.linspace(0, 3, 300_001)
    assert (lo + hi) / 2 == pytest.approx(grid[np.argmin(skew.pdf(grid))], abs=1e-4)
    with pytest.raises(ValueError, match="two components"):
        mixture_gap(make_dgp("normal"))


def test_tail_index_functional_against_its_truth():
    assert tail_index_truth(StudentT(df=3.0)) == 3.0
    assert tail_index_truth(stats.t(4)) == 4.0
    assert tail_index_truth(make_dgp("lognormal")) == math.inf
    f = TailIndex()
    assert f.true_value(StudentT(df=3.0)) == 3.0 and f.true_value(make_dgp("gamma")) is None
    rng = np.random.default_rng(2)
    x = np.stack([rng.standard_t(2.0, 250_000), rng.standard_normal(250_000)])
    est = f.evaluate(x, n=100)["estimate"]
    k = hill_k(x.shape[1])
    assert k == 500
    assert est[0] == pytest.approx(hill_tail_index(x[0] - np.median(x[0]), k))
    assert abs(est[0] - 2.0) < 4 * 2.0 / math.sqrt(k)
    assert est[1] > 4                                  # a light tail: a large index
    # Location-invariant, and defined whatever the sample's sign.
    shifted = f.evaluate(x[:1] - 100.0, n=100)["estimate"]
    assert shifted[0] == pytest.approx(est[0], rel=1e-6)
    assert TailIndex(k=50).evaluate(x[:1], n=100)["estimate"][0] == pytest.approx(
        hill_tail_index(x[0] - np.median(x[0]), 50))
    assert np.isnan(f.evaluate(np.array([[1.0, np.inf, 2.0]]), n=3)["estimate"][0])


def test_one_data_set_inference_with_the_new_generators():
    """GANEstimator trains, samples and bootstraps with a Pareto mixture latent (its draws
    come from the tail index of each bootstrap data set)."""
    from gansim import GANEstimator

    x = np.random.default_rng(0).standard_t(3, 60)
    est = GANEstimator(GANConfig(steps=20, latent="pareto", latent_components=2,
                                 engine="torch"), m=500, seed=1).fit(x)
    assert np.isfinite(est.draws_).all()
    ci = est.conf_int("median", method="percentile", R=3)
    assert ci.lower <= ci.upper
