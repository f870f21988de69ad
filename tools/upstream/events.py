"""Stream event builders: lists of event dicts in OpenAI's canonical order
(specs/004-responses-wire-format/spec.md §"Streaming events").

Every builder is pure apart from random ids (pass ids to make it deterministic) and returns
events whose ``sequence_number`` counts from 0. All events validate against openai-python's
``ResponseStreamEvent`` classes (see :mod:`.oracle`) except ``error_event(nested=True)``, which
is the *production* nested error shape that the SDK model deliberately does not describe
(spec 004 §"Errors", §"Test oracle"). Combine lists freely and call :func:`renumber`.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator
from typing import Any

from .ids import new_id
from .items import (
    DEFAULT_MODEL,
    function_call_item,
    message_item,
    output_text_part,
    reasoning_item,
    response_object,
)

Event = dict[str, Any]


def split_text(text: str, chunks: int) -> list[str]:
    """Split ``text`` into at most ``chunks`` non-empty, nearly equal pieces (``[""]`` if empty)."""
    if not text:
        return [""]
    n = max(1, min(chunks, len(text)))
    size, extra = divmod(len(text), n)
    pieces: list[str] = []
    start = 0
    for i in range(n):
        end = start + size + (1 if i < extra else 0)
        pieces.append(text[start:end])
        start = end
    return pieces


def renumber(events: list[Event], start: int = 0) -> list[Event]:
    """Deep copies of ``events`` with ``sequence_number`` = ``start``, ``start+1``, …"""
    out = copy.deepcopy(events)
    for i, event in enumerate(out):
        event["sequence_number"] = start + i
    return out


def _opening(snapshot: dict[str, Any]) -> list[Event]:
    """``response.created`` and ``response.in_progress`` for an in-progress snapshot."""
    return [
        {"type": "response.created", "response": copy.deepcopy(snapshot)},
        {"type": "response.in_progress", "response": copy.deepcopy(snapshot)},
    ]


def _added_form(item: dict[str, Any]) -> dict[str, Any]:
    """The item as ``response.output_item.added`` shows it (nothing generated yet)."""
    kind = item["type"]
    if kind == "message":
        return {**item, "status": "in_progress", "content": []}
    if kind == "function_call":
        return {**item, "status": "in_progress", "arguments": ""}
    if kind == "reasoning":
        return {"id": item["id"], "type": "reasoning", "summary": []}
    if kind == "image_generation_call":
        return {"id": item["id"], "type": "image_generation_call", "status": "in_progress"}
    return dict(item)


def _message_events(item: dict[str, Any], index: int, chunks: int) -> Iterator[Event]:
    """Events between ``output_item.added`` and ``output_item.done`` of a message item."""
    common = {"item_id": item["id"], "output_index": index}
    for c_index, part in enumerate(item["content"]):
        loc = {**common, "content_index": c_index}
        text = part.get("text", "")
        yield {"type": "response.content_part.added", **loc, "part": output_text_part("")}
        for piece in split_text(text, chunks):
            yield {"type": "response.output_text.delta", **loc, "delta": piece, "logprobs": []}
        yield {"type": "response.output_text.done", **loc, "text": text, "logprobs": []}
        yield {"type": "response.content_part.done", **loc, "part": copy.deepcopy(part)}


def _call_done_events(item: dict[str, Any], index: int) -> list[Event]:
    """``function_call_arguments.done`` and ``output_item.done`` of a function call."""
    return [
        {
            "type": "response.function_call_arguments.done",
            "item_id": item["id"],
            "output_index": index,
            "name": item["name"],  # required by the 2.x SDK types only; harmless elsewhere
            "arguments": item["arguments"],
        },
        {"type": "response.output_item.done", "output_index": index, "item": dict(item)},
    ]


def _arg_deltas(item: dict[str, Any], index: int, chunks: int) -> list[Event]:
    """``function_call_arguments.delta`` events of a function call."""
    return [
        {
            "type": "response.function_call_arguments.delta",
            "item_id": item["id"],
            "output_index": index,
            "delta": piece,
        }
        for piece in split_text(item["arguments"], chunks)
    ]


def _reasoning_events(item: dict[str, Any], index: int, chunks: int) -> Iterator[Event]:
    """Summary part/text events of a reasoning item (none when the summary is empty), then
    ``reasoning_text`` delta/done events of its ``content`` parts."""
    common = {"item_id": item["id"], "output_index": index}
    yield from _summary_events(item, common, chunks)
    for c_index, part in enumerate(item.get("content") or ()):
        loc = {**common, "content_index": c_index}
        for piece in split_text(part["text"], chunks):
            yield {"type": "response.reasoning_text.delta", **loc, "delta": piece}
        yield {"type": "response.reasoning_text.done", **loc, "text": part["text"]}


def _summary_events(item: dict[str, Any], common: Event, chunks: int) -> Iterator[Event]:
    """``reasoning_summary_*`` events of a reasoning item's summary parts."""
    for s_index, part in enumerate(item["summary"]):
        loc = {**common, "summary_index": s_index}
        text = part["text"]
        empty = {"type": "summary_text", "text": ""}
        yield {"type": "response.reasoning_summary_part.added", **loc, "part": empty}
        for piece in split_text(text, chunks):
            yield {"type": "response.reasoning_summary_text.delta", **loc, "delta": piece}
        yield {"type": "response.reasoning_summary_text.done", **loc, "text": text}
        done_part = {"type": "summary_text", "text": text}
        yield {"type": "response.reasoning_summary_part.done", **loc, "part": done_part}


