"""Call objects written as bare JSON (or Python repr) in the message text.

* whole message: ``{"name": N, "arguments"|"parameters": {…}}``, ``{"type": "function",
  …}``, ``{"function": {…}}``, lists of those, several objects separated by ``;``/newlines,
  optionally inside one ```` ```json ```` fence;
* trailing: prose followed by such an object that ends the message;
* embedded: anywhere, but only when another (strong) leak was found in the same message;
* Claude ``tool_use`` dicts in Python repr (``{'id': 'toolu_…', 'input': {…}, 'name': N,
  'type': 'tool_use'}``) anywhere — a strong marker.

Bare JSON is weak: it only counts when it names an offered tool with an object argument.

Spec: specs/002-pseudo-tool-calls/spec.md §"Formats".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from .blocks import scan_balanced
from .bodies import strip_closers
from .calldict import calls_from_value
from .literals import Unreadable, read_value
from .model import MAX_LEAKS, Family, Leak, RawCall, Scan
from .names import resolve_name

#: the opening line of a message fenced whole (```` ```json ````)
_FENCE_OPEN = re.compile(r"\s*```(?:json|JSON|tool_call|tool_calls)?[ \t]*\n")
_CALL_OBJECT = re.compile(
    r"\{\s*[\"'](?:name|type|function|tool|tool_name|id|arguments|parameters|recipient_name|"
    r"tool_uses|tool_calls)[\"']\s*:"
)
_REPR_TOOL_USE = re.compile(r"\{\s*'(?:id|type|name|input)'\s*:")


def decode(raw: str) -> Any:
    """Decode one JSON or Python-literal value filling ``raw``; ``None`` when it does not."""
    try:
        value, end = read_value(raw)
    except (Unreadable, RecursionError):
        return None
    return value if not raw[end:].strip() else None


def _fenced_body(core: str) -> str | None:
    """The body of ``core`` when it is one ```` ```json ```` (or bare, ``tool_call``) fenced
    block, closing fence last; else ``None``. String operations after the opening line:
    linear, whatever whitespace the body holds."""
    opener = _FENCE_OPEN.match(core)
    rest = core[opener.end() :].rstrip() if opener else ""
    if not rest.endswith("```"):
        return None
    body = rest[:-3].rstrip(" \t")
    return body[:-1] if body.endswith("\n") else body


def find_whole(scan: Scan) -> list[Leak]:
    """The whole message is call object(s) naming offered tools."""
    text, offered = scan.text, scan.offered
    core = strip_closers(text)  # a stray ``</tool_call>`` after a whole-message call
    fenced = _fenced_body(core)
    body = core if fenced is None else fenced
    stripped = body.strip()
    if stripped[:1] not in ("{", "["):
        return []
    values = _sequence(stripped)
    if values is None:
        return []
    calls = []
    prose: list[str] = []
    for value in values:
        got = calls_from_value(value)
        if got is None:
            got, texts = _content_blocks(value)
            if got is None:
                return []
            prose.extend(texts)
        calls.extend(got)
    if not calls or not all(resolve_name(c.name, offered) for c in calls):
        return []
    start = len(text) - len(text.lstrip())
    leak = Leak(start, len(text.rstrip()), WHOLE.name, calls, False, vetoable=False)
    leak.replacement = "\n\n".join(prose)
    return [leak]


_BLOCK_TYPES = frozenset({"text", "tool_use", "thinking", "redacted_thinking"})


def _content_blocks(value: Any) -> tuple[list[RawCall] | None, list[str]]:
    """Anthropic-style content blocks ``[{'type': 'text', …}, {'type': 'tool_use', …}]``:
    the calls of the ``tool_use`` blocks and the text of the ``text`` blocks."""
    if not isinstance(value, list) or not value:
        return None, []
    calls: list[RawCall] = []
    texts: list[str] = []
    for block in value:
        if not isinstance(block, dict) or block.get("type") not in _BLOCK_TYPES:
            return None, []
        if block["type"] == "text" and isinstance(block.get("text"), str):
            texts.append(block["text"].strip())
        elif block["type"] == "tool_use":
            got = calls_from_value(block)
            if got is None:
                return None, []
            calls.extend(got)
    return (calls or None), texts


