"""Every code example of the documentation runs: the package's docstring examples (doctest),
and every ```python block of the README and of the documentation's pages under docs/, each
page's blocks in order in one namespace (as a reader would paste them)."""

import doctest
import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import gansim

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
MODULES = sorted(m.name for m in pkgutil.walk_packages(gansim.__path__, "gansim."))

# Pages whose blocks another test runs, with checks of its own: docs/guide/study.md is the
# tutorial that tests/test_examples.py runs and checks; docs/cluster.md has its own test.
RUN_ELSEWHERE = {"guide/study.md", "cluster.md"}
# Folders of pages generated at build time (from committed files or the gallery's scripts).
GENERATED = ("_build", "api/generated", "results/generated", "auto_examples")


def python_blocks(text: str) -> list[str]:
    """The ```python fenced blocks of a Markdown text, in order."""
    return re.findall(r"^```python\n(.*?)^```", text, re.S | re.M)


def _pages() -> list[str]:
    pages = ["README.md"]
    for path in sorted(DOCS.rglob("*.md")):
        rel = path.relative_to(DOCS).as_posix()
        if rel.startswith(GENERATED) or rel in RUN_ELSEWHERE:
            continue
        if python_blocks(path.read_text(encoding="utf-8")):
            pages.append(f"docs/{rel}")
    return pages


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"


@pytest.mark.parametrize("page", _pages())
def test_page_code_runs(page, tmp_path, monkeypatch):
    """The page's code as printed, run in order in one namespace, in a temporary folder
    (the examples write files) and without a display (figures are only saved)."""
    import matplotlib

    matplotlib.use("Agg")
    blocks = python_blocks((ROOT / page).read_text(encoding="utf-8"))
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": "docs"}
    for i, block in enumerate(blocks):
        exec(compile(block, f"{page} python block {i}", "exec"), namespace)  # noqa: S102


def test_pages_with_code_are_found():
    # The guide's pages with examples are run here (a renamed folder would skip them silently).
    pages = _pages()
    assert "docs/getting_started.md" in pages
    assert any(p.startswith("docs/guide/") for p in pages)


def test_the_performance_page_holds_the_rendered_engine_table():
    # The report layer renders the benchmark's table into the page (python -m gansim report).
    from gansim.render import apply_fragments, benchmarks, default_results_dir

    text = (DOCS / "guide" / "performance.md").read_text(encoding="utf-8")
    assert "<!-- gansim report: engine-table -->" in text
    assert apply_fragments(text, benchmarks.fragments(default_results_dir())) == text
