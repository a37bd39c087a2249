"""The GAN beyond the normal latent, reported: the default recipe, the large budget, each
new generator option and the best combination (all chosen beforehand by
``python -m gansim generators_tuning``, on its own seed and designs) against F_n and two
smoothed bootstraps, on six DGPs and n = 50 to 3,200.

Methods: ``ecdf`` (F_n, evaluated exactly), ``smoothed`` (the smoothed bootstrap, nrd0
bandwidth), ``smoothed_cdf`` (variance-corrected, cdf bandwidth ∝ n^(-1/3)), ``gan`` (the
default recipe: width 16, 2,000 steps, normal latent), ``gan_large`` (width 32, 8,000 steps;
n ≤ 400 only, where it answers whether budget alone closes the gap -- results/rates_floor
has it up to 800), ``gan_pareto``, ``gan_mixture`` and ``gan_grow`` (the tuning's winner of
each family: Pareto latent, mixture latent, budget growing with n) and ``gan_best`` (the
tuning's best combination).  All GANs: fused engine, Philox noise, standardised data.

Measured per replication: KS at m = 10^6 draws and of their first 10^4 (``ks_m1e4``: m as a
paired factor at no training cost); the five functionals (mean, median, sd, q10, q90); the
tail index of the draws by Hill's estimator on their ⌈√m⌉ largest excesses over their
median (``tail_index``: the top 0.1% at m = 10^6; F_n's from the data; against the DGP's:
3 for t3, infinite otherwise); the Pareto latent's tail index estimated from each data set
(``latent_tail``, on F_n's row: the index its GANs trained with); for the bimodal mixture
the probability in its gap, the density minimum ± a quarter of the distance between the
modes (``gap_mass``).  From these the outputs: the share of replications where each GAN's
KS beats F_n's, with its exact (Clopper-Pearson) 95% interval; paired differences with
MCSEs; floors a + b·n^−c with F_n as the positive control (its c must come out ½ within its
interval, else that DGP's fits are not trusted) and a test of a = 0 with c fixed at ½.

Design: the six DGPs (gansim.study.dgp defaults), n = 50, 100, 200, 400, 800, 1600, 3200,
B = 200 at n = 100 (the shares, tail index and gap mass the answers rest on) and 50 at every
other n (the points of the floor fits, each a mean KS with its MCSE), seed 2202 (the tuning
uses 2201; no other shipped study uses either).  Parts, each resumable in
``<out>/parts/<dgp>-<small|large>/``: per DGP the sample sizes up to 400 (all methods) and
from 800 (without ``gan_large``); ``--ns 50 100 200 400`` runs the small parts alone.
Wall time, estimated by :func:`plan` from figures fitted to the committed run's parts
(about 45 GANs of 2,000 steps per second at n = 100 on 2 cores, linear in n and steps and
quadratic in width; m = 10^6 draws with their KS and functionals about 0.24 s per sampled
method and replication): about 15 minutes per small part and 17 per large part with the
tuned settings (a budget growing as (n/100)^0.5 at n = 3,200 is most of a large part),
about 3.3 hours in all; each part's computing time is recorded in its ``compute.json`` and
in ``run.json``, and a part resumes block by block, so an interruption loses at most the
blocks in progress.
``--scale`` and ``--ns`` trade B and the
grid against time, and :func:`plan` says what a choice costs.  Writes replications.csv.gz,
summary.csv, paired.csv, shares.csv, floor.csv, chosen.json and run.json, by default into
results/generators/.

    python -m gansim generators --n-jobs 2 --no-progress   # after the tuning study
    python -m gansim generators --quick --untuned --out /tmp/g   # a smoke run (seconds)
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from gansim._files import read_json, write_csv, write_run_record, write_text
from gansim._validation import Integer, Real, validate_params
from gansim.studies._common import (
    add_device_argument,
    m_arg,
    n_arg,
    run_options,
    scale_arg,
    steps_arg,
    width_arg,
)
from gansim.studies.generators_tuning import (
    CANDIDATES,
    base_config,
    combine,
    train_seconds,
)
from gansim.studies.rates_floor import KSFirst
from gansim.study.core import Study, run_study
from gansim.study.design import condition_grid
from gansim.study.dgp import make_dgp
from gansim.study.functionals import Functional, GapMass, TailIndex, mixture_gap
from gansim.study.methods import GAN, EmpiricalCDF, SmoothedBootstrap
from gansim.study.runner import REUSED_KEY, SETTINGS_FILE
from gansim.summary import convergence
from gansim.summary.simsum import summarise

__all__ = ["DEFAULTS", "DESCRIPTION", "LatentTail", "PLAN_DRAW_S", "PLAN_RATE", "UNTUNED",
           "add_arguments", "build_part", "blocks_code", "compute_time", "floors",
           "gan_options", "main", "methods", "plan", "replications", "shares", "write_outputs"]

DESCRIPTION = __doc__
DEFAULTS = {"seed": 2202, "out": "results/generators"}

DGPS = ("normal", "t", "lognormal", "mixture", "gamma", "uniform")
NS = (50, 100, 200, 400, 800, 1600, 3200)
#: The sample size of the headline claims (the lecture's n = 100).
HEADLINE_N = 100
#: B at :data:`HEADLINE_N` (the shares with their exact intervals, the tail index, the gap
#: mass), at ``--scale 1``.
B = 200
#: B at every other n (the points of the floor fits), at ``--scale 1``: a multiple of the
#: block size, so that a larger B later adds replications without changing any number.
B_FLOOR = 50
M = 1_000_000
M_SMALL = 10_000
#: The largest n of the part that includes ``gan_large``.
LARGE_UP_TO = 400
GANS = ("gan", "gan_large", "gan_pareto", "gan_mixture", "gan_grow", "gan_best")
AGAINST = ("ecdf", "smoothed", "smoothed_cdf")
#: The settings used with ``--untuned`` (no tuning results): one stated candidate per
#: family and their union as the "best" -- for smoke runs, not for reporting.
UNTUNED = {"winners": {"pareto": {"label": "pareto_hill", "options": CANDIDATES["pareto_hill"]},
                       "mix": {"label": "mix_k2_s6", "options": CANDIDATES["mix_k2_s6"]},
                       "grow": {"label": "grow_s05", "options": CANDIDATES["grow_s05"]}},
           "best": {"label": "pareto_hill+mix_k2_s6+grow_s05",
                    "options": combine(CANDIDATES["pareto_hill"], CANDIDATES["mix_k2_s6"],
                                       CANDIDATES["grow_s05"])}}


def gan_options(chosen: dict) -> dict[str, dict]:
    """The options of ``gan_pareto``, ``gan_mixture``, ``gan_grow`` and ``gan_best`` from the
    tuning's ``chosen.json`` (or :data:`UNTUNED`).

    Examples
    --------
    >>> gan_options(UNTUNED)["gan_grow"]
    {'steps_power': 0.5}
    """
    try:
        w = chosen["winners"]
        return {"gan_pareto": dict(w["pareto"]["options"]),
                "gan_mixture": dict(w["mix"]["options"]),
                "gan_grow": dict(w["grow"]["options"]),
                "gan_best": dict(chosen["best"]["options"])}
    except (KeyError, TypeError) as exc:
        raise ValueError(f"the tuning's chosen settings lack {exc}: expected the chosen.json "
                         "of `python -m gansim generators_tuning`") from None


def methods(options: dict[str, dict], *, large: bool, steps: int = 2000,
            steps_large: int = 8000, width_large: int = 32, engine: str = "fused") -> list:
    """F_n, the two smoothed bootstraps and the GANs (``gan_large`` only when ``large``)."""
    base = base_config(steps, engine)
    big = replace(base, steps=steps_large, g_hidden=(width_large,) * 2,
                  d_hidden=(width_large,) * 2)
    out = [EmpiricalCDF(), SmoothedBootstrap("nrd0"),
           SmoothedBootstrap("cdf", shrink=True, label="smoothed_cdf"),
           GAN(base, label="gan")]
    if large:
        out.append(GAN(big, label="gan_large"))
    for label in ("gan_pareto", "gan_mixture", "gan_grow", "gan_best"):
        out.append(GAN(replace(base, **options[label]), label=label))
    return out


def replications(n: int, scale: float = 1.0) -> int:
    """B at sample size ``n``: :data:`B` at :data:`HEADLINE_N`, :data:`B_FLOOR` elsewhere,
    times ``scale`` (at least 2).

    Examples
    --------
    >>> replications(100), replications(3200), replications(100, 0.5)
    (200, 50, 100)
    """
    return max(2, round((B if int(n) == HEADLINE_N else B_FLOOR) * scale))


def build_part(dgp: str, ns, options: dict[str, dict], *, scale: float = 1.0, m: int = M,
               steps: int = 2000, steps_large: int = 8000, width_large: int = 32,
               device: str = "cpu") -> Study:
    """One part: ``dgp`` at sample sizes ``ns``, B = :func:`replications` of each n;
    ``gan_large`` when every n is at most :data:`LARGE_UP_TO`."""
    if not (isinstance(scale, int | float) and math.isfinite(scale) and scale > 0):
        raise ValueError(f"`scale` must be a positive number, got {scale!r}.")
    truth = make_dgp(dgp)
    design = condition_grid(lambda f: replications(f["n"], scale), dgp=[dgp],
                            n=[int(n) for n in ns])
    functionals: dict = {k: k for k in ("mean", "median", "sd", "q10", "q90")}
    small = min(m, M_SMALL)
    functionals["ks_m1e4"] = Functional(KSFirst(truth, small), truth=None,
                                        description=f"KS of the first {small:,} draws")
    functionals["tail_index"] = TailIndex()
    functionals["latent_tail"] = Functional(
        LatentTail(), truth=None, description="the Pareto latent's Hill tail index of the "
        "standardised sample (F_n's row: the index the GANs trained with)")
    if dgp == "mixture":
        functionals["gap_mass"] = GapMass(*mixture_gap(truth))
    engine = "fused" if device == "cpu" else "torch"
    large = max(ns) <= LARGE_UP_TO
    return Study(methods(options, large=large, steps=steps, steps_large=steps_large,
                         width_large=width_large, engine=engine),
                 design=design, m=m, functionals=functionals, distances=("ks",),
                 block_size=10, device=device, name="generators")


class LatentTail:
    """The tail index ``GANConfig(latent="pareto", latent_tail="hill")`` takes from a
    sample (:func:`gansim.gan.latent.latent_tails` of the standardised sample): on F_n's
    row (the data) the index that replication's Pareto-latent GANs trained with (picklable,
    for worker processes).

    Examples
    --------
    >>> x = np.random.default_rng(0).standard_t(3, 400)
    >>> 1.0 <= LatentTail()(x) <= 50.0
    True
    """

    def __call__(self, x: np.ndarray) -> float:
        from gansim.gan.config import GANConfig
        from gansim.gan.latent import latent_tails

        x = np.asarray(x, dtype=np.float64)
        z = (x - x.mean()) / x.std(ddof=1)
        return float(latent_tails(GANConfig(latent="pareto"), z[None, :])[0])

    def __repr__(self) -> str:
        return "LatentTail()"


def _parts(ns) -> list[tuple[str, list[int]]]:
    small = sorted(n for n in ns if n <= LARGE_UP_TO)
    large = sorted(n for n in ns if n > LARGE_UP_TO)
    return [(name, part) for name, part in (("small", small), ("large", large)) if part]


#: The figures :func:`plan` prices a part with, fitted by least squares to the committed
#: run's twelve parts (their computing times, ``parts/<part>/compute.json``, against each
#: part's GANs and sampled methods): this study's GANs trained at about 45 default-recipe
#: equivalents per second at n = 100 on 2 cores (the proof of concept's GANs at 55,
#: :data:`~gansim.studies.generators_tuning.RATE`; the difference, from the new latents'
#: sampling and the nine methods' per-replication work, is not separated here), and each
#: sampled method's m = 10^6 draws with their KS, functionals and tail index took about
#: 0.24 s per replication.
PLAN_RATE, PLAN_DRAW_S = 45.0, 0.24


@validate_params(scale=Real(0, closed="neither"), m=Integer(1),
                 rate=Real(0, closed="neither"), draw_s=Real(0))
def plan(options: dict[str, dict] | None = None, *, dgps=DGPS, ns=NS, scale: float = 1.0,
         m: int = M, rate: float = PLAN_RATE, draw_s: float = PLAN_DRAW_S) -> pd.DataFrame:
    """Estimated wall time of every part, in seconds, from stated figures: ``rate`` GANs of
    2,000 steps at width 16 per second at n = 100 (cost linear in n and steps, quadratic in
    width) and ``draw_s`` seconds per sampled method and replication at m = 10^6 (linear in
    m; F_n is evaluated exactly); both default to :data:`PLAN_RATE` and :data:`PLAN_DRAW_S`,
    fitted to the committed run's parts.

    Examples
    --------
    >>> p = plan(UNTUNED)
    >>> list(p.columns)
    ['dgp', 'part', 'ns', 'B', 'train_s', 'draws_s', 'total_s']
    """
    options = gan_options(options or UNTUNED)
    rows = []
    for dgp in dgps:
        for name, part in _parts(ns):
            # Each GAN as its options on the default recipe (cost() prices them at each n).
            gans = [{}] + [options[k] for k in
                           ("gan_pareto", "gan_mixture", "gan_grow", "gan_best")]
            if name == "small":
                gans.append(dict(steps=8000, g_hidden=(32, 32), d_hidden=(32, 32)))
            train = draws = 0.0
            for n in part:
                Bc = replications(n, scale)
                for opts in gans:
                    train += Bc * train_seconds(opts, n, rate)
                draws += Bc * (2 + len(gans)) * draw_s * m / 1e6
            rows.append({"dgp": dgp, "part": name, "ns": part,
                         "B": [replications(n, scale) for n in part],
                         "train_s": round(train), "draws_s": round(draws),
                         "total_s": round(train + draws)})
    return pd.DataFrame(rows)


def shares(tidy: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Per (dgp, n, GAN, quantity in ks/ks_m1e4): the share of replications where the GAN's
    distance is below F_n's (both ok), with its exact Clopper-Pearson interval.

    Examples
    --------
    >>> t = pd.DataFrame({"dgp": "x", "n": 10, "rep": [0, 0, 1, 1],
    ...                   "method": ["ecdf", "gan", "ecdf", "gan"], "quantity": "ks",
    ...                   "estimate": [0.2, 0.1, 0.2, 0.3], "status": "ok"})
    >>> shares(t)[["method", "wins", "B", "share"]].to_dict(orient="records")
    [{'method': 'gan', 'wins': 1, 'B': 2, 'share': 0.5}]
    """
    rep = "rep" if "rep" in tidy.columns else "replication"
    ok = tidy[(tidy.status == "ok") & tidy.quantity.isin(["ks", "ks_m1e4"])]
    wide = ok.pivot_table(index=["dgp", "n", "quantity", rep], columns="method",
                          values="estimate")
    rows = []
    for gan in [c for c in wide.columns if c.startswith("gan")]:
        if "ecdf" not in wide.columns:
            break
        pair = wide[[gan, "ecdf"]].dropna()
        for (dgp, n, q), g in pair.groupby(level=["dgp", "n", "quantity"]):
            k, b = int((g[gan] < g["ecdf"]).sum()), len(g)
            ci = stats.binomtest(k, b).proportion_ci(level, method="exact")
            rows.append({"dgp": dgp, "n": int(n), "method": gan, "quantity": q, "wins": k,
                         "B": b, "share": k / b, "lower": ci.low, "upper": ci.high})
    return pd.DataFrame(rows)