def _sequence(body: str) -> list[Any] | None:
    """Decode ``body`` as one value or as values separated by whitespace, ``;`` or ``,``."""
    values: list[Any] = []
    pos = 0
    while pos < len(body):
        if body[pos] not in "{[":
            return None
        end = scan_balanced(body, pos)
        value = decode(body[pos:end] if end is not None else body[pos:])
        if value is None or isinstance(value, str):
            return None
        values.append(value)
        if end is None:
            break
        sep = re.match(r"[\s;,]*", body[end:])
        pos = end + (sep.end() if sep else 0)
    return values or None


def find_leading(scan: Scan) -> list[Leak]:
    """A call object that opens the message, followed by prose (e.g. a hallucinated
    continuation): ``{"name": "get_weather", "arguments": {…}}\n\nThe weather is…``."""
    text, offered = scan.text, scan.offered
    start = len(text) - len(text.lstrip())
    if text[start : start + 1] != "{":
        return []
    end = scan_balanced(text, start)
    if end is None:
        return []
    calls = calls_from_value(decode(text[start:end]))
    if not calls or not all(resolve_name(c.name, offered) for c in calls):
        return []
    return [Leak(start, end, LEADING.name, calls, False, vetoable=False)]


def find_trailing(scan: Scan) -> list[Leak]:
    """A call object that ends the message after prose."""
    return find_objects(scan, trailing_only=True)


#: unclosed call objects read before giving up on the rest of a message (a truncated call
#: may still be followed by a whole one; a message of thousands of openers is not read)
MAX_UNCLOSED = 8


def _objects_at(scan: Scan, pattern: re.Pattern[str]) -> Iterator[tuple[int, int, Any]]:
    """``(start, end, decoded value)`` of each balanced object that starts where ``pattern``
    matches the masked text, outside claimed spans, not overlapping the previous one. At
    most :data:`~.model.MAX_LEAKS` objects, and at most :data:`MAX_UNCLOSED` starts whose
    object runs unclosed to the end of the text (each such read scans all of it)."""
    pos = count = unclosed = 0
    for m in pattern.finditer(scan.masked):
        if count >= MAX_LEAKS or unclosed >= MAX_UNCLOSED:
            return
        if m.start() < pos or not scan.free(m.start()):
            continue
        end = scan_balanced(scan.text, m.start())
        if end is None:
            unclosed += 1
            continue
        count += 1
        yield m.start(), end, decode(scan.text[m.start() : end])
        pos = end


def find_objects(scan: Scan, *, trailing_only: bool) -> list[Leak]:
    """Call objects inside prose: the trailing one only, or all (``trailing_only=False``,
    used next to a proven leak, where a call object of a tool that was not offered is cut
    too: it is part of the leak, never prose)."""
    tail_end = len(scan.text.rstrip())
    if trailing_only and not scan.text[:tail_end].endswith("}"):
        return []
    leaks: list[Leak] = []
    for start, end, value in _objects_at(scan, _CALL_OBJECT):
        calls = calls_from_value(value)
        if not calls or (trailing_only and end != tail_end):
            continue
        if not all(resolve_name(c.name, scan.offered) for c in calls):
            if trailing_only:
                continue
            calls = []
        leaks.append(Leak(start, end, TRAILING.name, calls, False))
    return leaks


def find_tool_use_repr(scan: Scan) -> list[Leak]:
    """Claude ``{'id': 'toolu_…', 'type': 'tool_use', 'name': …, 'input': {…}}`` dicts."""
    leaks: list[Leak] = []
    for start, end, value in _objects_at(scan, _REPR_TOOL_USE):
        if isinstance(value, dict) and value.get("type") == "tool_use":
            calls = calls_from_value(value)
            if calls is not None:
                leaks.append(Leak(start, end, REPR.name, calls, True))
    return leaks


WHOLE = Family("bare_json", find_whole)
REPR = Family(
    "python_repr_tool_use", find_tool_use_repr, markers=("{'id': 'toolu_",), needles=("tool_use",)
)
LEADING = Family("bare_json_leading", find_leading)
TRAILING = Family("bare_json_trailing", find_trailing)
