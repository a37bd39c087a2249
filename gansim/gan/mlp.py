"""The networks of the batched engines: MLP parameter layouts, forward and backward passes,
and the precision of their float32 matrix products on a GPU (:func:`float32_matmuls`).

A block of replications trains as one computation.  Replication ``r`` of a block owns row
``r`` of every parameter buffer: the weights of all replications are stacked along a leading
axis and every layer is one batched matrix product.

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

import math
from collections.abc import Sequence
from contextlib import contextmanager

import torch

from gansim.gan.config import GANConfig

__all__ = [
    "MLPLayout",
    "discriminator_layout",
    "float32_matmuls",
    "generator_layout",
    "initial_parameters",
    "mlp_backward",
    "mlp_forward",
    "torch_dtype",
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



def generator_layout(config: GANConfig) -> MLPLayout:
    """The layout of ``config``'s generator (latent input, hidden layers, one output).

    Examples
    --------
    >>> generator_layout(GANConfig()).sizes[-1]
    1
    """
    return MLPLayout(config.g_sizes)


def discriminator_layout(config: GANConfig) -> MLPLayout:
    """The layout of ``config``'s discriminator (one input, hidden layers, one logit)."""
    return MLPLayout(config.d_sizes)


def torch_dtype(config: GANConfig) -> torch.dtype:
    """The torch dtype the GANs of ``config`` train in.

    Examples
    --------
    >>> torch_dtype(GANConfig())
    torch.float32
    """
    return torch.float64 if config.dtype == "float64" else torch.float32


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
