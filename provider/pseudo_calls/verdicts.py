"""Decide what a head in streamed text is: a call (CONFIRM), text (REJECT) or not yet
known (WAIT).

:func:`classify` looks at the text from a head (:mod:`.heads`) on; :func:`start_verdict`
at the start of a message, where a message made only of a call (``{"name": …``,
``get_weather(…)``, a ```` ```json ```` fence around one) must be held too. Every verdict
is decided from a bounded amount of text (at most :data:`REPARSE_WINDOW` characters), so
the guard's cost per delta stays bounded.

A verdict may be conservative: CONFIRM only means "hold it until the end of the message";
the extractor then decides on the whole text, and held text that holds no call is shown.
REJECT must be safe: it is only given when the extractor could not see a call there.

Spec: specs/002-pseudo-tool-calls/spec.md §"Streaming guard".
"""

from __future__ import annotations

import functools
import re
from enum import Enum

from .blocks import scan_balanced
from .calldict import ARGS_KEYS, NAME_KEYS, WRAPPER_KEYS
from .masking import STRAY_CLOSERS, WHOLE_FENCE_LANGS
from .model import Offered
from .names import could_be_name_prefix, resolve_name
from .registry import MARKERS


class Verdict(Enum):
    """Outcome of examining text at a marker head."""

    CONFIRM = "confirm"
    REJECT = "reject"
    WAIT = "wait"


_TO_CONFIRM = re.compile(
    r"to=[A-Za-z_][\w\-]*(?:\.[A-Za-z_][\w\-]*)*[ \t]*"
    r"(?:code\b|json\b|<[|｜]|[:=]?[ \t]*\n?[ \t]*\{)"
)
_TO_WINDOW = 80
_FUNCS = "to=functions."


#: a special token: ``<|name|>``, ``<｜name｜>``, ``<|name>`` (Gemma), ``<｜DSML｜name``
_TAG_MARKERS = tuple(m for m in MARKERS if m.startswith("<"))
_TOKEN = re.compile(r"<[|｜‖]{1,2}[\w▁\"'.:\-]{0,40}(?:[|｜‖]{1,2}>|>|[|｜‖]{1,2}(?=\w))")
_TOKEN_SO_FAR = re.compile(r"<[|｜‖]{1,2}[\w▁\"'.:\-]{0,40}[|｜‖]{0,2}")
_TAG_NAME = re.compile(r"<([A-Za-z_][\w:.\-]*)")
_CALL_WORDS = re.compile(r"(?i)tool|call|function|invoke|action|plugin|param|arg")
_CALL_TAGS = frozenset({"name", "args", "arguments", "input", "parameters", "result"})
_BRACKET = re.compile(r"\[([A-Za-z_ ]*)")
_FILE_EXT = re.compile(r"functions\.(?:py|js|ts|php|rb|go|rs|java|c|h|cpp|json|md|txt|sh)\b")
_IDENT_AFTER_NS = re.compile(r"(?:functions|default_api)\.([A-Za-z_][\w.\-]*)")
_LEAD_WORDS = ("assistant", "Assistant")
_AFTER_LEAD = ("commentary", "analysis", "final", " to=", "to=", "<|", "<｜")
_LINE_CALL_START = re.compile(
    r"[ \t]*(?:[{\[(<`]|(?:Action[ _]Input|Arguments?|Input|Parameters|Args|✿ARGS✿)\s*:)"
)
#: labels that may open an argument block on the line after a tool name (ReAct …)
_ARG_LABELS = (
    "Action Input:",
    "Action_Input:",
    "Arguments:",
    "Argument:",
    "Input:",
    "Parameters:",
    "Args:",
    "✿ARGS✿:",
)


def classify(
    held: str, offered: Offered, *, final: bool = False, line_start: bool = False
) -> Verdict:
    """Classify the text ``held`` that starts at a head (see :mod:`.heads`).

    ``final``: no more text will come (WAIT becomes REJECT). ``line_start``: the head
    starts its line (a tool name alone on a line may open ``NAME\\n<body>\\n[/NAME]``).
    """
    verdict = _classify(held, offered, line_start, final)
    if verdict is Verdict.WAIT and (final or len(held) > REPARSE_WINDOW):
        return Verdict.REJECT
    return verdict


