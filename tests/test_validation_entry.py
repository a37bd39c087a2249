"""Numbers validated where they enter: estimates, functionals' values and truths, a DGP's or
a generate function's data, design levels, the output folder, GAN settings.

Each behaviour with a negative control: what must stay accepted, and unchanged, is accepted.
"""

import json
import math

import numpy as np
import pytest
import scipy.stats as st

import gansim as gs
from gansim import (
    EmpiricalCDF,
    Estimate,
    Functional,
    GANConfig,
    Study,
    StudyError,
    condition_grid,
    run_study,
)
from gansim._validation import check_scale
from gansim.gan.config import MAX_STEPS, MAX_WIDTH
from gansim.study.design import Condition
from gansim.study.dgp import DGPS, make_dgp

SMALL = dict(methods=[EmpiricalCDF()], dgp=st.norm(), replications=8, n=10, distances=[])


# -- Estimate ---------------------------------------------------------------------------------


def test_estimate_stores_floats_and_accepts_nan_as_not_given():
    e = Estimate(np.float32(1.5), se=np.int64(0), lower=np.array(1.0), upper=2)
    assert (e.estimate, e.se, e.lower, e.upper) == (1.5, 0.0, 1.0, 2.0)
    assert all(type(getattr(e, f)) is float for f in ("estimate", "se", "lower", "upper"))
    assert math.isnan(Estimate(math.nan).estimate)  # no estimate: the study fails the row
    Estimate(1.0, lower=1.0, upper=1.0)  # a degenerate interval is an interval
    Estimate(1.0, lower=3.0)  # one bound alone: nothing to compare
    assert Estimate(0.5, se=0.1, lower=0.3, upper=0.7) == Estimate(0.5, 0.1, 0.3, 0.7)


@pytest.mark.parametrize("kwargs, error, text", [
    (dict(estimate="abc"), TypeError, "`estimate`"),
    (dict(estimate="1.5"), TypeError, "`estimate`"),
    (dict(estimate=None), TypeError, "`estimate`"),
    (dict(estimate=True), TypeError, "`estimate`"),
    (dict(estimate=1 + 2j), TypeError, "`estimate`"),
    (dict(estimate=np.array([1.0, 2.0])), TypeError, "`estimate`"),
    (dict(estimate=math.inf), ValueError, "`estimate`"),
    (dict(estimate=1.0, se=-1.0), ValueError, "`se`"),
    (dict(estimate=1.0, se=math.inf), ValueError, "`se`"),
    (dict(estimate=1.0, lower=2.0, upper=0.0), ValueError, "`lower`"),
    (dict(estimate=1.0, lower=-math.inf, upper=0.0), ValueError, "`lower`"),
    (dict(estimate=1.0, upper="2"), TypeError, "`upper`"),
])
def test_estimate_refuses_what_no_summary_can_use(kwargs, error, text):
    with pytest.raises(error, match=text):
        Estimate(**kwargs)


# -- a functional's value ---------------------------------------------------------------------


@pytest.mark.parametrize("value, error", [
    (None, TypeError), ("1.5", TypeError), (np.complex128(1 + 1j), TypeError),
    (1 + 1j, TypeError), (np.array([1.0, 2.0]), ValueError),
])
def test_functional_value_must_be_one_real_number(value, error):
    f = Functional(lambda x: value)
    with pytest.raises(error, match="a functional must return"):
        f.evaluate(np.zeros((1, 3)), 3)


def test_functional_keeps_non_finite_numbers_for_the_study_to_fail():
    x = np.zeros((1, 3))
    assert Functional(lambda s: np.inf).evaluate(x, 3)["estimate"][0] == np.inf
    assert Functional(lambda s: np.bool_(True)).evaluate(x, 3)["estimate"][0] == 1.0
    got = Functional(lambda s: Estimate(2.0, se=0.5)).evaluate(x, 3)
    assert (got["estimate"][0], got["se"][0]) == (2.0, 0.5)


