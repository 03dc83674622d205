"""Errors services raise; views map them to field errors (422), 404 and 409."""

from __future__ import annotations

from notices_app.rules.messages import Message


class FieldErrors(Exception):
    """Input a service refused, by field (`run_dates`, `fields.credit_code`, `_` for the whole)."""

    def __init__(self, errors: dict[str, list[Message | str]]) -> None:
        super().__init__(", ".join(errors))
        self.errors = errors

    def render(self, lang: str) -> dict[str, list[str]]:
        """Messages in `lang`; plain strings were already rendered (form errors) and pass through."""
        return {
            k: [m.render(lang) if isinstance(m, Message) else m for m in v] for k, v in self.errors.items()
        }


class NotFound(Exception):
    """The object does not exist or the caller may not see it: both are a 404."""


class Conflict(Exception):
    """The action does not apply to the object's current state (HTTP 409); nothing was changed."""

    def __init__(self, message: Message) -> None:
        super().__init__(message.render("en"))
        self.message = message
