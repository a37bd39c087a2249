"""The strongest standard peers of gansim's engines: R small GANs trained with standard tools.

What a practitioner would write today to train R independent small GANs at once, without
gansim: the per-replication losses as plain functions of parameter tensors, vectorised over
replications with ``vmap``, differentiated with ``grad``, and one whole training step
compiled.  Two peers, the same training as gansim's default ``GANConfig()``
(:class:`gansim.gan.engine._Trainer`):

- :func:`torch_compile_peer`: ``torch.func.vmap`` + ``torch.func.grad``; the whole step -- D's
  gradient and Adam update, G's gradient (against the updated D) and Adam update, the EMA of
  G's weights -- is one function compiled by ``torch.compile`` (inductor, default mode,
  static shapes), handed the step's latent noise drawn just before by eager ``torch.randn``
  (timed with the step).  Drawn inside the compiled function, inductor's CPU random numbers
  made the whole step 2.4x slower (45 against 19 µs per replication-step on one core, R =
  100, 300 steps, 2026-11-26), so the faster form is the peer.
- :func:`jax_peer`: the same in JAX: ``jax.vmap`` + ``jax.grad``, the step (noise from
  ``jax.random.normal`` on a threefry key carried in the state, also inside) under
  ``jax.jit`` with the state's buffers donated; Adam written by hand (no optax).  JAX is not
  a dependency of gansim: ``pip install "jax[cpu]"``.

The training, as gansim's: G is an MLP ``latent_dim -> 16 -> 16 -> 1``, D ``1 -> 16 -> 16 -> 1``,
LeakyReLU(0.2) hidden layers and linear outputs, initial weights and biases uniform on
``±1/sqrt(fan_in)`` (``torch.nn.Linear``'s default); the non-saturating game (D: binary
cross-entropy with logits, mean over the n real points plus mean over n fresh fakes; G: mean
of ``-log σ(D(G(z)))`` over n fresh fakes); one D update then one G update per step; Adam with
the config's betas and eps (gansim's arithmetic: bias corrections folded into the step size
and the denominator) and learning rate ``GANConfig.lr_at(t)``; the average of G's weights
(decay ``ema_decay``, started at step ``ema_first_step``) is the generator that samples; every
row standardised by its mean and sd (ddof 1) in float64, then float32.  Initial weights and
noise come from the peers' own generators, not gansim's per-replication streams: the peers
compute the same training, not the same numbers.

Each peer returns a :class:`PeerResult`: the trained generators, the standardisation, and
the timings -- ``compile_s``, the first call of the step (tracing, compilation, one step) on
a throw-away copy of the state, and ``train_s``, the ``steps`` steps after it (noise
included).  Threads are the caller's: one worker process with one thread
(:func:`torch_one_thread`; :func:`jax_one_thread` before JAX's first import) is
bench_engine.py's layout.  Compiled steps are cached per process and shape, so a second call
on data of the same shape does not compile again; :func:`torch_cold_compile` keeps
torch.compile's on-disk caches out of the first (JAX's persistent cache is off unless
configured).
"""

from __future__ import annotations

import dataclasses
import functools
import os
import sys
import time

import numpy as np

from gansim.gan.config import GANConfig

__all__ = ["PeerResult", "torch_compile_peer", "jax_peer", "torch_one_thread",
           "torch_cold_compile", "jax_one_thread", "jax_missing", "fit_summary", "PEERS"]

#: XLA's flags for one compute thread, set before JAX's first import.
XLA_ONE_THREAD = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"


@dataclasses.dataclass
class PeerResult:
    """R trained generators and the peer's timings.

    Attributes
    ----------
    name : str
    generator : list of ndarray
        ``[W1, b1, W2, b2, ...]``, float32, ``W`` of shape (R, in, out) and ``b`` (R, out):
        the sampling generator (the weight average when EMA is on).
    center, scale : ndarray, shape (R,)
        The standardisation of each row (0 and 1 without ``standardize``).
    compile_s : float
        Wall time of the step's first call (tracing, compilation and one step), not part of
        the training.
    train_s, cpu_s : float
        Wall and process CPU time of the ``steps`` training steps, noise included.
    """

    name: str
    generator: list
    center: np.ndarray
    scale: np.ndarray
    compile_s: float
    train_s: float
    cpu_s: float
    slope: float = 0.2

    def sample(self, m: int, seed: int = 0) -> np.ndarray:
        """``m`` draws from each replication's generator on the data's scale, shape (R, m)."""
        rng = np.random.default_rng(seed)
        R, latent = self.generator[0].shape[:2]
        x = rng.standard_normal((R, m, latent), dtype=np.float32)
        last = len(self.generator) // 2 - 1
        for i in range(0, len(self.generator), 2):
            x = np.matmul(x, self.generator[i]) + self.generator[i + 1][:, None, :]
            if i // 2 < last:
                x = np.where(x > 0, x, np.float32(self.slope) * x)
        return x[..., 0].astype(np.float64) * self.scale[:, None] + self.center[:, None]


def fit_summary(draws, data) -> dict:
    """Per replication: ``|mean(draws) - mean(data)|`` and ``sd(draws) / sd(data)``."""
    draws, data = np.asarray(draws, dtype=np.float64), np.asarray(data, dtype=np.float64)
    return {"abs_mean_err": np.abs(draws.mean(1) - data.mean(1)),
            "sd_ratio": draws.std(1, ddof=1) / data.std(1, ddof=1)}


def _check_config(cfg: GANConfig) -> None:
    unsupported = {"loss": "nonsaturating", "d_steps": 1, "fake_ratio": 1,
                   "label_smoothing": 0.0, "r1_weight": 0.0, "dtype": "float32"}
    bad = [k for k, v in unsupported.items() if getattr(cfg, k) != v]
    if bad:
        raise ValueError(f"the peers train gansim's default game only; unsupported: {bad}")


def _standardize(data, cfg: GANConfig):
    x = np.asarray(data, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] < 2:
        raise ValueError(f"`data` must have shape (R, n) with n >= 2, got {x.shape}.")
    if cfg.standardize:
        center, scale = x.mean(1), x.std(1, ddof=1)
    else:
        center, scale = np.zeros(x.shape[0]), np.ones(x.shape[0])
    real = ((x - center[:, None]) / scale[:, None]).astype(np.float32)[..., None]
    return real, center, scale


def _init_params(sizes, R: int, rng: np.random.Generator) -> list[np.ndarray]:
    """``[W1, b1, ...]`` of R MLPs, uniform on ±1/sqrt(fan_in) (``torch.nn.Linear``'s)."""
    out = []
    for a, b in zip(sizes[:-1], sizes[1:], strict=True):
        bound = 1.0 / np.sqrt(a)
        out.append(rng.uniform(-bound, bound, (R, a, b)).astype(np.float32))
        out.append(rng.uniform(-bound, bound, (R, b)).astype(np.float32))
    return out


def _schedule(cfg: GANConfig) -> np.ndarray:
    """Per step (steps, 4), float32 from float64: D's and G's Adam step size ``lr_t / (1 -
    β1^t)``, ``1 / sqrt(1 - β2^t)``, and the EMA weight (1 until the average starts: the
    average is a copy of G's weights at its first step, as gansim's; ``1 - decay`` after)."""
    b1, b2 = cfg.betas
    first = cfg.ema_first_step
    rows = []
    for t in range(cfg.steps):
        k = t + 1
        bc1 = 1.0 - b1 ** k
        ema_w = 1.0 if first is None or t <= first else 1.0 - cfg.ema_decay
        rows.append((cfg.lr_d_at(t) / bc1, cfg.lr_at(t) / bc1,
                     1.0 / np.sqrt(1.0 - b2 ** k), ema_w))
    return np.asarray(rows, dtype=np.float64).astype(np.float32)


def _setup(data, steps, seed, config):
    cfg = dataclasses.replace(config, steps=steps)
    _check_config(cfg)
    real, center, scale = _standardize(data, cfg)
    R = real.shape[0]
    rng = np.random.default_rng(seed)
    g0 = _init_params(cfg.g_sizes, R, rng)
    d0 = _init_params(cfg.d_sizes, R, rng)
    return cfg, real, center, scale, g0, d0


# --------------------------------------------------------------------------------- torch


def torch_one_thread() -> None:
    """One thread for torch's operations and for inductor's compilation (whose default is a
    pool of compile workers as large as the machine), as bench_engine.py's workers."""
    import torch
    import torch._inductor.config as inductor_config

    torch.set_num_threads(1)
    inductor_config.compile_threads = 1


def torch_cold_compile() -> None:
    """Turn off torch.compile's on-disk caches in this process, so that the compile time
    measured is a first compile, not a cache hit of an earlier run."""
    import warnings

    import torch

    torch.compiler.config.force_disable_caches = True
    warnings.filterwarnings("ignore", message="dynamo_pgo force disabled")


