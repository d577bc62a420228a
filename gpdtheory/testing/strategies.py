"""Hypothesis strategies for gpdtheory objects, reusable in users' own CI.

All draws are bounded so that every drawn case is well posed (finite, positive
definite, condition numbers within float64 reach); edge sizes N = 1, 2, 3 are
drawn often because hypothesis shrinks towards small integers.

Arguments are validated when a strategy is built, as hypothesis validates its own:
a bad argument raises :class:`hypothesis.errors.InvalidArgument` naming it, the value
and the fix (``kernels(family="nonsense")`` fails at once, not at the first draw).

Importing this module registers type strategies (:func:`register_types`), so that
``st.from_type(GPSpec)`` and ``st.from_type(PoweredExponential)`` (every kernel class)
draw valid objects.

Examples
--------
>>> from hypothesis import given
>>> from gpdtheory.testing import strategies as gst
>>> @given(gst.specs())
... def test_sample_shape(spec):
...     assert spec.sample(2, seed=0).shape == (2, spec.N, spec.d)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

try:
    from hypothesis import strategies as st
    from hypothesis.errors import InvalidArgument
except ImportError:  # a missing extra: name it, never a bare ModuleNotFoundError
    from .._extras import require

    require("hypothesis", "testing")
    raise

from ..kernels import (
    ELL_MAX,
    Decay,
    Jittered,
    Kernel,
    Logarithmic,
    Polynomial,
    PoweredExponential,
    SampledKernel,
    SklearnKernel,
    from_sklearn,
)
from ..spec import GPSpec

__all__ = ["families", "kernels", "spd_matrices", "specs", "diffusion_times", "truncation_lags",
           "depths", "sklearn_kernels", "user_arrays", "sampled_kernels", "sigmas_with_means",
           "register_types", "FAMILY_NAMES", "SKLEARN_KINDS"]

FAMILY_NAMES = ("powered_exponential", "polynomial", "logarithmic")
#: Largest exponent per family that keeps ``Gamma_N`` positive definite for every N.
_NU_VALID = {"powered_exponential": (0.0, 2.0), "polynomial": (0.0, 64.0),
             "logarithmic": (0.0, 64.0)}
_NU_DEFAULT = {"powered_exponential": (0.3, 2.0), "polynomial": (0.5, 4.0),
               "logarithmic": (0.5, 3.0)}
SKLEARN_KINDS = ("matern", "rbf", "rational_quadratic", "sum", "product", "power")


def _invalid(argument: str, value: Any, problem: str, fix: str) -> InvalidArgument:
    return InvalidArgument(f"{argument}={value!r}: {problem}. Fix: {fix}.")


def _check_range(name: str, value: Any, lo: float, hi: float, *, strict_lo: bool = True
                 ) -> tuple[float, float]:
    """``value`` must be a pair ``(a, b)`` of finite numbers with ``lo < a <= b <= hi``."""
    ok = (isinstance(value, (tuple, list)) and len(value) == 2
          and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value))
    if ok:
        a, b = float(value[0]), float(value[1])
        ok = (math.isfinite(a) and math.isfinite(b) and a <= b
              and (a > lo if strict_lo else a >= lo) and b <= hi)
    if not ok:
        op = "<" if strict_lo else "<="
        raise _invalid(name, value, f"is not a range (a, b) with {lo:g} {op} a <= b <= {hi:g}",
                       f"pass e.g. {name}=({max(lo, 0.2):g}, {min(hi, 8.0):g})")
    return a, b


def _check_int(name: str, value: Any, lo: int, hi: int = 10**6) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not lo <= value <= hi:
        raise _invalid(name, value, f"is not an integer in [{lo}, {hi}]",
                       f"pass e.g. {name}={max(lo, min(hi, 8))}")
    return int(value)


# ----------------------------------------------------------------------------- exact reprs
# A failing example is printed with repr(); pasted back, it must rebuild the same value. The
# kernels print their parameters with 6 significant digits (scikit-learn's with 3) and numpy
# arrays with at most 8 decimals (9 significant digits in scientific notation), so the
# strategies draw numbers that those reprs write exactly.

def _sig(x: float, digits: int) -> float:
    """``x`` rounded to ``digits`` significant digits (its repr then has no more)."""
    return float(f"{x:.{digits}g}")


def _printable(a: np.ndarray) -> np.ndarray:
    """``a`` rounded so that numpy's repr writes every entry exactly (module comment)."""
    return np.vectorize(lambda v: _sig(round(float(v), 8), 9), otypes=[np.float64])(a) \
        if a.size else a


def families() -> st.SearchStrategy[str]:
    """One of the closed-form decay families."""
    return st.sampled_from(FAMILY_NAMES)


