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
certified. Known limitation: on a soft bottom cluster (lowest gaps ~1e-8 ``||T||``) the Ritz
value can stall for one step and move again, and the stop on a stalled value then fires early:
2.1e-12 (7.5e-13 ``||T||``) above ``lmin`` in the case kept as a strict xfail in
tests/toeplitz/test_davidson.py.

Cost per step: ``2 EXPAND`` DSTs (real FFTs of length ``~N``, :class:`.sine.SineTransform`)
and ``EXPAND`` products (two real FFTs of length ``M ~ 2N`` each); set-up: one transform for
``q``, one for the symbol grid and ``BLOCK`` products. :func:`davidson_extremes` computes
both ends from one set-up (the top end's is the bottom's negated in place). One residual
per step and a block of two take about the steps of two residuals and a block of four on
the kernel families (PoweredExponential, Polynomial, Logarithmic at ``N = 2^14-2^22``, both
ends: most counts equal, a few differ by one or two either way) with half the transforms
per step and a smaller space.

Memory, in doubles: ``2 max_space(N) N`` for the basis and its products (``8N`` from
``LARGE_N`` on), ``N`` for the residual, ``4N`` for the transform buffers and ``3N`` for
``q``, the symbol and the sine table: ``16N`` at large ``N``, the caller's ``r`` aside.
Every row runs on the calling thread, so one thread's transform buffers serve the whole
iteration: with ``EXPAND = 1`` only the two rows of the start block could run in
parallel, and a second thread's buffers would cost as much as two rows of the search space
with their products. The linear algebra on the rows (residuals, projections, the Gram
orthonormalisation) is done in place, a column at a time, without temporary rows.
Equivalent dense computation:
``numpy.linalg.eigvalsh(scipy.linalg.toeplitz(r))[0]``.
"""

from __future__ import annotations

import numba as nb
import numpy as np
import scipy.fft
import scipy.linalg

from .fft import embedding_column
from .lengths import embedding_length, fast_sine_length
from .realfft import irfft, rfft
from .sine import SineTransform, rayleigh_quotients, sine_rows
from .threads import Workspace
from .work import count, count_transforms

__all__ = ["davidson_min", "davidson_extremes", "BLOCK", "MAX_SPACE", "LARGE_N",
           "LARGE_MAX_SPACE", "max_space", "MAXIT", "EXPAND", "KRYLOV_AFTER", "KRYLOV_STEPS",
           "KRYLOV_VECTORS", "DENSE_MAX_N"]

#: Ritz pairs followed (the block), largest search space and step limit.
BLOCK = 2
MAX_SPACE = 6
#: Orders from which the search space holds ``LARGE_MAX_SPACE`` rows: there the basis and
#: its products are most of the route's memory (``2 MAX_SPACE N`` doubles), and the kernel
#: families converge in as many steps with four rows as with six (2-9 steps at
#: ``N = 2^18-2^20``, measured), while below it a tight bottom cluster (Logarithmic(8, 0.5)
#: at ``N = 2^14``) needs the larger space to converge before the Krylov fallback.
LARGE_N = 1 << 17
LARGE_MAX_SPACE = 4
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


class _Setup:
    """What the two ends of one spectrum share: the tau preconditioner's eigenvalues ``q``,
    the spectrum ``fc`` of ``T``'s circulant embedding (length ``M``), the sine transform
    and ``||T||``'s estimate, of ``toeplitz(r) / scale`` (``scale`` a power of two that keeps
    every intermediate normal: then the set-up is, bit for bit, that of the copy ``r / scale``
    not made). Both are linear in ``r`` and their round-off is symmetric, so
    :meth:`negate` (in place) gives, bit for bit, the set-up of ``-r``: the top end costs
    no second set-up and no copy of ``-r``."""

    def __init__(self, r: np.ndarray, work: Workspace, scale: float = 1.0):
        n = r.shape[0]
        self.n = n
        self.work = work
        # the preconditioner acts in the sine basis of a slightly longer section of the
        # zero-padded sequence when the basis of order N has no fast transform (any SPD
        # preconditioner keeps Rayleigh-Ritz exact; this one only steers the expansion)
        self.n_pre = fast_sine_length(n)
        self.q = rayleigh_quotients(r, self.n_pre, work)
        self.m = m = embedding_length(n)
        count_transforms(1, m)
        spec = rfft(embedding_column(r, m, work.row("real", m)),
                    out=work.spectrum("complex", m), workers=-1)
        self.fc = np.ascontiguousarray(spec.real)  # a copy: the buffer is the transforms'
        if scale != 1.0:  # a power of two: exact, as if computed from r / scale
            self.q *= 1.0 / scale
            self.fc *= 1.0 / scale
        self.sine = SineTransform(self.n_pre, work)
        self.norm_t = max(float(np.max(np.abs(self.fc))), float(np.max(np.abs(self.q))),
                          np.finfo(float).tiny)

    def negate(self) -> None:
        """Turn this into the set-up of ``-r``, in place."""
        np.negative(self.q, out=self.q)
        np.negative(self.fc, out=self.fc)

    def products(self, X: np.ndarray, out: np.ndarray) -> np.ndarray:
        """Rows ``out_i = T X_i`` by the circulant embedding, one after another in the
        calling thread's buffers (a second thread's would cost ``4N`` doubles, as much as
        two rows of the search space, for the two rows of the start block); each row's
        transforms split among the threads where that keeps the bits (:mod:`.realfft`)."""
        n, m = self.n, self.m
        count_transforms(2 * X.shape[0], m)
        pad = self.work.row("real", m)
        spec = self.work.spectrum("complex", m)
        for x, y in zip(X, out, strict=True):
            pad[:n] = x
            pad[n:] = 0.0
            # one row at a time: its transforms get every thread (same bits, .realfft)
            rfft(pad, out=spec, workers=-1)
            spec *= self.fc
            irfft(spec, m, out=pad, overwrite=True, workers=-1)
            y[:] = pad[:n]
        return out


@nb.njit(nogil=True, cache=True)
def _divide_shifted_numba(x, q, sigma, spread, tiny):  # pragma: no cover - compiled
    """``x /= d`` with ``d = q - sigma`` where positive, else ``|q - sigma| + spread + tiny``
    (the shifted preconditioner's eigenvalues, never stored)."""
    for i in range(x.shape[0]):
        d = q[i] - sigma
        x[i] /= d if d > 0.0 else abs(d) + spread + tiny


def _tau_inverse(R: np.ndarray, setup: _Setup, sigma: float, spread: float) -> np.ndarray:
    """Rows ``R_i <- S diag(1/d) S [R_i, 0]`` in place, truncated to ``R``'s length: the
    shifted tau preconditioner (``d`` of :func:`_divide_shifted_numba`) in the sine basis
    ``S`` of order ``n_pre >= R.shape[1]`` (two DSTs per row)."""
    n = R.shape[1]
    sine = setup.sine
    tiny = np.finfo(np.float64).eps * setup.norm_t
    for row in R:
        x = sine.buffer()
        x[:n] = row
        x[n:] = 0.0
        sine.apply(x)
        _divide_shifted_numba(x, setup.q, sigma, spread, tiny)
        sine.apply(x)
        row[:] = x[:n]
    return R


def _krylov_vectors(setup: _Setup) -> np.ndarray:
    """Lowest Ritz vectors (rows) of a short Lanczos run on ``T``, random start, full
    reorthogonalisation (``KRYLOV_STEPS N`` doubles, only on this fallback)."""
    eps = np.finfo(np.float64).eps
    n, norm_t = setup.n, setup.norm_t
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
        setup.products(Q[i:i + 1], w)
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


@nb.njit(nogil=True, cache=True)
def _smallest_numba(f, few):  # pragma: no cover - compiled
    """Indices of the ``few`` smallest entries of ``f``, ascending (ties: the lower index
    first), by insertion into a sorted list of ``few``: one pass, no temporary of ``f``'s
    length (``argpartition`` makes one)."""
    idx = np.empty(few, np.int64)
    val = np.empty(few)
    size = 0
    for i in range(f.shape[0]):
        x = f[i]
        if size == few and not x < val[few - 1]:
            continue
        j = size if size < few else few - 1
        while j > 0 and x < val[j - 1]:
            if j < few:
                val[j] = val[j - 1]
                idx[j] = idx[j - 1]
            j -= 1
        val[j] = x
        idx[j] = i
        if size < few:
            size += 1
    return idx[:size]


def max_space(n: int) -> int:
    """Rows of the search space at order ``n``: ``MAX_SPACE``, ``LARGE_MAX_SPACE`` from
    ``LARGE_N`` on."""
    return MAX_SPACE if n < LARGE_N else LARGE_MAX_SPACE


def _first_unique(index: np.ndarray, k: int) -> np.ndarray:
    """The first ``k`` distinct entries of ``index``, in order."""
    _, first = np.unique(index, return_index=True)
    return index[np.sort(first)][:k]


def _restart(buf: np.ndarray, s: int, Y: np.ndarray) -> None:
    """``buf[:k] = Y^T buf[:s]`` in place, a block of columns at a time."""
    for j in range(0, buf.shape[1], _RESTART_COLUMNS):
        cols = slice(j, j + _RESTART_COLUMNS)
        buf[:Y.shape[1], cols] = Y.T @ buf[:s, cols]


def _gram_orthonormal(W: np.ndarray, drop: float = 0.0) -> np.ndarray:
    """Orthonormal rows spanning ``W``'s (a few rows of length ``N``) from the eigenvectors of
    the small Gram matrix ``W W^T`` (one pass over ``W``; a Householder QR of the tall
    ``W^T`` costs ten times more at ``N = 2^20``), written in place to ``W``'s leading rows,
    which are returned. Directions with singular value at most ``drop`` times the largest
    are left out."""
    g, Q = np.linalg.eigh(W @ W.T)
    keep = g > max(drop * drop * float(g[-1]), np.finfo(float).tiny)
    C = np.ascontiguousarray((Q[:, keep] / np.sqrt(g[keep])).T)
    _combine_rows_numba(C, W)
    return W[:C.shape[0]]


@nb.njit(nogil=True, cache=True)
def _combine_rows_numba(C, W):  # pragma: no cover - compiled
    """``W[:k] = C W`` in place (``C`` of shape ``(k, rows of W)``, ``k <= rows``), a column
    at a time: no temporary row of length ``N``."""
    k, w = C.shape
    column = np.empty(k)
    for j in range(W.shape[1]):
        for a in range(k):
            acc = 0.0
            for b in range(w):
                acc += C[a, b] * W[b, j]
            column[a] = acc
        for a in range(k):
            W[a, j] = column[a]


@nb.njit(nogil=True, cache=True)
def _subtract_combination_numba(W, C, V):  # pragma: no cover - compiled
    """``W -= C V`` in place, a column at a time."""
    for j in range(W.shape[1]):
        for a in range(W.shape[0]):
            acc = 0.0
            for b in range(V.shape[0]):
                acc += C[a, b] * V[b, j]
            W[a, j] -= acc


@nb.njit(nogil=True, cache=True)
def _residuals_numba(Y, theta, V, AV, R):  # pragma: no cover - compiled
    """``R_a = sum_i Y[i, a] (AV_i - theta_a V_i)`` for the Ritz pairs ``a`` (rows of ``R``),
    as ``(Y^T AV)_a - theta_a (Y^T V)_a``, a column at a time: no temporary row."""
    for j in range(V.shape[1]):
        for a in range(R.shape[0]):
            p = 0.0
            x = 0.0
            for i in range(V.shape[0]):
                p += Y[i, a] * AV[i, j]
                x += Y[i, a] * V[i, j]
            R[a, j] = p - theta[a] * x


def _project_out(W: np.ndarray, V: np.ndarray) -> None:
    """``W -= (W V^T) V`` in place."""
    _subtract_combination_numba(W, np.ascontiguousarray(W @ V.T), V)


def _orthonormal_new(W: np.ndarray, V: np.ndarray, out: np.ndarray) -> np.ndarray | None:
    """Rows of ``W`` made orthonormal to ``V`` and among themselves, copied to the leading
    rows of ``out`` (``W`` is overwritten; neither overlaps ``out``); None if nothing new."""
    for _ in range(2):  # twice is enough (Kahan)
        _project_out(W, V)
    # the Gram matrix squares the singular values: 1e-7 relative keeps what a QR would keep
    # at 1e-10 up to a factor; the second pass restores orthonormality
    W = _gram_orthonormal(W, 1e-7)
    if W.shape[0] == 0:  # the residuals lie in the search space: nothing new to add
        return None
    _project_out(W, V)
    W = _gram_orthonormal(W)
    out[:W.shape[0]] = W
    return out[:W.shape[0]]


def davidson_min(r: np.ndarray, work: Workspace | None = None,
                 scale: float = 1.0) -> float | None:
    """``lmin(toeplitz(r) / scale)`` by block Davidson in the sine basis (module notes); None
    if it does not converge. ``r`` validated float64, not all zero; ``scale`` a power of two
    that brings ``r / scale`` to unit size with every intermediate of ``r``'s own set-up
    normal (:class:`_Setup`; the caller makes the copy ``r / scale`` where that fails).
    ``work`` holds the basis, its products and the transform buffers (a fresh
    :class:`.Workspace` when None)."""
    if r.shape[0] <= DENSE_MAX_N:
        return float(np.linalg.eigvalsh(scipy.linalg.toeplitz(r / scale))[0])
    return _lowest(_Setup(r, Workspace() if work is None else work, scale))


def davidson_extremes(r: np.ndarray, work: Workspace | None = None,
                      scale: float = 1.0) -> tuple[float | None, float | None]:
    """``(lmin, lmax)`` of ``toeplitz(r) / scale``, each by :func:`davidson_min` (None where
    it does not converge), sharing one set-up and one set of buffers: the top end is the
    bottom of ``-T``, whose set-up is the bottom's negated in place (:class:`_Setup`), so
    the pages are touched once and no copy of ``-r`` is made. Same inputs as
    :func:`davidson_min`."""
    if r.shape[0] <= DENSE_MAX_N:
        g = np.linalg.eigvalsh(scipy.linalg.toeplitz(r / scale))
        return float(g[0]), float(g[-1])
    setup = _Setup(r, Workspace() if work is None else work, scale)
    low = _lowest(setup)
    setup.negate()
    top = _lowest(setup)
    return low, (None if top is None else -top)


def _lowest(setup: _Setup) -> float | None:
    """The iteration of :func:`davidson_min` on a set-up (``n > DENSE_MAX_N``).

    At ``N = 2^22`` first touching the basis's pages costs about a second on the machine of
    benchmarks/RESULTS.md, which is why the buffers come from ``setup.work``.
    """
    n, work, norm_t = setup.n, setup.work, setup.norm_t
    eps = np.finfo(np.float64).eps
    k = BLOCK
    # start: the sines of order N nearest in frequency (a_k = pi (k+1)/(N+1)) to the smallest
    # values of the truncated symbol f_{N-1} on the embedding's grid w_j = 2 pi j / M (the
    # bottom eigenvectors concentrate there). The exact q_k of order N would need a real FFT
    # of length 2N + 2, whose large prime factors (N = 2^22: 4194305 = 5 * 838861) cost as
    # much as the whole route.
    order = _smallest_numba(setup.fc, min(8 * k, setup.fc.size))
    index = _first_unique(np.clip(np.rint(order * (2.0 * (n + 1) / setup.m)).astype(np.int64)
                                  - 1, 0, n - 1), k)
    space = max_space(n)
    Vbuf = work.get("basis", space, n)
    AVbuf = work.get("products", space, n)
    # the step's residuals, which the preconditioner overwrites with the expansion (a fresh
    # temporary of length N would cost its page faults, 80 ms at N = 2^22 on that machine)
    Rbuf = work.get("residuals", EXPAND, n)
    s = k
    sine_rows(n, index, n, out=Vbuf[:s])
    for _ in range(2):  # orthonormal to working precision (Rayleigh-Ritz needs it), in place
        g, Q = np.linalg.eigh(Vbuf[:s] @ Vbuf[:s].T)
        _restart(Vbuf, s, Q / np.sqrt(g))
    setup.products(Vbuf[:s], AVbuf[:s])
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
        R = Rbuf[:e]
        _residuals_numba(np.ascontiguousarray(Y[:, :e]), theta[:e], V, AV, R)
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
        W = _tau_inverse(R, setup, sigma, spread)
        if not krylov and step + 1 >= KRYLOV_AFTER:
            W = np.vstack((W, _krylov_vectors(setup)))
            krylov = True
        if s + W.shape[0] > space:
            # thick restart with the previous step's lowest Ritz vectors beside the block's
            # (GD+k): the search directions they carry keep the convergence of an unrestarted
            # space through a tight bottom cluster, where a restart at the block alone
            # stagnates
            C = Y if Y_prev is None else np.hstack((Y, Y_prev))
            Q = scipy.linalg.qr(C, mode="economic")[0]
            Q = Q[:, :min(Q.shape[1], space - W.shape[0])]
            _restart(Vbuf, s, Q)
            _restart(AVbuf, s, Q)
            H = Q.T @ H @ Q
            Y = Q.T @ Y
            s = Q.shape[1]
            V, AV = Vbuf[:s], AVbuf[:s]
        Y_prev = Y[:, :RESTART_PREVIOUS]
        new = _orthonormal_new(W, V, Vbuf[s:])
        if new is None:
            return None
        w = new.shape[0]
        Y_prev = np.vstack((Y_prev, np.zeros((w, Y_prev.shape[1]))))
        setup.products(new, AVbuf[s:s + w])
        V, AV, AW = Vbuf[:s], AVbuf[:s], AVbuf[s:s + w]
        Wn = Vbuf[s:s + w]
        H = np.block([[H, V @ AW.T], [Wn @ AV.T, Wn @ AW.T]])
        s += w
    return None
