"""The OpenAPI 3.1 document of /api/v1, kept beside the routes it describes (a test compares them)."""

from __future__ import annotations

from typing import Any

_ERR = {"$ref": "#/components/schemas/Errors"}


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
                    "schema": {"type": "object", "properties": {"reason": {"type": "string"}}}
                }
            }
        },
        "responses": {
            "200": _resp("the notice after the decision", notice_ref),
            **_errors(401, 403, 404, 409, 422),
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
                    "parameters": [
                        {"name": "from", "in": "query", "schema": {"type": "string", "format": "date"}},
                        {"name": "to", "in": "query", "schema": {"type": "string", "format": "date"}},
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
            "/api/v1/notices/{notice_id}/reject": {"post": decide},
            "/api/v1/notices/{notice_id}/request_changes": {"post": decide},
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
                        {
                            "name": "kind",
                            "in": "query",
                            "schema": {"enum": ["lost_license", "termination", "general", ""]},
                        },
                        *(
                            {
                                "name": name,
                                "in": "query",
                                "schema": {"anyOf": [{"type": "string", "format": "date"}, {"const": ""}]},
                            }
                            for name in ("from", "to")
                        ),
                        *(
                            {
                                "name": name,
                                "in": "query",
                                "schema": {
                                    "anyOf": [
                                        {"type": "integer", "minimum": 1, "maximum": high},
                                        {"const": ""},
                                    ]
                                },
                            }
                            for name, high in (("page", 500), ("per_page", 100))
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
                "NoticeInput": {
                    "type": "object",
                    "required": ["kind", "fields"],
                    "properties": {
                        "kind": {"enum": ["lost_license", "termination", "general"]},
                        "fields": {"type": "object"},
                        "run_dates": {"type": "array", "items": {"type": "string", "format": "date"}},
                    },
                },
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
