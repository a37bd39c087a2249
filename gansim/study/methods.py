"""Distribution estimators behind one interface: the GAN and its competitors.

A :class:`Method` turns a block of data sets (one row of n points per replication) into a
:class:`Fitted` block of distribution estimates, which can be sampled (``sample(m)``, each
replication from its own random stream) and, where it has a closed form, evaluated
(``cdf(x)``).  The methods, by registry name (:data:`METHODS`):

========== ==========================================================================
ecdf        the empirical cdf F_n, evaluated exactly on its n atoms (no draws)
bootstrap   m draws from F_n (resampling the data with replacement)
smoothed    the smoothed bootstrap: m draws from a Gaussian kernel density estimate,
            ``x_J + h Z``; bandwidth rule ``"nrd0"`` (default), ``"normal"``, ``"cdf"`` or a
            number; ``shrink=True`` rescales the draws to the variance of F_n
parametric  m draws from the plug-in N(x̄, s²), s with divisor n - 1
gan         m draws from a GAN trained on the n points (:func:`gansim.gan.engine.train_gans`)
oracle      m draws F^{-1}(U) from the true distribution (inverse transform; a reference
            showing the distance floor of m draws, not an estimator)
========== ==========================================================================

What a study asks of a method (:meth:`Method.analyse_block`): a block of replications
(:class:`gansim.study.analysis.Block`) in, one row per (replication, quantity) out
(:class:`gansim.study.analysis.Outcome`), each failure its replication's or its quantity's own.
The default fits the block at once and, when that raises, replication by replication; the
GAN trains its block as one computation and records each diagnostic alone; a plain function
(:class:`FunctionMethod`) runs per replication.  :meth:`Method.prepare` resolves, where the
study is declared, what a worker must resolve alike (:meth:`Method.check_prepared`);
:meth:`Method.notes` says what a method skips for a DGP.  A method of one's own subclasses
:class:`Method` with a ``name`` and ``_fit`` returning a :class:`Fitted`.

Randomness.  Replication r's draws for the method labelled L come from the child
``SeedSequence(draws.entropy, spawn_key=draws.spawn_key + (crc32(L),))`` of its ``draws``
stream, so every method has its own independent stream and adding a method changes no
other method's numbers.  The GAN's initial weights and training noise come from the
replication's ``init`` and ``noise`` streams, as in the proof of concept.
"""

from __future__ import annotations

import zlib
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
import torch
from scipy import special

from gansim._validation import (
    AnyOf,
    Boolean,
    Constraint,
    Integer,
    Options,
    Real,
    as_float_array,
)
from gansim.gan.config import GANConfig
from gansim.gan.diagnostics import binned_jsd, collapsed, equilibrium
from gansim.gan.engine import train_gans
from gansim.rng import ReplicationStreams, torch_generator
from gansim.study.analysis import Block, Outcome, filler
from gansim.study.dgp import DGP
from gansim.study.distances import ks_distance_batch
from gansim.study.identity import callable_id, object_id
from gansim.study.runner import ERROR

__all__ = [
    "BANDWIDTH_RULES",
    "CDF_RULE_CONSTANT",
    "GAN",
    "METHODS",
    "Bootstrap",
    "EmpiricalCDF",
    "Fitted",
    "FunctionMethod",
    "Method",
    "as_method",
    "callable_id",
    "Oracle",
    "Parametric",
    "SmoothedBootstrap",
    "bandwidth",
    "make_method",
    "method_seed",
]

#: Bandwidth rules of the smoothed bootstrap, h as a function of the sd s, IQR and n.
BANDWIDTH_RULES = {
    "nrd0": "0.9 min(s, IQR/1.34) n^(-1/5): Silverman (1986, eq. 3.31), R's default bw.nrd0",
    "normal": "(4/3)^(1/5) s n^(-1/5) ≈ 1.06 s n^(-1/5): the normal reference rule (Silverman "
              "1986, eq. 3.28), scipy's gaussian_kde(bw_method='silverman') in 1-D",
    "cdf": "4^(1/3) min(s, IQR/1.34) n^(-1/3) ≈ 1.587 σ̂ n^(-1/3): the normal reference rule of "
           "the kernel distribution function estimator, the minimiser of its asymptotic MISE "
           "(ψ_K / (n R(f')))^(1/3) with ψ_K = 2∫u K(u) 𝒦(u) du = 1/√π for the Gaussian "
           "kernel and R(f') = 1/(4√π σ³) for N(μ, σ²) ('A note on the estimation of a "
           "distribution function and quantiles by a kernel method'; 'Bandwidth selection for "
           "kernel distribution function estimation'); σ̂ as in nrd0",
}

#: Constant of the "cdf" rule: (ψ_K / R(f'))^(1/3) σ^-1 = (4)^(1/3) for a Gaussian kernel and
#: a normal reference (derivation in BANDWIDTH_RULES["cdf"]; checked by quadrature in the tests).
CDF_RULE_CONSTANT = 4.0 ** (1 / 3)

# Default of Method(stream=...): the method's label.
_LABEL = object()

# Open unit interval for the inverse transform: (j + 1/2) / 2^53, j uniform on 0..2^53-1,
# never 0 or 1, where a quantile function returns -inf or inf.
_U_BITS = 53


