"""gansim.simsum against independent implementations (issue 10, item 2).

Every statistic and every MCSE of :func:`gansim.simsum` is checked on synthetic data a
second way, without gansim's code:

* closed forms written out here with numpy, statsmodels (``DescrStatsW``, Clopper-Pearson
  ``proportion_confint(method="beta")``) and scipy (``stats.moment``, ``stats.beta``);
* a nonparametric bootstrap of each MCSE (replications resampled with replacement, pairs
  kept together), on normal estimates and on heavy-tailed (t with 5 df) ones, where the
  normal-theory relprec MCSE ``200 r sqrt((1 - rho²) / (B - 1))`` is too small and the
  delta-method one is not;
* calibration by simulation: S = 400 small studies of B = 200 replications, the sd of each
  statistic across studies against the mean reported MCSE;
* negative controls: the same checks reject formulas known to be wrong;
* the bookkeeping (missing estimates, pairing by ``rep``, power, becover, Wald intervals,
  ``by``, ``methodvar=None``) and the input errors.

Tolerances.  Bootstrap: R = 2000 resamples give the bootstrap sd a relative standard error
of about 1/sqrt(2 R) = 1.6% (a few % for skewed or heavy-tailed statistics), and the
first-order MCSEs differ from the bootstrap by O(1/B); 10% leaves several standard errors.
Calibration: with S studies the sd across studies has a relative standard error of about
sqrt(1/(2 (S - 1))) = 3.5% for S = 400, so the ratio mean MCSE / sd must lie in
1 ± 4 sqrt(1/(2 (S - 1))) = 1 ± 0.14.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.weightstats import DescrStatsW

from gansim import simsum
from gansim.summary.simsum import STATS

TRUTH = 0.5

# --------------------------------------------------------------------------------------------
# Independent reference formulas (Morris, White & Crowther 2019, Table 6), scalar versions.


def _prop(flags):
    """Proportion and its MCSE: binomial, or Clopper-Pearson width / (2 x 1.96) at 0 or 1."""
    flags = np.asarray(flags, dtype=bool)
    k, n = int(flags.sum()), flags.size
    p = k / n
    if k in (0, n):
        lo, hi = proportion_confint(k, n, alpha=0.05, method="beta")
        return p, (hi - lo) / (2 * 1.96)
    return p, math.sqrt(p * (1 - p) / n)


def _mean(x):
    d = DescrStatsW(np.asarray(x, dtype=float))
    return d.mean, d.std_mean  # std_mean = sd(ddof=1) / sqrt(B)


def _varratio(a, b):
    """var(a) / var(b) with the distribution-free delta-method MCSE written with moments:
    Var(za² - zb²) = E za⁴ + E zb⁴ - 2 E za² zb² (the z-scores use the ddof=1 sd)."""
    B = a.size
    za = (a - a.mean()) / a.std(ddof=1)
    zb = (b - b.mean()) / b.std(ddof=1)
    var_d = B / (B - 1) * (np.mean(za**4) + np.mean(zb**4) - 2 * np.mean(za**2 * zb**2))
    r = a.var(ddof=1) / b.var(ddof=1)
    return r, r * math.sqrt(var_d / B)


def expected(stat, x, se, lo, hi, xref, truth, null):
    """(est, mcse) of ``stat`` for estimates ``x`` (and ``xref`` of the reference, paired)."""
    B = x.size
    e2 = (x - truth) ** 2
    mod2 = np.mean(se**2)
    if stat == "nsim":
        return B, 0.0
    if stat == "mean":
        return _mean(x)
    if stat == "bias":
        m, s = _mean(x)
        return m - truth, s
    if stat == "relbias":
        m, s = _mean(x)
        return (m - truth) / truth, s / abs(truth)
    if stat == "var":
        s2 = DescrStatsW(x).var_ddof(1)
        m4 = stats.moment(x, 4)
        return s2, math.sqrt((m4 - s2**2 * (B - 3) / (B - 1)) / B)
    if stat == "empse":
        s = DescrStatsW(x).std_ddof(1)
        return s, s / math.sqrt(2 * (B - 1))
    if stat == "modse":
        return math.sqrt(mod2), math.sqrt(np.var(se**2, ddof=1) / (4 * B * mod2))
    if stat == "relerror":
        ratio = math.sqrt(mod2) / x.std(ddof=1)
        return 100 * (ratio - 1), 100 * ratio * math.sqrt(
            np.var(se**2, ddof=1) / (4 * B * mod2**2) + 1 / (2 * (B - 1)))
    if stat == "mse":
        return _mean(e2)
    if stat == "rmse":
        m, s = _mean(e2)
        return math.sqrt(m), s / (2 * math.sqrt(m))
    if stat == "cover":
        return _prop((lo <= truth) & (truth <= hi))
    if stat == "becover":
        return _prop((lo <= x.mean()) & (x.mean() <= hi))
    if stat == "power":
        return _prop((hi < null) | (lo > null))
    if stat == "width":
        return _mean(hi - lo)
    if stat == "diff":
        return _mean(x - xref)
    if stat == "less":
        return _prop(x < xref)
    if stat == "varratio":
        return _varratio(x, xref)
    if stat == "relprec":
        r, s = _varratio(xref, x)
        return 100 * (r - 1), 100 * s
    if stat == "mseratio":
        ea, eb = (x - truth) ** 2, (xref - truth) ** 2
        r = ea.mean() / eb.mean()
        d = ea / ea.mean() - eb / eb.mean()
        return r, r * math.sqrt(np.mean(d**2) / (B - 1))
    raise AssertionError(stat)


def row(out, **where):
    hit = out.loc[np.logical_and.reduce([out[k] == v for k, v in where.items()])]
    assert len(hit) == 1, where
    return float(hit.est.iloc[0]), float(hit.mcse.iloc[0])


# --------------------------------------------------------------------------------------------
# Closed forms on a frame with missing estimates, shuffled rows, two conditions.


def _sample_frame(seed, B, n_obs=10, dist="normal"):
    """B replications of two estimators of the mean 0.5 from the same sample of size
    n_obs: ``a`` the sample mean, ``b`` the sample median; model SEs sd/sqrt(n) and
    1.2533 sd/sqrt(n)."""
    rng = np.random.default_rng(seed)
    if dist == "normal":
        y = TRUTH + rng.standard_normal((B, n_obs))
    else:
        y = TRUTH + rng.standard_t(dist, (B, n_obs))
    sd = y.std(axis=1, ddof=1) / math.sqrt(n_obs)
    return {"a": (y.mean(axis=1), sd), "b": (np.median(y, axis=1), 1.2533 * sd)}


@pytest.fixture(scope="module")
def frame():
    parts = []
    for k, n in enumerate((10, 40)):
        for m, (est, se) in _sample_frame(100 + k, 150, n).items():
            parts.append(pd.DataFrame({"n": n, "rep": np.arange(150), "method": m,
                                       "est": est, "se": se, "truth": TRUTH}))
    d = pd.concat(parts, ignore_index=True)
    # Missing estimates in different replications for the two methods.
    d.loc[(d.method == "a") & d.rep.isin([3, 50, 77]), "est"] = np.nan
    d.loc[(d.method == "b") & d.rep.isin([3, 90]), "est"] = np.nan
    # Shuffled rows: pairing must go by `rep`, not row order.
    return d.sample(frac=1.0, random_state=1).reset_index(drop=True)


LEVEL, NULL = 0.9, 0.2


@pytest.fixture(scope="module")
def frame_out(frame):
    return simsum(frame, "est", "truth", se="se", methodvar="method", by=["n"], ref="a",
                  level=LEVEL, null=NULL)


SINGLE = ["nsim", "mean", "bias", "relbias", "var", "empse", "modse", "relerror", "mse",
          "rmse", "cover", "becover", "power", "width"]
PAIRED = ["diff", "less", "relprec", "varratio", "mseratio"]


def _arrays(frame, n, method, paired):
    g = frame[(frame.n == n)].pivot(index="rep", columns="method")
    if paired:
        g = g[g["est"].notna().all(axis=1)]
    else:
        g = g[g["est"][method].notna()]
    x, se = g["est"][method].to_numpy(), g["se"][method].to_numpy()
    z = stats.norm.ppf(1 - (1 - LEVEL) / 2)
    return x, se, x - z * se, x + z * se, g["est"]["a"].to_numpy()


@pytest.mark.parametrize("n", [10, 40])
@pytest.mark.parametrize("method", ["a", "b"])
@pytest.mark.parametrize("stat", SINGLE)
def test_single_method_stat_and_mcse_match_closed_form(frame, frame_out, stat, method, n):
    x, se, lo, hi, _ = _arrays(frame, n, method, paired=False)
    want = expected(stat, x, se, lo, hi, None, TRUTH, NULL)
    got = row(frame_out, n=n, method=method, stat=stat)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("n", [10, 40])
@pytest.mark.parametrize("stat", PAIRED)
def test_paired_stat_and_mcse_match_closed_form(frame, frame_out, stat, n):
    x, se, lo, hi, xref = _arrays(frame, n, "b", paired=True)
    assert x.size == 150 - 4  # reps 3, 50, 77, 90 lack one of the two estimates
    want = expected(stat, x, se, lo, hi, xref, TRUTH, NULL)
    got = row(frame_out, n=n, method="b", stat=stat)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-13)


def test_varratio_mcse_reduces_to_the_bivariate_normal_closed_form():
    """For bivariate normal pairs Var(za² - zb²) = 4 (1 - rho²): the MCSE is about
    2 r sqrt((1 - rho²) / (B - 1)) (statsmodels' corrcoef for rho)."""
    rng = np.random.default_rng(3)
    B = 20_000
    a = rng.standard_normal(B)
    b = 0.7 * a + 0.5 * rng.standard_normal(B)
    d = pd.DataFrame({"rep": np.tile(np.arange(B), 2), "m": np.repeat(["a", "b"], B),
                      "x": np.concatenate([b, a])})
    r, mcse = row(simsum(d, "x", methodvar="m", ref="b"), m="a", stat="varratio")
    rho = DescrStatsW(np.column_stack([a, b])).corrcoef[0, 1]
    assert mcse == pytest.approx(2 * r * math.sqrt((1 - rho**2) / (B - 1)), rel=0.03)


@pytest.mark.parametrize("k", [0, 40])
def test_proportion_of_0_or_1_gets_the_clopper_pearson_mcse(k):
    """cover = 1 and power = 0 (or the reverse): MCSE = exact 95% interval width / 3.92,
    the interval computed both by statsmodels and from the beta quantiles (scipy)."""
    B = 40
    x = np.linspace(-0.1, 0.1, B)
    se = np.where(np.arange(B) < k, 10.0, 1e-3)  # k wide intervals cover 0, the rest miss
    d = pd.DataFrame({"x": x + 0.5 * (np.arange(B) >= k), "s": se})
    out = simsum(d, "x", 0.0, se="s", null=0.0)
    lo = stats.beta.ppf(0.025, k, B - k + 1) if k else 0.0
    hi = stats.beta.ppf(0.975, k + 1, B - k) if k < B else 1.0
    for stat, p in (("cover", k / B), ("power", 1 - k / B)):
        est, mcse = row(out, stat=stat)
        assert est == p
        assert mcse == pytest.approx((hi - lo) / 3.92, rel=1e-9)
        assert mcse == pytest.approx(_prop(np.full(B, p == 1))[1], rel=1e-12)


# --------------------------------------------------------------------------------------------
# Bootstrap of the MCSEs.

R_BOOT = 2000
BOOT_RTOL = 0.10


def _boot_stat(stat, x, se, xref, truth, null, z):
    """``stat`` along the last axis (vectorised over bootstrap resamples)."""
    lo, hi = x - z * se, x + z * se
    mean = x.mean(-1, keepdims=True)
    e2 = (x - truth) ** 2
    mod = np.sqrt(np.mean(se**2, -1))
    var = x.var(-1, ddof=1)
    fns = {
        "mean": lambda: mean[..., 0],
        "bias": lambda: mean[..., 0] - truth,
        "relbias": lambda: (mean[..., 0] - truth) / truth,
        "var": lambda: var,
        "empse": lambda: np.sqrt(var),
        "modse": lambda: mod,
        "relerror": lambda: 100 * (mod / np.sqrt(var) - 1),
        "mse": lambda: e2.mean(-1),
        "rmse": lambda: np.sqrt(e2.mean(-1)),
        "cover": lambda: np.mean((lo <= truth) & (truth <= hi), -1),
        "becover": lambda: np.mean((lo <= mean) & (mean <= hi), -1),
        "power": lambda: np.mean((hi < null) | (lo > null), -1),
        "width": lambda: np.mean(hi - lo, -1),
        "diff": lambda: np.mean(x - xref, -1),
        "less": lambda: np.mean(x < xref, -1),
        "varratio": lambda: var / xref.var(-1, ddof=1),
        "relprec": lambda: 100 * (xref.var(-1, ddof=1) / var - 1),
        "mseratio": lambda: e2.mean(-1) / ((xref - truth) ** 2).mean(-1),
    }
    return fns[stat]()


def _boot_sd(stat, x, se, xref, *, truth=TRUTH, null=0.0, level=0.95, seed=0):
    idx = np.random.default_rng(seed).integers(0, x.size, (R_BOOT, x.size))
    z = stats.norm.ppf(0.5 + level / 2)
    return float(np.std(_boot_stat(stat, x[idx], se[idx], xref[idx], truth, null, z), ddof=1))


def _two_method_frame(est, rep=None):
    """Long frame of methods "b" (the one summarised) and "a" (the reference)."""
    (xa, sa), (xb, sb) = est["a"], est["b"]
    B = xa.size
    return pd.DataFrame({"rep": np.tile(np.arange(B), 2), "m": np.repeat(["b", "a"], B),
                         "x": np.concatenate([xb, xa]), "s": np.concatenate([sb, sa])})


@pytest.fixture(scope="module")
def normal_boot():
    est = _sample_frame(11, 1000)
    return est, simsum(_two_method_frame(est), "x", TRUTH, se="s", methodvar="m", ref="a")


@pytest.mark.parametrize("stat", [s for s in SINGLE + PAIRED if s != "nsim"])
def test_mcse_matches_bootstrap_sd_for_normal_samples(normal_boot, stat):
    est, out = normal_boot
    (xa, _), (xb, sb) = est["a"], est["b"]
    boot = _boot_sd(stat, xb, sb, xa)
    _, mcse = row(out, m="b", stat=stat)
    assert mcse == pytest.approx(boot, rel=BOOT_RTOL), (stat, mcse, boot)


@pytest.fixture(scope="module")
def heavy_boot():
    """Heavy tails: B = 2000 replications whose estimates are single t(5) draws
    (kurtosis 9), method b correlated with the reference a."""
    rng = np.random.default_rng(5)
    B = 2000
    a = TRUTH + rng.standard_t(5, B)
    b = TRUTH + 0.6 * (a - TRUTH) + 0.8 * rng.standard_t(5, B)
    ones = np.ones(B)
    est = {"a": (a, ones), "b": (b, ones)}
    return est, simsum(_two_method_frame(est), "x", TRUTH, se="s", methodvar="m", ref="a")


def _normal_theory_relprec_mcse(x, xref):
    """rsimsum's relprec MCSE, derived for bivariate normal estimates."""
    r = xref.var(ddof=1) / x.var(ddof=1)
    rho = np.corrcoef(x, xref)[0, 1]
    return 200 * r * math.sqrt((1 - rho**2) / (x.size - 1))


def test_relprec_mcse_is_delta_method_not_normal_theory_on_heavy_tails(heavy_boot):
    """Numbers seen (seed 5): bootstrap sd 5.44, delta-method MCSE 5.57, normal theory 3.76."""
    est, out = heavy_boot
    xa, xb = est["a"][0], est["b"][0]
    boot = _boot_sd("relprec", xb, est["b"][1], xa)
    _, delta = row(out, m="b", stat="relprec")
    normal = _normal_theory_relprec_mcse(xb, xa)
    print(f"relprec MCSE on t(5): bootstrap {boot:.3f}, delta {delta:.3f}, normal {normal:.3f}")
    assert delta == pytest.approx(boot, rel=BOOT_RTOL)
    # Negative control: the same check rejects the normal-theory formula.
    assert normal != pytest.approx(boot, rel=BOOT_RTOL)
    assert normal < 0.75 * boot


@pytest.mark.parametrize("stat", ["mean", "bias", "var", "mse", "diff", "varratio",
                                  "mseratio", "less"])
def test_distribution_free_mcses_match_bootstrap_on_heavy_tails(heavy_boot, stat):
    est, out = heavy_boot
    xa, xb = est["a"][0], est["b"][0]
    boot = _boot_sd(stat, xb, est["b"][1], xa)
    _, mcse = row(out, m="b", stat=stat)
    assert mcse == pytest.approx(boot, rel=BOOT_RTOL), (stat, mcse, boot)


def test_empse_mcse_is_normal_theory_and_the_bootstrap_sees_it(heavy_boot):
    """Negative control: empse's rsimsum MCSE s / sqrt(2 (B - 1)) is exact only for normal
    estimates; on t(5) the bootstrap finds it too small, so the check has power."""
    est, out = heavy_boot
    xa, xb = est["a"][0], est["b"][0]
    boot = _boot_sd("empse", xb, est["b"][1], xa)
    _, mcse = row(out, m="b", stat="empse")
    assert mcse < 0.8 * boot


# --------------------------------------------------------------------------------------------
# Calibration: S small studies, sd across studies against the mean reported MCSE.

S_STUDIES, B_REPS = 400, 200
CAL_TOL = 4 * math.sqrt(1 / (2 * (S_STUDIES - 1)))


def _calibration_frame(seed, kind):
    rng = np.random.default_rng(seed)
    S, B = S_STUDIES, B_REPS
    if kind == "normal":
        # Each replication: a sample of 20 normals; a = mean, b = median, Wald SEs.
        y = TRUTH + rng.standard_normal((S, B, 20))
        sd = y.std(-1, ddof=1) / math.sqrt(20)
        a, b, sa, sb = y.mean(-1), np.median(y, -1), sd, 1.2533 * sd
    else:
        # Laplace estimates (kurtosis 6), b correlated with a.
        a = TRUTH + rng.laplace(size=(S, B))
        b = TRUTH + 0.5 * (a - TRUTH) + rng.laplace(size=(S, B))
        sa = sb = np.ones((S, B))
    d = pd.DataFrame({
        "study": np.repeat(np.arange(S), 2 * B),
        "m": np.tile(np.repeat(["a", "b"], B), S),
        "rep": np.tile(np.arange(B), 2 * S),
        "x": np.stack([a, b], 1).ravel(),
        "s": np.stack([sa, sb], 1).ravel(),
    })
    return a, b, simsum(d, "x", TRUTH, se="s", methodvar="m", by=["study"], ref="a")


@pytest.fixture(scope="module")
def normal_studies():
    return _calibration_frame(2024, "normal")


@pytest.fixture(scope="module")
def laplace_studies():
    return _calibration_frame(2025, "laplace")


def _ratio(out, method, stat):
    g = out[(out.m == method) & (out.stat == stat)]
    assert len(g) == S_STUDIES
    return g.mcse.mean() / g.est.std(ddof=1)


@pytest.mark.parametrize(("method", "stat"), [
    ("a", "bias"), ("b", "bias"), ("a", "empse"), ("b", "empse"), ("a", "mse"),
    ("b", "rmse"), ("a", "cover"), ("b", "cover"), ("a", "modse"), ("a", "relerror"),
    ("b", "varratio"), ("b", "relprec"), ("b", "mseratio"), ("b", "diff"), ("b", "less"),
])
def test_mcse_calibrated_over_400_normal_studies(normal_studies, method, stat):
    ratio = _ratio(normal_studies[2], method, stat)
    assert abs(ratio - 1) < CAL_TOL, (method, stat, ratio)


@pytest.mark.parametrize("stat", ["bias", "var", "mse", "varratio", "relprec", "mseratio"])
def test_mcse_calibrated_over_400_laplace_studies(laplace_studies, stat):
    ratio = _ratio(laplace_studies[2], "b", stat)
    assert abs(ratio - 1) < CAL_TOL, (stat, ratio)


def test_normal_theory_relprec_mcse_fails_calibration_on_laplace_studies(laplace_studies):
    """Negative control: the same calibration check rejects 200 r sqrt((1-rho²)/(B-1))."""
    a, b, out = laplace_studies
    normal = np.mean([_normal_theory_relprec_mcse(b[i], a[i]) for i in range(S_STUDIES)])
    g = out[(out.m == "b") & (out.stat == "relprec")]
    ratio = normal / g.est.std(ddof=1)
    print(f"relprec over Laplace studies: delta {_ratio(out, 'b', 'relprec'):.3f}, "
          f"normal theory {ratio:.3f} (mean MCSE / sd)")
    assert abs(ratio - 1) > CAL_TOL


def test_wrong_empse_mcse_fails_calibration(normal_studies):
    """Negative control: a factor-sqrt(2) error (s / sqrt(B - 1)) in the empse MCSE would be
    rejected by the same tolerance."""
    g = normal_studies[2]
    g = g[(g.m == "a") & (g.stat == "empse")]
    wrong = (g.est / math.sqrt(B_REPS - 1)).mean() / g.est.std(ddof=1)
    assert abs(wrong - 1) > CAL_TOL


# --------------------------------------------------------------------------------------------
# Bookkeeping.


def test_nmiss_counts_nan_estimates_per_method(frame_out):
    for n in (10, 40):
        assert row(frame_out, n=n, method="a", stat="nsim") == (147.0, 0.0)
        assert row(frame_out, n=n, method="a", stat="nmiss") == (3.0, 0.0)
        assert row(frame_out, n=n, method="b", stat="nsim") == (148.0, 0.0)
        assert row(frame_out, n=n, method="b", stat="nmiss") == (2.0, 0.0)


def test_pairing_goes_by_rep_not_row_order(frame, frame_out):
    """Paired stats over the inner join on `rep` after dropping NaN (pandas merge), the
    same whatever the row order; pairing by row order would give another answer."""
    g = frame[frame.n == 10]
    both = pd.merge(g[g.method == "b"], g[g.method == "a"], on="rep").dropna()
    assert len(both) == 146
    want = _mean((both.est_x - both.est_y).to_numpy())
    np.testing.assert_allclose(row(frame_out, n=10, method="b", stat="diff"), want,
                               rtol=1e-12)
    again = simsum(frame.sort_values(["rep", "method"]), "est", "truth", se="se",
                   methodvar="method", by=["n"], ref="a", level=LEVEL, null=NULL)
    pd.testing.assert_frame_equal(
        again.sort_values(["n", "method", "stat"]).reset_index(drop=True),
        frame_out.sort_values(["n", "method", "stat"]).reset_index(drop=True))
    # Without `rep` there is nothing to pair by: an error, never pairing by row order.
    with pytest.raises(ValueError, match="no `rep` column; pass `pair`"):
        simsum(frame.drop(columns="rep"), "est", methodvar="method", by=["n"], ref="a")


@pytest.fixture(scope="module")
def wald():
    """B = 4000 estimates N(0.5, 1) with se = 1."""
    x = TRUTH + np.random.default_rng(8).standard_normal(4000)
    return pd.DataFrame({"x": x, "s": 1.0})


@pytest.mark.parametrize("level", [0.8, 0.95])
def test_power_is_1_far_from_the_truth_and_1_minus_level_at_it(wald, level):
    far = simsum(wald, "x", TRUTH, se="s", level=level, null=TRUTH + 20)
    B = len(wald)
    assert row(far, stat="power") == pytest.approx((1.0, (1 - 0.025 ** (1 / B)) / 3.92))
    at = simsum(wald, "x", TRUTH, se="s", level=level, null=TRUTH)
    power, mcse = row(at, stat="power")
    assert power == pytest.approx(1 - row(at, stat="cover")[0], abs=1e-12)
    assert abs(power - (1 - level)) < 4 * mcse


def test_becover_is_around_the_mean_estimate(wald):
    """Estimates biased by 3 se: cover ~ 0, becover ~ nominal, computed around x̄."""
    d = wald.assign(x=wald.x + 3.0)
    out = simsum(d, "x", TRUTH, se="s")
    x = d.x.to_numpy()
    assert row(out, stat="cover")[0] < 0.2
    h = stats.norm.ppf(0.975)
    want = _prop(np.abs(x - x.mean()) <= h)
    np.testing.assert_allclose(row(out, stat="becover"), want, rtol=1e-12)
    assert abs(want[0] - 0.95) < 4 * want[1]


@pytest.mark.parametrize("level", [0.5, 0.9, 0.99])
def test_wald_intervals_from_se_when_ci_is_none(wald, level):
    out = simsum(wald, "x", TRUTH, se="s", level=level)
    z = stats.norm.isf((1 - level) / 2)
    assert row(out, stat="width") == pytest.approx((2 * z, 0.0), abs=1e-12)
    # With `ci`, the bounds are used and `se` only for modse: asymmetric bounds.
    d = wald.assign(lo=wald.x - 1.0, hi=wald.x + 3.0)
    out = simsum(d, "x", TRUTH, se="s", ci=("lo", "hi"), level=level)
    assert row(out, stat="width")[0] == pytest.approx(4.0)
    want = _prop((d.lo <= TRUTH) & (TRUTH <= d.hi))
    np.testing.assert_allclose(row(out, stat="cover"), want, rtol=1e-12)


def test_by_groups_and_column_order():
    rng = np.random.default_rng(9)
    d = pd.DataFrame({"dgp": np.repeat(["t", "norm"], 120),
                      "n": np.tile(np.repeat([50, 10], 60), 2),
                      "m": np.tile(np.repeat(["g", "e"], 30), 4),
                      "rep": np.tile(np.arange(30), 8),
                      "x": rng.normal(size=240), "s": 1.0})
    out = simsum(d, "x", 0.0, se="s", methodvar="m", by=["dgp", "n"], ref="e")
    assert list(out.columns) == ["dgp", "n", "m", "stat", "est", "mcse"]
    # Groups in order of first appearance, stats in STATS order within each.
    heads = list(dict.fromkeys(map(tuple, out[["dgp", "n", "m"]].to_numpy())))
    assert heads == [(g, n, m) for g in ("t", "norm") for n in (50, 10) for m in ("g", "e")]
    order = list(STATS)
    for _, g in out.groupby(["dgp", "n", "m"]):
        assert g.stat.tolist() == sorted(g.stat, key=order.index)
    # Each group's numbers are those of the group alone.
    sub = d[(d.dgp == "norm") & (d.n == 10)]
    alone = simsum(sub, "x", 0.0, se="s", methodvar="m", ref="e")
    both = out[(out.dgp == "norm") & (out.n == 10)].drop(columns=["dgp", "n"])
    pd.testing.assert_frame_equal(both.reset_index(drop=True), alone)
    # `by` as a string is one column.
    one = simsum(d, "x", 0.0, by="dgp")
    assert list(one.columns) == ["dgp", "stat", "est", "mcse"]


def test_methodvar_none_summarises_all_rows_as_one_method(wald):
    out = simsum(wald, "x", TRUTH, se="s")
    assert list(out.columns) == ["stat", "est", "mcse"]
    # ci_nmiss appears only when some interval could not be computed.
    assert out.stat.tolist() == [s for s in STATS if s not in PAIRED and s != "ci_nmiss"]
    np.testing.assert_allclose(row(out, stat="mean"), _mean(wald.x.to_numpy()), rtol=1e-12)


def test_truth_as_column_or_number_and_none(wald):
    a = simsum(wald.assign(t=TRUTH), "x", "t", se="s")
    pd.testing.assert_frame_equal(a, simsum(wald, "x", TRUTH, se="s"))
    none = simsum(wald, "x", se="s")
    assert set(none.stat) == set(STATS) - set(PAIRED) - {"bias", "relbias", "mse", "rmse",
                                                         "cover", "ci_nmiss"}


# --------------------------------------------------------------------------------------------
# Input errors: each names the argument.


def _bad_frame():
    return pd.DataFrame({"x": [0.1, 0.2, 0.4, 0.3], "s": 1.0, "m": ["a", "a", "b", "b"],
                         "rep": [0, 1, 0, 1], "lab": list("wxyz"), "lo": -1.0, "hi": 1.0})


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    (dict(data=[1.0, 2.0]), TypeError, "`data`"),
    (dict(data=np.zeros((4, 2))), TypeError, "`data`"),
    (dict(estimate="nope"), ValueError, "`estimate`"),
    (dict(estimate=None), ValueError, "`estimate`"),
    (dict(estimate="lab"), TypeError, "`estimate`"),
    (dict(data=_bad_frame().assign(x=[0.1, np.inf, 0.2, 0.3])), ValueError, "`estimate`"),
    (dict(data=_bad_frame().assign(x=[0.1, -np.inf, 0.2, 0.3])), ValueError, "`estimate`"),
    (dict(data=_bad_frame().assign(x=[True, False, True, True])), TypeError, "`estimate`"),
    (dict(true="nope"), ValueError, "`true`"),
    (dict(true="lab"), TypeError, "`true`"),
    (dict(true=np.inf), ValueError, "`true`"),
    (dict(true=True), ValueError, "`true`"),
    (dict(data=_bad_frame().assign(t=[0.0, 1.0, 0.0, 0.0]), true="t"), ValueError, "`true`"),
    (dict(se="nope"), ValueError, "`se`"),
    (dict(se="lab"), TypeError, "`se`"),
    (dict(methodvar="nope"), ValueError, "`methodvar`"),
    (dict(by=["m", "nope"]), ValueError, "`by`"),
    (dict(methodvar=None, ref="a"), ValueError, "`ref`"),
    (dict(ref="zzz"), ValueError, "`ref`"),
    (dict(level=1.0), ValueError, "`level`"),
    (dict(level=0), ValueError, "`level`"),
    (dict(level="0.95"), ValueError, "`level`"),
    (dict(level=True), ValueError, "`level`"),
    (dict(level=95), ValueError, "`level`"),
    (dict(null=np.nan), ValueError, "`null`"),
    (dict(null="0"), ValueError, "`null`"),
    (dict(ci="lo"), ValueError, "`ci`"),
    (dict(ci=("lo",)), ValueError, "`ci`"),
    (dict(ci=("lo", "hi", "s")), ValueError, "`ci`"),
    (dict(ci=5), ValueError, "`ci`"),
    (dict(ci=("lo", "nope")), ValueError, "`ci`"),
    (dict(ci=("lo", "lab")), TypeError, "`ci`"),
    (dict(pair=["rep", "nope"]), ValueError, "`pair`"),
])
def test_bad_argument_raises_naming_it(kwargs, error, match):
    args = dict(data=_bad_frame(), estimate="x", true=0.0, se="s", methodvar="m", ref="a")
    args.update(kwargs)
    with pytest.raises(error, match=match):
        simsum(**args)


