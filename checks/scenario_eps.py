"""What Theorem S needs for a target accuracy: ``gpdtheory check --scenario FILE --eps EPS``.

For a scenario's kernel and a target ``eps``, per truncation lag ``J`` of the scenario:
whether the hard truncation ``Gamma_bar = band_J(Gamma)`` is PSD for every N (the exact
certificate of docs/theory.md §4.2), the N-free bounds on ``tau_J`` and on
``lmax(Gamma_bar)``, and at each diffusion time ``t`` the number of GD steps ``L`` (blocks
of the network of §5) that reach ``||s_theta - s*||_F <= eps ||X||_F`` at that ``J``; then
per ``t`` the smallest ``J`` that suffices and the ``L`` it needs. Every number holds for
every N.

The derivation (§3.3, *Sizes*: each of the two terms of Theorem S at most ``eps/2``):

- truncation term (§3.2, §3.3): ``alpha_t^2 tau_J ||Sigma||_2 / (mu_t mu_bar_t) <= eps/2``;
- GD term (§3.1, §3.3): ``L >= (Lambda / mu_bar_t) log(2 / (eps mu_bar_t))``;

with the N-free bounds

- ``alpha_t^2 = exp(-t)``, ``sigma_t^2 = 1 - exp(-t)`` (§2.1);
- ``tau_J <= 2 T(J)``, ``T(J) >= sum_{m>J} |rho(m)|`` the kernel's closed-form, certified
  or declared tail (:meth:`~gpdtheory.kernels.Kernel.tail_bound`; §3.2, §3.4);
- ``mu_t >= sigma_t^2``, since ``Gamma_N`` is PSD (§3: ``mu_t = lmin(C_t)``);
- ``mu_bar_t >= sigma_t^2`` when the certificate proves ``Gamma_bar_N`` PSD for every N
  (§4.2); otherwise ``lmin(Gamma_bar) >= lmin(Gamma) - ||Gamma - Gamma_bar||_2 >= -tau_J``
  (Weyl, with §3.2) and ``mu_bar_t >= sigma_t^2 - alpha_t^2 tau_J ||Sigma||_2`` (§3);
- ``Lambda = max(1, lmax(Gamma_bar) ||Sigma||_2)`` and ``lmax(Gamma_bar) <= 1 + 2 S_J``,
  ``S_J = sum_{m=1}^{J} |rho(m)|`` (Gershgorin on the band; §3, §2.3).

``Sigma`` is the scenario's; a scenario that gives only ``d`` is answered for
``Sigma = I_d`` (the table says so), since the claims draw their own.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from gpdtheory.errors import InvalidArgumentError
from gpdtheory.kernels import Kernel

from .scenario_input import Scenario

__all__ = ["EpsAnswer", "EpsRow", "EpsNeed", "eps_answer", "format_eps", "check_eps",
           "PSD_WORDS", "J_SEARCH_MAX"]

#: The certificate's verdicts in words that say what was found (§4.2).
PSD_WORDS = {"psd": "PSD for every N (certified)",
             "not_psd": "not PSD for large N (certified)",
             "inconclusive": "inconclusive (min f_J within rounding)",
             "beyond_data": "not certified: J past the measured lags"}

#: Largest J searched for the J that ``eps`` needs (the kernel's series bound, 2**20).
J_SEARCH_MAX = Kernel.MAX_TERMS

#: Most lags below the Weyl-based J whose certificate is tried for a smaller J.
CERTIFY_MAX = 32


def check_eps(eps: Any, name: str = "--eps") -> float:
    """``eps`` as a float in ``(0, 1)``, else :class:`InvalidArgumentError` naming ``name``."""
    try:
        value = float(eps)
    except (TypeError, ValueError):
        raise InvalidArgumentError(name, eps, "is not a number",
                                   "pass a relative accuracy in (0, 1), e.g. 1e-3") from None
    if not 0.0 < value < 1.0:
        raise InvalidArgumentError(name, eps, "is not in (0, 1)",
                                   "pass a relative accuracy in (0, 1), e.g. 1e-3")
    return value


@dataclasses.dataclass(frozen=True)
class EpsRow:
    """One truncation lag of the scenario: certificate, N-free bounds and ``L`` per ``t``.

    ``L[t]`` is ``None`` when the truncation term alone exceeds ``eps/2`` at this ``J``
    (no ``L`` suffices: a larger ``J`` is needed).
    """

    J: int
    psd: str
    min_f: float
    tau: float
    lmax_bar: float
    L: dict[float, int | None]

    def to_json(self) -> dict[str, Any]:
        return {"J": self.J, "hard_truncation": PSD_WORDS[self.psd], "certificate": self.psd,
                "min_f_J": self.min_f, "tau_J_bound": self.tau, "lmax_gamma_bar_bound":
                self.lmax_bar, "L_needed": {f"{t:g}": v for t, v in self.L.items()}}


@dataclasses.dataclass(frozen=True)
class EpsNeed:
    """At one diffusion time: the smallest ``J`` that suffices and the ``L`` it needs."""

    t: float
    J: int | None
    L: int | None
    psd: str | None
    mu_bar: float | None
    why: str = ""
    #: Every J from here on suffices (Weyl's bound; no certificate needed).
    J_every: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"t": self.t, "J": self.J, "L": self.L, "certificate": self.psd,
                "mu_bar_t_bound": self.mu_bar, "every_J_from": self.J_every, "why": self.why}


@dataclasses.dataclass(frozen=True)
class EpsAnswer:
    """The answer for one ``eps``: per-J rows and per-t needs (see the module docstring)."""

    eps: float
    sigma_norm: float
    sigma: str
    rows: list[EpsRow]
    needs: list[EpsNeed]
    summable: bool

    def to_json(self) -> dict[str, Any]:
        return {"eps": self.eps, "sigma": self.sigma, "sigma_norm": self.sigma_norm,
                "summable": self.summable, "per_J": [r.to_json() for r in self.rows],
                "needed": [n.to_json() for n in self.needs],
                "derivation": "docs/theory.md §3.3 (sizes), §3.2, §4.2, §2.1"}


def _head_sum(kernel: Kernel, J: int) -> float:
    """``S_J >= sum_{m=1}^{J} |rho(m)|``, evaluating rho only where the kernel knows it."""
    known = J if math.isinf(kernel.max_lag) else min(J, int(kernel.max_lag))
    lags = np.arange(1, known + 1, dtype=np.float64)
    head = float(np.sum(np.abs(kernel(lags)))) if known else 0.0
    return head + (kernel.tail_bound(known) if J > known else 0.0)


def _mu_bar(psd: str | None, sigma2: float, alpha2: float, tau: float, snorm: float) -> float:
    """N-free lower bound on ``mu_bar_t``: ``sigma_t^2`` when certified PSD, else Weyl's."""
    return sigma2 if psd == "psd" else sigma2 - alpha2 * tau * snorm


