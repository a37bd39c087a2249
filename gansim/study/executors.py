"""Where the runner's blocks are computed: local processes (joblib) or a dask cluster.

An *executor* takes the runner's list of tasks, each ``(key, args)`` with ``args`` those of
:func:`gansim.study.runner._run_block`, and yields their results as they complete, in any order;
the driver (the process that called :func:`gansim.study.runner.run_blocks`) writes each finished
block file itself, so a worker never touches the output folder and a lost task is simply
computed again.

- :class:`LocalExecutor` (the default): joblib worker processes on this machine, exactly the
  runner's behaviour before executors existed; never more workers than blocks to compute or
  than usable cores, and each worker exits on its own when the process that started the run
  dies (killed, say), so no worker is left behind holding memory.
- :class:`DaskExecutor`: a ``distributed.Client``; every task is submitted at once with a
  stable key (a hash of the settings, the code digest, the condition and the block range)
  and ``retries=2``.  A worker plugin sets up and checks every worker, those present and
  those that join later (:class:`WorkerCheck`: the driver's code identity, the study's
  engine); an unfit worker present at the start stops the run before any block, one that
  joins later is closed.  A lost scheduler, a cluster that never got workers or every
  worker gone is a :class:`ClusterError` (one line).  Only a ``MemoryError``
  (:data:`INFRASTRUCTURE_ERRORS`) is raised from a block for the scheduler to retry; any
  other exception of the user's code is that replication's error row, as locally.  The
  user's own modules (a study defined outside an installed package) are pickled by value.
  ``distributed`` is an optional dependency (``pip install gansim[dask]``), imported only
  here and only when a cluster is named.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

__all__ = ["INFRASTRUCTURE_ERRORS", "Cluster", "ClusterError", "DaskExecutor",
           "LocalExecutor", "WorkerCheck", "as_executor", "block_key"]

#: Exceptions that say something about the machine, not about a method or the data: on a
#: cluster they are raised from the task (retried by the scheduler, never checkpointed).
#: An ``OSError`` is not one of them: raised by the user's own code (a file it reads, say)
#: it is that replication's error row, on a cluster as locally; a lost worker or scheduler
#: never reaches the block, the scheduler itself sees it.
INFRASTRUCTURE_ERRORS: tuple[type[BaseException], ...] = (MemoryError,)

Task = tuple[str, tuple]


class LocalExecutor:
    """joblib worker processes on this machine (the default).

    Parameters
    ----------
    n_jobs : int
        Worker processes; -1 uses every core.
    """

    backend = "local"

    def __init__(self, n_jobs: int = 1):
        self.n_jobs = n_jobs

    def run(self, fn: Callable, tasks: Sequence[Task],
            worker_check: Callable[[], None] | None = None) -> Iterator:
        """Yield ``fn(*args)`` of every task as it completes (any order).

        ``worker_check`` is not used: the workers are this machine, on which the study was
        declared, and a block's errors stay rows here as they always have.
        """
        from joblib import Parallel, delayed

        driver = os.getpid()
        jobs = (delayed(_in_worker)(driver, fn, *args) for _, args in tasks)
        n_jobs = workers_for(self.n_jobs, len(tasks))
        yield from Parallel(n_jobs=n_jobs, return_as="generator_unordered")(jobs)

    def info(self) -> dict:
        """What the run record says about where blocks ran."""
        return {"backend": self.backend, "n_jobs": self.n_jobs}

    def close(self) -> None:
        """Nothing to release."""


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity where the system says)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def workers_for(n_jobs: int, n_tasks: int) -> int:
    """Local worker processes for ``n_tasks`` blocks: ``n_jobs`` (-1: every usable core), at
    most one per block, and at most one per usable core (a warning says so: more processes
    than cores only share them, and each holds its own memory)."""
    cores = usable_cores()
    if n_jobs == -1:
        n_jobs = cores
    if min(n_jobs, n_tasks) > cores:
        warnings.warn(f"`n_jobs` {n_jobs} is more than the {cores} usable cores; running "
                      f"{cores} worker processes.", RuntimeWarning, stacklevel=3)
        n_jobs = cores
    return max(1, min(n_jobs, n_tasks))


#: Seconds between a worker's checks that the process that started the run is alive.
WATCH_INTERVAL = 0.2
_WATCHED: list[int] = []


def _in_worker(driver: int, fn: Callable, *args):
    """Run ``fn(*args)``; in a worker process (not the driver itself, as with one job),
    first start the watch that ends the worker when the driver is gone."""
    if os.getpid() != driver and not _WATCHED:
        _WATCHED.append(driver)
        threading.Thread(target=_watch, args=(driver, os.getppid()), daemon=True,
                         name="gansim-driver-watch").start()
    return fn(*args)


def _gone(pid: int) -> bool:
    """Whether process ``pid`` no longer runs (gone, or a zombie waiting to be reaped)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's (a reused pid)
        return True
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] in "ZX"
    except (OSError, IndexError):
        return False


