"""Benchmark of the GAN engines against the per-replication loop, standard tools and the machine.

Measures, in one run on this machine (its CPU model and SIMD extensions in the report):

1. the textbook loop (one ``torch.nn`` GAN per replication, autograd, ``torch.optim.Adam``;
   :mod:`gansim.gan.reference`) against both engines -- the fused C engine (the default)
   and the batched PyTorch engine -- on the same replications, data and settings, all spread
   over the same worker processes with one thread each; the ratios;
2. the strongest standard peers (benchmarks/peers.py), what a practitioner would write today
   with standard tools, on the same replications, data and settings and in the same layout
   of workers (each peer in its own new processes, one thread each): torch.func
   ``vmap`` + ``grad`` with the whole training step (both Adam updates, the EMA) compiled by
   ``torch.compile`` (inductor), its latent noise drawn eagerly, and the same in JAX
   (``jax.vmap`` + ``jax.grad`` + ``jax.jit``; skipped, saying why, where JAX is not
   installed).  Steady-state time per replication-step, and each worker's compile time
   (the step's first call) apart; the fused engine's speed-up over each.  That the peers do
   the same job: each, and the fused engine, trains on the same rows mapped to N(5, 2²)-like
   data (5 + 2x) and the median |mean* - mean| and sd*/sd of its draws are reported;
3. the floating-point operations of one training step per replication (matrix products of
   the forward and backward passes of D and G) and each engine's achieved GFLOP/s, against
   a large matrix product's GFLOP/s measured now with the same number of threads;
4. the full default proof-of-concept study (B = 10,000, n = 100, m = 10,000, 2,000 steps) end to
   end, sampling and KS distances included: wall time and peak memory of all processes;
5. where one block's time goes with the default engine: drawing the latent noise, the
   compiled training kernel, and sampling the m draws with the KS distances.

Run it on an otherwise idle machine (no test run, no helper):

    python benchmarks/bench_engine.py                 # everything, about 7 minutes
    python benchmarks/bench_engine.py --skip-full     # without the full study
    python benchmarks/bench_engine.py --skip-peers    # without the standard-tool peers
    python benchmarks/bench_engine.py --quick         # tiny sizes, to check that it runs

It prints a report and writes it to benchmarks/results/engine.md and engine.json (--quick
writes nothing unless --out is given).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import multiprocessing
import os
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import peers
import torch
from joblib import Parallel, delayed

from gansim._platform import machine, tune_malloc, versions
from gansim.gan.config import GANConfig
from gansim.gan.reference import train_gan_reference
from gansim.gan.train import train_gans
from gansim.rng import replication_streams, torch_generator
from gansim.studies.poc import poc_study
from gansim.study.core import run_study

#: How each source of latent noise is produced (the time-split table's label).
NOISE_LABEL = {"generator": "torch's CPU generator, one stream per replication",
               "philox": "Philox counters, computed inside the kernel; timed here on their own"}
TARGETS = {"full_study_s": 180.0, "speedup": 80.0, "flop_fraction": 0.5, "peak_gib": 2.0,
           "vs_torch_compile": 1.5}
#: The peers' check: rows 5 + 2x (x the benchmark's N(0, 1) rows); a trainer does the job when
#: the median over replications of |mean* - mean| is at most 0.1 data sd and the median of
#: sd* / sd is within [0.8, 1.25] (* its draws, plain: the row).
CHECK_LOC, CHECK_SCALE = 5.0, 2.0
CHECK_BAND = {"abs_mean_err": 0.1 * CHECK_SCALE, "sd_ratio": (0.8, 1.25)}
#: SIMD extensions named in the report, where /proc/cpuinfo lists them (x86 flags, arm
#: features).
SIMD = ("sse4_2", "avx", "avx2", "fma", "f16c", "avx_vnni", "avx512f", "avx512dq", "avx512cd",
        "avx512bw", "avx512vl", "avx512ifma", "avx512vbmi", "avx512_vbmi2", "avx512_vnni",
        "avx512_bf16", "avx512_fp16", "avx512_bitalg", "avx512_vpopcntdq", "amx_tile",
        "amx_bf16", "amx_int8", "asimd", "sve", "sve2")


def _data(seed, reps, n):
    streams = [replication_streams(seed, r) for r in reps]
    return streams, np.stack([s.data_rng().standard_normal(n) for s in streams])


def _loop_worker(seed, reps, n, cfg):
    torch.set_num_threads(1)
    tune_malloc()
    streams, x = _data(seed, reps, n)
    t0 = time.perf_counter()
    for s, row in zip(streams, x, strict=True):
        train_gan_reference(row, cfg, init_seed=s.init, noise_seed=s.noise)
    return time.perf_counter() - t0


def _engine_worker(seed, reps, n, cfg):
    torch.set_num_threads(1)
    tune_malloc()
    streams, x = _data(seed, reps, n)
    t0 = time.perf_counter()
    train_gans(x, cfg, init_seeds=[s.init for s in streams],
               noise_seeds=[s.noise for s in streams])
    return time.perf_counter() - t0


def _parallel(fn, chunks, seed, n, cfg, jobs, *extra):
    t0 = time.perf_counter()
    busy = Parallel(n_jobs=jobs)(delayed(fn)(seed, c, n, cfg, *extra) for c in chunks)
    return time.perf_counter() - t0, busy


def _fresh_parallel(fn, chunks, seed, n, cfg, jobs, *extra):
    """:func:`_parallel` in new worker processes, closed afterwards: the peers' libraries
    (JAX, inductor's compiled code) stay out of the workers that later parts reuse (the
    matmul's and the full study's timing and memory), and each peer starts cold."""
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
        t0 = time.perf_counter()
        futures = [pool.submit(fn, seed, c, n, cfg, *extra) for c in chunks]
        out = [f.result() for f in futures]
        return time.perf_counter() - t0, out


def cpu_features() -> dict:
    """The CPU's family/model/stepping and its SIMD extensions (:data:`SIMD`), from
    /proc/cpuinfo's first processor."""
    info = {}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if not line.strip():
                break
            key, _, value = line.partition(":")
            info.setdefault(key.strip(), value.strip())
    except OSError:
        pass
    flags = set((info.get("flags") or info.get("Features") or "").split())
    ident = " ".join(f"{k.split()[-1]} {info[k]}" for k in ("cpu family", "model", "stepping")
                     if k in info)
    return {"cpu_id": ident, "simd": [f for f in SIMD if f in flags]}


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


