"""The speed-ups of the streaming hot path change no behaviour.

* ``EventStream`` parses fields inline and decodes JSON with ``raw_decode``: it must give the
  same events, ``done`` and ``malformed`` as httpx-sse's ``SSEDecoder`` + ``json.loads`` for
  any stream and any way of cutting it into chunks.
* ``text_chunk`` / ``reasoning_chunk`` skip ``LLMResponse.__init__``: the instances must equal
  what the constructor builds, with containers not shared between chunks.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator
from typing import Any

from astrbot.core.provider.entities import LLMResponse
from httpx_sse._decoders import SSEDecoder, SSELineDecoder
from hypothesis import given, settings
from hypothesis import strategies as st

from data.plugins.astrbot_plugin_openai_responses.provider import results
from data.plugins.astrbot_plugin_openai_responses.provider.sse import EventStream

_OBJ = json.dumps({"type": "response.output_text.delta", "delta": "a b"})
LINES = [
    "event: response.output_text.delta",
    f"data: {_OBJ}",
    f"data:{_OBJ}",
    f"data:  {_OBJ}",
    f"data: {_OBJ} ",
    'data: {"type": "x",',
    'data: "n": 1}',
    "data",
    "data:",
    "data: [DONE]",
    "data: {junk",
    "data: 42",
    "datax: {}",
    ": keep-alive",
    "id: 7",
    "retry: 10",
    "",
    "",
    "",
]


def _reference(text: str) -> tuple[list[dict[str, Any]], bool, int]:
    """The pre-optimisation semantics: SSEDecoder fields, [DONE], json.loads, dicts only."""
    decoder, fields = SSELineDecoder(), SSEDecoder()
    events: list[dict[str, Any]] = []
    malformed = 0
    for line in [*decoder.decode(text), *decoder.flush(), ""] if text else [""]:
        sse = fields.decode(line)
        if sse is None or not sse.data:
            continue
        if sse.data.startswith("[DONE]"):
            return events, True, malformed
        try:
            event = json.loads(sse.data)
        except ValueError:
            event = None
        if isinstance(event, dict):
            events.append(event)
        else:
            malformed += 1
    return events, False, malformed


async def _ours(chunks: list[str]) -> tuple[list[dict[str, Any]], bool, int]:
    async def gen() -> AsyncIterator[str]:
        for chunk in chunks:
            yield chunk

    stream = EventStream(gen(), max_line_chars=1_000_000, max_event_chars=1_000_000)
    events = [e async for batch in stream.batches() for e in batch]
    return events, stream.done, stream.malformed


@settings(max_examples=300, deadline=None)
@given(
    picks=st.lists(st.sampled_from(LINES), max_size=30),
    ends=st.lists(st.sampled_from(["\n", "\r\n", "\r"]), min_size=30, max_size=30),
    cuts=st.lists(st.integers(min_value=0, max_value=2000), max_size=8),
)
async def test_event_stream_matches_the_reference_decoder(
    picks: list[str], ends: list[str], cuts: list[int]
) -> None:
    text = "".join(line + end for line, end in zip(picks, ends, strict=False))
    bounds = sorted({0, len(text), *(c for c in cuts if c < len(text))})
    chunks = [text[a:b] for a, b in itertools.pairwise(bounds) if text[a:b]]
    assert await _ours(chunks) == _reference(text)


def test_fast_chunks_equal_the_constructor_and_share_nothing() -> None:
    assert results.text_chunk is results._fast_text_chunk  # the fast path is active
    text = results.text_chunk("hello")
    assert type(text) is LLMResponse
    assert vars(text) == vars(LLMResponse("assistant", completion_text="hello", is_chunk=True))
    assert text.completion_text == "hello"
    assert text.is_chunk
    assert text.reasoning_content is None
    other = results.text_chunk("x")
    assert other.tools_call_args is not text.tools_call_args
    assert other.tools_call_extra_content is not text.tools_call_extra_content
    thinking = results.reasoning_chunk("hmm")
    assert vars(thinking) == vars(LLMResponse("assistant", reasoning_content="hmm", is_chunk=True))
    assert thinking.reasoning_content == "hmm"
    assert thinking.is_chunk
