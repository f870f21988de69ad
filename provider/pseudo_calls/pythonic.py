"""Python-call leaks: pythonic lists, ``NAME({…})``, ``NAME(parameters={…})``, Gemini
```` ```tool_code print(default_api.f(k="v")) ``` ````, ``NAME\\n<body>\\n[/NAME]`` and
narrated calls (``[Called function "f" with args: {…}]``).

Pythonic forms count only when they are the *whole* message (optionally fenced): prose such
as "I called get_weather(city="Paris") yesterday" is never a call.

Spec: specs/002-pseudo-tool-calls/spec.md §"Formats" (python_call_json_args,
python_call_parameters_kw, pythonic_call_list, tool_code_python,
name_newline_body_closing_tag).
"""

from __future__ import annotations

import ast
import re
from typing import Any

from .anchored import owns_its_line
from .args import parse_object
from .blocks import scan_balanced
from .bodies import CLOSING_TAGS, strip_closers
from .literals import Unreadable, read_value
from .model import MAX_LEAKS, Family, Leak, RawCall, Scan
from .names import resolve_name

#: what may open a Python body: ``<|python_start|>`` or a fence line (``python``/``py``/
#: ``tool_code``/``tool_call`` or no info string)
_OPENER = re.compile(r"<\|python_start\|>|```(?:python|py|tool_code|tool_call)?[ \t]*\n")
_PYTHON_END = "<|python_end|>"
#: where a trailing list of Python calls may start after prose: ``[name(``
_LIST_START = re.compile(r"\[\s*[A-Za-z_][\w.\-]*\s*\(")
_PY_START = re.compile(r"\s*(?:```|<\|python_start\|>|\[?\s*(?:print\()?[A-Za-z_][\w.\-]*\s*\()")
#: the body runs to the closing fence or, unclosed, to the end of the text (not of the line)
_TOOL_CODE = re.compile(r"^[ \t]*```tool_code[ \t]*\n(?P<body>.*?)(?:\n[ \t]*```|\Z)", re.S | re.M)
_CLOSE_BRACKET = re.compile(r"\s*\]")
_ARG_KWARGS = ("parameters", "arguments", "args", "kwargs", "input")
_NARRATED = re.compile(
    r"(?P<open>\[)?(?:Assistant\s+)?(?:[Cc]alled|[Cc]alling)\s+(?:the\s+)?(?:tool|function)\s*"
    r"[:\s]\s*[\"'`]?(?P<name>[A-Za-z_][\w.\-]*)[\"'`]?(?:\s*\([^)\n]{0,80}\))?\s*"
    r"(?:with\s+)?(?:args|arguments|parameters|input)?\s*:?\s*(?=\{)"
)
_DECLARATION = re.compile(r"declaration:default_api:(?P<name>[A-Za-z_][\w.\-]*)\s*(?=\{)")


def calls_from_source(source: str) -> list[RawCall] | None:
    """Parse Python source made only of calls into raw calls (``None`` if anything else).

    Accepts ``f(k=1)``, ``[f(), g(x="y")]``, ``print(default_api.f(k="v"))``, one call
    per line, ``f({...})`` and ``f(parameters={...})``. Values must be literals.
    """
    src = source.strip()
    if not src or len(src) > 100_000:
        return None
    try:
        tree = ast.parse(src, mode="exec")
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    calls: list[RawCall] = []
    for stmt in tree.body:
        if not isinstance(stmt, ast.Expr):
            return None
        node = stmt.value
        items = node.elts if isinstance(node, (ast.List, ast.Tuple)) else [node]
        if not items:
            return None
        for item in items:
            call = _call(item, src)
            if call is None:
                return None
            calls.append(call)
    return calls or None