def _watch(driver: int, parent: int) -> None:
    """Exit this worker at once when the driver dies: its parent changes (it is adopted by
    another process) or the driver's pid is gone.  Its blocks are lost with the driver; the
    driver's finished blocks are on disk, and a rerun resumes from them."""
    while True:
        time.sleep(WATCH_INTERVAL)
        if os.getppid() != parent or _gone(driver):
            os._exit(1)


class ClusterError(RuntimeError):
    """The cluster failed the run, not the study: a lost scheduler, a cluster that never got
    workers, every worker lost, a block that killed its workers.

    Its message is one line; the runner adds how many blocks are saved and that the same
    command resumes from them (the command line exits with its own code,
    :data:`gansim.cli.EXIT_CLUSTER`).
    """


class WorkerCheck:
    """What a worker must satisfy before it computes a block: the driver's code identity
    (:func:`gansim._platform.code_identity`: gansim's source digest, torch, numpy and the C
    compiler) and the study's own check (its GAN engine resolves as in the driver).

    Picklable (a module-level class holding plain data and the study's check), it travels
    to every worker, in the worker plugin and with every task.

    Parameters
    ----------
    identity : dict
        The driver's :func:`~gansim._platform.code_identity`.
    check : callable, optional
        ``check()`` raises when the study cannot run on this worker as in the driver.
    """

    def __init__(self, identity: dict, check: Callable[[], None] | None = None):
        self.identity = dict(identity)
        self.check = check

    def __call__(self) -> None:
        """Raise ValueError naming what differs when this process is not fit."""
        from gansim._platform import code_differences, code_identity

        differ = code_differences(self.identity, code_identity())
        if differ:
            raise ValueError(f"its code differs from the driver's: {'; '.join(differ)}")
        if self.check is not None:
            self.check()


#: Seconds between the driver's looks at the cluster while it waits for blocks.
POLL_INTERVAL = 0.05
#: Seconds between its checks that the cluster still has workers.
WORKERS_INTERVAL = 1.0


