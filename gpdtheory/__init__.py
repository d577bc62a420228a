"""gpdtheory: compute, construct, train and check the theory of diffusion transformers
on Gaussian-process data (Fu, Dou, Guo, Wang, Chen, ICLR 2025).

The public namespace, in the order of the architecture (numerical core first; the
torch parts live in ``gpdtheory.construct``, ``gpdtheory.train`` and
``gpdtheory.compare`` and are imported on demand):

1. errors and validation
2. kernels: stationary temporal correlations ``rho``
3. the Toeplitz engine (``gpdtheory.toeplitz``)
4. data model, diffusion and the exact score

The other subpackages (``truncation``, ``psd``, ``gd``, ``sampling``, ``distribution``,
``construct``, ``models``, ``train``, ``evaluate``, ``compare``, ``sample_complexity``,
``sweeps``, ``data``, ``video``) are attributes too, imported on first access
(``gpdtheory.truncation`` works after ``import gpdtheory``) so that importing the
numerical core does not import torch. The core needs numpy, scipy, numba and sympy only; a
part that needs an optional package (torch, scikit-learn, matplotlib, hypothesis, ...) raises
:class:`MissingExtraError` naming the extra to install when it is missing (also on lazy
attribute access: ``gpdtheory.models`` without torch).
"""

import importlib as _importlib

from . import errors, toeplitz
from .diffusion import (
    ConditionNumber,
    alpha,
    condition_number,
    marginal_covariance,
    score,
    sigma2,
)
from .errors import (
    AccuracyWarning,
    AssumptionViolated,
    CheckpointError,
    ConvergenceError,
    GPDTheoryError,
    InvalidArgumentError,
    MissingExtraError,
    NotPositiveDefiniteError,
    PositiveDefinitenessWarning,
    ReportExistsError,
)
from .kernel_adapters_gpytorch import from_gpytorch
from .kernels import (
    FAMILIES,
    Kernel,
    Logarithmic,
    Polynomial,
    PoweredExponential,
    SampledKernel,
    SklearnKernel,
    from_sklearn,
)
from .spec import GPSpec

#: The one version source: pyproject.toml reads it at build time (setuptools' dynamic ``attr``).
__version__ = "0.1.0"

#: Subpackages imported on first attribute access (PEP 562); the torch ones are heavy.
_LAZY = ("linear", "bounds", "truncation", "psd", "gd", "sampling", "distribution", "construct",
         "models", "train", "protocol", "capture", "profiles", "evaluate", "compare",
         "compare_models", "latte", "sample_complexity", "sweeps", "experiments", "data", "video",
         "figures", "fileio", "testing")


def __getattr__(name: str):
    if name in _LAZY:
        module = _importlib.import_module(f".{name}", __name__)
        globals()[name] = module
        return module
    raise AttributeError(f"module 'gpdtheory' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))

__all__ = [
    # errors
    "errors",
    "GPDTheoryError",
    "InvalidArgumentError",
    "MissingExtraError",
    "NotPositiveDefiniteError",
    "AssumptionViolated",
    "ConvergenceError",
    "CheckpointError",
    "ReportExistsError",
    "AccuracyWarning",
    "PositiveDefinitenessWarning",
    # kernels
    "Kernel",
    "PoweredExponential",
    "Polynomial",
    "Logarithmic",
    "SampledKernel",
    "SklearnKernel",
    "from_sklearn",
    "from_gpytorch",
    "FAMILIES",
    # Toeplitz engine
    "toeplitz",
    # data, diffusion, score
    "GPSpec",
    "alpha",
    "sigma2",
    "marginal_covariance",
    "score",
    "ConditionNumber",
    "condition_number",
]
