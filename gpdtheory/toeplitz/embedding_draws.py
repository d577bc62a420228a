"""Gaussian draws with a Toeplitz covariance from a nonnegative circulant embedding.

Given the square roots ``root = sqrt(c^ / M)`` of the eigenvalues ``c^`` of a symmetric
circulant ``C`` of length ``M`` whose leading ``N x N`` block is ``T`` (Dietrich & Newsam
1997; :meth:`gpdtheory.GPSpec.sample` finds it), ``y = fft(root * (z1 + i z2))`` with
independent standard normal ``z1, z2`` has ``Re y`` and ``Im y`` independent ``N(0, C)``,
so their first ``N`` entries are two independent ``N(0, T)`` columns.

Cost: ``M`` normals and half a complex transform of length ``M`` per column. The normals
cost about as much as the transform (NumPy's ziggurat: about 10 ns each on the machine of
benchmarks/RESULTS.md), so both run on the engine's threads. The columns are cut into
chunks of about :data:`CHUNK_POINTS` complex points, each with its own random stream
(``numpy.random.SeedSequence.spawn`` from entropy drawn once from the caller's generator):
the draws depend on the seed and the sizes only, never on the thread count or on which
thread ran a chunk.

Equivalent computation (what tests/test_first_call_cost.py checks): the covariance of the
draws is ``Re(F diag(root^2) F^H)``, whose leading block is ``T``.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from .realfft import fft
from .threads import parallel, zeros

__all__ = ["embedding_draws", "CHUNK_POINTS"]

#: Complex points per chunk (one random stream and one batch of transforms): 2^16 points,
#: 1 MB a buffer, or one whole row when a row is longer (so that a draw of a few columns
#: of ``2^16`` frames or more already runs on every thread).
CHUNK_POINTS = 1 << 16


def embedding_draws(M: int, root: np.ndarray, N: int, columns: int,
                    rng: np.random.Generator) -> np.ndarray:
    """``(columns, N)`` independent draws of ``N(0, T)`` from the embedding's ``root``.

    Parameters
    ----------
    M : int
        Embedding length (``M >= N``).
    root : (M // 2 + 1,) float64 ndarray
        ``sqrt(c^ / M)`` on the half spectrum (the full spectrum is its even extension).
    N : int
        Order of ``T``.
    columns : int
        Number of draws (``>= 1``).
    rng : numpy.random.Generator
        Source of the chunks' entropy (advanced by one draw of four words).

    Returns
    -------
    (columns, N) float64 ndarray
    """
    full = np.concatenate((root, root[1:(M + 1) // 2][::-1]))[:M]
    pairs = (columns + 1) // 2
    per_chunk = max(1, CHUNK_POINTS // M)
    starts = range(0, pairs, per_chunk)
    streams = np.random.SeedSequence(rng.integers(0, 2**63, size=4)).spawn(len(starts))
    cols = np.empty((2 * pairs, N))

    def chunk(start: int, stream: np.random.SeedSequence) -> None:
        b = min(per_chunk, pairs - start)
        # mapped buffers (threads.zeros): at large M heap rows of a pool thread are faulted
        # in again on every call
        noise = zeros((b, M), np.complex128)
        # interleaved real and imaginary parts: 2M independent standard normals a row
        np.random.Generator(np.random.PCG64(stream)).standard_normal(
            out=noise.view(np.float64))
        noise.view(np.float64).reshape(b, M, 2)[...] *= full[:, None]
        spectrum = zeros((b, M), np.complex128)
        for i in range(b):  # one row at a time: the engine's four steps are per row
            fft(noise[i], out=spectrum[i])
        cols[2 * start:2 * (start + b):2] = spectrum[:, :N].real
        cols[2 * start + 1:2 * (start + b):2] = spectrum[:, :N].imag

    parallel([partial(chunk, s, st) for s, st in zip(starts, streams, strict=True)])
    return cols[:columns]
