"""PCG iterations of four preconditioners on the score's systems, plain and deflated.

``python benchmarks/preconditioner_iterations.py`` (about two minutes) prints, for each
kernel family and N, the iterations PCG needs to reach a relative residual of ``1e-12`` on
``(s T + h I) x = b`` (``T = toeplitz(r)``, ``s = alpha_t^2 lam``, ``h = sigma_t^2`` at
``t = 0.5`` for the smallest and largest eigenvalue ``lam`` of the goal rows' ``Sigma``, a
random ``b``), with

* three circulants ``s C + h I`` of order ``N`` (Strang's, T. Chan's, R. Chan's
  ``c_j = r_j + r_{N-j}``): 5 transforms of length ``N`` an iteration in the engine's rows
  PCG (two for ``M^{-1} r``, three for the product of the new direction, docs/theory.md
  §2.2 item 5);
* the circulant of order ``2N`` whose leading block is ``T`` (its entry ``N`` is the
  kernel's ``r_N``), restricted: ``M^{-1} = P (s C_{2N} + h I)^{-1} P^T`` with ``P`` the first
  ``N`` rows. ``M`` is the Schur complement of the far block, so ``M <= A`` and the
  outlying eigenvalues of ``M^{-1} A`` are few; an iteration costs 8 transforms of length
  ``N`` (four for ``M^{-1} r``, whose spectrum is not that of ``z``'s zero padding, and
  four for the product).

Beside plain PCG on both ends of ``Sigma``'s spectrum, the column "deflated" is the route of
the engine's recycling: the system at the small end runs first and its Lanczos vectors
(read off the CG coefficients) give the Ritz vectors with ``|log theta| > 1e-3`` (at most
12); deflated PCG (Saad, Yeung, Erhel & Guyomarc'h 2000) then solves the other end. The
last column is what one deflated system costs: its iterations times the transforms of an
iteration. Iterations are counted, not timed. The loops are textbook PCG with dense
``(N, q)`` deflation bases and numpy FFTs, independent of
:mod:`gpdtheory.toeplitz.rows_pcg`; only the circulants' first columns come from the engine.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.linalg

import gpdtheory as gp
from gpdtheory.toeplitz.rows_operators import _chan, _strang

FAMILIES = {"PoweredExponential(2, 1)": gp.PoweredExponential(2.0, 1.0),
            "Polynomial(2, 1.5)": gp.Polynomial(2.0, 1.5),
            "Logarithmic(2, 1)": gp.Logarithmic(2.0, 1.0)}
#: Extreme eigenvalues of the goal rows' tridiagonal Sigma (1 +- 0.6 cos), rounded.
SIGMA_EIGENVALUES = (0.4, 1.6)
#: The engine's recycling rule (gpdtheory.toeplitz.rows_recycle), restated.
MIN_DEVIATION = 1e-3
MAX_VECTORS = 12

Vector = Callable[[np.ndarray], np.ndarray]


def _r_chan(r: np.ndarray) -> np.ndarray:
    c = r.copy()
    c[1:] += r[:0:-1]
    return c


def circulant(column: Callable[[np.ndarray], np.ndarray]
              ) -> Callable[[np.ndarray, float, float], Vector | None]:
    """The preconditioner ``v -> (s C + h I)^{-1} v`` of the circulant with first column
    ``column(r)``; None where ``s C + h I`` is not definite."""
    def build(r_ext: np.ndarray, s: float, h: float) -> Vector | None:
        r = r_ext[:-1]
        n = r.shape[0]
        lam = s * np.fft.rfft(column(r)).real + h
        if lam.min() <= 0:
            return None
        return lambda v: np.fft.irfft(np.fft.rfft(v) / lam, n)
    return build


def embedding(r_ext: np.ndarray, s: float, h: float) -> Vector | None:
    """``v -> P (s C_2N + h I)^{-1} P^T v`` (module notes); None where not definite."""
    n = r_ext.shape[0] - 1
    column = np.concatenate([r_ext, r_ext[-2:0:-1]])           # order 2N, entry N = r_N
    lam = s * np.fft.rfft(column).real + h
    if lam.min() <= 0:
        return None
    return lambda v: np.fft.irfft(np.fft.rfft(v, 2 * n) / lam, 2 * n)[:n]


#: name: (builder, transforms of length N an iteration)
PRECONDITIONERS = {
    "Strang": (circulant(_strang), 5),
    "T. Chan": (circulant(_chan), 5),
    "R. Chan": (circulant(_r_chan), 5),
    "2N embedding, restricted": (embedding, 8),
}


def pcg(product: Vector, precondition: Vector, b: np.ndarray, W: np.ndarray | None = None,
        tol: float = 1e-12, maxiter: int = 500, harvest: bool = False
        ) -> tuple[int | None, np.ndarray | None]:
    """``(iterations, deflation basis)`` of (deflated, with the orthonormal columns ``W``)
    PCG on ``A x = b``; the basis (``harvest``): the Ritz vectors of the run's Lanczos
    process with ``|log theta| > MIN_DEVIATION``, at most ``MAX_VECTORS``, orthonormal."""
    x = np.zeros_like(b)
    if W is not None:
        AW = np.column_stack([product(w) for w in W.T])
        Ginv = np.linalg.inv(W.T @ AW)
        x = W @ (Ginv @ (W.T @ b))
    res = b - product(x)
    z = precondition(res)
    p = z if W is None else z - W @ (Ginv @ (AW.T @ z))
    rz = res @ z
    lanczos, alpha, beta = [z / np.sqrt(rz)], [], []
    bnorm = np.linalg.norm(b)
    iterations = None
    for it in range(1, maxiter + 1):
        ap = product(p)
        a = rz / (p @ ap)
        alpha.append(a)
        x += a * p
        res -= a * ap
        if np.linalg.norm(res) <= tol * bnorm:
            iterations = it
            break
        z = precondition(res)
        rz_new = res @ z
        beta.append(rz_new / rz)
        p = z + beta[-1] * p
        if W is not None:
            p -= W @ (Ginv @ (AW.T @ z))
        rz = rz_new
        lanczos.append((-1) ** it * z / np.sqrt(rz))
    if not harvest or iterations is None or iterations < 2:
        return iterations, None
    a_, b_ = np.asarray(alpha), np.asarray(beta[:len(alpha) - 1])
    diag = 1.0 / a_
    diag[1:] += b_ / a_[:-1]
    theta, Y = scipy.linalg.eigh_tridiagonal(diag, np.sqrt(b_) / a_[:-1])
    spread = np.abs(np.log(theta))
    pick = np.argsort(-spread)[:MAX_VECTORS]
    pick = pick[spread[pick] > MIN_DEVIATION]
    if pick.size == 0:
        return iterations, None
    ritz = np.column_stack(lanczos[:len(alpha)]) @ Y[:, pick]
    U, sv, _ = np.linalg.svd(ritz, full_matrices=False)
    return iterations, U[:, sv > 1e-6 * sv[0]]


def rows(name: str, kernel: gp.Kernel, e: int, t: float, rng: np.random.Generator
         ) -> list[str]:
    """The table's rows for one kernel and ``N = 2^e``."""
    n = 2**e
    r_ext = kernel.autocovariance(n + 1)
    r = r_ext[:-1]
    a2 = float(np.exp(-t))
    h = 1.0 - a2
    m = 2 * n
    spectrum = np.fft.rfft(np.concatenate([r, [0.0], r[:0:-1]])).real

    def product_for(s: float) -> Vector:
        return lambda x: s * np.fft.irfft(np.fft.rfft(x, m) * spectrum, m)[:n] + h * x

    bs = [rng.standard_normal(n) for _ in SIGMA_EIGENVALUES]
    out = []
    for pname, (build, per_iteration) in PRECONDITIONERS.items():
        cells, space = [], None
        for i, lam in enumerate(SIGMA_EIGENVALUES):
            pre = build(r_ext, a2 * lam, h)
            its, basis = (None, None) if pre is None else pcg(
                product_for(a2 * lam), pre, bs[i], harvest=i == 0)
            space = basis if i == 0 else space
            cells.append("indefinite or no convergence" if its is None else str(its))
        lam = SIGMA_EIGENVALUES[-1]
        pre = build(r_ext, a2 * lam, h)
        if space is None or pre is None:
            deflated, vectors, cost = "-", "0", "-"
        else:
            its, _ = pcg(product_for(a2 * lam), pre, bs[-1], W=space)
            deflated = "no convergence" if its is None else str(its)
            vectors = str(space.shape[1])
            cost = "-" if its is None else str(its * per_iteration)
        out.append(f"| {name} | 2^{e} | {pname} | {per_iteration} | {cells[0]} | {cells[1]} | "
                   f"{vectors} | {deflated} | {cost} |")
    return out


def main(exponents=(14, 16, 18), t: float = 0.5) -> None:
    rng = np.random.default_rng(0)
    lo, hi = SIGMA_EIGENVALUES
    print(f"| kernel | N | preconditioner | transforms / iteration | plain, lam {lo} | "
          f"plain, lam {hi} | vectors from lam {lo} | deflated, lam {hi} | "
          "transforms of the deflated system |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, kernel in FAMILIES.items():
        for e in exponents:
            for row in rows(name, kernel, e, t, rng):
                print(row, flush=True)


if __name__ == "__main__":
    main()
