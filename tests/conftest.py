"""Shared test configuration: hypothesis profiles.

Choose one with the ``HYPOTHESIS_PROFILE`` environment variable:

* ``ci`` (default): 100 examples per property, no deadline (shared CI machines are erratic).
* ``dev``: 20 examples, for a quick loop while editing.
* ``thorough``: 1000 examples, for a nightly or pre-release run.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", max_examples=100, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=20, deadline=None)
settings.register_profile(
    "thorough", max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