def _check_rows(x):
    return CHECK_LOC + CHECK_SCALE * x


def _peer_worker(seed, reps, n, cfg, name, check_m):
    """Times peer ``name`` on the block ``reps``, then trains it again (no compiling) on the
    check's rows and summarises ``check_m`` draws per replication."""
    peers.torch_one_thread()
    peers.torch_cold_compile()
    if name == "jax":
        peers.jax_one_thread()  # before JAX's first import in this worker
    tune_malloc()
    _, x = _data(seed, reps, n)
    fn, peer_seed = peers.PEERS[name], int(seed * 1_000_003 + reps[0])
    run = fn(x, cfg.steps, peer_seed, config=cfg)
    y = _check_rows(x)
    fit = fn(y, cfg.steps, peer_seed + 1, config=cfg)
    return {"busy": run.train_s, "cpu": run.cpu_s, "compile_s": run.compile_s,
            **peers.fit_summary(fit.sample(check_m, peer_seed), y)}


def _engine_check_worker(seed, reps, n, cfg, check_m):
    torch.set_num_threads(1)
    tune_malloc()
    streams, x = _data(seed, reps, n)
    y = _check_rows(x)
    block = train_gans(y, cfg, init_seeds=[s.init for s in streams],
                       noise_seeds=[s.noise for s in streams])
    draws = block.sample(check_m, [torch_generator(s.draws) for s in streams])
    return peers.fit_summary(draws.numpy(), y)


def _check_summary(results) -> dict:
    err = np.concatenate([r["abs_mean_err"] for r in results])
    ratio = np.concatenate([r["sd_ratio"] for r in results])
    e, q = float(np.median(err)), float(np.median(ratio))
    lo, hi = CHECK_BAND["sd_ratio"]
    return {"median_abs_mean_err": e, "median_sd_ratio": q,
            "ok": bool(e <= CHECK_BAND["abs_mean_err"] and lo <= q <= hi)}


PEER_LABELS = {"torch_compile": "torch.compile peer", "jax": "JAX peer"}
PEER_SHORT = {"torch_compile": "torch.func vmap + grad, the whole step compiled by inductor, "
                               "noise drawn eagerly",
              "jax": "jax.vmap + grad, the whole step under jax.jit, noise drawn inside"}
