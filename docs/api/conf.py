"""Sphinx configuration of the API reference, built from the docstrings (numpydoc).

Build (warnings are errors, as in .ci/run)::

    .venv/bin/sphinx-build -W --keep-going -b html docs/api build/docs
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

# The reference documents this checkout, whether or not it is the installed copy.
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import gpdtheory  # noqa: E402

project = "gpdtheory"
author = "the gpdtheory authors"
copyright = "the gpdtheory authors"
version = release = gpdtheory.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_parser",  # docs/theory.md, the specification, as a page (theory.rst includes it)
]

# One page per module, listing what its __all__ exports.
autosummary_generate = True
autosummary_ignore_module_all = False
autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_typehints = "none"  # numpydoc's Parameters sections carry the types
# numpydoc lists a class's attributes and methods from its docstring; autosummary would
# list them a second time.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

# numpydoc reports a section name it does not know ("Example") as a Python warning, which
# sphinx-build -W would let through: make it fail the build like Sphinx's own warnings.
warnings.filterwarnings("error", message="Unknown section", category=UserWarning)

templates_path = ["_templates"]  # autosummary/module.rst: re-export namespaces
exclude_patterns = ["_build"]
html_theme = "alabaster"
html_static_path: list[str] = []
