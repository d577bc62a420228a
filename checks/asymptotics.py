"""Claim ``kappa.asymptotics``: how ``lmax(Gamma_N)`` and ``lmin(Gamma_N)`` move with N.

This answers the paper's first open question (how ``kappa_t0`` grows with N, THEORY.md
section 2: ``kappa_t <= 1 + lmax(Gamma) lmax(Sigma) / (e^t - 1)``) with the Toeplitz
engine (``gpdtheory.toeplitz.max_eig``/``min_eig``, exact to ~1e-15 relative).

Symbol theory (Szegő; THEORY.md section 1), ``f(w) = sum_m rho(m) e^{imw}``:

* ``sum |rho| < inf``: ``lmax(Gamma_N) <= max f = 1 + 2 sum_{m>=1} rho(m)`` for every N,
  so the growth exponent is 0;
* non-summable, positive and decreasing ``rho``: ``lmax(Gamma_N)`` grows like the partial
  sum ``S(N) = sum_{|m|<N} rho(m) = f_{N-1}(0)``: ``N^{1-nu}`` for the polynomial family
  with ``nu < 1`` and ``N / log(N)^nu`` for the logarithmic family. For the polynomial
  family the local exponent of ``S(N) = A N^{1-nu} - B`` converges to ``1 - nu`` only
  like ``N^{-(1-nu)}`` (at ``N = 2^14``, ``nu = 0.8``: 0.247, not 0.2), so the row
  compares the measured exponent with the local exponent of ``S`` and the note keeps
  ``1 - nu``; the logarithmic row compares with ``N / log(N)^nu`` directly;
* ``lmin(Gamma_N) >= min f`` for every N, and ``lmin(Gamma_N) -> min f``.

Rows per kernel: ``lmax <= max f`` at the largest N (summable); the local growth exponent
``s = log(lmax(4N)/lmax(N)) / log 4`` at the largest N against the theory's exponent;
``lmin >= min f`` at every N; and the gap ``lmin - min f`` at the largest N against the
gap at the smallest (it must shrink).

``min f`` for convex ``rho`` (polynomial, logarithmic, powered exponential ``nu <= 1``)
comes from the Fejér-kernel form ``f(w) = sum_k Delta^2 rho(k) sin^2((k+1) w/2) /
sin^2(w/2)`` (every term ``>= 0``), summed to ``K = 2^18`` terms: a *lower* bound on
``f``, within ``(rho(K+1) - rho(K+2)) / sin^2(w/2)`` of it. For ``nu > 1`` (not convex,
but decaying faster than ``exp(-m/ell)``) the cosine series is summed until ``rho < 1e-18``.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.optimize

import gpdtheory as gp

from .core import default_kernels
from .table import CheckConfig, Measurement, claim

#: Terms of the Fejér-form symbol sum.
FEJER_TERMS = 2**18
#: |measured local exponent - theory| allowed. The local exponent of the exact
#: ``lmax`` differs from the theory's asymptotic exponent by finite-N corrections:
#: ``O(1/S(N))`` relative for non-summable kernels (``lmax = c S(N) + O(1)``), and
#: ``O(N^{-1})`` or smaller for summable ones. 0.05 is what these corrections allow at
#: ``N >= 2^12`` for the default kernels (measured corrections: see the note column).
EXPONENT_TOL = 0.05


def _convex(kernel: gp.Kernel) -> bool:
    return not (isinstance(kernel, gp.PoweredExponential) and kernel.nu > 1.0)


def symbol_min(kernel: gp.Kernel) -> float:
    """``min_w f(w)`` (a lower bound within ~1e-9 for convex kernels, see module notes)."""
    if _convex(kernel):
        k = np.arange(FEJER_TERMS + 2, dtype=np.float64)
        a = kernel(k)
        d2 = a[:-2] - 2.0 * a[1:-1] + a[2:]                     # Delta^2 rho(k) >= 0
        kk = k[:-2] + 1.0

        def f(w, terms=FEJER_TERMS):
            s = np.sin(0.5 * w)
            return float(np.sum(d2[:terms] * np.sin(0.5 * kk[:terms] * w) ** 2) / (s * s))
    else:
        M = int(math.ceil((kernel.ell * 42.0) ** (1.0 / kernel.nu))) + 2
        a = kernel(np.arange(1, M + 1, dtype=np.float64))
        m = np.arange(1, M + 1, dtype=np.float64)

        def f(w, terms=None):
            return float(1.0 + 2.0 * np.sum(a * np.cos(m * w)))
    grid = np.linspace(0.05, np.pi, 64)
    vals = [f(w, 4096) if _convex(kernel) else f(w) for w in grid]
    i = int(np.argmin(vals))
    lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, len(grid) - 1)]
    res = scipy.optimize.minimize_scalar(f, bounds=(lo, hi), method="bounded",
                                         options={"xatol": 1e-10})
    return float(min(res.fun, f(np.pi), f(hi), f(lo)))


def _partial_sum(kernel: gp.Kernel, N: int) -> float:
    """``S(N) = sum_{|m|<N} rho(m)``: the growth law of ``lmax`` for non-summable kernels."""
    return float(1.0 + 2.0 * np.sum(kernel(np.arange(1, N, dtype=np.float64))))


def _theory_exponent(kernel: gp.Kernel, N: int) -> tuple[float, str]:
    """Local exponent ``d log g / d log N`` of the theory's growth law ``g`` at ``N``."""
    if kernel.summable:
        return 0.0, "bounded (sum|rho| finite)"
    if isinstance(kernel, gp.Logarithmic):
        g = lambda n: n / math.log(n) ** kernel.nu  # noqa: E731
        return math.log(g(4 * N) / g(N)) / math.log(4.0), f"N/log(N)^{kernel.nu:g}"
    # S(N) = A N^{1-nu} - B: its local exponent tends to 1 - nu from above, slowly
    # (relative correction ~ N^{-(1-nu)}), so the finite-N law is compared, not its limit
    slope = math.log(_partial_sum(kernel, 4 * N) / _partial_sum(kernel, N)) / math.log(4.0)
    return slope, f"S(N) ~ N^(1-nu), asymptotic exponent 1-nu = {1 - kernel.nu:g}"