def method_seed(streams: ReplicationStreams, label: str | None) -> np.random.SeedSequence:
    """The seed of the draws of the method labelled ``label`` in one replication.

    ``label=None`` gives the replication's ``draws`` stream itself (see ``Method(stream=)``).

    Examples
    --------
    >>> from gansim.rng import replication_streams
    >>> s = replication_streams(1, rep=0)
    >>> a, b = method_seed(s, "gan"), method_seed(s, "bootstrap")
    >>> a.spawn_key[-1] != b.spawn_key[-1]
    True
    """
    d = streams.draws
    if label is None:
        return d
    return np.random.SeedSequence(d.entropy, spawn_key=(*d.spawn_key, zlib.crc32(label.encode())))


def bandwidth(data: Any, rule: str | float = "nrd0") -> np.ndarray:
    """Kernel bandwidth h of each row of ``data`` by ``rule``.

    Parameters
    ----------
    data : array_like
        2-D array ``(R, n)``, n >= 2.
    rule : str or float
        A key of :data:`BANDWIDTH_RULES`, or a fixed h > 0.

    Returns
    -------
    numpy.ndarray
        Shape ``(R,)``.

    Examples
    --------
    >>> x = np.array([[0.0, 1.0, 2.0, 3.0, 10.0]])
    >>> s, iqr = x.std(ddof=1), 2.0
    >>> bool(np.isclose(bandwidth(x)[0], 0.9 * min(s, iqr / 1.34) * 5 ** -0.2))
    True
    """
    x = _data_iv(data)
    rule = _rule_iv(rule)
    return _bandwidth(x, rule)


class Fitted(ABC):
    """Distribution estimates of a block of replications, row r for replication r.

    Attributes
    ----------
    R : int
        Number of replications in the block.
    """

    R: int

    @abstractmethod
    def sample(self, m: int) -> np.ndarray:
        """``m`` draws per replication, float64 ``(R, m)``; repeated calls continue the
        streams."""

    def cdf(self, x: Any) -> np.ndarray:
        """The estimated cdf at ``x`` (shape ``(R, k)`` or ``(k,)`` for all rows), ``(R, k)``."""
        raise NotImplementedError(
            f"{type(self).__name__} has no closed-form cdf; use the empirical cdf of its draws."
        )

    def diagnostics(self, data: np.ndarray, draws: np.ndarray, dgp: Any) -> dict[str, np.ndarray]:
        """Per-replication diagnostics of the fit, name -> ``(R,)`` array (none by default).

        ``data`` are the ``(R, n)`` data fitted, ``draws`` the ``(R, m)`` draws a study took.
        """
        return {}


