"""Batched training of many small 1-D GANs, one per replication, as one computation.

Replication ``r`` of a block owns row ``r`` of every parameter buffer: the weights of all
replications are stacked along a leading axis and every layer is one batched matrix product.
The loss is *summed* over replications, never averaged, so each replication's gradient is
exactly the gradient of its own loss and no operation couples two replications (changing one
replication's data leaves the others bit-for-bit unchanged; tested).

Forward and backward passes are written by hand rather than left to autograd: autograd's
backward of batched products goes through matrix products with an inner or outer size of 1,
which are several times slower on CPU than the broadcasting used here (PROTOTYPE_NOTES.md;
benchmarks/).  ``tests/test_engine.py`` checks the gradients against autograd and whole
training runs against ``torch.nn`` + ``torch.optim.Adam`` trained one replication at a time.

Each network's parameters live in one flat buffer (see :class:`MLPLayout`), so Adam is a
handful of elementwise operations on the whole block and a gradient never has strides
different from its parameter (a pitfall of fused optimisers noted in the prototype).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from gansim.gan.config import GANConfig
from gansim.rng import torch_generator

__all__ = [
    "MLPLayout",
    "GANBlock",
    "train_gans",
    "mlp_forward",
    "mlp_backward",
    "initial_parameters",
    "NoiseStream",
]

_leaky_relu_backward = torch.ops.aten.leaky_relu_backward


class MLPLayout:
    """Where each weight and bias of an MLP sits, per replication and in a block's buffer.

    Layer ``l`` maps ``sizes[l]`` inputs to ``sizes[l + 1]`` outputs as ``x @ W + b`` with
    ``W`` of shape ``(in, out)``.  Two layouts of the same numbers:

    - *rows*, shape ``(R, P)``: replication ``r``'s parameters in row ``r`` (``slices`` gives
      each weight's and bias's columns); the form users and tests see;
    - *flat*, shape ``(R * P,)``: parameter-major, each ``(R, in, out)`` weight and ``(R, out)``
      bias one contiguous chunk, so batched products get contiguous operands and the
      optimiser updates the whole network with a few elementwise operations.
    """

    def __init__(self, sizes: Sequence[int]):
        self.sizes = tuple(int(s) for s in sizes)
        self.shapes: list[tuple[int, ...]] = []
        self.slices: list[tuple[slice, slice]] = []
        offset = 0
        for fan_in, fan_out in zip(self.sizes[:-1], self.sizes[1:], strict=True):
            w = slice(offset, offset + fan_in * fan_out)
            offset = w.stop
            b = slice(offset, offset + fan_out)
            offset = b.stop
            self.slices.append((w, b))
            self.shapes += [(fan_in, fan_out), (fan_out,)]
        self.size = offset

    def views(self, flat: torch.Tensor, R: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Per-layer ``(W, b)`` views of a flat buffer, shapes ``(R, in, out)`` and ``(R, out)``."""
        tensors, offset = [], 0
        for shape in self.shapes:
            numel = R * math.prod(shape)
            tensors.append(flat[offset:offset + numel].view(R, *shape))
            offset += numel
        return list(zip(tensors[::2], tensors[1::2], strict=True))

    def to_flat(self, rows: torch.Tensor) -> torch.Tensor:
        """Rows ``(R, P)`` to a new flat buffer ``(R * P,)``."""
        parts = [rows[:, sl].reshape(-1) for pair in self.slices for sl in pair]
        return torch.cat(parts)

    def to_rows(self, flat: torch.Tensor, R: int) -> torch.Tensor:
        """A flat buffer to new rows ``(R, P)``."""
        return torch.cat([t.reshape(R, -1) for pair in self.views(flat, R) for t in pair],
                         dim=1)

    def init_bounds(self) -> torch.Tensor:
        """Half-width of the uniform initialisation of each parameter: ``1/sqrt(fan_in)``.

        This is ``torch.nn.Linear``'s default for weights and biases.
        """
        bounds = torch.empty(self.size, dtype=torch.float64)
        for (w, b), fan_in in zip(self.slices, self.sizes[:-1], strict=True):
            bounds[w] = bounds[b] = 1.0 / math.sqrt(fan_in)
        return bounds


