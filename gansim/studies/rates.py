"""The rates study: the GAN against F_n, the bootstrap, the smoothed bootstrap and
the parametric plug-in, across sample sizes and distributions, with rates fitted by
statsmodels formulas.  Answers the proof of concept's four open questions.

Every condition (DGP x n) draws its data once per replication and all methods see the same
data (paired comparisons).  Writes to --out: replications.parquet and replications.csv.gz
(the tidy frame, one row per condition x replication x method x quantity), summary.csv,
paired.csv (the GAN against each competitor), slopes.csv, tables.md and tables.tex, ks.png,
w1.png, cvm.png, slopes.png, answers.md and run.json.  Rerunning resumes from finished blocks.

    python -m gansim rates                   # the committed study (about 35 min on 2 cores)
    python -m gansim rates --scale 0.1 --steps 500 --out /tmp/rates   # a quick look
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

from gansim import report
from gansim.cli import (
    add_device_argument,
    block_size_arg,
    m_arg,
    n_arg,
    scale_arg,
    steps_arg,
)
from gansim.gan.config import GANConfig
from gansim.study.core import Study, StudyResult, run_study
from gansim.study.design import condition_grid
from gansim.study.distances import DISTANCES
from gansim.study.methods import GAN, Bootstrap, EmpiricalCDF, Oracle, Parametric, SmoothedBootstrap
from gansim.summary import convergence as rates
from gansim.summary.simsum import summarise

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
    result = run_study(study, seed=args.seed, n_jobs=args.n_jobs, out_dir=args.out,
                       progress=not args.no_progress, overwrite=args.overwrite,
                       executor=getattr(args, "executor", None))
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
    report.write_csv(tidy, out / "replications.csv.gz")
    summary = result.summary()
    against = [a for a in against if a in set(tidy["method"])]
    pairs = paired(tidy, gan, against, by=result.factors)
    slopes, exact = _slopes(result)
    for name, frame in (("summary", summary), ("paired", pairs), ("slopes", slopes)):
        report.write_csv(frame, out / f"{name}.csv")

    labels = [m.label for m in result.study.methods]
    md, tex = _tables(summary, pairs, slopes, exact, labels, result.study.m, gan)
    report.write_atomic(out / "tables.md", md)
    report.write_atomic(out / "tables.tex", tex)
    report.write_atomic(out / "answers.md",
                        report.rates_answers(summary, pairs, slopes, exact, gan=gan))
    ns = sorted(tidy["n"].unique())
    ref_ns = np.array(ns, dtype=float)
    for d in DISTANCES:
        refs = {"ecdf exact (kstwo)": (ref_ns, [_kstwo_mean(n) for n in ns])} if d == "ks" else {}
        report.plot_distances(summary, out / f"tmp-{d}.png", distance=d, reference=refs)
        (out / f"tmp-{d}.png").replace(out / f"{d}.png")
    report.plot_slopes(slopes[(slopes.distance == "ks") & (slopes.n_range == "all")],
                       out / "tmp-slopes.png", exact=exact["mean_of_log"],
                       title=f"KS: slope of log KS on log n, n = {ns[0]}…{ns[-1]}")
    (out / "tmp-slopes.png").replace(out / "slopes.png")
    gan_files = sorted(Path(__file__).parents[1].joinpath("gan").glob("*.py"))
    bad = tidy[tidy["status"] != "ok"]
    report.write_run_record(
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


def _tables(summary, pairs, slopes, exact, labels, m, gan) -> tuple[str, str]:
    """Every table of the study, as Markdown and LaTeX."""
    md, tex = [], []

    def section(title, frame, index, columns, digits=3, note=""):
        mdt, t = report.frame_tables(frame, index=index, columns=columns, digits=digits,
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
