"""Forward Ornstein–Uhlenbeck diffusion, the exact score and its conditioning.

docs/theory.md §2. ``dX = -X/2 dt + dW`` gives ``alpha_t``, ``sigma_t^2``
(:mod:`gpdtheory.schedule`; ``alpha_t^2 + sigma_t^2 = 1``) and the marginal

    vec X_t ~ N(alpha_t vec mu, C_t),   C_t = alpha_t^2 (Gamma ⊗ Sigma) + sigma_t^2 I.

The score ``s*(X, t) = -C_t^{-1} vec(X - alpha_t mu)`` is computed without ever
forming the ``Nd x Nd`` matrix: with ``Sigma = U diag(lam) U^T`` and
``Z = (X - alpha_t mu) U``, column ``k`` of ``W`` solves the ``N x N`` system
``(alpha_t^2 lam_k Gamma + sigma_t^2 I) w_k = z_k`` and ``s* = -W U^T``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import scipy.linalg

from .errors import AccuracyWarning, InvalidArgumentError
from .linear import noisy_batch_at
from .schedule import alpha, alpha2_sigma2, check_scalar_diffusion_time, sigma2
from .spec import DENSE_FACTOR_MAX_N, GPSpec, check_spec

__all__ = [
    "alpha",
    "sigma2",
    "marginal_covariance",
    "marginal_covariance_operator",
    "score",
    "ConditionNumber",
    "condition_number",
    "ACCURACY_RTOL",
]

#: ``score`` issues an :class:`~gpdtheory.errors.AccuracyWarning` when the estimated
#: relative error of the route it took (:data:`ROUTE_ERROR_PER_KAPPA_EPS`, or for the CG
#: route ``kappa_t`` times the residual reached) is worse than this.
ACCURACY_RTOL = 1e-8
#: Estimated relative error of each direct route of ``score``, in units of ``kappa_t eps``.
#: Measured maxima against an extended-precision oracle (Gaussian correlations, N = 200-1500,
#: kappa_t = 2e5-1e8): the eigendecomposition route 2-4 (``eigh``'s backward error spreads
#: over every eigenvector), Levinson 0.16; the factors leave a margin of 2 over the eig
#: route and keep 1 (the bound of a backward-stable solver) for Levinson and the dense
#: Cholesky solve.
ROUTE_ERROR_PER_KAPPA_EPS = {"eig": 8.0, "toeplitz": 1.0, "dense": 1.0}

ScoreMethod = Literal["auto", "eig", "toeplitz", "dense"]


def marginal_covariance(spec: GPSpec, t: float) -> np.ndarray:
    """Dense ``C_t = alpha_t^2 (Gamma ⊗ Sigma) + sigma_t^2 I`` of shape ``(Nd, Nd)``.

    An oracle for tests and small problems (``O((Nd)^2)`` memory); the fast routines never
    form it. For products with ``C_t`` at large N use :func:`marginal_covariance_operator`
    (``O(N d log N)`` per product).
    """
    check_spec(spec)
    # a 0-d array: numpy's exp, bit for bit the one of the batched routes (math.exp may
    # differ in the last bit)
    a2, s2 = alpha2_sigma2(np.asarray(check_scalar_diffusion_time(t)))
    return a2 * spec.covariance_dense() + s2 * np.eye(spec.N * spec.d)


def marginal_covariance_operator(spec: GPSpec, t: float):
    """``C_t = alpha_t^2 (Gamma ⊗ Sigma) + sigma_t^2 I`` as a matrix-free operator.

    Parameters
    ----------
    spec : GPSpec
    t : float
        Diffusion time ``> 0``.

    Returns
    -------
    scipy.sparse.linalg.LinearOperator
        Shape ``(Nd, Nd)``, symmetric, acting on row-major ``vec X``.

    Notes
    -----
    ``(Gamma ⊗ Sigma) vec X = vec(Gamma X Sigma)``: the ``d`` columns of ``X Sigma`` go
    through one batched FFT Toeplitz product (:mod:`gpdtheory.toeplitz.fft`), so one
    product costs ``O(N d log N + N d^2)`` time and ``O(N d)`` memory; nothing
    ``N x N`` is formed (a dense ``Gamma`` product for non-Toeplitz specs). Equivalent
    dense computation: ``marginal_covariance(spec, t) @ v``.
    """
    import scipy.sparse.linalg

    check_spec(spec)
    a2, s2 = (float(c) for c in alpha2_sigma2(np.asarray(check_scalar_diffusion_time(t))))
    N, d = spec.N, spec.d
    if spec.is_toeplitz:
        from .toeplitz.fft import ToeplitzOperator

        op = ToeplitzOperator(spec.r)
        gamma_times = op.matvec
    else:
        G = spec.gamma_dense()

        def dense_times(x: np.ndarray) -> np.ndarray:
            return G @ x

        gamma_times = dense_times
    S = np.asarray(spec.Sigma)

    def mv(v):
        V = np.asarray(v, dtype=np.float64)
        cols = V.reshape(N, d, -1)                                       # (N, d, k)
        k = cols.shape[2]
        Y = np.einsum("ij,njk->nik", S, cols).reshape(N, d * k)         # X Sigma (Sigma sym.)
        GY = gamma_times(Y).reshape(N, d, k)
        out = a2 * GY + s2 * cols
        return out.reshape(V.shape)

    return scipy.sparse.linalg.LinearOperator((N * d, N * d), matvec=mv, rmatvec=mv,
                                              matmat=mv, dtype=np.float64)


def score(spec: GPSpec, X: Any, t: Any, method: ScoreMethod = "auto") -> np.ndarray:
    """Exact score ``s*(X, t) = -C_t^{-1} vec(X - alpha_t mu)`` of the diffused GP.

    Parameters
    ----------
    spec : GPSpec
    X : (..., N, d) array_like
        Noisy sequences at diffusion time ``t``.
    t : float or (...) array_like
        Diffusion time(s) ``> 0``, a scalar or one per sequence.
    method : {"auto", "eig", "toeplitz", "dense"}
        ``"eig"`` diagonalises ``Gamma`` once (``O(N^3)``, then ``O(N^2 d)`` per
        sequence); ``"toeplitz"`` solves ``d`` Toeplitz systems per sequence with the
        Toeplitz engine (``O(N^2 d)`` time, ``O(N d)`` memory, any N); ``"dense"``
        forms ``C_t`` (the oracle, ``O((Nd)^3)``). ``"auto"`` picks ``"eig"`` up to
        ``N = 2048`` and for non-Toeplitz specs, ``"toeplitz"`` beyond.
        ``"toeplitz"`` uses Levinson (direct) below ``N = 4096`` and circulant-
        preconditioned CG to relative residual ``1e-12`` beyond. Between
        ``STRUCTURED_FIRST_MIN_N = 256`` and ``2048`` a spec without a cached
        eigendecomposition is scored by Levinson first, and the ``O(N^3)`` eigendecomposition
        is built only once the Levinson work spent on the spec has reached its cost (or when
        the certified ``kappa_t`` bound exceeds ``STRUCTURED_KAPPA_MAX``), so that a single
        call never pays for it.

    Returns
    -------
    (..., N, d) ndarray of float64

    Notes
    -----
    Equivalent to ``-np.linalg.solve(C_t, (X - alpha_t mu).ravel())`` reshaped to
    ``(N, d)`` (docs/theory.md §2), to about ``kappa_t * 1e-16`` relative.

    Examples
    --------
    >>> import gpdtheory as gp
    >>> spec = gp.GPSpec(gp.PoweredExponential(1.0, 1.0), N=4, Sigma=np.eye(2))
    >>> X = spec.sample(1, seed=0)[0]
    >>> C = gp.marginal_covariance(spec, 0.5)
    >>> s = gp.score(spec, X, 0.5)
    >>> bool(np.allclose(C @ s.ravel(), -X.ravel()))
    True
    """
    X, t, a2, s2 = noisy_batch_at(spec, X, t)
    alpha_t = np.sqrt(a2)[..., None, None]
    Y = X - alpha_t * spec.mean_array if spec.mean is not None else X
    if method not in ("auto", "eig", "toeplitz", "dense"):
        raise InvalidArgumentError("method", method, "is not a score method",
                                   "pass 'auto', 'eig', 'toeplitz' or 'dense'")
    if method == "toeplitz" and not spec.is_toeplitz:
        raise InvalidArgumentError("method", method, "needs equispaced frames (Toeplitz Gamma)",
                                   "use method='eig' or 'dense' for non-equispaced times")
    brackets = _kappa_brackets(spec, a2, s2)
    if method == "auto":
        method = _auto_method(spec, float(np.max(brackets[1])), Y.size // spec.N)
    eps = np.finfo(np.float64).eps
    cg = method == "toeplitz" and spec.N >= PCG_SCORE_MIN_N
    if not cg:  # a priori: the route's error per unit of kappa_t
        _warn_accuracy(spec, t, a2, s2, brackets, ROUTE_ERROR_PER_KAPPA_EPS[method] * eps,
                       method)
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is reported just below
        if method == "toeplitz":
            out, residual = _score_toeplitz(spec, Y, a2, s2)
        elif method == "eig":
            out = _score_eig(spec, Y, a2, s2)
        else:
            out = _score_dense(spec, Y, t, a2, s2)
    if cg:  # a posteriori: forward error <= kappa_t times the relative residual reached
        assert residual is not None  # the CG route (N >= PCG_SCORE_MIN_N) reports one
        _warn_accuracy(spec, t, a2, s2, brackets, residual, "CG")
    if not np.all(np.isfinite(out)):
        big = float(np.max(np.abs(X)))
        raise InvalidArgumentError("X", f"array of shape {X.shape}, max |X| = {big:.3g}",
                                   "is so large that the score overflows float64",
                                   "rescale X (and Sigma) to moderate magnitudes")
    return out


def _kappa(a2: np.ndarray, s2: np.ndarray, lmin_g: float, lmax_g: float, lmin_s: float,
           lmax_s: float) -> np.ndarray:
    """``(a2 lmax_g lmax_s + s2) / max(a2 lmin_g lmin_s + s2, s2)`` elementwise."""
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        # lmin(C_t) >= sigma_t^2 exactly; the clip guards round-off in a singular Gamma
        return (a2 * lmax_g * lmax_s + s2) / np.maximum(a2 * lmin_g * lmin_s + s2, s2)


def _kappa_brackets(spec: GPSpec, a2: np.ndarray, s2: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray, bool]:
    """``(kappa_lo, kappa_hi, exact)``: certified brackets on ``kappa_t`` over the batch.

    ``kappa_t`` is increasing in ``lmax(Gamma)`` and decreasing in ``lmin(Gamma)``, so the
    ``O(N log N)`` brackets of :attr:`GPSpec.gamma_eigenvalue_bounds` give
    ``kappa_lo <= kappa_t <= kappa_hi``; the exact values when the spec holds them.
    """
    lam = spec.sigma_eigh[0]
    lmin_s, lmax_s = float(lam[0]), float(lam[-1])
    if spec.has_gamma_extreme_eigenvalues:
        lo_g, hi_g = spec.gamma_extreme_eigenvalues
        kappa = _kappa(a2, s2, lo_g, hi_g, lmin_s, lmax_s)
        return kappa, kappa, True
    b = spec.gamma_eigenvalue_bounds
    return (_kappa(a2, s2, b.lmin_upper, b.lmax_lower, lmin_s, lmax_s),
            _kappa(a2, s2, b.lmin_lower, b.lmax_upper, lmin_s, lmax_s), False)


def _warn_accuracy(spec: GPSpec, t: np.ndarray, a2: np.ndarray, s2: np.ndarray,
                   brackets: tuple[np.ndarray, np.ndarray, bool], per_kappa: float,
                   route: str) -> None:
    """Warn when the estimated error ``kappa_t * per_kappa`` exceeds ``ACCURACY_RTOL``.

    Decided from the certified brackets of :func:`_kappa_brackets`: no warning when
    ``kappa_hi * per_kappa`` is below the threshold (the usual case); a warning quoting the
    bracket when ``kappa_lo * per_kappa`` is above it. Only in between are the exact
    extremes computed (:attr:`GPSpec.gamma_extreme_eigenvalues`, ``O(N log N)``
    sine-Davidson for a large Toeplitz Gamma), so that the verdict is the same as with
    exact eigenvalues.
    """
    kappa_lo, kappa_hi, exact = brackets
    if float(np.max(kappa_hi)) * per_kappa <= ACCURACY_RTOL:
        return
    if not exact and float(np.max(kappa_lo)) * per_kappa <= ACCURACY_RTOL:  # undecided
        lam = spec.sigma_eigh[0]
        lo_g, hi_g = spec.gamma_extreme_eigenvalues
        kappa_lo = kappa_hi = _kappa(a2, s2, lo_g, hi_g, float(lam[0]), float(lam[-1]))
    worst = float(np.max(kappa_lo))
    if worst * per_kappa > ACCURACY_RTOL:
        i = int(np.argmax(kappa_lo))
        t_worst = float(np.ravel(t)[i])
        hi = float(np.ravel(kappa_hi)[i])
        value = (f"kappa_t = {worst:.3e}" if hi <= worst * (1 + 1e-9)
                 else f"kappa_t is in [{worst:.3e}, {hi:.3e}]")
        warnings.warn(AccuracyWarning(
            f"score at t={t_worst:.3g}: {value}, so the {route} route's relative error may "
            f"reach about {worst * per_kappa:.1e} (ACCURACY_RTOL = {ACCURACY_RTOL:g}). Fix: "
            "use a larger diffusion time (early stopping t0), or a better-conditioned "
            "Sigma/kernel"), stacklevel=3)


def _score_eig(spec: GPSpec, Y: np.ndarray, a2: np.ndarray, s2: np.ndarray) -> np.ndarray:
    lam, U = spec.sigma_eigh
    g, V = spec.gamma_eigh
    Z = V.T @ (Y @ U)                                                  # (..., N, d)
    denom = a2[..., None, None] * np.multiply.outer(g, lam) + s2[..., None, None]
    return -(V @ (Z / denom)) @ U.T


def _score_dense(spec: GPSpec, Y: np.ndarray, t: np.ndarray, a2: np.ndarray, s2: np.ndarray
                 ) -> np.ndarray:
    K = spec.covariance_dense()
    n = spec.N * spec.d
    out = np.empty_like(Y)
    for idx in np.ndindex(Y.shape[:-2]):
        C = a2[idx] * K + s2[idx] * np.eye(n)
        try:
            with warnings.catch_warnings():  # score() has already issued an AccuracyWarning
                warnings.simplefilter("ignore", scipy.linalg.LinAlgWarning)
                x = scipy.linalg.solve(C, Y[idx].ravel(), assume_a="pos")
        except np.linalg.LinAlgError as exc:
            raise InvalidArgumentError("t", float(t[idx]), "makes C_t numerically singular "
                                       "for the dense solve",
                                       "use a larger t or method='eig'") from exc
        out[idx] = -x.reshape(spec.N, spec.d)
    return out


#: ``method="auto"`` uses the Toeplitz engine from this N on (Toeplitz specs). Up to
#: ``DENSE_FACTOR_MAX_N = 2048`` a spec *holding* Gamma's eigendecomposition is scored by
#: the "eig" route, as fast or faster (d = 8, one t: 1.5 ms vs 8 ms at N = 1024, 12 ms vs
#: 16 ms at N = 2048); beyond, one O(N^3) eigh costs more than many O(N^2 d) Levinson solves.
TOEPLITZ_SCORE_MIN_N = DENSE_FACTOR_MAX_N + 1
#: From this N on (and below ``TOEPLITZ_SCORE_MIN_N``), ``method="auto"`` does not build the
#: eigendecomposition for a spec that lacks one: it scores with Levinson (``4 N^2`` flops
#: per system) as long as the Levinson flops spent on the spec, this call included, stay
#: below ``EIGH_FLOPS_PER_N3 N^3``, the eigendecomposition's cost, then builds it (ski
#: rental: never more than twice the cheaper of the two strategies; a large batch builds it
#: at once). Below it the eigendecomposition costs < 5 ms.
STRUCTURED_FIRST_MIN_N = 256
#: Flops of ``numpy.linalg.eigh`` on an N x N matrix, divided by ``N^3`` (tridiagonal
#: reduction plus divide and conquer with vectors, about 9 N^3).
EIGH_FLOPS_PER_N3 = 9.0
#: The Levinson route is used for the first calls only when the certified bound on
#: ``kappa_t`` is at most this (Levinson's error grows like ``kappa eps``, as the eig
#: route's does, but with a larger constant; below 1e6 both are at round-off for the
#: score's ``1e-10`` oracle tolerance).
STRUCTURED_KAPPA_MAX = 1e6


def _auto_method(spec: GPSpec, kappa_hi: float, systems: int) -> Literal["eig", "toeplitz"]:
    """The route of ``method="auto"`` for ``systems`` Toeplitz systems of order N."""
    N = spec.N
    if not spec.is_toeplitz:
        return "eig"
    if N >= TOEPLITZ_SCORE_MIN_N:
        return "toeplitz"
    if N < STRUCTURED_FIRST_MIN_N or spec.has_gamma_eigh or not kappa_hi <= STRUCTURED_KAPPA_MAX:
        return "eig"
    # this call would complete the rent: build the eigendecomposition
    rented = spec.charge_structured_solves(4.0 * float(N) ** 2 * systems,
                                           EIGH_FLOPS_PER_N3 * float(N) ** 3)
    return "toeplitz" if rented else "eig"
#: Beyond this N the d systems are solved by circulant-preconditioned CG (O(N log N) per
#: iteration) instead of Levinson (4 N^2 each): ``gpdtheory.toeplitz.rows_pcg.pcg_rows``,
#: the systems as contiguous rows, real FFTs only, converged systems retired (measured 2.5-3x
#: faster than ``pcg_solve`` at N = 2^18, d = 16, same iterations and residuals).
PCG_SCORE_MIN_N = 4096
#: Relative residual of the CG route; the score's relative error is at most kappa_t times it.
PCG_SCORE_TOL = 1e-12


def _score_toeplitz(spec: GPSpec, Y: np.ndarray, a2: np.ndarray, s2: np.ndarray
                    ) -> tuple[np.ndarray, float | None]:
    """All ``batch x d`` systems ``(a2 lam_k Gamma + s2 I) w = z`` in one call, O(N d) memory;
    with the worst relative residual of the CG route (None for Levinson)."""
    from .toeplitz import levinson_batch_numba
    from .toeplitz.threads import launch

    lam, U = spec.sigma_eigh
    N, d = spec.N, spec.d
    batch = Y.shape[:-2]
    scale = (a2.reshape(-1, 1) * lam).ravel()                           # (B*d,)
    shift = np.repeat(s2.reshape(-1), d)                                # (B*d,)
    if N < PCG_SCORE_MIN_N:
        Z = (Y @ U).reshape(-1, N, d)                                   # (B, N, d)
        R = np.multiply.outer(scale, spec.r)                            # (B*d, N)
        R[:, 0] += shift
        rhs = np.ascontiguousarray(Z.transpose(0, 2, 1).reshape(-1, N))  # (B*d, N)
        W, _logdet, fail = launch(levinson_batch_numba, R, rhs)
        if np.any(fail >= 0):
            from .errors import NotPositiveDefiniteError

            raise NotPositiveDefiniteError("C_t", "a Toeplitz block alpha^2 lam_k Gamma + "
                                           "sigma^2 I failed Levinson's PD test",
                                           "check Gamma with gpdtheory.toeplitz.min_eig")
        W = W.reshape(-1, d, N).transpose(0, 2, 1)
    else:
        from .toeplitz.rows_pcg import pcg_rows
        from .toeplitz.threads import zeros

        # (B*d, N) rows straight from one BLAS product per sequence (no transposed copy),
        # in mapped memory (first touch: see toeplitz.threads.zeros)
        sequences = Y.reshape(-1, N, d)
        rhs = np.matmul(U.T, np.swapaxes(sequences, 1, 2),
                        out=zeros((sequences.shape[0], d, N))).reshape(-1, N)
        res = pcg_rows(spec.r, rhs, scale, shift, tol=PCG_SCORE_TOL)
        W = res.x
        # the score goes into the right-hand sides' memory, free now: fresh memory costs
        # more than the product at this size (benchmarks/RESULTS.md, first-touch cost)
        out = np.matmul(np.swapaxes(W.reshape(-1, d, N), 1, 2), U.T,
                        out=rhs.reshape(-1, N, d))
        out *= -1.0
        return out.reshape(*batch, N, d), res.residual
    return -(W @ U.T).reshape(*batch, N, d), None


@dataclass(frozen=True)
class ConditionNumber:
    """Condition number of ``C_t`` with the bounds of docs/theory.md §2.

    Attributes
    ----------
    t : float
    kappa : float
        ``lmax(C_t) / lmin(C_t)``, exact.
    lmin_C, lmax_C : float
        ``mu_t = alpha^2 lmin(Gamma) lmin(Sigma) + sigma^2`` and its counterpart.
    lmin_gamma, lmax_gamma, lmin_sigma, lmax_sigma : float
    bound_exp : float
        ``1 + lmax(Gamma) lmax(Sigma) / (e^t - 1)``.
    bound_t : float
        ``1 + lmax(Gamma ⊗ Sigma) / t`` (weaker, since ``e^t - 1 >= t``).
    bound_symbol : float
        ``1 + (1 + 2 sum_{m>=1} |rho(m)|) lmax(Sigma) / (e^t - 1)``, N-free; ``inf``
        when the kernel is not summable (the paper's ``kappa ≲ ell^{1/nu} / t0``).
    """

    t: float
    kappa: float
    lmin_C: float
    lmax_C: float
    lmin_gamma: float
    lmax_gamma: float
    lmin_sigma: float
    lmax_sigma: float
    bound_exp: float
    bound_t: float
    bound_symbol: float


def condition_number(spec: GPSpec, t: float,
                     eigenvalues: Literal["exact", "bounds"] = "exact") -> ConditionNumber:
    """Condition number of ``C_t`` (exact, or a certified upper bound) and its bounds.

    Parameters
    ----------
    spec : GPSpec
    t : float
        Diffusion time ``> 0``.
    eigenvalues : {"exact", "bounds"}
        ``"exact"`` uses ``spec.gamma_extreme_eigenvalues`` (cached; on a large Toeplitz
        spec the ``O(N log N)`` sine-Davidson route of :mod:`gpdtheory.toeplitz.eig`,
        whose value is a Rayleigh quotient, i.e. an upper bound on ``lmin(Gamma)`` up to
        round-off, and agrees with the ``O(N^2)`` Durbin-certified route to about
        ``2e-11`` relative). ``"bounds"`` is the certified route, also
        ``O(N log N)``: it uses the certified brackets of
        ``spec.gamma_eigenvalue_bounds``, ``lmin_gamma`` is then a lower bound on
        ``lmin(Gamma)``, ``lmax_gamma`` an upper bound on ``lmax(Gamma)``, and ``kappa``,
        ``lmax_C``, ``bound_exp``, ``bound_t`` are upper bounds and ``lmin_C`` a lower
        bound on the exact values.

    Returns
    -------
    ConditionNumber

    Notes
    -----
    ``kappa_t = (alpha^2 lmax(G) lmax(S) + sigma^2) / (alpha^2 lmin(G) lmin(S) + sigma^2)
    <= 1 + lmax(G) lmax(S) / (e^t - 1) <= 1 + lmax(G ⊗ S) / t``, because
    ``alpha^2 / sigma^2 = 1 / (e^t - 1)`` (docs/theory.md §2.3). The expression is
    increasing in ``lmax(G)`` and decreasing in ``lmin(G)``, which is why the brackets
    give an upper bound on ``kappa_t``.
    """
    check_spec(spec)
    t = check_scalar_diffusion_time(t)
    a2, s2 = (float(c) for c in alpha2_sigma2(np.asarray(t)))  # numpy's exp, as the score's
    if eigenvalues == "exact":
        lmin_g, lmax_g = spec.gamma_extreme_eigenvalues
    elif eigenvalues == "bounds":
        b = spec.gamma_eigenvalue_bounds
        lmin_g, lmax_g = b.lmin_lower, b.lmax_upper
    else:
        raise InvalidArgumentError("eigenvalues", eigenvalues, "is not an eigenvalue route",
                                   "pass 'exact' or 'bounds'")
    lam = spec.sigma_eigh[0]
    lmin_s, lmax_s = float(lam[0]), float(lam[-1])
    lmax_C = a2 * lmax_g * lmax_s + s2
    # lmin(C_t) >= sigma_t^2 exactly; max() guards round-off in a numerically singular Gamma
    lmin_C = max(a2 * lmin_g * lmin_s + s2, s2)
    # t -> 0 or t > 709: the ratios below may overflow to inf, which is the right limit
    with np.errstate(over="ignore", divide="ignore"):
        em1 = np.expm1(t)
        abs_sum = spec.kernel.abs_sum() if spec.is_toeplitz else np.inf
        bound_symbol = 1.0 + (1.0 + 2.0 * abs_sum) * lmax_s / em1 if spec.dt == 1.0 else np.inf
        kappa = np.float64(lmax_C) / lmin_C
        bound_exp = 1.0 + np.float64(lmax_g) * lmax_s / em1
        bound_t = 1.0 + np.float64(lmax_g) * lmax_s / t
    return ConditionNumber(
        t=t, kappa=float(kappa), lmin_C=lmin_C, lmax_C=lmax_C,
        lmin_gamma=lmin_g, lmax_gamma=lmax_g, lmin_sigma=lmin_s, lmax_sigma=lmax_s,
        bound_exp=float(bound_exp), bound_t=float(bound_t),
        bound_symbol=float(bound_symbol),
    )
