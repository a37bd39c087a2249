"""Cost per data set of GANEstimator's intervals: fit, Wald, and the GAN bootstrap
trained from scratch or warm-started, nonparametric and parametric, against the classical
intervals of gansim.inference.intervals on the same data.

    python benchmarks/bench_estimator.py            # n = 100, R = 200, one torch thread
    python benchmarks/bench_estimator.py --n 400

Each figure is the median of --repeat timings (seconds per data set, one core: torch threads
set to 1, as a study's workers run); the ratios are against the fit, measured in the same run.
Run on an idle machine.
"""

import argparse
import platform
import statistics
import time

import numpy as np
import torch

from gansim import GANConfig, GANEstimator
from gansim.inference.intervals import bootstrap_conf_int, t_interval
from gansim.study.functionals import FUNCTIONALS


def timed(fn, repeat):
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return statistics.median(out)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=100)
    p.add_argument("--R", type=int, default=200)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--warm-steps", type=int, default=300)
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    x = np.random.default_rng(0).lognormal(size=args.n)
    funcs = list(FUNCTIONALS)
    GANEstimator(GANConfig(steps=10), m=100).fit(x)  # load the engine once, untimed

    def fit():
        return GANEstimator(seed=1, m=20_000).fit(x)

    def boot(warm, scheme="nonparametric"):
        e = GANEstimator(seed=1, m=20_000, bootstrap_steps=warm).fit(x)
        for k in ("percentile", "basic", "bca"):
            for q in funcs:
                e.conf_int(q, method=k, R=args.R, bootstrap=scheme)

    def wald():
        e = GANEstimator(seed=1, m=20_000).fit(x)
        for q in funcs:
            e.conf_int(q)

    def classical():
        t_interval(x)
        for q in funcs:
            for k in ("percentile", "bca"):
                bootstrap_conf_int(x, q, method=k, R=1000, rng=1)
            bootstrap_conf_int(x, q, R=1000, rng=1, smooth="nrd0")

    rows = [("fit (2,000 steps, m = 20,000 draws)", fit),
            ("fit + Wald for 5 functionals", wald),
            (f"fit + GAN bootstrap from scratch, R = {args.R}, 3 methods x 5 functionals",
             lambda: boot(None)),
            (f"fit + GAN bootstrap warm ({args.warm_steps} steps), R = {args.R}, same",
             lambda: boot(args.warm_steps)),
            (f"fit + parametric GAN bootstrap warm, R = {args.R}, same",
             lambda: boot(args.warm_steps, "parametric")),
            ("classical: t, bootstrap percentile + BCa, smoothed (R = 1,000), 5 functionals",
             classical)]
    print(f"n = {args.n}, {platform.processor() or platform.machine()}, torch "
          f"{torch.__version__}, 1 thread, median of {args.repeat}")
    base = None
    for label, fn in rows:
        s = timed(fn, args.repeat)
        base = base or s
        print(f"{label:80s} {s:8.3f} s  {s / base:6.1f} x fit")


if __name__ == "__main__":
    main()
