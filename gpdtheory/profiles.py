"""Lag profiles and how two of them are compared (docs/theory.md §§3.2 and 8).

The one home of the small operations that every comparison of attention, kernels and
temporal decay uses (:mod:`gpdtheory.compare`, :mod:`gpdtheory.compare_models`,
:mod:`gpdtheory.video`, the claims):

- :func:`lag_profile`: a matrix ``K`` ``(..., N, N)`` averaged along its diagonals,
  ``p[m] = mean{K[i, j] : |i - j| = m}`` (or one direction only, ``j - i = m``);
- :func:`correlation`: Pearson's correlation of two arrays (blind to scale and offset),
  the :func:`cosine` of the centred arrays;
- :func:`normalise_profile`: ``p / p[0]``, the **one normalisation** of lag profiles
  (value 1 at lag 0), so that a softmax attention map, ``rho_bar`` and the constructed
  ReLU kernel ``-eta Gamma_bar`` are put on a common scale;
- :func:`profile_error`: the scale-sensitive companion of the correlation,
  ``||p / p[0] - q / q[0]|| / ||q / q[0]||``.

Undefined values are NaN, documented, never a made-up number: the correlation of a
constant array (its standard deviation is 0), the cosine of a zero one, and the
normalisation of a profile whose lag-0 value is 0. A claim that measures such a NaN FAILS
in the claim table, so it is never silently taken for a value. Numpy only (no torch).
"""

from __future__ import annotations

import math

import numpy as np

from .errors import InvalidArgumentError
from .validation import as_real_array

__all__ = ["lag_profile", "correlation", "cosine", "normalise_profile", "profile_error",
           "profile_spread", "null_profiles", "baseline_scores", "beats", "DIRECTIONS",
           "NORMALISATION", "MIN_SPREAD"]

#: Least spread ``(max - min) / max |.|`` of a lag profile for its Pearson correlation to
#: count as lag information: Pearson is blind to scale, and an untrained DiT's near-flat
#: profile (spread ~4%) correlated with rho at up to 0.998 by chance (gpdtheory_checks.video).
MIN_SPREAD = 0.25

#: Which diagonals :func:`lag_profile` averages for lag ``m``.
DIRECTIONS = ("both", "forward", "backward")
#: The one normalisation of lag profiles (:func:`normalise_profile`).
NORMALISATION = "value 1 at lag 0"


def lag_profile(K, direction: str = "both") -> np.ndarray:
    """Mean of a ``(..., N, N)`` array along its diagonals, by lag: ``(N,)`` float64.

    Parameters
    ----------
    K : (..., N, N) array_like
        Finite and real; leading axes (batch, heads, layers, times) are averaged first.
    direction : {"both", "forward", "backward"}
        ``"both"``: ``p[m] = mean{M[i, j] : |i - j| = m}`` (the ``2 (N - m)`` entries of
        the ``m``-th upper and lower diagonals, ``N`` at lag 0); ``"forward"``:
        ``mean{M[i, i + m]}`` (key ``m`` frames after the query); ``"backward"``:
        ``mean{M[i + m, i]}``. The three agree for a symmetric matrix.

    Returns
    -------
    (N,) ndarray
        ``p[m]`` with ``M = mean of K over its leading axes``. No normalisation: see
        :func:`normalise_profile`.

    Raises
    ------
    InvalidArgumentError
        ``K`` is not a finite real array with two square trailing axes, or ``direction``
        is unknown.

    Examples
    --------
    >>> lag_profile([[2.0, 1.0], [3.0, 4.0]]).tolist()
    [3.0, 2.0]
    >>> lag_profile([[2.0, 1.0], [3.0, 4.0]], "forward").tolist()
    [3.0, 1.0]
    """
    K = as_real_array(K, "K", min_ndim=2)
    N = K.shape[-1]
    if K.shape[-2] != N:
        raise InvalidArgumentError("K", f"array of shape {K.shape}", "is not square",
                                   "pass (..., N, N)")
    if direction not in DIRECTIONS:
        raise InvalidArgumentError("direction", direction, "is not a direction",
                                   f"pass one of {DIRECTIONS}")
    M = K.reshape(-1, N, N).mean(axis=0)
    i, j = np.indices((N, N))
    if direction == "both":
        lag, keep = np.abs(i - j), np.ones((N, N), dtype=bool)
    elif direction == "forward":
        lag, keep = j - i, j >= i
    else:
        lag, keep = i - j, i >= j
    lag, vals = lag[keep], M[keep]  # row-major order: each diagonal summed from its top
    return np.bincount(lag, vals, N) / np.bincount(lag, minlength=N)


def _pow2_scaled(a: np.ndarray) -> np.ndarray:
    """``a`` times the power of two that brings ``max |a|`` into ``[0.5, 1)`` (exact)."""
    m = float(np.max(np.abs(a), initial=0.0))
    return np.ldexp(a, -math.frexp(m)[1]) if m > 0 else a


def _pair(a, b, names: tuple[str, str]) -> tuple[np.ndarray, np.ndarray]:
    """Two finite real arrays with the same number of entries, flattened."""
    a = np.ravel(as_real_array(a, names[0]))
    b = np.ravel(as_real_array(b, names[1]))
    if a.size != b.size:
        raise InvalidArgumentError(names[1], f"array of {b.size} entries",
                                   f"does not match the {a.size} entries of {names[0]}",
                                   "compare arrays of the same size")
    return a, b


