"""The claim table: named claims, their rows, verdicts and formatting.

A *claim* is a statement of docs/theory.md (or of the paper) with an id such as
``gd.rate``. Running it yields one :class:`Row` per case: the parameters, the
measured value, the bound, their ratio and the verdict. The same table runs from
``gpdtheory check`` and from pytest (``tests/test_checks.py``).

Verdicts
--------
``holds``                the bound holds with margin (``measured <= bound``, or ``>=`` for a
                         lower bound)
``holds (attained)``     theory says the bound is *attained*; the measured side exceeds it by
                         no more than the row's derived round-off ``allowance``
                         (:mod:`gpdtheory_checks.roundoff`, docs/theory.md §11)
``holds (within round-off)``  a tolerance or sign test (bound 0) met within the row's derived
                         round-off allowance
``holds (vacuous)``      it holds but the bound is looser than ``VACUOUS_FACTOR`` times (upper
                         bounds: ``measured/bound < 1e-6``; lower bounds: ``0 < bound <
                         1e-6 measured``)
``holds (loose by design)``  a row the claim declares loose (an integral tail bound, say)
                         whose ratio is in the vacuous range: labelled apart, not counted vacuous
``holds (measured 0)``   the measured side is exactly 0 (an exact computation), bound > 0
``holds (both 0)``       measured and bound are both exactly 0 (e.g. both underflowed)
``unresolved``           a theorem's positive bound lies below the row's round-off floor
                         (its ``allowance`` exceeds the bound): float64 cannot tell the
                         theorem's error from round-off, so the row neither holds nor fails.
                         It still FAILS when the measured side exceeds ``bound + allowance``.
                         Counted apart.
``reproduced`` / ``not reproduced``  a paper's finding (``kind="finding"``): the statement as
                         the paper makes it, measured; ``not reproduced`` is reported and counted
                         apart, never as holding, and does not make the run fail
``FAILS``                the bound is violated
``ERROR``                the case raised; the note says why
``info``                 an informational measurement (``kind="info"``): no bound, no verdict;
                         shown and plotted, never counted as holding or failing

A ratio ``measured / bound`` is printed for positive bounds; a zero bound or a sign test
prints ``n/a`` (the ratio is stored as NaN).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from .registry import ClaimRegistry

__all__ = ["Measurement", "Row", "Claim", "CheckConfig", "CLAIMS", "claim", "VACUOUS_FACTOR",
           "INFO", "UNRESOLVED", "REPRODUCED", "NOT_REPRODUCED", "format_table", "summarize",
           "format_summary", "count_rows", "format_counts", "ratio_text", "bound_text"]

#: A bound looser than this factor is flagged as vacuous even when it holds.
VACUOUS_FACTOR = 1e6


@dataclass(frozen=True)
class CheckConfig:
    """Configuration shared by every claim.

    Attributes
    ----------
    full : bool
        Larger grids and sizes (``gpdtheory check --full``).
    seed : int
        Base seed; each claim derives its own generator from it.
    scenario : gpdtheory_checks.scenario.Scenario, optional
        A user's case (kernel, N, Sigma, mean, t, J, L, truncations): claims registered with
        ``scenario=True`` take their kernel and grids from it (``gpdtheory check --scenario``).
        ``None`` (default): every claim runs its own built-in grid.
    """

    full: bool = False
    seed: int = 0
    scenario: Any = None

    def rng(self, salt: str):
        """A numpy Generator seeded by ``(seed, salt)``: claims stay independent of order."""
        import zlib

        import numpy as np

        return np.random.default_rng([self.seed, zlib.crc32(salt.encode())])


@dataclass(frozen=True)
class Measurement:
    """One case of a claim, as the claim's function reports it.

    Attributes
    ----------
    case : dict
        The parameters of the case (family, ell, nu, N, d, t, J, L, ...).
    measured, bound : float
    sense : {"<=", ">="}
        ``measured <= bound`` (an upper bound) or ``measured >= bound`` (a lower bound).
    kind : {"bound", "tolerance", "info", "finding"}
        A theorem's bound (checked for vacuity), a numerical tolerance (not), an
        informational value with no bound (``bound`` is NaN, the verdict ``info``; a
        non-finite measured value still ``FAILS``), or a paper's finding (verdict
        ``reproduced`` or ``not reproduced``, counted apart).
    note : str
    allowance : float
        Round-off allowance from a derived forward-error bound of the computation
        (:func:`gpdtheory_checks.roundoff.allowance`, docs/theory.md §11), never a blanket
        tolerance.
        Non-zero only on rows where theory says the bound is attained (empty tail,
        ``Gamma_bar`` a multiple of ``I``, exact GD at ``N = d = 1``) or where the bound may
        lie below what float64 resolves for that computation. When the allowance exceeds
        the bound the row is ``unresolved`` (or ``FAILS`` above ``bound + allowance``).
    loose : bool
        The claim declares the bound loose by design (e.g. an integral tail bound): the row
        is labelled ``holds (loose by design)`` instead of being flagged vacuous.
    """

    case: dict[str, Any]
    measured: float
    bound: float
    sense: Literal["<=", ">="] = "<="
    kind: Literal["bound", "tolerance", "info", "finding"] = "bound"
    note: str = ""
    allowance: float = 0.0
    loose: bool = False


#: The verdict of a ``kind="info"`` row.
INFO = "info"
#: The verdict of a row whose bound float64 cannot resolve for its computation.
UNRESOLVED = "unresolved"
#: The verdicts of a paper's finding (``kind="finding"``).
REPRODUCED, NOT_REPRODUCED = "reproduced", "not reproduced"


def _verdict(measured: float, bound: float, allow: float, sense: str, kind: str,
             loose: bool) -> str:
    """The verdict of one checked row (see the module docstring for each label)."""
    if not (math.isfinite(measured) and not math.isnan(bound)):
        return "FAILS" if kind != "finding" else NOT_REPRODUCED
    upper = sense == "<="
    margin_ok = measured <= bound if upper else measured >= bound
    within = measured <= bound + allow if upper else measured >= bound - allow
    if kind == "finding":
        return REPRODUCED if margin_ok else NOT_REPRODUCED
    if not within:
        return "FAILS"
    if kind == "bound" and 0.0 < abs(bound) < allow:
        return UNRESOLVED  # the bound sits below the round-off floor of its own computation
    if not margin_ok:
        return "holds (attained)" if kind == "bound" else "holds (within round-off)"
    if kind != "bound":
        return "holds"
    if upper and measured == 0.0:
        return "holds (measured 0)" if bound > 0.0 else "holds (both 0)"
    far = ((upper and bound > 0.0 and measured / bound * VACUOUS_FACTOR < 1.0)
           or (not upper and 0.0 < bound and bound * VACUOUS_FACTOR < measured))
    if far:
        return "holds (loose by design)" if loose else "holds (vacuous)"
    return "holds"


@dataclass(frozen=True)
class Row:
    """A row of the claim table."""

    claim: str
    section: str
    case: dict[str, Any]
    measured: float
    bound: float
    ratio: float
    verdict: str
    sense: str = "<="
    kind: str = "bound"
    note: str = ""
    allowance: float = 0.0

    @classmethod
    def from_measurement(cls, claim_id: str, section: str, m: Measurement) -> Row:
        measured, bound, allow = float(m.measured), float(m.bound), float(m.allowance)
        if not (allow >= 0.0 and math.isfinite(allow)):
            raise ValueError(f"claim {claim_id}: allowance must be finite and >= 0, got {allow}")
        if m.kind == "info":
            verdict = INFO if math.isfinite(measured) else "FAILS"
            return cls(claim_id, section, dict(m.case), measured, math.nan, math.nan, verdict,
                       "", m.kind, m.note)
        # a ratio only means something against a positive bound (a sign test has none)
        ratio = measured / bound if bound > 0.0 and math.isfinite(bound) else math.nan
        verdict = _verdict(measured, bound, allow, m.sense, m.kind, m.loose)
        return cls(claim_id, section, dict(m.case), measured, bound, ratio, verdict,
                   m.sense, m.kind, m.note, allow)

    @classmethod
    def error(cls, claim_id: str, section: str, exc: BaseException) -> Row:
        return cls(claim_id, section, {}, math.nan, math.nan, math.nan, "ERROR",
                   note=f"{type(exc).__name__}: {exc}")

    @property
    def ok(self) -> bool:
        """True unless the verdict is ``FAILS`` or ``ERROR`` (``info``, ``unresolved`` and
        ``not reproduced`` rows are ok: reported and counted apart, not failures)."""
        return not self.verdict.startswith(("FAILS", "ERROR"))

    @property
    def unresolved(self) -> bool:
        """True when the bound lies below the row's round-off floor (neither holds nor fails)."""
        return self.verdict == UNRESOLVED

    @property
    def not_reproduced(self) -> bool:
        """True for a paper finding that the measurement does not reproduce."""
        return self.verdict == NOT_REPRODUCED

    @property
    def info(self) -> bool:
        """True for an informational row (``kind="info"``, verdict ``info``): not a check."""
        return self.verdict == INFO

    @property
    def holds(self) -> bool:
        """True when the row is a check that holds (vacuously or not)."""
        return self.verdict.startswith("holds")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Claim:
    """A named claim and the function that measures it."""

    id: str
    section: str
    statement: str
    func: Callable[[CheckConfig], Iterable[Measurement]] = field(repr=False)
    #: ``True``: takes a user's scenario (``cfg.scenario``); ``"only"``: runs only with one
    #: (left out of the default run); ``False``: a fixed grid (not applicable to scenarios).
    scenario: bool | str = False

    def run(self, cfg: CheckConfig) -> list[Row]:
        """Measure every case; an exception becomes a single ``ERROR`` row."""
        try:
            return [Row.from_measurement(self.id, self.section, m) for m in self.func(cfg)]
        except Exception as exc:  # reported, never swallowed: the verdict is ERROR
            return [Row.error(self.id, self.section, exc)]


