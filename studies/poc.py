"""The lecture's proof-of-concept study (shared/seeds/000): X̄ and KS of F_n against those of
a GAN trained on the same n points.  Writes replications.csv, summary.csv, table.md,
mean.png, ks.png and run.json to --out; rerunning the same command resumes an interrupted run.

    python studies/poc.py                      # the lecture's settings, B = 10,000
    python studies/poc.py -B 200 --steps 500   # a quick look
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timezone
from pathlib import Path

from gansim.dgp import Normal
from gansim.gan.config import ENGINES, GANConfig
from gansim.poc import PocDesign, run_poc, write_poc_outputs


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-B", "--replications", type=int, default=10_000,
                   help="Monte Carlo replications B (default: %(default)s)")
    p.add_argument("--n", type=int, default=100, help="data points per replication (>= 2)")
    p.add_argument("--m", type=int, default=10_000, help="draws from each trained GAN (>= 2)")
    p.add_argument("--mu", type=float, default=0.0, help="mean of the normal data")
    p.add_argument("--sigma", type=float, default=1.0, help="sd of the normal data (> 0)")
    p.add_argument("--steps", type=int, default=GANConfig.steps,
                   help="GAN training steps, one D and one G update each (default: %(default)s)")
    p.add_argument("--standardize", action=argparse.BooleanOptionalAction,
                   default=GANConfig.standardize,
                   help="train each GAN on its standardised data and map the draws back "
                        "(default: on; --no-standardize trains on the raw data)")
    p.add_argument("--engine", choices=ENGINES, default=GANConfig.engine,
                   help="GAN training engine: 'fused' (C, CPU), 'torch' (batched PyTorch, any "
                        "device) or 'auto', fused where it applies (default: %(default)s)")
    p.add_argument("--seed", type=int, default=2020, help="study seed (default: %(default)s)")
    p.add_argument("--n-jobs", type=int, default=2,
                   help="worker processes, -1 for all cores; results do not depend on it "
                        "(default: %(default)s)")
    p.add_argument("--block-size", type=int, default=100,
                   help="replications trained together; part of the settings, since with the "
                        "torch engine it fixes each replication's floating-point path "
                        "(default: %(default)s)")
    p.add_argument("--device", default="cpu", help="'cpu' (default) or 'cuda'")
    p.add_argument("--out", default="results/poc", help="output folder (default: %(default)s)")
    p.add_argument("--overwrite", action="store_true",
                   help="discard finished blocks in --out instead of resuming from them")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    try:
        design = PocDesign(
            n=args.n, m=args.m, dgp=Normal(args.mu, args.sigma), block_size=args.block_size,
            device=args.device,
            gan=GANConfig(steps=args.steps, standardize=args.standardize, engine=args.engine))
        run = run_poc(replications=args.replications, seed=args.seed, design=design,
                      n_jobs=args.n_jobs, out_dir=args.out, progress=not args.no_progress,
                      overwrite=args.overwrite)
    except (ValueError, TypeError) as exc:
        print(f"poc.py: error: {exc}", file=sys.stderr)
        return 2
    write_poc_outputs(args.out, run, design, seed=args.seed, n_jobs=args.n_jobs,
                      started=started)
    print(Path(args.out, "table.md").read_text())
    print(f"wall time {run.wall_time:.1f} s; results in {args.out}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
