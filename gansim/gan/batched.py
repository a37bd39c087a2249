"""The batched PyTorch engine (``GANConfig(engine="torch")``): :func:`train_batched`.

It trains a block of replications as one computation on any device and dtype, and every
game, including those whose discriminator loss penalises its input gradient (WGAN-GP, R1).
Replication ``r`` of a block owns row ``r`` of every parameter buffer (see
:mod:`gansim.gan.mlp`).  The loss is *summed* over replications, never averaged, so each
replication's gradient is exactly the gradient of its own loss and no operation couples two
replications (changing one replication's data leaves the others bit-for-bit unchanged;
tested).  Adam works on a network's whole flat buffer (:class:`Adam`).
"""

from __future__ import annotations

import math

import torch

from gansim.gan.config import GANConfig
from gansim.gan.games import get_loss
from gansim.gan.mlp import discriminator_layout, generator_layout, mlp_backward, mlp_forward

__all__ = ["Adam", "train_batched"]


class Adam:
    """Adam on a flat buffer, the same arithmetic as ``torch.optim.Adam``."""

    def __init__(self, params: torch.Tensor, betas, eps):
        self.params = params
        self.m = torch.zeros_like(params)
        self.v = torch.zeros_like(params)
        self.beta1, self.beta2 = betas
        self.eps = eps
        self.t = 0

    def step(self, grad: torch.Tensor, lr: float):
        """One update of the parameters with gradient ``grad`` and learning rate ``lr``."""
        self.t += 1
        self.m.lerp_(grad, 1.0 - self.beta1)
        self.v.mul_(self.beta2).addcmul_(grad, grad, value=1.0 - self.beta2)
        bc1 = 1.0 - self.beta1 ** self.t
        bc2_sqrt = math.sqrt(1.0 - self.beta2 ** self.t)
        denom = (self.v.sqrt() / bc2_sqrt).add_(self.eps)
        self.params.addcdiv_(self.m, denom, value=-lr / bc1)



def train_batched(cfg: GANConfig, real, g_flat, d_flat, noise, trace=None):
    """Train a block with the batched PyTorch engine, in place; returns the flat sampling
    generator (the weight average when EMA is on) and discriminator.

    ``real`` is (R, n, 1) on the training scale, ``g_flat``, ``d_flat`` the networks' flat
    buffers (:meth:`~gansim.gan.mlp.MLPLayout.to_flat`), ``noise`` a
    :class:`~gansim.gan.noise.PhiloxNoise` or :class:`~gansim.gan.noise.NoiseStream` with
    ``d_steps + 1`` draws per step (and ``d_steps`` uniforms for WGAN-GP), ``trace`` an
    optional (steps, 2, R) tensor that receives D's and G's losses.
    """
    R, n = real.shape[0], real.shape[1]
    gp = cfg.loss == "wasserstein"
    trainer = _Trainer(cfg, generator_layout(cfg), discriminator_layout(cfg), g_flat, d_flat,
                       R, n)
    for t in range(cfg.steps):
        trainer.step(t, real, noise.at(t), noise.uniform_at(t) if gp else None,
                     None if trace is None else trace[t])
    sampler = trainer.ema if trainer.ema is not None else trainer.g_params
    return sampler, trainer.d_params