def floors(summary: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Floor fits of mean KS (at m and at its first 10^4): a + b·n^−c free, and with c = ½,
    the latter with the one-sided p-value of a = 0 against a > 0; ``control_ok`` says
    whether F_n's free c interval holds ½ for that DGP and quantity (else do not trust)."""
    parts = []
    for q in ("ks", "ks_m1e4"):
        if not ((summary.quantity == q) & (summary.stat == "mean")).any():
            continue
        free = convergence.floor_fits(summary, q, level=level).assign(fit="free")
        half = convergence.floor_fits(summary, q, c=0.5, level=level).assign(fit="c=1/2")
        if not half.empty:
            half["p_a0"] = stats.norm.sf(half.a / half.se_a)
        both = pd.concat([free, half], ignore_index=True)
        if not free.empty:
            ctl = free[free.method == "ecdf"].set_index("dgp")
            ok = {d: bool(r.c_low <= 0.5 <= r.c_high) for d, r in ctl.iterrows()}
            both["control_ok"] = both.dgp.map(ok)
        parts.append(both)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def _paired(tidy: pd.DataFrame) -> pd.DataFrame:
    """Every GAN against each competitor and against the default recipe: paired stats, one
    :func:`summarise` per reference."""
    out = []
    present = set(tidy.method)
    gans = [g for g in GANS if g in present]
    for ref in [*AGAINST, "gan"]:
        if ref not in present:
            continue
        mine = [g for g in gans if g != ref]
        rows = summarise(tidy[tidy.method.isin([*mine, ref])], by=["dgp", "n"], ref=ref)
        rows = rows[rows.method.isin(mine)
                    & rows.stat.isin(["diff", "less", "relprec", "mseratio"])]
        out.append(rows.assign(ref=ref))
    if not out:
        return pd.DataFrame()
    frame = pd.concat(out, ignore_index=True)
    return frame[["dgp", "n", "method", "ref", "quantity", "stat", "est", "mcse"]]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The study's own options."""
    parser.add_argument("--tuned", default="results/generators_tuning/chosen.json",
                        help="the tuning study's chosen.json (default: %(default)s)")
    parser.add_argument("--untuned", action="store_true",
                        help="use the stated untuned settings (UNTUNED) instead of --tuned: "
                             "for smoke runs, not for reporting")
    parser.add_argument("--scale", type=scale_arg(B), default=1.0,
                        help=f"multiply B (default {B}) by this")
    parser.add_argument("--ns", type=n_arg, nargs="+", default=list(NS), help="sample sizes")
    parser.add_argument("--dgps", nargs="+", default=list(DGPS), help="DGP registry names")
    parser.add_argument("--m", type=m_arg, default=M,
                        help="draws per method and replication (default: %(default)s)")
    parser.add_argument("--steps", type=steps_arg, default=2000,
                        help="training steps of the default recipe (default: %(default)s)")
    parser.add_argument("--steps-large", type=steps_arg, default=8000,
                        help="training steps of gan_large (default: %(default)s)")
    parser.add_argument("--width-large", type=width_arg, default=32,
                        help="hidden width of gan_large (default: %(default)s)")
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run: 2 DGPs, n = 30 and 500, B = 4, m = 2,000, "
                             "30 steps (200 for gan_large)")
    add_device_argument(parser)


