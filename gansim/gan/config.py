"""Settings of a small 1-D GAN and its training, validated in one place."""

from __future__ import annotations

import numbers
from dataclasses import asdict, dataclass, replace
from typing import ClassVar

import numpy as np

from gansim._validation import (
    AnyOf,
    Boolean,
    Constraint,
    Integer,
    InvalidParameterError,
    NoneOr,
    Options,
    Real,
)
from gansim.gan.games import LOSSES

__all__ = ["GANConfig", "GENERATOR_LOSSES", "ENGINES", "LATENTS", "MAX_COMPONENTS",
           "MAX_STEPS", "MAX_TAIL", "MAX_WIDTH", "NOISES", "check_device"]

#: Names of the GAN games known to the engine, in :data:`gansim.gan.games.LOSSES` (the
#: registry, with each game's losses and derivatives): ``"nonsaturating"`` (the default),
#: ``"minimax"``, ``"least-squares"`` and ``"wasserstein"`` (WGAN-GP).
GENERATOR_LOSSES = tuple(LOSSES)

#: Options added after the first published results, with the defaults that reproduce them.
#: :meth:`GANConfig.to_dict` leaves them out while they keep these values, so the settings
#: records (and resumable blocks) of earlier runs still match.
_LATER_DEFAULTS = {"d_steps": 1, "label_smoothing": 0.0, "lr_d": None, "gp_weight": 10.0,
                   "gp_one_sided": False, "r1_weight": 0.0, "fake_ratio": 1,
                   "engine": "torch", "noise": "generator", "allow_tf32": False,
                   "latent": "normal", "latent_tail": "hill", "latent_components": 1,
                   "latent_separation": 6.0, "steps_power": 0.0, "width_power": 0.0,
                   "budget_n0": 100}
#: The training engines (``GANConfig(engine=...)``).
ENGINES = ("auto", "fused", "torch", "compiled")
#: The sources of latent noise (``GANConfig(noise=...)``).
NOISES = ("philox", "generator")
#: The marginal distributions of the latent noise's coordinates (``GANConfig(latent=...)``).
LATENTS = ("normal", "pareto")
#: Most mixture components of the latent (``GANConfig(latent_components=...)``).
MAX_COMPONENTS = 64
#: Largest fixed tail index of the Pareto latent: beyond it the latent is Laplace to float32
#: resolution.
MAX_TAIL = 1000.0


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


class Widths(Constraint):
    """Hidden-layer widths: an integer or a non-empty sequence of integers in
    [1, :data:`MAX_WIDTH`], as a tuple."""

    def describe(self) -> str:
        return f"a non-empty tuple of integers in [1, {MAX_WIDTH}]"

    def check(self, value, name: str) -> tuple[int, ...]:
        if isinstance(value, numbers.Integral) and not isinstance(value, bool | np.bool_):
            value = (value,)
        if isinstance(value, str) or not hasattr(value, "__iter__"):
            self._fail(value, name)
        widths = tuple(value)
        if not widths:
            self._fail(value, name)
        width = Integer(1, MAX_WIDTH)
        return tuple(width.check(w, name) for w in widths)

    def invalid(self) -> list:
        return [(), (0,), (16, MAX_WIDTH + 1), "16", 16.0]

    def valid(self) -> tuple[int, ...]:
        return (8,)


class Betas(Constraint):
    """Adam's two decay rates, each in [0, 1)."""

    def describe(self) -> str:
        return "two numbers in [0, 1)"

    def check(self, value, name: str) -> tuple[float, float]:
        if isinstance(value, str) or not hasattr(value, "__len__") or len(value) != 2:
            self._fail(value, name)
        rate = Real(0, 1, closed="left")
        try:
            return (rate.check(value[0], name), rate.check(value[1], name))
        except InvalidParameterError:
            self._fail(value, name)

    def invalid(self) -> list:
        return [(0.5,), (0.5, 1.0), (-0.1, 0.9), "ab", 0.5]

    def valid(self) -> tuple[float, float]:
        return (0.5, 0.999)


