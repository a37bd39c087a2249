"""results/losses: the GAN games compared on the proof-of-concept design, rendered from the
committed files (``summary.csv``, ``run.json``, the needed columns of
``replications.csv.gz``; ``../poc/`` for the comparison with the proof of concept).

Renders ``README.md``, ``table.md`` (:func:`gansim.studies.losses.table_md`, which
``python -m gansim losses`` writes too) and ``summary.md``. Comparisons between two games
are paired (the same data sets) and use :func:`gansim.summarise` with the other game as the
reference, so that each has the package's one MCSE; every comparative word comes from
:mod:`gansim.summary.rules`.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from types import SimpleNamespace

import pandas as pd

from gansim.render.common import provenance, read_csv, read_json
from gansim.render.poc import (
    Summary,
    how_to_read,
    paired_mean,
    ratio_word,
    summary_md,
    word,
    wrap,
)
from gansim.summary import rules
from gansim.summary.text import md_table, num, pm, signed

__all__ = ["FOLDER", "render", "dgp_from_run", "configs_from_run", "same_data_as_poc"]

FOLDER = "losses"
REF = "nonsaturating"
#: Names of the variants in the README's text.
NAMES = {"nonsaturating": "non-saturating, k = 1", "nonsaturating-k5": "non-saturating, k = 5",
         "minimax": "minimax", "least-squares": "least squares",
         "wasserstein-gp-k5": "WGAN-GP, k = 5", "wasserstein-gp1-k5": "WGAN-GP one-sided, k = 5"}


def dgp_from_run(settings: dict):
    """The normal DGP of a run record's settings (``"Normal(mean=0.0, sd=1.0)"``)."""
    from gansim.study.dgp import Normal

    m = re.fullmatch(r"Normal\(mean=([-0-9.eE+]+), sd=([0-9.eE+]+)\)", settings["dgp"])
    if not m:
        raise ValueError(f"not a normal DGP: {settings['dgp']!r}")
    return Normal(float(m.group(1)), float(m.group(2)))


def configs_from_run(settings: dict) -> dict:
    """GAN method label -> its recorded config, with the defaults of
    :class:`gansim.GANConfig` for what the record leaves out (as ``SimpleNamespace``)."""
    from gansim.gan.config import GANConfig

    defaults = {f.name: f.default for f in dataclasses.fields(GANConfig)}
    return {m["label"]: SimpleNamespace(**(defaults | m["config"]))
            for m in settings["methods"] if m["method"] == "gan"}


def _ratio(value: float, mcse: float) -> str:
    """A variance ratio with its MCSE and the rule's word; whole numbers once it is huge."""
    digits = 0 if abs(value) >= 100 else 3
    return f"{pm(value, mcse, digits)}, {ratio_word(value, mcse)}"


def _tidy(folder: Path, quantities) -> pd.DataFrame:
    cols = ["rep", "method", "quantity", "estimate", "truth", "status"]
    tidy = read_csv(folder / "replications.csv.gz", usecols=cols)
    return tidy[tidy["quantity"].isin(quantities)]


def _paired_against(tidy: pd.DataFrame, ref: str) -> Summary:
    """Paired stats of every method against ``ref`` (:func:`gansim.summarise`)."""
    from gansim.summary.simsum import summarise

    part = tidy[tidy["quantity"].isin(["mean", "ks"])]
    return Summary(summarise(part, ref=ref))


def _ks_less(tidy: pd.DataFrame) -> pd.DataFrame:
    """Per replication, 1 where a method's KS* is below the data's KS_n (columns: methods)."""
    ks = tidy[(tidy["quantity"] == "ks") & (tidy["status"] == "ok")].pivot(
        index="rep", columns="method", values="estimate")
    return (ks.drop(columns="ecdf").lt(ks["ecdf"], axis=0)).astype(float)


