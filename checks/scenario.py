"""A user's case as data: a scenario file or flags point the claim table at it.

A *scenario* names a kernel (a built-in family, a scikit-learn kernel expression, or an
array of measured ``rho``), the sizes ``N``, the features (``d`` or a ``Sigma`` file), a
mean, the diffusion times ``t``, the truncation lags ``J``, the depths ``L``, the
truncations and a seed. ``gpdtheory check --scenario FILE`` (or :func:`run_scenario`)
runs every claim registered with ``scenario=True`` on it, plus ``scenario.bounds`` (the
kernel's N-free bounds and truncation PSD certificates, docs/theory.md §§2-4), and says
for every other claim why it does not apply.

The file is TOML, read with :mod:`tomllib`; nothing in it is executed. A scikit-learn
expression is parsed with :mod:`ast` against a whitelist grammar (:func:`parse_kernel`)::

    name = "matern32"
    N = [8, 32, 128]          # frames
    d = 2                     # or: sigma = "sigma.npy" (an SPD d x d array)
    mean = "zero"             # "zero", "random" or a .npy/.csv file of shape (N, d) or (d,)
    t = [0.01, 0.5, 2.0]
    J = [1, 2, 4, 8]
    L = [5, 40]
    truncation = ["hard", "taper", "shift"]
    seed = 0

    [kernel]
    sklearn = "Matern(length_scale=3, nu=1.5)"
    # or: family = "powered_exponential", ell = 2.0, nu = 1.0
    # or: file = "rho.npy", beyond = "refuse" | "zero" | "tail", decay = {...}
    jitter = 0.0              # a nugget, reported in every row (0: none)
    # decay = {kind = "exponential", rate = 0.5, C = 1.0}  (declared; see gpdtheory.kernels.Decay)

Every error names the key, the value and the fix (:class:`~gpdtheory.errors.InvalidArgumentError`).

The kernel grammar is :mod:`gpdtheory_checks.kernel_grammar`, the file and flag parsing
:mod:`gpdtheory_checks.scenario_input`, the answer for a target accuracy (``--eps``)
:mod:`gpdtheory_checks.scenario_eps`; this module holds what applies to a scenario, the advice and
the ``scenario.bounds`` claim, and re-exports the names of the others.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

import gpdtheory as gp
from gpdtheory.kernels import Kernel, SampledKernel, SklearnKernel

from .kernel_grammar import (
    FAMILY_NAMES,
    GRAMMAR,
    MAX_EXPR,
    NOT_STATIONARY,
    SKLEARN_NAMES,
    parse_kernel,
)
from .scenario_input import (
    DEFAULTS,
    DEMO,
    KERNEL_KEYS,
    N_MAX,
    TOP_KEYS,
    Scenario,
    load_scenario,
    scenario_from_args,
    scenario_from_dict,
)
from .table import CLAIMS, CheckConfig, Measurement, claim

__all__ = ["Scenario", "load_scenario", "scenario_from_dict", "parse_kernel", "applicability",
           "run_scenario", "ScenarioResult", "scenario_from_args",
           "truncation_advice", "decay_text", "advice_for", "DEMO", "DEFAULTS", "TOP_KEYS",
           "KERNEL_KEYS", "N_MAX", "GRAMMAR", "SKLEARN_NAMES", "NOT_STATIONARY",
           "FAMILY_NAMES", "MAX_EXPR"]

# ----------------------------------------------------------------------------- applicability
#: Why a claim that does not read ``cfg.scenario`` cannot take a user's case, by id prefix.
REASONS = {
    "kappa.asymptotics": "needs a closed-form family: the asymptotic growth exponent of "
                         "lmax(Gamma_N) is derived per family",
    "psd.frontier": "a property of the powered-exponential family (frontier constants), "
                    "not of one kernel",
    "construct": "builds torch networks on its own grid of built-in kernels",
    "girsanov": "closed-form KL on its own grid of built-in kernels",
    "lyapunov": "ODE integration on its own grid of built-in kernels",
    "sampler": "Monte Carlo of the samplers on its own grid of built-in kernels",
    "trained": "trains models on three built-in decay families",
    "sample_complexity": "trains models at growing sample sizes on a built-in kernel",
    "video": "moving-ball videos, not a Gaussian-process kernel",
}


def _base(kernel: Kernel) -> Kernel:
    """The kernel under a nugget (``Jittered``), else the kernel."""
    return kernel.base if hasattr(kernel, "base") else kernel


def decay_text(kernel: Kernel) -> str:
    """What the package knows of the kernel's decay, in one line (the ``decay:`` line)."""
    base = _base(kernel)
    decay = getattr(base, "decay", None)
    if isinstance(base, SampledKernel):
        M = base.values.size
        if base.beyond == "zero":
            return (f"zero beyond the {M} measured lags (beyond='zero'): finitely many nonzero "
                    "lags, summable")
        if base.beyond == "refuse":
            return f"the {M} measured lags only (beyond='refuse'): N <= {M}, sums over the data"
    if decay is not None:
        return decay.describe()
    reason = getattr(base, "not_summable_reason", "")
    if not isinstance(base, (SampledKernel, SklearnKernel)):
        return "closed form (proved)" + ("" if kernel.summable else ": not summable")
    if reason:
        return f"{reason} (certified)" + ("" if "not summable" in reason else ": not summable")
    return "none certified or declared: not summable"


