"""The extraction pipeline: mask code, run the format families in priority order, validate
the calls, cut the leak spans out of the text.

Spec: specs/002-pseudo-tool-calls/spec.md §"Extraction pipeline" and §"Validation gates".
"""

from __future__ import annotations

import json
import re
from bisect import bisect_left, insort
from typing import Any

from . import anchored, bare_json, harmony, mistral, pythonic, recipient, token_blocks, xml_tags
from .bodies import CLOSING_TAGS, closer_before
from .masking import code_regions, masked_view
from .mentions import PLACEHOLDER, mention, transcript_start
from .model import (
    MAX_LEAKS,
    Extraction,
    Family,
    Leak,
    Offered,
    RawCall,
    RecoveredCall,
    Scan,
    Status,
    inside,
)
from .names import resolve_name
from .reasoning import drafted, reasoning_spans
from .schema import fits

#: The leak formats in priority order; earlier families claim their spans first.
FAMILIES: tuple[Family, ...] = (
    harmony.HARMONY,
    harmony.STRIPPED,
    token_blocks.KIMI,
    token_blocks.DEEPSEEK,
    token_blocks.KIMI_OPEN,
    token_blocks.LFM,
    token_blocks.PYTHON_TAG,
    xml_tags.WRAPPED,
    xml_tags.INVOKE,
    xml_tags.TOOL_USE,
    xml_tags.FUNCTION,
    xml_tags.GLM,
    mistral.MISTRAL,
    recipient.RECIPIENT,
    pythonic.TOOL_CODE,
    bare_json.WHOLE,
    bare_json.REPR,
    pythonic.CLOSING_TAG,
    pythonic.NARRATED,
    bare_json.LEADING,
    pythonic.PYTHONIC,
    anchored.GENERIC,
    bare_json.TRAILING,
)

#: every literal marker of every family (the streaming guard holds text from these)
MARKERS: tuple[str, ...] = tuple(dict.fromkeys(m for f in FAMILIES for m in f.markers))
#: the family each marker belongs to (the first that lists it)
_MARKER_FAMILY: dict[str, str] = {m: f.name for f in reversed(FAMILIES) for m in f.markers}

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
    r"|✿RESULT✿"
)
_ORPHANS = re.compile(
    r"<[|｜](?:start|end|message|channel|constrain|return|call|tool_calls?_section_(?:begin|end)"
    r"|tool_call_(?:begin|end|argument_begin)|python_tag|eom_id|eot_id|python_start|python_end"
    r"|tool_call_start|tool_call_end)[|｜]>"
    r"|<[|｜]tool[▁_ ](?:calls?|sep)[▁_ ]?(?:begin|end)?[|｜]>|<[|｜]tool[▁_ ]sep[|｜]>"
    r"|</?tool_call>|\[TOOL_CALLS\]|</?function_calls>|<\|(?:open|close)\|>\s*\w*\s*<\|sep\|>"
    r"|<\|sep\|>"
    # any other special token of a chat template, with the one word of a header field it
    # opens (``<|from|>assistant``, ``<|recipient|>all``; ``<|content|>Some text`` keeps it)
    r"|<[|｜]/?[A-Za-z_][\w▁]{0,40}[|｜]>"
    r"(?:[ \t]*[A-Za-z_][\w.\-]{0,40}(?=[ \t]*(?:\r?\n|<[|｜]|\Z)))?"
)


