"""Fixtures: a real loopback upstream (tools.upstream.FakeUpstream), providers on it, and
the fault tests' :class:`~tests.integration.faults.Kit`."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from data.plugins.astrbot_plugin_openai_responses.provider.adapter import ResponsesProvider
from tests.integration.faults import Kit
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


@contextlib.asynccontextmanager
async def provider_factory(**base: Any) -> AsyncIterator[Callable[..., ResponsesProvider]]:
    """``build(**overrides)`` → a provider of our type from ``base`` + ``overrides`` (AstrBot's
    merged source + model dict); every provider built is terminated on exit."""
    made: list[ResponsesProvider] = []

    def build(**overrides: Any) -> ResponsesProvider:
        config: dict[str, Any] = {
            "type": "openai_responses_plugin",
            "provider_type": "chat_completion",
            "enable": True,
            **base,
            **overrides,
        }
        made.append(ResponsesProvider(config, {}))
        return made[-1]

    try:
        yield build
    finally:
        for provider in made:
            await provider.terminate()


@pytest.fixture
async def make_provider(upstream: FakeUpstream) -> AsyncIterator[MakeProvider]:
    """Build providers pointed at the loopback upstream; all are terminated afterwards."""
    async with provider_factory(
        id="it/fake-model", key=[KEY], api_base=upstream.api_base, model="fake-model", timeout=5
    ) as build:

        async def make(**overrides: Any) -> ResponsesProvider:
            return build(**overrides)

        yield make


@pytest.fixture
async def kit(
    upstream: FakeUpstream, make_provider: MakeProvider, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Kit]:
    """A :class:`~tests.integration.faults.Kit` (short backoff, leak check on exit)."""
    async with Kit(upstream, make_provider, monkeypatch) as k:
        yield k
