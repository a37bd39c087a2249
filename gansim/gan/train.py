"""Training of many small 1-D GANs, one per replication: :func:`train_gans`.

:func:`train_gans` prepares what every engine shares -- the (standardised) data, each
replication's initial weights and latent noise from its own seeds -- and hands the training
to one of three engines (``GANConfig.engine``, chosen by
:func:`~gansim.gan.resolve.resolve_engine`): the fused C engine of :mod:`gansim.gan.fused`
(CPU, the default there), the batched PyTorch engine of :mod:`gansim.gan.batched` (any device
and dtype, every game), or the same batched engine with its whole training step compiled once
by ``torch.compile`` (``engine="compiled"``, :mod:`gansim.gan.compiled`: a CUDA graph on a
GPU).  The trained networks come back as a :class:`GANBlock`, which samples from them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from gansim._validation import as_float_array, check_scale
from gansim.gan.batched import train_batched
from gansim.gan.compiled import train_compiled
from gansim.gan.config import GANConfig
from gansim.gan.fused import philox_normals_c_or_none, train_fused
from gansim.gan.latent import latent_tails, sample_latent
from gansim.gan.mlp import (
    MLPLayout,
    discriminator_layout,
    float32_matmuls,
    generator_layout,
    initial_parameters,
    mlp_forward,
    torch_dtype,
)
from gansim.gan.noise import latent_noise
from gansim.gan.resolve import resolve_engine
from gansim.rng import torch_generator

__all__ = ["GANBlock", "train_gans"]


@dataclass
class GANBlock:
    """The trained GANs of one block of replications.

    Attributes
    ----------
    config : GANConfig
    generator : Tensor, shape (R, P_G)
        Generator parameters used for sampling (the averaged ones when EMA is on).
    discriminator : Tensor, shape (R, P_D)
    center, scale : Tensor, shape (R,), float64
        Affine map from the training scale back to the data's (0 and 1 unless
        ``config.standardize``).
    losses : Tensor, shape (steps, 2, R), or None
        With ``record_losses=True``: D's loss (its last update of the step, without
        penalties) and G's loss at every step, per replication.
    latent_tails : Tensor, shape (R,), float64, or None
        Each replication's tail index of the Pareto latent (``GANConfig(latent="pareto")``:
        fixed, or Hill's estimate from its data); None for other latents.
    """

    config: GANConfig
    generator: torch.Tensor
    discriminator: torch.Tensor
    center: torch.Tensor
    scale: torch.Tensor
    losses: torch.Tensor | None = None
    latent_tails: torch.Tensor | None = None

    @property
    def g_layout(self) -> MLPLayout:
        """The generator's parameter layout."""
        return generator_layout(self.config)

    @property
    def d_layout(self) -> MLPLayout:
        """The discriminator's parameter layout."""
        return discriminator_layout(self.config)

    def sample(self, m: int, generators, *, chunk: int = 4096) -> torch.Tensor:
        """``m`` draws from each replication's generator, row ``r`` from ``generators[r]``."""
        cfg = self.config
        R = self.generator.shape[0]
        dtype, device = self.generator.dtype, self.generator.device
        if cfg.normal_latent:
            z = torch.stack([torch.randn((m, cfg.latent_dim), generator=g, dtype=dtype,
                                         device=device) for g in generators])
        else:
            z = sample_latent(cfg, m, generators, self.latent_tails, dtype=dtype,
                              device=device)
        layers = self.g_layout.views(self.g_layout.to_flat(self.generator), R)
        out = torch.empty((R, m), dtype=dtype, device=device)
        # Chunks bound the activations' memory at large m.
        with float32_matmuls(cfg.allow_tf32, device):
            for s in range(0, m, chunk):
                x, _ = mlp_forward(layers, z[:, s:s + chunk], cfg.negative_slope, keep=False)
                out[:, s:s + chunk] = x.squeeze(-1)
        # Back to the data's scale in float64 (center and scale are float64).
        return out.to(torch.float64) * self.scale.unsqueeze(1) + self.center.unsqueeze(1)

    def discriminate(self, x: torch.Tensor) -> torch.Tensor:
        """Discriminator logits of points ``x`` of shape (R, N) on the data's scale."""
        x = x.to(torch.float64)
        xs = ((x - self.center.unsqueeze(1)) / self.scale.unsqueeze(1)).unsqueeze(-1)
        xs = xs.to(self.discriminator.dtype)
        R = self.discriminator.shape[0]
        layers = self.d_layout.views(self.d_layout.to_flat(self.discriminator), R)
        with float32_matmuls(self.config.allow_tf32, xs.device):
            logits, _ = mlp_forward(layers, xs, self.config.negative_slope, keep=False)
        return logits.squeeze(-1)


