"""One vocabulary for checking what a user passes: constraints declared once, messages built
from the declaration, bad-input tests generated from it.

A public entry point declares each argument's constraint -- an integer or real interval, a
set of choices, a boolean, a finite array, a callable -- with :func:`validate_params` (as
scikit-learn does with its ``Interval``, ``StrOptions`` and ``validate_params``), or checks a
value in its body with :meth:`Constraint.check`.  Either way the message names the argument
and what it allows, the value comes back cleaned (a numpy integer as an int, a real as a
float), and the test suite asks every declared constraint for values it must refuse
(:meth:`Constraint.invalid`), so a new argument gets its bad-input tests for free.

Imports nothing of gansim: every layer of the package may use it.
"""

from __future__ import annotations

import functools
import inspect
import math
import numbers
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["AnyOf", "Array", "Boolean", "Callable", "Constraint", "Instance", "Integer",
           "InvalidParameterError",
           "NoneOr", "Options", "Real", "SD_RANGE", "as_float_array", "check_callable",
           "check_int", "check_scale", "constraints_of", "validate_params"]


class InvalidParameterError(ValueError, TypeError):
    """A value an argument does not allow.  Both a ValueError and a TypeError (as
    scikit-learn's of the same name), so code that caught either keeps working whether the
    value had the wrong type or the wrong size."""


class Constraint:
    """What an argument may be.  Subclasses define :meth:`check`, :meth:`describe`,
    :meth:`invalid` (values that must be refused) and :meth:`valid` (one value accepted)."""

    def check(self, value: Any, name: str) -> Any:
        """``value`` cleaned, or a ValueError/TypeError naming ``name``."""
        raise NotImplementedError

    def describe(self) -> str:
        """What is allowed, as words after "must be"."""
        raise NotImplementedError

    def invalid(self) -> list[Any]:
        """Values :meth:`check` must refuse."""
        return []

    def valid(self) -> Any:
        """One value :meth:`check` accepts."""
        raise NotImplementedError

    def _fail(self, value: Any, name: str):
        raise InvalidParameterError(f"`{name}` must be {self.describe()}, got {value!r}.")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.describe()!r})"


def _is_int(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, numbers.Integral)


def _is_real(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, numbers.Real)


class Integer(Constraint):
    """An integer (numpy's included, bool not) in ``[low, high]``; either bound optional.

    Examples
    --------
    >>> Integer(1).check(np.int64(3), "m")
    3
    >>> Integer(1, 10).check(0, "n")
    Traceback (most recent call last):
    ...
    gansim._validation.InvalidParameterError: `n` must be an integer in [1, 10], got 0.
    """

    def __init__(self, low: int | None = None, high: int | None = None):
        self.low, self.high = low, high

    def describe(self) -> str:
        if self.low is not None and self.high is not None:
            return f"an integer in [{self.low:,}, {self.high:,}]"
        if self.low is not None:
            return f"an integer >= {self.low:,}"
        if self.high is not None:
            return f"an integer <= {self.high:,}"
        return "an integer"

    def check(self, value: Any, name: str) -> int:
        if not _is_int(value):
            self._fail(value, name)
        if (self.low is not None and value < self.low) or (
                self.high is not None and value > self.high):
            self._fail(value, name)
        return int(value)

    def invalid(self) -> list[Any]:
        out: list[Any] = [True, 1.5, "1", None]
        if self.low is not None:
            out.append(self.low - 1)
        if self.high is not None:
            out.append(self.high + 1)
        return out

    def valid(self) -> int:
        return self.low if self.low is not None else (self.high if self.high is not None else 0)


