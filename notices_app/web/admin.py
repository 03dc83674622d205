"""Admin: the publication's rate card, edited as data (validated before it is saved)."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from notices_app.services import publications
from notices_app.services.errors import FieldErrors
from notices_app.services.notices import current_publication
from notices_app.web.access import allow
from notices_app.web.i18n import t

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/rate-card", methods=["GET", "POST"])
@allow("admin")
def rate_card() -> Any:
    pub = current_publication()
    text = json.dumps(pub.rate_card, ensure_ascii=False, indent=2)
    errors: list[str] = []
    if request.method == "POST":
        text = request.form.get("rate_card", "")
        try:
            publications.replace_rate_card(pub, text)
        except FieldErrors as err:
            errors = [m for ms in err.render(g.lang).values() for m in ms]
        else:
            flash(
                t(
                    "价目表已更新;已发出的报价在有效期内不变",
                    "Rate card saved; quotes already issued hold until they expire",
                )
            )
            return redirect(url_for("admin.rate_card"))
    return render_template("admin/rate_card.html", text=text, errors=errors, pub=pub)
