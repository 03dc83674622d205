"""Preflight's content-stream tokenizer: operators with their operands as Python values.

A page repeats a few dozen operators thousands of times, so one regular expression splits the
stream and a loop turns tokens into values; streams with inline images or deeply nested strings
are handed to pikepdf's parser instead (`read_instructions`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pikepdf

# The `type: ignore`s in this module are pikepdf 10's stubs: they type Object.get's default as
# None and Object.__iter__ as returning an Iterable, not an Iterator.

_WS = rb"\x00\t\n\x0c\r "
_REGULAR = rb"[^\x00\t\n\x0c\r ()<>\[\]{}/%]"
_TOKEN = re.compile(
    rb"%[^\r\n]*"
    # A literal string with at most one level of nested (balanced, unescaped) parentheses; a
    # deeper one leaves a lone "(" that sends the stream to pikepdf's parser.
    rb"|\((?:[^()\\]|\\.|\((?:[^()\\]|\\.)*\))*\)"
    rb"|<<|>>|<[0-9A-Fa-f" + _WS + rb"]*>"
    rb"|[\[\]{}()]"
    rb"|/?" + _REGULAR + rb"+",
    re.S,
)
_ESCAPE = re.compile(rb"\\(?:[0-7]{1,3}|\r\n|.)", re.S)


def _escape_table() -> dict[bytes, bytes]:
    table = {b"\\" + bytes((c,)): bytes((c,)) for c in range(256)}  # unknown escapes: the char
    table.update({b"\\n": b"\n", b"\\r": b"\r", b"\\t": b"\t", b"\\b": b"\b", b"\\f": b"\f"})
    table.update({b"\\\r\n": b"", b"\\\r": b"", b"\\\n": b""})  # a line continuation
    for width in (1, 2, 3):
        for n in range(8**width):
            table[b"\\" + f"{n:0{width}o}".encode()] = bytes((n & 0xFF,))
    return table


_ESCAPES = _escape_table()
_KEYWORDS: dict[bytes, object] = {b"true": True, b"false": False, b"null": None}
_NUMBER_START = frozenset(b"0123456789+-.")
_OPERATOR_START = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'\"")
# Operators and names decoded so far: a page repeats a few dozen of them thousands of times.
_OPERATORS: dict[bytes, str] = {}
_NAMES: dict[bytes, str] = {}
_CACHE_LIMIT = 4096

Instruction = tuple[str, list[Any]]


class _Unparsable(Exception):
    """The fast tokenizer met syntax it leaves to pikepdf (inline images, deep nesting)."""


def _unescape(m: re.Match[bytes]) -> bytes:
    return _ESCAPES[m[0]]


def _name(tok: bytes) -> str:
    name = _NAMES.get(tok)
    if name is None:
        raw = tok
        if b"#" in raw:
            raw = re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes.fromhex(m.group(1).decode()), raw)
        name = raw.decode("latin-1")
        if len(_NAMES) < _CACHE_LIMIT:
            _NAMES[tok] = name
    return name


# One flat loop with local aliases, not a function per token kind: it runs for every token of every page.
def tokenize(data: bytes) -> list[Instruction]:
    """Content stream operators with operands as Python values (float, str '/Name', bytes, list, dict)."""
    out: list[Instruction] = []
    operands: list[Any] = []
    push = operands.append
    outer: list[tuple[list[Any], bool]] = []  # enclosing operand lists; True for a dictionary
    operators = _OPERATORS
    for tok in _TOKEN.findall(data):
        c = tok[0]
        if c in _NUMBER_START:
            try:
                push(float(tok))
            except ValueError:
                raise _Unparsable(tok) from None
        elif c == 0x28:  # (
            if len(tok) == 1:
                raise _Unparsable("nested string")
            body = tok[1:-1]
            push(_ESCAPE.sub(_unescape, body) if b"\\" in body else body)
        elif c == 0x2F:  # /
            push(_name(tok))
        elif c in _OPERATOR_START:
            op = operators.get(tok)
            if op is None:
                if tok in _KEYWORDS:
                    push(_KEYWORDS[tok])
                    continue
                if tok == b"BI":
                    raise _Unparsable("inline image")
                op = tok.decode("latin-1")
                if len(operators) < _CACHE_LIMIT:
                    operators[tok] = op
            if outer:
                raise _Unparsable("operator inside an array")
            out.append((op, operands))
            operands = []
            push = operands.append
        elif tok == b"[":
            outer.append((operands, False))
            operands = []
            push = operands.append
        elif tok == b"]" or tok == b">>":
            if not outer:
                raise _Unparsable("unbalanced " + tok.decode())
            inner = operands
            operands, is_dict = outer.pop()
            push = operands.append
            push(dict(zip(inner[::2], inner[1::2], strict=False)) if is_dict else inner)
        elif tok == b"<<":
            outer.append((operands, True))
            operands = []
            push = operands.append
        elif c == 0x3C:  # < hex string >
            digits = re.sub(rb"[" + _WS + rb"]", b"", tok[1:-1])
            push(bytes.fromhex((digits + b"0" * (len(digits) % 2)).decode()))
        elif c == 0x25:  # % comment
            continue
        else:
            raise _Unparsable(tok.decode("latin-1"))
    return out


def from_pikepdf(value: Any) -> Any:
    """A pikepdf operand as the value `tokenize` gives for it."""
    if isinstance(value, pikepdf.Name):
        return str(value)
    if isinstance(value, pikepdf.String):
        return bytes(value)
    if isinstance(value, pikepdf.Array):
        return [from_pikepdf(v) for v in value]  # type: ignore[attr-defined]
    if isinstance(value, pikepdf.Dictionary):
        return {str(k): from_pikepdf(v) for k, v in value.items()}
    if isinstance(value, bool) or value is None:
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        return value


def read_instructions(stream: pikepdf.Object, data: bytes) -> list[Instruction]:
    """The instructions of `data` (the bytes of `stream`): the fast tokenizer, else pikepdf's parser."""
    try:
        return tokenize(data)
    except _Unparsable:
        pass
    out: list[Instruction] = []
    for inst in pikepdf.parse_content_stream(stream):
        if isinstance(inst, pikepdf.ContentStreamInlineImage):
            image = inst.iimage
            out.append(("BI", [InlineImage(image.width, image.height, image.obj)]))
        else:
            out.append((str(inst.operator), [from_pikepdf(v) for v in inst.operands]))
    return out


@dataclass(frozen=True)
class InlineImage:
    """A BI … ID … EI image, as pikepdf's parser reads it: its size and its image dictionary."""

    width: int
    height: int
    obj: pikepdf.Object
