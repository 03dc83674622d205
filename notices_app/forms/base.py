"""The base of every form, and the bridge between JSON and the same form classes.

Meta carries what validation depends on besides the input:

- ``lang``: "zh" (default) or "en", the language of labels, help and messages;
- ``fonts``: the print FontSet (wired by the app, ``meta={"fonts": default_fonts()}``): each
  printed field is checked against the font of the role it prints in (a title in Hei, text in
  Ming);
- ``covers``: ``Callable[[str], bool] | None``, one glyph test for every field, used when no
  ``fonts`` are given (tests pass a stub);
- ``today``: ``date | None``, so that date rules are deterministic in tests.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import Field, Form

from notices_app.forms.fields import FlagField, IllTyped, IsoDateField, ListField, SubFormField, render
from notices_app.rules.messages import Message, msg


class _NoticeMeta:
    lang = "zh"
    covers = None
    fonts = None
    today = None


class SubForm(Form):
    """A repeating group's entry (plain WTForms: a FlaskForm would add a CSRF token per entry)."""

    class Meta(_NoticeMeta):
        pass


class BaseForm(FlaskForm):
    """Every notice form: bilingual, cross-field rules, warnings the filer must confirm."""

    class Meta(_NoticeMeta):
        def get_translations(self, form: Any) -> None:
            # Messages are our own bilingual ones; returning None also keeps forms usable outside
            # an app context (services re-validate stored fields on submit).
            return None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.warnings: dict[str, list[str]] = {}

    def add_error(self, field: Field, message: Message | str) -> None:
        """Attach a message to ``field`` after its own validation ran (cross-field rules)."""
        text = render(self.meta, message) if isinstance(message, Message) else message
        if not isinstance(field.errors, list):
            field.errors = list(field.errors)
        field.errors.append(text)

    def cross_validate(self) -> None:
        """Rules that involve more than one field; subclasses add errors with :meth:`add_error`."""

    def submit_validate(self) -> None:
        """Extra rules that apply when the notice is submitted rather than saved as a draft."""

    def validate(self, extra_validators: Any = None) -> bool:
        super().validate(extra_validators)
        self.cross_validate()
        self.warnings = collect_warnings(self)
        confirm = self._fields.get("confirm_warnings")
        if self.warnings and isinstance(confirm, FlagField) and not confirm.data and not confirm.errors:
            listed = "；".join(w for ws in self.warnings.values() for w in ws)
            self.add_error(
                confirm,
                msg(
                    "warnings.unconfirmed",
                    "请核对以下提示，无误后勾选确认：{listed}",
                    "Check the following, then tick the confirmation: {listed}",
                    listed=listed,
                ),
            )
        return not form_errors(self)

    def validate_for_submit(self) -> bool:
        """Validate with the stricter rules that apply to a submission (not a draft)."""
        self.validate()
        self.submit_validate()
        return not form_errors(self)


def _walk(form: Form, prefix: str) -> list[tuple[str, Field]]:
    out: list[tuple[str, Field]] = []
    for name, field in form._fields.items():
        key = prefix + name
        out.append((key, field))
        if isinstance(field, ListField):
            for i, entry in enumerate(field.entries):
                if isinstance(entry, SubFormField):
                    out.extend(_walk(entry.form, f"{key}.{i}."))
                else:
                    out.append((f"{key}.{i}", entry))
        elif isinstance(field, SubFormField):
            out.extend(_walk(field.form, key + "."))
    return out


def form_errors(form: Form) -> dict[str, list[str]]:
    """Errors keyed by dotted path (``employees.0.id_number``); list-level errors under the list's name."""
    out: dict[str, list[str]] = {}
    for key, field in _walk(form, ""):
        if isinstance(field, ListField):
            errors = field.own_errors()
        elif isinstance(field, SubFormField):
            continue
        else:
            errors = [e for e in field.errors if isinstance(e, str)]
        if errors:
            out[key] = errors
    if form.form_errors:
        out["_"] = [str(e) for e in form.form_errors]
    return out


def collect_warnings(form: Form) -> dict[str, list[str]]:
    """Warnings raised by fields during validation, keyed like :func:`form_errors`."""
    out: dict[str, list[str]] = {}
    for key, field in _walk(form, ""):
        warnings = getattr(field, "warnings", None)
        if isinstance(warnings, list) and warnings:
            out[key] = list(warnings)
    return out


def _scalar(value: Any) -> Any:
    if isinstance(value, list):
        return IllTyped("list")
    if isinstance(value, dict):
        return IllTyped("object")
    return value


def formdata_from_json(fields: Any) -> MultiDict[str, Any]:
    """Flatten a JSON ``fields`` object into the formdata the browser would send.

    Lists of objects become ``employees-0-name`` keys. Values keep their JSON type (a number stays
    a number) so that each field can refuse the wrong type with a message; lists and objects
    where a scalar belongs become :class:`IllTyped` markers. ``null`` means "not given".
    Anything that is not an object yields empty formdata (every required field then reports).
    """
    md: MultiDict[str, Any] = MultiDict()
    if not isinstance(fields, Mapping):
        return md
    for key, value in fields.items():
        if not isinstance(key, str) or value is None:
            continue
        if isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
            for i, item in enumerate(value):
                # An index key of its own keeps an entry whose object was empty.
                md.add(f"{key}-{i}", "")
                for sub, sv in item.items():
                    if isinstance(sub, str) and sv is not None:
                        md.add(f"{key}-{i}-{sub}", _scalar(sv))
        elif isinstance(value, list) and not value:
            continue
        else:
            md.add(key, _scalar(value))
    return md


def _plain(field: Field) -> Any:
    if isinstance(field, ListField):
        return [_plain(entry) for entry in field.entries]
    if isinstance(field, SubFormField):
        return {name: _plain(sub) for name, sub in field.form._fields.items()}
    if isinstance(field, IsoDateField):
        return field.data.isoformat() if isinstance(field.data, date) else None
    if isinstance(field, FlagField):
        return bool(field.data)
    return field.data if field.data is not None else ""


def fields_from_form(form: Form) -> dict[str, Any]:
    """The validated values as plain JSON-able data for storage (dates as ISO strings).

    ``formdata_from_json(fields_from_form(form))`` rebuilds the same form, which is how a
    stored draft is edited again.
    """
    csrf = getattr(form.meta, "csrf_field_name", "csrf_token") if getattr(form.meta, "csrf", False) else None
    return {name: _plain(field) for name, field in form._fields.items() if name != csrf}
