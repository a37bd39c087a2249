"""Inference from one data set with the GAN: :class:`GANEstimator`.

A study (:mod:`gansim.study.core`) fits a GAN to thousands of simulated data sets to learn how it
behaves; a statistician with *one* data set wants an estimate and an interval.
:class:`GANEstimator` is that, in the style of scikit-learn and statsmodels: ``fit`` one
sample, then read the fitted distribution (``rvs``, ``cdf``, ``ppf``, ``mean``, ``std``,
``quantile``, ``functional``) and intervals for a functional T (``conf_int``): Wald intervals
with the SE of T at sample size n computed on the GAN's draws, and intervals from a GAN
bootstrap that retrains the GAN on R resamples of the data in one batched call.
:meth:`GANEstimator.as_method` turns the same estimator into a method of a study, which is
how the coverage of these intervals is to be established.

:func:`bootstrap_interval` is the interval-forming step alone (percentile, basic, BCa), fed
any bootstrap replicates; it follows ``scipy.stats.bootstrap`` and is tested against it.
"""

from __future__ import annotations

import hashlib
import json
import math
import numbers
import warnings
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
import torch
from scipy import special, stats

from gansim._validation import Instance, Integer, NoneOr, validate_params
from gansim.gan.config import GANConfig, check_device
from gansim.gan.engine import GANBlock, train_gans
from gansim.inference.bootstrap import (
    BOOTSTRAP,
    BOOTSTRAPS,
    INTERVAL,
    INTERVAL_METHODS,
    LEVEL,
    REPLICATES,
    SAMPLE,
    ConfInt,
    RecentCache,
    bootstrap_interval,
    check_data,
    check_interval,
    functional_values,
    jackknife,
)
from gansim.rng import torch_generator
from gansim.study.functionals import FUNCTIONALS, Functional

__all__ = ["ConfInt", "GANEstimator", "bootstrap_interval", "INTERVAL_METHODS"]


#: Children of ``SeedSequence(seed)``, in order.  Appending is safe; reordering changes every
#: number an estimator gives.
_STREAMS = ("init", "noise", "draws", "rvs", "bootstrap", "wald")
#: Quantiles among the built-in functionals.
_QUANTILES = {"median": 0.5, "q10": 0.1, "q90": 0.9}
#: Samples of size n behind the Monte Carlo Wald SE of a functional without a closed form.
_WALD_MC = 200
#: Rows of a bootstrap block sampled at once (bounds the latent noise's memory).
_SAMPLE_ROWS = 16


