"""Smallest eigenvalue of a symmetric Toeplitz matrix by block Davidson in the sine basis.

``O(N log N)`` per step, a few steps, ``O(N)`` memory. Bottom (and top) eigenvectors of
``T = toeplitz(r)`` are close to the DST-I vectors ``s_k`` (:mod:`.sine`): the tau algebra,
which they diagonalise, differs from ``T`` by a Hankel matrix whose action on slowly
modulated sines is small. The route

a. computes every Rayleigh quotient ``q_k = s_k^T T s_k`` in one real FFT
   (:func:`.sine.rayleigh_quotients`, the optimal tau preconditioner's eigenvalues), in
   the sine basis of a slightly longer section of the zero-padded sequence when the basis
   of order ``N`` has no fast transform (:func:`.lengths.fast_sine_length`);
b. starts from the ``BLOCK`` sine vectors with the smallest ``q_k``;
c. expands the search space with ``(P - sigma I)^{-1} R``, ``P = S diag(q) S`` (two DSTs),
   ``R`` the residuals ``T x - theta x`` of the ``EXPAND`` lowest Ritz pairs (FFT products),
   ``sigma`` below the block's Ritz values; Rayleigh–Ritz with the exact products on an
   orthonormal basis (the projected matrix is kept and bordered, not recomputed); restarts
   at ``MAX_SPACE`` vectors, in place;
d. when ``KRYLOV_AFTER`` steps have not converged, adds the ``KRYLOV_VECTORS`` lowest Ritz
   vectors of a ``KRYLOV_STEPS``-step Lanczos run from a random start: they carry a well
   separated bottom eigenvalue whose eigenvector is not sine-like (e.g. white-noise ``r``)
   into the space. The correlations of the kernel families converge before that (2-9
   steps at N = 2^14-2^22), so they pay for no Lanczos run.

It stops at the accuracy of the FFT products, ``O(eps ||T||)`` absolute: when the
smallest Ritz value ``theta`` moves by less than ``2 eps max(theta, 1e-3 ||T||)`` in a
step, its residual is at round-off, or ``res^2 / gap`` is below that floor; it returns None
when it does not converge in ``MAXIT`` steps (the caller then takes a Durbin-certified
route). The search space restarts thickly (GD+k): the block's Ritz vectors and the previous
step's lowest ones, which carry the convergence through a tight bottom cluster (slowly
decaying ``r``: width ``1e-11 ||T||`` at N = 2^22). Measured against the Durbin-certified
route on such clusters (N = 2^12-2^14): within ``5 eps ||T||``; the certified route is
accurate relative to ``lmin`` itself, which matters when ``lmin << ||T||``. What it
certifies: ``theta`` is a Rayleigh quotient, so ``lmin <= theta`` up to the round-off of the
FFT products (about ``eps ||T|| log N``); with the unit Ritz vector's residual ``rho``, some
eigenvalue lies in ``[theta - rho, theta + rho]`` (Weyl). That it is the *smallest* is not
certified.

Cost per step: ``2 EXPAND`` DSTs (real FFTs of length ``~N``, :class:`.sine.SineTransform`)
and ``EXPAND`` products (two real FFTs of length ``M ~ 2N`` each); set-up: one transform for
``q``, one for the symbol grid and ``BLOCK`` products. The rows of a multi-row product or
preconditioner run on the engine's threads (:mod:`.threads`): with ``EXPAND = 1`` that is
the start block, each step's single row runs on the calling thread. One residual per step
and a block of two take about the steps of two residuals and a block of four on the kernel
families (PoweredExponential, Polynomial, Logarithmic at ``N = 2^14-2^22``, both ends:
most counts equal, a few differ by one or two either way) with half the transforms per
step and a smaller space. Memory: ``2 MAX_SPACE N`` doubles for the basis and its products, each
transform thread's buffers (``~4N``) and ``O(N)`` vectors (``q``, the symbol, the sine table).
Equivalent dense computation:
``numpy.linalg.eigvalsh(scipy.linalg.toeplitz(r))[0]``.
"""

from __future__ import annotations

from functools import partial

import numba as nb
import numpy as np
import scipy.fft
import scipy.linalg

from .fft import embedding_column
from .lengths import embedding_length, fast_sine_length
from .sine import SineTransform, rayleigh_quotients, sine_rows
from .threads import Workspace, parallel
from .work import count, count_transforms

__all__ = ["davidson_min", "BLOCK", "MAX_SPACE", "MAXIT", "EXPAND", "KRYLOV_AFTER",
           "KRYLOV_STEPS", "KRYLOV_VECTORS", "DENSE_MAX_N"]

