"""Bad inputs generated from the declarations: every argument an entry point declares with
``validate_params`` is called with each value its constraint must refuse, and the error has
to name that argument.  A new declared argument gets these cases with no test written.

Also the vocabulary itself: each constraint accepts its own example, refuses its own bad
values, and the bounds of integer and real intervals fall where they are declared."""

from __future__ import annotations

import importlib
import inspect
import math
import pkgutil

import numpy as np
import pytest

import gansim
from gansim._validation import (
    AnyOf,
    Array,
    Boolean,
    Callable,
    Instance,
    Integer,
    InvalidParameterError,
    NoneOr,
    Options,
    Real,
    constraints_of,
    validate_params,
)
from gansim.gan.config import GANConfig
from gansim.inference.estimator import GANEstimator


def _modules():
    out = []
    for info in pkgutil.walk_packages(gansim.__path__, "gansim."):
        if info.name.endswith("__main__"):
            continue
        out.append(importlib.import_module(info.name))
    return out


def _declared():
    """(qualified name, callable, owner class or None) of every entry point in gansim that
    declares constraints."""
    found = {}
    for module in _modules():
        for name, obj in vars(module).items():
            if getattr(obj, "__module__", None) != module.__name__:
                continue
            if inspect.isfunction(obj) and constraints_of(obj):
                found[f"{module.__name__}.{name}"] = (obj, None)
            elif inspect.isclass(obj):
                if "__gansim_constraints__" in vars(obj):  # a class of settings
                    found[f"{module.__name__}.{name}"] = (obj, None)
                for attr, member in vars(obj).items():
                    if inspect.isfunction(member) and constraints_of(member):
                        found[f"{module.__name__}.{name}.{attr}"] = (member, obj)
    return found


DECLARED = _declared()

_X = np.array([0.3, -1.2, 0.8, 1.9, -0.4, 0.1])

#: Arguments an entry point needs beyond what its declarations supply (a valid value of
#: every declared argument comes from the constraint itself).
EXTRA = {
    "gansim.inference.bootstrap.bootstrap_interval": {"estimate": 0.0,
                                                       "replicates": np.arange(9.0)},
    "gansim.inference.intervals.bootstrap_replicates": {"T": "mean"},
    "gansim.inference.intervals.bootstrap_conf_int": {"T": "mean"},
    "gansim.inference.intervals.interval_method": {"interval": "t"},
    "gansim.inference.estimator.GANEstimator.conf_int": {"T": "mean"},
    "gansim.inference.estimator.GANEstimator.as_method": {"T": "mean"},
    "gansim.summary.simsum.simsum": {"estimate": "x"},
    "gansim.study.core.run_study": {"study": gansim.Study(["ecdf"], dgp="normal",
                                                          replications=2, n=5)},
    "gansim.summary.convergence.fit_rates": {"formula": "y ~ x"},
    "gansim.summary.convergence.floor_fit": {"n": [10, 20, 40, 80],
                                             "mean": [0.3, 0.2, 0.15, 0.1], "mcse": [0.01] * 4},
    "gansim.summary.convergence.ks_exact_slope": {"ns": [10, 20]},
    "gansim.summary.tables.format_cell": {"est": 0.5, "mcse": 0.01},
    "gansim.summary.tables.summary_table": {"rows": "x", "columns": "method"},
}

#: How to get the ``self`` of a method that declares constraints.
SELF = {GANEstimator: lambda: GANEstimator(GANConfig(steps=5), m=10)}


def _cases():
    for qualname, (fn, _owner) in sorted(DECLARED.items()):
        for arg, constraint in constraints_of(fn).items():
            for i, bad in enumerate(constraint.invalid()):
                # Ids without reprs: an object's repr holds its address, which differs
                # between the processes of pytest-xdist.
                yield pytest.param(qualname, arg, bad,
                                   id=f"{qualname}-{arg}-{i}-{type(bad).__name__}")


