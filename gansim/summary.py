"""The summary of a study: performance measures with MCSE from its tidy per-replication rows.

One function, :func:`summarise`, over the long tidy frame of
:class:`gansim.study.StudyResult` (one row per condition, replication, method, quantity),
giving one long frame ``[*by, method, quantity, stat, est, mcse]``.  Every formula and MCSE
is in :mod:`gansim.performance`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from types import MappingProxyType

import numpy as np
import pandas as pd

from gansim import performance as perf

__all__ = ["STATS", "SUMMARY_COLUMNS", "summarise"]

#: Columns of :func:`summarise`'s frame after the ``by`` columns.
SUMMARY_COLUMNS = ["method", "quantity", "stat", "est", "mcse"]

#: The ``stat`` codes of :func:`summarise`, with what they mean.
STATS = MappingProxyType({
    "nsim": "replications with an ok, non-missing estimate (mcse 0)",
    "mean": "mean of the estimates",
    "var": "variance of the estimates over replications",
    "empse": "empirical SE: sd of the estimates over replications",
    "bias": "mean estimate minus the truth (needs the truth)",
    "mse": "mean squared error against the truth",
    "modse": "model-based SE: root mean of se² (needs se)",
    "cover": "share of intervals [lower, upper] containing the truth (needs bounds, truth)",
    "width": "mean interval width upper - lower (needs bounds)",
    "diff": "mean paired difference estimate - estimate of `ref` (same replications)",
    "less": "share of replications where the estimate is below `ref`'s (distances: closer)",
    "var_ratio": "var(estimates) / var(`ref`'s), paired, delta-method MCSE",
    "relprec": "100 (var(`ref`) / var(method) - 1): % gain in precision over `ref`, "
               "paired, delta-method MCSE",
    "mse_ratio": "MSE / MSE of `ref`, paired, delta-method MCSE (needs the truth)",
})


def summarise(tidy: pd.DataFrame, *, by: Sequence[str] | None = None, ref: str | None = None
              ) -> pd.DataFrame:
    """Performance measures with their Monte Carlo SEs, per (by, method, quantity).

    Parameters
    ----------
    tidy : DataFrame
        Rows with columns ``method``, ``quantity``, ``estimate``, ``status`` and, where used,
        ``rep``, ``condition``, ``se``, ``lower``, ``upper``, ``truth`` (NaN: not given),
        as :attr:`gansim.study.StudyResult.tidy`.  Only rows with ``status == "ok"`` count.
    by : sequence of str, optional
        Design factor columns to summarise within.
    ref : str, optional
        A method label: every other method is compared with it, pair by pair over the
        replications where both have an ok estimate of the quantity (``diff``, ``less``,
        ``var_ratio``, ``relprec``, ``mse_ratio``).

    Returns
    -------
    DataFrame
        Columns ``[*by, "method", "quantity", "stat", "est", "mcse"]``, stats of
        :data:`STATS` where their inputs exist.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> x = rng.normal(size=200)
    >>> tidy = pd.DataFrame({"rep": np.tile(np.arange(100), 2), "method": ["a"] * 100 + ["b"] * 100,
    ...                      "quantity": "mean", "estimate": x, "truth": 0.0, "status": "ok"})
    >>> s = summarise(tidy, ref="a")
    >>> s[s.method == "b"].stat.tolist()  # doctest: +NORMALIZE_WHITESPACE
    ['nsim', 'mean', 'var', 'empse', 'bias', 'mse', 'diff', 'less', 'var_ratio', 'relprec',
     'mse_ratio']
    """
    by = _summarise_iv(tidy, by, ref)
    ok = tidy[tidy["status"] == "ok"]
    ok = ok[ok["estimate"].notna()]
    rows: list[tuple] = []
    for key, g in ok.groupby([*by, "method", "quantity"], sort=False):
        *head, method, quantity = key

        def add(stat, m, head=head, method=method, quantity=quantity):
            rows.append((*head, method, quantity, stat, float(m.value), float(m.mcse)))

        _single(g, add)
    if ref is not None:
        keys = [k for k in ("condition", "rep") if k in ok]
        for key, g in ok.groupby([*by, "quantity"], sort=False):
            *head, quantity = key
            wide = g.pivot_table(index=keys, columns="method", values="estimate",
                                 aggfunc="first")
            truth = _truth(g)
            for method in pd.unique(g["method"]):
                if method == ref or ref not in wide:
                    continue

                def add(stat, m, head=head, method=method, quantity=quantity):
                    rows.append((*head, method, quantity, stat, float(m.value), float(m.mcse)))

                pair = wide[[method, ref]].dropna()
                _paired(pair[method].to_numpy(), pair[ref].to_numpy(), truth, add)
    out = pd.DataFrame(rows, columns=[*by, *SUMMARY_COLUMNS])
    # Within a group the single-method stats first, then the paired ones.
    order = {s: i for i, s in enumerate(STATS)}
    out["_s"] = out["stat"].map(order)
    group_order = {k: i for i, k in enumerate(dict.fromkeys(
        map(tuple, out[[*by, "method", "quantity"]].to_numpy())))}
    out["_g"] = [group_order[tuple(r)] for r in out[[*by, "method", "quantity"]].to_numpy()]
    out = out.sort_values(["_g", "_s"], kind="stable").drop(columns=["_g", "_s"])
    return out.reset_index(drop=True)


def _truth(g: pd.DataFrame) -> float | None:
    if "truth" not in g:
        return None
    values = pd.unique(g["truth"].dropna())
    if len(values) > 1:
        raise ValueError(f"`truth` must be constant within a group; got {values[:3]} for "
                         f"quantity {g['quantity'].iloc[0]!r}.")
    return float(values[0]) if len(values) else None


def _single(g: pd.DataFrame, add) -> None:
    x = g["estimate"].to_numpy(dtype=float)
    B = x.size
    add("nsim", perf.Measure(B, 0.0))
    if B < 2:
        return
    truth = _truth(g)
    add("mean", perf.mean(x))
    constant = np.all(x == x[0])
    if not constant:
        add("var", perf.variance(x))
        add("empse", perf.empse(x))
    if truth is not None:
        add("bias", perf.bias(x, truth))
        add("mse", perf.mse(x, truth))
    if "se" in g and g["se"].notna().all():
        se2 = g["se"].to_numpy(dtype=float) ** 2
        modse = math.sqrt(se2.mean())
        # rsimsum: sqrt(var(se²) / (4 B modse²)), the delta method on sqrt(mean(se²)).
        mcse = math.sqrt(np.var(se2, ddof=1) / (4 * B * modse**2)) if modse > 0 else 0.0
        add("modse", perf.Measure(modse, mcse))
    if {"lower", "upper"} <= set(g) and g["lower"].notna().all() and g["upper"].notna().all():
        lo, hi = g["lower"].to_numpy(dtype=float), g["upper"].to_numpy(dtype=float)
        if truth is not None:
            add("cover", perf.proportion((lo <= truth) & (truth <= hi)))
        add("width", perf.mean(hi - lo))


def _paired(a: np.ndarray, b: np.ndarray, truth: float | None, add) -> None:
    if a.size < 2:
        return
    add("diff", perf.mean_difference(a, b))
    add("less", perf.proportion(a < b))
    if np.all(a == a[0]) or np.all(b == b[0]):
        return
    vr = perf.variance_ratio(a, b)
    add("var_ratio", vr)
    inv = perf.variance_ratio(b, a)
    add("relprec", perf.Measure(100 * (inv.value - 1), 100 * inv.mcse))
    if truth is not None and np.any(b != truth):
        add("mse_ratio", perf.mse_ratio(a, b, truth))


def _summarise_iv(tidy, by, ref) -> list[str]:
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
    if ref is not None and ref not in set(tidy["method"]):
        raise ValueError(f"`ref` must be one of the methods {list(pd.unique(tidy['method']))}; "
                         f"got {ref!r}.")
    return by
