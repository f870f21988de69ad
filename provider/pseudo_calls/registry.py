"""The extraction pipeline: mask code, run the format families in priority order, validate
the calls, cut the leak spans out of the text.

Spec: specs/002-pseudo-tool-calls/spec.md §"Extraction pipeline" and §"Validation gates".
"""

from __future__ import annotations

import json
import re
from bisect import bisect_left, insort
from collections.abc import Callable
from typing import Any

from . import bare_json, harmony, mistral, pythonic, recipient, token_blocks, xml_tags
from .masking import code_regions, masked_view
from .model import MAX_LEAKS, Extraction, Leak, Offered, RecoveredCall
from .names import resolve_name

Finder = Callable[[str, str, Offered, list[tuple[int, int]]], list[Leak]]

#: (family, finder) in priority order; earlier families claim their spans first.
FAMILIES: tuple[tuple[str, Finder], ...] = (
    (harmony.FAMILY, lambda t, m, o, c: harmony.find(t, m)),
    (harmony.STRIPPED_FAMILY, lambda t, m, o, c: harmony.find_stripped(t, m)),
    (token_blocks.FAMILY_KIMI, lambda t, m, o, c: token_blocks.find_kimi(t, m)),
    (token_blocks.FAMILY_DEEPSEEK, lambda t, m, o, c: token_blocks.find_deepseek(t, m)),
    (token_blocks.FAMILY_KIMI_OPEN, lambda t, m, o, c: token_blocks.find_kimi_open(t, m, o)),
    (token_blocks.FAMILY_LFM, lambda t, m, o, c: token_blocks.find_lfm(t, m)),
    (token_blocks.FAMILY_PYTHON_TAG, lambda t, m, o, c: token_blocks.find_python_tag(t, m)),
    (xml_tags.FAMILY_TOOL_CALL, lambda t, m, o, c: xml_tags.find_tool_call(t, m, o)),
    (xml_tags.FAMILY_INVOKE, lambda t, m, o, c: xml_tags.find_invoke(t, m, o)),
    (xml_tags.FAMILY_TOOL_USE, lambda t, m, o, c: xml_tags.find_tool_use(t, m)),
    (xml_tags.FAMILY_FUNCTION, xml_tags.find_function_tag),
    (xml_tags.FAMILY_GLM, xml_tags.find_glm),
    (mistral.FAMILY, lambda t, m, o, c: mistral.find(t, m, c)),
    (recipient.FAMILY, lambda t, m, o, c: recipient.find(t, m, c)),
    (pythonic.FAMILY_TOOL_CODE, lambda t, m, o, c: pythonic.find_tool_code(t, m)),
    (bare_json.FAMILY, lambda t, m, o, c: bare_json.find_whole(t, o)),
    (bare_json.FAMILY_REPR, lambda t, m, o, c: bare_json.find_tool_use_repr(t, m, c)),
    (pythonic.FAMILY_CLOSING_TAG, lambda t, m, o, c: pythonic.find_closing_tag(t, m, o)),
    (pythonic.FAMILY_NARRATED, lambda t, m, o, c: pythonic.find_narrated(t, m, o)),
    ("bare_json_leading", lambda t, m, o, c: bare_json.find_leading(t, o)),
    (pythonic.FAMILY_PYTHONIC, lambda t, m, o, c: pythonic.find_whole_message(t, o)),
    (
        "bare_json_trailing",
        lambda t, m, o, c: bare_json.find_objects(t, m, o, c, trailing_only=True),
    ),
)

