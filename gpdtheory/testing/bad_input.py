"""Hypothesis strategies for *bad* input, and the contract every entry point keeps on it.

:mod:`gpdtheory.testing.strategies` draws well-posed cases; this module draws the inputs a
user should never pass, so that a CI suite can check that each public function
fails loudly and clearly instead of quietly. The contract (:func:`call_clean`):

* the call either returns, or raises a documented exception of
  :mod:`gpdtheory.errors` (:class:`~gpdtheory.errors.GPDTheoryError`); argument
  errors name the argument, the value and a ``Fix:``;
* a returned value holds no NaN anywhere (and no infinity in an array);
* no warning other than :class:`~gpdtheory.errors.AccuracyWarning` and
  :class:`~gpdtheory.errors.PositiveDefinitenessWarning` (a ``RuntimeWarning`` from
  numpy is the usual precursor of a silent NaN).

Dtype policy (what the core accepts): bool, integer, float32 and float64 input is
accepted and computed in float64 (float32 is *upcast*, never computed in single
precision); complex, object and string input is refused with
:class:`~gpdtheory.errors.InvalidArgumentError`.

Examples
--------
>>> from hypothesis import given
>>> import gpdtheory as gp
>>> from gpdtheory.testing.bad_input import bad_scalars, call_clean
>>> @given(bad_scalars())
... def test_ell(ell):
...     call_clean(gp.PoweredExponential, ell, 1.0)
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

try:
    from hypothesis import strategies as st
except ImportError:  # a missing extra: name it, never a bare ModuleNotFoundError
    from .._extras import require

    require("hypothesis", "testing")
    raise

from ..errors import (
    AccuracyWarning,
    AssumptionViolated,
    GPDTheoryError,
    InvalidArgumentError,
    NotPositiveDefiniteError,
    PositiveDefinitenessWarning,
)

__all__ = ["bad_scalars", "bad_ints", "bad_arrays", "nonfinite_arrays", "bad_sigmas",
           "bad_correlations", "nonstationary_sklearn_kernels", "call_clean", "assert_no_nan",
           "ALLOWED_WARNINGS"]

#: Warnings a public entry point may issue on bad or ill-conditioned input.
ALLOWED_WARNINGS: tuple[type[Warning], ...] = (AccuracyWarning, PositiveDefinitenessWarning)

_SPECIAL = [math.nan, math.inf, -math.inf, 0.0, -0.0, -1.0, 1e-300, 5e-324, 1e300,
            1.7976931348623157e308, -1e300]


def bad_scalars(positive_ok: bool = True) -> st.SearchStrategy[Any]:
    """Scalars a float argument may receive: specials, huge/tiny, wrong types.

    Parameters
    ----------
    positive_ok : bool
        Also draw ordinary positive floats (so that the valid path is exercised too).
    """
    options = [
        st.sampled_from(_SPECIAL),
        st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from([True, False, None, "1.0", b"1", 1 + 0j, 1j, [1.0], (), {}, object()]),
        st.floats(-1e3, 1e3).map(np.float32),
        st.integers(-10, 10).map(np.int64),
        st.integers(-(2**70), 2**70),
        st.floats(-10, 10).map(lambda v: np.array(v)),
        st.floats(-10, 10).map(lambda v: np.array([v])),
        st.just(np.array([])),
    ]
    if positive_ok:
        options.append(st.floats(1e-3, 1e3))
    return st.one_of(*options)


def bad_ints() -> st.SearchStrategy[Any]:
    """Values an integer argument (N, J, L, n, steps) may receive."""
    return st.one_of(
        st.integers(-5, 5),
        st.sampled_from([math.nan, math.inf, -math.inf, 1.5, -0.0, 2.0, True, None, "3", 3j,
                         np.int32(2), np.uint8(0), np.float64(3.0), np.array(2), np.array([2]),
                         2**63, -(2**63)]),
    )


@st.composite
def nonfinite_arrays(draw, shape: tuple[int, ...]) -> np.ndarray:
    """A float64 array of ``shape`` with at least one NaN or infinity."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    arr = rng.standard_normal(shape)
    if arr.size == 0:
        return arr
    k = draw(st.integers(1, arr.size))
    idx = rng.choice(arr.size, size=k, replace=False)
    arr.flat[idx] = draw(st.sampled_from([math.nan, math.inf, -math.inf]))
    return arr


