"""Replications in fixed blocks: parallel, resumable, failures recorded instead of raised.

A study hands the runner a *block function* ``block_fn(reps, seed, condition) -> DataFrame``
returning at least one row per replication index in ``reps`` (with at least ``rep``,
``status`` and ``error``) and its conditions.  The runner

- cuts each condition's replications ``0 .. B-1`` into blocks of ``block_size`` consecutive
  indices, always full (the last one is padded past ``B``), so that replication ``r`` is
  computed in the same block, with the same floating-point operations, whatever ``B``,
  ``n_jobs`` or the schedule;
- submits every missing block of every condition at once to an executor
  (:mod:`gansim.study.executors`): joblib worker processes by default, or a dask cluster; one
  torch thread per worker (two single-threaded processes beat one two-threaded process on
  these machines);
- writes each finished block to ``out/blocks/condition-<id>/`` at once (named by the
  condition's id, never by the text of its factor levels; a folder named by the label, as
  written by earlier versions, is renamed on resume)
  (write-then-rename; the settings beside them in ``_settings.json``), so a rerun of the
  same command after Ctrl-C or a killed process resumes from the finished blocks and ends
  with exactly the same results;
- records the sha256 of each block file's bytes beside it (``_block-...parquet.sha256``, in
  the format of ``sha256sum``), written before the block is renamed into place, and checks
  it on resume: a block changed since (a flipped bit that still parses, say) is computed
  again, with a warning naming the file.  Blocks written by a gansim that kept no checksum
  are reused after the other checks, with one warning, and their checksums recorded then;
  ``overwrite=True`` (``--overwrite``) computes them again instead;
- records beside the blocks the code that computed them
  (:func:`gansim._platform.code_identity`: gansim's source digest, torch, numpy and the C
  compiler) and refuses, in one line naming what differs, to resume from blocks of other
  code unless asked (``reuse_blocks="any-code"``); ``overwrite`` computes them again;
- keeps no block in memory when it writes them: it returns the block files
  (:attr:`BlockRun.files`, each with the checksum of its bytes), which the caller reads one
  at a time (without ``out_dir`` the rows stay in memory, one frame per condition);
- turns an exception raised by a block into rows with status ``"error"`` carrying the
  reason and the seed material, so the study goes on; a block holding such rows is
  computed again on resume (an error may be transient or fixed since), while rows with
  status ``"failed"`` (a method's own numerical failure, deterministic) are kept.  On a
  cluster, infrastructure errors (:data:`gansim.study.executors.INFRASTRUCTURE_ERRORS`) are raised
  from the task instead, for the scheduler to retry: they are never rows.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import time
import warnings
from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from tqdm.auto import tqdm

from gansim._files import read_json, write_atomic
from gansim._platform import code_differences, code_identity, tune_malloc
from gansim._validation import Integer, NoneOr, Options, Real
from gansim.rng import replication_streams
from gansim.study.design import Condition
from gansim.study.executors import ClusterError, as_executor, block_key

__all__ = ["BlockFile", "BlockRun", "REUSE_BLOCKS", "run_blocks", "error_rows",
           "block_ranges", "read_block_file", "read_blocks", "reraised", "reusing_blocks"]

BlockFn = Callable[[list[int], int, Condition], pd.DataFrame]

#: Status of rows from an exception (recomputed on resume), as against a method's own
#: ``"failed"`` (kept) and ``"ok"``.
ERROR = "error"

#: What finished blocks a resume may reuse: only those computed by the same code (gansim's
#: source digest, torch, numpy, the C compiler: :func:`gansim._platform.code_identity`), or
#: those of any code (an explicit opt-in, e.g. after a change known not to alter numbers).
REUSE_BLOCKS = ("same-code", "any-code")
#: The arguments' constraints, which :func:`gansim.study.core.run_study` declares too.
REUSE = Options(*REUSE_BLOCKS)
WAIT_FOR_WORKERS = Integer(0)
TIMEOUT = NoneOr(Real(0, closed="neither", what="a number of seconds"))

#: The policy when a run does not name one (the command line's
#: ``--reuse-blocks-from-other-code`` sets it for the runs of one command).
_REUSE_DEFAULT: ContextVar[str] = ContextVar("gansim_reuse_blocks", default="same-code")


@contextmanager
def reusing_blocks(policy: str | None):
    """Inside this block, runs that do not name ``reuse_blocks`` use ``policy`` (one of
    :data:`REUSE_BLOCKS`; None leaves the default, ``"same-code"``)."""
    if policy is None:
        yield
        return
    token = _REUSE_DEFAULT.set(REUSE.check(policy, "reuse_blocks"))
    try:
        yield
    finally:
        _REUSE_DEFAULT.reset(token)


@dataclass(frozen=True)
class BlockFile:
    """A finished block kept on disk: its file and the sha256 of its bytes when the run
    ended (:func:`read_block_file` refuses it if it changed since)."""

    path: Path
    sha256: str


@dataclass(frozen=True)
class BlockRun:
    """What :func:`run_blocks` returns.

    Attributes
    ----------
    blocks : DataFrame
        One row per condition: ``label``, ``blocks_computed``, ``blocks_resumed``.
    wall_time : float
        Seconds spent in this call.
    executor : dict
        Where the blocks ran (:meth:`gansim.study.executors.LocalExecutor.info`: ``backend``,
        ``n_jobs``; on a cluster also the scheduler address, workers and their hosts).
    files : dict
        Condition label -> its block files in block order (:class:`BlockFile`), for the
        conditions kept on disk (``out_dir`` given): their rows are not in memory.
    held : dict
        Condition label -> its rows, replications ``0 .. B-1`` in block order, for the
        conditions kept in memory (no ``out_dir``).
    replications : dict
        Condition label -> its B (a block file may hold replications past it: the padding
        of the last block).
    """

    blocks: pd.DataFrame
    wall_time: float
    executor: dict = field(default_factory=dict)
    files: dict[str, list[BlockFile]] = field(default_factory=dict)
    held: dict[str, pd.DataFrame] = field(default_factory=dict)
    replications: dict[str, int] = field(default_factory=dict)

    @property
    def frames(self) -> dict[str, pd.DataFrame]:
        """Condition label -> its rows, replications ``0 .. B-1`` in block order: those held
        in memory, and those kept on disk read back now (every block of every condition in
        memory at once: read :attr:`files` one by one to avoid that)."""
        return {label: self.held[label] if label in self.held else
                read_blocks(self.files[label], self.replications[label])
                for label in self.replications}


def read_block_file(file: BlockFile, columns: list[str] | None = None) -> pd.DataFrame:
    """The rows of a finished block, after checking that its bytes are those the run left: a
    block rewritten since (another run with ``overwrite`` on the same folder, say) is
    refused rather than mixed in.

    ``columns``: only those of them the block has (a block that raised outside the methods
    has no ``method`` or ``estimate``), the others left out as when the whole block is read.
    """
    data = file.path.read_bytes()
    if hashlib.sha256(data).hexdigest() != file.sha256:
        raise ValueError(f"block file {str(file.path)!r} changed after its run ended (another "
                         "run wrote into the same `out` folder?): the rows of that run can no "
                         "longer be read from it; run it again.")
    if columns is not None:
        import pyarrow.parquet as pq

        names = set(pq.read_schema(io.BytesIO(data)).names)
        columns = [c for c in dict.fromkeys(columns) if c in names]
    return pd.read_parquet(io.BytesIO(data), columns=columns)


def read_blocks(files: list[BlockFile], replications: int) -> pd.DataFrame:
    """A condition's rows from its block files (:attr:`BlockRun.files`), replications
    ``0 .. replications-1`` in block order."""
    frame = pd.concat([read_block_file(f) for f in files], ignore_index=True)
    return frame[frame["rep"] < replications].reset_index(drop=True)


def block_ranges(replications: int, block_size: int) -> list[tuple[int, int]]:
    """``[start, stop)`` of each block; the last block is padded to ``block_size``."""
    n_blocks = -(-replications // block_size)
    return [(b * block_size, (b + 1) * block_size) for b in range(n_blocks)]


def error_rows(reps, seed: int, reason: str, condition: int = 0) -> pd.DataFrame:
    """Rows recording replications ``reps`` as errors with ``reason`` and their seed material."""
    return pd.DataFrame({
        "rep": np.asarray(reps, dtype=np.int64),
        "seed": np.int64(seed),
        "spawn_key": [replication_streams(seed, r, condition).spawn_key for r in reps],
        "status": ERROR,
        "error": reason,
    })


#: Exceptions a block must raise rather than record as rows (set per task by
#: :func:`_run_block`; empty on the local path, so its behaviour is unchanged).
_RERAISE: ContextVar[tuple[type[BaseException], ...]] = ContextVar("gansim_reraise",
                                                                   default=())


def reraised(exc: BaseException) -> bool:
    """Whether ``exc``, caught inside a block, must propagate instead of becoming rows.

    True only on a cluster and for an infrastructure error (a ``MemoryError``, an
    ``OSError``): the scheduler then retries the block elsewhere, and the error is never
    checkpointed.  A block function's own ``except Exception`` clauses consult it.
    """
    return isinstance(exc, _RERAISE.get())


def _run_block(block_fn: BlockFn, condition: Condition, start: int, stop: int,
               seed: int, check: Callable[[], None] | None = None,
               reraise: tuple[type[BaseException], ...] = ()) -> tuple[str, int, pd.DataFrame]:
    tune_malloc()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    reps = list(range(start, stop))
    token = _RERAISE.set(reraise)
    try:
        if check is not None:
            # Outside the try below: a worker unfit for the study (its engine resolves
            # otherwise) fails the task, not the replications.
            check()
        try:
            frame = block_fn(reps, seed, condition)
            got = np.unique(frame["rep"].to_numpy())
            if not np.array_equal(got, reps):
                raise RuntimeError(f"block function returned reps {got[:5]}... for "
                                   f"{start}..{stop}")
        except Exception as exc:  # recorded per replication, never fatal to the study
            if isinstance(exc, reraise):
                raise
            frame = error_rows(reps, seed, f"{type(exc).__name__}: {exc}", condition.id)
    finally:
        _RERAISE.reset(token)
        torch.set_num_threads(threads)
    return condition.label, start, frame




def condition_dir(blocks_root: Path, cond: Condition) -> Path:
    """The folder of a condition's finished blocks: ``condition-<id>`` under
    ``blocks_root`` (the root itself for a study without factors).

    The id, not the factor levels' text, names it, so that no level can reach a path. A
    folder named by the label (earlier versions) is renamed to it, keeping its blocks.
    """
    if not cond.label:
        return blocks_root
    path = blocks_root / f"condition-{cond.id}"
    legacy = blocks_root / cond.label
    if not path.exists() and legacy.is_dir() and not legacy.is_symlink():
        os.replace(legacy, path)
    return path


def _block_path(blocks_dir: Path, start: int, stop: int) -> Path:
    return blocks_dir / f"block-{start:07d}-{stop:07d}.parquet"


#: The settings of a condition's blocks, in its folder: a name a parquet dataset reader skips
#: (as it skips names starting with "."), so the folder of blocks reads as one table.
SETTINGS_FILE = "_settings.json"
#: Its name in folders written before.
_LEGACY_SETTINGS_FILE = "settings.json"


#: Keys of a block folder's manifest that record the code, compared apart from the settings.
CODE_KEY, REUSED_KEY = "code", "code_reused_from"


def _check_manifest(blocks_dir: Path, manifest: dict, overwrite: bool, code: dict,
                    reuse: str = "same-code") -> str | None:
    """Check the settings and code recorded beside a condition's blocks, then record this
    run's (``manifest`` and ``code``, :func:`gansim._platform.code_identity`).

    Settings that differ are refused.  Blocks computed by other code (another gansim source
    digest, torch, numpy or C compiler) are refused with one line naming what differs,
    unless ``reuse == "any-code"`` (the manifest then lists the earlier code under
    ``code_reused_from``).  A manifest that records no code was written by a gansim that
    kept none: its blocks are reused, as the blocks without a checksum are, since they
    passed every other check (settings, seed, replications) and refusing them would
    recompute every run resumed across that upgrade with no sign that the numbers changed;
    the warning returned says so and how to recompute them.

    Returns
    -------
    str or None
        ``"no-code"`` (blocks recording no code were kept), ``"other-code"`` (blocks of
        other code were kept, as asked) or None.
    """
    path = blocks_dir / SETTINGS_FILE
    legacy = blocks_dir / _LEGACY_SETTINGS_FILE
    stored = path if path.exists() else legacy
    note, reused = None, []
    if stored.exists() and not overwrite:
        old = read_json(stored, "the settings of the blocks beside it")
        old_code, reused = old.pop(CODE_KEY, None), old.pop(REUSED_KEY, [])
        if old != manifest:
            from gansim.study.identity import differences

            raise ValueError(
                f"`out` folder {blocks_dir} holds blocks made with other settings "
                f"(differing: {'; '.join(differences(old, manifest))}); choose another `out` "
                "or pass overwrite=True.")
        if old_code != code and any(blocks_dir.glob("block-*.parquet")):
            if old_code is None:
                note = "no-code"
            elif reuse == "any-code":
                note = "other-code"
                reused = [*reused, old_code]
            else:
                raise ValueError(
                    f"`out` folder {blocks_dir} holds blocks computed by other code "
                    f"(differing: {'; '.join(code_differences(old_code, code))}); pass "
                    "overwrite=True (--overwrite) to compute them again, or "
                    "reuse_blocks='any-code' (--reuse-blocks-from-other-code) to keep them.")
        elif old_code != code:
            reused = []  # no block of the earlier code is left
    if overwrite and blocks_dir.exists():
        for f in [*blocks_dir.glob("block-*.parquet"), *blocks_dir.glob("_block-*.sha256")]:
            f.unlink()
    blocks_dir.mkdir(parents=True, exist_ok=True)
    record = {**manifest, CODE_KEY: code, **({REUSED_KEY: reused} if reused else {})}
    text = json.dumps(record, indent=2, sort_keys=True)
    write_atomic(path, lambda tmp: tmp.write_text(text), sync=False)
    if legacy.exists():
        legacy.unlink()
    return note


def checksum_path(path: Path) -> Path:
    """Where the sha256 of block file ``path`` is kept: beside it, under a name a parquet
    dataset reader skips."""
    return path.with_name(f"_{path.name}.sha256")


def _sha256_line(data: bytes, path: Path) -> str:
    """The checksum file's text, as ``sha256sum`` writes it (``sha256sum -c`` checks it)."""
    return f"{hashlib.sha256(data).hexdigest()}  {path.name}\n"


