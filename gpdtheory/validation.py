"""Argument validation at the public boundary.

Every public function funnels its inputs through these helpers, so that bad input
raises :class:`~gpdtheory.errors.InvalidArgumentError` naming the argument, the
value and the fix, and nothing downstream (Numba functions included) ever sees a
NaN, an infinity, a wrong dtype or a wrong shape.
"""

from __future__ import annotations

import numbers
from fractions import Fraction
from typing import Any

import numpy as np

from .errors import InvalidArgumentError, NotPositiveDefiniteError

__all__ = [
    "as_real_array",
    "check_positive_scalar",
    "check_positive_int",
    "check_nonnegative_int",
    "check_spd",
    "check_spd_eigh",
    "as_rng",
    "check_seed",
    "check_real_scalar",
    "check_torch_module",
    "as_columns",
    "SYMMETRY_RTOL",
]

#: Relative asymmetry ``max|A - A^T| / max|A|`` tolerated in a "symmetric" input.
#: Round-off from forming ``B @ B.T`` in float64 stays near 1e-16; 1e-10 leaves
#: room for user-side arithmetic while catching genuinely non-symmetric input.
SYMMETRY_RTOL = 1e-10


def as_real_array(
    value: Any,
    name: str,
    *,
    ndim: int | None = None,
    min_ndim: int | None = None,
    shape: tuple[int | None, ...] | None = None,
    allow_empty: bool = False,
    allow_bool: bool = True,
) -> np.ndarray:
    """Convert ``value`` to a finite float64 ndarray or raise a clear error.

    Parameters
    ----------
    value : array_like
        Real numbers (bool, int or float dtypes). Complex and object input is refused.
    name : str
        The argument's name, used in the error message.
    ndim, min_ndim : int, optional
        Exact or minimal number of dimensions.
    shape : tuple of (int or None), optional
        Trailing shape to match; ``None`` entries match anything.
    allow_empty : bool
        Whether a zero-size array is acceptable.
    allow_bool : bool
        Whether boolean input is read as 0/1 (refuse it where ``True`` is surely a slip,
        e.g. a diffusion time or a scale).

    Returns
    -------
    (...) ndarray of float64
        A C-contiguous, writeable copy-or-view; the caller must not write into it. A
        read-only input (a spec's frozen ``r``, a memory-mapped file) is copied: the
        compiled kernels' signatures take writeable arrays only.

    Raises
    ------
    InvalidArgumentError
        On complex, non-numeric, empty, wrongly shaped, NaN or infinite input.
    """
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a torch tensor
        value = value.detach().cpu().numpy()
    try:
        arr = np.asarray(value)
    except Exception as exc:  # ragged lists and the like
        raise InvalidArgumentError(name, value, f"cannot be read as an array ({exc})",
                                   "pass a rectangular array of real numbers") from exc
    if np.iscomplexobj(arr):
        raise InvalidArgumentError(name, value, "is complex",
                                   "pass real values (take .real if the imaginary part is zero)")
    if arr.dtype.kind not in "biuf":
        raise InvalidArgumentError(name, value, f"has dtype {arr.dtype}, not a real number type",
                                   "pass a float or integer array")
    if arr.dtype.kind == "b" and not allow_bool:
        raise InvalidArgumentError(name, value, "is a boolean, not a number",
                                   "pass a float")
    arr = np.asarray(arr, dtype=np.float64, order="C")  # keeps 0-d scalars 0-d
    if not arr.flags.writeable:
        arr = arr.copy()
    if ndim is not None and arr.ndim != ndim:
        raise InvalidArgumentError(name, value, f"has {arr.ndim} dimensions, expected {ndim}",
                                   f"pass an array of shape with {ndim} dimensions")
    if min_ndim is not None and arr.ndim < min_ndim:
        raise InvalidArgumentError(
            name, value, f"has {arr.ndim} dimensions, expected at least {min_ndim}",
            "add the missing axes (frames are rows: shape (..., N, d))")
    if shape is not None:
        tail = arr.shape[arr.ndim - len(shape):] if arr.ndim >= len(shape) else None
        ok = tail is not None and all(s is None or s == t for s, t in zip(shape, tail, strict=True))
        if not ok:
            want = "(..., " + ", ".join("*" if s is None else str(s) for s in shape) + ")"
            raise InvalidArgumentError(name, f"array of shape {arr.shape}",
                                       f"has shape {arr.shape}, expected {want}",
                                       f"pass an array of shape {want}")
    if arr.size == 0 and not allow_empty:
        raise InvalidArgumentError(name, f"array of shape {arr.shape}", "is empty",
                                   "pass at least one element")
    if not np.all(np.isfinite(arr)):
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        if arr.ndim == 0:
            raise InvalidArgumentError(name, float(arr), "is not finite", "pass a finite value")
        raise InvalidArgumentError(name, f"array of shape {arr.shape}",
                                   f"contains {bad} NaN or infinite value(s)",
                                   "remove or replace the non-finite entries")
    return arr