@st.composite
def bad_arrays(draw, shape: tuple[int, ...], valid: Callable[[np.random.Generator], Any] | None
               = None) -> Any:
    """An argument that should be an array of ``shape``, corrupted in one of many ways.

    Draws NaN/inf entries, complex/object/string/bool/int/float32 dtypes, wrong
    numbers of dimensions, empty arrays, ragged lists, huge entries (``1e50``: the
    norm of their covariance still fits float64), scalars and ``None``.
    ``valid(rng)`` builds the uncorrupted value (default: standard normal of ``shape``).
    """
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    base = np.asarray(valid(rng) if valid else rng.standard_normal(shape), dtype=np.float64)
    kind = draw(st.sampled_from(["nonfinite", "complex", "complex_real", "object", "str", "bool",
                                 "int", "float32", "extra_dim", "missing_dim", "empty", "ragged",
                                 "huge", "scalar", "none", "transposed", "valid"]))
    if kind == "nonfinite":
        return draw(nonfinite_arrays(base.shape))
    if kind == "complex":
        return base + 1j * rng.standard_normal(base.shape)
    if kind == "complex_real":  # complex dtype with zero imaginary part: still refused
        return base.astype(np.complex128)
    if kind == "object":
        return base.astype(object)
    if kind == "str":
        return base.astype(str)
    if kind == "bool":
        return base > 0
    if kind == "int":
        return np.rint(base).astype(np.int64)
    if kind == "float32":
        return base.astype(np.float32)
    if kind == "extra_dim":
        return base[None, ..., None]
    if kind == "missing_dim":
        if base.size == 0:
            return base.reshape(-1)
        return base.reshape(-1)[:1].reshape(()) if base.ndim <= 1 else base[0]
    if kind == "empty":
        return np.empty((0,) * max(base.ndim, 1))
    if kind == "ragged":
        return [[1.0, 2.0], [3.0]]
    if kind == "huge":
        return np.clip(base, -1.0, 1.0) * 1e50  # huge, yet norms of covariances still fit
    if kind == "scalar":
        return draw(st.sampled_from([1.0, math.nan, 0, -1.0]))
    if kind == "none":
        return None
    if kind == "transposed":
        return base.T.copy() if base.ndim >= 2 else base[::-1].copy()
    return base


