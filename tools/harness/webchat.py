"""WebChat through the dashboard API: send one message, read the SSE reply, sort the events.

Framing is httpx-sse's (``data:`` lines of one event joined with newlines, comments and
``event:`` lines handled per the SSE specification); each event's data is one JSON object
(``{"type": "plain", "data": …, "streaming": true, "chain_type": …}``), the same on every
4.x host (``dashboard/routes/chat.py`` before 4.28, ``services/chat_service.py`` after).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from httpx_sse import EventSource

from .dashboard import Dashboard
from .errors import AstrBotAPIError

#: texts in an AstrBot reply or log that mean the chat failed (provider missing or raising)
CHAT_ERROR_MARKERS = (
    "LLM 响应错误",
    "Error occurred while processing agent request",
    "not registered",
    "All chat models failed",
    "未找到任何可用的对话模型",
)
#: WebChat ``chain_type`` values that are not part of the answer text.
SKIP_CHAIN_TYPES = frozenset({"reasoning", "tool_call", "tool_call_result", "agent_stats"})


@dataclass
class ChatResult:
    """What one chat request returned, already sorted by kind."""

    text: str = ""
    streamed: bool = True
    session_id: str = ""
    deltas: list[str] = field(default_factory=list)
    plain: list[str] = field(default_factory=list)
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    tool_results: list[dict[str, Any]] = field(default_factory=list)
    reasoning: list[str] = field(default_factory=list)
    stats: list[Any] = field(default_factory=list)
    errors: list[Any] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    elapsed: float = 0.0

    @property
    def complete(self) -> dict[str, Any] | None:
        """The ``complete`` event (streaming only), if any."""
        return next((e for e in self.events if e.get("type") == "complete"), None)

    @property
    def all_text(self) -> str:
        """Every text-bearing event (plain, complete, error) joined; for "no error" checks."""
        parts = [
            str(e.get("data", ""))
            for e in self.events
            if e.get("type") in {"plain", "complete", "error"}
        ]
        return "\n".join(parts)

    def error_marker(self) -> str | None:
        """The first :data:`CHAT_ERROR_MARKERS` entry found in the events, if any."""
        blob = self.all_text + json.dumps(self.errors, ensure_ascii=False)
        return next((m for m in CHAT_ERROR_MARKERS if m in blob), None)


def _decode_json_maybe(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {"raw": value}


def parse_chat_events(events: Iterable[dict[str, Any]], *, stream: bool) -> ChatResult:
    """Sort WebChat SSE events into a :class:`ChatResult`.

    Streaming: ``text`` is the ``complete`` event's data (fallback: joined deltas).
    Non-streaming: ``text`` is the joined non-streaming ``plain`` chunks.
    ``chain_type`` reasoning / tool_call / tool_call_result / agent_stats never count as text.
    """
    result = ChatResult(streamed=stream)
    complete: str | None = None
    for event in events:
        result.events.append(event)
        etype = event.get("type")
        data = event.get("data")
        chain = event.get("chain_type")
        if etype == "session_id":
            result.session_id = str(event.get("session_id", ""))
        elif etype == "agent_stats":
            result.stats.append(data)
        elif etype == "error":
            result.errors.append(data)
        elif etype == "complete":
            complete = str(data or "")
            if event.get("reasoning"):
                result.reasoning.append(str(event["reasoning"]))
        elif etype == "plain":
            text = "" if data is None else str(data)
            if chain == "tool_call":
                result.tool_calls.append(_as_dict(_decode_json_maybe(text)))
            elif chain == "tool_call_result":
                result.tool_results.append(_as_dict(_decode_json_maybe(text)))
            elif chain == "reasoning":
                result.reasoning.append(text)
            elif chain == "agent_stats":
                result.stats.append(_decode_json_maybe(text))
            elif event.get("streaming"):
                result.deltas.append(text)
            else:
                result.plain.append(text)
    if stream:
        result.text = complete if complete is not None else "".join(result.deltas)
    else:
        result.text = "".join(result.plain)
    return result


def iter_chat_events(
    dashboard: Dashboard,
    message: str,
    *,
    stream: bool = True,
    session_id: str | None = None,
    provider_id: str | None = None,
    timeout: float = 90.0,
) -> Iterator[dict[str, Any]]:
    """Yield the decoded SSE events of one chat turn as they arrive.

    An event whose data is not a JSON object is yielded as ``{"type": "unparsed", "data":
    <text>}``. Raises :class:`AstrBotAPIError` when the host answers with an HTTP error.
    """
    payload: dict[str, Any] = {
        "message": message,
        "session_id": session_id or f"e2e-{uuid.uuid4().hex[:12]}",
        "enable_streaming": stream,
    }
    if provider_id:
        payload["selected_provider"] = provider_id
    with dashboard.stream("chat", timeout=httpx.Timeout(timeout, connect=5.0), **payload) as resp:
        if resp.status_code != 200:
            resp.read()
            raise AstrBotAPIError(
                f"chat -> HTTP {resp.status_code}: {resp.text[:500]}", resp.status_code, resp.text
            )
        for sse in EventSource(resp).iter_sse():
            if not sse.data:
                continue
            try:
                event = json.loads(sse.data)
            except ValueError:
                event = None
            yield event if isinstance(event, dict) else {"type": "unparsed", "data": sse.data}
