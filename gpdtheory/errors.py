"""Domain exceptions and warnings of gpdtheory, all in one place.

Every error raised at a public boundary names the argument, the bad value and
the fix; every numerical failure names the quantity, how far off it is and the
likely causes, so that the message alone tells the user what to do.

Hierarchy
---------
::

    GPDTheoryError
        InvalidArgumentError (also a ValueError): bad input at a boundary.
        NotPositiveDefiniteError (also a numpy.linalg.LinAlgError, hence a
        ValueError): a matrix or kernel that must be positive (semi)definite is not.
        AssumptionViolated: a theorem's precondition fails (e.g. mu_bar_t <= 0).
        ConvergenceError (also a RuntimeError): an iterative method stopped
        short of its tolerance; never a partial answer.
            TrainingDivergedError (also a FloatingPointError): training met a
            non-finite loss.
        CheckpointError: a checkpoint or report file is missing, corrupt or refused.
        ReportExistsError (also a FileExistsError): refusing to overwrite.
        MissingExtraError (also an ImportError): an optional dependency is not
        installed; the message names the extra to install.

Warnings: ``AccuracyWarning`` (accuracy lost to conditioning),
``PositiveDefinitenessWarning`` (a kernel is not positive definite on every N), and its
subclass ``DivergenceWarning`` (gradient descent on an indefinite truncation, opted in).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = [
    "GPDTheoryError",
    "InvalidArgumentError",
    "NotPositiveDefiniteError",
    "AssumptionViolated",
    "ConvergenceError",
    "TrainingDivergedError",
    "CheckpointError",
    "ReportExistsError",
    "AccuracyWarning",
    "PositiveDefinitenessWarning",
    "DivergenceWarning",
    "MissingExtraError",
]


def _short(value: Any, limit: int = 80) -> str:
    """A one-line ``repr`` of ``value`` clipped to ``limit`` characters."""
    text = repr(value).replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _rebuild(cls: type, args: tuple, kwargs: dict) -> GPDTheoryError:
    return cls(*args, **kwargs)


class GPDTheoryError(Exception):
    """Base class of every exception gpdtheory raises on purpose.

    Picklable with its constructor's arguments, whatever the subclass's signature: an
    error raised in a worker process (``concurrent.futures``, Dask) reaches the caller
    intact instead of breaking the pool (``Exception`` pickles ``self.args``, the message,
    which a subclass constructor with named fields cannot take back).
    """

    def __new__(cls, *args: Any, **kwargs: Any):
        self = super().__new__(cls, *args)
        self._init_args = (args, kwargs)
        return self

    def __reduce__(self):
        args, kwargs = self.__dict__.get("_init_args", (self.args, {}))
        return _rebuild, (type(self), args, kwargs), self.__dict__


class InvalidArgumentError(GPDTheoryError, ValueError):
    """An argument at a public boundary is invalid.

    Parameters
    ----------
    argument : str
        The argument's name as the caller wrote it.
    value : object
        The offending value (shown clipped).
    problem : str
        What is wrong with it.
    fix : str
        What to pass instead.
    """

    def __init__(self, argument: str, value: Any, problem: str, fix: str):
        self.argument = argument
        self.value = value
        self.problem = problem
        self.fix = fix
        super().__init__(f"{argument}={_short(value)}: {problem}. Fix: {fix}.")


class NotPositiveDefiniteError(GPDTheoryError, np.linalg.LinAlgError):
    """A matrix that must be positive (semi)definite is not.

    Also a ``numpy.linalg.LinAlgError`` (hence a ``ValueError``), so ``except
    LinAlgError`` catches it as it catches scipy's and numpy's factorisation failures.

    Parameters
    ----------
    quantity : str
        Which matrix, e.g. ``"Gamma (N=64)"``.
    detail : str
        The evidence: smallest eigenvalue, first bad reflection coefficient, ...
    fix : str
        What the caller can do about it.
    """

    def __init__(self, quantity: str, detail: str, fix: str):
        self.quantity = quantity
        self.detail = detail
        self.fix = fix
        super().__init__(f"{quantity} is not positive definite: {detail}. Fix: {fix}.")


class AssumptionViolated(GPDTheoryError):
    """A precondition of a theorem or lemma in docs/theory.md does not hold.

    Parameters
    ----------
    condition : str
        The violated condition, as written in docs/theory.md (e.g. ``"mu_bar_t > 0"``).
    detail : str
        The measured values.
    fix : str
        What would restore it.
    """

    def __init__(self, condition: str, detail: str, fix: str):
        self.condition = condition
        self.detail = detail
        self.fix = fix
        super().__init__(f"assumption '{condition}' is violated: {detail}. Fix: {fix}.")


class ConvergenceError(GPDTheoryError, RuntimeError):
    """An iterative method did not reach its tolerance.

    Parameters
    ----------
    method : str
        The method, e.g. ``"preconditioned CG"``.
    achieved : float
        The accuracy reached (residual, bracket width, ...).
    target : float
        The tolerance asked for.
    iterations : int
        Iterations spent.
    hint : str
        Likely causes and remedies.
    """

    def __init__(self, method: str, achieved: float, target: float, iterations: int, hint: str):
        self.method = method
        self.achieved = achieved
        self.target = target
        self.iterations = iterations
        super().__init__(
            f"{method} did not converge: reached {achieved:.3e} against the target "
            f"{target:.3e} after {iterations} iterations. {hint}"
        )


class TrainingDivergedError(ConvergenceError, FloatingPointError):
    """Training met a non-finite loss: names the step, the last finite loss and what was kept.

    A :class:`ConvergenceError` (numerical failure), also a
    ``FloatingPointError``.

    Attributes
    ----------
    lr : float
        The configured learning rate.
    step : int
        The step (AdamW) or iteration (L-BFGS) whose loss was not finite.
    last_loss : float
        The last finite training loss (nan when the first step diverged).
    last_step : int
        Its step (-1 when none).
    checkpoint : str or None
        The last good checkpoint (``train(..., checkpoint=path)``: the model at the last
        evaluation before the divergence), or None when none was written.
    """

    def __init__(self, lr: float, step: int, last_loss: float, last_step: int,
                 checkpoint: str | None):
        self.lr, self.step, self.last_loss, self.last_step = lr, step, last_loss, last_step
        self.checkpoint = checkpoint
        self.method, self.achieved, self.target, self.iterations = ("DSM training", math.nan,
                                                                    last_loss, step)
        kept = (f"; the last good checkpoint (model at the last evaluation) is kept at "
                f"{checkpoint}" if checkpoint else "")
        # ConvergenceError's own message speaks of a tolerance, which training has not
        RuntimeError.__init__(self, f"training with lr={lr:g} gave a non-finite loss at step "
                              f"{step} (last finite loss {last_loss:.6g} at step {last_step})"
                              f"{kept}. Fix: lower the learning rate or use float64.")


class CheckpointError(GPDTheoryError):
    """A checkpoint or report file is missing, truncated, corrupt or of the wrong kind."""


class ReportExistsError(GPDTheoryError, FileExistsError):
    """Refusing to overwrite an existing result (results are never overwritten)."""


class MissingExtraError(GPDTheoryError, ImportError):
    """An optional dependency is missing; the message names the extra that installs it.

    Parameters
    ----------
    module : str
        The module that failed to import (e.g. ``"torch"``).
    extra : str
        The gpdtheory extra that provides it (e.g. ``"torch"``).
    needed_by : str
        What needs it (a module or feature name).
    """

    def __init__(self, module: str, extra: str, needed_by: str = "this part of gpdtheory"):
        self.module = module
        self.extra = extra
        self.needed_by = needed_by
        super().__init__(
            f"{needed_by} needs the optional dependency {module!r}: "
            f"pip install 'gpdtheory[{extra}]'", name=module)


class AccuracyWarning(UserWarning):
    """Accuracy is lost, typically to a large condition number; the message says how much."""


class PositiveDefinitenessWarning(UserWarning):
    """A kernel is not positive definite for every N (e.g. powered exponential, ``nu > 2``)."""


class DivergenceWarning(PositiveDefinitenessWarning):
    """Gradient descent runs on an indefinite truncated objective (``mu_bar_t <= 0``) by request.

    Issued instead of :class:`AssumptionViolated` when a caller opts in with
    ``on_indefinite="warn"`` (``gpdtheory.gd``, ``gpdtheory.construct.build``) to study
    the divergence; the iterates then grow geometrically.
    """
