"""A study's results saved like the shipped studies', read back exactly; block files that
read as one dataset; the share of collapsed GANs per condition; an overview to print."""

import json

import numpy as np
import pandas as pd
import pyarrow.dataset as ds
import pytest

import gansim as gs
from gansim import GAN, EmpiricalCDF, Functional, GANConfig, StudyResult, run_study

KEYS = ["condition", "rep", "method", "quantity"]


def nan_on_large(x):
    return np.nan if x.max() > 2.2 else float(np.mean(x > 1))


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("study")
    study = gs.Study([EmpiricalCDF(), GAN(GANConfig(steps=15))],
                     dgp={"normal": gs.Normal(), "t": gs.StudentT(5)},
                     design=gs.condition_grid(6, dgp=["normal", "t"], n=[20, 30]), m=200,
                     block_size=3, functionals={"mean": "mean", "p1": Functional(nan_on_large)},
                     distances=["ks"], max_failure_share=1.0)
    return study, run_study(study, seed=1, progress=False, out_dir=out), out


def test_save_and_load_give_back_the_same_results(run, tmp_path):
    _, res, _ = run
    res.save(tmp_path)
    assert {p.name for p in tmp_path.iterdir()} >= {"replications.csv.gz", "summary.csv",
                                                    "conditions.csv", "result.json"}
    back = StudyResult.load(tmp_path)
    pd.testing.assert_frame_equal(back.tidy, res.tidy, check_exact=True)
    pd.testing.assert_frame_equal(back.conditions, res.conditions, check_exact=True)
    pd.testing.assert_frame_equal(back.summary(), res.summary(), check_exact=True)
    summary = pd.read_csv(tmp_path / "summary.csv")
    assert len(summary) == len(res.summary())
    record = json.loads((tmp_path / "result.json").read_text())
    assert record["seed"] == 1 and record["factors"] == ["dgp", "n"]
    assert back.factors == ["dgp", "n"] and back.study is None
    # The tidy file has the factor columns first, as the shipped studies' files.
    head = pd.read_csv(tmp_path / "replications.csv.gz", nrows=1)
    assert list(head.columns[:3]) == ["dgp", "n", "condition"]
    with pytest.raises(FileNotFoundError, match="not a folder written by StudyResult.save"):
        StudyResult.load(tmp_path / "nothing")


def test_the_blocks_folder_reads_as_one_dataset(run):
    _, res, out = run
    table = ds.dataset(out / "blocks", format="parquet").to_table().to_pandas()
    assert len(table) == len(res.tidy)
    assert {"dgp", "n", "condition"} <= set(table.columns)
    a = table.sort_values(KEYS).reset_index(drop=True)
    b = res.tidy.sort_values(KEYS).reset_index(drop=True)
    pd.testing.assert_series_equal(a["estimate"], b["estimate"])
    assert (a["dgp"] == b["dgp"]).all() and (a["n"] == b["n"]).all()
    same = pd.read_parquet(out / "blocks", partitioning=None)
    assert len(same) == len(res.tidy)
    assert not list((out / "blocks").rglob("settings.json"))


def test_a_folder_with_the_former_settings_name_still_resumes(run):
    study, res, out = run
    for f in (out / "blocks").rglob("_settings.json"):
        f.rename(f.with_name("settings.json"))
    again = run_study(study, seed=1, progress=False, out_dir=out)
    assert again.conditions.blocks_computed.sum() == 0
    pd.testing.assert_frame_equal(again.tidy, res.tidy)
    assert not list((out / "blocks").rglob("settings.json"))
    assert len(list((out / "blocks").rglob("_settings.json"))) == 4


def test_conditions_report_the_share_of_collapsed_gans(run):
    _, res, _ = run
    c = res.conditions
    assert "collapsed_gan" in c and "collapsed_ecdf" not in c
    t = res.tidy
    for _, row in c.iterrows():
        flags = t[(t.condition == row.condition) & (t.quantity == "collapsed")
                  & (t.status == "ok")].estimate
        assert row.collapsed_gan == pytest.approx(flags.mean())
        said = "fits" in row.notes and "collapsed (diagnostic collapsed)" in row.notes
        assert said == (row.collapsed_gan > 0.1)
    plain = run_study(gs.Study([EmpiricalCDF()], dgp=gs.Normal(), replications=4, n=10,
                               functionals=["mean"], distances=[]), seed=1, progress=False)
    assert not [k for k in plain.conditions if k.startswith("collapsed")]


def test_print_gives_an_overview(run):
    _, res, _ = run
    text = str(res)
    assert text.startswith("Study 'study': seed 1, 4 conditions (dgp x n), B = 6")
    assert "Methods: ecdf, gan" in text and "Collapsed gan:" in text
    n_failed = int((res.tidy.status == "failed").sum())
    assert n_failed and f"failed {n_failed}" in text
    assert "p1: " in text and "non-finite estimate of 'p1'" in text
    assert repr(res).startswith("<StudyResult\nStudy 'study'")


def test_condition_keys_fit_an_r_integer_and_give_the_same_streams(run):
    from gansim.rng import replication_streams

    study, res, _ = run
    ids = {c.id for c in study.conditions}
    assert max(ids) >= 2**31  # the case that matters: an id R would read as a double
    keys = res.tidy["condition"]
    assert keys.dtype == np.int64 and keys.abs().max() < 2**31
    assert set(keys) == {c.key for c in study.conditions} == set(res.conditions.condition)
    for c in study.conditions:
        a, b = replication_streams(1, 3, c.id), replication_streams(1, 3, c.key)
        assert a.spawn_key == b.spawn_key and a.data.entropy == b.data.entropy
        assert a.data_rng().random() == b.data_rng().random()
    c = next(c for c in study.conditions if c.id >= 2**31)
    rows = res.tidy[(res.tidy.condition == c.key) & (res.tidy.rep == 3)]
    for condition in (c.key, c.id):  # replay takes the key of the rows, or the id
        again = gs.replay(study, seed=1, rep=3, condition=condition)
        pd.testing.assert_series_equal(again.estimate.reset_index(drop=True),
                                       rows.estimate.reset_index(drop=True))
