"""One GAN, one replication: the plain ``torch.nn`` + autograd + ``torch.optim.Adam`` loop.

This is the textbook implementation the batched engine must agree with.  It is not used by
studies (it is 20-40x slower); tests train it on the same data, initial weights and noise as
:func:`gansim.gan.train.train_gans` and compare the networks, and ``benchmarks/`` times it as
the baseline.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from gansim.gan.config import GANConfig
from gansim.gan.fused import philox_normals_c_or_none
from gansim.gan.games import get_loss
from gansim.gan.latent import latent_tails
from gansim.gan.mlp import (
    MLPLayout,
    discriminator_layout,
    generator_layout,
    initial_parameters,
    torch_dtype,
)
from gansim.gan.noise import latent_noise
from gansim.rng import torch_generator

__all__ = ["ReferenceGAN", "train_gan_reference"]


def _mlp(layout: MLPLayout, slope: float) -> nn.Sequential:
    layers: list[nn.Module] = []
    sizes = layout.sizes
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(nn.Linear(fan_in, fan_out))
        if i < len(sizes) - 2:
            layers.append(nn.LeakyReLU(slope))
    return nn.Sequential(*layers)


def _load(module: nn.Sequential, layout: MLPLayout, flat: torch.Tensor):
    linears = [m for m in module if isinstance(m, nn.Linear)]
    with torch.no_grad():
        for lin, (W, b) in zip(linears, layout.views(flat, 1), strict=True):
            lin.weight.copy_(W[0].T)
            lin.bias.copy_(b[0])


def _flatten(module: nn.Sequential, layout: MLPLayout) -> torch.Tensor:
    linears = [m for m in module if isinstance(m, nn.Linear)]
    flat = torch.empty(layout.size, dtype=linears[0].weight.dtype)
    for lin, (w, b) in zip(linears, layout.slices, strict=True):
        flat[w] = lin.weight.detach().T.reshape(-1)
        flat[b] = lin.bias.detach()
    return flat


class ReferenceGAN:
    """Generator and discriminator as ``nn.Sequential`` modules, for one replication."""

    def __init__(self, config: GANConfig, init_seed: np.random.SeedSequence):
        cfg = self.config = config
        dtype = torch_dtype(cfg)
        self.g_layout, self.d_layout = generator_layout(cfg), discriminator_layout(cfg)
        self.G = _mlp(self.g_layout, cfg.negative_slope).to(dtype)
        self.D = _mlp(self.d_layout, cfg.negative_slope).to(dtype)
        gen = [torch_generator(init_seed)]
        _load(self.G, self.g_layout, initial_parameters(self.g_layout, gen, dtype=dtype,
                                                        device="cpu")[0])
        _load(self.D, self.d_layout, initial_parameters(self.d_layout, gen, dtype=dtype,
                                                        device="cpu")[0])

    def generator_flat(self) -> torch.Tensor:
        return _flatten(self.G, self.g_layout)

    def discriminator_flat(self) -> torch.Tensor:
        return _flatten(self.D, self.d_layout)


def train_gan_reference(data, config: GANConfig, *, init_seed, noise_seed):
    """Train one GAN on a 1-D sample the textbook way.

    Every option of :class:`GANConfig` is written here in its most direct form: the losses
    are the registry's *values* (:mod:`gansim.gan.games`), differentiated by autograd, and
    the penalties use ``torch.autograd.grad(..., create_graph=True)`` on ``nn.Module`` objects.

    Returns
    -------
    generator : Tensor, shape (P_G,)
        Flat generator parameters used for sampling (averaged when EMA is on), in the
        engine's layout.
    discriminator : Tensor, shape (P_D,)
    """
    raw = np.asarray(data, dtype=float)
    cfg = config.at_n(raw.size)     # a budget that grows with n: this n's
    dtype = torch_dtype(cfg)
    loss = get_loss(cfg.loss)
    target = 1.0 - cfg.label_smoothing
    x = torch.as_tensor(raw, dtype=dtype)
    if cfg.standardize:
        x = (x - x.mean()) / x.std()
    real = x.reshape(-1, 1)
    n = real.shape[0]
    # The Pareto latent's tail index, from the standardised data in float64 (as train_gans).
    tails = latent_tails(cfg, ((raw - raw.mean()) / raw.std(ddof=1))[None, :])
    gan = ReferenceGAN(cfg, init_seed)
    G, D = gan.G, gan.D
    opt_g = torch.optim.Adam(G.parameters(), lr=cfg.lr, betas=cfg.betas, eps=cfg.eps,
                             foreach=False)
    opt_d = torch.optim.Adam(D.parameters(), lr=cfg.lr, betas=cfg.betas, eps=cfg.eps,
                             foreach=False)
    k, wgan = cfg.d_steps, cfg.loss == "wasserstein"
    noise = latent_noise(cfg, [noise_seed], n=cfg.fake_ratio * n, dtype=dtype, device="cpu",
                         cpu_normals=philox_normals_c_or_none, tails=tails, draws=k + 1,
                         uniforms=k if wgan else 0, n_uniform=n if wgan else 0)
    ema = None
    for t in range(cfg.steps):
        for group in opt_g.param_groups:
            group["lr"] = cfg.lr_at(t)
        for group in opt_d.param_groups:
            group["lr"] = cfg.lr_d_at(t)
        z = [zj[0] for zj in noise.at(t)]
        eps = [u[0] for u in noise.uniform_at(t)] if wgan else None

        for j in range(k):
            opt_d.zero_grad()
            with torch.no_grad():
                fake = G(z[j])
            out = D(torch.cat((real, fake)))
            loss_d = loss.real_value(out[:n], target).mean() + loss.fake_value(out[n:]).mean()
            if wgan:
                x_hat = (eps[j] * real + (1 - eps[j]) * fake[:n]).requires_grad_(True)
                (grad_x,) = torch.autograd.grad(D(x_hat).sum(), x_hat, create_graph=True)
                excess = grad_x.norm(dim=1) - 1
                if cfg.gp_one_sided:
                    excess = torch.clamp(excess, min=0)
                loss_d = loss_d + cfg.gp_weight * (excess ** 2).mean()
            if cfg.r1_weight > 0:
                x_real = real.clone().requires_grad_(True)
                (grad_x,) = torch.autograd.grad(D(x_real).sum(), x_real, create_graph=True)
                loss_d = loss_d + cfg.r1_weight / 2 * (grad_x ** 2).sum(dim=1).mean()
            loss_d.backward()
            opt_d.step()

        opt_g.zero_grad()
        loss_g = loss.g_value(D(G(z[k]))).mean()
        loss_g.backward()
        opt_g.step()

        first = cfg.ema_first_step
        if first is not None and t >= first:
            current = gan.generator_flat()
            ema = current.clone() if ema is None else ema.lerp_(current, 1.0 - cfg.ema_decay)
    sampler = ema if ema is not None else gan.generator_flat()
    return sampler, gan.discriminator_flat()
