"""Superfast Schur algorithm: every reflection coefficient of ``toeplitz(r)`` in
``O(N log^2 N)``, hence ``log det`` and the positive-definiteness verdict at large N.

The recursion
-------------
Schur's algorithm (the Le Roux–Gueguen form) runs on two sequences, ``alpha`` and ``beta``,
started from ``alpha_j = r_j`` (``j = 0..N-2``) and ``beta_j = r_{j+1}``. Step ``s`` takes

    k_s = beta_0 / alpha_0,
    alpha'_j = alpha_j - k_s beta_j,          beta'_j = beta_{j+1} - k_s alpha_{j+1},

and its pivot ``alpha'_0 = alpha_0 (1 - k_s^2)`` is the ``s``-th prediction error ``e_s`` of
Durbin's recursion (``e_0 = r_0``); ``k_s`` is Durbin's reflection coefficient up to sign,
so ``log det toeplitz(r) = sum_s log e_s`` (docs/theory.md §4.5). In the polynomials
``A(z) = sum alpha_j z^j`` and ``B(z) = sum beta_j z^j`` one step is a product with a
``2 x 2`` matrix of polynomials in ``w = 1/z``:

    [A', B'] = [A, B] M(k_s),      M(k) = [[1, -k w], [-k, w]],

(``B - k A`` has no constant term, so ``B'`` is again a power series). After ``m`` steps
``[A_m, B_m] = [A, B] Theta`` with ``Theta = M(k_1) ... M(k_m)``, entries of degree
``<= m``. Coefficient ``j`` of ``A(z) Theta_11(1/z)`` is ``sum_i alpha_{j+i} Theta_11,i``,
a *correlation*: the middle ``n - m`` coefficients of a product, one real FFT of length
``>= n`` per factor.

Divide and conquer: the first ``h = n/2`` coefficients of a problem of size ``n`` depend
only on ``alpha_{<h}, beta_{<h}``; solve that half, apply its ``Theta_L`` to the whole
``alpha, beta`` (FFT correlations), solve the second half on the result, and return
``Theta_L Theta_R`` (FFT products) when the parent needs it. A product of ``M(k)`` is
``[[p, J_m q], [q, J_m p]]`` with the reversal ``(J_m p)(w) = w^m p(1/w)``, so only its first
column is kept and transformed; the second column's spectra are the first's conjugated
with a phase (:func:`_product`). Each level costs at most 10 real
FFTs of total length ``N``; there are ``log2(N / LEAF)`` levels. Leaves of at most
:data:`LEAF` coefficients run the ``O(n^2)`` recursion compiled. Peak memory: about 13 N
doubles (traced at N = 2^18), mostly the root's generators, the left half's ``Theta`` and
their spectra.

Accuracy
--------
On a positive definite matrix the classical Schur (Bareiss) recursion is weakly stable, its
errors of the order of ``eps kappa`` like those of Durbin's recursion (Bojanczyk, Brent,
de Hoog and Sweet 1995; Cybenko 1980 for Durbin). The FFT products add, at each node, an
error of about ``eps log2(P) (|alpha| + |beta|) |(p, q)|`` (2-norms; ``(p, q)`` the first
column of ``Theta``, the second has the same norm) to the new generator,
whose leading entry is the current pivot ``e_h``; every later pivot, down to the smallest
``e_{N-1}``, is computed from it. :func:`reflection_coefficients` returns the largest
product size over ``e_{N-1}`` as ``growth``: the products' round-off, in units of
``eps log2(P)``, relative to the smallest pivot.
The route answers (:func:`superfast_logdet`) only where no pivot comes near zero and the
products stay small against the pivots; elsewhere Durbin's recursion gives the verdict.
Measured against a 40-digit recursion and against Durbin's: docs/theory.md §4.5.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba as nb
import numpy as np
import scipy.fft

from .realfft import irfft, rfft
from .reflection import RECHECK_BETA, TINY, logdet_from_reflection
from .threads import parallel
from .work import count_transforms

__all__ = ["LEAF", "GROWTH_MAX", "SchurResult", "reflection_coefficients", "superfast_logdet"]

#: Problems of at most this many coefficients run the compiled ``O(n^2)`` recursion
#: (fastest of 64-2048 at N = 2^14-2^22 on the machine of benchmarks/RESULTS.md).
LEAF = 512

#: :func:`superfast_logdet` answers only when every node's products are at most this many
#: times the smallest pivot (``growth``). An FFT product errs by about ``eps log2(P)`` of
#: the product of the factors' 2-norms (``P <= 2^23``), so every generator is then within
#: ``1e6 * 23 eps ~ 5e-9`` of the smallest pivot: the products' round-off cannot change the
#: sign of a pivot the route accepts on a machine that rounds differently. It is no bound
#: on the logdet's error: every pivot also carries the recursion's own ``eps kappa``
#: (docs/theory.md §4.5).
GROWTH_MAX = 1e6


@nb.njit(nb.int64(nb.float64[::1], nb.float64[::1], nb.float64[::1], nb.float64[:, ::1],
                  nb.boolean), cache=True, nogil=True)
def _leaf_numba(alpha, beta, k, theta, need_theta):  # pragma: no cover - compiled
    """``n = k.size`` Schur steps on ``alpha, beta`` (length ``n``, read only).

    Writes ``k`` and, with ``need_theta``, ``theta`` (4, n + 1): the coefficients of
    ``Theta_11, Theta_12, Theta_21, Theta_22`` in ``w``. Returns the first ``i`` whose
    prediction error ``e_i`` (``alpha_0`` before step ``i``) is not positive (NaN-safe),
    or -1. Every update writes a second buffer (no loop-carried dependence, so the loops
    vectorise).
    """
    n = k.shape[0]
    a = alpha.copy()
    b = beta.copy()
    a2 = np.empty(n)
    b2 = np.empty(n)
    t = np.zeros((4, n + 1))
    t2 = np.zeros((4, n + 1))
    t[0, 0] = 1.0
    t[3, 0] = 1.0
    for s in range(n):
        a0 = a[0]
        if not a0 > 0.0:
            return s
        ks = b[0] / a0
        k[s] = ks
        if not (1.0 - ks) * (1.0 + ks) > 0.0:
            return s + 1
        m = n - s - 1
        for j in range(m):
            a2[j] = a[j] - ks * b[j]
        for j in range(m):
            b2[j] = b[j + 1] - ks * a[j + 1]
        a, a2 = a2, a
        b, b2 = b2, b
        if need_theta:
            # Theta M(k): column 1 <- c1 - k c2; column 2 <- w (c2 - k c1)
            for row in range(0, 4, 2):
                c1 = t[row]
                c2 = t[row + 1]
                d1 = t2[row]
                d2 = t2[row + 1]
                for i in range(s + 1):
                    d1[i] = c1[i] - ks * c2[i]
                d2[0] = 0.0
                for i in range(s + 1):
                    d2[i + 1] = c2[i] - ks * c1[i]
            t, t2 = t2, t
    if need_theta:
        theta[:, :] = t
    return -1


@dataclass(frozen=True)
class SchurResult:
    """Reflection coefficients of ``toeplitz(r)`` from :func:`reflection_coefficients`.

    Attributes
    ----------
    k : (N - 1,) ndarray
        ``k_s = beta_0 / alpha_0`` at step ``s``; Durbin's coefficients up to sign.
    failure : int
        The first ``j`` whose prediction error ``e_j`` is not positive, or -1 (Durbin's
        ``first_failure``); ``k`` is valid before it.
    growth : float
        Largest ``(|alpha| + |beta|) |(p, q)|`` (2-norms) over the nodes, divided by
        the smallest prediction error ``e_{N-1}``: the size of the FFT products against the
        smallest pivot their errors can reach (at least 1; 1 when no product ran or a pivot
        is not positive, inf when ``e_{N-1}`` underflows).
    """

    k: np.ndarray
    failure: int
    growth: float

    @property
    def log_last_beta(self) -> float:
        """``log(e_{N-1} / r_0) = sum_s log(1 - k_s^2)``: the smallest normalised prediction
        error (they decrease), ``= -log(r_0 (T^{-1})_{00})``."""
        return float(np.sum(np.log1p(-(self.k * self.k))))


#: Below this transform length the rows of a node are transformed in one batched call on
#: the calling thread (a task on the pool costs more than the transform).
SERIAL_LENGTH = 1 << 14


def _transform_rows(rows: np.ndarray | list[np.ndarray], length: int, inverse: bool
                    ) -> np.ndarray:
    """Real FFTs (``inverse``: inverse real FFTs) of ``rows`` at ``length``, one per row."""
    fft = irfft if inverse else rfft
    count_transforms(len(rows), length)
    if length < SERIAL_LENGTH:
        return fft(np.asarray(rows), length)
    width = length if inverse else length // 2 + 1
    out = np.empty((len(rows), width), np.float64 if inverse else np.complex128)

    def task(i: int):
        def run():
            fft(rows[i], length, out=out[i])
        return run

    parallel([task(i) for i in range(len(rows))])
    return out


@nb.njit(nb.void(nb.complex128[::1], nb.complex128[::1], nb.complex128[::1],
                 nb.complex128[::1]), cache=True, nogil=True)
def _correlate_numba(fa, fb, tp, tq):  # pragma: no cover - compiled
    """In place: ``fa <- fa conj(tp) + fb conj(tq)`` and ``fb <- fa tq + fb tp`` (the
    spectra of ``[A, B] Theta`` before the shifts of :func:`_apply`)."""
    for f in range(fa.shape[0]):
        a = fa[f]
        b = fb[f]
        p = tp[f]
        q = tq[f]
        fa[f] = a * p.conjugate() + b * q.conjugate()
        fb[f] = a * q + b * p


@nb.njit(nb.void(nb.complex128[::1], nb.complex128[::1], nb.complex128[::1],
                 nb.complex128[::1], nb.int64, nb.int64, nb.complex128[::1],
                 nb.complex128[::1]), cache=True, nogil=True)
def _multiply_numba(lp, lq, rp, rq, m, length, out_p, out_q):  # pragma: no cover - compiled
    """Spectra of the first column of ``Theta_L Theta_R`` (see :func:`_product`).

    The phase ``exp(-2 pi i m f / P)`` of the reversal ``J_m`` is advanced by one complex
    product per frequency and re-anchored from ``cos``/``sin`` every 64 (about 64 eps).
    """
    step_angle = -2.0 * np.pi * (m % length) / length
    step = complex(np.cos(step_angle), np.sin(step_angle))
    z = 1.0 + 0.0j
    for f in range(lp.shape[0]):
        if f % 64 == 0:
            angle = -2.0 * np.pi * ((m * f) % length) / length
            z = complex(np.cos(angle), np.sin(angle))
        out_p[f] = lp[f] * rp[f] + z * lq[f].conjugate() * rq[f]
        out_q[f] = lq[f] * rp[f] + z * lp[f].conjugate() * rq[f]
        z *= step


def _spectrum(theta: np.ndarray, degree: int) -> tuple[int, np.ndarray]:
    """Transform length ``P >= degree + 1`` and the spectra of ``theta``'s two rows."""
    P = scipy.fft.next_fast_len(degree + 1, real=True)
    return P, _transform_rows(theta, P, False)


