"""A study of your own: two DGPs, a GAN against a KDE, a tail probability, some failures.

The pieces a statistician brings:

- DGPs: ``scipy.stats.gamma(2)`` and a contaminated normal written as a small class (no
  ``__repr__``; its quantile function takes one number at a time, which the study detects
  and calls point by point, with a note);
- a method as a plain function: m draws from a Gaussian kernel density estimate;
- a functional P(X > 4) whose truth is the DGP's ``sf(4)``, and which refuses a data set
  with a point beyond 8 ("max too large"): those data sets' rows for that quantity are
  failures, nothing else is lost.

The results are kept in ``--out`` (resumable: the same command again reads the finished
blocks, and computes again those holding an error, in case it was fixed) and saved beside
the blocks as the shipped studies' are (``replications.csv.gz``, ``summary.csv``,
``conditions.csv``).  Run ``python examples/own_study.py -B 20 --steps 50``
for a quick look.
"""

import argparse
import math
import tempfile

import numpy as np
import scipy.stats as st
from scipy import optimize

import gansim as gs


class ContaminatedNormal:
    """N(0, 1) with probability 1 - eps, N(0, scale²) with probability eps."""

    def __init__(self, eps=0.1, scale=3.0):
        self.eps, self.scale = eps, scale

    def sample(self, n, rng):
        wide = rng.random(n) < self.eps
        return np.where(wide, self.scale, 1.0) * rng.standard_normal(n)

    def cdf(self, x):
        return (1 - self.eps) * st.norm.cdf(x) + self.eps * st.norm.cdf(x, scale=self.scale)

    def sf(self, x):
        return (1 - self.eps) * st.norm.sf(x) + self.eps * st.norm.sf(x, scale=self.scale)

    def ppf(self, q):  # one probability at a time
        if q <= 0 or q >= 1:
            return math.copysign(math.inf, q - 0.5)
        return optimize.brentq(lambda x: float(self.cdf(x)) - q, -50, 50, xtol=1e-14)

    def mean(self):
        return 0.0

    def std(self):
        return math.sqrt(1 - self.eps + self.eps * self.scale**2)


def kde(x, rng):
    """2000 draws from the Gaussian KDE of the data (Scott's bandwidth)."""
    return st.gaussian_kde(x).resample(2000, seed=rng)[0]


def p_gt_4(x):
    """P(X > 4) of a sample; refuses a data set (n < 1000 points) with a point beyond 8."""
    if x.size < 1000 and x.max() > 8:
        raise ValueError("max too large")
    return float(np.mean(x > 4))


def build(B: int, steps: int, block_size: int = 100) -> gs.Study:
    return gs.Study(
        [gs.EmpiricalCDF(), gs.GAN(gs.GANConfig(steps=steps)), kde],
        dgp={"gamma": st.gamma(2), "contaminated": ContaminatedNormal()},
        design=gs.condition_grid(B, dgp=["gamma", "contaminated"], n=[50]),
        m=2000,
        functionals={"mean": "mean", "sd": "sd",
                     "p_gt_4": gs.Functional(p_gt_4, truth=lambda d: d.sf(4),
                                             description="P(X > 4)")},
        distances=["ks"],
        max_failure_share=0.5,
        block_size=block_size,
        name="own_study",
    )


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("-B", type=int, default=200, help="replications per condition")
    p.add_argument("--n-jobs", type=int, default=2, help="worker processes (-1: all cores)")
    p.add_argument("--steps", type=int, default=1000, help="GAN training steps")
    p.add_argument("--block-size", type=int, default=100, help="replications per block")
    p.add_argument("--out", default=None, help="output folder (default: a temporary one)")
    args = p.parse_args(argv)
    out = args.out or tempfile.mkdtemp(prefix="own_study_")
    study = build(args.B, args.steps, args.block_size)
    res = gs.run_study(study, seed=1, n_jobs=args.n_jobs, out_dir=out, progress=False)
    res.save(out)
    print(res)
    failed = res.failures()
    print(f"{len(failed)} rows not ok, in {failed.groupby(['condition', 'rep']).ngroups} "
          f"replications; results in {out}")
    return res


if __name__ == "__main__":
    main()
