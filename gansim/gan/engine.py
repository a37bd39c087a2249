"""Training of many small 1-D GANs, one per replication: :func:`train_gans`.

:func:`train_gans` prepares what every engine shares -- the (standardised) data, each
replication's initial weights and latent noise from its own seeds -- and hands the training
to one of three engines (``GANConfig.engine``, chosen by :func:`resolve_engine`): the fused
C engine of :mod:`gansim.gan.fused` (CPU, the default there), the batched PyTorch engine
below (any device and dtype, every game), or the same batched engine with its whole training
step compiled once by ``torch.compile`` (``engine="compiled"``: a CUDA graph on a GPU; see
:func:`_train_compiled`).

The batched PyTorch engine trains a block of replications as one computation.  Replication
``r`` of a block owns row ``r`` of every parameter buffer: the weights of all replications
are stacked along a leading axis and every layer is one batched matrix product.
The loss is *summed* over replications, never averaged, so each replication's gradient is
exactly the gradient of its own loss and no operation couples two replications (changing one
replication's data leaves the others bit-for-bit unchanged; tested).

Forward and backward passes are written by hand rather than left to autograd: autograd's
backward of batched products goes through matrix products with an inner or outer size of 1,
which are several times slower on CPU than the broadcasting used here.
``tests/test_engine.py`` checks the gradients against autograd and whole training runs
against ``torch.nn`` + ``torch.optim.Adam`` trained one replication at a time.

Each network's parameters live in one flat buffer (see :class:`MLPLayout`), so Adam is a
handful of elementwise operations on the whole block and a gradient never has strides
different from its parameter (a pitfall of fused optimisers noted in the prototype).
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch

from gansim.gan.config import GANConfig
from gansim.gan.fused import fused_available, fused_supports, train_fused
from gansim.gan.games import get_loss
from gansim.gan.noise import BYTES_PER_NORMAL, PhiloxNoise, normals_from_tensors
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
    "compiled_unavailable",
    "float32_matmuls",
    "replication_bytes",
    "largest_block",
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
        # they beat a batched GEMM on CPU (measured 1.5-5x when this was written).
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
                 *, input_grad: bool = True, new_grads: list | None = None):
    """Backward pass of :func:`mlp_forward`.

    Writes parameter gradients into ``grads`` (views from :meth:`MLPLayout.views` of a
    gradient buffer) when given, or else appends them as new ``(gW, gb)`` tensors to
    ``new_grads`` (last layer first) when given, and returns the gradient with respect to
    the input when ``input_grad`` (else None).
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
        elif new_grads is not None:
            gW = (torch.sum(x_in * dh, dim=1, keepdim=True).transpose(1, 2)
                  if dh.shape[-1] == 1 else torch.bmm(x_in.transpose(1, 2), dh))
            new_grads.append((gW, torch.sum(dh, dim=1)))
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


def compiled_supports(config: GANConfig) -> str | None:
    """Why the compiled engine cannot train ``config``, or None if it can.

    Examples
    --------
    >>> compiled_supports(GANConfig()) is None
    True
    >>> compiled_supports(GANConfig(noise="generator"))
    "the compiled step generates its latent noise from Philox counters: it needs noise='philox'"
    """
    if config.needs_input_gradients:
        return ("its discriminator loss penalises D's input gradient (loss 'wasserstein', "
                "r1_weight > 0), whose second derivatives the compiled step does not compute")
    if config.noise != "philox":
        return ("the compiled step generates its latent noise from Philox counters: it needs "
                "noise='philox'")
    return None


@functools.cache
def _compiled_unavailable(kind: str) -> str | None:
    try:
        import torch._dynamo

        if not torch._dynamo.is_dynamo_supported():
            return "torch.compile does not support this Python"
        if kind == "cuda":
            from torch.utils._triton import has_triton

            if not has_triton():
                return "torch.compile on a GPU needs Triton, which is not installed"
        else:
            from torch._inductor.cpp_builder import get_cpp_compiler

            get_cpp_compiler()
    except Exception as exc:  # noqa: BLE001 -- any failure to find a backend is the reason
        what = "a C++ compiler" if kind == "cpu" else "its backend"
        return f"torch.compile cannot find {what} here ({type(exc).__name__}: {exc})"
    return None


