"""The report of ``results/rates``: the GAN against F_n, the bootstrap, the smoothed
bootstrap and the parametric plug-in, n = 25 … 800, four DGPs.

Renders ``rates/README.md``, ``rates/answers.md`` (every table behind the answers) and
``rates/tables.md`` (the study's tables, by :func:`gansim.studies.rates._tables`) from
``summary.csv``, ``paired.csv``, ``slopes.csv``, ``run.json`` and ``study.json``; the 15 MB
replication files are not read.

Besides the rules of :mod:`gansim.summary.rules`, this module states three rules that both
rates reports use (so that the same data give the same word in both):

- **MSE ratios** are judged on the log scale: ``log MSE(A) − log MSE(B)`` against 2 of its
  MCSEs (the ratio's MCSE divided by the ratio, the delta method), i.e.
  :func:`gansim.summary.rules.compare` on the log ratio (:func:`ratio_word`). Chance alone:
  a ratio whose true value is 1 falls beyond ``k = 2`` MCSEs on one side with probability
  ``P(Z > k) = 0.023`` (:func:`ratio_chance`).
- **Family level** (:func:`family_z`): a cell singled out from ``N`` cells compared at once
  is resolved only beyond ``z = Φ⁻¹(1 − 0.025/N)`` MCSEs (Bonferroni over the ``N`` cells
  and both sides).
- **Slopes with n** of a per-condition quantity (a mean paired difference, a bias) are
  fitted by weighted least squares on log n with the MCSEs as SEs (widened when the points
  scatter more than those allow, :func:`gansim.summary.rules.weighted_slope`)
  (:func:`wls_slope`); their 95% interval decides the word through
  :func:`gansim.summary.rules.trend`.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from gansim.render.common import provenance, read_csv, read_json
from gansim.summary import rules
from gansim.summary.text import count, md_table, num, num_range, pct, pm, signed

__all__ = ["render", "rates_answers", "tables", "ratio_word", "ratio_chance", "family_z",
           "wls_slope", "ks_floor", "share_cell", "floor_table", "FUNCTIONALS"]

FUNCTIONALS = ("mean", "median", "sd", "q10", "q90")
#: Display names of the DGPs (gansim.study.dgp registry names).

#: What each method label of the rates studies is (the estimator it samples from).
METHODS = {"ecdf": "F_n itself, evaluated exactly", "bootstrap": "m draws from F_n",
           "smoothed": "a Gaussian-kernel smoothed bootstrap with the `nrd0` bandwidth "
                       "0.9·min(s, IQR/1.34)·n^−1/5 and no variance correction",
           "smoothed_cdf": "the shrunk smoothed bootstrap with a cdf bandwidth",
           "parametric": "N(x̄, s²)", "gan": "the GAN", "gan_large": "the larger GAN",
           "oracle": "F⁻¹(U) for U uniform, a reference"}
_K = f"{rules.K_MCSE:g}"
RULES_TEXT = (
    "**How to read.** Value (MCSE) throughout. The words follow stated rules "
    f"(`gansim.summary.rules`): A is *higher/lower* (closer, smaller, …) than B only when the "
    f"paired difference exceeds {_K} paired MCSEs, else *not resolved at this B*; a share of "
    "replications comes with its exact (Clopper–Pearson) 95% interval, and *most* means that "
    "interval lies above ½ (*fewer than half*: below ½); a trend with n (*falls/rises as n "
    "grows*) only when a fitted slope's 95% interval excludes 0 (slopes of a per-condition "
    "quantity on log n by weighted least squares with the MCSEs as SEs, the slope's SE "
    "widened by √max(1, X²/(k − 2)) when the k points scatter about the line more than their "
    "MCSEs allow). An MSE ratio, or a relative precision as the variance ratio it is, "
    f"is judged on the log scale, log ratio against {_K} of its MCSEs (MCSE/ratio); a ratio "
    f"of 1 falls beyond {_K} MCSEs on a given side with probability "
    f"{num(float(stats.norm.sf(rules.K_MCSE)), 3)}, which gives the count expected by chance "
    "alone over many cells; a *family-level* cell is one beyond the Bonferroni z for all the "
    "cells compared at once.")


# --------------------------------------------------------------------------------------------
# Stated rules of the rates reports (see the module docstring).


def ratio_word(ratio: float, mcse: float, *, lower: str = "smaller",
               higher: str = "larger", k: float = rules.K_MCSE) -> str:
    """The word for an MSE ratio A/B with MCSE ``mcse``: :func:`rules.compare_ratio`.

    Examples
    --------
    >>> ratio_word(0.80, 0.05), ratio_word(0.93, 0.05), ratio_word(1.3, 0.1)
    ('smaller', 'not resolved at this B', 'larger')
    """
    return rules.compare_ratio(ratio, mcse, k=k, higher=higher, lower=lower).word


def ks_floor(m: int) -> float:
    """E KS of m draws from any continuous F: ``(√(π/2)·ln 2 − 1/(6√m))/√m``, the expansion
    of Kolmogorov's distribution (off scipy's exact ``kstwo(m).mean()`` by 4e-8 at
    m = 10,000, and instant).

    >>> round(ks_floor(10_000), 6)
    0.008671
    """
    r = math.sqrt(m)
    return (math.sqrt(math.pi / 2) * math.log(2) - 1 / (6 * r)) / r


def ratio_chance(cells: int, k: float = rules.K_MCSE) -> rules.Chance:
    """What chance alone gives per side over ``cells`` ratios whose true value is 1."""
    return rules.chance_resolved(cells, sides=1, k=k)


family_z = rules.family_z


def wls_slope(x, y, se, level: float = 0.95) -> tuple[float, float, float]:
    """``(slope, low, high)`` of :func:`rules.weighted_slope`.

    >>> s, lo, hi = wls_slope([0, 1, 2], [0.0, 1.0, 2.0], [0.1, 0.1, 0.1])
    >>> round(s, 6), round(hi - lo, 3)
    (1.0, 0.277)
    """
    fit = rules.weighted_slope(x, y, se, level=level)
    return fit.slope, fit.lo, fit.hi


_interval = functools.lru_cache(maxsize=None)(rules.share_interval)
_majority = functools.lru_cache(maxsize=None)(rules.majority)


def share_cell(share: float, B: int) -> tuple[str, str, int]:
    """``'0.951 [0.936, 0.964] (951/1000)'``, the majority word (:func:`rules.majority`),
    and k."""
    k = int(round(share * B))
    lo, hi = _interval(k, int(B))
    return f"{num(share)} [{num(lo)}, {num(hi)}] ({k}/{B})", _majority(k, int(B)), k


def trend_of(g: pd.DataFrame, **words) -> tuple[str, tuple[float, float, float]]:
    """The trend word of ``g.est`` (MCSE ``g.mcse``) on log n, and the fitted slope."""
    fit = wls_slope(np.log(g.n.to_numpy(float)), g.est, g.mcse)
    return rules.trend(*fit, **words), fit


def ci(lo, hi, digits=3) -> str:
    return f"[{num(lo, digits)}, {num(hi, digits)}]"


def floor_table(fits: pd.DataFrame, *, c_bound: float, ecdf_c: float = 0.5,
                digits_a: int = 4) -> tuple[str, pd.DataFrame]:
    """Markdown of floor fits ``a + b n^-c`` with reading notes, and the notes per fit.

    A lower end of c's interval on the search bound ``c_bound`` makes the interval an upper
    bound only (c ≤ its upper end); an interval of ``a`` reaching below 0 (a mean distance
    is ≥ 0) bounds the floor from above only (a ≤ its upper end); where F_n's c (known: ``ecdf_c``)
    lies outside its interval, that DGP's fits are not trusted.
    """
    if fits.empty:
        return "No fit: a + b·n^−c needs at least 4 sample sizes.", fits
    fits = fits.copy()
    fits["c_at_bound"] = fits.c_low <= c_bound + 1e-9
    fits["a_open"] = fits.a_low < 0.0
    ecdf = fits[fits.method == "ecdf"].set_index("dgp")
    bad = {d for d, r in ecdf.iterrows() if not (r.c_low <= ecdf_c <= r.c_high)}
    fits["trusted"] = ~fits.dgp.isin(bad)
    rows = []
    for r in fits.itertuples():
        notes = []
        if r.method == "oracle":
            notes.append("flat: c arbitrary")
        if r.c_at_bound and r.method != "oracle":
            notes.append(f"c ≤ {num(r.c_high, 2)}")
        if r.a_open and r.method != "oracle":
            notes.append(f"a ≤ {num(r.a_high, digits_a)}")
        if not r.trusted:
            notes.append("not trusted (F_n's c ≠ ½)")
        rows.append({"dgp": r.dgp, "method": r.method,
                     "a [95% CI]": f"{num(r.a, digits_a)} {ci(r.a_low, r.a_high, digits_a)}",
                     "c [95% CI]": f"{num(r.c, 2)} {ci(r.c_low, r.c_high, 2)}",
                     "χ² (df)": f"{num(r.chi2, 1)} ({r.df})",
                     "reading": "; ".join(notes) or "—"})
    return md_table(pd.DataFrame(rows), align="llrrrl"), fits


# --------------------------------------------------------------------------------------------
# Data.


def _load(folder: Path) -> dict:
    return {"summary": read_csv(folder / "summary.csv"),
            "paired": read_csv(folder / "paired.csv"),
            "slopes": read_csv(folder / "slopes.csv"),
            "run": read_json(folder / "run.json"),
            "study": read_json(folder / "study.json")}


_NSIM: dict = {}


def _nsim(summary, dgp, n, method="gan", quantity="ks") -> int:
    """B of ``method`` in condition (dgp, n) (its ``nsim``), looked up once per frame."""
    key = (id(summary), method, quantity)
    if key not in _NSIM:
        _NSIM.clear()
        r = summary[(summary.method == method) & (summary.quantity == quantity)
                    & (summary.stat == "nsim")]
        _NSIM[key] = (summary, {(d, int(k)): int(v) for d, k, v in zip(r.dgp, r.n, r.est,
                                                                       strict=True)})
    return _NSIM[key][1][(dgp, int(n))]


def _get(frame, **sel):
    rows = frame
    for k, v in sel.items():
        rows = rows[rows[k] == v]
    if len(rows) != 1:
        raise ValueError(f"expected one row for {sel}, found {len(rows)}")
    return rows.iloc[0]


def _mr(paired: pd.DataFrame, method: str = "gan") -> pd.DataFrame:
    mr = paired[(paired.method == method) & (paired.stat == "mseratio")
                & paired.quantity.isin(FUNCTIONALS)].copy()
    mr["word"] = [ratio_word(r, m) for r, m in zip(mr.est, mr.mcse, strict=True)]
    mr["z"] = np.log(mr.est) / (mr.mcse / mr.est)
    return mr


def _results_floor_fits(summary: pd.DataFrame):
    """Floor fits of mean KS on results/rates (m = 10,000), free c and c = 1/2; the bootstrap
    (≈ F_n) and the oracle (flat) are left out."""
    from gansim.summary import convergence as rates
    s = summary[summary.method.isin(["ecdf", "smoothed", "parametric", "gan"])]
    return rates.floor_fits(s, "ks"), rates.floor_fits(s, "ks", c=0.5)


# --------------------------------------------------------------------------------------------
# tables.md


def tables(summary, paired, slopes, run) -> str:
    """``tables.md``: the study's own table function on the committed frames."""
    from gansim.studies.rates import _tables

    labels = [m["label"] for m in run["settings"]["methods"]]
    md, _ = _tables(summary, paired, slopes, run["exact_ks_slopes"], labels,
                    run["settings"]["m"], "gan")
    return md


