"""Summaries of a study's tidy results: performance measures with Monte Carlo standard
errors (:mod:`gansim.summary.performance`), their summary by condition
(:func:`simsum`, :func:`summarise`), tables (:func:`summary_table`), rsimsum-style plots
(:func:`autoplot`) and convergence rates (:mod:`gansim.summary.convergence`)."""

from gansim.summary.plots import autoplot
from gansim.summary.simsum import simsum, summarise
from gansim.summary.tables import summary_table

__all__ = ["autoplot", "simsum", "summarise", "summary_table"]
