"""The truncated model: ``Gamma_bar``, its extremes, when ``C_bar_t`` stays definite, GD's step.

docs/theory.md §3. ``Gamma_bar`` is the band-J truncation of ``Gamma``
(:func:`gpdtheory.truncation.truncated_autocovariance`); gradient descent on
``C_bar_t`` needs ``mu_bar_t = lmin(C_bar_t) > 0`` (:func:`check_definite`) and takes the
t-independent step ``eta = 1/Lambda`` (:func:`step_size`).
"""

from __future__ import annotations

import functools
import math
import warnings
from typing import Any, Literal

import numpy as np

from ..errors import AssumptionViolated, DivergenceWarning, InvalidArgumentError
from ..spec import GPSpec, check_spec
from ..toeplitz.eig import extreme_eigenvalues
from ..truncation import Method, symbol_minimum, truncated_autocovariance
from ..validation import as_real_array, check_spd
from .spectrum import diffuse_eigenvalues

__all__ = ["check_toeplitz_spec", "truncated_r", "gamma_bar_extremes", "check_definite",
           "OnIndefinite", "INDEFINITE_RTOL", "step_size", "gd_spectral_factor"]

OnIndefinite = Literal["raise", "warn"]

#: ``lmin(Gamma_bar) >= -INDEFINITE_RTOL N lmax(Gamma_bar)`` is read as round-off of a PSD
#: matrix by the t-independent test (:func:`check_definite` with ``t=None``): the eigenvalue
#: routines are accurate to about ``N eps lmax``, and GD at such a ``mu_bar_t`` would grow
#: by at most ``1 + 1e-13`` per step, and only for ``t`` below ``~1e-13``.
INDEFINITE_RTOL = 16 * np.finfo(np.float64).eps


def check_toeplitz_spec(spec: Any) -> GPSpec:
    """``spec`` if it is a :class:`~gpdtheory.GPSpec` with a Toeplitz ``Gamma``, else an error.

    Truncation by lag needs equispaced frames (``Gamma = toeplitz(r)``).
    """
    check_spec(spec)
    if not spec.is_toeplitz:
        raise InvalidArgumentError("spec", spec, "has non-equispaced times: truncation by lag "
                                   "needs a Toeplitz Gamma", "use equispaced frames (dt)")
    return spec


def truncated_r(spec: GPSpec, J: int, truncation: Method = "hard") -> np.ndarray:
    """``(N,)`` first column of ``Gamma_bar`` for ``spec`` (see :mod:`gpdtheory.truncation`)."""
    return truncated_autocovariance(check_toeplitz_spec(spec).r, J, method=truncation)


def gamma_bar_extremes(r_bar: Any) -> tuple[float, float]:
    """``(lmin, lmax)`` of ``toeplitz(r_bar)`` (:func:`gpdtheory.toeplitz.extreme_eigenvalues`).

    Cached on the bytes of ``r_bar``: gradient descent, its step size, the definiteness test
    and the construction ask for the same ``Gamma_bar`` several times per call.
    """
    r_bar = as_real_array(r_bar, "r_bar", ndim=1)
    return _extremes_cached(r_bar.tobytes())


@functools.lru_cache(maxsize=16)
def _extremes_cached(key: bytes) -> tuple[float, float]:
    return extreme_eigenvalues(np.frombuffer(key, dtype=np.float64).copy())


def _indefinite_evidence(spec: GPSpec, J: int, truncation: str, gmin_b: float) -> str:
    """The per-N verdict (``lmin(Gamma_bar)``) and, for a hard truncation, the all-N one."""
    text = f"lmin(Gamma_bar) = {gmin_b:.3e} at N = {spec.N} (per-N verdict: not PSD)"
    if truncation == "hard" and 0 < J < spec.N - 1:
        fmin, _ = symbol_minimum(spec.r, J)
        verdict = "not PSD for large N" if fmin < 0 else "PSD for every N"
        text += (f"; all-N verdict: min_w f_J(w) = {fmin:.3e}, {verdict} (exact certificate: "
                 f"gpdtheory.psd.certify_all_n(spec.r, {J}))")
    return text


