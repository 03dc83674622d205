"""Browser fixtures: the real app served over HTTP on a loopback port, driven by Playwright with
Debian's Chromium.

The site is what `flask seed-demo` makes (publication, editions, seed story and notices, the demo
accounts) on a fresh database: a SQLite file, or a throwaway PostgreSQL database when
NOTICES_TEST_DATABASE_URL names a server. Stripe is the local fake (`stripepage.CheckoutFake`),
whose checkout page Chromium reaches as https://checkout.stripe.com. Rate limits, CSRF, the CSP
and background jobs (a worker thread) stay as in production.

Screenshots go to $NOTICES_TEST_ARTIFACTS/<test name>/ (default tests/artifacts/<test name>/,
git-ignored) and are kept whatever the outcome.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from livesite import ARTIFACTS, CHROMIUM, LiveSite, new_context, running_site


@pytest.fixture(scope="module")
def live_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveSite]:
    with running_site(tmp_path_factory.mktemp("browser")) as site:
        yield site


@pytest.fixture(scope="module")
def browser(live_site: LiveSite) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=live_site.browser_args())
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    ctx = new_context(browser)
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def artifacts(request: pytest.FixtureRequest) -> Path:
    """This test's artefacts folder, emptied first so it holds only the latest run."""
    root = Path(os.environ.get("NOTICES_TEST_ARTIFACTS") or ARTIFACTS)
    folder = root / re.sub(r"[^\w.-]+", "_", request.node.name)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder
