"""Declare a simulation study and run it: design -> generate -> analyse, as tidy rows.

A :class:`Study` declares, as SimDesign's ``runSimulation`` does in R,

- a **design**: conditions from :func:`gansim.study.design.condition_grid` (factors x levels, each
  with its B), or none (one condition, id 0, B = ``replications``);
- a **generate** step: by default ``dgp.sample(n, rng)``, the DGP a gansim DGP, a frozen
  ``scipy.stats`` distribution or any object with ``sample(n, rng)``, chosen per condition;
  or the user's ``generate(condition, rng) -> 1-D array``;
- an **analyse** step: every method is applied to the same data (paired by construction),
  one block of replications at a time (:meth:`gansim.study.methods.Method.analyse_block`); a
  :class:`~gansim.study.methods.Method` (GAN, bootstrap, ...) gives a sample per replication on
  which the study computes its **functionals** (:class:`~gansim.study.functionals.Functional`,
  built-in or the user's) and its **distances** to the truth, plus the method's
  diagnostics; a plain function ``fn(x, rng)`` gives a sample or its own estimates.

:func:`run_study` runs it through :func:`gansim.study.runner.run_blocks` (fixed blocks, parallel,
resumable) and returns a :class:`StudyResult` whose ``tidy`` frame has one row per
(condition, replication, method, quantity); :meth:`StudyResult.summary` applies
:func:`gansim.summary.simsum.summarise`.

Randomness.  Replication r of condition c draws its data from
``replication_streams(seed, r, c.id).data_rng()``; a GAN's initial weights and training
noise from the replication's ``init`` and ``noise`` streams; each method's draws from its own
stream (:func:`gansim.study.methods.method_seed`).

Failures belong to one replication, and where they can to one quantity
(:mod:`gansim.study.analysis`).  An exception inside generate or a method's fit is recorded on that
replication's rows (status ``"error"``, with its reason; recomputed on resume); a method's
non-finite draws make them ``"failed"``.  A functional, distance or diagnostic that raises
makes that (replication, method, quantity) row ``"error"``, and one that returns a
non-finite estimate makes it ``"failed"``; the replication's other quantities, and the other
replications, keep their values.  Warnings are kept per row.  A condition in which more than
``max_failure_share`` of the replications have a row not ``"ok"`` (or all of them do) stops
the study with a :class:`StudyError` naming the condition, the most common reason and how to
replay one such replication (:func:`replay`).
"""

from __future__ import annotations

import numbers
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gansim._platform import code_identity
from gansim._validation import (
    SD_RANGE,
    AnyOf,
    Boolean,
    Instance,
    Integer,
    NoneOr,
    Options,
    check_int,
    check_scale,
    validate_params,
)
from gansim.rng import replication_streams
from gansim.study.analysis import Block, capture, filler
from gansim.study.design import Condition, check_conditions
from gansim.study.dgp import as_dgp, check_sample, dgp_name, vectorised
from gansim.study.distances import DISTANCES, supported_distances
from gansim.study.functionals import (
    ESTIMATE_FIELDS,
    Functional,
    make_functionals,
    true_value,
)
from gansim.study.identity import callable_id, differences, object_id
from gansim.study.methods import Method, as_method
from gansim.study.runner import (
    ERROR,
    REUSE,
    TIMEOUT,
    WAIT_FOR_WORKERS,
    BlockFile,
    read_block_file,
    read_blocks,
    reraised,
    run_blocks,
)
from gansim.summary.simsum import is_missing, unique_in_order

__all__ = ["Study", "StudyError", "StudyResult", "TIDY_COLUMNS", "auto_block_size", "replay",
           "run_study"]

#: Columns of :attr:`StudyResult.tidy` after the design's factor columns.
TIDY_COLUMNS = ["condition", "rep", "seed", "spawn_key", "method", "quantity",
                *ESTIMATE_FIELDS, "truth", "status", "error", "warnings"]

_DEFAULT_FUNCTIONALS = ("mean", "median", "sd", "q10", "q90")

#: Largest memory, in bytes, one block's draws may need (:class:`Study` refuses more).
MEMORY_BUDGET = 8 * 2**30
#: Replications per block unless a study says otherwise (and ``block_size="auto"`` off a GPU).
DEFAULT_BLOCK_SIZE = 100


class StudyError(RuntimeError):
    """A study stopped because too many replications failed; ``result`` holds what ran."""

    def __init__(self, message: str, result: StudyResult | None = None):
        super().__init__(message)
        self.result = result


