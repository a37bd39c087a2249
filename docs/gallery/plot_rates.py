"""
How fast does each estimate approach the truth?
===============================================

The mean Kolmogorov-Smirnov distance sup|F̂ − F| of four estimates of a Student t(5)
distribution, against the sample size n, on log-log axes: a straight line of slope b is a
rate n^b (b = −1/2 for the empirical cdf F_n). The smoothed bootstrap and the GAN draw m
points from a smooth fit; the oracle draws m points from the truth itself, so its distance is
the floor that m draws put under every sampling method.
"""

import os

import gansim as gs

QUICK = os.environ.get("GANSIM_DOCS_QUICK") == "1"
B, NS = (10, [25, 100]) if QUICK else (50, [25, 50, 100, 200, 400])

study = gs.Study(
    [gs.EmpiricalCDF(), gs.SmoothedBootstrap(), gs.GAN(), gs.Oracle()],
    dgp=gs.StudentT(5),
    design=gs.condition_grid(B, n=NS),
    m=5000,
    functionals=[],
    distances=["ks"],
)
res = gs.run_study(study, seed=5, n_jobs=1, progress=False)
s = res.summary()
fig = gs.autoplot(s, "by", stat="mean", quantity="ks")

# %%
# The same numbers, mean KS (MCSE):

ks = s[(s.stat == "mean") & (s.quantity == "ks")]
cell = ks.est.map("{:.4f}".format) + " (" + ks.mcse.map("{:.4f}".format) + ")"
ks.assign(cell=cell).pivot_table(index="n", columns="method", values="cell", aggfunc="first",
                                 sort=False)
