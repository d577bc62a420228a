"""The products of the rows-as-systems CG (:mod:`.rows_pcg`): circulant preconditioners
(Strang's, T. Chan's) and the products ``A_k x`` with length-``N`` transforms.

For ``A_k = s_k T + h_k I`` (``T = toeplitz(r)`` SPD) and the circulant ``C`` with real
eigenvalues ``lam`` (one real FFT of its first column), the preconditioner is
``M_k = s_k C + h_k I``. For even ``N`` the product is the circulant embedding of length
``2N`` split into its even and odd bins (:class:`.rows_split.SplitEmbedding`,
docs/theory.md §2.2 item 5): a preconditioned residual ``z = M_k^{-1} r`` and its product
cost 5 transforms of length ``N`` together, the spectrum of ``z`` serving both. For odd
``N`` with Strang's ``C``, ``A_k z = r + s_k (T - C) z``: two corner convolutions of
length ``~N`` (:class:`_StrangCorners`); with T. Chan's, the embedding of length ``~2N``.
Buffers live for one call (:class:`_Workspace`). Equivalent dense computation:
``(s_k toeplitz(r) + h_k I) @ x``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np
import scipy.fft

from ..errors import NotPositiveDefiniteError
from .fft import embedding_column
from .lengths import embedding_length
from .realfft import irfft, rfft
from .rows_numba import (
    _affine_rows,
    _direction_row,
    _directions,
    _divide_spectrum,
    _dot,
    _lower_corner,
    _row_dots,
    _upper_corner,
)
from .rows_recycle import _take
from .rows_split import SplitEmbedding
from .threads import Workspace as _Workspace
from .threads import launch as _launch
from .threads import parallel as _parallel
from .work import count_transforms

__all__ = ["_Workspace", "_StrangCorners", "_Operators", "_strang", "_chan"]

_WORKERS = -1


def _symmetric_circulant_eigenvalues(c: np.ndarray) -> np.ndarray:
    """Eigenvalues (``rfft`` order) of the symmetric circulant with first column ``c``."""
    count_transforms(1, c.shape[0])
    return rfft(c).real


def _strang(r: np.ndarray) -> np.ndarray:
    n = r.shape[0]
    c = r.copy()
    h = n // 2
    if n > 1:
        c[h + 1:] = r[1:n - h][::-1]
    return c


def _chan(r: np.ndarray) -> np.ndarray:
    n = r.shape[0]
    j = np.arange(n)
    return ((n - j) * r + j * np.concatenate(([0.0], r[:0:-1]))) / n


class _StrangCorners:
    """``E = T - C`` for Strang's circulant ``C``, applied in ``O(N log N)`` with length-``N``
    transforms.

    ``C_ij = r_min(|i-j|, N-|i-j|)``, so ``E`` is the Toeplitz matrix with entries
    ``g_m = r_m - r_{N-m}`` for ``|m| = |i - j| > N/2`` and zero elsewhere: two corner
    triangles. With ``p = floor(N/2) + 1`` and ``L = N - p`` (so ``L < p``),

        (E z)[p + a] = sum_{b <= a} g_{p+b} z[a - b]        (a = 0..L-1, lower corner)

    is a causal convolution of ``g[p:]`` with ``z[:L]``, and by persymmetry (``E = J E J``)
    the upper corner is the same convolution of the reversed vector, reversed. Each is one
    real FFT of length ``m >= 2L - 1 ~ N`` instead of the ``2N`` of the full product.
    """

    def __init__(self, r: np.ndarray, work: _Workspace | None = None):
        n = r.shape[0]
        self.n = n
        self.work = _Workspace() if work is None else work
        self.p = n // 2 + 1
        self.L = max(n - self.p, 0)
        self.m = int(scipy.fft.next_fast_len(max(2 * self.L - 1, 1), real=True))
        g = r[self.p:] - r[n - self.p:0:-1] if self.L else np.zeros(0)
        self.fg = rfft(g, self.m)
        count_transforms(1, self.m)

    def _convolve(self, z: np.ndarray) -> np.ndarray:
        """``g[p:] * z`` (causal; entries ``0..L-1`` used) in this thread's buffers."""
        H = self.work.row("padded", self.m)        # entries L.. are never written: stay zero
        H[:self.L] = z
        count_transforms(2, self.m)
        F = rfft(H, out=self.work.spectrum("corner spectrum", self.m))
        F *= self.fg
        return irfft(F, self.m, out=self.work.row("convolution", self.m), overwrite=True)

    def tasks(self, R: np.ndarray, Z: np.ndarray, s: np.ndarray, out: np.ndarray) -> list:
        """Tasks that set ``out_i = R_i + s_i (E z_i)`` for the rows of ``Z``: the lower and
        the upper corner of a row write disjoint parts of ``out_i``, so all ``2k`` are
        independent (``out`` may not alias ``Z``)."""
        n, p, L = self.n, self.p, self.L

        def lower(i: int) -> None:
            Y = self._convolve(Z[i, :L]) if L else Z[i, :0]
            _lower_corner(out[i], R[i], Y, s[i], p, L)

        def upper(i: int) -> None:
            _upper_corner(out[i], R[i], self._convolve(Z[i, :n - L - 1:-1]), s[i], L)

        rows = range(Z.shape[0])
        return [partial(lower, i) for i in rows] + ([partial(upper, i) for i in rows] if L else [])

    def apply(self, R: np.ndarray, Z: np.ndarray, s: np.ndarray, out: np.ndarray) -> np.ndarray:
        """``out_i = R_i + s_i (E z_i)`` for the rows of ``Z``."""
        _parallel(self.tasks(R, Z, s, out))
        return out


