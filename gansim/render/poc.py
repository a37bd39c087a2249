"""results/poc: the lecture's proof of concept, rendered from its committed files.

Renders ``poc/README.md``, ``poc/table.md`` (the lecture's table beside this run's, by
:func:`gansim.studies.poc.poc_table`, the study's own) and ``poc/summary.md`` (the
whole summary, :func:`summary_md`) from ``summary.csv``, ``run.json``,
``gan_bootstrap/run.json`` and the needed columns of the replications, and the fragment
``poc-table`` of the top-level README (:func:`fragments`).

Every comparative word comes from :mod:`gansim.summary.rules`; the lecture's own figures
(:data:`gansim.studies.poc.LECTURE`) are a citation, shown as the lecture's and never judged.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from gansim.render.common import provenance, read_csv, read_json, versions_line
from gansim.studies._tables import Summary, ratio_word, word
from gansim.studies.poc import INTERVALS, LECTURE, poc_table, table_header
from gansim.summary import rules
from gansim.summary.text import md_table, num, pm, signed

__all__ = ["FOLDER", "Summary", "render", "fragments", "poc_table", "table_header",
           "summary_md", "summary_digits", "paired_mean", "ratio_word", "word", "share_text",
           "how_to_read", "wrap"]

FOLDER = "poc"
LEVEL = 0.95


# --------------------------------------------------------------------------------------------
# Shared helpers (also used by the losses, recipe and rates_standardize reports).


def _share_count(share: float, nsim: float) -> tuple[int, int]:
    n = int(round(nsim))
    return int(round(share * n)), n


def summary_digits(summary: pd.DataFrame) -> dict:
    """The decimals of ``summary.md`` (as :func:`gansim.summary.tables.write_summary_files`): 6 for
    variances and MSEs, 2 for the percentages, 4 otherwise."""
    return {s: 6 if s in ("var", "mse", "cr_bound") else 2
            if s in ("relerror", "relprec") else 4 for s in summary["stat"]}


def summary_md(summary: pd.DataFrame, *, rows, caption: str, columns: str = "method") -> str:
    """``summary.md`` of a study: the whole summary as a table of ``value (MCSE)`` cells,
    exactly as the study writes it (:func:`gansim.summary.tables.summary_table`)."""
    from gansim.summary import tables
    return tables.summary_table(summary, rows=rows, columns=columns,
                                digits=summary_digits(summary), fmt="md", caption=caption)


def paired_mean(a, b) -> tuple[float, float]:
    """Mean of the paired differences ``a − b`` and its paired MCSE sd(a − b)/√B."""
    d = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    d = d[np.isfinite(d)]
    if d.size < 2:
        return math.nan, math.nan
    return float(d.mean()), float(d.std(ddof=1) / math.sqrt(d.size))


def how_to_read(bands: dict[str, rules.Band], *, shares: bool = True,
                compare_what: str = "two methods on the same data sets") -> str:
    """The "How to read" paragraph: the rules that choose the words, stated once."""
    lines = ["Every figure is a Monte Carlo estimate with its Monte Carlo standard error "
             "(MCSE) in brackets. The words come from stated rules "
             "(`gansim.summary.rules`):", ""]
    if bands:
        text = "; ".join(f"{what}: {band.rule(5 if band.B >= 10_000 else 4)}"
                         for what, band in bands.items())
        lines.append(f"- A coverage is *at nominal* only inside the two-sided band "
                     f"level ± {rules.Z:g}·√(level·(1 − level)/B) ({text}), in which a "
                     f"correct interval's observed coverage falls with probability about "
                     f"0.95; below it is *under*, above it *over*.")
    lines.append(f"- Of {compare_what}, one is *higher* or *lower* only when the paired "
                 f"difference exceeds {rules.K_MCSE:g} paired MCSEs; otherwise the "
                 "difference is *not resolved at this B*. A ratio is compared with 1 the "
                 "same way on the log scale (log ratio against its MCSE, MCSE/ratio; the z "
                 "shown is that one).")
    if shares:
        lines.append("- A share of replications comes with its exact (Clopper–Pearson) 95% "
                     "interval; *most* only when the interval's lower end is above 0.5.")
    return "\n".join(lines)


def share_text(k: int, n: int, what: str = "replications") -> str:
    """``most replications: 9,131 of 10,000 (0.9131, exact 95% interval 0.9074–0.9186)``;
    the word is :func:`gansim.summary.rules.majority`'s."""
    lo, hi = rules.share_interval(k, n)
    word_ = rules.majority(k, n)
    lead = f"most {what}" if word_ == "most" else f"{word_} of the {what}"
    return (f"{lead}: {k:,} of {n:,} ({num(k / n, 4)}, exact 95% interval {num(lo, 4)}–"
            f"{num(hi, 4)})")


