"""Deliberate bugs applied to the library while the claims run: the machinery.

A claim earns its place by failing on broken code. A :class:`Mutant` is a small source edit
of one or more library functions (``old`` text replaced by ``new``, exactly once each), the
kind of slip a contributor could make. :func:`applied` compiles the edited source in the
function's own module and rebinds every reference to the original (module attributes,
class attributes and entries of module-level dicts, in every loaded ``gpdtheory`` and
``checks`` module), then restores them. The catalogue itself is :mod:`gpdtheory_checks.mutants`.

:func:`kill_matrix` first runs each selected claim once with every mutated function wrapped
by a pass-through recorder (the *probe*): a claim that never calls a mutant's functions
computes exactly what it computes without the mutant, so that cell is ``not reached``
without running it. Every other cell runs the claim under the mutant; the mutant is
*caught* by the claim when one of its rows FAILS or raises, or when fewer of its paper
findings are ``reproduced`` than in the unmutated run (a finding is never ``FAILS``).
Caches of the library and of the claims are cleared before every cell, and trainings run
in the cell's own process so that the edit reaches them.
"""

from __future__ import annotations
import __future__

import contextlib
import importlib
import inspect
import sys
import textwrap
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .table import CLAIMS, REPRODUCED, CheckConfig, Row

__all__ = ["Edit", "Mutant", "applied", "probe", "reset_caches", "Cell", "KillMatrix",
           "kill_matrix", "format_kill_matrix", "run_cell"]

#: Packages whose loaded modules are searched for references to a mutated function.
PACKAGES = ("gpdtheory", "checks")


@dataclass(frozen=True)
class Edit:
    """Replace ``old`` by ``new`` (exactly one occurrence) in the source of ``target``.

    ``target`` is ``"module:qualname"``, e.g. ``"gpdtheory.truncation:truncated_autocovariance"``
    or ``"gpdtheory.construct.block:ReLUAttentionBlock._weights"``.
    """

    target: str
    old: str
    new: str


@dataclass(frozen=True)
class Mutant:
    """A named deliberate bug.

    Attributes
    ----------
    name : str
        ``area.what``, e.g. ``truncation.off_by_one``.
    section : str
        The docs/theory.md section whose statement the bug breaks.
    description : str
    edits : tuple of Edit
    equivalent : str
        Non-empty when the edit provably cannot change any result (an *equivalent mutant*):
        the reason. Such a mutant is reported apart and never counted as surviving.
    """

    name: str
    section: str
    description: str
    edits: tuple[Edit, ...]
    equivalent: str = ""


def _resolve(target: str) -> tuple[Any, str, Any]:
    """``(owner, attribute, raw)``: the module or class holding ``target`` and its raw value."""
    module_name, _, qualname = target.partition(":")
    owner: Any = importlib.import_module(module_name)
    *path, attr = qualname.split(".")
    for part in path:
        owner = getattr(owner, part)
    raw = owner.__dict__[attr] if isinstance(owner, type) else getattr(owner, attr)
    return owner, attr, raw


def _function_of(raw: Any) -> Callable:
    """The plain Python function behind a (class/static) method, cache or jit wrapper."""
    if isinstance(raw, (classmethod, staticmethod)):
        raw = raw.__func__
    return getattr(raw, "py_func", None) or inspect.unwrap(raw)


def _mutated(raw: Any, edits: list[Edit], label: str) -> Any:
    """Compile the edited source of ``raw`` (decorators included) in its module."""
    func = _function_of(raw)
    source = textwrap.dedent(inspect.getsource(func))
    for edit in edits:
        found = source.count(edit.old)
        if found != 1:
            raise ValueError(f"mutant {label}: {edit.old!r} occurs {found} times in "
                             f"{edit.target}, expected once")
        source = source.replace(edit.old, edit.new)
    code = compile(source, f"<mutant {label}>", "exec",
                   flags=__future__.annotations.compiler_flag, dont_inherit=True)
    namespace: dict[str, Any] = {}
    exec(code, func.__globals__, namespace)  # noqa: S102  (the catalogue's own source edits)
    return namespace[func.__name__]


