"""Performance measures and MCSEs: hand arithmetic on small arrays, and calibration by simulation.

The calibration tests simulate S = 2000 independent "simulation studies" of B = 200
replications each and compare the mean reported MCSE with the empirical sd of the measure
across studies.  Tolerance: with S = 2000 the empirical sd has a relative standard error of
about 1/sqrt(2 (S - 1)) = 1.6% (2-3% for the skewed variance ratios), the mean MCSE well
under 1%, and the first-order (delta-method / difference-quotient) MCSEs carry a few %
bias at B = 200.  12% leaves >= 3 standard errors beyond that bias, yet fails any formula
off by a factor such as sqrt(2) (41%) or a normal-theory MCSE on non-normal data (>= 25%).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from gansim.summary import performance as perf
from gansim.summary.performance import (
    CoverageBand,
    Measure,
    coverage_band,
)

X = np.array([1.0, 2.0, 4.0, 7.0])  # mean 3.5, deviations -2.5, -1.5, 0.5, 3.5
Y = np.array([2.0, 2.0, 3.0, 5.0])  # mean 3.0, deviations -1, -1, 0, 2
TRUTH = 3.0
S, B = 2000, 200
CALIBRATION_RTOL = 0.12


def check(m, value, mcse):
    """``m`` is a Measure equal, up to rounding, to the hand-computed value and MCSE."""
    assert isinstance(m, Measure)
    assert_allclose([m.value, m.mcse], [value, mcse], rtol=1e-13, atol=1e-15)


# --------------------------------------------------------------------------------------------
# Hand arithmetic, written out independently of gansim.summary.performance.


def test_mean_bias_by_hand():
    # Sum of squared deviations 6.25 + 2.25 + 0.25 + 12.25 = 21, so s² = 21 / 3 = 7.
    check(perf.mean(X), 3.5, math.sqrt(7 / 4))
    check(perf.bias(X, TRUTH), 0.5, math.sqrt(21 / (4 * 3)))


def test_empse_and_variance_by_hand():
    check(perf.empse(X), math.sqrt(7), math.sqrt(7) / math.sqrt(2 * 3))
    # m4 = (2.5^4 + 1.5^4 + 0.5^4 + 3.5^4) / 4 = 194.25 / 4; s^4 = 49; (B-3)/(B-1) = 1/3.
    check(perf.variance(X), 7.0, math.sqrt((194.25 / 4 - 49 / 3) / 4))


def test_mse_by_hand():
    # Errors -2, -1, 1, 4; squared 4, 1, 1, 16; MSE 22 / 4 = 5.5.
    # Squared errors minus MSE: -1.5, -4.5, -4.5, 10.5; their squares sum to 153.
    check(perf.mse(X, TRUTH), 5.5, math.sqrt(153 / (4 * 3)))


def test_coverage_and_proportion_by_hand():
    check(perf.coverage([True, True, False, True, True]), 0.8, math.sqrt(0.8 * 0.2 / 5))
    check(perf.coverage(np.array([1, 1, 0, 1, 1])), 0.8, math.sqrt(0.8 * 0.2 / 5))
    check(perf.proportion([0, 1, 0, 0]), 0.25, math.sqrt(0.25 * 0.75 / 4))
    check(perf.proportion(pd.Series([True, False])), 0.5, 0.5 / math.sqrt(2))


def test_mean_difference_by_hand():
    # a - b = -1, 0, 1, 2: mean 0.5, squared deviations 2.25 + 0.25 + 0.25 + 2.25 = 5.
    check(perf.mean_difference(X, Y), 0.5, math.sqrt(5 / 3 / 4))


def test_relprec_and_variance_ratio_by_hand():
    # var(X) = 21/3 = 7, var(Y) = (1 + 1 + 0 + 4)/3 = 2; cross-products
    # 2.5 + 1.5 + 0 + 7 = 11, so rho² = 11² / (21 * 6).
    ratio, rho2 = 7 / 2, 11**2 / (21 * 6)
    check(perf.relprec(X, Y, mcse="normal"), 100 * (ratio - 1),
          200 * ratio * math.sqrt((1 - rho2) / 3))
    vr = perf.variance_ratio(X, Y)
    check(perf.relprec(X, Y), 100 * (vr.value - 1), 100 * vr.mcse)
    dev_x, dev_y = np.array([-2.5, -1.5, 0.5, 3.5]), np.array([-1.0, -1.0, 0.0, 2.0])
    d = dev_x**2 / 7 - dev_y**2 / 2
    assert d.sum() == pytest.approx(0, abs=1e-15)
    check(perf.variance_ratio(X, Y), ratio, ratio * math.sqrt(np.sum(d**2) / (4 * 3)))


def test_quantile_by_hand():
    # delta = 1.96 sqrt(0.25 / 4) = 0.49: type-7 ranks (B-1) p + 1 at p = 0.01 and 0.99 are
    # 1.03 and 3.97, interpolating to 1 + 0.03 (2 - 1) = 1.03 and 4 + 0.97 (7 - 4) = 6.91.
    check(perf.quantile(X, 0.5), 3.0, (6.91 - 1.03) / (2 * 1.96))


def test_coverage_band_numbers_for_10000_replications():
    band = coverage_band(0.95, 10_000)
    assert isinstance(band, CoverageBand)
    half = 1.96 * math.sqrt(0.95 * 0.05 / 10_000)
    assert band == (0.95 - half, 0.95 + half)
    assert (round(band.low, 5), round(band.high, 5)) == (0.94573, 0.95427)


def test_coverage_band_upper_end_rounds_to_0_9543_not_the_lectures_0_9542():
    # The lecture quoted [0.9457, 0.9542]: its upper end was truncated, not rounded.
    low, high = coverage_band(0.95, 10_000)
    assert (round(low, 4), round(high, 4)) == (0.9457, 0.9543)


# --------------------------------------------------------------------------------------------
# Calibration of the MCSEs by simulating many simulation studies.


def calibration(fn, *arrays):
    """Mean reported MCSE over the S studies divided by the sd of the measure across them."""
    results = [fn(*(a[i] for a in arrays)) for i in range(S)]
    values = np.array([r.value for r in results])
    mcses = np.array([r.mcse for r in results])
    return mcses.mean() / values.std(ddof=1)


@pytest.fixture(scope="module")
def normal_pairs():
    """S studies of B bivariate normal pairs: sd 1 and 0.8, correlation 0.6."""
    z = np.random.default_rng(20240611).standard_normal((2, S, B))
    rho = 0.6
    return z[0], 0.8 * (rho * z[0] + math.sqrt(1 - rho**2) * z[1])


@pytest.fixture(scope="module")
def gamma_pairs():
    """S studies of B skewed, heavy-tailed pairs sharing a Gamma(1) part (kurtosis 6)."""
    e = np.random.default_rng(7).standard_exponential((3, S, B))
    return e[0] + e[1], e[0] + e[2]


def _relprec_normal(a, b):
    return perf.relprec(a, b, mcse="normal")


@pytest.mark.parametrize("fn", [perf.relprec, _relprec_normal], ids=["delta", "normal"])
def test_relprec_mcse_calibrated_for_bivariate_normal(normal_pairs, fn):
    assert calibration(fn, *normal_pairs) == pytest.approx(1, rel=CALIBRATION_RTOL)


def test_variance_ratio_mcse_calibrated_for_bivariate_normal(normal_pairs):
    a, b = normal_pairs
    assert calibration(perf.variance_ratio, a, b) == pytest.approx(1, rel=CALIBRATION_RTOL)
    # ... and close to the closed form 2 r sqrt((1 - rho²) / (B - 1)) of the docstring.
    rho = np.array([np.corrcoef(a[i], b[i])[0, 1] for i in range(50)])
    res = [perf.variance_ratio(a[i], b[i]) for i in range(50)]
    ratio, mcse = np.array([r.value for r in res]), np.array([r.mcse for r in res])
    closed = 2 * ratio * np.sqrt((1 - rho**2) / (B - 1))
    assert_allclose(mcse, closed, rtol=0.25)
    assert mcse.mean() == pytest.approx(closed.mean(), rel=0.05)


def test_variance_ratio_mcse_calibrated_for_skewed_pairs_where_relprec_is_not(gamma_pairs):
    assert calibration(perf.variance_ratio, *gamma_pairs) == pytest.approx(1, rel=CALIBRATION_RTOL)
    assert calibration(perf.relprec, *gamma_pairs) == pytest.approx(1, rel=CALIBRATION_RTOL)
    # rsimsum's MCSE is derived for normal estimates and is ~30% too small here.
    assert calibration(_relprec_normal, *gamma_pairs) < 1 - CALIBRATION_RTOL


def test_variance_mcse_calibrated_for_uniform_estimates():
    # Uniform estimates (kurtosis 1.8): the normal-theory s² sqrt(2/(B-1)) would be ~55% too
    # large, the fourth-moment MCSE is not.
    u = np.random.default_rng(11).uniform(size=(S, B))
    assert calibration(perf.variance, u) == pytest.approx(1, rel=CALIBRATION_RTOL)


@pytest.mark.parametrize(
    "fn", [perf.mean, perf.empse, lambda x: perf.mse(x, 0.1)], ids=["mean", "empse", "mse"]
)
def test_single_method_mcses_calibrated_for_normal_estimates(fn, normal_pairs):
    assert calibration(fn, normal_pairs[0]) == pytest.approx(1, rel=CALIBRATION_RTOL)


@pytest.mark.parametrize("q", [0.5, 0.9])
def test_quantile_mcse_calibrated_for_normal_estimates(q, normal_pairs):
    assert calibration(lambda x: perf.quantile(x, q), normal_pairs[0]) == pytest.approx(
        1, rel=CALIBRATION_RTOL
    )


def test_coverage_mcse_calibrated():
    flags = np.random.default_rng(5).random((S, B)) < 0.9
    assert calibration(perf.coverage, flags) == pytest.approx(1, rel=CALIBRATION_RTOL)


# --------------------------------------------------------------------------------------------
# Tidy builders.


@pytest.fixture
def reps():
    return pd.DataFrame(
        {
            "xbar": X,
            "gan": [1.5, np.nan, 3.0, 2.0],
            "med": [1.0, 2.5, 2.0, 3.5],
            "cover_boot": [True, True, False, True],
            "cover_gan": pd.array([True, None, True, False], dtype="boolean"),
            "cover_obj": [True, None, False, True],
        }
    )


# --------------------------------------------------------------------------------------------
# Bad inputs.


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: perf.mean([1.0]), ValueError, "`x` must have at least 2 replications"),
        (lambda: perf.bias([1.0, np.nan], 0.0), ValueError, "`est` must hold only finite"),
        (lambda: perf.empse([[1.0, 2.0]]), ValueError, "`est` must be 1-D"),
        (lambda: perf.variance([1.0]), ValueError, "`est` must have at least 2"),
        (lambda: perf.mse([1.0, 2.0], np.nan), ValueError, "`truth` must be a finite real number"),
        (lambda: perf.bias([1.0, 2.0], "0"), TypeError, "`truth` must be a finite real number"),
        (lambda: perf.coverage([True]), ValueError, "`cover_flags` must have at least 2"),
        (lambda: perf.coverage([1, 2]), ValueError, "`cover_flags` must hold booleans or 0/1"),
        (lambda: perf.coverage([True, None]), TypeError, "`cover_flags`"),
        (lambda: perf.proportion([1.0, np.nan]), ValueError, "`flags` must hold only finite"),
        (lambda: perf.mean_difference([1, 2], [1, 2, 3]), ValueError, "must be paired"),
        (lambda: perf.relprec([1, 2, 3], [2, 2, 2]), ValueError, "`est_b` must vary"),
        (lambda: perf.relprec([1, 2, 3], [2, 1, 2], mcse="rsimsum"), ValueError,
         "`mcse` must be one of 'delta', 'normal'"),
        (lambda: perf.variance_ratio([1, 1], [1, 2]), ValueError, "`est_a` must vary"),
        (lambda: perf.quantile([1.0, 2.0], 1.0), ValueError, "`q` must be a probability"),
        (lambda: perf.quantile([1.0, np.inf], 0.5), ValueError, "`x` must hold only finite"),
        (lambda: coverage_band(1.0, 100), ValueError, "`nominal` must be a probability"),
        (lambda: coverage_band(0.95, 0), ValueError, "`B` must be an integer >= 1, got 0"),
    ],
)
def test_bad_inputs_raise_naming_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_quantile_warns_when_interval_is_truncated():
    with pytest.warns(RuntimeWarning, match="truncated"):
        perf.quantile(np.arange(10.0), 0.02)


