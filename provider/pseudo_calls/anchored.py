"""Schema-guided recovery: an offered tool name in call position, whatever the format.

The plugin knows the names (and JSON schemas) of the tools it offered. A model that writes
a call names one of them *in call position* and attaches arguments to it. This finder
does not know any format; it looks for

1. an offered name in the text (outside code and claimed spans), as a bare word, inside a
   tag (``<NAME>…</NAME>``) or as the ``"name"`` of a call object;
2. the arguments the text attaches to it (:func:`~.bodies.call_after_name`: an object, a
   brace notation, ``(k=v)``, parameter blocks, an enclosing ``{"name": …,
   "arguments": …}``), or none;
3. the wrapper around the pair: tags or special tokens right before it (``<foo:call>``,
   ``<|tool▁x|>``), a prefix (``functions.``, ``call:``, ``>>>``, ``[TOOL_REQUEST]``) —
   and the closing tags/tokens right after it.

A wrapped pair is a *strong* leak (broken arguments → unrecoverable → re-ask). An unwrapped
pair is *weak*: it counts only with arguments that pass the schema, and only when it ends
its line and does not sit in the middle of a sentence ("I called get_weather(city=…)
yesterday" is prose). Every accepted call is validated against the schema by the pipeline.
A new format therefore costs a test row, not code.

Spec: specs/002-pseudo-tool-calls/spec.md §"Schema-guided recovery".
"""

from __future__ import annotations

import functools
import re
from typing import Any

from .args import coerce_scalar, property_schema
from .blocks import scan_balanced
from .bodies import CLOSING_TAGS, call_after_name, keyed_calls
from .calldict import calls_from_value
from .literals import Unreadable, read_value
from .model import MAX_LEAKS, Family, Leak, RawCall, Scan

#: at most this many name occurrences are examined per message (hostile text repeats names)
MAX_ANCHORS = 64


@functools.lru_cache(maxsize=64)
def name_pattern(names: tuple[str, ...]) -> re.Pattern[str] | None:
    """A regex matching any of ``names`` as a whole word (also with ``.`` for ``_``); a
    name glued to CJK or other non-Latin text (``调用get_weather(``) counts as a word.

    Cached per set of offered names; ``None`` when there are none.
    """
    variants = {n for n in names if n} | {n.replace("_", ".") for n in names if "_" in n}
    if not variants:
        return None
    alts = "|".join(re.escape(v) for v in sorted(variants, key=len, reverse=True))
    return re.compile(rf"(?<![A-Za-z0-9_\-])(?:{alts})(?![A-Za-z0-9_\-])")


def find(scan: Scan) -> list[Leak]:
    """Anchor on offered names; see the module docstring."""
    pattern = name_pattern(tuple(scan.offered))
    if pattern is None:
        return []
    text = scan.text
    leaks: list[Leak] = []
    pos = 0
    budget = MAX_ANCHORS  # each anchor may read to the end of the text: bound the work
    for m in pattern.finditer(scan.masked):
        if len(leaks) >= MAX_LEAKS or budget <= 0:
            break
        if m.start() < pos or not scan.free(m.start()):
            continue
        budget -= 1
        found = _unit(scan, m)
        if found is None:
            continue
        start, end, calls = found
        head, strong = _wrapper_start(text, start)
        tail = CLOSING_TAGS.match(text, end)
        if tail:
            end = tail.end()
            strong = True
        if not strong and (calls[0].keyed or not owns_its_line(text, head, end)):
            continue  # (a ``{"NAME": {…}}`` object is data unless a wrapper marks it)
        if any(not scan.free(p) for p in (head, max(head, end - 1))):
            continue
        leaks.append(Leak(head, end, GENERIC.name, calls, strong))
        pos = end
    return leaks


_QUOTED_NAME = re.compile(r"[\"']\s*:\s*[\"']\Z|[\"']\Z")
_OBJ_KEYS = re.compile(r"\s*[\"']?\s*[,}]")