def check_definite(spec: GPSpec, J: int, truncation: Method = "hard", t: Any = None,
                   on_indefinite: OnIndefinite = "raise", r_bar: Any = None,
                   where: str = "gradient descent", _opt_in: bool = True) -> tuple[float, float]:
    """Refuse (or warn about) a truncated objective on which gradient descent diverges.

    Parameters
    ----------
    spec : GPSpec
    J : int
    truncation : {"hard", "taper", "shift"}
    t : float or array_like, optional
        Diffusion time(s): the test is ``mu_bar_t = lmin(C_bar_t) > 0`` at each. ``None``
        (a t-independent object such as the constructed network): the test is
        ``lmin(Gamma_bar) >= 0`` (up to ``INDEFINITE_RTOL N lmax``), since
        ``mu_bar_t <= 0`` for every ``t <= log1p(-lmin(Gamma_bar) lmax(Sigma))``.
    on_indefinite : {"raise", "warn"}
        ``"raise"`` (default): :class:`~gpdtheory.errors.AssumptionViolated`. ``"warn"``:
        a :class:`~gpdtheory.errors.DivergenceWarning`, for callers who study divergence.
    r_bar : (N,) array_like, optional
        ``Gamma_bar``'s first column when already computed.
    where : str
        The caller, for the message.

    Returns
    -------
    (lmin, lmax) : (float, float)
        Extreme eigenvalues of ``Gamma_bar`` (:func:`gamma_bar_extremes`).

    Notes
    -----
    ``mu_bar_t = sigma_t^2 + alpha_t^2 min(lmin(Gamma_bar) lmin(Sigma),
    lmin(Gamma_bar) lmax(Sigma))`` (docs/theory.md §3).
    """
    if on_indefinite not in ("raise", "warn"):
        raise InvalidArgumentError("on_indefinite", on_indefinite, "is not 'raise' or 'warn'",
                                   "pass 'raise' (default) or 'warn' to study divergence")
    if r_bar is None:
        r_bar = truncated_r(spec, J, truncation)
    gmin_b, gmax_b = gamma_bar_extremes(r_bar)
    lam = spec.sigma_eigh[0]
    smin, smax = float(lam[0]), float(lam[-1])
    if t is None:
        bad = gmin_b < -INDEFINITE_RTOL * spec.N * max(abs(gmax_b), 1e-300)
        if not bad:
            return gmin_b, gmax_b
        t_star = math.log1p(-gmin_b * smax)
        where_t = f"mu_bar_t <= 0 for every t <= {t_star:.3g}"
    else:
        tt = np.asarray(t, dtype=np.float64)
        mu_bar = diffuse_eigenvalues(min(gmin_b * smin, gmin_b * smax), tt)
        if not np.any(mu_bar <= 0.0):
            return gmin_b, gmax_b
        i = int(np.argmin(mu_bar))
        where_t = (f"mu_bar_t = {float(np.ravel(mu_bar)[i]):.3e} <= 0 at "
                   f"t = {float(np.ravel(tt)[i]):g}")
    detail = (f"{where} diverges: {where_t}; {_indefinite_evidence(spec, J, truncation, gmin_b)}"
              f"; J = {J}, truncation = {truncation!r}")
    fix = ("use truncation='taper' or 'shift' (PSD for every N), or a larger J"
           + ("" if t is None else ", or a larger t")
           + ("; pass on_indefinite='warn' to study the divergence" if _opt_in else ""))
    if on_indefinite == "raise":
        raise AssumptionViolated("mu_bar_t > 0", detail, fix)
    warnings.warn(DivergenceWarning(f"assumption 'mu_bar_t > 0' is violated: {detail}. "
                                    f"The iterates grow without bound. Fix: {fix}."),
                  stacklevel=3)
    return gmin_b, gmax_b


def step_size(r_bar: Any, Sigma: Any) -> tuple[float, float]:
    """The t-independent step ``eta = 1/Lambda``, ``Lambda = max(1, lmax(Gamma_bar) lmax(Sigma))``.

    Parameters
    ----------
    r_bar : (N,) array_like
        First column of ``Gamma_bar``.
    Sigma : (d, d) array_like
        Spatial covariance (SPD).

    Returns
    -------
    (eta, Lambda) : (float, float)

    Notes
    -----
    ``Lambda >= lmax(C_bar_t)`` for every t because ``alpha_t^2 + sigma_t^2 = 1``
    (docs/theory.md §3), so one step size serves every diffusion time.

    Examples
    --------
    >>> step_size([1.0, 0.5, 0.0], np.eye(2))[1] == 1 + 2 * 0.5 * np.cos(np.pi / 4)
    np.True_
    """
    S = check_spd(Sigma, "Sigma")
    lmax_g = gamma_bar_extremes(r_bar)[1]
    Lambda = max(1.0, lmax_g * float(np.linalg.eigvalsh(S)[-1]))
    return 1.0 / Lambda, Lambda


def gd_spectral_factor(c: np.ndarray, eta: float, L: int) -> np.ndarray:
    """``(1 - (1 - eta c)^L) / c`` elementwise (``eta L`` at ``c = 0``): L GD steps from zero.

    Evaluated as ``-expm1(L log1p(-eta c))/c``, accurate for small ``eta c`` and for an
    indefinite ``C_bar_t`` (``c < 0``). Where ``eta c >= 1`` (the largest eigenvalue equals
    ``Lambda`` up to rounding, e.g. at ``t -> 0``) ``log1p`` is ``-inf`` or undefined and
    ``1 - eta c`` is at most a rounding error, so the power is taken directly there
    (``0^0 = 1``: ``L = 0`` gives the zero matrix).
    """
    c = np.asarray(c, dtype=np.float64)
    x = eta * c
    fac = np.empty_like(c)
    zero = c == 0.0
    direct = ~zero & (x >= 1.0)
    spectral = ~zero & ~direct
    fac[zero] = eta * L
    fac[spectral] = -np.expm1(L * np.log1p(-x[spectral])) / c[spectral]
    fac[direct] = (1.0 - (1.0 - x[direct]) ** L) / c[direct]
    return fac