def _classify(held: str, offered: Offered, line_start: bool, final: bool) -> Verdict:
    ch = held[0]
    if ch == "<":
        if held.startswith(_TAG_MARKERS):
            return Verdict.CONFIRM  # a family's literal marker (``<｜DSML｜``, ``<tool_call>`` …)
        if held[1:2] in ("|", "｜", "‖"):
            if _TOKEN.match(held):
                return Verdict.CONFIRM  # special tokens are never prose
            so_far = _TOKEN_SO_FAR.match(held)
            return Verdict.WAIT if so_far and so_far.end() == len(held) else Verdict.REJECT
        return _tag_verdict(held, offered)
    if ch == "[":
        rest = held[1:].lstrip()
        if rest[:1] == "{":
            return json_call_verdict(rest, offered)
        return _bracket_verdict(held, offered)
    if ch == "{":
        return json_call_verdict(held, offered)
    if ch == "`":
        return Verdict.CONFIRM  # ```tool_code / ```tool_call
    if held.startswith("to="):
        return _recipient_verdict(held)
    if held.startswith(("functions.", "default_api.")):
        return _namespace_verdict(held, offered)
    if held.startswith("declaration:"):
        return Verdict.CONFIRM
    if held.startswith(("Action:", ">>>")):
        return _label_verdict(held[7:] if held[0] == "A" else held[3:], offered)
    if held.startswith(_LEAD_WORDS):
        return _lead_verdict(held[len("assistant") :])
    return name_verdict(held, offered, line_start, final=final)


def _tag_verdict(held: str, offered: Offered) -> Verdict:
    m = _TAG_NAME.match(held)
    if m is None:
        return Verdict.REJECT
    if m.end() >= len(held):
        return Verdict.WAIT  # the tag name may still grow
    name = m.group(1)
    if (
        name in offered
        or name in _CALL_TAGS
        or _CALL_WORDS.search(name)
        or resolve_name(name, offered)
    ):
        return Verdict.CONFIRM
    return Verdict.REJECT


def _bracket_verdict(held: str, offered: Offered) -> Verdict:
    if held.startswith("[TOOL_CALLS]"):
        rest = held[len("[TOOL_CALLS]") :]
        if rest[:1] and not rest[0].isspace():
            return Verdict.CONFIRM  # glued to a name, a list or an object: the real token
        return _tool_calls_verdict(rest.lstrip())
    if held.startswith("[ARGS]"):
        rest = held[len("[ARGS]") :].lstrip()
        return Verdict.WAIT if not rest else Verdict.CONFIRM if rest[0] == "{" else Verdict.REJECT
    if held.startswith(("[Called function", "[Calling tool")):
        return Verdict.CONFIRM
    listed = _IDENT.match(held, 1 + len(held[1:]) - len(held[1:].lstrip()))
    if listed and resolve_name(listed.group(), offered):
        return name_verdict(held[listed.start() :], offered, False)  # ``[name(…), …]``
    m = _BRACKET.match(held)
    word = m.group(1) if m else ""
    if m is None or m.end() >= len(held):
        for marker in ("[TOOL_CALLS]", "[ARGS]", "[Called function", "[Calling tool"):
            if marker.startswith(held):
                return Verdict.WAIT
        return Verdict.WAIT if m is not None and len(word) < 24 else Verdict.REJECT
    if held[m.end()] == "]" and word.isupper() and _CALL_WORDS.search(word):
        return Verdict.CONFIRM  # [TOOL_REQUEST], [FUNCTION_CALL] …
    return Verdict.REJECT


def _recipient_verdict(held: str) -> Verdict:
    if held.startswith(_FUNCS):
        if len(held) == len(_FUNCS):
            return Verdict.WAIT
        ch = held[len(_FUNCS)]
        return Verdict.CONFIRM if ch.isalpha() or ch == "_" else Verdict.REJECT
    if _FUNCS.startswith(held[: len(_FUNCS)]) and len(held) < len(_FUNCS):
        return Verdict.WAIT
    if _TO_CONFIRM.match(held):
        return Verdict.CONFIRM
    return Verdict.WAIT if len(held) < _TO_WINDOW else Verdict.REJECT


