"""GPyTorch's stationary kernels as gpdtheory correlations, validated when wrapped.

:func:`from_gpytorch` reads a GPyTorch kernel's current hyperparameters and builds the
scikit-learn kernel with the same formula, then wraps it with
:func:`gpdtheory.kernels.from_sklearn`, so that a GPyTorch kernel gets exactly what a
scikit-learn one gets: the certified decay, the N-free bounds, the PSD certificates, and a
``repr`` that can be pasted back. The formulas agree term by term (``r = |x - y| / l``):

======================================  ===================================================
GPyTorch                                scikit-learn
======================================  ===================================================
``RBFKernel``: ``exp(-r^2/2)``          ``RBF(length_scale=l)``
``MaternKernel(nu)``, nu in 1/2, 3/2,   ``Matern(length_scale=l, nu=nu)``
5/2
``RQKernel``: ``(1 + r^2/(2 a))^-a``    ``RationalQuadratic(length_scale=l, alpha=a)``
``ScaleKernel(k)``: ``s * k``           ``ConstantKernel(s) * k``
``k1 + k2`` (``AdditiveKernel``)        ``k1 + k2``
``k1 * k2`` (``ProductKernel``)         ``k1 * k2``
======================================  ===================================================

Refused with :class:`~gpdtheory.errors.InvalidArgumentError` naming the part, the value and
the fix: a kernel that is not stationary (``LinearKernel``, ``PolynomialKernel``), any other
class, an ARD (anisotropic) length scale with more than one value, a batch shape, an
``active_dims`` other than the one time axis, and a hyperparameter that is not finite and
positive. GPyTorch comes with the ``gpytorch`` extra; without it
:class:`~gpdtheory.errors.MissingExtraError` names it.
"""

from __future__ import annotations

import math
from typing import Any

from ._extras import require
from .errors import InvalidArgumentError
from .kernels import Decay, SklearnKernel, from_sklearn

__all__ = ["from_gpytorch", "to_sklearn", "SUPPORTED"]

#: GPyTorch kernel classes accepted (with sums and products of them).
SUPPORTED = ("RBFKernel", "MaternKernel", "RQKernel", "ScaleKernel", "AdditiveKernel",
             "ProductKernel")

_FIX = ("build it from " + ", ".join(SUPPORTED[:4]) + " combined with + and *, e.g. "
        "ScaleKernel(MaternKernel(nu=2.5)) + RBFKernel()")


def _scalar(kernel: Any, name: str, path: str) -> float:
    """A hyperparameter as one finite positive float64 (ARD and batch shapes were refused).

    Read from the raw parameter through its constraint in float64, as GPyTorch evaluates a
    kernel converted with ``.double()``: a float32 kernel's ``lengthscale`` property is the
    float32 softplus, which differs in the 8th digit.
    """
    torch = require("torch", "gpytorch")
    raw = getattr(kernel, f"raw_{name}", None)
    constraint = getattr(kernel, f"raw_{name}_constraint", None)
    with torch.no_grad():
        if isinstance(raw, torch.Tensor) and constraint is not None:
            t = constraint.transform(raw.detach().to(torch.float64))
        else:
            t = torch.as_tensor(getattr(kernel, name), dtype=torch.float64)
    if t.numel() != 1:
        raise InvalidArgumentError(f"{path}{type(kernel).__name__}.{name}", t.tolist(),
                                   f"has {t.numel()} values (anisotropic or batched), but a "
                                   "temporal correlation has one lag axis",
                                   "build the kernel without ard_num_dims and batch_shape")
    x = float(t.reshape(()).to(torch.float64))
    if not (math.isfinite(x) and x > 0):
        raise InvalidArgumentError(f"{path}{type(kernel).__name__}.{name}", x,
                                   "is not a finite positive number",
                                   f"set {name} to a positive value, e.g. kernel.{name} = 2.0")
    return x


def _check_shape(kernel: Any, path: str) -> None:
    """Refuse batch shapes, ARD length scales and ``active_dims`` beyond the time axis."""
    name = f"{path}{type(kernel).__name__}"
    if tuple(getattr(kernel, "batch_shape", ())) != ():
        raise InvalidArgumentError(f"{name}.batch_shape", tuple(kernel.batch_shape),
                                   "is not empty: a batch of kernels is not one correlation",
                                   "build the kernel without batch_shape (one kernel per "
                                   "GPSpec)")
    ard = getattr(kernel, "ard_num_dims", None)
    if ard is not None and ard != 1:
        raise InvalidArgumentError(f"{name}.ard_num_dims", ard, "gives one length scale per "
                                   "input dimension (anisotropic), but frames have one time "
                                   "axis", "build the kernel without ard_num_dims")
    active = getattr(kernel, "active_dims", None)
    if active is not None and [int(i) for i in active] != [0]:
        raise InvalidArgumentError(f"{name}.active_dims", [int(i) for i in active],
                                   "selects input dimensions other than the one time axis",
                                   "build the kernel without active_dims")


