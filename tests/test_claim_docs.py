"""Every claim says how each side is computed (docs/theory.md §10).

A claim's measured side and its bound side come from different computations; the claim's
docstring (or its module's, which the function's docstring then points to) names both.
"""

from __future__ import annotations

import inspect

import gpdtheory_checks
import pytest
from gpdtheory_checks.table import CLAIMS


@pytest.mark.parametrize("claim_id", list(CLAIMS))
def test_claim_names_both_sides(claim_id):
    assert gpdtheory_checks
    func = CLAIMS[claim_id].func
    doc = inspect.getdoc(func) or ""
    assert doc, f"{claim_id}: the claim function has no docstring"
    text = doc + "\n" + (inspect.getdoc(inspect.getmodule(func)) or "")
    lowered = text.lower()
    assert "measured" in lowered and "bound" in lowered, (
        f"{claim_id}: its docstring (or its module's) must say which computation gives "
        "'measured' and which gives 'bound'")
