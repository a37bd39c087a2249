"""Pieces shared by the results reports: reading a folder's files and its run record."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from gansim.summary.text import num

__all__ = ["read_json", "read_csv", "files_stamp", "provenance", "versions_line"]


def read_json(path) -> dict:
    """A JSON file, with a one-line error naming it when it cannot be read."""
    path = Path(path)
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot read {str(path)!r}: {exc}") from None


def read_csv(path, **kwargs) -> pd.DataFrame:
    """A CSV file (gzip by its suffix), with a one-line error naming it when it is missing."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"missing results file {str(path)!r}")
    return pd.read_csv(path, **kwargs)


def files_stamp(base, patterns=("*.*",)) -> tuple:
    """``(name relative to base, mtime_ns, size)`` of every file under ``base`` matching one
    of the glob ``patterns``: a key that changes whenever one of them is written, so a report
    can cache what it reads from a folder once per state of its files."""
    base = Path(base)
    files = sorted({p for pattern in patterns for p in base.glob(pattern) if p.is_file()})
    return tuple((str(p.relative_to(base)), p.stat().st_mtime_ns, p.stat().st_size)
                 for p in files)


def versions_line(run: dict, names=("torch", "numpy", "scipy", "pandas", "python")) -> str:
    """``torch 2.13.0+cpu, numpy 2.4.6, …`` from a run record's ``versions``."""
    v = run.get("versions", {})
    return ", ".join(f"{'Python' if k == 'python' else k} {v[k]}" for k in names if k in v)


def provenance(run: dict, *, B_key: str = "replications") -> str:
    """A paragraph: the command, seed, B, wall time, workers and versions of a run record.

    The command is the one recorded; a run record without one says so.
    """
    cmd = run.get("command")
    lines = [f"Command: `{cmd}`." if cmd else "Command: not recorded."]
    facts = []
    if "seed" in run:
        facts.append(f"seed {run['seed']}")
    if B_key in run:
        facts.append(f"B = {num(run[B_key], 0)}")
    if "wall_time_s" in run:
        facts.append(f"wall time {num(run['wall_time_s'], 0)} s")
    if "n_jobs" in run:
        facts.append(f"{run['n_jobs']} worker process{'es' if run['n_jobs'] != 1 else ''}")
    if "started" in run:
        facts.append(f"started {run['started']}")
    if facts:
        lines.append("Run: " + ", ".join(facts) + ".")
    ver = versions_line(run)
    if ver:
        lines.append(f"Versions: {ver} (all in `run.json`).")
    return "\n".join(lines)