class Method(ABC):
    """A distribution estimator applied to each replication of a block.

    Parameters
    ----------
    label : str, optional
        Name in result tables and of the method's random stream; defaults to :attr:`name`.
        Two methods of one study must have different labels.
    stream : str or None, optional
        Name of the random stream of the method's draws; defaults to the label, so every
        method draws independently and adding a method changes no other method's numbers.
        Methods given the same ``stream`` draw with common random numbers.  ``None`` draws
        from the replication's ``draws`` stream itself, as the proof-of-concept, losses and
        recipe studies did before methods had streams of their own (kept so that their
        committed results reproduce).

    Attributes
    ----------
    name : str
        Registry key of the method.
    uses_draws : bool
        True when a study computes functionals and distances on m draws; False for the
        empirical cdf, whose functionals and distances are computed exactly on its atoms.
    """

    name: ClassVar[str]
    uses_draws: ClassVar[bool] = True

    def __init__(self, *, label: str | None = None, stream: str | None = _LABEL):
        self.label = _label_iv(self.name if label is None else label)
        self.stream = self.label if stream is _LABEL else (
            None if stream is None else _label_iv(stream, "stream"))

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.settings().items() if k != "method")
        return f"{type(self).__name__}({args})"

    def settings(self) -> dict:
        """JSON-able settings that determine the method's results.

        For a method class defined outside gansim, also its class (``module.qualname`` and
        a hash of its source) and its public attributes (:func:`gansim.study.identity.object_id`),
        so that a rerun resumes only while they are unchanged.
        """
        out = {"method": self.name, "label": self.label}
        if self.stream != self.label:
            out["stream"] = self.stream
        cls = type(self)
        if not cls.__module__.startswith("gansim."):
            out["class"] = callable_id(cls)
            out["attributes"] = {k: object_id(v) for k, v in sorted(vars(self).items())
                                 if not k.startswith("_") and k not in ("label", "stream")}
        return out

    def fit(self, data: Any, streams: Sequence[ReplicationStreams], *, dgp: DGP | None = None,
            device: str = "cpu") -> Fitted:
        """Fit the method to each row of ``data``.

        Parameters
        ----------
        data : array_like
            2-D ``(R, n)``, one replication's data per row, finite, n >= 2.
        streams : sequence of ReplicationStreams
            The R replications' streams (:func:`gansim.rng.replication_streams`).
        dgp : DGP, optional
            The truth; only the oracle uses it.
        device : str
            Torch device of the GAN: ``"cpu"``, ``"cuda"`` or ``"cuda:<index>"`` (checked
            by :func:`gansim.gan.config.check_device`); the other methods run on the CPU.

        Returns
        -------
        Fitted
        """
        from gansim.gan.config import check_device

        x = _data_iv(data)
        streams = _streams_iv(streams, x.shape[0])
        return self._fit(x, streams, dgp=dgp, device=check_device(device))

    def points(self, data: Any, streams: Sequence[ReplicationStreams], *, m: int,
               dgp: DGP | None = None, device: str = "cpu") -> np.ndarray:
        """The sample representing each replication's estimate in a study: m draws, or the
        n data points for the empirical cdf (:attr:`uses_draws` False)."""
        m = _m_iv(m)
        fitted = self.fit(data, streams, dgp=dgp, device=device)
        if not self.uses_draws:
            return np.array(data, dtype=np.float64)
        return fitted.sample(m)

    @abstractmethod
    def _fit(self, x: np.ndarray, streams: list[ReplicationStreams], *, dgp, device) -> Fitted:
        """Fit on validated data."""

    def _rngs(self, streams) -> list[np.random.Generator]:
        return [np.random.default_rng(method_seed(s, self.stream)) for s in streams]

    # -- what a study asks of a method -----------------------------------------------------

    def prepare(self, device: str) -> dict:
        """What the method resolves where a study is declared (JSON-able; none by default).

        A study records it in its settings (a GAN's engine, say), so that a resume, or a
        worker, where it would resolve differently is refused rather than mixed in.
        """
        return {}

    def check_prepared(self, resolved: dict, device: str) -> None:
        """Raise unless this machine would run the method as :meth:`prepare` resolved it
        where the study was declared (``resolved``); run before every block.  Nothing to
        check by default."""
        return None

    def notes(self, dgp: Any) -> list[str]:
        """What the method cannot compute against ``dgp`` (a diagnostic it skips), and why."""
        return []

    def device_bytes(self, n: int, m: int) -> int | None:
        """Bytes one replication needs on a GPU (n points, m draws), or None for a method
        that runs on the CPU; ``block_size="auto"`` sizes blocks by it."""
        return None

    def analyse_block(self, block: Block) -> Outcome:
        """Fit every replication of ``block`` and record its estimates, one per quantity.

        The default fits the whole block at once (:meth:`fit`), takes ``block.m`` draws per
        replication (or the data themselves when :attr:`uses_draws` is False) and the fit's
        diagnostics (:meth:`Fitted.diagnostics`); when any of that raises it does it again
        replication by replication, so that a fit that fails is its replication's failure
        alone (``"error"``, with the reason).  Non-finite draws make a replication
        ``"failed"``.  The study's functionals and distances are then computed on each
        replication's sample (:meth:`~gansim.study.analysis.Block.evaluate`), each failing alone.

        A method whose replications are coupled within a block (trained as one computation)
        overrides this, as :class:`GAN` does.

        Parameters
        ----------
        block : gansim.study.analysis.Block

        Returns
        -------
        gansim.study.analysis.Outcome
        """
        out = block.outcome(self.label)
        with block.capture() as caught:
            try:
                got = self._attempt(block, np.arange(block.R))
            except Exception as exc:
                if not block.catches(exc):
                    raise
                if block.R == 1:
                    out.fail(block.usable, ERROR, _reason(self.label, exc))
                else:
                    for i in np.flatnonzero(block.usable):
                        try:
                            got = self._attempt(block, np.array([i]))
                        except Exception as exc:
                            if not block.catches(exc):
                                raise
                            out.fail([i], ERROR, _reason(self.label, exc))
                            continue
                        self._record(block, out, *got)
            else:
                self._record(block, out, *got)
        out.warn(slice(None), "; ".join(caught))
        return out

    def _attempt(self, block: Block, idx: np.ndarray):
        """Fit, draws and diagnostics of the block rows ``idx`` (raises what they raise)."""
        whole = idx.size == block.R
        data = block.data if whole else block.data[idx]
        streams = block.streams if whole else [block.streams[i] for i in idx]
        fitted = self.fit(data, streams, dgp=block.dgp, device=block.device)
        points = fitted.sample(block.m) if self.uses_draws else np.array(data)
        live = block.usable[idx]
        finite = np.isfinite(points).all(axis=1)
        points[~(live & finite)] = filler(points.shape[1])  # kept out of the results
        diag = fitted.diagnostics(data, points, block.dgp)
        return idx, data, points, live & ~finite, diag

    @staticmethod
    def _record(block: Block, out: Outcome, idx, data, points, bad, diag) -> None:
        _fail_nonfinite(out, idx, data, bad)
        ok = idx[out.status[idx] == "ok"]
        pos = np.flatnonzero(out.status[idx] == "ok")
        for k, v in diag.items():
            out.put({k: np.asarray(v, dtype=np.float64)[pos]}, ok,
                    nonfinite="non-finite {name} (training diverged)")
        block.evaluate(out, points[pos], ok)


# --------------------------------------------------------------------------------------------
# The empirical cdf and the bootstrap.


