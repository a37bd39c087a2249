"""Classical confidence intervals from one data set: the competitors of the GAN's intervals.

What a statistician would compute on the data without a GAN, for the same functionals T
(:data:`~gansim.study.functionals.FUNCTIONALS`):

- :func:`t_interval`: Student's t interval for the mean;
- :func:`bootstrap_replicates` and :func:`bootstrap_conf_int`: Efron's nonparametric bootstrap
  (T on R resamples of the data) and the smoothed bootstrap (resamples plus Gaussian kernel
  noise, shrunk so that the resamples keep the data's variance), with percentile, basic and
  BCa intervals formed by :func:`gansim.inference.estimator.bootstrap_interval`;
- :func:`interval_method`: any of these as a method of a study (a function ``fn(x, rng)``
  returning an :class:`~gansim.study.functionals.Estimate` per functional), so that a coverage
  study compares them with the GAN's intervals on the same data sets.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from scipy import stats

from gansim._validation import validate_params
from gansim.inference.bootstrap import (
    INTERVAL,
    LEVEL,
    REPLICATES,
    SAMPLE,
    ConfInt,
    RecentCache,
    bootstrap_interval,
    check_data,
    functional_values,
    jackknife,
)
from gansim.study.functionals import FUNCTIONALS, Estimate
from gansim.study.methods import bandwidth

__all__ = ["bootstrap_conf_int", "bootstrap_replicates", "interval_method", "t_interval"]

#: Resamples drawn at once (bounds memory at large n and R).
_CHUNK = 2_000_000


@validate_params(x=SAMPLE, level=LEVEL)
def t_interval(x: Any, level: float = 0.95) -> ConfInt:
    """Student's t interval for the mean, ``x̄ ± t(n-1) s/sqrt(n)``.

    Parameters
    ----------
    x : array_like
        1-D, finite, at least 2 points, not all equal.
    level : float
        Nominal coverage, in (0, 1).

    Returns
    -------
    ConfInt

    Examples
    --------
    >>> import scipy.stats as st
    >>> ci = t_interval([1.0, 2.0, 4.0, 7.0], level=0.9)
    >>> lo, hi = st.t.interval(0.9, 3, loc=3.5, scale=st.sem([1.0, 2.0, 4.0, 7.0]))
    >>> bool(np.isclose(ci.lower, lo) and np.isclose(ci.upper, hi))
    True
    """
    n = x.size
    mean, se = float(x.mean()), float(x.std(ddof=1) / math.sqrt(n))
    half = float(stats.t.ppf(0.5 + level / 2, n - 1)) * se
    return ConfInt(mean, se, mean - half, mean + half, level, "t")


@validate_params(x=SAMPLE, R=REPLICATES)
def bootstrap_replicates(x: Any, T: Any, R: int = 1000, *, rng: Any = None,
                         smooth: str | float | None = None) -> np.ndarray:
    """T on R bootstrap resamples of ``x``.

    Parameters
    ----------
    x : array_like
        1-D, finite, at least 2 points, not all equal.
    T : str, Functional or callable
        A built-in functional name, a :class:`~gansim.study.functionals.Functional` or a callable
        on a 1-D sample.
    R : int
        Resamples (>= 2).
    rng : numpy.random.Generator or int, optional
        Source of the resamples: resample b takes ``rng.integers(0, n, n)`` in turn (the
        indices ``scipy.stats.bootstrap`` draws from the same generator), then, when
        smoothed, n standard normal draws.
    smooth : None, str or float
        None: Efron's bootstrap (resamples of the data).  A bandwidth rule of
        :func:`gansim.study.methods.bandwidth` (``"nrd0"``, ``"normal"``) or a fixed h > 0: the
        smoothed bootstrap, each resampled point plus h times a standard normal, the result
        shrunk towards x̄ by ``1/sqrt(1 + h²/σ̂²)`` (σ̂² the data's variance, divisor n, the
        ecdf's) so that the resampling distribution has the ecdf's mean and variance
        exactly: the smoothing adds no variance (Silverman's shrunk smoothed bootstrap).

    Returns
    -------
    numpy.ndarray
        Shape ``(R,)``.

    Examples
    --------
    >>> x = np.array([0.0, 1.0, 2.0, 5.0])
    >>> reps = bootstrap_replicates(x, "mean", R=500, rng=1)
    >>> reps.shape, bool(abs(reps.mean() - x.mean()) < 0.3)
    ((500,), True)
    """
    _, values = functional_values(T)
    rng = np.random.default_rng(rng)
    n = x.size
    h = None if smooth is None else float(bandwidth(x[None, :], smooth)[0])
    out = np.empty(R)
    rows = max(1, _CHUNK // n)
    # The ecdf's own variance (divisor n): the shrunk resamples' variance is exactly this.
    mean, var = x.mean(), x.var()
    for s in range(0, R, rows):
        k = min(rows, R - s)
        idx = rng.integers(0, n, size=(k, n))
        samples = x[idx]
        if h is not None:
            samples = mean + (samples - mean + h * rng.standard_normal((k, n))) / math.sqrt(
                1.0 + h * h / var)
        out[s:s + k] = values(samples, n)
    return out


@validate_params(x=SAMPLE, level=LEVEL, method=INTERVAL, R=REPLICATES)
def bootstrap_conf_int(x: Any, T: Any, level: float = 0.95, method: str = "percentile",
                       R: int = 1000, *, rng: Any = None,
                       smooth: str | float | None = None) -> ConfInt:
    """A bootstrap interval for T(F) from one data set, centred on the plug-in T(F_n).

    Parameters
    ----------
    x, T, R, rng, smooth
        As for :func:`bootstrap_replicates`.
    level : float
        Nominal coverage, in (0, 1).
    method : str
        ``"percentile"``, ``"basic"`` or ``"bca"`` (acceleration from the jackknife of T on
        the data, as ``scipy.stats.bootstrap``).

    Returns
    -------
    ConfInt
        ``se`` is the sd of the replicates.

    Examples
    --------
    >>> x = np.random.default_rng(0).exponential(size=60)
    >>> ci = bootstrap_conf_int(x, "median", method="bca", R=999, rng=2)
    >>> bool(ci.lower < ci.estimate < ci.upper), ci.R
    (True, 999)
    """
    if method == "wald":
        raise ValueError("`method` must be 'percentile', 'basic' or 'bca' for a bootstrap "
                         "interval; got 'wald'.")
    reps = bootstrap_replicates(x, T, R, rng=rng, smooth=smooth)
    est = _from_replicates(x, T, reps, level, method)
    return ConfInt(est.estimate, est.se, est.lower, est.upper, level, method, int(R),
                   "nonparametric" if smooth is None else "smoothed")


def _children(rng: np.random.Generator, k: int) -> list[np.random.Generator]:
    """k independent generators derived from ``rng``'s seed without consuming or mutating it
    (``Generator.spawn`` counts its children on the seed sequence, which a study shares
    between methods: the second method would get other children)."""
    ss = rng.bit_generator.seed_seq
    if not isinstance(ss, np.random.SeedSequence):  # seeded without a SeedSequence
        return rng.spawn(k)
    return [np.random.default_rng(np.random.SeedSequence(ss.entropy,
                                                         spawn_key=(*ss.spawn_key, i)))
            for i in range(k)]


def _from_replicates(x: np.ndarray, T: Any, reps: np.ndarray, level: float,
                     method: str) -> Estimate:
    """The interval around the plug-in T(F_n), from the replicates."""
    _, values = functional_values(T)
    estimate = float(values(x[None, :], x.size)[0])
    jack = jackknife(x, values) if method == "bca" else None
    lo, hi = bootstrap_interval(estimate, reps, level=level, method=method, jackknife=jack)
    return Estimate(estimate, float(np.std(reps, ddof=1)), lo, hi)


@validate_params(level=LEVEL, R=REPLICATES)
def interval_method(interval: str, functionals: Sequence[str] = tuple(FUNCTIONALS), *,
                    level: float = 0.95, R: int = 1000,
                    smooth: str | float | None = None) -> Callable:
    """A classical interval as a study method ``fn(x, rng) -> {functional: Estimate}``.

    Parameters
    ----------
    interval : str
        ``"t"`` (the mean only), ``"percentile"``, ``"basic"`` or ``"bca"``.
    functionals : sequence of str
        Built-in functional names (``"t"`` allows only ``"mean"``).
    level, R, smooth
        As for :func:`bootstrap_conf_int`; the resamples come from ``rng``, one stream per
        functional in the order given, so methods given the same stream (e.g. percentile
        and BCa) use the same resamples.

    Returns
    -------
    callable
        Named ``"t"``, ``"boot_<interval>"`` or ``"smooth_<interval>"``.

    Examples
    --------
    >>> fn = interval_method("percentile", ["mean", "q90"], R=200)
    >>> fn.__name__, sorted(fn(np.arange(10.0), np.random.default_rng(0)))
    ('boot_percentile', ['mean', 'q90'])
    """
    names = list(functionals) if not isinstance(functionals, str) else [functionals]
    for name in names:
        if name not in FUNCTIONALS:
            allowed = ", ".join(repr(k) for k in FUNCTIONALS)
            raise ValueError(f"`functionals` must be built-in names among {allowed}; got "
                             f"{name!r}.")
    if interval == "t":
        if names != ["mean"] or smooth is not None:
            raise ValueError("the t interval is for the mean only: functionals=['mean'], "
                             "smooth=None.")

        def fn(x, rng):
            return {"mean": t_interval(x, level).to_estimate()}

        fn.__name__ = fn.__qualname__ = "t"
        return fn
    if interval not in ("percentile", "basic", "bca"):
        raise ValueError(f"`interval` must be 't', 'percentile', 'basic' or 'bca'; got "
                         f"{interval!r}.")
    if smooth is not None:
        bandwidth(np.array([[0.0, 1.0, 3.0]]), smooth)  # the rule's own check, raised now

    def fn(x, rng):
        x = check_data(x)
        out = {}
        for name, g in zip(names, _children(rng, len(names)), strict=True):
            reps = _cached_replicates(x, name, R, g, smooth)
            out[name] = _from_replicates(x, name, reps, level, interval)
        return out

    prefix = "boot" if smooth is None else "smooth"
    fn.__name__ = f"{prefix}_{interval}"
    fn.__qualname__ = (f"interval_method({interval!r}, {names}, level={level}, R={R}, "
                       f"smooth={smooth!r})")
    return fn


#: The last replicates computed by :func:`interval_method` functions in this process, keyed by
#: (data, functional, R, stream, smoothing): percentile, basic and BCa methods on the same
#: stream compute the replicates once per block of up to 64 replications.
_LAST_REPS = RecentCache(64)


def _cached_replicates(x: np.ndarray, name: str, R: int, rng: np.random.Generator,
                       smooth) -> np.ndarray:
    state = json.dumps(rng.bit_generator.state, sort_keys=True, default=str)
    key = (hashlib.sha256(x.tobytes()).hexdigest(), x.size, name, R, state, repr(smooth))
    return _LAST_REPS.get(key, lambda: bootstrap_replicates(x, name, R, rng=rng,
                                                            smooth=smooth))
