"""Facts about the process and the machine a result was computed on, and the one tuning of
the process that every worker applies (:func:`tune_malloc`).

Kept at the bottom of the package (it imports nothing of gansim), so that a dask worker's
setup and a run record need neither torch nor the rest of gansim.
"""

from __future__ import annotations

import ctypes
import functools
import os
import platform
import shutil
import subprocess
from importlib import metadata
from pathlib import Path

__all__ = ["compiler", "compiler_version", "gansim_version", "machine", "tune_malloc",
           "versions"]

#: Packages whose versions a run record keeps.
PACKAGES = ("gansim", "torch", "numpy", "scipy", "pandas", "joblib", "statsmodels",
            "matplotlib", "pyarrow", "tqdm")


def gansim_version() -> str:
    """gansim's version from the installed package's metadata (``0+unknown`` when it runs
    from a source tree that was never installed)."""
    try:
        return metadata.version("gansim")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def compiler() -> str | None:
    """The C compiler the fused engine builds with (``$CC``, else ``cc``), or None when it
    is not on the ``PATH``."""
    cc = os.environ.get("CC", "cc")
    return cc if shutil.which(cc) is not None else None


def compiler_version() -> str | None:
    """First line of the C compiler's ``--version``, or None without a compiler."""
    cc = compiler()
    if cc is None:
        return None
    out = subprocess.run([cc, "--version"], capture_output=True, text=True).stdout
    return out.splitlines()[0] if out else None


def versions() -> dict:
    """Versions of Python, of the packages results depend on and of the C compiler (the
    fused engine's results depend on the compiler that built it)."""
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    out["cc"] = compiler_version()
    return out


def machine() -> dict:
    """Cores, CPU model and platform of this machine."""
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cores": os.cpu_count(), "cpu": cpu, "platform": platform.platform()}


@functools.cache
def tune_malloc() -> None:
    """Keep glibc from returning large temporaries to the OS after every step (once per
    process).

    Otherwise every training step page-faults its buffers back in (1.5-2.5x slower at large
    blocks, as measured when this was written).  Harmless where glibc is absent.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-4, 0)  # M_MMAP_MAX: no mmap for large blocks
        libc.mallopt(-1, 1 << 30)  # M_TRIM_THRESHOLD: 1 GiB
    except (OSError, AttributeError):
        pass
