"""The report of ``results/generators``: the GAN with heavy-tailed and mixture latents and
budgets that grow with n, against F_n and two smoothed bootstraps.

Renders ``generators/README.md`` from the committed files of the folder: ``summary.csv``
(mean KS, gap mass and tail index by dgp, n and method, with MCSEs), ``paired.csv`` (paired
differences against F_n and against the default recipe), ``shares.csv`` (the share of
replications where a GAN's KS is below F_n's), ``floor.csv`` (the floor fits),
``replications.csv.gz`` (the KS at both m, for the m factor's paired MCSEs), ``chosen.json``
(the tuned settings) and ``run.json`` (command, seed, wall time per part, versions, each
part's settings). ``fragments`` gives the short answers (``generators-answers``) for the top
README.

Every comparative word comes from :mod:`gansim.summary.rules`: a share is *most* only when
its exact 95% interval lies above ½ (:func:`rules.majority`); a difference, a floor or a
bias is resolved only beyond 2 paired MCSEs (:func:`rules.compare`); counts over many cells
carry what chance alone gives (:func:`rules.chance_resolved`). A DGP's floor fits are *not
trusted* when F_n's fitted exponent c, known to be ½, has a 95% interval without ½.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path

import numpy as np
import pandas as pd

from gansim.render.common import files_stamp, read_csv, read_json, versions_line
from gansim.render.generators_tuning import describe
from gansim.studies.rates import c_bound, ks_floor
from gansim.summary import rules
from gansim.summary.text import count, fill, md_table, num, signed

__all__ = ["render", "fragments", "load", "share_text", "family_level", "answers", "FOLDER",
           "N_REF", "GANS", "FRAGMENT"]

FOLDER = "generators"
#: The sample size of the headline question (the nearest one run when it was not).
N_REF = 100
#: The GAN designs, in the order they are reported.
GANS = ("gan", "gan_large", "gan_pareto", "gan_mixture", "gan_grow", "gan_best")
#: Every method, in the order of the tables.
METHODS = ("ecdf", "smoothed", "smoothed_cdf", *GANS)
#: The largest exponent c the floor fits search (their bound: a + b·n^−c, c in (0, 5]).
C_MAX = 5.0
#: The name of the top README's fragment.
FRAGMENT = "generators-answers"
#: The majority words of :func:`rules.majority` inside a sentence.
SHORT = {"most": "most", "fewer than half": "fewer than half",
         "about half (not resolved)": "about half, not resolved"}
#: The majority words of :func:`rules.majority`, as the README says them.
MAJORITY = {"most": "in most replications", "fewer than half": "not in most replications "
            "(fewer than half)", "about half (not resolved)": "not in most replications "
            "(about half, not resolved)"}


RULES = (
    "**How to read.** Value (MCSE) throughout; the words follow stated rules "
    f"(`gansim.summary.rules`). A difference (of mean KS, of a gap mass from the truth, of a "
    f"floor from 0) is *higher/lower* (*more/less*, *above/below*) only when it exceeds "
    f"{rules.K_MCSE:g} of its paired MCSEs, else *not resolved at this B*; where a method does "
    f"not differ, chance alone resolves a difference with probability "
    f"{rules.P_RESOLVED_BY_CHANCE:.3f}, so counts over many cells carry what chance gives. A "
    "share of replications comes with its exact (Clopper–Pearson) 95% interval, and *most* "
    "means the interval lies above ½ (*fewer than half*: below ½; else *about half, not "
    "resolved*). Floor fits are trusted only for a DGP where F_n's fitted exponent, known to "
    "be ½, has ½ in its 95% interval.")


def spm(value, mcse, digits: int = 3) -> str:
    """``+0.012 (0.004)``: a signed value and its MCSE."""
    return f"{signed(value, digits)} ({num(mcse, digits)})"


def vpm(value, mcse, digits: int = 3) -> str:
    """``0.012 (0.004)``."""
    return f"{num(value, digits)} ({num(mcse, digits)})"


def ci(lo, hi, digits: int = 3) -> str:
    return f"[{num(lo, digits)}, {num(hi, digits)}]"


def share_text(wins: int, B: int, level: float = 0.95) -> tuple[str, str]:
    """``'0.750 [0.684, 0.808] (150/200)'`` (the share, its exact interval at ``level``,
    wins/B) and the majority word of :func:`rules.majority` at the same level.

    Examples
    --------
    >>> share_text(150, 200)
    ('0.750 [0.684, 0.808] (150/200)', 'most')
    >>> share_text(40, 100)[1]
    'about half (not resolved)'
    """
    lo, hi = rules.share_interval(int(wins), int(B), level)
    return (f"{num(wins / B)} {ci(lo, hi)} ({int(wins)}/{int(B)})",
            rules.majority(int(wins), int(B), level))


def family_level(designs: int) -> float:
    """The level of a share's interval when the question is whether *any* of ``designs``
    GAN designs beats F_n (Bonferroni: 1 - 0.05/designs), so that six null designs
    together say "most" by chance with probability at most about 0.025.

    >>> round(family_level(6), 4)
    0.9917
    """
    return 1 - 0.05 / max(1, int(designs))


# --------------------------------------------------------------------------- data


def load(results) -> dict:
    """Everything the report reads, once per state of the folder (the replications: the KS
    at both m only); the README and the fragment share it."""
    base = Path(results).resolve() / FOLDER
    return _load(str(base), files_stamp(base))


@functools.lru_cache(maxsize=2)
def _load(base: str, stamp: tuple) -> dict:
    base = Path(base)
    reps = read_csv(base / "replications.csv.gz",
                    usecols=["dgp", "n", "rep", "method", "quantity", "estimate", "status"])
    reps = reps[reps.quantity.isin(["ks", "ks_m1e4"]) & (reps.status == "ok")]
    summary = read_csv(base / "summary.csv")
    try:
        floor = read_csv(base / "floor.csv")
    except pd.errors.EmptyDataError:   # no fit at all: the study wrote an empty frame
        floor = pd.DataFrame()
    return {"base": base, "summary": summary, "paired": read_csv(base / "paired.csv"),
            "shares": read_csv(base / "shares.csv"), "floor": floor, "ks": reps,
            "chosen": read_json(base / "chosen.json"), "run": read_json(base / "run.json")}


class _Facts:
    """Lookups over the loaded frames."""

    def __init__(self, d: dict):
        self.d = d
        s = d["summary"]
        self.dgps = list(dict.fromkeys(s.dgp))
        self.ns = sorted(int(n) for n in s.n.unique())
        self.methods = [m for m in METHODS if m in set(s.method)]
        self.gans = [m for m in GANS if m in set(s.method)]
        self.n_ref = min(self.ns, key=lambda n: (abs(math.log(n / N_REF)), n))
        self.n_max = self.ns[-1]
        self._s = {(r.dgp, int(r.n), r.method, r.quantity, r.stat): (float(r.est), float(r.mcse))
                   for r in s.itertuples()}
        p = d["paired"]
        self._p = {(r.dgp, int(r.n), r.method, r.ref, r.quantity, r.stat):
                   (float(r.est), float(r.mcse)) for r in p.itertuples()}
        sh = d["shares"]
        self._sh = {(r.dgp, int(r.n), r.method, r.quantity): (int(r.wins), int(r.B))
                    for r in sh.itertuples()}
        run = d["run"]
        self.parts = run.get("settings", {})
        first = next(iter(self.parts.values()), {})
        self.m = int(first.get("m", 0) or 0)
        self.configs = {}
        for part in self.parts.values():
            for me in part.get("methods", []):
                self.configs.setdefault(me["label"], me)
        self.reprs, self.m_small = {}, None
        for key, part in self.parts.items():
            desc = part.get("functionals", {}).get("ks_m1e4", "")
            if desc.startswith("KSFirst(") and ", k=" in desc:
                body, k = desc[len("KSFirst("):].rsplit(", k=", 1)
                self.m_small = int(k.rstrip(")"))
                self.reprs[key.rsplit("-", 1)[0]] = body

    def s(self, dgp, n, method, quantity, stat):
        return self._s.get((dgp, int(n), method, quantity, stat), (math.nan, math.nan))

    def has(self, dgp, n, method, quantity="ks"):
        return (dgp, int(n), method, quantity, "mean") in self._s

    def p(self, dgp, n, method, ref, quantity="ks", stat="diff"):
        return self._p.get((dgp, int(n), method, ref, quantity, stat), (math.nan, math.nan))

    def share(self, dgp, n, method, quantity="ks"):
        return self._sh.get((dgp, int(n), method, quantity))

    def B(self, dgp, n, method="ecdf"):
        return int(self.s(dgp, n, method, "ks", "nsim")[0])


def _best_share(f: _Facts, dgp: str, n: int, quantity: str = "ks"):
    """The GAN with the most wins at (dgp, n): (method, wins, B)."""
    cands = [(g, *f.share(dgp, n, g, quantity)) for g in f.gans if f.share(dgp, n, g, quantity)]
    if not cands:
        return None
    return max(cands, key=lambda c: (c[1] / c[2], -f.gans.index(c[0])))


def _diff_word(est, mcse, lower="lower", higher="higher") -> str:
    return rules.compare(est, mcse, lower=lower, higher=higher).word


# --------------------------------------------------------------------------- sections


def _design(f: _Facts) -> list[str]:
    d = f.d
    run, chosen = d["run"], d["chosen"]
    from gansim.studies.generators import UNTUNED

    untuned = {k: chosen.get(k) for k in ("winners", "best")} == UNTUNED
    labels = {"gan_pareto": ("pareto", "winners"), "gan_mixture": ("mix", "winners"),
              "gan_grow": ("grow", "winners")}
    L = ["## What was run", ""]
    walls = run.get("wall_time_per_part_s", {})
    reused = {k: v for k, v in run.get("blocks_reused_from_code", {}).items() if v}
    provenance = ""
    if run.get("blocks_computed") == 0:
        provenance = (
            "That run computed no block: it read every part's blocks, computed by earlier "
            "runs of the same study and seed, and wrote the outputs. ")
    if reused:
        digests = list(dict.fromkeys(d for v in reused.values() for d in v))
        provenance += (
            f"{count(len(reused), len(walls), 'parts')} reused blocks across versions of "
            "gansim's code (`--reuse-blocks-from-other-code`): the source digests of the "
            "earlier runs that computed or read them are "
            + ", ".join(f"`{d}`" for d in digests) + " (per part in `run.json`). ")
    L += [fill(
        f"Command recorded (the last run): `{run.get('command', 'not recorded')}`; seed "
        f"{run.get('seed', '–')}, started {run.get('started', '–')}. " + provenance
        + f"Computing time {num(run.get('wall_time_s'), 0)} s in all, the sum over every run "
        f"that computed a part's blocks, in {run.get('n_jobs', '–')} worker "
        f"process{'' if run.get('n_jobs') == 1 else 'es'} on a "
        f"{run.get('machine', {}).get('cores', '?')}-core "
        f"{run.get('machine', {}).get('cpu', '?')} (cores not reserved: not a benchmark). "
        f"Each part is resumable in `parts/<dgp>-<small|large>/` (not committed); computing "
        "time per part: " + ", ".join(f"{k} {num(v, 0)} s" for k, v in walls.items())
        + f". Failed replications: {run.get('failed', '–')}. Versions: {versions_line(run)}."),
        ""]
    L += ["## Design", ""]
    from gansim.studies.generators import DGPS, NS

    missing_n = [n for n in NS if n not in f.ns]
    missing_dgp = [g for g in DGPS if g not in f.dgps]
    if missing_n or missing_dgp:
        L += [fill(
            "**This folder holds part of the study's design**: "
            + (f"n = {', '.join(map(str, f.ns))} of its n = {', '.join(map(str, NS))}"
               if missing_n else "every n")
            + (f", DGPs {', '.join(f.dgps)} of its {', '.join(DGPS)}" if missing_dgp else "")
            + (f". The parts with n = {', '.join(map(str, missing_n))} are not in it, so the "
               f"floor fits below rest on n ≤ {f.n_max} only" if missing_n else "")
            + ". The study's command without `--ns` and `--dgps` runs the whole design."), ""]
    if untuned:
        L += [fill("**The settings are untuned** (`--untuned`: one stated candidate per family "
                   "and their union as the best): a smoke run, not a report of the tuned "
                   "options."), ""]
    else:
        L += [fill(
            "The generator options' settings were chosen beforehand by the tuning study "
            f"([`../generators_tuning/`](../generators_tuning/README.md), seed "
            f"{chosen.get('seed', '–')}, its own data sets) and are read from `chosen.json`: "
            + ", ".join(f"`{lab}` = its `{chosen['winners'][fam]['label']}`"
                        for lab, (fam, _) in labels.items() if fam in chosen.get("winners", {}))
            + f", `gan_best` = its best combination `{chosen.get('best', {}).get('label', '?')}`."),
            ""]
    rows = []
    for me in f.methods:
        c = f.configs.get(me, {})
        cfg = c.get("config")
        if cfg is None:
            what = {"ecdf": "F_n, the empirical distribution (its KS exact)",
                    "smoothed": "the smoothed bootstrap, bandwidth "
                                f"{c.get('bandwidth', '?')}",
                    "smoothed_cdf": f"the smoothed bootstrap, bandwidth {c.get('bandwidth', '?')}"
                                    + (", draws rescaled to mean x̄ and variance s²"
                                       if c.get("shrink") else "")}.get(me, me)
        else:
            opts = describe(cfg)
            what = (f"GAN, hidden widths {tuple(cfg.get('g_hidden', ()))}, "
                    f"{num(cfg.get('steps'), 0)} steps; "
                    + ("normal latent, the same budget at every n"
                       if opts == "the default recipe" else opts))
        ns = [n for n in f.ns if any(f.has(g, n, me) for g in f.dgps)]
        rows.append({"method": f"`{me}`", "what": what,
                     "n": "all" if ns == f.ns else ", ".join(map(str, ns))})
    L += [md_table(pd.DataFrame(rows), align="lll"), ""]
    Bs = {(g, n): f.B(g, n) for g in f.dgps for n in f.ns if f.has(g, n, "ecdf")}
    byn = {n: sorted({b for (g, k), b in Bs.items() if k == n}) for n in f.ns}
    L += [fill(
        "All GANs: fused engine, counter-based noise, standardised data. DGPs "
        "(`gansim.study.dgp` defaults): "
        + ", ".join(f"`{g}` = `{f.reprs.get(g, g)}`" for g in f.dgps)
        + f"; n ∈ {{{', '.join(map(str, f.ns))}}}; B per condition: "
        + ", ".join(f"{'/'.join(map(str, b))} at n = {n}" for n, b in byn.items())
        + f" ({num(sum(Bs.values()), 0)} data sets). Each sampling method's KS is measured "
        f"through m = {num(f.m, 0)} draws (draw noise at most {num(ks_floor(f.m), 5)} in mean, "
        "kstwo(m)) and through their first "
        f"{num(f.m_small, 0) if f.m_small else '–'} (`ks_m1e4`, the m factor at no training "
        "cost); F_n's KS is exact."), ""]
    L += [RULES, ""]
    return L


def _shares(f: _Facts) -> list[str]:
    n = f.n_ref
    L = [f"## 1. Does a GAN design beat F_n at n = {n}?", ""]
    L += [fill(
        f"The share of replications in which the design's KS (m = {num(f.m, 0)}) is below "
        "F_n's, with its exact 95% interval; *most* only when the interval lies above ½ "
        "(`rules.majority`):"), ""]
    rows = []
    for dgp in f.dgps:
        row = {"dgp": dgp}
        for g in f.gans:
            sh = f.share(dgp, n, g)
            if sh is None:
                row[g] = "–"
                continue
            text, word = share_text(*sh)
            row[g] = f"{text} *{word}*"
        rows.append(row)
    L += [md_table(pd.DataFrame(rows), align="l" + "r" * len(f.gans)), ""]
    # The same at m_small: does the measurement change a word?
    changed, cells = [], 0
    for dgp in f.dgps:
        for g in f.gans:
            a, b = f.share(dgp, n, g), f.share(dgp, n, g, "ks_m1e4")
            if a is None or b is None:
                continue
            cells += 1
            wa, wb = rules.majority(*a), rules.majority(*b)
            if wa != wb:
                changed.append(f"{dgp} `{g}` ({wa} → {wb}, {b[0]}/{b[1]})")
    if cells:
        L += [fill(
            f"Measured through the first {num(f.m_small, 0)} draws instead, the word changes in "
            f"{count(len(changed), cells, 'cells')}"
            + (": " + "; ".join(changed) if changed else "") + ". Every n is in `shares.csv`."),
            ""]
    return L


#: The smoothed bootstraps the GANs are compared with, as the README names them.
SMOOTHED = {"smoothed": "the smoothed bootstrap (nrd0 bandwidth)",
            "smoothed_cdf": "the variance-corrected smoothed bootstrap (cdf bandwidth)"}


def _vs_ref(f: _Facts, dgp: str, n: int, ref: str) -> dict[str, str]:
    """Per GAN design run at (dgp, n): the 2-MCSE word for its mean KS minus ``ref``'s,
    paired on the replications (*lower*: the design is closer to the truth)."""
    return {g: _diff_word(*f.p(dgp, n, g, ref)) for g in f.gans
            if f.has(dgp, n, g) and f.has(dgp, n, ref)}


def _tally(words: dict[str, str]) -> str:
    """``lower for k of K designs, higher for j`` from :func:`_vs_ref`'s words."""
    lo = [g for g, w in words.items() if w == "lower"]
    hi = [g for g, w in words.items() if w == "higher"]
    text = f"lower for {count(len(lo), len(words), 'designs')}"
    if lo:
        text += " (" + ", ".join(f"`{g}`" for g in lo) + ")"
    return text + f", higher for {len(hi)}"


