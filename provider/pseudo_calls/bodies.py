"""Read the arguments a call attaches to a tool name, whatever the wrapper around it.

Every text tool-call format is some wrapper around *a name followed by its arguments*.
The arguments come in a handful of shapes, which :func:`call_after_name` reads from the
end of the name on:

* an object — JSON, Python literal, bare keys or a brace notation
  (``{"city": "Paris"}``, ``{'city': 'Paris'}``, ``{city:<|"|>Paris<|"|>}``);
* parentheses — ``(city="Paris")``, ``(city: "Paris")``, ``({"city": "Paris"})``,
  ``(parameters={…})``;
* parameter blocks — ``<parameter=city>Paris</parameter>``,
  ``<parameter name="city">Paris</parameter>``, ``<arg_key>city</arg_key><arg_value>Paris
  </arg_value>``, ``<city>Paris</city>`` (a property the schema declares, or any child tag
  when the name itself was a tag or an ``<invoke>``);
* nothing — a call without arguments.

Between the name and the arguments: whitespace, separators (``:`` ``=`` ``>`` a closing
quote), content-type words (``json``, ``code``), argument tokens (``<|constrain|>json
<|message|>``, ``[ARGS]``, ``<|tool_sep|>`` …), a code fence, a label (``Action Input:``)
and stray closing tags of a corrupted wrapper (``</arg_value>``, ``</parameter>``).
:func:`call_in_body` finds the name inside a wrapper's body first.

Values written as text are typed by the schema (:func:`~.args.coerce_scalar`; without a
schema they stay text). Nothing is invented: a missing or broken value makes the arguments
``None`` (→ not run).

Spec: specs/002-pseudo-tool-calls/spec.md §"Schema-guided recovery".
"""

from __future__ import annotations

import html
import re
from typing import Any

from .args import coerce_scalar, parse_object, property_schema, read_object_at
from .blocks import scan_balanced
from .calldict import calls_from_value
from .literals import Unreadable, read_value
from .model import Offered, RawCall
from .names import resolve_name

#: how far after a name its arguments may start (separators only in between)
MAX_GAP = 160
#: more parameters than this in one call is not a tool call (bounds hostile text)
MAX_PARAMS = 128
#: a vendor prefix inside tag names: DeepSeek's DSML (``<｜DSML｜invoke``, doubled bars in
#: V4) or an XML namespace (StepFun ``<steptml:invoke``)
DSML = r"(?:[|｜‖]{1,2}\s*DSML\s*[|｜‖]{1,2}|[A-Za-z_][\w.-]*:)?"

_SEPARATORS = re.compile(
    r"(?:[ \t\r\n]+|[:=>,\]]|\"|'|(?:json|JSON|code|args|arguments|parameters|input)\b"
    r"|<[|｜][\w▁ ]{1,40}[|｜]>|\[(?:ARGS|CALL_ID)\][\w-]*|```(?:json|JSON)?"
    r"|(?:Action[ _]Input|Arguments?|Input|Parameters|Args|✿ARGS✿)\s*:"
    r"|</(?:parameter|arg_value|arg_key|name|function_name|tool_name|function|key)\s*>)*"
)
#: the arguments as a placeholder call in a Python fence on the next line (ChatGLM3)
_FENCED_CALL = re.compile(
    r"[ \t]*\r?\n[ \t]*```(?:python|py)?[ \t]*\r?\n[ \t]*(?:tool_call|call)[ \t]*(?=\()"
)
_PARAM_EQ = re.compile(r"<parameter=\s*[\"']?([^>\s\"']+)[\"']?\s*>")
_PARAM_ATTR = re.compile(
    rf"<{DSML}(?:parameter|param|argument|arg)\s+(?:name|key)\s*=\s*"
    r"[\"']([^\"']+)[\"'](?P<attrs>[^>]*)>"
)
_VALUE_END = re.compile(
    rf"</{DSML}(?:parameter|param|argument|arg|arg_value)\s*>"
    rf"|(?=<{DSML}(?:parameter|param|argument|arg)[\s=]|<arg_key>"
    rf"|</{DSML}(?:[\w:.-]*function|invoke|[\w:.-]*tool_calls?)\s*>)"
)
_TAG = re.compile(r"<([A-Za-z_][\w.-]*)>")
#: a closing tag ending a value that closes nothing opened in it: the value's own closer,
#: misspelled (``</parametr>``)
_STRAY_END = re.compile(r"</([A-Za-z_][\w:.-]{0,40})>\s*\Z")
#: a closing tag (not a reasoning block's: ``</think>`` closes the thinking, not the call),
#: a special token, or an end marker named so (``<bot_end>``, ``<end_of_turn>``)
_CLOSER = (
    r"(?:</(?!(?:seed:)?think(?:ing)?>)[\w:.|｜▁-]{1,60}>|<[|｜]?/?[\w:.▁-]{1,60}[|｜]>"
    r"|<\w+\|>|<(?:[a-z]+_)?end(?:_[a-z]+)*>)"
)
#: what may follow a call inside its wrapper: closing tags and tokens (``fullmatch``)
CLOSERS = re.compile(rf"(?:\s*{_CLOSER})*\s*")
#: one or more closing tags / tokens (or the fence the call sat in) right after a call
CLOSING_TAGS = re.compile(rf"(?:[ \t]*\n?[ \t]*(?:{_CLOSER}|`{{3}}(?!\w)))+")
_ONE_CLOSER = re.compile(_CLOSER)


