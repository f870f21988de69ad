"""Tag-style leaks: tool-call wrappers, ``<function=…>``, ``<invoke>``, GLM and Cherry Studio.

* Wrappers — any tag or token whose name ends in ``tool_call(s)`` / ``toolcall``: Hermes /
  Qwen ``<tool_call>``, ``<tool_calls>``, vendor-prefixed ``<seed:tool_call>``,
  ``<minimax:tool_call>``, ``<longcat_tool_call>``, Nemotron ``<TOOLCALL>``, Granite
  ``<|tool_call|>``, Gemma 4 ``<|tool_call>…<tool_call|>``. The body is read by
  :func:`~.bodies.call_in_body`: call objects, ``<function=x><parameter=k>…``, GLM
  ``x<arg_key>k</arg_key><arg_value>v…``, ``<invoke name="x">…``, ``call:x{…}``, ``x {…}``,
  also with a corrupted delimiter (``<name>x\\n</parameter>``, ``x</arg_value>``).
* ``<function=NAME>{…}</function>`` / ``<function=NAME><parameter=…>`` without a wrapper.
* ``<function_calls><invoke name="N"><parameter name="k">v</parameter>…`` (+ DeepSeek DSML).
* GLM ``NAME<arg_key>…`` without a wrapper (missing closers tolerated).
* Cherry Studio ``<tool_use><name>N</name><arguments>{…}</arguments></tool_use>``.

Spec: specs/002-pseudo-tool-calls/spec.md §"Formats".
"""

from __future__ import annotations

import re

from .args import parse_object
from .blocks import blocks
from .bodies import DSML, call_after_name, call_in_body, glm_pairs, only_closers_after
from .model import MAX_LEAKS, Family, Leak, RawCall, Scan
from .names import resolve_name

_WRAP = r"(?:[A-Za-z_][\w.-]*:)?[A-Za-z_]*?(?i:tool[_-]?calls?)"
_WRAP_OPEN = re.compile(rf"<(?:[|｜]{_WRAP}[|｜]?|{_WRAP})>")
_WRAP_CLOSE = re.compile(rf"</{_WRAP}>|<[|｜]?/{_WRAP}[|｜]>|<{_WRAP}[|｜]>")
_TRAILING_CLOSERS = re.compile(rf"(?:\s*(?:{_WRAP_CLOSE.pattern}|</function>))+")
#: the head of a call that the end of the text cut (``<tool_call>\n<function=kb.re``)
_CUT_HEAD = re.compile(rf"\s*<(?:function=|{DSML}invoke\b)")
#: a wrapper body without a letter or digit (empty, ``...``, ``…``) holds no call
_NO_WORD = re.compile(r"[\W_]*")


def _after_closers(text: str, closers: re.Pattern[str], end: int) -> int:
    """Where a leak ending at ``end`` really ends: past the stray closing tags after it."""
    tail = closers.match(text, end)
    return tail.end() if tail else end


def find_wrapped(scan: Scan) -> list[Leak]:
    """Tool-call wrapper blocks (see the module docstring)."""
    text, offered = scan.text, scan.offered
    leaks: list[Leak] = []
    for block in blocks(scan, _WRAP_OPEN, _WRAP_CLOSE):
        if leaks and block.start < leaks[-1].end:
            continue
        body = text[block.body_start : block.body_end]
        calls = call_in_body(body, offered, closed=block.closed)
        if calls is None:
            if _NO_WORD.fullmatch(body) or not (block.closed or _CUT_HEAD.match(body)):
                continue  # (``<tool_call> … </tool_call>`` in prose describes the tags)
            calls = [RawCall(None, None)]  # unreadable, or cut inside the call's head
        end = _after_closers(text, _TRAILING_CLOSERS, block.end)
        leaks.append(Leak(block.start, end, WRAPPED.name, calls, True))
    return leaks


_FN_OPEN = re.compile(r"<function=\s*[\"']?([^>\s\"']{1,128})[\"']?\s*>")
_FN_CLOSE = re.compile(r"</function>")


def find_function_tag(scan: Scan) -> list[Leak]:
    """``<function=NAME>{…}</function>`` / ``<function=NAME><parameter=…>`` outside claims."""
    text, offered = scan.text, scan.offered
    leaks: list[Leak] = []
    for block in blocks(scan, _FN_OPEN, _FN_CLOSE):
        name = block.opener.group(1)
        resolved = resolve_name(name, offered)
        call, args_end = call_after_name(
            text,
            block.body_start,
            name,
            offered.get(resolved) if resolved else None,
            block.body_end,
            closed_at_limit=block.closed,
        )
        call = only_closers_after(call, text, args_end, block.body_end)
        if call is None:
            if not block.closed:
                continue
            rest = text[block.body_start : block.body_end].strip()
            call = RawCall(name, {} if not rest else None)
        end = _after_closers(text, _TRAILING_CLOSERS, block.end)
        leaks.append(Leak(block.start, end, FUNCTION.name, [call], True))
    return leaks


