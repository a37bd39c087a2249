"""What the GAN's intervals and the classical ones share: the interval object
(:class:`ConfInt`), the interval-forming step of a bootstrap (:func:`bootstrap_interval`,
following ``scipy.stats.bootstrap``), the jackknife behind BCa, a functional turned into a
vectorised statistic, the checks of the data and of an interval's arguments, and the cache
that lets the interval methods of one replication share their work.
"""

from __future__ import annotations

import math
import warnings
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special

from gansim._validation import (
    Constraint,
    Integer,
    Options,
    Real,
    as_float_array,
    check_scale,
    validate_params,
)
from gansim.study.functionals import FUNCTIONALS, Estimate, Functional

__all__ = ["BOOTSTRAP", "BOOTSTRAPS", "INTERVAL", "INTERVAL_METHODS", "LEVEL", "REPLICATES",
           "SAMPLE", "Sample", "ConfInt", "RecentCache",
           "bootstrap_interval", "check_data", "check_interval", "functional_values",
           "jackknife"]

#: Interval methods of :meth:`gansim.GANEstimator.conf_int`.
INTERVAL_METHODS = ("wald", "percentile", "basic", "bca")
#: A confidence level.
LEVEL = Real(0, 1, closed="neither", hint="e.g. 0.95")
#: Bootstrap replicates.
REPLICATES = Integer(2)
#: An interval method.
INTERVAL = Options(*INTERVAL_METHODS)
#: Resampling schemes of the GAN bootstrap.
BOOTSTRAPS = ("nonparametric", "parametric")
#: A resampling scheme.
BOOTSTRAP = Options(*BOOTSTRAPS)


class Sample(Constraint):
    """One data set: 1-D, finite, at least 2 points not all equal, on a scale float64 can
    standardise (:func:`check_data`)."""

    def describe(self) -> str:
        return "a 1-D array of at least 2 finite real numbers, not all equal"

    def check(self, value: Any, name: str) -> np.ndarray:
        return check_data(value, name)

    def invalid(self) -> list[Any]:
        return ["1.0 2.0", [1.0], [1.0, 1.0], [1.0, np.nan], [[1.0, 2.0]], [1e200, -1e200]]

    def valid(self) -> np.ndarray:
        return np.array([0.3, -1.2, 0.8, 1.9, -0.4, 0.1])


#: One data set.
SAMPLE = Sample()


def check_interval(method: Any, name: str = "method") -> str:
    """``method`` if it is one of :data:`INTERVAL_METHODS`, else a ValueError naming ``name``."""
    return INTERVAL.check(method, name)


@dataclass(frozen=True)
class ConfInt:
    """A confidence interval for a functional T from :meth:`GANEstimator.conf_int`.

    Attributes
    ----------
    estimate : float
        T(F*), T computed on the fitted GAN's ``m`` draws.
    se : float
        Wald: the SE of T at sample size n; bootstrap: the sd of the R bootstrap replicates.
    lower, upper : float
        The interval's bounds.
    level : float
        Nominal coverage.
    method : str
        One of :data:`INTERVAL_METHODS`.
    R : int or None
        Bootstrap replicates used (fewer than asked if some GANs diverged); None for Wald.
    bootstrap : str or None
        ``"nonparametric"`` or ``"parametric"``; None for Wald.

    Examples
    --------
    >>> ConfInt(1.0, 0.1, 0.8, 1.2, 0.95, "percentile", 200, "nonparametric")
    ConfInt(estimate=1, se=0.1, 95% percentile [0.8, 1.2], R=200)
    """

    estimate: float
    se: float
    lower: float
    upper: float
    level: float
    method: str
    R: int | None = None
    bootstrap: str | None = None

    def __repr__(self) -> str:
        out = (f"ConfInt(estimate={self.estimate:.4g}, se={self.se:.4g}, "
               f"{100 * self.level:.4g}% {self.method} [{self.lower:.4g}, {self.upper:.4g}]")
        if self.R is not None:
            out += f", R={self.R}"
        if self.bootstrap == "parametric":
            out += ", parametric bootstrap"
        return out + ")"

    def to_estimate(self) -> Estimate:
        """The interval as a study's :class:`~gansim.study.functionals.Estimate`."""
        return Estimate(self.estimate, se=self.se, lower=self.lower, upper=self.upper)


