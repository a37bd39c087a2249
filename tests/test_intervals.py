"""Classical intervals (gansim.inference.intervals), the GAN bootstrap's warm start and the coverage
study's machinery: closed forms, scipy.stats on the same resamples, Monte Carlo checks with
MCSE tolerances and negative controls."""

import math

import numpy as np
import pytest
import scipy.stats as st
import torch

from gansim import GANConfig, GANEstimator
from gansim.gan.engine import train_gans
from gansim.inference import estimator as est_mod
from gansim.inference.intervals import (
    bootstrap_conf_int,
    bootstrap_replicates,
    interval_method,
    t_interval,
)
from gansim.rng import replication_streams, torch_generator
from gansim.study.methods import bandwidth

_SCIPY_T = {"mean": np.mean,
            "median": lambda s, axis: np.quantile(s, 0.5, axis=axis),
            "q10": lambda s, axis: np.quantile(s, 0.1, axis=axis),
            "sd": lambda s, axis: np.std(s, ddof=1, axis=axis)}


def test_t_interval_is_scipys():
    x = np.random.default_rng(3).normal(5.0, 2.0, size=17)
    ci = t_interval(x, level=0.9)
    lo, hi = st.t.interval(0.9, 16, loc=x.mean(), scale=st.sem(x))
    assert (ci.lower, ci.upper) == pytest.approx((lo, hi), rel=1e-12)
    assert ci.se == pytest.approx(st.sem(x), rel=1e-12)


def test_t_interval_covers_and_a_z_interval_at_small_n_does_not():
    # Normal data, n = 5: the t interval is exact (coverage 0.95); the z interval with the
    # same s/sqrt(n) is not (closed form: P(|T_4| <= 1.96) = 0.878) -- a negative control.
    rng = np.random.default_rng(11)
    B, n = 4000, 5
    x = rng.normal(size=(B, n))
    hit_t = np.array([(c := t_interval(row)).lower <= 0 <= c.upper for row in x])
    se = x.std(axis=1, ddof=1) / math.sqrt(n)
    hit_z = np.abs(x.mean(axis=1)) <= 1.959964 * se
    mcse = math.sqrt(0.95 * 0.05 / B)
    assert abs(hit_t.mean() - 0.95) < 4 * mcse
    z_true = 2 * st.t.cdf(1.959964, n - 1) - 1
    assert abs(hit_z.mean() - z_true) < 4 * math.sqrt(z_true * (1 - z_true) / B)
    assert 0.95 - hit_z.mean() > 4 * mcse


@pytest.mark.parametrize("method", ["percentile", "basic", "bca"])
@pytest.mark.parametrize("T", ["mean", "median", "q10", "sd"])
def test_bootstrap_is_scipys_on_the_same_resamples(method, T):
    x = np.random.default_rng(0).exponential(size=30)
    ref = st.bootstrap((x,), _SCIPY_T[T], n_resamples=999, method=method,
                       confidence_level=0.9, rng=np.random.default_rng(5))
    ci = bootstrap_conf_int(x, T, 0.9, method, 999, rng=np.random.default_rng(5))
    assert (ci.lower, ci.upper) == pytest.approx(tuple(ref.confidence_interval), rel=1e-10)
    assert ci.se == pytest.approx(ref.standard_error, rel=1e-10)
    assert ci.estimate == pytest.approx(float(_SCIPY_T[T](x, axis=-1)), rel=1e-12)


def test_smoothed_bootstrap_keeps_the_ecdfs_variance_and_unshrunk_does_not():
    # Shrunk smoothed resamples come from a distribution with the ecdf's mean and variance
    # σ̂² exactly, so the divisor-n variance of a resample has expectation σ̂² (n-1)/n and
    # its mean expectation x̄.  Negative control: without the shrinkage the expectation is
    # (σ̂² + h²)(n-1)/n, which the same tolerance must reject.
    x = np.random.default_rng(2).gamma(2.0, size=40)
    n, R = x.size, 20_000
    var_reps = bootstrap_replicates(x, lambda s: s.var(), R, rng=1, smooth="nrd0")
    mean_reps = bootstrap_replicates(x, "mean", R, rng=2, smooth="nrd0")
    target = x.var() * (n - 1) / n
    tol = 4 * var_reps.std(ddof=1) / math.sqrt(R)
    assert abs(var_reps.mean() - target) < tol
    assert abs(mean_reps.mean() - x.mean()) < 4 * mean_reps.std(ddof=1) / math.sqrt(R)
    h = float(bandwidth(x[None, :], "nrd0")[0])
    assert abs(var_reps.mean() - (x.var() + h * h) * (n - 1) / n) > tol


def test_interval_method_shares_resamples_between_methods():
    x = np.random.default_rng(4).lognormal(size=25)
    seed = np.random.SeedSequence(8)
    pct = interval_method("percentile", ["mean", "q90"], R=300)(x, np.random.default_rng(seed))
    basic = interval_method("basic", ["mean", "q90"], R=300)(x, np.random.default_rng(seed))
    for q in ("mean", "q90"):
        # basic = 2 T(F_n) - percentile, reversed, on the same replicates.
        assert basic[q].lower == pytest.approx(2 * pct[q].estimate - pct[q].upper)
        assert basic[q].upper == pytest.approx(2 * pct[q].estimate - pct[q].lower)
        assert basic[q].se == pct[q].se
    t = interval_method("t", ["mean"])(x, np.random.default_rng(0))["mean"]
    assert t.estimate == pytest.approx(x.mean())


