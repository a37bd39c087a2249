"""The report of ``results/coverage``: can T(F*_n) be used for inference?

Renders ``coverage/README.md``, ``coverage/coverage.md`` (coverage and width of every
method, band counts, the Wald diagnosis, warm against scratch), ``coverage/paired.md`` (the
paired comparisons) and each part's ``table.md`` from the committed files: every part's
``summary.csv``, ``run.json``, ``study.json`` and ``replications.csv.gz`` (the interval ends
only, for the paired comparisons), and the folder's ``summary.csv``,
``wald_diagnosis.csv`` and ``warm_vs_scratch.csv``.  The parts with the training recipe as
a factor (``recipes``, ``scratch_best``: their ``recipes.json`` too, and the folder's
``recipes_diagnosis.csv``) add a section to the README, pairs to ``paired.md`` and their own
``table.md`` only when their folders are there; without them the files render as before.

Comparative words come from :mod:`gansim.summary.rules`, among them:

- **Chance of a resolved paired difference** (:data:`gansim.summary.rules.P_RESOLVED_BY_CHANCE`):
  when two methods do not differ, a paired difference exceeds 2 paired MCSEs with
  probability about 2·Φ(−2) = 0.046; counts of resolved differences over many cells are set
  against that chance.
- **A trend of coverage with n** (:func:`coverage_trend`): :func:`gansim.summary.rules.
  weighted_slope` of the observed coverage on log₂ n, each cell's SE its binomial
  ``√(c(1 − c)/B)`` (``c`` kept inside ``[0.5/B, 1 − 0.5/B]``).
"""

from __future__ import annotations

import functools
import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd

from gansim.render.common import files_stamp, read_csv, read_json, versions_line
from gansim.studies.coverage import (
    NEW_PARTS,
    RECIPES,
    counts_table,
    cover_frame,
    cover_rows,
    coverage_md,
    diagnosis_table,
    label_part,
    tables,
    warm_table,
    warm_word,
)
from gansim.summary import rules
from gansim.summary.text import count, fill, md_table, num, num_range, paragraph, signed

__all__ = ["render", "fragments", "FRAGMENT", "PARTS", "P_RESOLVED_BY_CHANCE",
           "coverage_trend", "paired", "counts_table", "tables", "diagnosis_table",
           "warm_table", "coverage_md", "paired_md", "load"]

FOLDER = "coverage"
#: The study's parts, in the order they are reported.
PARTS = ("wald", "boot", "check", "scratch")
#: Stated rule: the probability that a paired difference of two methods that do not differ
#: is called resolved (beyond ``rules.K_MCSE`` paired MCSEs), normal approximation.
P_RESOLVED_BY_CHANCE = rules.P_RESOLVED_BY_CHANCE
#: The reference interval of the paired comparisons: Efron's BCa on the same data sets.
REF = "boot_bca"
#: The same BCa as computed again in part ``recipes`` (its label in the folder's summary).
RECIPES_REF = label_part(REF, "recipes")
#: The GAN bootstrap's intervals.
BOOT_KINDS = ("percentile", "basic", "bca")
#: Their names in the text.
KIND_NAMES = {"percentile": "percentile", "basic": "basic", "bca": "BCa"}
NR = rules.UNRESOLVED
HLN, LHN, NWN = ("higher", "lower", NR), ("lower", "higher", NR), ("narrower", "wider", NR)


# --------------------------------------------------------------------------- data


def _part_label(method: str, part: str) -> str:
    """A part's method as the folder's summary labels it (:func:`gansim.studies.coverage.
    label_part`: the ``check`` part's warm-started methods ``_warm``, the ``recipes``
    part's BCa ``_recipes``)."""
    return label_part(method, part)


def _prepared(results) -> tuple[dict, dict, pd.DataFrame]:
    """:func:`load`, :func:`_design` and :func:`comparisons` of ``results``, once per state
    of the folder's files (their names, sizes and modification times), so that the README
    and the top README's fragment share them. Callers only read them."""
    base = Path(results).resolve() / FOLDER
    # The folder's own files and its parts' (not their block folders).
    return _prepare(str(base.parent), files_stamp(base, ("*.*", "*/*.*")))


@functools.lru_cache(maxsize=2)
def _prepare(results: str, stamp: tuple) -> tuple[dict, dict, pd.DataFrame]:
    data = load(results)
    return data, _design(data), comparisons(data)


def load(results) -> dict:
    """Everything the report reads, once."""
    base = Path(results) / FOLDER
    data = {"base": base, "summary": read_csv(base / "summary.csv"),
            "diag": read_csv(base / "wald_diagnosis.csv"),
            "warm": read_csv(base / "warm_vs_scratch.csv"), "parts": {}}
    cols = ["dgp", "n", "rep", "method", "quantity", "lower", "upper", "truth"]
    summary = data["summary"]
    dgp_code = {d: i for i, d in enumerate(dict.fromkeys(summary["dgp"]))}
    q_code = {q: i for i, q in enumerate(dict.fromkeys(summary["quantity"]))}
    # The parts with the recipe as a factor, where their folders are there.
    data["new"] = [p for p in NEW_PARTS if (base / p / "replications.csv.gz").is_file()]
    for p in (*PARTS, *data["new"]):
        reps = read_csv(base / p / "replications.csv.gz", usecols=cols)
        labels = {m: _part_label(m, p) for m in reps["method"].unique()}
        reps["method"] = reps["method"].map(labels)
        # One integer per (dgp, n, quantity, rep), the same in every part: the paired
        # comparisons join on it (faster than on the four columns).
        reps["key"] = ((reps["dgp"].map(dgp_code) * 100_000 + reps["n"]) * 100
                       + reps["quantity"].map(q_code)) * 1_000_000 + reps["rep"]
        data["parts"][p] = {"summary": read_csv(base / p / "summary.csv"),
                            "run": read_json(base / p / "run.json"),
                            "study": read_json(base / p / "study.json"),
                            "reps": reps}
        if p in NEW_PARTS:
            data["parts"][p]["recipes"] = read_json(base / p / "recipes.json")
    if "recipes" in data["new"]:
        data["rdiag"] = read_csv(base / "recipes_diagnosis.csv")
    data["cf"] = cover_frame(data["summary"])
    return data


# ---------------------------------------------------------------------- stated rules


def coverage_trend(ns, covers, B) -> dict:
    """Stated rule: the trend of coverage with n (see the module's docstring).

    Returns ``slope`` (per doubling of n), ``lo``, ``hi`` (its 95% interval) and ``word``
    (from :func:`gansim.summary.rules.trend`).

    Examples
    --------
    >>> coverage_trend([25, 50, 100, 200, 400], [0.5, 0.4, 0.3, 0.2, 0.1], 500)["word"]
    'falls as n grows'
    >>> coverage_trend([25, 100], [0.95, 0.94], 500)["word"][:16]
    'shows no resolve'
    """
    y = np.asarray(covers, dtype=float)
    Bs = np.broadcast_to(np.asarray(B, dtype=float), y.shape)
    if len(y) < 2 or len(set(np.asarray(ns).tolist())) < 2:
        raise ValueError("a trend needs coverages at two or more sample sizes.")
    # The binomial SE of each coverage (kept off 0 at coverages of 0 or 1).
    p = np.clip(y, 0.5 / Bs, 1 - 0.5 / Bs)
    fit = rules.weighted_slope(np.log2(np.asarray(ns, dtype=float)), y,
                               np.sqrt(p * (1 - p) / Bs))
    return {"slope": fit.slope, "lo": fit.lo, "hi": fit.hi, "word": fit.word}


def paired(reps_a: pd.DataFrame, method_a: str, reps_b: pd.DataFrame,
           method_b: str) -> pd.DataFrame:
    """Paired comparison of two methods on the same data sets, per (dgp, n, quantity).

    Pairs are the replications where both intervals exist. Coverage: mean difference of
    the coverage indicators (A − B) and its paired MCSE (sd / √pairs), with the word of
    :func:`gansim.summary.rules.compare`; width: mean widths, their ratio (A's / B's) and the
    mean paired difference with its MCSE and word ("wider"/"narrower").
    """
    key = ["dgp", "n", "quantity", "rep"]
    # load() gives every row one integer ``key`` for the four columns; without it, join on them.
    on = ["key"] if "key" in reps_a and "key" in reps_b else key
    a = reps_a.loc[reps_a["method"] == method_a,
                   list(dict.fromkeys([*key, *on, "lower", "upper", "truth"]))]
    b = reps_b.loc[reps_b["method"] == method_b, [*on, "lower", "upper"]].rename(
        columns={"lower": "lower_b", "upper": "upper_b"})
    both = a.merge(b, on=on, how="inner", sort=False).dropna()
    both["ca"] = ((both["lower"] <= both["truth"]) & (both["truth"] <= both["upper"])) * 1.0
    both["cb"] = ((both["lower_b"] <= both["truth"]) & (both["truth"] <= both["upper_b"])) * 1.0
    both["wa"] = both["upper"] - both["lower"]
    both["wb"] = both["upper_b"] - both["lower_b"]
    both["dc"] = both["ca"] - both["cb"]
    both["dw"] = both["wa"] - both["wb"]
    g = both.groupby(["dgp", "n", "quantity"], sort=False)
    out = g.agg(pairs=("dc", "size"), cover_a=("ca", "mean"), cover_b=("cb", "mean"),
                d_cover=("dc", "mean"), sd_cover=("dc", "std"), width_a=("wa", "mean"),
                width_b=("wb", "mean"), d_width=("dw", "mean"), sd_width=("dw", "std"))
    out["d_cover_mcse"] = out.pop("sd_cover") / np.sqrt(out["pairs"])
    out["d_width_mcse"] = out.pop("sd_width") / np.sqrt(out["pairs"])
    out["width_ratio"] = out["width_a"] / out["width_b"]
    out["cover_word"] = [rules.compare(d, s).word
                         for d, s in zip(out["d_cover"], out["d_cover_mcse"], strict=True)]
    out["width_word"] = [rules.compare(d, s, higher="wider", lower="narrower").word
                         for d, s in zip(out["d_width"], out["d_width_mcse"], strict=True)]
    out = out.reset_index()
    out.insert(0, "b", method_b)
    out.insert(0, "a", method_a)
    return out


