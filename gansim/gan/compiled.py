"""The compiled engine (``GANConfig(engine="compiled")``): the batched PyTorch engine's
training step, captured once by ``torch.compile`` (a CUDA graph on a GPU):
:func:`train_compiled`.

:func:`compiled_supports` and :func:`compiled_unavailable` say whether it can train a config
here (the game, the noise, a ``torch.compile`` backend);
:func:`gansim.gan.resolve.resolve_engine` asks them.
"""

from __future__ import annotations

import functools
import math
from typing import NamedTuple

import numpy as np
import torch

from gansim.gan.config import GANConfig
from gansim.gan.games import get_loss
from gansim.gan.latent import latent_spec
from gansim.gan.mlp import MLPLayout, mlp_backward, mlp_forward
from gansim.gan.noise import latents_from_tensors, normals_from_tensors

__all__ = ["compiled_step_fn", "compiled_supports", "compiled_unavailable", "last_state",
           "train_compiled"]


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
    #: The latent beyond the normal (a gansim.gan.latent.LatentSpec), or None.
    latent: tuple | None = None


def _schedule(cfg: GANConfig) -> torch.Tensor:
    """Every step's scalars, (steps, 2 d_steps + 3) float64: per D update Adam's step size
    ``-lr_d / (1 - beta1^c)`` and ``sqrt(1 - beta2^c)`` (c its update count), the same for
    the G update, then the weight average's weight (0 before it starts, 1 at its first step:
    a copy, then ``1 - ema_decay``).  The numbers the batched engine (its
    :class:`~gansim.gan.batched.Adam`) computes in Python floats; here they are tensors, so
    the compiled step is the same function at every step."""
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
    """:class:`~gansim.gan.batched.Adam`'s update with the step's scalars as 0-d tensors,
    in place."""
    m.lerp_(grad, 1.0 - spec.beta1)
    v.mul_(spec.beta2).addcmul_(grad, grad, value=1.0 - spec.beta2)
    p.add_(step * m / (v.sqrt() / bc2 + spec.eps))


def _compiled_step(spec: _StepSpec, t, sched, keys, real, g, d, gm, gv, dm, dv, ema, trace,
                   tails=None):
    """One training step of a block, all of it in place on its state tensors (what
    ``torch.compile`` captures): the step's latent noise from Philox counters (replication
    keys ``keys``, step ``t``), ``d_steps`` D updates, the G update, their Adam updates, the
    weight average; the losses into ``trace[t]``; then ``t += 1``.  The same arithmetic as
    the batched engine (:mod:`gansim.gan.batched`) with
    :class:`~gansim.gan.noise.PhiloxNoise`.  The losses are always recorded (a few
    reductions per step), so that one compilation serves ``record_losses`` either way.
    With a latent beyond the normal (``spec.latent``) the noise is
    :func:`~gansim.gan.noise.latents_from_tensors`'s, with the tail indices ``tails`` (R,)."""
    loss = get_loss(spec.loss)
    k, R, n, slope = spec.d_steps, spec.R, spec.n, spec.slope
    g_layout, d_layout = MLPLayout(spec.g_sizes), MLPLayout(spec.d_sizes)
    latent = spec.g_sizes[0]
    s = sched.index_select(0, t.reshape(1)).squeeze(0)
    if spec.latent is None:
        z = normals_from_tensors(keys, t.reshape(1), k + 1, spec.n_fake * latent)
    else:
        z = latents_from_tensors(keys, t.reshape(1), k + 1, spec.n_fake, latent, spec.latent,
                                 tails)
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
def compiled_step_fn(kind: str):
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


#: The state tensors of the last compiled training (see :func:`train_compiled`).
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
            trace=make(steps, 2, R), tails=make(R, dt=torch.float64))
        _STATE[key] = state
    return state


def train_compiled(cfg: GANConfig, real, g_flat, d_flat, keys, trace, tails=None):
    """Train with the compiled step; returns the flat sampling generator and discriminator.

    Shapes are static (the block's R, n, steps), the step's learning rates, Adam's bias
    corrections and the EMA weight are rows of a schedule tensor indexed by the step counter
    ``t``, a 0-d tensor the step increments itself, and the latent noise is computed inside
    the step from the replications' Philox keys: so the one compiled function serves every
    step with nothing copied in from the host.  Replication ``r``'s arithmetic involves its
    own rows only, as in the batched engine.

    Not verified on a GPU yet (none has been lent to this project): that CUDA graph trees
    accept the in-place updates of the static state without skipping (the CPU tests check
    the numbers, and ``tests/test_engine_compiled.py`` checks the skip counter where CUDA
    is), and the speed (benchmarks/bench_gpu.py).
    """
    R, n = real.shape[0], real.shape[1]
    device, dtype = real.device, real.dtype
    spec = _StepSpec(cfg.g_sizes, cfg.d_sizes, float(cfg.negative_slope), cfg.loss,
                     1.0 - cfg.label_smoothing, cfg.d_steps, R, n, cfg.fake_ratio * n,
                     cfg.betas[0], cfg.betas[1], float(cfg.eps), cfg.ema_decay is not None,
                     None if cfg.normal_latent else latent_spec(cfg))
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
    st["tails"].fill_(1.0)
    if tails is not None:
        st["tails"].copy_(torch.as_tensor(np.asarray(tails, dtype=np.float64)))
    step = compiled_step_fn(device.type)
    args = [st[k] for k in ("t", "sched", "keys", "real", "g", "d", "gm", "gv", "dm", "dv",
                            "ema", "trace")]
    cuda = device.type == "cuda"
    # The tail indices only where the latent uses them: the normal latent's step keeps the
    # signature (and compiled graph) it had.
    extra = () if spec.latent is None else (st["tails"],)
    for _ in range(cfg.steps):
        if cuda:
            torch.compiler.cudagraph_mark_step_begin()
        step(spec, *args, *extra)
    if trace is not None:
        trace.copy_(st["trace"])
    return (st["ema"] if spec.ema else st["g"]).clone(), st["d"].clone()



def last_state() -> tuple[_StepSpec, dict]:
    """The spec and the state tensors of the last compiled training, so that a benchmark can
    replay its step (:func:`compiled_step_fn`) alone."""
    (spec, *_), state = next(iter(_STATE.items()))
    return spec, state
