"""Read one JSON / Python-literal / brace-DSL value from text, never inventing content.

Models write tool arguments as JSON, as Python literals (``{'k': 'v', 'n': True}``), as
JavaScript-style objects with bare keys, or in a family's own brace notation with special
string delimiters (``{city:<|"|>Paris<|"|>}``). :func:`read_value` reads all of them with
one grammar and accepts exactly these repairs:

* a trailing comma before ``}`` / ``]``;
* Python literals (``'…'`` strings, ``True`` / ``False`` / ``None``) and bare keys; in a
  brace notation with bare keys, a bare value (``{path:a.txt}``) is the text up to the
  next ``,`` or ``}``;
* brackets still open when the text ends **right after a complete value** (a truncated
  call whose last member is whole) are closed; such an object is a :class:`Truncated`.

Nothing else: a missing comma, a key without a value, a string or literal cut off by the
end of the text, or a number that the end of the text may have cut are *errors*
(:class:`Unreadable`), so a broken call is re-asked instead of run with guessed values.

Spec: specs/002-pseudo-tool-calls/spec.md §"Validation gates".
"""

from __future__ import annotations

import json
import re
from typing import Any

#: deepest nesting accepted (hostile input must not recurse without bound)
MAX_DEPTH = 64
#: special string delimiters of brace notations (Gemma 4 writes ``<|"|>text<|"|>``)
DSL_QUOTES = ('<|"|>', '<｜"｜>')


class Unreadable(ValueError):
    """The text at the given position is not one complete value (see module docstring)."""


class Truncated(dict):  # type: ignore[type-arg]  # a plain dict for every other purpose
    """An object whose closing bracket the end of the text supplied: its members are as
    written, but a member the call needs may be missing (``calldict`` gives no default
    arguments to such an object)."""


_WS = re.compile(r"[ \t\r\n]*")
_NUMBER = re.compile(r"[-+]?(?:\d[\d_]*)?(?:\.\d+)?(?:[eE][-+]?\d+)?")
_WORD = re.compile(r"[A-Za-z_$][\w$\-]*")
#: a bare value of a brace notation: text up to the next ``,`` / ``}`` (none at the end)
_BARE_VALUE = re.compile(r"[^\s,{}\[\]\"'<][^,{}\[\]\"'\n]*?(?=\s*[,}])")
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_PY_STRING = re.compile(r"'(?:[^'\\\n]|\\.)*'", re.S)
_LITERALS: dict[str, Any] = {
    "true": True,
    "false": False,
    "null": None,
    "True": True,
    "False": False,
    "None": None,
}
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "/": "/", "\\": "\\"}


def read_value(text: str, pos: int = 0) -> tuple[Any, int]:
    """Read one value starting at ``text[pos]`` (after optional whitespace).

    Returns ``(value, end)`` where ``end`` is the index just past the value (text after
    it is not examined; ``len(text)`` when open brackets were closed at the end of the
    text). Raises :class:`Unreadable` when the text there is not one complete value (see
    the module docstring for the only repairs that are made).
    """
    reader = _Reader(text)
    value = reader.value(_skip_ws(text, pos), 0)
    return value, reader.end