def _chosen(args) -> dict:
    if args.untuned:
        return UNTUNED
    path = Path(args.tuned)
    if not path.is_file():
        raise ValueError(f"no tuning results at {str(path)!r}: run `python -m gansim "
                         "generators_tuning` first (or pass --tuned PATH; --untuned for a "
                         "smoke run)")
    return json.loads(path.read_text())


def main(args: argparse.Namespace) -> str:
    """Run the parts in turn (each resumable), then write the combined outputs."""
    if args.quick:
        args.dgps, args.ns, args.scale, args.m = ["t", "mixture"], [30, 500], 0.02, 2000
        args.steps, args.steps_large, args.width_large = 30, 60, 8
    chosen = _chosen(args)
    options = gan_options(chosen)
    out = Path(args.out)
    results, walls, codes = [], {}, {}
    for dgp in args.dgps:
        for name, part in _parts(args.ns):
            study = build_part(dgp, part, options, scale=args.scale, m=args.m,
                               steps=args.steps, steps_large=args.steps_large,
                               width_large=args.width_large,
                               device=getattr(args, "device", "cpu"))
            part_dir = out / "parts" / f"{dgp}-{name}"
            res = run_study(study, **run_options(args, out_dir=part_dir))
            results.append(res)
            walls[f"{dgp}-{name}"] = compute_time(part_dir, res)
            codes[f"{dgp}-{name}"] = blocks_code(part_dir)
    write_outputs(out, results, chosen=chosen, n_jobs=args.n_jobs, started=args.started,
                  walls=walls, codes=codes)
    return f"wall time {sum(walls.values()):.1f} s; results in {out}/"


