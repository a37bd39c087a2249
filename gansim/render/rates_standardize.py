"""results/rates_standardize: the GAN on raw against standardised data, rendered from the
committed files (``summary.csv``, ``run.json``; ``../rates/run.json`` for the data it
shares with results/rates).

Renders ``README.md``, ``table.md`` (the study's own
:func:`gansim.studies.rates_standardize.standardize_table`) and ``summary.md``. Every
comparative word comes from :mod:`gansim.summary.rules` through the helpers of
:mod:`gansim.render.poc`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from gansim.render.common import provenance, read_csv, read_json
from gansim.render.poc import Summary, how_to_read, ratio_word, summary_md, word, wrap
from gansim.studies.rates_standardize import standardize_table
from gansim.summary import rules
from gansim.summary.text import md_table, num, pm

__all__ = ["FOLDER", "render", "standardize_table", "summary_caption"]

FOLDER = "rates_standardize"
REF = "gan_raw"


def summary_caption(n: int) -> str:
    return (f"The GAN on raw vs standardised data, n = {n}: every stat as value (MCSE); paired "
            "stats against gan_raw.")


def _shared_with_rates(results: Path, run: dict) -> str:
    """Whether this run's seed and condition ids are results/rates' at the same n."""
    path = results / "rates" / "run.json"
    if not path.is_file():
        return ""
    rates = read_json(path)
    ours = {(c["dgp"], c["n"]): c["condition"] for c in run["conditions"]}
    theirs = {(c["dgp"], c["n"]): (c["condition"], c.get("B")) for c in rates["conditions"]}
    same = [k for k, cid in ours.items() if k in theirs and theirs[k][0] == cid]
    if rates.get("seed") != run.get("seed") or not same:
        return ("Its seed and condition ids differ from results/rates', so its data sets are "
                "not those of results/rates.")
    n = sorted({k[1] for k in same})
    B = max(c["B"] for c in run["conditions"])
    return (f"Its seed ({run['seed']}) and condition ids equal those of results/rates at "
            f"n = {', '.join(map(str, n))} for {len(same)} of {len(ours)} DGPs, and every "
            "random stream is a function of the seed, the condition id and the replication: "
            f"its data sets are results/rates' replications 0–{B - 1} there. The choice made "
            "here was made on data that results/rates reports; results/rates is not an "
            "independent check of it.")


def _readme(results: Path, run: dict, summary: pd.DataFrame) -> str:
    g = Summary(summary, by=("dgp",))
    conds = run["conditions"]
    dgps = [c["dgp"] for c in conds]
    B = {c["B"] for c in conds}
    Bn = B.pop() if len(B) == 1 else None
    ns = sorted({c["n"] for c in conds})
    s = run["settings"]
    parts = [
        "# results/rates_standardize — the GAN on raw against standardised data\n\n"
        "A pilot for results/rates: the same GAN recipe trained on the raw data (`gan_raw`, "
        "`standardize=False`) and on the standardised data (`gan`, `standardize=True`: "
        "trained on (x − x̄)/s, its draws mapped back), beside the empirical cdf (`ecdf`), at "
        f"n = {', '.join(map(str, ns))} for the DGPs {', '.join(f'`{d}`' for d in dgps)} "
        "(as in results/rates). Both GANs see the same data, initial weights and training "
        f"noise, so every comparison of the two is paired. m = {s['m']:,} draws per GAN.",
        "## How it was run\n\n```bash\npython -m gansim rates_standardize\n```",
        provenance(run) + "\n" +
        f"B = {Bn if Bn is not None else 'per condition'} per DGP, block size "
        f"{s.get('block_size')}, engine `{', '.join(sorted(set(s.get('engines', {}).values())))}`"
        f", device `{s.get('device')}`; failed replications: "
        f"{sum(c.get('n_failed', 0) for c in conds)}. " + _shared_with_rates(results, run),
        "## How to read it\n\n" + how_to_read(
            {}, compare_what="the two GANs on the same data sets (`gan` against `gan_raw`)"),
    ]
    rows = []
    counts: dict[str, dict[str, list]] = {"ks": {}, "sd": {}, "q90": {}}
    for dgp in dgps:
        d, d_se = g(dgp, "gan", "ks", "diff")
        c = rules.compare(d, d_se, higher="higher", lower="lower")
        counts["ks"].setdefault(c.word, []).append(dgp)
        k = int(round(g.est(dgp, "gan", "ks", "less") * g.est(dgp, "gan", "ks", "nsim")))
        nn = int(g.est(dgp, "gan", "ks", "nsim"))
        lo, hi = rules.share_interval(k, nn)
        cells = [dgp, pm(d, d_se, 4), word(d, d_se, higher="higher", lower="lower"),
                 f"{num(k / nn, 3)} [{num(lo, 3)}, {num(hi, 3)}], {rules.majority(k, nn)}"]
        for q in ("sd", "q90"):
            r, r_se = g(dgp, "gan", q, "mseratio")
            cw = rules.compare(r - 1, r_se, higher="above 1", lower="below 1").word
            counts[q].setdefault(cw, []).append(dgp)
            cells.append(f"{pm(r, r_se, 2)}, {ratio_word(r, r_se)}")
        rows.append(cells)
    table = md_table(pd.DataFrame(rows, columns=[
        "DGP", "mean KS, gan − gan_raw", "reading", "share KS(gan) < KS(gan_raw) [95% CI]",
        "MSE ratio gan/gan_raw, sd", "MSE ratio gan/gan_raw, q90"]), align="lrllll")

    def tally(c: dict, words: dict) -> str:
        return ", ".join(f"{words[w]} in {len(c.get(w, []))}"
                         + (f" ({', '.join(c[w])})" if c.get(w) else "") for w in words)

    nd = len(dgps)
    parts.append(
        "## What the data show\n\n"
        "Paired on the same data sets, `gan` against `gan_raw` (`summary.csv`: stats `diff`, "
        "`less` and `mseratio` of method `gan`, reference `gan_raw`):\n\n" + table + "\n\n"
        f"Over the {nd} DGPs, standardising gives a mean KS "
        + tally(counts["ks"], {"lower": "lower", "higher": "higher",
                               "not resolved at this B": "not resolved"})
        + "; an MSE of the sd "
        + tally(counts["sd"], {"below 1": "lower", "above 1": "higher",
                               "not resolved at this B": "not resolved"})
        + "; an MSE of the 0.9 quantile "
        + tally(counts["q90"], {"below 1": "lower", "above 1": "higher",
                                "not resolved at this B": "not resolved"})
        + ". `table.md` has the mean KS of each method and the biases of the sd and the "
        "0.9 quantile; `summary.md` every measure. The decision these figures fed "
        "(standardise, the default of `gansim.GANConfig`) is argued in "
        "[`../rates/README.md`](../rates/README.md).")
    files = [
        ("`table.md`", "per DGP: mean KS of each method, the share KS(gan) < KS(gan_raw), the "
         "biases of the sd and the 0.9 quantile of both GANs"),
        ("`summary.csv`", "`gansim.summarise(tidy, by=[\"dgp\"], ref=\"gan_raw\")`: every "
         "measure with its MCSE per DGP, method and quantity; paired stats against `gan_raw`"),
        ("`summary.md`, `summary.tex`", "the whole summary as tables"),
        ("`replications.csv`", "the tidy rows, one per DGP × replication × method × quantity"),
        ("`forest.png`", "mean KS by DGP and method, ±1.96 MCSE"),
        ("`run.json`", "command, seed, settings, conditions, versions, machine, wall time"),
    ]
    parts.append("## Files\n\n" + md_table(pd.DataFrame(files, columns=["file", "what"]),
                                           align="ll"))
    parts.append(
        "## Limits\n\n"
        f"- One n ({', '.join(map(str, ns))}) and B = {Bn} per DGP: the paired MCSEs above "
        "are what this B resolves.\n"
        "- Both GANs use the batched PyTorch engine and one `torch.Generator` of latent noise "
        "per replication (`gansim/studies/rates_standardize.py` pins them), so that the "
        "committed replications can be recomputed.\n"
        "- `python -m gansim report rates_standardize` renders this README, `table.md` and "
        "`summary.md` from the committed files; it recomputes no replication.")
    return "\n\n".join(wrap(p) for p in parts) + "\n"


def render(results) -> dict[str, str]:
    """The Markdown files of ``results/rates_standardize``, keyed by their path relative to
    ``results``."""
    results = Path(results)
    folder = results / FOLDER
    run = read_json(folder / "run.json")
    summary = read_csv(folder / "summary.csv")
    conds = run["conditions"]
    B = max(c["B"] for c in conds)
    n = conds[0]["n"]
    return {
        f"{FOLDER}/README.md": _readme(results, run, summary),
        f"{FOLDER}/table.md": standardize_table(summary, summary, B=B, n=n),
        f"{FOLDER}/summary.md": summary_md(summary, rows=["dgp", "quantity", "stat"],
                                           caption=summary_caption(n)),
    }
