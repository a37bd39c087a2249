"""The losses and recipe studies on the Study stack (gansim/studies/losses.py, recipe.py).

The reproduction tests rerun the first 40 replications (seed 2020, the full 2,000-step
recipe, n_jobs=1) of the cheapest variants and compare every per-replication number with the
committed results/losses and results/recipe (B = 100, blocks of 100).  A replication's
numbers depend on its seeds only, not on the block it is computed in, so these 40 must agree
with the committed ones to the last bit, up to the CSV's rounding, which we reproduce by
writing ours through to_csv/read_csv exactly as the committed file was written.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gansim.cli import main as cli_main
from gansim.gan.config import GANConfig
from gansim.studies import losses, recipe
from gansim.study.core import run_study
from gansim.study.dgp import Normal
from gansim.summary.simsum import summarise

RESULTS = Path(__file__).resolve().parents[1] / "results"
def _through_csv(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame as the committed file holds it: written with to_csv, read with read_csv."""
    return pd.read_csv(io.StringIO(frame.to_csv(index=False)))


@pytest.fixture(scope="module")
def losses_committed() -> pd.DataFrame:
    return pd.read_csv(RESULTS / "losses" / "replications.csv.gz")


@pytest.fixture(scope="module")
def recipe_committed() -> pd.DataFrame:
    return pd.read_csv(RESULTS / "recipe" / "replications.csv.gz")


def _assert_tidy_same(ours: pd.DataFrame, committed: pd.DataFrame, what: str) -> None:
    """Our tidy rows equal the committed ones bit for bit (after the CSV round trip)."""
    keys = ["rep", "method", "quantity"]
    both = _through_csv(ours).merge(committed, on=keys, suffixes=("", "_c"),
                                    validate="one_to_one")
    assert len(both) == len(ours), what
    assert (both["status"] == "ok").all() and (both["status_c"] == "ok").all(), what
    for col in ("estimate", "se", "lower", "upper", "truth"):
        np.testing.assert_array_equal(both[col].to_numpy(), both[f"{col}_c"].to_numpy(),
                                      err_msg=f"{what}: {col}")


def test_losses_reproduces_committed_replications(losses_committed):
    """Non-saturating and minimax (the cheapest games, k = 1): the first 40 replications of
    results/losses, bit for bit, from one study with both as methods.  A GAN drawing from its
    own stream (the Study default), another condition id or another block composition would
    change X̄*, KS* and the diagnostics; any slip in the data stream would change X̄."""
    variants = ["nonsaturating", "minimax"]
    study = losses.losses_study(variants, replications=40)
    res = run_study(study, seed=2020, n_jobs=1, progress=False)
    assert set(res.tidy["condition"]) == {0}
    committed = losses_committed[losses_committed["method"].isin(["ecdf", *variants])
                                 & (losses_committed["rep"] < 40)]
    _assert_tidy_same(res.tidy, committed, "losses")
    # The two games differ (the comparison above is not vacuous).
    a, b = (losses.legacy_replications(res.tidy, v)["xbar_star"] for v in variants)
    assert not np.array_equal(a, b)


@pytest.mark.parametrize("dgp", list(recipe.DGPS))
def test_recipe_reproduces_committed_replications(dgp, recipe_committed):
    """The standardised recipe at each DGP: the first 40 replications of results/recipe (the
    study's tidy rows), bit for bit.  One study per DGP, each condition 0."""
    results = recipe.run_recipes(["standardize"], seed=2020, dgps=[dgp], replications=40,
                                 progress=False)
    ours = _through_csv(results[dgp].tidy)
    committed = recipe_committed[(recipe_committed["dgp"] == dgp)
                                 & recipe_committed["method"].isin(["ecdf", "standardize"])
                                 & (recipe_committed["rep"] < 40)]
    keys = ["rep", "method", "quantity"]
    both = ours.merge(committed, on=keys, suffixes=("", "_c"), validate="one_to_one")
    assert len(both) == len(ours) == 40 * (3 + 3 + 5)
    assert (both["status"] == "ok").all() and (both["status_c"] == "ok").all()
    for col in ("estimate", "se", "lower", "upper", "truth"):
        np.testing.assert_array_equal(both[col].to_numpy(), both[f"{col}_c"].to_numpy(),
                                      err_msg=col)
    # The data of N(5, 2²) are those of N(0, 1) mapped by 5 + 2x (same data stream).
    if dgp == "N(5,2²)":
        base = recipe_committed[(recipe_committed["dgp"] == "N(0,1)")
                                & (recipe_committed["method"] == "ecdf")
                                & (recipe_committed["quantity"] == "mean")
                                & (recipe_committed["rep"] < 40)]
        mine = both[(both["method"] == "ecdf") & (both["quantity"] == "mean")]
        np.testing.assert_allclose(mine["estimate"], 5 + 2 * base["estimate"].to_numpy(),
                                   rtol=1e-6)


