"""Rate fits: a known slope recovered, numpy as the independent fit, and the kstwo check."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from gansim.dgp import Normal
from gansim.estimators import ks_distance_batch
from gansim.rates import fit_rates, ks_exact_slope, rate_slopes

NS = [25, 50, 100, 200, 400, 800]


def _known_slopes(seed=0, B=200):
    """Two methods with slopes -0.5 and -0.3, lognormal noise shared within a replication."""
    rng = np.random.default_rng(seed)
    rows = []
    for n in NS:
        shared = rng.normal(0, 0.3, B)
        for method, b, c in (("a", -0.5, 1.0), ("b", -0.3, 0.4)):
            noise = shared + rng.normal(0, 0.2, B)
            rows.append(pd.DataFrame({"dgp": "x", "n": n, "rep": np.arange(B), "method": method,
                                      "d": c * n**b * np.exp(noise)}))
    return pd.concat(rows, ignore_index=True)


def test_rate_slopes_recover_known_slopes_and_equal_numpy_least_squares():
    data = _known_slopes()
    s = rate_slopes(data, "d").set_index("method")
    for method, b in (("a", -0.5), ("b", -0.3)):
        assert s.loc[method, "ci_low"] < b < s.loc[method, "ci_high"]
        g = data[data.method == method]
        X = np.column_stack([np.ones(len(g)), np.log(g.n)])
        coef, *_ = np.linalg.lstsq(X, np.log(g.d), rcond=None)
        assert_allclose(s.loc[method, "slope"], coef[1], rtol=1e-10)
    # Precise: the CI half-width is about 2 SE, with SE ~ 0.36 / sqrt(sum (log n - mean)²).
    assert (s["ci_high"] - s["ci_low"]).max() < 0.05


def test_rate_slope_cis_cover_at_the_nominal_rate():
    hits = [rate_slopes(_known_slopes(seed, B=40), "d").set_index("method")
            .pipe(lambda s: s.loc["a", "ci_low"] < -0.5 < s.loc["a", "ci_high"])
            for seed in range(200)]
    # 95% nominal; binomial test at 200 fits (the cluster-robust SEs are asymptotic).
    assert stats.binomtest(sum(hits), 200, 0.95).pvalue > 0.001


def test_fit_rates_runs_any_formula_with_cluster_robust_ses():
    data = _known_slopes()
    fit = fit_rates(data, "np.log(d) ~ np.log(n) * C(method)", cluster=("n", "rep"))
    assert_allclose(fit.params["np.log(n)"], rate_slopes(data, "d").slope[0], rtol=1e-10)
    assert_allclose(fit.params["np.log(n)"] + fit.params["np.log(n):C(method)[T.b]"],
                    rate_slopes(data, "d").slope[1], rtol=1e-10)
    # The methods share each replication's noise: the difference of slopes is more precise
    # with clustering than with independent rows.
    hc = fit_rates(data, "np.log(d) ~ np.log(n) * C(method)")
    key = "np.log(n):C(method)[T.b]"
    assert fit.bse[key] < hc.bse[key]
    failed = data.assign(status=np.where(np.arange(len(data)) == 0, "failed", "ok"))
    assert fit_rates(failed, "np.log(d) ~ np.log(n)").nobs == len(data) - 1


def test_exact_kstwo_slope_tends_to_minus_one_half():
    assert -0.495 < ks_exact_slope(NS, scale="log_of_mean") < -0.485
    assert -0.495 < ks_exact_slope(NS) < -0.485
    assert abs(ks_exact_slope([5000, 10000], scale="log_of_mean") + 0.5) < 0.002


def test_ecdf_ks_slope_agrees_with_the_exact_kstwo_slope_and_a_wrong_truth_does_not():
    rng = np.random.default_rng(2020)
    B = {n: 300 for n in NS}
    rows, wrong = [], []
    for n in NS:
        x = rng.standard_normal((B[n], n))
        rows.append(pd.DataFrame({"dgp": "normal", "n": n, "rep": np.arange(B[n]),
                                  "method": "ecdf", "ks": ks_distance_batch(x, Normal().cdf)}))
        # Negative control: distances to a wrong truth N(0.2, 1) level off at its KS of 0.08.
        wrong.append(rows[-1].assign(ks=ks_distance_batch(x, Normal(0.2, 1.0).cdf)))
    exact = ks_exact_slope(NS, weights=[B[n] for n in NS])
    s = rate_slopes(pd.concat(rows), "ks").iloc[0]
    assert s.ci_low < exact < s.ci_high
    bad = rate_slopes(pd.concat(wrong), "ks").iloc[0]
    assert not bad.ci_low < exact < bad.ci_high


def test_exact_mean_of_log_matches_monte_carlo():
    from gansim.rates import _mean_log_kstwo

    n = 50
    d = ks_distance_batch(np.random.default_rng(1).standard_normal((4000, n)), Normal().cdf)
    logs = np.log(d)
    assert abs(_mean_log_kstwo(n) - logs.mean()) < 4 * logs.std(ddof=1) / np.sqrt(logs.size)


def test_bad_inputs_raise_naming_them():
    data = _known_slopes(B=5)
    with pytest.raises(ValueError, match="`frame` must have columns"):
        rate_slopes(data, "ks")
    with pytest.raises(ValueError, match="`level`"):
        rate_slopes(data, "d", level=95)
    with pytest.raises(ValueError, match="`formula`"):
        fit_rates(data, "np.log(d)")
    with pytest.raises(ValueError, match="`cluster`"):
        fit_rates(data, "np.log(d) ~ np.log(n)", cluster=["replication"])
    with pytest.raises(ValueError, match="`ns`"):
        ks_exact_slope([100])
    with pytest.raises(ValueError, match="`scale`"):
        ks_exact_slope(NS, scale="median")
