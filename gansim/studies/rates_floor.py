"""The rates study without the measurement floor: the GAN's distance to the truth
measured through m = 10^6 draws, at two training budgets, against fair competitors.

results/rates measured every sampling method through m = 10,000 draws, whose own KS
(about 0.87/sqrt(m) = 0.0087) is a floor under every distance; with the network and the
2,000 steps fixed for every n, its fitted log-log slopes mixed the GAN's rate, its limit
and that floor.  Here:

- m = 10^6 draws per method and replication.  For a continuous estimate G and its m draws
  G_m, ``|KS(G_m, F) - KS(G, F)| <= KS(G_m, G)``, and ``KS(G_m, G)`` has Kolmogorov's
  distribution ``kstwo(m)`` whatever G (mean 0.00087 at m = 10^6): the draw noise is bounded,
  not just estimated.  The oracle (m draws from F itself) shows that floor; its mean KS must
  match ``kstwo(m).mean()`` (a check of the machinery).  The KS of the first 10,000 of the
  same draws is kept as the quantity ``ks_m1e4``, so m is a paired design factor at no extra
  training cost.
- The GAN at two budgets: ``gan`` (the default recipe: width 16, 2,000 steps) and
  ``gan_large`` (width 32, 8,000 steps); both fused engine, standardised data.  The recipe was
  tuned on N(0, 1), n = 100 (results/recipe) and is not retuned here.
- Competitors: F_n itself (``ecdf``, evaluated exactly; the bootstrap's T converges to it as
  m grows, so the bootstrap is not run separately at m = 10^6), today's smoothed bootstrap
  (``smoothed``: nrd0 bandwidth, no variance correction) and the variance-corrected smoothed
  bootstrap with a cdf bandwidth ∝ n^(-1/3) (``smoothed_cdf``), neither tuned.
- The oracle is left out for the mixture only (its quantile function costs ~4 s per 10^6
  draws); the KS of m draws from any continuous F has the same law kstwo(m), drawn as the
  floor on every panel.
- DGPs: normal, t3, lognormal, the bimodal mixture, gamma(2) (skewed, light tails) and
  uniform(0, 1) (bounded support), gansim.study.dgp defaults; n = 50 ... 800.

Each DGP is one resumable part (its blocks in ``<out>/parts/<dgp>/``), run in turn; the
outputs combine the parts that are complete.  Seed 12 (not used by results/poc, losses,
recipe (2020), rates or rates_standardize (4)).

Writes replications.csv.gz, summary.csv, paired.csv, floor.csv, local_slopes.csv,
answers.md, ks.png, m.png and run.json, by default into results/rates_floor/ (the committed
files); the committed study took about 42 minutes with ``--n-jobs 1``.

    python -m gansim rates_floor --n-jobs 1 --no-progress   # the committed study
    python -m gansim rates_floor --scale 0.1 --ns 50 100 200 400 --steps-large 500 \\
        --m 20000 --out /tmp/rf                       # a quick look
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from gansim._files import write_csv, write_figure, write_run_record, write_text
from gansim.gan.config import ENGINES, GANConfig
from gansim.studies._common import (
    add_device_argument,
    log_n_axes,
    m_arg,
    n_arg,
    pyplot,
    run_options,
    scale_arg,
    steps_arg,
    width_arg,
)
from gansim.studies.rates import (
    RULES_TEXT,
    c_bound,
    ci,
    family_z,
    floor_table,
    ks_floor,
    ratio_chance,
    ratio_word,
    share_cell,
    wrap,
)
from gansim.study.core import Study, run_study
from gansim.study.design import condition_grid
from gansim.study.dgp import make_dgp
from gansim.study.distances import ks_distance
from gansim.study.functionals import Functional
from gansim.study.methods import GAN, EmpiricalCDF, Oracle, SmoothedBootstrap
from gansim.summary import convergence as rates
from gansim.summary import rules
from gansim.summary.simsum import summarise
from gansim.summary.text import md_table, num, pm

__all__ = ["DEFAULTS", "DESCRIPTION", "KSFirst", "add_arguments", "build_study", "main",
           "write_outputs"]

DESCRIPTION = __doc__
DEFAULTS = {"seed": 12, "out": "results/rates_floor"}

DGPS = ("normal", "t", "lognormal", "mixture", "gamma", "uniform")
NS = (50, 100, 200, 400, 800)
#: B per n, sized to the compute budget (about an hour on one shared core).  A multiple of the
#: block size: a block always computes its 10 replications (so that B can grow without
#: changing any number), so B = 24 would compute 30 and keep 24.  The committed run was
#: started with 24 at n = 400 and 800 and assembled with 30 from the same blocks.
B = {50: 30, 100: 30, 200: 30, 400: 30, 800: 30}
#: The draws of the second measurement (the first M_SMALL of the m draws).
M_SMALL = 10_000
FUNCTIONALS = ("mean", "median", "sd", "q10", "q90")
GANS = ("gan", "gan_large")
AGAINST = ("ecdf", "smoothed", "smoothed_cdf")


class KSFirst:
    """KS distance of the first ``k`` points of a sample to the cdf of ``dgp``: the distance
    a study with m = k draws would have measured (picklable, for worker processes).

    Examples
    --------
    >>> from gansim.study.dgp import Normal
    >>> f = KSFirst(Normal(), 2)
    >>> round(f(np.array([0.0, 0.0, 5.0])), 3)
    0.5
    """

    def __init__(self, dgp, k: int):
        self.dgp, self.k = dgp, int(k)

    def __call__(self, x: np.ndarray) -> float:
        return ks_distance(x[: self.k], self.dgp.cdf)

    def __repr__(self) -> str:
        return f"KSFirst({self.dgp!r}, k={self.k})"


#: The latent noise it was computed with (it predates the counter-based default): kept so the
#: committed numbers reproduce; noise="philox" gives different draws from the same
#: distribution.
NOISE = "generator"
#: The engine it was computed with (the fused CPU engine; a GPU run needs engine="torch",
#: which rounds differently: statistically equivalent, not identical, numbers).
ENGINE = "fused"


def methods(steps_large: int = 8000, width_large: int = 32, *, oracle: bool = True,
            engine: str = ENGINE) -> tuple:
    """The study's methods: F_n, two smoothed bootstraps, the GAN at two budgets, the oracle
    (left out with ``oracle=False``); the GANs trained by ``engine``."""
    small = GANConfig(standardize=True, engine=engine, noise=NOISE)
    large = GANConfig(standardize=True, engine=engine, noise=NOISE, steps=steps_large,
                      g_hidden=(width_large, width_large), d_hidden=(width_large, width_large))
    return (EmpiricalCDF(), SmoothedBootstrap("nrd0"),
            SmoothedBootstrap("cdf", shrink=True, label="smoothed_cdf"),
            GAN(small, label="gan"), GAN(large, label="gan_large"),
            *((Oracle(),) if oracle else ()))


def build_study(dgp: str, *, ns=NS, scale: float = 1.0, m: int = 1_000_000,
                steps_large: int = 8000, width_large: int = 32, engine: str = ENGINE,
                device: str = "cpu") -> Study:
    """One part of the study: ``dgp`` x ``ns``, B from :data:`B` times ``scale`` (>= 2).

    The GANs train with ``engine`` (:data:`ENGINE`, the fused CPU engine, by default: a GPU
    ``device`` needs ``engine="torch"``, which rounds differently; ``"compiled"`` needs
    ``noise="philox"``, which this study's pinned :data:`NOISE` is not).

    Returns
    -------
    Study
        Distances: KS only (on m draws), plus the functional ``ks_m1e4`` (KS of the first
        ``min(m, 10,000)`` draws) and the five default functionals.
    """
    if not (isinstance(scale, int | float) and math.isfinite(scale) and scale > 0):
        raise ValueError(f"`scale` must be a positive number, got {scale!r}.")
    truth = make_dgp(dgp)
    design = condition_grid(lambda f: max(2, round(B.get(f["n"], 30) * scale)),
                            dgp=[dgp], n=[int(n) for n in ns])
    functionals = {k: k for k in FUNCTIONALS}
    functionals["ks_m1e4"] = Functional(KSFirst(truth, min(m, M_SMALL)), truth=None,
                                        description=f"KS of the first {min(m, M_SMALL):,} draws")
    # The mixture's quantile function is a Newton solve, ~4 s per 10^6 oracle draws: there
    # the oracle is left out and its law, kstwo(m) for every continuous F, stands in for it.
    return Study(methods(steps_large, width_large, oracle=dgp != "mixture", engine=engine),
                 design=design, m=m, functionals=functionals, distances=("ks",),
                 block_size=10, device=device, name="rates_floor")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The study's own options."""
    parser.add_argument("--scale", type=scale_arg(max(B.values())), default=1.0,
                        help="multiply every B by this")
    parser.add_argument("--ns", type=n_arg, nargs="+", default=list(NS), help="sample sizes")
    parser.add_argument("--dgps", nargs="+", default=list(DGPS), help="DGP registry names")
    parser.add_argument("--m", type=m_arg, default=1_000_000,
                        help="draws per method and replication (default: %(default)s)")
    parser.add_argument("--steps-large", type=steps_arg, default=8000,
                        help="training steps of gan_large (default: %(default)s)")
    parser.add_argument("--width-large", type=width_arg, default=32,
                        help="hidden width of gan_large (default: %(default)s)")
    parser.add_argument("--engine", choices=ENGINES, default=ENGINE,
                        help="GAN training engine (default: %(default)s, the CPU's, as the "
                             "committed results; with --device cuda use 'torch')")
    add_device_argument(parser)


def main(args: argparse.Namespace) -> str:
    """Run the parts in turn (each resumable), then write the combined outputs."""
    if len(set(args.ns)) < 4:
        # Checked before any work: a + b n^(-c) has three parameters, and its fit (and the
        # test of a = 0 at c = 1/2 beside it) needs a fourth size to leave a residual.
        raise ValueError(f"`--ns` must hold at least 4 distinct sample sizes for the floor "
                         f"fit a + b·n^(-c), got {sorted(set(args.ns))}.")
    out = Path(args.out)
    results, walls = [], {}
    for dgp in args.dgps:
        study = build_study(dgp, ns=args.ns, scale=args.scale, m=args.m,
                            steps_large=args.steps_large, width_large=args.width_large,
                            engine=getattr(args, "engine", ENGINE),
                            device=getattr(args, "device", "cpu"))
        res = run_study(study, **run_options(args, out_dir=out / "parts" / dgp))
        results.append(res)
        walls[dgp] = round(res.wall_time, 1)
    write_outputs(out, results, n_jobs=args.n_jobs, started=args.started, walls=walls)
    return f"wall time {sum(walls.values()):.1f} s; results in {out}/"


def write_outputs(out_dir, results, *, n_jobs: int, started: str, walls: dict) -> dict:
    """Combine the parts' tidy frames and write the tables, fits, figures and run record.

    Files: ``replications.csv.gz`` (tidy), ``summary.csv`` (by dgp and n), ``paired.csv``
    (each GAN against each competitor and the two GANs against each other), ``floor.csv``
    (a + b n^-c per dgp x method, for KS at m = 10^6 and at m = 10^4), ``local_slopes.csv``,
    ``ks.png`` (mean KS vs n with the oracle's floor and kstwo(m)), ``m.png`` (KS at 10^4 vs
    10^6 draws), ``answers.md``, ``run.json``.
    """
    out = Path(out_dir)
    tidy = pd.concat([r.tidy for r in results], ignore_index=True)
    write_csv(tidy, out / "replications.csv.gz")
    summary = summarise(tidy, by=["dgp", "n"])
    write_csv(summary, out / "summary.csv")
    pairs = _paired(tidy)
    write_csv(pairs, out / "paired.csv")
    m = results[0].study.m
    fits = pd.concat([rates.floor_fits(summary, q).assign(m=mm)
                      for q, mm in (("ks", m), ("ks_m1e4", min(m, M_SMALL)))],
                     ignore_index=True)
    write_csv(fits, out / "floor.csv")
    local = rates.local_slopes(summary, "ks")
    write_csv(local, out / "local_slopes.csv")
    _plot_ks(summary, out / "ks.png", m)
    _plot_m(summary, out / "m.png", m)
    write_text(out / "answers.md", answers(summary, pairs, fits, local, m,
                                           m_small=min(m, M_SMALL)))
    write_run_record(
        out / "run.json", seed=results[0].seed, n_jobs=n_jobs, started=started,
        wall_time_s=round(sum(walls.values()), 1), wall_time_per_part_s=walls,
        settings={r.study.conditions[0]["dgp"]: r.study.settings() for r in results},
        conditions=pd.concat([r.conditions for r in results]).to_dict(orient="records"),
        failed=int((tidy["status"] != "ok").sum()))
    return {"summary": summary, "paired": pairs, "floor": fits, "local": local}


def _paired(tidy: pd.DataFrame) -> pd.DataFrame:
    """Each GAN against each competitor (and gan_large against gan): paired stats."""
    parts = []
    for gan in GANS:
        for ref in [*AGAINST, *(["gan"] if gan == "gan_large" else [])]:
            rows = summarise(tidy[tidy["method"].isin([gan, ref])], by=["dgp", "n"], ref=ref)
            rows = rows[(rows["method"] == gan)
                        & rows["stat"].isin(["diff", "less", "relprec", "mseratio"])]
            parts.append(rows.assign(ref=ref))
    out = pd.concat(parts, ignore_index=True)
    return out[["dgp", "n", "method", "ref", "quantity", "stat", "est", "mcse"]]


def _kstwo_mean(m: int) -> float:
    # kstwo's mean for m = 10^6 from its exact law (scipy); ~0.8687/sqrt(m).
    return float(stats.kstwo(m).mean())


def _plot_ks(summary, path, m):
    plt = pyplot()
    rows = summary[(summary.quantity == "ks") & (summary.stat == "mean")]
    dgps = list(pd.unique(rows.dgp))
    fig, axes = plt.subplots(2, math.ceil(len(dgps) / 2), figsize=(11, 7), squeeze=False)
    for ax, dgp in zip(axes.ravel(), dgps, strict=False):
        for method, g in rows[rows.dgp == dgp].groupby("method", sort=False):
            ax.errorbar(g.n, g.est, yerr=2 * g.mcse, marker="o", ms=3, lw=1, capsize=2,
                        label=method, ls=":" if method == "oracle" else "-")
        ns = sorted(rows.n.unique())
        ax.plot(ns, [_kstwo_mean(m)] * len(ns), "k--", lw=1, label=f"kstwo({m:,}) mean")
        log_n_axes(ax, ns)
        ax.set_title(dgp)
        ax.set_xlabel("n")
    axes[0][0].set_ylabel("mean KS (±2 MCSE)")
    axes[0][-1].legend(fontsize=7)
    fig.suptitle(f"Mean KS to the truth, m = {m:,} draws; the oracle (dotted) is the floor")
    fig.tight_layout()
    write_figure(path, fig)
    plt.close(fig)


def _plot_m(summary, path, m):
    plt = pyplot()
    rows = summary[summary.quantity.isin(["ks", "ks_m1e4"]) & (summary.stat == "mean")
                   & summary.method.isin(["gan", "gan_large", "smoothed_cdf", "oracle"])]
    dgps = list(pd.unique(rows.dgp))
    fig, axes = plt.subplots(2, math.ceil(len(dgps) / 2), figsize=(11, 7), squeeze=False)
    for ax, dgp in zip(axes.ravel(), dgps, strict=False):
        for (method, q), g in rows[rows.dgp == dgp].groupby(["method", "quantity"], sort=False):
            mm = m if q == "ks" else min(m, M_SMALL)
            ax.errorbar(g.n, g.est, yerr=2 * g.mcse, marker="o" if q == "ks" else "x", ms=3,
                        lw=1, capsize=2, ls="-" if q == "ks" else "--",
                        label=f"{method}, m = {mm:.0e}")
        log_n_axes(ax, sorted(rows.n.unique()))
        ax.set_title(dgp)
        ax.set_xlabel("n")
    axes[0][0].set_ylabel("mean KS (±2 MCSE)")
    axes[0][-1].legend(fontsize=6)
    fig.suptitle("The same draws measured at m = 10^4 (first 10^4) and m = 10^6")
    fig.tight_layout()
    write_figure(path, fig)
    plt.close(fig)


def answers(summary, pairs, fits, local, m, *, m_small: int | None = None) -> str:
    """The tables behind the four answers, as Markdown (every figure from the frames).

    ``summary``, ``pairs``, ``fits`` and ``local`` as in ``summary.csv``, ``paired.csv``,
    ``floor.csv`` and ``local_slopes.csv``; ``m`` the draws per method."""
    ms = m_small if m_small is not None else min(m, 10_000)
    L = ["# results/rates_floor: the tables behind the answers", "", RULES_TEXT, "",
         "Floor fits a + b·n^−c: profile-likelihood 95% intervals; the search for c runs over "
         f"[{num(c_bound(), 3)}, 5], so a lower end of c on {num(c_bound(), 3)} makes the "
         "interval an upper bound only (c ≤ its upper end); an interval of the floor a "
         "reaching below 0 bounds it from above only (a ≤ its upper end; a mean distance is "
         "≥ 0); F_n's c is "
         "known (½), and where its interval excludes ½ that DGP's fits are not trusted.", ""]
    mean = summary[summary.stat == "mean"]
    nsim = summary[(summary.stat == "nsim") & (summary.quantity == "ks")]
    Bmap = {(d, int(n), me): int(v) for d, n, me, v in
            zip(nsim.dgp, nsim.n, nsim.method, nsim.est, strict=True)}
    # Q1
    less = pairs[(pairs.quantity == "ks") & (pairs.ref == "ecdf") & (pairs.stat == "less")]
    rows = []
    for (dgp, n), g in less.groupby(["dgp", "n"], sort=False):
        row = {"dgp": dgp, "n": n}
        for gan in GANS:
            cell, word, _ = share_cell(float(g[g.method == gan].est.iloc[0]),
                                       Bmap[(dgp, int(n), gan)])
            row[gan] = cell
            row[f"{gan}: in"] = word
        rows.append(row)
    L += ["## 1. KS(GAN) < KS(F_n)?", "",
          f"Share of replications with KS(GAN) < KS(ecdf), m = {num(m, 0)} draws, exact 95% "
          "interval and the majority word:", "",
          md_table(pd.DataFrame(rows), align="lrrlrl"), ""]
    # Q2
    tab, _ = floor_table(fits[fits.quantity == "ks"], c_bound=c_bound())
    L += ["## 2. Rates: mean KS = a + b·n^−c", "",
          f"Weighted nonlinear least squares on the condition means (m = {num(m, 0)}); a = "
          f"floor, c = exponent. E KS of m draws from any continuous F is {num(ks_floor(m), 5)} "
          "(the oracle's floor).", "", tab, ""]
    rows = []
    for (dgp, n, method), g in mean[mean.quantity.isin(["ks", "ks_m1e4"])].groupby(
            ["dgp", "n", "method"], sort=False):
        if method not in (*GANS, "oracle", "smoothed_cdf"):
            continue
        a = g[g.quantity == "ks"].iloc[0]
        b = g[g.quantity == "ks_m1e4"].iloc[0]
        rows.append({"dgp": dgp, "n": n, "method": method,
                     f"KS, m = {num(m, 0)}": pm(a.est, a.mcse, 4),
                     f"KS, first {num(ms, 0)}": pm(b.est, b.mcse, 4)})
    L += [f"Mean KS at m = {num(m, 0)} and at m = {num(ms, 0)} (the first {num(ms, 0)} of the "
          "same draws):", "", md_table(pd.DataFrame(rows), align="lrlrr"), ""]
    both = mean[mean.quantity.isin(["ks", "ks_m1e4"])].pivot_table(
        index=["dgp", "n", "method"], columns="quantity", values="est", sort=False)
    gap = (both["ks_m1e4"] - both["ks"]).groupby(level="method", sort=False)
    rows = [{"method": me, "conditions": g.size, "median": num(g.median(), 4),
             "min": num(g.min(), 4), "max": num(g.max(), 4)} for me, g in gap]
    L += [f"Mean KS at m = {num(ms, 0)} minus mean KS at m = {num(m, 0)}, over the conditions "
          "(dgp × n), per method:", "", md_table(pd.DataFrame(rows), align="lrrrr"), ""]
    lg = pairs[(pairs.method == "gan_large") & (pairs.ref == "gan") & (pairs.quantity == "ks")]
    rows = []
    for (dgp, n), g in lg.groupby(["dgp", "n"], sort=False):
        d = g[g.stat == "diff"].iloc[0]
        sh = g[g.stat == "less"].iloc[0]
        cell, word, _ = share_cell(sh.est, Bmap[(dgp, int(n), "gan_large")])
        rows.append({"dgp": dgp, "n": n, "difference": pm(d.est, d.mcse, 4),
                     "gan_large is": rules.compare(d.est, d.mcse, higher="farther",
                                                   lower="closer").word,
                     "share closer": cell, "in": word})
    L += ["The larger budget against the default, paired: mean KS(gan_large) − KS(gan) at "
          f"m = {num(m, 0)}, and the share of replications where gan_large is closer:", "",
          md_table(pd.DataFrame(rows), align="lrrlrl"), ""]
    pairs_n = list(zip(sorted(local.n1.unique()), sorted(local.n2.unique()), strict=True))
    rows = []
    for (dgp, method), g in local.groupby(["dgp", "method"], sort=False):
        rows.append({"dgp": dgp, "method": method,
                     **{f"{a}→{b}": f"{num(r.slope, 2)} {ci(r.ci_low, r.ci_high, 2)}"
                        for (a, b), r in zip(pairs_n, g.itertuples(), strict=True)}})
    L += ["Local slopes of log mean KS between adjacent n (95% CI, delta method):", "",
          md_table(pd.DataFrame(rows), align="ll" + "r" * len(pairs_n)), ""]
    # Q3
    rp_all = pairs[(pairs.ref == "ecdf") & (pairs.stat == "relprec")]
    rp_map = {(d, int(n), me, q): (e, s) for d, n, me, q, e, s in
              zip(rp_all.dgp, rp_all.n, rp_all.method, rp_all.quantity, rp_all.est,
                  rp_all.mcse, strict=True)}
    rows = []
    for (dgp, n, method, q), g in summary[summary.quantity.isin(FUNCTIONALS)
                                          & summary.method.isin([*GANS, "smoothed_cdf"])
                                          ].groupby(["dgp", "n", "method", "quantity"],
                                                    sort=False):
        if q not in ("mean", "sd", "q90"):
            continue
        bias = g[g.stat == "bias"].iloc[0]
        emp = g[g.stat == "empse"].iloc[0]
        rp = rp_map.get((dgp, int(n), method, q))
        rows.append({"dgp": dgp, "n": n, "method": method, "quantity": q,
                     "bias": pm(bias.est, bias.mcse), "empse": pm(emp.est, emp.mcse),
                     "relprec vs ecdf (%)": pm(*rp, 1) if rp else "—"})
    L += ["## 3. T(F*_n): bias and relative precision against T(F_n)", "",
          "relprec: relative % precision of the method's T over the same T of F_n, paired "
          "(positive: smaller EmpSE; computed for the GANs only, — for smoothed_cdf).", "",
          md_table(pd.DataFrame(rows), align="lrll" + "r" * 3), ""]
    # Q4
    mr, rows = mse_ratio_table(pairs), []
    for (method, ref), g in mr.groupby(["method", "ref"], sort=False):
        ch = ratio_chance(len(g))
        rows.append({"method": method, "ref": ref, "cells": len(g),
                     "smaller": int((g.word == "smaller").sum()),
                     "larger": int((g.word == "larger").sum()),
                     "chance per side": f"{num(ch.expected, 1)} ({ch.lo}–{ch.hi})",
                     "median ratio": num(g.est.median(), 2)})
    zb = family_z(len(mr))
    win = mr[mr.z < -zb]
    L += ["## 4. MSE ratios on the log scale", "",
          "MSE(method)/MSE(ref) per condition × functional, judged on the log scale (log ratio "
          f"against {rules.K_MCSE:g} of its MCSEs, MCSE/ratio); chance: the count per side "
          "(and its 95% range) that ratios all equal to 1 would give.", "",
          md_table(pd.DataFrame(rows), align="llrrrrr"), "",
          f"Cells where the GAN's MSE is smaller at the family level over all {len(mr)} cells "
          f"above (z = {num(zb, 2)}): {len(win)}.", ""]
    z95 = rules.Z
    L += [f"- {r.method} vs {r.ref}: {r.dgp}, n = {r.n}, {r.quantity}: ratio {num(r.est, 2)}, "
          f"95% CI {ci(np.exp(r.log - z95 * r.se_log), np.exp(r.log + z95 * r.se_log), 2)}"
          for r in win.itertuples()] or ["- none"]
    return wrap("\n".join(L) + "\n")


def mse_ratio_table(pairs):
    """The MSE ratios of the functionals in ``pairs`` with their log, its SE (delta method),
    z and the rule's word (:func:`gansim.studies.rates.ratio_word`)."""
    mr = pairs[(pairs.stat == "mseratio") & pairs.quantity.isin(FUNCTIONALS)].copy()
    mr["log"] = np.log(mr.est)
    mr["se_log"] = mr.mcse / mr.est
    mr["z"] = mr.log / mr.se_log
    mr["word"] = [ratio_word(r, m) for r, m in zip(mr.est, mr.mcse, strict=True)]
    return mr
