"""Property: what is streamed is exactly the final answer, whatever ids the server sends.

For any answer (messages with one or two text parts, reasoning items with summary or raw
``reasoning_text`` parts, function calls), streamed in OpenAI's order by
``tools.upstream.events`` and then reshaped the way third-party servers do — any subset of
``item_id`` / ``output_index`` / ``sequence_number`` left out (on the part events only, or on
the item events too), ``output_index`` shifted, text or reasoning only in the part or item
done events, no done events, an empty terminal ``output`` — the text deltas joined equal the
final text, the reasoning deltas joined equal the final reasoning, and both equal what the
upstream meant; the calls come out whole. Issue 11 (mock-ai-api sends no ``item_id`` on its
deltas).
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from data.plugins.astrbot_plugin_openai_responses.provider.accumulator import (
    ResponseAccumulator,
)
from data.plugins.astrbot_plugin_openai_responses.provider.types import REASONING, TEXT
from tools.upstream import events as ev
from tools.upstream.items import (
    function_call_item,
    message_item,
    output_text_part,
    reasoning_item,
)

ITEM_EVENTS = frozenset({"response.output_item.added", "response.output_item.done"})
TEXT_DELTAS = frozenset({"response.output_text.delta"})
TEXT_DONES = frozenset({"response.output_text.done", "response.content_part.done"})
REASONING_DELTAS = frozenset(
    {"response.reasoning_summary_text.delta", "response.reasoning_text.delta"}
)
REASONING_DONES = frozenset(
    {
        "response.reasoning_summary_text.done",
        "response.reasoning_summary_part.done",
        "response.reasoning_text.done",
    }
)

words = st.text(alphabet="abc xyz.\n你", min_size=1, max_size=12)


@st.composite
def answers(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Output items in order: messages, reasoning items, function calls."""
    items: list[dict[str, Any]] = []
    for n, kind in enumerate(
        draw(
            st.lists(st.sampled_from(["message", "summary", "raw", "call"]), min_size=1, max_size=4)
        )
    ):
        if kind == "message":
            item = message_item(draw(words), item_id=f"msg_{n}")
            if draw(st.booleans()):
                item["content"].append(output_text_part(draw(words)))
        elif kind == "summary":
            item = reasoning_item(draw(st.lists(words, min_size=1, max_size=2)), item_id=f"rs_{n}")
        elif kind == "raw":
            item = reasoning_item(
                [], item_id=f"rs_{n}", content=draw(st.lists(words, min_size=1, max_size=2))
            )
        else:
            item = function_call_item(f"tool_{n}", {"n": n}, call_id=f"call_{n}", item_id=f"fc_{n}")
        items.append(item)
    return items


def meant(output: list[dict[str, Any]]) -> tuple[str, str, list[tuple[str, dict[str, Any]]]]:
    """The text, reasoning and calls the upstream meant."""
    text = "".join(p["text"] for i in output if i["type"] == "message" for p in i["content"])
    reasoning = "\n\n".join(
        "\n\n".join(p["text"] for p in i["summary"] or i.get("content") or [])
        for i in output
        if i["type"] == "reasoning"
    )
    calls = [
        (i["name"], json.loads(i["arguments"])) for i in output if i["type"] == "function_call"
    ]
    return text, reasoning, calls


def reshape(events: list[dict[str, Any]], draw: st.DrawFn) -> list[dict[str, Any]]:
    """The stream as a third-party server might send it (see the module docstring)."""
    drop = draw(st.sets(st.sampled_from(["item_id", "output_index", "sequence_number"])))
    on_items = draw(st.booleans())
    part_types = {e["type"] for e in events} - (set() if on_items else ITEM_EVENTS)
    events = ev.without_fields(events, drop, types=part_types)
    if shift := draw(st.integers(0, 1)):  # LiteLLM: a stream may start at output_index 1
        for event in events:
            if "output_index" in event:
                event["output_index"] += shift
    gone: set[str] = set()
    if not draw(st.booleans()):
        gone |= TEXT_DELTAS
    if not draw(st.booleans()):
        gone |= REASONING_DELTAS
    if not draw(st.booleans()):
        gone |= TEXT_DONES
    if not draw(st.booleans()):
        gone |= REASONING_DONES
    if not draw(st.booleans()):
        gone.add("response.output_item.done")
    events = ev.without_events(events, gone)
    if draw(st.booleans()):  # relays: response.completed with output: []
        events[-1]["response"]["output"] = []
    # the answer must still be somewhere in the stream
    kept_text = not gone >= TEXT_DELTAS | TEXT_DONES | {"response.output_item.done"}
    kept_reasoning = not gone >= REASONING_DELTAS | REASONING_DONES | {"response.output_item.done"}
    assume(events[-1]["response"]["output"] or (kept_text and kept_reasoning))
    return events


@settings(max_examples=400, deadline=None)
@given(output=answers(), data=st.data(), chunks=st.integers(1, 4))
def test_streamed_deltas_are_the_final_answer_whatever_ids_are_sent(
    output: list[dict[str, Any]], data: st.DataObject, chunks: int
) -> None:
    events = reshape(ev.output_stream(output, chunks=chunks), data.draw)
    acc = ResponseAccumulator(max_output_chars=100_000)
    deltas = []
    for event in events:
        delta = acc.feed(event)
        deltas += [delta, *acc.pending] if delta is not None else acc.pending
        acc.pending.clear()
    turn = acc.result()
    text, reasoning, calls = meant(output)
    assert "".join(d for kind, d in deltas if kind == TEXT) == turn.text == text
    assert "".join(d for kind, d in deltas if kind == REASONING) == turn.reasoning == reasoning
    assert [(c.name, c.arguments) for c in turn.tool_calls] == calls