class _Atoms(Fitted):
    """Equal-weight atoms on each row's data: F_n."""

    def __init__(self, x: np.ndarray, rngs):
        self.x, self.rngs, self.R = x, rngs, x.shape[0]
        self._sorted = np.sort(x, axis=1)

    def sample(self, m):
        m = _m_iv(m)
        n = self.x.shape[1]
        return np.stack([row[g.integers(0, n, size=m)] for row, g in zip(self.x, self.rngs,
                                                                         strict=True)])

    def cdf(self, x):
        t = _points_iv(x, self.R)
        n = self._sorted.shape[1]
        return np.stack([np.searchsorted(s, row, side="right") / n
                         for s, row in zip(self._sorted, t, strict=True)])


class EmpiricalCDF(Method):
    """The empirical cdf F_n; a study evaluates it exactly on the n data points.

    Examples
    --------
    >>> from gansim.rng import replication_streams
    >>> x = np.array([[3.0, 1.0, 2.0, 2.0]])
    >>> fit = EmpiricalCDF().fit(x, [replication_streams(1, 0)])
    >>> fit.cdf([0.0, 1.0, 2.0, 9.0])
    array([[0.  , 0.25, 0.75, 1.  ]])
    """

    name = "ecdf"
    uses_draws = False

    def _fit(self, x, streams, *, dgp, device):
        return _Atoms(x, self._rngs(streams))


class Bootstrap(EmpiricalCDF):
    """The bootstrap: m draws from F_n, i.e. the data resampled with replacement.

    Examples
    --------
    >>> from gansim.rng import replication_streams
    >>> x = np.array([[3.0, 1.0, 2.0]])
    >>> d = Bootstrap().fit(x, [replication_streams(1, 0)]).sample(1000)
    >>> d.shape, set(np.unique(d)) <= {1.0, 2.0, 3.0}
    ((1, 1000), True)
    """

    name = "bootstrap"
    uses_draws = True


# --------------------------------------------------------------------------------------------
# The smoothed bootstrap.


class _Kernel(Fitted):
    def __init__(self, x, h, rngs):
        self.x, self.h, self.rngs, self.R = x, h, rngs, x.shape[0]

    def sample(self, m):
        m = _m_iv(m)
        n = self.x.shape[1]
        out = np.empty((self.R, m))
        for r, g in enumerate(self.rngs):
            j = g.integers(0, n, size=m)
            out[r] = self.x[r, j] + self.h[r] * g.standard_normal(m)
        return out

    def cdf(self, x):
        t = _points_iv(x, self.R)
        # mean_i Phi((t - x_i) / h), row by row to bound memory at k x n.
        return np.stack([special.ndtr((row[:, None] - xr) / h).mean(axis=1)
                         for row, xr, h in zip(t, self.x, self.h, strict=True)])


class SmoothedBootstrap(Method):
    """The smoothed bootstrap: m draws ``x_J + h Z`` from a Gaussian kernel density estimate.

    Parameters
    ----------
    bandwidth : str or float
        A rule of :data:`BANDWIDTH_RULES` (default ``"nrd0"``; ``"cdf"`` for the rate
        n^(-1/3) that suits estimating the distribution function rather than the density)
        or a fixed h > 0.
    shrink : bool
        The variance-corrected ("shrunk") smoothed bootstrap: draws
        ``x̄ + (x_J - x̄ + h Z) / sqrt(1 + h²/σ̂²)``, σ̂² the variance of F_n (divisor n), so
        that, given the data, the draws have mean x̄ and variance σ̂² exactly, as the plain
        bootstrap's (the plain smoothed draws have variance σ̂² + h²).  This is a kernel
        estimate on the atoms ``x̄ + (x_i - x̄)/c`` with bandwidth ``h/c``,
        ``c = sqrt(1 + h²/σ̂²)``; its cdf is that kernel's.  Default False.
    label : str, optional

    Examples
    --------
    >>> from gansim.rng import replication_streams
    >>> x = np.random.default_rng(0).normal(size=(1, 200))
    >>> fit = SmoothedBootstrap().fit(x, [replication_streams(1, 0)])
    >>> h = bandwidth(x)[0]
    >>> sd = fit.sample(100_000).std()
    >>> bool(abs(sd - np.sqrt(x.var() + h**2)) < 0.01)
    True

    Shrunk, the draws keep the variance of F_n:

    >>> shrunk = SmoothedBootstrap("cdf", shrink=True).fit(x, [replication_streams(1, 0)])
    >>> bool(abs(shrunk.sample(100_000).std() - x.std()) < 0.01)
    True
    """

    name = "smoothed"

    def __init__(self, bandwidth: str | float = "nrd0", *, shrink: bool = False,
                 label: str | None = None, stream: str | None = _LABEL):
        super().__init__(label=label, stream=stream)
        self.bandwidth = _rule_iv(bandwidth)
        self.shrink = Boolean().check(shrink, "shrink")

    def settings(self):
        out = {**super().settings(), "bandwidth": self.bandwidth}
        # Only when set: the settings of studies run before the option existed are unchanged,
        # so their finished blocks still resume.
        if self.shrink:
            out["shrink"] = True
        return out

    def _fit(self, x, streams, *, dgp, device):
        h = _bandwidth(x, self.bandwidth)
        if not self.shrink:
            return _Kernel(x, h, self._rngs(streams))
        mean = x.mean(axis=1, keepdims=True)
        var = x.var(axis=1)
        # Constant data (var 0) have nothing to shrink towards: c = 1 keeps them finite.
        c = np.sqrt(1 + np.divide(h**2, var, out=np.zeros_like(h), where=var > 0))
        c = np.where(var > 0, c, 1.0)
        return _Kernel(mean + (x - mean) / c[:, None], h / c, self._rngs(streams))


