"""Mask the regions of a message where tool-call syntax is *shown*, not *emitted*.

Fenced code blocks, inline code spans (runs of one or two backticks) and quoted (``>``)
lines are replaced by ``\\0``
characters of the same length, so positions in the masked view are positions in the
original text. Markers are searched in the masked view only; parsers then read the
original text from the marker on.

Fences whose info string names a leak carrier (```` ```tool_code ````) are *not* masked:
Gemini emits its calls exactly like that; nor is a fence right after a ReAct ``Action:``
label line (LangChain's JSON agents write ``Action:\n```\n{"action": …}\n`````).

Spec: specs/002-pseudo-tool-calls/spec.md §"Extraction pipeline".
"""

from __future__ import annotations

import re

MASK = "\0"
LEAK_FENCE_LANGS = frozenset({"tool_code", "tool_call", "tool_calls", "function_call"})

_FENCE_OPEN = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^\n`]*)$")
_LINE = re.compile(r"[^\n]*\n?")
#: inline code delimiters: runs of one or two backticks (a run of three or more inside a
#: line is a broken fence or junk in model output, not a code span)
INLINE_TICKS = re.compile(r"(?<!`)`{1,2}(?!`)")
#: a ``>`` quote line (not Functionary's ``>>>name`` call line)
QUOTE_LINE = re.compile(r"^ {0,3}>(?!>>(?:[A-Za-z_]|$))")
_SPECIAL_AFTER_FENCE = re.compile(r"[ \t]*(?:<[|｜]|$)")
#: lines that start a new Markdown block (inline code cannot continue across them)
BLOCK_START = re.compile(r" {0,3}(?:[-*+][ \t]|\d{1,9}[.)][ \t]|#{1,6}(?:[ \t]|$))")


def _is_closing(line: str, fence: str) -> bool:
    stripped = line.lstrip(" ")
    if len(line) - len(stripped) > 3 or not stripped.startswith(fence[0] * len(fence)):
        return False
    rest = stripped.lstrip(fence[0])
    # a closing fence may be glued to a special token (DeepSeek: ```<｜tool▁call▁end｜>)
    return _SPECIAL_AFTER_FENCE.match(rest.rstrip("\n")) is not None


#: a ReAct label alone on its line: the fence after it holds the call (``Action:\n```…``)
_ACTION_LABEL = re.compile(r"[ \t]*(?:Action|Action[ _]Input|Tool[ _]Call)[ \t]*:[ \t]*")


def _after_action_label(text: str, start: int) -> bool:
    before = text[:start].rstrip()
    return _ACTION_LABEL.fullmatch(before, before.rfind("\n") + 1) is not None


def code_regions(text: str) -> list[tuple[int, int]]:
    """Return the ``[start, end)`` spans of fenced blocks, inline code and ``>`` lines.

    Shapes: ``text`` any string → sorted, non-overlapping spans. An unclosed fence runs to
    the end of the text; an unmatched backtick run is literal (CommonMark-like); inline
    code does not cross a blank line.
    """
    regions: list[tuple[int, int]] = []
    paragraphs: list[tuple[int, int]] = []
    fence: str | None = None
    fence_masked = True
    fence_start = 0
    para_start: int | None = None
    for m in _LINE.finditer(text):
        line = m.group()
        if not line:
            break
        start, end = m.start(), m.end()
        if fence is not None:
            if _is_closing(line, fence):
                if fence_masked:
                    regions.append((fence_start, end))
                fence = None
            continue
        body = line.rstrip("\n")
        opened = _FENCE_OPEN.match(body)
        is_fence = opened is not None and not (opened["fence"][0] == "`" and "`" in opened["info"])
        if is_fence or QUOTE_LINE.match(body) or not body.strip():
            if para_start is not None:
                paragraphs.append((para_start, start))
                para_start = None
            if is_fence and opened is not None:
                info = opened["info"].strip().split(" ")[0].lower()
                fence, fence_start = opened["fence"], start
                fence_masked = info not in LEAK_FENCE_LANGS and not _after_action_label(text, start)
            elif body.strip():
                regions.append((start, end))  # quoted line
            continue
        if para_start is not None and BLOCK_START.match(body):
            paragraphs.append((para_start, start))  # a list item / heading starts a block
            para_start = None
        if para_start is None:
            para_start = start
    if fence is not None and fence_masked:
        regions.append((fence_start, len(text)))
    if para_start is not None:
        paragraphs.append((para_start, len(text)))
    for p_start, p_end in paragraphs:
        regions.extend(_inline_spans(text, p_start, p_end))
    regions.sort()
    return regions


def _inline_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    runs = [(m.start(), m.end()) for m in INLINE_TICKS.finditer(text, start, end)]
    # next_same[i]: index of the next run with the same width (linear, right to left)
    next_same = [-1] * len(runs)
    last_of_width: dict[int, int] = {}
    for i in range(len(runs) - 1, -1, -1):
        width = runs[i][1] - runs[i][0]
        next_same[i] = last_of_width.get(width, -1)
        last_of_width[width] = i
    i = 0
    while i < len(runs):
        j = next_same[i]
        if j < 0:
            i += 1
            continue
        spans.append((runs[i][0], runs[j][1]))
        i = j + 1
    return spans


#: info strings of a fence that may wrap a whole message which is only a call (a model
#: that fences its own call: ```` ```xml\n<function_call>…</function_call>\n``` ````); a
#: fence without an info string stays code
WHOLE_FENCE_LANGS = frozenset({"json", "xml", *LEAK_FENCE_LANGS})
#: closing tags / tokens a model may leave after its fenced call (``</tool_call>``)
STRAY_CLOSERS = re.compile(r"(?:\s*(?:</[\w:.|｜▁-]{1,60}>|<[|｜]/?[\w▁]{1,40}[|｜]>))*\s*")
_WHOLE_FENCE = re.compile(
    rf"\A\s*```(?P<info>[^\n`]*)\n(?P<body>\s*<.*?)\n[ \t]*```{STRAY_CLOSERS.pattern}\Z", re.S
)


def whole_fence(text: str) -> tuple[int, int] | None:
    """``(start, end)`` of the body when the whole message is one fenced block of markup
    (it starts with ``<``; info string in :data:`WHOLE_FENCE_LANGS`; no other fence inside),
    else ``None``. Code in a fence stays code; a fenced JSON call is read by
    :mod:`.bare_json`."""
    m = _WHOLE_FENCE.match(text)
    if m is None or m["info"].strip().lower() not in WHOLE_FENCE_LANGS or "```" in m["body"]:
        return None
    return m.start("body"), m.end("body")


def masked_view(text: str) -> str:
    """Return ``text`` with every code/quote region replaced by ``\\0`` (same length).

    A message that is one fenced block around a call (:func:`whole_fence`) is read inside
    its fence: only the fence lines are masked — the block is all the model said.
    """
    whole = whole_fence(text)
    if whole is not None:
        inner = masked_view(text[whole[0] : whole[1]])
        return MASK * whole[0] + inner + MASK * (len(text) - whole[1])
    regions = code_regions(text)
    if not regions:
        return text
    out: list[str] = []
    last = 0
    for start, end in regions:
        if start < last:
            start = last
        if end <= start:
            continue
        out.append(text[last:start])
        out.append(MASK * (end - start))
        last = end
    out.append(text[last:])
    return "".join(out)
