"""Failures belong to one replication and one quantity: negative controls with a functional,
a method and a diagnostic that fail on chosen replications, against runs where they do not."""

import numpy as np
import pandas as pd
import pytest
import scipy.stats as st

from gansim import (
    GAN,
    EmpiricalCDF,
    Functional,
    GANConfig,
    Normal,
    Parametric,
    Study,
    StudyError,
    replay,
    run_study,
)
from gansim.rng import replication_streams
from gansim.study.analysis import Block
from gansim.study.methods import Method

SEED, B, N = 4, 8, 20
CHOSEN = (2, 5)  # the replications made to fail


def first_points(reps=CHOSEN, seed=SEED):
    """The first data point of each chosen replication (Normal(), condition 0)."""
    return {float(Normal().sample(N, replication_streams(seed, r).data_rng())[0]) for r in reps}


BAD = first_points()


def picky_max(x):
    """The maximum, but it raises on the data sets whose first point is a chosen one (the
    empirical cdf's sample is the data itself)."""
    if float(x[0]) in BAD:
        raise ValueError("max too large")
    return float(np.max(x))


def plain_max(x):
    return float(np.max(x))


def study_with(fn, methods=None, **kw):
    return Study(methods or [EmpiricalCDF(), Parametric()], dgp=Normal(), replications=B, n=N,
                 m=300, functionals={"mean": "mean", "max": Functional(fn)}, distances=["ks"],
                 **{"max_failure_share": 1.0, **kw})


def test_a_functional_raising_fails_exactly_its_replications_rows():
    got = run_study(study_with(picky_max), seed=SEED, progress=False).tidy
    clean = run_study(study_with(plain_max), seed=SEED, progress=False).tidy
    bad = got.status != "ok"
    failed = set(zip(got.rep[bad], got.method[bad], got.quantity[bad], strict=True))
    assert failed == {(r, "ecdf", "max") for r in CHOSEN}
    assert (got.status[bad] == "error").all()
    assert got.error[bad].str.fullmatch("functional 'max': ValueError: max too large").all()
    assert got.estimate[bad].isna().all()
    # Every other row -- the same replication's other quantities included -- is the clean
    # run's, to the bit.
    pd.testing.assert_frame_equal(got[~bad], clean[~bad])
    assert clean.status.eq("ok").all()


def test_study_error_names_a_failed_replication_whose_replay_raises():
    study = study_with(picky_max, max_failure_share=0.1)
    with pytest.raises(StudyError, match=r"2 of 8 .*ValueError: max too large") as info:
        run_study(study, seed=SEED, progress=False)
    rep = int(str(info.value).split("rep=")[1].split(")")[0].split(",")[0])
    assert rep in CHOSEN
    with pytest.raises(ValueError, match="max too large"):
        replay(study, seed=SEED, rep=rep)
    ok = replay(study, seed=SEED, rep=0)  # a replication that did not fail replays ok
    assert ok.status.eq("ok").all()


def test_a_non_finite_estimate_is_failed_not_ok():
    def nan_tail(x):
        return np.nan if float(x[0]) in BAD else float(np.mean(x > 1))

    t = run_study(study_with(nan_tail), seed=SEED, progress=False).tidy
    bad = t.status != "ok"
    assert set(zip(t.rep[bad], t.quantity[bad], strict=True)) == {(r, "max") for r in CHOSEN}
    assert (t.status[bad] == "failed").all()
    assert (t.error[bad] == "non-finite estimate of 'max'").all()


class Picky(Parametric):
    """The parametric plug-in, whose fit raises on a block holding a chosen data set."""

    name = "picky"

    def _fit(self, x, streams, *, dgp, device):
        if any(float(v) in BAD for v in x[:, 0]):
            raise RuntimeError("cannot fit")
        return super()._fit(x, streams, dgp=dgp, device=device)


def test_a_fit_that_raises_fails_its_replication_only():
    kw = dict(dgp=Normal(), replications=B, n=N, m=300, functionals=["mean", "sd"],
              distances=["ks"], max_failure_share=1.0, block_size=4)
    got = run_study(Study([Picky()], **kw), seed=SEED, progress=False).tidy
    clean = run_study(Study([Parametric(label="picky")], **kw), seed=SEED,
                      progress=False).tidy
    bad = got.status != "ok"
    assert set(got.rep[bad]) == set(CHOSEN)
    assert got.error[bad].eq("picky: RuntimeError: cannot fit").all()
    pd.testing.assert_frame_equal(got[~bad], clean[~bad])


