"""The live site of the browser tests: the real app on a loopback port (a unique module name:
test folders share one import path)."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

CHROMIUM = Path("/usr/bin/chromium")
STRIPE_CHECKOUT = "https://checkout.stripe.com"
WHSEC = "whsec_browser_journey"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


@dataclass
class LiveSite:
    """The running app: its base URL, the Flask app (for reading the database) and the fake Stripe."""

    url: str
    app: Flask
    stripe: Any  # stripepage.CheckoutFake
    storage: Path
    checkout_port: int  # where https://checkout.stripe.com is served (self-signed)

    def browser_args(self) -> list[str]:
        """Chromium flags: no sandbox (containers), no calls home, Stripe Checkout on loopback."""
        host = STRIPE_CHECKOUT.removeprefix("https://")
        return [
            "--no-sandbox",
            "--disable-background-networking",
            f"--host-resolver-rules=MAP {host}:443 127.0.0.1:{self.checkout_port}",
        ]


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


def _pg_database(base_url: str) -> tuple[str, str]:
    name = f"notices_browser_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(base_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return base_url.rsplit("/", 1)[0] + "/" + name, name


def _drop_pg_database(base_url: str, name: str) -> None:
    engine = sa.create_engine(base_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@contextmanager
def running_site(tmp: Path) -> Iterator[LiveSite]:
    """Migrate and seed a fresh database, then serve the app until the block ends."""
    from flask_migrate import upgrade

    from notices_app import create_app
    from notices_app.extensions import db
    from notices_app.services import demo
    from tests.browser.stripepage import CheckoutFake

    base_url = os.environ.get("NOTICES_TEST_DATABASE_URL", "")
    pg_name = None
    if base_url.startswith("postgresql"):
        url, pg_name = _pg_database(base_url)
    else:
        url = f"sqlite:///{tmp}/site.sqlite3"
    fake = CheckoutFake(checkout_base=STRIPE_CHECKOUT, webhook_secret=WHSEC).start()
    checkout_port = fake.serve_checkout_tls(STRIPE_CHECKOUT.removeprefix("https://"), tmp)
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "browser-journey-secret",
            "STORAGE_DIR": str(tmp / "storage"),
            "STRIPE_SECRET_KEY": "sk_test_browser",
            "STRIPE_WEBHOOK_SECRET": WHSEC,
            "STRIPE_API_BASE": fake.url,
            "STRIPE_MAX_NETWORK_RETRIES": 0,
        }
    )
    with app.app_context():
        upgrade()
        demo.seed()
    server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="live-site", daemon=True)
    thread.start()
    site_url = f"http://127.0.0.1:{server.server_port}"
    fake.webhook_url = f"{site_url}/billing/stripe/webhook"
    try:
        yield LiveSite(site_url, app, fake, tmp / "storage", checkout_port)
    finally:
        server.shutdown()
        server.server_close()
        fake.stop()
        with app.app_context():
            db.engine.dispose()
        if pg_name:
            _drop_pg_database(base_url, pg_name)


def new_context(browser: Any) -> Any:
    """A fresh profile (no cookies). Certificate errors are ignored: the only HTTPS origin is the
    fake checkout's, with its self-signed certificate (the app is served over plain HTTP)."""
    ctx = browser.new_context(
        locale="zh-CN",
        viewport={"width": 1280, "height": 900},
        accept_downloads=True,
        ignore_https_errors=True,
    )
    ctx.set_default_timeout(15_000)
    return ctx