class Real(Constraint):
    """A finite real number (bool not) in an interval: ``closed`` says which ends belong.

    Examples
    --------
    >>> Real(0, 1, closed="neither").check(0.95, "level")
    0.95
    >>> Real(0, closed="neither").check(-1, "sd")
    Traceback (most recent call last):
    ...
    gansim._validation.InvalidParameterError: `sd` must be a finite real number > 0, got -1.
    """

    def __init__(self, low: float | None = None, high: float | None = None, *,
                 closed: str = "both", hint: str = "", what: str = "a number"):
        if closed not in ("both", "left", "right", "neither"):
            raise ValueError(f"`closed` must be one of 'both', 'left', 'right', 'neither'; "
                             f"got {closed!r}.")
        self.low, self.high, self.closed, self.hint, self.what = low, high, closed, hint, what

    def _ops(self) -> tuple[bool, bool]:
        return self.closed in ("both", "left"), self.closed in ("both", "right")

    def describe(self) -> str:
        lo_in, hi_in = self._ops()
        hint = f", {self.hint}" if self.hint else ""
        if self.low is not None and self.high is not None:
            return (f"{self.what} in {'[' if lo_in else '('}{self.low:g}, "
                    f"{self.high:g}{']' if hi_in else ')'}{hint}")
        noun = "a finite real number" if self.what == "a number" else self.what
        if self.low is not None:
            return f"{noun} {'>=' if lo_in else '>'} {self.low:g}{hint}"
        if self.high is not None:
            return f"{noun} {'<=' if hi_in else '<'} {self.high:g}{hint}"
        return f"{noun}{hint}"

    def check(self, value: Any, name: str) -> float:
        if not _is_real(value):
            self._fail(value, name)
        v = float(value)
        lo_in, hi_in = self._ops()
        ok = math.isfinite(v)
        if ok and self.low is not None:
            ok = v >= self.low if lo_in else v > self.low
        if ok and self.high is not None:
            ok = v <= self.high if hi_in else v < self.high
        if not ok:
            self._fail(value, name)
        return v

    def invalid(self) -> list[Any]:
        lo_in, hi_in = self._ops()
        out: list[Any] = [True, "1", None, math.nan, math.inf]
        if self.low is not None:
            out.append(self.low - 1 if lo_in else self.low)
        if self.high is not None:
            out.append(self.high + 1 if hi_in else self.high)
        return out

    def valid(self) -> float:
        if self.low is not None and self.high is not None:
            return (self.low + self.high) / 2
        if self.low is not None:
            return float(self.low) + 1
        if self.high is not None:
            return float(self.high) - 1
        return 0.0


class Options(Constraint):
    """One of a fixed set of values (strings, usually).

    Examples
    --------
    >>> Options("wald", "bca").check("bca", "method")
    'bca'
    >>> Options("wald", "bca").check("z", "method")
    Traceback (most recent call last):
    ...
    gansim._validation.InvalidParameterError: `method` must be one of 'wald', 'bca', got 'z'.
    """

    def __init__(self, *choices: Any):
        self.choices = tuple(choices)

    def describe(self) -> str:
        return "one of " + ", ".join(repr(c) for c in self.choices)

    def check(self, value: Any, name: str) -> Any:
        try:
            ok = value in self.choices and not isinstance(value, bool)
        except TypeError:  # unhashable or incomparable
            ok = False
        if not ok:
            self._fail(value, name)
        return value

    def invalid(self) -> list[Any]:
        return ["no such option", None, 1]

    def valid(self) -> Any:
        return self.choices[0]


class Boolean(Constraint):
    """True or False (numpy's bool too; not 0 or 1)."""

    def describe(self) -> str:
        return "True or False"

    def check(self, value: Any, name: str) -> bool:
        if not isinstance(value, bool | np.bool_):
            self._fail(value, name)
        return bool(value)

    def invalid(self) -> list[Any]:
        return [1, "yes", None]

    def valid(self) -> bool:
        return True


class Instance(Constraint):
    """An instance of ``kind``, described to the user as ``what``."""

    def __init__(self, kind: type | tuple[type, ...], what: str, example: Any = None):
        self.kind, self.what, self.example = kind, what, example

    def describe(self) -> str:
        return self.what

    def check(self, value: Any, name: str) -> Any:
        if not isinstance(value, self.kind):
            raise InvalidParameterError(
                f"`{name}` must be {self.what}, got {type(value).__name__}.")
        return value

    def invalid(self) -> list[Any]:
        return [object()]

    def valid(self) -> Any:
        return self.example