class _Reader:
    __slots__ = ("end", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.end = 0

    def value(self, i: int, depth: int) -> Any:
        text = self.text
        if i >= len(text):
            raise Unreadable("the text ends before the value")
        ch = text[i]
        if ch == "{" or ch == "[":
            return self._container(i, depth)
        if ch in "\"'" or text.startswith(DSL_QUOTES, i):
            value, self.end = self._string(i)
            return value
        word = _WORD.match(text, i)
        if word:
            if word.group() not in _LITERALS:
                raise Unreadable(f"bare word {word.group()[:20]!r}")
            if word.end() >= len(text):
                raise Unreadable("a literal at the very end may be cut")
            self.end = word.end()
            return _LITERALS[word.group()]
        num = _NUMBER.match(text, i)
        if num and any(c.isdigit() for c in num.group()):
            if num.end() >= len(text):
                raise Unreadable("a number at the very end may be cut")
            self.end = num.end()
            return _number(num.group())
        raise Unreadable(f"unexpected {ch!r}")

    def _container(self, i: int, depth: int) -> Any:
        if depth >= MAX_DEPTH:
            raise Unreadable("nested too deeply")
        text = self.text
        close = "}" if text[i] == "{" else "]"
        obj: dict[str, Any] = {}
        items: list[Any] = []
        i = _skip_ws(text, i + 1)
        if i >= len(text):
            raise Unreadable("the text ends right after an opening bracket")
        first = True
        while True:
            if i >= len(text):  # ended right after a whole member: close what is open
                self.end = len(text)
                return Truncated(obj) if close == "}" else items
            if text[i] == close:
                self.end = i + 1
                return obj if close == "}" else items
            if not first:
                if text[i] != ",":
                    raise Unreadable(f"expected ',' or {close!r}")
                i = _skip_ws(text, i + 1)
                if i >= len(text):
                    raise Unreadable("the text ends after a comma: a member was cut")
                if text[i] == close:  # trailing comma
                    self.end = i + 1
                    return obj if close == "}" else items
            first = False
            if close == "}":
                bare_key = text[i] not in "\"'<"
                key, i = self._key(i)
                i = _skip_ws(text, i)
                if i >= len(text) or text[i] != ":":
                    raise Unreadable("a key without a value")
                i = _skip_ws(text, i + 1)
                bare = _BARE_VALUE.match(text, i) if bare_key else None
                if bare and bare.group().strip() not in _LITERALS and not _is_number(bare):
                    obj[key] = bare.group().strip()
                    self.end = bare.end()
                else:
                    obj[key] = self.value(i, depth + 1)
            else:
                items.append(self.value(i, depth + 1))
            i = _skip_ws(text, self.end)

    def _key(self, i: int) -> tuple[str, int]:
        text = self.text
        if text[i] in "\"'" or text.startswith(DSL_QUOTES, i):
            return self._string(i)
        word = _WORD.match(text, i)
        if word is None or word.end() >= len(text):
            raise Unreadable("expected a key")
        return word.group(), word.end()

    def _string(self, i: int) -> tuple[str, int]:
        text = self.text
        for quote in DSL_QUOTES:
            if text.startswith(quote, i):
                end = text.find(quote, i + len(quote))
                if end < 0:
                    raise Unreadable("a string cut off by the end of the text")
                return text[i + len(quote) : end], end + len(quote)
        m = (_JSON_STRING if text[i] == '"' else _PY_STRING).match(text, i)
        if m is None:
            raise Unreadable("a string cut off by the end of the text")
        return _unescape(m.group()[1:-1]), m.end()


def _skip_ws(text: str, i: int) -> int:
    """The first index at or after ``i`` that is not JSON whitespace."""
    m = _WS.match(text, i)
    return m.end() if m else i


def _is_number(m: re.Match[str]) -> bool:
    num = _NUMBER.fullmatch(m.group().strip())
    return num is not None and any(c.isdigit() for c in num.group())


def _unescape(body: str) -> str:
    """Decode JSON/Python escapes; an unknown escape (``C:\\path``) stays as written."""
    if "\\" not in body:
        return body
    try:
        value = json.loads(f'"{body}"')
        if isinstance(value, str):
            return value
    except ValueError:
        pass
    out: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch != "\\" or i + 1 >= len(body):
            out.append(ch)
            i += 1
            continue
        nxt = body[i + 1]
        if nxt in _ESCAPES:
            out.append(_ESCAPES[nxt])
            i += 2
        elif nxt in "\"'":
            out.append(nxt)
            i += 2
        elif nxt == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", body[i + 2 : i + 6]):
            out.append(chr(int(body[i + 2 : i + 6], 16)))
            i += 6
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _number(raw: str) -> int | float:
    clean = raw.replace("_", "").lstrip("+")
    if re.fullmatch(r"-?\d+", clean):
        return int(clean)
    try:
        return float(clean)
    except ValueError:
        raise Unreadable(f"bad number {raw[:20]!r}") from None
