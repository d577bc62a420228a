"""The claim catalogue read from the source, for ``gpdtheory check --list`` (no claim runs).

Importing the claim modules costs seconds (torch, sympy, Numba-compiled code); listing the
claims needs only their ids, sections and statements, which are literals in each
``@claim("id", "section", "statement", ...)`` decorator, or f-strings of the module's own
constants (``f"... to {SCORE_RTOL:g} relative"`` with ``SCORE_RTOL = 1e-10`` at module
level) or of constants it imports from a sibling module (``from .trained_setup import
T_EVAL``). :func:`static_claims` reads them with :mod:`ast` from the modules of
:data:`gpdtheory_checks.CLAIM_MODULES`, in table order; nothing is executed (constants go through
:func:`ast.literal_eval`). A test keeps the result equal to the loaded registry
(:data:`gpdtheory_checks.table.CLAIMS`); any other expression, or an installed claims plugin, makes
it return ``None`` and the caller loads the registry instead.
"""

from __future__ import annotations

import ast
import importlib.metadata
import importlib.util
from typing import NamedTuple

__all__ = ["StaticClaim", "static_claims"]


class StaticClaim(NamedTuple):
    """What ``--list`` prints of a claim."""

    id: str
    section: str
    statement: str


class _NotStatic(Exception):
    """An expression whose value only running the module gives."""


def _constants(tree: ast.Module, package: str = "") -> dict[str, object]:
    """Module-level ``NAME = <literal>`` and ``A, B = <literal tuple>`` assignments, and the
    constants a module takes from a sibling (``from .setup import T_EVAL``, read from the
    sibling's source the same way), so that claims split over modules share one definition."""
    env: dict[str, object] = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.ImportFrom) and stmt.level == 1 and stmt.module and package:
            sibling = _module_constants(f"{package}.{stmt.module}")
            env.update({a.asname or a.name: sibling[a.name] for a in stmt.names
                        if a.name in sibling})
            continue
        target, value = None, None
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target, value = stmt.targets[0], stmt.value
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            target, value = stmt.target, stmt.value
        if target is None:
            continue
        try:
            v = ast.literal_eval(value)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            continue
        if isinstance(target, ast.Name):
            env[target.id] = v
        elif isinstance(target, ast.Tuple) and isinstance(v, tuple) and len(v) == len(
                target.elts) and all(isinstance(e, ast.Name) for e in target.elts):
            env.update({e.id: x for e, x in zip(target.elts, v, strict=True)})
    return env


def _value(node: ast.AST, env: dict[str, object]) -> object:
    """A constant, a module constant, or an index into one (``RANGE[0]``)."""
    if isinstance(node, ast.Name) and node.id in env:
        return env[node.id]
    if isinstance(node, ast.Subscript):
        return _value(node.value, env)[_value(node.slice, env)]  # type: ignore[index]
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError):
        raise _NotStatic(ast.unparse(node)) from None


def _text(node: ast.AST, env: dict[str, object]) -> str:
    """A string literal or an f-string of module constants, as Python would build it."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        parts = []
        for part in node.values:
            if isinstance(part, ast.Constant):
                parts.append(str(part.value))
                continue
            assert isinstance(part, ast.FormattedValue)
            v = _value(part.value, env)
            v = {-1: v, 115: str(v), 114: repr(v), 97: ascii(v)}[part.conversion]
            spec = _text(part.format_spec, env) if part.format_spec is not None else ""
            parts.append(format(v, spec))
        return "".join(parts)
    raise _NotStatic(ast.unparse(node))


def _parse(module: str) -> ast.Module | None:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.origin:
        return None
    with open(spec.origin, encoding="utf-8") as fh:
        return ast.parse(fh.read(), filename=spec.origin)


def _module_constants(module: str) -> dict[str, object]:
    """The constants of another module of the package (none if it cannot be found)."""
    tree = _parse(module)
    return {} if tree is None else _constants(tree, module.rpartition(".")[0])


def _from_module(module: str) -> list[StaticClaim] | None:
    tree = _parse(module)
    if tree is None:
        return None
    env = _constants(tree, module.rpartition(".")[0])
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for deco in node.decorator_list:
            if (isinstance(deco, ast.Call) and isinstance(deco.func, ast.Name)
                    and deco.func.id == "claim"):
                if len(deco.args) < 3:
                    return None
                try:
                    args = [_text(a, env) for a in deco.args[:3]]
                except (_NotStatic, LookupError, TypeError, ValueError):
                    return None  # computed arguments: only importing the module tells
                found.append((node.lineno, StaticClaim(*args)))
    # ast.walk is breadth-first; decorators run in source order
    return [c for _, c in sorted(found, key=lambda lc: lc[0])]


def static_claims(modules: tuple[str, ...], package: str = "checks",
                  plugin_group: str = "gpdtheory.claims") -> list[StaticClaim] | None:
    """The claims of ``modules`` (names inside ``package``) in table order, read from source.

    Returns ``None`` when a claims plugin is installed (entry-point group
    ``plugin_group``) or a decorator's id, section or statement is not a literal.
    """
    if importlib.metadata.entry_points(group=plugin_group):
        return None
    out: list[StaticClaim] = []
    for name in modules:
        found = _from_module(f"{package}.{name}")
        if found is None:
            return None
        out += found
    return out
