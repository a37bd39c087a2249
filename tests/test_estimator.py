"""GANEstimator: inference from one data set (issue 11, items 1-2).

Closed forms of the Wald SEs recomputed by hand from the stored draws; the bootstrap
interval step against scipy.stats.bootstrap on the same replicates; reproducibility; one
batched training call per bootstrap; a small coverage check whose expected level is derived
from the GAN's measured training noise (with an MCSE tolerance), and a negative control; bad
inputs.  Short training throughout (steps 200-300), so the file runs in a few seconds.
"""

import math

import numpy as np
import pandas as pd
import pytest
import scipy.stats as st
from scipy import special

import gansim
import gansim.inference.estimator as estimator_module
from gansim import GANConfig, GANEstimator
from gansim.inference.estimator import ConfInt, bootstrap_interval
from gansim.study.functionals import FUNCTIONALS, Estimate, Functional

SHORT = GANConfig(steps=200)


@pytest.fixture(scope="module")
def fitted():
    x = np.random.default_rng(11).gamma(2.0, size=60)
    return GANEstimator(SHORT, seed=3, m=20_000).fit(x)


# ------------------------------------------------------------------------------------------
# Closed forms.


def test_public_at_top_level():
    assert gansim.GANEstimator is GANEstimator
    assert "GANEstimator" in gansim.__all__


@pytest.mark.parametrize("level", [0.8, 0.95])
def test_wald_mean_is_estimate_pm_z_sstar_over_sqrt_n(fitted, level):
    d, n = fitted.draws_, fitted.n_
    ci = fitted.conf_int("mean", level=level)
    z = st.norm.ppf(0.5 + level / 2)
    se = d.std(ddof=1) / math.sqrt(n)
    assert ci.estimate == pytest.approx(d.mean(), rel=1e-12)
    assert ci.se == pytest.approx(se, rel=1e-12)
    assert (ci.lower, ci.upper) == pytest.approx((d.mean() - z * se, d.mean() + z * se),
                                                 rel=1e-12)
    assert (ci.level, ci.method, ci.R, ci.bootstrap) == (level, "wald", None, None)


def test_wald_sd_and_quantiles_closed_forms(fitted):
    d, n = fitted.draws_, fitted.n_
    c = d - d.mean()
    var, mu4 = np.mean(c**2), np.mean(c**4)
    sd = fitted.conf_int("sd")
    assert sd.estimate == pytest.approx(d.std(ddof=1), rel=1e-12)
    assert sd.se == pytest.approx(math.sqrt((mu4 - var**2) / (4 * var * n)), rel=1e-12)
    for name, q in [("median", 0.5), ("q10", 0.1), ("q90", 0.9)]:
        ci = fitted.conf_int(name)
        xi = np.quantile(d, q)
        f = st.gaussian_kde(d)(xi)[0]
        assert ci.estimate == pytest.approx(xi, rel=1e-12)
        assert ci.se == pytest.approx(math.sqrt(q * (1 - q)) / (f * math.sqrt(n)), rel=1e-10)
    # The normal theory of the sd: for N(0, 1) data mu4 = 3, SE = 1/sqrt(2n).
    norm = GANEstimator(SHORT, seed=1, m=20_000).fit(np.random.default_rng(0).normal(size=400))
    assert norm.conf_int("sd").se == pytest.approx(1 / math.sqrt(800), rel=0.25)


def test_wald_of_a_custom_functional_is_its_monte_carlo_sd_at_n(fitted):
    # P(X > 3): the SE of a proportion at sample size n, sqrt(p (1 - p) / n), up to the
    # Monte Carlo error of 200 samples (about 5% relative).
    ci = fitted.conf_int(lambda s: np.mean(s > 3.0))
    p = np.mean(fitted.draws_ > 3.0)
    assert ci.estimate == pytest.approx(p)
    assert ci.se == pytest.approx(math.sqrt(p * (1 - p) / fitted.n_), rel=0.2)