def _by_target(edits: Iterable[Edit]) -> dict[str, list[Edit]]:
    """The edits grouped by the function they change, in order."""
    out: dict[str, list[Edit]] = {}
    for edit in edits:
        out.setdefault(edit.target, []).append(edit)
    return out


def _rebind(original: Any, replacement: Any, owner: Any, attr: str) -> list[tuple]:
    """Point every reference to ``original`` at ``replacement``; the undo list."""
    undo: list[tuple] = []
    if isinstance(owner, type):
        undo.append((owner, attr, owner.__dict__[attr]))
        setattr(owner, attr, replacement)
    targets = {id(original), id(_function_of(original))}
    for name, module in list(sys.modules.items()):
        if module is None or not name.startswith(PACKAGES):
            continue
        for key, value in list(vars(module).items()):
            if id(value) in targets:
                undo.append((module, key, value))
                setattr(module, key, replacement)
            elif isinstance(value, dict):
                for k, v in list(value.items()):
                    if id(v) in targets:
                        undo.append((value, k, v))
                        value[k] = replacement
    return undo


def _restore(undo: list[tuple]) -> None:
    for holder, key, value in reversed(undo):
        if isinstance(holder, dict):
            holder[key] = value
        else:
            setattr(holder, key, value)


@contextlib.contextmanager
def applied(mutant: Mutant) -> Iterator[None]:
    """Run the body with ``mutant``'s edits in place (every reference rebound), then undo."""
    from . import load_claims

    load_claims()  # every claim module loaded, so every reference is found

    undo: list[tuple] = []
    try:
        for target, edits in _by_target(mutant.edits).items():
            owner, attr, raw = _resolve(target)
            undo += _rebind(raw, _mutated(raw, edits, mutant.name), owner, attr)
        reset_caches()
        yield
    finally:
        _restore(undo)
        reset_caches()


def _recorder(raw: Any, hits: set[str], name: str) -> Any:
    """A pass-through stand-in for ``raw`` (decorators and all) that notes ``name``."""
    call = raw.__func__ if isinstance(raw, (classmethod, staticmethod)) else raw

    def record(*args, **kwargs):
        hits.add(name)
        return call(*args, **kwargs)

    if isinstance(raw, classmethod):
        return classmethod(record)
    if isinstance(raw, staticmethod):
        return staticmethod(record)
    return record


@contextlib.contextmanager
def probe(mutants: Iterable[Mutant]) -> Iterator[set[str]]:
    """Wrap every mutated function in a pass-through recorder; yields the names reached."""
    from . import load_claims

    load_claims()  # every claim module loaded, so every reference is found

    hits: set[str] = set()
    undo: list[tuple] = []
    try:
        for mutant in mutants:
            for target in _by_target(mutant.edits):
                owner, attr, raw = _resolve(target)
                undo += _rebind(raw, _recorder(raw, hits, mutant.name), owner, attr)
        reset_caches()
        yield hits
    finally:
        _restore(undo)
        reset_caches()


def reset_caches() -> None:
    """Clear every ``functools`` cache and module-level ``_CACHE`` dict of the library and the
    claims, so that no result computed before a mutation is reused under it (or after)."""
    for name, module in list(sys.modules.items()):
        if module is None or not name.startswith(PACKAGES):
            continue
        for key, value in list(vars(module).items()):
            if callable(getattr(value, "cache_clear", None)):
                value.cache_clear()
            elif key.endswith("_CACHE") and isinstance(value, dict):
                value.clear()


@contextlib.contextmanager
def _trainings_in_process() -> Iterator[None]:
    """Trainings run in this process (not in fresh ones the edit would not reach)."""
    runs = sys.modules.get("gpdtheory_checks.paper_runs")  # every paper.* claim asks it
    engine = getattr(runs, "training_engine", None)
    if engine is None:
        yield
        return
    runs.training_engine = lambda n: "serial"
    try:
        yield
    finally:
        runs.training_engine = engine


