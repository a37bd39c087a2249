"""GAN games compared on the proof-of-concept design: n = 100 from N(0, 1), m = 10,000 draws.

Every variant (a game, its number of discriminator steps, its gradient penalty) is a method
of one study, so all of them and the empirical cdf (method ``ecdf``) see the same B data
sets and are compared pair by pair.  The recipe is otherwise the one that was the default
when the study first ran: raw data (``standardize=False``), the batched PyTorch engine.

    python -m gansim losses                                        # B = 1,000
    python -m gansim losses -B 50 --steps 200 --out /tmp/losses    # a quick look

Writes replications.csv.gz (tidy), summary.csv, table.md, ks.png, curves.png (D's and G's
losses of a few replications) and run.json, by default into results/losses/ (the committed
files); the defaults take about 12 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np
import pandas as pd

from gansim._files import write_csv, write_figure, write_run_record, write_text
from gansim.gan.config import GANConfig
from gansim.gan.engine import resolve_engine, train_gans
from gansim.gan.games import get_loss
from gansim.rng import replication_streams
from gansim.studies._common import (
    add_gan_arguments,
    m_arg,
    n_arg,
    pyplot,
    replications_arg,
    run_options,
)
from gansim.study.core import Study, StudyResult, run_study
from gansim.study.dgp import Normal
from gansim.study.methods import GAN, EmpiricalCDF
from gansim.summary import plots
from gansim.summary.simsum import summarise
from gansim.summary.tables import write_summary_files

__all__ = ["DEFAULTS", "DESCRIPTION", "DIAGNOSTICS", "ENGINE", "ESTIMATION", "NOISE", "KEEP",
           "VARIANTS", "add_arguments", "fmt", "gan_config", "legacy_replications",
           "loss_curves", "losses_study", "main", "markdown", "measures", "plot_curves",
           "plot_ks", "table_md", "write_outputs"]

DESCRIPTION = __doc__
DEFAULTS = {"seed": 2020, "out": "results/losses"}

#: The engine results/losses was computed with (it predates the fused engine): kept so the
#: committed numbers reproduce exactly; the fused engine gives statistically equivalent, not
#: bit-identical, results.
ENGINE = "torch"
#: The latent noise it was computed with (it predates the counter-based default): kept so the
#: committed numbers reproduce; noise="philox" gives different draws from the same
#: distribution.
NOISE = "generator"

#: The variants: the four games of gansim.gan.games; k = 5 for the non-saturating one;
#: WGAN-GP with the paper's k = 5 critic steps, with the two-sided and one-sided penalty.
#: Each name is the GAN method's label (no spaces, no '__').
VARIANTS = {
    "nonsaturating": {},
    "nonsaturating-k5": {"d_steps": 5},
    "minimax": {"loss": "minimax"},
    "least-squares": {"loss": "least-squares"},
    "wasserstein-gp-k5": {"loss": "wasserstein", "d_steps": 5},
    "wasserstein-gp1-k5": {"loss": "wasserstein", "d_steps": 5, "gp_one_sided": True},
}

#: Columns of the study's first per-replication frame (one row per replication), in order:
#: :func:`legacy_replications` rebuilds it from the tidy rows.
KEEP = ["rep", "status", "error", "xbar", "sd", "ks", "xbar_star", "sd_star", "ks_star",
        "d_real", "d_fake", "value", "jsd_star", "collapsed"]

# Old column names of the quantities: (of the data, via ecdf; of the GAN's draws).
_LEGACY = {"mean": ("xbar", "xbar_star"), "sd": ("sd", "sd_star"), "ks": ("ks", "ks_star")}
_DIAGNOSTICS = ["d_real", "d_fake", "value", "jsd_star", "collapsed"]


def gan_config(variant: str, *, steps: int = GANConfig.steps) -> GANConfig:
    """The GAN recipe of a variant of :data:`VARIANTS`."""
    # Raw data, the package default when this study ran; results/recipe shows standardising
    # changes nothing resolvable at N(0, 1).
    return GANConfig(steps=steps, standardize=False, engine=ENGINE, noise=NOISE,
                     **VARIANTS[variant])


def losses_study(variants=tuple(VARIANTS), *, replications: int = 1000, n: int = 100,
                 m: int = 10_000, steps: int = GANConfig.steps, device: str = "cpu") -> Study:
    """The study: the empirical cdf and one GAN method per variant, on N(0, 1) data.

    One condition without factors (condition id 0) and ``stream=None`` (each GAN draws from
    the replication's ``draws`` stream), as the study's first version did, so the committed
    results/losses reproduce bit for bit (tests/test_losses_recipe.py).

    Examples
    --------
    >>> s = losses_study(["minimax"], replications=2, steps=5)
    >>> [m.label for m in s.methods]
    ['ecdf', 'minimax']
    """
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown or not variants:
        raise ValueError(f"`variants` must be a non-empty list among {list(VARIANTS)}; "
                         f"got {list(variants)}.")
    gans = [GAN(gan_config(v, steps=steps), label=v, stream=None) for v in variants]
    return Study([EmpiricalCDF(), *gans], dgp=Normal(), replications=replications, n=n, m=m,
                 functionals=["mean", "sd"], distances=["ks"], device=device, name="losses")


def legacy_replications(tidy: pd.DataFrame, method: str, *, ref: str = "ecdf") -> pd.DataFrame:
    """One GAN method's rows in the first per-replication schema (:data:`KEEP`).

    ``xbar``, ``sd``, ``ks`` come from ``ref``'s rows, ``xbar_star``, ``sd_star``,
    ``ks_star`` and the diagnostics from ``method``'s.  As before, a replication is ``ok``
    only if every row of both methods is, and every number of a replication that is not is
    missing.  ``tidy`` must hold one condition (filter a multi-DGP frame first).

    Examples
    --------
    >>> tidy = pd.DataFrame({"rep": [0, 0, 0], "method": ["ecdf", "g", "g"],
    ...                      "quantity": ["mean", "mean", "collapsed"],
    ...                      "estimate": [0.1, 0.2, 0.0], "status": "ok", "error": ""})
    >>> row = legacy_replications(tidy, "g").iloc[0]
    >>> float(row["xbar"]), float(row["xbar_star"]), bool(row["collapsed"]), row["status"]
    (0.1, 0.2, False, 'ok')
    >>> bool(np.isnan(row["ks"]))  # not in the tidy rows
    True
    """
    rows = tidy[tidy["method"].isin([ref, method])]
    if "condition" in rows and rows["condition"].nunique() > 1:
        raise ValueError("`tidy` must hold one condition; filter it first.")
    est = {m: g.pivot_table(index="rep", columns="quantity", values="estimate",
                            aggfunc="first", dropna=False)
           for m, g in rows.groupby("method", sort=False)}
    reps = np.sort(rows["rep"].unique())
    bad = rows[rows["status"] != "ok"].groupby("rep")
    status = bad["status"].first().reindex(reps).fillna("ok")
    error = bad["error"].agg(lambda s: "; ".join(dict.fromkeys(e for e in s if e)))
    error = error.reindex(reps).astype(object).fillna("")
    ok = (status == "ok").to_numpy()
    out = pd.DataFrame({"rep": reps.astype(np.int64), "status": status.to_numpy(),
                        "error": error.to_numpy()})

    def column(m, quantity):
        # A quantity the study did not compute (a DGP without a ppf: no jsd_star) is missing.
        if quantity not in est[m]:
            return np.full(reps.size, np.nan)
        return np.where(ok, est[m][quantity].reindex(reps).to_numpy(dtype=float), np.nan)

    for quantity, (data_col, gan_col) in _LEGACY.items():
        out[data_col], out[gan_col] = column(ref, quantity), column(method, quantity)
    for name in _DIAGNOSTICS:
        out[name] = column(method, name)
    # A yes/no flag, missing where the replication failed, as that schema stores it.
    out["collapsed"] = pd.array(np.where(ok, out["collapsed"] == 1.0, pd.NA), dtype="boolean")
    return out[KEEP]


def measures(summary: pd.DataFrame, tidy: pd.DataFrame, method: str, *, config: GANConfig,
             dgp: Normal, n: int, ref: str = "ecdf") -> dict:
    """One row of the comparison table: ``(value, mcse)`` of each measure of a GAN method.

    Parameters
    ----------
    summary : DataFrame
        :func:`gansim.summary.simsum.summarise` of ``tidy`` with ``ref="ecdf"``, one condition.
    tidy : DataFrame
        The study's tidy rows (for the failure counts), one condition.
    method : str
        The GAN method's label.
    config : GANConfig
        Its recipe (for the value of the game at equilibrium).
    dgp : Normal
        The truth (σ for sd*/σ and the Cramér–Rao bound σ²/n).
    n : int
        Data points per replication.
    ref : str
        The reference method's label (the empirical cdf).
    """
    # One pass over the two methods' rows; a (quantity, stat) found more than once, or not
    # at all, is missing.
    mine = summary[summary["method"].isin([method, ref])]
    keys = list(zip(mine["method"], mine["quantity"], mine["stat"], strict=True))
    seen = pd.Series(keys).value_counts()
    lookup = {k: (float(e), float(m)) for k, e, m in zip(keys, mine["est"], mine["mcse"],
                                                         strict=True) if seen[k] == 1}

    def get(quantity, stat, who=method):
        return lookup.get((who, quantity, stat), (math.nan, math.nan))

    cr = dgp.var / n
    mse, sd_star = get("mean", "mse"), get("sd", "mean")
    rows = tidy[tidy["method"] == method]
    n_failed = int(rows.loc[rows["status"] != "ok", "rep"].nunique())
    return {
        "B_ok": int(rows["rep"].nunique()) - n_failed,
        "failed": n_failed,
        "var_xbar_star": get("mean", "var"),
        "var_xbar": get("mean", "var", ref),
        "var_ratio": get("mean", "varratio"),
        "relprec_pct": get("mean", "relprec"),
        "bias_xbar_star": get("mean", "bias"),
        "mse_over_cr": (mse[0] / cr, mse[1] / cr),
        "sd_star_over_sigma": (sd_star[0] / dgp.sd, sd_star[1] / dgp.sd),
        "ks_star": get("ks", "mean"),
        "ks": get("ks", "mean", ref),
        "p_ks_star_lt_ks": get("ks", "less"),
        "d_real": get("d_real", "mean"),
        "d_fake": get("d_fake", "mean"),
        "value": get("value", "mean"),
        "value_eq": (get_loss(config.loss).value_at_equilibrium, 0.0),
        "jsd_star": get("jsd_star", "mean"),
        "collapsed": get("collapsed", "mean"),
    }


def fmt(cell, digits: int = 4) -> str:
    """``value (MCSE)`` of a ``(value, mcse)`` pair; plain for counts and exact values.

    Examples
    --------
    >>> fmt((0.5, 0.01)), fmt((-1.386294, 0.0)), fmt(3)
    ('0.5000 (0.0100)', '-1.386', '3')
    """
    if not isinstance(cell, tuple):
        return str(cell)
    value, mcse = cell
    if not math.isfinite(value):
        return "–"
    if not mcse or not math.isfinite(mcse):
        return f"{value:.{digits}g}"
    return f"{value:.{digits}f} ({mcse:.{digits}f})"


def markdown(rows: dict, columns: dict, label: str = "variant") -> str:
    """A markdown table: one row per entry of ``rows``, ``columns`` maps keys to headers."""
    lines = [f"| {label} | " + " | ".join(columns.values()) + " |",
             "|---" * (len(columns) + 1) + "|"]
    digits = {"relprec_pct": 2}
    for name, row in rows.items():
        cells = [fmt(row[k], digits.get(k, 4)) for k in columns]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


#: Columns of table.md.
ESTIMATION = {"var_xbar_star": "var(X̄*)", "var_ratio": "var(X̄*)/var(X̄)",
              "relprec_pct": "rel. precision vs X̄, %", "bias_xbar_star": "bias(X̄*)",
              "mse_over_cr": "MSE(X̄*)/(σ²/n)", "sd_star_over_sigma": "sd*/σ",
              "ks_star": "mean KS*", "p_ks_star_lt_ks": "P(KS* < KS_n)"}
DIAGNOSTICS = {"d_real": "D on data", "d_fake": "D on draws", "value": "value",
               "value_eq": "value at eq.", "jsd_star": "JSD* (nats)",
               "collapsed": "collapsed", "failed": "failed"}


def table_md(rows: dict, *, n: int, m: int, steps: int, B: int, seed: int) -> str:
    """``table.md``: the estimation and diagnostics tables of :func:`measures`' rows (one per
    variant), as the study writes it and ``python -m gansim report losses`` renders it."""
    return (f"# GAN games on the proof-of-concept design\n\n"
            f"n = {n} from N(0, 1), m = {m:,} draws, {steps} steps, B = {B:,} per variant, "
            f"seed {seed} (the same data sets for every variant). Value (MCSE).\n\n"
            "## Estimation\n\n" + markdown(rows, ESTIMATION)
            + "\n\n## Equilibrium and failure diagnostics\n\n" + markdown(rows, DIAGNOSTICS)
            + "\n")


def plot_ks(frames: dict, path, *, n: int):
    """KS distributions: KS_n of the data and KS* of each variant (step histograms).

    ``frames`` maps a variant to its :func:`legacy_replications` frame.
    """
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(8, 4.6))
    first = next(iter(frames.values()))
    allks = np.concatenate([f.ks_star.dropna() for f in frames.values()])
    bins = np.linspace(0, min(np.quantile(allks, 0.995), 0.6), 70)
    ax.hist(first.ks.dropna(), bins=bins, density=True, color="0.75", label="KS_n (data)")
    for name, f in frames.items():
        ax.hist(f.ks_star.dropna().clip(upper=bins[-1]), bins=bins, density=True,
                histtype="step", lw=1.4, label=name)
    ax.set_xlabel("sup |F − Φ|")
    ax.set_ylabel("density")
    ax.set_title(f"KS distance to the truth, n = {n}, B = {len(first):,} per variant")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_curves(curves: dict, path):
    """D's and G's losses against the step, a few replications per variant."""
    plt = pyplot()
    k = len(curves)
    cols = (k + 1) // 2
    fig, axes = plt.subplots(2, cols, figsize=(4 * cols, 6.5), squeeze=False)
    for ax, (name, losses) in zip(axes.ravel(), curves.items(), strict=False):
        steps = np.arange(losses.shape[0])
        for r in range(losses.shape[2]):
            ax.plot(steps, losses[:, 0, r], lw=0.6, color=f"C{r}")
            ax.plot(steps, losses[:, 1, r], lw=0.6, color=f"C{r}", ls="--")
        ax.set_title(f"{name} (D solid, G dashed)", fontsize=9)
        ax.set_xlabel("step")
    for ax in axes.ravel()[k:]:
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def loss_curves(cfg: GANConfig, seed: int, n: int, reps: int = 3,
                device: str = "cpu") -> np.ndarray:
    """Losses ``(steps, 2, reps)`` of replications 0..reps-1 (condition 0), trained as a
    block of their own: the torch engine couples a block's arithmetic, so these are not
    bit-identical to the study's blocks of 100; the curves illustrate."""
    streams = [replication_streams(seed, r) for r in range(reps)]
    x = np.stack([Normal().sample(n, s.data_rng()) for s in streams])
    block = train_gans(x, cfg, init_seeds=[s.init for s in streams],
                       noise_seeds=[s.noise for s in streams], device=device,
                       record_losses=True)
    return block.losses.double().cpu().numpy()


