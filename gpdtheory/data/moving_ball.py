"""Semi-synthetic video: an anti-aliased ball whose 2-D path is a Gaussian process over frames.

The paper's third open question is data beyond Gaussian. Pixel frames of a moving ball are
not Gaussian, so no exact score exists; the ground truth is the temporal kernel ``rho`` of
the *motion* (docs/theory.md §§1 and 7).

Generative model
----------------
1. Latent path ``Z ~ GPSpec(kernel, N, Sigma)`` with ``d = 2`` (``Cov(z_i, z_j) = rho(|i-j|)
   Sigma``), drawn by :meth:`gpdtheory.GPSpec.sample`.
2. Pixel position ``p_i = c + scale * z_i`` with ``c = (size - 1)/2`` the image centre,
   then folded into the box ``[m, size - 1 - m]`` (``m = radius``: the disk stays inside
   the image, only the tail of its soft edge can leave it) by
   reflection at its walls (``boundary="reflect"``, default: the path stays continuous,
   the ball bounces) or clamped (``boundary="clip"``). The default ``scale`` puts the box
   walls at 2.5 standard deviations of ``z`` when ``Sigma = I``, so folding is rare and the
   temporal correlation of the positions is ``rho`` up to a few per cent.
3. Frame ``i`` is the ball rendered at ``p_i``: pixel ``(a, b)`` (row ``a``, column ``b``,
   centre of pixel at integer coordinates) has intensity

       I(a, b) = Phi((radius - ||(a, b) - p_i||) / softness)   in [0, 1],

   a disk whose edge is smoothed by a normal CDF ``Phi`` (the disk blurred by a Gaussian,
   radially). Away from the borders its mass ``sum I`` is the continuum mass
   :func:`ball_mass` (``~ pi (radius^2 + softness^2)``) up to aliasing, whatever the
   sub-pixel position (measured: ``1.3e-4`` relative at radius 2, ``7e-3`` at radius 1),
   and its centroid is ``p_i`` to ``~1e-3`` pixel. Near a border the lost tail of the
   edge biases the centroid inward by a few hundredths of a pixel.
4. Tokens: ``X = 2 I - 1`` in ``[-1, 1]`` (background ``-1``), one token per frame,
   ``d = size * size`` pixels flattened row-major: the ``(n, N, d)`` layout of the
   toolkit, where token lag = frame lag. With ``patch = p`` each frame is cut into
   ``(size/p)^2`` patches of ``p*p`` pixels, frame-major: ``(n, N * P, p * p)``.

Positions are ``(row, column)`` in pixel units, ``positions[..., 0]`` is the row.
Everything is vectorised numpy (one broadcast over ``(n, N, size, size)``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special

from ..errors import InvalidArgumentError
from ..kernels import PoweredExponential
from ..spec import GPSpec, as_kernel
from ..validation import (
    as_real_array,
    check_nonnegative_int,
    check_positive_int,
    check_positive_scalar,
    check_real_scalar,
)

__all__ = ["MovingBall", "moving_ball", "render", "ball_mass", "frames_to_tokens",
           "tokens_to_frames", "centroids", "temporal_correlation", "DEFAULT_KERNEL"]

#: Default temporal kernel of the motion: ``rho(m) = exp(-m**1.5 / 8)`` (0.06 at lag 8).
DEFAULT_KERNEL = PoweredExponential(ell=8.0, nu=1.5)
#: Edge width of the ball (pixels): wide enough that aliasing is ~1e-4 relative at radius 2.
DEFAULT_SOFTNESS = 0.6
#: Box half-width in standard deviations of the latent path (default ``scale``).
DEFAULT_SPREAD = 2.5


@dataclass(frozen=True)
class MovingBall:
    """A batch of moving-ball videos and the paths that made them.

    Attributes
    ----------
    tokens : (n, N, size*size) or (n, N*P, patch*patch) ndarray
        ``2 * images - 1``, flattened as described in the module docstring.
    images : (n, N, size, size) ndarray
        Frames, intensities in ``[0, 1]``.
    positions : (n, N, 2) ndarray
        Ball centre per frame, ``(row, column)`` in pixels (after folding).
    latent : (n, N, 2) ndarray
        The GP path ``Z`` before the map to pixels.
    spec : GPSpec
        The GP of the latent path (``d = 2``).
    size, patch : int, int or None
    radius, softness, scale : float
    boundary : str
    """

    tokens: np.ndarray
    images: np.ndarray
    positions: np.ndarray
    latent: np.ndarray
    spec: GPSpec
    size: int
    patch: int | None
    radius: float
    softness: float
    scale: float
    boundary: str

    def rho(self, max_lag: int) -> np.ndarray:
        """``(max_lag + 1,)`` true temporal correlation ``rho(0..max_lag)`` of the motion."""
        max_lag = check_nonnegative_int(max_lag, "max_lag")
        return self.spec.kernel(np.arange(max_lag + 1, dtype=float))


def render(positions: Any, size: int, radius: float, softness: float = DEFAULT_SOFTNESS
           ) -> np.ndarray:
    """Anti-aliased ball images at the given centres.

    Parameters
    ----------
    positions : (..., 2) array_like
        Centres ``(row, column)`` in pixels.
    size : int
        Image side.
    radius, softness : float
        Disk radius and edge width (pixels).

    Returns
    -------
    (..., size, size) ndarray
        ``Phi((radius - dist) / softness)``, ``Phi`` the standard normal CDF.

    Examples
    --------
    The pixel sum is the continuum mass :func:`ball_mass` up to aliasing (here 1.7e-4
    relative, for the default edge width 0.6):

    >>> im = render([3.5, 3.5], 8, 1.5)
    >>> im.shape, bool(abs(im.sum() / ball_mass(1.5) - 1) < 3e-4)
    ((8, 8), True)
    """
    P = as_real_array(positions, "positions", min_ndim=1)
    if P.shape[-1] != 2:
        raise InvalidArgumentError("positions", f"array of shape {P.shape}",
                                   "must end with an axis of 2 (row, column)",
                                   "pass ball centres as (..., 2)")
    size = check_positive_int(size, "size")
    radius = check_positive_scalar(radius, "radius")
    softness = check_positive_scalar(softness, "softness")
    g = np.arange(size, dtype=float)
    dr = g[:, None] - P[..., 0, None, None]  # (..., size, 1)
    dc = g[None, :] - P[..., 1, None, None]  # (..., 1, size)
    # overflow to inf is the right limit here: a centre ~1e308 pixels away (distance inf)
    # or an edge width ~1e-320 (a hard disk, argument +-inf) give intensities of exactly 0/1
    with np.errstate(over="ignore"):
        dist = np.hypot(dr, dc)  # (..., size, size), no overflow of dr**2 for far centres
        # Phi(x) = erfc(-x / sqrt 2) / 2, accurate in both tails
        return 0.5 * special.erfc((dist - radius) / (np.sqrt(2.0) * softness))


def ball_mass(radius: float, softness: float = DEFAULT_SOFTNESS) -> float:
    """The continuum mass ``int Phi((radius - |x|)/softness) dx`` over the plane.

    Notes
    -----
    In polar coordinates it is ``2 pi E[...]`` of a truncated normal; in closed form
    ``pi [(r^2 + s^2) Phi(r/s) + r s phi(r/s)]`` (``phi`` the normal density), which is
    ``pi (r^2 + s^2)`` to ``1e-6`` once ``r > 5 s``. A frame's pixel sum equals it up to
    aliasing (the Fourier transform of the profile at the grid frequency ``2 pi``).
    """
    r = check_positive_scalar(radius, "radius")
    s = check_positive_scalar(softness, "softness")
    u = r / s  # may be inf (s subnormal): ndtr(inf) = 1, exp(-inf) = 0, the hard-disk limit
    with np.errstate(over="ignore", invalid="ignore"):
        mass = float(np.pi * ((r * r + s * s) * special.ndtr(u)
                              + r * s * np.exp(-0.5 * u * u) / np.sqrt(2.0 * np.pi)))
    if not math.isfinite(mass):
        raise InvalidArgumentError("radius/softness", (radius, softness),
                                   "give a mass pi (radius^2 + softness^2) that overflows float64",
                                   "pass a radius and softness below 1e150 pixels")
    return mass


def _check_patch(patch: Any, size: int) -> int | None:
    if patch is None:
        return None
    p = check_positive_int(patch, "patch")
    if size % p:
        raise InvalidArgumentError("patch", patch, f"does not divide size={size}",
                                   "pick a patch side that divides the image side, or None")
    return p


def frames_to_tokens(images: Any, patch: int | None = None) -> np.ndarray:
    """``(n, N, size, size)`` frames in ``[0, 1]`` to tokens ``2 I - 1``.

    Returns
    -------
    (n, N, size*size) ndarray, or (n, N*P, patch*patch) with ``P = (size/patch)^2``
        patches frame-major, then row-major within the frame.
    """
    I = as_real_array(images, "images", ndim=4)
    n, N, size, size2 = I.shape
    if size != size2:
        raise InvalidArgumentError("images", f"array of shape {I.shape}", "frames are not square",
                                   "pass (n, N, size, size)")
    p = _check_patch(patch, size)
    X = 2.0 * I - 1.0
    if p is None:
        return X.reshape(n, N, size * size)
    k = size // p
    X = X.reshape(n, N, k, p, k, p).transpose(0, 1, 2, 4, 3, 5)  # (n, N, k, k, p, p)
    return X.reshape(n, N * k * k, p * p)


def tokens_to_frames(tokens: Any, size: int, patch: int | None = None) -> np.ndarray:
    """Inverse of :func:`frames_to_tokens`: ``(n, N, size, size)`` intensities ``(X + 1)/2``."""
    X = as_real_array(tokens, "tokens", ndim=3)
    size = check_positive_int(size, "size")
    p = _check_patch(patch, size)
    n = X.shape[0]
    if p is None:
        if X.shape[2] != size * size:
            raise InvalidArgumentError("tokens", f"array of shape {X.shape}",
                                       f"has {X.shape[2]} features, expected {size * size}",
                                       "pass the size the tokens were made with")
        return (X.reshape(n, X.shape[1], size, size) + 1.0) / 2.0
    k = size // p
    if X.shape[2] != p * p or X.shape[1] % (k * k):
        raise InvalidArgumentError("tokens", f"array of shape {X.shape}",
                                   f"does not hold patches of {p}x{p} of {size}x{size} frames",
                                   "pass the size and patch the tokens were made with")
    N = X.shape[1] // (k * k)
    I = X.reshape(n, N, k, k, p, p).transpose(0, 1, 2, 4, 3, 5).reshape(n, N, size, size)
    return (I + 1.0) / 2.0


def centroids(images: Any, floor: float = 0.0) -> np.ndarray:
    """Intensity-weighted centre of each frame, ``(row, column)`` in pixels.

    Parameters
    ----------
    images : (..., size, size) array_like
    floor : float
        Weights are ``max(I - floor, 0)``: a floor in ``[0, 1)`` removes the pull of
        background noise toward the centre (generated frames).

    Returns
    -------
    (..., 2) ndarray
        The centre of the image where a frame has no weight above the floor.
    """
    I = as_real_array(images, "images", min_ndim=2)
    floor = check_real_scalar(floor, "floor")
    if not (0.0 <= floor < 1.0):
        raise InvalidArgumentError("floor", floor, "is not in [0, 1)", "pass e.g. 0 or 0.3")
    h, w = I.shape[-2:]
    W = np.clip(I - floor, 0.0, None)
    mass = W.sum(axis=(-2, -1))
    safe = np.where(mass > 0, mass, 1.0)
    r = (W.sum(axis=-1) * np.arange(h)).sum(axis=-1) / safe
    c = (W.sum(axis=-2) * np.arange(w)).sum(axis=-1) / safe
    r = np.where(mass > 0, r, (h - 1) / 2.0)
    c = np.where(mass > 0, c, (w - 1) / 2.0)
    return np.stack([r, c], axis=-1)


def temporal_correlation(paths: Any, max_lag: int) -> np.ndarray:
    """Empirical temporal correlation of stationary paths, pooled over samples and coordinates.

    Parameters
    ----------
    paths : (n, N, k) array_like
        ``n`` paths of ``N`` frames, ``k`` coordinates.
    max_lag : int
        ``< N``.

    Returns
    -------
    (max_lag + 1,) ndarray
        ``c(m) = mean_{s,i,a} z_{s,i,a} z_{s,i+m,a}``, ``z`` the paths standardised per
        coordinate (mean and variance pooled over samples and frames); ``c(0) = 1``.
        Estimates ``rho(m)`` for a stationary process ``Cov(z_i, z_j) = rho(|i-j|) Sigma``.
    """
    Z = as_real_array(paths, "paths", ndim=3)
    n, N, _ = Z.shape
    m_max = check_nonnegative_int(max_lag, "max_lag")
    if not m_max < N:
        raise InvalidArgumentError("max_lag", max_lag, f"is not in [0, N) with N={N}",
                                   "pass a lag smaller than the number of frames")
    Z = Z - Z.mean(axis=(0, 1))
    sd = Z.std(axis=(0, 1))
    if np.any(sd == 0):
        raise InvalidArgumentError("paths", "constant coordinate", "has zero variance",
                                   "pass paths that move")
    Z = Z / sd
    return np.array([float(np.mean(Z[:, : N - m] * Z[:, m:])) for m in range(m_max + 1)])


def moving_ball(n: int, N: int, size: int = 16, kernel: Any = None, Sigma: Any = None, *,
                seed: Any = None, radius: float | None = None,
                softness: float = DEFAULT_SOFTNESS, scale: float | None = None,
                boundary: str = "reflect", patch: int | None = None) -> MovingBall:
    """Draw ``n`` videos of ``N`` frames of a ball moving along a Gaussian-process path.

    Parameters
    ----------
    n, N : int
        Videos and frames per video.
    size : int
        Image side in pixels (``>= 4``).
    kernel : Kernel, scikit-learn kernel or rho array, optional
        Temporal correlation of the path (default :data:`DEFAULT_KERNEL`).
    Sigma : (2, 2) array_like, optional
        Covariance of the two coordinates of the latent path (default identity).
    seed : int, numpy Generator or None
    radius : float, optional
        Ball radius in pixels (default ``max(1, size / 8)``).
    softness : float
        Edge width of the ball in pixels.
    scale : float, optional
        Pixels per unit of the latent path (default: the box half-width over 2.5).
    boundary : {"reflect", "clip"}
        How positions outside the box ``[radius, size - 1 - radius]`` are folded back.
    patch : int, optional
        Patch side for the tokens (default: one token per frame).

    Returns
    -------
    MovingBall

    Raises
    ------
    InvalidArgumentError
        Bad sizes, a ball too large for the image, ``Sigma`` not 2 x 2, bad ``boundary``
        or a ``patch`` that does not divide ``size``.
    NotPositiveDefiniteError
        ``Sigma`` or ``Gamma_N`` not positive definite.

    Examples
    --------
    >>> v = moving_ball(3, 5, size=8, seed=0)
    >>> v.tokens.shape, v.images.shape, v.positions.shape
    ((3, 5, 64), (3, 5, 8, 8), (3, 5, 2))
    """
    n = check_positive_int(n, "n")
    N = check_positive_int(N, "N")
    size = check_positive_int(size, "size")
    if size < 4:
        raise InvalidArgumentError("size", size, "is below 4 pixels", "pass size >= 4")
    radius = max(1.0, size / 8.0) if radius is None else check_positive_scalar(radius, "radius")
    softness = check_positive_scalar(softness, "softness")
    half = (size - 1) / 2.0 - radius
    if half <= 0:
        raise InvalidArgumentError("radius", radius, f"leaves no room to move in a {size}x{size} "
                                   "image", "use a smaller radius or a larger size")
    scale = half / DEFAULT_SPREAD if scale is None else check_positive_scalar(scale, "scale")
    if boundary not in ("reflect", "clip"):
        raise InvalidArgumentError("boundary", boundary, "is not supported",
                                   "pass 'reflect' or 'clip'")
    patch = _check_patch(patch, size)
    Sigma = np.eye(2) if Sigma is None else as_real_array(Sigma, "Sigma")
    if Sigma.shape != (2, 2):
        raise InvalidArgumentError("Sigma", f"array of shape {Sigma.shape}",
                                   "is not 2 x 2 (the ball moves in a plane)",
                                   "pass the 2 x 2 covariance of the two coordinates")
    spec = GPSpec(DEFAULT_KERNEL if kernel is None else as_kernel(kernel), N, Sigma)
    Z = spec.sample(n, seed=seed)  # (n, N, 2)
    with np.errstate(over="ignore"):
        u = scale * Z  # offset from the centre; the box is [-half, half]
    if not np.all(np.isfinite(u)):
        raise InvalidArgumentError("scale", scale, "times the latent path overflows float64",
                                   "pass a scale (pixels per unit of the path) below 1e100")
    if boundary == "clip":
        u = np.clip(u, -half, half)
    else:
        # triangle wave of period 4 half: reflection at both walls, continuous in u
        v = np.mod(u + half, 4.0 * half)
        u = np.where(v <= 2.0 * half, v, 4.0 * half - v) - half
    pos = (size - 1) / 2.0 + u  # (n, N, 2)
    images = render(pos, size, radius, softness)  # (n, N, size, size)
    return MovingBall(frames_to_tokens(images, patch), images, pos, Z, spec, size, patch,
                      float(radius), float(softness), float(scale), boundary)
