"""The GAN games by name: each loss's values and their derivatives in the discriminator's output.

A loss says what the discriminator D and the generator G minimise, as functions of D's raw
output ``o`` (a logit for the cross-entropy games, a real-valued score otherwise):

- ``nonsaturating``: D on a real point ``-y log σ(o) - (1-y) log(1-σ(o))``, on a fake
  ``-log(1-σ(o))``; G on a fake ``-log σ(o)``.  At ``p_g = p_data``, ``σ(o) = y/2``.
- ``minimax``: D as above; G ``log(1 - σ(o))``.  At equilibrium ``σ(o) = y/2``.
- ``least-squares``: D ``½(o - y)²`` on a real point, ``½ o²`` on a fake; G ``½(o - 1)²``.
  At equilibrium ``o = y/2``.
- ``wasserstein``: D ``-o`` on a real point, ``o`` on a fake, plus the gradient penalty;
  G ``-o``.  No equilibrium level of ``o`` (only ``E D(x) - E D(G(z)) = 0``).

``y`` is the real points' target, 1 or ``1 - label_smoothing`` (one-sided smoothing: the
fakes' target stays 0).  D's loss is the mean over the real points plus the mean over the
fakes; every loss is *summed* over a block's replications by the engine.

- ``nonsaturating`` (Goodfellow et al. 2014, section 3): the generator maximises
  ``log D(G(z))``, which keeps strong gradients while D rejects the fakes.
- ``minimax``: the value function ``V(D, G) = E log D(x) + E log(1 - D(G(z)))`` itself; its
  derivative ``-σ(o)`` vanishes as D grows confident (``o -> -inf``) -- the saturation the
  non-saturating loss avoids.
- ``least-squares`` (LSGAN, Mao et al. 2017, with ``a = 0, b = c = 1``): D's optimum is
  ``(b p_data + a p_g) / (p_data + p_g) = p_data / (p_data + p_g)``, as for cross-entropy.
- ``wasserstein`` with gradient penalty (WGAN-GP, Gulrajani et al. 2017): the critic has no
  sigmoid; ``E D(x) - E D(G(z))`` estimates the Wasserstein-1 distance when D is 1-Lipschitz,
  which the penalty ``λ E (|D'(x̂)| - 1)²`` at random interpolates ``x̂`` encourages.

The *value* reported per replication is minus D's loss without penalties: ``V(D, G)`` for the
cross-entropy games (``-log 4`` at equilibrium), ``-[½E(D(x)-1)² + ½E D(G(z))²]`` for
least squares (``-1/4``), ``E D(x) - E D(G(z))`` for Wasserstein (0).

The engine uses the closed-form derivatives (``*_grad``); :mod:`gansim.gan.reference`
differentiates the values with autograd, so the equivalence tests check one against the other.

Examples
--------
>>> import torch
>>> loss = LOSSES["nonsaturating"]
>>> o = torch.tensor([0.0], dtype=torch.float64)
>>> float(loss.g_value(o)), float(loss.g_grad(o, 1))   # -log ½ and σ(0) - 1
(0.6931471805599453, -0.5)
>>> sorted(LOSSES)
['least-squares', 'minimax', 'nonsaturating', 'wasserstein']
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch.nn.functional import softplus

__all__ = ["Loss", "LOSSES", "get_loss"]


@dataclass(frozen=True)
class Loss:
    """One GAN game: the losses of D and G in D's raw output, their derivatives, and the
    equilibrium levels of the diagnostics.

    Attributes
    ----------
    name : str
    kind : str
        ``"bce"`` (logit output, D's loss the binary cross-entropy), ``"ls"`` or ``"w"``.
    generator : str
        ``"nonsaturating"``, ``"minimax"``, ``"ls"`` or ``"w"``.
    value_at_equilibrium : float
        The reported value (minus D's loss without penalties) at ``p_g = p_data`` and the
        optimal D, without label smoothing.
    """

    name: str
    kind: str
    generator: str
    value_at_equilibrium: float

    # -- values (elementwise, for the reference loop, traces and diagnostics) -------------
    def real_value(self, o: torch.Tensor, target: float = 1.0) -> torch.Tensor:
        """D's loss on a real point with output ``o``."""
        if self.kind == "bce":
            return target * softplus(-o) + (1.0 - target) * softplus(o)
        if self.kind == "ls":
            return 0.5 * (o - target) ** 2
        return -o

    def fake_value(self, o: torch.Tensor) -> torch.Tensor:
        """D's loss on a generated point with output ``o`` (target 0)."""
        if self.kind == "bce":
            return softplus(o)
        if self.kind == "ls":
            return 0.5 * o ** 2
        return o

    def g_value(self, o: torch.Tensor) -> torch.Tensor:
        """G's loss on a generated point with D's output ``o``."""
        if self.generator == "nonsaturating":
            return softplus(-o)  # -log σ(o)
        if self.generator == "minimax":
            return -softplus(o)  # log(1 - σ(o))
        if self.generator == "ls":
            return 0.5 * (o - 1.0) ** 2
        return -o

    def d_value(self, o_real: torch.Tensor, o_fake: torch.Tensor,
                target: float = 1.0) -> torch.Tensor:
        """D's loss without penalties: mean over the real points plus mean over the fakes
        (over the second-to-last axis: shape (R, N, 1) gives (R, 1))."""
        return (self.real_value(o_real, target).mean(-2)
                + self.fake_value(o_fake).mean(-2))

    def prob(self, o: torch.Tensor) -> torch.Tensor | None:
        """D's output on the probability scale (½ at equilibrium); None for a critic."""
        if self.kind == "bce":
            return torch.sigmoid(o)
        if self.kind == "ls":
            return o
        return None

    # -- derivatives (closed forms, used by the batched engine) --------------------------
    def d_grad(self, out: torch.Tensor, n_real: int, target: float = 1.0) -> torch.Tensor:
        """Derivative of D's loss in ``out = cat(real outputs, fake outputs)`` along axis 1,
        for one replication per row (a new tensor)."""
        n_fake = out.shape[1] - n_real
        if self.kind == "bce":
            # d/do softplus(-o) = σ(o) - 1 for the real points, d/do softplus(o) = σ(o).
            d = torch.sigmoid(out)
            d[:, :n_real] -= target
        elif self.kind == "ls":
            d = out.clone()
            d[:, :n_real] -= target
        else:
            d = torch.empty_like(out)
            d[:, :n_real] = -1.0
            d[:, n_real:] = 1.0
        if n_fake == n_real:
            d.mul_(1.0 / n_real)
        else:
            d[:, :n_real] *= 1.0 / n_real
            d[:, n_real:] *= 1.0 / n_fake
        return d

    def g_grad(self, out: torch.Tensor, n_fake: int) -> torch.Tensor:
        """Derivative of G's mean loss over ``n_fake`` fakes in their D outputs ``out``."""
        if self.generator == "nonsaturating":
            return torch.sigmoid(out).sub_(1.0).mul_(1.0 / n_fake)
        if self.generator == "minimax":
            # d/do log(1 - σ(o)) = -σ(o): vanishes when D rejects the fakes.
            return torch.sigmoid(out).mul_(-1.0 / n_fake)
        if self.generator == "ls":
            return (out - 1.0).mul_(1.0 / n_fake)
        return torch.full_like(out, -1.0 / n_fake)


#: Every loss by name (``GANConfig(loss=...)``).
LOSSES: dict[str, Loss] = {
    "nonsaturating": Loss("nonsaturating", "bce", "nonsaturating", -math.log(4.0)),
    "minimax": Loss("minimax", "bce", "minimax", -math.log(4.0)),
    "least-squares": Loss("least-squares", "ls", "ls", -0.25),
    "wasserstein": Loss("wasserstein", "w", "w", 0.0),
}


def get_loss(name: str) -> Loss:
    """The loss called ``name``; a ValueError naming the known ones otherwise."""
    try:
        return LOSSES[name]
    except (KeyError, TypeError):
        raise ValueError(f"`loss` must be one of {tuple(LOSSES)}, got {name!r}.") from None
