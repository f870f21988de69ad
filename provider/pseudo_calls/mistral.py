"""Mistral ``[TOOL_CALLS]`` leaks: the JSON-list form and the ``NAME[ARGS]{…}`` form.

``[TOOL_CALLS][{"name": "f", "arguments": {…}, "id": "abc123def"}]`` (Nemo, Small, Ministral)
and ``[TOOL_CALLS]f[ARGS]{…}`` (Mistral 3 / Devstral; repeatable, optional
``[CALL_ID]id``). One JSON value is decoded after each ``[ARGS]`` (braces inside strings
respected, trailing prose ignored). ``[TOOL_CALLS]`` followed by prose is documentation,
not a call.

Spec: specs/002-pseudo-tool-calls/spec.md §"Formats" (mistral_TOOL_CALLS_json_list,
mistral_TOOL_CALLS_name_ARGS).
"""

from __future__ import annotations

import re

from .args import parse_object
from .blocks import scan_balanced, skip_ws
from .calldict import calls_from_value
from .literals import Unreadable, read_value
from .model import MAX_LEAKS, Family, Leak, RawCall, Scan, inside

_TOKEN = re.compile(r"\[TOOL_CALLS\]")
_WS = re.compile(r"\s*")
_AGAIN = re.compile(r"\s*\[TOOL_CALLS\]")
_NAMED = re.compile(r"\s*([A-Za-z_][\w.\-]*)\s*(?:\[CALL_ID\]\s*[\w-]*\s*)?\[ARGS\]\s*")
#: a name right before ``[ARGS]{`` (the lookbehind starts it at a name's first character:
#: a long word is scanned once, not once per character)
_ARGS_ONLY = re.compile(r"(?<![\w.\-])([A-Za-z_][\w.\-]*)(?:\[CALL_ID\][\w-]*)?\[ARGS\]\s*(?=\{)")


def find(scan: Scan) -> list[Leak]:
    """``[TOOL_CALLS]`` blocks and stray ``NAME[ARGS]{…}`` (token already stripped)."""
    text, masked, claimed = scan.text, scan.masked, scan.claimed
    leaks: list[Leak] = []
    seen = 0  # tokens before this were read (a block, or a run of repeated tokens)
    for m in _TOKEN.finditer(masked):
        if len(leaks) >= MAX_LEAKS:
            break
        if m.start() < seen:
            continue
        seen = _past_repeats(text, m.end())
        leak = _block(text, m.start(), seen)
        if leak is not None:
            leaks.append(leak)
            seen = max(seen, leak.end)
    taken = sorted(claimed + [(lk.start, max(lk.end, lk.start + 1)) for lk in leaks])
    for m in _ARGS_ONLY.finditer(masked):
        if inside(m.start(), taken):
            continue
        leak = _block(text, m.start(), m.start())
        if leak is not None:
            leaks.append(leak)
            taken = sorted([*taken, (leak.start, max(leak.end, leak.start + 1))])
        if len(leaks) >= MAX_LEAKS:
            break
    return leaks


def _past_repeats(text: str, pos: int) -> int:
    """The end of a run of repeated tokens from ``pos`` (``[TOOL_CALLS][TOOL_CALLS]…``)."""
    again = _AGAIN.match(text, pos)
    while again:
        pos = again.end()
        again = _AGAIN.match(text, pos)
    return pos


def _block(text: str, start: int, pos: int) -> Leak | None:
    """The call(s) of a block whose token(s) end at ``pos`` (``start``: where it begins)."""
    body = skip_ws(text, pos)
    if text[body : body + 1] in ("[", "{"):
        end = scan_balanced(text, body)
        raw = text[body:end] if end else text[body:]
        value = parse_object(raw) if raw.startswith("{") else _list(raw)
        listed = calls_from_value(value) if value is not None else None
        return Leak(start, end or len(text), MISTRAL.name, listed or [RawCall(None, None)], True)
    calls: list[RawCall] = []
    cursor = pos
    while True:
        named = _NAMED.match(text, cursor)
        if not named:
            break
        arg_start = named.end()
        if text[arg_start : arg_start + 1] != "{":
            calls.append(RawCall(named.group(1), {} if not text[arg_start:].strip() else None))
            cursor = arg_start
            break
        end = scan_balanced(text, arg_start)
        raw = text[arg_start:end] if end else text[arg_start:]
        calls.append(RawCall(named.group(1), parse_object(raw)))
        cursor = end or len(text)
        again = _AGAIN.match(text, cursor)
        if again:
            cursor = again.end()
    if not calls:
        return None
    return Leak(start, cursor, MISTRAL.name, calls, True)


def _list(raw: str) -> object:
    try:
        return read_value(raw)[0]
    except (Unreadable, RecursionError):
        return None


MISTRAL = Family(
    "mistral", find, markers=("[TOOL_CALLS]", "[ARGS]"), needles=("[TOOL_CALLS]", "[ARGS]")
)
