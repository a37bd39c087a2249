"""Convergence rates from a study's tidy results, by statsmodels formulas.

A distance that behaves like ``C n^b`` has ``log d = log C + b log n``; the slope b is the
rate (b = -1/2 for the empirical cdf's KS distance).  :func:`rate_slopes` fits, per group
(e.g. per DGP), ::

    np.log(<distance>) ~ 0 + C(method) + C(method):np.log(n)

by OLS on the per-replication distances, so each method's coefficient on ``np.log(n)`` is
its slope (the rate of the geometric mean ``exp E log d``), with cluster-robust standard
errors by replication (the methods of one replication share its data, and their distances
are correlated).  :func:`fit_rates` runs any formula of the user's on any tidy frame.
:func:`ks_exact_slope` gives the exact finite-n slope of the empirical cdf from
Kolmogorov's distribution (:data:`scipy.stats.kstwo`), the check of the machinery.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from scipy import stats

__all__ = ["fit_rates", "ks_exact_slope", "rate_slopes"]

#: Gauss-Legendre nodes of the exact E log D_n.
_GL_NODES = 200

#: Default formula of :func:`rate_slopes`; ``{d}`` is the distance column.
RATE_FORMULA = "np.log({d}) ~ 0 + C(method) + C(method):np.log(n)"


def fit_rates(frame: pd.DataFrame, formula: str, *, cluster: Sequence[str] | None = None):
    """Fit ``formula`` by OLS on ``frame`` (statsmodels), with cluster-robust SEs.

    Parameters
    ----------
    frame : pandas.DataFrame
        Tidy results, e.g. ``run.replications`` of a study (rows with a ``status`` column
        other than ``"ok"`` are dropped first).
    formula : str
        A patsy formula, e.g. ``"np.log(ks) ~ np.log(n) * C(method)"``.
    cluster : sequence of str, optional
        Columns whose combination identifies a cluster of correlated rows (e.g.
        ``("dgp", "n", "rep")``: one replication's methods); None gives HC1 SEs.

    Returns
    -------
    statsmodels.regression.linear_model.RegressionResultsWrapper

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"n": [10, 100, 1000, 10, 100, 1000],
    ...                   "ks": [0.3, 0.1, 0.03, 0.28, 0.09, 0.031]})
    >>> fit = fit_rates(d, "np.log(ks) ~ np.log(n)")
    >>> round(float(fit.params["np.log(n)"]), 2)
    -0.49
    """
    data, cluster = _fit_rates_iv(frame, formula, cluster)
    model = smf.ols(formula, data=data)
    if cluster is None:
        return model.fit(cov_type="HC1")
    # Rows kept by patsy (it drops rows with missing values) index the groups.
    rows = model.data.row_labels
    groups = pd.factorize(pd.MultiIndex.from_frame(data.loc[rows, list(cluster)]))[0]
    return model.fit(cov_type="cluster", cov_kwds={"groups": groups})


def rate_slopes(frame: pd.DataFrame, distance: str = "ks", *, by: Sequence[str] = ("dgp",),
                cluster: Sequence[str] = ("dgp", "n", "rep"), level: float = 0.95,
                ns: Sequence[int] | None = None) -> pd.DataFrame:
    """Each method's fitted slope of ``log(distance)`` on ``log(n)``, per group, with CIs.

    Parameters
    ----------
    frame : pandas.DataFrame
        Tidy results with columns ``method``, ``n``, ``distance`` and those of ``by`` and
        ``cluster``; rows whose ``status`` is not ``"ok"`` are left out.
    distance : str
        The distance column, e.g. ``"ks"``, ``"w1"``, ``"cvm"``.
    by : sequence of str
        One fit per combination of these columns (empty: one fit).
    cluster : sequence of str
        Cluster-robust SEs by these columns (one replication's methods are correlated).
    level : float
        Confidence level.
    ns : sequence of int, optional
        Fit only on these sample sizes (e.g. the larger ones, to see the limiting rate).

    Returns
    -------
    pandas.DataFrame
        Columns ``*by, method, slope, se, ci_low, ci_high, n_obs, formula``.

    Examples
    --------
    Distances with slope exactly -1/2 plus noise are recovered:

    >>> rng = np.random.default_rng(1)
    >>> n = np.repeat([25, 100, 400], 50)
    >>> d = pd.DataFrame({"method": "ecdf", "n": n, "rep": np.tile(np.arange(50), 3),
    ...                   "dist": n ** -0.5 * np.exp(rng.normal(0, 0.3, n.size))})
    >>> s = rate_slopes(d, "dist", by=(), cluster=("n", "rep"))
    >>> bool(s.ci_low[0] < -0.5 < s.ci_high[0])
    True
    """
    by, cluster, level = _rate_slopes_iv(frame, distance, by, cluster, level)
    formula = RATE_FORMULA.format(d=distance)
    data = frame if "status" not in frame else frame[frame["status"] == "ok"]
    if ns is not None:
        data = data[data["n"].isin(list(ns))]
    rows = []
    groups = data.groupby(by, sort=False) if by else [((), data)]
    for key, g in groups:
        key = key if isinstance(key, tuple) else (key,)
        fit = fit_rates(g, formula, cluster=cluster)
        ci = fit.conf_int(alpha=1 - level)
        for method in pd.unique(g["method"]):
            name = f"C(method)[{method}]:np.log(n)"
            rows.append({**dict(zip(by, key, strict=True)), "method": method,
                         "slope": fit.params[name], "se": fit.bse[name],
                         "ci_low": ci.loc[name, 0], "ci_high": ci.loc[name, 1],
                         "n_obs": int((g["method"] == method).sum()), "formula": formula})
    return pd.DataFrame(rows)


def ks_exact_slope(ns: Sequence[int], weights: Sequence[float] | None = None, *,
                   scale: str = "mean_of_log") -> float:
    """The exact slope of the empirical cdf's KS distance on log n, from ``kstwo``.

    For continuous F, ``D_n = sup|F_n - F|`` has Kolmogorov's distribution ``kstwo(n)``
    whatever F.  The slope is the weighted least-squares slope of ``y_n`` on ``log n`` over
    ``ns``, with ``y_n = E log D_n`` (``scale="mean_of_log"``, what :func:`rate_slopes`
    estimates; weights = replications per n) or ``y_n = log E D_n`` (``"log_of_mean"``).

    Parameters
    ----------
    ns : sequence of int
        Sample sizes, at least 2 distinct.
    weights : sequence of float, optional
        Replications per n (OLS on per-replication rows weights each n by its B).
    scale : {"mean_of_log", "log_of_mean"}

    Returns
    -------
    float

    Examples
    --------
    >>> round(ks_exact_slope([25, 50, 100, 200, 400, 800], scale="log_of_mean"), 3)
    -0.491
    """
    ns, w, scale = _ks_exact_slope_iv(ns, weights, scale)
    if scale == "log_of_mean":
        y = np.array([math.log(stats.kstwo(n).mean()) for n in ns])
    else:
        y = np.array([_mean_log_kstwo(n) for n in ns])
    x = np.log(ns)
    xm, ym = np.average(x, weights=w), np.average(y, weights=w)
    return float(np.sum(w * (x - xm) * (y - ym)) / np.sum(w * (x - xm) ** 2))


def _mean_log_kstwo(n: int) -> float:
    # E log D_n = integral_0^1 log(ppf(u)) du: after the quantile substitution the integrand
    # is smooth and bounded (ppf(0) = 1/(2n), ppf(1) = 1), so 200 Gauss-Legendre nodes give
    # about 1e-7 (checked against 4,000 midpoints), far below any Monte Carlo error.
    x, w = np.polynomial.legendre.leggauss(_GL_NODES)
    return float(np.sum(w / 2 * np.log(stats.kstwo(n).ppf((x + 1) / 2))))


# --------------------------------------------------------------------------------------------
# Input validation.


def _fit_rates_iv(frame: Any, formula: Any, cluster: Any):
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"`frame` must be a pandas DataFrame, got {type(frame).__name__}.")
    if not isinstance(formula, str) or "~" not in formula:
        raise ValueError(f"`formula` must be a patsy formula 'y ~ x', got {formula!r}.")
    if cluster is not None:
        cluster = [cluster] if isinstance(cluster, str) else list(cluster)
        missing = [c for c in cluster if c not in frame.columns]
        if missing:
            raise ValueError(f"`cluster` must name columns of `frame`; missing {missing}.")
    data = frame if "status" not in frame else frame[frame["status"] == "ok"]
    # A unique index, so that patsy's kept rows pick out their cluster labels.
    return data.reset_index(drop=True), cluster


def _rate_slopes_iv(frame, distance, by, cluster, level):
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"`frame` must be a pandas DataFrame, got {type(frame).__name__}.")
    by = [by] if isinstance(by, str) else list(by)
    cluster = [cluster] if isinstance(cluster, str) else list(cluster)
    need = ["method", "n", distance, *by, *cluster]
    missing = [c for c in need if c not in frame.columns]
    if missing:
        raise ValueError(f"`frame` must have columns {need}; missing {missing}.")
    if not (isinstance(level, float) and 0 < level < 1):
        raise ValueError(f"`level` must be a probability in (0, 1), got {level!r}.")
    return by, cluster, level


def _ks_exact_slope_iv(ns, weights, scale):
    ns = np.asarray(ns)
    if ns.ndim != 1 or ns.dtype.kind not in "iu" or np.any(ns < 1) or np.unique(ns).size < 2:
        raise ValueError(f"`ns` must hold at least 2 distinct integers >= 1, got {ns!r}.")
    w = np.ones(ns.size) if weights is None else np.asarray(weights, dtype=float)
    if w.shape != ns.shape or np.any(~np.isfinite(w)) or np.any(w <= 0):
        raise ValueError("`weights` must hold one positive number per n.")
    if scale not in ("mean_of_log", "log_of_mean"):
        raise ValueError(f"`scale` must be 'mean_of_log' or 'log_of_mean', got {scale!r}.")
    return [int(n) for n in ns], w, scale