def kernels(family: str | None = None, ell=(0.2, 8.0), nu=None) -> st.SearchStrategy[Kernel]:
    """A positive-definite-on-every-N kernel of a closed-form family.

    Parameters
    ----------
    family : str, optional
        Fix the family (one of :data:`FAMILY_NAMES`); drawn otherwise.
    ell : (float, float)
        Range of the length scale, ``0 < a <= b <= ELL_MAX``.
    nu : (float, float), optional
        Range of the exponent; family defaults keep the kernel valid for every N
        (powered exponential ``(0.3, 2)``, polynomial ``(0.5, 4)``, logarithmic ``(0.5, 3)``).
        A range outside the family's every-N validity (powered exponential beyond 2) is
        refused.

    Raises
    ------
    hypothesis.errors.InvalidArgument
        On an unknown family or a bad range.
    """
    if family is not None and family not in FAMILY_NAMES:
        raise _invalid("family", family, "is not a closed-form family",
                       "pass one of " + ", ".join(FAMILY_NAMES) + " (or None to draw one)")
    ell = _check_range("ell", ell, 0.0, ELL_MAX)
    if nu is not None:
        fams = [family] if family else list(FAMILY_NAMES)
        hi = min(_NU_VALID[f][1] for f in fams)
        nu = _check_range("nu", nu, 0.0, hi)
    return _kernels(family, ell, nu)


@st.composite
def _kernels(draw, family, ell, nu) -> Kernel:
    fam = family or draw(families())
    ell_v = _sig(draw(st.floats(*ell, allow_nan=False, allow_infinity=False)), 6)
    lo, hi = nu or _NU_DEFAULT[fam]
    nu_v = min(max(_sig(draw(st.floats(lo, hi)), 6), lo), hi)
    ell_v = min(max(ell_v, ell[0]), ell[1])
    if fam == "powered_exponential":
        return PoweredExponential(ell_v, nu_v)
    if fam == "polynomial":
        return Polynomial(ell_v, nu_v)
    return Logarithmic(ell_v, nu_v)


def spd_matrices(d: int, cond_max: float = 100.0) -> st.SearchStrategy[np.ndarray]:
    """A ``(d, d)`` SPD matrix with eigenvalues in ``[1/sqrt(cond_max), sqrt(cond_max)]``."""
    d = _check_int("d", d, 1, 512)
    if (isinstance(cond_max, bool) or not isinstance(cond_max, (int, float))
            or not 1.0 <= cond_max <= 1e12):
        raise _invalid("cond_max", cond_max, "is not a number in [1, 1e12]",
                       "pass e.g. cond_max=100")
    return _spd(d, float(cond_max))


@st.composite
def _spd(draw, d: int, cond_max: float) -> np.ndarray:
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    half = 0.5 * np.log(cond_max)
    lam = np.exp(rng.uniform(-half, half, size=d))
    S = (Q * lam) @ Q.T
    S = 0.5 * (S + S.T)
    exact = _printable(S)
    # rounding moves each entry by <= 5e-9: kept unless it would cost positive definiteness
    return exact if np.linalg.eigvalsh(exact)[0] > 0 else S


def specs(max_N: int = 24, max_d: int = 3, family: str | None = None,
          with_mean: bool | None = None, kernel: st.SearchStrategy | None = None
          ) -> st.SearchStrategy[GPSpec]:
    """A :class:`~gpdtheory.GPSpec` with N in ``[1, max_N]`` and d in ``[1, max_d]``.

    ``kernel`` replaces the closed-form kernels (e.g. ``sklearn_kernels()``; a kernel that is
    not PD for every N is drawn only where ``Gamma_N`` is, via ``assume``).
    """
    max_N = _check_int("max_N", max_N, 1, 4096)
    max_d = _check_int("max_d", max_d, 1, 64)
    if with_mean not in (None, True, False):
        raise _invalid("with_mean", with_mean, "is not a bool or None",
                       "pass True, False or None (drawn)")
    kern = kernel if kernel is not None else kernels(family=family)
    if not isinstance(kern, st.SearchStrategy):
        raise _invalid("kernel", kern, "is not a strategy", "pass e.g. gst.sklearn_kernels()")
    return _specs(max_N, max_d, kern, with_mean)


@st.composite
def _specs(draw, max_N, max_d, kern, with_mean) -> GPSpec:
    from hypothesis import assume

    N = draw(st.integers(1, max_N))
    d = draw(st.integers(1, max_d))
    kernel = draw(kern)
    if not kernel.always_positive_definite:
        assume(kernel.max_lag >= N - 1 and kernel.is_positive_definite(N))
    Sigma = draw(_spd(d, 100.0))
    use_mean = draw(st.booleans()) if with_mean is None else with_mean
    mean = None
    if use_mean:
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
        mean = _printable(rng.standard_normal((N, d)))
    return GPSpec(kernel, N, Sigma, mean=mean)