def _against_bootstrap(f: _Facts) -> list[str]:
    ns = sorted({f.n_ref, f.n_max})
    L = ["## 3. Against the smoothed bootstraps", ""]
    L += [fill(
        "Does a GAN design come closer to the truth than the smoothed bootstrap, the other "
        "smooth estimator of F a statistician can compute from the same data? The paired "
        "difference of mean KS, design minus `smoothed` (MCSE, paired on the replications), "
        "at n = " + " and n = ".join(map(str, ns)) + "; *lower* means the design's KS is the "
        "smaller:"), ""]
    for n in ns:
        rows = []
        for dgp in f.dgps:
            row = {"dgp": dgp}
            for g in f.gans:
                if not (f.has(dgp, n, g) and f.has(dgp, n, "smoothed")):
                    row[g] = "–"
                    continue
                e, m = f.p(dgp, n, g, "smoothed")
                row[g] = f"{signed(e, 4)} ({num(m, 4)}) *{_diff_word(e, m)}*"
            rows.append(row)
        L += [f"**n = {n}**", "", md_table(pd.DataFrame(rows), align="l" + "r" * len(f.gans)),
              ""]
    for ref in ("smoothed_cdf",):
        parts = []
        for n in ns:
            words = [w for dgp in f.dgps for w in _vs_ref(f, dgp, n, ref).values()]
            if words:
                cells = len(words)
                parts.append(f"at n = {n}, lower in {count(words.count('lower'), cells)} "
                             f"(DGP, design) cells and higher in {words.count('higher')}")
        if parts:
            ch = rules.chance_resolved(cells, sides=1)
            L += [fill(f"Against `{ref}`, {SMOOTHED[ref]}: " + "; ".join(parts) + " (where "
                       f"nothing differs, {ch.sentence()} for each word). Every n and both "
                       "references are in `paired.csv`."), ""]
    return L


