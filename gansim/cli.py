"""One command line for the shipped studies: ``python -m gansim <study> [options]``.

Every study shares ``--seed``, ``--n-jobs``, ``--out``, ``--overwrite``, ``--no-progress``
and ``--scheduler-address`` / ``--scheduler-file`` (run the blocks on a dask cluster; the
study's ``main`` passes ``args.executor`` to :func:`gansim.run_study`); each adds its own
options (``python -m gansim <study> --help``).  A user
error (a bad option value, an ``--out`` that is a file, settings that differ from the blocks
already in ``--out``) prints one line and exits with code 2, without a traceback; a study
stopped by too many failed replications exits with code 1; an operating-system error (a
read-only folder, a full disk) prints one line naming the path; Ctrl-C prints how to resume
and exits with code 130.

A shipped study is a module of :mod:`gansim.studies` with

- ``DESCRIPTION`` (str) and ``DEFAULTS`` (``{"seed": int, "out": str}``),
- ``add_arguments(parser)``: its own options,
- ``main(args) -> str``: build the study from the parsed options (the shared ones included),
  run it, write its files to ``args.out`` and return the text to print.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import json
import re
import sys
from datetime import datetime, timezone
from pathlib import Path

from gansim.gan import config as _config

__all__ = ["MAX_M", "MAX_N", "MAX_REPLICATIONS", "MAX_STEPS", "MAX_WIDTH", "STUDIES",
           "add_device_argument", "block_size_arg", "build_parser",
           "int_at_least", "int_in", "m_arg", "main", "n_arg", "replications_arg", "scale_arg",
           "steps_arg", "width_arg"]

#: Shipped studies: subcommand -> module of :mod:`gansim.studies`.
STUDIES = {
    "poc": "gansim.studies.poc",
    "rates": "gansim.studies.rates",
    "rates_standardize": "gansim.studies.rates_standardize",
    "losses": "gansim.studies.losses",
    "recipe": "gansim.studies.recipe",
    "coverage": "gansim.studies.coverage",
    "rates_floor": "gansim.studies.rates_floor",
}


def first_sentence(text: str) -> str:
    """The first sentence of a study's description, on one line, for the list of studies.

    Examples
    --------
    >>> first_sentence("The study: n = 100\\nfrom N(0, 1). More here.")
    'The study: n = 100 from N(0, 1).'
    """
    flat = " ".join(text.split())
    end = re.search(r"[.?!](?=\s|$)", flat)
    return flat if end is None else flat[:end.end()]


def _positive_jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive integer or -1, got {text!r}") \
            from None
    if value == 0 or value < -1:
        raise argparse.ArgumentTypeError(f"must be a positive integer or -1, got {text!r}")
    return value


def int_at_least(low: int):
    """An argparse ``type``: an integer >= ``low``, else a message naming the bound."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be an integer >= {low}, got {text!r}") \
                from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be an integer >= {low}, got {text!r}")
        return value
    return parse


#: Upper bounds of the shipped studies' numeric options, each for a stated reason: past one a
#: run would exhaust the memory or run for days instead of failing with a clear message.
#: Replications: every replication's tidy rows (about 1.4 kB) are held in memory, so 10**7
#: replications already need about 14 GB.
MAX_REPLICATIONS = 10**7
#: Training steps and hidden widths: the bounds GANConfig itself enforces (stated there).
MAX_STEPS = _config.MAX_STEPS
#: Data points per replication: a block holds block size x n of them, with copies.
MAX_N = 10**7
#: Draws per GAN and replication (a block's draws are also checked against the memory
#: budget of :class:`gansim.Study`).
MAX_M = 10**8
MAX_WIDTH = _config.MAX_WIDTH


def int_in(low: int, high: int, why: str):
    """An argparse ``type``: an integer in [``low``, ``high``], else a message naming both
    bounds and ``why`` the upper one is there."""
    limit = f"{high:_}"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            raise argparse.ArgumentTypeError(
                f"must be an integer in [{low}, {limit}] ({why}), got {text!r}")
        return value
    return parse


