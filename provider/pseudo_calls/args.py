"""Turn leaked argument text into a JSON object, and small JSON scanning helpers.

Repairs, in order (first success wins): strict JSON; strip code fences and a leading
``=``/``:``/``json``/``code`` word; close missing brackets/quotes; ``ast.literal_eval`` for
Python-repr dicts; ``json_repair`` as the last resort. ``""`` means ``{}``.

Spec: specs/002-pseudo-tool-calls/spec.md §"Validation gates".
"""

from __future__ import annotations

import ast
import json
import re
from typing import Any

import json_repair

_DECODER = json.JSONDecoder()
_SCAN = re.compile(r"\\.|[\"'{}\[\]()]", re.S)
_FENCE = re.compile(
    r"^\s*(?:`{3,}|~{3,})[\w+-]*[ \t]*\n?(?P<body>.*?)\n?[ \t]*(?:`{3,}|~{3,})?\s*$", re.S
)
_LEAD = re.compile(r"^\s*(?:(?:json|code|JSON|args|arguments)\b\s*:?|[=:])\s*")
_JSONISH = re.compile(r"^\s*(?:[-+]?\d[\d.eE+-]*|true|false|null|\{.*\}|\[.*\])\s*$", re.S)


def scan_balanced(text: str, start: int, limit: int | None = None) -> int | None:
    """Return the index just past the bracket that closes ``text[start]``.

    ``text[start]`` must be ``{``, ``[`` or ``(``. Strings in double or single quotes
    (with backslash escapes) are skipped, so brackets inside strings do not count. Returns
    ``None`` when the value is not closed before ``limit`` (default: end of text).
    """
    end = len(text) if limit is None else min(limit, len(text))
    depth = 0
    quote = ""
    for m in _SCAN.finditer(text, start, end):
        tok = m.group()
        if quote:
            if tok == quote:
                quote = ""
        elif tok in "\"'":
            if tok == "'" and text.find("'", m.end(), end) < 0:
                continue  # a lone apostrophe in JSON-ish text is not a string
            quote = tok
        elif tok in "{[(":
            depth += 1
        elif tok in "}])":
            depth -= 1
            if depth <= 0:
                return m.end()
    return None


def parse_object(raw: str | None) -> dict[str, Any] | None:
    """Return the JSON object ``raw`` encodes after the repairs above, else ``None``.

    A JSON *string* that itself holds an object (double-encoded arguments) is decoded
    once more. Non-object results (lists, numbers, prose) give ``None``.
    """
    if raw is None:
        return None
    text = raw.strip()
    if text in ("", '""', "''"):
        return {}
    for attempt in _attempts(text):
        value = _strict(attempt)
        if value is not _FAIL:
            return _as_object(value)
    for attempt in _attempts(text):
        value = _python(attempt)
        if value is not _FAIL:
            return _as_object(value)
    value = _repair(text)
    return _as_object(value) if value is not _FAIL else None


def coerce_scalar(value: str, schema: dict[str, Any] | None) -> Any:
    """Convert an XML-style parameter value to the type its schema asks for.

    Schema type ``string`` (or unknown with a non-JSON-looking value) keeps the text;
    numbers, booleans, ``null``, objects and arrays are decoded when they parse.
    """
    types = _types(schema)
    if types and types <= {"string"}:
        return value
    if not _JSONISH.match(value):
        if types & {"boolean"} and value.strip() in ("True", "False"):
            return value.strip() == "True"
        return value
    try:
        decoded = json.loads(value)
    except (ValueError, RecursionError):
        try:
            decoded = ast.literal_eval(value.strip())
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            return value
    if types and "string" in types and not isinstance(decoded, (dict, list)):
        return value
    return _jsonable(decoded)


_FAIL = object()


def _attempts(text: str) -> list[str]:
    out = [text]
    fenced = _FENCE.match(text)
    if fenced and fenced["body"].strip() != text:
        out.append(fenced["body"].strip())
    for cand in list(out):
        lead = _LEAD.match(cand)
        if lead and lead.end() < len(cand):
            out.append(cand[lead.end() :])
    for cand in list(out):
        closed = close_brackets(cand)
        if closed != cand:
            out.append(closed)
    return out


def _strict(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        pass
    if text[:1] in "{[":
        try:
            value, _end = _DECODER.raw_decode(text)
            return value
        except (ValueError, RecursionError):
            return _FAIL
    return _FAIL


def _python(text: str) -> Any:
    if text[:1] != "{" or len(text) > 200_000 or _depth(text, 64) > 64:
        return _FAIL
    try:
        return _jsonable(ast.literal_eval(text))
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return _FAIL


def _repair(text: str) -> Any:
    start = text.find("{")
    if (
        start < 0
        or len(text) > _REPAIR_MAX_CHARS
        or _depth(text, _REPAIR_MAX_DEPTH) > _REPAIR_MAX_DEPTH
    ):
        return _FAIL  # json_repair is super-linear on deep or huge garbage
    try:
        value = json_repair.repair_json(text[start:], return_objects=True)
    except Exception:
        return _FAIL
    if isinstance(value, tuple):
        value = value[0]
    return value if isinstance(value, dict) else _FAIL


_REPAIR_MAX_CHARS = 20_000
_REPAIR_MAX_DEPTH = 32


def _depth(text: str, limit: int) -> int:
    """Maximum bracket nesting outside double-quoted strings (stops above ``limit``)."""
    depth = best = 0
    quote = False
    for m in _SCAN.finditer(text):
        tok = m.group()
        if quote:
            quote = tok != '"'
        elif tok == '"':
            quote = True
        elif tok in "{[":
            depth += 1
            if depth > best:
                best = depth
                if best > limit:
                    break
        elif tok in "}]":
            depth -= 1
    return best


def close_brackets(text: str) -> str:
    """Append the quotes/brackets a truncated JSON value is missing (LM Studio #942)."""
    stack: list[str] = []
    quote = ""
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 2
                continue
            if ch == quote:
                quote = ""
        elif ch == '"':
            quote = ch
        elif ch in "{[":
            stack.append("}" if ch == "{" else "]")
        elif ch in "}]":
            if not stack or stack[-1] != ch:
                return text
            stack.pop()
        i += 1
    if not stack and not quote:
        return text
    tail = text.rstrip()
    if not quote and tail.endswith(","):
        tail = tail[:-1]
    return tail + quote + "".join(reversed(stack))


def _as_object(value: Any) -> dict[str, Any] | None:
    if isinstance(value, str):
        inner = value.strip()
        if inner == "":
            return {}
        if inner.startswith("{"):
            try:
                value = json.loads(inner)
            except (ValueError, RecursionError):
                return None
    return value if isinstance(value, dict) else None


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (set, frozenset, bytes, complex)):
        raise ValueError("not JSON")
    return value


def _types(schema: dict[str, Any] | None) -> set[str]:
    if not isinstance(schema, dict):
        return set()
    kind = schema.get("type")
    if isinstance(kind, str):
        return {kind}
    if isinstance(kind, list):
        return {k for k in kind if isinstance(k, str)}
    for key in ("anyOf", "oneOf"):
        options = schema.get(key)
        if isinstance(options, list):
            out: set[str] = set()
            for opt in options:
                out |= _types(opt if isinstance(opt, dict) else None)
            return out
    return set()


def property_schema(params: dict[str, Any] | None, key: str) -> dict[str, Any] | None:
    """The JSON schema of property ``key`` in a tool's ``parameters``, if declared."""
    if not isinstance(params, dict):
        return None
    props = params.get("properties")
    if isinstance(props, dict):
        prop = props.get(key)
        return prop if isinstance(prop, dict) else None
    return None