def item_events(item: dict[str, Any], index: int, *, chunks: int = 4) -> list[Event]:
    """All events of one output item at ``output_index`` ``index`` (added … done), unnumbered."""
    events: list[Event] = [
        {"type": "response.output_item.added", "output_index": index, "item": _added_form(item)}
    ]
    kind = item["type"]
    if kind == "function_call":
        return events + _arg_deltas(item, index, chunks) + _call_done_events(item, index)
    if kind == "message":
        events.extend(_message_events(item, index, chunks))
    elif kind == "reasoning":
        events.extend(_reasoning_events(item, index, chunks))
    elif kind == "image_generation_call":
        events.extend(_image_events(item, index))
    events.append({"type": "response.output_item.done", "output_index": index, "item": item})
    return events


def _image_events(item: dict[str, Any], index: int) -> list[Event]:
    """Progress events of an ``image_generation_call``: in progress, generating, one partial
    image (the first bytes of the result), completed; the image itself comes with
    ``output_item.done``."""
    loc = {"item_id": item["id"], "output_index": index}
    partial = {
        "type": "response.image_generation_call.partial_image",
        **loc,
        "partial_image_b64": item["result"][:8],
        "partial_image_index": 0,
    }
    return [
        {"type": "response.image_generation_call.in_progress", **loc},
        {"type": "response.image_generation_call.generating", **loc},
        partial,
        {"type": "response.image_generation_call.completed", **loc},
    ]


def without_fields(
    events: list[Event], fields: Iterable[str], *, types: Iterable[str] | None = None
) -> list[Event]:
    """Deep copies of ``events`` without the top-level ``fields`` (e.g. ``item_id``,
    ``output_index``, ``sequence_number``) — on the events whose ``type`` is in ``types``,
    or on all of them — as third-party servers leave them out
    (specs/004-responses-wire-format/spec.md §"Third-party deviations")."""
    drop, only = frozenset(fields), None if types is None else frozenset(types)
    return [
        {k: v for k, v in e.items() if k not in drop} if only is None or e["type"] in only else e
        for e in copy.deepcopy(events)
    ]


def without_events(events: list[Event], types: Iterable[str]) -> list[Event]:
    """``events`` without those whose ``type`` is in ``types`` (e.g. every delta event)."""
    drop = frozenset(types)
    return [e for e in events if e["type"] not in drop]


def _terminal_type(status: str) -> str:
    """The terminal event type for a final response ``status``."""
    return {"incomplete": "response.incomplete", "failed": "response.failed"}.get(
        status, "response.completed"
    )


def output_stream(
    output: list[dict[str, Any]],
    *,
    chunks: int = 4,
    response_id: str | None = None,
    model: str = DEFAULT_MODEL,
    usage: dict[str, Any] | None = None,
    status: str = "completed",
    incomplete_reason: str | None = None,
    request: dict[str, Any] | None = None,
) -> list[Event]:
    """The full stream producing ``output`` (items streamed one after another), numbered.

    The terminal event (completed / incomplete / failed by ``status``) carries the final
    response with ``output`` and ``usage``; earlier snapshots have ``usage: null``.
    """
    rid = response_id or new_id("resp")
    snapshot = response_object(
        [], response_id=rid, model=model, status="in_progress", request=request, with_usage=False
    )
    events = _opening(snapshot)
    for index, item in enumerate(output):
        events.extend(item_events(item, index, chunks=chunks))
    final = response_object(
        copy.deepcopy(output),
        response_id=rid,
        model=model,
        status=status,
        usage=usage,
        incomplete_reason=incomplete_reason,
        request=request,
        created_at=snapshot["created_at"],
    )
    events.append({"type": _terminal_type(status), "response": final})
    return renumber(events)


def text_stream(
    text: str,
    *,
    chunks: int = 4,
    response_id: str | None = None,
    model: str = DEFAULT_MODEL,
    usage: dict[str, Any] | None = None,
) -> list[Event]:
    """A plain text answer streamed in ``chunks`` ``output_text.delta`` events."""
    return output_stream(
        [message_item(text)], chunks=chunks, response_id=response_id, model=model, usage=usage
    )


