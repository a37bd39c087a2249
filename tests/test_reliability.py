"""Reliability (issue 13 item 5): faults injected, properties of the runner, damaged files.

- SIGKILL fault injection: a study run as a subprocess with two workers is killed (its whole
  process group, SIGKILL) at a seeded random time inside the run; rerunning the same call
  ends with tidy results bit-identical to an uninterrupted run's, no replication lost or
  duplicated, no process of the killed run left alive and no temporary file a resume could
  take for a block.
- Property-based (hypothesis): interrupting at any block and resuming gives exactly the rows
  of one uninterrupted run; replication r does not depend on B; the input validators name
  the argument for any bad type and accept numpy integers.
- Damaged block files (truncated, garbage) are recomputed with a warning naming the file.
"""

import os
import re
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs

from gansim import GANConfig, Study, condition_grid, run_study
from gansim.rng import replication_streams
from gansim.studies.poc import poc_study
from gansim.study.design import Condition
from gansim.study.runner import block_ranges, run_blocks

ROOT = Path(__file__).resolve().parents[1]
BLOCK_NAME = re.compile(r"block-\d{7}-\d{7}\.parquet$")
CHECKSUM_NAME = re.compile(r"_block-\d{7}-\d{7}\.parquet\.sha256$")

# -- SIGKILL fault injection ------------------------------------------------------------------

# Small enough for seconds (16 blocks of about 20 ms each, after the two workers' start,
# which takes most of a trial), long enough for a kill to land between or inside block writes.
KILL_STUDY = dict(replications=64, n=20, m=200, gan=GANConfig(steps=1000), block_size=4)
KILL_SEED = 5
SCRIPT = textwrap.dedent("""
    import sys
    from gansim import GANConfig, run_study
    from gansim.studies.poc import poc_study
    study = poc_study(replications=64, n=20, m=200, gan=GANConfig(steps=1000), block_size=4)
    print("running", flush=True)
    run_study(study, seed=5, n_jobs=2, out_dir=sys.argv[1], progress=False)
    print("done", flush=True)
""")


@pytest.fixture(scope="module")
def uninterrupted():
    """The reference: one uninterrupted run, in this process, without an output folder."""
    return run_study(poc_study(**KILL_STUDY), seed=KILL_SEED, progress=False).tidy


