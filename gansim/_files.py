"""Files written whole or not at all, and JSON records read with a message naming the file.

Kept apart from :mod:`gansim.runner` so that writing a report does not import torch.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

__all__ = ["read_json", "write_atomic"]


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
    """Write ``path`` through a temporary name of this process, then rename it into place.

    ``write(tmp)`` writes the temporary file; with ``sync`` its data is on disk before the
    rename, so a crash leaves the old file or the new one, never half of one.  When the write
    fails (a full disk, say) the temporary file is removed and the OSError names ``path``.
    """
    # A leading ".": a dataset reader of the folder skips a file being written.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
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