#: Ritz pairs followed (the block), largest search space and step limit.
BLOCK = 2
MAX_SPACE = 6
MAXIT = 40
#: Previous Ritz vectors kept at a restart.
RESTART_PREVIOUS = 2
#: Residuals of the lowest Ritz pairs that expand the space each step.
EXPAND = 1
#: Steps without convergence before the Krylov vectors join the space.
KRYLOV_AFTER = 12
#: Lanczos steps of the Krylov vectors and how many of its lowest Ritz vectors join.
KRYLOV_STEPS = 32
KRYLOV_VECTORS = 2
#: Orders up to which the whole space fits in the search space (a dense ``eigvalsh``).
DENSE_MAX_N = 24
#: Columns per block of the in-place restart (bounds its temporary).
_RESTART_COLUMNS = 1 << 16


class _Products:
    """``T x`` for rows ``x`` by the circulant embedding of length ``M``, the rows on the
    engine's threads, each in its thread's buffers of ``work`` (kept for the call: a fresh
    ``(k, 2N)`` temporary per product would cost more in page faults and memory than the
    transforms)."""

    def __init__(self, r: np.ndarray, work: Workspace):
        n = r.shape[0]
        self.n = n
        self.m = m = embedding_length(n)
        self.work = work
        count_transforms(1, m)
        # not a view of the complex spectrum, which is freed
        self.fc = np.ascontiguousarray(np.fft.rfft(embedding_column(r, m)).real)

    def _row(self, x: np.ndarray, out: np.ndarray) -> None:
        n, m = self.n, self.m
        pad = self.work.row("real", m)
        spec = self.work.spectrum("complex", m)
        pad[:n] = x
        pad[n:] = 0.0
        np.fft.rfft(pad, out=spec)
        spec *= self.fc
        np.fft.irfft(spec, m, out=pad)
        out[:] = pad[:n]

    def __call__(self, X: np.ndarray, out: np.ndarray) -> np.ndarray:
        count_transforms(2 * X.shape[0], self.m)
        parallel([partial(self._row, X[i], out[i]) for i in range(X.shape[0])])
        return out


def _tau_inverse(R: np.ndarray, d: np.ndarray, sine: SineTransform,
                 W: np.ndarray) -> np.ndarray:
    """Rows ``W_i = S diag(1/d) S [R_i, 0]``, truncated to ``R``'s length: the tau
    preconditioner in the sine basis ``S`` of order ``len(d) >= R.shape[1]`` (two DSTs per
    row, on the engine's threads). ``W`` may be ``R`` itself."""
    e, n = R.shape

    def row(i: int) -> None:
        x = sine.buffer()
        x[:n] = R[i]
        x[n:] = 0.0
        sine.apply(x)
        x /= d
        sine.apply(x)
        W[i] = x[:n]

    parallel([partial(row, i) for i in range(e)])
    return W


def _krylov_vectors(product: _Products, n: int, norm_t: float) -> np.ndarray:
    """Lowest Ritz vectors (rows) of a short Lanczos run on ``T``, random start, full
    reorthogonalisation (``KRYLOV_STEPS N`` doubles, only on this fallback)."""
    eps = np.finfo(np.float64).eps
    steps = min(KRYLOV_STEPS, n)
    Q = np.zeros((steps, n))
    v = np.random.default_rng(0x5EED).standard_normal(n)
    Q[0] = v / np.linalg.norm(v)
    alpha = np.zeros(steps)
    beta = np.zeros(steps)
    w = np.empty((1, n))
    m = steps
    for i in range(steps):
        count("lanczos_step")
        product(Q[i:i + 1], w)
        alpha[i] = Q[i] @ w[0]
        for _ in range(2):
            w[0] -= Q[:i + 1].T @ (Q[:i + 1] @ w[0])
        b = float(np.linalg.norm(w[0]))
        if i + 1 == steps or b <= eps * norm_t:
            m = i + 1
            break
        beta[i] = b
        Q[i + 1] = w[0] / b
    _, Y = scipy.linalg.eigh_tridiagonal(alpha[:m], beta[:m - 1], select="i",
                                         select_range=(0, min(KRYLOV_VECTORS, m) - 1))
    return Y.T @ Q[:m]


def _first_unique(index: np.ndarray, k: int) -> np.ndarray:
    """The first ``k`` distinct entries of ``index``, in order."""
    _, first = np.unique(index, return_index=True)
    return index[np.sort(first)][:k]