@dataclass(frozen=True, eq=False)
class Study:
    """A simulation study: design, data-generating process, methods, functionals.

    Parameters
    ----------
    methods : sequence
        Methods applied to every replication's data: :class:`~gansim.study.methods.Method`
        objects (``GAN()``, ``Bootstrap()``, ...), registry names (``"ecdf"``) or plain
        functions ``fn(x, rng)`` (:class:`~gansim.study.methods.FunctionMethod`).  Labels must
        be distinct.
    dgp : optional
        The data-generating process: one object for every condition (a gansim DGP, a frozen
        ``scipy.stats`` distribution, anything with ``sample(n, rng)``); a mapping from the
        levels of the factor ``dgp`` to such objects; or a function ``dgp(condition) ->``
        such an object.  None: the factor ``dgp`` holds names of the registry
        :data:`gansim.study.dgp.DGPS` (``"normal"``, ``"t"``, ``"lognormal"``, ``"mixture"``,
        ``"gamma"``, ``"uniform"``: :class:`~gansim.Normal`, :class:`~gansim.StudentT`,
        :class:`~gansim.LogNormal`, :class:`~gansim.NormalMixture`, :class:`~gansim.Gamma`,
        :class:`~gansim.Uniform` with their defaults).  With ``generate`` given, the DGP
        (if any) only supplies truths and distances.
    design : list of Condition, optional
        Conditions from :func:`~gansim.study.design.condition_grid`; None for one condition
        without factors (condition id 0) run ``replications`` times.
    replications : int, optional
        B when there is no ``design`` (>= 2); with a design, B is each condition's.
    n : int, optional
        Sample size, when ``n`` is not a factor of the design (>= 2).
    m : int
        Draws per method and replication for methods that sample (>= 2).
    functionals : sequence or mapping
        Built-in names (``"mean", "median", "sd", "q10", "q90"``, the default) or a mapping
        ``name -> Functional | built-in name | callable(sample) -> float``.
    distances : sequence of str
        Among ``"ks", "w1", "cvm"`` (default all); one a DGP cannot provide is skipped for
        it, with a note.
    generate : callable, optional
        ``generate(condition, rng) -> 1-D array`` with ``condition`` a dict of the factor
        levels (and ``n`` when given here); real, finite numbers, n of them when the study
        has an n (else that replication fails, with the reason).
    block_size : int or "auto"
        Replications per block (>= 1; lowered to the largest B when larger, since the last
        block is computed whole); part of the settings.  ``"auto"``: on a CUDA device
        the largest block that fits in the GPU's free memory when the study is declared
        (:func:`auto_block_size`: the whole largest B when it fits, else B split into equal
        blocks that fit), for one block on the GPU at a time (``n_jobs=1``); elsewhere 100.
        The settings record the number it resolves to, so a resume where it resolves
        differently is refused: pass that number to resume there.
    device : str
        Torch device of the GANs: ``"cpu"``, ``"cuda"`` or ``"cuda:<index>"``.
    max_failure_share : float
        Stop with :class:`StudyError` when a condition has more than this share of
        replications with a failed row (in [0, 1]; default 0.2); all failed always stops.
    name : str
        Name of the study in settings and run records.

    Examples
    --------
    >>> import scipy.stats as st
    >>> from gansim.study.methods import Bootstrap, EmpiricalCDF
    >>> study = Study([EmpiricalCDF(), Bootstrap()], dgp=st.gamma(2), replications=20, n=30,
    ...               m=200, functionals=["mean", "sd"], distances=["ks"])
    >>> res = run_study(study, seed=1, progress=False)
    >>> res.tidy.groupby(["method", "quantity"]).size().tolist()
    [20, 20, 20, 20, 20, 20]
    """

    methods: Sequence[Any]
    dgp: Any = None
    design: Sequence[Condition] | None = None
    replications: int | None = None
    n: int | None = None
    m: int = 10_000
    functionals: Any = _DEFAULT_FUNCTIONALS
    distances: Sequence[str] = tuple(DISTANCES)
    generate: Callable | None = None
    block_size: int | str = DEFAULT_BLOCK_SIZE
    device: str = "cpu"
    max_failure_share: float = 0.2
    name: str = "study"
    _functionals: dict = field(init=False, repr=False)
    _engines: dict = field(init=False, repr=False)
    _resolved: dict = field(init=False, repr=False)
    _dgps: dict = field(init=False, repr=False)
    _compiler: str | None = field(init=False, repr=False)

    def __post_init__(self):
        _study_iv(self)

    # -- per condition -------------------------------------------------------------------

    def levels(self, condition: Condition) -> dict:
        """The condition's factor levels, with ``n`` when the study fixes it."""
        out = dict(condition.factors)
        if self.n is not None and "n" not in out:
            out["n"] = self.n
        return out

    def dgp_for(self, condition: Condition) -> Any:
        """The data-generating process of a condition (None when ``generate`` needs none),
        its ``cdf``, ``sf`` and ``ppf`` made callable on arrays where they take one number
        at a time (:func:`gansim.study.dgp.vectorised`, checked once per condition)."""
        key = condition.label
        if key not in self._dgps:
            self._dgps[key] = vectorised(self._resolve_dgp(condition))
        return self._dgps[key][0]

    def _resolve_dgp(self, condition: Condition) -> Any:
        levels = dict(condition.factors)
        spec = self.dgp
        if spec is None:
            if "dgp" in levels:
                return as_dgp(levels["dgp"], "factor `dgp`")
            return None
        if isinstance(spec, Mapping):
            key = levels.get("dgp")
            if key not in spec:
                raise ValueError(f"`dgp` mapping has no entry for the factor level dgp={key!r}; "
                                 f"it has {sorted(spec)}.")
            return as_dgp(spec[key])
        if callable(spec) and not hasattr(spec, "rvs") and not hasattr(spec, "sample"):
            return as_dgp(spec(self.levels(condition)))
        return as_dgp(spec)

    def truths(self, dgp: Any) -> dict[str, float | None]:
        """True value of each functional for ``dgp`` (None where unknown); a truth that
        raises is a ValueError naming its functional (:meth:`Functional.true_value`)."""
        return {k: (None if dgp is None else f.true_value(dgp, k))
                for k, f in self._functionals.items()}

    def distances_for(self, dgp: Any) -> tuple[tuple[str, ...], list[str]]:
        """The distances computable against ``dgp`` and a note for each skipped one."""
        if not self.distances:
            return (), []
        if dgp is None:
            return (), [f"distances {list(self.distances)} skipped: no DGP"]
        return supported_distances(dgp, self.distances)

    def notes(self, condition: Condition) -> list[str]:
        """What this study cannot compute for a condition (a truth, a distance, a method's
        diagnostic), and why; and a DGP function called point by point."""
        dgp = self.dgp_for(condition)
        notes = list(self._dgps[condition.label][1])
        notes += self.distances_for(dgp)[1]
        unknown = [k for k, v in self.truths(dgp).items() if v is None]
        if unknown:
            notes.append(f"true value unknown for {unknown} under {object_id(dgp)}: no bias, "
                         "MSE or coverage for them")
        for method in self.methods:
            notes += method.notes(dgp)
        return notes

    def settings(self, condition: Condition | None = None) -> dict:
        """JSON-able settings that determine the results (not B, the seed or n_jobs)."""
        out = {
            "study": self.name,
            "methods": [m.settings() for m in self.methods],
            "n": self.n, "m": self.m, "block_size": self.block_size, "device": self.device,
            "functionals": {k: _describe(f) for k, f in self._functionals.items()},
            "distances": list(self.distances),
            "generate": None if self.generate is None else _describe(self.generate),
        }
        # The engine that will train each GAN, resolved here: a resume on a machine where it
        # would resolve differently (no C compiler, say) is refused rather than mixed.
        if self._engines:
            out["engines"] = self._engines
        if self._compiler is not None:
            out["compiler"] = self._compiler
        if condition is not None:
            out["condition"] = condition.as_dict
            out["condition_id"] = condition.id
            out["dgp"] = object_id(self.dgp_for(condition))
        return out

    @property
    def conditions(self) -> list[Condition]:
        """The design's conditions (one without factors when there is no design)."""
        if self.design is None:
            return [Condition((), self.replications)]
        return list(self.design)


