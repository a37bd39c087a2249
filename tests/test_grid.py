"""The design grid (gansim.study.design) and the estimation measures the rates study relies on:
condition ids, truths, pairing, known values recovered, identical methods equal."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import optimize, stats

from gansim.rng import replication_streams
from gansim.study.core import Study, run_study, study_block
from gansim.study.design import Condition, check_conditions, condition_grid
from gansim.study.dgp import LogNormal, make_dgp
from gansim.study.methods import Bootstrap, EmpiricalCDF, Parametric
from gansim.summary.performance import mse_ratio


def _mixture_quantile(p):
    cdf = lambda x: 0.5 * stats.norm.cdf(x, -2, 0.5) + 0.5 * stats.norm.cdf(x, 2, 0.5)  # noqa: E731
    return optimize.brentq(lambda x: cdf(x) - p, -10, 10, xtol=1e-14)


@pytest.mark.parametrize("name, ref", [
    ("normal", stats.norm()), ("t", stats.t(3)), ("lognormal", stats.lognorm(1.0)),
    ("mixture", None)])
def test_true_values_of_the_registry_dgps_against_scipy(name, ref):
    study = Study([EmpiricalCDF()], design=condition_grid(2, dgp=[name], n=[10]))
    got = study.truths(study.dgp_for(study.conditions[0]))
    if ref is None:  # the mixture: moments by hand, quantiles by root finding
        want = {"mean": 0.0, "sd": np.sqrt(4 + 0.25), "median": 0.0,
                "q10": _mixture_quantile(0.1), "q90": _mixture_quantile(0.9)}
    else:
        want = {"mean": ref.mean(), "sd": ref.std(), "median": ref.median(),
                "q10": ref.ppf(0.1), "q90": ref.ppf(0.9)}
    assert set(got) == set(want)
    for k, v in want.items():
        assert_allclose(got[k], v, rtol=1e-10, atol=1e-12, err_msg=k)


def test_condition_ids_depend_on_factors_not_position():
    a = condition_grid(10, dgp=["normal", "t"], n=[25, 50])
    b = condition_grid(10, dgp=["t"], n=[50, 25, 800])
    ids_a = {c.label: c.id for c in a}
    ids_b = {c.label: c.id for c in b}
    assert ids_a["dgp=t,n=25"] == ids_b["dgp=t,n=25"]
    assert len(set(ids_a.values())) == 4
    # The id the committed results/rates used for dgp=normal, n=25 (results/rates/run.json).
    assert ids_a["dgp=normal,n=25"] == 992427553
    assert Condition((), 5).id == 0
    with pytest.raises(ValueError, match="`replications`"):
        Condition((("n", 5),), 1)
    with pytest.raises(ValueError, match="factor `n`"):
        condition_grid(5, n=[])
    with pytest.raises(TypeError, match="factor `n`"):
        Condition((("n", True),), 5)


def test_condition_grid_order_and_per_condition_replications():
    grid = condition_grid(lambda f: 1000 if f["n"] <= 100 else 400, dgp=["normal", "t"],
                          n=[50, 200])
    assert [(c["dgp"], c["n"], c.replications) for c in grid] == [
        ("normal", 50, 1000), ("normal", 200, 400), ("t", 50, 1000), ("t", 200, 400)]
    with pytest.raises(ValueError, match="distinct"):
        check_conditions([grid[0], grid[0]])
    with pytest.raises(ValueError, match="same factors"):
        check_conditions([grid[0], *condition_grid(5, n=[3])])
    with pytest.raises(TypeError, match="Condition"):
        check_conditions("dgp=normal")


def test_all_methods_see_the_same_data_and_the_ecdf_is_exact():
    study = Study([EmpiricalCDF(), Bootstrap(), Parametric()],
                  design=condition_grid(5, dgp=["lognormal"], n=[30]), m=500, block_size=5)
    cond = study.conditions[0]
    frame = study_block([0, 1, 2], 9, cond, study=study)
    est = frame.set_index(["rep", "method", "quantity"])["estimate"]
    dgp = LogNormal()
    for r in (0, 1, 2):
        x = dgp.sample(30, replication_streams(9, r, cond.id).data_rng())
        assert est[(r, "ecdf", "mean")] == pytest.approx(x.mean(), rel=1e-14)
        assert est[(r, "ecdf", "median")] == pytest.approx(np.median(x), rel=1e-14)
        assert est[(r, "ecdf", "ks")] == stats.kstest(x, dgp.cdf).statistic
        # The parametric plug-in is fitted to the same data: its draws centre on x̄.
        assert abs(est[(r, "parametric", "mean")] - x.mean()) < 5 * x.std() / np.sqrt(500)
    assert (frame["status"] == "ok").all()


def test_ecdf_measures_recover_known_values_within_4_mcse():
    B, n = 400, 25
    study = Study([EmpiricalCDF(), Bootstrap()], design=condition_grid(B, dgp=["normal"],
                                                                       n=[n]),
                  m=1000, block_size=100)
    res = run_study(study, seed=5, progress=False)
    s = res.summary().set_index(["method", "quantity", "stat"])
    bias = s.loc[("ecdf", "mean", "bias")]
    assert abs(bias.est) < 4 * bias.mcse
    empse = s.loc[("ecdf", "mean", "empse")]
    assert abs(empse.est - 1 / np.sqrt(n)) < 4 * empse.mcse
    ks = s.loc[("ecdf", "ks", "mean")]
    assert abs(ks.est - stats.kstwo(n).mean()) < 4 * ks.mcse
    # E[sd] = c4(n) sigma for the ecdf's sd (divisor n - 1).
    c4 = math.sqrt(2 / (n - 1)) * math.exp(math.lgamma(n / 2) - math.lgamma((n - 1) / 2))
    sd_bias = s.loc[("ecdf", "sd", "bias")]
    assert abs(sd_bias.est - (c4 - 1)) < 4 * sd_bias.mcse
    # Paired: the bootstrap's T is the ecdf's plus resampling noise, never more precise.
    cmp = res.summary(ref="ecdf").set_index(["method", "quantity", "stat"])
    assert cmp.loc[("bootstrap", "mean", "relprec")].est < 0
    assert cmp.loc[("bootstrap", "mean", "nsim")].est == B


def test_identical_methods_compare_as_equal():
    study = Study([EmpiricalCDF(), EmpiricalCDF(label="ecdf2")],
                  design=condition_grid(20, dgp=["t"], n=[15]), m=10, block_size=10)
    cmp = run_study(study, seed=2, progress=False).summary(ref="ecdf")
    cmp = cmp[cmp.method == "ecdf2"].set_index(["quantity", "stat"])
    assert cmp.loc[("ks", "less")].est == 0
    assert cmp.loc[("ks", "diff")].est == 0
    assert cmp.loc[("mean", "relprec")].est == pytest.approx(0, abs=1e-9)
    assert cmp.loc[("mean", "mseratio")].est == pytest.approx(1)


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


def test_registry_dgp_of_the_factor_is_the_default_family():
    study = Study([EmpiricalCDF()], design=condition_grid(2, dgp=["t"], n=[10]))
    assert repr(study.dgp_for(study.conditions[0])) == repr(make_dgp("t"))
