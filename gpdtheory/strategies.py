"""Hypothesis strategies for gpdtheory objects, reusable in users' own CI.

All draws are bounded so that every drawn case is well posed (finite, positive
definite, condition numbers within float64 reach); edge sizes N = 1, 2, 3 are
drawn often because hypothesis shrinks towards small integers.

Examples
--------
>>> from hypothesis import given
>>> import gpdtheory.strategies as gst
>>> @given(gst.specs())
... def test_sample_shape(spec):
...     assert spec.sample(2, seed=0).shape == (2, spec.N, spec.d)
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from .kernels import Kernel, Logarithmic, Polynomial, PoweredExponential
from .spec import GPSpec

__all__ = ["families", "kernels", "spd_matrices", "specs", "diffusion_times", "truncation_lags",
           "depths"]

FAMILY_NAMES = ("powered_exponential", "polynomial", "logarithmic")


def families() -> st.SearchStrategy[str]:
    """One of the closed-form decay families."""
    return st.sampled_from(FAMILY_NAMES)


@st.composite
def kernels(draw, family: str | None = None, ell=(0.2, 8.0), nu=None) -> Kernel:
    """A positive-definite-on-every-N kernel of a closed-form family.

    Parameters
    ----------
    family : str, optional
        Fix the family; drawn otherwise.
    ell : (float, float)
        Range of the length scale.
    nu : (float, float), optional
        Range of the exponent; family defaults keep the kernel valid for every N
        (powered exponential ``(0.3, 2)``, polynomial ``(0.5, 4)``, logarithmic ``(0.5, 3)``).
    """
    fam = family or draw(families())
    ell_v = draw(st.floats(*ell, allow_nan=False, allow_infinity=False))
    if fam == "powered_exponential":
        lo, hi = nu or (0.3, 2.0)
        return PoweredExponential(ell_v, draw(st.floats(lo, hi)))
    if fam == "polynomial":
        lo, hi = nu or (0.5, 4.0)
        return Polynomial(ell_v, draw(st.floats(lo, hi)))
    lo, hi = nu or (0.5, 3.0)
    return Logarithmic(ell_v, draw(st.floats(lo, hi)))


@st.composite
def spd_matrices(draw, d: int, cond_max: float = 100.0) -> np.ndarray:
    """A ``(d, d)`` SPD matrix with eigenvalues in ``[1/sqrt(cond_max), sqrt(cond_max)]``."""
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    half = 0.5 * np.log(cond_max)
    lam = np.exp(rng.uniform(-half, half, size=d))
    S = (Q * lam) @ Q.T
    return 0.5 * (S + S.T)


@st.composite
def specs(draw, max_N: int = 24, max_d: int = 3, family: str | None = None,
          with_mean: bool | None = None) -> GPSpec:
    """A :class:`~gpdtheory.GPSpec` with N in ``[1, max_N]`` and d in ``[1, max_d]``."""
    N = draw(st.integers(1, max_N))
    d = draw(st.integers(1, max_d))
    kernel = draw(kernels(family=family))
    Sigma = draw(spd_matrices(d))
    use_mean = draw(st.booleans()) if with_mean is None else with_mean
    mean = None
    if use_mean:
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
        mean = rng.standard_normal((N, d))
    return GPSpec(kernel, N, Sigma, mean=mean)


def diffusion_times(lo: float = 1e-3, hi: float = 20.0) -> st.SearchStrategy[float]:
    """Diffusion times drawn log-uniformly-ish in ``[lo, hi]``."""
    return st.floats(np.log(lo), np.log(hi)).map(lambda u: float(np.exp(u)))


def truncation_lags(max_J: int = 12) -> st.SearchStrategy[int]:
    """Truncation lags ``J`` in ``[0, max_J]``."""
    return st.integers(0, max_J)


def depths(max_L: int = 60) -> st.SearchStrategy[int]:
    """Numbers of gradient-descent steps / transformer blocks ``L`` in ``[0, max_L]``."""
    return st.integers(0, max_L)