def closer_before(text: str, end: int) -> int | None:
    """Start of the closing tag / token that ends at ``end`` (``</tool_call>``,
    ``<|im_end|>``), else ``None``. No closer holds a ``<`` after its first character."""
    if not text.endswith(">", 0, end):
        return None
    start = text.rfind("<", 0, end)
    return start if start >= 0 and _ONE_CLOSER.fullmatch(text, start, end) else None


def strip_closers(text: str) -> str:
    """``text`` without the closing tags / tokens (and whitespace) it ends with; unchanged
    when it ends with none. Peels one closer at a time from the end: linear in
    ``len(text)``."""
    core = text.rstrip()
    peeled = False
    while (start := closer_before(core, len(core))) is not None:
        core, peeled = core[:start].rstrip(), True
    return core if peeled else text


_KEY_END = re.compile(r"</arg_key>|<arg_value>")
#: a GLM value ends at its closer, the next key, the wrapper's end, or a stray closing tag
#: that only closing tags follow (``…Paris</parameter>`` at the end of the call)
_GLM_VALUE_END = re.compile(
    r"</arg_value>|<arg_key>|</tool_call>|</[\w:.|-]{1,40}>(?=(?:\s*</?[\w:.|-]{1,40}>)*\s*$)|$"
)
_NAME_IN_BODY = re.compile(
    r"\s*(?:<function=\s*[\"']?(?P<fn>[^>\s\"']+)[\"']?\s*>"
    rf"|<{DSML}invoke\s+name\s*=\s*[\"'](?P<inv>[^\"']+)[\"'][^>]*>"
    r"|<(?!(?:name|function|tool_name|function_name)>)(?P<tag>[A-Za-z_][\w.-]*)>"
    r"|(?:<(?:name|function|tool_name|function_name)>\s*)?(?:call:|functions\.)?"
    r"(?P<ident>[A-Za-z_][\w.\-]*))"
)
#: tags that hold the whole argument object (Cherry Studio ``<arguments>{…}</arguments>``)
_CONTAINERS = frozenset({"arguments", "args", "parameters", "input"})
_PAIR_KEY = re.compile(r"\s*([A-Za-z_][\w\-]*)\s*[=:]\s*")
_KWARGS = ("parameters", "arguments", "args", "kwargs", "input")