def _namespace_verdict(held: str, offered: Offered) -> Verdict:
    """``functions.NAME`` without ``to=`` (degenerate harmony drops it): a call unless it is
    a file name such as ``functions.py``."""
    m = _IDENT_AFTER_NS.match(held)
    if m is None:
        return Verdict.WAIT if held.endswith(".") else Verdict.REJECT
    if m.end() >= len(held):
        return Verdict.WAIT
    if _FILE_EXT.match(held) and not resolve_name(m.group(1), offered):
        return Verdict.REJECT
    return Verdict.CONFIRM


def _payload_or_name(rest: str, openers: str, name: re.Pattern[str]) -> Verdict | re.Match[str]:
    """What follows a call marker: WAIT for nothing yet, CONFIRM for a payload opening with
    one of ``openers`` (a list, object or fence), REJECT for neither a payload nor ``name``,
    else the ``name`` match (the caller decides by it)."""
    if not rest:
        return Verdict.WAIT
    if rest[0] in openers:
        return Verdict.CONFIRM
    word = name.match(rest)
    return Verdict.REJECT if word is None else word


def _label_verdict(rest: str, offered: Offered) -> Verdict:
    """ReAct ``Action:`` / Functionary ``>>>``: a call when a tool name, a fence or an
    object follows."""
    body = rest.lstrip(" \t")
    word = _payload_or_name(body, "{[`", _NAME_RUN)
    if isinstance(word, Verdict):
        return word
    if resolve_name(word.group(), offered):
        return Verdict.CONFIRM if word.end() < len(body) else Verdict.WAIT
    names = tuple(offered)
    if word.end() == len(body) and any(n.startswith(word.group()) for n in names):
        return Verdict.WAIT
    return Verdict.REJECT


def _lead_verdict(rest: str) -> Verdict:
    """``assistant`` glued to a harmony channel word or followed by ``to=`` / a token."""
    for after in _AFTER_LEAD:
        if rest.startswith(after):
            return Verdict.CONFIRM
        if after.startswith(rest):
            return Verdict.WAIT
    return Verdict.REJECT


def name_verdict(held: str, offered: Offered, line_start: bool, *, final: bool = False) -> Verdict:
    """An offered tool name at the start of ``held``: is it in call position?

    What follows the name (after spaces/tabs) decides: ``{``, ``[``, ``<``, ``>``, ``to=``,
    ``.call(`` → CONFIRM; ``(…)`` → CONFIRM when the parentheses end the line, REJECT when
    prose follows them; ``:`` / ``=`` → by the next character; a closing quote → CONFIRM
    inside an object (``"…", "arguments"``), else REJECT; a line break → CONFIRM when the
    next line opens an argument block, WAIT (bounded) for ``[/NAME]`` when the name is
    alone on its line. Anything else is prose → REJECT.
    """
    names = _by_length(tuple(offered))
    word = _NAME_RUN.match(held)
    if word and word.end() == len(held) and any(n.startswith(word.group()) for n in names):
        return Verdict.WAIT  # ``read_`` may still become ``read_file``
    name = next((n for n in names if held.startswith(n)), None)
    if name is None:
        return Verdict.REJECT
    rest = held[len(name) :]
    if rest[:1] and (rest[0].isalnum() or rest[0] in "_-"):
        return Verdict.REJECT  # ``read`` in ``ready``: another word
    body = rest.lstrip(" \t")
    if not body:
        return Verdict.WAIT
    ch = body[0]
    if ch in "{[<>" or body.startswith(("to=", ".call(")):
        return Verdict.CONFIRM
    if ch == "(":
        return _after_parens(body, final)
    if ch in ":=":
        after = body[1:].lstrip(" \t")
        if not after:
            return Verdict.WAIT
        if after[0] in "{[(<\"'\r\n":
            return Verdict.CONFIRM
        return Verdict.REJECT
    if ch in "\"'":
        after = body[1:].lstrip(" \t")
        if not after:
            return Verdict.WAIT
        return Verdict.CONFIRM if after[0] in ",:}]" else Verdict.REJECT
    if ch == "." and len(body) < 6 and ".call(".startswith(body):
        return Verdict.WAIT
    if ch in "\r\n":
        return _after_line_break(held, body, name, line_start and rest[:1] in "\r\n")
    if ch == "t" and "to=".startswith(body[:3]):
        return Verdict.WAIT
    return Verdict.REJECT


