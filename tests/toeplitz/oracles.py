"""Shared inputs for the Toeplitz engine tests: kernels of every decay family, sizes."""

from __future__ import annotations

import pytest

import gpdtheory as gp

#: Every decay family, fast to slow decay (non-summable ones included).
KERNELS = [gp.PoweredExponential(2.0, 1.0), gp.PoweredExponential(1.0, 2.0),
           gp.PoweredExponential(0.6, 0.5), gp.Polynomial(1.0, 2.5), gp.Polynomial(2.0, 0.8),
           gp.Logarithmic(1.0, 1.0)]
KERNEL_IDS = [repr(k) for k in KERNELS]
#: Sizes 1..2000 with the degenerate ones; the dense oracles at 1000 and 2000 are slow.
SIZES = [1, 2, 3, 4, 5, 8, 17, 64, 255, pytest.param(1000, marks=pytest.mark.slow),
         pytest.param(2000, marks=pytest.mark.slow)]
