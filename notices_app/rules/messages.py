"""Bilingual messages: pure rules return these; the web layer picks the language.

Chinese is the default language of the product; English is served with `Accept-Language: en`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Message:
    code: str  # stable machine-readable code, e.g. "uscc.check"
    zh: str  # str.format template
    en: str
    params: dict[str, Any] = field(default_factory=dict)

    def render(self, lang: str = "zh") -> str:
        template = self.en if lang.startswith("en") else self.zh
        return template.format(**self.params)

    def __str__(self) -> str:
        return self.render("zh")


def msg(code: str, zh: str, en: str, **params: Any) -> Message:
    return Message(code, zh, en, params)


class RuleError(ValueError):
    """A pure rule refused a value; carries the message to show next to the field."""

    def __init__(self, message: Message) -> None:
        super().__init__(message.render("en"))
        self.message = message
