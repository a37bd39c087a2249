"""The study API end to end: known quantities within 4 MCSE, user pieces, failures, resume."""

import json

import numpy as np
import pandas as pd
import pytest
import scipy.stats as st
import torch
from scipy import integrate

import gansim
from gansim import (
    GAN,
    Bootstrap,
    EmpiricalCDF,
    Estimate,
    Functional,
    GANConfig,
    Normal,
    Parametric,
    Study,
    StudyError,
    condition_grid,
    replay,
    run_study,
)
from gansim.rng import replication_streams
from gansim.studies.poc import poc_study, references


def _get(summary, method, quantity, stat):
    row = summary[(summary.method == method) & (summary.quantity == quantity)
                  & (summary.stat == stat)]
    assert len(row) == 1, (method, quantity, stat)
    return float(row.est.iloc[0]), float(row.mcse.iloc[0])


@pytest.fixture(scope="module")
def normal_study():
    """B = 400 at N(5, 2²), n = 50, short training: enough to test the known quantities."""
    study = poc_study(replications=400, n=50, m=2000, dgp=Normal(5.0, 2.0),
                      gan=GANConfig(steps=300))
    res = run_study(study, seed=11, progress=False)
    return res, res.summary(ref="ecdf")


def test_known_quantities_within_4_mcse(normal_study):
    res, summary = normal_study
    B, n, mu, sigma = 400, 50, 5.0, 2.0
    assert (res.tidy.status == "ok").all()
    value, mcse = _get(summary, "ecdf", "mean", "mean")
    assert abs(value - mu) < 4 * mcse
    value, mcse = _get(summary, "ecdf", "mean", "var")
    assert abs(value - sigma**2 / n) < 4 * mcse
    # The plug-in t interval of X̄ is exact for normal data.
    value, _ = _get(summary, "ecdf", "mean", "cover")
    assert abs(value - 0.95) < 4 * np.sqrt(0.95 * 0.05 / B)
    # Its model SE: E s² = σ², so root mean se² estimates σ/√n.
    value, mcse = _get(summary, "ecdf", "mean", "modse")
    assert abs(value - sigma / np.sqrt(n)) < 4 * mcse
    # E sup|F_n - F| from Kolmogorov's exact distribution for n = 50.
    expected_ks = integrate.quad(st.kstwo(n).sf, 0, 1)[0]
    value, mcse = _get(summary, "ecdf", "ks", "mean")
    assert abs(value - expected_ks) < 4 * mcse
    refs = references(res.tidy, sigma=sigma, mu=mu, n=n)
    value, _ = _get(refs, "ecdf", "mean", "ref_cover_known_sigma")
    assert abs(value - 0.95) < 4 * np.sqrt(0.95 * 0.05 / B)
    assert _get(refs, "truth", "mean", "cr_bound")[0] == pytest.approx(sigma**2 / n)


def test_measures_have_power(normal_study):
    """Negative control: the same replications judged against a wrong truth are rejected."""
    res, _ = normal_study
    wrong = res.tidy.assign(truth=np.where(res.tidy.quantity == "mean", 5.2, res.tidy.truth))
    value, mcse = _get(gansim.summarise(wrong), "ecdf", "mean", "bias")
    assert abs(value) > 4 * mcse


def test_rows_are_the_stated_formulas(normal_study):
    res, _ = normal_study
    t = res.tidy
    x = Normal(5.0, 2.0).sample(50, replication_streams(11, 3).data_rng())
    row = t[(t.rep == 3) & (t.method == "ecdf")].set_index("quantity")
    assert row.loc["mean", "estimate"] == pytest.approx(x.mean(), abs=1e-12)
    assert row.loc["sd", "estimate"] == pytest.approx(x.std(ddof=1), abs=1e-12)
    assert row.loc["ks", "estimate"] == pytest.approx(
        st.kstest(x, "norm", args=(5, 2)).statistic, abs=1e-12)
    tq = st.t.ppf(0.975, df=49)
    assert row.loc["mean", "upper"] - row.loc["mean", "estimate"] == pytest.approx(
        tq * x.std(ddof=1) / np.sqrt(50))
    assert row.loc["mean", "truth"] == 5.0 and row.loc["sd", "truth"] == 2.0
    gan = t[(t.rep == 3) & (t.method == "gan")].set_index("quantity")
    # The GAN's interval: its draws' sd over the data's √n, t with n - 1 df.
    assert gan.loc["mean", "upper"] - gan.loc["mean", "estimate"] == pytest.approx(
        tq * gan.loc["sd", "estimate"] / np.sqrt(50))
    assert set(gan.index) >= {"d_real", "d_fake", "value", "jsd_star", "collapsed"}