@pytest.mark.parametrize("bad, status", [
    (None, "error"), (np.inf, "failed"), (np.complex128(1 + 1j), "error"), ("2", "error"),
])
def test_a_bad_functional_value_fails_its_row_and_counts(bad, status):
    # Half the replications return the bad value: their rows are not ok, with the reason,
    # and count toward max_failure_share (0.2 here, so the study stops).
    def f(x):
        return bad if x[0] > 0 else float(np.mean(x))

    study = Study(**SMALL, functionals={"f": f}, max_failure_share=1.0)
    res = run_study(study, seed=3, progress=False)
    rows = res.tidy
    bad_rows = rows[rows["status"] != "ok"]
    assert 0 < len(bad_rows) < len(rows)
    assert set(bad_rows["status"]) == {status}
    assert all("'f'" in e for e in bad_rows["error"])
    n_bad = int(res.conditions[f"n_{status}"].iloc[0])
    assert n_bad == bad_rows["rep"].nunique()
    with pytest.raises(StudyError, match="max_failure_share=0.2"):
        run_study(Study(**SMALL, functionals={"f": f}), seed=3, progress=False)


@pytest.mark.parametrize("bad, status", [
    (None, "error"), (np.inf, "failed"), (np.complex128(1 + 1j), "error"), ("2", "error"),
])
def test_a_bad_estimate_from_a_plain_method_fails_its_row(bad, status):
    def own(x, rng):
        return {"mean": bad if x[0] > 0 else float(np.mean(x))}

    study = Study(**{**SMALL, "methods": [own]}, functionals={}, max_failure_share=1.0)
    tidy = run_study(study, seed=3, progress=False).tidy
    bad_rows = tidy[tidy["status"] != "ok"]
    assert 0 < len(bad_rows) < len(tidy) and set(bad_rows["status"]) == {status}
    if status == "error":
        assert bad_rows["error"].str.contains("method 'own' (quantity 'mean') must return",
                                              regex=False).all()


# -- truths -----------------------------------------------------------------------------------


def test_a_truth_that_raises_or_gives_an_array_names_its_functional(tmp_path):
    raising = Functional(np.mean, truth=lambda d: 1 / 0)
    with pytest.raises(ValueError, match="truth of functional 'p'.*ZeroDivisionError"):
        run_study(Study(**SMALL, functionals={"p": raising}), seed=1, progress=False,
                  out_dir=tmp_path / "out")
    assert not (tmp_path / "out" / "blocks").exists()  # before any work
    array = Functional(np.mean, truth=lambda d: np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="truth of functional 'p' must return one real"):
        Study(**SMALL, functionals={"p": array}).notes(Condition((), 8))


def test_unknown_truths_stay_unknown():
    # A truth giving None or NaN, and a built-in truth the DGP cannot give (no ppf here).
    class NoPpf:
        def sample(self, n, rng):
            return rng.normal(size=n)

    fs = {"a": Functional(np.mean, truth=lambda d: None),
          "b": Functional(np.mean, truth=lambda d: math.nan), "q10": "q10"}
    study = Study(**{**SMALL, "dgp": NoPpf()}, functionals=fs)
    notes = study.notes(study.conditions[0])
    assert any("true value unknown for ['a', 'b', 'q10']" in n for n in notes)


#: The registry's DGPs at their defaults, as scipy.stats distributions.
SCIPY = {"normal": st.norm(), "t": st.t(3.0), "lognormal": st.lognorm(1.0),
         "gamma": st.gamma(2.0), "uniform": st.uniform(),
         "mixture": None}  # 0.5 N(-2, 0.5²) + 0.5 N(2, 0.5²), below


@pytest.mark.parametrize("name", sorted(DGPS))
def test_gansim_dgps_have_sf_as_scipy(name):
    dgp = make_dgp(name)
    x = np.array([-3.0, -0.5, 0.1, 0.7, 1.0, 2.5, 6.0])
    ref = SCIPY[name]
    want = (0.5 * st.norm.sf(x, -2, 0.5) + 0.5 * st.norm.sf(x, 2, 0.5) if ref is None
            else ref.sf(x))
    np.testing.assert_allclose(dgp.sf(x), want, rtol=0, atol=1e-14)
    assert isinstance(dgp.sf(1.0), float) and dgp.sf(np.inf) == 0.0


