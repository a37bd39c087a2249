"""The report of ``results/rates_floor``: the rates study's questions measured through
many more draws, with the GAN at two training budgets and variance-corrected competitors.

Renders ``rates_floor/README.md``, ``rates_floor/answers.md`` (every table behind the
answers; the study writes the same text through :func:`answers`) and
``rates_floor/cross_checks.md`` (numbers that other results folders quote, recomputed from
their committed files: the replications they share, the discriminator's output at the end
of training in results/losses, the t₃ sd under standardisation in results/rates_standardize)
from the committed files. The words come from :mod:`gansim.summary.rules` and the rates
reports' stated rules in :mod:`gansim.render.rates` (MSE ratios on the log scale, the
family-level z, slopes on log n).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from gansim.render.common import read_csv, read_json, versions_line
from gansim.studies.rates import (
    RULES_TEXT,
    c_bound,
    ci,
    family_z,
    floor_table,
    ks_floor,
    ratio_chance,
    share_cell,
    wrap,
)
from gansim.studies.rates_floor import AGAINST, GANS, answers, mse_ratio_table
from gansim.summary import rules
from gansim.summary.text import count, md_table, num, num_range, pct, pm, signed

__all__ = ["render", "answers", "cross_checks", "GANS", "AGAINST"]



def _reprs(run: dict) -> dict:
    """The DGPs' definitions (their repr, e.g. ``Normal(mean=0.0, sd=1.0)``) from the run's
    settings (``ks_m1e4``'s description names the DGP it measures against)."""
    out = {}
    for dgp, s in run["settings"].items():
        hit = re.search(r"KSFirst\((.*), k=\d+\)", s["functionals"].get("ks_m1e4", ""))
        out[dgp] = hit.group(1) if hit else dgp
    return out


def _m_small(run: dict, m: int) -> int:
    """The draws of the second measurement (``ks_m1e4``'s k), from the run's settings."""
    desc = next(iter(run["settings"].values()))["functionals"].get("ks_m1e4", "")
    hit = re.search(r"k=(\d+)", desc)
    return int(hit.group(1)) if hit else min(m, 10_000)


# --------------------------------------------------------------------------------------------
# cross_checks.md: numbers other results folders quote, from their committed files.


def cross_checks(results: Path) -> str:
    """``cross_checks.md``: shared replications between results folders (checked value by
    value), the discriminator's output at the end of training (results/losses) and the t₃
    sd under standardisation (results/rates_standardize)."""
    res = Path(results)
    L = ["# Checks across results folders", "",
         "Numbers that the READMEs of other results folders quote, recomputed at render time "
         "from those folders' committed files (nothing is trained).", ""]
    # Shared replications.
    L += ["## Shared replications (the same data, checked value by value)", ""]

    def ecdf(path, **sel):
        cols = ["rep", "seed", "condition", "method", "quantity", "estimate", *sel]
        r = read_csv(path, usecols=cols)
        for k, v in sel.items():
            r = r[r[k] == v]
        r = r[(r.method == "ecdf") & r.quantity.isin(["mean", "sd"])]
        return r.set_index(["rep", "quantity"]).estimate.sort_index(), r

    poc, poc_r = ecdf(res / "poc" / "replications.csv.gz")
    for name, path, sel in (("results/recipe, N(0,1)", res / "recipe" / "replications.csv.gz",
                             {"dgp": "N(0,1)"}),
                            ("results/losses", res / "losses" / "replications.csv.gz", {})):
        other, r = ecdf(path, **sel)
        common = other.index.intersection(poc.index)
        same = bool(np.array_equal(other.loc[common].to_numpy(), poc.loc[common].to_numpy()))
        reps = sorted(r.rep.unique())
        L.append(f"- {name}: replications {reps[0]}–{reps[-1]} (seed {int(r.seed.iloc[0])}, "
                 f"condition {int(r.condition.iloc[0])}); x̄ and s "
                 f"{'identical' if same else 'NOT identical'} to results/poc's replications "
                 f"{reps[0]}–{reps[-1]} ({len(common)} values; results/poc: seed "
                 f"{int(poc_r.seed.iloc[0])}, condition {int(poc_r.condition.iloc[0])}, "
                 f"{num(poc_r.rep.nunique(), 0)} replications).")
    rs = read_csv(res / "rates_standardize" / "replications.csv",
                  usecols=["dgp", "n", "rep", "seed", "method", "quantity", "estimate", "truth"])
    rt = pd.read_parquet(res / "rates" / "replications.parquet",
                         columns=["dgp", "n", "rep", "method", "quantity", "estimate"],
                         filters=[("n", "==", 100), ("method", "==", "ecdf")])
    key = ["dgp", "rep", "quantity"]
    a = rs[rs.method == "ecdf"].set_index(key).estimate.sort_index()
    b = rt.set_index(key).estimate.sort_index()
    common = a.index.intersection(b.index)
    same = bool(np.array_equal(a.loc[common].to_numpy(), b.loc[common].to_numpy()))
    L += [f"- results/rates_standardize: {rs.rep.nunique()} replications per DGP at n = "
          f"{int(rs.n.iloc[0])}, seed {int(rs.seed.iloc[0])}; every ecdf quantity "
          f"{'identical' if same else 'NOT identical'} to results/rates' replications "
          f"0–{rs.rep.max()} at n = {int(rs.n.iloc[0])} ({num(len(common), 0)} values).", ""]
    # D at the end of training.
    r = read_csv(res / "losses" / "replications.csv.gz", usecols=["method", "quantity",
                                                                   "estimate"])
    band = 0.003
    rows = []
    for me in pd.unique(r.method):
        for q in ("d_real", "d_fake"):
            v = r[(r.method == me) & (r.quantity == q)].estimate
            if v.empty or v.min() < 0 or v.max() > 1:
                continue  # no probability (e.g. a Wasserstein critic): no 0.5 to compare
            k = int(((v - 0.5).abs() > band).sum())
            lo, hi = rules.share_interval(k, len(v))
            rows.append({"method": me, "quantity": q, "min": num(v.min()), "max": num(v.max()),
                         f"outside 0.5 ± {band}": f"{num(k / len(v))} {ci(lo, hi)} "
                                                  f"({k}/{len(v)})"})
    L += ["## The discriminator at the end of training (results/losses)", "",
          "D's mean output on the data (`d_real`) and on the draws (`d_fake`) per replication; "
          "share of replications outside 0.5 ± 0.003 with its exact 95% interval:", "",
          md_table(pd.DataFrame(rows), align="llrrr"), ""]
    # Standardisation and t3's sd.
    s = read_csv(res / "rates_standardize" / "summary.csv")
    rows = []
    for dgp in pd.unique(s.dgp):
        for me in ("gan_raw", "gan"):
            g = s[(s.dgp == dgp) & (s.method == me) & (s.quantity == "sd")].set_index("stat")
            if g.empty:
                continue
            rows.append({"dgp": dgp, "method": me, "bias of sd": pm(g.loc["bias", "est"],
                                                                   g.loc["bias", "mcse"]),
                         "MSE of sd": pm(g.loc["mse", "est"], g.loc["mse", "mcse"])})
    t = rs[(rs.dgp == "t") & (rs.quantity == "sd")]
    w = t.pivot(index="rep", columns="method", values="estimate")
    truth = float(t.truth.iloc[0])
    e1, e0 = (w["gan"] - truth) ** 2, (w["gan_raw"] - truth) ** 2
    ratio = float(e1.mean() / e0.mean())
    g = e1 / e1.mean() - e0 / e0.mean()
    se_log = float(g.std(ddof=1) / np.sqrt(len(w)))
    word = rules.compare(np.log(ratio), se_log, higher="larger", lower="smaller").word
    z = rules.Z
    L += ["## Standardisation and the sd (results/rates_standardize)", "",
          md_table(pd.DataFrame(rows), align="llrr"), "",
          f"t's sd: MSE(gan)/MSE(gan_raw) = {num(ratio, 2)}, log ratio {num(np.log(ratio), 2)} "
          f"(MCSE {num(se_log, 2)}, paired, delta method), 95% interval for the ratio "
          f"{ci(np.exp(np.log(ratio) - z * se_log), np.exp(np.log(ratio) + z * se_log), 2)}: "
          f"the standardised GAN's MSE is *{word}* ({rules.K_MCSE:g}-MCSE rule on the log "
          "ratio). The t DGP has no fourth moment, so this MCSE is itself unreliable.", ""]
    return "\n".join(L)


# --------------------------------------------------------------------------------------------
# README.md


def _half_width(B: int) -> float:
    lo, hi = rules.share_interval(B // 2, B)
    return (hi - lo) / 2


def _load(folder: Path) -> dict:
    return {"summary": read_csv(folder / "summary.csv"),
            "paired": read_csv(folder / "paired.csv"),
            "floor": read_csv(folder / "floor.csv"),
            "local": read_csv(folder / "local_slopes.csv"),
            "run": read_json(folder / "run.json"),
            "compute": read_json(folder / "run-compute.json")}


def readme(d: dict) -> str:
    """The text of ``results/rates_floor/README.md``."""
    summary, pairs, fl, local, run, comp = (d[k] for k in ("summary", "paired", "floor",
                                                             "local", "run", "compute"))
    settings = next(iter(run["settings"].values()))
    m = int(settings["m"])
    ms = _m_small(run, m)
    conds = pd.DataFrame(run["conditions"])
    dgps, ns = list(pd.unique(conds.dgp)), sorted(conds.n.unique())
    n1 = ns[-1]
    Bs = sorted(set(conds.B))
    cfg = {me["label"]: me.get("config") for me in settings["methods"]}
    small, large = cfg["gan"], cfg["gan_large"]
    kf = ks_floor(m)
    reprs = _reprs(run)
    mean = summary[summary.stat == "mean"]
    ks = mean[mean.quantity == "ks"]
    fits = fl[fl.quantity == "ks"]
    _, fits = floor_table(fits, c_bound=c_bound())
    fk = fits.set_index(["dgp", "method"])
    est = fits[fits.method != "oracle"]
    widths = est.c_high - est.c_low
    at_bound = int(est.c_at_bound.sum())
    loc = local.set_index(["dgp", "method", "n1", "n2"])
    nl0, nl1 = ns[-2], ns[-1]

    def kv(method, dgp, n=n1, q="ks"):
        r = mean[(mean.method == method) & (mean.dgp == dgp) & (mean.n == n)
                 & (mean.quantity == q)]
        return r.iloc[0]

    def pv(method, ref, dgp, n=n1, stat="diff", q="ks"):
        r = pairs[(pairs.method == method) & (pairs.ref == ref) & (pairs.dgp == dgp)
                  & (pairs.n == n) & (pairs.stat == stat) & (pairs.quantity == q)]
        return r.iloc[0]

    def slope_txt(dgp, method, a=nl0, b=nl1):
        r = loc.loc[(dgp, method, a, b)]
        word = rules.trend(r.slope, r.ci_low, r.ci_high, falls="still falling",
                           rises="rising", none="no trend resolved")
        return f"{num(r.slope, 2)} {ci(r.ci_low, r.ci_high, 2)} ({word})"

    # What B resolves.
    rel = (ks[ks.method != "oracle"].mcse / ks[ks.method != "oracle"].est)
    d800 = pairs[(pairs.n == n1) & (pairs.quantity == "ks") & (pairs.stat == "diff")]
    worst = d800.loc[(2 * d800.mcse).idxmax()]

    L = ["# results/rates_floor — the rates study without the m-draw floor", "",
         "The study is `gansim/studies/rates_floor.py` (`python -m gansim rates_floor`). It "
         "asks the questions of `../rates/` again with the measurement floor removed: every "
         f"sampling method is measured through m = {num(m, 0)} draws, the GAN is trained at "
         "two budgets, and the competitors include a variance-corrected smoothed bootstrap "
         "with a bandwidth for the cdf.", "", "## What was run", "",
         f"Command recorded: `{comp.get('command', 'not recorded')}` (the same study as "
         "`python -m gansim rates_floor --n-jobs 1 --no-progress`). Each DGP is one resumable "
         "part whose blocks are kept in `parts/<dgp>/blocks/` (not committed). Two run records:"
         f" `run-compute.json` is the run that computed every replication (seed "
         f"{comp['seed']}, started {comp['started']}, wall time {num(comp['wall_time_s'], 0)} s "
         f"in {comp['n_jobs']} process on a {comp['machine']['cores']}-core "
         f"{comp['machine']['cpu']}, CPU only, cores not reserved, so not a benchmark; per "
         "part " + ", ".join(f"{k} {num(v, 0)} s" for k, v in
                            comp["wall_time_per_part_s"].items())
         + f"); `run.json` is the run that wrote these files from the finished blocks (seed "
         f"{run['seed']}, started {run['started']}, {int(conds.blocks_resumed.sum())} blocks "
         f"resumed, {int(conds.blocks_computed.sum())} computed, wall time "
         f"{num(run['wall_time_s'], 1)} s). Failed replications: {run['failed']}. Versions: "
         f"{versions_line(run)}.", "",
         "## Design", "",
         f"- **Measurement.** m = {num(m, 0)} draws per method and replication. For a "
         "continuous estimate G, |KS(G_m, F) − KS(G, F)| ≤ KS(G_m, G), whose law is kstwo(m) "
         f"whatever G: the draw noise is at most {num(kf, 5)} in mean. The KS of the first "
         f"{num(ms, 0)} of the same draws is kept (`ks_m1e4`), so m is a paired design factor. "
         "The oracle (m draws from F) shows the floor; it is left out for the mixture (its "
         "quantile function is a slow Newton solve), where kstwo(m)'s mean stands in for it.",
         "- **The GAN at two budgets** "
         f"(`GANConfig(standardize={small['standardize']})`, engine "
         f"`{settings['engines']['gan']}`): `gan`, the default recipe (hidden widths "
         f"{small['g_hidden']}, {num(small['steps'], 0)} steps), and `gan_large` (widths "
         f"{large['g_hidden']}, {num(large['steps'], 0)} steps). The recipe was tuned in "
         "`../recipe/` and is not retuned for the larger budget.",
         "- **Competitors, not tuned:** F_n (`ecdf`, exact; the bootstrap's T converges to "
         "T(F_n) as m grows, so it is not run), the smoothed bootstrap of `../rates/` "
         "(`smoothed`: nrd0 bandwidth, draws of variance σ̂² + h²) and the shrunk smoothed "
         "bootstrap with a cdf bandwidth (`smoothed_cdf`: h = 4^(1/3)·σ̂·n^−1/3, draws rescaled "
         "to mean x̄ and variance σ̂²). N(x̄, s²) is not run.",
         "- **DGPs** (`gansim.study.dgp` defaults): " + ", ".join(f"`{g}` = `{reprs.get(g, g)}`"
                                                           for g in dgps)
         + f"; n ∈ {{{', '.join(map(str, ns))}}}; {len(conds)} conditions; B = "
         + "/".join(map(str, Bs)) + f" per condition ({num(int(conds.B.sum()), 0)} "
         "replications).",
         f"- **What B resolves.** The mean KS to a relative MCSE of {pct(rel.min(), 0)}–"
         f"{pct(rel.max(), 0)}; at n = {n1}, 2 × the paired MCSE of a KS difference ranges "
         f"{num_range(2 * d800.mcse)} (largest: {worst.dgp} {worst.method} vs {worst.ref}, "
         f"{num(2 * worst.mcse)}), so differences smaller than that are not resolved; a share "
         f"of {Bs[0]} replications near ½ to an exact 95% interval ± "
         f"{num(_half_width(Bs[0]), 2)}. The exponent c of a "
         f"floor fit on {len(ns)} n is barely identified: its 95% intervals are "
         f"{num_range(widths, 2)} wide, and in {count(at_bound, len(est), 'fits')} (the oracle's "
         "left out) the lower end sits on the search bound "
         f"{num(c_bound(), 3)}, so that interval is only an upper bound on c.", "",
         "**Files.**", "", md_table(pd.DataFrame([
             ("`replications.csv.gz`", "one row per condition × replication × method × "
              "quantity (5 functionals, KS at both m, the GAN's diagnostics)"),
             ("`summary.csv`", "`gansim.summarise` by dgp and n"),
             ("`paired.csv`", "each GAN against `ecdf`, `smoothed`, `smoothed_cdf`, and "
              "`gan_large` against `gan`: diff, less, relprec, mseratio"),
             ("`floor.csv`", "a + b·n^−c per dgp × method, KS at both m"),
             ("`local_slopes.csv`", "slopes of log mean KS between adjacent n"),
             ("`ks.png`, `m.png`", "mean KS vs n (±2 MCSE) with the floor; the same draws at "
              "both m"),
             ("`answers.md`", "every table behind the answers below, with the rules' words"),
             ("`cross_checks.md`", "numbers other results folders quote, from their files"),
             ("`run.json`, `run-compute.json`", "the run records (above)"),
         ], columns=["file", "what"]), align="ll"), "", RULES_TEXT, ""]

    # Measurement.
    both = mean[mean.quantity.isin(["ks", "ks_m1e4"])].pivot_table(
        index=["dgp", "n", "method"], columns="quantity", values="est")
    gap = both["ks_m1e4"] - both["ks"]
    meth = gap.index.get_level_values("method")
    samp, orc = gap[~meth.isin(["oracle", "ecdf"])], gap[meth == "oracle"]
    smallest = ks[ks.method != "oracle"].est.min()
    L += ["## Answers", "",
          f"**The measurement.** Measured through the first {num(ms, 0)} instead of all "
          f"{num(m, 0)} draws, the mean KS of the sampling methods changes by a median "
          f"{num(samp.median(), 4)} (range {num(samp.min(), 4)} to {num(samp.max(), 4)} over "
          f"{len(samp)} method × condition cells); the oracle's by {signed(orc.min(), 4)} to "
          f"{signed(orc.max(), 4)}, to the floor of m = {num(ms, 0)}. At m = {num(m, 0)} the floor "
          f"{num(kf, 5)} is {pct(kf / smallest, 1)} of the smallest mean KS of any estimator "
          f"({num(smallest, 3)}; `m.png`).", ""]

    # Q1.
    rows = []
    for dgp in dgps:
        cells = []
        for gan in GANS:
            r = pv(gan, "ecdf", dgp, stat="less")
            B = int(summary[(summary.dgp == dgp) & (summary.n == n1) & (summary.method == gan)
                            & (summary.quantity == "ks") & (summary.stat == "nsim")].est.iloc[0])
            _, word, k = share_cell(r.est, B)
            lo, hi = rules.share_interval(k, B)
            cells.append(f"{k}/{B} {ci(lo, hi)} (*{word}*)")
        rows.append(f"{dgp} {cells[0]} vs {cells[1]}")
    L += [f"**1. Is the GAN closer to F than F_n?** At n = {n1}, KS(GAN) < KS(F_n) in "
          "(replications, exact 95% interval; `gan` vs `gan_large`): " + "; ".join(rows)
          + ". Every n is in `answers.md` (Q1).", ""]

    # Q2.
    diffs = []
    for dgp in dgps:
        r = pv("gan_large", "gan", dgp)
        w = rules.compare(r.est, r.mcse, higher="farther", lower="closer").word
        diffs.append(f"{pm(r.est, r.mcse, 4)} {dgp} (*{w}*)")
    kss = "; ".join(f"{dgp}: F_n {num(kv('ecdf', dgp).est)}, `gan` {pm(kv('gan', dgp).est, kv('gan', dgp).mcse)}, "  # noqa: E501
                    f"`gan_large` {pm(kv('gan_large', dgp).est, kv('gan_large', dgp).mcse)}"
                    for dgp in dgps)
    ecdf_fit = fk.xs("ecdf", level="method")
    untrusted = list(ecdf_fit[(ecdf_fit.c_low > 0.5) | (ecdf_fit.c_high < 0.5)].index)
    def a_txt(f, d=3):
        # c's estimate on the search bound: a + b n^-c is then (a + b) - b c log n, and a is
        # set by the bound, not by the data; an unbounded interval of a says the same.
        if f.c <= c_bound() + 1e-9 or not (np.isfinite(f.a_low) and np.isfinite(f.a_high)):
            return "a not identified"
        return (f"a ≤ {num(f.a_high, d)}" if f.a_open else
                f"a = {num(f.a, d)} {ci(f.a_low, f.a_high, d)}")

    gl = []
    for dgp in dgps:
        f = fk.loc[(dgp, "gan_large")]
        cpart = (f"c ≤ {num(f.c_high, 2)}" if f.c_at_bound else
                 f"c = {num(f.c, 2)} {ci(f.c_low, f.c_high, 2)}")
        gl.append(f"{dgp} {a_txt(f)}, {cpart}")
    closer = sum("(*closer*)" in x for x in diffs)
    L += ["**2. How fast does F*_n converge?** For a GAN of fixed size and training the "
          f"budget matters: at n = {n1} the larger budget is *closer* to F in "
          f"{count(closer, len(dgps), 'DGPs')}. Paired, KS(gan_large) − KS(gan) at n = {n1}: "
          + ", ".join(diffs) + f". Mean KS at n = {n1}: " + kss + ". Fits of mean KS = "
          "a + b·n^−c for `gan_large` (`answers.md`, Q2; an interval of a or c that the data "
          "bound from one side only is given as a bound): " + "; ".join(gl) + ". F_n's own "
          "fits, whose c is known to be ½, give "
          + ", ".join(f"{dg} {ci(r.c_low, r.c_high, 2)}" for dg, r in ecdf_fit.iterrows())
          + (f"; ½ is outside for {', '.join(untrusted)}, whose fits are not trusted."
             if untrusted else "; each contains ½.")
          + f" With B = {Bs[0]} on {len(ns)} n, these fits do not pin the exponent. The local "
          f"slopes {nl0}→{nl1} (trend rule on the slope's 95% interval) are, for `gan_large`, "
          + ", ".join(f"{dg} {slope_txt(dg, 'gan_large')}" for dg in dgps)
          + "; for `gan`, " + ", ".join(f"{dg} {slope_txt(dg, 'gan')}" for dg in dgps) + ".", ""]
    mg = fk.loc[("mixture", "gan")] if ("mixture", "gan") in fk.index else None
    if mg is not None:
        L += [f"The mixture: `gan`'s floor {a_txt(mg)}, `gan_large`'s "
              f"{a_txt(fk.loc[('mixture', 'gan_large')])}; "
              f"mean KS at n = {n1} {num(kv('gan', 'mixture').est)} and "
              f"{num(kv('gan_large', 'mixture').est)} against F_n's "
              f"{num(kv('ecdf', 'mixture').est)}. Two budgets were run; whether a wider network "
              "or longer training lowers the mixture's KS further was not run, and where the "
              "GAN puts its mass (e.g. between the modes) was not measured.", ""]

    # Q3.
    def bias(method, dgp, q="sd", n=n1):
        r = summary[(summary.method == method) & (summary.dgp == dgp) & (summary.n == n)
                    & (summary.quantity == q) & (summary.stat == "bias")].iloc[0]
        w = rules.compare(r.est, r.mcse, higher="above 0", lower="below 0").word
        return f"{pm(r.est, r.mcse)} (*{w}*)"

    smb = summary[(summary.method == "smoothed") & (summary.dgp == "normal")
                  & (summary.quantity == "sd") & (summary.stat == "bias")]
    rp = pairs[(pairs.dgp == "normal") & (pairs.ref == "ecdf") & (pairs.quantity == "sd")
               & (pairs.stat == "relprec")]
    rpw = {g: [rules.compare_relprec(r.est, r.mcse, higher="smaller", lower="larger").word
               for r in rp[rp.method == g].itertuples()] for g in GANS}
    L += [f"**3. Properties of T(F*_n).** The sd's bias at n = {n1} for t: `gan` "
          f"{bias('gan', 't')}, `gan_large` {bias('gan_large', 't')}, `smoothed_cdf` "
          f"{bias('smoothed_cdf', 't')} (the t DGP, `{reprs.get('t', 't')}`, has no fourth "
          "moment: these MCSEs are rough). At normal: `smoothed_cdf` "
          f"{bias('smoothed_cdf', 'normal')}, while the nrd0 smoothed bootstrap's sd bias is "
          f"{num_range(smb.est)} over n. The EmpSE of the sd against s (relative precision, "
          "paired) at normal: "
          + "; ".join(f"`{g}` smaller in {w.count('smaller')}, larger in {w.count('larger')}, "
                      f"not resolved in {w.count('not resolved at this B')} of {len(w)} n"
                      for g, w in rpw.items())
          + ". Coverage and intervals were not studied here.", ""]

    # Q4.
    mr = mse_ratio_table(pairs)
    cnt = []
    for (method, ref), g in mr.groupby(["method", "ref"], sort=False):
        cnt.append(f"`{method}` vs `{ref}` {int((g.word == 'smaller').sum())} smaller / "
                   f"{int((g.word == 'larger').sum())} larger (median ratio "
                   f"{num(g.est.median(), 2)})")
    cells = int(mr.groupby(["method", "ref"]).size().iloc[0])
    zb = family_z(len(mr))
    win = mr[mr.z < -zb]
    by = win.groupby(["method", "ref"], sort=False).size()
    L += [f"**4. Does it outperform the competitors?** MSE(GAN)/MSE(ref) over {cells} "
          "condition × functional cells per pair, on the log scale: " + "; ".join(cnt)
          + f". If every ratio were 1, {ratio_chance(cells).sentence()} per side. At the "
          f"family level over all {len(mr)} cells (z = {num(zb, 2)}), {len(win)} cells favour "
          "a GAN: " + ", ".join(f"{n} `{a}` vs `{b}`" for (a, b), n in by.items())
          + " (listed in `answers.md`, Q4).", ""]
    L += ["## Limits of the design", "",
          "- Two budgets, fixed for every n; budgets that grow with n (wider networks, more "
          "steps at large n) were not run.",
          f"- B = {Bs[0]} on {len(ns)} n leaves the exponents c barely identified (above); more "
          "n and a larger B at the large n would be needed to pin them.",
          "- Bootstrap inference (intervals, standard errors) and coverage are not studied "
          "here.",
          "- The smoothed bootstraps' bandwidths are rules, not tuned or data-driven; the GAN "
          "recipe was tuned in `../recipe/` only.", ""]
    return "\n".join(L)


def render(results: Path) -> dict[str, str]:
    """``rates_floor/README.md``, ``rates_floor/answers.md`` and
    ``rates_floor/cross_checks.md`` from the committed files."""
    folder = Path(results) / "rates_floor"
    d = _load(folder)
    m = int(next(iter(d["run"]["settings"].values()))["m"])
    return {"rates_floor/README.md": wrap(readme(d)),
            "rates_floor/answers.md": answers(d["summary"], d["paired"], d["floor"],
                                              d["local"], m, m_small=_m_small(d["run"], m)),
            "rates_floor/cross_checks.md": wrap(cross_checks(results))}
