"""Command line: ``gpdtheory check`` runs the claim table.

Exit status: 0 when every claim holds (informational rows carry no verdict), 1 when one
fails or errors, 2 on bad usage or a refused output path (with a one-line reason on stderr).
"""

from __future__ import annotations

import argparse
import sys
import time

__all__ = ["main"]

#: Largest accepted ``--seed`` (numpy and torch seed with 64-bit signed integers).
SEED_MAX = 2**63 - 1


def _seed(text: str) -> int:
    """``--seed``: an integer in ``[0, 2**63 - 1]``; argparse reports anything else (exit 2)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--seed {text!r} is not an integer. Fix: pass an integer from 0 to {SEED_MAX}, "
            "e.g. --seed 0") from None
    if not 0 <= value <= SEED_MAX:
        why = "is negative" if value < 0 else "is beyond 2**63-1"
        raise argparse.ArgumentTypeError(
            f"--seed {value} {why}. Fix: pass an integer from 0 to 2**63-1 ({SEED_MAX}), "
            "e.g. --seed 0")
    return value


def _workers(text: str) -> int:
    """``--workers``: a non-negative integer (0 runs every claim in this process)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--workers {text!r} is not an integer. Fix: pass 0 (this process) or a number "
            "of local processes, e.g. --workers 2") from None
    if value < 0:
        raise argparse.ArgumentTypeError(
            f"--workers {value} is negative. Fix: pass 0 (this process) or a number of local "
            "processes, e.g. --workers 2")
    return value


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="gpdtheory", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    c = sub.add_parser("check",
                       help="run the claim table (docs/theory.md bounds) and print the verdicts")
    c.add_argument("--only", action="append", metavar="CLAIM",
                   help="run only this claim id or prefix (repeatable), e.g. --only psd")
    c.add_argument("--full", action="store_true", help="larger grids and sizes")
    c.add_argument("--seed", type=_seed, default=0,
                   help="base seed, an integer from 0 to 2**63-1 (default 0)")
    c.add_argument("--json", metavar="PATH", help="write the rows as JSON (refuses to overwrite)")
    c.add_argument("--out", metavar="DIR",
                   help="write a Markdown report with plots (refuses to overwrite)")
    c.add_argument("--list", action="store_true", help="list the claims and exit")
    c.add_argument("--workers", type=_workers, default=0,
                   help="run claims in this many local processes (default: in this process)")
    c.add_argument("--scheduler", metavar="ADDRESS",
                   help="run claims on a Dask distributed cluster at ADDRESS")
    c.add_argument("--no-progress", action="store_true",
                   help="no progress bar: print one line per claim as soon as it finishes")
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
    timings: dict[str, float] = {}
    try:
        rows = checks.run(ids, cfg, progress=not args.no_progress, executor=executor,
                          timings=timings, on_claim=_claim_line if args.no_progress else None)
    finally:
        close()
    wall = time.perf_counter() - start
    if args.no_progress:
        print()
    config = {"only": args.only, "claims": ids, "workers": args.workers,
              "scheduler": args.scheduler}
    print(format_table(rows) if args.rows else format_summary(rows))
    c = count_rows(rows)
    n_fail = c["failing"]
    info = f", {c['info']} informational (no verdict)" if c["info"] else ""
    print(f"\n{len(rows)} rows from {len(ids)} claims in {wall:.1f} s: "
          f"{c['hold']} hold ({c['vacuous']} vacuous), {n_fail} fail or error{info}")
    try:
        if args.json:
            runner.write_json(rows, Path(args.json), cfg, wall, timings=timings, config=config)
        if args.out:
            from checks.report import write_report

            write_report(rows, Path(args.out), cfg=cfg, wall_s=wall, timings=timings,
                         config=config)
    except GPDTheoryError as exc:
        print(f"gpdtheory check: {exc}", file=sys.stderr)
        return 2
    return 0 if n_fail == 0 else 1


def _claim_line(claim_id: str, rows: list, seconds: float) -> None:
    """One line as soon as a claim finishes: id, cases, tightest ratio, verdict, seconds."""
    from checks.table import summarize

    if not rows:
        print(f"{claim_id:26s} no rows  {seconds:7.1f} s", flush=True)
        return
    (s,) = summarize(rows)
    ratio = f"{s.ratio:.3g}" if s.ratio == s.ratio else "-"
    print(f"{claim_id:26s} {s.case.get('cases', len(rows)):4d} cases  tightest ratio "
          f"{ratio:>9s}  {s.verdict:20s} {seconds:7.1f} s", flush=True)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``gpdtheory`` command."""
    args = _parser().parse_args(argv)
    if args.command == "check":
        return _check(args)
    return 2  # argparse already rejects unknown commands


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
