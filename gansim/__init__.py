"""gansim: Monte Carlo simulation studies of GANs used as nonparametric estimators.

The public API is what a study is built with: a design (:func:`condition_grid`), a
data-generating process (gansim's families, a frozen ``scipy.stats`` distribution or any
object with ``sample(n, rng)``), methods (the GAN and its competitors, or plain functions),
functionals, then :class:`Study`, :func:`run_study` and :func:`summarise`.  The primitives
stay in their modules, one idea each:

- data-generating processes with exact truths (:mod:`gansim.study.dgp`),
- functionals of a sample and distances to the truth (:mod:`gansim.study.functionals`,
  :mod:`gansim.study.distances`),
- small 1-D GANs trained many at a time (:mod:`gansim.gan`),
- distribution estimates behind one interface (:mod:`gansim.study.methods`),
- seed streams per replication (:mod:`gansim.rng`), the design (:mod:`gansim.study.design`), the
  study (:mod:`gansim.study.core`) and its block runner (:mod:`gansim.study.runner`),
- performance measures with Monte Carlo standard errors (:mod:`gansim.summary.performance`) and the
  summary of a study's tidy results (:mod:`gansim.summary.simsum`), its tables
  (:func:`summary_table`, :mod:`gansim.summary.tables`) and rsimsum-style plots (:func:`autoplot`,
  :mod:`gansim.summary.plots`),
- convergence rates by statsmodels formulas (:mod:`gansim.summary.convergence`), the one
  writer of files (:mod:`gansim._files`), the results READMEs rendered from the committed files
  (:mod:`gansim.render`), the shipped studies (:mod:`gansim.studies`) and their command
  line (``python -m gansim``, :mod:`gansim.cli`).
"""

from gansim._platform import gansim_version
from gansim.gan.config import GANConfig
from gansim.inference.estimator import GANEstimator
from gansim.study.core import Study, StudyError, StudyResult, replay, run_study
from gansim.study.design import Condition, condition_grid
from gansim.study.dgp import DGP, Gamma, LogNormal, Normal, NormalMixture, StudentT, Uniform
from gansim.study.functionals import Estimate, Functional
from gansim.study.methods import (
    GAN,
    Bootstrap,
    EmpiricalCDF,
    FunctionMethod,
    Method,
    Oracle,
    Parametric,
    SmoothedBootstrap,
)
from gansim.summary.plots import autoplot
from gansim.summary.simsum import simsum, summarise
from gansim.summary.tables import summary_table

__version__ = gansim_version()  # 0+unknown from a source tree never installed

__all__ = [
    "Bootstrap",
    "Condition",
    "DGP",
    "EmpiricalCDF",
    "Estimate",
    "Functional",
    "FunctionMethod",
    "GAN",
    "GANConfig",
    "GANEstimator",
    "Gamma",
    "LogNormal",
    "Method",
    "Normal",
    "NormalMixture",
    "Oracle",
    "Parametric",
    "SmoothedBootstrap",
    "StudentT",
    "Uniform",
    "Study",
    "StudyError",
    "StudyResult",
    "__version__",
    "autoplot",
    "condition_grid",
    "replay",
    "run_study",
    "simsum",
    "summarise",
    "summary_table",
]
