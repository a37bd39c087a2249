"""User objects are recorded by what they are: an unchanged script resumes, a changed one is
refused with the differing keys and both values."""

import json
import re

import numpy as np
import pytest

from gansim import EmpiricalCDF, Parametric, Study, run_study
from gansim.study.identity import callable_id, differences, object_id


class ContaminatedNormal:
    """N(0, 1) with a share ``eps`` of N(0, 3²): a user's DGP class without ``__repr__``."""

    def __init__(self, eps=0.1):
        self.eps = eps

    def sample(self, n, rng):
        wide = rng.random(n) < self.eps
        return np.where(wide, 3.0, 1.0) * rng.standard_normal(n)

    def mean(self):
        return 0.0


class Exceedance:
    """P(X > t) as a callable object (a functional without ``__qualname__``)."""

    def __init__(self, t):
        self.t = t

    def __call__(self, x):
        return float(np.mean(x > self.t))


class Shrunk(Parametric):
    """A user's method with a parameter of its own."""

    name = "shrunk"

    def __init__(self, factor=0.5, **kw):
        super().__init__(**kw)
        self.factor = factor


def make(eps=0.1, t=4.0, factor=0.5):
    return Study([EmpiricalCDF(), Shrunk(factor)], dgp=ContaminatedNormal(eps),
                 replications=6, n=20, m=100, block_size=3,
                 functionals={"mean": "mean", "p4": Exceedance(t)}, distances=[])


def test_settings_hold_no_memory_address():
    settings = make().settings(make().conditions[0])
    text = json.dumps(settings)
    assert " at 0x" not in text
    assert settings["dgp"].startswith("test_study_identity.ContaminatedNormal(eps=0.1)")
    assert settings["functionals"]["p4"].startswith("test_study_identity.Exceedance(t=4.0)")
    shrunk = settings["methods"][1]
    assert shrunk["attributes"] == {"factor": "0.5"}
    assert shrunk["class"].startswith("test_study_identity.Shrunk [source sha256 ")
    # Equal objects, equal records; another value, another record.
    assert object_id(ContaminatedNormal(0.1)) == object_id(ContaminatedNormal(0.1))
    assert object_id(ContaminatedNormal(0.1)) != object_id(ContaminatedNormal(0.2))


def test_an_unchanged_script_resumes(tmp_path):
    first = run_study(make(), seed=1, progress=False, out_dir=tmp_path)
    again = run_study(make(), seed=1, progress=False, out_dir=tmp_path)  # new objects
    assert again.conditions.blocks_resumed.iloc[0] == 2
    assert again.conditions.blocks_computed.iloc[0] == 0
    assert again.tidy.equals(first.tidy)


@pytest.mark.parametrize("change, key, old, new", [
    (dict(eps=0.2), "dgp", "eps=0.1", "eps=0.2"),
    (dict(t=5.0), "functionals.p4", "t=4.0", "t=5.0"),
    (dict(factor=0.7), "methods[1].attributes.factor", "'0.5'", "'0.7'"),
])
def test_a_changed_setting_is_refused_naming_it_with_both_values(tmp_path, change, key, old,
                                                                  new):
    run_study(make(), seed=1, progress=False, out_dir=tmp_path)
    with pytest.raises(ValueError, match="differing: settings") as info:
        run_study(make(**change), seed=1, progress=False, out_dir=tmp_path)
    message = str(info.value)
    assert f"{key}: stored " in message
    stored, now = message.split(f"{key}: stored ", 1)[1].split(", now ", 1)
    assert old in stored and new in now.split(";")[0]
    # Without the folder's record, the blocks' settings refuse it the same way.
    (tmp_path / "study.json").unlink()
    pattern = rf"other settings \(differing: .*{re.escape(key)}: stored"
    with pytest.raises(ValueError, match=pattern):
        run_study(make(**change), seed=1, progress=False, out_dir=tmp_path)


def test_callable_ids_of_objects_and_partials():
    import functools

    assert callable_id(Exceedance(4.0)) == callable_id(Exceedance(4.0))
    assert "0x" not in callable_id(functools.partial(np.quantile, q=0.5))
    assert callable_id(np.mean) == "numpy.mean" or callable_id(np.mean).startswith(
        "numpy.mean [source sha256 ")
    assert differences({"a": [1, {"b": 2}]}, {"a": [1, {"b": 3}]}) == ["a[1].b: stored 2, now 3"]
