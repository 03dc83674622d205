"""Error pages in the request's language; JSON errors under /api/."""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, render_template
from werkzeug.exceptions import HTTPException

from notices_app.web.access import is_api
from notices_app.web.i18n import t

MESSAGES = {
    400: ("请求无效", "Bad request"),
    401: ("需要登录", "Authentication required"),
    403: ("没有权限执行此操作", "You are not allowed to do this"),
    404: ("找不到该页面或记录", "Not found"),
    405: ("不支持该请求方式", "Method not allowed"),
    409: ("当前状态下不能执行此操作", "This action does not apply in the current state"),
    413: ("上传内容过大", "Upload too large"),
    422: ("输入有误", "Invalid input"),
}


def register_errors(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _http(err: HTTPException) -> Any:
        code = err.code or 500
        zh, en = MESSAGES.get(code, ("出错了", "Something went wrong"))
        text = (
            err.description
            if isinstance(err.description, str) and getattr(err, "_ours", False)
            else t(zh, en)
        )
        # The exception's own headers carry meaning: 405's Allow lists the methods that work
        # (RFC 9110), 401's WWW-Authenticate how to authenticate. Its Content-Type is for
        # Werkzeug's HTML page, not for the body made here.
        headers = [(k, v) for k, v in err.get_headers() if k.lower() != "content-type"]
        if is_api():
            return jsonify(errors={"_": [text]}), code, headers
        return render_template("error.html", code=code, message=text), code, headers
