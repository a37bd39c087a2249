"""The summary of a simulation study: every performance measure with its Monte Carlo SE.

:func:`simsum`, in the spirit of R's rsimsum, works on any long frame of estimates (one row
per replication x method, any design factors) and gives one long frame
``[*by, <methodvar>, "stat", "est", "mcse"]`` with the measures of Morris, White & Crowther
(2019, "Using simulation studies to evaluate statistical methods", Table 6) and gansim's
paired comparisons.  :func:`summarise` applies it to a study's tidy rows
(:attr:`gansim.study.core.StudyResult.tidy`), one quantity at a time.  Every formula and MCSE is
in :mod:`gansim.summary.performance`.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from gansim._validation import Instance, Real, validate_params
from gansim.summary import performance as perf

#: A data frame argument.
_FRAME = Instance(pd.DataFrame, "a pandas DataFrame", pd.DataFrame({"x": [0.0]}))
#: A confidence level.
LEVEL = Real(0, 1, closed="neither")

__all__ = ["STATS", "SUMMARY_COLUMNS", "SummaryPlan", "is_missing", "simsum", "summarise",
           "summarise_parts", "unique_in_order"]

#: Columns of :func:`summarise`'s frame after the ``by`` columns.
SUMMARY_COLUMNS = ["method", "quantity", "stat", "est", "mcse"]

#: The ``stat`` codes, in output order, with what they mean.  A proportion of 0 or 1 gets as
#: MCSE the width of its exact (Clopper-Pearson) 95% interval over 2 x 1.96 instead of 0.
STATS = MappingProxyType({
    "nsim": "replications with a non-missing estimate (mcse 0)",
    "nmiss": "replications left out: estimate missing or status not ok (mcse 0)",
    "mean": "mean of the estimates",
    "bias": "mean estimate minus the truth",
    "relbias": "bias / truth (a proportion)",
    "var": "variance of the estimates over replications",
    "empse": "empirical SE: sd of the estimates over replications",
    "modse": "model-based SE: root mean of se²",
    "relerror": "100 (modse / empse - 1): % error of the model-based SE",
    "mse": "mean squared error against the truth",
    "rmse": "root mean squared error",
    "ci_nmiss": "intervals that could not be computed (a bound not finite, e.g. a BCa "
                "interval whose estimate lies outside its replicates), among the nsim; "
                "cover, becover, power and width are over the others; reported only when "
                "> 0 (mcse 0)",
    "cover": "share of intervals containing the truth",
    "becover": "bias-eliminated coverage: share of intervals containing the mean estimate",
    "power": "share of intervals excluding `null` (rejections of H0: θ = null)",
    "width": "mean interval width",
    "diff": "mean paired difference estimate - estimate of `ref`",
    "less": "share of paired replications where the estimate is below `ref`'s "
            "(for a distance: closer to the truth)",
    "relprec": "100 (var(`ref`) / var - 1): % gain in precision over `ref`, paired, "
               "delta-method MCSE (no normality assumed)",
    "varratio": "var / var(`ref`), paired, delta-method MCSE",
    "mseratio": "MSE / MSE of `ref`, paired, delta-method MCSE",
})

_ORDER = {s: i for i, s in enumerate(STATS)}


@validate_params(data=_FRAME, level=LEVEL, null=Real())
def simsum(data: pd.DataFrame, estimate: str, true: float | str | None = None, *,
           se: str | None = None, methodvar: str | None = None,
           by: Sequence[str] | None = None, ref: str | None = None,
           ci: tuple[str, str] | None = None, level: float = 0.95, null: float = 0.0,
           pair: Sequence[str] | None = None) -> pd.DataFrame:
    """Performance measures with their Monte Carlo SEs, as rsimsum's ``simsum``.

    Parameters
    ----------
    data : DataFrame
        One row per replication (x method, x condition).
    estimate : str
        Column of the estimates; NaN counts as missing (``nmiss``).
    true : float, str or None
        The true value, or a column holding it (constant within each group; NaN: unknown).
        Without it: no bias, relbias, mse, rmse, cover, mseratio.
    se : str, optional
        Column of the model-based SEs (modse, relerror; Wald intervals when ``ci`` is None).
    methodvar : str, optional
        Column of the method labels.
    by : sequence of str, optional
        Design-factor columns to summarise within.
    ref : str, optional
        Reference method: every other method is compared with it over the replications
        where both have an estimate (diff, less, relprec, varratio, mseratio).
    ci : (str, str), optional
        Columns of the interval bounds; else Wald intervals ``estimate ± z se`` at ``level``.
    level : float
        Level of the Wald intervals, in (0, 1).
    null : float
        The value tested for ``power``: the share of intervals that exclude it.
    pair : sequence of str, optional
        Columns that identify a replication (default ``rep`` and, where present,
        ``condition``). They must identify one row per method and group; with ``ref`` they
        are required, since replications are paired by them, never by row order.

    Returns
    -------
    DataFrame
        ``[*by, methodvar, "stat", "est", "mcse"]`` (methodvar left out when None), the
        stats of :data:`STATS` whose inputs exist, in that order per group.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> d = pd.DataFrame({"rep": np.tile(np.arange(500), 2), "m": np.repeat(["a", "b"], 500),
    ...                   "theta": rng.normal(1.0, 0.1, 1000), "s": 0.1})
    >>> out = simsum(d, "theta", 1.0, se="s", methodvar="m", ref="a")
    >>> out[out.m == "b"].stat.tolist()  # doctest: +NORMALIZE_WHITESPACE
    ['nsim', 'nmiss', 'mean', 'bias', 'relbias', 'var', 'empse', 'modse', 'relerror', 'mse',
     'rmse', 'cover', 'becover', 'power', 'width', 'diff', 'less', 'relprec', 'varratio',
     'mseratio']
    >>> cover = out[(out.m == "b") & (out.stat == "cover")]
    >>> bool(abs(cover.est.iloc[0] - 0.95) < 4 * cover.mcse.iloc[0])
    True
    """
    d, by, keys = _simsum_iv(data, estimate, true, se, methodvar, by, ref, ci, level, null,
                             pair)
    z = stats.norm.ppf(0.5 + level / 2)
    rows: list[tuple] = []
    groups = [*by, methodvar] if methodvar else list(by)
    for key, g in (d.groupby(groups, sort=False) if groups else [((), d)]):
        head = key if isinstance(key, tuple) else (key,)
        _single(g, z, null, lambda s, m, head=head: rows.append((*head, s, m.value, m.mcse)))
    if ref is not None:
        for key, g in (d.groupby(list(by), sort=False) if by else [((), d)]):
            head = key if isinstance(key, tuple) else (key,)
            wide = _pairs(g, methodvar, keys)
            truth = _truth(g)
            for method in pd.unique(g[methodvar]):
                if method == ref or ref not in wide or method not in wide:
                    continue
                pair_ = wide[[method, ref]].dropna()
                _paired(pair_[method].to_numpy(), pair_[ref].to_numpy(), truth,
                        lambda s, m, h=(*head, method): rows.append((*h, s, m.value, m.mcse)))
    out = pd.DataFrame(rows, columns=[*groups, "stat", "est", "mcse"])
    out["_s"] = out["stat"].map(_ORDER)
    first = {k: i for i, k in enumerate(dict.fromkeys(map(tuple, out[groups].to_numpy())))}
    out["_g"] = [first[tuple(r)] for r in out[groups].to_numpy()] if groups else 0
    out = out.sort_values(["_g", "_s"], kind="stable").drop(columns=["_g", "_s"])
    return out.reset_index(drop=True)


@validate_params(tidy=_FRAME, level=LEVEL, null=Real())
def summarise(tidy: pd.DataFrame, *, by: Sequence[str] | None = None, ref: str | None = None,
              level: float = 0.95, null: float = 0.0) -> pd.DataFrame:
    """:func:`simsum` of a study's tidy rows, per (by, method, quantity).

    Parameters
    ----------
    tidy : DataFrame
        Rows with columns ``method``, ``quantity``, ``estimate``, ``status`` and, where used,
        ``rep``, ``condition``, ``se``, ``lower``, ``upper``, ``truth`` (NaN: not given), as
        :attr:`gansim.study.core.StudyResult.tidy`.  Rows whose status is not ``"ok"`` count as
        missing (``nmiss``).
    by : sequence of str, optional
        Design factor columns.
    ref : str, optional
        Reference method of the paired comparisons.
    level, null : float
        As in :func:`simsum` (Wald intervals where a quantity has an SE but no bounds).

    Returns
    -------
    DataFrame
        Columns ``[*by, "method", "quantity", "stat", "est", "mcse"]``.

    Notes
    -----
    The same two passes as :func:`summarise_parts`, with the whole frame as its one part.

    Examples
    --------
    >>> tidy = pd.DataFrame({"rep": range(4), "method": "a", "quantity": "mean",
    ...                      "estimate": [0.1, -0.2, 0.3, 0.0], "truth": 0.0, "status": "ok"})
    >>> summarise(tidy).query("stat == 'bias'")[["method", "quantity", "est"]]
      method quantity   est
    3      a     mean  0.05
    """
    by = _tidy_iv(tidy, by)
    plan = SummaryPlan(by, columns=tidy.columns)
    plan.add(tidy)
    return summarise_parts(plan, [tidy], ref=ref, level=level, null=null)


class SummaryPlan:
    """What :func:`summarise` decides over all of a study's rows before any measure, gathered
    part by part (each part holding every row of the replications it holds).

    Per quantity: whether any row has an SE (``se`` not NaN; else no Wald interval) or a
    bound (``lower`` not NaN), and which methods it has (``ref`` compared only where it is
    one of them); the order of first appearance of the ``(by..., method)`` groups and of the
    quantities, which orders the summary; and the checks of the rows themselves (a missing
    method, a row repeating another's).

    Parameters
    ----------
    by : list of str
        Design factor columns.
    columns : sequence of str
        The columns of the rows (every part has them).

    Examples
    --------
    >>> plan = SummaryPlan([], columns=["rep", "method", "quantity", "estimate", "status"])
    >>> plan.add(pd.DataFrame({"rep": [0, 0], "method": "a", "quantity": ["x", "y"],
    ...                        "estimate": [1.0, 2.0], "status": "ok"}))
    >>> plan.quantities
    ['x', 'y']
    """

    def __init__(self, by: Sequence[str], columns: Sequence[str]):
        self.by = list(by)
        self.columns = list(columns)
        self._ci = {"lower", "upper"} <= set(self.columns)
        #: quantity -> [has an SE, has bounds, its methods]
        self._quantity: dict[Any, list] = {}
        self._keys: dict[tuple, int] = {}
        self._methods: list = []
        self._missing_methods = 0
        self._repeated = 0
        keys = [*self.by, *[k for k in ("condition",) if k in self.columns], "rep", "method",
                "quantity"]
        self._unique = list(dict.fromkeys(keys)) if "rep" in self.columns else None

    def add(self, rows: pd.DataFrame) -> None:
        """Gather from ``rows``: the next part of the study's rows, in order."""
        self._methods = unique_in_order(self._methods, pd.unique(rows["method"]))
        self._missing_methods += int(rows["method"].isna().sum())
        if self._unique is not None:
            self._repeated += int(rows.duplicated(self._unique).sum())
        keys = [*self.by, "method"]
        for k in map(tuple, rows[keys].drop_duplicates().to_numpy()):
            self._keys.setdefault(k, len(self._keys))
        for q, g in rows.groupby("quantity", sort=False):
            entry = self._quantity.setdefault(q, [False, False, set()])
            entry[0] = entry[0] or ("se" in g and bool(g["se"].notna().any()))
            entry[1] = entry[1] or (self._ci and bool(g["lower"].notna().any()))
            entry[2].update(g["method"])

    def check(self, ref: str | None) -> None:
        """Refuse, as :func:`summarise` does, a ``ref`` that is no method, rows without a
        method, and rows repeating another's (condition, replication, method, quantity)."""
        if ref is not None and ref not in set(self._methods):
            raise ValueError(f"`ref` must be one of the methods {list(self._methods)}; "
                             f"got {ref!r}.")
        if self._missing_methods:
            raise ValueError(f"`tidy` column 'method' holds missing labels in "
                             f"{self._missing_methods} rows; every row needs its method.")
        if self._repeated:
            # One row per (condition, replication, method, quantity): a repeated row (the
            # same rows concatenated twice) would double nsim and shrink every MCSE.
            raise ValueError(f"`tidy` has {self._repeated} rows repeating another's "
                             f"{self._unique}; each replication's quantity must appear once "
                             "per method.")

    @property
    def quantities(self) -> list:
        """The quantities, in order of first appearance."""
        return list(self._quantity)

    def needs(self, quantity) -> list[str]:
        """The columns a part of ``quantity``'s rows needs for :func:`summarise_parts`."""
        has_se, has_ci, _ = self._quantity[quantity]
        wanted = [*self.by, "condition", "rep", "method", "quantity", "estimate", "status",
                  "truth", *(["se"] if has_se else []),
                  *(["lower", "upper"] if has_ci else [])]
        return [c for c in dict.fromkeys(wanted) if c in self.columns]


def summarise_parts(plan: SummaryPlan, parts, *, ref: str | None = None,
                    level: float = 0.95, null: float = 0.0) -> pd.DataFrame:
    """:func:`summarise` of a study's rows given in parts, after a first pass (``plan``)
    over all of them.

    Each part must hold whole ``(by..., method, quantity)`` groups (one condition's rows of
    one quantity, say) with the columns :meth:`SummaryPlan.needs` names; parts may hold
    several groups.  The result is the same, to the last bit, as :func:`summarise` of the
    parts concatenated, whatever the parts.

    Parameters
    ----------
    plan : SummaryPlan
        Gathered from every row (:meth:`SummaryPlan.add`).
    parts : iterable of DataFrame
        Read one at a time: only one part's rows are needed at once.
    ref, level, null
        As in :func:`summarise`.

    Returns
    -------
    DataFrame
        As :func:`summarise`.

    Examples
    --------
    >>> tidy = pd.DataFrame({"rep": [0, 1, 0, 1], "method": "a",
    ...                      "quantity": ["x", "x", "y", "y"], "estimate": [0.1, 0.3, 1., 2.],
    ...                      "truth": 0.0, "status": "ok"})
    >>> plan = SummaryPlan([], columns=tidy.columns)
    >>> plan.add(tidy)
    >>> parts = (tidy[tidy.quantity == q] for q in plan.quantities)
    >>> summarise_parts(plan, parts).equals(summarise(tidy))
    True
    """
    level = LEVEL.check(level, "level")
    null = Real().check(null, "null")
    plan.check(ref)
    by = plan.by
    out_parts = []
    for part in parts:
        d = part.copy()
        d["estimate"] = d["estimate"].where(d["status"] == "ok")
        for q, g in d.groupby("quantity", sort=False):
            # Decided over every row of the quantity, not this part's: a quantity without SEs
            # or bounds in any row has none (no Wald interval from NaN), and one with them
            # somewhere has them in every group.
            has_se, has_ci, methods = plan._quantity[q]
            compare = ref if ref in methods and ref in set(g["method"]) else None
            out = simsum(g, "estimate", "truth" if "truth" in g else None,
                         se="se" if has_se else None, methodvar="method", by=by,
                         ref=compare, ci=("lower", "upper") if has_ci else None,
                         level=level, null=null)
            out_parts.append(out.assign(quantity=q))
    if not out_parts:
        return pd.DataFrame(columns=[*by, *SUMMARY_COLUMNS])
    out = pd.concat(out_parts, ignore_index=True)[[*by, *SUMMARY_COLUMNS]]
    # Conditions, then methods in order of appearance, then quantities, then stats: the
    # order of the rows, whichever part each came from.
    keys = [*by, "method"]
    quantity = {q: i for i, q in enumerate(plan.quantities)}
    out["_k"] = [plan._keys[tuple(r)] for r in out[keys].to_numpy()]
    out["_q"] = out["quantity"].map(quantity)
    out["_s"] = out["stat"].map(_ORDER)
    out = out.sort_values(["_k", "_q", "_s"], kind="stable")
    return out.drop(columns=["_k", "_q", "_s"]).reset_index(drop=True)


def unique_in_order(seen: list, values) -> list:
    """``seen``, then each value of ``values`` not in it, in order, a missing value (NaN,
    None, ``pd.NA``) once: ``pd.unique`` over parts of a column read one after another.

    Examples
    --------
    >>> unique_in_order(["a"], ["b", None, "a", float("nan"), "c"])
    ['a', 'b', None, 'c']
    """
    out = list(seen)
    has_missing = any(is_missing(v) for v in out)
    known = {v for v in out if not is_missing(v)}
    for v in values:
        if is_missing(v):
            if not has_missing:
                out.append(v)
                has_missing = True
        elif v not in known:
            known.add(v)
            out.append(v)
    return out


def is_missing(value) -> bool:
    """Whether ``value`` is a missing value (NaN, None, ``pd.NA``).

    >>> is_missing(float("nan")), is_missing(None), is_missing("nan")
    (True, True, False)
    """
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)