def _as_scalar(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, np.floating, np.integer)):
        if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iuf":
            value = value.item()
        else:
            raise InvalidArgumentError(name, value, "is not a real scalar", "pass a float")
    out = float(value)
    if not np.isfinite(out):
        raise InvalidArgumentError(name, value, "is not finite", "pass a finite float")
    return out


def check_real_scalar(value: Any, name: str) -> float:
    """Return ``float(value)`` for a finite real scalar (bool, complex, arrays refused)."""
    return _as_scalar(value, name)


def check_positive_scalar(value: Any, name: str, *, fix: str | None = None,
                          upper: float | None = None) -> float:
    """Return ``float(value)`` if it is finite, ``> 0`` and at most ``upper``.

    Raises
    ------
    InvalidArgumentError
        Otherwise, naming ``name``.
    """
    out = _as_scalar(value, name)
    if out <= 0.0:
        raise InvalidArgumentError(name, value, "must be > 0", fix or "pass a positive float")
    if upper is not None and out > upper:
        raise InvalidArgumentError(name, value, f"must be <= {upper:g}",
                                   fix or f"pass a value in (0, {upper:g}]")
    return out


#: Largest count (N, J, L, steps, n) accepted: an array of 2**40 float64 is 8 TiB, so
#: anything larger can only end in an allocation error deep inside numpy.
INT_MAX = 2**40


def _as_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, np.integer)):
        if isinstance(value, (float, np.floating)) and float(value).is_integer():
            value = int(value)
        else:
            raise InvalidArgumentError(name, value, "is not an integer", "pass an int")
    out = int(value)
    if abs(out) > INT_MAX:
        raise InvalidArgumentError(name, value, f"exceeds {INT_MAX:g} in magnitude",
                                   "pass a count that fits in memory")
    return out


def check_positive_int(value: Any, name: str, *, fix: str | None = None) -> int:
    """Return ``int(value)`` if it is an integer ``>= 1``, else raise."""
    out = _as_int(value, name)
    if out < 1:
        raise InvalidArgumentError(name, value, "must be >= 1", fix or "pass a positive int")
    return out


def check_nonnegative_int(value: Any, name: str, *, fix: str | None = None) -> int:
    """Return ``int(value)`` if it is an integer ``>= 0``, else raise."""
    out = _as_int(value, name)
    if out < 0:
        raise InvalidArgumentError(name, value, "must be >= 0", fix or "pass an int >= 0")
    return out


def as_columns(x: Any, n: int, name: str = "b", allow_empty: bool = False) -> np.ndarray:
    """A right-hand side for an ``N x N`` operator: real float64 of shape ``(N,)`` or ``(N, k)``.

    ``allow_empty`` accepts ``N = 0`` or ``k = 0`` (as ``scipy.linalg.solve_toeplitz`` does).
    """
    arr = as_real_array(x, name, allow_empty=allow_empty)
    if arr.ndim not in (1, 2) or arr.shape[0] != n:
        raise InvalidArgumentError(name, f"array of shape {arr.shape}", f"does not match N = {n}",
                                   "pass shape (N,) or (N, k)")
    return arr


def check_torch_module(model: Any, name: str = "model") -> Any:
    """``model`` if it is a ``torch.nn.Module`` with parameters, else a documented error.

    torch is imported here, not at module level: the numerical core does not need it.
    """
    from ._extras import require

    torch = require("torch", "torch")
    if not isinstance(model, torch.nn.Module) or next(model.parameters(), None) is None:
        raise InvalidArgumentError(name, type(model).__name__,
                                   "is not a torch module with parameters",
                                   "pass a model(X, t) -> score from gpdtheory.models/construct")
    return model


def _symmetrised(matrix: Any, name: str) -> np.ndarray:
    """``(A + A^T) / 2`` of a finite square matrix symmetric to ``SYMMETRY_RTOL``."""
    arr = as_real_array(matrix, name, ndim=2)
    if arr.shape[0] != arr.shape[1]:
        raise InvalidArgumentError(name, f"array of shape {arr.shape}", "is not square",
                                   "pass a (d, d) matrix")
    scale = float(np.max(np.abs(arr))) or 1.0
    asym = float(np.max(np.abs(arr - arr.T))) / scale
    if asym > SYMMETRY_RTOL:
        raise InvalidArgumentError(name, f"array of shape {arr.shape}",
                                   f"is not symmetric (relative asymmetry {asym:.2e})",
                                   "pass (A + A.T) / 2 if the asymmetry is round-off")
    return 0.5 * (arr + arr.T)


