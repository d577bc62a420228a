"""Figures of the comparisons: the numbers come from their modules, the drawing lives here.

- :func:`plot_attention`: a model's attention (from
  :func:`gpdtheory.compare_models.compare_attention`) beside ``Gamma_bar`` and the constructed
  kernel, and the three lag profiles on the common scale (value 1 at lag 0);
- :func:`plot_video`: true and generated moving-ball frames, the lag profiles and the
  attention heatmap against ``Gamma`` (from :func:`gpdtheory.video.evaluate_video`).

matplotlib comes with the ``report`` extra; without it each function raises
:class:`~gpdtheory.errors.MissingExtraError` naming the extra.
"""

from __future__ import annotations

import io
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

__all__ = ["plot_attention", "plot_video"]


def plot_attention(cmp: AttentionComparison, spec: GPSpec | None = None, *, title: str = ""):
    """Figure: the mean attention map, ``Gamma_bar``, the constructed kernel and the profiles.

    Panels: (1) the model's mean attention matrix over frames; (2) ``Gamma_bar``
    (Toeplitz of ``rho_bar``); (3) the constructed kernel ``eta Gamma_bar tr(Sigma)/d``
    (Toeplitz of the constructed profile); (4) the three lag profiles normalised to 1 at
    lag 0. Returns the matplotlib Figure.
    """
    matplotlib = require("matplotlib", "report")
    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    if not isinstance(cmp, AttentionComparison):
        raise InvalidArgumentError("cmp", type(cmp).__name__, "is not an AttentionComparison",
                                   "pass compare_attention(...)")
    fig, ax = plt.subplots(1, 4, figsize=(14, 3.4))
    panels = [(cmp.maps, "attention (mean over heads, layers, t)"),
              (scipy.linalg.toeplitz(cmp.rho_bar), "Gamma_bar"),
              (scipy.linalg.toeplitz(cmp.constructed), "constructed kernel (eta Gamma_bar)")]
    for a, (M, name) in zip(ax[:3], panels, strict=True):
        im = a.imshow(M, cmap="viridis")
        a.set_title(name, fontsize=9)
        fig.colorbar(im, ax=a, fraction=0.046)
    lags = np.arange(cmp.attention.size)
    ax[3].plot(lags, normalise_profile(cmp.attention), "o-",
               label=f"attention (r={cmp.vs_rho.correlation:.2f}, "
                     f"err={cmp.vs_rho.relative_error:.2f})")
    ax[3].plot(lags, normalise_profile(cmp.rho_bar), "s--", label="rho_bar")
    ax[3].plot(lags, normalise_profile(cmp.constructed), "x:", label="constructed")
    ax[3].set_xlabel("lag")
    ax[3].set_title(f"by lag ({NORMALISATION})", fontsize=9)
    ax[3].legend(fontsize=7)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
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
        Save the figure there (PNG), atomically; an existing file is refused
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
    ax.set_xlabel("lag")
    ax.legend(fontsize=7)
    for j, (M, name) in enumerate(((A, "attention"), (video.spec.gamma_dense(), "Gamma"))):
        ax = fig.add_subplot(grid[1, k + j])
        ax.imshow(M, cmap="viridis")
        ax.set_title(name, fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
    if path is not None:
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=100)
        atomic_write_bytes(path, buffer.getvalue())
    return fig