def call_after_name(
    text: str,
    pos: int,
    name: str,
    schema: dict[str, Any] | None,
    limit: int | None = None,
    *,
    any_child: bool = False,
    closed_at_limit: bool = False,
) -> tuple[RawCall | None, int]:
    """Read the arguments attached to ``name``, which ends at ``text[pos]``.

    Returns ``(call, end)``: ``call`` is ``None`` when nothing that looks like arguments
    follows (and ``end == pos``); ``call.arguments`` is ``None`` when arguments follow but
    are broken. ``limit`` bounds the reading (default: end of text); ``closed_at_limit``:
    the wrapper's closing tag is there, so a value may end at it. ``any_child``: accept
    ``<key>value</key>`` children the schema does not declare (the name was a tag).
    """
    stop = len(text) if limit is None else min(limit, len(text))
    fenced = _FENCED_CALL.match(text, pos, min(stop, pos + MAX_GAP))
    if fenced:  # ChatGLM3: the name, then ``tool_call(k=v)`` in a Python fence
        return _parens(text, fenced.end(), stop, name)
    sep = _SEPARATORS.match(text, pos, min(stop, pos + MAX_GAP))
    i = sep.end() if sep else pos
    if i >= stop:
        return None, pos
    ch = text[i]
    if ch == "{":
        args, end = read_object_at(text, i)
        if args is None or end > stop:
            close = scan_balanced(text, i, stop)
            return RawCall(name, None), close or stop
        return RawCall(name, args), end
    if ch == "(" and not text[pos:i].strip():
        return _parens(text, i, stop, name)
    if ch == "<":
        return _blocks(text, i, stop, name, schema, any_child, closed_at_limit)
    if i > pos and text[i - 1].isspace():
        return _attributes(text, i, stop, name)
    return None, pos


def call_in_body(body: str, offered: Offered, *, closed: bool = True) -> list[RawCall] | None:
    """The call(s) a wrapper's body holds, or ``None`` when it does not look like one.

    A body is call objects (``{"name": …, "arguments": …}``, a list of them, several),
    or a name — bare, ``<function=NAME>``, ``<invoke name="NAME">``, ``<NAME>``,
    ``NAME>`` (the ``<`` lost), ``<name>NAME``, ``call:NAME``, ``functions.NAME`` —
    followed by its arguments (:func:`call_after_name`) and nothing else but closing tags,
    or by the next ``<function=…>`` / ``<invoke …>`` call of the same body. A name glued
    to the first argument key of a GLM body whose ``<arg_key>`` was lost
    (``get_weathercity</arg_key>…``) is split at the offered name. A name with nothing
    after it is a call without arguments only when the wrapper was ``closed``.
    """
    stripped = body.strip()
    if not stripped:
        return None
    if stripped[0] in "{[":
        return _objects(stripped, offered)
    calls: list[RawCall] = []
    pos = 0
    while True:
        call, end = _named_call(body[pos:], offered, closed)
        if call is None:
            return calls or None
        if end is None:
            return [*calls, call]
        end += pos
        following = _NEXT_CALL.match(body, end) if call.arguments is not None else None
        if following is None or len(calls) >= MAX_CALLS:
            return [*calls, only_closers_after(call, body, end, len(body)) or call]
        calls.append(call)
        pos = following.end()


#: closing tags, then the head of the next call in the same wrapper body
_NEXT_CALL = re.compile(rf"(?:\s*{_CLOSER})*\s*(?=<function=|<{DSML}invoke\s)")
#: more calls than this in one wrapper body is not a tool call (bounds hostile text)
MAX_CALLS = 32


def _named_call(body: str, offered: Offered, closed: bool) -> tuple[RawCall | None, int | None]:
    """The call a body starting with a name holds: ``(call, end of its arguments)``;
    ``end`` is ``None`` when the call is the whole body, ``call`` ``None`` when the body
    does not start with a call."""
    m = _NAME_IN_BODY.match(body)
    if m is None:
        return None, None
    if m["tag"] is not None and resolve_name(m["tag"], offered) is None:
        return None, None
    raw = m["fn"] or m["inv"] or m["tag"] or m["ident"]
    name = html.unescape(raw).strip()
    resolved = resolve_name(name, offered)
    if resolved is None and m["ident"] and body.startswith("</arg_key>", m.end()):
        return _glued_glm(body, m, offered, closed), None
    schema = offered.get(resolved) if resolved else None
    # ``NAME>``: an opening tag that lost its ``<`` — its children are the arguments
    tagged = bool(m["inv"] or m["tag"]) or bool(m["ident"] and body.startswith(">", m.end()))
    call, end = call_after_name(
        body, m.end(), name, schema, any_child=tagged, closed_at_limit=closed
    )
    if call is None:
        rest = body[m.end() :]
        if CLOSERS.fullmatch(rest) is None:
            return (RawCall(name, None) if (m["fn"] or tagged) else None), None
        return RawCall(name, {} if closed or rest.strip() else None), None
    return call, end