def replications_arg(text: str) -> int:
    """An argparse ``type``: B, in [2, :data:`MAX_REPLICATIONS`]."""
    return int_in(2, MAX_REPLICATIONS, "every replication's results are held in memory")(text)


def steps_arg(text: str) -> int:
    """An argparse ``type``: GAN training steps, in [1, :data:`MAX_STEPS`]."""
    return int_in(1, MAX_STEPS, "at most about 20 hours of training per replication")(text)


def n_arg(text: str) -> int:
    """An argparse ``type``: data points per replication, in [2, :data:`MAX_N`]."""
    return int_in(2, MAX_N, "a block holds block size x n values")(text)


def m_arg(text: str) -> int:
    """An argparse ``type``: draws per GAN and replication, in [2, :data:`MAX_M`]."""
    return int_in(2, MAX_M, "a block holds block size x m draws")(text)


def width_arg(text: str) -> int:
    """An argparse ``type``: a GAN's hidden width, in [1, :data:`MAX_WIDTH`]."""
    return int_in(1, MAX_WIDTH, "a layer holds width² weights per replication")(text)


def scale_arg(largest_B: int):
    """An argparse ``type``: the ``--scale`` of a study whose largest B is ``largest_B``, a
    number that keeps every B within :data:`MAX_REPLICATIONS` (the study refuses one that is
    not positive)."""
    high = MAX_REPLICATIONS / largest_B

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a positive number, got {text!r}") \
                from None
        if value > high:
            raise argparse.ArgumentTypeError(
                f"must be a positive number <= {high:g} (the largest B, {largest_B}, times the "
                f"scale is at most {MAX_REPLICATIONS:_} replications), got {text!r}")
        return value
    return parse