def _proc_stat(pid: int):
    """(state, ppid, pgrp) of a live pid from /proc, or None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()
    return fields[0], int(fields[1]), int(fields[2])


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _pids() -> list[int]:
    return [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()]


def _tree(root: int) -> set[int]:
    """root and every process descending from it, now."""
    parent = {}
    for pid in _pids():
        stat = _proc_stat(pid)
        if stat is not None:
            parent[pid] = stat[1]
    tree, grew = {root}, True
    while grew:
        new = {p for p, pp in parent.items() if pp in tree} - tree
        tree |= new
        grew = bool(new)
    return tree


def _alive(pid: int) -> bool:
    stat = _proc_stat(pid)
    return stat is not None and stat[0] not in "ZX"  # a zombie holds no memory, runs nothing


# (seed of the kill time, anchor): "start" kills 0-1.5 s after the script has imported
# gansim (while the workers start, or in the first blocks); "block" once k block files are
# written (k drawn in 1..8 of 16), 0-20 ms later: inside the training of the next blocks,
# whatever the speed of the machine.
# Three trials (two anchors) keep the suite within its time; each is a different kill time.
KILL_TRIALS = [(1, "start"), (2, "block"), (3, "block")]


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
@pytest.mark.parametrize("kill_seed, anchor", KILL_TRIALS,
                         ids=[f"kill{s}-{a}" for s, a in KILL_TRIALS])
def test_sigkill_then_rerun_gives_identical_results(kill_seed, anchor, uninterrupted,
                                                    tmp_path):
    out = tmp_path / "out"
    blocks = out / "blocks"
    n_blocks = len(block_ranges(KILL_STUDY["replications"], KILL_STUDY["block_size"]))
    rng = np.random.default_rng(kill_seed)
    k = int(rng.integers(1, n_blocks // 2 + 1))
    delay = rng.uniform(0.0, 1.5) if anchor == "start" else rng.uniform(0.0, 0.02)
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, str(out)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            start_new_session=True)
    try:
        assert proc.stdout.readline().strip() == "running"
        if anchor == "block":
            t_end = time.monotonic() + 60
            while len(list(blocks.glob("block-*.parquet"))) < k and time.monotonic() < t_end:
                time.sleep(0.002)
        time.sleep(delay)
        assert proc.poll() is None, "the run ended before the kill: make it longer"
        # The script, its two loky workers, the resource trackers of loky and multiprocessing.
        members = _tree(proc.pid)
        if anchor == "block":  # blocks are being written: the workers run
            assert len(members) >= 3, [_cmdline(p) for p in members]
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        proc.stdout.close()
    written = sorted(p.name for p in blocks.glob("block-*.parquet"))
    assert len(written) < n_blocks
    # No process of the killed run is left: neither its descendants, nor anything in its
    # process group, nor anything naming its output folder.
    t_end = time.monotonic() + 5
    while time.monotonic() < t_end:
        left = {p for p in members if _alive(p)}
        left |= {p for p in _pids() if _alive(p) and (_proc_stat(p) or ("", 0, 0))[2]
                 == proc.pid}
        left |= {p for p in _pids() if _alive(p) and str(out) in _cmdline(p)}
        if not left:
            break
        time.sleep(0.05)
    assert not left, {p: _cmdline(p) for p in left}
    # A write cut short leaves at most a temporary name that is never a block's name.
    for f in out.rglob("*"):
        if f.is_file() and f.parent == blocks and f.name != "_settings.json":
            assert (BLOCK_NAME.fullmatch(f.name) or CHECKSUM_NAME.fullmatch(f.name)
                    or f.name.endswith(".tmp")), f.name
            if f.name.endswith(".tmp"):
                assert not BLOCK_NAME.fullmatch(f.name)
    # Every block the killed run left whole is resumed; the rerun computes only the rest
    # (in this process, on one worker: results do not depend on n_jobs, and two fresh
    # workers would double the time of a trial).
    res = run_study(poc_study(**KILL_STUDY), seed=KILL_SEED, n_jobs=1, out_dir=out,
                    progress=False)
    info = res.conditions.iloc[0]
    assert info.blocks_resumed == len(written)
    assert info.blocks_computed == n_blocks - len(written)
    pd.testing.assert_frame_equal(res.tidy, uninterrupted, check_exact=True)
    keys = res.tidy[["rep", "method", "quantity"]]
    assert not keys.duplicated().any()
    assert sorted(res.tidy["rep"].unique()) == list(range(KILL_STUDY["replications"]))
    assert (out / "study.json").exists()
    print(f"trial {kill_seed} ({anchor}, k {k}, delay {delay:.3f} s): {len(written)}/"
          f"{n_blocks} blocks whole at kill")


# -- Property-based tests of the runner ---------------------------------------------------------


def uniform_block(reps, seed, condition):
    """A cheap block: two uniforms per replication from its own data stream."""
    return pd.DataFrame({
        "rep": reps, "status": "ok", "error": "",
        "u": [replication_streams(seed, r, condition.id).data_rng().random(2).sum()
              for r in reps]})


class InterruptAt:
    """The block function, raising KeyboardInterrupt (Ctrl-C) on its k-th call."""

    def __init__(self, k: int):
        self.k, self.calls = k, 0

    def __call__(self, reps, seed, condition):
        self.calls += 1
        if self.calls == self.k:
            raise KeyboardInterrupt
        return uniform_block(reps, seed, condition)


def _run(fn, conditions, out=None, block_size=1, seed=3):
    return run_blocks(fn, conditions, seed=seed, block_size=block_size, settings=lambda c: {},
                      out_dir=out, n_jobs=1, progress=False)


def _grid(B: int, two: bool) -> list[Condition]:
    return condition_grid(B, a=[1, 2]) if two else [Condition((), B)]


PROPS = settings(max_examples=40, deadline=None,
                 suppress_health_check=[HealthCheck.too_slow])


@PROPS
@given(B=hs.integers(2, 30), block_size=hs.integers(1, 8), two=hs.booleans(),
       data=hs.data())
def test_interrupt_anywhere_then_resume_equals_one_run(B, block_size, two, data):
    conds = _grid(B, two)
    n_blocks = len(conds) * len(block_ranges(B, block_size))
    k = data.draw(hs.integers(1, n_blocks), label="interrupted call")
    whole = _run(uniform_block, conds, block_size=block_size)
    with tempfile.TemporaryDirectory() as d:
        with pytest.raises(KeyboardInterrupt):
            _run(InterruptAt(k), conds, out=d, block_size=block_size)
        stored = list(Path(d).rglob("block-*"))
        assert len(stored) == k - 1  # every block before the interrupted one was kept
        assert all(BLOCK_NAME.fullmatch(f.name) for f in stored)
        resumed = _run(uniform_block, conds, out=d, block_size=block_size)
        # Inside: the rows of a run with `out` are read from its block files.
        assert int(resumed.blocks.blocks_resumed.sum()) == k - 1
        assert int(resumed.blocks.blocks_computed.sum()) == n_blocks - (k - 1)
        assert resumed.frames.keys() == whole.frames.keys()
        for label, frame in whole.frames.items():
            pd.testing.assert_frame_equal(resumed.frames[label], frame, check_exact=True)
            assert frame["rep"].tolist() == list(range(B))


@PROPS
@given(B=hs.integers(3, 30), block_size=hs.integers(1, 8), data=hs.data())
def test_replications_do_not_depend_on_B(B, block_size, data):
    small = data.draw(hs.integers(2, B - 1), label="B'")
    big = _run(uniform_block, [Condition((), B)], block_size=block_size).frames[""]
    with tempfile.TemporaryDirectory() as d:
        first = _run(uniform_block, [Condition((), small)], out=d, block_size=block_size)
        pd.testing.assert_frame_equal(first.frames[""], big[big["rep"] < small],
                                      check_exact=True)
        # More replications in the same folder reuse every block of the smaller run.
        more = _run(uniform_block, [Condition((), B)], out=d, block_size=block_size)
        assert int(more.blocks.blocks_resumed.iloc[0]) == len(block_ranges(small, block_size))
        pd.testing.assert_frame_equal(more.frames[""], big, check_exact=True)


# -- Property-based tests of the input validators ----------------------------------------------

BAD_COUNTS = hs.one_of(
    hs.floats(allow_nan=True, allow_infinity=True),
    hs.booleans(),
    hs.text(max_size=5),
    hs.integers(max_value=-1),
    hs.sampled_from([None, [4], (4,), {"B": 4}, 4 + 0j, np.float64(4.0), np.bool_(True),
                     np.array([4]), "10"]),
    hs.integers(-(2**31), 2**31).map(np.int64).filter(lambda v: v < 0),
)
NUMPY_INTS = hs.sampled_from([np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16,
                              np.uint32, np.uint64])


def _study(**kwargs):
    base = dict(methods=["ecdf"], dgp="normal", replications=10, n=20, m=50, block_size=2)
    return Study(**{**base, **kwargs})


@settings(max_examples=60, deadline=None)
@given(name=hs.sampled_from(["replications", "n", "m", "block_size"]), value=BAD_COUNTS)
def test_study_bad_counts_name_the_argument(name, value):
    with pytest.raises((ValueError, TypeError), match=f"`{name}`"):
        _study(**{name: value})


@settings(max_examples=40, deadline=None)
@given(name=hs.sampled_from(["replications", "n", "m", "block_size"]), kind=NUMPY_INTS,
       value=hs.integers(2, 100))
def test_study_accepts_numpy_integers(name, kind, value):
    study = _study(**{name: kind(value)})
    got = getattr(study, name)
    # A block size past B is lowered to B (the last block is computed whole).
    want = min(value, study.replications) if name == "block_size" else value
    assert type(got) is int and got == want


@settings(max_examples=40, deadline=None)
@given(value=BAD_COUNTS, as_function=hs.booleans())
def test_condition_grid_bad_replications_name_the_argument(value, as_function):
    B = (lambda f: value) if as_function else value
    with pytest.raises((ValueError, TypeError), match="`replications`"):
        condition_grid(B, n=[20, 50])


@settings(max_examples=30, deadline=None)
@given(kind=NUMPY_INTS, value=hs.integers(2, 100), levels=hs.lists(hs.integers(2, 127),
                                                                  min_size=1, max_size=4,
                                                                  unique=True))
def test_condition_grid_accepts_numpy_integers(kind, value, levels):
    grid = condition_grid(kind(value), n=np.array(levels, dtype=kind))
    plain = condition_grid(value, n=levels)
    assert [(c.label, c.id, c.replications) for c in grid] == \
        [(c.label, c.id, c.replications) for c in plain]
    assert all(type(c.replications) is int and type(c["n"]) is int for c in grid)


def test_regression_numpy_design_fails_after_the_run(tmp_path):
    """Regression (issue 13 item 5): condition_grid(np.int64(B), n=np.array([...])) raised
    "Object of type int64 is not JSON serializable" -- a numpy level at once (the condition
    id), a numpy B only when the run's record was written, after all its work."""
    design = condition_grid(np.int64(4), n=np.arange(20, 22))
    study = Study(["ecdf"], dgp="normal", design=design, m=50, block_size=2)
    res = run_study(study, seed=1, out_dir=tmp_path, progress=False)
    assert res.tidy.groupby("condition")["rep"].nunique().tolist() == [4, 4]
    assert (tmp_path / "study.json").exists()