def only_closers_after(call: RawCall | None, text: str, end: int, stop: int) -> RawCall | None:
    """``call``, or a broken one when more than closing tags follows its arguments before
    ``stop`` (``…</parameter>\n<par`` — the text was cut between two parameters)."""
    if call is None or call.arguments is None or CLOSERS.fullmatch(text, end, stop):
        return call
    return RawCall(call.name, None)


def _glued_glm(body: str, m: re.Match[str], offered: Offered, closed: bool) -> RawCall:
    ident = m["ident"]
    for name in sorted(offered, key=len, reverse=True):
        if ident.startswith(name) and len(ident) > len(name):
            key_start = m.start("ident") + len(name)
            fixed = body[:key_start] + "<arg_key>" + body[key_start:]
            call, _end = glm_pairs(fixed, key_start, len(fixed), name, offered.get(name), closed)
            return call
    return RawCall(ident, None)


def _objects(body: str, offered: Offered) -> list[RawCall] | None:
    """Call objects: one value, a list, or several separated by whitespace / ``;`` / ``,``;
    also objects whose only key is an offered tool (``{"NAME": {…}}``, Apertus)."""
    calls: list[RawCall] = []
    pos = 0
    while pos < len(body) and body[pos] in "{[":
        try:
            value, end = read_value(body, pos)
        except (Unreadable, RecursionError):
            close = scan_balanced(body, pos)
            value, end = None, close or len(body)
        got = calls_from_value(value) if value is not None else None
        if got is None:
            got = keyed_calls(value, offered)
        if got is None:
            name = value.get("name") if isinstance(value, dict) else None
            if value is not None and not isinstance(name, str):
                return calls or None
            calls.append(RawCall(name if isinstance(name, str) else None, None))
        else:
            calls.extend(got)
        sep = re.compile(r"[\s;,]*").match(body, end)
        pos = sep.end() if sep else end
    return calls or None


def keyed_calls(value: Any, offered: Offered) -> list[RawCall] | None:
    """``{"NAME": {args}}`` or a list of such objects, every ``NAME`` an offered tool: the
    calls (marked ``keyed``: data unless a wrapper marks them), else ``None``."""
    items = value if isinstance(value, list) else [value]
    calls: list[RawCall] = []
    for item in items:
        if not isinstance(item, dict) or len(item) != 1:
            return None
        ((key, args),) = item.items()
        if not isinstance(args, dict) or resolve_name(key, offered) is None:
            return None
        calls.append(RawCall(key, args, keyed=True))
    return calls or None


_ATTR_KEY = re.compile(r"([A-Za-z_][\w\-]*)[ \t]*=[ \t]*")
_ATTRS_END = re.compile(r"\s*/?>")


def _attributes(text: str, i: int, stop: int, name: str) -> tuple[RawCall | None, int]:
    """``NAME k="v" n=[…] />``: attribute-style pairs (values read by
    :func:`.literals.read_value`) ending the tag with ``/>`` or ``>``; anything else is no
    arguments (``(None, i)``)."""
    args: dict[str, Any] = {}
    pos = i
    for _ in range(MAX_PARAMS):
        key = _ATTR_KEY.match(text, pos, stop)
        if key is None:
            break
        try:
            value, pos = read_value(text, key.end())
        except (Unreadable, RecursionError):
            return None, i
        args[key.group(1)] = value
        pos = _skip_space(text, min(pos, stop), stop)
    end = _ATTRS_END.match(text, pos, stop)
    if not args or end is None:
        return None, i
    return RawCall(name, args), end.end()