class GANEstimator:
    """A GAN fitted to one 1-D sample, with point estimates and intervals for functionals.

    The fitted distribution F* is represented by ``m`` draws from the trained generator:
    ``cdf``, ``ppf``, ``mean``, ``std``, ``quantile`` and ``functional`` are computed on
    them, so they carry a Monte Carlo error of order 1/sqrt(m) besides the GAN's own error
    (raise ``m`` to shrink the first; only more data shrinks the second).

    Parameters
    ----------
    config : GANConfig, optional
        Architecture and training recipe; defaults to ``GANConfig()``, the package's default
        recipe (2,000 steps, trained on the standardised data, so the fit is location-scale
        equivariant).
    seed : int
        Seed of all randomness: ``numpy.random.SeedSequence(seed)`` spawns independent
        children for the initial weights, the training noise, the ``m`` draws, ``rvs``, the
        GAN bootstrap and the Monte Carlo Wald SE.  The same seed gives the same numbers
        (on the same engine and machine: see ``GANConfig.engine``).
    m : int
        Draws representing the fitted distribution (>= 2).
    device : str
        Torch device of the training and sampling: ``"cpu"``, ``"cuda"`` or
        ``"cuda:<index>"`` (an error names the allowed values, or says that torch sees no
        GPU).
    bootstrap_steps : int, optional
        None (the default): each GAN of the GAN bootstrap is trained from scratch with
        ``config``, as the fitted one was.  An integer: each starts from the fitted GAN's
        weights and is trained ``bootstrap_steps`` steps on its resample (``config`` with
        ``steps=bootstrap_steps``: the learning-rate schedule and the EMA over those steps),
        a warm start that costs ``bootstrap_steps / config.steps`` of training from scratch.
        Whether a warm start gives the intervals training from scratch gives is an empirical
        question: results/coverage/README.md compares the two.  For unimodal data (N(0, 1),
        lognormal) 300 steps give widths within about 10-20% of training from scratch; for
        a bimodal mixture they keep the fitted GAN's split between the modes and the
        intervals come out 2-3 times too narrow: do not warm-start on multimodal data.

    Attributes
    ----------
    x_ : numpy.ndarray
        The data fitted (float64).
    n_ : int
        Its size.
    draws_ : numpy.ndarray
        The ``m`` draws from the fitted GAN, shape ``(m,)``.
    block_ : GANBlock
        The trained GAN (one replication).

    Notes
    -----
    **Intervals** (:meth:`conf_int`).  ``"wald"``: T(F*) ± z SE with SE the standard error
    of T at sample size n *under the fitted distribution*, computed on the draws: s*/sqrt(n)
    for the mean; sqrt(q(1 - q)) / (f*(ξ_q) sqrt(n)) for the quantiles (median, q10, q90),
    f* a Gaussian kernel density of the draws; sqrt((μ4 - σ⁴)/(4σ²n)) for the sd, from the
    draws' central moments; for any other T, the sd of T over 200 samples of size n taken
    from the draws.  It assumes T(F*) is approximately normal and centred on T(F) with the
    variance of T at sample size n, i.e. that the GAN adds neither bias nor variance of its
    own (training noise): an assumption, not a result.  ``"percentile"``, ``"basic"``,
    ``"bca"``: the GAN bootstrap retrains the GAN on R nonparametric bootstrap resamples of
    the data (``bootstrap="parametric"``: on R samples of n draws from the fitted GAN), all R
    as one batched :func:`~gansim.gan.engine.train_gans` call with independent seeds, and
    computes T on draws from each, so training noise enters the replicates as it enters
    T(F*).  Percentile: the replicates' α/2 and 1 - α/2 quantiles; basic: 2T(F*) minus them,
    reversed; BCa: percentile at levels corrected by the bias z0 (from the replicates) and
    the acceleration a.  The acceleration comes from the jackknife of T on the *data*, the
    plug-in T(F_n) with one point left out, not from n leave-one-out GANs: retrained GANs
    differ by their training noise, which swamps the O(1/n) leave-one-out changes the
    acceleration measures (and would cost n more GANs).  Each bootstrap GAN is represented
    by min(m, max(10,000, 50 n)) draws, which keeps the draws' Monte Carlo variance in T to
    about 2% of T's sampling variance or less.  Bootstrap GANs are cached per scheme:
    intervals for other functionals, levels or methods reuse them, and a larger R trains
    only the new replicates (replicate b is the same whatever R).  A resample whose points
    are all equal (possible for tiny n) has a point mass as its GAN.

    **Coverage** (results/coverage, B = 500 per condition, five DGPs, n = 25 ... 400).  The
    Wald interval reaches its nominal 95% where the GAN fits F (N(0, 1): mean, median and
    quantiles from n of about 50; a gamma's mean and q0.9) and under-covers where it does
    not: the sd (already 0.87-0.90 at N(0, 1)), and heavy-tailed, skewed or bimodal F, where
    T(F*) is biased by more than its SE and coverage *falls* as n grows (t3's sd 0.13 at
    n = 400).  The GAN bootstrap adds the GAN's training noise to the interval but not its
    bias.  Efron's BCa on the data (:mod:`gansim.inference.intervals`) covers better in almost every
    condition.  With too little training the Wald interval under-covers even the mean
    (``tests/test_estimator.py``: 0.77 with 300 steps).

    **Cost per data set** (benchmarks/results/estimator.md: idle 2-core CPU, one torch
    thread, fused engine, default ``GANConfig()``, n = 100, m = 20,000): ``fit`` 0.02 s (the
    first fit of a session about 1 s more, loading the engine); Wald intervals for the five
    built-in functionals 0.02 s more; the GAN bootstrap with R = 200 for all three bootstrap
    methods and five functionals 3.9 s with bootstrap GANs trained from scratch, 0.7 s
    warm-started (``bootstrap_steps=300``), the parametric scheme the same; further
    functionals, levels and methods reuse the bootstrap GANs.  The bootstrap's cost grows
    about linearly in R, n and the steps (``device="cuda"`` trains the R GANs as one
    batched PyTorch computation; not timed: no GPU has been available).

    Examples
    --------
    >>> import numpy as np
    >>> from gansim import GANConfig, GANEstimator
    >>> x = np.random.default_rng(1).normal(10.0, 2.0, size=50)
    >>> est = GANEstimator(GANConfig(steps=200), seed=7, m=4000).fit(x)
    >>> bool(abs(est.mean() - x.mean()) < 1.0), est.draws_.shape
    (True, (4000,))
    >>> ci = est.conf_int("mean", level=0.9)
    >>> ci
    ConfInt(estimate=..., se=..., 90% wald [..., ...])
    >>> bool(ci.lower < ci.estimate < ci.upper)
    True
    >>> boot = est.conf_int("median", method="percentile", R=20)
    >>> boot.R, boot.method
    (20, 'percentile')
    """

    @validate_params(config=NoneOr(Instance(GANConfig, "a GANConfig", GANConfig(steps=20))),
                     seed=Integer(0, 2**63 - 1), m=Integer(2), bootstrap_steps=NoneOr(Integer(1)))
    def __init__(self, config: GANConfig | None = None, *, seed: int = 0, m: int = 100_000,
                 device: str = "cpu", bootstrap_steps: int | None = None):
        if config is None:
            config = GANConfig()
        device = check_device(device)
        self.config, self.seed, self.m, self.device = config, int(seed), int(m), device
        self.bootstrap_steps = None if bootstrap_steps is None else int(bootstrap_steps)

    def __repr__(self) -> str:
        fitted = f", fitted to n={self.n_}" if hasattr(self, "draws_") else ""
        warm = ("" if self.bootstrap_steps is None
                else f", bootstrap_steps={self.bootstrap_steps}")
        return (f"GANEstimator(steps={self.config.steps}, seed={self.seed}, m={self.m}"
                f"{warm}{fitted})")

    # ----------------------------------------------------------------------------------------
    # Fitting and the fitted distribution.

    @validate_params(x=SAMPLE)
    def fit(self, x: Any) -> GANEstimator:
        """Train the GAN on the sample ``x`` and take ``m`` draws from it.

        Parameters
        ----------
        x : array_like or pandas.Series
            1-D, finite, at least 2 points, not all equal, with an sd that float64 can
            compute for standardising (no overflow or underflow:
            :func:`gansim.study.functionals.check_scale`).

        Returns
        -------
        GANEstimator
            ``self``, fitted.

        Examples
        --------
        >>> import pandas as pd
        >>> est = GANEstimator(GANConfig(steps=50), m=100).fit(pd.Series([1.0, 2.0, 4.0]))
        >>> est.n_
        3
        >>> GANEstimator().fit([1.0, 1.0])
        Traceback (most recent call last):
        ...
        ValueError: `x` must not be constant: all 2 points equal 1.0.
        """
        seeds = self._seeds()
        with torch.no_grad():
            block = train_gans(x[None, :], self.config, init_seeds=[seeds["init"]],
                               noise_seeds=[seeds["noise"]], device=self.device)
            draws = _sample(block, self.m, [torch_generator(seeds["draws"], self.device)])[0]
        if not np.isfinite(draws).all():
            raise RuntimeError("the GAN diverged (non-finite draws); try another `seed` or a "
                               "smaller learning rate in `config`.")
        self.x_, self.n_, self.block_, self.draws_ = x, x.size, block, draws
        self._sorted = np.sort(draws)
        self._rvs_gen = torch_generator(seeds["rvs"], self.device)
        self._boot: dict[str, np.ndarray] = {}
        self._reps: dict[tuple[str, str], np.ndarray] = {}
        return self

    def rvs(self, size: int | tuple[int, ...] = 1) -> np.ndarray:
        """Fresh draws from the fitted GAN (float64, on the data's scale).

        Successive calls continue one stream seeded by ``seed``, so they differ from each
        other and from ``draws_``; refitting restarts the stream.

        Examples
        --------
        >>> est = GANEstimator(GANConfig(steps=50), m=100).fit([0.0, 1.0, 3.0])
        >>> est.rvs((2, 3)).shape
        (2, 3)
        """
        self._check_fitted()
        shape = (size,) if isinstance(size, numbers.Integral) else tuple(size)
        if any(isinstance(s, bool) or not isinstance(s, numbers.Integral) or s < 0
               for s in shape) or not shape:
            raise ValueError(f"`size` must be a non-negative integer or a tuple of them, got "
                             f"{size!r}.")
        k = math.prod(shape)
        if k == 0:
            return np.empty(shape)
        with torch.no_grad():
            out = _sample(self.block_, k, [self._rvs_gen])[0]
        return out.reshape(shape)

    def cdf(self, t: Any) -> np.ndarray | float:
        """The fitted cdf at ``t``: the empirical cdf of the ``m`` stored draws,
        ``#{draws <= t} / m`` (a step function with steps of 1/m).

        Examples
        --------
        >>> est = GANEstimator(GANConfig(steps=50), m=1000).fit([0.0, 1.0, 3.0])
        >>> est.cdf(-1e9), est.cdf([1e9])
        (0.0, array([1.]))
        """
        self._check_fitted()
        arr = np.asarray(t, dtype=np.float64)
        out = np.searchsorted(self._sorted, arr, side="right") / self.m
        return float(out) if out.ndim == 0 else out

    def ppf(self, q: Any) -> np.ndarray | float:
        """The fitted quantile function at ``q`` in [0, 1]: the generalised inverse of the
        draws' empirical cdf, ``inf{t : cdf(t) >= q}``, an order statistic of the ``m``
        stored draws (``ppf(0)`` is the smallest draw).

        Examples
        --------
        >>> est = GANEstimator(GANConfig(steps=50), m=1000).fit([0.0, 1.0, 3.0])
        >>> bool(est.cdf(est.ppf(0.3)) >= 0.3), bool(est.ppf(1.0) == est.draws_.max())
        (True, True)
        """
        self._check_fitted()
        arr = np.asarray(q, dtype=np.float64)
        if not np.all((arr >= 0) & (arr <= 1)):
            raise ValueError(f"`q` must be probabilities in [0, 1], got {q!r}.")
        k = np.maximum(np.ceil(arr * self.m - 1e-9 * self.m).astype(np.int64) - 1, 0)
        out = self._sorted[k]
        return float(out) if out.ndim == 0 else out

    def mean(self) -> float:
        """The fitted distribution's mean: the mean of the ``m`` draws."""
        self._check_fitted()
        return float(self.draws_.mean())

    def std(self) -> float:
        """The fitted distribution's sd: the sd of the ``m`` draws (divisor m - 1, as the
        built-in functional ``"sd"``)."""
        self._check_fitted()
        return float(self.draws_.std(ddof=1))

    def quantile(self, q: Any) -> np.ndarray | float:
        """Quantiles of the ``m`` draws by linear interpolation of their order statistics
        (numpy's default, as the built-in ``"median"``, ``"q10"``, ``"q90"``); within 1/m in
        probability of :meth:`ppf`.

        Examples
        --------
        >>> est = GANEstimator(GANConfig(steps=50), m=1000).fit([0.0, 1.0, 3.0])
        >>> est.quantile(0.5) == est.functional("median")
        True
        """
        self._check_fitted()
        arr = np.asarray(q, dtype=np.float64)
        if not np.all((arr >= 0) & (arr <= 1)):
            raise ValueError(f"`q` must be probabilities in [0, 1], got {q!r}.")
        out = np.quantile(self.draws_, arr)
        return float(out) if np.ndim(out) == 0 else out

    def functional(self, T: Any) -> float:
        """T(F*): the functional ``T`` computed on the ``m`` draws.

        Parameters
        ----------
        T : str, Functional or callable
            A built-in name among :data:`~gansim.study.functionals.FUNCTIONALS` (``"mean"``,
            ``"median"``, ``"sd"``, ``"q10"``, ``"q90"``), a
            :class:`~gansim.study.functionals.Functional`, or a callable on a 1-D sample returning
            a number.

        Examples
        --------
        >>> est = GANEstimator(GANConfig(steps=50), m=1000).fit([0.0, 1.0, 3.0])
        >>> est.functional("mean") == est.mean()
        True
        >>> 0.0 <= est.functional(lambda s: np.mean(s > 2.0)) <= 1.0
        True
        """
        self._check_fitted()
        _, values = functional_values(T)
        return float(values(self.draws_[None, :], self.n_)[0])

    # ----------------------------------------------------------------------------------------
    # Intervals.

    @validate_params(level=LEVEL, method=INTERVAL, R=REPLICATES, bootstrap=BOOTSTRAP)
    def conf_int(self, T: Any, level: float = 0.95, method: str = "wald", R: int = 200, *,
                 bootstrap: str = "nonparametric") -> ConfInt:
        """A confidence interval for T(F) from the fitted GAN.

        Parameters
        ----------
        T : str, Functional or callable
            As for :meth:`functional`.
        level : float
            Nominal coverage, in (0, 1).
        method : str
            ``"wald"``, ``"percentile"``, ``"basic"`` or ``"bca"`` (see the class Notes for
            what each computes and assumes).
        R : int
            GAN bootstrap replicates (>= 2; ignored by ``"wald"``).
        bootstrap : str
            ``"nonparametric"`` (resample the data) or ``"parametric"`` (samples of n from
            the fitted GAN).

        Returns
        -------
        ConfInt

        Examples
        --------
        >>> x = np.random.default_rng(0).normal(size=40)
        >>> est = GANEstimator(GANConfig(steps=200), m=2000).fit(x)
        >>> w = est.conf_int("mean")
        >>> bool(np.isclose(w.upper - w.estimate, 1.959964 * est.std() / np.sqrt(40)))
        True
        >>> est.conf_int("sd", method="basic", R=10).R
        10
        """
        self._check_fitted()
        key, values = functional_values(T)
        estimate = float(values(self.draws_[None, :], self.n_)[0])
        if method == "wald":
            se = self._wald_se(key, values)
            half = special.ndtri(0.5 + level / 2) * se
            return ConfInt(estimate, se, estimate - half, estimate + half, level, method)
        reps = self._replicates(key, values, R, bootstrap)
        ok = np.isfinite(reps)
        if not ok.all():
            warnings.warn(f"gansim: {int((~ok).sum())} of {R} bootstrap GANs gave a non-finite "
                          f"T and were left out.", RuntimeWarning, stacklevel=2)
            if ok.sum() < max(2, 0.9 * R):
                raise RuntimeError(f"too many bootstrap GANs failed ({int((~ok).sum())} of "
                                   f"{R}); no interval.")
            reps = reps[ok]
        jack = jackknife(self.x_, values) if method == "bca" else None
        lower, upper = bootstrap_interval(estimate, reps, level=level, method=method,
                                          jackknife=jack)
        return ConfInt(estimate, float(np.std(reps, ddof=1)), lower, upper, level, method,
                       int(reps.size), bootstrap)

    @validate_params(level=LEVEL, R=REPLICATES, bootstrap=BOOTSTRAP)
    def as_method(self, T: Any, interval: str = "wald", *, level: float = 0.95, R: int = 200,
                  bootstrap: str = "nonparametric", name: str | None = None) -> Callable:
        """This estimator as a method of a study: a plain function ``fn(x, rng)``.

        ``fn`` fits a :class:`GANEstimator` with this one's ``config``, ``m``, ``device`` and
        ``bootstrap_steps`` to each replication's data, seeded from the replication's own
        stream ``rng``, and returns ``{name: Estimate(estimate, se, lower, upper)}`` from
        :meth:`conf_int`, so a study (:class:`~gansim.study.core.Study`, which wraps it in
        :class:`~gansim.study.methods.FunctionMethod`) reports the interval's coverage and width.
        ``fn.__name__`` (the method's label) is ``"gan_<interval>"``; its ``__qualname__``
        records the settings, so a study refuses to resume results made with others.

        Methods from this call and others with the same settings share their work: the last
        8 fitted estimators of the process are kept, so ``"wald"``, ``"percentile"``, ``"basic"``
        and ``"bca"`` methods given the same stream (``FunctionMethod(fn, stream=None)``: the
        replication's own) fit one GAN and one set of bootstrap GANs per data set between
        them (in blocks of up to 8 replications), and their intervals are paired.

        Parameters
        ----------
        T : str, Functional, callable, or a list of built-in names
            As for :meth:`functional`; a list (e.g. ``list(gansim.FUNCTIONALS)``) gives an
            interval for each from the same fit.
        interval, level, R, bootstrap
            As ``method``, ``level``, ``R`` and ``bootstrap`` of :meth:`conf_int`.
        name : str, optional
            The quantity's name in the study's results; defaults to ``T`` when it is a
            built-in name (then the study's functional of that name gives the truth), and
            is required otherwise (not allowed with a list).

        Examples
        --------
        >>> fn = GANEstimator(GANConfig(steps=50), m=500).as_method("mean")
        >>> fn.__name__
        'gan_wald'
        >>> out = fn(np.array([0.0, 1.0, 3.0, 2.0]), np.random.default_rng(1))
        >>> sorted(out), type(out["mean"]).__name__
        (['mean'], 'Estimate')
        >>> both = GANEstimator(GANConfig(steps=50), m=500).as_method(["mean", "sd"])
        >>> sorted(both(np.array([0.0, 1.0, 3.0, 2.0]), np.random.default_rng(1)))
        ['mean', 'sd']
        """
        interval = check_interval(interval, "interval")
        if isinstance(T, list | tuple):
            if name is not None:
                raise ValueError("`name` cannot be given with a list `T`: each built-in "
                                 "functional is named by itself.")
            if not T or not all(isinstance(t, str) and t in FUNCTIONALS for t in T):
                allowed = ", ".join(repr(k) for k in FUNCTIONALS)
                raise ValueError(f"a list `T` must hold built-in names among {allowed}; got "
                                 f"{T!r}.")
            named = {t: t for t in T}
        else:
            functional_values(T)
            if name is None:
                if not (isinstance(T, str) and T in FUNCTIONALS):
                    raise ValueError("`name` is needed when `T` is not a built-in name: "
                                     "as_method(T, name='my_quantity').")
                name = T
            if not isinstance(name, str) or not name:
                raise ValueError(f"`name` must be a non-empty string, got {name!r}.")
            named = {name: T}
        config, m, device, steps = self.config, self.m, self.device, self.bootstrap_steps
        fit_key = json.dumps({"config": config.to_dict(), "m": m, "device": device,
                              "bootstrap_steps": steps}, sort_keys=True, default=str)

        def fn(x, rng):
            est = _fitted(fit_key, int(rng.integers(2**63)), x,
                          lambda seed: GANEstimator(config, seed=seed, m=m, device=device,
                                                    bootstrap_steps=steps))
            return {k: est.conf_int(t, level=level, method=interval, R=R,
                                    bootstrap=bootstrap).to_estimate()
                    for k, t in named.items()}

        settings = json.dumps({"fit": fit_key, "T": {k: _describe(t) for k, t in named.items()},
                               "level": level, "R": R, "bootstrap": bootstrap},
                              sort_keys=True, default=str)
        digest = hashlib.sha256(settings.encode()).hexdigest()[:12]
        fn.__name__ = f"gan_{interval}"
        label = repr(name) if len(named) == 1 and name is not None else repr(list(named))
        fn.__qualname__ = (f"GANEstimator.as_method({label}, interval={interval!r}, "
                           f"level={level}, R={R}, bootstrap={bootstrap!r}, "
                           f"settings sha256 {digest})")
        return fn

    # ----------------------------------------------------------------------------------------
    # Internals.

    def _seeds(self) -> dict[str, np.random.SeedSequence]:
        children = np.random.SeedSequence(self.seed).spawn(len(_STREAMS))
        return dict(zip(_STREAMS, children, strict=True))

    def _check_fitted(self):
        if not hasattr(self, "draws_"):
            raise RuntimeError("this GANEstimator is not fitted yet: call `fit(x)` first.")

    def _wald_se(self, key: str | None, values) -> float:
        d, n = self.draws_, self.n_
        if key == "mean":
            return float(d.std(ddof=1) / math.sqrt(n))
        if key == "sd":
            c = d - d.mean()
            mu2, mu4 = np.mean(c**2), np.mean(c**4)
            return float(math.sqrt(max(mu4 - mu2**2, 0.0) / (4.0 * mu2 * n)))
        if key in _QUANTILES:
            q = _QUANTILES[key]
            xi = np.quantile(d, q)
            f = float(stats.gaussian_kde(d)(xi)[0])
            return float(math.sqrt(q * (1 - q)) / (f * math.sqrt(n)))
        rng = np.random.default_rng(self._seeds()["wald"])
        samples = d[rng.integers(0, d.size, size=(_WALD_MC, n))]
        return float(np.std(values(samples, n), ddof=1))

    def _replicates(self, key: str | None, values, R: int, scheme: str) -> np.ndarray:
        """T on each of R bootstrap GANs' draws; kept for a built-in T (``key``), whose
        intervals of every method and level then cost no further pass over the draws."""
        if key is None:
            return values(self._bootstrap_draws(R, scheme), self.n_)
        have = self._reps.get((scheme, key))
        if have is None or have.size < R:
            have = values(self._bootstrap_draws(R, scheme), self.n_)
            self._reps[(scheme, key)] = have
        return have[:R]

    def _bootstrap_draws(self, R: int, scheme: str) -> np.ndarray:
        """Draws ``(R, m_boot)`` of R bootstrap GANs; replicate b's seeds depend on b only."""
        have = self._boot.get(scheme)
        done = 0 if have is None else have.shape[0]
        if done >= R:
            return have[:R]
        n, x = self.n_, self.x_
        m_boot = min(self.m, max(10_000, 50 * n))
        root = self._seeds()["bootstrap"]
        code = BOOTSTRAPS.index(scheme)
        seeds = [np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, code, b))
                 .spawn(4) for b in range(done, R)]
        with torch.no_grad():
            if scheme == "nonparametric":
                data = np.stack([x[np.random.default_rng(s[0]).integers(0, n, size=n)]
                                 for s in seeds])
            else:
                data = np.concatenate([_sample(self.block_, n,
                                               [torch_generator(s[0], self.device)])
                                       for s in seeds])
            constant = np.all(data == data[:, :1], axis=1)
            if constant.any():
                # No GAN for constant data: train on a stand-in, then use the point mass.
                from gansim.study.analysis import filler

                data = np.where(constant[:, None], filler(n), data)
            if self.bootstrap_steps is None:
                block = train_gans(data, self.config, init_seeds=[s[1] for s in seeds],
                                   noise_seeds=[s[2] for s in seeds], device=self.device)
            else:
                block = train_gans(data, replace(self.config, steps=self.bootstrap_steps),
                                   init_seeds=None, noise_seeds=[s[2] for s in seeds],
                                   device=self.device, warm_start=self.block_)
            gens = [torch_generator(s[3], self.device) for s in seeds]
            draws = _sample(block, m_boot, gens)
        if constant.any():
            draws[constant] = data[constant, :1]
        self._boot[scheme] = draws if have is None else np.concatenate([have, draws])
        return self._boot[scheme][:R]