def _not_summable(kernel: Kernel) -> tuple[str, bool]:
    """Why the kernel is not summable, and whether declaring a decay could change that."""
    base = _base(kernel)
    certified = getattr(base, "not_summable_reason", "")
    if certified:
        return certified, False
    if not isinstance(base, (SampledKernel, SklearnKernel)):  # a closed form: proved
        return f"{base!r} is not summable (a closed form, proved)", False
    decay = getattr(base, "decay", None)
    if decay is not None:  # declared, but not summable (a polynomial exponent <= 1)
        return f"the declared decay ({decay.describe()}) is not summable", True
    why = getattr(base, "uncertified_reason", "")
    return (why + ", so its decay is unknown" if why else "its decay is unknown"), True


def applicability(scenario: Scenario | None = None) -> dict[str, str]:
    """``{claim id: "runs" | "runs; <note>" | "not applicable: <reason>"}`` for a scenario."""
    out = {}
    summable = scenario is None or scenario.kernel.summable
    for cid, c in CLAIMS.items():
        if c.scenario:
            note = ""
            if not summable and cid in ("kappa.bound", "truncation.error", "scenario.bounds"):
                why, declarable = _not_summable(scenario.kernel)
                note = ("; N-free rows skipped: needs a summable kernel (declare its decay, "
                        "e.g. decay = {kind = \"exponential\", rate = ...})" if declarable
                        else f"; N-free rows skipped: {why}, so N-free bounds do not exist")
            out[cid] = "runs" + note
            continue
        reason = next((r for p, r in REASONS.items() if cid == p or cid.startswith(p + ".")),
                      "its grid is fixed: the claim does not read cfg.scenario (register it "
                      "with scenario=True to take one)")
        out[cid] = "not applicable: " + reason
    return out


def truncation_advice(kernel: Kernel, Js: Sequence[int]) -> list[str]:
    """One line per hard truncation lag whose ``Gamma_bar`` is not PSD for every N."""
    from gpdtheory.psd import certify_all_n

    out = []
    for J in Js:
        cert = certify_all_n(kernel, J)
        if cert.verdict == "not_psd":
            out.append(f"hard truncation is not PSD at J={J} (certified: min f_J = "
                       f"{cert.min_value:.3g} < 0 at w = {cert.witness_w:.3f}; Gamma_bar_N is "
                       "indefinite for large N): use taper or shift (truncation = \"taper\" or "
                       "\"shift\"), or a larger J")
    return out


@dataclasses.dataclass
class ScenarioResult:
    """Rows of a scenario run, what applied and the advice for the user."""

    scenario: Scenario
    rows: list
    applicability: dict[str, str]
    advice: list[str]
    timings: dict[str, float]

    def text(self) -> str:
        """The applicability list and the advice, for the command line."""
        lines = [f"scenario {self.scenario.name!r}: {self.scenario.kernel_text}"]
        lines.append(f"  decay: {decay_text(self.scenario.kernel)}")
        for cid, what in self.applicability.items():
            lines.append(f"  {cid:24s} {what}")
        lines += [f"advice: {a}" for a in self.advice]
        return "\n".join(lines)


def advice_for(scenario: Scenario) -> list[str]:
    """Advice for a scenario: indefinite hard truncations, singular kernels, no decay."""
    k = scenario.kernel
    base = k.base if hasattr(k, "base") else k
    out = truncation_advice(k, scenario.J) if "hard" in scenario.truncation else []
    if getattr(base, "advice", "") and not scenario.jitter:
        out.append(base.advice)
    if not k.summable:
        why, declarable = _not_summable(k)
        if not declarable:
            out.append(f"no N-free bounds: {why}, so sum|rho| diverges and N-free bounds do not "
                       "exist (lmax(Gamma_N) grows with N); the per-N rows still hold")
        elif isinstance(base, SampledKernel):
            out.append(f"no N-free bounds: {why}; declare a summable tail beyond the data "
                       "(beyond = \"tail\", decay = {kind = \"exponential\", rate = ...}) or "
                       "measure more lags")
        else:
            out.append(f"no N-free bounds: {why}; declare a decay ([kernel] decay = "
                       "{kind = \"exponential\", rate = ...}) if the process has one")
    return out


