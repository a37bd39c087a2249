"""Distances of an empirical distribution from a true continuous one: KS, Wasserstein-1, CvM.

Every method of a study is represented by a sample -- the data themselves for the empirical
cdf F_n, m draws for the others -- and its distance from the truth F is the distance of that
sample's empirical cdf ``F_k`` (k points) from F.  All three are computed exactly, from the
order statistics, with no grid:

- Kolmogorov-Smirnov ``sup_x |F_k(x) - F(x)|`` (:func:`gansim.study.functionals.ks_distance`);
- Wasserstein-1 ``integral |F_k(x) - F(x)| dx``, from the closed-form integrated cdf
  ``G(x) = integral_{-inf}^x F(t) dt`` of each DGP family (:func:`integrated_cdf`);
  exact up to floating-point rounding (about 1e-12 absolute for k = 10,000);
- Cramér-von Mises ``omega^2 = integral (F_k(x) - F(x))^2 dF(x)``, the classical statistic
  divided by k (scipy's ``cramervonmises(...).statistic / k`` when there are no ties).

Ties (GAN draws are float32) are handled exactly by all three.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from scipy import special

from gansim._validation import as_float_array, check_callable
from gansim.study.dgp import DGP, LogNormal, Normal, NormalMixture, StudentT

__all__ = [
    "DISTANCES",
    "cramer_von_mises",
    "distances_batch",
    "integrated_cdf",
    "ks_distance",
    "ks_distance_batch",
    "supported_distances",
    "wasserstein1",
]

#: Distance codes of :func:`distances_batch`, with their definitions.
DISTANCES = {
    "ks": "Kolmogorov-Smirnov sup|F_k - F|",
    "w1": "Wasserstein-1, integral |F_k - F| dx",
    "cvm": "Cramér-von Mises omega², integral (F_k - F)² dF",
}


def integrated_cdf(dgp: DGP, x: Any) -> np.ndarray:
    """The integrated cdf ``G(x) = integral_{-inf}^x F(t) dt = E[(x - X)+]``, in closed form.

    Parameters
    ----------
    dgp : Normal, StudentT (df > 1), LogNormal or NormalMixture
        The distribution; its mean must be finite.
    x : array_like of float
        Points.

    Returns
    -------
    numpy.ndarray
        float64, same shape as ``x``.

    Notes
    -----
    ``G(x) = x F(x) - E[X; X <= x]`` with the partial expectations
    ``N(mu, s²)``: ``s (z Phi(z) + phi(z))``, ``z = (x - mu) / s``;
    ``t(nu)`` (location-scale): ``scale (z F_t(z) + (nu + z²) / (nu - 1) f_t(z))``;
    lognormal: ``x Phi(d) - exp(mu + s²/2) Phi(d - s)``, ``d = (log x - mu) / s``, 0 for
    ``x <= 0``; a normal mixture: the weighted sum of its components'.

    Examples
    --------
    >>> from scipy import integrate, stats
    >>> g = float(integrated_cdf(Normal(), 0.3))
    >>> ref = integrate.quad(stats.norm.cdf, -40, 0.3)[0]
    >>> abs(g - ref) < 1e-10
    True
    """
    dgp = _w1_dgp_iv(dgp)
    x = np.asarray(x, dtype=np.float64)
    return _integrated_cdf(dgp, x)


def wasserstein1(sample: Any, dgp: DGP) -> float:
    """Exact Wasserstein-1 distance ``integral |F_k(x) - F(x)| dx`` of a sample from a DGP.

    Parameters
    ----------
    sample : array_like
        1-D sample of at least 1 finite value.
    dgp : Normal, StudentT (df > 1), LogNormal or NormalMixture
        The true distribution (its mean must be finite, else the distance is infinite).

    Returns
    -------
    float

    Examples
    --------
    One point x0 from N(0, 1): W1 = E|x0 - X| = 2 phi(x0) + x0 (2 Phi(x0) - 1).

    >>> from scipy import stats
    >>> w = wasserstein1([0.5], Normal())
    >>> ref = 2 * stats.norm.pdf(0.5) + 0.5 * (2 * stats.norm.cdf(0.5) - 1)
    >>> bool(abs(w - ref) < 1e-14)
    True
    """
    x = as_float_array(sample, "sample", ndim=1, min_size=1)
    return float(distances_batch(x[None, :], dgp, which=("w1",))["w1"][0])


def cramer_von_mises(sample: Any, cdf: Callable[[np.ndarray], Any]) -> float:
    """Exact Cramér-von Mises distance ``integral (F_k - F)² dF`` of a sample from a cdf.

    Parameters
    ----------
    sample : array_like
        1-D sample of at least 1 finite value.
    cdf : callable
        Continuous cdf, vectorised.

    Returns
    -------
    float
        ``omega²``; without ties ``1/(12 k²) + sum_i (F(x_(i)) - (2i-1)/(2k))² / k``.

    Examples
    --------
    >>> from scipy import stats
    >>> x = [-1.0, 0.2, 0.7, 2.5]
    >>> d = cramer_von_mises(x, stats.norm.cdf)
    >>> bool(abs(d - stats.cramervonmises(x, stats.norm.cdf).statistic / 4) < 1e-15)
    True
    """
    check_callable(cdf)
    x = as_float_array(sample, "sample", ndim=1, min_size=1)
    xs = np.sort(x)[None, :]
    f = _cdf_values(cdf, xs, "sample")
    return float(_cvm_from_u(f)[0])


def supported_distances(dgp: Any, which: Sequence[str] = tuple(DISTANCES)
                        ) -> tuple[tuple[str, ...], list[str]]:
    """The codes of ``which`` that can be computed against ``dgp``, and a note for each one
    that cannot (KS and CvM need a ``cdf``; W1 one of gansim's families with a finite mean).

    Examples
    --------
    >>> import scipy.stats as st
    >>> from gansim.study.dgp import as_dgp
    >>> supported_distances(as_dgp(st.gamma(2)))[0]
    ('ks', 'cvm')
    """
    ok, notes = [], []
    has_cdf = callable(getattr(dgp, "cdf", None))
    for code in which:
        if not has_cdf:
            notes.append(f"{code} skipped for {dgp!r}: it has no cdf")
            continue
        if code == "w1":
            try:
                _w1_dgp_iv(dgp)
            except (TypeError, ValueError) as exc:
                notes.append(f"w1 skipped for {dgp!r}: {exc}")
                continue
        ok.append(code)
    return tuple(ok), notes


def distances_batch(
    samples: Any, dgp: DGP, *, which: Sequence[str] = ("ks", "w1", "cvm")
) -> dict[str, np.ndarray]:
    """The distances of each row of ``samples`` from ``dgp``, sorting each row once.

    Parameters
    ----------
    samples : array_like
        2-D array ``(R, k)``: R samples of k finite points.
    dgp : DGP
        The truth.  ``"w1"`` needs one of the four families with a finite mean.
    which : sequence of str
        Codes among :data:`DISTANCES`.

    Returns
    -------
    dict
        Code -> float64 array of shape ``(R,)``; row ``r`` does not depend on the others.

    Examples
    --------
    >>> x = np.random.default_rng(1).normal(size=(2, 500))
    >>> d = distances_batch(x, Normal())
    >>> sorted(d), d["ks"].shape
    (['cvm', 'ks', 'w1'], (2,))
    """
    xs, dgp, which = _distances_batch_iv(samples, dgp, which)
    xs = np.sort(xs, axis=-1)
    f = _cdf_values(dgp.cdf, xs, "samples")
    out = {}
    if "ks" in which:
        # The one KS formula of gansim.study.functionals, fed the cdf values already computed.
        out["ks"] = _ks_sorted(xs, lambda _: f, "samples")
    if "w1" in which:
        out["w1"] = _w1_sorted(xs, f, dgp)
    if "cvm" in which:
        out["cvm"] = _cvm_from_u(f)
    return {code: out[code] for code in which}


# --------------------------------------------------------------------------------------------
# Computations on validated, sorted arrays.


def _cvm_from_u(u: np.ndarray) -> np.ndarray:
    # Substituting u = F(x): omega² = integral_0^1 (H(u) - u)² du with H the step function
    # equal to i/k on [u_(i), u_(i+1)) (u_(0) = 0, u_(k+1) = 1).  Each piece integrates to a
    # difference of cubes; tied points give empty pieces, so ties are exact too.
    R, k = u.shape
    edges = np.concatenate([np.zeros((R, 1)), u, np.ones((R, 1))], axis=1)
    level = np.arange(k + 1) / k
    hi, lo = edges[:, 1:] - level, edges[:, :-1] - level
    return np.sum(hi**3 - lo**3, axis=1) / 3


def _w1_sorted(xs: np.ndarray, f: np.ndarray, dgp: DGP) -> np.ndarray:
    R, k = xs.shape
    g = _integrated_cdf(dgp, xs)
    # Tails: integral of F left of x_(1) is G(x_(1)); integral of 1 - F right of x_(k) is
    # E[(X - x_(k))+] = mean - x_(k) + G(x_(k)).
    total = g[:, 0] + (dgp.mean - xs[:, -1] + g[:, -1])
    if k == 1:
        return total
    # Between x_(i) and x_(i+1) the empirical cdf is p = i/k; |p - F| changes sign at most
    # once, at c = F^{-1}(p), so the piece is p(c - a) - (G(c) - G(a)) + (G(b) - G(c)) - p(b - c)
    # with c clipped to [a, b]: c = a when F >= p throughout, c = b when F <= p throughout.
    a, b = xs[:, :-1], xs[:, 1:]
    ga, gb = g[:, :-1], g[:, 1:]
    p = np.broadcast_to(np.arange(1, k) / k, a.shape)
    fa, fb = f[:, :-1], f[:, 1:]
    cross = (fa < p) & (p < fb)
    c = np.where(fa >= p, a, b)
    gc = np.where(fa >= p, ga, gb)
    if cross.any():
        # The quantile only where F crosses p: a few hundred pieces out of k, which keeps the
        # iterative mixture quantile cheap.
        cc = np.clip(np.asarray(dgp.ppf(p[cross]), dtype=np.float64), a[cross], b[cross])
        c = c.copy()
        gc = gc.copy()
        c[cross] = cc
        gc[cross] = _integrated_cdf(dgp, cc)
    pieces = p * (c - a) - (gc - ga) + (gb - gc) - p * (b - c)
    return total + pieces.sum(axis=1)


def _integrated_cdf(dgp: DGP, x: np.ndarray) -> np.ndarray:
    if isinstance(dgp, Normal):
        return _normal_g(x, dgp.mean, dgp.sd)
    if isinstance(dgp, StudentT):
        z = (x - dgp.loc) / dgp.scale
        f_std = dgp.pdf(x) * dgp.scale
        return dgp.scale * (z * special.stdtr(dgp.df, z) + (dgp.df + z**2) / (dgp.df - 1) * f_std)
    if isinstance(dgp, LogNormal):
        pos = x > 0
        d = (np.log(np.where(pos, x, 1.0)) - dgp.meanlog) / dgp.sdlog
        g = x * special.ndtr(d) - dgp.mean * special.ndtr(d - dgp.sdlog)
        return np.where(pos, g, 0.0)
    if isinstance(dgp, NormalMixture):
        out = np.zeros_like(x, dtype=np.float64)
        for w, m, s in zip(dgp.weights, dgp.means, dgp.sds, strict=True):
            out = out + w * _normal_g(x, m, s)
        return out
    raise TypeError(f"no integrated cdf for {type(dgp).__name__}")  # excluded by _w1_dgp_iv


def _normal_g(x: np.ndarray, mu: float, sd: float) -> np.ndarray:
    z = (x - mu) / sd
    return sd * (z * special.ndtr(z) + np.exp(-0.5 * z**2) / math.sqrt(2 * math.pi))


# --------------------------------------------------------------------------------------------
# Input validation.

_W1_FAMILIES = (Normal, StudentT, LogNormal, NormalMixture)


def _w1_dgp_iv(dgp: Any) -> DGP:
    if not isinstance(dgp, _W1_FAMILIES):
        names = ", ".join(c.__name__ for c in _W1_FAMILIES)
        raise TypeError(f"`dgp` must be one of {names} for W1; got {type(dgp).__name__}.")
    if not math.isfinite(dgp.mean):
        raise ValueError(f"`dgp` must have a finite mean for W1 (it is infinite); got {dgp!r}.")
    return dgp


def _distances_batch_iv(samples: Any, dgp: Any, which: Any):
    if isinstance(which, str):
        which = (which,)
    which = tuple(which)
    allowed = ", ".join(repr(c) for c in DISTANCES)
    if not which or any(c not in DISTANCES for c in which) or len(set(which)) != len(which):
        raise ValueError(f"`which` must hold distinct codes among {allowed}; got {which!r}.")
    if not callable(getattr(dgp, "cdf", None)):
        raise TypeError(f"`dgp` must have a cdf (a gansim DGP or a scipy.stats distribution), "
                        f"got {type(dgp).__name__}.")
    if "w1" in which:
        _w1_dgp_iv(dgp)
    xs = as_float_array(samples, "samples", ndim=2, min_size=1)
    return xs, dgp, which


def ks_distance(sample: Any, cdf: Callable[[np.ndarray], Any]) -> float:
    """Exact Kolmogorov-Smirnov distance of a sample from a continuous distribution.

    Computes ``sup_t |F_n(t) - F(t)|``, with ``F_n`` the empirical cdf of ``sample`` and ``F``
    the continuous cdf ``cdf``, from the order statistics ``x_(1) <= ... <= x_(n)``::

        D = max_i max(i/n - F(x_(i)), F(x_(i)) - (i - 1)/n)

    This is exact, not a grid approximation, and stays exact with tied values.

    Parameters
    ----------
    sample : array_like
        1-D sample of at least 1 finite value.
    cdf : callable
        Continuous cdf, vectorised: ``cdf(array)`` returns an array of the same shape with
        values in [0, 1].

    Returns
    -------
    float
        The distance, in [0, 1]; the same value as ``scipy.stats.kstest(sample,
        cdf).statistic``.

    See Also
    --------
    ks_distance_batch : one distance per row of a 2-D array.

    Examples
    --------
    >>> from scipy.stats import norm
    >>> ks_distance([0.0], norm.cdf)
    0.5
    >>> round(ks_distance([-1.0, 0.5, 2.0], norm.cdf), 4)
    0.3581
    """
    check_callable(cdf)
    x = as_float_array(sample, "sample", ndim=1, min_size=1)
    return float(_ks_sorted(np.sort(x), cdf, "sample"))


def ks_distance_batch(samples: Any, cdf: Callable[[np.ndarray], Any]) -> np.ndarray:
    """Exact Kolmogorov-Smirnov distance of each row of a 2-D array, vectorised.

    Row ``r`` gives exactly ``ks_distance(samples[r], cdf)``, bit for bit, so the result
    does not depend on how replications are batched.

    Parameters
    ----------
    samples : array_like
        2-D array of shape ``(R, n)``: R samples of size n, R >= 1, n >= 1, finite values.
    cdf : callable
        Continuous cdf, vectorised elementwise over 2-D arrays (as ``scipy.stats`` and
        :mod:`gansim.study.dgp` cdfs are).

    Returns
    -------
    numpy.ndarray
        float64 array of shape ``(R,)``.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.stats import norm
    >>> x = np.random.default_rng(1).normal(size=(3, 50))
    >>> d = ks_distance_batch(x, norm.cdf)
    >>> d.shape, bool(d[1] == ks_distance(x[1], norm.cdf))
    ((3,), True)
    """
    check_callable(cdf)
    x = as_float_array(samples, "samples", ndim=2, min_size=1)
    return _ks_sorted(np.sort(x, axis=-1), cdf, "samples")


def _ks_sorted(xs: np.ndarray, cdf: Callable, name: str) -> np.ndarray:
    """KS distance along the last axis of sorted values ``xs``."""
    f = _cdf_values(cdf, xs, name)
    n = xs.shape[-1]
    # The empirical cdf is a right-continuous step function and F is continuous and
    # non-decreasing, so |F_n - F| peaks at a data point: either at x_(i) itself, where
    # F_n = i/n, or just left of it, where F_n = (i-1)/n and F is (by continuity) F(x_(i)).
    # With ties x_(i) = ... = x_(j), the terms for k = i..j are k/n - F and F - (k-1)/n; the
    # largest are j/n - F and F - (i-1)/n, which are exactly the deviations at and just
    # left of the tied value.  The other terms are smaller and never win, so the maximum
    # over all i is the exact supremum with or without ties.
    # i/n is formed as arange/n, the same arithmetic as scipy.stats.kstest, so both agree
    # to the last bit.
    d_plus = np.max(np.arange(1.0, n + 1) / n - f, axis=-1)
    d_minus = np.max(f - np.arange(0.0, n) / n, axis=-1)
    return np.maximum(d_plus, d_minus)


def _cdf_values(cdf: Callable, xs: np.ndarray, name: str) -> np.ndarray:
    # Checked after the call rather than in the _iv helper: a cdf is only known by its output.
    f = np.asarray(cdf(xs), dtype=np.float64)
    if f.shape != xs.shape:
        raise ValueError(
            f"`cdf` must be vectorised: for `{name}` values of shape {xs.shape} it returned "
            f"shape {f.shape}."
        )
    if not np.all((f >= 0) & (f <= 1)):
        raise ValueError("`cdf` must return probabilities in [0, 1]; it returned other values.")
    return f
