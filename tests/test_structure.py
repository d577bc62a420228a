"""The package's shape: short modules, one schedule, caches owned by the spec, light errors.

Each rule reads the source (tokens or text), so it fails the moment a new module breaks it;
the files that break a rule today are listed by name, to be emptied, never extended.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "gpdtheory"

#: Modules over ``MAX_LINES`` that predate the rule, each being split elsewhere.
MAX_LINES = 500

#: Files that still write the schedule by hand, each owned by work elsewhere.
KNOWN_HAND_SCHEDULE: set[str] = set()

#: ``exp(-t)``, ``expm1(-t)``, ``exp(-t / 2)``, ``exp(-0.5 * t)``, ``exp(-T)``, ``exp(-t0)``...
#: as code (strings and comments are not read): the forward process written out by hand.
HAND_SCHEDULE = re.compile(r"\bexp(?:m1)?\(\s*-\s*(?:0\.5\s*\*\s*)?(?:t|T|t0|tt|t_lo|t_hi)\b")


def _relative(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix()


def _code(path: Path) -> str:
    """The source of ``path`` without strings and comments."""
    kept = []
    for tok in tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline):
        if tok.type not in (tokenize.STRING, tokenize.COMMENT):
            kept.append(tok.string)
    return " ".join(kept).replace(" ( ", "(").replace("( ", "(").replace(" (", "(")


def _sources() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_no_module_over_500_lines():
    long = {_relative(p): n for p in _sources()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines (split them by idea): " + ", ".join(
        f"{name} ({n})" for name, n in sorted(long.items()))


def test_the_schedule_is_written_once():
    hand = sorted(_relative(p) for p in _sources()
                  if not _relative(p).startswith("toeplitz/") and p.name != "schedule.py"
                  and HAND_SCHEDULE.search(_code(p)))
    new = sorted(set(hand) - KNOWN_HAND_SCHEDULE)
    assert not new, f"alpha_t / sigma_t^2 written by hand (call gpdtheory.schedule): {new}"


def test_the_schedule_pattern_sees_hand_written_forms(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("a = np.exp(-t)\nb = -math.expm1( - t)\nc = np.exp(-0.5 * t)\n"
                     "d = 'np.exp(-t) in a string'  # and exp(-t) in a comment\n")
    assert len(HAND_SCHEDULE.findall(_code(probe))) == 3


def test_only_the_spec_touches_its_dict():
    touched = sorted(_relative(p) for p in _sources() if p.name != "spec.py"
                     and re.search(r"\bspec\w*\.__dict__", p.read_text(encoding="utf-8")))
    assert not touched, f"spec.__dict__ read or written outside gpdtheory/spec.py: {touched}"


def test_every_error_imports_without_torch():
    code = ("import sys, inspect, gpdtheory.errors as e\n"
            "assert 'torch' not in sys.modules, 'importing gpdtheory.errors imported torch'\n"
            "names = [n for n, c in vars(e).items() if inspect.isclass(c)\n"
            "         and issubclass(c, (Exception, Warning)) and c.__module__ == e.__name__]\n"
            "assert 'TrainingDivergedError' in names, names\n"
            "print(len(names))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr
