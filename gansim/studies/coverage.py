"""The coverage study: can T(F*_n) be used for inference?

On the same simulated data sets, the GAN's intervals for the mean, median, sd, q0.1 and q0.9
(:class:`gansim.GANEstimator`) against the classical intervals a statistician would compute
on the data (:mod:`gansim.inference.intervals`), over five DGPs and n = 25 ... 400.  Coverage,
width and
their MCSEs come from :func:`gansim.summarise`.  The work is split into parts, each its own
resumable study in its own folder under ``--out``, committed as it completes:

- ``wald``: the full grid (5 DGPs x 5 n, B = 500): the GAN's Wald interval beside the t
  interval (the mean), Efron's bootstrap percentile and BCa and the shrunk smoothed
  bootstrap percentile (R = 1,000 resamples each);
- ``boot``: the GAN bootstrap (percentile, basic, BCa; R = 200 GANs per data set, each
  warm-started from the fitted GAN and trained 300 steps) on a subset (5 DGPs x n in {25,
  100}, B = 500);
- ``check``: on a small subset (N(0, 1), the lognormal and the mixture, n in {25, 100},
  B = 50),
  warm-started bootstrap GANs against bootstrap GANs trained
  from scratch (the full 2,000 steps) on the same data and fits, and the parametric GAN
  bootstrap;
- ``scratch``: the GAN bootstrap with bootstrap GANs trained from scratch (2,000 steps) on
  the mixture, n in {25, 100}, B = 500, where the warm start fails (part ``check``);
- ``recipes``: the training recipe as a factor of the Wald part: the GAN's Wald interval for
  the default recipe, the large budget (width 32, 8,000 steps) and the tuned best recipe
  (the ``best`` of ``--tuned``, the chosen.json of ``python -m gansim generators_tuning``),
  with Efron's BCa beside them (the wald part's, on the same resamples), on the Wald grid
  with B = 200 (the large budget trains 16 times the default's GAN per data set; at
  B = 200 a coverage's MCSE is about 0.015 at 0.95, and the band 0.95 ± 0.030);
- ``scratch_best``: the GAN bootstrap (percentile, basic, BCa) with R = 200 bootstrap GANs
  each trained from scratch, for the default and the best recipe, on t3, the lognormal and
  the gamma(2) at n = 100, B = 200;
- ``report``: the parts' summaries side by side (``summary.csv``, ``coverage.md``,
  ``coverage.png``, ``wald_diagnosis.csv``, ``warm_vs_scratch.csv``,
  ``recipes_diagnosis.csv``); the README and ``paired.md`` beside them are rendered from
  the committed files by ``python -m gansim report coverage``
  (:mod:`gansim.render.coverage`, with the tables of this module).

The three recipes of ``recipes`` and ``scratch_best`` train as the generators studies train
(standardised data, the fused engine, counter-based Philox latent noise, which the Pareto
and mixture latents need); the parts before them keep the latent noise they were computed
with (``noise="generator"``, :data:`NOISE`), so their ``default`` recipe is the same recipe
with other latent draws.

Every part uses the same seed and condition ids, so a data set (and the GAN fitted to it) is
the same in every part: the comparisons between parts are paired.

Each part writes its tidy replications, summary, table.md and run.json into ``--out``/PART (by
default under results/coverage/, the committed files); at the defaults, on 2 cores, ``wald``
took 24 minutes, ``boot`` 31, ``check`` 15, ``scratch`` 30, ``scratch_best`` 91 (their
run.json), and ``report`` takes seconds.  Estimated by :func:`plan`
(``--plan`` prints it for the chosen recipe) from stated figures (55 GANs of 2,000 steps at
width 16 per second at n = 100 on 2 cores, as measured, linear in n and steps, quadratic in
width; 44 per second where each data set's 200 bootstrap GANs train from scratch, as
``scratch_best`` took; 0.09 s per replication and recipe for a fitted GAN's draws and Wald
SEs; 0.02 s per data set and recipe for the R = 200 bootstrap GANs' draws and functionals,
both the residuals of the committed parts' wall times): ``recipes`` about 66 minutes,
``scratch_best`` about 92 (with the untuned stand-in for the best recipe, whose cost the
tuned one shares; a best recipe whose budget grows faster with n costs more in
``recipes``).  Every part resumes block by block (8
replications of a condition), so an interruption loses at most the blocks in progress.

    python -m gansim coverage --part wald     # then boot, check, scratch, report
    python -m gansim coverage --part recipes --n-jobs 2 --no-progress   # then scratch_best
    python -m gansim coverage --part wald --scale 0.02 --steps 200 --out /tmp/cov  # a look
    python -m gansim coverage --part recipes --quick --out /tmp/cov   # a smoke run
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import replace
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from gansim._files import write_csv, write_figure, write_run_record, write_text
from gansim._validation import Integer, Real, validate_params
from gansim.gan.config import GANConfig
from gansim.inference.estimator import GANEstimator
from gansim.inference.intervals import interval_method
from gansim.studies._common import add_gan_arguments, run_options, scale_arg, steps_arg, width_arg
from gansim.studies.generators import UNTUNED, gan_options
from gansim.studies.generators_tuning import RATE, base_config, train_seconds
from gansim.study.core import Study, StudyResult, run_study
from gansim.study.design import condition_grid
from gansim.study.dgp import make_dgp
from gansim.study.functionals import FUNCTIONALS
from gansim.study.methods import FunctionMethod
from gansim.summary import rules
from gansim.summary.simsum import summarise
from gansim.summary.tables import summary_table
from gansim.summary.text import md_table, num, num_range, paragraph, signed

__all__ = ["DEFAULTS", "DESCRIPTION", "NEW_PARTS", "PARTS", "RECIPES", "add_arguments",
           "build_study", "label_part", "main", "part_summary", "plan", "recipe_configs",
           "recipes_diagnosis", "recipes_record", "write_part", "write_report"]

DESCRIPTION = __doc__
#: Seed 11 is used by no other committed study: the GAN's recipe was tuned on other seeds
#: (results/recipe, seed 2020) and on N(0, 1) at n = 100 only.
DEFAULTS = {"seed": 11, "out": "results/coverage"}
PARTS = ("wald", "boot", "check", "scratch", "recipes", "scratch_best", "report")
#: The parts with the training recipe as a factor (see the module's description).
NEW_PARTS = ("recipes", "scratch_best")
#: The recipes of those parts: the default, the large budget, the tuned best.
RECIPES = ("default", "large", "best")
LEVEL = 0.95
FUNCS = tuple(FUNCTIONALS)
#: DGP factor levels -> objects: gansim's four and the gamma(2), on which nothing was tuned.
DGPS = {"normal": make_dgp("normal"), "t": make_dgp("t"), "lognormal": make_dgp("lognormal"),
        "mixture": make_dgp("mixture"), "gamma": stats.gamma(2.0)}
NS = (25, 50, 100, 200, 400)
#: Each part's grid: DGPs, sample sizes, B.
GRIDS = {"wald": (tuple(DGPS), NS, 500), "boot": (tuple(DGPS), (25, 100), 500),
         "check": (("normal", "lognormal", "mixture"), (25, 100), 50),
         "scratch": (("mixture",), (25, 100), 500),
         # B = 200: the large budget's 16-fold training per data set, and R = 200 GANs
         # from scratch per data set and recipe, cost about an hour each (plan()).
         "recipes": (tuple(DGPS), NS, 200),
         "scratch_best": (("t", "lognormal", "gamma"), (100,), 200)}
#: Draws representing each fitted GAN (bootstrap GANs: min(M, max(10,000, 50 n))).
M = 20_000
#: Bootstrap resamples of the classical intervals and GANs of the GAN bootstrap.
R_CLASSICAL, R_GAN = 1000, 200
#: Training steps of a warm-started bootstrap GAN (from the fitted one).
WARM_STEPS = 300
#: The large budget of part ``recipes``: training steps and hidden width (both networks).
STEPS_LARGE, WIDTH_LARGE = 8000, 32
#: Replications per block: the GAN interval methods of a block share their fits (the
#: estimator keeps its last 8), so blocks must not be larger.
BLOCK = 8


def _gan(interval: str, config: GANConfig, *, bootstrap_steps: int | None = WARM_STEPS,
         bootstrap: str = "nonparametric", label: str | None = None,
         device: str = "cpu") -> FunctionMethod:
    est = GANEstimator(config, m=M, bootstrap_steps=bootstrap_steps, device=device)
    fn = est.as_method(list(FUNCS), interval, level=LEVEL, R=R_GAN, bootstrap=bootstrap)
    # stream=None: every GAN method fits from the replication's own stream, so they fit the
    # same GAN (and, with equal settings, share it) in every part of the study.
    return FunctionMethod(fn, label=label, stream=None)


def _classical(interval: str, smooth=None) -> FunctionMethod:
    funcs = ["mean"] if interval == "t" else list(FUNCS)
    # stream=None: percentile and BCa (and the smoothed bootstrap) see the same resamples.
    return FunctionMethod(interval_method(interval, funcs, level=LEVEL, R=R_CLASSICAL,
                                          smooth=smooth), stream=None)


#: The latent noise it was computed with (it predates the counter-based default): kept so the
#: committed numbers reproduce; noise="philox" gives different draws from the same
#: distribution.
NOISE = "generator"


def recipe_configs(best: dict, *, steps: int = GANConfig.steps, steps_large: int = STEPS_LARGE,
                   width_large: int = WIDTH_LARGE, device: str = "cpu") -> dict[str, GANConfig]:
    """The recipes of the parts ``recipes`` and ``scratch_best``, as the generators studies
    train them (:func:`gansim.studies.generators_tuning.base_config`: standardised data,
    Philox noise; the fused engine on the CPU, the PyTorch one on a GPU): ``default`` with
    ``steps`` steps, ``large`` with ``steps_large`` steps and hidden width ``width_large``,
    ``best`` the default with the options ``best`` (GANConfig fields, e.g. the ``options``
    of the tuning's best combination).

    Examples
    --------
    >>> r = recipe_configs({"latent": "pareto"})
    >>> r["large"].steps, r["large"].g_hidden, r["best"].latent, r["default"].noise
    (8000, (32, 32), 'pareto', 'philox')
    """
    if not isinstance(best, dict):
        raise ValueError(f"`best` must be a dict of GANConfig fields, got {best!r}.")
    base = base_config(steps, "fused" if device == "cpu" else "torch")
    return {"default": base,
            "large": replace(base, steps=steps_large, g_hidden=(width_large,) * 2,
                             d_hidden=(width_large,) * 2),
            "best": replace(base, **best)}


def methods(part: str, steps: int = GANConfig.steps, device: str = "cpu", *,
            best: dict | None = None, steps_large: int = STEPS_LARGE,
            width_large: int = WIDTH_LARGE) -> list:
    """The methods of one part (see the module's description); the GANs on ``device``;
    ``best``, ``steps_large`` and ``width_large`` are the recipes of the parts ``recipes``
    and ``scratch_best`` (:func:`recipe_configs`)."""
    gan = partial(_gan, device=device)
    if part in NEW_PARTS:
        if best is None:
            raise ValueError(f"part {part!r} needs the best recipe's options (`best`): the "
                             "options of chosen.json's best, or UNTUNED's for a smoke run.")
        recipes = recipe_configs(best, steps=steps, steps_large=steps_large,
                                 width_large=width_large, device=device)
        if part == "recipes":
            # stream=None (in _gan and _classical): the same fit seed for every recipe, and
            # boot_bca sees the wald part's resamples, so its intervals are the wald part's.
            return [*(gan("wald", recipes[r], label=f"gan_wald_{r}") for r in RECIPES),
                    _classical("bca")]
        return [gan(k, recipes[r], bootstrap_steps=None, label=f"gan_scratch_{k}_{r}")
                for r in ("default", "best") for k in ("percentile", "basic", "bca")]
    config = GANConfig(steps=steps, noise=NOISE)
    if part == "wald":
        return [gan("wald", config), _classical("t"), _classical("percentile"),
                _classical("bca"), _classical("percentile", smooth="nrd0")]
    if part == "boot":
        return [gan(k, config) for k in ("percentile", "basic", "bca")]
    if part == "scratch":
        return [gan(k, config, bootstrap_steps=None, label=f"gan_scratch_{k}")
                for k in ("percentile", "basic", "bca")]
    if part == "check":
        return [gan("percentile", config), gan("basic", config),
                gan("percentile", config, bootstrap_steps=None,
                    label="gan_percentile_scratch"),
                gan("basic", config, bootstrap_steps=None, label="gan_basic_scratch"),
                gan("percentile", config, bootstrap="parametric",
                    label="gan_percentile_parametric")]
    raise ValueError(f"`part` must be one of {', '.join(map(repr, PARTS[:-1]))}; got {part!r}.")


def build_study(part: str, *, scale: float = 1.0, steps: int = GANConfig.steps,
                device: str = "cpu", best: dict | None = None,
                steps_large: int = STEPS_LARGE, width_large: int = WIDTH_LARGE) -> Study:
    """One part of the coverage study as a :class:`~gansim.study.core.Study`.

    Parameters
    ----------
    part : str
        ``"wald"``, ``"boot"``, ``"check"``, ``"scratch"``, ``"recipes"`` or
        ``"scratch_best"``.
    scale : float
        Multiplies B (> 0; at least 2 replications): a quick look with a small scale.
    steps : int
        Training steps of the fitted GANs (bootstrap GANs from scratch too; the default and
        best recipes of the new parts).
    device : str
        Torch device of the GANs' training (``"cpu"``, ``"cuda"``, ``"cuda:<index>"``).
    best : dict, optional
        The best recipe's options (GANConfig fields), needed by ``"recipes"`` and
        ``"scratch_best"``.
    steps_large, width_large : int
        The large budget of ``"recipes"``.

    Examples
    --------
    >>> s = build_study("boot", scale=0.01)
    >>> len(s.conditions), s.conditions[0].replications, [m.label for m in s.methods]
    (10, 5, ['gan_percentile', 'gan_basic', 'gan_bca'])
    >>> s = build_study("recipes", scale=0.01, best=UNTUNED["best"]["options"])
    >>> len(s.conditions), s.conditions[0].replications, [m.label for m in s.methods]
    (25, 2, ['gan_wald_default', 'gan_wald_large', 'gan_wald_best', 'boot_bca'])
    """
    meths = methods(part, steps, device, best=best, steps_large=steps_large,
                    width_large=width_large)
    if not (isinstance(scale, int | float) and np.isfinite(scale) and scale > 0):
        raise ValueError(f"`scale` must be a positive number, got {scale!r}.")
    dgps, ns, B = GRIDS[part]
    design = condition_grid(max(2, round(B * scale)), dgp=list(dgps), n=list(ns))
    return Study(meths, dgp=DGPS, design=design, m=M, functionals=list(FUNCS), distances=[],
                 block_size=BLOCK, device=device, name=f"coverage-{part}")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The coverage study's own options."""
    parser.add_argument("--part", choices=PARTS, required=True,
                        help="which part to run (each resumable, in OUT/PART)")
    parser.add_argument("--scale", type=scale_arg(max(g[2] for g in GRIDS.values())),
                        default=1.0,
                        help="multiply every B by this (a quick look; default 1)")
    add_gan_arguments(
        parser, steps_help="training steps of the fitted GANs (default: %(default)s)")
    new = parser.add_argument_group("the parts recipes and scratch_best")
    new.add_argument("--tuned", default="results/generators_tuning/chosen.json",
                     help="the tuning study's chosen.json, whose best combination is the "
                          "best recipe (default: %(default)s)")
    new.add_argument("--untuned", action="store_true",
                     help="use the stated untuned settings (generators.UNTUNED) as the best "
                          "recipe instead of --tuned: for smoke runs, not for reporting")
    new.add_argument("--steps-large", type=steps_arg, default=STEPS_LARGE,
                     help="training steps of the large budget (default: %(default)s)")
    new.add_argument("--width-large", type=width_arg, default=WIDTH_LARGE,
                     help="hidden width of the large budget (default: %(default)s)")
    new.add_argument("--plan", action="store_true",
                     help="print the part's estimated wall time (plan()) and run nothing")
    new.add_argument("--quick", action="store_true",
                     help="a smoke run: --untuned, --scale 0.01, 30 steps (60 at width 8 for "
                          "the large budget)")


def _chosen(args) -> tuple[dict, str]:
    """The tuning's chosen settings and where they came from."""
    if args.untuned:
        return UNTUNED, "untuned (generators.UNTUNED)"
    path = Path(args.tuned)
    if not path.is_file():
        raise ValueError(f"no tuning results at {str(path)!r}: run `python -m gansim "
                         "generators_tuning` first (or pass --tuned PATH; --untuned for a "
                         "smoke run)")
    return json.loads(path.read_text()), str(path)


def main(args: argparse.Namespace) -> str:
    """Run one part (or the report) from parsed options; the text to print."""
    out = Path(args.out)
    if getattr(args, "quick", False):
        args.untuned, args.scale, args.steps = True, 0.01, 30
        args.steps_large, args.width_large = 60, 8
    if args.part == "report":
        write_report(out)
        return f"report in {out}/coverage.md"
    best, record = None, None
    if args.part in NEW_PARTS:
        chosen, source = _chosen(args)
        best = gan_options(chosen)["gan_best"]
        record = recipes_record(chosen, source, steps=args.steps, steps_large=args.steps_large,
                                width_large=args.width_large,
                                device=getattr(args, "device", "cpu"))
        if args.plan:
            p = plan(best, scale=args.scale, steps=args.steps, steps_large=args.steps_large,
                     width_large=args.width_large)
            p = p[p["part"] == args.part]
            minutes = p["total_s"].sum() / 60
            return (p.to_string(index=False)
                    + f"\nestimated wall time {minutes:.0f} minutes on 2 cores")
    elif getattr(args, "plan", False):
        raise ValueError(f"--plan estimates the parts {' and '.join(NEW_PARTS)}; part "
                         f"{args.part!r} took what its run.json records.")
    study = build_study(args.part, scale=args.scale, steps=args.steps,
                        device=getattr(args, "device", "cpu"), best=best,
                        steps_large=getattr(args, "steps_large", STEPS_LARGE),
                        width_large=getattr(args, "width_large", WIDTH_LARGE))
    result = run_study(study, **run_options(args, out_dir=out / args.part))
    write_part(out / args.part, result, n_jobs=args.n_jobs, started=args.started,
               recipes=record)
    return f"wall time {result.wall_time:.1f} s; results in {out / args.part}/"


def recipes_record(chosen: dict, source: str, *, steps: int = GANConfig.steps,
                   steps_large: int = STEPS_LARGE, width_large: int = WIDTH_LARGE,
                   device: str = "cpu") -> dict:
    """What ``recipes.json`` records of the recipes of a new part: where the best recipe
    came from, its label and options, and each recipe's GANConfig (its fields apart from
    the defaults that :meth:`GANConfig.to_dict` leaves out).

    Examples
    --------
    >>> r = recipes_record(UNTUNED, "untuned")
    >>> r["best_label"], r["configs"]["large"]["steps"]
    ('pareto_hill+mix_k2_s6+grow_s05', 8000)
    """
    best = gan_options(chosen)["gan_best"]
    configs = recipe_configs(best, steps=steps, steps_large=steps_large,
                             width_large=width_large, device=device)
    return {"source": source, "best_label": str(chosen.get("best", {}).get("label", "")),
            "best_options": best,
            "configs": {k: json.loads(json.dumps(v.to_dict(), default=str))
                        for k, v in configs.items()}}


@validate_params(scale=Real(0, closed="neither"), steps=Integer(1), steps_large=Integer(1),
                 width_large=Integer(1), rate=Real(0, closed="neither"),
                 scratch_rate=Real(0, closed="neither"), wald_s=Real(0), boot_s=Real(0))
def plan(best: dict | None = None, *, scale: float = 1.0, steps: int = GANConfig.steps,
         steps_large: int = STEPS_LARGE, width_large: int = WIDTH_LARGE, rate: float = RATE,
         scratch_rate: float = 44.0, wald_s: float = 0.09,
         boot_s: float = 0.02) -> pd.DataFrame:
    """Estimated wall time on 2 cores, in seconds, of the parts ``recipes`` and
    ``scratch_best`` from stated figures.

    Each GAN is priced by :func:`gansim.studies.generators_tuning.train_seconds`: ``rate``
    GANs of the default recipe (2,000 steps, width 16) per second at n = 100 on 2 cores (the
    fused engine; :data:`~gansim.studies.generators_tuning.RATE`, measured), a GAN's cost
    linear in n and in its steps and quadratic in its width (a growing budget's steps and
    widths taken at n).  ``wald_s``: seconds per replication and recipe for everything but
    training in ``recipes`` (the fitted GAN's m = 20,000 draws and its Wald SEs, whose kernel
    density estimates are most of it): the wald part took 1,417 s for 12,500 replications,
    of which training its one GAN each accounts for 352 s at this rate, leaving about 0.09 s
    per replication, a figure that also paid for four classical intervals and so covers the
    one BCa here.  ``boot_s``: seconds per data set and recipe for the draws and functionals
    of the R = 200 bootstrap GANs in ``scratch_best``: the boot part took 1,869 s for 5,000
    data sets, of which training (the fitted GAN and 200 warm-started ones of 300 steps each)
    accounts for 1,761 s at this rate, leaving about 0.02 s each.  ``scratch_rate``: the
    ``rate`` of ``scratch_best``, where each data set's fitted GAN and its R = 200 bootstrap
    GANs train from scratch: that part took 5,460 s for 1,200 (data set, recipe) pairs of
    201 GANs each (the default recipe and the tuned best, at n = 100), about 44 GANs per
    second once the 0.02 s each is set aside, a fifth slower than ``rate``.  ``best``: the
    best recipe's options (default: the untuned stand-in, ``generators.UNTUNED``).

    Returns
    -------
    DataFrame
        One row per part: ``part, cells, B, train_s, other_s, total_s``.

    Examples
    --------
    >>> p = plan()
    >>> p[["part", "cells", "B"]].to_dict(orient="records")
    [{'part': 'recipes', 'cells': 25, 'B': 200}, {'part': 'scratch_best', 'cells': 3, 'B': 200}]
    >>> [round(t / 60) for t in p["total_s"]]
    [66, 92]
    """
    best = UNTUNED["best"]["options"] if best is None else best
    options = {"default": {"steps": steps},
               "large": {"steps": steps_large, "g_hidden": (width_large,) * 2,
                         "d_hidden": (width_large,) * 2},
               "best": {"steps": steps, **best}}
    rows = []
    for part in NEW_PARTS:
        dgps, ns, B = GRIDS[part]
        Bs = max(2, round(B * scale))
        tr = other = 0.0
        for n in ns:
            if part == "recipes":
                tr += len(dgps) * Bs * sum(train_seconds(options[r], n, rate)
                                           for r in RECIPES)
                other += len(dgps) * Bs * len(RECIPES) * wald_s
            else:
                tr += len(dgps) * Bs * sum((1 + R_GAN) * train_seconds(options[r], n,
                                                                       scratch_rate)
                                           for r in ("default", "best"))
                other += len(dgps) * Bs * 2 * boot_s
        rows.append({"part": part, "cells": len(dgps) * len(ns), "B": Bs,
                     "train_s": round(tr), "other_s": round(other),
                     "total_s": round(tr + other)})
    return pd.DataFrame(rows)


def part_summary(tidy: pd.DataFrame) -> pd.DataFrame:
    """A part's ``summary.csv`` from its tidy rows: bias, EmpSE, ModSE, the uncomputable
    intervals, coverage and width (with MCSEs) by DGP, n, method and functional."""
    rows = summarise(tidy, by=["dgp", "n"])
    return rows[rows["stat"].isin(["nsim", "bias", "empse", "modse", "ci_nmiss", "cover",
                                   "width"])]


def write_part(out_dir, result: StudyResult, *, n_jobs: int, started: str,
               recipes: dict | None = None) -> pd.DataFrame:
    """Write one part's tidy results (``replications.csv.gz``), ``summary.csv`` (bias,
    EmpSE, ModSE, coverage and width by DGP, n, method and functional), ``table.md`` and
    ``run.json`` (and ``recipes.json``, :func:`recipes_record`, when ``recipes`` is given);
    returns the summary."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if recipes is not None:
        write_text(out / "recipes.json", json.dumps(recipes, indent=2) + "\n")
    tidy = result.tidy
    summary = part_summary(tidy)
    write_csv(tidy, out / "replications.csv.gz")
    write_csv(summary, out / "summary.csv")
    write_text(out / "table.md", _tables(summary, result.study.name))
    failed = result.failures()
    write_run_record(
        out / "run.json", **result.cluster_record(), seed=result.seed, n_jobs=n_jobs,
        started=started, wall_time_s=round(result.wall_time, 1),
        conditions=result.conditions.to_dict(orient="records"),
        settings=result.study.settings(result.study.conditions[0]),
        n_failed=int(failed["rep"].nunique()),
        failed=failed[["condition", "rep", "seed", "spawn_key", "method", "error"]]
        .drop_duplicates().head(100).to_dict(orient="records"))
    return summary


def _tables(summary: pd.DataFrame, title: str) -> str:
    return tables(summary, title, LEVEL, FUNCS)


def label_part(method: str, part: str) -> str:
    """A method's label in the folder's summary: the ``check`` part's warm-started methods
    get ``_warm`` (the ``boot`` part has them on B = 500) and the ``recipes`` part's BCa
    ``_recipes`` (the ``wald`` part's on its first B data sets, at B = 500 there).

    Examples
    --------
    >>> label_part("gan_percentile", "check"), label_part("boot_bca", "recipes")
    ('gan_percentile_warm', 'boot_bca_recipes')
    >>> label_part("gan_percentile_scratch", "check"), label_part("boot_bca", "wald")
    ('gan_percentile_scratch', 'boot_bca')
    """
    if part == "check" and not method.endswith(("_scratch", "_parametric")):
        return method + "_warm"
    if part == "recipes" and not method.startswith("gan_"):
        return method + "_recipes"
    return method


def write_report(out_dir) -> pd.DataFrame:
    """The finished parts' summaries side by side: ``summary.csv``, ``coverage.md``
    (coverage and width by functional, DGP and n, one column per method of every part; the
    band counts; the Wald diagnosis; warm against scratch), ``wald_diagnosis.csv``,
    ``warm_vs_scratch.csv``, ``recipes_diagnosis.csv`` (the Wald diagnosis of each recipe of
    part ``recipes``, when it is there) and ``coverage.png`` (coverage against n, a panel per
    functional and DGP; without the BCa repeated in ``recipes`` and without
    ``scratch_best``'s single n)."""
    out = Path(out_dir)
    frames = []
    for p in PARTS[:-1]:
        if (out / p / "replications.csv.gz").exists():
            # Summarised afresh from the tidy rows, so every part's summary.csv and table.md
            # follow the current summarise (run.json still records the computing run).
            part = part_summary(pd.read_csv(out / p / "replications.csv.gz"))
            write_csv(part, out / p / "summary.csv")
            write_text(out / p / "table.md", _tables(part, f"coverage-{p}"))
            frames.append(part.assign(part=p))
    if not frames:
        raise FileNotFoundError(f"no finished part in {out}: run --part wald first.")
    summary = pd.concat(frames, ignore_index=True)
    # The check part repeats boot's warm-started methods on a subset, the recipes part the
    # wald part's BCa: label them apart.
    summary["method"] = [label_part(m, p) for m, p in zip(summary["method"], summary["part"],
                                                            strict=True)]
    summary = summary.drop(columns="part")
    write_csv(summary, out / "summary.csv")
    diag = None
    if (summary["method"] == "gan_wald").any():
        diag = wald_diagnosis(summary)
        write_csv(diag, out / "wald_diagnosis.csv")
    warm = None
    if (out / "check" / "replications.csv.gz").exists():
        warm = warm_vs_scratch(pd.read_csv(out / "check" / "replications.csv.gz"))
        write_csv(warm, out / "warm_vs_scratch.csv")
    if (out / "recipes" / "replications.csv.gz").exists():
        write_csv(recipes_diagnosis(summary), out / "recipes_diagnosis.csv")
    write_text(out / "coverage.md", coverage_md(summary, diag, warm, LEVEL, FUNCS))
    cover = summary[summary["stat"] == "cover"]
    # scratch_best has one n (a point, not a line) and recipes' BCa repeats the wald part's.
    cover = cover[~cover["method"].str.fullmatch(r"gan_scratch_\w+_(default|best)")
                  & (cover["method"] != "boot_bca_recipes")]
    write_figure(out / "coverage.png", _cover_figure(cover))
    return summary


def recipes_diagnosis(summary: pd.DataFrame) -> pd.DataFrame:
    """:func:`wald_diagnosis` of each recipe's Wald interval of part ``recipes`` (B = 200;
    EmpSE(T(F_n)) from the wald part's ``boot_percentile``, B = 500), with a ``recipe``
    column first."""
    frames = [wald_diagnosis(summary, gan=f"gan_wald_{r}").assign(recipe=r) for r in RECIPES
              if (summary["method"] == f"gan_wald_{r}").any()]
    out = pd.concat(frames, ignore_index=True)
    return out[["recipe", *[c for c in out.columns if c != "recipe"]]]


def wald_diagnosis(summary: pd.DataFrame, gan: str = "gan_wald",
                   plugin: str = "boot_percentile") -> pd.DataFrame:
    """Why the GAN's Wald interval misses: per DGP, n and functional, its coverage, the bias
    of T(F*) in units of its EmpSE, its ModSE / EmpSE (the SE at sample size n against the
    actual spread of T(F*)) and EmpSE(T(F*)) / EmpSE(T(F_n)) (``plugin``'s estimate is the
    plug-in T(F_n)).  EmpSE and bias use the spread across replications: *references*,
    not something an analyst can compute.

    Returns
    -------
    DataFrame
        Columns ``dgp, n, quantity, cover, cover_mcse, bias_over_empse, modse_over_empse,
        empse_ratio``.
    """
    g = summary[summary["method"] == gan].pivot_table(index=["dgp", "n", "quantity"],
                                                       columns="stat", values="est")
    c = summary[(summary["method"] == gan) & (summary["stat"] == "cover")].set_index(
        ["dgp", "n", "quantity"])["mcse"]
    e = summary[(summary["method"] == plugin) & (summary["stat"] == "empse")].set_index(
        ["dgp", "n", "quantity"])["est"]
    out = pd.DataFrame({"cover": g["cover"], "cover_mcse": c,
                        "bias_over_empse": g["bias"] / g["empse"],
                        "modse_over_empse": g["modse"] / g["empse"],
                        "empse_ratio": g["empse"] / e})
    return out.reset_index()


def warm_vs_scratch(tidy: pd.DataFrame, kinds=("percentile", "basic")) -> pd.DataFrame:
    """Warm-started against from-scratch bootstrap GANs on the same data and fitted GAN
    (part ``check``), paired per data set: the mean log ratio of the interval widths and the
    mean shift of the interval's centre in units of the scratch width, each with its MCSE
    (sd / sqrt(B)), by DGP, n, functional and interval.

    Returns
    -------
    DataFrame
        Columns ``dgp, n, quantity, interval, B, log_width_ratio, log_width_ratio_mcse,
        centre_shift, centre_shift_mcse``.
    """
    ok = tidy[tidy["status"] == "ok"]
    rows = []
    for kind in kinds:
        w = ok[ok["method"] == f"gan_{kind}"].set_index(["dgp", "n", "quantity", "rep"])
        s = ok[ok["method"] == f"gan_{kind}_scratch"].set_index(["dgp", "n", "quantity", "rep"])
        both = w[["lower", "upper"]].join(s[["lower", "upper"]].add_suffix("_s"), how="inner")
        both = both.dropna()
        ws = both["upper_s"] - both["lower_s"]
        both["lr"] = np.log((both["upper"] - both["lower"]) / ws)
        both["shift"] = ((both["upper"] + both["lower"]) - (both["upper_s"] + both["lower_s"])
                         ) / (2 * ws)
        for key, g in both.groupby(level=["dgp", "n", "quantity"], sort=False):
            B = len(g)
            rows.append((*key, kind, B, g["lr"].mean(), g["lr"].std(ddof=1) / np.sqrt(B),
                         g["shift"].mean(), g["shift"].std(ddof=1) / np.sqrt(B)))
    return pd.DataFrame(rows, columns=["dgp", "n", "quantity", "interval", "B",
                                       "log_width_ratio", "log_width_ratio_mcse",
                                       "centre_shift", "centre_shift_mcse"])


def _cover_figure(cover: pd.DataFrame):
    import matplotlib.pyplot as plt

    dgps = list(dict.fromkeys(cover["dgp"]))
    fig, axes = plt.subplots(len(FUNCS), len(dgps), figsize=(3.0 * len(dgps), 2.4 * len(FUNCS)),
                             sharex=True, sharey=True, squeeze=False)
    meths = list(dict.fromkeys(cover["method"]))
    # tab10 first (distinct hues for the main methods), then tab20's lighter shades.
    palette = [*plt.cm.tab10.colors, *plt.cm.tab20.colors[1::2]]
    colours = {m: palette[i % len(palette)] for i, m in enumerate(meths)}
    # Past the palette's length colours repeat: another marker tells those methods apart.
    markers = {m: "osD^v"[i // len(palette) % 5] for i, m in enumerate(meths)}
    for i, q in enumerate(FUNCS):
        for j, d in enumerate(dgps):
            ax = axes[i, j]
            ax.axhline(LEVEL, color="0.5", lw=0.8)
            sub = cover[(cover["quantity"] == q) & (cover["dgp"] == d)]
            for meth, g in sub.groupby("method", sort=False):
                g = g.sort_values("n")
                ax.errorbar(g["n"], g["est"], yerr=1.96 * g["mcse"], marker=markers[meth], ms=3,
                            lw=1, capsize=2, color=colours[meth], label=meth)
            ax.set_xscale("log")
            ax.set_xticks(NS, [str(v) for v in NS])
            ax.minorticks_off()
            if i == 0:
                ax.set_title(d)
            if j == 0:
                ax.set_ylabel(f"{q}: coverage")
            if i == len(FUNCS) - 1:
                ax.set_xlabel("n")
    handles, labels = [], []
    for ax in axes.flat:
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    ncol = min(6, len(labels))
    fig.legend(handles, labels, loc="lower center", ncol=ncol, fontsize=8)
    # Room below the panels for every row of the legend (about 0.2 inch a row at 8 points).
    rows = -(-len(labels) // ncol)
    fig.tight_layout(rect=(0, min(0.4, (0.2 * rows + 0.15) / fig.get_figheight()), 1, 1))
    return fig


def cover_rows(summary: pd.DataFrame) -> pd.DataFrame:
    """The coverage rows (stat ``cover``) of a summary."""
    return summary[summary["stat"] == "cover"]


def computable_B(summary: pd.DataFrame) -> pd.Series:
    """B per (dgp, n, method, quantity): the computable intervals (nsim - ci_nmiss)."""
    key = ["dgp", "n", "method", "quantity"]
    piv = summary[summary["stat"].isin(["nsim", "ci_nmiss"])].pivot_table(
        index=key, columns="stat", values="est")
    piv = piv.reindex(columns=["nsim", "ci_nmiss"]).fillna(0)
    return (piv["nsim"] - piv["ci_nmiss"]).astype(int)


def cover_frame(summary: pd.DataFrame) -> pd.DataFrame:
    """Coverage cells with their B (intervals computed) and nominal B (replications)."""
    key = ["dgp", "n", "method", "quantity"]
    cov = cover_rows(summary).set_index(key)[["est", "mcse"]]
    nsim = summary[summary["stat"] == "nsim"].set_index(key)["est"].astype(int)
    out = cov.join(computable_B(summary).rename("B_ok")).join(nsim.rename("B"))
    return out.reset_index()


def tables(summary: pd.DataFrame, title: str, level: float, funcs) -> str:
    """Coverage and mean width with MCSEs, one table per functional (the parts' table.md)."""
    parts = [f"# {title}: coverage and mean width of nominal {level:.0%} intervals\n",
             "Cells: value (MCSE). `cover` is the share of the B intervals containing T(F); "
             "`width` their mean width.\n"]
    for q in funcs:
        rows = summary[(summary["quantity"] == q) & summary["stat"].isin(["cover", "width"])]
        if rows.empty:
            continue
        parts.append(summary_table(rows, rows=["dgp", "n", "stat"], columns="method",
                                   caption=f"{q}", digits=3))
    return "\n\n".join(parts) + "\n"


def counts_table(summary: pd.DataFrame, level: float) -> str:
    """Per method, the coverage cells under, at and over nominal (the two-sided band of
    :func:`gansim.summary.rules.coverage_band` at each cell's B) and what chance gives."""
    cf = cover_frame(summary)
    bands = sorted({int(b) for b in cf["B"]}, reverse=True)
    lines = ["## Coverage against the band, per method", "",
             paragraph(f"A cell is *at nominal* when its coverage lies inside the two-sided band "
                   f"{level:g} ± {rules.Z:g}·√({level:g}·{1 - level:.2g}/B), under or over "
                   "outside it; B is the number of intervals computed in the cell ("
                   + "; ".join(f"B = {num(b, 0)}: [{num(rules.coverage_band(b, level).lo, 4)}"
                               f", {num(rules.coverage_band(b, level).hi, 4)}]"
                               for b in bands)
                   + "; a cell with intervals that could not be computed has its own, "
                   "slightly wider band). A correct interval falls outside the band in "
                   "about 5% of cells (`chance outside`: the expected count and its 95% "
                   "range)."), ""]
    rows = []
    for m, g in cf.groupby("method", sort=False):
        c = rules.coverage_counts(g["est"], g["B_ok"].to_numpy(), level)
        ch = c.chance_outside
        rows.append({"method": m, "B": num_range(g["B"], 0), "cells": str(c.total),
                     "at nominal": str(c.at), "under": str(c.under), "over": str(c.over),
                     "chance outside": f"{ch.expected:.1f} ({ch.lo}–{ch.hi})"})
    lines.append(md_table(pd.DataFrame(rows), align="lrrrrrr"))
    return "\n".join(lines) + "\n"


def diagnosis_table(diag: pd.DataFrame) -> str:
    """The Wald diagnosis (``wald_diagnosis.csv``) as a table."""
    lines = ["## Why the GAN's Wald interval misses (reference quantities)", "",
             paragraph("bias/EmpSE and ModSE/EmpSE of T(F*) and EmpSE(T(F*)) / EmpSE(T(F_n)) use "
                   "the spread across the B replications: *references*, not computable from "
                   "one data set. A Wald interval centred off T(F) (|bias|/EmpSE far from 0) "
                   "or with an SE that misses part of the spread of T(F*) (ModSE/EmpSE < 1) "
                   "covers less than its level. The EmpSE ratio is a ratio of SDs; its "
                   "square is the ratio of variances."), ""]
    rows = pd.DataFrame({
        "dgp": diag["dgp"], "n": diag["n"].astype(str), "functional": diag["quantity"],
        "cover (MCSE)": [f"{num(c)} ({num(m)})" for c, m in zip(diag["cover"],
                                                                 diag["cover_mcse"],
                                                                 strict=True)],
        "bias/EmpSE": [signed(v, 2) for v in diag["bias_over_empse"]],
        "ModSE/EmpSE": [num(v, 2) for v in diag["modse_over_empse"]],
        "EmpSE ratio GAN/F_n": [num(v, 2) for v in diag["empse_ratio"]]})
    lines.append(md_table(rows, align="lrlrrrr"))
    return "\n".join(lines) + "\n"


def warm_table(warm: pd.DataFrame) -> str:
    """Warm-started against from-scratch bootstrap GANs (``warm_vs_scratch.csv``)."""
    lines = ["## Warm-started against from-scratch bootstrap GANs (part `check`)", "",
             paragraph("Paired on the same data sets and fitted GAN. `width ratio`: exp(mean log "
                   f"ratio of widths, warm / scratch) with a ±{rules.Z:g} MCSE range; "
                   "`centre shift`: mean shift of the interval's midpoint in units of the "
                   "scratch interval's width (MCSE). `width`: the rule's word for the mean "
                   f"log ratio (beyond {rules.K_MCSE:g} MCSEs, else not resolved)."), ""]
    rows = []
    for r in warm.itertuples():
        lo = math.exp(r.log_width_ratio - rules.Z * r.log_width_ratio_mcse)
        hi = math.exp(r.log_width_ratio + rules.Z * r.log_width_ratio_mcse)
        rows.append({"dgp": r.dgp, "n": str(r.n), "functional": r.quantity,
                     "interval": r.interval, "B": str(r.B),
                     "width ratio": f"{num(math.exp(r.log_width_ratio))} "
                                    f"[{num(lo)}, {num(hi)}]",
                     "width": warm_word(r),
                     "centre shift": f"{signed(r.centre_shift)} ({num(r.centre_shift_mcse)})"})
    lines.append(md_table(pd.DataFrame(rows), align="lrllrrlr"))
    return "\n".join(lines) + "\n"


def warm_word(r) -> str:
    """The rule's word for a row of :func:`warm_vs_scratch`: the warm-started bootstrap's
    intervals wider or narrower than those from scratch (log width ratio against its MCSE)."""
    return rules.compare(r.log_width_ratio, r.log_width_ratio_mcse, higher="wider",
                         lower="narrower").word


def coverage_md(summary: pd.DataFrame, diag: pd.DataFrame | None, warm: pd.DataFrame | None,
                level: float, funcs) -> str:
    """``coverage.md``: every part's coverage and width, the band counts, the Wald
    diagnosis (when the wald part is there) and the warm-against-scratch comparison."""
    text = tables(summary, "coverage (all parts)", level, funcs) + "\n"
    text += counts_table(summary, level)
    if diag is not None:
        text += "\n" + diagnosis_table(diag)
    if warm is not None:
        text += "\n" + warm_table(warm)
    return text
