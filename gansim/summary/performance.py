"""Performance measures of a simulation study, each with its Monte Carlo standard error (MCSE).

Every measure and every MCSE formula lives in this one module (Morris, White & Crowther
2019, "Using simulation studies to evaluate statistical methods", Stat Med 38:2074-2102; as
implemented by the R package rsimsum).  Functions take 1-D arrays of per-replication values
(B >= 2 finite values) and return a :class:`Measure`; :func:`gansim.summary.simsum.summarise`
applies
them to a study's tidy rows.

Paired measures (:func:`mean_difference`, :func:`relprec`, :func:`variance_ratio`) assume
that row i of both inputs comes from the same replication, as when a GAN and the empirical
estimator are applied to the same data set.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from gansim._validation import Array, Integer, Options, Real, validate_params

#: Per-replication values of one measure: 1-D, finite, at least 2 replications.
ESTIMATES = Array(1, 2, noun="replication")
#: Per-replication 0/1 flags (coverage, rejection).
FLAGS = Array(1, 2, flags=True, noun="replication")
#: A true value.
TRUTH = Real()
#: A probability strictly between 0 and 1 (a nominal level, a quantile's order).
PROBABILITY = Real(0, 1, closed="neither", what="a probability")

__all__ = [
    "CoverageBand",
    "Measure",
    "bias",
    "coverage",
    "coverage_band",
    "empse",
    "mean",
    "mean_difference",
    "modelse",
    "relbias",
    "relerror",
    "rmse",
    "mse",
    "proportion",
    "quantile",
    "relprec",
    "variance",
    "variance_ratio",
    "mse_ratio",
]

#: Normal 97.5% quantile, rounded as in Morris et al. (2019) and rsimsum.
_Z95 = 1.96

@dataclass(frozen=True)
class Measure:
    """A performance measure and its Monte Carlo standard error.

    Attributes
    ----------
    value : float
        The measure estimated from the B replications.
    mcse : float
        Its Monte Carlo standard error: the sd of ``value`` over repeated simulation
        studies with the same B, estimated from this one.

    Examples
    --------
    >>> m = mean([1.0, 2.0, 6.0])
    >>> m.value
    3.0
    >>> round(m.mcse, 4)
    1.5275
    """

    value: float
    mcse: float


class CoverageBand(NamedTuple):
    """Range of coverage estimates expected from B replications at the nominal level.

    A named tuple, so ``low, high = coverage_band(0.95, 1000)`` works too.

    Examples
    --------
    >>> band = coverage_band(0.95, 1000)
    >>> band.low < 0.95 < band.high
    True
    """

    low: float
    high: float


# --------------------------------------------------------------------------------------------
# Single-method measures.


@validate_params(x=ESTIMATES)
def mean(x: Any) -> Measure:
    """Mean over replications; MCSE ``sd(x) / sqrt(B)``.

    Parameters
    ----------
    x : array_like
        1-D per-replication values, B >= 2, finite.

    Returns
    -------
    Measure

    Examples
    --------
    >>> mean([1.0, 2.0, 4.0, 7.0])
    Measure(value=3.5, mcse=1.3228756555322954)
    """
    return _mean(x)


@validate_params(est=ESTIMATES, truth=TRUTH)
def bias(est: Any, truth: float) -> Measure:
    """Bias ``mean(est) - truth``; MCSE ``sd(est) / sqrt(B)``.

    Parameters
    ----------
    est : array_like
        1-D per-replication estimates, B >= 2, finite.
    truth : float
        The true value of the estimand.

    Returns
    -------
    Measure

    Examples
    --------
    >>> bias([1.0, 2.0, 4.0, 7.0], truth=3.0).value
    0.5
    """
    return _bias(est, truth)


@validate_params(est=ESTIMATES)
def empse(est: Any) -> Measure:
    """Empirical standard error ``sd(est)``; MCSE ``EmpSE / sqrt(2 (B - 1))``.

    The MCSE is the rsimsum formula, exact for normally distributed estimates; for
    estimates with heavy tails it is too small, and :func:`variance` gives an MCSE (of the
    variance) that allows for the kurtosis.

    Parameters
    ----------
    est : array_like
        1-D per-replication estimates, B >= 2, finite.

    Returns
    -------
    Measure

    Examples
    --------
    >>> m = empse([1.0, 2.0, 4.0, 7.0])
    >>> round(m.value ** 2, 12), round(m.mcse, 4)
    (7.0, 1.0801)
    """
    return _empse(est)


@validate_params(est=ESTIMATES)
def variance(est: Any) -> Measure:
    """Unbiased sample variance of the estimates, with a kurtosis-aware MCSE.

    Parameters
    ----------
    est : array_like
        1-D per-replication estimates, B >= 2, finite.

    Returns
    -------
    Measure

    Notes
    -----
    With ``s²`` the unbiased variance and ``m4 = sum((x - mean)^4) / B`` the fourth central
    sample moment, the MCSE is

    .. math:: \\sqrt{(m_4 - s^4 (B - 3) / (B - 1)) / B},

    the plug-in estimate of the exact ``Var(s²) = (mu4 - sigma^4 (B-3)/(B-1)) / B``.  It is
    always real: ``m4 >= (B-1)² s^4 / B² > s^4 (B-3)/(B-1)``.  For normal estimates
    (``mu4 = 3 sigma^4``) it reduces to ``s² sqrt(2 / (B - 1))``, the delta-method
    counterpart of the :func:`empse` MCSE; for light or heavy tails it is smaller or larger.

    Examples
    --------
    >>> m = variance([1.0, 2.0, 4.0, 7.0])
    >>> m.value, round(m.mcse, 4)
    (7.0, 2.8385)
    """
    return _variance(est)


@validate_params(est=ESTIMATES, truth=TRUTH)
def mse(est: Any, truth: float) -> Measure:
    """Mean squared error ``mean((est - truth)^2)``.

    MCSE ``sqrt(sum(((est - truth)^2 - MSE)^2) / (B (B - 1)))`` (Morris et al. 2019).

    Parameters
    ----------
    est : array_like
        1-D per-replication estimates, B >= 2, finite.
    truth : float
        The true value of the estimand.

    Returns
    -------
    Measure

    Examples
    --------
    >>> mse([1.0, 2.0, 4.0, 7.0], truth=3.0).value
    5.5
    """
    return _mse(est, truth)


@validate_params(cover_flags=FLAGS)
def coverage(cover_flags: Any) -> Measure:
    """Coverage: the share of replications whose interval contains the truth.

    MCSE ``sqrt(p (1 - p) / B)``.  Compare with :func:`coverage_band`.

    Parameters
    ----------
    cover_flags : array_like of bool
        1-D, one flag per replication (booleans or 0/1), B >= 2.

    Returns
    -------
    Measure

    Examples
    --------
    >>> m = coverage([True, True, False, True, True])
    >>> m.value, round(m.mcse, 4)
    (0.8, 0.1789)
    """
    flags = cover_flags
    return _proportion(flags)


@validate_params(flags=FLAGS)
def proportion(flags: Any) -> Measure:
    """Share of replications with a property (e.g. rejection, failure); MCSE binomial.

    The same computation as :func:`coverage`: ``p = mean(flags)``, MCSE
    ``sqrt(p (1 - p) / B)``.

    Parameters
    ----------
    flags : array_like of bool
        1-D, one flag per replication (booleans or 0/1), B >= 2.

    Returns
    -------
    Measure

    Examples
    --------
    >>> proportion([0, 0, 1, 0]).value
    0.25
    """
    return _proportion(flags)


@validate_params(nominal=PROBABILITY, B=Integer(1))
def coverage_band(nominal: float, B: int) -> CoverageBand:
    """Band of coverage estimates compatible with the nominal level after B replications.

    ``nominal ± 1.96 sqrt(nominal (1 - nominal) / B)``: an estimated coverage outside the
    band is evidence (at about the 5% level) that true coverage differs from nominal.

    Parameters
    ----------
    nominal : float
        Nominal coverage, in (0, 1).
    B : int
        Number of replications, >= 1.

    Returns
    -------
    CoverageBand
        ``(low, high)``.

    Examples
    --------
    >>> low, high = coverage_band(0.95, 10_000)
    >>> round(low, 5), round(high, 5)
    (0.94573, 0.95427)
    """
    half = _Z95 * math.sqrt(nominal * (1 - nominal) / B)
    return CoverageBand(nominal - half, nominal + half)


@validate_params(x=ESTIMATES, q=PROBABILITY)
def quantile(x: Any, q: float) -> Measure:
    """Sample ``q``-quantile over replications, with a distribution-free MCSE.

    Parameters
    ----------
    x : array_like
        1-D per-replication values, B >= 2, finite.
    q : float
        Probability, in (0, 1).

    Returns
    -------
    Measure
        ``value`` is ``numpy.quantile(x, q)`` (linear interpolation, Hyndman-Fan type 7).

    Warns
    -----
    RuntimeWarning
        When ``q`` is so close to 0 or 1 for this B that the interval below is cut off at
        the sample minimum or maximum, so the MCSE understates the uncertainty.

    Notes
    -----
    The number of replications below the true quantile is Binomial(B, q), so the order
    statistics at ranks ``B q ± 1.96 sqrt(B q (1 - q))`` bound a distribution-free 95%
    confidence interval for it.  The MCSE is that interval's half-width divided by 1.96,
    with the ends taken as the sample quantiles at probabilities
    ``q ± 1.96 sqrt(q (1 - q) / B)`` (the normal approximation to the binomial, ranks
    interpolated as for ``value``).  It estimates the asymptotic standard error
    ``sqrt(q (1 - q) / B) / f(xi_q)`` without estimating the density f, by a difference
    quotient of the empirical quantile function.

    Examples
    --------
    >>> m = quantile([1.0, 2.0, 4.0, 7.0], 0.5)
    >>> m.value, round(m.mcse, 4)
    (3.0, 1.5)
    """
    return _quantile(x, q)


# --------------------------------------------------------------------------------------------
# Paired comparisons of two methods over the same replications.


@validate_params(est=ESTIMATES, truth=TRUTH)
def relbias(est: Any, truth: float) -> Measure:
    """Relative bias ``(mean(est) - truth) / truth``; MCSE that of the bias over ``|truth|``.

    Examples
    --------
    >>> round(relbias([1.0, 1.2, 1.4], 1.0).value, 12)
    0.2
    """
    x = est
    if truth == 0:
        raise ValueError("`truth` must be non-zero for the relative bias.")
    b = _bias(x, truth)
    return Measure(b.value / truth, b.mcse / abs(truth))


@validate_params(est=ESTIMATES, truth=TRUTH)
def rmse(est: Any, truth: float) -> Measure:
    """Root mean squared error ``sqrt(MSE)``; MCSE by the delta method,
    ``MCSE(MSE) / (2 RMSE)``.

    Examples
    --------
    >>> rmse([1.0, -1.0, 1.0, -1.0], 0.0).value
    1.0
    """
    x = est
    return _rmse(x, truth)


@validate_params(se=ESTIMATES)
def modelse(se: Any) -> Measure:
    """Model-based SE ``sqrt(mean(se²))``; MCSE ``sqrt(var(se²) / (4 B ModSE²))`` (the delta
    method on the square root, as rsimsum).

    Examples
    --------
    >>> modelse([3.0, 4.0, 3.0, 4.0]).value
    3.5355339059327378
    """
    return _modelse(se)


@validate_params(est=ESTIMATES, se=ESTIMATES)
def relerror(est: Any, se: Any) -> Measure:
    """Relative % error in the model SE, ``100 (ModSE / EmpSE - 1)``.

    MCSE (Morris et al. 2019, Table 6; rsimsum)
    ``100 (ModSE / EmpSE) sqrt(var(se²) / (4 B ModSE⁴) + 1 / (2 (B - 1)))``.

    Examples
    --------
    >>> round(relerror([0.0, 2.0, -2.0, 0.0], [1.0, 1.0, 2.0, 2.0]).value, 3)
    -3.175
    """
    x, se = _paired_iv(est, se, ("est", "se"), need_variance=False)
    return _relerror(x, se)


@validate_params(a=ESTIMATES, b=ESTIMATES)
def mean_difference(a: Any, b: Any) -> Measure:
    """Mean paired difference ``mean(a - b)``; MCSE ``sd(a - b) / sqrt(B)``.

    Parameters
    ----------
    a, b : array_like
        1-D per-replication values of equal length B >= 2, finite; row i of both comes from
        replication i.

    Returns
    -------
    Measure

    Examples
    --------
    >>> mean_difference([1.0, 2.0, 4.0], [0.5, 2.5, 3.0]).value
    0.3333333333333333
    """
    a, b = _paired_iv(a, b, ("a", "b"), need_variance=False)
    return _mean(a - b)


@validate_params(est_a=ESTIMATES, est_b=ESTIMATES, mcse=Options("delta", "normal"))
def relprec(est_a: Any, est_b: Any, *, mcse: str = "delta") -> Measure:
    """Relative % increase in precision of method B versus method A.

    ``100 [(EmpSE_A / EmpSE_B)^2 - 1]``: positive when B's estimates vary less than A's.
    gansim has one MCSE for it, the one every summary and table uses:

    - ``mcse="delta"`` (the default): 100 times the delta-method MCSE of
      :func:`variance_ratio` ``var(a) / var(b)``, which assumes nothing about the
      distribution of the estimates (:func:`gansim.summarise` and :func:`gansim.simsum`
      report this one as ``relprec``);
    - ``mcse="normal"``: rsimsum's and Stata simsum's formula, derived for bivariate normal
      estimates, ``200 (EmpSE_A / EmpSE_B)^2 sqrt((1 - rho^2) / (B - 1))`` with ``rho`` the
      correlation of the paired estimates. It is too small when the estimates have heavy
      tails (kurtosis above 3); it is offered to compare with those packages' output.

    Parameters
    ----------
    est_a, est_b : array_like
        1-D per-replication estimates of the reference method A and of method B, equal
        length B >= 2, finite, not constant.
    mcse : {"delta", "normal"}, default "delta"
        Which MCSE, as above.

    Returns
    -------
    Measure

    See Also
    --------
    variance_ratio : the same comparison as a ratio: ``relprec = 100 (variance_ratio - 1)``.

    Examples
    --------
    >>> m = relprec([1.0, 3.0, 5.0, 7.0], [2.0, 3.0, 4.0, 5.0])
    >>> round(m.value, 6)
    300.0
    >>> m.mcse == 100 * variance_ratio([1.0, 3.0, 5.0, 7.0], [2.0, 3.0, 4.0, 5.0]).mcse
    True
    """
    if mcse == "delta":
        ratio = variance_ratio(est_a, est_b)  # validates the pair, with the same names
        return Measure(100 * (ratio.value - 1), 100 * ratio.mcse)
    a, b = _paired_iv(est_a, est_b, ("est_a", "est_b"), need_variance=True)
    ratio = np.var(a, ddof=1) / np.var(b, ddof=1)
    rho = np.corrcoef(a, b)[0, 1]
    value = 100 * (ratio - 1)
    # max(., 0): rounding can push rho^2 a hair above 1 for perfectly correlated pairs.
    se = 200 * ratio * math.sqrt(max(1 - rho**2, 0.0) / (a.size - 1))
    return Measure(float(value), float(se))


@validate_params(est_a=ESTIMATES, est_b=ESTIMATES)
def variance_ratio(est_a: Any, est_b: Any) -> Measure:
    """Ratio of the variances of paired estimates ``var(a) / var(b)``, delta-method MCSE.

    Parameters
    ----------
    est_a, est_b : array_like
        1-D per-replication estimates of methods A and B, equal length B >= 2, finite, not
        constant.

    Returns
    -------
    Measure

    Notes
    -----
    Derivation.  Write ``r = s_a² / s_b²`` (unbiased variances).  To first order
    ``log r - log(sigma_a² / sigma_b²)`` is the mean over replications of

    .. math:: d_i = (a_i - \\mu_a)^2 / \\sigma_a^2 - (b_i - \\mu_b)^2 / \\sigma_b^2,

    so ``Var(log r) ≈ Var(d) / B`` and ``Var(r) ≈ r² Var(d) / B``.  Plugging in the
    sample means and variances, ``d_i = (a_i - ā)² / s_a² - (b_i - b̄)² / s_b²`` has mean
    exactly 0, and

    .. math:: \\mathrm{MCSE}(r) = r \\sqrt{\\textstyle\\sum_i d_i^2 / (B (B - 1))}.

    No distributional assumption is made: ``Var(d) = (kappa_a - 1) + (kappa_b - 1)
    - 2 (E[z_a² z_b²] - 1)`` in terms of the kurtoses and the co-kurtosis of the
    standardised pairs.  For bivariate normal pairs ``Var(d) = 4 (1 - rho²)``, so the MCSE
    is about ``2 r sqrt((1 - rho²) / (B - 1))``: :func:`relprec`'s ``mcse="normal"``
    divided by 100.

    Examples
    --------
    >>> m = variance_ratio([1.0, 3.0, 5.0, 7.0], [2.0, 3.0, 4.0, 5.0])
    >>> round(m.value, 6)
    4.0
    """
    a, b = _paired_iv(est_a, est_b, ("est_a", "est_b"), need_variance=True)
    return _variance_ratio(a, b)


@validate_params(est_a=ESTIMATES, est_b=ESTIMATES, truth=TRUTH)
def mse_ratio(est_a: Any, est_b: Any, truth: float) -> Measure:
    """Ratio of the MSEs of paired estimates ``MSE(a) / MSE(b)``, delta-method MCSE.

    Parameters
    ----------
    est_a, est_b : array_like
        1-D per-replication estimates of methods A and B, equal length B >= 2, finite.
    truth : float
        The true value of the estimand.

    Returns
    -------
    Measure

    Notes
    -----
    With errors ``e = est - truth`` and ``r = mean(e_a²) / mean(e_b²)``, to first order
    ``log r`` moves with the mean of ``d_i = e_ai² / MSE_a - e_bi² / MSE_b``, so
    ``MCSE(r) = r sqrt(sum(d_i²) / (B (B - 1)))``; pairing enters through ``d``, and no
    distribution is assumed (as for :func:`variance_ratio`).

    Examples
    --------
    >>> round(mse_ratio([1.0, 3.0, 5.0], [2.0, 3.0, 4.0], truth=3.0).value, 6)
    4.0
    """
    a, b = _paired_iv(est_a, est_b, ("est_a", "est_b"), need_variance=False)
    ea, eb = a - truth, b - truth
    B = ea.size
    ma, mb = np.mean(ea**2), np.mean(eb**2)
    if mb == 0:
        raise ValueError("`est_b` must not equal `truth` in every replication (MSE 0).")
    r = float(ma / mb)
    d = ea**2 / ma - eb**2 / mb if ma > 0 else -(eb**2) / mb
    return Measure(r, r * math.sqrt(float(np.sum(d**2)) / (B * (B - 1))))


# --------------------------------------------------------------------------------------------
# Computations on validated float arrays.  The public functions and the tidy builders share
# these, so each formula exists exactly once.


def _mean(x: np.ndarray) -> Measure:
    return Measure(float(np.mean(x)), float(np.std(x, ddof=1) / math.sqrt(x.size)))


def _bias(x: np.ndarray, truth: float) -> Measure:
    m = _mean(x)
    return Measure(m.value - truth, m.mcse)


def _empse(x: np.ndarray) -> Measure:
    s = float(np.std(x, ddof=1))
    return Measure(s, s / math.sqrt(2 * (x.size - 1)))


def _variance(x: np.ndarray) -> Measure:
    B = x.size
    dev = x - x.mean()
    s2 = float(np.sum(dev**2) / (B - 1))
    m4 = float(np.mean(dev**4))
    # max(., 0) only absorbs rounding: the expression is >= 0 in exact arithmetic.
    return Measure(s2, math.sqrt(max(m4 - s2**2 * (B - 3) / (B - 1), 0.0) / B))


def _mse(x: np.ndarray, truth: float) -> Measure:
    B = x.size
    sq = (x - truth) ** 2
    value = float(np.mean(sq))
    return Measure(value, math.sqrt(float(np.sum((sq - value) ** 2)) / (B * (B - 1))))


def _rmse(x: np.ndarray, truth: float) -> Measure:
    m = _mse(x, truth)
    r = math.sqrt(m.value)
    return Measure(r, m.mcse / (2 * r) if r > 0 else 0.0)


def _modelse(se: np.ndarray) -> Measure:
    se2 = se**2
    mod = math.sqrt(float(se2.mean()))
    return Measure(mod, math.sqrt(np.var(se2, ddof=1) / (4 * se2.size * mod**2))
                   if mod > 0 else 0.0)


def _relerror(x: np.ndarray, se: np.ndarray) -> Measure:
    B = x.size
    mod = _modelse(se).value
    emp = float(np.std(x, ddof=1))
    ratio = mod / emp
    mcse = 100 * ratio * math.sqrt(np.var(se**2, ddof=1) / (4 * B * mod**4) + 1 / (2 * (B - 1)))
    return Measure(100 * (ratio - 1), mcse)


def _proportion(flags: np.ndarray) -> Measure:
    p = float(np.mean(flags))
    if p in (0.0, 1.0):
        # The binomial MCSE is 0 here, which claims certainty; report instead the exact
        # (Clopper-Pearson) 95% interval's width over 2 x 1.96, so est ± 1.96 mcse spans it.
        from statsmodels.stats.proportion import proportion_confint

        lo, hi = proportion_confint(int(flags.sum()), flags.size, alpha=0.05, method="beta")
        return Measure(p, float(hi - lo) / (2 * _Z95))
    return Measure(p, math.sqrt(p * (1 - p) / flags.size))


def _quantile(x: np.ndarray, q: float) -> Measure:
    B = x.size
    delta = _Z95 * math.sqrt(q * (1 - q) / B)
    if q - delta < 0 or q + delta > 1:
        warnings.warn(
            f"quantile: with B={B} replications the 95% interval for the {q}-quantile reaches "
            "beyond the sample minimum or maximum; its MCSE is truncated and too small.",
            RuntimeWarning,
            stacklevel=3,
        )
    value, lo, hi = np.quantile(x, [q, max(q - delta, 0.0), min(q + delta, 1.0)])
    return Measure(float(value), float((hi - lo) / (2 * _Z95)))


def _variance_ratio(a: np.ndarray, b: np.ndarray) -> Measure:
    B = a.size
    va, vb = np.var(a, ddof=1), np.var(b, ddof=1)
    ratio = float(va / vb)
    d = (a - a.mean()) ** 2 / va - (b - b.mean()) ** 2 / vb
    return Measure(ratio, ratio * math.sqrt(float(np.sum(d**2)) / (B * (B - 1))))


def _paired_iv(
    a: Any, b: Any, names: tuple[str, str], *, need_variance: bool
) -> tuple[np.ndarray, np.ndarray]:
    if a.size != b.size:
        raise ValueError(
            f"`{names[0]}` and `{names[1]}` must be paired, one value per replication each; "
            f"got lengths {a.size} and {b.size}."
        )
    if need_variance:
        for name, x in zip(names, (a, b), strict=True):
            if np.all(x == x[0]):
                raise ValueError(f"`{name}` must vary across replications; all values equal.")
    return a, b