def _order(frame: pd.DataFrame, dgps, funcs) -> pd.DataFrame:
    frame = frame.copy()
    frame["_d"] = frame["dgp"].map({d: i for i, d in enumerate(dgps)})
    frame["_q"] = frame["quantity"].map({q: i for i, q in enumerate(funcs)})
    return frame.sort_values(["_d", "n", "_q"]).drop(columns=["_d", "_q"])


# ------------------------------------------------------------------------ the design


def _design(data) -> dict:
    """Design facts read from the parts' study.json and run.json."""
    d = {"parts": {}}
    for p in (*PARTS, *data.get("new", ())):
        part = data["parts"][p]
        conds = pd.DataFrame(part["run"]["conditions"])
        settings = part["study"]["settings"]
        first = next(iter(settings.values()))
        methods = [m["label"] for m in first["methods"]]
        funcs = list(first["functionals"])
        fn = " ".join(m["function"] for m in first["methods"])
        R = sorted({int(v) for v in re.findall(r"\bR=(\d+)", fn)})
        levels = sorted({float(v) for v in re.findall(r"\blevel=([0-9.]+)", fn)})
        d["parts"][p] = {"dgps": list(dict.fromkeys(conds["dgp"])),
                         "ns": sorted(set(conds["n"].astype(int))),
                         "B": sorted(set(conds["B"].astype(int))), "methods": methods,
                         "R": R, "levels": levels, "funcs": funcs,
                         "m": sorted({int(v["m"]) for v in settings.values()}),
                         "dgp_names": {v["condition"]["dgp"]: v["dgp"]
                                       for v in settings.values()},
                         "functionals": first["functionals"],
                         "condition_ids": {(v["condition"]["dgp"], v["condition"]["n"]):
                                           v["condition_id"] for v in settings.values()}}
    wald = d["parts"]["wald"]
    d["dgps"], d["ns"] = wald["dgps"], wald["ns"]
    # The functionals in the order of the study's summary (its tables' order).
    d["funcs"] = list(dict.fromkeys(data["summary"]["quantity"]))
    levels = {lv for p in d["parts"].values() for lv in p["levels"]}
    if len(levels) != 1:
        raise ValueError(f"the coverage parts use several levels {sorted(levels)}")
    d["level"] = levels.pop()
    ids = {}
    d["same_ids"] = True
    for p in d["parts"].values():
        for k, v in p["condition_ids"].items():
            if ids.setdefault(k, v) != v:
                d["same_ids"] = False
    return d


def _dgp_list(design) -> str:
    names = design["parts"]["wald"]["dgp_names"]
    return "; ".join(f"`{k}` {names[k]}" for k in design["dgps"])


# -------------------------------------------------------------------------- helpers


def _bullet(text: str) -> str:
    return fill("- " + text, indent="  ")


def _mark(cover: float, B: int, level: float) -> str:
    v = rules.coverage_verdict(cover, int(B), level)
    return num(cover) + {"under": "↓", "over": "↑"}.get(v, "")


def _cells(frame: pd.DataFrame, what: str = "cover_a") -> str:
    """``dgp n functional (value)`` for a few rows."""
    return ", ".join(f"{r.dgp} n = {r.n} {r.quantity} ({num(getattr(r, what))})"
                     for r in frame.itertuples())


def _word_counts(words, kinds) -> str:
    words = list(words)
    return ", ".join(f"{kind} in {sum(w == kind for w in words)}" for kind in kinds)


def _chance_resolved(cells: int) -> str:
    ch = rules.chance_count(cells, P_RESOLVED_BY_CHANCE)
    return (f"chance alone resolves about {ch.expected:.1f} of {cells} (95% range "
            f"{ch.lo}–{ch.hi}) where the methods do not differ")


def _counts_sentence(cf: pd.DataFrame, method: str, level: float, what="cells",
                     name: bool = True) -> str:
    g = cf[cf["method"] == method]
    c = rules.coverage_counts(g["est"], g["B_ok"].to_numpy(), level)
    return (f"`{method}` " if name else "") + \
        f"{c.at} of {c.total} {what} ({c.under} under, {c.over} over)"


# ------------------------------------------------------------------------ sections


def _provenance(data, design) -> str:
    parts = (*PARTS, *data.get("new", ()))
    runs = {p: data["parts"][p]["run"] for p in parts}
    rows = []
    for p in parts:
        r, dp = runs[p], design["parts"][p]
        rows.append({
            "part": f"`{p}`",
            "design": f"{', '.join(dp['dgps'])} × n ∈ {{{', '.join(map(str, dp['ns']))}}}",
            "B": "/".join(num(b, 0) for b in dp["B"]),
            "methods": ", ".join(f"`{m}`" for m in dp["methods"]),
            "started (UTC)": r["started"][:16].replace("T", " "),
            "wall time": f"{num(r['wall_time_s'], 0)} s" + _resumed(r),
            "failed": str(r.get("n_failed", "–"))})
    seeds = {r["seed"] for r in runs.values()}
    vers = {versions_line(r, ("python", "torch", "numpy", "scipy", "pandas", "statsmodels"))
            for r in runs.values()}
    mach = {(r["machine"]["cores"], r["machine"]["cpu"], r["versions"].get("cc", ""))
            for r in runs.values()}
    cmds = "\n".join(runs[p]["command"] for p in parts)
    out = ["## What was run", "",
           paragraph("The parts were run by these commands (as each part's `run.json` records "
                 "them); then `python -m gansim coverage --part report` wrote the folder's "
                 "`summary.csv`, `wald_diagnosis.csv`, `warm_vs_scratch.csv`, "
                 "`coverage.md` and `coverage.png` from the parts, and "
                 "`python -m gansim report coverage` renders this README, `coverage.md`, "
                 "`paired.md` and the parts' `table.md` from the committed files:"),
           "", "```bash", cmds, "```", "",
           md_table(pd.DataFrame(rows), align="lllllrr"), ""]
    facts = []
    if len(seeds) == 1:
        facts.append(f"Seed {seeds.pop()} for every part, and the same condition ids (checksums "
                     "of the DGP and n) in every part"
                     + ("" if design["same_ids"] else " — except where the parts' study.json "
                        "disagree") + ", so a data set, and the GAN fitted to it, is the same "
                     "in every part: comparisons between parts are paired by data set.")
    if len(vers) == 1:
        facts.append(f"Versions: {vers.pop()} (every part's `run.json`).")
    else:
        facts.append("Versions, per part (its `run.json`): " + "; ".join(
            f"`{p}` " + versions_line(runs[p], ("python", "torch", "numpy", "scipy", "pandas",
                                                "statsmodels")) for p in parts) + ".")
    if len(mach) == 1:
        cores, cpu, cc = mach.pop()
        facts.append(f"Machine: {cores}-core {cpu}, CPU only" + (f"; C compiler {cc}" if cc
                                                                 else "") + ".")
    failed = sum(int(r.get("n_failed", 0)) for r in runs.values())
    facts.append(f"Failed replications: {failed} in all parts (`failed` above).")
    if any(_resumed(r) for r in runs.values()):
        facts.append("A part whose run resumed blocks (the wall time's note) was completed by "
                     "that run after an earlier run of the same command was interrupted: its "
                     "wall time is the completing run's only, over the blocks it computed.")
    facts.append("Wall times are those of the recorded runs, on the machine of `run.json`, "
                 "not benchmarks; the cost per data set of each interval, measured on an "
                 "otherwise idle machine, is in "
                 "[`benchmarks/results/estimator.md`](../../benchmarks/results/estimator.md).")
    facts.append("Each part is its own resumable study in its own folder (`replications.csv.gz`"
                 " tidy rows, `summary.csv`, `table.md`, `study.json`, `run.json`); rerunning a"
                 " command resumes from the finished blocks.")
    out.append(paragraph(*facts))
    return "\n".join(out) + "\n"


def _resumed(run: dict) -> str:
    """`` (k of N blocks computed, the rest resumed)`` for a run that resumed blocks of an
    earlier one (its ``conditions`` say so), else ``""``."""
    conds = run.get("conditions") or []
    done = sum(int(c.get("blocks_resumed", 0)) for c in conds)
    if not done:
        return ""
    made = sum(int(c.get("blocks_computed", 0)) for c in conds)
    return f" ({made} of {made + done} blocks computed, the rest resumed)"


def _design_section(data, design) -> str:
    from gansim.gan.config import GANConfig
    from gansim.studies.coverage import WARM_STEPS

    parts = design["parts"]
    wald, boot = parts["wald"], parts["boot"]
    m = wald["m"][0]
    R_gan = [r for r in boot["R"]]
    R_cls = [r for r in wald["R"] if r not in R_gan] or wald["R"]
    funcs = "; ".join(f"`{k}`: {v}" for k, v in wald["functionals"].items())
    summ = data["summary"]
    cov = cover_rows(summ)
    mcse = {p: float(cov[cov["method"].isin(
        [_part_label(mm, p) for mm in parts[p]["methods"]])]["mcse"].max()) for p in PARTS}
    steps = GANConfig().steps
    lines = ["## Design", ""]
    lines.append(_bullet(f"**DGPs**: {_dgp_list(design)}. **Functionals**: {funcs}; truths "
                         f"from the DGPs. Nominal level {design['level']:g}, two-sided."))
    lines.append(_bullet(
        f"**GAN**: `GANEstimator(GANConfig(), m={m:_})`, the default recipe ({steps:,} "
        f"training steps on the standardised data), F* represented by {m:,} draws, fitted "
        "once per data set with a seed from the replication's own stream; every GAN method "
        "of a replication shares that fit."))
    lines.append(_bullet(
        "`gan_wald`: T(F*) ± z·SE, the SE of T at sample size n under F* "
        "(`GANEstimator`'s docstring)."))
    lines.append(_bullet(
        f"`gan_percentile`, `gan_basic`, `gan_bca`: the GAN bootstrap, R = "
        f"{'/'.join(map(str, R_gan))} bootstrap GANs on nonparametric resamples of the data, "
        f"each warm-started from the fitted GAN and trained {WARM_STEPS} steps; T on the "
        "draws of each. `gan_scratch_*` and `*_scratch`: the same with each bootstrap GAN "
        f"trained from scratch ({steps:,} steps). `gan_percentile_parametric`: resamples of "
        "n draws from F* instead of the data (warm-started). In the `check` part the "
        "warm-started methods are labelled `_warm` in the folder's `summary.csv`."))
    lines.append(_bullet(
        f"**Classical intervals** on the same data sets (`gansim.inference.intervals`, R = "
        f"{'/'.join(num(r, 0) for r in R_cls)} resamples, the same resamples for percentile "
        "and BCa): Student's `t` (mean only), Efron's bootstrap percentile and BCa "
        "(`boot_percentile`, `boot_bca`) and the smoothed bootstrap percentile "
        "(`smooth_percentile`: Gaussian kernel, bandwidth nrd0, shrunk so that resamples "
        "keep the ecdf's variance)."))
    bparts = ", ".join(f"`{p}` B = {'/'.join(num(b, 0) for b in parts[p]['B'])} (largest "
                       f"coverage MCSE {num(mcse[p])})" for p in PARTS)
    lines.append(_bullet(
        f"**Replications** per condition: {bparts}. The `check` part compares warm-started "
        "with from-scratch bootstrap GANs paired per data set; its coverages alone are "
        "imprecise."))
    lines.append(_bullet(
        "**Tuning kept apart.** The GAN's recipe was tuned in `results/recipe`; the warm "
        f"start ({WARM_STEPS} steps) was chosen on other data sets by "
        "[`results/coverage_tuning`](../coverage_tuning/README.md). " + _other_seeds(data)))
    return "\n".join(lines) + "\n"


def _other_seeds(data) -> str:
    """Whether another committed study's run record used this study's seed."""
    seed = data["parts"]["wald"]["run"]["seed"]
    results = data["base"].parent
    others = {}
    for path in sorted(results.glob("*/run.json")):
        if path.parent.name != FOLDER:
            others[path.parent.name] = read_json(path).get("seed")
    if not others:
        return ""
    same = [k for k, v in others.items() if v == seed]
    if same:
        return f"Seed {seed} is also the seed of " + ", ".join(f"`results/{k}`" for k in same) + "."
    return (f"Seed {seed} is the seed of no other study's `run.json` under `results/`"
            + (f"; `results/recipe` used seed {others['recipe']}" if "recipe" in others
               else "") + ".")


def _rules_section(design) -> str:
    level = design["level"]
    bands = sorted({b for p in design["parts"].values() for b in p["B"]}, reverse=True)
    band_txt = "; ".join(f"at B = {num(b, 0)}: [{num(rules.coverage_band(b, level).lo, 4)}, "
                         f"{num(rules.coverage_band(b, level).hi, 4)}]" for b in bands)
    out = ["## How to read", ""]
    out.append(_bullet(
        f"**At nominal** means inside the two-sided band {level:g} ± "
        f"{rules.Z:g}·√({level:g}·{1 - level:.2g}/B) ({band_txt}), in which a correct "
        "interval's observed coverage falls with probability about 0.95; below it is "
        "*under*, above it *over*, counted separately. Over many cells a correct interval "
        "is outside the band in about 5% of them; each count below says what that chance "
        "gives. Tables mark coverages below the band ↓ and above it ↑."))
    out.append(_bullet(
        f"**Higher/lower, wider/narrower** compare two methods on the same data sets: the "
        f"mean paired difference must exceed {rules.K_MCSE:g} of its paired MCSEs "
        "(sd of the differences / √pairs), else the difference is *not resolved at this "
        f"B*. Where two methods do not differ, a cell is resolved by chance with "
        f"probability about {num(P_RESOLVED_BY_CHANCE)}; counts over many cells say what "
        "that gives."))
    out.append(_bullet(
        "**Falls/rises as n grows** only when the slope of coverage on log₂ n (weighted "
        "least squares, binomial variances c(1 − c)/B, the SE inflated when the points "
        f"scatter more than binomially about the line) has a 95% interval (± {rules.Z:g} "
        "SE) excluding 0; the slope is per doubling of n."))
    return "\n".join(out) + "\n"


def comparisons(data) -> pd.DataFrame:
    """Every paired comparison of the report: (label, A, B) on the parts' replications."""
    P = {p: data["parts"][p]["reps"] for p in (*PARTS, *data.get("new", ()))}
    spec = [("wald", "gan_wald", "wald", REF),
            *[("boot", f"gan_{k}", "wald", REF) for k in ("percentile", "basic", "bca")],
            ("boot", "gan_percentile", "wald", "gan_wald"),
            *[("scratch", f"gan_scratch_{k}", "wald", REF)
              for k in ("percentile", "basic", "bca")],
            ("scratch", "gan_scratch_percentile", "boot", "gan_percentile"),
            ("check", "gan_percentile_warm", "check", "gan_percentile_scratch"),
            ("check", "gan_percentile_parametric", "check", "gan_percentile_scratch")]
    if "recipes" in P:
        spec += [*[("recipes", f"gan_wald_{r}", "recipes", RECIPES_REF) for r in RECIPES],
                 ("recipes", "gan_wald_large", "recipes", "gan_wald_default"),
                 ("recipes", "gan_wald_best", "recipes", "gan_wald_default"),
                 ("recipes", "gan_wald_default", "wald", "gan_wald")]
    if "scratch_best" in P:
        spec += [("scratch_best", f"gan_scratch_{k}_{r}", "wald", REF)
                 for r in ("default", "best") for k in BOOT_KINDS]
        spec += [("scratch_best", f"gan_scratch_{k}_best", "scratch_best",
                  f"gan_scratch_{k}_default") for k in BOOT_KINDS]
    frames = [paired(P[pa], a, P[pb], b).assign(part=pa) for pa, a, pb, b in spec]
    return pd.concat(frames, ignore_index=True)


def paired_md(pairs: pd.DataFrame, dgps, funcs) -> str:
    """The paired comparisons as tables, one per pair of methods."""
    lines = ["# coverage: paired comparisons of intervals on the same data sets", "",
             paragraph(f"Each row compares method A with method B on the data sets both were "
                   f"computed on (`pairs`: where both intervals exist). `Δ cover`: mean "
                   f"difference of the coverage indicators, A − B (paired MCSE); `Δ width`: "
                   f"mean paired difference of the widths (paired MCSE); `ratio`: A's mean "
                   f"width / B's. The words follow the rule: beyond {rules.K_MCSE:g} paired "
                   f"MCSEs, else not resolved at this B."), ""]
    for (a, b), g in pairs.groupby(["a", "b"], sort=False):
        g = _order(g, dgps, funcs)
        lines += [f"## `{a}` against `{b}`", ""]
        rows = pd.DataFrame({
            "dgp": g["dgp"], "n": g["n"].astype(str), "functional": g["quantity"],
            "pairs": g["pairs"].astype(str), "cover A": [num(v) for v in g["cover_a"]],
            "cover B": [num(v) for v in g["cover_b"]],
            "Δ cover": [f"{signed(d)} ({num(s)})" for d, s in zip(g["d_cover"],
                                                                  g["d_cover_mcse"],
                                                                  strict=True)],
            "coverage": g["cover_word"], "ratio": [num(v) for v in g["width_ratio"]],
            "Δ width": [f"{signed(d)} ({num(s)})" for d, s in zip(g["d_width"],
                                                                 g["d_width_mcse"],
                                                                 strict=True)],
            "width": g["width_word"]})
        lines += [md_table(rows, align="lrlrrrrlrrl"), ""]
    return "\n".join(lines)


# ------------------------------------------------------------------- README sections


def _small(value) -> str:
    """A slope to 4 decimals; one that rounds to zero to one significant figure."""
    if value != 0 and abs(value) < 0.00005:
        digits = -math.floor(math.log10(abs(value)))
        return ("−" if value < 0 else "+") + f"{abs(value):.{digits}f}"
    return signed(value, 4)


def _slope(tr) -> str:
    return f"{_small(tr['slope'])} [{_small(tr['lo'])}, {_small(tr['hi'])}]"