def _restart(buf: np.ndarray, s: int, Y: np.ndarray) -> None:
    """``buf[:k] = Y^T buf[:s]`` in place, a block of columns at a time."""
    for j in range(0, buf.shape[1], _RESTART_COLUMNS):
        cols = slice(j, j + _RESTART_COLUMNS)
        buf[:Y.shape[1], cols] = Y.T @ buf[:s, cols]


def _gram_orthonormal(W: np.ndarray, out: np.ndarray, drop: float = 0.0) -> np.ndarray:
    """Orthonormal rows spanning ``W``'s (a few rows of length ``N``) from the eigenvectors of
    the small Gram matrix ``W W^T`` (BLAS-3, one pass over ``W``; a Householder QR of the
    tall ``W^T`` costs ten times more at ``N = 2^20``), written to the leading rows of
    ``out`` (not overlapping ``W``). Directions with singular value at most ``drop`` times
    the largest are left out."""
    g, Q = np.linalg.eigh(W @ W.T)
    keep = g > max(drop * drop * float(g[-1]), np.finfo(float).tiny)
    C = (Q[:, keep] / np.sqrt(g[keep])).T
    return np.matmul(C, W, out=out[:C.shape[0]])


def _project_out(W: np.ndarray, V: np.ndarray, scratch: np.ndarray) -> None:
    """``W -= (W V^T) V`` in place, through the leading rows of ``scratch``."""
    temp = np.matmul(W @ V.T, V, out=scratch[:W.shape[0]])
    W -= temp


def _orthonormal_new(W: np.ndarray, V: np.ndarray, scratch: np.ndarray,
                     out: np.ndarray) -> np.ndarray | None:
    """Rows of ``W`` made orthonormal to ``V`` and among themselves, written to the leading
    rows of ``out`` (``W`` and ``scratch`` are overwritten; none of the three overlap);
    None if nothing new."""
    for _ in range(2):  # twice is enough (Kahan)
        _project_out(W, V, scratch)
    # the Gram matrix squares the singular values: 1e-7 relative keeps what a QR would keep
    # at 1e-10 up to a factor; the second pass restores orthonormality
    W = _gram_orthonormal(W, scratch, 1e-7)
    if W.shape[0] == 0:  # the residuals lie in the search space: nothing new to add
        return None
    _project_out(W, V, out)
    return _gram_orthonormal(W, out)


@nb.njit(nogil=True, cache=True)
def _shifted_quotients_numba(q, sigma, spread, tiny, out):  # pragma: no cover - compiled
    """``out = q - sigma`` where positive, else ``|q - sigma| + spread + tiny``."""
    for i in range(q.shape[0]):
        x = q[i] - sigma
        out[i] = x if x > 0.0 else abs(x) + spread + tiny


