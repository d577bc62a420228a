"""The README's "Compare your model" section runs as written (each ```python block)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

# Integration: runs the README's model examples end to end.
pytestmark = pytest.mark.integration

README = Path(__file__).parents[1] / "README.md"
SECTION = "## Compare your model"


def _blocks() -> list[str]:
    text = README.read_text(encoding="utf-8")
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    return re.findall(r"```python\n(.*?)```", text[start:end if end >= 0 else None], re.S)


def test_two_blocks():
    assert len(_blocks()) == 2


@pytest.mark.parametrize("index", range(2), ids=["mha_model", "latte"])
def test_block_runs(index):
    if index == 1:
        pytest.importorskip("diffusers")
    import torch

    threads = torch.get_num_threads()
    try:
        exec(compile(_blocks()[index], f"README.md Compare your model {index + 1}", "exec"),
             {"__name__": "readme"})
    finally:
        torch.set_num_threads(threads)