PEER_NOTES = {
    "torch_compile": "torch.func vmap + grad; D step, G step, both Adam updates and the EMA "
                     "as one function compiled by torch.compile (inductor, default mode); "
                     "noise drawn by eager torch.randn just before it (inside, inductor's "
                     "CPU random numbers made the step 2.4x slower)",
    "jax": "jax.vmap + jax.grad; the same step under jax.jit (state donated); noise drawn "
           "by jax.random.normal (threefry) inside the jitted function",
}


def peers_vs_engines(cfg, lve, *, n, jobs, block_size, names=tuple(peers.PEERS),
                     check_m=10_000, seed=1):
    """The standard-tool peers on the engines' blocks and workers, and the check that they,
    and the fused engine, learn the data."""
    chunks = [np.arange(j * block_size, (j + 1) * block_size) for j in range(jobs)]
    fused = dataclasses.replace(cfg, engine="fused")
    reps = jobs * block_size
    _, res = _parallel(_engine_check_worker, chunks, seed, n, fused, jobs, check_m)
    out = {"reps": reps, "jobs": jobs,
           "check": {"data": f"{CHECK_LOC:g} + {CHECK_SCALE:g}x (x: the benchmark's N(0, 1) rows)",
                     "m": check_m, "band": CHECK_BAND, "fused": _check_summary(res)}}
    fused_core = lve["fused"]["core_us_per_rep_step"]
    for name in names:
        reason = peers.jax_missing() if name == "jax" else None
        if reason is None:
            print(f"timing the {name} peer ...", flush=True)
            try:
                wall, res = _fresh_parallel(_peer_worker, chunks, seed, n, cfg, jobs, name,
                                            check_m)
            except Exception as exc:  # a peer that cannot run here is reported, not fatal
                first = (str(exc).strip().splitlines() or [""])[0]
                reason = f"{type(exc).__name__}: {first[:200]}"
        if reason is not None:
            print(f"skipping the {name} peer: {reason}", flush=True)
            out[name] = {"skipped": reason}
            continue
        busy = sum(r["busy"] for r in res)
        core = 1e6 * busy / reps / cfg.steps
        compile_s = [r["compile_s"] for r in res]
        out[name] = {"how": PEER_NOTES[name],
                     "us_per_rep_step": core / jobs, "core_us_per_rep_step": core,
                     "wall_s": wall, "compile_s": float(np.mean(compile_s)),
                     "compile_s_max": float(max(compile_s)),
                     "cpu_per_wall": sum(r["cpu"] for r in res) / busy,
                     "fused_speedup": core / fused_core,
                     "loop_speedup": lve["loop_core_us_per_rep_step"] / core}
        out["check"][name] = _check_summary(res)
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


MATMUL_SIZE = 2048


