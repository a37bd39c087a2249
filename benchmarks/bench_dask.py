"""Benchmark of the dask executor against local processes on a reduced rates grid.

In one run on this machine, the same reduced rates study (every DGP x n in {25, 50, 100},
B = 200 per condition, short GAN training, blocks of 50) is run twice from scratch, each
into its own temporary output folder:

1. on local processes: ``run_study(study, n_jobs=2)`` (joblib, the default executor);
2. on a ``distributed.LocalCluster(n_workers=2, threads_per_worker=1)``:
   ``run_study(study, executor=client)``.

It checks that the two tidy frames are identical (``DataFrame.equals``: bit for bit), and
reports the wall time of each, their ratio (the local run is the baseline), the cluster's
start-up, and the utilisation: every block's start and end on its worker, recorded by a thin
wrapper around the runner's block function (both executors are the library's own, with only
their ``run`` wrapped to log the timestamps; on the cluster the scheduler's task stream is
read as well, as a cross-check).  From these: the mean number of busy workers until the tail
(until the last block starts), how many distinct conditions had a block running in the first
half of the run, how many conditions were in flight at once, the idle gap a worker had when
it went from one condition's block to another's (no barrier between conditions), and a
timeline per worker.  The report is printed and written to ``benchmarks/results/dask.md``.

With ``--memory``, it measures instead the driver's memory against B: a study of tiny GANs
(hidden layers of 4, few steps, blocks of 1,000) at B = 10,000 and 100,000, each run from
scratch in a fresh process (its peak resident memory is the process's own), on local
processes and on a LocalCluster.  For each: the driver's peak RSS while the blocks are
computed (sampled every 20 ms; the driver writes each block as it arrives and keeps none in
memory), its peak over the whole ``run_study`` (which counts the conditions' failures block
by block and returns a result whose rows stay in the block files), its peak over
``result.summary()`` and ``result.save(folder)`` (computed one condition and quantity at a
time, the CSV of the rows written block by block), the rows, the wall time and the
cluster's overhead per block against local processes.  Written to
``benchmarks/results/dask_memory.md``.

    python benchmarks/bench_dask.py          # about 2 minutes on 2 cores
    python benchmarks/bench_dask.py --memory # a few minutes on 2 cores
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import string
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
from joblib import Parallel, delayed

from gansim._platform import machine, versions
from gansim.studies.rates import build_study
from gansim.study.core import run_study
from gansim.study.executors import DaskExecutor, LocalExecutor


def _timed(fn, log_dir, *args, **kwargs):
    """Run one block (``fn`` is the runner's block function) and log its start and end."""
    t0 = time.time()
    out = fn(*args, **kwargs)
    t1 = time.time()
    label, start, _ = out
    line = json.dumps({"label": label, "start_rep": start, "t0": t0, "t1": t1,
                       "pid": os.getpid()})
    with open(Path(log_dir) / f"{os.getpid()}.jsonl", "a") as f:
        f.write(line + "\n")
    return out


class TimedLocal(LocalExecutor):
    """The default executor, its block function wrapped by :func:`_timed`."""

    def __init__(self, n_jobs, log_dir):
        super().__init__(n_jobs)
        self.log_dir = log_dir

    def run(self, fn, tasks, worker_check=None):
        return super().run(partial(_timed, fn, self.log_dir), tasks, worker_check)


class TimedDask(DaskExecutor):
    """The dask executor, its block function wrapped by :func:`_timed`."""

    def __init__(self, client, log_dir):
        super().__init__(client)
        self.log_dir = log_dir

    def run(self, fn, tasks, worker_check=None):
        return super().run(partial(_timed, fn, self.log_dir), tasks, worker_check)


def _warm():
    """Import what a block needs, so that a worker's start-up is timed apart from the run."""
    import gansim.study.core  # noqa: F401

    return os.getpid()


def _blocks(log_dir) -> pd.DataFrame:
    rows = [json.loads(line) for f in sorted(Path(log_dir).glob("*.jsonl"))
            for line in f.read_text().splitlines()]
    return pd.DataFrame(rows)


def run_once(study, seed, executor_of):
    """Run ``study`` from scratch with ``executor_of(log_dir)``; its result, driver wall time,
    start and end (epoch seconds) and the blocks' intervals."""
    with tempfile.TemporaryDirectory() as out, tempfile.TemporaryDirectory() as log:
        executor = executor_of(log)
        t_start = time.time()
        result = run_study(study, seed=seed, out_dir=out, progress=False, executor=executor)
        t_end = time.time()
        blocks = _blocks(log)
    return result, t_start, t_end, blocks


def utilisation(blocks: pd.DataFrame, t_start: float, t_end: float, labels: list[str],
                width: int = 72) -> dict:
    """Blocks in flight over time, from every block's start and end on its worker."""
    b = blocks.copy()
    b["s"], b["e"] = b.t0 - t_start, b.t1 - t_start
    wall = t_end - t_start
    pids = list(b.sort_values("s").pid.drop_duplicates())
    b["worker"] = b.pid.map({p: i for i, p in enumerate(pids)})
    first, last_start, last_end = b.s.min(), b.s.max(), b.e.max()

    def busy_between(lo, hi):
        overlap = (b.e.clip(upper=hi) - b.s.clip(lower=lo)).clip(lower=0).sum()
        return overlap / (hi - lo) if hi > lo else float("nan")

    half = wall / 2
    in_first_half = sorted(set(b.label[b.s < half]))
    # Most conditions running at one moment: sweep over the block starts.
    most = max(b.label[(b.s <= t) & (b.e > t)].nunique() for t in b.s)
    # A worker going from one condition's block to another's: the idle time between them.
    gaps, switches = [], 0
    for _, w in b.sort_values("s").groupby("worker"):
        prev = None
        for row in w.itertuples():
            if prev is not None:
                gaps.append(row.s - prev.e)
                switches += row.label != prev.label
            prev = row
    # Conditions (grid order) whose first block started before the previous one's last ended.
    span = b.groupby("label").agg(first=("s", "min"), last=("e", "max")).reindex(labels)
    overlapped = int(sum(span["first"].iloc[i] < span["last"].iloc[i - 1]
                         for i in range(1, len(span))))
    # Timeline: one line per worker, one character per time bin (the condition running at
    # the bin's middle, "." for none).
    letters = dict(zip(labels, string.ascii_uppercase + string.ascii_lowercase, strict=False))
    lines = []
    for w, rows in b.groupby("worker"):
        chars = []
        for k in range(width):
            t = (k + 0.5) * wall / width
            hit = rows[(rows.s <= t) & (rows.e > t)]
            chars.append(letters[hit.label.iloc[0]] if len(hit) else ".")
        lines.append(f"worker {w}: |{''.join(chars)}|")
    return {"blocks": len(b), "workers": len(pids), "wall_s": wall,
            "first_block_s": first, "tail_s": last_end - last_start,
            "busy_until_tail": busy_between(first, last_start),
            "busy_whole_run": b.eval("e - s").sum() / wall,
            "block_s_mean": float(b.eval("e - s").mean()),
            "conditions_first_half": len(in_first_half), "conditions": len(labels),
            "most_at_once": int(most), "overlapped_neighbours": overlapped,
            "switches": int(switches), "max_gap_s": max(gaps) if gaps else 0.0,
            "mean_gap_s": sum(gaps) / len(gaps) if gaps else 0.0,
            "timeline": lines, "legend": letters}


def _rss_mib() -> float:
    """This process's resident memory now, MiB (Linux)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def memory_study(B: int, steps: int):
    """Tiny GANs (hidden layers of 4) and the empirical CDF, one functional, blocks of 1,000."""
    from gansim.gan.config import GANConfig
    from gansim.study.core import Study
    from gansim.study.methods import GAN, EmpiricalCDF

    gan = GANConfig(steps=steps, g_hidden=(4,), d_hidden=(4,))
    return Study([EmpiricalCDF(), GAN(gan)], dgp="normal", replications=B, n=20, m=50,
                 functionals=["mean"], distances=[], block_size=1000, name="memory")


class _Marked:
    """An executor whose results' end is marked: the driver's peak until then is the
    blocks', the rest of run_study's is the counting of the conditions' failures."""

    def __init__(self, inner, marks):
        self.inner, self.marks = inner, marks
        self.backend = inner.backend

    def run(self, fn, tasks, worker_check=None):
        yield from self.inner.run(fn, tasks, worker_check)
        self.marks["blocks_done"] = time.perf_counter()

    def info(self):
        return self.inner.info()

    def close(self):
        self.inner.close()


def memory_child(B: int, backend: str, steps: int, workers: int) -> dict:
    """One run from scratch in this (fresh) process; the driver's memory over it."""
    import resource
    import threading

    samples: list[tuple[float, float]] = []
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            samples.append((time.perf_counter(), _rss_mib()))
            time.sleep(0.02)

    study = memory_study(B, steps)
    marks: dict = {}
    cluster = client = None
    if backend == "dask":
        from distributed import Client, LocalCluster

        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=40)
        client = Client(cluster)
        client.run(_warm)
        executor = _Marked(DaskExecutor(client), marks)
    else:
        Parallel(n_jobs=workers)(delayed(_warm)() for _ in range(2 * workers))
        executor = _Marked(LocalExecutor(workers), marks)
    before = _rss_mib()
    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        result = run_study(study, seed=1, out_dir=out, progress=False, executor=executor)
        wall = time.perf_counter() - t0
        marks["run_study_done"] = time.perf_counter()
        # The result's rows stay in the block files: the summary and the saved files read
        # them one condition and quantity, or one block, at a time.
        summary = result.summary()
        result.save(Path(out) / "saved")
        marks["saved"] = time.perf_counter()
    stop.set()
    thread.join()

    def peak(lo, hi):
        return max((rss for t, rss in samples if lo < t <= hi), default=float("nan"))

    # Rows: each (method, quantity) group's nsim + nmiss, without reading the rows.
    rows = int(summary.loc[summary.stat.isin(["nsim", "nmiss"]), "est"].sum())
    out = {"B": B, "backend": backend, "rows": rows, "wall_s": wall,
           "blocks": -(-B // 1000), "rss_before_mib": before,
           "peak_during_blocks_mib": peak(-np.inf, marks.get("blocks_done", np.inf)),
           "peak_run_study_mib": peak(-np.inf, marks["run_study_done"]),
           "peak_summary_save_mib": peak(marks["run_study_done"], marks["saved"]),
           "maxrss_process_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    if client is not None:
        client.close()
        cluster.close()
    return out


def memory_main(args) -> None:
    import subprocess

    rows = []
    for B in args.memory_B:
        for backend in ("local", "dask"):
            print(f"B = {B:,} on {backend} ...", flush=True)
            spec = json.dumps({"B": B, "backend": backend, "steps": args.memory_steps,
                               "workers": args.workers})
            done = subprocess.run([sys.executable, __file__, "--memory-child", spec],
                                  capture_output=True, text=True, check=True)
            rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
    frame = pd.DataFrame(rows)
    lines = [
        "# Driver memory against B", "",
        f"Command: `{' '.join([Path(sys.executable).name, *sys.argv])}`  ",
        f"Date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}  ",
        f"Machine: {machine()['cores']} cores, {machine()['cpu']}", "",
        f"Tiny GANs ({args.memory_steps} steps, hidden layers of 4) and the empirical CDF, "
        f"n = 20, m = 50, blocks of 1,000, {args.workers} workers; each run from scratch in "
        "a fresh process, its blocks kept in a temporary `out_dir`. RSS in MiB of the driver "
        "process only: while the blocks run, over the whole `run_study`, and over "
        "`result.summary()` and `result.save(folder)` after it.", "",
        "| B | executor | rows | blocks | wall, s | RSS before | peak while blocks run | "
        "peak over run_study | peak over summary and save | overhead per block vs local, ms |",
        "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        local = frame[(frame.B == r["B"]) & (frame.backend == "local")].iloc[0]
        over = ("" if r["backend"] == "local" else
                f"{1e3 * (r['wall_s'] - local.wall_s) / r['blocks']:.1f}")
        lines.append(f"| {r['B']:,} | {r['backend']} | {r['rows']:,} | {r['blocks']} | "
                     f"{r['wall_s']:.1f} | {r['rss_before_mib']:.0f} | "
                     f"{r['peak_during_blocks_mib']:.0f} | {r['peak_run_study_mib']:.0f} | "
                     f"{r['peak_summary_save_mib']:.0f} | {over} |")
    text = "\n".join([*lines, ""])
    print(text)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "dask_memory.md").write_text(text)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--workers", type=int, default=2,
                   help="local processes and cluster workers (default: 2)")
    p.add_argument("--ns", type=int, nargs="+", default=[25, 50, 100])
    p.add_argument("--scale", type=float, default=0.2,
                   help="B per condition = the rates study's B times this (default 0.2: 200)")
    p.add_argument("--steps", type=int, default=500, help="GAN training steps (default 500)")
    p.add_argument("--block-size", type=int, default=50)
    p.add_argument("--seed", type=int, default=4)
    p.add_argument("--out", default=str(Path(__file__).parent / "results"))
    p.add_argument("--memory", action="store_true",
                   help="measure the driver's memory against B instead")
    p.add_argument("--memory-B", type=int, nargs="+", default=[10_000, 100_000])
    p.add_argument("--memory-steps", type=int, default=5)
    p.add_argument("--memory-child", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.memory_child:
        spec = json.loads(args.memory_child)
        print(json.dumps(memory_child(spec["B"], spec["backend"], spec["steps"],
                                      spec["workers"])))
        return
    if args.memory:
        memory_main(args)
        return
    from distributed import Client, LocalCluster, get_task_stream

    study = build_study(ns=args.ns, scale=args.scale, steps=args.steps,
                        block_size=args.block_size)
    labels = [c.label for c in study.conditions]
    B = sorted({c.replications for c in study.conditions})
    report = {"command": " ".join([Path(sys.executable).name, *sys.argv]),
              "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
              "machine": machine(), "versions": versions(),
              "settings": {"conditions": len(labels), "ns": args.ns, "B": B,
                           "steps": args.steps, "block_size": args.block_size, "m": study.m,
                           "workers": args.workers, "seed": args.seed}}

    print(f"local processes (n_jobs={args.workers}) ...", flush=True)
    # joblib keeps its worker processes between calls: start them (and import gansim there)
    # first, as the cluster's workers are started before its run.
    c0 = time.perf_counter()
    Parallel(n_jobs=args.workers)(delayed(_warm)() for _ in range(2 * args.workers))
    report["local_start_s"] = time.perf_counter() - c0
    local, t0, t1, blocks = run_once(study, args.seed,
                                     lambda log: TimedLocal(args.workers, log))
    report["local"] = utilisation(blocks, t0, t1, labels)

    print(f"LocalCluster({args.workers} workers x 1 thread) ...", flush=True)
    c0 = time.perf_counter()
    with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        client.run(_warm)
        report["cluster_start_s"] = time.perf_counter() - c0
        with get_task_stream(client) as stream:
            remote, t0, t1, blocks = run_once(study, args.seed,
                                              lambda log: TimedDask(client, log))
        report["dask"] = utilisation(blocks, t0, t1, labels)
        tasks = [s for t in stream.data if str(t["key"]).startswith("gansim-block-")
                 for s in t["startstops"] if s["action"] == "compute"]
        report["task_stream"] = {"tasks": len(tasks),
                                 "compute_s": sum(s["stop"] - s["start"] for s in tasks)}
    report["identical"] = bool(local.tidy.equals(remote.tidy))
    report["rows"] = len(local.tidy)
    report["ratio"] = report["dask"]["wall_s"] / report["local"]["wall_s"]

    text = render(report)
    print(text)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "dask.md").write_text(text)
    if not report["identical"]:
        sys.exit("the tidy frames of the two runs differ")


def render(r) -> str:
    m, v, s, lo, da = r["machine"], r["versions"], r["settings"], r["local"], r["dask"]
    ts = r["task_stream"]
    n_workers = s["workers"]
    lines = [
        "# Dask executor benchmark", "",
        f"Command: `{r['command']}`  ",
        f"Date: {r['date']}  ",
        f"Machine: {m['cores']} cores, {m['cpu']}, {m['platform']}  ",
        "Versions: " + ", ".join(f"{k} {val}" for k, val in v.items()) + "  ",
        f"distributed: {__import__('distributed').__version__}", "",
        f"Reduced rates grid: {s['conditions']} conditions (every DGP × n ∈ "
        f"{{{', '.join(map(str, s['ns']))}}}), B = {', '.join(map(str, s['B']))} per "
        f"condition, {s['steps']} GAN steps, m = {s['m']:,}, blocks of {s['block_size']} "
        f"({lo['blocks']} blocks), seed {s['seed']}; each run from scratch into its own "
        f"temporary folder. Local: `run_study(study, n_jobs={n_workers})`; dask: "
        f"`run_study(study, executor=client)` on `LocalCluster(n_workers={n_workers}, "
        "threads_per_worker=1)`; in both cases the worker processes were started (and had "
        "imported gansim) before the run, their start-up is shown apart.", "",
        f"Tidy frames identical (bit for bit, `DataFrame.equals`, {r['rows']:,} rows): "
        f"**{'yes' if r['identical'] else 'NO'}**", "",
        "| | local processes | dask LocalCluster |", "|---|---|---|",
        f"| wall time of `run_study`, s | {lo['wall_s']:.2f} | {da['wall_s']:.2f} |",
        f"| ratio to local | 1 | {r['ratio']:.3f} |",
        f"| start-up of the workers (and importing gansim there), s, not in the wall time | "
        f"{r['local_start_s']:.2f} | {r['cluster_start_s']:.2f} |",
        f"| wall time with start-up, ratio to local | 1 | "
        f"{(da['wall_s'] + r['cluster_start_s']) / (lo['wall_s'] + r['local_start_s']):.3f} |",
        f"| first block started at, s | {lo['first_block_s']:.2f} | "
        f"{da['first_block_s']:.2f} |",
        f"| mean block time, s | {lo['block_s_mean']:.2f} | {da['block_s_mean']:.2f} |",
        f"| mean busy workers (of {n_workers}), first block start → last block start | "
        f"{lo['busy_until_tail']:.2f} | {da['busy_until_tail']:.2f} |",
        f"| mean busy workers over the whole wall time | {lo['busy_whole_run']:.2f} | "
        f"{da['busy_whole_run']:.2f} |",
        f"| tail (last block start → end), s | {lo['tail_s']:.2f} | {da['tail_s']:.2f} |",
        f"| conditions with a block running in the first half of the run | "
        f"{lo['conditions_first_half']} of {lo['conditions']} | "
        f"{da['conditions_first_half']} of {da['conditions']} |",
        f"| most conditions running at one moment | {lo['most_at_once']} | "
        f"{da['most_at_once']} |",
        f"| conditions (grid order) started before the previous one finished | "
        f"{lo['overlapped_neighbours']} of {lo['conditions'] - 1} | "
        f"{da['overlapped_neighbours']} of {da['conditions'] - 1} |",
        f"| a worker's switches from one condition's block to another's | {lo['switches']} | "
        f"{da['switches']} |",
        f"| a worker's idle gap between consecutive blocks, mean / max, ms | "
        f"{1e3 * lo['mean_gap_s']:.1f} / {1e3 * lo['max_gap_s']:.1f} | "
        f"{1e3 * da['mean_gap_s']:.1f} / {1e3 * da['max_gap_s']:.1f} |",
        "",
        f"Cross-check on the cluster, from the scheduler's task stream: {ts['tasks']} block "
        f"tasks, {ts['compute_s']:.1f} s of compute (the wrapper: "
        f"{da['block_s_mean'] * da['blocks']:.1f} s).", "",
        "Every block's start and end come from a wrapper around the runner's block function "
        "(a clock read and one line appended to a log per block). Every block of every "
        "condition is submitted at once, so a worker goes on to the next block, of whatever "
        "condition, as soon as it is free: there is no barrier between conditions (the "
        "idle gap above), and with as many workers as cores at most that many conditions "
        "run at one moment, taken in grid order.", "",
        "Timeline (one character per time bin of the run's wall time, the letter of the "
        "condition whose block is running, `.` idle):", "",
        "```",
        "local processes",
        *lo["timeline"],
        "dask LocalCluster",
        *da["timeline"],
        "```", "",
        "Conditions: " + ", ".join(f"{k} {c}" for c, k in lo["legend"].items()), "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