def _parens(text: str, i: int, stop: int, name: str) -> tuple[RawCall, int]:
    """``name(k=v, …)``, ``name(k: v, …)``, ``name({…})`` or ``name(parameters={…})``."""
    end = scan_balanced(text, i, stop)
    if end is None:
        return RawCall(name, None), stop
    return RawCall(name, keyword_arguments(text[i + 1 : end - 1])), end


def keyword_arguments(source: str) -> dict[str, Any] | None:
    """The arguments inside a call's parentheses, or ``None`` when they are not literals.

    ``k=v, …`` or ``k: v, …`` pairs (values read by :func:`.literals.read_value`: JSON,
    Python literals, brace notations), or one object (``{…}`` or a JSON string holding
    one). ``parameters={…}`` (and ``arguments=`` / ``args=`` / ``input=``) alone is unwrapped.
    """
    inner = source.strip() + " "  # the closing parenthesis ends the last value: it is whole
    if not inner.strip():
        return {}
    if inner[0] in "{\"'":
        try:
            value, after = read_value(inner)
        except (Unreadable, RecursionError):
            return None
        obj = parse_object(value) if isinstance(value, str) else value
        return obj if isinstance(obj, dict) and not inner[after:].strip() else None
    out: dict[str, Any] = {}
    pos = 0
    while pos < len(inner) and inner[pos:].strip():
        key = _PAIR_KEY.match(inner, pos)
        if key is None:
            return None
        try:
            value, pos = read_value(inner, key.end())
        except (Unreadable, RecursionError):
            return None
        out[key.group(1)] = value
        comma = re.compile(r"\s*(?:,\s*|$)").match(inner, pos)
        if comma is None:
            return None
        pos = comma.end()
    only = next(iter(out.values())) if len(out) == 1 else None
    if isinstance(only, dict) and next(iter(out)) in _KWARGS:
        return only
    return out


def _blocks(
    text: str,
    i: int,
    stop: int,
    name: str,
    schema: dict[str, Any] | None,
    any_child: bool,
    closed_at_stop: bool,
) -> tuple[RawCall | None, int]:
    """Parameter blocks starting at ``text[i] == "<"`` (see the module docstring).

    A value without its closing tag ends at the next parameter (one line at most); one that
    runs to the end of the text may have been cut in the middle, so the arguments are
    ``None`` (re-asked), even in a dialect that omits closing tags.
    """
    if text.startswith("<arg_key>", i):
        return glm_pairs(text, i, stop, name, schema, closed_at_stop)
    args: dict[str, Any] = {}
    pos = i
    for _ in range(MAX_PARAMS + 1):
        if pos >= stop:
            break
        pos = _skip_space(text, pos, stop)
        m = _PARAM_EQ.match(text, pos, stop) or _PARAM_ATTR.match(text, pos, stop)
        if m is None:
            tag = _TAG.match(text, pos, stop)
            key = tag.group(1) if tag else ""
            if tag is None:
                break
            if key in _CONTAINERS:  # ``<arguments>{…}</arguments>`` or parameter blocks
                close = text.find(f"</{key}>", tag.end(), stop)
                if close < 0:
                    return RawCall(name, None), stop
                return RawCall(name, _contained(text, tag.end(), close, name, schema)), (
                    close + len(key) + 3
                )
            if not (any_child or property_schema(schema, key)):
                break
            close = text.find(f"</{key}>", tag.end(), stop)
            if close < 0:
                return RawCall(name, None), stop
            args[key] = typed_value(text[tag.end() : close], schema, key, closed=True)
            pos = close + len(key) + 3
            continue
        key = html.unescape(m.group(1)).strip()
        end = _VALUE_END.search(text, m.end(), stop)
        raw = text[m.end() : end.start() if end else stop]
        own_closer = end is not None and end.group().startswith("</")
        stray = None if own_closer else _STRAY_END.search(raw)
        if stray and f"<{stray.group(1)}" not in raw[: stray.start()]:
            raw, own_closer = raw[: stray.start()], True  # a misspelled ``</parametr>``
        closed = own_closer or (end is None and closed_at_stop)
        if end is None and not closed:
            return RawCall(name, None), stop  # the text ends inside this value: maybe cut
        if not closed and "\n" in raw.strip():
            return RawCall(name, None), stop  # an unclosed value over several lines
        attrs = m.groupdict().get("attrs") or ""
        if re.search(r"string\s*=\s*[\"']true", attrs):
            args[key] = raw
        elif re.search(r"string\s*=\s*[\"']false", attrs):
            args[key] = coerce_scalar(raw.strip(), {"type": "object"})
        else:  # (a value the wrapper's end or a stray closer closed loses trailing whitespace)
            args[key] = typed_value(raw, schema, key, closed=own_closer and stray is None)
        pos = end.end() if end else stop
    else:
        return RawCall(name, None), pos  # more parameters than any tool has
    if not args:
        return None, i
    return RawCall(name, args, typed=True), pos