def _write_block(frame: pd.DataFrame, path: Path) -> str:
    """Write-then-rename (:func:`write_atomic`), with the block's checksum written first:
    a crash between the two leaves a checksum that the old block (if any) does not match, so
    the block is computed again, never reused unchecked.  Returns the sha256 of its bytes."""
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    data = buffer.getvalue()
    digest = hashlib.sha256(data).hexdigest()
    line = f"{digest}  {path.name}\n"  # as _sha256_line, hashed once
    write_atomic(checksum_path(path), lambda tmp: tmp.write_text(line))
    write_atomic(path, lambda tmp: tmp.write_bytes(data))
    return digest


def _read_block(path: Path) -> tuple[pd.DataFrame | None, bytes]:
    """A stored block and its bytes, or None (with a RuntimeWarning naming the file) when it
    cannot be read (truncated, overwritten): it is then computed again, like a missing
    block."""
    try:
        data = path.read_bytes()
        return pd.read_parquet(io.BytesIO(data)), data
    except Exception as exc:  # pyarrow's errors for a damaged file are of several types
        warnings.warn(f"block file {str(path)!r} cannot be read ({type(exc).__name__}: "
                      f"{exc}); computing its replications again.", RuntimeWarning,
                      stacklevel=3)
        return None, b""


def _checksum_matches(path: Path, data: bytes) -> bool | None:
    """Whether block file ``path`` (its bytes ``data``) matches its recorded checksum; None
    when none was recorded (a block of an earlier gansim)."""
    try:
        recorded = checksum_path(path).read_text()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError):
        return False
    return recorded == _sha256_line(data, path)