class ArrayShy(Normal):
    """Normal, but its quantile function refuses arrays of more than 10 probabilities."""

    def ppf(self, q):
        if np.size(q) > 10:
            raise TypeError("only small arrays")
        return super().ppf(q)


def test_a_gan_diagnostic_that_raises_fails_that_quantity_only():
    kw = dict(replications=4, n=N, m=200, functionals=["mean"], distances=["ks"],
              block_size=4, max_failure_share=1.0)
    gan = GAN(GANConfig(steps=10))
    with pytest.raises(StudyError) as info:  # every replication has a row not ok
        run_study(Study([gan], dgp=ArrayShy(), **kw), seed=1, progress=False)
    got = info.value.result.tidy
    clean = run_study(Study([gan], dgp=Normal(), **kw), seed=1, progress=False).tidy
    bad = got.status != "ok"
    assert set(got.quantity[bad]) == {"jsd_star"} and bad.sum() == 4
    assert got.error[bad].str.contains("diagnostic 'jsd_star': TypeError: only small").all()
    pd.testing.assert_frame_equal(got[~bad], clean[~bad])


class Recording(Method):
    """A method of its own through the default contract: the data themselves as draws."""

    name = "recording"

    def _fit(self, x, streams, *, dgp, device):
        return _Rows(x)


class _Rows:
    def __init__(self, x):
        self.x = x

    def sample(self, m):
        return self.x.copy()

    def diagnostics(self, data, draws, dgp):
        return {"spread": np.ptp(data, axis=1)}


def test_analyse_block_is_the_method_contract():
    """A user's Method subclass runs through analyse_block's default; its diagnostics are
    rows; the study names no method class."""
    import ast
    import inspect

    import gansim.study.core
    import gansim.study.methods

    tree = ast.parse(inspect.getsource(gansim.study.core))
    classes = {k for k, v in vars(gansim.study.methods).items()
               if isinstance(v, type) and issubclass(v, Method) and v is not Method}
    used = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    used |= {a.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
             for a in node.names}
    assert classes and not classes & used
    study = Study([Recording()], dgp=st.norm(), replications=4, n=10, functionals=["mean"],
                  distances=[])
    t = run_study(study, seed=2, progress=False).tidy
    assert list(t.quantity[:2]) == ["mean", "spread"] and t.status.eq("ok").all()
    x = st.norm.rvs(size=10, random_state=replication_streams(2, 1).data_rng())
    row = t[(t.rep == 1)].set_index("quantity")
    assert row.loc["spread", "estimate"] == pytest.approx(np.ptp(x))
    assert row.loc["mean", "estimate"] == pytest.approx(x.mean())


def test_block_outcome_keeps_the_quantities_order_and_fills_missing():
    streams = [replication_streams(1, r) for r in range(3)]
    data = np.random.default_rng(0).normal(size=(3, 5))
    block = Block(data, streams, np.array([True, True, False]),
                  gen_error=np.array(["", "", "generate: boom"], dtype=object),
                  gen_warnings=np.array(["", "", ""], dtype=object), m=5,
                  functionals={}, distances=(), dgp=None)
    out = block.outcome("me", declare=False)
    out.put_one(0, {"a": 1.0, "b": 2.0})
    out.put_one(1, {"a": 3.0})
    frame = out.frame([0, 1, 2], {}, [])
    assert list(frame.quantity) == ["a"] * 3 + ["b"] * 3
    assert list(frame.status) == ["ok", "ok", "error", "ok", "failed", "error"]
    assert frame.error.iloc[4] == "me returned no 'b'"
    assert frame.error.iloc[5] == "generate: boom"


def test_a_function_method_fits_through_the_method_contract():
    from gansim import FunctionMethod

    streams = [replication_streams(1, r) for r in range(3)]
    x = np.random.default_rng(0).normal(size=(3, 6))
    trimmed = FunctionMethod(lambda x, rng: np.sort(x)[1:-1], label="trimmed")
    assert trimmed.fit(x, streams).sample(50).tolist() == np.sort(x, axis=1)[:, 1:-1].tolist()
    estimates = FunctionMethod(lambda x, rng: {"mean": float(x.mean())}, label="est")
    with pytest.raises(TypeError, match=r"returns estimates .*\(analyse_block\)"):
        estimates.fit(x, streams)
