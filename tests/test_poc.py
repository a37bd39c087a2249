"""The proof-of-concept study end to end: known quantities recovered within 4 MCSE."""

import json

import numpy as np
import pandas as pd
import pytest
import torch
from scipy import integrate, stats

from gansim.dgp import Normal
from gansim.gan.config import GANConfig
from gansim.poc import PocDesign, poc_block, run_poc, summarise_poc


def _value(summary, estimator, measure, method=""):
    row = summary[(summary.estimator == estimator) & (summary.measure == measure)
                  & (summary.method == method)]
    assert len(row) == 1, (estimator, measure, method)
    return float(row.value.iloc[0]), float(row.mcse.iloc[0])


@pytest.fixture(scope="module")
def small_study():
    """B = 400 at N(5, 2²), n = 50, short training: enough to test the known quantities."""
    design = PocDesign(n=50, m=2000, dgp=Normal(5.0, 2.0), gan=GANConfig(steps=300),
                       block_size=100)
    run = run_poc(replications=400, seed=11, design=design, progress=False)
    return design, run.replications, summarise_poc(run.replications, design)


def test_known_quantities_within_4_mcse(small_study):
    design, frame, summary = small_study
    B, n, mu, sigma = 400, design.n, 5.0, 2.0
    assert (frame.status == "ok").all()
    value, mcse = _value(summary, "xbar", "mean")
    assert abs(value - mu) < 4 * mcse
    value, mcse = _value(summary, "xbar", "var")
    assert abs(value - sigma**2 / n) < 4 * mcse
    for method in ("known", "plugin"):  # both exact 95% intervals for normal data
        value, _ = _value(summary, "xbar", "cover", method)
        assert abs(value - 0.95) < 4 * np.sqrt(0.95 * 0.05 / B)
    # E sup|F_n - F| from Kolmogorov's exact distribution for n = 50
    expected_ks = integrate.quad(stats.kstwo(n).sf, 0, 1)[0]
    value, mcse = _value(summary, "ks", "mean")
    assert abs(value - expected_ks) < 4 * mcse
    assert _value(summary, "truth", "cr_bound")[0] == pytest.approx(sigma**2 / n)


def test_measures_have_power(small_study):
    """Negative control: the same replications judged against a wrong truth are rejected."""
    design, frame, _ = small_study
    wrong = PocDesign(n=design.n, m=design.m, dgp=Normal(5.2, 2.0), gan=design.gan)
    value, mcse = _value(summarise_poc(frame, wrong), "xbar", "bias")
    assert abs(value) > 4 * mcse


def test_intervals_are_the_stated_formulas(small_study):
    design, frame, _ = small_study
    r = frame.iloc[0]
    z, t = stats.norm.ppf(0.975), stats.t.ppf(0.975, df=design.n - 1)
    assert r.xbar_hi_known - r.xbar == pytest.approx(z * 2.0 / np.sqrt(design.n))
    assert r.xbar_hi_plugin - r.xbar == pytest.approx(t * r.sd / np.sqrt(design.n))
    assert r.xbar_star_hi_plugin - r.xbar_star == pytest.approx(
        t * r.sd_star / np.sqrt(design.n))
    assert r.xbar_star_hi_mc - r.xbar_star == pytest.approx(
        z * frame.xbar_star.std(ddof=1))
    assert r.xbar_cover_known == (r.xbar_lo_known <= 5.0 <= r.xbar_hi_known)


def test_ks_columns_are_exact_ks_statistics(small_study):
    _, frame, _ = small_study
    design = PocDesign(n=50, m=2000, dgp=Normal(5.0, 2.0), gan=GANConfig(steps=300))
    from gansim.rng import replication_streams
    x = design.dgp.sample(50, replication_streams(11, 3).data_rng())
    assert frame.ks.iloc[3] == pytest.approx(stats.kstest(x, "norm", args=(5, 2)).statistic,
                                             abs=1e-12)
    assert frame.xbar.iloc[3] == pytest.approx(x.mean(), abs=1e-12)


TINY = PocDesign(n=20, m=200, gan=GANConfig(steps=20), block_size=4)


def test_same_seed_same_results_for_n_jobs_1_and_2():
    one = run_poc(replications=8, seed=3, design=TINY, n_jobs=1, progress=False)
    two = run_poc(replications=8, seed=3, design=TINY, n_jobs=2, progress=False)
    pd.testing.assert_frame_equal(one.replications, two.replications)
    other = run_poc(replications=8, seed=4, design=TINY, progress=False)
    assert not np.allclose(one.replications.xbar_star, other.replications.xbar_star)


class SometimesNaN(Normal):
    """Normal data, but a NaN in the sample whenever its first draw exceeds 1."""

    def sample(self, n, rng):
        x = super().sample(n, rng)
        if x[0] > 1.0:
            x[3] = np.nan
        return x


