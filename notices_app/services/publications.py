"""Publication settings that admins edit: the rate card and the classified module's size."""

from __future__ import annotations

import re

from ads.inventory import GridSpec, max_module_cm
from ads.ratecard import ModuleSize, RateCard
from notices_app.extensions import db
from notices_app.models import Publication
from notices_app.rules.json_body import parse_json
from notices_app.rules.messages import Message, RuleError, msg
from notices_app.services.errors import FieldErrors
from notices_app.services.typesetting import geometry_for


def replace_rate_card(pub: Publication, text: str) -> RateCard:
    """Parse, validate and store a new rate card; bad input raises FieldErrors and changes nothing."""
    try:
        data = parse_json(text)  # bounded depth: a deeply nested paste is a field error, not a 500
        card = RateCard.from_dict(data)
    except (ValueError, KeyError, TypeError, AttributeError, RuleError) as err:  # a list for a map: .items()
        detail = err.message.render("zh") if isinstance(err, RuleError) else str(err)
        raise FieldErrors(
            {
                "rate_card": [
                    msg(
                        "rate_card.invalid",
                        "价目表无效:{detail}",
                        "Invalid rate card: {detail}",
                        detail=detail,
                    )
                ]
            }
        ) from err
    if card.module_size is not None:
        problems = module_size_problems(pub, card.module_size.cols, card.module_size.cm)
        if problems:
            raise FieldErrors({"rate_card": problems})
    pub.rate_card = card.to_dict()
    db.session.commit()
    return card


def module_limits(pub: Publication) -> tuple[int, int]:
    """The largest module the publication's page takes: (columns, whole cm in the lower half)."""
    grid = GridSpec.from_geometry(geometry_for(pub))
    return grid.columns, max_module_cm(grid)


def module_size_problems(pub: Publication, cols: int, cm: int) -> list[Message | str]:
    """Why a module of `cols` × `cm` cannot be sold on this publication's page (empty: it can)."""
    max_cols, max_cm = module_limits(pub)
    problems: list[Message | str] = []
    if not 1 <= cols <= max_cols:
        problems.append(
            msg(
                "module_size.cols",
                "模块栏数须为1至{max}栏",
                "A module spans 1 to {max} columns",
                max=max_cols,
            )
        )
    if not 1 <= cm <= max_cm:
        problems.append(
            msg(
                "module_size.cm",
                "模块高度须为1至{max}厘米的整数（模块只排在版面下半部）",
                "A module is 1 to {max} whole cm high (modules sit in the lower half of the page)",
                max=max_cm,
            )
        )
    return problems


def set_module_size(pub: Publication, cols_text: str, cm_text: str) -> ModuleSize:
    """Store the classified module's size in the rate card; FieldErrors and no change if invalid.

    Bookings already made keep the box they were sold; their cells stay claimed, so modules of
    a new size are never sold over them.
    """
    errors: dict[str, list[Message | str]] = {}
    values: dict[str, int] = {}
    for key, raw in (("cols", cols_text), ("cm", cm_text)):
        raw = (raw or "").strip()
        if not re.fullmatch(r"[0-9]{1,3}", raw):  # whole numbers only: "5.5", "-1" are refused
            errors[key] = [msg("module_size.whole", "请填写整数", "Enter a whole number")]
        else:
            values[key] = int(raw)
    if not errors:
        for problem in module_size_problems(pub, values["cols"], values["cm"]):
            key = "cols" if isinstance(problem, Message) and problem.code == "module_size.cols" else "cm"
            errors.setdefault(key, []).append(problem)
    if errors:
        raise FieldErrors(errors)
    size = ModuleSize(values["cols"], values["cm"])
    card = RateCard.from_dict({**pub.rate_card, "module_size": size.to_dict()})
    pub.rate_card = card.to_dict()
    db.session.commit()
    return size