def python_source(body: str) -> str:
    """``body`` without a Python fence or ``<|python_start|>`` … ``<|python_end|>`` around it
    (MiniCPM4 fences the list inside ``<|tool_call_start|>``), stripped.

    String operations only: linear in ``len(body)`` whatever it holds (a regex with a lazy
    body before ``\\s*$`` was quadratic in a run of whitespace).
    """
    src = body.lstrip()
    opener = _OPENER.match(src)
    src = (src[opener.end() :] if opener else src).rstrip()
    if src.endswith(_PYTHON_END):
        src = src[: -len(_PYTHON_END)]
    elif src.endswith("```"):
        line = src.rfind("\n", 0, len(src) - 3)
        if line >= 0 and not src[line + 1 : -3].strip(" \t"):
            src = src[:line]
    return src.strip()


_MISSING = object()
_JSON_WORDS = {"true": True, "false": False, "null": None}


def _literal(node: ast.expr, source: str) -> Any:
    """The literal value of an argument node of ``source`` (Python literal, or JSON text
    such as ``true`` / ``null`` / ``{…}``), or :data:`_MISSING`."""
    try:
        return ast.literal_eval(node)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        pass
    if isinstance(node, ast.Name) and node.id in _JSON_WORDS:
        return _JSON_WORDS[node.id]
    segment = ast.get_source_segment(source, node)
    if segment:
        try:
            value, end = read_value(segment)
        except (Unreadable, RecursionError):
            return _MISSING
        if not segment[end:].strip():
            return value
    return _MISSING


def _call(node: ast.expr, src: str) -> RawCall | None:
    if not isinstance(node, ast.Call):
        return None
    if _dotted(node.func) == "print" and len(node.args) == 1 and not node.keywords:
        return _call(node.args[0], src)
    name = _dotted(node.func)
    if not name or any(kw.arg is None for kw in node.keywords):
        return None
    positional = [_literal(a, src) for a in node.args]
    keywords = {kw.arg: _literal(kw.value, src) for kw in node.keywords if kw.arg}
    if any(v is _MISSING for v in (*positional, *keywords.values())):
        return None
    args: dict[str, Any] | None
    if positional:
        if len(positional) == 1 and isinstance(positional[0], dict) and not keywords:
            args = positional[0]
        elif len(positional) == 1 and isinstance(positional[0], str) and not keywords:
            args = parse_object(positional[0])
        else:
            return RawCall(name, None)
    elif (
        len(keywords) == 1
        and next(iter(keywords)) in _ARG_KWARGS
        and isinstance(next(iter(keywords.values())), dict)
    ):
        args = next(iter(keywords.values()))
    else:
        args = keywords
    return RawCall(name, args)


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else ""
    return ""


def find_whole_message(scan: Scan) -> list[Leak]:
    """Python call(s) naming offered tools that make up the whole message, or its end
    after prose (``Let me check.[get_weather(city="Paris")]``) — a weak leak."""
    text, offered = scan.text, scan.offered
    core = strip_closers(text)
    starts = [len(text) - len(text.lstrip())]
    starts += [m.start() for m in _LIST_START.finditer(scan.masked, starts[0] + 1, len(core))]
    for start in starts[:MAX_LEAKS]:
        if start and not owns_its_line(text, start, len(core)):
            continue
        body = python_source(core) if start == 0 else core[start:].strip()
        if not _PY_START.match(body) or "(" not in body:
            continue
        calls = calls_from_source(body)
        if calls and all(resolve_name(c.name, offered) for c in calls):
            end = len(text.rstrip())
            return [Leak(start, end, PYTHONIC.name, calls, False, vetoable=start > 0)]
    return []


def find_tool_code(scan: Scan) -> list[Leak]:
    """Gemini ```` ```tool_code ```` fences (unmasked by :mod:`.masking`)."""
    text, masked = scan.text, scan.masked
    leaks: list[Leak] = []
    for m in _TOOL_CODE.finditer(masked):
        if len(leaks) >= MAX_LEAKS:
            break
        body = text[m.start("body") : m.end("body")]
        calls = calls_from_source(body) or [RawCall(None, None)]
        leaks.append(Leak(m.start(), m.end(), TOOL_CODE.name, calls, True))
    return leaks


