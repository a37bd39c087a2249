"""A study's design grid: conditions (factor levels), each run for B replications, resumably.

A :class:`Condition` is a set of factor levels such as ``{"dgp": "t", "n": 200}`` with its
own number of replications.  Its integer id is a checksum of its factors (not its position
in the grid), so replication r of a condition always draws from
``replication_streams(seed, r, condition=id)`` -- adding a level to a grid changes no
existing condition's numbers, and a condition can be replayed alone.

:func:`run_grid` runs every condition through :func:`gansim.runner.run_replications` with
one block folder per condition (``out_dir/blocks/<label>/``), so an interrupted grid resumes
from its finished blocks, with a progress bar over the whole grid; the block function sees
the condition, and the rows it returns get the condition's factors as columns.
"""

from __future__ import annotations

import itertools
import json
import numbers
import time
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm.auto import tqdm

from gansim.runner import run_replications

__all__ = ["Condition", "GridRun", "condition_grid", "run_grid"]


@dataclass(frozen=True)
class Condition:
    """One cell of a design grid.

    Parameters
    ----------
    factors : tuple of (str, value) pairs
        The factor levels, JSON-able scalars; build with :func:`condition_grid`.
    replications : int
        B for this condition (>= 2).

    Examples
    --------
    >>> c = Condition((("dgp", "normal"), ("n", 100)), replications=500)
    >>> c.label, c["n"], c.id == Condition((("dgp", "normal"), ("n", 100)), 9).id
    ('dgp=normal,n=100', 100, True)
    """

    factors: tuple[tuple[str, Any], ...]
    replications: int

    def __post_init__(self):
        factors = tuple((str(k), v) for k, v in self.factors)
        if not factors:
            raise ValueError("`factors` must hold at least one (name, level) pair.")
        for k, v in factors:
            if not isinstance(v, str | numbers.Real) or isinstance(v, bool):
                raise TypeError(f"factor `{k}` must be a string or a number, got {v!r}.")
        object.__setattr__(self, "factors", factors)
        B = self.replications
        if isinstance(B, bool) or not isinstance(B, numbers.Integral) or B < 2:
            raise ValueError(f"`replications` must be an integer >= 2, got {B!r}.")

    def __getitem__(self, name: str) -> Any:
        return dict(self.factors)[name]

    @property
    def as_dict(self) -> dict[str, Any]:
        return dict(self.factors)

    @property
    def label(self) -> str:
        """``"name=level,..."``: the folder name of its blocks."""
        return ",".join(f"{k}={v}" for k, v in self.factors)

    @property
    def id(self) -> int:
        """CRC-32 of the canonical JSON of the factors: the ``condition`` of its streams."""
        key = json.dumps(sorted(self.factors), separators=(",", ":"))
        return zlib.crc32(key.encode())


def condition_grid(replications: int | Callable[[dict], int], **factors: Any) -> list[Condition]:
    """The full factorial grid of ``factors``, in the order given (last factor fastest).

    Parameters
    ----------
    replications : int or callable
        B for every condition, or a function of the condition's factor dict giving its B.
    **factors : sequence
        Factor name -> its levels.

    Returns
    -------
    list of Condition

    Examples
    --------
    >>> grid = condition_grid(lambda f: 1000 if f["n"] <= 100 else 400,
    ...                       dgp=["normal", "t"], n=[50, 200])
    >>> [(c.label, c.replications) for c in grid]  # doctest: +NORMALIZE_WHITESPACE
    [('dgp=normal,n=50', 1000), ('dgp=normal,n=200', 400), ('dgp=t,n=50', 1000),
     ('dgp=t,n=200', 400)]
    """
    if not factors:
        raise ValueError("`factors` must name at least one factor, e.g. n=[50, 100].")
    for name, levels in factors.items():
        if isinstance(levels, str) or not hasattr(levels, "__iter__") or len(levels) == 0:
            raise ValueError(f"factor `{name}` must be a non-empty sequence of levels, "
                             f"got {levels!r}.")
    out = []
    for combo in itertools.product(*factors.values()):
        levels = dict(zip(factors, combo, strict=True))
        B = replications(levels) if callable(replications) else replications
        out.append(Condition(tuple(levels.items()), B))
    ids = [c.id for c in out]
    if len(set(ids)) != len(ids):
        raise ValueError("`factors` give repeated conditions; levels must be distinct.")
    return out