def compiled_unavailable(device="cpu") -> str | None:
    """Why ``torch.compile`` cannot compile the training step on ``device`` here (no C++
    compiler for inductor on the CPU, no Triton on a GPU, a Python dynamo does not support),
    or None when it can.  Asked once per kind of device."""
    return _compiled_unavailable(torch.device(device).type)


@contextmanager
def float32_matmuls(allow_tf32: bool, device):
    """Within the block, float32 matrix products on a CUDA ``device`` use TensorFloat-32
    exactly when ``allow_tf32``; the process's own setting is restored afterwards.  Nothing
    changes on the CPU.

    Sets ``torch.backends.cuda.matmul.fp32_precision`` (``"ieee"`` or ``"tf32"``), the
    setting inductor and cuBLAS read, or on torch < 2.9 its predecessor ``allow_tf32``.
    """
    if torch.device(device).type != "cuda":
        yield
        return
    flags = torch.backends.cuda.matmul
    try:
        old, name, new = flags.fp32_precision, "fp32_precision", (
            "tf32" if allow_tf32 else "ieee")
    except AttributeError:
        old, name, new = flags.allow_tf32, "allow_tf32", bool(allow_tf32)
    setattr(flags, name, new)
    try:
        yield
    finally:
        setattr(flags, name, old)


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
    Counted from the tensors the engines and :meth:`GANBlock.sample` allocate, not measured
    on a GPU (none lent yet).

    Examples
    --------
    >>> round(replication_bytes(GANConfig(), n=100, m=10_000) / 2**20, 1)   # MiB
    2.1
    """
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
    with float32_matmuls(config.allow_tf32, device):
        return _train_gans(data, config, init_seeds, noise_seeds, device, record_losses,
                           warm_start)


def _train_gans(data, config, init_seeds, noise_seeds, device, record_losses, warm_start):
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
                         draws=k + 1, uniforms=k if gp else 0, n_uniform=n if gp else 0)
    trace = (torch.empty((cfg.steps, 2, R), dtype=dtype, device=device) if record_losses
             else None)
    engine = resolve_engine(cfg, device)
    if engine == "fused":
        sampler = train_fused(x, cfg, g_params, d_params, noise, trace)
        return GANBlock(cfg, sampler, d_params, center, scale, trace)
    if engine == "compiled":
        sampler, d_flat = _train_compiled(cfg, real, g_layout.to_flat(g_params),
                                          d_layout.to_flat(d_params), noise.keys, trace)
        return GANBlock(cfg, g_layout.to_rows(sampler, R), d_layout.to_rows(d_flat, R),
                        center, scale, trace)
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


# --------------------------------------------------------------------------------------------
# The compiled engine: the PyTorch engine's training step, captured once.


class _StepSpec(NamedTuple):
    """What the compiled step is specialised to (torch.compile guards on these constants);
    one compilation per distinct spec and tensor shapes."""

    g_sizes: tuple
    d_sizes: tuple
    slope: float
    loss: str
    target: float
    d_steps: int
    R: int
    n: int
    n_fake: int
    beta1: float
    beta2: float
    eps: float
    ema: bool


def _schedule(cfg: GANConfig) -> torch.Tensor:
    """Every step's scalars, (steps, 2 d_steps + 3) float64: per D update Adam's step size
    ``-lr_d / (1 - beta1^c)`` and ``sqrt(1 - beta2^c)`` (c its update count), the same for
    the G update, then the weight average's weight (0 before it starts, 1 at its first step:
    a copy, then ``1 - ema_decay``).  The numbers :class:`_Adam` and :class:`_Trainer`
    compute in Python floats; here they are tensors, so the compiled step is the same
    function at every step."""
    k, (b1, b2) = cfg.d_steps, cfg.betas
    first = cfg.ema_first_step
    rows = []
    for t in range(cfg.steps):
        row = []
        lr_d = cfg.lr_d_at(t)
        for j in range(k):
            c = t * k + j + 1
            row += [-lr_d / (1.0 - b1 ** c), math.sqrt(1.0 - b2 ** c)]
        lr = cfg.lr_at(t)
        row += [-lr / (1.0 - b1 ** (t + 1)), math.sqrt(1.0 - b2 ** (t + 1))]
        if first is None or t < first:
            row.append(0.0)
        else:
            row.append(1.0 if t == first else 1.0 - cfg.ema_decay)
        rows.append(row)
    return torch.tensor(rows, dtype=torch.float64)


def _param_grads(layers, cache, dout, slope):
    """The weight and bias gradients of :func:`mlp_backward`, as new tensors (no ``out=``
    into a buffer: the compiled step is traced functionally), flattened in
    :class:`MLPLayout`'s order."""
    new = []
    mlp_backward(layers, cache, dout, slope, input_grad=False, new_grads=new)
    return torch.cat([t.reshape(-1) for gW, gb in reversed(new) for t in (gW, gb)])


