"""Replications in fixed blocks: parallel, resumable, failures recorded instead of raised.

A study is a *block function* ``block_fn(reps, seed) -> DataFrame`` returning one row per
replication index in ``reps`` (with at least ``rep``, ``status`` and ``error``).  The runner

- cuts replications ``0 .. B-1`` into blocks of ``block_size`` consecutive indices, always full
  (the last one is padded past ``B``), so that replication ``r`` is computed in the same
  block, with the same floating-point operations, whatever ``B``, ``n_jobs`` or the schedule;
- runs missing blocks with joblib, one torch thread per worker (two single-threaded
  processes beat one two-threaded process on these machines);
- writes each finished block to ``out/blocks/`` at once (write-then-rename), so a rerun of the
  same command after Ctrl-C or a killed process resumes from the finished blocks and ends
  with exactly the same results;
- turns an exception raised by a block into failed rows carrying the reason and the seed
  material, so the study goes on.
"""

from __future__ import annotations

import ctypes
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from joblib import Parallel, delayed
from tqdm.auto import tqdm

from gansim.rng import replication_streams

__all__ = ["StudyRun", "run_replications", "failed_rows", "block_ranges"]

BlockFn = Callable[[list[int], int], pd.DataFrame]


@dataclass(frozen=True)
class StudyRun:
    """What :func:`run_replications` returns.

    Attributes
    ----------
    replications : DataFrame
        One row per replication ``0 .. B-1``, sorted by ``rep``.
    wall_time : float
        Seconds spent in this call.
    blocks_computed, blocks_resumed : int
        Blocks computed now and blocks read back from ``out/blocks``.
    """

    replications: pd.DataFrame
    wall_time: float
    blocks_computed: int
    blocks_resumed: int

    @property
    def n_failed(self) -> int:
        return int((self.replications["status"] != "ok").sum())


def block_ranges(replications: int, block_size: int) -> list[tuple[int, int]]:
    """``[start, stop)`` of each block; the last block is padded to ``block_size``."""
    n_blocks = -(-replications // block_size)
    return [(b * block_size, (b + 1) * block_size) for b in range(n_blocks)]


def failed_rows(reps, seed: int, reason: str, condition: int = 0) -> pd.DataFrame:
    """Rows recording replications ``reps`` as failed with ``reason`` and their seed material."""
    return pd.DataFrame({
        "rep": np.asarray(reps, dtype=np.int64),
        "seed": np.int64(seed),
        "spawn_key": [replication_streams(seed, r, condition).spawn_key for r in reps],
        "status": "failed",
        "error": reason,
    })


def _run_block(block_fn: BlockFn, start: int, stop: int, seed: int,
               condition: int = 0) -> tuple[int, pd.DataFrame]:
    _tune_malloc()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    reps = list(range(start, stop))
    try:
        frame = block_fn(reps, seed)
        got = frame["rep"].to_numpy()
        if len(got) != len(reps) or not np.array_equal(np.sort(got), reps):
            raise RuntimeError(f"block function returned reps {got[:5]}... for {start}..{stop}")
    except Exception as exc:  # recorded per replication, never fatal to the study
        frame = failed_rows(reps, seed, f"{type(exc).__name__}: {exc}", condition)
    finally:
        torch.set_num_threads(threads)
    return start, frame.sort_values("rep", kind="stable").reset_index(drop=True)


_MALLOC_TUNED = False


def _tune_malloc():
    """Keep glibc from returning large temporaries to the OS after every step.

    Otherwise every training step page-faults its buffers back in (1.5-2.5x slower at large
    blocks; PROTOTYPE_NOTES.md).  Harmless where glibc is absent.
    """
    global _MALLOC_TUNED
    if _MALLOC_TUNED:
        return
    _MALLOC_TUNED = True
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-4, 0)  # M_MMAP_MAX: no mmap for large blocks
        libc.mallopt(-1, 1 << 30)  # M_TRIM_THRESHOLD: 1 GiB
    except (OSError, AttributeError):
        pass


def _block_path(blocks_dir: Path, start: int, stop: int) -> Path:
    return blocks_dir / f"block-{start:07d}-{stop:07d}.parquet"


