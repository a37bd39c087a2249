"""Tables, figures and run records written to a study's output folder; no computation of
measures here (that is :mod:`gansim.summary.performance`)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from gansim._files import write_csv, write_figure, write_run_record
from gansim._files import write_text as write_atomic
from gansim._platform import machine, versions
from gansim.summary.tables import write_summary_files

__all__ = [
    "LECTURE",
    "write_atomic",
    "write_csv",
    "versions",
    "machine",
    "write_run_record",
    "write_figure",
    "write_summary_files",
    "poc_table",
    "plot_means",
    "plot_ks",
    "standardize_table",
    "frame_tables",
    "plot_distances",
    "plot_slopes",
    "rates_answers",
]

#: The proof of concept's figures as reported in the lecture, B = 10,000.
LECTURE = {
    "mean_xbar_star": 0.0053,
    "mean_xbar": 0.0043,
    "var_xbar_star": 0.0124,
    "var_xbar": 0.0104,
    "cr_bound": 0.01,
    "cover_xbar_star": 0.9509,
    "cover_xbar": 0.9508,
    "band": (0.9457, 0.9542),
}

def poc_table(summary: pd.DataFrame, *, n: int, sigma: float, level: float,
              header: str = "") -> str:
    """The proof of concept's table; it lives in :func:`gansim.render.poc.poc_table`, which
    the results report renders it with (kept here by its name)."""
    from gansim.render.poc import poc_table as table

    return table(summary, n=n, sigma=sigma, level=level, header=header)


def _figure():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_means(frame: pd.DataFrame, path, *, mean: float, sd: float, n: int):
    """Histograms of X̄ and X̄* with the N(μ, σ²/n) density of X̄."""
    plt = _figure()
    ok = frame[frame["status"] == "ok"]
    fig, ax = plt.subplots(figsize=(7, 4.2))
    both = np.concatenate([ok["xbar"], ok["xbar_star"]])
    bins = np.linspace(both.min(), both.max(), 60)
    ax.hist(ok["xbar"], bins=bins, density=True, alpha=0.5, label="X̄ (data)")
    ax.hist(ok["xbar_star"], bins=bins, density=True, alpha=0.5, label="X̄* (GAN draws)")
    grid = np.linspace(bins[0], bins[-1], 400)
    ax.plot(grid, stats.norm.pdf(grid, mean, sd / np.sqrt(n)), "k--", lw=1.2,
            label=f"N(μ, σ²/n), n = {n}")
    ax.set_xlabel("mean")
    ax.set_ylabel("density")
    ax.set_title(f"Distribution of the mean over B = {len(ok):,} replications")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_ks(frame: pd.DataFrame, path, *, n: int):
    """Histograms of sup|F_n − F| and sup|F*_n − F| with Kolmogorov's exact density for n."""
    plt = _figure()
    ok = frame[frame["status"] == "ok"]
    fig, ax = plt.subplots(figsize=(7, 4.2))
    both = np.concatenate([ok["ks"], ok["ks_star"]])
    bins = np.linspace(0, both.max(), 60)
    ax.hist(ok["ks"], bins=bins, density=True, alpha=0.5, label="KS of F_n (data)")
    ax.hist(ok["ks_star"], bins=bins, density=True, alpha=0.5, label="KS of F*_n (GAN)")
    grid = np.linspace(1e-4, bins[-1], 400)
    ax.plot(grid, stats.kstwo(n).pdf(grid), "k--", lw=1.2, label=f"Kolmogorov, n = {n}")
    ax.set_xlabel("sup |F − Φ|")
    ax.set_ylabel("density")
    ax.set_title(f"Distribution of the KS score over B = {len(ok):,} replications")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


# --------------------------------------------------------------------------------------------
# The rates study (gansim.studies.rates): tables and figures, from the long frames of
# gansim.summary.simsum.summarise (columns stat, est, mcse; paired ones with a column ref).


def _vm(value, mcse, digits=3):
    """``value (mcse)``; an empty cell for NaN."""
    if not np.isfinite(value):
        return ""
    return f"{value:.{digits}f} ({mcse:.{digits}f})"


def standardize_table(summary: pd.DataFrame, paired: pd.DataFrame, *, B: int, n: int) -> str:
    """The raw-vs-standardised table of ``python -m gansim rates_standardize``; it lives in
    :func:`gansim.render.rates_standardize.standardize_table`, which the results report
    renders it with (kept here by its name)."""
    from gansim.render.rates_standardize import standardize_table as table

    return table(summary, paired, B=B, n=n)


