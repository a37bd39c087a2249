"""The rates study: rate fits (a known slope recovered, numpy as the independent fit, the
kstwo check), the study on the new stack reproducing the committed results/rates numbers bit
for bit, and its command line writing every file in the new schema."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import stats

from gansim.studies import rates as rates_study
from gansim.study.core import TIDY_COLUMNS, StudyResult, run_study
from gansim.study.dgp import Normal
from gansim.study.distances import ks_distance_batch
from gansim.summary.convergence import fit_rates, ks_exact_slope, rate_slopes

NS = [25, 50, 100, 200, 400, 800]
RESULTS = Path(__file__).resolve().parents[1] / "results"
#: The functionals and distances every method gets.
QUANTITIES = ["mean", "median", "sd", "q10", "q90", "ks", "w1", "cvm"]


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
    from gansim.summary.convergence import _mean_log_kstwo

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


# ------------------------------------------------------------------------------------------
# The study against the committed results/rates files (tidy schema, the run of
# `python -m gansim rates` recorded in results/rates/run.json).

#: The committed tidy rows' numeric fields, compared bit for bit.
FIELDS = ["estimate", "se", "lower", "upper", "truth"]
METHODS = {"ecdf", "bootstrap", "smoothed", "parametric", "gan", "oracle"}
#: The GAN's diagnostics, quantities of the tidy frame alongside the functionals and distances.
DIAGNOSTICS = ["d_real", "d_fake", "value", "jsd_star", "collapsed"]


def _committed(dgp: str, n: int | None = None) -> pd.DataFrame:
    """The committed tidy rows of one DGP (and n), in the file's order."""
    filters = [("dgp", "==", dgp)] + ([("n", "==", n)] if n is not None else [])
    return pd.read_parquet(RESULTS / "rates" / "replications.parquet", filters=filters)


def _committed_csv(name: str, dgp: str) -> pd.DataFrame:
    frame = pd.read_csv(RESULTS / "rates" / f"{name}.csv")
    return frame[frame["dgp"] == dgp].reset_index(drop=True)


def _assert_same_rows(got: pd.DataFrame, committed: pd.DataFrame, keys: list[str],
                      values: list[str], rtol: float = 0.0) -> None:
    """Same key sets, and every value identical (NaN where the committed value is NaN), or
    within ``rtol`` where the arithmetic goes through LAPACK."""
    both = committed.merge(got, on=keys, how="outer", suffixes=("_c", ""),
                           validate="one_to_one", indicator=True)
    assert (both["_merge"] == "both").all(), both.loc[both["_merge"] != "both", keys].head()
    for v in values:
        if rtol:
            assert_allclose(both[v].to_numpy(dtype=float), both[f"{v}_c"].to_numpy(dtype=float),
                            rtol=rtol, atol=0, err_msg=v)
        else:
            assert_array_equal(both[v].to_numpy(dtype=float),
                               both[f"{v}_c"].to_numpy(dtype=float), err_msg=v)


def test_rerun_reproduces_the_committed_replications_bit_for_bit():
    # The shipped declaration at its cheapest condition, one block (B = 1000 x 0.1): same
    # condition id (CRC of the factors), data, GAN streams (torch engine, block of 100) and
    # method streams as the committed run, so every number must be identical, not close.
    study = rates_study.build_study(ns=[25], dgps=["normal"], scale=0.1)
    assert [c.replications for c in study.conditions] == [100]
    new = run_study(study, seed=rates_study.DEFAULTS["seed"], progress=False).tidy
    old = _committed("normal", 25)
    old = old[old["rep"] < 100]
    assert list(old.columns) == list(new.columns) == ["dgp", "n", *TIDY_COLUMNS]
    assert len(new) == len(old) == 100 * (6 * len(QUANTITIES) + len(DIAGNOSTICS))
    assert set(new["method"]) == METHODS
    assert set(new.loc[new["method"] == "gan", "quantity"]) == {*QUANTITIES, *DIAGNOSTICS}
    keys = ["dgp", "n", "condition", "rep", "method", "quantity"]
    _assert_same_rows(new, old, keys, FIELDS)
    both = old.merge(new, on=keys, suffixes=("_c", ""))
    for col in ("seed", "spawn_key", "status", "error", "warnings"):
        assert (both[col].astype(str) == both[f"{col}_c"].astype(str)).all(), col


