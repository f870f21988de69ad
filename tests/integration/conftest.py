"""Fixtures: a real loopback upstream (tools.upstream.FakeUpstream) and providers on it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from data.plugins.astrbot_plugin_openai_responses.provider.adapter import ResponsesProvider
from tools.upstream import FakeUpstream
from tools.upstream.oracle import check_request

KEY = "sk-test-INTEGRATION-0123456789abcdef"

MakeProvider = Callable[..., Awaitable[ResponsesProvider]]


@pytest.fixture
async def upstream() -> AsyncIterator[FakeUpstream]:
    server = FakeUpstream()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
    for request in server.requests:
        if request.method == "POST" and isinstance(request.body, dict):
            check_request(request.body)  # every body we sent is a valid Responses request


@pytest.fixture
async def make_provider(upstream: FakeUpstream) -> AsyncIterator[MakeProvider]:
    """Build providers pointed at the loopback upstream; all are terminated afterwards."""
    made: list[ResponsesProvider] = []
    base = upstream.api_base

    async def make(**overrides: Any) -> ResponsesProvider:
        config: dict[str, Any] = {
            "id": "it/fake-model",
            "type": "openai_responses_plugin",
            "provider_type": "chat_completion",
            "enable": True,
            "key": [KEY],
            "api_base": base,
            "model": "fake-model",
            "timeout": 5,
        }
        config.update(overrides)
        provider = ResponsesProvider(config, {})
        made.append(provider)
        return provider

    try:
        yield make
    finally:
        for provider in made:
            await provider.terminate()