# ------------------------------------------------------------------------------------------
# One group.


def _truth(g: pd.DataFrame) -> float | None:
    if "_true" not in g:
        return None
    values = pd.unique(g["_true"].dropna())
    if len(values) > 1:
        raise ValueError(f"`true` must be constant within a group; got {values[:3]}.")
    return float(values[0]) if len(values) else None


def _single(g: pd.DataFrame, z: float, null: float, add) -> None:
    ok = g[g["_est"].notna()]
    x = ok["_est"].to_numpy(dtype=float)
    B = x.size
    add("nsim", perf.Measure(B, 0.0))
    add("nmiss", perf.Measure(len(g) - B, 0.0))
    if B < 2:
        return
    truth = _truth(g)
    add("mean", perf.mean(x))
    if truth is not None:
        add("bias", perf.bias(x, truth))
        if truth != 0:
            add("relbias", perf.relbias(x, truth))
    varies = not np.all(x == x[0])
    if varies:
        add("var", perf.variance(x))
        add("empse", perf.empse(x))
    se = ok["_se"].to_numpy(dtype=float) if "_se" in ok else None
    if se is not None and np.isfinite(se).all():
        add("modse", perf.modelse(se))
        if varies:
            add("relerror", perf.relerror(x, se))
    if truth is not None:
        add("mse", perf.mse(x, truth))
        add("rmse", perf.rmse(x, truth))
    if "_lo" in ok:
        lo, hi = ok["_lo"].to_numpy(dtype=float), ok["_hi"].to_numpy(dtype=float)
    elif se is not None:
        lo, hi = x - z * se, x + z * se
    else:
        return
    finite = np.isfinite(lo) & np.isfinite(hi)
    if not finite.all():
        # Reported, never silently dropped: cover etc. are then over the computable ones.
        add("ci_nmiss", perf.Measure(int((~finite).sum()), 0.0))
        if finite.sum() < 2:
            return
        lo, hi, x = lo[finite], hi[finite], x[finite]
    if truth is not None:
        add("cover", perf.proportion((lo <= truth) & (truth <= hi)))
    add("becover", perf.proportion((lo <= x.mean()) & (x.mean() <= hi)))
    add("power", perf.proportion((null < lo) | (null > hi)))
    add("width", perf.mean(hi - lo))


