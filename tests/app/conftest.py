"""App fixtures: a migrated database per session (SQLite file, or PostgreSQL when
NOTICES_TEST_DATABASE_URL names one), emptied after each test; factories for users and notices."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from notices_app import create_app
from notices_app.extensions import db
from notices_app.models import Base, Edition, Publication, User
from notices_app.rules.calendar import PublishingCalendar


def _pg_database(base_url: str) -> tuple[str, str]:
    """Create a throwaway database on the server of `base_url`; return (url, name)."""
    name = f"notices_test_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(base_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return base_url.rsplit("/", 1)[0] + "/" + name, name


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    base_url = os.environ.get("NOTICES_TEST_DATABASE_URL", "")
    tmp = tmp_path_factory.mktemp("app")
    pg_name = None
    if base_url.startswith("postgresql"):
        url, pg_name = _pg_database(base_url)
    else:
        url = f"sqlite:///{tmp}/test.sqlite3"
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "test-secret",
            "WTF_CSRF_ENABLED": False,
            "STORAGE_DIR": str(tmp / "storage"),
        }
    )
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()  # the migration history, not create_all: tests run on what production runs
    yield app
    if pg_name:
        with app.app_context():
            db.engine.dispose()
        engine = sa.create_engine(base_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'))
        engine.dispose()


@pytest.fixture(autouse=True)
def _clean_db(app: Flask) -> Iterator[None]:
    ctx = app.app_context()
    ctx.push()
    yield
    db.session.rollback()
    db.session.remove()
    with db.engine.begin() as conn:
        # edition.current_build_id and edition_build.edition_id point at each other.
        conn.execute(sa.update(Edition).values(current_build_id=None, published_build_id=None))
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
    ctx.pop()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def pub() -> Publication:
    from ads.ratecard import DEMO_RATE_CARD

    p = Publication(
        slug="zibo-evening",
        name="淄博晚报",
        calendar=PublishingCalendar().to_dict(),
        rate_card=dict(DEMO_RATE_CARD),
    )
    db.session.add(p)
    db.session.commit()
    return p


class Users:
    def __call__(
        self, role: str = "filer", org: str | None = "中航钛业有限公司", email: str | None = None
    ) -> User:
        from notices_app.services.accounts import create_user

        email = email or f"{role}-{uuid.uuid4().hex[:6]}@example.cn"
        return create_user(email, "password-123", role, org if role in ("filer", "advertiser") else None)


@pytest.fixture
def users(pub: Publication) -> Users:
    return Users()


@pytest.fixture
def seed_fields() -> dict[str, Any]:
    from notices_app.services.demo import lost_license_fields, termination_fields

    today = date.today()
    return {"termination": termination_fields(today), "lost_license": lost_license_fields(today)}
