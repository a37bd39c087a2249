"""Pieces of the shipped studies' own tables: a lookup of a long summary frame and the words
of the stated rules (:mod:`gansim.summary.rules`) for a paired difference or a ratio.

The results READMEs (:mod:`gansim.render`) word their text with the same pieces.
"""

from __future__ import annotations

import pandas as pd

from gansim.summary import rules
from gansim.summary.text import num

__all__ = ["Summary", "ratio_word", "word"]


class Summary:
    """Lookup of a long summary frame (``[*by, method, quantity, stat, est, mcse]``)."""

    def __init__(self, frame: pd.DataFrame, by: tuple[str, ...] = ()):
        self.frame = frame
        self.by = tuple(by)
        keys = [*self.by, "method", "quantity", "stat"]
        self._index = {tuple(k): (float(e), float(m)) for k, e, m in
                       zip(frame[keys].itertuples(index=False, name=None), frame["est"],
                           frame["mcse"], strict=True)}

    def __call__(self, *key) -> tuple[float, float]:
        """``(est, mcse)`` of ``(*by, method, quantity, stat)``; KeyError naming it if absent."""
        try:
            return self._index[tuple(key)]
        except KeyError:
            raise KeyError(f"summary has no row {key}") from None

    def has(self, *key) -> bool:
        return tuple(key) in self._index

    def est(self, *key) -> float:
        return self(*key)[0]


def word(diff: float, mcse: float, **kwargs) -> str:
    """The rule's word for a paired difference, with how many MCSEs it is, e.g.
    ``"higher (6.0 MCSE)"`` or ``"not resolved at this B (1.2 MCSE)"``."""
    c = rules.compare(diff, mcse, **kwargs)
    if c.word == "unknown":
        return c.word
    return f"{c.word} ({num(abs(c.z), 1)} MCSE)"


def ratio_word(ratio: float, mcse: float) -> str:
    """The rule's word for a ratio against 1 (:func:`rules.compare_ratio`, on the log
    scale) with its z there: ``"above 1 (z = 6.1, log scale)"``, ``"below 1 (…)"`` or
    ``"not resolved from 1 at this B (z = 1.7, log scale)"``."""
    c = rules.compare_ratio(ratio, mcse, unresolved="not resolved from 1 at this B")
    if c.word == "unknown":
        return c.word
    return f"{c.word} (z = {num(abs(c.z), 1)}, log scale)"