def run(text: str, offered: Offered) -> Extraction:
    """Implementation of :func:`provider.pseudo_calls.extract` (see there)."""
    if not text or not text.strip():
        return Extraction("none", (), text, None)
    scan = Scan(text, masked_view(text), offered)
    leaks: list[Leak] = []
    for family in FAMILIES:
        if family.applies(scan.masked):
            _add(leaks, scan.claimed, family.find(scan))
    _add(leaks, scan.claimed, _dangling(scan))
    transcript_at = transcript_start(scan.masked)
    kept: list[tuple[Leak, list[RecoveredCall]]] = []
    mentioned_lines: set[int] = set()  # a call on the line of a mention is shown too
    for leak in sorted(leaks, key=lambda lk: lk.start):
        line = text.rfind("\n", 0, leak.start) + 1
        if leak.start >= transcript_at or (
            leak.vetoable and (line in mentioned_lines or mention(text, leak.start, leak.end))
        ):
            mentioned_lines.add(line)
            continue
        valid, results_only = _validate(leak, offered)
        if results_only or (not leak.strong and not valid):
            continue
        if not valid and PLACEHOLDER.search(text, leak.start, leak.end):
            continue  # a format description with placeholders, not a call
        kept.append((leak, valid))
    if not kept:
        return Extraction("none", (), text, None)
    kept = _drop_drafts(scan.masked, kept)
    if kept:
        spans = sorted((lk.start, max(lk.end, lk.start + 1)) for lk, _ in kept)
        extra = bare_json.find_objects(Scan(text, scan.masked, offered, spans), trailing_only=False)
        for leak in extra:
            valid, _results_only = _validate(leak, offered)
            if valid or not leak.calls:
                kept.append((leak, valid))  # a call object beside a leak is cut, run or not
    kept.sort(key=lambda item: item[0].start)
    for leak, _valid in kept:  # closing tags / tokens right after a leak belong to it (``</s>``)
        tail = CLOSING_TAGS.match(text, leak.end)
        if tail:
            leak.end = tail.end()
    calls = _dedupe([c for _, valid in kept for c in valid])
    first = next((lk for lk, _ in kept if lk.strong), kept[0][0])
    visible = _visible(text, [lk for lk, _ in kept])
    status: Status = "recovered" if calls else "unrecoverable"
    return Extraction(status, tuple(calls), visible, first.family)


def _dangling(scan: Scan) -> list[Leak]:
    """A message that ends in markers with nothing read after them — ``<tool_call>``,
    ``[TOOL_CALLS][TOOL_CALLS]``, ``<tool_call>\n</tool_call>``: the model opened a call and
    wrote none. One strong leak without a call (unrecoverable) from the first of those
    markers, when it starts its line or is glued to the text before it (a marker after a
    space ends a sentence that names it) and is not in code. Linear in the text's length.
    """
    text, masked = scan.text, scan.masked
    pos = len(text.rstrip())
    first: int | None = None
    first_marker = ""
    while pos:
        marker = next((m for m in MARKERS if text.endswith(m, 0, pos)), None)
        if marker is not None:
            pos -= len(marker)
            first, first_marker = pos, marker
        elif (closer := closer_before(text, pos)) is not None:
            pos = closer
        else:
            break
        while pos and text[pos - 1].isspace():
            pos -= 1
    if first is None or masked[first] != text[first]:
        return []
    before = text[text.rfind("\n", 0, first) + 1 : first]
    if before.strip() and before[-1].isspace():
        return []
    return [Leak(first, len(text), _MARKER_FAMILY[first_marker], [RawCall(None, None)])]


def _drop_drafts(
    masked: str, kept: list[tuple[Leak, list[RecoveredCall]]]
) -> list[tuple[Leak, list[RecoveredCall]]]:
    """Calls inside a reasoning block that a call follows are drafts: cut, not run
    (:mod:`.reasoning`)."""
    spans = reasoning_spans(masked)
    if not spans:
        return kept
    later = [lk.start for lk, valid in kept if valid]
    return [(lk, [] if drafted(lk.start, lk.end, spans, later) else v) for lk, v in kept]


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
        if _has_markup(args) or not fits(args, schema):
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
        pieces.append(_header_word_cut(text, pos, leak.start))
        pieces.append(leak.replacement)
        pos = leak.end
    rest = _header_word_cut(text, pos, len(text))
    turn = _NEXT_TURN.search(rest)
    pieces.append(rest[: turn.start()] if turn else rest)
    cleaned = [_drop_orphans(p).strip() for p in pieces]
    return "\n\n".join(p for p in cleaned if p)


#: the header word a special token ending the previous leak opened (``<|from|>assistant``)
_HEADER_WORD = re.compile(r"[ \t]*[A-Za-z_][\w.\-]{0,40}[ \t]*(?=\r?\n|<[|｜]|\Z)")


def _header_word_cut(text: str, start: int, end: int) -> str:
    """``text[start:end]`` without the header word that begins it when ``start`` follows
    a special token (the token itself was cut with the leak before it)."""
    if start and text[start - 2 : start] in ("|>", "｜>"):
        word = _HEADER_WORD.match(text, start, end)
        if word:
            start = word.end()
    return text[start:end]


def _drop_orphans(piece: str) -> str:
    if not _ORPHANS.search(piece):
        return piece
    regions = code_regions(piece)
    out: list[str] = []
    pos = 0
    for m in _ORPHANS.finditer(piece):
        if inside(m.start(), regions):
            continue
        out.append(piece[pos : m.start()])
        pos = m.end()
    out.append(piece[pos:])
    return "".join(out)