def _pairs(g: pd.DataFrame, methodvar: str, keys: list[str]) -> pd.DataFrame:
    if keys:
        return g.pivot_table(index=keys, columns=methodvar, values="_est", aggfunc="first",
                             dropna=False)
    # Row order within each method pairs the replications.
    return pd.DataFrame({m: s["_est"].reset_index(drop=True)
                         for m, s in g.groupby(methodvar, sort=False)})


def _paired(a: np.ndarray, b: np.ndarray, truth: float | None, add) -> None:
    if a.size < 2:
        return
    add("diff", perf.mean_difference(a, b))
    add("less", perf.proportion(a < b))
    if np.all(a == a[0]) or np.all(b == b[0]):
        return
    add("relprec", perf.relprec(b, a))
    add("varratio", perf.variance_ratio(a, b))
    if truth is not None and np.any(b != truth):
        add("mseratio", perf.mse_ratio(a, b, truth))


# ------------------------------------------------------------------------------------------
# Input validation: one place per entry point.


def _column(data, name, arg):
    if not isinstance(name, str) or name not in data:
        raise ValueError(f"`{arg}` must name a column of `data`; got {name!r} (columns: "
                         f"{list(data.columns)}).")
    values = data[name]
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        raise TypeError(f"`{arg}` column {name!r} must hold numbers, got dtype {values.dtype}.")
    return values.astype(float)


