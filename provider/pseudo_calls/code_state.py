"""Incremental Markdown code state of a streamed text, for the streaming guard.

A marker *shown* in a fenced block, an inline code span or a ``>`` quote line is not a
call; :class:`CodeTracker` tells where the next character sits as text streams in, and
:func:`inline_resolution` decides whether a position after backticks is inside a code
span (CommonMark pairing, runs of one or two backticks). Same rules as :mod:`.masking`,
which handles complete texts.

Spec: specs/002-pseudo-tool-calls/spec.md §"Streaming guard".
"""

from __future__ import annotations

import re
from enum import Enum

from .masking import BLOCK_START, INLINE_TICKS, LEAK_FENCE_LANGS, QUOTE_LINE


class CodeState(Enum):
    """Where a position sits relative to Markdown code."""

    PROSE = "prose"
    CODE = "code"
    MAYBE = "maybe"  # backticks earlier in the paragraph: decided by :func:`inline_resolution`


_FENCE_LINE = re.compile(r"^ {0,3}(`{3,}|~{3,})[ \t]*([^\n`]*)$")


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
            self._fence_masked = info not in LEAK_FENCE_LANGS
            self._para = []
            return
        if not line.strip() or QUOTE_LINE.match(line):
            self._para = []
            return
        if BLOCK_START.match(line):
            self._para = []
        self._para.append(line + "\n")

    def state(self) -> CodeState:
        """State at the end of the text fed so far."""
        if self._fence is not None:
            return CodeState.CODE if self._fence_masked else CodeState.PROSE
        if QUOTE_LINE.match(self._line):
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
    runs = [(m.start(), m.end() - m.start()) for m in INLINE_TICKS.finditer(text)]
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
