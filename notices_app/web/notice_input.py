"""Turn browser or JSON input into a validated NoticeInput with one set of form classes."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import g
from werkzeug.datastructures import MultiDict

from notices_app.forms import NOTICE_FORMS, fields_from_form, form_errors, formdata_from_json
from notices_app.rules.messages import msg
from notices_app.services.errors import FieldErrors
from notices_app.services.notices import NoticeInput


def form_meta() -> dict[str, Any]:
    from print.fonts import default_fonts

    return {"lang": g.lang, "fonts": default_fonts(), "csrf": False}


def build_form(
    kind: str, formdata: MultiDict[str, Any] | None = None, obj_fields: dict[str, Any] | None = None
) -> Any:
    form_cls = NOTICE_FORMS[kind]
    if formdata is None and obj_fields is not None:
        formdata = formdata_from_json(obj_fields)
    meta = form_meta()
    return form_cls(formdata=formdata, meta=meta) if formdata is not None else form_cls(meta=meta)


def parse_run_dates(values: list[Any]) -> list[date]:
    out: list[date] = []
    for value in values:
        try:
            out.append(date.fromisoformat(str(value)))
        except ValueError as err:
            raise FieldErrors(
                {
                    "run_dates": [
                        msg(
                            "run_dates.format",
                            "刊登日期格式应为 YYYY-MM-DD:{value}",
                            "Run dates are YYYY-MM-DD: {value}",
                            value=str(value)[:20],
                        )
                    ]
                }
            ) from err
    return out


def validated_input(kind: str, form: Any, run_dates: list[date]) -> NoticeInput:
    """Validate `form`; raise FieldErrors (rendered strings wrapped as messages) if it fails."""
    ok = form.validate()
    if not ok:
        raise FieldErrors(dict(form_errors(form)))
    return NoticeInput(
        kind=kind,
        fields=fields_from_form(form),
        run_dates=run_dates,
        warnings_confirmed=bool(getattr(form, "confirm_warnings", None) and form.confirm_warnings.data),
    )


def json_input(payload: Any) -> NoticeInput:
    if not isinstance(payload, dict):
        raise FieldErrors({"_": [msg("json", "请求体应为 JSON 对象", "The body must be a JSON object")]})
    kind = payload.get("kind")
    if not isinstance(kind, str) or kind not in NOTICE_FORMS:  # a list or object is unhashable
        raise FieldErrors(
            {
                "kind": [
                    msg(
                        "kind",
                        "公告类型应为 lost_license、termination 或 general",
                        "kind must be lost_license, termination or general",
                    )
                ]
            }
        )
    fields = payload.get("fields", {})
    if not isinstance(fields, dict):
        raise FieldErrors(
            {"fields": [msg("fields", "fields 应为 JSON 对象", "fields must be a JSON object")]}
        )
    runs = payload.get("run_dates", [])
    if not isinstance(runs, list):
        raise FieldErrors(
            {"run_dates": [msg("run_dates", "run_dates 应为日期列表", "run_dates must be a list")]}
        )
    form = build_form(kind, formdata_from_json(fields))
    return validated_input(kind, form, parse_run_dates(runs))
