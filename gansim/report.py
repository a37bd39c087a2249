"""Tables, figures and run records written to a study's output folder; no computation of
measures here (that is :mod:`gansim.performance`)."""

from __future__ import annotations

import json
import os
import platform
import sys
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

__all__ = [
    "LECTURE",
    "write_atomic",
    "versions",
    "machine",
    "write_run_record",
    "poc_table",
    "plot_means",
    "plot_ks",
]

#: The proof of concept's figures as reported in the lecture (shared/seeds/000), B = 10,000.
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
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def versions() -> dict:
    """Versions of Python and of the packages results depend on."""
    out = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
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


def write_run_record(path, **fields):
    """``run.json``: the command line, versions, machine and whatever ``fields`` says."""
    record = {"command": " ".join([Path(sys.executable).name, *sys.argv]),
              **fields, "versions": versions(), "machine": machine()}
    write_atomic(path, json.dumps(record, indent=2, default=str) + "\n")
    return record


def _get(summary: pd.DataFrame, estimator: str, measure: str, method: str = ""):
    row = summary[(summary["estimator"] == estimator) & (summary["measure"] == measure)
                  & (summary["method"].fillna("") == method)]
    if len(row) != 1:
        raise KeyError(f"summary has {len(row)} rows for {estimator}/{measure}/{method}")
    return float(row["value"].iloc[0]), float(row["mcse"].iloc[0])


def _fmt(value, mcse=None, digits=4):
    if mcse is None or mcse == 0:
        return f"{value:.{digits}f}"
    return f"{value:.{digits}f} ({mcse:.{digits}f})"


def poc_table(summary: pd.DataFrame, *, B: int, n: int, sigma: float, level: float,
              header: str = "") -> str:
    """Markdown table: the lecture's numbers beside this run's, each of ours with its MCSE."""
    L = LECTURE
    g = lambda *a: _get(summary, *a)  # noqa: E731
    lines = [header, "", f"B = {B:,} replications (ok), n = {n}, {level:.0%} intervals. "
             "Ours: value (MCSE).", "",
             "| quantity | lecture | this run |", "|---|---|---|"]

    def row(label, lecture, ours):
        lines.append(f"| {label} | {lecture} | {ours} |")

    row("mean(X̄*)", L["mean_xbar_star"], _fmt(*g("xbar_star", "mean")))
    row("mean(X̄)", L["mean_xbar"], _fmt(*g("xbar", "mean")))
    row("var(X̄*)", L["var_xbar_star"], _fmt(*g("xbar_star", "var"), digits=5))
    row("var(X̄)", L["var_xbar"], _fmt(*g("xbar", "var"), digits=5))
    row("Cramér–Rao σ²/n", L["cr_bound"], _fmt(g("truth", "cr_bound")[0], digits=5))
    row("var(X̄*) / var(X̄)", f"{L['var_xbar_star'] / L['var_xbar']:.2f}",
        _fmt(*g("xbar_star", "var_ratio_vs_xbar"), digits=3))
    names = {"known": "known σ", "plugin": "plug-in s", "mc": "MC-calibrated"}
    for est, label, lect in (("xbar_star", "X̄*", L["cover_xbar_star"]),
                             ("xbar", "X̄", L["cover_xbar"])):
        for method, mname in names.items():
            row(f"coverage({label}), {mname}", lect, _fmt(*g(est, "cover", method)))
    low, high = g("truth", "cover_band_low")[0], g("truth", "cover_band_high")[0]
    row(f"tolerance band {level} ± 1.96·√({level}·{1 - level:.2f}/B)",
        f"[{L['band'][0]}, {L['band'][1]}]", f"[{low:.4f}, {high:.4f}]")

    lines += ["", "Beyond the lecture's table:", "", "| quantity | this run |", "|---|---|"]

    def row2(label, ours):
        lines.append(f"| {label} | {ours} |")

    row2("bias(X̄*)", _fmt(*g("xbar_star", "bias")))
    row2("MSE(X̄*) / (σ²/n)", _fmt(*(v / (sigma**2 / n) for v in g("xbar_star", "mse")), 3))
    row2("relative precision of X̄* vs X̄, %", _fmt(*g("xbar_star", "relprec_vs_xbar"), 2))
    row2("mean sd of the GAN draws", _fmt(*g("sd_star", "mean")))
    row2("mean KS of F_n, sup|F_n − Φ|", _fmt(*g("ks", "mean")))
    row2("mean KS of the GAN, sup|F*_n − Φ|", _fmt(*g("ks_star", "mean")))
    row2("mean paired difference KS* − KS", _fmt(*g("ks_star - ks", "mean")))
    row2("share of replications with KS* < KS", _fmt(*g("ks_star < ks", "prop")))
    row2("failed replications", f"{int(g('study', 'n_failed')[0])}")

    # Which interval reproduces the lecture's coverage: the known-σ interval of X̄* covers
    # about 2Φ(z·(σ/√n)/SE(X̄*)) − 1, which is below the nominal level once SE(X̄*) > σ/√n.
    z = stats.norm.ppf(0.5 + level / 2)
    se_lect = np.sqrt(L["var_xbar_star"])
    implied = 2 * stats.norm.cdf(z * sigma / np.sqrt(n) / se_lect) - 1
    empse = g("xbar_star", "empse")[0]
    ours_implied = 2 * stats.norm.cdf(z * sigma / np.sqrt(n) / empse) - 1
    inside = [f"{names[m]} ({g('xbar_star', 'cover', m)[0]:.4f})" for m in names
              if low <= g("xbar_star", "cover", m)[0] <= high]
    lines += [
        "", "**Which interval reproduces the lecture's coverage.** "
        f"With var(X̄*) = {L['var_xbar_star']} as in the lecture, the known-σ interval "
        f"X̄* ± {z:.2f}·σ/√n would cover only about {implied:.3f}, not 0.9509: the lecture's "
        "coverage of X̄* must come from an interval whose width follows X̄*'s own spread "
        "(plug-in with the GAN draws' sd, or calibrated on the replications). "
        f"In this run SE(X̄*) = {empse:.4f} against σ/√n = {sigma / np.sqrt(n):.4f}, so the "
        f"known-σ interval is expected to cover about {ours_implied:.4f}; the methods whose "
        f"coverage of X̄* falls inside the band: {', '.join(inside) if inside else 'none'}.",
    ]
    return "\n".join(lines) + "\n"


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
