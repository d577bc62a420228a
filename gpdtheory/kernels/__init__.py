"""Stationary temporal correlations ``rho(m)`` (docs/theory.md §1).

A kernel maps a lag ``m >= 0`` (in time units) to a correlation with ``rho(0) = 1``;
``Gamma[i, j] = rho(|h_i - h_j|)`` is then symmetric Toeplitz on equispaced frames.

=======================  ==================================  ===========================
family                   ``rho(m)``                          positive definite
=======================  ==================================  ===========================
``PoweredExponential``   ``exp(-|m|**nu / ell)``             every N iff ``0 < nu <= 2``
``Polynomial``           ``(1 + |m|/ell)**(-nu)``            every N (Pólya)
``Logarithmic``          ``(1 + log(1 + |m|/ell))**(-nu)``   every N (Pólya)
``SampledKernel``        a user array ``rho[0..N-1]``        checked numerically
``SklearnKernel``        ``k(0, m) / k(0, 0)``               checked numerically
=======================  ==================================  ===========================

The symbol ``f(w) = sum_m rho(m) e^{imw} = 1 + 2 sum_{m>=1} rho(m) cos(m w)`` bounds
the spectrum of every ``Gamma_N``: ``min f <= lambda(Gamma_N) <= max f``.

The package splits by idea: :mod:`~gpdtheory.kernels.base` (the :class:`Kernel` interface),
:mod:`~gpdtheory.kernels.families` (the closed forms), :mod:`~gpdtheory.kernels.sampled`
(data), :mod:`~gpdtheory.kernels.sklearn_adapter` (scikit-learn kernels) with
:mod:`~gpdtheory.kernels.envelopes` (their certified decay), :mod:`~gpdtheory.kernels.decay`
(declared decay bounds) and :mod:`~gpdtheory.kernels.jittered` (a nugget).
"""

from __future__ import annotations

# the constants stay importable from here (not in __all__, as before the split)
from .base import CERT_HEADROOM, SERIES_ATOL, Kernel  # noqa: F401
from .decay import Decay
from .families import (  # noqa: F401
    ELL_MAX,
    FAMILIES,
    NU_MAX,
    Logarithmic,
    Polynomial,
    PoweredExponential,
)
from .jittered import Jittered, with_jitter
from .sampled import SampledKernel
from .sklearn_adapter import SklearnKernel, from_sklearn

__all__ = [
    "Kernel",
    "PoweredExponential",
    "Polynomial",
    "Logarithmic",
    "SampledKernel",
    "SklearnKernel",
    "from_sklearn",
    "Decay",
    "Jittered",
    "with_jitter",
    "FAMILIES",
]
