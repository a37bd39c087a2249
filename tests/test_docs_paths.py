"""The README and the documentation's pages cannot name what does not exist: every
repository path they name resolves, and the module table ("How it is built",
docs/guide/layout.md) lists every module of the package (and nothing else)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import gansim

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
LAYOUT = ROOT / "docs" / "guide" / "layout.md"
# The hand-written pages (the generated ones are copies of committed files, or the gallery's).
PAGES = ["README.md", *sorted(
    p.relative_to(ROOT).as_posix() for p in (ROOT / "docs").rglob("*.md")
    if not p.relative_to(ROOT / "docs").as_posix().startswith(
        ("_build", "api/generated", "results/generated", "auto_examples")))]

# `gansim/x.py`, `results/poc/`, `benchmarks/results/engine.md`, ... in backticks or links.
_PATH = re.compile(r"(?<![\w/.])((?:gansim|results|benchmarks|scripts|examples|studies|tests|docs)"
                   r"/[\w./*-]*)")
# Folders that a build creates (the documentation's site), named but not committed.
_BUILT = ("docs/_build",)


def _named_paths(text: str) -> set[str]:
    out = set()
    for m in _PATH.finditer(text):
        path = m.group(1).rstrip(".,;:)")
        if "<" in path or path.endswith("/STUDY.py") or path.startswith(_BUILT):
            continue
        out.add(path)
    return out


@pytest.mark.parametrize("page", PAGES)
def test_every_path_a_page_names_exists(page):
    text = (ROOT / page).read_text(encoding="utf-8")
    # {doc}`...` and toctree entries name pages of the documentation, not repository paths;
    # code other than shell commands names folders a run will write and prints output.
    text = re.sub(r"\{doc\}`[^`]*`", "", text)
    text = re.sub(r"^```([^\n]*)\n(.*?)^```",
                  lambda m: m.group(2) if m.group(1).split()[-1:] == ["bash"] else "", text,
                  flags=re.S | re.M)
    missing = []
    for path in sorted(_named_paths(text)):
        if "*" in path:
            if not list(ROOT.glob(path)):
                missing.append(path)
        elif not (ROOT / path).exists():
            missing.append(path)
    assert not missing, f"{page} names paths that do not exist: {missing}"


def _table_modules() -> set[str]:
    text = LAYOUT.read_text(encoding="utf-8")
    section = text.split("\n| module | what |", 1)[1].split("\n\n", 1)[0]
    out = set()
    for cell in re.findall(r"^\| ([^|]+) \|", section, flags=re.M):
        folder = ""
        # `gansim/gan/fused.c`, `fused.py`: a bare name continues the folder before it.
        for path in re.findall(r"`([^`]+)`", cell):
            if "/" in path:
                folder = path.rsplit("/", 1)[0]
                out.add(path)
            elif folder:
                out.add(f"{folder}/{path}")
    return out


def test_the_module_table_lists_every_module():
    table = _table_modules()
    covered = set()
    for entry in table:
        covered |= {str(p.relative_to(ROOT)) for p in ROOT.glob(entry.rstrip("/") + (
            "/*.py" if entry.endswith("/") else ""))}
    modules = {str(p.relative_to(ROOT)) for p in (ROOT / "gansim").rglob("*.py")
               if p.name != "__init__.py" and "__pycache__" not in p.parts}
    assert modules - covered == set(), f"modules missing from {LAYOUT.name}'s table: " \
                                       f"{sorted(modules - covered)}"
    stale = {e for e in table if e.startswith("gansim") and not list(ROOT.glob(
        e.rstrip("/")))}
    assert not stale, f"{LAYOUT.name}'s table names what does not exist: {sorted(stale)}"


def test_docstrings_name_existing_gansim_modules():
    # :mod:`gansim.x` and :func:`gansim.x.f` in the package's docstrings resolve.
    import importlib

    bad = []
    for path in (ROOT / "gansim").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef,
                                 ast.AsyncFunctionDef)):
                doc = ast.get_docstring(node) or ""
                for name in re.findall(r":mod:`~?(gansim(?:\.\w+)*)`", doc):
                    try:
                        importlib.import_module(name)
                    except ImportError:
                        bad.append((str(path.relative_to(ROOT)), name))
    assert not bad, f"docstrings name modules that do not exist: {bad}"


def test_the_package_exports_its_dgps():
    from gansim.study.dgp import DGPS

    for cls in DGPS.values():
        assert getattr(gansim, cls.__name__) is cls
