"""GAN training's public names in one place: ``from gansim.gan.engine import train_gans``.

Each is defined in the module of its concern and re-exported here:

- :mod:`gansim.gan.train`: :func:`train_gans` and the trained :class:`GANBlock`;
- :mod:`gansim.gan.resolve`: :func:`resolve_engine`, the engine that trains a config here;
- :mod:`gansim.gan.batched`, :mod:`gansim.gan.compiled`, :mod:`gansim.gan.fused`: the
  batched PyTorch engine, its compiled step (:func:`compiled_supports`,
  :func:`compiled_unavailable`) and the fused C engine;
- :mod:`gansim.gan.mlp`: the networks (:class:`MLPLayout`, :func:`mlp_forward`,
  :func:`mlp_backward`, :func:`initial_parameters`) and :func:`float32_matmuls`;
- :mod:`gansim.gan.noise`: the latent noise (:class:`NoiseStream`, :func:`latent_noise`);
- :mod:`gansim.gan.memory`: the memory one replication needs on a GPU
  (:func:`replication_bytes`, :func:`largest_block`).

Code inside :mod:`gansim.gan` imports from those modules, not from here.
"""

from __future__ import annotations

from gansim.gan.compiled import compiled_supports, compiled_unavailable
from gansim.gan.memory import GPU_MEMORY_SHARE, MEMORY_SAFETY, largest_block, replication_bytes
from gansim.gan.mlp import (
    MLPLayout,
    float32_matmuls,
    initial_parameters,
    mlp_backward,
    mlp_forward,
)
from gansim.gan.noise import NoiseStream, latent_noise
from gansim.gan.resolve import resolve_engine
from gansim.gan.train import GANBlock, train_gans

__all__ = [
    "GANBlock",
    "GPU_MEMORY_SHARE",
    "MEMORY_SAFETY",
    "MLPLayout",
    "NoiseStream",
    "compiled_supports",
    "compiled_unavailable",
    "float32_matmuls",
    "initial_parameters",
    "largest_block",
    "latent_noise",
    "mlp_backward",
    "mlp_forward",
    "replication_bytes",
    "resolve_engine",
    "train_gans",
]
