"""Sphinx configuration for the skmax documentation.

Build (from the repository root), warnings as errors, as CI does::

    sphinx-build -W --keep-going -b html docs docs/_build/html

Nothing here needs the network: intersphinx is not used, and MathJax is only
loaded by the reader's browser when a page with mathematics is opened.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# Plots are rendered off-screen; sphinx-gallery also selects Agg, this makes it
# explicit for autodoc imports and anything else that imports pyplot first.
os.environ.setdefault("MPLBACKEND", "Agg")
import matplotlib  # noqa: E402

matplotlib.use("Agg")

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
# Document the checkout (not some other installed skmax), and make the small
# gallery helper in docs/sphinxext importable by name.
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(DOCS / "sphinxext"))

from threadpoolctl import threadpool_limits  # noqa: E402

import skmax  # noqa: E402

# The gallery's examples are small: BLAS threads (and hence skmax's, which follow
# the BLAS limit) would only add overhead, and on a busy shared CI runner
# OpenBLAS threads waiting for a core can slow small fits down many times. So the
# examples run with single-threaded BLAS; their results do not depend on it.
threadpool_limits(limits=1, user_api="blas")

# -- Project -------------------------------------------------------------------

project = "skmax"
author = "skmax developers"
copyright = "skmax developers, BSD-3-Clause"
release = skmax.__version__
version = ".".join(release.split(".")[:2])

# -- General -------------------------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = [
    "_build",
    # The measured tables are pulled into benchmarks.rst with ``.. include::``;
    # they are not pages of their own.
    "benchmarks/*_table.rst",
    "sphinxext",
]
root_doc = "index"
default_role = "literal"
pygments_style = "sphinx"

# -- autodoc / autosummary / numpydoc -----------------------------------------

# API pages are generated into docs/gen_modules/ (git-ignored) on every build.
autosummary_generate = True
autosummary_generate_overwrite = True
autodoc_typehints = "none"  # the numpydoc "Parameters" sections say it all
autodoc_member_order = "groupwise"
autodoc_inherit_docstrings = True

# Class pages list their methods through autodoc (see _templates/autosummary);
# numpydoc's own member tables would repeat them.
numpydoc_show_class_members = False
numpydoc_show_inherited_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False

# -- sphinx-gallery ------------------------------------------------------------

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"__init__\.py",
    # Quickstart first; see docs/sphinxext/skmax_gallery_order.py.
    "within_subsection_order": "skmax_gallery_order.ReadingOrder",
    "doc_module": ("skmax",),
    "backreferences_dir": "gen_modules/backreferences",
    "download_all_examples": False,
    "remove_config_comments": True,
    "abort_on_example_error": False,
    "show_memory": False,
    "min_reported_time": 1,
    # No sg_execution_times.rst pages (they would land in docs/ itself and load
    # JavaScript from CDNs); the build log still prints the times.
    "write_computation_times": False,
}

# -- HTML ----------------------------------------------------------------------

html_theme = "pydata_sphinx_theme"
html_title = f"skmax {release}"
html_short_title = "skmax"
html_show_sourcelink = False
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 6,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version", "theme-version"],
}
html_context = {"default_mode": "light"}


# -- Known docstring problems --------------------------------------------------
#
# reST errors in skmax docstrings, reported to the maintainers. The sources are
# not edited from here; instead each problem is patched in the text handed to
# Sphinx, so that the build stays warning-free meanwhile. Each patch is an exact
# text replacement, so it does nothing once its docstring is fixed (and can then
# be deleted). Build with SKMAX_DOCS_STRICT=1 to see the unpatched errors.
# -- Class pages: skmax's own methods only ------------------------------------
#
# Methods that the estimators inherit from scikit-learn (get_params, set_params,
# score, get_metadata_routing) and the set_*_request methods that scikit-learn's
# metadata routing generates are documented by scikit-learn, and their
# docstrings cross-reference scikit-learn's own user guide and glossary, which
# cannot resolve here. api.rst mentions them in prose instead.


def _skip_foreign_members(app, what, name, obj, skip, options):
    if what != "class":
        return None
    target = obj.fget if isinstance(obj, property) else obj
    target = getattr(target, "__func__", target)  # bound class methods
    module = getattr(target, "__module__", None)
    if isinstance(module, str) and not module.startswith("skmax"):
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_foreign_members)