def _simsum_iv(data, estimate, true, se, methodvar, by, ref, ci, level, null, pair):
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"`data` must be a DataFrame, got {type(data).__name__}.")
    d = pd.DataFrame(index=data.index)
    d["_est"] = _column(data, estimate, "estimate")
    if np.isinf(d["_est"]).any():
        raise ValueError(f"`estimate` column {estimate!r} holds infinite values.")
    if isinstance(true, str):
        d["_true"] = _column(data, true, "true")
    elif true is not None:
        if isinstance(true, bool) or not isinstance(true, numbers.Real) or not math.isfinite(true):
            raise ValueError(f"`true` must be a finite number or a column name; got {true!r}.")
        d["_true"] = float(true)
    if se is not None:
        d["_se"] = _column(data, se, "se")
        if (d["_se"] < 0).any():
            raise ValueError(f"`se` column {se!r} holds negative values; a standard error "
                             "must be >= 0.")
    if ci is not None:
        if isinstance(ci, str) or not hasattr(ci, "__len__") or len(ci) != 2:
            raise ValueError(f"`ci` must be a pair of column names (lower, upper); got {ci!r}.")
        d["_lo"], d["_hi"] = _column(data, ci[0], "ci"), _column(data, ci[1], "ci")
        if (d["_lo"] > d["_hi"]).any():
            raise ValueError(f"`ci` columns {ci[0]!r} > {ci[1]!r} in "
                             f"{int((d['_lo'] > d['_hi']).sum())} rows; an interval's lower "
                             "bound must not exceed its upper bound.")
    by = [] if by is None else ([by] if isinstance(by, str) else list(by))
    for b in by:
        if b not in data:
            raise ValueError(f"`by` names columns not in `data`: {b!r}.")
        d[b] = data[b]
    if methodvar is not None:
        if methodvar not in data:
            raise ValueError(f"`methodvar` must name a column of `data`; got {methodvar!r}.")
        if data[methodvar].isna().any():
            raise ValueError(f"`methodvar` column {methodvar!r} holds missing labels in "
                             f"{int(data[methodvar].isna().sum())} rows; every row needs "
                             "its method.")
        d[methodvar] = data[methodvar]
    if ref is not None:
        if methodvar is None:
            raise ValueError("`ref` needs `methodvar`, the column of method labels.")
        if ref not in set(data[methodvar]):
            raise ValueError(f"`ref` must be one of the methods "
                             f"{list(pd.unique(data[methodvar]))}; got {ref!r}.")
    if pair is None:
        # `condition` alone does not identify a replication: `rep` is needed to pair.
        keys = [k for k in ("condition", "rep") if k in data] if "rep" in data else []
    else:
        keys = [pair] if isinstance(pair, str) else list(pair)
        missing = [k for k in keys if k not in data]
        if missing:
            raise ValueError(f"`pair` names columns not in `data`: {missing}.")
    for k in keys:
        d[k] = data[k]
    if ref is not None and not keys:
        # Row order is no identity: one missing row would pair every later replication
        # with another replication's estimate.
        raise ValueError("`ref` needs the replications identified for pairing: `data` has "
                         "no `rep` column; pass `pair` (the columns identifying a "
                         "replication).")
    group = [*by, *([methodvar] if methodvar else []), *keys]
    if ref is not None and d.duplicated(group).any():
        raise ValueError(f"`pair` columns {keys} must identify one row per method (and `by` "
                         f"group); {int(d.duplicated(group).sum())} rows repeat another's, "
                         "as when the same rows are concatenated twice.")
    return d, by, keys


def _tidy_iv(tidy: Any, by) -> list[str]:
    if not isinstance(tidy, pd.DataFrame):
        raise TypeError(f"`tidy` must be a DataFrame of tidy rows, got {type(tidy).__name__}.")
    need = {"method", "quantity", "estimate", "status"}
    missing = sorted(need - set(tidy))
    if missing:
        raise ValueError(f"`tidy` must have columns {sorted(need)}; missing {missing}.")
    by = [] if by is None else ([by] if isinstance(by, str) else list(by))
    absent = [b for b in by if b not in tidy]
    if absent:
        raise ValueError(f"`by` names columns not in `tidy`: {absent}.")
    return by
