"""DGPs against independent references: scipy.stats, and a mixture built by hand."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import optimize, stats

from gansim.study.dgp import (
    DGP,
    DGPS,
    Gamma,
    LogNormal,
    Normal,
    NormalMixture,
    StudentT,
    Uniform,
    make_dgp,
)

QS = np.array([1e-6, 0.001, 0.025, 0.1, 0.25, 0.5, 0.75, 0.9, 0.975, 0.999, 1 - 1e-6])


class HandMixture:
    """Reference normal mixture with the scipy frozen-distribution interface.

    Written from the textbook formulas and norm.cdf, with ppf by brentq one q at a time, so
    it shares no code path with gansim.study.dgp.NormalMixture.
    """

    def __init__(self, weights, means, sds):
        self.w, self.m, self.s = (np.asarray(v, dtype=float) for v in (weights, means, sds))

    def cdf(self, x):
        x = np.asarray(x, dtype=float)[..., None]
        return np.sum(self.w * stats.norm.cdf(x, self.m, self.s), axis=-1)

    def pdf(self, x):
        x = np.asarray(x, dtype=float)[..., None]
        return np.sum(self.w * stats.norm.pdf(x, self.m, self.s), axis=-1)

    def ppf(self, q):
        lo, hi = self.m.min() - 40 * self.s.max(), self.m.max() + 40 * self.s.max()
        return np.array(
            [
                optimize.brentq(lambda x, p=p: self.cdf(x) - p, lo, hi, xtol=1e-15, rtol=1e-15)
                for p in np.atleast_1d(q)
            ]
        )

    def mean(self):
        return float(np.sum(self.w * self.m))

    def var(self):
        # E(X²) - E(X)², with E(X²) = sum w (s² + m²).
        return float(np.sum(self.w * (self.s**2 + self.m**2)) - self.mean() ** 2)

    def std(self):
        return float(np.sqrt(self.var()))

    def median(self):
        return float(self.ppf(0.5)[0])


CASES = [
    pytest.param(Normal(mean=1.5, sd=2.0), stats.norm(1.5, 2.0), id="normal"),
    pytest.param(StudentT(), stats.t(3.0), id="t3-default"),
    pytest.param(StudentT(df=5.0, loc=1.0, scale=2.0), stats.t(5.0, 1.0, 2.0), id="t5"),
    pytest.param(
        LogNormal(meanlog=0.3, sdlog=0.8), stats.lognorm(s=0.8, scale=np.exp(0.3)), id="lognormal"
    ),
    pytest.param(NormalMixture(), HandMixture((0.5, 0.5), (-2, 2), (0.5, 0.5)), id="bimodal"),
    pytest.param(
        NormalMixture(weights=(0.2, 0.5, 0.3), means=(-1.0, 0.5, 4.0), sds=(0.3, 1.0, 2.0)),
        HandMixture((0.2, 0.5, 0.3), (-1.0, 0.5, 4.0), (0.3, 1.0, 2.0)),
        id="mixture3",
    ),
    pytest.param(Gamma(), stats.gamma(2.0), id="gamma-default"),
    pytest.param(Gamma(shape=0.7, scale=3.0), stats.gamma(0.7, scale=3.0), id="gamma-0.7"),
    pytest.param(Uniform(), stats.uniform(), id="uniform-default"),
    pytest.param(Uniform(low=-1.0, high=3.0), stats.uniform(-1.0, 4.0), id="uniform-shifted"),
]


@pytest.mark.parametrize(("dgp", "ref"), CASES)
def test_truths_match_reference(dgp, ref):
    assert_allclose(dgp.mean, ref.mean(), rtol=1e-12, atol=1e-12)
    assert_allclose(dgp.var, ref.var(), rtol=1e-12)
    assert_allclose(dgp.sd, ref.std(), rtol=1e-12)
    assert_allclose(dgp.median, ref.median(), rtol=1e-12, atol=1e-12)
    assert_allclose(dgp.quantile(QS), ref.ppf(QS), rtol=1e-10, atol=1e-10)
    assert_allclose(dgp.ppf(QS), ref.ppf(QS), rtol=1e-10, atol=1e-10)
    x = ref.ppf(np.linspace(0.005, 0.995, 41))
    assert_allclose(dgp.cdf(x), ref.cdf(x), rtol=1e-12, atol=1e-15)
    assert_allclose(dgp.pdf(x), ref.pdf(x), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(("dgp", "ref"), CASES)
def test_ppf_cdf_round_trip(dgp, ref):
    assert_allclose(dgp.cdf(dgp.ppf(QS)), QS, rtol=1e-12, atol=1e-15)
    # Where the density is not tiny, ppf inverts cdf to near machine precision.
    x = np.linspace(dgp.ppf(0.01), dgp.ppf(0.99), 101)
    assert_allclose(dgp.ppf(dgp.cdf(x)), x, rtol=1e-10, atol=1e-10)


def check_sample(dgp: DGP, seed: int) -> None:
    """A DGP's draws follow its own cdf and average to its own mean."""
    rng = np.random.default_rng(seed)
    x = dgp.sample(2000, rng)
    assert x.dtype == np.float64 and x.shape == (2000,)
    assert stats.kstest(x, dgp.cdf).pvalue > 0.001
    big = dgp.sample(20_000, rng)
    if np.isfinite(dgp.sd):
        assert abs(big.mean() - dgp.mean) < 4 * dgp.sd / np.sqrt(big.size)


