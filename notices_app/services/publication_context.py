"""The publication this app serves, and its calendar.

Notices, typesetting, bookings and the editions all ask for these; they live apart from
`services/notices.py` so each of those can import them without importing the others.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from notices_app.extensions import db
from notices_app.models import Publication
from notices_app.rules.calendar import PublishingCalendar
from notices_app.services.errors import NotFound


def publication_calendar(pub: Publication) -> PublishingCalendar:
    return PublishingCalendar.from_dict(pub.calendar)


def current_publication() -> Publication:
    pub = db.session.scalar(
        select(Publication).where(Publication.slug == current_app.config["PUBLICATION_SLUG"])
    )
    if pub is None:
        pub = db.session.scalar(select(Publication).order_by(Publication.id))
    if pub is None:
        raise NotFound("no publication configured: run `flask --app wsgi seed-demo`")
    return pub