@st.composite
def bad_sigmas(draw, d: int | None = None) -> np.ndarray:
    """A ``(d, d)`` would-be covariance that is wrong: non-symmetric, indefinite,
    singular, near-singular (``lmin`` down to ``1e-300``), badly scaled or valid.

    Near-singular and badly scaled matrices *are* positive definite and must be
    accepted; the others must be refused.
    """
    d = d or draw(st.integers(1, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    Q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    kind = draw(st.sampled_from(["nonsymmetric", "indefinite", "singular", "near_singular",
                                 "scaled", "negative", "zero", "valid"]))
    lam = rng.uniform(0.5, 2.0, size=d)
    if kind == "indefinite":
        lam[rng.integers(d)] = -draw(st.floats(1e-12, 10.0))
    elif kind == "singular":
        lam[rng.integers(d)] = 0.0
    elif kind == "near_singular":
        lam[rng.integers(d)] = 10.0 ** -draw(st.integers(8, 300))
    elif kind == "scaled":
        lam = lam * 10.0 ** draw(st.integers(-150, 150))
    elif kind == "negative":
        lam = -lam
    elif kind == "zero":
        lam = np.zeros(d)
    S = (Q * lam) @ Q.T
    S = 0.5 * (S + S.T)
    if kind == "nonsymmetric" and d > 1:
        S[0, -1] += draw(st.floats(1e-6, 1.0)) * (1.0 + abs(S[0, -1]))
    return S


@st.composite
def bad_correlations(draw, max_n: int = 12) -> np.ndarray:
    """A user ``rho`` array: not positive definite, ``rho[0] != 1``, ``|rho| > 1`` or valid."""
    n = draw(st.integers(1, max_n))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    kind = draw(st.sampled_from(["not_pd", "rho0", "too_big", "random", "valid"]))
    if kind == "valid":
        return 0.5 ** np.arange(n)
    r = rng.uniform(-1.0, 1.0, size=n)
    r[0] = 1.0
    if kind == "not_pd" and n > 1:
        r[1:] = 0.99  # toeplitz with ones-ish off the diagonal beyond N > 1/(1-0.99) fails
        r[1] = -0.9
    elif kind == "rho0":
        r[0] = draw(st.sampled_from([0.0, -1.0, 2.0, 0.5]))
    elif kind == "too_big" and n > 1:
        r[-1] = draw(st.floats(1.01, 10.0))
    return r


def nonstationary_sklearn_kernels() -> st.SearchStrategy[Any]:
    """scikit-learn kernels that are not stationary (``k(x, y)`` not a function of ``x - y``)."""
    from sklearn.gaussian_process.kernels import RBF, DotProduct, Exponentiation, WhiteKernel

    return st.sampled_from([
        DotProduct(), DotProduct(sigma_0=0.0), RBF(1.0) * DotProduct(), RBF(1.0) + DotProduct(),
        Exponentiation(DotProduct(), 2), DotProduct() + WhiteKernel(),
    ])


def assert_no_nan(value: Any, *, allow_inf: bool = False, where: str = "result") -> None:
    """Raise ``AssertionError`` if ``value`` holds a NaN (or an infinite array entry).

    Walks arrays, numbers, tensors, tuples, lists, dicts and dataclasses. Scalar
    infinities are allowed only with ``allow_inf`` (documented ``inf`` results such
    as the tail bound of a non-summable kernel); array entries never.
    """
    if value is None or isinstance(value, (str, bytes, bool)):
        return
    if hasattr(value, "detach") and hasattr(value, "cpu"):
        value = value.detach().cpu().numpy()
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "fc":
            assert not np.any(np.isnan(value)), f"NaN in {where}"
            assert np.all(np.isfinite(value)), f"infinite entry in array {where}"
        return
    if isinstance(value, (float, np.floating, int, np.integer)):
        v = float(value)
        assert not math.isnan(v), f"NaN {where}"
        assert allow_inf or math.isfinite(v), f"infinite {where}"
        return
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            assert_no_nan(getattr(value, f.name), allow_inf=allow_inf, where=f"{where}.{f.name}")
        return
    if isinstance(value, dict):
        for k, v in value.items():
            assert_no_nan(v, allow_inf=allow_inf, where=f"{where}[{k!r}]")
        return
    if isinstance(value, (tuple, list)):
        for i, v in enumerate(value):
            assert_no_nan(v, allow_inf=allow_inf, where=f"{where}[{i}]")


def call_clean(fn: Callable[..., Any], *args: Any, allow_inf: bool = False,
               accept: type[BaseException] | tuple[type[BaseException], ...] = (),
               **kwargs: Any) -> Any:
    """Call ``fn(*args, **kwargs)`` and enforce the bad-input contract.

    Parameters
    ----------
    fn : callable
    *args, **kwargs
        Passed to ``fn``.
    allow_inf : bool
        Accept a scalar infinity in the result (documented ``inf`` results).
    accept : exception type or tuple of them
        The caller's own documented exception types (a user's package wrapping gpdtheory):
        raised, they are returned like a :class:`~gpdtheory.errors.GPDTheoryError`, with
        the same one-line-message check (no ``Fix:`` required: that is gpdtheory's format).

    Returns
    -------
    object
        The result, or the documented :class:`~gpdtheory.errors.GPDTheoryError` (or
        ``accept``-ed) instance that was raised (returned, not re-raised, so tests can
        inspect it).

    Raises
    ------
    AssertionError
        On a NaN result, a warning outside :data:`ALLOWED_WARNINGS`, or a documented
        error whose message lacks the argument/fix. Any undocumented exception
        (``IndexError``, ``ZeroDivisionError``, a Numba typing error, a plain
        ``ValueError``) propagates unchanged, so the test fails with its traceback.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out = fn(*args, **kwargs)
        except GPDTheoryError as exc:
            msg = str(exc)
            assert msg and "\n" not in msg.strip(), f"message is not one line: {msg!r}"
            if isinstance(exc, (InvalidArgumentError, NotPositiveDefiniteError,
                                AssumptionViolated)):
                assert "Fix:" in msg, f"no fix in {msg!r}"
            if isinstance(exc, InvalidArgumentError):
                assert exc.argument and msg.startswith(exc.argument), msg
            out = exc
        except accept as exc:  # the caller's documented errors
            msg = str(exc)
            assert msg and "\n" not in msg.strip(), f"message is not one line: {msg!r}"
            out = exc
    bad = [w for w in caught if not issubclass(w.category, ALLOWED_WARNINGS)]
    assert not bad, f"unexpected warning(s): {[f'{w.category.__name__}: {w.message}' for w in bad]}"
    if not isinstance(out, GPDTheoryError) and not (accept and isinstance(out, accept)
                                                    and isinstance(out, BaseException)):
        assert_no_nan(out, allow_inf=allow_inf)
    return out
