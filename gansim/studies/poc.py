"""The lecture's proof of concept: X̄ and KS of F_n against X̄* and KS of a GAN's F*_n.

For each of B replications: draw n points from N(μ, σ²), compute X̄, the sd and the exact KS
distance sup|F_n − F| (method ``ecdf``); train a GAN on the n points, draw m points from it
and compute X̄*, sd* and sup|F*_n − F| with the GAN's diagnostics (method ``gan``).  The
mean carries the plug-in t interval of :data:`gansim.study.functionals.FUNCTIONALS`; two more
intervals of the lecture's table are *references* an analyst could not compute (they use
the true σ, or the spread of X̄* over the replications).

    python -m gansim poc                                  # the lecture's settings, B = 10,000
    python -m gansim poc -B 200 --gan-bootstrap 0 --out /tmp/poc   # a quick look, < 1 minute

The defaults (B = 10,000, then the GAN bootstrap on 500 of the data sets) take about
7 minutes on 2 cores, and write into results/poc/ (the committed files).

Writes replications.csv.gz (tidy), summary.csv, summary.md and summary.tex (the whole summary
as tables), table.md, mean.png, ks.png, zip.png (the zip plot of the mean's plug-in
interval), forest.png (the coverage of the three intervals) and run.json;
``python -m gansim report poc`` then renders the folder's README from them.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from gansim._files import write_csv, write_figure, write_run_record, write_text
from gansim.gan.config import ENGINES, NOISES, GANConfig
from gansim.gan.engine import resolve_engine
from gansim.studies._common import (
    add_device_argument,
    block_size_arg,
    int_at_least,
    m_arg,
    n_arg,
    pyplot,
    replications_arg,
    run_options,
    steps_arg,
)
from gansim.studies._tables import Summary, ratio_word
from gansim.study.core import Study, StudyResult, run_study
from gansim.study.dgp import Normal
from gansim.study.methods import GAN, EmpiricalCDF
from gansim.summary import performance as perf
from gansim.summary import plots, rules
from gansim.summary.simsum import summarise
from gansim.summary.tables import write_summary_files

__all__ = ["COMPANION", "DESCRIPTION", "DEFAULTS", "INTERVALS", "LECTURE", "add_arguments",
           "main", "plot_ks", "plot_means", "poc_study", "poc_table", "references",
           "table_header", "write_outputs"]

DESCRIPTION = __doc__
DEFAULTS = {"seed": 2020, "out": "results/poc"}
LEVEL = 0.95


def poc_study(*, replications: int = 10_000, n: int = 100, m: int = 10_000,
              dgp: Normal | None = None, gan: GANConfig | None = None,
              block_size: int | str = 100, device: str = "cpu") -> Study:
    """The proof-of-concept study as a :class:`~gansim.study.core.Study`.

    One condition without factors (condition id 0); the GAN draws from the replication's
    ``draws`` stream (``stream=None``), as before methods had streams of their own, so the
    committed results/poc reproduce.

    Examples
    --------
    >>> from gansim import run_study
    >>> study = poc_study(replications=4, n=50, m=500, gan=GANConfig(steps=50), block_size=4)
    >>> run_study(study, seed=1, progress=False).wide().shape
    (8, 11)
    """
    return Study([EmpiricalCDF(), GAN(GANConfig() if gan is None else gan, stream=None)],
                 dgp=Normal() if dgp is None else dgp, replications=replications, n=n, m=m,
                 functionals=["mean", "sd"], distances=["ks"], block_size=block_size,
                 device=device, name="poc")


#: Replications of the GAN-bootstrap companion (the poc's first ones: the same data sets),
#: bootstrap GANs per data set and their warm-start steps (as results/coverage).
GAN_BOOTSTRAP_B, GAN_BOOTSTRAP_R, WARM_STEPS = 500, 200, 300


def gan_bootstrap_study(*, replications: int = GAN_BOOTSTRAP_B, n: int = 100,
                        m: int = 10_000, dgp: Normal | None = None,
                        gan: GANConfig | None = None, device: str = "cpu") -> Study:
    """The proof of concept's GAN-bootstrap companion: intervals for X̄* an analyst *can*
    compute from one data set, on the poc's first ``replications`` data sets.

    The same seed and condition (id 0) as :func:`poc_study` give the same data sets; on each,
    :class:`gansim.GANEstimator` fits its own GAN (with its own seeds: its X̄* is not the
    poc's ``gan`` column) and gives the Wald interval X̄* ± z s*/√n and the GAN-bootstrap
    percentile and BCa intervals (R bootstrap GANs warm-started from the fitted one,
    :data:`WARM_STEPS` steps each; results/coverage compares that with training from
    scratch).  Methods ``est_wald``, ``est_percentile``, ``est_bca`` share one fit per data
    set.

    Examples
    --------
    >>> s = gan_bootstrap_study(replications=3, n=20, m=200, gan=GANConfig(steps=20))
    >>> [m.label for m in s.methods], s.replications
    (['est_wald', 'est_percentile', 'est_bca'], 3)
    """
    from gansim.inference.estimator import GANEstimator
    from gansim.study.methods import FunctionMethod

    est = GANEstimator(GANConfig() if gan is None else gan, m=m, bootstrap_steps=WARM_STEPS,
                       device=device)
    methods = [FunctionMethod(est.as_method(["mean"], k, level=LEVEL, R=GAN_BOOTSTRAP_R),
                              label=f"est_{k}", stream=None)
               for k in ("wald", "percentile", "bca")]
    return Study(methods, dgp=Normal() if dgp is None else dgp, replications=replications,
                 n=n, m=m, functionals=["mean"], distances=[], block_size=8, device=device,
                 name="poc-gan-bootstrap")


def references(tidy: pd.DataFrame, *, sigma: float, mu: float, n: int,
               level: float = LEVEL) -> pd.DataFrame:
    """Reference measures of the lecture's table, in :func:`~gansim.summary.simsum.summarise`'s
    schema, none of which an analyst could compute from one data set.

    - ``ref_cover_known_sigma``: coverage of ``T ± z σ/√n`` with the true σ;
    - ``ref_cover_mc``: coverage of ``T ± z EmpSE``, EmpSE the sd of T over the
      replications (≈ nominal by construction);

    The prefix ``ref_`` marks them in ``summary.csv`` as references, beside the feasible
    ``cover`` of the plug-in interval.
    - method ``truth``: ``cr_bound`` σ²/n and the band ``band_low``/``band_high``,
      ``level ± 1.96 sqrt(level (1 - level) / B)``.
    """
    z = stats.norm.ppf(0.5 + level / 2)
    rows = []
    means = tidy[(tidy["quantity"] == "mean") & (tidy["status"] == "ok")]
    for method, g in means.groupby("method", sort=False):
        x = g["estimate"].to_numpy()
        for stat, half in (("ref_cover_known_sigma", z * sigma / np.sqrt(n)),
                           ("ref_cover_mc", z * np.std(x, ddof=1))):
            m = perf.proportion(np.abs(x - mu) <= half)
            rows.append((method, "mean", stat, m.value, m.mcse))
    B = means["rep"].nunique()
    low, high = perf.coverage_band(level, B)
    rows += [("truth", "mean", "cr_bound", sigma**2 / n, 0.0),
             ("truth", "mean", "band_low", low, 0.0), ("truth", "mean", "band_high", high, 0.0)]
    return pd.DataFrame(rows, columns=["method", "quantity", "stat", "est", "mcse"])


def write_outputs(out_dir, result: StudyResult, *, n_jobs: int, started: str,
                  boot: StudyResult | None = None) -> pd.DataFrame:
    """Write the study's files (every one through a temporary name); returns the summary.

    ``boot``, the result of :func:`gan_bootstrap_study`, adds its methods' rows (``est_*``)
    to the summary and the table, and its tidy rows and run record to ``gan_bootstrap/``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    study = result.study
    dgp, tidy = study.dgp_for(study.conditions[0]), result.tidy
    parts = [summarise(tidy, ref="ecdf"),
             references(tidy, sigma=dgp.sd, mu=dgp.mean, n=study.n)]
    if boot is not None:
        parts.append(summarise(boot.tidy))
        # X̄'s t interval on the companion's data sets: the baseline its coverage is to be
        # read against (a subset of data sets covers by chance above or below 0.95).
        same = tidy[(tidy["method"] == "ecdf") & (tidy["quantity"] == "mean")
                    & tidy["rep"].isin(boot.tidy["rep"].unique())]
        parts.append(summarise(same).assign(method="ecdf_companion_data"))
        (out / "gan_bootstrap").mkdir(exist_ok=True)
        write_csv(boot.tidy, out / "gan_bootstrap" / "replications.csv.gz")
        write_run_record(
            out / "gan_bootstrap" / "run.json", **boot.cluster_record(), seed=boot.seed,
            replications=boot.study.replications, n_jobs=n_jobs, started=started,
            settings=boot.study.settings(boot.study.conditions[0]),
            wall_time_s=round(boot.wall_time, 1),
            n_failed=int(boot.failures()["rep"].nunique()))
    summary = pd.concat(parts, ignore_index=True)
    write_csv(tidy, out / "replications.csv.gz")
    write_csv(summary, out / "summary.csv")
    failed = result.failures()
    # table.md as `python -m gansim report poc` renders it from the committed files.
    header = table_header(n=study.n, dgp=repr(dgp), m=study.m, seed=result.seed,
                          failed=failed["rep"].nunique())
    write_text(out / "table.md", poc_table(
        summary, n=study.n, sigma=dgp.sd, level=LEVEL, header=header))
    write_summary_files(
        out, summary, rows=["quantity", "stat"],
        caption=(f"Proof of concept, B = {study.replications:,}, n = {study.n}: every stat "
                 "as value (MCSE), by quantity and method (truth: reference values)."),
        label="tab:poc-summary")
    wide = _poc_columns(result.wide())
    for name, plot, kwargs in (
            ("mean.png", plot_means, {"mean": dgp.mean, "sd": dgp.sd, "n": study.n}),
            ("ks.png", plot_ks, {"n": study.n})):
        tmp = out / f"tmp-{name}"
        plot(wide, tmp, **kwargs)
        tmp.replace(out / name)
    write_figure(out / "zip.png", plots.zip_plot(tidy, "mean", level=LEVEL))
    write_figure(out / "forest.png",
                 plots.forest(_coverages(summary), "cover", target=LEVEL))
    gan = study.methods[1].config
    write_run_record(
        out / "run.json", **result.cluster_record(),
        seed=result.seed, replications=study.replications, n_jobs=n_jobs,
        settings=study.settings(study.conditions[0]), engine=resolve_engine(gan, study.device),
        started=started, wall_time_s=round(result.wall_time, 1),
        blocks=result.conditions[["blocks_computed", "blocks_resumed"]].iloc[0].to_dict(),
        n_failed=int(failed["rep"].nunique()),
        failed=failed[["rep", "seed", "spawn_key", "method", "error"]].drop_duplicates()
        .head(100).to_dict(orient="records"))
    return summary


def _coverages(summary: pd.DataFrame) -> pd.DataFrame:
    """The coverage of the mean's intervals as one stat with a factor ``interval`` (the
    forest plot's rows): the three of the lecture's table for ``ecdf`` and ``gan``, and the
    GAN-bootstrap companion's intervals (method ``GANEstimator``) where it ran."""
    names = {"cover": "plug-in s", "ref_cover_known_sigma": "known σ (reference)",
             "ref_cover_mc": "MC-calibrated (reference)"}
    companion = {"est_wald": "Wald s*/√n", "est_percentile": "GAN bootstrap percentile",
                 "est_bca": "GAN bootstrap BCa"}
    mean = summary[summary["quantity"] == "mean"]
    rows = mean[mean["method"].isin(["ecdf", "gan"]) & mean["stat"].isin(list(names))]
    rows = rows.assign(interval=rows["stat"].map(names))
    est = mean[mean["method"].isin(list(companion)) & (mean["stat"] == "cover")]
    est = est.assign(interval=est["method"].map(companion), method="GANEstimator")
    return pd.concat([rows, est]).assign(stat="cover")[
        ["interval", "method", "quantity", "stat", "est", "mcse"]]


def _poc_columns(wide: pd.DataFrame) -> pd.DataFrame:
    """One row per replication: X̄, X̄*, KS and KS* of the ok replications (the figures)."""
    e = wide[wide["method"] == "ecdf"].set_index("rep")
    g = wide[wide["method"] == "gan"].set_index("rep")
    frame = pd.DataFrame({"xbar": e["mean"], "ks": e["ks"], "xbar_star": g["mean"],
                          "ks_star": g["ks"]}).dropna()
    return frame.assign(status="ok").reset_index()


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The proof of concept's own options."""
    p.add_argument("-B", "--replications", type=replications_arg, default=10_000,
                   help="Monte Carlo replications B (default: %(default)s)")
    p.add_argument("--n", type=n_arg, default=100,
                   help="data points per replication (>= 2)")
    p.add_argument("--m", type=m_arg, default=10_000,
                   help="draws from each trained GAN (>= 2)")
    p.add_argument("--mu", type=float, default=0.0, help="mean of the normal data")
    p.add_argument("--sigma", type=float, default=1.0, help="sd of the normal data (> 0)")
    p.add_argument("--steps", type=steps_arg, default=GANConfig.steps,
                   help="GAN training steps, one D and one G update each (default: %(default)s)")
    p.add_argument("--standardize", action=argparse.BooleanOptionalAction,
                   default=GANConfig.standardize,
                   help="train each GAN on its standardised data and map the draws back "
                        "(default: on; --no-standardize trains on the raw data)")
    p.add_argument("--engine", choices=ENGINES, default=GANConfig.engine,
                   help="GAN training engine: 'fused' (C, CPU), 'torch' (batched PyTorch, any "
                        "device), 'compiled' (the torch engine's step compiled once, a CUDA "
                        "graph on a GPU) or 'auto', fused where it applies "
                        "(default: %(default)s)")
    p.add_argument("--noise", choices=NOISES, default=GANConfig.noise,
                   help="latent noise: 'philox' (counter-based, the default) or 'generator' "
                        "(one torch.Generator per replication, as the losses, recipe and "
                        "rates_standardize studies use)")
    p.add_argument("--block-size", type=block_size_arg, default=100,
                   help="replications trained together, or 'auto' (on a GPU the most that "
                        "fit; see gansim.Study); part of the settings, since with the "
                        "torch engines it fixes each replication's floating-point path; "
                        "at most B: a larger one is lowered to B (default: %(default)s)")
    add_device_argument(p)
    p.add_argument("--gan-bootstrap", type=int_at_least(0), default=GAN_BOOTSTRAP_B,
                   help="also run the GAN-bootstrap companion on the first this many "
                        "replications (at most B; 0: skip), into OUT/gan_bootstrap "
                        "(default: %(default)s; about 1 s per data set on one core)")


def main(args) -> str:
    """Run the study with the parsed options, write its files, return table.md."""
    study = poc_study(
        replications=args.replications, n=args.n, m=args.m, dgp=Normal(args.mu, args.sigma),
        gan=GANConfig(steps=args.steps, standardize=args.standardize, engine=args.engine,
                      noise=args.noise),
        block_size=args.block_size, device=args.device)
    result = run_study(study, **run_options(args))
    boot = None
    B0 = min(args.gan_bootstrap, args.replications)
    if B0 >= 2:
        companion = gan_bootstrap_study(
            replications=B0, n=args.n, m=args.m, dgp=study.dgp, gan=study.methods[1].config,
            device=args.device)
        boot = run_study(companion, **run_options(args, out_dir=Path(args.out, "gan_bootstrap")))
    write_outputs(args.out, result, n_jobs=args.n_jobs, started=args.started, boot=boot)
    table = Path(args.out, "table.md").read_text()
    return f"{table}\nwall time {result.wall_time:.1f} s; results in {args.out}/"


# --------------------------------------------------------------------------------------------
# The lecture's table and figures (the study writes them; `python -m gansim report poc`
# renders table.md with the same function).

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

#: The three intervals of the lecture's table, by stat code: the feasible plug-in one and
#: two references an analyst with one data set cannot compute.
INTERVALS = {"ref_cover_known_sigma": "known σ (*reference*)", "cover": "plug-in s",
             "ref_cover_mc": "MC-calibrated (*reference*)"}


#: The GAN-bootstrap companion's intervals (method -> name).
COMPANION = {"est_wald": "Wald X̄* ± z s*/√n", "est_percentile": "GAN bootstrap percentile",
             "est_bca": "GAN bootstrap BCa"}


def table_header(*, n: int, dgp: str, m: int, seed: int, failed: int) -> str:
    """The first lines of ``table.md``."""
    return (f"# Proof of concept: X̄ and F_n against a GAN's X̄* and F*_n\n\n"
            f"Data: n = {n} from {dgp}; m = {m:,} GAN draws per replication; seed {seed}; "
            f"{failed} failed replications.")


def _fmt(value, mcse=None, digits=4):
    if mcse is None or mcse == 0:
        return f"{value:.{digits}f}"
    return f"{value:.{digits}f} ({mcse:.{digits}f})"


def poc_table(summary: pd.DataFrame, *, n: int, sigma: float, level: float = LEVEL,
              header: str = "") -> str:
    """Markdown table: the lecture's numbers beside this run's, each of ours with its MCSE
    and, for coverages and the variance ratio, the word of the stated rule.

    ``summary`` is the proof of concept's: :func:`gansim.summary.simsum.summarise` with
    ``ref="ecdf"``, the references of :func:`gansim.studies.poc.references` and, where the
    GAN-bootstrap companion ran, its methods ``est_*`` and ``ecdf_companion_data``.
    """
    L = LECTURE
    g = Summary(summary)
    B = int(g.est("gan", "mean", "nsim"))
    band = rules.coverage_band(B, level)
    has_boot = g.has("est_percentile", "mean", "nsim")
    lines = [header, "", f"B = {B:,} replications (ok), n = {n}, {level:.0%} intervals. "
             "Ours: value (MCSE). X̄ is method `ecdf`, X̄* method `gan`. Rows marked "
             "*reference* use what an analyst with one data set does not have (the true σ, "
             "or the spread of the estimates over the replications); the others can be "
             "computed from one data set. The column *lecture* quotes the lecture's figures "
             "(no MCSEs given). A coverage is *at nominal* only inside the band "
             f"{band.rule(5)}, *under* below it and *over* above it; a ratio is *above* "
             f"or *below* 1 only beyond {rules.K_MCSE:g} MCSEs."]
    if has_boot:
        B0 = int(g.est("est_percentile", "mean", "nsim"))
        lines[-1] += (" Rows `GANEstimator` come from the GAN-bootstrap companion "
                      "(`gan_bootstrap/`): on the first data sets of this run, "
                      "`gansim.GANEstimator` fits its own GAN (its own seeds, so its X̄* is "
                      "not the `gan` column's) and forms the Wald interval and the "
                      "GAN-bootstrap intervals; their band, for "
                      f"B = {B0:,}, is {rules.coverage_band(B0, level).rule(4)}.")
    lines += ["", "| quantity | lecture | this run | reading |", "|---|---|---|---|"]

    def row(label, lecture, ours, reading=""):
        lines.append(f"| {label} | {lecture} | {ours} | {reading} |")

    def cover_row(label, lecture, method, stat):
        est, mcse = g(method, "mean", stat)
        b = int(g.est(method, "mean", "nsim"))
        row(label, lecture, _fmt(est, mcse), rules.coverage_verdict(est, b, level))

    row("mean(X̄*)", L["mean_xbar_star"], _fmt(*g("gan", "mean", "mean")))
    row("mean(X̄)", L["mean_xbar"], _fmt(*g("ecdf", "mean", "mean")))
    row("var(X̄*)", L["var_xbar_star"], _fmt(*g("gan", "mean", "var"), digits=5))
    row("var(X̄)", L["var_xbar"], _fmt(*g("ecdf", "mean", "var"), digits=5))
    row("Cramér–Rao σ²/n", L["cr_bound"], _fmt(g.est("truth", "mean", "cr_bound"), digits=5))
    vr, vr_se = g("gan", "mean", "varratio")
    row("var(X̄*) / var(X̄)", f"{L['var_xbar_star'] / L['var_xbar']:.2f}",
        _fmt(vr, vr_se, digits=3), ratio_word(vr, vr_se))
    for method, label, lect in (("gan", "X̄*", L["cover_xbar_star"]),
                                ("ecdf", "X̄", L["cover_xbar"])):
        for stat, mname in INTERVALS.items():
            cover_row(f"coverage({label}), {mname}", lect, method, stat)
        if method == "gan" and has_boot:
            for m, what in COMPANION.items():
                note = ""
                if g.has(m, "mean", "ci_nmiss"):
                    note = (f" ({int(g.est(m, 'mean', 'ci_nmiss'))} intervals not computable,"
                            " left out)")
                cover_row(f"coverage(X̄*), {what}: `GANEstimator`, first {B0:,} data "
                          f"sets{note}", "—", m, "cover")
            if g.has("ecdf_companion_data", "mean", "cover"):
                cover_row(f"coverage(X̄), plug-in t interval, on the same first {B0:,} data "
                          "sets", "—", "ecdf_companion_data", "cover")
    row(f"band {level:g} ± {rules.Z:g}·√({level:g}·{1 - level:.2g}/B)",
        f"[{L['band'][0]}, {L['band'][1]}]", f"[{band.lo:.5f}, {band.hi:.5f}]")

    lines += ["", "Beyond the lecture's table:", "", "| quantity | this run |", "|---|---|"]

    def row2(label, ours):
        lines.append(f"| {label} | {ours} |")

    row2("bias(X̄*)", _fmt(*g("gan", "mean", "bias")))
    row2("mean width of the plug-in interval of X̄*", _fmt(*g("gan", "mean", "width")))
    row2("mean width of the plug-in (t) interval of X̄", _fmt(*g("ecdf", "mean", "width")))
    if has_boot:
        for m, what in (("est_wald", "Wald"), ("est_percentile", "GAN bootstrap percentile"),
                        ("est_bca", "GAN bootstrap BCa")):
            row2(f"mean width of the `GANEstimator` {what} interval",
                 _fmt(*g(m, "mean", "width")))
    row2("MSE(X̄*) / (σ²/n)", _fmt(*(v / (sigma**2 / n) for v in g("gan", "mean", "mse")), 3))
    row2("relative precision of X̄* vs X̄, %", _fmt(*g("gan", "mean", "relprec"), 2))
    row2("mean sd of the GAN draws", _fmt(*g("gan", "sd", "mean")))
    row2("mean KS of F_n, sup|F_n − Φ|", _fmt(*g("ecdf", "ks", "mean")))
    row2("mean KS of the GAN, sup|F*_n − Φ|", _fmt(*g("gan", "ks", "mean")))
    row2("mean paired difference KS* − KS", _fmt(*g("gan", "ks", "diff")))
    row2("share of replications with KS* < KS", _fmt(*g("gan", "ks", "less")))
    row2("share of GANs flagged collapsed", _fmt(*g("gan", "collapsed", "mean")))

    # Which interval reproduces the lecture's coverage: the known-σ interval of X̄* covers
    # about 2Φ(z·(σ/√n)/SE(X̄*)) − 1, which is below the nominal level once SE(X̄*) > σ/√n.
    z = stats.norm.ppf(0.5 + level / 2)
    implied = 2 * stats.norm.cdf(z * sigma / np.sqrt(n) / np.sqrt(L["var_xbar_star"])) - 1
    empse = g.est("gan", "mean", "empse")
    ours_implied = 2 * stats.norm.cdf(z * sigma / np.sqrt(n) / empse) - 1
    verdicts = {m: rules.coverage_verdict(g.est("gan", "mean", m), B, level) for m in INTERVALS}
    at = [f"{INTERVALS[m]} ({g.est('gan', 'mean', m):.4f})" for m in INTERVALS
          if verdicts[m] == "at nominal"]
    off = [f"{INTERVALS[m]} ({g.est('gan', 'mean', m):.4f}, {verdicts[m]})" for m in INTERVALS
           if verdicts[m] != "at nominal"]
    text = (f"With var(X̄*) = {L['var_xbar_star']} as in the lecture, the known-σ interval "
            f"X̄* ± {z:.2f}·σ/√n would cover only about {implied:.3f}, not "
            f"{L['cover_xbar_star']}: the lecture's coverage of X̄* must come from an interval "
            "whose width follows X̄*'s own spread (plug-in with the GAN draws' sd, or "
            "calibrated on the replications). In this run SE(X̄*) = "
            f"{empse:.4f} against σ/√n = {sigma / np.sqrt(n):.4f}, so the known-σ interval is "
            f"expected to cover about {ours_implied:.4f}. Intervals of X̄* at nominal: "
            f"{', '.join(at) if at else 'none'}")
    text += f"; outside the band: {', '.join(off)}." if off else "."
    text += " Of the three, only the plug-in interval can be computed from one data set."
    lines += ["", "**Which interval reproduces the lecture's coverage.** " + text]
    return "\n".join(lines) + "\n"


def plot_means(frame: pd.DataFrame, path, *, mean: float, sd: float, n: int):
    """Histograms of X̄ and X̄* with the N(μ, σ²/n) density of X̄."""
    plt = pyplot()
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
    plt = pyplot()
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
