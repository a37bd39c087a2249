"""One block of replications as a study hands it to a method, and the rows it gets back.

A study applies every method to a block of replications at once
(:meth:`gansim.study.methods.Method.analyse_block`): the method receives a :class:`Block` -- the
data, the replications' random streams and what the study computes (functionals, distances,
the DGP, m) -- and fills an :class:`Outcome`, which becomes the method's tidy rows, one per
(replication, quantity).

Failures are recorded where they happen:

- a replication whose data could not be generated, or whose fit failed, has every row
  ``"error"`` (:meth:`Outcome.fail`);
- a method's non-finite draws make every row of that replication ``"failed"``;
- a functional, distance or diagnostic that raises makes that (replication, quantity) row
  ``"error"``, and one that returns a non-finite estimate makes it ``"failed"``, both with the
  reason (:meth:`Block.compute`); the replication's other quantities keep their values.

A quantity is first computed for the whole block at once (the fast, vectorised path); only
when that raises is it computed again replication by replication, so that the error is the
replication's own.  Nothing is caught in strict mode (:func:`gansim.study.core.replay`), nor, on a
cluster, infrastructure errors (:func:`gansim.study.runner.reraised`).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd

from gansim.study.distances import distances_batch
from gansim.study.functionals import ESTIMATE_FIELDS, Estimate, Functional
from gansim.study.runner import ERROR, reraised

__all__ = ["Block", "Outcome", "capture", "filler"]


def filler(n: int) -> np.ndarray:
    """A fixed, finite, non-constant stand-in for a replication without usable data (the
    normal scores of n points), so that every method can run on its block."""
    from scipy import special

    return special.ndtri((np.arange(n) + 0.5) / n)


class Block:
    """The replications of one block of one condition, as a method analyses them.

    Attributes
    ----------
    data : numpy.ndarray
        ``(R, n)`` float64, one replication's data per row; a row whose data could not be
        generated holds a fixed stand-in (:func:`filler`), so that the block keeps its shape.
    streams : list of ReplicationStreams
        The R replications' random streams.
    usable : numpy.ndarray
        ``(R,)`` bool: rows with generated data.
    m : int
        Draws per replication for methods that sample.
    functionals : dict
        Name -> :class:`~gansim.study.functionals.Functional`.
    distances : tuple of str
        Distance codes computable against ``dgp``.
    dgp : object or None
        The condition's data-generating process.
    device : str
        Torch device of the GANs.
    strict : bool
        Let every exception raise (a replay).
    resolved : dict
        What :meth:`~gansim.study.methods.Method.prepare` resolved where the study was declared,
        by method label.
    """

    def __init__(self, data: np.ndarray, streams: Sequence, usable: np.ndarray, *,
                 gen_error: np.ndarray, gen_warnings: np.ndarray, m: int,
                 functionals: Mapping[str, Functional], distances: Sequence[str], dgp: Any,
                 device: str = "cpu", strict: bool = False,
                 resolved: Mapping[str, dict] | None = None):
        self.data, self.streams, self.usable = data, list(streams), np.asarray(usable, bool)
        self.gen_error, self.gen_warnings = gen_error, gen_warnings
        self.m, self.functionals, self.distances = m, dict(functionals), tuple(distances)
        self.dgp, self.device, self.strict = dgp, device, strict
        self.resolved = dict(resolved or {})

    @property
    def R(self) -> int:
        """Replications in the block."""
        return self.data.shape[0]

    @property
    def n(self) -> int:
        """Points per data set."""
        return self.data.shape[1]

    def catches(self, exc: BaseException) -> bool:
        """Whether ``exc`` is recorded as rows (False in strict mode and, on a cluster, for
        infrastructure errors, which must raise)."""
        return not (self.strict or reraised(exc))

    def capture(self):
        """Record the warnings raised inside as a list of ``"Category: message"`` texts
        (none recorded, and warnings left alone, in strict mode)."""
        return capture(self.strict)

    def outcome(self, label: str, *, declare: bool = True) -> Outcome:
        """An empty :class:`Outcome` for the method labelled ``label``, its quantities the
        study's functionals and distances in order (``declare``), or none yet."""
        out = Outcome(self, label)
        if declare:
            out.declare([*self.functionals, *self.distances])
        return out

    # -- computing quantities, failures per (replication, quantity) -----------------------

    def compute(self, out: Outcome, names: Sequence[str], rows: np.ndarray,
                fn: Callable[[Any], Mapping[str, Any]], *, what: str,
                nonfinite: str | None = None) -> None:
        """Compute quantities ``names`` for the block rows ``rows`` and record them in ``out``.

        ``fn(sel)`` returns ``name -> fields`` (a mapping of :data:`ESTIMATE_FIELDS` to
        arrays, or one array of estimates) for the positions ``sel`` of ``rows`` (a slice or
        an index array).  It is called once for all rows; when that raises, once per row, so
        that a row's error is its own: that (replication, quantity) row is ``"error"`` with
        the reason, prefixed by ``what`` (e.g. ``"functional 'p4'"``).  A non-finite
        estimate makes the row ``"failed"`` (with ``nonfinite``, default ``"non-finite
        estimate of <name>"``).
        """
        rows = np.asarray(rows, dtype=np.intp)
        out.declare(names)
        if rows.size == 0:
            return
        try:
            got = fn(slice(None))
        except Exception as exc:
            if not self.catches(exc):
                raise
            if rows.size == 1:
                out.fail_quantities(names, rows, ERROR, _reason(what, exc))
                return
        else:
            out.put(got, rows, nonfinite=nonfinite)
            return
        for j, i in enumerate(rows):
            try:
                got = fn(np.array([j]))
            except Exception as exc:
                if not self.catches(exc):
                    raise
                out.fail_quantities(names, np.array([i]), ERROR, _reason(what, exc))
                continue
            out.put(got, np.array([i]), nonfinite=nonfinite)

    def evaluate(self, out: Outcome, points: np.ndarray, rows: np.ndarray) -> None:
        """The study's functionals and distances of ``points`` (one sample per row, for the
        block rows ``rows``), for the rows still ``"ok"`` in ``out``."""
        rows = np.asarray(rows, dtype=np.intp)
        ok = out.status[rows] == "ok"
        if not ok.any():
            return
        sel, pts = rows[ok], points[ok]
        n = self.n
        for k, f in self.functionals.items():
            self.compute(out, [k], sel, lambda s, f=f, k=k: {k: f.evaluate(pts[s], n)},
                         what=f"functional {k!r}")
        if not self.distances:
            return
        dists, dgp = self.distances, self.dgp

        def all_distances(s):
            got = distances_batch(pts if isinstance(s, slice) else pts[s], dgp, which=dists)
            return {k: {"estimate": v} for k, v in got.items()}

        try:  # all distances at once (each row sorted once); else one distance at a time
            got = all_distances(slice(None))
        except Exception as exc:
            if not self.catches(exc):
                raise
            for k in dists:
                self.compute(out, [k], sel, lambda s, k=k: {k: {"estimate": distances_batch(
                    pts[s], dgp, which=(k,))[k]}}, what=f"distance {k!r}")
        else:
            out.put(got, sel)