# --------------------------------------------------------------------------------------------
# The parametric plug-in and the oracle.


class _NormalFit(Fitted):
    def __init__(self, mean, sd, rngs):
        self.mean, self.sd, self.rngs, self.R = mean, sd, rngs, mean.shape[0]

    def sample(self, m):
        m = _m_iv(m)
        return np.stack([mu + s * g.standard_normal(m)
                         for mu, s, g in zip(self.mean, self.sd, self.rngs, strict=True)])

    def cdf(self, x):
        t = _points_iv(x, self.R)
        return special.ndtr((t - self.mean[:, None]) / self.sd[:, None])


class Parametric(Method):
    """The parametric plug-in N(x̄, s²) (s with divisor n - 1), right only for normal data.

    Examples
    --------
    >>> from gansim.rng import replication_streams
    >>> x = np.array([[1.0, 2.0, 6.0]])
    >>> fit = Parametric().fit(x, [replication_streams(1, 0)])
    >>> float(fit.cdf([3.0])[0, 0])
    0.5
    """

    name = "parametric"

    def _fit(self, x, streams, *, dgp, device):
        return _NormalFit(x.mean(axis=1), x.std(axis=1, ddof=1), self._rngs(streams))


class _Truth(Fitted):
    def __init__(self, dgp, R, rngs):
        self.dgp, self.R, self.rngs = dgp, R, rngs

    def sample(self, m):
        m = _m_iv(m)
        scale = 2.0**-_U_BITS
        return np.stack([np.asarray(self.dgp.ppf((g.integers(0, 2**_U_BITS, size=m) + 0.5)
                                                 * scale), dtype=np.float64)
                         for g in self.rngs])

    def cdf(self, x):
        t = _points_iv(x, self.R)
        return np.asarray(self.dgp.cdf(t), dtype=np.float64)


class Oracle(Method):
    """The truth itself, sampled by the inverse transform F^{-1}(U): a reference.

    Its distances are those of m draws from F, the floor every m-draw method shares.
    Needs ``dgp`` at fit time.

    Examples
    --------
    >>> from gansim.study.dgp import Normal
    >>> from gansim.rng import replication_streams
    >>> fit = Oracle().fit(np.zeros((1, 5)), [replication_streams(1, 0)], dgp=Normal())
    >>> float(fit.cdf([0.0])[0, 0])
    0.5
    """

    name = "oracle"

    def notes(self, dgp: Any) -> list[str]:
        """A note when ``dgp`` has no ppf (every replication of the oracle then fails)."""
        if dgp is not None and not callable(getattr(dgp, "ppf", None)):
            return [f"{self.label}: the DGP has no ppf to sample the truth from"]
        return []

    def _fit(self, x, streams, *, dgp, device):
        if not callable(getattr(dgp, "ppf", None)):
            raise TypeError(f"`dgp` must have a ppf for the oracle, got {dgp!r}.")
        return _Truth(dgp, x.shape[0], self._rngs(streams))


# --------------------------------------------------------------------------------------------
# The GAN.


class _GANFit(Fitted):
    def __init__(self, block, gens, constant=None):
        self.block, self.gens, self.R = block, gens, len(gens)
        self.constant = constant

    def sample(self, m):
        m = _m_iv(m)
        with torch.no_grad():
            out = self.block.sample(m, self.gens).to(torch.float64).cpu().numpy()
        if self.constant is not None:
            out[self.constant] = np.nan  # no GAN for constant data (see GAN._fit)
        return out

    def diagnostics(self, data, draws, dgp):
        """The equilibrium and failure diagnostics of :mod:`gansim.gan.diagnostics`:
        ``d_real``, ``d_fake``, ``value`` always; ``jsd_star`` where the DGP has a ppf and
        ``collapsed`` (1/0) where it has a cdf."""
        out = self._equilibrium(data, draws)
        if callable(getattr(dgp, "ppf", None)):
            out["jsd_star"] = binned_jsd(draws, dgp.ppf)
        if callable(getattr(dgp, "cdf", None)):
            out["collapsed"] = _collapsed(data, draws, dgp)
        return out

    def _equilibrium(self, data, draws):
        device = self.block.discriminator.device
        with torch.no_grad():
            return equilibrium(self.block, torch.as_tensor(data, device=device),
                               torch.as_tensor(draws, device=device))

    def record_diagnostics(self, block: Block, out: Outcome, draws: np.ndarray,
                           ok: np.ndarray) -> None:
        """:meth:`diagnostics` of the block rows ``ok`` into ``out``, each failing alone:
        the equilibrium diagnostics are one computation for the block's discriminators;
        ``jsd_star`` and ``collapsed``, which call the DGP, fall back to one replication at
        a time when the block's computation raises."""
        data, dgp = block.data, block.dgp
        diverged = "non-finite {name} (training diverged)"
        names = ("d_real", "d_fake", "value")
        try:
            eq = self._equilibrium(data, draws)
        except Exception as exc:
            if not block.catches(exc):
                raise
            out.fail_quantities(names, ok, ERROR, _reason("diagnostic equilibrium", exc))
        else:
            out.put({k: eq[k][ok] for k in names}, ok, nonfinite=diverged)
        if callable(getattr(dgp, "ppf", None)):
            block.compute(out, ["jsd_star"], ok,
                          lambda s: {"jsd_star": binned_jsd(draws[ok[s]], dgp.ppf)},
                          what="diagnostic 'jsd_star'", nonfinite=diverged)
        if callable(getattr(dgp, "cdf", None)):
            block.compute(out, ["collapsed"], ok,
                          lambda s: {"collapsed": _collapsed(data[ok[s]], draws[ok[s]], dgp)},
                          what="diagnostic 'collapsed'", nonfinite=diverged)


