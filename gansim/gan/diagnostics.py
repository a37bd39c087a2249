"""Did each replication's game reach its equilibrium?  Diagnostics of trained GANs.

Per replication, from the trained discriminator D, the n data points and the m draws of the
generator used for sampling (the averaged one when EMA is on):

- ``d_real``, ``d_fake``: mean D output on the data and on the draws, on the probability
  scale (σ(logit) for the cross-entropy games, the raw output for least squares).  At the
  equilibrium p_g = p_data the optimal D is ½ everywhere ((1 - s)/2 with one-sided label
  smoothing s).  For the Wasserstein critic the raw scores (no level; only their difference
  means something).
- ``value``: minus D's loss without penalties and without label smoothing, evaluated on the
  data and the draws: the value function ``V(D, G) = E log D(x) + E log(1 - D(G(z)))``
  (``-log 4`` at equilibrium) for the cross-entropy games; see :mod:`gansim.gan.games` for
  the others (-1/4 for least squares; ``E D(x) - E D(G(z))``, 0 at equilibrium, for
  Wasserstein).  D is fitted to the generator's last weights, not to the averaged one, so
  the value is a diagnostic, not a divergence estimate.
- ``jsd_star``: a Jensen-Shannon divergence between the GAN's distribution and the truth,
  estimated from the draws alone (see :func:`binned_jsd`).
- ``collapsed``: a flag, by :func:`collapsed`'s rule.

Examples
--------
>>> import numpy as np
>>> from scipy import stats
>>> rng = np.random.default_rng(1)
>>> draws = rng.standard_normal((2, 10_000))
>>> draws[1] *= 0.3                                   # a GAN that shrank
>>> np.round(binned_jsd(draws, stats.norm.ppf), 3)
array([0.001, 0.214])
>>> collapsed(sd_star=draws.std(axis=1), sd=np.ones(2), ks_star=np.array([0.01, 0.3]), n=100)
array([False,  True])
"""

from __future__ import annotations

import numpy as np
import torch
from scipy import stats

from gansim.gan.games import get_loss

__all__ = ["JSD_BINS", "binned_jsd", "collapsed", "ks_threshold", "equilibrium"]

#: Bins of :func:`binned_jsd`: equiprobable under the truth.
JSD_BINS = 50


def binned_jsd(draws, ppf, *, bins: int = JSD_BINS) -> np.ndarray:
    """Jensen-Shannon divergence (nats) between each row's draws and the truth, binned.

    The real line is cut into ``bins`` intervals of probability ``1/bins`` each under the
    truth (edges ``ppf(j / bins)``); ``P`` is the share of a row's draws in each interval,
    ``Q`` the uniform ``1/bins``, and ``JSD = ½ KL(P‖M) + ½ KL(Q‖M)``, ``M = (P + Q)/2``.
    Binning can only lose information, so this is a lower bound on the JSD of the
    continuous distributions, up to the plug-in estimator's upward bias, about
    ``(bins - 1)/(8 m)`` nats for m draws from the truth itself (0.0006 for 50 bins and
    m = 10,000; tested).  It is 0 at p_g = p_data and at most ``log 2``.

    Parameters
    ----------
    draws : array_like, shape (R, m)
    ppf : callable
        The truth's quantile function.
    bins : int

    Returns
    -------
    ndarray, shape (R,)
    """
    x = np.atleast_2d(np.asarray(draws, dtype=float))
    if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or bins < 2:
        raise ValueError(f"`bins` must be an integer >= 2, got {bins!r}.")
    R, m = x.shape
    edges = np.asarray(ppf(np.arange(1, bins) / bins), dtype=float)
    idx = np.searchsorted(edges, x) + bins * np.arange(R)[:, None]
    p = np.bincount(idx.ravel(), minlength=R * bins).reshape(R, bins) / m
    q = 1.0 / bins
    mid = (p + q) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        kl_p = np.where(p > 0, p * np.log(p / mid), 0.0).sum(axis=1)
    kl_q = (q * np.log(q / mid)).sum(axis=1)
    out = 0.5 * kl_p + 0.5 * kl_q
    out[~np.isfinite(x).all(axis=1)] = np.nan
    return out


def ks_threshold(n: int, level: float = 1e-4) -> float:
    """The ``1 - level`` quantile of Kolmogorov's exact distribution of sup|F_n - F|."""
    return float(stats.kstwo(n).ppf(1.0 - level))


def collapsed(*, sd_star, sd, ks_star, n: int) -> np.ndarray:
    """The collapse rule: a GAN has collapsed (or failed to learn) when

    - the sd of its draws is below half the sd of the data it was trained on
      (``sd_star < 0.5 * sd``: mode collapse towards a narrow region), or
    - its KS distance to the truth exceeds the 0.9999 quantile of Kolmogorov's distribution
      for the data's n (:func:`ks_threshold`): farther from the truth than the data's own
      empirical CDF is once in 10,000 samples (0.22 for n = 100).

    NaN inputs (failed replications) give False; those rows are failures already.
    """
    sd_star, sd, ks_star = (np.asarray(a, dtype=float) for a in (sd_star, sd, ks_star))
    with np.errstate(invalid="ignore"):
        return (sd_star < 0.5 * sd) | (ks_star > ks_threshold(n))


def equilibrium(block, data: torch.Tensor, draws: torch.Tensor, *,
                chunk: int = 4096) -> dict[str, np.ndarray]:
    """``d_real``, ``d_fake`` and ``value`` per replication (see the module's docstring).

    Parameters
    ----------
    block : gansim.gan.train.GANBlock
    data : Tensor, shape (R, n)
        The data each GAN was trained on (data scale).
    draws : Tensor, shape (R, m)
        Draws from each GAN (data scale).
    """
    loss = get_loss(block.config.loss)
    with torch.no_grad():
        # discriminate() standardises in float64, then casts to the networks' dtype.
        o_real = block.discriminate(data)
        o_fake = torch.cat([block.discriminate(draws[:, s:s + chunk])
                            for s in range(0, draws.shape[1], chunk)], dim=1)
        o_real, o_fake = o_real.double(), o_fake.double()
        value = -loss.d_value(o_real.unsqueeze(-1), o_fake.unsqueeze(-1)).squeeze(-1)
        p_real, p_fake = loss.prob(o_real), loss.prob(o_fake)
        if p_real is None:  # a critic: its raw scores
            p_real, p_fake = o_real, o_fake
    return {"d_real": p_real.mean(1).cpu().numpy(), "d_fake": p_fake.mean(1).cpu().numpy(),
            "value": value.cpu().numpy()}