def test_point_estimates_on_the_draws(fitted):
    d = fitted.draws_
    assert fitted.mean() == pytest.approx(d.mean(), rel=1e-12)
    assert fitted.std() == pytest.approx(d.std(ddof=1), rel=1e-12)
    assert fitted.quantile(0.3) == pytest.approx(np.quantile(d, 0.3), rel=1e-12)
    for name, f in FUNCTIONALS.items():
        assert fitted.functional(name) == fitted.functional(f)
    wrapped = Functional(lambda s: Estimate(float(np.median(s)), se=1.0))
    assert fitted.functional(wrapped) == pytest.approx(np.median(d))
    # cdf: the ecdf of the draws; ppf: its generalised inverse, an order statistic.
    t = np.array([0.5, 1.0, 2.5])
    assert np.array_equal(fitted.cdf(t), [(d <= v).mean() for v in t])
    s = np.sort(d)
    q = np.array([0.0, 1e-6, 0.25, 0.5, 0.9, 1.0])
    x = fitted.ppf(q)
    assert np.all(fitted.cdf(x) >= q)
    assert np.all(np.isin(x, d))
    below = np.searchsorted(s, x, side="left") / d.size  # cdf just below x
    assert np.all(below < q + (q == 0))
    assert isinstance(fitted.cdf(1.0), float) and isinstance(fitted.ppf(0.5), float)
    r = fitted.rvs((3, 4))
    assert r.shape == (3, 4) and np.isfinite(r).all()
    assert not np.array_equal(fitted.rvs(5), fitted.rvs(5))  # the stream continues


# ------------------------------------------------------------------------------------------
# The bootstrap intervals.


@pytest.mark.parametrize("method", ["percentile", "basic", "bca"])
@pytest.mark.parametrize("level", [0.9, 0.95])
def test_bootstrap_interval_matches_scipy(method, level):
    x = np.random.default_rng(5).gamma(2.0, size=30)
    res = st.bootstrap((x,), np.mean, n_resamples=999, confidence_level=level, method=method,
                       rng=np.random.default_rng(1))
    jack = np.array([np.delete(x, i).mean() for i in range(x.size)])
    ours = bootstrap_interval(x.mean(), res.bootstrap_distribution, level=level, method=method,
                              jackknife=jack)
    ci = res.confidence_interval
    assert ours == pytest.approx((ci.low, ci.high), rel=1e-12, abs=1e-12)


def test_gan_bootstrap_one_batched_training_and_cache(monkeypatch):
    calls = []
    real = estimator_module.train_gans

    def spy(data, config, **kw):
        calls.append(np.asarray(data).shape)
        return real(data, config, **kw)

    monkeypatch.setattr(estimator_module, "train_gans", spy)
    x = np.random.default_rng(2).normal(3.0, 2.0, size=40)
    est = GANEstimator(SHORT, seed=4, m=5000).fit(x)
    assert calls == [(1, 40)]
    p = est.conf_int("mean", method="percentile", R=12)
    assert calls[1:] == [(12, 40)]  # all R GANs in ONE batched call
    b = est.conf_int("mean", method="basic", R=12, level=0.9)
    med = est.conf_int("median", method="percentile", R=12)
    assert len(calls) == 2  # other methods, levels, functionals reuse the GANs
    est.conf_int("mean", method="percentile", R=20)
    assert calls[2:] == [(8, 40)]  # a larger R trains only the new replicates
    est.conf_int("mean", method="percentile", R=5, bootstrap="parametric")
    assert calls[3:] == [(5, 40)]
    # Percentile and basic from the same replicates: basic = 2 T(F*) - percentile, reversed.
    p90 = est.conf_int("mean", method="percentile", R=12, level=0.9)
    assert (b.lower, b.upper) == pytest.approx((2 * p90.estimate - p90.upper,
                                                2 * p90.estimate - p90.lower), rel=1e-12)
    assert p.estimate == est.mean() and med.estimate == est.functional("median")
    assert p.lower < p.estimate < p.upper and p.R == 12 and p.bootstrap == "nonparametric"
    # Replicate b does not depend on R: the first 12 of 20 are the 12.
    again = GANEstimator(SHORT, seed=4, m=5000).fit(x)
    again.conf_int("mean", method="percentile", R=20)
    assert again.conf_int("mean", method="percentile", R=12) == p


