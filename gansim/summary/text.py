"""Number formatting for rendered text: every figure of a results README goes through these,
so that the same value is written the same way everywhere."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Iterable, Sequence

import pandas as pd

__all__ = ["num", "pm", "num_range", "count", "pct", "md_table", "signed", "fill", "paragraph",
           "WIDTH"]

#: Line width of the rendered Markdown.
WIDTH = 95


def num(value, digits: int = 3) -> str:
    """``value`` with ``digits`` decimals; thousands separated for whole numbers >= 10,000;
    a missing value as an en dash.

    Examples
    --------
    >>> num(0.94573, 4), num(10000, 0), num(float("nan"))
    ('0.9457', '10,000', '–')
    """
    if value is None:
        return "–"
    value = float(value)
    if not math.isfinite(value):
        return "–"
    if digits == 0:
        return f"{value:,.0f}" if abs(value) >= 10_000 else f"{value:.0f}"
    text = f"{value:.{digits}f}"
    return "0." + "0" * digits if text.startswith("-0.") and float(text) == 0 else text


def signed(value, digits: int = 3) -> str:
    """``value`` with an explicit sign (a minus sign, not a hyphen).

    >>> signed(0.012), signed(-0.5, 1)
    ('+0.012', '−0.5')
    """
    text = num(value, digits)
    if text == "–":
        return text
    return text.replace("-", "−") if float(value) < 0 else "+" + text


def pm(value, mcse, digits: int = 3) -> str:
    """``value (mcse)``, the MCSE in brackets as in every gansim table.

    >>> pm(0.9457, 0.00226, 4)
    '0.9457 (0.0023)'
    """
    return f"{num(value, digits)} ({num(mcse, digits)})"


def num_range(values: Iterable[float], digits: int = 3) -> str:
    """``min–max`` of ``values`` (one value when they agree at ``digits``).

    >>> num_range([0.902, 0.864, 0.88])
    '0.864–0.902'
    """
    vals = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    if not vals:
        return "–"
    lo, hi = num(min(vals), digits), num(max(vals), digits)
    return lo if lo == hi else f"{lo}–{hi}"


def count(k: int, n: int, what: str = "") -> str:
    """``k of n`` with an optional noun.

    >>> count(19, 125, "cells")
    '19 of 125 cells'
    """
    return f"{int(k)} of {int(n)}" + (f" {what}" if what else "")


def pct(value, digits: int = 1) -> str:
    """A share as a percentage.

    >>> pct(0.9131)
    '91.3%'
    """
    if value is None or not math.isfinite(float(value)):
        return "–"
    return f"{100 * float(value):.{digits}f}%"


def md_table(frame: pd.DataFrame, *, index: bool = False,
             align: Sequence[str] | None = None) -> str:
    """A GitHub-flavoured Markdown table of ``frame``'s cells as they are (format them
    first). ``align`` is one of ``"l"``, ``"r"``, ``"c"`` per column.

    >>> print(md_table(pd.DataFrame({"a": ["1"], "b": ["x"]})))
    | a | b |
    |---:|---:|
    | 1 | x |
    """
    if index:
        frame = frame.reset_index()
    cols = [str(c) for c in frame.columns]
    marks = {"l": ":---", "r": "---:", "c": ":---:"}
    align = list(align) if align is not None else ["r"] * len(cols)
    if len(align) != len(cols):
        raise ValueError("`align` must have one letter per column.")
    lines = ["| " + " | ".join(cols) + " |",
             "|" + "|".join(marks[a] for a in align) + "|"]
    for row in frame.itertuples(index=False):
        lines.append("| " + " | ".join("" if v is None else str(v) for v in row) + " |")
    return "\n".join(lines)


def fill(text: str, indent: str = "", width: int = WIDTH) -> str:
    """``text`` as one paragraph, its whitespace collapsed and wrapped at ``width``, the
    continuation lines indented by ``indent``; words and hyphenated words never broken.

    >>> print(fill("- a  list item\\nthat goes on", indent="  ", width=12))
    - a list
      item that
      goes on
    """
    return textwrap.fill(" ".join(text.split()), width=width, subsequent_indent=indent,
                         break_long_words=False, break_on_hyphens=False)


def paragraph(*sentences: str) -> str:
    """The non-empty ``sentences`` joined into one paragraph by :func:`fill`.

    >>> paragraph("One.", "", "Two.")
    'One. Two.'
    """
    return fill(" ".join(s for s in sentences if s))
