"""Results on disk: a grid's ``results.json`` and the records and checkpoints of its runs."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ..errors import InvalidArgumentError
from .config import ARCH_SECTION, ArchConfig, PaperConfig

__all__ = ["RESULTS_FILE", "RECORD_SUFFIX", "PARTIAL_SUFFIX", "load_results", "load_run"]

#: The grid's summary file in a checkpoint folder.
RESULTS_FILE = "results.json"
RECORD_SUFFIX = ".record.json"
PARTIAL_SUFFIX = ".partial"


def _merge_results(folder: Path, cfg: PaperConfig | None, records: list[dict], *,
                   arch: tuple[ArchConfig, list[dict]] | None = None) -> dict[str, Any]:
    """``results.json`` of a folder: earlier records of other grids kept, these updated.

    ``runs`` holds the DiT runs of :func:`run_grid`; ``architectures`` the DiT-against-U-Net
    runs of :func:`run_architectures_grid` (``configs`` holds both kinds of settings).
    """
    path = folder / RESULTS_FILE
    old = json.loads(path.read_text()) if path.is_file() else {"runs": {}}
    runs = dict(old.get("runs", {}))
    archs = dict(old.get(ARCH_SECTION, {}))
    configs = dict(old.get("configs", {}))
    if cfg is not None:
        configs[cfg.digest()] = cfg.to_dict()
    for r in records:
        runs[r["key"]] = {k: v for k, v in r.items() if k != "resumed"}
    if arch is not None:
        configs[arch[0].digest()] = arch[0].to_dict()
        for r in arch[1]:
            archs[r["key"]] = {k: v for k, v in r.items() if k != "resumed"}
    return {"format": "gpdtheory-paper-results-1", "configs": configs, "runs": runs,
            ARCH_SECTION: archs}


def load_results(folder: str | os.PathLike) -> dict[str, Any]:
    """``results.json`` of a finished (or partly finished) grid."""
    path = Path(folder) / RESULTS_FILE
    if not path.is_file():
        raise InvalidArgumentError("folder", str(folder), f"has no {RESULTS_FILE}",
                                   "pass the folder a paper run wrote (GPDTHEORY_CHECKPOINTS)")
    return json.loads(path.read_text())


def load_run(folder: str | os.PathLike, key: str, device: Any = "cpu"):
    """The trained model of a finished run and its checkpoint sidecar."""
    from ..train import load_checkpoint

    return load_checkpoint(Path(folder) / key, device=device)
