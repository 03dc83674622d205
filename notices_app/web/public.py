"""Public pages (no login)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, redirect, render_template, url_for

from notices_app.web.access import PUBLIC, allow

bp = Blueprint("public", __name__)


@bp.route("/")
@allow(PUBLIC)
def home() -> Any:
    if g.user is not None:
        return redirect(url_for("desk.queue" if g.user.is_staff else "submit.dashboard"))
    return render_template("public/home.html")


@bp.route("/healthz")
@allow(PUBLIC)
def healthz() -> Any:
    return {"ok": True}