def matmul_gflops(jobs, size=MATMUL_SIZE, repeats=20):
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
    from gansim.gan.fused import philox_normals_c
    from gansim.gan.noise import NoiseStream, philox_keys
    from gansim.rng import torch_generator
    from gansim.study.dgp import Normal
    from gansim.study.distances import ks_distance_batch

    torch.set_num_threads(1)
    streams, x = _data(7, range(block_size), n)

    def noise():
        if cfg.noise == "philox":
            # The kernel computes these numbers where it uses them; here the same numbers
            # are computed on their own (50 steps at a time) to give their share.
            keys = philox_keys([s.noise for s in streams])
            for t in range(0, cfg.steps, 50):
                philox_normals_c(keys, t, min(50, cfg.steps - t), cfg.d_steps + 1,
                                 n * cfg.latent_dim, cfg)
            return
        stream = NoiseStream([torch_generator(s.noise) for s in streams], steps=cfg.steps,
                             n=n, latent_dim=cfg.latent_dim, dtype=torch.float32,
                             device="cpu", draws=cfg.d_steps + 1)
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
    return {"block_size": block_size, "repeats": repeats, "m": m, "noise": cfg.noise,
            "noise_s": noise_s,
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
    p.add_argument("--skip-peers", action="store_true",
                   help="do not time the standard-tool peers (benchmarks/peers.py)")
    p.add_argument("--peers", default=",".join(peers.PEERS),
                   help=f"comma-separated peers to time (default: {','.join(peers.PEERS)})")
    p.add_argument("--quick", action="store_true",
                   help="tiny sizes (50 steps, blocks of 4, no full study) to check that the "
                        "benchmark runs; its numbers mean nothing")
    p.add_argument("--out", default=None,
                   help="folder of engine.md and engine.json (default: benchmarks/results; "
                        "with --quick: none, nothing written)")
    args = p.parse_args(argv)

    cfg, n, m, check_m, matmul = GANConfig(), 100, 10_000, 10_000, {}
    if args.quick:
        cfg, m, check_m, matmul = GANConfig(steps=50), 1_000, 1_000, {"size": 256}
        args.block_size, args.loop_reps, args.skip_full = min(args.block_size, 4), 2, True
    names = [] if args.skip_peers else [s for s in args.peers.split(",") if s]
    unknown = sorted(set(names) - set(peers.PEERS))
    if unknown:
        p.error(f"unknown peers {unknown}; known: {', '.join(peers.PEERS)}")
    report = {"command": " ".join([Path(sys.executable).name, *sys.argv]),
              "machine": {**machine(), **cpu_features()}, "versions": _versions(names),
              "targets": TARGETS,
              "settings": {"n": n, "gan": cfg.to_dict(), "block_size": args.block_size,
                           "quick": args.quick}}
    print("timing the per-replication loop and the engines ...", flush=True)
    report["loop_vs_engine"] = lve = loop_vs_engines(
        cfg, n=n, jobs=args.jobs, loop_reps=args.loop_reps, block_size=args.block_size)
    if names:
        report["peers"] = peers_vs_engines(cfg, lve, n=n, jobs=args.jobs,
                                           block_size=args.block_size, names=names,
                                           check_m=check_m)
    flops = flops_per_rep_step(cfg, n)
    print("timing large matrix products ...", flush=True)
    peak = matmul_gflops(args.jobs, **matmul)
    report["flops"] = {"per_rep_step": flops, "matmul_gflops": peak,
                       "matmul_size": matmul.get("size", MATMUL_SIZE)}
    timed = {e: lve[e] for e in ENGINES}
    timed.update({k: v for k, v in report.get("peers", {}).items()
                  if k in peers.PEERS and "us_per_rep_step" in v})
    for name, row in timed.items():
        gflops = flops / (row["us_per_rep_step"] * 1e-6) / 1e9
        report["flops"][name] = {"gflops": gflops, "fraction": gflops / peak}
    print("timing the parts of one block ...", flush=True)
    report["parts"] = where_time_goes(cfg, n, m, args.block_size,
                                      repeats=1 if args.quick else 3)
    if not args.skip_full:
        print(f"timing the full study, B = {args.full_B} ...", flush=True)
        report["full_study"] = full_study(args.full_B, args.jobs)

    text = render(report)
    print(text)
    if args.out is None and args.quick:
        return
    out = Path(args.out if args.out is not None else Path(__file__).parent / "results")
    out.mkdir(parents=True, exist_ok=True)
    (out / "engine.json").write_text(json.dumps(report, indent=2) + "\n")
    (out / "engine.md").write_text(text)


def _versions(names) -> dict:
    """:func:`gansim.report.versions`, and JAX's where its peer runs (not imported here)."""
    out = versions()
    if "jax" in names and peers.jax_missing() is None:
        from importlib import metadata

        out["jax"] = metadata.version("jax")
        out["jaxlib"] = metadata.version("jaxlib")
    return out


def render(r) -> str:
    lve, fl, m, t = r["loop_vs_engine"], r["flops"], r["machine"], r["targets"]
    jobs = lve["jobs"]

    def verdict(ok):
        return "met" if ok else "NOT met"

    fu, to, v = lve["fused"], lve["torch"], r["versions"]
    pe = r.get("peers", {})
    timed = [k for k in PEER_LABELS if "us_per_rep_step" in pe.get(k, {})]
    cpu = m["cpu"] + (f" ({m['cpu_id']})" if m.get("cpu_id") else "")
    simd = f"; SIMD: {' '.join(m['simd'])}" if m.get("simd") else ""
    jax = f", JAX {v['jax']} (jaxlib {v.get('jaxlib')})" if v.get("jax") else ""
    lines = [
        "# Engine benchmark", "",
        f"Command: `{r['command']}`  ",
        f"Machine: {m['cores']} cores, {cpu}{simd}; torch {v['torch']}{jax}, "
        f"Python {v['python']}, C compiler: {v.get('cc')}", "",
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
    ]
    for name, label in PEER_LABELS.items():
        if name not in pe:
            continue
        q = pe[name]
        if "skipped" in q:
            lines.append(f"| {label} | skipped: {q['skipped']} | | |")
            continue
        lines += [
            f"| {label} ({PEER_SHORT[name]}), µs per replication-step on {jobs} cores (same "
            f"replications and data, {jobs} new 1-thread workers; per core: "
            f"{q['core_us_per_rep_step']:.1f}; "
            f"worker CPU / wall {q['cpu_per_wall']:.2f}) | {q['us_per_rep_step']:.2f} | | |",
            f"| {label}, compile time, s (one-off, not in the line above: the step's first "
            f"call, mean of the {jobs} workers compiling at once; max "
            f"{q['compile_s_max']:.1f}) | {q['compile_s']:.1f} | | |",
        ]
    lines += [
        f"| speed-up of the fused engine over the loop | {fu['speedup']:.1f}× | "
        f"≥ {t['speedup']:.0f}× | {verdict(fu['speedup'] >= t['speedup'])} |",
        f"| speed-up of the PyTorch engine over the loop | {to['speedup']:.1f}× | | |",
    ]
    for name in timed:
        q, target = pe[name], t.get(f"vs_{name}")
        goal = ("| | |" if target is None else
                f"| ≥ {target:g}× | {verdict(q['fused_speedup'] >= target)} |")
        lines.append(f"| speed-up of the fused engine over the {PEER_LABELS[name]} | "
                     f"{q['fused_speedup']:.2f}× {goal}")
    lines += [
        f"| matrix-product FLOPs per replication-step | {fl['per_rep_step'] / 1e6:.3f} M | | |",
        f"| large fp32 matmul GFLOP/s ({fl.get('matmul_size', MATMUL_SIZE)}², "
        f"{jobs} × 1 thread) | {fl['matmul_gflops']:.1f} | | |",
        f"| fused engine GFLOP/s / matmul | {fl['fused']['gflops']:.1f} = "
        f"{fl['fused']['fraction']:.0%} | ≥ {t['flop_fraction']:.0%} | "
        f"{verdict(fl['fused']['fraction'] >= t['flop_fraction'])} |",
        f"| PyTorch engine GFLOP/s / matmul | {fl['torch']['gflops']:.1f} = "
        f"{fl['torch']['fraction']:.0%} | | |",
    ]
    lines += [f"| {PEER_LABELS[k]} GFLOP/s / matmul | {fl[k]['gflops']:.1f} = "
              f"{fl[k]['fraction']:.0%} | | |" for k in timed if k in fl]
    if "full_study" in r:
        f = r["full_study"]
        lines += [
            f"| full study B = {f['B']:,}, wall s ({f['jobs']} workers, default engine) | "
            f"{f['wall_s']:.0f} | ≤ {t['full_study_s']:.0f} | "
            f"{verdict(f['wall_s'] <= t['full_study_s'])} |",
            f"| full study peak memory, GiB (PSS of all processes) | {f['peak_gib']:.2f} | "
            f"≤ {t['peak_gib']:.0f} | {verdict(f['peak_gib'] <= t['peak_gib'])} |",
        ]
    if "check" in pe:
        c = pe["check"]
        lo, hi = c["band"]["sd_ratio"]
        lines += [
            "", f"Do the peers do the same job?  Each trainer, on the same {pe['reps']} "
            f"replications and worker layout, trains on the rows {c['data']}, "
            f"N({CHECK_LOC:g}, {CHECK_SCALE:g}²)-like with n = {r['settings']['n']}, and draws "
            f"m = {c['m']:,} points per replication; medians over the replications:", "",
            "| trainer | median abs(mean* − mean) | median sd* / sd | "
            f"within the band (≤ {c['band']['abs_mean_err']:g}; {lo:g}–{hi:g}) |",
            "|---|---|---|---|",
        ]
        for name, label in {"fused": "fused engine", **PEER_LABELS}.items():
            if name in c:
                k = c[name]
                lines.append(f"| {label} | {k['median_abs_mean_err']:.3f} | "
                             f"{k['median_sd_ratio']:.3f} | {'yes' if k['ok'] else 'NO'} |")
    p = r["parts"]
    total = p["noise_s"] + p["kernel_s"] + p["sample_ks_s"]
    lines += [
        "", f"Where one block's time goes (default engine, {p['block_size']} replications, "
        f"1 thread, fastest of {p['repeats']} runs):", "", "| part | s | share |", "|---|---|---|",
        f"| latent noise ({NOISE_LABEL[p.get('noise', 'generator')]}) | "
        f"{p['noise_s']:.2f} | {p['noise_s'] / total:.0%} |",
        f"| fused training kernel (forward, backward, Adam, EMA) | {p['kernel_s']:.2f} | "
        f"{p['kernel_s'] / total:.0%} |",
        f"| m = {p.get('m', 10_000):,} draws per replication and their KS distances | "
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