def frame_tables(frame: pd.DataFrame, *, index: list[str], columns: str, digits: int = 3,
                 caption: str = "") -> tuple[str, str]:
    """A long ``est, mcse`` frame (as :func:`gansim.summary.simsum.summarise` gives) pivoted to a
    table of ``est (mcse)`` cells, as Markdown and as LaTeX (booktabs), e.g. index
    ``["dgp", "n"]`` and columns ``"method"``; a ``cell`` column, when present, gives the
    cells' text instead."""
    if "cell" in frame:  # preformatted cells, e.g. confidence intervals
        cells = frame
    else:
        cells = frame.assign(cell=[_vm(v, m, digits) for v, m in zip(frame.est, frame.mcse,
                                                                      strict=True)])
    order = list(pd.unique(frame[columns]))
    table = cells.pivot_table(index=index, columns=columns, values="cell", aggfunc="first",
                              sort=False)
    table = table.reindex(columns=order).reset_index()
    header = [*index, *order]
    md = ["| " + " | ".join(map(str, header)) + " |", "|" + "---|" * len(header)]
    for row in table.itertuples(index=False):
        md.append("| " + " | ".join("" if pd.isna(c) else str(c) for c in row) + " |")
    esc = lambda t: str(t).replace("_", "\\_")  # noqa: E731
    tex = ["\\begin{table}[htbp]", "\\centering"]
    if caption:
        tex.append(f"\\caption{{{esc(caption)}}}")
    tex += ["\\begin{tabular}{" + "l" * len(index) + "r" * len(order) + "}", "\\toprule",
            " & ".join(esc(h) for h in header) + " \\\\", "\\midrule"]
    for row in table.itertuples(index=False):
        tex.append(" & ".join("" if pd.isna(c) else esc(c) for c in row) + " \\\\")
    tex += ["\\bottomrule", "\\end{tabular}", "\\end{table}"]
    return "\n".join(md) + "\n", "\n".join(tex) + "\n"


def log_n_axes(ax, ns) -> None:
    """Log-log axes for a quantity against the design's sample sizes ``ns``, with the n as
    plain tick labels (log axes otherwise print 3x10^1 and the like)."""
    import matplotlib.pyplot as plt

    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(ns, [str(n) for n in ns])
    ax.xaxis.set_minor_formatter(plt.NullFormatter())


def plot_distances(summary: pd.DataFrame, path, *, distance: str = "ks",
                   reference: dict | None = None):
    """Mean distance against n on log-log axes, one panel per DGP and one line per method,
    with ±2 MCSE bars; ``reference`` maps a label to ``(ns, values)`` drawn dashed."""
    plt = _figure()
    rows = summary[(summary.quantity == distance) & (summary.stat == "mean")]
    dgps = list(pd.unique(rows.dgp))
    fig, axes = plt.subplots(1, len(dgps), figsize=(3.6 * len(dgps), 3.6), sharey=True,
                             squeeze=False)
    for ax, dgp in zip(axes[0], dgps, strict=True):
        for method, g in rows[rows.dgp == dgp].groupby("method", sort=False):
            ax.errorbar(g.n, g.est, yerr=2 * g.mcse, marker="o", ms=3, lw=1, capsize=2,
                        label=method)
        for label, (ns, vals) in (reference or {}).items():
            ax.plot(ns, vals, "k--", lw=1, label=label)
        log_n_axes(ax, sorted(rows.n.unique()))
        ax.set_title(dgp)
        ax.set_xlabel("n")
    axes[0][0].set_ylabel(f"mean {distance} (±2 MCSE)")
    axes[0][-1].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_slopes(slopes: pd.DataFrame, path, *, exact: float | None = None, title: str = ""):
    """Fitted slopes with their confidence intervals, one row of points per method and a
    colour per DGP; the line -1/2 and, if given, the exact slope of the empirical cdf."""
    plt = _figure()
    methods = list(pd.unique(slopes.method))
    dgps = list(pd.unique(slopes.dgp))
    fig, ax = plt.subplots(figsize=(6.5, 0.45 * len(methods) * len(dgps) ** 0.5 + 1.6))
    for j, dgp in enumerate(dgps):
        g = slopes[slopes.dgp == dgp].set_index("method").reindex(methods)
        y = np.arange(len(methods)) + (j - (len(dgps) - 1) / 2) * 0.15
        ax.errorbar(g.slope, y, xerr=[g.slope - g.ci_low, g.ci_high - g.slope], fmt="o",
                    ms=3, capsize=2, label=dgp)
    ax.axvline(-0.5, color="k", lw=0.8, ls=":", label="−1/2")
    if exact is not None:
        ax.axvline(exact, color="k", lw=0.8, ls="--", label=f"exact ecdf {exact:.3f}")
    ax.set_yticks(np.arange(len(methods)), methods)
    ax.set_xlabel("slope of log distance on log n (95% CI)")
    ax.set_title(title)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def rates_answers(summary: pd.DataFrame, paired: pd.DataFrame, slopes: pd.DataFrame,
                  exact: dict, *, gan: str = "gan") -> str:
    """Markdown: the tables behind the answers of ``results/rates`` (``answers.md``).

    Kept importable here; the function is :func:`gansim.render.rates.rates_answers`, which
    the report layer also renders ``answers.md`` with."""
    from gansim.render.rates import rates_answers as _answers

    return _answers(summary, paired, slopes, exact, gan=gan)
