"""Cheap, incremental leak-marker detection for the streaming guard.

Three pieces, all precompiled:

* :data:`TRIGGER` — one regex for every marker *head* (``<|channel|>``, ``<tool_call>``,
  ``[TOOL_CALLS]``, ``to=``, ``{"name"`` …). A head is then *classified* by
  :func:`classify` on the text that follows it: ``CONFIRM`` (a leak starts here), ``REJECT``
  (harmless) or ``WAIT`` (need more text; e.g. ``to=`` before its recipient).
* :func:`held_suffix_len` — how many trailing characters could still grow into a head
  and must be held back (``<|cha``, ``[TOOL_``, `` t``, ``{"na``).
* :func:`start_verdict` — at the very start of a message: could this be a message made
  only of a call (``{"name": …``, ``get_weather(…)``, ``read<arg_key>``, ```` ```json ````)?
* :class:`CodeTracker` — incremental fenced/inline-code/quote state, so markers shown
  *as code* are ignored.

Spec: specs/002-pseudo-tool-calls/spec.md §"Streaming guard".
"""

from __future__ import annotations

import re
from enum import Enum

from .args import scan_balanced
from .masking import MASK, masked_view
from .model import Offered
from .names import could_be_name_prefix, resolve_name

#: Gemini's ``declaration:default_api:NAME{…}`` (a word marker: held by its prefixes too)
DECLARATION = "declaration:default_api:"

#: Literal marker heads: each one alone (outside code) confirms a leak. All start with
#: ``<``, ``[``, ``{``, a backtick, ``assistant`` or ``declaration:`` (see
#: :func:`may_contain_head`).
MARKERS: tuple[str, ...] = (
    "<|channel|>",
    "<|start|>",
    "<|message|>",
    "<|constrain|>",
    "<|call|>",
    "<｜channel｜>",
    "<｜start｜>",
    "<｜message｜>",
    "<｜constrain｜>",
    "<｜call｜>",
    "<|tool_calls_section_begin|>",
    "<|tool_call_section_begin|>",
    "<|tool_call_begin|>",
    "<|tool_call_argument_begin|>",
    "<|tool_call_start|>",
    "<|python_tag|>",
    "<|python_start|>",
    "<|open|>",
    "<|sep|>",
    "<｜tool▁calls▁begin｜>",
    "<｜tool▁call▁begin｜>",
    "<|tool▁calls▁begin|>",
    "<|tool▁call▁begin|>",
    "<｜tool_calls_begin｜>",
    "<｜tool_call_begin｜>",
    "<｜DSML｜",
    "<|DSML|",
    "<tool_call>",
    "<function=",
    "<function_calls>",
    "<invoke name=",
    "<tool_use>",
    "<arg_key>",
    "<arg_value>",
    "<parameter=",
    "[TOOL_CALLS]",
    "[ARGS]",
    "[Called function",
    "[Calling tool",
    "{'id': 'toolu_",
    "assistantcommentary",
    "assistantanalysis",
    "assistantfinal",
    "```tool_code",
    DECLARATION,
)

_TO_HEAD = r"(?<![A-Za-z0-9_?&/=#%@+.\-])to=(?=[A-Za-z_])"
_JSON_HEAD = (
    r"\{\s*[\"'](?:name|type|function|tool|tool_name|recipient_name|tool_uses"
    r"|arguments|parameters)[\"']"
)
#: Every marker head; group ``to`` / ``json`` tell which kind matched.
TRIGGER = re.compile(
    "|".join(re.escape(m) for m in sorted(MARKERS, key=len, reverse=True))
    + rf"|(?P<to>{_TO_HEAD})|(?P<json>{_JSON_HEAD})"
)


def may_contain_head(text: str) -> bool:
    """Cheap pre-filter: False guarantees :data:`TRIGGER` cannot match in ``text``."""
    return (
        "<" in text
        or "[" in text
        or "{" in text
        or "`" in text
        or "to=" in text
        or "assistant" in text
        or "declaration:" in text
    )


def declaration_suffix(text: str, before: str = "") -> int:
    """Length of a suffix of ``text`` that is a prefix of :data:`DECLARATION` starting at
    a word boundary (``before`` = the character preceding ``text``), else 0."""
    i = text.find("d", max(0, len(text) - len(DECLARATION) + 1))
    while i >= 0:  # leftmost first: the longest suffix wins
        if DECLARATION.startswith(text[i:]):
            prev = text[i - 1] if i else before
            if not (prev and prev in _BOUNDARY_BAD):
                return len(text) - i
        i = text.find("d", i + 1)
    return 0


_PREFIXES = frozenset(m[:i] for m in MARKERS for i in range(1, len(m)))
_RARE_TAIL = re.compile(r"[<\[{`][^<\[{`]*\Z")
_JSON_PARTIAL = re.compile(r"\{\s*(?:[\"'][A-Za-z_]*)?")
_BOUNDARY_BAD = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_?&/=#%@+.-"
)


