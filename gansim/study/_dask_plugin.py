"""The pieces of :class:`gansim.study.executors.DaskExecutor` that import ``distributed``.

Kept apart so that :mod:`gansim.study.executors` imports ``distributed`` only when a cluster
is named: the worker plugin that sets up and checks every worker (those present and those
that join later), and the registration of the user's own modules for pickling by value.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pickletools
import socket
import sys
import sysconfig
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import cloudpickle
from distributed.diagnostics.plugin import WorkerPlugin

from gansim._platform import code_identity, gansim_version, tune_malloc

__all__ = ["SetupPlugin", "by_value", "plugin_result", "user_modules"]


class SetupPlugin(WorkerPlugin):
    """Set up and check a worker when the plugin is registered and when a worker joins.

    The worker gets one torch thread and the tuned allocator, then
    ``check`` (:class:`gansim.study.executors.WorkerCheck`) runs; its report (host, pid,
    gansim's version and digest, the error or None) is kept on the plugin
    (:func:`plugin_result`) and logged as an event under ``topic`` for the driver.  A worker
    that fails and was not among ``present`` (it joined after the registration) is closed,
    with its nanny, so that it takes no block; the driver refuses those present itself.

    Parameters
    ----------
    check : callable
        Raises when the worker cannot compute the study's blocks as the driver would.
    present : iterable of str
        Addresses of the workers present at registration.
    topic : str
        The event topic (also the plugin's name) of this run.
    """

    idempotent = False

    def __init__(self, check, present: Iterable[str], topic: str):
        self.check = check
        self.present = frozenset(present)
        self.topic = topic
        self.result: dict | None = None

    def setup(self, worker) -> None:

        result = {**setup_worker(self.check), "address": worker.address}
        self.result = result
        worker.log_event(self.topic, result)
        if result["error"] and worker.address not in self.present:
            # Closed once its registration is over (closing inside it would cut it short);
            # until then the worker runs no task: tasks start only after its plugins.
            asyncio.get_running_loop().call_soon(
                lambda: asyncio.ensure_future(worker.close(
                    nanny=True, reason=f"gansim: refused: {result['error']}")))


def plugin_result(name: str, dask_worker=None) -> dict | None:
    """The report of plugin ``name`` on this worker (run by ``client.run``)."""
    plugin = dask_worker.plugins.get(name)
    return None if plugin is None else plugin.result


#: Top-level packages that workers must have installed themselves (gansim is checked by its
#: digest): never pickled by value.
_INSTALLED = {"gansim", "numpy", "scipy", "pandas", "torch", "distributed", "dask",
              "cloudpickle", "joblib", "pyarrow", "statsmodels", "sklearn"}


def _library_dirs() -> list[Path]:
    """Where installed code lives: the standard library and every site-packages folder
    (the interpreter's, the user's, a virtual environment's)."""
    import site

    paths = sysconfig.get_paths()
    dirs = [paths[k] for k in ("stdlib", "platstdlib", "purelib", "platlib") if k in paths]
    dirs += [*getattr(site, "getsitepackages", list)(), site.getusersitepackages()]
    dirs += [p for p in sys.path if Path(p).name in ("site-packages", "dist-packages")]
    return [Path(d).resolve() for d in dirs if d]


def _is_user_module(name: str) -> bool:
    """Whether module ``name`` is the user's own code: imported here from a file outside
    the standard library and the installed packages (a study in the user's own module, a
    test module), which a worker may not be able to import."""
    module = sys.modules.get(name)
    if module is None or name == "__main__" or name.split(".")[0] in _INSTALLED:
        return False
    file = getattr(module, "__file__", None)
    if not file:
        return False
    path = Path(file).resolve()
    return not any(path.is_relative_to(d) for d in _library_dirs())


def user_modules(obj) -> set[str]:
    """The user's own modules that pickling ``obj`` refers to by name (read from the
    pickle's global references), followed through those pickled by value in turn."""
    found: set[str] = set()
    registered: list = []
    try:
        for _ in range(5):  # a user module importing another: rarely deeper
            data = cloudpickle.dumps(obj)
            names = {arg for op, arg, _ in pickletools.genops(data)
                     if isinstance(arg, str) and arg in sys.modules}
            names |= {arg.split(" ")[0] for op, arg, _ in pickletools.genops(data)
                      if op.name == "GLOBAL" and isinstance(arg, str)}
            new = {n for n in names if n not in found and n not in registry()
                   and _is_user_module(n)}
            if not new:
                break
            for n in new:
                cloudpickle.register_pickle_by_value(sys.modules[n])
                registered.append(sys.modules[n])
            found |= new
    finally:
        for module in registered:
            cloudpickle.unregister_pickle_by_value(module)
    return found


def registry() -> set[str]:
    """Names of the modules registered for pickling by value."""
    return set(cloudpickle.list_registry_pickle_by_value())


@contextlib.contextmanager
def by_value(obj) -> Iterator[set[str]]:
    """While inside, the user's own modules that ``obj`` refers to (:func:`user_modules`)
    are pickled by value (their functions and classes travel with the tasks), so that a
    study defined in the user's module runs on workers that cannot import it.  Modules the
    user registered already stay registered."""
    names = user_modules(obj)
    for n in names:
        cloudpickle.register_pickle_by_value(sys.modules[n])
    try:
        yield names
    finally:
        for n in names:
            if n in sys.modules:
                with contextlib.suppress(ValueError):
                    cloudpickle.unregister_pickle_by_value(sys.modules[n])


def setup_worker(check: Callable[[], None] | None) -> dict:
    """Run once on every dask worker: one torch thread, the allocator tuned, the check
    (code identity, the study's engine); returns what the run record keeps."""
    import torch

    tune_malloc()
    # Two single-threaded processes beat one two-threaded one on these models; a worker
    # started with --nthreads 1 then runs one block at a time on one core.
    torch.set_num_threads(1)
    out = {"host": socket.gethostname(), "pid": os.getpid(), "gansim": gansim_version(),
           "digest": code_identity()["digest"], "error": None}
    if check is not None:
        try:
            check()
        except Exception as exc:  # returned, so that the driver names every unfit host
            out["error"] = f"{type(exc).__name__}: {exc}"
    return out
