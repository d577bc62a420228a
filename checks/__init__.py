"""The claim table of gpdtheory: every bound of docs/theory.md as a named, runnable check.

Importing this package registers every claim in :data:`checks.table.CLAIMS`, in
table order. Run them with :func:`checks.runner.run` or ``gpdtheory check``.
"""

from . import (
           asymptotics,  # noqa: F401  (section 2: kappa.asymptotics)
           construct,  # noqa: F401
           core,  # noqa: F401  (registers claims)
           distribution,  # noqa: F401
           gd,  # noqa: F401  (section 3: GD and Theorem S)
           models,  # noqa: F401  (section 8: any model through the protocol, Latte, DiT vs U-Net)
           paper,  # noqa: F401  (section 9: the paper's experiments)
           scenario,  # noqa: F401  (scenario.bounds: runs only with a user's scenario)
           training,  # noqa: F401  (sections 7-8: training, sample complexity)
           truncation,  # noqa: F401  (sections 3-4: truncation and PSD)
           video,  # noqa: F401  (moving-ball video)
)
from .plugins import load_plugins
from .runner import run, select, write_json
from .table import CLAIMS, CheckConfig, Measurement, Row, claim, format_table

load_plugins()  # claims of other packages (entry-point group gpdtheory.claims), after ours

__all__ = ["CLAIMS", "CheckConfig", "Measurement", "Row", "claim", "format_table", "run", "select",
           "write_json"]
