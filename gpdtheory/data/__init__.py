"""Data beyond Gaussian: semi-synthetic sequences whose temporal kernel is known.

:func:`moving_ball` draws videos of an anti-aliased ball whose 2-D path is a Gaussian
process over frames; the ground truth to recover is the path's ``rho``.
"""

from .moving_ball import (
    DEFAULT_KERNEL,
    MovingBall,
    ball_mass,
    centroids,
    frames_to_tokens,
    moving_ball,
    render,
    temporal_correlation,
    tokens_to_frames,
)

__all__ = ["moving_ball", "MovingBall", "render", "ball_mass", "frames_to_tokens",
           "tokens_to_frames", "centroids", "temporal_correlation", "DEFAULT_KERNEL"]
