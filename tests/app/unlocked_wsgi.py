"""The app with its write locks taken out: the negative controls of tests/app/test_races.py.

NOTICES_TEST_UNLOCK=all (the default): locking reads neither take SQLite's writer lock nor emit
FOR UPDATE nor re-read the rows, as the app stood before issue 11. NOTICES_TEST_UNLOCK=order:
the locks stay, but a payment is locked without its notice first (the old lock order, which
deadlocks the webhook against a withdrawal on PostgreSQL). The race tests must fail against
either. Never deployed.
"""

import os
from typing import Any

from sqlalchemy import select
from sqlalchemy.sql.selectable import GenerativeSelect

import notices_app.db_locks as db_locks
from notices_app.extensions import db
from notices_app.models import Payment
from notices_app.services import payments
from notices_app.services.errors import NotFound


def _no_lock(self: Any, *args: Any, **kwargs: Any) -> Any:
    return self


def _payment_first(payment_id: int) -> Payment:
    payment = db.session.scalar(select(Payment).where(Payment.id == payment_id).with_for_update())
    if payment is None:
        raise NotFound(payment_id)
    return payment


if os.environ.get("NOTICES_TEST_UNLOCK", "all") == "order":
    payments._locked = _payment_first
else:
    db_locks._on_orm_execute = lambda state: None  # type: ignore[assignment]
    db_locks.write_lock = lambda session: None  # type: ignore[assignment]
    GenerativeSelect.with_for_update = _no_lock  # type: ignore[method-assign]

from notices_app import create_app  # noqa: E402

app = create_app()
