"""Tables, figures and run records written to a study's output folder; no computation of
measures here (that is :mod:`gansim.performance`)."""

from __future__ import annotations

import io
import json
import os
import platform
import sys
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from gansim._files import write_atomic as _write_atomic
from gansim.gan.fused import compiler_version

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

_PACKAGES = ("gansim", "torch", "numpy", "scipy", "pandas", "joblib", "statsmodels",
             "matplotlib", "pyarrow", "tqdm")


def write_atomic(path, text: str):
    """Write ``text`` to ``path`` through a temporary file, so no half-written file is left."""
    # A temporary name of this process's own, removed when the write fails (a full disk),
    # whose OSError then names ``path``.
    _write_atomic(Path(path), lambda tmp: tmp.write_text(text), sync=False)


def write_csv(frame: pd.DataFrame, path) -> None:
    """Write ``frame`` as CSV that R's ``read.csv`` reads as it is, through a temporary file.

    Boolean columns become 0/1 (missing: an empty field, R's NA), since R reads pandas'
    ``True``/``False`` as text; a path ending in ``.gz`` is gzipped (``read.csv`` reads it
    directly).

    Examples
    --------
    >>> import tempfile
    >>> f = pd.DataFrame({"rep": [0, 1], "ok": [True, False],
    ...                   "flag": pd.array([True, None], dtype="boolean")})
    >>> with tempfile.TemporaryDirectory() as d:
    ...     write_csv(f, Path(d) / "x.csv.gz")
    ...     print(pd.read_csv(Path(d) / "x.csv.gz").to_csv(index=False).strip())
    rep,ok,flag
    0,1,1.0
    1,0,
    """
    path = Path(path)
    out = frame.copy(deep=False)
    for col in out.columns:
        values = out[col]
        if values.dtype == object:  # Python bools with None, as an object column
            kept = values.dropna()
            if len(kept) and all(isinstance(v, bool | np.bool_) for v in kept):
                values = values.astype("boolean")
        if pd.api.types.is_bool_dtype(values):
            out[col] = values.astype("Int8")
    # mtime 0 and the name "<name>.tmp" in the gzip header (as written before, whatever the
    # temporary file's name): the same rows give the same bytes.
    gz = {"method": "gzip", "mtime": 0} if path.suffix == ".gz" else None
    buffer = io.BytesIO()
    buffer.name = f"{path.name}.tmp"
    out.to_csv(buffer, index=False, compression=gz)
    data = buffer.getvalue()
    _write_atomic(path, lambda tmp: tmp.write_bytes(data), sync=False)


def versions() -> dict:
    """Versions of Python and of the packages results depend on."""
    out = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    # The fused engine's results depend on the compiler that built it.
    out["cc"] = compiler_version()
    return out


def machine() -> dict:
    """Cores, CPU model and platform of this machine."""
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cores": os.cpu_count(), "cpu": cpu, "platform": platform.platform()}


def write_figure(path, fig) -> None:
    """Save a matplotlib Figure as PNG through a temporary name (no half file on a kill)."""
    _write_atomic(Path(path), lambda tmp: fig.savefig(tmp, dpi=120, format="png"), sync=False)


def write_summary_files(out_dir, summary: pd.DataFrame, *, rows, columns: str = "method",
                        digits=None, caption: str = "", label: str = "") -> None:
    """``summary.md`` and ``summary.tex`` in ``out_dir``: the whole summary as tables
    (:func:`gansim.tables.summary_table`), each value with its MCSE.

    Without ``digits``: 4 decimals, 6 for variances and MSEs (~1e-2 with MCSEs ~1e-4), 2 for
    the percentages (relerror, relprec).
    """
    from gansim import tables

    if digits is None:
        digits = {s: 6 if s in ("var", "mse", "cr_bound") else 2
                  if s in ("relerror", "relprec") else 4 for s in summary["stat"]}
    for fmt in ("md", "tex"):
        write_atomic(Path(out_dir) / f"summary.{fmt}", tables.summary_table(
            summary, rows=rows, columns=columns, digits=digits, fmt=fmt, caption=caption,
            label=label))


def write_run_record(path, **fields):
    """``run.json``: the command line, versions, machine and whatever ``fields`` says."""
    argv = list(sys.argv)
    if argv and Path(argv[0]).parts[-2:] == ("gansim", "__main__.py"):
        argv[0:1] = ["-m", "gansim"]  # as typed: python -m gansim ...
    record = {"command": " ".join([Path(sys.executable).name, *argv]),
              **fields, "versions": versions(), "machine": machine()}
    write_atomic(path, json.dumps(record, indent=2, default=str) + "\n")
    return record


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
# gansim.summary.summarise (columns stat, est, mcse; paired ones with a column ref).


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
    """A long ``est, mcse`` frame (as :func:`gansim.summary.summarise` gives) pivoted to a
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
