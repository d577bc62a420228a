"""The Toeplitz engine: structured solves, determinants and eigenvalues in float64.

Every routine here states the dense computation it is equivalent to and is tested
against it (``tests/toeplitz``).
"""

from .durbin import DurbinResult, durbin

__all__ = ["DurbinResult", "durbin"]
