"""The output paths of ``gpdtheory check`` (``--json``, ``--out``, ``--journal``): checked
before any work, written after it with a one-line report of each failure.

Used by :mod:`gpdtheory_checks.cli` and :mod:`gpdtheory_checks.mutants_cli` (a module below both,
so neither
command line imports the other).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

__all__ = ["OUTPUTS", "check_outputs", "write_outputs"]


#: The outputs of ``gpdtheory check``: option, attribute, what it names, appended to.
OUTPUTS = (("--json", "json", "file", False), ("--out", "out", "folder", False),
           ("--journal", "journal", "file", True))


def check_outputs(args: argparse.Namespace,
                  outputs: tuple[tuple[str, str, str, bool], ...] = OUTPUTS) -> None:
    """Refuse, before any work, an output of ``args`` that could not be written at the end.

    Each given output goes through :func:`gpdtheory.fileio.check_writable_target` (with
    ``--parents``, missing parent folders are allowed: the writer creates them); two
    outputs naming one path are refused too, since the second write would fail.

    Raises
    ------
    InvalidArgumentError
        Naming the option, its value, what is wrong and the fix.
    """
    from gpdtheory.errors import InvalidArgumentError
    from gpdtheory.fileio import check_writable_target

    parents = bool(getattr(args, "parents", False))
    seen: dict[str, str] = {}
    for option, attr, kind, append in outputs:
        value = getattr(args, attr, None)
        if value is None:  # not given; '' is given and refused as empty
            continue
        check_writable_target(value, option, parents=parents, exists_ok=append, kind=kind)
        key = os.path.normcase(os.path.abspath(value))
        if key in seen:
            raise InvalidArgumentError(option, value, f"is also the path of {seen[key]}",
                                       f"give {option} and {seen[key]} different paths")
        seen[key] = option
    if getattr(args, "resume", None) and os.path.isfile(args.resume):
        # a resumed journal is appended to; a missing one, or a folder, is refused by
        # read_journal with the journal's own words
        check_writable_target(args.resume, "--resume", exists_ok=True)


def write_outputs(writers, computed: str) -> bool:
    """Write each ``(option, path, write)`` output; report a failure in one line each.

    A failure here comes after the work (a folder removed or filled meanwhile, a full
    disk): every output is still tried, so one bad path does not lose the others, and
    the message says what was computed and how to keep it next time.

    Returns
    -------
    bool
        True when every given output was written.
    """
    from gpdtheory.errors import GPDTheoryError

    ok, written = True, []
    for option, value, write in writers:
        if value is None:
            continue
        try:
            write(Path(value))
            written.append(f"{option} {value}")
        except (GPDTheoryError, OSError) as exc:
            ok = False
            # the error's own "Fix:" is about the path; the one below also keeps the rows
            why = (str(exc).split(" Fix:")[0].rstrip(". ") if isinstance(exc, GPDTheoryError)
                   else f"{exc.strerror or exc}" + (f" ({exc.filename})" if exc.filename else ""))
            kept = f"; {', '.join(written)} was written" if written else ""
            print(f"gpdtheory check: {option} {value!r} could not be written: {why}. "
                  f"{computed[0].upper()}{computed[1:]} but this output is lost{kept}. Fix: "
                  f"rerun with {option} to another path in a folder you can write to "
                  "(or with --json PATH to keep the rows).", file=sys.stderr)
    return ok