def diffusion_times(lo: float = 1e-3, hi: float = 20.0) -> st.SearchStrategy[float]:
    """Diffusion times drawn log-uniformly-ish in ``[lo, hi]`` (``0 < lo <= hi <= 1e3``)."""
    lo, hi = _check_range("(lo, hi)", (lo, hi), 0.0, 1e3)
    return st.floats(np.log(lo), np.log(hi)).map(lambda u: float(np.exp(u)))


def truncation_lags(max_J: int = 12) -> st.SearchStrategy[int]:
    """Truncation lags ``J`` in ``[0, max_J]``."""
    return st.integers(0, _check_int("max_J", max_J, 0))


def depths(max_L: int = 60) -> st.SearchStrategy[int]:
    """Numbers of gradient-descent steps / transformer blocks ``L`` in ``[0, max_L]``."""
    return st.integers(0, _check_int("max_L", max_L, 0))


# ----------------------------------------------------------------------------- users' kernels
def sklearn_kernels(kinds=SKLEARN_KINDS, length_scale=(0.5, 6.0)
                    ) -> st.SearchStrategy[SklearnKernel]:
    """Stationary scikit-learn kernels with certified decay, wrapped by :func:`from_sklearn`.

    Parameters
    ----------
    kinds : sequence of str
        Any of :data:`SKLEARN_KINDS`: Matérn (``nu`` in {0.5, 1.5, 2.5} or drawn in
        ``[0.3, 4]``), RBF, RationalQuadratic (``alpha`` in ``[0.6, 4]``: summable), sums and
        products of two of them (the sum with a ``WhiteKernel``) and powers ``**p``,
        ``p`` in ``[1, 3]``.
    length_scale : (float, float)
    """
    if (isinstance(kinds, str) or not isinstance(kinds, (list, tuple)) or not kinds
            or any(k not in SKLEARN_KINDS for k in kinds)):
        raise _invalid("kinds", kinds, "is not a non-empty list of sklearn kernel kinds",
                       "pass a subset of " + ", ".join(SKLEARN_KINDS))
    ls = _check_range("length_scale", length_scale, 0.0, 1e6)
    return _sklearn(tuple(kinds), ls)


@st.composite
def _sk_base(draw, ls):
    from sklearn.gaussian_process.kernels import RBF, Matern, RationalQuadratic

    ell = _sk_number(draw(st.floats(*ls)), ls)
    which = draw(st.sampled_from(["matern", "rbf", "rational_quadratic"]))
    if which == "matern":
        nu = draw(st.one_of(st.sampled_from([0.5, 1.5, 2.5]), st.floats(0.3, 4.0)))
        return Matern(length_scale=ell, nu=_sk_number(nu, (0.3, 4.0)))
    if which == "rbf":
        return RBF(length_scale=ell)
    return RationalQuadratic(length_scale=ell, alpha=_sk_number(draw(st.floats(0.6, 4.0)),
                                                                (0.6, 4.0)))


def _sk_number(x: float, bounds: tuple[float, float]) -> float:
    """``x`` with the 3 significant digits scikit-learn's repr writes, kept in ``bounds``."""
    return min(max(_sig(x, 3), bounds[0]), bounds[1])


@st.composite
def _sklearn(draw, kinds, ls) -> SklearnKernel:
    from sklearn.gaussian_process.kernels import (
        RBF,
        ConstantKernel,
        Exponentiation,
        Matern,
        RationalQuadratic,
        WhiteKernel,
    )

    kind = draw(st.sampled_from(kinds))
    ell = _sk_number(draw(st.floats(*ls)), ls)
    if kind == "matern":
        nu = draw(st.one_of(st.sampled_from([0.5, 1.5, 2.5]), st.floats(0.3, 4.0)))
        sk = Matern(length_scale=ell, nu=_sk_number(nu, (0.3, 4.0)))
    elif kind == "rbf":
        sk = RBF(length_scale=ell)
    elif kind == "rational_quadratic":
        sk = RationalQuadratic(length_scale=ell, alpha=_sk_number(draw(st.floats(0.6, 4.0)),
                                                                    (0.6, 4.0)))
    elif kind == "sum":
        # scikit-learn writes a constant c as sqrt(c)**2: draw the root it prints
        root = _sk_number(draw(st.floats(0.5**0.5, 2.0**0.5)), (0.708, 1.41))
        sk = (ConstantKernel(root**2) * draw(_sk_base(ls))
              + WhiteKernel(_sk_number(draw(st.floats(1e-3, 0.5)), (1e-3, 0.5))))
    elif kind == "product":
        sk = draw(_sk_base(ls)) * draw(_sk_base(ls))
    else:
        sk = Exponentiation(draw(_sk_base(ls)), _sk_number(draw(st.floats(1.0, 3.0)),
                                                           (1.0, 3.0)))
    return from_sklearn(sk)


