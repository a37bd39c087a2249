"""gansim.summarise against the formulas of Morris, White & Crowther (2019) written out
independently here, on frames with known answers."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from gansim.summary.simsum import STATS, summarise


@pytest.fixture(scope="module")
def tidy():
    """Two methods, two conditions (factor n), B = 300: method b = a + noise, with SEs and
    Wald bounds; the truth 0.5."""
    rng = np.random.default_rng(4)
    parts = []
    for n in (10, 40):
        a = 0.5 + rng.normal(0, 1 / math.sqrt(n), 300)
        b = a + rng.normal(0.05, 0.1, 300)
        for method, est in (("a", a), ("b", b)):
            se = np.full(300, 1 / math.sqrt(n)) * rng.uniform(0.8, 1.2, 300)
            parts.append(pd.DataFrame({
                "n": n, "condition": n, "rep": np.arange(300), "method": method,
                "quantity": "mean", "estimate": est, "se": se, "lower": est - 1.96 * se,
                "upper": est + 1.96 * se, "truth": 0.5, "status": "ok"}))
    return pd.concat(parts, ignore_index=True)


def _get(s, **where):
    row = s.loc[np.logical_and.reduce([s[k] == v for k, v in where.items()])]
    assert len(row) == 1, where
    return float(row.est.iloc[0]), float(row.mcse.iloc[0])


def test_single_method_stats_match_the_formulas(tidy):
    s = summarise(tidy, by=["n"])
    assert list(s.columns) == ["n", "method", "quantity", "stat", "est", "mcse"]
    g = tidy[(tidy.n == 10) & (tidy.method == "b")]
    x, se, B = g.estimate.to_numpy(), g.se.to_numpy(), 300
    q = dict(n=10, method="b", quantity="mean")
    assert _get(s, stat="nsim", **q) == (300.0, 0.0)
    bias = _get(s, stat="bias", **q)
    assert bias[0] == pytest.approx(x.mean() - 0.5)
    assert bias[1] == pytest.approx(math.sqrt(np.sum((x - x.mean()) ** 2) / (B * (B - 1))))
    empse = _get(s, stat="empse", **q)
    assert empse[0] == pytest.approx(x.std(ddof=1))
    assert empse[1] == pytest.approx(x.std(ddof=1) / math.sqrt(2 * (B - 1)))
    mse = _get(s, stat="mse", **q)
    e2 = (x - 0.5) ** 2
    assert mse[0] == pytest.approx(e2.mean())
    assert mse[1] == pytest.approx(math.sqrt(np.sum((e2 - e2.mean()) ** 2) / (B * (B - 1))))
    modse = _get(s, stat="modse", **q)
    assert modse[0] == pytest.approx(math.sqrt(np.mean(se**2)))
    assert modse[1] == pytest.approx(math.sqrt(np.var(se**2, ddof=1) / (4 * B * np.mean(se**2))))
    cover = _get(s, stat="cover", **q)
    p = np.mean(np.abs(x - 0.5) <= 1.96 * se)
    assert cover == pytest.approx((p, math.sqrt(p * (1 - p) / B)))
    width = _get(s, stat="width", **q)
    assert width[0] == pytest.approx(np.mean(2 * 1.96 * se))
    assert set(s.stat) <= set(STATS)


def test_paired_stats_against_ref(tidy):
    s = summarise(tidy, by=["n"], ref="a")
    assert not ((s.method == "a") & s.stat.isin(["diff", "relprec"])).any()
    g = tidy[tidy.n == 40]
    a = g[g.method == "a"].estimate.to_numpy()
    b = g[g.method == "b"].estimate.to_numpy()
    q = dict(n=40, method="b", quantity="mean")
    diff = _get(s, stat="diff", **q)
    assert diff[0] == pytest.approx(np.mean(b - a))
    assert diff[1] == pytest.approx(np.std(b - a, ddof=1) / math.sqrt(300))
    assert _get(s, stat="less", **q)[0] == pytest.approx(np.mean(b < a))
    ratio = np.var(b, ddof=1) / np.var(a, ddof=1)
    assert _get(s, stat="varratio", **q)[0] == pytest.approx(ratio)
    assert _get(s, stat="relprec", **q)[0] == pytest.approx(100 * (1 / ratio - 1))
    mse_ratio = np.mean((b - 0.5) ** 2) / np.mean((a - 0.5) ** 2)
    assert _get(s, stat="mseratio", **q)[0] == pytest.approx(mse_ratio)
    # b is a shifted by 0.05 on average: the paired difference resolves it, 4 MCSE.
    assert abs(diff[0] - 0.05) < 4 * diff[1]


def test_coverage_of_exact_intervals_is_nominal_within_4_mcse():
    """t intervals of normal samples cover at 95%; a negative control with the wrong truth
    covers far less."""
    rng = np.random.default_rng(7)
    x = rng.normal(2.0, 3.0, size=(2000, 15))
    m, s = x.mean(1), x.std(1, ddof=1)
    h = stats.t.ppf(0.975, 14) * s / math.sqrt(15)
    tidy = pd.DataFrame({"rep": np.arange(2000), "method": "t", "quantity": "mean",
                         "estimate": m, "se": s / math.sqrt(15), "lower": m - h, "upper": m + h,
                         "truth": 2.0, "status": "ok"})
    cover, mcse = _get(summarise(tidy), stat="cover")
    assert abs(cover - 0.95) < 4 * mcse
    wrong, mcse = _get(summarise(tidy.assign(truth=3.0)), stat="cover")
    assert abs(wrong - 0.95) > 4 * mcse


def test_rows_not_ok_are_left_out_and_unknown_truth_gives_no_bias(tidy):
    t = tidy[tidy.n == 10].copy()
    t.loc[t.index[:7], "status"] = "failed"
    t.loc[t.index[7:9], "status"] = "error"
    t["truth"] = np.nan
    s = summarise(t)
    assert _get(s, method="a", stat="nsim")[0] == 300 - 9
    assert not s.stat.isin(["bias", "mse", "cover"]).any()
    assert {"empse", "width", "modse"} <= set(s.stat)


@pytest.mark.parametrize("kwargs, match", [
    (dict(tidy=[1, 2]), "`tidy`"),
    (dict(tidy=pd.DataFrame({"method": ["a"]})), "missing"),
    (dict(by=["dgp"]), "`by`"),
    (dict(ref="zzz"), "`ref`"),
])
def test_bad_input_names_the_argument(tidy, kwargs, match):
    with pytest.raises((TypeError, ValueError), match=match):
        summarise(**{"tidy": tidy, **kwargs})


def test_truth_must_be_constant_within_a_group(tidy):
    t = tidy.copy()
    t.loc[t.index[0], "truth"] = 0.7
    with pytest.raises(ValueError, match="`true` must be constant within a group"):
        summarise(t, by=["n"])
