"""Special-token call blocks: DeepSeek, Kimi K2, Kimi K3 ``<|open|>`` markup, LFM2 and
Llama ``<|python_tag|>``.

* DeepSeek V3/R1: ``<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>NAME
  ```json {…} ```<｜tool▁call▁end｜>``; V3.1: ``…<｜tool▁call▁begin｜>NAME<｜tool▁sep｜>{…}``.
  Bars may be ``|`` or ``｜``, ``▁`` may be ``_``.
* Kimi K2: ``<|tool_calls_section_begin|><|tool_call_begin|> functions.NAME:0
  <|tool_call_argument_begin|> {…} <|tool_call_end|>`` (argument token optional).
* Kimi K3: ``<|open|>toolscall tool="N" index="1"<|sep|><|open|>argument key="k"
  type="string"<|sep|>v<|close|>argument<|sep|>…<|close|>call<|sep|>``.
* LFM2: ``<|tool_call_start|>[f(a=1)]<|tool_call_end|>``.
* Llama 3.x: ``<|python_tag|>{"name": …, "parameters": …}`` or ``<|python_tag|>f.call(…)``.

Spec: specs/002-pseudo-tool-calls/spec.md §"Formats" (deepseek_tool_call_tokens,
kimi_k2_tool_call_tokens, kimi_open_sep_markup).
"""

from __future__ import annotations

import html
import re
from typing import Any, NamedTuple

from .args import coerce_scalar, parse_object, property_schema
from .blocks import blocks, scan_balanced, skip_ws
from .bodies import call_in_body, keyword_arguments
from .calldict import calls_from_value
from .model import Family, Leak, Offered, RawCall, Scan
from .pythonic import calls_from_source, python_source


class _Tokens(NamedTuple):
    """The special tokens of a token-block format (DeepSeek and Kimi share the shape:
    a section around calls, each call between two tokens, a token before its arguments)."""

    section_begin: re.Pattern[str]
    section_end: re.Pattern[str]
    call_begin: re.Pattern[str]
    call_end: re.Pattern[str]
    args: re.Pattern[str]


def _deepseek_token(words: str) -> re.Pattern[str]:
    """A DeepSeek token: full-width bars, or ASCII bars with ``▁`` (not Kimi's ``<|a_b|>``)."""
    spaced, loose = words.replace(" ", "▁"), words.replace(" ", r"[▁_ ]")
    return re.compile(rf"(?:<｜\s*{loose}\s*｜>|<\|{spaced}\|>)")


_DEEPSEEK = _Tokens(
    *map(
        _deepseek_token,
        ("tool calls begin", "tool calls end", "tool call begin", "tool call end", "tool sep"),
    )
)
_KIMI = _Tokens(
    *(
        re.compile(rf"<\|{t}\|>")
        for t in (
            "tool_calls?_section_begin",
            "tool_calls?_section_end",
            "tool_call_begin",
            "tool_call_end",
            "tool_call_argument_begin",
        )
    )
)


def find_deepseek(scan: Scan) -> list[Leak]:
    """DeepSeek ``tool▁call▁begin`` blocks, merged when adjacent (one section)."""
    text = scan.text
    if "｜" not in scan.masked and "▁" not in scan.masked:
        return []
    leaks: list[Leak] = []
    for block in blocks(scan, _DEEPSEEK.call_begin, _DEEPSEEK.call_end):
        stop = _DEEPSEEK.section_end.search(text, block.body_start, block.body_end)
        body_end = stop.start() if stop else block.body_end
        end = block.end if block.closed and not stop else body_end
        tail = _DEEPSEEK.section_end.match(text, skip_ws(text, end))
        if tail:
            end = tail.end()
        start = _preceding(_DEEPSEEK.section_begin, text, block.start)
        calls = _deepseek_calls(
            text[block.body_start : body_end], block.closed or bool(stop), scan.offered
        )
        leaks.append(Leak(start, end, DEEPSEEK.name, calls))
    return _merge_adjacent(text, leaks)


def _deepseek_calls(body: str, closed: bool, offered: Offered) -> list[RawCall]:
    sep = _DEEPSEEK.args.search(body)
    if not sep:
        return [RawCall(None, None)]
    left, right = body[: sep.start()].strip(), body[sep.end() :]
    if left in ("function", "") and right.lstrip().startswith("<"):
        # another markup inside the token block (StepFun ``<steptml:invoke name=…>``)
        return call_in_body(right, offered, closed=closed) or [RawCall(None, None)]
    return [_deepseek_call(left, right, closed)]


