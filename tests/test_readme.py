"""The README's API examples run as written (each ```python block, in a fresh namespace)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

# Integration: runs the README's examples end to end.
pytestmark = pytest.mark.integration

README = Path(__file__).parents[1] / "README.md"
SECTION = "## The API in five examples"


def _examples() -> list[str]:
    text = README.read_text(encoding="utf-8")
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    return re.findall(r"```python\n(.*?)```", text[start:end if end >= 0 else None], re.S)


def test_five_examples():
    assert len(_examples()) == 5


def test_first_block_is_the_two_commands():
    first = re.search(r"```(\w*)\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert first.group(1) == "bash"
    lines = first.group(2).strip().splitlines()
    assert len(lines) == 2 and all(line.startswith("python3 -m venv .venv") for line in lines)


@pytest.mark.parametrize("index", range(5), ids=[f"example{i + 1}" for i in range(5)])
def test_example_runs(index):
    code = _examples()[index]
    exec(compile(code, f"README.md example {index + 1}", "exec"), {"__name__": "readme"})
