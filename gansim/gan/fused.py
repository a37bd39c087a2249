"""The fused CPU engine: ``fused.c`` compiled on first use and called through ctypes.

``GANConfig(engine="fused")`` trains each replication's GAN with one C function that keeps
the replication's whole state in cache for all its steps (see the comment at the top of
``fused.c``).  It computes what the PyTorch engine computes -- same initial weights, same
latent noise, same losses, Adam, schedule and EMA -- in a different floating-point order, so
its results equal the PyTorch engine's to rounding, not bit for bit.  The default latent
noise (``GANConfig(noise="philox")``, :mod:`gansim.gan.noise`) is computed inside the kernel,
bit for bit the numbers the PyTorch engine is given; ``noise="generator"`` is drawn here by
:class:`~gansim.gan.noise.NoiseStream` a chunk of steps at a time.  ``tests/test_fused.py``
checks its gradients against autograd and its training against the PyTorch engine.

The library is compiled once per network architecture and machine with the system's C
compiler (``$CC``, else ``cc``) and ``-O3 -march=native``, and cached in
``$GANSIM_CACHE_DIR`` (default ``~/.cache/gansim``); the cache key covers the source, the
flags, the compiler and the CPU, so a shared home directory never serves a library built
for another CPU.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import os
import platform
import stat
import subprocess
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from pathlib import Path

import numpy as np
import torch

from gansim._files import write_atomic
from gansim._platform import compiler, compiler_version
from gansim.gan.noise import PhiloxNoise, check_counters

__all__ = ["FusedUnavailable", "compiler_version", "fused_available", "fused_supports",
           "fused_gradients", "philox_latents_c", "philox_normals_c", "philox_normals_c_or_none",
           "train_fused"]

_SOURCE = Path(__file__).with_name("fused.c")
# gnu11 rather than c11: GCC's ISO modes turn off contraction to fused multiply-adds.
# -fno-math-errno lets sqrtf vectorise (Adam) without changing any value.
_FLAGS = ("-O3", "-march=native", "-std=gnu11", "-fno-math-errno", "-fPIC", "-shared")
_GAME = {"bce": 0, "ls": 1}
_GENERATOR = {"nonsaturating": 0, "minimax": 1, "ls": 2}


class FusedUnavailable(RuntimeError):
    """The fused engine cannot run here (no working C compiler); the message says why."""


class _Settings(ctypes.Structure):
    # Mirrors `Settings` in fused.c, field for field.
    _fields_ = [("R", ctypes.c_int), ("n", ctypes.c_int), ("n_fake", ctypes.c_int),
                ("d_steps", ctypes.c_int), ("kind", ctypes.c_int), ("gen", ctypes.c_int),
                ("target", ctypes.c_float), ("slope", ctypes.c_float),
                ("beta1", ctypes.c_float), ("beta2", ctypes.c_float), ("eps", ctypes.c_float),
                ("ema_first", ctypes.c_int), ("ema_weight", ctypes.c_float),
                ("latent", ctypes.c_int), ("components", ctypes.c_int),
                ("separation", ctypes.c_double), ("tails", ctypes.c_void_p)]


def fused_supports(config, device="cpu") -> str | None:
    """Why ``config`` on ``device`` cannot use the fused engine, or None if it can.

    Examples
    --------
    >>> from gansim.gan.config import GANConfig
    >>> fused_supports(GANConfig()) is None
    True
    >>> fused_supports(GANConfig(r1_weight=1.0))
    "the fused engine has no input-gradient penalties (loss 'wasserstein', r1_weight > 0)"
    """
    if torch.device(device).type != "cpu":
        return "the fused engine runs on the CPU only"
    if config.dtype != "float32":
        return "the fused engine computes in float32 only"
    if config.needs_input_gradients:
        return ("the fused engine has no input-gradient penalties (loss 'wasserstein', "
                "r1_weight > 0)")
    if max(config.g_hidden + config.d_hidden + (config.latent_dim,)) > 256:
        return "the fused engine takes layer widths and latent_dim up to 256"
    if len(config.g_hidden) > 14 or len(config.d_hidden) > 14:
        return "the fused engine takes at most 14 hidden layers"
    return None


def _cpu_signature() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text()
        lines = [ln for ln in text.splitlines() if ln.startswith(("model name", "flags"))]
        return "\n".join(dict.fromkeys(lines))
    except OSError:
        return platform.processor() or platform.machine()


def _compiler() -> str:
    cc = compiler()
    if cc is None:
        raise FusedUnavailable(f"no C compiler: `{os.environ.get('CC', 'cc')}` was not found "
                               "(set $CC, or use GANConfig(engine='torch')).")
    return cc


def _cache_dir() -> Path:
    root = os.environ.get("GANSIM_CACHE_DIR")
    return Path(root) if root else Path.home() / ".cache" / "gansim"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _write_digest(path: Path, digest: str) -> None:
    write_atomic(path.with_name(path.name + ".sha256"),
                 lambda tmp: tmp.write_text(digest + "\n"), sync=False)


def _owned_private(path: Path) -> bool:
    """Owned by this user and writable by nobody else (no symbolic link)."""
    st = os.lstat(path)
    return (stat.S_ISREG(st.st_mode) and st.st_uid == os.getuid()
            and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH))


def _trusted(path: Path) -> bool:
    """Whether a cached library may be loaded: it and its digest file were written by this
    user, are writable by nobody else, and the library's sha256 is the digest recorded when
    gansim compiled it. A library planted in a shared cache folder fails one of these and
    is compiled again (a library is machine code run inside this process)."""
    side = path.with_name(path.name + ".sha256")
    try:
        if not (_owned_private(path) and _owned_private(side)):
            return False
        return side.read_text().strip() == _sha256(path)
    except OSError:
        return False


def _build(g_sizes: tuple[int, ...], d_sizes: tuple[int, ...]) -> ctypes.CDLL:
    try:
        return _build_once(g_sizes, d_sizes)
    except _Unverified:
        # Two processes compiled at once and their files crossed: build once more.
        return _build_once(g_sizes, d_sizes)


class _Unverified(FusedUnavailable):
    pass


def _build_once(g_sizes: tuple[int, ...], d_sizes: tuple[int, ...]) -> ctypes.CDLL:
    cc = _compiler()
    defines = (f"-DG_SIZES={{{','.join(map(str, g_sizes))}}}",
               f"-DD_SIZES={{{','.join(map(str, d_sizes))}}}",
               # Room for twice the widest layer: fused.c's pairwise sums pad to a power of
               # two.  (Exactly the widest layer also made GCC 12 emit 4x slower code.)
               f"-DMAXW={2 * max(g_sizes + d_sizes)}")
    key = hashlib.sha256("\0".join(
        [_SOURCE.read_text(), *_FLAGS, *defines, str(compiler_version()),
         _cpu_signature()]).encode())
    path = _cache_dir() / f"fused-{key.hexdigest()[:20]}.so"
    if not _trusted(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        # Compiled into a temporary name beside the target and renamed (the one writer):
        # concurrent workers never load a partial file.

        def compile_to(tmp: Path) -> None:
            proc = subprocess.run([cc, *_FLAGS, *defines, str(_SOURCE), "-o", str(tmp), "-lm"],
                                  capture_output=True, text=True)
            if proc.returncode != 0:
                raise FusedUnavailable(f"compiling {_SOURCE.name} with `{cc}` failed:\n"
                                       f"{proc.stderr.strip()}")
            _write_digest(path, _sha256(tmp))

        write_atomic(path, compile_to, sync=False)
        if not _trusted(path):
            raise _Unverified(f"the compiled library {path} could not be verified after "
                                   "building it (another process replaced it?)")
    lib = ctypes.CDLL(str(path))
    lib.gansim_train.restype = ctypes.c_int
    lib.gansim_train.argtypes = [ctypes.POINTER(_Settings), *[ctypes.c_int] * 4,
                                 *[ctypes.c_void_p] * 13]
    lib.gansim_philox_normals.restype = ctypes.c_int
    lib.gansim_philox_normals.argtypes = [ctypes.c_void_p, *[ctypes.c_int] * 5,
                                          ctypes.c_void_p]
    lib.gansim_philox_latents.restype = ctypes.c_int
    lib.gansim_philox_latents.argtypes = [ctypes.POINTER(_Settings), ctypes.c_void_p,
                                          *[ctypes.c_int] * 5, ctypes.c_void_p]
    lib.gansim_gradients.restype = ctypes.c_int
    lib.gansim_gradients.argtypes = [ctypes.POINTER(_Settings), *[ctypes.c_void_p] * 7]
    lib.gansim_n_params.restype = ctypes.c_int
    lib.gansim_n_params.argtypes = [ctypes.c_int]
    return lib


@functools.cache
def _library_or_reason(g_sizes, d_sizes) -> tuple[ctypes.CDLL | None, str | None]:
    # Failures are cached too: a machine without a compiler is told once, not per block.
    try:
        return _build(g_sizes, d_sizes), None
    except (FusedUnavailable, OSError) as err:
        return None, str(err)


def fused_available(config) -> str | None:
    """None if the fused engine for ``config``'s architecture compiles and loads here, else
    the reason it does not."""
    return _library_or_reason(config.g_sizes, config.d_sizes)[1]


def _library(config) -> ctypes.CDLL:
    lib, reason = _library_or_reason(config.g_sizes, config.d_sizes)
    if lib is None:
        raise FusedUnavailable(reason)
    return lib


def _settings(config, R: int, n: int, tails: np.ndarray | None = None) -> _Settings:
    """The kernel's settings; ``tails``, a (R,) float64 C-contiguous array of the Pareto
    latent's tail indices, must outlive the call that uses them."""
    from gansim.gan.games import get_loss

    loss = get_loss(config.loss)
    ema_first = config.ema_first_step
    return _Settings(
        latent=int(config.latent == "pareto"), components=config.latent_components,
        separation=float(config.latent_separation),
        tails=None if tails is None else tails.ctypes.data,
        R=R, n=n, n_fake=config.fake_ratio * n, d_steps=config.d_steps,
        kind=_GAME[loss.kind], gen=_GENERATOR[loss.generator],
        target=1.0 - config.label_smoothing, slope=config.negative_slope,
        beta1=config.betas[0], beta2=config.betas[1], eps=config.eps,
        ema_first=-1 if ema_first is None else ema_first,
        ema_weight=0.0 if config.ema_decay is None else 1.0 - config.ema_decay)


