"""The theory's formulas from the statement's own inputs: the claims' independent side.

A claim's bound must not come from the code it checks. This module recomputes what the
statements of docs/theory.md name (the kernel ``rho``, ``N``, ``Sigma``, ``t``, ``J``, ``L``
and the truncation rule as documented) with plain dense numpy and scipy, never through
:mod:`gpdtheory`'s truncation, bounds, GD or score routines:

* :func:`truncated_column`: ``Gamma_bar``'s first column by the rules of §3 and §4.4, with
  the shift's ``delta = max(0, -min f_J)`` from a grid and bounded Brent refinement (the
  library uses Chebyshev critical points);
* :func:`theorem_s_constants`: every constant of Lemma GD, Lemma TR and Theorem S from dense
  ``eigvalsh`` of ``toeplitz(r)``, ``toeplitz(r_bar)`` and ``Sigma``;
* :func:`gd_reference`: the GD iterates of §3 as dense matrix powers in the eigenbasis of
  ``C_bar_t`` (the library iterates band sums);
* :func:`marginal_covariance_dense`: ``C_t = e^-t Gamma ⊗ Sigma + (1 - e^-t) I`` as a dense
  Kronecker product, for the score oracle.

Only the kernel's values ``rho(0..N-1)`` (the user's input) are read from the kernel object.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.linalg
import scipy.optimize

__all__ = ["rho_column", "truncated_column", "symbol_minimum_reference", "TheoremS",
           "theorem_s_constants", "power_of_rate", "gd_reference", "marginal_covariance_dense",
           "tail_sum", "abs_row_sum", "abs_norm", "head_coefficients"]


def rho_column(kernel, N: int) -> np.ndarray:
    """``rho(0), ..., rho(N - 1)``: the statement's input, read from the kernel (float64)."""
    return np.asarray(kernel.autocovariance(N), dtype=np.float64).copy()


def tail_sum(r: np.ndarray, J: int) -> float:
    """``tau_J = 2 sum_{m=J+1}^{N-1} |r[m]|`` (Lemma TR), by compensated summation."""
    return 2.0 * math.fsum(abs(float(x)) for x in r[J + 1:])


def abs_row_sum(r: np.ndarray) -> float:
    """``|r_0| + 2 sum_{m>=1} |r_m|``: bounds every row sum of ``|toeplitz(r)|``, hence
    ``|| |toeplitz(r)| ||_2`` and the norm of the symmetric Toeplitz matrix (Gershgorin)."""
    return abs(float(r[0])) + tail_sum(r, 0)


def abs_norm(A: np.ndarray) -> float:
    """``|| |A| ||_2``, the spectral norm of the entrywise absolute value."""
    return float(np.linalg.norm(np.abs(np.asarray(A, dtype=np.float64)), 2))