def test_summaries_of_the_committed_rows_reproduce_summary_paired_and_slopes():
    # The committed tidy rows of one DGP (all n) through summarise, paired and the slopes
    # give exactly that DGP's rows of the committed summary.csv, paired.csv and slopes.csv.
    dgp = "normal"
    study = rates_study.build_study(dgps=[dgp])
    tidy = _committed(dgp)
    run = json.loads((RESULTS / "rates" / "run.json").read_text())
    conds = pd.DataFrame(run["conditions"])
    result = StudyResult(tidy, conds[conds["dgp"] == dgp].reset_index(drop=True), study,
                         run["seed"], 0.0)

    summary = result.summary()
    committed = _committed_csv("summary", dgp)
    assert len(summary) == len(committed)
    _assert_same_rows(summary, committed, ["dgp", "n", "method", "quantity", "stat"],
                      ["est", "mcse"])

    pairs = rates_study.paired(tidy, by=result.factors)
    assert set(pairs["method"]) == {"gan"}
    assert list(pd.unique(pairs["ref"])) == list(rates_study.AGAINST)
    committed = _committed_csv("paired", dgp)
    assert len(pairs) == len(committed)
    _assert_same_rows(pairs, committed, ["dgp", "n", "method", "ref", "quantity", "stat"],
                      ["est", "mcse"])

    slopes, exact = rates_study._slopes(result)
    committed = _committed_csv("slopes", dgp)
    assert len(slopes) == len(committed)
    # The slopes are least-squares fits solved by LAPACK, whose last bits depend on the
    # CPU's kernels (measured: 8e-13 relative on another EPYC model); the summaries above,
    # plain sums, reproduce exactly.
    _assert_same_rows(slopes, committed, ["dgp", "method", "distance", "n_range"],
                      ["slope", "se", "ci_low", "ci_high", "n_obs"], rtol=1e-10)
    assert exact.keys() == run["exact_ks_slopes"].keys()
    for key, value in run["exact_ks_slopes"].items():
        assert exact[key] == pytest.approx(value, rel=1e-10), key


@pytest.mark.slow
def test_command_line_writes_every_output_in_the_new_schema(tmp_path):
    from gansim.cli import main

    out = tmp_path / "rates"
    args = ["rates", "--scale", "0.004", "--ns", "25", "50", "--m", "200", "--steps", "10",
            "--block-size", "4", "--n-jobs", "1", "--no-progress", "--out", str(out)]
    assert main(args) == 0
    for name in ("replications.parquet", "replications.csv.gz", "summary.csv", "paired.csv",
                 "slopes.csv", "tables.md", "tables.tex", "answers.md", "ks.png", "w1.png",
                 "cvm.png", "slopes.png", "run.json"):
        assert (out / name).stat().st_size > 0, name
    tidy = pd.read_parquet(out / "replications.parquet")
    assert list(tidy.columns) == ["dgp", "n", *TIDY_COLUMNS]
    # B = max(2, round(1000 x 0.004)) = 4 per condition, 4 DGPs x 2 n, six methods.
    assert tidy.groupby(["dgp", "n", "method"])["rep"].nunique().eq(4).all()
    assert len(tidy.groupby(["dgp", "n", "method"])) == 4 * 2 * 6
    # The CSV is the same frame (R reads it with read.csv).
    csv = pd.read_csv(out / "replications.csv.gz", keep_default_na=False,
                      na_values={c: [""] for c in ["estimate", "se", "lower", "upper", "truth"]})
    assert_allclose(csv["estimate"], tidy["estimate"], rtol=1e-15)
    assert (csv["spawn_key"].astype(str) == tidy["spawn_key"]).all()
    summary = pd.read_csv(out / "summary.csv")
    assert list(summary.columns) == ["dgp", "n", "method", "quantity", "stat", "est", "mcse"]
    pairs = pd.read_csv(out / "paired.csv")
    assert set(pairs["method"]) == {"gan"}
    assert set(pairs["ref"]) == set(rates_study.AGAINST)
    assert {"diff", "less", "relprec", "mseratio"} <= set(pairs["stat"])
    slopes = pd.read_csv(out / "slopes.csv")
    assert set(slopes["distance"]) == {"ks", "w1", "cvm"}
    assert set(slopes["method"]) == set(tidy["method"])
    text = (out / "answers.md").read_text()
    assert "## 4." in text and "| ecdf | 40 |" in text  # 4 DGPs x 2 n x 5 functionals
    assert "| dgp | n | less | diff |" in (out / "tables.md").read_text()
    run = json.loads((out / "run.json").read_text())
    assert run["settings"]["study"] == "rates" and run["seed"] == 4


