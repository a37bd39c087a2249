"""
Inference from one data set
===========================

:class:`gansim.GANEstimator` fits a GAN to one sample and gives estimates and confidence
intervals for a functional of the fitted distribution F*. Here: 100 points from a
Gamma(2, 1), the GAN's estimate of the 0.9 quantile with its Wald and GAN-bootstrap
intervals, against the classical ones computed on the same data.
"""

import os

import matplotlib.pyplot as plt
import numpy as np
import scipy.stats as st

import gansim as gs
from gansim.inference import intervals

QUICK = os.environ.get("GANSIM_DOCS_QUICK") == "1"
R = 30 if QUICK else 200  # bootstrap GANs

x = st.gamma(2).rvs(size=100, random_state=np.random.default_rng(0))
est = gs.GANEstimator(seed=1).fit(x)  # the default recipe: 2,000 steps

# %%
# The data, the GAN's draws and the true density.

fig, ax = plt.subplots(figsize=(6.4, 3.6), layout="constrained")
grid = np.linspace(0, 10, 400)
ax.hist(x, bins=20, density=True, alpha=0.4, label="data, n = 100")
ax.hist(est.rvs(20_000), bins=80, density=True, histtype="step", label="GAN draws")
ax.plot(grid, st.gamma(2).pdf(grid), "k--", label="Gamma(2, 1)")
ax.set_xlabel("x")
ax.set_ylabel("density")
ax.legend()

# %%
# The 0.9 quantile: the GAN's intervals, and the classical intervals of the same data.

rows = {f"GAN {method}": est.conf_int("q90", method=method, R=R)
        for method in ("wald", "percentile")}
rows["bootstrap BCa (data)"] = intervals.bootstrap_conf_int(
    x, "q90", method="bca", R=1000, rng=np.random.default_rng(1))
print(f"truth: {st.gamma(2).ppf(0.9):.3f}")
for name, ci in rows.items():
    print(f"{name:>22}: {ci}")