# --------------------------------------------------------------------------------------------
# Regressions for bugs found while writing these tests.


def test_bug_ci_without_len_raised_a_len_error_not_naming_ci():
    """``ci=5`` raised ``TypeError: object of type 'int' has no len()``."""
    with pytest.raises(ValueError, match="`ci` must be a pair"):
        simsum(_bad_frame(), "x", ci=5)


def test_bug_condition_without_rep_collapsed_the_pairing():
    """With a `condition` column but no `rep`, the pairing keyed on `condition` alone, kept
    one row per method and silently dropped every paired stat; now nothing identifies a
    replication, and that is an error (never pairing by row order), while `pair=` pairs."""
    rng = np.random.default_rng(12)
    a, b = rng.normal(size=50), rng.normal(size=50)
    d = pd.DataFrame({"condition": 3, "m": np.repeat(["a", "b"], 50),
                      "x": np.concatenate([a, b]), "id": np.tile(np.arange(50), 2)})
    with pytest.raises(ValueError, match="no `rep` column; pass `pair`"):
        simsum(d, "x", methodvar="m", ref="a")
    out = simsum(d, "x", methodvar="m", ref="a", pair=["id"])
    assert set(PAIRED) - {"mseratio"} <= set(out[out.m == "b"].stat)
    np.testing.assert_allclose(row(out, m="b", stat="diff"), _mean(b - a), rtol=1e-12)