def test_gamma_scipy_dgp_user_functional_and_function_method():
    """A frozen scipy.stats DGP, a user functional with a truth and a plain-function method
    work through the same entry point; W1 is skipped for Gamma with a note, not a failure."""
    tail = Functional(lambda x: float(np.mean(x > 5)), truth=lambda d: d.sf(5))

    def trimmed(x, rng):
        # Mean of the central 80%, with a bootstrap SE and a Wald interval.
        t = st.trim_mean(x, 0.1)
        boot = [st.trim_mean(rng.choice(x, x.size), 0.1) for _ in range(50)]
        se = float(np.std(boot, ddof=1))
        return {"trimmed": Estimate(t, se=se, lower=t - 1.96 * se, upper=t + 1.96 * se)}

    study = Study([EmpiricalCDF(), Bootstrap(), trimmed], dgp=st.gamma(2),
                  design=condition_grid(30, n=[20, 80]), m=500,
                  functionals={"mean": "mean", "p5": tail}, block_size=10)
    res = run_study(study, seed=5, progress=False)
    t = res.tidy
    assert (t.status == "ok").all()
    assert set(t.quantity) == {"mean", "p5", "ks", "cvm", "trimmed"}
    assert "w1 skipped" in res.conditions.notes.iloc[0]
    p5 = t[t.quantity == "p5"]
    assert np.allclose(p5.truth, st.gamma(2).sf(5))
    # The ecdf's estimates are the data's, regenerated independently.
    n20 = [c for c in study.conditions if c["n"] == 20][0]
    x = st.gamma(2).rvs(size=20, random_state=replication_streams(5, 7, n20.id).data_rng())
    row = t[(t.n == 20) & (t.rep == 7) & (t.method == "ecdf")].set_index("quantity")
    assert row.loc["mean", "estimate"] == pytest.approx(x.mean(), abs=1e-12)
    assert row.loc["p5", "estimate"] == pytest.approx(np.mean(x > 5), abs=1e-12)
    assert row.loc["ks", "estimate"] == pytest.approx(st.kstest(x, st.gamma(2).cdf).statistic,
                                                      abs=1e-12)
    summary = res.summary(ref="ecdf")
    # The trimmed mean's truth is unknown to the study: SE and width, no bias or coverage.
    stats_ = set(summary[summary.method == "trimmed"].stat)
    assert {"width", "modse"} <= stats_ and not {"cover", "bias"} & stats_


def test_dgp_by_registry_name_and_mapping():
    by_name = Study(["ecdf"], design=condition_grid(4, dgp=["normal", "t"], n=[10]),
                    functionals=["mean"], distances=["ks"])
    by_map = Study(["ecdf"], dgp={"normal": Normal(), "t": gansim.StudentT()},
                   design=condition_grid(4, dgp=["normal", "t"], n=[10]),
                   functionals=["mean"], distances=["ks"])
    a = run_study(by_name, seed=2, progress=False).tidy
    b = run_study(by_map, seed=2, progress=False).tidy
    pd.testing.assert_frame_equal(a, b)


TINY = dict(replications=8, n=20, m=200, gan=GANConfig(steps=20), block_size=4)


def test_same_seed_same_results_for_n_jobs_1_and_2():
    study = poc_study(**TINY)
    one = run_study(study, seed=3, n_jobs=1, progress=False).tidy
    two = run_study(study, seed=3, n_jobs=2, progress=False).tidy
    pd.testing.assert_frame_equal(one, two)
    other = run_study(study, seed=4, progress=False).tidy
    assert not np.allclose(one.estimate, other.estimate)