def _mean_ks(f: _Facts) -> list[str]:
    L = ["## 2. Mean KS by n", ""]
    L += [fill("Mean KS (MCSE) at m draws; F_n exact; – where a method was not run:"), ""]
    for dgp in f.dgps:
        rows = []
        for n in f.ns:
            row = {"n": str(n)}
            for me in f.methods:
                e, m = f.s(dgp, n, me, "ks", "mean")
                row[me] = vpm(e, m, 4) if math.isfinite(e) else "–"
            rows.append(row)
        L += [f"**{dgp}**", "", md_table(pd.DataFrame(rows), align="r" * (1 + len(f.methods))),
              ""]
    # Paired differences at n_ref and n_max.
    L += [fill(
        "Paired differences of mean KS, GAN − F_n and GAN − the default recipe `gan` (MCSE), "
        f"at n = {f.n_ref} and n = {f.n_max}, with the 2-MCSE rule's word (*lower*: closer "
        "to the truth):"), ""]
    rows = []
    for dgp in f.dgps:
        for g in f.gans:
            row = {"dgp": dgp, "GAN": f"`{g}`"}
            for n in dict.fromkeys((f.n_ref, f.n_max)):
                for ref, lab in (("ecdf", "F_n"), ("gan", "gan")):
                    if g == ref:
                        continue
                    e, m = f.p(dgp, n, g, ref)
                    col = f"− {lab}, n = {n}"
                    row[col] = (f"{spm(e, m, 4)} {_diff_word(e, m)}" if math.isfinite(e)
                                else "–")
            rows.append(row)
    frame = pd.DataFrame(rows).fillna("–")
    L += [md_table(frame, align="ll" + "r" * (frame.shape[1] - 2)), ""]
    # Counts over every n.
    parts = []
    cells_all = 0
    for g in f.gans:
        words = []
        for dgp in f.dgps:
            for n in f.ns:
                e, m = f.p(dgp, n, g, "ecdf")
                if math.isfinite(e):
                    words.append(_diff_word(e, m))
        cells_all = max(cells_all, len(words))
        parts.append(f"`{g}` lower in {words.count('lower')}, higher in "
                     f"{words.count('higher')}, not resolved in "
                     f"{words.count(rules.UNRESOLVED)} of {len(words)}")
    if parts:
        L += [fill(
            "Against F_n over every (dgp, n) cell: " + "; ".join(parts) + ". Where a GAN and "
            f"F_n do not differ, {rules.chance_resolved(cells_all).sentence()} resolved cells "
            "(either side) per GAN."), ""]
    # The m factor.
    ks = f.d["ks"]
    if not ks.empty and f.m_small:
        w = ks[~ks.method.isin(["ecdf"])].pivot_table(
            index=["dgp", "n", "method", "rep"], columns="quantity", values="estimate")
        if {"ks", "ks_m1e4"} <= set(w.columns):
            diff = (w["ks_m1e4"] - w["ks"]).dropna()
            g = diff.groupby(level=["dgp", "n", "method"])
            mean, se = g.mean(), g.std(ddof=1) / np.sqrt(g.size())
            words = [_diff_word(e, s, higher="higher", lower="lower")
                     for e, s in zip(mean, se, strict=True)]
            L += [fill(
                f"**The m factor.** Through the first {num(f.m_small, 0)} of the same draws "
                f"instead of all {num(f.m, 0)}, the mean KS of the sampling methods changes by "
                f"a median {signed(mean.median(), 4)} (range {signed(mean.min(), 4)} to "
                f"{signed(mean.max(), 4)} over {len(mean)} method × condition cells; paired, "
                f"per replication): *higher* in {words.count('higher')}, *lower* in "
                f"{words.count('lower')}, not resolved in {words.count(rules.UNRESOLVED)}. "
                f"E KS of m draws from any continuous law is {num(ks_floor(f.m_small), 5)} at "
                f"m = {num(f.m_small, 0)} and {num(ks_floor(f.m), 5)} at m = {num(f.m, 0)}."),
                ""]
    return L