# --------------------------------------------------------------------------------------------
# Helpers and input validation.


def _sample(block: GANBlock, m: int, gens) -> np.ndarray:
    """``m`` draws from each row of ``block`` as float64 numpy, a few rows at a time."""
    R = block.generator.shape[0]
    out = np.empty((R, m))
    for s in range(0, R, _SAMPLE_ROWS):
        e = min(s + _SAMPLE_ROWS, R)
        tails = None if block.latent_tails is None else block.latent_tails[s:e]
        sub = GANBlock(block.config, block.generator[s:e], block.discriminator[s:e],
                       block.center[s:e], block.scale[s:e], latent_tails=tails)
        out[s:e] = sub.sample(m, gens[s:e]).cpu().numpy()
    return out


#: The last estimators fitted by :meth:`GANEstimator.as_method` functions in this process,
#: keyed by (settings, seed, data): the interval methods of a block of up to 8 replications
#: share their fits (each holds its bootstrap GANs' draws: tens of MB).
_LAST_FIT = RecentCache(8)


def _fitted(settings: str, seed: int, x: Any, make: Callable[[int], GANEstimator]
            ) -> GANEstimator:
    arr = check_data(x)
    key = (settings, seed, arr.size, hashlib.sha256(arr.tobytes()).hexdigest())
    return _LAST_FIT.get(key, lambda: make(seed).fit(arr))


def _describe(T: Any) -> str:
    from gansim.study.identity import callable_id

    if isinstance(T, str):
        return T
    return callable_id(T.fn if isinstance(T, Functional) else T)