def _deepseek_call(left: str, right: str, closed: bool) -> RawCall:
    if left in ("function", ""):
        name_line, _nl, rest = right.lstrip().partition("\n")
        name = name_line.strip()
        if "{" in name:  # name and JSON on one line
            name, brace, after = name.partition("{")
            name, rest = name.strip(), brace + after + "\n" + rest
        return RawCall(name or None, parse_object(rest, complete=closed))
    return RawCall(left, parse_object(right, complete=closed))


def find_kimi(scan: Scan) -> list[Leak]:
    """Kimi K2 ``<|tool_call_begin|>`` blocks (optionally inside a section)."""
    text = scan.text
    leaks: list[Leak] = []
    for block in blocks(scan, _KIMI.call_begin, _KIMI.call_end):
        if leaks and block.start < leaks[-1].end:
            continue
        body_end = block.body_end
        sec_end = _KIMI.section_end.search(text, block.body_start, body_end)
        if sec_end:
            body_end = sec_end.start()
        body = text[block.body_start : body_end]
        arg = _KIMI.args.search(body)
        if arg:
            ident, raw_args = body[: arg.start()].strip(), body[arg.end() :]
        else:
            parts = body.strip().split(None, 1)
            ident = parts[0] if parts else ""
            raw_args = parts[1] if len(parts) > 1 else ""
            if "{" in ident:
                ident, brace, after = ident.partition("{")
                raw_args = brace + after + raw_args
        name = re.sub(r":\d+$", "", ident) or None
        start = _preceding(_KIMI.section_begin, text, block.start)
        end = block.end if block.closed else body_end
        tail = _KIMI.section_end.match(text, skip_ws(text, end))
        if tail:
            end = tail.end()
        args = parse_object(raw_args, complete=block.closed)
        leaks.append(Leak(start, end, KIMI.name, [RawCall(name, args)], True))
    return _merge_adjacent(text, leaks)


_K3_CALL = re.compile(
    r"<\|open\|>\s*(?:tools)?\s*call\s+tool\s*=\s*\"([^\"]*)\"(?:\s+index\s*=\s*\"[^\"]*\")?"
    r"\s*<\|sep\|>"
)
_K3_ARG = re.compile(
    r"<\|open\|>\s*argument\s+key\s*=\s*\"([^\"]*)\"(?:\s+type\s*=\s*\"([^\"]*)\")?\s*<\|sep\|>"
)
#: what ends a value (only ``<|close|>`` does it cleanly) and what ends a call
_K3_VALUE_END, _K3_CALL_END = map(
    re.compile, (r"<\|close\|>|<\|open\|>|<\|sep\|>", r"<\|close\|>\s*call\s*<\|sep\|>")
)
#: stray tokens around a call
_K3_JUNK = (
    re.compile(r"(?:<\|(?:open|close)\|>)?\s*(?:response|tools|toolsmessage)?\s*<\|sep\|>\s*$"),
    re.compile(r"(?:\s*<\|(?:open|close)\|>\s*\w*\s*<\|sep\|>|\s*<\|sep\|>)+"),
)


def find_kimi_open(scan: Scan) -> list[Leak]:
    """Kimi K3 ``<|open|>toolscall tool="N"<|sep|>…`` markup (close tokens may be lost)."""
    text, offered = scan.text, scan.offered
    leaks: list[Leak] = []
    for block in blocks(scan, _K3_CALL, _K3_CALL_END):
        name = html.unescape(block.opener.group(1)).strip() or None
        schema = offered.get(name) if name else None
        values: dict[str, Any] = {}
        broken = not block.closed  # the call was cut before its ``<|close|>call`` token
        for a in _K3_ARG.finditer(text, block.body_start, block.body_end):
            value_end = _K3_VALUE_END.search(text, a.end(), block.body_end)
            if value_end is None or value_end.group() != "<|close|>":
                broken = True  # the value's ``<|close|>`` was lost: where it ends is a guess
                break
            value = html.unescape(text[a.end() : value_end.start()])
            key = html.unescape(a.group(1))
            kind = (a.group(2) or "").lower()
            if kind == "string":
                values[key] = value
            else:
                prop = property_schema(schema, key) or ({"type": kind} if kind else None)
                values[key] = coerce_scalar(value.strip(), prop)
        args = None if broken else values
        start = block.start
        junk = _K3_JUNK[0].search(text, max(0, start - 40), start)
        if junk:
            start = junk.start()
        end = block.end
        after = _K3_JUNK[1].match(text, end)
        if after:
            end = after.end()
        leaks.append(Leak(start, end, KIMI_OPEN.name, [RawCall(name, args, True)], True))
    return leaks