#: Every registered claim, by id, in table order; loads the catalogue on first read
#: (:class:`gpdtheory_checks.registry.ClaimRegistry`).
CLAIMS: ClaimRegistry = ClaimRegistry()


def claim(claim_id: str, section: str, statement: str, *, scenario: bool | str = False):
    """Register ``func(cfg) -> Iterable[Measurement]`` as the claim ``claim_id``.

    ``scenario=True`` declares that the claim reads ``cfg.scenario`` (a user's kernel and
    grids) when given; ``scenario="only"`` that it runs only with a scenario.
    """
    if scenario not in (True, False, "only"):
        raise ValueError(f"claim {claim_id}: scenario must be True, False or 'only', "
                         f"got {scenario!r}")

    def register(func):
        if CLAIMS.registered(claim_id):  # a read would load the catalogue mid-registration
            raise RuntimeError(f"claim {claim_id!r} is registered twice")
        CLAIMS[claim_id] = Claim(claim_id, section, statement, func, scenario)
        return func

    return register


def _fmt(x: float) -> str:
    if isinstance(x, float) and (math.isnan(x) or math.isinf(x)):
        return str(x)
    return f"{x:.4g}"


def _case_text(case: dict[str, Any]) -> str:
    return " ".join(f"{k}={_fmt(v) if isinstance(v, float) else v}" for k, v in case.items())