def _wald_section(data, design, pairs) -> str:
    level = design["level"]
    cf = data["cf"]
    dgps, funcs, ns = design["dgps"], design["funcs"], design["ns"]
    g = cf[cf["method"] == "gan_wald"]
    ref = cf[cf["method"] == REF]
    out = ["## The GAN's Wald interval (part `wald`)", ""]
    total = rules.coverage_counts(g["est"], g["B_ok"].to_numpy(), level)
    others = [m for m in ("boot_bca", "boot_percentile", "smooth_percentile", "t")
              if m in set(cf["method"])]
    out.append(paragraph(
        f"Over the {total.total} cells ({len(dgps)} DGPs × {len(ns)} n × {len(funcs)} "
        f"functionals) `gan_wald` is {total.sentence()}; "
        f"{total.chance_outside.sentence()} outside the band for a correct interval. On the "
        "same data sets: " + "; ".join(_counts_sentence(cf, m, level) for m in others)
        + " (the `t` interval is for the mean only)."))
    out.append("")
    rows, trends = [], []
    for d in dgps:
        for q in funcs:
            gg = g[(g["dgp"] == d) & (g["quantity"] == q)].sort_values("n")
            rr = ref[(ref["dgp"] == d) & (ref["quantity"] == q)]
            tr = coverage_trend(gg["n"], gg["est"], gg["B_ok"].to_numpy())
            trends.append((d, q, gg, tr))
            c = rules.coverage_counts(gg["est"], gg["B_ok"].to_numpy(), level)
            cr = rules.coverage_counts(rr["est"], rr["B_ok"].to_numpy(), level)
            row = {"dgp": d, "functional": q}
            for r in gg.itertuples():
                row[f"n = {r.n}"] = _mark(r.est, r.B_ok, level)
            row["at nominal"] = count(c.at, c.total)
            row["BCa at nominal"] = count(cr.at, cr.total)
            row["slope per doubling of n [95%]"] = _slope(tr)
            rows.append(row)
    out.append(paragraph("`gan_wald`'s coverage by DGP, functional and n (↓ below the band, ↑ "
                     "above it), how many of the n are at nominal for it and for `boot_bca`, "
                     "and the fitted trend of its coverage with n:"))
    out += ["", md_table(pd.DataFrame(rows), align="ll" + "r" * (len(rows[0]) - 2)), ""]
    never = [(d, q, gg) for d, q, gg, _ in trends
             if all(rules.coverage_verdict(r.est, r.B_ok, level) == "under"
                    for r in gg.itertuples())]
    always = [(d, q, gg) for d, q, gg, _ in trends
              if all(rules.coverage_verdict(r.est, r.B_ok, level) == "at nominal"
                     for r in gg.itertuples())]
    per_dgp = []
    for d in dgps:
        gd = g[g["dgp"] == d]
        c = rules.coverage_counts(gd["est"], gd["B_ok"].to_numpy(), level)
        per_dgp.append(f"{d} {c.at} of {c.total}")
    out.append(_bullet("At nominal, per DGP: " + ", ".join(per_dgp) + "."))
    out.append(_bullet(
        "At nominal at every n: "
        + (", ".join(f"{d} {q} ({num_range(gg['est'])})" for d, q, gg in always) or "none")
        + ". Under at every n: "
        + (", ".join(f"{d} {q} ({num_range(gg['est'])})" for d, q, gg in never) or "none")
        + "."))
    falls = [(d, q, tr) for d, q, _, tr in trends if tr["word"] == "falls as n grows"]
    rises = [(d, q, tr) for d, q, _, tr in trends if tr["word"] == "rises as n grows"]
    out.append(_bullet(
        f"Coverage falls as n grows for {len(falls)} of the {len(trends)} DGP × functional "
        "pairs: " + (", ".join(f"{d} {q} ({_slope(tr)})" for d, q, tr in falls) or "none")
        + f"; it rises as n grows for {len(rises)}: "
        + (", ".join(f"{d} {q} ({_slope(tr)})" for d, q, tr in rises) or "none")
        + f"; for the other {len(trends) - len(falls) - len(rises)} no trend is resolved."))
    diag = data["diag"]
    under = diag[[rules.coverage_verdict(c, int(b), level) == "under"
                  for c, b in zip(diag["cover"], _diag_B(diag, g), strict=True)]]
    if not under.empty:
        ib = under["bias_over_empse"].abs().idxmax()
        im = under["modse_over_empse"].idxmin()
        ie = under["empse_ratio"].idxmax()
        out.append(_bullet(
            f"Why it misses ([`coverage.md`](coverage.md), last tables; reference "
            f"quantities, not computable from one data set): over the {len(under)} cells "
            f"under the band, bias/EmpSE of T(F*) ranges "
            f"{signed(under['bias_over_empse'].min(), 2)} to "
            f"{signed(under['bias_over_empse'].max(), 2)} (largest in size: "
            f"{_where(diag, ib)}), ModSE/EmpSE {num_range(under['modse_over_empse'], 2)} "
            f"(lowest: {_where(diag, im)}), and the ratio of SDs EmpSE(T(F*)) / "
            f"EmpSE(T(F_n)) {num_range(under['empse_ratio'], 2)} (largest: "
            f"{_where(diag, ie)}, a variance ratio of {num(diag.loc[ie, 'empse_ratio'] ** 2, 1)})."
            " A bias of T(F*) shifts the interval off T(F); an SE computed at sample size n "
            "under F* leaves out the GAN's own variance."))
    pw = pairs[(pairs["a"] == "gan_wald") & (pairs["b"] == REF)]
    out.append(_bullet(
        f"Paired against `{REF}` on the same data sets ({len(pw)} cells; "
        f"[`paired.md`](paired.md)): `gan_wald`'s coverage is "
        f"{_word_counts(pw['cover_word'], LHN)}; "
        f"its width is "
        f"{_word_counts(pw['width_word'], NWN)} "
        f"({_chance_resolved(len(pw))})."))
    both = pw[[rules.coverage_verdict(ca, int(n), level) == "at nominal"
               and rules.coverage_verdict(cb, int(n), level) == "at nominal"
               for ca, cb, n in zip(pw["cover_a"], pw["cover_b"], pw["pairs"], strict=True)]]
    if not both.empty:
        nar = _order(both[both["width_word"] == "narrower"], dgps, funcs)
        out.append(_bullet(
            f"In the {len(both)} cells where both `gan_wald` and `{REF}` are at nominal "
            f"(on the paired data sets), `gan_wald` is "
            f"{_word_counts(both['width_word'], NWN)}"
            + ("; narrower (width ratio to BCa) in: " + _cells(nar, "width_ratio")
               if not nar.empty else "") + "."))
    return "\n".join(out) + "\n"


def _diag_B(diag: pd.DataFrame, gw: pd.DataFrame) -> list:
    b = gw.set_index(["dgp", "n", "quantity"])["B_ok"]
    return [int(b[(d, n, q)]) for d, n, q in zip(diag["dgp"], diag["n"], diag["quantity"],
                                                 strict=True)]


def _where(diag: pd.DataFrame, i) -> str:
    r = diag.loc[i]
    return f"{r['dgp']} {r['quantity']} at n = {int(r['n'])}"


def _boot_section(data, design, pairs) -> str:
    level = design["level"]
    cf = data["cf"]
    bp = design["parts"]["boot"]
    cells = cf.set_index(["dgp", "n"]).index.isin(
        pd.MultiIndex.from_product([bp["dgps"], bp["ns"]]))
    sub = cf[cells]
    gan = [m for m in bp["methods"]]
    same = [m for m in ("gan_wald", "boot_bca", "boot_percentile", "smooth_percentile")]
    out = ["## The GAN bootstrap (part `boot`)", ""]
    out.append(paragraph(
        f"On {len(bp['dgps'])} DGPs × n ∈ {{{', '.join(map(str, bp['ns']))}}} × "
        f"{len(bp['funcs'])} functionals ({len(sub[sub['method'] == gan[0]])} cells), "
        "at nominal: " + "; ".join(_counts_sentence(sub, m, level) for m in gan)
        + ". On the same cells and data sets: "
        + "; ".join(_counts_sentence(sub, m, level) for m in same) + ". For a correct "
        "interval " + rules.chance_count(int((sub["method"] == gan[0]).sum()), 0.05).sentence()
        + " cells outside the band."))
    out.append("")
    pv = pairs[(pairs["a"] == "gan_percentile") & (pairs["b"] == "gan_wald")]
    out.append(_bullet(
        f"The GAN bootstrap's resamples carry the GAN's training noise, which `gan_wald`'s "
        f"SE leaves out. Paired on the same data sets and fits, `gan_percentile`'s coverage "
        f"against `gan_wald`'s is "
        f"{_word_counts(pv['cover_word'], HLN)} of "
        f"{len(pv)} cells (median difference {signed(pv['d_cover'].median())}; "
        f"{_chance_resolved(len(pv))})."))
    for m in gan:
        pb = pairs[(pairs["a"] == m) & (pairs["b"] == REF) & (pairs["part"] == "boot")]
        out.append(_bullet(
            f"`{m}` against `{REF}` ({len(pb)} cells): coverage "
            f"{_word_counts(pb['cover_word'], HLN)};"
            f" width {_word_counts(pb['width_word'], NWN)}."))
    gp = _order(sub[sub["method"] == "gan_percentile"].rename(columns={"est": "cover_a"}),
                bp["dgps"], bp["funcs"])
    at = gp[[rules.coverage_verdict(c, b, level) == "at nominal"
             for c, b in zip(gp["cover_a"], gp["B_ok"], strict=True)]]
    out.append(_bullet(f"`gan_percentile` is at nominal in: {_cells(at) or 'none'}."))
    s = data["summary"]
    nm = s[(s["stat"] == "ci_nmiss") & (s["method"] == "gan_bca")]
    ns = s[(s["stat"] == "nsim") & (s["method"] == "gan_bca")]
    if nm["est"].sum() > 0:
        by = nm.groupby("dgp", sort=False)["est"].sum()
        out.append(_bullet(
            f"`gan_bca` could not be computed for {num(nm['est'].sum(), 0)} of its "
            f"{num(ns['est'].sum(), 0)} intervals ("
            + ", ".join(f"{d} {num(v, 0)}" for d, v in by.items() if v > 0)
            + "): T(F*) outside all the bootstrap replicates, so BCa's bias correction z₀ "
            "is infinite. They are counted in `summary.csv` as `ci_nmiss`; its coverage "
            "and width are over the others."))
    mix = _order(pairs[(pairs["a"] == "gan_percentile") & (pairs["b"] == REF)
                       & (pairs["dgp"] == "mixture")], bp["dgps"], bp["funcs"])
    if not mix.empty:
        per_q = "; ".join(
            f"{q} " + ", ".join(f"{num(r.width_ratio, 2)} ({r.width_word})"
                               for r in g.sort_values("n").itertuples())
            for q, g in mix.groupby("quantity", sort=False))
        out.append(_bullet(
            f"The mixture: `gan_percentile`'s width as a share of `{REF}`'s, per functional "
            f"at n = {' and '.join(map(str, sorted(set(mix['n']))))}: {per_q}. Its coverage "
            f"there is {num_range(mix['cover_a'])} against `{REF}`'s "
            f"{num_range(mix['cover_b'])} (lower in "
            f"{int((mix['cover_word'] == 'lower').sum())} of {len(mix)} cells)."))
    return "\n".join(out) + "\n"


