"""The coverage study (gansim.studies.coverage): its parts run end to end through the study
machinery, and a coverage it reports is the closed form's where one exists."""

import math

import numpy as np
import pandas as pd
import pytest

from gansim import run_study, summarise
from gansim.intervals import interval_method
from gansim.methods import FunctionMethod
from gansim.studies import coverage
from gansim.study import Study


def test_t_interval_coverage_through_the_study_is_nominal():
    # Normal data: the t interval is exact, so the study's coverage must be 0.95 within
    # 4 MCSE; the z interval's closed form at n = 6 is 0.9 (negative control below).
    B, n = 800, 6
    study = Study([FunctionMethod(interval_method("t", ["mean"]), stream=None)],
                  dgp="normal", replications=B, n=n, functionals=["mean"], distances=[])
    rows = summarise(run_study(study, seed=5, progress=False).tidy)
    cover = rows[(rows["stat"] == "cover")].iloc[0]
    assert abs(cover["est"] - 0.95) < 4 * math.sqrt(0.95 * 0.05 / B)
    assert cover["mcse"] == pytest.approx(math.sqrt(cover["est"] * (1 - cover["est"]) / B))


def test_parts_run_and_report(tmp_path, monkeypatch):
    monkeypatch.setitem(coverage.GRIDS, "wald", (("gamma",), (30,), 100))
    monkeypatch.setitem(coverage.GRIDS, "check", (("normal",), (30,), 100))
    monkeypatch.setattr(coverage, "R_GAN", 12)
    for part in ("wald", "check"):
        study = coverage.build_study(part, scale=0.03, steps=40)
        result = run_study(study, seed=1, progress=False)
        tidy = result.tidy
        assert (tidy["status"] == "ok").all()
        assert tidy["rep"].nunique() == 3
        coverage.write_part(tmp_path / part, result, n_jobs=1, started="now")
    wald = pd.read_csv(tmp_path / "wald" / "replications.csv.gz")
    assert set(wald["method"]) == {"gan_wald", "t", "boot_percentile", "boot_bca",
                                   "smooth_percentile"}
    # Truths of the gamma(2) come from scipy: mean 2, sd sqrt(2).
    truth = wald.groupby("quantity")["truth"].first()
    assert truth["mean"] == pytest.approx(2.0) and truth["sd"] == pytest.approx(math.sqrt(2))
    summary = coverage.write_report(tmp_path)
    assert {"gan_percentile_warm", "gan_percentile_scratch",
            "gan_percentile_parametric"} <= set(summary["method"])
    assert (tmp_path / "coverage.md").read_text().count("| gamma | 30 | cover |") == 5
    assert (tmp_path / "coverage.png").stat().st_size > 0


def test_bad_arguments():
    with pytest.raises(ValueError, match="`part` must be one of"):
        coverage.build_study("nope")
    with pytest.raises(ValueError, match="`scale`"):
        coverage.build_study("wald", scale=np.nan)
