"""``A_k x = s_k T x + h_k x`` for even ``N`` with transforms of length ``N`` only: the
circulant embedding of length ``2N`` split into its even and its odd bins.

``T x`` is the leading half of the product with the circulant embedding of order ``2N``
(first column ``c = [r_0 .. r_{N-1}, 0, r_{N-1} .. r_1]``, real eigenvalues ``mu``). Its
even bins are the length-``N`` transform of ``x``; its odd bins are the odd-frequency
transform of ``x`` (:mod:`.oddfft`); the inverse splits the same way, so

    2 T x = irfft(mu_even rfft(x)) + odd_irfft(mu_odd odd_rfft(x)),

and the symbol splits too: ``mu_even`` is the real transform of ``c_j + c_{j+N}`` and
``mu_odd`` the odd-frequency one of ``c_j - c_{j+N}`` (``r_0`` at ``j = 0``,
``r_j +- r_{N-j}`` after). No transform of length ``2N`` at all (docs/theory.md §2.2
item 5). In the CG the spectrum of a preconditioned residual is at hand, so the residual
and its product take 5 transforms of length ``N`` together.

The odd pair runs as one compiled pass around each complex transform of length ``N / 2``:
:func:`.oddfft.twist_numba` before the forward one; :func:`_weigh_numba` between them (the
forward transform's unpacking, the product with ``mu_odd`` and the inverse's packing, one
pair ``(k, N/2 - 1 - k)`` at a time); :func:`_combine_numba` after the inverse one, which
also forms ``out = s (even + odd) / 2 + h x``. Equivalent dense computation:
``(s toeplitz(r) + h I) @ x`` (tests/toeplitz/test_rows_split.py).
"""

from __future__ import annotations

import numba as nb
import numpy as np

from .fourstep import root, roots, shift_of
from .oddfft import odd_rfft, twist_numba
from .realfft import complex_transform, irfft, rfft
from .threads import Workspace
from .work import count_transforms

__all__ = ["SplitEmbedding"]


@nb.njit(nogil=True, cache=True)
def _weigh_numba(V, p, q, coarse, fine, shift):  # pragma: no cover - compiled
    """In place: ``V = DFT_h(v)`` becomes the ``V'`` whose inverse transform, untwisted,
    is ``odd_irfft(mu * odd_rfft(x))``: :mod:`.oddfft`'s split, the product with ``mu``
    and the join, one pair ``(k, j = h - 1 - k)`` at a time. With ``A = (V_k + conj V_j)/2``,
    ``D = (V_k - conj V_j)/2``, ``p = (mu_k + mu_j)/2``, ``q = (mu_k - mu_j)/2`` and
    ``w = w^{2k+1}`` the three collapse to ``V'_k = p V_k + i q (conj(w) A - w D)`` and
    ``V'_j = p V_j + i q conj(conj(w) A + w D)`` (docs/theory.md §2.2 item 5)."""
    h = V.shape[0]
    for k in range(h // 2 + h % 2):
        j = h - 1 - k
        e = 2 * k + 1
        w = root(coarse, fine, shift, e)
        a = V[k]
        b = V[j]
        A = 0.5 * (a + b.conjugate())
        D = 0.5 * (a - b.conjugate())
        wa = w.conjugate() * A
        wd = w * D
        V[k] = p[k] * a + 1j * (q[k] * (wa - wd))
        if j != k:
            V[j] = p[k] * b + 1j * (q[k] * (wa + wd).conjugate())


@nb.njit(nogil=True, cache=True)
def _combine_numba(v, even, x, alpha, beta, out, coarse, fine, shift):  # pragma: no cover
    """``out = alpha (even + odd) + beta x`` with ``odd_{2m} + i odd_{2m+1} = v_m
    conj(w^{2m})``."""
    for m in range(v.shape[0]):
        e = 2 * m
        z = v[m] * root(coarse, fine, shift, e).conjugate()
        out[e] = alpha * (even[e] + z.real) + beta * x[e]
        out[e + 1] = alpha * (even[e + 1] + z.imag) + beta * x[e + 1]


@nb.njit(nogil=True, cache=True)
def _divide_and_weigh(F, lam, s, h, mu, G):  # pragma: no cover - compiled
    """``F /= s lam + h`` (the preconditioner's solve) and ``G = mu F``, one pass."""
    for j in range(F.shape[0]):
        d = s * lam[j] + h
        f = complex(F[j].real / d, F[j].imag / d)   # exact: no complex division
        F[j] = f
        G[j] = mu[j] * f


class SplitEmbedding:
    """The products ``s T x + h x`` of one call for ``T = toeplitz(r)``, ``N`` even.

    Parameters
    ----------
    r : (N,) float64 ndarray
        First column of ``T``.
    work : Workspace
        The call's buffers (one row set per thread).
    """

    def __init__(self, r: np.ndarray, work: Workspace):
        n = r.shape[0]
        self.n, self.work = n, work
        mirrored = np.concatenate(([0.0], r[:0:-1]))
        self.even = rfft(r + mirrored).real
        odd = odd_rfft(r - mirrored).real
        count_transforms(2, n)
        pairs = odd.shape[0] // 2 + odd.shape[0] % 2
        self.p = 0.5 * (odd[:pairs] + odd[::-1][:pairs])
        self.q = 0.5 * (odd[:pairs] - odd[::-1][:pairs])
        self.coarse, self.fine = roots(2 * n, n)
        self.shift = shift_of(self.fine)

    def weigh(self, F: np.ndarray, lam: np.ndarray, s: float, h: float) -> np.ndarray:
        """``F /= s lam + h`` in place and return this thread's ``mu_even F``."""
        G = self.work.spectrum("even bins", self.n)
        _divide_and_weigh(F, lam, s, h, self.even, G)
        return G

    def finish(self, G: np.ndarray, x: np.ndarray, s: float, h: float,
               out: np.ndarray, workers: int = 1) -> np.ndarray:
        """``out = s T x + h x`` from ``G = mu_even rfft(x)`` (scratch: consumed); 3
        transforms of length ``N`` (``workers``: :mod:`.realfft`'s, for this one row)."""
        n, work, half = self.n, self.work, self.n // 2
        even = irfft(G, n, out=work.row("even part", n), overwrite=True, workers=workers)
        v = work.row("odd twisted", half, np.complex128)
        V = work.row("odd bins", half, np.complex128)
        twist_numba(x, v, self.coarse, self.fine, self.shift)
        complex_transform(v, V, forward=True, workers=workers)
        _weigh_numba(V, self.p, self.q, self.coarse, self.fine, self.shift)
        complex_transform(V, v, forward=False, workers=workers)
        _combine_numba(v, even, x, 0.5 * s, h, out, self.coarse, self.fine, self.shift)
        return out

    def product(self, x: np.ndarray, s: float, h: float, out: np.ndarray,
                workers: int = 1) -> np.ndarray:
        """``out = s T x + h x``: 4 transforms of length ``N``."""
        G = rfft(x, out=self.work.spectrum("even bins", self.n), workers=workers)
        G *= self.even
        return self.finish(G, x, s, h, out, workers)
