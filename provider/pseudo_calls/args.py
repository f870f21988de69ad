"""Turn leaked argument text into a JSON object — without inventing anything.

:func:`parse_object` strips what models wrap arguments in (a code fence, a leading
``=`` / ``:`` / ``json`` / ``code`` word), then reads one value with
:func:`.literals.read_value` (JSON, Python literals, bare keys, brace notations; brackets
closed only after a complete last member). ``""`` / ``null`` mean ``{}``; a JSON string
holding an object (double-encoded arguments) is decoded once more. Everything else that
does not read as one object gives ``None`` — the call is then unrecoverable, never guessed.

:func:`coerce_scalar` converts a parameter written as text (XML formats, ``k=v``) to the
type the tool's schema declares.

Spec: specs/002-pseudo-tool-calls/spec.md §"Validation gates".
"""

from __future__ import annotations

import json
import re
from typing import Any

from .literals import Unreadable, read_value

#: an opening fence line (backticks or tildes, an info string; the newline may be missing)
_FENCE_OPEN = re.compile(r"\s*(?:`{3,}|~{3,})[\w+-]*[ \t]*\n?")
_LEAD = re.compile(r"^\s*(?:(?:json|code|JSON|args|arguments)\b\s*:?|[=:])\s*")
_JSONISH = re.compile(r"^\s*(?:[-+]?\d[\d.eE+-]*|true|false|null|\{.*\}|\[.*\])\s*$", re.S)


def parse_object(raw: str | None, *, complete: bool = True) -> dict[str, Any] | None:
    """The JSON object ``raw`` holds (see the module docstring), else ``None``.

    Trailing text after the object (prose, a closing token) is ignored. ``complete=False``:
    the text may have been cut (its block was not closed), so nothing at all is not
    "no arguments" but ``None``.
    """
    if raw is None:
        return None
    text = raw.strip()
    if text in ("", '""', "''", "null", "None"):
        return {} if complete or text else None
    fenced = _unfenced(text)
    if fenced is not None and fenced != text:
        text = fenced
    lead = _LEAD.match(text)
    if lead and lead.end() < len(text) and text[:1] not in "{[":
        text = text[lead.end() :]
    return _as_object(_read(text))


def _unfenced(text: str) -> str | None:
    """``text`` without the code fence it starts with and the fence run it may end with,
    stripped; ``None`` when it does not start with a fence. Linear in ``len(text)``."""
    opener = _FENCE_OPEN.match(text)
    if opener is None:
        return None
    body = text[opener.end() :].rstrip()
    for mark in "`~":
        run = len(body) - len(body.rstrip(mark))
        if run >= 3:
            return body[:-run].strip()
        if run:
            break
    return body.strip()


def read_object_at(text: str, pos: int) -> tuple[dict[str, Any] | None, int]:
    """Read one object whose ``{`` is at ``text[pos]``: ``(object or None, end)``.

    ``end`` is just past the object, or ``pos`` when nothing could be read.
    """
    try:
        value, end = read_value(text, pos)
    except (Unreadable, RecursionError):
        return None, pos
    obj = _as_object(value)
    return (obj, end) if obj is not None else (None, pos)


_FAIL = object()


def _read(text: str) -> Any:
    if text[:1] in "{[\"'" or text.startswith("<|"):
        try:
            return read_value(text)[0]
        except (Unreadable, RecursionError):
            return _FAIL
    return _FAIL


def _as_object(value: Any) -> dict[str, Any] | None:
    if isinstance(value, str):
        inner = value.strip()
        if inner == "":
            return {}
        if inner.startswith("{"):
            value = _read(inner)
    return value if isinstance(value, dict) else None


def coerce_scalar(value: str, schema: dict[str, Any] | None) -> Any:
    """Convert a parameter value written as text to the type its schema asks for.

    No schema, or schema type ``string``, keeps the text (typing needs the schema: ``3``
    may be a name); for other types numbers, booleans, ``null``, objects and arrays are
    decoded when they parse, else the text is kept (and fails validation).
    """
    types = schema_types(schema)
    if not types or types <= {"string"}:
        return value
    stripped = value.strip()
    if not _JSONISH.match(value):
        if types & {"boolean"} and stripped in ("True", "False"):
            return stripped == "True"
        return value
    try:
        decoded = json.loads(stripped)
    except (ValueError, RecursionError):
        decoded = _read(stripped)
        if decoded is _FAIL:
            return value
    if types and "string" in types and not isinstance(decoded, (dict, list)):
        return value
    return decoded


def schema_types(schema: dict[str, Any] | None) -> set[str]:
    """The JSON types a (property) schema allows: ``type``, a type list, or the union of
    its ``anyOf`` / ``oneOf`` options; empty when it does not say."""
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
                out |= schema_types(opt if isinstance(opt, dict) else None)
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