@functools.cache
def _torch_step(slope: float, betas: tuple, eps: float, latent_dim: int):
    """The compiled training step of R GANs: ``step(state, real, row) -> state``."""
    import torch
    from torch.func import grad, vmap
    from torch.nn.functional import leaky_relu, softplus

    b1, b2 = betas

    def mlp(params, x):  # one replication: x (N, in)
        last = len(params) // 2 - 1
        for i in range(0, len(params), 2):
            x = x @ params[i] + params[i + 1]
            if i // 2 < last:
                x = leaky_relu(x, slope)
        return x

    def d_loss(dp, gp, real, z):
        # BCE with logits: -log σ(o) = softplus(-o) on the real points, -log(1 - σ(o)) =
        # softplus(o) on the fakes; G's parameters are not differentiated.
        return softplus(-mlp(dp, real)).mean() + softplus(mlp(dp, mlp(gp, z))).mean()

    def g_loss(gp, dp, z):
        return softplus(-mlp(dp, mlp(gp, z))).mean()

    d_grad, g_grad = vmap(grad(d_loss)), vmap(grad(g_loss))

    def adam(params, grads, m, v, step_size, inv_sqrt_bc2):
        out_p, out_m, out_v = [], [], []
        for p, g, m_, v_ in zip(params, grads, m, v, strict=True):
            m_ = m_ + (1.0 - b1) * (g - m_)
            v_ = b2 * v_ + (1.0 - b2) * g * g
            out_p.append(p - step_size * m_ / (v_.sqrt() * inv_sqrt_bc2 + eps))
            out_m.append(m_)
            out_v.append(v_)
        return tuple(out_p), tuple(out_m), tuple(out_v)

    def update(state, real, row, z):
        gp, dp, gm, gv, dm, dv, ema = state
        dp, dm, dv = adam(dp, d_grad(dp, gp, real, z[0]), dm, dv, row[0], row[2])
        gp, gm, gv = adam(gp, g_grad(gp, dp, z[1]), gm, gv, row[1], row[2])
        ema = tuple(e + row[3] * (p - e) for e, p in zip(ema, gp, strict=True))
        return gp, dp, gm, gv, dm, dv, ema

    compiled = torch.compile(update, dynamic=False)

    def step(state, real, row):
        # The noise eagerly, outside the compiled function (faster: see the module's docstring).
        z = torch.randn((2, real.shape[0], real.shape[1], latent_dim), dtype=real.dtype)
        return compiled(state, real, row, z)

    return step


def torch_compile_peer(data, steps: int, seed: int = 0, *,
                       config: GANConfig | None = None) -> PeerResult:
    """Train one GAN per row of ``data`` (R, n): torch.func vmap + grad, the whole step
    compiled with ``torch.compile``, noise drawn eagerly before it.  See the module's
    docstring."""
    import torch

    cfg, real, center, scale, g0, d0 = _setup(data, steps, seed,
                                              config if config is not None else GANConfig())
    step = _torch_step(cfg.negative_slope, tuple(cfg.betas), cfg.eps, cfg.latent_dim)
    real_t = torch.from_numpy(real)
    gp, dp = tuple(map(torch.from_numpy, g0)), tuple(map(torch.from_numpy, d0))

    def zeros(ps):
        return tuple(torch.zeros_like(p) for p in ps)

    state = (gp, dp, zeros(gp), zeros(gp), zeros(dp), zeros(dp), tuple(p.clone() for p in gp))
    rows = [torch.from_numpy(r.copy()) for r in _schedule(cfg)]
    # The step is a pure function: the warm-up call leaves `state` as it was.
    t0 = time.perf_counter()
    step(state, real_t, rows[0])
    compile_s = time.perf_counter() - t0
    torch.manual_seed(seed)
    c0, t0 = time.process_time(), time.perf_counter()
    for t in range(cfg.steps):
        state = step(state, real_t, rows[t])
    train_s, cpu_s = time.perf_counter() - t0, time.process_time() - c0
    gen = state[6] if cfg.ema_first_step is not None else state[0]
    return PeerResult("torch_compile", [p.numpy() for p in gen], center, scale, compile_s,
                      train_s, cpu_s, cfg.negative_slope)


# ----------------------------------------------------------------------------------- JAX


def jax_one_thread() -> None:
    """Ask XLA for one compute thread; only effective before JAX's first import."""
    if "jax" in sys.modules:
        return
    flags = os.environ.get("XLA_FLAGS", "")
    if "xla_cpu_multi_thread_eigen" not in flags:
        os.environ["XLA_FLAGS"] = f"{flags} {XLA_ONE_THREAD}".strip()


