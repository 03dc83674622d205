"""SQLite connection settings the booking claims rely on.

Holds take SQLite's writer lock with BEGIN IMMEDIATE (services.bookings); concurrent holds then
queue on the busy handler instead of failing at once. pysqlite's default wait is 5 s; a burst of
50 attempts on one slot, each holding the lock for a few milliseconds (more with fsync on a slow
disk), needs more headroom. Only SQLite engines are touched; pysqlite's own transaction handling
(BEGIN before the first write) is left as it is for the rest of the app.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from flask import Flask
from sqlalchemy import event

BUSY_TIMEOUT_MS = 60_000


def _on_connect(dbapi_connection: Any, connection_record: Any) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")


def init_app(app: Flask) -> None:
    """Set the busy timeout on every new connection of the app's SQLite engines."""
    from notices_app.extensions import db

    with app.app_context():
        for engine in db.engines.values():
            if engine.dialect.name == "sqlite" and not event.contains(engine, "connect", _on_connect):
                event.listen(engine, "connect", _on_connect)
