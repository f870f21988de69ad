"""Result types of pseudo tool-call extraction and the internal candidate type.

Spec: specs/002-pseudo-tool-calls/spec.md §"Public API" and §"Extraction pipeline".
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["none", "recovered", "unrecoverable"]
Offered = Mapping[str, dict[str, Any] | None]


@dataclass(frozen=True, slots=True)
class RecoveredCall:
    """One tool call recovered from assistant text.

    ``name`` is exactly one of the offered tool names; ``arguments`` is a JSON object
    (``dict``; ``{}`` when the call had no arguments).
    """

    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Extraction:
    """What :func:`~.extract` found in one assistant message.

    * ``status`` — ``"none"`` (no leak: the caller must keep the text unchanged),
      ``"recovered"`` (``calls`` holds ≥ 1 call naming an offered tool) or
      ``"unrecoverable"`` (a leak marker was confirmed but no call can be run).
    * ``calls`` — recovered calls in text order, exact duplicates removed.
    * ``visible_text`` — the prose meant for the user once every leak span (markers,
      arguments, analysis-channel text) is removed; ``""`` when nothing is left. For
      ``"none"`` it equals the input text.
    * ``format`` — family name of the first leak (``harmony``, ``recipient``, …), for logs
      and metrics; ``None`` for ``"none"``.
    """

    status: Status
    calls: tuple[RecoveredCall, ...] = ()
    visible_text: str = ""
    format: str | None = None


@dataclass(slots=True)
class RawCall:
    """A call as written in the text, before validation.

    ``name`` is the name as emitted (``None`` when it could not be read); ``arguments`` is
    the parsed object, or ``None`` when the arguments were absent/unparseable.
    """

    name: str | None
    arguments: dict[str, Any] | None


@dataclass(slots=True)
class Leak:
    """One leak span found by a format family.

    ``[start, end)`` is cut from the text and replaced by ``replacement`` (user-visible
    text that lived inside the span, e.g. a harmony ``final`` message). ``strong`` means
    the markup alone proves a leak (so an unusable call is *unrecoverable*); weak leaks
    (bare JSON, pythonic calls) only count when they yield a valid call. ``vetoable``:
    dropped when the text right before it explains syntax ("for example", "格式" …).
    """

    start: int
    end: int
    family: str
    calls: list[RawCall] = field(default_factory=list)
    strong: bool = True
    replacement: str = ""
    vetoable: bool = True


#: At most this many leak spans are read from one message (bounds the work on hostile text).
MAX_LEAKS = 64


def inside(pos: int, claimed: list[tuple[int, int]]) -> bool:
    """True when ``pos`` lies in one of the sorted, disjoint ``[start, end)`` spans."""
    i = bisect_right(claimed, (pos, 1 << 62)) - 1
    return i >= 0 and claimed[i][0] <= pos < claimed[i][1]
