"""Every method's sampling against its definition, with scipy as the independent reference."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import stats

from gansim.gan.config import GANConfig
from gansim.rng import replication_streams
from gansim.study.dgp import LogNormal, Normal, NormalMixture, StudentT
from gansim.study.methods import (
    GAN,
    METHODS,
    Bootstrap,
    EmpiricalCDF,
    Oracle,
    Parametric,
    SmoothedBootstrap,
    bandwidth,
    make_method,
    method_seed,
)

#: A p-value below this fails a goodness-of-fit check; with the fixed seeds below each check
#: passes, and a correct method would fail one only with probability 1e-4.
ALPHA = 1e-4
M = 20_000


def _streams(R, seed=7, condition=0):
    return [replication_streams(seed, r, condition) for r in range(R)]


def _data(R=3, n=40, dgp=None, seed=1):
    dgp = dgp or StudentT(3.0)
    rng = np.random.default_rng(seed)
    return np.stack([dgp.sample(n, rng) for _ in range(R)])


def test_empirical_cdf_is_the_step_function():
    x = _data()
    fit = EmpiricalCDF().fit(x, _streams(3))
    t = np.linspace(-4, 4, 33)
    ref = np.stack([stats.ecdf(row).cdf.evaluate(t) for row in x])
    assert_allclose(fit.cdf(t), ref, atol=1e-15)
    # The study evaluates the ecdf on its atoms, the data themselves.
    assert_array_equal(EmpiricalCDF().points(x, _streams(3), m=5), x)


def test_bootstrap_resamples_each_point_with_probability_one_over_n():
    x = _data(R=2, n=10)
    d = Bootstrap().fit(x, _streams(2)).sample(M)
    for row, draws in zip(x, d, strict=True):
        counts = np.array([(draws == v).sum() for v in row])
        assert counts.sum() == M  # every draw is a data point
        assert stats.chisquare(counts).pvalue > ALPHA


def test_smoothed_bootstrap_draws_follow_the_kde_and_match_scipy():
    x = _data(R=2, n=60, dgp=LogNormal())
    fit = SmoothedBootstrap("normal").fit(x, _streams(2))
    t = np.linspace(-1, 8, 25)
    for r in range(2):
        # bw "normal" is scipy's gaussian_kde(bw_method="silverman") in one dimension.
        kde = stats.gaussian_kde(x[r], bw_method="silverman")
        ref = [kde.integrate_box_1d(-np.inf, v) for v in t]
        assert_allclose(fit.cdf(t)[r], ref, rtol=1e-10, atol=1e-12)
    draws = fit.sample(M)
    for r in range(2):
        assert stats.kstest(draws[r], lambda v, r=r: fit.cdf(v)[r]).pvalue > ALPHA


def test_nrd0_bandwidth_is_silvermans_rule():
    x = _data(R=3, n=50)
    s = x.std(axis=1, ddof=1)
    iqr = stats.iqr(x, axis=1)
    assert_allclose(bandwidth(x), 0.9 * np.minimum(s, iqr / 1.34) * 50**-0.2, rtol=1e-14)
    assert_allclose(bandwidth(x, 0.3), 0.3)
    # Negative control: the kernel draws are not the bootstrap's (they leave the atoms).
    d = SmoothedBootstrap().fit(x, _streams(3)).sample(100)
    assert not np.isin(d, x).any()


def test_parametric_draws_are_normal_with_the_sample_mean_and_sd():
    x = _data(R=2, n=30)
    fit = Parametric().fit(x, _streams(2))
    draws = fit.sample(M)
    for r in range(2):
        mu, s = x[r].mean(), x[r].std(ddof=1)
        assert stats.kstest(draws[r], stats.norm(mu, s).cdf).pvalue > ALPHA
        assert_allclose(fit.cdf([0.3])[r], stats.norm(mu, s).cdf(0.3), rtol=1e-14)


@pytest.mark.parametrize("dgp", [Normal(1, 2), StudentT(3.0), LogNormal(), NormalMixture()],
                         ids=lambda d: d.name)
def test_oracle_draws_follow_the_truth_and_a_wrong_one_is_rejected(dgp):
    fit = Oracle().fit(np.zeros((1, 5)), _streams(1), dgp=dgp)
    draws = fit.sample(M)[0]
    assert stats.kstest(draws, dgp.cdf).pvalue > ALPHA
    # Negative control: a 10% scale error is detected with these m.
    assert stats.kstest(draws * 1.1, dgp.cdf).pvalue < ALPHA


def test_oracle_is_the_inverse_transform_of_its_uniforms():
    dgp = NormalMixture()
    s = _streams(1)
    g = np.random.default_rng(method_seed(s[0], "oracle"))
    u = (g.integers(0, 2**53, size=50) + 0.5) * 2.0**-53
    assert_array_equal(Oracle().fit(np.zeros((1, 3)), s, dgp=dgp).sample(50)[0], dgp.ppf(u))


def test_gan_draws_reproducible_row_independent_and_standardised_by_default():
    x = _data(R=3, n=50, dgp=Normal(5.0, 2.0))
    cfg = GANConfig(steps=30)
    assert GAN().config.standardize is True
    a = GAN(cfg).fit(x, _streams(3)).sample(500)
    b = GAN(cfg).fit(x, _streams(3)).sample(500)
    assert_array_equal(a, b)
    one = GAN(cfg).fit(x[1:2], _streams(3)[1:2]).sample(500)
    # float32 arithmetic of a different block shape: equal to rounding, not bit for bit.
    assert_allclose(one[0], a[1], rtol=1e-5, atol=1e-6)
    assert np.isfinite(a).all()


def test_numpy_methods_rows_do_not_depend_on_the_block():
    x = _data(R=4, n=20)
    s = _streams(4)
    for method in (Bootstrap(), SmoothedBootstrap(), Parametric()):
        block = method.fit(x, s).sample(100)
        alone = method.fit(x[2:3], s[2:3]).sample(100)
        assert_array_equal(block[2], alone[0])


def test_each_label_has_its_own_stream():
    x = _data(R=1, n=20)
    s = _streams(1)
    a = Parametric().fit(x, s).sample(100)
    b = Parametric(label="parametric2").fit(x, s).sample(100)
    assert not np.array_equal(a, b)
    assert_array_equal(a, Parametric().fit(x, s).sample(100))


def test_registry_and_bad_inputs():
    assert set(METHODS) == {"ecdf", "bootstrap", "smoothed", "parametric", "gan", "oracle"}
    assert make_method("gan", config=GANConfig(steps=3)).config.steps == 3
    with pytest.raises(ValueError, match="`name` must be one of"):
        make_method("kde")
    with pytest.raises(ValueError, match="`bandwidth`"):
        SmoothedBootstrap("scott")
    with pytest.raises(ValueError, match="`bandwidth`"):
        SmoothedBootstrap(-1.0)
    with pytest.raises(ValueError, match="`data`"):
        Parametric().fit(np.zeros((2, 1)), _streams(2))
    with pytest.raises(ValueError, match="`streams`"):
        Parametric().fit(np.zeros((2, 3)), _streams(1))
    with pytest.raises(ValueError, match="`m`"):
        Parametric().fit(np.zeros((1, 3)), _streams(1)).sample(0)
    with pytest.raises(TypeError, match="`dgp`"):
        Oracle().fit(np.zeros((1, 3)), _streams(1))
    with pytest.raises(TypeError, match="`config`"):
        GAN(config={"steps": 3})
    with pytest.raises(ValueError, match="`label`"):
        Bootstrap(label="a__b")
    with pytest.raises(NotImplementedError, match="no closed-form cdf"):
        GAN(GANConfig(steps=2)).fit(np.ones((1, 3)) * [[0, 1, 2]], _streams(1)).cdf([0.0])


# --------------------------------------------------------------------------------------------
# The shrunk smoothed bootstrap and the cdf bandwidth (issue 12).


def test_shrunk_kernel_keeps_mean_and_variance_of_fn_exactly():
    # Closed form: the shrunk estimate is a Gaussian kernel mixture on the atoms
    # a_i = x̄ + (x_i - x̄)/c with bandwidth h/c, so its mean is mean(a) = x̄ and its variance
    # var(a) + (h/c)² = (σ̂² + h²)/c² = σ̂² (divisor n), for every data set.
    from gansim.study.methods import _bandwidth

    x = _data(R=4, n=30, dgp=LogNormal())
    for rule in ("cdf", "nrd0", 0.7):
        fit = SmoothedBootstrap(rule, shrink=True).fit(x, _streams(4))
        h = _bandwidth(x, rule)
        c = np.sqrt(1 + h**2 / x.var(axis=1))
        assert_allclose(fit.h, h / c, rtol=1e-14)
        assert_allclose(fit.x.mean(axis=1), x.mean(axis=1), rtol=1e-13)
        assert_allclose(fit.x.var(axis=1) + fit.h**2, x.var(axis=1), rtol=1e-13)


def test_shrunk_draws_have_the_sample_mean_and_variance():
    # Given the data, the draws' mean is x̄ and variance σ̂²; tolerances are 4 Monte Carlo
    # SEs of the mean (σ̂/√M) and of the variance (sqrt((μ4 - σ⁴)/M), μ4 of the mixture
    # estimated from the draws themselves).
    x = _data(R=3, n=50, dgp=Normal())
    d = SmoothedBootstrap("cdf", shrink=True).fit(x, _streams(3, seed=12)).sample(200_000)
    for row, draws in zip(x, d, strict=True):
        se_mean = row.std() / np.sqrt(draws.size)
        assert abs(draws.mean() - row.mean()) < 4 * se_mean
        mu4 = np.mean((draws - draws.mean()) ** 4)
        se_var = np.sqrt((mu4 - draws.var() ** 2) / draws.size)
        assert abs(draws.var() - row.var()) < 4 * se_var


def test_negative_control_unshrunk_draws_inflate_the_variance():
    # The same check on the plain smoothed bootstrap must fail: its variance is σ̂² + h².
    x = _data(R=1, n=50, dgp=Normal())
    d = SmoothedBootstrap("cdf").fit(x, _streams(1, seed=12)).sample(200_000)[0]
    h = bandwidth(x, "cdf")[0]
    mu4 = np.mean((d - d.mean()) ** 4)
    se_var = np.sqrt((mu4 - d.var() ** 2) / d.size)
    assert abs(d.var() - x.var()) > 10 * se_var
    assert abs(d.var() - (x.var() + h**2)) < 4 * se_var


def test_shrunk_draws_follow_their_closed_form_cdf():
    x = _data(R=2, n=25, dgp=NormalMixture())
    fit = SmoothedBootstrap("cdf", shrink=True).fit(x, _streams(2))
    for r, draws in enumerate(fit.sample(M)):
        assert stats.kstest(draws, lambda t, r=r: fit.cdf(np.asarray(t))[r]).pvalue > ALPHA


def test_cdf_bandwidth_constant_minimises_the_amise_by_quadrature():
    # Independent of the rule's derivation: AMISE(h) = V/n - h ψ_K/n + h⁴ R(f')/4 for a
    # Gaussian kernel (μ2 = 1), with ψ_K = 2∫u φ(u) Φ(u) du and R(f') = ∫f'(x)² dx for
    # N(0, σ²), both by quadrature, minimised numerically.
    from scipy import integrate, optimize

    from gansim.study.methods import CDF_RULE_CONSTANT

    psi = 2 * integrate.quad(lambda u: u * stats.norm.pdf(u) * stats.norm.cdf(u),
                             -np.inf, np.inf)[0]
    for sigma, n in ((1.0, 100), (2.5, 37)):
        r_fprime = integrate.quad(
            lambda t, s=sigma: (-t / s**2 * stats.norm.pdf(t, 0, s)) ** 2, -np.inf, np.inf)[0]
        h_star = optimize.minimize_scalar(lambda h, n=n, r=r_fprime: -h * psi / n + h**4 * r / 4,
                                          bounds=(1e-6, 10), method="bounded",
                                          options={"xatol": 1e-12}).x
        assert_allclose(h_star, CDF_RULE_CONSTANT * sigma * n ** (-1 / 3), rtol=1e-6)


def test_cdf_bandwidth_rule_uses_the_robust_spread():
    x = _data(R=3, n=64, dgp=StudentT(3.0))
    s = x.std(axis=1, ddof=1)
    q75, q25 = np.percentile(x, [75, 25], axis=1)
    expect = 4 ** (1 / 3) * np.minimum(s, (q75 - q25) / 1.34) * 64 ** (-1 / 3)
    assert_allclose(bandwidth(x, "cdf"), expect, rtol=1e-14)
    # Rate n^-1/3 against nrd0's n^-1/5: the ratio scales as n^(-1/3 + 1/5).
    assert_allclose(bandwidth(x, "cdf") / bandwidth(x, "nrd0"),
                    4 ** (1 / 3) / 0.9 * 64 ** (-1 / 3 + 1 / 5), rtol=1e-14)


def test_shrink_bad_input_and_settings():
    with pytest.raises(TypeError, match="`shrink` must be True or False"):
        SmoothedBootstrap(shrink="yes")
    # Unshrunk settings are those of studies run before the option existed.
    assert "shrink" not in SmoothedBootstrap().settings()
    assert SmoothedBootstrap("cdf", shrink=True).settings()["shrink"] is True