@dataclass(frozen=True)
class Cell:
    """One claim under one mutant: ``caught`` (a row FAILS or errors), ``survived`` or
    ``not reached`` (the claim never calls the mutated code)."""

    mutant: str
    claim: str
    status: str
    rows: int = 0
    failing: int = 0
    errors: int = 0
    example: str = ""
    seconds: float = 0.0


def _reproduced(rows: list[Row]) -> int:
    return sum(r.verdict == REPRODUCED for r in rows)


def _status(mutant: str, claim_id: str, rows: list[Row], seconds: float,
            reproduced_before: int = 0) -> Cell:
    """``caught`` when a row FAILS or errors, or when fewer of the claim's paper findings are
    reproduced than without the mutant (a finding never FAILS: it is ``not reproduced``)."""
    bad = [r for r in rows if not r.ok]
    errors = sum(r.verdict == "ERROR" for r in bad)
    lost = max(0, reproduced_before - _reproduced(rows))
    example = ""
    shown = bad[0] if bad else next((r for r in rows if r.not_reproduced), None) if lost else None
    if shown is not None:
        example = (shown.note if shown.verdict == "ERROR" else
                   f"{' '.join(f'{k}={v}' for k, v in list(shown.case.items())[:6])}: "
                   f"{shown.measured:.4g} {shown.sense} {shown.bound:.4g}"
                   + (f" ({lost} finding(s) no longer reproduced)" if not bad else ""))
    return Cell(mutant, claim_id, "caught" if bad or lost else "survived", len(rows),
                len(bad) - errors, errors, example[:160], seconds)


def run_cell(mutant: Mutant, claim_ids: list[str], cfg: CheckConfig,
             reproduced: dict[str, int] | None = None) -> list[Cell]:
    """Run ``claim_ids`` under one mutant (a picklable task for workers: a mutant is plain
    data, any catalogue's); ``reproduced``: each claim's reproduced findings without it."""
    from . import load_claims

    load_claims()  # every claim module loaded, so every reference is found

    reproduced = reproduced or {}
    cells = []
    with _trainings_in_process(), applied(mutant):
        for cid in claim_ids:
            start = time.perf_counter()
            rows = CLAIMS[cid].run(cfg)
            cells.append(_status(mutant.name, cid, rows, time.perf_counter() - start,
                                 reproduced.get(cid, 0)))
    return cells


def _probe_claims(mutants: list[Mutant], claim_ids: list[str], cfg: CheckConfig
                  ) -> tuple[dict[str, set[str]], list[Row]]:
    """``({claim: mutants reached}, baseline rows)`` from one unmutated pass with recorders."""
    reached: dict[str, set[str]] = {}
    rows: list[Row] = []
    with _trainings_in_process():
        for cid in claim_ids:
            with probe(mutants) as hits:
                rows += CLAIMS[cid].run(cfg)
            reached[cid] = set(hits)
    return reached, rows


def _probe_task(mutants: list[Mutant], claim_ids: list[str], cfg: CheckConfig):
    from . import load_claims

    load_claims()  # every claim module loaded, so every reference is found

    return _probe_claims(mutants, claim_ids, cfg)


@dataclass
class KillMatrix:
    """The result of :func:`kill_matrix`: every cell, the baseline rows and the timings."""

    mutants: list[Mutant]
    claims: list[str]
    cells: dict[tuple[str, str], Cell] = field(default_factory=dict)
    baseline: list[Row] = field(default_factory=list)
    wall_s: float = 0.0

    def caught_by(self, mutant: str) -> list[str]:
        return [c for c in self.claims if self.cells[(mutant, c)].status == "caught"]

    def catches(self, claim_id: str) -> list[str]:
        return [m.name for m in self.mutants if self.cells[(m.name, claim_id)].status == "caught"]

    @property
    def survivors(self) -> list[str]:
        """Mutants (not equivalent) that no selected claim catches."""
        return [m.name for m in self.mutants if not m.equivalent and not self.caught_by(m.name)]

    @property
    def baseline_failing(self) -> list[Row]:
        return [r for r in self.baseline if not r.ok]

    def to_json(self) -> dict[str, Any]:
        return {"schema": "gpdtheory.mutants/1", "wall_s": round(self.wall_s, 3),
                "claims": self.claims,
                "mutants": [{"name": m.name, "section": m.section,
                             "description": m.description, "equivalent": m.equivalent,
                             "caught_by": self.caught_by(m.name)} for m in self.mutants],
                "cells": [vars(c) for c in self.cells.values()],
                "survivors": self.survivors}


