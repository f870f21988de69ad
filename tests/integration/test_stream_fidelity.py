"""What a chat user sees is exactly what the upstream meant (issue 11), on the loopback upstream.

* part events without ``item_id`` (mock-ai-api) — the answer is shown once, not twice;
* a generated image reaches a streaming chat as one ``Image`` chunk when its
  ``image_generation_call`` item completes, and stays in the final response;
* reasoning sent only with its completed item (or only in ``response.completed``) is
  streamed once as a reasoning chunk, and kept whole in a non-streamed answer.

Each runs through ``text_chat`` and ``text_chat_stream`` where both apply (a relay that
streams to a non-stream request is read by sniffing the body, so one SSE script serves both).
The stream endings without ``response.completed`` are in test_faults_stream.py.
"""

from __future__ import annotations

from typing import Any

import astrbot.core.message.components as Comp
import pytest
from astrbot.core.provider.entities import LLMResponse

from tests.integration.conftest import MakeProvider
from tests.integration.faults import ANSWER, MODES, Kit, Outcome
from tests.integration.test_chat import collect
from tools.upstream import Events, FakeUpstream, StartStream, Status
from tools.upstream import events as ev
from tools.upstream.brain import DRAW_TEXT, TINY_PNG
from tools.upstream.items import (
    image_generation_item,
    message_item,
    reasoning_item,
    response_object,
)

# -- 1. part events without item_id --------------------------------------------------------

ID_SUBSETS = {
    "no-item_id": ["item_id"],
    "mock-ai-api": ["item_id", "sequence_number"],
    "no-output_index": ["output_index"],
    "no-ids": ["item_id", "output_index", "sequence_number"],
}
#: the events that point into an item (the output_item events keep their output_index)
PART_EVENTS = [
    "response.content_part.added",
    "response.output_text.delta",
    "response.output_text.done",
    "response.content_part.done",
]


@MODES
@pytest.mark.parametrize("fields", list(ID_SUBSETS.values()), ids=list(ID_SUBSETS))
async def test_part_events_without_ids_show_the_answer_once(
    kit: Kit, stream: bool, fields: list[str]
) -> None:
    events = ev.without_fields(ev.text_stream(ANSWER, chunks=5), fields, types=PART_EVENTS)
    kit.upstream.enqueue([StartStream(), Events(events, event_lines=False)])
    provider = await kit.provider()
    out = await kit.chat(provider, stream, bound=0.5)
    assert out.text == ANSWER
    assert "".join(out.chunks) == (ANSWER if stream else "")


# -- 2. generated images ---------------------------------------------------------------------


def images(response: LLMResponse) -> list[str]:
    """The base64 data of the Image components of a response's ``result_chain``."""
    chain = response.result_chain.chain if response.result_chain else []
    return [c.file.removeprefix("base64://") for c in chain if isinstance(c, Comp.Image)]


async def test_generated_image_streams_as_one_image_chunk_when_its_item_completes(
    make_provider: MakeProvider, upstream: FakeUpstream
) -> None:
    provider = await make_provider(builtin_tools=["image_generation"])
    chunks, (final,) = await collect(provider, prompt="DRAW a cat")
    assert {"type": "image_generation"} in upstream.requests[-1].body["tools"]
    assert [images(c) for c in chunks if c.result_chain] == [[TINY_PNG]]
    first_text = next(i for i, c in enumerate(chunks) if c.completion_text)
    assert images(chunks[first_text - 1]) == [TINY_PNG]  # the image item came first
    assert "".join(c.completion_text for c in chunks) == DRAW_TEXT
    assert images(final) == [TINY_PNG]
    assert final.completion_text == DRAW_TEXT

    plain = await provider.text_chat(prompt="DRAW a cat")
    assert (images(plain), plain.completion_text) == ([TINY_PNG], DRAW_TEXT)


