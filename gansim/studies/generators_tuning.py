"""Tuning of the GAN's generator options on tuning seeds and designs of their own: the
heavy-tailed (Pareto) latent, the mixture latent and the training budget that grows with n.
The reporting study (``python -m gansim generators``) reads the settings chosen here and
never the other way round; its seed and its data are not used here.

What is tried (each a ``GANConfig`` beside the default recipe; fused engine, Philox noise,
standardised data):

- the Pareto latent (``latent="pareto"``) with its tail index estimated by Hill's estimator
  (``latent_tail="hill"``) or fixed at 2, 3 or 5;
- the mixture latent with K = 2, 4 or 8 components 6 latent sds apart, and K = 2 at 3 and 9;
- the budget that grows with n: steps x (n/100)^0.25 or (n/100)^0.5, and
  steps x (n/100)^0.5 with widths x (n/100)^0.25.

Stage 1 runs every candidate; the winner of each family is the candidate with the smallest
score, the mean over the tuning cells of log(mean KS / the default recipe's mean KS) (a
geometric mean ratio: < 0 beats the default), among those the reporting study can afford:
a training cost at n = 3,200 of at most 8 times the default recipe's (steps ratio x width
ratio squared; steps and widths both growing as (n/100)^0.5 and ^0.25 cost 32 times, about
an hour and a half of the reporting study's budget alone, so that candidate is scored but
cannot win).  Stage 2 runs the pairwise and threefold combinations of the three winners;
the best combination is the one (of those and the three winners) with the smallest score.
Both stages are resumable parts (``<out>/parts/``); ``chosen.json`` records the winners,
the best combination, the cost cap and every score (``scores.csv`` with each candidate's
cost and eligibility).

Design: the six DGPs at the tuning sample sizes n = 100 and 800, B = 50 per condition,
KS at m = 10^5 draws (ranks need less precision than the reported KS: kstwo(10^5)'s mean,
0.0027, is below the differences that decide), seed 2201 (the reporting study uses 2202).
Wall time, estimated (the fused engine: ~55 GANs of 2,000 steps per second at n = 100 on
2 cores, linear in n and steps): about 20 minutes for stage 1, 10 for stage 2 on an idle
machine (the committed run's time, on a machine shared with other work, is in its
run.json).  Writes
replications.csv.gz, summary.csv, scores.csv, chosen.json and run.json, by default into
results/generators_tuning/.

    python -m gansim generators_tuning --n-jobs 2 --no-progress   # the full tuning
    python -m gansim generators_tuning --quick --out /tmp/gt      # a smoke run (seconds)
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from gansim._files import write_csv, write_run_record, write_text
from gansim.gan.config import GANConfig
from gansim.studies._common import (
    add_device_argument,
    m_arg,
    n_arg,
    run_options,
    scale_arg,
    steps_arg,
)
from gansim.study.core import Study, run_study
from gansim.study.design import condition_grid
from gansim.study.methods import GAN, EmpiricalCDF
from gansim.summary.simsum import summarise

__all__ = ["CANDIDATES", "COST_CAP", "COST_N", "DEFAULTS", "DESCRIPTION", "FAMILIES",
           "RATE", "add_arguments", "base_config", "build_stage", "combine", "cost", "main",
           "priced", "scores", "train_seconds"]

DESCRIPTION = __doc__
DEFAULTS = {"seed": 2201, "out": "results/generators_tuning"}

DGPS = ("normal", "t", "lognormal", "mixture", "gamma", "uniform")
NS = (100, 800)
B = 50
M = 100_000
#: The reporting study's largest n, at which a candidate's training cost is priced.
COST_N = 3200
#: Most training cost at :data:`COST_N`, relative to the default recipe's, of a candidate
#: the reporting study may use: above it, one candidate's GANs at n = 3,200 alone would take
#: more than an hour of its 2-core budget.
COST_CAP = 8.0
#: The engine the GANs train with (CPU, the fastest there).
ENGINE = "fused"

#: Every stage-1 candidate: label -> the options it sets on the default recipe.
CANDIDATES: dict[str, dict] = {
    "pareto_hill": dict(latent="pareto", latent_tail="hill"),
    "pareto_2": dict(latent="pareto", latent_tail=2.0),
    "pareto_3": dict(latent="pareto", latent_tail=3.0),
    "pareto_5": dict(latent="pareto", latent_tail=5.0),
    "mix_k2_s6": dict(latent_components=2, latent_separation=6.0),
    "mix_k4_s6": dict(latent_components=4, latent_separation=6.0),
    "mix_k8_s6": dict(latent_components=8, latent_separation=6.0),
    "mix_k2_s3": dict(latent_components=2, latent_separation=3.0),
    "mix_k2_s9": dict(latent_components=2, latent_separation=9.0),
    "grow_s025": dict(steps_power=0.25),
    "grow_s05": dict(steps_power=0.5),
    "grow_s05_w025": dict(steps_power=0.5, width_power=0.25),
}
#: The option families: each candidate's family is its label's prefix.
FAMILIES = ("pareto", "mix", "grow")


def base_config(steps: int = 2000, engine: str = ENGINE) -> GANConfig:
    """The default recipe as the studies train it: standardised data, Philox noise."""
    return GANConfig(steps=steps, standardize=True, engine=engine, noise="philox")


def combine(*options: dict) -> dict:
    """The union of candidates' options (they set disjoint fields).

    Examples
    --------
    >>> combine(CANDIDATES["pareto_hill"], CANDIDATES["grow_s05"])
    {'latent': 'pareto', 'latent_tail': 'hill', 'steps_power': 0.5}
    """
    out: dict = {}
    for opt in options:
        clash = set(out) & set(opt)
        if clash:
            raise ValueError(f"the options overlap in {sorted(clash)}")
        out.update(opt)
    return out


def build_stage(methods: dict[str, dict], *, dgps=DGPS, ns=NS, scale: float = 1.0,
                m: int = M, steps: int = 2000, engine: str = ENGINE,
                device: str = "cpu") -> Study:
    """One stage: F_n, the default recipe (``gan``) and a GAN per entry of ``methods``
    (label -> options on the default recipe), B = :data:`B` x ``scale`` (at least 2)."""
    if not (isinstance(scale, int | float) and math.isfinite(scale) and scale > 0):
        raise ValueError(f"`scale` must be a positive number, got {scale!r}.")
    if device != "cpu" and engine == "fused":
        engine = "torch"   # the fused engine is the CPU's (the numbers differ by rounding)
    base = base_config(steps, engine)
    gans = [GAN(base, label="gan")] + [GAN(replace(base, **opt), label=label)
                                       for label, opt in methods.items()]
    design = condition_grid(max(2, round(B * scale)), dgp=list(dgps), n=[int(n) for n in ns])
    return Study([EmpiricalCDF(), *gans], design=design, m=m, functionals=(),
                 distances=("ks",), block_size=10, device=device, name="generators_tuning")


def scores(summary: pd.DataFrame) -> pd.DataFrame:
    """Each GAN's score: the mean over the (dgp, n) cells of log(mean KS / the default
    recipe's mean KS), with the number of cells; smallest first.

    Examples
    --------
    >>> s = pd.DataFrame({"dgp": "x", "n": [100, 100], "method": ["gan", "a"],
    ...                   "quantity": "ks", "stat": "mean", "est": [0.1, 0.05]})
    >>> round(float(scores(s).set_index("method").score["a"]), 4)
    -0.6931
    """
    ks = summary[(summary.quantity == "ks") & (summary.stat == "mean")]
    wide = ks.pivot_table(index=["dgp", "n"], columns="method", values="est")
    logs = np.log(wide.drop(columns=["ecdf"], errors="ignore").div(wide["gan"], axis=0))
    out = pd.DataFrame({"score": logs.mean(), "cells": logs.notna().sum()})
    return out.drop(index="gan").sort_values("score").rename_axis("method").reset_index()


def cost(options: dict, n: int = COST_N) -> float:
    """Training cost of a candidate at sample size ``n``, relative to the default recipe's
    at the same n: its steps ratio times its hidden width ratio squared (the fused engine's
    cost is linear in steps and about quadratic in width).

    Examples
    --------
    >>> cost({}), round(cost(CANDIDATES["grow_s05"]), 2)
    (1.0, 5.66)
    >>> round(cost(CANDIDATES["grow_s05_w025"]), 1)  # widths are rounded to integers
    31.9
    """
    base = base_config()
    mine, ref = replace(base, **options).at_n(n), base.at_n(n)
    return (mine.steps / ref.steps) * (max(mine.g_hidden) / max(ref.g_hidden)) ** 2


#: GANs of the default recipe (2,000 steps, width 16) the fused engine trains per second at
#: n = 100 on 2 cores: the proof of concept's committed run trained 10,000 of them (each with
#: its 10,000 draws and KS) in 173 s, and a direct timing agrees. The shipped studies'
#: ``plan()`` functions price their GANs with it (:func:`train_seconds`).
RATE = 55.0


def train_seconds(options: dict, n: int, rate: float = RATE) -> float:
    """Seconds on 2 cores to train one GAN of the default recipe with ``options`` at sample
    size ``n``: ``(n / 100) · cost(options, n) / rate`` (a GAN's cost is linear in n, and
    :func:`cost` prices its steps and widths at n against the default's).

    Examples
    --------
    >>> round(train_seconds({}, 100), 4), round(train_seconds({}, 3200) / train_seconds({}, 100))
    (0.0182, 32)
    >>> round(train_seconds(CANDIDATES["grow_s05"], 3200) / train_seconds({}, 3200), 2)
    5.66
    """
    return (n / 100) * cost(options, n) / rate


def priced(table: pd.DataFrame, options: dict[str, dict]) -> pd.DataFrame:
    """``table`` (:func:`scores`) with each candidate's :func:`cost` at :data:`COST_N` and
    whether it is within :data:`COST_CAP` (``eligible``)."""
    out = table.copy()
    out["cost"] = [round(cost(options[m]), 3) for m in out.method]
    out["eligible"] = out["cost"] <= COST_CAP
    return out


def _winners(table: pd.DataFrame) -> dict[str, str]:
    """Per family, the eligible candidate with the smallest score (``table`` is sorted)."""
    ok = table[table.eligible]
    return {fam: ok[ok.method.str.startswith(fam + "_")].iloc[0].method
            for fam in FAMILIES if ok.method.str.startswith(fam + "_").any()}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The study's own options."""
    parser.add_argument("--scale", type=scale_arg(B), default=1.0,
                        help=f"multiply B (default {B}) by this")
    parser.add_argument("--ns", type=n_arg, nargs="+", default=list(NS), help="sample sizes")
    parser.add_argument("--dgps", nargs="+", default=list(DGPS), help="DGP registry names")
    parser.add_argument("--m", type=m_arg, default=M,
                        help="draws per method and replication (default: %(default)s)")
    parser.add_argument("--steps", type=steps_arg, default=2000,
                        help="training steps of every GAN before any growth "
                             "(default: %(default)s)")
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run: 2 DGPs, n = 30, B = 4, m = 2,000, 30 steps, one "
                             "candidate per family")
    add_device_argument(parser)