def _apply(alpha: np.ndarray, beta: np.ndarray, P: int, left: np.ndarray, h: int
           ) -> tuple[np.ndarray, np.ndarray]:
    """``[A, B] Theta_L`` after ``h`` steps, coefficients ``0 .. n - h - 1``.

    ``Theta = [[p, J_h q], [q, J_h p]]`` (:func:`_product`). Coefficient ``j`` of
    ``A(z) p(1/z)`` is the cross-correlation ``sum_i alpha_{j+i} p_i``, entry ``j`` of the
    inverse transform of ``alpha_hat conj(p_hat)``; that of ``A(z) (J_h q)(1/z)`` is
    ``sum_i alpha_{j+i} q_{h-i}``, entry ``j + h`` of the convolution ``alpha * q``. At
    length ``P >= n`` neither reads ``alpha`` at or beyond ``n``: nothing wraps around.
    """
    n = alpha.shape[0]
    F = _transform_rows([alpha, beta], P, False)
    _correlate_numba(F[0], F[1], left[0], left[1])
    new = _transform_rows(F, P, True)
    return new[0, :n - h].copy(), new[1, h:n].copy()


def _product(P: int, left: np.ndarray, m: int, right: np.ndarray, degree: int
             ) -> np.ndarray:
    """First column ``[p, q]`` (2, degree + 1) of ``Theta_L Theta_R``, from the spectra of
    ``Theta_L`` (``m`` steps) at ``P``.

    A product of ``M(k)`` has the form ``Theta = [[p, J_m q], [q, J_m p]]`` with
    ``(J_m p)(w) = w^m p(1/w)`` (true of one ``M(k)``; and ``J_{m+m'}(a b) = J_m a J_m' b``
    keeps it under products, docs/theory.md §4.5), so ``p = p_L p_R + (J_m q_L) q_R`` and
    ``q = q_L p_R + (J_m p_L) q_R``; the spectrum of ``J_m q_L`` is
    ``exp(-2 pi i m f / P) conj(q_L_hat)``. Two forward and two inverse transforms.
    """
    R = _transform_rows(right, P, False)
    out = np.empty_like(R)
    _multiply_numba(left[0], left[1], R[0], R[1], m, P, out[0], out[1])
    return _transform_rows(out, P, True)[:, :degree + 1].copy()


