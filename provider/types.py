"""Typed data and vocabulary shared by the stages of the adapter.

Plain dataclasses (no validation cost on the hot path). The accumulator (`accumulator.py`)
produces a :class:`Turn` and :data:`Delta` tuples; the pseudo-call fallback
(`tool_fallback.py`) may rewrite the turn; `results.py` turns both into AstrBot
``LLMResponse`` objects. The Responses event names every stage agrees on live here too
(specs/004-responses-wire-format/spec.md §"Streaming events").

Spec: specs/001-redesign-responses-provider/spec.md §"Data flow".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from .wire import Annotation, OutputItem

TurnStatus = Literal["completed", "incomplete", "failed", "truncated"]

#: :data:`Delta` kinds: answer text, reasoning shown as "thinking", a generated image
TEXT = "text"
REASONING = "reasoning"
IMAGE = "image"
#: ``(TEXT | REASONING, characters to show)`` or ``(IMAGE, base64 image data)``: one piece
#: of a streamed answer
Delta = tuple[str, str]

#: events that end a response (``response.done`` is a relay spelling of ``.completed``)
TERMINAL_EVENTS = frozenset(
    {"response.completed", "response.done", "response.incomplete", "response.failed"}
)
#: events a stream may send before its first content event
PRE_CONTENT_EVENTS = frozenset({"response.created", "response.in_progress", "response.queued"})
#: events that only announce what later events carry: nothing to do, nothing to log
ANNOUNCING_EVENTS = PRE_CONTENT_EVENTS | {
    "response.content_part.added",
    "response.reasoning_summary_part.added",
    "response.refusal.done",
}


@dataclass(slots=True)
class ToolCall:
    """One function call the model asked for.

    ``call_id`` pairs it with the later ``function_call_output``; ``arguments`` is the
    parsed JSON object (never a string); ``item_id`` is the Responses output item id
    (``fc_…``) when the upstream sent one.
    """

    call_id: str
    name: str
    arguments: dict[str, Any]
    item_id: str | None = None


@dataclass(slots=True)
class Usage:
    """Token counts of one response (Responses API ``usage``; all counts are tokens).

    ``input_tokens`` includes ``cached_tokens``; ``output_tokens`` includes
    ``reasoning_tokens`` (specs/004-responses-wire-format/spec.md §"Response object").
    """

    input_tokens: int = 0
    cached_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0


@dataclass(slots=True)
class Turn:
    """Everything one upstream response produced, stream or not.

    ``text`` is the visible answer (all ``output_text`` parts joined), ``refusal`` the
    refusal text if any, ``reasoning`` the reasoning summary / reasoning text (never part of
    ``text``), ``reasoning_items`` the raw reasoning output items (for a later replay),
    ``status`` the terminal status (``truncated`` = the stream ended without a terminal
    event), ``incomplete_reason`` e.g. ``max_output_tokens`` / ``content_filter``.
    ``annotations``: the ``url_citation`` sources kept for the footer (``type``, ``url``,
    ``title``; distinct URLs, capped, titles clipped — see the accumulator).
    ``notice`` is a short English sentence appended for the user (cap reached, cut stream).
    """

    text: str = ""
    refusal: str = ""
    reasoning: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    reasoning_items: list[OutputItem] = field(default_factory=list)
    annotations: list[Annotation] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    usage: Usage | None = None
    response_id: str | None = None
    model: str | None = None
    status: TurnStatus = "completed"
    incomplete_reason: str | None = None
    notice: str = ""

    def notice_plus(self, extra: str) -> str:
        """This turn's notice with ``extra`` appended (one space between)."""
        return f"{self.notice} {extra}".strip() if self.notice else extra