def _float32_rows(t: torch.Tensor, name: str) -> torch.Tensor:
    if t.dtype != torch.float32 or t.device.type != "cpu" or not t.is_contiguous():
        raise ValueError(f"`{name}` must be a contiguous float32 CPU tensor.")
    return t


def train_fused(real: torch.Tensor, config, g_params: torch.Tensor, d_params: torch.Tensor,
                noise, trace: torch.Tensor | None = None) -> torch.Tensor:
    """Train in place: ``g_params``, ``d_params`` are (R, P) float32 rows (MLPLayout's rows
    layout); returns the rows to sample from (the EMA, or the last generator weights).

    ``real`` is (R, n) on the training scale, ``noise`` a
    :class:`~gansim.gan.noise.PhiloxNoise` (whose numbers the kernel computes itself) or a
    :class:`~gansim.gan.noise.NoiseStream` (drawn here, a chunk of steps at a time) with
    ``d_steps + 1`` draws per step, ``trace`` an optional (steps, 2, R) float32 tensor that
    receives D's and G's losses.
    """
    cfg = config
    lib = _library(cfg)
    real = _float32_rows(real.contiguous(), "real")
    R, n = real.shape
    for t, name in ((g_params, "g_params"), (d_params, "d_params")):
        _float32_rows(t, name)
    if (lib.gansim_n_params(0), lib.gansim_n_params(1)) != (g_params.shape[1],
                                                            d_params.shape[1]):
        raise ValueError("`g_params`, `d_params` do not have the configuration's sizes.")
    tails = getattr(noise, "tails", None)
    if tails is not None:
        tails = np.ascontiguousarray(tails, dtype=np.float64)
    if cfg.latent == "pareto" and (tails is None or tails.shape != (R,)):
        raise ValueError("the Pareto latent needs one tail index per replication "
                         "(PhiloxNoise(tails=...)).")
    settings = _settings(cfg, R, n, tails)
    g_m, g_v = torch.zeros_like(g_params), torch.zeros_like(g_params)
    d_m, d_v = torch.zeros_like(d_params), torch.zeros_like(d_params)
    ema = torch.zeros_like(g_params)
    lr_g = np.array([cfg.lr_at(t) for t in range(cfg.steps)])
    lr_d = np.array([cfg.lr_d_at(t) for t in range(cfg.steps)])
    # Replications are independent, so threads take disjoint ranges of them, drawing their
    # noise and training (torch and ctypes release the GIL); the results do not depend on
    # the number of threads.
    threads = max(1, min(torch.get_num_threads(), R))
    bounds = np.linspace(0, R, threads + 1).astype(int)
    keys = np.ascontiguousarray(noise.keys, dtype=np.uint32) if isinstance(
        noise, PhiloxNoise) else None
    # With counter-based noise a replication trains all its steps at once (its state stays in
    # cache); a drawn stream is drawn and consumed a chunk of steps at a time.
    chunk = cfg.steps if keys is not None else noise.chunk

    def run(t0, count, r0, r1):
        if keys is None:
            noise.fill(t0, range(r0, r1))  # this chunk's latent noise of these replications
        return lib.gansim_train(
            ctypes.byref(settings), r0, r1, t0, count, lr_g[t0:].ctypes.data,
            lr_d[t0:].ctypes.data, real.data_ptr(),
            None if keys is None else keys.ctypes.data,
            None if keys is not None else noise.buffer.data_ptr(),
            g_params.data_ptr(), g_m.data_ptr(), g_v.data_ptr(), ema.data_ptr(),
            d_params.data_ptr(), d_m.data_ptr(), d_v.data_ptr(),
            None if trace is None else trace[t0:].data_ptr())

    with ThreadPoolExecutor(threads) if threads > 1 else nullcontext() as pool:
        for t0 in range(0, cfg.steps, chunk):
            count = min(chunk, cfg.steps - t0)
            status = list((pool.map if pool else map)(
                run, [t0] * threads, [count] * threads, bounds[:-1], bounds[1:]))
            if any(status):
                raise MemoryError("fused engine: could not allocate its working memory")
    return ema if cfg.ema_first_step is not None else g_params


