"""The latent distributions of ``GANConfig(latent=..., latent_components=...)`` beyond the
standard normal: the symmetric generalized Pareto latent with its tail index (fixed, or
estimated from the data by Hill's estimator) and the equal-weight mixture of shifted copies.

The numbers a GAN *trains* on are counter-based (:func:`gansim.gan.noise.latents_from_tensors`
and the same arithmetic in ``fused.c``); the numbers it *samples* from after training come from
each replication's sampling generator (:func:`sample_latent`).  Both use the transforms
defined here: :func:`pareto_from_uniform` and :func:`component_shift`.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import torch

from gansim._validation import as_float_array
from gansim.gan.config import GANConfig

__all__ = ["HILL_CLIP", "LatentSpec", "component_shift", "hill_k", "hill_tail_index",
           "latent_spec", "latent_tails", "pareto_from_uniform", "sample_latent"]

#: The range a Hill estimate of the latent's tail index is clipped to (see
#: ``GANConfig.latent_tail``).
HILL_CLIP = (1.0, 50.0)


class LatentSpec(NamedTuple):
    """What the engines need to know of a config's latent: ``pareto`` (bool), the number of
    mixture components and their separation (hashable, so a compiled step can hold it)."""

    pareto: bool
    components: int
    separation: float


def latent_spec(config: GANConfig) -> LatentSpec:
    """The :class:`LatentSpec` of ``config``."""
    return LatentSpec(config.latent == "pareto", config.latent_components,
                      float(config.latent_separation))


def hill_k(n: int) -> int:
    """The number of upper order statistics Hill's estimator uses on ``n`` points:
    ⌈√n⌉, at least 2 and at most n - 1.

    Examples
    --------
    >>> hill_k(100), hill_k(3200)
    (10, 57)
    """
    return int(min(n - 1, max(2, math.ceil(math.sqrt(n)))))


def hill_tail_index(x, k: int | None = None) -> np.ndarray:
    """Hill's estimate of the tail index α of each row of ``x``, from its upper tail.

    ``1 / α̂ = (1/k) Σ_{i=1..k} log X_(n-i+1) - log X_(n-k)``, the mean log excess of the k
    largest points over the (k+1)-th largest (Hill, "A simple general approach to inference
    about the tail of a distribution", Ann. Statist. 1975).  For a tail
    ``P(X > x) ~ C x^(-α)`` it is consistent as k → ∞, k/n → 0; for a light tail (normal,
    lognormal) α̂ grows without bound as n grows, slowly.  The (k+1)-th largest point must be
    positive (else the row's estimate is NaN): to estimate the tail of ``|X|``, pass
    ``abs(x)``.

    Parameters
    ----------
    x : array_like, shape (R, n) or (n,)
    k : int, optional
        Order statistics used; default :func:`hill_k` of n.

    Returns
    -------
    ndarray, shape (R,) (a 0-d array for 1-D input)

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> pareto = rng.pareto(3.0, size=200_000) + 1     # P(X > x) = x^-3
    >>> abs(float(hill_tail_index(pareto, k=2000)) - 3.0) < 3 * 3.0 / 2000 ** 0.5   # 3 se
    True
    """
    arr = as_float_array(x, "x", ndim=1 if np.ndim(x) == 1 else 2, min_size=1)
    if arr.shape[-1] < 2:
        raise ValueError(f"`x` must have at least 2 points per row, got shape {arr.shape}.")
    rows = arr.reshape(-1, arr.shape[-1])
    n = rows.shape[1]
    if k is None:
        k = hill_k(n)
    if not (1 <= int(k) <= n - 1):
        raise ValueError(f"`k` must be in [1, {n - 1}] for {n} points, got {k}.")
    k = int(k)
    # The k + 1 largest of each row, without sorting the whole row.
    top = -np.partition(-rows, k, axis=1)[:, :k + 1]
    top = -np.sort(-top, axis=1)
    threshold = top[:, k]
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = np.mean(np.log(top[:, :k]), axis=1) - np.log(threshold)
        out = np.where(threshold > 0, 1.0 / inv, np.nan)
    return out.reshape(()) if arr.ndim == 1 else out


def latent_tails(config: GANConfig, standardized) -> np.ndarray | None:
    """Each replication's tail index α of the Pareto latent, (R,) float64, or None when
    ``config.latent`` is not ``"pareto"``: ``config.latent_tail`` when it is a number, else
    Hill's estimate (:func:`hill_tail_index`, k = :func:`hill_k`) of the tail of ``|x|`` of
    each row of the ``standardized`` data (R, n), clipped to :data:`HILL_CLIP`."""
    if config.latent != "pareto":
        return None
    x = np.asarray(standardized, dtype=np.float64)
    if config.latent_tail != "hill":
        return np.full(x.shape[0], float(config.latent_tail))
    alpha = hill_tail_index(np.abs(x))
    # A row whose (k+1)-th largest |x| is 0 (many ties at the mean) has no estimate: the
    # upper clip, the lightest tail.
    return np.clip(np.nan_to_num(alpha, nan=HILL_CLIP[1]), *HILL_CLIP)


def pareto_from_uniform(u: torch.Tensor, negative: torch.Tensor,
                        alpha: torch.Tensor) -> torch.Tensor:
    """The symmetric generalized Pareto number ``±α(u^(-1/α) - 1)`` of uniforms ``u`` in
    (0, 1] (float64), signs ``negative`` (bool) and tail indices ``alpha`` (float64,
    broadcast): computed in float64, as ``fused.c`` computes it in double, so that the two
    round to the same float32 number (up to the last bit of the two libraries' exp and log).
    """
    mag = alpha * (torch.exp(-torch.log(u) / alpha) - 1.0)
    return torch.where(negative, -mag, mag)


def component_shift(index: torch.Tensor, components: int, separation: float) -> torch.Tensor:
    """The shift ``separation * (k - (K - 1) / 2)`` of component ``index`` (k) of K, in
    float64 (rounded once to the latent's dtype by the caller, as in ``fused.c``)."""
    return separation * (index.to(torch.float64) - 0.5 * (components - 1))


def sample_latent(config: GANConfig, m: int, generators, tails, *, dtype,
                  device) -> torch.Tensor:
    """The latent noise of ``m`` draws from each replication's generator, (R, m, latent_dim):
    from ``generators[r]``, in this order, ``m x latent_dim`` normals (the draws of the normal
    latent, unchanged), then for the Pareto latent as many uniforms and fair coins, then for
    a mixture ``m`` component indices."""
    L = config.latent_dim
    spec = latent_spec(config)
    out = []
    for r, g in enumerate(generators):
        z = torch.randn((m, L), generator=g, dtype=dtype, device=device)
        if spec.pareto:
            u = 1.0 - torch.rand((m, L), generator=g, dtype=torch.float64, device=device)
            neg = torch.randint(0, 2, (m, L), generator=g, device=device).bool()
            alpha = torch.as_tensor(float(tails[r]), dtype=torch.float64, device=device)
            z = pareto_from_uniform(u, neg, alpha).to(dtype)
        if spec.components > 1:
            k = torch.randint(0, spec.components, (m,), generator=g, device=device)
            shift = component_shift(k, spec.components, spec.separation).to(dtype)
            z[:, 0] += shift
        out.append(z)
    return torch.stack(out)
