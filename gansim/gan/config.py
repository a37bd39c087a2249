"""Settings of a small 1-D GAN and its training, validated in one place."""

from __future__ import annotations

import math
import numbers
from dataclasses import asdict, dataclass
from functools import partial

import numpy as np

from gansim.gan.games import LOSSES

__all__ = ["GANConfig", "GENERATOR_LOSSES", "ENGINES", "MAX_STEPS", "MAX_WIDTH", "NOISES",
           "check_device"]

#: Names of the GAN games known to the engine, in :data:`gansim.gan.games.LOSSES` (the
#: registry, with each game's losses and derivatives): ``"nonsaturating"`` (the default),
#: ``"minimax"``, ``"least-squares"`` and ``"wasserstein"`` (WGAN-GP).
GENERATOR_LOSSES = tuple(LOSSES)

#: Options added after the first published results, with the defaults that reproduce them.
#: :meth:`GANConfig.to_dict` leaves them out while they keep these values, so the settings
#: records (and resumable blocks) of earlier runs still match.
_LATER_DEFAULTS = {"d_steps": 1, "label_smoothing": 0.0, "lr_d": None, "gp_weight": 10.0,
                   "gp_one_sided": False, "r1_weight": 0.0, "fake_ratio": 1,
                   "engine": "torch", "noise": "generator", "allow_tf32": False}
#: The training engines (``GANConfig(engine=...)``).
ENGINES = ("auto", "fused", "torch", "compiled")
#: The sources of latent noise (``GANConfig(noise=...)``).
NOISES = ("philox", "generator")


def check_device(device) -> str:
    """``device`` as a string, or an error naming the allowed values (``"cpu"``, ``"cuda"``,
    ``"cuda:<index>"``) or saying that torch sees no GPU (or not that one).

    Examples
    --------
    >>> check_device("cpu")
    'cpu'
    >>> check_device("gpu")
    Traceback (most recent call last):
    ...
    ValueError: `device` must be 'cpu', 'cuda' or 'cuda:<index>', got 'gpu'.
    """
    import torch

    name = str(device)
    kind, _, index = name.partition(":")
    if (not isinstance(device, str) or kind not in ("cpu", "cuda")
            or (kind == "cpu" and index) or (index and not index.isdigit())):
        raise ValueError(f"`device` must be 'cpu', 'cuda' or 'cuda:<index>', got {device!r}.")
    if kind == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"`device` {name!r} was asked for, but torch sees no CUDA GPU here; "
                         "use device='cpu'.")
    if index and int(index) >= torch.cuda.device_count():
        raise ValueError(f"`device` {name!r}: torch sees {torch.cuda.device_count()} CUDA "
                         f"GPU(s) here, numbered from 0.")
    return name


#: Most training steps a GANConfig accepts: 5,000 times the default, about 20 hours per
#: replication at the fused engine's speed -- far beyond any study here, but finite, so that
#: a mistyped number is refused rather than run unbounded.
MAX_STEPS = 10**7
#: Widest hidden layer (and largest latent dimension) a GANConfig accepts.  The GANs here
#: are 1-D with width 16; a layer of width w holds w² weights per replication, so 4096
#: already means 64 MiB per layer and replication in float32 -- more than a block of
#: replications can train in useful time, and a wider one fails inside torch.
MAX_WIDTH = 4096


def _positive_int(name: str, value, minimum: int = 1, maximum: int | None = None) -> int:
    """``value`` as an int (numpy integers included, bools not) in [minimum, maximum]."""
    bound = "" if maximum is None else f" and <= {maximum:,}"
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Integral) \
            or value < minimum or (maximum is not None and value > maximum):
        raise ValueError(f"`{name}` must be an integer >= {minimum}{bound}, got {value!r}.")
    return int(value)