class Callable(Constraint):
    """A callable, e.g. a vectorised cdf such as ``scipy.stats.norm.cdf``."""

    def __init__(self, what: str = "a callable"):
        self.what = what

    def describe(self) -> str:
        return self.what

    def check(self, value: Any, name: str) -> Any:
        if not callable(value):
            raise InvalidParameterError(
                f"`{name}` must be {self.what}, got {type(value).__name__}.")
        return value

    def invalid(self) -> list[Any]:
        return [1.0, "cdf"]

    def valid(self) -> Any:
        return abs


class Array(Constraint):
    """A finite float64 array with ``ndim`` dimensions (:func:`as_float_array`)."""

    def __init__(self, ndim: int = 1, min_size: int = 1, *, flags: bool = False,
                 noun: str = "value"):
        self.ndim, self.min_size, self.flags, self.noun = ndim, min_size, flags, noun

    def describe(self) -> str:
        what = "booleans or 0/1 values" if self.flags else "finite real numbers"
        return f"a {self.ndim}-D array of {what}"

    def check(self, value: Any, name: str) -> np.ndarray:
        return as_float_array(value, name, ndim=self.ndim, min_size=self.min_size,
                              flags=self.flags, noun=self.noun)

    def invalid(self) -> list[Any]:
        shape = (self.min_size,) * self.ndim
        return [np.full(shape, np.nan), np.zeros((self.min_size,) * (self.ndim + 1)),
                np.array(["a"] * self.min_size), np.zeros((0,) * self.ndim)]

    def valid(self) -> np.ndarray:
        k = max(self.min_size, 2)
        values = np.arange(float(k) ** self.ndim).reshape((k,) * self.ndim)
        return values % 2 if self.flags else values / 7


class NoneOr(Constraint):
    """None, or what ``inner`` allows."""

    def __init__(self, inner: Constraint):
        self.inner = inner

    def describe(self) -> str:
        return f"None or {self.inner.describe()}"

    def check(self, value: Any, name: str) -> Any:
        if value is None:
            return None
        try:
            return self.inner.check(value, name)
        except (TypeError, ValueError):
            self._fail(value, name)

    def invalid(self) -> list[Any]:
        return [v for v in self.inner.invalid() if v is not None]

    def valid(self) -> Any:
        return None


class AnyOf(Constraint):
    """What any of ``constraints`` allows (the first that accepts it cleans it)."""

    def __init__(self, *constraints: Constraint):
        self.constraints = constraints

    def describe(self) -> str:
        return " or ".join(c.describe() for c in self.constraints)

    def check(self, value: Any, name: str) -> Any:
        for c in self.constraints:
            try:
                return c.check(value, name)
            except (TypeError, ValueError):
                continue
        self._fail(value, name)

    def invalid(self) -> list[Any]:
        out = []
        for c in self.constraints:
            for v in c.invalid():
                if all(_refuses(other, v) for other in self.constraints):
                    out.append(v)
        return out

    def valid(self) -> Any:
        return self.constraints[0].valid()


def _refuses(c: Constraint, value: Any) -> bool:
    try:
        c.check(value, "x")
    except (TypeError, ValueError):
        return True
    return False


def constraints_of(fn: Any) -> dict[str, Constraint]:
    """The constraints ``fn`` declared: a function's or method's with :func:`validate_params`,
    a class's with a ``__gansim_constraints__`` mapping of its own (as a frozen dataclass of
    settings does) or on its ``__init__``; empty when it declared none."""
    if inspect.isclass(fn) and "__gansim_constraints__" in vars(fn):
        return dict(vars(fn)["__gansim_constraints__"])
    target = fn.__init__ if inspect.isclass(fn) else fn
    return dict(getattr(target, "__gansim_constraints__", {}))