def train_gans(data, config: GANConfig, *, init_seeds, noise_seeds, device="cpu",
               record_losses: bool = False, warm_start: GANBlock | None = None) -> GANBlock:
    """Train one GAN per row of ``data`` as one batched computation.

    Parameters
    ----------
    data : array_like, shape (R, n)
        One replication's sample per row, all finite.
    config : GANConfig
    init_seeds, noise_seeds : sequence of numpy.random.SeedSequence, length R
        Replication ``r``'s initial weights come from ``init_seeds[r]`` and its latent noise
        from ``noise_seeds[r]`` only.
    device : str or torch.device
        ``"cpu"`` or a CUDA device; the fused engine runs on the CPU only (``"auto"`` then
        takes the PyTorch engine).
    record_losses : bool
        Keep D's and G's loss at every step (:attr:`GANBlock.losses`); the training itself
        is the same either way.
    warm_start : GANBlock, optional
        Start every replication from this block's weights (its sampling generator and its
        discriminator; one row for all replications, or one per row of ``data``) instead of
        fresh ones; ``init_seeds`` are then not used (pass None).  Adam's moments and the
        EMA start afresh.  The architecture of ``warm_start.config`` must be ``config``'s.
        Used by the GAN bootstrap (:class:`gansim.GANEstimator`), which retrains briefly
        from the fitted GAN.

    Returns
    -------
    GANBlock

    Examples
    --------
    >>> import numpy as np
    >>> from gansim.rng import replication_streams
    >>> s = [replication_streams(1, rep=r) for r in range(3)]
    >>> x = np.stack([t.data_rng().standard_normal(50) for t in s])
    >>> block = train_gans(x, GANConfig(steps=20), init_seeds=[t.init for t in s],
    ...                    noise_seeds=[t.noise for t in s])
    >>> tuple(block.sample(1000, [torch_generator(t.draws) for t in s]).shape)
    (3, 1000)
    """
    data = _train_gans_iv(data, config, init_seeds, noise_seeds, warm_start)
    with float32_matmuls(config.allow_tf32, device):
        return _train_gans(data, config, init_seeds, noise_seeds, device, record_losses,
                           warm_start)


