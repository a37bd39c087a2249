"""Which engine trains a GAN here: :func:`resolve_engine` (the fused C engine, the batched
PyTorch engine or the compiled one)."""

from __future__ import annotations

import warnings

from gansim.gan.compiled import compiled_supports, compiled_unavailable
from gansim.gan.config import GANConfig
from gansim.gan.fused import fused_available, fused_supports

__all__ = ["resolve_engine"]


def resolve_engine(config: GANConfig, device="cpu") -> str:
    """The engine that trains ``config`` on ``device``: ``"fused"``, ``"torch"`` or
    ``"compiled"``.

    ``engine="auto"`` takes the fused C engine where it applies (CPU, float32, no
    input-gradient penalty) and compiles, else the PyTorch engine -- with a warning when only
    the missing compiler stands in the way, since the two differ in floating-point rounding.
    ``engine="fused"`` where it cannot run is an error that says why.  ``"auto"`` never
    takes the compiled engine (no GPU measurement backs it yet); ``engine="compiled"`` is
    taken as asked, or is an error that says why it cannot run: a game with an
    input-gradient penalty (WGAN-GP, R1: their second derivatives are left to
    ``engine="torch"``), ``noise="generator"`` (the compiled step computes its Philox noise
    itself), or no ``torch.compile`` backend here (no C++ compiler on the CPU, no Triton
    on the GPU).  It is an error rather than a fallback because the engine is part of a
    study's settings.

    Examples
    --------
    >>> resolve_engine(GANConfig(engine="torch"))
    'torch'
    >>> resolve_engine(GANConfig(loss="wasserstein"))   # the penalty needs autograd
    'torch'
    >>> resolve_engine(GANConfig(dtype="float64", engine="fused"))
    Traceback (most recent call last):
    ...
    ValueError: `engine` 'fused' cannot train this GAN: the fused engine computes in float32 ...
    """
    if config.engine == "torch":
        return "torch"
    if config.engine == "compiled":
        reason = compiled_supports(config) or compiled_unavailable(device)
        if reason is not None:
            raise ValueError(f"`engine` 'compiled' cannot train this GAN: {reason}; use "
                             "engine='torch'.")
        return "compiled"
    reason = fused_supports(config, device)
    if reason is None:
        reason = fused_available(config)
        if reason is not None and config.engine == "auto":
            warnings.warn(f"gansim: using the PyTorch engine, slower than the fused one: "
                          f"{reason}", RuntimeWarning, stacklevel=3)
            return "torch"
    if reason is None:
        return "fused"
    if config.engine == "fused":
        raise ValueError(f"`engine` 'fused' cannot train this GAN: {reason}; use "
                         "engine='torch' or 'auto'.")
    return "torch"

