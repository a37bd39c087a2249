"""results/poc before and after the latent noise changed (issue 15): equal within MCSE?

The proof of concept was rerun when the default latent noise became counter-based
(``GANConfig(noise="philox")``): the same data (the data streams did not change), the same
initial weights, other training noise.  This script compares every performance measure of
the committed summary at ``--before`` (a git revision) with the current
results/poc/summary.csv, measure by measure: the difference, its standard error
sqrt(MCSE_before^2 + MCSE_after^2) (conservative: the two runs share their data, which
makes the difference less variable than that) and z = difference / SE; and, replication by
replication, how far each GAN's X̄* and KS* moved.  Writes results/poc/noise_change.md.

    python scripts/poc_noise_change.py --before 8a651fb
"""

from __future__ import annotations

import argparse
import io
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
POC = ROOT / "results" / "poc"
#: The measures the lecture's table and the README quote, in this order.
KEY = [("gan", "mean", "mean"), ("gan", "mean", "var"), ("gan", "mean", "cover"),
       ("gan", "mean", "ref_cover_mc"), ("gan", "mean", "ref_cover_known_sigma"),
       ("gan", "mean", "relprec"), ("gan", "sd", "mean"), ("gan", "ks", "mean"),
       ("gan", "ks", "less"), ("gan", "ks", "varratio"), ("gan", "jsd_star", "mean"),
       ("gan", "collapsed", "mean")]


def _git_file(rev: str, path: str) -> bytes:
    proc = subprocess.run(["git", "show", f"{rev}:{path}"], cwd=ROOT, capture_output=True)
    if proc.returncode != 0:
        raise SystemExit(f"--before {rev!r}: git has no {path} there "
                         f"({proc.stderr.decode().strip()})")
    return proc.stdout


def compare(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Measures of both summaries side by side with the difference's z."""
    keys = ["method", "quantity", "stat"]
    both = before.merge(after, on=keys, suffixes=("_before", "_after"))
    both = both[(both.mcse_before > 0) | (both.mcse_after > 0)].copy()
    both["diff"] = both.est_after - both.est_before
    both["se"] = np.hypot(both.mcse_before, both.mcse_after)
    both["z"] = both["diff"] / both["se"]
    return both


def per_replication(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Quantiles of |after - before| per replication for the GAN's X̄* and KS*, and the
    data's X̄ (which must not move)."""
    rows = []
    for method, quantity in (("ecdf", "mean"), ("gan", "mean"), ("gan", "ks")):
        pick = ["rep", "estimate"]
        b = before.query("method == @method and quantity == @quantity")[pick]
        a = after.query("method == @method and quantity == @quantity")[pick]
        d = (a.merge(b, on="rep", suffixes=("_a", "_b")).eval("estimate_a - estimate_b")).abs()
        rows.append(dict(method=method, quantity=quantity, n=len(d), median=d.median(),
                         q90=d.quantile(0.9), max=d.max()))
    return pd.DataFrame(rows)


def _flagged(r, reps_b, reps_a) -> str:
    """A table row for a flagged measure; for an empirical SE, z again with the MCSE that
    allows for the estimates' kurtosis."""
    kurt, corrected = [], "—"
    for reps in (reps_b, reps_a):
        est = reps.query("method == @r.method and quantity == @r.quantity").estimate
        kurt.append(float(((est - est.mean()) ** 4).mean() / est.var(ddof=0) ** 2))
    if r.stat == "empse":
        B = int(reps_a.rep.nunique())
        se = np.hypot(*(e * np.sqrt((k - 1) / (4 * (B - 1)))
                        for e, k in zip((r.est_before, r.est_after), kurt, strict=True)))
        corrected = f"{r.diff / se:+.2f}"
    return (f"| {r.method} | {r.quantity} | {r.stat} | {r.z:+.2f} | {kurt[0]:.0f}, "
            f"{kurt[1]:.0f} | {corrected} |")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--before", required=True, help="git revision of the earlier results")
    args = p.parse_args(argv)
    before = pd.read_csv(io.BytesIO(_git_file(args.before, "results/poc/summary.csv")))
    after = pd.read_csv(POC / "summary.csv")
    table = compare(before, after)
    reps_b = pd.read_csv(io.BytesIO(_git_file(args.before, "results/poc/replications.csv.gz")),
                         compression="gzip")
    reps_a = pd.read_csv(POC / "replications.csv.gz")
    moved = per_replication(reps_b, reps_a)

    indexed = table.set_index(["method", "quantity", "stat"])
    key = indexed.loc[[k for k in KEY if k in indexed.index]]
    lines = [
        "# results/poc before and after the counter-based latent noise",
        "",
        f"Made by `python scripts/poc_noise_change.py --before {args.before}`: the committed "
        f"summary at {args.before} (latent noise from one torch.Generator per replication) "
        "against this folder's (Philox counters, `GANConfig(noise=\"philox\")`, the default "
        "since issue 15). Same seed, data and initial weights; other training noise. "
        "SE = sqrt(MCSE_before² + MCSE_after²), conservative since both runs share the data.",
        "",
        "| method | quantity | stat | before | after | difference | SE | z |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for (m, q, s), r in key.iterrows():
        lines.append(f"| {m} | {q} | {s} | {r.est_before:.5g} | {r.est_after:.5g} | "
                     f"{r['diff']:+.2g} | {r.se:.2g} | {r.z:+.2f} |")
    gan = table[table.method == "gan"]
    lines += [
        "",
        f"All {len(gan)} measures of the GAN with an MCSE: |z| > 2 for "
        f"{int((gan.z.abs() > 2).sum())}, |z| > 3 for {int((gan.z.abs() > 3).sum())} "
        f"(largest |z| {gan.z.abs().max():.2f}: {gan.loc[gan.z.abs().idxmax(), 'quantity']} "
        f"{gan.loc[gan.z.abs().idxmax(), 'stat']}). The measures are correlated, so these "
        "counts are a summary, not a test. The data's method (`ecdf`) differs in "
        f"{int((table[table.method == 'ecdf']['diff'].abs() > 0).sum())} measures.",
        "",
        "The measures with |z| > 2:",
        "",
        "| method | quantity | stat | z | kurtosis before, after | z, kurtosis-corrected MCSE |",
        "|---|---|---|---|---|---|",
    ]
    for r in gan[gan.z.abs() > 2].itertuples():
        lines.append(_flagged(r, reps_b, reps_a))
    lines += [
        "",
        "The MCSE of an empirical SE, empse/sqrt(2(B-1)), assumes normal estimates; with "
        "kurtosis k it is empse·sqrt((k-1)/(4(B-1))) (the delta method for the sd). The "
        "GAN's diagnostics are heavy-tailed across replications (a handful of GANs far from "
        "the data), so the normal-theory MCSE of their empirical SE is too small.",
        "",
        "Replication by replication, |after − before|:",
        "",
        "| method | quantity | replications | median | 90% | max |",
        "|---|---|---|---|---|---|",
    ]
    for r in moved.itertuples():
        lines.append(f"| {r.method} | {r.quantity} | {r.n} | {r.median:.2g} | {r.q90:.2g} | "
                     f"{r.max:.2g} |")
    lines.append("")
    (POC / "noise_change.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