def test_failed_replication_is_recorded_and_others_unchanged():
    design = PocDesign(n=20, m=200, dgp=SometimesNaN(), gan=GANConfig(steps=20), block_size=8)
    run = run_poc(replications=16, seed=9, design=design, progress=False)
    frame = run.replications
    bad = frame.status == "failed"
    assert 0 < bad.sum() < 16
    assert frame.loc[bad, "error"].str.contains("non-finite data").all()
    assert frame.loc[bad, ["xbar", "xbar_star"]].isna().all().all()
    clean = run_poc(replications=16, seed=9, progress=False,
                    design=PocDesign(n=20, m=200, gan=GANConfig(steps=20), block_size=8))
    cols = ["xbar", "xbar_star", "ks_star", "sd_star"]
    pd.testing.assert_frame_equal(frame.loc[~bad, cols], clean.replications.loc[~bad, cols])
    summary = summarise_poc(frame, design)
    assert _value(summary, "study", "n_failed")[0] == bad.sum()


def test_block_that_raises_is_recorded(monkeypatch):
    import gansim.poc

    def boom(*args, **kwargs):
        raise RuntimeError("out of memory")

    monkeypatch.setattr(gansim.poc, "train_gans", boom)
    run = run_poc(replications=4, seed=1, design=TINY, progress=False)
    assert (run.replications.status == "failed").all()
    assert run.replications.error.str.contains("RuntimeError: out of memory").all()


@pytest.mark.parametrize("kwargs, match", [
    (dict(n=1), "`n`"), (dict(m=0), "`m`"), (dict(block_size=0), "`block_size`"),
    (dict(level=1.5), "`level`"), (dict(device="tpu"), "`device`"),
    (dict(gan={"steps": 10}), "`gan`"),
])
def test_design_rejects_bad_input(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        PocDesign(**kwargs)


@pytest.mark.skipif(torch.cuda.is_available(), reason="a GPU is present")
def test_cuda_without_gpu_is_a_clear_error():
    with pytest.raises(ValueError, match="`device` 'cuda'.*no CUDA GPU"):
        PocDesign(device="cuda")


def test_run_rejects_bad_replications_and_jobs():
    with pytest.raises(ValueError, match="`replications`"):
        run_poc(replications=1, design=TINY)
    with pytest.raises(ValueError, match="`n_jobs`"):
        run_poc(replications=4, design=TINY, n_jobs=0)


def test_block_function_rows_match_reps():
    frame = poc_block([4, 5, 6, 7], 2, TINY)
    assert list(frame.rep) == [4, 5, 6, 7]
    assert list(frame.spawn_key) == ["0:4", "0:5", "0:6", "0:7"]


def test_study_script_writes_every_output(tmp_path, capsys, load_study):
    out = tmp_path / "poc"
    args = ["-B", "8", "--n", "20", "--m", "200", "--steps", "20", "--block-size", "4",
            "--n-jobs", "1", "--no-progress", "--seed", "5", "--out", str(out)]
    assert load_study("poc").main(args) == 0
    for name in ("replications.csv", "summary.csv", "table.md", "mean.png", "ks.png",
                 "run.json"):
        assert (out / name).stat().st_size > 0, name
    reps = pd.read_csv(out / "replications.csv")
    assert len(reps) == 8 and {"rep", "seed", "spawn_key", "status", "error"} <= set(reps)
    summary = pd.read_csv(out / "summary.csv", keep_default_na=False)
    assert list(summary.columns) == ["estimator", "measure", "method", "value", "mcse"]
    table = (out / "table.md").read_text()
    for lecture_number in ("0.0053", "0.0043", "0.0124", "0.0104", "0.9509", "0.9508"):
        assert lecture_number in table
    record = json.loads((out / "run.json").read_text())
    assert record["seed"] == 5 and record["replications"] == 8
    assert record["settings"]["gan"]["steps"] == 20 and record["versions"]["torch"]
    assert record["wall_time_s"] >= 0
    assert "tmp" not in " ".join(p.name for p in out.iterdir())


@pytest.mark.parametrize("bad, match", [
    (["--n", "1"], "`n`"), (["--m", "0"], "`m`"), (["-B", "0"], "`replications`"),
    (["--steps", "0"], "`steps`"), (["--device", "tpu"], "`device`"),
    (["--sigma", "-1"], "sd"), (["--n-jobs", "0"], "`n_jobs`"),
])
def test_study_script_rejects_bad_arguments_before_writing(tmp_path, capsys, load_study, bad,
                                                           match):
    out = tmp_path / "poc"
    assert load_study("poc").main(["--no-progress", "--out", str(out), *bad]) == 2
    assert match in capsys.readouterr().err
    assert not out.exists()