def _quick(args) -> None:
    args.dgps, args.ns, args.scale, args.m, args.steps = ["t", "mixture"], [30], 0.08, 2000, 30


def main(args: argparse.Namespace) -> str:
    """Stage 1, then stage 2 on its winners; writes the scores and ``chosen.json``."""
    candidates = dict(CANDIDATES)
    if args.quick:
        _quick(args)
        candidates = {k: CANDIDATES[k] for k in ("pareto_hill", "mix_k2_s6", "grow_s05")}
    out = Path(args.out)
    common = dict(dgps=args.dgps, ns=args.ns, scale=args.scale, m=args.m, steps=args.steps,
                  device=getattr(args, "device", "cpu"))
    res1 = run_study(build_stage(candidates, **common),
                     **run_options(args, out_dir=out / "parts" / "stage1"))
    sum1 = summarise(res1.tidy, by=["dgp", "n"])
    table1 = priced(scores(sum1), candidates)
    win = _winners(table1)
    combos = {}
    labels = [win[f] for f in FAMILIES if f in win]
    for size in (2, 3):
        for idx in _subsets(len(labels), size):
            chosen = [labels[i] for i in idx]
            combos["+".join(chosen)] = combine(*(candidates[c] for c in chosen))
    res2 = run_study(build_stage(combos, **common),
                     **run_options(args, out_dir=out / "parts" / "stage2"))
    sum2 = summarise(res2.tidy, by=["dgp", "n"])
    table2 = priced(scores(sum2), combos)
    finalists = pd.concat([table1[table1.method.isin(labels)], table2]).sort_values("score")
    finalists = finalists[finalists.eligible]
    best = finalists.iloc[0].method
    options = {**candidates, **combos}
    chosen = {"winners": {f: {"label": w, "options": candidates[w]} for f, w in win.items()},
              "best": {"label": best, "options": options[best]},
              "scores": {"stage1": table1.to_dict(orient="records"),
                         "stage2": table2.to_dict(orient="records")},
              "cost_cap": {"n": COST_N, "cap": COST_CAP},
              "seed": args.seed, "dgps": list(args.dgps), "ns": list(args.ns),
              "m": args.m, "steps": args.steps}
    write_csv(pd.concat([res1.tidy.assign(stage=1), res2.tidy.assign(stage=2)]),
              out / "replications.csv.gz")
    write_csv(pd.concat([sum1.assign(stage=1), sum2.assign(stage=2)]), out / "summary.csv")
    write_csv(pd.concat([table1.assign(stage=1), table2.assign(stage=2)]), out / "scores.csv")
    write_text(out / "chosen.json", json.dumps(chosen, indent=2) + "\n")
    wall = round(res1.wall_time + res2.wall_time, 1)
    write_run_record(out / "run.json", seed=args.seed, n_jobs=args.n_jobs,
                     started=args.started, wall_time_s=wall,
                     settings={"stage1": res1.study.settings(),
                               "stage2": res2.study.settings()})
    return f"best: {best}; wall time {wall} s; results in {out}/"


def _subsets(k: int, size: int) -> list[tuple[int, ...]]:
    from itertools import combinations

    return list(combinations(range(k), size))
