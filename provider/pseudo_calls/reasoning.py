"""Reasoning blocks written into the text (``<think>…</think>``, ``[THINK]…[/THINK]``).

A model that thinks aloud may write a call inside its reasoning and then make it after the
block closes; the call in the reasoning is a draft. Rule: when a closed reasoning block is
followed by a call, the calls inside the block are not run (their markup is still cut from
the text). A call inside a block that no call follows is kept: some models make their only
call inside the reasoning (Qwen3.5 in agent loops).

Spec: specs/002-pseudo-tool-calls/spec.md §"Extraction pipeline".
"""

from __future__ import annotations

import re

_OPEN = r"<think>|<thinking>|<seed:think>|\[THINK\]|◁think▷"
_CLOSE = r"</think>|</thinking>|</seed:think>|\[/THINK\]|◁/think▷"
_TAG = re.compile(rf"(?P<open>{_OPEN})|(?P<close>{_CLOSE})")


def reasoning_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of every closed reasoning block of ``text``; a closing tag with no
    opening one before it closes a block that starts the text (the chat template opened
    it in the prompt)."""
    spans: list[tuple[int, int]] = []
    opened: int | None = 0 if _first_is_close(text) else None
    for m in _TAG.finditer(text):
        if m["open"] is not None:
            opened = m.start() if opened is None else opened
        elif opened is not None:
            spans.append((opened, m.end()))
            opened = None
    return spans


def _first_is_close(text: str) -> bool:
    first = _TAG.search(text)
    return first is not None and first["close"] is not None


def drafted(start: int, end: int, spans: list[tuple[int, int]], later: list[int]) -> bool:
    """True when ``[start, end)`` lies inside a reasoning span that a call at one of the
    positions ``later`` follows."""
    return any(a <= start and end <= b and any(p >= b for p in later) for a, b in spans)