#: Largest order decided exactly when the smallest eigenvalue is within round-off of 0
#: (:func:`exactly_positive_definite`: 0.03 s at d = 16, 0.9 s at 32, 26 s at 64 for entries
#: spread over 200 decades); larger matrices in that band are refused.
EXACT_MAX_D = 32


def exactly_positive_definite(sym: np.ndarray) -> bool:
    """Whether the symmetric float64 matrix ``sym``, its entries taken as the exact binary
    fractions they are, is positive definite: every leading principal minor ``> 0``
    (Sylvester), by fraction-free (Bareiss) elimination on integers, so that no step rounds.

    ``O(d^3)`` operations on integers of up to ``d (53 + exponent range)`` bits: meant for
    the matrices whose computed smallest eigenvalue lies within its round-off of 0.
    """
    d = sym.shape[0]
    exact = [[Fraction(float(x)) for x in row] for row in sym]
    common = max(f.denominator for row in exact for f in row)  # a power of two: the lcm
    M = [[int(f * common) for f in row] for row in exact]    # a positive multiple of sym
    prev = 1
    for k in range(d):
        if M[k][k] <= 0:  # the (k+1)-th leading minor of the scaled matrix
            return False
        for i in range(k + 1, d):
            for j in range(k + 1, d):
                M[i][j] = (M[i][j] * M[k][k] - M[i][k] * M[k][j]) // prev
        prev = M[k][k]
    return True


def _check_spectrum(lam: np.ndarray, sym: np.ndarray, name: str,
                    allow_semidefinite: bool) -> None:
    """Raise unless the ascending eigenvalues ``lam`` of ``sym`` are positive.

    A computed eigenvalue of a symmetric matrix is within about ``d eps ||sym||`` of the
    exact one (LAPACK's backward-stable solvers), so its sign decides only beyond that
    band; inside it the exact test :func:`exactly_positive_definite` decides, and the
    verdict does not depend on which LAPACK path or machine computed ``lam``.
    """
    scale = float(np.max(np.abs(sym))) or 1.0
    floor = -1e-14 * scale if allow_semidefinite else 0.0
    if not allow_semidefinite and np.all(np.isfinite(lam)):
        if abs(float(lam[0])) <= _round_off_band(lam, sym.shape[0]):
            if sym.shape[0] <= EXACT_MAX_D and exactly_positive_definite(sym):
                return
            why = ("a leading minor <= 0 in exact arithmetic" if sym.shape[0] <= EXACT_MAX_D
                   else f"undecidable in float64 at d = {sym.shape[0]} > {EXACT_MAX_D}")
            raise NotPositiveDefiniteError(
                name, f"smallest eigenvalue {lam[0]:.3e}, within round-off of 0 (largest "
                f"{lam[-1]:.3e}): {why}", "pass a covariance matrix, e.g. B @ B.T + eps * I")
    if lam[0] <= floor if not allow_semidefinite else lam[0] < floor:
        raise NotPositiveDefiniteError(
            name, f"smallest eigenvalue {lam[0]:.3e} (largest {lam[-1]:.3e})",
            "pass a covariance matrix, e.g. B @ B.T + eps * I")


def check_spd(matrix: Any, name: str, *, allow_semidefinite: bool = False) -> np.ndarray:
    """Validate a symmetric positive definite matrix.

    Parameters
    ----------
    matrix : (d, d) array_like
    name : str
    allow_semidefinite : bool
        Accept a smallest eigenvalue of exactly zero (up to round-off).

    Returns
    -------
    (d, d) ndarray of float64
        The exactly symmetrised matrix ``(A + A^T) / 2``.

    Raises
    ------
    InvalidArgumentError
        Not square, not symmetric to ``SYMMETRY_RTOL``, NaN/inf.
    NotPositiveDefiniteError
        Smallest eigenvalue ``<= 0`` (or ``< 0`` when semidefinite is allowed).
    """
    sym = _symmetrised(matrix, name)
    _check_spectrum(np.linalg.eigvalsh(sym), sym, name, allow_semidefinite)
    return sym


