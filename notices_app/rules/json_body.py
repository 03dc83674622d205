"""Reading a JSON body someone else wrote: bounded nesting, and a message instead of an exception.

CPython's json parser recurses once per ``[`` or ``{``: a body of 100,000 brackets (200 kB) ends
in RecursionError, which no ``except ValueError`` catches. So the nesting is measured first, with
a regular expression that skips string literals (a bracket inside a string is text), and a body
nested deeper than :data:`MAX_DEPTH` is refused before the parser sees it. No real request to
this app comes near the limit: a notice is three levels deep, a Stripe event about six.
"""

from __future__ import annotations

import json
import re
from typing import Any

from notices_app.rules.messages import RuleError, msg

MAX_DEPTH = 64

# A string literal (its closing quote optional, so an unterminated one runs to the end instead of
# being counted as brackets) or one bracket. The string pattern is the unrolled loop, linear in
# its length.
_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?|[\[\]{}]', re.S)


class JsonBodyError(RuleError):
    """The body is not JSON, or is nested deeper than the limit."""


def nests_deeper_than(text: str, max_depth: int = MAX_DEPTH) -> bool:
    """Whether arrays and objects in the JSON ``text`` nest more than ``max_depth`` levels."""
    if text.count("[") + text.count("{") <= max_depth:
        return False  # too few brackets to go deeper (str.count is cheap; the scan is not)
    depth = 0
    for token in _TOKEN.finditer(text):
        ch = token.group()[0]
        if ch in "[{":
            depth += 1
            if depth > max_depth:
                return True
        elif ch in "]}":
            depth -= 1
    return False


def _too_deep(max_depth: int) -> JsonBodyError:
    return JsonBodyError(
        msg(
            "json.too_deep",
            "请求体的 JSON 嵌套过深（最多{max}层）。",
            "The JSON body is nested too deeply (at most {max} levels).",
            max=max_depth,
        )
    )


def _invalid(detail: str) -> JsonBodyError:
    return JsonBodyError(
        msg(
            "json.invalid",
            "请求体不是有效的 JSON：{detail}",
            "The body is not valid JSON: {detail}",
            detail=detail[:200],
        )
    )


def parse_json(data: bytes | str, max_depth: int = MAX_DEPTH) -> Any:
    """The value of a JSON document; raises :class:`JsonBodyError` (a ValueError) with a bilingual
    message when it is not JSON or nests arrays and objects deeper than ``max_depth``.

    Bytes are decoded as ``json.loads`` would (UTF-8, -16 or -32, found from the first bytes).
    """
    if isinstance(data, bytes | bytearray):
        try:
            text = bytes(data).decode(json.detect_encoding(data), "surrogatepass")
        except UnicodeDecodeError as err:
            raise _invalid(f"not {err.encoding} text") from err
    else:
        text = data
    if nests_deeper_than(text, max_depth):
        raise _too_deep(max_depth)
    try:
        return json.loads(text)
    except RecursionError as err:  # not reached with the limit above; kept as the last guard
        raise _too_deep(max_depth) from err
    except ValueError as err:  # JSONDecodeError, and ints longer than Python converts
        raise _invalid(str(err)) from err
