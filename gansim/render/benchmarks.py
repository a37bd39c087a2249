"""The performance table of the documentation's performance page (docs/guide/performance.md),
rendered from the engine benchmark's last output (``benchmarks/results/engine.json``,
written by ``python benchmarks/bench_engine.py``)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from gansim.render.common import read_json
from gansim.summary.text import md_table, num

__all__ = ["fragments"]


def _met(value, target, *, at_most=False) -> str:
    ok = value <= target if at_most else value >= target
    return "met" if ok else "not met"


def engine_table(bench: dict) -> str:
    """The benchmark's figures against its targets, as a Markdown table."""
    lv = bench["loop_vs_engine"]
    peers = bench.get("peers", {})
    flops = bench["flops"]
    full = bench["full_study"]
    tg = bench["targets"]
    rows = [
        ("per-replication loop",
         f"{num(lv['loop_us_per_rep_step'], 0)} µs per replication-step "
         f"({num(lv['loop_core_us_per_rep_step'], 0)} per core)", ""),
        (f"fused engine (default), blocks of {bench['settings']['block_size']}",
         f"{num(lv['fused']['us_per_rep_step'], 2)} µs per replication-step "
         f"({num(lv['fused']['core_us_per_rep_step'], 1)} per core)", ""),
        ("batched PyTorch engine, same blocks",
         f"{num(lv['torch']['us_per_rep_step'], 2)} µs per replication-step "
         f"({num(lv['torch']['core_us_per_rep_step'], 1)} per core)", ""),
    ]
    tc = peers.get("torch_compile")
    if tc:
        rows.append(("torch.compile peer (torch.func vmap + grad, whole step compiled; "
                     f"compile {num(tc['compile_s'], 0)} s once)",
                     f"{num(tc['us_per_rep_step'], 2)} µs per replication-step "
                     f"({num(tc['core_us_per_rep_step'], 1)} per core)", ""))
    jx = peers.get("jax")
    if jx:
        rows.append(("JAX peer (jax.vmap + grad under jax.jit; "
                     f"compile {num(jx['compile_s'], 1)} s once)",
                     f"{num(jx['us_per_rep_step'], 2)} µs per replication-step "
                     f"({num(jx['core_us_per_rep_step'], 1)} per core)", ""))
    sp = lv["fused"]["speedup"]
    rows.append(("speed-up of the fused engine over the loop, same cores",
                 f"{num(sp, 1)}× (PyTorch engine: {num(lv['torch']['speedup'], 1)}×)",
                 f"≥ {num(tg['speedup'], 0)}×: {_met(sp, tg['speedup'])}"))
    if tc:
        rows.append(("speed-up of the fused engine over the torch.compile peer",
                     f"{num(tc['fused_speedup'], 2)}×"
                     + (f" (over JAX: {num(jx['fused_speedup'], 2)}×)" if jx else ""),
                     f"≥ {num(tg['vs_torch_compile'], 1)}×: "
                     f"{_met(tc['fused_speedup'], tg['vs_torch_compile'])}"))
    fr = flops["fused"]["fraction"]
    rows.append(("fused engine GFLOP/s / large fp32 matmul GFLOP/s, same run",
                 f"{num(flops['fused']['gflops'], 0)} / {num(flops['matmul_gflops'], 0)} = "
                 f"{num(100 * fr, 0)}% (PyTorch engine "
                 f"{num(100 * flops['torch']['fraction'], 0)}%)",
                 f"≥ {num(100 * tg['flop_fraction'], 0)}%: {_met(fr, tg['flop_fraction'])}"))
    rows.append((f"full study, B = {num(full['B'], 0)}, {full['jobs']} workers",
                 f"{num(full['wall_s'], 0)} s",
                 f"≤ {num(tg['full_study_s'], 0)} s: "
                 f"{_met(full['wall_s'], tg['full_study_s'], at_most=True)}"))
    rows.append(("its peak memory (PSS, all processes)", f"{num(full['peak_gib'], 2)} GiB",
                 f"≤ {num(tg['peak_gib'], 0)} GiB: "
                 f"{_met(full['peak_gib'], tg['peak_gib'], at_most=True)}"))
    frame = pd.DataFrame(rows, columns=["figure", "measured", "target"])
    m = bench["machine"]
    v = bench["versions"]
    head = (f"The benchmark's last output (`{bench['command']}`, on a {m['cores']}-core "
            f"{m['cpu']}, torch {v['torch']}"
            + (f", JAX {v['jax']}" if "jax" in v else "") + "; all figures in "
            "[`benchmarks/results/engine.md`](benchmarks/results/engine.md)):")
    return head + "\n\n" + md_table(frame, align="lll")


def fragments(results: Path) -> dict[str, str]:
    """``{"engine-table": ...}`` from ``benchmarks/results/engine.json`` beside ``results``."""
    path = Path(results).parent / "benchmarks" / "results" / "engine.json"
    if not path.is_file():
        return {}
    return {"engine-table": engine_table(read_json(path))}