@dataclass(frozen=True, init=False, eq=False)
class StudyResult:
    """What :func:`run_study` returns.

    Attributes
    ----------
    tidy : DataFrame
        One row per (condition, replication, method, quantity): the design's factor columns,
        then :data:`TIDY_COLUMNS` (``condition`` the condition's id as a signed 32-bit
        integer, :attr:`~gansim.study.design.Condition.key`, which R reads exactly; ``estimate``,
        ``se``, ``lower``, ``upper``, ``truth`` NaN where not given; ``status`` ``"ok"``,
        ``"failed"`` or ``"error"``).  When the run kept its blocks (``out_dir``), read
        from the block files the first time it is used, and kept then; :meth:`summary`,
        :meth:`save`, :meth:`failures`, :attr:`conditions` and ``print`` do not need it.
    conditions : DataFrame
        One row per condition: factors, ``condition`` (its key, as in ``tidy``), ``B``,
        ``blocks_computed``, ``blocks_resumed``, ``n_error``, ``n_failed``, ``n_warned``
        (replications with a row of that status or a warning), for each method with a
        ``collapsed`` diagnostic (the GAN) ``collapsed_<label>``, the share of its fits
        flagged collapsed (among its replications with that row ok; the notes say so above
        10%), and ``notes``.
    study : Study or None
        None for a result read back by :meth:`load`.
    seed : int
    wall_time : float
        Seconds spent in :func:`run_study`.
    executor : dict
        Where the blocks ran: ``backend`` (``"local"`` or ``"dask"``) and ``n_jobs``, or the
        scheduler address, number of workers and their hosts
        (:meth:`gansim.study.executors.DaskExecutor.info`).
    record : dict
        For a result read back by :meth:`load`: what :meth:`save` recorded (study name,
        factors, methods, the settings of each condition); empty otherwise.

    Notes
    -----
    ``print(result)`` gives an overview in the manner of rsimsum's: conditions and B,
    methods, quantities, rows by status with the failures' first reasons, the share of
    collapsed GANs, the notes.
    """

    conditions: pd.DataFrame
    study: Study | None
    seed: int
    wall_time: float
    executor: dict = field(default_factory=dict)
    record: dict = field(default_factory=dict)

    def __init__(self, tidy: pd.DataFrame, conditions: pd.DataFrame, study: Study | None,
                 seed: int, wall_time: float, executor: dict | None = None,
                 record: dict | None = None):
        set_ = partial(object.__setattr__, self)
        set_("_tidy", tidy)
        set_("_rows", None)
        set_("conditions", conditions)
        set_("study", study)
        set_("seed", seed)
        set_("wall_time", wall_time)
        set_("executor", {} if executor is None else executor)
        set_("record", {} if record is None else record)

    @classmethod
    def _from_blocks(cls, rows: _BlockRows, conditions: pd.DataFrame, study: Study,
                     seed: int, wall_time: float, executor: dict) -> StudyResult:
        """A result whose rows stay in the run's block files (``rows``) until asked for."""
        result = cls(None, conditions, study, seed, wall_time, executor)
        object.__setattr__(result, "_rows", rows)
        return result

    @property
    def tidy(self) -> pd.DataFrame:
        """One row per (condition, replication, method, quantity): see the class's
        attributes.  Read from the block files, all at once, the first time it is used when
        the run kept them."""
        if self._tidy is None:
            object.__setattr__(self, "_tidy", self._rows.tidy())
        return self._tidy

    def cluster_record(self) -> dict:
        """``{"executor": ...}`` for a run record when the blocks ran on a cluster, else
        ``{}`` (a local run's record stays as it was)."""
        if self.executor.get("backend", "local") == "local":
            return {}
        return {"executor": self.executor}

    @property
    def factors(self) -> list[str]:
        """Names of the design's factors."""
        if self.study is None:  # read back by load()
            return list(self.record.get("factors", []))
        return [k for k, _ in self.study.conditions[0].factors]

    @property
    def name(self) -> str:
        """The study's name."""
        return self.study.name if self.study is not None else self.record.get("study", "")

    # -- saving and reading back ---------------------------------------------------------

    def save(self, out_dir) -> Path:
        """Write the results as the shipped studies do, in ``out_dir``.

        Files: ``replications.csv.gz`` (the tidy rows, with the design's factor columns),
        ``summary.csv`` (:meth:`summary`), ``conditions.csv`` (:attr:`conditions`) and
        ``result.json`` (study name, seed, factors, methods, wall time, the settings of
        each condition); CSV that R's ``read.csv`` reads as it is
        (:func:`gansim._files.write_csv`).  :meth:`load` reads them back.  When the run kept
        its blocks, the rows are written block by block, never all in memory, with the same
        bytes.

        Parameters
        ----------
        out_dir : path
            Created if needed; may be the study's ``out_dir`` (the files sit beside
            ``blocks/``).

        Returns
        -------
        pathlib.Path
            ``out_dir``.
        """
        import json

        from gansim._files import write_csv, write_csv_parts, write_text

        out = Path(check_out_dir(out_dir))
        if out.exists() and not out.is_dir():
            raise ValueError(f"`out_dir` {str(out)!r} exists and is not a folder.")
        out.mkdir(parents=True, exist_ok=True)
        if self._tidy is None:
            write_csv_parts(self._rows.csv_parts(), out / REPLICATIONS_FILE)
        else:
            write_csv(self._tidy, out / REPLICATIONS_FILE)
        write_csv(self.summary(), out / SUMMARY_FILE)
        write_csv(self.conditions, out / CONDITIONS_FILE)
        record = {"study": self.name, "seed": self.seed, "factors": self.factors,
                  "methods": self._overview().methods,
                  "wall_time_s": round(self.wall_time, 3), "executor": self.executor,
                  "settings": (self.record.get("settings", {}) if self.study is None else
                               {c.label: self.study.settings(c)
                                for c in self.study.conditions})}
        write_text(out / RESULT_FILE,
                   json.dumps(record, indent=2, sort_keys=True, default=str) + "\n")
        return out

    @classmethod
    def load(cls, out_dir) -> StudyResult:
        """Read back what :meth:`save` wrote: ``tidy`` and ``conditions`` as they were
        (floats to the last bit), ``study`` None (its settings in ``record``).

        Parameters
        ----------
        out_dir : path

        Returns
        -------
        StudyResult
        """
        import json

        out = Path(check_out_dir(out_dir))
        missing = [f for f in (REPLICATIONS_FILE, CONDITIONS_FILE, RESULT_FILE)
                   if not (out / f).is_file()]
        if missing:
            raise FileNotFoundError(f"`out_dir` {str(out)!r} lacks {missing}: not a folder "
                                    "written by StudyResult.save.")
        record = json.loads((out / RESULT_FILE).read_text())
        text = {c: str for c in ("spawn_key", "method", "quantity", "status", "error",
                                 "warnings", "notes")}
        tidy = pd.read_csv(out / REPLICATIONS_FILE, dtype=text, keep_default_na=False,
                           na_values={c: [""] for c in (*ESTIMATE_FIELDS, "truth")})
        conditions = pd.read_csv(out / CONDITIONS_FILE, dtype={"notes": str},
                                 keep_default_na=False)
        for frame in (tidy, conditions):
            for k in record.get("factors", []):
                if k in frame and frame[k].dtype == object:
                    frame[k] = frame[k].astype(str)
        for c in conditions:
            if c.startswith(COLLAPSED_PREFIX):
                conditions[c] = pd.to_numeric(conditions[c].replace("", np.nan))
        return cls(tidy, conditions, None, int(record["seed"]),
                   float(record.get("wall_time_s", np.nan)), record.get("executor", {}),
                   record)

    # -- an overview ---------------------------------------------------------------------

    def _overview(self) -> _Overview:
        """What the overview counts, from the block files' scan or from :attr:`tidy`."""
        if self._tidy is None:
            return self._rows.overview
        view = _Overview()
        view.add(self._tidy)
        return view

    def __str__(self) -> str:
        view, c = self._overview(), self.conditions
        B = c["B"] if "B" in c else pd.Series(dtype=int)
        # Not NaN: rows of a block that raised outside the methods have neither.
        methods = [str(v) for v in view.methods if not is_missing(v)]
        quantities = [str(v) for v in view.quantities if not is_missing(v)]
        lines = [f"Study {self.name!r}: seed {self.seed}, {len(c)} condition"
                 f"{'s' if len(c) != 1 else ''}"
                 + (f" ({' x '.join(self.factors)})" if self.factors else "")
                 + (f", B = {int(B.min())}" if len(B) and B.min() == B.max()
                    else f", B = {int(B.min())} to {int(B.max())}" if len(B) else ""),
                 f"Methods: {', '.join(methods)}",
                 f"Quantities: {', '.join(quantities)}"]
        counts = view.status_counts()
        bad = self.failures()
        by_status = ", ".join(f"{k} {int(v):,}" for k, v in counts.items())
        lines.append(f"Rows: {view.rows:,} ({by_status})"
                     + (f"; {bad.groupby(['condition', 'rep']).ngroups:,} replications with a "
                        "row not ok" if len(bad) else ""))
        if len(bad):
            for (method, quantity), g in list(bad.groupby(["method", "quantity"],
                                                          sort=False, dropna=False))[:8]:
                where = ("a whole block" if pd.isna(method) and pd.isna(quantity)
                         else f"{method} / {quantity}")
                lines.append(f"  {where}: {len(g)} {g['status'].iloc[0]}, e.g. "
                             f"{str(g['error'].iloc[0])[:100]}")
        shares = [col for col in c if col.startswith(COLLAPSED_PREFIX)]
        for col in shares:
            v = c[col].mean()
            lines.append(f"Collapsed {col[len(COLLAPSED_PREFIX):]}: {v:.1%} of fits "
                         f"(by condition {c[col].min():.0%} to {c[col].max():.0%})")
        notes = sorted({n for text in c.get("notes", pd.Series(dtype=str)) for n in
                        str(text).split("; ") if n})
        if notes:
            lines.append("Notes:")
            lines += [f"  {n}" for n in notes[:10]]
            if len(notes) > 10:
                lines.append(f"  ... ({len(notes) - 10} more)")
        lines.append(f"Wall time {self.wall_time:.1f} s; .tidy ({view.rows:,} rows), "
                     ".conditions, .summary(), .failures(), .save(dir)")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<StudyResult\n{self}>"

    def summary(self, *, ref: str | None = None, **kwargs) -> pd.DataFrame:
        """Performance measures with MCSE: :func:`gansim.summary.simsum.summarise` by the
        factors.  When the run kept its blocks, computed one condition and quantity at a time
        from the block files (:func:`gansim.summary.simsum.summarise_parts`), the same to the
        last bit."""
        if self._tidy is None:
            from gansim.summary.simsum import summarise_parts

            return summarise_parts(self._rows.plan, self._rows.summary_parts(), ref=ref,
                                   **kwargs)
        from gansim.summary.simsum import summarise

        return summarise(self._tidy, by=self.factors, ref=ref, **kwargs)

    def wide(self, field: str = "estimate") -> pd.DataFrame:
        """One row per (condition, replication, method), a column per quantity (rows with
        status ok only): the shape statsmodels formulas want.  It needs :attr:`tidy` (read
        from the block files when the run kept them)."""
        ok = self.tidy[self.tidy["status"] == "ok"]
        keys = [*self.factors, "condition", "rep", "method"]
        # Not pivot_table(dropna=False): it crosses the index levels, adding rows for
        # combinations that never ran (n=50 with the id of the n=200 condition), all NaN.
        # groupby keeps the (condition, rep, method) keys that exist, in order of appearance,
        # and a quantity whose field is NaN throughout still gets its column.
        cells = ok.groupby([*keys, "quantity"], sort=False, dropna=False)[field].first()
        rows = pd.MultiIndex.from_frame(ok[keys].drop_duplicates())
        wide = cells.unstack("quantity").reindex(index=rows,
                                                 columns=pd.unique(ok["quantity"]))
        wide.columns.name = None
        return wide.reset_index()

    def failures(self) -> pd.DataFrame:
        """Rows not ok, with the seed material to :func:`replay` each."""
        if self._tidy is None:
            return self._rows.failures.copy()
        return self._tidy[self._tidy["status"] != "ok"].reset_index(drop=True)