@pytest.mark.parametrize("where", ["output_item.done", "response.completed"])
async def test_generated_image_is_streamed_once_wherever_it_completes(
    make_provider: MakeProvider, upstream: FakeUpstream, where: str
) -> None:
    output = [image_generation_item(TINY_PNG), message_item("Drawn.")]
    events = ev.output_stream(output)
    if where == "response.completed":  # a relay that drops the output_item events
        events = ev.without_events(
            events, ["response.output_item.added", "response.output_item.done"]
        )
    upstream.enqueue([StartStream(), Events(events)])
    provider = await make_provider(builtin_tools=["image_generation"])
    chunks, (final,) = await collect(provider, prompt="draw")
    assert [images(c) for c in chunks if c.result_chain] == [[TINY_PNG]]
    assert "".join(c.completion_text for c in chunks) == final.completion_text == "Drawn."
    assert images(final) == [TINY_PNG]


# -- 3. reasoning without deltas -------------------------------------------------------------

REASONING_EVENTS = [
    "response.reasoning_summary_part.added",
    "response.reasoning_summary_text.delta",
    "response.reasoning_summary_text.done",
    "response.reasoning_summary_part.done",
    "response.reasoning_text.delta",
    "response.reasoning_text.done",
]
FIRST, SECOND = "First I read the question.", "Then I answer it."
REASONING_ITEMS: dict[str, Any] = {
    "summary": reasoning_item([FIRST, SECOND]),
    "reasoning_text": reasoning_item([], content=[FIRST, SECOND]),
}


async def think(kit: Kit, stream: bool, events: list[dict[str, Any]]) -> Outcome:
    """Chat ``think`` with reasoning on; assert the reasoning came once (streamed only when
    ``stream``; parts arriving in one read come as one chunk) and is on the final response."""
    kit.upstream.enqueue([StartStream(), Events(events)])
    provider = await kit.provider(reasoning_effort="low")
    out = await kit.chat(provider, stream, bound=0.5, prompt="think")
    assert "".join(out.reasoning) == (f"{FIRST}\n\n{SECOND}" if stream else "")
    assert out.final is not None
    assert out.final.reasoning_content == f"{FIRST}\n\n{SECOND}"
    return out


@MODES
@pytest.mark.parametrize("where", ["output_item.done", "response.completed"])
@pytest.mark.parametrize("item", list(REASONING_ITEMS.values()), ids=list(REASONING_ITEMS))
async def test_reasoning_without_deltas_is_streamed_once(
    kit: Kit, stream: bool, where: str, item: dict[str, Any]
) -> None:
    events = ev.without_events(ev.output_stream([item, message_item(ANSWER)]), REASONING_EVENTS)
    if where == "response.completed":
        events = [e for e in events if e.get("item", {}).get("type") != "reasoning"]
    out = await think(kit, stream, events)
    assert out.text == ANSWER


@MODES
async def test_reasoning_streamed_as_deltas_is_not_repeated_when_its_item_completes(
    kit: Kit, stream: bool
) -> None:
    events = ev.output_stream([REASONING_ITEMS["summary"], message_item(ANSWER)], chunks=3)
    await think(kit, stream, events)


@MODES
@pytest.mark.parametrize("body", ["sse", "json"])
async def test_every_reasoning_item_is_kept(kit: Kit, stream: bool, body: str) -> None:
    output = [reasoning_item(FIRST), reasoning_item([], content=[SECOND]), message_item(ANSWER)]
    if body == "sse":
        kit.upstream.enqueue([StartStream(), Events(ev.output_stream(output))])
    else:
        kit.upstream.enqueue([Status(200, body=response_object(output))])
    provider = await kit.provider(reasoning_effort="low")
    out = await kit.chat(provider, stream, bound=0.5, prompt="think")
    assert "".join(out.reasoning) == (f"{FIRST}\n\n{SECOND}" if stream else "")
    assert out.final is not None
    assert out.final.reasoning_content == f"{FIRST}\n\n{SECOND}"