def wrap(text: str, width: int = 95) -> str:
    """Wrap each paragraph of ``text`` (blank-line separated) at ``width``; lines that start
    a list item keep their marker and indent the continuation by two spaces. Tables,
    headings and code are left as they are."""
    import textwrap

    out = []
    for block in text.split("\n\n"):
        lines = block.split("\n")
        if any(line.startswith(("|", "#", "```", "    ", "<!--")) for line in lines):
            out.append(block)
            continue
        items, current = [], []
        for line in lines:
            if line.startswith("- ") and current:
                items.append(" ".join(current))
                current = []
            current.append(line.strip() if current else line)
        items.append(" ".join(current))
        wrapped = []
        for item in items:
            if item.startswith("- "):
                wrapped.append(textwrap.fill(item, width, subsequent_indent="  ",
                                             break_on_hyphens=False, break_long_words=False))
            else:
                wrapped.append(textwrap.fill(item, width, break_on_hyphens=False,
                                             break_long_words=False))
        out.append("\n".join(wrapped))
    return "\n\n".join(out)


# --------------------------------------------------------------------------------------------
# Reading the folder.


@dataclass
class _Data:
    run: dict
    boot_run: dict | None
    summary: pd.DataFrame
    g: Summary
    n: int
    m: int
    B: int
    sigma: float
    dgp: str
    paired: dict


def _sigma(dgp: str, g: Summary, n: int) -> float:
    match = re.search(r"\bsd=([0-9.eE+-]+)", dgp)
    if match:
        return float(match.group(1))
    return math.sqrt(g.est("truth", "mean", "cr_bound") * n)


def _covered(frame: pd.DataFrame) -> np.ndarray:
    return ((frame["lower"] <= frame["truth"]) & (frame["truth"] <= frame["upper"])).to_numpy(
        dtype=float)


def _paired_figures(folder: Path, boot: bool) -> dict:
    """Paired differences the summary does not hold, from the replications' mean rows:
    coverage and width of X̄*'s plug-in interval against X̄'s t interval, and of each
    companion interval against X̄'s t interval on the same data sets."""
    cols = ["rep", "method", "quantity", "lower", "upper", "truth", "status"]
    reps = read_csv(folder / "replications.csv.gz", usecols=cols)
    mean = reps[(reps["quantity"] == "mean") & (reps["status"] == "ok")]
    wide = {m: g.set_index("rep").sort_index() for m, g in mean.groupby("method")}
    e, a = wide["ecdf"], wide["gan"]
    common = e.index.intersection(a.index)
    e, a = e.loc[common], a.loc[common]
    out = {("gan", "cover"): paired_mean(_covered(a), _covered(e)),
           ("gan", "width"): paired_mean(a["upper"] - a["lower"], e["upper"] - e["lower"])}
    if boot:
        comp = read_csv(folder / "gan_bootstrap" / "replications.csv.gz", usecols=cols)
        comp = comp[(comp["quantity"] == "mean") & (comp["status"] == "ok")]
        for m, c in comp.groupby("method"):
            c = c.set_index("rep").sort_index().dropna(subset=["lower", "upper"])
            ee = wide["ecdf"].loc[c.index]
            out[(m, "cover")] = paired_mean(_covered(c), _covered(ee))
            out[(m, "width")] = paired_mean(c["upper"] - c["lower"], ee["upper"] - ee["lower"])
    return out


