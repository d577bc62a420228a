"""gpdtheory's exceptions survive pickling, so a worker process's failure reaches the caller."""

from __future__ import annotations

import math
import pickle
from concurrent.futures import ProcessPoolExecutor

import pytest

import gpdtheory.errors as E
from gpdtheory.train.loop import TrainingDivergedError

ERRORS = [E.InvalidArgumentError("x", 3, "is bad", "pass 4"),
          E.NotPositiveDefiniteError("Gamma (N=4)", "lmin = -1", "taper"),
          E.AssumptionViolated("mu_bar_t > 0", "mu_bar_t = -1", "raise J"),
          E.ConvergenceError("CG", 1e-3, 1e-12, 5, "raise maxiter"),
          E.CheckpointError("truncated file"), E.ReportExistsError("out exists"),
          E.MissingExtraError("torch", "torch", "gpdtheory.train"),
          TrainingDivergedError(1e3, 7, 0.5, 6, "/tmp/run.partial.safetensors"),
          TrainingDivergedError(1e3, 0, math.nan, -1, None)]


def _same(a, b) -> bool:
    """Equal, or equal up to NaN (nan != nan, also inside the recorded argument tuples)."""
    return a == b or repr(a) == repr(b)


@pytest.mark.parametrize("err", ERRORS, ids=lambda e: type(e).__name__)
def test_round_trip_keeps_type_message_and_fields(err):
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is type(err) and str(back) == str(err) and back.args == err.args
    assert back.__dict__.keys() == err.__dict__.keys()
    assert all(_same(back.__dict__[k], v) for k, v in err.__dict__.items())


def _raise(err):
    raise err


def test_error_raised_in_a_worker_process_arrives_intact():
    err = ERRORS[7]
    with ProcessPoolExecutor(1) as pool, pytest.raises(TrainingDivergedError) as info:
        pool.submit(_raise, err).result()
    assert str(info.value) == str(err) and info.value.step == 7