def block_size_arg(text: str) -> int | str:
    """An argparse ``type``: ``auto`` or an integer >= 1 (``Study(block_size=...)``)."""
    if text == "auto":
        return text
    try:
        return int_at_least(1)(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1 or 'auto', got {text!r}") \
            from None


def add_device_argument(parser) -> None:
    """``--device``: where the study's GANs train (checked when the study is built, so a bad
    value or a missing GPU is one line and exit code 2)."""
    parser.add_argument("--device", default="cpu",
                        help="torch device of the GANs: 'cpu' (default), 'cuda' or "
                             "'cuda:<index>'")


#: numpy's SeedSequence takes any integer >= 0, but the seed is stored in int64 columns.
SEED_MAX = 2**63 - 1


def seed_arg(text: str) -> int:
    """An argparse ``type``: a study seed, an integer in [0, :data:`SEED_MAX`]."""
    return int_in(0, SEED_MAX, "the seed is stored in 64-bit integer columns")(text)


def _out(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("must name a folder, got an empty string")
    path = Path(text)
    try:
        if path.exists() and not path.is_dir():
            raise argparse.ArgumentTypeError(f"{text!r} exists and is not a folder")
    except OSError as exc:  # a name too long for the file system, say
        raise argparse.ArgumentTypeError(f"{exc.strerror or exc}: {text!r}") from None
    return text


def _scheduler_file(text: str) -> str:
    """An argparse ``type``: the JSON file that ``dask scheduler --scheduler-file`` writes."""
    try:
        info = json.loads(Path(text).read_text())
    except OSError as exc:
        raise argparse.ArgumentTypeError(f"cannot read {text!r}: {exc.strerror or exc}") \
            from None
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a scheduler file (not JSON); it is "
                                         "the file `dask scheduler --scheduler-file PATH` "
                                         "writes") from None
    if not isinstance(info, dict) or "address" not in info:
        raise argparse.ArgumentTypeError(f"{text!r} is not a scheduler file (no 'address')")
    return text


def build_parser(study: str | None = None) -> argparse.ArgumentParser:
    """The parser of ``python -m gansim``: one subcommand per shipped study.

    Only the module of ``study`` is imported (all of them when None), so that running one
    study does not import the others.
    """
    parser = argparse.ArgumentParser(
        prog="python -m gansim", description="Run a shipped gansim study.")
    sub = parser.add_subparsers(dest="study", metavar="STUDY", required=True)
    for name, module_name in STUDIES.items():
        if study is not None and name != study:
            sub.add_parser(name)
            continue
        module = importlib.import_module(module_name)
        p = sub.add_parser(name, help=first_sentence(module.DESCRIPTION),
                           description=module.DESCRIPTION,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        common = p.add_argument_group("shared by every study")
        common.add_argument("--seed", type=seed_arg, default=module.DEFAULTS["seed"],
                            help="study seed (default: %(default)s)")
        common.add_argument("--n-jobs", type=_positive_jobs, default=2,
                            help="worker processes, -1 for all cores; results do not depend "
                                 "on it (default: %(default)s)")
        common.add_argument("--out", type=_out, default=module.DEFAULTS["out"],
                            help="output folder; a rerun resumes from its finished blocks "
                                 "(default: %(default)s)")
        common.add_argument("--overwrite", action="store_true",
                            help="discard finished blocks in --out instead of resuming")
        common.add_argument("--no-progress", action="store_true", help="no progress bar")
        cluster = common.add_mutually_exclusive_group()
        cluster.add_argument("--scheduler-address", metavar="tcp://HOST:PORT",
                             help="run the blocks on this dask scheduler's workers (pip "
                                  "install 'gansim[dask]'); --n-jobs is then not used; "
                                  "results are the same, this process writes the files")
        cluster.add_argument("--scheduler-file", metavar="PATH", type=_scheduler_file,
                             help="as --scheduler-address, the scheduler named by the file "
                                  "of `dask scheduler --scheduler-file PATH`")
        module.add_arguments(p)
        p.set_defaults(_module=module)
    # Listed for --help only: main() hands `report` to gansim.render before parsing.
    sub.add_parser("report", help="render every results README from the committed files "
                                  "(--check: only say whether they agree)", add_help=False)
    return parser


#: Errors of a file system that cannot take the outputs: full, over quota, read-only.
_FULL_OR_READ_ONLY = {errno.ENOSPC, errno.EDQUOT, errno.EROFS}


def main(argv=None) -> int:
    """Parse ``argv``, run the study, print its report; returns the exit code."""
    from gansim.study.core import StudyError, hold_locks

    argv = sys.argv[1:] if argv is None else list(argv)
    first = next((a for a in argv if not a.startswith("-")), None)
    if first == "report":
        # Renders text from committed files; it runs no study, so it has its own parser.
        from gansim.render import main as report_main

        rest = list(argv)
        rest.remove("report")
        return report_main(rest)
    args = build_parser(first if first in STUDIES else None).parse_args(argv)
    args.started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    # Where the blocks run, for run_study(executor=...): None is this machine's processes.
    args.executor = args.scheduler_address or args.scheduler_file
    try:
        # The output folder stays locked until the command's last file is written.
        with hold_locks(args.out):
            text = args._module.main(args)
    except StudyError as exc:
        print(f"gansim {args.study}: {exc}", file=sys.stderr)
        return 1
    except (ValueError, TypeError) as exc:
        print(f"gansim {args.study}: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # read-only folder, disk full, a path that is a file...
        where = f"{exc.filename}: " if exc.filename else ""
        text = f"{exc.strerror or exc}"
        if not exc.filename and exc.errno in _FULL_OR_READ_ONLY:
            # A writer that does not say which file (a figure, say): the folder at least.
            text += f" (writing the outputs in --out {args.out!r})"
        print(f"gansim {args.study}: error: {where}{text}", file=sys.stderr)
        return 2
    except MemoryError:
        print(f"gansim {args.study}: error: out of memory; choose fewer replications "
              "(-B) or a smaller --block-size", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        # Finished blocks are on disk; the same command resumes from them.
        print(f"gansim {args.study}: interrupted: rerun the same command to resume",
              file=sys.stderr)
        return 130
    print(text)
    return 0
