"""The workflow through the service: transitions logged in the same transaction, refusals change nothing."""

from __future__ import annotations

import pytest
from apphelpers import first_run_date

from notices_app.extensions import db
from notices_app.models import NoticeEvent
from notices_app.models.notices import AuditLogViolation
from notices_app.services import notices as svc
from notices_app.services.errors import Conflict, FieldErrors, NotFound


def _draft(users, pub, seed_fields, kind="lost_license"):
    filer = users("filer", org="淄博淄川峨庄乡村旅游专业合作社")
    notice = svc.create_notice(filer, svc.NoticeInput(kind, seed_fields[kind], [first_run_date(pub)], True))
    return filer, notice


def test_full_path_to_scheduled_is_logged(users, pub, seed_fields) -> None:
    filer, n = _draft(users, pub, seed_fields)
    editor = users("editor")
    svc.transition(n.id, "submit", filer)
    svc.transition(n.id, "mark_paid", editor, reason="柜台现金")
    svc.transition(n.id, "approve", editor)
    svc.transition(n.id, "schedule", editor)
    events = db.session.query(NoticeEvent).filter_by(notice_id=n.id).order_by(NoticeEvent.id).all()
    assert [e.to_state for e in events] == ["draft", "awaiting_payment", "paid", "approved", "scheduled"]
    assert [e.actor_role for e in events] == ["filer", "filer", "editor", "editor", "editor"]
    assert events[2].reason == "柜台现金"


def test_refused_action_changes_nothing(users, pub, seed_fields) -> None:
    _filer, n = _draft(users, pub, seed_fields)
    before = db.session.query(NoticeEvent).count()
    with pytest.raises(Conflict):
        svc.transition(n.id, "approve", users("editor"))
    assert db.session.get(type(n), n.id).status == "draft"
    assert db.session.query(NoticeEvent).count() == before


def test_reject_requires_a_reason_and_shows_it(users, pub, seed_fields) -> None:
    filer, n = _draft(users, pub, seed_fields)
    editor = users("editor")
    svc.transition(n.id, "submit", filer)
    svc.transition(n.id, "mark_paid", editor)
    with pytest.raises(FieldErrors):
        svc.transition(n.id, "reject", editor, reason="  ")
    svc.transition(n.id, "reject", editor, reason="营业执照名称与注册信息不一致")
    assert db.session.get(type(n), n.id).editor_reason == "营业执照名称与注册信息不一致"


def test_filer_cannot_see_another_organisations_notice(users, pub, seed_fields) -> None:
    _, n = _draft(users, pub, seed_fields)
    stranger = users("filer", org="别家公司")
    with pytest.raises(NotFound):
        svc.get_notice(n.id, stranger)
    with pytest.raises(NotFound):
        svc.transition(n.id, "withdraw", stranger)


def test_audit_log_is_append_only(users, pub, seed_fields) -> None:
    _, n = _draft(users, pub, seed_fields)
    event = db.session.query(NoticeEvent).filter_by(notice_id=n.id).first()
    event.reason = "tampered"
    with pytest.raises(AuditLogViolation):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.query(NoticeEvent).filter_by(notice_id=n.id).first())
    with pytest.raises(AuditLogViolation):
        db.session.flush()


def test_termination_without_failed_service_attempts_cannot_be_submitted(users, pub, seed_fields) -> None:
    fields = dict(seed_fields["termination"], service_attempts=[])
    filer = users("filer")
    n = svc.create_notice(filer, svc.NoticeInput("termination", fields, [first_run_date(pub)], True))
    with pytest.raises(FieldErrors) as err:
        svc.transition(n.id, "submit", filer)
    assert any(k.startswith("service_attempts") for k in err.value.errors)
    assert db.session.get(type(n), n.id).status == "draft"
