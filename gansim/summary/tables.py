"""Markdown and LaTeX (booktabs) tables of any summary frame, each cell ``est (mcse)``.

:func:`summary_table` pivots a long frame of :func:`gansim.summary.simsum.summarise` or
:func:`gansim.summary.simsum` (or any frame with columns ``est`` and ``mcse``) so that the
columns you name make its rows and its columns, e.g. rows ``["quantity", "stat"]`` and
columns ``"method"`` (wide by method), or rows ``["method", "stat"]`` and columns ``"n"``
(wide by a design factor).  No dependency beyond pandas: the text is written here.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from gansim._files import write_text
from gansim._validation import Instance, Integer, Options, validate_params

__all__ = ["format_cell", "summary_table", "write_summary_files"]

#: A data frame argument.
_FRAME = Instance(pd.DataFrame, "a pandas DataFrame", pd.DataFrame({"x": [0.0]}))
_DEFAULT_DIGITS = 3
_TEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
                "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
                "^": r"\textasciicircum{}"}


@validate_params(digits=Integer(0, 15))
def format_cell(est: float, mcse: float, digits: int = _DEFAULT_DIGITS) -> str:
    """One cell: ``est (mcse)`` with ``digits`` decimals.

    An MCSE of exactly 0 (counts such as ``nsim``, or exact references) is left out, and a
    whole number is then written without decimals; a missing value gives an empty cell.

    Examples
    --------
    >>> format_cell(0.95093, 0.00216, 3), format_cell(10000.0, 0.0), format_cell(0.25, 0.0, 2)
    ('0.951 (0.002)', '10000', '0.25')
    """
    if est is None or not math.isfinite(est):
        return ""
    if mcse is None or mcse == 0 or not math.isfinite(mcse):
        return f"{est:.0f}" if float(est).is_integer() else f"{est:.{digits}f}"
    return f"{est:.{digits}f} ({mcse:.{digits}f})"


@validate_params(summary=_FRAME, fmt=Options("md", "tex"))
def summary_table(summary: pd.DataFrame, *, rows: str | Sequence[str],
                  columns: str | Sequence[str], stats: Sequence[str] | None = None,
                  digits: int | Mapping[str, int] = _DEFAULT_DIGITS, fmt: str = "md",
                  caption: str = "", label: str = "") -> str:
    """A summary frame as a Markdown or LaTeX (booktabs) table of ``est (mcse)`` cells.

    Parameters
    ----------
    summary : DataFrame
        Long frame with columns ``est`` and ``mcse`` and the columns named in ``rows`` and
        ``columns`` (e.g. :func:`gansim.summary.simsum.summarise`'s ``[*by, method, quantity,
        stat, est, mcse]``).  Every other column must be constant (filter first), so that
        each cell holds one value.
    rows : str or sequence of str
        Columns whose combinations make the table's rows, in order of first appearance.
    columns : str or sequence of str
        Columns whose combinations make the table's value columns (``"method"``: wide by
        method; ``"n"``: wide by that factor).
    stats : sequence of str, optional
        Keep only these ``stat`` codes (default: all); rows stay in the frame's order.
    digits : int or mapping
        Decimals of the value and its MCSE; a mapping ``stat -> decimals`` sets them per
        stat (3 for a stat it does not name).
    fmt : {"md", "tex"}
        Markdown (a pipe table) or LaTeX (``table`` with a booktabs ``tabular``: toprule,
        midrule, bottomrule; needs ``\\usepackage{booktabs}``).
    caption, label : str
        LaTeX caption and ``\\label``; in Markdown the caption is a line above the table.

    Returns
    -------
    str
        The table, ending with a newline.  A cell is ``est (mcse)``; just ``est`` where the
        MCSE is 0 (see :func:`format_cell`); empty where the summary has no such row.

    Examples
    --------
    >>> s = pd.DataFrame({"n": [50, 50, 200, 200], "method": ["ecdf", "gan"] * 2,
    ...                   "stat": "bias", "est": [0.0121, -0.0042, 0.0031, 0.0007],
    ...                   "mcse": [0.0102, 0.0110, 0.0049, 0.0052]})
    >>> print(summary_table(s, rows="n", columns="method", digits=4))
    | n | ecdf | gan |
    |---|---:|---:|
    | 50 | 0.0121 (0.0102) | -0.0042 (0.0110) |
    | 200 | 0.0031 (0.0049) | 0.0007 (0.0052) |
    <BLANKLINE>
    >>> tex = summary_table(s, rows="method", columns="n", fmt="tex", caption="Bias")
    >>> [line for line in tex.splitlines() if "rule" in line or "&" in line]
    ... # doctest: +NORMALIZE_WHITESPACE
    ['\\\\toprule', ' & \\\\multicolumn{2}{c}{n} \\\\\\\\', '\\\\cmidrule(lr){2-3}',
     'method & 50 & 200 \\\\\\\\', '\\\\midrule',
     'ecdf & 0.012 (0.010) & 0.003 (0.005) \\\\\\\\',
     'gan & -0.004 (0.011) & 0.001 (0.005) \\\\\\\\', '\\\\bottomrule']
    """
    rows, columns, frame = _table_iv(summary, rows, columns, stats, digits, fmt)
    cells = [format_cell(float(e), float(m), _digits(digits, s))
             for e, m, s in zip(frame["est"], frame["mcse"],
                                frame["stat"] if "stat" in frame else [None] * len(frame),
                                strict=True)]
    rkeys = list(map(tuple, frame[rows].to_numpy()))
    ckeys = list(map(tuple, frame[columns].to_numpy()))
    grid = dict(zip(zip(rkeys, ckeys, strict=True), cells, strict=True))
    row_order, col_order = list(dict.fromkeys(rkeys)), list(dict.fromkeys(ckeys))
    body = [[*map(str, r), *(grid.get((r, c), "") for c in col_order)] for r in row_order]
    heads = [", ".join(map(str, c)) if len(columns) > 1 else str(c[0]) for c in col_order]
    if fmt == "md":
        return _markdown(rows, heads, body, caption)
    return _latex(rows, columns, heads, body, caption, label)


def _digits(digits, stat) -> int:
    if isinstance(digits, Mapping):
        return digits.get(stat, _DEFAULT_DIGITS)
    return digits


def _markdown(rows, heads, body, caption) -> str:
    esc = lambda t: str(t).replace("|", "\\|")  # noqa: E731  (a | would split the cell)
    lines = [caption, ""] if caption else []
    lines += ["| " + " | ".join(esc(h) for h in [*rows, *heads]) + " |",
              "|" + "---|" * len(rows) + "---:|" * len(heads)]
    lines += ["| " + " | ".join(esc(c) for c in r) + " |" for r in body]
    return "\n".join(lines) + "\n"


def _tex(text) -> str:
    return "".join(_TEX_SPECIAL.get(ch, ch) for ch in str(text))


def _latex(rows, columns, heads, body, caption, label) -> str:
    k, v = len(rows), len(heads)
    lines = ["\\begin{table}[htbp]", "\\centering"]
    if caption:
        lines.append(f"\\caption{{{_tex(caption)}}}")
    if label:
        lines.append(f"\\label{{{label}}}")
    lines += ["\\begin{tabular}{" + "l" * k + "r" * v + "}", "\\toprule"]
    # A spanner names the factor(s) of the value columns, as in a journal table.
    lines += [" & " * (k - 1) + f" & \\multicolumn{{{v}}}{{c}}{{{_tex(', '.join(columns))}}}"
              " \\\\", f"\\cmidrule(lr){{{k + 1}-{k + v}}}"]
    lines += [" & ".join(_tex(h) for h in [*rows, *heads]) + " \\\\", "\\midrule"]
    previous = None
    for r in body:
        # Repeated outer row labels are left blank, as a grouped table prints them.
        shown = list(r)
        if previous is not None:
            for i in range(k - 1):
                if r[: i + 1] != previous[: i + 1]:
                    break
                shown[i] = ""
        previous = r
        lines.append(" & ".join(_tex(c) for c in shown) + " \\\\")
    lines += ["\\bottomrule", "\\end{tabular}", "\\end{table}"]
    return "\n".join(lines) + "\n"


def _table_iv(summary, rows, columns, stats, digits, fmt):
    if not isinstance(summary, pd.DataFrame):
        raise TypeError(f"`summary` must be a DataFrame, got {type(summary).__name__}.")
    if fmt not in ("md", "tex"):
        raise ValueError(f"`fmt` must be 'md' or 'tex', got {fmt!r}.")
    rows = [rows] if isinstance(rows, str) else list(rows)
    columns = [columns] if isinstance(columns, str) else list(columns)
    if not rows or not columns:
        raise ValueError("`rows` and `columns` must each name at least one column.")
    if set(rows) & set(columns):
        raise ValueError(f"`rows` and `columns` share {sorted(set(rows) & set(columns))}.")
    missing = [c for c in [*rows, *columns, "est", "mcse"] if c not in summary]
    if missing:
        raise ValueError(f"`summary` has no column(s) {missing} (columns: "
                         f"{list(summary.columns)}).")
    ok_digits = lambda d: isinstance(d, numbers.Integral) and not isinstance(d, bool) \
        and 0 <= d <= 15  # noqa: E731
    values = digits.values() if isinstance(digits, Mapping) else [digits]
    if not all(ok_digits(d) for d in values):
        raise ValueError(f"`digits` must be an integer in [0, 15] or a mapping stat -> such "
                         f"an integer; got {digits!r}.")
    frame = summary
    if stats is not None:
        if "stat" not in summary:
            raise ValueError("`stats` needs a column `stat` in `summary`.")
        stats = [stats] if isinstance(stats, str) else list(stats)
        frame = frame[frame["stat"].isin(stats)]
    if frame.empty:
        raise ValueError("no rows to tabulate (check `stats`).")
    others = [c for c in frame.columns if c not in {*rows, *columns, "est", "mcse"}]
    varying = [c for c in others if frame[c].nunique(dropna=False) > 1]
    dup = frame.duplicated([*rows, *columns])
    if dup.any():
        raise ValueError(f"more than one row per cell: add {varying or 'nothing'} to `rows` "
                         f"or `columns`, or filter `summary` on it first.")
    return rows, columns, frame


def write_summary_files(out_dir, summary: pd.DataFrame, *, rows, columns: str = "method",
                        digits=None, caption: str = "", label: str = "") -> None:
    """``summary.md`` and ``summary.tex`` in ``out_dir``: the whole summary as tables
    (:func:`gansim.summary.tables.summary_table`), each value with its MCSE.

    Without ``digits``: 4 decimals, 6 for variances and MSEs (~1e-2 with MCSEs ~1e-4), 2 for
    the percentages (relerror, relprec).
    """
    if digits is None:
        digits = {s: 6 if s in ("var", "mse", "cr_bound") else 2
                  if s in ("relerror", "relprec") else 4 for s in summary["stat"]}
    for fmt in ("md", "tex"):
        write_text(Path(out_dir) / f"summary.{fmt}", summary_table(
            summary, rows=rows, columns=columns, digits=digits, fmt=fmt, caption=caption,
            label=label))
