"""The pseudo-tool-call policy: what to do with a finished Turn (pure, no I/O).

Applies only when tools were offered, the fallback is enabled and the response carries no
structured ``function_call`` (when it does, leak text next to real calls is scrubbed and the
real calls are kept). Modes (README "Pseudo tool calls"):

* ``parse_then_retry`` — recover calls locally; if unrecoverable, re-ask (``Retry``) while
  attempts remain, else replace the leak by :data:`UNRECOVERABLE_NOTICE`;
* ``retry_only`` — never parse locally; re-ask whenever a leak is detected;
* ``parse_only`` — parse; never re-ask.

Spec: specs/002-pseudo-tool-calls/spec.md §"Fallback policy".
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from .pseudo_calls import Extraction, extract
from .types import ToolCall, Turn

UNRECOVERABLE_NOTICE = (
    "The model tried to call a tool in an invalid format; the call was not run. "
    "Please try again."
)


@dataclass(frozen=True, slots=True)
class FallbackSettings:
    """``enabled`` = ``tool_fallback_enabled``; ``mode`` = ``tool_fallback_mode``."""

    enabled: bool = True
    mode: Literal["parse_then_retry", "retry_only", "parse_only"] = "parse_then_retry"


@dataclass(frozen=True, slots=True)
class Passthrough:
    """Use ``turn`` as it is (no leak, no tools offered, or fallback disabled)."""

    turn: Turn


@dataclass(frozen=True, slots=True)
class Recovered:
    """``turn`` now carries the recovered calls; its text is the prose meant for the user."""

    turn: Turn
    format: str | None = None


@dataclass(frozen=True, slots=True)
class Retry:
    """Ask the upstream again with the forced ``tool_choice``."""

    format: str | None = None


@dataclass(frozen=True, slots=True)
class Unrecoverable:
    """``turn`` shows the prose and :data:`UNRECOVERABLE_NOTICE` instead of the leak."""

    turn: Turn
    format: str | None = None


Decision = Passthrough | Recovered | Retry | Unrecoverable


def leak_call_id(name: str, arguments: Mapping[str, Any], index: int) -> str:
    """Deterministic ``call_id`` for a recovered call (same leak → same id)."""
    payload = json.dumps([name, arguments, index], sort_keys=True, ensure_ascii=False)
    return "call_leak_" + hashlib.sha1(payload.encode()).hexdigest()[:16]


def _scrubbed(turn: Turn, extraction: Extraction) -> Turn:
    return dataclasses.replace(turn, text=extraction.visible_text)


def decide(
    turn: Turn,
    offered: Mapping[str, dict[str, Any] | None],
    settings: FallbackSettings,
    *,
    retries_left: int,
) -> Decision:
    """Decide what to do with ``turn`` (see the module docstring for the rules).

    ``offered`` maps each function tool offered in the request to its parameters schema;
    ``retries_left`` is how many re-asks this call may still make.
    """
    if not offered or not settings.enabled or not turn.text:
        return Passthrough(turn)
    extraction = extract(turn.text, offered)
    if turn.tool_calls:
        # real calls win; leak text beside them is removed, never executed
        if extraction.status == "none":
            return Passthrough(turn)
        return Passthrough(_scrubbed(turn, extraction))
    if extraction.status == "none":
        return Passthrough(turn)
    if settings.mode == "retry_only":
        if retries_left > 0:
            return Retry(extraction.format)
        return _unrecoverable(turn, extraction)
    if extraction.status == "recovered":
        calls = [
            ToolCall(leak_call_id(c.name, c.arguments, i), c.name, dict(c.arguments))
            for i, c in enumerate(extraction.calls)
        ]
        return Recovered(
            dataclasses.replace(turn, text=extraction.visible_text, tool_calls=calls),
            extraction.format,
        )
    if settings.mode == "parse_then_retry" and retries_left > 0:
        return Retry(extraction.format)
    return _unrecoverable(turn, extraction)


def _unrecoverable(turn: Turn, extraction: Extraction) -> Unrecoverable:
    return Unrecoverable(
        dataclasses.replace(
            turn, text=extraction.visible_text, notice=turn.notice_plus(UNRECOVERABLE_NOTICE)
        ),
        extraction.format,
    )
