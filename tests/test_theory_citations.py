"""Every section the repository cites must exist in ``docs/theory.md``.

Code, README, notebooks and tests cite the theory document as ``docs/theory.md §3``,
``§3.1``, ``§§3-4``, ``§§1, 7 and 8`` or ``docs/theory.md sections 3-4``. This test scans
the repository's text files for such citations and fails, naming ``file:line``, when a
cited number has no heading (``## 3.`` or ``### 3.1``) in ``docs/theory.md``. It also fails
when a file cites the old top-level theory file or a path outside the repository (the team's
shared folder), and when a registered claim's ``section`` has no heading.

A ``§`` inside a parenthesis that names another work (an italic ``*Title*``, an edition
``2nd ed.``, ``et al.``, ``arXiv`` or ``the paper's``) before it, with no ``docs/theory.md``
in between, cites that work and is not checked, e.g. ``(Higham, *Accuracy and Stability of
Numerical Algorithms*, 2nd ed., §3.1)``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
THEORY = ROOT / "docs" / "theory.md"
SUFFIXES = {".py", ".md", ".ipynb", ".toml"}
SKIP_DIRS = {".venv", ".git", "build", "dist", "node_modules", "__pycache__"}

# Built from pieces so that this file does not match its own patterns.
SECTION = "\u00a7"
_OLD_THEORY = "THEORY" + r"\.md"
_SHARED = r"(?:\.\./)?" + "shared" + "/"
FORBIDDEN = re.compile(rf"(?P<old>\b{_OLD_THEORY}\b)|(?P<shared>{_SHARED})")

_NUM = r"\d+(?:\.\d+)*"
_SEP = r"(?:\s*[-\u2013\u2014]\s*|\s*,\s*(?:and\s+)?|\s+and\s+|\s+to\s+)"
_LIST = rf"{_NUM}(?:{_SEP}{SECTION}*\s*{_NUM})*"
#: ``§3``, ``§ 3``, ``§3.1``, ``§§3-4``, ``§§1, 7 and 8``, ``§6.1–§6.3``
SIGN_CITATION = re.compile(rf"{SECTION}+\s*(?P<list>{_LIST})")
#: ``docs/theory.md section 3``, ``docs/theory.md sections 3-4`` (possibly across a line break)
WORD_CITATION = re.compile(
    rf"docs/theory\.md[\s,(]+sections?\s+(?P<list>{_LIST})", re.IGNORECASE)
#: Marks of another work inside the parenthesis that holds a citation.
OTHER_WORK = re.compile(r"\*[^*\s][^*]*\*|\bed\.|\bet al\b|arXiv|\bpaper's\b")


def _cites_other_work(text: str, pos: int, lookback: int = 300) -> bool:
    """Whether the ``§`` at ``pos`` sits in a parenthesis that names another work."""
    before = text[max(0, pos - lookback):pos]
    depth = 0
    for i in range(len(before) - 1, -1, -1):
        ch = before[i]
        if ch == ")":
            depth += 1
        elif ch == "(":
            if depth == 0:
                context = before[i:]
                return "docs/theory.md" not in context and bool(OTHER_WORK.search(context))
            depth -= 1
    return False


def headings(text: str) -> set[str]:
    """Section numbers with a heading: ``## 3. Title`` gives ``3``, ``### 3.1 Title`` ``3.1``."""
    found = set()
    for m in re.finditer(r"^#{2,6}\s+(\d+(?:\.\d+)*)\.?\s", text, re.MULTILINE):
        found.add(m.group(1))
    return found


def _numbers(cited: str) -> list[str]:
    """The section numbers of one citation list; an integer range ``3-5`` gives 3, 4 and 5."""
    nums = re.findall(_NUM, cited)
    out = list(nums)
    parts = re.split(r"\s*[-\u2013\u2014]\s*|\s+to\s+", cited)
    for a, b in zip(parts, parts[1:], strict=False):
        a, b = a.strip().lstrip(SECTION).strip(), b.strip().lstrip(SECTION).strip()
        a = re.findall(_NUM, a)[-1:] if re.findall(_NUM, a) else []
        b = re.findall(_NUM, b)[:1] if re.findall(_NUM, b) else []
        if a and b and a[0].isdigit() and b[0].isdigit() and int(a[0]) < int(b[0]) <= 99:
            out.extend(str(k) for k in range(int(a[0]), int(b[0]) + 1))
    return out


def problems(text: str, known: set[str], where: str) -> list[str]:
    """``where:line: message`` for every unresolved citation or forbidden reference in ``text``."""
    out = []

    def line_of(pos: int) -> int:
        return text.count("\n", 0, pos) + 1

    for pattern in (SIGN_CITATION, WORD_CITATION):
        for m in pattern.finditer(text):
            if pattern is SIGN_CITATION and _cites_other_work(text, m.start()):
                continue
            for num in _numbers(m.group("list")):
                if num not in known:
                    out.append(f"{where}:{line_of(m.start())}: cites {SECTION}{num}, "
                               f"which has no heading in docs/theory.md ({m.group(0)!r})")
    for m in FORBIDDEN.finditer(text):
        what = "the old theory file" if m.group("old") else "a path outside the repository"
        out.append(f"{where}:{line_of(m.start())}: cites {what} ({m.group(0)!r})")
    return out


