"""Claims on the explicit transformer (docs/theory.md §5, with Theorem S of section 3).

``construct.exact``      block k of the built network equals GD iterate k (1e-10 relative, float64);
                         its total attention kernel equals Gamma_bar (1e-12).
``construct.theorem_s``  network error against the exact score <= the Theorem S bound.
``construct.sizes``      the J and L needed for worst-case error eps (operator norm, i.e. over
                         all X: ``||s_theta - s*||_F <= eps ||X||_F``) against Theorem S's
                         prescription; the slope of J^nu against log(1/eps) against ell,
                         two-sided (powered exponential); J unsaturated and growing with N
                         (logarithmic). measured: smallest J, L whose dense operator error
                         ``||A - C_t^{-1}||_2`` is below eps (eigh of the dense matrices);
                         bound: Theorem S's closed-form prescriptions and the tolerance
                         derived in :func:`_slope_and_tolerance`.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.linalg

try:
    import torch
except ImportError:  # a missing extra: name it, never a bare ModuleNotFoundError
    from gpdtheory._extras import require

    require("torch", "torch")
    raise

import gpdtheory as gp

from .cases import case_params, default_kernels, random_sigma
from .roundoff import allowance
from .table import CheckConfig, Measurement, claim

#: Block k against GD iterate k, relative Frobenius. Measured <= 1e-13 at N <= 64.
EXACT_RTOL = 1e-10
#: Total attention kernel against Gamma_bar, max abs / max |Gamma_bar|. Measured ~1e-15.
KERNEL_TOL = 1e-12
TRUNCATIONS = ("hard", "taper", "shift")


def _gd_iterates(spec, X, t, J, L, truncation):
    from gpdtheory.errors import DivergenceWarning
    from gpdtheory.gd import gd_iterates

    # block k == GD iterate k holds on an indefinite truncation too (both diverge alike)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DivergenceWarning)
        return np.stack([gd_iterates(spec, x, t, J, L, truncation, return_all=True,
                                     on_indefinite="warn") for x in X], axis=1)


def _build(spec, J, L, truncation):
    """``build`` that also accepts an indefinite Gamma_bar (callers skip mu_bar_t <= 0)."""
    from gpdtheory.construct import build
    from gpdtheory.errors import DivergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DivergenceWarning)
        return build(spec, J, L, truncation, on_indefinite="warn")


def _network_all(model, X, t):
    tt = torch.full((X.shape[0],), float(t), dtype=torch.float64)
    with torch.no_grad():
        return model(torch.as_tensor(X), tt, return_all=True).numpy()  # (L + 1, B, N, d)


@claim("construct.exact", "5", "the output of block k equals GD iterate k to "
       f"{EXACT_RTOL:g} relative (float64); the total attention kernel equals Gamma_bar to "
       f"{KERNEL_TOL:g}")
def construct_exact(cfg: CheckConfig):
    """Block k of the built network is GD iterate k (docs/theory.md §5).

    measured: the torch network's hidden y-slot after each block (float64 forward pass),
    and its total attention kernel read from the weights. bound: tolerances against the
    numpy GD iterates (:func:`gpdtheory.gd.gd_iterates`) and the banded Toeplitz
    ``Gamma_bar``, built independently of the network.
    """
    from gpdtheory.construct.inspect import implied_gamma

    rng = cfg.rng("construct.exact")
    sizes = (1, 2, 3, 16, 40) + ((96,) if cfg.full else ())
    L = 8
    for kernel in default_kernels(cfg):
        for N in sizes:
            d = int(rng.integers(1, 4))
            spec = gp.GPSpec(kernel, N, random_sigma(rng, d), mean=rng.standard_normal((N, d)))
            X = spec.sample(2, seed=rng)
            for truncation in TRUNCATIONS:
                J = int(rng.integers(0, N))
                t = float(np.exp(rng.uniform(np.log(1e-2), np.log(5.0))))
                model = _build(spec, J, L, truncation)
                ys = _network_all(model, X, t)
                ref = _gd_iterates(spec, X, t, J, L, truncation)
                err = max(np.linalg.norm(ys[k] - ref[k]) / np.linalg.norm(ref[k])
                          for k in range(1, L + 1))
                case = case_params(kernel, N=N, d=d, J=J, truncation=truncation, t=round(t, 4))
                yield Measurement({**case, "quantity": "blocks"}, err, EXACT_RTOL, kind="tolerance")
                cw = model.construction
                Gb = scipy.linalg.toeplitz(cw.r_bar)
                kerr = np.abs(implied_gamma(model, cw.Sigma, cw.eta) - Gb).max() / np.abs(Gb).max()
                yield Measurement({**case, "quantity": "kernel"}, kerr, KERNEL_TOL,
                                  kind="tolerance")


def _spectral(spec, t, J, truncation):
    """Dense quantities of Theorem S: (Lambda, mu_bar, mu, ||Gamma - Gamma_bar||_2, tau_J)."""
    from gpdtheory.truncation import truncated_autocovariance

    a2, s2 = np.exp(-t), 1.0 - np.exp(-t)
    G = scipy.linalg.toeplitz(spec.r)
    rb = truncated_autocovariance(spec.r, min(J, spec.N - 1), method=truncation)
    Gb = scipy.linalg.toeplitz(rb)
    gb = np.linalg.eigvalsh(Gb)
    lam = np.linalg.eigvalsh(spec.Sigma)
    Lambda = max(1.0, gb[-1] * lam[-1])
    mu_bar = s2 + a2 * min(gb[0] * lam[0], gb[0] * lam[-1])
    mu = s2 + a2 * np.linalg.eigvalsh(G)[0] * lam[0]
    tau_exact = float(np.linalg.norm(G - Gb, 2))
    tau_J = 2.0 * float(np.sum(np.abs(spec.r[J + 1:])))
    return Lambda, mu_bar, mu, tau_exact, tau_J


@claim("construct.theorem_s", "3", "||s_theta - s*||_F <= [(1 - mu_bar/Lambda)^L + alpha^2 tau "
       "||Sigma||_2 / mu_t] ||Y_bar*||_F for the built network (tau = tau_J for hard truncation, "
       "||Gamma - Gamma_tilde||_2 for taper/shift)")
def construct_theorem_s(cfg: CheckConfig):
    """Theorem S for the built network (docs/theory.md §3, §5).

    measured: the torch network's output against the exact score (Toeplitz solves).
    bound: ``[(1 - mu_bar/Lambda)^L + alpha^2 tau ||Sigma|| / mu_t] ||Y_bar*||`` from the
    dense spectra of ``Gamma``, ``Gamma_bar`` and ``Sigma``.

    Where the bracket is below ``C0 n u (L + kappa_t)`` (``n = N d``; e.g. a Gaussian kernel
    at J = 8, whose tail is ~1e-35, after L = 200 steps) the bound is below what float64 can
    resolve: the measured side is then the round-off of the network's L blocks and of the
    ``kappa_t`` solve for ``s*`` alone, and the row gets the allowance
    ``C0 n u (L + kappa_t) ||Y_bar*||`` of docs/theory.md §11 (``kappa_t`` from a dense
    ``cond`` of ``C_t``). Other rows get none.
    """

    rng = cfg.rng("construct.theorem_s")
    N = 24 if not cfg.full else 64
    Ls = (5, 40) + ((200,) if cfg.full else ())
    for kernel in default_kernels(cfg):
        d = 2
        spec = gp.GPSpec(kernel, N, random_sigma(rng, d))
        X0 = spec.sample(3, seed=rng)
        for J in (2, 8):
            for truncation in TRUNCATIONS:
                model = _build(spec, J, max(Ls), truncation)
                for t in (0.05, 1.0):
                    Lambda, mu_bar, mu, tau_exact, tau_J = _spectral(spec, t, J, truncation)
                    case = case_params(kernel, N=N, J=J, truncation=truncation, t=t)
                    if mu_bar <= 0:
                        continue  # Lemma GD's hypothesis fails (indefinite hard truncation)
                    a2 = np.exp(-t)
                    X = np.sqrt(a2) * X0 + np.sqrt(1 - a2) * rng.standard_normal(X0.shape)  # ~ p_t
                    ys = _network_all(model, X, t)
                    s_star = gp.score(spec, X, t)
                    Cb = a2 * np.kron(scipy.linalg.toeplitz(model.construction.r_bar), spec.Sigma) \
                        + (1 - a2) * np.eye(N * d)
                    Ybar = np.stack([scipy.linalg.solve(Cb, x.ravel()) for x in X])
                    tau = tau_J if truncation == "hard" else tau_exact
                    sig = float(np.linalg.eigvalsh(spec.Sigma)[-1])
                    kappa_t = float(np.linalg.cond(
                        a2 * np.kron(scipy.linalg.toeplitz(spec.r), spec.Sigma)
                        + (1 - a2) * np.eye(N * d)))
                    ybar_norm = float(np.linalg.norm(Ybar))
                    for L in Ls:
                        err = np.linalg.norm(-ys[L] - s_star)
                        coef = (1 - mu_bar / Lambda) ** L + a2 * tau * sig / mu
                        # below the resolution of float64: L rounded blocks and the kappa_t
                        # solve of s* leave C0 n u (L + kappa_t) ||Y_bar*|| whatever the bound
                        floor = allowance(N * d, L + kappa_t, 1.0)
                        below = coef <= floor
                        yield Measurement({**case, "L": L}, err, coef * ybar_norm,
                                          allowance=floor * ybar_norm if below else 0.0,
                                          note="bound below round-off" if below else "")


def _operators(spec, t, J, truncation="hard"):
    from gpdtheory.truncation import truncated_autocovariance

    a2, s2 = np.exp(-t), 1.0 - np.exp(-t)
    n = spec.N * spec.d
    C = a2 * np.kron(scipy.linalg.toeplitz(spec.r), spec.Sigma) + s2 * np.eye(n)
    rb = truncated_autocovariance(spec.r, J, method=truncation)
    Cb = a2 * np.kron(scipy.linalg.toeplitz(rb), spec.Sigma) + s2 * np.eye(n)
    return C, Cb


def _J_needed(spec, t, eps, truncation="hard"):
    """Smallest J whose converged network (L -> inf) is within eps/2 in operator norm."""
    Cinv = None
    for J in range(spec.N):
        C, Cb = _operators(spec, t, J, truncation)
        if np.linalg.eigvalsh(Cb)[0] <= 0:
            continue
        Cinv = np.linalg.inv(C) if Cinv is None else Cinv
        if np.linalg.norm(np.linalg.inv(Cb) - Cinv, 2) <= eps / 2:
            return J
    return spec.N - 1


def _J_theorem(spec, t, eps):
    """Theorem S: smallest J with alpha^2 tau_J ||Sigma|| / (mu_t mu_bar_t) <= eps/2."""
    for J in range(spec.N):
        Lambda, mu_bar, mu, _, tau_J = _spectral(spec, t, J, "hard")
        sig = float(np.linalg.eigvalsh(spec.Sigma)[-1])
        if mu_bar > 0 and np.exp(-t) * tau_J * sig / (mu * mu_bar) <= eps / 2:
            return J
    return spec.N - 1


def _L_needed(spec, t, J, eps):
    """Smallest L with ||A_L - C_t^{-1}||_2 <= eps, A_L = eta sum_{k<L} (I - eta C_bar)^k.

    ``A_L = (I - (I - eta C_bar)^L) C_bar^{-1}`` is diagonal in C_bar's eigenbasis.
    """
    from gpdtheory.gd import step_size
    from gpdtheory.truncation import truncated_autocovariance

    C, Cb = _operators(spec, t, J)
    eta, _ = step_size(truncated_autocovariance(spec.r, J, method="hard"), spec.Sigma)
    w, V = np.linalg.eigh(Cb)
    Cinv = np.linalg.inv(C)
    lo, hi = 0, 1
    while np.linalg.norm((V * ((1 - (1 - eta * w) ** hi) / w)) @ V.T - Cinv, 2) > eps:
        lo, hi = hi, 2 * hi
        if hi > 2**20:
            return hi
    while lo + 1 < hi:  # the error is decreasing in L (every factor 1 - eta w is in [0, 1))
        mid = (lo + hi) // 2
        ok = np.linalg.norm((V * ((1 - (1 - eta * w) ** mid) / w)) @ V.T - Cinv, 2) <= eps
        lo, hi = (lo, mid) if ok else (mid, hi)
    return hi


#: Accuracy of the logarithmic rows: J stays below N - 1 on every N of the grid.
LOG_EPS = 0.3


@claim("construct.sizes", "3", "J and L needed for ||s_theta - s*||_F <= eps ||X||_F are at most "
       "Theorem S's; powered exponential: slope of J^nu against log(1/eps) = ell within a "
       "derived tolerance; logarithmic: J < N - 1 and J grows with N")
def construct_sizes(cfg: CheckConfig):
    """J and L needed for a target accuracy (docs/theory.md §3): see the module docstring."""
    t = 0.5
    eps_grid = 10.0 ** -np.arange(2, 11 if cfg.full else 9)
    pe = [gp.PoweredExponential(2.0, 1.0), gp.PoweredExponential(4.0, 2.0),
          gp.PoweredExponential(0.3, 0.5)]
    for kernel in pe:
        spec = gp.GPSpec(kernel, 64, np.eye(1))
        Js = []
        for eps in eps_grid:
            J = _J_needed(spec, t, eps)
            Js.append(J)
            case = case_params(kernel, N=64, t=t, eps=eps)
            yield Measurement({**case, "quantity": "J"}, J, _J_theorem(spec, t, eps))
            yield Measurement({**case, "quantity": "L", "J": J}, _L_needed(spec, t, J, eps),
                              _L_theorem(spec, t, J, eps))
        slope, tol, note = _slope_and_tolerance(kernel, eps_grid, Js)
        case = case_params(kernel, N=64, t=t, quantity="slope dJ^nu/dlog(1/eps)",
                           predicted=kernel.ell)
        yield Measurement({**case, "side": "lower"}, slope, kernel.ell - tol, sense=">=",
                          kind="tolerance", note=note)
        yield Measurement({**case, "side": "upper"}, slope, kernel.ell + tol, kind="tolerance",
                          note=note)
    Ns = (16, 32, 64, 128) + ((256,) if cfg.full else ())
    for kernel in (gp.Logarithmic(1.0, 2.0), gp.Logarithmic(1.0, 1.5)):
        Js = [_J_needed(gp.GPSpec(kernel, N, np.eye(1)), t, LOG_EPS) for N in Ns]
        slope = float(np.polyfit(np.log(Ns), np.log(Js), 1)[0])
        case = case_params(kernel, t=t, eps=LOG_EPS, J=" ".join(map(str, Js)))
        for N, J in zip(Ns, Js, strict=True):
            yield Measurement({**case, "N": N, "quantity": "J < N - 1 (not saturated)"}, J, N - 2,
                              kind="tolerance")
        yield Measurement({**case, "quantity": "min_k J(N_k+1) - J(N_k) (J grows with N)"},
                          int(np.min(np.diff(Js))), 1, sense=">=", kind="tolerance",
                          note=f"fitted exponent of J against N: {slope:.3f}")


def _slope_and_tolerance(kernel, eps_grid, Js) -> tuple[float, float, str]:
    """OLS slope of ``J^nu`` against ``log(1/eps)`` and the tolerance around ``ell``.

    The needed J satisfies ``e(J) <= eps/2 < e(J - 1)`` with ``e(J) ~ K J^p exp(-J^nu/ell)``,
    ``p = 1 - nu`` (the tail sum of ``exp(-m^nu/ell)`` is an upper incomplete gamma function,
    docs/theory.md §3). Two effects move the fitted slope away from ``ell``:

    * the prefactor: with ``u = J^nu``, ``u/ell - (p/nu) log u = log(1/eps) + const`` gives
      ``du/dlog(1/eps) = ell / (1 - p ell/(nu u))``; over the fit this is at most
      ``ell |1/(1 - p ell/(nu u_min)) - 1|`` away from ``ell``;
    * the integer J: the continuous solution ``J*`` lies in ``(J - 1, J]``, so each ``J^nu``
      is off by ``delta_i in [0, J_i^nu - (J_i - 1)^nu]``, which moves an OLS slope by at most
      ``sum_i |w_i| (J_i^nu - (J_i - 1)^nu)``, ``w_i = (x_i - xbar) / sum (x_j - xbar)^2``.

    The tolerance is their sum.
    """
    nu, ell = kernel.nu, kernel.ell
    x = np.log(1.0 / eps_grid)
    u = np.asarray(Js, dtype=np.float64) ** nu
    slope = float(np.polyfit(x, u, 1)[0])
    w = (x - x.mean()) / np.sum((x - x.mean()) ** 2)
    quant = float(np.sum(np.abs(w) * (u - (np.asarray(Js, dtype=np.float64) - 1.0) ** nu)))
    p = 1.0 - nu
    prefactor = ell * abs(1.0 / (1.0 - p * ell / (nu * u.min())) - 1.0)
    note = (f"fitted {slope:.4f} vs ell = {ell:g}; tolerance {quant + prefactor:.4f} = integer J "
            f"{quant:.4f} + prefactor J^(1-nu) {prefactor:.4f}")
    return slope, quant + prefactor, note


def _L_theorem(spec, t, J, eps):
    """Theorem S: (1 - mu_bar/Lambda)^L / mu_bar <= eps / 2 (the truncation half is J's)."""
    Lambda, mu_bar, *_ = _spectral(spec, t, J, "hard")
    return float(np.ceil(np.log(eps * mu_bar / 2) / np.log(1 - mu_bar / Lambda)))
