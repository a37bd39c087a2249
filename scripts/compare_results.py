"""Two runs of a study, as committed at two git revisions: equal within MCSE?

Compares every performance measure of a results folder's ``summary.csv`` at ``--before`` (a
git revision) with the one at ``--after`` (another revision; default: the working tree),
measure by measure: the difference, its standard error sqrt(MCSE_before^2 + MCSE_after^2)
(conservative when the two runs share their data, which makes the difference less variable
than that) and z = difference / SE; and, replication by replication, how far each method's
estimates moved.  An empirical SE flagged at |z| > 2 is judged again with the MCSE that
allows for the estimates' kurtosis.  For a rerun after a change of the code that should
leave the results' distribution alone (other random numbers, another engine).  Prints
Markdown; ``--out FILE`` writes it too (never inside results/, whose Markdown files are all
rendered by ``python -m gansim report``).

    python scripts/compare_results.py --before 9b18a0f                     # results/poc
    python scripts/compare_results.py --folder results/losses --before HEAD~3 --after HEAD
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
#: Columns of a summary that hold its values, not its keys.
VALUES = ("est", "mcse")
#: Columns of the tidy rows that identify a replication's estimate, where present.
IDS = ("dgp", "n", "condition", "rep", "method", "quantity")


def _read(rev: str | None, path: str, **kwargs) -> pd.DataFrame:
    """``path`` (relative to the repository) at git revision ``rev``; None: the working tree."""
    if rev is None:
        return pd.read_csv(ROOT / path, **kwargs)
    proc = subprocess.run(["git", "show", f"{rev}:{path}"], cwd=ROOT, capture_output=True)
    if proc.returncode != 0:
        raise SystemExit(f"revision {rev!r}: git has no {path} there "
                         f"({proc.stderr.decode().strip()})")
    gz = "gzip" if path.endswith(".gz") else None
    return pd.read_csv(io.BytesIO(proc.stdout), compression=gz, **kwargs)


def compare(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Measures of both summaries side by side with the difference's z (measures with an
    MCSE only)."""
    keys = [c for c in after.columns if c not in VALUES]
    both = before.merge(after, on=keys, suffixes=("_before", "_after"))
    both = both[(both.mcse_before > 0) | (both.mcse_after > 0)].copy()
    both["diff"] = both.est_after - both.est_before
    both["se"] = np.hypot(both.mcse_before, both.mcse_after)
    both["z"] = both["diff"] / both["se"]
    return both


def per_replication(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Quantiles of |after − before| of each method's estimates, replication by
    replication, per method and quantity."""
    ids = [c for c in IDS if c in after.columns and c in before.columns]
    both = after.merge(before, on=ids, suffixes=("_a", "_b"))
    both["moved"] = (both["estimate_a"] - both["estimate_b"]).abs()
    return (both.groupby(["method", "quantity"], sort=False)["moved"]
            .agg(replications="size", median="median", q90=lambda x: x.quantile(0.9),
                 max="max").reset_index())


def _kurtosis(reps: pd.DataFrame, method: str, quantity: str) -> float:
    est = reps[(reps.method == method) & (reps.quantity == quantity)].estimate
    return float(((est - est.mean()) ** 4).mean() / est.var(ddof=0) ** 2)


def _flagged(r, reps_b, reps_a) -> str:
    """A table row for a flagged measure; for an empirical SE, z again with the MCSE that
    allows for the estimates' kurtosis (the delta method for an sd)."""
    kurt = [_kurtosis(reps, r.method, r.quantity) for reps in (reps_b, reps_a)]
    corrected = "—"
    if r.stat == "empse":
        B = int(reps_a.rep.nunique())
        se = np.hypot(*(e * np.sqrt((k - 1) / (4 * (B - 1)))
                        for e, k in zip((r.est_before, r.est_after), kurt, strict=True)))
        corrected = f"{r.diff / se:+.2f}"
    return (f"| {r.method} | {r.quantity} | {r.stat} | {r.z:+.2f} | {kurt[0]:.0f}, "
            f"{kurt[1]:.0f} | {corrected} |")


def report(folder: str, before: str, after: str | None) -> str:
    """The comparison as Markdown."""
    table = compare(_read(before, f"{folder}/summary.csv"), _read(after, f"{folder}/summary.csv"))
    reps = next((f"{folder}/{name}" for name in ("replications.csv.gz", "replications.csv")
                 if (ROOT / folder / name).is_file()), None)
    label = after or "the working tree"
    lines = [f"# {folder}: {before} against {label}", "",
             "SE = sqrt(MCSE_before² + MCSE_after²), conservative where both runs share their "
             "data.", ""]
    keys = [c for c in table.columns if c not in VALUES and not c.endswith(("_before", "_after"))
            and c not in ("diff", "se", "z")]
    lines += ["| " + " | ".join(keys) + " | before | after | difference | SE | z |",
              "|" + "---|" * (len(keys) + 5)]
    for r in table.itertuples(index=False):
        lines.append("| " + " | ".join(str(getattr(r, k)) for k in keys)
                     + f" | {r.est_before:.5g} | {r.est_after:.5g} | {r.diff:+.2g} | "
                     f"{r.se:.2g} | {r.z:+.2f} |")
    lines += ["", f"{len(table)} measures with an MCSE: |z| > 2 for "
              f"{int((table.z.abs() > 2).sum())}, |z| > 3 for {int((table.z.abs() > 3).sum())}. "
              "The measures are correlated, so these counts are a summary, not a test."]
    if reps is not None:
        cols = [*IDS, "estimate"]
        rb = _read(before, reps, usecols=lambda c: c in cols)
        ra = _read(after, reps, usecols=lambda c: c in cols)
        flagged = table[table.z.abs() > 2]
        if len(flagged) and "condition" not in table and "dgp" not in table:
            lines += ["", "| method | quantity | stat | z | kurtosis before, after | "
                      "z, kurtosis-corrected MCSE |", "|---|---|---|---|---|---|"]
            lines += [_flagged(r, rb, ra) for r in flagged.itertuples()]
        moved = per_replication(rb, ra)
        lines += ["", "Replication by replication, |after − before|:", "",
                  "| method | quantity | replications | median | 90% | max |",
                  "|---|---|---|---|---|---|"]
        lines += [f"| {r.method} | {r.quantity} | {r.replications} | {r.median:.2g} | "
                  f"{r.q90:.2g} | {r.max:.2g} |" for r in moved.itertuples()]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--folder", default="results/poc",
                   help="results folder, relative to the repository (default: %(default)s)")
    p.add_argument("--before", required=True, help="git revision of the earlier results")
    p.add_argument("--after", default=None,
                   help="git revision of the later results (default: the working tree)")
    p.add_argument("--out", default=None, help="also write the Markdown to this file "
                   "(not inside results/)")
    args = p.parse_args(argv)
    text = report(args.folder.rstrip("/"), args.before, args.after)
    if args.out:
        out = Path(args.out).resolve()
        if (ROOT / "results").resolve() in out.parents:
            print("compare_results.py: --out must not be inside results/ (every Markdown "
                  "file there is rendered by `python -m gansim report`).", file=sys.stderr)
            return 2
        out.write_text(text)
    print(text, end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