_MARKUP = re.compile(
    r"<arg_key>|<arg_value>|</arg_|<[|｜]|to=functions\.|</?tool_call>|\[TOOL_CALLS\]|\[ARGS\]"
)
_RESULT_CORE = frozenset(
    {
        "stdout",
        "stderr",
        "exit_code",
        "exitCode",
        "returncode",
        "return_code",
        "output",
        "result",
        "results",
    }
)
_RESULT_KEYS = _RESULT_CORE | {
    "error",
    "duration",
    "duration_seconds",
    "wall_time",
    "metadata",
    "status",
}
#: end-of-turn / next-turn tokens: text after them (following a leak) is a fabricated turn
_NEXT_TURN = re.compile(
    r"<\|im_end\|>|<\|im_start\|>|<\|eot_id\|>|<\|start_header_id\|>|<tool_response>"
    r"|<\|endoftext\|>|<end_of_turn>|<start_of_turn>|<[|｜]start[|｜]>\s*(?:functions\.|user)"
)
_ORPHANS = re.compile(
    r"<[|｜](?:start|end|message|channel|constrain|return|call|tool_calls?_section_(?:begin|end)"
    r"|tool_call_(?:begin|end|argument_begin)|python_tag|eom_id|eot_id|python_start|python_end"
    r"|tool_call_start|tool_call_end)[|｜]>"
    r"|<[|｜]tool[▁_ ](?:calls?|sep)[▁_ ]?(?:begin|end)?[|｜]>|<[|｜]tool[▁_ ]sep[|｜]>"
    r"|</?tool_call>|\[TOOL_CALLS\]|</?function_calls>|<\|(?:open|close)\|>\s*\w*\s*<\|sep\|>"
    r"|<\|sep\|>"
)


def run(text: str, offered: Offered) -> Extraction:
    """Implementation of :func:`provider.pseudo_calls.extract` (see there)."""
    if not text or not text.strip():
        return Extraction("none", (), text, None)
    masked = masked_view(text)
    leaks: list[Leak] = []
    claimed: list[tuple[int, int]] = []
    for _family, finder in FAMILIES:
        _add(leaks, claimed, finder(text, masked, offered, claimed))
    transcript_at = _transcript_start(masked)
    kept: list[tuple[Leak, list[RecoveredCall]]] = []
    for leak in leaks:
        if leak.start >= transcript_at or (leak.vetoable and explained(text, leak.start)):
            continue
        valid, results_only = _validate(leak, offered)
        if results_only or (not leak.strong and not valid):
            continue
        kept.append((leak, valid))
    if not kept:
        return Extraction("none", (), text, None)
    if any(leak.strong for leak, _ in kept):
        spans = sorted((lk.start, max(lk.end, lk.start + 1)) for lk, _ in kept)
        extra = bare_json.find_objects(text, masked, offered, spans, trailing_only=False)
        for leak in extra:
            valid, _results_only = _validate(leak, offered)
            if valid:
                kept.append((leak, valid))
    kept.sort(key=lambda item: item[0].start)
    calls = _dedupe([c for _, valid in kept for c in valid])
    first = next((lk for lk, _ in kept if lk.strong), kept[0][0])
    visible = _visible(text, [lk for lk, _ in kept])
    status = "recovered" if calls else "unrecoverable"
    return Extraction(status, tuple(calls), visible, first.family)


_TRANSCRIPT = re.compile(
    r"<\|im_start\|>\s*(?:system|user)\b|<[|｜]start[|｜]>\s*(?:system|user|developer)\b"
    r"|<\|start_header_id\|>\s*(?:system|user)\b|<start_of_turn>\s*user\b"
)
_EXPLAINED = re.compile(
    r"(?i)\b(?:examples?|e\.g\.|for instance|such as|looks? like|syntax|template|parsers?|"
    r"emits?|(?:the|this|that|following|a|call|output) format|format (?:is|looks)|"
    r"formatted as)\b|format:"
    r"|例如|比如|示例|例子|格式|语法|形式|例えば|次のように|以下のように|記法"
)


def _transcript_start(masked: str) -> int:
    """Where a quoted *conversation* begins (a system/user turn header): everything after
    it documents a prompt format, since a model's own output starts inside its turn."""
    m = _TRANSCRIPT.search(masked)
    return m.start() if m else len(masked) + 1


