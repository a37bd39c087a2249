"""Counter-based latent noise: Philox4x32-10 keyed by each replication's noise seed.

The latent noise a GAN trains on is the bulk of the random numbers a study draws (with the
defaults 800 normals per replication and step, 1.6 million per replication).  Drawing them
from one sequential generator per replication (:class:`NoiseStream`,
``GANConfig(noise="generator")``) costs a sixth of the fused engine's time and ties the
numbers to the device's generator.  A counter-based generator computes each number from
*where* it is used instead:

    normal number e of draw j of step t of replication r =
        BoxMuller(Philox4x32-10(counter=(e mod C, t, j, 0), key=key_r))

with ``key_r`` two 32-bit words from the replication's noise :class:`~numpy.random.SeedSequence`
and ``C = ceil(count / 4)`` Philox calls per draw.  So the numbers do not depend on the block,
the thread, the chunk of steps or the engine that asks for them, and the fused C kernel
(:mod:`gansim.gan.fused`) generates them inside its training loop, where they never touch
memory, while the PyTorch engine generates the same numbers in bulk on any device.

Philox4x32-10 is the generator of "Parallel Random Numbers: As Easy as 1, 2, 3" (Salmon,
Moraes, Dror and Shaw, SC11); its integer output is bit-identical here and in ``fused.c``
(tested against that paper's known-answer vectors).  The normal numbers use Box-Muller with
polynomial logarithm, sine and cosine, written out identically in both places so that they
vectorise in C; in float32 the two agree to a few units in the last place (the compilers may
fuse a multiply and an add), which the tests bound.

Uniforms: ``(w >> 8) + 1`` over 2^24, in (0, 1], so the logarithm is finite; the radius
``sqrt(-2 log u)`` is at most 5.77, which cuts the normal's tails beyond 5.77 sd (probability
8e-9 per draw).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from gansim._validation import check_int
from gansim.gan.config import GANConfig
from gansim.rng import torch_generator

__all__ = ["NoiseStream", "PhiloxNoise", "check_counters", "latent_noise",
           "latents_from_tensors", "noise_chunk", "normals_from_tensors", "philox4x32",
           "philox_keys", "philox_normals", "philox_uniforms", "uniforms_from_tensors"]

_M0, _M1 = 0xD2511F53, 0xCD9E8D57        # Philox4x32's multipliers
_W0, _W1 = 0x9E3779B9, 0xBB67AE85        # its Weyl key increments
_MASK = 0xFFFFFFFF
_ROUNDS = 10

#: Counter word 3 of each kind of number (so latent normals, WGAN-GP's uniforms, the Pareto
#: latent's words and the mixture's component words of the same step never share a counter).
NORMAL, UNIFORM, PARETO, COMPONENT = 0, 1, 2, 3

# Polynomial coefficients of the Box-Muller transform, the same as fused.c's LOG_C, SIN_C and
# COS_C.
# log(m) = 2 atanh(s), s = (m - 1) / (m + 1), m in [sqrt(1/2), sqrt(2)): odd series to s^9
# (|s| <= 0.1716, next term 6e-10).  sin y and cos y on [0, pi/2): Taylor to y^11 and y^12.
_LN2 = 0.6931471805599453
_LOG = (2.0, 2.0 / 3.0, 2.0 / 5.0, 2.0 / 7.0, 2.0 / 9.0)
_SIN = tuple((-1.0) ** k / math.factorial(2 * k + 1) for k in range(6))
_COS = tuple((-1.0) ** k / math.factorial(2 * k) for k in range(7))


def philox_keys(seeds) -> np.ndarray:
    """The Philox keys of replications: two 32-bit words from each SeedSequence, (R, 2).

    Examples
    --------
    >>> from gansim.rng import replication_streams
    >>> philox_keys([replication_streams(1, rep=r).noise for r in range(3)]).shape
    (3, 2)
    """
    return np.stack([np.asarray(s.generate_state(2, dtype=np.uint32)) for s in seeds])


def _mulhilo(a: torch.Tensor, m: int) -> tuple[torch.Tensor, torch.Tensor]:
    # 32 x 32 -> 64-bit product in int64 arithmetic (no uint64 on every device): split a
    # into 16-bit halves, so each partial product stays below 2^48.
    p1 = (a >> 16) * m
    p0 = (a & 0xFFFF) * m
    lo = (((p1 & 0xFFFF) << 16) + p0) & _MASK
    hi = (p1 + (p0 >> 16)) >> 16
    return hi, lo


def philox4x32(counter, key) -> torch.Tensor:
    """Philox4x32-10 of ``counter`` (..., 4) under ``key`` (..., 2): (..., 4) words.

    Words are held in int64 tensors with values in [0, 2^32); inputs broadcast.

    Examples
    --------
    >>> out = philox4x32(torch.zeros(4, dtype=torch.int64), torch.zeros(2, dtype=torch.int64))
    >>> [hex(int(w)) for w in out]
    ['0x6627e8d5', '0xe169c58d', '0xbc57ac4c', '0x9b00dbd8']
    """
    counter = torch.as_tensor(counter, dtype=torch.int64)
    key = torch.as_tensor(key, dtype=torch.int64, device=counter.device)
    c0, c1, c2, c3 = counter.unbind(-1)
    k0, k1 = key.unbind(-1)
    for _ in range(_ROUNDS):
        hi0, lo0 = _mulhilo(c0, _M0)
        hi1, lo1 = _mulhilo(c2, _M1)
        c0, c1, c2, c3 = hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0
        k0 = (k0 + _W0) & _MASK
        k1 = (k1 + _W1) & _MASK
    return torch.stack(torch.broadcast_tensors(c0, c1, c2, c3), dim=-1)


def _words(keys: torch.Tensor, steps: torch.Tensor, draws: int, calls: int, kind: int):
    """Philox words of every (step, draw, replication, call): (S, draws, R, calls, 4)."""
    device = keys.device
    c = torch.arange(calls, dtype=torch.int64, device=device)
    j = torch.arange(draws, dtype=torch.int64, device=device)
    counter = torch.stack(torch.broadcast_tensors(
        c.view(1, 1, 1, -1), steps.view(-1, 1, 1, 1), j.view(1, -1, 1, 1),
        torch.full((1, 1, 1, 1), kind, dtype=torch.int64, device=device)), dim=-1)
    return philox4x32(counter, keys.view(1, 1, -1, 1, 2))


def _unit(w: torch.Tensor) -> torch.Tensor:
    """(w >> 8) + 1 over 2^24: float32 in (0, 1], exact."""
    return ((w >> 8) + 1).to(torch.float32) * 2.0 ** -24


def _poly(x: torch.Tensor, coefs) -> torch.Tensor:
    out = torch.full_like(x, coefs[-1])
    for c in coefs[-2::-1]:
        out = out * x + c
    return out


def _box_muller(a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Two independent N(0, 1) float32 numbers from two words, as fused.c computes them."""
    # -2 log u with u = 2^e * m, m in [sqrt(1/2), sqrt(2)).
    u = _unit(a)
    bits = u.view(torch.int32)
    e = (bits >> 23) - 127
    m = ((bits & 0x7FFFFF) | 0x3F800000).view(torch.float32)
    big = m > 1.41421356
    m = torch.where(big, m * 0.5, m)
    e = (e + big.to(torch.int32)).to(torch.float32)
    s = (m - 1.0) / (m + 1.0)
    log_u = e * _LN2 + s * _poly(s * s, _LOG)
    # In float64, then rounded: torch's float32 sqrt on CPU is not always correctly rounded
    # (SLEEF), the C kernel's is; the double's rounding to float32 is the correctly rounded
    # float32 square root.
    radius = torch.sqrt((-2.0 * log_u).to(torch.float64)).to(torch.float32)
    # The angle: quadrant from the top two bits, the position in it from the next 24.
    quadrant = b >> 30
    y = ((b >> 6) & 0xFFFFFF).to(torch.float32) * (2.0 ** -24 * math.pi / 2)
    y2 = y * y
    sin, cos = y * _poly(y2, _SIN), _poly(y2, _COS)
    odd = (quadrant & 1).bool()
    c, s_ = torch.where(odd, -sin, cos), torch.where(odd, cos, sin)
    flip = quadrant >= 2
    c, s_ = torch.where(flip, -c, c), torch.where(flip, -s_, s_)
    return radius * c, radius * s_


