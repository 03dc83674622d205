"""The OpenAPI 3.1 document of /api/v1, kept beside the routes it describes (a test compares them).

A notice's `fields` are described per kind from the kind's form class (forms/notices.py), the
one truth the API validates with: each field's type, whether it is required, its length, choices
and date format come from the field objects, so a new field or kind appears here by itself.
What a field object cannot say (rules between fields) is stated in CROSS_FIELD_RULES beside it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from wtforms import Field, Form

from notices_app.forms import NOTICE_FORMS
from notices_app.forms.fields import (
    ChoiceField,
    CreditCodeField,
    FlagField,
    IdNumberField,
    IsoDateField,
    ListField,
    PhoneField,
    RegNumberField,
    TextField,
)
from notices_app.models import KINDS

_ERR = {"$ref": "#/components/schemas/Errors"}

# What GET /api/v1/editions accepts (api.py): the calendar looks back from a date for its cut-off.
EDITIONS_FIRST, EDITIONS_LAST = date(2000, 1, 1), date(2099, 12, 31)
EDITIONS_MAX_DAYS = 366
ISO_DAY = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
EDITIONS_DAY = "^20[0-9]{2}-[0-9]{2}-[0-9]{2}$"  # 2000-01-01 … 2099-12-31


# --- a notice's fields, from its form class -----------------------------------------------------


def _blank(name: str) -> dict[str, Any]:
    """`name` is absent, null or empty: what the forms treat as "not given"."""
    return {"properties": {name: {"type": ["string", "null"], "maxLength": 0}}}


def _given(name: str) -> dict[str, Any]:
    return {"required": [name], "properties": {name: {"type": "string", "minLength": 1}}}


# Rules of each form's cross_validate (and submit_validate), which no single field states.
CROSS_FIELD_RULES: dict[str, dict[str, Any]] = {
    "lost_license": {
        "allOf": [
            {"anyOf": [_given("credit_code"), _given("reg_number")]},
            {
                "if": {"required": ["document"], "properties": {"document": {"const": "other"}}},
                "then": _given("document_other"),
            },
            # `copy` defaults to "original": a duplicate number only with a lost duplicate.
            {"if": {"properties": {"copy": {"const": "original"}}}, "then": _blank("duplicate_no")},
        ],
        "description": "Give credit_code or reg_number (or both). document_other is needed when "
        "document is other; duplicate_no only when the duplicate was lost.",
    },
    "termination": {
        "description": "effective_on, signed_on and every service attempt's `on` are not before "
        "absent_since; report_by is not after effective_on; no ID number twice. Submitting (not "
        "saving the draft) also needs at least one failed direct and one failed postal service "
        "attempt.",
    },
}


def _field_schema(field: Field) -> tuple[dict[str, Any], bool]:
    """(JSON Schema, required?) of one form field, read from the field object itself."""
    out: dict[str, Any] = {}
    label = getattr(field, "label_en", "") or field.name
    notes = [str(field.description)] if field.description else []
    example = (field.render_kw or {}).get("placeholder")
    required = False
    if isinstance(field, ListField):
        sub_form = field.unbound_field.args[0]
        out = {"type": "array", "items": form_schema(sub_form), "maxItems": field.max_entries}
        if field.min_items:
            out["minItems"] = field.min_items
        required = field.min_items > 0
    elif isinstance(field, FlagField):
        out = {"type": "boolean"}
        notes.append("The strings a browser sends (on, yes, 1, off, no, 0 …) also work.")
    elif isinstance(field, ChoiceField):
        out = {"enum": list(field.codes)}
        required = field.required and field.default is None
        if field.default is not None:
            out["default"] = field.default
            out["enum"].append(None)  # null: not given, the default applies
    elif isinstance(field, IsoDateField):
        out = {"type": "string", "format": "date", "pattern": ISO_DAY}
        required = field.required
        if not required:  # "" and null: not given
            out = {"anyOf": [out, {"const": ""}, {"type": "null"}]}
        if field.not_future and "today" not in " ".join(notes):
            notes.append("Not after today.")
    elif isinstance(field, TextField):
        out = {"type": "string"}
        required = field.required
        if isinstance(field, CreditCodeField):
            notes.append("统一社会信用代码: 18 characters with a valid check character (GB 32100-2015).")
        elif isinstance(field, RegNumberField):
            notes.append("注册号: 15 characters; doubtful numbers give warnings to confirm, not errors.")
        elif isinstance(field, IdNumberField):
            notes.append("居民身份证号: 18 characters with a valid check character and birth date.")
        elif isinstance(field, PhoneField):
            notes.append("A Chinese landline with its area code or an 11-digit mobile.")
        else:
            out["maxLength"] = field.max_length
            if field.printed:
                notes.append("Printed: full-width Chinese punctuation, characters the print fonts have.")
        if required:
            out["minLength"] = 1
    else:  # pragma: no cover - a new field class must be described here first
        raise TypeError(f"no JSON Schema for {type(field).__name__} {field.name}")
    if not required and out.get("type") in ("string", "boolean", "array"):
        out["type"] = [out["type"], "null"]  # null means "not given"
    out["title"] = label
    if example and out.get("type") != "array":
        out["examples"] = [example]
    if notes:
        out["description"] = " ".join(notes)
    return out, required


def form_schema(form_cls: type[Form], kind: str | None = None) -> dict[str, Any]:
    """The JSON object a form class accepts as `fields` (or as one entry of a list field)."""
    form = form_cls(formdata=None, meta={"csrf": False, "lang": "en"})
    properties: dict[str, Any] = {}
    required: list[str] = []
    for name, field in form._fields.items():
        if name == "csrf_token":
            continue
        properties[name], needed = _field_schema(field)
        if needed:
            required.append(name)
    out: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        out["required"] = required
    if form_cls.__doc__:
        out["description"] = " ".join(form_cls.__doc__.split())
    rules = CROSS_FIELD_RULES.get(kind or "")
    if rules:
        out.update({k: v for k, v in rules.items() if k != "description"})
        out["description"] = (out.get("description", "") + " " + rules["description"]).strip()
    return out


def notice_input_schemas() -> dict[str, Any]:
    """NoticeInput (oneOf by `kind`) and one NoticeInput_<kind> and Fields_<kind> per kind."""
    schemas: dict[str, Any] = {}
    for kind, form_cls in NOTICE_FORMS.items():
        schemas[f"Fields_{kind}"] = form_schema(form_cls, kind)
        schemas[f"NoticeInput_{kind}"] = {
            "type": "object",
            "required": ["kind", "fields"],
            "properties": {
                "kind": {"const": kind},
                "fields": {"$ref": f"#/components/schemas/Fields_{kind}"},
                "run_dates": {
                    "type": "array",
                    "items": {"type": "string", "format": "date", "pattern": ISO_DAY},
                    "uniqueItems": True,
                    "description": "Each an open edition (GET /api/v1/editions) before its cut-off; "
                    "may be empty on a draft, submitting needs one at least.",
                },
            },
        }
    schemas["NoticeInput"] = {
        "oneOf": [{"$ref": f"#/components/schemas/NoticeInput_{kind}"} for kind in NOTICE_FORMS],
        "discriminator": {
            "propertyName": "kind",
            "mapping": {kind: f"#/components/schemas/NoticeInput_{kind}" for kind in NOTICE_FORMS},
        },
    }
    return schemas


def _resp(desc: str, schema: dict[str, Any] | None = None, media: str = "application/json") -> dict[str, Any]:
    out: dict[str, Any] = {"description": desc}
    if schema is not None:
        out["content"] = {media: {"schema": schema}}
    return out


def _errors(*codes: int) -> dict[str, Any]:
    text = {
        401: "unauthenticated",
        403: "forbidden",
        404: "not found or not yours",
        409: "wrong state",
        422: "invalid input",
    }
    return {str(c): _resp(text[c], _ERR) for c in codes}


NOTICE_ID = {"name": "notice_id", "in": "path", "required": True, "schema": {"type": "integer"}}


def openapi_document() -> dict[str, Any]:
    notice_ref = {"$ref": "#/components/schemas/Notice"}
    action = {
        "parameters": [NOTICE_ID],
        "responses": {
            "200": _resp("the notice after the transition", notice_ref),
            **_errors(401, 404, 409, 422),
        },
    }
    decide = {
        "parameters": [NOTICE_ID],
        "requestBody": {
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "reason": {"type": ["string", "null"], "description": "shown to the filer"}
                        },
                    }
                }
            }
        },
        "responses": {
            "200": _resp("the notice after the decision", notice_ref),
            **_errors(401, 403, 404, 409, 422),
        },
    }
    # Rejecting or asking for changes needs a reason the filer will read (rules/workflow.py).
    with_reason = {
        **decide,
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["reason"],
                        "properties": {
                            "reason": {
                                "type": "string",
                                "pattern": "\\S",
                                "description": "shown to the filer; not only spaces",
                            }
                        },
                    }
                }
            },
        },
    }
    binary = {
        "parameters": [NOTICE_ID],
        "responses": {
            "200": _resp("the typeset notice", {"type": "string", "format": "binary"}, "application/pdf"),
            **_errors(401, 404),
        },
    }
    png = {
        "parameters": [NOTICE_ID],
        "responses": {
            "200": _resp("the typeset notice", {"type": "string", "format": "binary"}, "image/png"),
            **_errors(401, 404),
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Notices desk API",
            "version": "1.0.0",
            "description": "公告登报系统接口。错误信息默认中文,Accept-Language: en 返回英文。",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": {
            "/api/v1/editions": {
                "get": {
                    "description": (
                        f"Dates from {EDITIONS_FIRST} to {EDITIONS_LAST}; `to` is not before `from` "
                        f"and at most {EDITIONS_MAX_DAYS} days after it. Without `from`: today; "
                        "without `to`: two weeks after `from` (at most the last day above)."
                    ),
                    "parameters": [
                        {
                            "name": name,
                            "in": "query",
                            "description": desc,
                            "schema": {"type": "string", "format": "date", "pattern": EDITIONS_DAY},
                        }
                        for name, desc in (("from", "first date (default today)"), ("to", "last date"))
                    ],
                    "responses": {"200": _resp("publishable dates", {"type": "object"}), **_errors(401, 422)},
                }
            },
            "/api/v1/notices": {
                "post": {
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/NoticeInput"}}
                        },
                    },
                    "responses": {"201": _resp("the draft", notice_ref), **_errors(401, 403, 422)},
                }
            },
            "/api/v1/notices/{notice_id}": {
                "get": {
                    "parameters": [NOTICE_ID],
                    "responses": {"200": _resp("the notice", notice_ref), **_errors(401, 404)},
                }
            },
            "/api/v1/notices/{notice_id}/submit": {"post": action},
            "/api/v1/notices/{notice_id}/withdraw": {"post": action},
            "/api/v1/notices/{notice_id}/approve": {"post": decide},
            "/api/v1/notices/{notice_id}/reject": {"post": with_reason},
            "/api/v1/notices/{notice_id}/request_changes": {"post": with_reason},
            "/api/v1/notices/{notice_id}/preview.pdf": {"get": binary},
            "/api/v1/notices/{notice_id}/preview.png": {"get": png},
            "/api/v1/notices/{notice_id}/proof.pdf": {
                "get": {
                    "summary": "登报证明 / proof of publication (once published)",
                    "parameters": [
                        NOTICE_ID,
                        {
                            "name": "date",
                            "in": "query",
                            "description": "the run date (default: the latest published run)",
                            "schema": {"type": "string", "format": "date"},
                        },
                    ],
                    "responses": {
                        "200": _resp(
                            "the certificate", {"type": "string", "format": "binary"}, "application/pdf"
                        ),
                        **_errors(401, 404),
                    },
                }
            },
            "/api/v1/public/notices": {
                "get": {
                    "summary": "公告检索 / search published notices (web copies, masked; no token)",
                    "security": [],
                    "parameters": [
                        {
                            "name": name,
                            "in": "query",
                            "description": desc,
                            "schema": {"type": "string", "maxLength": 200},
                        }
                        for name, desc in (
                            ("q", "substrings (space-separated, all must occur) of the text, name or codes"),
                            ("org", "part of the organisation name"),
                            ("code", "统一社会信用代码 / 注册号, whole or part"),
                        )
                    ]
                    + [
                        # An empty value means "not given" (what an HTML form sends).
                        {"name": "kind", "in": "query", "schema": {"enum": [*KINDS, ""]}},
                        *(
                            {
                                "name": name,
                                "in": "query",
                                "description": desc,
                                "schema": {
                                    "anyOf": [
                                        {"type": "string", "format": "date", "pattern": ISO_DAY},
                                        {"const": ""},
                                    ]
                                },
                            }
                            for name, desc in (
                                ("from", "first run date"),
                                ("to", "last run date, not before `from`"),
                            )
                        ),
                        *(
                            {
                                "name": name,
                                "in": "query",
                                # A query string holds text: "48.0" is a JSON integer but not a
                                # page number, so the digits are described, not an integer.
                                "description": f"a whole number from 1 to {high} (default {default})",
                                "schema": {"type": "string", "pattern": pattern},
                            }
                            for name, high, default, pattern in (
                                ("page", 500, 1, r"^\s*(0*([1-9][0-9]?|[1-4][0-9]{2}|500))?\s*$"),
                                ("per_page", 100, 20, r"^\s*(0*([1-9][0-9]?|100))?\s*$"),
                            )
                        ),
                    ],
                    "responses": {
                        "200": _resp(
                            "newest run date first; total is exact when total_exact, else a lower bound",
                            {
                                "type": "object",
                                "required": ["items", "total", "total_exact", "page", "per_page", "has_next"],
                                "properties": {
                                    "items": {
                                        "type": "array",
                                        "items": {"$ref": "#/components/schemas/PublicNotice"},
                                    },
                                    "total": {"type": "integer"},
                                    "total_exact": {"type": "boolean"},
                                    "page": {"type": "integer"},
                                    "per_page": {"type": "integer"},
                                    "has_next": {"type": "boolean"},
                                },
                            },
                        ),
                        **_errors(422),
                    },
                }
            },
            "/api/v1/me": {
                "get": {"responses": {"200": _resp("the caller", {"type": "object"}), **_errors(401)}}
            },
            "/api/v1/openapi.json": {
                "get": {"security": [], "responses": {"200": _resp("this document", {"type": "object"})}}
            },
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Errors": {
                    "type": "object",
                    "required": ["errors"],
                    "properties": {
                        "errors": {
                            "type": "object",
                            "additionalProperties": {"type": "array", "items": {"type": "string"}},
                        }
                    },
                },
                **notice_input_schemas(),
                "PublicNotice": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "kind": {"type": "string"},
                        "title": {"type": "string"},
                        "org_name": {"type": "string"},
                        "credit_code": {"type": ["string", "null"]},
                        "reg_number": {"type": ["string", "null"]},
                        "run_date": {"type": "string", "format": "date"},
                        "page": {"type": "integer"},
                        "web_text": {"type": "string", "description": "the masked web version"},
                        "permalink": {"type": "string"},
                    },
                },
                "Notice": {
                    "type": "object",
                    "required": ["id", "kind", "status", "fields", "run_dates", "price_fen"],
                    "properties": {
                        "id": {"type": "integer"},
                        "kind": {"type": "string"},
                        "status": {"type": "string"},
                        "fields": {"type": "object"},
                        "run_dates": {"type": "array", "items": {"type": "string", "format": "date"}},
                        "price_fen": {"type": ["integer", "null"]},
                        "quote": {"type": ["object", "null"]},
                        "deemed_served_on": {"type": ["string", "null"]},
                        "editor_reason": {"type": ["string", "null"]},
                        "warnings": {"type": "object"},
                        "preview_pdf": {"type": "string"},
                        "preview_png": {"type": "string"},
                        "history": {"type": "array", "items": {"type": "object"}},
                    },
                },
            },
        },
    }
