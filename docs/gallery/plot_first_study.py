"""
A first study: four estimators of a Gamma distribution
======================================================

Four estimators of a Gamma(2, 1) distribution from n = 50 or 200 points: the empirical cdf,
Efron's bootstrap, the normal plug-in and a GAN. Every method sees the same data in a
replication, so their comparison is paired; every measure comes with its Monte Carlo
standard error (MCSE).
"""

import os

import scipy.stats as st

import gansim as gs

# The documentation's quick build (GANSIM_DOCS_QUICK=1) runs a tiny version of each example.
QUICK = os.environ.get("GANSIM_DOCS_QUICK") == "1"
B = 20 if QUICK else 200

# %%
# The study: a design (B replications at each n), a data-generating process, methods and
# functionals. ``m`` is the number of draws taken from each fitted distribution.

study = gs.Study(
    [gs.EmpiricalCDF(), gs.Bootstrap(), gs.Parametric(), gs.GAN()],
    dgp=st.gamma(2),
    design=gs.condition_grid(B, n=[50, 200]),
    m=2000,
    functionals=["mean", "sd"],
    distances=["ks"],
)
res = gs.run_study(study, seed=1, n_jobs=1, progress=False)
print(res)

# %%
# The summary: one row per condition, method, quantity and performance measure, each with
# its MCSE. The sd's bias, empirical SE and RMSE, as ``value (MCSE)`` by method:

s = res.summary(ref="ecdf")
rows = s[(s.quantity == "sd") & s.stat.isin(["bias", "empse", "rmse"])]
cell = rows.est.map("{:.3f}".format) + " (" + rows.mcse.map("{:.3f}".format) + ")"
rows.assign(cell=cell).pivot_table(index=["n", "stat"], columns="method", values="cell",
                                   aggfunc="first", sort=False)

# %%
# ``gs.summary_table`` writes the same cells as a Markdown or LaTeX (booktabs) table:

print(gs.summary_table(rows, rows=["n", "stat"], columns="method", fmt="tex"))

# %%
# The mean KS distance of each fit to the true cdf, ±1.96 MCSE: does the GAN's F*
# get closer to F than the data's own F_n?

fig = gs.autoplot(s, "forest", quantity="ks", stat="mean")

# %%
# The zip plot of the mean's 95% t intervals at n = 50 (rsimsum's): every replication's
# interval, ranked by its distance from the truth; the share that misses it is the
# non-coverage.

n50 = int(res.tidy.loc[res.tidy["n"] == 50, "condition"].iloc[0])
fig = gs.autoplot(res, "zip", quantity="mean", methods=["ecdf", "gan"], condition=n50)