_LFM = (re.compile(r"<\|tool_call_start\|>"), re.compile(r"<\|tool_call_end\|>"))


def find_lfm(scan: Scan) -> list[Leak]:
    """LFM2 ``<|tool_call_start|>[f(a=1)]<|tool_call_end|>`` (pythonic list inside)."""
    leaks: list[Leak] = []
    for block in blocks(scan, *_LFM, bounded=False):
        body = scan.text[block.body_start : block.body_end]
        calls = calls_from_source(python_source(body)) or [RawCall(None, None)]
        leaks.append(Leak(block.start, block.end, LFM.name, calls, True))
    return leaks


_PY_TAG = (re.compile(r"<\|python_tag\|>"), re.compile(r"<\|(?:eom_id|eot_id|python_end)\|>"))


def find_python_tag(scan: Scan) -> list[Leak]:
    """Llama ``<|python_tag|>`` followed by JSON call objects or ``f.call(k=v)``."""
    leaks: list[Leak] = []
    for block in blocks(scan, *_PY_TAG, bounded=False):
        body = scan.text[block.body_start : block.body_end].strip()
        calls: list[RawCall] | None = None
        if body.startswith("{"):
            calls = []
            pos = 0
            while pos < len(body) and body[pos] == "{":
                stop = scan_balanced(body, pos) or len(body)
                got = calls_from_value(parse_object(body[pos:stop]))
                calls.extend(got or [RawCall(None, None)])
                sep = re.match(r"[\s;,]*", body[stop:])
                pos = stop + (sep.end() if sep else 0)
        else:
            calls = _builtin_call(body)
        leaks.append(Leak(block.start, block.end, PYTHON_TAG.name, calls or [RawCall(None, None)]))
    return leaks


def _builtin_call(body: str) -> list[RawCall] | None:
    """Llama built-in tools: ``brave_search.call(query="…")``."""
    m = re.match(r"([A-Za-z_][\w.\-]*?)\.call\((.*)\)\s*$", body, re.S)
    if m is None:
        return calls_from_source(body)
    args = keyword_arguments(m.group(2))
    return [RawCall(m.group(1), args)]


def _preceding(token: re.Pattern[str], text: str, start: int) -> int:
    """Start of ``token`` when it directly precedes ``start`` (whitespace between)."""
    found = start
    for m in token.finditer(text, max(0, start - 120), start):
        if not text[m.end() : start].strip():
            found = m.start()
    return found


def _merge_adjacent(text: str, leaks: list[Leak]) -> list[Leak]:
    merged: list[Leak] = []
    for leak in leaks:
        if merged and not text[merged[-1].end : leak.start].strip():
            merged[-1].end = leak.end
            merged[-1].calls.extend(leak.calls)
        else:
            merged.append(leak)
    return merged


DEEPSEEK = Family(
    "deepseek_tokens",
    find_deepseek,
    markers=(
        "<｜tool▁calls▁begin｜>",
        "<｜tool▁call▁begin｜>",
        "<|tool▁calls▁begin|>",
        "<|tool▁call▁begin|>",
        "<｜tool_calls_begin｜>",
        "<｜tool_call_begin｜>",
    ),
    needles=("tool",),
)
KIMI = Family(
    "kimi_tokens",
    find_kimi,
    markers=(
        "<|tool_calls_section_begin|>",
        "<|tool_call_section_begin|>",
        "<|tool_call_begin|>",
        "<|tool_call_argument_begin|>",
    ),
    needles=("<|tool_call_begin|>",),
)
KIMI_OPEN = Family(
    "kimi_open_sep", find_kimi_open, markers=("<|open|>", "<|sep|>"), needles=("<|open|>",)
)
LFM = Family(
    "lfm_tool_call", find_lfm, markers=("<|tool_call_start|>",), needles=("<|tool_call_start|>",)
)
PYTHON_TAG = Family(
    "python_tag",
    find_python_tag,
    markers=("<|python_tag|>", "<|python_start|>"),
    needles=("<|python_tag|>",),
)
