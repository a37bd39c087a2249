"""The one writer: every file gansim writes goes through :func:`write_atomic` (whole or not at
all), as text (:func:`write_text`), CSV that R reads as it is (:func:`write_csv`, or part by
part: :func:`write_csv_parts`), a figure (:func:`write_figure`) or a run record
(:func:`write_run_record`); JSON records are read back with a message naming the file
(:func:`read_json`).

Imports nothing of gansim but :mod:`gansim._platform`, so writing a report needs no torch.
"""

from __future__ import annotations

import gzip
import json
import os
import secrets
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from gansim._platform import machine, versions

__all__ = ["read_json", "write_atomic", "write_csv", "write_csv_parts", "write_figure",
           "write_run_record", "write_text"]


def read_json(path: Path, what: str):
    """The JSON object in ``path``, or a ValueError naming the file (empty, cut short, not
    an object) and how to go on."""
    try:
        value = json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError) as exc:
        value = exc
    if not isinstance(value, dict):
        why = (f"not JSON: {value}" if isinstance(value, Exception)
               else f"a JSON {type(value).__name__}, not an object")
        raise ValueError(f"{str(path)!r} ({what}) cannot be read ({why}); delete it or pass "
                         "overwrite=True (--overwrite) to start the folder anew.")
    return value


def write_atomic(path: Path, write: Callable[[Path], object], *, sync: bool = True) -> None:
    """Write ``path`` through a temporary name of this call, then rename it into place.

    ``write(tmp)`` writes the temporary file; with ``sync`` its data is on disk before the
    rename, so a crash leaves the old file or the new one, never half of one.  When the write
    fails (a full disk, say) the temporary file is removed and the OSError names ``path``.
    """
    # A leading ".": a dataset reader of the folder skips a file being written.  The name is
    # this call's own (process id and a random part), so two threads or processes writing
    # the same file never write into one temporary file.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        write(tmp)
        if sync:
            with open(tmp, "rb") as f:
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            tmp.unlink()
        except OSError:  # never created, or the folder is gone
            pass
        if isinstance(exc, OSError) and exc.filename != str(path):
            raise OSError(exc.errno, f"cannot write it ({exc.strerror or exc})",
                          str(path)) from exc
        raise


def write_text(path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file, so no half-written file is left."""
    write_atomic(Path(path), lambda tmp: tmp.write_text(text), sync=False)


def write_csv(frame: pd.DataFrame, path) -> None:
    """Write ``frame`` as CSV that R's ``read.csv`` reads as it is, through a temporary file.

    Boolean columns become 0/1 (missing: an empty field, R's NA), since R reads pandas'
    ``True``/``False`` as text; a path ending in ``.gz`` is gzipped (``read.csv`` reads it
    directly).  The same as :func:`write_csv_parts` with ``frame`` as its one part.

    Examples
    --------
    >>> import tempfile
    >>> f = pd.DataFrame({"rep": [0, 1], "ok": [True, False],
    ...                   "flag": pd.array([True, None], dtype="boolean")})
    >>> with tempfile.TemporaryDirectory() as d:
    ...     write_csv(f, Path(d) / "x.csv.gz")
    ...     print(pd.read_csv(Path(d) / "x.csv.gz").to_csv(index=False).strip())
    rep,ok,flag
    0,1,1.0
    1,0,
    """
    write_csv_parts([frame], path)


def write_csv_parts(parts: Iterable[pd.DataFrame], path) -> None:
    """Write the rows of ``parts``, one after the other, as :func:`write_csv` writes them
    concatenated: the same bytes, gzipped or not, with only one part in memory at a time
    (each is streamed into the temporary file).

    The parts must have the same columns with the same types (the header is the first's);
    boolean columns are turned into 0/1 part by part.

    Examples
    --------
    >>> import tempfile
    >>> f = pd.DataFrame({"rep": range(6), "x": [0.5, 1.0, 1.5, 2.0, 2.5, 3.0]})
    >>> with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
    ...     write_csv(f, Path(a) / "x.csv.gz")
    ...     write_csv_parts([f.iloc[:2], f.iloc[2:]], Path(b) / "x.csv.gz")
    ...     (Path(a) / "x.csv.gz").read_bytes() == (Path(b) / "x.csv.gz").read_bytes()
    True
    """
    path = Path(path)

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as raw:
            # mtime 0 and the name "<name>.tmp" in the gzip header (as written before,
            # whatever the temporary file's name): the same rows give the same bytes.  Without
            # a flush, zlib's output does not depend on how its input is split into writes.
            handle = (gzip.GzipFile(filename=f"{path.name}.tmp", mode="wb", fileobj=raw,
                                    mtime=0) if path.suffix == ".gz" else raw)
            try:
                first = True
                for part in parts:
                    # As text, then bytes: handed a file, to_csv flushes it at its end, and a
                    # gzip stream's flush (Z_SYNC_FLUSH) changes the bytes that follow.
                    text = _r_ready(part).to_csv(index=False, header=first)
                    handle.write(text.encode("utf-8"))
                    first = False
                if first:
                    raise ValueError(f"no rows to write to {str(path)!r}: `parts` is empty.")
                handle.flush()  # once, at the end, as to_csv did when handed the whole frame
            finally:
                if handle is not raw:
                    handle.close()

    write_atomic(path, write, sync=False)


def _r_ready(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its boolean columns (Python bools with None included) as Int8."""
    out = frame.copy(deep=False)
    for col in out.columns:
        values = out[col]
        if values.dtype == object:  # Python bools with None, as an object column
            kept = values.dropna()
            if len(kept) and all(isinstance(v, bool | np.bool_) for v in kept):
                values = values.astype("boolean")
        if pd.api.types.is_bool_dtype(values):
            out[col] = values.astype("Int8")
    return out


def write_figure(path, fig, *, dpi: int = 120) -> None:
    """Save a matplotlib Figure through a temporary name (no half file on a kill), in the
    format its suffix names (``.png``, ``.pdf``, ``.svg``; PNG without a suffix)."""
    path = Path(path)
    fmt = path.suffix[1:].lower() or "png"
    write_atomic(path, lambda tmp: fig.savefig(tmp, dpi=dpi, format=fmt), sync=False)


def write_run_record(path, **fields):
    """``run.json``: the command line, versions, machine and whatever ``fields`` says."""
    argv = list(sys.argv)
    if argv and Path(argv[0]).parts[-2:] == ("gansim", "__main__.py"):
        argv[0:1] = ["-m", "gansim"]  # as typed: python -m gansim ...
    record = {"command": " ".join([Path(sys.executable).name, *argv]),
              **fields, "versions": versions(), "machine": machine()}
    write_text(path, json.dumps(record, indent=2, default=str) + "\n")
    return record
