"""The report layer: every results README, and the tables beside it, rendered from the
committed files of its folder.

Each shipped results folder has a module here whose ``render(results)`` returns the text of
its Markdown files, keyed by their path relative to the results folder, computed at render
time from the data files in it (``summary.csv``, ``replications.csv.gz``, ``run.json``, …):
no figure of the text is typed by hand, and every comparative word comes from
:mod:`gansim.summary.rules`. A module may also provide ``fragments(results)``: named pieces
of Markdown for the top-level README and the documentation's pages (``docs/``), written
between the markers ``<!-- gansim report: NAME -->`` and ``<!-- /gansim report -->``.

``python -m gansim report`` writes them; ``python -m gansim report --check`` renders into
memory and lists each file that differs from the one on disk (exit 1), so that a hand edit
of a figure, or a rerun whose README was not rendered again, is caught.

Examples
--------
>>> from gansim.render import REPORTS
>>> "poc" in REPORTS
True
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
from pathlib import Path

__all__ = ["REPORTS", "FRAGMENTS", "default_results_dir", "render", "check", "write", "main",
           "apply_fragments"]

#: Results folder (under ``results/``) -> the module that renders its Markdown files.
REPORTS = {
    "poc": "gansim.render.poc",
    "rates": "gansim.render.rates",
    "rates_standardize": "gansim.render.rates_standardize",
    "losses": "gansim.render.losses",
    "recipe": "gansim.render.recipe",
    "coverage": "gansim.render.coverage",
    "coverage_tuning": "gansim.render.coverage_tuning",
    "rates_floor": "gansim.render.rates_floor",
    "generators_tuning": "gansim.render.generators_tuning",
    "generators": "gansim.render.generators",
}

#: Modules that render only fragments of the top README (no results folder of their own).
FRAGMENTS = ("gansim.render.benchmarks",)

_MARKER = re.compile(r"(<!-- gansim report: (?P<name>[\w-]+) -->\n)(?P<body>.*?)"
                     r"(<!-- /gansim report -->)", re.S)


def default_results_dir() -> Path:
    """``results/`` of the source tree gansim is imported from, else ``./results``."""
    here = Path(__file__).resolve().parents[2] / "results"
    return here if here.is_dir() else Path("results")


def _modules(studies):
    names = list(REPORTS) if not studies else list(studies)
    unknown = [s for s in names if s not in REPORTS]
    if unknown:
        raise ValueError(f"unknown study {unknown[0]!r}; choose from {', '.join(REPORTS)}.")
    return {name: importlib.import_module(REPORTS[name]) for name in names}


def apply_fragments(text: str, fragments: dict[str, str], *, source: str = "README.md") -> str:
    """``text`` with the body between each ``<!-- gansim report: NAME -->`` marker and its
    closing marker replaced by ``fragments[NAME]``; markers not in ``fragments`` are kept.

    Examples
    --------
    >>> apply_fragments("a\\n<!-- gansim report: x -->\\nold\\n<!-- /gansim report -->\\n",
    ...                 {"x": "new"})
    'a\\n<!-- gansim report: x -->\\nnew\\n<!-- /gansim report -->\\n'
    """
    def sub(match):
        name = match.group("name")
        if name not in fragments:
            return match.group(0)
        body = fragments[name].rstrip("\n") + "\n"
        return match.group(1) + body + match.group(4)

    return _MARKER.sub(sub, text)


def render(results=None, studies=None) -> dict[Path, str]:
    """Every rendered file: path -> text, from the committed files under ``results``.

    The top-level README (``results/../README.md``) and the documentation's pages
    (``results/../docs/**/*.md``) are included when they have markers of the fragments.
    """
    results = Path(results) if results is not None else default_results_dir()
    if not results.is_dir():
        raise ValueError(f"`results` must be a folder of study results, got {str(results)!r} "
                         "(no such folder).")
    out: dict[Path, str] = {}
    fragments: dict[str, str] = {}
    for name, module in _modules(studies).items():
        if not (results / name).is_dir():
            raise ValueError(f"no results folder {str(results / name)!r} for study {name!r}.")
        for rel, text in module.render(results).items():
            out[results / rel] = text
        if hasattr(module, "fragments"):
            fragments.update(module.fragments(results))
    if not studies:
        for name in FRAGMENTS:
            fragments.update(importlib.import_module(name).fragments(results))
    for page in _fragment_pages(results.parent) if fragments else []:
        old = page.read_text()
        new = apply_fragments(old, fragments)
        if new != old or _MARKER.search(old):
            out[page] = new
    return out


def _fragment_pages(root: Path) -> list[Path]:
    """The top README and the documentation's hand-written pages under ``root``: the files
    that may hold fragments (the documentation's generated folders left out)."""
    pages = [root / "README.md"]
    docs = root / "docs"
    if docs.is_dir():
        pages += sorted(p for p in docs.rglob("*.md") if not {"_build", "generated",
                        "auto_examples"} & set(p.relative_to(docs).parts[:-1]))
    return [p for p in pages if p.is_file()]


def check(rendered: dict[Path, str]) -> list[Path]:
    """The paths whose file on disk differs from (or lacks) the rendered text."""
    return [p for p, text in rendered.items()
            if not p.is_file() or p.read_text() != text]


def write(rendered: dict[Path, str]) -> list[Path]:
    """Write the files that differ (atomically); returns their paths."""
    from gansim._files import write_text

    changed = check(rendered)
    for path in changed:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_text(path, rendered[path])
    return changed


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m gansim report",
        description="Render every results README (and the tables beside it) from the "
                    "committed files of its folder; no replication is recomputed.")
    parser.add_argument("studies", nargs="*", metavar="STUDY",
                        help=f"results folders to render (default: all of {', '.join(REPORTS)})")
    parser.add_argument("--results", metavar="DIR", default=None,
                        help="the results folder (default: results/ of this source tree)")
    parser.add_argument("--check", action="store_true",
                        help="render into memory and exit 1 naming each file that differs "
                             "from the one on disk; write nothing")
    return parser


def main(argv=None) -> int:
    """``python -m gansim report``; returns the exit code (0 agree/written, 1 differ, 2 error)."""
    args = build_parser().parse_args(argv)
    try:
        rendered = render(args.results, args.studies)
        if args.check:
            differ = check(rendered)
            for path in differ:
                print(f"differs from its rendering: {path}", file=sys.stderr)
            if differ:
                print(f"gansim report: {len(differ)} of {len(rendered)} files differ; "
                      "`python -m gansim report` renders them again", file=sys.stderr)
                return 1
            print(f"gansim report: all {len(rendered)} rendered files agree")
            return 0
        changed = write(rendered)
    except (ValueError, OSError) as exc:
        print(f"gansim report: error: {exc}", file=sys.stderr)
        return 2
    for path in changed:
        print(f"rendered {path}")
    print(f"gansim report: {len(changed)} of {len(rendered)} files rendered anew")
    return 0
