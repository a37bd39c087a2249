"""The estimation study over a design grid: every method's functionals and distances.

For each condition (a DGP by registry name and a sample size n) and replication, draw the n
data points once, hand them to every method of the design (paired comparisons: the same data
for all methods), and record, per method, the functionals :data:`FUNCTIONALS` and the exact
distances :data:`gansim.distances.DISTANCES` of its sample (the data for the empirical cdf,
m draws for the others).

- :func:`estimation_block` is the block function (wide rows, ``<method>__<quantity>``);
- :func:`run_estimation` runs a grid and returns the tidy frame, one row per replication x
  method, with the condition's factors as columns;
- :func:`summarise_estimation` gives bias, EmpSE, MSE (functionals) and mean, mean log
  (distances) with their MCSEs per condition x method;
- :func:`compare_methods` gives paired comparisons of one method against others.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from gansim import performance as perf
from gansim.design import Condition, GridRun, run_grid
from gansim.dgp import DGP, make_dgp
from gansim.distances import DISTANCES, distances_batch
from gansim.methods import Method
from gansim.rng import replication_streams

__all__ = [
    "FUNCTIONALS",
    "QUANTITIES",
    "EstimationDesign",
    "compare_methods",
    "estimation_block",
    "functionals_batch",
    "run_estimation",
    "summarise_estimation",
    "to_long",
    "true_values",
    "write_estimation_outputs",
]

#: Functionals T computed on each method's sample; quantiles are numpy's default (linear
#: interpolation of the order statistics, Hyndman & Fan type 7), sd has divisor k - 1.
FUNCTIONALS = {
    "mean": "mean",
    "median": "median (0.5 quantile)",
    "sd": "standard deviation",
    "q10": "0.1 quantile",
    "q90": "0.9 quantile",
}

#: Every per-replication quantity of a method, in column order.
QUANTITIES = (*FUNCTIONALS, *DISTANCES)

_ID = ["rep", "seed", "spawn_key"]


def functionals_batch(samples: np.ndarray) -> dict[str, np.ndarray]:
    """The functionals of :data:`FUNCTIONALS` of each row of a 2-D array.

    Examples
    --------
    >>> f = functionals_batch(np.array([[1.0, 2.0, 3.0, 10.0]]))
    >>> f["mean"], f["median"], f["q10"]
    (array([4.]), array([2.5]), array([1.3]))
    """
    x = np.asarray(samples, dtype=np.float64)
    q10, q50, q90 = np.quantile(x, [0.1, 0.5, 0.9], axis=1)
    return {"mean": x.mean(axis=1), "median": q50, "sd": x.std(axis=1, ddof=1),
            "q10": q10, "q90": q90}


def true_values(dgp: DGP) -> dict[str, float]:
    """The true values of :data:`FUNCTIONALS` for a DGP.

    Examples
    --------
    >>> from gansim.dgp import Normal
    >>> {k: round(v, 4) for k, v in true_values(Normal()).items()}
    {'mean': 0.0, 'median': 0.0, 'sd': 1.0, 'q10': -1.2816, 'q90': 1.2816}
    """
    return {"mean": float(dgp.mean), "median": float(dgp.median), "sd": float(dgp.sd),
            "q10": float(dgp.quantile(0.1)), "q90": float(dgp.quantile(0.9))}


@dataclass(frozen=True)
class EstimationDesign:
    """Settings of an estimation study shared by all conditions (not B, seed or n_jobs).

    Parameters
    ----------
    methods : sequence of Method
        Distinct labels; the GAN ones are trained block by block.
    m : int
        Draws per method and replication.
    block_size : int
        Replications per block (fixes each replication's floating-point path).
    device : str
        Torch device for the GAN.
    dgp_params : dict
        DGP registry name -> constructor parameters (default: the family's defaults).
    """

    methods: tuple[Method, ...]
    m: int = 10_000
    block_size: int = 100
    device: str = "cpu"
    dgp_params: dict = field(default_factory=dict)

    def __post_init__(self):
        methods = tuple(self.methods)
        if not methods or not all(isinstance(x, Method) for x in methods):
            raise TypeError("`methods` must be a non-empty sequence of gansim.methods.Method.")
        labels = [x.label for x in methods]
        if len(set(labels)) != len(labels):
            raise ValueError(f"`methods` must have distinct labels, got {labels}.")
        object.__setattr__(self, "methods", methods)
        for name, low in (("m", 2), ("block_size", 1)):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < low:
                raise ValueError(f"`{name}` must be an integer >= {low}, got {v!r}.")

    @property
    def labels(self) -> list[str]:
        return [x.label for x in self.methods]

    def dgp(self, name: str) -> DGP:
        """The DGP of a condition's ``dgp`` factor."""
        return make_dgp(name, **self.dgp_params.get(name, {}))

    def settings(self) -> dict:
        """JSON-able settings (for the resume check and run records)."""
        return {"study": "estimation", "methods": [x.settings() for x in self.methods],
                "m": self.m, "block_size": self.block_size, "device": self.device,
                "dgp_params": self.dgp_params}


def estimation_block(reps: Sequence[int], seed: int, condition: Condition,
                     design: EstimationDesign) -> pd.DataFrame:
    """One block of a condition: one wide row per replication.

    Columns ``rep, seed, spawn_key, status, error`` and, per method label L,
    ``L__status, L__error`` and ``L__<quantity>`` for each of :data:`QUANTITIES`.  A method
    that raises or returns non-finite draws fails for its rows only; the replication's
    ``status`` is ``"failed"`` when any method failed, its ``error`` naming them.
    """
    dgp = design.dgp(condition["dgp"])
    n = int(condition["n"])
    streams = [replication_streams(seed, r, condition.id) for r in reps]
    data = np.stack([dgp.sample(n, s.data_rng()) for s in streams])
    data_ok = np.isfinite(data).all(axis=1)
    # Bad data still go through (as zeros) so that the block's shape, hence every other
    # replication's arithmetic, stays the same; those rows are failed for every method.
    data = np.where(data_ok[:, None], data, 0.0)
    out: dict[str, Any] = {"rep": np.asarray(reps, dtype=np.int64), "seed": np.int64(seed),
                           "spawn_key": [s.spawn_key for s in streams]}
    for method in design.methods:
        L = method.label
        status = np.where(data_ok, "ok", "failed").astype(object)
        error = np.where(data_ok, "", "non-finite data").astype(object)
        values = {q: np.full(len(reps), np.nan) for q in QUANTITIES}
        try:
            pts = method.points(data, streams, m=design.m, dgp=dgp, device=design.device)
            finite = np.isfinite(pts).all(axis=1)
            error = np.where(data_ok & ~finite, "non-finite draws (training diverged)", error)
            ok = data_ok & finite
            status = np.where(ok, "ok", "failed").astype(object)
            if ok.any():
                got = {**functionals_batch(pts[ok]), **distances_batch(pts[ok], dgp)}
                for q in QUANTITIES:
                    values[q][ok] = got[q]
        except Exception as exc:  # one method's failure is recorded, never fatal
            status[:] = "failed"
            error[:] = f"{type(exc).__name__}: {exc}"
        out[f"{L}__status"], out[f"{L}__error"] = status, error
        for q in QUANTITIES:
            out[f"{L}__{q}"] = values[q]
    frame = pd.DataFrame(out)
    failed = np.column_stack([frame[f"{L}__status"] != "ok" for L in design.labels])
    frame.insert(3, "status", np.where(failed.any(axis=1), "failed", "ok"))
    frame.insert(4, "error", ["; ".join(f"{L}: {frame.at[i, f'{L}__error']}"
                                        for j, L in enumerate(design.labels) if row[j])
                              for i, row in enumerate(failed)])
    return frame


def to_long(wide: pd.DataFrame, labels: Sequence[str], factors: Sequence[str]) -> pd.DataFrame:
    """Wide block rows -> tidy rows, one per replication x method.

    Columns: the factors, ``condition``, ``rep, seed, spawn_key``, ``method``, ``status``,
    ``error``, then :data:`QUANTITIES`.  Rows of blocks that raised (no method columns)
    become failed rows of every method, with the block's error.
    """
    keep = [*factors, "condition", *_ID]
    parts = []
    for L in labels:
        part = wide[keep].copy()
        part["method"] = L
        if f"{L}__status" in wide:
            st = wide[f"{L}__status"]
            part["status"] = st.where(st.notna(), "failed")
            err = wide[f"{L}__error"]
            part["error"] = err.where(err.notna(), wide["error"])
        else:
            part["status"], part["error"] = "failed", wide["error"]
        for q in QUANTITIES:
            col = f"{L}__{q}"
            part[q] = wide[col].astype(float) if col in wide else np.nan
        parts.append(part)
    long = pd.concat(parts, ignore_index=True)
    # Grid order (conditions as run), then replication, then the design's method order.
    cond_order = {c: i for i, c in enumerate(pd.unique(wide["condition"]))}
    long["_c"] = long["condition"].map(cond_order)
    long["_o"] = long["method"].map({L: i for i, L in enumerate(labels)})
    long = long.sort_values(["_c", "rep", "_o"], kind="stable").drop(columns=["_c", "_o"])
    return long.reset_index(drop=True)


def run_estimation(conditions: Sequence[Condition], design: EstimationDesign, *, seed: int,
                   n_jobs: int = 1, out_dir=None, progress: bool = True,
                   overwrite: bool = False) -> GridRun:
    """Run the estimation study on a grid whose conditions have factors ``dgp`` and ``n``.

    Returns
    -------
    GridRun
        ``replications`` is the tidy frame of :func:`to_long`.

    Examples
    --------
    >>> from gansim.design import condition_grid
    >>> from gansim.methods import Bootstrap, EmpiricalCDF
    >>> design = EstimationDesign((EmpiricalCDF(), Bootstrap()), m=100, block_size=4)
    >>> run = run_estimation(condition_grid(4, dgp=["normal"], n=[20, 40]), design, seed=1,
    ...                      progress=False)
    >>> run.replications.groupby(["n", "method"]).size().tolist()
    [4, 4, 4, 4]
    """
    conditions = list(conditions)
    for c in conditions:
        names = [k for k, _ in c.factors]
        if "dgp" not in names or "n" not in names:
            raise ValueError(f"every condition needs factors `dgp` and `n`; got {c.label!r}.")
    factors = [k for k, _ in conditions[0].factors]
    run = run_grid(partial(estimation_block, design=design), conditions, seed=seed,
                   block_size=design.block_size, settings=design.settings(), out_dir=out_dir,
                   n_jobs=n_jobs, progress=progress, overwrite=overwrite)
    long = to_long(run.replications, design.labels, factors)
    return GridRun(long, run.conditions, run.wall_time)


def summarise_estimation(tidy: pd.DataFrame, design: EstimationDesign,
                         by: Sequence[str] = ("dgp", "n")) -> pd.DataFrame:
    """Performance measures with MCSE per condition x method, as a long frame.

    Columns ``*by, method, quantity, measure, value, mcse``.  Functionals: ``n`` (replications
    used), ``bias``, ``empse``, ``mse`` against :func:`true_values`.  Distances: ``mean`` and
    ``meanlog`` (the mean of the log distance).  Only rows with ``status == "ok"``.
    """
    rows = []
    ok = tidy[tidy["status"] == "ok"]
    for key, g in ok.groupby([*by, "method"], sort=False):
        *levels, method = key
        head = dict(zip(by, levels, strict=True))
        truth = true_values(design.dgp(head["dgp"]))

        def add(quantity, measure, m, head=head, method=method):
            rows.append({**head, "method": method, "quantity": quantity, "measure": measure,
                         "value": float(m.value), "mcse": float(m.mcse)})

        B = len(g)
        for q in FUNCTIONALS:
            x = g[q].to_numpy()
            add(q, "n", perf.Measure(B, 0.0))
            add(q, "bias", perf.bias(x, truth[q]))
            add(q, "empse", perf.empse(x))
            add(q, "mse", perf.mse(x, truth[q]))
        for q in DISTANCES:
            x = g[q].to_numpy()
            add(q, "mean", perf.mean(x))
            add(q, "meanlog", perf.mean(np.log(x)))
    return pd.DataFrame(rows)


def compare_methods(tidy: pd.DataFrame, design: EstimationDesign, method: str,
                    against: Sequence[str], *, by: Sequence[str] = ("dgp", "n")) -> pd.DataFrame:
    """Paired comparisons of ``method`` with each of ``against``, per condition.

    Uses the replications where both methods are ok.  Rows (columns ``*by, method,
    against, quantity, measure, value, mcse``):

    - distances: ``share_less`` (share of replications where ``method``'s distance is
      smaller; MCSE of a proportion) and ``diff`` (mean paired difference method − against);
    - functionals: ``relprec`` (relative % increase in precision of ``method`` over
      ``against``, 100 (var_against / var_method - 1), MCSE from the paired, distribution-free
      :func:`gansim.performance.variance_ratio`) and ``mse_ratio`` (MSE_method /
      MSE_against, paired delta-method MCSE, see Notes).

    Notes
    -----
    With errors a = est_method - truth and b = est_against - truth, MSE ratio
    r = mean(a²) / mean(b²) and, by the delta method as for the variance ratio, its
    MCSE is ``r sqrt(sum d_i² / (B (B - 1)))`` with ``d_i = a_i² / mean(a²) - b_i² / mean(b²)``.
    """
    rows = []
    ok = tidy[tidy["status"] == "ok"]
    for key, g in ok.groupby(list(by), sort=False):
        head = dict(zip(by, key if isinstance(key, tuple) else (key,), strict=True))
        truth = true_values(design.dgp(head["dgp"]))
        wide = g.pivot(index="rep", columns="method", values=list(QUANTITIES))
        for other in against:
            pair = wide.loc[:, (slice(None), [method, other])].dropna()

            def add(quantity, measure, m, head=head, other=other):
                rows.append({**head, "method": method, "against": other, "quantity": quantity,
                             "measure": measure, "value": float(m.value), "mcse": float(m.mcse)})

            add("pairs", "n", perf.Measure(len(pair), 0.0))
            for q in DISTANCES:
                a, b = pair[(q, method)].to_numpy(), pair[(q, other)].to_numpy()
                add(q, "share_less", perf.proportion(a < b))
                add(q, "diff", perf.mean_difference(a, b))
            for q in FUNCTIONALS:
                a, b = pair[(q, method)].to_numpy(), pair[(q, other)].to_numpy()
                vr = perf.variance_ratio(b, a)
                add(q, "relprec", perf.Measure(100 * (vr.value - 1), 100 * vr.mcse))
                add(q, "mse_ratio", perf.mse_ratio(a, b, truth[q]))
    return pd.DataFrame(rows)


def write_estimation_outputs(out_dir, run: GridRun, design: EstimationDesign, *, seed: int,
                             n_jobs: int, started: str, gan: str = "gan",
                             against: Sequence[str] = ("ecdf", "bootstrap", "smoothed",
                                                       "parametric")) -> dict:
    """Write the study's tidy results, summaries, tables, figures and run record.

    Files: ``replications.parquet`` (tidy), ``summary.csv``, ``paired.csv`` (``gan`` against
    each of ``against``), ``slopes.csv`` (rates of every distance, all n and n >= 100, with
    the exact kstwo slope), ``tables.md`` and ``tables.tex``, ``ks.png``, ``w1.png``,
    ``cvm.png``, ``slopes.png``, ``answers.md`` (the numbers behind the four questions),
    ``run.json``.  Every file goes through a temporary name.
    Returns the frames written (``summary``, ``paired``, ``slopes``, ``exact``).
    """
    import hashlib
    from pathlib import Path

    from gansim import rates, report

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tidy = run.replications
    tmp = out / "replications.parquet.tmp"
    tidy.to_parquet(tmp, index=False)
    tmp.replace(out / "replications.parquet")
    summary = summarise_estimation(tidy, design)
    paired = compare_methods(tidy, design, gan, [a for a in against if a in design.labels])
    ns = sorted(tidy["n"].unique())
    B_n = run.conditions.groupby("n")["B"].mean().reindex(ns).to_numpy()
    exact = {"mean_of_log": rates.ks_exact_slope(ns, B_n),
             "log_of_mean": rates.ks_exact_slope(ns, B_n, scale="log_of_mean")}
    large = [n for n in ns if n >= 100]
    if len(large) >= 2:
        exact["mean_of_log_n>=100"] = rates.ks_exact_slope(large, B_n[-len(large):])
    slopes = []
    for d in DISTANCES:
        for label, sub in (("all", None), ("n>=100", large if len(large) >= 2 else None)):
            if label != "all" and sub is None:
                continue
            slopes.append(rates.rate_slopes(tidy, d, ns=sub).assign(distance=d, n_range=label))
    slopes = pd.concat(slopes, ignore_index=True)
    for name, frame in (("summary", summary), ("paired", paired), ("slopes", slopes)):
        report.write_atomic(out / f"{name}.csv", frame.to_csv(index=False))

    md, tex = _tables(summary, paired, slopes, exact, design, gan)
    report.write_atomic(out / "tables.md", md)
    report.write_atomic(out / "tables.tex", tex)
    report.write_atomic(out / "answers.md", report.rates_answers(summary, paired, slopes, exact,
                                                                 gan=gan))
    ref_ns = np.array(ns, dtype=float)
    for d in DISTANCES:
        refs = {"ecdf exact (kstwo)": (ref_ns, [_kstwo_mean(n) for n in ns])} if d == "ks" else {}
        report.plot_distances(summary, out / f"tmp-{d}.png", distance=d, reference=refs)
        (out / f"tmp-{d}.png").replace(out / f"{d}.png")
    report.plot_slopes(slopes[(slopes.distance == "ks") & (slopes.n_range == "all")],
                       out / "tmp-slopes.png", exact=exact["mean_of_log"],
                       title="KS: slope of log KS on log n, n = 25…800")
    (out / "tmp-slopes.png").replace(out / "slopes.png")
    gan_files = sorted(Path(__file__).parent.joinpath("gan").glob("*.py"))
    report.write_run_record(
        out / "run.json", seed=seed, n_jobs=n_jobs, started=started,
        settings=design.settings(), wall_time_s=round(run.wall_time, 1),
        exact_ks_slopes=exact,
        gan_source_sha256={f.name: hashlib.sha256(f.read_bytes()).hexdigest()[:16]
                           for f in gan_files},
        conditions=run.conditions.to_dict(orient="records"),
        failed=tidy.loc[tidy["status"] != "ok", ["dgp", "n", "method", "rep", "seed",
                                                  "spawn_key", "error"]]
        .head(100).to_dict(orient="records"))
    return {"summary": summary, "paired": paired, "slopes": slopes, "exact": exact}


def _kstwo_mean(n: int) -> float:
    from scipy import stats

    return float(stats.kstwo(n).mean())


def _tables(summary, paired, slopes, exact, design, gan) -> tuple[str, str]:
    from gansim import rates, report

    md, tex = [], []

    def section(title, frame, index, columns, digits=3, note=""):
        m, t = report.frame_tables(frame, index=index, columns=columns, digits=digits,
                                   caption=title)
        md.extend([f"## {title}", "", *( [note, ""] if note else []), m])
        tex.append(t)

    head = ("Value (MCSE) over the replications with status ok.  Methods: "
            + ", ".join(design.labels) + f"; m = {design.m:,} draws per method.")
    md.extend(["# Estimation study: tables", "", head, ""])
    for d in DISTANCES:
        rows = summary[(summary.quantity == d) & (summary.measure == "mean")]
        section(f"Mean {d} distance to the truth", rows, ["dgp", "n"], "method",
                digits=4 if d != "cvm" else 5)
    for d in DISTANCES:
        rows = paired[(paired.quantity == d) & (paired.against == "ecdf")]
        section(f"Q1 ({d}): {gan} against ecdf — share of replications with {d}({gan}) < "
                f"{d}(ecdf), and mean paired difference {d}({gan}) − {d}(ecdf)", rows,
                ["dgp", "n"], "measure", digits=4)
    rows = slopes.assign(value=slopes.slope, mcse=slopes.se)
    for rng_label in pd.unique(slopes.n_range):
        section(f"Q2: fitted slopes of log distance on log n (SE), n range {rng_label}",
                rows[rows.n_range == rng_label].assign(col=lambda f: f.method),
                ["distance", "dgp"], "col",
                note="Formula per DGP and distance d: `" + rates.RATE_FORMULA.format(d="d")
                     + "`, OLS with "
                     "cluster-robust SEs by replication.  Exact slope of the empirical cdf "
                     "(kstwo, weights B per n): " + ", ".join(f"{k} {v:.4f}"
                                                              for k, v in exact.items()) + ".")
    ci = slopes[slopes.distance == "ks"]
    section("Q2: 95% confidence intervals of the KS slopes",
            ci.assign(cell=[f"[{lo:.3f}, {hi:.3f}]" for lo, hi in zip(ci.ci_low, ci.ci_high,
                                                                       strict=True)]),
            ["n_range", "dgp"], "method")
    for measure, what in (("bias", "bias"), ("empse", "empirical SE")):
        rows = summary[(summary.method == gan) & (summary.measure == measure)]
        section(f"Q3: {what} of T({gan})", rows, ["dgp", "n"], "quantity", digits=4)
        rows = summary[(summary.method == "ecdf") & (summary.measure == measure)]
        section(f"Q3: {what} of T(ecdf), the plug-in on the data", rows, ["dgp", "n"],
                "quantity", digits=4)
    for other in pd.unique(paired.against):
        for measure, what in (("relprec", f"relative % precision gain of {gan} over {other}"),
                              ("mse_ratio", f"MSE({gan}) / MSE({other})")):
            rows = paired[(paired.against == other) & (paired.measure == measure)]
            section(f"Q4: {what}", rows, ["dgp", "n"], "quantity",
                    digits=1 if measure == "relprec" else 3)
    return "\n".join(md), "\n".join(tex)
