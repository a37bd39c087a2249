"""gansim: Monte Carlo simulation studies of GANs used as nonparametric estimators.

The public API, re-exported from one module per idea:

- data-generating processes with exact truths (:mod:`gansim.dgp`),
- functionals and distances of a sample (:mod:`gansim.estimators`),
- small 1-D GANs trained many at a time (:mod:`gansim.gan`),
- seed streams per replication (:mod:`gansim.rng`) and the block runner (:mod:`gansim.runner`),
- performance measures with Monte Carlo standard errors (:mod:`gansim.performance`),
- the lecture's proof-of-concept study (:mod:`gansim.poc`).
"""

from importlib.metadata import PackageNotFoundError, version

from gansim.dgp import DGPS, LogNormal, Normal, NormalMixture, StudentT, make_dgp
from gansim.estimators import ks_distance, ks_distance_batch, sample_mean, sample_sd
from gansim.gan.config import GANConfig
from gansim.gan.engine import GANBlock, train_gans
from gansim.performance import Measure
from gansim.poc import PocDesign, run_poc, summarise_poc, write_poc_outputs
from gansim.rng import replication_streams
from gansim.runner import StudyRun, run_replications

try:
    __version__ = version("gansim")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0+unknown"

__all__ = [
    "DGPS",
    "GANBlock",
    "GANConfig",
    "LogNormal",
    "Measure",
    "Normal",
    "NormalMixture",
    "PocDesign",
    "StudentT",
    "StudyRun",
    "__version__",
    "ks_distance",
    "ks_distance_batch",
    "make_dgp",
    "replication_streams",
    "run_poc",
    "run_replications",
    "sample_mean",
    "sample_sd",
    "summarise_poc",
    "train_gans",
    "write_poc_outputs",
]