def _scratch_section(data, design, pairs) -> str:
    level = design["level"]
    sp = design["parts"]["scratch"]
    cf = data["cf"]
    out = ["## The GAN bootstrap from scratch on the mixture (part `scratch`)", ""]
    out.append(paragraph(
        f"The GAN bootstrap again on the {', '.join(sp['dgps'])} data sets and fits of the "
        f"other parts, with each bootstrap GAN trained from scratch instead of warm-started. "
        "At nominal: " + "; ".join(_counts_sentence(cf, m, level) for m in sp["methods"])
        + "."))
    out.append("")
    a = _order(pairs[(pairs["a"] == "gan_scratch_percentile") & (pairs["b"] == REF)],
               sp["dgps"], sp["funcs"]).set_index(["dgp", "n", "quantity"])
    w = pairs[(pairs["a"] == "gan_scratch_percentile") & (pairs["b"] == "gan_percentile")
              ].set_index(["dgp", "n", "quantity"])
    rows = []
    for key, r in a.iterrows():
        rw = w.loc[key]
        rows.append({"n": str(key[1]), "functional": key[2],
                     "cover": _mark(r["cover_a"], r["pairs"], level),
                     f"{REF}": _mark(r["cover_b"], r["pairs"], level),
                     "coverage vs BCa": r["cover_word"],
                     "width / BCa's": num(r["width_ratio"], 2),
                     "width vs BCa": r["width_word"],
                     "warm `gan_percentile`": _mark(rw["cover_b"], rw["pairs"], level),
                     "coverage vs warm": rw["cover_word"],
                     "width / warm's": num(rw["width_ratio"], 2),
                     "width vs warm": rw["width_word"]})
    out.append(paragraph("`gan_scratch_percentile` per cell, paired against `boot_bca` and "
                     "against the warm-started `gan_percentile` (part `boot`) on the same "
                     "data sets and fits:"))
    out += ["", md_table(pd.DataFrame(rows), align="rlrrlrlrlrl"), ""]
    out.append(paragraph(
        "Training each of the bootstrap GANs from scratch costs more than warm-starting "
        "them; the cost per data set of both, measured on an otherwise idle machine, is in "
        "[`benchmarks/results/estimator.md`](../../benchmarks/results/estimator.md)."))
    return "\n".join(out) + "\n"


def _check_section(data, design, pairs) -> str:
    cp = design["parts"]["check"]
    warm = data["warm"]
    warm = warm[warm["interval"] == "percentile"]
    B = "/".join(num(b, 0) for b in cp["B"])
    out = [f"## Warm start against training from scratch (part `check`, B = {B})", ""]
    out.append(paragraph(
        f"On {', '.join(cp['dgps'])} × n ∈ {{{', '.join(map(str, cp['ns']))}}}, the "
        "percentile GAN bootstrap with warm-started bootstrap GANs against bootstrap GANs "
        "trained from scratch on the same resamples and fit, and the parametric GAN "
        "bootstrap, paired per data set. The width ratios (warm / scratch, geometric mean "
        "over the data sets) come from `warm_vs_scratch.csv`, the rest from "
        "[`paired.md`](paired.md):"))
    out.append("")
    pw = pairs[(pairs["a"] == "gan_percentile_warm") & (pairs["b"] == "gan_percentile_scratch")]
    pp = pairs[(pairs["a"] == "gan_percentile_parametric")
               & (pairs["b"] == "gan_percentile_scratch")]
    rows = []
    for d in cp["dgps"]:
        wd = warm[warm["dgp"] == d]
        words = [warm_word(r) for r in wd.itertuples()]
        ratios = np.exp(wd["log_width_ratio"])
        cw = pw[pw["dgp"] == d]
        cpp = pp[pp["dgp"] == d]
        rows.append({
            "dgp": d, "cells": str(len(wd)),
            "warm width / scratch": num_range(ratios, 2),
            "warm: narrower / wider / n.r.": _nwn(words),
            "warm coverage lower / higher / n.r.": _lhn(cw["cover_word"]),
            "parametric width / scratch": num_range(cpp["width_ratio"], 2),
            "parametric: narrower / wider / n.r.": _nwn(cpp["width_word"]),
            "parametric coverage lower / higher / n.r.": _lhn(cpp["cover_word"])})
    out += [md_table(pd.DataFrame(rows), align="lrrrrrrr"), "",
            paragraph("(n.r.: not resolved at this B; the parametric ratio is of mean widths.)"),
            ""]
    cov = pw
    out.append(paragraph(
        f"Each word column counts {len(cov)} cells over the {len(cp['dgps'])} DGPs; there "
        f"{_chance_resolved(len(cov))}. Cells where the parametric GAN bootstrap is wider "
        "than from scratch: " + (_cells(_order(pp[pp["width_word"] == "wider"], cp["dgps"],
                                              cp["funcs"]), "width_ratio") or "none")
        + "."))
    return "\n".join(out) + "\n"


def _nwn(words) -> str:
    words = list(words)
    return " / ".join(str(sum(w == k for w in words))
                      for k in ("narrower", "wider", "not resolved at this B"))


def _lhn(words) -> str:
    words = list(words)
    return " / ".join(str(sum(w == k for w in words))
                      for k in ("lower", "higher", "not resolved at this B"))


def _by_dgp_section(data, design) -> str:
    level = design["level"]
    cf = data["cf"]
    bp = design["parts"]["boot"]
    methods = [("gan_wald", None), ("boot_bca", None), ("boot_percentile", None),
               ("smooth_percentile", None), ("gan_percentile", bp["ns"]),
               ("boot_bca", bp["ns"]), ("gan_scratch_percentile", None)]
    rows = []
    for d in design["dgps"]:
        row = {"dgp": d}
        for m, ns in methods:
            g = cf[(cf["method"] == m) & (cf["dgp"] == d)]
            if ns is not None:
                g = g[g["n"].isin(ns)]
            head = f"`{m}`" + (f" (n ∈ {{{', '.join(map(str, ns))}}})" if ns else "")
            if g.empty:
                row[head] = "–"
                continue
            c = rules.coverage_counts(g["est"], g["B_ok"].to_numpy(), level)
            row[head] = count(c.at, c.total)
        rows.append(row)
    out = ["## At nominal, by DGP", "",
           paragraph("Cells at nominal (inside the band) of those run, per DGP and method; the "
                 "classical intervals on the same data sets as the GAN's:"), "",
           md_table(pd.DataFrame(rows), align="l" + "r" * len(methods)), ""]
    return "\n".join(out)


def _limits_section(design) -> str:
    parts = design["parts"]
    other = [n for n in design["ns"] if n not in parts["boot"]["ns"]]
    lines = ["## Limits of this study", ""]
    lines.append(_bullet(
        f"The GAN bootstrap was run on n ∈ {{{', '.join(map(str, parts['boot']['ns']))}}} "
        f"only; n ∈ {{{', '.join(map(str, other))}}} have the Wald interval only. The "
        "from-scratch GAN bootstrap was run on the mixture only (`scratch`) and, with the "
        f"parametric GAN bootstrap, on {', '.join(parts['check']['dgps'])} with B = "
        f"{'/'.join(num(b, 0) for b in parts['check']['B'])} (`check`), where coverage "
        "differences of a few hundredths are not resolved."))
    if "recipes" in parts:
        lines.append(_bullet(
            "The large budget and the best recipe were run with the Wald interval on the "
            f"whole grid at B = {'/'.join(num(b, 0) for b in parts['recipes']['B'])} only"
            + (", and with the GAN bootstrap from scratch on "
               + ", ".join(parts["scratch_best"]["dgps"]) + " at n = "
               + "/".join(map(str, parts["scratch_best"]["ns"]))
               if "scratch_best" in parts else "")
            + "; the warm-started GAN bootstrap and the check were run for the default "
            "recipe only."))
    else:
        lines.append(_bullet(
            "One GAN recipe (the default); a GAN with more capacity or training may have a "
            "smaller limit bias (`results/rates_floor` asks that of the KS distance)."))
    lines.append(_bullet(
        "Coverage is two-sided; which end misses is in the tidy rows (`lower`, `upper`, "
        "`truth`) but not summarised here."))
    return "\n".join(lines) + "\n"


