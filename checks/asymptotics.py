"""Claim ``kappa.asymptotics``: how ``lmax(Gamma_N)`` and ``lmin(Gamma_N)`` move with N.

This answers the paper's first open question (how ``kappa_t0`` grows with N, docs/theory.md
§2: ``kappa_t <= 1 + lmax(Gamma) lmax(Sigma) / (e^t - 1)``) with the Toeplitz
engine (``gpdtheory.toeplitz.max_eig``/``min_eig``, exact to ~1e-15 relative).

Symbol theory (Szegő; docs/theory.md §1), ``f(w) = sum_m rho(m) e^{imw}``:

* ``sum |rho| < inf``: ``lmax(Gamma_N) <= max f = 1 + 2 sum_{m>=1} rho(m)`` for every N,
  so the growth exponent tends to 0;
* non-summable, positive and decreasing ``rho``: ``lmax(Gamma_N)`` grows like the partial
  sum ``S(N) = sum_{|m|<N} rho(m)``, whose exponent tends to ``1 - nu`` (polynomial,
  ``nu < 1``) or 1 (logarithmic, ``N / log(N)^nu``), but slowly: for ``nu = 0.8`` the local
  exponent at ``N = 2^14`` is still 0.25, not 0.2;
* ``lmin(Gamma_N) >= min f`` for every N, and ``lmin(Gamma_N) -> min f``.

**The finite-N prediction, two-sided and rigorous.** For every N,

    R(N) = 1^T Gamma_N 1 / N  <=  lmax(Gamma_N)  <=  G(N) = max_i sum_j |rho(i - j)|,

the Rayleigh quotient of the all-ones vector below and Gershgorin's largest absolute row
sum (the middle row, for decreasing ``|rho|``) above. Both are sums of ``rho``, computed
without any eigenvalue. So the measured local exponent
``s = log(lmax(N2)/lmax(N1)) / log(N2/N1)`` must lie in
``[log(R(N2)/G(N1)), log(G(N2)/R(N1))] / log(N2/N1)``. For slowly decaying kernels the
two sums are within 2-6% of ``lmax`` at ``N = 2^12``, so the interval is narrow (0.22-0.30
for ``Polynomial(2, 0.8)``, 0.86-0.89 for ``Logarithmic(1, 1)``) and excludes a flat
``lmax``; for summable kernels it shrinks to ``O(1/N)`` around 0. The asymptotic exponent
(``1 - nu``, 1 or 0) is reported beside it as an informational row: at these N the finite-N
interval can exclude it, which is the slow convergence, not a failure.

Rows per kernel: ``lmax <= max f`` at the largest N (summable); the measured exponent
against both ends of its interval; the asymptotic exponent (informational); ``lmin >= min
f`` at every N; and the gap ``lmin - min f`` at the largest N against the gap at the
smallest (it must shrink).

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

from .cases import default_kernels
from .table import CheckConfig, Measurement, claim

#: Terms of the Fejér-form symbol sum.
FEJER_TERMS = 2**18
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


def rayleigh_ones(r: np.ndarray) -> float:
    """``1^T T 1 / N`` for the symmetric Toeplitz ``T`` of first column ``r``: a lower bound
    on ``lmax(T)``, ``r_0 + (2/N) sum_{m>=1} (N - m) r_m``."""
    N = r.size
    m = np.arange(1, N, dtype=np.float64)
    return float(r[0] + 2.0 * np.sum((N - m) * r[1:]) / N)


def gershgorin_max(r: np.ndarray) -> float:
    """Largest absolute row sum of the symmetric Toeplitz ``T``: an upper bound on ``lmax(T)``."""
    c = np.cumsum(np.abs(r))
    return float(np.max(c + c[::-1] - abs(r[0])))


def asymptotic_exponent(kernel: gp.Kernel) -> tuple[float, str]:
    """The limit of the local growth exponent of ``lmax(Gamma_N)``, and its law."""
    if kernel.summable:
        return 0.0, "bounded (sum|rho| finite)"
    if isinstance(kernel, gp.Logarithmic):
        return 1.0, f"N/log(N)^{kernel.nu:g}"
    return 1.0 - kernel.nu, f"N^(1-nu), 1-nu = {1 - kernel.nu:g}"


@claim("kappa.asymptotics", "2", "the growth exponent of lmax(Gamma_N) lies in the finite-N "
       "interval from R(N) <= lmax <= G(N) (Rayleigh quotient of 1, Gershgorin); asymptotic "
       "exponent 0 / 1-nu / 1 reported; lmin(Gamma_N) >= min f, gap shrinking")
def kappa_asymptotics(cfg: CheckConfig):
    """Growth of ``lmax(Gamma_N)`` and ``lmin(Gamma_N)`` with N (docs/theory.md §1-2).

    measured: extreme eigenvalues from the Toeplitz engine (``max_eig``, ``min_eig``) and
    the local exponent of ``lmax`` between two N. bound: sums of ``rho`` only, with no
    eigenvalue: the Rayleigh quotient of the all-ones vector and Gershgorin's row sum
    (each ``lmax(Gamma_N)`` and the exponent's interval), ``max f = 1 + 2 sum rho`` and the
    symbol's minimum. None of these bounds is attained for the kernels of the grid (their
    ``rho`` is not constant), so no row has a round-off allowance.
    """
    nmax_exp = 16 if cfg.full else 14
    nmax_min = 16 if cfg.full else 14
    for kernel in default_kernels(cfg):
        case = {"family": kernel.family, **kernel.params}
        # --- lmax growth
        Ns = [2**e for e in range(nmax_exp - 2, nmax_exp + 1, 2)]
        lmax = {N: gp.toeplitz.max_eig(kernel.autocovariance(N)) for N in Ns}
        N1, N2 = Ns[-2], Ns[-1]
        slope = math.log(lmax[N2] / lmax[N1]) / math.log(N2 / N1)
        r1, r2 = kernel.autocovariance(N1), kernel.autocovariance(N2)
        lo = math.log(rayleigh_ones(r2) / gershgorin_max(r1)) / math.log(N2 / N1)
        hi = math.log(gershgorin_max(r2) / rayleigh_ones(r1)) / math.log(N2 / N1)
        for N in Ns:  # each lmax inside its own bracket (sums of rho, no eigenvalue)
            rN = kernel.autocovariance(N)
            yield Measurement({**case, "N": N, "quantity": "lmax >= Rayleigh 1^T G 1 / N"},
                              lmax[N], rayleigh_ones(rN), sense=">=")
            yield Measurement({**case, "N": N, "quantity": "lmax <= Gershgorin row sum"},
                              lmax[N], gershgorin_max(rN))
        if kernel.summable:
            maxf = 1.0 + 2.0 * kernel.abs_sum()
            yield Measurement({**case, "N": N2, "quantity": "lmax <= max f"}, lmax[N2], maxf)
        span = {**case, "N1": N1, "N2": N2}
        yield Measurement({**span, "quantity": "lmax exponent >= lower (Rayleigh/Gershgorin)"},
                          slope, lo, sense=">=", note=f"finite-N interval [{lo:.4f}, {hi:.4f}]")
        yield Measurement({**span, "quantity": "lmax exponent <= upper (Gershgorin/Rayleigh)"},
                          slope, hi, note=f"finite-N interval [{lo:.4f}, {hi:.4f}]")
        limit, law = asymptotic_exponent(kernel)
        yield Measurement({**span, "quantity": "lmax exponent (asymptotic law, info)",
                           "asymptotic": limit}, slope, math.nan, kind="info",
                          note=f"asymptotic exponent {limit:g} ({law}); finite-N interval "
                          f"[{lo:.4f}, {hi:.4f}]")
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