class DaskExecutor:
    """Blocks as tasks of a dask.distributed cluster.

    Every worker is set up and checked by a worker plugin
    (:class:`gansim.study._dask_plugin.SetupPlugin`) registered for the run: the workers
    present at the start, and every worker that joins later (an adaptive cluster, a nanny's
    restart).  A worker present at the start that fails the check stops the run before any
    block (a ``ValueError`` naming it); one that joins later and fails is closed, with its
    nanny, so that it takes no block, and the run record names it.  Each task checks its
    worker again before computing.

    Parameters
    ----------
    client : distributed.Client
        A connected client.  Closed by :meth:`close` only when ``own_client``.
    own_client : bool
        Whether this executor made the client (from an address or a scheduler file).
    retries : int
        Times the scheduler retries a task that raised (an infrastructure error).
    wait_for_workers : int
        Checked workers to wait for before submitting (an adaptive cluster starts none
        until asked); 0 needs at least one present at the start.
    timeout : float or None
        Seconds to wait for those workers, and for any worker when every worker is lost
        mid-run, before a :class:`ClusterError`; None waits without limit.
    """

    backend = "dask"

    def __init__(self, client, *, own_client: bool = False, retries: int = 2,
                 wait_for_workers: int = 0, timeout: float | None = 60.0):
        self.client = client
        self.own_client = own_client
        self.retries = retries
        self.wait_for_workers = int(wait_for_workers)
        self.timeout = timeout
        self.workers: dict[str, dict] = {}
        self.refused: dict[str, dict] = {}
        self._topic = ""
        self._present: set[str] = set()

    def run(self, fn: Callable, tasks: Sequence[Task],
            worker_check: Callable[[], None] | None = None) -> Iterator:
        """Submit every task at once; yield each result as it completes (any order).

        Every worker is set up and checked first (:class:`WorkerCheck`: the driver's code
        identity and ``worker_check``, e.g. that the GAN engine resolves as in the driver),
        so a worker unfit for the study stops the run before any block is computed.  The
        first task that still fails after its retries cancels the rest and raises its
        exception; blocks already yielded are kept by the driver.  The scheduler lost, or
        every worker gone for ``timeout`` seconds, raises :class:`ClusterError`.
        """
        from gansim._platform import code_identity
        from gansim.study._dask_plugin import by_value

        check = WorkerCheck(code_identity(), worker_check)
        futures = []
        try:
            with by_value([fn, check, tasks[:1]]):
                self._setup(check)
                futures = [self.client.submit(fn, *args, check=check,
                                              reraise=INFRASTRUCTURE_ERRORS, key=key,
                                              pure=False, retries=self.retries)
                           for key, args in tasks]
                yield from self._completed(futures)
        except ClusterError:
            raise
        except Exception as exc:
            lost = self._lost(exc)
            if lost is None:
                raise
            raise ClusterError(lost) from None
        finally:
            pending = [f for f in futures if not f.done()]
            if pending and self.client.status == "running":
                try:
                    self.client.cancel(pending)
                except Exception:  # the scheduler may be gone: nothing left to cancel
                    pass
            self._teardown()

    def _completed(self, futures) -> Iterator:
        """Yield results as they complete; raise ClusterError when no worker has been
        left for ``timeout`` seconds."""
        from distributed import as_completed

        done = as_completed(futures)
        looked, alone_since = time.monotonic(), None
        while not done.is_empty():
            batch = done.next_batch(block=False)
            for future in batch:
                result = future.result()  # raises the task's exception after its retries
                future.release()  # the driver holds the frame now; free the worker's copy
                yield result
            if batch:
                continue
            time.sleep(POLL_INTERVAL)
            if time.monotonic() - looked < WORKERS_INTERVAL:
                continue
            looked = time.monotonic()
            if self.client.nthreads():
                alone_since = None
                continue
            alone_since = alone_since or looked
            if self.timeout is not None and looked - alone_since > self.timeout:
                raise ClusterError(f"every worker of the dask cluster at {self.address} "
                                   f"is gone (none for {self.timeout:g} s).")

    def _lost(self, exc: BaseException) -> str | None:
        """The one line saying the cluster failed the run with ``exc``, or None when
        ``exc`` is the study's or the user's own."""
        from asyncio import CancelledError as AsyncCancelled
        from concurrent.futures import CancelledError

        from distributed.comm.core import CommClosedError
        from distributed.scheduler import KilledWorker

        if isinstance(exc, KilledWorker):
            # The scheduler gives up on a task whose workers died under it too often.
            return (f"the workers of the dask cluster at {self.address} computing block "
                    f"{exc.args[0]} died {exc.args[2] + 1} times (out of memory, say).")
        if isinstance(exc, CancelledError | AsyncCancelled | CommClosedError | OSError
                      | TimeoutError) or self.client.status != "running":
            reason = getattr(exc, "reason", None) or type(exc).__name__
            return f"lost the dask scheduler at {self.address} ({reason})."
        return None

    def _setup(self, check: WorkerCheck) -> None:
        """Register the plugin that sets up and checks every worker, now and later; wait
        for ``wait_for_workers`` checked workers; refuse unfit workers present now."""
        import uuid

        from gansim.study._dask_plugin import SetupPlugin, plugin_result

        self._topic = f"gansim-setup-{uuid.uuid4().hex[:12]}"
        self._check_dask_versions()
        present = self._present = set(self.client.nthreads())
        self.client.register_plugin(SetupPlugin(check, present, self._topic),
                                    name=self._topic)
        results = self.client.run(plugin_result, self._topic, workers=list(present),
                                  on_error="return") if present else {}
        # A worker whose setup did not report (it raised there: another gansim, say) is
        # unfit like one whose check failed, unless it has left meanwhile.
        still = set(self.client.nthreads()) if not all(
            isinstance(r, dict) for r in results.values()) else set(results)
        self.workers = {a: r if isinstance(r, dict) else
                        {"host": a, "gansim": None, "error": f"its setup failed ({r!r:.200})"}
                        for a, r in results.items() if isinstance(r, dict) or a in still}
        unfit = {addr: w for addr, w in self.workers.items() if w["error"]}
        if unfit:
            addr, first = next(iter(unfit.items()))
            raise ValueError(
                f"{len(unfit)} of {len(self.workers)} workers of the dask cluster at "
                f"{self.address} cannot run this study, e.g. {addr} on host {first['host']}: "
                f"{first['error']}")
        need = max(self.wait_for_workers, 1)
        if len(self.workers) >= need:
            return
        if not self.wait_for_workers:
            raise ClusterError(
                f"the dask cluster at {self.address} has no workers; start some with "
                f"`dask worker {self.address} --nthreads 1`, or wait for a cluster that "
                "starts them on demand (--wait-for-workers N).")
        t0 = time.monotonic()
        while len(self._checked()) < need:
            if self.timeout is not None and time.monotonic() - t0 > self.timeout:
                refused = f" ({len(self.refused)} refused)" if self.refused else ""
                raise ClusterError(
                    f"the dask cluster at {self.address} got {len(self.workers)} of the "
                    f"{need} checked workers waited for in {self.timeout:g} s{refused}.")
            time.sleep(0.2)

    def _check_dask_versions(self) -> None:
        """Refuse, in one line, a scheduler or worker whose Python or dask's own packages
        differ from this process's (what ``client.get_versions(check=True)`` checks, there
        as a table): the tasks would not unpickle alike there."""
        from distributed.versions import required_packages

        versions = self.client.get_versions()
        mine = versions["client"]
        others = {"the scheduler": versions["scheduler"],
                  **{f"worker {a}": v for a, v in versions["workers"].items()
                     if isinstance(v, dict)}}
        wanted = {"python": mine["host"]["python"],
                  **{k: mine["packages"].get(k) for k in required_packages}}
        for who, v in others.items():
            have = {"python": v.get("host", {}).get("python"), **v.get("packages", {})}
            differ = [f"{k} {have.get(k)} (here {want})" for k, want in wanted.items()
                      if have.get(k) != want]
            if differ:
                raise ValueError(f"{who} of the dask cluster at {self.address} runs other "
                                 f"versions than this process: {', '.join(differ)}; use one "
                                 "environment for the driver and the cluster.")

    def _checked(self) -> dict[str, dict]:
        """Update :attr:`workers` (fit, still present) and :attr:`refused` from the plugin's
        reports; return the fit ones."""
        try:
            events = self.client.get_events(self._topic)
        except Exception:  # the scheduler is gone: what was known stays
            return self.workers
        current = set(self.client.nthreads())
        for _, report in events:
            if report.get("error"):
                if report["address"] not in self._present:  # those refuse the run itself
                    self.refused[report["address"]] = report
            elif report["address"] in current:
                self.workers[report["address"]] = report
        return self.workers

    def _teardown(self) -> None:
        if not self._topic or self.client.status != "running":
            return
        try:
            self._checked()
            self.client.unregister_worker_plugin(self._topic)
        except Exception:  # the cluster going away while the run ends: nothing to undo
            pass
        if self.refused:
            addr, first = next(iter(self.refused.items()))
            warnings.warn(f"{len(self.refused)} worker(s) that joined the dask cluster at "
                          f"{self.address} during the run were refused and closed, e.g. "
                          f"{addr} on host {first['host']}: {first['error']}",
                          RuntimeWarning, stacklevel=2)

    @property
    def address(self) -> str:
        """The scheduler's address."""
        return self.client.scheduler.address

    def info(self) -> dict:
        """Backend, scheduler address, workers and their hosts, for the run record."""
        import distributed

        try:
            threads = self.client.nthreads()
        except Exception:
            threads = {}
        out = {"backend": self.backend, "scheduler": self.address,
               "n_workers": len(self.workers),
               "threads": int(sum(threads.get(w, 0) for w in self.workers)),
               "hosts": sorted({w["host"] for w in self.workers.values()}),
               "gansim_on_workers": sorted({w["gansim"] for w in self.workers.values()}),
               "distributed": distributed.__version__, "retries": self.retries}
        if self.refused:
            out["refused"] = [{"address": a, "host": w["host"], "error": w["error"]}
                              for a, w in sorted(self.refused.items())]
        return out

    def close(self) -> None:
        """Close the client when this executor opened it."""
        if self.own_client:
            try:
                self.client.close(timeout=5)
            except Exception:  # a lost scheduler: the client is closed as far as it can be
                pass