def _trunc_ok(tau: float, mu_bar: float, sigma2: float, alpha2: float, snorm: float,
              eps: float) -> bool:
    """The truncation term of Theorem S at most ``eps/2`` (``mu_t >= sigma_t^2``)."""
    return mu_bar > 0 and alpha2 * tau * snorm / (sigma2 * mu_bar) <= eps / 2


def _steps(lmax_bar: float, snorm: float, mu_bar: float, eps: float) -> int:
    """``L >= (Lambda/mu_bar) log(2/(eps mu_bar))``, at least 0 (§3.3)."""
    lam = max(1.0, lmax_bar * snorm)
    return max(0, math.ceil(lam / mu_bar * math.log(2.0 / (eps * mu_bar))))


def _smallest_J(ok, lo: int = 0, hi: int = J_SEARCH_MAX) -> int | None:
    """Smallest J in [lo, hi] with ``ok(J)`` for a monotone ``ok`` (None if none)."""
    if not ok(hi):
        return None
    while lo < hi:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if ok(mid) else (mid + 1, hi)
    return lo


def eps_answer(scenario: Scenario, eps: float) -> EpsAnswer:
    """What Theorem S needs for ``eps`` on ``scenario``'s kernel (module docstring).

    Parameters
    ----------
    scenario : Scenario
        Its kernel, ``J`` grid, ``t`` grid and ``Sigma`` (``I_d`` when not given).
    eps : float
        Target relative accuracy in ``(0, 1)``: ``||s_theta - s*||_F <= eps ||X||_F``.

    Returns
    -------
    EpsAnswer
    """
    from gpdtheory.psd import certify_all_n

    eps = check_eps(eps, "eps")
    k = scenario.kernel
    if scenario.Sigma is not None:
        snorm = float(np.linalg.eigvalsh(scenario.Sigma)[-1])
        sigma = f"the scenario's Sigma ({scenario.d} x {scenario.d})"
    else:
        snorm, sigma = 1.0, f"Sigma = I_{scenario.d} (the scenario gives only d)"
    certs: dict[int, tuple[str, float]] = {}

    def cert(J: int) -> tuple[str, float]:
        """``(verdict, min f_J)``; a J past the lags a kernel knows has no certificate."""
        if J not in certs:
            if J > k.max_lag:
                certs[J] = ("beyond_data", math.nan)
            else:
                c = certify_all_n(k, J)
                certs[J] = (c.verdict, float(c.min_value))
        return certs[J]

    rows = []
    for J in scenario.J:
        verdict, min_f = cert(J)
        tau = 2.0 * k.tail_bound(J) if k.summable else math.inf
        lmax_bar = 1.0 + 2.0 * _head_sum(k, J)
        L: dict[float, int | None] = {}
        for t in scenario.t:
            alpha2, sigma2 = math.exp(-t), -math.expm1(-t)
            mu_bar = _mu_bar(verdict, sigma2, alpha2, tau, snorm)
            L[t] = (_steps(lmax_bar, snorm, mu_bar, eps)
                    if _trunc_ok(tau, mu_bar, sigma2, alpha2, snorm, eps) else None)
        rows.append(EpsRow(J, verdict, min_f, tau, lmax_bar, L))
    needs = [_need(k, t, eps, snorm, cert) for t in scenario.t]
    return EpsAnswer(eps, snorm, sigma, rows, needs, bool(k.summable))


