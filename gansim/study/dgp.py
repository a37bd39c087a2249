"""Data-generating processes (DGPs) with their exact true values.

A DGP draws samples from an explicit :class:`numpy.random.Generator` and knows its exact
truths -- mean, sd, median, quantiles, cdf -- so a study scores each estimator against the
truth, never against another estimate.  Scope: univariate, continuous distributions only;
continuity is what makes the KS distance of :mod:`gansim.study.functionals` exact.

Choose a DGP by name through the registry :data:`DGPS` and :func:`make_dgp`, so a study's
design grid can hold plain strings and numbers.

The DGP protocol
----------------
A study (:class:`gansim.study.core.Study`) accepts as its DGP a gansim DGP, a frozen
``scipy.stats`` distribution (wrapped in :class:`ScipyDGP`) or any object of the user's.  What
it calls on that object, and when:

``sample(n, rng)`` -- required
    Once per replication, with the replication's own :class:`numpy.random.Generator`: it
    must draw only from ``rng`` and return a numpy array of ``n`` finite real numbers (shape
    ``(n,)``).  Anything else -- a list, another shape, a NaN -- fails that replication
    (status ``"error"``, with a reason naming the DGP); the study goes on.

Optional, each enabling what is listed, and skipped with a note in the study's
``conditions`` when missing:

``mean``, ``std`` (or ``sd``), ``median``
    Numbers or methods without arguments: the true mean, sd and median (the truths of the
    built-in functionals ``mean``, ``sd``, ``median``; bias, MSE and coverage need them).
``ppf(q)``
    The quantile function: the truths of ``median``, ``q10``, ``q90``; the oracle method;
    the GAN's ``jsd_star`` diagnostic.
``cdf(x)``
    The distances ``ks`` and ``cvm``; the GAN's ``collapsed`` diagnostic.  ``w1`` needs one
    of gansim's families.
``sf(x)``
    Not used by gansim itself; a user functional's truth may call it
    (``Functional(fn, truth=lambda d: d.sf(4))``).

``ppf``, ``cdf`` and ``sf`` are called on numpy arrays and must be vectorised (return an
array of the input's shape).  One that takes a single number at a time is detected once
per condition (:func:`vectorised`) and called point by point, with a note.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, ClassVar

import numpy as np
from scipy import special

from gansim._validation import Instance, Integer, Real

__all__ = [
    "ScipyDGP",
    "as_dgp", "DGP", "DGPS", "Gamma", "LogNormal", "Normal", "NormalMixture", "StudentT",
    "Uniform", "check_sample", "dgp_name", "make_dgp", "vectorised"]

#: Relative tolerance on the sum of mixture weights: loose enough for weights typed as
#: decimals such as (0.1, 0.2, 0.7), tight enough to catch a forgotten component.
_WEIGHT_SUM_RTOL = 1e-8

#: Below this lower-tail probability the Student t quantile avoids scipy.special.stdtrit,
#: which is wrong there (see StudentT._ppf); above it stdtrit is accurate to ~1 ulp.
_T_LOWER_TAIL = 1e-20

#: Iteration cap of the mixture quantile solver.  Every step that Newton cannot take is a
#: bisection, so ~60 steps already reach double precision from the initial bracket; the cap
#: only guards against a pathological loop.
_PPF_MAX_ITER = 200


class DGP(ABC):
    """A univariate continuous distribution to simulate from, with its exact truths.

    Subclasses define ``name``, the draw, the cdf, pdf and ppf, and the exact ``mean`` and
    ``var``; ``sd``, ``median`` and ``quantile`` follow from those.

    Attributes
    ----------
    name : str
        Registry key of the family, e.g. ``"normal"``.

    Examples
    --------
    >>> import numpy as np
    >>> dgp = Normal(mean=1.0, sd=2.0)
    >>> isinstance(dgp, DGP), dgp.name
    (True, 'normal')
    >>> dgp.sample(3, np.random.default_rng(1)).shape
    (3,)
    """

    name: ClassVar[str]

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Draw ``n`` independent values.

        Parameters
        ----------
        n : int
            Sample size, >= 1.
        rng : numpy.random.Generator
            Source of randomness; the DGP never seeds itself, so the caller's stream alone
            decides the draw.

        Returns
        -------
        numpy.ndarray
            float64 array of shape ``(n,)``.

        Examples
        --------
        >>> import numpy as np
        >>> x = StudentT(df=5.0).sample(4, np.random.default_rng(2020))
        >>> x.dtype, x.shape
        (dtype('float64'), (4,))
        """
        n, rng = _sample_iv(n, rng)
        return np.asarray(self._draw(n, rng), dtype=np.float64).reshape(n)

    def cdf(self, x: Any) -> np.ndarray | np.float64:
        """Cumulative distribution function P(X <= x), elementwise.

        Parameters
        ----------
        x : array_like of float
            Points; ``nan`` propagates, ``-inf`` and ``inf`` give 0 and 1.

        Returns
        -------
        numpy.ndarray or numpy.float64
            Same shape as ``x``; a scalar for scalar input.

        Examples
        --------
        >>> print(Normal().cdf(0.0))
        0.5
        >>> Normal().cdf([-np.inf, np.inf])
        array([0., 1.])
        """
        x = _points_iv(x)
        return _like_input(self._cdf(x))

    def sf(self, x: Any) -> np.ndarray | np.float64:
        """Survival function P(X > x) = 1 - cdf(x), elementwise (as scipy.stats' ``sf``, so
        that a truth such as ``lambda d: d.sf(5)`` works for gansim's DGPs too).

        Computed as ``1 - cdf(x)``: accurate to about 1e-16 in absolute terms, not in
        relative terms far in the upper tail.

        Examples
        --------
        >>> print(Normal().sf(0.0))
        0.5
        >>> Normal().sf([-np.inf, np.inf])
        array([1., 0.])
        """
        x = _points_iv(x)
        return _like_input(1.0 - self._cdf(x))

    def pdf(self, x: Any) -> np.ndarray | np.float64:
        """Probability density function, elementwise.

        Parameters
        ----------
        x : array_like of float
            Points.

        Returns
        -------
        numpy.ndarray or numpy.float64
            Same shape as ``x``; a scalar for scalar input.

        Examples
        --------
        >>> round(float(Normal().pdf(0.0)), 6)
        0.398942
        """
        x = _points_iv(x)
        return _like_input(self._pdf(x))

    def ppf(self, q: Any) -> np.ndarray | np.float64:
        """Quantile function (inverse cdf), elementwise.

        Parameters
        ----------
        q : array_like of float
            Probabilities in [0, 1]; 0 and 1 give the ends of the support.

        Returns
        -------
        numpy.ndarray or numpy.float64
            Same shape as ``q``; a scalar for scalar input.

        Examples
        --------
        >>> round(float(Normal().ppf(0.975)), 4)
        1.96
        """
        q = _probabilities_iv(q)
        return _like_input(self._ppf(q))

    def quantile(self, q: Any) -> np.ndarray | np.float64:
        """The true ``q``-quantile(s); the same as :meth:`ppf`.

        Examples
        --------
        >>> LogNormal().quantile([0.5])
        array([1.])
        """
        return self.ppf(q)

    @property
    @abstractmethod
    def mean(self) -> float:
        """Exact mean E(X) (``nan`` where it does not exist)."""

    @property
    @abstractmethod
    def var(self) -> float:
        """Exact variance Var(X) (``inf`` where it is infinite)."""

    @property
    def sd(self) -> float:
        """Exact standard deviation, sqrt of :attr:`var`."""
        return math.sqrt(self.var)

    @property
    def median(self) -> float:
        """Exact median, ``ppf(0.5)``."""
        return float(self.ppf(0.5))

    @abstractmethod
    def _draw(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` draws; arguments already validated."""

    @abstractmethod
    def _cdf(self, x: np.ndarray) -> np.ndarray:
        """cdf on a validated float array."""

    @abstractmethod
    def _pdf(self, x: np.ndarray) -> np.ndarray:
        """pdf on a validated float array."""

    @abstractmethod
    def _ppf(self, q: np.ndarray) -> np.ndarray:
        """ppf on a validated float array of probabilities in [0, 1]."""


@dataclass(frozen=True)
class Normal(DGP):
    """Normal distribution N(mean, sd²).

    Parameters
    ----------
    mean : float
        Mean, finite.
    sd : float
        Standard deviation, > 0.

    Examples
    --------
    >>> dgp = Normal(mean=1.0, sd=2.0)
    >>> dgp
    Normal(mean=1.0, sd=2.0)
    >>> dgp.var, dgp.median
    (4.0, 1.0)
    """

    name: ClassVar[str] = "normal"
    mean: float = 0.0
    sd: float = 1.0

    def __post_init__(self) -> None:
        _set_fields(self, _normal_iv(self.mean, self.sd))

    @property
    def var(self) -> float:
        return self.sd**2

    @property
    def median(self) -> float:
        return self.mean

    def _draw(self, n, rng):
        return rng.normal(self.mean, self.sd, size=n)

    def _cdf(self, x):
        return special.ndtr((x - self.mean) / self.sd)

    def _pdf(self, x):
        return _std_normal_pdf((x - self.mean) / self.sd) / self.sd

    def _ppf(self, q):
        return self.mean + self.sd * special.ndtri(q)


@dataclass(frozen=True)
class StudentT(DGP):
    """Location-scale Student t distribution: ``loc + scale * T`` with T ~ t(df).

    Parameters
    ----------
    df : float
        Degrees of freedom, > 0 and finite.
    loc : float
        Location (the median; also the mean when ``df > 1``).
    scale : float
        Scale, > 0 (not the sd: the sd is ``scale * sqrt(df / (df - 2))``).

    Notes
    -----
    The mean is ``nan`` for ``df <= 1``, where it does not exist.  The variance is ``inf``
    for ``df <= 2``: the second moment about ``loc`` is infinite there.  (scipy reports
    ``nan`` instead of ``inf`` for the variance when ``df <= 1``.)

    Examples
    --------
    >>> dgp = StudentT(df=4.0, loc=1.0, scale=2.0)
    >>> dgp.mean, dgp.var
    (1.0, 8.0)
    >>> StudentT(df=2.0).sd
    inf
    """

    name: ClassVar[str] = "t"
    df: float = 3.0
    loc: float = 0.0
    scale: float = 1.0

    def __post_init__(self) -> None:
        _set_fields(self, _student_t_iv(self.df, self.loc, self.scale))

    @property
    def mean(self) -> float:
        return self.loc if self.df > 1 else math.nan

    @property
    def var(self) -> float:
        return self.scale**2 * self.df / (self.df - 2) if self.df > 2 else math.inf

    @property
    def median(self) -> float:
        return self.loc

    def _draw(self, n, rng):
        return self.loc + self.scale * rng.standard_t(self.df, size=n)

    def _cdf(self, x):
        return special.stdtr(self.df, (x - self.loc) / self.scale)

    def _pdf(self, x):
        z = (x - self.loc) / self.scale
        nu = self.df
        # Log scale keeps the normalising gamma ratio finite for large df.
        log_c = special.gammaln((nu + 1) / 2) - special.gammaln(nu / 2) - 0.5 * np.log(nu * np.pi)
        return np.exp(log_c - (nu + 1) / 2 * np.log1p(z**2 / nu)) / self.scale

    def _ppf(self, q):
        z = np.asarray(special.stdtrit(self.df, q), dtype=np.float64)
        tiny = q < _T_LOWER_TAIL
        if np.any(tiny):
            # scipy.special.stdtrit gives +inf or wrong values for tiny lower-tail q (and +inf
            # at q = 0; scipy/scipy#25968).  There, invert P(T <= -t) = I_x(df/2, 1/2) / 2,
            # x = df / (df + t²), directly; x is far from 1, so 1 - x does not cancel.
            with np.errstate(divide="ignore"):
                x = special.betaincinv(self.df / 2, 0.5, 2 * np.where(tiny, q, _T_LOWER_TAIL))
                z = np.where(tiny, -np.sqrt(self.df * (1 - x) / x), z)
        return self.loc + self.scale * z


@dataclass(frozen=True)
class LogNormal(DGP):
    """Log-normal distribution: ``exp(Y)`` with Y ~ N(meanlog, sdlog²).

    Parameters
    ----------
    meanlog : float
        Mean of log X, finite.
    sdlog : float
        Standard deviation of log X, > 0.

    Examples
    --------
    >>> dgp = LogNormal(meanlog=0.0, sdlog=1.0)
    >>> round(dgp.mean, 6), dgp.median
    (1.648721, 1.0)
    """

    name: ClassVar[str] = "lognormal"
    meanlog: float = 0.0
    sdlog: float = 1.0

    def __post_init__(self) -> None:
        _set_fields(self, _lognormal_iv(self.meanlog, self.sdlog))

    @property
    def mean(self) -> float:
        return math.exp(self.meanlog + self.sdlog**2 / 2)

    @property
    def var(self) -> float:
        # expm1 keeps precision when sdlog is small and exp(s²) - 1 would cancel.
        return math.expm1(self.sdlog**2) * math.exp(2 * self.meanlog + self.sdlog**2)

    @property
    def median(self) -> float:
        return math.exp(self.meanlog)

    def _draw(self, n, rng):
        return rng.lognormal(self.meanlog, self.sdlog, size=n)

    def _cdf(self, x):
        pos = x > 0
        z = (np.log(np.where(pos, x, 1.0)) - self.meanlog) / self.sdlog
        return np.where(pos, special.ndtr(z), _zero_or_nan(x))

    def _pdf(self, x):
        pos = x > 0
        xs = np.where(pos, x, 1.0)
        dens = _std_normal_pdf((np.log(xs) - self.meanlog) / self.sdlog) / (self.sdlog * xs)
        return np.where(pos, dens, _zero_or_nan(x))

    def _ppf(self, q):
        return np.exp(self.meanlog + self.sdlog * special.ndtri(q))


@dataclass(frozen=True)
class NormalMixture(DGP):
    """Finite mixture of normals, ``sum_k weights[k] * N(means[k], sds[k]²)``.

    The default is bimodal and symmetric: modes at -2 and 2 separated by 8 component sds,
    so the density nearly vanishes between them -- a hard case for a GAN (mode collapse).

    Parameters
    ----------
    weights : sequence of float
        Positive component weights summing to 1 (within a relative 1e-8); they are then
        rescaled to sum to 1 exactly so that the cdf reaches 1.
    means : sequence of float
        Component means, finite; same length as ``weights``.
    sds : sequence of float
        Component standard deviations, > 0; same length as ``weights``.

    Notes
    -----
    The quantile function has no closed form.  ``ppf`` solves ``cdf(x) = q`` for all ``q``
    at once by Newton's method safeguarded by bisection, inside the bracket formed by the
    smallest and largest component quantiles (at the smallest, every component cdf is at
    most ``q``, hence so is the mixture cdf; symmetrically for the largest).  It converges
    to a few ulps wherever the density is not tiny; ``cdf(ppf(q))`` matches ``q`` to
    ~1e-15 absolute.

    Examples
    --------
    >>> dgp = NormalMixture()
    >>> dgp
    NormalMixture(weights=(0.5, 0.5), means=(-2.0, 2.0), sds=(0.5, 0.5))
    >>> dgp.mean, dgp.var, abs(dgp.median) < 1e-12
    (0.0, 4.25, True)
    >>> skewed = NormalMixture(weights=[0.7, 0.3], means=[0, 3], sds=[1, 1])
    >>> round(float(skewed.cdf(skewed.ppf(0.9))), 12)
    0.9
    """

    name: ClassVar[str] = "mixture"
    weights: tuple[float, ...] = (0.5, 0.5)
    means: tuple[float, ...] = (-2.0, 2.0)
    sds: tuple[float, ...] = (0.5, 0.5)

    def __post_init__(self) -> None:
        _set_fields(self, _mixture_iv(self.weights, self.means, self.sds))

    @property
    def mean(self) -> float:
        w, m, _ = self._arrays()
        return float(w @ m)

    @property
    def var(self) -> float:
        # Law of total variance: within-component plus between-component variance.
        w, m, s = self._arrays()
        return float(w @ s**2 + w @ (m - w @ m) ** 2)

    def _arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return np.array(self.weights), np.array(self.means), np.array(self.sds)

    def _draw(self, n, rng):
        w, m, s = self._arrays()
        k = rng.choice(len(w), size=n, p=w)
        return rng.normal(m[k], s[k])

    def _cdf(self, x):
        w, m, s = self._arrays()
        return special.ndtr((x[..., None] - m) / s) @ w

    def _pdf(self, x):
        w, m, s = self._arrays()
        return _std_normal_pdf((x[..., None] - m) / s) @ (w / s)

    def _ppf(self, q):
        w, m, s = self._arrays()
        out = np.where(q == 0, -np.inf, np.where(q == 1, np.inf, np.nan))
        inner = (q > 0) & (q < 1)
        p = q[inner]
        comp = m + s * special.ndtri(p)[:, None]
        lo, hi = comp.min(axis=1), comp.max(axis=1)
        x = comp @ w
        # Stop once a step moves less than a few ulps of x, measured against the smallest
        # component sd so that roots near 0 do not demand an absolute precision of 1e-300.
        tol = 4 * np.finfo(float).eps
        for _ in range(_PPF_MAX_ITER):
            f = self._cdf(x) - p
            lo = np.where(f <= 0, x, lo)
            hi = np.where(f >= 0, x, hi)
            with np.errstate(divide="ignore", invalid="ignore"):
                x_new = x - f / self._pdf(x)
            # Newton overshoots where the density is nearly flat between modes (or is 0 in
            # floating point); a bisection step there still halves the bracket.
            outside = ~((x_new > lo) & (x_new < hi))
            x_new = np.where(outside, 0.5 * (lo + hi), x_new)
            converged = np.abs(x_new - x) <= tol * (np.abs(x) + s.min())
            x = x_new
            if converged.all():
                break
        out[inner] = x
        return out


@dataclass(frozen=True)
class Gamma(DGP):
    """Gamma distribution with shape k and scale θ: skewed with light (exponential) tails.

    Parameters
    ----------
    shape : float
        Shape k, > 0.
    scale : float
        Scale θ, > 0.

    Examples
    --------
    >>> dgp = Gamma(shape=2.0, scale=3.0)
    >>> dgp.mean, dgp.var
    (6.0, 18.0)
    >>> round(float(dgp.cdf(dgp.ppf(0.3))), 12)
    0.3
    """

    name: ClassVar[str] = "gamma"
    shape: float = 2.0
    scale: float = 1.0

    def __post_init__(self) -> None:
        _set_fields(self, {"shape": _real(self.shape, "shape", positive=True),
                           "scale": _real(self.scale, "scale", positive=True)})

    @property
    def mean(self) -> float:
        return self.shape * self.scale

    @property
    def var(self) -> float:
        return self.shape * self.scale**2

    def _draw(self, n, rng):
        return rng.gamma(self.shape, self.scale, size=n)

    def _cdf(self, x):
        pos = x > 0
        return np.where(pos, special.gammainc(self.shape, np.where(pos, x, 1.0) / self.scale),
                        _zero_or_nan(x))

    def _pdf(self, x):
        pos = x > 0
        z = np.where(pos, x, 1.0) / self.scale
        # Log scale: z^(k-1) e^-z / Γ(k) overflows in parts for large k.
        dens = np.exp((self.shape - 1) * np.log(z) - z - special.gammaln(self.shape)) / self.scale
        return np.where(pos, dens, _zero_or_nan(x))

    def _ppf(self, q):
        return self.scale * special.gammaincinv(self.shape, q)


@dataclass(frozen=True)
class Uniform(DGP):
    """Uniform distribution on [low, high]: bounded support.

    Parameters
    ----------
    low, high : float
        Ends of the support, finite, ``low < high``.

    Examples
    --------
    >>> dgp = Uniform(low=0.0, high=2.0)
    >>> dgp.mean, round(dgp.var, 6), float(dgp.cdf(0.5))
    (1.0, 0.333333, 0.25)
    """

    name: ClassVar[str] = "uniform"
    low: float = 0.0
    high: float = 1.0

    def __post_init__(self) -> None:
        low, high = _real(self.low, "low"), _real(self.high, "high")
        if not low < high:
            raise ValueError(f"`high` must be greater than `low`, got low={low!r}, high={high!r}.")
        _set_fields(self, {"low": low, "high": high})

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2

    @property
    def var(self) -> float:
        return (self.high - self.low) ** 2 / 12

    def _draw(self, n, rng):
        return rng.uniform(self.low, self.high, size=n)

    def _cdf(self, x):
        return np.clip((x - self.low) / (self.high - self.low), 0.0, 1.0)

    def _pdf(self, x):
        inside = (x >= self.low) & (x <= self.high)
        return np.where(np.isnan(x), np.nan, np.where(inside, 1 / (self.high - self.low), 0.0))

    def _ppf(self, q):
        return self.low + (self.high - self.low) * q


#: Registry of DGP families: name -> class.
DGPS: dict[str, type[DGP]] = {
    "normal": Normal,
    "t": StudentT,
    "lognormal": LogNormal,
    "mixture": NormalMixture,
    "gamma": Gamma,
    "uniform": Uniform,
}


class ScipyDGP:
    """A frozen ``scipy.stats`` distribution as a data-generating process.

    ``sample(n, rng)`` draws with ``rvs(size=n, random_state=rng)``; ``cdf``, ``ppf``, ``sf``,
    ``mean()``, ``std()`` and every other attribute are the distribution's own.  Built by
    :func:`as_dgp`; a study accepts the frozen distribution directly.

    Examples
    --------
    >>> import scipy.stats as st
    >>> d = as_dgp(st.gamma(2))
    >>> d, d.sample(3, np.random.default_rng(0)).shape, float(d.mean())
    (gamma(2), (3,), 2.0)
    """

    def __init__(self, dist: Any):
        self.dist = dist

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        n, rng = _sample_iv(n, rng)
        return np.asarray(self.dist.rvs(size=n, random_state=rng), dtype=np.float64)

    def __getattr__(self, name: str) -> Any:
        if name == "dist":  # not yet set (unpickling): no recursion
            raise AttributeError(name)
        return getattr(self.dist, name)

    def __repr__(self) -> str:
        args = [repr(a) for a in self.dist.args]
        args += [f"{k}={v!r}" for k, v in sorted(self.dist.kwds.items())]
        return f"{self.dist.dist.name}({', '.join(args)})"


def as_dgp(obj: Any, name: str = "dgp") -> Any:
    """``obj`` as something a study can draw from: a :class:`DGP` or any object with
    ``sample(n, rng)`` as it is, a frozen ``scipy.stats`` distribution wrapped in
    :class:`ScipyDGP`, a registry name of :data:`DGPS` built with its defaults.

    What else the object has decides what a study computes: ``cdf`` for the KS and
    Cramér–von Mises distances, ``ppf`` for the oracle and quantile truths, ``mean`` and
    ``sd``/``std`` for those truths; W1 needs one of gansim's families.

    Examples
    --------
    >>> import scipy.stats as st
    >>> as_dgp("t"), as_dgp(st.norm(1, 2))
    (StudentT(df=3.0, loc=0.0, scale=1.0), norm(1, 2))
    >>> as_dgp(3.0)
    Traceback (most recent call last):
    ...
    TypeError: `dgp` must be a gansim DGP, a frozen scipy.stats distribution, a name ...
    """
    if isinstance(obj, DGP):
        return obj
    if isinstance(obj, str) and obj in DGPS:
        return DGPS[obj]()
    if hasattr(obj, "rvs") and hasattr(obj, "dist") and hasattr(obj, "args"):
        return ScipyDGP(obj)
    if callable(getattr(obj, "sample", None)):
        return obj
    allowed = ", ".join(repr(k) for k in DGPS)
    raise TypeError(f"`{name}` must be a gansim DGP, a frozen scipy.stats distribution, a name "
                    f"among {allowed} or an object with a sample(n, rng) method; got {obj!r}.")


#: The functions of a DGP a study calls on arrays, with a probe of the right argument.
_VECTORISED = {"cdf": np.array([-1.0, 0.0, 1.0]), "sf": np.array([-1.0, 0.0, 1.0]),
               "ppf": np.array([0.25, 0.5, 0.75])}


def dgp_name(dgp: Any) -> str:
    """A short name of a DGP for messages: its ``repr`` when it has one of its own, else its
    class's name."""
    cls = type(dgp)
    if cls.__repr__ is not object.__repr__:
        text = repr(dgp)
        if " at 0x" not in text:
            return text
    return cls.__qualname__


def check_sample(x: Any, n: int, dgp: Any) -> np.ndarray:
    """``x``, what ``dgp.sample(n, rng)`` returned, as float64, or an error naming the DGP
    unless it is a numpy array of ``n`` finite real numbers.

    Examples
    --------
    >>> check_sample(np.arange(3.0), 3, Normal())
    array([0., 1., 2.])
    >>> check_sample([0.0, 1.0, 2.0], 3, Normal())
    Traceback (most recent call last):
    ...
    TypeError: Normal(mean=0.0, sd=1.0).sample(n=3, rng) must return a numpy array of 3 ...
    """
    what = f"{dgp_name(dgp)}.sample(n={n}, rng) must return a numpy array of {n} finite floats"
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{what}; it returned a {type(x).__name__}.")
    if x.dtype.kind not in "iuf":
        raise TypeError(f"{what}; it returned an array of dtype {x.dtype}.")
    if x.shape != (n,):
        raise ValueError(f"{what}; it returned shape {x.shape}.")
    bad = ~np.isfinite(x)
    if bad.any():
        raise ValueError(f"{what}; its data hold {int(bad.sum())} non-finite values.")
    return x.astype(np.float64, copy=False)


def vectorised(dgp: Any) -> tuple[Any, list[str]]:
    """``dgp`` with its ``cdf``, ``sf`` and ``ppf`` callable on arrays, and a note for each
    one that took a single number only (then called point by point).

    A function that is vectorised already, or that fails on a single number too, is left
    as it is (the latter fails the rows that use it, with its error).

    Returns
    -------
    dgp : object
        ``dgp`` itself, or a :class:`PointwiseDGP` around it.
    notes : list of str

    Examples
    --------
    >>> import math
    >>> class Expo:
    ...     def sample(self, n, rng):
    ...         return rng.exponential(size=n)
    ...     def ppf(self, q):
    ...         return -math.log1p(-q)  # one number at a time
    >>> d, notes = vectorised(Expo())
    >>> d.ppf(np.array([0.0, 0.5])).round(4), notes[0].split(":")[0]
    (array([0.    , 0.6931]), 'Expo.ppf takes one number at a time')
    """
    if isinstance(dgp, DGP) or dgp is None:  # gansim's families are vectorised
        return dgp, []
    pointwise, notes = [], []
    for attr, probe in _VECTORISED.items():
        fn = getattr(dgp, attr, None)
        if not callable(fn):
            continue
        try:
            with np.errstate(all="ignore"):
                out = np.asarray(fn(probe))
            if out.shape == probe.shape:
                continue
        except Exception:
            pass
        try:
            float(np.asarray(fn(float(probe[1]))))
        except Exception:
            continue  # not a working function of one number either: left to fail visibly
        pointwise.append(attr)
        notes.append(f"{dgp_name(dgp)}.{attr} takes one number at a time: called point by "
                     "point, which is slower than a vectorised one")
    if not pointwise:
        return dgp, []
    return PointwiseDGP(dgp, tuple(pointwise)), notes


class PointwiseDGP:
    """A DGP whose ``cdf``, ``sf`` or ``ppf`` take one number at a time, made callable on
    arrays (point by point); every other attribute, and its ``repr``, are the DGP's own.
    Built by :func:`vectorised`."""

    def __init__(self, dgp: Any, pointwise: tuple[str, ...]):
        self.dgp, self.pointwise = dgp, pointwise

    def __getattr__(self, name: str) -> Any:
        if name in ("dgp", "pointwise"):  # not yet set (unpickling): no recursion
            raise AttributeError(name)
        fn = getattr(self.dgp, name)
        if name not in self.pointwise:
            return fn

        def elementwise(x):
            arr = np.asarray(x, dtype=np.float64)
            out = np.array([float(np.asarray(fn(float(v)))) for v in arr.ravel()])
            return out.reshape(arr.shape) if arr.ndim else out[0]

        return elementwise

    def __repr__(self) -> str:
        from gansim.study.identity import object_id

        return object_id(self.dgp)


def make_dgp(name: str, **params: Any) -> DGP:
    """Build a DGP from its registry name and parameters.

    Parameters
    ----------
    name : str
        One of the keys of :data:`DGPS`: ``"normal"``, ``"t"``, ``"lognormal"``,
        ``"mixture"``, ``"gamma"``, ``"uniform"``.
    **params
        Constructor parameters of that family, e.g. ``df=5`` for ``"t"``.

    Returns
    -------
    DGP

    Examples
    --------
    >>> make_dgp("t", df=5.0, scale=2.0)
    StudentT(df=5.0, loc=0.0, scale=2.0)
    >>> make_dgp("normal")
    Normal(mean=0.0, sd=1.0)
    """
    cls = _make_dgp_iv(name, params)
    return cls(**params)


# --------------------------------------------------------------------------------------------
# Input validation: one helper per entry point, returning cleaned arguments.


def _make_dgp_iv(name: Any, params: Mapping[str, Any]) -> type[DGP]:
    allowed = ", ".join(repr(k) for k in DGPS)
    if not isinstance(name, str):
        raise TypeError(f"`name` must be a string, one of {allowed}; got {name!r}.")
    if name not in DGPS:
        raise ValueError(f"`name` must be one of {allowed}; got {name!r}.")
    cls = DGPS[name]
    known = tuple(f.name for f in fields(cls))
    unknown = [k for k in params if k not in known]
    if unknown:
        raise TypeError(f"parameters of DGP {name!r} must be among {known}; got unknown {unknown}.")
    return cls


def _sample_iv(n: Any, rng: Any) -> tuple[int, np.random.Generator]:
    return _SIZE.check(n, "n"), _RNG.check(rng, "rng")


def _points_iv(x: Any) -> np.ndarray:
    arr = np.asarray(x)
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"`x` must hold real numbers, got dtype {arr.dtype}.")
    return arr.astype(np.float64, copy=False)


def _probabilities_iv(q: Any) -> np.ndarray:
    arr = np.asarray(q)
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"`q` must hold probabilities (real numbers), got dtype {arr.dtype}.")
    arr = arr.astype(np.float64, copy=False)
    bad = ~((arr >= 0) & (arr <= 1))  # also catches nan
    if bad.any():
        raise ValueError(
            f"`q` must hold probabilities in [0, 1], got {arr[bad].ravel()[:5].tolist()}."
        )
    return arr


def _normal_iv(mean: Any, sd: Any) -> dict[str, float]:
    return {"mean": _real(mean, "mean"), "sd": _real(sd, "sd", positive=True)}


def _student_t_iv(df: Any, loc: Any, scale: Any) -> dict[str, float]:
    return {
        "df": _real(df, "df", positive=True),
        "loc": _real(loc, "loc"),
        "scale": _real(scale, "scale", positive=True),
    }


def _lognormal_iv(meanlog: Any, sdlog: Any) -> dict[str, float]:
    return {"meanlog": _real(meanlog, "meanlog"), "sdlog": _real(sdlog, "sdlog", positive=True)}


def _mixture_iv(weights: Any, means: Any, sds: Any) -> dict[str, tuple[float, ...]]:
    w = _real_tuple(weights, "weights", positive=True)
    m = _real_tuple(means, "means")
    s = _real_tuple(sds, "sds", positive=True)
    if not len(w) == len(m) == len(s):
        raise ValueError(
            "`weights`, `means` and `sds` must have the same length, got "
            f"{len(w)}, {len(m)} and {len(s)}."
        )
    total = math.fsum(w)
    if abs(total - 1) > _WEIGHT_SUM_RTOL:
        raise ValueError(f"`weights` must sum to 1, got sum {total!r}.")
    return {"weights": tuple(v / total for v in w), "means": m, "sds": s}


#: A sample size.
_SIZE = Integer(1)
#: The random generator a DGP draws with.
_RNG = Instance(np.random.Generator,
                "a numpy.random.Generator, e.g. numpy.random.default_rng(seed)",
                np.random.default_rng(0))
#: A DGP's location-like parameter and its scale-like one.
_REAL, _POSITIVE = Real(), Real(0, closed="neither")


def _real(value: Any, name: str, *, positive: bool = False) -> float:
    return (_POSITIVE if positive else _REAL).check(value, name)


def _real_tuple(values: Any, name: str, *, positive: bool = False) -> tuple[float, ...]:
    if isinstance(values, str) or not isinstance(values, Sequence | np.ndarray):
        raise TypeError(f"`{name}` must be a sequence of real numbers, got {values!r}.")
    if len(values) == 0:
        raise ValueError(f"`{name}` must have at least 1 component, got none.")
    return tuple(_real(v, f"{name}[{i}]", positive=positive) for i, v in enumerate(values))


# --------------------------------------------------------------------------------------------
# Small numeric helpers.


def _set_fields(obj: Any, values: Mapping[str, Any]) -> None:
    # Frozen dataclasses forbid attribute assignment, so cleaned values go in this way.
    for key, value in values.items():
        object.__setattr__(obj, key, value)


def _std_normal_pdf(z: np.ndarray) -> np.ndarray:
    return np.exp(-0.5 * z**2) / math.sqrt(2 * math.pi)


def _zero_or_nan(x: np.ndarray) -> np.ndarray:
    # Off the support of a positive distribution, except that nan stays nan.
    return np.where(np.isnan(x), np.nan, 0.0)


def _like_input(out: np.ndarray) -> np.ndarray | np.float64:
    # Scalar in, scalar out, as numpy ufuncs and scipy.stats do.
    return np.asarray(out, dtype=np.float64)[()]
