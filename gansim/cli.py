"""One command line for the shipped studies: ``python -m gansim <study> [options]``.

Every study shares ``--seed``, ``--n-jobs``, ``--out``, ``--overwrite``, ``--no-progress``
and ``--scheduler-address`` / ``--scheduler-file`` (run the blocks on a dask cluster; the
study's ``main`` passes ``args.executor`` to :func:`gansim.run_study`, with the other shared
options, through :func:`gansim.studies._common.run_options`); each adds its own options
(``python -m gansim <study> --help``, bounded by the types of :mod:`gansim.studies._common`).
A user error (a bad option value, an ``--out`` that is a file, settings that differ from the blocks
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
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from gansim.studies._common import (
    MAX_M,
    MAX_N,
    MAX_REPLICATIONS,
    MAX_STEPS,
    MAX_WIDTH,
    SEED_MAX,
    add_device_argument,
    block_size_arg,
    int_at_least,
    int_in,
    m_arg,
    n_arg,
    replications_arg,
    scale_arg,
    seed_arg,
    steps_arg,
    width_arg,
)

# The bounded option types live with the studies (gansim.studies._common), which use them;
# they are re-exported here, where the command line was first documented.
__all__ = ["MAX_M", "MAX_N", "MAX_REPLICATIONS", "MAX_STEPS", "MAX_WIDTH", "SEED_MAX",
           "STUDIES", "add_device_argument", "block_size_arg", "build_parser",
           "int_at_least", "int_in", "m_arg", "main", "n_arg", "replications_arg", "scale_arg",
           "seed_arg", "steps_arg", "width_arg"]

#: Shipped studies: subcommand -> module of :mod:`gansim.studies`.
STUDIES = {
    "poc": "gansim.studies.poc",
    "rates": "gansim.studies.rates",
    "rates_standardize": "gansim.studies.rates_standardize",
    "losses": "gansim.studies.losses",
    "recipe": "gansim.studies.recipe",
    "coverage": "gansim.studies.coverage",
    "rates_floor": "gansim.studies.rates_floor",
    "generators_tuning": "gansim.studies.generators_tuning",
    "generators": "gansim.studies.generators",
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
        common.add_argument("--wait-for-workers", metavar="N", type=_wait_for_workers,
                            default=0,
                            help="on a dask cluster, wait (up to 10 minutes) for N workers "
                                 "checked to run the same gansim code, for a cluster that "
                                 "starts them on demand (default: one present at the start)")
        common.add_argument("--reuse-blocks-from-other-code", action="store_true",
                            help="resume from finished blocks in --out even when another "
                                 "gansim source, torch, numpy or C compiler computed them "
                                 "(refused otherwise)")
        module.add_arguments(p)
        p.set_defaults(_module=module)
    # Listed for --help only: main() hands `report` to gansim.render before parsing.
    sub.add_parser("report", help="Render every results README from the committed files "
                                  "(--check: only say whether they agree).", add_help=False)
    return parser


#: Errors of a file system that cannot take the outputs: full, over quota, read-only.
_FULL_OR_READ_ONLY = {errno.ENOSPC, errno.EDQUOT, errno.EROFS}


#: Exit code of a run that the cluster failed (its scheduler lost, no workers, every worker
#: gone): the finished blocks are saved and the same command resumes from them.
EXIT_CLUSTER = 3
#: Seconds ``--wait-for-workers`` waits for them.
WAIT_FOR_WORKERS_S = 600.0


def _wait_for_workers(text: str) -> int:
    """An argparse ``type``: a number of workers, 0 or more."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a whole number of workers, 0 or more; "
                                         f"got {text!r}")
    return value


@contextmanager
def quiet_cluster_logs(executor):
    """On a cluster, only errors of dask's own loggers reach the terminal during the run:
    a lost scheduler is then the command's one line, not the client's reconnection
    attempts."""
    if not executor:
        yield
        return
    import logging

    try:  # first: importing it configures its loggers
        import distributed  # noqa: F401
    except ImportError:  # as_executor says what to install
        pass
    # dask's configuration gives some of its loggers levels of their own: each is set.
    names = [n for n in [*logging.root.manager.loggerDict, "distributed", "tornado"]
             if n.split(".")[0] in ("distributed", "tornado")]
    levels = {n: logging.getLogger(n).level for n in names}
    for n in names:
        logging.getLogger(n).setLevel(logging.CRITICAL)
    yield
    # Left quiet after a failure: the client's reconnection attempts may still log while
    # the process exits.
    for n, level in levels.items():
        logging.getLogger(n).setLevel(level)


def main(argv=None) -> int:
    """Parse ``argv``, run the study, print its report; returns the exit code."""
    from gansim.study.core import StudyError, hold_locks
    from gansim.study.executors import Cluster, ClusterError
    from gansim.study.runner import reusing_blocks

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
    if args.wait_for_workers and not args.executor:
        print(f"gansim {args.study}: error: --wait-for-workers needs a dask cluster "
              "(--scheduler-address or --scheduler-file)", file=sys.stderr)
        return 2
    if args.executor and args.wait_for_workers:
        args.executor = Cluster(args.executor, wait_for_workers=args.wait_for_workers,
                                timeout=WAIT_FOR_WORKERS_S)
    try:
        # The output folder stays locked until the command's last file is written.
        with hold_locks(args.out), quiet_cluster_logs(args.executor), reusing_blocks(
                "any-code" if args.reuse_blocks_from_other_code else None):
            text = args._module.main(args)
    except StudyError as exc:
        print(f"gansim {args.study}: {exc}", file=sys.stderr)
        return 1
    except ClusterError as exc:  # before OSError: the scheduler lost is not a user error
        print(f"gansim {args.study}: cluster: {exc}", file=sys.stderr)
        return EXIT_CLUSTER
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