def _real(name: str, value):
    """``value`` unchanged when it is a real number (a numpy one as a Python float), else a
    TypeError naming ``name``: a string such as '0.001' is refused, not parsed."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise TypeError(f"`{name}` must be a number, got {type(value).__name__} {value!r}.")
    return float(value) if isinstance(value, np.generic) else value


def _nonnegative_float(name: str, value, *, upper: float | None = None) -> float:
    _real(name, value)
    try:
        out = float(value)
    except (TypeError, ValueError):
        out = math.nan
    if not math.isfinite(out) or out < 0 or (upper is not None and out >= upper):
        bound = f" and < {upper}" if upper is not None else ""
        raise ValueError(f"`{name}` must be a finite number >= 0{bound}, got {value!r}.")
    return out


def _positive_float(name: str, value, *, upper: float | None = None) -> float:
    _real(name, value)
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"`{name}` must be a positive number, got {value!r}.") from None
    if not math.isfinite(out) or out <= 0 or (upper is not None and out >= upper):
        bound = f" and < {upper}" if upper is not None else ""
        raise ValueError(f"`{name}` must be a finite number > 0{bound}, got {value!r}.")
    return out


@dataclass(frozen=True)
class GANConfig:
    """Architecture and training recipe of the GANs fitted to each replication.

    The defaults are the recipe chosen by the package's study of training recipes
    (``results/recipe``, ``python -m gansim recipe``): 2 hidden layers of width 16 with
    LeakyReLU(0.2) in both networks, latent dimension 4, the non-saturating generator loss, one
    discriminator step per generator step, each on all ``n`` real points against ``n`` fresh
    fakes, Adam with ``betas=(0.5, 0.999)`` and a learning rate decaying geometrically from
    ``lr`` to ``lr_final`` over ``steps``, and an exponential moving average (EMA) of the
    generator's weights started after ``ema_start * steps`` steps; draws come from the
    averaged generator.

    Parameters
    ----------
    steps : int
        Training steps (one discriminator and one generator update each), at most
        :data:`MAX_STEPS` (10^7).  Integer fields take numpy integers too; numeric fields
        refuse strings.
    latent_dim : int
        Dimension of the standard normal latent noise, at most :data:`MAX_WIDTH` (4096).
    g_hidden, d_hidden : tuple of int
        Hidden layer widths of the generator and the discriminator (at least one layer),
        each at most :data:`MAX_WIDTH` (4096).
    negative_slope : float
        Slope of LeakyReLU for negative inputs.
    lr, lr_final : float
        Learning rate at the first and at the last step (geometric decay between them);
        equal values give a constant rate.
    betas : tuple of float
        Adam's moment decay rates.
    eps : float
        Adam's denominator guard.
    loss : str
        The GAN game, one of :data:`GENERATOR_LOSSES` (see :mod:`gansim.gan.games`).
    d_steps : int
        Discriminator updates per generator update (k of Goodfellow et al.'s algorithm), each
        against fresh fakes; ``steps`` counts generator updates.
    label_smoothing : float
        One-sided label smoothing: the real points' target is ``1 - label_smoothing`` (the
        fakes' stays 0); in [0, 0.5).  Not defined for ``"wasserstein"``.
    lr_d : float or None
        The discriminator's learning rate at the first step, decaying by the same factor
        ``lr_final / lr`` as the generator's (a two time-scale rule); None uses ``lr``.
    gp_weight : float
        Weight λ of WGAN-GP's gradient penalty ``λ E(|D'(x̂)| - 1)²`` at interpolates
        ``x̂ = εx + (1 - ε)G(z)``, ε ~ U(0, 1); used by ``"wasserstein"`` only (> 0 there).
    gp_one_sided : bool
        Penalise only slopes above 1, ``λ E max(0, |D'(x̂)| - 1)²`` (Gulrajani et al.'s
        one-sided variant; Petzka et al. 2018).  With 1-D data the two-sided penalty has two
        wells, slopes -1 and +1, and a critic that starts with the wrong sign can stay
        trapped between them (results/losses/README.md).
    r1_weight : float
        Weight γ of the R1 penalty ``(γ/2) E D'(x)²`` on the real points (Mescheder et al.
        2018), added to D's loss of any game; 0 turns it off.
    fake_ratio : int
        Fakes per real point in each update (``fake_ratio * n`` noise draws per D and per G
        update).
    ema_decay : float or None
        Decay of the generator's weight average; ``None`` samples from the last weights.
    ema_start : float
        Fraction of ``steps`` after which averaging starts.  Averaging from step 0 keeps
        weight on the random initial weights and shrinks the GAN towards them (a bias that
        N(0, 1) hides), so it starts late by default.
    standardize : bool
        Train on ``(x - mean(x)) / sd(x)`` and map the draws back with the same affine map,
        which makes the fitted distribution location-scale equivariant.  On by default: the
        rest of the recipe is tuned to unit scale, and on raw N(5, 2²) data it gave GAN
        draws 9% too spread and a variance ratio of 1.15 against 1.01 standardised
        (``results/recipe/``).
    dtype : str
        ``"float32"`` (fast) or ``"float64"`` (for checks against other implementations).
    engine : str
        What trains the GANs: ``"fused"``, a C kernel compiled on first use that trains one
        replication at a time in cache (CPU, float32, no input-gradient penalty; the fastest
        on CPU, see benchmarks/), ``"torch"``, batched PyTorch (any device, dtype and game),
        or ``"auto"``, the fused engine where it applies and compiles, else PyTorch.  The
        engines compute the same training with different floating-point rounding, which GAN
        training amplifies: the same seed gives statistically equivalent, not identical,
        results on different engines, so the engine is part of a study's settings.
        ``"compiled"``: the batched PyTorch engine with each whole training step (the D
        update(s), the G update, both Adam updates, the weight average and the step's latent
        noise) compiled once by ``torch.compile`` -- on a GPU with
        ``mode="reduce-overhead"``, which replays the step as one CUDA graph, on the CPU in
        inductor's default mode (a C++ compiler needed); for large blocks on a GPU
        (``Study(block_size="auto")``), float32 or float64, ``noise="philox"``, the games
        without an input-gradient penalty (``engine="torch"`` trains those).  It computes
        the PyTorch engine's training to floating-point rounding.  ``"auto"`` never picks it.
    noise : str
        Where the latent noise comes from: ``"philox"`` (default), counter-based numbers
        computed from (replication's noise seed, step, draw, position) -- the same numbers on
        every engine, device, block and thread, generated inside the fused kernel and in bulk
        on a GPU (:mod:`gansim.gan.noise`); or ``"generator"``, one ``torch.Generator`` per
        replication drawn in sequence (the source of results published before the option
        existed; its numbers depend on the device's generator).  The two are different
        random numbers, equal in distribution.
    allow_tf32 : bool
        Let float32 matrix products on a CUDA GPU use TensorFloat-32 (10-bit mantissa
        inputs: faster, about 1e-3 relative error).  Off by default: training and sampling
        run with full-float32 matrix products (:func:`gansim.gan.engine.float32_matmuls`)
        whatever the process's setting, which is restored afterwards.  No effect on the CPU.

    Examples
    --------
    >>> cfg = GANConfig(steps=500)
    >>> cfg.lr_at(0), round(cfg.lr_at(499), 6)
    (0.001, 0.0001)
    >>> GANConfig(steps=0)
    Traceback (most recent call last):
    ...
    ValueError: `steps` must be an integer >= 1 and <= 10,000,000, got 0.
    """

    steps: int = 2000
    latent_dim: int = 4
    g_hidden: tuple[int, ...] = (16, 16)
    d_hidden: tuple[int, ...] = (16, 16)
    negative_slope: float = 0.2
    lr: float = 1e-3
    lr_final: float = 1e-4
    betas: tuple[float, float] = (0.5, 0.999)
    eps: float = 1e-8
    loss: str = "nonsaturating"
    d_steps: int = 1
    label_smoothing: float = 0.0
    lr_d: float | None = None
    gp_weight: float = 10.0
    gp_one_sided: bool = False
    r1_weight: float = 0.0
    fake_ratio: int = 1
    ema_decay: float | None = 0.998
    ema_start: float = 0.5
    standardize: bool = True
    dtype: str = "float32"
    engine: str = "auto"
    noise: str = "philox"
    allow_tf32: bool = False

    def __post_init__(self):
        for name in ("gp_one_sided", "standardize", "allow_tf32"):
            # A string such as 'no' is truthy: only a real bool says what was meant.
            value = getattr(self, name)
            if not isinstance(value, bool | np.bool_):
                raise TypeError(f"`{name}` must be True or False, got {value!r}.")
            object.__setattr__(self, name, bool(value))
        set_ = partial(object.__setattr__, self)
        set_("steps", _positive_int("steps", self.steps, maximum=MAX_STEPS))
        set_("latent_dim", _positive_int("latent_dim", self.latent_dim, maximum=MAX_WIDTH))
        for name in ("g_hidden", "d_hidden"):
            widths = getattr(self, name)
            if isinstance(widths, numbers.Integral):
                widths = (widths,)
            try:
                widths = tuple(widths)
            except TypeError:
                raise ValueError(f"`{name}` must be a tuple of integers >= 1.") from None
            if not widths:
                raise ValueError(f"`{name}` must have at least one hidden layer.")
            set_(name, tuple(_positive_int(f"{name}", w, maximum=MAX_WIDTH) for w in widths))
        for name in ("negative_slope", "lr", "lr_final", "eps", "ema_start"):
            set_(name, _real(name, getattr(self, name)))
        for name in ("lr_d", "ema_decay"):
            if getattr(self, name) is not None:
                set_(name, _real(name, getattr(self, name)))
        slope = float(self.negative_slope)
        if not (0.0 <= slope < 1.0):
            raise ValueError(f"`negative_slope` must be in [0, 1), got {self.negative_slope!r}.")
        _positive_float("lr", self.lr)
        _positive_float("lr_final", self.lr_final)
        betas = self.betas
        if isinstance(betas, str) or not hasattr(betas, "__len__") or len(betas) != 2 or not all(
                isinstance(b, numbers.Real) and not isinstance(b, bool | np.bool_)
                and 0.0 <= float(b) < 1.0 for b in betas):
            raise ValueError(f"`betas` must be two numbers in [0, 1), got {betas!r}.")
        set_("betas", (float(betas[0]), float(betas[1])))
        _positive_float("eps", self.eps)
        if self.loss not in GENERATOR_LOSSES:
            raise ValueError(f"`loss` must be one of {GENERATOR_LOSSES}, got {self.loss!r}.")
        set_("d_steps", _positive_int("d_steps", self.d_steps))
        set_("fake_ratio", _positive_int("fake_ratio", self.fake_ratio))
        smoothing = _nonnegative_float("label_smoothing", self.label_smoothing, upper=0.5)
        if smoothing > 0 and self.loss == "wasserstein":
            raise ValueError("`label_smoothing` must be 0 with loss 'wasserstein' (a critic has "
                             "no labels).")
        if self.lr_d is not None:
            _positive_float("lr_d", self.lr_d)
        gp = _nonnegative_float("gp_weight", self.gp_weight)
        if self.loss == "wasserstein" and gp == 0:
            raise ValueError("`gp_weight` must be > 0 with loss 'wasserstein': without the "
                             "penalty the critic is unbounded.")
        r1 = _nonnegative_float("r1_weight", self.r1_weight)
        for name, value in (("label_smoothing", smoothing), ("gp_weight", gp),
                            ("r1_weight", r1)):
            object.__setattr__(self, name, value)
        if self.lr_d is not None:
            object.__setattr__(self, "lr_d", float(self.lr_d))
        if self.ema_decay is not None:
            _positive_float("ema_decay", self.ema_decay, upper=1.0)
        if not (0.0 <= float(self.ema_start) < 1.0):
            raise ValueError(f"`ema_start` must be a fraction in [0, 1), got {self.ema_start!r}.")
        if self.dtype not in ("float32", "float64"):
            raise ValueError(f"`dtype` must be 'float32' or 'float64', got {self.dtype!r}.")
        if self.engine not in ENGINES:
            raise ValueError(f"`engine` must be one of {ENGINES}, got {self.engine!r}.")
        if self.noise not in NOISES:
            raise ValueError(f"`noise` must be one of {NOISES}, got {self.noise!r}.")

    def lr_at(self, step: int) -> float:
        """Learning rate at ``step`` (0-based): geometric from ``lr`` to ``lr_final``."""
        if self.steps == 1:
            return self.lr
        return self.lr * (self.lr_final / self.lr) ** (step / (self.steps - 1))

    def lr_d_at(self, step: int) -> float:
        """The discriminator's learning rate at ``step``: ``lr_at(step)`` unless ``lr_d``."""
        if self.lr_d is None:
            return self.lr_at(step)
        if self.steps == 1:
            return self.lr_d
        return self.lr_d * (self.lr_final / self.lr) ** (step / (self.steps - 1))

    @property
    def g_sizes(self) -> tuple[int, ...]:
        """Layer sizes of the generator: latent noise, hidden widths, one output."""
        return (self.latent_dim, *self.g_hidden, 1)

    @property
    def d_sizes(self) -> tuple[int, ...]:
        """Layer sizes of the discriminator: one input, hidden widths, one output."""
        return (1, *self.d_hidden, 1)

    @property
    def needs_input_gradients(self) -> bool:
        """Whether D's loss has a penalty on D's input gradient (second derivatives)."""
        return self.loss == "wasserstein" or self.r1_weight > 0

    @property
    def ema_first_step(self) -> int | None:
        """First step (0-based) after which the average is updated; None without EMA."""
        if self.ema_decay is None:
            return None
        return int(self.ema_start * self.steps)

    def to_dict(self) -> dict:
        """Plain JSON-able settings (for run records and resume checks)."""
        out = asdict(self)
        out["g_hidden"] = list(self.g_hidden)
        out["d_hidden"] = list(self.d_hidden)
        out["betas"] = list(self.betas)
        for name, default in _LATER_DEFAULTS.items():
            if out[name] == default:
                del out[name]
        return out
