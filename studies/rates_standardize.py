"""Pilot for the rates study: the GAN trained on the raw data against the GAN trained on the
standardised data (``GANConfig(standardize=True)``), paired on the same data, at n = 100 for
the four DGPs.  Writes results/rates_standardize/{replications.csv,table.md,run.json}.

    python studies/rates_standardize.py            # B = 200 per DGP, about 1 minute
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timezone
from pathlib import Path

from gansim import report
from gansim.design import condition_grid
from gansim.gan.config import GANConfig
from gansim.grid import EstimationDesign, compare_methods, run_estimation, summarise_estimation
from gansim.methods import GAN, EmpiricalCDF

DGPS = ["normal", "t", "lognormal", "mixture"]
#: The engine results/rates_standardize was computed with (it predates the fused engine):
#: kept so the committed numbers reproduce exactly; engine="fused" (the package default) is
#: faster and gives statistically equivalent, not bit-identical, results.
ENGINE = "torch"
METHODS = (EmpiricalCDF(), GAN(GANConfig(standardize=False, engine=ENGINE), label="gan_raw"),
           GAN(GANConfig(standardize=True, engine=ENGINE), label="gan"))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-B", "--replications", type=int, default=200)
    p.add_argument("--n", type=int, default=100)
    p.add_argument("--seed", type=int, default=4)
    p.add_argument("--n-jobs", type=int, default=2)
    p.add_argument("--out", default="results/rates_standardize")
    p.add_argument("--no-progress", action="store_true")
    args = p.parse_args(argv)
    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    design = EstimationDesign(METHODS, m=10_000, block_size=100)
    grid = condition_grid(args.replications, dgp=DGPS, n=[args.n])
    run = run_estimation(grid, design, seed=args.seed, n_jobs=args.n_jobs, out_dir=args.out,
                         progress=not args.no_progress)
    out = Path(args.out)
    tidy = run.replications
    summary = summarise_estimation(tidy, design)
    paired = compare_methods(tidy, design, "gan", ["gan_raw"])
    report.write_atomic(out / "replications.csv", tidy.to_csv(index=False))
    table = report.standardize_table(summary, paired, B=args.replications, n=args.n)
    report.write_atomic(out / "table.md", table)
    report.write_run_record(out / "run.json", seed=args.seed, settings=design.settings(),
                            conditions=run.conditions.to_dict(orient="records"),
                            n_jobs=args.n_jobs, started=started,
                            wall_time_s=round(run.wall_time, 1))
    print((out / "table.md").read_text())
    print(f"wall time {run.wall_time:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