def test_bug_duplicate_pair_keys_paired_the_first_rows_silently():
    """Two rows per (method, rep), e.g. a design factor left out of `by`: the pairing took
    the first of each and dropped the rest without a word; now an error naming `pair`."""
    d = pd.DataFrame({"dgp": np.tile(np.repeat(["t", "norm"], 5), 2),
                      "m": np.repeat(["a", "b"], 10), "rep": np.tile(np.arange(5), 4),
                      "x": np.arange(20.0) ** 1.5})
    with pytest.raises(ValueError, match="`pair`"):
        simsum(d, "x", methodvar="m", ref="a")
    out = simsum(d, "x", methodvar="m", by=["dgp"], ref="a")  # fine with the factor in `by`
    assert row(out, dgp="norm", m="b", stat="nsim")[0] == 5
    # Without `ref` nothing is paired, so duplicates are no error.
    assert row(simsum(d, "x", methodvar="m"), m="b", stat="nsim")[0] == 10


# --------------------------------------------------------------------------------------------
# Numbers validated where they enter: what would otherwise be summarised as if valid.


def _tidy_rows(B=6):
    rng = np.random.default_rng(3)
    return pd.DataFrame({"condition": 0, "rep": np.tile(np.arange(B), 2),
                         "method": np.repeat(["a", "b"], B), "quantity": "mean",
                         "estimate": rng.normal(size=2 * B), "se": 1.0, "truth": 0.0,
                         "status": "ok"})