def _fit_rows(fl: pd.DataFrame, dgp: str, gans) -> tuple[list[dict], bool | None]:
    """Floor-fit rows of one DGP (KS at m) and whether F_n's c interval holds ½."""
    free = fl[(fl.dgp == dgp) & (fl.quantity == "ks") & (fl.fit == "free")].set_index("method")
    half = fl[(fl.dgp == dgp) & (fl.quantity == "ks") & (fl.fit == "c=1/2")].set_index("method")
    trusted = None
    if "ecdf" in free.index:
        r = free.loc["ecdf"]
        trusted = bool(r.c_low <= 0.5 <= r.c_high)
    cb = c_bound()
    rows = []
    for me in ["ecdf", *gans]:
        if me not in free.index and me not in half.index:
            continue
        row = {"method": f"`{me}`"}
        fit = free.loc[me] if me in free.index else half.loc[me]
        row["n"] = f"{int(fit.n_min)}–{int(fit.n_max)}"
        notes = []
        if me in free.index:
            r = free.loc[me]
            # c's estimate on (or, from older fits, below) the search bound: there a + b n^-c
            # is (a + b) - b c log n, and a is set by the bound, not the data.
            a_free = (r.c > cb + 1e-9 and math.isfinite(r.a_low)
                      and math.isfinite(r.a_high))
            row["c free: a [95%]"] = (f"{num(r.a, 4)} {ci(r.a_low, r.a_high, 4)}" if a_free
                                      else "not identified")
            row["c [95%]"] = f"{num(r.c, 2)} {ci(r.c_low, r.c_high, 2)}"
            if not bool(r.converged):
                notes.append("free fit not converged")
            if r.c_low <= cb + 1e-9 and r.c_high >= C_MAX - 1e-9:
                notes.append("c and a not identified (c's interval spans the whole search "
                             "range)")
            else:
                if r.c_low <= cb + 1e-9:
                    notes.append(f"c ≤ {num(r.c_high, 2)} only (lower end on the search "
                                 "bound)")
                if not a_free:
                    notes.append("a not identified (c's estimate on the search bound, or a's "
                                 "interval unbounded)")
                elif r.a_low < 0:
                    notes.append(f"a ≤ {num(r.a_high, 4)} only (interval reaches below 0)")
        else:
            row["c free: a [95%]"] = row["c [95%]"] = "–"
        if me in half.index:
            r = half.loc[me]
            row["c = ½: a [95%]"] = f"{num(r.a, 4)} {ci(r.a_low, r.a_high, 4)}"
            p = r.get("p_a0", math.nan)
            row["p (a = 0)"] = num(p, 3)
            row["a against 0"] = rules.compare(r.a, r.se_a, higher="above 0", lower="below 0",
                                               unresolved="not resolved from 0").word
        else:
            row["c = ½: a [95%]"] = row["p (a = 0)"] = row["a against 0"] = "–"
        row["reading"] = "; ".join(notes) or "—"
        rows.append(row)
    return rows, trusted