def _contained(
    text: str, start: int, close: int, name: str, schema: dict[str, Any] | None
) -> dict[str, Any] | None:
    """The arguments inside a container tag (``<arguments>…</arguments>``): one object, or
    parameter blocks (``<arg key="k">v</arg>``, ``<k>v</k>``) and nothing else."""
    first = _skip_space(text, start, close)
    if not text.startswith("<", first):
        return parse_object(text[start:close])
    call, end = _blocks(text, first, close, name, schema, True, True)
    if call is None or text[end:close].strip():
        return None
    return call.arguments


def typed_value(raw: str, schema: dict[str, Any] | None, key: str, *, closed: bool) -> Any:
    """A parameter value written as text: trimmed as tag formats write it, typed by the
    property's schema. Tag formats put one newline around a value, or a space after the
    opening tag when the value shares its line; an unclosed value also loses trailing
    whitespace."""
    value = raw[1:] if raw.startswith("\n") else raw.lstrip(" \t")
    value = value.rstrip() if not closed else value[:-1] if value.endswith("\n") else value
    return coerce_scalar(value, property_schema(schema, key))


def glm_pairs(
    text: str,
    pos: int,
    stop: int,
    name: str,
    schema: dict[str, Any] | None,
    closed_at_stop: bool = False,
) -> tuple[RawCall, int]:
    """``<arg_key>k</arg_key><arg_value>v</arg_value>`` pairs from ``pos`` (GLM).

    Tolerated: a missing ``</arg_key>`` or ``<arg_value>``, a missing ``</arg_value>``
    (the value then ends at the next ``<arg_key>`` or ``</tool_call>``), a stray closing
    tag instead of ``</arg_value>``. A value that runs to ``stop`` (the end of the text) may
    have been cut: the arguments are then ``None``.
    """
    args: dict[str, Any] = {}
    for _ in range(MAX_PARAMS):
        pos = _skip_space(text, pos, stop)
        if not text.startswith("<arg_key>", pos):
            break
        key_from = pos + len("<arg_key>")
        key_end = _KEY_END.search(text, key_from, min(stop, key_from + 256))
        if key_end is None:
            return RawCall(name, None), stop
        key = text[key_from : key_end.start()].strip()
        value_from = _skip_space(text, key_end.end(), stop)
        if text.startswith("<arg_value>", value_from):
            value_from += len("<arg_value>")
        elif key_end.group() == "</arg_key>":
            value_from = key_end.end()
        value_end = _GLM_VALUE_END.search(text, value_from, stop)
        vstop = value_end.start() if value_end and value_end.start() < stop else stop
        ended_by = value_end.group() if value_end and value_end.start() < stop else ""
        if closed_at_stop and not ended_by:
            ended_by = "</tool_call>"  # the wrapper's closing tag ends the value
        if not ended_by:
            return RawCall(name, None), stop  # the text ends inside this value: maybe cut
        value = text[value_from:vstop].strip("\n")
        args[key] = coerce_scalar(value, property_schema(schema, key))
        if value_end is not None and value_end.group() == "</arg_value>":
            pos = value_end.end()
        else:
            pos = vstop
    return RawCall(name, args or None, typed=True), pos


def _skip_space(text: str, pos: int, stop: int) -> int:
    while pos < stop and text[pos] in " \t\r\n":
        pos += 1
    return pos
