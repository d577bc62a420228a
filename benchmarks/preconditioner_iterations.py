"""PCG iterations with Strang's and T. Chan's circulant preconditioners on the score's systems.

``python benchmarks/preconditioner_iterations.py`` prints, for each kernel family and N, the
iterations plain PCG needs to reach a relative residual of ``1e-12`` on
``(s T + h I) x = b`` (``T = toeplitz(r)``, ``s = alpha_t^2 lam``, ``h = sigma_t^2`` at
``t = 0.5`` for the smallest and largest eigenvalue ``lam`` of the goal rows' ``Sigma``, a
random ``b``). Iterations are counted, not timed. The loop is a textbook PCG with the
product through the circulant embedding, independent of :mod:`gpdtheory.toeplitz.rows_pcg`;
only the two circulants' first columns come from the engine.
"""

from __future__ import annotations

import numpy as np

import gpdtheory as gp
from gpdtheory.toeplitz.fft import embedding_column
from gpdtheory.toeplitz.lengths import embedding_length
from gpdtheory.toeplitz.rows_operators import _chan, _strang

FAMILIES = {"PoweredExponential(2, 1)": gp.PoweredExponential(2.0, 1.0),
            "Polynomial(2, 1.5)": gp.Polynomial(2.0, 1.5),
            "Logarithmic(2, 1)": gp.Logarithmic(2.0, 1.0)}
#: Extreme eigenvalues of the goal rows' tridiagonal Sigma (1 +- 0.6 cos), rounded.
SIGMA_EIGENVALUES = (0.4, 1.6)


def pcg_iterations(r: np.ndarray, s: float, h: float, column: np.ndarray, b: np.ndarray,
                   tol: float = 1e-12, maxiter: int = 500) -> int | None:
    """Iterations of PCG on ``(s T + h I) x = b`` preconditioned by ``s C + h I`` (``C`` the
    symmetric circulant with first column ``column``); None if that is not definite or
    the iteration does not converge."""
    n = r.shape[0]
    m = embedding_length(n)
    spectrum = np.fft.rfft(embedding_column(r, m)).real
    lam = s * np.fft.rfft(column).real + h
    if lam.min() <= 0:
        return None

    def product(x: np.ndarray) -> np.ndarray:
        return s * np.fft.irfft(np.fft.rfft(x, m) * spectrum, m)[:n] + h * x

    x = np.zeros(n)
    res = b.copy()
    z = np.fft.irfft(np.fft.rfft(res) / lam, n)
    p = z.copy()
    rz = res @ z
    bnorm = np.linalg.norm(b)
    for it in range(1, maxiter + 1):
        ap = product(p)
        a = rz / (p @ ap)
        x += a * p
        res -= a * ap
        if np.linalg.norm(res) <= tol * bnorm:
            return it
        z = np.fft.irfft(np.fft.rfft(res) / lam, n)
        rz_new = res @ z
        p = z + (rz_new / rz) * p
        rz = rz_new
    return None


def main(exponents=(14, 16, 18), t: float = 0.5) -> None:
    a2 = float(np.exp(-t))
    s2 = 1.0 - a2
    rng = np.random.default_rng(0)
    print("| kernel | N | lam(Sigma) | Strang | T. Chan |")
    print("|---|---|---|---|---|")
    for name, kernel in FAMILIES.items():
        for e in exponents:
            r = kernel.autocovariance(2**e)
            b = rng.standard_normal(r.shape[0])
            for lam in SIGMA_EIGENVALUES:
                its = [pcg_iterations(r, a2 * lam, s2, c(r), b) for c in (_strang, _chan)]
                cells = ["indefinite or no convergence" if i is None else str(i) for i in its]
                print(f"| {name} | 2^{e} | {lam} | {cells[0]} | {cells[1]} |")


if __name__ == "__main__":
    main()