def test_gan_bootstrap_replicates_and_bca(fitted):
    ci = fitted.conf_int("sd", method="bca", R=20)
    assert ci.method == "bca" and ci.lower < ci.upper and ci.R == 20
    pb = fitted.conf_int("mean", method="percentile", R=20, bootstrap="parametric")
    assert pb.bootstrap == "parametric" and "parametric" in repr(pb)
    assert np.isfinite([pb.lower, pb.upper, pb.se]).all() and pb.se > 0


def test_bootstrap_se_near_wald_se_with_default_training():
    # With the default 2,000 steps the GAN's training noise is small next to the sampling
    # error (with 200 steps it is not: the bootstrap SE is then several times the Wald SE),
    # so the bootstrap and Wald SEs of the mean agree to within the noise of R = 20.
    x = np.random.default_rng(11).gamma(2.0, size=60)
    est = GANEstimator(seed=3, m=20_000).fit(x)
    ratio = est.conf_int("mean", method="percentile", R=20).se / est.conf_int("mean").se
    assert 0.6 < ratio < 1.6, ratio


def test_constant_resamples_are_point_masses():
    # n = 2: a quarter of the resamples are {0, 0} and a quarter {1, 1}.
    est = GANEstimator(SHORT, seed=0, m=1000).fit([0.0, 1.0])
    ci = est.conf_int("mean", method="percentile", R=40, level=0.5)
    assert np.isfinite([ci.lower, ci.upper]).all()


def test_repr_and_to_estimate():
    ci = ConfInt(0.5, 0.1, 0.3, 0.7, 0.9, "wald")
    assert repr(ci) == "ConfInt(estimate=0.5, se=0.1, 90% wald [0.3, 0.7])"
    assert ci.to_estimate() == Estimate(0.5, se=0.1, lower=0.3, upper=0.7)
    with pytest.raises(AttributeError):
        ci.lower = 0.0  # frozen


# ------------------------------------------------------------------------------------------
# Reproducibility.


def test_same_seed_same_numbers_different_seed_different():
    x = pd.Series(np.random.default_rng(9).normal(size=30))
    a = GANEstimator(SHORT, seed=5, m=3000).fit(x)
    b = GANEstimator(SHORT, seed=5, m=3000).fit(x.to_numpy())  # Series or array alike
    c = GANEstimator(SHORT, seed=6, m=3000).fit(x)
    assert np.array_equal(a.draws_, b.draws_)
    assert a.conf_int("median") == b.conf_int("median")
    assert (a.conf_int("mean", method="basic", R=8)
            == b.conf_int("mean", method="basic", R=8))
    assert np.array_equal(a.rvs(10), b.rvs(10))
    assert not np.array_equal(a.draws_, c.draws_)
    assert a.conf_int("mean") != c.conf_int("mean")
    assert (a.conf_int("mean", method="basic", R=8)
            != c.conf_int("mean", method="basic", R=8))
    # Refitting restarts every stream.
    assert np.array_equal(a.fit(x).draws_, b.draws_)


# ------------------------------------------------------------------------------------------
# Coverage, with Monte Carlo SEs.


def _wald_mean_study(B=300, n=50, steps=300, m=20_000):
    rng = np.random.default_rng(2024)
    est, lower, upper, xbar = (np.empty(B) for _ in range(4))
    for b in range(B):
        x = rng.standard_normal(n)
        ci = GANEstimator(GANConfig(steps=steps), seed=b, m=m).fit(x).conf_int("mean")
        est[b], lower[b], upper[b], xbar[b] = ci.estimate, ci.lower, ci.upper, x.mean()
    return est, lower, upper, xbar