def compute_time(part_dir, result) -> float:
    """Seconds the part in ``part_dir`` took to compute, over every run that computed some of
    its blocks (an interrupted run and the one that resumed it both count; a run that only
    read finished blocks adds nothing), kept in ``part_dir/compute.json``.

    Examples
    --------
    >>> import tempfile, types
    >>> res = types.SimpleNamespace(wall_time=12.34, conditions=pd.DataFrame(
    ...     {"blocks_computed": [3, 2]}))
    >>> with tempfile.TemporaryDirectory() as d:
    ...     first = compute_time(d, res)
    ...     res.conditions["blocks_computed"] = 0   # a rerun that only reads the blocks
    ...     first, compute_time(d, res)
    (12.3, 12.3)
    """
    path = Path(part_dir) / "compute.json"
    record = read_json(path, "the part's compute record") if path.is_file() else {"runs": []}
    computed = int(result.conditions["blocks_computed"].sum())
    if computed:
        record["runs"].append({"wall_time_s": round(result.wall_time, 1),
                               "blocks_computed": computed})
        record["wall_time_s"] = round(sum(r["wall_time_s"] for r in record["runs"]), 1)
        write_text(path, json.dumps(record, indent=2) + "\n")
    return float(record.get("wall_time_s", 0.0))


def blocks_code(part_dir) -> list[str]:
    """The gansim source digests (first 12 hex digits) of the earlier runs, computing or
    reading a part's blocks, whose code differed from a later run's that reused them
    (``--reuse-blocks-from-other-code``), from its block folders' manifests, in the order
    first met; empty when no run reused blocks across code versions.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     m = Path(d) / "blocks" / "condition-1"
    ...     m.mkdir(parents=True)
    ...     _ = (m / "_settings.json").write_text(json.dumps(
    ...         {"code": {"digest": "b" * 64}, "code_reused_from": [{"digest": "a" * 64}]}))
    ...     blocks_code(d)
    ['aaaaaaaaaaaa']
    """
    seen: dict[str, None] = {}
    for path in sorted(Path(part_dir).glob(f"blocks/*/{SETTINGS_FILE}")):
        manifest = read_json(path, "a block folder's manifest")
        for code in manifest.get(REUSED_KEY, []):
            seen.setdefault(str(code.get("digest", "?"))[:12])
    return list(seen)


