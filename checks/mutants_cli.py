"""``gpdtheory check --mutants``: the kill matrix from the command line.

Exit status: 0 when every mutant of the selection that is not equivalent is caught by at
least one selected claim (and the unmutated run holds), 1 when one survives, 2 on bad usage
(an unknown mutant name, an option that does not apply, a ``--json`` path that exists or
cannot be written, refused before any cell runs; or a ``--json`` write that failed at the end).
"""

from __future__ import annotations

import argparse
import sys
import time

__all__ = ["run_mutants", "select_mutants"]

#: Options of ``gpdtheory check`` that have no meaning for a kill matrix, with the reason.
_REFUSED = {
    "resume": "a kill matrix is not journalled; rerun it (cells are independent)",
    "journal": "a kill matrix is not journalled; use --json PATH for its result",
    "out": "the report is for one table of rows; use --json PATH for the kill matrix",
    "scenario": "mutants are applied to the built-in grids, not to a user's scenario",
    "kernel": "mutants are applied to the built-in grids, not to a user's scenario",
    "rho": "mutants are applied to the built-in grids, not to a user's scenario",
}


def select_mutants(text: str):
    """The mutants named by ``--mutants``: ``all`` or a comma-separated list of names."""
    from gpdtheory.errors import InvalidArgumentError

    from .mutants import CATALOGUE, MUTANTS

    if text.strip() == "all":
        return list(MUTANTS)
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in CATALOGUE]
    if unknown or not names:
        raise InvalidArgumentError("--mutants", text, "names no mutant of the catalogue"
                                   if not names else f"has unknown names {unknown}",
                                   "pass all, or names from: " + ", ".join(CATALOGUE))
    return [CATALOGUE[n] for n in dict.fromkeys(names)]


def _refusal(args: argparse.Namespace) -> str | None:
    for key, why in _REFUSED.items():
        if getattr(args, key, None):
            return f"--mutants with --{key}: {why}"
    return None


def run_mutants(args: argparse.Namespace) -> int:
    """Run the kill matrix for ``gpdtheory check --mutants`` (see the module docstring)."""
    from gpdtheory.errors import GPDTheoryError
    from gpdtheory.fileio import atomic_write_text

    from . import runner
    from .mutation import format_kill_matrix, kill_matrix
    from .table import CheckConfig

    try:
        why = _refusal(args)
        if why:
            raise GPDTheoryError(why)
        mutants = select_mutants(args.mutants)
        if args.list:
            for m in mutants:
                tag = " (equivalent)" if m.equivalent else ""
                print(f"{m.name:30s} §{m.section:4s} {m.description}{tag}")
            return 0
        claims = runner.select(args.only)
        from .outputs import check_outputs

        # before any cell runs: a --json that cannot be written would lose the whole matrix
        check_outputs(args, (("--json", "json", "file", False),))
        from gpdtheory.sweeps import executor_for

        executor, close = executor_for(args.scheduler, args.workers)
    except GPDTheoryError as exc:
        print(f"gpdtheory check: {exc}", file=sys.stderr)
        return 2
    cfg = CheckConfig(full=args.full, seed=args.seed)
    start = time.perf_counter()

    def progress(cell) -> None:
        if cell.status == "caught" or args.no_progress:
            print(f"  {cell.mutant:30s} {cell.claim:26s} {cell.status:8s} "
                  f"{cell.seconds:6.1f} s  {cell.example}", flush=True)

    print(f"{len(mutants)} mutants x {len(claims)} claims: probing which claims reach which "
          "mutated code, then running the reached cells", flush=True)
    try:
        km = kill_matrix(mutants, claims, cfg, executor=executor, on_cell=progress)
    finally:
        close()
    print()
    print(format_kill_matrix(km))
    bad = km.baseline_failing
    print(f"\n{len(mutants)} mutants x {len(claims)} claims in {time.perf_counter() - start:.1f} s"
          f": {len(mutants) - len(km.survivors) - sum(bool(m.equivalent) for m in mutants)} "
          f"caught, {len(km.survivors)} survived"
          + (f" ({', '.join(km.survivors)})" if km.survivors else "")
          + f", {sum(bool(m.equivalent) for m in mutants)} equivalent")
    if bad:
        print(f"the unmutated run has {len(bad)} failing rows: the matrix cannot tell a caught "
              "mutant from a broken claim. Fix the claims first.", file=sys.stderr)
    from .outputs import write_outputs

    written = write_outputs(
        (("--json", args.json, lambda path: atomic_write_text(
            path, runner.dumps(km.to_json()), parents=bool(getattr(args, "parents", False)))),),
        "the kill matrix was computed (printed above)")
    return 2 if bad or not written else (1 if km.survivors else 0)