def test_committed_recipe_default_is_the_losses_nonsaturating_run(losses_committed,
                                                                   recipe_committed):
    """The committed files agree with each other where they must: recipe "default" at N(0, 1)
    is the losses study's "nonsaturating" variant (same recipe on raw data, seed and data),
    so one reproduction check covers both."""
    assert recipe.gan_config("default") == losses.gan_config("nonsaturating")
    a = losses.legacy_replications(losses_committed, "nonsaturating").head(400)
    b = losses.legacy_replications(recipe_committed[recipe_committed["dgp"] == "N(0,1)"],
                                   "default")
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))


def test_new_summary_gives_the_committed_tables(losses_committed, recipe_committed):
    """summarise(..., ref="ecdf") + measures + markdown on the committed tidy rows give the
    committed table.md rows exactly: the tables are a function of the replications alone."""
    table = (RESULTS / "recipe" / "table.md").read_text()
    for dgp, tidy in recipe_committed.groupby("dgp", sort=False):
        summary = summarise(tidy, ref="ecdf")
        rows = {recipe.TITLES[r]: losses.measures(summary, tidy, r, config=recipe.gan_config(r),
                                                  dgp=recipe.DGPS[dgp], n=100)
                for r in recipe.RECIPES}
        assert f"## {dgp}\n\n" + losses.markdown(rows, recipe.COLUMNS, "recipe") + "\n" in table
    table = (RESULTS / "losses" / "table.md").read_text()
    summary = summarise(losses_committed, ref="ecdf")
    rows = {v: losses.measures(summary, losses_committed, v, config=losses.gan_config(v),
                               dgp=Normal(), n=100) for v in losses.VARIANTS}
    assert losses.markdown(rows, losses.DIAGNOSTICS) in table
    assert losses.markdown(rows, losses.ESTIMATION) in table


def _tidy(gan_means, ecdf_means, *, ks_gan, ks_ecdf, collapsed):
    """A hand-made tidy frame: ecdf and one GAN method "g", quantities mean, sd, ks."""
    B = len(gan_means)
    rows = []
    for r in range(B):
        for method, mean, ks in (("ecdf", ecdf_means[r], ks_ecdf[r]),
                                 ("g", gan_means[r], ks_gan[r])):
            for q, v in (("mean", mean), ("sd", 1.0 + 0.01 * r), ("ks", ks)):
                rows.append((r, method, q, v, 0.0 if q == "mean" else np.nan))
            if method == "g":
                rows += [(r, "g", "d_real", 0.5, np.nan), (r, "g", "value", -1.38, np.nan),
                         (r, "g", "collapsed", float(collapsed[r]), np.nan)]
    tidy = pd.DataFrame(rows, columns=["rep", "method", "quantity", "estimate", "truth"])
    tidy["truth"] = tidy["truth"].where(tidy["quantity"] == "mean")
    return tidy.assign(condition=0, status="ok", error="")