@pytest.mark.slow
def test_wald_mean_coverage_matches_what_the_gan_noise_predicts():
    """Wald interval of the mean, N(0, 1), n = 50, 300 training steps, 300 data sets.

    T(F*) - mu = (xbar - mu) + w with w = T(F*) - xbar the GAN's own training noise:
    xbar ~ N(0, 1/n) exactly, and w, nearly uncorrelated with xbar (correlation -0.03 here),
    is observed on every data set.  An interval T(F*) ± h_b then covers mu = 0 with
    probability P(|xbar + w| <= h_b) = E_w[Φ((h_b - w) sqrt(n)) - Φ((-h_b - w) sqrt(n))];
    averaging over the observed w's (their empirical distribution, no normality assumed) and
    the data sets gives the expected coverage, 0.75 here against 0.77 observed.  The Wald
    interval accounts for the sampling part only, so with short training (sd(w) = 0.20,
    above sd(xbar) = 0.14) it must under-cover: both are asserted with 4 MCSE of the
    observed coverage.  (With the default 2,000 steps a pilot of 200 data sets gave
    sd(w) = 0.014 and coverage 0.915, MCSE 0.02: the coverage study of issue 11 item 3 is
    where that is to be settled.)
    """
    est, lower, upper, xbar = _wald_mean_study()
    B, n = est.size, 50
    half = (upper - lower) / 2
    assert np.allclose(lower + half, est)  # centred on T(F*)
    cover = np.mean((lower <= 0.0) & (0.0 <= upper))
    mcse = math.sqrt(cover * (1 - cover) / B)
    w = est - xbar
    rn = math.sqrt(n)
    expected = np.mean(special.ndtr((half[:, None] - w[None, :]) * rn)
                       - special.ndtr((-half[:, None] - w[None, :]) * rn))
    assert abs(cover - expected) <= 4 * mcse, (cover, expected, mcse, w.std())
    # The honest finding: under-coverage relative to 95%, by more than 4 MCSE (MCSE at 0.95).
    assert cover < 0.95 - 4 * math.sqrt(0.95 * 0.05 / B), (cover, w.std())
    # Negative control: an SE from the m draws, s*/sqrt(m), ignores the sampling variance of
    # the data and of the GAN and must under-cover badly.
    m = 20_000
    naive = np.abs(est) <= half * math.sqrt(n / m)
    assert naive.mean() < 0.3
    assert naive.mean() < cover - 10 * mcse


# ------------------------------------------------------------------------------------------
# As a method of a study.


def test_as_method_in_a_study():
    fn = GANEstimator(GANConfig(steps=100), m=2000).as_method("mean", interval="wald")
    assert fn.__name__ == "gan_wald" and "level=0.95" in fn.__qualname__
    study = gansim.Study([fn], dgp=gansim.Normal(), replications=6, n=30, m=200,
                         functionals=["mean"], distances=[])
    res = gansim.run_study(study, seed=1, progress=False)
    tidy = res.tidy
    assert set(tidy["method"]) == {"gan_wald"} and set(tidy["quantity"]) == {"mean"}
    assert (tidy["status"] == "ok").all()
    assert np.all(tidy["lower"] < tidy["estimate"]) and np.all(tidy["estimate"] < tidy["upper"])
    s = res.summary()
    assert "cover" in set(s["stat"])
    # Same study, same numbers; the bootstrap setting changes the recorded settings.
    again = gansim.run_study(study, seed=1, progress=False).tidy
    assert np.array_equal(again["upper"], tidy["upper"])
    other = GANEstimator(GANConfig(steps=100), m=2000).as_method("mean", interval="wald",
                                                                 level=0.9)
    assert other.__qualname__ != fn.__qualname__
    custom = GANEstimator(GANConfig(steps=50), m=500).as_method(
        lambda s: np.mean(s > 0), interval="percentile", R=4, name="p_pos")
    out = custom(np.array([-1.0, 0.5, 2.0, 0.1]), np.random.default_rng(0))
    assert set(out) == {"p_pos"} and isinstance(out["p_pos"], Estimate)


