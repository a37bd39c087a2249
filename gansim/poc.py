"""The lecture's proof-of-concept study: X̄ and KS of F_n against X̄* and KS of a GAN's F*_n.

For each replication: draw ``n`` points from the data-generating process, compute the sample
mean X̄ and the exact KS distance sup|F_n − F|; train a GAN on the ``n`` points (all GANs of a
block at once), draw ``m`` points from it and compute X̄* and sup|F*_n − F|; and form, for both
means, the per-replication confidence intervals of :data:`INTERVAL_METHODS`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import pandas as pd
import torch
from scipy import stats

from gansim import performance as perf
from gansim.dgp import DGP, Normal
from gansim.estimators import ks_distance_batch
from gansim.gan.config import GANConfig
from gansim.gan.diagnostics import binned_jsd, collapsed, equilibrium
from gansim.gan.engine import resolve_engine, train_gans
from gansim.gan.losses import get_loss
from gansim.rng import replication_streams, torch_generator
from gansim.runner import StudyRun, run_replications

__all__ = [
    "PocDesign",
    "INTERVAL_METHODS",
    "ESTIMATORS",
    "poc_block",
    "run_poc",
    "add_mc_intervals",
    "summarise_poc",
    "write_poc_outputs",
    "COLUMNS",
    "DIAGNOSTICS",
]

#: Interval methods for the mean, each reported for X̄ and X̄*.
INTERVAL_METHODS = {
    "known": "estimate ± z·σ/√n with the true σ",
    "plugin": "estimate ± t(n−1)·s/√n, s the sd of the sample the estimator sees "
              "(the n data points for X̄, the m GAN draws for X̄*)",
    "mc": "estimate ± z·EmpSE, EmpSE the sd of the estimates across replications "
          "(Monte-Carlo calibrated; known only after the study)",
}

#: The two estimators of the mean and the sample each one sees.
ESTIMATORS = {"xbar": "sd", "xbar_star": "sd_star"}

_STATS = ["xbar", "sd", "ks", "xbar_star", "sd_star", "ks_star"]
#: Columns of the replications frame, in order.
#: Equilibrium and failure diagnostics of each replication's GAN
#: (:mod:`gansim.gan.diagnostics`).
DIAGNOSTICS = ["d_real", "d_fake", "value", "jsd_star", "collapsed"]
#: Columns of the replications frame, in order (the diagnostics last, so the columns of
#: earlier results keep their positions).
COLUMNS = ["rep", "seed", "spawn_key", "status", "error", *_STATS] + [
    f"{e}_{part}_{m}" for e in ESTIMATORS for m in INTERVAL_METHODS
    for part in ("lo", "hi", "cover")] + DIAGNOSTICS


@dataclass(frozen=True)
class PocDesign:
    """Settings of the proof-of-concept study (everything but B, the seed and n_jobs).

    Parameters
    ----------
    n : int
        Data points per replication (>= 2).
    m : int
        Draws from each trained GAN (>= 2).
    dgp : DGP
        Data-generating process; its ``mean``, ``sd`` and ``cdf`` are the truths.
    gan : GANConfig
        GAN architecture and training recipe.
    level : float
        Confidence level of the intervals.
    block_size : int
        Replications trained together; fixes the floating-point path of each replication.
    device : str
        ``"cpu"`` or ``"cuda"``.
    """

    n: int = 100
    m: int = 10_000
    dgp: DGP = field(default_factory=Normal)
    gan: GANConfig = field(default_factory=GANConfig)
    level: float = 0.95
    block_size: int = 100
    device: str = "cpu"

    def __post_init__(self):
        for name, low in (("n", 2), ("m", 2), ("block_size", 1)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
                raise ValueError(f"`{name}` must be an integer >= {low}, got {value!r}.")
        if not (0.0 < float(self.level) < 1.0):
            raise ValueError(f"`level` must be in (0, 1), got {self.level!r}.")
        if not isinstance(self.gan, GANConfig):
            raise TypeError(f"`gan` must be a GANConfig, got {type(self.gan).__name__}.")
        object.__setattr__(self, "device", _check_device(self.device))

    def settings(self) -> dict:
        """JSON-able settings that determine the results (for run records and resume)."""
        return {
            "study": "poc", "n": self.n, "m": self.m, "dgp": repr(self.dgp),
            "gan": self.gan.to_dict(), "level": self.level, "block_size": self.block_size,
            "device": self.device,
        }


def _check_device(device) -> str:
    name = str(device)
    kind = name.split(":")[0]
    if kind not in ("cpu", "cuda"):
        raise ValueError(f"`device` must be 'cpu' or 'cuda', got {device!r}.")
    if kind == "cuda" and not torch.cuda.is_available():
        raise ValueError("`device` 'cuda' was asked for, but torch sees no CUDA GPU here; "
                         "use device='cpu'.")
    return name


def _mean_intervals(est, sd, *, sigma, n, level):
    z = stats.norm.ppf(0.5 + level / 2)
    t = stats.t.ppf(0.5 + level / 2, df=n - 1)
    half = {"known": np.full_like(est, z * sigma / math.sqrt(n)), "plugin": t * sd / math.sqrt(n)}
    return {m: (est - h, est + h) for m, h in half.items()}


def poc_block(reps, seed: int, design: PocDesign) -> pd.DataFrame:
    """Run replications ``reps`` of the study; one row each (see :func:`run_poc`)."""
    dgp = design.dgp
    streams = [replication_streams(seed, r) for r in reps]
    data = np.stack([dgp.sample(design.n, s.data_rng()) for s in streams])
    ok = np.isfinite(data).all(axis=1)
    error = np.where(ok, "", "non-finite data from the data-generating process").astype(object)
    # A replication with bad data still trains (on zeros) so that the block's shape, and so
    # every other replication's arithmetic, stays the same; its row is marked failed.
    train_data = np.where(ok[:, None], data, 0.0)

    block = train_gans(train_data, design.gan, init_seeds=[s.init for s in streams],
                       noise_seeds=[s.noise for s in streams], device=design.device)
    gens = [torch_generator(s.draws, design.device) for s in streams]
    with torch.no_grad():
        draws_t = block.sample(design.m, gens)
        diag = equilibrium(block, torch.as_tensor(train_data, device=design.device), draws_t)
    draws = draws_t.to(torch.float64).cpu().numpy()
    finite = np.isfinite(draws).all(axis=1)
    error = np.where(ok & ~finite, "training diverged: non-finite GAN draws", error)
    ok &= finite
    d_finite = np.isfinite(diag["d_real"]) & np.isfinite(diag["d_fake"])
    error = np.where(ok & ~d_finite, "training diverged: non-finite discriminator output",
                     error)
    ok &= d_finite
    draws[~ok] = 0.0  # kept out of the distances; their rows are failed

    frame = pd.DataFrame({
        "rep": np.asarray(reps, dtype=np.int64),
        "seed": np.int64(seed),
        "spawn_key": [s.spawn_key for s in streams],
        "status": np.where(ok, "ok", "failed"),
        "error": error,
        "xbar": train_data.mean(axis=1),
        "sd": train_data.std(axis=1, ddof=1),
        "ks": ks_distance_batch(train_data, dgp.cdf),
        "xbar_star": draws.mean(axis=1),
        "sd_star": draws.std(axis=1, ddof=1),
        "ks_star": ks_distance_batch(draws, dgp.cdf),
    })
    frame.loc[~ok, _STATS] = np.nan
    for est, sd_col in ESTIMATORS.items():
        bounds = _mean_intervals(frame[est].to_numpy(), frame[sd_col].to_numpy(),
                                 sigma=dgp.sd, n=design.n, level=design.level)
        for method, (lo, hi) in bounds.items():
            _set_interval(frame, est, method, lo, hi, dgp.mean)
    for name in ("d_real", "d_fake", "value"):
        frame[name] = np.where(ok, diag[name], np.nan)
    frame["jsd_star"] = np.where(ok, binned_jsd(draws, dgp.ppf), np.nan)
    flag = collapsed(sd_star=frame["sd_star"], sd=frame["sd"], ks_star=frame["ks_star"],
                     n=design.n)
    frame["collapsed"] = pd.array(np.where(ok, flag, pd.NA), dtype="boolean")
    return frame


def _set_interval(frame, est, method, lo, hi, truth):
    frame[f"{est}_lo_{method}"] = lo
    frame[f"{est}_hi_{method}"] = hi
    cover = (lo <= truth) & (truth <= hi)
    frame[f"{est}_cover_{method}"] = pd.array(np.where(np.isfinite(lo), cover, pd.NA),
                                              dtype="boolean")


def add_mc_intervals(frame: pd.DataFrame, design: PocDesign) -> pd.DataFrame:
    """Add the Monte-Carlo calibrated intervals, which need every replication's estimate."""
    out = frame.copy()
    z = stats.norm.ppf(0.5 + design.level / 2)
    for est in ESTIMATORS:
        values = out[est].to_numpy(dtype=float)
        empse = np.nanstd(values, ddof=1)
        _set_interval(out, est, "mc", values - z * empse, values + z * empse, design.dgp.mean)
    return out


