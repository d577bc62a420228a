"""From score error to distribution error (docs/theory.md §6).

For Gaussian data and a score estimator linear in ``y`` the generated distribution is
Gaussian, so its error is computed exactly instead of estimated from samples:

- :mod:`.estimators`  linear estimators ``s_hat = -A_t y`` (exact score, exact truncated
  score, truncated GD) with a fixed-eigenbasis fast path;
- :mod:`.lyapunov`    the output covariance: Lyapunov ODE (reverse SDE / PF-ODE) and the
  exact recursion of each discretised sampler of :mod:`gpdtheory.sampling`;
- :mod:`.gaussian`    closed-form KL, W2 (Bures) and TV through Pinsker;
- :mod:`.girsanov`    the Girsanov bound, computed exactly by quadrature;
- :mod:`.empirical`   sample-based covariance error for nonlinear estimators.
"""

from .empirical import CovarianceAccuracy, covariance_relative_error, wishart_noise_floor
from .estimators import (
    LinearEstimator,
    dense_estimator,
    exact_score_estimator,
    gd_estimator,
    truncated_score_estimator,
)
from .gaussian import gaussian_kl, gaussian_w2, pinsker_tv
from .girsanov import (
    ClosedFormGirsanov,
    DistributionDistance,
    GirsanovBound,
    closed_form_girsanov,
    distribution_error,
    girsanov_bound,
    prior_kl,
    score_l2_error,
)
from .lyapunov import discrete_covariance, output_covariance

__all__ = [
    "LinearEstimator",
    "exact_score_estimator",
    "truncated_score_estimator",
    "gd_estimator",
    "dense_estimator",
    "output_covariance",
    "discrete_covariance",
    "gaussian_kl",
    "gaussian_w2",
    "pinsker_tv",
    "score_l2_error",
    "prior_kl",
    "GirsanovBound",
    "girsanov_bound",
    "DistributionDistance",
    "distribution_error",
    "ClosedFormGirsanov",
    "closed_form_girsanov",
    "CovarianceAccuracy",
    "covariance_relative_error",
    "wishart_noise_floor",
]