def _collapsed(data, draws, dgp):
    flag = collapsed(sd_star=draws.std(axis=1, ddof=1), sd=data.std(axis=1, ddof=1),
                     ks_star=ks_distance_batch(draws, dgp.cdf), n=data.shape[1])
    return flag.astype(np.float64)


class GAN(Method):
    """A GAN trained on each replication's n points; all GANs of a block trained at once.

    Parameters
    ----------
    config : GANConfig, optional
        Defaults to ``GANConfig(standardize=True)``: the default recipe, trained on the
        standardised data and mapped back, so the estimate is location-scale equivariant
        (the recipe is tuned to unit scale; results/rates/README.md shows the difference).
    label : str, optional

    Notes
    -----
    Draws that are not finite (a diverged GAN) are returned as they are; a study records
    that replication's GAN as failed.

    Examples
    --------
    >>> from gansim.rng import replication_streams
    >>> s = [replication_streams(1, r) for r in range(2)]
    >>> x = np.random.default_rng(0).normal(size=(2, 50))
    >>> GAN(GANConfig(steps=20)).fit(x, s).sample(7).shape
    (2, 7)
    """

    name = "gan"

    def __init__(self, config: GANConfig | None = None, *, label: str | None = None,
                 stream: str | None = _LABEL):
        super().__init__(label=label, stream=stream)
        if config is None:
            config = GANConfig(standardize=True)
        if not isinstance(config, GANConfig):
            raise TypeError(f"`config` must be a GANConfig, got {type(config).__name__}.")
        self.config = config

    def settings(self):
        return {**super().settings(), "config": self.config.to_dict()}

    def prepare(self, device: str) -> dict:
        """The engine that will train the GANs on ``device`` (and, for the fused C engine,
        the compiler that builds it)."""
        from gansim.gan.engine import resolve_engine
        from gansim.gan.fused import compiler_version

        engine = resolve_engine(self.config, device)
        out = {"engine": engine}
        if engine == "fused":
            out["compiler"] = compiler_version()
        return out

    def check_prepared(self, resolved: dict, device: str) -> None:
        """Raise unless the engine resolves here as where the study was declared."""
        from gansim.gan.engine import resolve_engine

        here, declared = resolve_engine(self.config, device), resolved.get("engine")
        if declared is not None and here != declared:
            import socket

            raise RuntimeError(f"on host {socket.gethostname()} engine "
                               f"{self.config.engine!r} resolves to {here!r}, where the study "
                               f"resolved {declared!r}: results would mix engines (a C "
                               "compiler missing here?); run on machines alike or set "
                               f"GANConfig(engine={here!r}).")

    def notes(self, dgp: Any) -> list[str]:
        """The diagnostics skipped for ``dgp``: ``jsd_star`` without a ppf, ``collapsed``
        without a cdf."""
        out = []
        if dgp is not None and not callable(getattr(dgp, "ppf", None)):
            out.append(f"{self.label}: diagnostic jsd_star skipped: the DGP has no ppf")
        if dgp is not None and not callable(getattr(dgp, "cdf", None)):
            out.append(f"{self.label}: diagnostic collapsed skipped: the DGP has no cdf")
        return out

    def device_bytes(self, n: int, m: int) -> int:
        """:func:`gansim.gan.engine.replication_bytes` of the config."""
        from gansim.gan.engine import replication_bytes

        return replication_bytes(self.config, n, m)

    def analyse_block(self, block: Block) -> Outcome:
        """Train the block's GANs at once, draw ``block.m`` points from each and record the
        estimates and diagnostics.

        The block's GANs are one computation (:func:`~gansim.gan.engine.train_gans`): when
        training raises, every replication of the block is ``"error"`` (and computed again
        on resume).  After training, each diagnostic, functional and distance fails alone:
        for the whole block at once, or, when that raises, replication by replication.
        """
        out = block.outcome(self.label)
        with block.capture() as caught:
            try:
                self.check_prepared(block.resolved.get(self.label, {}), block.device)
                fitted = self.fit(block.data, block.streams, dgp=block.dgp,
                                  device=block.device)
                points = fitted.sample(block.m)
            except Exception as exc:  # one method's error is recorded, never fatal
                if not block.catches(exc):
                    raise
                out.fail(block.usable, ERROR, _reason(self.label, exc))
            else:
                idx = np.arange(block.R)
                finite = np.isfinite(points).all(axis=1)
                _fail_nonfinite(out, idx, block.data, block.usable & ~finite)
                points[~(block.usable & finite)] = filler(points.shape[1])
                ok = np.flatnonzero(out.status == "ok")
                fitted.record_diagnostics(block, out, points, ok)
                block.evaluate(out, points[ok], ok)
        out.warn(slice(None), "; ".join(caught))
        return out

    def _fit(self, x, streams, *, dgp, device):
        constant = np.all(x == x[:, :1], axis=1) if self.config.standardize else None
        if constant is not None and constant.any():
            # Standardised training is undefined for them: train on a stand-in (keeping the
            # block's shape, hence the others' arithmetic) and return NaN draws.
            x = np.where(constant[:, None], filler(x.shape[1]), x)
        block = train_gans(x, self.config, init_seeds=[s.init for s in streams],
                           noise_seeds=[s.noise for s in streams], device=device)
        gens = [torch_generator(method_seed(s, self.stream), device) for s in streams]
        return _GANFit(block, gens, constant)