def run_poc(*, replications: int = 10_000, seed: int = 2020, design: PocDesign | None = None,
            n_jobs: int = 1, out_dir=None, progress: bool = True,
            overwrite: bool = False) -> StudyRun:
    """Run the proof-of-concept study.

    Parameters
    ----------
    replications : int
        B.
    seed : int
        Study seed; replication ``r``'s data, GAN initialisation, training noise and GAN
        draws derive from ``(seed, r)``.
    design : PocDesign, optional
        Defaults to the lecture's settings: n = 100 from N(0, 1), m = 10,000.
    n_jobs : int
        Worker processes; the results do not depend on it.
    out_dir : path, optional
        Keep finished blocks in ``out_dir/blocks`` and resume from them.
    progress, overwrite : bool
        See :func:`gansim.runner.run_replications`.

    Returns
    -------
    StudyRun
        ``replications`` has one row per replication: ``rep``, ``seed``, ``spawn_key``,
        ``status``, ``error``, ``xbar``, ``sd``, ``ks``, ``xbar_star``, ``sd_star``,
        ``ks_star``, ``{xbar,xbar_star}_{lo,hi,cover}_{known,plugin,mc}`` and the diagnostics
        ``d_real``, ``d_fake``, ``value``, ``jsd_star``, ``collapsed``
        (:mod:`gansim.gan.diagnostics`).

    Examples
    --------
    >>> run = run_poc(replications=4, seed=1, progress=False,
    ...               design=PocDesign(n=50, m=500, gan=GANConfig(steps=50), block_size=4))
    >>> run.replications[["xbar", "xbar_star"]].shape
    (4, 2)
    """
    design = PocDesign() if design is None else design
    if isinstance(replications, bool) or not isinstance(replications, (int, np.integer)) \
            or replications < 2:
        raise ValueError(f"`replications` must be an integer >= 2, got {replications!r}.")
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, (int, np.integer)) or n_jobs == 0 \
            or n_jobs < -1:
        raise ValueError(f"`n_jobs` must be a positive integer or -1, got {n_jobs!r}.")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"`seed` must be a non-negative integer, got {seed!r}.")
    run = run_replications(partial(poc_block, design=design), replications=replications,
                           block_size=design.block_size, seed=seed, settings=design.settings(),
                           out_dir=out_dir, n_jobs=n_jobs, progress=progress,
                           overwrite=overwrite, desc="poc")
    # Blocks that raised come back with the bookkeeping columns only.
    frame = add_mc_intervals(run.replications.reindex(columns=COLUMNS), design)
    return StudyRun(frame, run.wall_time, run.blocks_computed, run.blocks_resumed)


