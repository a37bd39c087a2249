"""Facts about the process and the machine a result was computed on, and the one tuning of
the process that every worker applies (:func:`tune_malloc`).

Kept at the bottom of the package (it imports nothing of gansim), so that a dask worker's
setup and a run record need neither torch nor the rest of gansim.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import os
import platform
import shutil
import subprocess
from importlib import metadata
from pathlib import Path

__all__ = ["code_differences", "code_identity", "compiler", "compiler_version",
           "gansim_version", "machine", "tune_malloc", "versions"]

#: Packages whose versions a run record keeps.
PACKAGES = ("gansim", "torch", "numpy", "scipy", "pandas", "joblib", "statsmodels",
            "matplotlib", "pyarrow", "tqdm")


def gansim_version() -> str:
    """gansim's version from the installed package's metadata (``0+unknown`` when it runs
    from a source tree that was never installed)."""
    return _package_version("gansim") or "0+unknown"


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
    return {"python": platform.python_version(),
            **{name: _package_version(name) for name in PACKAGES}, "cc": compiler_version()}


def _package_version(name: str) -> str | None:
    """The installed version of package ``name``, None when it is not installed."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


#: The packages whose versions are part of :func:`code_identity` (the numbers depend on
#: them), besides the C compiler.
IDENTITY_PACKAGES = ("torch", "numpy")


@functools.cache
def code_identity() -> dict:
    """What computed a result: a digest of gansim's own source and the versions it runs on.

    ``digest`` is the sha256 of every ``.py`` file under the imported ``gansim`` package and
    of the fused engine's C source (``gan/fused.c``), each with its path relative to the
    package, in sorted order; ``torch``, ``numpy`` and ``cc`` (the first line of the C
    compiler's ``--version``, None without one) are the versions the numbers also depend on.
    Unlike the package version, the digest changes with any edit of the source, so an
    editable install at another commit, or a modified copy reached through ``PYTHONPATH``,
    has another identity.  Computed once per process (a few milliseconds).

    Returns
    -------
    dict
        ``{"digest": str, "torch": str | None, "numpy": str | None, "cc": str | None}``.
    """
    return {"digest": source_digest(Path(__file__).resolve().parent),
            **{name: _package_version(name) for name in IDENTITY_PACKAGES},
            "cc": compiler_version()}


def source_digest(root: Path) -> str:
    """sha256 of the ``.py`` files under package folder ``root`` and of its
    ``gan/fused.c``, each preceded by its relative path and length, in sorted order."""
    digest = hashlib.sha256()
    for path in sorted([*root.rglob("*.py"), root / "gan" / "fused.c"]):
        if "__pycache__" in path.parts or not path.is_file():
            continue
        # The relative path and the length delimit each file, so that moving text from one
        # file to the next changes the digest too.
        data = path.read_bytes()
        digest.update(f"{path.relative_to(root).as_posix()}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


def code_differences(old: dict, new: dict) -> list[str]:
    """What differs between two :func:`code_identity` records, as short phrases (the
    digests shortened to 12 hex digits), e.g. ``"gansim source (digest 1a2b... now 3c4d...)"``.
    """
    out = []
    for key in sorted({*old, *new}, key=lambda k: (k != "digest", k)):
        a, b = old.get(key), new.get(key)
        if a == b:
            continue
        if key == "digest":
            out.append(f"gansim source (digest {str(a)[:12]}, now {str(b)[:12]})")
        else:
            name = "C compiler" if key == "cc" else key
            out.append(f"{name} ({a!r}, now {b!r})")
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
