"""Write locks: every state change holds the database's write lock before it reads what it
decides on. This is the one mechanism; services never lock any other way.

A locking read is a `select(...).with_for_update()` run through the session:

- PostgreSQL takes the row locks (`SELECT … FOR UPDATE`). The session's copy of the rows is
  always replaced by what the locked read returns (`populate_existing`): an object loaded
  earlier in the request is otherwise handed back as it was before the lock was granted, and
  a second editor would decide on the first one's stale state.
- SQLite ignores FOR UPDATE. Its only lock is the database-wide writer lock, so the first locking
  read of a transaction starts it with BEGIN IMMEDIATE: a second writer waits on the busy
  timeout until the first commits, then reads the committed state. pysqlite begins a transaction
  by itself only before the first INSERT/UPDATE/DELETE, so a transaction that is already open
  holds the writer lock already.

Lock order (PostgreSQL would otherwise deadlock two paths that take the same rows in opposite
orders; SQLite's single lock cannot deadlock): edition → notice → payment → refund. A payment
of a notice is locked only after its notice (`services.payments._locked` takes the notice
first), so the webhook and a filer's withdrawal queue on the notice instead of crossing.

The busy timeout: pysqlite's default wait is 5 s; a burst of 50 bookings on one slot, each
holding the lock for a few milliseconds (more with fsync on a slow disk), needs more headroom.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

BUSY_TIMEOUT_MS = 60_000


def write_lock(session: Session) -> None:
    """Hold the writer lock from now until the commit (SQLite); PostgreSQL locks rows instead.

    For work whose decision rests on rows it cannot name in one locking SELECT (a booking's
    free cells); every other state change locks with `with_for_update()`, which calls this.
    """
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        return
    dbapi = conn.connection.dbapi_connection
    if isinstance(dbapi, sqlite3.Connection) and not dbapi.in_transaction:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _on_orm_execute(state: ORMExecuteState) -> None:
    if not state.is_select or getattr(state.statement, "_for_update_arg", None) is None:
        return
    state.update_execution_options(populate_existing=True)
    write_lock(state.session)


def _on_connect(dbapi_connection: Any, connection_record: Any) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")


def init_app(app: Flask) -> None:
    """Make every locking read of the app's session take the write lock; set SQLite's busy timeout."""
    from notices_app.extensions import db

    if not event.contains(db.session, "do_orm_execute", _on_orm_execute):
        event.listen(db.session, "do_orm_execute", _on_orm_execute)
    with app.app_context():
        for engine in db.engines.values():
            if engine.dialect.name == "sqlite" and not event.contains(engine, "connect", _on_connect):
                event.listen(engine, "connect", _on_connect)
