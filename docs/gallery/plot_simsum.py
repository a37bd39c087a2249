"""
Performance measures of any simulation, as rsimsum
==================================================

:func:`gansim.simsum` computes the performance measures of Morris, White and Crowther (2019),
each with its Monte Carlo standard error, on any frame of estimates: here a small
simulation of three estimators of a normal mean written without gansim's study machinery
(the sample mean, the median and a 20% trimmed mean), each with a Wald interval.
"""

import numpy as np
import pandas as pd
import scipy.stats as st

import gansim as gs

rng = np.random.default_rng(2019)
B, n = 1000, 30
x = rng.standard_t(3, size=(B, n))  # heavy tails: where the mean loses to robust estimators
frames = []
for method, fn in [("mean", np.mean), ("median", np.median),
                   ("trimmed", lambda a, axis: st.trim_mean(a, 0.2, axis=axis))]:
    est = fn(x, axis=1)
    # A bootstrap SE from 200 resamples of each data set (vectorised over replications).
    idx = rng.integers(0, n, size=(200, n))
    se = fn(x[:, idx], axis=2).std(axis=1, ddof=1)
    frames.append(pd.DataFrame({"method": method, "rep": np.arange(B), "est": est, "se": se}))
data = pd.concat(frames, ignore_index=True)

s = gs.simsum(data, "est", true=0.0, se="se", methodvar="method", ref="mean")
s.pivot(index="stat", columns="method", values="est").round(4)

# %%
# Precision relative to the mean (``relprec``: % gain, paired), and the coverage of the
# Wald intervals, each with ±1.96 MCSE:

fig = gs.autoplot(s, "forest", stat="relprec")

# %%

fig = gs.autoplot(s, "lolly", stat="cover")