def _short_section(data, design, pairs) -> str:
    """The main findings, each a count or comparison under the rules."""
    return "\n".join(["## In short", "", *_short_bullets(data, design, pairs)]) + "\n"


def _short_bullets(data, design, pairs, recipes_at: str = "the section on the training "
                   "recipe below") -> list[str]:
    """The bullets of :func:`_short_section`; ``recipes_at`` says where the recipes' details
    are."""
    level = design["level"]
    cf = data["cf"]
    bp = design["parts"]["boot"]
    sub = cf[cf["n"].isin(bp["ns"]) & cf["dgp"].isin(bp["dgps"])]
    pw = pairs[(pairs["a"] == "gan_wald") & (pairs["b"] == REF)]
    pb = pairs[(pairs["a"] == "gan_percentile") & (pairs["b"] == REF)
               & (pairs["part"] == "boot")]
    ps = pairs[(pairs["a"] == "gan_scratch_percentile") & (pairs["b"] == REF)]
    gw = cf[cf["method"] == "gan_wald"]
    per_dgp = {d: rules.coverage_counts(g["est"], g["B_ok"].to_numpy(), level).at
               for d, g in gw.groupby("dgp", sort=False)}
    where = [f"{k} at {d}" for d, k in per_dgp.items() if k]
    none = [d for d, k in per_dgp.items() if not k]
    out = []
    out.append(_bullet(
        f"The GAN's Wald interval is at nominal in "
        f"{_counts_sentence(cf, 'gan_wald', level, name=False)}, Efron's BCa on the "
        f"same data sets in {_counts_sentence(cf, REF, level, name=False)}. Paired per "
        f"data set, the Wald interval's coverage is lower than BCa's in "
        f"{int((pw['cover_word'] == 'lower').sum())} of {len(pw)} cells and higher in "
        f"{int((pw['cover_word'] == 'higher').sum())}. Its cells at nominal: "
        + ", ".join(where) + (f"; none at {', '.join(none)}" if none else "") + "."))
    out.append(_bullet(
        f"The GAN bootstrap with warm-started bootstrap GANs (percentile) is at nominal in "
        f"{_counts_sentence(sub, 'gan_percentile', level, name=False)} of its "
        f"design, BCa in {_counts_sentence(sub, REF, level, name=False)} of the same; its "
        f"coverage is lower than BCa's in {int((pb['cover_word'] == 'lower').sum())} of "
        f"{len(pb)} and higher in {int((pb['cover_word'] == 'higher').sum())}."))
    if not ps.empty:
        out.append(_bullet(
            f"On the mixture, bootstrap GANs trained from scratch instead: the percentile "
            f"interval is at nominal in "
            f"{_counts_sentence(cf, 'gan_scratch_percentile', level, name=False)}"
            f", and wider than BCa's in {int((ps['width_word'] == 'wider').sum())} of "
            f"{len(ps)} (width ratio {num_range(ps['width_ratio'], 2)})."))
    if "recipes" in data.get("new", ()):
        rc = cf[cf["method"].str.fullmatch(r"gan_wald_\w+|" + RECIPES_REF)]
        out.append(_bullet(
            "By training recipe (part `recipes`: the Wald interval on the same grid at B = "
            + "/".join(num(b, 0) for b in design["parts"]["recipes"]["B"]) + "), cells at "
            "nominal: "
            + "; ".join(_counts_sentence(rc, m, level)
                        for m in (*[f"gan_wald_{r}" for r in RECIPES], RECIPES_REF)
                        if (rc["method"] == m).any())
            + f" ({recipes_at})."))
    if "scratch_best" in data.get("new", ()):
        sp = design["parts"]["scratch_best"]
        at, cref = _scratch_best_counts(data, design, pairs)
        total = {c.total for c in at.values()}
        out.append(_bullet(
            "The GAN bootstrap with its bootstrap GANs trained from scratch, by recipe (part "
            f"`scratch_best`: {', '.join(sp['dgps'])} at n = {'/'.join(map(str, sp['ns']))}, "
            f"B = {'/'.join(num(b, 0) for b in sp['B'])}), cells at nominal of "
            f"{'/'.join(map(str, sorted(total)))} (default recipe / best recipe): "
            + ", ".join(f"{KIND_NAMES[k]} {at[f'gan_scratch_{k}_default'].at} / "
                        f"{at[f'gan_scratch_{k}_best'].at}" for k in BOOT_KINDS)
            + f"; Efron's BCa on the same data sets {cref.at} of {cref.total}."))
    if data.get("new"):
        _, answers = _covers(data, design)
        yes = {d: a for d, a in answers.items() if a and a[0]}
        no = {d: a for d, a in answers.items() if a and not a[0]}

        def said(group):
            return ", ".join(f"{d} ({_entries(a[1])})"
                             for d, a in group.items())

        out.append(_bullet(
            "Per DGP, some GAN interval is at nominal in at least half of that DGP's cells "
            + (f"on {said(yes)}" if yes else "on no DGP")
            + (f"; on {' and '.join(no)} none is (the closest: {said(no)})" if no else "")
            + "."))
    return out


# -------------------------------------------------- the training recipe as a factor


def _steps(c: dict) -> str:
    return f"width {max(c['g_hidden'])}, {int(c['steps']):,} steps"


def _options(options: dict) -> str:
    return ", ".join(f"`{k}={v!r}`" for k, v in options.items()) or "no options"


def _counts_cells(g: pd.DataFrame, level: float) -> rules.CoverageCounts:
    return rules.coverage_counts(g["est"], g["B_ok"].to_numpy(), level)


def _hln(words) -> str:
    words = list(words)
    return " / ".join(str(sum(w == k for w in words)) for k in HLN)


def _recipes_intro(data, design) -> str:
    new = data["new"]
    recs = {p: data["parts"][p]["recipes"] for p in new}
    rec = recs[new[0]]
    cfg = rec["configs"]
    d, lg = cfg["default"], cfg["large"]
    ratio = (lg["steps"] / d["steps"]) * (max(lg["g_hidden"]) / max(d["g_hidden"])) ** 2
    label, opts = rec["best_label"], _options(rec["best_options"])
    if rec["source"].startswith("untuned"):
        best = (f"**the untuned stand-in** `{label}` ({opts}): these files come from a smoke "
                "run, not from the tuning study, and say nothing about the tuned recipe")
    else:
        best = (f"the tuning study's best combination `{label}` ({opts}), chosen on that "
                "study's own seed and designs ([`results/generators_tuning`]"
                f"(../generators_tuning/README.md); read from `{rec['source']}`)")
    names = " and ".join(f"`{p}`" for p in new)
    B = sorted({b for p in new for b in design["parts"][p]["B"]})
    level = design["level"]
    band = rules.coverage_band(B[0], level)
    facts = [
        f"The GAN of the parts above is the default recipe. The part{'s' * (len(new) > 1)} "
        f"{names} train{'s' * (len(new) == 1)} other recipes on the same data sets (the seed "
        f"and condition ids above): `default` ({_steps(d)}, the normal latent), `large` "
        f"({_steps(lg)}: {ratio:g} times the default's training per data set) and "
        f"`best`, {best}.",
        "Every recipe here trains on the standardised data with the fused engine and "
        "counter-based (Philox) latent noise; the parts above drew their latent noise from "
        "one generator per replication, so their `gan_wald` is the `default` recipe with "
        "other latent draws (compared below).",
        f"B = {'/'.join(num(b, 0) for b in B)} per condition (fewer than the parts above: "
        "the large budget's training and the bootstrap GANs from scratch cost most of the "
        "time; `plan()` in `gansim/studies/coverage.py` states the estimate): a coverage near "
        f"{level:g} has an MCSE of about {num(math.sqrt(level * (1 - level) / B[0]))} and "
        f"is at nominal inside {band.rule()}."]
    if len({_json_key(r) for r in recs.values()}) > 1:
        facts.append("The parts' `recipes.json` differ: " + "; ".join(
            f"`{p}` best `{r['best_label']}` ({_options(r['best_options'])}, from "
            f"`{r['source']}`)" for p, r in recs.items()) + ".")
    return paragraph(*facts)


def _json_key(rec: dict) -> str:
    """A recipes record's recipes, as one comparable string."""
    return json.dumps(rec["configs"], sort_keys=True)


