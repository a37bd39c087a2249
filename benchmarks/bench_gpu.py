"""GPU benchmark of the compiled engine, measured on a CUDA machine only.

In one run on the machine it is started on:

1. the GPU's measured float32 peak: a large fp32 matrix product with TF32 off
   (``torch.backends.cuda.matmul.fp32_precision = "ieee"``), best of several, CUDA events;
2. per replication-step time of ``GANConfig(engine="compiled")`` (the training step compiled
   once and replayed as a CUDA graph) at several block sizes, up to the largest block that
   fits in the GPU's memory for training (:func:`gansim.gan.memory.largest_block`), and of
   the plain batched PyTorch engine (``engine="torch"``) on the same GPU; the compile time of
   each block size apart, the achieved FLOP rate (matrix products only,
   ``bench_engine.flops_per_rep_step``) against the measured peak;
3. the full default proof-of-concept study (``gansim.studies.poc.poc_study``: B = 10,000,
   n = 100, m = 10,000, 2,000 steps) on the GPU with the compiled engine and the whole B in
   as few blocks as fit (``block_size="auto"``): the wall time of the whole study (data,
   training, sampling, distances, diagnostics) and its GPU time, the synchronised time
   spent training the GANs and sampling their draws;
4. the fused CPU engine on this machine's CPUs in the same run: ``--cpu-reps`` replications
   x 2,000 steps spread over all cores, one single-threaded worker each (as
   benchmarks/bench_engine.py does), timed inside the workers;
5. its goals, printed as met or not met: the B = 10,000 proof of concept in under
   10 s of GPU time (training and sampling, the compile excluded and reported apart), and
   the GPU's replication-steps per second at least 15x the same machine's CPUs with the
   fused engine.

    python benchmarks/bench_gpu.py --out benchmarks/results     # about 4-5 minutes
    python benchmarks/bench_gpu.py --quick --out /tmp/gpu        # small sizes, about 2

It writes gpu.md and gpu.json to ``--out`` (default benchmarks/results).  Without a CUDA GPU
it prints "no CUDA GPU: nothing measured", writes nothing and exits with code 0: a GPU figure
is only ever a measurement.  ``--budget-s`` bounds the run: measurements not started before
the budget is spent are skipped and listed as such.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

from gansim._platform import machine, versions
from gansim.gan.config import GANConfig
from gansim.gan.memory import largest_block, replication_bytes
from gansim.gan.mlp import float32_matmuls
from gansim.gan.train import train_gans
from gansim.rng import replication_streams

HERE = Path(__file__).resolve().parent
#: Where everything is measured (a CUDA device; the functions' own test drives them on "cpu"
#: with tiny sizes to check that they run, printing nothing as a GPU figure).
DEVICE = "cuda"
#: The benchmark's goals.
GOALS = {"poc_gpu_s": 10.0, "speedup_vs_cpu": 15.0}
N, M, B, STEPS = 100, 10_000, 10_000, 2000
#: Block sizes above this are not tried (its setup, a generator per replication, takes
#: seconds per 10,000); the largest fitting one is still reported.
MAX_TRIED = 100_000
#: Training steps at block sizes other than the proof of concept's (each size compiles anew;
#: the per-step time comes from replaying the captured step).
SWEEP_STEPS = 200


def _flops_per_rep_step(cfg: GANConfig, n: int) -> int:
    """bench_engine.flops_per_rep_step; the copy below stands in only when bench_engine (or
    a module it imports) cannot be imported here, so that a one-off GPU run is not lost."""
    try:
        sys.path.insert(0, str(HERE))
        from bench_engine import flops_per_rep_step

        return flops_per_rep_step(cfg, n)
    except Exception as exc:  # noqa: BLE001
        print(f"note: bench_engine not importable ({type(exc).__name__}: {exc}); using the "
              "same count written out here", file=sys.stderr)

    def macs(sizes):
        return [a * b for a, b in zip(sizes[:-1], sizes[1:], strict=True)]

    g, d = macs(cfg.g_sizes), macs(cfg.d_sizes)
    d_step = sum(g) * n + sum(d) * 2 * n + (sum(d) + sum(d[1:])) * 2 * n
    g_step = sum(g) * n + sum(d) * n + sum(d) * n + (sum(g) + sum(g[1:])) * n
    return 2 * (d_step + g_step)


def _sync():
    if torch.device(DEVICE).type == "cuda":
        torch.cuda.synchronize()


def _block(R: int, seed: int = 1, n: int = N):
    streams = [replication_streams(seed, r) for r in range(R)]
    x = np.stack([s.data_rng().standard_normal(n) for s in streams])
    return x, dict(init_seeds=[s.init for s in streams],
                   noise_seeds=[s.noise for s in streams])


def fp32_peak(size: int = 8192, repeats: int = 10) -> dict:
    """TFLOP/s of an fp32 ``size`` x ``size`` matrix product with TF32 off: best of
    ``repeats`` timed by CUDA events after two warm-ups."""
    a = torch.randn(size, size, device="cuda")
    b = torch.randn(size, size, device="cuda")
    best = float("inf")
    with float32_matmuls(False, "cuda"):
        for _ in range(2):
            a @ b
        for _ in range(repeats):
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(
                enable_timing=True)
            start.record()
            a @ b
            end.record()
            end.synchronize()
            best = min(best, start.elapsed_time(end) / 1e3)
    del a, b
    torch.cuda.empty_cache()
    return {"size": size, "tflops": 2 * size**3 / best / 1e12, "seconds": best}


def compiled_step_time(R: int, steps: int = STEPS, replay: int = 200,
                       again: bool = False) -> dict:
    """The compiled engine at block size R: the first train_gans (compile, CUDA-graph
    recording, the whole training of ``steps`` steps) timed, with ``again`` a second one (no
    compile), then ``replay`` steps of the captured step alone (the state of the last
    training, its step counter reset), timed: the per-step time."""
    from gansim.gan import compiled

    cfg = GANConfig(steps=steps, engine="compiled")
    x, kw = _block(R)
    _sync()
    t0 = time.perf_counter()
    train_gans(x, cfg, **kw, device=DEVICE)
    _sync()
    first = time.perf_counter() - t0
    second = None
    if again:
        t0 = time.perf_counter()
        train_gans(x, cfg, **kw, device=DEVICE)
        _sync()
        second = time.perf_counter() - t0
    spec, st = compiled.last_state()
    step = compiled.compiled_step_fn(DEVICE)
    args = [st[k] for k in ("t", "sched", "keys", "real", "g", "d", "gm", "gv", "dm", "dv",
                            "ema", "trace")]
    replay = min(replay, steps)
    with float32_matmuls(cfg.allow_tf32, DEVICE):
        st["t"].zero_()
        _sync()
        t0 = time.perf_counter()
        for _ in range(replay):
            if DEVICE != "cpu":
                torch.compiler.cudagraph_mark_step_begin()
            step(spec, *args)
        _sync()
    per_step = (time.perf_counter() - t0) / replay
    from torch._dynamo.utils import counters

    return {"R": R, "steps": steps, "first_call_s": first, "train_gans_s": second,
            "step_s": per_step, "us_per_rep_step": per_step / R * 1e6,
            "cudagraph_skips": int(counters["inductor"]["cudagraph_skips"])}


def torch_step_time(R: int, steps=(100, 300)) -> dict:
    """The plain PyTorch engine on the GPU at block size R: per step from the difference of
    two trainings of different lengths (setup cancels)."""
    x, kw = _block(R)
    walls = []
    for s in (steps[0], *steps):  # the first is a warm-up
        cfg = GANConfig(steps=s, engine="torch")
        _sync()
        t0 = time.perf_counter()
        train_gans(x, cfg, **kw, device=DEVICE)
        _sync()
        walls.append(time.perf_counter() - t0)
    per_step = (walls[2] - walls[1]) / (steps[1] - steps[0])
    return {"R": R, "step_s": per_step, "us_per_rep_step": per_step / R * 1e6}


def poc(replications: int, *, m: int = M, steps: int = STEPS) -> dict:
    """The proof of concept on the GPU (compiled engine, block_size="auto", n_jobs=1): the
    study's wall time, and the synchronised time of the GANs' training and sampling."""
    import gansim.study.methods as methods
    from gansim.studies.poc import poc_study
    from gansim.study.core import run_study

    spent = {"train": 0.0, "sample": 0.0, "blocks": 0}
    real_train, real_sample = methods.train_gans, methods._GANFit.sample

    def train(*a, **kw):
        _sync()
        t0 = time.perf_counter()
        out = real_train(*a, **kw)
        _sync()
        spent["train"] += time.perf_counter() - t0
        spent["blocks"] += 1
        return out

    def sample(self, m_):
        _sync()
        t0 = time.perf_counter()
        out = real_sample(self, m_)  # ends with a copy to the host: synchronised
        spent["sample"] += time.perf_counter() - t0
        return out

    study = poc_study(replications=replications, m=m, gan=GANConfig(steps=steps,
                                                                    engine="compiled"),
                      block_size="auto", device=DEVICE)
    methods.train_gans, methods._GANFit.sample = train, sample
    try:
        res = run_study(study, seed=2020, n_jobs=1, progress=False)
    finally:
        methods.train_gans, methods._GANFit.sample = real_train, real_sample
    gan = res.tidy[res.tidy.method == "gan"]
    ok = gan.groupby("rep").status.apply(lambda s: (s == "ok").all())
    return {"B": replications, "m": m, "steps": steps, "block_size": study.block_size,
            "blocks": spent["blocks"], "wall_s": res.wall_time, "train_s": spent["train"],
            "sample_s": spent["sample"], "gpu_s": spent["train"] + spent["sample"],
            "ok_share": float(ok.mean()),
            "mean_ks_gan": float(gan[gan.quantity == "ks"].estimate.mean())}


def _fused_worker(seed, reps, steps):
    torch.set_num_threads(1)
    from gansim._platform import tune_malloc

    tune_malloc()
    cfg = GANConfig(steps=steps, engine="fused")
    warm_x, warm_kw = _block(1, seed=seed + 1)
    train_gans(warm_x, GANConfig(steps=5, engine="fused"), **warm_kw)  # load the kernel
    streams = [replication_streams(seed, r) for r in reps]
    x = np.stack([s.data_rng().standard_normal(N) for s in streams])
    t0 = time.perf_counter()
    train_gans(x, cfg, init_seeds=[s.init for s in streams],
               noise_seeds=[s.noise for s in streams])
    return time.perf_counter() - t0


def cpu_fused(reps: int, steps: int = STEPS, jobs: int | None = None) -> dict:
    """The fused engine on every core, one single-threaded worker each: per-worker busy
    time, and the machine's replication-steps per second from the slowest worker."""
    from joblib import Parallel, delayed

    from gansim.gan.resolve import resolve_engine

    jobs = jobs or os.cpu_count()
    resolve_engine(GANConfig(engine="fused"))  # compile the kernel once, here
    chunks = [c.tolist() for c in np.array_split(np.arange(reps), jobs) if c.size]
    t0 = time.perf_counter()
    busy = Parallel(n_jobs=len(chunks))(delayed(_fused_worker)(1, c, steps) for c in chunks)
    wall = time.perf_counter() - t0
    core = sum(busy) / (reps * steps)
    return {"reps": reps, "steps": steps, "workers": len(chunks), "wall_s": wall,
            "busy_s": busy, "us_per_rep_step_core": core * 1e6,
            "rep_steps_per_s": reps * steps / max(busy)}


