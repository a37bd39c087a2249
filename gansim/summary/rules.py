"""The stated rules that choose every comparative word of a rendered results README.

A results README may say "at nominal", "higher", "falls as n grows" or "k of N cells" only
through these functions, so that one rule, stated once, decides each word everywhere:

- **Coverage** is *at nominal* only inside the two-sided band
  ``level ± z·√(level·(1 − level)/B)`` (``z`` = 1.96), the range in which a correct
  interval's observed coverage falls with probability about 0.95 at ``B`` replications;
  below it is *under-coverage*, above it *over-coverage*, counted separately
  (:func:`coverage_verdict`, :func:`coverage_counts`). The band uses the nominal level's
  binomial SE, not the observed coverage's MCSE, so that every method is judged by the
  same yardstick.
- **A is higher (lower) than B** only when the paired difference exceeds ``k = 2`` of its
  paired MCSEs in absolute value; otherwise the words are "not resolved at this B"
  (:func:`compare`).
  A ratio is compared with 1 the same way on the log scale, with the delta-method MCSE
  ``mcse/ratio`` of the log ratio (:func:`compare_ratio`; a relative precision is a
  variance ratio, :func:`compare_relprec`). When
  many differences are compared, chance alone resolves each null one with probability
  2·Φ(−2) ≈ 0.046 (:func:`chance_resolved`); a cell singled out from a family of ``N`` is
  named only beyond the Bonferroni z (:func:`family_z`).
- **A trend with n** ("falls as n grows") only when a fitted slope's 95% interval excludes
  0; otherwise "shows no resolved trend" (:func:`trend`). The slope is fitted by weighted least
  squares with the points' Monte Carlo SEs, widened when the points scatter more than
  their SEs allow (:func:`weighted_slope`).
- **Counts over many cells** carry the number of cells and, where each cell is tested
  against a rule that a correct method fails with probability ``p``, what chance alone
  gives: the binomial expectation and its central 95% range (:func:`chance_count`).
- **A share of replications** comes with its exact (Clopper-Pearson) 95% interval
  (:func:`share_interval`); "in most replications" only when the interval's lower end is
  above 0.5 (:func:`majority`).

Examples
--------
>>> band = coverage_band(500)
>>> round(band.lo, 4), round(band.hi, 4)
(0.9309, 0.9691)
>>> coverage_verdict(0.930, 500), coverage_verdict(0.950, 500)
('under', 'at nominal')
>>> compare(0.03, 0.02).word      # 1.5 paired MCSEs: not enough
'not resolved at this B'
>>> compare(0.05, 0.02).word
'higher'
>>> trend(-0.4, -0.7, -0.05)
'falls as n grows'
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = [
    "Z",
    "K_MCSE",
    "Band",
    "coverage_band",
    "coverage_verdict",
    "CoverageCounts",
    "coverage_counts",
    "UNRESOLVED",
    "Comparison",
    "compare",
    "compare_ratio",
    "compare_relprec",
    "P_RESOLVED_BY_CHANCE",
    "chance_resolved",
    "family_z",
    "NO_TREND",
    "Slope",
    "weighted_slope",
    "trend",
    "Chance",
    "chance_count",
    "share_interval",
    "majority",
]

#: The normal quantile of the coverage band (two-sided, 95%).
Z = 1.96
#: How many paired MCSEs a difference must exceed to be called resolved.
K_MCSE = 2.0


def _check_B(B) -> int:
    if isinstance(B, bool) or not isinstance(B, (int, np.integer)) or B < 1:
        raise ValueError(f"`B` must be an integer >= 1, got {B!r}.")
    return int(B)


def _check_level(level) -> float:
    level = float(level)
    if not 0.0 < level < 1.0:
        raise ValueError(f"`level` must be in (0, 1), got {level!r}.")
    return level


@dataclass(frozen=True)
class Band:
    """The two-sided band ``level ± z·√(level·(1 − level)/B)`` of a correct interval's
    observed coverage over ``B`` replications."""

    level: float
    B: int
    z: float
    lo: float
    hi: float

    def rule(self, digits: int = 4) -> str:
        """The band as a sentence fragment, e.g. ``0.95 ± 1.96·√(0.95·0.05/500) =
        [0.9309, 0.9691]``."""
        lv = f"{self.level:g}"
        return (f"{lv} ± {self.z:g}·√({lv}·{1 - self.level:.2g}/{self.B:,}) = "
                f"[{self.lo:.{digits}f}, {self.hi:.{digits}f}]")


def coverage_band(B, level: float = 0.95, z: float = Z) -> Band:
    """The band inside which an observed coverage over ``B`` replications is "at nominal".

    Examples
    --------
    >>> coverage_band(10_000).rule(5)
    '0.95 ± 1.96·√(0.95·0.05/10,000) = [0.94573, 0.95427]'
    """
    B = _check_B(B)
    level = _check_level(level)
    half = z * math.sqrt(level * (1.0 - level) / B)
    return Band(level=level, B=B, z=float(z), lo=level - half, hi=level + half)


def coverage_verdict(cover: float, B, level: float = 0.95) -> str:
    """``"under"``, ``"at nominal"`` or ``"over"``: where ``cover`` lies against the band
    (its ends belong to the band). A missing coverage gives ``"unknown"``."""
    if cover is None or not math.isfinite(cover):
        return "unknown"
    band = coverage_band(B, level)
    # A coverage is a count over B; compare on that scale so that rounding of a stored
    # proportion cannot move a cell across an end of the band.
    eps = 1e-12
    if cover < band.lo - eps:
        return "under"
    if cover > band.hi + eps:
        return "over"
    return "at nominal"


@dataclass(frozen=True)
class CoverageCounts:
    """How many of ``total`` cells are under, at or over nominal, and what chance gives."""

    under: int
    at: int
    over: int
    unknown: int
    band: Band | None
    chance_outside: Chance

    @property
    def total(self) -> int:
        return self.under + self.at + self.over + self.unknown

    def sentence(self, what: str = "cells") -> str:
        """E.g. ``"at nominal in 19 of 125 cells (105 under, 1 over)"``."""
        text = f"at nominal in {self.at} of {self.total} {what} ({self.under} under, " \
               f"{self.over} over"
        if self.unknown:
            text += f", {self.unknown} not computable"
        return text + ")"


def coverage_counts(covers: Iterable[float], B, level: float = 0.95) -> CoverageCounts:
    """Count cells under, at and over nominal; ``B`` is one number or one per cell.

    ``chance_outside`` is what a correct interval gives: each cell falls outside the band
    with probability about 0.05.
    """
    covers = list(covers)
    Bs = list(B) if np.ndim(B) else [B] * len(covers)
    if len(Bs) != len(covers):
        raise ValueError("`B` must be one number or one per coverage.")
    counts = {"under": 0, "at nominal": 0, "over": 0, "unknown": 0}
    for c, b in zip(covers, Bs, strict=True):
        counts[coverage_verdict(c, int(b), level)] += 1
    band = coverage_band(int(Bs[0]), level) if Bs and len(set(Bs)) == 1 else None
    n_known = len(covers) - counts["unknown"]
    return CoverageCounts(under=counts["under"], at=counts["at nominal"],
                          over=counts["over"], unknown=counts["unknown"], band=band,
                          chance_outside=chance_count(n_known, 0.05))


#: The words of a difference the rule does not resolve.
UNRESOLVED = "not resolved at this B"


@dataclass(frozen=True)
class Comparison:
    """A paired difference, its paired MCSE, the word the rule gives it and whether the
    rule resolved it."""

    diff: float
    mcse: float
    k: float
    word: str
    resolved: bool

    @property
    def z(self) -> float:
        return self.diff / self.mcse if self.mcse > 0 else math.copysign(math.inf, self.diff)


def compare(diff: float, mcse: float, *, k: float = K_MCSE, higher: str = "higher",
            lower: str = "lower", unresolved: str = UNRESOLVED) -> Comparison:
    """The word for a paired difference A − B with paired MCSE ``mcse``.

    ``higher`` when ``diff > k·mcse``, ``lower`` when ``diff < −k·mcse``, else
    ``unresolved`` (``"not resolved at this B"``); ``"unknown"`` when either is missing.
    Pass other words (e.g. ``higher="wider"``) to fit the measure.

    Examples
    --------
    >>> compare(-0.016, 0.01).word, compare(-0.021, 0.01, lower="narrower").word
    ('not resolved at this B', 'narrower')
    """
    diff = float(diff)
    mcse = float(mcse)
    if not (math.isfinite(diff) and math.isfinite(mcse)) or mcse < 0:
        return Comparison(diff, mcse, k, "unknown", False)
    if diff > k * mcse:
        return Comparison(diff, mcse, k, higher, True)
    if diff < -k * mcse:
        return Comparison(diff, mcse, k, lower, True)
    return Comparison(diff, mcse, k, unresolved, False)


def compare_ratio(ratio: float, mcse: float, *, k: float = K_MCSE, higher: str = "above 1",
                  lower: str = "below 1", unresolved: str = UNRESOLVED) -> Comparison:
    """The word for a ratio (of variances, of MSEs, …) against 1, with MCSE ``mcse``.

    The rule of :func:`compare` on the log scale, where a ratio's sampling distribution is
    closer to normal (a ratio cannot fall below 0, and is skewed at small B):
    ``log(ratio)`` against its delta-method MCSE ``mcse / ratio``. The returned
    :class:`Comparison` holds the log ratio, its MCSE and so the z on the log scale.

    Examples
    --------
    >>> compare_ratio(0.80, 0.05).word, compare_ratio(0.93, 0.05).word
    ('below 1', 'not resolved at this B')
    >>> compare_ratio(1.3, 0.1, higher="larger").word
    'larger'
    """
    ratio, mcse = float(ratio), float(mcse)
    if not (ratio > 0 and math.isfinite(ratio) and math.isfinite(mcse)) or mcse < 0:
        return Comparison(ratio, mcse, k, "unknown", False)
    return compare(math.log(ratio), mcse / ratio, k=k, higher=higher, lower=lower,
                   unresolved=unresolved)


def compare_relprec(relprec: float, mcse: float, *, k: float = K_MCSE,
                    higher: str = "higher", lower: str = "lower",
                    unresolved: str = UNRESOLVED) -> Comparison:
    """The word for a relative % precision ``100 (var_ref/var − 1)`` with its MCSE: it is a
    variance ratio in other units, so :func:`compare_ratio` judges ``1 + relprec/100``
    with MCSE ``mcse/100``. ``higher`` means a precision gain (a smaller EmpSE).

    Examples
    --------
    >>> compare_relprec(-34.2, 16.4).word     # ratio 0.658: z = 1.7 on the log scale
    'not resolved at this B'
    >>> compare_relprec(-51.8, 1.0, lower="larger EmpSE").word
    'larger EmpSE'
    """
    return compare_ratio(1.0 + float(relprec) / 100.0, float(mcse) / 100.0, k=k,
                         higher=higher, lower=lower, unresolved=unresolved)


#: The words of a slope whose 95% interval includes 0.
NO_TREND = "shows no resolved trend (the slope's 95% interval includes 0)"


def trend(slope: float, lo: float, hi: float, *, falls: str = "falls as n grows",
          rises: str = "rises as n grows",
          none: str = NO_TREND) -> str:
    """The word for a fitted slope with its 95% interval ``[lo, hi]``."""
    if not all(math.isfinite(float(v)) for v in (slope, lo, hi)):
        return "unknown"
    if lo > hi:
        raise ValueError(f"`lo` must be <= `hi`, got {lo!r} > {hi!r}.")
    if hi < 0:
        return falls
    if lo > 0:
        return rises
    return none


@dataclass(frozen=True)
class Chance:
    """What chance alone gives: ``cells`` Bernoulli(``p``) events, their expected count and
    the central 95% range of the binomial count."""

    cells: int
    p: float
    expected: float
    lo: int
    hi: int

    def sentence(self) -> str:
        return (f"chance alone gives about {self.expected:.1f} of {self.cells} "
                f"(95% range {self.lo}–{self.hi})")


def chance_count(cells: int, p: float) -> Chance:
    """The binomial count of ``cells`` independent events of probability ``p``.

    Examples
    --------
    >>> chance_count(125, 0.05).sentence()
    'chance alone gives about 6.2 of 125 (95% range 2–11)'
    """
    cells = int(cells)
    if cells < 0 or not 0.0 <= p <= 1.0:
        raise ValueError(f"need cells >= 0 and p in [0, 1], got {cells!r}, {p!r}.")
    dist = stats.binom(cells, p)
    return Chance(cells=cells, p=float(p), expected=cells * p, lo=int(dist.ppf(0.025)),
                  hi=int(dist.ppf(0.975)))


#: The chance that :func:`compare` resolves a difference whose true value is 0 (either
#: sign): 2·Φ(−2), about 0.046.
P_RESOLVED_BY_CHANCE = float(2 * stats.norm.sf(K_MCSE))


def chance_resolved(cells: int, *, sides: int = 2, k: float = K_MCSE) -> Chance:
    """What chance alone gives when :func:`compare` is applied to ``cells`` differences
    whose true value is 0: resolved in either direction (``sides=2``) or in one named
    direction (``sides=1``).

    Examples
    --------
    >>> round(chance_resolved(100).p, 4), round(chance_resolved(100, sides=1).p, 4)
    (0.0455, 0.0228)
    """
    if sides not in (1, 2):
        raise ValueError(f"`sides` must be 1 or 2, got {sides!r}.")
    return chance_count(cells, float(sides * stats.norm.sf(k)))


def family_z(cells: int, alpha: float = 0.05) -> float:
    """The Bonferroni z for ``cells`` two-sided comparisons at family level ``alpha``: a
    cell singled out from many is named only beyond it.

    >>> round(family_z(150), 2)
    3.59
    """
    cells = int(cells)
    if cells < 1:
        raise ValueError(f"`cells` must be >= 1, got {cells!r}.")
    return float(stats.norm.isf(alpha / 2 / cells))


@dataclass(frozen=True)
class Slope:
    """A fitted slope with its 95% interval, and the word :func:`trend` gives it."""

    slope: float
    lo: float
    hi: float
    word: str


def weighted_slope(x, y, se, *, level: float = 0.95, falls: str = "falls as n grows",
                   rises: str = "rises as n grows",
                   none: str = NO_TREND) -> Slope:
    """The slope of ``y`` on ``x`` by weighted least squares with weights ``1/se²`` (the
    points' Monte Carlo SEs), its normal ``level`` interval and the :func:`trend` word.

    The slope's SE ``1/√Σw(x − x̄)²`` is scaled up by ``√max(1, X²/(k − 2))``, with ``X²``
    the weighted residual sum of squares of the ``k`` points, when they scatter about the
    line more than their SEs allow (a curve, or SEs too small): a straight line through a
    curved trend is not allowed to look precise.

    Examples
    --------
    >>> s = weighted_slope([0, 1, 2], [0.0, 1.0, 2.0], [0.1, 0.1, 0.1])
    >>> round(s.slope, 6), round(s.hi - s.lo, 3), s.word
    (1.0, 0.277, 'rises as n grows')
    """
    x, y, se = (np.asarray(v, dtype=float) for v in (x, y, se))
    se = np.broadcast_to(se, y.shape)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError("`x` and `y` must be 1-D and of equal length.")
    if len(np.unique(x)) < 2:
        raise ValueError("a slope needs points at two or more values of `x`.")
    if not (np.all(np.isfinite(se)) and np.all(se > 0)):
        raise ValueError("`se` must be finite and > 0.")
    w = 1.0 / se**2
    xm = np.sum(w * x) / np.sum(w)
    ym = np.sum(w * y) / np.sum(w)
    sxx = np.sum(w * (x - xm) ** 2)
    slope = float(np.sum(w * (x - xm) * (y - ym)) / sxx)
    half_se = 1.0 / math.sqrt(sxx)
    k = len(x)
    if k > 2:
        chi2 = float(np.sum(w * (y - ym - slope * (x - xm)) ** 2))
        half_se *= math.sqrt(max(1.0, chi2 / (k - 2)))
    half = float(stats.norm.ppf(0.5 + _check_level(level) / 2)) * half_se
    lo, hi = slope - half, slope + half
    return Slope(slope, lo, hi, trend(slope, lo, hi, falls=falls, rises=rises, none=none))


def share_interval(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """The exact (Clopper-Pearson) interval of a share ``k/n``.

    Examples
    --------
    >>> lo, hi = share_interval(90, 100)
    >>> round(lo, 3), round(hi, 3)
    (0.824, 0.951)
    """
    k, n = int(k), int(n)
    if n < 1 or not 0 <= k <= n:
        raise ValueError(f"need 0 <= k <= n and n >= 1, got k={k!r}, n={n!r}.")
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=_check_level(level),
                                              method="exact")
    return float(ci.low), float(ci.high)


def majority(k: int, n: int, level: float = 0.95) -> str:
    """``"most"`` when the share's exact interval (95% unless ``level`` says otherwise:
    ``1 - 0.05/N`` when the share is singled out of ``N``) is above 0.5,
    ``"fewer than half"`` when it is below, else ``"about half (not resolved)"``.

    >>> majority(63, 100), majority(63, 100, level=1 - 0.05 / 6)
    ('most', 'about half (not resolved)')
    """
    lo, hi = share_interval(k, n, level)
    if lo > 0.5:
        return "most"
    if hi < 0.5:
        return "fewer than half"
    return "about half (not resolved)"