def _unit(scan: Scan, m: re.Match[str]) -> tuple[int, int, list[RawCall]] | None:
    """The call unit around a name: ``(start, end, calls)`` or ``None``."""
    text, offered = scan.text, scan.offered
    name = m.group()
    schema = offered.get(name) if name in offered else offered.get(name.replace(".", "_"))
    before = text[max(0, m.start() - 12) : m.start()]
    if _QUOTED_NAME.search(before) and _OBJ_KEYS.match(text, m.end()):
        return _enclosing_object(text, m.start())
    if _KEY_OPEN.search(before) and _KEY_VALUE.match(text, m.end()):
        return _keyed_objects(scan, before.rindex("{") + m.start() - len(before))
    if before.endswith("<") and text.startswith(">", m.end()):
        return _tag_form(text, m.start() - 1, m.end() + 1, name, schema)
    after = m.end()
    attr = _name_attr(before)
    if attr and _TAG_ATTRS.search(text, max(0, m.start() - 200), m.start() - len(attr)):
        rest = _ATTRS_AFTER.match(text, m.end())  # ``<call name="NAME" id="1">{…}``
        after = rest.end() if rest else after
    call, end = call_after_name(text, after, name, schema)
    if call is None:
        closers = CLOSING_TAGS.match(text, m.end())
        opened = _OPENING.search(text, max(0, m.start() - 80), m.start())
        if closers is None or opened is None:
            return None
        return m.start(), m.end(), [RawCall(name, {})]  # ``<w>NAME</w>``: no arguments
    return m.start(), end, [call]


def _enclosing_object(text: str, at: int) -> tuple[int, int, list[RawCall]] | None:
    """The call value whose ``"name"`` value is at ``at``: the innermost object that
    reads as a call, widened to the outermost value around it that still reads as calls
    (a list of them, ``{"type": "function", "function": {…}}``, ``{"tool_calls": […]}``)."""
    lo = max(0, at - 400)
    found: tuple[int, int, list[RawCall]] | None = None
    opener = max(text.rfind("{", lo, at), text.rfind("[", lo, at))
    for _ in range(8):
        if opener < 0:
            break
        try:
            value, end = read_value(text, opener)
        except (Unreadable, RecursionError):
            value, end = None, opener
            if found is None and _NAME_FIRST.match(text, opener, at):
                # ``{"name": "NAME", "arguments": {…`` cut or broken: a broken call (it
                # counts only when wrapped, like every unwrapped pair)
                name = text[at : at + len(text) - len(text[at:].lstrip(_NAME_CHARS))]
                close = scan_balanced(text, opener)
                return opener, close or len(text), [RawCall(name, None)]
        if end > at:
            calls = calls_from_value(value)
            if calls is None:
                if found is None and isinstance(value, dict):
                    return None  # the object around the name is no call
                break
            found = (opener, end, calls)
        opener = max(text.rfind("{", lo, opener), text.rfind("[", lo, opener))
    return found


#: an object whose first member is the call's name (``{"name": "``)
_NAME_FIRST = re.compile(r"\{\s*[\"'](?:name|tool_name|function)[\"']\s*:\s*[\"']\Z")
_NAME_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-"

#: the tool name as the only key of an object (Apertus ``[{"NAME": {…}}]``)
_KEY_OPEN = re.compile(r"\{\s*[\"']\Z")
_KEY_VALUE = re.compile(r"[\"']\s*:\s*\{")
_LIST_BEFORE = re.compile(r"\[\s*\Z")


def _keyed_objects(scan: Scan, opener: int) -> tuple[int, int, list[RawCall]] | None:
    """``{"NAME": {args}}`` at ``opener``, or the list of such objects around it
    (:func:`~.bodies.keyed_calls`): they count only when wrapped."""
    text = scan.text
    lst = _LIST_BEFORE.search(text, max(0, opener - 8), opener)
    for start in ([lst.start()] if lst else []) + [opener]:
        try:
            value, end = read_value(text, start)
        except (Unreadable, RecursionError):
            continue
        calls = keyed_calls(value, scan.offered)
        if calls:
            return start, end, calls
    return None


_CHILD = re.compile(r"\s*<([A-Za-z_][\w.-]*)>")


def _tag_form(
    text: str, start: int, body: int, name: str, schema: dict[str, Any] | None
) -> tuple[int, int, list[RawCall]] | None:
    """``<NAME><k>v</k>…</NAME>`` (the tool name is the tag, each argument a child tag)."""
    close = text.find(f"</{name}>", body)
    if close < 0:
        return None
    args: dict[str, Any] = {}
    pos = body
    while True:
        child = _CHILD.match(text, pos, close)
        if child is None:
            break
        key = child.group(1)
        end = text.find(f"</{key}>", child.end(), close)
        if end < 0:
            return start, close + len(name) + 3, [RawCall(name, None)]
        value = text[child.end() : end].strip("\n")
        args[key] = coerce_scalar(value, property_schema(schema, key))
        pos = end + len(key) + 3
    if text[pos:close].strip():
        return start, close + len(name) + 3, [RawCall(name, None)]
    return start, close + len(name) + 3, [RawCall(name, args, typed=True)]