def test_readme_truth_sf_works_on_gansim_normal():
    tail = Functional(lambda x: float(np.mean(x > 1)), truth=lambda d: d.sf(1))
    assert tail.true_value(gs.Normal(), "p") == pytest.approx(st.norm.sf(1), abs=1e-15)
    assert tail.true_value(gs.Normal(mean=1.0, sd=2.0), "p") == 0.5


# -- data from a DGP or a generate function ---------------------------------------------------


class Scaled:
    def __init__(self, factor, complex_=False):
        self.factor, self.complex_ = factor, complex_

    def __repr__(self):
        return f"Scaled({self.factor:g})"

    def sample(self, n, rng):
        x = rng.normal(size=n) * self.factor
        return x + 1j if self.complex_ else x


@pytest.mark.parametrize("dgp, text", [
    (Scaled(1e200), r"Scaled\(1e\+200\)\.sample\(n=10, rng\): the data's sd overflows"),
    (Scaled(1e-320), r"Scaled\([0-9.]+e-32\d\)\.sample\(n=10, rng\): the data's sd underflows"),
    (Scaled(1.0, complex_=True), r"Scaled\(1\)\.sample.*dtype complex128"),
])
def test_dgp_data_float64_cannot_standardise_fail_naming_the_dgp(dgp, text):
    with pytest.raises(StudyError) as info:
        run_study(Study(**{**SMALL, "dgp": dgp}, functionals=["sd"]), seed=1, progress=False)
    tidy = info.value.result.tidy
    assert (tidy["status"] == "error").all()
    assert tidy["error"].str.contains(text).all(), tidy["error"].iloc[0]


def test_generate_returning_complex_numbers_fails_its_replications():
    def gen(levels, rng):
        return rng.normal(size=10) + 0j

    with pytest.raises(StudyError) as info:
        run_study(Study(**{**SMALL, "dgp": None}, generate=gen, functionals=["mean"]), seed=1,
                  progress=False)
    assert info.value.result.tidy["error"].str.contains("complex").all()


def test_generate_returning_another_size_than_n_fails_its_replications():
    def gen(levels, rng):
        return rng.normal(size=levels["n"] - 1)

    with pytest.raises(StudyError) as info:
        run_study(Study(**{**SMALL, "dgp": None}, generate=gen, functionals=["mean"]), seed=1,
                  progress=False)
    assert info.value.result.tidy["error"].str.contains(
        "`generate` returned 9 points for n=10").all()


def test_data_at_extreme_but_workable_scales_run():
    for factor in (1e150, 1e-150):
        res = run_study(Study(**{**SMALL, "dgp": Scaled(factor)}, functionals=["sd"]), seed=1,
                        progress=False)
        assert (res.tidy["status"] == "ok").all()
        assert np.isfinite(res.tidy["estimate"]).all()


@pytest.mark.parametrize("dgp, way", [(gs.Normal(sd=1e200), "overflow"),
                                      (st.norm(scale=1e-200), "underflow")])
def test_a_dgp_whose_sd_float64_cannot_standardise_is_refused_up_front(dgp, way):
    with pytest.raises(ValueError, match=rf"`dgp` .* has sd .*: its data would {way}"):
        Study(**{**SMALL, "dgp": dgp}, functionals=["mean"])


def test_a_dgp_with_infinite_or_unknown_sd_is_not_refused():
    Study(**{**SMALL, "dgp": st.t(1.5)}, functionals=["mean"])  # sd infinite: unknown
    Study(**{**SMALL, "dgp": Scaled(1.0)}, functionals=["mean"])  # no sd at all
    Study(**{**SMALL, "dgp": gs.Normal(sd=1e-140)}, functionals=["mean"])


@pytest.mark.parametrize("factor, way", [(1e300, "overflows"), (1e-320, "underflows")])
def test_fit_refuses_data_whose_sd_float64_cannot_compute(factor, way):
    x = np.random.default_rng(1).normal(size=20) * factor
    with pytest.raises(ValueError, match=f"`x`: the data's sd {way}"):
        gs.GANEstimator(GANConfig(steps=2), m=10).fit(x)