class SometimesNaN(Normal):
    """Normal data, but a NaN in the sample whenever its first draw exceeds 1."""

    def sample(self, n, rng):
        x = super().sample(n, rng)
        if x[0] > 1.0:
            x[3] = np.nan
        return x


def test_bad_data_are_errors_and_other_replications_unchanged():
    study = poc_study(replications=16, n=20, m=200, gan=GANConfig(steps=20), block_size=8,
                      dgp=SometimesNaN())
    # max_failure_share=1 is no loophole: a study stops when all fail, not when some do.
    study = Study(**{**{f: getattr(study, f) for f in ("methods", "dgp", "replications", "n",
                                                       "m", "functionals", "distances",
                                                       "block_size")},
                     "max_failure_share": 1.0})
    res = run_study(study, seed=9, progress=False)
    t = res.tidy
    bad = t.status != "ok"
    assert 0 < t.loc[bad, "rep"].nunique() < 16
    assert (t.loc[bad, "status"] == "error").all()
    assert t.loc[bad, "error"].str.contains("non-finite values").all()
    assert t.loc[bad, "estimate"].isna().all()
    clean = run_study(poc_study(replications=16, n=20, m=200, gan=GANConfig(steps=20),
                                block_size=8), seed=9, progress=False).tidy
    pd.testing.assert_series_equal(t.loc[~bad, "estimate"], clean.loc[~bad, "estimate"])
    assert res.conditions.n_error.iloc[0] == t.loc[bad, "rep"].nunique()


def test_failure_share_stops_the_study_with_a_replay_hint():
    def broken(x, rng):
        raise ZeroDivisionError("my bug")

    study = Study([EmpiricalCDF(), broken], dgp=st.norm(), replications=6, n=10,
                  functionals=["mean"], distances=[])
    with pytest.raises(StudyError, match=r"6 of 6 .*ZeroDivisionError: my bug.*replay") as info:
        run_study(study, seed=1, progress=False)
    assert len(info.value.result.failures()) == 6
    with pytest.raises(ZeroDivisionError, match="my bug"):
        replay(study, seed=1, rep=2)


def test_warnings_are_kept_per_replication():
    def noisy(x, rng):
        import warnings
        if x[0] > 0:
            warnings.warn("first point positive", UserWarning, stacklevel=1)
        return {"first": float(x[0])}

    study = Study([noisy], dgp=st.norm(), replications=20, n=5, distances=[])
    res = run_study(study, seed=3, progress=False)
    t = res.tidy
    warned = t.warnings.str.contains("UserWarning: first point positive")
    assert (warned == (t.estimate > 0)).all() and warned.any()
    assert res.conditions.n_warned.iloc[0] == warned.sum()


def test_block_that_raises_is_recorded_and_recomputed_on_resume(monkeypatch, tmp_path):
    import gansim.study.methods

    study = poc_study(**TINY)
    full = run_study(study, seed=1, progress=False).tidy
    real = gansim.study.methods.train_gans

    def boom(*args, **kwargs):
        raise MemoryError("out of memory")

    monkeypatch.setattr(gansim.study.methods, "train_gans", boom)
    with pytest.raises(StudyError, match="MemoryError: out of memory"):
        run_study(study, seed=1, progress=False, out_dir=tmp_path)
    monkeypatch.setattr(gansim.study.methods, "train_gans", real)
    # The documented recovery, the same command again, recomputes the errored blocks.
    res = run_study(study, seed=1, progress=False, out_dir=tmp_path)
    assert res.conditions.blocks_computed.iloc[0] == 2
    pd.testing.assert_frame_equal(res.tidy, full)