def test_every_declared_entry_point_is_found_and_callable_here():
    # The discovery must see the entry points this file is known to cover (a negative
    # control: if discovery broke, the generated cases below would silently vanish).
    assert {"gansim.summary.performance.bias", "gansim.inference.intervals.t_interval",
            "gansim.inference.estimator.GANEstimator.conf_int",
            "gansim.gan.config.GANConfig"} <= set(DECLARED)
    for qualname, (fn, owner) in DECLARED.items():
        assert owner is None or owner in SELF, f"no way to build the owner of {qualname}"
        params = inspect.signature(fn).parameters
        assert set(constraints_of(fn)) <= set(params), qualname
        declared = constraints_of(fn)
        extra = EXTRA.get(qualname, {})
        missing = [p for p, v in params.items() if p != "self" and p not in declared
                   and p not in extra and v.default is inspect.Parameter.empty
                   and v.kind not in (v.VAR_POSITIONAL, v.VAR_KEYWORD)]
        assert not missing, f"{qualname}: give EXTRA values for {missing}"


@pytest.mark.parametrize("qualname, arg, bad", list(_cases()))
def test_each_declared_argument_refuses_its_bad_values_by_name(qualname, arg, bad):
    fn, owner = DECLARED[qualname]
    kwargs = {p: c.valid() for p, c in constraints_of(fn).items()}
    kwargs.update(EXTRA.get(qualname, {}))
    kwargs[arg] = bad
    args = (SELF[owner](),) if owner is not None else ()
    with pytest.raises((ValueError, TypeError)) as info:
        fn(*args, **kwargs)
    assert f"`{arg}`" in str(info.value), str(info.value)


@pytest.mark.parametrize("constraint", [
    Integer(), Integer(1), Integer(1, 10), Integer(high=3), Real(), Real(0, closed="neither"),
    Real(0, 1, closed="neither"), Real(0, 1), Real(high=0, closed="left"), Options("a", "b"),
    Boolean(), Callable(), Array(1, 2), Array(2, 1), Array(1, 2, flags=True),
    NoneOr(Integer(0)), AnyOf(Options("nrd0"), Real(0, closed="neither")),
    Instance(np.random.Generator, "a Generator", np.random.default_rng(0)),
])
def test_constraints_accept_their_example_and_refuse_their_bad_values(constraint):
    constraint.check(constraint.valid(), "arg")
    for bad in constraint.invalid():
        with pytest.raises(InvalidParameterError, match="`arg` must"):
            constraint.check(bad, "arg")


def test_interval_ends_fall_where_declared():
    assert Integer(1, 3).check(np.int64(3), "n") == 3
    for bad in (0, 4, 2.0, True):
        with pytest.raises(InvalidParameterError):
            Integer(1, 3).check(bad, "n")
    assert Real(0, 1).check(0, "p") == 0.0 and Real(0, 1).check(1, "p") == 1.0
    for closed, ok in (("neither", ()), ("left", (0,)), ("right", (1,)), ("both", (0, 1))):
        for end in (0, 1):
            c = Real(0, 1, closed=closed)
            if end in ok:
                assert c.check(end, "p") == end
            else:
                with pytest.raises(InvalidParameterError, match=r"`p` must be a number in"):
                    c.check(end, "p")
    with pytest.raises(InvalidParameterError):
        Real().check(math.nan, "x")
    # An error is both kinds, so callers catching either keep working.
    assert issubclass(InvalidParameterError, ValueError)
    assert issubclass(InvalidParameterError, TypeError)


def test_validate_params_cleans_values_and_refuses_unknown_names():
    @validate_params(R=Integer(2), level=Real(0, 1, closed="neither"))
    def f(x, R=200, level=0.95):
        return R, level

    assert f(None, R=np.int64(5)) == (5, 0.95)
    assert type(f(None, R=np.int64(5))[0]) is int
    assert constraints_of(f).keys() == {"R", "level"}
    with pytest.raises(TypeError, match="no argument 'nope'"):
        validate_params(nope=Integer())(lambda x: x)