def test_check_scale():
    check_scale(np.full(5, 1e300), "`x`")  # constant data pass: the methods handle them
    check_scale(np.array([0.0, 1e-150]), "`x`")
    with pytest.raises(ValueError, match="`x`: the data's sd overflows"):
        check_scale(np.array([-1e300, 1e300]), "`x`")
    with pytest.raises(ValueError, match="`x`: the data's sd underflows"):
        check_scale(np.array([0.0, 1e-320]), "`x`")


# -- design and output folder -----------------------------------------------------------------


def test_condition_ids_and_labels_of_safe_levels_are_unchanged():
    c = Condition((("dgp", "lognormal"), ("n", 100)), 10)
    assert (c.id, c.label) == (3361342318, "dgp=lognormal,n=100")
    grid = condition_grid(4, dgp=["N(0,1)", "t"], n=np.arange(10, 12), x=[0.5, -1e-5])
    assert [c.label for c in grid][:2] == ["dgp=N(0,1),n=10,x=0.5", "dgp=N(0,1),n=10,x=-1e-05"]


@pytest.mark.parametrize("factors, text", [
    (dict(x=[1, 1.0]), "factor `x` has levels 1 and 1.0"),
    (dict(x=[1, "1"]), "factor `x` has levels 1 and '1'"),
    (dict(x=["../../escaped"]), r"factor `x` level '../../escaped' holds the characters \['/'\]"),
    (dict(x=["a\\b"]), "factor `x` level"), (dict(x=["a\x00b"]), "factor `x` level"),
    (dict(x=[""]), "factor `x` level '' is empty"), (dict(x=[" "]), "is empty"),
    (dict(x=[math.nan]), "factor `x` levels must be finite"),
    (dict(x=["y" * 300]), "more than the 255"),
])
def test_condition_grid_refuses_levels_that_repeat_or_are_not_folder_names(factors, text):
    with pytest.raises(ValueError, match=text):
        condition_grid(4, n=[10], **factors)


def test_conditions_built_directly_are_checked_too():
    with pytest.raises(ValueError, match="factor `x` level"):
        Condition((("x", "../up"),), 4)
    with pytest.raises(ValueError, match="factor names"):
        Condition((("a/b", 1),), 4)


def test_a_design_of_conditions_equal_after_normalisation_is_refused():
    twice = [Condition((("x", 1),), 4), Condition((("x", 1.0),), 4)]
    with pytest.raises(ValueError, match="'x=1' and 'x=1.0' are equal after normalisation"):
        Study(**{**SMALL, "replications": None}, design=twice, functionals=["mean"])
    Study(**{**SMALL, "replications": None}, functionals=["mean"],
          design=[Condition((("x", 1),), 4), Condition((("x", 1.5),), 4)])


def test_no_block_is_written_outside_out_dir(tmp_path):
    out = tmp_path / "deep" / "out"
    with pytest.raises(ValueError):
        Study(**{**SMALL, "replications": None},
              design=condition_grid(4, n=[10], x=["../../../escaped"]), functionals=["mean"])
    assert not any(tmp_path.rglob("*.parquet"))
    assert not out.exists()


@pytest.mark.parametrize("out_dir, error", [("", ValueError), ("  ", ValueError),
                                            ("a\x00b", ValueError), (3, TypeError)])