def run_scenario(scenario: Scenario | str | Path, only: list[str] | None = None,
                 cfg: CheckConfig | None = None, **run_kw: Any) -> ScenarioResult:
    """Run every claim that applies to ``scenario``; say why the others do not.

    Parameters
    ----------
    scenario : Scenario or path of a TOML file
    only : list of str, optional
        Claim ids or prefixes (as ``--only``).
    cfg : CheckConfig, optional
        Its ``seed`` is replaced by the scenario's.
    **run_kw
        Passed to :func:`gpdtheory_checks.runner.run` (``executor``, ``progress``, ``on_claim``,
        ``done``).
    """
    from . import runner

    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    cfg = dataclasses.replace(cfg or CheckConfig(), scenario=scenario, seed=scenario.seed)
    timings: dict[str, float] = run_kw.pop("timings", None) or {}
    rows = runner.run(only, cfg, timings=timings, **run_kw)
    app = applicability(scenario)
    if only:  # the claims --only names, run or not
        app = {c: w for c, w in app.items() if any(c == p or c.startswith(p + ".") for p in only)}
    return ScenarioResult(scenario, rows, app, advice_for(scenario), timings)


# ----------------------------------------------------------------------------- the claim
@claim("scenario.bounds", "2", "for the scenario's kernel: lmax(Gamma_N) <= 1 + 2 sum|rho| "
       "(N-free, certified or declared decay); sum_{J<m<N} |rho(m)| <= tail_bound(J); the hard "
       "truncation at each J is PSD for every N or refuted (exact certificate)",
       scenario="only")
def scenario_bounds(cfg: CheckConfig):
    """N-free bounds and truncation certificates for one user's kernel (docs/theory.md §§2-4).

    Runs on ``cfg.scenario`` (``gpdtheory check --scenario``), or on :data:`DEMO` without one.

    measured: ``lmax(Gamma_N)`` from the Toeplitz engine (dense ``eigvalsh`` for N <= 256)
    at each N of the grid; the finite tail sums ``sum_{J<m<N} |rho(m)|`` from the kernel's
    values. bound: ``1 + 2 abs_sum()`` (the head summed exactly plus the certified or declared
    closed-form tail: no eigenvalues) and ``tail_bound(J)`` (closed form). Not summable: the
    N-free rows are skipped (see :func:`applicability`). Truncation rows (info): ``min f_J``
    of the exact all-N certificate (:func:`gpdtheory.psd.certify_all_n`), with the verdict
    and, when refuted, the advice to use taper or shift.
    """
    scn = cfg.scenario or scenario_from_dict(DEMO, source="demo")
    k = scn.kernel
    if k.summable:
        S = k.abs_sum()
        for N in scn.N:
            r = k.autocovariance(N)
            if N <= 256:
                import scipy.linalg

                lmax = float(np.linalg.eigvalsh(scipy.linalg.toeplitz(r))[-1])
            else:
                lmax = float(gp.toeplitz.max_eig(r))
            yield Measurement(_case_of(k, N=N, quantity="lmax(Gamma_N) vs 1 + 2 sum|rho|"),
                              lmax, 1.0 + 2.0 * S, note="N-free bound")
            for J in scn.J:
                if J < N - 1:
                    yield Measurement(_case_of(k, N=N, J=J, quantity="tail sum vs tail_bound"),
                                      float(np.sum(np.abs(r[J + 1:]))), k.tail_bound(J))
    from gpdtheory.psd import certify_all_n

    for J in scn.J:
        cert = certify_all_n(k, J)
        note = {"psd": f"hard truncation PSD for every N at J={J}",
                "not_psd": f"not PSD at J={J}: use taper or shift",
                "inconclusive": "certificate inconclusive (min f_J within rounding slack)"}
        yield Measurement(_case_of(k, J=J, certificate=cert.verdict, quantity="min f_J"),
                          cert.min_value, math.nan, kind="info", note=note[cert.verdict])


def _case_of(kernel: Kernel, **extra: Any) -> dict[str, Any]:
    from .cases import case_params

    return case_params(kernel, **extra)
