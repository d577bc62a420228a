"""The claim table of gpdtheory: every bound of THEORY.md as a named, runnable check.

Importing this package registers every claim in :data:`checks.table.CLAIMS`, in
table order. Run them with :func:`checks.runner.run` or ``gpdtheory check``.
"""

from . import core  # noqa: F401  (registers claims)
from . import construct  # noqa: F401
from .runner import run, select, write_json
from .table import CLAIMS, CheckConfig, Measurement, Row, claim, format_table

__all__ = ["CLAIMS", "CheckConfig", "Measurement", "Row", "claim", "format_table", "run", "select",
           "write_json"]