def _floors(f: _Facts) -> list[str]:
    fl = f.d["floor"]
    L = ["## 4. Floors", ""]
    if fl.empty or "fit" not in fl.columns or fl[fl.quantity == "ks"].empty:
        return L + [fill("No floor fit: a + b·n^−c needs at least 4 sample sizes (3 with c "
                         "fixed)."), ""]
    L += [fill(
        "Mean KS (m draws) = a + b·n^−c by weighted least squares on the MCSEs, with "
        "profile-likelihood 95% intervals (free c), and with c fixed at ½ (Wald interval of a; "
        "the one-sided p-value of a = 0 against a > 0, and the 2-MCSE rule on a: *above 0* "
        "when a exceeds 2 of its SEs). F_n is the positive control: its c is ½, so where F_n's "
        "interval for c excludes ½ the DGP's fits are **not trusted**."), ""]
    for dgp in f.dgps:
        rows, trusted = _fit_rows(fl, dgp, f.gans)
        if not rows:
            continue
        head = {True: "F_n's c interval holds ½: the fits are trusted",
                False: "F_n's c interval excludes ½: the fits are **not trusted**",
                None: "no fit of F_n: the fits are not checked"}[trusted]
        L += [f"**{dgp}** ({head})", "", md_table(pd.DataFrame(rows), align="lrrrrrll"), ""]
    return L


