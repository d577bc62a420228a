"""The data model: a Gaussian process over N frames with covariance ``Gamma ⊗ Sigma``.

docs/theory.md §1. Frames are rows: a sample is ``X`` of shape ``(N, d)`` and
``vec(X)`` is its row-major flattening, so ``Cov(vec X) = np.kron(Gamma, Sigma)``.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

import numpy as np
import scipy.linalg

from .errors import InvalidArgumentError, NotPositiveDefiniteError
from .kernels import Kernel, SampledKernel, from_sklearn
from .validation import (
    as_real_array,
    as_rng,
    check_positive_int,
    check_positive_scalar,
    check_spd_eigh,
)

__all__ = ["GPSpec", "as_kernel", "check_spec", "check_model_fits_spec"]

#: Largest N for which a Toeplitz Gamma is *factored* densely by default: the ``O(N^3)``
#: Cholesky factor of :meth:`GPSpec.sample` and the eigendecomposition of the score's
#: ``"eig"`` route. Gamma's extreme eigenvalues have their own, smaller threshold in the
#: Toeplitz engine (:data:`gpdtheory.toeplitz.eig.DENSE_EXTREMES_MAX_N`).
DENSE_FACTOR_MAX_N = 2048
#: Up to this N, :attr:`GPSpec.gamma_eigenvalue_bounds` returns the exact extremes (a dense
#: ``eigvalsh`` of at most 64 x 64 costs less than the FFT bracket's set-up).
DENSE_BOUNDS_MAX_N = 64


def as_kernel(kernel: Any) -> Kernel:
    """Accept a gpdtheory kernel, a stationary scikit-learn kernel or a ``rho`` array.

    A GPyTorch kernel is refused with the fix ``gpdtheory.from_gpytorch(kernel)``.
    """
    if isinstance(kernel, Kernel):
        return kernel
    if type(kernel).__module__.startswith("sklearn."):
        return from_sklearn(kernel)
    if type(kernel).__module__.startswith("gpytorch."):
        raise InvalidArgumentError("kernel", kernel, "is a GPyTorch kernel, which GPSpec reads "
                                   "through its adapter", "pass gpdtheory.from_gpytorch(kernel)")
    if isinstance(kernel, (list, tuple, np.ndarray)):
        return SampledKernel(kernel)
    raise InvalidArgumentError("kernel", kernel, "is not a correlation kernel",
                               "pass gpdtheory.PoweredExponential(ell, nu), another gpdtheory "
                               "kernel, a stationary scikit-learn kernel, a rho array, or "
                               "gpdtheory.from_gpytorch(kernel) for a GPyTorch kernel")


def _array_code(a: np.ndarray) -> str:
    """``np.array([...])`` that rebuilds ``a`` exactly (shortest round-trip floats)."""
    return f"np.array({np.asarray(a, dtype=np.float64).tolist()!r})"


def _kernel_code(kernel: Kernel) -> str:
    """Code that rebuilds ``kernel`` (exact parameters; ``repr`` rounds them for reading)."""
    from .kernels import FAMILIES, Decay, Jittered, SklearnKernel

    if type(kernel) in FAMILIES.values():
        inner = ", ".join(f"{k}={float(v)!r}" for k, v in kernel.params.items())
        return f"{type(kernel).__name__}({inner})"
    if isinstance(kernel, Jittered):
        return f"with_jitter({_kernel_code(kernel.base)}, {kernel.jitter!r})"

    def decay_code(decay: Decay | None) -> str:
        if decay is None:
            return ""
        if decay.kind == "exponential":
            return f", decay=Decay.exponential({decay.rate!r}, C={decay.C!r})"
        if decay.kind == "polynomial":
            return f", decay=Decay.polynomial({decay.exponent!r}, C={decay.C!r})"
        return f", decay={decay!r}"  # an explicit callable has no literal

    if isinstance(kernel, SampledKernel):
        beyond = "" if kernel.beyond == "refuse" else f", beyond={kernel.beyond!r}"
        return f"SampledKernel({_array_code(kernel.values)}{beyond}{decay_code(kernel.decay)})"
    if isinstance(kernel, SklearnKernel):
        return f"from_sklearn({kernel.kernel!r}{decay_code(kernel.declared_decay)})"
    return repr(kernel)


class GPSpec:
    """A stationary Gaussian process over frames: ``vec X ~ N(vec mean, Gamma ⊗ Sigma)``.

    Parameters
    ----------
    kernel : Kernel, scikit-learn kernel or (M,) array_like
        Temporal correlation ``rho``; ``Gamma[i, j] = rho(|h_i - h_j|)``.
    N : int
        Number of frames.
    Sigma : (d, d) array_like
        Spatial covariance, symmetric positive definite.
    mean : (N, d) or (d,) array_like, optional
        Mean ``mu``; zero by default.
    dt : float
        Frame spacing: ``h_i = i * dt``.
    times : (N,) array_like, optional
        Non-equispaced frame times (strictly increasing). ``Gamma`` is then no longer
        Toeplitz and every routine falls back to dense linear algebra.

    Attributes
    ----------
    kernel : Kernel
        The correlation, converted (a scikit-learn kernel becomes a :class:`SklearnKernel`,
        an array a :class:`SampledKernel`).
    N : int
        Number of frames.
    d : int
        Number of features, ``Sigma.shape[0]``.
    Sigma : (d, d) ndarray of float64
        The spatial covariance, validated and read-only.
    mean : (N, d) ndarray of float64 or None
        The mean, broadcast to one row per frame and read-only; ``None`` for zero mean
        (:attr:`mean_array` gives zeros then).
    dt : float
        Frame spacing.
    times : (N,) ndarray of float64 or None
        The frame times when given, else ``None`` (equispaced, ``Gamma`` Toeplitz).

    The ``repr`` is code that rebuilds the spec (a failing hypothesis example can be pasted
    back): every argument is written out, arrays as ``np.array([...])`` literals and the
    mean as ``mean=None`` when there is none. It runs after ``import numpy as np``,
    ``from gpdtheory import *`` and ``from gpdtheory.kernels import Decay, with_jitter``
    (and, for a scikit-learn kernel, ``from sklearn.gaussian_process.kernels import *``).

    Raises
    ------
    InvalidArgumentError
        Bad shapes, NaN/inf, ``N < 1``, ``dt <= 0``.
    NotPositiveDefiniteError
        ``Sigma`` or ``Gamma_N`` is not positive definite.

    Examples
    --------
    >>> import gpdtheory as gp
    >>> spec = gp.GPSpec(gp.PoweredExponential(ell=2.0, nu=1.0), N=8, Sigma=np.eye(2))
    >>> spec.sample(3, seed=0).shape
    (3, 8, 2)
    """

    def __init__(self, kernel: Any, N: int, Sigma: Any, mean: Any = None, dt: float = 1.0,
                 times: Any = None):
        self.kernel = as_kernel(kernel)
        self.N = check_positive_int(N, "N")
        self.dt = check_positive_scalar(dt, "dt")
        # one eigendecomposition of Sigma both decides positive definiteness and is kept
        self.Sigma, lam, U = check_spd_eigh(Sigma, "Sigma")
        for a in (self.Sigma, lam, U):
            a.setflags(write=False)
        self._sigma_eigh = (lam, U)
        # Levinson work spent on this spec's solves (see charge_structured_solves)
        self._levinson_flops = 0.0
        self.d = self.Sigma.shape[0]
        if mean is None:
            self.mean = None
        else:
            mu = as_real_array(mean, "mean")
            if mu.shape not in ((self.N, self.d), (self.d,)):
                raise InvalidArgumentError("mean", f"array of shape {mu.shape}",
                                           f"has shape {mu.shape}, "
                                           f"expected ({self.N}, {self.d}) or ({self.d},)",
                                           "pass one mean per frame and feature, "
                                           "or one per feature")
            self.mean = np.broadcast_to(mu, (self.N, self.d)).copy()
            self.mean.setflags(write=False)
        if times is None:
            self.times = None
            # O(N log N) certificate first: a positive symbol bound proves Gamma_N PD without
            # Durbin's O(N^2) recursion (kernel.check_valid), which remains the exact verdict
            if not (self.kernel.always_positive_definite
                    or self.gamma_eigenvalue_bounds.lmin_lower > 0.0):
                self.kernel.check_valid(self.N, self.dt, r=self.r)
        else:
            h = as_real_array(times, "times", ndim=1)
            if h.size != self.N:
                raise InvalidArgumentError("times", h,
                                           f"has {h.size} entries for N={self.N} frames",
                                           "pass one time per frame")
            if self.N > 1 and np.any(np.diff(h) <= 0):
                raise InvalidArgumentError("times", h, "is not strictly increasing",
                                           "sort the frame times and drop duplicates")
            self.times = h
            self.times.setflags(write=False)
            try:
                scipy.linalg.cholesky(self.gamma_dense(), lower=True)
            except np.linalg.LinAlgError as exc:
                raise NotPositiveDefiniteError(
                    f"Gamma of {self.kernel!r} at the given times",
                    "its Cholesky factorisation failed",
                    "check the kernel is a valid correlation for these times") from exc

    def __repr__(self) -> str:
        mean = "None"
        if self.mean is not None:  # one row when every frame has the same mean
            same = bool(np.all(self.mean == self.mean[0]))
            mean = _array_code(self.mean[0] if same else self.mean)
        times = "" if self.times is None else f", times={_array_code(self.times)}"
        return (f"GPSpec({_kernel_code(self.kernel)}, N={self.N}, "
                f"Sigma={_array_code(self.Sigma)}, mean={mean}, dt={self.dt!r}{times})")

    # ------------------------------------------------------------------ structure
    @property
    def is_toeplitz(self) -> bool:
        """True for equispaced frames (``Gamma`` symmetric Toeplitz)."""
        return self.times is None

    @cached_property
    def r(self) -> np.ndarray:
        """``(N,)`` first column of ``Gamma`` (Toeplitz specs only)."""
        if not self.is_toeplitz:
            raise InvalidArgumentError("spec", self,
                                       "has non-equispaced times: Gamma is not Toeplitz",
                                       "use spec.gamma_dense()")
        out = self.kernel.autocovariance(self.N, self.dt)
        out.setflags(write=False)
        return out

    @property
    def mean_array(self) -> np.ndarray:
        """``(N, d)`` mean, zeros when none was given."""
        return np.zeros((self.N, self.d)) if self.mean is None else self.mean

    def gamma_dense(self) -> np.ndarray:
        """The dense ``(N, N)`` temporal correlation matrix (a new array)."""
        if self.is_toeplitz:
            return scipy.linalg.toeplitz(self.r)
        times = self.times
        assert times is not None  # not Toeplitz: explicit frame times were given
        lag = np.abs(np.subtract.outer(times, times))
        return self.kernel(lag)

    def covariance_dense(self) -> np.ndarray:
        """``Gamma ⊗ Sigma``, the dense ``(Nd, Nd)`` covariance of ``vec X`` (oracle use)."""
        return np.kron(self.gamma_dense(), self.Sigma)

    @property
    def sigma_eigh(self) -> tuple[np.ndarray, np.ndarray]:
        """``(lam, U)`` with ``Sigma = U diag(lam) U^T``, ``lam`` ascending (read-only; the
        decomposition that validated ``Sigma``, computed once)."""
        return self._sigma_eigh

    @cached_property
    def gamma_eigh(self) -> tuple[np.ndarray, np.ndarray]:
        """``(g, V)`` with ``Gamma = V diag(g) V^T`` (dense ``O(N^3)``; small N)."""
        g, V = np.linalg.eigh(self.gamma_dense())
        g.setflags(write=False)
        V.setflags(write=False)
        return g, V

    @property
    def has_gamma_eigh(self) -> bool:
        """Whether :attr:`gamma_eigh` is computed already (reading this computes nothing)."""
        return "gamma_eigh" in self.__dict__

    @property
    def has_gamma_extreme_eigenvalues(self) -> bool:
        """Whether :attr:`gamma_extreme_eigenvalues` is computed already (computes nothing)."""
        return "gamma_extreme_eigenvalues" in self.__dict__

    def charge_structured_solves(self, flops: float, eigh_flops: float) -> bool:
        """Ski rental between structured solves and building :attr:`gamma_eigh`.

        Parameters
        ----------
        flops : float
            The cost of the structured (Levinson) solves a caller is about to make.
        eigh_flops : float
            The cost of the ``O(N^3)`` eigendecomposition they would replace.

        Returns
        -------
        bool
            True, with ``flops`` added to the work spent on this spec, while that total
            stays below ``eigh_flops``: solve structurally. False (nothing charged) once
            it would reach it: build the eigendecomposition instead. Never more than twice
            the cheaper of the two strategies, whatever the number of calls.
        """
        spent = self._levinson_flops + float(flops)
        if spent >= float(eigh_flops):
            return False
        self._levinson_flops = spent
        return True

    @cached_property
    def gamma_extreme_eigenvalues(self) -> tuple[float, float]:
        """``(lmin, lmax)`` of ``Gamma``, exact to round-off (lazy, cached).

        From the cached dense eigendecomposition when one exists; else, for a Toeplitz
        Gamma, from :func:`gpdtheory.toeplitz.extreme_eigenvalues` (dense ``eigvalsh`` up
        to its threshold, then ``O(N log N)`` sine-Davidson; see
        :mod:`gpdtheory.toeplitz.eig` for what each route certifies); else a dense
        ``eigvalsh``. The accuracy warning of ``score`` does not need it: it is decided
        from :attr:`gamma_eigenvalue_bounds` whenever a certified bracket suffices.
        """
        if self.has_gamma_eigh:
            g = self.gamma_eigh[0]
        elif self.is_toeplitz:
            from .toeplitz import extreme_eigenvalues

            return extreme_eigenvalues(self.r)
        else:
            g = np.linalg.eigvalsh(self.gamma_dense())
        return float(g[0]), float(g[-1])

    @cached_property
    def gamma_eigenvalue_bounds(self):
        """Certified brackets of ``lmin(Gamma)`` and ``lmax(Gamma)`` in ``O(N log N)``.

        Returns
        -------
        gpdtheory.toeplitz.EigenvalueBounds
            ``lmin_lower <= lmin(Gamma) <= lmin_upper`` and
            ``lmax_lower <= lmax(Gamma) <= lmax_upper``.

        Notes
        -----
        Toeplitz Gamma (docs/theory.md §1.3): ``Gamma_N`` is a section of the Toeplitz
        operator with the trigonometric-polynomial symbol
        ``f_{N-1}(w) = r_0 + 2 sum_{m=1}^{N-1} r_m cos(m w)``, so
        ``min f_{N-1} <= lmin <= lmax <= max f_{N-1}``; ``f_{N-1}`` is evaluated on an
        FFT grid of ``~4N`` points and widened by the rigorous grid allowance
        ``min(h S_1, h^2 S_2 / 4)``, ``S_k = sum m^k |r_m|``, ``h = 2 pi / M``, and by a
        round-off allowance; Gershgorin row sums (``O(N)``) cap both ends. The inner
        ends are Rayleigh quotients (``r_0`` and the Fejér means
        ``(1/N) e_w^* Gamma e_w``). When the kernel is proved positive definite on
        every N (``kernel.always_positive_definite``), ``lmin_lower`` is at least 0.
        See :func:`gpdtheory.toeplitz.eigenvalue_bounds`.

        When the exact extremes are already cached (or N is small, or Gamma is not
        Toeplitz and therefore dense anyway), the bracket collapses onto them.
        Memory: ``O(N)``.
        """
        from .toeplitz.bracket import EigenvalueBounds, eigenvalue_bounds

        if (self.has_gamma_extreme_eigenvalues or self.has_gamma_eigh
                or self.N <= DENSE_BOUNDS_MAX_N or not self.is_toeplitz):
            lo, hi = self.gamma_extreme_eigenvalues
            return EigenvalueBounds(lo, lo, hi, hi, 0.0)
        b = eigenvalue_bounds(self.r)
        if self.kernel.always_positive_definite and b.lmin_lower < 0.0:
            b = EigenvalueBounds(0.0, b.lmin_upper, b.lmax_lower, b.lmax_upper,
                                 b.grid_allowance)
        return b

    # ------------------------------------------------------------------ sampling
    def sample(self, n: int, seed: Any = None, method: str = "auto") -> np.ndarray:
        """Draw ``n`` sequences ``X ~ N(mean, Gamma ⊗ Sigma)``.

        Parameters
        ----------
        n : int
            Number of sequences.
        seed : int, numpy Generator or None
            Reproducibility: the same seed gives the same array (for a given method).
        method : {"auto", "dense", "circulant"}
            ``"dense"``: Cholesky factor of Gamma (``O(N^3)`` once, ``O(N^2)`` memory).
            ``"circulant"``: circulant embedding (Toeplitz specs), ``O(N log N)`` per
            sequence and feature, ``O(N)`` memory besides the output. ``"auto"``: dense
            up to ``N = 2048`` (and for non-Toeplitz specs), circulant beyond.

        Returns
        -------
        (n, N, d) ndarray of float64

        Raises
        ------
        NotPositiveDefiniteError
            ``"circulant"`` when no embedding up to ``2^6`` times the minimal length is
            positive semidefinite (use ``method="dense"``).

        Notes
        -----
        ``X = A Z B^T + mean`` with ``A A^T = Gamma`` and ``B = U diag(sqrt(lam))``.
        Dense: ``A`` is the Cholesky factor (eigen square root when ``Gamma`` is
        numerically singular). Circulant (Dietrich & Newsam 1997): the symmetric
        circulant ``C`` of a fast FFT length ``M >= 2(N - 1)`` with first column
        ``rho(0..M/2)`` mirrored has ``Gamma`` as its leading block; when its
        eigenvalues ``c^ = fft(C e_0)`` are nonnegative, ``y = fft(sqrt(c^/M) (z1 + i z2))``
        with independent standard normal ``z1, z2`` has ``Re y`` and ``Im y``
        independent ``N(0, C)``, whose first N entries are ``N(0, Gamma)`` exactly.
        ``M`` doubles (with true kernel values) until ``min c^ >= -1e-13 max c^``;
        round-off negatives are clipped to 0. The normals and transforms run in chunks on
        the engine's threads, each chunk with its own stream spawned from the seed
        (:mod:`gpdtheory.toeplitz.embedding_draws`): the draws do not depend on the thread
        count.
        """
        n = check_positive_int(n, "n")
        if method not in ("auto", "dense", "circulant"):
            raise InvalidArgumentError("method", method, "is not a sampling method",
                                       "pass 'auto', 'dense' or 'circulant'")
        if method == "auto":
            method = "dense" if (self.N <= DENSE_FACTOR_MAX_N or not self.is_toeplitz) \
                else "circulant"
        rng = as_rng(seed)
        lam, U = self.sigma_eigh
        B = U * np.sqrt(lam)
        if method == "circulant":
            if not self.is_toeplitz:
                raise InvalidArgumentError("method", method, "needs equispaced frames",
                                           "use method='dense' for non-equispaced times")
            return self._sample_circulant(n, rng) @ B.T + self.mean_array
        A = self._gamma_factor
        Z = rng.standard_normal((n, self.N, self.d))
        X = np.einsum("ij,njk->nik", A, Z) @ B.T
        return X + self.mean_array

    @cached_property
    def _circulant_sqrt(self) -> tuple[int, np.ndarray]:
        """``(M, sqrt(c^ / M))`` of the smallest PSD circulant embedding found."""
        import scipy.fft

        from .toeplitz.realfft import rfft

        N = self.N
        # the smallest fast FFT length (factors 2, 3, 5, 7, 11) at least 2(N - 1): 2(N - 1)
        # itself can have a large prime factor (N = 2^21: 2 * 7^2 * 127 * 337), and every
        # draw pays one transform of length M
        M = int(scipy.fft.next_fast_len(max(2 * (N - 1), 1)))
        for _ in range(7):
            half = M // 2
            rho = self.kernel.autocovariance(half + 1, self.dt) if half + 1 > N else \
                np.asarray(self.r[:half + 1])
            c = np.concatenate((rho, rho[1:M - half][::-1]))[:M]
            ev = rfft(c).real
            if ev.min() >= -1e-13 * max(ev.max(), np.finfo(float).tiny):
                return M, np.sqrt(np.clip(ev, 0.0, None) / M)
            M *= 2
        raise NotPositiveDefiniteError(
            f"the circulant embedding of Gamma ({self.kernel!r}, N={N})",
            f"has a negative eigenvalue ({ev.min():.3g}) up to length {M // 2}",
            "use spec.sample(..., method='dense')")

    def _sample_circulant(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``(n, N, d)`` draws of ``A Z`` with ``A A^T = Gamma`` (circulant embedding)."""
        from .toeplitz.embedding_draws import embedding_draws

        M, root = self._circulant_sqrt
        cols = embedding_draws(M, root, self.N, n * self.d, rng)
        return cols.reshape(n, self.d, self.N).transpose(0, 2, 1)

    @cached_property
    def _gamma_factor(self) -> np.ndarray:
        G = self.gamma_dense()
        try:
            return scipy.linalg.cholesky(G, lower=True)
        except np.linalg.LinAlgError:
            # positive semidefinite up to round-off (very smooth kernels): eigen square root
            g, V = np.linalg.eigh(G)
            return V * np.sqrt(np.clip(g, 0.0, None))


def check_spec(spec: Any, name: str = "spec") -> GPSpec:
    """``spec`` if it is a :class:`GPSpec`, else a documented error.

    Raises
    ------
    InvalidArgumentError
        Naming the argument ``name``, the value and how to build a spec.
    """
    if not isinstance(spec, GPSpec):
        raise InvalidArgumentError(name, spec, "is not a GPSpec",
                                   "build one with gpdtheory.GPSpec(kernel, N, Sigma)")
    return spec


def check_model_fits_spec(model: Any, spec: GPSpec, name: str = "model") -> None:
    """Refuse a network built for another sequence length or feature count than ``spec``.

    Raises
    ------
    InvalidArgumentError
        Naming ``name``, the model's ``(N, d)`` and the spec's.
    """
    if (model.N, model.d) != (spec.N, spec.d):
        raise InvalidArgumentError(name, f"N={model.N}, d={model.d}",
                                   f"does not match the spec (N={spec.N}, d={spec.d})",
                                   "pass a model built for this spec")
