"""Benchmark of the GAN engines against the per-replication loop and the machine.

Measures, in one run on this machine:

1. the textbook loop (one ``torch.nn`` GAN per replication, autograd, ``torch.optim.Adam``;
   :mod:`gansim.gan.reference`) against both engines -- the fused C engine (the default)
   and the batched PyTorch engine -- on the same replications, data and settings, all spread
   over the same worker processes with one thread each; the ratios;
2. the floating-point operations of one training step per replication (matrix products of
   the forward and backward passes of D and G) and each engine's achieved GFLOP/s, against
   a large matrix product's GFLOP/s measured now with the same number of threads;
3. the full default proof-of-concept study (B = 10,000, n = 100, m = 10,000, 2,000 steps) end to
   end, sampling and KS distances included: wall time and peak memory of all processes;
4. where one block's time goes with the default engine: drawing the latent noise, the
   compiled training kernel, and sampling the m draws with the KS distances.

Run it on an otherwise idle machine (no test run, no helper):

    python benchmarks/bench_engine.py                 # everything, about 5 minutes
    python benchmarks/bench_engine.py --skip-full     # without the full study

It prints a report and writes it to benchmarks/results/engine.md and engine.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import torch
from joblib import Parallel, delayed

from gansim.gan.config import GANConfig
from gansim.gan.engine import train_gans
from gansim.gan.reference import train_gan_reference
from gansim.report import machine, versions
from gansim.rng import replication_streams
from gansim.runner import _tune_malloc
from gansim.studies.poc import poc_study
from gansim.study import run_study

TARGETS = {"full_study_s": 180.0, "speedup": 30.0, "flop_fraction": 0.5, "peak_gib": 2.0}


def _data(seed, reps, n):
    streams = [replication_streams(seed, r) for r in reps]
    return streams, np.stack([s.data_rng().standard_normal(n) for s in streams])


def _loop_worker(seed, reps, n, cfg):
    torch.set_num_threads(1)
    _tune_malloc()
    streams, x = _data(seed, reps, n)
    t0 = time.perf_counter()
    for s, row in zip(streams, x, strict=True):
        train_gan_reference(row, cfg, init_seed=s.init, noise_seed=s.noise)
    return time.perf_counter() - t0


def _engine_worker(seed, reps, n, cfg):
    torch.set_num_threads(1)
    _tune_malloc()
    streams, x = _data(seed, reps, n)
    t0 = time.perf_counter()
    train_gans(x, cfg, init_seeds=[s.init for s in streams],
               noise_seeds=[s.noise for s in streams])
    return time.perf_counter() - t0


def _parallel(fn, chunks, seed, n, cfg, jobs):
    t0 = time.perf_counter()
    busy = Parallel(n_jobs=jobs)(delayed(fn)(seed, c, n, cfg) for c in chunks)
    return time.perf_counter() - t0, busy


ENGINES = ("fused", "torch")


def loop_vs_engines(cfg, *, n, jobs, loop_reps, block_size, seed=1):
    """Per-replication compute time of the loop and of each engine on the same replications."""
    loop_chunks = np.array_split(np.arange(loop_reps), jobs)
    loop_wall, loop_busy = _parallel(_loop_worker, loop_chunks, seed, n, cfg, jobs)
    # Compute time inside the workers (sum over workers / replications), so that starting
    # the processes and importing torch (a fixed ~2 s of every run) favours neither side.
    loop_cpu = sum(loop_busy) / loop_reps / cfg.steps
    out = {"loop_reps": loop_reps, "engine_reps": jobs * block_size, "jobs": jobs,
           "loop_us_per_rep_step": 1e6 * loop_cpu / jobs,
           "loop_core_us_per_rep_step": 1e6 * loop_cpu, "loop_wall_s": loop_wall}
    # The engines train whole blocks: as many blocks as workers, the loop's replications
    # first.  A first short run compiles the fused kernel outside the timing.
    _engine_worker(seed, range(2), n, dataclasses.replace(cfg, steps=2, engine="fused"))
    chunks = [np.arange(j * block_size, (j + 1) * block_size) for j in range(jobs)]
    for engine in ENGINES:
        wall, busy = _parallel(_engine_worker, chunks, seed, n,
                               dataclasses.replace(cfg, engine=engine), jobs)
        cpu = sum(busy) / (jobs * block_size) / cfg.steps
        out[engine] = {"us_per_rep_step": 1e6 * cpu / jobs, "core_us_per_rep_step": 1e6 * cpu,
                       "speedup": loop_cpu / cpu, "wall_s": wall}
    return out


def flops_per_rep_step(cfg: GANConfig, n: int) -> int:
    """Matrix-product FLOPs of one training step of one replication (2 per multiply-add).

    D step: G forward on n noise draws; D forward and backward (weight gradients, and input
    gradients of all but the first layer) on the 2n real and fake points.  G step: G and D
    forward on n draws, D backward to its input, G backward (weight gradients and input
    gradients of all but the first layer).  Elementwise work is not counted.
    """
    def macs(sizes):
        return [a * b for a, b in zip(sizes[:-1], sizes[1:], strict=True)]

    g = macs(cfg.g_sizes)
    d = macs(cfg.d_sizes)
    d_step = sum(g) * n + sum(d) * 2 * n + (sum(d) + sum(d[1:])) * 2 * n
    g_step = sum(g) * n + sum(d) * n + sum(d) * n + (sum(g) + sum(g[1:])) * n
    return 2 * (d_step + g_step)


def _matmul_worker(size, repeats):
    torch.set_num_threads(1)
    a, b = torch.randn(size, size), torch.randn(size, size)
    a @ b
    t0 = time.perf_counter()
    for _ in range(repeats):
        a @ b
    return time.perf_counter() - t0


def matmul_gflops(jobs, size=2048, repeats=20):
    """GFLOP/s of large fp32 matrix products, one per worker, each worker one thread."""
    t0 = time.perf_counter()
    Parallel(n_jobs=jobs)(delayed(_matmul_worker)(size, repeats) for _ in range(jobs))
    wall = time.perf_counter() - t0
    return jobs * repeats * 2 * size**3 / wall / 1e9


class PeakMemory:
    """Peak of the summed proportional set size (PSS) of this process and its descendants.

    PSS splits shared pages (torch's libraries, mapped by every worker) between the
    processes that map them, so the sum is the memory the study really holds; a sum of
    resident sizes would count those libraries once per process.
    """

    def __init__(self, interval=1.0):
        self.interval, self.peak, self._stop = interval, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _tree_rss():
        parents = {}
        for pid in os.listdir("/proc"):
            if pid.isdigit():
                try:
                    # the 4th field of /proc/PID/stat is the parent's pid
                    stat = Path(f"/proc/{pid}/stat").read_text()
                    parents[int(pid)] = int(stat.rsplit(")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    continue
        tree, grew = {os.getpid()}, True
        while grew:
            new = {p for p, pp in parents.items() if pp in tree} - tree
            grew = bool(new)
            tree |= new
        total = 0
        # smaps_rollup walks the page tables, so only the study's own processes are read,
        # once a second: the sampler must not slow down what it measures.
        for pid in tree:
            try:
                for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                    if line.startswith("Pss:"):
                        total += int(line.split()[1]) * 1024
                        break
            except OSError:
                continue
        return total

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self._tree_rss())
            self._stop.wait(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def full_study(B, jobs):
    with tempfile.TemporaryDirectory() as tmp, PeakMemory() as mem:
        t0 = time.perf_counter()
        run = run_study(poc_study(replications=B), seed=2020, n_jobs=jobs, out_dir=tmp,
                        progress=False)
        wall = time.perf_counter() - t0
    return {"B": B, "jobs": jobs, "wall_s": wall, "peak_gib": mem.peak / 2**30,
            "failed": int(run.failures()["rep"].nunique())}


def where_time_goes(cfg, n, m, block_size, repeats=3):
    """Seconds of one block (one thread) spent drawing the latent noise, in the fused
    training kernel, and sampling ``m`` draws per replication with their KS distances;
    each part the fastest of ``repeats`` runs."""
    from gansim.dgp import Normal
    from gansim.functionals import ks_distance_batch
    from gansim.gan.engine import NoiseStream
    from gansim.rng import torch_generator

    torch.set_num_threads(1)
    streams, x = _data(7, range(block_size), n)

    def noise():
        stream = NoiseStream([torch_generator(s.noise) for s in streams], steps=cfg.steps,
                             n=n, latent_dim=cfg.latent_dim, dtype=torch.float32,
                             device="cpu")
        for t in range(0, cfg.steps, stream.chunk):
            stream.fill(t)

    def train():
        return train_gans(x, cfg, init_seeds=[s.init for s in streams],
                          noise_seeds=[s.noise for s in streams])

    def sample_ks(block):
        draws = block.sample(m, [torch_generator(s.draws) for s in streams])
        ks_distance_batch(draws.double().numpy(), Normal().cdf)

    def best(fn, *args):
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            fn(*args)
            times.append(time.perf_counter() - t0)
        return min(times)

    block = train()  # also the warm-up: the kernel's first load, torch's first numbers
    noise_s, train_s, sample_s = best(noise), best(train), best(sample_ks, block)
    return {"block_size": block_size, "repeats": repeats, "noise_s": noise_s,
            "kernel_s": train_s - noise_s, "sample_ks_s": sample_s}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--jobs", type=int, default=2, help="worker processes (default: 2)")
    p.add_argument("--loop-reps", type=int, default=16,
                   help="replications trained by the per-replication loop (default: 16)")
    p.add_argument("--block-size", type=int, default=100)
    p.add_argument("--full-B", type=int, default=10_000, help="B of the full study")
    p.add_argument("--skip-full", action="store_true", help="do not time the full study")
    p.add_argument("--out", default=str(Path(__file__).parent / "results"))
    args = p.parse_args(argv)

    cfg, n = GANConfig(), 100
    report = {"command": " ".join([Path(sys.executable).name, *sys.argv]),
              "machine": machine(), "versions": versions(), "targets": TARGETS,
              "settings": {"n": n, "gan": cfg.to_dict(), "block_size": args.block_size}}
    print("timing the per-replication loop and the engines ...", flush=True)
    report["loop_vs_engine"] = lve = loop_vs_engines(
        cfg, n=n, jobs=args.jobs, loop_reps=args.loop_reps, block_size=args.block_size)
    flops = flops_per_rep_step(cfg, n)
    print("timing large matrix products ...", flush=True)
    peak = matmul_gflops(args.jobs)
    report["flops"] = {"per_rep_step": flops, "matmul_gflops": peak}
    for engine in ENGINES:
        gflops = flops / (lve[engine]["us_per_rep_step"] * 1e-6) / 1e9
        report["flops"][engine] = {"gflops": gflops, "fraction": gflops / peak}
    print("timing the parts of one block ...", flush=True)
    report["parts"] = where_time_goes(cfg, n, 10_000, args.block_size)
    if not args.skip_full:
        print(f"timing the full study, B = {args.full_B} ...", flush=True)
        report["full_study"] = full_study(args.full_B, args.jobs)

    text = render(report)
    print(text)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "engine.json").write_text(json.dumps(report, indent=2) + "\n")
    (out / "engine.md").write_text(text)


def render(r) -> str:
    lve, fl, m, t = r["loop_vs_engine"], r["flops"], r["machine"], r["targets"]
    jobs = lve["jobs"]

    def verdict(ok):
        return "met" if ok else "NOT met"

    fu, to = lve["fused"], lve["torch"]
    lines = [
        "# Engine benchmark", "",
        f"Command: `{r['command']}`  ",
        f"Machine: {m['cores']} cores, {m['cpu']}; torch {r['versions']['torch']}, "
        f"Python {r['versions']['python']}, C compiler: {r['versions'].get('cc')}", "",
        "µs per replication-step are wall-clock on all workers together; per core is the "
        "compute time of one single-threaded worker.", "",
        "| figure | value | target | |", "|---|---|---|---|",
        f"| per-replication loop, µs per replication-step on {jobs} cores "
        f"({lve['loop_reps']} replications, {jobs} × 1-thread workers; per core: "
        f"{lve['loop_core_us_per_rep_step']:.0f}) | {lve['loop_us_per_rep_step']:.1f} | | |",
        f"| fused engine (default), µs per replication-step on {jobs} cores "
        f"({lve['engine_reps']} replications in blocks of {r['settings']['block_size']}, same "
        f"workers; per core: {fu['core_us_per_rep_step']:.1f}) | "
        f"{fu['us_per_rep_step']:.2f} | | |",
        f"| batched PyTorch engine, same (per core: {to['core_us_per_rep_step']:.1f}) | "
        f"{to['us_per_rep_step']:.2f} | | |",
        f"| speed-up of the fused engine over the loop | {fu['speedup']:.1f}× | "
        f"≥ {t['speedup']:.0f}× | {verdict(fu['speedup'] >= t['speedup'])} |",
        f"| speed-up of the PyTorch engine over the loop | {to['speedup']:.1f}× | | |",
        f"| matrix-product FLOPs per replication-step | {fl['per_rep_step'] / 1e6:.3f} M | | |",
        f"| large fp32 matmul GFLOP/s (2048², {jobs} × 1 thread) | "
        f"{fl['matmul_gflops']:.1f} | | |",
        f"| fused engine GFLOP/s / matmul | {fl['fused']['gflops']:.1f} = "
        f"{fl['fused']['fraction']:.0%} | ≥ {t['flop_fraction']:.0%} | "
        f"{verdict(fl['fused']['fraction'] >= t['flop_fraction'])} |",
        f"| PyTorch engine GFLOP/s / matmul | {fl['torch']['gflops']:.1f} = "
        f"{fl['torch']['fraction']:.0%} | | |",
    ]
    if "full_study" in r:
        f = r["full_study"]
        lines += [
            f"| full study B = {f['B']:,}, wall s ({f['jobs']} workers, default engine) | "
            f"{f['wall_s']:.0f} | ≤ {t['full_study_s']:.0f} | "
            f"{verdict(f['wall_s'] <= t['full_study_s'])} |",
            f"| full study peak memory, GiB (PSS of all processes) | {f['peak_gib']:.2f} | "
            f"≤ {t['peak_gib']:.0f} | {verdict(f['peak_gib'] <= t['peak_gib'])} |",
        ]
    p = r["parts"]
    total = p["noise_s"] + p["kernel_s"] + p["sample_ks_s"]
    lines += [
        "", f"Where one block's time goes (default engine, {p['block_size']} replications, "
        f"1 thread, fastest of {p['repeats']} runs):", "", "| part | s | share |", "|---|---|---|",
        f"| latent noise (torch's CPU generator, one stream per replication) | "
        f"{p['noise_s']:.2f} | {p['noise_s'] / total:.0%} |",
        f"| fused training kernel (forward, backward, Adam, EMA) | {p['kernel_s']:.2f} | "
        f"{p['kernel_s'] / total:.0%} |",
        f"| m = 10,000 draws per replication and their KS distances | "
        f"{p['sample_ks_s']:.2f} | {p['sample_ks_s'] / total:.0%} |",
        "", "The batched PyTorch engine is kept for GPUs, float64 and the games with input-"
        "gradient penalties; on CPU it spends most of its time in separate memory-bound "
        "elementwise passes over (replications × points × 16) activations, which the fused "
        "kernel folds into the loops that produce them while one replication's state stays "
        "in cache (see gansim/gan/fused.c).",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