def _mechanism(f: _Facts) -> list[str]:
    L = ["## 5. The mechanism: mass in the gap, tail index", ""]
    gap_dgps = [g for g in f.dgps if any(f.has(g, n, "ecdf", "gap_mass") for n in f.ns)]
    for dgp in gap_dgps:
        truth = f.d["summary"]
        truth = truth[(truth.dgp == dgp) & (truth.quantity == "gap_mass")]
        tv = _truth(f, dgp, "gap_mass")
        L += [fill(
            f"**{dgp}: the probability in the gap** between the modes (the density minimum ± a "
            f"quarter of the distance between the means), truth {num(tv, 4)}: mean over the "
            "replications (MCSE), the GANs' from their m draws, F_n's the share of the data:"),
            ""]
        rows = []
        for me in f.methods:
            row = {"method": f"`{me}`"}
            for n in f.ns:
                e, m = f.s(dgp, n, me, "gap_mass", "mean")
                row[f"n = {n}"] = vpm(e, m, 4) if math.isfinite(e) else "–"
            rows.append(row)
        L += [md_table(pd.DataFrame(rows), align="l" + "r" * len(f.ns)), ""]
        rows = []
        for g in f.gans:
            for n in dict.fromkeys((f.n_ref, f.n_max)):
                b, bm = f.s(dgp, n, g, "gap_mass", "bias")
                d, dm = f.p(dgp, n, g, "ecdf", "gap_mass")
                if not math.isfinite(b):
                    continue
                rows.append({"GAN": f"`{g}`", "n": str(n),
                             "− truth": f"{spm(b, bm, 4)} "
                                        + _diff_word(b, bm, higher="more", lower="less"),
                             "− F_n (paired)": (f"{spm(d, dm, 4)} "
                                                + _diff_word(d, dm, higher="more", lower="less")
                                                if math.isfinite(d) else "–")})
        if rows:
            L += [md_table(pd.DataFrame(rows), align="lrrr"), ""]
    L += [fill(
        "**The tail index** of the draws, Hill's estimate on their ⌈√m⌉ largest excesses over "
        "the median (F_n's row: the data's own, from ⌈√n⌉ excesses), mean (MCSE); the DGP's "
        "index is 3 for t₃ and infinite for the others (a light tail gives a large estimate "
        "that grows with the sample). `latent index` is the tail index the Pareto-latent GANs "
        "trained with (Hill's estimate from each standardised data set)."
        " For a DGP with a finite index the rule's word compares the mean with it (*above*: a "
        "lighter tail than the DGP's)."), ""]
    for n in dict.fromkeys((f.n_ref, f.n_max)):
        rows = [dict({"method": "DGP's index"},
                     **{dgp: _index_text(_truth(f, dgp, "tail_index")) for dgp in f.dgps})]
        for me in f.methods:
            row = {"method": f"`{me}`"}
            for dgp in f.dgps:
                e, m = f.s(dgp, n, me, "tail_index", "mean")
                if not math.isfinite(e):
                    row[dgp] = "–"
                    continue
                row[dgp] = vpm(e, m, 2)
                b, bm = f.s(dgp, n, me, "tail_index", "bias")
                if math.isfinite(b):
                    row[dgp] += " " + _diff_word(b, bm, higher="above", lower="below")
            rows.append(row)
        e = {dgp: f.s(dgp, n, "ecdf", "latent_tail", "mean") for dgp in f.dgps}
        rows.append(dict({"method": "latent index"},
                         **{dgp: vpm(*v, 2) if math.isfinite(v[0]) else "–"
                            for dgp, v in e.items()}))
        L += [f"At n = {n}:", "", md_table(pd.DataFrame(rows), align="l" + "r" * len(f.dgps)),
              ""]
    return L


