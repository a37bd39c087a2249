"""The rates_floor study (issue 12): its measurement at two m, the oracle against Kolmogorov's
exact law, and the outputs of a small run."""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from gansim.studies import rates_floor
from gansim.study.core import run_study
from gansim.study.dgp import Gamma, Normal, Uniform


def test_ks_of_the_first_k_draws_matches_scipy():
    x = Gamma().sample(500, np.random.default_rng(3))
    f = rates_floor.KSFirst(Gamma(), 200)
    ref = stats.kstest(x[:200], stats.gamma(2.0).cdf).statistic
    assert abs(f(x) - ref) < 1e-12
    # Fewer points than k: the whole sample.
    assert abs(rates_floor.KSFirst(Gamma(), 10_000)(x) - stats.kstest(x, Gamma().cdf).statistic
               ) < 1e-12


def test_oracle_ks_follows_kolmogorovs_law_at_both_m():
    # The machinery check of the floor: the oracle's KS at m draws has the law kstwo(m) for
    # any continuous F, so its mean over B replications is within 4 MCSE of kstwo(m).mean(),
    # at m and at the first 10,000 draws (here m = 40,000 keeps the test short).
    study = rates_floor.build_study("uniform", ns=[20, 40], scale=0.4, m=40_000, steps_large=20,
                                    width_large=8)
    res = run_study(study, seed=99, progress=False)
    t = res.tidy[(res.tidy.method == "oracle") & (res.tidy.status == "ok")]
    for q, m in (("ks", 40_000), ("ks_m1e4", 10_000)):
        v = t[t.quantity == q].estimate
        mcse = v.std(ddof=1) / np.sqrt(len(v))
        assert abs(v.mean() - stats.kstwo(m).mean()) < 4 * mcse
    # Negative control: the m = 10^4 values are not those of m = 4 x 10^4 (twice the floor).
    ratio = (t[t.quantity == "ks_m1e4"].estimate.mean() / t[t.quantity == "ks"].estimate.mean())
    assert 1.6 < ratio < 2.4
    # For F_n (no draws) both quantities are the exact KS of the n data points.
    e = res.tidy[res.tidy.method == "ecdf"].pivot_table(index=["n", "rep"], columns="quantity",
                                                        values="estimate")
    assert np.array_equal(e["ks"], e["ks_m1e4"])


def test_design_and_methods():
    study = rates_floor.build_study("normal")
    assert [c.replications for c in study.conditions] == [30, 30, 30, 30, 30]
    assert [c["n"] for c in study.conditions] == [50, 100, 200, 400, 800]
    labels = [m.label for m in study.methods]
    assert labels == ["ecdf", "smoothed", "smoothed_cdf", "gan", "gan_large", "oracle"]
    assert study.m == 1_000_000 and tuple(study.distances) == ("ks",)
    big = study.methods[4].config
    assert big.steps == 8000 and big.g_hidden == (32, 32) and big.engine == "fused"
    assert "oracle" not in [m.label for m in rates_floor.build_study("mixture").methods]
    with pytest.raises(ValueError, match="`scale` must be a positive number"):
        rates_floor.build_study("normal", scale=0)


def test_small_run_writes_every_file(tmp_path):
    args = argparse.Namespace(dgps=["uniform"], ns=[20, 30, 40, 60], scale=0.07,
                              m=3000, steps_large=20, width_large=8, seed=5, n_jobs=1,
                              out=str(tmp_path), no_progress=True, overwrite=False,
                              started="2026-01-01T00:00:00Z")
    rates_floor.main(args)
    for f in ("replications.csv.gz", "summary.csv", "paired.csv", "floor.csv",
              "local_slopes.csv", "ks.png", "m.png", "answers.md", "run.json"):
        assert (tmp_path / f).stat().st_size > 0, f
    fl = pd.read_csv(tmp_path / "floor.csv")
    assert set(fl.quantity) == {"ks", "ks_m1e4"} and set(fl.dgp) == {"uniform"}
    text = (tmp_path / "answers.md").read_text()
    assert "Clopper–Pearson" in text and "expected by chance" in text


def test_new_dgps_are_usable_by_the_study():
    for dgp in (Uniform(), Gamma(), Normal()):
        assert rates_floor.KSFirst(dgp, 5)(dgp.ppf(np.array([0.1, 0.3, 0.5, 0.7, 0.9]))) \
            == pytest.approx(0.1)


def test_too_few_sample_sizes_for_the_floor_fit_are_refused_before_any_work(tmp_path, capsys):
    # a + b n^(-c) has three parameters: three sizes leave nothing to test the fit with.
    from gansim.cli import main

    code = main(["rates_floor", "--ns", "50", "100", "200", "--out", str(tmp_path / "rf"),
                 "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and "`--ns` must hold at least 4 distinct sample sizes" in err, err
    assert not (tmp_path / "rf" / "parts").exists()


def test_floor_fits_without_enough_sizes_keeps_its_columns():
    import pandas as pd

    from gansim.summary.convergence import floor_fits

    s = pd.DataFrame({"dgp": "x", "n": [50, 100], "method": "m", "quantity": "ks",
                      "stat": "mean", "est": [0.1, 0.07], "mcse": 1e-3})
    fits = floor_fits(s)
    assert fits.empty and {"dgp", "method", "quantity", "a", "c", "n_min"} <= set(fits.columns)
