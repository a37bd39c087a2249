"""Figures of a study's performance, in the spirit of rsimsum's ``autoplot``.

- :func:`forest`: one stat of a summary with ±1.96 MCSE bars, by method and condition
  (a forest or lollipop plot);
- :func:`zip_plot`: the zip plot of interval coverage (Morris, White & Crowther 2019,
  Fig. 4) from a study's tidy rows;
- :func:`estimates`: the distribution of the estimates per method (histograms or violins);
- :func:`stat_by`: one stat against a numeric factor (e.g. mean KS against n on log axes)
  with ±1.96 MCSE bars;
- :func:`autoplot`: any of them from a :class:`~gansim.study.core.StudyResult`, a summary or a
  tidy frame.

Every function returns a :class:`matplotlib.figure.Figure` made outside pyplot (no display
needed, nothing to close: it is freed with its last reference; Jupyter shows it) and, given
``path``, also saves it there as a PNG.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats as st

from gansim._files import write_figure

__all__ = ["autoplot", "estimates", "forest", "stat_by", "zip_plot"]

#: The value each stat is judged against (dotted line of :func:`forest`).
TARGETS = {"bias": 0.0, "relbias": 0.0, "relerror": 0.0, "diff": 0.0, "relprec": 0.0,
           "less": 0.5, "varratio": 1.0, "mseratio": 1.0}
_COVER = ("cover", "becover")
_SUMMARY_FIXED = {"method", "quantity", "stat", "est", "mcse"}
_Z = st.norm.ppf(0.975)


def _figure(ncols: int, nrows: int = 1, *, size, sharey: bool = False):
    # A Figure outside pyplot: nothing global to close, no display needed (Agg canvas).
    from matplotlib.figure import Figure

    fig = Figure(figsize=size)
    return fig, fig.subplots(nrows, ncols, sharey=sharey, squeeze=False)


def _finish(fig, path):
    fig.tight_layout()
    if path is not None:
        write_figure(path, fig)
    return fig


def _factors(frame: pd.DataFrame, fixed) -> list[str]:
    return [c for c in frame.columns if c not in fixed]


def _label(key: tuple, names: Sequence[str]) -> str:
    return ", ".join(f"{n} = {v}" for n, v in zip(names, key, strict=True))


def _colours(methods):
    import matplotlib

    cycle = matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]
    return {m: cycle[i % len(cycle)] for i, m in enumerate(methods)}


def forest(summary: pd.DataFrame, stat: str, *, quantity: str | Sequence[str] | None = None,
           by: Sequence[str] | None = None, methods: Sequence[str] | None = None,
           target: float | None = None, lollipop: bool = False, path=None):
    """Forest (or lollipop) plot of one stat: ``est ± 1.96 MCSE`` by method and condition.

    Parameters
    ----------
    summary : DataFrame
        :func:`gansim.summary.simsum.summarise` or :func:`gansim.summary.simsum` rows (columns
        ``method``, ``stat``, ``est``, ``mcse``, maybe ``quantity`` and design factors).
    stat : str
        The stat code to plot, e.g. ``"bias"``, ``"cover"``, ``"mean"``.
    quantity : str or sequence of str, optional
        Quantities to plot, one panel each (default: every quantity having ``stat``).
    by : sequence of str, optional
        Condition columns; one row of points per condition and method (default: the
        columns other than method, quantity, stat, est and mcse).
    methods : sequence of str, optional
        Methods to show, in this order (default: all, in order of appearance).
    target : float, optional
        Dotted reference line; default 0.95 for coverage, 0 for bias, 1 for ratios, ...
        (:data:`TARGETS`), none for other stats.
    lollipop : bool
        Draw a stem from the target to each point (rsimsum's ``type = "lolly"``).
    path : str or Path, optional
        Save the figure there as a PNG.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per quantity; in each, one error-bar series per method, one point per
        condition.

    Examples
    --------
    >>> s = pd.DataFrame({"n": [50, 50, 200, 200], "method": ["ecdf", "gan"] * 2,
    ...                   "quantity": "mean", "stat": "bias",
    ...                   "est": [0.012, -0.004, 0.003, 0.001],
    ...                   "mcse": [0.01, 0.011, 0.005, 0.005]})
    >>> fig = forest(s, "bias")
    >>> ax = fig.axes[0]
    >>> ax.get_xlabel(), [t.get_text() for t in ax.get_yticklabels()]
    ('bias (± 1.96 MCSE)', ['n = 50', 'n = 200'])
    >>> len(ax.containers)  # one error-bar series per method
    2
    """
    rows = _stat_rows(summary, stat, quantity, methods)
    by = _factors(rows, _SUMMARY_FIXED) if by is None else list(by)
    quantities = list(pd.unique(rows["quantity"])) if "quantity" in rows else [None]
    method_list = list(pd.unique(rows["method"])) if methods is None else list(methods)
    colours = _colours(method_list)
    conds = list(dict.fromkeys(map(tuple, rows[by].to_numpy()))) if by else [()]
    if target is None:
        target = 0.95 if stat in _COVER else TARGETS.get(stat)
    labels = [_label(c, by) if by else "" for c in conds]
    height = max(2.4, 0.32 * len(conds) * len(method_list) + 1.2)
    # Room for the condition labels on the left, which can be long.
    width = 4.2 * len(quantities) + 0.6 + 0.075 * max(map(len, labels))
    fig, axes = _figure(len(quantities), size=(width, height), sharey=True)
    step = 0.8 / max(len(method_list), 1)
    for ax, q in zip(axes[0], quantities, strict=True):
        g = rows if q is None else rows[rows["quantity"] == q]
        if target is not None:
            ax.axvline(target, color="0.3", lw=0.8, ls=":")
        for j, m in enumerate(method_list):
            gm = g[g["method"] == m]
            if gm.empty:
                continue
            where = {c: i for i, c in enumerate(conds)}
            y = np.array([where[tuple(r)] if by else 0 for r in gm[by].to_numpy()], float)
            # Methods side by side within a condition, first method on top.
            y = y + (j - (len(method_list) - 1) / 2) * step
            est, mcse = gm["est"].to_numpy(float), gm["mcse"].to_numpy(float)
            if lollipop and target is not None:
                ax.hlines(y, target, est, color=colours[m], lw=1, alpha=0.6)
            ax.errorbar(est, y, xerr=_Z * mcse, fmt="o", ms=4, capsize=2, color=colours[m],
                        label=m)
        ax.set_yticks(np.arange(len(conds)), labels)
        ax.set_ylim(len(conds) - 0.5, -0.5)  # first condition at the top, as in a table
        ax.set_xlabel(f"{stat} (± 1.96 MCSE)")
        if q is not None and len(quantities) > 1:
            ax.set_title(q)
        elif q is not None:
            ax.set_title(f"{stat} of {q}")
        ax.grid(axis="x", color="0.9")
    axes[0][-1].legend(fontsize=8, loc="best")
    return _finish(fig, path)


def zip_plot(tidy: pd.DataFrame, quantity: str, *, methods: Sequence[str] | None = None,
             condition: int | None = None, level: float = 0.95, rank: str = "z", path=None):
    """Zip plot of interval coverage (Morris, White & Crowther 2019, Fig. 4).

    Each replication's interval is a horizontal line, ranked from the bottom by how far the
    estimate is from the truth: ``|z| = |estimate − truth| / se`` (``rank="z"``) or the
    fractional centile of the Wald statistic's two-sided p-value (``rank="centile"``, the
    same order).  Intervals that cover the truth are blue, those that miss it red, so the
    misses gather at the top; the dashed line is the coverage, the grey band its ±1.96 MCSE,
    the dotted line the nominal level.

    Parameters
    ----------
    tidy : DataFrame
        A study's tidy rows (:attr:`gansim.study.core.StudyResult.tidy`) with ``estimate``,
        ``truth`` and either ``lower``/``upper`` or ``se`` (then the interval is the Wald
        ``estimate ± z se`` at ``level``); only ``ok`` rows are used.
    quantity : str
        The quantity whose intervals are plotted, e.g. ``"mean"``.
    methods : sequence of str, optional
        One panel per method (default: every method of ``quantity``).
    condition : int, optional
        The condition id; needed when ``tidy`` holds several.
    level : float
        Nominal level (the dotted line; and the Wald intervals' level).
    rank : {"z", "centile"}
        What the y axis shows: the rank of |z| as a centile (0-100), or the same order as
        the fractional centile of the Wald p-value; both put the largest |z| on top.
    path : str or Path, optional
        Save the figure there as a PNG.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per method; each panel's line labelled ``"coverage"`` is at 100 x the
        share of intervals covering the truth (the summary's ``cover``).

    Examples
    --------
    >>> rng = np.random.default_rng(3)
    >>> est = rng.normal(0, 0.1, 200)
    >>> tidy = pd.DataFrame({"rep": range(200), "method": "ecdf", "quantity": "mean",
    ...                      "estimate": est, "se": 0.1, "lower": est - 0.196,
    ...                      "upper": est + 0.196, "truth": 0.0, "status": "ok"})
    >>> fig = zip_plot(tidy, "mean")
    >>> line = [l for l in fig.axes[0].lines if l.get_label() == "coverage"][0]
    >>> bool(line.get_ydata()[0] == 100 * np.mean(np.abs(est) <= 0.196))
    True
    """
    rows = _zip_rows(tidy, quantity, methods, condition, level, rank)
    method_list = list(pd.unique(rows["method"])) if methods is None else list(methods)
    fig, axes = _figure(len(method_list), size=(max(4.6 * len(method_list), 7.5), 5),
                        sharey=True)
    z_level = st.norm.ppf(0.5 + level / 2)
    from matplotlib.collections import LineCollection

    for ax, m in zip(axes[0], method_list, strict=True):
        g = rows[rows["method"] == m]
        est, truth = g["estimate"].to_numpy(float), g["truth"].to_numpy(float)
        if {"lower", "upper"} <= set(g) and g["lower"].notna().all():
            lo, hi = g["lower"].to_numpy(float), g["upper"].to_numpy(float)
        else:
            half = z_level * g["se"].to_numpy(float)
            lo, hi = est - half, est + half
        if "se" in g and g["se"].notna().all():
            se = g["se"].to_numpy(float)
        else:  # the half width of a symmetric interval, in SE units
            se = (hi - lo) / (2 * z_level)
        absz = np.abs(est - truth) / se
        order = np.argsort(absz, kind="stable")
        B = est.size
        # Centile of the rank (Morris et al.'s y axis), largest |z| at 100.
        y = 100 * (np.arange(1, B + 1) - 0.5) / B
        covers = (lo <= truth) & (truth <= hi)
        cov = covers.mean()
        mcse = np.sqrt(cov * (1 - cov) / B)
        seg = np.stack([np.column_stack([lo[order], y]), np.column_stack([hi[order], y])], 1)
        colours = np.where(covers[order], "tab:blue", "tab:red")
        lw = 0.6 if B <= 2000 else 0.25
        ax.add_collection(LineCollection(seg, colors=colours, linewidths=lw, zorder=1))
        ax.axvline(truth[0], color="k", lw=0.8, zorder=3)
        # The coverage and its band over the intervals, so thousands of lines do not hide it.
        ax.axhspan(100 * (cov - _Z * mcse), 100 * (cov + _Z * mcse), color="0.5", alpha=0.35,
                   lw=0, zorder=2)
        ax.axhline(100 * cov, color="k", ls="--", lw=1.2, label="coverage", zorder=3)
        ax.axhline(100 * level, color="0.2", ls=":", lw=1.2, label="nominal", zorder=3)
        ax.set_xlim(np.min(lo), np.max(hi))
        ax.set_ylim(0, 100)
        ax.set_title(f"{m}: coverage {cov:.4f} ({mcse:.4f})", fontsize=10)
        ax.set_xlabel(f"{level:.0%} interval for {quantity}")
    axes[0][0].set_ylabel("centile of |z|" if rank == "z"
                          else "fractional centile of the Wald p-value (reversed)")
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color="tab:blue", label="covers the truth"),
               Line2D([], [], color="tab:red", label="misses"),
               Line2D([], [], color="k", ls="--", label="coverage ± 1.96 MCSE (band)"),
               Line2D([], [], color="0.2", ls=":", label=f"nominal {level:.0%}"),
               Line2D([], [], color="k", lw=0.8, label="truth")]
    # Below the panels: inside, it would hide intervals.
    fig.legend(handles=handles, fontsize=8, loc="lower center", ncol=len(handles),
               frameon=False)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    if path is not None:
        write_figure(path, fig)
    return fig


def estimates(tidy: pd.DataFrame, quantity: str, *, methods: Sequence[str] | None = None,
              by: Sequence[str] | None = None, kind: str = "violin", bins: int = 40, path=None):
    """Distribution of the estimates of one quantity per method, one panel per condition.

    Parameters
    ----------
    tidy : DataFrame
        A study's tidy rows (ok rows are used); the truth, where known, is drawn as a line.
    quantity : str
        E.g. ``"mean"`` or ``"ks"``.
    methods : sequence of str, optional
        Methods to show, in this order (default: all).
    by : sequence of str, optional
        Condition columns, one panel per combination (default: the design factors, i.e. the
        columns before ``condition``; none when there is no such column).
    kind : {"violin", "hist"}
        Violins side by side, or overlaid histograms.
    bins : int
        Histogram bins.
    path : str or Path, optional
        Save the figure there as a PNG.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> tidy = pd.DataFrame({"method": np.repeat(["ecdf", "gan"], 100), "quantity": "mean",
    ...                      "estimate": rng.normal(0, 0.1, 200), "truth": 0.0, "status": "ok"})
    >>> fig = estimates(tidy, "mean")
    >>> [t.get_text() for t in fig.axes[0].get_xticklabels()], fig.axes[0].get_ylabel()
    (['ecdf', 'gan'], 'estimate of mean')
    """
    if kind not in ("violin", "hist"):
        raise ValueError(f"`kind` must be 'violin' or 'hist', got {kind!r}.")
    rows = _tidy_rows(tidy, quantity, methods)
    if by is None:
        by = list(tidy.columns[: list(tidy.columns).index("condition")]) \
            if "condition" in tidy else []
    method_list = list(pd.unique(rows["method"])) if methods is None else list(methods)
    colours = _colours(method_list)
    conds = list(dict.fromkeys(map(tuple, rows[list(by)].to_numpy()))) if by else [()]
    ncol = min(len(conds), 4)
    nrow = -(-len(conds) // ncol)
    fig, axes = _figure(ncol, nrow, size=(3.8 * ncol + 0.6, 3.4 * nrow))
    for ax, c in zip(axes.flat, conds, strict=False):
        g = rows[(rows[list(by)] == list(c)).all(axis=1)] if by else rows
        data = [g.loc[g["method"] == m, "estimate"].to_numpy(float) for m in method_list]
        truth = g["truth"].dropna().unique() if "truth" in g else []
        if kind == "violin":
            keep = [i for i, d in enumerate(data) if d.size > 1]
            parts = ax.violinplot([data[i] for i in keep], positions=keep, showmedians=True)
            for i, body in zip(keep, parts["bodies"], strict=True):
                body.set_facecolor(colours[method_list[i]])
            for key in ("cbars", "cmins", "cmaxes", "cmedians"):
                parts[key].set_color("0.3")  # neutral: the bodies carry the colours
            ax.set_xticks(range(len(method_list)), method_list)
            ax.set_ylabel(f"estimate of {quantity}")
            for t in truth:
                ax.axhline(t, color="k", ls="--", lw=0.8, label="truth")
            if len(truth):
                ax.legend(fontsize=7, loc="upper right")
        else:
            allv = np.concatenate([d for d in data if d.size]) if data else np.array([0.0])
            edges = np.linspace(allv.min(), allv.max(), bins + 1)
            for m, d in zip(method_list, data, strict=True):
                ax.hist(d, bins=edges, density=True, alpha=0.5, color=colours[m], label=m)
            for t in truth:
                ax.axvline(t, color="k", ls="--", lw=0.8, label="truth")
            ax.set_xlabel(f"estimate of {quantity}")
            ax.set_ylabel("density")
            ax.legend(fontsize=7)
        if by:
            ax.set_title(_label(c, by), fontsize=10)
    for ax in axes.flat[len(conds):]:
        ax.set_visible(False)
    return _finish(fig, path)


def stat_by(summary: pd.DataFrame, stat: str, *, quantity: str, x: str = "n",
            panel: str | None = None, methods: Sequence[str] | None = None,
            logx: bool = True, logy: bool = True, path=None):
    """One stat against a numeric factor, a line per method, with ±1.96 MCSE bars.

    E.g. the mean KS distance (``stat="mean", quantity="ks"``) or the RMSE of the mean
    (``stat="rmse", quantity="mean"``) against ``n`` on log-log axes.

    Parameters
    ----------
    summary : DataFrame
        :func:`gansim.summary.simsum.summarise` rows with the numeric column ``x``.
    stat, quantity : str
        What to plot.
    x : str
        The numeric factor on the x axis.
    panel : str, optional
        A factor with one panel per level (e.g. ``"dgp"``); every other factor must be
        constant.
    methods : sequence of str, optional
        Methods to show (default: all).
    logx, logy : bool
        Log axes (a rate ``n^b`` is then a straight line of slope b).
    path : str or Path, optional
        Save the figure there as a PNG.

    Returns
    -------
    matplotlib.figure.Figure
        One error-bar series per method in each panel, one point per level of ``x``.

    Examples
    --------
    >>> s = pd.DataFrame({"n": np.repeat([25, 100, 400], 2), "method": ["ecdf", "gan"] * 3,
    ...                   "quantity": "ks", "stat": "mean",
    ...                   "est": [0.17, 0.15, 0.087, 0.08, 0.044, 0.05], "mcse": 0.002})
    >>> ax = stat_by(s, "mean", quantity="ks").axes[0]
    >>> ax.get_xscale(), ax.get_ylabel(), len(ax.containers)
    ('log', 'mean of ks (± 1.96 MCSE)', 2)
    """
    rows = _stat_rows(summary, stat, quantity, methods)
    if x not in rows or not pd.api.types.is_numeric_dtype(rows[x]):
        raise ValueError(f"`x` must name a numeric column of `summary`; got {x!r}.")
    others = [c for c in _factors(rows, _SUMMARY_FIXED | {x, panel})
              if rows[c].nunique() > 1]
    if others:
        raise ValueError(f"factor(s) {others} vary: pass one as `panel` or filter first.")
    levels = list(pd.unique(rows[panel])) if panel else [None]
    method_list = list(pd.unique(rows["method"])) if methods is None else list(methods)
    colours = _colours(method_list)
    fig, axes = _figure(len(levels), size=(3.8 * len(levels) + 0.8, 3.8), sharey=True)
    for ax, lev in zip(axes[0], levels, strict=True):
        g = rows if lev is None else rows[rows[panel] == lev]
        for m in method_list:
            gm = g[g["method"] == m].sort_values(x)
            if gm.empty:
                continue
            ax.errorbar(gm[x].to_numpy(float), gm["est"].to_numpy(float),
                        yerr=_Z * gm["mcse"].to_numpy(float), marker="o", ms=3, lw=1,
                        capsize=2, color=colours[m], label=m)
        if logx:
            ax.set_xscale("log")
            # The design's levels as plain tick labels (log axes print 3x10^1 otherwise).
            xs = sorted(g[x].unique())
            ax.set_xticks(xs, [f"{v:g}" for v in xs])
            ax.xaxis.set_minor_formatter("")
        if logy:
            ax.set_yscale("log")
        ax.set_xlabel(x)
        if lev is not None:
            ax.set_title(f"{panel} = {lev}", fontsize=10)
    axes[0][0].set_ylabel(f"{stat} of {quantity} (± 1.96 MCSE)")
    axes[0][-1].legend(fontsize=7)
    return _finish(fig, path)


def autoplot(data, type: str = "forest", **kwargs):  # noqa: A002  (rsimsum's argument name)
    """rsimsum-style entry point: the plot ``type`` of a study's results.

    Parameters
    ----------
    data : StudyResult or DataFrame
        A :class:`~gansim.study.core.StudyResult` (its ``tidy`` rows and ``summary()``), a
        summary frame (with ``stat``) or a tidy frame (with ``estimate``).
    type : {"forest", "lolly", "zip", "est", "by"}
        :func:`forest`, :func:`forest` with ``lollipop=True``, :func:`zip_plot`,
        :func:`estimates` or :func:`stat_by`.
    **kwargs
        Passed on (e.g. ``stat="bias"``, ``quantity="mean"``, ``path="fig.png"``).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> s = pd.DataFrame({"method": ["ecdf", "gan"], "quantity": "mean", "stat": "cover",
    ...                   "est": [0.951, 0.948], "mcse": [0.002, 0.002]})
    >>> autoplot(s, "lolly", stat="cover").axes[0].get_title()
    'cover of mean'
    """
    kinds = {"forest": "summary", "lolly": "summary", "by": "summary", "zip": "tidy",
             "est": "tidy"}
    if type not in kinds:
        raise ValueError(f"`type` must be one of {list(kinds)}, got {type!r}.")
    if isinstance(data, pd.DataFrame):
        frame = data
        has = "summary" if "stat" in data else "tidy" if "estimate" in data else None
        if has != kinds[type]:
            raise ValueError(f"type {type!r} needs a {kinds[type]} frame"
                             f"{'' if has is None else f', got a {has} frame'}.")
    elif hasattr(data, "tidy") and hasattr(data, "summary"):
        frame = data.summary() if kinds[type] == "summary" else data.tidy
    else:
        raise TypeError(f"`data` must be a StudyResult or a DataFrame, got "
                        f"{type(data).__name__}.")
    if type in ("forest", "lolly"):
        return forest(frame, lollipop=type == "lolly", **kwargs)
    if type == "by":
        return stat_by(frame, **kwargs)
    if type == "zip":
        return zip_plot(frame, **kwargs)
    return estimates(frame, **kwargs)


# ------------------------------------------------------------------------------------------
# Input validation.


def _stat_rows(summary, stat, quantity, methods) -> pd.DataFrame:
    if not isinstance(summary, pd.DataFrame):
        raise TypeError(f"`summary` must be a DataFrame, got {type(summary).__name__}.")
    missing = [c for c in ("method", "stat", "est", "mcse") if c not in summary]
    if missing:
        raise ValueError(f"`summary` has no column(s) {missing}.")
    rows = summary[summary["stat"] == stat]
    if quantity is not None:
        if "quantity" not in rows:
            raise ValueError("`quantity` given but `summary` has no column `quantity`.")
        qs = [quantity] if isinstance(quantity, str) else list(quantity)
        rows = rows[rows["quantity"].isin(qs)]
    if methods is not None:
        rows = rows[rows["method"].isin(list(methods))]
    if rows.empty:
        raise ValueError(f"`summary` has no rows of stat {stat!r}"
                         f"{'' if quantity is None else f' for quantity {quantity!r}'}"
                         f"{'' if methods is None else f' and methods {list(methods)}'}.")
    return rows


def _tidy_rows(tidy, quantity, methods) -> pd.DataFrame:
    if not isinstance(tidy, pd.DataFrame):
        raise TypeError(f"`tidy` must be a DataFrame, got {type(tidy).__name__}.")
    missing = [c for c in ("method", "quantity", "estimate") if c not in tidy]
    if missing:
        raise ValueError(f"`tidy` has no column(s) {missing}.")
    rows = tidy[tidy["quantity"] == quantity]
    if "status" in rows:
        rows = rows[rows["status"] == "ok"]
    rows = rows[rows["estimate"].notna()]
    if methods is not None:
        rows = rows[rows["method"].isin(list(methods))]
    if rows.empty:
        raise ValueError(f"`tidy` has no ok rows of quantity {quantity!r}"
                         f"{'' if methods is None else f' for methods {list(methods)}'}.")
    return rows


def _zip_rows(tidy, quantity, methods, condition, level, rank) -> pd.DataFrame:
    if rank not in ("z", "centile"):
        raise ValueError(f"`rank` must be 'z' or 'centile', got {rank!r}.")
    if not 0 < level < 1:
        raise ValueError(f"`level` must be in (0, 1), got {level!r}.")
    rows = _tidy_rows(tidy, quantity, methods)
    if condition is not None:
        rows = rows[rows["condition"] == condition]
    elif "condition" in rows and rows["condition"].nunique() > 1:
        raise ValueError(f"`tidy` holds conditions {sorted(rows['condition'].unique())}: "
                         "pass `condition=`.")
    if "truth" not in rows or rows["truth"].isna().any():
        raise ValueError(f"quantity {quantity!r} has no truth: no coverage to plot.")
    has_ci = {"lower", "upper"} <= set(rows)
    has_ci = has_ci and rows[["lower", "upper"]].notna().all(axis=None)
    has_se = "se" in rows and rows["se"].notna().all()
    if not (has_ci or has_se):
        raise ValueError(f"quantity {quantity!r} has no intervals (lower/upper) or SEs.")
    if rows.empty:
        raise ValueError(f"no rows for condition {condition!r}.")
    return rows