def test_measures_read_the_new_summary():
    """Every column of table.md comes from the right (method, quantity, stat)."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=50)
    xs = x + rng.normal(scale=0.5, size=50)
    ks, ks_star = rng.uniform(0.05, 0.1, 50), rng.uniform(0.05, 0.1, 50)
    collapsed = np.zeros(50)
    collapsed[:5] = 1
    tidy = _tidy(xs, x, ks_gan=ks_star, ks_ecdf=ks, collapsed=collapsed)
    summary = summarise(tidy, ref="ecdf")
    cfg = GANConfig(loss="least-squares")
    row = losses.measures(summary, tidy, "g", config=cfg, dgp=Normal(0.0, 2.0), n=100)
    assert row["var_xbar_star"][0] == pytest.approx(np.var(xs, ddof=1))
    assert row["var_xbar"][0] == pytest.approx(np.var(x, ddof=1))
    assert row["var_ratio"][0] == pytest.approx(np.var(xs, ddof=1) / np.var(x, ddof=1))
    assert row["relprec_pct"][0] == pytest.approx(100 * (np.var(x, ddof=1)
                                                         / np.var(xs, ddof=1) - 1))
    assert row["bias_xbar_star"][0] == pytest.approx(xs.mean())
    assert row["mse_over_cr"][0] == pytest.approx(np.mean(xs**2) / (4 / 100))
    assert row["sd_star_over_sigma"][0] == pytest.approx(np.mean(1 + 0.01 * np.arange(50)) / 2)
    assert row["ks_star"][0] == pytest.approx(ks_star.mean())
    assert row["ks"][0] == pytest.approx(ks.mean())
    assert row["p_ks_star_lt_ks"][0] == pytest.approx(np.mean(ks_star < ks))
    assert row["d_real"][0] == pytest.approx(0.5) and row["value"][0] == pytest.approx(-1.38)
    assert row["value_eq"] == (-0.25, 0.0)  # least squares' value at equilibrium
    assert row["collapsed"][0] == pytest.approx(0.1)
    assert np.isnan(row["jsd_star"][0])  # not in the frame: "–" in the table
    assert (row["B_ok"], row["failed"]) == (50, 0)


def test_legacy_replications_marks_a_failed_replication():
    """A GAN row not ok makes the whole replication failed and missing, as before."""
    tidy = _tidy(np.zeros(3), np.ones(3), ks_gan=np.full(3, 0.1), ks_ecdf=np.full(3, 0.2),
                 collapsed=[0, 1, 0])
    bad = (tidy["rep"] == 1) & (tidy["method"] == "g")
    tidy.loc[bad, ["status", "error"]] = ["failed", "non-finite draws (training diverged)"]
    tidy.loc[bad, "estimate"] = np.nan
    frame = losses.legacy_replications(tidy, "g")
    assert frame.columns.tolist() == losses.KEEP
    assert frame["status"].tolist() == ["ok", "failed", "ok"]
    assert frame.loc[1, "error"] == "non-finite draws (training diverged)"
    assert frame.loc[1, ["xbar", "xbar_star", "d_real"]].isna().all()
    assert frame["xbar"].tolist()[::2] == [1.0, 1.0]
    assert frame["collapsed"].tolist()[::2] == [False, False] and frame["collapsed"].isna()[1]


def test_losses_cli_writes_its_outputs(tmp_path):
    """python -m gansim losses end to end on a tiny run: every file, the tidy rows, the table
    columns of the previous code and one row per variant, settings in run.json."""
    out = tmp_path / "losses"
    code = cli_main(["losses", "-B", "4", "--steps", "5", "--m", "300", "--n-jobs", "1",
                     "--no-progress", "--out", str(out),
                     "--variants", "nonsaturating", "wasserstein-gp1-k5"])
    assert code == 0
    for name in ("table.md", "summary.csv", "replications.csv.gz", "ks.png", "curves.png",
                 "run.json"):
        assert (out / name).stat().st_size > 0, name
    tidy = pd.read_csv(out / "replications.csv.gz")
    assert set(tidy["method"]) == {"ecdf", "nonsaturating", "wasserstein-gp1-k5"}
    assert len(tidy[tidy["method"] == "ecdf"]) == 4 * 3  # mean, sd, ks
    assert len(tidy[tidy["method"] == "nonsaturating"]) == 4 * 8  # + 5 diagnostics
    summary = pd.read_csv(out / "summary.csv")
    assert summary.columns.tolist() == ["method", "quantity", "stat", "est", "mcse"]
    assert "varratio" in set(summary["stat"])
    table = (out / "table.md").read_text()
    for header in [*losses.ESTIMATION.values(), *losses.DIAGNOSTICS.values()]:
        assert header in table, header
    assert table.count("| wasserstein-gp1-k5 |") == 2
    run = json.loads((out / "run.json").read_text())
    assert run["seed"] == 2020 and run["engine"] == "torch"
    labels = [m["label"] for m in run["settings"]["methods"]]
    assert labels == ["ecdf", "nonsaturating", "wasserstein-gp1-k5"]


def test_recipe_cli_writes_its_outputs(tmp_path):
    """python -m gansim recipe end to end on a tiny run, with the dgp column throughout."""
    out = tmp_path / "recipe"
    code = cli_main(["recipe", "-B", "3", "--steps", "5", "--m", "300", "--n-jobs", "1",
                     "--no-progress", "--out", str(out), "--recipes", "default", "std-r1-1"])
    assert code == 0
    tidy = pd.read_csv(out / "replications.csv.gz")
    assert tidy.columns[0] == "dgp" and set(tidy["dgp"]) == set(recipe.DGPS)
    summary = pd.read_csv(out / "summary.csv")
    assert summary.columns.tolist() == ["dgp", "method", "quantity", "stat", "est", "mcse"]
    table = (out / "table.md").read_text()
    assert table.count("| std, R1 γ = 1 |") == 2 and "## N(5,2²)" in table
    for header in recipe.COLUMNS.values():
        assert header in table, header
    # Each DGP resumes from its own blocks: a rerun computes nothing.
    assert sorted(p.name for p in (out / "blocks").iterdir()) == ["normal-0-1", "normal-5-2"]
    assert cli_main(["recipe", "-B", "3", "--steps", "5", "--m", "300", "--n-jobs", "1",
                     "--no-progress", "--out", str(out), "--recipes", "default",
                     "std-r1-1"]) == 0
    run = json.loads((out / "run.json").read_text())
    assert all(b["blocks_computed"] == 0 for b in run["blocks"].values())


def test_bad_options_exit_with_code_2(capsys):
    for argv in (["losses", "--variants", "nope"], ["recipe", "-B", "1"],
                 ["losses", "--steps", "0"]):
        with pytest.raises(SystemExit) as exc:
            cli_main(argv)
        assert exc.value.code == 2, argv
    assert "invalid choice" in capsys.readouterr().err