@validate_params(level=LEVEL, method=INTERVAL)
def bootstrap_interval(estimate: float, replicates: Any, level: float = 0.95,
                       method: str = "percentile", jackknife: Any = None) -> tuple[float, float]:
    """A bootstrap interval from an estimate and its bootstrap replicates.

    As ``scipy.stats.bootstrap`` (two-sided; quantiles by linear interpolation) given the
    same replicates: percentile ``(q(α/2), q(1 - α/2))`` of the replicates, α = 1 - level;
    basic ``(2 estimate - q(1 - α/2), 2 estimate - q(α/2))``; BCa the replicates'
    quantiles at ``Φ(z0 + (z0 + z)/(1 - a (z0 + z)))`` for z = ±z(α/2), with
    ``z0 = Φ⁻¹(share of replicates below the estimate, ties counted half)`` and
    ``a = Σ U³ / (6 (Σ U²)^(3/2))``, ``U_i = mean(jackknife) - jackknife_i``.

    Parameters
    ----------
    estimate : float
        The estimate from the full data.
    replicates : array_like
        1-D, finite, at least 2 replicates.
    level : float
        In (0, 1).
    method : str
        ``"percentile"``, ``"basic"`` or ``"bca"``.
    jackknife : array_like, optional
        Leave-one-out values of the statistic (``"bca"`` only, where it is required).

    Returns
    -------
    (lower, upper) : tuple of float

    Examples
    --------
    >>> reps = np.arange(0.0, 9.0)
    >>> bootstrap_interval(4.5, reps, level=0.5)
    (2.0, 6.0)
    >>> bootstrap_interval(4.5, reps, level=0.5, method="basic")
    (3.0, 7.0)
    """
    if method == "wald":
        raise ValueError("`method` 'wald' is not a bootstrap interval; use 'percentile', "
                         "'basic' or 'bca'.")
    reps = as_float_array(replicates, "replicates", ndim=1, min_size=2)
    theta = float(estimate)
    alpha = (1.0 - level) / 2.0
    probs = np.array([alpha, 1.0 - alpha])
    if method == "bca":
        if jackknife is None:
            raise ValueError("`jackknife` (the leave-one-out values) is required by 'bca'.")
        jack = as_float_array(jackknife, "jackknife", ndim=1, min_size=2)
        share = (np.count_nonzero(reps < theta) + np.count_nonzero(reps <= theta)) / (
            2 * reps.size)
        z0 = special.ndtri(share)
        u = (jack.size - 1) * (jack.mean() - jack)
        den = np.sum(u**2) / jack.size**2
        a = (np.sum(u**3) / jack.size**3) / (6.0 * den**1.5) if den > 0 else 0.0
        z = special.ndtri(probs)
        with np.errstate(invalid="ignore", divide="ignore"):
            probs = special.ndtr(z0 + (z0 + z) / (1.0 - a * (z0 + z)))
        if not np.all(np.isfinite(probs)):
            warnings.warn("gansim: the BCa interval cannot be computed (the estimate lies "
                          "outside the replicates).", RuntimeWarning, stacklevel=2)
            return (math.nan, math.nan)
    lo, hi = np.quantile(reps, probs)
    if method == "basic":
        lo, hi = 2.0 * theta - hi, 2.0 * theta - lo
    return (float(lo), float(hi))


class RecentCache:
    """The last ``size`` values computed, by key, oldest dropped first.

    A study applies each method to every replication of a block in turn, so methods that
    share work on one replication (a GAN fit, a set of resamples) find it here as long as
    the block has at most ``size`` replications.
    """

    def __init__(self, size: int):
        self.size, self._items = size, OrderedDict()

    def get(self, key, make: Callable[[], Any]):
        if key not in self._items:
            self._items[key] = make()
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        self._items.move_to_end(key)
        return self._items[key]

    def clear(self) -> None:
        self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


def jackknife(x: np.ndarray, values) -> np.ndarray:
    """T on the data with point i left out, i = 1..n (the plug-in, no GANs)."""
    n = x.size
    out = np.empty(n)
    chunk = max(1, 2_000_000 // n)
    j = np.arange(n - 1)
    for s in range(0, n, chunk):
        i = np.arange(s, min(s + chunk, n))
        idx = j[None, :] + (j[None, :] >= i[:, None])
        out[i] = values(x[idx], n - 1)
    return out


def check_data(x: Any, name: str = "x") -> np.ndarray:
    """``x`` as a finite float64 sample of at least 2 points that are not all equal, on a
    scale float64 can standardise; else an error naming `x`."""
    if isinstance(x, str | bytes):
        raise TypeError(f"`{name}` must be a 1-D array of real numbers, got a string {x!r}.")
    arr = as_float_array(x, name, ndim=1, min_size=2)
    if np.all(arr == arr[0]):
        raise ValueError(f"`{name}` must not be constant: all {arr.size} points equal "
                         f"{float(arr[0])!r}.")
    check_scale(arr, f"`{name}`")  # an sd that overflows would pass for a diverged training
    return arr


def functional_values(T: Any) -> tuple[str | None, Callable[[np.ndarray, int], np.ndarray]]:
    """``T`` as (built-in name or None, ``values(samples (k, s), n) -> (k,)``)."""
    if isinstance(T, str):
        if T not in FUNCTIONALS:
            allowed = ", ".join(repr(k) for k in FUNCTIONALS)
            raise ValueError(f"`T` must be one of {allowed}, a Functional or a callable; got "
                             f"{T!r}.")
        f = FUNCTIONALS[T]
        return T, lambda s, n: f.evaluate(s, n)["estimate"]
    if isinstance(T, Functional):
        key = next((k for k, v in FUNCTIONALS.items() if v is T), None)
        return key, lambda s, n: T.evaluate(s, n)["estimate"]
    if callable(T):
        def values(s, n):
            out = np.empty(s.shape[0])
            for i, row in enumerate(s):
                v = T(row)
                out[i] = v.estimate if isinstance(v, Estimate) else float(np.asarray(
                    v, dtype=np.float64).reshape(()))
            return out
        return None, values
    raise TypeError(f"`T` must be a built-in name, a Functional or a callable on a sample; got "
                    f"{T!r}.")
