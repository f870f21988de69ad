"""Pseudo tool-call fallback policy: what to do with a finished turn whose text may hold a
tool call written as text. Pure (no I/O).

:func:`decide` maps ``(Turn, offered tools, settings, retries left)`` to one of
:class:`Passthrough`, :class:`Recovered`, :class:`Retry`, :class:`Unrecoverable`:

=====================  ===============================  ===================================
mode                   leak, call recovered              leak, nothing recoverable
=====================  ===============================  ===================================
``parse_then_retry``   Recovered                         Retry if retries left, else Unrec.
``retry_only``         Retry if retries left, else Unr.  Retry if retries left, else Unrec.
``parse_only``         Recovered                         Unrecoverable
=====================  ===============================  ===================================

Passthrough when the fallback is disabled, no tools were offered, the text holds no leak,
or the turn already carries structured calls (then leak text is scrubbed from ``text``
and the real calls are kept). ``retry_only`` never uses locally parsed calls. A stream
guard overflow (a confirmed leak too long to hold) is "leak, nothing recoverable".
:class:`FallbackSettings` also says whether a stream is guarded and which ``tool_choice``
a re-ask forces: every ``tool_fallback_*`` setting is read here only.

Spec: specs/002-pseudo-tool-calls/spec.md §"Fallback policy".
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from .config import FallbackMode, ForcedToolChoice, SourceConfig
from .notices import GUARD_OVERFLOW_NOTICE, UNRECOVERABLE_NOTICE
from .pseudo_calls import Extraction, extract
from .types import ToolCall, Turn


@dataclass(frozen=True, slots=True)
class FallbackSettings:
    """The ``tool_fallback_*`` settings of a provider source (``enabled``, ``mode``,
    ``force_tool_choice``, ``retry_attempts``, ``stream_buffer``)."""

    enabled: bool = True
    mode: FallbackMode = "parse_then_retry"
    force_tool_choice: ForcedToolChoice = "required"
    retry_attempts: int = 1
    stream_buffer: bool = True

    @classmethod
    def from_config(cls, cfg: SourceConfig) -> FallbackSettings:
        """The settings of ``cfg``."""
        return cls(
            enabled=cfg.tool_fallback_enabled,
            mode=cfg.tool_fallback_mode,
            force_tool_choice=cfg.tool_fallback_force_tool_choice,
            retry_attempts=cfg.tool_fallback_retry_attempts,
            stream_buffer=cfg.tool_fallback_stream_buffer,
        )

    def guards_stream(self, offered: Mapping[str, Any]) -> bool:
        """Do streamed text deltas pass the stream guard (tools ``offered``, fallback and
        its stream buffer on)?"""
        return bool(offered) and self.enabled and self.stream_buffer


@dataclass(frozen=True, slots=True)
class Passthrough:
    """Use ``turn`` as it is — the very same object unless leak text was scrubbed."""

    turn: Turn


@dataclass(frozen=True, slots=True)
class Recovered:
    """``turn`` carries the recovered calls (``tool_calls``) and the prose (``text``).

    ``format``: the leak family (``Extraction.format``) for logs and metrics.
    """

    turn: Turn
    format: str | None = None


@dataclass(frozen=True, slots=True)
class Retry:
    """Ask the upstream again with ``tool_choice`` forced; the leaked turn is dropped."""

    format: str | None = None
    tool_choice: ForcedToolChoice = "required"


@dataclass(frozen=True, slots=True)
class Unrecoverable:
    """``turn`` keeps only the prose; :data:`UNRECOVERABLE_NOTICE` is in ``turn.notice``.

    It has no tool calls and never contains the raw leak.
    """

    turn: Turn
    format: str | None = None


Decision = Passthrough | Recovered | Retry | Unrecoverable


def decide(
    turn: Turn,
    offered: Mapping[str, dict[str, Any] | None],
    settings: FallbackSettings,
    *,
    retries_left: int,
    overflow: bool = False,
) -> Decision:
    """Decide what to do with a finished ``turn`` (see the module table).

    ``offered``: tool name → JSON-schema parameters (or ``None``) of the request.
    ``retries_left``: how many forced-``tool_choice`` re-asks this call may still make.
    ``overflow``: the stream guard confirmed a leak it could not hold in full; ``turn``
    keeps only the text already shown, and is never passed through as it is.
    """
    if overflow:
        if _on_leak(settings, recovered=False, retries_left=retries_left) == "retry":
            return Retry("overflow", settings.force_tool_choice)
        notice = turn.notice_plus(GUARD_OVERFLOW_NOTICE)
        return Unrecoverable(dataclasses.replace(turn, notice=notice), "overflow")
    if not settings.enabled or not offered or not turn.text:
        return Passthrough(turn)
    found = extract(turn.text, offered)
    if found.status == "none":
        return Passthrough(turn)
    if turn.tool_calls:
        # real structured calls win; the leak text beside them is removed, never run
        return Passthrough(dataclasses.replace(turn, text=found.visible_text))
    action = _on_leak(settings, recovered=found.status == "recovered", retries_left=retries_left)
    if action == "recover":
        return Recovered(_recovered_turn(turn, found), found.format)
    if action == "retry":
        return Retry(found.format, settings.force_tool_choice)
    return _unrecoverable(turn, found)


def _on_leak(
    settings: FallbackSettings, *, recovered: bool, retries_left: int
) -> Literal["recover", "retry", "give_up"]:
    """The mode table: a leak (its calls ``recovered`` or not) → what to do."""
    if recovered and settings.mode != "retry_only":
        return "recover"
    if settings.mode != "parse_only" and retries_left > 0:
        return "retry"
    return "give_up"


def leak_call_id(name: str, arguments: Mapping[str, Any], index: int) -> str:
    """Deterministic ``call_leak_<16 hex>`` id from name, arguments and position.

    The same leak always gets the same id, so a replayed history stays consistent.
    """
    payload = json.dumps([name, arguments, index], sort_keys=True, ensure_ascii=False, default=str)
    return "call_leak_" + hashlib.sha1(payload.encode("utf-8")).hexdigest()[:16]


def _recovered_turn(turn: Turn, found: Extraction) -> Turn:
    calls = [
        ToolCall(leak_call_id(c.name, c.arguments, i), c.name, dict(c.arguments))
        for i, c in enumerate(found.calls)
    ]
    return dataclasses.replace(turn, text=found.visible_text, tool_calls=calls)


def _unrecoverable(turn: Turn, found: Extraction) -> Unrecoverable:
    scrubbed = dataclasses.replace(
        turn,
        text=found.visible_text,
        tool_calls=[],
        notice=turn.notice_plus(UNRECOVERABLE_NOTICE),
    )
    return Unrecoverable(scrubbed, found.format)


__all__ = [
    "UNRECOVERABLE_NOTICE",
    "Decision",
    "FallbackMode",
    "FallbackSettings",
    "Passthrough",
    "Recovered",
    "Retry",
    "Unrecoverable",
    "decide",
    "leak_call_id",
]
