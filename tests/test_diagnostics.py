"""Equilibrium and failure diagnostics: closed forms, the JSD estimator against an exact
binned JSD and its null bias, the collapse rule, and the columns of the study's output."""

import math

import numpy as np
import pytest
import torch
from scipy import stats
from scipy.spatial.distance import jensenshannon

from gansim.gan.config import GANConfig
from gansim.gan.diagnostics import JSD_BINS, binned_jsd, collapsed, equilibrium, ks_threshold
from gansim.gan.engine import GANBlock, MLPLayout
from gansim.studies.poc import poc_study
from gansim.study.core import run_study
from gansim.study.dgp import Normal


def test_binned_jsd_equals_the_exact_binned_jsd_of_a_narrow_normal():
    """Draws from N(0, 0.6²) against Φ: the estimate's mean over rows matches the JSD of the
    exact bin probabilities Φ(e_j / 0.6) (scipy's jensenshannon, squared, natural log)."""
    rng = np.random.default_rng(3)
    R, m, s = 60, 10_000, 0.6
    est = binned_jsd(s * rng.standard_normal((R, m)), stats.norm.ppf)
    edges = np.concatenate(([-np.inf], stats.norm.ppf(np.arange(1, JSD_BINS) / JSD_BINS),
                            [np.inf]))
    p = np.diff(stats.norm.cdf(edges / s))
    exact = jensenshannon(p, np.full(JSD_BINS, 1 / JSD_BINS)) ** 2
    mcse = est.std(ddof=1) / math.sqrt(R)
    # plus the plug-in bias, about (K - 1)/(8m) = 0.0006
    assert abs(est.mean() - exact) < 4 * mcse + 0.001
    assert exact > 0.02  # negative control: far from the null level


def test_binned_jsd_null_bias_is_k_minus_1_over_8m():
    """Draws from the truth itself: E JSD ≈ Σ_j E(p̂_j - q)²/(8q) = (K - 1)/(8m)."""
    rng = np.random.default_rng(4)
    R, m = 400, 10_000
    est = binned_jsd(rng.standard_normal((R, m)), stats.norm.ppf)
    mcse = est.std(ddof=1) / math.sqrt(R)
    assert abs(est.mean() - (JSD_BINS - 1) / (8 * m)) < 4 * mcse
    assert np.all(est < math.log(2))


def _block(loss: str, d_value: float = 0.0) -> GANBlock:
    """Two replications whose D outputs the constant ``d_value`` (zero weights, bias)."""
    cfg = GANConfig(loss=loss, dtype="float64")
    d_layout = MLPLayout(cfg.d_sizes)
    d = torch.zeros(2, d_layout.size, dtype=torch.float64)
    d[:, d_layout.slices[-1][1]] = d_value
    g = torch.zeros(2, MLPLayout(cfg.g_sizes).size, dtype=torch.float64)
    ones = torch.ones(2, dtype=torch.float64)
    return GANBlock(cfg, g, d, 0 * ones, ones)


@pytest.mark.parametrize("loss, o, d_eq, value", [
    ("nonsaturating", 0.0, 0.5, -math.log(4)),  # D = ½ everywhere: V = -log 4
    ("minimax", 0.0, 0.5, -math.log(4)),
    ("least-squares", 0.5, 0.5, -0.25),
    ("wasserstein", 0.3, 0.3, 0.0),
    ("nonsaturating", 2.0, 1 / (1 + math.exp(-2)),  # negative control: D not at ½
     math.log(1 / (1 + math.exp(-2))) + math.log(1 - 1 / (1 + math.exp(-2)))),
])
def test_equilibrium_diagnostics_of_a_constant_discriminator(loss, o, d_eq, value):
    x = torch.randn(2, 30, dtype=torch.float64)
    draws = torch.randn(2, 500, dtype=torch.float64)
    diag = equilibrium(_block(loss, o), x, draws, chunk=128)
    np.testing.assert_allclose(diag["d_real"], d_eq, rtol=1e-12)
    np.testing.assert_allclose(diag["d_fake"], d_eq, rtol=1e-12)
    np.testing.assert_allclose(diag["value"], value, rtol=1e-12, atol=1e-15)


def test_collapse_rule():
    assert ks_threshold(100) == pytest.approx(stats.kstwo(100).ppf(0.9999))
    assert 0.21 < ks_threshold(100) < 0.23
    flags = collapsed(sd_star=[1.0, 0.4, 1.0, np.nan], sd=[1.0, 1.0, 1.0, 1.0],
                      ks_star=[0.05, 0.05, 0.3, np.nan], n=100)
    assert flags.tolist() == [False, True, True, False]


DIAGNOSTICS = ["d_real", "d_fake", "value", "jsd_star", "collapsed"]


def test_study_rows_carry_the_diagnostics():
    """A GAN after one step (still its initialisation, sd far below the data's) is flagged
    collapsed in every replication; after 400 steps on N(5, 2²), standardised, none is, D is
    near ½ and the value near -log 4.  The study's tidy rows carry them as the GAN's
    quantities."""
    def frame(steps):
        study = poc_study(replications=8, n=50, m=2000, dgp=Normal(5.0, 2.0), block_size=8,
                          gan=GANConfig(steps=steps, standardize=True))
        wide = run_study(study, seed=5, progress=False).wide()
        return wide[wide.method == "gan"].reset_index(drop=True)

    untrained = frame(1)
    assert set(DIAGNOSTICS) <= set(untrained) and (untrained.collapsed == 1).all()
    trained = frame(400)
    assert (trained.collapsed == 0).all()
    assert np.all(np.abs(trained.d_real - 0.5) < 0.15)
    assert np.all(np.abs(trained.value + math.log(4)) < 0.15)
    assert np.all(trained.jsd_star < untrained.jsd_star)