def philox_normals_c(keys, t0: int, n_steps: int, draws: int, count: int, config=None):
    """The latent normals :func:`gansim.gan.noise.philox_normals` defines, computed by the
    compiled kernel (about 30x faster on the CPU than in PyTorch): (n_steps, draws, R, count)
    float32 for steps ``t0`` to ``t0 + n_steps - 1``.  Raises :class:`FusedUnavailable` without a
    C compiler."""
    from gansim._validation import check_int
    from gansim.gan.config import GANConfig

    check_int(n_steps, "n_steps", 1)
    checked, _ = check_counters(keys, [t0, t0 + n_steps - 1], draws, count, "cpu")
    lib = _library(config if config is not None else GANConfig())
    keys = np.ascontiguousarray(checked.cpu().numpy(), dtype=np.uint32)
    out = torch.empty((n_steps, draws, keys.shape[0], count), dtype=torch.float32)
    if lib.gansim_philox_normals(keys.ctypes.data, keys.shape[0], t0, n_steps, draws, count,
                                 out.data_ptr()) != 0:
        raise MemoryError("fused engine: could not allocate its working memory")
    return out


def philox_latents_c(config, keys, t0: int, n_steps: int, draws: int, points: int,
                     tails=None) -> torch.Tensor:
    """The latent noise of ``config`` (its ``latent``, ``latent_components``,
    ``latent_separation``; replication r's Pareto tail index ``tails[r]``) as the fused
    kernel computes it: (n_steps, draws, R, points * latent_dim) float32, the numbers
    :func:`gansim.gan.noise.latents_from_tensors` defines (for the tests)."""
    from gansim._validation import check_int

    check_int(n_steps, "n_steps", 1)
    check_int(points, "points", 1)
    checked, _ = check_counters(keys, [t0, t0 + n_steps - 1], draws, points, "cpu")
    lib = _library(config)
    keys = np.ascontiguousarray(checked.cpu().numpy(), dtype=np.uint32)
    R = keys.shape[0]
    if tails is not None:
        tails = np.ascontiguousarray(tails, dtype=np.float64).reshape(R)
    settings = _settings(config, R, points, tails)
    out = torch.empty((n_steps, draws, R, points * config.latent_dim), dtype=torch.float32)
    if lib.gansim_philox_latents(ctypes.byref(settings), keys.ctypes.data, R, t0, n_steps,
                                 draws, points, out.data_ptr()) != 0:
        raise MemoryError("fused engine: could not allocate its working memory")
    return out