def mlp_forward(layers, x: torch.Tensor, slope: float, *, keep: bool = True):
    """Batched MLP with LeakyReLU hidden layers and a linear output.

    Parameters
    ----------
    layers : list of (W, b)
        From :meth:`MLPLayout.views`.
    x : Tensor, shape (R, N, in)
    slope : float
        LeakyReLU's negative slope.
    keep : bool
        Keep what the backward pass needs.

    Returns
    -------
    out : Tensor, shape (R, N, out)
    cache : list of (input, output) per layer (outputs after the activation), or None
    """
    cache = [] if keep else None
    last = len(layers) - 1
    h = x
    for i, (W, b) in enumerate(layers):
        # Products with an inner or outer size of 1 are broadcasts and reductions: on CPU
        # they beat a batched GEMM by 1.5-5x (benchmarks/ops.py).
        if x.shape[-1] == 1:
            h = torch.addcmul(b.unsqueeze(1), x, W)
        elif W.shape[-1] == 1:
            h = (x * W.transpose(1, 2)).sum(-1, keepdim=True).add_(b.unsqueeze(1))
        else:
            h = torch.baddbmm(b.unsqueeze(1), x, W)
        if i < last:
            # In place: the backward pass needs only the activation, whose sign is the
            # pre-activation's for slope > 0 (and where slope = 0 both give a zero gradient).
            h = torch.nn.functional.leaky_relu_(h, slope)
        if keep:
            cache.append((x, h))
        x = h
    return h, cache


def mlp_backward(layers, cache, dout: torch.Tensor, slope: float, grads=None,
                 *, input_grad: bool = True):
    """Backward pass of :func:`mlp_forward`.

    Writes parameter gradients into ``grads`` (views from :meth:`MLPLayout.views` of a
    gradient buffer) when given, and returns the gradient with respect to the input when
    ``input_grad`` (else None).
    """
    d = dout
    last = len(layers) - 1
    for i in range(last, -1, -1):
        W, _ = layers[i]
        x_in, a = cache[i]
        dh = d if i == last else _leaky_relu_backward(d, a, slope, True)
        if grads is not None:
            gW, gb = grads[i]
            if dh.shape[-1] == 1:
                torch.sum(x_in * dh, dim=1, keepdim=True, out=gW.transpose(1, 2))
            else:
                torch.bmm(x_in.transpose(1, 2), dh, out=gW)
            torch.sum(dh, dim=1, out=gb)
        if i > 0 or input_grad:
            if dh.shape[-1] == 1:
                d = dh * W.transpose(1, 2)
            else:
                d = torch.bmm(dh, W.transpose(1, 2))
    return d if input_grad else None


def initial_parameters(layout: MLPLayout, generators, *, dtype, device) -> torch.Tensor:
    """Initial ``(R, P)`` parameters, row ``r`` drawn from ``generators[r]`` alone."""
    bounds = layout.init_bounds().to(dtype=dtype, device=device)
    rows = [torch.rand(layout.size, generator=g, dtype=dtype, device=device) for g in generators]
    u = torch.stack(rows)
    return (2.0 * u - 1.0) * bounds


class NoiseStream:
    """Latent noise for every training step, replication ``r`` drawn from its own generator.

    Noise is drawn ``chunk`` steps at a time per replication, so replication ``r`` receives
    the same numbers whatever else is in its block.
    """

    def __init__(self, generators, *, steps: int, n: int, latent_dim: int, dtype, device,
                 chunk: int = 50):
        self.generators = list(generators)
        self.steps, self.n, self.latent_dim = steps, n, latent_dim
        self.dtype, self.device = dtype, device
        self.chunk = max(1, min(chunk, steps))
        R = len(self.generators)
        self._buf = torch.empty((self.chunk, 2, R, n, latent_dim), dtype=dtype, device=device)
        self._start = None

    def at(self, step: int) -> tuple[torch.Tensor, torch.Tensor]:
        """``(z_d, z_g)`` of shape (R, n, latent_dim) for the D and G updates of ``step``."""
        k = step % self.chunk
        if k == 0 or self._start is None:
            self._fill(step)
        return self._buf[k, 0], self._buf[k, 1]

    def _fill(self, step: int):
        self._start = step
        shape = (self.chunk, 2, self.n, self.latent_dim)
        for r, g in enumerate(self.generators):
            self._buf[:, :, r].copy_(
                torch.randn(shape, generator=g, dtype=self.dtype, device=self.device))


