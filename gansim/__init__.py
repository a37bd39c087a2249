"""gansim: Monte Carlo simulation studies of GANs used as nonparametric estimators.

The public API, re-exported from one module per idea:

- data-generating processes with exact truths (:mod:`gansim.dgp`),
- functionals and distances of a sample (:mod:`gansim.estimators`),
- small 1-D GANs trained many at a time (:mod:`gansim.gan`),
- seed streams per replication (:mod:`gansim.rng`) and the block runner (:mod:`gansim.runner`),
- performance measures with Monte Carlo standard errors (:mod:`gansim.performance`),
- the lecture's proof-of-concept study (:mod:`gansim.poc`),
- distribution estimates behind one interface (:mod:`gansim.methods`) and their distances
  to the truth (:mod:`gansim.distances`),
- design grids (:mod:`gansim.design`), the estimation study over a grid (:mod:`gansim.grid`)
  and convergence rates by statsmodels formulas (:mod:`gansim.rates`).
"""

from importlib.metadata import PackageNotFoundError, version

from gansim.design import Condition, condition_grid, run_grid
from gansim.dgp import DGPS, LogNormal, Normal, NormalMixture, StudentT, make_dgp
from gansim.distances import cramer_von_mises, distances_batch, wasserstein1
from gansim.estimators import ks_distance, ks_distance_batch, sample_mean, sample_sd
from gansim.gan.config import GANConfig
from gansim.gan.engine import GANBlock, resolve_engine, train_gans
from gansim.gan.losses import LOSSES
from gansim.grid import EstimationDesign, run_estimation, summarise_estimation
from gansim.methods import (
    GAN,
    METHODS,
    Bootstrap,
    EmpiricalCDF,
    Oracle,
    Parametric,
    SmoothedBootstrap,
    make_method,
)
from gansim.performance import Measure
from gansim.poc import PocDesign, run_poc, summarise_poc, write_poc_outputs
from gansim.rates import fit_rates, ks_exact_slope, rate_slopes
from gansim.rng import replication_streams
from gansim.runner import StudyRun, run_replications

try:
    __version__ = version("gansim")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0+unknown"

__all__ = [
    "Bootstrap",
    "Condition",
    "DGPS",
    "EmpiricalCDF",
    "EstimationDesign",
    "GAN",
    "GANBlock",
    "GANConfig",
    "LOSSES",
    "LogNormal",
    "METHODS",
    "Measure",
    "Normal",
    "NormalMixture",
    "Oracle",
    "Parametric",
    "PocDesign",
    "SmoothedBootstrap",
    "StudentT",
    "StudyRun",
    "__version__",
    "condition_grid",
    "cramer_von_mises",
    "distances_batch",
    "fit_rates",
    "ks_distance",
    "ks_distance_batch",
    "ks_exact_slope",
    "make_dgp",
    "make_method",
    "rate_slopes",
    "replication_streams",
    "resolve_engine",
    "run_estimation",
    "run_grid",
    "run_poc",
    "run_replications",
    "sample_mean",
    "sample_sd",
    "summarise_estimation",
    "summarise_poc",
    "train_gans",
    "wasserstein1",
    "write_poc_outputs",
]