def _adam_(p, m, v, grad, step, bc2, spec: _StepSpec):
    """:class:`_Adam`'s update with the step's scalars as 0-d tensors, in place."""
    m.lerp_(grad, 1.0 - spec.beta1)
    v.mul_(spec.beta2).addcmul_(grad, grad, value=1.0 - spec.beta2)
    p.add_(step * m / (v.sqrt() / bc2 + spec.eps))


def _compiled_step(spec: _StepSpec, t, sched, keys, real, g, d, gm, gv, dm, dv, ema, trace):
    """One training step of a block, all of it in place on its state tensors (what
    ``torch.compile`` captures): the step's latent noise from Philox counters (replication
    keys ``keys``, step ``t``), ``d_steps`` D updates, the G update, their Adam updates, the
    weight average; the losses into ``trace[t]``; then ``t += 1``.  The same arithmetic as
    :class:`_Trainer` with :class:`~gansim.gan.noise.PhiloxNoise`.  The losses are always
    recorded (a few reductions per step), so that one compilation serves
    ``record_losses`` either way."""
    loss = get_loss(spec.loss)
    k, R, n, slope = spec.d_steps, spec.R, spec.n, spec.slope
    g_layout, d_layout = MLPLayout(spec.g_sizes), MLPLayout(spec.d_sizes)
    latent = spec.g_sizes[0]
    s = sched.index_select(0, t.reshape(1)).squeeze(0)
    z = normals_from_tensors(keys, t.reshape(1), k + 1, spec.n_fake * latent)
    z = z.to(g.dtype).reshape(k + 1, R, spec.n_fake, latent)
    G = g_layout.views(g, R)
    for j in range(k):
        D = d_layout.views(d, R)
        fake, _ = mlp_forward(G, z[j], slope, keep=False)
        out, cache = mlp_forward(D, torch.cat((real, fake), dim=1), slope)
        if j == k - 1:
            d_value = loss.d_value(out[:, :n], out[:, n:], spec.target).squeeze(-1)
        grad = _param_grads(D, cache, loss.d_grad(out, n, spec.target), slope)
        _adam_(d, dm, dv, grad, s[2 * j], s[2 * j + 1], spec)
    D = d_layout.views(d, R)
    fake, g_cache = mlp_forward(G, z[k], slope)
    out, d_cache = mlp_forward(D, fake, slope)
    dfake = mlp_backward(D, d_cache, loss.g_grad(out, spec.n_fake), slope)
    grad = _param_grads(G, g_cache, dfake, slope)
    _adam_(g, gm, gv, grad, s[2 * k], s[2 * k + 1], spec)
    if spec.ema:
        ema.lerp_(g, s[2 * k + 2])
    g_value = loss.g_value(out).mean(1).squeeze(-1)
    trace.index_copy_(0, t.reshape(1), torch.stack((d_value, g_value)).unsqueeze(0))
    t.add_(1)


@functools.cache
def _compiled_step_fn(kind: str):
    """``torch.compile`` of :func:`_compiled_step` for a kind of device: on CUDA with
    ``mode="reduce-overhead"`` (inductor's kernels replayed as a CUDA graph), elsewhere in
    the default mode; static shapes (``dynamic=False``) and one graph (``fullgraph=True``:
    a graph break is an error, caught by the CPU tests, not a silent slowdown).

    On the CPU, where the fused engine is the fast one and this mode exists so that the GPU's
    code path runs (and is tested) here, inductor's C++ kernels are compiled without its
    explicit vectorisation: that cuts the first compilation from about 24 s to 14 s on a
    2-core machine (the kernels run slower; the numbers agree to float32 rounding)."""
    if kind == "cuda":
        return torch.compile(_compiled_step, mode="reduce-overhead", dynamic=False,
                             fullgraph=True)
    return torch.compile(_compiled_step, dynamic=False, fullgraph=True,
                         options={"cpp.vec_isa_ok": False})


#: The state tensors of the last compiled training (see :func:`_train_compiled`).
_STATE: dict = {}


