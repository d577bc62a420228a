"""The results document shared by ``--json``, ``results.json``, the journal and the report.

One schema (:data:`SCHEMA`)::

    {"schema": "gpdtheory.check/1", "header": {...}, "claims": [...],
     "summary": [row, ...], "rows": [row, ...]}

Strict JSON (``allow_nan=False``): a non-finite float is written as ``null`` with a sibling
``<field>_text`` string (``"inf"``, ``"-inf"``, ``"nan"``), for ``measured``, ``bound``,
``ratio``, ``allowance`` and every float in ``case``; :func:`row_from_json` reads it back.

This module sits below :mod:`gpdtheory_checks.runner`, :mod:`gpdtheory_checks.report` and
:mod:`gpdtheory_checks.plots`
(it imports only :mod:`gpdtheory_checks.table`), so each of them reads and writes rows without
importing another.
"""

from __future__ import annotations

import json
import math
import os
import platform
import time
from typing import Any

from .table import CLAIMS, CheckConfig, Row, count_rows, summarize

__all__ = ["SCHEMA", "dumps", "row_to_json", "row_from_json", "results_document", "make_header",
           "claims_of", "versions", "machine", "THREAD_VARIABLES"]

#: The ``schema`` field of ``--json`` files and of ``results.json``.
SCHEMA = "gpdtheory.check/1"

_ROW_FLOATS = ("measured", "bound", "ratio", "allowance")


def _nonfinite_text(x: float) -> str:
    return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")


def _plain(value: Any) -> Any:
    """numpy scalars and arrays, tuples and sets as plain Python values."""
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        return value.tolist()  # numpy scalar or array
    if isinstance(value, (tuple, set, frozenset)):
        return list(value)
    return value


def _encode_dict(d: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``d`` with non-finite floats as ``None`` plus ``<key>_text``, recursively."""
    out: dict[str, Any] = {}
    for key, value in d.items():
        value = _plain(value)
        if isinstance(value, float) and not math.isfinite(value):
            out[key] = None
            out[f"{key}_text"] = _nonfinite_text(value)
        elif isinstance(value, dict):
            out[key] = _encode_dict(value)
        elif isinstance(value, list):
            items = [_plain(v) for v in value]
            bad = [isinstance(v, float) and not math.isfinite(v) for v in items]
            out[key] = [None if b else v for v, b in zip(items, bad, strict=True)]
            if any(bad):
                out[f"{key}_text"] = [_nonfinite_text(v) if b else None
                                      for v, b in zip(items, bad, strict=True)]
        else:
            out[key] = value
    return out


def _decode_dict(d: dict[str, Any]) -> dict[str, Any]:
    """Inverse of :func:`_encode_dict`: ``None`` + ``<key>_text`` -> the non-finite float."""
    out: dict[str, Any] = {}
    for key, value in d.items():
        text = d.get(f"{key}_text")
        base = key[:-5] if key.endswith("_text") else None
        if base in d and (d[base] is None or isinstance(d[base], list)):
            continue  # the text of an encoded non-finite value, read with its field
        if value is None and isinstance(text, str):
            out[key] = float(text)
        elif isinstance(value, list) and isinstance(text, list):
            out[key] = [float(t) if v is None and isinstance(t, str) else v
                        for v, t in zip(value, text, strict=True)]
        elif isinstance(value, dict):
            out[key] = _decode_dict(value)
        else:
            out[key] = value
    return out


def row_to_json(row: Row) -> dict[str, Any]:
    """A row as a strict-JSON dict (non-finite floats as ``null`` + ``<field>_text``)."""
    return _encode_dict(row.to_dict())


def row_from_json(d: dict[str, Any]) -> Row:
    """A :class:`Row` from :func:`row_to_json`'s dict (or an old dict with bare floats)."""
    data = _decode_dict(d)
    for key in _ROW_FLOATS:
        if data.get(key) is None and key in data:
            data[key] = math.nan  # null without a text: unknown, read as NaN
    return Row(**data)


def dumps(document: Any) -> str:
    """Strict JSON text (``allow_nan=False``): a NaN or inf left unencoded raises ValueError."""
    return json.dumps(document, indent=1, allow_nan=False, default=_plain) + "\n"



# -- the header ------------------------------------------------------------------------

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
        out["torch"] = "not installed"
    return out


#: Environment variables that set thread counts of BLAS, OpenMP, Numba and torch.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "NUMBA_NUM_THREADS", "MKL_NUM_THREADS",
                    "OPENBLAS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")


def _processor() -> str:
    """The CPU model (``platform.processor()`` is empty on most Linux systems)."""
    name = platform.processor()
    if name and name != platform.machine():
        return name
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:  # no /proc (not Linux): keep what platform reported
        return name
    return name


def machine() -> dict[str, Any]:
    """The machine a run ran on: platform, CPUs, versions, thread settings, BLAS pools."""
    info: dict[str, Any] = {"platform": platform.platform(), "processor": _processor(),
                            "machine": platform.machine(), "cpu_count": os.cpu_count(),
                            "python": platform.python_version(), "versions": versions(),
                            "env": {k: os.environ.get(k) for k in THREAD_VARIABLES}}
    threads: dict[str, Any] = {}
    try:
        import numba

        threads["numba"] = numba.get_num_threads()
    except Exception:  # pragma: no cover - reported, not fatal: the header is descriptive
        threads["numba"] = None
    try:
        import torch

        threads["torch"] = torch.get_num_threads()
    except Exception:  # pragma: no cover
        threads["torch"] = None
    info["threads"] = threads
    try:
        from threadpoolctl import threadpool_info

        info["threadpoolctl"] = [{k: v for k, v in pool.items()
                                  if k in ("user_api", "internal_api", "prefix", "version",
                                           "num_threads", "threading_layer", "architecture")}
                                 for pool in threadpool_info()]
    except ImportError:  # pragma: no cover - threadpoolctl comes with scipy's stack
        info["threadpoolctl"] = "threadpoolctl not installed"
    return info


