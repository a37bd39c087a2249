"""Sphinx configuration of gansim's documentation.

Build: ``python -m sphinx -W -b html docs docs/_build/html`` (``pip install -e ".[docs]"``).
``GANSIM_DOCS_QUICK=1`` runs the example gallery on tiny settings (the CI build).

Three kinds of page are generated here at build time, into ignored folders, so that they
follow the code and the committed results instead of being kept by hand:

- ``api/generated/``: one page per package listing its public names (``__all__``), one page
  per public name, and the docstrings of the package's modules;
- ``results/generated/``: one page per shipped study, its README included as rendered by
  ``python -m gansim report`` and its figures shown;
- ``auto_examples/``: the gallery, executed (sphinx-gallery).
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import re
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))  # document the source tree the docs are built from
sys.path.insert(0, str(DOCS))  # gallery_scraper

import gansim  # noqa: E402

project = "gansim"
author = "the gansim authors"
copyright = "the gansim authors"  # noqa: A001
version = release = gansim.__version__

extensions = [
    "myst_parser",
    "numpydoc",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx_gallery.gen_gallery",
]
try:  # optional: a copy button on code blocks
    import sphinx_copybutton  # noqa: F401

    extensions.append("sphinx_copybutton")
except ImportError:
    pass

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = [
    "_build", "gallery/GALLERY_HEADER.rst", "guide/generated", "**.ipynb_checkpoints"]
html_static_path = ["_static"]
html_css_files = ["gansim.css"]

html_theme = "pydata_sphinx_theme"
html_title = "gansim"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": [],
}
html_show_sourcelink = False

# Formulas are typeset by MathJax, loaded by the reader's browser from its CDN;
# GANSIM_DOCS_MATHJAX_PATH points to a local copy instead (an offline build's screenshots).
# (Debian's libjs-mathjax is MathJax 2, which MyST's MathJax 3 settings would switch off.)
if os.environ.get("GANSIM_DOCS_MATHJAX_PATH"):
    mathjax_path = os.environ["GANSIM_DOCS_MATHJAX_PATH"]
    myst_update_mathjax = False

# Markdown pages: $...$ maths, ::: fences, and anchors for headings down to ###.
myst_enable_extensions = ["dollarmath", "colon_fence"]
myst_heading_anchors = 3

# API pages: numpydoc renders the docstrings; signatures without type hints (the docstrings
# give the types, in words a reader can follow).
autosummary_generate = True
autodoc_typehints = "none"
autodoc_member_order = "bysource"
numpydoc_show_class_members = False
numpydoc_validation_checks: set[str] = set()

# --------------------------------------------------------------------------------------------
# The example gallery: each docs/gallery/plot_*.py runs during the build.

QUICK = os.environ.get("GANSIM_DOCS_QUICK", "") not in ("", "0")
sphinx_gallery_conf = {
    "examples_dirs": "gallery",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "remove_config_comments": True,
    "abort_on_example_error": True,
    # Always run: the outputs of a quick build (GANSIM_DOCS_QUICK=1) must not be reused by
    # a full one, which would otherwise skip the unchanged scripts.
    "run_stale_examples": True,
    "min_reported_time": 1,
    "show_memory": False,
    "show_signature": False,
    "matplotlib_animations": False,
    "image_srcset": ["2x"],
    # gansim's plots are Figures made without pyplot: gallery_scraper shows them.
    "image_scrapers": ("matplotlib", "gallery_scraper.figures"),
}

# --------------------------------------------------------------------------------------------
# The API reference, generated from the packages' public names.

#: Subpackages documented by their public names (``__all__``), in the order shown.
PACKAGES = ["gansim.study", "gansim.inference", "gansim.summary", "gansim.gan", "gansim.render"]


def _public_names(module) -> list[str]:
    """``__all__`` (dunder names left out); without one, the names that the package's
    public modules export and define themselves, as ``module.name`` (a module that only
    re-exports names defined elsewhere, a facade, adds none)."""
    names = getattr(module, "__all__", None)
    if names is not None:
        return [n for n in names if not (n.startswith("__") and n.endswith("__"))]
    out = []
    for sub in _modules(module):
        sub_module = importlib.import_module(sub)
        exported = getattr(sub_module, "__all__", [])
        homes = {getattr(getattr(sub_module, n), "__module__", None) for n in exported}
        if exported and homes - {None} and sub not in homes:
            continue  # a facade
        out += [f"{sub.rsplit('.', 1)[1]}.{n}" for n in exported
                if getattr(getattr(sub_module, n), "__module__", sub) == sub]
    return out


def _modules(package) -> list[str]:
    """The importable, non-private submodules of a package, sorted by name."""
    out = []
    for info in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
        leaf = info.name.rsplit(".", 1)[1]
        if leaf.startswith("_"):
            continue
        out.append(info.name)
    return sorted(out)


def _title(text: str, char: str = "=") -> str:
    return f"{text}\n{char * len(text)}\n"


def _package_page(name: str) -> str:
    module = importlib.import_module(name)
    lines = [_title(name), f".. automodule:: {name}\n   :no-members:\n",
             f".. currentmodule:: {name}\n", _title("Public names", "-"),
             ".. autosummary::\n   :toctree: .\n   :nosignatures:\n"]
    lines += [f"   {n}" for n in _public_names(module)]
    subs = [m for m in _modules(module) if not hasattr(importlib.import_module(m), "__path__")]
    if subs:
        lines += ["", _title("Modules", "-")]
        public = set(_public_names(module))
        for sub in subs:
            # A module named like a public function (gansim.summary.simsum) is shown, not
            # indexed: the name belongs to the function.
            flag = "\n   :no-index:" if sub.rsplit(".", 1)[1] in public else ""
            lines += [_title(sub, "~"), f".. automodule:: {sub}\n   :no-members:{flag}\n"]
    return "\n".join(lines) + "\n"


def _top_page() -> str:
    """``gansim``: every name of ``gansim.__all__``, linked to where a subpackage documents it."""
    owners = {}
    for pkg in PACKAGES:
        module = importlib.import_module(pkg)
        for n in _public_names(module):
            obj = module
            for part in n.split("."):
                obj = getattr(obj, part) if hasattr(obj, part) else importlib.import_module(
                    f"{obj.__name__}.{part}")
            owners.setdefault(id(obj), f"{pkg}.{n}")
    rows, own = [], []
    for n in _public_names(gansim):
        target = owners.get(id(getattr(gansim, n)))
        if target is None:
            own.append(n)
        else:
            rows.append(f"   * - ``gansim.{n}``\n     - :obj:`{target}`")
    lines = [_title("gansim"), ".. automodule:: gansim\n   :no-members:\n",
             "``import gansim as gs`` gives the names below; each is documented where its "
             "subpackage exports it.\n",
             ".. list-table::\n   :header-rows: 1\n   :widths: 30 70\n",
             "   * - name\n     - documented as", *rows, ""]
    if own:
        lines += [".. currentmodule:: gansim\n", ".. autosummary::\n   :toctree: .\n"
                  "   :nosignatures:\n", *[f"   {n}" for n in own], ""]
    documented = {p for p in PACKAGES}
    others = [m for m in _modules(gansim) if m not in documented]
    if others:
        lines += [_title("Other modules", "-")]
        for sub in others:
            lines += [_title(sub, "~"), f".. automodule:: {sub}\n   :no-members:\n"]
    return "\n".join(lines) + "\n"


def _write_if_changed(path: Path, text: str) -> None:
    # Unchanged files keep their time stamp, so an incremental build rereads nothing.
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def _generate_api() -> None:
    out = DOCS / "api" / "generated"
    out.mkdir(parents=True, exist_ok=True)
    _write_if_changed(out / "gansim.rst", _top_page())
    for pkg in PACKAGES:
        _write_if_changed(out / f"{pkg}.rst", _package_page(pkg))


# --------------------------------------------------------------------------------------------
# The results pages: each shipped study's README as `python -m gansim report` rendered it.

_LINK = re.compile(r"(!?)\[((?:[^\[\]]|\[[^\]]*\])*)\]\(([^)\s]+)\)")
_GENERATED = DOCS / "results" / "generated"


def _page_of(path: Path) -> Path | None:
    """The generated page of a committed Markdown file, if it has one."""
    try:
        rel = path.resolve().relative_to(ROOT)
    except ValueError:
        return None
    parts = rel.parts
    if parts[0] in ("results", "benchmarks") and path.suffix == ".md" and path.is_file():
        if parts[0] == "results" and parts[-1] == "README.md" and len(parts) == 3:
            return _GENERATED / f"{parts[1]}.md"
        return _GENERATED / Path(*parts[:-1]) / parts[-1]
    return None


def _rewrite_links(text: str, source: Path, page: Path) -> str:
    """Relative links of a committed file, made relative to its generated ``page``.

    A link to another committed Markdown file with a page goes to that page; a link to a
    file (a figure, a CSV) stays a link to the file (Sphinx copies it into the site); a link
    to a folder, which a site cannot show, becomes the folder's name in code font.
    """
    def sub(match):
        bang, label, target = match.groups()
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
            return match.group(0)
        path_part, _, anchor = target.partition("#")
        resolved = (source.parent / path_part).resolve()
        linked = _page_of(resolved)
        if linked is not None:
            rel = os.path.relpath(linked, page.parent)
            return f"{bang}[{label}]({rel}{'#' + anchor if anchor else ''})"
        if resolved.is_file():
            rel = os.path.relpath(resolved, page.parent)
            return f"{bang}[{label}]({rel})" if bang else f"[{label}](path:{rel})"
        return label if label.startswith("`") else f"`{label}`"

    return _LINK.sub(sub, text)


def _generate_results() -> None:
    """One page per results README and per Markdown file beside it or in benchmarks/results.

    The text is the committed file's, links made relative to the page; a results README's
    page ends with the figures of its folder.
    """
    from gansim.render import REPORTS

    sources = []
    for study in REPORTS:
        folder = ROOT / "results" / study
        if (folder / "README.md").is_file():
            sources += [folder / "README.md",
                        *sorted(p for p in folder.glob("*.md") if p.name != "README.md")]
    sources += sorted((ROOT / "benchmarks" / "results").glob("*.md"))
    for source in sources:
        page = _page_of(source)
        page.parent.mkdir(parents=True, exist_ok=True)
        text = source.read_text(encoding="utf-8")
        rel_source = source.relative_to(ROOT).as_posix()
        if not text.startswith("# "):  # a page needs a title; the file's path is one
            text = f"# {rel_source}\n\n{text}"
        text = _rewrite_links(text, source, page)
        if source.name == "README.md":
            figures = sorted(source.parent.glob("*.png"))
            others = sorted(p for p in source.parent.glob("*.md") if p.name != "README.md")
            if figures:
                text += "\n## Figures\n\n"
                for fig in figures:
                    rel = os.path.relpath(fig, page.parent)
                    text += (f"```{{figure}} {rel}\n:alt: {fig.name}\n:width: 90%\n\n"
                             f"`{fig.name}`\n```\n\n")
            if others:
                text += ("\n```{toctree}\n:hidden:\n\n"
                         + "".join(f"results/{source.parent.name}/{p.stem}\n" for p in others)
                         + "```\n")
        note = (f"<!-- Generated by docs/conf.py from {rel_source}; edit that file's "
                f"renderer, not this page. -->\n")
        _write_if_changed(page, note + text)


def _root_links(app, docname, source) -> None:
    """Links of a hand-written page written as from the repository's root (as in README.md
    and the fragments the report layer renders into pages), made relative to the page."""
    if docname.startswith(("results/generated/", "api/generated/", "auto_examples/")):
        return
    page = DOCS / f"{docname}.md"
    if not page.is_file():
        return

    def sub(match):
        bang, label, target = match.groups()
        path_part = target.partition("#")[0]
        if (re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#")
                or (page.parent / path_part).exists() or not (ROOT / path_part).exists()):
            return match.group(0)
        return _rewrite_links(match.group(0), ROOT / "README.md", page)

    source[0] = _LINK.sub(sub, source[0])


def setup(app):
    app.connect("source-read", _root_links)


# --------------------------------------------------------------------------------------------
# The command line's studies, as `python -m gansim --help` lists them.


def _generate_studies() -> None:
    """``guide/generated/studies.md``: a table of the shipped studies, each with the first
    sentence of its description and its results page; included by guide/cli.md."""
    from gansim.cli import STUDIES, first_sentence
    from gansim.render import REPORTS

    rows = ["| study | what it runs | results |", "|---|---|---|"]
    for name, module_name in STUDIES.items():
        text = first_sentence(importlib.import_module(module_name).DESCRIPTION)
        page = f"{{doc}}`/results/generated/{name}`" if name in REPORTS else ""
        rows.append(f"| `{name}` | {text.replace('|', chr(92) + '|')} | {page} |")
    out = DOCS / "guide" / "generated"
    out.mkdir(parents=True, exist_ok=True)
    _write_if_changed(out / "studies.md", "\n".join(rows) + "\n")


_generate_api()
_generate_results()
_generate_studies()