def _reusable(frame: pd.DataFrame, start: int, stop: int, condition: Condition,
              seed: int, path: Path) -> bool:
    """A stored block is reused only when it is this block of this condition and seed, holds
    each of its replications' rows once, and no error; otherwise it is recomputed, with a
    warning naming the file when it is damaged rather than merely holding errors."""
    problem = None
    if "rep" not in frame or "status" not in frame:
        problem = "it lacks the columns rep and status"
    elif not np.array_equal(np.unique(frame["rep"].to_numpy()), np.arange(start, stop)):
        problem = f"it holds other replications than {start}..{stop - 1}"
    elif "spawn_key" in frame and not frame["spawn_key"].astype(str).str.startswith(
            f"{condition.id}:").all():
        problem = "it holds another condition's replications"
    elif "seed" in frame and not (frame["seed"] == seed).all():
        problem = "it holds another seed's replications"
    else:
        keys = [k for k in ("rep", "method", "quantity") if k in frame]
        if len(keys) == 3 and frame.duplicated(keys).any():
            problem = "it holds a replication's rows twice"
    if problem is not None:
        warnings.warn(f"block file {str(path)!r} is not this block ({problem}): it is "
                      "recomputed.", RuntimeWarning, stacklevel=3)
        return False
    return not (frame["status"] == ERROR).any()