class Cluster:
    """A dask cluster named by its scheduler, with how long to wait for its workers: what the
    command line's ``--scheduler-address``/``--scheduler-file`` and ``--wait-for-workers``
    make, for ``run_study(executor=...)``.  Each run opens (and closes) its own client.

    Parameters
    ----------
    scheduler : str or path
        A scheduler address (``"tcp://HOST:PORT"``) or the file of
        ``dask scheduler --scheduler-file PATH``.
    wait_for_workers : int
        Checked workers to wait for before the first block (0: at least one present).
    timeout : float or None
        Seconds to wait for them (None: no limit).
    """

    def __init__(self, scheduler, *, wait_for_workers: int = 0,
                 timeout: float | None = 60.0):
        self.scheduler = os.fspath(scheduler)
        self.wait_for_workers = int(wait_for_workers)
        self.timeout = timeout

    def __repr__(self) -> str:
        return (f"Cluster({self.scheduler!r}, wait_for_workers={self.wait_for_workers}, "
                f"timeout={self.timeout})")


def as_executor(executor: Any = None, n_jobs: int = 1, *, wait_for_workers: int = 0,
                timeout: float | None = 60.0):
    """The executor named by ``executor``.

    Parameters
    ----------
    executor : None, "local", distributed.Client, Cluster, str or path
        None or ``"local"``: :class:`LocalExecutor` with ``n_jobs``; a ``distributed.Client``;
        a :class:`Cluster`; a scheduler address (``"tcp://HOST:PORT"``, any ``scheme://``);
        or the path of a scheduler file (``dask scheduler --scheduler-file PATH``).  An
        executor object is returned as it is.
    n_jobs : int
        Worker processes of the local executor (a cluster has its own workers).
    wait_for_workers : int
        On a cluster: checked workers to wait for before the first block (a
        :class:`Cluster` says its own).
    timeout : float or None
        On a cluster: seconds to wait for them, and for any worker when all are lost.

    Returns
    -------
    LocalExecutor or DaskExecutor
    """
    if executor is None or (isinstance(executor, str) and executor == "local"):
        return LocalExecutor(n_jobs)
    if isinstance(executor, LocalExecutor | DaskExecutor) or all(
            hasattr(executor, a) for a in ("backend", "run", "info", "close")):
        return executor  # an executor object (a wrapper of one, say)
    wait = {"wait_for_workers": wait_for_workers, "timeout": timeout}
    if isinstance(executor, Cluster):
        wait = {"wait_for_workers": executor.wait_for_workers, "timeout": executor.timeout}
        executor = executor.scheduler
    if isinstance(executor, str | os.PathLike):
        text = os.fspath(executor)
        try:
            from distributed import Client
        except ImportError:
            raise ValueError("running on a dask cluster needs the package `distributed`: "
                             "pip install 'gansim[dask]'.") from None
        if "://" in text:
            return DaskExecutor(_connect(Client, text, wait["timeout"]), own_client=True,
                                **wait)
        if Path(text).is_file():
            return DaskExecutor(_connect(Client, None, wait["timeout"], scheduler_file=text),
                                own_client=True, **wait)
        raise ValueError(f"`executor` {text!r} is neither a scheduler address "
                         "(tcp://HOST:PORT) nor an existing scheduler file.")
    if type(executor).__name__ == "Client" and hasattr(executor, "submit"):
        return DaskExecutor(executor, **wait)
    raise TypeError("`executor` must be None, 'local', a distributed.Client, a scheduler "
                    f"address or a scheduler file, got {type(executor).__name__}.")


def _connect(client_type, address, timeout, **kwargs):
    """A client of the scheduler at ``address``; a scheduler that does not answer is a
    :class:`ClusterError` (one line), not a traceback."""
    try:
        return client_type(address, timeout=30 if timeout is None else min(timeout, 30),
                           **kwargs)
    except (OSError, TimeoutError) as exc:
        where = address or kwargs.get("scheduler_file")
        raise ClusterError(f"cannot reach the dask scheduler at {where} "
                           f"({type(exc).__name__}).") from None


def block_key(manifest: dict, label: str, start: int, stop: int) -> str:
    """A dask key stable across runs: the same block of the same settings has the same key
    (a resubmission is recognised by the scheduler), another block never does."""
    digest = hashlib.sha256(json.dumps(manifest, sort_keys=True, default=str).encode())
    return f"gansim-block-{digest.hexdigest()[:16]}-{label or 'all'}-{start}-{stop}"