def user_arrays(max_M: int = 32) -> st.SearchStrategy[np.ndarray]:
    """A measured-looking correlation ``rho[0..M-1]`` whose ``Gamma_M`` is positive definite.

    Drawn through reflection coefficients ``|k_j| < 1`` (Levinson-Durbin in reverse): every
    such sequence is a valid autocorrelation, so every ``Gamma_N``, ``N <= M``, is PD.
    """
    max_M = _check_int("max_M", max_M, 1, 4096)
    return _user_arrays(max_M)


@st.composite
def _user_arrays(draw, max_M) -> np.ndarray:
    M = draw(st.integers(1, max_M))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    k = rng.uniform(-0.9, 0.9, size=max(M - 1, 0)) * rng.uniform(0, 1) ** np.arange(1, M)
    rho = np.ones(M)
    a = np.zeros(0)  # AR coefficients of the current order
    err = 1.0
    for j in range(1, M):
        # rho[j] from the reflection coefficient k_j: rho_j = k_j err + sum a_i rho_{j-i}
        rho[j] = k[j - 1] * err + (a @ rho[j - 1:0:-1] if j > 1 else 0.0)
        a = np.concatenate([a - k[j - 1] * a[::-1], [k[j - 1]]])
        err *= 1.0 - k[j - 1] ** 2
    rho = np.clip(rho, -1.0, 1.0)
    exact = _printable(rho)
    # rounding moves each lag by <= 5e-9: kept unless Gamma_M stops being positive definite
    # (deep reflection products make it nearly singular)
    try:
        np.linalg.cholesky(_toeplitz(exact))
    except np.linalg.LinAlgError:
        return rho
    return exact


def _toeplitz(r: np.ndarray) -> np.ndarray:
    i = np.arange(r.size)
    return r[np.abs(i[:, None] - i[None, :])]


def sampled_kernels(max_M: int = 32, beyond: str = "refuse") -> st.SearchStrategy[SampledKernel]:
    """A :class:`~gpdtheory.SampledKernel` of :func:`user_arrays` (``beyond`` as given;
    ``"tail"`` declares an exponential tail)."""
    if beyond not in SampledKernel.BEYOND:
        raise _invalid("beyond", beyond, "is not a choice for uncovered lags",
                       "pass one of " + ", ".join(SampledKernel.BEYOND))
    arrays = user_arrays(max_M)
    if beyond == "tail":
        return arrays.map(lambda r: SampledKernel(r, "tail", Decay.exponential(0.5)))
    return arrays.map(lambda r: SampledKernel(r, beyond))


def sigmas_with_means(N: int, d: int, cond_max: float = 100.0
                      ) -> st.SearchStrategy[tuple[np.ndarray, np.ndarray | None]]:
    """``(Sigma, mean)``: an SPD ``(d, d)`` ``Sigma`` and a mean of shape ``(N, d)``,
    ``(d,)`` or None."""
    N = _check_int("N", N, 1, 10**5)
    spd = spd_matrices(d, cond_max)
    return st.tuples(spd, st.sampled_from(["frames", "features", "none"]),
                     st.integers(0, 2**32 - 1)).map(lambda a: _with_mean(*a, N))


def _with_mean(Sigma, shape, seed, N):
    rng = np.random.default_rng(seed)
    d = Sigma.shape[0]
    mean = {"frames": lambda: _printable(rng.standard_normal((N, d))),
            "features": lambda: _printable(rng.standard_normal(d)), "none": lambda: None}[shape]()
    return Sigma, mean


# ----------------------------------------------------------------------------- from_type
def register_types() -> None:
    """``st.register_type_strategy`` for :class:`GPSpec` and every kernel class.

    Then ``st.from_type(GPSpec)``, ``st.from_type(Kernel)``,
    ``st.from_type(PoweredExponential)``, ``st.from_type(SklearnKernel)``, ... draw valid
    objects (idempotent; called on import of :mod:`gpdtheory.testing`).
    """
    st.register_type_strategy(GPSpec, specs())
    st.register_type_strategy(PoweredExponential, kernels("powered_exponential"))
    st.register_type_strategy(Polynomial, kernels("polynomial"))
    st.register_type_strategy(Logarithmic, kernels("logarithmic"))
    st.register_type_strategy(SklearnKernel, sklearn_kernels())
    st.register_type_strategy(SampledKernel, sampled_kernels())
    st.register_type_strategy(Jittered, st.builds(Jittered, kernels(),
                                                  st.floats(1e-8, 1e-2)))
    st.register_type_strategy(Kernel, st.one_of(kernels(), sklearn_kernels(), sampled_kernels()))


register_types()
