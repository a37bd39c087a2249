"""The report of ``results/generators_tuning``: how the settings of the GAN's generator
options were chosen, on a seed and designs of their own.

Renders ``generators_tuning/README.md`` from the committed files of the folder:
``replications.csv.gz`` (the per-replication KS of every candidate and of the default
recipe, for the MCSEs), ``scores.csv`` (the scores the study chose by), ``chosen.json``
(the winners, the best combination and the design) and ``run.json`` (the command, seed,
wall time, versions and each stage's settings, whence every candidate's options).

A candidate's score is the mean over the tuning cells (dgp, n) of log(mean KS / the default
recipe's mean KS). Its MCSE is computed here from the replications: per cell, the delta
method on the paired per-replication KS of the candidate ``a`` and the default ``b``,
``sd(a_i/ā − b_i/b̄)/√B``, combined over the independent cells as ``√(Σ se²)/cells``
(:func:`log_ratio_score`). The words *beats the default*, *worse than the default* and *not
resolved at this B* come only from :func:`gansim.summary.rules.compare` applied to the score
and that MCSE.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from gansim.render.common import provenance, read_csv, read_json
from gansim.summary import rules
from gansim.summary.text import fill, md_table, num, signed

__all__ = ["render", "describe", "log_ratio_score", "ks_wide", "score_word", "FOLDER",
           "DEFAULT", "FAMILY_NAMES"]

FOLDER = "generators_tuning"
#: The label of the default recipe in the tuning's data.
DEFAULT = "gan"
#: The option families (a candidate's family is its label's prefix) and their names.
FAMILY_NAMES = {"pareto": "heavy-tailed (Pareto) latent", "mix": "mixture latent",
                "grow": "training budget that grows with n"}


def describe(config) -> str:
    """The generator options of a :class:`~gansim.gan.config.GANConfig` (or its settings
    dict) in words; ``"the default recipe"`` when it sets none of them.

    Examples
    --------
    >>> describe({"latent": "pareto", "steps_power": 0.5})
    "Pareto latent, tail index by Hill's estimate from each data set; steps × (n/100)^0.5"
    >>> describe({})
    'the default recipe'
    """
    from gansim.gan.config import GANConfig

    if isinstance(config, dict):
        fields = {k: tuple(v) if isinstance(v, list) else v for k, v in config.items()}
        config = GANConfig(**fields)
    parts = []
    if config.latent == "pareto":
        tail = ("tail index by Hill's estimate from each data set"
                if config.latent_tail == "hill" else f"tail index {config.latent_tail:g}")
        parts.append(f"Pareto latent, {tail}")
    if config.latent_components > 1:
        parts.append(f"mixture latent of K = {config.latent_components} components "
                     f"{config.latent_separation:g} latent sds apart")
    if config.steps_power:
        parts.append(f"steps × (n/{config.budget_n0})^{config.steps_power:g}")
    if config.width_power:
        parts.append(f"widths × (n/{config.budget_n0})^{config.width_power:g}")
    return "; ".join(parts) or "the default recipe"


def ks_wide(tidy: pd.DataFrame) -> pd.DataFrame:
    """The KS per replication, one column per method, indexed by (dgp, n, rep); stages that
    repeat a method on the same data (the default recipe, F_n) are kept once."""
    rep = "rep" if "rep" in tidy.columns else "replication"
    ks = tidy[(tidy.quantity == "ks") & (tidy.status == "ok")]
    ks = ks.drop_duplicates(["dgp", "n", rep, "method"])
    return ks.pivot_table(index=["dgp", "n", rep], columns="method", values="estimate")


def log_ratio_score(wide: pd.DataFrame, a: str, b: str) -> dict:
    """The mean over cells (dgp, n) of log(mean KS of ``a`` / mean KS of ``b``) and its MCSE.

    Per cell the log ratio of the two means (each over its method's replications, as the
    study's scores are), and, on the replications where both were measured, the delta
    method's paired SE ``sd(a_i/ā − b_i/b̄)/√B``; the cells are independent, so the mean's
    MCSE is ``√(Σ se²)/cells``. Returns ``score``, ``mcse``, ``cells`` and ``per_cell`` (a
    frame of ``log_ratio`` and ``se`` by cell).

    Examples
    --------
    >>> idx = pd.MultiIndex.from_product([["x"], [100], range(4)], names=["dgp", "n", "rep"])
    >>> w = pd.DataFrame({"a": [1.0, 2.0, 3.0, 2.0], "b": [2.0, 4.0, 5.0, 5.0]}, index=idx)
    >>> r = log_ratio_score(w, "a", "b")
    >>> round(r["score"], 4), round(r["mcse"], 4), r["cells"]
    (-0.6931, 0.1021, 1)
    """
    rows = []
    for cell, g in wide[[a, b]].groupby(level=["dgp", "n"], sort=False):
        ma, mb = g[a].mean(), g[b].mean()
        pair = g.dropna()
        d = pair[a] / pair[a].mean() - pair[b] / pair[b].mean()
        se = float(d.std(ddof=1) / math.sqrt(len(pair))) if len(pair) > 1 else math.nan
        rows.append({"dgp": cell[0], "n": int(cell[1]), "log_ratio": float(np.log(ma / mb)),
                     "se": se, "B": len(pair)})
    per = pd.DataFrame(rows)
    cells = len(per)
    return {"score": float(per.log_ratio.mean()),
            "mcse": float(math.sqrt((per.se ** 2).sum()) / cells), "cells": cells,
            "per_cell": per}


def score_word(score: float, mcse: float) -> str:
    """The rule's words for a score against the default recipe (:func:`rules.compare`).

    >>> score_word(-0.3, 0.05), score_word(0.3, 0.05), score_word(-0.05, 0.05)
    ('beats the default', 'worse than the default', 'not resolved at this B')
    """
    return rules.compare(score, mcse, higher="worse than the default",
                         lower="beats the default").word


def spm(value: float, mcse: float, digits: int = 3) -> str:
    """``+0.012 (0.004)``: a signed value and its MCSE."""
    return f"{signed(value, digits)} ({num(mcse, digits)})"


def _family(label: str) -> str:
    return next((f for f in FAMILY_NAMES if label.startswith(f + "_")), "")


def _configs(run: dict, stage: str) -> dict[str, dict]:
    methods = run.get("settings", {}).get(stage, {}).get("methods", [])
    return {m["label"]: m["config"] for m in methods if "config" in m}


def _options(config: dict, base: dict) -> str:
    """The fields of a GAN's settings that differ from the default recipe's, as code."""
    diff = {k: v for k, v in config.items() if base.get(k) != v}
    return ", ".join(f"{k}={v!r}" for k, v in diff.items()) or "–"


def _score_table(table: pd.DataFrame, wide: pd.DataFrame, configs: dict, base: dict,
                 *, family: bool, cap_n: int = 0) -> tuple[str, dict]:
    rows, stats = [], {}
    for r in table.itertuples():
        s = log_ratio_score(wide, r.method, DEFAULT)
        stats[r.method] = s
        row = {"candidate": f"`{r.method}`"}
        if family:
            row["family"] = _family(r.method)
        cfg = configs.get(r.method)
        row["what it sets"] = describe(cfg) if cfg is not None else "?"
        row["options (run record)"] = (f"`{_options(cfg, base)}`" if cfg is not None else "?")
        row["score (MCSE)"] = spm(r.score, s["mcse"])
        row["KS ratio"] = num(math.exp(r.score), 3)
        row["against the default"] = score_word(r.score, s["mcse"])
        row["cells"] = str(int(r.cells))
        if "cost" in table.columns:
            row[f"cost at n = {num(cap_n, 0)}"] = (f"{num(r.cost, 1)}×"
                                                   + ("" if bool(r.eligible) else " (over)"))
        rows.append(row)
    align = "l" + ("l" if family else "") + "llrrlr" + ("r" if "cost" in table.columns else "")
    return md_table(pd.DataFrame(rows), align=align), stats


def _margin(wide: pd.DataFrame, first: str, second: str) -> str:
    """The paired difference of two candidates' scores (the default recipe cancels)."""
    s = log_ratio_score(wide, first, second)
    word = rules.compare(s["score"], s["mcse"], higher="larger", lower="smaller").word
    return (f"`{first}` − `{second}` = {signed(s['score'], 3)} (MCSE {num(s['mcse'], 3)}): "
            f"*{word}*")


def _log_cell(ratio: float) -> str:
    text = signed(np.log(ratio), 2)
    return "0.00" if text in ("+0.00", "−0.00") else text


def _cell_table(wide: pd.DataFrame, labels: list[str], dgps=()) -> str:
    means = wide.groupby(level=["dgp", "n"]).mean()
    order = {d: i for i, d in enumerate(dgps)}
    cells = sorted(means.index, key=lambda c: (order.get(c[0], len(order)), c[0], c[1]))
    cols = [f"{d} {int(n)}" for d, n in cells]
    rows = []
    for ref in ("ecdf", DEFAULT):
        if ref in means:
            rows.append([f"`{ref}`: mean KS"] + [num(means.loc[c, ref], 4) for c in cells])
    for lab in labels:
        # An exact 0 (a budget that equals the default's at n = 100 trains the same GANs)
        # and a rounding of a tiny difference are both written 0.00.
        rows.append([f"`{lab}`"] + [_log_cell(means.loc[c, lab] / means.loc[c, DEFAULT])
                                    for c in cells])
    frame = pd.DataFrame(rows, columns=["", *cols])
    return md_table(frame, align="l" + "r" * len(cols))


def readme(base: Path) -> str:
    """The text of ``generators_tuning/README.md``."""
    from gansim.studies.generators import DEFAULTS as REPORTING

    tidy = read_csv(base / "replications.csv.gz",
                    usecols=["dgp", "n", "rep", "method", "quantity", "estimate", "status",
                             "stage"])
    scores = read_csv(base / "scores.csv")
    chosen = read_json(base / "chosen.json")
    run = read_json(base / "run.json")
    wide = ks_wide(tidy)
    ks = tidy[tidy.quantity == "ks"]
    Bs = ks.groupby(["stage", "dgp", "n", "method"]).size()
    B_text = "/".join(str(b) for b in sorted(set(Bs)))
    conf1, conf2 = _configs(run, "stage1"), _configs(run, "stage2")
    base_cfg = conf1.get(DEFAULT, {})
    seed = chosen.get("seed", run.get("seed"))
    dgps, ns = chosen.get("dgps", []), chosen.get("ns", [])
    m = chosen.get("m", run.get("settings", {}).get("stage1", {}).get("m"))
    steps = chosen.get("steps", base_cfg.get("steps"))
    t1 = scores[scores.stage == 1].sort_values("score")
    t2 = scores[scores.stage == 2].sort_values("score")
    cap = chosen.get("cost_cap")
    priced = "cost" in scores.columns and "eligible" in scores.columns and cap is not None
    cap_n = int(cap["n"]) if priced else 0
    if priced:
        # The CSV writer stores booleans as 1/0; a reader may also see True/False.
        t1, t2 = (t.assign(eligible=t.eligible.astype(str).str.lower().isin(["1", "true"]))
                  for t in (t1, t2))
    else:
        t1, t2 = t1.assign(eligible=True), t2.assign(eligible=True)
    failed = int((tidy.status != "ok").sum())

    # Do the stages share their data sets and default GANs? (Same seed and design: they
    # should; the pairing of a stage-2 combination with a stage-1 winner relies on it.)
    both = tidy[(tidy.quantity == "ks") & tidy.method.isin(["ecdf", DEFAULT])]
    piv = both.pivot_table(index=["dgp", "n", "rep", "method"], columns="stage",
                           values="estimate")
    shared = (1 in piv and 2 in piv and len(piv.dropna()) > 0
              and bool(np.array_equal(piv.dropna()[1].to_numpy(), piv.dropna()[2].to_numpy())))

    L = ["# results/generators_tuning — choosing the generator options' settings", ""]
    L += [fill(
        "The study is `gansim/studies/generators_tuning.py` (`python -m gansim "
        "generators_tuning`). It chooses the settings of three generator options of the GAN "
        "-- a heavy-tailed (Pareto) latent, a mixture latent and a training budget that grows "
        "with n -- and their best combination, which the reporting study (`python -m gansim "
        f"generators`, `../generators/`) then runs. The choice is made here on seed {seed} and "
        "on this folder's data sets only, apart from the reporting study's seed "
        f"{REPORTING['seed']} and its data: no figure of the reporting study went into it."), ""]
    L += ["## Design", ""]
    L += [fill(
        f"DGPs: {', '.join(f'`{d}`' for d in dgps)}; n ∈ {{{', '.join(map(str, ns))}}}; "
        f"B = {B_text} replications per condition and method; KS to the true distribution "
        f"through m = {num(m, 0)} draws per GAN and replication (F_n's KS exact); every GAN "
        f"trained {num(steps, 0)} steps before any growth with n (fused engine, counter-based "
        "noise, standardised data), with the same data sets and the same default recipe "
        f"(`{DEFAULT}`) beside every candidate. Failed replications: {failed}."), ""]
    L += [fill(
        "**Score.** For each candidate, the mean over the "
        f"{len(dgps) * len(ns)} cells (dgp, n) "
        "of log(mean KS / the default recipe's mean KS): a geometric-mean KS ratio on the log "
        "scale, below 0 when the candidate is closer to the truth than the default (its "
        "exponential, the *KS ratio*, is given beside it). **MCSE** of a score, from the "
        "replications: per cell the delta method on the paired per-replication KS of the "
        "candidate (a) and the default (b), sd(a_i/ā − b_i/b̄)/√B, combined over the "
        "independent cells as √(Σ se²)/cells. **Words:** *beats the default* when the score is "
        f"below −{rules.K_MCSE:g} of its MCSEs, *worse than the default* when above "
        f"{rules.K_MCSE:g} MCSEs, else *not resolved at this B* (`gansim.summary.rules.compare`). "
        "Over many candidates a null score is resolved by chance with probability "
        f"{num(rules.P_RESOLVED_BY_CHANCE, 3)} each."), ""]

    # Stage 1.
    L += ["## Stage 1: every candidate", ""]
    L += [fill(
        f"{len(t1)} candidates, each a change of the default recipe (hidden widths "
        f"{tuple(base_cfg.get('g_hidden', ()))}, {num(steps, 0)} steps, a "
        f"{base_cfg.get('latent_dim', '?')}-dimensional normal latent) in one option; "
        "`options` are the fields of its settings (in `run.json`) that differ from the "
        "default recipe's. Smallest score first"
        + (f"; `cost` is the candidate's training cost at n = {num(cap_n, 0)}, the reporting "
           "study's largest n, relative to the default recipe's (steps ratio × hidden-width "
           "ratio squared), and *(over)* marks a cost above the cap of "
           f"{num(cap['cap'], 0)}× that the reporting study can afford: such a candidate is "
           "scored but cannot win" if priced else "") + ":"), ""]
    table1, stats1 = _score_table(t1, wide, conf1, base_cfg, family=True, cap_n=cap_n)
    L += [table1, ""]
    words1 = [score_word(r.score, stats1[r.method]["mcse"]) for r in t1.itertuples()]
    L += [fill(
        f"Resolved against the default: {words1.count('beats the default')} beat it, "
        f"{words1.count('worse than the default')} are worse, "
        f"{words1.count(rules.UNRESOLVED)} not resolved, of {len(words1)}; were no candidate "
        f"different from the default, {rules.chance_resolved(len(words1)).sentence()} "
        "resolved either way."), ""]
    labels1 = list(t1.method)
    L += [fill("Per cell: the mean KS of F_n and of the default recipe, then each candidate's "
               "log(mean KS / the default's) (negative: closer than the default):"), "",
          _cell_table(wide, labels1, dgps), ""]

    # Winners.
    winners = chosen.get("winners", {})
    L += ["## The winners", ""]
    L += [fill(
        "**Rule.** The winner of each family is its candidate with the smallest stage-1 score"
        + (f" among those within the cost cap ({num(cap['cap'], 0)}× the default's training "
           f"cost at n = {num(cap_n, 0)})" if priced else "")
        + ", whether or not its margin over the next is resolved; the margin (the paired "
        "difference of the two scores, on the same replications, with its MCSE) says how firm "
        "the choice is."), ""]
    for fam, w in winners.items():
        lab = w["label"]
        fam_all = t1[t1.method.str.startswith(fam + "_")]
        fam_rows = fam_all[fam_all.eligible]
        s = stats1.get(lab)
        text = (f"- **{FAMILY_NAMES.get(fam, fam)}**: `{lab}` ({describe(w['options'])}), score "
                + (f"{spm(t1.set_index('method').score[lab], s['mcse'])}, "
                   f"*{score_word(t1.set_index('method').score[lab], s['mcse'])}*" if s else "–"))
        fam_words = [score_word(r.score, stats1[r.method]["mcse"]) for r in fam_all.itertuples()]
        if "beats the default" not in fam_words:
            text += (" (no candidate of this family beats the default recipe; the rule "
                     "still names the one with the smallest score)")
        if len(fam_rows) > 1:
            text += "; margin over the next: " + _margin(wide, lab, fam_rows.iloc[1].method)
        over = fam_all[~fam_all.eligible & (fam_all.score < fam_all.set_index("method")
                                             .score.get(lab, math.inf))]
        for r in over.itertuples():
            text += (f"; `{r.method}` scored lower ({signed(r.score, 3)}) but costs "
                     f"{num(r.cost, 1)}×, over the cap")
        L += [fill(text + ".", indent="  ")]
    L += [""]

    # Stage 2.
    best = chosen.get("best", {})
    L += ["## Stage 2: the combinations of the winners", ""]
    L += [fill(
        f"The {len(t2)} pairwise and threefold combinations of the winners, run on "
        + ("the same data sets as stage 1 (F_n's and the default recipe's KS are identical, "
           "replication by replication, in both stages)" if shared else
           "data sets that are NOT identical to stage 1's (F_n's or the default recipe's KS "
           "differ between the stages)")
        + ". Smallest score first:"), ""]
    table2, stats2 = _score_table(t2, wide, conf2, base_cfg, family=False, cap_n=cap_n)
    L += [table2, ""]

    finalists = pd.concat([t1[t1.method.isin([w["label"] for w in winners.values()])], t2])
    finalists = finalists.sort_values("score")
    finalists = finalists[finalists.eligible]
    L += ["## The best combination", ""]
    blab = best.get("label", "?")
    bs = {**stats1, **stats2}.get(blab)
    bscore = finalists.set_index("method").score.get(blab, math.nan)
    text = (f"**Rule.** The best is the finalist -- the {len(winners)} winners and the "
            f"{len(t2)} combinations"
            + (", those within the cost cap" if priced else "")
            + f" -- with the smallest score: `{blab}` "
            f"({describe(best.get('options', {}))}), score "
            + (f"{spm(bscore, bs['mcse'])}, KS ratio {num(math.exp(bscore), 3)}, "
               f"*{score_word(bscore, bs['mcse'])}*" if bs else "–"))
    if len(finalists) > 1 and blab == finalists.iloc[0].method:
        nxt = finalists.iloc[1].method
        text += (". Its margin over the next finalist" + ("" if shared else " (NOT paired: "
                 "the stages' data differ; the MCSE below assumes pairing)") + ": "
                 + _margin(wide, blab, nxt))
    L += [fill(text + "."), ""]
    L += [fill(
        "The reporting study runs the winners as `gan_pareto`, `gan_mixture` and `gan_grow` "
        "and the best combination as `gan_best`, reading them from `chosen.json`."), ""]

    L += ["## Files and provenance", ""]
    L += [md_table(pd.DataFrame([
        ("`replications.csv.gz`", "one row per stage × condition × replication × method × "
         "quantity (KS, and the GANs' diagnostics)"),
        ("`summary.csv`", "`gansim.summarise` by dgp and n, per stage"),
        ("`scores.csv`", "each candidate's score and number of cells (and, where priced, its "
         "training cost and whether it is within the cap), per stage"),
        ("`chosen.json`", "the winners, the best combination, every score and the design"),
        ("`run.json`", "the run record: command, seed, wall time, versions, each stage's "
         "settings"),
    ], columns=["file", "what"]), align="ll"), ""]
    L += [provenance(run).replace("\n", "  \n"), ""]
    if "--reuse-blocks-from-other-code" in str(run.get("command", "")):
        L += [fill(
            "The command reused finished blocks of an earlier run of the same seed and design "
            "whose code differed (`--reuse-blocks-from-other-code`): the wall time is that of "
            "this run only, not of every block."), ""]
    L += [fill(
        f"Every replication is in `replications.csv.gz` (B = {B_text} per condition); "
        "the stages' resumable blocks (`parts/`) are not committed. The wall time is that "
        "of the run on its machine, not a benchmark."), ""]
    return "\n".join(L).rstrip("\n") + "\n"


def render(results) -> dict[str, str]:
    """``generators_tuning/README.md``, keyed by its path under ``results``."""
    return {f"{FOLDER}/README.md": readme(Path(results) / FOLDER)}