def same_data_as_poc(results: Path, tidy: pd.DataFrame, run: dict, *,
                      lead: str = "These are", what: str = "games") -> str:
    """Whether the data sets are results/poc's first ones (the data's X̄, value by value)."""
    poc = results / "poc"
    if not (poc / "run.json").is_file():
        return ""
    prun = read_json(poc / "run.json")
    p = read_csv(poc / "replications.csv.gz", usecols=["rep", "method", "quantity", "estimate"])
    p = p[(p["method"] == "ecdf") & (p["quantity"] == "mean")].set_index("rep")["estimate"]
    e = tidy[(tidy["method"] == "ecdf") & (tidy["quantity"] == "mean")].set_index("rep")
    e = e["estimate"]
    common = e.index.intersection(p.index)
    same = int((e.loc[common] == p.loc[common]).sum())
    if same == len(e):
        return (f"{lead} the data sets of results/poc's replications "
                f"{e.index.min()}–{e.index.max()} (same seed {run['seed']} and condition; the "
                f"data's X̄ equal value by value in {same:,} of {len(e):,}): the {what} were "
                "compared on data that results/poc reports, so results/poc is not an "
                f"independent check of the {what[:-1]} chosen here.")
    return (f"{lead} not results/poc's data sets (the data's X̄ equal in {same:,} of "
            f"{len(e):,} replications; seeds {run['seed']} and {prun.get('seed')}).")


def _table_md(run: dict, summary: pd.DataFrame, tidy: pd.DataFrame) -> str:
    from gansim.studies import losses

    s = run["settings"]
    dgp = dgp_from_run(s)
    configs = configs_from_run(s)
    by_t = {k: f for k, f in tidy.groupby("method")}
    rows = {label: losses.measures(summary, by_t[label], label, config=cfg, dgp=dgp, n=s["n"])
            for label, cfg in configs.items()}
    steps = next(iter(configs.values())).steps
    return losses.table_md(rows, n=s["n"], m=s["m"], steps=steps, B=run["replications"],
                           seed=run["seed"])


