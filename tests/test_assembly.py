"""A run that keeps its blocks (``out_dir``) assembles nothing it does not need: its
conditions, summary, saved files, failures and overview come from the block files one block
(or one condition's quantity) at a time, and are the same, to the last bit, as those of the
same run held in memory; ``tidy`` is read from the files only when asked for."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import gansim.study.core as core
from gansim import (
    EmpiricalCDF,
    Estimate,
    Functional,
    Normal,
    Parametric,
    Study,
    StudyError,
    StudyResult,
    condition_grid,
    run_study,
)
from gansim.study.core import REPLICATIONS_FILE, RESULT_FILE

SEED = 3


def picky_max(x):
    """The maximum, raising on the samples whose first point is above 1 (some
    replications' rows of each method)."""
    if float(x[0]) > 1.0:
        raise ValueError("max too large")
    return float(np.max(x))


def noisy_sd(x):
    """The sd, warning on the samples whose second point is below -1."""
    if float(x[1]) < -1.0:
        warnings.warn("a low second point", RuntimeWarning, stacklevel=2)
    return float(np.std(x, ddof=1))


def mean_se_at_20(x):
    """The mean, with its SE only for samples of 20 points (the data of n = 20 as the
    empirical CDF's sample): a quantity with SEs in one condition only."""
    if len(x) == 20:
        return Estimate(float(np.mean(x)), se=float(np.std(x, ddof=1) / np.sqrt(20)))
    return float(np.mean(x))


class LosesABlock(EmpiricalCDF):
    """The empirical CDF, whose whole analysis raises on the block holding replication 5 at
    n = 20 and on every block at n = 40: those blocks are rows outside the methods."""

    name = "loses"

    def analyse_block(self, block):
        if block.n == 40 or (block.n == 20 and 5 in [s.rep for s in block.streams]):
            raise RuntimeError("block lost")
        return super().analyse_block(block)


def rich_study(methods=None, ns=(20, 30)):
    return Study(methods or [EmpiricalCDF(), Parametric()], dgp=Normal(),
                 design=condition_grid(10, n=list(ns)), m=100, block_size=4,
                 functionals={"mean": "mean", "max": Functional(picky_max),
                              "sd": Functional(noisy_sd), "mse": Functional(mean_se_at_20)},
                 distances=["ks"], max_failure_share=1.0)


def _same_result(lazy: StudyResult, eager: StudyResult, tmp_path: Path, refs=(None, "ecdf"),
                 summary: bool = True) -> None:
    """Every output of ``lazy`` (rows kept on disk) equals ``eager``'s (rows in memory)."""
    assert lazy._tidy is None and eager._tidy is not None
    pd.testing.assert_frame_equal(lazy.conditions, eager.conditions, check_exact=True)
    pd.testing.assert_frame_equal(lazy.failures(), eager.failures(), check_exact=True)
    if summary:
        for ref in refs:
            pd.testing.assert_frame_equal(lazy.summary(ref=ref), eager.summary(ref=ref),
                                          check_exact=True)
    # The same wall time and executor: the overview and result.json then match whole.
    same = StudyResult(eager.tidy, eager.conditions, eager.study, eager.seed, lazy.wall_time,
                       lazy.executor)
    assert str(lazy) == str(same)
    a, b = tmp_path / "lazy", tmp_path / "eager"
    if summary:
        lazy.save(a), same.save(b)
    else:  # save() needs the summary, refused alike once the rows are written
        for result, out in ((lazy, a), (same, b)):
            with pytest.raises(ValueError, match="missing labels"):
                result.save(out)
    for name in sorted(p.name for p in b.iterdir()):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert (b / REPLICATIONS_FILE).exists()
    assert lazy._tidy is None  # nothing above needed every row at once
    pd.testing.assert_frame_equal(lazy.tidy, eager.tidy, check_exact=True)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_kept_blocks_give_the_outputs_of_rows_in_memory(tmp_path, n_jobs):
    study = rich_study()
    # Results do not depend on n_jobs: the worker processes' start is paid once.
    eager = run_study(study, seed=SEED, progress=False)
    lazy = run_study(study, seed=SEED, progress=False, n_jobs=n_jobs, out_dir=tmp_path / "o")
    t = eager.tidy
    # The cases this is about: errors, warnings, SEs in one condition only, padding.
    assert (t.status == "error").any() and (t.warnings != "").any()
    mse = t[t.quantity == "mse"]
    assert mse.se[mse.n == 20].notna().any() and mse.se[mse.n == 30].isna().all()
    assert len(t) == 2 * 10 * 2 * 5  # B = 10 in blocks of 4: the padding left out
    _same_result(lazy, eager, tmp_path)


def test_blocks_raising_outside_the_methods(tmp_path):
    """Rows without a method or quantity (a whole block's, a whole condition's): the same
    outputs, and the same refusal to summarise rows without a method."""
    study = rich_study([EmpiricalCDF(), LosesABlock()], ns=(20, 30, 40))
    # Every replication at n = 40 failed: StudyError, its result holding what ran.
    with pytest.raises(StudyError, match="10 of 10 .* block lost") as first:
        run_study(study, seed=SEED, progress=False)
    with pytest.raises(StudyError, match="10 of 10 .* block lost") as second:
        run_study(study, seed=SEED, progress=False, out_dir=tmp_path / "o")
    assert str(first.value) == str(second.value)
    eager, lazy = first.value.result, second.value.result
    t = eager.tidy
    assert t.method.isna().any() and t[t.n == 40].method.isna().all()
    assert (eager.conditions.n_error > 0).all()
    _same_result(lazy, eager, tmp_path, summary=False)
    for result in (lazy, eager):
        with pytest.raises(ValueError, match="'method' holds missing labels in 14 rows"):
            result.summary()


def test_a_run_with_out_dir_reads_no_tidy(tmp_path, monkeypatch):
    """run_study, the conditions, the summary, save, failures and print work without the
    tidy frame; asking for it reads every block then."""

    def refuse(*args, **kwargs):
        raise AssertionError("every row read at once")

    study = rich_study()
    eager = run_study(study, seed=SEED, progress=False)
    monkeypatch.setattr(core, "read_blocks", refuse)
    lazy = run_study(study, seed=SEED, progress=False, out_dir=tmp_path / "o")
    lazy.summary(ref="ecdf")
    out = lazy.save(tmp_path / "saved")
    str(lazy)
    assert len(lazy.failures()) == int((eager.tidy.status != "ok").sum())
    with pytest.raises(AssertionError, match="every row read at once"):
        lazy.tidy  # noqa: B018
    monkeypatch.undo()
    back = StudyResult.load(out)
    pd.testing.assert_frame_equal(back.tidy, StudyResult.load(eager.save(tmp_path / "e")).tidy,
                                  check_exact=True)
    assert json.loads((out / RESULT_FILE).read_text())["methods"] == ["ecdf", "parametric"]
    assert (out / REPLICATIONS_FILE).read_bytes() == (tmp_path / "e" /
                                                     REPLICATIONS_FILE).read_bytes()


def test_a_block_rewritten_after_the_run_is_refused(tmp_path):
    lazy = run_study(rich_study(), seed=SEED, progress=False, out_dir=tmp_path / "o")
    block = sorted((tmp_path / "o" / "blocks").rglob("block-*.parquet"))[0]
    block.write_bytes(block.read_bytes() + b"\0")
    with pytest.raises(ValueError, match="changed after its run ended"):
        lazy.tidy  # noqa: B018


def test_summary_parts_equal_the_whole_in_any_split():
    """summarise is summarise_parts with one part; parts of whole (by, method, quantity)
    groups, in any order, give the same frame."""
    from gansim.summary.simsum import SummaryPlan, summarise, summarise_parts

    t = run_study(rich_study(), seed=SEED, progress=False).tidy
    whole = summarise(t, by=["n"], ref="ecdf")
    plan = SummaryPlan(["n"], columns=t.columns)
    for _, rows in t.groupby("condition", sort=False):  # the plan, part by part
        plan.add(rows)
    parts = [g for _, g in t.groupby(["quantity", "n"])][::-1]
    pd.testing.assert_frame_equal(summarise_parts(plan, parts, ref="ecdf"), whole,
                                  check_exact=True)