def _recipes_wald(data, design, pairs) -> str:
    level = design["level"]
    cf = data["cf"]
    rp = design["parts"]["recipes"]
    cells = cf[cf["dgp"].isin(rp["dgps"]) & cf["n"].isin(rp["ns"])]
    total = len(rp["dgps"]) * len(rp["ns"]) * len(rp["funcs"])
    B = "/".join(num(b, 0) for b in rp["B"])
    out = [f"### The Wald interval by recipe (part `recipes`, B = {B})", ""]
    methods = [("gan_wald", "default, part `wald` (other latent draws)", REF, "wald"),
               *[(f"gan_wald_{r}", r, RECIPES_REF, "recipes") for r in RECIPES],
               (RECIPES_REF, "Efron's BCa, part `recipes`", None, None)]
    rows = []
    for m, what, ref, part in methods:
        g = cells[cells["method"] == m]
        if g.empty:
            continue
        c = _counts_cells(g, level)
        ch = c.chance_outside
        row = {"method": f"`{m}`", "recipe": what, "B": num_range(g["B"], 0),
               "cells": str(c.total), "at nominal": str(c.at), "under": str(c.under),
               "over": str(c.over), "chance outside": f"{ch.expected:.1f} ({ch.lo}–{ch.hi})",
               "coverage vs BCa: higher / lower / n.r.": "–",
               "width vs BCa: narrower / wider / n.r.": "–"}
        if ref is not None:
            pv = pairs[(pairs["a"] == m) & (pairs["b"] == ref) & (pairs["part"] == part)]
            row["coverage vs BCa: higher / lower / n.r."] = _hln(pv["cover_word"])
            row["width vs BCa: narrower / wider / n.r."] = _nwn(pv["width_word"])
        rows.append(row)
    out.append(paragraph(
        f"Cells at nominal of the {total} ({len(rp['dgps'])} DGPs × {len(rp['ns'])} n × "
        f"{len(rp['funcs'])} functionals) per recipe, with what chance gives outside the band "
        "for a correct interval, and each GAN interval paired against Efron's BCa on the same "
        "data sets (`gan_wald` of part `wald` against the wald part's `boot_bca`, B = 500; "
        f"the recipes against `{RECIPES_REF}`; per cell in [`paired.md`](paired.md)):"))
    out += ["", md_table(pd.DataFrame(rows), align="llrrrrrrrr"), ""]
    # The BCa computed again: the same data sets and resamples give the same intervals.
    r = data["parts"]["recipes"]["reps"]
    w = data["parts"]["wald"]["reps"]
    both = r.loc[r["method"] == RECIPES_REF, ["key", "lower", "upper"]].merge(
        w.loc[w["method"] == REF, ["key", "lower", "upper"]], on="key", suffixes=("", "_w"))
    same = sum(((both[c] == both[f"{c}_w"]) | (both[c].isna() & both[f"{c}_w"].isna()))
               .to_numpy() for c in ("lower", "upper")) == 2
    out.append(_bullet(
        f"`{RECIPES_REF}` is the wald part's `{REF}` computed again on the same data sets "
        f"and resamples: its interval is identical in {int(same.sum())} of {len(both)} "
        "(data set, functional) pairs, so the recipes are compared with BCa on exactly the "
        "data sets they saw."))
    n_pairs = len(pairs[(pairs["a"] == "gan_wald_default") & (pairs["b"] == RECIPES_REF)])
    out.append(_bullet(
        f"Each paired column counts {n_pairs} cells; {_chance_resolved(n_pairs)}."))
    for a in ("gan_wald_large", "gan_wald_best"):
        pv = pairs[(pairs["a"] == a) & (pairs["b"] == "gan_wald_default")]
        if pv.empty:
            continue
        out.append(_bullet(
            f"`{a}` against `gan_wald_default`, paired: coverage "
            f"{_word_counts(pv['cover_word'], HLN)} of {len(pv)} cells (median difference "
            f"{signed(pv['d_cover'].median())}); width "
            f"{_word_counts(pv['width_word'], NWN)}."))
    pc = pairs[(pairs["a"] == "gan_wald_default") & (pairs["b"] == "gan_wald")]
    if not pc.empty:
        out.append(_bullet(
            f"The control: `gan_wald_default` against the wald part's `gan_wald` (the same "
            f"recipe with other latent draws, on the first {num_range(pc['pairs'], 0)} data "
            f"sets of each cell): coverage {_word_counts(pc['cover_word'], HLN)} of "
            f"{len(pc)} cells; {_chance_resolved(len(pc))}: more than that would say the "
            "source of the latent noise matters."))
    rd = data.get("rdiag")
    if rd is not None and not rd.empty:
        parts = []
        for rname, g in rd.groupby("recipe", sort=False):
            gw = cells[cells["method"] == f"gan_wald_{rname}"].set_index(
                ["dgp", "n", "quantity"])["B_ok"]
            under = g[[rules.coverage_verdict(c, int(gw[(d, n, q)]), level) == "under"
                       for c, d, n, q in zip(g["cover"], g["dgp"], g["n"], g["quantity"],
                                             strict=True)]]
            if under.empty:
                parts.append(f"`{rname}` no cell under the band")
                continue
            parts.append(
                f"`{rname}` {len(under)} cells under, median |bias|/EmpSE "
                f"{num(under['bias_over_empse'].abs().median(), 2)}, median ModSE/EmpSE "
                f"{num(under['modse_over_empse'].median(), 2)}")
        out.append(_bullet(
            "Why the recipes' Wald intervals miss ([`recipes_diagnosis.csv`]"
            "(recipes_diagnosis.csv); reference quantities, over each recipe's cells under "
            "the band, as for `gan_wald` above): " + "; ".join(parts) + ". A bias that more "
            "training or another latent removes lowers |bias|/EmpSE; an SE that leaves out "
            "the GAN's own variance keeps ModSE/EmpSE below 1."))
    half = math.ceil(total / 2)
    gans = [f"gan_wald_{r}" for r in RECIPES]
    at = {m: _counts_cells(cells[cells["method"] == m], level).at for m in gans
          if (cells["method"] == m).any()}
    met = [m for m, k in at.items() if k >= half]
    top = max(at, key=at.get) if at else None
    out.append(_bullet(
        f"The aim of a GAN interval at nominal in at least half of the {total} cells "
        f"({half}; the default's `gan_wald`: "
        f"{_counts_cells(cells[cells['method'] == 'gan_wald'], level).at}): "
        + (("met by " + ", ".join(f"`{m}` ({at[m]})" for m in met)) if met else
           f"met by no recipe's Wald interval (the most: `{top}`, {at.get(top, 0)})")
        + "."))
    return "\n".join(out) + "\n"


def _scratch_best_methods() -> list[str]:
    """The GAN intervals of part ``scratch_best``, default recipe first."""
    return [f"gan_scratch_{k}_{r}" for r in ("default", "best") for k in BOOT_KINDS]


def _scratch_best_counts(data, design, pairs):
    """Part ``scratch_best``'s cells against the band: per GAN interval run (its counts),
    and of Efron's BCa on the same data sets (the wald part's, over the pairs' data sets)."""
    level = design["level"]
    sp = design["parts"]["scratch_best"]
    cf = data["cf"]
    cells = cf[cf["dgp"].isin(sp["dgps"]) & cf["n"].isin(sp["ns"])]
    at = {m: _counts_cells(g, level) for m in _scratch_best_methods()
          if not (g := cells[cells["method"] == m]).empty}
    ref = pairs[(pairs["a"] == _scratch_best_methods()[0]) & (pairs["b"] == REF)]
    return at, rules.coverage_counts(ref["cover_b"], ref["pairs"].to_numpy(), level)


def _scratch_best(data, design, pairs) -> str:
    level = design["level"]
    sp = design["parts"]["scratch_best"]
    B = "/".join(num(b, 0) for b in sp["B"])
    R = "/".join(map(str, sp["R"]))
    ns = ", ".join(map(str, sp["ns"]))
    out = [f"### The GAN bootstrap from scratch by recipe (part `scratch_best`, n ∈ {{{ns}}}, "
           f"B = {B})", ""]
    meths = _scratch_best_methods()
    vs = pairs[pairs["a"].isin(meths) & (pairs["b"] == REF)]
    out.append(paragraph(
        f"The GAN bootstrap with R = {R} bootstrap GANs per data set, each trained from "
        f"scratch with the recipe of the fitted GAN (`default` or `best`), on "
        f"{', '.join(sp['dgps'])}; coverage per cell (↓ below the band, ↑ above it) beside "
        f"the wald part's `{REF}` on the same data sets:"))
    rows = []
    ref = vs[vs["a"] == meths[0]].set_index(["dgp", "n", "quantity"])
    for d in sp["dgps"]:
        for n in sp["ns"]:
            for q in sp["funcs"]:
                key = (d, n, q)
                if key not in ref.index:
                    continue
                row = {"dgp": d, "n": str(n), "functional": q,
                       f"`{REF}`": _mark(ref.loc[key, "cover_b"], ref.loc[key, "pairs"], level)}
                for m in meths:
                    r = vs[(vs["a"] == m) & (vs["dgp"] == d) & (vs["n"] == n)
                           & (vs["quantity"] == q)]
                    row[m.removeprefix("gan_scratch_")] = (
                        _mark(r["cover_a"].item(), r["pairs"].item(), level) if len(r) else "–")
                rows.append(row)
    out += ["", md_table(pd.DataFrame(rows), align="lll" + "r" * (len(rows[0]) - 3)
                         if rows else "l"), ""]
    rows = []
    at, cref = _scratch_best_counts(data, design, pairs)
    for m, c in at.items():
        pv = vs[vs["a"] == m]
        rows.append({"method": f"`{m}`", "cells": str(c.total), "at nominal": str(c.at),
                     "under": str(c.under), "over": str(c.over),
                     "coverage vs BCa: higher / lower / n.r.": _hln(pv["cover_word"]),
                     "width / BCa's": num_range(pv["width_ratio"], 2),
                     "width vs BCa: narrower / wider / n.r.": _nwn(pv["width_word"])})
    rows.append({"method": f"`{REF}` (same data sets)", "cells": str(cref.total),
                 "at nominal": str(cref.at), "under": str(cref.under),
                 "over": str(cref.over), "coverage vs BCa: higher / lower / n.r.": "–",
                 "width / BCa's": "–", "width vs BCa: narrower / wider / n.r.": "–"})
    out.append(paragraph(
        "Per method: cells at nominal, and paired against BCa on the same data sets (the "
        f"width ratio is of mean widths; in each column {_chance_resolved(len(ref))}):"))
    out += ["", md_table(pd.DataFrame(rows), align="lrrrrrrr"), ""]
    for k in BOOT_KINDS:
        pv = pairs[(pairs["a"] == f"gan_scratch_{k}_best")
                   & (pairs["b"] == f"gan_scratch_{k}_default")]
        if pv.empty:
            continue
        out.append(_bullet(
            f"`gan_scratch_{k}_best` against `gan_scratch_{k}_default`, paired: coverage "
            f"{_word_counts(pv['cover_word'], HLN)} of {len(pv)} cells; width "
            f"{_word_counts(pv['width_word'], NWN)}."))
    return "\n".join(out) + "\n"


