"""Training of many small 1-D GANs, one per replication: :func:`train_gans`.

:func:`train_gans` prepares what every engine shares -- the (standardised) data, each
replication's initial weights and latent noise from its own seeds -- and hands the training
to one of two engines (``GANConfig.engine``, chosen by :func:`resolve_engine`): the fused C
engine of :mod:`gansim.gan.fused` (CPU, the default there) or the batched PyTorch engine
below (any device and dtype, every game).

The batched PyTorch engine trains a block of replications as one computation.  Replication
``r`` of a block owns row ``r`` of every parameter buffer: the weights of all replications
are stacked along a leading axis and every layer is one batched matrix product.
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
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from gansim.gan.config import GANConfig
from gansim.gan.fused import fused_available, fused_supports, train_fused
from gansim.gan.losses import get_loss
from gansim.gan.noise import PhiloxNoise
from gansim.rng import torch_generator

__all__ = [
    "MLPLayout",
    "GANBlock",
    "train_gans",
    "mlp_forward",
    "mlp_backward",
    "initial_parameters",
    "NoiseStream",
    "latent_noise",
    "resolve_engine",
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
    """Random numbers for every training step, replication ``r`` drawn from its own generator.

    Each step gets ``draws`` sets of latent noise of shape (R, n, latent_dim) -- one per
    discriminator update, then the generator update's -- and ``uniforms`` sets of uniform
    numbers of shape (R, n_uniform, 1) (WGAN-GP's interpolation weights).  Numbers are drawn
    ``chunk`` steps at a time per replication, so replication ``r`` receives the same numbers
    whatever else is in its block.
    """

    def __init__(self, generators, *, steps: int, n: int, latent_dim: int, dtype, device,
                 chunk: int = 50, draws: int = 2, uniforms: int = 0, n_uniform: int = 0):
        self.generators = list(generators)
        self.steps, self.n, self.latent_dim = steps, n, latent_dim
        self.dtype, self.device = dtype, device
        self.chunk = max(1, min(chunk, steps))
        self.draws, self.uniforms, self.n_uniform = draws, uniforms, n_uniform
        R = len(self.generators)
        self._buf = torch.empty((self.chunk, draws, R, n, latent_dim), dtype=dtype,
                                device=device)
        self._ubuf = (torch.empty((self.chunk, uniforms, R, n_uniform, 1), dtype=dtype,
                                  device=device) if uniforms else None)
        self._start = None

    @property
    def buffer(self) -> torch.Tensor:
        """The current chunk's latent noise, shape (chunk, draws, R, n, latent_dim)."""
        return self._buf

    def at(self, step: int) -> tuple[torch.Tensor, ...]:
        """The ``draws`` latent noise tensors of ``step``, each (R, n, latent_dim): with the
        defaults ``(z_d, z_g)`` for the D and G updates."""
        k = step % self.chunk
        if k == 0 or self._start is None:
            self.fill(step)
        return tuple(self._buf[k, j] for j in range(self.draws))

    def uniform_at(self, step: int) -> tuple[torch.Tensor, ...]:
        """The ``uniforms`` tensors of U(0, 1) numbers of ``step``, each (R, n_uniform, 1)."""
        k = step % self.chunk
        if k == 0 or self._start is None:
            self.fill(step)
        return tuple(self._ubuf[k, j] for j in range(self.uniforms))

    def fill(self, step: int, reps: range | None = None):
        """Draw the chunk starting at ``step`` for replications ``reps`` (default: all);
        disjoint ranges may be filled by parallel threads."""
        self._start = step
        shape = (self.chunk, self.draws, self.n, self.latent_dim)
        ushape = (self.chunk, self.uniforms, self.n_uniform, 1)
        for r in reps if reps is not None else range(len(self.generators)):
            g = self.generators[r]
            self._buf[:, :, r].copy_(
                torch.randn(shape, generator=g, dtype=self.dtype, device=self.device))
            if self._ubuf is not None:
                # After the normals, so adding uniforms leaves the latent noise unchanged.
                self._ubuf[:, :, r].copy_(
                    torch.rand(ushape, generator=g, dtype=self.dtype, device=self.device))


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
    center, scale : Tensor, shape (R,), float64
        Affine map from the training scale back to the data's (0 and 1 unless
        ``config.standardize``).
    losses : Tensor, shape (steps, 2, R), or None
        With ``record_losses=True``: D's loss (its last update of the step, without
        penalties) and G's loss at every step, per replication.
    """

    config: GANConfig
    generator: torch.Tensor
    discriminator: torch.Tensor
    center: torch.Tensor
    scale: torch.Tensor
    losses: torch.Tensor | None = None

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
        # Back to the data's scale in float64 (center and scale are float64).
        return out.to(torch.float64) * self.scale.unsqueeze(1) + self.center.unsqueeze(1)

    def discriminate(self, x: torch.Tensor) -> torch.Tensor:
        """Discriminator logits of points ``x`` of shape (R, N) on the data's scale."""
        x = x.to(torch.float64)
        xs = ((x - self.center.unsqueeze(1)) / self.scale.unsqueeze(1)).unsqueeze(-1)
        xs = xs.to(self.discriminator.dtype)
        R = self.discriminator.shape[0]
        layers = self.d_layout.views(self.d_layout.to_flat(self.discriminator), R)
        logits, _ = mlp_forward(layers, xs,
                                self.config.negative_slope, keep=False)
        return logits.squeeze(-1)