#: The functionals the study measures, in the order of the table.
FUNCTIONALS = ("mean", "median", "sd", "q10", "q90")


def _functionals(f: _Facts) -> list[str]:
    n = f.n_ref
    present = [q for q in FUNCTIONALS
               if any(f.has(d, n, "ecdf", q) for d in f.dgps)]
    if not present:
        return []
    L = [f"## 6. The functionals at n = {n}", ""]
    L += [fill(
        "Bias (MCSE) of each method's plug-in estimate of the functional (the sampling "
        "methods' from their m draws); F_n's is the sample's own:"), ""]
    for dgp in f.dgps:
        rows = []
        for me in f.methods:
            row = {"method": f"`{me}`"}
            for q in present:
                b, bm = f.s(dgp, n, me, q, "bias")
                row[q] = spm(b, bm) if math.isfinite(b) else "–"
            rows.append(row)
        L += [f"**{dgp}**", "", md_table(pd.DataFrame(rows), align="l" + "r" * len(present)),
              ""]
    return L


def _truth(f: _Facts, dgp: str, quantity: str) -> float:
    s = f.d["summary"]
    r = s[(s.dgp == dgp) & (s.quantity == quantity) & (s.stat.isin(["mean", "bias"]))]
    for me in r.method.unique():
        g = r[r.method == me].set_index(["n", "stat"]).est
        for n in f.ns:
            if (n, "mean") in g.index and (n, "bias") in g.index:
                return float(g[(n, "mean")] - g[(n, "bias")])
    return math.inf


def _index_text(value: float) -> str:
    return "infinite" if not math.isfinite(value) else num(value, 0)


def answers(f: _Facts) -> list[str]:
    """One line per DGP, from the rules: does a GAN design beat F_n at n ≈ 100 (in most
    replications), does its floor fall to 0, and, when it does not beat F_n, the measured
    mechanism."""
    fl = f.d["floor"]
    out = []
    n = f.n_ref
    for dgp in f.dgps:
        best = _best_share(f, dgp, n)
        if best is None:
            continue
        g, k, B = best
        level = family_level(len(f.gans))
        text, word = share_text(k, B, level)
        beats = [x for x in f.gans if f.share(dgp, n, x)
                 and rules.majority(*f.share(dgp, n, x), level) == "most"]
        if beats:
            head = (f"**yes**: {count(len(beats), len(f.gans), 'GAN designs')} beat F_n in "
                    "most replications (" + ", ".join(f"`{x}`" for x in beats) + f"); the "
                    f"highest share, `{g}`, {text}")
        else:
            head = (f"**no**: no GAN design beats F_n in most replications; the highest share, "
                    f"`{g}`, {text}: {SHORT[word]}")
        line = f"- **{dgp}**, n = {n}: {head}."
        vs = _vs_ref(f, dgp, n, "smoothed")
        if vs:
            line += f" Against the smoothed bootstrap, mean KS {_tally(vs)}."
        # Floors.
        if not fl.empty and "fit" in fl.columns:
            rows, trusted = _fit_rows(fl, dgp, f.gans)
            above = [r["method"] for r in rows if r["a against 0"] == "above 0"
                     and r["method"] != "`ecdf`"]
            nfit = sum(1 for r in rows if r["method"] != "`ecdf`" and r["a against 0"] != "–")
            if nfit:
                line += (f" Floor (c = ½): a above 0 for {count(len(above), nfit, 'GANs')}"
                         + (" (" + ", ".join(above) + ")" if above else "")
                         + ("; not trusted (F_n's c interval excludes ½)" if trusted is False
                            else "") + ".")
        # The mechanism, for a negative answer.
        if not beats:
            mech = []
            if f.has(dgp, n, g, "gap_mass"):
                e, m = f.s(dgp, n, g, "gap_mass", "mean")
                b, bm = f.s(dgp, n, g, "gap_mass", "bias")
                fe, _ = f.s(dgp, n, "ecdf", "gap_mass", "mean")
                mech.append(f"`{g}` puts {vpm(e, m, 4)} of its mass in the gap against the "
                            f"truth's {num(_truth(f, dgp, 'gap_mass'), 4)} "
                            f"({_diff_word(b, bm, higher='more', lower='less')}) and F_n's "
                            f"{num(fe, 4)}")
            e, m = f.s(dgp, n, g, "tail_index", "mean")
            if math.isfinite(e):
                tv = _truth(f, dgp, "tail_index")
                t = f"the tail index of its draws is {vpm(e, m, 2)} against the DGP's "
                if math.isfinite(tv):
                    b, bm = f.s(dgp, n, g, "tail_index", "bias")
                    t += f"{num(tv, 0)} ({_diff_word(b, bm, higher='above', lower='below')})"
                else:
                    t += "infinite"
                mech.append(t)
            if mech:
                line += " Measured: " + "; ".join(mech) + "."
        out.append(line)
    return out