class _Adam:
    """Adam on a flat buffer, the same arithmetic as ``torch.optim.Adam``."""

    def __init__(self, params: torch.Tensor, betas, eps):
        self.params = params
        self.m = torch.zeros_like(params)
        self.v = torch.zeros_like(params)
        self.beta1, self.beta2 = betas
        self.eps = eps
        self.t = 0

    def step(self, grad: torch.Tensor, lr: float):
        self.t += 1
        self.m.lerp_(grad, 1.0 - self.beta1)
        self.v.mul_(self.beta2).addcmul_(grad, grad, value=1.0 - self.beta2)
        bc1 = 1.0 - self.beta1 ** self.t
        bc2_sqrt = math.sqrt(1.0 - self.beta2 ** self.t)
        denom = (self.v.sqrt() / bc2_sqrt).add_(self.eps)
        self.params.addcdiv_(self.m, denom, value=-lr / bc1)


@dataclass
class GANBlock:
    """The trained GANs of one block of replications.

    Attributes
    ----------
    config : GANConfig
    generator : Tensor, shape (R, P_G)
        Generator parameters used for sampling (the averaged ones when EMA is on).
    discriminator : Tensor, shape (R, P_D)
    center, scale : Tensor, shape (R,)
        Affine map from the training scale back to the data's (0 and 1 unless
        ``config.standardize``).
    """

    config: GANConfig
    generator: torch.Tensor
    discriminator: torch.Tensor
    center: torch.Tensor
    scale: torch.Tensor

    @property
    def g_layout(self) -> MLPLayout:
        return _g_layout(self.config)

    @property
    def d_layout(self) -> MLPLayout:
        return _d_layout(self.config)

    def sample(self, m: int, generators, *, chunk: int = 4096) -> torch.Tensor:
        """``m`` draws from each replication's generator, row ``r`` from ``generators[r]``."""
        cfg = self.config
        R = self.generator.shape[0]
        dtype, device = self.generator.dtype, self.generator.device
        z = torch.stack([torch.randn((m, cfg.latent_dim), generator=g, dtype=dtype,
                                     device=device) for g in generators])
        layers = self.g_layout.views(self.g_layout.to_flat(self.generator), R)
        out = torch.empty((R, m), dtype=dtype, device=device)
        # Chunks bound the activations' memory at large m.
        for s in range(0, m, chunk):
            x, _ = mlp_forward(layers, z[:, s:s + chunk], cfg.negative_slope, keep=False)
            out[:, s:s + chunk] = x.squeeze(-1)
        return out * self.scale.unsqueeze(1) + self.center.unsqueeze(1)

    def discriminate(self, x: torch.Tensor) -> torch.Tensor:
        """Discriminator logits of points ``x`` of shape (R, N) on the data's scale."""
        xs = ((x - self.center.unsqueeze(1)) / self.scale.unsqueeze(1)).unsqueeze(-1)
        R = self.discriminator.shape[0]
        layers = self.d_layout.views(self.d_layout.to_flat(self.discriminator), R)
        logits, _ = mlp_forward(layers, xs,
                                self.config.negative_slope, keep=False)
        return logits.squeeze(-1)


def _g_layout(cfg: GANConfig) -> MLPLayout:
    return MLPLayout((cfg.latent_dim, *cfg.g_hidden, 1))


def _d_layout(cfg: GANConfig) -> MLPLayout:
    return MLPLayout((1, *cfg.d_hidden, 1))


def _dtype(cfg: GANConfig):
    return torch.float64 if cfg.dtype == "float64" else torch.float32


