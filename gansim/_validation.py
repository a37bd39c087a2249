"""Input checks shared by the public entry points (each builds its messages from these)."""

from __future__ import annotations

import numbers
from typing import Any

__all__ = ["check_int"]


def check_int(value: Any, name: str, low: int) -> int:
    """``value`` as an int if it is an integer (numpy's included, bool not) >= ``low``;
    otherwise a ValueError naming the argument ``name``.

    Examples
    --------
    >>> import numpy as np
    >>> check_int(np.int64(3), "m", 2)
    3
    >>> check_int(True, "m", 0)
    Traceback (most recent call last):
    ...
    ValueError: `m` must be an integer >= 0, got True.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise ValueError(f"`{name}` must be an integer >= {low}, got {value!r}.")
    return int(value)