def test_warm_start_with_no_learning_keeps_the_starting_generator():
    # lr ~ 0: training moves nothing, so the EMA (the sampler) equals the start's weights.
    s = [replication_streams(3, rep=r) for r in range(3)]
    x = np.stack([t.data_rng().standard_normal(30) for t in s])
    first = train_gans(x[:1], GANConfig(steps=50), init_seeds=[s[0].init],
                       noise_seeds=[s[0].noise])
    still = GANConfig(steps=20, lr=1e-30, lr_final=1e-30)
    warm = train_gans(x, still, init_seeds=None, noise_seeds=[t.noise for t in s],
                      warm_start=first)
    assert torch.allclose(warm.generator, first.generator.expand(3, -1), atol=1e-6)
    # ... and a warm start with learning moves it, each row by its own data and noise, and
    # maps its draws back to its own data's scale (the row's mean and sd, float64).
    moved = train_gans(x * 10.0 + 100.0, GANConfig(steps=200), init_seeds=None,
                       noise_seeds=[t.noise for t in s], warm_start=first)
    assert not torch.allclose(moved.generator[1], first.generator[0], atol=1e-3)
    assert not torch.allclose(moved.generator[1], moved.generator[2], atol=1e-3)
    assert torch.equal(moved.center, torch.as_tensor(x * 10.0 + 100.0).mean(dim=1))
    draws = moved.sample(4000, [torch_generator(t.draws) for t in s]).numpy()
    assert np.all(np.abs(draws.mean(axis=1) - 100.0) < 10.0)


def test_warm_start_refuses_another_architecture_or_row_count():
    s = [replication_streams(3, rep=r) for r in range(2)]
    x = np.stack([t.data_rng().standard_normal(20) for t in s])
    block = train_gans(x, GANConfig(steps=5), init_seeds=[t.init for t in s],
                       noise_seeds=[t.noise for t in s])
    with pytest.raises(ValueError, match="architecture"):
        train_gans(x, GANConfig(steps=5, g_hidden=(8, 8)), init_seeds=None,
                   noise_seeds=[t.noise for t in s], warm_start=block)
    with pytest.raises(ValueError, match="1 replication or one per row"):
        train_gans(np.vstack([x, x]), GANConfig(steps=5), init_seeds=None,
                   noise_seeds=[t.noise for t in s] * 2, warm_start=block)
    with pytest.raises(TypeError, match="warm_start"):
        train_gans(x, GANConfig(steps=5), init_seeds=None, noise_seeds=[t.noise for t in s],
                   warm_start="block")
    with pytest.raises(ValueError, match="init_seeds"):
        train_gans(x, GANConfig(steps=5), init_seeds=None, noise_seeds=[t.noise for t in s])


def test_gan_methods_share_one_fit_and_one_set_of_bootstrap_gans(monkeypatch):
    est_mod._LAST_FIT.clear()
    fits = []
    real_fit = GANEstimator.fit
    monkeypatch.setattr(GANEstimator, "fit", lambda self, x: fits.append(1) or real_fit(self, x))
    base = GANEstimator(GANConfig(steps=60), m=2000, bootstrap_steps=20)
    x = np.random.default_rng(6).normal(size=30)
    out = {k: base.as_method(["mean", "median"], k, R=30)(x, np.random.default_rng(1))
           for k in ("wald", "percentile", "basic")}
    assert len(fits) == 1
    for q in ("mean", "median"):
        p, b = out["percentile"][q], out["basic"][q]
        assert b.lower == pytest.approx(2 * p.estimate - p.upper)
        assert out["wald"][q].estimate == p.estimate
    # Another seed is another fit; the cache keeps the last 8.
    base.as_method("mean")(x, np.random.default_rng(2))
    assert len(fits) == 2 and len(est_mod._LAST_FIT) == 2


def test_warm_bootstrap_keeps_the_bootstrap_spread():
    # Warm-started bootstrap GANs (300 steps from the fitted GAN) and GANs trained from
    # scratch (the default 2,000 steps) on the same resamples: the spread of X̄* over the
    # replicates must match the ecdf bootstrap's σ̂/sqrt(n) within the sampling error of an
    # sd from R = 60 replicates (relative sd 1/sqrt(2 R); 4 of those on the log scale) plus
    # the GAN's own training noise, which results/poc measures at sd(X̄*)/sd(X̄) = 1.09.
    x = np.random.default_rng(9).normal(size=60)
    target = x.std() / math.sqrt(x.size)
    for warm in (None, 300):
        e = GANEstimator(seed=3, m=4000, bootstrap_steps=warm).fit(x)
        se = e.conf_int("mean", method="percentile", R=60).se
        assert abs(math.log(se / target)) < 4 / math.sqrt(2 * 60) + math.log(1.09)
    assert "bootstrap_steps=80" in repr(GANEstimator(bootstrap_steps=80))
    with pytest.raises(ValueError, match="bootstrap_steps"):
        GANEstimator(bootstrap_steps=0)