def philox_normals(keys, steps, draws: int, count: int, *, device=None) -> torch.Tensor:
    """Latent normals: (S, draws, R, count) float32 for ``steps`` (S,) and replications'
    ``keys`` (R, 2); number e of a draw is word ``e // C`` of Philox call ``e % C``.

    Examples
    --------
    >>> z = philox_normals(np.array([[1, 2]]), [0, 1], draws=2, count=400)
    >>> tuple(z.shape)
    (2, 2, 1, 400)
    """
    keys, steps = check_counters(keys, steps, draws, count, device)
    return normals_from_tensors(keys, steps, draws, count)


def normals_from_tensors(keys: torch.Tensor, steps: torch.Tensor, draws: int,
                         count: int) -> torch.Tensor:
    """:func:`philox_normals` on int64 tensors already on the device: ``keys`` (R, 2) and
    ``steps`` (S,); tensor operations only, so that ``torch.compile`` can trace it (the
    compiled engine generates each step's noise inside its compiled step)."""
    calls = -(-count // 4)
    w = _words(keys, steps, draws, calls, NORMAL)
    z0, z1 = _box_muller(w[..., 0], w[..., 1])
    z2, z3 = _box_muller(w[..., 2], w[..., 3])
    return torch.cat((z0, z1, z2, z3), dim=-1)[..., :count]


def philox_uniforms(keys, steps, draws: int, count: int, *, device=None) -> torch.Tensor:
    """U(0, 1] float32 numbers, (S, draws, R, count), from counters of their own kind."""
    keys, steps = check_counters(keys, steps, draws, count, device)
    return uniforms_from_tensors(keys, steps, draws, count)


def uniforms_from_tensors(keys: torch.Tensor, steps: torch.Tensor, draws: int,
                          count: int) -> torch.Tensor:
    """:func:`philox_uniforms` on int64 tensors already on the device (as
    :func:`normals_from_tensors`)."""
    w = _words(keys, steps, draws, -(-count // 4), UNIFORM)
    return _unit(torch.cat(w.unbind(-1), dim=-1)[..., :count])


def _flat_words(keys, steps, draws: int, count: int, kind: int) -> torch.Tensor:
    """``count`` words per (step, draw, replication), (S, draws, R, count): word e is word
    ``e // C`` of Philox call ``e % C`` (the layout of the normals)."""
    w = _words(keys, steps, draws, -(-count // 4), kind)
    return torch.cat(w.unbind(-1), dim=-1)[..., :count]


def latents_from_tensors(keys: torch.Tensor, steps: torch.Tensor, draws: int, n_points: int,
                         latent_dim: int, spec, tails: torch.Tensor | None = None,
                         normals: torch.Tensor | None = None) -> torch.Tensor:
    """The latent noise of ``GANConfig(latent=..., latent_components=...)``, (S, draws, R,
    n_points * latent_dim) float32, point i's coordinates at ``i * latent_dim ...``:

    - normal coordinates: :func:`normals_from_tensors` (or ``normals``, those numbers
      computed elsewhere);
    - Pareto coordinates (``spec.pareto``): coordinate e from word w, the e-th of
      counter kind :data:`PARETO` (laid out as the normals): ``u = ((w >> 8) + 1) / 2^24``,
      the sign from bit 0, ``±α(u^(-1/α) - 1)`` with replication r's ``tails[r]``
      (:func:`gansim.gan.latent.pareto_from_uniform`, in float64, then rounded);
    - a mixture (``spec.components`` K > 1): point i's component ``k = ((w >> 8) K) >> 24``
      from the i-th word of counter kind :data:`COMPONENT` (exact integer arithmetic), its
      shift (:func:`gansim.gan.latent.component_shift`, rounded to float32) added to the
      point's first coordinate.

    ``spec`` is a :class:`gansim.gan.latent.LatentSpec`.  ``fused.c`` computes the same
    numbers (its ``philox_latents``).  Tensor operations only (``torch.compile`` traces it)."""
    from gansim.gan.latent import component_shift, pareto_from_uniform

    count = n_points * latent_dim
    if spec.pareto:
        w = _flat_words(keys, steps, draws, count, PARETO)
        u = ((w >> 8) + 1).to(torch.float64) * 2.0 ** -24
        alpha = tails.to(torch.float64).view(1, 1, -1, 1)
        z = pareto_from_uniform(u, (w & 1).bool(), alpha).to(torch.float32)
    elif normals is not None:
        z = normals
    else:
        z = normals_from_tensors(keys, steps, draws, count)
    if spec.components > 1:
        w = _flat_words(keys, steps, draws, n_points, COMPONENT)
        k = ((w >> 8) * spec.components) >> 24
        shift = component_shift(k, spec.components, spec.separation).to(torch.float32)
        z = z.reshape(*z.shape[:-1], n_points, latent_dim).clone()
        z[..., 0] += shift
        z = z.reshape(*z.shape[:-2], count)
    return z


def check_counters(keys, steps, draws, count, device):
    """Keys (R, 2) and steps (S,) as int64 tensors on ``device`` (default: the keys' own,
    else the CPU), or an error naming the argument: 32-bit words and step numbers, since
    Philox4x32 takes nothing wider."""
    check_int(draws, "draws", 1)
    check_int(count, "count", 1)
    if device is None and isinstance(keys, torch.Tensor):
        device = keys.device
    out = []
    for name, value in (("keys", keys), ("steps", steps)):
        t = value if isinstance(value, torch.Tensor) else torch.as_tensor(np.asarray(value))
        if t.dtype.is_floating_point or t.dtype.is_complex or t.dtype == torch.bool:
            raise ValueError(f"`{name}` must hold integers, got dtype {t.dtype}.")
        t = t.to(dtype=torch.int64, device=device)
        if name == "keys" and (t.ndim != 2 or t.shape[1] != 2):
            raise ValueError(f"`keys` must have shape (R, 2), got {tuple(t.shape)}.")
        if name == "steps":
            t = t.reshape(-1)
        if t.numel() and (int(t.min()) < 0 or int(t.max()) > 0xFFFFFFFF):
            raise ValueError(f"`{name}` must be in [0, 2^32), got values in "
                             f"[{int(t.min())}, {int(t.max())}].")
        out.append(t)
    return out[0], out[1]


#: Bytes one latent normal number costs while :func:`philox_normals` generates it in bulk
#: (its int64 counters and round temporaries, the Box-Muller temporaries, the float32 result
#: and its copy in the training dtype): 62-66 bytes measured on the CPU (growth of the
#: process's peak resident memory, 8 and 16 million numbers), with a margin.
BYTES_PER_NORMAL = 96
#: Most memory one chunk of bulk-generated noise may take (:func:`noise_chunk`).
CHUNK_BUDGET = 512 * 2**20
#: Most steps per chunk (the chunk of blocks of the default size).
MAX_CHUNK = 50


def noise_chunk(R: int, n: int, latent_dim: int, draws: int, *,
                budget: int = CHUNK_BUDGET) -> int:
    """Steps of latent noise to generate at once for a block: :data:`MAX_CHUNK`, fewer when
    a chunk's ``chunk x draws x R x n x latent_dim`` numbers would need more than ``budget``
    bytes while generated (at least 1).  The numbers do not depend on the chunk.

    Examples
    --------
    >>> noise_chunk(100, 100, 4, 2)          # the default block: 50 steps at a time
    50
    >>> noise_chunk(10_000, 100, 4, 2)       # B = 10,000 as one block on a GPU: one step
    1
    """
    per_step = draws * R * n * latent_dim * BYTES_PER_NORMAL
    return int(max(1, min(MAX_CHUNK, budget // max(1, per_step))))


class PhiloxNoise:
    """The latent noise of every training step from Philox counters; the interface of
    :class:`NoiseStream`.

    Numbers are generated ``chunk`` steps at a time for the whole block on its device (one
    bulk computation, no per-replication loop) and converted to ``dtype``; by default
    ``chunk`` is :func:`noise_chunk`'s, which keeps a chunk's memory bounded however large
    the block.  The fused engine does not use the buffer: it passes :attr:`keys` to its
    kernel, which computes the same numbers in place; the compiled engine
    (``GANConfig(engine="compiled")``) computes them inside its compiled step with
    :func:`normals_from_tensors`.

    ``cpu_normals``, when given, computes the latent normals on the CPU in place of
    :func:`normals_from_tensors`: called as ``cpu_normals(keys, t0, n_steps, draws, count)``,
    it returns :func:`philox_normals`'s numbers of steps ``t0 .. t0 + n_steps - 1`` as a
    (n_steps, draws, R, count) float32 tensor, or None where it cannot compute them here
    (then :func:`normals_from_tensors` does).  The engines pass the fused kernel's
    (:func:`gansim.gan.fused.philox_normals_c_or_none`), bit for bit the same numbers about
    30 times faster.
    """

    def __init__(self, seeds, *, steps: int, n: int, latent_dim: int, dtype, device,
                 chunk: int | None = None, draws: int = 2, uniforms: int = 0,
                 n_uniform: int = 0, cpu_normals=None, latent=None, tails=None):
        self.keys = philox_keys(seeds)
        # The latent beyond the normal (a gansim.gan.latent.LatentSpec), with each
        # replication's tail index (R,) for the Pareto latent.
        self.latent = latent
        self.tails = None if tails is None else np.asarray(tails, dtype=np.float64)
        self.cpu_normals = cpu_normals
        self.steps, self.n, self.latent_dim = steps, n, latent_dim
        self.dtype, self.device = dtype, device
        if chunk is None:
            chunk = noise_chunk(len(self.keys), n, latent_dim, draws + uniforms)
        self.chunk = max(1, min(chunk, steps))
        self.draws, self.uniforms, self.n_uniform = draws, uniforms, n_uniform
        self._keys = torch.as_tensor(self.keys.astype(np.int64), device=device)
        self._buf = self._ubuf = None
        self._start = None

    def _fill(self, step: int):
        self._start = step
        steps = torch.arange(step, min(step + self.chunk, self.steps), device=self.device)
        R = len(self.keys)
        z = None
        pareto = self.latent is not None and self.latent.pareto
        if (self.cpu_normals is not None and torch.device(self.device).type == "cpu"
                and not pareto):
            # The compiled kernel computes the same numbers ~30x faster on the CPU.
            z = self.cpu_normals(self.keys, step, len(steps), self.draws,
                                 self.n * self.latent_dim)
        if self.latent is not None and (pareto or self.latent.components > 1):
            tails = None if self.tails is None else torch.as_tensor(self.tails,
                                                                    device=self.device)
            z = latents_from_tensors(self._keys, steps, self.draws, self.n, self.latent_dim,
                                     self.latent, tails, normals=z)
        if z is None:
            z = normals_from_tensors(self._keys, steps, self.draws, self.n * self.latent_dim)
        self._buf = z.to(self.dtype).view(len(steps), self.draws, R, self.n, self.latent_dim)
        if self.uniforms:
            u = uniforms_from_tensors(self._keys, steps, self.uniforms, self.n_uniform)
            self._ubuf = u.to(self.dtype).view(len(steps), self.uniforms, R, self.n_uniform, 1)

    def at(self, step: int) -> tuple[torch.Tensor, ...]:
        """The ``draws`` latent noise tensors of ``step``, each (R, n, latent_dim)."""
        if self._start is None or not (self._start <= step < self._start + self.chunk):
            self._fill(step - step % self.chunk)
        k = step - self._start
        return tuple(self._buf[k, j] for j in range(self.draws))

    def uniform_at(self, step: int) -> tuple[torch.Tensor, ...]:
        """The ``uniforms`` tensors of U(0, 1] numbers of ``step``, each (R, n_uniform, 1)."""
        self.at(step)
        k = step - self._start
        return tuple(self._ubuf[k, j] for j in range(self.uniforms))


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


def latent_noise(config: GANConfig, seeds, *, n: int, dtype, device, cpu_normals=None,
                 tails=None, **kw):
    """The latent noise source ``config.noise`` names for replications with noise ``seeds``:
    a :class:`PhiloxNoise` (with ``cpu_normals``, and the config's latent with each
    replication's tail index ``tails`` where it is not the normal) or a :class:`NoiseStream`
    (``n`` fakes per draw; other keywords as theirs)."""
    common = dict(steps=config.steps, n=n, latent_dim=config.latent_dim, dtype=dtype,
                  device=device, **kw)
    if config.noise == "philox":
        latent = None
        if not config.normal_latent:
            from gansim.gan.latent import latent_spec

            latent = latent_spec(config)
        return PhiloxNoise(seeds, cpu_normals=cpu_normals, latent=latent, tails=tails,
                           **common)
    return NoiseStream([torch_generator(s, device) for s in seeds], **common)
