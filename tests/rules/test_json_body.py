"""Bounded JSON reading: nesting measured outside string literals, refused past the limit with a
bilingual message, never a RecursionError."""

from __future__ import annotations

import pytest

from notices_app.rules.json_body import MAX_DEPTH, JsonBodyError, nests_deeper_than, parse_json


@pytest.mark.parametrize(
    ("text", "deeper"),
    [
        ("[" * MAX_DEPTH + "]" * MAX_DEPTH, False),
        ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), True),
        ('{"a": ' * (MAX_DEPTH + 1) + "1" + "}" * (MAX_DEPTH + 1), True),
        ('["' + "[" * 100 + '"]', False),  # brackets inside a string are text
        ('["' + "[" * 100 + '\\"' + "[" * 100 + '"]', False),  # an escaped quote does not end it
        ('["x\\\\", ' + "[" * 70 + "]" * 70 + "]", True),  # an escaped backslash does
        ('"unterminated' + "[" * 100, False),
        ("[[1, 2]]" * 1000, False),  # many brackets, shallow
    ],
)
def test_nesting_is_counted_outside_strings(text: str, deeper: bool) -> None:
    assert nests_deeper_than(text) is deeper


def test_a_body_100000_deep_is_refused_with_a_message_in_both_languages() -> None:
    with pytest.raises(JsonBodyError) as err:
        parse_json(b"[" * 100_000 + b"]" * 100_000)
    assert err.value.message.render("zh") == "请求体的 JSON 嵌套过深（最多64层）。"
    assert err.value.message.render("en") == "The JSON body is nested too deeply (at most 64 levels)."


@pytest.mark.parametrize("data", [b"{not json", b"\xff\xfe\xfa", b"", "1" * 5000, b"[1,]"])
def test_what_is_not_json_is_a_json_body_error(data: bytes | str) -> None:
    with pytest.raises(JsonBodyError) as err:
        parse_json(data)
    assert err.value.message.code == "json.invalid"
    assert err.value.message.render("en").startswith("The body is not valid JSON: ")


@pytest.mark.parametrize(
    ("data", "value"),
    [
        (b'{"a": [1, {"b": "\xe4\xb8\xad"}]}', {"a": [1, {"b": "中"}]}),
        ('{"a": 1}'.encode("utf-16"), {"a": 1}),  # found from the first bytes, as json.loads does
        (b'\xef\xbb\xbf{"a": 1}', {"a": 1}),  # a UTF-8 byte order mark
        ("[]", []),
    ],
)
def test_json_reads_as_json_loads_would(data: bytes | str, value: object) -> None:
    assert parse_json(data) == value