def philox_normals_c_or_none(keys, t0: int, n_steps: int, draws: int, count: int):
    """:func:`philox_normals_c`, or None where the fused library does not build or load here:
    the ``cpu_normals`` the engines hand to :class:`~gansim.gan.noise.PhiloxNoise`, which
    then computes the same numbers in PyTorch."""
    try:
        return philox_normals_c(keys, t0, n_steps, draws, count)
    except FusedUnavailable:
        return None


def fused_gradients(real, config, g_params, d_params, z_d, z_g):
    """D's and G's loss gradients at the given parameters, as the fused engine computes them
    (for the tests): ``real`` (R, n), ``z_d``, ``z_g`` (R, fake_ratio * n, latent_dim),
    parameters (R, P) rows, all float32.  Returns ``(g_grad, d_grad)`` rows."""
    lib = _library(config)
    tensors = [_float32_rows(t.contiguous(), name) for t, name in
               ((real, "real"), (g_params, "g_params"), (d_params, "d_params"),
                (z_d, "z_d"), (z_g, "z_g"))]
    real, g_params, d_params, z_d, z_g = tensors
    g_grad, d_grad = torch.empty_like(g_params), torch.empty_like(d_params)
    status = lib.gansim_gradients(ctypes.byref(_settings(config, *real.shape)),
                                  real.data_ptr(), z_d.data_ptr(), z_g.data_ptr(),
                                  g_params.data_ptr(), d_params.data_ptr(), g_grad.data_ptr(),
                                  d_grad.data_ptr())
    if status != 0:
        raise MemoryError("fused engine: could not allocate its working memory")
    return g_grad, d_grad
