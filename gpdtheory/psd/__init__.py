"""When the truncated Gamma stays positive semidefinite: the four views of docs/theory.md §4.

1. :mod:`.per_n`: exactly, for one N (Durbin's reflection coefficients, banded Cholesky,
   smallest eigenvalue by banded bisection), and the smallest failing N.
2. :mod:`.certificate`: for every N at once, a proof in exact rational arithmetic that the
   symbol ``f_J(w) = rho(0) + 2 sum_{m<=J} rho(m) cos(m w)`` is (or is not) ``>= 0``.
3. :mod:`.frontier`: the diagonal-dominance frontier ``2 sum_{m>=1} |rho(m)| <= 1`` (the
   paper's kind of assumption, ``ell <= c^nu``) beside the exact all-N frontier.
4. :mod:`.frontier`: the phase diagram over ``(ell, J)`` for one ``nu``.
"""

from .certificate import AllNCertificate, certify_all_n
from .frontier import (
    FrontierRow,
    PhaseDiagram,
    diagonally_dominant,
    dominance_frontier,
    exact_frontier,
    frontier_table,
    phase_diagram,
)
from .per_n import PerNResult, first_failing_n, per_n, smallest_eigenvalue, truncated_column

__all__ = [
    "PerNResult",
    "per_n",
    "first_failing_n",
    "smallest_eigenvalue",
    "truncated_column",
    "AllNCertificate",
    "certify_all_n",
    "diagonally_dominant",
    "dominance_frontier",
    "exact_frontier",
    "FrontierRow",
    "frontier_table",
    "PhaseDiagram",
    "phase_diagram",
]
