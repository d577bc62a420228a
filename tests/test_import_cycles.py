"""No import circle and no upward import, imports inside functions included.

The graph is read from the source with :mod:`ast` (every ``import`` and ``from ... import``,
at any depth, relative ones resolved), so an import hidden in a function still counts. The
circles that predate this guard are listed in ``KNOWN``: the test fails on any other circle,
and on a known one that grows. Breaking a known circle means deleting it here.

``LAYERS`` orders the modules of :mod:`gpdtheory`: a module imports only from its own layer
or a lower one, never from a higher one, and nothing in :mod:`gpdtheory` imports
``checks`` (which sits above them all). The README's architecture list is checked against
the same order: its item ``k`` names the modules of layer ``k`` and no others.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: Circles that exist already, to be broken by moving code down a layer (never new ones).
KNOWN: list[set[str]] = []


#: The layers of :mod:`gpdtheory`, lowest first, by module (a package names all of its
#: submodules). A module may import from its own layer and the layers below it.
LAYERS: list[tuple[str, ...]] = [
    ("errors", "_extras", "_torch", "validation", "fileio"),  # foundations: no numerics
    ("toeplitz", "symbol"),                  # arrays only: Toeplitz engine, the symbol f_J
    ("kernels", "kernel_adapters_gpytorch"),  # rho(m), its certificates, GP libraries' kernels
    ("spec", "schedule"),                    # the data model; the forward process in time
    ("truncation", "psd"),                   # band-J truncation and when it stays PSD
    ("linear",),                             # the linear-Gaussian model
    ("diffusion", "bounds", "gd", "sampling", "profiles", "protocol", "sweeps"),
    ("distribution", "data"),                # distribution-level errors; data beyond Gaussian
    ("construct", "capture", "models", "train", "jacobians"),  # networks: built, hooked, trained
    ("evaluate", "compare", "compare_models", "latte"),  # networks against the theory
    ("sample_complexity", "experiments", "figures", "video"),  # runs and their drawings
    ("testing", "_pytest_plugin"),           # tools for users' tests
    ("",),                                   # the package namespace itself (re-exports)
]

#: Upward imports that predate the layer test, each owned by work elsewhere (never new ones).
KNOWN_UPWARD: set[tuple[str, str]] = set()


def _layer(module: str) -> int | None:
    """The layer of a :mod:`gpdtheory` module (None outside the package)."""
    if module != "gpdtheory" and not module.startswith("gpdtheory."):
        return None
    rest = module.partition(".")[2]
    best, found = -1, None
    for k, names in enumerate(LAYERS):
        for name in names:
            if (rest == name or rest.startswith(name + ".")) and len(name) > best:
                best, found = len(name), k
    return found


def _modules() -> dict[str, Path]:
    out = {}
    for path in [*ROOT.glob("gpdtheory/**/*.py"), *ROOT.glob("checks/*.py")]:
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[0] == "checks":  # the folder installs as gpdtheory_checks (setup.py)
            parts = ("gpdtheory_checks", *parts[1:])
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
    mine = {f"gpdtheory_checks.{m}" for m in ("mutation", "mutants", "mutants_cli", "outputs",
                                              "reference", "baselines", "cli")}
    assert not [c for c in circles if c & mine]


def test_the_compare_package_is_in_no_circle_and_imports_downward():
    """No module of gpdtheory.compare imports the package itself (whose __init__ imports
    them all), and none of them, the jacobian utility or the modules that used to form a
    circle with them sits in a circle."""
    mods = _modules()
    graph = _graph(mods)
    inside = {m for m in mods if m.startswith("gpdtheory.compare.")}
    assert {"gpdtheory.compare.kernel", "gpdtheory.compare.layers"} <= inside
    for mod in inside:
        assert "gpdtheory.compare" not in graph[mod], mod
        assert "gpdtheory.compare_models" not in graph[mod], mod
    mine = inside | {"gpdtheory.compare", "gpdtheory.compare_models", "gpdtheory.jacobians",
                     "gpdtheory.construct.inspect", "gpdtheory.evaluate", "gpdtheory.protocol"}
    assert not [c for c in _circles(graph) if c & mine]


def test_every_module_has_a_layer():
    missing = sorted(m for m in _modules()
                     if m.partition(".")[0] == "gpdtheory" and _layer(m) is None)
    assert not missing, f"modules without a layer (add them to LAYERS): {missing}"


def test_the_layer_check_sees_an_upward_import():
    assert _layer("gpdtheory.kernels.base") < _layer("gpdtheory.spec")
    assert _upward({"gpdtheory.kernels.base": {"gpdtheory.spec"}}) == [
        ("gpdtheory.kernels.base", "gpdtheory.spec")]
    assert _upward({"gpdtheory.spec": {"gpdtheory.kernels"}}) == []


def _upward(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    out = []
    for mod, targets in graph.items():
        low = _layer(mod)
        if low is None:
            continue
        for target in targets:
            high = _layer(target)
            if target.partition(".")[0] == "gpdtheory_checks" or (high is not None and high > low):
                out.append((mod, target))
    return sorted(out)


def test_no_import_runs_up_a_layer():
    upward = [e for e in _upward(_graph(_modules())) if e not in KNOWN_UPWARD]
    assert not upward, ("imports from a lower layer up to a higher one (move the code down, "
                        f"or a module to another layer of LAYERS): {upward}")


def _readme_layers() -> list[set[str]]:
    """The :mod:`gpdtheory` modules named in each item of the README's architecture list."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Architecture", 1)[1].split("\n## ", 1)[0]
    items = re.split(r"^\d+\. ", section.split("`checks/`", 1)[0], flags=re.M)[1:]
    mods = _modules()
    out = []
    for item in items:
        named = set()
        for token in re.findall(r"`([A-Za-z_][A-Za-z0-9_.]*)`", item):
            parts = token.split(".")
            for k in range(len(parts), 0, -1):
                if "gpdtheory." + ".".join(parts[:k]) in mods:
                    named.add("gpdtheory." + ".".join(parts[:k]))
                    break
        out.append(named)
    return out


def test_the_readme_architecture_follows_the_layers():
    readme = _readme_layers()
    assert len(readme) == len(LAYERS) - 1, (
        f"the README's architecture list has {len(readme)} items, LAYERS {len(LAYERS) - 1} "
        "below the namespace: one item per layer")
    for k, named in enumerate(readme):
        wrong = sorted(m for m in named if _layer(m) != k)
        assert not wrong, f"README architecture item {k + 1} names modules of other layers: {wrong}"
        tops = {m for m in _modules() if _layer(m) == k and m.count(".") == 1}
        absent = sorted(tops - {".".join(m.split(".")[:2]) for m in named})
        assert not absent, f"README architecture item {k + 1} leaves out {absent}"


def test_the_runner_report_figures_and_scenario_are_in_no_circle():
    circles = _circles(_graph(_modules()))
    mine = {"gpdtheory_checks", *(f"gpdtheory_checks.{m}" for m in (
        "runner", "report", "plots", "schema", "scenario"))}
    assert not [sorted(c) for c in circles if c & mine]