# --------------------------------------------------------------------------- README


def readme(d: dict) -> str:
    """The text of ``generators/README.md``."""
    f = _Facts(d)
    L = ["# results/generators — the GAN beyond the normal latent", ""]
    L += [fill(
        "The study is `gansim/studies/generators.py` (`python -m gansim generators`). It asks "
        "whether a GAN whose generator has a heavy-tailed latent, a mixture latent, a "
        "training budget that grows with n, or the best combination of these (each tuned "
        "beforehand on its own seed and data), comes closer to the true distribution than F_n "
        f"on {len(f.dgps)} DGPs, and, where it does not, measures why: the mass it puts "
        "between the "
        "mixture's modes and the tail index of its draws."), ""]
    L += ["## Answers", ""]
    L += [fill(
        f"Per DGP, at n = {f.n_ref}: does any GAN design's KS beat F_n's in most replications "
        f"(the share's exact interval above ½, at level {num(family_level(len(f.gans)), 4)} = "
        f"1 − 0.05/{len(f.gans)} since any of {len(f.gans)} designs may answer; the table "
        "further down gives each design's 95% interval); does the floor a of mean KS = a + b·n^−½ "
        "stay above 0 (2-MCSE rule); is a design's mean KS below the smoothed bootstrap's "
        "(paired, 2-MCSE rule, design by design); and, where no design beats F_n, what was "
        "measured. A negative answer is a result."), ""]
    L += answers(f) + [""]
    L += _design(f)
    L += _shares(f)
    L += _mean_ks(f)
    L += _against_bootstrap(f)
    L += _floors(f)
    L += _mechanism(f)
    L += _functionals(f)
    L += ["## Files", "", md_table(pd.DataFrame([
        ("`replications.csv.gz`", "one row per condition × replication × method × quantity"),
        ("`summary.csv`", "`gansim.summarise` by dgp and n"),
        ("`paired.csv`", "each GAN against `ecdf`, `smoothed`, `smoothed_cdf` and the default "
         "recipe `gan`: diff, less, relprec, mseratio"),
        ("`shares.csv`", "KS(GAN) < KS(F_n): wins, B, share, exact 95% interval, at both m"),
        ("`floor.csv`", "a + b·n^−c per dgp × method (c free and c = ½, p of a = 0, "
         "`control_ok`)"),
        ("`chosen.json`", "the tuned settings used"),
        ("`run.json`", "the run record: command, seed, wall time per part, versions, settings"),
    ], columns=["file", "what"]), align="ll"), ""]
    return _wrap("\n".join(L)).rstrip("\n") + "\n"


def _wrap(text: str) -> str:
    from gansim.studies.rates import wrap

    return wrap(text)


def render(results) -> dict[str, str]:
    """``generators/README.md``, keyed by its path under ``results``."""
    return {f"{FOLDER}/README.md": readme(load(results))}


def fragments(results) -> dict[str, str]:
    """The short answers for the top README, under the name :data:`FRAGMENT`: per DGP,
    whether a GAN design beats F_n at n ≈ 100, how the designs compare with the smoothed
    bootstrap there, and whether their floors stay above 0."""
    f = _Facts(load(results))
    level = family_level(len(f.gans))
    n = f.n_ref
    fl = f.d["floor"]
    rows = []
    for dgp in f.dgps:
        best = _best_share(f, dgp, n)
        if best is None:
            continue
        g, k, B = best
        text, word = share_text(k, B, level)
        row = {"DGP": dgp,
               f"KS below F_n's at n = {n}: best design, share": f"`{g}`, {text}: *{SHORT[word]}*"}
        vs = _vs_ref(f, dgp, n, "smoothed")
        row[f"mean KS against the smoothed bootstrap at n = {n}"] = _tally(vs) if vs else "–"
        cell = "–"
        if not fl.empty and "fit" in fl.columns:
            fits, trusted = _fit_rows(fl, dgp, f.gans)
            fits = [r for r in fits if r["method"] != "`ecdf`" and r["a against 0"] != "–"]
            if fits:
                above = sum(r["a against 0"] == "above 0" for r in fits)
                cell = f"above 0 for {count(above, len(fits))}" + (
                    " (not trusted)" if trusted is False else "")
        row["floor of mean KS (c = ½)"] = cell
        rows.append(row)
    lead = fill(
        f"Per DGP, from [`results/generators`](results/generators/README.md) ({len(f.gans)} GAN "
        "designs): the design whose KS is most often below F_n's, with the share's exact "
        f"interval at level {num(level, 4)} (1 − 0.05/{len(f.gans)}, since the best of "
        f"{len(f.gans)} is singled out; *most* only when it lies above ½); how many designs "
        "have a mean KS lower (or higher) than the smoothed bootstrap's, paired, beyond 2 "
        "MCSEs; and for how many the floor a of mean KS = a + b·n^−½, fitted over the sample "
        "sizes each design was run at, lies above 0 beyond 2 of its SEs (*not trusted* where "
        "F_n's own fitted exponent misses ½).")
    table = md_table(pd.DataFrame(rows), align="l" + "l" * (len(rows[0]) - 1) if rows else "l")
    return {FRAGMENT: lead + "\n\n" + table + "\n"}
