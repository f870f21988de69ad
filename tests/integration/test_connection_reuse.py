"""A finished stream gives its connection back to the pool (no new TCP/TLS per request).

The embedded FakeUpstream closes every stream (``Connection: close``), so this test uses the
benchmark's keep-alive upstream (chunked encoding), started in-process.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from benchmarks import bench_upstream
from data.plugins.astrbot_plugin_openai_responses.provider.adapter import ResponsesProvider


@pytest.fixture
async def keep_alive_base() -> AsyncIterator[str]:
    server = await asyncio.start_server(bench_upstream._handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        server.close()


def _pooled(provider: Any) -> list[int]:
    """Identities of the connections in the provider's httpx pool (httpcore internals)."""
    return [id(c) for c in provider.transport._client._transport._pool.connections]


async def _stream(provider: ResponsesProvider, prompt: str) -> str:
    text = ""
    async for response in provider.text_chat_stream(prompt=prompt):
        if not response.is_chunk:
            text = response.completion_text
    return text


async def test_consecutive_streams_reuse_one_connection(keep_alive_base: str) -> None:
    provider = ResponsesProvider(
        {
            "id": "reuse",
            "type": "openai_responses_plugin",
            "key": ["sk-reuse"],
            "api_base": keep_alive_base,
            "model": "m",
            "timeout": 5,
        },
        {},
    )
    try:
        assert len(await _stream(provider, "bench=deltas:50")) == 250
        first = _pooled(provider)
        assert len(first) == 1  # kept alive after the terminal event, not closed
        for _ in range(2):
            assert len(await _stream(provider, "bench=deltas:50")) == 250
        assert _pooled(provider) == first
        # a stream cut at max_output_chars is NOT drained: its connection is closed
        capped = await _stream(provider, "bench=bytes:1")
        assert "max_output_chars" in capped
        assert _pooled(provider) == []
    finally:
        await provider.terminate()