@pytest.mark.parametrize(("dgp", "ref"), CASES)
def test_sample_follows_own_cdf(dgp, ref):
    check_sample(dgp, seed=20240611)


@pytest.mark.parametrize(
    "wrong", [StudentT(df=3.0), Normal(mean=0.25, sd=1.0)], ids=["t3", "shifted-normal"]
)
def test_negative_control_ks_rejects_wrong_cdf(wrong):
    # Guards the test above against a KS check that cannot fail.
    x = Normal().sample(2000, np.random.default_rng(20240611))
    assert stats.kstest(x, wrong.cdf).pvalue < 0.001


def test_sample_is_reproducible_from_rng_state():
    dgp = NormalMixture()
    a = dgp.sample(5, np.random.default_rng(7))
    b = dgp.sample(5, np.random.default_rng(7))
    assert_array_equal(a, b)
    rng = np.random.default_rng(7)
    dgp.sample(5, rng)
    assert not np.array_equal(dgp.sample(5, rng), a)


def test_bimodal_default_is_symmetric_with_a_gap():
    dgp = NormalMixture()
    assert dgp.median == 0.0
    assert_allclose(dgp.ppf(QS), -dgp.ppf(1 - QS), atol=1e-9)
    # Density at the antimode is ~2 phi(4), three orders below the modes.
    assert dgp.pdf(0.0) < 1e-3 * dgp.pdf(2.0)


def test_student_t_moments_where_they_do_not_exist():
    assert StudentT(df=2.0).sd == np.inf
    assert StudentT(df=1.5).var == stats.t(1.5).var() == np.inf
    assert np.isnan(StudentT(df=1.0).mean)
    assert StudentT(df=1.0, loc=3.0).median == 3.0


def test_ends_of_support_and_scalar_output():
    for dgp in (Normal(), StudentT(), LogNormal(), NormalMixture()):
        lo = 0.0 if isinstance(dgp, LogNormal) else -np.inf
        assert_array_equal(dgp.ppf([0.0, 1.0]), [lo, np.inf])
        assert_array_equal(dgp.cdf([-np.inf, np.inf]), [0.0, 1.0])
        assert np.ndim(dgp.cdf(0.5)) == 0 and np.ndim(dgp.ppf(0.5)) == 0
        assert dgp.cdf(np.zeros((2, 3))).shape == (2, 3)
        assert np.isnan(dgp.cdf(np.nan))
    assert_array_equal(LogNormal().pdf([-1.0, 0.0]), [0.0, 0.0])


def test_registry_and_make_dgp():
    assert set(DGPS) == {"normal", "t", "lognormal", "mixture", "gamma", "uniform"}
    for name, cls in DGPS.items():
        assert issubclass(cls, DGP) and cls.name == name
    assert make_dgp("t", df=5.0) == StudentT(df=5.0)
    assert make_dgp("mixture", weights=[0.3, 0.7], means=[0, 1], sds=[1, 1]) == NormalMixture(
        (0.3, 0.7), (0.0, 1.0), (1.0, 1.0)
    )