def kill_matrix(mutants: list[Mutant], claim_ids: list[str], cfg: CheckConfig | None = None, *,
                executor: Any = None,
                on_cell: Callable[[Cell], None] | None = None) -> KillMatrix:
    """Run every claim in ``claim_ids`` under every mutant it reaches; see the module notes.

    Parameters
    ----------
    mutants : list of Mutant
        Any catalogue's (:data:`gpdtheory_checks.mutants.MUTANTS` for the command line); mutants are
        plain data, sent to workers as they are.
    claim_ids : list of str
    cfg : CheckConfig, optional
    executor : concurrent.futures.Executor, optional
        Runs the probe per claim and the cells per mutant in other processes (local or Dask).
    on_cell : callable, optional
        Called with each finished cell (progress).
    """
    cfg = cfg or CheckConfig()
    start = time.perf_counter()
    out = KillMatrix(mutants, list(claim_ids))
    reached: dict[str, set[str]] = {}
    if executor is None:
        reached, out.baseline = _probe_claims(mutants, claim_ids, cfg)
    else:
        futures = [executor.submit(_probe_task, mutants, [cid], cfg) for cid in claim_ids]
        for fut in futures:
            part, rows = fut.result()
            reached.update(part)
            out.baseline += rows
    todo = {m.name: [c for c in claim_ids if m.name in reached[c]] for m in mutants}
    before = {c: _reproduced([r for r in out.baseline if r.claim == c]) for c in claim_ids}
    for m in mutants:
        for c in claim_ids:
            if c not in todo[m.name]:
                out.cells[(m.name, c)] = Cell(m.name, c, "not reached")
    if executor is None:
        results = (run_cell(m, todo[m.name], cfg, before) for m in mutants if todo[m.name])
    else:
        futures = [executor.submit(run_cell, m, todo[m.name], cfg, before) for m in mutants
                   if todo[m.name]]
        results = (f.result() for f in futures)
    for cells in results:
        for cell in cells:
            out.cells[(cell.mutant, cell.claim)] = cell
            if on_cell is not None:
                on_cell(cell)
    out.wall_s = time.perf_counter() - start
    return out


_MARK = {"caught": "X", "survived": ".", "not reached": " "}


def format_kill_matrix(km: KillMatrix) -> str:
    """The matrix (rows: mutants; columns: claims, numbered), then each mutant's catches."""
    cols = km.claims
    width = max(len(m.name) for m in km.mutants)
    lines = ["columns: " + "  ".join(f"{i + 1}={c}" for i, c in enumerate(cols)), "",
             " " * (width + 2) + "".join(f"{i + 1:>3d}" for i in range(len(cols)))]
    for m in km.mutants:
        marks = "".join(f"{_MARK[km.cells[(m.name, c)].status]:>3s}" for c in cols)
        caught = km.caught_by(m.name)
        verdict = ("equivalent" if m.equivalent else
                   f"caught by {len(caught)}" if caught else "SURVIVED")
        lines.append(f"{m.name:<{width}s}  {marks}   {verdict}")
    lines += ["", "X caught (a row FAILS or errors, or a finding reproduced without the mutant "
              "is not), . survived (ran, every row ok), blank: the claim never calls the mutated "
              "code", ""]
    for c in cols:
        got = km.catches(c)
        lines.append(f"{c:26s} catches {len(got):2d}: {', '.join(got) if got else '-'}")
    for m in km.mutants:
        if m.equivalent:
            lines.append(f"equivalent {m.name}: {m.equivalent}")
    return "\n".join(lines)