def validate_params(**constraints: Constraint):
    """Declare each named argument's constraint; the decorated function receives the
    cleaned values, and a wrong one raises before its body runs.

    Examples
    --------
    >>> @validate_params(R=Integer(2), level=Real(0, 1, closed="neither"))
    ... def f(x, R=200, level=0.95):
    ...     return R, level
    >>> f([1], R=np.int64(5))
    (5, 0.95)
    >>> f([1], level=1)
    Traceback (most recent call last):
    ...
    gansim._validation.InvalidParameterError: `level` must be a number in (0, 1), got 1.
    """
    def decorate(fn):
        signature = inspect.signature(fn)
        unknown = [k for k in constraints if k not in signature.parameters]
        if unknown:
            raise TypeError(f"{fn.__qualname__} has no argument {unknown[0]!r}")

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            bound = signature.bind(*args, **kwargs)
            for name, constraint in constraints.items():
                if name in bound.arguments:
                    bound.arguments[name] = constraint.check(bound.arguments[name], name)
            return fn(*bound.args, **bound.kwargs)

        wrapper.__gansim_constraints__ = dict(constraints)
        return wrapper

    return decorate


def check_int(value: Any, name: str, low: int) -> int:
    """``value`` as an int if it is an integer (numpy's included, bool not) >= ``low``;
    otherwise a ValueError naming the argument ``name`` (``Integer(low).check``).

    Examples
    --------
    >>> check_int(np.int64(3), "m", 2)
    3
    >>> check_int(True, "m", 0)
    Traceback (most recent call last):
    ...
    gansim._validation.InvalidParameterError: `m` must be an integer >= 0, got True.
    """
    return Integer(low).check(value, name)


def check_callable(value: Any, name: str = "cdf") -> None:
    """A TypeError unless ``value`` is callable (a cdf such as ``scipy.stats.norm.cdf``)."""
    if not callable(value):
        raise InvalidParameterError(f"`{name}` must be a callable cdf such as "
                                    f"scipy.stats.norm.cdf, got {type(value).__name__}.")


def as_float_array(x: Any, name: str, *, ndim: int, min_size: int, flags: bool = False,
                   noun: str = "value") -> np.ndarray:
    """``x`` as a finite float64 array with ``ndim`` dimensions, or an error naming ``name``.

    ``min_size`` bounds the length of the last axis (and of the first, for 2-D), counted in
    ``noun`` units in the error message.  With ``flags=True``, booleans are accepted and every
    value must be 0 or 1.

    Examples
    --------
    >>> as_float_array([1, 2], "x", ndim=1, min_size=2)
    array([1., 2.])
    >>> as_float_array([1, float("nan")], "x", ndim=1, min_size=2)
    Traceback (most recent call last):
    ...
    gansim._validation.InvalidParameterError: `x` must hold only finite values; found 1 NaN or ...
    """
    what = "booleans or 0/1 values" if flags else "real numbers"
    if isinstance(x, pd.Series | pd.DataFrame | pd.Index):
        x = _pandas_to_numpy(x, name, what, flags=flags)
    try:
        arr = np.asarray(x)
    except (TypeError, ValueError) as err:
        raise InvalidParameterError(f"`{name}` must be a {ndim}-D array of {what}: {err}") from None
    if arr.dtype.kind == "O" and flags:
        arr = _object_flags(arr, name, what)
    allowed = "biuf" if flags else "iuf"
    if arr.dtype.kind not in allowed:
        raise InvalidParameterError(f"`{name}` must hold {what}, got dtype {arr.dtype}.")
    if arr.ndim != ndim:
        raise InvalidParameterError(
            f"`{name}` must be {ndim}-D, got an array of shape {arr.shape}.")
    if any(size < min_size for size in arr.shape):
        unit = noun if min_size == 1 else f"{noun}s"
        least = f"{min_size} row and {min_size} column" if ndim == 2 else f"{min_size} {unit}"
        raise InvalidParameterError(f"`{name}` must have at least {least}, got shape {arr.shape}.")
    arr = arr.astype(np.float64)
    bad = ~np.isfinite(arr)
    if bad.any():
        first = np.argwhere(bad)[:5]
        where = (first[:, 0] if ndim == 1 else first).tolist()
        raise InvalidParameterError(
            f"`{name}` must hold only finite values; found {int(bad.sum())} NaN or infinite, "
            f"first at {where}."
        )
    if flags and not np.all((arr == 0) | (arr == 1)):
        raise InvalidParameterError(f"`{name}` must hold {what}; found other values.")
    return arr