def test_repr_shows_parameters_and_instances_are_frozen():
    assert repr(StudentT(df=4)) == "StudentT(df=4.0, loc=0.0, scale=1.0)"
    assert repr(LogNormal()) == "LogNormal(meanlog=0.0, sdlog=1.0)"
    with pytest.raises(dataclasses.FrozenInstanceError):
        Normal().sd = 2.0


def test_make_dgp_unknown_name_lists_the_allowed_ones():
    with pytest.raises(ValueError, match="`name` must be one of 'normal', 't', 'lognormal', "):
        make_dgp("beta")
    with pytest.raises(TypeError, match="'mean', 'sd'"):
        make_dgp("normal", sigma=2.0)


@pytest.mark.parametrize(
    ("factory", "match"),
    [
        (lambda: Normal(sd=0.0), "`sd` must be a finite real number > 0, got 0.0"),
        (lambda: Normal(mean=np.nan), "`mean` must be a finite"),
        (lambda: StudentT(df=-1.0), "`df`"),
        (lambda: StudentT(scale=-2.0), "`scale`"),
        (lambda: LogNormal(sdlog=-1.0), "`sdlog`"),
        (lambda: NormalMixture(weights=(0.5, 0.6)), "`weights` must sum to 1"),
        (lambda: NormalMixture(weights=(1.2, -0.2)), r"`weights\[1\]`"),
        (lambda: NormalMixture(weights=(1.0,)), "same length"),
        (lambda: NormalMixture(sds=(0.5, 0.0)), r"`sds\[1\]`"),
        (lambda: NormalMixture(weights=(), means=(), sds=()), "`weights` must have at least 1"),
    ],
)
def test_bad_parameters_raise_naming_them(factory, match):
    with pytest.raises(ValueError, match=match):
        factory()


def test_bad_call_arguments_raise_naming_them():
    rng = np.random.default_rng(1)
    for n in (0, 2.5, True, -3):
        with pytest.raises(ValueError, match="`n` must be an integer >= 1"):
            Normal().sample(n, rng)
    with pytest.raises(TypeError, match="`rng` must be a numpy.random.Generator"):
        Normal().sample(3, np.random.RandomState(1))
    for q in (1.5, -0.1, np.nan):
        with pytest.raises(ValueError, match=r"`q` must hold probabilities in \[0, 1\]"):
            NormalMixture().ppf([0.5, q])
    with pytest.raises(TypeError, match="`x`"):
        Normal().cdf("a")
    with pytest.raises(TypeError, match="`df`"):
        StudentT(df="3")


def test_t_ppf_tiny_lower_tail_scipy_25968():
    # scipy.special.stdtrit(3, 1e-300) is +inf and stdtrit(3, 0) is +inf (scipy#25968).
    dgp = StudentT(df=3.0, loc=1.0, scale=2.0)
    q = np.array([1e-300, 1e-200, 1e-30, 1e-21, 1e-19])
    x = dgp.ppf(q)
    assert np.all(x < 0) and np.all(np.isfinite(x))
    assert_allclose(dgp.cdf(x), q, rtol=1e-10)
    assert dgp.ppf(0.0) == -np.inf
    # Continuous across the switch between the two computations.
    assert_allclose(dgp.ppf(1e-20 * (1 - 1e-12)), dgp.ppf(1e-20), rtol=1e-9)


def test_bounded_and_positive_support():
    assert_array_equal(Uniform(low=1.0, high=2.0).ppf([0.0, 1.0]), [1.0, 2.0])
    assert_array_equal(Uniform(low=1.0, high=2.0).cdf([0.0, 3.0]), [0.0, 1.0])
    assert_array_equal(Uniform().pdf([-0.5, 1.5]), [0.0, 0.0])
    assert_array_equal(Gamma().cdf([-1.0, 0.0]), [0.0, 0.0])
    assert_array_equal(Gamma().ppf([0.0, 1.0]), [0.0, np.inf])
    assert np.isnan(Gamma().cdf(np.nan)) and np.isnan(Uniform().pdf(np.nan))


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"low": 1.0, "high": 1.0}, "`high` must be greater than `low`"),
    ({"low": float("nan")}, "`low` must be a finite real number"),
])
def test_uniform_bad_input_names_argument(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Uniform(**kwargs)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"shape": 0.0}, "`shape` must be a finite real number > 0"),
    ({"scale": -1.0}, "`scale` must be a finite real number > 0"),
])
def test_gamma_bad_input_names_argument(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Gamma(**kwargs)
