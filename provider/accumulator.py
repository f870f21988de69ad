"""The one accumulator: Responses stream events, or a non-stream response object → a Turn.

Both paths use it: the stream path calls :meth:`ResponseAccumulator.feed` per event and
forwards the returned deltas; the non-stream path calls :meth:`apply_response` once with
the JSON body. :meth:`result` then gives the :class:`~.types.Turn`.

Tolerated relay behaviour (specs/004-responses-wire-format/spec.md §"Third-party deviations"): no
``content_part.added``; text only in ``output_text.done`` / ``content_part.done`` or only in
the terminal response; ``response.completed`` with ``output: []`` (the accumulated items are
used); ``response.done`` as terminal; missing ``item_id``/``call_id``/``usage``; function-call
arguments only in a ``.done`` event; interleaved parallel calls (keyed by ``item_id`` and
``output_index``); unknown events (ignored, logged once at debug level).

Spec: specs/001-redesign-responses-provider/spec.md §"SSE and accumulation"; events and
the fields read: spec 004 §"Streaming events", §"Response object".
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from .errors import UpstreamError
from .http_errors import (
    chat_completions_chunks_error,
    clip_head,
    error_from_payload,
    failed_response_error,
)
from .notices import dropped_calls_notice, incomplete_notice
from .redaction import LOG
from .types import REASONING, TERMINAL_EVENTS, TEXT, Delta, ToolCall, Turn, Usage

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


def _usage(raw: Any) -> Usage | None:
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
    """

    def __init__(self, *, max_output_chars: int) -> None:
        self.max_output_chars = max_output_chars
        self.capped = False
        self.terminal = False
        self.saw_output = False  # any output-bearing event (text, call, reasoning)
        self._chars = 0
        self._text: list[str] = []
        self._refusal: list[str] = []
        self._reasoning: list[str] = []
        self._reasoning_key: tuple[Any, ...] | None = None
        self._delta_keys: set[tuple[Any, Any]] = set()
        self._last_delta_key: tuple[Any, Any] | None = None
        self._calls: dict[Any, _Call] = {}
        self._call_order: list[_Call] = []
        self._reasoning_items: dict[Any, dict[str, Any]] = {}
        self._reasoning_sizes: dict[Any, int] = {}  # characters of each kept item's JSON
        self._reasoning_size = 0  # their sum
        self._reasoning_dropped = 0
        self._items = 0  # output items that made the answer grow (progress)
        self._sources: dict[str, str] = {}  # url_citation URL → clipped title ("" if none)
        self._images: list[str] = []
        self._unknown_logged = False
        self._final: dict[str, Any] | None = None
        self._handlers = {
            "response.output_text.delta": self._on_text_delta,
            "response.refusal.delta": self._on_refusal_delta,
            "response.content_part.delta": self._on_text_delta,
            "response.output_text.done": self._on_text_done,
            "response.content_part.done": self._on_part_done,
            "response.reasoning_summary_text.delta": self._on_reasoning_delta,
            "response.reasoning_text.delta": self._on_reasoning_delta,
            "response.output_item.added": self._on_item,
            "response.output_item.done": self._on_item,
            "response.function_call_arguments.delta": self._on_args_delta,
            "response.function_call_arguments.done": self._on_args_done,
            "response.output_text.annotation.added": self._on_annotation,
            "error": self._on_error,
        }

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
    def feed(self, event: dict[str, Any]) -> Delta | None:
        """Apply one event; return the delta to show the user, if any.

        Raises :class:`UpstreamError` for ``error`` events, ``response.failed`` and
        Chat-Completions chunks (wrong endpoint type).
        """
        kind = event.get("type")
        handler = self._handlers.get(kind)  # type: ignore[arg-type]
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
                clip_head(kind, 80),
            )
        return None

    def _on_text_delta(self, event: dict[str, Any]) -> Delta | None:
        delta = event.get("delta")
        if not isinstance(delta, str) or not delta or self.capped:
            return None
        key = (event.get("item_id") or event.get("output_index"), event.get("content_index"))
        if key != self._last_delta_key:  # the deltas of one part share a key: add it once
            self._delta_keys.add(key)
            self._last_delta_key = key
        if len(delta) < self.max_output_chars - self._chars:  # inlined _take (hot path)
            self._chars += len(delta)
        else:
            delta = self._take(delta)
        self._text.append(delta)
        self.saw_output = True
        return (TEXT, delta)

    def _on_refusal_delta(self, event: dict[str, Any]) -> Delta | None:
        delta = event.get("delta")
        if not isinstance(delta, str) or not delta or self.capped:
            return None
        delta = self._take(delta)
        self._refusal.append(delta)
        self.saw_output = True
        return (TEXT, delta)

    def _done_text(self, event: dict[str, Any], text: Any) -> Delta | None:
        key = (event.get("item_id") or event.get("output_index"), event.get("content_index"))
        if key in self._delta_keys or not isinstance(text, str) or not text or self.capped:
            return None
        self._delta_keys.add(key)  # text arrived only in a done event: show it once
        text = self._take(text)
        self._text.append(text)
        self.saw_output = True
        return (TEXT, text)

    def _on_text_done(self, event: dict[str, Any]) -> Delta | None:
        return self._done_text(event, event.get("text"))

    def _on_part_done(self, event: dict[str, Any]) -> Delta | None:
        part = event.get("part")
        if isinstance(part, dict) and part.get("type") == "output_text":
            return self._done_text(event, part.get("text"))
        return None

    def _on_reasoning_delta(self, event: dict[str, Any]) -> Delta | None:
        delta = event.get("delta")
        if not isinstance(delta, str) or not delta or self.capped:
            return None
        key = (event.get("item_id"), event.get("summary_index"), event.get("content_index"))
        if self._reasoning_key is not None and key != self._reasoning_key and self._reasoning:
            delta = "\n\n" + delta
        self._reasoning_key = key
        delta = self._take(delta)
        self._reasoning.append(delta)
        self.saw_output = True
        return (REASONING, delta)

    def _call_for(self, event: dict[str, Any]) -> _Call:
        item_id = event.get("item_id")
        index = event.get("output_index")
        call = self._calls.get(item_id) if item_id else None
        if call is None and index is not None:
            call = self._calls.get(("#", index))
        if call is None:
            if len(self._call_order) >= MAX_TOOL_CALLS:
                raise self._too_many_calls()
            call = _Call(item_id, None, None)
            self._call_order.append(call)
            self._items += 1
        if item_id:
            self._calls[item_id] = call
        if index is not None:
            self._calls[("#", index)] = call
        return call

    def _on_item(self, event: dict[str, Any]) -> Delta | None:
        item = event.get("item")
        if not isinstance(item, dict):
            return None
        kind = item.get("type")
        if kind == "function_call":
            call = self._call_for(
                {"item_id": item.get("id"), "output_index": event.get("output_index")}
            )
            call.call_id = item.get("call_id") or call.call_id
            call.name = item.get("name") or call.name
            args = item.get("arguments")
            if isinstance(args, str) and (args or event.get("type") == "response.output_item.done"):
                self._set_arguments(call, args)
            self.saw_output = True
        elif kind == "reasoning":
            self._keep_reasoning(item.get("id") or ("#", event.get("output_index")), item)
            self.saw_output = True
            if event.get("type") == "response.output_item.done" and not self._reasoning:
                text = _reasoning_text(item)
                if text:
                    text = self._take(text)
                    self._reasoning.append(text)
                    return (REASONING, text)
        elif kind == "message":
            if event.get("type") == "response.output_item.done":
                for index, part in enumerate(item.get("content") or ()):
                    if isinstance(part, dict) and part.get("type") == "output_text":
                        shown = self._done_text(
                            {
                                "item_id": item.get("id"),
                                "output_index": event.get("output_index"),
                                "content_index": index,
                            },
                            part.get("text"),
                        )
                        if shown:
                            return shown
        elif kind == "image_generation_call" and isinstance(item.get("result"), str):
            self.saw_output = True
            self._items += 1
        return None

    def _on_args_delta(self, event: dict[str, Any]) -> Delta | None:
        delta = event.get("delta")
        if not isinstance(delta, str) or self.capped:
            return None
        call = self._call_for(event)
        piece = self._take(delta)
        call.parts.append(piece)
        call.charged += len(piece)
        self.saw_output = True
        return None

    def _on_args_done(self, event: dict[str, Any]) -> Delta | None:
        args = event.get("arguments")
        call = self._call_for(event)
        if isinstance(args, str):
            self._set_arguments(call, args)
        if event.get("name"):
            call.name = call.name or event["name"]
        return None

    def _on_annotation(self, event: dict[str, Any]) -> Delta | None:
        annotation = event.get("annotation")
        if isinstance(annotation, dict):
            self._add_source(annotation)
        return None

    def _add_source(self, annotation: dict[str, Any]) -> None:
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
        sources[url] = clip_head(title, MAX_SOURCE_TITLE) if isinstance(title, str) else ""

    def _keep_reasoning(self, key: Any, item: dict[str, Any]) -> None:
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

    def _on_error(self, event: dict[str, Any]) -> Delta | None:
        raise error_from_payload(event, what="stream error event")

    def _on_terminal(self, event: dict[str, Any]) -> Delta | None:
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
    def apply_response(self, response: dict[str, Any]) -> Delta | None:
        """Apply a complete ``Response`` object (terminal event snapshot or non-stream body).

        Returns the part of the final text the user has not seen yet (the whole text when
        the upstream streamed no deltas), or None. Raises :class:`UpstreamError` when the
        response status is ``failed``.
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
                self._keep_reasoning(item.get("id") or ("#", index), item)
                if not self._reasoning:
                    text = _reasoning_text(item)
                    if text:
                        self._reasoning.append(self._take(text))
            elif (
                kind == "image_generation_call"
                and isinstance(item.get("result"), str)
                and item["result"] not in self._images
            ):
                self._images.append(item["result"])
        if refusals and not self._refusal:
            self._refusal = refusals
        final_text = "".join(texts)
        seen = "".join(self._text)
        shown: Delta | None = None
        if final_text and final_text != seen and not self.capped:
            if final_text.startswith(seen):
                missing = self._take(final_text[len(seen) :])
                self._text.append(missing)
                shown = (TEXT, missing) if missing else None
            elif not seen:
                self._text = [self._take(final_text)]
                shown = (TEXT, self._text[0])
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
        return shown

    # -- result -----------------------------------------------------------------------
    def result(self) -> Turn:
        """The accumulated :class:`Turn` (call once, after the last event)."""
        final = self._final or {}
        status = final.get("status") if self.terminal else "truncated"
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

    def _kept_sources(self) -> list[dict[str, Any]]:
        """The sources as ``url_citation`` dicts, as many as fit in what is left of
        ``max_output_chars`` once the answer is counted (the footer counts against it)."""
        room = self.max_output_chars - self._chars - SOURCES_HEAD_CHARS
        kept: list[dict[str, Any]] = []
        for url, title in self._sources.items():
            room -= len(url) + len(title) + SOURCE_LINE_CHARS
            if room < 0:
                break
            kept.append({"type": "url_citation", "url": url, "title": title})
        return kept


def _reasoning_text(item: dict[str, Any]) -> str:
    parts = [s.get("text", "") for s in item.get("summary") or () if isinstance(s, dict)]
    if not any(parts):
        parts = [c.get("text", "") for c in item.get("content") or () if isinstance(c, dict)]
    return "\n\n".join(p for p in parts if isinstance(p, str) and p)


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