def test_interrupted_study_resumes_to_identical_results(tmp_path, monkeypatch):
    import gansim.study.core

    study = poc_study(replications=12, n=20, m=200, gan=GANConfig(steps=20), block_size=4)
    full = run_study(study, seed=6, progress=False).tidy
    calls = {"n": 0}
    real = gansim.study.core.study_block

    def interrupted(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt  # as Ctrl-C during the second block
        return real(*args, **kwargs)

    monkeypatch.setattr(gansim.study.core, "study_block", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_study(study, seed=6, progress=False, out_dir=tmp_path)
    monkeypatch.undo()
    res = run_study(study, seed=6, progress=False, out_dir=tmp_path)
    assert tuple(res.conditions[["blocks_resumed", "blocks_computed"]].iloc[0]) == (1, 2)
    pd.testing.assert_frame_equal(res.tidy, full)
    # More replications reuse every finished block.
    more = poc_study(replications=16, n=20, m=200, gan=GANConfig(steps=20), block_size=4)
    res = run_study(more, seed=6, progress=False, out_dir=tmp_path)
    assert tuple(res.conditions[["blocks_resumed", "blocks_computed"]].iloc[0]) == (3, 1)
    pd.testing.assert_frame_equal(res.tidy[res.tidy.rep < 12].reset_index(drop=True), full)


def test_resume_refuses_other_settings_and_a_swapped_block(tmp_path):
    study = poc_study(**TINY)
    run_study(study, seed=1, progress=False, out_dir=tmp_path)
    with pytest.raises(ValueError, match="outputs of another run.*differing: settings"):
        run_study(poc_study(**{**TINY, "gan": GANConfig(steps=21)}), seed=1, progress=False,
                  out_dir=tmp_path)
    with pytest.raises(ValueError, match="differing: seed"):
        run_study(study, seed=2, progress=False, out_dir=tmp_path)
    # Without the record of the outputs, the blocks' own settings still refuse.
    (tmp_path / "study.json").unlink()
    with pytest.raises(ValueError, match="blocks made with other settings.*differing: methods"):
        run_study(poc_study(**{**TINY, "gan": GANConfig(steps=21)}), seed=1, progress=False,
                  out_dir=tmp_path)
    settings = json.loads((tmp_path / "blocks" / "_settings.json").read_text())
    assert settings["condition_id"] == 0 and settings["seed"] == 1
    # A block file replaced by a copy of another is recomputed, not resumed.
    blocks = sorted((tmp_path / "blocks").glob("block-*.parquet"))
    blocks[1].write_bytes(blocks[0].read_bytes())
    res = run_study(study, seed=1, progress=False, out_dir=tmp_path)
    assert res.conditions.blocks_computed.iloc[0] == 1
    assert sorted(res.tidy.rep.unique()) == list(range(8))


@pytest.mark.parametrize("kwargs, match", [
    (dict(methods=[]), "`methods`"),
    (dict(methods=[EmpiricalCDF(), EmpiricalCDF()]), "distinct labels"),
    (dict(methods=[3]), "`methods`"),
    (dict(replications=1), "`replications`"),
    (dict(replications=None), "`replications`"),
    (dict(n=1), "`n`"), (dict(n=None), "`n`"), (dict(m=1), "`m`"),
    (dict(block_size=0), "`block_size`"), (dict(device="tpu"), "`device`"),
    (dict(dgp=3.0), "`dgp`"), (dict(functionals=["median2"]), "`functionals`"),
    (dict(functionals="mean"), "`functionals`"), (dict(distances=["l2"]), "`distances`"),
    (dict(max_failure_share=1.5), "`max_failure_share`"),
    (dict(design=condition_grid(4, n=[10])), "`replications` must be left out"),
    (dict(generate=5), "`generate`"),
])
def test_study_rejects_bad_input(kwargs, match):
    base = dict(methods=[EmpiricalCDF()], dgp=st.norm(), replications=4, n=10)
    with pytest.raises((ValueError, TypeError), match=match):
        Study(**{**base, **kwargs})


@pytest.mark.skipif(torch.cuda.is_available(), reason="a GPU is present")
def test_cuda_without_gpu_is_a_clear_error():
    with pytest.raises(ValueError, match="`device` 'cuda'.*no CUDA GPU"):
        Study([EmpiricalCDF()], dgp=st.norm(), replications=4, n=10, device="cuda")


@pytest.mark.parametrize("kwargs, match", [(dict(seed=-1), "`seed`"), (dict(seed="1"), "`seed`"),
                                           (dict(seed=1, n_jobs=0), "`n_jobs`")])
def test_run_rejects_bad_seed_and_jobs(kwargs, match):
    study = Study([EmpiricalCDF()], dgp=st.norm(), replications=4, n=10)
    with pytest.raises(ValueError, match=match):
        run_study(study, progress=False, **kwargs)


def test_generate_function_and_parametric_negative_control():
    """A user generate step; and the parametric plug-in, right for normal data, shows a
    bias in the median under a skewed truth, beyond 4 MCSE (a negative control)."""
    def generate(cond, rng):
        return rng.exponential(size=cond["n"])

    study = Study([Parametric()], dgp=st.expon(), generate=generate, replications=200, n=50,
                  m=2000, functionals=["median"], distances=[])
    value, mcse = _get(run_study(study, seed=8, progress=False).summary(), "parametric", "median",
                       "bias")
    assert abs(value) > 4 * mcse


def test_gan_method_same_estimates_alone_or_with_others():
    """Adding a method changes no other method's numbers (each has its own streams)."""
    base = dict(dgp=Normal(), replications=4, n=20, m=200, functionals=["mean"],
                distances=["ks"], block_size=4)
    alone = run_study(Study([GAN(GANConfig(steps=20))], **base), seed=2, progress=False).tidy
    both = run_study(Study([Bootstrap(), GAN(GANConfig(steps=20))], **base), seed=2,
                     progress=False).tidy
    pd.testing.assert_frame_equal(alone, both[both.method == "gan"].reset_index(drop=True))


def _first(x, rng):
    return {"first": float(x[0])}


def _second(x, rng):
    return {"first": float(x[1])}


def test_resume_refuses_a_changed_user_function(tmp_path):
    """A user function is recorded with a hash of its source: resuming after it changed
    would mix results of two functions, so it is refused."""
    base = dict(dgp=st.norm(), replications=4, n=5, distances=[])
    run_study(Study([FunctionMethodFor(_first)], **base), seed=1, progress=False,
              out_dir=tmp_path)
    with pytest.raises(ValueError, match="differing: settings"):
        run_study(Study([FunctionMethodFor(_second)], **base), seed=1, progress=False,
                  out_dir=tmp_path)


def FunctionMethodFor(fn):
    """The same label for two different functions."""
    return gansim.FunctionMethod(fn, label="user")


def test_a_quick_look_cannot_replace_a_larger_run(tmp_path):
    """Regression (issue 13): `-B 200 --steps 500` into the default --out replaced the
    committed B = 10,000 files.  Fewer replications into a folder holding a larger run is
    refused; more replications extend it; --overwrite replaces it."""
    run_study(poc_study(**TINY), seed=1, progress=False, out_dir=tmp_path)
    with pytest.raises(ValueError, match="differing: fewer replications"):
        run_study(poc_study(**{**TINY, "replications": 4}), seed=1, progress=False,
                  out_dir=tmp_path)
    more = run_study(poc_study(**{**TINY, "replications": 12}), seed=1, progress=False,
                     out_dir=tmp_path)
    assert more.conditions.blocks_resumed.iloc[0] == 2
    fewer = run_study(poc_study(**{**TINY, "replications": 4}), seed=1, progress=False,
                      out_dir=tmp_path, overwrite=True)
    assert fewer.tidy.rep.nunique() == 4


def test_a_second_run_on_the_same_folder_is_refused(tmp_path):
    """Regression (issue 13): two runs started together on one --out mixed their blocks."""
    import fcntl

    with open(tmp_path / ".gansim.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(ValueError, match="is in use by another run"):
            run_study(poc_study(**TINY), seed=1, progress=False, out_dir=tmp_path)
    assert not (tmp_path / "blocks").exists()
    with pytest.raises(ValueError, match="`out` .* is not a folder"):
        run_study(poc_study(**TINY), seed=1, progress=False,
                  out_dir=tmp_path / ".gansim.lock")


def test_settings_record_the_resolved_engine(tmp_path, monkeypatch):
    """Regression (issue 13): resuming an engine="auto" run on a machine without a C
    compiler mixed fused and torch blocks.  The resolved engine is part of the settings."""
    import gansim.gan.engine

    study = poc_study(**TINY)
    run_study(study, seed=1, progress=False, out_dir=tmp_path)
    settings = json.loads((tmp_path / "blocks" / "_settings.json").read_text())
    assert settings["engines"] == {"gan": gansim.gan.engine.resolve_engine(GANConfig())}
    monkeypatch.setattr(gansim.gan.engine, "resolve_engine", lambda cfg, device="cpu": "torch")
    if settings["engines"]["gan"] == "fused":
        # The same declaration on a machine that resolves "auto" to torch.
        with pytest.raises(ValueError, match="differing: settings"):
            run_study(poc_study(**TINY), seed=1, progress=False, out_dir=tmp_path)


class SometimesConstant(Normal):
    """Normal data, but all equal whenever the first draw exceeds 1."""

    def sample(self, n, rng):
        x = super().sample(n, rng)
        return np.full(n, 2.0) if x[0] > 1.0 else x


def test_constant_data_fail_the_gan_only_with_their_reason():
    study = Study([EmpiricalCDF(), GAN(GANConfig(steps=20))], dgp=SometimesConstant(),
                  replications=16, n=20, m=200, functionals=["mean"], distances=["ks"],
                  block_size=8, max_failure_share=1.0)
    t = run_study(study, seed=9, progress=False).tidy
    failed = t[t.status != "ok"]
    assert len(failed) and set(failed.method) == {"gan"}
    assert failed.error.str.contains("the data are constant").all()
    assert (t[t.method == "ecdf"].status == "ok").all()


def test_a_block_from_another_condition_or_with_duplicated_rows_is_recomputed(tmp_path):
    """Regression (issue 13): a block file replaced by another's was resumed.  The runner
    checks a stored block's condition (its spawn keys), replications and that no row
    repeats, and recomputes it with a warning naming the file."""
    study = Study([EmpiricalCDF()], dgp=st.norm(), design=condition_grid(8, n=[10, 20]),
                  functionals=["mean"], distances=["ks"], block_size=4)
    first = run_study(study, seed=3, progress=False, out_dir=tmp_path).tidy
    folder = {c["n"]: tmp_path / "blocks" / f"condition-{c.id}" for c in study.conditions}
    a, b = (sorted(folder[n].glob("block-*.parquet"))[0] for n in (10, 20))
    a.write_bytes(b.read_bytes())  # same replications, another condition
    rows = pd.read_parquet(sorted(folder[20].glob("block-*"))[1])
    dup = sorted(folder[20].glob("block-*.parquet"))[1]
    pd.concat([rows, rows.head(2)]).to_parquet(dup, index=False)
    with pytest.warns(RuntimeWarning, match="not this block") as caught:
        again = run_study(study, seed=3, progress=False, out_dir=tmp_path)
    messages = " ".join(str(w.message) for w in caught)
    assert "another condition" in messages and "rows twice" in messages
    assert again.conditions.blocks_computed.sum() == 2
    pd.testing.assert_frame_equal(again.tidy, first)


def test_a_worker_resolving_another_engine_fails_its_blocks(monkeypatch):
    """Regression (issues 13, 14): with engine="auto", a worker without a C compiler trained
    with the other engine and the results mixed engines silently.  The engine is resolved
    where the study is declared; a block whose worker resolves differently is an error."""
    import gansim.gan.engine

    study = poc_study(**TINY)
    declared = study._engines["gan"]
    other = "torch" if declared == "fused" else "fused"
    monkeypatch.setattr(gansim.gan.engine, "resolve_engine", lambda cfg, device="cpu": other)
    with pytest.raises(StudyError, match=f"resolves to '{other}', where the study resolved"):
        run_study(study, seed=1, progress=False)
