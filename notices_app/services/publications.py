"""Publication settings that admins edit: the rate card."""

from __future__ import annotations

import json

from ads.ratecard import RateCard
from notices_app.extensions import db
from notices_app.models import Publication
from notices_app.rules.messages import RuleError, msg
from notices_app.services.errors import FieldErrors


def replace_rate_card(pub: Publication, text: str) -> RateCard:
    """Parse, validate and store a new rate card; bad input raises FieldErrors and changes nothing."""
    try:
        data = json.loads(text)
        card = RateCard.from_dict(data)
    except (ValueError, KeyError, TypeError, RuleError) as err:
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
    pub.rate_card = card.to_dict()
    db.session.commit()
    return card