#: tags / special tokens that may wrap a call (``<tool>``, ``<|plugin|>``, ``<｜x▁y｜>``)
_OPENING = re.compile(
    r"(?:<[|｜]?[A-Za-z_][\w:.▁ =\"'-]{0,60}[|｜]?>|<<\w{1,30}>>|>>>|\[[A-Z][A-Z_]{2,30}\]"
    r"|\[|`{3}\w*)"
    r"[ \t]*\n?[ \t]*\Z"
)
_PREFIX = re.compile(
    r"(?:functions|default_api|tools?|api)\.\Z|call:\Z|(?:name|tool|function)\s*=\s*[\"']?\Z"
)
_NAME_ATTR = re.compile(r"\bname\s*=\s*[\"']\Z")


def _name_attr(before: str) -> str:
    """The ``name="`` attribute opener that ``before`` ends with, else ``""``."""
    m = _NAME_ATTR.search(before)
    return m.group() if m else ""


#: an opening tag still open before a ``name=`` attribute, other attributes before it
_ATTR = r"\s+[\w:.-]+\s*=\s*(?:\"[^\"\n<>]*\"|'[^'\n<>]*')"
_TAG_ATTRS = re.compile(rf"<[A-Za-z_][\w:.-]*(?:{_ATTR})*\s+\Z")
#: the rest of an opening tag after a ``name="NAME`` attribute value
_ATTRS_AFTER = re.compile(rf"[\"'](?:{_ATTR})*\s*>")
_LABEL = re.compile(
    r"(?i)(?:^|\n)[ \t]*(?:action|tool(?:[ _]call)?|function(?:[ _]call)?|call(?:ing)?|"
    r"invoke|use|✿FUNCTION✿)\s*:[ \t]*\n?[ \t]*\Z"  # (Qwen-Agent: ``✿FUNCTION✿: NAME``)
)

#: a label glued to the special token that opens the call
_TOKEN_LABEL = re.compile(r"(?i)(?:^|\n)[ \t]*(?:function|tool)[ _]?call[ \t]*\Z")


def _wrapper_start(text: str, start: int) -> tuple[int, bool]:
    """Extend ``start`` left over the wrapper of a call: ``(new start, wrapped)``."""
    head = start
    prefix = _PREFIX.search(text, max(0, head - 24), head)
    if prefix:
        head = prefix.start()
        attrs = _TAG_ATTRS.search(text, max(0, head - 200), head)
        if attrs:  # ``<tool_call id="…" name="NAME">``: the name is an attribute of the tag
            head = attrs.start()
    while True:
        opening = _OPENING.search(text, max(0, head - 80), head)
        if opening is None:
            break
        head = opening.start()
    wrapped = head < start
    if wrapped and text.startswith(("<|", "<｜"), head):  # GigaChat ``function call<|role_sep|>``
        glued = _TOKEN_LABEL.search(text, max(0, head - 40), head)
        head = glued.end() - len(glued.group().lstrip("\n")) if glued else head
    label = _LABEL.search(text, max(0, head - 40), head)
    if label:  # ``Action: get_weather`` / ``Action: ```json {…}``
        head = label.start() + (1 if label.group().startswith("\n") else 0)
    return head, wrapped


#: code around a call: an assignment, ``return`` / ``await`` / ``yield``, an open call
_CODE_BEFORE = re.compile(r"(?:[^=!<>]=|\b(?:return|await|yield|lambda)|[\w)\]]\()[ \t]*\Z")
#: the end of an English sentence in progress: two plain words and a space
_PROSE_END = re.compile(r"(?:^|[\s(])[A-Za-z][a-z']*[ \t]+[A-Za-z][a-z']*[ \t]+\Z")
_SENTENCE_END = re.compile(r"(?:[.:!?。：！？…)\]]|^)[ \t]*\Z")


def owns_its_line(text: str, start: int, end: int) -> bool:
    """A weak call must end its line and not sit in code or in the middle of an English
    sentence:
    it starts its line, follows punctuation, junk, CJK text or the end of a sentence, or
    is glued to the text before it (``…Done{"name": …``); "I called get_weather(…)" and
    "you can use get_weather(…)" are prose."""
    nl = text.find("\n", end)
    if text[end : nl if nl >= 0 else len(text)].strip():
        return False
    line_start = text.rfind("\n", 0, start) + 1
    before = text[line_start:start]
    if _CODE_BEFORE.search(before):
        return False  # ``result = search(…)``, ``return f(…)``, ``print(f(…))``: code
    return (
        not _PROSE_END.search(before)  # not two English words right before it
        or not text[start - 1].isspace()
        or _SENTENCE_END.search(before) is not None
    )


GENERIC = Family("schema_guided", find)
