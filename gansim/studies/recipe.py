"""Training recipes compared at N(0, 1) and at N(5, 2²): n = 100, m = 10,000 draws.

Every recipe is a GAN method of one study per DGP, beside the empirical cdf (method
``ecdf``), so all recipes see the same B data sets of a DGP and are compared pair by pair.  A
recipe is judged on X̄*'s bias, MSE relative to σ²/n, the variance ratio against X̄ (paired
MCSE), the GAN's sd and the KS distance -- not on the variance alone, since shrinking
towards the initialisation lowers the variance while biasing X̄* and narrowing the GAN
(invisible at N(0, 1), where the truth is 0).

    python -m gansim recipe                                     # B = 400 per DGP
    python -m gansim recipe -B 50 --steps 200 --out /tmp/recipe  # a quick look

Writes replications.csv.gz (tidy, with a ``dgp`` column), summary.csv, table.md and
run.json, by default into results/recipe/ (the committed files); the defaults take about
10 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from gansim._files import write_csv, write_figure, write_run_record, write_text
from gansim.gan.config import GANConfig
from gansim.gan.engine import resolve_engine
from gansim.studies._common import run_options
from gansim.studies.losses import (
    KEEP,
    add_common_arguments,
    legacy_replications,
    markdown,
    measures,
)
from gansim.study.core import Study, StudyResult, run_study
from gansim.study.dgp import Normal
from gansim.study.methods import GAN, EmpiricalCDF
from gansim.summary import plots
from gansim.summary.simsum import summarise
from gansim.summary.tables import write_summary_files

__all__ = ["COLUMNS", "DEFAULTS", "DESCRIPTION", "DGPS", "ENGINE", "NOISE", "RECIPES", "TITLES",
           "add_arguments", "gan_config", "legacy_frame", "main", "recipe_study",
           "run_recipes", "table_md", "write_outputs"]

DESCRIPTION = __doc__
DEFAULTS = {"seed": 2020, "out": "results/recipe"}

#: The engine results/recipe was computed with (it predates the fused engine): kept so the
#: committed numbers reproduce exactly.
ENGINE = "torch"
#: The latent noise it was computed with (it predates the counter-based default): kept so the
#: committed numbers reproduce; noise="philox" gives different draws from the same
#: distribution.
NOISE = "generator"

_STD = {"standardize": True}
#: The recipes, by method label: "default" is the prototype's recipe on raw data, the
#: package default when this study ran (it led to standardize=True becoming the default),
#: then standardised variants that each change one thing.
RECIPES = {
    "default": {"standardize": False},
    "standardize": _STD,
    "std-no-ema": _STD | {"ema_decay": None},
    "std-ema-0.999": _STD | {"ema_decay": 0.999},
    "std-4n-fakes": _STD | {"fake_ratio": 4},
    "std-ttur-3lr": _STD | {"lr_d": 3e-3},
    "std-r1-1": _STD | {"r1_weight": 1.0},
    "std-width-32": _STD | {"g_hidden": (32, 32), "d_hidden": (32, 32)},
}
#: The recipes' names in the tables and in the first per-replication schema (``recipe``
#: column).
TITLES = {
    "default": "default",
    "standardize": "standardize",
    "std-no-ema": "std, no EMA",
    "std-ema-0.999": "std, EMA 0.999",
    "std-4n-fakes": "std, 4n fakes/step",
    "std-ttur-3lr": "std, TTUR lr_d = 3 lr",
    "std-r1-1": "std, R1 γ = 1",
    "std-width-32": "std, width 32",
}
#: The DGPs, by their name in the ``dgp`` column.
DGPS = {"N(0,1)": Normal(0.0, 1.0), "N(5,2²)": Normal(5.0, 2.0)}
# Folder of each DGP's finished blocks under out/blocks/ (git-ignored): ASCII names.
_FOLDERS = {"N(0,1)": "normal-0-1", "N(5,2²)": "normal-5-2"}

#: Columns of table.md.
COLUMNS = {"bias_xbar_star": "bias(X̄*)", "mse_over_cr": "MSE(X̄*)/(σ²/n)",
           "var_ratio": "var(X̄*)/var(X̄)", "sd_star_over_sigma": "sd*/σ",
           "ks_star": "mean KS*", "ks": "mean KS_n", "p_ks_star_lt_ks": "P(KS* < KS_n)",
           "d_real": "D on data", "value": "value", "collapsed": "collapsed",
           "failed": "failed"}


def gan_config(recipe: str, *, steps: int = GANConfig.steps) -> GANConfig:
    """The GAN recipe of an entry of :data:`RECIPES`."""
    return GANConfig(steps=steps, engine=ENGINE, noise=NOISE, **RECIPES[recipe])


def recipe_study(dgp: str, recipes=tuple(RECIPES), *, replications: int = 400, n: int = 100,
                 m: int = 10_000, steps: int = GANConfig.steps, device: str = "cpu") -> Study:
    """The study at one DGP of :data:`DGPS`: the empirical cdf and a GAN method per recipe.

    One study per DGP, each with one condition (id 0), rather than ``dgp`` as a design
    factor: the committed results ran each DGP as condition 0, and the condition id is part
    of every random stream, so this keeps them reproducible.
    The GANs draw from the replication's ``draws`` stream (``stream=None``) for the same
    reason.

    Examples
    --------
    >>> s = recipe_study("N(5,2²)", ["standardize"], replications=2, steps=5)
    >>> [m.label for m in s.methods], s.dgp
    (['ecdf', 'standardize'], Normal(mean=5.0, sd=2.0))
    """
    if dgp not in DGPS:
        raise ValueError(f"`dgp` must be one of {list(DGPS)}, got {dgp!r}.")
    unknown = [r for r in recipes if r not in RECIPES]
    if unknown or not recipes:
        raise ValueError(f"`recipes` must be a non-empty list among {list(RECIPES)}; "
                         f"got {list(recipes)}.")
    gans = [GAN(gan_config(r, steps=steps), label=r, stream=None) for r in recipes]
    return Study([EmpiricalCDF(), *gans], dgp=DGPS[dgp], replications=replications, n=n, m=m,
                 functionals=["mean", "sd"], distances=["ks"], device=device, name="recipe")


def run_recipes(recipes=tuple(RECIPES), *, seed: int, dgps=tuple(DGPS), n_jobs: int = 1,
                out_dir=None, progress: bool = True, overwrite: bool = False, executor=None,
                **kwargs) -> dict[str, StudyResult]:
    """Run :func:`recipe_study` at each DGP; finished blocks in ``out_dir/blocks/<dgp>/``.

    ``executor`` goes to :func:`~gansim.study.core.run_study` (a dask cluster, say), ``kwargs``
    to :func:`recipe_study`.  Returns DGP name -> result.
    """
    results = {}
    for name in dgps:
        study = recipe_study(name, recipes, **kwargs)
        where = None if out_dir is None else Path(out_dir) / "blocks" / _FOLDERS[name]
        results[name] = run_study(study, seed=seed, n_jobs=n_jobs, out_dir=where,
                                  progress=progress, overwrite=overwrite, executor=executor)
    return results


def legacy_frame(results: dict[str, StudyResult]) -> pd.DataFrame:
    """Every recipe's rows in the first per-replication schema: :data:`KEEP`
    with ``dgp`` and ``recipe`` (its :data:`TITLES` name), DGP by DGP, recipe by recipe."""
    frames = [legacy_replications(res.tidy, g.label).assign(dgp=dgp, recipe=TITLES[g.label])
              for dgp, res in results.items() for g in res.study.methods[1:]]
    return pd.concat(frames, ignore_index=True)[[*KEEP, "dgp", "recipe"]]


def table_md(tables: dict, *, n: int, m: int, steps: int, B: int, seed: int) -> str:
    """``table.md``: per DGP, the rows of :func:`~gansim.studies.losses.measures` by recipe
    title (``tables[dgp][title]``), and each recipe's largest MSE(X̄*)/(σ²/n) over the DGPs;
    as the study writes it and ``python -m gansim report recipe`` renders it."""
    text = [f"# Training recipes at N(0, 1) and N(5, 2²)\n\nn = {n}, m = {m:,}, {steps} steps, "
            f"B = {B:,} per recipe and DGP, seed {seed}. Value (MCSE); ratios paired with X̄ "
            "on the same data.\n"]
    for dgp, rows in tables.items():
        text += [f"## {dgp}\n", markdown(rows, COLUMNS, "recipe"), ""]
    titles = list(next(iter(tables.values())))
    worst = {t: max(tables[d][t]["mse_over_cr"][0] for d in tables) for t in titles}
    text += ["Largest MSE(X̄*)/(σ²/n) over the DGPs, by recipe: "
             + ", ".join(f"{k} {v:.3f}" for k, v in sorted(worst.items(),
                                                           key=lambda kv: kv[1])), ""]
    return "\n".join(text)


def write_outputs(out_dir, results: dict[str, StudyResult], *, seed: int, n_jobs: int,
                  started: str) -> pd.DataFrame:
    """Write the study's files (each through a temporary name); returns the summary."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tidy = pd.concat([res.tidy.assign(dgp=dgp) for dgp, res in results.items()],
                     ignore_index=True)
    tidy = tidy[["dgp", *[c for c in tidy.columns if c != "dgp"]]]
    summary = summarise(tidy, by=["dgp"], ref="ecdf")
    write_csv(tidy, out / "replications.csv.gz")
    write_csv(summary, out / "summary.csv")
    first = next(iter(results.values())).study
    gans = first.methods[1:]
    tables = {}
    for dgp, res in results.items():
        s = summary[summary["dgp"] == dgp]
        study = res.study
        tables[dgp] = {TITLES[g.label]: measures(s, res.tidy, g.label, config=g.config,
                                                 dgp=study.dgp_for(study.conditions[0]),
                                                 n=study.n)
                       for g in study.methods[1:]}
    write_text(out / "table.md", table_md(
        tables, n=first.n, m=first.m, steps=gans[0].config.steps, B=first.replications,
        seed=seed))
    write_summary_files(
        out, summary, rows=["dgp", "quantity", "stat"],
        caption="Training recipes: every stat as value (MCSE), by DGP, quantity and method "
                "(recipe); paired stats against ecdf.", label="tab:recipe-summary")
    write_figure(out / "forest.png", plots.forest(
        summary, "varratio", quantity="mean", target=1.0))
    failures = {dgp: res.failures() for dgp, res in results.items()}
    write_run_record(
        out / "run.json", **next(iter(results.values())).cluster_record(),
        seed=seed, replications=first.replications, n_jobs=n_jobs,
        started=started, engine=resolve_engine(gans[0].config, first.device),
        wall_time_s={dgp: round(res.wall_time, 1) for dgp, res in results.items()},
        settings={dgp: res.study.settings(res.study.conditions[0])
                  for dgp, res in results.items()},
        titles={g.label: TITLES[g.label] for g in gans},
        blocks={dgp: res.conditions[["blocks_computed", "blocks_resumed"]].iloc[0].to_dict()
                for dgp, res in results.items()},
        n_failed={dgp: int(f["rep"].nunique()) for dgp, f in failures.items()},
        failed=[{"dgp": dgp, **row} for dgp, f in failures.items()
                for row in f[["rep", "seed", "spawn_key", "method", "error"]]
                .drop_duplicates().head(100).to_dict(orient="records")])
    return summary


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The recipe study's own options."""
    add_common_arguments(p, replications=400)
    p.add_argument("--recipes", nargs="+", default=list(RECIPES), choices=list(RECIPES),
                   metavar="RECIPE",
                   help=f"recipes to run, among {', '.join(RECIPES)} (default: all)")
    p.add_argument("--dgps", nargs="+", default=list(DGPS), choices=list(DGPS), metavar="DGP",
                   help=f"data-generating processes, among {', '.join(DGPS)} (default: both)")


def main(args) -> str:
    """Run the study with the parsed options, write its files, return table.md."""
    results = run_recipes(list(dict.fromkeys(args.recipes)),
                          dgps=list(dict.fromkeys(args.dgps)), **run_options(args),
                          replications=args.replications, n=args.n,
                          m=args.m, steps=args.steps, device=args.device)
    write_outputs(args.out, results, seed=args.seed, n_jobs=args.n_jobs, started=args.started)
    table = Path(args.out, "table.md").read_text()
    wall = sum(res.wall_time for res in results.values())
    return f"{table}\nwall time {wall:.1f} s; results in {args.out}/"
