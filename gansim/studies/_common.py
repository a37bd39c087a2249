"""What the shipped studies share: their bounded command-line options, how a study is run
from the shared ones (:func:`run_options`), and matplotlib set up for writing files.

The command line itself (the top parser, the list of studies) is :mod:`gansim.cli`, which
sits above the studies and imports these from here.
"""

from __future__ import annotations

import argparse

import numpy as np

from gansim._validation import Integer
from gansim.gan import config as _config

__all__ = ["MAX_M", "MAX_N", "MAX_REPLICATIONS", "MAX_STEPS", "MAX_WIDTH", "SEED_MAX",
           "add_device_argument", "add_gan_arguments", "block_size_arg", "int_at_least",
           "int_in", "log_n_axes", "m_arg", "n_arg", "pyplot", "replications_arg",
           "run_options", "scale_arg", "seed_arg", "steps_arg", "value_mcse", "width_arg"]


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
#: numpy's SeedSequence takes any integer >= 0, but the seed is stored in int64 columns.
SEED_MAX = 2**63 - 1


def int_in(low: int, high: int, why: str):
    """An argparse ``type``: an integer in [``low``, ``high``] (the package's
    :class:`~gansim._validation.Integer` constraint, so the command line and the Python API
    say the same), else a message naming both bounds and ``why`` the upper one is there."""
    constraint = Integer(low, high)

    def parse(text: str) -> int:
        try:
            return constraint.check(int(text), "value")
        except (ValueError, TypeError):
            raise argparse.ArgumentTypeError(
                f"must be {constraint.describe()} ({why}), got {text!r}") from None
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


def seed_arg(text: str) -> int:
    """An argparse ``type``: a study seed, an integer in [0, :data:`SEED_MAX`]."""
    return int_in(0, SEED_MAX, "the seed is stored in 64-bit integer columns")(text)


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


def add_gan_arguments(parser, *,
                      steps_help: str = "GAN training steps (default: %(default)s)") -> None:
    """The options of a study whose GANs all train alike: ``--steps`` (bounded by
    :func:`steps_arg`, default ``GANConfig.steps``) and ``--device``."""
    parser.add_argument("--steps", type=steps_arg, default=_config.GANConfig.steps,
                        help=steps_help)
    add_device_argument(parser)


def run_options(args: argparse.Namespace, *, out_dir=None) -> dict:
    """The keywords of :func:`~gansim.study.core.run_study` that every shipped study takes
    from the shared options: ``--seed``, ``--n-jobs``, ``--no-progress``, ``--overwrite``
    and the dask scheduler, if any (``args.executor``); finished blocks in ``out_dir``
    (default ``--out``).  A study runs ``run_study(study, **run_options(args))``.

    Examples
    --------
    >>> args = argparse.Namespace(seed=1, n_jobs=2, out="o", no_progress=True, overwrite=False)
    >>> kw = run_options(args, out_dir="o/part")
    >>> kw["out_dir"], kw["progress"], kw["executor"]
    ('o/part', False, None)
    """
    return {"seed": args.seed, "n_jobs": args.n_jobs,
            "out_dir": args.out if out_dir is None else out_dir,
            "progress": not args.no_progress, "overwrite": args.overwrite,
            "executor": getattr(args, "executor", None)}


def pyplot():
    """``matplotlib.pyplot`` on the Agg backend: the studies write figures to files and
    need no display."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def log_n_axes(ax, ns) -> None:
    """Log-log axes for a quantity against the design's sample sizes ``ns``, with the n as
    plain tick labels (log axes otherwise print 3x10^1 and the like)."""
    import matplotlib.pyplot as plt

    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(ns, [str(n) for n in ns])
    ax.xaxis.set_minor_formatter(plt.NullFormatter())


def value_mcse(value, mcse, digits: int = 3) -> str:
    """A table cell ``value (mcse)``; an empty cell for NaN."""
    if not np.isfinite(value):
        return ""
    return f"{value:.{digits}f} ({mcse:.{digits}f})"
