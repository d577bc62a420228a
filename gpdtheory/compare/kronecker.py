"""Nearest Kronecker products (Van Loan–Pitsianis) and the correlation of their temporal factors.

docs/theory.md §8: a map ``Nd x Nd`` that respects the data's ``Gamma ⊗ Sigma`` structure
is close to a Kronecker product ``A ⊗ B`` with a temporal ``A`` (``N x N``) and a feature
``B`` (``d x d``); the temporal factors of two maps are compared by their correlation.
"""

from __future__ import annotations

import numpy as np

from ..errors import InvalidArgumentError
from ..profiles import correlation
from ..validation import as_real_array, check_positive_int

__all__ = ["nearest_kronecker", "kronecker_correlation"]


def _shape2(shape, name: str) -> tuple[int, int]:
    """A ``(rows, columns)`` pair of positive ints, or a documented error."""
    if not isinstance(shape, (tuple, list)) or len(shape) != 2:
        raise InvalidArgumentError(name, shape, "is not a pair (rows, columns)",
                                   "pass a tuple of two positive ints, e.g. (N, N)")
    return (check_positive_int(shape[0], f"{name}[0]"), check_positive_int(shape[1], f"{name}[1]"))


def nearest_kronecker(M, shape_a: tuple[int, int], shape_b: tuple[int, int]):
    """Van Loan–Pitsianis: ``argmin ||M - A ⊗ B||_F`` over ``A`` of shape_a, ``B`` of shape_b.

    Parameters
    ----------
    M : (m1 m2, n1 n2) array_like
    shape_a : (m1, n1)
    shape_b : (m2, n2)

    Returns
    -------
    A : (m1, n1) ndarray
    B : (m2, n2) ndarray
        Normalised so that ``||B||_F = 1`` and ``trace(B) >= 0`` (the factors are defined
        up to ``(c A) ⊗ (B / c)``).
    residual : float
        ``||M - A ⊗ B||_F / ||M||_F`` (0 exactly when ``M`` is a Kronecker product).

    Notes
    -----
    Rearrange ``M`` into ``R`` with row ``(i, j)`` = ``vec(M block (i, j))``; then
    ``||M - A ⊗ B||_F = ||R - vec(A) vec(B)^T||_F`` and the best rank-one
    approximation (top singular pair) solves it (Van Loan & Pitsianis 1993).

    Examples
    --------
    >>> A0, B0 = np.arange(4.).reshape(2, 2) + 1, np.eye(3) * 2
    >>> A, B, res = nearest_kronecker(np.kron(A0, B0), (2, 2), (3, 3))
    >>> bool(np.allclose(np.kron(A, B), np.kron(A0, B0))) and res < 1e-12
    True
    """
    m1, n1 = _shape2(shape_a, "shape_a")
    m2, n2 = _shape2(shape_b, "shape_b")
    M = as_real_array(M, "M", ndim=2, shape=(m1 * m2, n1 * n2))
    R = M.reshape(m1, m2, n1, n2).transpose(0, 2, 1, 3).reshape(m1 * n1, m2 * n2)
    U, s, Vt = np.linalg.svd(R, full_matrices=False)
    A = (s[0] * U[:, 0]).reshape(m1, n1)
    B = Vt[0].reshape(m2, n2)
    if np.trace(B) < 0 or (np.trace(B) == 0 and B.ravel()[np.argmax(np.abs(B))] < 0):
        A, B = -A, -B
    nm = np.linalg.norm(M)
    res = float(np.linalg.norm(M - np.kron(A, B)) / nm) if nm > 0 else 0.0
    return A, B, res


def kronecker_correlation(M, M_ref, N: int, d: int) -> float:
    """Correlation of the temporal (``N x N``) nearest-Kronecker factors of two maps."""
    N, d = check_positive_int(N, "N"), check_positive_int(d, "d")
    A, _, _ = nearest_kronecker(M, (N, N), (d, d))
    A_ref, _, _ = nearest_kronecker(M_ref, (N, N), (d, d))
    return correlation(A, A_ref)

