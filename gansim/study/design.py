"""A study's design grid: conditions (factor levels), each with its number of replications.

A :class:`Condition` is a set of factor levels such as ``{"dgp": "t", "n": 200}`` with its
own number of replications.  Its integer id is a checksum of its factors (not its position
in the grid), so replication r of a condition always draws from
``replication_streams(seed, r, condition=id)`` -- adding a level to a grid changes no
existing condition's numbers, and a condition can be replayed alone.  A study without a
grid has one condition with no factors, whose id is 0.  Tidy rows carry the id as a signed
32-bit integer (:attr:`Condition.key`), which R reads exactly as an integer.
"""

from __future__ import annotations

import itertools
import json
import numbers
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from gansim._validation import AnyOf, Integer, validate_params
from gansim._validation import Callable as CallableConstraint

__all__ = ["Condition", "REPLICATIONS", "condition_grid", "check_conditions"]

#: Replications of a condition (B): at least 2, for any variance over them.
REPLICATIONS = Integer(2)


@dataclass(frozen=True)
class Condition:
    """One cell of a design grid.

    Parameters
    ----------
    factors : tuple of (str, value) pairs
        The factor levels, JSON-able scalars; build with :func:`condition_grid`.  Empty for
        the one condition of a study without a grid.
    replications : int
        B for this condition (>= 2).

    Examples
    --------
    >>> c = Condition((("dgp", "normal"), ("n", 100)), replications=500)
    >>> c.label, c["n"], c.id == Condition((("dgp", "normal"), ("n", 100)), 9).id
    ('dgp=normal,n=100', 100, True)
    """

    factors: tuple[tuple[str, Any], ...]
    replications: int

    def __post_init__(self):
        factors = tuple((_factor_name(k), _plain(v)) for k, v in self.factors)
        for k, v in factors:
            _check_level(k, v)
        object.__setattr__(self, "factors", factors)
        size = len(self.label.encode())
        if size > MAX_LABEL_BYTES:
            raise ValueError(f"condition {self.label[:60]!r}... is named by {size} bytes, more "
                             f"than the {MAX_LABEL_BYTES} a folder name may have; use shorter "
                             "factor names or levels.")
        # numpy integers are accepted, stored as int: the id, labels and the study's
        # record are JSON (json.dumps refuses np.int64).
        object.__setattr__(self, "replications",
                           REPLICATIONS.check(self.replications, "replications"))

    def __getitem__(self, name: str) -> Any:
        return dict(self.factors)[name]

    @property
    def as_dict(self) -> dict[str, Any]:
        return dict(self.factors)

    @property
    def label(self) -> str:
        """``"name=level,..."``: the folder name of its blocks (``""`` without factors)."""
        return ",".join(f"{k}={v}" for k, v in self.factors)

    @property
    def key(self) -> int:
        """The ``condition`` column of a study's tidy rows: :attr:`id` as a signed 32-bit
        integer (``id - 2**32`` for ids from 2^31), so that R reads it as an integer, exactly.
        :func:`gansim.rng.replication_streams` and :func:`gansim.study.core.replay` take it as
        they take the id.

        Examples
        --------
        >>> c = Condition((("dgp", "lognormal"), ("n", 100)), 10)
        >>> c.id, c.key, c.key % 2**32 == c.id
        (3361342318, -933624978, True)
        """
        i = self.id
        return i - 2**32 if i >= 2**31 else i

    @property
    def id(self) -> int:
        """CRC-32 of the canonical JSON of the factors: the ``condition`` of its streams;
        0 for a condition without factors (the proof of concept's streams)."""
        if not self.factors:
            return 0
        key = json.dumps(sorted(self.factors), separators=(",", ":"))
        return zlib.crc32(key.encode())


#: Longest condition label, in bytes (UTF-8): the label names the folder of a condition's
#: blocks, and file systems allow 255 bytes per name.
MAX_LABEL_BYTES = 255
#: Characters a factor name or level may not hold: they would make a label that is not one
#: plain folder name (a path separator, NUL or another control character).
_UNSAFE = frozenset("/\\") | frozenset(chr(i) for i in range(32)) | {chr(127)}


def _factor_name(k: Any) -> str:
    if not isinstance(k, str) or not k or any(c in _UNSAFE or c in "=," for c in k):
        raise ValueError(f"factor names must be non-empty strings without '/', '\\', '=', ',' "
                         f"or control characters (they make up the condition's label "
                         f"'name=level,...'); got {k!r}.")
    return k


def _check_level(k: str, v: Any) -> None:
    """A factor level: a string or a finite number whose text is plain: it makes up the
    condition's label ``name=level,...``, so no path separator or control character may
    hide in it."""
    if not isinstance(v, str | numbers.Real) or isinstance(v, bool):
        raise TypeError(f"factor `{k}` must be a string or a number, got {v!r}.")
    if isinstance(v, numbers.Real) and not isinstance(v, numbers.Integral) and \
            not np.isfinite(float(v)):
        raise ValueError(f"factor `{k}` levels must be finite numbers, got {v!r}.")
    text = str(v)
    bad = sorted({c for c in text if c in _UNSAFE})
    if not text.strip() or bad:
        what = "is empty or blank" if not text.strip() else f"holds the characters {bad}"
        raise ValueError(f"factor `{k}` level {v!r} {what}; levels must be non-empty and "
                         "free of '/', '\\' and control characters (they make up the "
                         "condition's label).")