def _covers(data, design) -> tuple[list[dict], dict[str, tuple | None]]:
    """Per DGP, the table rows of :func:`_covers_by_dgp` and the answer ``(yes, entries)``:
    where ``yes``, the Wald interval and the GAN bootstrap interval with the largest share of
    that DGP's cells at nominal, each where that share is at least half; else the one GAN
    interval closest to it. An entry is ``(at, cells, method, where)``; ``None`` where no
    GAN interval ran."""
    level = design["level"]
    cf = data["cf"]
    present = set(cf["method"])
    walds = [m for m in ("gan_wald", *[f"gan_wald_{r}" for r in RECIPES]) if m in present]
    # The GAN bootstrap per recipe: warm-started (boot) and from scratch (scratch,
    # scratch_best); the check part's B = 50 is left out.
    boots = {"default": [*(f"gan_{k}" for k in BOOT_KINDS),
                         *(f"gan_scratch_{k}" for k in BOOT_KINDS),
                         *(f"gan_scratch_{k}_default" for k in BOOT_KINDS)],
             "best": [f"gan_scratch_{k}_best" for k in BOOT_KINDS]}
    boots = {r: [m for m in ms if m in present] for r, ms in boots.items()}
    all_ns = sorted(set(cf["n"]))
    rows, answers = [], {}
    for d in design["dgps"]:
        row, wald_cands, boot_cands = {"dgp": d}, [], []

        def tally(m, d=d):
            g = cf[(cf["method"] == m) & (cf["dgp"] == d)]
            if g.empty:
                return None
            c = _counts_cells(g, level)
            ns = sorted(set(g["n"]))
            where = "" if ns == all_ns else f" at n = {'/'.join(map(str, ns))}"
            return (c.at / c.total, c.at, c.total, m, where)

        for m in walds:
            t = tally(m)
            row[f"`{m}`"] = count(t[1], t[2]) if t else "–"
            wald_cands += [t] if t else []
        for r, ms in boots.items():
            if not ms:
                continue
            found = [t for t in map(tally, ms) if t]
            top = max(found) if found else None
            row[f"GAN bootstrap, {r} recipe (most at nominal)"] = (
                f"{count(top[1], top[2])}{top[4]} (`{top[3]}`)" if top else "–")
            boot_cands += found
        c = _counts_cells(cf[(cf["method"] == RECIPES_REF) & (cf["dgp"] == d)], level)
        row[f"`{RECIPES_REF}`"] = count(c.at, c.total) if c.total else "–"
        tops = [max(cs) for cs in (wald_cands, boot_cands) if cs]
        met = [t[1:] for t in tops if t[1] >= t[2] / 2]
        answers[d] = ((True, met) if met else (False, [max(tops)[1:]]) if tops else None)
        if answers[d] is None:
            row["covers?"] = "–"
        else:
            said = _entries(answers[d][1])
            row["covers?"] = f"yes: {said}" if answers[d][0] else f"no (the most: {said})"
        rows.append(row)
    return rows, answers


def _entries(entries) -> str:
    """`` `method` k of n`` per entry of a :func:`_covers` answer (`` at n = ...`` where it
    ran on some n only), joined by semicolons."""
    return "; ".join(f"`{m}` {count(k, n)}{where}" for k, n, m, where in entries)


def _covers_by_dgp(data, design) -> str:
    """Per DGP: does one of the GAN's intervals cover? (The rule is stated in the text.)"""
    rows, _ = _covers(data, design)
    out = ["### Do the GAN's intervals cover? Per DGP", "",
           paragraph("Cells at nominal per DGP and GAN interval (each of that DGP's n and "
                     "functionals the interval was run on; for the GAN bootstrap, the one of "
                     "percentile, basic and BCa, warm-started or from scratch, with the most; "
                     "the check part's B = 50 left out). A DGP's answer is *yes* when one of "
                     "the GAN's intervals is at nominal in at least half of its cells for that "
                     "DGP (the aim's threshold, per DGP), naming the Wald interval and the GAN "
                     "bootstrap interval with the most where each reaches it, else *no*, with "
                     "the interval closest to it; a count over some n only says which; BCa of "
                     "part `recipes` on the same data sets beside them:"), "",
           md_table(pd.DataFrame(rows), align="l" + "r" * (len(rows[0]) - 1)), ""]
    return "\n".join(out)


def _recipes_section(data, design, pairs) -> str:
    """The section of the parts with the recipe as a factor (only when they are there)."""
    out = ["## The training recipe as a factor (part" + "s" * (len(data["new"]) > 1) + " "
           + " and ".join(f"`{p}`" for p in data["new"]) + ")", "",
           _recipes_intro(data, design), ""]
    if "recipes" in data["new"]:
        out.append(_recipes_wald(data, design, pairs))
    if "scratch_best" in data["new"]:
        out.append(_scratch_best(data, design, pairs))
    out.append(_covers_by_dgp(data, design))
    return "\n".join(out)


def _readme(data, design, pairs) -> str:
    head = ["# results/coverage — can T(F*_n) be used for inference?", "",
            paragraph("A statistician has one data set: fit the GAN, take T(F*_n) and an "
                  "interval for T(F). Does the interval cover at its nominal level? This "
                  "study answers on simulated data sets, against the classical intervals "
                  "computed on the same data. The study is `gansim/studies/coverage.py`; "
                  "the estimator `gansim.GANEstimator`, the classical intervals "
                  "`gansim.inference.intervals`."), "",
            paragraph("Files: [`coverage.md`](coverage.md) (coverage and width with MCSEs for "
                  "every part and method, the band counts per method, the Wald diagnosis, "
                  "warm against scratch), [`paired.md`](paired.md) (every paired "
                  "comparison below, per cell), figure [`coverage.png`](coverage.png) "
                  "(coverage against n, ±1.96 MCSE, a panel per functional and DGP); as CSV "
                  "`summary.csv` (every part's summary), `wald_diagnosis.csv`, "
                  "`warm_vs_scratch.csv`; each part's own folder."), ""]
    return "\n".join([
        "\n".join(head), _short_section(data, design, pairs), _provenance(data, design),
        _design_section(data, design),
        _rules_section(design), counts_table(data["summary"], design["level"]),
        _by_dgp_section(data, design),
        _wald_section(data, design, pairs), _boot_section(data, design, pairs),
        _scratch_section(data, design, pairs), _check_section(data, design, pairs),
        *([_recipes_section(data, design, pairs)] if data["new"] else []),
        _limits_section(design)]).rstrip("\n") + "\n"


#: The name of the top README's fragment (:func:`fragments`).
FRAGMENT = "coverage-answers"


def fragments(results) -> dict[str, str]:
    """The short answer to "can T(F*_n) be used for inference?" for the top README, under
    the name :data:`FRAGMENT`: the README's own findings, each a count of cells under the
    two-sided band or a paired comparison with Efron's BCa on the same data sets."""
    data, design, pairs = _prepared(results)
    level = design["level"]
    lead = paragraph(
        f"From [`results/coverage`](results/coverage/README.md), over the DGPs "
        f"{', '.join(design['dgps'][:-1])} and {design['dgps'][-1]}, at "
        f"n = {', '.join(map(str, design['ns']))}: a cell (DGP, n, functional) is *at nominal* "
        f"when its coverage lies inside the two-sided band {num(level, 2)} ± "
        f"1.96·√({num(level, 2)}·{num(1 - level, 2)}/B); paired comparisons with Efron's BCa "
        "on the same data sets are resolved beyond 2 MCSEs.")
    bullets = _short_bullets(data, design, pairs, recipes_at="details in the folder's README")
    return {FRAGMENT: lead + "\n\n" + "\n".join(bullets) + "\n"}


def render(results) -> dict[str, str]:
    """The Markdown files of ``results/coverage``, keyed by their path under ``results``."""
    data, design, pairs = _prepared(results)
    level, funcs = design["level"], design["funcs"]
    out = {f"{FOLDER}/README.md": _readme(data, design, pairs),
           f"{FOLDER}/coverage.md": coverage_md(data["summary"], data["diag"], data["warm"],
                                                level, funcs),
           f"{FOLDER}/paired.md": paired_md(pairs, design["dgps"], funcs)}
    for p in (*PARTS, *data["new"]):
        out[f"{FOLDER}/{p}/table.md"] = tables(data["parts"][p]["summary"], f"coverage-{p}",
                                               level, funcs)
    return out
