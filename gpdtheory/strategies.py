"""Compatibility alias: the strategies live in :mod:`gpdtheory.testing.strategies`.

``import gpdtheory.strategies as gst`` keeps working; new code should use
``from gpdtheory.testing import strategies as gst``.
"""

from .testing.strategies import *  # noqa: F401,F403
from .testing.strategies import __all__  # noqa: F401
