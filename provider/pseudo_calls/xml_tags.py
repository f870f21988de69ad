"""Tag-style leaks: Hermes/Qwen ``<tool_call>``, Qwen3-Coder ``<function=…><parameter=…>``,
Llama ``<function=NAME>{…}</function>``, GLM ``NAME<arg_key>k</arg_key><arg_value>v…``,
``<function_calls><invoke name><parameter name>`` (incl. DeepSeek DSML ``<｜DSML｜invoke``)
and Cherry Studio ``<tool_use><name>…</name><arguments>…</arguments></tool_use>``.

Spec: specs/002-pseudo-tool-calls/spec.md §"Formats" (xml_tool_call_json,
qwen3coder_xml_function_parameter, llama_function_tag, glm_tool_call_arg_key,
xml_function_calls_invoke_parameter).
"""

from __future__ import annotations

import ast
import html
import json
import re
from typing import Any

from .args import coerce_scalar, parse_object, property_schema
from .calldict import calls_from_value
from .model import MAX_LEAKS, Leak, Offered, RawCall, inside

FAMILY_TOOL_CALL = "tool_call_tag"
FAMILY_FUNCTION = "function_tag"
FAMILY_GLM = "glm_arg_key"
FAMILY_INVOKE = "invoke_xml"
FAMILY_TOOL_USE = "tool_use_tag"

_TC_OPEN = re.compile(r"<tool_call>")
_TC_CLOSE = re.compile(r"</tool_call>")
_TC_TAIL = re.compile(r"\s*</tool_call>")
_FN_OPEN = re.compile(r"<function=([^>\s]+)>")
_FN_CLOSE = re.compile(r"</function>")
_PARAM = re.compile(
    r"<parameter=([^>\s]+)>(.*?)(?:</parameter>|(?=<parameter=|</function>|$))", re.S
)
_ARG_KEY = re.compile(r"<arg_key>")
_KEY_OPEN = re.compile(r"\s*<arg_key>")
_KEY_END = re.compile(r"</arg_key>|<arg_value>")
_VALUE_OPEN = re.compile(r"\s*<arg_value>")
_VALUE_END = re.compile(r"</arg_value>|<arg_key>|</tool_call>")
_BAR = r"[|｜‖]{1,2}"
_DSML = rf"(?:{_BAR}\s*DSML\s*{_BAR})?"
_INVOKE_OPEN = re.compile(rf"<{_DSML}invoke\s+name\s*=\s*\"([^\"]+)\"\s*>")
_INVOKE_CLOSE = re.compile(rf"</{_DSML}invoke\s*>")
_INV_PARAM = re.compile(
    rf"<{_DSML}parameter\s+name\s*=\s*\"([^\"]+)\"(?:\s+string\s*=\s*\"(true|false)\")?\s*>"
    rf"(.*?)</{_DSML}parameter\s*>",
    re.S,
)
_FC_OPEN = re.compile(rf"<{_DSML}function_calls\s*>\s*$")
_FC_CLOSE = re.compile(rf"\s*</{_DSML}function_calls\s*>")
_TOOL_USE = re.compile(
    r"<tool_use>\s*<name>\s*(?P<name>[^<]+?)\s*</name>\s*(?:<arguments>(?P<args>.*?)"
    r"(?:</arguments>|$))?\s*(?:</tool_use>)?",
    re.S,
)
_CALLISH = re.compile(r"\s*(?:[{\[]|<function=|[A-Za-z_][\w.\-]*\s*(?:<arg_key>|\{|\(|$))", re.S)


def find_tool_call(text: str, masked: str, offered: Offered) -> list[Leak]:
    """``<tool_call>…</tool_call>`` blocks (JSON, Qwen3-Coder XML, GLM or ``NAME {…}``)."""
    leaks: list[Leak] = []
    if "<tool_call>" not in masked:
        return leaks
    opens = list(_TC_OPEN.finditer(masked))
    for idx, m in enumerate(opens):
        if len(leaks) >= MAX_LEAKS:
            break
        if leaks and m.start() < leaks[-1].end:
            continue
        nxt = opens[idx + 1].start() if idx + 1 < len(opens) else len(text)
        close = _TC_CLOSE.search(text, m.end(), nxt)
        body_end = close.start() if close else nxt
        end = close.end() if close else nxt
        body = text[m.end() : body_end]
        if not _CALLISH.match(body) or (not close and not body.strip()):
            continue
        calls = _body_calls(body, offered)
        if calls is None:
            if not close:
                continue
            calls = [RawCall(None, None)]
        leaks.append(Leak(m.start(), end, FAMILY_TOOL_CALL, calls, True))
    return leaks


