"""How many examples each fuzz property runs.

Under the default ``ci`` profile a property runs the profile's examples (25,
derandomized). Under ``thorough`` (``GPDTHEORY_HYPOTHESIS_PROFILE=thorough``) every
fuzz property runs ``THOROUGH_EXAMPLES`` = 10,000 examples, and
``GPDTHEORY_FUZZ_EXAMPLES=n`` overrides both (e.g. a quick 200 while developing).
"""

from __future__ import annotations

import os

from hypothesis import settings

__all__ = ["THOROUGH_EXAMPLES", "examples", "fuzz"]

THOROUGH_EXAMPLES = 10_000


def examples() -> int | None:
    """The per-property example count, or None to keep the active profile's."""
    env = os.environ.get("GPDTHEORY_FUZZ_EXAMPLES")
    if env:
        return int(env)
    if os.environ.get("GPDTHEORY_HYPOTHESIS_PROFILE") == "thorough":
        return THOROUGH_EXAMPLES
    return None


def fuzz(**kwargs) -> settings:
    """Settings for a fuzz property: :func:`examples` examples (at least 5), plus ``kwargs``."""
    n = examples()
    if n is None:
        n = settings.default.max_examples
    return settings(max_examples=max(5, n), **kwargs)