class _Run:
    def __init__(self, n: int):
        self.k = np.zeros(n)
        self.failure = -1
        self.size = 0.0

    def node(self, alpha: np.ndarray, beta: np.ndarray, offset: int, need_theta: bool
             ) -> np.ndarray | None:
        """Steps ``offset .. offset + n - 1`` from ``alpha, beta`` (length n); the first
        column of their Theta."""
        n = alpha.shape[0]
        if n <= LEAF:
            theta = np.zeros((4, n + 1))
            fail = _leaf_numba(alpha, beta, self.k[offset:offset + n], theta, need_theta)
            if fail >= 0:
                self.failure = offset + fail
                return None
            return theta[0::2].copy()
        h = n // 2
        left = self.node(alpha[:h], beta[:h], offset, True)
        if left is None:
            return None
        P, spectra = _spectrum(left, n)
        a_new, b_new = _apply(alpha, beta, P, spectra, h)
        pivot = a_new[0]
        if not pivot > 0.0:
            self.failure = offset + h
            return None
        # the second column is the first reversed: the same norms
        size = ((np.linalg.norm(alpha) + np.linalg.norm(beta))
                * np.hypot(np.linalg.norm(left[0]), np.linalg.norm(left[1])))
        self.size = max(self.size, size)
        right = self.node(a_new, b_new, offset + h, need_theta)
        if right is None or not need_theta:
            return right
        return _product(P, spectra, h, right, n)