# ------------------------------------------------------------------------------------------
# Running.


@validate_params(
    study=Instance(Study, "a gansim Study"), seed=Integer(0, 2**63 - 1),
    n_jobs=AnyOf(Integer(1), Options(-1)), progress=Boolean(), overwrite=Boolean(),
    reuse_blocks=NoneOr(REUSE), wait_for_workers=WAIT_FOR_WORKERS, timeout=TIMEOUT)
def run_study(study: Study, *, seed: int, n_jobs: int = 1, out_dir=None, progress: bool = True,
              overwrite: bool = False, executor=None, reuse_blocks: str | None = None,
              wait_for_workers: int = 0, timeout: float | None = 60.0) -> StudyResult:
    """Run every condition of a study; resumable when ``out_dir`` is given.

    Parameters
    ----------
    study : Study
    seed : int
        Study seed (>= 0); results depend on it, never on ``n_jobs`` or on interruptions.
    n_jobs : int
        Worker processes; -1 for all cores.
    out_dir : path, optional
        Keep finished blocks in ``out_dir/blocks/condition-<id>/`` and resume from them.
        The result's rows then stay in those files (the conditions, summary, saved files
        and failures are read from them a block at a time) until :attr:`StudyResult.tidy`
        is used, so memory does not grow with B; without it, every row stays in memory.
    progress : bool
        A progress bar with the time left.
    overwrite : bool
        Discard finished blocks in ``out_dir`` instead of resuming.
    executor : None, "local", distributed.Client or str
        Where blocks run: None or ``"local"`` for ``n_jobs`` local processes; a
        ``distributed.Client``, a scheduler address ``"tcp://HOST:PORT"`` or a scheduler
        file for a dask cluster (``pip install gansim[dask]``; ``n_jobs`` is then not
        used).  The results are the same; this process writes every block file.
    reuse_blocks : {"same-code", "any-code"}, optional
        Which finished blocks in ``out_dir`` a resume reuses: by default only those computed
        by the same code (gansim's source digest, torch, numpy and the C compiler; a folder
        holding others is refused with one line naming what differs), or any
        (``"any-code"``, with a warning).
    wait_for_workers : int
        On a cluster: workers (checked: same code as here) to wait for before the first
        block, for a cluster that starts them on demand; 0 needs one present at the start.
    timeout : float or None
        On a cluster: seconds to wait for those workers, and for any worker when every
        worker is lost mid-run (None: no limit).

    Returns
    -------
    StudyResult

    Raises
    ------
    StudyError
        When a condition's failure share passes ``study.max_failure_share``; the error's
        ``result`` holds everything computed.
    gansim.study.executors.ClusterError
        The cluster failed the run (its scheduler lost, no workers, every worker gone): one
        line saying how many blocks are saved; the same call resumes from them.
    """
    out_dir = check_out_dir(out_dir, allow_none=True)
    t0 = time.perf_counter()
    conditions = study.conditions
    notes = {c.label: study.notes(c) for c in conditions}  # also checks every DGP up front
    with output_folder(out_dir, study, seed, overwrite):
        run = run_blocks(partial(study_block, study=study), conditions, seed=seed,
                         block_size=study.block_size, settings=study.settings,
                         out_dir=out_dir, n_jobs=n_jobs, progress=progress,
                         overwrite=overwrite, desc=study.name, executor=executor,
                         worker_check=partial(check_worker, study),
                         reuse_blocks=reuse_blocks, wait_for_workers=wait_for_workers,
                         timeout=timeout)
    factors = [k for k, _ in conditions[0].factors]
    if run.files:
        # Kept on disk (out_dir): counted block by block, the rows read again when asked.
        source = _BlockRows(conditions, factors, run.files)
        tallies = source.tallies
    else:
        tallies = {}
        for cond in conditions:
            tallies[cond.label] = _Tally()
            tallies[cond.label].add(_tidy_form(run.held[cond.label], cond, factors))
    rows = []
    for cond, info in zip(conditions, run.blocks.itertuples(), strict=True):
        tally = tallies[cond.label]
        shares, collapse_notes = tally.collapsed_shares()
        rows.append({**cond.as_dict, "condition": cond.key, "B": cond.replications,
                     "blocks_computed": info.blocks_computed,
                     "blocks_resumed": info.blocks_resumed,
                     "n_error": tally.n_error, "n_failed": tally.n_failed,
                     "n_warned": tally.n_warned, **shares,
                     "notes": "; ".join([*notes[cond.label], *collapse_notes])})
    conds = pd.DataFrame(rows)
    share_cols = [c for c in conds if c.startswith(COLLAPSED_PREFIX)]
    conds = conds[[c for c in conds if c not in share_cols and c != "notes"] + share_cols
                  + ["notes"]]
    if run.files:
        result = StudyResult._from_blocks(source, conds, study, seed,
                                          time.perf_counter() - t0, run.executor)
    else:
        tidy = _assemble_tidy(conditions, factors, run.held)
        result = StudyResult(tidy, conds, study, seed, time.perf_counter() - t0,
                             run.executor)
    _check_failures(result)
    return result


