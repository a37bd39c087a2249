"""Process and file hygiene of a run: block checksums, the output folder's lock, temporary
files after a failed write, unreadable records, and worker processes after the driver dies.
"""

import errno
import fcntl
import os
import signal
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.stats as st

import gansim.study.executors as executors
import gansim.study.runner as runner
from gansim import EmpiricalCDF, Study, run_study
from gansim.cli import main
from gansim.rng import replication_streams
from gansim.study.core import LOCK_FILE, hold_locks
from gansim.study.design import Condition, condition_grid
from gansim.study.runner import checksum_path, run_blocks

ROOT = Path(__file__).resolve().parents[1]


def uniform_block(reps, seed, condition):
    """A cheap block: one uniform per replication from its own data stream."""
    return pd.DataFrame({
        "rep": reps, "status": "ok", "error": "",
        "u": [replication_streams(seed, r, condition.id).data_rng().random() for r in reps]})


def _run(out, B=9, block_size=3):
    return run_blocks(uniform_block, [Condition((), B)], seed=4, block_size=block_size,
                      settings=lambda c: {}, out_dir=out, n_jobs=1, progress=False)


def _blocks(out):
    return sorted(Path(out, "blocks").glob("block-*.parquet"))


def _caught(fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = fn()
    return value, [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]


# -- Block checksums ----------------------------------------------------------------------------


def _flip(path: Path, value: float, bit: int) -> float:
    """Flip ``bit`` of the float64 ``value`` where its bytes lie in the file; the new value."""
    data = bytearray(path.read_bytes())
    raw = np.float64(value).tobytes()
    at = data.find(raw)
    assert at >= 0 and data.find(raw, at + 1) < 0
    data[at + bit // 8] ^= 1 << (bit % 8)
    path.write_bytes(bytes(data))
    return float(np.frombuffer(bytes(data[at:at + 8]), dtype=np.float64)[0])


@pytest.mark.parametrize("bit", [0, 62], ids=["last-mantissa-bit", "top-exponent-bit"])
def test_a_flipped_bit_that_still_parses_is_recomputed(bit, tmp_path):
    """A single bit flipped in a block's data still parses and passes every check of the
    block's rows (negative control below); its checksum catches it: a warning names the
    file and its replications are computed again, identical to the first run."""
    first = _run(tmp_path)
    victim = _blocks(tmp_path)[1]
    # The block's middle value: its smallest and largest are also in the file's statistics.
    value = float(np.median(first.frames[""]["u"].iloc[3:6]))
    flipped = _flip(victim, value, bit)
    assert flipped != value
    # Negative control: the damaged file reads, with the flipped value, and its rows are
    # this block's, so only the checksum tells it apart.
    damaged = pd.read_parquet(victim)
    assert flipped in damaged["u"].to_numpy()
    assert runner._reusable(damaged, 3, 6, Condition((), 9), 4, victim)
    again, messages = _caught(lambda: _run(tmp_path))
    assert [m for m in messages if victim.name in m and "checksum" in m], messages
    assert tuple(again.blocks[["blocks_resumed", "blocks_computed"]].iloc[0]) == (2, 1)
    pd.testing.assert_frame_equal(again.frames[""], first.frames[""], check_exact=True)
    third, messages = _caught(lambda: _run(tmp_path))
    assert messages == [] and int(third.blocks.blocks_resumed.iloc[0]) == 3


def test_checksum_files_are_sha256sum_lines_a_dataset_reader_skips(tmp_path):
    import hashlib

    _run(tmp_path)
    for block in _blocks(tmp_path):
        digest, name = checksum_path(block).read_text().split()
        assert name == block.name
        assert digest == hashlib.sha256(block.read_bytes()).hexdigest()
    assert len(pd.read_parquet(tmp_path / "blocks")) == 9  # the folder reads as one table


def test_a_damaged_checksum_file_recomputes_its_block(tmp_path):
    first = _run(tmp_path)
    checksum_path(_blocks(tmp_path)[0]).write_text("0" * 64 + "  other\n")
    again, messages = _caught(lambda: _run(tmp_path))
    assert any("checksum" in m for m in messages)
    assert int(again.blocks.blocks_computed.iloc[0]) == 1
    pd.testing.assert_frame_equal(again.frames[""], first.frames[""], check_exact=True)


def test_blocks_without_checksum_are_reused_once_with_a_warning(tmp_path):
    """Blocks written before checksums existed are reused after the checks of their rows,
    with one warning for all of them; their checksums are recorded then, so the next run
    is silent and a later change is caught."""
    first = _run(tmp_path)
    for block in _blocks(tmp_path):
        checksum_path(block).unlink()
    again, messages = _caught(lambda: _run(tmp_path))
    assert len(messages) == 1 and "3 block file(s)" in messages[0], messages
    assert "--overwrite" in messages[0]
    assert int(again.blocks.blocks_resumed.iloc[0]) == 3
    assert all(checksum_path(b).exists() for b in _blocks(tmp_path))
    pd.testing.assert_frame_equal(again.frames[""], first.frames[""], check_exact=True)
    _, messages = _caught(lambda: _run(tmp_path))
    assert messages == []
    # Overwriting removes the checksums with the blocks, then writes both anew.
    run_blocks(uniform_block, [Condition((), 9)], seed=4, block_size=3, settings=lambda c: {},
               out_dir=tmp_path, n_jobs=1, progress=False, overwrite=True)
    assert len(list((tmp_path / "blocks").glob("_block-*.sha256"))) == 3


# -- Temporary files after a failed write ------------------------------------------------------


@pytest.mark.parametrize("where", ["fsync", "write"])
def test_a_full_disk_names_the_path_and_leaves_no_temporary_file(where, tmp_path,
                                                                 monkeypatch):
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    if where == "fsync":
        monkeypatch.setattr(os, "fsync", full)
    else:
        real = Path.write_bytes

        def partial_write(self, data):
            real(self, data[:10])  # a file cut short, as a full disk leaves it
            full()

        monkeypatch.setattr(Path, "write_bytes", partial_write)
    with pytest.raises(OSError, match="No space left") as exc:
        _run(tmp_path)
    assert exc.value.filename.startswith(str(tmp_path / "blocks"))
    assert exc.value.errno == errno.ENOSPC
    left = [p.name for p in (tmp_path / "blocks").iterdir()]
    assert not [n for n in left if n.endswith(".tmp")], left
    assert not _blocks(tmp_path)


def test_a_full_disk_on_the_command_line_is_one_line_naming_the_path(tmp_path, monkeypatch,
                                                                     capsys):
    monkeypatch.setattr(os, "fsync",
                        lambda fd: (_ for _ in ()).throw(OSError(errno.ENOSPC, "full")))
    out = tmp_path / "out"
    code = main(["poc", "-B", "2", "--n", "10", "--m", "20", "--steps", "2", "--n-jobs", "1",
                 "--gan-bootstrap", "0", "--out", str(out), "--no-progress"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1, err
    assert str(out / "blocks") in err[0] and "full" in err[0]
    assert not list(out.rglob("*.tmp"))


def test_a_full_disk_in_a_writer_that_names_no_file_names_the_output_folder(
        tmp_path, monkeypatch, capsys):
    import gansim.studies.poc as poc

    def full(*args, **kwargs):  # as matplotlib's savefig on a full disk
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(poc, "write_outputs", full)
    out = tmp_path / "out"
    code = main(["poc", "-B", "2", "--n", "10", "--m", "20", "--steps", "2", "--n-jobs", "1",
                 "--gan-bootstrap", "0", "--out", str(out), "--no-progress"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1, err
    assert "No space left" in err[0] and f"--out {str(out)!r}" in err[0]


# -- Unreadable records ------------------------------------------------------------------------

TINY = Study([EmpiricalCDF()], dgp="normal", replications=4, n=10, m=20, block_size=2)


@pytest.mark.parametrize("name, text", [("study.json", ""), ("study.json", "[1]"),
                                        ("blocks/_settings.json", "{")])
def test_an_unreadable_record_is_an_error_naming_the_file(name, text, tmp_path):
    run_study(TINY, seed=1, out_dir=tmp_path, progress=False)
    if name != "study.json":
        (tmp_path / "study.json").unlink()
    (tmp_path / name).write_text(text)
    with pytest.raises(ValueError, match="cannot be read") as exc:
        run_study(TINY, seed=1, out_dir=tmp_path, progress=False)
    assert str(tmp_path / name) in str(exc.value) and "--overwrite" in str(exc.value)
    run_study(TINY, seed=1, out_dir=tmp_path, progress=False, overwrite=True)  # the way out


def test_an_empty_study_record_on_the_command_line(tmp_path, capsys):
    (tmp_path / "study.json").write_text("")
    code = main(["poc", "-B", "2", "--n", "10", "--m", "20", "--steps", "2",
                 "--out", str(tmp_path), "--no-progress"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and str(tmp_path / "study.json") in err[0], err


# -- The output folder's lock ------------------------------------------------------------------


def test_a_planted_symlink_lock_does_not_empty_its_target(tmp_path):
    target = tmp_path / "precious.txt"
    target.write_text("keep me")
    out = tmp_path / "out"
    out.mkdir()
    (out / LOCK_FILE).symlink_to(target)
    with pytest.raises(ValueError, match="symbolic link") as exc:
        run_study(TINY, seed=1, out_dir=out, progress=False)
    assert str(out / LOCK_FILE) in str(exc.value)
    assert target.read_text() == "keep me"
    assert not (out / "blocks").exists()


def test_the_lock_file_is_private_and_not_truncated(tmp_path):
    run_study(TINY, seed=1, out_dir=tmp_path, progress=False)
    assert (tmp_path / LOCK_FILE).stat().st_mode & 0o777 == 0o600


def _lock_is_free(folder: Path) -> bool:
    """Whether another open of ``folder``'s lock can take it now (flock locks belong to an
    open file, so this process's other descriptor counts as another run)."""
    fd = os.open(folder / LOCK_FILE, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


def test_the_lock_is_held_until_the_end_of_hold_locks(tmp_path):
    run_study(TINY, seed=1, out_dir=tmp_path, progress=False)
    assert _lock_is_free(tmp_path)  # negative control: a bare run_study releases it
    with hold_locks():
        run_study(TINY, seed=1, out_dir=tmp_path, progress=False)
        assert not _lock_is_free(tmp_path)
        run_study(TINY, seed=1, out_dir=tmp_path, progress=False)  # the same command again
    assert _lock_is_free(tmp_path)


def test_a_command_whose_runs_are_in_subfolders_locks_its_own_folder(tmp_path):
    """As rates_floor: runs in OUT/parts/<dgp>, combined files in OUT; OUT is locked with the
    first run and stays locked; a command on an OUT another holds is refused."""
    part = tmp_path / "parts" / "normal"
    with hold_locks(tmp_path):
        assert not (tmp_path / LOCK_FILE).exists()  # nothing locked before a run starts
        run_study(TINY, seed=1, out_dir=part, progress=False)
        assert not _lock_is_free(tmp_path) and not _lock_is_free(part)
    assert _lock_is_free(tmp_path) and _lock_is_free(part)
    # A command on a folder another run holds is refused before any work.
    fd = os.open(tmp_path / LOCK_FILE, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as a running command holds it
        with hold_locks(tmp_path), pytest.raises(ValueError, match="in use by another run"):
            run_study(TINY, seed=1, out_dir=tmp_path / "parts" / "t", progress=False)
    finally:
        os.close(fd)
    assert not (tmp_path / "parts" / "t" / "blocks").exists()


def test_the_command_holds_the_lock_while_it_writes_its_outputs(tmp_path, monkeypatch):
    """poc runs the study, its GAN-bootstrap companion, then writes the figures and tables:
    both folders stay locked until the last file is written."""
    import gansim.studies.poc as poc

    seen = {}
    real = poc.write_outputs

    def probe(out_dir, *args, **kwargs):
        seen["main"] = _lock_is_free(Path(out_dir))
        seen["companion"] = _lock_is_free(Path(out_dir, "gan_bootstrap"))
        return real(out_dir, *args, **kwargs)

    monkeypatch.setattr(poc, "write_outputs", probe)
    code = main(["poc", "-B", "2", "--n", "10", "--m", "20", "--steps", "2", "--n-jobs", "1",
                 "--gan-bootstrap", "2", "--out", str(tmp_path), "--no-progress"])
    assert code == 0
    assert seen == {"main": False, "companion": False}
    assert _lock_is_free(tmp_path) and _lock_is_free(tmp_path / "gan_bootstrap")


# -- Worker processes -------------------------------------------------------------------------


def test_local_workers_never_outnumber_blocks_or_cores(monkeypatch):
    monkeypatch.setattr(executors, "usable_cores", lambda: 4)
    assert executors.workers_for(6, 2) == 2
    assert executors.workers_for(-1, 10) == 4
    assert executors.workers_for(3, 10) == 3
    with pytest.warns(RuntimeWarning, match="`n_jobs` 6 is more than the 4 usable cores"):
        assert executors.workers_for(6, 10) == 4


def test_run_blocks_starts_no_more_workers_than_blocks(monkeypatch):
    import joblib

    asked = []
    real = joblib.Parallel

    def parallel(*args, n_jobs=None, **kwargs):
        asked.append(n_jobs)
        return real(*args, n_jobs=1, **kwargs)

    monkeypatch.setattr(joblib, "Parallel", parallel)
    monkeypatch.setattr(executors, "usable_cores", lambda: 8)
    run = run_blocks(uniform_block, [Condition((), 4)], seed=1, block_size=2,
                     settings=lambda c: {}, n_jobs=6, progress=False)
    assert asked == [2] and len(run.frames[""]) == 4


DRIVER = textwrap.dedent("""
    import os, sys, time
    from pathlib import Path
    import pandas as pd
    from gansim.study.design import Condition
    from gansim.study.runner import run_blocks

    def block(reps, seed, condition):
        Path(sys.argv[1], f"worker-{os.getpid()}").write_text("")
        time.sleep(120)
        return pd.DataFrame({"rep": reps, "status": "ok", "error": ""})

    run_blocks(block, [Condition((), 4)], seed=1, block_size=1, settings=lambda c: {},
               n_jobs=2, progress=False)
""")


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in "ZX"  # a zombie holds no memory and runs nothing


@pytest.mark.skipif(not Path("/proc/self/stat").exists() or executors.usable_cores() < 2,
                    reason="needs /proc and two cores")
def test_workers_exit_when_the_driver_is_killed(tmp_path):
    """SIGKILL of the process that started the run (only it, not its process group): its
    worker processes exit within seconds instead of living on as orphans."""
    proc = subprocess.Popen([sys.executable, "-c", DRIVER, str(tmp_path)], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    workers: list[int] = []
    try:
        t_end = time.monotonic() + 60
        while len(workers) < 2 and time.monotonic() < t_end and proc.poll() is None:
            workers = [int(p.name.split("-")[1]) for p in tmp_path.glob("worker-*")]
            time.sleep(0.05)
        assert len(workers) == 2, "the workers did not start"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        t_end = time.monotonic() + 10
        while any(_running(p) for p in workers) and time.monotonic() < t_end:
            time.sleep(0.05)
        left = [p for p in workers if _running(p)]
        assert not left, f"workers {left} outlived their driver"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        for pid in workers:  # by pid, whatever the test found
            if _running(pid):
                os.kill(pid, signal.SIGKILL)


def test_condition_folders_are_named_by_id_and_read_as_one_table(tmp_path):
    # No factor level's text reaches a path; the folder reads as one parquet dataset; a
    # folder named by the label (earlier versions) is renamed and its blocks resumed.
    study = Study([EmpiricalCDF()], dgp=st.norm(), design=condition_grid(3, n=[5, 7]),
                  functionals=["mean"], distances=[], block_size=3)
    first = run_study(study, seed=2, progress=False, out_dir=tmp_path)
    names = sorted(p.name for p in (tmp_path / "blocks").iterdir() if p.is_dir())
    assert names == sorted(f"condition-{c.id}" for c in study.conditions)
    table = pd.read_parquet(tmp_path / "blocks")
    assert len(table) == len(first.tidy) and set(table["n"]) == {5, 7}
    cond = study.conditions[0]
    os.replace(tmp_path / "blocks" / f"condition-{cond.id}", tmp_path / "blocks" / cond.label)
    again = run_study(study, seed=2, progress=False, out_dir=tmp_path)
    assert (tmp_path / "blocks" / f"condition-{cond.id}").is_dir()
    assert not (tmp_path / "blocks" / cond.label).exists()
    pd.testing.assert_frame_equal(again.tidy, first.tidy)