def _blocks_computed(results) -> int | None:
    """Blocks this run computed over the parts (None where a result does not say)."""
    counts = [int(r.conditions["blocks_computed"].sum()) for r in results
              if "blocks_computed" in getattr(r, "conditions", ())]
    return sum(counts) if len(counts) == len(results) else None


def write_outputs(out_dir, results, *, chosen: dict, n_jobs: int, started: str,
                  walls: dict, codes: dict | None = None) -> dict:
    """Combine the parts and write ``replications.csv.gz`` (tidy), ``summary.csv`` (by dgp
    and n), ``paired.csv`` (each GAN against F_n, the smoothed bootstraps and the default
    recipe), ``shares.csv`` (:func:`shares`), ``floor.csv`` (:func:`floors`), ``chosen.json``
    (the tuned settings used) and ``run.json``."""
    out = Path(out_dir)
    tidy = pd.concat([r.tidy for r in results], ignore_index=True)
    write_csv(tidy, out / "replications.csv.gz")
    summary = summarise(tidy, by=["dgp", "n"])
    write_csv(summary, out / "summary.csv")
    pairs = _paired(tidy)
    write_csv(pairs, out / "paired.csv")
    share = shares(tidy)
    write_csv(share, out / "shares.csv")
    fits = floors(summary)
    write_csv(fits, out / "floor.csv")
    write_text(out / "chosen.json", json.dumps(chosen, indent=2) + "\n")
    write_run_record(
        out / "run.json", seed=results[0].seed, n_jobs=n_jobs, started=started,
        wall_time_s=round(sum(walls.values()), 1), wall_time_per_part_s=walls,
        blocks_computed=_blocks_computed(results),
        blocks_reused_from_code=codes or {},
        settings={key: r.study.settings() for key, r in zip(walls, results, strict=True)},
        failed=int((tidy["status"] != "ok").sum()))
    return {"summary": summary, "paired": pairs, "shares": share, "floor": fits,
            "tidy": tidy}
