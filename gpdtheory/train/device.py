"""Where training runs: the device to use and the number of torch threads."""

from __future__ import annotations

import contextlib
from typing import Any

from .._torch import torch
from ..errors import InvalidArgumentError

__all__ = ["resolve_device", "torch_threads"]


@contextlib.contextmanager
def torch_threads(n: int = 1):
    """Run torch on ``n`` intra-op threads, restoring the previous count afterwards.

    The claims train tiny models: one thread makes their reductions independent of the
    machine's core count and avoids spin-waiting on a busy machine.
    """
    previous = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def resolve_device(device: Any = None) -> torch.device:
    """``None`` or ``"auto"``: CUDA when available, else CPU; otherwise ``torch.device(device)``.

    Raises
    ------
    InvalidArgumentError
        ``device`` is not a device name, or names one this machine does not have.
    """
    if device is None or (isinstance(device, str) and device == "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if not isinstance(device, (str, torch.device)):
        raise InvalidArgumentError("device", device, "is not a device",
                                   "pass 'cpu', 'cuda', 'cuda:0', 'auto' or a torch.device")
    try:
        dev = torch.device(device)
    except (RuntimeError, ValueError, TypeError) as exc:
        raise InvalidArgumentError("device", device, f"is not a device ({exc})".split("\n")[0],
                                   "pass 'cpu', 'cuda', 'cuda:0', 'auto' or a torch.device"
                                   ) from exc
    available = {"cpu": True, "cuda": torch.cuda.is_available(),
                 "mps": bool(getattr(torch.backends, "mps", None)
                             and torch.backends.mps.is_available())}
    if not available.get(dev.type, False):
        raise InvalidArgumentError("device", device, f"is not available here (torch "
                                   f"{torch.__version__} reports no {dev.type} device)",
                                   "pass device='cpu', or 'auto' to use CUDA when present")
    if dev.type == "cuda" and dev.index is not None and dev.index >= torch.cuda.device_count():
        raise InvalidArgumentError("device", device,
                                   f"names GPU {dev.index} of {torch.cuda.device_count()}",
                                   "pass 'cuda' or an existing index")
    return dev
