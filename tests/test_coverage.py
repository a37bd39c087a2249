"""The coverage study (gansim.studies.coverage): its parts run end to end through the study
machinery, and a coverage it reports is the closed form's where one exists."""

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gansim import run_study, summarise
from gansim.inference.intervals import interval_method
from gansim.studies import coverage
from gansim.study.core import Study
from gansim.study.methods import FunctionMethod

RESULTS = Path(__file__).resolve().parents[1] / "results"


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
    warm = pd.read_csv(tmp_path / "warm_vs_scratch.csv")
    assert len(warm) == 2 * 5 and (warm["B"] == 3).all()
    assert np.isfinite(warm["log_width_ratio"]).all()
    assert "## Warm-started against from-scratch" in (tmp_path / "coverage.md").read_text()


def test_bad_arguments():
    with pytest.raises(ValueError, match="`part` must be one of"):
        coverage.build_study("nope")
    with pytest.raises(ValueError, match="`scale`"):
        coverage.build_study("wald", scale=np.nan)


def test_uncomputable_intervals_are_counted_not_dropped():
    # A BCa interval whose estimate lies outside its replicates has NaN bounds: summarise
    # reports how many (ci_nmiss) and the coverage over the others, instead of no coverage.
    tidy = pd.DataFrame({"rep": range(5), "method": "a", "quantity": "mean", "status": "ok",
                         "estimate": 0.0, "se": np.nan, "truth": 0.5,
                         "lower": [-1.0, 0.6, np.nan, -1.0, 0.0],
                         "upper": [1.0, 1.0, np.nan, 1.0, 1.0]})
    s = summarise(tidy).set_index("stat")["est"]
    assert s["ci_nmiss"] == 1 and s["nsim"] == 5
    assert s["cover"] == pytest.approx(3 / 4)
    assert "ci_nmiss" not in set(summarise(tidy.dropna())["stat"])


def test_poc_table_labels_references_and_adds_the_gan_bootstrap(tmp_path):
    from gansim.gan.config import GANConfig
    from gansim.studies import poc

    gan = GANConfig(steps=30)
    main = run_study(poc.poc_study(replications=6, n=30, m=300, gan=gan, block_size=6),
                     seed=3, progress=False)
    boot = run_study(poc.gan_bootstrap_study(replications=4, n=30, m=300, gan=gan),
                     seed=3, progress=False)
    # The companion analyses the poc's own data sets: same seed, condition and rep.
    key = ["rep", "seed", "spawn_key"]
    first = main.tidy.query("method == 'ecdf' and quantity == 'mean'")[key].head(4)
    assert first.reset_index(drop=True).equals(
        boot.tidy.query("method == 'est_wald'")[key].reset_index(drop=True))
    summary = poc.write_outputs(tmp_path, main, n_jobs=1, started="now", boot=boot)
    assert {"ref_cover_known_sigma", "ref_cover_mc"} <= set(summary["stat"])
    assert not {"cover_known_sigma", "cover_mc"} & set(summary["stat"])
    table = (tmp_path / "table.md").read_text()
    assert table.count("| coverage(X̄*), known σ (*reference*) |") == 1
    assert table.count("| coverage(X̄), MC-calibrated (*reference*) |") == 1
    assert "GAN bootstrap percentile: `GANEstimator`, first 4 data sets" in table
    assert (tmp_path / "gan_bootstrap" / "replications.csv.gz").exists()


