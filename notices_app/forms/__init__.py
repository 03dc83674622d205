"""WTForms classes: one BaseForm, one module per area; the browser and the JSON API share them."""

from __future__ import annotations

from datetime import date
from typing import Any

from notices_app.forms.base import BaseForm, SubForm, fields_from_form, form_errors, formdata_from_json
from notices_app.forms.notices import (
    NOTICE_FORMS,
    EmployeeForm,
    GeneralNoticeForm,
    LostLicenseForm,
    ServiceAttemptForm,
    TerminationForm,
)
from notices_app.rules.messages import Message, msg

__all__ = [
    "NOTICE_FORMS",
    "BaseForm",
    "EmployeeForm",
    "GeneralNoticeForm",
    "LostLicenseForm",
    "ServiceAttemptForm",
    "SubForm",
    "TerminationForm",
    "fields_from_form",
    "form_errors",
    "formdata_from_json",
    "submission_problems",
]


def _literal(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


def submission_problems(
    kind: str, fields: dict[str, Any], warnings_confirmed: bool = False, today: date | None = None
) -> dict[str, list[Message]]:
    """Why stored ``fields`` of a ``kind`` may not be submitted yet (empty when they may).

    Runs the submission rules (e.g. a termination needs failed direct and postal service) in
    both languages so that the caller can render the messages in whichever the client wants.
    Needs no request context; glyph coverage is not re-checked (it was when the draft was saved).
    """
    form_cls = NOTICE_FORMS.get(kind)
    if form_cls is None:
        return {
            "kind": [msg("kind.unknown", "未知的公告类型：{kind}", "Unknown notice kind: {kind}", kind=kind)]
        }
    data = dict(fields)
    if hasattr(form_cls, "confirm_warnings"):
        data["confirm_warnings"] = warnings_confirmed
    rendered: dict[str, dict[str, list[str]]] = {}
    for lang in ("zh", "en"):
        form = form_cls(formdata=formdata_from_json(data), meta={"lang": lang, "csrf": False, "today": today})
        form.validate_for_submit()
        rendered[lang] = form_errors(form)
    out: dict[str, list[Message]] = {}
    for key, zh_list in rendered["zh"].items():
        en_list = rendered["en"].get(key, [])
        if len(en_list) != len(zh_list):
            en_list = zh_list
        out[key] = [
            Message("form.invalid", _literal(zh), _literal(en))
            for zh, en in zip(zh_list, en_list, strict=True)
        ]
    return out
