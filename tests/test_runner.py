"""The block runner: resume, independence from n_jobs and B, failures recorded not raised."""

import json

import numpy as np
import pandas as pd
import pytest

from gansim.rng import replication_streams
from gansim.runner import block_ranges, run_replications


def uniform_block(reps, seed):
    """A cheap block: each replication's first uniform and a block-level sum (which would
    expose a wrong block composition)."""
    u = np.array([replication_streams(seed, r).data_rng().random() for r in reps])
    return pd.DataFrame({"rep": reps, "status": "ok", "error": "", "u": u,
                         "block_sum": u.sum()})


class Interrupt:
    """Block function that raises KeyboardInterrupt on its k-th call, counting calls."""

    def __init__(self, k):
        self.k, self.calls = k, 0

    def __call__(self, reps, seed):
        self.calls += 1
        if self.calls == self.k:
            raise KeyboardInterrupt
        return uniform_block(reps, seed)


def failing_block(reps, seed):
    if 4 in reps:
        raise FloatingPointError("training diverged at step 17")
    return uniform_block(reps, seed)


def test_block_ranges_are_full_blocks():
    assert block_ranges(10, 4) == [(0, 4), (4, 8), (8, 12)]
    assert block_ranges(8, 4) == [(0, 4), (4, 8)]


def test_results_do_not_depend_on_B_or_n_jobs():
    kw = dict(block_size=4, seed=7, settings={}, progress=False)
    small = run_replications(uniform_block, replications=5, **kw).replications
    big = run_replications(uniform_block, replications=12, n_jobs=2, **kw).replications
    assert list(small["rep"]) == list(range(5))
    pd.testing.assert_frame_equal(small, big.iloc[:5])


def test_interrupted_run_resumes_to_identical_results(tmp_path):
    kw = dict(replications=20, block_size=4, seed=3, settings={"x": 1}, progress=False)
    full = run_replications(uniform_block, **kw).replications

    broken = Interrupt(k=3)
    with pytest.raises(KeyboardInterrupt):
        run_replications(broken, out_dir=tmp_path, **kw)
    assert len(list((tmp_path / "blocks").glob("block-*.parquet"))) == 2

    resumed = run_replications(uniform_block, out_dir=tmp_path, **kw)
    assert (resumed.blocks_resumed, resumed.blocks_computed) == (2, 3)
    pd.testing.assert_frame_equal(resumed.replications, full)

    again = run_replications(uniform_block, out_dir=tmp_path, **kw)
    assert (again.blocks_resumed, again.blocks_computed) == (5, 0)
    pd.testing.assert_frame_equal(again.replications, full)


def test_resume_refuses_other_settings(tmp_path):
    kw = dict(replications=8, block_size=4, progress=False, out_dir=tmp_path)
    run_replications(uniform_block, seed=1, settings={"n": 100}, **kw)
    with pytest.raises(ValueError, match="`out`.*differing: n"):
        run_replications(uniform_block, seed=1, settings={"n": 50}, **kw)
    with pytest.raises(ValueError, match="differing: seed"):
        run_replications(uniform_block, seed=2, settings={"n": 100}, **kw)
    redo = run_replications(uniform_block, seed=2, settings={"n": 100}, overwrite=True, **kw)
    assert redo.blocks_computed == 2
    manifest = json.loads((tmp_path / "blocks" / "settings.json").read_text())
    assert manifest["seed"] == 2


def test_failing_block_is_recorded_not_fatal():
    run = run_replications(failing_block, replications=12, block_size=4, seed=5, settings={},
                           progress=False)
    frame = run.replications
    bad = frame[frame["status"] == "failed"]
    assert list(bad["rep"]) == [4, 5, 6, 7]
    assert bad["error"].str.contains("FloatingPointError: training diverged").all()
    # the seed material to replay each failed replication alone
    assert list(bad["spawn_key"]) == ["0:4", "0:5", "0:6", "0:7"]
    assert (bad["seed"] == 5).all()
    assert frame.loc[frame["status"] == "ok", "u"].notna().sum() == 8
    assert run.n_failed == 4