def find_closing_tag(scan: Scan) -> list[Leak]:
    """``NAME\\n<body>\\n[/NAME]`` (GPT-5.4) for an offered ``NAME``."""
    text, masked, offered = scan.text, scan.masked, scan.offered
    leaks: list[Leak] = []
    closers = CLOSING_TAGS.pattern
    for m in re.finditer(rf"(?m)^[ \t]*\[/([A-Za-z_][\w.\-]*)\](?:{closers})?[ \t]*$", masked):
        if len(leaks) >= MAX_LEAKS:
            break
        raw = m.group(1)
        name = resolve_name(raw, offered)
        if name is None:
            continue
        opener = _opener_line(masked, raw, m.start())
        if opener is None:
            continue
        body = text[opener[1] : m.start()].strip("\n")
        if not body.strip():
            continue
        args = parse_object(body) if body.lstrip().startswith("{") else None
        if args is None:
            args = _single_property(offered.get(name), body)
        leaks.append(Leak(opener[0], m.end(), CLOSING_TAG.name, [RawCall(raw, args)], True))
    return leaks


def _opener_line(masked: str, name: str, before: int) -> tuple[int, int] | None:
    """``(start, end)`` of the last line before ``before`` that ends with ``name`` — alone,
    or after junk, a sentence end or glued to it (:func:`~.anchored.owns_its_line`)."""
    pos = before
    for _ in range(32):
        idx = masked.rfind(name, 0, pos)
        if idx < 0:
            return None
        line_start = masked.rfind("\n", 0, idx) + 1
        line_end = masked.find("\n", idx)
        if line_end < 0 or line_end >= before:
            pos = idx
            continue
        glued = idx > line_start and (masked[idx - 1].isascii() and masked[idx - 1].isalnum())
        if (
            not glued
            and not masked[idx + len(name) : line_end].strip(" \t")
            and owns_its_line(masked, idx, idx + len(name))
        ):
            return (line_start if not masked[line_start:idx].strip() else idx), line_end + 1
        pos = idx
    return None


def _single_property(schema: dict[str, Any] | None, body: str) -> dict[str, Any] | None:
    if not isinstance(schema, dict):
        return None
    props = schema.get("properties")
    if not isinstance(props, dict):
        return None
    required = [r for r in schema.get("required", []) if r in props]
    keys = required if len(required) == 1 else list(props) if len(props) == 1 else []
    if len(keys) != 1:
        return None
    prop = props[keys[0]]
    if isinstance(prop, dict) and prop.get("type") not in (None, "string"):
        return None
    return {keys[0]: body}


def find_narrated(scan: Scan) -> list[Leak]:
    """``[Called function "f" with args: {…}]``, ``Assistant called tool f (id) with
    arguments: {…}``, ``declaration:default_api:f{…}`` naming an offered tool."""
    text, masked, offered = scan.text, scan.masked, scan.offered
    leaks: list[Leak] = []
    for regex in (_NARRATED, _DECLARATION):
        for m in regex.finditer(masked):
            if len(leaks) >= MAX_LEAKS:
                break
            name = resolve_name(m.group("name"), offered)
            if name is None:
                continue
            brace = m.end()
            end = scan_balanced(text, brace)
            if end is None:
                continue
            args = parse_object(text[brace:end])
            if args is None:
                continue
            if "open" in regex.groupindex and m.group("open"):
                close = _CLOSE_BRACKET.match(text, end)
                if close:
                    end = close.end()
            leaks.append(
                Leak(m.start(), end, NARRATED.name, [RawCall(m.group("name"), args)], False)
            )
    return leaks


PYTHONIC = Family("pythonic", find_whole_message)
TOOL_CODE = Family(
    "tool_code", find_tool_code, markers=("```tool_code",), needles=("```tool_code",)
)
CLOSING_TAG = Family("name_body_closing_tag", find_closing_tag, needles=("[/",))
NARRATED = Family(
    "narrated_call",
    find_narrated,
    markers=("[Called function", "[Calling tool", "declaration:default_api:"),
    needles=("alled ", "alling ", "declaration:"),
)
