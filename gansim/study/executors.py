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
  stable key (a hash of the settings, the condition and the block range) and
  ``retries=2``; infrastructure errors (:data:`INFRASTRUCTURE_ERRORS`, and a worker that
  cannot run the study) are raised from the task, so the scheduler retries them and they
  are never written as rows.  ``distributed`` is an optional dependency
  (``pip install gansim[dask]``), imported only here and only when a cluster is named.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from gansim._platform import gansim_version, tune_malloc

__all__ = ["INFRASTRUCTURE_ERRORS", "DaskExecutor", "LocalExecutor", "as_executor",
           "block_key"]

#: Exceptions that say something about the machine, not about a method or the data: on a
#: cluster they are raised from the task (retried by the scheduler, never checkpointed).
INFRASTRUCTURE_ERRORS: tuple[type[BaseException], ...] = (MemoryError, OSError)

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


def _setup_worker(check: Callable[[], None] | None) -> dict:
    """Run once on every dask worker: one torch thread, the allocator tuned, the study's
    check (its engine resolves as in the driver); returns what the run record keeps."""
    import torch

    tune_malloc()
    # Two single-threaded processes beat one two-threaded one on these models; a worker
    # started with --nthreads 1 then runs one block at a time on one core.
    torch.set_num_threads(1)
    out = {"host": socket.gethostname(), "pid": os.getpid(), "gansim": gansim_version(),
           "error": None}
    if check is not None:
        try:
            check()
        except Exception as exc:  # returned, so that the driver names every unfit host
            out["error"] = f"{type(exc).__name__}: {exc}"
    return out


class DaskExecutor:
    """Blocks as tasks of a dask.distributed cluster.

    Parameters
    ----------
    client : distributed.Client
        A connected client.  Closed by :meth:`close` only when ``own_client``.
    own_client : bool
        Whether this executor made the client (from an address or a scheduler file).
    retries : int
        Times the scheduler retries a task that raised (an infrastructure error).
    """

    backend = "dask"

    def __init__(self, client, *, own_client: bool = False, retries: int = 2):
        self.client = client
        self.own_client = own_client
        self.retries = retries
        self.workers: dict[str, dict] = {}

    def run(self, fn: Callable, tasks: Sequence[Task],
            worker_check: Callable[[], None] | None = None) -> Iterator:
        """Submit every task at once; yield each result as it completes (any order).

        Every worker is set up and checked first (``worker_check``, e.g. that the GAN engine
        resolves as in the driver), so a worker unfit for the study stops the run before any
        block is computed.  The first task that still fails after its retries cancels the
        rest and raises its exception; blocks already yielded are kept by the driver.
        """
        from distributed import as_completed

        self._setup(worker_check)
        futures = [self.client.submit(fn, *args, check=worker_check,
                                      reraise=INFRASTRUCTURE_ERRORS, key=key, pure=False,
                                      retries=self.retries)
                   for key, args in tasks]
        try:
            for future in as_completed(futures):
                result = future.result()  # raises the task's exception after its retries
                future.release()  # the driver holds the frame now; free the worker's copy
                yield result
        finally:
            pending = [f for f in futures if not f.done()]
            if pending:
                self.client.cancel(pending)

    def _setup(self, check) -> None:
        self.workers = self.client.run(_setup_worker, check)
        unfit = {addr: w for addr, w in self.workers.items() if w["error"]}
        if unfit:
            addr, first = next(iter(unfit.items()))
            raise ValueError(
                f"{len(unfit)} of {len(self.workers)} workers of the dask cluster at "
                f"{self.address} cannot run this study, e.g. {addr} on host {first['host']}: "
                f"{first['error']}")
        if not self.workers:
            raise ValueError(f"the dask cluster at {self.address} has no workers; start some "
                             f"with `dask worker {self.address} --nthreads 1`.")

    @property
    def address(self) -> str:
        """The scheduler's address."""
        return self.client.scheduler.address

    def info(self) -> dict:
        """Backend, scheduler address, workers and their hosts, for the run record."""
        import distributed

        threads = self.client.nthreads()
        return {"backend": self.backend, "scheduler": self.address,
                "n_workers": len(self.workers),
                "threads": int(sum(threads.get(w, 0) for w in self.workers)),
                "hosts": sorted({w["host"] for w in self.workers.values()}),
                "gansim_on_workers": sorted({w["gansim"] for w in self.workers.values()}),
                "distributed": distributed.__version__, "retries": self.retries}

    def close(self) -> None:
        """Close the client when this executor opened it."""
        if self.own_client:
            self.client.close()


def as_executor(executor: Any = None, n_jobs: int = 1):
    """The executor named by ``executor``.

    Parameters
    ----------
    executor : None, "local", distributed.Client, str or path
        None or ``"local"``: :class:`LocalExecutor` with ``n_jobs``; a ``distributed.Client``;
        a scheduler address (``"tcp://HOST:PORT"``, any ``scheme://``); or the path of a
        scheduler file (``dask scheduler --scheduler-file PATH``).  An executor object is
        returned as it is.
    n_jobs : int
        Worker processes of the local executor (a cluster has its own workers).

    Returns
    -------
    LocalExecutor or DaskExecutor
    """
    if executor is None or (isinstance(executor, str) and executor == "local"):
        return LocalExecutor(n_jobs)
    if isinstance(executor, LocalExecutor | DaskExecutor):
        return executor
    if isinstance(executor, str | os.PathLike):
        text = os.fspath(executor)
        try:
            from distributed import Client
        except ImportError:
            raise ValueError("running on a dask cluster needs the package `distributed`: "
                             "pip install 'gansim[dask]'.") from None
        if "://" in text:
            return DaskExecutor(Client(text), own_client=True)
        if Path(text).is_file():
            return DaskExecutor(Client(scheduler_file=text), own_client=True)
        raise ValueError(f"`executor` {text!r} is neither a scheduler address "
                         "(tcp://HOST:PORT) nor an existing scheduler file.")
    if type(executor).__name__ == "Client" and hasattr(executor, "submit"):
        return DaskExecutor(executor)
    raise TypeError("`executor` must be None, 'local', a distributed.Client, a scheduler "
                    f"address or a scheduler file, got {type(executor).__name__}.")


def block_key(manifest: dict, label: str, start: int, stop: int) -> str:
    """A dask key stable across runs: the same block of the same settings has the same key
    (a resubmission is recognised by the scheduler), another block never does."""
    digest = hashlib.sha256(json.dumps(manifest, sort_keys=True, default=str).encode())
    return f"gansim-block-{digest.hexdigest()[:16]}-{label or 'all'}-{start}-{stop}"
