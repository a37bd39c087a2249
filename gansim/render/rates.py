"""The report of ``results/rates``: the GAN against F_n, the bootstrap, the smoothed
bootstrap and the parametric plug-in, n = 25 … 800, four DGPs.

Renders ``rates/README.md``, ``rates/answers.md`` (every table behind the answers) and
``rates/tables.md`` (the study's tables, by :func:`gansim.studies.rates.all_tables`) from
``summary.csv``, ``paired.csv``, ``slopes.csv``, ``run.json`` and ``study.json``; the 15 MB
replication files are not read.

Besides the rules of :mod:`gansim.summary.rules`, three rules serve both rates reports (so
that the same data give the same word in both); all but :func:`wls_slope` live with the
study's own tables in :mod:`gansim.studies.rates`:

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

from pathlib import Path

import numpy as np
import pandas as pd

from gansim.render.common import provenance, read_csv, read_json
from gansim.studies.rates import (
    FUNCTIONALS,
    RULES_TEXT,
    all_tables,
    c_bound,
    ci,
    family_z,
    floor_table,
    ks_floor,
    mse_ratios,
    nsim_of,
    one_row,
    rates_answers,
    ratio_chance,
    ratio_word,
    results_floor_fits,
    share_cell,
    wrap,
)
from gansim.summary import rules
from gansim.summary.text import md_table, num, num_range, pct, pm, signed

__all__ = ["render", "rates_answers", "tables", "ratio_word", "ratio_chance", "family_z",
           "wls_slope", "ks_floor", "share_cell", "floor_table", "FUNCTIONALS"]


#: What each method label of the rates studies is (the estimator it samples from).
METHODS = {"ecdf": "F_n itself, evaluated exactly", "bootstrap": "m draws from F_n",
           "smoothed": "a Gaussian-kernel smoothed bootstrap with the `nrd0` bandwidth "
                       "0.9·min(s, IQR/1.34)·n^−1/5 and no variance correction",
           "smoothed_cdf": "the shrunk smoothed bootstrap with a cdf bandwidth",
           "parametric": "N(x̄, s²)", "gan": "the GAN", "gan_large": "the larger GAN",
           "oracle": "F⁻¹(U) for U uniform, a reference"}


# --------------------------------------------------------------------------------------------
# Stated rules of the rates reports (see the module docstring).


def wls_slope(x, y, se, level: float = 0.95) -> tuple[float, float, float]:
    """``(slope, low, high)`` of :func:`rules.weighted_slope`.

    >>> s, lo, hi = wls_slope([0, 1, 2], [0.0, 1.0, 2.0], [0.1, 0.1, 0.1])
    >>> round(s, 6), round(hi - lo, 3)
    (1.0, 0.277)
    """
    fit = rules.weighted_slope(x, y, se, level=level)
    return fit.slope, fit.lo, fit.hi


def trend_of(g: pd.DataFrame, **words) -> tuple[str, tuple[float, float, float]]:
    """The trend word of ``g.est`` (MCSE ``g.mcse``) on log n, and the fitted slope."""
    fit = wls_slope(np.log(g.n.to_numpy(float)), g.est, g.mcse)
    return rules.trend(*fit, **words), fit


# --------------------------------------------------------------------------------------------
# Data.


def _load(folder: Path) -> dict:
    return {"summary": read_csv(folder / "summary.csv"),
            "paired": read_csv(folder / "paired.csv"),
            "slopes": read_csv(folder / "slopes.csv"),
            "run": read_json(folder / "run.json"),
            "study": read_json(folder / "study.json")}


# --------------------------------------------------------------------------------------------
# tables.md


def tables(summary, paired, slopes, run) -> str:
    """``tables.md``: the study's own table function on the committed frames."""
    labels = [m["label"] for m in run["settings"]["methods"]]
    md, _ = all_tables(summary, paired, slopes, run["exact_ks_slopes"], labels,
                    run["settings"]["m"], "gan")
    return md


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
    fits (free c, c = ½) of :func:`results_floor_fits`."""
    summary, paired, slopes, run, study = (d[k] for k in ("summary", "paired", "slopes",
                                                            "run", "study"))
    des = _design(run, study, summary)
    ns, n0, n1 = des["ns"], des["ns"][0], des["ns"][-1]
    mean = summary[summary.stat == "mean"]

    def sv(method, quantity, stat, dgp, n):
        return one_row(summary, method=method, quantity=quantity, stat=stat, dgp=dgp, n=n)

    def pv(ref, quantity, stat, dgp, n, method="gan"):
        return one_row(paired, method=method, ref=ref, quantity=quantity, stat=stat, dgp=dgp, n=n)

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
        ca, wa, _ = share_cell(a.est, nsim_of(summary, dgp, n0))
        cb, wb, _ = share_cell(b.est, nsim_of(summary, dgp, n1))
        g = paired[(paired.method == "gan") & (paired.ref == "ecdf") & (paired.quantity == "ks")
                   & (paired.stat == "diff") & (paired.dgp == dgp)].sort_values("n")
        tw, (sl, lo, hi) = trend_of(g, falls="falls as n grows", rises="rises as n grows")
        q1.append(f"{dgp}: closer in {ca} at n = {n0} (*{wa}*) and "
                  f"{cb} at n = {n1} (*{wb}*); the mean paired difference KS(GAN) − KS(F_n) "
                  f"{tw} (slope on log n {signed(sl, 4)} {ci(lo, hi, 4)})")
        for n in ns:
            r = pv("ecdf", "ks", "less", dgp, n)
            verdict[(dgp, n)] = share_cell(r.est, nsim_of(summary, dgp, n))[1]
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
              f"{sum(share_cell(r.est, nsim_of(summary, r.dgp, r.n))[1] == 'fewer than half' for r in paired[(paired.method == 'gan') & (paired.ref == ref) & (paired.quantity == 'ks') & (paired.stat == 'less')].itertuples())} "  # noqa: E501
              f"of {len(shares)} conditions ({ref})" for ref in ("smoothed", "parametric"))
          + " (`answers.md`, Q1).", ""]

    # Q2.
    ks = slopes[(slopes.distance == "ks") & (slopes.method == "gan")]
    allr, large = ks[ks.n_range == "all"], ks[ks.n_range != "all"]
    oracle = mean[(mean.method == "oracle") & (mean.quantity == "ks")]
    kst = ks_floor(int(des["m"]))
    gn = sv("gan", "ks", "mean", des["dgps"][0], n1)
    tab, fits = floor_table(free, c_bound=c_bound())
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
    mr = mse_ratios(paired)
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


def render(results: Path) -> dict[str, str]:
    """``rates/README.md``, ``rates/answers.md`` and ``rates/tables.md`` from the committed
    files of ``results/rates``."""
    folder = Path(results) / "rates"
    d = _load(folder)
    fits = results_floor_fits(d["summary"])
    return {"rates/README.md": wrap(readme(d, *fits)),
            "rates/answers.md": rates_answers(d["summary"], d["paired"], d["slopes"],
                                              d["run"]["exact_ks_slopes"], fits=fits),
            "rates/tables.md": tables(d["summary"], d["paired"], d["slopes"], d["run"])}