def ratio_text(r: Row) -> str:
    """The ratio as printed: ``n/a`` where the bound is zero, a sign or absent."""
    return "n/a" if math.isnan(r.ratio) else _fmt(r.ratio)


def bound_text(r: Row) -> str:
    """The bound as printed, with the round-off allowance beside it (``b + a``)."""
    return _fmt(r.bound) + (f" + {r.allowance:.2g}" if r.allowance else "")


def format_table(rows: list[Row], markdown: bool = False) -> str:
    """Render rows as an aligned text table (or a Markdown table)."""
    head = ["claim", "section", "case", "measured", "", "bound (+ allowance)", "ratio", "verdict"]
    body = [[r.claim, r.section, _case_text(r.case) or r.note, _fmt(r.measured), r.sense,
             bound_text(r), ratio_text(r) if not r.info else "-", r.verdict] for r in rows]
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in body]
        return "\n".join(lines)
    widths = [max(len(h), *(len(b[i]) for b in body)) if body else len(h)
              for i, h in enumerate(head)]
    widths[2] = min(widths[2], 70)
    out = ["  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True))]
    out.append("  ".join("-" * w for w in widths))
    for b in body:
        cells = [c if len(c) <= w else c[: w - 1] + "…" for c, w in zip(b, widths, strict=True)]
        out.append("  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)))
    return "\n".join(out)


def tightness(r: Row) -> float:
    """How close a holding row is to its bound: 1 = attained, smaller = looser.

    ``measured / bound`` for an upper bound and ``bound / measured`` for a lower bound when
    both are positive; rows whose bound or measured value is not positive (sign tests, zero
    tolerances) have no such ratio and count as loose (``-inf``).
    """
    m, b = r.measured, r.bound
    if r.sense == "<=":
        if b > 0:
            return m / b
    elif m > 0 and b > 0:
        return b / m
    return -math.inf


def _tightest(rows: list[Row]) -> Row:
    """The row closest to failing (largest :func:`tightness`), or its first failing row."""
    return max(rows, key=lambda r: math.inf if not r.ok else
               (-math.inf if r.unresolved or r.not_reproduced else tightness(r)))


def _claim_verdict(group: list[Row]) -> str:
    """A claim's verdict from its checked rows (see :func:`summarize`)."""
    bad = [r for r in group if not r.ok]
    if bad:
        verdict = "ERROR" if any(r.verdict == "ERROR" for r in bad) else "FAILS"
        return verdict + f" ({len(bad)}/{len(group)})"
    n_not = sum(r.not_reproduced for r in group)
    if n_not:
        return f"{NOT_REPRODUCED} ({n_not}/{len(group)})"
    if all(r.verdict == REPRODUCED for r in group):
        return REPRODUCED
    n_unres = sum(r.unresolved for r in group)
    if n_unres == len(group):
        return UNRESOLVED
    if all(r.verdict == "holds (vacuous)" for r in group):
        return "holds (vacuous)"
    n_vac = sum(r.verdict == "holds (vacuous)" for r in group)
    notes = [f"{n} {what}" for n, what in ((n_vac, "vacuous"), (n_unres, UNRESOLVED)) if n]
    return "holds" + (f" ({', '.join(notes)})" if notes else "")


def summarize(rows: list[Row]) -> list[Row]:
    """One row per claim: its tightest case (or its first failing one), in table order.

    The verdict of the summary row is the claim's: ``FAILS``/``ERROR`` if any case
    does, ``not reproduced (k/n)`` if a paper finding is not reproduced, ``unresolved``
    or ``holds (vacuous)`` if every case is, else ``holds`` with the counts of vacuous
    and unresolved cases. Informational rows are left out (``cases`` counts the checked
    rows, ``info`` the others); a claim with informational rows only is summarised by its
    first one, verdict ``info``.
    """
    by_claim: dict[str, list[Row]] = {}
    for r in rows:
        by_claim.setdefault(r.claim, []).append(r)
    out = []
    for cid, everything in by_claim.items():
        group = [r for r in everything if not r.info]
        n_info = len(everything) - len(group)
        if not group:
            first = everything[0]
            out.append(Row(cid, first.section, {"cases": 0, "info": n_info, **first.case},
                           first.measured, first.bound, first.ratio, INFO, first.sense,
                           first.kind, first.note))
            continue
        extra = {"info": n_info} if n_info else {}
        worst = _tightest(group)
        out.append(Row(cid, worst.section, {"cases": len(group), **extra, **worst.case},
                       worst.measured, worst.bound, worst.ratio, _claim_verdict(group),
                       worst.sense, worst.kind, worst.note, worst.allowance))
    return out


def count_rows(rows: list[Row]) -> dict[str, int]:
    """Counts for the run's totals.

    ``{"rows", "checked", "hold", "vacuous", "unresolved", "reproduced", "not_reproduced",
    "failing", "info"}``: ``checked = hold + unresolved + reproduced + not_reproduced +
    failing`` (``hold`` includes ``vacuous``); ``rows = checked + info``.
    """
    n_info = sum(r.info for r in rows)
    return {"rows": len(rows), "checked": len(rows) - n_info, "hold": sum(r.holds for r in rows),
            "vacuous": sum(r.verdict == "holds (vacuous)" for r in rows),
            "unresolved": sum(r.unresolved for r in rows),
            "reproduced": sum(r.verdict == REPRODUCED for r in rows),
            "not_reproduced": sum(r.not_reproduced for r in rows),
            "failing": sum(not r.ok for r in rows), "info": n_info}


def format_counts(c: dict[str, int]) -> str:
    """The totals as one phrase: ``H hold (V vacuous), U unresolved, ... F fail or error``."""
    parts = [f"{c['hold']} hold ({c['vacuous']} vacuous)"]
    if c["unresolved"]:
        parts.append(f"{c['unresolved']} unresolved (bound below float64 resolution)")
    if c["reproduced"] or c["not_reproduced"]:
        parts.append(f"paper findings: {c['reproduced']} reproduced, "
                     f"{c['not_reproduced']} not reproduced")
    parts.append(f"{c['failing']} fail or error")
    if c["info"]:
        parts.append(f"{c['info']} informational (no verdict)")
    return ", ".join(parts)


def format_summary(rows: list[Row]) -> str:
    """The per-claim summary (tightest case of each claim), then every failing row and every
    paper finding that is not reproduced."""
    text = format_table(summarize(rows))
    bad = [r for r in rows if not r.ok]
    if bad:
        text += "\n\nFailing rows:\n" + format_table(bad)
    nots = [r for r in rows if r.not_reproduced]
    if nots:
        text += "\n\nPaper findings not reproduced:\n" + format_table(nots)
    return text