@pytest.mark.slow
def test_pilot_command_line_writes_its_table(tmp_path):
    from gansim.cli import main

    out = tmp_path / "pilot"
    assert main(["rates_standardize", "-B", "3", "--n", "20", "--steps", "5", "--n-jobs", "1",
                 "--no-progress", "--out", str(out)]) == 0
    tidy = pd.read_csv(out / "replications.csv")
    assert set(tidy["method"]) >= {"ecdf", "gan_raw", "gan"}
    table = (out / "table.md").read_text()
    # One row per DGP, nine cells each, every one filled.
    rows = [r for r in table.splitlines() if r.startswith("| ") and r.split(" | ")[0][2:]
            in ("normal", "t", "lognormal", "mixture")]
    assert len(rows) == 4
    assert all(r.count("|") == 10 and "|  |" not in r for r in rows)


def test_command_line_rejects_a_bad_scale(capsys):
    from gansim.cli import main

    assert main(["rates", "--scale", "0", "--no-progress", "--out", "/nonexistent/x"]) == 2
    assert "`scale`" in capsys.readouterr().err


# --------------------------------------------------------------------------------------------
# Floor-aware rates: a + b n^-c (issue 12).

FLOOR_NS = np.array([50, 100, 200, 400, 800])


def _synthetic_means(seed, a=0.02, b=0.6, c=0.5, B=40, sd_log=0.3):
    """Condition means and MCSEs of B lognormal distances per n whose expectation is exactly
    a + b n^-c (the factor exp(-sd_log²/2) removes the lognormal's mean shift)."""
    rng = np.random.default_rng(seed)
    mu = a + b * FLOOR_NS ** -c
    d = [m * np.exp(rng.normal(0, sd_log, B) - sd_log**2 / 2) for m in mu]
    return np.array([x.mean() for x in d]), np.array([x.std(ddof=1) / np.sqrt(B) for x in d])


def test_floor_fit_intervals_cover_the_known_floor_and_exponent():
    from gansim.summary.convergence import floor_fit

    reps, hits_a, hits_c = 150, 0, 0
    for seed in range(reps):
        mean, mcse = _synthetic_means(seed)
        f = floor_fit(FLOOR_NS, mean, mcse)
        assert f.converged and f.df == 2
        hits_a += f.a_low < 0.02 < f.a_high
        hits_c += f.c_low < 0.5 < f.c_high
    # Pinned for these seeds, and a binomial test against 95% does not reject.
    assert (hits_a, hits_c) == (146, 147)
    for hits in (hits_a, hits_c):
        assert stats.binomtest(hits, reps, 0.95).pvalue > 0.01


def test_floor_fit_point_estimates_match_an_independent_grid_search():
    from gansim.summary.convergence import floor_fit

    mean, mcse = _synthetic_means(3)
    f = floor_fit(FLOOR_NS, mean, mcse)
    # Brute force: chi2 over a fine (c) grid with (a, b) by numpy's weighted lstsq.
    best = (np.inf, None)
    for c in np.linspace(0.05, 3, 5901):
        X = np.column_stack([np.ones(5), FLOOR_NS ** -c]) / mcse[:, None]
        coef, *_ = np.linalg.lstsq(X, mean / mcse, rcond=None)
        chi2 = float(np.sum((X @ coef - mean / mcse) ** 2))
        if chi2 < best[0]:
            best = (chi2, (coef[0], coef[1], c))
    assert_allclose([f.a, f.b, f.c], best[1], rtol=2e-3, atol=2e-4)
    assert f.chi2 <= best[0] + 1e-9


def test_floor_fit_of_nearly_flat_means_lies_inside_its_own_intervals():
    # Nearly flat means (0.05, noise far below the MCSE) leave a and b unidentified as
    # c -> 0, where a + b n^-c -> (a + b) - b c log n.  The fit must stay on the exponents
    # the profiles search (c >= the grid's lower end), and each point estimate inside its
    # own profile interval; the unbounded fit ran c to ~1e-4 with a = -2.8 and the
    # interval of a collapsed onto it ([-2.8, -2.8], seed 1).
    from gansim.summary.convergence import _C_GRID, floor_fit

    n = np.array([50, 100, 200, 400])
    on_bound = 0
    for seed in range(20):
        mean = 0.05 + np.random.default_rng(seed).normal(0, 0.0005, n.size)
        f = floor_fit(n, mean, np.full(n.size, 0.003))
        assert f.converged and f.c >= _C_GRID[0]
        assert f.c_low <= f.c <= f.c_high
        assert f.a_low <= f.a <= f.a_high and f.a_low < f.a_high
        on_bound += f.c == pytest.approx(_C_GRID[0], abs=1e-9)
    # The degenerate case is exercised: pinned for these seeds, 5 of the 20 fits end on the
    # bound (the unbounded fit ran 6 of them below it).
    assert on_bound == 5


