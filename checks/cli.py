"""Command line: ``gpdtheory check`` runs the claim table; ``gpdtheory report`` re-renders one.

Exit status: 0 when every claim holds (informational rows carry no verdict), 1 when one
fails or errors, 2 on bad usage or a refused output path (with a one-line reason on stderr),
130 on Ctrl-C (one line saying how many claims finished and where the journal is).
``gpdtheory report RESULTS --out DIR`` draws the Markdown/HTML report and its figures (PDF,
SVG, PNG) from a ``--json`` file or a report's ``results.json`` without running a claim:
exit 0, or 2 with one line on stderr (missing or invalid file, existing ``DIR``).
Output paths (``--out``, ``--json``, ``--journal``) are checked before any claim runs; an
output that still cannot be written at the end (a full disk) also exits 2, with one line per
output saying the rows were computed.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

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


def version() -> str:
    """The installed gpdtheory's version (package metadata), else ``gpdtheory.__version__``.

    One source, ``gpdtheory.__version__``: pyproject.toml declares the version dynamic and
    reads it from that attribute, so the metadata written at install time carries it (an
    editable install's, as of its last install); a checkout run without installing
    (``PYTHONPATH``) reads the attribute directly.
    """
    from importlib import metadata

    try:
        return metadata.version("gpdtheory")
    except metadata.PackageNotFoundError:
        import gpdtheory

        return gpdtheory.__version__


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="gpdtheory", description=__doc__.splitlines()[0])
    text = f"gpdtheory {version()}"
    p.add_argument("--version", action="version", version=text)
    sub = p.add_subparsers(dest="command", required=True)
    c = sub.add_parser("check",
                       help="run the claim table (docs/theory.md bounds) and print the verdicts")
    c.add_argument("--version", action="version", version=text)
    c.add_argument("--only", action="append", metavar="CLAIM",
                   help="run only this claim id or prefix (repeatable), e.g. --only psd")
    c.add_argument("--full", action="store_true", help="larger grids and sizes")
    c.add_argument("--seed", type=_seed, default=0,
                   help="base seed, an integer from 0 to 2**63-1 (default 0)")
    c.add_argument("--json", metavar="PATH", help="write the rows as JSON (refuses to overwrite)")
    c.add_argument("--out", metavar="DIR",
                   help="write a Markdown report with plots (refuses to overwrite)")
    c.add_argument("--parents", action="store_true",
                   help="create missing parent folders of --out, --json and --journal "
                        "(default: a missing parent is refused before any claim runs)")
    c.add_argument("--list", action="store_true", help="list the claims and exit")
    c.add_argument("--workers", type=_workers, default=0,
                   help="run claims in this many local processes (default: in this process)")
    c.add_argument("--scheduler", metavar="ADDRESS",
                   help="run claims on a Dask distributed cluster at ADDRESS")
    c.add_argument("--no-progress", action="store_true",
                   help="no progress bar: print one line per claim as soon as it finishes")
    c.add_argument("--rows", action="store_true",
                   help="print every row (default: the tightest case of each claim, and failures)")
    c.add_argument("--journal", metavar="PATH",
                   help="append each finished claim's rows to this JSON-lines journal")
    c.add_argument("--resume", metavar="JOURNAL",
                   help="resume the run of this journal: skip its claims, append the rest")
    c.add_argument("--device", metavar="DEVICE",
                   help="torch device the claims train on (paper.*, trained.*, "
                        "sample_complexity.slope, models.latte_attention, video.attention): "
                        "cpu (default), cuda, cuda:0 or mps; refused when torch reports it "
                        "unavailable")
    c.add_argument("--mutants", nargs="?", const="all", metavar="NAMES",
                   help="run the claims under each deliberate bug of the catalogue "
                        "(checks/mutants.py) and print the kill matrix; NAMES: all (default) or "
                        "a comma-separated list; with --list, list the catalogue")
    _scenario_arguments(c)
    r = sub.add_parser("report", help="re-render a report (Markdown, HTML, PDF/SVG/PNG figures) "
                                      "from a --json file or a report's results.json, "
                                      "running no claim")
    r.add_argument("results", metavar="RESULTS",
                   help="a file written by `gpdtheory check --json`, or a report's results.json")
    r.add_argument("--out", metavar="DIR", required=True,
                   help="the new report directory (refuses to overwrite)")
    r.add_argument("--parents", action="store_true",
                   help="create missing parent folders of --out")
    return p


def _report(args: argparse.Namespace) -> int:
    """``gpdtheory report``: the report of an earlier run, drawn again from its results."""
    from gpdtheory_checks.report import rerender

    from gpdtheory.errors import GPDTheoryError

    try:
        out = rerender(Path(args.results), Path(args.out), parents=args.parents)
    except GPDTheoryError as exc:
        print(f"gpdtheory report: {exc}", file=sys.stderr)
        return 2
    figures = sorted(p.name for p in (out / "figures").iterdir())
    print(f"report written to {out} (report.md, report.html, results.json, "
          f"{len(figures)} figure files in figures/: {', '.join(figures) or 'none'})")
    return 0


def _scenario_arguments(parser: argparse.ArgumentParser) -> None:
    """The scenario flags of ``gpdtheory check`` (each overrides the file's key)."""
    g = parser.add_argument_group("scenario (a user's case; see checks/scenario.py)")
    g.add_argument("--scenario", metavar="FILE", help="a TOML scenario file")
    g.add_argument("--kernel", metavar="EXPR",
                   help="kernel expression, e.g. 'Matern(length_scale=3, nu=1.5)' or "
                        "'PoweredExponential(ell=2, nu=1)'")
    g.add_argument("--rho", metavar="FILE", help="measured rho[0..M-1] (.npy or .csv)")
    g.add_argument("--beyond", choices=("refuse", "zero", "tail"),
                   help="lags beyond --rho's data: refuse (default), zero or tail")
    g.add_argument("--jitter", type=float, metavar="X", help="nugget added to the kernel")
    for key, help_ in (("N", "frames, comma separated"), ("t", "diffusion times"),
                       ("J", "truncation lags"), ("L", "GD steps / blocks")):
        g.add_argument(f"--{key}", dest=f"scn_{key}", metavar="LIST", help=help_)
    g.add_argument("--d", dest="scn_d", type=int, metavar="D", help="features")
    g.add_argument("--sigma", metavar="FILE", help="Sigma (.npy or .csv, SPD d x d)")
    g.add_argument("--mean", metavar="MEAN", help="zero, random or a .npy/.csv file")
    g.add_argument("--truncation", metavar="LIST", help="hard,taper,shift")
    g.add_argument("--eps", metavar="EPS",
                   help="target relative score accuracy in (0, 1), e.g. 1e-3: print per J the "
                        "PSD verdict, the N-free bounds and the J and L Theorem S needs "
                        "(docs/theory.md §3.3); also in --json under header.config.scenario.eps")


#: Environment variable through which ``--device`` reaches the claims (and worker processes).
DEVICE_ENV = "GPDTHEORY_DEVICE"


def _device(text: str) -> str:
    """``--device``: a torch device that torch reports available here, else a usage error."""
    from gpdtheory.errors import GPDTheoryError, InvalidArgumentError
    from gpdtheory.train import resolve_device

    if text.strip().lower() == "auto":
        raise GPDTheoryError("--device 'auto' is not accepted: a run names its device. Fix: "
                             "pass --device cpu, cuda, cuda:0 or mps")
    try:
        return str(resolve_device(text.strip()))
    except InvalidArgumentError as exc:
        why = str(exc).split(": ", 1)[-1].split(". Fix:")[0]
        raise GPDTheoryError(f"--device {text!r} {why}. Fix: pass --device cpu, or a device "
                             "torch reports available (torch.cuda.is_available(), "
                             "torch.backends.mps.is_available())") from None


def _list() -> int:
    """``--list``: every claim's id, section and statement, read from the source when it can
    be (no claim module imported: start-up stays under a second), else from the registry."""
    from gpdtheory_checks import CLAIM_MODULES
    from gpdtheory_checks.catalogue import static_claims

    claims = static_claims(CLAIM_MODULES)
    if claims is None:  # a plugin or a computed statement: only loading tells
        from gpdtheory_checks.table import CLAIMS

        claims = list(CLAIMS.values())
    for c in claims:
        print(f"{c.id:24s} §{c.section:4s} {c.statement}")
    return 0


def _eps(text: str, scenario) -> float:
    """``--eps``: a number in (0, 1), and only with a scenario (it answers for its kernel)."""
    from gpdtheory_checks.scenario_eps import check_eps

    from gpdtheory.errors import InvalidArgumentError

    if scenario is None:
        raise InvalidArgumentError("--eps", text, "needs a scenario (it answers for a kernel)",
                                   "add --scenario FILE, --kernel EXPR or --rho FILE")
    return check_eps(text)


def _check(args: argparse.Namespace) -> int:
    if args.mutants is not None:
        from gpdtheory_checks.mutants_cli import run_mutants

        return run_mutants(args)
    if args.list:
        return _list()
    import gpdtheory_checks
    from gpdtheory_checks import findings, runner
    from gpdtheory_checks.table import (
        CheckConfig,
        count_rows,
        format_counts,
        format_summary,
        format_table,
    )

    from gpdtheory.errors import GPDTheoryError

    try:
        from gpdtheory_checks.scenario import (
            advice_for,
            applicability,
            decay_text,
            scenario_from_args,
        )

        scenario = scenario_from_args(args)
        eps = _eps(args.eps, scenario) if args.eps is not None else None
        ids = runner.select(args.only, scenario=scenario is not None)
        # before any claim runs: an output that cannot be written would lose the whole run
        from gpdtheory_checks.outputs import check_outputs

        check_outputs(args)
        device = _device(args.device) if args.device is not None else None
        cfg = CheckConfig(full=args.full, seed=args.seed if scenario is None else scenario.seed,
                          scenario=scenario)
        done, journal = _journal(args, cfg)
        from gpdtheory.sweeps import executor_for

        # Dask at --scheduler, else --workers local processes, else this process
        executor, close = executor_for(args.scheduler, args.workers)
    except GPDTheoryError as exc:
        print(f"gpdtheory check: {exc}", file=sys.stderr)
        return 2
    start = time.perf_counter()
    on_claim = _claim_line if args.no_progress else None
    finished: list[str] = []
    on_claim = _both(lambda cid, rows, seconds: finished.append(cid), on_claim)
    if journal is not None:
        on_claim = _both(journal.record, on_claim)
    timings: dict[str, float] = {}
    # the claims (and local worker processes, which inherit it) read the device from here
    previous = os.environ.get(DEVICE_ENV)
    if device is not None:
        os.environ[DEVICE_ENV] = device
    interrupted = False
    try:
        rows = gpdtheory_checks.run(ids, cfg, progress=not args.no_progress, executor=executor,
                          timings=timings, on_claim=on_claim, done=done)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        if interrupted:
            _abandon(executor, close)
        else:
            close()
        if journal is not None:
            journal.close()
        if device is not None:
            if previous is None:
                os.environ.pop(DEVICE_ENV, None)
            else:
                os.environ[DEVICE_ENV] = previous
    if interrupted:
        _interrupted(args, len(finished), len(ids) - len(done or ()))
        return INTERRUPTED
    wall = time.perf_counter() - start
    if args.no_progress:
        print()
    config = {"only": args.only, "claims": ids, "workers": args.workers,
              "scheduler": args.scheduler, "device": device or previous or "cpu"}
    if scenario is not None:
        app = applicability(scenario)
        config["scenario"] = {**scenario.describe(), "applicability": app,
                              "advice": advice_for(scenario)}
        if eps is not None:
            from gpdtheory_checks.scenario_eps import eps_answer, format_eps

            answer = eps_answer(scenario, eps)
            config["scenario"]["eps"] = answer.to_json()
        print(f"scenario {scenario.name!r}: {scenario.kernel_text}")
        k = scenario.kernel
        print(f"  decay: {decay_text(k)}" + (
            f"; N-free: sum|rho| <= {k.abs_sum():.6g}, lmax(Gamma_N) <= {1 + 2 * k.abs_sum():.6g}"
            if k.summable else ""))
        with_rows = {r.claim for r in rows}
        for cid, what in app.items():
            if cid in ids and cid not in with_rows:
                what += "; no case of the grid applies (e.g. every truncation indefinite)"
            if not args.only or cid in ids or what.startswith("not applicable"):
                print(f"  {cid:24s} {what}")
        if eps is not None:
            print(format_eps(answer))
    if done:
        print(f"resumed {len(done)} finished claims from {args.resume}")
    print(format_table(rows) if args.rows else format_summary(rows))
    c = count_rows(rows)
    n_fail = c["failing"]
    print(f"\n{len(rows)} rows from {len(ids)} claims in {wall:.1f} s: {format_counts(c)}")
    if findings.applies(cfg, scenario is not None):
        changes = findings.format_changes(findings.changed_findings(rows))
        if changes:
            print(changes)
    if scenario is not None:
        for line in config["scenario"]["advice"]:
            print(f"advice: {line}")
    from gpdtheory_checks.report import write_report

    writers = (("--json", args.json, lambda path: runner.write_json(
                    rows, path, cfg, wall, timings=timings, config=config,
                    parents=args.parents)),
               ("--out", args.out, lambda path: write_report(
                    rows, path, cfg=cfg, wall_s=wall, timings=timings, config=config,
                    parents=args.parents)))
    from gpdtheory_checks.outputs import write_outputs

    if not write_outputs(writers, f"the {len(rows)} rows were computed (the table above)"):
        return 2
    return 0 if n_fail == 0 else 1


def _journal(args: argparse.Namespace, cfg):
    """``(done, journal)``: the claims a ``--resume`` journal holds and the journal to append."""
    from gpdtheory_checks.journal import Journal, read_journal

    if args.resume and args.journal and Path(args.resume) != Path(args.journal):
        from gpdtheory.errors import InvalidArgumentError

        raise InvalidArgumentError("--journal", args.journal, "differs from --resume",
                                   "pass only --resume JOURNAL (it keeps appending there)")
    path = args.resume or args.journal
    if not path:
        return None, None
    done = read_journal(path, cfg) if args.resume else None
    return done, Journal(path, cfg, parents=args.parents)


#: Exit status after Ctrl-C (128 + SIGINT, as shells report it).
INTERRUPTED = 130


def _abandon(executor, close) -> None:
    """After Ctrl-C: drop the claims not started and stop local workers at once."""
    import contextlib
    from concurrent.futures import ProcessPoolExecutor

    # best effort while exiting 130: a second Ctrl-C or an already broken pool leaves
    # nothing more to stop
    with contextlib.suppress(KeyboardInterrupt, Exception):
        if isinstance(executor, ProcessPoolExecutor):
            # shutdown(wait=True) would finish every queued claim first
            for proc in list((getattr(executor, "_processes", None) or {}).values()):
                proc.terminate()
            executor.shutdown(wait=False, cancel_futures=True)
        else:
            close()


def _interrupted(args: argparse.Namespace, finished: int, total: int) -> None:
    """The one line after Ctrl-C: how many claims finished and where their rows are."""
    path = args.resume or args.journal
    kept = (f"their rows are in the journal {path}: rerun with --resume {path} to run the rest"
            if path else "no journal was kept (pass --journal PATH to keep finished claims "
            "across an interruption, then --resume PATH)")
    print(f"\ngpdtheory check: interrupted (Ctrl-C) after {finished} of {total} claims "
          f"finished; {kept}.", file=sys.stderr, flush=True)


def _both(first, second):
    def call(cid, rows, seconds):
        first(cid, rows, seconds)
        if second is not None:
            second(cid, rows, seconds)

    return call


def _claim_line(claim_id: str, rows: list, seconds: float) -> None:
    """One line as soon as a claim finishes: id, cases, tightest ratio, verdict, seconds."""
    from gpdtheory_checks.table import ratio_text, summarize

    if not rows:
        print(f"{claim_id:26s} no rows  {seconds:7.1f} s", flush=True)
        return
    (s,) = summarize(rows)
    ratio = ratio_text(s) if not s.info else "-"
    print(f"{claim_id:26s} {s.case.get('cases', len(rows)):4d} cases  tightest ratio "
          f"{ratio:>9s}  {s.verdict:20s} {seconds:7.1f} s", flush=True)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``gpdtheory`` command."""
    args = _parser().parse_args(argv)
    if args.command == "check":
        try:
            return _check(args)
        except KeyboardInterrupt:  # outside the run (loading a scenario, writing outputs)
            print("\ngpdtheory check: interrupted (Ctrl-C) before the claims ran or after "
                  "they finished.", file=sys.stderr, flush=True)
            return INTERRUPTED
    if args.command == "report":
        return _report(args)
    return 2  # argparse already rejects unknown commands


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