def _need(k: Kernel, t: float, eps: float, snorm: float, cert) -> EpsNeed:
    """The smallest J (and its L) for ``eps`` at time ``t``."""
    if not k.summable:
        return EpsNeed(t, None, None, None, None, "the tail is not summable, so no J holds "
                       "for every N (§3.4): J must grow with N")
    alpha2, sigma2 = math.exp(-t), -math.expm1(-t)

    def tau(J: int) -> float:
        return 2.0 * k.tail_bound(J)

    # Weyl's bound on mu_bar holds whatever the certificate says and is monotone in J
    weyl = _smallest_J(lambda J: _trunc_ok(tau(J), _mu_bar(None, sigma2, alpha2, tau(J), snorm),
                                           sigma2, alpha2, snorm, eps))
    if weyl is None:
        return EpsNeed(t, None, None, None, None, f"the tail bound stays above what eps needs "
                       f"up to J = {J_SEARCH_MAX}")
    # a certified PSD truncation allows mu_bar >= sigma^2, so a smaller J may already do
    best = weyl
    psd_first = _smallest_J(lambda J: _trunc_ok(tau(J), sigma2, sigma2, alpha2, snorm, eps),
                            0, weyl)
    if psd_first is not None:
        for J in range(psd_first, min(weyl, psd_first + CERTIFY_MAX)):
            if cert(J)[0] == "psd":
                best = J
                break
    verdict = cert(best)[0]
    mu_bar = _mu_bar(verdict, sigma2, alpha2, tau(best), snorm)
    return EpsNeed(t, best, _steps(1.0 + 2.0 * _head_sum(k, best), snorm, mu_bar, eps),
                   verdict, mu_bar, J_every=weyl)


def format_eps(answer: EpsAnswer) -> str:
    """The answer as a table for the command line (one row per J, one L column per t)."""
    ts = [n.t for n in answer.needs]
    lines = [f"eps = {answer.eps:g}: what Theorem S needs for ||s_theta - s*||_F <= eps "
             f"||X||_F, for every N (docs/theory.md §3.3 sizes, §3.2, §4.2); {answer.sigma}, "
             f"||Sigma||_2 = {answer.sigma_norm:.4g}"]
    head = (f"  {'J':>5s}  {'hard truncation (every N)':34s} {'tau_J <=':>10s} "
            f"{'lmax(Gamma_bar) <=':>18s}  " + "  ".join(f"{'L at t=' + format(t, 'g'):>12s}"
                                                      for t in ts))
    lines += [head, "  " + "-" * (len(head) - 2)]
    for r in answer.rows:
        Ls = "  ".join(f"{(str(r.L[t]) if r.L[t] is not None else 'J too small'):>12s}"
                       for t in ts)
        lines.append(f"  {r.J:5d}  {PSD_WORDS[r.psd]:34s} {r.tau:10.3g} {r.lmax_bar:18.4g}  "
                     f"{Ls}")
    lines.append("  needed for this eps (smallest J, then the L it needs):")
    for n in answer.needs:
        if n.J is None:
            lines.append(f"    t={n.t:g}: no N-free J: {n.why}")
        else:
            every = (f"; every J >= {n.J_every} suffices too" if n.J_every is not None
                     and n.J_every > n.J else "")
            lines.append(f"    t={n.t:g}: J = {n.J} (hard truncation {PSD_WORDS[n.psd]}) and "
                         f"L >= {n.L} GD steps (mu_bar_t >= {n.mu_bar:.3g}){every}")
    return "\n".join(lines)