def function_call_stream(
    name: str,
    arguments: dict[str, Any],
    *,
    call_id: str | None = None,
    item_id: str | None = None,
    chunks: int = 3,
    response_id: str | None = None,
    model: str = DEFAULT_MODEL,
    usage: dict[str, Any] | None = None,
) -> list[Event]:
    """One ``function_call`` whose JSON arguments arrive in ``chunks`` deltas."""
    item = function_call_item(name, arguments, call_id=call_id, item_id=item_id)
    return output_stream([item], chunks=chunks, response_id=response_id, model=model, usage=usage)


def reasoning_then_text_stream(
    summary: str,
    text: str,
    *,
    encrypted: str | None = None,
    chunks: int = 4,
    response_id: str | None = None,
    model: str = DEFAULT_MODEL,
    usage: dict[str, Any] | None = None,
) -> list[Event]:
    """A reasoning item (summary streamed via ``reasoning_summary_text.delta``; ``encrypted``
    only in ``output_item.done`` and the terminal snapshot) followed by a text message."""
    output = [reasoning_item(summary, encrypted=encrypted), message_item(text)]
    return output_stream(output, chunks=chunks, response_id=response_id, model=model, usage=usage)


def parallel_calls_interleaved(
    calls: list[tuple[str, dict[str, Any]]] | None = None,
    *,
    chunks: int = 3,
    response_id: str | None = None,
    model: str = DEFAULT_MODEL,
    usage: dict[str, Any] | None = None,
) -> list[Event]:
    """Several function calls (default two) whose argument deltas interleave round-robin.

    Order: every ``output_item.added``, then deltas alternating between ``output_index``
    values, then ``arguments.done`` + ``output_item.done`` per call, then the terminal event.
    """
    calls = calls or [("get_magic_number", {"seed": 7}), ("get_weather", {"city": "Paris"})]
    items = [function_call_item(name, args) for name, args in calls]
    rid = response_id or new_id("resp")
    snapshot = response_object(
        [], response_id=rid, model=model, status="in_progress", with_usage=False
    )
    events = _opening(snapshot)
    events += [
        {"type": "response.output_item.added", "output_index": i, "item": _added_form(item)}
        for i, item in enumerate(items)
    ]
    lanes = [_arg_deltas(item, i, chunks) for i, item in enumerate(items)]
    for round_ in range(max(len(lane) for lane in lanes)):
        events += [lane[round_] for lane in lanes if round_ < len(lane)]
    for i, item in enumerate(items):
        events += _call_done_events(item, i)
    final = response_object(
        copy.deepcopy(items),
        response_id=rid,
        model=model,
        usage=usage,
        created_at=snapshot["created_at"],
    )
    events.append({"type": "response.completed", "response": final})
    return renumber(events)


def incomplete_stream(
    text: str,
    reason: str,
    *,
    chunks: int = 4,
    response_id: str | None = None,
    model: str = DEFAULT_MODEL,
    usage: dict[str, Any] | None = None,
) -> list[Event]:
    """Partial ``text`` then ``response.incomplete`` with ``incomplete_details.reason`` =
    ``reason`` (``"max_output_tokens"`` or ``"content_filter"``)."""
    item = message_item(text, status="incomplete")
    return output_stream(
        [item],
        chunks=chunks,
        response_id=response_id,
        model=model,
        usage=usage,
        status="incomplete",
        incomplete_reason=reason,
    )


def error_event(
    message: str,
    code: str | None,
    *,
    nested: bool = False,
    param: str | None = None,
    error_type: str | None = None,
    sequence_number: int = 0,
) -> list[Event]:
    """One in-stream ``error`` event.

    ``nested=False``: the documented flat form ``{type, code, message, param}``.
    ``nested=True``: the production form with the fields under ``error`` (plus its ``type``),
    which does not validate against ``ResponseErrorEvent`` (spec 004 §"Errors").
    """
    if nested:
        inner = {"type": error_type or code, "code": code, "message": message, "param": param}
        return [{"type": "error", "sequence_number": sequence_number, "error": inner}]
    return [
        {
            "type": "error",
            "sequence_number": sequence_number,
            "code": code,
            "message": message,
            "param": param,
        }
    ]


def failed_event(
    message: str = "The server had an error while processing your request.",
    code: str = "server_error",
    *,
    output: list[dict[str, Any]] | None = None,
    response_id: str | None = None,
    model: str = DEFAULT_MODEL,
    sequence_number: int = 0,
) -> list[Event]:
    """One ``response.failed`` event whose response has ``status: failed`` and
    ``error: {code, message}`` (``code`` must be one of the SDK's ``ResponseError`` codes)."""
    response = response_object(
        output or [],
        response_id=response_id,
        model=model,
        status="failed",
        error={"code": code, "message": message},
        with_usage=False,
    )
    return [{"type": "response.failed", "sequence_number": sequence_number, "response": response}]