def davidson_min(r: np.ndarray, work: Workspace | None = None) -> float | None:
    """``lmin(toeplitz(r))`` by block Davidson in the sine basis (module notes); None if it
    does not converge. ``r`` validated float64 at unit scale, not all zero. ``work`` holds
    the basis, its products and the transform buffers; a caller that runs several
    eigenvalue problems of one order passes the same one (at ``N = 2^22`` first touching
    the basis's pages costs about a second on the machine of benchmarks/RESULTS.md)."""
    n = r.shape[0]
    if n <= DENSE_MAX_N:
        return float(np.linalg.eigvalsh(scipy.linalg.toeplitz(r))[0])
    eps = np.finfo(np.float64).eps
    k = BLOCK
    # the preconditioner acts in the sine basis of a slightly longer section of the
    # zero-padded sequence when the basis of order N has no fast transform (any SPD
    # preconditioner keeps Rayleigh-Ritz exact; this one only steers the expansion)
    n_pre = fast_sine_length(n)
    work = Workspace() if work is None else work
    # the preconditioner's eigenvalues (fast DST length), r padded with zeros to n_pre
    q = rayleigh_quotients(r, n_pre, work)
    product = _Products(r, work)
    sine = SineTransform(n_pre, work)
    # start: the sines of order N nearest in frequency (a_k = pi (k+1)/(N+1)) to the smallest
    # values of the truncated symbol f_{N-1} on the embedding's grid w_j = 2 pi j / M (the
    # bottom eigenvectors concentrate there). The exact q_k of order N would need a real FFT
    # of length 2N + 2, whose large prime factors (N = 2^22: 4194305 = 5 * 838861) cost as
    # much as the whole route.
    f = product.fc
    few = min(8 * k, f.size)
    order = np.argpartition(f, few - 1)[:few]
    order = order[np.argsort(f[order], kind="stable")]
    index = _first_unique(np.clip(np.rint(order * (2.0 * (n + 1) / product.m)).astype(np.int64)
                                  - 1, 0, n - 1), k)
    norm_t = max(float(np.max(np.abs(f))), float(np.max(np.abs(q))), np.finfo(float).tiny)
    Vbuf = work.get("basis", MAX_SPACE, n)
    AVbuf = work.get("products", MAX_SPACE, n)
    # the step's rows (fresh temporaries of length N would each cost their page faults,
    # 80 ms at N = 2^22 on that machine): the residuals, which the preconditioner overwrites
    # with the expansion, and scratch rows
    Rbuf = work.get("residuals", EXPAND, n)
    dbuf = work.get("shifted quotients", 1, n_pre)[0]
    s = k
    Vbuf[:s] = sine_rows(n, index, n)
    for _ in range(2):  # orthonormal to working precision (Rayleigh-Ritz needs it), in place
        g, Q = np.linalg.eigh(Vbuf[:s] @ Vbuf[:s].T)
        _restart(Vbuf, s, Q / np.sqrt(g))
    product(Vbuf[:s], AVbuf[:s])
    H = Vbuf[:s] @ AVbuf[:s].T
    prev = np.inf
    krylov = False
    Y_prev: np.ndarray | None = None
    for step in range(MAXIT):
        count("davidson_step")
        V, AV = Vbuf[:s], AVbuf[:s]
        theta, Y = np.linalg.eigh(0.5 * (H + H.T))
        theta, Y = theta[:k], Y[:, :k]
        e = min(EXPAND, k)
        R = np.matmul(Y[:, :e].T, AV, out=Rbuf[:e])
        temp = np.matmul(Y[:, :e].T, V, out=work.get("scratch", e, n))
        temp *= theta[:e, None]
        R -= temp
        res = np.sqrt(np.einsum("ij,ij->i", R, R))
        # stop at round-off: a residual at the products' accuracy, a Ritz value that moves
        # by less than half of ``floor`` in a step, or a first-order error estimate
        # res^2 / gap (the gap to the next Ritz value) below ``floor``. ``floor`` scales
        # with ``||T||`` because the FFT products' round-off does; relative to theta alone
        # it would ask a tight bottom cluster (N = 2^22, slowly decaying r: gaps
        # 1e-11 ||T||) for digits the products do not carry, and the iteration would creep
        # until MAXIT
        floor = 4.0 * eps * max(abs(float(theta[0])), 1e-3 * norm_t)
        if (res[0] <= 16.0 * eps * norm_t
                or (res[0] <= np.sqrt(eps) * norm_t
                    and (abs(prev - theta[0]) <= 0.5 * floor
                         or res[0] ** 2 <= floor * max(float(theta[1] - theta[0]),
                                                       eps * norm_t)))):
            return float(theta[0])
        prev = float(theta[0])
        # a shift below the block keeps P - sigma I definite on the wanted end and amplifies
        # the directions of the bottom cluster most
        spread = float(theta[-1] - theta[0])
        sigma = theta[0] - max(spread, 1e-3 * res[0])
        _shifted_quotients_numba(q, sigma, spread, eps * norm_t, dbuf)
        W = _tau_inverse(R, dbuf, sine, R)
        if not krylov and step + 1 >= KRYLOV_AFTER:
            W = np.vstack((W, _krylov_vectors(product, n, norm_t)))
            krylov = True
        if s + W.shape[0] > MAX_SPACE:
            # thick restart with the previous step's lowest Ritz vectors beside the block's
            # (GD+k): the search directions they carry keep the convergence of an unrestarted
            # space through a tight bottom cluster, where a restart at the block alone
            # stagnates
            C = Y if Y_prev is None else np.hstack((Y, Y_prev))
            Q = scipy.linalg.qr(C, mode="economic")[0]
            Q = Q[:, :min(Q.shape[1], MAX_SPACE - W.shape[0])]
            _restart(Vbuf, s, Q)
            _restart(AVbuf, s, Q)
            H = Q.T @ H @ Q
            Y = Q.T @ Y
            s = Q.shape[1]
            V, AV = Vbuf[:s], AVbuf[:s]
        Y_prev = Y[:, :RESTART_PREVIOUS]
        new = _orthonormal_new(W, V, work.get("scratch", W.shape[0], n), Vbuf[s:])
        if new is None:
            return None
        w = new.shape[0]
        Y_prev = np.vstack((Y_prev, np.zeros((w, Y_prev.shape[1]))))
        product(new, AVbuf[s:s + w])
        V, AV, AW = Vbuf[:s], AVbuf[:s], AVbuf[s:s + w]
        Wn = Vbuf[s:s + w]
        H = np.block([[H, V @ AW.T], [Wn @ AV.T, Wn @ AW.T]])
        s += w
    return None
