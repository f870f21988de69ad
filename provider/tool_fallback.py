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
and the real calls are kept). ``retry_only`` never uses locally parsed calls.

Spec: specs/002-pseudo-tool-calls/spec.md §"Fallback policy".
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from .notices import UNRECOVERABLE_NOTICE
from .pseudo_calls import Extraction, extract
from .types import ToolCall, Turn

FallbackMode = Literal["parse_then_retry", "retry_only", "parse_only"]


@dataclass(frozen=True, slots=True)
class FallbackSettings:
    """``enabled`` = ``tool_fallback_enabled``; ``mode`` = ``tool_fallback_mode``."""

    enabled: bool = True
    mode: FallbackMode = "parse_then_retry"


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
    """Ask the upstream again with a forced ``tool_choice``; the leaked turn is dropped."""

    format: str | None = None


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
) -> Decision:
    """Decide what to do with a finished ``turn`` (see the module table).

    ``offered``: tool name → JSON-schema parameters (or ``None``) of the request.
    ``retries_left``: how many forced-``tool_choice`` re-asks this call may still make.
    """
    if not settings.enabled or not offered or not turn.text:
        return Passthrough(turn)
    found = extract(turn.text, offered)
    if found.status == "none":
        return Passthrough(turn)
    if turn.tool_calls:
        # real structured calls win; the leak text beside them is removed, never run
        return Passthrough(dataclasses.replace(turn, text=found.visible_text))
    if settings.mode == "retry_only":
        return Retry(found.format) if retries_left > 0 else _unrecoverable(turn, found)
    if found.status == "recovered":
        return Recovered(_recovered_turn(turn, found), found.format)
    if settings.mode == "parse_then_retry" and retries_left > 0:
        return Retry(found.format)
    return _unrecoverable(turn, found)


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