def test_out_dir_must_be_a_non_empty_path(out_dir, error, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    study = Study(**SMALL, functionals=["mean"])
    with pytest.raises(error, match="`out_dir`"):
        run_study(study, seed=1, progress=False, out_dir=out_dir)
    assert list(tmp_path.iterdir()) == []  # nothing written in the current folder
    res = run_study(study, seed=1, progress=False)
    with pytest.raises(error, match="`out_dir`"):
        res.save(out_dir)
    with pytest.raises(error, match="`out_dir`"):
        gs.StudyResult.load(out_dir)
    assert list(tmp_path.iterdir()) == []


# -- what a study computes --------------------------------------------------------------------


def test_a_study_that_would_estimate_nothing_is_refused():
    with pytest.raises(ValueError, match="`functionals` and `distances` are both empty"):
        Study(**SMALL, functionals={})

    def own(x, rng):  # a method with its own estimates needs no functionals
        return {"mean": Estimate(float(np.mean(x)), se=float(np.std(x) / 3))}

    res = run_study(Study(**{**SMALL, "methods": [own]}, functionals={}), seed=1,
                    progress=False)
    assert (res.tidy["status"] == "ok").all() and set(res.tidy["quantity"]) == {"mean"}


def test_a_plain_method_giving_samples_with_nothing_to_compute_names_it():
    def same(x, rng):
        return x

    with pytest.raises(StudyError, match="method 'same' gave no quantities") as info:
        run_study(Study(**{**SMALL, "methods": [same]}, functionals={}), seed=1,
                  progress=False)
    assert "gave no quantities" in str(info.value.result)  # rows without a method print


# -- GANConfig --------------------------------------------------------------------------------


def test_ganconfig_takes_numpy_numbers_as_python_ones():
    c = GANConfig(steps=np.int64(100), g_hidden=(np.int32(8), 8), d_hidden=np.int64(4),
                  latent_dim=np.uint8(3), lr=np.float32(0.5), d_steps=np.int16(2))
    plain = GANConfig(steps=100, g_hidden=(8, 8), d_hidden=(4,), latent_dim=3,
                      lr=float(np.float32(0.5)), d_steps=2)
    assert c == plain and json.dumps(c.to_dict()) == json.dumps(plain.to_dict())
    assert type(c.steps) is int and all(type(w) is int for w in c.g_hidden)
    # The defaults' record (hence every committed study's settings) is unchanged.
    assert GANConfig().to_dict()["lr"] == 1e-3 and GANConfig().to_dict()["steps"] == 2000


@pytest.mark.parametrize("kwargs, error, text", [
    (dict(lr="0.001"), TypeError, "`lr` must be a finite real number > 0, got '0.001'"),
    (dict(lr_final="1e-4"), TypeError, "`lr_final`"),
    (dict(ema_start="0.5"), TypeError, "`ema_start` must be a number"),
    (dict(ema_decay="0.9"), TypeError, "`ema_decay`"),
    (dict(negative_slope="0.2"), TypeError, "`negative_slope` must be a number"),
    (dict(eps="1e-8"), TypeError, "`eps`"), (dict(lr_d="0.1"), TypeError, "`lr_d`"),
    (dict(gp_weight="10"), TypeError, "`gp_weight`"),
    (dict(label_smoothing=True), TypeError, "`label_smoothing`"),
    (dict(betas=("a", "b")), ValueError, "`betas` must be two numbers"),
    (dict(betas="ab"), ValueError, "`betas`"), (dict(betas=(True, 0.9)), ValueError, "`betas`"),
    (dict(steps=MAX_STEPS + 1), ValueError, r"`steps` must be an integer in \[1, 10,000,000\]"),
    (dict(steps=3_000_000_000), ValueError, "`steps`"), (dict(steps="100"), ValueError, "`steps`"),
    (dict(g_hidden=(10**9,)), ValueError, r"`g_hidden` must be an integer in \[1, 4,096\]"),
    (dict(d_hidden=MAX_WIDTH + 1), ValueError, "`d_hidden`"),
    (dict(latent_dim=10**6), ValueError, "`latent_dim`"),
    (dict(g_hidden=(np.float64(8),)), ValueError, "`g_hidden`"),
])
def test_ganconfig_refuses_by_name(kwargs, error, text):
    with pytest.raises(error, match=text):
        GANConfig(**kwargs)


def test_ganconfig_limits_themselves_are_accepted():
    GANConfig(steps=MAX_STEPS, g_hidden=(MAX_WIDTH,), latent_dim=MAX_WIDTH)


def test_a_block_larger_than_B_is_lowered_to_B():
    # The last block is computed whole: a block of 1,000 for B = 3 would train 997 GANs
    # nobody asked for. Lowered to the largest B; unchanged when B >= block size.
    import scipy.stats as st

    import gansim as gs
    from gansim.study.methods import EmpiricalCDF

    small = gs.Study([EmpiricalCDF()], dgp=st.norm(), replications=3, n=10, block_size=1000)
    assert small.block_size == 3
    design = gs.condition_grid(5, n=[10, 20])
    grid = gs.Study([EmpiricalCDF()], dgp=st.norm(), design=design, block_size=8)
    assert grid.block_size == 5
    assert gs.Study([EmpiricalCDF()], dgp=st.norm(), replications=300, n=10).block_size == 100