#: The smallest sd :func:`check_scale` accepts: the square root of float64's smallest normal
#: number (1.5e-154), below which squared deviations lose precision or vanish.
_SMALLEST_SD = math.sqrt(np.finfo(np.float64).tiny)

#: The sd a study accepts of a DGP whose sd it knows (checked before any work): data on that
#: scale are standardised in float64 with room to spare (squared deviations summed over up to
#: 10^8 points stay finite and normal).
SD_RANGE = (1e-150, 1e150)


def check_scale(x: np.ndarray, what: str) -> None:
    """Refuse finite data whose spread float64 cannot standardise: a mean or sd that
    overflows (values about 1e154 or more apart, whose squares are infinite) or an sd that
    underflows (below about 1.5e-154, whose squares lose precision or vanish) while the
    values differ.

    Standardising such data (as the GANs do, and as the sd functional does in effect) gives
    infinities or a division by zero, which would surface later as a diverged training or an
    infinite estimate.  ``what`` names the data in the message (the argument, or the DGP
    that drew them).  Constant data pass: the methods handle them.

    Examples
    --------
    >>> check_scale(np.array([1.0, 2.0]) * 1e200, "`x`")
    Traceback (most recent call last):
    ...
    ValueError: `x`: the data's sd overflows float64 (values 1e154 or more apart); rescale ...
    """
    if x.size < 2 or bool(np.all(x == x.flat[0])):
        return
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        mean, sd = float(np.mean(x)), float(np.std(x, ddof=1))
    if not (math.isfinite(mean) and math.isfinite(sd)):
        raise ValueError(f"{what}: the data's sd overflows float64 (values 1e154 or more "
                         "apart); rescale them (divide by a power of 10) before simulating or "
                         "fitting.")
    if sd < _SMALLEST_SD:
        raise ValueError(f"{what}: the data's sd underflows float64 (below 1.5e-154 while "
                         "the values differ); rescale them (multiply by a power of 10) before "
                         "simulating or fitting.")


def _pandas_to_numpy(x: Any, name: str, what: str, *, flags: bool) -> np.ndarray:
    # pandas' nullable dtypes (Float64, Int64, boolean) turn into object arrays holding
    # pd.NA under np.asarray; asking pandas for float64 maps the missing values to NaN, which
    # the finiteness check then reports.
    dtypes = list(x.dtypes) if isinstance(x, pd.DataFrame) else [x.dtype]
    for dt in dtypes:
        is_bool = pd.api.types.is_bool_dtype(dt)
        if not pd.api.types.is_numeric_dtype(dt) or (is_bool and not flags):
            raise InvalidParameterError(f"`{name}` must hold {what}, got dtype {dt}.")
    return x.to_numpy(dtype=np.float64, na_value=np.nan)


def _object_flags(arr: np.ndarray, name: str, what: str) -> np.ndarray:
    # Object arrays arise from pandas columns of Python bools; accept only genuine
    # bool/number entries rather than letting astype(float) parse strings such as "1".
    ok = all(isinstance(v, bool | np.bool_ | numbers.Real) for v in arr.flat)
    if not ok:
        raise InvalidParameterError(f"`{name}` must hold {what}; found non-numeric entries.")
    return arr.astype(np.float64)