def held_suffix_len(text: str, before: str = "") -> int:
    """Length of the longest suffix of ``text`` that may still become a marker head.

    ``before`` is the character preceding ``text`` (for the ``to=`` word boundary).
    Constant time: only the last few dozen characters are examined.
    """
    k = 0
    m = _RARE_TAIL.search(text, max(0, len(text) - 48))
    if m:
        start = m.start()
        while start > 0 and text[start] == "`" and text[start - 1] == "`":
            start -= 1
        frag = text[start:]
        if frag in _PREFIXES or (frag[0] == "{" and _JSON_PARTIAL.fullmatch(frag)):
            k = len(frag)
    last = text[-1:] if text else ""
    if last in ("t", "o", "="):
        for tail in ("to=", "to", "t"):
            if text.endswith(tail):
                n = len(tail)
                prev = text[-n - 1] if len(text) > n else before[-1:]
                if prev not in _BOUNDARY_BAD:
                    k = max(k, n)
                break
    k = max(k, declaration_suffix(text, before))
    a = text.rfind("assistant", max(0, len(text) - 19))
    if a >= 0 and text[a:] in _PREFIXES:
        k = max(k, len(text) - a)
    elif text.endswith("assistant"):
        k = max(k, len("assistant"))
    return k


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


def classify(held: str, offered: Offered, *, final: bool = False) -> Verdict:
    """Classify the text ``held`` that starts at a :data:`TRIGGER` head.

    ``final`` means no more text will come (WAIT becomes REJECT).
    """
    verdict = _classify(held, offered)
    if verdict is Verdict.WAIT and final:
        return Verdict.REJECT
    return verdict


def _classify(held: str, offered: Offered) -> Verdict:
    if held.startswith("to="):
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
    if held.startswith("[TOOL_CALLS]"):
        return _tool_calls_verdict(held[len("[TOOL_CALLS]") :].lstrip())
    if held.startswith("[ARGS]"):
        rest = held[len("[ARGS]") :].lstrip()
        return Verdict.WAIT if not rest else Verdict.CONFIRM if rest[0] == "{" else Verdict.REJECT
    if held[:1] == "{" and not held.startswith("{'id': 'toolu_"):
        return json_call_verdict(held, offered)
    return Verdict.CONFIRM


def _tool_calls_verdict(rest: str) -> Verdict:
    """``[TOOL_CALLS]`` is a call when followed by a list/object or ``NAME[ARGS]``."""
    if not rest:
        return Verdict.WAIT
    if rest[0] in "[{":
        return Verdict.CONFIRM
    m = _IDENT.match(rest)
    if m is None:
        return Verdict.REJECT
    after = rest[m.end() :]
    if not after:
        return Verdict.WAIT if len(rest) < 128 else Verdict.REJECT
    for tag in ("[ARGS]", "[CALL_ID]"):
        if after.startswith(tag):
            return Verdict.CONFIRM
        if tag.startswith(after):
            return Verdict.WAIT
    return Verdict.REJECT


_NAME_KEYS = frozenset({"name", "tool", "tool_name", "recipient_name", "function_name"})
_SKIP_KEYS = frozenset(
    {"arguments", "parameters", "args", "input", "id", "cache_control", "index", "call_id"}
)
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
        i = _skip_ws(s, i)
        if i >= len(s):
            return Verdict.WAIT
        if s[i] != ":":
            return Verdict.REJECT
        i = _skip_ws(s, i + 1)
        if i >= len(s):
            return Verdict.WAIT
        ch = s[i]
        if key in _NAME_KEYS or key == "function":
            if key == "function" and ch == "{":
                return _json_call_verdict(s[i:], offered)
            if ch not in "\"'":
                return Verdict.REJECT
            got = _read_string(s, i)
            if got is None:
                partial = s[i + 1 :].replace("\\", "")
                return Verdict.WAIT if could_be_name_prefix(partial, offered) else Verdict.REJECT
            return Verdict.CONFIRM if resolve_name(got[0], offered) else Verdict.REJECT
        if key == "tool_uses":
            return Verdict.CONFIRM if ch == "[" else Verdict.REJECT
        if key == "type":
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
_STRIPPED_START = re.compile(r"(?:analysis|commentary|final)(?=[A-Z\u4e00-\u9fff])")
_FENCE_LANGS = ("json", "tool_code", "tool_call", "python", "py", "")


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
        return start_verdict(t[nl + 1 :], offered)
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


class CodeState(Enum):
    """Where a position sits relative to Markdown code."""

    PROSE = "prose"
    CODE = "code"
    MAYBE = "maybe"  # backticks earlier in the paragraph: decided by :func:`inline_resolution`