@dataclass(frozen=True)
class GridRun:
    """What :func:`run_grid` returns.

    Attributes
    ----------
    replications : DataFrame
        The block functions' rows of every condition, with the factor columns and
        ``condition`` (the id) first.
    conditions : DataFrame
        One row per condition: factors, ``condition``, ``B``, ``wall_time``,
        ``blocks_computed``, ``blocks_resumed``, ``n_failed``.
    wall_time : float
        Seconds spent in this call.
    """

    replications: pd.DataFrame
    conditions: pd.DataFrame
    wall_time: float


def run_grid(block_fn: Callable[..., pd.DataFrame], conditions: list[Condition], *, seed: int,
             block_size: int, settings: Mapping, out_dir=None, n_jobs: int = 1,
             progress: bool = True, overwrite: bool = False) -> GridRun:
    """Run every condition of a grid, resuming from finished blocks.

    Parameters
    ----------
    block_fn : callable
        ``block_fn(reps, seed, condition) -> DataFrame`` with one row per replication in
        ``reps`` (columns ``rep``, ``status``, ``error`` at least); replication r draws its
        randomness from ``replication_streams(seed, r, condition.id)``.  Must be picklable
        for ``n_jobs > 1``.
    conditions : list of Condition
    seed : int
        Study seed.
    block_size : int
        Replications per block (part of the settings).
    settings : mapping
        JSON-able settings shared by all conditions; each condition's blocks are stored
        with these plus its factors, and a resumed run must match them.
    out_dir : path, optional
        Blocks go to ``out_dir/blocks/<condition label>/``; None keeps nothing.
    n_jobs, progress, overwrite
        As in :func:`gansim.runner.run_replications`; the progress bar counts the
        replications of the whole grid.

    Returns
    -------
    GridRun

    Examples
    --------
    >>> import numpy as np
    >>> from gansim.rng import replication_streams
    >>> def block(reps, seed, condition):
    ...     u = [replication_streams(seed, r, condition.id).data_rng().normal(size=condition["n"])
    ...          .mean() for r in reps]
    ...     return pd.DataFrame({"rep": reps, "status": "ok", "error": "", "xbar": u})
    >>> run = run_grid(block, condition_grid(4, n=[10, 1000]), seed=1, block_size=2,
    ...                settings={}, progress=False)
    >>> run.replications.groupby("n")["xbar"].size().tolist()
    [4, 4]
    """
    conditions = _run_grid_iv(conditions)
    t0 = time.perf_counter()
    total = sum(-(-c.replications // block_size) * block_size for c in conditions)
    bar = tqdm(total=total, unit="rep", desc="grid", disable=not progress, smoothing=0.05)
    frames, rows = [], []
    try:
        for cond in conditions:
            out = None if out_dir is None else Path(out_dir) / "blocks" / cond.label
            run = run_replications(
                partial(block_fn, condition=cond), replications=cond.replications,
                block_size=block_size, seed=seed,
                settings={**settings, "condition": cond.as_dict, "condition_id": cond.id},
                out_dir=out, n_jobs=n_jobs, progress=progress, overwrite=overwrite,
                desc=cond.label, condition=cond.id)
            frame = run.replications
            for k, v in reversed(cond.factors):
                frame.insert(0, k, v)
            frame.insert(len(cond.factors), "condition", cond.id)
            frames.append(frame)
            rows.append({**cond.as_dict, "condition": cond.id, "B": cond.replications,
                         "wall_time": run.wall_time, "blocks_computed": run.blocks_computed,
                         "blocks_resumed": run.blocks_resumed, "n_failed": run.n_failed})
            bar.update(-(-cond.replications // block_size) * block_size)
    finally:
        bar.close()
    return GridRun(pd.concat(frames, ignore_index=True), pd.DataFrame(rows),
                   time.perf_counter() - t0)


def _run_grid_iv(conditions: Any) -> list[Condition]:
    conditions = list(conditions)
    if not conditions or not all(isinstance(c, Condition) for c in conditions):
        raise TypeError("`conditions` must be a non-empty list of Condition, e.g. from "
                        "condition_grid(...).")
    labels = [c.label for c in conditions]
    if len(set(labels)) != len(labels):
        raise ValueError("`conditions` must be distinct; some labels repeat.")
    return conditions
