"""Declare and run a simulation study: the design, the data-generating processes, the
methods and functionals, and the block runner that computes replications locally or on a
cluster.

===============================  ================================================================
module                           what it holds
===============================  ================================================================
:mod:`gansim.study.design`       factorial designs of conditions (:func:`condition_grid`)
:mod:`gansim.study.dgp`          data-generating processes with exact truths, the DGP protocol
:mod:`gansim.study.functionals`  functionals of a sample (:class:`Functional`, :class:`Estimate`)
:mod:`gansim.study.distances`    distances of a sample's CDF to the truth (KS, Wasserstein, ...)
:mod:`gansim.study.methods`      the method contract and the GAN and its competitors
:mod:`gansim.study.analysis`     one replication's analysis, failures kept per quantity
:mod:`gansim.study.identity`     identities of user objects that survive a rerun
:mod:`gansim.study.runner`       blocks of replications computed, checked and saved
:mod:`gansim.study.executors`    local processes or a dask cluster behind one interface
:mod:`gansim.study.core`         :class:`Study`, :func:`run_study`, :class:`StudyResult`
===============================  ================================================================
"""

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

__all__ = ["Bootstrap", "Condition", "DGP", "EmpiricalCDF", "Estimate", "FunctionMethod",
           "Functional", "GAN", "Gamma", "LogNormal", "Method", "Normal", "NormalMixture",
           "Oracle", "Parametric", "SmoothedBootstrap", "StudentT", "Study", "StudyError",
           "StudyResult", "Uniform", "condition_grid", "replay", "run_study"]