#: Every field's constraint, checked in this order by ``GANConfig`` (then the checks that
#: involve two fields).
CONSTRAINTS = {
    "steps": Integer(1, MAX_STEPS),
    "g_hidden": Widths(),
    "d_hidden": Widths(),
    "latent_dim": Integer(1, MAX_WIDTH),
    "negative_slope": Real(0, 1, closed="left"),
    "lr": Real(0, closed="neither"),
    "lr_final": Real(0, closed="neither"),
    "betas": Betas(),
    "eps": Real(0, closed="neither"),
    "ema_start": Real(0, 1, closed="left"),
    "ema_decay": NoneOr(Real(0, 1, closed="neither")),
    "standardize": Boolean(),
    "loss": Options(*GENERATOR_LOSSES),
    "d_steps": Integer(1),
    "label_smoothing": Real(0, 0.5, closed="left"),
    "lr_d": NoneOr(Real(0, closed="neither")),
    "gp_weight": Real(0),
    "gp_one_sided": Boolean(),
    "r1_weight": Real(0),
    "fake_ratio": Integer(1),
    "dtype": Options("float32", "float64"),
    "engine": Options(*ENGINES),
    "noise": Options(*NOISES),
    "allow_tf32": Boolean(),
    "latent": Options(*LATENTS),
    "latent_tail": AnyOf(Options("hill"), Real(0, MAX_TAIL, closed="right")),
    "latent_components": Integer(1, MAX_COMPONENTS),
    "latent_separation": Real(0, closed="neither"),
    "steps_power": Real(0, 2),
    "width_power": Real(0, 2),
    "budget_n0": Integer(2),
}


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
    latent : str
        The marginal distribution of each latent coordinate: ``"normal"`` (default) or
        ``"pareto"``, the symmetric generalized Pareto distribution with tail index α
        (``latent_tail``): ``z = ±α(U^(-1/α) - 1)``, U uniform on (0, 1] and the sign a fair
        coin, so ``P(|z| > x) = (1 + x/α)^(-α)`` -- heavy tailed with index α, and Laplace in
        the limit α → ∞.  A LeakyReLU network is Lipschitz, so a normal latent gives draws
        with normal-like tails whatever the training (Jaini et al., "Tails of Lipschitz
        triangular flows", ICML 2020); a latent with tail index α lets the generator reach
        a tail of index α (the Pareto GAN of Huster et al., ICML 2021).  The inverse cdf
        is closed form, so the numbers stay counter-based: one Philox word per coordinate
        (:mod:`gansim.gan.noise`), the same on every engine.  Needs ``noise="philox"``.
    latent_tail : float or "hill"
        The Pareto latent's tail index α: a number in (0, :data:`MAX_TAIL`], or ``"hill"``
        (default): estimated from each replication's standardised data by Hill's estimator
        on the k = ⌈√n⌉ largest of ``|x_i - x̄| / s`` (both tails pooled, as the latent is
        symmetric), clipped to [1, 50] (below 1 the latent has no mean and its largest
        float32 draws exceed 10^7; above 50 it is Laplace to float32 resolution);
        :func:`gansim.gan.latent.latent_tails`, and each replication's value in
        :attr:`gansim.gan.train.GANBlock.latent_tails`.  Used with ``latent="pareto"`` only.
    latent_components : int
        K: the latent is an equal-weight mixture of K copies of the ``latent`` distribution,
        component k shifted by ``latent_separation * (k - (K - 1) / 2)`` along the first
        coordinate (1, the default: no mixture).  A continuous generator maps a connected
        latent onto a connected set, so it must put mass in the gap between two modes; a
        latent made of well-separated pieces lets it leave the gap empty (DeLiGAN,
        Gurumurthy et al., CVPR 2017, which learns the components' means and scales).
        Here the weights are fixed and equal and the means fixed, so the mixture adds no
        parameter to train and no gradient path through the latent: the generator itself
        learns where each piece goes and how much of the data it covers (with K pieces of
        mass 1/K each, a data mode of mass 1/2 takes a whole number of them when K is even).
        The component index comes from one more Philox word per draw.
    latent_separation : float
        Distance between neighbouring components' centres in latent standard deviations
        (default 6: the normal mixture's density midway between two centres is
        e^(-4.5) = 1% of its peak).
    steps_power, width_power : float
        A training budget that grows with the sample size: a study trains on n points with
        ``steps * (n / budget_n0)^steps_power`` steps and hidden widths
        ``w * (n / budget_n0)^width_power`` (rounded, at least 1; both networks), see
        :meth:`at_n`.  0 (default): the same budget at every n.  In [0, 2].
    budget_n0 : int
        The sample size at which the budget is ``steps`` and the given widths.

    Examples
    --------
    >>> cfg = GANConfig(steps=500)
    >>> cfg.lr_at(0), round(cfg.lr_at(499), 6)
    (0.001, 0.0001)
    >>> GANConfig(steps=0)
    Traceback (most recent call last):
    ...
    gansim._validation.InvalidParameterError: `steps` must be an integer in [1, 10,000,000], got 0.
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
    latent: str = "normal"
    latent_tail: float | str = "hill"
    latent_components: int = 1
    latent_separation: float = 6.0
    steps_power: float = 0.0
    width_power: float = 0.0
    budget_n0: int = 100

    #: The declared constraint of every field (:data:`CONSTRAINTS`).
    __gansim_constraints__: ClassVar[dict] = CONSTRAINTS

    def __post_init__(self):
        for name, constraint in CONSTRAINTS.items():
            object.__setattr__(self, name, constraint.check(getattr(self, name), name))
        if self.label_smoothing > 0 and self.loss == "wasserstein":
            raise InvalidParameterError("`label_smoothing` must be 0 with loss 'wasserstein' (a "
                                        "critic has no labels).")
        if self.loss == "wasserstein" and self.gp_weight == 0:
            raise InvalidParameterError("`gp_weight` must be > 0 with loss 'wasserstein': "
                                        "without the penalty the critic is unbounded.")
        if self.noise != "philox" and not self.normal_latent:
            raise InvalidParameterError("`latent` 'pareto' and `latent_components` > 1 need "
                                        "noise='philox' (their numbers are counter-based).")

    @property
    def normal_latent(self) -> bool:
        """Whether the latent is the standard normal one (``latent="normal"``, one
        component)."""
        return self.latent == "normal" and self.latent_components == 1

    @property
    def grows(self) -> bool:
        """Whether the training budget grows with n (``steps_power`` or ``width_power``)."""
        return self.steps_power > 0 or self.width_power > 0

    def at_n(self, n: int) -> GANConfig:
        """The config that trains on ``n`` points: ``steps`` and every hidden width scaled
        by ``(n / budget_n0)`` to ``steps_power`` and ``width_power`` (rounded, at least 1,
        at most :data:`MAX_STEPS` and :data:`MAX_WIDTH`), with the powers then 0; the config
        itself when its budget does not grow.

        Examples
        --------
        >>> cfg = GANConfig(steps=2000, steps_power=0.5, width_power=0.25)
        >>> big = cfg.at_n(1600)
        >>> big.steps, big.g_hidden, big.grows
        (8000, (32, 32), False)
        """
        n = Integer(2).check(n, "n")
        if not self.grows:
            return self
        ratio = n / self.budget_n0

        def scaled(value, power, top):
            return int(min(top, max(1, round(value * ratio ** power))))

        widths = {name: tuple(scaled(w, self.width_power, MAX_WIDTH)
                              for w in getattr(self, name)) for name in ("g_hidden", "d_hidden")}
        return replace(self, steps=scaled(self.steps, self.steps_power, MAX_STEPS),
                       steps_power=0.0, width_power=0.0, budget_n0=100, **widths)

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