def _read(results: Path) -> _Data:
    folder = Path(results) / FOLDER
    run = read_json(folder / "run.json")
    boot_path = folder / "gan_bootstrap" / "run.json"
    boot_run = read_json(boot_path) if boot_path.is_file() else None
    summary = read_csv(folder / "summary.csv")
    g = Summary(summary)
    s = run["settings"]
    return _Data(run=run, boot_run=boot_run, summary=summary, g=g, n=int(s["n"]),
                 m=int(s["m"]), B=int(run["replications"]),
                 sigma=_sigma(s["dgp"], g, int(s["n"])), dgp=s["dgp"],
                 paired=_paired_figures(folder, boot_run is not None
                                        and g.has("est_wald", "mean", "cover")))


def _table(d: _Data) -> str:
    header = table_header(n=d.n, dgp=d.dgp, m=d.m, seed=d.run["seed"],
                          failed=int(d.run.get("n_failed", 0)))
    return poc_table(d.summary, n=d.n, sigma=d.sigma, level=LEVEL, header=header)


def _summary_md(d: _Data) -> str:
    return summary_md(d.summary, rows=["quantity", "stat"], caption=(
        f"Proof of concept, B = {d.B:,}, n = {d.n}: every stat as value (MCSE), by quantity "
        "and method (truth: reference values)."))


# --------------------------------------------------------------------------------------------
# The README.


def _config_text(config: dict) -> str:
    keys = ("steps", "latent_dim", "g_hidden", "d_hidden", "loss", "lr", "lr_final",
            "ema_decay", "standardize", "noise")
    parts = []
    for k in keys:
        if k in config:
            v = config[k]
            v = tuple(v) if isinstance(v, list) else v
            parts.append(f"{k}={v!r}")
    return "GANConfig(" + ", ".join(parts) + ")"


def _defaults_text(config: dict) -> str:
    """Whether a recorded GAN config is :class:`gansim.GANConfig`'s defaults."""
    import dataclasses

    from gansim.gan.config import GANConfig

    defaults = {f.name: f.default for f in dataclasses.fields(GANConfig)}
    norm = lambda v: tuple(v) if isinstance(v, list) else v  # noqa: E731
    other = [k for k, v in config.items() if k in defaults and norm(v) != norm(defaults[k])]
    return ("the package's defaults" if not other else
            "differs from the package's defaults in " + ", ".join(f"`{k}`" for k in other))


def _cover_sentence(g: Summary, method: str, stat: str, B: int) -> str:
    est, mcse = g(method, "mean", stat)
    return f"{pm(est, mcse, 4)}, {rules.coverage_verdict(est, B, LEVEL)}"


def _key_facts(d: _Data) -> dict:
    """The figures of the lecture's comparison and the rules' words for them."""
    g, B = d.g, d.B
    band = rules.coverage_band(B, LEVEL)
    vr, vr_se = g("gan", "mean", "varratio")
    k, nks = _share_count(g.est("gan", "ks", "less"), g.est("gan", "ks", "nsim"))
    plug, plug_se = g("gan", "mean", "cover")
    return {"band": band, "vr": (vr, vr_se), "vr_word": rules.compare(vr - 1, vr_se).word,
            "ks_diff": g("gan", "ks", "diff"), "ks_less": (k, nks),
            "plug": (plug, plug_se), "plug_word": rules.coverage_verdict(plug, B, LEVEL),
            "plug_z": (plug - LEVEL) / math.sqrt(LEVEL * (1 - LEVEL) / B)}


