"""Helpers for app tests (a unique module name: test folders share one import path)."""

from __future__ import annotations

from datetime import date

from flask.testing import FlaskClient

from notices_app.models import Publication, User
from notices_app.rules.calendar import PublishingCalendar


def login(client: FlaskClient, user: User) -> None:
    resp = client.post("/login", data={"email": user.email, "password": "password-123"})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]


def first_run_date(pub: Publication) -> date:
    from notices_app.models import utcnow

    return PublishingCalendar.from_dict(pub.calendar).first_open_date(utcnow())


def api_headers(user: User, lang: str = "zh") -> dict[str, str]:
    from notices_app.services.accounts import create_token

    return {"Authorization": f"Bearer {create_token(user)}", "Accept-Language": lang}
