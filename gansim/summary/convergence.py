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

A straight line on log-log axes has no floor: a distance that tends to a positive limit a
(an estimator with a wrong limit, or a distance measured through m draws, whose own KS
is about 0.87/sqrt(m)) bends the line and flattens the fitted slope.  :func:`floor_fit` fits
the mean distance per n by ``a + b n^(-c)`` (weighted nonlinear least squares on the
condition means, weights their Monte Carlo SEs), so the floor a and the exponent c come
with their own CIs; :func:`local_slopes` gives the slope between adjacent n, which bends
towards 0 where a floor is reached.
"""

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from scipy import optimize, stats

from gansim._validation import Instance, NoneOr, Options, Real, validate_params

#: A data frame argument.
_FRAME = Instance(pd.DataFrame, "a pandas DataFrame", pd.DataFrame({"x": [0.0]}))
#: A confidence level.
_LEVEL = Real(0, 1, closed="neither", what="a probability")

__all__ = ["FloorFit", "fit_rates", "floor_fit", "floor_fits", "ks_exact_slope",
           "local_slopes", "rate_slopes"]

#: Gauss-Legendre nodes of the exact E log D_n.
_GL_NODES = 200

#: Default formula of :func:`rate_slopes`; ``{d}`` is the distance column.
RATE_FORMULA = "np.log({d}) ~ 0 + C(method) + C(method):np.log(n)"


@validate_params(frame=_FRAME)
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


@validate_params(frame=_FRAME, level=_LEVEL)
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


@validate_params(scale=Options("mean_of_log", "log_of_mean"))
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
        y = np.array([_log_mean_kstwo(n) for n in ns])
    else:
        y = np.array([_mean_log_kstwo(n) for n in ns])
    x = np.log(ns)
    xm, ym = np.average(x, weights=w), np.average(y, weights=w)
    return float(np.sum(w * (x - xm) * (y - ym)) / np.sum(w * (x - xm) ** 2))


@functools.cache
def _log_mean_kstwo(n: int) -> float:
    # Cached, as _mean_log_kstwo: a numerical integral per n.
    return math.log(stats.kstwo(n).mean())


@functools.cache
def _mean_log_kstwo(n: int) -> float:
    # Cached: about half a second of root finding per n (kstwo's ppf at 200 nodes), and the
    # same n are asked again and again by the rates studies' slopes and their checks.
    # E log D_n = integral_0^1 log(ppf(u)) du: after the quantile substitution the integrand
    # is smooth and bounded (ppf(0) = 1/(2n), ppf(1) = 1), so 200 Gauss-Legendre nodes give
    # about 1e-7 (checked against 4,000 midpoints), far below any Monte Carlo error.
    x, w = np.polynomial.legendre.leggauss(_GL_NODES)
    return float(np.sum(w / 2 * np.log(stats.kstwo(n).ppf((x + 1) / 2))))


@dataclass(frozen=True)
class FloorFit:
    """The fit of ``a + b n^(-c)`` to mean distances (see :func:`floor_fit`).

    Attributes
    ----------
    a, b, c : float
        Floor, scale and exponent; ``c`` fixed when it was given.
    se_a, se_b, se_c : float
        Standard errors (``nan`` for a fixed c): from the weighted fit's covariance with the
        MCSEs taken as known (``absolute_sigma``).
    a_low, a_high, c_low, c_high : float
        Profile-likelihood confidence limits at ``level``: the a (or c) whose chi2,
        minimised over the other parameters, is within the chi-squared(1) quantile of the
        minimum (for a fixed c: Wald limits of a, ``nan`` for c).
    chi2 : float
        Weighted residual sum of squares, ``sum ((d_n - fit_n) / mcse_n)²``.
    df : int
        Number of sample sizes minus the number of free parameters.
    p_value : float
        ``P(chi2_df > chi2)``: small when the model does not fit the means within their
        MCSEs (``nan`` when df = 0).
    converged : bool
        False when the optimiser stopped without converging (estimates then unreliable).
    """

    a: float
    b: float
    c: float
    se_a: float
    se_b: float
    se_c: float
    a_low: float
    a_high: float
    c_low: float
    c_high: float
    chi2: float
    df: int
    p_value: float
    converged: bool


@validate_params(c=NoneOr(Real(0, closed="neither")), level=_LEVEL)
def floor_fit(n: Any, mean: Any, mcse: Any, *, c: float | None = None,
              level: float = 0.95) -> FloorFit:
    """Fit ``E d_n = a + b n^(-c)`` to mean distances by weighted nonlinear least squares.

    Each n's mean distance is weighted by its Monte Carlo SE (the conditions are
    independent, so the weighted residual sum of squares is chi-squared with ``len(n) - p``
    degrees of freedom when the model holds).  The fit is
    :func:`scipy.optimize.curve_fit` with ``absolute_sigma=True`` (b >= 0, 0.005 <= c <= 5,
    the exponents the profiles search); the SEs are from its covariance, the CIs of a and c
    by profiling the chi2 (Wald intervals undercover with so few n).  Where c is large,
    b n^-c is small at every n and c is barely identified: its interval then reaches the
    bound 5.  Where the means are nearly flat, the fit can end on the lower bound 0.005:
    as c -> 0, a + b n^-c -> (a + b) - b c log n identifies a + b and b c only, so a
    (and its interval's lower end) is then set by the bound, not by the data.

    Parameters
    ----------
    n : array_like
        Sample sizes, at least 3 distinct (4 when ``c`` is free).
    mean : array_like
        Mean distance at each n.
    mcse : array_like
        Its Monte Carlo SE, > 0.
    c : float, optional
        Fix the exponent (e.g. 0.5) and fit a, b only (a linear fit in ``n^-c``).
    level : float
        Confidence level.

    Returns
    -------
    FloorFit

    Examples
    --------
    Means on an exact curve ``0.01 + 0.5 n^-0.5`` are fitted back:

    >>> n = np.array([25, 50, 100, 200, 400, 800])
    >>> f = floor_fit(n, 0.01 + 0.5 * n ** -0.5, np.full(6, 1e-4))
    >>> round(f.a, 4), round(f.b, 3), round(f.c, 3)
    (0.01, 0.5, 0.5)
    """
    n, y, se, level = _floor_fit_iv(n, mean, mcse, c, level)
    z = stats.norm.ppf(0.5 + level / 2)
    if c is not None:
        # Linear in (a, b): weighted least squares in closed form.
        X = np.column_stack([np.ones_like(n), n ** -c]) / se[:, None]
        cov = np.linalg.inv(X.T @ X)
        a, b = cov @ (X.T @ (y / se))
        chi2 = float(np.sum(((y - a - b * n ** -c) / se) ** 2))
        df = n.size - 2
        se_a, se_b = np.sqrt(np.diag(cov))
        return FloorFit(float(a), float(b), float(c), float(se_a), float(se_b), math.nan,
                        float(a - z * se_a), float(a + z * se_a), math.nan, math.nan, chi2,
                        df, _chi2_sf(chi2, df), True)

    def model(t, a, b, cc):
        return a + b * t ** -cc

    # Start from the line through the two largest n with c = 1/2, a the smaller mean / 2.
    a0 = max(0.5 * float(y.min()), 1e-12)
    b0 = max(float((y[0] - a0) * n[0] ** 0.5), 1e-12)
    converged = True
    try:
        p, cov = optimize.curve_fit(model, n, y, p0=(a0, b0, 0.5), sigma=se,
                                    absolute_sigma=True, bounds=((-np.inf, 0, 0), (np.inf,
                                                                                   np.inf, 5)),
                                    max_nfev=20_000)
        if p[2] < _C_GRID[0]:
            # As c -> 0, a + b n^-c -> (a + b) - b c log n: only a + b and b c are
            # identified, and nearly flat means drive the fit there with a and b huge and
            # opposite.  The profiles search c over the grid only, so refit on the grid's
            # range (from its best point): the estimate is then a point of the set the
            # intervals are computed on.  A fit that already lands in that range is a
            # stationary point of the restricted problem too, and is kept as it is.
            a_g, b_g, c_g = _profile_best(n, y, se, _C_GRID)
            p, cov = optimize.curve_fit(model, n, y, p0=(a_g, b_g, c_g), sigma=se,
                                        absolute_sigma=True,
                                        bounds=((-np.inf, 0, _C_GRID[0]), (np.inf, np.inf, 5)),
                                        max_nfev=20_000)
    except RuntimeError:
        return FloorFit(*(math.nan,) * 11, n.size - 3, math.nan, False)
    ses = np.sqrt(np.clip(np.diag(cov), 0, None))
    chi2 = float(np.sum(((y - model(n, *p)) / se) ** 2))
    df = n.size - 3
    # Profile-likelihood intervals: {θ : min over the others of chi2 <= chi2_min + q}, q the
    # chi-squared(1) quantile.  Wald intervals undercover here (the model is far from
    # linear in c with 5 or 6 n; 89% for the floor at a nominal 95% in the synthetic check
    # of tests/test_rates.py), the profile ones do not.
    q = stats.chi2.ppf(level, 1)
    grid = _C_GRID
    prof_c = _profile_c(n, y, se, grid)
    best = min(chi2, float(prof_c.min()))
    inside = grid[prof_c <= best + q]
    c_low, c_high = (float(inside.min()), float(inside.max())) if inside.size else (
        math.nan, math.nan)
    a_low, a_high = _profile_a_interval(n, y, se, float(p[0]), best + q, grid)
    return FloorFit(float(p[0]), float(p[1]), float(p[2]), float(ses[0]), float(ses[1]),
                    float(ses[2]), a_low, a_high, c_low, c_high, chi2, df,
                    _chi2_sf(chi2, df), converged and bool(np.all(np.isfinite(ses))))


#: Exponents over which the profiles are minimised (c in [0.005, 5], the fit's bounds).
_C_GRID = np.concatenate([np.linspace(0.005, 2, 800), np.linspace(2.01, 5, 300)])


def _profile_c(n, y, se, grid, a=None, *, coef=False):
    """min over (a, b) -- or over b with ``a`` fixed -- of chi2 at each c of ``grid``
    (weighted least squares in closed form; b >= 0 as in the fit); with ``coef``, also the
    minimising a and b at each c."""
    w = 1 / se**2
    x = n[None, :] ** -grid[:, None]  # (C, k)
    if a is None:
        sw, sx, sy = w.sum(), (w * x).sum(1), (w * y).sum()
        sxx, sxy = (w * x * x).sum(1), (w * x * y).sum(1)
        det = sw * sxx - sx**2
        b = np.clip((sw * sxy - sx * sy) / det, 0, None)
        a_hat = (sy - b * sx) / sw
    else:
        b = np.clip((w * x * (y - a)).sum(1) / (w * x * x).sum(1), 0, None)
        a_hat = np.full(grid.size, a)
    resid = (y[None, :] - a_hat[:, None] - b[:, None] * x) / se[None, :]
    chi2 = (resid**2).sum(1)
    return (chi2, a_hat, b) if coef else chi2


def _profile_best(n, y, se, grid):
    """The (a, b, c) of least chi2 over the grid of c (a and b in closed form)."""
    chi2, a, b = _profile_c(n, y, se, grid, coef=True)
    i = int(np.argmin(chi2))
    return float(a[i]), float(b[i]), float(grid[i])


def _profile_a_interval(n, y, se, a_hat, cutoff, grid):
    """The ends of {a : min over (b, c) of chi2 <= cutoff}, by bisection out from â (or
    from the profile's best a where â is outside that set); an end that 60 doublings of the
    step do not reach is infinite."""
    def excess(a):
        return float(_profile_c(n, y, se, grid, a=a).min()) - cutoff

    if excess(a_hat) > 0:
        # Bisection needs a start inside the set: an â off the grid's range of c can lie
        # outside it, and the bisection would then collapse onto â.
        a_hat = _profile_best(n, y, se, grid)[0]
    span = max(float(np.ptp(y)), float(se.max()), 1e-12)
    ends = []
    for sign in (-1, 1):
        step = span
        far = a_hat + sign * step
        k = 0
        while excess(far) <= 0 and k < 60:
            step *= 2
            far = a_hat + sign * step
            k += 1
        if excess(far) <= 0:
            ends.append(-math.inf if sign < 0 else math.inf)
            continue
        near = a_hat
        for _ in range(60):
            mid = 0.5 * (near + far)
            near, far = (mid, far) if excess(mid) <= 0 else (near, mid)
        ends.append(0.5 * (near + far))
    return ends[0], ends[1]


@validate_params(summary=_FRAME, c=NoneOr(Real(0, closed="neither")), level=_LEVEL)
def floor_fits(summary: pd.DataFrame, quantity: str = "ks", *, by: Sequence[str] = ("dgp",),
               c: float | None = None, level: float = 0.95) -> pd.DataFrame:
    """:func:`floor_fit` per group and method, on a summary's mean distances.

    Parameters
    ----------
    summary : pandas.DataFrame
        Long summary (:func:`gansim.summarise`) with columns ``n, method, quantity, stat, est,
        mcse`` and those of ``by``; its rows ``stat == "mean"`` of ``quantity`` are fitted.
    quantity : str
        The distance, e.g. ``"ks"``.
    by : sequence of str
        One fit per combination of these columns and ``method``.
    c : float, optional
        A fixed exponent (see :func:`floor_fit`).
    level : float

    Returns
    -------
    pandas.DataFrame
        Columns ``*by, method, quantity`` and the fields of :class:`FloorFit`, ``n_min``,
        ``n_max``; a group with too few distinct n, or an MCSE of 0, is left out.

    Examples
    --------
    >>> n = np.array([50, 100, 200, 400, 800])
    >>> s = pd.DataFrame({"dgp": "x", "n": n, "method": "m", "quantity": "ks", "stat": "mean",
    ...                   "est": 0.02 + n ** -0.5, "mcse": 1e-4})
    >>> round(float(floor_fits(s).a.iloc[0]), 3)
    0.02
    """
    by = [by] if isinstance(by, str) else list(by)
    need = ["n", "method", "quantity", "stat", "est", "mcse", *by]
    if not isinstance(summary, pd.DataFrame):
        raise TypeError(f"`summary` must be a pandas DataFrame, got {type(summary).__name__}.")
    missing = [k for k in need if k not in summary.columns]
    if missing:
        raise ValueError(f"`summary` must have columns {need}; missing {missing}.")
    rows = summary[(summary.quantity == quantity) & (summary.stat == "mean")]
    if rows.empty:
        raise ValueError(f"`quantity` {quantity!r} has no rows with stat 'mean' in `summary`.")
    out = []
    for key, g in rows.groupby([*by, "method"], sort=False):
        g = g.sort_values("n")
        if g.n.nunique() < (3 if c is not None else 4) or not (g.mcse > 0).all():
            continue  # too few n for this model, or a constant distance: nothing to fit
        fit = floor_fit(g.n.to_numpy(), g.est.to_numpy(), g.mcse.to_numpy(), c=c, level=level)
        out.append({**dict(zip([*by, "method"], key, strict=True)), "quantity": quantity,
                    **fit.__dict__, "n_min": int(g.n.min()), "n_max": int(g.n.max())})
    # The same columns when no group had enough sizes, so callers can select from it.
    columns = [*by, "method", "quantity", *(f.name for f in fields(FloorFit)), "n_min", "n_max"]
    return pd.DataFrame(out, columns=columns)


@validate_params(summary=_FRAME, level=_LEVEL)
def local_slopes(summary: pd.DataFrame, quantity: str = "ks", *,
                 by: Sequence[str] = ("dgp",), level: float = 0.95) -> pd.DataFrame:
    """Slopes of log mean distance between adjacent n, with delta-method CIs.

    Between n1 < n2 the slope is ``log(d2/d1) / log(n2/n1)``; its SE is
    ``sqrt((mcse1/d1)² + (mcse2/d2)²) / log(n2/n1)`` (the conditions are independent).  A
    rate n^-c gives slopes near -c; a floor pulls them towards 0 as n grows.

    Parameters
    ----------
    summary : pandas.DataFrame
        As for :func:`floor_fits`.
    quantity : str
    by : sequence of str
    level : float

    Returns
    -------
    pandas.DataFrame
        Columns ``*by, method, quantity, n1, n2, slope, se, ci_low, ci_high``.

    Examples
    --------
    >>> s = pd.DataFrame({"n": [100, 400], "method": "m", "quantity": "ks", "stat": "mean",
    ...                   "est": [0.1, 0.05], "mcse": [0.001, 0.0005], "dgp": "x"})
    >>> float(local_slopes(s).slope.iloc[0])
    -0.5
    """
    by = [by] if isinstance(by, str) else list(by)
    z = stats.norm.ppf(0.5 + level / 2)
    rows = summary[(summary.quantity == quantity) & (summary.stat == "mean")]
    out = []
    for key, g in rows.groupby([*by, "method"], sort=False):
        g = g.sort_values("n")
        n, d, e = g.n.to_numpy(float), g.est.to_numpy(float), g.mcse.to_numpy(float)
        for i in range(len(n) - 1):
            span = math.log(n[i + 1] / n[i])
            slope = math.log(d[i + 1] / d[i]) / span
            se = math.hypot(e[i] / d[i], e[i + 1] / d[i + 1]) / span
            out.append({**dict(zip([*by, "method"], key, strict=True)), "quantity": quantity,
                        "n1": int(n[i]), "n2": int(n[i + 1]), "slope": slope, "se": se,
                        "ci_low": slope - z * se, "ci_high": slope + z * se})
    return pd.DataFrame(out)


def _chi2_sf(chi2: float, df: int) -> float:
    return float(stats.chi2.sf(chi2, df)) if df > 0 else math.nan


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


def _floor_fit_iv(n, mean, mcse, c, level):
    n = np.asarray(n, dtype=float)
    y = np.asarray(mean, dtype=float)
    se = np.asarray(mcse, dtype=float)
    if n.ndim != 1 or y.shape != n.shape or se.shape != n.shape:
        raise ValueError("`n`, `mean` and `mcse` must be 1-D arrays of the same length, got "
                         f"shapes {n.shape}, {y.shape}, {se.shape}.")
    if not (np.all(np.isfinite(n)) and np.all(n > 0)):
        raise ValueError("`n` must hold finite sample sizes > 0.")
    need = 3 if c is not None else 4
    if np.unique(n).size < need:
        raise ValueError(f"`n` must hold at least {need} distinct sample sizes for this fit, "
                         f"got {np.unique(n).size}.")
    if not np.all(np.isfinite(y)):
        raise ValueError("`mean` must be finite.")
    if not (np.all(np.isfinite(se)) and np.all(se > 0)):
        raise ValueError("`mcse` must hold finite standard errors > 0.")
    if c is not None and (isinstance(c, bool) or not isinstance(c, numbers.Real)
                          or not math.isfinite(c) or c <= 0):
        raise ValueError(f"`c` must be a finite exponent > 0 or None, got {c!r}.")
    if not (isinstance(level, float) and 0 < level < 1):
        raise ValueError(f"`level` must be a probability in (0, 1), got {level!r}.")
    return n, y, se, level