def explained(text: str, start: int) -> bool:
    """True when the text just before ``start`` explains syntax ("for example", "格式" …).

    Looks at the same line before ``start``; when the leak starts its line, at the previous
    non-blank line (an introduction such as "The format looks like this:").
    """
    line_start = text.rfind("\n", 0, start) + 1
    context = text[max(line_start, start - 160) : start]
    end = line_start - 1
    hops = 0
    while not context.strip() and end > 0 and hops < 3:
        prev_start = text.rfind("\n", 0, end) + 1
        context = text[max(prev_start, end - 160) : end]
        end = prev_start - 1
        hops += 1
    return _EXPLAINED.search(context) is not None


def _add(leaks: list[Leak], claimed: list[tuple[int, int]], found: list[Leak]) -> None:
    """Keep the leaks that overlap no claimed span; ``claimed`` stays sorted."""
    for leak in found:
        if len(leaks) >= MAX_LEAKS:
            return
        i = bisect_left(claimed, (leak.start, leak.start))
        if i > 0 and claimed[i - 1][1] > leak.start:
            continue
        if i < len(claimed) and claimed[i][0] < max(leak.end, leak.start + 1):
            continue
        leaks.append(leak)
        insort(claimed, (leak.start, max(leak.end, leak.start + 1)))


def _validate(leak: Leak, offered: Offered) -> tuple[list[RecoveredCall], bool]:
    """Return ``(valid calls, True if every readable call was a hallucinated result)``."""
    valid: list[RecoveredCall] = []
    results = 0
    for raw in leak.calls:
        name = resolve_name(raw.name, offered)
        args = raw.arguments
        if name is None or args is None:
            continue
        schema = offered.get(name)
        if _result_like(args, schema):
            results += 1
            continue
        if _has_markup(args) or not _required_present(args, schema):
            continue
        valid.append(RecoveredCall(name, args))
    return valid, bool(leak.calls) and results == len(leak.calls)


def _result_like(args: dict[str, Any], schema: dict[str, Any] | None) -> bool:
    if not args or not set(args) <= _RESULT_KEYS or not set(args) & _RESULT_CORE:
        return False
    props = schema.get("properties") if isinstance(schema, dict) else None
    declared = set(props) if isinstance(props, dict) else set()
    return not (set(args) & declared)


def _has_markup(value: Any) -> bool:
    if isinstance(value, str):
        return _MARKUP.search(value) is not None
    if isinstance(value, dict):
        return any(_has_markup(k) or _has_markup(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_markup(v) for v in value)
    return False


def _required_present(args: dict[str, Any], schema: dict[str, Any] | None) -> bool:
    required = schema.get("required") if isinstance(schema, dict) else None
    if not isinstance(required, list):
        return True
    return all(key in args for key in required if isinstance(key, str))


def _dedupe(calls: list[RecoveredCall]) -> list[RecoveredCall]:
    seen: set[tuple[str, str]] = set()
    out: list[RecoveredCall] = []
    for call in calls:
        key = (
            call.name,
            json.dumps(call.arguments, sort_keys=True, ensure_ascii=False, default=str),
        )
        if key not in seen:
            seen.add(key)
            out.append(call)
    return out


def _visible(text: str, leaks: list[Leak]) -> str:
    """The text with leak spans replaced; a hallucinated next turn after a leak is cut."""
    pieces: list[str] = []
    pos = 0
    for leak in sorted(leaks, key=lambda lk: lk.start):
        if leak.start < pos:
            continue
        pieces.append(text[pos : leak.start])
        pieces.append(leak.replacement)
        pos = leak.end
    rest = text[pos:]
    turn = _NEXT_TURN.search(rest)
    pieces.append(rest[: turn.start()] if turn else rest)
    cleaned = [_drop_orphans(p).strip() for p in pieces]
    return "\n\n".join(p for p in cleaned if p)


def _drop_orphans(piece: str) -> str:
    if not _ORPHANS.search(piece):
        return piece
    regions = code_regions(piece)
    out: list[str] = []
    pos = 0
    for m in _ORPHANS.finditer(piece):
        if any(a <= m.start() < b for a, b in regions):
            continue
        out.append(piece[pos : m.start()])
        pos = m.end()
    out.append(piece[pos:])
    return "".join(out)