def resolve_engine(config: GANConfig, device="cpu") -> str:
    """The engine that trains ``config`` on ``device``: ``"fused"`` or ``"torch"``.

    ``engine="auto"`` takes the fused C engine where it applies (CPU, float32, no
    input-gradient penalty) and compiles, else the PyTorch engine -- with a warning when only
    the missing compiler stands in the way, since the two differ in floating-point rounding.
    ``engine="fused"`` where it cannot run is an error that says why.

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


def latent_noise(config: GANConfig, seeds, *, n: int, dtype, device, **kw):
    """The latent noise source ``config.noise`` names for replications with noise ``seeds``:
    a :class:`~gansim.gan.noise.PhiloxNoise` or a :class:`NoiseStream` (``n`` fakes per draw;
    other keywords as theirs)."""
    common = dict(steps=config.steps, n=n, latent_dim=config.latent_dim, dtype=dtype,
                  device=device, **kw)
    if config.noise == "philox":
        return PhiloxNoise(seeds, **common)
    return NoiseStream([torch_generator(s, device) for s in seeds], **common)


def _g_layout(cfg: GANConfig) -> MLPLayout:
    return MLPLayout(cfg.g_sizes)


def _d_layout(cfg: GANConfig) -> MLPLayout:
    return MLPLayout(cfg.d_sizes)


def _dtype(cfg: GANConfig):
    return torch.float64 if cfg.dtype == "float64" else torch.float32


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
    cfg = config
    dtype = _dtype(cfg)
    # Standardised, and mapped back in sample(), in float64 whatever the training dtype:
    # cast to float32 first, data at N(1e7, 1) would keep about one significant digit.
    x = torch.as_tensor(np.asarray(data, dtype=np.float64), device=device)
    R, n = x.shape
    if cfg.standardize:
        center = x.mean(dim=1)
        scale = x.std(dim=1)
        x = (x - center.unsqueeze(1)) / scale.unsqueeze(1)
    else:
        center = torch.zeros(R, dtype=torch.float64, device=device)
        scale = torch.ones(R, dtype=torch.float64, device=device)
    x = x.to(dtype)
    real = x.unsqueeze(-1)

    g_layout, d_layout = _g_layout(cfg), _d_layout(cfg)
    if warm_start is not None:
        g_params, d_params = (w.to(dtype=dtype, device=device).expand(R, -1).contiguous()
                              for w in (warm_start.generator, warm_start.discriminator))
    else:
        # Each replication's init stream draws G's weights, then D's.
        init_gens = [torch_generator(s, device) for s in init_seeds]
        g_params = initial_parameters(g_layout, init_gens, dtype=dtype, device=device)
        d_params = initial_parameters(d_layout, init_gens, dtype=dtype, device=device)
    k = cfg.d_steps
    n_fake = cfg.fake_ratio * n
    gp = cfg.loss == "wasserstein"
    noise = latent_noise(cfg, noise_seeds, n=n_fake, dtype=dtype, device=device,
                         draws=k + 1, uniforms=k if gp else 0, n_uniform=n if gp else 0)
    trace = (torch.empty((cfg.steps, 2, R), dtype=dtype, device=device) if record_losses
             else None)
    if resolve_engine(cfg, device) == "fused":
        sampler = train_fused(x, cfg, g_params, d_params, noise, trace)
        return GANBlock(cfg, sampler, d_params, center, scale, trace)
    trainer = _Trainer(cfg, g_layout, d_layout, g_layout.to_flat(g_params),
                       d_layout.to_flat(d_params), R, n)
    for t in range(cfg.steps):
        trainer.step(t, real, noise.at(t), noise.uniform_at(t) if gp else None,
                     None if trace is None else trace[t])
    sampler = trainer.ema if trainer.ema is not None else trainer.g_params
    return GANBlock(cfg, g_layout.to_rows(sampler, R), d_layout.to_rows(trainer.d_params, R),
                    center, scale, trace)


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
        self.g_opt = _Adam(g_params, cfg.betas, cfg.eps)
        self.d_opt = _Adam(d_params, cfg.betas, cfg.eps)
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


def _train_gans_iv(data, config, init_seeds, noise_seeds, warm_start=None) -> np.ndarray:
    from gansim.functionals import _as_float_array

    if not isinstance(config, GANConfig):
        raise TypeError(f"`config` must be a GANConfig, got {type(config).__name__}.")
    if isinstance(data, torch.Tensor):
        data = data.detach().cpu().numpy()
    x = _as_float_array(data, "data", ndim=2, min_size=1)
    if x.shape[1] < 2:
        raise ValueError(f"`data` must have at least 2 points per row, got shape {x.shape}.")
    if config.standardize:
        constant = np.flatnonzero(np.all(x == x[:, :1], axis=1))
        if constant.size:
            raise ValueError(f"`data` rows {constant[:5].tolist()} are constant (sd 0): a GAN "
                             "on standardised data cannot be trained on them.")
    named = [("noise_seeds", noise_seeds)]
    if warm_start is None:
        named.insert(0, ("init_seeds", init_seeds))
    else:
        _warm_start_iv(warm_start, config, x.shape[0])
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
