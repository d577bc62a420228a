"""Start-up of ``gpdtheory --help``, ``check --version`` and ``check --list``: what they import.

Counted, not timed (a busy machine times anything): each path runs in a fresh interpreter,
which then reports the modules it imported. None may import torch, matplotlib, Dask,
sympy, scikit-learn, GPyTorch, hypothesis, Numba (whose compiled kernels dominate
``import gpdtheory``) or any claim module; ``--list`` reads the claims from the source
(:mod:`gpdtheory_checks.catalogue`) and must print exactly what the loaded registry holds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

HEAVY = ("torch", "matplotlib", "dask", "distributed", "sympy", "sklearn", "gpytorch",
         "hypothesis", "numba", "llvmlite", "scipy", "diffusers")

PROBE = """
import contextlib, io, json, sys
from gpdtheory_checks.cli import main
out = io.StringIO()
with contextlib.redirect_stdout(out):
    try:
        code = main({argv!r})
    except SystemExit as exc:
        code = exc.code
print(json.dumps({{"code": code, "stdout": out.getvalue(), "modules": sorted(sys.modules)}}))
"""


def _probe(argv: list[str]) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, "-c", PROBE.format(argv=argv)], capture_output=True,
                       text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout.splitlines()[-1])


@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["check", "--version"],
                                  ["check", "--list"], ["report", "--help"]])
def test_fast_paths_import_nothing_heavy(argv):
    got = _probe(argv)
    assert got["code"] in (0, None)
    mods = got["modules"]
    heavy = sorted({m.split(".")[0] for m in mods} & set(HEAVY))
    assert not heavy, f"{argv} imports {heavy}"
    ours = [m for m in mods if m.split(".")[0] in ("gpdtheory_checks", "gpdtheory")]
    claim_modules = {f"checks.{m}" for m in ("asymptotics", "construct", "core", "distribution",
                                             "gd", "models", "paper", "paper_attention",
                                             "paper_architectures", "scenario", "training",
                                             "training_slope", "truncation", "video")}
    assert not claim_modules & set(ours), ours
    assert len(ours) <= 6, ours  # checks, cli, table, registry, catalogue (and nothing else)


def test_list_reads_exactly_the_registry():
    got = _probe(["check", "--list"])
    import gpdtheory_checks
    from gpdtheory_checks.table import CLAIMS

    gpdtheory_checks.load_claims()
    live = "".join(f"{c.id:24s} §{c.section:4s} {c.statement}\n" for c in CLAIMS.values())
    assert got["stdout"] == live


def test_first_read_of_the_registry_loads_the_catalogue_in_table_order():
    code = """
import json, sys
import gpdtheory_checks.truncation  # a claim module imported first, as a test might
from gpdtheory_checks.table import CLAIMS
print(json.dumps([c.func.__module__ for c in CLAIMS.values()]))
"""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                       timeout=600)
    assert r.returncode == 0, r.stderr
    modules = json.loads(r.stdout.splitlines()[-1])
    import gpdtheory_checks

    order = [f"checks.{m}" for m in gpdtheory_checks.CLAIM_MODULES]
    ranks = [order.index(m) if m in order else len(order) for m in modules]
    assert ranks == sorted(ranks) and "gpdtheory_checks.truncation" in modules
    assert len(set(modules)) > 5
