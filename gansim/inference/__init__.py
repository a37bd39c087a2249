"""Inference from one data set: the GAN as an estimator of a distribution
(:class:`GANEstimator`), its functionals' standard errors and confidence intervals, and the
bootstrap intervals shared with the competitors (:mod:`gansim.inference.intervals`)."""

from gansim.inference.estimator import ConfInt, GANEstimator

__all__ = ["ConfInt", "GANEstimator"]