def summarise_poc(frame: pd.DataFrame, design: PocDesign) -> pd.DataFrame:
    """Performance measures with MCSE, as a long frame ``estimator, measure, method, value,
    mcse``.

    Measures over the replications with ``status == "ok"``: for X̄ and X̄*, mean, bias,
    variance, empirical SE, MSE and coverage per interval method; the Cramér–Rao bound
    σ²/n and the coverage band; X̄* against X̄ (paired): relative precision and variance
    ratio; the KS distances: mean and quantiles, the share of replications with KS* < KS and
    the mean paired difference; the mean sd of the GAN draws; the diagnostics of
    :mod:`gansim.gan.diagnostics` (means of `d_real`, `d_fake`, `value`, `jsd_star` beside
    their equilibrium levels `d_eq`, `value_eq`, and the share of collapsed GANs); counts of
    ok and failed.
    """
    ok = frame[frame["status"] == "ok"]
    B = len(ok)
    if B < 2:
        raise ValueError(f"only {B} of {len(frame)} replications succeeded; at least 2 are "
                         "needed for performance measures (see the `error` column).")
    dgp = design.dgp
    parts = [
        perf.summarise_estimates(ok, {"xbar": "xbar", "xbar_star": "xbar_star"},
                                 truth=dgp.mean),
        perf.summarise_coverage(ok, {(e, m): f"{e}_cover_{m}" for e in ESTIMATORS
                                     for m in INTERVAL_METHODS}),
    ]
    rows = []

    def add(estimator, measure, m, method=""):
        rows.append({"estimator": estimator, "measure": measure, "method": method,
                     "value": float(m.value), "mcse": float(m.mcse)})

    exact = perf.Measure(dgp.var / design.n, 0.0)
    add("truth", "cr_bound", exact)
    low, high = perf.coverage_band(design.level, B)
    add("truth", "cover_band_low", perf.Measure(low, 0.0))
    add("truth", "cover_band_high", perf.Measure(high, 0.0))
    xs, x = ok["xbar_star"].to_numpy(), ok["xbar"].to_numpy()
    add("xbar_star", "relprec_vs_xbar", perf.relprec(x, xs))
    add("xbar_star", "var_ratio_vs_xbar", perf.variance_ratio(xs, x))
    for est in ("ks", "ks_star", "sd", "sd_star"):
        add(est, "mean", perf.mean(ok[est].to_numpy()))
    for est in ("ks", "ks_star"):
        for q in (0.05, 0.5, 0.95):
            add(est, f"q{q:.2f}", perf.quantile(ok[est].to_numpy(), q))
    add("ks_star - ks", "mean", perf.mean_difference(ok["ks_star"].to_numpy(),
                                                     ok["ks"].to_numpy()))
    add("ks_star < ks", "prop", perf.proportion((ok["ks_star"] < ok["ks"]).to_numpy()))
    _add_diagnostics(ok, design, add)
    add("study", "n_ok", perf.Measure(B, 0.0))
    add("study", "n_failed", perf.Measure(len(frame) - B, 0.0))
    parts.append(pd.DataFrame(rows))
    return pd.concat(parts, ignore_index=True)