def gpu_info() -> dict:
    p = torch.cuda.get_device_properties(0)
    free, total = torch.cuda.mem_get_info()
    return {"name": p.name, "memory_gib": total / 2**30, "free_gib": free / 2**30,
            "sm_count": p.multi_processor_count, "capability": f"{p.major}.{p.minor}",
            "cuda": torch.version.cuda, "torch": torch.__version__}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(HERE / "results"), help="folder for gpu.md and "
                    "gpu.json (default: benchmarks/results)")
    ap.add_argument("--quick", action="store_true",
                    help="smaller sizes (B = 1,000 proof of concept, two block sizes, fewer "
                         "CPU replications): checks that it runs; its figures are not the "
                         "ones the goals are stated for")
    ap.add_argument("--budget-s", type=float, default=270.0,
                    help="skip measurements not started within this many seconds "
                         "(default: %(default)s)")
    ap.add_argument("--cpu-reps", type=int, default=None,
                    help="replications of the fused CPU run (default: 50 per core; quick: 8 "
                         "per core)")
    args = ap.parse_args(argv)
    if not torch.cuda.is_available():
        print("no CUDA GPU: nothing measured (bench_gpu.py measures on a CUDA machine only; "
              "no file written)")
        return 0
    t_start = time.perf_counter()
    skipped = []

    def time_left(what: str) -> bool:
        if time.perf_counter() - t_start < args.budget_s:
            return True
        skipped.append(what)
        print(f"skipped (budget of {args.budget_s:.0f} s spent): {what}", flush=True)
        return False

    cfg = GANConfig()
    flops = _flops_per_rep_step(cfg, N)
    r = {"complete": False, "gpu": gpu_info(), "machine": machine(), "versions": versions(),
         "quick": args.quick, "config": cfg.to_dict(), "n": N,
         "flops_per_rep_step": flops, "goals": GOALS, "compiled": [], "torch": [],
         "skipped": skipped}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    def save():
        # After every measurement: a run cut short keeps what it measured.
        r["total_s"] = time.perf_counter() - t_start
        r["verdicts"] = verdicts(r)
        (out / "gpu.json").write_text(json.dumps(r, indent=1, default=str))
        (out / "gpu.md").write_text(render(r))

    print(f"GPU: {r['gpu']['name']}, {r['gpu']['memory_gib']:.0f} GiB; CPU: "
          f"{r['machine']['cpu']} x {r['machine']['cores']}", flush=True)
    r["fp32_peak"] = fp32_peak()
    print(f"fp32 peak (TF32 off): {r['fp32_peak']['tflops']:.1f} TFLOP/s", flush=True)
    poc_B = 1000 if args.quick else B
    train_fit = largest_block([cfg], n=N, m=2)
    r["largest_block"] = {"training_only": train_fit,
                          "poc": largest_block([cfg], n=N, m=M),
                          "bytes_per_rep_poc": replication_bytes(cfg, N, M)}
    save()

    def attempt(what, fn, *a, **kw):
        # One failing measurement (out of memory, no C compiler for the fused engine...) is
        # recorded and the run goes on: a GPU is lent for minutes, once.
        try:
            return fn(*a, **kw)
        except Exception as exc:  # noqa: BLE001
            msg = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
            r.setdefault("errors", {})[what] = msg
            print(f"error in {what}: {msg}", flush=True)
            if torch.cuda.is_available():
                torch.cuda.empty_cache()
            return None

    def compiled(R, **kw):
        row = attempt(f"compiled engine at R = {R:,}", compiled_step_time, R, **kw)
        row = row or {"R": R, "error": r["errors"][f"compiled engine at R = {R:,}"]}
        r["compiled"].append(row)
        print("compiled", json.dumps(row), flush=True)
        save()
        return row

    # The proof of concept's block size first, all its steps: the study reuses the compiled
    # step (same shapes) and its state (same CUDA graph).
    if "error" not in compiled(poc_B, steps=STEPS, again=True) and time_left(
            "proof of concept"):
        r["poc"] = attempt("proof of concept", poc, poc_B)
        print("poc", json.dumps(r["poc"]), flush=True)
        save()
    if time_left("fused CPU engine"):
        cores = os.cpu_count() or 1
        reps = args.cpu_reps or (8 if args.quick else 50) * cores
        r["cpu_fused"] = attempt("fused CPU engine", cpu_fused, reps,
                                 steps=500 if args.quick else STEPS)
        print("cpu fused", json.dumps({k: v for k, v in (r["cpu_fused"] or {}).items()
                                       if k != "busy_s"}), flush=True)
        save()
    for R in [1000] if args.quick else [1000, 10_000]:
        if time_left(f"torch engine at R = {R:,}"):
            row = attempt(f"torch engine at R = {R:,}", torch_step_time, R)
            if row is not None:
                r["torch"].append(row)
                print("torch", json.dumps(row), flush=True)
            save()
    big = min(train_fit, MAX_TRIED) // 1000 * 1000
    for R in ([] if args.quick else sorted({s for s in (1000, big) if s >= 1000} - {poc_B})):
        if time_left(f"compiled engine at R = {R:,}"):
            compiled(R, steps=SWEEP_STEPS)
    r["complete"] = True
    save()
    print((out / "gpu.md").read_text())
    return 0