@claim("kappa.asymptotics", "2", "growth of lmax(Gamma_N) matches the symbol theory (exponent 0 "
       "when sum|rho| < inf, 1-nu polynomial, N/log(N)^nu logarithmic); lmin(Gamma_N) >= min f, "
       "gap shrinking")
def kappa_asymptotics(cfg: CheckConfig):
    nmax_exp = 16 if cfg.full else 14
    nmax_min = 16 if cfg.full else 14
    for kernel in default_kernels(cfg):
        case = {"family": kernel.family, **kernel.params}
        # --- lmax growth
        Ns = [2**e for e in range(nmax_exp - 2, nmax_exp + 1, 2)]
        lmax = {N: gp.toeplitz.max_eig(kernel.autocovariance(N)) for N in Ns}
        N1, N2 = Ns[-2], Ns[-1]
        slope = math.log(lmax[N2] / lmax[N1]) / math.log(N2 / N1)
        theory, law = _theory_exponent(kernel, N1)
        if kernel.summable:
            maxf = 1.0 + 2.0 * kernel.abs_sum()
            yield Measurement({**case, "N": N2, "quantity": "lmax <= max f"}, lmax[N2], maxf)
        yield Measurement({**case, "N": N2, "quantity": "|lmax exponent - theory|"},
                          abs(slope - theory), EXPONENT_TOL, kind="tolerance",
                          note=f"measured exponent {slope:.4f}, theory {theory:.4f} ({law})")
        # --- lmin -> min f from above
        fmin = symbol_min(kernel)
        Nm = [2**e for e in range(6, nmax_min + 1, 2)]
        gaps = []
        for N in Nm:
            lmin = gp.toeplitz.min_eig(kernel.autocovariance(N))
            gaps.append(lmin - fmin)
            yield Measurement({**case, "N": N, "quantity": "lmin >= min f"}, lmin, fmin, sense=">=")
        yield Measurement({**case, "N": Nm[-1], "quantity": f"gap(N) <= gap({Nm[0]})"},
                          gaps[-1], gaps[0], note="gap = lmin - min f must shrink with N")