def _train_gans(data, config, init_seeds, noise_seeds, device, record_losses, warm_start):
    # A budget that grows with n: the config of this n (GANBlock.config is this one).
    cfg = config.at_n(np.shape(data)[1])
    dtype = torch_dtype(cfg)
    # Standardised, and mapped back in sample(), in float64 whatever the training dtype:
    # cast to float32 first, data at N(1e7, 1) would keep about one significant digit.
    x = torch.as_tensor(np.asarray(data, dtype=np.float64), device=device)
    R, n = x.shape
    if cfg.standardize:
        center = x.mean(dim=1)
        scale = x.std(dim=1)
        x = (x - center.unsqueeze(1)) / scale.unsqueeze(1)
        tails = latent_tails(cfg, x.cpu().numpy())
    else:
        center = torch.zeros(R, dtype=torch.float64, device=device)
        scale = torch.ones(R, dtype=torch.float64, device=device)
        # The tail index is estimated on the standardised data whatever the training scale.
        tails = latent_tails(cfg, ((x - x.mean(1, keepdim=True))
                                   / x.std(1, keepdim=True)).cpu().numpy())
    x = x.to(dtype)
    real = x.unsqueeze(-1)

    g_layout, d_layout = generator_layout(cfg), discriminator_layout(cfg)
    if warm_start is not None:
        g_params, d_params = (w.to(dtype=dtype, device=device).expand(R, -1).contiguous()
                              for w in (warm_start.generator, warm_start.discriminator))
    else:
        # Each replication's init stream draws G's weights, then D's.
        # Drawn on the CPU and moved: the same initial weights on every device (with the
        # device-independent Philox noise, a GPU then differs from the CPU by rounding only).
        init_gens = [torch_generator(s) for s in init_seeds]
        g_params = initial_parameters(g_layout, init_gens, dtype=dtype, device="cpu")
        d_params = initial_parameters(d_layout, init_gens, dtype=dtype, device="cpu")
        g_params, d_params = g_params.to(device), d_params.to(device)
    k = cfg.d_steps
    n_fake = cfg.fake_ratio * n
    gp = cfg.loss == "wasserstein"
    noise = latent_noise(cfg, noise_seeds, n=n_fake, dtype=dtype, device=device,
                         cpu_normals=philox_normals_c_or_none, tails=tails, draws=k + 1,
                         uniforms=k if gp else 0, n_uniform=n if gp else 0)
    trace = (torch.empty((cfg.steps, 2, R), dtype=dtype, device=device) if record_losses
             else None)
    engine = resolve_engine(cfg, device)
    tails_t = None if tails is None else torch.as_tensor(tails, dtype=torch.float64)
    if engine == "fused":
        sampler = train_fused(x, cfg, g_params, d_params, noise, trace)
        return GANBlock(cfg, sampler, d_params, center, scale, trace, tails_t)
    if engine == "compiled":
        sampler, d_flat = train_compiled(cfg, real, g_layout.to_flat(g_params),
                                          d_layout.to_flat(d_params), noise.keys, trace,
                                          tails=tails)
        return GANBlock(cfg, g_layout.to_rows(sampler, R), d_layout.to_rows(d_flat, R),
                        center, scale, trace, tails_t)
    sampler, d_flat = train_batched(cfg, real, g_layout.to_flat(g_params),
                                    d_layout.to_flat(d_params), noise, trace)
    return GANBlock(cfg, g_layout.to_rows(sampler, R), d_layout.to_rows(d_flat, R),
                    center, scale, trace, tails_t)


def _train_gans_iv(data, config, init_seeds, noise_seeds, warm_start=None) -> np.ndarray:
    if not isinstance(config, GANConfig):
        raise TypeError(f"`config` must be a GANConfig, got {type(config).__name__}.")
    if isinstance(data, torch.Tensor):
        data = data.detach().cpu().numpy()
    x = as_float_array(data, "data", ndim=2, min_size=1)
    if x.shape[1] < 2:
        raise ValueError(f"`data` must have at least 2 points per row, got shape {x.shape}.")
    if config.standardize:
        constant = np.flatnonzero(np.all(x == x[:, :1], axis=1))
        if constant.size:
            raise ValueError(f"`data` rows {constant[:5].tolist()} are constant (sd 0): a GAN "
                             "on standardised data cannot be trained on them.")
    for i, row in enumerate(x):
        # Data whose sd overflows or underflows float64 would train to non-finite draws.
        check_scale(row, f"`data` row {i}")
    named = [("noise_seeds", noise_seeds)]
    if warm_start is None:
        named.insert(0, ("init_seeds", init_seeds))
    else:
        _warm_start_iv(warm_start, config.at_n(x.shape[1]), x.shape[0])
    for name, seeds in named:
        if seeds is None or len(seeds) != x.shape[0] or not all(
                isinstance(q, np.random.SeedSequence) for q in seeds):
            raise ValueError(f"`{name}` must hold one numpy SeedSequence per row of `data` "
                             f"({x.shape[0]}); got "
                             f"{'None' if seeds is None else len(seeds)} items.")
    return x


def _warm_start_iv(block, config: GANConfig, R: int) -> None:
    if not isinstance(block, GANBlock):
        raise TypeError(f"`warm_start` must be a GANBlock (a trained block), got "
                        f"{type(block).__name__}.")
    arch = ("latent_dim", "g_hidden", "d_hidden", "dtype")
    if any(getattr(block.config, a) != getattr(config, a) for a in arch):
        raise ValueError("`warm_start` was trained with another architecture: its config's "
                         f"{', '.join(arch)} must equal `config`'s.")
    rows = block.generator.shape[0]
    if rows not in (1, R):
        raise ValueError(f"`warm_start` must have 1 replication or one per row of `data` "
                         f"({R}); it has {rows}.")
