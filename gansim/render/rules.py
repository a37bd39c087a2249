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
- **A trend with n** ("falls as n grows") only when a fitted slope's 95% interval excludes
  0; otherwise "no trend resolved" (:func:`trend`).
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
    "Comparison",
    "compare",
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


@dataclass(frozen=True)
class Comparison:
    """A paired difference, its paired MCSE and the word the rule gives it."""

    diff: float
    mcse: float
    k: float
    word: str

    @property
    def resolved(self) -> bool:
        return self.word not in ("not resolved at this B", "unknown")

    @property
    def z(self) -> float:
        return self.diff / self.mcse if self.mcse > 0 else math.copysign(math.inf, self.diff)


def compare(diff: float, mcse: float, *, k: float = K_MCSE, higher: str = "higher",
            lower: str = "lower") -> Comparison:
    """The word for a paired difference A − B with paired MCSE ``mcse``.

    ``higher`` when ``diff > k·mcse``, ``lower`` when ``diff < −k·mcse``, else
    ``"not resolved at this B"``; ``"unknown"`` when either is missing. Pass other words
    (e.g. ``higher="wider"``) to fit the measure.

    Examples
    --------
    >>> compare(-0.016, 0.01).word, compare(-0.021, 0.01, lower="narrower").word
    ('not resolved at this B', 'narrower')
    """
    diff = float(diff)
    mcse = float(mcse)
    if not (math.isfinite(diff) and math.isfinite(mcse)) or mcse < 0:
        return Comparison(diff, mcse, k, "unknown")
    if diff > k * mcse:
        word = higher
    elif diff < -k * mcse:
        word = lower
    else:
        word = "not resolved at this B"
    return Comparison(diff, mcse, k, word)


def trend(slope: float, lo: float, hi: float, *, falls: str = "falls as n grows",
          rises: str = "rises as n grows",
          none: str = "no trend resolved (the slope's 95% interval includes 0)") -> str:
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


def majority(k: int, n: int) -> str:
    """``"most"`` when the share's exact 95% interval is above 0.5, ``"fewer than half"``
    when it is below, else ``"about half (not resolved)"``."""
    lo, hi = share_interval(k, n)
    if lo > 0.5:
        return "most"
    if hi < 0.5:
        return "fewer than half"
    return "about half (not resolved)"