def _body_calls(body: str, offered: Offered) -> list[RawCall] | None:
    stripped = body.strip()
    if stripped[:1] in "{[":
        value = _decode(stripped)
        calls = calls_from_value(value)
        if calls is None and isinstance(value, dict) and isinstance(value.get("name"), str):
            calls = [RawCall(value["name"], None)]
        return calls if calls is not None else [RawCall(None, None)]
    fn = _FN_OPEN.search(stripped)
    if fn:
        return [_function_call(fn.group(1), stripped[fn.end() :], offered)]
    key = _ARG_KEY.search(stripped)
    if key:
        name = stripped[: key.start()].strip()
        args = _glm_args(stripped, key.start(), len(stripped), name, offered)
        return [RawCall(name or None, args)]
    head = re.match(r"([A-Za-z_][\w.\-]*)\s*", stripped)
    if head:
        rest = stripped[head.end() :]
        if not rest:
            return [RawCall(head.group(1), {})]
        if rest.startswith("{"):
            return [RawCall(head.group(1), parse_object(rest))]
    return None


def _decode(raw: str) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        pass
    obj = parse_object(raw)
    if obj is not None:
        return obj
    try:
        return ast.literal_eval(raw)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None


def _function_call(name: str, body: str, offered: Offered) -> RawCall:
    close = _FN_CLOSE.search(body)
    inner = body[: close.start()] if close else body
    inner = re.sub(r"</tool_call>.*$", "", inner, flags=re.S)
    stripped = inner.strip()
    if stripped.startswith("{"):
        return RawCall(name, parse_object(stripped))
    params = list(_PARAM.finditer(inner))
    if not params:
        return RawCall(name, {} if not stripped else None)
    schema = offered.get(name) if offered else None
    args: dict[str, Any] = {}
    for p in params:
        key = p.group(1).strip()
        value = p.group(2)
        if value.startswith("\n"):
            value = value[1:]
        if value.endswith("\n"):
            value = value[:-1]
        args[key] = coerce_scalar(value, property_schema(schema, key))
    return RawCall(name, args)


def find_function_tag(
    text: str, masked: str, offered: Offered, claimed: list[tuple[int, int]]
) -> list[Leak]:
    """``<function=NAME>{…}</function>`` / ``<function=NAME><parameter=…>`` outside claims."""
    leaks: list[Leak] = []
    if "<function=" not in masked:
        return leaks
    opens = [m for m in _FN_OPEN.finditer(masked) if not inside(m.start(), claimed)]
    for idx, m in enumerate(opens):
        if len(leaks) >= MAX_LEAKS:
            break
        nxt = opens[idx + 1].start() if idx + 1 < len(opens) else len(text)
        close = _FN_CLOSE.search(text, m.end(), nxt)
        end = close.end() if close else nxt
        body = text[m.end() : end]
        stripped = body.strip()
        if not close and not (stripped.startswith("{") or "<parameter=" in stripped):
            continue
        call = _function_call(m.group(1), body, offered)
        tail = _TC_TAIL.match(text, end)
        if tail:
            end = tail.end()
        leaks.append(Leak(m.start(), end, FAMILY_FUNCTION, [call], True))
    return leaks


def _glm_pairs(text: str, pos: int, limit: int) -> tuple[list[tuple[str, str]], int]:
    """Read ``<arg_key>k</arg_key><arg_value>v</arg_value>`` pairs from ``pos``.

    Missing closing tags are tolerated (a value then ends at the next ``<arg_key>``,
    ``</tool_call>`` or ``limit``). Linear in the text read.
    """
    pairs: list[tuple[str, str]] = []
    while True:
        key_open = _KEY_OPEN.match(text, pos, limit)
        if not key_open:
            break
        key_end = _KEY_END.search(text, key_open.end(), min(limit, key_open.end() + 256))
        if not key_end:
            break
        value_from = key_end.end() if key_end.group() == "</arg_key>" else key_end.start()
        value_open = _VALUE_OPEN.match(text, value_from, limit)
        if not value_open:
            break
        value_end = _VALUE_END.search(text, value_open.end(), limit)
        stop = value_end.start() if value_end else limit
        pairs.append((text[key_open.end() : key_end.start()], text[value_open.end() : stop]))
        pos = value_end.end() if value_end and value_end.group() == "</arg_value>" else stop
    return pairs, pos


