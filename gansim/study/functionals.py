"""Functionals T of a sample: what a study estimates with each method.

- :class:`Functional`: a named functional of a 1-D sample (any callable returning a number
  or an :class:`Estimate`), with its true value where the DGP knows it;
- :data:`FUNCTIONALS`: the built-in ones (mean with its plug-in t interval, median, sd,
  0.1 and 0.9 quantiles), vectorised over a block of samples;
- :func:`sample_mean`, :func:`sample_sd`, :func:`ks_distance`, :func:`ks_distance_batch`:
  the primitives, on numpy arrays, pandas Series/DataFrames or lists; the KS distance needs
  only a vectorised cdf callable such as ``Normal().cdf`` or ``scipy.stats.norm.cdf``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from gansim._validation import as_float_array

__all__ = [
    "FUNCTIONALS",
    "Estimate",
    "Functional",
    "GapMass",
    "TailIndex",
    "mixture_gap",
    "tail_index_truth",
    "functionals_batch",
    "make_functionals",
    "sample_mean",
    "sample_sd",
    "as_scalar",
    "true_value",
]


@dataclass(frozen=True)
class Estimate:
    """One estimate with, where known, its standard error and interval bounds.

    A :class:`Functional` or a method written as a plain function may return one instead of a
    bare number; the missing parts are NaN.

    Every field is a real number (a Python or numpy int or float; not a string, a bool or a
    complex number), stored as a float, and is either NaN, meaning "not given", or finite:
    ``se >= 0``, and ``lower <= upper`` when both bounds are given.  Anything else is a
    TypeError or ValueError naming the field, so that an impossible interval or standard
    error never reaches a study's summaries.  An estimate of NaN means the method has none
    for that replication: a study marks that row ``failed``.

    Examples
    --------
    >>> Estimate(1.5, se=0.2)
    Estimate(estimate=1.5, se=0.2, lower=nan, upper=nan)
    >>> Estimate(1.0, lower=2.0, upper=0.0)
    Traceback (most recent call last):
    ...
    ValueError: Estimate: `lower` (2.0) must not exceed `upper` (0.0).
    """

    estimate: float
    se: float = math.nan
    lower: float = math.nan
    upper: float = math.nan

    def __post_init__(self):
        for name in ("estimate", "se", "lower", "upper"):
            object.__setattr__(self, name, _estimate_field(getattr(self, name), name))
        if self.se < 0:
            raise ValueError(f"Estimate: `se` must be NaN or a finite number >= 0, got "
                             f"{self.se!r}.")
        if self.lower > self.upper:  # False when either is NaN
            raise ValueError(f"Estimate: `lower` ({self.lower!r}) must not exceed `upper` "
                             f"({self.upper!r}).")


def _estimate_field(value: Any, name: str) -> float:
    """One field of an :class:`Estimate` as a float: NaN or finite, else an error naming it.

    A real number of any kind is taken (Python's, numpy's, a one-element array or tensor);
    a bool, string, complex number or several values are not."""
    try:
        arr = None if isinstance(value, bool | str | bytes) else np.asarray(value)
    except Exception:
        arr = None
    if arr is None or arr.dtype.kind not in "iuf" or arr.size != 1:
        raise TypeError(f"Estimate: `{name}` must be a real number (NaN where not given), got "
                        f"{type(value).__name__} {value!r}.")
    out = float(arr.reshape(()))
    if math.isinf(out):
        raise ValueError(f"Estimate: `{name}` must be finite or NaN (not given), got {out!r}.")
    return out


#: Columns of an estimate in a study's tidy results, in order.
ESTIMATE_FIELDS = ("estimate", "se", "lower", "upper")


@dataclass(frozen=True)
class Functional:
    """A functional T of a distribution, evaluated on a sample (data or a method's draws).

    Parameters
    ----------
    fn : callable
        ``fn(sample) -> float | Estimate`` on a 1-D float64 array.
    truth : float, callable or None
        T(F) of the data-generating process: a number, or ``truth(dgp) -> float`` (e.g.
        ``lambda d: d.sf(5)`` for P(X > 5) of a scipy.stats distribution or a gansim DGP).
        None: unknown, and a study reports no bias, MSE or coverage for it (with a note); a
        callable returning None or a non-finite value means the same.  A callable that
        raises (a DGP without ``sf``, say) stops the study before any work, naming the
        functional.
    description : str
        Shown in tables and notes.

    Examples
    --------
    >>> import scipy.stats as st
    >>> tail = Functional(lambda x: float(np.mean(x > 5)), truth=lambda d: d.sf(5))
    >>> round(tail.true_value(st.gamma(2)), 4)
    0.0404
    >>> tail.evaluate(np.array([[1.0, 6.0, 7.0, 2.0]]), n=4)["estimate"]
    array([0.5])
    """

    fn: Callable[[np.ndarray], Any]
    truth: float | Callable[[Any], float] | None = None
    description: str = ""

    def __post_init__(self):
        if not callable(self.fn):
            raise TypeError(f"`fn` must be a callable on a 1-D sample, got {self.fn!r}.")
        t = self.truth
        if t is not None and not callable(t) and (
                isinstance(t, bool) or not isinstance(t, numbers.Real)):
            raise TypeError(f"`truth` must be a number, a callable of the DGP or None; got {t!r}.")

    def evaluate(self, samples: np.ndarray, n: int) -> dict[str, np.ndarray]:
        """T of each row of ``samples`` (``(R, k)``); ``n`` is the size of the data behind
        them.  Returns :data:`ESTIMATE_FIELDS` -> ``(R,)`` arrays.

        A bare number that is not finite (inf, NaN) is kept as it is: a study marks that
        row ``failed``.  ``None``, a string, a complex number or an array of several values
        is an error (a TypeError or ValueError saying what came back)."""
        out = {f: np.full(samples.shape[0], np.nan) for f in ESTIMATE_FIELDS}
        for r, row in enumerate(samples):
            value = self.fn(row)
            if isinstance(value, Estimate):
                for f in ESTIMATE_FIELDS:
                    out[f][r] = getattr(value, f)
            else:
                out["estimate"][r] = as_scalar(value)
        return out

    def true_value(self, dgp: Any, name: str = "") -> float | None:
        """T(F) for ``dgp``: a number, or None when the truth is unknown (``truth=None``, or a
        truth that returns None or a non-finite value).

        A truth that raises, or returns anything but one real number, is a ValueError naming
        the functional (``name``, its name in a study) -- not an unknown truth, which would
        silently drop its bias, MSE and coverage.

        Examples
        --------
        >>> Functional(np.mean, truth=lambda d: d.no_such).true_value("dgp", "t")
        Traceback (most recent call last):
        ...
        ValueError: the truth of functional 't' failed for 'dgp': AttributeError: ...
        """
        t = self.truth
        if t is None:
            return None
        if not callable(t):
            value = float(t)
            return value if math.isfinite(value) else None
        what = f"the truth of functional {name!r}" if name else "the functional's truth"
        try:
            raw = t(dgp)
        except Exception as exc:
            raise ValueError(f"{what} failed for {_short(dgp)}: {type(exc).__name__}: "
                             f"{exc}") from exc
        if raw is None:
            return None
        arr = np.asarray(raw)
        if arr.dtype.kind not in "iuf" or arr.size != 1:
            raise ValueError(f"{what} must return one real number for {_short(dgp)}; it "
                             f"returned {type(raw).__name__} of shape {arr.shape} and dtype "
                             f"{arr.dtype}.")
        value = float(arr.reshape(()))
        return value if math.isfinite(value) else None


def _short(obj: Any) -> str:
    text = repr(obj)
    return text if len(text) <= 80 else text[:77] + "..."


def as_scalar(value: Any, who: str = "a functional") -> float:
    """A bare result (of ``who``: a functional, or a method's estimate) as a float: one
    real (or boolean) number, finite or not; None, a string, a complex number or several
    values are an error saying what came back."""
    must = f"{who} must return a real number or an Estimate, got"
    if value is None or isinstance(value, str | bytes):
        raise TypeError(f"{must} {value!r}.")
    arr = np.asarray(value)
    if arr.dtype.kind not in "biufO":
        raise TypeError(f"{must} {type(value).__name__} of dtype {arr.dtype}.")
    if arr.size != 1:
        raise ValueError(f"{who} must return one number or an Estimate, got shape "
                         f"{arr.shape}.")
    item = arr.reshape(())[()]
    if arr.dtype.kind == "O" and (item is None or isinstance(item, str | bytes | complex)):
        raise TypeError(f"{must} {item!r}.")
    return float(np.asarray(item, dtype=np.float64))


def true_value(dgp: Any, name: str) -> float | None:
    """A property of a DGP-like object by name (``mean``, ``sd``/``std``, ``median``), or
    ``ppf(q)``; None when the object does not have it.

    Works for gansim's DGPs (properties) and frozen scipy.stats distributions (methods).

    Examples
    --------
    >>> import scipy.stats as st
    >>> true_value(st.gamma(2), "mean"), true_value(st.gamma(2), "sd") ** 2
    (2.0, 2.0000000000000004)
    """
    names = {"sd": ("sd", "std")}.get(name, (name,))
    for attr in names:
        value = getattr(dgp, attr, None)
        if value is None:
            continue
        try:
            value = float(value() if callable(value) else value)
        except Exception:
            return None
        return value if math.isfinite(value) else None
    return None


def _quantile_truth(q: float) -> Callable[[Any], float]:
    def truth(dgp):
        return float(np.asarray(dgp.ppf(q)))
    return truth


class _Builtin(Functional):
    """A built-in functional, computed for a whole block at once."""

    def __init__(self, batch: Callable, truth, description: str):
        super().__init__(fn=lambda x: batch(x[None, :], x.size)["estimate"][0], truth=truth,
                         description=description)
        object.__setattr__(self, "batch", batch)

    def evaluate(self, samples, n):
        out = self.batch(samples, n)
        return {f: out.get(f, np.full(samples.shape[0], np.nan)) for f in ESTIMATE_FIELDS}

    def true_value(self, dgp, name=""):
        # A DGP without what a built-in's truth needs (no ppf, say): unknown, noted by the
        # study.
        try:
            return super().true_value(dgp, name)
        except ValueError:
            return None

    def __reduce__(self):
        # By name, so that a study's settings and worker processes see the same object.
        name = next(k for k, v in FUNCTIONALS.items() if v is self)
        return (_builtin, (name,))


def _builtin(name: str) -> Functional:
    return FUNCTIONALS[name]


def _mean_t(x: np.ndarray, n: int, level: float = 0.95) -> dict[str, np.ndarray]:
    est = x.mean(axis=1)
    s = x.std(axis=1, ddof=1)
    se = s / math.sqrt(n)
    half = stats.t.ppf(0.5 + level / 2, df=n - 1) * s / math.sqrt(n)
    return {"estimate": est, "se": se, "lower": est - half, "upper": est + half}


def _quantiles(x: np.ndarray, q: float) -> dict[str, np.ndarray]:
    return {"estimate": np.quantile(x, q, axis=1)}


#: The built-in functionals, by name.  Quantiles are numpy's default (linear interpolation of
#: the order statistics, Hyndman & Fan type 7); sd has divisor k - 1.  The mean carries the
#: plug-in interval  T ± t(n-1; 0.975) s / sqrt(n), s the sd of the sample it is computed on
#: and n the size of the *data* (so, for a method's m draws, s is the sd of the fitted
#: distribution, not a Monte Carlo error of the draws).
FUNCTIONALS: Mapping[str, Functional] = {
    "mean": _Builtin(_mean_t, lambda d: true_value(d, "mean"),
                     "mean, with the plug-in 95% t interval"),
    "median": _Builtin(lambda x, n: _quantiles(x, 0.5), _quantile_truth(0.5),
                       "median (0.5 quantile)"),
    "sd": _Builtin(lambda x, n: {"estimate": x.std(axis=1, ddof=1)},
                   lambda d: true_value(d, "sd"), "standard deviation"),
    "q10": _Builtin(lambda x, n: _quantiles(x, 0.1), _quantile_truth(0.1), "0.1 quantile"),
    "q90": _Builtin(lambda x, n: _quantiles(x, 0.9), _quantile_truth(0.9), "0.9 quantile"),
}


def make_functionals(spec: Any) -> dict[str, Functional]:
    """Normalise a study's ``functionals`` argument to ``name -> Functional``.

    ``spec`` is a sequence of built-in names, or a mapping ``name -> Functional``, built-in
    name or plain callable (a functional with unknown truth).

    Examples
    --------
    >>> sorted(make_functionals(["mean", "sd"]))
    ['mean', 'sd']
    >>> make_functionals({"p5": lambda x: np.mean(x > 5)})["p5"].truth is None
    True
    """
    allowed = ", ".join(repr(k) for k in FUNCTIONALS)
    if isinstance(spec, str) or not isinstance(spec, Mapping | list | tuple):
        raise TypeError(f"`functionals` must be a list of names among {allowed} or a mapping "
                        f"name -> Functional or callable; got {spec!r}.")
    items = spec.items() if isinstance(spec, Mapping) else ((k, k) for k in spec)
    out = {}
    for name, f in items:
        if not isinstance(name, str) or not name:
            raise ValueError(f"`functionals` names must be non-empty strings, got {name!r}.")
        if isinstance(f, str):
            if f not in FUNCTIONALS:
                raise ValueError(f"`functionals` entry {name!r}: built-in names are {allowed}; "
                                 f"got {f!r}.")
            f = FUNCTIONALS[f]
        elif not isinstance(f, Functional):
            if not callable(f):
                raise TypeError(f"`functionals` entry {name!r} must be a Functional, a built-in "
                                f"name or a callable; got {f!r}.")
            f = Functional(f)
        out[name] = f
    return out


def functionals_batch(samples: np.ndarray) -> dict[str, np.ndarray]:
    """The estimates of the built-in :data:`FUNCTIONALS` of each row of a 2-D array.

    Examples
    --------
    >>> f = functionals_batch(np.array([[1.0, 2.0, 3.0, 10.0]]))
    >>> f["mean"], f["median"], f["q10"]
    (array([4.]), array([2.5]), array([1.3]))
    """
    x = np.asarray(samples, dtype=np.float64)
    return {k: f.evaluate(x, x.shape[1])["estimate"] for k, f in FUNCTIONALS.items()}


def sample_mean(x: Any) -> float:
    """Arithmetic mean of a 1-D sample.

    Parameters
    ----------
    x : array_like
        1-D sample of at least 1 finite value.

    Returns
    -------
    float

    Examples
    --------
    >>> sample_mean([1.0, 2.0, 6.0])
    3.0
    """
    x = _sample_iv(x, "x", min_size=1)
    return float(np.mean(x))


def sample_sd(x: Any, *, ddof: int = 1) -> float:
    """Standard deviation of a 1-D sample.

    Parameters
    ----------
    x : array_like
        1-D sample of finite values, more than ``ddof`` of them.
    ddof : int, optional
        Delta degrees of freedom: the divisor is ``n - ddof``.  The default 1 gives the
        square root of the unbiased variance.

    Returns
    -------
    float

    Examples
    --------
    >>> sample_sd([1.0, 2.0, 6.0])
    2.6457513110645907
    >>> sample_sd([1.0, 2.0, 6.0], ddof=0) < sample_sd([1.0, 2.0, 6.0])
    True
    """
    x, ddof = _sample_sd_iv(x, ddof)
    return float(np.std(x, ddof=ddof))


# --------------------------------------------------------------------------------------------
# Input validation: one helper per entry point, returning cleaned arguments.


def _sample_iv(x: Any, name: str, *, min_size: int) -> np.ndarray:
    return as_float_array(x, name, ndim=1, min_size=min_size)


def _sample_sd_iv(x: Any, ddof: Any) -> tuple[np.ndarray, int]:
    if isinstance(ddof, bool) or not isinstance(ddof, numbers.Integral) or ddof < 0:
        raise ValueError(f"`ddof` must be an integer >= 0, got {ddof!r}.")
    return as_float_array(x, "x", ndim=1, min_size=int(ddof) + 1), int(ddof)



# --------------------------------------------------------------------------------------------
# Functionals that measure a generator's failure modes: the mass it puts in a gap between
# modes, the tail index of its draws.


class _Between:
    """The share of a sample strictly inside (lower, upper) (picklable, for workers)."""

    def __init__(self, lower: float, upper: float):
        self.lower, self.upper = lower, upper

    def __call__(self, x: np.ndarray) -> float:
        return float(np.mean((x > self.lower) & (x < self.upper)))


class _MassTruth:
    def __init__(self, lower: float, upper: float):
        self.lower, self.upper = lower, upper

    def __call__(self, dgp: Any) -> float:
        return float(np.asarray(dgp.cdf(self.upper)) - np.asarray(dgp.cdf(self.lower)))


class GapMass(Functional):
    """The probability a distribution puts in the interval (lower, upper), estimated by the
    share of the sample inside it; its truth ``F(upper) - F(lower)`` from the DGP's cdf.

    Measures how much mass a generator leaves between two modes: with ``(lower, upper)``
    from :func:`mixture_gap`, a continuous generator of a connected latent must put some
    there, the data's distribution puts little.

    Examples
    --------
    >>> from gansim.study.dgp import Normal
    >>> f = GapMass(-1.0, 1.0)
    >>> round(f.true_value(Normal()), 4)
    0.6827
    >>> f.evaluate(np.array([[-2.0, 0.0, 0.5, 3.0]]), n=4)["estimate"]
    array([0.5])
    """

    def __init__(self, lower: float, upper: float):
        lower, upper = float(lower), float(upper)
        if not (math.isfinite(lower) and math.isfinite(upper) and lower < upper):
            raise ValueError(f"`lower` and `upper` must be finite with lower < upper, got "
                             f"{lower!r}, {upper!r}.")
        super().__init__(fn=_Between(lower, upper), truth=_MassTruth(lower, upper),
                         description=f"probability in ({lower:.6g}, {upper:.6g})")

    def evaluate(self, samples, n):
        x = np.asarray(samples, dtype=np.float64)
        share = np.mean((x > self.fn.lower) & (x < self.fn.upper), axis=1)
        return {"estimate": share, **{f: np.full(x.shape[0], np.nan)
                                      for f in ESTIMATE_FIELDS[1:]}}


def mixture_gap(dgp: Any, half_width: float | None = None) -> tuple[float, float]:
    """The gap of a two-component normal mixture: the point of least density between the
    two means, ± ``half_width`` (default: a quarter of the distance between the means).

    Examples
    --------
    >>> from gansim.study.dgp import NormalMixture
    >>> [round(v, 6) for v in mixture_gap(NormalMixture())]   # modes at -2 and 2
    [-1.0, 1.0]
    """
    from scipy.optimize import minimize_scalar

    means = tuple(float(m) for m in getattr(dgp, "means", ()))
    if len(means) != 2:
        raise ValueError(f"`dgp` must be a normal mixture of two components, got {dgp!r}.")
    lo, hi = sorted(means)
    if half_width is None:
        half_width = (hi - lo) / 4
    if not (math.isfinite(half_width) and half_width > 0):
        raise ValueError(f"`half_width` must be a positive number, got {half_width!r}.")
    res = minimize_scalar(lambda x: float(np.asarray(dgp.pdf(x))), bounds=(lo, hi),
                          method="bounded", options={"xatol": 1e-10})
    centre = float(res.x)
    return centre - half_width, centre + half_width


def tail_index_truth(dgp: Any) -> float:
    """The tail index α of the upper tail of ``dgp`` (``P(X > x) ~ C x^(-α)``): the degrees
    of freedom of a Student t (gansim's or scipy's), else infinity -- every other DGP here
    has lighter than polynomial tails (the lognormal's is heavy, yet every moment is finite
    and its index is infinite).

    Examples
    --------
    >>> from gansim.study.dgp import StudentT, LogNormal
    >>> tail_index_truth(StudentT(df=3.0)), tail_index_truth(LogNormal())
    (3.0, inf)
    """
    if getattr(dgp, "name", None) == "t":
        return float(dgp.df)
    dist = getattr(dgp, "dist", None)
    if getattr(dist, "name", None) == "t":
        return float(dgp.kwds.get("df", dgp.args[0] if dgp.args else math.nan))
    return math.inf


class _Hill:
    """Hill's estimate on the excess over the sample's median (picklable, for workers)."""

    def __init__(self, k: int | None):
        self.k = k

    def k_for(self, size: int) -> int:
        from gansim.gan.latent import hill_k

        return hill_k(size) if self.k is None else int(min(size - 1, self.k))

    def __call__(self, x: np.ndarray) -> float:
        return float(self.batch(np.asarray(x, dtype=np.float64)[None, :])[0])

    def batch(self, x: np.ndarray) -> np.ndarray:
        from gansim.gan.latent import hill_tail_index

        est = np.full(x.shape[0], np.nan)
        finite = np.isfinite(x).all(axis=1)
        if finite.any():
            rows = x[finite]
            est[finite] = hill_tail_index(rows - np.median(rows, axis=1, keepdims=True),
                                          self.k_for(x.shape[1]))
        return est


class TailIndex(Functional):
    """Hill's estimate of the upper tail index α of a sample: from the k largest excesses
    over the sample's median (k = ⌈√size⌉ by default: 1,000 of m = 10^6 draws, 10 of n = 100
    data points; :func:`gansim.gan.latent.hill_tail_index`); its truth
    :func:`tail_index_truth` (unknown, so no bias is reported, where it is infinite).

    Measured from the median, the estimate does not change when the sample is shifted (a
    standardised GAN's draws mapped back, a DGP's location), and the excesses are positive
    whenever the sample is not mostly tied.  About α for a Pareto-type upper tail (with
    Hill's usual finite-k bias), large for a light one (and growing with the sample size);
    F_n's "sample" is the data, so its row is the data's own estimate.

    Parameters
    ----------
    k : int, optional
        A fixed number of order statistics instead of ⌈√size⌉.

    Examples
    --------
    >>> rng = np.random.default_rng(3)
    >>> est = TailIndex().evaluate(rng.standard_t(3, size=(1, 1_000_000)), n=100)["estimate"]
    >>> bool(abs(est[0] - 3.0) < 0.3)
    True
    """

    def __init__(self, k: int | None = None):
        if k is not None and (isinstance(k, bool) or not isinstance(k, numbers.Integral)
                              or k < 1):
            raise ValueError(f"`k` must be None or a positive integer, got {k!r}.")
        super().__init__(fn=_Hill(None if k is None else int(k)), truth=tail_index_truth,
                         description="Hill's tail index from the "
                                     f"{'sqrt(size)' if k is None else k} largest excesses "
                                     "over the median")

    def evaluate(self, samples, n):
        x = np.asarray(samples, dtype=np.float64)
        return {"estimate": self.fn.batch(x), **{f: np.full(x.shape[0], np.nan)
                                                 for f in ESTIMATE_FIELDS[1:]}}