def _readme(d: _Data) -> str:
    g, B, run = d.g, d.B, d.run
    s = run["settings"]
    gan_cfg = next(m.get("config", {}) for m in s["methods"] if m["label"] == "gan")
    boot = d.boot_run is not None and g.has("est_wald", "mean", "cover")
    B0 = int(g.est("est_wald", "mean", "nsim")) if boot else 0
    f = _key_facts(d)
    band = f["band"]
    band0 = rules.coverage_band(B0, LEVEL) if boot else None
    engine = (s.get("engines") or {}).get("gan", run.get("engine", "?"))
    parts = []
    parts.append(
        "# results/poc — the lecture's proof of concept\n\n"
        f"The proof of concept of the lecture, run with gansim: in each of B = {B:,} "
        f"replications, n = {d.n} points are drawn from {d.dgp}. Method `ecdf` computes the "
        "data's mean X̄, sd and KS distance sup|F_n − Φ|; method `gan` trains a GAN on the "
        f"same n points, draws m = {d.m:,} points from it and computes their mean X̄*, sd* "
        "and KS distance sup|F*_n − Φ|, with the GAN's diagnostics. Both methods see the same "
        "data sets, so every comparison between them is paired. The mean carries the plug-in "
        "interval T ± t(n − 1; 0.975)·s/√n, with s the sd of the data for X̄ and of the GAN's "
        "draws for X̄*.")
    parts.append("## How it was run\n\n```bash\npython -m gansim poc\n```")
    prov = provenance(run)
    parts.append(
        prov + "\n" +
        f"The GAN: `{_config_text(gan_cfg)}` ({_defaults_text(gan_cfg)}), engine `{engine}`"
        + (f" built by {s['compiler']}" if s.get("compiler") else "")
        + f", block size {s.get('block_size')}, device `{s.get('device')}`. "
        + f"Machine: {run.get('machine', {}).get('cores', '?')} cores "
        + f"({run.get('machine', {}).get('cpu', '?')}); the wall time is not a benchmark.")
    if boot:
        from gansim.studies.poc import WARM_STEPS

        R = re.search(r"\bR=(\d+)", " ".join(m.get("function", "") for m in
                                             d.boot_run["settings"]["methods"]))
        parts.append(
            "The same command runs a **GAN-bootstrap companion** (`gan_bootstrap/`) on the "
            f"first {B0:,} data sets of the main study (same seed {d.boot_run['seed']}, "
            "condition and replication streams): on each, `gansim.GANEstimator` fits its own "
            "GAN (with its own seeds, so its X̄* is not the `gan` column's) and forms the "
            "Wald interval X̄* ± z·s*/√n and the GAN-bootstrap percentile and BCa intervals "
            f"(R = {R.group(1) if R else '?'} bootstrap GANs, each warm-started from the "
            f"fitted GAN and trained {WARM_STEPS} steps, `gansim.studies.poc.WARM_STEPS`). "
            f"Wall time {num(d.boot_run['wall_time_s'], 0)} s"
            + (f"; versions {versions_line(d.boot_run)}" if d.boot_run.get("versions") else "")
            + " (`gan_bootstrap/run.json`).")
    bands = {f"B = {B:,}": band}
    if boot:
        bands[f"the companion's B = {B0:,}"] = band0
    parts.append("## How to read it\n\n" + how_to_read(
        bands, compare_what="two figures of the same data sets (X̄* and X̄, two intervals)"))

    # What the data show.
    bias, bias_se = g("gan", "mean", "bias")
    dmean, dmean_se = g("gan", "mean", "diff")
    vr, vr_se = f["vr"]
    rp, rp_se = g("gan", "mean", "relprec")
    var_g, var_g_se = g("gan", "mean", "var")
    cr = g.est("truth", "mean", "cr_bound")
    bullets = []
    bullets.append(
        f"- **Centre.** bias(X̄*) = {pm(bias, bias_se, 4)}: "
        f"{_vs_zero(bias, bias_se)}; X̄* − X̄ = {pm(dmean, dmean_se, 4)} on average "
        f"(paired): {word(dmean, dmean_se)}.")
    bullets.append(
        f"- **Spread.** var(X̄*)/var(X̄) = {pm(vr, vr_se, 3)}, {ratio_word(vr, vr_se)}: "
        f"X̄* is {_less_more(f['vr_word'])} than X̄ (relative precision {signed(rp, 2)}% "
        f"({num(rp_se, 2)})). "
        f"var(X̄*) = {pm(var_g, var_g_se, 5)} against the Cramér–Rao bound σ²/n = "
        f"{num(cr, 5)}: {word(var_g - cr, var_g_se)}.")
    plug, plug_se = f["plug"]
    pc, pc_se = d.paired[("gan", "cover")]
    pw, pw_se = d.paired[("gan", "width")]
    bullets.append(
        f"- **Coverage of the plug-in interval.** X̄*: {pm(plug, plug_se, 4)}, "
        f"*{f['plug_word']}* (z = {signed(f['plug_z'], 2)} against the band's "
        f"{band.rule(5)}); X̄'s t interval: {_cover_sentence(g, 'ecdf', 'cover', B)}. "
        f"Paired, X̄*'s interval minus X̄'s: coverage {signed(pc, 4)} ({num(pc_se, 4)}), "
        f"{word(pc, pc_se)}; mean width {signed(pw, 4)} ({num(pw_se, 4)}), "
        f"{word(pw, pw_se, higher='wider', lower='narrower')}. The width is proportional to "
        f"the sd the interval uses: the GAN's draws have mean sd "
        f"{pm(*g('gan', 'sd', 'mean'), 4)} against the data's "
        f"{pm(*g('ecdf', 'sd', 'mean'), 4)}, paired difference "
        f"{signed(g.est('gan', 'sd', 'diff'), 4)} ({num(g('gan', 'sd', 'diff')[1], 4)}), "
        f"{word(*g('gan', 'sd', 'diff'))}.")
    bullets.append(
        "- **The reference intervals** (not computable from one data set): known σ gives "
        f"{_cover_sentence(g, 'gan', 'ref_cover_known_sigma', B)} for X̄* and "
        f"{_cover_sentence(g, 'ecdf', 'ref_cover_known_sigma', B)} for X̄; calibrated on the "
        f"spread over the replications (about 0.95 by construction), "
        f"{_cover_sentence(g, 'gan', 'ref_cover_mc', B)} and "
        f"{_cover_sentence(g, 'ecdf', 'ref_cover_mc', B)}.")
    if boot:
        items = []
        for m, what in (("est_wald", "Wald"), ("est_percentile", "percentile"),
                        ("est_bca", "BCa")):
            c, c_se = d.paired[(m, "cover")]
            w, w_se = d.paired[(m, "width")]
            items.append(
                f"{what} {_cover_sentence(g, m, 'cover', B0)} (paired against the t interval:"
                f" coverage {signed(c, 3)} ({num(c_se, 3)}), {word(c, c_se)}; width "
                f"{signed(w, 4)} ({num(w_se, 4)}), "
                f"{word(w, w_se, higher='wider', lower='narrower')})")
        bullets.append(
            f"- **The companion's intervals of X̄***, over its {B0:,} data sets (band "
            f"{band0.rule(4)}): " + "; ".join(items) + ". On the same data sets X̄'s t "
            f"interval covers {_cover_sentence(g, 'ecdf_companion_data', 'cover', B0)}.")
    ksd, ksd_se = f["ks_diff"]
    k, nks = f["ks_less"]
    col_k, col_n = _share_count(g.est("gan", "collapsed", "mean"),
                                g.est("gan", "collapsed", "nsim"))
    bullets.append(
        f"- **Distribution.** Mean KS of F*_n {pm(*g('gan', 'ks', 'mean'), 4)} against F_n's "
        f"{pm(*g('ecdf', 'ks', 'mean'), 4)}; paired difference KS* − KS = "
        f"{pm(ksd, ksd_se, 4)}: {word(ksd, ksd_se)}. KS* < KS in {share_text(k, nks)}; "
        f"sup|F*_n − Φ| ≤ sup|F_n − Φ| fails in {nks - k:,}. "
        f"{col_k:,} of {col_n:,} GANs are flagged collapsed.")
    parts.append("## What the data show\n\n" + "\n".join(bullets))
    parts.append(
        "The lecture's own figures are in `table.md` beside this run's, labelled *lecture*: "
        f"var(X̄*)/var(X̄) = {num(_lecture_ratio(), 2)} there. They are a citation; the "
        "lecture gives no MCSEs, so no rule here compares them with this run's. `table.md` "
        "also works out which interval reproduces the lecture's coverage of X̄*.")

    parts.append("## Files\n\n" + md_table(pd.DataFrame(_files(boot), columns=["file", "what"]),
                                           align="ll"))
    parts.append(
        "## Limits\n\n"
        f"- One data-generating process ({d.dgp}) and one n = {d.n}: `results/rates` and "
        "`results/coverage` vary both.\n"
        f"- The companion's intervals rest on {B0:,} data sets: its band is "
        f"{num(band0.hi - band0.lo, 4)} wide, against {num(band.hi - band.lo, 5)} for the "
        f"main study's {B:,}.\n" * boot +
        "- The replications' finished blocks (`blocks/`) are not committed; the command "
        "recomputes them. The GANs' numbers depend on the CPU, the compiler and the library "
        "versions recorded in `run.json`: elsewhere the same command fits other GANs to the "
        "same data sets.\n"
        "- `python -m gansim report poc` renders this README, `table.md` and `summary.md` "
        "from the committed files; it recomputes no replication.")
    return "\n\n".join(wrap(p) for p in parts) + "\n"