def check_spd_eigh(matrix: Any, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`check_spd` that keeps the eigendecomposition it decides on.

    Returns
    -------
    (sym, lam, U)
        The symmetrised matrix and ``sym = U diag(lam) U^T`` with ``lam`` ascending, for a
        caller that needs the decomposition anyway (one ``eigh`` instead of an
        ``eigvalsh`` for the check and an ``eigh`` later). A matrix accepted by its exact
        minors with a smallest eigenvalue inside float64's round-off band gets its
        decomposition from :func:`_refined_eigh` (extended precision), so ``lam > 0``
        always, each to float64's relative accuracy.

    Raises
    ------
    InvalidArgumentError, NotPositiveDefiniteError
        As :func:`check_spd`.
    """
    sym = _symmetrised(matrix, name)
    lam, U = np.linalg.eigh(sym)
    _check_spectrum(lam, sym, name, False)
    if abs(float(lam[0])) <= _round_off_band(lam, sym.shape[0]):
        # accepted by the exact minors, but float64's eigenvalue (maybe <= 0) is round-off
        lam, U = _refined_eigh(sym, name)
    return sym, lam, U


#: Working precisions (bits) tried by :func:`_refined_eigh`, lowest first.
REFINE_BITS = (128, 256, 512, 1024, 2048, 4096)


def _refined_eigh(sym: np.ndarray, name: str) -> tuple[np.ndarray, np.ndarray]:
    """``eigh`` of an exactly positive definite float64 matrix whose smallest eigenvalue is
    below float64's round-off band, by mpmath's Jacobi ``eigsy`` at rising precision.

    The entries are taken exactly. At ``b`` bits Jacobi is backward stable: each computed
    eigenvalue is within ``c d 2^-b ||sym||_2 <= c d^2 2^-b max|sym_ij|`` of the exact one
    (``c = 16`` taken); the precision rises until that is below ``2^-54`` of the smallest
    eigenvalue, which then rounds to float64 with full relative accuracy (and positive).

    Raises
    ------
    NotPositiveDefiniteError
        If even :data:`REFINE_BITS`' last precision does not resolve the smallest
        eigenvalue (below about ``2^-4000 ||sym||``).
    """
    import mpmath

    d = sym.shape[0]
    top = float(np.max(np.abs(sym)))
    for bits in REFINE_BITS:
        with mpmath.workprec(bits):
            E, Q = mpmath.eigsy(mpmath.matrix(sym.tolist()))
            err = 16 * d * d * mpmath.ldexp(mpmath.mpf(top), -bits)
            order = sorted(range(d), key=lambda i: E[i])
            if E[order[0]] > mpmath.ldexp(err, 54):
                lam = np.array([float(E[i]) for i in order])
                U = np.array([[float(Q[r, i]) for i in order] for r in range(d)])
                return lam, U
    raise NotPositiveDefiniteError(
        name, f"positive definite in exact arithmetic, but its smallest eigenvalue is below "
        f"2^-{REFINE_BITS[-1] - 60} of its largest entry", "pass a covariance matrix, e.g. "
        "B @ B.T + eps * I")


def _round_off_band(lam: np.ndarray, d: int) -> float:
    """``4 d eps max|lam|``: computed eigenvalues of a symmetric matrix lie within about
    ``d eps ||sym||`` of the exact ones (LAPACK's backward-stable solvers)."""
    return 4.0 * d * np.finfo(np.float64).eps * float(np.max(np.abs(lam)))


_SEED_FIX = "pass a non-negative int, a numpy Generator or None"


def check_seed(seed: Any, name: str = "seed") -> Any:
    """Return ``seed`` if numpy accepts it as entropy (``None``, int ``>= 0``, Generator, ...).

    Floats, bools, strings and negative ints are refused: numpy would raise a bare
    ``TypeError``/``ValueError`` deep inside (or, for a float, silently truncate it).

    Raises
    ------
    InvalidArgumentError
        Naming ``name``.
    """
    if seed is None or isinstance(seed, (np.random.Generator, np.random.BitGenerator,
                                         np.random.SeedSequence)):
        return seed
    if isinstance(seed, (bool, np.bool_, float, np.floating, complex, str, bytes)):
        raise InvalidArgumentError(name, seed, f"is a {type(seed).__name__}, not a seed",
                                   _SEED_FIX)
    try:
        np.random.SeedSequence(seed)
    except (TypeError, ValueError) as exc:
        raise InvalidArgumentError(name, seed, f"is not a valid seed ({exc})", _SEED_FIX) from exc
    return seed


def as_rng(seed: Any, name: str = "seed") -> np.random.Generator:
    """``seed`` itself if it is a numpy Generator, else ``np.random.default_rng(seed)``.

    Raises
    ------
    InvalidArgumentError
        ``seed`` is not valid entropy (see :func:`check_seed`).
    """
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(check_seed(seed, name))