def _add_diagnostics(ok: pd.DataFrame, design: PocDesign, add):
    """Summary rows of the equilibrium and failure diagnostics, beside their equilibrium
    levels; skipped for frames made before the diagnostics existed."""
    if not set(DIAGNOSTICS) <= set(ok) or ok["d_real"].isna().all():
        return
    loss = get_loss(design.gan.loss)
    add("truth", "value_eq", perf.Measure(loss.value_at_equilibrium, 0.0))
    if loss.kind != "w":
        add("truth", "d_eq", perf.Measure((1.0 - design.gan.label_smoothing) / 2, 0.0))
    for name in ("d_real", "d_fake", "value", "jsd_star"):
        add(name, "mean", perf.mean(ok[name].to_numpy(dtype=float)))
    add("collapsed", "prop", perf.proportion(ok["collapsed"].to_numpy(dtype=bool)))


def write_poc_outputs(out_dir, run: StudyRun, design: PocDesign, *, seed: int, n_jobs: int,
                      started: str) -> pd.DataFrame:
    """Write replications.csv, summary.csv, table.md, mean.png, ks.png and run.json.

    Every file goes through a temporary name, so an interrupted write leaves no half file.
    Returns the summary frame.
    """
    from pathlib import Path

    from gansim import report

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    frame = run.replications
    summary = summarise_poc(frame, design)
    report.write_atomic(out / "replications.csv", frame.to_csv(index=False))
    report.write_atomic(out / "summary.csv", summary.to_csv(index=False))
    dgp = design.dgp
    n_ok = int((frame["status"] == "ok").sum())
    header = (f"# Proof of concept: X̄ and F_n against a GAN's X̄* and F*_n\n\n"
              f"Data: n = {design.n} from {dgp!r}; m = {design.m:,} GAN draws per "
              f"replication; seed {seed}; {run.n_failed} failed replications.")
    report.write_atomic(out / "table.md", report.poc_table(
        summary, B=n_ok, n=design.n, sigma=dgp.sd, level=design.level, header=header))
    for name, plot, kwargs in (
            ("mean.png", report.plot_means, {"mean": dgp.mean, "sd": dgp.sd, "n": design.n}),
            ("ks.png", report.plot_ks, {"n": design.n})):
        tmp = out / f"tmp-{name}"
        plot(frame, tmp, **kwargs)
        tmp.replace(out / name)
    failed = frame.loc[frame["status"] != "ok", ["rep", "seed", "spawn_key", "error"]]
    report.write_run_record(
        out / "run.json", seed=seed, replications=len(frame), n_jobs=n_jobs,
        settings=design.settings(), engine=resolve_engine(design.gan, design.device),
        started=started, wall_time_s=round(run.wall_time, 1),
        blocks_computed=run.blocks_computed, blocks_resumed=run.blocks_resumed,
        n_failed=run.n_failed, failed=failed.to_dict(orient="records")[:100])
    return summary