@functools.lru_cache(maxsize=64)
def _by_length(names: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted(names, key=len, reverse=True))


def _after_parens(body: str, final: bool) -> Verdict:
    end = scan_balanced(body, 0)
    if end is None:
        return Verdict.WAIT
    after = body[end:].lstrip(" \t")
    if not after:
        return Verdict.CONFIRM if final else Verdict.WAIT  # the call ends the message
    return Verdict.CONFIRM if after[0] in "\r\n<,]" else Verdict.REJECT


def _after_line_break(held: str, body: str, name: str, alone: bool) -> Verdict:
    nxt = body.lstrip("\r")
    nxt = nxt[1:] if nxt[:1] == "\n" else nxt
    if not nxt:
        return Verdict.WAIT
    if _LINE_CALL_START.match(nxt):
        return Verdict.CONFIRM
    label = nxt.lstrip(" \t")
    if len(label) < 14 and any(lb.startswith(label) for lb in _ARG_LABELS):
        return Verdict.WAIT
    if alone:  # ``NAME\n<body>\n[/NAME]`` (GPT-5.4) is only known at its end
        if f"\n[/{name}]" in held:
            return Verdict.CONFIRM
        return Verdict.WAIT if len(held) < 600 else Verdict.REJECT
    if not nxt.strip(" \t"):
        return Verdict.WAIT if len(held) < 64 else Verdict.REJECT
    return Verdict.REJECT


def _tool_calls_verdict(rest: str) -> Verdict:
    """``[TOOL_CALLS]`` is a call when followed by a list/object or ``NAME[ARGS]``."""
    m = _payload_or_name(rest, "[{", _IDENT)
    if isinstance(m, Verdict):
        return m
    after = rest[m.end() :]
    if not after:
        return Verdict.WAIT if len(rest) < 128 else Verdict.REJECT
    if after[0] in "{(":
        return Verdict.CONFIRM  # ``[TOOL_CALLS]name{…}`` without ``[ARGS]``
    for tag in ("[ARGS]", "[CALL_ID]"):
        if after.startswith(tag):
            return Verdict.CONFIRM
        if tag.startswith(after):
            return Verdict.WAIT
    return Verdict.REJECT


_NAME_KEYS = frozenset(NAME_KEYS)
_ARGS_KEYS = frozenset(ARGS_KEYS)
_SKIP_KEYS = _ARGS_KEYS | {"id", "cache_control", "index", "call_id"}
_TYPE_VALUES = ("function", "tool_use", "function_call", "tool_call")
_WS = " \t\r\n"


def _skip_ws(s: str, i: int) -> int:
    while i < len(s) and s[i] in _WS:
        i += 1
    return i


def _read_string(s: str, i: int) -> tuple[str, int] | None:
    """Read a quoted string at ``s[i]``; ``(value, end)`` or ``None`` when unterminated."""
    quote = s[i]
    out: list[str] = []
    j = i + 1
    while j < len(s):
        ch = s[j]
        if ch == "\\":
            if j + 1 >= len(s):
                return None
            out.append(s[j + 1])
            j += 2
            continue
        if ch == quote:
            return "".join(out), j + 1
        out.append(ch)
        j += 1
    return None


#: a suspicion that needs re-parsing the held text (JSON before its name, a pythonic call)
#: is given up (released) beyond this many characters, keeping each delta cheap
REPARSE_WINDOW = 4096


