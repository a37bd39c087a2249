"""results/recipe: training recipes at N(0, 1) and N(5, 2²), rendered from the committed
files (``summary.csv``, ``run.json``, the needed columns of ``replications.csv.gz``;
``../poc/`` for the data it shares with the proof of concept).

Renders ``README.md``, ``table.md`` (:func:`gansim.studies.recipe.table_md`, which
``python -m gansim recipe`` writes too) and ``summary.md``. Recipes are compared with the
``standardize`` recipe pair by pair on the same data sets (:func:`gansim.summarise` with it
as the reference; the shares P(KS* < KS_n) through the per-replication indicators); every
comparative word comes from :mod:`gansim.summary.rules`.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pandas as pd

from gansim.render.common import provenance, read_csv, read_json
from gansim.render.losses import configs_from_run, dgp_from_run, same_data_as_poc
from gansim.render.poc import (
    Summary,
    how_to_read,
    paired_mean,
    ratio_word,
    share_text,
    summary_md,
    word,
    wrap,
)
from gansim.summary import rules
from gansim.summary.text import md_table, num, pm, signed

__all__ = ["FOLDER", "render", "changes"]

FOLDER = "recipe"
REF = "standardize"
#: Columns of table.md that do not depend on the scale of the data (all but the bias).
SCALE_FREE = ("mse_over_cr", "var_ratio", "sd_star_over_sigma", "ks_star", "ks",
              "p_ks_star_lt_ks", "d_real", "value", "collapsed", "failed")


def changes(config, base) -> str:
    """The settings in which a recipe's config differs from ``base``'s, e.g.
    ``"ema_decay=None"``."""
    diff = [f"{k}={_show(v)}" for k, v in vars(config).items()
            if _show(v) != _show(getattr(base, k, None))]
    return ", ".join(diff) or "—"


def _show(v):
    return repr(tuple(v)) if isinstance(v, list) else repr(v)


def _tidy(folder: Path) -> pd.DataFrame:
    cols = ["dgp", "rep", "method", "quantity", "estimate", "truth", "status"]
    tidy = read_csv(folder / "replications.csv.gz", usecols=cols)
    return tidy[tidy["quantity"].isin(["mean", "sd", "ks"])]


def _tables(run: dict, summary: pd.DataFrame, tidy: pd.DataFrame) -> dict:
    from gansim.studies import losses

    titles = run["titles"]
    out = {}
    for dgp, settings in run["settings"].items():
        s = summary[summary["dgp"] == dgp]
        t = tidy[tidy["dgp"] == dgp]
        configs = configs_from_run(settings)
        by_t = {k: f for k, f in t.groupby("method")}
        out[dgp] = {titles[label]: losses.measures(s, by_t[label], label, config=cfg,
                                                   dgp=dgp_from_run(settings),
                                                   n=settings["n"])
                    for label, cfg in configs.items()}
    return out


def _table_md(run: dict, tables: dict) -> str:
    from gansim.studies import recipe

    first = next(iter(run["settings"].values()))
    steps = next(iter(configs_from_run(first).values())).steps
    return recipe.table_md(tables, n=first["n"], m=first["m"], steps=steps,
                           B=run["replications"], seed=run["seed"])


def _ks_less(t: pd.DataFrame) -> pd.DataFrame:
    ks = t[(t["quantity"] == "ks") & (t["status"] == "ok")].pivot(
        index="rep", columns="method", values="estimate")
    return ks.drop(columns="ecdf").lt(ks["ecdf"], axis=0).astype(float)


def _paired(t: pd.DataFrame) -> Summary:
    from gansim.summary.simsum import summarise

    return Summary(summarise(t[t["quantity"].isin(["mean", "ks"])], ref=REF))


def _readme(results: Path, run: dict, summary: pd.DataFrame, tidy: pd.DataFrame,
            tables: dict) -> str:
    from gansim.gan.config import GANConfig

    titles = run["titles"]
    dgps = list(run["settings"])
    first = run["settings"][dgps[0]]
    configs = configs_from_run(first)
    labels = list(configs)
    g = Summary(summary, by=("dgp",))
    B = int(run["replications"])
    n, m = int(first["n"]), int(first["m"])
    steps = next(iter(configs.values())).steps
    sigma = {d: dgp_from_run(run["settings"][d]).sd for d in dgps}

    # Provenance: the wall time is recorded per DGP.
    walls = run.get("wall_time_s", {})
    prov = provenance({k: v for k, v in run.items() if k != "wall_time_s"})
    wall = ", ".join(f"{num(v, 0)} s at {d}" for d, v in walls.items())
    engines = sorted({e for st in run["settings"].values()
                      for e in (st.get("engines") or {}).values()}) or [run.get("engine")]
    recipes = md_table(pd.DataFrame(
        [(f"`{lab}`", titles[lab], changes(configs[lab], configs[REF])) for lab in labels],
        columns=["method", "in table.md", f"settings that differ from `{REF}`"]), align="lll")
    parts = [
        "# results/recipe — training recipes at N(0, 1) and N(5, 2²)\n\n"
        f"Eight GAN training recipes on the same {B} data sets of n = {n} points at each of "
        f"two DGPs ({', '.join(dgps)}), beside the empirical cdf (`ecdf`), m = {m:,} draws "
        f"per GAN, {steps:,} steps. At each DGP every recipe is a method of one study, so all "
        "see the same data sets and are compared pair by pair. A recipe is judged on X̄*'s "
        "bias and MSE, its variance against X̄ (paired), the GAN's sd and its KS distance: "
        "not on the variance alone, since shrinking towards the initialisation lowers the "
        "variance while biasing X̄* and narrowing the GAN. `default` trains on the raw "
        "data; the others train on the standardised data (x − x̄)/s and "
        "each change one setting:\n\n" + recipes,
        "## How it was run\n\n```bash\npython -m gansim recipe\n```",
        prov + "\n" + f"Wall time {wall}. Engine `{', '.join(engines)}`, block size "
        f"{first.get('block_size')}, device `{first.get('device')}`; failed replications: "
        f"{sum(run.get('n_failed', {}).values())}. One study per DGP, each condition id 0. "
        "Every recipe trains with the batched PyTorch engine and one `torch.Generator` of "
        "latent noise per replication, which `gansim/studies/recipe.py` pins so that the "
        "committed replications can be recomputed. "
        + same_data_as_poc(results, tidy[tidy["dgp"] == dgps[0]], run,
                            lead=f"The {dgps[0]} data sets are", what="recipes"),
        "## How to read it\n\n" + how_to_read(
            {}, compare_what="two recipes on the same data sets (or a recipe against the data's"
            " X̄ or KS_n)"),
    ]

    # Equivariance of the standardised recipes: the scale-free columns of table.md at the two
    # DGPs, compared as table.md shows them.
    from gansim.studies.losses import fmt

    std = [titles[lab] for lab in labels if configs[lab].standardize]
    cells = [(t, c) for t in std for c in SCALE_FREE]
    equal = sum(fmt(tables[dgps[0]][t][c]) == fmt(tables[dgps[1]][t][c]) for t, c in cells) \
        if len(dgps) == 2 else 0
    same = len(dgps) == 2 and equal == len(cells)
    equiv = (f"For the {len(std)} standardised recipes, {equal} of the {len(cells)} "
             f"scale-free figures of `table.md` (every column but the bias) are equal at "
             f"{dgps[0]} and {dgps[1]} at the digits shown, value and MCSE"
             + (": standardising makes the GAN location–scale equivariant, so these recipes' "
                "results do not depend on μ and σ, and their rows at "
                f"{dgps[1]} are not repeated in the tables of this README." if same else ".")
             if len(dgps) == 2 else "")

    # 1. Each recipe against the data, per DGP.
    rows = []
    for d in dgps:
        for lab in labels:
            if d != dgps[0] and configs[lab].standardize and same:
                continue
            vr, vr_se = g(d, lab, "mean", "varratio")
            sd, sd_se = g(d, lab, "sd", "mean")
            kd, kd_se = g(d, lab, "ks", "diff")
            k = int(round(g.est(d, lab, "ks", "less") * g.est(d, lab, "ks", "nsim")))
            nn = int(g.est(d, lab, "ks", "nsim"))
            col = int(round(g.est(d, lab, "collapsed", "mean") * g.est(d, lab, "collapsed",
                                                                      "nsim")))
            rows.append((d, titles[lab], f"{pm(vr, vr_se, 3)}, {ratio_word(vr, vr_se)}",
                         f"{pm(sd / sigma[d], sd_se / sigma[d], 3)}, "
                         f"{ratio_word(sd / sigma[d], sd_se / sigma[d])}",
                         f"{signed(kd, 4)} ({num(kd_se, 4)}), {word(kd, kd_se)}",
                         f"{num(k / nn, 3)}, {rules.majority(k, nn)}", str(col)))
    own = md_table(pd.DataFrame(rows, columns=[
        "DGP", "recipe", "var(X̄*)/var(X̄)", "sd*/σ", "KS* − KS_n", "P(KS* < KS_n)",
        f"collapsed, of {B}"]), align="lllllll")

    # 3. Each recipe against `standardize`, paired.
    prs = {d: _paired(tidy[tidy["dgp"] == d]) for d in dgps}
    less = {d: _ks_less(tidy[tidy["dgp"] == d]) for d in dgps}
    crow, words = [], {}
    for d in dgps:
        for lab in labels:
            if lab == REF:
                continue
            if d != dgps[0] and configs[lab].standardize and same:
                continue  # the same figures as at the first DGP
            vr, vr_se = prs[d](lab, "mean", "varratio")
            kd, kd_se = prs[d](lab, "ks", "diff")
            ld, ld_se = paired_mean(less[d][lab], less[d][REF])
            words[(d, lab)] = {
                "var": rules.compare(vr - 1, vr_se, higher="above 1", lower="below 1").word,
                "ks": rules.compare(kd, kd_se).word, "p": rules.compare(ld, ld_se).word}
            crow.append((d, titles[lab], f"{pm(vr, vr_se, 3)}, {ratio_word(vr, vr_se)}",
                         f"{signed(kd, 4)} ({num(kd_se, 4)}), {word(kd, kd_se)}",
                         f"{signed(ld, 3)} ({num(ld_se, 3)}), {word(ld, ld_se)}"))
    cmp_table = md_table(pd.DataFrame(crow, columns=[
        "DGP", "recipe", f"var(X̄*) / var(X̄*) of `{REF}`", f"mean KS* − `{REF}`'s",
        f"P(KS* < KS_n) − `{REF}`'s"]), align="lllll")

    d0 = dgps[0]

    def which(key, w):
        return [lab for (d, lab), ws in words.items() if d == d0 and ws[key] == w]

    def names(labs):
        return ", ".join(f"`{lab}`" for lab in labs) or "none"

    better_p = which("p", "higher")
    pairs = []
    for a, b in itertools.combinations(better_p, 2):
        dd, dd_se = paired_mean(less[d0][a], less[d0][b])
        pairs.append(f"`{a}` − `{b}` {signed(dd, 3)} ({num(dd_se, 3)}), {word(dd, dd_se)}")
    bullets = [
        f"- At {d0}, against `{REF}`: a higher P(KS* < KS_n) for {names(better_p)}"
        + (f" (between them: {'; '.join(pairs)})" if pairs else "")
        + f"; a lower mean KS* for {names(which('ks', 'lower'))}, a higher one for "
        f"{names(which('ks', 'higher'))}; a variance ratio above 1 for "
        f"{names(which('var', 'above 1'))}, below 1 for {names(which('var', 'below 1'))}; "
        f"every other difference is not resolved at B = {B}.",
    ]
    if len(dgps) > 1 and "default" in labels:
        d1 = dgps[1]
        vr, vr_se = g(d1, "default", "mean", "varratio")
        sd, sd_se = (v / sigma[d1] for v in g(d1, "default", "sd", "mean"))
        k = int(round(g.est(d1, "default", "ks", "less") * B))
        col = int(round(g.est(d1, "default", "collapsed", "mean") * B))
        bullets.append(
            f"- The raw-data `default` recipe depends on the scale: at {d1} its variance "
            f"ratio against X̄ is {pm(vr, vr_se, 3)} ({ratio_word(vr, vr_se)}), its sd*/σ "
            f"{pm(sd, sd_se, 3)} ({ratio_word(sd, sd_se)}), KS* < KS_n in "
            f"{share_text(k, B)}, and {col} of its {B} GANs are flagged collapsed.")
    # MSE against σ²/n: the data sets' own luck, read from X̄.
    cr = {d: sigma[d] ** 2 / n for d in dgps}
    e_mse, e_se = g(d0, "ecdf", "mean", "mse")
    bullets.append(
        f"- MSE(X̄*)/(σ²/n) is read against X̄ on the same data sets: at {d0} X̄ itself has "
        f"MSE(X̄)/(σ²/n) = {pm(e_mse / cr[d0], e_se / cr[d0], 3)} "
        f"({ratio_word(e_mse / cr[d0], e_se / cr[d0])}), so the variance ratios paired with "
        "X̄ are the figures to compare across recipes.")
    if len(dgps) > 1:
        d1 = dgps[1]
        std_labs = [lab for lab in labels if configs[lab].standardize]
        bias_nr = sum(not rules.compare(*g(d1, lab, "mean", "bias")).resolved
                      for lab in std_labs)
        sd_min = min(g.est(d1, lab, "sd", "mean") / sigma[d1] for lab in std_labs)
        bullets.append(
            f"- No standardised recipe shrinks X̄*: at {d1} (μ ≠ 0) the bias of X̄* is not "
            f"resolved from 0 for {bias_nr} of {len(std_labs)} of them, and their mean "
            f"sd*/σ is at least {num(sd_min, 3)}.")
    parts.append(
        "## What the data show\n\n"
        "**Each recipe against the data** (paired with X̄ and KS_n on the same data sets; "
        "`table.md` has every measure):\n\n" + own + "\n\n" + equiv + "\n\n"
        f"**Each recipe against `{REF}`**, paired on the same data sets (variance ratio and "
        f"KS* difference by `gansim.summarise` with `ref=\"{REF}\"`; the difference of the "
        "shares P(KS* < KS_n) with the paired MCSE of the per-replication indicators)"
        + ":\n\n" + cmp_table + "\n\n" + "\n".join(bullets))
    parts.append(
        "The package's default recipe, `GANConfig()`, trains on the standardised data "
        f"(`standardize={GANConfig.standardize}`); results/poc is run with it.")
    files = [
        ("`table.md`", "per DGP and recipe: bias(X̄*), MSE(X̄*)/(σ²/n), var(X̄*)/var(X̄) "
         "(paired MCSE), sd*/σ, mean KS*, mean KS_n, P(KS* < KS_n), D on the data, the "
         "value, collapse and failure counts"),
        ("`summary.csv`", "`gansim.summarise(tidy, by=[\"dgp\"], ref=\"ecdf\")`: every "
         "measure with its MCSE per DGP, method (recipe) and quantity"),
        ("`summary.md`, `summary.tex`", "the whole summary as tables"),
        ("`replications.csv.gz`", "the tidy rows, one per DGP × replication × method × "
         "quantity"),
        ("`forest.png`", "the variance ratio of X̄* against X̄, ±1.96 MCSE, by DGP and "
         "recipe"),
        ("`run.json`", "command, seed, settings of each recipe, versions, machine, wall "
         "times"),
    ]
    parts.append("## Files\n\n" + md_table(pd.DataFrame(files, columns=["file", "what"]),
                                           align="ll"))
    parts.append(
        "## Limits\n\n"
        f"- B = {B} per recipe and DGP: differences between recipes smaller than about 2 "
        "paired MCSEs (in the tables above) are not resolved.\n"
        "- Two normal DGPs and one n; the recipes were not compared on skewed, heavy-tailed "
        "or multimodal data (results/rates and results/coverage use the standardised "
        "recipe there).\n"
        "- `python -m gansim report recipe` renders this README, `table.md` and `summary.md` "
        "from the committed files; it recomputes no replication.")
    return "\n\n".join(wrap(p) for p in parts) + "\n"


def render(results) -> dict[str, str]:
    """The Markdown files of ``results/recipe``, keyed by their path relative to
    ``results``."""
    results = Path(results)
    folder = results / FOLDER
    run = read_json(folder / "run.json")
    summary = read_csv(folder / "summary.csv")
    tidy = _tidy(folder)
    tables = _tables(run, summary, tidy)
    return {
        f"{FOLDER}/README.md": _readme(results, run, summary, tidy, tables),
        f"{FOLDER}/table.md": _table_md(run, tables),
        f"{FOLDER}/summary.md": summary_md(summary, rows=["dgp", "quantity", "stat"], caption=(
            "Training recipes: every stat as value (MCSE), by DGP, quantity and method "
            "(recipe); paired stats against ecdf.")),
    }
