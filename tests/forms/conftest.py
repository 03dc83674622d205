"""A bare Flask app for the form tests (the real app factory is not needed to validate forms)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
from flask import Flask

from notices_app.forms import NOTICE_FORMS, BaseForm, formdata_from_json

TODAY = date(2013, 10, 22)


@pytest.fixture
def app() -> Iterator[Flask]:
    app = Flask(__name__)
    app.config.update(SECRET_KEY="test", WTF_CSRF_ENABLED=False)
    with app.test_request_context():
        yield app


MakeForm = Callable[..., BaseForm]


@pytest.fixture
def make_form(app: Flask) -> MakeForm:
    """Build and validate a notice form from JSON fields, as the API does."""

    def make(
        kind: str,
        fields: dict[str, Any],
        lang: str = "zh",
        covers: Callable[[str], bool] | None = None,
        submit: bool = False,
    ) -> BaseForm:
        form = NOTICE_FORMS[kind](
            formdata=formdata_from_json(fields), meta={"lang": lang, "covers": covers, "today": TODAY}
        )
        if submit:
            form.validate_for_submit()
        else:
            form.validate()
        return form

    return make
