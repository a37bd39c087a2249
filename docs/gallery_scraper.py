"""An image scraper for the gallery: gansim's plots return matplotlib Figures made without
pyplot (so that a study never opens a window), which sphinx-gallery's own scraper, looking
at pyplot's figures, does not see.  This one shows every Figure a code block leaves in the
example's variables, once."""

from __future__ import annotations

import weakref

_SHOWN: weakref.WeakSet = weakref.WeakSet()


def figures(block, block_vars, gallery_conf, **kwargs) -> str:
    """The reST of the new Figures of the block's example, saved as PNG files."""
    from matplotlib.figure import Figure
    from sphinx_gallery.scrapers import figure_rst

    paths = []
    for value in list(block_vars["example_globals"].values()):
        # A figure with a canvas manager belongs to pyplot: sphinx-gallery's scraper shows it.
        if (isinstance(value, Figure) and value not in _SHOWN
                and getattr(value.canvas, "manager", None) is None):
            path = next(block_vars["image_path_iterator"])
            value.savefig(path, dpi=120, bbox_inches="tight")
            _SHOWN.add(value)
            paths.append(path)
    return figure_rst(paths, gallery_conf["src_dir"])
