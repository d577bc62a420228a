"""``min_eig``/``max_eig``, ``matvec`` and ``pcg_solve`` against dense oracles and closed forms.

Tolerance: a dense symmetric eigensolver is accurate to ~eps * ||T|| absolutely; the
engine's routes reach the same (module notes), so ``EIG_ATOL * ||T||`` with 1e-13 gives
~50x headroom over the worst measured (~5e-15 relative).
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
from hypothesis import given
from hypothesis import strategies as st

import gpdtheory.toeplitz as tz
from gpdtheory import Logarithmic
from gpdtheory.errors import ConvergenceError

from ..helpers import rel_err
from .oracles import KERNEL_IDS, KERNELS

EIG_ATOL = 1e-13        # times ||T||_2
MATVEC_RTOL = 1e-13     # FFT product: ~eps log2(M) ||r||_1 ||x|| / ||T x||


@pytest.mark.parametrize("kernel", KERNELS, ids=KERNEL_IDS)
@pytest.mark.parametrize("N", [1, 2, 3, 33, 200, 1000])
def test_extreme_eigenvalues_match_eigvalsh(kernel, N):
    r = kernel.autocovariance(N)
    ev = np.linalg.eigvalsh(scipy.linalg.toeplitz(r))
    scale = ev[-1]
    assert abs(tz.min_eig(r) - ev[0]) <= EIG_ATOL * scale
    assert abs(tz.max_eig(r) - ev[-1]) <= EIG_ATOL * scale
    lo, hi = tz.extreme_eigenvalues(r)
    assert abs(lo - ev[0]) <= EIG_ATOL * scale and abs(hi - ev[-1]) <= EIG_ATOL * scale
    if N in (33, 200):
        assert abs(tz.min_eig(r, method="lanczos") - ev[0]) <= EIG_ATOL * scale
        assert abs(tz.max_eig(r, method="lanczos") - ev[-1]) <= EIG_ATOL * scale
        assert abs(tz.min_eig(r, method="bisection") - ev[0]) <= EIG_ATOL * scale
        assert abs(tz.max_eig(r, method="bisection") - ev[-1]) <= EIG_ATOL * scale


@given(N=st.integers(1, 300), c=st.floats(-0.5, 0.5),
       method=st.sampled_from(["auto", "lanczos", "bisection"]))
def test_tridiagonal_closed_form(N, c, method):
    """``toeplitz([1, c, 0, ...])`` has eigenvalues ``1 + 2 c cos(k pi / (N+1))``."""
    r = np.zeros(N)
    r[0] = 1.0
    if N > 1:
        r[1] = c
    lam = 1 + 2 * c * np.cos(np.arange(1, N + 1) * np.pi / (N + 1))
    assert abs(tz.min_eig(r, method=method) - lam.min()) <= EIG_ATOL * 2
    assert abs(tz.max_eig(r, method=method) - lam.max()) <= EIG_ATOL * 2


@pytest.mark.parametrize("method", ["auto", "lanczos", "bisection"])
def test_indefinite_eigenvalues(method):
    r = np.r_[1.0, 0.9, np.zeros(98)]           # lmin = 1 - 1.8 cos(pi/101) < 0
    ev = np.linalg.eigvalsh(scipy.linalg.toeplitz(r))
    assert ev[0] < 0
    assert abs(tz.min_eig(r, method=method) - ev[0]) <= EIG_ATOL * 3


@pytest.mark.parametrize("N, J", [(400, 4), (1000, 7), (1000, 200), (1000, 0)])
def test_extreme_eigenvalues_every_route(N, J):
    """Beyond the dense size: banded bisection for a narrow band, Lanczos for a wide one."""
    r = 0.8 ** np.arange(N) * np.cos(0.3 * np.arange(N))
    r[J + 1:] = 0.0
    ev = np.linalg.eigvalsh(scipy.linalg.toeplitz(r))
    lo, hi = tz.extreme_eigenvalues(r)
    scale = max(abs(ev[0]), abs(ev[-1]))
    assert abs(lo - ev[0]) <= EIG_ATOL * scale and abs(hi - ev[-1]) <= EIG_ATOL * scale


@pytest.mark.parametrize("N", [1, 2, 3, 7, 100, 1001])
def test_matvec_matches_dense(N, rng):
    r = rng.standard_normal(N)
    X = rng.standard_normal((N, 3))
    T = scipy.linalg.toeplitz(r)
    assert rel_err(tz.matvec(r, X), T @ X) <= MATVEC_RTOL * np.sqrt(N)
    assert rel_err(tz.matvec(r, X[:, 1]), T @ X[:, 1]) <= MATVEC_RTOL * np.sqrt(N)


@pytest.mark.parametrize("kernel", KERNELS, ids=KERNEL_IDS)
@pytest.mark.parametrize("N", [1, 2, 3, 500])
def test_pcg_matches_dense(kernel, N, rng):
    r = kernel.autocovariance(N)
    B = rng.standard_normal((N, 2))
    scale, shift = np.array([0.7, 2.0]), np.array([0.1, 0.0])
    res = tz.pcg_solve(r, B, tol=1e-12, scale=scale, shift=shift)
    T = scipy.linalg.toeplitz(r)
    for k in range(2):
        A = scale[k] * T + shift[k] * np.eye(N)
        x = np.linalg.solve(A, B[:, k])
        assert rel_err(A @ res.x[:, k], B[:, k]) <= 1e-12
        assert rel_err(res.x[:, k], x) <= 1e-12 * np.linalg.cond(A) * 10
    assert res.residual <= 1e-12


@pytest.mark.parametrize("kernel", KERNELS, ids=KERNEL_IDS)
@pytest.mark.parametrize("N", [1, 2, 3, 4, 5, 8, 17, 64, 255, 1000])
def test_strang_corners_are_toeplitz_minus_strang(kernel, N, rng):
    """The corner product that replaces ``T z`` in the Strang iteration, against the dense
    ``toeplitz(r) - circulant(strang(r))``."""
    from gpdtheory.toeplitz.rows_pcg import _strang, _StrangCorners

    r = kernel.autocovariance(N)
    E = scipy.linalg.toeplitz(r) - scipy.linalg.circulant(_strang(r))
    Z = rng.standard_normal((3, N))
    EZ = _StrangCorners(r).apply(np.zeros_like(Z), Z, np.ones(3), np.full_like(Z, np.nan))
    exact = Z @ E.T
    assert np.abs(EZ - exact).max() <= 1e-13 * max(1.0, np.abs(exact).max())
    assert np.all(np.abs(E)[np.abs(np.subtract.outer(np.arange(N), np.arange(N))) <= N // 2] == 0)


@pytest.mark.parametrize("N", [4096, 5000, 4097])
def test_strang_iteration_never_forms_the_full_product(N, rng, monkeypatch):
    """Every transform has length ~N, the final true residual included: no transform of the
    ``2N`` embedding. Even N: 5 per row and iteration (the preconditioner's two, the even
    part's inverse, the odd-frequency pair through complex transforms of N / 2); odd N:
    6 (the preconditioner's two, two corner convolutions)."""
    import ducc0
    import scipy.fft

    from gpdtheory.toeplitz import rows_pcg
    from gpdtheory.toeplitz.fft import embedding_length

    lengths = []
    # the engine's transforms are ducc0's (gpdtheory.toeplitz.realfft); NumPy's and SciPy's
    # are spied on too, so that a route moved back to them is still seen
    for module, names in ((ducc0.fft, ("r2c", "c2r", "c2c")), (scipy.fft, ("rfft", "irfft")),
                          (np.fft, ("rfft", "irfft"))):
        for name in names:
            real = getattr(module, name)

            def counting(x, *args, _real=real, _name=name, **kwargs):
                if _name == "c2r":
                    length = kwargs["lastsize"]
                elif _name == "r2c":
                    length = np.shape(x)[-1]
                elif _name == "c2c":
                    length = np.shape(x)[kwargs["axes"][0]]
                else:
                    n = args[0] if args else kwargs.get("n")
                    length = n if n is not None else (
                        np.shape(x)[-1] if _name == "rfft" else 2 * (np.shape(x)[-1] - 1))
                lengths.append(length)
                return _real(x, *args, **kwargs)

            monkeypatch.setattr(module, name, counting)
    r = Logarithmic(2.0, 1.0).autocovariance(N)   # slow decay: many iterations
    B = rng.standard_normal((4, N))
    res = rows_pcg.pcg_rows(r, B, np.array([0.5, 1.0, 2.0, 3.0]), np.full(4, 0.4), tol=1e-12)
    assert res.preconditioner == "strang" and res.iterations >= 3
    per_row_iteration = 5 if N % 2 == 0 else 6
    assert len(lengths) >= per_row_iteration * 4 * res.iterations  # the counter saw them
    assert embedding_length(N) not in lengths and max(lengths) <= N + 2
    x = np.linalg.solve(0.5 * scipy.linalg.toeplitz(r) + 0.4 * np.eye(N), B[0])
    assert rel_err(res.x[0], x) <= 1e-9


def test_pcg_reports_failure():
    r = np.exp(-np.arange(400) ** 2 / 400.0)      # Gaussian, kappa ~ 1e17: CG stalls
    with pytest.raises(ConvergenceError):
        tz.pcg_solve(r, np.ones(400), tol=1e-14, maxiter=5)
