"""Exact distances against independent references: quadrature, scipy, closed forms."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import integrate, stats

from gansim.study.dgp import LogNormal, Normal, NormalMixture, StudentT
from gansim.study.distances import (
    cramer_von_mises,
    distances_batch,
    integrated_cdf,
    ks_distance,
    wasserstein1,
)

DGPS = [Normal(1.0, 2.0), StudentT(3.0), LogNormal(0.0, 1.0), NormalMixture()]


def _quad_pieces(fun, points, lo, hi):
    """integral_lo^hi fun by quad between consecutive breakpoints (fun is smooth there)."""
    edges = np.unique(np.concatenate([[lo], np.clip(points, lo, hi), [hi]]))
    return sum(integrate.quad(fun, a, b, epsabs=1e-13, epsrel=1e-12, limit=200)[0]
               for a, b in zip(edges[:-1], edges[1:], strict=True))


def _w1_by_quadrature(x, dgp):
    """integral |F_k - F| dx by quadrature on a finite range plus the exact tail masses."""
    xs = np.sort(x)
    k = xs.size
    lo, hi = float(dgp.ppf(1e-12)), float(dgp.ppf(1 - 1e-12))
    lo, hi = min(lo, xs[0] - 1), max(hi, xs[-1] + 1)
    breaks = np.concatenate([xs, np.atleast_1d(dgp.ppf(np.arange(1, k) / k))])
    fk = lambda t: np.searchsorted(xs, t, side="right") / k  # noqa: E731
    body = _quad_pieces(lambda t: abs(fk(t) - float(dgp.cdf(t))), breaks, lo, hi)
    # Beyond [lo, hi], F_k is 0 (left) or 1 (right): the tails are G(lo) and E(X - hi)+.
    tails = float(integrated_cdf(dgp, lo)) + (dgp.mean - hi + float(integrated_cdf(dgp, hi)))
    return body + tails


@pytest.mark.parametrize("dgp", DGPS, ids=lambda d: d.name)
def test_integrated_cdf_matches_quadrature(dgp):
    lo = float(dgp.ppf(1e-13))
    for x in np.atleast_1d(dgp.ppf([0.01, 0.3, 0.5, 0.8, 0.999])):
        ref = _quad_pieces(lambda t: float(dgp.cdf(t)), np.array([]), lo, float(x))
        ref += float(integrated_cdf(dgp, lo))  # the far-left remainder, ~1e-13 or less
        assert_allclose(integrated_cdf(dgp, x), ref, rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("dgp", DGPS, ids=lambda d: d.name)
@pytest.mark.parametrize("k", [1, 2, 7, 40])
def test_w1_matches_quadrature(dgp, k):
    rng = np.random.default_rng(k)
    # Points spread wider than the DGP (as bad estimates are), negative ones for lognormal.
    x = dgp.sample(k, rng) * 1.3 - 0.2
    assert_allclose(wasserstein1(x, dgp), _w1_by_quadrature(x, dgp), rtol=1e-8, atol=1e-10)


def test_w1_one_point_closed_form_and_ties():
    x0 = np.array([-2.0, 0.0, 0.5, 3.0])
    ref = 2 * stats.norm.pdf(x0) + x0 * (2 * stats.norm.cdf(x0) - 1)  # E|x0 - Z|
    got = distances_batch(x0[:, None], Normal(), which="w1")["w1"]
    assert_allclose(got, ref, rtol=1e-13)
    tied = np.array([0.3, 0.3, 0.3, 1.0, 1.0])
    assert_allclose(wasserstein1(tied, Normal()), _w1_by_quadrature(tied, Normal()), rtol=1e-9)


def test_w1_of_a_large_sample_from_a_shifted_normal_is_the_shift():
    # W1(N(mu, 1), N(0, 1)) = |mu|; a large sample's empirical cdf is within O(k^-1/2).
    x = np.random.default_rng(3).normal(0.5, 1.0, 200_000)
    assert abs(wasserstein1(x, Normal()) - 0.5) < 0.01
    # Negative control: against its own distribution it is near 0.
    assert wasserstein1(x, Normal(0.5, 1.0)) < 0.01


@pytest.mark.parametrize("dgp", DGPS, ids=lambda d: d.name)
def test_cvm_equals_scipy_statistic_over_k(dgp):
    x = dgp.sample(300, np.random.default_rng(5))
    ref = stats.cramervonmises(x, dgp.cdf).statistic / x.size
    assert_allclose(cramer_von_mises(x, dgp.cdf), ref, rtol=1e-12)


def test_cvm_with_ties_matches_quadrature():
    x = np.array([-0.4, -0.4, 0.1, 0.1, 0.1, 1.2])
    xs, k = np.sort(x), x.size
    fk = lambda t: np.searchsorted(xs, t, side="right") / k  # noqa: E731
    # integral (F_k - F)² dF = integral over t of (F_k(t) - Phi(t))² phi(t)
    ref = _quad_pieces(lambda t: (fk(t) - stats.norm.cdf(t)) ** 2 * stats.norm.pdf(t), xs,
                       -40, 40)
    assert_allclose(cramer_von_mises(x, stats.norm.cdf), ref, rtol=1e-10)


def test_batch_rows_equal_single_calls_and_ks_equals_estimators():
    dgp = StudentT(3.0)
    x = dgp.sample(3 * 500, np.random.default_rng(8)).reshape(3, 500)
    d = distances_batch(x, dgp)
    for r in range(3):
        alone = distances_batch(x[r:r + 1], dgp)
        for code in d:
            assert d[code][r] == alone[code][0]
        assert d["ks"][r] == ks_distance(x[r], dgp.cdf)
        assert d["ks"][r] == stats.kstest(x[r], dgp.cdf).statistic


def test_ecdf_distances_shrink_like_n_to_the_minus_half():
    # E KS ~ 0.87/sqrt(n), E W1 ~ c/sqrt(n), E CvM = 1/(6n) exactly (mean of omega²).
    dgp = Normal()
    rng = np.random.default_rng(2)
    for n in (50, 800):
        x = dgp.sample(400 * n, rng).reshape(400, n)
        d = distances_batch(x, dgp)
        cvm = d["cvm"]
        assert abs(cvm.mean() - 1 / (6 * n)) < 4 * cvm.std(ddof=1) / 20
        ks = d["ks"]
        assert abs(ks.mean() - stats.kstwo(n).mean()) < 4 * ks.std(ddof=1) / 20


def test_bad_inputs_raise_naming_them():
    with pytest.raises(ValueError, match="`dgp` must have a finite mean"):
        wasserstein1([0.0], StudentT(1.0))
    with pytest.raises(ValueError, match="`which`"):
        distances_batch(np.zeros((1, 3)), Normal(), which=("ks", "kl"))
    with pytest.raises(TypeError, match="`dgp`"):
        distances_batch(np.zeros((1, 3)), stats.norm)
    with pytest.raises(ValueError, match="`samples`"):
        distances_batch(np.zeros(3), Normal())
    with pytest.raises(ValueError, match="`sample`"):
        cramer_von_mises([np.nan], stats.norm.cdf)