def _check_manifest(blocks_dir: Path, manifest: dict, overwrite: bool):
    path = blocks_dir / "settings.json"
    if path.exists() and not overwrite:
        old = json.loads(path.read_text())
        if old != manifest:
            keys = sorted(k for k in set(old) | set(manifest) if old.get(k) != manifest.get(k))
            raise ValueError(
                f"`out` folder {blocks_dir.parent} holds blocks made with other settings "
                f"(differing: {', '.join(keys)}); choose another `out` or pass overwrite=True.")
    if overwrite and blocks_dir.exists():
        for f in blocks_dir.glob("block-*.parquet"):
            f.unlink()
    blocks_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True))
    os.replace(tmp, path)


def run_replications(block_fn: BlockFn, *, replications: int, block_size: int, seed: int,
                     settings: dict, out_dir=None, n_jobs: int = 1, progress: bool = True,
                     overwrite: bool = False, desc: str = "replications",
                     condition: int = 0) -> StudyRun:
    """Run replications ``0 .. replications-1`` of a study in blocks.

    Parameters
    ----------
    block_fn : callable
        ``block_fn(reps, seed) -> DataFrame``, one row per replication in ``reps``; must be
        picklable (a module-level function or a ``functools.partial`` of one) for
        ``n_jobs > 1``.
    replications : int
        B, the number of replications kept.
    block_size : int
        Replications per block; part of the study's settings, since it fixes which
        floating-point operations a replication goes through.
    seed : int
        Study seed; replication ``r`` derives all its randomness from ``(seed, r)``.
    settings : dict
        JSON-able settings that determine the results (without B and n_jobs); a resumed run
        must have the same.
    out_dir : path or None
        Where finished blocks are kept (``out_dir/blocks``); None keeps nothing.
    n_jobs : int
        Worker processes (joblib); -1 uses every core.
    progress : bool
        Show a progress bar with replications done and time left.
    overwrite : bool
        Discard blocks already in ``out_dir`` instead of resuming from them.
    desc : str
        Label of the progress bar.
    condition : int
        The condition id of the replications' streams, recorded in the seed material of
        failed rows (:func:`gansim.design.run_grid` passes it).

    Returns
    -------
    StudyRun

    Examples
    --------
    >>> def block(reps, seed):
    ...     return pd.DataFrame({"rep": reps, "status": "ok", "error": "",
    ...                          "u": [replication_streams(seed, r).data_rng().random()
    ...                                for r in reps]})
    >>> run = run_replications(block, replications=5, block_size=2, seed=1, settings={},
    ...                        progress=False)
    >>> len(run.replications), run.blocks_computed
    (5, 3)
    """
    t0 = time.perf_counter()
    ranges = block_ranges(replications, block_size)
    done: dict[int, pd.DataFrame] = {}
    blocks_dir = None
    if out_dir is not None:
        blocks_dir = Path(out_dir) / "blocks"
        manifest = {"seed": int(seed), "block_size": int(block_size), **settings}
        _check_manifest(blocks_dir, manifest, overwrite)
        for start, stop in ranges:
            path = _block_path(blocks_dir, start, stop)
            if path.exists():
                done[start] = pd.read_parquet(path)
    resumed = len(done)
    todo = [(a, b) for a, b in ranges if a not in done]
    total = len(ranges) * block_size
    bar = tqdm(total=total, initial=resumed * block_size, unit="rep", desc=desc,
               disable=not progress, smoothing=0.1)
    try:
        if todo:
            jobs = (delayed(_run_block)(block_fn, a, b, seed, condition) for a, b in todo)
            results = Parallel(n_jobs=n_jobs, return_as="generator_unordered")(jobs)
            for start, frame in results:
                if blocks_dir is not None:
                    path = _block_path(blocks_dir, start, start + block_size)
                    tmp = path.with_suffix(".tmp")
                    frame.to_parquet(tmp, index=False)
                    os.replace(tmp, path)
                done[start] = frame
                bar.update(block_size)
    finally:
        bar.close()
    frames = [done[a] for a, _ in ranges]
    frame = pd.concat(frames, ignore_index=True)
    frame = frame[frame["rep"] < replications].reset_index(drop=True)
    return StudyRun(frame, time.perf_counter() - t0, len(todo), resumed)
