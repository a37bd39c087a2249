"""The documentation builds with no warning and its internal links resolve.

The build (about a minute on 2 cores, the gallery on tiny settings) runs when
``GANSIM_TEST_DOCS=1`` and Sphinx with the ``docs`` extra is installed: ``.ci/run`` runs
it after the suite.  The link checker itself is tested always, on a tiny site.
"""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "docs"))
from check_links import broken_links  # noqa: E402

DOCS_PACKAGES = ("sphinx", "myst_parser", "numpydoc", "sphinx_gallery", "pydata_sphinx_theme")


def test_link_checker_names_each_broken_link(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "index.html").write_text(
        '<a href="sub/page.html#here">ok</a> <a href="sub/page.html#gone">no id</a>'
        '<a href="missing.html">no file</a> <img src="img.png"> <a href="#top">self</a>'
        '<a href="https://example.org/x">external</a> <p id="top"></p>')
    (tmp_path / "sub" / "page.html").write_text('<h1 id="here"></h1><a href="../index.html">up</a>'
                                                '<a href="../../outside.html">out</a>')
    problems = broken_links(tmp_path)
    assert problems == ["index.html: sub/page.html#gone (no id 'gone' there)",
                        "index.html: missing.html (no such file)",
                        "index.html: img.png (no such file)",
                        "sub/page.html: ../../outside.html (leaves the site)"]


@pytest.mark.skipif(os.environ.get("GANSIM_TEST_DOCS") != "1",
                    reason="about a minute: set GANSIM_TEST_DOCS=1 (.ci/run does)")
@pytest.mark.skipif(any(importlib.util.find_spec(p) is None for p in DOCS_PACKAGES),
                    reason='the docs extra is not installed: pip install -e ".[docs]"')
def test_docs_build_without_warnings_and_links_resolve(tmp_path):
    html = tmp_path / "html"
    env = dict(os.environ, GANSIM_DOCS_QUICK="1", MPLBACKEND="Agg")
    out = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
         "-d", str(tmp_path / "doctrees"), "docs", str(html)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-4000:]
    assert (html / "index.html").is_file() and (html / "auto_examples" / "index.html").is_file()
    assert broken_links(html) == []