# --------------------------------------------------------------------------------------------
# answers.md


def rates_answers(summary: pd.DataFrame, paired: pd.DataFrame, slopes: pd.DataFrame,
                  exact: dict, *, gan: str = "gan", fits=None) -> str:
    """Markdown: every table behind the answers of ``results/rates`` (``answers.md``), with
    the words of the stated rules; the study writes it and ``python -m gansim report``
    renders it from the committed files.

    ``summary`` is :func:`gansim.summary.simsum.summarise` by ``dgp, n``; ``paired`` the paired
    stats of ``gan`` against each reference method (column ``ref``); ``slopes`` and
    ``exact`` as in ``slopes.csv`` and ``run.json``; ``fits``, optionally, the floor fits
    of :func:`_results_floor_fits` (computed when not given)."""
    L = ["# results/rates: the tables behind the answers", "", RULES_TEXT, "",
         "Questions 2 and 4 are taken further in `../rates_floor/` (more draws per method, two "
         "training budgets, a variance-corrected smoothed bootstrap); its Q4 counts use the "
         "same rule as Q4 here.", ""]
    ns = sorted(summary.n.unique())
    # Q1 -------------------------------------------------------------------------------------
    L += ["## 1. Is sup|F_n − F| ≥ sup|F*_n − F|?", "",
          f"Share of replications with KS({gan}) < KS(ref), exact 95% interval, the majority "
          f"word, and the mean paired difference KS({gan}) − KS(ref) with its word:", ""]
    refs = [r for r in ("ecdf", "smoothed", "parametric") if r in set(paired.ref)]
    verdicts = {}
    for ref in refs:
        q = paired[(paired.ref == ref) & (paired.method == gan) & (paired.quantity == "ks")]
        rows = []
        for r in q[q.stat == "less"].itertuples():
            B = _nsim(summary, r.dgp, r.n, gan)
            cell, word, _ = share_cell(r.est, B)
            d = _get(q, dgp=r.dgp, n=r.n, stat="diff")
            dword = rules.compare(d.est, d.mcse, higher=f"{gan} farther",
                                  lower=f"{gan} closer").word
            verdicts.setdefault(ref, []).append(word)
            rows.append({"dgp": r.dgp, "n": r.n, "share": cell, "in": word,
                         "difference": pm(d.est, d.mcse, 4), "difference says": dword})
        L += [f"Against `{ref}`:", "", md_table(pd.DataFrame(rows), align="lrrlrl"), ""]
    for ref, words in verdicts.items():
        L.append(f"- vs `{ref}`: the GAN closer in *most* replications in "
                 f"{count(words.count('most'), len(words), 'conditions')}, in *fewer than "
                 f"half* in {words.count('fewer than half')}, not resolved in "
                 f"{words.count('about half (not resolved)')}.")
    L.append("")
    # Q2 -------------------------------------------------------------------------------------
    ks = slopes[slopes.distance == "ks"]
    L += ["## 2. How fast does F*_n converge?", "",
          "Fitted slope of log KS on log n (95% CI; OLS, cluster-robust by replication):", ""]
    rows = []
    for (rng, dgp), g in ks.groupby(["n_range", "dgp"], sort=False):
        rows.append({"n range": rng, "dgp": dgp,
                     **{r.method: f"{num(r.slope)} {ci(r.ci_low, r.ci_high)}"
                        for r in g.itertuples()}})
    L += [md_table(pd.DataFrame(rows), align="ll" + "r" * (len(rows[0]) - 2)), "",
          "Exact slope of F_n's KS from Kolmogorov's distribution (kstwo, weighted by B per n): "
          + ", ".join(f"{k} = {num(v, 4)}" for k, v in exact.items()) + ".", ""]
    e = ks[(ks.method == "ecdf") & (ks.n_range == "all")]
    ok = [(r.dgp, r.ci_low <= exact["mean_of_log"] <= r.ci_high) for r in e.itertuples()]
    L += [f"Check of the machinery (F_n's KS slope, n = {ns[0]}…{ns[-1]}, CI contains the "
          f"exact {num(exact['mean_of_log'], 4)}): "
          + ", ".join(f"{d}: {'yes' if y else 'NO'}" for d, y in ok) + ".", ""]
    if fits is None:
        fits = _results_floor_fits(summary)
    free, half = fits
    tab, _ = floor_table(free, c_bound=_c_bound())
    half = half.set_index(["dgp", "method"]) if not half.empty else half
    L += ["A straight line on log-log axes has no floor. Mean KS = a + b·n^−c, weighted "
          "nonlinear least squares on the condition means with their MCSEs, profile-likelihood "
          "95% intervals (`gansim.summary.convergence.floor_fits`); the search for c runs over "
          f"[{num(_c_bound(), 3)}, 5]. Reading: a lower end of c on the search bound makes the "
          "interval an upper bound only; an interval of a reaching below 0 (a mean distance is "
          "≥ 0) bounds the floor from above only; F_n's c is known (½), and where its interval "
          "excludes ½ that DGP's fits are not trusted.", "", tab, "",
          "The same fits with c fixed at ½ (a and its SE, χ² with one more df):", ""]
    rows = [{"dgp": d, "method": m, "a at c = ½": pm(h.a, h.se_a, 4),
             "χ² (df)": f"{num(h.chi2, 1)} ({h.df})"} for (d, m), h in half.iterrows()]
    L += [md_table(pd.DataFrame(rows), align="llrr") if rows else "No fit.", ""]
    # Q3 -------------------------------------------------------------------------------------
    L += ["## 3. Properties of T(F*_n)", "",
          f"Bias and empirical SE of T({gan}) and T(ecdf), and the relative % precision of "
          f"T({gan}) over T(ecdf) (positive: the GAN's EmpSE is smaller):", ""]
    s = summary.set_index(["dgp", "n", "method", "quantity", "stat"])
    p = paired[paired.method == gan].set_index(["dgp", "n", "ref", "quantity", "stat"])
    rows = []
    for dgp in pd.unique(summary.dgp):
        for n in (ns[0], ns[len(ns) // 2], ns[-1]):
            for q in FUNCTIONALS:
                c = [s.loc[(dgp, n, m, q, meas)] for m, meas in
                     ((gan, "bias"), ("ecdf", "bias"), (gan, "empse"), ("ecdf", "empse"))]
                rp = p.loc[(dgp, n, "ecdf", q, "relprec")]
                rows.append({"dgp": dgp, "n": n, "T": q, "bias gan": pm(c[0].est, c[0].mcse),
                             "bias ecdf": pm(c[1].est, c[1].mcse),
                             "EmpSE gan": pm(c[2].est, c[2].mcse),
                             "EmpSE ecdf": pm(c[3].est, c[3].mcse),
                             "relprec gan vs ecdf": pm(rp.est, rp.mcse, 1)})
    L += [md_table(pd.DataFrame(rows), align="lrl" + "r" * 5), ""]
    rp = paired[(paired.ref == "ecdf") & (paired.method == gan) & (paired.quantity == "mean")
                & (paired.stat == "relprec")]
    rows, words = [], []
    for r in rp.itertuples():
        w = rules.compare_relprec(r.est, r.mcse, higher="smaller EmpSE",
                                  lower="larger EmpSE").word
        words.append(w)
        rows.append({"dgp": r.dgp, "n": r.n, "relprec %": pm(r.est, r.mcse, 1),
                     "the GAN's mean has": w})
    L += ["The GAN's mean against x̄ (relative % precision, paired):", "",
          md_table(pd.DataFrame(rows), align="lrrl"), "",
          f"Smaller EmpSE than x̄ in {count(words.count('smaller EmpSE'), len(words))} "
          f"conditions, larger in {words.count('larger EmpSE')}, not resolved in "
          f"{words.count('not resolved at this B')}.", ""]
    b = summary[(summary.method == "smoothed") & (summary.quantity == "sd")
                & (summary.stat == "bias")]
    rows = [{"dgp": dgp, **{f"n = {r.n}": f"{signed(r.est)} ({num(r.mcse)})"
                            for r in g.sort_values("n").itertuples()}}
            for dgp, g in b.groupby("dgp", sort=False)]
    L += ["The smoothed bootstrap's sd bias (its draws have variance σ̂² + h²):", "",
          md_table(pd.DataFrame(rows), align="l" + "r" * len(ns)), ""]
    # Q4 -------------------------------------------------------------------------------------
    mr = _mr(paired, gan)
    L += ["## 4. Does it outperform the bootstrap and its competitors?", "",
          f"MSE({gan}) / MSE(ref) over the condition × functional cells, judged on the log "
          f"scale (log ratio against {_K} of its MCSEs); chance: the count per side that ratios "
          "all equal to 1 would give; family level: beyond the Bonferroni z for the cells of "
          "one reference.", ""]
    rows = []
    for ref, g in mr.groupby("ref", sort=False):
        ch = ratio_chance(len(g))
        zb = family_z(len(g))
        rows.append({"ref": ref, "cells": len(g),
                     "smaller": int((g.word == "smaller").sum()),
                     "larger": int((g.word == "larger").sum()),
                     "chance per side": f"{num(ch.expected, 1)} ({ch.lo}–{ch.hi})",
                     f"smaller, family (z = {num(zb, 2)})": int((g.z < -zb).sum()),
                     "larger, family": int((g.z > zb).sum()),
                     "median ratio": num(g.est.median(), 2)})
    L += [md_table(pd.DataFrame(rows), align="lrrrrrrr"), ""]
    w = summary[(summary.stat == "mse") & summary.quantity.isin(FUNCTIONALS)].pivot_table(
        index=["dgp", "n", "quantity"], columns="method", values="est")
    if {"bootstrap", "ecdf"} <= set(w.columns):
        ratio = w["bootstrap"] / w["ecdf"]
        qs = ratio.quantile([0.25, 0.5, 0.75])
        L += [f"MSE(bootstrap) / MSE(ecdf) over the {len(ratio)} cells: median "
              f"{num(qs[0.5])}, quartiles {num(qs[0.25])} and {num(qs[0.75])}, range "
              f"{num(ratio.min())}–{num(ratio.max())} (the bootstrap's T is T(F_n) plus the "
              "noise of m draws).", ""]
    wins = mr[mr.word == "smaller"]
    rank = lambda c: wins[c].map({k: i for i, k in enumerate(pd.unique(mr[c]))})  # noqa: E731
    wins = wins.assign(_d=rank("dgp"), _r=rank("ref"), _q=rank("quantity")) \
        .sort_values(["_d", "n", "_r", "_q"], kind="stable")
    L += [f"Cells where MSE({gan}) is smaller by the rule:", ""]
    L += [f"- vs {r.ref}: {r.dgp}, n = {r.n}, {r.quantity}: ratio {pm(r.est, r.mcse)}"
          for r in wins.itertuples()] or ["- none"]
    return wrap("\n".join(L) + "\n")


def _c_bound() -> float:
    from gansim.summary import convergence as rates
    return float(rates._C_GRID[0])


# --------------------------------------------------------------------------------------------
# README.md


def _design(run: dict, study: dict, summary: pd.DataFrame) -> dict:
    conds = pd.DataFrame(run["conditions"])
    settings = run["settings"]
    gan_cfg = next(m for m in settings["methods"] if m["method"] == "gan")["config"]
    B_by_n = conds.groupby("n")["B"].agg(lambda b: sorted(set(b)))
    return {"dgps": list(pd.unique(conds.dgp)), "ns": sorted(conds.n.unique()),
            "B_by_n": {int(n): b[0] if len(b) == 1 else b for n, b in B_by_n.items()},
            "total": int(conds.B.sum()), "m": settings["m"], "gan": gan_cfg,
            "block": settings["block_size"], "device": settings["device"],
            "engine": settings.get("engines", {}).get("gan", "?"),
            "labels": [m["label"] for m in settings["methods"]],
            "reprs": {v["condition"]["dgp"]: v["dgp"] for v in study["settings"].values()},
            "failed": len(run.get("failed", [])),
            "warned": int(conds.get("n_warned", pd.Series([0])).sum()),
            "errors": int(conds.get("n_error", pd.Series([0])).sum())}


def _b_text(B_by_n: dict) -> str:
    groups: dict = {}
    for n, b in B_by_n.items():
        groups.setdefault(b, []).append(n)
    parts = []
    for b, ns in groups.items():
        where = f"n ≤ {max(ns)}" if ns == sorted(B_by_n)[:len(ns)] and len(ns) > 1 else \
            f"n = {', '.join(map(str, ns))}"
        parts.append(f"{num(b, 0)} at {where}")
    return ", ".join(parts)


def readme(d: dict, free: pd.DataFrame, half: pd.DataFrame) -> str:
    """The text of ``results/rates/README.md`` from the loaded files ``d`` and the floor
    fits (free c, c = ½) of :func:`_results_floor_fits`."""
    summary, paired, slopes, run, study = (d[k] for k in ("summary", "paired", "slopes",
                                                            "run", "study"))
    des = _design(run, study, summary)
    ns, n0, n1 = des["ns"], des["ns"][0], des["ns"][-1]
    mean = summary[summary.stat == "mean"]

    def sv(method, quantity, stat, dgp, n):
        return _get(summary, method=method, quantity=quantity, stat=stat, dgp=dgp, n=n)

    def pv(ref, quantity, stat, dgp, n, method="gan"):
        return _get(paired, method=method, ref=ref, quantity=quantity, stat=stat, dgp=dgp, n=n)

    L = ["# results/rates — the GAN against F_n, the bootstrap and smoothed estimators", "",
         "The study is `gansim/studies/rates.py` (`python -m gansim rates`). It asks the proof "
         "of concept's four questions across sample sizes and distributions: is the GAN's "
         "estimate F*_n closer to F than the empirical cdf F_n, how fast does it converge, what "
         "are the properties of T(F*_n), and does it beat the bootstrap.", "",
         "## What was run", "", provenance(run, B_key="_none_"),
         f"Machine: {run['machine']['cores']}-core {run['machine']['cpu']} (CPU only); the "
         "wall time is not a benchmark (the cores were not reserved).", "",
         f"**Design.** {len(des['dgps'])} DGPs (`gansim.study.dgp` defaults: "
         + ", ".join(f"`{g}` = `{des['reprs'].get(g, g)}`" for g in des["dgps"])
         + f") × n ∈ {{{', '.join(map(str, ns))}}}: {len(des['dgps']) * len(ns)} conditions. "
         f"B = {_b_text(des['B_by_n'])} ({num(des['total'], 0)} replications; "
         f"{des['failed']} failed, {des['warned']} warned). In each replication the n data "
         "points are drawn once and every method sees them (paired comparisons). Methods "
         "(`gansim.study.methods`): " + "; ".join(f"`{m}`, {METHODS.get(m, m)}"
                                            for m in des["labels"])
         + ". The GAN is "
         f"`GANConfig(standardize={des['gan']['standardize']})`: "
         f"{num(des['gan']['steps'], 0)} steps, hidden widths "
         f"{des['gan']['g_hidden']}, {des['gan']['dtype']} training on standardised data "
         f"(engine `{des['engine']}`; `../rates_standardize/` compares raw and standardised "
         f"training). m = {num(des['m'], 0)} draws per method and "
         "replication; every functional (mean, median, sd, q0.1, q0.9) and distance "
         "(Kolmogorov–Smirnov, Wasserstein-1, Cramér–von Mises ω², all exact) is computed on "
         f"each method's sample. Block size {des['block']}, device `{des['device']}`; "
         "`study.json` declares B and every setting per condition.", ""]
    L += ["**Files.**", "", md_table(pd.DataFrame([
        ("`replications.parquet`, `replications.csv.gz`", "one row per condition × "
         "replication × method × quantity (`StudyResult.tidy`), with the GAN's diagnostics"),
        ("`summary.csv`", "`gansim.summarise` by dgp and n: `dgp, n, method, quantity, stat, "
         "est, mcse`"),
        ("`paired.csv`", "the GAN against each competitor `ref`: `diff, less, relprec, "
         "varratio, mseratio` with paired MCSEs"),
        ("`slopes.csv`", "fitted slopes of log distance on log n, n ranges "
         + ", ".join(f"`{r}`" for r in pd.unique(slopes.n_range))),
        ("`tables.md`, `tables.tex`", "every table of the study, value (MCSE)"),
        ("`answers.md`", "every table behind the answers below, with the rules' words"),
        ("`ks.png`, `w1.png`, `cvm.png`, `slopes.png`", "mean distance vs n (±2 MCSE); "
         "fitted KS slopes"),
        ("`run.json`, `study.json`", "the run record and the study's declaration"),
    ], columns=["file", "what"]), align="ll"), "", RULES_TEXT, ""]

    # Machinery check.
    exact = run["exact_ks_slopes"]
    e = slopes[(slopes.distance == "ks") & (slopes.method == "ecdf") & (slopes.n_range == "all")]
    inside = [(r.dgp, r.ci_low <= exact["mean_of_log"] <= r.ci_high) for r in e.itertuples()]
    L += ["## Check of the machinery", "",
          "F_n's fitted KS slope (log KS on log n, OLS with cluster-robust SEs) is "
          + ", ".join(f"{num(r.slope)} {ci(r.ci_low, r.ci_high)} ({r.dgp})"
                      for r in e.itertuples())
          + f"; the exact finite-n slope from Kolmogorov's distribution, weighted by B per n as "
          f"the OLS is, is {num(exact['mean_of_log'], 4)}, inside "
          f"{sum(y for _, y in inside)} of {len(inside)} intervals. KS is distribution-free "
          "for F_n, so the DGPs are independent checks.", ""]

    # Q1.
    L += ["## Answers", "", "**1. Is sup|F_n − F| ≥ sup|F*_n − F| — is the GAN closer to the "
          "truth than F_n?**"]
    q1 = []
    verdict = {}
    for dgp in des["dgps"]:
        a, b = (pv("ecdf", "ks", "less", dgp, n) for n in (n0, n1))
        ca, wa, _ = share_cell(a.est, _nsim(summary, dgp, n0))
        cb, wb, _ = share_cell(b.est, _nsim(summary, dgp, n1))
        g = paired[(paired.method == "gan") & (paired.ref == "ecdf") & (paired.quantity == "ks")
                   & (paired.stat == "diff") & (paired.dgp == dgp)].sort_values("n")
        tw, (sl, lo, hi) = trend_of(g, falls="falls as n grows", rises="rises as n grows")
        q1.append(f"{dgp}: closer in {ca} at n = {n0} (*{wa}*) and "
                  f"{cb} at n = {n1} (*{wb}*); the mean paired difference KS(GAN) − KS(F_n) "
                  f"{tw} (slope on log n {signed(sl, 4)} {ci(lo, hi, 4)})")
        for n in ns:
            r = pv("ecdf", "ks", "less", dgp, n)
            verdict[(dgp, n)] = share_cell(r.est, _nsim(summary, dgp, n))[1]
    shares = paired[(paired.method == "gan") & (paired.ref == "ecdf") & (paired.quantity == "ks")
                    & (paired.stat == "less")]
    words = list(verdict.values())
    L += ["The share of replications in which the GAN is closer (KS), exact 95% interval:", ""]
    L += [f"- {t}." for t in q1]
    L += ["", f"Over the {len(words)} conditions the GAN is closer in *most* replications in "
          f"{words.count('most')} (" + ", ".join(f"{k[0]} n = {k[1]}" for k, v in
                                                    verdict.items() if v == "most")
          + f"), in *fewer than half* in {words.count('fewer than half')}, not resolved in "
          f"{words.count('about half (not resolved)')}; the share is below 1 in "
          f"{int((shares.est < 1).sum())} of {len(shares)}, so the inequality holds in no "
          "condition for all data sets. Against the smoothed bootstrap and N(x̄, s²) the GAN is "
          "closer in *fewer than half* of the replications in "
          + " and ".join(
              f"{sum(share_cell(r.est, _nsim(summary, r.dgp, r.n))[1] == 'fewer than half' for r in paired[(paired.method == 'gan') & (paired.ref == ref) & (paired.quantity == 'ks') & (paired.stat == 'less')].itertuples())} "  # noqa: E501
              f"of {len(shares)} conditions ({ref})" for ref in ("smoothed", "parametric"))
          + " (`answers.md`, Q1).", ""]

    # Q2.
    ks = slopes[(slopes.distance == "ks") & (slopes.method == "gan")]
    allr, large = ks[ks.n_range == "all"], ks[ks.n_range != "all"]
    oracle = mean[(mean.method == "oracle") & (mean.quantity == "ks")]
    kst = ks_floor(int(des["m"]))
    gn = sv("gan", "ks", "mean", des["dgps"][0], n1)
    tab, fits = floor_table(free, c_bound=_c_bound())
    fits = fits.set_index(["dgp", "method"])
    half = half.set_index(["dgp", "method"])
    g0 = fits.loc[(des["dgps"][0], "gan")]
    h0 = half.loc[(des["dgps"][0], "gan")]
    untrusted = sorted(set(fits[~fits.trusted].index.get_level_values(0)))
    L += ["**2. How fast does F*_n converge: sup|F*_n − F| = O(?)** The GAN's fitted log-log "
          f"KS slopes, n = {n0}…{n1}, are "
          + ", ".join(f"{num(r.slope)} {ci(r.ci_low, r.ci_high)} ({r.dgp})"
                      for r in allr.itertuples())
          + f"; on {large.n_range.iloc[0].replace('>=', ' ≥ ')} "
          + ", ".join(f"{num(r.slope)} ({r.dgp})" for r in large.itertuples())
          + ". A straight line on log-log axes has no floor, and two floors are in these data. "
          f"(i) The measurement: each sampling method is measured through m = "
          f"{num(des['m'], 0)} draws, whose own KS has mean {num(kst, 5)} (kstwo(m); the "
          f"oracle's mean KS is {num_range(oracle.est, 4)}); at n = {n1} that is "
          f"{pct(kst / gn.est, 0)} of the GAN's mean KS for {des['dgps'][0]} "
          f"({pm(gn.est, gn.mcse, 4)}). (ii) A limit: fitting mean KS = a + b·n^−c "
          "(`answers.md`, Q2), the GAN's "
          f"{des['dgps'][0]} means give c = {num(g0.c, 2)} {ci(g0.c_low, g0.c_high, 2)} "
          f"(½ {'inside' if g0.c_low <= 0.5 <= g0.c_high else 'outside'} the interval; "
          f"with c fixed at ½, χ²({h0.df}) = {num(h0.chi2, 1)} and a = {pm(h0.a, h0.se_a, 4)}, "
          f"whose difference from the m-draw floor, {signed(h0.a - kst, 4)}, is "
          f"*{rules.compare(h0.a - kst, h0.se_a).word}*). For "
          + ", ".join(f"{dg} a = {num(fits.loc[(dg, 'gan')].a, 3)} "
                      f"{ci(fits.loc[(dg, 'gan')].a_low, fits.loc[(dg, 'gan')].a_high, 3)}"
                      for dg in des["dgps"][1:])
          + (" — intervals that all exclude the m-draw floor: with the network and its "
             "training fixed for every n, the GAN's mean KS levels off above that floor "
             "instead of converging to F at a rate. "
             if all(fits.loc[(dg, "gan")].a_low > kst for dg in des["dgps"][1:]) else
             " — not all of these intervals exclude the m-draw floor. ")
          + (f"F_n's own fitted c excludes ½ for {', '.join(untrusted)}: those fits are not "
             "trusted. " if untrusted else
             "F_n's own fitted c contains ½ for every DGP (the fits pass that check). ")
          + "`../rates_floor/` asks the same questions with more draws per estimator, a "
          "larger training budget and two more DGPs.", ""]

    # Q3.
    mean_bias = {dg: sv("gan", "mean", "bias", dg, n0) for dg in des["dgps"]}
    rp = paired[(paired.ref == "ecdf") & (paired.method == "gan") & (paired.quantity == "mean")
                & (paired.stat == "relprec")]
    rpw = [rules.compare_relprec(r.est, r.mcse, higher="smaller", lower="larger").word
           for r in rp.itertuples()]
    sdl = []
    for dg in des["dgps"]:
        g = summary[(summary.method == "gan") & (summary.quantity == "sd")
                    & (summary.stat == "bias") & (summary.dgp == dg)].sort_values("n")
        b1 = g.iloc[-1]
        w1 = rules.compare(b1.est, b1.mcse, higher="above 0", lower="below 0").word
        tw, _ = trend_of(g, falls="falls as n grows", rises="rises (towards 0) as n grows"
                         if b1.est < 0 else "rises as n grows")
        sdl.append(f"{dg} {pm(g.iloc[0].est, g.iloc[0].mcse)} at n = {n0}, "
                   f"{pm(b1.est, b1.mcse)} at n = {n1} (*{w1}*; the bias {tw})")
    L += ["**3. Can F*_n be used for inference — properties of T(F*_n)?** "
          f"Bias of the GAN's mean at n = {n0}: "
          + ", ".join(f"{pm(b.est, b.mcse)} ({dg}; *"
                      + rules.compare(b.est, b.mcse, higher="above 0", lower="below 0").word
                      + "*)" for dg, b in mean_bias.items())
          + f". Its EmpSE against x̄ (relative precision, paired) is *smaller* in "
          f"{rpw.count('smaller')}, *larger* in {rpw.count('larger')} and not resolved in "
          f"{rpw.count('not resolved at this B')} of {len(rpw)} conditions. The sd is biased: "
          + "; ".join(sdl) + ". Tail quantiles, median and the comparison with T(F_n) cell by "
          "cell are in `answers.md` (Q3). Coverage of intervals was not studied here.", ""]

    # Q4.
    mr = _mr(paired)
    cnt = []
    for ref, g in mr.groupby("ref", sort=False):
        cnt.append(f"{ref} {int((g.word == 'smaller').sum())} smaller / "
                   f"{int((g.word == 'larger').sum())} larger (median ratio "
                   f"{num(g.est.median(), 2)})")
    cells = int(mr.groupby("ref").size().iloc[0])
    ch = ratio_chance(cells)
    w = summary[(summary.stat == "mse") & summary.quantity.isin(FUNCTIONALS)].pivot_table(
        index=["dgp", "n", "quantity"], columns="method", values="est")
    bq = (w["bootstrap"] / w["ecdf"]).quantile([0.25, 0.5, 0.75])
    wins = mr[(mr.ref == "bootstrap") & (mr.word == "smaller")]
    where = ", ".join(f"{dg} {q} (n = {', '.join(map(str, sorted(g.n)))})"
                      for (dg, q), g in wins.groupby(["dgp", "quantity"], sort=False))
    L += ["**4. Can it outperform standard methods like the bootstrap?** MSE(GAN)/MSE(ref) "
          f"over {cells} condition × functional cells per reference, on the log scale: "
          + "; ".join(cnt) + f". If every ratio were 1, {ch.sentence()} per side. Cells "
          f"where the GAN's MSE is smaller than the bootstrap's: {where or 'none'}. The "
          "bootstrap here is T of m draws from F_n, so it tracks F_n: MSE(bootstrap)/MSE(F_n) "
          f"has median {num(bq[0.5])} (quartiles {num(bq[0.25])}, {num(bq[0.75])}); bootstrap "
          "*inference* (intervals, standard errors) is not tested here. Every cell is listed in "
          "`answers.md` (Q4); `../rates_floor/` repeats the comparison against a "
          "variance-corrected smoothed bootstrap.", ""]

    L += ["## Limits of the design", "",
          f"- One GAN recipe ({num(des['gan']['steps'], 0)} steps, widths "
          f"{des['gan']['g_hidden']}) for every n; the recipe was tuned in `../recipe/` and "
          "the competitors were not tuned. A GAN whose size or training "
          "grows with n may behave differently.",
          f"- Every sampling method is measured through m = {num(des['m'], 0)} draws, whose "
          f"KS floor ({num(kst, 4)}) is not small against the GAN's KS at large n (Q2).",
          "- The smoothed bootstrap has no variance correction and a density bandwidth "
          "(∝ n^−1/5), not one for the cdf.",
          "- `../rates_standardize/` chose the standardised GAN on data that are also "
          "reported here (its replications are replications of this study, same seed and "
          "condition, checked value by value in `../rates_floor/cross_checks.md`).",
          f"- B differs by n; the t DGP (`{des['reprs'].get('t', 't')}`) has no fourth moment, "
          "so the MCSEs of its sd's MSE and EmpSE are unreliable.", ""]
    return "\n".join(L)


def wrap(text: str, width: int = 95) -> str:
    """Markdown with its paragraphs and list items wrapped at ``width`` (tables, headings,
    code blocks and blank lines as they are)."""
    import textwrap

    out, code = [], False
    for line in text.split("\n"):
        if line.startswith("```"):
            code = not code
        if code or line.startswith(("```", "|", "#")) or len(line) <= width:
            out.append(line)
            continue
        indent = "  " if line.startswith("- ") else ""
        out.extend(textwrap.wrap(line, width, subsequent_indent=indent,
                                 break_long_words=False, break_on_hyphens=False))
    return "\n".join(out)


def render(results: Path) -> dict[str, str]:
    """``rates/README.md``, ``rates/answers.md`` and ``rates/tables.md`` from the committed
    files of ``results/rates``."""
    folder = Path(results) / "rates"
    d = _load(folder)
    fits = _results_floor_fits(d["summary"])
    return {"rates/README.md": wrap(readme(d, *fits)),
            "rates/answers.md": rates_answers(d["summary"], d["paired"], d["slopes"],
                                              d["run"]["exact_ks_slopes"], fits=fits),
            "rates/tables.md": tables(d["summary"], d["paired"], d["slopes"], d["run"])}
