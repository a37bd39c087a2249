"""How to warm-start the GAN bootstrap: the tuning run behind coverage's WARM_STEPS = 300.

For data sets drawn here (numpy seeds 1 and 2 below, N(0, 1) with n = 60 and lognormal with
n = 100, alternately: kept apart from the coverage study's seed 11), fit the default GAN and
compare the spread (sd over R = 100 bootstrap GANs) of the mean, sd and q0.9 when each
bootstrap GAN is trained from scratch (2,000 steps) or warm-started from the fitted GAN with
a few schedules.  A warm start that keeps the scratch spread (ratio ~ 1) gives intervals of
the scratch width at a fraction of the cost; results/coverage's part `check` then compares
the two on the study's own data.

    python results/coverage_tuning/warm_steps.py > results/coverage_tuning/warm_steps.txt

It also writes ``run.json`` beside itself: the command, when it started, its wall time and
the versions and machine (:func:`gansim._files.write_run_record`).

Schedules other than the config's own (lr 1e-3 -> 1e-4 over the steps) are tried by
substituting the bootstrap GAN's config inside gansim.inference.estimator (a tuning device, not
API).
"""

import time
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

import gansim.inference.estimator as E
from gansim import GANConfig, GANEstimator
from gansim._files import write_run_record

VARIANTS = {"scratch": None, "w300": {"steps": 300}, "w300lo": {"steps": 300, "lr": 3e-4},
            "w200lo": {"steps": 200, "lr": 3e-4}, "w600lo": {"steps": 600, "lr": 3e-4},
            "w300flat": {"steps": 300, "lr": 1e-4}}
SEEDS = {1: 3, 2: 10}  # numpy seed -> data sets
QS = ("mean", "sd", "q90")
R, M = 100, 10_000  # bootstrap GANs per data set; draws representing each GAN


def main():
    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    t0 = time.perf_counter()
    res = {k: [] for k in VARIANTS}
    for seed, count in SEEDS.items():
        rng = np.random.default_rng(seed)
        for i in range(count):
            x = rng.lognormal(size=100) if i % 2 else rng.normal(size=60)
            for k, v in VARIANTS.items():
                if v is not None:
                    E.replace = lambda cfg, steps, v=v: replace(cfg, **v)
                # noise="generator": the latent noise this run was made with (it predates
                # the counter-based default), so that it reproduces.
                e = GANEstimator(GANConfig(noise="generator"), seed=i, m=M,
                                 bootstrap_steps=None if v is None else v["steps"]).fit(x)
                res[k].append([e.conf_int(q, method="percentile", R=R).se for q in QS])
                E.replace = replace
            print(f"seed {seed} data set {i}: " + "; ".join(
                f"{k} {np.round(r[-1], 3).tolist()}" for k, r in res.items()), flush=True)
    base = np.log(np.array(res["scratch"]))
    print(f"\nGeometric mean over {len(base)} data sets of the bootstrap SE / scratch's "
          f"({', '.join(QS)}), with the sd of the log ratio / sqrt(count):")
    for k, r in res.items():
        d = np.log(np.array(r)) - base
        sem = d.std(axis=0, ddof=1) / np.sqrt(len(d)) if k != "scratch" else 0 * d[0]
        print(f"  {k:9s} " + "  ".join(f"{np.exp(m):.3f} (±{s:.3f})"
                                         for m, s in zip(d.mean(axis=0), sem, strict=True)))
    write_run_record(Path(__file__).with_name("run.json"), started=started,
                     wall_time_s=round(time.perf_counter() - t0, 1),
                     data_seeds={str(k): v for k, v in SEEDS.items()}, R=R, m=M,
                     variants=VARIANTS, functionals=list(QS), stdout="warm_steps.txt")


if __name__ == "__main__":
    main()