def json_call_verdict(s: str, offered: Offered) -> Verdict:
    """Could ``s`` (starting with ``{``) still be a call object naming an offered tool?

    CONFIRM as soon as a name key holds an offered tool name; REJECT on the first key or
    value that no call object has, or when still undecided after :data:`REPARSE_WINDOW`
    characters; WAIT otherwise.
    """
    verdict = _json_call_verdict(s, offered)
    if verdict is Verdict.WAIT and len(s) > REPARSE_WINDOW:
        return Verdict.REJECT
    return verdict


def _json_call_verdict(s: str, offered: Offered) -> Verdict:
    i = 1
    named = False  # a name key held a string that is not an offered tool
    while True:
        i = _skip_ws(s, i)
        if i >= len(s):
            return Verdict.WAIT
        if s[i] not in "\"'":
            return Verdict.REJECT
        got = _read_string(s, i)
        if got is None:
            return Verdict.WAIT
        key, i = got
        if key in offered and resolve_name(key, offered):
            return Verdict.CONFIRM  # {"get_weather": {…}}
        i = _skip_ws(s, i)
        if i >= len(s):
            return Verdict.WAIT
        if s[i] != ":":
            return Verdict.REJECT
        i = _skip_ws(s, i + 1)
        if i >= len(s):
            return Verdict.WAIT
        ch = s[i]
        if key in _NAME_KEYS or key in WRAPPER_KEYS:
            if key in WRAPPER_KEYS and ch == "{":
                return _json_call_verdict(s[i:], offered)
            if ch not in "\"'":
                return Verdict.REJECT
            got = _read_string(s, i)
            if got is None:
                return Verdict.WAIT
            if resolve_name(got[0], offered):
                return Verdict.CONFIRM
            named, i = True, got[1]  # a call of a tool that was not offered, or an answer
        elif named and key in _ARGS_KEYS and ch in "{\"'":
            return Verdict.CONFIRM  # call-shaped: the extractor decides at the end
        elif key in ("tool_uses", "tool_calls"):
            return Verdict.CONFIRM if ch == "[" else Verdict.REJECT
        elif key == "type":
            if ch not in "\"'":
                return Verdict.REJECT
            got = _read_string(s, i)
            if got is None:
                partial = s[i + 1 :]
                ok = any(v.startswith(partial) for v in _TYPE_VALUES)
                return Verdict.WAIT if ok else Verdict.REJECT
            if got[0] not in _TYPE_VALUES:
                return Verdict.REJECT
            i = got[1]
        elif key in _SKIP_KEYS:
            if ch in "\"'":
                got = _read_string(s, i)
                if got is None:
                    return Verdict.WAIT
                i = got[1]
            elif ch in "{[":
                end = scan_balanced(s, i)
                if end is None:
                    return Verdict.WAIT
                i = end
            else:
                m = re.compile(r"[^,}\s]*").match(s, i)
                i = m.end() if m else i
                if i >= len(s):
                    return Verdict.WAIT
        else:
            return Verdict.REJECT
        i = _skip_ws(s, i)
        if i >= len(s):
            return Verdict.WAIT
        if s[i] != ",":
            return Verdict.REJECT
        i += 1


_IDENT = re.compile(r"[A-Za-z_][\w.\-]*")
_NAME_RUN = re.compile(r"[A-Za-z0-9_.\-]+")
_STRIPPED_START = re.compile(r"(?:analysis|commentary|final)(?=[A-Z\u4e00-\u9fff])")
_FENCE_LANGS = ("json", "tool_code", "tool_call", "python", "py", "xml", "")