# -- Damaged block files -----------------------------------------------------------------------


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty", "not-a-block"])
def test_regression_corrupted_block_raised_pyarrow_error_on_resume(damage, tmp_path):
    """Regression (issue 13 item 5): a block file cut short (disk full, a copy interrupted)
    or overwritten made the resume fail inside pyarrow ("Parquet magic bytes not found").
    It is now computed again, with a RuntimeWarning naming the file."""
    conds = [Condition((), 10)]
    whole = _run(uniform_block, conds, out=tmp_path, block_size=3)
    victim = sorted((tmp_path / "blocks").glob("block-*.parquet"))[1]
    data = victim.read_bytes()
    if damage == "truncated":
        victim.write_bytes(data[: len(data) // 2])
    elif damage == "garbage":
        victim.write_bytes(np.random.default_rng(0).bytes(len(data)))
    elif damage == "empty":
        victim.write_bytes(b"")
    else:  # a readable parquet file without the runner's columns
        pd.DataFrame({"x": [1.0]}).to_parquet(victim)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        again = _run(uniform_block, conds, out=tmp_path, block_size=3)
    named = [w for w in caught if issubclass(w.category, RuntimeWarning)
             and victim.name in str(w.message)]
    assert len(named) == 1
    assert tuple(again.blocks[["blocks_resumed", "blocks_computed"]].iloc[0]) == (3, 1)
    pd.testing.assert_frame_equal(again.frames[""], whole.frames[""], check_exact=True)
    # The block was rewritten whole: the next run resumes all of it.
    third = _run(uniform_block, conds, out=tmp_path, block_size=3)
    assert int(third.blocks.blocks_resumed.iloc[0]) == 4


def test_corrupted_block_in_a_study_is_recomputed(tmp_path):
    """The same through run_study: the damaged block's replications come back identical."""
    study = poc_study(replications=8, n=20, m=200, gan=GANConfig(steps=20), block_size=4)
    first = run_study(study, seed=2, out_dir=tmp_path, progress=False)
    victim = sorted((tmp_path / "blocks").glob("block-*.parquet"))[0]
    victim.write_bytes(victim.read_bytes()[:-40])
    with pytest.warns(RuntimeWarning, match=re.escape(victim.name)):
        again = run_study(study, seed=2, out_dir=tmp_path, progress=False)
    assert tuple(again.conditions[["blocks_resumed", "blocks_computed"]].iloc[0]) == (1, 1)
    pd.testing.assert_frame_equal(again.tidy, first.tidy, check_exact=True)

