"""The one accumulator: Responses stream events, or a non-stream response object → a Turn.

Both paths use it: the stream path calls :meth:`ResponseAccumulator.feed` per event and
forwards the returned deltas; the non-stream path calls :meth:`apply_response` once with
the JSON body. :meth:`result` then gives the :class:`~.types.Turn`.

Parts are keyed by their item's ``output_index`` (from the event, or learned from the
``output_item`` events that name the item's id), else by ``item_id``, else they belong to the
item added last: servers that leave ``item_id`` (or ``output_index``) off the delta events
are read right. A part's final text (``output_text.done``, ``content_part.done``,
``output_item.done``, the terminal response) is reconciled by content with what was already
shown — only the part the user has not seen is added, never the whole text again — so the
streamed deltas joined always equal the final text. Reasoning and generated images that
arrive only with their completed item are shown once, when the item completes.

Tolerated relay behaviour (specs/004-responses-wire-format/spec.md §"Third-party deviations"): no
``content_part.added``; text only in ``output_text.done`` / ``content_part.done`` or only in
the terminal response; ``response.completed`` with ``output: []`` (the accumulated items are
used); ``response.done`` as terminal; no terminal event after every item was done
(:attr:`ResponseAccumulator.items_complete`); missing ``item_id``/``output_index``/
``call_id``/``usage``; function-call arguments only in a ``.done`` event; interleaved
parallel calls (keyed by ``item_id`` and ``output_index``); reasoning only in the completed
item; unknown events (ignored; the first one of a response logged at debug level).

Spec: specs/001-redesign-responses-provider/spec.md §"SSE and accumulation"; events and
the fields read: spec 004 §"Streaming events", §"Response object".
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any, Literal

from .errors import UpstreamError, clip
from .http_errors import (
    chat_completions_chunks_error,
    error_from_payload,
    failed_response_error,
)
from .notices import dropped_calls_notice, incomplete_notice
from .redaction import LOG
from .types import (
    ANNOUNCING_EVENTS,
    IMAGE,
    REASONING,
    TERMINAL_EVENTS,
    TEXT,
    Delta,
    ToolCall,
    Turn,
    TurnStatus,
    Usage,
)
from .wire import (
    Annotation,
    OutputItem,
    ResponseObject,
    ResponseStatus,
    ResponseUsage,
    StreamEvent,
)

#: Most function calls one response may hold; more is an error (a model or relay gone wrong).
MAX_TOOL_CALLS = 40
#: Most distinct ``url_citation`` sources kept for the "Sources:" footer.
MAX_SOURCES = 20
#: Source titles are clipped to this many characters; longer URLs are not shown at all.
MAX_SOURCE_TITLE = 100
MAX_SOURCE_URL = 2048
#: Characters of the footer besides titles and URLs: ``Sources:`` and, per line,
#: ``[nn] `` + `` — `` + the line end.
SOURCES_HEAD_CHARS = 10
SOURCE_LINE_CHARS = 10

#: An output item's key: its ``output_index`` when known, else its id, else None (unknown)
ItemRef = int | str | None
#: A part of an item: a text part's ``content_index``, or ``("summary" | "content", index)``
#: of a reasoning part
PartRef = int | tuple[str, int]
#: A kept reasoning item's key: its id, else ``("#", its item's key)``
ReasoningKey = str | tuple[str, ItemRef]
#: A reasoning item's part lists (``summary_text`` / ``reasoning_text`` parts), in the order
#: they are looked at
ReasoningParts = Literal["summary", "content"]
REASONING_PARTS: tuple[ReasoningParts, ...] = ("summary", "content")


def _usage(raw: ResponseUsage | None) -> Usage | None:
    if not isinstance(raw, dict):
        return None
    details = raw.get("input_tokens_details") or {}
    out_details = raw.get("output_tokens_details") or {}
    return Usage(
        input_tokens=int(raw.get("input_tokens") or 0),
        cached_tokens=int(details.get("cached_tokens") or 0),
        output_tokens=int(raw.get("output_tokens") or 0),
        reasoning_tokens=int(out_details.get("reasoning_tokens") or 0),
    )


class _Call:
    """Function call being assembled from events."""

    __slots__ = ("arguments", "call_id", "charged", "item_id", "name", "parts")

    def __init__(self, item_id: str | None, call_id: str | None, name: str | None) -> None:
        self.item_id = item_id
        self.call_id = call_id
        self.name = name
        self.parts: list[str] = []
        self.arguments: str | None = None  # authoritative full string from a done event
        self.charged = 0  # characters of arguments charged to the output budget

    def text(self) -> str:
        return self.arguments if self.arguments is not None else "".join(self.parts)


class ResponseAccumulator:
    """Collects one response. Not shared between requests (one instance per attempt).

    ``max_output_chars`` bounds text + reasoning + tool arguments together: once reached,
    :attr:`capped` is True, the delta that crossed it is cut, and the caller should stop
    reading (close the stream) and finish. The sources footer gets what is left of it.
    Reasoning items kept for replay have their own cap of ``max_output_chars`` characters
    (their JSON); items beyond it are not kept. More than :data:`MAX_TOOL_CALLS` function
    calls raise :class:`~.errors.UpstreamError`. :attr:`progress` grows whenever the answer
    does (the idle clock's signal, :mod:`.clock`).

    :meth:`feed` returns at most one delta; an event that completes several things at once
    (a terminal snapshot with reasoning, an image and missing text; a message item with
    several parts) returns the first and leaves the others, in order, in :attr:`pending`
    for the caller to take.
    """

    def __init__(self, *, max_output_chars: int) -> None:
        self.max_output_chars = max_output_chars
        self.capped = False
        self.terminal = False
        self.saw_output = False  # any output-bearing event (text, call, reasoning)
        self.pending: list[Delta] = []  # deltas of the last event after the one returned
        self._chars = 0
        self._text: list[str] = []  # every text chunk shown, in order
        # (item, content_index) → the text shown for that text part; (item, ("summary" |
        # "content", index)) → the reasoning shown for that reasoning part
        self._parts: dict[tuple[ItemRef, PartRef], list[str]] = {}
        self._text_at: tuple[str | None, int | None, int | None] | None = (
            None  # last text delta's ids …
        )
        self._text_part: list[str] = []  # … and the part it went to
        self._refusal: list[str] = []
        self._reasoning: list[str] = []
        self._reasoning_key: tuple[ItemRef, tuple[str, int]] | None = None
        self._reasoning_part: list[str] = []
        self._unindexed: set[ItemRef] = set()  # items with text deltas without content_index
        # item tracking: output_index by item id, the item added last, open / done items
        self._index_of: dict[str, int] = {}
        self._current: ItemRef = None
        self._added = 0
        self._open: set[ItemRef] = set()
        self._done: set[ItemRef] = set()
        self._done_ok = 0
        self._unfinished = False  # an item was done with a status other than completed
        self._calls: dict[ItemRef, _Call] = {}
        self._call_order: list[_Call] = []
        self._reasoning_items: dict[ReasoningKey, OutputItem] = {}
        self._reasoning_sizes: dict[ReasoningKey, int] = {}  # characters of each kept item's JSON
        self._reasoning_size = 0  # their sum
        self._reasoning_dropped = 0
        self._items = 0  # output items that made the answer grow (progress)
        self._sources: dict[str, str] = {}  # url_citation URL → clipped title ("" if none)
        self._images: list[str] = []
        self._unknown_logged = False
        self._final: ResponseObject | None = None
        self._handlers: dict[str | None, Callable[[StreamEvent], Delta | None]] = {
            "response.output_text.delta": self._on_text_delta,
            "response.refusal.delta": self._on_refusal_delta,
            "response.content_part.delta": self._on_text_delta,
            "response.output_text.done": self._on_text_done,
            "response.content_part.done": self._on_part_done,
            "response.reasoning_summary_text.delta": self._on_reasoning_delta,
            "response.reasoning_text.delta": self._on_reasoning_delta,
            "response.reasoning_summary_text.done": self._on_reasoning_done,
            "response.reasoning_summary_part.done": self._on_reasoning_done,
            "response.reasoning_text.done": self._on_reasoning_done,
            "response.output_item.added": self._on_item,
            "response.output_item.done": self._on_item,
            "response.function_call_arguments.delta": self._on_args_delta,
            "response.function_call_arguments.done": self._on_args_done,
            "response.output_text.annotation.added": self._on_annotation,
            "error": self._on_error,
        }
        self._handlers.update(dict.fromkeys(ANNOUNCING_EVENTS, _announcement))

    @property
    def progress(self) -> int:
        """Grows whenever the answer grows: characters charged, output items kept."""
        return self._chars + self._items

    # -- budget -----------------------------------------------------------------------
    def _take(self, delta: str) -> str:
        """Charge ``delta`` to the output budget; cut it at the cap."""
        room = self.max_output_chars - self._chars
        if len(delta) >= room:
            self.capped = True
            delta = delta[: max(room, 0)]
        self._chars += len(delta)
        return delta

    def _set_arguments(self, call: _Call, arguments: str) -> None:
        """Set a call's full arguments (done event, item, terminal output), charging the
        characters not charged yet; at the cap they are cut (and will not parse)."""
        if len(arguments) > call.charged:
            call.charged += len(self._take(arguments[call.charged :]))
            arguments = arguments[: call.charged]
        call.arguments = arguments

    # -- dispatch ---------------------------------------------------------------------
    def feed(self, event: StreamEvent) -> Delta | None:
        """Apply one event; return the delta to show the user, if any.

        Raises :class:`UpstreamError` for ``error`` events, ``response.failed`` and
        Chat-Completions chunks (wrong endpoint type).
        """
        kind = event.get("type")
        handler = self._handlers.get(kind)
        if handler is not None:
            return handler(event)
        if kind in TERMINAL_EVENTS:
            return self._on_terminal(event)
        if kind is None and ("choices" in event or event.get("object") == "chat.completion.chunk"):
            raise chat_completions_chunks_error()
        if not self._unknown_logged:  # once per response: types are not stored
            self._unknown_logged = True
            LOG.debug(
                "ignored Responses event type %s (further unknown types are not logged)",
                clip(kind, 80),
            )
        return None

    # -- items and parts --------------------------------------------------------------
    def _ref(self, item_id: str | None, index: int | None) -> ItemRef:
        """The item a part event belongs to: its ``output_index`` (from the event, or learned
        from an ``output_item`` event naming ``item_id``), else ``item_id``, else the item
        added last (servers that send neither stream one item at a time)."""
        if index is not None:
            if item_id:
                self._index_of.setdefault(item_id, index)
            return index
        if item_id:
            return self._index_of.get(item_id, item_id)
        return self._current

    def _item_ref(self, item_id: str | None, index: int | None, *, added: bool) -> ItemRef:
        """The key of an ``output_item.added`` / ``.done`` item; learns ``id → output_index``.

        Without ``output_index`` an added item is at the next position and a done item is
        found by its id, else it is the item still open that was added last.
        """
        if index is None:
            index = self._index_of.get(item_id) if item_id else None
        if index is None:
            if not added:
                open_last = self._current in self._open
                return self._current if open_last or not item_id else item_id
            index = self._added
        if added:
            self._added += 1
        if item_id:
            self._index_of[item_id] = index
        return index

    def _slot(
        self, ref: ItemRef, item_id: str | None, sub: PartRef, *, adopt: bool = False
    ) -> list[str]:
        """What was shown so far of part ``sub`` of item ``ref`` (``sub``: the content index
        of a text part, ``("summary" | "content", index)`` of a reasoning part); a new part
        opens its item.

        ``adopt`` (final texts): a part streamed with no ids at all becomes this item's.
        """
        key = (ref, sub)
        part = self._parts.get(key)
        if part is None and item_id and item_id != ref:
            part = self._parts.get((item_id, sub))  # streamed before the index was known
        if part is None and adopt and ref is not None:
            part = self._parts.pop((None, sub), None)
            if part is not None:  # later deltas without ids start a new part
                self._open.discard(None)
                self._text_at = self._reasoning_key = None
        if part is None:
            part = []
            if ref not in self._done:
                self._open.add(ref)
        self._parts[key] = part
        return part

    def _close(self, ref: ItemRef, item: OutputItem) -> None:
        """``output_item.done``: the item is finished (completed or not)."""
        self._open.discard(ref)
        self._done.add(ref)
        if item.get("status") in (None, "completed"):
            self._done_ok += 1
        else:
            self._unfinished = True

    @property
    def items_complete(self) -> bool:
        """At least one output item was reported done, every item that was added (or
        streamed) was, and all with status ``completed`` (or none given): the answer is
        whole even if the terminal event never comes (specs/004-responses-wire-format/spec.md
        §"Streaming events")."""
        return self._done_ok > 0 and not self._open and not self._unfinished

    def _first(self, deltas: list[Delta]) -> Delta | None:
        """Return the first of ``deltas``; queue the others in :attr:`pending`."""
        if len(deltas) > 1:
            self.pending.extend(deltas[1:])
        return deltas[0] if deltas else None

    def _on_text_delta(self, event: StreamEvent) -> Delta | None:
        delta = event.get("delta")
        if not isinstance(delta, str) or not delta or self.capped:
            return None
        where = (event.get("item_id"), event.get("output_index"), event.get("content_index"))
        if where != self._text_at:  # the deltas of one part share their ids: resolve once
            self._text_at = where
            ref = self._ref(where[0], where[1])
            self._text_part = self._slot(ref, where[0], where[2] or 0)
            if where[2] is None:
                self._unindexed.add(ref)
        if len(delta) < self.max_output_chars - self._chars:  # inlined _take (hot path)
            self._chars += len(delta)
        else:
            delta = self._take(delta)
        self._text.append(delta)
        self._text_part.append(delta)
        self.saw_output = True
        return (TEXT, delta)

    def _on_refusal_delta(self, event: StreamEvent) -> Delta | None:
        delta = event.get("delta")
        if not isinstance(delta, str) or not delta or self.capped:
            return None
        delta = self._take(delta)
        self._refusal.append(delta)
        self.saw_output = True
        return (TEXT, delta)

    def _final_text(
        self, ref: ItemRef, item_id: str | None, content_index: int | None, text: str | None
    ) -> Delta | None:
        """The final ``text`` of part ``content_index`` of item ``ref``: show what of it the
        user has not seen (all of it when no delta came); nothing when it was shown already
        or disagrees with what was shown."""
        if not isinstance(text, str) or not text or self.capped:
            return None
        part = self._slot(ref, item_id, content_index or 0, adopt=True)
        shown = "".join(part)
        if len(text) <= len(shown) or not text.startswith(shown):
            return None
        if not shown and ref in self._unindexed and self._item_shows(ref, text):
            return None  # streamed as deltas without content_index: all went to part 0
        missing = self._take(text[len(shown) :])
        part.append(missing)
        self._text.append(missing)
        self.saw_output = True
        return (TEXT, missing) if missing else None

    def _item_shows(self, ref: ItemRef, text: str) -> bool:
        """Whether the text parts shown for item ``ref`` contain ``text``."""
        parts = (p for (r, sub), p in self._parts.items() if r == ref and isinstance(sub, int))
        return text in "".join("".join(p) for p in parts)

    def _on_text_done(self, event: StreamEvent) -> Delta | None:
        return self._final_part_text(event, event.get("text"))

    def _on_part_done(self, event: StreamEvent) -> Delta | None:
        part = event.get("part")
        if isinstance(part, dict) and part.get("type") == "output_text":
            return self._final_part_text(event, part.get("text"))
        return None

    def _final_part_text(self, event: StreamEvent, text: str | None) -> Delta | None:
        item_id = event.get("item_id")
        ref = self._ref(item_id, event.get("output_index"))
        return self._final_text(ref, item_id, event.get("content_index"), text)

    def _on_reasoning_delta(self, event: StreamEvent) -> Delta | None:
        delta = event.get("delta")
        if not isinstance(delta, str) or not delta or self.capped:
            return None
        item_id = event.get("item_id")
        ref = self._ref(item_id, event.get("output_index"))
        sub = self._reasoning_sub(event)
        lead = ""
        if (ref, sub) != self._reasoning_key:  # a new part: "\n\n" between parts and items
            self._reasoning_part = self._slot(ref, item_id, sub)
            lead = "\n\n" if self._reasoning and not self._reasoning_part else ""
            self._reasoning_key = (ref, sub)
        shown = self._take(lead + delta)
        self._reasoning.append(shown)
        self._reasoning_part.append(shown[len(lead) :])
        self.saw_output = True
        return (REASONING, shown)

    @staticmethod
    def _reasoning_sub(event: StreamEvent) -> tuple[str, int]:
        """The part a reasoning event is about: ``("content", content_index)`` for raw
        ``reasoning_text``, else ``("summary", summary_index)``."""
        if event.get("type", "").startswith("response.reasoning_text."):
            return ("content", event.get("content_index") or 0)
        return ("summary", event.get("summary_index") or 0)

    def _on_reasoning_done(self, event: StreamEvent) -> Delta | None:
        """``reasoning_summary_text.done`` / ``reasoning_summary_part.done`` /
        ``reasoning_text.done``: a reasoning part is complete."""
        text = event.get("text")
        if text is None and isinstance(event.get("part"), dict):
            text = event["part"].get("text")
        item_id = event.get("item_id")
        ref = self._ref(item_id, event.get("output_index"))
        return self._final_reasoning_part(ref, item_id, self._reasoning_sub(event), text)

    def _final_reasoning_part(
        self,
        ref: ItemRef,
        item_id: str | None,
        sub: tuple[str, int],
        text: str | None,
        *,
        unmatched: bool = False,
    ) -> Delta | None:
        """The final ``text`` of reasoning part ``sub`` of item ``ref``: show what no delta
        carried (all of it when none came), once. ``unmatched``: the stream never named this
        item (a terminal snapshot with other ids): reasoning already shown that contains the
        text counts as shown."""
        if not isinstance(text, str) or not text or self.capped:
            return None
        part = self._slot(ref, item_id, sub, adopt=True)
        shown = "".join(part)
        if len(text) <= len(shown) or not text.startswith(shown):
            return None
        if unmatched and not shown and text in "".join(self._reasoning):
            return None
        lead = "\n\n" if self._reasoning and not shown else ""
        missing = self._take(lead + text[len(shown) :])
        self._reasoning.append(missing)
        part.append(missing[len(lead) :])
        self.saw_output = True
        return (REASONING, missing) if len(missing) > len(lead) else None

    def _final_reasoning(
        self, ref: ItemRef, item: OutputItem, *, unmatched: bool = False
    ) -> list[Delta]:
        """A completed reasoning item: each of its parts no delta or part event carried,
        once — of the kind already streamed for it, else its ``summary`` parts, else its
        ``content`` (``reasoning_text``) parts."""
        item_id = item.get("id")
        streamed = {
            sub[0]
            for (r, sub), part in self._parts.items()
            if r in (ref, item_id) and isinstance(sub, tuple) and part
        }
        parts = {
            kind: [p.get("text") for p in item.get(kind) or () if isinstance(p, dict)]
            for kind in REASONING_PARTS
        }
        kind: ReasoningParts
        if streamed:
            kind = "content" if "content" in streamed else "summary"
        else:
            has = [k for k in parts if any(isinstance(t, str) and t for t in parts[k])]
            if not has:
                return []
            kind = has[0]
        return [
            shown
            for index, text in enumerate(parts[kind])
            if (
                shown := self._final_reasoning_part(
                    ref, item_id, (kind, index), text, unmatched=unmatched
                )
            )
        ]

    def _final_image(self, item: OutputItem) -> Delta | None:
        """A completed ``image_generation_call``: its image (base64), once."""
        result = item.get("result")
        if not isinstance(result, str) or not result or result in self._images:
            return None
        self._images.append(result)
        self.saw_output = True
        self._items += 1
        return (IMAGE, result)

    def _call_at(self, ref: ItemRef, item_id: str | None) -> _Call:
        """The function call of item ``ref`` (created, and its item opened, if new)."""
        call = self._calls.get(ref)
        if call is None and item_id:
            call = self._calls.get(item_id)  # keyed by id before the index was known
        if call is None:
            if len(self._call_order) >= MAX_TOOL_CALLS:
                raise self._too_many_calls()
            call = _Call(item_id, None, None)
            self._call_order.append(call)
            self._items += 1
            if ref not in self._done:
                self._open.add(ref)
        self._calls[ref] = call
        return call

    def _on_item(self, event: StreamEvent) -> Delta | None:
        item = event.get("item")
        if not isinstance(item, dict):
            return None
        done = event.get("type") == "response.output_item.done"
        item_id = item.get("id")
        ref = self._item_ref(item_id, event.get("output_index"), added=not done)
        self._text_at = None  # deltas without ids now belong to this item
        if done:
            self._close(ref, item)
        else:
            self._current = ref
            if ref not in self._done:
                self._open.add(ref)
        kind = item.get("type")
        if kind == "function_call":
            call = self._call_at(ref, item_id)
            call.call_id = item.get("call_id") or call.call_id
            call.name = item.get("name") or call.name
            args = item.get("arguments")
            if isinstance(args, str) and (args or done):
                self._set_arguments(call, args)
            self.saw_output = True
        elif kind == "reasoning":
            self._keep_reasoning(item_id or ("#", ref), item)
            self.saw_output = True
            if done:
                return self._first(self._final_reasoning(ref, item))
        elif kind == "message" and done:
            return self._first(
                [
                    shown
                    for index, part in enumerate(item.get("content") or ())
                    if isinstance(part, dict)
                    and part.get("type") == "output_text"
                    and (shown := self._final_text(ref, item_id, index, part.get("text")))
                ]
            )
        elif kind == "image_generation_call" and done:
            return self._final_image(item)
        return None

    def _on_args_delta(self, event: StreamEvent) -> Delta | None:
        delta = event.get("delta")
        if not isinstance(delta, str) or self.capped:
            return None
        item_id = event.get("item_id")
        call = self._call_at(self._ref(item_id, event.get("output_index")), item_id)
        piece = self._take(delta)
        call.parts.append(piece)
        call.charged += len(piece)
        self.saw_output = True
        return None

    def _on_args_done(self, event: StreamEvent) -> Delta | None:
        args = event.get("arguments")
        item_id = event.get("item_id")
        call = self._call_at(self._ref(item_id, event.get("output_index")), item_id)
        if isinstance(args, str):
            self._set_arguments(call, args)
        if event.get("name"):
            call.name = call.name or event["name"]
        return None

    def _on_annotation(self, event: StreamEvent) -> Delta | None:
        annotation = event.get("annotation")
        if isinstance(annotation, dict):
            self._add_source(annotation)
        return None

    def _add_source(self, annotation: Annotation) -> None:
        """Keep a ``url_citation``'s URL and title: distinct URLs, at most
        :data:`MAX_SOURCES`, titles clipped, no URL longer than :data:`MAX_SOURCE_URL` or
        with spaces or control characters (the footer's lines stay one per source)."""
        sources = self._sources
        if len(sources) >= MAX_SOURCES or annotation.get("type") != "url_citation":
            return
        url = annotation.get("url")
        if (
            not isinstance(url, str)
            or not url
            or len(url) > MAX_SOURCE_URL
            or url in sources
            or not url.isprintable()
            or " " in url
        ):
            return
        title = annotation.get("title")
        sources[url] = clip(title, MAX_SOURCE_TITLE) if isinstance(title, str) else ""

    def _keep_reasoning(self, key: ReasoningKey, item: OutputItem) -> None:
        """Keep a reasoning item for replay while all kept items together stay within
        ``max_output_chars`` characters of JSON; a bigger one is not kept (logged once)."""
        old = self._reasoning_sizes.get(key, 0)
        room = self.max_output_chars - self._reasoning_size + old
        # its top-level strings alone (encrypted_content) may already be too big: no dump
        size = sum(len(value) for value in item.values() if isinstance(value, str))
        if size <= room:
            try:
                size = len(json.dumps(item, ensure_ascii=False, separators=(",", ":")))
            except (ValueError, TypeError, RecursionError):
                size = room + 1
        if size > room:
            if not self._reasoning_dropped:
                LOG.warning(
                    "reasoning items over %d characters are not kept for replay "
                    "(`max_output_chars`)",
                    self.max_output_chars,
                )
            self._reasoning_dropped += 1
            return
        self._reasoning_items[key] = item
        self._reasoning_sizes[key] = size
        self._reasoning_size += size - old
        if size > old:
            self._items += 1

    def _too_many_calls(self) -> UpstreamError:
        """More than :data:`MAX_TOOL_CALLS` calls: none is kept; the error to raise."""
        self._calls.clear()
        self._call_order.clear()
        self.saw_output = bool(self._text or self._refusal or self._reasoning)
        return UpstreamError(
            f"The upstream's answer holds more than {MAX_TOOL_CALLS} tool calls; it was "
            "stopped and none was run. The model or a relay in front of it is misbehaving."
        )

    def _on_error(self, event: StreamEvent) -> Delta | None:
        raise error_from_payload(event, what="stream error event")

    def _on_terminal(self, event: StreamEvent) -> Delta | None:
        response = event.get("response")
        if not isinstance(response, dict):
            response = {}
        if event.get("type") == "response.failed" or response.get("status") == "failed":
            raise failed_response_error(
                response, what="response.failed", fallback="response.failed"
            )
        status = response.get("status") or (
            "incomplete" if event.get("type") == "response.incomplete" else "completed"
        )
        return self.apply_response({**response, "status": status})

    # -- terminal / non-stream ----------------------------------------------------------
    def apply_response(self, response: ResponseObject) -> Delta | None:
        """Apply a complete ``Response`` object (terminal event snapshot or non-stream body).

        Returns what the user has not seen yet, in output order: reasoning and images of
        items that did not complete earlier, then the missing end of the text (the whole
        text when the upstream streamed no deltas) — the first as the return value, the
        others in :attr:`pending`. Raises :class:`UpstreamError` when the response status
        is ``failed``.
        """
        if response.get("status") == "failed":
            raise failed_response_error(
                response, what="response status failed", fallback="status failed"
            )
        self.terminal = True
        self._final = response
        output = response.get("output")
        if not isinstance(output, list) or not output:
            return None
        texts: list[str] = []
        refusals: list[str] = []
        calls: list[_Call] = []
        deltas: list[Delta] = []
        for index, item in enumerate(output):
            if not isinstance(item, dict):
                continue
            kind = item.get("type")
            if kind == "message":
                for part in item.get("content") or ():
                    if not isinstance(part, dict):
                        continue
                    if part.get("type") == "output_text" and isinstance(part.get("text"), str):
                        texts.append(part["text"])
                        for annotation in part.get("annotations") or ():
                            if isinstance(annotation, dict):
                                self._add_source(annotation)
                    elif part.get("type") == "refusal" and isinstance(part.get("refusal"), str):
                        refusals.append(part["refusal"])
            elif kind == "function_call":
                if len(calls) >= MAX_TOOL_CALLS:
                    raise self._too_many_calls()
                call = _Call(item.get("id"), item.get("call_id"), item.get("name"))
                args = item.get("arguments")
                call.arguments = args if isinstance(args, str) else ""
                calls.append(call)
            elif kind == "reasoning":
                item_id = item.get("id")
                self._keep_reasoning(item_id or ("#", index), item)
                ref = self._index_of.get(item_id, item_id) if item_id else index
                named = item_id and (
                    item_id in self._index_of or any(r == item_id for r, _ in self._parts)
                )
                unmatched = self._reasoning_key is not None and not named
                deltas += self._final_reasoning(ref, item, unmatched=unmatched)
            elif kind == "image_generation_call" and (shown := self._final_image(item)):
                deltas.append(shown)
        if refusals and not self._refusal:
            self._refusal = refusals
        final_text = "".join(texts)
        seen = "".join(self._text)
        if final_text and final_text != seen and not self.capped:
            # reconciled by content: the whole text, or the end the user has not seen
            if final_text.startswith(seen):
                missing = self._take(final_text[len(seen) :])
                self._text.append(missing)
                if missing:
                    deltas.append((TEXT, missing))
            elif not seen:
                self._text = [self._take(final_text)]
                deltas.append((TEXT, self._text[0]))
            # else the terminal text disagrees with what was streamed: keep the streamed
            # text, which the user has already seen.
        if calls:
            # arguments streamed earlier were charged already; charge only the excess
            charged = sum(c.charged for c in self._call_order)
            for call in calls:
                call.charged = min(len(call.arguments or ""), charged)
                charged -= call.charged
                self._set_arguments(call, call.arguments or "")
            self._call_order = calls
        return self._first(deltas)

    # -- result -----------------------------------------------------------------------
    def result(self) -> Turn:
        """The accumulated :class:`Turn` (call once, after the last event)."""
        final = self._final or {}
        status: ResponseStatus | TurnStatus | None
        if self.terminal:
            status = final.get("status")
        else:
            status = "completed" if self.items_complete else "truncated"
        details = final.get("incomplete_details")
        if not isinstance(details, dict):
            details = {}
        turn = Turn(
            text="".join(self._text),
            refusal="".join(self._refusal),
            reasoning="".join(self._reasoning),
            reasoning_items=[i for i in self._reasoning_items.values() if isinstance(i, dict)],
            annotations=self._kept_sources(),
            images=self._images,
            usage=_usage(final.get("usage")),
            response_id=final.get("id") if isinstance(final.get("id"), str) else None,
            model=final.get("model") if isinstance(final.get("model"), str) else None,
            status=status if status in ("completed", "incomplete", "truncated") else "completed",
            incomplete_reason=details.get("reason") if details else None,
        )
        if not turn.text and turn.refusal:
            turn.text = turn.refusal
        notices: list[str] = []
        if turn.status == "incomplete":
            notices.append(incomplete_notice(turn.incomplete_reason))
        dropped = 0
        for index, call in enumerate(self._call_order):
            parsed = _parse_arguments(call.text())
            if parsed is None or not call.name:
                dropped += 1
                continue
            call_id = call.call_id or _synthetic_call_id(call.name, call.text(), index)
            turn.tool_calls.append(ToolCall(call_id, call.name, parsed, call.item_id))
        if dropped:
            notices.append(dropped_calls_notice(dropped, capped=self.capped))
        turn.notice = " ".join(notices)
        return turn

    def _kept_sources(self) -> list[Annotation]:
        """The sources as ``url_citation`` dicts, as many as fit in what is left of
        ``max_output_chars`` once the answer is counted (the footer counts against it)."""
        room = self.max_output_chars - self._chars - SOURCES_HEAD_CHARS
        kept: list[Annotation] = []
        for url, title in self._sources.items():
            room -= len(url) + len(title) + SOURCE_LINE_CHARS
            if room < 0:
                break
            kept.append({"type": "url_citation", "url": url, "title": title})
        return kept


def _announcement(event: StreamEvent) -> None:
    """Handler of :data:`~.types.ANNOUNCING_EVENTS`: known, nothing to apply."""
    return None


def _parse_arguments(text: str) -> dict[str, Any] | None:
    if not text.strip():
        return {}
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: nesting too deep
        return None
    return value if isinstance(value, dict) else None


def _synthetic_call_id(name: str, arguments: str, index: int) -> str:
    digest = hashlib.sha1(f"{name}\0{arguments}\0{index}".encode()).hexdigest()[:24]
    return f"call_{digest}"