def _plain(v: Any) -> Any:
    """A numpy scalar level (np.int64 from np.arange, np.str_) as its Python value."""
    if isinstance(v, bool) or not hasattr(v, "item") or not hasattr(v, "dtype"):
        return v
    return v.item()


@validate_params(replications=AnyOf(REPLICATIONS, CallableConstraint(
    "a function of a condition's factor dict giving its B")))
def condition_grid(replications: int | Callable[[dict], int], **factors: Any) -> list[Condition]:
    """The full factorial grid of ``factors``, in the order given (last factor fastest).

    Parameters
    ----------
    replications : int or callable
        B for every condition, or a function of the condition's factor dict giving its B.
    **factors : sequence
        Factor name -> its levels.

    Returns
    -------
    list of Condition

    Examples
    --------
    >>> grid = condition_grid(lambda f: 1000 if f["n"] <= 100 else 400,
    ...                       dgp=["normal", "t"], n=[50, 200])
    >>> [(c.label, c.replications) for c in grid]  # doctest: +NORMALIZE_WHITESPACE
    [('dgp=normal,n=50', 1000), ('dgp=normal,n=200', 400), ('dgp=t,n=50', 1000),
     ('dgp=t,n=200', 400)]
    """
    if not factors:
        raise ValueError("`factors` must name at least one factor, e.g. n=[50, 100].")
    for name, levels in factors.items():
        if isinstance(levels, str) or not hasattr(levels, "__iter__") or len(levels) == 0:
            raise ValueError(f"factor `{name}` must be a non-empty sequence of levels, "
                             f"got {levels!r}.")
        _distinct_levels(name, [_plain(v) for v in levels])
    out = []
    for combo in itertools.product(*factors.values()):
        levels = dict(zip(factors, combo, strict=True))
        B = replications(levels) if callable(replications) else replications
        out.append(Condition(tuple(levels.items()), B))
    ids = [c.id for c in out]
    if len(set(ids)) != len(ids):
        raise ValueError("`factors` give repeated conditions; levels must be distinct.")
    for c in out:
        _check_key(c)
    return out


def _distinct_levels(name: str, levels: list) -> None:
    """Refuse two levels of a factor that are equal after normalisation: equal as values
    (1 and 1.0) or as text (1 and "1"), which would make one condition twice."""
    for i, a in enumerate(levels):
        for b in levels[:i]:
            try:
                same = bool(a == b) or str(a) == str(b)
            except Exception:  # an unusual level: compared by text alone
                same = str(a) == str(b)
            if same:
                raise ValueError(f"factor `{name}` has levels {b!r} and {a!r}, equal after "
                                 "normalisation: `factors` would give the same condition "
                                 "twice; keep one.")


def _check_key(c: Condition) -> None:
    # -2^31 is R's NA_integer_: a condition whose key it would be (one in 2^32) is refused.
    if c.key == -2**31:
        raise ValueError(f"condition {c.label!r} has the id 2^31, whose key R cannot read; "
                         "write one of its levels differently (e.g. 100 as 100.0).")


def check_conditions(conditions: Any) -> list[Condition]:
    """``conditions`` as a non-empty list of distinct :class:`Condition`, or an error."""
    if isinstance(conditions, Condition):
        conditions = [conditions]
    if isinstance(conditions, str) or not hasattr(conditions, "__iter__"):
        raise TypeError("`design` must be a non-empty list of Condition, e.g. from "
                        f"condition_grid(...); got {conditions!r}.")
    conditions = list(conditions)
    if not conditions or not all(isinstance(c, Condition) for c in conditions):
        raise TypeError("`design` must be a non-empty list of Condition, e.g. from "
                        "condition_grid(...).")
    labels = [c.label for c in conditions]
    if len(set(labels)) != len(labels):
        raise ValueError("`design` conditions must be distinct; some labels repeat.")
    seen: dict[tuple, str] = {}
    for c in conditions:  # equal after normalisation: levels 1 and 1.0
        key = tuple((k, float(v) if isinstance(v, numbers.Real) else v) for k, v in c.factors)
        if key in seen:
            raise ValueError(f"`design` conditions {seen[key]!r} and {c.label!r} are equal "
                             "after normalisation (the same condition twice); keep one.")
        seen[key] = c.label
    for c in conditions:
        _check_key(c)
    names = {tuple(k for k, _ in c.factors) for c in conditions}
    if len(names) != 1:
        raise ValueError("`design` conditions must all have the same factors, in the same "
                         f"order; got {sorted(names)}.")
    return conditions
