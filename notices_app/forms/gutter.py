"""The 中缝 booking form: the entry's text, classified style (one short paragraph).

The text prints in the body font of the strip's small type, so it is checked against that font
and ASCII punctuation next to Chinese becomes full-width like every printed field. How many
lines it sets in is the typesetter's answer (services.bookings.check_gutter), given in the view.
"""

from __future__ import annotations

from notices_app.forms.base import BaseForm
from notices_app.forms.editions import PrintedText
from notices_app.services.bookings import GUTTER_MAX_CHARS


class GutterForm(BaseForm):
    """One 中缝 entry in one or more editions; dates come from the `dates` checkboxes."""

    gutter_text = PrintedText(
        "中缝广告内容",
        label_en="Entry text",
        max_length=GUTTER_MAX_CHARS,
        roles=("body",),
        example="遗失淄博某某商贸有限公司公章一枚，声明作废。",
        help="按字计费；一条排成一段，印在两版之间的中缝里。",
        help_en="Charged per 字; printed as one paragraph in the strip between the two pages.",
    )
