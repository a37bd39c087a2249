"""How many replications fit in one block on a GPU: :func:`replication_bytes` and
:func:`largest_block`, behind ``block_size="auto"``."""

from __future__ import annotations

import torch

from gansim.gan.config import GANConfig
from gansim.gan.mlp import MLPLayout
from gansim.gan.noise import BYTES_PER_NORMAL

__all__ = ["GPU_MEMORY_SHARE", "MEMORY_SAFETY", "largest_block", "replication_bytes"]


#: Allocator slack on the per-replication estimate of :func:`replication_bytes`.
MEMORY_SAFETY = 1.5
#: Share of the GPU's free memory :func:`largest_block` lets one block use.
GPU_MEMORY_SHARE = 0.8


def replication_bytes(config: GANConfig, n: int, m: int, *, chunk: int = 4096) -> int:
    """An upper estimate of the device memory one replication of a block needs, in bytes:
    its training state and one step's activations, or (the larger, at usual ``m``) its
    ``m`` draws with their float64 copies and one sampling chunk's activations, or the
    diagnostics' discriminator pass over the draws -- times :data:`MEMORY_SAFETY`.

    A block of R replications needs about R times this (with the PyTorch engine, its chunk
    of latent noise adds at most :data:`gansim.gan.noise.CHUNK_BUDGET` beyond one step's).
    Counted from the tensors the engines and :meth:`gansim.gan.train.GANBlock.sample`
    allocate, not measured on a GPU (none lent yet).

    Examples
    --------
    >>> round(replication_bytes(GANConfig(), n=100, m=10_000) / 2**20, 1)   # MiB
    2.1
    """
    config = config.at_n(n)   # a budget that grows with n: this n's steps and widths
    s = 8 if config.dtype == "float64" else 4
    h = max(config.g_hidden + config.d_hidden)
    latent, n_fake = config.latent_dim, config.fake_ratio * n
    params = sum(MLPLayout(sizes).size for sizes in (config.g_sizes, config.d_sizes))
    # Parameters, gradients, Adam's two moments, the average; the data in float64 and dtype;
    # the compiled engine's record of the losses.
    state = 10 * params * s + n * (3 * 8 + s) + 2 * config.steps * s
    # One step: every layer's input and output of D on n + n_fake points and of G on n_fake,
    # each with a gradient; the step's latent noise while generated (in bulk, eagerly, by the
    # PyTorch engine; one step at a time it is the most a chunk holds per replication).
    layers = len(config.d_hidden) + len(config.g_hidden) + 2
    step = (4 * (n + n_fake) * h * layers * s
            + (config.d_steps + 1) * n_fake * latent * BYTES_PER_NORMAL)
    rows = min(m, chunk)
    sample = m * (latent * s + s + 2 * 8) + 3 * rows * h * s
    diagnostics = m * (3 * 8 + s + 8 + 2 * 8) + rows * (3 * 8 + s + 3 * h * s)
    return int(MEMORY_SAFETY * (state + max(step, sample, diagnostics)))


def largest_block(configs, *, n: int, m: int, device="cuda", limit: int | None = None,
                  share: float = GPU_MEMORY_SHARE) -> int:
    """The most replications one block of GANs ``configs`` (trained on ``n`` points, ``m``
    draws each) can hold on CUDA ``device``: ``share`` of its free memory now
    (``torch.cuda.mem_get_info``) over :func:`replication_bytes` of the most demanding
    config, at least 1 and at most ``limit``."""
    free, _ = torch.cuda.mem_get_info(torch.device(device))
    per = max((replication_bytes(c, n, m) for c in configs), default=1)
    out = max(1, int(share * free) // per)
    return out if limit is None else max(1, min(out, int(limit)))