def reflection_coefficients(r: np.ndarray) -> SchurResult:
    """All ``N - 1`` reflection coefficients of ``toeplitz(r)``, superfast.

    Runs on ``r / r_0`` (entries below :data:`~.reflection.TINY` flushed, as Durbin's
    recursion does), so any scale of ``r`` gives the same coefficients.

    Parameters
    ----------
    r : (N,) float64 ndarray

    Returns
    -------
    SchurResult
        ``failure = 0`` when ``r_0`` is not positive and finite.

    Notes
    -----
    Equivalent to the ``k`` of :func:`.reflection.durbin_core` (with the opposite sign);
    tested against it, against dense ``slogdet`` and against an mpmath recursion.
    """
    n = r.shape[0] - 1
    run = _Run(max(n, 0))
    r0 = float(r[0]) if r.shape[0] else 1.0
    if not (0.0 < r0 < np.inf):
        run.failure = 0
    elif n > 0:
        scaled = r / r0
        scaled[np.abs(scaled) < TINY] = 0.0
        run.node(scaled[:n].copy(), scaled[1:].copy(), 0, False)
    res = SchurResult(run.k, run.failure, 1.0)
    if run.failure < 0 and run.size > 0.0:
        smallest = np.exp(res.log_last_beta)
        growth = max(run.size / smallest, 1.0) if smallest > 0.0 else np.inf
        res = SchurResult(run.k, run.failure, float(growth))
    return res


def superfast_logdet(r: np.ndarray) -> float | None:
    """``log det toeplitz(r)`` by :func:`reflection_coefficients`, or None when the route
    cannot decide.

    None (Durbin's recursion must decide) when a prediction error is not positive, when the
    smallest normalised one ``beta_{N-1} = prod (1 - k_s^2)`` is below
    :data:`~.reflection.RECHECK_BETA` (where two recursions that round differently may
    disagree on the sign), or when the growth exceeds :data:`GROWTH_MAX`. The sum is
    :func:`.reflection.logdet_from_reflection`'s, the one every route uses.
    """
    n = r.shape[0]
    res = reflection_coefficients(r)
    if res.failure >= 0 or not res.growth <= GROWTH_MAX:
        return None
    if not res.log_last_beta >= np.log(RECHECK_BETA):
        return None
    return float(logdet_from_reflection(float(r[0]), res.k, n, n - 1))