def _vs_zero(est: float, mcse: float) -> str:
    c = rules.compare(est, mcse, higher="above 0", lower="below 0")
    text = "not resolved from 0 at this B" if not c.resolved else c.word
    return f"{text} ({num(abs(c.z), 1)} MCSE)"


def _lecture_ratio() -> float:
    return LECTURE["var_xbar_star"] / LECTURE["var_xbar"]


def _files(boot: bool) -> list[tuple[str, str]]:
    rows = [
        ("`table.md`", "the lecture's table beside this run's, each of ours with its MCSE and "
         "the rule's word; rows marked *reference* use the true σ or the spread over "
         "replications"),
        ("`summary.csv`", "every measure as a tidy long table `method, quantity, stat, est, "
         "mcse` (`gansim.summarise` with `ref=\"ecdf\"`; the references an analyst cannot "
         "compute, `ref_cover_known_sigma` and `ref_cover_mc`; method `truth`: `cr_bound`, "
         "`band_low`, `band_high`"
         + ("; the companion's methods `est_wald`, `est_percentile`, `est_bca` and "
            "`ecdf_companion_data`, X̄'s t interval on the companion's data sets)" if boot
            else ")")),
        ("`summary.md`, `summary.tex`", "the whole summary as tables (`gansim.summary_table`), "
         "each value with its MCSE"),
        ("`replications.csv.gz`", "the tidy rows: one per replication × method × quantity "
         "(`mean` with its plug-in interval `lower`, `upper` and `se`; `sd`; `ks`; the GAN's "
         "diagnostics `d_real`, `d_fake`, `value`, `jsd_star`, `collapsed`), with `truth`, "
         "`status`, `error`, `warnings` and the seed material; R's `read.csv` reads it"),
    ]
    if boot:
        rows.append(("`gan_bootstrap/`", "the GAN-bootstrap companion: its tidy rows "
                     "`replications.csv.gz`, `study.json`, `run.json`"))
    rows += [
        ("`mean.png`, `ks.png`", "the lecture's two histograms, with N(μ, σ²/n) and "
         "Kolmogorov's exact density for n"),
        ("`zip.png`, `forest.png`", "zip plot of the plug-in intervals of the mean "
         "(`gansim.summary.plots.zip_plot`); coverage of the mean's intervals with ±1.96 MCSE"),
        ("`study.json`", "the record of the study whose outputs the folder holds: a run with "
         "other settings or fewer replications is refused without `--overwrite`"),
        ("`run.json`", "command, seed, settings, versions, machine, wall time, failures"),
    ]
    return rows