def verdicts(r) -> dict:
    """Each goal: the measured value and whether it is met (None: not measured)."""
    out = {}
    if r.get("poc") and r["poc"]["B"] == B:
        v = r["poc"]["gpu_s"]
        out["poc_gpu_s"] = {"value": v, "met": v < GOALS["poc_gpu_s"]}
    else:
        out["poc_gpu_s"] = {"value": None, "met": None}
    ok = [c for c in r["compiled"] if "error" not in c]
    if ok and r.get("cpu_fused"):
        best = min(ok, key=lambda c: c["us_per_rep_step"])
        gpu_rate = 1e6 / best["us_per_rep_step"]
        ratio = gpu_rate / r["cpu_fused"]["rep_steps_per_s"]
        out["speedup_vs_cpu"] = {"value": ratio, "met": ratio >= GOALS["speedup_vs_cpu"],
                                 "at_R": best["R"]}
    else:
        out["speedup_vs_cpu"] = {"value": None, "met": None}
    return out


def _met(v) -> str:
    return "not measured" if v["met"] is None else ("met" if v["met"] else "NOT met")


def render(r) -> str:
    g, peak = r["gpu"], r["fp32_peak"]["tflops"]
    lines = [
        "# GPU engine benchmark (benchmarks/bench_gpu.py)", "",
        f"GPU: **{g['name']}** ({g['memory_gib']:.0f} GiB, {g['sm_count']} SMs, compute "
        f"capability {g['capability']}), CUDA {g['cuda']}, torch {g['torch']}; CPU: "
        f"{r['machine']['cpu']} x {r['machine']['cores']} cores.  "
        + ("**--quick run: small sizes, not the goals' figures.**" if r["quick"] else ""),
        "",
        f"Measured fp32 peak (8192² matrix product, TF32 off): {peak:.1f} TFLOP/s.  "
        f"FLOPs per replication-step (matrix products, n = {r['n']}): "
        f"{r['flops_per_rep_step']:,}.", "",
        "## Per replication-step time on the GPU", "",
        "| engine | block R | µs / rep-step | step (ms) | GFLOP/s | share of fp32 peak | "
        "first call: compile + training (s) | again, warm (s) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|"]

    def sec(v, steps=None):
        if v is None:
            return ""
        return f"{v:.2f}" + ("" if steps is None else f" ({steps:,} steps)")

    for name in ("compiled", "torch"):
        for c in r[name]:
            if "error" in c:
                lines.append(f"| {name} | {c['R']:,} | {c['error']} | | | | | |")
                continue
            gf = r["flops_per_rep_step"] / (c["us_per_rep_step"] * 1e-6) / 1e9
            lines.append(
                f"| {name} | {c['R']:,} | {c['us_per_rep_step']:.4f} | "
                f"{c['step_s'] * 1e3:.3f} | {gf:,.0f} | {gf / (peak * 1e3):.1%} | "
                f"{sec(c.get('first_call_s'), c.get('steps'))} | "
                f"{sec(c.get('train_gans_s'))} |")
    lines += ["", "Compiled engine: per-step time from replaying the captured step "
                  "(CUDA graph); PyTorch engine: from two trainings of 100 and 300 steps "
                  "(setup cancels)."]
    lb = r["largest_block"]
    lines += ["", f"Largest block that fits (estimate from free memory, "
                  f"{lb['bytes_per_rep_poc'] / 2**20:.1f} MiB per replication with m = "
                  f"{M:,}): {lb['poc']:,} replications for the proof of concept, "
                  f"{lb['training_only']:,} for training alone.", ""]
    if r.get("poc"):
        p = r["poc"]
        lines += [f"## Proof of concept on the GPU (B = {p['B']:,}, m = {p['m']:,}, "
                  f"{p['steps']:,} steps, compiled engine)", "",
                  f"{p['blocks']} block(s) of {p['block_size']:,}; whole study "
                  f"{p['wall_s']:.1f} s wall; GPU time (training {p['train_s']:.2f} s + "
                  f"sampling {p['sample_s']:.2f} s, "
                  + ("compilation excluded: done before for these shapes) "
                     if any(c["R"] == p["block_size"] and "error" not in c
                            for c in r["compiled"])
                     else "compilation included) ")
                  +
                  f"**{p['gpu_s']:.2f} s**; ok replications {p['ok_share']:.3f}, mean KS* "
                  f"{p['mean_ks_gan']:.4f}.", ""]
    if r.get("cpu_fused"):
        c = r["cpu_fused"]
        lines += ["## The fused CPU engine on this machine", "",
                  f"{c['reps']:,} replications x {c['steps']:,} steps over {c['workers']} "
                  f"single-threaded workers: {c['us_per_rep_step_core']:.2f} µs per "
                  f"replication-step per core, {c['rep_steps_per_s']:,.0f} replication-steps "
                  f"per second for the machine (slowest worker), {c['wall_s']:.1f} s wall.",
                  ""]
    v = r["verdicts"]
    lines += ["## Goals", "",
              f"- B = 10,000 proof of concept under {GOALS['poc_gpu_s']:.0f} s of GPU time: "
              f"**{_met(v['poc_gpu_s'])}**"
              + ("" if v["poc_gpu_s"]["value"] is None
                 else f" ({v['poc_gpu_s']['value']:.2f} s)"),
              f"- GPU >= {GOALS['speedup_vs_cpu']:.0f}x this machine's CPUs with the fused "
              f"engine: **{_met(v['speedup_vs_cpu'])}**"
              + ("" if v["speedup_vs_cpu"]["value"] is None
                 else f" ({v['speedup_vs_cpu']['value']:.1f}x, compiled engine at R = "
                      f"{v['speedup_vs_cpu']['at_R']:,})")]
    if r["skipped"]:
        lines += ["", "Skipped (time budget): " + "; ".join(r["skipped"]) + "."]
    for what, msg in r.get("errors", {}).items():
        lines += ["", f"Error in {what}: {msg}"]
    if not r["complete"]:
        lines += ["", "**Incomplete run**: the figures above are all it measured."]
    lines += ["", f"Total {r['total_s']:.0f} s."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