class _Operators:
    """The products of one call on a block of systems ``rows``: ``M_k^{-1} r``, ``A_k z``
    for a preconditioned residual (Strang corners) and the exact ``A_k x``. Results are
    views of buffers, valid until the next call of the same method."""

    def __init__(self, r: np.ndarray, s: np.ndarray, h: np.ndarray):
        n = r.shape[0]
        self.r, self.n, self.s, self.h = r, n, s, h
        self.name = "strang"
        lam = _symmetric_circulant_eigenvalues(_strang(r))
        if not np.all(s * lam.min() + h > 0):
            self.name = "chan"
            lam = _symmetric_circulant_eigenvalues(_chan(r))
            if not (np.all(s * lam.min() + h > 0) and np.all(s * lam.max() + h > 0)):
                raise NotPositiveDefiniteError(
                    f"toeplitz(r) (N={n})", "T. Chan's circulant has a non-positive eigenvalue",
                    "check the correlation with gpdtheory.toeplitz.min_eig")
        self.lam = lam
        self.work = _Workspace()
        self.split = SplitEmbedding(r, self.work) if n % 2 == 0 else None
        self.corners = _StrangCorners(r, self.work) \
            if self.name == "strang" and self.split is None else None
        self._fc: np.ndarray | None = None

    def _circulant(self, X: np.ndarray, rows: np.ndarray, inverse: bool,
                   name: str) -> np.ndarray:
        """``M_k^{-1} x`` (``inverse``) or ``M_k x`` for the rows of ``X``."""
        out = self.work.get(name, X.shape[0], self.n)

        def task(i: int) -> None:
            count_transforms(2, self.n)
            F = rfft(X[i], out=self.work.spectrum("spectrum", self.n))
            _divide_spectrum(F, self.lam, self.s[rows[i]], self.h[rows[i]], inverse)
            irfft(F, self.n, out=out[i], overwrite=True)

        _parallel([partial(task, i) for i in range(X.shape[0])])
        return out

    def precondition(self, R: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """``M_k^{-1} r_k``."""
        return self._circulant(R, rows, True, "preconditioned")

    def precondition_and_product(self, R: np.ndarray,
                                 rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(Z, AZ)``: ``z_k = M_k^{-1} r_k`` and ``A_k z_k``. With the split embedding the
        spectrum of ``z_k`` serves both (5 transforms a row); else :meth:`precondition` and
        :meth:`direction`."""
        if self.split is None:
            Z = self.precondition(R, rows)
            return Z, self.direction(R, Z, rows)
        Z = self.work.get("preconditioned", R.shape[0], self.n)
        AZ = self.work.get("product", R.shape[0], self.n)

        def task(i: int) -> None:
            self._solve_and_product(R[i], rows[i], Z[i], AZ[i])

        _parallel([partial(task, i) for i in range(R.shape[0])])
        return Z, AZ

    def _solve_and_product(self, r: np.ndarray, k: int, z: np.ndarray,
                           az: np.ndarray, workers: int = 1) -> None:
        """``z = M_k^{-1} r`` and ``az = A_k z`` by the split embedding, the spectrum of
        ``z`` serving both: 5 transforms of length ``N`` from the calling thread
        (``workers``: :mod:`.realfft`'s, for this one row; the bits do not depend on it)."""
        split, n = self.split, self.n
        assert split is not None
        count_transforms(5, n)
        F = rfft(r, out=self.work.spectrum("spectrum", n), workers=workers)
        G = split.weigh(F, self.lam, self.s[k], self.h[k])
        irfft(F, n, out=z, overwrite=True, workers=workers)
        split.finish(G, z, self.s[k], self.h[k], az, workers)

    def advance(self, R: np.ndarray, P: np.ndarray, AP: np.ndarray, rows: np.ndarray,
                rz_old: np.ndarray, first: bool,
                keep: Callable[[np.ndarray, np.ndarray, float], object] | None = None
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One CG direction update of the systems ``rows`` (rows of the full ``(K, N)``
        state): ``z_k = M_k^{-1} r_k``, ``rz_k = r_k . z_k``, ``beta_k = rz_k / rz_old_k``
        (0 where ``rz_old_k <= 0``), then in place ``p_k = z_k + beta_k p_k`` and
        ``A p_k = A z_k + beta_k A p_k`` (``p_k = z_k`` on the ``first`` step). Returns
        ``(rz, beta, p . Ap)``; ``keep(z, A z, rz)`` sees the first row's ``z`` before the
        update.

        With the split embedding each row runs start to finish on one thread, ``z`` and
        ``A z`` in that thread's two rows: no ``(K, N)`` temporaries, whose fresh pages
        cost more than the transforms that fill them (:class:`.threads.Workspace`). The
        other routes go through :meth:`precondition_and_product`'s block buffers. Either
        way a row's values do not depend on the thread or the block that computes them (its
        sums run in the order of :func:`.rows_numba._dot` and
        :func:`.rows_numba._direction_row`), and the split route gives the bits of
        :meth:`precondition_and_product` followed by the block kernels (tested).
        """
        k = rows.shape[0]
        if self.split is None:
            Rb = _take(R, rows)
            Z, AZ = self.precondition_and_product(Rb, rows)
            rz = _launch(_row_dots, Rb, Z)
            del Rb
            if keep is not None:
                keep(Z[0], AZ[0], float(rz[0]))
            beta = np.where(rz_old > 0, rz / np.where(rz_old > 0, rz_old, 1.0), 0.0)
            return rz, beta, _launch(_directions, Z, AZ, beta, P, AP, rows, first)
        rz, beta, pap = np.empty(k), np.empty(k), np.empty(k)
        n, work = self.n, self.work

        # a lone row (the recycling reference, the last system left) gets every thread
        # for its transforms
        workers = -1 if k == 1 else 1

        def task(i: int) -> None:
            j = rows[i]
            z, az = work.row("preconditioned", n), work.row("product", n)
            self._solve_and_product(R[j], j, z, az, workers)
            rz[i] = _dot(R[j], z)
            if keep is not None and i == 0:
                keep(z, az, float(rz[0]))
            beta[i] = rz[i] / rz_old[i] if rz_old[i] > 0 else 0.0
            pap[i] = _direction_row(z, az, beta[i], P[j], AP[j], first)

        _parallel([partial(task, i) for i in range(k)])
        return rz, beta, pap

    def residuals(self, X: np.ndarray, rows: np.ndarray,
                  rhs: Callable[[int], np.ndarray], R: np.ndarray) -> None:
        """``R[j] = rhs(j) - A_j X[j]`` in place for ``j`` in ``rows`` (rows of the full
        state). With the split embedding one row at a time per thread (4 transforms, the
        product in the thread's row); else by :meth:`exact` on the block."""
        if self.split is None:
            AX = self.exact(_take(X, rows), rows)
            for i, j in enumerate(rows):
                np.subtract(rhs(j), AX[i], out=R[j])
            return
        split, n, work = self.split, self.n, self.work

        workers = -1 if rows.shape[0] == 1 else 1

        def task(j: int) -> None:
            count_transforms(4, n)
            ax = split.product(X[j], self.s[j], self.h[j], work.row("product", n), workers)
            np.subtract(rhs(j), ax, out=R[j])

        _parallel([partial(task, j) for j in rows])

    def direction(self, R: np.ndarray, Z: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """``A_k z_k`` for ``z_k`` with ``M_k z_k = r_k``: ``r_k + s_k E z_k`` (Strang)."""
        if self.corners is None:
            return self.exact(Z, rows)
        return self.corners.apply(R, Z, self.s[rows], self.work.get("product", *Z.shape))

    def exact(self, X: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """``A_k x_k``: for even ``N`` by the split embedding (4 transforms of length ``N`` a
        row); for odd ``N`` ``M_k x + s_k E x`` with Strang's circulant (length-``N``
        transforms), else through the circulant embedding of length ``~2N``."""
        out = self.work.get("product", *X.shape)
        if self.split is not None:
            split, n = self.split, self.n

            def task(i: int) -> None:
                count_transforms(4, n)
                split.product(X[i], self.s[rows[i]], self.h[rows[i]], out[i])

            _parallel([partial(task, i) for i in range(X.shape[0])])
            return out
        if self.corners is None:
            return self._embedded(X, rows, out)
        return self.corners.apply(self._circulant(X, rows, False, "preconditioned"), X,
                                  self.s[rows], out)

    def _embedded(self, X: np.ndarray, rows: np.ndarray, out: np.ndarray) -> np.ndarray:
        m = embedding_length(self.n)
        if self._fc is None:
            self._fc = rfft(embedding_column(self.r, m)).real
            count_transforms(1, m)
        F = rfft(X, m, workers=_WORKERS)
        count_transforms(2 * X.shape[0], m)
        F *= self._fc
        Y = irfft(F, m, workers=_WORKERS, overwrite=True)
        return _launch(_affine_rows, Y, X, self.s[rows], self.h[rows], out)