def start_verdict(text: str, offered: Offered) -> Verdict:
    """Verdict for the start of a message: is it (still possibly) only a tool call?

    Covers bare JSON call objects/lists, ``name(…)`` / ``[a(), b()]`` pythonic calls,
    ``NAME<arg_key>``, ``NAME[ARGS]``, ``NAME\\n…\\n[/NAME]``, ``NAME to=…``, a leading
    ``analysisX`` (stripped harmony) and a ```` ```json ```` fence around any of those.
    """
    t = text.lstrip()
    if not t:
        return Verdict.WAIT
    c = t[0]
    if c == "{":
        return json_call_verdict(t, offered)
    if c == "[":
        rest = t[1:].lstrip()
        if not rest:
            return Verdict.WAIT
        if rest[0] == "{":
            return json_call_verdict(rest, offered)
        if rest[0].isalpha() or rest[0] == "_":
            return _ident_verdict(rest, offered, in_list=True)
        return Verdict.REJECT
    if c == "`":
        if not "```".startswith(t[:3]):
            return Verdict.REJECT
        if len(t) < 3:
            return Verdict.WAIT
        nl = t.find("\n")
        info = (t[3:] if nl < 0 else t[3:nl]).strip().lower()
        if nl < 0:
            return (
                Verdict.WAIT
                if any(lang.startswith(info) for lang in _FENCE_LANGS)
                else (Verdict.REJECT)
            )
        if info not in _FENCE_LANGS:
            return Verdict.REJECT
        inner = t[nl + 1 :].lstrip()
        if inner[:1] == "<" and info in WHOLE_FENCE_LANGS:
            # markup fenced as the whole message (```xml <function_call>…): the extractor
            # reads it as a call when nothing follows the fence, so hold it until then
            verdict = Verdict.WAIT if inner == "<" else classify(inner, offered)
            close = inner.find("\n```")
            more = close >= 0 and not STRAY_CLOSERS.fullmatch(inner, close + 4)
            return (
                Verdict.REJECT
                if more
                else Verdict.CONFIRM
                if verdict is Verdict.CONFIRM
                else (Verdict.WAIT)
            )
        if inner[:1] == "`":
            return Verdict.REJECT  # a fence opening inside the fence: code, not a call
        return start_verdict(inner, offered)
    if _STRIPPED_START.match(t):
        return Verdict.CONFIRM
    if c.isalpha() or c == "_":
        return _ident_verdict(t, offered, in_list=False)
    return Verdict.REJECT


def _ident_verdict(t: str, offered: Offered, *, in_list: bool) -> Verdict:
    m = _IDENT.match(t)
    if m is None:
        return Verdict.REJECT
    ident = m.group()
    rest = t[m.end() :]
    if not rest:
        growing = could_be_name_prefix(ident, offered, fold=False) or any(
            w.startswith(ident)
            for w in ("analysis", "commentary", "final", "assistant", "Assistant")
        )
        return Verdict.WAIT if growing else Verdict.REJECT
    if ident in ("assistant", "Assistant"):
        return _prefix_of(rest, " to=", Verdict.CONFIRM)
    if resolve_name(ident, offered) is None:
        return Verdict.REJECT
    ch = rest[0]
    if ch == "(":
        if len(t) > REPARSE_WINDOW:
            return Verdict.REJECT
        end = scan_balanced(t, m.end())
        if end is None:
            return Verdict.WAIT
        after = t[end:].lstrip()
        if in_list:
            return Verdict.WAIT if not after or after[0] in ",]" else Verdict.REJECT
        return Verdict.WAIT if not after else Verdict.REJECT
    if in_list:
        return Verdict.REJECT
    if ch == "<":
        return _prefix_of(rest, "<arg_key>", Verdict.CONFIRM)
    if ch == "[":
        if rest.startswith("[/"):
            return Verdict.REJECT
        return max(
            (_prefix_of(rest, tag, Verdict.CONFIRM) for tag in ("[ARGS]", "[CALL_ID]")),
            key=lambda v: (v is Verdict.CONFIRM, v is Verdict.WAIT),
        )
    if ch in " \t":
        return _prefix_of(rest.lstrip(" \t") and " " + rest.lstrip(" \t"), " to=", Verdict.CONFIRM)
    if ch == "\n":
        return Verdict.CONFIRM if f"\n[/{ident}]" in t else Verdict.WAIT
    return Verdict.REJECT


def _prefix_of(rest: str, tag: str, full: Verdict) -> Verdict:
    if rest.startswith(tag):
        return full
    return Verdict.WAIT if tag.startswith(rest) else Verdict.REJECT
