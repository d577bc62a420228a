"""Named tolerances and dense oracles shared by the tests.

Tolerances are justified here once: float64 round-off is ``eps = 2.2e-16``;
backward-stable dense solves reach ``kappa * eps``; the tolerances below leave
about two orders of magnitude of headroom over what was measured.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg

#: Fast score against the dense oracle (issue: 1e-10 relative on every case).
SCORE_RTOL = 1e-10
#: Eigenvalues of well-conditioned symmetric matrices, relative to the largest.
EIG_RTOL = 1e-12


def rel_err(a, b) -> float:
    """``||a - b|| / ||b||`` (absolute when ``b`` is zero)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    nb = np.linalg.norm(b)
    return float(np.linalg.norm(a - b) / (nb if nb > 0 else 1.0))


def dense_score(Gamma, Sigma, X, t, mean=None):
    """Oracle: ``-(alpha^2 Gamma ⊗ Sigma + sigma^2 I)^{-1} vec(X - alpha mu)`` (one sequence)."""
    N, d = X.shape
    a2, s2 = np.exp(-t), 1.0 - np.exp(-t)
    C = a2 * np.kron(Gamma, Sigma) + s2 * np.eye(N * d)
    Y = X if mean is None else X - np.sqrt(a2) * mean
    return -scipy.linalg.solve(C, Y.ravel()).reshape(N, d)


def kms(N: int, r: float) -> np.ndarray:
    """Kac–Murdock–Szegő matrix ``r^{|i-j|}``."""
    return r ** np.abs(np.subtract.outer(np.arange(N), np.arange(N))).astype(float)


def kms_inverse(N: int, r: float) -> np.ndarray:
    """Closed-form tridiagonal inverse of the KMS matrix (``|r| < 1``).

    ``(1 - r^2)^{-1}`` times: diagonal ``1, 1 + r^2, ..., 1 + r^2, 1``; off-diagonal ``-r``.
    """
    if N == 1:
        return np.ones((1, 1))
    main = np.full(N, 1.0 + r * r)
    main[0] = main[-1] = 1.0
    off = np.full(N - 1, -r)
    return (np.diag(main) + np.diag(off, 1) + np.diag(off, -1)) / (1.0 - r * r)


def sylvester_positive_definite(S) -> bool:
    """Oracle: Sylvester's criterion in sympy's rationals, the entries taken as the binary
    fractions they are (for near-singular matrices, whose computed eigenvalues' signs are
    round-off)."""
    import sympy

    M = sympy.Matrix([[sympy.Rational(*float(x).as_integer_ratio()) for x in row] for row in S])
    return all(M[:k, :k].det() > 0 for k in range(1, M.shape[0] + 1))


#: A 2 x 2 covariance the deep fuzz profile drew for ``data.moving_ball``: exactly positive
#: definite (determinant 1.35e-19), but ``eigh`` gives -2.8e-17 for its smallest eigenvalue.
NEAR_SINGULAR_SIGMA = np.array([[float.fromhex(x) for x in row] for row in
                                [["0x1.57de720d121fcp-3", "-0x1.481d5d34eb5f0p-2"],
                                 ["-0x1.481d5d34eb5f0p-2", "0x1.39150e87c1c71p-1"]]])