def _saved(exc: ClusterError, n_done: int, n_blocks: int, out_dir) -> str:
    """``exc``'s line, with the blocks saved and how to resume."""
    if out_dir is None:
        return (f"{exc} {n_done} of {n_blocks} blocks were computed, none kept (no `out` "
                "folder): running again starts over.")
    return (f"{exc} {n_done} of {n_blocks} blocks are saved in {str(out_dir)!r}; rerun the "
            "same command to resume from them.")


def run_blocks(block_fn: BlockFn, conditions: list[Condition], *, seed: int, block_size: int,
               settings: Callable[[Condition], dict], out_dir=None, n_jobs: int = 1,
               progress: bool = True, overwrite: bool = False,
               desc: str = "replications", executor=None,
               worker_check: Callable[[], None] | None = None,
               reuse_blocks: str | None = None, wait_for_workers: int = 0,
               timeout: float | None = 60.0) -> BlockRun:
    """Run the replications of every condition in blocks, resuming from finished blocks.

    Parameters
    ----------
    block_fn : callable
        ``block_fn(reps, seed, condition) -> DataFrame``, at least one row per replication
        in ``reps``; must be picklable (a module-level function or a ``functools.partial``
        of one) for ``n_jobs > 1``.
    conditions : list of Condition
        Each with its B; replication r of condition c draws from
        ``replication_streams(seed, r, c.id)``.
    seed : int
        Study seed.
    block_size : int
        Replications per block; part of the settings, since it can fix which floating-point
        operations a replication goes through.
    settings : callable
        ``settings(condition) -> dict``: JSON-able settings that determine that condition's
        results (not B or n_jobs); a resumed run must have the same.
    out_dir : path or None
        Where finished blocks are kept (``out_dir/blocks/condition-<id>``, or
        ``out_dir/blocks`` for a study without factors); None keeps nothing.
    n_jobs : int
        Worker processes (joblib); -1 uses every core.
    progress : bool
        Show a progress bar with replications done and time left.
    overwrite : bool
        Discard blocks already in ``out_dir`` instead of resuming from them.
    desc : str
        Label of the progress bar.
    executor : None, "local", distributed.Client, str
        Where blocks run (:func:`gansim.study.executors.as_executor`): None or ``"local"`` for
        ``n_jobs`` local processes; a dask client, scheduler address or scheduler file for a
        cluster (``n_jobs`` is then not used).  Results do not depend on it.
    worker_check : callable, optional
        ``worker_check()`` raises when a worker cannot run these blocks as the driver would
        (run on every cluster worker before any block, and before each block there).
    reuse_blocks : {"same-code", "any-code"}, optional
        Which finished blocks a resume reuses: those computed by the same code only (a
        folder holding others is refused, naming what differs), or any (``"any-code"``,
        with a warning).  None: ``"same-code"`` unless :func:`reusing_blocks` says
        otherwise.
    wait_for_workers : int
        On a cluster: checked workers to wait for before the first block.
    timeout : float or None
        On a cluster: seconds to wait for those workers, and for any worker when every
        worker is lost mid-run (None: no limit).

    Raises
    ------
    gansim.study.executors.ClusterError
        The cluster failed the run (its scheduler lost, no workers, every worker gone); the
        message, one line, says how many blocks are saved and that the same call resumes.

    Returns
    -------
    BlockRun

    Examples
    --------
    >>> def block(reps, seed, condition):
    ...     return pd.DataFrame({"rep": reps, "status": "ok", "error": "",
    ...                          "u": [replication_streams(seed, r, condition.id)
    ...                                .data_rng().random() for r in reps]})
    >>> run = run_blocks(block, [Condition((), 5)], seed=1, block_size=2,
    ...                  settings=lambda c: {}, progress=False)
    >>> len(run.frames[""]), int(run.blocks.blocks_computed.sum())
    (5, 3)

    With ``out_dir``, the rows stay in the block files (``run.files``) until read.
    """
    t0 = time.perf_counter()
    reuse = REUSE.check(_REUSE_DEFAULT.get() if reuse_blocks is None else reuse_blocks,
                        "reuse_blocks")
    wait_for_workers = WAIT_FOR_WORKERS.check(wait_for_workers, "wait_for_workers")
    timeout = TIMEOUT.check(timeout, "timeout")
    code = code_identity()
    done: dict[tuple[str, int], pd.DataFrame | None] = {}
    digests: dict[tuple[str, int], str] = {}  # of the blocks kept on disk
    todo: list[tuple[Condition, int, int]] = []
    dirs: dict[str, Path] = {}
    manifests: dict[str, dict] = {}

    def manifest_of(cond: Condition) -> dict:
        if cond.label not in manifests:
            manifests[cond.label] = {"seed": int(seed), "block_size": int(block_size),
                                     **settings(cond)}
        return manifests[cond.label]

    resumed: dict[str, int] = {c.label: 0 for c in conditions}
    unchecked: list[Path] = []  # resumed blocks without a recorded checksum
    code_notes: dict[str, list[Path]] = {"no-code": [], "other-code": []}
    for cond in conditions:
        blocks_dir = None
        if out_dir is not None:
            blocks_dir = condition_dir(Path(out_dir) / "blocks", cond)
            note = _check_manifest(blocks_dir, manifest_of(cond), overwrite, code, reuse)
            if note is not None:
                code_notes[note].append(blocks_dir)
            dirs[cond.label] = blocks_dir
        for start, stop in block_ranges(cond.replications, block_size):
            path = None if blocks_dir is None else _block_path(blocks_dir, start, stop)
            if path is not None and path.exists():
                frame, data = _read_block(path)
                if frame is not None and _reusable(frame, start, stop, cond, seed, path):
                    match = _checksum_matches(path, data)
                    if match is None:
                        # Kept no checksum: reused after the checks above, as before, and
                        # its checksum recorded now, so that a later change is caught.
                        unchecked.append(path)
                        write_atomic(checksum_path(path),
                                     lambda tmp, d=data, p=path: tmp.write_text(
                                         _sha256_line(d, p)))
                    if match is False:
                        warnings.warn(
                            f"block file {str(path)!r} does not match its checksum in "
                            f"{str(checksum_path(path))!r} (it changed after it was "
                            "written): its replications are computed again.",
                            RuntimeWarning, stacklevel=2)
                    else:
                        # Read again by the caller, when it needs the rows: the driver
                        # holds no block it has on disk.
                        done[cond.label, start] = None
                        digests[cond.label, start] = hashlib.sha256(data).hexdigest()
                        resumed[cond.label] += 1
                        continue
            todo.append((cond, start, stop))
    if unchecked:
        warnings.warn(
            f"{len(unchecked)} block file(s), e.g. {str(unchecked[0])!r}, have no checksum "
            "(written by an earlier gansim): reused after checking their replications, "
            "condition and seed, and their checksums recorded now; pass overwrite=True "
            "(--overwrite) to compute them again instead.", RuntimeWarning, stacklevel=2)
    if code_notes["no-code"]:
        warnings.warn(
            f"{len(code_notes['no-code'])} folder(s) of blocks, e.g. "
            f"{str(code_notes['no-code'][0])!r}, record no code identity (written by an "
            "earlier gansim): their blocks are reused after the other checks, and the code "
            "of this run recorded now; pass overwrite=True (--overwrite) to compute them "
            "again instead.", RuntimeWarning, stacklevel=2)
    if code_notes["other-code"]:
        warnings.warn(
            f"{len(code_notes['other-code'])} folder(s) of blocks, e.g. "
            f"{str(code_notes['other-code'][0])!r}, hold blocks computed by other code: "
            "reused as asked (reuse_blocks='any-code'); their manifests list that code "
            f"under {REUSED_KEY!r}.", RuntimeWarning, stacklevel=2)
    # Before the bar: a bad cluster name leaves none.
    runner = as_executor(executor, n_jobs, wait_for_workers=wait_for_workers,
                         timeout=timeout)
    # Counted in kept replications: the padding of a condition's last block is not shown.
    kept = {(c.label, a): min(b, c.replications) - a
            for c in conditions for a, b in block_ranges(c.replications, block_size)}
    bar = tqdm(total=sum(kept.values()), initial=sum(kept[k] for k in done), unit="rep",
               desc=desc, disable=not progress, smoothing=0.1)
    try:
        if todo:
            # Stable task keys only where a scheduler uses them: the local path computes no
            # settings it did not compute before.
            keyed = runner.backend != "local"
            tasks = [(block_key({**manifest_of(c), CODE_KEY: code["digest"]}, c.label, a, b)
                      if keyed else "", (block_fn, c, a, b, seed)) for c, a, b in todo]
            results = runner.run(_run_block, tasks, worker_check)
            try:
                for label, start, frame in results:
                    if label in dirs:
                        digests[label, start] = _write_block(
                            frame, _block_path(dirs[label], start, start + block_size))
                    done[label, start] = None if label in dirs else frame
                    del frame
                    bar.update(kept[label, start])
            except ClusterError as exc:
                raise ClusterError(_saved(exc, len(done), len(kept), out_dir)) from None
        info = runner.info()
    finally:
        bar.close()
        runner.close()
    files, held = {}, {}
    for cond in conditions:
        ranges = block_ranges(cond.replications, block_size)
        if cond.label in dirs:
            files[cond.label] = [BlockFile(_block_path(dirs[cond.label], a, b),
                                           digests[cond.label, a]) for a, b in ranges]
            continue
        frame = pd.concat([done[cond.label, a] for a, _ in ranges], ignore_index=True)
        held[cond.label] = frame[frame["rep"] < cond.replications].reset_index(drop=True)
        del frame
    computed = pd.Series([c.label for c, _, _ in todo]).value_counts()
    blocks = pd.DataFrame({"label": [c.label for c in conditions],
                           "blocks_computed": [int(computed.get(c.label, 0)) for c in conditions],
                           "blocks_resumed": [resumed[c.label] for c in conditions]})
    return BlockRun(blocks, time.perf_counter() - t0, info, files, held,
                    {c.label: c.replications for c in conditions})
