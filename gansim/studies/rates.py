"""The rates study: the GAN against F_n, the bootstrap, the smoothed bootstrap and
the parametric plug-in, across sample sizes and distributions, with rates fitted by
statsmodels formulas.  Answers the proof of concept's four open questions.

Every condition (DGP x n) draws its data once per replication and all methods see the same
data (paired comparisons).  Writes to --out: replications.parquet and replications.csv.gz
(the tidy frame, one row per condition x replication x method x quantity), summary.csv,
paired.csv (the GAN against each competitor), slopes.csv, tables.md and tables.tex, ks.png,
w1.png, cvm.png, slopes.png, answers.md and run.json (by default into results/rates/, the
committed files).  Rerunning resumes from finished blocks.

    python -m gansim rates                   # the committed study (about 20 min on 2 cores)
    python -m gansim rates --scale 0.1 --steps 500 --out /tmp/rates   # a quick look
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import math
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from gansim._files import write_csv, write_run_record, write_text
from gansim.gan.config import GANConfig
from gansim.studies._common import (
    add_device_argument,
    block_size_arg,
    log_n_axes,
    m_arg,
    n_arg,
    pyplot,
    run_options,
    scale_arg,
    steps_arg,
    value_mcse,
)
from gansim.study.core import Study, StudyResult, run_study
from gansim.study.design import condition_grid
from gansim.study.distances import DISTANCES
from gansim.study.methods import GAN, Bootstrap, EmpiricalCDF, Oracle, Parametric, SmoothedBootstrap
from gansim.summary import convergence as rates
from gansim.summary import rules
from gansim.summary.simsum import summarise
from gansim.summary.text import count, md_table, num, pm, signed

__all__ = ["DEFAULTS", "DESCRIPTION", "add_arguments", "build_study", "main", "paired",
           "write_outputs"]

DESCRIPTION = __doc__
DEFAULTS = {"seed": 4, "out": "results/rates"}

#: DGPs (gansim.study.dgp registry names, default parameters) and sample sizes of the grid.
DGPS = ("normal", "t", "lognormal", "mixture")
NS = (25, 50, 100, 200, 400, 800)
#: B per n: the GAN's cost grows with n, so fewer replications at large n keep the whole grid
#: near half an hour on 2 cores; every B still resolves the answers (results/rates/README.md).
B = {25: 1000, 50: 1000, 100: 1000, 200: 600, 400: 400, 800: 200}
#: The functionals of the study (the Study's defaults), in table order.
FUNCTIONALS = ("mean", "median", "sd", "q10", "q90")
#: The competitors the GAN is compared with, pair by pair.
AGAINST = ("ecdf", "bootstrap", "smoothed", "parametric")
#: The engine results/rates was computed with (it predates the fused engine): kept so the
#: committed numbers reproduce bit for bit; engine="fused" is faster and gives statistically
#: equivalent, not bit-identical, results.
ENGINE = "torch"
#: The latent noise it was computed with (it predates the counter-based default): kept so the
#: committed numbers reproduce; noise="philox" gives different draws from the same
#: distribution.
NOISE = "generator"


def methods(steps: int = GANConfig.steps) -> tuple:
    """The study's methods; the GAN is trained on the standardised data (README)."""
    return (EmpiricalCDF(), Bootstrap(), SmoothedBootstrap("nrd0"), Parametric(),
            GAN(GANConfig(steps=steps, standardize=True, engine=ENGINE, noise=NOISE)), Oracle())