def write_outputs(out_dir, result: StudyResult, *, n_jobs: int, started: str,
                  curves: bool = True) -> pd.DataFrame:
    """Write the study's files (each through a temporary name); returns the summary."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    study, tidy, seed = result.study, result.tidy, result.seed
    dgp = study.dgp_for(study.conditions[0])
    gans = study.methods[1:]
    summary = summarise(tidy, ref="ecdf")
    write_csv(tidy, out / "replications.csv.gz")
    write_csv(summary, out / "summary.csv")
    rows = {g.label: measures(summary, tidy, g.label, config=g.config, dgp=dgp, n=study.n)
            for g in gans}
    write_text(out / "table.md", table_md(
        rows, n=study.n, m=study.m, steps=gans[0].config.steps, B=study.replications,
        seed=seed))
    write_summary_files(
        out, summary, rows=["quantity", "stat"],
        caption="GAN games: every stat as value (MCSE), by quantity and method (variant); "
                "paired stats against ecdf.", label="tab:losses-summary")
    write_figure(out / "forest.png", plots.forest(
        summary, "varratio", quantity="mean", target=1.0))
    frames = {g.label: legacy_replications(tidy, g.label) for g in gans}
    _save_plot(plot_ks, frames, out / "ks.png", n=study.n)
    if curves:
        traces = {g.label: loss_curves(g.config, seed, study.n, device=study.device)
                  for g in gans}
        _save_plot(plot_curves, traces, out / "curves.png")
    failed = result.failures()
    write_run_record(
        out / "run.json", **result.cluster_record(),
        seed=seed, replications=study.replications, n_jobs=n_jobs,
        settings=study.settings(study.conditions[0]),
        engine=resolve_engine(gans[0].config, study.device), started=started,
        wall_time_s=round(result.wall_time, 1),
        blocks=result.conditions[["blocks_computed", "blocks_resumed"]].iloc[0].to_dict(),
        n_failed=int(failed["rep"].nunique()),
        failed=failed[["rep", "seed", "spawn_key", "method", "error"]].drop_duplicates()
        .head(100).to_dict(orient="records"))
    return summary


def _save_plot(plot, data, path: Path, **kwargs) -> None:
    # Through a temporary name (with the real suffix, which matplotlib reads the format
    # from), so an interrupted run leaves no half figure.
    tmp = path.with_name(f"tmp-{path.name}")
    plot(data, tmp, **kwargs)
    tmp.replace(path)


def add_common_arguments(p: argparse.ArgumentParser, *, replications: int) -> None:
    """Options shared by the losses and recipe studies."""
    p.add_argument("-B", "--replications", type=replications_arg, default=replications,
                   help="Monte Carlo replications B, the same data sets for every variant "
                        "(default: %(default)s)")
    p.add_argument("--n", type=n_arg, default=100,
                   help="data points per replication (default: %(default)s)")
    p.add_argument("--m", type=m_arg, default=10_000,
                   help="draws from each trained GAN (default: %(default)s)")
    add_gan_arguments(p)


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The losses study's own options."""
    add_common_arguments(p, replications=1000)
    p.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS),
                   metavar="VARIANT",
                   help=f"variants to run, among {', '.join(VARIANTS)} (default: all)")
    p.add_argument("--no-curves", action="store_true",
                   help="skip curves.png (it trains 3 GANs per variant once more)")


def main(args) -> str:
    """Run the study with the parsed options, write its files, return table.md."""
    study = losses_study(list(dict.fromkeys(args.variants)), replications=args.replications,
                         n=args.n, m=args.m, steps=args.steps, device=args.device)
    result = run_study(study, **run_options(args))
    write_outputs(args.out, result, n_jobs=args.n_jobs, started=args.started,
                  curves=not args.no_curves)
    table = Path(args.out, "table.md").read_text()
    return f"{table}\nwall time {result.wall_time:.1f} s; results in {args.out}/"