def _files() -> list[Path]:
    """Tracked and untracked-but-not-ignored files; a walk when git is unavailable."""
    try:
        res = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            cwd=ROOT, capture_output=True, check=True)
        names = [n for n in res.stdout.decode("utf-8").split("\0") if n]
        paths = [ROOT / n for n in names]
    except (OSError, subprocess.CalledProcessError):
        paths = []
        for dirpath, dirnames, filenames in os.walk(ROOT):
            dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS]
            paths.extend(Path(dirpath) / f for f in filenames)
    return sorted(p for p in paths
                  if p.suffix in SUFFIXES and p.is_file()
                  and not SKIP_DIRS.intersection(p.relative_to(ROOT).parts))


def _texts(path: Path) -> list[tuple[str, str]]:
    """``(where, text)`` pieces of a file; a notebook gives one piece per cell (source, outputs)."""
    rel = path.relative_to(ROOT).as_posix()
    raw = path.read_text(encoding="utf-8")
    if path.suffix != ".ipynb":
        return [(rel, raw)]
    pieces = []
    for i, cell in enumerate(json.loads(raw).get("cells", [])):
        src = cell.get("source", "")
        pieces.append((f"{rel} cell {i}", src if isinstance(src, str) else "".join(src)))
        for out in cell.get("outputs", []):
            txt = out.get("text") or out.get("data", {}).get("text/plain", "")
            if txt:
                pieces.append((f"{rel} cell {i} output",
                               txt if isinstance(txt, str) else "".join(txt)))
    return pieces


@pytest.fixture(scope="module")
def known() -> set[str]:
    assert THEORY.is_file(), "docs/theory.md is missing"
    return headings(THEORY.read_text(encoding="utf-8"))


def test_theory_has_top_level_sections(known):
    for n in range(1, 12):
        assert str(n) in known, f"docs/theory.md has no '## {n}.' heading"


def test_every_citation_resolves(known):
    found = []
    files = _files()
    assert any(p == THEORY for p in files)
    for path in files:
        for where, text in _texts(path):
            found.extend(problems(text, known, where))
    assert not found, "unresolved citations:\n" + "\n".join(found)


def test_every_claim_section_resolves(known):
    from gpdtheory_checks.table import CLAIMS

    assert CLAIMS, "no claims registered"
    bad = [f"{c.id}: section {c.section!r}" for c in CLAIMS.values() if str(c.section) not in known]
    assert not bad, "claims whose section has no heading in docs/theory.md:\n" + "\n".join(bad)


# --- the scanner itself, on synthetic text ------------------------------------------------

_KNOWN = {"1", "2", "3", "3.1", "4", "6", "7", "8"}


@pytest.mark.parametrize("text", [
    "see docs/theory.md " + SECTION + "3",
    "(" + SECTION + " 3) and " + SECTION + "3.1",
    SECTION * 2 + "3-4",
    SECTION * 2 + "3\u20134 and " + SECTION + "6",
    SECTION * 2 + "1, 7 and 8",
    "docs/theory.md sections 3-4",
    "docs/theory.md\nsection 2: more text",
    "print(f'{c.id} " + SECTION + "{c.section:4s}')",
    "| statement (docs/theory.md " + SECTION + " / paper) |",
    "docs/theory.md " + SECTION + "3, L2 version; " + SECTION + "4, view 1",
    "(Higham, *Accuracy and Stability of Numerical\nAlgorithms*, 2nd ed., "
    + SECTION + "3.1 and " + SECTION + "7.1), not a fitted tolerance",
    "(Smith et al. 2020, " + SECTION + "42)",
])
def test_scanner_accepts(text):
    assert problems(text, _KNOWN, "x") == []


@pytest.mark.parametrize("text, bad", [
    ("a citation to " + SECTION + "99 here", "99"),
    ("docs/theory.md " + SECTION + " 99", "99"),
    ("(" + SECTION + "3.7)", "3.7"),
    (SECTION * 2 + "3-5", "5"),
    (SECTION * 2 + "4\u20136", "5"),
    (SECTION * 2 + "1, 7 and 9", "9"),
    ("docs/theory.md sections 7 and 1" + "2", "12"),
    ("(docs/theory.md " + SECTION + "99 and *Some Book*)", "99"),
    ("(*Some Book*) then " + SECTION + "99", "99"),
    ("docs/theory.md\n    section 99, L2", "99"),
    ("ok " + SECTION + "6.1\u2013" + SECTION + "6.9", "6.9"),
])
def test_scanner_flags_missing_section(text, bad):
    found = problems(text, _KNOWN, "f.py")
    assert found and any(f"cites {SECTION}{bad}," in p for p in found), found
    assert found[0].startswith("f.py:")


def test_scanner_reports_line_numbers():
    text = "line one\nline two " + SECTION + "99\n"
    assert problems(text, _KNOWN, "f.md")[0].startswith("f.md:2:")


@pytest.mark.parametrize("text", [
    "see " + "THEORY" + ".md " + SECTION + "3",
    "(see ``../" + "shar" + "ed/STYLE.md`` points 7 and 8)",
    "/work/" + "shar" + "ed/notes",
])
def test_scanner_flags_forbidden_references(text):
    assert any("cites" in p for p in problems(text, _KNOWN, "f.py"))


def test_headings_parser():
    text = "# Title\n## 1. One\n### 1.1 Sub\n## 10. Ten\ntext ## 5. not a heading\n"
    assert headings(text) == {"1", "1.1", "10"}
