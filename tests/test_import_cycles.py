"""No new import circle, imports inside functions included.

The graph is read from the source with :mod:`ast` (every ``import`` and ``from ... import``,
at any depth, relative ones resolved), so an import hidden in a function still counts. The
circles that predate this guard are listed in ``KNOWN``: the test fails on any other circle,
and on a known one that grows. Breaking a known circle means deleting it here.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: Circles that exist already, to be broken by moving code down a layer (never new ones).
KNOWN = [
    {"gpdtheory.kernels", "gpdtheory.psd", "gpdtheory.psd.certificate", "gpdtheory.psd.frontier",
     "gpdtheory.psd.per_n", "gpdtheory.spec", "gpdtheory.toeplitz", "gpdtheory.toeplitz.banded",
     "gpdtheory.toeplitz.bounds", "gpdtheory.toeplitz.durbin", "gpdtheory.toeplitz.eig",
     "gpdtheory.toeplitz.fft", "gpdtheory.toeplitz.gohberg_semencul", "gpdtheory.toeplitz.pcg",
     "gpdtheory.toeplitz.rows_pcg", "gpdtheory.toeplitz.solve", "gpdtheory.truncation",
     "gpdtheory.validation"},
    {"gpdtheory.models", "gpdtheory.train.checkpoints"},
    {"gpdtheory.compare", "gpdtheory.compare_models", "gpdtheory.construct.inspect",
     "gpdtheory.evaluate"},
]


def _modules() -> dict[str, Path]:
    out = {}
    for path in [*ROOT.glob("gpdtheory/**/*.py"), *ROOT.glob("checks/*.py")]:
        parts = path.relative_to(ROOT).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def _graph(mods: dict[str, Path]) -> dict[str, set[str]]:
    def known(name: str) -> str | None:
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {m: set() for m in mods}
    for mod, path in mods.items():
        package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(up + ([base] if base else []))
                subs = [f"{base}.{a.name}" for a in node.names]
                # ``from pkg import sub`` depends on the submodule, ``from pkg import name``
                # on the package
                targets = [t for t in subs if t in mods]
                if len(targets) < len(subs):
                    targets.append(base)
            else:
                continue
            for target in filter(None, map(known, targets)):
                if target != mod:
                    graph[mod].add(target)
    return graph


def _circles(graph: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[set[str]] = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    comp.add(member)
                    if member == node:
                        break
                if len(comp) > 1:
                    out.append(comp)
    return out


def test_the_detector_sees_a_function_local_circle():
    graph = {"a": {"b"}, "b": {"a"}, "c": {"a"}}
    assert _circles(graph) == [{"a", "b"}]


def test_no_new_import_circle():
    circles = _circles(_graph(_modules()))
    new = [sorted(c) for c in circles if not any(c <= known for known in KNOWN)]
    assert not new, f"new import circles (move code down a layer instead): {new}"


def test_the_mutation_and_output_modules_are_in_no_circle():
    circles = _circles(_graph(_modules()))
    mine = {"checks.mutation", "checks.mutants", "checks.mutants_cli", "checks.outputs",
            "checks.reference", "checks.baselines", "checks.cli"}
    assert not [c for c in circles if c & mine]


def test_the_runner_report_figures_and_scenario_are_in_no_circle():
    circles = _circles(_graph(_modules()))
    mine = {"checks", "checks.runner", "checks.report", "checks.plots", "checks.schema",
            "checks.scenario"}
    assert not [sorted(c) for c in circles if c & mine]
