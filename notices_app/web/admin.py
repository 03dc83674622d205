"""Admin: the publication's rate card, edited as data (validated before it is saved), and the
classified module's size."""

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
    return _render(pub, text=text, errors=errors)


def _render(
    pub: Any,
    *,
    text: str | None = None,
    errors: list[str] | None = None,
    module: dict[str, Any] | None = None,
) -> Any:
    """The rate card page; `module` keeps a refused module-size form's input and errors."""
    from ads.ratecard import RateCard

    if text is None:
        text = json.dumps(pub.rate_card, ensure_ascii=False, indent=2)
    try:
        size = RateCard.from_dict(pub.rate_card).module
    except (ValueError, KeyError, TypeError):
        size = None
    max_cols, max_cm = publications.module_limits(pub)
    module = module or {}
    return render_template(
        "admin/rate_card.html",
        text=text,
        errors=errors or [],
        pub=pub,
        module_size=size,
        module_cols=module.get("cols", size.cols if size else ""),
        module_cm=module.get("cm", size.cm if size else ""),
        module_errors=module.get("errors", {}),
        max_cols=max_cols,
        max_cm=max_cm,
    )


@bp.route("/module-size", methods=["POST"])
@allow("admin")
def module_size() -> Any:
    """The classified module's size (columns × whole cm) that advertisers book online."""
    pub = current_publication()
    cols, cm = request.form.get("cols", ""), request.form.get("cm", "")
    try:
        size = publications.set_module_size(pub, cols, cm)
    except FieldErrors as err:
        return _render(pub, module={"cols": cols, "cm": cm, "errors": err.render(g.lang)}), 422
    flash(t(f"分类广告模块尺寸已改为{size.label('zh')}", f"Classified module size set to {size.label('en')}"))
    return redirect(url_for("admin.rate_card"))