_INVOKE_OPEN = re.compile(rf"<{DSML}invoke\s+name\s*=\s*[\"']([^\"']{{1,128}})[\"'][^>]{{0,400}}>")
_INVOKE_CLOSE = re.compile(rf"</{DSML}invoke\s*>")
_FC_OPEN = re.compile(rf"<{DSML}(?:(?:function|tool)_)?calls\s*>\s*$")
_FC_CLOSE = re.compile(rf"\s*</{DSML}(?:(?:function|tool)_)?calls\s*>")


def find_invoke(scan: Scan) -> list[Leak]:
    """``<function_calls><invoke name="N"><parameter name="k">v</parameter>…`` (+ DSML)."""
    text, offered = scan.text, scan.offered
    leaks: list[Leak] = []
    for idx, block in enumerate(blocks(scan, _INVOKE_OPEN, _INVOKE_CLOSE)):
        name = block.opener.group(1).strip()
        resolved = resolve_name(name, offered)
        schema = offered.get(resolved) if resolved else None
        call, args_end = call_after_name(
            text,
            block.body_start,
            name,
            schema,
            block.body_end,
            any_child=True,
            closed_at_limit=block.closed,
        )
        call = only_closers_after(call, text, args_end, block.body_end)
        if call is None:
            body = text[block.body_start : block.body_end]
            call = RawCall(name, parse_object(body, complete=block.closed))
        start = block.start
        opener = _FC_OPEN.search(text, max(0, start - 200), start)
        if opener and (idx == 0 or not leaks or opener.start() >= leaks[-1].end):
            start = opener.start()
        end = _after_closers(text, _FC_CLOSE, block.end)
        leaks.append(Leak(start, end, INVOKE.name, [call], True))
    return leaks


_TOOL_USE = re.compile(
    r"<tool_use>\s*<name>\s*(?P<name>[^<]+?)\s*</name>\s*(?:<arguments>(?P<args>.*?)"
    r"(?:</arguments>|$))?\s*(?:</tool_use>)?",
    re.S,
)


def find_tool_use(scan: Scan) -> list[Leak]:
    """Cherry Studio prompt-mode ``<tool_use><name>N</name><arguments>{…}</arguments>``."""
    leaks: list[Leak] = []
    for m in re.finditer(r"<tool_use>", scan.masked):
        if len(leaks) >= MAX_LEAKS:
            break
        full = _TOOL_USE.match(scan.text, m.start())
        if not full or not scan.free(m.start()):
            continue
        closed = full.group().rstrip().endswith("</tool_use>")
        args = parse_object(full["args"], complete=closed) if full["args"] is not None else None
        if args is None and full["args"] is None and closed:
            args = {}
        leaks.append(Leak(m.start(), full.end(), TOOL_USE.name, [RawCall(full["name"], args)]))
    return leaks


_ARG_KEY = re.compile(r"<arg_key>")


def find_glm(scan: Scan) -> list[Leak]:
    """GLM ``NAME<arg_key>k</arg_key><arg_value>v</arg_value>`` without a wrapper."""
    text, offered = scan.text, scan.offered
    leaks: list[Leak] = []
    pos = -1
    for m in _ARG_KEY.finditer(scan.masked):
        if m.start() < pos or not scan.free(m.start()):
            continue
        if len(leaks) >= MAX_LEAKS:
            break
        name, start = ident_before(text, m.start())
        resolved = resolve_name(name, offered) if name else None
        call, end = glm_pairs(
            text, m.start(), len(text), name or "", offered.get(resolved) if resolved else None
        )
        end = _after_closers(text, _TRAILING_CLOSERS, max(end, m.end()))
        leaks.append(Leak(start, end, GLM.name, [RawCall(name, call.arguments, True)]))
        pos = end
    return leaks


def ident_before(text: str, pos: int) -> tuple[str | None, int]:
    """The identifier ending right before ``pos`` (whitespace/one newline allowed):
    ``(identifier, its start)``, or ``(None, pos)``."""
    end = pos
    while end > 0 and text[end - 1] in " \t":
        end -= 1
    if end > 0 and text[end - 1] == "\n":
        end -= 1
        while end > 0 and text[end - 1] in " \t\r":
            end -= 1
    start = end
    while (
        start > 0 and (text[start - 1].isalnum() or text[start - 1] in "_.-") and end - start < 128
    ):
        start -= 1
    while start < end and not (text[start].isalpha() or text[start] == "_"):
        start += 1
    if start >= end:
        return None, pos
    return text[start:end], start


WRAPPED = Family(
    "tool_call_tag",
    find_wrapped,
    markers=("<tool_call>", "<tool_calls>", "<|tool_call|>", "<|tool_call>", "<TOOLCALL>"),
    needles=("ool", "OOL"),
)
INVOKE = Family(
    "invoke_xml",
    find_invoke,
    markers=("<function_calls>", "<invoke name=", "<｜DSML｜", "<|DSML|"),
    needles=("invoke",),
)
TOOL_USE = Family("tool_use_tag", find_tool_use, markers=("<tool_use>",), needles=("<tool_use>",))
FUNCTION = Family(
    "function_tag", find_function_tag, markers=("<function=",), needles=("<function=",)
)
GLM = Family(
    "glm_arg_key",
    find_glm,
    markers=("<arg_key>", "<arg_value>", "<parameter="),
    needles=("<arg_key>",),
)