def _symbol(c: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``f_J(w) = c_0 + 2 sum_{m>=1} c_m cos(m w)`` as a plain cosine sum."""
    m = np.arange(1, c.size)
    return c[0] + 2.0 * (np.cos(np.multiply.outer(w, m)) @ c[1:])


def symbol_minimum_reference(r: np.ndarray, J: int) -> float:
    """``min_{w in [0, pi]} f_J(w)`` from ``64 (J + 1)`` grid cells and Brent refinement.

    An independent route to :func:`gpdtheory.truncation.symbol_minimum`: the best grid
    points are refined by :func:`scipy.optimize.minimize_scalar` on their neighbouring
    cells; the value is exact at the point found, so it is an upper bound on the minimum,
    accurate to second order in the location error.
    """
    c = np.asarray(r[: J + 1], dtype=np.float64)
    if J == 0:
        return float(c[0])
    n = 64 * (J + 1)
    w = np.linspace(0.0, np.pi, n + 1)
    f = _symbol(c, w)
    best = float(f.min())
    h = np.pi / n
    for i in np.argsort(f)[:6]:
        lo, hi = max(0.0, w[i] - h), min(np.pi, w[i] + h)
        res = scipy.optimize.minimize_scalar(lambda x: float(_symbol(c, np.array([x]))[0]),
                                             bounds=(lo, hi), method="bounded",
                                             options={"xatol": 1e-12})
        best = min(best, float(res.fun))
    return best


def truncated_column(r: np.ndarray, J: int, method: str) -> np.ndarray:
    """First column of ``Gamma_bar`` by the documented rule (docs/theory.md §3, §4.4).

    ``hard``: ``r[m]`` for ``m <= J``, else 0; ``taper``: ``r[m] max(0, 1 - m/(J+1))``;
    ``shift``: hard plus ``max(0, -min_w f_J(w))`` on ``r[0]``.
    """
    m = np.arange(r.size)
    if method == "hard":
        return np.where(m <= J, r, 0.0)
    if method == "taper":
        return r * np.clip(1.0 - m / (J + 1.0), 0.0, None)
    if method == "shift":
        out = np.where(m <= J, r, 0.0)
        out[0] += max(0.0, -symbol_minimum_reference(out, min(J, r.size - 1)))
        return out
    raise ValueError(f"unknown truncation {method!r}")


@dataclass(frozen=True)
class TheoremS:
    """The constants of Lemma GD, Lemma TR and Theorem S (docs/theory.md §3), recomputed.

    ``tau = |d_0| + 2 sum |d_m|`` for ``d = r - r_bar`` (for the hard truncation this is
    ``tau_J``); ``gd_factor = (1 - mu_bar/Lambda)^L``; ``tr_factor = alpha^2 tau ||Sigma|| /
    mu_t``; ``factor = gd_factor + tr_factor``; ``x_factor = factor / mu_bar``.
    """

    alpha2: float
    sigma2: float
    Lambda: float
    eta: float
    mu_bar: float
    mu: float
    lmax_c_bar: float
    lmax_c: float
    rate: float
    gd_factor: float
    tau: float
    tr_factor: float
    factor: float
    x_factor: float
    r_bar: np.ndarray


def power_of_rate(x: float, L: int) -> float:
    """``(1 - x)^L`` as ``exp(L log1p(-x))`` (accurate for small x); ``inf`` when x <= 0."""
    if x <= 0.0:
        return math.inf
    if x >= 1.0:  # one step lands on the minimiser (C_bar_t = Lambda I)
        return 0.0 if L > 0 else 1.0
    return math.exp(L * math.log1p(-x))


def theorem_s_constants(r: np.ndarray, Sigma: np.ndarray, t: float, J: int, L: int,
                        method: str) -> TheoremS:
    """Theorem S's constants from ``r = rho(0..N-1)``, ``Sigma``, ``t``, ``J``, ``L`` (dense)."""
    a2, s2 = math.exp(-t), -math.expm1(-t)
    r_bar = truncated_column(r, min(J, r.size - 1), method)
    g_bar = np.linalg.eigvalsh(scipy.linalg.toeplitz(r_bar))
    g = np.linalg.eigvalsh(scipy.linalg.toeplitz(r))
    lam = np.linalg.eigvalsh(np.asarray(Sigma, dtype=np.float64))
    Lambda = max(1.0, float(g_bar[-1] * lam[-1]))
    mu_bar = s2 + a2 * min(g_bar[0] * lam[0], g_bar[0] * lam[-1])
    mu = s2 + a2 * min(g[0] * lam[0], g[0] * lam[-1])
    d = r - r_bar
    tau = abs_row_sum(d)
    rate = 1.0 - mu_bar / Lambda
    gd = power_of_rate(mu_bar / Lambda, L)
    tr = a2 * tau * float(lam[-1]) / mu
    return TheoremS(a2, s2, Lambda, 1.0 / Lambda, float(mu_bar), float(mu),
                    s2 + a2 * max(g_bar[-1] * lam[-1], g_bar[0] * lam[0]),
                    s2 + a2 * max(g[-1] * lam[-1], g[0] * lam[0]), rate, gd, tau, tr, gd + tr,
                    (gd + tr) / mu_bar if mu_bar > 0 else math.inf, r_bar)


def gd_reference(r_bar: np.ndarray, Sigma: np.ndarray, X: np.ndarray, t: float,
                 steps: list[int]) -> dict[int, np.ndarray]:
    """GD iterates ``Y_k`` of §3 (``Y_0 = 0``, ``eta = 1/Lambda``) for ``k`` in ``steps``.

    Closed form in the eigenbasis of ``C_bar_t = alpha^2 Gamma_bar ⊗ Sigma + sigma^2 I``:
    ``vec Y_k = V diag((1 - (1 - eta c)^k) / c) V^T vec X`` (dense, small ``N d``), a
    different computation from the library's band-sum iteration.

    Parameters
    ----------
    X : (B, N, d) ndarray
        Centred inputs (``X - alpha_t mu``).
    """
    a2, s2 = math.exp(-t), -math.expm1(-t)
    Sigma = np.asarray(Sigma, dtype=np.float64)
    g = np.linalg.eigvalsh(scipy.linalg.toeplitz(r_bar))
    Lambda = max(1.0, float(g[-1] * np.linalg.eigvalsh(Sigma)[-1]))
    n = r_bar.size * Sigma.shape[0]
    C = a2 * np.kron(scipy.linalg.toeplitz(r_bar), Sigma) + s2 * np.eye(n)
    c, V = np.linalg.eigh(C)
    x = X.reshape(X.shape[0], n) @ V
    out = {}
    for k in steps:
        # (1 - (1 - eta c)^k) / c = -expm1(k log1p(-eta c)) / c, accurate for small eta c
        with np.errstate(divide="ignore", invalid="ignore"):
            f = np.where(c != 0.0, -np.expm1(k * np.log1p(-c / Lambda)) / c, k / Lambda)
        out[k] = ((x * f) @ V.T).reshape(X.shape)
    return out


def marginal_covariance_dense(r: np.ndarray, Sigma: np.ndarray, t: float) -> np.ndarray:
    """``C_t = e^{-t} toeplitz(r) ⊗ Sigma + (1 - e^{-t}) I`` as a dense matrix."""
    n = r.size * np.asarray(Sigma).shape[0]
    return math.exp(-t) * np.kron(scipy.linalg.toeplitz(r), Sigma) - math.expm1(-t) * np.eye(n)


def head_coefficients(r_bar: np.ndarray, J: int) -> np.ndarray:
    """The construction's head coefficients ``s_m`` (docs/theory.md §5.2), recomputed.

    Solves ``sum_{m=k}^{J} s_m (c_k - c_{m+1}) = r_bar[k]``, ``c_m = cos(m pi / N)``, by
    back substitution on the dense upper-triangular matrix of cosine differences.
    """
    N = r_bar.size
    c = np.cos(np.arange(N + 1) * np.pi / N)
    k = np.arange(J + 1)
    A = np.maximum(c[k][:, None] - c[k + 1][None, :], 0.0) * (k[None, :] >= k[:, None])
    return scipy.linalg.solve_triangular(A, r_bar[: J + 1], lower=False)
