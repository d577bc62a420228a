"""The ``gpdtheory check --out DIR`` report: Markdown table, results.json, header.

The directory is built under a temporary name beside ``DIR`` and renamed into
place in one step, so a report is either complete or absent; an existing ``DIR``
is never overwritten.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path

from gpdtheory.errors import ReportExistsError

from .table import CheckConfig, Row, format_table

__all__ = ["write_report", "versions"]


def versions() -> dict[str, str]:
    """Versions of Python and the numerical stack, for the report header."""
    import numba
    import numpy
    import scipy
    import sympy

    import gpdtheory

    out = {"python": platform.python_version(), "gpdtheory": gpdtheory.__version__,
           "numpy": numpy.__version__, "scipy": scipy.__version__, "numba": numba.__version__,
           "sympy": sympy.__version__}
    try:
        import torch

        out["torch"] = torch.__version__
    except ImportError:  # pragma: no cover - torch is a dependency
        pass
    return out


def write_report(rows: list[Row], out: Path, cfg: CheckConfig, wall_s: float) -> Path:
    """Write ``report.md`` and ``results.json`` into the new directory ``out``.

    Raises
    ------
    ReportExistsError
        If ``out`` exists (checked before and, atomically, at the rename).
    """
    out = Path(out)
    if out.exists():
        raise ReportExistsError(f"{out} exists; results are never overwritten. "
                                "Fix: choose a new directory or remove the old one.")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp"))
    try:
        header = {"seed": cfg.seed, "full": cfg.full, "wall_s": round(wall_s, 3),
                  "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "versions": versions()}
        n_fail = sum(not r.ok for r in rows)
        lines = ["# gpdtheory check report", "",
                 ", ".join(f"{k} {v}" for k, v in header["versions"].items()),
                 f"seed {cfg.seed}, full {cfg.full}, wall time {wall_s:.1f} s, {header['date']}", "",
                 f"**{len(rows) - n_fail} of {len(rows)} rows hold; {n_fail} fail or error.**", "",
                 format_table(rows, markdown=True), ""]
        (tmp / "report.md").write_text("\n".join(lines), encoding="utf-8")
        payload = {"header": header, "rows": [r.to_dict() for r in rows]}
        (tmp / "results.json").write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
        try:
            # rename onto a missing name is atomic; an existing non-empty dir makes it fail
            os.rename(tmp, out)
        except OSError as exc:
            raise ReportExistsError(f"{out} appeared while the report was written; "
                                    "refusing to overwrite it.") from exc
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out