_FENCE_LINE = re.compile(r"^ {0,3}(`{3,}|~{3,})[ \t]*([^\n`]*)$")
_TICKS = re.compile(r"`+")
_QUOTE_LINE = re.compile(r"^ {0,3}>")
#: lines that start a new block, so inline code cannot continue across them
BLOCK_START = re.compile(r" {0,3}(?:[-*+][ \t]|\d{1,9}[.)][ \t]|#{1,6}(?:[ \t]|$))")
_LEAK_FENCES = frozenset({"tool_code", "tool_call", "tool_calls", "function_call"})


class CodeTracker:
    """Incremental Markdown code state of a growing text (fences, inline code, quotes).

    :meth:`feed` text in order; :meth:`state` tells where the *next* character is;
    :meth:`paragraph` gives the current paragraph's text for :func:`inline_resolution`.
    Total cost is linear in the text fed (plus the current paragraph on a query).
    """

    __slots__ = ("_fence", "_fence_masked", "_line", "_para")

    def __init__(self) -> None:
        self._fence: str | None = None
        self._fence_masked = True
        self._para: list[str] = []  # completed lines of the current paragraph (with "\n")
        self._line = ""

    def feed(self, text: str) -> None:
        """Consume ``text`` (any size, any split)."""
        if not text:
            return
        parts = text.split("\n")
        if len(parts) == 1:
            self._line += text
            return
        self._end_line(self._line + parts[0])
        for mid in parts[1:-1]:
            self._end_line(mid)
        self._line = parts[-1]
        if self._line and BLOCK_START.match(self._line):
            self._para = []

    def _end_line(self, line: str) -> None:
        if self._fence is not None:
            stripped = line.lstrip(" ")
            if len(line) - len(stripped) <= 3 and stripped.startswith(self._fence):
                rest = stripped.lstrip(self._fence[0])
                if not rest.strip() or rest.lstrip().startswith(("<|", "<｜")):
                    self._fence = None
            return
        opened = _FENCE_LINE.match(line)
        if opened and not (opened.group(1)[0] == "`" and "`" in opened.group(2)):
            info = opened.group(2).strip().split(" ")[0].lower()
            self._fence = opened.group(1)
            self._fence_masked = info not in _LEAK_FENCES
            self._para = []
            return
        if not line.strip() or _QUOTE_LINE.match(line):
            self._para = []
            return
        if BLOCK_START.match(line):
            self._para = []
        self._para.append(line + "\n")

    def state(self) -> CodeState:
        """State at the end of the text fed so far."""
        if self._fence is not None:
            return CodeState.CODE if self._fence_masked else CodeState.PROSE
        if _QUOTE_LINE.match(self._line):
            return CodeState.CODE
        if "`" in self._line or any("`" in line for line in self._para):
            return CodeState.MAYBE
        return CodeState.PROSE

    def paragraph(self) -> str:
        """The current paragraph (outside fences) up to the end of the text fed so far."""
        return "".join(self._para) + self._line


_PARAGRAPH_END = re.compile(r"\n[ \t]*(?:\n|`{3}|~{3}|>)|\n(?=" + BLOCK_START.pattern + ")")


def inline_resolution(before: str, after: str, *, final: bool = False) -> CodeState | None:
    """Is the position between ``before`` (its paragraph so far) and ``after`` inline code?

    CommonMark pairing: a backtick run opens a code span only if a later run of the same
    width closes it; otherwise it is literal. Returns CODE / PROSE once decided, ``None``
    while an opener before the position may still be closed by text not yet received
    (``final`` = no more text will come).
    """
    end = _PARAGRAPH_END.search(after)
    done = final or end is not None
    text = before + (after[: end.start()] if end else after)
    head = len(before)
    runs = [(m.start(), m.end() - m.start()) for m in _TICKS.finditer(text)]
    nxt = [-1] * len(runs)
    last: dict[int, int] = {}
    for i in range(len(runs) - 1, -1, -1):
        nxt[i] = last.get(runs[i][1], -1)
        last[runs[i][1]] = i
    p = 0
    while p < len(runs) and runs[p][0] < head:
        q = nxt[p]
        if q < 0:
            if not done:
                return None
            p += 1  # never closed: a literal backtick run
            continue
        if runs[q][0] >= head:
            return CodeState.CODE
        p = q + 1
    return CodeState.PROSE


def find_marker(text: str, start: int = 0, offered: Offered | None = None) -> int | None:
    """Index of the first confirmed leak marker at or after ``start`` in a complete text.

    Markers inside fenced/inline code and quoted lines are ignored; a message that starts
    as a bare call object (see :func:`start_verdict`) counts as a marker at its first
    non-blank character. ``None`` when there is none.
    """
    tools: Offered = offered or {}
    masked = masked_view(text)
    if start == 0 and tools and start_verdict(text, tools) is not Verdict.REJECT:
        first = len(text) - len(text.lstrip())
        if start_verdict(text, tools) is Verdict.CONFIRM:
            return first
    for m in TRIGGER.finditer(masked, start):
        if MASK in m.group():
            continue
        if classify(text[m.start() :], tools, final=True) is Verdict.CONFIRM:
            return m.start()
    return None
