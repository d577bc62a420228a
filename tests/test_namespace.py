"""The top-level namespace: lazy subpackages, and no torch import for the numerical core."""

from __future__ import annotations

import subprocess
import sys

import pytest

import gpdtheory as gp


def test_core_import_does_not_import_torch():
    code = "import sys, gpdtheory as gp; gp.truncation; gp.gd; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("name", gp._LAZY)
def test_lazy_subpackages_resolve(name):
    module = getattr(gp, name)
    assert module.__name__ == f"gpdtheory.{name}"
    assert name in dir(gp)


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        gp.nope  # noqa: B018