# ------------------------------------------------------------------------------------------
# Bad inputs: each a clear error naming the argument.


@pytest.mark.parametrize("x, exc, word", [
    ([0.0, np.nan, 1.0], ValueError, "`x`.*finite"),
    ([0.0, np.inf, 1.0], ValueError, "`x`.*finite"),
    ([2.0, 2.0, 2.0], ValueError, "`x`.*constant"),
    ([1.0], ValueError, "`x`.*at least 2"),
    ([], ValueError, "`x`.*at least 2"),
    (np.zeros((5, 2)), ValueError, "`x`.*1-D"),
    ("1.0 2.0 3.0", TypeError, "`x`"),
    (["a", "b"], TypeError, "`x`"),
    (pd.Series([1.0, None, 2.0]), ValueError, "`x`.*finite"),
])
def test_bad_data(x, exc, word):
    with pytest.raises(exc, match=word):
        GANEstimator(SHORT, m=100).fit(x)


@pytest.mark.parametrize("kwargs, word", [
    ({"level": 1.0}, "`level`"),
    ({"level": 0}, "`level`"),
    ({"level": "95%"}, "`level`"),
    ({"level": True}, "`level`"),
    ({"method": "normal"}, "`method`"),
    ({"method": None}, "`method`"),
    ({"R": 1}, "`R`"),
    ({"R": 20.5}, "`R`"),
    ({"R": True}, "`R`"),
    ({"bootstrap": "smoothed"}, "`bootstrap`"),
])
def test_bad_interval_arguments(fitted, kwargs, word):
    with pytest.raises(ValueError, match=word):
        fitted.conf_int("mean", **kwargs)


def test_bad_functional_and_other_arguments(fitted):
    with pytest.raises(ValueError, match="`T`.*'mean'"):
        fitted.conf_int("average")
    with pytest.raises(TypeError, match="`T`"):
        fitted.functional(3.0)
    with pytest.raises(ValueError, match="`q`"):
        fitted.ppf(1.5)
    with pytest.raises(ValueError, match="`q`"):
        fitted.quantile(-0.1)
    with pytest.raises(ValueError, match="`size`"):
        fitted.rvs(-1)
    with pytest.raises(ValueError, match="`method` 'wald'"):
        bootstrap_interval(0.0, [1.0, 2.0], method="wald")
    with pytest.raises(ValueError, match="`jackknife`"):
        bootstrap_interval(0.0, [1.0, 2.0], method="bca")
    with pytest.raises(ValueError, match="`replicates`.*finite"):
        bootstrap_interval(0.0, [1.0, np.nan])
    with pytest.raises(ValueError, match="`name`"):
        fitted.as_method(lambda s: s.mean())
    with pytest.raises(ValueError, match="`interval`"):
        fitted.as_method("mean", interval="exact")


@pytest.mark.parametrize("kwargs, exc, word", [
    ({"config": {"steps": 10}}, TypeError, "`config`"),
    ({"seed": -1}, ValueError, "`seed`"),
    ({"seed": 1.5}, ValueError, "`seed`"),
    ({"m": 1}, ValueError, "`m`"),
    ({"m": 1e5}, ValueError, "`m`"),
])
def test_bad_constructor_arguments(kwargs, exc, word):
    with pytest.raises(exc, match=word):
        GANEstimator(**kwargs)


@pytest.mark.parametrize("call", [
    lambda e: e.mean(), lambda e: e.std(), lambda e: e.cdf(0.0), lambda e: e.ppf(0.5),
    lambda e: e.rvs(3), lambda e: e.quantile(0.5), lambda e: e.functional("mean"),
    lambda e: e.conf_int("mean"),
])
def test_not_fitted(call):
    with pytest.raises(RuntimeError, match="not fitted.*`fit"):
        call(GANEstimator())