@pytest.mark.parametrize("edit,match", [
    (lambda d: d.assign(s=-1.0), "`se` column 's' holds negative values"),
    (lambda d: d.assign(lo=1.0, hi=0.0), "`ci` columns 'lo' > 'hi' in 12 rows"),
    (lambda d: d.assign(m=d["m"].where(d.index > 2)), "`methodvar` column 'm' holds missing"),
])
def test_simsum_refuses_invalid_numbers_and_labels(edit, match):
    d = _tidy_rows().rename(columns={"method": "m", "estimate": "x", "se": "s"})
    d = edit(d.assign(lo=d["x"] - 1, hi=d["x"] + 1))
    with pytest.raises(ValueError, match=match):
        simsum(d, "x", 0.0, se="s", methodvar="m", ci=("lo", "hi"))


def test_summarise_refuses_rows_given_twice_and_missing_method_labels():
    from gansim.summary.simsum import summarise

    tidy = _tidy_rows()
    ok = summarise(tidy, ref="a")
    assert row(ok, method="b", quantity="mean", stat="nsim")[0] == 6
    with pytest.raises(ValueError, match="6 rows repeating another's"):
        summarise(pd.concat([tidy, tidy.iloc[:6]]))
    with pytest.raises(ValueError, match="'method' holds missing labels in 1 rows"):
        summarise(tidy.assign(method=tidy["method"].where(tidy.index != 3)))
