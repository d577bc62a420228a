"""What the validators accept: the value a fuzzed argument means when it is valid, else None.

Properties use these to decide whether an input should be refused (None) or computed.
"""

from __future__ import annotations

import math

import numpy as np


def accepted_real(v) -> float | None:
    """``float(v)`` for a real scalar (0-d real arrays too), else None."""
    if isinstance(v, np.ndarray):
        return float(v) if v.ndim == 0 and v.dtype.kind in "iuf" else None
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer, np.floating)):
        return None
    return float(v)


def accepted_int(v) -> int | None:
    """``int(v)`` where the validators accept ``v`` as an integer (integral floats too)."""
    if isinstance(v, (bool, np.bool_, np.ndarray)):
        return None
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)) and math.isfinite(v) and float(v).is_integer():
        return int(v)
    return None
