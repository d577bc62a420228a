"""The API reference (docs/api, built by .ci/run with warnings as errors) lists every module.

Each public module of :mod:`gpdtheory` (a name without a leading underscore) has its page
only if ``docs/api/index.rst`` names it; a new module left out would be silently missing.
"""

from __future__ import annotations

import pkgutil
import re
from pathlib import Path

import gpdtheory

INDEX = Path(__file__).resolve().parents[1] / "docs" / "api" / "index.rst"


def _listed() -> list[str]:
    text = INDEX.read_text(encoding="utf-8")
    block = text[text.index(".. autosummary::"):]
    return re.findall(r"^   (gpdtheory[\w.]*)$", block, flags=re.MULTILINE)


def test_index_lists_every_public_module_once():
    public = {f"gpdtheory.{m.name}" for m in pkgutil.iter_modules(gpdtheory.__path__)
              if not m.name.startswith("_")}
    listed = _listed()
    assert len(listed) == len(set(listed)), "a module is listed twice"
    assert set(listed) == public | {"gpdtheory"}

