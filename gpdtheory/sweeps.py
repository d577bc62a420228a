"""Parameter sweeps on one executor protocol: local processes, this process, or Dask.

A sweep maps a module-level function over a grid of keyword arguments and returns the
results in grid order, whatever order the workers finish in. **The executor protocol** is
that of ``concurrent.futures.Executor``: an object with ``submit(fn, *args, **kwargs)``
returning a future with ``result()`` and ``cancel()``. Every sweep of the package runs
through :func:`run_sweep` (the sample-complexity sweeps
:func:`gpdtheory.sample_complexity.sweep_n` and ``sweep_decay`` included), on:

- ``executor=None`` (default of :func:`run_sweep`): local processes
  (``ProcessPoolExecutor``, spawn context, so workers import the package fresh, exactly
  as a cluster worker would), shut down afterwards;
- ``executor="serial"`` or :class:`SequentialExecutor`: in this process, one point after
  another, each run at ``submit`` (debugging, tiny grids, code already inside a worker);
- any ``concurrent.futures.Executor`` (``ThreadPoolExecutor``, a process pool) or a Dask
  cluster, through ``distributed.Client(address).get_executor()`` or the ``Client``
  itself (see :func:`executor_for`); these are used as given and left open.

Results do not depend on the engine: each grid point must carry its own seed (or derive
one from its parameters, like :meth:`gpdtheory_checks.table.CheckConfig.rng`), never draw from a
shared generator.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any

from .errors import InvalidArgumentError

__all__ = ["grid_product", "run_sweep", "executor_for", "SequentialExecutor", "is_executor",
           "DASK_INSTALL"]


class SequentialExecutor(Executor):
    """A :class:`concurrent.futures.Executor` running each task at ``submit``, in-process.

    An exception raised by the task is delivered through the future, as any executor does.

    Examples
    --------
    >>> SequentialExecutor().submit(divmod, 7, 2).result()
    (3, 1)
    """

    def submit(self, fn, /, *args, **kwargs):
        """Call ``fn(*args, **kwargs)`` now; return a finished future holding its outcome.

        Parameters
        ----------
        fn : callable
        *args, **kwargs
            Passed to ``fn``.

        Returns
        -------
        concurrent.futures.Future
            Done: its ``result()`` is ``fn``'s return value, or raises what ``fn`` raised.
        """
        fut: Future = Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # delivered through the future, like any executor
            fut.set_exception(exc)
        return fut


def is_executor(obj: Any) -> bool:
    """Whether ``obj`` follows the executor protocol (a callable ``submit``).

    True for every ``concurrent.futures.Executor`` and for ``distributed.Client``.
    """
    return isinstance(obj, Executor) or callable(getattr(obj, "submit", None))


def grid_product(**axes: Iterable[Any]) -> list[dict[str, Any]]:
    """The Cartesian product of named axes, as a list of keyword dicts (last axis fastest).

    Examples
    --------
    >>> grid_product(N=[8, 16], nu=[1.0])
    [{'N': 8, 'nu': 1.0}, {'N': 16, 'nu': 1.0}]
    """
    names = list(axes)
    values = [list(v) for v in axes.values()]
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*values)]


def _call(func: Callable[..., Any], kwargs: Mapping[str, Any]) -> Any:
    return func(**kwargs)


def run_sweep(func: Callable[..., Any], grid: Sequence[Mapping[str, Any]],
              executor: Any = None, *, workers: int | None = None,
              progress: bool = False, desc: str = "sweep") -> list[Any]:
    """Evaluate ``func(**point)`` for every point of ``grid``; results in grid order.

    Parameters
    ----------
    func : callable
        A module-level (picklable) function of keyword arguments.
    grid : sequence of mappings
        The points, e.g. from :func:`grid_product`.
    executor : executor, "serial" or None
        ``None``: a local process pool of ``workers`` processes, shut down afterwards;
        ``"serial"``: in this process (:class:`SequentialExecutor`); anything following
        the executor protocol (:func:`is_executor`: a ``concurrent.futures.Executor``, a
        Dask ``Client`` or its ``get_executor()``): used as given and left open.
    workers : int, optional
        Size of the default pool (default ``min(len(grid), os.cpu_count())``).
    progress : bool
        A tqdm bar, one tick per finished point.
    desc : str
        Label of the progress bar.

    Returns
    -------
    list
        ``[func(**p) for p in grid]``, computed on the chosen engine.

    Raises
    ------
    InvalidArgumentError
        If ``executor`` is neither an executor, ``"serial"`` nor None, or ``workers < 1``.
    Exception
        The first exception raised by ``func`` (the remaining points are cancelled).

    Examples
    --------
    >>> run_sweep(complex, [{"real": 3, "imag": 4}, {"real": 5, "imag": 12}], executor="serial")
    [(3+4j), (5+12j)]
    """
    grid = [dict(p) for p in grid]
    if workers is not None and (not isinstance(workers, int) or workers < 1):
        raise InvalidArgumentError("workers", workers, "is not a positive integer",
                                   "pass workers >= 1, or executor='serial'")
    if executor is not None and not (isinstance(executor, str) and executor == "serial") \
            and not is_executor(executor):
        raise InvalidArgumentError("executor", executor,
                                   "is not an executor (no submit method), 'serial' or None",
                                   "pass e.g. distributed.Client(address).get_executor(), "
                                   "SequentialExecutor() or 'serial'")
    from ._extras import progress_bar

    if isinstance(executor, str):
        executor = SequentialExecutor()
    with progress_bar(show=bool(progress), total=len(grid), desc=desc) as bar:
        if not grid:
            return []
        with _engine(executor, workers or min(len(grid), os.cpu_count() or 1)) as ex:
            futures = []
            try:
                for p in grid:
                    fut = ex.submit(_call, func, p)
                    futures.append(fut)
                    if _failed(fut):  # an in-process executor ran it at submit: stop here
                        fut.result()
                out = []
                for fut in futures:  # in grid order: the result does not depend on timing
                    out.append(fut.result())
                    bar.update()
                return out
            except BaseException:
                for fut in futures:
                    fut.cancel()
                raise


def _failed(fut: Any) -> bool:
    """Whether a future already holds an exception (without waiting for it)."""
    try:
        return bool(fut.done()) and fut.exception() is not None
    except Exception:  # a cancelled future, or one that cannot report: let result() tell
        return False


@contextmanager
def _engine(executor: Any, workers: int):
    if executor is not None:
        yield executor
        return
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def executor_for(scheduler: str | None = None, workers: int = 0):
    """The executor for a command line: Dask at ``scheduler``, local processes, or None.

    Parameters
    ----------
    scheduler : str, optional
        Address of a Dask distributed scheduler (``tcp://host:port``).
    workers : int
        Local processes when no scheduler is given; 0 means none (run in this process).

    Returns
    -------
    (executor, close) : (Executor or None, callable)
        ``close()`` shuts the executor down and, for Dask, closes the client.

    Raises
    ------
    InvalidArgumentError
        If ``scheduler`` is given and ``distributed`` is not installed (the fix names the
        ``gpdtheory[dask]`` extra), or no scheduler answers there within
        ``SCHEDULER_TIMEOUT_S`` seconds (nothing listening, a malformed address).
    """
    if scheduler:
        Client = _distributed_client(scheduler)
        try:
            client = Client(scheduler, timeout=SCHEDULER_TIMEOUT_S)
        except (OSError, ValueError, TypeError) as exc:  # nothing listening, a bad address
            why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            what = (f"no Dask scheduler answered within {SCHEDULER_TIMEOUT_S} s"
                    if isinstance(exc, OSError) else "is not a scheduler address")
            raise InvalidArgumentError("--scheduler", scheduler, f"{what} ({why})",
                                       "start one there (dask scheduler, then dask worker "
                                       "ADDRESS), check the address (tcp://HOST:PORT), or drop "
                                       "--scheduler to run here (--workers N for local "
                                       "processes)") from None
        ex = client.get_executor()

        def close() -> None:
            ex.shutdown()
            client.close()

        return ex, close
    if workers > 0:
        # Ctrl-C reaches the whole process group: the parent stops the workers, which
        # must not each print a KeyboardInterrupt traceback
        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_ignore_sigint)
        return pool, pool.shutdown
    return None, lambda: None


def _ignore_sigint() -> None:
    """Worker initializer: leave Ctrl-C to the parent (see :func:`executor_for`)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


#: Seconds to wait for a Dask scheduler before ``--scheduler`` is refused.
SCHEDULER_TIMEOUT_S = 5

#: How to install the Dask engine (the ``dask`` extra of pyproject.toml).
DASK_INSTALL = "pip install 'gpdtheory[dask]'  (or: pip install distributed)"


def _distributed_client(scheduler: str):
    """``distributed.Client``, or the project's error naming the install command."""
    try:
        from distributed import Client
    except ImportError as exc:
        raise InvalidArgumentError("--scheduler", scheduler,
                                   f"needs Dask's distributed package, which is not installed "
                                   f"({exc})", DASK_INSTALL) from None
    return Client