class Outcome:
    """A method's results for one block, per replication and quantity, as tidy rows.

    Attributes
    ----------
    status, error : numpy.ndarray
        ``(R,)`` object: each replication's own status (``"ok"``, ``"failed"``, ``"error"``)
        and reason, which every one of its rows takes when it is not ``"ok"``.
    warnings : numpy.ndarray
        ``(R,)`` object: the warnings raised for each replication, ``"; "``-joined.
    """

    def __init__(self, block: Block, label: str):
        self.block, self.label = block, label
        R = block.R
        self.status = np.where(block.usable, "ok", ERROR).astype(object)
        self.error = np.asarray(block.gen_error, dtype=object).copy()
        self.warnings = np.asarray(block.gen_warnings, dtype=object).copy()
        self._q: dict[str, dict[str, np.ndarray]] = {}
        self._R = R

    @property
    def names(self) -> list[str]:
        """The quantities recorded so far, in order of first appearance."""
        return list(self._q)

    def declare(self, names: Sequence[str]) -> None:
        """Give rows to quantities ``names`` (in this order, after those already given)."""
        for k in names:
            self._quantity(k)

    def _quantity(self, name: str) -> dict[str, np.ndarray]:
        if name not in self._q:
            R = self._R
            q = {f: np.full(R, np.nan) for f in ESTIMATE_FIELDS}
            q["status"] = np.full(R, "", dtype=object)  # "": never computed
            q["error"] = np.full(R, "", dtype=object)
            self._q[name] = q
        return self._q[name]

    def fail(self, rows: Any, status: str, message: str | np.ndarray) -> None:
        """Fail every row of the replications ``rows`` (an index array or a bool mask) that
        is still ``"ok"``, with ``status`` and ``message``."""
        mask = np.zeros(self._R, bool)
        mask[rows] = True
        mask &= self.status == "ok"
        self.status[mask] = status
        msg = np.asarray(message, dtype=object)
        self.error[mask] = msg[mask] if msg.ndim else message

    def fail_quantities(self, names: Sequence[str], rows: np.ndarray, status: str,
                        message: str) -> None:
        """Fail quantities ``names`` of replications ``rows`` alone."""
        for k in names:
            q = self._quantity(k)
            q["status"][rows], q["error"][rows] = status, message
            for f in ESTIMATE_FIELDS:
                q[f][rows] = np.nan

    def put(self, got: Mapping[str, Any], rows: np.ndarray, *,
            nonfinite: str | None = None) -> None:
        """Record values ``got`` (``name -> fields`` or ``name -> estimates``, one entry per
        row of ``rows``); a non-finite estimate fails that row of that quantity."""
        rows = np.asarray(rows, dtype=np.intp)
        for k, fields in got.items():
            q = self._quantity(k)
            if not isinstance(fields, Mapping):
                fields = {"estimate": fields}
            for f in ESTIMATE_FIELDS:
                if f in fields:
                    q[f][rows] = np.asarray(fields[f], dtype=np.float64)
            q["status"][rows], q["error"][rows] = "ok", ""
            bad = rows[~np.isfinite(q["estimate"][rows])]
            if bad.size:
                msg = (nonfinite or "non-finite estimate of {name!r}").format(name=k)
                self.fail_quantities([k], bad, "failed", msg)

    def put_one(self, i: int, got: Mapping[str, Any]) -> None:
        """Record replication ``i``'s estimates ``name -> number or Estimate``."""
        self.put({k: _fields(v) for k, v in got.items()}, np.array([i]))

    def warn(self, rows: Any, text: str) -> None:
        """Add the warnings ``text`` to replications ``rows`` (an index, index array, mask or
        ``slice(None)``)."""
        if not text:
            return
        idx = np.arange(self._R)[rows]
        for i in np.atleast_1d(idx):
            self.warnings[i] = f"{self.warnings[i]}; {text}" if self.warnings[i] else text

    def frame(self, reps: Sequence[int], truths: Mapping[str, float | None],
              default_names: Sequence[str]) -> pd.DataFrame:
        """The tidy rows: quantity after quantity (all replications each), in the order
        the quantities first appeared (``default_names`` when none did)."""
        streams = self.block.streams
        parts = []
        names = self.names or list(default_names)
        if not names:
            raise ValueError(f"method {self.label!r} gave no quantities: the study has no "
                             "functionals or distances to compute on its samples.")
        for k in names:
            q = self._quantity(k)
            status = self.status.copy()
            error = self.error.copy()
            own = status == "ok"
            missing = own & (q["status"] == "")
            status[own], error[own] = q["status"][own], q["error"][own]
            status[missing] = "failed"
            error[missing] = f"{self.label} returned no {k!r}"
            keep = status == "ok"
            part = {"rep": np.asarray(reps, dtype=np.int64),
                    "seed": np.int64(streams[0].seed),
                    "spawn_key": [s.spawn_key for s in streams],
                    "method": self.label, "quantity": k}
            for f in ESTIMATE_FIELDS:
                part[f] = np.where(keep, q[f], np.nan)
            truth = truths.get(k)
            part["truth"] = np.float64(np.nan if truth is None else truth)
            part["status"], part["error"], part["warnings"] = status, error, self.warnings
            parts.append(pd.DataFrame(part))
        return pd.concat(parts, ignore_index=True)


@contextmanager
def capture(strict: bool):
    """Record the warnings raised inside as a list of ``"Category: message"`` texts; in
    strict mode, let them be."""
    if strict:
        yield []
        return
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        messages: list[str] = []
        yield messages
        messages.extend(dict.fromkeys(f"{w.category.__name__}: {w.message}" for w in caught))


def _reason(what: str, exc: BaseException) -> str:
    return f"{what}: {type(exc).__name__}: {exc}"


def _fields(v: Any) -> dict[str, float]:
    if not isinstance(v, Estimate):  # a bare number, finite or not (put fails a non-finite)
        return {f: float(v) if f == "estimate" else np.nan for f in ESTIMATE_FIELDS}
    return {f: float(getattr(v, f)) for f in ESTIMATE_FIELDS}