def build_study(*, ns=NS, dgps=DGPS, scale: float = 1.0, m: int = 10_000,
                steps: int = GANConfig.steps, block_size: int | str = 100,
                device: str = "cpu") -> Study:
    """The rates study: ``dgps`` x ``ns``, B from :data:`B` times ``scale`` (at least 2).

    Parameters
    ----------
    ns, dgps : sequence
        Sample sizes and DGP registry names of the grid.
    scale : float
        Multiplies every B (> 0): a quick look with a small scale.
    m, steps, block_size : int
        Draws per method and replication, GAN training steps, replications per block
        (``"auto"``: see :class:`~gansim.study.core.Study`).
    device : str
        Torch device of the GANs (``"cpu"``, ``"cuda"``, ``"cuda:<index>"``).

    Returns
    -------
    Study
    """
    if not (isinstance(scale, int | float) and np.isfinite(scale) and scale > 0):
        raise ValueError(f"`scale` must be a positive number, got {scale!r}.")
    design = condition_grid(lambda f: max(2, round(B.get(f["n"], 200) * scale)),
                            dgp=list(dgps), n=[int(n) for n in ns])
    return Study(methods(steps), design=design, m=m, block_size=block_size, device=device,
                 name="rates")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The rates study's own options."""
    parser.add_argument("--scale", type=scale_arg(max(B.values())), default=1.0,
                        help="multiply every B by this (a quick look; default 1)")
    parser.add_argument("--ns", type=n_arg, nargs="+", default=list(NS),
                        help="sample sizes (default: %(default)s)")
    parser.add_argument("--dgps", nargs="+", default=list(DGPS),
                        help="DGP registry names (default: %(default)s)")
    parser.add_argument("--m", type=m_arg, default=10_000,
                        help="draws per method and replication (default: %(default)s)")
    parser.add_argument("--steps", type=steps_arg, default=GANConfig.steps,
                        help="GAN training steps (default: %(default)s)")
    parser.add_argument("--block-size", type=block_size_arg, default=100,
                        help="replications per block, or 'auto' (see gansim.Study); part of "
                             "the settings; at most the largest B: a larger one is lowered "
                             "to it (default: %(default)s)")
    add_device_argument(parser)


def main(args: argparse.Namespace) -> str:
    """Run the study from parsed options, write its files to ``args.out``; the text to print."""
    # A --block-size past the largest B is lowered to it by Study itself.
    study = build_study(ns=args.ns, dgps=args.dgps, scale=args.scale, m=args.m,
                        steps=args.steps, block_size=args.block_size,
                        device=getattr(args, "device", "cpu"))
    result = run_study(study, **run_options(args))
    write_outputs(args.out, result, n_jobs=args.n_jobs, started=args.started)
    return f"wall time {result.wall_time:.1f} s; results in {args.out}/"


def paired(tidy: pd.DataFrame, gan: str = "gan", against=AGAINST,
           by=("dgp", "n")) -> pd.DataFrame:
    """Paired comparisons of ``gan`` with each of ``against``, by :func:`summarise`.

    Returns
    -------
    DataFrame
        Columns ``[*by, method, ref, quantity, stat, est, mcse]``: the paired stats
        (``diff``, ``less``, ``varratio``, ``relprec``, ``mseratio``) of ``gan`` with
        ``ref`` as the reference, over the replications where both are ok.
    """
    parts = []
    for ref in against:
        # Only the two methods: the other methods' single stats would be computed for nothing.
        rows = summarise(tidy[tidy["method"].isin([gan, ref])], by=list(by), ref=ref)
        rows = rows[(rows["method"] == gan)
                    & rows["stat"].isin(["diff", "less", "varratio", "relprec", "mseratio"])]
        parts.append(rows.assign(ref=ref))
    out = pd.concat(parts, ignore_index=True)
    cols = [*by, "method", "ref", "quantity", "stat", "est", "mcse"]
    return out[cols]