def train_gans(data, config: GANConfig, *, init_seeds, noise_seeds, device="cpu") -> GANBlock:
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
    cfg = config
    dtype = _dtype(cfg)
    x = torch.as_tensor(np.asarray(data), dtype=dtype, device=device)
    R, n = x.shape
    if cfg.standardize:
        center = x.mean(dim=1)
        scale = x.std(dim=1)
        x = (x - center.unsqueeze(1)) / scale.unsqueeze(1)
    else:
        center = torch.zeros(R, dtype=dtype, device=device)
        scale = torch.ones(R, dtype=dtype, device=device)
    real = x.unsqueeze(-1)

    g_layout, d_layout = _g_layout(cfg), _d_layout(cfg)
    # Each replication's init stream draws G's weights, then D's.
    init_gens = [torch_generator(s, device) for s in init_seeds]
    g_params = initial_parameters(g_layout, init_gens, dtype=dtype, device=device)
    d_params = initial_parameters(d_layout, init_gens, dtype=dtype, device=device)
    noise = NoiseStream([torch_generator(s, device) for s in noise_seeds], steps=cfg.steps,
                        n=n, latent_dim=cfg.latent_dim, dtype=dtype, device=device)
    trainer = _Trainer(cfg, g_layout, d_layout, g_layout.to_flat(g_params),
                       d_layout.to_flat(d_params), R, n)
    for t in range(cfg.steps):
        z_d, z_g = noise.at(t)
        trainer.step(t, real, z_d, z_g)
    sampler = trainer.ema if trainer.ema is not None else trainer.g_params
    return GANBlock(cfg, g_layout.to_rows(sampler, R), d_layout.to_rows(trainer.d_params, R),
                    center, scale)


class _Trainer:
    """One training step: a discriminator update, then a generator update."""

    def __init__(self, cfg: GANConfig, g_layout, d_layout, g_params, d_params, R: int, n: int):
        self.cfg, self.n = cfg, n
        self.slope = cfg.negative_slope
        self.g_params, self.d_params = g_params, d_params
        self.g_grad, self.d_grad = torch.empty_like(g_params), torch.empty_like(d_params)
        self.G, self.D = g_layout.views(g_params, R), d_layout.views(d_params, R)
        self.gG, self.gD = g_layout.views(self.g_grad, R), d_layout.views(self.d_grad, R)
        self.g_opt = _Adam(g_params, cfg.betas, cfg.eps)
        self.d_opt = _Adam(d_params, cfg.betas, cfg.eps)
        self.ema = None
        self.ema_first = cfg.ema_first_step
        self.minimax = cfg.loss == "minimax"

    def step(self, t: int, real, z_d, z_g):
        lr, n, slope = self.cfg.lr_at(t), self.n, self.slope
        # Discriminator: binary cross-entropy of n real points (label 1) against n fresh fakes
        # (label 0), averaged within a replication and summed over replications.
        fake, _ = mlp_forward(self.G, z_d, slope, keep=False)
        logits, cache = mlp_forward(self.D, torch.cat((real, fake), dim=1), slope)
        # d/dl softplus(-l) = sigmoid(l) - 1 for the real points, d/dl softplus(l) = sigmoid(l).
        dlogits = torch.sigmoid(logits)
        dlogits[:, :n] -= 1.0
        dlogits.mul_(1.0 / n)
        mlp_backward(self.D, cache, dlogits, slope, self.gD, input_grad=False)
        self.d_opt.step(self.d_grad, lr)

        # Generator, against the updated discriminator.
        fake, g_cache = mlp_forward(self.G, z_g, slope)
        logits, d_cache = mlp_forward(self.D, fake, slope)
        s = torch.sigmoid(logits)
        if self.minimax:
            # d/dl log(1 - sigmoid(l)) = -sigmoid(l): vanishes when D rejects the fakes.
            dlogits = s.mul_(-1.0 / n)
        else:
            # d/dl softplus(-l) = sigmoid(l) - 1.
            dlogits = s.sub_(1.0).mul_(1.0 / n)
        dfake = mlp_backward(self.D, d_cache, dlogits, slope)
        mlp_backward(self.G, g_cache, dfake, slope, self.gG, input_grad=False)
        self.g_opt.step(self.g_grad, lr)

        if self.ema_first is not None and t >= self.ema_first:
            if self.ema is None:
                self.ema = self.g_params.clone()
            else:
                self.ema.lerp_(self.g_params, 1.0 - self.cfg.ema_decay)
