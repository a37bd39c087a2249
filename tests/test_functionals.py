"""Sample functionals and the exact KS distance, against scipy and a brute-force supremum."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_array_equal
from scipy import stats

from gansim.study.dgp import LogNormal, Normal, NormalMixture, StudentT
from gansim.study.distances import ks_distance, ks_distance_batch
from gansim.study.functionals import sample_mean, sample_sd

CDFS = [
    pytest.param(stats.norm.cdf, id="scipy-norm"),
    pytest.param(Normal(0.5, 2.0).cdf, id="normal"),
    pytest.param(StudentT(df=3.0).cdf, id="t3"),
    pytest.param(LogNormal().cdf, id="lognormal"),
    pytest.param(NormalMixture().cdf, id="mixture"),
]


def brute_force_ks(x, cdf):
    """sup_t |F_n(t) - F(t)| straight from the definition, at and just left of each value.

    The supremum of |F_n - F| over t is attained at a data value u or approached as t -> u
    from the left, where F_n(u-) = #{x < u}/n and F(u-) = F(u) by continuity of F.
    """
    x = np.asarray(x, dtype=float)
    u = np.unique(x)
    at = np.array([np.mean(x <= v) for v in u])
    left = np.array([np.mean(x < v) for v in u])
    f = cdf(u)
    return max(np.max(np.abs(at - f)), np.max(np.abs(left - f)))


def test_sample_mean_and_sd_against_numpy():
    x = np.random.default_rng(3).normal(size=57)
    assert sample_mean(x) == np.mean(x)
    assert sample_sd(x) == np.std(x, ddof=1)
    assert sample_sd(x, ddof=0) == np.std(x)
    assert sample_mean(pd.Series(x)) == sample_mean(list(x)) == np.mean(x)
    assert sample_mean([4.0]) == 4.0
    assert sample_sd([1.0, 3.0]) == np.sqrt(2.0)


@pytest.mark.parametrize("cdf", CDFS)
@pytest.mark.parametrize("n", [1, 2, 3, 10, 101, 1000])
def test_ks_distance_equals_scipy_kstest(n, cdf):
    rng = np.random.default_rng(1000 + n)
    for scale in (0.5, 1.0, 3.0):
        x = rng.normal(0.3, scale, size=n)
        assert ks_distance(x, cdf) == stats.kstest(x, cdf).statistic


@pytest.mark.parametrize("n", [1, 2, 50])
def test_ks_distance_far_lower_tail_d_plus_is_active(n):
    # All points below -3: F_n climbs to 1 while F stays near 0, so the i/n - F term wins
    # and the distance is 1 - F(x_(n)).
    x = -3.0 - np.random.default_rng(n).exponential(size=n)
    d = ks_distance(x, stats.norm.cdf)
    assert d == stats.kstest(x, stats.norm.cdf).statistic
    assert d == 1.0 - stats.norm.cdf(x.max())


@pytest.mark.parametrize("n", [1, 2, 50])
def test_ks_distance_far_upper_tail_d_minus_is_active(n):
    # All points above 3: F is near 1 where F_n is still 0, so F - (i-1)/n wins at i = 1.
    x = 3.0 + np.random.default_rng(n).exponential(size=n)
    d = ks_distance(x, stats.norm.cdf)
    assert d == stats.kstest(x, stats.norm.cdf).statistic
    assert d == stats.norm.cdf(x.min())


@pytest.mark.parametrize("seed", range(5))
def test_ks_distance_exact_with_ties(seed):
    rng = np.random.default_rng(seed)
    x = rng.integers(-2, 3, size=40) / 2.0  # 9 distinct values, heavily tied
    for cdf in (stats.norm.cdf, NormalMixture().cdf):
        d = ks_distance(x, cdf)
        assert d == stats.kstest(x, cdf).statistic
        assert d == pytest.approx(brute_force_ks(x, cdf), abs=1e-15)
    assert ks_distance([0.0, 0.0, 0.0], stats.norm.cdf) == 0.5


def test_ks_distance_matches_brute_force_without_ties():
    x = np.random.default_rng(9).standard_t(3, size=200)
    assert ks_distance(x, stats.norm.cdf) == pytest.approx(
        brute_force_ks(x, stats.norm.cdf), abs=1e-15
    )


def test_ks_distance_accepts_series_and_list():
    x = np.random.default_rng(4).normal(size=30)
    d = ks_distance(x, stats.norm.cdf)
    assert ks_distance(pd.Series(x, index=np.arange(30)[::-1]), stats.norm.cdf) == d
    assert ks_distance(list(x), stats.norm.cdf) == d
    assert ks_distance(pd.Series(x, dtype="Float64"), stats.norm.cdf) == d
    assert isinstance(d, float)


@pytest.mark.parametrize("cdf", CDFS)
def test_ks_distance_batch_equals_row_by_row_exactly(cdf):
    x = np.random.default_rng(5).normal(size=(64, 37))
    x[3] = np.round(x[3])  # a row with ties
    d = ks_distance_batch(x, cdf)
    assert d.shape == (64,) and d.dtype == np.float64
    assert_array_equal(d, [ks_distance(row, cdf) for row in x])
    # Batch size does not change any row's answer.
    assert_array_equal(ks_distance_batch(x[10:13], cdf), d[10:13])
    assert_array_equal(ks_distance_batch(x[:1], cdf), d[:1])


def test_ks_distance_batch_accepts_dataframe_and_single_column():
    x = np.random.default_rng(6).normal(size=(4, 5))
    assert_array_equal(
        ks_distance_batch(pd.DataFrame(x), stats.norm.cdf), ks_distance_batch(x, stats.norm.cdf)
    )
    assert_array_equal(
        ks_distance_batch(x[:, :1], stats.norm.cdf),
        [ks_distance(v, stats.norm.cdf) for v in x[:, :1]],
    )


@pytest.mark.parametrize(
    ("bad", "match"),
    [
        ([], "`sample` must have at least 1 value"),
        ([[1.0, 2.0]], "`sample` must be 1-D"),
        ([1.0, np.nan], "`sample` must hold only finite values"),
        ([1.0, np.inf], "`sample` must hold only finite values"),
        (pd.Series([1.0, None], dtype="Float64"), "`sample` must hold only finite"),
    ],
)
def test_ks_distance_bad_sample_raises_naming_it(bad, match):
    with pytest.raises(ValueError, match=match):
        ks_distance(bad, stats.norm.cdf)


def test_ks_distance_bad_types_and_cdfs_raise_naming_them():
    with pytest.raises(TypeError, match="`sample` must hold real numbers"):
        ks_distance(["a", "b"], stats.norm.cdf)
    with pytest.raises(TypeError, match="`sample` must hold real numbers"):
        ks_distance([True, False], stats.norm.cdf)
    with pytest.raises(TypeError, match="`cdf` must be a callable"):
        ks_distance([1.0], 0.5)
    with pytest.raises(ValueError, match="`cdf` must be vectorised"):
        ks_distance([1.0, 2.0], lambda x: 0.5)
    with pytest.raises(ValueError, match=r"`cdf` must return probabilities in \[0, 1\]"):
        ks_distance([1.0, 2.0], lambda x: x)


@pytest.mark.parametrize(
    ("bad", "match"),
    [
        ([1.0, 2.0], "`samples` must be 2-D"),
        (np.empty((0, 3)), "`samples` must have at least 1 row and 1 column"),
        (np.empty((2, 0)), "`samples` must have at least 1 row and 1 column"),
        ([[1.0, np.nan]], "`samples` must hold only finite values"),
    ],
)
def test_ks_distance_batch_bad_samples_raise_naming_it(bad, match):
    with pytest.raises(ValueError, match=match):
        ks_distance_batch(bad, stats.norm.cdf)


def test_sample_sd_bad_inputs():
    with pytest.raises(ValueError, match="`ddof` must be an integer >= 0"):
        sample_sd([1.0, 2.0], ddof=-1)
    with pytest.raises(ValueError, match="`x` must have at least 2 values"):
        sample_sd([1.0])
    with pytest.raises(ValueError, match="`x` must hold only finite"):
        sample_mean([1.0, np.nan])
