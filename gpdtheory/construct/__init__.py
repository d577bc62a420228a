"""The explicit transformer of docs/theory.md §5 (torch; float64 by default).

- :mod:`.block`    the DiT-style ReLU-attention block and the looped model (shared with training)
- :mod:`.weights`  the triangular system and the constructed numbers (numpy)
- :mod:`.build`    :func:`build`: a model whose block ``k`` is gradient-descent step ``k``
- :mod:`.inspect`  attention weights by lag, per-head products, the end-to-end linear map
- :mod:`.sizes`    size accounting ``D, L, M, B`` and the float32 accuracy loss

Nothing in the numerical core imports this package.
"""

from .block import N_POS, GPDiT, ReLUAttentionBlock, position_embedding, time_features
from .build import build, load_construction
from .weights import (
    ConstructedWeights,
    construct_weights,
    interpolation_coefficients,
    lag_cosines,
    relu_gap_matrix,
)

__all__ = [
    "ReLUAttentionBlock",
    "GPDiT",
    "time_features",
    "position_embedding",
    "N_POS",
    "build",
    "load_construction",
    "ConstructedWeights",
    "construct_weights",
    "interpolation_coefficients",
    "lag_cosines",
    "relu_gap_matrix",
]