def _glm_args(
    text: str, start: int, end: int, name: str, offered: Offered
) -> dict[str, Any] | None:
    schema = offered.get(name) if offered and name in offered else None
    pairs, pos = _glm_pairs(text, start, end)
    if not pairs:
        return None
    args = {
        key.strip(): coerce_scalar(value.strip("\n"), property_schema(schema, key.strip()))
        for key, value in pairs
    }
    rest = text[pos:end]
    rest = rest.replace("</tool_call>", "")
    return args if not rest.strip() else None


def find_glm(
    text: str, masked: str, offered: Offered, claimed: list[tuple[int, int]]
) -> list[Leak]:
    """GLM ``NAME<arg_key>k</arg_key><arg_value>v</arg_value>`` without a ``<tool_call>``."""
    leaks: list[Leak] = []
    if "<arg_key>" not in masked:
        return leaks
    pos = -1
    for m in _ARG_KEY.finditer(masked):
        if m.start() < pos or inside(m.start(), claimed):
            continue
        if len(leaks) >= MAX_LEAKS:
            break
        name, start = _ident_before(text, m.start())
        pairs, end = _glm_pairs(text, m.start(), len(text))
        end = max(end, m.end())
        tail = _TC_TAIL.match(text, end)
        if tail:
            end = tail.end()
        args = _glm_args(text, m.start(), end, name or "", offered) if pairs else None
        leaks.append(Leak(start, end, FAMILY_GLM, [RawCall(name, args)], True))
        pos = end
    return leaks


def find_invoke(text: str, masked: str, offered: Offered) -> list[Leak]:
    """``<function_calls><invoke name="N"><parameter name="k">v</parameter>…`` (+ DSML)."""
    leaks: list[Leak] = []
    if "invoke" not in masked:
        return leaks
    opens = list(_INVOKE_OPEN.finditer(masked))
    for idx, m in enumerate(opens):
        if len(leaks) >= MAX_LEAKS:
            break
        nxt = opens[idx + 1].start() if idx + 1 < len(opens) else len(text)
        close = _INVOKE_CLOSE.search(text, m.end(), nxt)
        body_end = close.start() if close else nxt
        end = close.end() if close else nxt
        name = html.unescape(m.group(1)).strip()
        schema = offered.get(name) if offered and name in offered else None
        args: dict[str, Any] = {}
        body = text[m.end() : body_end]
        for p in _INV_PARAM.finditer(body):
            key = html.unescape(p.group(1)).strip()
            value = p.group(3)
            if p.group(2) == "true":
                args[key] = value
            elif p.group(2) == "false":
                args[key] = coerce_scalar(value.strip(), {"type": "object"})
            else:
                args[key] = coerce_scalar(value.strip("\n"), property_schema(schema, key))
        leftover = _INV_PARAM.sub("", body).strip()
        if not args and leftover.startswith("{"):
            parsed = parse_object(leftover)
            args = parsed if parsed is not None else args
            leftover = "" if parsed is not None else leftover
        start = m.start()
        opener = _FC_OPEN.search(text, max(0, start - 200), start)
        if (opener and idx == 0) or (opener and leaks and opener.start() >= leaks[-1].end):
            start = opener.start()
        closer = _FC_CLOSE.match(text, end)
        if closer:
            end = closer.end()
        call_args = args if (args or not leftover) else None
        leaks.append(Leak(start, end, FAMILY_INVOKE, [RawCall(name, call_args)], True))
    return leaks


def find_tool_use(text: str, masked: str) -> list[Leak]:
    """Cherry Studio prompt-mode ``<tool_use><name>N</name><arguments>{…}</arguments>``."""
    leaks: list[Leak] = []
    if "<tool_use>" not in masked:
        return leaks
    for m in re.finditer(r"<tool_use>", masked):
        if len(leaks) >= MAX_LEAKS:
            break
        full = _TOOL_USE.match(text, m.start())
        if not full:
            continue
        args = parse_object(full["args"]) if full["args"] is not None else {}
        leaks.append(
            Leak(m.start(), full.end(), FAMILY_TOOL_USE, [RawCall(full["name"], args)], True)
        )
    return leaks


def _ident_before(text: str, pos: int) -> tuple[str | None, int]:
    """The identifier ending right before ``pos`` (whitespace/one newline allowed)."""
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
