"""A dask cluster of real processes: a ``dask scheduler`` and ``dask worker`` subprocesses on
127.0.0.1, as a user starts them by hand (docs/cluster.md).

Unlike a LocalCluster (tests/test_dask.py), these workers share nothing with the test
process: they import gansim from their own path, and cannot import this module or a user's
study module.  Each test starts its own processes, bounded in time, and stops every one by
its PID (process group) at its end, whatever happened.  Skipped where ``distributed`` is not
installed.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest

from gansim.gan.config import GANConfig
from gansim.study.core import Study, run_study
from gansim.study.executors import ClusterError
from gansim.study.methods import GAN, EmpiricalCDF

distributed = pytest.importorskip("distributed")

pytestmark = pytest.mark.cluster

ROOT = Path(__file__).resolve().parents[1]
#: Seconds any one process may take to start or to stop.
START_S = 60


def _env(pythonpath: Path | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DASK_")}
    # The workers import gansim from `pythonpath` (a modified copy) or from this checkout;
    # never the test's folder, so that the test module cannot be imported there.
    env["PYTHONPATH"] = str(pythonpath or ROOT)
    env["DASK_DISTRIBUTED__WORKER__DAEMON"] = "False"
    env["OMP_NUM_THREADS"] = "1"
    return env


class Processes:
    """The subprocesses a test started: each in its own process group, all stopped by PID
    (SIGTERM, then SIGKILL) when the test ends."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.procs: list[subprocess.Popen] = []

    def start(self, *args, pythonpath: Path | None = None, name: str) -> subprocess.Popen:
        log = open(self.tmp / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen([sys.executable, "-m", "dask", *args], cwd=self.tmp,
                                env=_env(pythonpath), stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        proc.log = log
        self.procs.append(proc)
        return proc

    def scheduler(self) -> tuple[subprocess.Popen, Path]:
        file = self.tmp / "scheduler.json"
        proc = self.start("scheduler", "--host", "127.0.0.1", "--port", "0",
                          "--no-dashboard", "--scheduler-file", str(file), name="scheduler")
        _until(file.exists, "the scheduler file")
        return proc, file

    def worker(self, file: Path, *, name: str, pythonpath: Path | None = None,
               nanny: bool = True) -> subprocess.Popen:
        return self.start("worker", "--scheduler-file", str(file), "--nthreads", "1",
                          "--no-dashboard", "--host", "127.0.0.1", "--death-timeout", "30",
                          "--local-directory", str(self.tmp / "dask-worker-space"),
                          "--nanny" if nanny else "--no-nanny", "--name", name,
                          pythonpath=pythonpath, name=name)

    def stop(self, proc: subprocess.Popen, sig=signal.SIGTERM) -> None:
        """Stop ``proc`` and its children (its process group)."""
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                pass
        try:
            proc.wait(timeout=START_S)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=START_S)
        proc.log.close()

    def stop_all(self) -> None:
        for proc in reversed(self.procs):
            self.stop(proc)
        for proc in self.procs:  # a worker's own children (its nanny's worker) too
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


def _until(condition, what: str, timeout: float = START_S) -> None:
    t0 = time.monotonic()
    while not condition():
        if time.monotonic() - t0 > timeout:
            raise AssertionError(f"{what} did not come within {timeout} s")
        time.sleep(0.1)


@contextmanager
def cluster(tmp: Path, n_workers: int = 2):
    """A scheduler and ``n_workers`` workers (without nannies: a killed one stays dead) on
    127.0.0.1, and a client of them; everything stopped by PID at the end."""
    procs = Processes(tmp)
    try:
        _, file = procs.scheduler()
        for i in range(n_workers):
            procs.worker(file, name=f"w{i}", nanny=False)
        client = distributed.Client(scheduler_file=str(file), timeout=START_S)
        try:
            client.wait_for_workers(n_workers, timeout=START_S)
            yield procs, client, file
        finally:
            client.close(timeout=10)
    finally:
        procs.stop_all()


def _user_module(folder: Path, gate: Path) -> str:
    """A study's pieces in the user's own module, importable here only (not on workers)."""
    folder.mkdir()
    (folder / "my_gansim_study.py").write_text(f"GATE = {str(gate)!r}\n" + textwrap.dedent("""
        import os
        import time

        import numpy as np

        def generate(condition, rng):
            # Armed to kill: the first call anywhere ends its process (the marker, created
            # atomically, makes it once).  Armed to wait: every call waits until the gate
            # is open (at most a minute).
            if os.path.exists(GATE + ".kill"):
                try:
                    os.close(os.open(GATE + ".killed", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
                    os._exit(1)
                except FileExistsError:
                    pass
            if os.path.exists(GATE + ".armed"):
                open(GATE + ".started", "w").close()
                t0 = time.monotonic()
                while not os.path.exists(GATE + ".open") and time.monotonic() - t0 < 60:
                    time.sleep(0.05)
            return rng.standard_t(5, size=condition["n"])

        def trimmed_mean(x):
            x = np.sort(x)
            return float(x[len(x) // 10: len(x) - len(x) // 10].mean())
    """))
    return "my_gansim_study"


def _study(module, B: int = 8) -> Study:
    return Study([EmpiricalCDF(), GAN(GANConfig(steps=10))], generate=module.generate,
                 replications=B, n=20, m=100,
                 functionals={"mean": "mean", "trimmed": module.trimmed_mean},
                 distances=[], block_size=2)


def _modified_gansim(tmp: Path) -> Path:
    """A copy of gansim whose source differs by one comment (another code digest)."""
    root = tmp / "other-gansim"
    shutil.copytree(ROOT / "gansim", root / "gansim",
                    ignore=shutil.ignore_patterns("__pycache__", "*.so"))
    with open(root / "gansim" / "inference" / "intervals.py", "a") as f:
        f.write("\n# a change on one worker only\n")
    return root


@pytest.mark.filterwarnings(r"ignore:1 worker\(s\) that joined:RuntimeWarning")
def test_real_workers_user_module_killed_and_mismatched_workers(tmp_path, monkeypatch):
    """With a scheduler and two workers started by hand: a study in the user's own module
    (which the workers cannot import) gives the local run's results, also when a worker is
    killed mid-run; a worker running other gansim code is refused when present at the
    start (one line naming the difference), and closed when it joins mid-run, which the
    run survives with identical results; the last worker killed ends the run in one line."""
    gate = tmp_path / "gate"
    monkeypatch.syspath_prepend(str(tmp_path / "user"))
    module = __import__(_user_module(tmp_path / "user", gate))
    monkeypatch.delitem(sys.modules, module.__name__)  # restored (absent) at the end
    study = _study(module)
    local = run_study(study, seed=4, progress=False)
    other = _modified_gansim(tmp_path)
    with cluster(tmp_path) as (procs, client, file):
        Path(f"{gate}.kill").touch()
        remote = run_study(study, seed=4, progress=False, out_dir=tmp_path / "a",
                           executor=str(file))
        assert Path(f"{gate}.killed").exists()  # a worker did die, and stays dead
        pd.testing.assert_frame_equal(remote.tidy, local.tidy)
        assert "refused" not in remote.executor
        _until(lambda: len(client.nthreads()) == 1, "the killed worker's leaving")

        # Present at the start with other code: the run is refused before any block.
        bad = procs.worker(file, name="bad", pythonpath=other, nanny=False)
        client.wait_for_workers(2, timeout=START_S)
        with pytest.raises(ValueError, match=r"1 of 2 workers .* cannot run this study, .*"
                                             r"its code differs from the driver's: gansim "
                                             r"source \(digest"):
            run_study(study, seed=4, progress=False, out_dir=tmp_path / "b",
                      executor=client)
        assert not list((tmp_path / "b").rglob("block-*.parquet"))
        procs.stop(bad)
        _until(lambda: len(client.nthreads()) == 1, "the bad worker's leaving")

        # Joining mid-run with other code (and a nanny that would restart it): closed.
        Path(f"{gate}.armed").touch()
        box: dict = {}
        run = threading.Thread(target=lambda: box.update(result=run_study(
            study, seed=4, progress=False, out_dir=tmp_path / "c", executor=client)))
        run.start()
        try:
            _until(Path(f"{gate}.started").exists, "the first block")
            late = procs.worker(file, name="late", pythonpath=other, nanny=True)
            late.wait(timeout=START_S)  # refused: the worker and its nanny close
        finally:
            Path(f"{gate}.open").touch()
            run.join(timeout=START_S)
        result = box["result"]
        pd.testing.assert_frame_equal(result.tidy, local.tidy)
        refused = result.executor["refused"]
        assert len(refused) == 1 and "gansim source (digest" in refused[0]["error"]

        # The last worker killed mid-run: after `timeout` seconds without any, one line.
        Path(f"{gate}.armed").unlink()
        Path(f"{gate}.killed").unlink()  # the next block kills its worker
        with pytest.raises(ClusterError, match=r"^every worker of the dask cluster at \S+ is "
                                               r"gone \(none for 2 s\)\. \d of 4 blocks are "
                                               r"saved in .*; rerun the same command"):
            run_study(study, seed=5, progress=False, out_dir=tmp_path / "d",
                      executor=client, timeout=2)


def test_real_scheduler_no_workers_late_workers_lost_scheduler_and_resume(tmp_path):
    """A scheduler without workers: a run is one line (ClusterError), or waits for workers
    that join late (an adaptive cluster) and then equals the local run.  The scheduler
    killed mid-run ends the command with one line and exit code 3; rerunning the same
    command resumes from the saved blocks to the results of a run without incident."""
    from gansim import cli
    from gansim.studies.poc import poc_study

    study = poc_study(replications=4, n=20, m=100, gan=GANConfig(steps=10), block_size=2)
    # 8 blocks of about 0.2 s each: the scheduler is killed with most of them pending.
    common = ["poc", "-B", "16", "--n", "20", "--m", "100", "--steps", "3000",
              "--block-size", "2", "--gan-bootstrap", "0", "--no-progress", "--n-jobs", "1"]
    procs = Processes(tmp_path)
    try:
        scheduler, file = procs.scheduler()
        with pytest.raises(ClusterError, match="has no workers.*--wait-for-workers"):
            run_study(study, seed=1, progress=False, executor=str(file))
        with pytest.raises(ClusterError, match=r"got 0 of the 1 checked workers waited "
                                               r"for in 1 s"):
            run_study(study, seed=1, progress=False, executor=str(file),
                      wait_for_workers=1, timeout=1)
        threading.Timer(0.5, procs.worker, (file,), {"name": "late", "nanny": False}).start()
        result = run_study(study, seed=1, progress=False, executor=str(file),
                           wait_for_workers=1, timeout=START_S)
        pd.testing.assert_frame_equal(result.tidy,
                                      run_study(study, seed=1, progress=False).tidy)

        out = tmp_path / "poc"
        cmd = subprocess.Popen([sys.executable, "-m", "gansim", *common, "--out", str(out),
                                "--scheduler-file", str(file)], cwd=ROOT, env=_env(),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            _until(lambda: len(list(out.rglob("block-*.parquet"))) >= 1, "a saved block",
                   timeout=START_S * 2)
            procs.stop(scheduler, signal.SIGKILL)
            _, err = cmd.communicate(timeout=START_S)
        finally:
            if cmd.poll() is None:
                cmd.kill()
                cmd.wait()
    finally:
        procs.stop_all()
    assert cmd.returncode == cli.EXIT_CLUSTER == 3, err
    assert len(err.strip().splitlines()) == 1, err
    assert re.fullmatch(r"gansim poc: cluster: lost the dask scheduler at tcp://127\.0\.0\.1:"
                        r"\d+ \(.*\)\. \d+ of 8 blocks are saved in .*; rerun the same "
                        r"command to resume from them\.\n", err), err
    saved = len(list(out.rglob("block-*.parquet")))
    assert 1 <= saved < 8

    # The same command, here on this machine's processes (where blocks run changes no
    # number), resumes from the saved blocks.
    assert cli.main([*common, "--out", str(out)]) == 0
    assert cli.main([*common, "--out", str(tmp_path / "fresh")]) == 0
    a, b = (pd.read_csv(tmp_path / k / "replications.csv.gz") for k in ("poc", "fresh"))
    pd.testing.assert_frame_equal(a, b)
