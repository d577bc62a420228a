"""Command line: ``gpdtheory check`` runs the claim table.

Exit status: 0 when every claim holds (informational rows carry no verdict), 1 when one
fails or errors, 2 on bad usage or a refused output path (with a one-line reason on stderr).
"""

from __future__ import annotations

import argparse
import sys
import time

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="gpdtheory", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    c = sub.add_parser("check",
                       help="run the claim table (THEORY.md bounds) and print the verdicts")
    c.add_argument("--only", action="append", metavar="CLAIM",
                   help="run only this claim id or prefix (repeatable), e.g. --only psd")
    c.add_argument("--full", action="store_true", help="larger grids and sizes")
    c.add_argument("--seed", type=int, default=0, help="base seed (default 0)")
    c.add_argument("--json", metavar="PATH", help="write the rows as JSON (refuses to overwrite)")
    c.add_argument("--out", metavar="DIR",
                   help="write a Markdown report with plots (refuses to overwrite)")
    c.add_argument("--list", action="store_true", help="list the claims and exit")
    c.add_argument("--workers", type=int, default=0,
                   help="run claims in this many local processes (default: in this process)")
    c.add_argument("--scheduler", metavar="ADDRESS",
                   help="run claims on a Dask distributed cluster at ADDRESS")
    c.add_argument("--no-progress", action="store_true", help="no progress bar")
    c.add_argument("--rows", action="store_true",
                   help="print every row (default: the tightest case of each claim, and failures)")
    return p


def _check(args: argparse.Namespace) -> int:
    from pathlib import Path

    import checks
    from checks import runner
    from checks.table import CLAIMS, CheckConfig, count_rows, format_summary, format_table
    from gpdtheory.errors import GPDTheoryError

    if args.list:
        for c in CLAIMS.values():
            print(f"{c.id:24s} §{c.section:4s} {c.statement}")
        return 0
    try:
        ids = runner.select(args.only)
        for target in (args.json, args.out):
            if target and Path(target).exists():
                raise GPDTheoryError(f"{target} exists; results are never overwritten. "
                                     "Fix: choose a new path or remove the old one.")
    except GPDTheoryError as exc:
        print(f"gpdtheory check: {exc}", file=sys.stderr)
        return 2
    cfg = CheckConfig(full=args.full, seed=args.seed)
    start = time.perf_counter()
    from gpdtheory.sweeps import executor_for

    # Dask at --scheduler, else --workers local processes, else this process
    executor, close = executor_for(args.scheduler, args.workers)
    try:
        rows = checks.run(ids, cfg, progress=not args.no_progress, executor=executor)
    finally:
        close()
    wall = time.perf_counter() - start
    print(format_table(rows) if args.rows else format_summary(rows))
    c = count_rows(rows)
    n_fail = c["failing"]
    info = f", {c['info']} informational (no verdict)" if c["info"] else ""
    print(f"\n{len(rows)} rows from {len(ids)} claims in {wall:.1f} s: "
          f"{c['hold']} hold ({c['vacuous']} vacuous), {n_fail} fail or error{info}")
    try:
        if args.json:
            runner.write_json(rows, Path(args.json))
        if args.out:
            from checks.report import write_report

            write_report(rows, Path(args.out), cfg=cfg, wall_s=wall)
    except GPDTheoryError as exc:
        print(f"gpdtheory check: {exc}", file=sys.stderr)
        return 2
    return 0 if n_fail == 0 else 1


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``gpdtheory`` command."""
    args = _parser().parse_args(argv)
    if args.command == "check":
        return _check(args)
    return 2  # argparse already rejects unknown commands


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