def jax_missing() -> str | None:
    """Why the JAX peer cannot run here (JAX not installed), or None; imports nothing."""
    import importlib.util

    for name in ("jax", "jaxlib"):
        if importlib.util.find_spec(name) is None:
            return f"{name} is not installed (pip install 'jax[cpu]')"
    return None


@functools.cache
def _jax_step(slope: float, betas: tuple, eps: float, latent_dim: int):
    import jax
    import jax.numpy as jnp

    b1, b2 = betas

    def mlp(params, x):
        last = len(params) // 2 - 1
        for i in range(0, len(params), 2):
            x = x @ params[i] + params[i + 1]
            if i // 2 < last:
                x = jax.nn.leaky_relu(x, slope)
        return x

    def d_loss(dp, gp, real, z):
        fake = jax.lax.stop_gradient(mlp(gp, z))
        return (jax.nn.softplus(-mlp(dp, real)).mean()
                + jax.nn.softplus(mlp(dp, fake)).mean())

    def g_loss(gp, dp, z):
        return jax.nn.softplus(-mlp(dp, mlp(gp, z))).mean()

    d_grad, g_grad = jax.vmap(jax.grad(d_loss)), jax.vmap(jax.grad(g_loss))

    def adam(params, grads, m, v, step_size, inv_sqrt_bc2):
        m = tuple(m_ + (1.0 - b1) * (g - m_) for m_, g in zip(m, grads, strict=True))
        v = tuple(b2 * v_ + (1.0 - b2) * g * g for v_, g in zip(v, grads, strict=True))
        params = tuple(p - step_size * m_ / (jnp.sqrt(v_) * inv_sqrt_bc2 + eps)
                       for p, m_, v_ in zip(params, m, v, strict=True))
        return params, m, v

    def step(state, real, row):
        gp, dp, gm, gv, dm, dv, ema, key = state
        key, sub = jax.random.split(key)
        z = jax.random.normal(sub, (2, real.shape[0], real.shape[1], latent_dim), real.dtype)
        dp, dm, dv = adam(dp, d_grad(dp, gp, real, z[0]), dm, dv, row[0], row[2])
        gp, gm, gv = adam(gp, g_grad(gp, dp, z[1]), gm, gv, row[1], row[2])
        ema = tuple(e + row[3] * (p - e) for e, p in zip(ema, gp, strict=True))
        return gp, dp, gm, gv, dm, dv, ema, key

    return jax.jit(step, donate_argnums=0)


def jax_peer(data, steps: int, seed: int = 0, *, config: GANConfig | None = None) -> PeerResult:
    """Train one GAN per row of ``data`` (R, n): jax.vmap + jax.grad, the whole step (noise
    drawn inside with jax.random) under ``jax.jit``.  See the module's docstring."""
    jax_one_thread()
    import jax
    import jax.numpy as jnp

    cfg, real, center, scale, g0, d0 = _setup(data, steps, seed,
                                              config if config is not None else GANConfig())
    step = _jax_step(cfg.negative_slope, tuple(cfg.betas), cfg.eps, cfg.latent_dim)
    real_j = jnp.asarray(real)
    gp, dp = tuple(map(jnp.asarray, g0)), tuple(map(jnp.asarray, d0))

    def zeros(ps):
        return tuple(jnp.zeros_like(p) for p in ps)

    state = (gp, dp, zeros(gp), zeros(gp), zeros(dp), zeros(dp),
             tuple(jnp.array(p) for p in gp), jax.random.key(seed))
    rows = [jnp.asarray(r) for r in _schedule(cfg)]
    jax.block_until_ready((state, rows))
    # The state's buffers are donated: the warm-up call gets a copy.
    t0 = time.perf_counter()
    jax.block_until_ready(step(jax.tree.map(jnp.copy, state), real_j, rows[0]))
    compile_s = time.perf_counter() - t0
    c0, t0 = time.process_time(), time.perf_counter()
    for t in range(cfg.steps):
        state = step(state, real_j, rows[t])
    jax.block_until_ready(state)
    train_s, cpu_s = time.perf_counter() - t0, time.process_time() - c0
    gen = state[6] if cfg.ema_first_step is not None else state[0]
    return PeerResult("jax", [np.asarray(p) for p in gen], center, scale, compile_s, train_s,
                      cpu_s, cfg.negative_slope)


#: The peers by name, as bench_engine.py reports them.
PEERS = {"torch_compile": torch_compile_peer, "jax": jax_peer}
