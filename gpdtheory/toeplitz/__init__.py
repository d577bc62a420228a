"""The Toeplitz engine: structured solves, determinants and eigenvalues in float64.

Which method when: one right-hand side, symmetric Levinson (``4 N^2``); many with the
same matrix, Durbin once then Gohberg–Semencul FFT solves; very large N, circulant-
preconditioned CG (``pcg_solve``, tolerance reported); PD tests and ``logdet`` by
Durbin with an early exit, from N = 4096 by the superfast Schur algorithm
(``O(N log^2 N)``, :mod:`.schur`) where it decides; ``min_eig``/``max_eig`` by block
Davidson in the sine basis (``O(N log N)``), with a Durbin-certified symbol shift and
shift-invert Lanczos as the ``O(N^2)`` certified alternative (see each module's notes on
stability and certification). The Numba functions (``levinson_numba``, ``inverse_column_numba``,
``durbin_numba``) can be called from user ``@njit`` code. One positive-definiteness
verdict serves every route, including on near-singular matrices (:mod:`.reflection`);
Gohberg–Semencul solves are scale-free.

Parallel Numba functions run on Numba's fork-safe threading layer (:mod:`.threads`): a process
pool forked after a parallel solve keeps working.

Every routine here states the dense computation it is equivalent to and is tested
against it (``tests/toeplitz``).
"""

from .banded import banded_cholesky, banded_extreme_eigenvalue, is_positive_definite_banded  # noqa: F401,E501
from .bracket import EigenvalueBounds, eigenvalue_bounds  # noqa: F401
from .durbin_recursion import DurbinResult, durbin, durbin_numba
from .eig import extreme_eigenvalues, max_eig, min_eig, symbol_bounds
from .fft import ToeplitzOperator, matvec
from .gohberg_semencul import ToeplitzSolver, inverse_column_numba
from .levinson import levinson_batch_numba, levinson_numba
from .pcg import PCGResult, pcg_solve
from .systems import SolveResult, is_positive_definite, logdet, solve

__all__ = ["DurbinResult", "durbin", "durbin_numba", "solve", "SolveResult",
           "is_positive_definite", "logdet", "ToeplitzSolver", "matvec", "ToeplitzOperator",
           "pcg_solve", "PCGResult",
           "min_eig", "max_eig", "symbol_bounds", "levinson_numba", "levinson_batch_numba",
           "inverse_column_numba",
           "extreme_eigenvalues", "EigenvalueBounds", "eigenvalue_bounds", "banded_cholesky",
           "banded_extreme_eigenvalue", "is_positive_definite_banded"]
