"""Suite-wide settings: the Hypothesis profiles.

Every property test that does not pin its own count runs the profile's number of examples:

- `ci` (the default): 1,000, on SQLite;
- `ci-postgresql` (the default when NOTICES_TEST_DATABASE_URL names PostgreSQL): 200, since the
  suite runs twice in CI and 1,000 examples of every form and API endpoint take minutes on each
  database (the same properties, on the second database, mostly re-check the driver);
- `long`: 10,000, for a soak before a release;
- `dev`: 100, for quick local runs.

Pick one with HYPOTHESIS_PROFILE=long (or `pytest --hypothesis-profile=long`).

`--runslow` runs the tests marked `slow` (the 60-second load run) and, unless a profile is
named, the `long` profile: `bash scripts/test.sh --runslow` is the soak before a release.
"""

from __future__ import annotations

import os

import pytest
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


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--runslow",
        action="store_true",
        help="run the tests marked slow (load) and 10,000 Hypothesis examples per property",
    )


def pytest_configure(config: pytest.Config) -> None:
    named = os.environ.get("HYPOTHESIS_PROFILE") or config.getoption("hypothesis_profile", None)
    if config.getoption("--runslow") and not named:
        settings.load_profile("long")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--runslow"):
        return
    skip = pytest.mark.skip(reason="slow: run with --runslow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