def test_new_parts_through_the_cli(tmp_path, monkeypatch):
    # Tiny runs of the parts with the recipe as a factor, through the command line, with the
    # committed seed (11) and condition ids: the data sets are the wald part's.
    from gansim import cli
    from gansim.studies.generators import UNTUNED

    monkeypatch.setitem(coverage.GRIDS, "recipes", (("gamma", "t"), (25,), 200))
    monkeypatch.setitem(coverage.GRIDS, "scratch_best", (("lognormal",), (100,), 200))
    monkeypatch.setattr(coverage, "R_GAN", 10)
    small = ["--untuned", "--scale", "0.01", "--steps", "30", "--steps-large", "60",
             "--width-large", "8", "--out", str(tmp_path), "--n-jobs", "1", "--no-progress"]
    for part in ("recipes", "scratch_best"):
        assert cli.main(["coverage", "--part", part, *small]) == 0
    rec = pd.read_csv(tmp_path / "recipes" / "replications.csv.gz")
    assert (rec["status"] == "ok").all() and rec["rep"].nunique() == 2
    assert set(rec["method"]) == {"gan_wald_default", "gan_wald_large", "gan_wald_best",
                                  "boot_bca"}
    # Efron's BCa on the same data sets and resamples: exactly the committed wald part's.
    wald = pd.read_csv(RESULTS / "coverage" / "wald" / "replications.csv.gz")
    key = ["dgp", "n", "rep", "quantity"]
    mine = rec[rec["method"] == "boot_bca"].set_index(key).sort_index()
    theirs = wald[(wald["method"] == "boot_bca")].set_index(key).loc[mine.index]
    for col in ("estimate", "se", "lower", "upper", "truth", "spawn_key"):
        assert mine[col].equals(theirs[col]), col
    # The three recipes are three different GANs fitted to the same data sets.
    est = rec[rec["method"].str.startswith("gan")].pivot_table(
        index=key, columns="method", values="estimate")
    assert (est.nunique(axis=1) == 3).all()
    record = json.loads((tmp_path / "recipes" / "recipes.json").read_text())
    assert record["best_options"] == UNTUNED["best"]["options"]
    assert record["configs"]["large"]["steps"] == 60
    assert record["configs"]["large"]["g_hidden"] == [8, 8]
    assert record["configs"]["best"]["latent"] == "pareto"
    sb = pd.read_csv(tmp_path / "scratch_best" / "replications.csv.gz")
    assert (sb["status"] == "ok").all() and sb["rep"].nunique() == 2
    assert set(sb["method"]) == {f"gan_scratch_{k}_{r}" for k in ("percentile", "basic", "bca")
                                 for r in ("default", "best")}
    # The percentile interval is the replicates' quantiles: the default and the best recipe
    # give different intervals on the same data set.
    pct = sb[sb["method"].str.startswith("gan_scratch_percentile")].pivot_table(
        index=key, columns="method", values="lower")
    assert (pct.nunique(axis=1) == 2).all()
    summary = coverage.write_report(tmp_path)
    assert {"boot_bca_recipes", "gan_wald_best", "gan_scratch_bca_best"} <= set(
        summary["method"])
    assert "boot_bca" not in set(summary["method"])
    diag = pd.read_csv(tmp_path / "recipes_diagnosis.csv")
    assert list(diag["recipe"].unique()) == ["default", "large", "best"]
    assert len(diag) == 3 * 2 * 5


def test_plan_and_the_stated_times():
    p = coverage.plan().set_index("part")
    # recipes: 5 DGPs x 200 at each n; training the default, large (16x) and untuned best
    # recipes (steps x sqrt(n/100)) at 55 GANs/s, plus 0.09 s per replication and recipe.
    ns = np.array(coverage.NS) / 100
    train = 1000 * (ns.sum() * (1 + 16) + (ns ** 1.5).sum()) / 55
    assert p.loc["recipes", "total_s"] == round(train + 5000 * 3 * 0.09)
    # scratch_best: 3 DGPs x 200 data sets x 2 recipes x (1 + 200) GANs at 44 GANs/s, 0.02 s
    # each besides.
    assert p.loc["scratch_best", "total_s"] == round(1200 * 201 / 44 + 1200 * 0.02)
    minutes = [round(t / 60) for t in p["total_s"]]
    assert (f"``recipes`` about {minutes[0]} minutes, ``scratch_best`` about {minutes[1]}"
            in " ".join(coverage.DESCRIPTION.split()))
    with pytest.raises(ValueError, match="needs the best recipe"):
        coverage.build_study("recipes")