def make_header(cfg: CheckConfig, wall_s: float, rows: list[Row],
            timings: dict[str, float] | None = None,
            config: dict[str, Any] | None = None) -> dict[str, Any]:
    """The header of ``results.json``, ``--json`` and the report (one implementation)."""
    import gpdtheory

    c = count_rows(rows)
    return {"version": gpdtheory.__version__, "seed": cfg.seed, "full": cfg.full,
            "config": {"full": cfg.full, "seed": cfg.seed, **(config or {})},
            "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "machine": machine(),
            "timings": {"wall_s": round(wall_s, 3),
                        "claims": {k: round(v, 3) for k, v in (timings or {}).items()}},
            "counts": {**c, "claims": len({r.claim for r in rows})}}


def claims_of(rows: list[Row]) -> list[dict[str, str]]:
    """``[{"id", "section", "statement"}]`` of the claims the rows come from, in order."""
    ids = list(dict.fromkeys(r.claim for r in rows))
    return [{"id": c, "section": CLAIMS[c].section if c in CLAIMS else "",
             "statement": CLAIMS[c].statement if c in CLAIMS else ""} for c in ids]


def results_document(rows: list[Row], cfg: CheckConfig, wall_s: float, *,
                     timings: dict[str, float] | None = None,
                     config: dict[str, Any] | None = None,
                     header: dict[str, Any] | None = None) -> dict[str, Any]:
    """The ``gpdtheory.check/1`` document of ``--json`` and ``results.json``.

    ``{"schema", "header", "claims", "summary", "rows"}``; rows and summary rows through
    :func:`row_to_json` (strict JSON: ``null`` + ``<field>_text`` for a
    non-finite float). The report adds ``"figures"``.
    """
    header = header or make_header(cfg, wall_s, rows, timings, config)
    return {"schema": SCHEMA, "header": header, "claims": claims_of(rows),
            "summary": [row_to_json(r) for r in summarize(rows)],
            "rows": [row_to_json(r) for r in rows]}




# -- reading a results document back ------------------------------------------------------

#: Header fields a report is drawn from, as paths into the header.
_HEADER_FIELDS = (("seed",), ("full",), ("date",), ("counts", "rows"), ("counts", "failing"),
                  ("timings", "wall_s"), ("timings", "claims"), ("machine", "versions"),
                  ("machine", "platform"), ("machine", "cpu_count"), ("machine", "env"))

_FIX = ("pass a file written by `gpdtheory check --json PATH`, or the results.json of a "
        "`gpdtheory check --out DIR` report")


def read_results(path: str | os.PathLike) -> tuple[list[Row], dict[str, Any]]:
    """The rows and the header of a ``gpdtheory.check/1`` document (``--json``, results.json).

    Parameters
    ----------
    path : path
        The file to read.

    Returns
    -------
    (list of Row, dict)
        The rows in table order (non-finite values restored, :func:`row_from_json`) and the
        header of the run that wrote them.

    Raises
    ------
    InvalidArgumentError
        If the file is missing or unreadable, is not JSON, is not a ``gpdtheory.check/1``
        document, lacks a header field the report shows, or holds a row that is not a row;
        the message names the file, what is wrong and the fix.
    """
    from gpdtheory.errors import InvalidArgumentError

    name = os.fspath(path)
    try:
        with open(name, encoding="utf-8") as fh:
            text = fh.read()
    except FileNotFoundError:
        raise InvalidArgumentError("results", name, "does not exist", _FIX) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidArgumentError("results", name, f"cannot be read ({exc})", _FIX) from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidArgumentError("results", name, f"is not JSON (line {exc.lineno}, column "
                                   f"{exc.colno}: {exc.msg})", _FIX) from None
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        found = doc.get("schema") if isinstance(doc, dict) else type(doc).__name__
        raise InvalidArgumentError("results", name, f"is not a {SCHEMA} document (schema "
                                   f"{found!r})", _FIX)
    header, raw = doc.get("header"), doc.get("rows")
    if not isinstance(header, dict) or not isinstance(raw, list):
        raise InvalidArgumentError("results", name, "has no header object or no rows list",
                                   _FIX)
    for field_path in _HEADER_FIELDS:
        node: Any = header
        for key in field_path:
            node = node.get(key) if isinstance(node, dict) else None
        if node is None:
            raise InvalidArgumentError("results", name, "lacks the header field "
                                       f"{'.'.join(field_path)!r}", _FIX)
    rows = []
    for i, d in enumerate(raw):
        try:
            if not isinstance(d, dict):
                raise TypeError(f"a {type(d).__name__}, not an object")
            rows.append(row_from_json(d))
        except (TypeError, ValueError) as exc:
            raise InvalidArgumentError("results", name, f"row {i} is not a row ({exc})",
                                       _FIX) from None
    return rows, header