def test_profile_interval_of_a_started_outside_the_profile_region_is_not_degenerate():
    # Bisection started from an a outside {a : profile chi2 <= cutoff} collapsed onto that
    # a; it now starts from the profile's best a and finds the same interval as from inside.
    from gansim.summary.convergence import _C_GRID, _profile_a_interval, _profile_c

    n = np.array([50.0, 100, 200, 400])
    mean = 0.05 + np.random.default_rng(1).normal(0, 0.0005, n.size)
    se = np.full(n.size, 0.003)
    cutoff = float(_profile_c(n, mean, se, _C_GRID).min()) + stats.chi2.ppf(0.95, 1)
    inside = _profile_a_interval(n, mean, se, 0.05, cutoff, _C_GRID)
    outside = _profile_a_interval(n, mean, se, -2.844, cutoff, _C_GRID)
    assert inside[0] < 0.05 < inside[1]
    assert_allclose(outside, inside, rtol=1e-9)


def test_negative_control_a_wrong_exponent_is_rejected():
    # Means from 0 + 1.0 n^-1 fitted with c fixed at 1/2: the chi2 test rejects, and the
    # free fit finds c near 1 and a near 0.
    from gansim.summary.convergence import floor_fit

    mean = FLOOR_NS ** -1.0
    mcse = 0.02 * mean
    wrong = floor_fit(FLOOR_NS, mean, mcse, c=0.5)
    assert wrong.p_value < 1e-6
    free = floor_fit(FLOOR_NS, mean, mcse)
    assert free.c_low < 1.0 < free.c_high and free.a_low < 0 < free.a_high


def test_a_floor_flattens_the_loglog_slope_and_the_local_slopes():
    # The confound of results/rates: a floor makes the straight log-log fit flatter than -c,
    # and the local slopes run towards 0; the floor model recovers c.
    from gansim.summary.convergence import floor_fit, local_slopes

    mean = 0.01 + 0.5 * FLOOR_NS ** -0.5
    s = pd.DataFrame({"dgp": "x", "n": FLOOR_NS, "method": "m", "quantity": "ks",
                      "stat": "mean", "est": mean, "mcse": 1e-4})
    loc = local_slopes(s)
    assert np.all(np.diff(loc.slope) > 0) and loc.slope.iloc[0] > -0.5
    straight = np.polyfit(np.log(FLOOR_NS), np.log(mean), 1)[0]
    assert straight > -0.45
    assert_allclose(floor_fit(FLOOR_NS, mean, np.full(5, 1e-4)).c, 0.5, rtol=1e-4)
    # Without a floor the local slopes are exactly -c.
    s["est"] = 0.5 * FLOOR_NS ** -0.5
    assert_allclose(local_slopes(s).slope, -0.5, rtol=1e-12)


def test_committed_rates_floor_numbers_of_issue_12():
    # The re-analysis quoted by issue 12, recomputed from the committed summary.csv: the
    # GAN's normal means fit a + b n^-1/2 with a at the m-draw floor, and the free fits
    # of t3, lognormal and the mixture have floors 0.045, 0.066, 0.086 and c >= 0.5.
    from gansim.summary.convergence import floor_fits

    summary = pd.read_csv(RESULTS / "rates" / "summary.csv")
    gan = summary[summary.method == "gan"]
    half = floor_fits(gan, c=0.5).set_index("dgp")
    assert abs(half.loc["normal", "a"] - 0.0082) < 0.0005 and half.loc["normal", "chi2"] < 2
    free = floor_fits(gan).set_index("dgp")
    for dgp, a in (("t", 0.045), ("lognormal", 0.066), ("mixture", 0.086)):
        assert abs(free.loc[dgp, "a"] - a) < 0.001 and free.loc[dgp, "c"] > 0.5


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"n": [1, 2, 3]}, "`n`, `mean` and `mcse` must be 1-D arrays of the same length"),
    ({"mcse": [0.1, 0.1, 0.0, 0.1]}, "`mcse` must hold finite standard errors > 0"),
    ({"n": [10, 10, 20, 40]}, "`n` must hold at least 4 distinct sample sizes"),
    ({"c": -1.0}, "`c` must be None or a finite real number > 0"),
    ({"level": 95}, "`level` must be a probability"),
    ({"mean": [0.1, np.nan, 0.1, 0.1]}, "`mean` must be finite"),
])
def test_floor_fit_bad_input_names_the_argument(kwargs, match):
    from gansim.summary.convergence import floor_fit

    args = {"n": [10, 20, 40, 80], "mean": [0.3, 0.2, 0.15, 0.1], "mcse": [0.01] * 4, **kwargs}
    with pytest.raises(ValueError, match=match):
        floor_fit(args.pop("n"), args.pop("mean"), args.pop("mcse"), **args)
