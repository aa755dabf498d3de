"""The library's hypothesis strategies (shipped as :mod:`expansion_revenue.testing`)."""

from expansion_revenue.testing import *  # noqa: F403
from expansion_revenue.testing import __all__ as __all__