def _centred(a: np.ndarray) -> np.ndarray:
    """``a - mean a``, in two passes: shifted by ``a[0]`` first, then by the mean.

    After the exact power-of-two scaling the shift cannot overflow, and entries that
    differ in their last bits keep their differences exactly (Sterbenz), which a single
    subtraction of a rounded mean would lose.
    """
    a = _pow2_scaled(a)
    a = a - a[0]
    return a - a.mean()


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine of two validated flat arrays; NaN when one is zero (no direction)."""
    if not (np.any(a) and np.any(b)):
        return math.nan
    a, b = _pow2_scaled(a), _pow2_scaled(b)
    return float(np.clip(a @ b / np.linalg.norm(a) / np.linalg.norm(b), -1.0, 1.0))


def cosine(a, b, names: tuple[str, str] = ("a", "b")) -> float:
    """``<a, b> / (||a|| ||b||)`` of two arrays of equal size (flattened), in ``[-1, 1]``.

    Parameters
    ----------
    a, b : array_like
        Finite real arrays with the same number of entries.
    names : (str, str)
        The arguments' names in error messages.

    Returns
    -------
    float
        NaN when ``a`` or ``b`` is zero: a zero vector has no direction.

    Raises
    ------
    InvalidArgumentError
        Non-finite or non-real entries, empty arrays, or sizes that differ.

    Notes
    -----
    Each array is first scaled by a power of two (exact): the norms cannot overflow for
    entries near the largest float, nor underflow for tiny ones.
    """
    return _cosine(*_pair(a, b, names))


def correlation(a, b) -> float:
    """Pearson's correlation of two arrays of equal size (flattened), in ``[-1, 1]``.

    Parameters
    ----------
    a, b : array_like
        Finite real arrays with the same number of entries.

    Returns
    -------
    float
        The :func:`cosine` of ``a - mean a`` and ``b - mean b``; **NaN when ``a`` or ``b``
        is constant** (all entries equal): its standard deviation is 0 and the
        correlation is undefined (``numpy.corrcoef`` and ``scipy.stats.pearsonr`` agree).
        A made-up 0 would read as "no relation" and could be taken for a measurement;
        NaN makes a claim row FAIL instead.

    Raises
    ------
    InvalidArgumentError
        Non-finite or non-real entries, empty arrays, or sizes that differ.

    Notes
    -----
    The arrays are scaled by a power of two before centring (exact, so equal entries stay
    equal and distinct ones distinct, and the mean cannot overflow), and centred in two
    passes (shift by the first entry, then by the mean), so entries one ulp apart keep
    their difference. A non-constant array centres to a non-zero one, so NaN arises from
    constant inputs only.

    Examples
    --------
    >>> round(correlation([1.0, 2.0, 3.0], [2.0, 4.0, 7.0]), 6)
    0.993399
    >>> correlation([1.0, 1.0], [1.0, 2.0])
    nan
    """
    a, b = _pair(a, b, ("a", "b"))
    if np.all(a == a[0]) or np.all(b == b[0]):
        return math.nan
    return _cosine(_centred(a), _centred(b))


def normalise_profile(p) -> np.ndarray:
    """``p / p[0]`` (float64): the profile on the common scale, value 1 at lag 0.

    Returns NaN everywhere when ``p[0] == 0`` (no scale to divide by).

    Raises
    ------
    InvalidArgumentError
        ``p`` is not a non-empty 1-D finite real array.
    """
    p = as_real_array(p, "p", ndim=1)
    return p / p[0] if p[0] != 0 else np.full_like(p, math.nan)


def profile_error(p, ref) -> float:
    """``||p / p[0] - ref / ref[0]|| / ||ref / ref[0]||``: the scale-sensitive profile error.

    Both profiles normalised to 1 at lag 0 (:func:`normalise_profile`), so a profile of
    the right shape but the wrong decay is penalised, which :func:`correlation` is not.
    NaN when ``p[0]`` or ``ref[0]`` is 0.

    Raises
    ------
    InvalidArgumentError
        Not 1-D finite profiles over the same lags.
    """
    a, b = normalise_profile(p), normalise_profile(ref)
    if a.shape != b.shape:
        raise InvalidArgumentError("p", a.shape, f"does not match the reference {b.shape}",
                                   "compare profiles over the same lags")
    if math.isnan(b[0]):
        return math.nan
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def profile_spread(p) -> float:
    """``(max - min) / max |.|`` of a lag profile (0 for an all-zero one): below
    :data:`MIN_SPREAD` the profile is too flat for its correlation to be judged."""
    p = np.asarray(p, dtype=np.float64)
    top = float(np.max(np.abs(p))) if p.size else 0.0
    return float(np.max(p) - np.min(p)) / top if top > 0.0 else 0.0


def null_profiles(n: int) -> dict[str, np.ndarray]:
    """The null lag profiles over ``n`` lags: ``identity`` (attention on the query frame only,
    ``[1, 0, ..., 0]``) and ``uniform`` (a constant: its Pearson correlation is undefined)."""
    e0 = np.zeros(n)
    e0[0] = 1.0
    return {"identity": e0, "uniform": np.ones(n)}


def baseline_scores(ref, n: int, shuffled=()) -> dict[str, float]:
    """Pearson correlation with ``ref`` of each null profile (:func:`null_profiles`; NaN for
    the constant one), plus ``shuffled``: the 95th percentile over the given profiles (those
    of the model's own map with frames permuted), when any."""
    out = {k: correlation(v, ref) for k, v in null_profiles(n).items()}
    vals = [v for v in (correlation(s, ref) for s in shuffled) if math.isfinite(v)]
    if vals:
        out["shuffled"] = float(np.quantile(vals, 0.95))
    return out


def beats(score: float, baselines: dict[str, float]) -> bool:
    """True when ``score`` is finite and above every finite baseline score."""
    finite = [v for v in baselines.values() if math.isfinite(v)]
    return bool(math.isfinite(score) and all(score > v for v in finite))