# ------------------------------------------------------------------------------------------
# The tidy rows from the blocks' rows.


def _tidy_form(frame: pd.DataFrame, cond: Condition, factors: list[str]) -> pd.DataFrame:
    """A condition's rows (all, or a block's) with the tidy columns: the factors, the
    condition's key, and :data:`TIDY_COLUMNS` (NaN where a block that raised outside the
    methods has none)."""
    frame = frame.reindex(columns=[*factors, *TIDY_COLUMNS])
    for k, v in cond.factors:
        frame[k] = v
    frame["condition"] = condition_column([cond.key] * len(frame))
    return frame


def _text_columns(tidy: pd.DataFrame) -> pd.DataFrame:
    """``error`` and ``warnings`` as text, empty where missing."""
    # As text first: a column of only missing values is float64, which "" cannot fill.
    tidy["error"] = tidy["error"].astype("str").fillna("")
    tidy["warnings"] = tidy["warnings"].astype("str").fillna("")
    return tidy


def _assemble_tidy(conditions: list[Condition], factors: list[str],
                   frames: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """:attr:`StudyResult.tidy` from each condition's rows (replications ``0 .. B-1`` in
    block order), one frame for every condition."""
    tidy = pd.concat([_tidy_form(frames[c.label], c, factors) for c in conditions],
                     ignore_index=True)
    return _text_columns(tidy)


class _Tally:
    """A condition's counts for :attr:`StudyResult.conditions`, added part by part; a part
    holds whole replications (a block does), so the counts of replications add up."""

    def __init__(self):
        self.n_error = self.n_failed = self.n_warned = 0
        self.collapsed: dict[Any, list[int]] = {}  # method -> [fits with that row ok, flagged]

    def add(self, frame: pd.DataFrame) -> None:
        status, rep = frame["status"], frame["rep"]
        self.n_error += int(rep[status == ERROR].nunique())
        self.n_failed += int(rep[status == "failed"].nunique())
        warned = frame["warnings"].astype(object).fillna("") != ""
        self.n_warned += int(rep[warned].nunique())
        rows = frame[frame["quantity"] == "collapsed"]
        for method in pd.unique(rows["method"]):
            flags = rows.loc[(rows["method"] == method) & (rows["status"] == "ok"), "estimate"]
            entry = self.collapsed.setdefault(method, [0, 0])
            entry[0] += len(flags)
            entry[1] += int((flags == 1).sum())

    def collapsed_shares(self) -> tuple[dict[str, float], list[str]]:
        """Per method with a ``collapsed`` diagnostic: the share of its replications (with
        that row ok) flagged collapsed, and a note for each share above
        :data:`COLLAPSED_NOTE_SHARE`."""
        shares, notes = {}, []
        for method, (n, flagged) in self.collapsed.items():
            # count / count: the mean of the 0/1 flags, to the last bit.
            share = flagged / n if n else float("nan")
            shares[f"{COLLAPSED_PREFIX}{method}"] = share
            if n and share > COLLAPSED_NOTE_SHARE:
                notes.append(f"{method}: {flagged} of {n} fits ({share:.0%}) collapsed "
                             f"(diagnostic collapsed), more than {COLLAPSED_NOTE_SHARE:.0%}")
        return shares, notes


class _Overview:
    """What ``print(result)`` and the saved record count of the rows, added part by part."""

    def __init__(self):
        self.rows = 0
        self.methods: list = []  # in order of first appearance, NaN included
        self.quantities: list = []
        self._status: dict[str, int] = {}

    def add(self, frame: pd.DataFrame) -> None:
        self.rows += len(frame)
        self.methods = unique_in_order(self.methods, pd.unique(frame["method"]))
        self.quantities = unique_in_order(self.quantities, pd.unique(frame["quantity"]))
        counts = frame["status"].value_counts()
        for status in pd.unique(frame["status"]):
            self._status[status] = self._status.get(status, 0) + int(counts[status])

    def status_counts(self) -> pd.Series:
        """Rows per status, most first (ties in order of first appearance), as
        ``value_counts``."""
        return pd.Series(self._status, dtype="int64").sort_values(ascending=False,
                                                                  kind="stable")


class _BlockRows:
    """A run's rows where it kept them, each condition's block files, read one block at a
    time: scanned once (the conditions' counts, the rows not ok, the overview, the
    summary's first pass) and read again for the summary and the saved CSV.  Only
    :meth:`tidy` holds every row at once.

    The rows not ok come with, from each block, one row where each column is not missing
    (then dropped): assembled as the whole rows are, they get the columns' types the whole
    rows get, which the parts of the CSV take too.
    """

    def __init__(self, conditions: list[Condition], factors: list[str],
                 files: Mapping[str, list[BlockFile]]):
        from gansim.summary.simsum import SummaryPlan

        self.conditions, self.factors, self.files = conditions, factors, dict(files)
        self.tallies = {c.label: _Tally() for c in conditions}
        self.overview = _Overview()
        self.plan = SummaryPlan(factors, columns=[*factors, *TIDY_COLUMNS])
        kept = {}
        for cond in conditions:
            parts = []
            for file in self.files[cond.label]:
                raw = read_block_file(file)
                parts.append(raw.take(_witnesses(raw, cond.replications)))
                frame = _tidy_form(raw[raw["rep"] < cond.replications]
                                   .reset_index(drop=True), cond, factors)
                del raw
                self.tallies[cond.label].add(frame)
                self.overview.add(frame)
                self.plan.add(frame)
            part = pd.concat(parts, ignore_index=True)
            kept[cond.label] = part[part["rep"] < cond.replications].reset_index(drop=True)
        witnessed = _assemble_tidy(conditions, factors, kept)
        self.dtypes = witnessed.dtypes
        self.failures = witnessed[witnessed["status"] != "ok"].reset_index(drop=True)

    def tidy(self) -> pd.DataFrame:
        """Every row, assembled as a run without ``out_dir`` assembles them."""
        return _assemble_tidy(self.conditions, self.factors,
                              {c.label: read_blocks(self.files[c.label], c.replications)
                               for c in self.conditions})

    def _block_frames(self, cond: Condition, columns: list[str] | None = None):
        for file in self.files[cond.label]:
            raw = read_block_file(file, columns)
            yield _tidy_form(raw[raw["rep"] < cond.replications].reset_index(drop=True),
                             cond, self.factors)

    def csv_parts(self):
        """The tidy rows block by block, each with the columns' types of :meth:`tidy`."""
        for cond in self.conditions:
            for frame in self._block_frames(cond):
                yield _text_columns(frame).astype(self.dtypes.to_dict())

    def summary_parts(self):
        """One condition's rows of one quantity at a time, with the columns the summary
        needs (:meth:`gansim.summary.simsum.SummaryPlan.needs`)."""
        for cond in self.conditions:
            for quantity in self.plan.quantities:
                needs = self.plan.needs(quantity)
                parts = []
                for frame in self._block_frames(cond, ["rep", *needs]):
                    parts.append(frame.loc[frame["quantity"] == quantity, needs])
                part = pd.concat(parts, ignore_index=True)
                if len(part):
                    yield part.astype(self.dtypes[needs].to_dict())


def _witnesses(raw: pd.DataFrame, replications: int) -> np.ndarray:
    """Positions of a block's rows not ok (of replications below ``replications``) and, for
    each column, of its first row where the column is not missing."""
    keep = (raw["status"] != "ok").to_numpy() & (raw["rep"] < replications).to_numpy()
    for column in raw:
        present = raw[column].notna().to_numpy()
        if present.any():
            keep[np.argmax(present)] = True
    return np.flatnonzero(keep)


#: The files :meth:`StudyResult.save` writes.
REPLICATIONS_FILE, SUMMARY_FILE, CONDITIONS_FILE, RESULT_FILE = (
    "replications.csv.gz", "summary.csv", "conditions.csv", "result.json")

#: Prefix of the columns of :attr:`StudyResult.conditions` holding a method's share of
#: collapsed fits (its ``collapsed`` diagnostic), e.g. ``collapsed_gan``.
COLLAPSED_PREFIX = "collapsed_"
#: Share of collapsed fits in a condition above which its notes say so.
COLLAPSED_NOTE_SHARE = 0.1


def condition_column(keys) -> np.ndarray:
    """The ``condition`` column of tidy rows: the conditions' keys
    (:attr:`gansim.study.design.Condition.key`, their ids as signed 32-bit integers), as int64."""
    return np.asarray(keys, dtype=np.int64)


#: Name of the record, in an output folder, of the study whose outputs it holds.
STUDY_RECORD = "study.json"
#: Name of the lock file in an output folder.
LOCK_FILE = ".gansim.lock"

#: Output folders whose locks this process keeps until the end of :func:`hold_locks`
#: (real path -> lock file descriptor); None outside it.
_HELD_LOCKS: dict[str, int] | None = None
#: The command's own output folder (:func:`hold_locks`'s ``root``), locked with the first
#: run's folder inside it.
_HELD_ROOT: str | None = None


@contextmanager
def hold_locks(root=None):
    """Keep the lock of every output folder a run takes inside this block until its end.

    A command (``python -m gansim poc``) runs a study, maybe a companion study in a subfolder,
    then writes its output files: inside this block the folder stays locked throughout, so a
    second run on it is refused until the last file is written.  ``root``, the command's
    output folder, is locked too when the first run inside it starts (a command whose runs
    are in subfolders of it, as ``rates_floor``'s parts, writes its combined files there).
    Nested blocks are one.
    """
    global _HELD_LOCKS, _HELD_ROOT
    if _HELD_LOCKS is not None:
        yield
        return
    import os

    _HELD_LOCKS = {}
    _HELD_ROOT = None if root is None else os.path.realpath(root)
    try:
        yield
    finally:
        held, _HELD_LOCKS, _HELD_ROOT = _HELD_LOCKS, None, None
        for fd in held.values():
            os.close(fd)


def _lock_folder(out: Path) -> int | None:
    """Take ``out``'s lock: its descriptor, or None when this process holds it already
    (inside :func:`hold_locks`).  The lock file is opened without following a symbolic link
    and never truncated, so a link planted in its place cannot empty another file."""
    import fcntl
    import os

    key = os.path.realpath(out)
    if _HELD_LOCKS is not None:
        if key in _HELD_LOCKS:
            return None
        root = _HELD_ROOT
        if root is not None and root not in _HELD_LOCKS and key.startswith(root + os.sep):
            _HELD_LOCKS[root] = _lock_folder(Path(root))
    path = out / LOCK_FILE
    try:
        out.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        if os.path.islink(path):
            raise ValueError(f"`out` {str(out)!r} has a symbolic link as its lock file "
                             f"{str(path)!r}; remove the link and run again.") from None
        raise ValueError(f"`out` {str(out)!r} cannot be written: {exc.strerror}.") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise ValueError(f"`out` {str(out)!r} is in use by another run (its lock "
                         f"{str(path)!r} is held); wait for it or choose "
                         "another `out`.") from None
    return fd


@contextmanager
def output_folder(out_dir, study: Study, seed: int, overwrite: bool):
    """Hold ``out_dir`` for one run: an exclusive lock (a second run on the same folder is
    refused, not mixed in), and a record of the study whose outputs the folder holds.

    A run is refused, unless ``overwrite``, when the folder holds the outputs of a study with
    other settings or seed, or with more replications (so a quick look cannot replace a
    committed study's files); the record is written when the run's blocks are complete.
    Inside :func:`hold_locks` the lock is kept until the end of that block.
    """
    if out_dir is None:
        yield
        return
    import json
    import os
    from pathlib import Path

    from gansim.study.runner import read_json, write_atomic

    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ValueError(f"`out` {str(out)!r} exists and is not a folder.")
    lock = _lock_folder(out)
    try:
        record = {"seed": seed, "replications": {c.label: c.replications
                                                 for c in study.conditions},
                  "settings": {c.label: study.settings(c) for c in study.conditions},
                  # What computed the outputs (not compared here: the blocks' manifests
                  # refuse a resume by other code, gansim.study.runner).
                  "code": code_identity()}
        path = out / STUDY_RECORD
        if path.exists() and not overwrite:
            old = read_json(path, "the record of the run whose outputs the folder holds")
            differ = []
            if old.get("seed") != record["seed"]:
                differ.append(f"seed (stored {old.get('seed')!r}, now {seed!r})")
            if old.get("settings") != record["settings"]:
                what = _settings_differences(old.get("settings"), record["settings"])
                differ.append(f"settings ({what})")
            fewer = [k for k, b in record["replications"].items()
                     if b < old.get("replications", {}).get(k, 0)]
            if fewer:
                differ.append("fewer replications")
            if differ:
                raise ValueError(
                    f"`out` {str(out)!r} holds the outputs of another run (differing: "
                    f"{', '.join(differ)}); choose another `out` or pass overwrite=True "
                    "(--overwrite) to replace them.")
        yield
        text = json.dumps(record, indent=2, sort_keys=True) + "\n"
        write_atomic(path, lambda tmp: tmp.write_text(text), sync=False)
    finally:
        if lock is not None:
            if _HELD_LOCKS is not None:
                _HELD_LOCKS[os.path.realpath(out)] = lock
            else:
                os.close(lock)


def _settings_differences(old: Any, new: dict) -> str:
    """The settings that differ, per condition (its label, where it has factors)."""
    if not isinstance(old, dict):
        return "; ".join(differences(old, new))
    out = []
    for label in [*new, *(k for k in old if k not in new)]:
        if old.get(label) == new.get(label):
            continue
        if label not in old or label not in new:
            out.append(f"condition {label!r} {'absent before' if label not in old else 'gone'}")
            continue
        where = f"[{label}] " if label else ""
        out += [where + d for d in differences(old[label], new[label])]
    return "; ".join(out[:5] + ([f"... ({len(out) - 5} more)"] if len(out) > 5 else []))


def replay(study: Study, *, seed: int, rep: int, condition: int | None = None) -> pd.DataFrame:
    """Run one replication alone, letting any exception raise with its traceback.

    Parameters
    ----------
    study : Study
    seed : int
        The study's seed.
    rep : int
        The replication index (``rep`` column).
    condition : int, optional
        The condition: the ``condition`` column of its rows (its key) or its id; may be left
        out when the study has one condition.

    Returns
    -------
    DataFrame
        The replication's tidy rows, as in the study.  With a block-coupled engine
        (``GANConfig(engine="torch")`` trains a block as one computation) the numbers can
        differ from the study's in the last bits.
    """
    conds = study.conditions
    if condition is None and len(conds) == 1:
        cond = conds[0]
    else:
        match = [c for c in conds if condition in (c.id, c.key)]
        if not match:
            ids = [c.key for c in conds]
            raise ValueError(f"`condition` must be one of the study's condition ids {ids}; "
                             f"got {condition!r}.")
        cond = match[0]
    return study_block([int(rep)], int(seed), cond, study=study, strict=True)


def _check_failures(result: StudyResult) -> None:
    study = result.study
    failures = result.failures()
    for cond in study.conditions:
        bad = failures[failures["condition"] == cond.key]
        n_bad = bad["rep"].nunique()
        share = n_bad / cond.replications
        if n_bad == 0 or (share <= study.max_failure_share and n_bad < cond.replications):
            continue
        reason, count = Counter(bad["error"]).most_common(1)[0]
        # A replication that failed for the most common reason: its replay shows it.
        first = bad[bad["error"] == reason].iloc[0]
        where = f"condition {cond.label!r} ({cond.key})" if cond.label else "the study"
        replay_args = f"seed={result.seed}, rep={int(first['rep'])}" + (
            f", condition={cond.key}" if cond.label else "")
        raise StudyError(
            f"{n_bad} of {cond.replications} replications ({share:.0%}) failed in {where}, "
            f"more than max_failure_share={study.max_failure_share}; most common reason "
            f"({count} rows): {reason}.  Replay one with gansim.replay(study, {replay_args}) "
            "to see its traceback; StudyError.result holds every row.", result)


# ------------------------------------------------------------------------------------------
# One block: generate, then analyse with every method.


def study_block(reps: Sequence[int], seed: int, condition: Condition, *, study: Study,
                strict: bool = False) -> pd.DataFrame:
    """Replications ``reps`` of one condition: generate once, analyse with every method.

    Returns the tidy rows of :data:`TIDY_COLUMNS` (without the factor columns and
    ``condition``, which :func:`run_study` adds).  With ``strict``, exceptions raise instead
    of being recorded (:func:`replay`).
    """
    levels = study.levels(condition)
    dgp = study.dgp_for(condition)
    streams = [replication_streams(seed, r, condition.id) for r in reps]
    data, gen_error, gen_warn = _generate(study, levels, dgp, streams, strict)
    dists, _ = study.distances_for(dgp)
    block = Block(data, streams, gen_error == "", gen_error=gen_error, gen_warnings=gen_warn,
                  m=study.m, functionals=study._functionals, distances=dists, dgp=dgp,
                  device=study.device, strict=strict, resolved=study._resolved)
    truths = study.truths(dgp)
    default = [*study._functionals, *dists]
    frames = [method.analyse_block(block).frame(reps, truths, default)
              for method in study.methods]
    frame = pd.concat(frames, ignore_index=True)
    # Replication, then the study's method order, then quantity order as produced.
    frame = frame.sort_values("rep", kind="stable").reset_index(drop=True)
    # The condition's factors and id in every row: a block file, or the folder of them read
    # as one dataset, says which condition its rows are.
    frame.insert(0, "condition", condition_column([condition.key] * len(frame)))
    for k, v in reversed(condition.factors):
        frame.insert(0, k, v)
    return frame


def _generate(study, levels, dgp, streams, strict):
    R = len(streams)
    samples: list[np.ndarray | None] = [None] * R
    error = np.full(R, "", dtype=object)
    warned = np.full(R, "", dtype=object)
    for i, s in enumerate(streams):
        with capture(strict) as caught:
            try:
                if study.generate is not None:
                    x = study.generate(dict(levels), s.data_rng())
                    source = "`generate`"
                else:
                    n = int(levels["n"])
                    x = check_sample(dgp.sample(n, s.data_rng()), n, dgp)
                    source = f"{dgp_name(dgp)}.sample(n={n}, rng)"
                samples[i] = _check_data(x)
                if "n" in levels and samples[i].size != int(levels["n"]):
                    raise ValueError(f"{source} returned {samples[i].size} points for "
                                     f"n={int(levels['n'])}; the rows would say n wrongly")
                check_scale(samples[i], source)
            except Exception as exc:
                if strict or reraised(exc):
                    raise
                error[i] = f"generate: {type(exc).__name__}: {exc}"
        warned[i] = "; ".join(caught)
    sizes = Counter(x.size for x in samples if x is not None)
    size = sizes.most_common(1)[0][0] if sizes else 2
    data = np.tile(filler(size), (R, 1))
    for i, x in enumerate(samples):
        if x is None:
            continue
        if x.size != size:
            error[i] = f"generate: returned {x.size} points where the block's others have {size}"
            continue
        data[i] = x
    # Rows with bad data stay in the block (as a fixed filler) so that its shape, hence
    # every other replication's arithmetic, stays the same; their rows are errors for every
    # method.
    return data, error, warned


def _check_data(x) -> np.ndarray:
    raw = np.asarray(x)
    if raw.dtype.kind not in "iufO" or (raw.dtype.kind == "O" and not all(
            isinstance(v, numbers.Real) and not isinstance(v, bool) for v in raw.flat)):
        raise TypeError(f"data must be real numbers, got an array of dtype {raw.dtype}"
                        + (" (complex: its imaginary part would be dropped)"
                           if raw.dtype.kind == "c" else ""))
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim != 1 or arr.size < 2:
        raise ValueError(f"data must be a 1-D array of at least 2 points, got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError(f"data hold {int((~np.isfinite(arr)).sum())} non-finite values")
    return arr


def check_worker(study: Study) -> None:
    """Raise unless every method of ``study`` would run here as it was resolved where the
    study was declared (:meth:`~gansim.study.methods.Method.check_prepared`; run on each cluster
    worker before its blocks)."""
    for method in study.methods:
        method.check_prepared(study._resolved.get(method.label, {}), study.device)


def _describe(obj: Any) -> str:
    """A user callable in a study's settings: its name and a hash of its source, so that a
    resume after the function changed is refused rather than mixing old and new results."""
    if isinstance(obj, Functional):
        if type(obj) is not Functional:  # a built-in: fixed by gansim's version
            return obj.description
        obj = obj.fn
    return callable_id(obj)


# ------------------------------------------------------------------------------------------
# Input validation: one place per entry point.


def _study_iv(study: Study) -> None:
    set_ = partial(object.__setattr__, study)
    set_("_dgps", {})
    methods = study.methods
    if isinstance(methods, Method | str) or callable(methods):
        methods = [methods]
    if not isinstance(methods, Sequence) or not methods:
        raise TypeError(f"`methods` must be a non-empty list of methods, got {methods!r}.")
    methods = tuple(as_method(m) for m in methods)
    labels = [m.label for m in methods]
    if len(set(labels)) != len(labels):
        raise ValueError(f"`methods` must have distinct labels, got {labels}; give one a "
                         "label=...")
    set_("methods", methods)
    if study.design is None:
        if study.replications is None:
            raise ValueError("`replications` must be given (an integer >= 2) when there is no "
                             "`design`.")
        set_("replications", check_int(study.replications, "replications", 2))
    else:
        if study.replications is not None:
            raise ValueError("`replications` must be left out with a `design`: each "
                             "condition has its own B (condition_grid(B, ...)).")
        set_("design", tuple(check_conditions(study.design)))
    factors = [k for k, _ in study.conditions[0].factors]
    if study.n is not None:
        set_("n", check_int(study.n, "n", 2))
        if "n" in factors:
            raise ValueError("`n` is a factor of the design; leave the study's `n` out.")
    elif "n" in factors:
        for cond in study.conditions:
            check_int(cond["n"], "n", 2)  # a factor level: refused before any work
    elif study.generate is None:
        raise ValueError("`n` must be given (an integer >= 2), as the study's `n` or a factor "
                         "of the design, unless a `generate` function draws the data.")
    set_("m", check_int(study.m, "m", 2))
    auto = isinstance(study.block_size, str)
    if auto and study.block_size != "auto":
        raise ValueError(f"`block_size` must be an integer >= 1 or 'auto', got "
                         f"{study.block_size!r}.")
    if not auto:
        set_("block_size", check_int(study.block_size, "block_size", 1))
    set_("_functionals", make_functionals(study.functionals))
    dists = study.distances
    dists = (dists,) if isinstance(dists, str) else tuple(dists)
    allowed = ", ".join(repr(k) for k in DISTANCES)
    if any(d not in DISTANCES for d in dists) or len(set(dists)) != len(dists):
        raise ValueError(f"`distances` must hold distinct codes among {allowed}; got {dists!r}.")
    set_("distances", dists)
    clash = set(study._functionals) & set(dists)
    if clash:
        raise ValueError(f"functional names {sorted(clash)} clash with distance codes.")
    if not study._functionals and not dists and all(_samples_only(m) for m in methods):
        raise ValueError("`functionals` and `distances` are both empty, and the methods "
                         f"{labels} only give samples: the study would estimate nothing; "
                         "name at least one functional or distance.")
    if study.generate is not None and not callable(study.generate):
        raise TypeError(f"`generate` must be a callable generate(condition, rng), got "
                        f"{study.generate!r}.")
    if study.dgp is None and study.generate is None and "dgp" not in factors:
        raise ValueError("`dgp` must be given (a DGP, a scipy.stats distribution, a mapping "
                         "or a function of the condition) unless the design has a factor "
                         "`dgp` of registry names or a `generate` function draws the data.")
    share = study.max_failure_share
    if isinstance(share, bool) or not isinstance(share, numbers.Real) or not 0 <= share <= 1:
        raise ValueError(f"`max_failure_share` must be a number in [0, 1], got {share!r}.")
    from gansim.gan.config import check_device

    set_("device", check_device(study.device))
    # Resolved once, where the study is declared (a GAN's engine, the compiler of the fused
    # one: a subprocess, asked once): a worker that would resolve differently (no C
    # compiler there, say) fails its blocks with the reason rather than mixing engines.
    resolved = {m.label: m.prepare(study.device) for m in methods}
    set_("_resolved", resolved)
    set_("_engines", {k: r["engine"] for k, r in resolved.items() if "engine" in r})
    set_("_compiler", next((r["compiler"] for r in resolved.values() if "compiler" in r),
                           None))
    if auto:
        set_("block_size", auto_block_size(study))
    else:
        # Blocks have fixed boundaries and the last one is computed whole (so that a
        # replication's numbers never depend on B): a block larger than the largest B
        # would compute replications nobody asked for. Lowered to B, which changes nothing
        # for a study whose B is at least its block size.
        set_("block_size", min(study.block_size, max(c.replications for c in study.conditions)))
    # One block holds each method's (block_size, m) draws, a sorted copy and the cdf values
    # at them; refused up front rather than failing every block with a MemoryError.
    need = 3 * 8 * study.block_size * study.m
    if need > MEMORY_BUDGET:
        raise ValueError(f"`m` x `block_size` = {study.m:,} x {study.block_size:,} needs about "
                         f"{need / 2**30:.1f} GiB per block, over the budget of "
                         f"{MEMORY_BUDGET / 2**30:.0f} GiB; lower `m` or `block_size`.")
    if not isinstance(study.name, str) or not study.name:
        raise ValueError(f"`name` must be a non-empty string, got {study.name!r}.")
    for cond in study.conditions:  # every DGP resolves now, not in a worker
        _check_dgp_scale(study.dgp_for(cond))


def auto_block_size(study: Study) -> int:
    """What ``block_size="auto"`` resolves to for ``study`` (its device, methods, m and
    conditions already validated).

    On a CUDA device, with GANs among the methods: the largest B of the conditions when
    that many replications fit in the GPU's free memory now
    (:func:`gansim.gan.engine.largest_block`, from
    :func:`~gansim.gan.engine.replication_bytes` at the largest n), else that B split into
    the fewest equal blocks that fit -- also within :data:`MEMORY_BUDGET` for the draws on
    the host.  Otherwise :data:`DEFAULT_BLOCK_SIZE`.
    """
    import torch

    ns = [study.levels(c).get("n") for c in study.conditions]
    n = max((int(v) for v in ns if v is not None), default=DEFAULT_N)
    per = [b for b in (m.device_bytes(n, study.m) for m in study.methods) if b is not None]
    if torch.device(study.device).type != "cuda" or not per:
        return DEFAULT_BLOCK_SIZE
    from gansim.gan.engine import GPU_MEMORY_SHARE

    B = max(c.replications for c in study.conditions)
    host = max(1, MEMORY_BUDGET // (3 * 8 * study.m))
    # As gansim.gan.engine.largest_block: a share of the free memory now over the most
    # demanding method's bytes per replication, at least 1, at most min(B, host).
    free, _ = torch.cuda.mem_get_info(torch.device(study.device))
    fits = max(1, min(int(GPU_MEMORY_SHARE * free) // max(per), B, host))
    return -(-B // -(-B // fits))  # ceil(B / blocks), blocks = ceil(B / fits)


#: The sample size :func:`auto_block_size` assumes when a `generate` function draws the data
#: and no condition names n.
DEFAULT_N = 100


def _check_dgp_scale(dgp: Any) -> None:
    """Refuse, before any work, a DGP whose known sd is outside :data:`SD_RANGE`: float64
    cannot standardise its data (each replication would fail)."""
    sd = None if dgp is None else true_value(dgp, "sd")
    if sd is not None and not SD_RANGE[0] <= sd <= SD_RANGE[1]:
        way = "underflow" if sd < SD_RANGE[0] else "overflow"
        raise ValueError(f"`dgp` {dgp_name(dgp)} has sd {sd:.3g}, outside [{SD_RANGE[0]:g}, "
                         f"{SD_RANGE[1]:g}]: its data would {way} float64 when standardised; "
                         "rescale it.")


def _samples_only(method: Method) -> bool:
    """Whether ``method`` keeps the default analysis (:meth:`Method.analyse_block`), whose
    rows are the study's functionals and distances of its samples: without any, it has
    nothing to report.  (A method that overrides it may give estimates of its own.)"""
    return type(method).analyse_block is Method.analyse_block


def check_out_dir(out_dir: Any, *, allow_none: bool = False) -> Any:
    """``out_dir`` as given, when it is a usable folder path: a non-empty ``str`` or
    ``os.PathLike`` without NUL characters (``""`` would write into the current folder);
    None where ``allow_none``.  Otherwise a ValueError or TypeError naming ``out_dir``.

    Examples
    --------
    >>> check_out_dir("")
    Traceback (most recent call last):
    ...
    ValueError: `out_dir` must be a non-empty folder path, got ''.
    """
    import os

    if out_dir is None and allow_none:
        return None
    if not isinstance(out_dir, str | os.PathLike):
        raise TypeError(f"`out_dir` must be a folder path (a str or pathlib.Path"
                        f"{', or None' if allow_none else ''}), got {type(out_dir).__name__}.")
    text = os.fspath(out_dir)
    if isinstance(text, bytes) or not text.strip() or "\0" in text:
        raise ValueError(f"`out_dir` must be a non-empty folder path, got {out_dir!r}.")
    return out_dir
