"""The design grid and the estimation study: seeds, pairing, truths, failures, resume."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import optimize, stats

from gansim.design import Condition, condition_grid, run_grid
from gansim.dgp import LogNormal, Normal, NormalMixture, StudentT
from gansim.grid import (
    QUANTITIES,
    EstimationDesign,
    compare_methods,
    estimation_block,
    run_estimation,
    summarise_estimation,
    true_values,
)
from gansim.methods import Bootstrap, EmpiricalCDF, Method, Parametric
from gansim.performance import mse_ratio
from gansim.rng import replication_streams

CHEAP = EstimationDesign((EmpiricalCDF(), Bootstrap(), Parametric()), m=500, block_size=5)


class Exploding(Method):
    """A method that raises for every block: its rows must fail, the others must not."""

    name = "exploding"

    def _fit(self, x, streams, *, dgp, device):
        raise FloatingPointError("diverged at step 3")


class NaNDraws(Parametric):
    """Non-finite draws for replication 1 only."""

    name = "nan_draws"

    def _fit(self, x, streams, *, dgp, device):
        fitted = super()._fit(x, streams, dgp=dgp, device=device)
        sample = fitted.sample
        reps = [s.rep for s in streams]

        def bad(m):
            out = sample(m)
            out[[r == 1 for r in reps]] = np.nan
            return out

        fitted.sample = bad
        return fitted


def _mixture_quantile(p):
    cdf = lambda x: 0.5 * stats.norm.cdf(x, -2, 0.5) + 0.5 * stats.norm.cdf(x, 2, 0.5)  # noqa: E731
    return optimize.brentq(lambda x: cdf(x) - p, -10, 10, xtol=1e-14)


@pytest.mark.parametrize("dgp, ref", [
    (Normal(), stats.norm()), (StudentT(3.0), stats.t(3)),
    (LogNormal(), stats.lognorm(1.0)), (NormalMixture(), None)], ids=["normal", "t", "ln", "mix"])
def test_true_values_against_scipy(dgp, ref):
    got = true_values(dgp)
    if ref is None:  # the mixture: moments by hand, quantiles by root finding
        want = {"mean": 0.0, "sd": np.sqrt(4 + 0.25), "median": 0.0,
                "q10": _mixture_quantile(0.1), "q90": _mixture_quantile(0.9)}
    else:
        want = {"mean": ref.mean(), "sd": ref.std(), "median": ref.median(),
                "q10": ref.ppf(0.1), "q90": ref.ppf(0.9)}
    for k, v in want.items():
        assert_allclose(got[k], v, rtol=1e-10, atol=1e-12, err_msg=k)


def test_condition_ids_depend_on_factors_not_position():
    a = condition_grid(10, dgp=["normal", "t"], n=[25, 50])
    b = condition_grid(10, dgp=["t"], n=[50, 25, 800])
    ids_a = {c.label: c.id for c in a}
    ids_b = {c.label: c.id for c in b}
    assert ids_a["dgp=t,n=25"] == ids_b["dgp=t,n=25"]
    assert len(set(ids_a.values())) == 4
    with pytest.raises(ValueError, match="`replications`"):
        Condition((("n", 5),), 1)
    with pytest.raises(ValueError, match="factor `n`"):
        condition_grid(5, n=[])


def test_all_methods_see_the_same_data_and_the_ecdf_is_exact():
    cond = Condition((("dgp", "lognormal"), ("n", 30)), 5)
    frame = estimation_block([0, 1, 2], 9, cond, CHEAP)
    dgp = LogNormal()
    for i, r in enumerate([0, 1, 2]):
        x = dgp.sample(30, replication_streams(9, r, cond.id).data_rng())
        assert frame.at[i, "ecdf__mean"] == pytest.approx(x.mean(), rel=1e-14)
        assert frame.at[i, "ecdf__median"] == pytest.approx(np.median(x), rel=1e-14)
        assert frame.at[i, "ecdf__ks"] == stats.kstest(x, dgp.cdf).statistic
        # The parametric plug-in is fitted to the same data: its draws centre on x̄.
        assert abs(frame.at[i, "parametric__mean"] - x.mean()) < 5 * x.std() / np.sqrt(500)
    assert (frame["status"] == "ok").all()


def test_failures_are_recorded_per_method_and_never_fatal():
    design = EstimationDesign((EmpiricalCDF(), Exploding(), NaNDraws()), m=50, block_size=3)
    cond = Condition((("dgp", "normal"), ("n", 10)), 3)
    frame = estimation_block([0, 1, 2], 1, cond, design)
    assert (frame["ecdf__status"] == "ok").all()
    assert (frame["exploding__status"] == "failed").all()
    assert frame["exploding__error"].str.contains("FloatingPointError: diverged").all()
    assert list(frame["nan_draws__status"]) == ["ok", "failed", "ok"]
    assert "non-finite draws" in frame.at[1, "nan_draws__error"]
    assert np.isnan(frame.at[1, "nan_draws__ks"]) and np.isfinite(frame.at[0, "nan_draws__ks"])
    assert (frame["status"] == "failed").all()
    assert "exploding: FloatingPointError" in frame.at[0, "error"]


def test_grid_resumes_to_identical_results_and_ignores_n_jobs(tmp_path):
    grid = condition_grid(lambda f: 6 if f["n"] == 20 else 4, dgp=["normal", "mixture"],
                          n=[20, 40])
    full = run_estimation(grid, CHEAP, seed=3, progress=False).replications
    # Interrupt: run only the first two conditions into out, then the whole grid.
    run_estimation(grid[:2], CHEAP, seed=3, out_dir=tmp_path, progress=False)
    resumed = run_estimation(grid, CHEAP, seed=3, out_dir=tmp_path, progress=False, n_jobs=2)
    pd.testing.assert_frame_equal(full, resumed.replications)
    assert resumed.conditions["blocks_resumed"].tolist() == [2, 1, 0, 0]
    # Tidy: one row per replication x method, factors as columns.
    assert len(full) == (6 + 4) * 2 * 3
    assert list(full.columns[:3]) == ["dgp", "n", "condition"]
    assert set(QUANTITIES) <= set(full.columns)
    with pytest.raises(ValueError, match="other settings"):
        run_estimation(grid, EstimationDesign(CHEAP.methods, m=501, block_size=5), seed=3,
                       out_dir=tmp_path, progress=False)


def test_block_that_raises_becomes_failed_rows_of_every_method():
    def block(reps, seed, condition):
        raise MemoryError("out of memory")

    run = run_grid(block, condition_grid(3, n=[5]), seed=1, block_size=3, settings={},
                   progress=False)
    cond = condition_grid(3, n=[5])[0]
    assert (run.replications["status"] == "failed").all()
    assert run.replications["spawn_key"].iloc[0] == f"{cond.id}:0"


def test_ecdf_measures_recover_known_values_within_4_mcse():
    B, n = 400, 25
    design = EstimationDesign((EmpiricalCDF(), Bootstrap()), m=1000, block_size=100)
    tidy = run_estimation(condition_grid(B, dgp=["normal"], n=[n]), design, seed=5,
                          progress=False).replications
    s = summarise_estimation(tidy, design).set_index(["method", "quantity", "measure"])
    bias = s.loc[("ecdf", "mean", "bias")]
    assert abs(bias.value) < 4 * bias.mcse
    empse = s.loc[("ecdf", "mean", "empse")]
    assert abs(empse.value - 1 / np.sqrt(n)) < 4 * empse.mcse
    ks = s.loc[("ecdf", "ks", "mean")]
    assert abs(ks.value - stats.kstwo(n).mean()) < 4 * ks.mcse
    # E[sd] = c4(n) sigma for the ecdf's sd (divisor n - 1).
    c4 = math.sqrt(2 / (n - 1)) * math.exp(math.lgamma(n / 2) - math.lgamma((n - 1) / 2))
    sd_bias = s.loc[("ecdf", "sd", "bias")]
    assert abs(sd_bias.value - (c4 - 1)) < 4 * sd_bias.mcse
    # Paired: the bootstrap's T is the ecdf's plus resampling noise, never more precise.
    cmp = compare_methods(tidy, design, "bootstrap", ["ecdf"]).set_index(["quantity", "measure"])
    assert cmp.loc[("mean", "relprec")].value < 0
    assert cmp.loc[("pairs", "n")].value == B


def test_identical_methods_compare_as_equal():
    design = EstimationDesign((EmpiricalCDF(), EmpiricalCDF(label="ecdf2")), m=10, block_size=10)
    tidy = run_estimation(condition_grid(20, dgp=["t"], n=[15]), design, seed=2,
                          progress=False).replications
    cmp = compare_methods(tidy, design, "ecdf2", ["ecdf"]).set_index(["quantity", "measure"])
    assert cmp.loc[("ks", "share_less")].value == 0
    assert cmp.loc[("ks", "diff")].value == 0
    assert cmp.loc[("mean", "relprec")].value == pytest.approx(0, abs=1e-9)
    assert cmp.loc[("mean", "mse_ratio")].value == pytest.approx(1)


def test_mse_ratio_mcse_is_calibrated():
    # 400 studies of B = 200 paired errors (correlated normals with unequal sd): the sd of
    # the ratio over studies matches the mean MCSE within 15%.
    rng = np.random.default_rng(11)
    ratios, mcses = [], []
    for _ in range(400):
        z = rng.standard_normal((2, 200))
        a = 0.2 + 1.5 * z[0]
        b = 0.8 * z[0] + 0.6 * z[1]
        m = mse_ratio(a, b, truth=0.0)
        ratios.append(m.value)
        mcses.append(m.mcse)
    assert abs(np.std(ratios, ddof=1) / np.mean(mcses) - 1) < 0.15
    # Against an independent computation of the point estimate.
    assert_array_equal(m.value, np.mean(a**2) / np.mean(b**2))


def test_study_script_writes_every_output(tmp_path, load_study):
    script = load_study("rates")
    out = tmp_path / "rates"
    args = ["--scale", "0.004", "--ns", "20", "40", "--m", "200", "--steps", "10",
            "--block-size", "4", "--n-jobs", "1", "--no-progress", "--out", str(out)]
    assert script.main(args) == 0
    for name in ("replications.parquet", "summary.csv", "paired.csv", "slopes.csv",
                 "tables.md", "tables.tex", "answers.md", "ks.png", "w1.png", "cvm.png",
                 "slopes.png", "run.json"):
        assert (out / name).stat().st_size > 0, name
    tidy = pd.read_parquet(out / "replications.parquet")
    assert set(tidy["method"]) == {"ecdf", "bootstrap", "smoothed", "parametric", "gan",
                                   "oracle"}
    assert "## 4." in (out / "answers.md").read_text()
