"""Suite-wide settings: the Hypothesis profiles.

Every property test that does not pin its own count runs the profile's number of examples:

- `ci` (the default): 1,000, on SQLite;
- `ci-postgresql` (the default when NOTICES_TEST_DATABASE_URL names PostgreSQL): 200, since the
  suite runs twice in CI and 1,000 examples of every form and API endpoint take minutes on each
  database (the same properties, on the second database, mostly re-check the driver);
- `long`: 10,000, for a soak before a release;
- `dev`: 100, for quick local runs.

Pick one with HYPOTHESIS_PROFILE=long (or `pytest --hypothesis-profile=long`).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# The app fuzzers share one database across a test's examples, and some examples are slow by
# nature (typesetting a notice): no deadline, and the fixture and speed checks are moot.
_COMMON = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
}
settings.register_profile("ci", max_examples=1000, **_COMMON)
settings.register_profile("ci-postgresql", max_examples=200, **_COMMON)
settings.register_profile("long", max_examples=10_000, **_COMMON)
settings.register_profile("dev", max_examples=100, **_COMMON)


def _default_profile() -> str:
    on_postgresql = os.environ.get("NOTICES_TEST_DATABASE_URL", "").startswith("postgresql")
    return "ci-postgresql" if on_postgresql else "ci"


settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or _default_profile())