def _readme(results: Path, run: dict, summary: pd.DataFrame, tidy: pd.DataFrame) -> str:
    from gansim.gan.config import GANConfig
    from gansim.gan.diagnostics import JSD_BINS, ks_threshold
    from gansim.gan.games import get_loss
    from gansim.studies.poc import LECTURE

    s = run["settings"]
    configs = configs_from_run(s)
    variants = list(configs)
    g = Summary(summary)
    B, n, m = int(run["replications"]), int(s["n"]), int(s["m"])
    steps = next(iter(configs.values())).steps
    pr = _paired_against(tidy, REF)
    less = _ks_less(tidy)
    engines = sorted(set((s.get("engines") or {}).values())) or [run.get("engine", "?")]
    parts = [
        "# results/losses — the GAN games compared on the proof-of-concept design\n\n"
        f"Six GAN games trained on the same {B:,} data sets of n = {n} points from "
        f"{s['dgp']}, beside the empirical cdf (`ecdf`): the non-saturating game (k = 1 "
        "discriminator step per generator step, and k = 5), the minimax game, least squares, "
        "and WGAN-GP with k = 5 critic steps and its two-sided or one-sided gradient penalty. "
        f"Each GAN draws m = {m:,} points; {steps:,} training steps. Every game is a method "
        "of one study, so all of them see the same data sets and are compared pair by pair.",
        "## How it was run\n\n```bash\npython -m gansim losses\n```",
        provenance(run) + "\n"
        f"Engine `{', '.join(engines)}`, block size {s.get('block_size')}, device "
        f"`{s.get('device')}`; failed replications: {run.get('n_failed', 0)}. The GANs "
        "train on the raw data (`standardize=False`, where the package's default is "
        "`standardize=True`), with the "
        "batched PyTorch engine and one `torch.Generator` of latent noise per replication, "
        "which `gansim/studies/losses.py` pins so that the committed replications can be "
        "recomputed. " + same_data_as_poc(results, tidy, run),
        "## How to read it\n\n" + how_to_read(
            {}, compare_what="two games on the same data sets (or a game against the data's "
            "X̄ or KS_n)"),
    ]

    # Equilibrium.
    eq_rows = []
    for v in variants:
        cfg = configs[v]
        val, val_se = g(v, "value", "mean")
        veq = get_loss(cfg.loss).value_at_equilibrium
        d = tidy[(tidy["method"] == v) & tidy["quantity"].isin(["d_real", "d_fake"])]
        spread = d.groupby("quantity")["estimate"].quantile([0.05, 0.95]).unstack()
        critic = cfg.loss == "wasserstein"
        eq_rows.append((
            NAMES.get(v, v), num(veq, 4), pm(val, val_se, 5),
            f"{signed(val - veq, 4)}, {word(val - veq, val_se, higher='above', lower='below')}",
            "(critic scores)" if critic else
            f"{num(spread.loc['d_real', 0.05], 3)}–{num(spread.loc['d_real', 0.95], 3)}",
            "" if critic else
            f"{num(spread.loc['d_fake', 0.05], 3)}–{num(spread.loc['d_fake', 0.95], 3)}"))
    eq_table = md_table(pd.DataFrame(eq_rows, columns=[
        "game", "value at equilibrium", "mean value", "difference",
        "D on data, 5–95% of replications", "D on draws, 5–95%"]), align="lrrlll")

    # Paired comparisons against the default game.
    cmp_rows = []
    for v in variants:
        if v == REF:
            continue
        vr, vr_se = pr(v, "mean", "varratio")
        kd, kd_se = pr(v, "ks", "diff")
        ld, ld_se = paired_mean(less[v], less[REF])
        cmp_rows.append((
            NAMES.get(v, v), _ratio(vr, vr_se),
            f"{signed(kd, 4)} ({num(kd_se, 4)}), {word(kd, kd_se)}",
            f"{signed(ld, 3)} ({num(ld_se, 3)}), {word(ld, ld_se)}"))
    cmp_table = md_table(pd.DataFrame(cmp_rows, columns=[
        "game", f"var(X̄*) / var(X̄*) of `{REF}`", "mean KS* − that of " + f"`{REF}`",
        f"P(KS* < KS_n) − that of `{REF}`"]), align="llll")
    vr_words = {v: rules.compare(pr.est(v, "mean", "varratio") - 1,
                                 pr(v, "mean", "varratio")[1]).word
                for v in variants if v != REF}
    lower_var = [NAMES.get(v, v) for v, w in vr_words.items() if w == "lower"]

    # Against X̄ and the data's KS_n, per game.
    own_rows = []
    for v in variants:
        vr, vr_se = g(v, "mean", "varratio")
        k, nn = int(round(g.est(v, "ks", "less") * g.est(v, "ks", "nsim"))), \
            int(g.est(v, "ks", "nsim"))
        col = int(round(g.est(v, "collapsed", "mean") * g.est(v, "collapsed", "nsim")))
        sd_star, sd_se = g(v, "sd", "mean")
        own_rows.append((NAMES.get(v, v), _ratio(vr, vr_se),
                         pm(*g(v, "ks", "mean"), 4), f"{k:,} ({rules.majority(k, nn)})",
                         pm(sd_star / dgp_from_run(s).sd, sd_se / dgp_from_run(s).sd, 3),
                         f"{col:,}"))
    own_table = md_table(pd.DataFrame(own_rows, columns=[
        "game", "var(X̄*)/var(X̄)", "mean KS*", f"KS* < KS_n, of {B:,}", "sd*/σ",
        f"collapsed, of {B:,}"]), align="lllrrr")

    two = "wasserstein-gp-k5"
    one = "wasserstein-gp1-k5"
    bullets = []
    if two in variants:
        col = int(round(g.est(two, "collapsed", "mean") * B))
        lam = configs[two].gp_weight
        bullets.append(
            f"- **WGAN-GP with the two-sided penalty fails in one dimension**: {col:,} of "
            f"{B:,} GANs are flagged collapsed (exact 95% interval {_ci(col, B)}); mean KS* "
            f"{pm(*g(two, 'ks', 'mean'), 3)}, mean sd* "
            f"{pm(*g(two, 'sd', 'mean'), 2)} for σ = {num(dgp_from_run(s).sd, 0)}. "
            "A likely reason, not tested by this study: with a one-dimensional input the "
            "penalty (|D′| − 1)² has two wells, slopes −1 and +1, separated by a barrier of "
            f"height λ = {num(lam, 0)} at slope 0, so a critic whose slope has the wrong sign "
            "cannot turn around continuously as it could by rotating its gradient in higher "
            "dimensions. `curves.png` shows the losses of three replications.")
    if one in variants:
        col = int(round(g.est(one, "collapsed", "mean") * B))
        vr, vr_se = g(one, "mean", "varratio")
        bullets.append(
            f"- **The one-sided penalty** max(0, |D′| − 1)² (`gp_one_sided=True`) trains: "
            f"variance ratio {pm(vr, vr_se, 3)} against X̄, mean KS* "
            f"{pm(*g(one, 'ks', 'mean'), 4)}, {col} of {B:,} GANs flagged collapsed. Its "
            "critic's scores have no level (D's offset is free), so D on data and draws has "
            "no equilibrium value; the value E D(x) − E D(G(z)) is a Wasserstein-1 estimate.")
    if "minimax" in variants:
        bullets.append(
            "- **Minimax against non-saturating**: paired variance ratio "
            f"{pm(*pr('minimax', 'mean', 'varratio'), 3)}, "
            f"{ratio_word(*pr('minimax', 'mean', 'varratio'))}; KS* difference "
            f"{signed(pr.est('minimax', 'ks', 'diff'), 4)} "
            f"({num(pr('minimax', 'ks', 'diff')[1], 4)}), {word(*pr('minimax', 'ks', 'diff'))}."
            " Their generator gradients, −σ(o) and σ(o) − 1, agree where D = ½.")
    poc_vr = _poc_ratio(results)
    bullets.append(
        f"- **Variance of X̄* against the default game**: of the {len(vr_words)} other games, "
        f"{len(lower_var)} ha{'s' if len(lower_var) == 1 else 've'} a resolved lower "
        f"variance ({', '.join(lower_var) or 'none'}); "
        + ", ".join(f"{sum(w == x for w in vr_words.values())} {x}" for x in
                    ("higher", "not resolved at this B"))
        + f". The default game's own ratio against X̄ is "
        f"{pm(*g(REF, 'mean', 'varratio'), 3)}"
        + (f"; the standardised default of results/poc (B = {poc_vr[2]:,}, fused engine, "
           f"counter-based noise) gives {pm(poc_vr[0], poc_vr[1], 3)}" if poc_vr else "")
        + f". The lecture reports {num(LECTURE['var_xbar_star'] / LECTURE['var_xbar'], 2)} "
        "(a citation, without an MCSE).")

    parts.append(
        "## What the data show\n\n"
        "**Each game against the data** (paired with X̄ and KS_n on the same data sets; "
        "`table.md` has every measure):\n\n" + own_table + "\n\n"
        "**Each game against the default non-saturating game**, paired on the same data "
        "sets (variance ratio and KS* difference by `gansim.summarise` with "
        f"`ref=\"{REF}\"`; the difference of the shares P(KS* < KS_n) with the paired MCSE of "
        "the per-replication indicators):\n\n" + cmp_table + "\n\n"
        "**Equilibrium.** The mean value of each game's objective against its value at the "
        "equilibrium (−log 4 for the cross-entropy games, −1/4 for least squares, 0 for "
        "Wasserstein), and how far D's mean output on the data and on the draws spreads over "
        "the replications (½ at equilibrium):\n\n" + eq_table + "\n\n" + "\n".join(bullets))
    parts.append(
        "## The diagnostics\n\n"
        "From `gansim/gan/diagnostics.py`: *D on data* and *D on draws* are the mean of "
        "σ(logit) (least squares: the raw output; Wasserstein: the critic's score) on the n "
        "data points and the m draws; the *value* is minus D's loss without penalties; "
        "*JSD\\** is the Jensen–Shannon divergence (nats) between the draws and the truth over "
        f"{JSD_BINS} bins equiprobable under the truth (a lower bound on the continuous JSD; "
        f"its null bias for m = {m:,} draws from the truth is ({JSD_BINS} − 1)/(8m) = "
        f"{num((JSD_BINS - 1) / (8 * m), 4)}); *collapsed* means sd* < ½ sd of the data or KS* "
        f"above the 0.9999 quantile of KS_n ({num(ks_threshold(n), 3)} for n = {n}).")
    files = [
        ("`table.md`", "per game: var(X̄*), var(X̄*)/var(X̄) and relative precision against X̄ "
         "(paired MCSE), bias, MSE/(σ²/n), sd*/σ, mean KS*, P(KS* < KS_n); D on data and on "
         "draws, the value beside its equilibrium level, JSD*, collapse and failure rates"),
        ("`summary.csv`, `summary.md`, `summary.tex`", "`gansim.summarise(tidy, ref=\"ecdf\")`:"
         " every stat with its MCSE per method (game) and quantity"),
        ("`replications.csv.gz`", "the tidy rows, one per replication × method × quantity "
         "(`mean`, `sd`, `ks` and the GAN's diagnostics)"),
        ("`forest.png`", "var(X̄*)/var(X̄) of each game, ±1.96 MCSE"),
        ("`ks.png`", "the KS distributions: KS_n of the data and KS* of each game"),
        ("`curves.png`", "D's loss (solid) and G's loss (dashed) against the step for "
         "replications 0–2 of each game (trained as a block of 3, so not bit-identical to "
         "the study's blocks)"),
        ("`run.json`", "command, seed, each game's settings, versions, machine, wall time"),
    ]
    parts.append("## Files\n\n" + md_table(pd.DataFrame(files, columns=["file", "what"]),
                                           align="ll"))
    parts.append(
        "## Limits\n\n"
        f"- One DGP and one n; B = {B:,}, so differences between games smaller than about "
        "2 paired MCSEs (in the tables above) are not resolved.\n"
        "- The games were compared on the recipe above, not on the package's current default "
        f"(`GANConfig()`: standardize={GANConfig.standardize}, the fused engine where it "
        "applies, counter-based latent noise).\n"
        "- `python -m gansim report losses` renders this README, `table.md` and `summary.md` "
        "from the committed files; it recomputes no replication.")
    return "\n\n".join(wrap(p) for p in parts) + "\n"


def _ci(k: int, n: int) -> str:
    lo, hi = rules.share_interval(k, n)
    return f"{num(lo, 3)}–{num(hi, 3)}"


def _poc_ratio(results: Path):
    path = results / "poc" / "summary.csv"
    if not path.is_file():
        return None
    g = Summary(read_csv(path))
    if not g.has("gan", "mean", "varratio"):
        return None
    vr, se = g("gan", "mean", "varratio")
    return vr, se, int(g.est("gan", "mean", "nsim"))


def render(results) -> dict[str, str]:
    """The Markdown files of ``results/losses``, keyed by their path relative to
    ``results``."""
    results = Path(results)
    folder = results / FOLDER
    run = read_json(folder / "run.json")
    summary = read_csv(folder / "summary.csv")
    tidy = _tidy(folder, ["mean", "sd", "ks", "d_real", "d_fake"])
    return {
        f"{FOLDER}/README.md": _readme(results, run, summary, tidy),
        f"{FOLDER}/table.md": _table_md(run, summary, tidy),
        f"{FOLDER}/summary.md": summary_md(summary, rows=["quantity", "stat"], caption=(
            "GAN games: every stat as value (MCSE), by quantity and method (variant); paired "
            "stats against ecdf.")),
    }