def write_outputs(out_dir, result: StudyResult, *, n_jobs: int, started: str,
                  gan: str = "gan", against=AGAINST) -> dict:
    """Write the study's tidy results, summaries, tables, figures and run record.

    Files: ``replications.parquet`` and ``replications.csv.gz`` (the tidy frame; R reads the
    latter with ``read.csv``), ``summary.csv`` (:func:`summarise` by dgp and n),
    ``paired.csv`` (:func:`paired`), ``slopes.csv`` (rates of every distance, all n and
    n >= 100, with the exact kstwo slope), ``tables.md``, ``tables.tex``, ``ks.png``,
    ``w1.png``, ``cvm.png``, ``slopes.png``, ``answers.md``, ``run.json``; each written
    through a temporary name.

    Returns
    -------
    dict
        The frames written: ``summary``, ``paired``, ``slopes`` and the dict ``exact``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tidy = result.tidy
    tmp = out / "replications.parquet.tmp"
    tidy.to_parquet(tmp, index=False)
    tmp.replace(out / "replications.parquet")
    write_csv(tidy, out / "replications.csv.gz")
    summary = result.summary()
    against = [a for a in against if a in set(tidy["method"])]
    pairs = paired(tidy, gan, against, by=result.factors)
    slopes, exact = _slopes(result)
    for name, frame in (("summary", summary), ("paired", pairs), ("slopes", slopes)):
        write_csv(frame, out / f"{name}.csv")

    labels = [m.label for m in result.study.methods]
    md, tex = all_tables(summary, pairs, slopes, exact, labels, result.study.m, gan)
    write_text(out / "tables.md", md)
    write_text(out / "tables.tex", tex)
    write_text(out / "answers.md",
               rates_answers(summary, pairs, slopes, exact, gan=gan))
    ns = sorted(tidy["n"].unique())
    ref_ns = np.array(ns, dtype=float)
    for d in DISTANCES:
        refs = {"ecdf exact (kstwo)": (ref_ns, [_kstwo_mean(n) for n in ns])} if d == "ks" else {}
        plot_distances(summary, out / f"tmp-{d}.png", distance=d, reference=refs)
        (out / f"tmp-{d}.png").replace(out / f"{d}.png")
    plot_slopes(slopes[(slopes.distance == "ks") & (slopes.n_range == "all")],
                       out / "tmp-slopes.png", exact=exact["mean_of_log"],
                       title=f"KS: slope of log KS on log n, n = {ns[0]}…{ns[-1]}")
    (out / "tmp-slopes.png").replace(out / "slopes.png")
    gan_files = sorted(Path(__file__).parents[1].joinpath("gan").glob("*.py"))
    bad = tidy[tidy["status"] != "ok"]
    write_run_record(
        out / "run.json", **result.cluster_record(),
        seed=result.seed, n_jobs=n_jobs, started=started,
        settings=result.study.settings(), wall_time_s=round(result.wall_time, 1),
        exact_ks_slopes=exact,
        gan_source_sha256={f.name: hashlib.sha256(f.read_bytes()).hexdigest()[:16]
                           for f in gan_files},
        conditions=result.conditions.to_dict(orient="records"),
        failed=bad[[*result.factors, "method", "quantity", "rep", "seed", "spawn_key",
                    "error"]].head(100).to_dict(orient="records"))
    return {"summary": summary, "paired": pairs, "slopes": slopes, "exact": exact}


def _slopes(result: StudyResult) -> tuple[pd.DataFrame, dict]:
    """Fitted slopes of every distance (all n, and n >= 100) and the exact kstwo slopes."""
    wide = result.wide()
    ns = sorted(wide["n"].unique())
    # The OLS weights each n by its replications: so must the exact slope it is checked by.
    B_n = result.conditions.groupby("n")["B"].mean().reindex(ns).to_numpy()
    exact = {"mean_of_log": rates.ks_exact_slope(ns, B_n),
             "log_of_mean": rates.ks_exact_slope(ns, B_n, scale="log_of_mean")}
    large = [n for n in ns if n >= 100]
    if len(large) >= 2:
        exact["mean_of_log_n>=100"] = rates.ks_exact_slope(large, B_n[-len(large):])
    # Distances and methods only (the GAN's diagnostics are columns of `wide` too).
    wide = wide[[*result.factors, "condition", "rep", "method", *DISTANCES]]
    slopes = []
    for d in DISTANCES:
        for label, sub in (("all", None), ("n>=100", large if len(large) >= 2 else None)):
            if label != "all" and sub is None:
                continue
            slopes.append(rates.rate_slopes(wide, d, ns=sub).assign(distance=d, n_range=label))
    return pd.concat(slopes, ignore_index=True), exact


def _kstwo_mean(n: int) -> float:
    from scipy import stats

    return float(stats.kstwo(n).mean())


def frame_tables(frame: pd.DataFrame, *, index: list[str], columns: str, digits: int = 3,
                 caption: str = "") -> tuple[str, str]:
    """A long ``est, mcse`` frame (as :func:`gansim.summary.simsum.summarise` gives) pivoted to a
    table of ``est (mcse)`` cells, as Markdown and as LaTeX (booktabs), e.g. index
    ``["dgp", "n"]`` and columns ``"method"``; a ``cell`` column, when present, gives the
    cells' text instead."""
    if "cell" in frame:  # preformatted cells, e.g. confidence intervals
        cells = frame
    else:
        cells = frame.assign(cell=[value_mcse(v, m, digits) for v, m in zip(frame.est, frame.mcse,
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


def plot_distances(summary: pd.DataFrame, path, *, distance: str = "ks",
                   reference: dict | None = None):
    """Mean distance against n on log-log axes, one panel per DGP and one line per method,
    with ±2 MCSE bars; ``reference`` maps a label to ``(ns, values)`` drawn dashed."""
    plt = pyplot()
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
    plt = pyplot()
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


def all_tables(summary, pairs, slopes, exact, labels, m, gan) -> tuple[str, str]:
    """Every table of the study, as Markdown and LaTeX."""
    md, tex = [], []

    def section(title, frame, index, columns, digits=3, note=""):
        mdt, t = frame_tables(frame, index=index, columns=columns, digits=digits,
                              caption=title)
        md.extend([f"## {title}", "", *([note, ""] if note else []), mdt])
        tex.append(t)

    head = ("Value (MCSE) over the replications with status ok.  Methods: "
            + ", ".join(labels) + f"; m = {m:,} draws per method.")
    md.extend(["# Estimation study: tables", "", head, ""])
    for d in DISTANCES:
        rows = summary[(summary.quantity == d) & (summary.stat == "mean")]
        section(f"Mean {d} distance to the truth", rows, ["dgp", "n"], "method",
                digits=4 if d != "cvm" else 5)
    for d in DISTANCES:
        rows = pairs[(pairs.quantity == d) & (pairs.ref == "ecdf")
                     & pairs.stat.isin(["less", "diff"])]
        # The share first, then the difference.
        rows = rows.sort_values("stat", key=lambda s: s.map({"less": 0, "diff": 1}),
                                kind="stable")
        section(f"Q1 ({d}): {gan} against ecdf — share of replications with {d}({gan}) < "
                f"{d}(ecdf) (less), and mean paired difference {d}({gan}) − {d}(ecdf) (diff)",
                rows, ["dgp", "n"], "stat", digits=4)
    rows = slopes.assign(est=slopes.slope, mcse=slopes.se)
    for rng_label in pd.unique(slopes.n_range):
        section(f"Q2: fitted slopes of log distance on log n (SE), n range {rng_label}",
                rows[rows.n_range == rng_label].assign(col=lambda f: f.method),
                ["distance", "dgp"], "col",
                note="Formula per DGP and distance d: `" + rates.RATE_FORMULA.format(d="d")
                     + "`, OLS with "
                     "cluster-robust SEs by replication.  Exact slope of the empirical cdf "
                     "(kstwo, weights B per n): " + ", ".join(f"{k} {v:.4f}"
                                                              for k, v in exact.items()) + ".")
    ci = slopes[slopes.distance == "ks"]
    section("Q2: 95% confidence intervals of the KS slopes",
            ci.assign(cell=[f"[{lo:.3f}, {hi:.3f}]" for lo, hi in zip(ci.ci_low, ci.ci_high,
                                                                       strict=True)]),
            ["n_range", "dgp"], "method")
    functionals = summary.quantity.isin(FUNCTIONALS)
    for stat, what in (("bias", "bias"), ("empse", "empirical SE")):
        rows = summary[functionals & (summary.method == gan) & (summary.stat == stat)]
        section(f"Q3: {what} of T({gan})", rows, ["dgp", "n"], "quantity", digits=4)
        rows = summary[functionals & (summary.method == "ecdf") & (summary.stat == stat)]
        section(f"Q3: {what} of T(ecdf), the plug-in on the data", rows, ["dgp", "n"],
                "quantity", digits=4)
    for other in pd.unique(pairs.ref):
        for stat, what in (("relprec", f"relative % precision gain of {gan} over {other}"),
                           ("mseratio", f"MSE({gan}) / MSE({other})")):
            rows = pairs[(pairs.ref == other) & (pairs.stat == stat)
                         & pairs.quantity.isin(FUNCTIONALS)]
            section(f"Q4: {what}", rows, ["dgp", "n"], "quantity",
                    digits=1 if stat == "relprec" else 3)
    return "\n".join(md), "\n".join(tex)


# --------------------------------------------------------------------------------------------
# answers.md: the stated rules of both rates studies and the tables behind the answers
# (gansim.render.rates renders the same file with these).


_K = f"{rules.K_MCSE:g}"
RULES_TEXT = (
    "**How to read.** Value (MCSE) throughout. The words follow stated rules "
    f"(`gansim.summary.rules`): A is *higher/lower* (closer, smaller, …) than B only when the "
    f"paired difference exceeds {_K} paired MCSEs, else *not resolved at this B*; a share of "
    "replications comes with its exact (Clopper–Pearson) 95% interval, and *most* means that "
    "interval lies above ½ (*fewer than half*: below ½); a trend with n (*falls/rises as n "
    "grows*) only when a fitted slope's 95% interval excludes 0 (slopes of a per-condition "
    "quantity on log n by weighted least squares with the MCSEs as SEs, the slope's SE "
    "widened by √max(1, X²/(k − 2)) when the k points scatter about the line more than their "
    "MCSEs allow). An MSE ratio, or a relative precision as the variance ratio it is, "
    f"is judged on the log scale, log ratio against {_K} of its MCSEs (MCSE/ratio); a ratio "
    f"of 1 falls beyond {_K} MCSEs on a given side with probability "
    f"{num(float(stats.norm.sf(rules.K_MCSE)), 3)}, which gives the count expected by chance "
    "alone over many cells; a *family-level* cell is one beyond the Bonferroni z for all the "
    "cells compared at once.")


def ratio_word(ratio: float, mcse: float, *, lower: str = "smaller",
               higher: str = "larger", k: float = rules.K_MCSE) -> str:
    """The word for an MSE ratio A/B with MCSE ``mcse``: :func:`rules.compare_ratio`.

    Examples
    --------
    >>> ratio_word(0.80, 0.05), ratio_word(0.93, 0.05), ratio_word(1.3, 0.1)
    ('smaller', 'not resolved at this B', 'larger')
    """
    return rules.compare_ratio(ratio, mcse, k=k, higher=higher, lower=lower).word


def ks_floor(m: int) -> float:
    """E KS of m draws from any continuous F: ``(√(π/2)·ln 2 − 1/(6√m))/√m``, the expansion
    of Kolmogorov's distribution (off scipy's exact ``kstwo(m).mean()`` by 4e-8 at
    m = 10,000, and instant).

    >>> round(ks_floor(10_000), 6)
    0.008671
    """
    r = math.sqrt(m)
    return (math.sqrt(math.pi / 2) * math.log(2) - 1 / (6 * r)) / r


def ratio_chance(cells: int, k: float = rules.K_MCSE) -> rules.Chance:
    """What chance alone gives per side over ``cells`` ratios whose true value is 1."""
    return rules.chance_resolved(cells, sides=1, k=k)


family_z = rules.family_z


_interval = functools.lru_cache(maxsize=None)(rules.share_interval)
_majority = functools.lru_cache(maxsize=None)(rules.majority)


def share_cell(share: float, B: int) -> tuple[str, str, int]:
    """``'0.951 [0.936, 0.964] (951/1000)'``, the majority word (:func:`rules.majority`),
    and k."""
    k = int(round(share * B))
    lo, hi = _interval(k, int(B))
    return f"{num(share)} [{num(lo)}, {num(hi)}] ({k}/{B})", _majority(k, int(B)), k


def ci(lo, hi, digits=3) -> str:
    return f"[{num(lo, digits)}, {num(hi, digits)}]"


def floor_table(fits: pd.DataFrame, *, c_bound: float, ecdf_c: float = 0.5,
                digits_a: int = 4) -> tuple[str, pd.DataFrame]:
    """Markdown of floor fits ``a + b n^-c`` with reading notes, and the notes per fit.

    A lower end of c's interval on the search bound ``c_bound`` makes the interval an upper
    bound only (c ≤ its upper end); an interval of ``a`` reaching below 0 (a mean distance
    is ≥ 0) bounds the floor from above only (a ≤ its upper end); where F_n's c (known: ``ecdf_c``)
    lies outside its interval, that DGP's fits are not trusted.
    """
    if fits.empty:
        return "No fit: a + b·n^−c needs at least 4 sample sizes.", fits
    fits = fits.copy()
    fits["c_at_bound"] = fits.c_low <= c_bound + 1e-9
    fits["a_open"] = fits.a_low < 0.0
    ecdf = fits[fits.method == "ecdf"].set_index("dgp")
    bad = {d for d, r in ecdf.iterrows() if not (r.c_low <= ecdf_c <= r.c_high)}
    fits["trusted"] = ~fits.dgp.isin(bad)
    rows = []
    for r in fits.itertuples():
        notes = []
        if r.method == "oracle":
            notes.append("flat: c arbitrary")
        if r.c_at_bound and r.method != "oracle":
            notes.append(f"c ≤ {num(r.c_high, 2)}")
        if r.a_open and r.method != "oracle":
            notes.append(f"a ≤ {num(r.a_high, digits_a)}")
        if not r.trusted:
            notes.append("not trusted (F_n's c ≠ ½)")
        rows.append({"dgp": r.dgp, "method": r.method,
                     "a [95% CI]": f"{num(r.a, digits_a)} {ci(r.a_low, r.a_high, digits_a)}",
                     "c [95% CI]": f"{num(r.c, 2)} {ci(r.c_low, r.c_high, 2)}",
                     "χ² (df)": f"{num(r.chi2, 1)} ({r.df})",
                     "reading": "; ".join(notes) or "—"})
    return md_table(pd.DataFrame(rows), align="llrrrl"), fits


_NSIM: dict = {}


def nsim_of(summary, dgp, n, method="gan", quantity="ks") -> int:
    """B of ``method`` in condition (dgp, n) (its ``nsim``), looked up once per frame."""
    key = (id(summary), method, quantity)
    if key not in _NSIM:
        _NSIM.clear()
        r = summary[(summary.method == method) & (summary.quantity == quantity)
                    & (summary.stat == "nsim")]
        _NSIM[key] = (summary, {(d, int(k)): int(v) for d, k, v in zip(r.dgp, r.n, r.est,
                                                                       strict=True)})
    return _NSIM[key][1][(dgp, int(n))]


def one_row(frame, **sel):
    """The one row of ``frame`` with the column values ``sel``; ValueError if not one."""
    rows = frame
    for k, v in sel.items():
        rows = rows[rows[k] == v]
    if len(rows) != 1:
        raise ValueError(f"expected one row for {sel}, found {len(rows)}")
    return rows.iloc[0]


def mse_ratios(paired: pd.DataFrame, method: str = "gan") -> pd.DataFrame:
    """``method``'s MSE ratios of the functionals with the rule's word and z (log scale)."""
    mr = paired[(paired.method == method) & (paired.stat == "mseratio")
                & paired.quantity.isin(FUNCTIONALS)].copy()
    mr["word"] = [ratio_word(r, m) for r, m in zip(mr.est, mr.mcse, strict=True)]
    mr["z"] = np.log(mr.est) / (mr.mcse / mr.est)
    return mr


def results_floor_fits(summary: pd.DataFrame):
    """Floor fits of mean KS on results/rates (m = 10,000), free c and c = 1/2; the bootstrap
    (≈ F_n) and the oracle (flat) are left out."""
    from gansim.summary import convergence as rates
    s = summary[summary.method.isin(["ecdf", "smoothed", "parametric", "gan"])]
    return rates.floor_fits(s, "ks"), rates.floor_fits(s, "ks", c=0.5)


def rates_answers(summary: pd.DataFrame, paired: pd.DataFrame, slopes: pd.DataFrame,
                  exact: dict, *, gan: str = "gan", fits=None) -> str:
    """Markdown: every table behind the answers of ``results/rates`` (``answers.md``), with
    the words of the stated rules; the study writes it and ``python -m gansim report``
    renders it from the committed files.

    ``summary`` is :func:`gansim.summary.simsum.summarise` by ``dgp, n``; ``paired`` the paired
    stats of ``gan`` against each reference method (column ``ref``); ``slopes`` and
    ``exact`` as in ``slopes.csv`` and ``run.json``; ``fits``, optionally, the floor fits
    of :func:`results_floor_fits` (computed when not given)."""
    L = ["# results/rates: the tables behind the answers", "", RULES_TEXT, "",
         "Questions 2 and 4 are taken further in `../rates_floor/` (more draws per method, two "
         "training budgets, a variance-corrected smoothed bootstrap); its Q4 counts use the "
         "same rule as Q4 here.", ""]
    ns = sorted(summary.n.unique())
    # Q1 -------------------------------------------------------------------------------------
    L += ["## 1. Is sup|F_n − F| ≥ sup|F*_n − F|?", "",
          f"Share of replications with KS({gan}) < KS(ref), exact 95% interval, the majority "
          f"word, and the mean paired difference KS({gan}) − KS(ref) with its word:", ""]
    refs = [r for r in ("ecdf", "smoothed", "parametric") if r in set(paired.ref)]
    verdicts = {}
    for ref in refs:
        q = paired[(paired.ref == ref) & (paired.method == gan) & (paired.quantity == "ks")]
        rows = []
        for r in q[q.stat == "less"].itertuples():
            B = nsim_of(summary, r.dgp, r.n, gan)
            cell, word, _ = share_cell(r.est, B)
            d = one_row(q, dgp=r.dgp, n=r.n, stat="diff")
            dword = rules.compare(d.est, d.mcse, higher=f"{gan} farther",
                                  lower=f"{gan} closer").word
            verdicts.setdefault(ref, []).append(word)
            rows.append({"dgp": r.dgp, "n": r.n, "share": cell, "in": word,
                         "difference": pm(d.est, d.mcse, 4), "difference says": dword})
        L += [f"Against `{ref}`:", "", md_table(pd.DataFrame(rows), align="lrrlrl"), ""]
    for ref, words in verdicts.items():
        L.append(f"- vs `{ref}`: the GAN closer in *most* replications in "
                 f"{count(words.count('most'), len(words), 'conditions')}, in *fewer than "
                 f"half* in {words.count('fewer than half')}, not resolved in "
                 f"{words.count('about half (not resolved)')}.")
    L.append("")
    # Q2 -------------------------------------------------------------------------------------
    ks = slopes[slopes.distance == "ks"]
    L += ["## 2. How fast does F*_n converge?", "",
          "Fitted slope of log KS on log n (95% CI; OLS, cluster-robust by replication):", ""]
    rows = []
    for (rng, dgp), g in ks.groupby(["n_range", "dgp"], sort=False):
        rows.append({"n range": rng, "dgp": dgp,
                     **{r.method: f"{num(r.slope)} {ci(r.ci_low, r.ci_high)}"
                        for r in g.itertuples()}})
    L += [md_table(pd.DataFrame(rows), align="ll" + "r" * (len(rows[0]) - 2)), "",
          "Exact slope of F_n's KS from Kolmogorov's distribution (kstwo, weighted by B per n): "
          + ", ".join(f"{k} = {num(v, 4)}" for k, v in exact.items()) + ".", ""]
    e = ks[(ks.method == "ecdf") & (ks.n_range == "all")]
    ok = [(r.dgp, r.ci_low <= exact["mean_of_log"] <= r.ci_high) for r in e.itertuples()]
    L += [f"Check of the machinery (F_n's KS slope, n = {ns[0]}…{ns[-1]}, CI contains the "
          f"exact {num(exact['mean_of_log'], 4)}): "
          + ", ".join(f"{d}: {'yes' if y else 'NO'}" for d, y in ok) + ".", ""]
    if fits is None:
        fits = results_floor_fits(summary)
    free, half = fits
    tab, _ = floor_table(free, c_bound=c_bound())
    half = half.set_index(["dgp", "method"]) if not half.empty else half
    L += ["A straight line on log-log axes has no floor. Mean KS = a + b·n^−c, weighted "
          "nonlinear least squares on the condition means with their MCSEs, profile-likelihood "
          "95% intervals (`gansim.summary.convergence.floor_fits`); the search for c runs over "
          f"[{num(c_bound(), 3)}, 5]. Reading: a lower end of c on the search bound makes the "
          "interval an upper bound only; an interval of a reaching below 0 (a mean distance is "
          "≥ 0) bounds the floor from above only; F_n's c is known (½), and where its interval "
          "excludes ½ that DGP's fits are not trusted.", "", tab, "",
          "The same fits with c fixed at ½ (a and its SE, χ² with one more df):", ""]
    rows = [{"dgp": d, "method": m, "a at c = ½": pm(h.a, h.se_a, 4),
             "χ² (df)": f"{num(h.chi2, 1)} ({h.df})"} for (d, m), h in half.iterrows()]
    L += [md_table(pd.DataFrame(rows), align="llrr") if rows else "No fit.", ""]
    # Q3 -------------------------------------------------------------------------------------
    L += ["## 3. Properties of T(F*_n)", "",
          f"Bias and empirical SE of T({gan}) and T(ecdf), and the relative % precision of "
          f"T({gan}) over T(ecdf) (positive: the GAN's EmpSE is smaller):", ""]
    s = summary.set_index(["dgp", "n", "method", "quantity", "stat"])
    p = paired[paired.method == gan].set_index(["dgp", "n", "ref", "quantity", "stat"])
    rows = []
    for dgp in pd.unique(summary.dgp):
        for n in (ns[0], ns[len(ns) // 2], ns[-1]):
            for q in FUNCTIONALS:
                c = [s.loc[(dgp, n, m, q, meas)] for m, meas in
                     ((gan, "bias"), ("ecdf", "bias"), (gan, "empse"), ("ecdf", "empse"))]
                rp = p.loc[(dgp, n, "ecdf", q, "relprec")]
                rows.append({"dgp": dgp, "n": n, "T": q, "bias gan": pm(c[0].est, c[0].mcse),
                             "bias ecdf": pm(c[1].est, c[1].mcse),
                             "EmpSE gan": pm(c[2].est, c[2].mcse),
                             "EmpSE ecdf": pm(c[3].est, c[3].mcse),
                             "relprec gan vs ecdf": pm(rp.est, rp.mcse, 1)})
    L += [md_table(pd.DataFrame(rows), align="lrl" + "r" * 5), ""]
    rp = paired[(paired.ref == "ecdf") & (paired.method == gan) & (paired.quantity == "mean")
                & (paired.stat == "relprec")]
    rows, words = [], []
    for r in rp.itertuples():
        w = rules.compare_relprec(r.est, r.mcse, higher="smaller EmpSE",
                                  lower="larger EmpSE").word
        words.append(w)
        rows.append({"dgp": r.dgp, "n": r.n, "relprec %": pm(r.est, r.mcse, 1),
                     "the GAN's mean has": w})
    L += ["The GAN's mean against x̄ (relative % precision, paired):", "",
          md_table(pd.DataFrame(rows), align="lrrl"), "",
          f"Smaller EmpSE than x̄ in {count(words.count('smaller EmpSE'), len(words))} "
          f"conditions, larger in {words.count('larger EmpSE')}, not resolved in "
          f"{words.count('not resolved at this B')}.", ""]
    b = summary[(summary.method == "smoothed") & (summary.quantity == "sd")
                & (summary.stat == "bias")]
    rows = [{"dgp": dgp, **{f"n = {r.n}": f"{signed(r.est)} ({num(r.mcse)})"
                            for r in g.sort_values("n").itertuples()}}
            for dgp, g in b.groupby("dgp", sort=False)]
    L += ["The smoothed bootstrap's sd bias (its draws have variance σ̂² + h²):", "",
          md_table(pd.DataFrame(rows), align="l" + "r" * len(ns)), ""]
    # Q4 -------------------------------------------------------------------------------------
    mr = mse_ratios(paired, gan)
    L += ["## 4. Does it outperform the bootstrap and its competitors?", "",
          f"MSE({gan}) / MSE(ref) over the condition × functional cells, judged on the log "
          f"scale (log ratio against {_K} of its MCSEs); chance: the count per side that ratios "
          "all equal to 1 would give; family level: beyond the Bonferroni z for the cells of "
          "one reference.", ""]
    rows = []
    for ref, g in mr.groupby("ref", sort=False):
        ch = ratio_chance(len(g))
        zb = family_z(len(g))
        rows.append({"ref": ref, "cells": len(g),
                     "smaller": int((g.word == "smaller").sum()),
                     "larger": int((g.word == "larger").sum()),
                     "chance per side": f"{num(ch.expected, 1)} ({ch.lo}–{ch.hi})",
                     f"smaller, family (z = {num(zb, 2)})": int((g.z < -zb).sum()),
                     "larger, family": int((g.z > zb).sum()),
                     "median ratio": num(g.est.median(), 2)})
    L += [md_table(pd.DataFrame(rows), align="lrrrrrrr"), ""]
    w = summary[(summary.stat == "mse") & summary.quantity.isin(FUNCTIONALS)].pivot_table(
        index=["dgp", "n", "quantity"], columns="method", values="est")
    if {"bootstrap", "ecdf"} <= set(w.columns):
        ratio = w["bootstrap"] / w["ecdf"]
        qs = ratio.quantile([0.25, 0.5, 0.75])
        L += [f"MSE(bootstrap) / MSE(ecdf) over the {len(ratio)} cells: median "
              f"{num(qs[0.5])}, quartiles {num(qs[0.25])} and {num(qs[0.75])}, range "
              f"{num(ratio.min())}–{num(ratio.max())} (the bootstrap's T is T(F_n) plus the "
              "noise of m draws).", ""]
    wins = mr[mr.word == "smaller"]
    rank = lambda c: wins[c].map({k: i for i, k in enumerate(pd.unique(mr[c]))})  # noqa: E731
    wins = wins.assign(_d=rank("dgp"), _r=rank("ref"), _q=rank("quantity")) \
        .sort_values(["_d", "n", "_r", "_q"], kind="stable")
    L += [f"Cells where MSE({gan}) is smaller by the rule:", ""]
    L += [f"- vs {r.ref}: {r.dgp}, n = {r.n}, {r.quantity}: ratio {pm(r.est, r.mcse)}"
          for r in wins.itertuples()] or ["- none"]
    return wrap("\n".join(L) + "\n")


def c_bound() -> float:
    """The smallest floor constant c the floor fits search (the bound of their grid)."""
    from gansim.summary import convergence as rates
    return float(rates._C_GRID[0])


def wrap(text: str, width: int = 95) -> str:
    """Markdown with its paragraphs and list items wrapped at ``width`` (tables, headings,
    code blocks and blank lines as they are)."""
    import textwrap

    out, code = [], False
    for line in text.split("\n"):
        if line.startswith("```"):
            code = not code
        if code or line.startswith(("```", "|", "#")) or len(line) <= width:
            out.append(line)
            continue
        indent = "  " if line.startswith("- ") else ""
        out.extend(textwrap.wrap(line, width, subsequent_indent=indent,
                                 break_long_words=False, break_on_hyphens=False))
    return "\n".join(out)