def _static_state(spec: _StepSpec, steps: int, dtype, device, g_size: int, d_size: int):
    """The compiled step's state tensors for ``spec``, reused from the previous call with the
    same spec, steps, dtype and device (one set kept), so that their addresses stay fixed.

    On CUDA the step is replayed as a CUDA graph, which reads and writes fixed addresses:
    tensors marked with ``torch._dynamo.mark_static_address`` are taken by torch.compile's
    CUDA graph trees as static inputs, which the graph may mutate in place (a mutated
    non-static input makes it skip CUDA graphs; "CUDAGraph Trees" in torch's docs) and which
    are not copied in before each replay.  Reusing them across blocks spares a new recording
    per block (torch falls back from CUDA graphs after
    ``torch._inductor.config.triton.cudagraph_unexpected_rerecord_limit`` re-recordings)."""
    key = (spec, steps, dtype, str(device))
    state = _STATE.get(key)
    if state is None:
        _STATE.clear()
        R = spec.R

        def make(*shape, dt=dtype):
            t = torch.zeros(shape, dtype=dt, device=device)
            torch._dynamo.mark_static_address(t)
            return t

        state = dict(
            t=make(dt=torch.int64), sched=make(steps, 2 * spec.d_steps + 3),
            keys=make(R, 2, dt=torch.int64), real=make(R, spec.n, 1),
            g=make(R * g_size), d=make(R * d_size), gm=make(R * g_size), gv=make(R * g_size),
            dm=make(R * d_size), dv=make(R * d_size),
            ema=make(R * g_size if spec.ema else 1),
            trace=make(steps, 2, R))
        _STATE[key] = state
    return state


def _train_compiled(cfg: GANConfig, real, g_flat, d_flat, keys, trace):
    """Train with the compiled step; returns the flat sampling generator and discriminator.

    Shapes are static (the block's R, n, steps), the step's learning rates, Adam's bias
    corrections and the EMA weight are rows of a schedule tensor indexed by the step counter
    ``t``, a 0-d tensor the step increments itself, and the latent noise is computed inside
    the step from the replications' Philox keys: so the one compiled function serves every
    step with nothing copied in from the host.  Replication ``r``'s arithmetic involves its
    own rows only, as in :class:`_Trainer`.

    Not verified on a GPU yet (none has been lent to this project): that CUDA graph trees
    accept the in-place updates of the static state without skipping (the CPU tests check
    the numbers, and ``tests/test_engine_compiled.py`` checks the skip counter where CUDA
    is), and the speed (benchmarks/bench_gpu.py).
    """
    R, n = real.shape[0], real.shape[1]
    device, dtype = real.device, real.dtype
    spec = _StepSpec(cfg.g_sizes, cfg.d_sizes, float(cfg.negative_slope), cfg.loss,
                     1.0 - cfg.label_smoothing, cfg.d_steps, R, n, cfg.fake_ratio * n,
                     cfg.betas[0], cfg.betas[1], float(cfg.eps), cfg.ema_decay is not None)
    g_size, d_size = g_flat.numel() // R, d_flat.numel() // R
    st = _static_state(spec, cfg.steps, dtype, device, g_size, d_size)
    st["t"].zero_()
    st["sched"].copy_(_schedule(cfg))
    st["keys"].copy_(torch.as_tensor(np.asarray(keys, dtype=np.int64)))
    st["real"].copy_(real)
    st["g"].copy_(g_flat)
    st["d"].copy_(d_flat)
    for name in ("gm", "gv", "dm", "dv", "ema"):
        st[name].zero_()
    step = _compiled_step_fn(device.type)
    args = [st[k] for k in ("t", "sched", "keys", "real", "g", "d", "gm", "gv", "dm", "dv",
                            "ema", "trace")]
    cuda = device.type == "cuda"
    for _ in range(cfg.steps):
        if cuda:
            torch.compiler.cudagraph_mark_step_begin()
        step(spec, *args)
    if trace is not None:
        trace.copy_(st["trace"])
    return (st["ema"] if spec.ema else st["g"]).clone(), st["d"].clone()


def _train_gans_iv(data, config, init_seeds, noise_seeds, warm_start=None) -> np.ndarray:
    from gansim._validation import as_float_array as _as_float_array, check_scale

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
    for i, row in enumerate(x):
        # Data whose sd overflows or underflows float64 would train to non-finite draws.
        check_scale(row, f"`data` row {i}")
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
