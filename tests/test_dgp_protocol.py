"""The DGP protocol: what a study calls on a user's DGP, what fails a replication, what is
skipped with a note, and a scalar-only quantile function detected and called point by
point."""

import math

import numpy as np
import pandas as pd
import pytest
import scipy.stats as st

from gansim import GAN, EmpiricalCDF, GANConfig, Normal, Oracle, Study, run_study
from gansim.study.dgp import PointwiseDGP, check_sample, vectorised


class ScalarNormal:
    """N(0, 1) whose cdf and ppf take one number at a time (math, not numpy)."""

    def sample(self, n, rng):
        return rng.standard_normal(n)

    def cdf(self, x):
        return 0.5 * math.erfc(-x / math.sqrt(2))

    def ppf(self, q):
        return float(st.norm.ppf(float(q)))

    mean, std = 0.0, 1.0


class VectorNormal(ScalarNormal):
    """The same distribution, vectorised (the reference)."""

    def cdf(self, x):
        return st.norm.cdf(x)

    def ppf(self, q):
        return st.norm.ppf(q)


class ListSample:
    def sample(self, n, rng):
        return list(rng.standard_normal(n))


class SampleOnly:
    def sample(self, n, rng):
        return rng.standard_normal(n)


KW = dict(replications=4, n=20, m=200, functionals=["mean", "median"], block_size=4,
          distances=["ks"])


def test_scalar_ppf_and_cdf_are_called_point_by_point_with_a_note():
    gan = GAN(GANConfig(steps=10))
    scalar = Study([EmpiricalCDF(), gan, Oracle()], dgp=ScalarNormal(), **KW)
    vector = Study([EmpiricalCDF(), gan, Oracle()], dgp=VectorNormal(), **KW)
    a = run_study(scalar, seed=3, progress=False)
    b = run_study(vector, seed=3, progress=False)
    assert a.tidy.status.eq("ok").all()
    assert {"jsd_star", "collapsed", "ks"} <= set(a.tidy.quantity)
    pd.testing.assert_frame_equal(a.tidy, b.tidy, check_exact=False, rtol=1e-12)
    notes = a.conditions.notes.iloc[0]
    assert "ScalarNormal.ppf takes one number at a time" in notes
    assert "ScalarNormal.cdf takes one number at a time" in notes
    assert "one number at a time" not in b.conditions.notes.iloc[0]
    # Detected once: the study holds the wrapped DGP, whose record is the DGP's own.
    dgp = scalar.dgp_for(scalar.conditions[0])
    assert isinstance(dgp, PointwiseDGP) and dgp.mean == 0.0
    assert scalar.settings(scalar.conditions[0])["dgp"].startswith("test_dgp_protocol."
                                                                   "ScalarNormal()")


def test_a_sample_that_is_a_list_fails_each_replication_naming_the_dgp():
    study = Study([EmpiricalCDF()], dgp=ListSample(), replications=3, n=5,
                  functionals=["mean"], distances=[], max_failure_share=1.0)
    from gansim import StudyError

    with pytest.raises(StudyError, match="all|3 of 3") as info:
        run_study(study, seed=1, progress=False)
    t = info.value.result.tidy
    assert t.status.eq("error").all()
    assert t.error.str.contains(r"ListSample.sample\(n=5, rng\) must return a numpy array of 5 "
                                r"finite floats; it returned a list").all()


@pytest.mark.parametrize("x, match", [
    (np.zeros((2, 2)), "shape"), (np.array(["a", "b", "c", "d"]), "dtype"),
    (np.array([0.0, np.inf, 1.0, 2.0]), "1 non-finite"),
])
def test_check_sample_names_the_problem(x, match):
    with pytest.raises((TypeError, ValueError), match=match):
        check_sample(x, 4, Normal())


def test_what_a_dgp_lacks_is_skipped_with_a_note():
    study = Study([EmpiricalCDF(), GAN(GANConfig(steps=10))], dgp=SampleOnly(), **KW)
    res = run_study(study, seed=2, progress=False)
    assert res.tidy.status.eq("ok").all()
    assert set(res.tidy.quantity) == {"mean", "median", "d_real", "d_fake", "value"}
    notes = res.conditions.notes.iloc[0]
    for text in ("ks skipped", "true value unknown for ['mean', 'median']",
                 "jsd_star skipped: the DGP has no ppf", "collapsed skipped: the DGP has no cdf"):
        assert text in notes


def test_vectorised_leaves_working_and_broken_functions_alone():
    d, notes = vectorised(VectorNormal())
    assert not isinstance(d, PointwiseDGP) and notes == []

    class Broken(SampleOnly):
        def ppf(self, q):
            raise RuntimeError("no quantiles here")

    d, notes = vectorised(Broken())
    assert not isinstance(d, PointwiseDGP) and notes == []
    assert vectorised(Normal())[0] == Normal()