class _Trainer:
    """One training step: ``d_steps`` discriminator updates, then a generator update."""

    def __init__(self, cfg: GANConfig, g_layout, d_layout, g_params, d_params, R: int, n: int):
        self.cfg, self.n, self.R = cfg, n, R
        self.n_fake = cfg.fake_ratio * n
        self.slope = cfg.negative_slope
        self.loss = get_loss(cfg.loss)
        self.target = 1.0 - cfg.label_smoothing
        self.d_layout = d_layout
        self.g_params, self.d_params = g_params, d_params
        self.g_grad, self.d_grad = torch.empty_like(g_params), torch.empty_like(d_params)
        self.G, self.D = g_layout.views(g_params, R), d_layout.views(d_params, R)
        self.gG, self.gD = g_layout.views(self.g_grad, R), d_layout.views(self.d_grad, R)
        self.g_opt = Adam(g_params, cfg.betas, cfg.eps)
        self.d_opt = Adam(d_params, cfg.betas, cfg.eps)
        self.ema = None
        self.ema_first = cfg.ema_first_step

    def step(self, t: int, real, z, eps=None, trace=None):
        """Step ``t``: ``z`` holds the latent noise of the D updates, then of the G update;
        ``eps`` the interpolation weights of WGAN-GP's D updates; ``trace`` (2, R) receives
        the losses when given."""
        k = self.cfg.d_steps
        lr_d = self.cfg.lr_d_at(t)
        for j in range(k):
            if self.cfg.needs_input_gradients:
                self._d_step_autograd(real, z[j], None if eps is None else eps[j], lr_d,
                                      trace if j == k - 1 else None)
            else:
                self._d_step(real, z[j], lr_d, trace if j == k - 1 else None)
        self._g_step(z[k], self.cfg.lr_at(t), trace)
        if self.ema_first is not None and t >= self.ema_first:
            if self.ema is None:
                self.ema = self.g_params.clone()
            else:
                self.ema.lerp_(self.g_params, 1.0 - self.cfg.ema_decay)

    def _d_step(self, real, z_d, lr, trace):
        n, slope = self.n, self.slope
        # D's loss: the mean over n real points plus the mean over the fresh fakes, within a
        # replication, summed over replications.
        fake, _ = mlp_forward(self.G, z_d, slope, keep=False)
        out, cache = mlp_forward(self.D, torch.cat((real, fake), dim=1), slope)
        dout = self.loss.d_grad(out, n, self.target)
        if trace is not None:
            trace[0] = self.loss.d_value(out[:, :n], out[:, n:], self.target).squeeze(-1)
        mlp_backward(self.D, cache, dout, slope, self.gD, input_grad=False)
        self.d_opt.step(self.d_grad, lr)

    def _d_step_autograd(self, real, z_d, eps, lr, trace):
        """A D update whose loss penalises D's input gradient (WGAN-GP, R1).

        The penalty's gradient needs second derivatives, so this update differentiates the
        batched forward pass with autograd instead of the hand-written backward; the loss is
        still summed over replications, so each replication gets its own gradient.
        """
        n, slope, cfg = self.n, self.slope, self.cfg
        with torch.enable_grad():
            p = self.d_params.detach().requires_grad_(True)
            D = self.d_layout.views(p, self.R)
            with torch.no_grad():
                fake, _ = mlp_forward(self.G, z_d, slope, keep=False)
            out, _ = mlp_forward(D, torch.cat((real, fake), dim=1), slope, keep=False)
            plain = self.loss.d_value(out[:, :n], out[:, n:], self.target)
            total = plain.sum()
            if cfg.loss == "wasserstein":
                x_hat = (eps * real + (1.0 - eps) * fake[:, :n]).requires_grad_(True)
                o_hat, _ = mlp_forward(D, x_hat, slope, keep=False)
                # Summing over replications and points is safe: a point's output depends on
                # its own input only, so this is each point's own derivative.
                (grad_x,) = torch.autograd.grad(o_hat.sum(), x_hat, create_graph=True)
                excess = grad_x.abs() - 1.0
                if cfg.gp_one_sided:
                    excess = excess.clamp(min=0.0)
                total = total + cfg.gp_weight * (excess ** 2).mean(1).sum()
            if cfg.r1_weight > 0:
                x_real = real.detach().clone().requires_grad_(True)
                o_real, _ = mlp_forward(D, x_real, slope, keep=False)
                (grad_x,) = torch.autograd.grad(o_real.sum(), x_real, create_graph=True)
                total = total + 0.5 * cfg.r1_weight * (grad_x ** 2).mean(1).sum()
            (grad,) = torch.autograd.grad(total, p)
        self.d_grad.copy_(grad)
        if trace is not None:
            trace[0] = plain.detach().squeeze(-1)
        self.d_opt.step(self.d_grad, lr)

    def _g_step(self, z_g, lr, trace):
        slope = self.slope
        # Against the updated discriminator.
        fake, g_cache = mlp_forward(self.G, z_g, slope)
        out, d_cache = mlp_forward(self.D, fake, slope)
        dout = self.loss.g_grad(out, self.n_fake)
        if trace is not None:
            trace[1] = self.loss.g_value(out).mean(1).squeeze(-1)
        dfake = mlp_backward(self.D, d_cache, dout, slope)
        mlp_backward(self.G, g_cache, dfake, slope, self.gG, input_grad=False)
        self.g_opt.step(self.g_grad, lr)
