"""The stated minimum Python (``requires-python``) is true.

Python 3.10 lacks :mod:`tomllib`; the scenario reader then uses the ``tomli`` package, a
dependency declared for those versions only. The fallback is exercised here on any Python by
hiding ``tomllib`` (``tomli`` is in the ``[test]`` extra). Syntax newer than the floor is
ruff's to refuse (``target-version`` in pyproject.toml).
"""

from __future__ import annotations

import sys
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the same parser, as the tomli package
    import tomli as tomllib

REPO = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


def test_floor_and_tomli_marker_agree():
    floor = PYPROJECT["project"]["requires-python"]
    assert floor == ">=3.10"
    assert PYPROJECT["tool"]["ruff"]["target-version"] == "py310"
    assert "tomli>=2.0; python_version < '3.11'" in PYPROJECT["project"]["dependencies"]


def test_scenario_reads_toml_without_tomllib(tmp_path, monkeypatch):
    from gpdtheory_checks.scenario import load_scenario

    path = tmp_path / "case.toml"
    path.write_text('N = [8, 16]\n[kernel]\nfamily = "polynomial"\nell = 2.0\nnu = 1.0\n',
                    encoding="utf-8")
    # None in sys.modules makes `import tomllib` raise ModuleNotFoundError, as on 3.10.
    monkeypatch.setitem(sys.modules, "tomllib", None)
    monkeypatch.delitem(sys.modules, "tomli", raising=False)
    scenario = load_scenario(path)
    assert "tomli" in sys.modules
    assert scenario.N == (8, 16) and scenario.kernel.family == "polynomial"
