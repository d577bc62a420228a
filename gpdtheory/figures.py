"""Figures of the comparisons: the numbers come from their modules, the drawing lives here.

- :func:`plot_attention`: a model's attention (from
  :func:`gpdtheory.compare_models.compare_attention`) beside ``Gamma_bar`` and the constructed
  kernel, and the three lag profiles on the common scale (value 1 at lag 0);
- :func:`plot_video`: true and generated moving-ball frames, the lag profiles and the
  attention heatmap against ``Gamma`` (from :func:`gpdtheory.video.evaluate_video`).

Every panel has labelled axes (heatmaps: ``query frame i`` / ``key frame j`` and a colour
bar saying what its values are). ``plot_video(..., path=...)`` writes PDF or SVG (vector)
or PNG at :data:`PNG_DPI` dots per inch, chosen by the path's suffix.

matplotlib comes with the ``report`` extra; without it each function raises
:class:`~gpdtheory.errors.MissingExtraError` naming the extra.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import scipy.linalg

from ._extras import require
from .compare_models import AttentionComparison
from .data.moving_ball import MovingBall
from .errors import InvalidArgumentError
from .fileio import atomic_write_bytes
from .models import SoftmaxDiT
from .profiles import NORMALISATION, normalise_profile
from .schedule import noised
from .spec import GPSpec
from .validation import check_positive_int
from .video import (
    VideoEvaluation,
    VideoModel,
    attention_maps,
    check_model_matches,
    check_video,
    check_video_model,
)

__all__ = ["plot_attention", "plot_video", "PNG_DPI"]

#: Resolution of PNG files (print quality; PDF and SVG are vector).
PNG_DPI = 200

#: File formats ``plot_video(path=...)`` writes, by the path's suffix.
_FORMATS = {".pdf": "pdf", ".svg": "svg", ".png": "png"}


def _heatmap(fig, ax, M, title: str, colour: str) -> None:
    """One frame-by-frame heatmap with its axes and colour bar labelled."""
    im = ax.imshow(M, cmap="viridis")
    ax.set_title(title, fontsize=9)
    ax.set(xlabel="key frame j", ylabel="query frame i")
    fig.colorbar(im, ax=ax, fraction=0.046, label=colour)


def plot_attention(cmp: AttentionComparison, spec: GPSpec | None = None, *, title: str = ""):
    """Figure: the mean attention map, ``Gamma_bar``, the constructed kernel and the profiles.

    Panels: (1) the model's mean attention matrix over frames; (2) ``Gamma_bar``
    (Toeplitz of ``rho_bar``); (3) the constructed kernel ``eta Gamma_bar tr(Sigma)/d``
    (Toeplitz of the constructed profile); (4) the three lag profiles normalised to 1 at
    lag 0. Returns the matplotlib Figure.
    """
    # object API: no pyplot state, no backend switch
    Figure = require("matplotlib.figure", "report").Figure
    if not isinstance(cmp, AttentionComparison):
        raise InvalidArgumentError("cmp", type(cmp).__name__, "is not an AttentionComparison",
                                   "pass compare_attention(...)")
    fig = Figure(figsize=(15, 3.8), layout="constrained")
    ax = fig.subplots(1, 4)
    panels = [(cmp.maps, "attention (mean over heads, layers, t)", "attention weight"),
              (scipy.linalg.toeplitz(cmp.rho_bar), "Gamma_bar", "correlation rho_bar(|i-j|)"),
              (scipy.linalg.toeplitz(cmp.constructed), "constructed kernel (eta Gamma_bar)",
               "kernel value")]
    for a, (M, name, colour) in zip(ax[:3], panels, strict=True):
        _heatmap(fig, a, M, name, colour)
    lags = np.arange(cmp.attention.size)
    ax[3].plot(lags, normalise_profile(cmp.attention), "o-",
               label=f"attention (r={cmp.vs_rho.correlation:.2f}, "
                     f"err={cmp.vs_rho.relative_error:.2f})")
    ax[3].plot(lags, normalise_profile(cmp.rho_bar), "s--", label="rho_bar")
    ax[3].plot(lags, normalise_profile(cmp.constructed), "x:", label="constructed")
    ax[3].set(xlabel="lag |i - j| (frames)", ylabel="profile (1 at lag 0, dimensionless)")
    ax[3].set_title(f"by lag ({NORMALISATION})", fontsize=9)
    ax[3].legend(fontsize=7)
    if title:
        fig.suptitle(title)
    return fig


def plot_video(video: MovingBall, ev: VideoEvaluation, vm: VideoModel | None = None, *,
               n_frames: int = 8, path: Any = None):
    """Side by side: true frames, generated frames, attention heatmap against Gamma.

    Parameters
    ----------
    video : MovingBall
    ev : VideoEvaluation
    vm : VideoModel, optional
        A SoftmaxDiT model for the attention heatmap (at ``t = 0.5``); without it the
        Toeplitz matrix of the attention lag profile is shown.
    n_frames : int
    path : str or Path, optional
        Save the figure there, atomically, as the suffix says: ``.pdf`` or ``.svg``
        (vector) or ``.png`` (:data:`PNG_DPI` dpi); an existing file is refused
        (:class:`~gpdtheory.errors.ReportExistsError`), never overwritten.

    Returns
    -------
    matplotlib.figure.Figure
        Not registered with pyplot (works under any backend, e.g. Agg).
    """
    # object API: no pyplot state, no backend switch
    Figure = require("matplotlib.figure", "report").Figure

    video = check_video(video)
    if not isinstance(ev, VideoEvaluation):
        raise InvalidArgumentError("ev", type(ev).__name__, "is not a VideoEvaluation",
                                   "pass the result of evaluate_video(...)")
    if vm is not None:
        check_model_matches(check_video_model(vm), video)
    N = video.tokens.shape[1]
    k = min(check_positive_int(n_frames, "n_frames"), N, ev.frames.shape[1])
    if vm is not None and isinstance(vm.model, SoftmaxDiT):
        X0 = vm.standardize(video.tokens[:64])
        noise = np.random.default_rng(0).standard_normal(X0.shape)
        A = attention_maps(vm.model, noised(X0, 0.5, noise), 0.5).mean(axis=(0, 1))
    else:
        A = scipy.linalg.toeplitz(np.r_[ev.attention, np.full(N - ev.attention.size,
                                                                ev.attention[-1])])
    fig = Figure(figsize=(1.3 * k + 5, 4.2), layout="constrained")
    grid = fig.add_gridspec(2, k + 3)
    for row, (frames, name) in enumerate(((video.images[0], "true"), (ev.frames[0], "generated"))):
        for i in range(k):
            ax = fig.add_subplot(grid[row, i])
            ax.imshow(frames[i], cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.set_ylabel(name)
            if row == 0:
                ax.set_title(f"frame {i}", fontsize=8)
    ax = fig.add_subplot(grid[0, k:k + 3])
    lags = np.arange(ev.rho.size)
    ax.plot(lags, ev.rho, "k-o", label="rho (truth)")
    ax.plot(lags, ev.generated, "C1-s", label=f"generated ({ev.generated_corr:.2f})")
    ax.plot(lags, ev.attention / ev.attention[0], "C0-^",
            label=f"attention/att[0] ({ev.attention_corr:.2f})")
    ax.set(xlabel="lag (frames)", ylabel="correlation (1 at lag 0)")
    ax.legend(fontsize=7)
    for j, (M, name, colour) in enumerate(((A, "attention", "attention weight"),
                                           (video.spec.gamma_dense(), "Gamma", "correlation"))):
        ax = fig.add_subplot(grid[1, k + j])
        _heatmap(fig, ax, M, name, colour)
    if path is not None:
        suffix = Path(path).suffix.lower()
        if suffix not in _FORMATS:
            raise InvalidArgumentError("path", str(path), f"has the suffix {suffix!r}",
                                       "end it in .pdf or .svg (vector) or .png")
        buffer = io.BytesIO()
        fig.savefig(buffer, format=_FORMATS[suffix], dpi=PNG_DPI)
        atomic_write_bytes(path, buffer.getvalue())
    return fig
