"""The printed form shared by every comparison result: a summary line, never whole arrays."""

from __future__ import annotations

__all__ = ["Summarised"]


class Summarised:
    """Mixin: ``repr`` is the class's one-line ``__str__`` summary.

    The results hold ``(N, N)`` maps and ``(Nd, Nd)`` Jacobians; the dataclass ``repr``
    would print them in full at a prompt. Each result class is declared with
    ``@dataclass(frozen=True, repr=False)`` so that this ``__repr__`` is the one used; the
    arrays stay reachable as attributes and through ``to_rows()``.
    """

    def __repr__(self) -> str:
        return str(self)