# --------------------------------------------------------------------------------------------
# A method written as a plain function.


class FunctionMethod(Method):
    """A method written as a plain function of one replication's data.

    Parameters
    ----------
    fn : callable
        ``fn(x, rng)`` with ``x`` the replication's data (1-D float64) and ``rng`` a
        :class:`numpy.random.Generator` of the method's own stream.  It returns either

        - a 1-D array: a sample representing the fitted distribution (draws, or the data
          themselves), on which a study computes its functionals and distances; or
        - a mapping ``quantity -> number or Estimate``: the estimates themselves (with SEs
          and interval bounds where an :class:`~gansim.study.functionals.Estimate` gives them).
    label : str, optional
        Defaults to the function's name.
    stream : str or None, optional
        As for :class:`Method`.

    Examples
    --------
    >>> from gansim.rng import replication_streams
    >>> def trimmed(x, rng):
    ...     return {"mean": float(np.mean(np.sort(x)[1:-1]))}
    >>> fm = FunctionMethod(trimmed)
    >>> fm.label, fm.apply(np.array([0.0, 1.0, 2.0, 30.0]), replication_streams(1, 0))
    ('trimmed', {'mean': 1.5})
    """

    name = "function"

    def __init__(self, fn, *, label: str | None = None, stream: str | None = _LABEL):
        if not callable(fn):
            raise TypeError(f"`fn` must be a callable fn(x, rng), got {fn!r}.")
        if label is None:
            label = getattr(fn, "__name__", None)
            if not label or label == "<lambda>":
                raise ValueError("a lambda needs a `label`: FunctionMethod(fn, label='name').")
        self.fn = fn
        super().__init__(label=label, stream=stream)

    def settings(self):
        return {**super().settings(), "function": callable_id(self.fn)}

    def apply(self, x: np.ndarray, streams: ReplicationStreams):
        """``fn`` on one replication's data, its result checked: a finite 1-D float64 sample,
        or a dict ``quantity -> float or Estimate``."""
        from gansim.study.functionals import Estimate, as_scalar

        out = self.fn(x, np.random.default_rng(method_seed(streams, self.stream)))
        if isinstance(out, dict):
            clean = {}
            for k, v in out.items():
                if not isinstance(k, str) or not k:
                    raise TypeError(f"method {self.label!r} returned a non-string quantity "
                                    f"name {k!r}.")
                clean[k] = v if isinstance(v, Estimate) else as_scalar(
                    v, f"method {self.label!r} (quantity {k!r})")
            return clean
        arr = np.asarray(out, dtype=np.float64)
        if arr.ndim != 1 or arr.size < 1:
            raise ValueError(f"method {self.label!r} must return a 1-D sample or a dict of "
                             f"estimates; got shape {arr.shape}.")
        return arr

    def analyse_block(self, block: Block) -> Outcome:
        """``fn`` on each replication of ``block`` alone (:meth:`apply`): its estimates, or
        the study's functionals and distances of the sample it returns.  An exception is
        that replication's ``"error"``; non-finite draws its ``"failed"``; a quantity one
        replication returns and another does not is ``"failed"`` for the latter."""
        out = block.outcome(self.label, declare=False)
        declared = [*block.functionals, *block.distances]
        for i in np.flatnonzero(block.usable):
            with block.capture() as caught:
                try:
                    got = self.apply(block.data[i], block.streams[i])
                except Exception as exc:
                    if not block.catches(exc):
                        raise
                    out.fail([i], ERROR, _reason(self.label, exc))
                else:
                    if isinstance(got, dict):
                        out.put_one(i, got)
                    elif not np.isfinite(got).all():
                        out.declare(declared)
                        out.fail([i], "failed", "non-finite draws")
                    else:
                        block.evaluate(out, got[None, :], np.array([i]))
            out.warn(i, "; ".join(caught))
        return out

    def _fit(self, x, streams, *, dgp, device):
        rows = [self.apply(row, s) for row, s in zip(x, streams, strict=True)]
        if any(isinstance(r, dict) for r in rows) or len({r.size for r in rows}) != 1:
            raise TypeError(f"method {self.label!r} returns estimates (or samples of unequal "
                            "sizes), not one sample per replication: a study applies it to "
                            "each replication (analyse_block).")
        return _Returned(np.stack(rows))


