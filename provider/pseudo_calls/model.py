"""Types of pseudo tool-call extraction: results, candidates and the family record.

* :class:`RecoveredCall`, :class:`Extraction` — what :func:`~.extract` returns;
* :class:`RawCall`, :class:`Leak` — what a family finder reports before validation;
* :class:`Scan` — the one argument every finder takes;
* :class:`Family` — one leak format, self-described: its markers (used by the streaming
  guard), its quick detector and its finder.

Spec: specs/002-pseudo-tool-calls/spec.md §"Public API" and §"Formats".
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["none", "recovered", "unrecoverable"]
#: tool name → JSON-schema ``parameters`` of the tool (``None`` when unknown)
Offered = Mapping[str, dict[str, Any] | None]


@dataclass(frozen=True, slots=True)
class RecoveredCall:
    """One tool call recovered from assistant text.

    ``name`` is exactly one of the offered tool names; ``arguments`` is a JSON object
    (``dict``; ``{}`` when the call had no arguments) that passed the tool's schema.
    """

    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Extraction:
    """What :func:`~.extract` found in one assistant message.

    * ``status`` — ``"none"`` (no leak: the caller must keep the text unchanged),
      ``"recovered"`` (``calls`` holds ≥ 1 call naming an offered tool) or
      ``"unrecoverable"`` (a leak was found but no call can be run).
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
    the parsed object, or ``None`` when the arguments were absent, broken or incomplete.
    ``typed``: the values came from text (XML parameters, ``k=v``) and were converted by
    the schema, so a value of the wrong type means the text did not fit the tool.
    ``keyed``: written as ``{"NAME": {…}}`` (the name is the object's only key), which is
    a call only inside a wrapper.
    """

    name: str | None
    arguments: dict[str, Any] | None
    typed: bool = False
    keyed: bool = False


@dataclass(slots=True)
class Leak:
    """One leak span found by a format family.

    ``[start, end)`` is cut from the text and replaced by ``replacement`` (user-visible
    text that lived inside the span, e.g. a harmony ``final`` message). ``strong`` means
    the markup alone proves a leak (so an unusable call is *unrecoverable*); weak leaks
    (bare JSON, pythonic calls, a tool name next to an argument object) only count when
    they yield a valid call. ``vetoable``: dropped when it is a mention — quoted,
    introduced as an example or as something someone said (see :mod:`.mentions`).
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


@dataclass(slots=True)
class Scan:
    """The input of every finder: the text, its masked view, the offered tools and the
    spans earlier families claimed (sorted, disjoint ``[start, end)``)."""

    text: str
    masked: str
    offered: Offered
    claimed: list[tuple[int, int]] = field(default_factory=list)

    def free(self, pos: int) -> bool:
        """True when ``pos`` lies in no claimed span."""
        return not inside(pos, self.claimed)


Finder = Callable[[Scan], list[Leak]]


@dataclass(frozen=True, slots=True)
class Family:
    """One leak format, described in one place.

    * ``name`` — the ``Extraction.format`` label;
    * ``markers`` — literal heads that, outside code, prove a leak by themselves; the
      streaming guard holds text from any of them (see :mod:`.heads`);
    * ``needles`` — substrings of which at least one must occur in the masked text for
      ``find`` to be worth running (empty: always run);
    * ``find`` — the finder, ``find(scan) -> [Leak]``.

    Spec: specs/002-pseudo-tool-calls/spec.md §"Formats".
    """

    name: str
    find: Finder
    markers: tuple[str, ...] = ()
    needles: tuple[str, ...] = ()

    def applies(self, masked: str) -> bool:
        """The quick detector: may this family find anything in ``masked``?"""
        return not self.needles or any(n in masked for n in self.needles)


def inside(pos: int, claimed: list[tuple[int, int]]) -> bool:
    """True when ``pos`` lies in one of the sorted, disjoint ``[start, end)`` spans."""
    i = bisect_right(claimed, (pos, 1 << 62)) - 1
    return i >= 0 and claimed[i][0] <= pos < claimed[i][1]