def render(results) -> dict[str, str]:
    """The Markdown files of ``results/poc``, keyed by their path relative to ``results``."""
    d = _read(Path(results))
    return {f"{FOLDER}/README.md": _readme(d), f"{FOLDER}/table.md": _table(d),
            f"{FOLDER}/summary.md": _summary_md(d)}


def fragments(results) -> dict[str, str]:
    """``poc-table`` for the top-level README: the lecture's comparison, what it shows under
    the rules, and a link to results/poc/README.md."""
    d = _read(Path(results))
    g, B = d.g, d.B
    f = _key_facts(d)
    L = LECTURE
    rows = []

    def add(label, lecture, ours, reading=""):
        rows.append((label, lecture, ours, reading))

    add("mean of X̄* / of X̄", f"{L['mean_xbar_star']} / {L['mean_xbar']}",
        f"{pm(*g('gan', 'mean', 'mean'), 4)} / {pm(*g('ecdf', 'mean', 'mean'), 4)}")
    add("var(X̄*) / var(X̄)", f"{L['var_xbar_star']} / {L['var_xbar']}",
        f"{pm(*g('gan', 'mean', 'var'), 5)} / {pm(*g('ecdf', 'mean', 'var'), 5)}")
    vr, vr_se = f["vr"]
    add("ratio var(X̄*)/var(X̄)", num(L["var_xbar_star"] / L["var_xbar"], 2), pm(vr, vr_se, 3),
        ratio_word(vr, vr_se))
    for method, label, lect in (("gan", "X̄*", L["cover_xbar_star"]),
                                ("ecdf", "X̄", L["cover_xbar"])):
        for stat, name in INTERVALS.items():
            est, mcse = g(method, "mean", stat)
            add(f"coverage of {label}, {name}", lect, pm(est, mcse, 4),
                rules.coverage_verdict(est, B, LEVEL))
    add("mean KS of F*_n / of F_n", "", f"{pm(*g('gan', 'ks', 'mean'), 4)} / "
        f"{pm(*g('ecdf', 'ks', 'mean'), 4)}", "paired: " + word(*f["ks_diff"]))
    k, nks = f["ks_less"]
    lo, hi = rules.share_interval(k, nks)
    add("share of replications with KS* < KS", "", f"{num(k / nks, 4)} [{num(lo, 4)}, "
        f"{num(hi, 4)}]", rules.majority(k, nks))
    table = md_table(pd.DataFrame(rows, columns=["quantity", "lecture", f"this run, B = {B:,}",
                                                 "reading"]), align="lrrl")
    band = f["band"]
    plug, _ = f["plug"]
    text = (
        f"The lecture's proof of concept (n = {d.n} from {d.dgp}, m = {d.m:,} GAN draws), "
        f"rerun by `python -m gansim poc`; ours: value (MCSE), the *lecture* column quotes the "
        "lecture (no MCSEs given). Coverage is *at nominal* only inside the band "
        f"{band.rule(5)}; a difference or ratio is resolved only beyond {rules.K_MCSE:g} "
        "paired MCSEs; the share comes with its exact 95% interval. *reference* intervals use "
        "the true σ or the spread over replications, which one data set does not give.\n\n"
        f"Under these rules X̄* is {_less_more(f['vr_word'])} than X̄ (variance ratio "
        f"{pm(vr, vr_se, 3)}), its plug-in interval's coverage {num(plug, 4)} is "
        f"*{f['plug_word']}*, and the GAN's F*_n is closer to Φ than F_n in "
        f"{rules.majority(k, nks)} replications ({k:,} of {nks:,}). Details, the GAN-bootstrap "
        "intervals and the files: [`results/poc/README.md`](results/poc/README.md).")
    return {"poc-table": table + "\n\n" + wrap(text) + "\n"}


def _less_more(vr_word: str) -> str:
    return {"higher": "less precise", "lower": "more precise"}.get(
        vr_word, "not resolvably more or less precise")