class _Returned(Fitted):
    """The samples a plain-function method returned, one row per replication."""

    def __init__(self, samples: np.ndarray):
        self.samples, self.R = samples, samples.shape[0]

    def sample(self, m):
        """The returned samples themselves (their size, not ``m``)."""
        return self.samples.copy()


def _reason(what: str, exc: BaseException) -> str:
    return f"{what}: {type(exc).__name__}: {exc}"


def _fail_nonfinite(out: Outcome, idx: np.ndarray, data: np.ndarray, bad: np.ndarray) -> None:
    """Fail the replications ``idx[bad]`` whose draws are not finite, with the reason: the
    data are constant (a standardised GAN cannot train on them) or training diverged."""
    if not bad.any():
        return
    constant = np.all(data == data[:, :1], axis=1)
    message = np.full(out.status.shape, "", dtype=object)
    message[idx] = np.where(constant, "non-finite draws: the data are constant (sd 0)",
                            "non-finite draws (training diverged)")
    out.fail(idx[bad], "failed", message)


def as_method(obj: Any) -> Method:
    """A study's method: a :class:`Method` as it is, a registry name of :data:`METHODS`, or a
    plain function wrapped in :class:`FunctionMethod`."""
    if isinstance(obj, Method):
        return obj
    if isinstance(obj, str):
        return make_method(obj)
    if callable(obj):
        return FunctionMethod(obj)
    allowed = ", ".join(repr(k) for k in METHODS)
    raise TypeError(f"`methods` entries must be Method objects, names among {allowed} or "
                    f"functions fn(x, rng); got {obj!r}.")


#: Registry: name -> Method class.
METHODS: dict[str, type[Method]] = {
    cls.name: cls for cls in (EmpiricalCDF, Bootstrap, SmoothedBootstrap, Parametric, GAN, Oracle)
}


def make_method(name: str, **params: Any) -> Method:
    """Build a method from its registry name.

    Examples
    --------
    >>> make_method("smoothed", bandwidth="normal")
    SmoothedBootstrap(label='smoothed', bandwidth='normal')
    """
    allowed = ", ".join(repr(k) for k in METHODS)
    if not isinstance(name, str) or name not in METHODS:
        raise ValueError(f"`name` must be one of {allowed}; got {name!r}.")
    return METHODS[name](**params)


# --------------------------------------------------------------------------------------------
# Helpers and input validation.


def _bandwidth(x: np.ndarray, rule: str | float) -> np.ndarray:
    n = x.shape[1]
    if not isinstance(rule, str):
        return np.full(x.shape[0], float(rule))
    s = x.std(axis=1, ddof=1)
    if rule == "normal":
        return (4 / 3) ** 0.2 * s * n**-0.2
    q75, q25 = np.percentile(x, [75, 25], axis=1)
    spread = np.minimum(s, (q75 - q25) / 1.34)
    # As R's bw.nrd0: a zero IQR (many ties) falls back to the sd rather than h = 0.
    spread = np.where(spread > 0, spread, s)
    if rule == "cdf":
        return CDF_RULE_CONSTANT * spread * n ** (-1 / 3)
    return 0.9 * spread * n**-0.2


def _data_iv(data: Any) -> np.ndarray:

    x = as_float_array(data, "data", ndim=2, min_size=1)
    if x.shape[1] < 2:
        raise ValueError(f"`data` must have at least 2 points per row, got shape {x.shape}.")
    return x


def _streams_iv(streams: Any, R: int) -> list[ReplicationStreams]:
    streams = list(streams)
    if len(streams) != R or not all(isinstance(s, ReplicationStreams) for s in streams):
        raise ValueError(
            f"`streams` must hold one ReplicationStreams per row of `data` ({R}); got "
            f"{len(streams)} items."
        )
    return streams


class Label(Constraint):
    """A method's label (or stream name): a non-empty string without ``__``, which the
    wide frames use to join a method's label and a quantity's name."""

    def describe(self) -> str:
        return "a non-empty string without '__'"

    def check(self, value: Any, name: str) -> str:
        if not isinstance(value, str) or not value or "__" in value:
            self._fail(value, name)
        return value

    def invalid(self) -> list[Any]:
        return ["", "a__b", 1, None]

    def valid(self) -> str:
        return "mine"


#: Draws per replication.
M = Integer(1)
#: A bandwidth: a rule's name or a fixed h > 0.
BANDWIDTH = AnyOf(Options(*BANDWIDTH_RULES), Real(0, closed="neither"))
#: A method's label.
LABEL = Label()


def _m_iv(m: Any) -> int:
    return M.check(m, "m")


def _rule_iv(rule: Any) -> str | float:
    return BANDWIDTH.check(rule, "bandwidth")


def _label_iv(label: Any, name: str = "label") -> str:
    return LABEL.check(label, name)


def _points_iv(x: Any, R: int) -> np.ndarray:
    t = np.asarray(x, dtype=np.float64)
    if t.ndim == 1:
        t = np.broadcast_to(t, (R, t.size))
    if t.ndim != 2 or t.shape[0] != R:
        raise ValueError(f"`x` must be 1-D or have {R} rows, got shape {t.shape}.")
    return t
