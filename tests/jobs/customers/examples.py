"""What the property tests of the customer measures share: the zone, the first moment their
random rows may fall on, and how many examples each runs."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import HealthCheck, settings

ZONE = "Europe/Berlin"
BASE = datetime(2024, 2, 25, tzinfo=UTC)  # the clocks go forward on 2024-03-31
EXAMPLES = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