def to_sklearn(kernel: Any, path: str = "") -> Any:
    """The scikit-learn kernel with the same formula and current hyperparameters.

    Parameters
    ----------
    kernel : gpytorch.kernels.Kernel
        Built from :data:`SUPPORTED` classes.
    path : str
        Where ``kernel`` sits in a larger expression (``"kernels[1]."``), for messages.

    Returns
    -------
    sklearn.gaussian_process.kernels.Kernel
    """
    gk = require("gpytorch.kernels", "gpytorch")
    K = require("sklearn.gaussian_process.kernels", "sklearn")
    if not isinstance(kernel, gk.Kernel):
        raise InvalidArgumentError("kernel", kernel, "is not a GPyTorch kernel",
                                   "pass e.g. gpytorch.kernels.MaternKernel(nu=2.5)")
    name = type(kernel).__name__
    if isinstance(kernel, (gk.AdditiveKernel, gk.ProductKernel)):
        _check_shape(kernel, path)
        parts = [to_sklearn(k, f"{path}{name}.kernels[{i}].")
                 for i, k in enumerate(kernel.kernels)]
        out = parts[0]
        for p in parts[1:]:
            out = out + p if isinstance(kernel, gk.AdditiveKernel) else out * p
        return out
    if not getattr(kernel, "is_stationary", False):
        raise InvalidArgumentError(f"{path}{name}", kernel, "is not stationary (k(x, y) "
                                   "depends on more than x - y), so Gamma would not be "
                                   "Toeplitz and no claim of docs/theory.md applies", _FIX)
    _check_shape(kernel, path)
    if type(kernel) is gk.ScaleKernel:
        scale = _scalar(kernel, "outputscale", path)
        return K.ConstantKernel(scale, "fixed") * to_sklearn(kernel.base_kernel,
                                                             f"{path}{name}.base_kernel.")
    if type(kernel) not in (gk.RBFKernel, gk.MaternKernel, gk.RQKernel):
        raise InvalidArgumentError(f"{path}{name}", kernel, "is not one of the GPyTorch "
                                   "kernels gpdtheory reads (" + ", ".join(SUPPORTED) + ")",
                                   _FIX)
    ell = _scalar(kernel, "lengthscale", path)
    if type(kernel) is gk.RBFKernel:
        return K.RBF(ell, "fixed")
    if type(kernel) is gk.MaternKernel:
        return K.Matern(ell, "fixed", nu=float(kernel.nu))
    return K.RationalQuadratic(ell, _scalar(kernel, "alpha", path), "fixed", "fixed")


def from_gpytorch(kernel: Any, decay: Decay | None = None) -> SklearnKernel:
    """Wrap a stationary GPyTorch kernel as a gpdtheory correlation (module docstring).

    The hyperparameters are read once, when wrapped (a kernel trained afterwards is not
    followed: wrap it again).

    Parameters
    ----------
    kernel : gpytorch.kernels.Kernel
        ``RBFKernel``, ``MaternKernel``, ``RQKernel``, ``ScaleKernel``, and sums and
        products of them; no batch shape, no ARD length scale.
    decay : Decay, optional
        Declared decay, as for :func:`~gpdtheory.kernels.from_sklearn` (these kernels'
        decays are certified, so it is rarely needed).

    Returns
    -------
    SklearnKernel
        ``rho(m) = k(0, m) / k(0, 0)``, the same values GPyTorch computes.

    Raises
    ------
    InvalidArgumentError
        Naming the part of the kernel, the value and the fix (see the module docstring).
    MissingExtraError
        If GPyTorch is not installed (``pip install 'gpdtheory[gpytorch]'``).

    Examples
    --------
    >>> import gpytorch
    >>> k = from_gpytorch(gpytorch.kernels.ScaleKernel(gpytorch.kernels.RBFKernel()))
    >>> round(float(k(1.0)), 6) == round(math.exp(-0.5 / math.log(2) ** 2), 6)
    True
    """
    return from_sklearn(to_sklearn(kernel), decay)
