"""The three contenders, behind one tiny interface.

Each contender's :meth:`consume` runs ONE streamed chat for ``prompt`` the way its real
caller would (AstrBot iterates ``text_chat_stream``; the raw loop is inlined) and returns an
:class:`Outcome`. ``on_first`` is called when the first text chunk reaches the caller. The
harness never inspects chunks beyond counting them, so it adds the same small cost to all.
Like AstrBot's agent runner, the providers get an ``abort_signal`` (a fresh, never-set
``asyncio.Event``) with every call; the runner's own per-chunk wrapper is not reproduced.

* :class:`Ours` — this plugin's ``ResponsesProvider`` (one instance, pooled client).
* :class:`RawLoop` — the floor: one pooled ``httpx.AsyncClient``, stream the POST,
  ``aiter_lines``, ``json.loads`` each ``data:`` line, join the text deltas. Malformed JSON
  lines are skipped (needed for the 20 MB-line case, where the last line is cut).
* :class:`Builtin` — AstrBot 4.29.1's ``ProviderOpenAIResponses`` (openai SDK + pydantic).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from benchmarks._bootstrap import PKG

KEY = "sk-bench"
MODEL = "m"


@dataclass(slots=True)
class Outcome:
    """What one streamed call produced: chunk count, final text length, error (or "")."""

    chunks: int = 0
    chars: int = 0
    error: str = ""


def tool_set() -> Any:
    """The ToolSet offered when tools are on (one small function)."""
    from astrbot.core.agent.tool import FunctionTool, ToolSet

    return ToolSet(
        [
            FunctionTool(
                name="get_weather",
                description="Current weather for a city.",
                parameters={
                    "type": "object",
                    "properties": {"city": {"type": "string"}},
                    "required": ["city"],
                },
                handler=None,
            )
        ]
    )


async def _drive(stream: Any, on_first: Callable[[], None] | None) -> Outcome:
    """Iterate an AstrBot ``text_chat_stream``: count chunks, keep the final's text length."""
    out = Outcome()
    final = None
    try:
        async for response in stream:
            if response.is_chunk:
                if out.chunks == 0 and on_first is not None:
                    on_first()
                out.chunks += 1
            else:
                final = response
    except Exception as exc:  # the memory cases end in errors on purpose
        out.error = type(exc).__name__
    if final is not None:
        out.chars = len(final.completion_text or "")
    return out


class _AstrBotProvider:
    """A contender that is an AstrBot ``Provider``, driven through ``text_chat_stream``."""

    name = ""
    provider: Any
    tools: Any

    async def consume(
        self, prompt: str, *, tools: bool = False, on_first: Callable[[], None] | None = None
    ) -> Outcome:
        """One streamed chat through ``text_chat_stream`` (with an ``abort_signal``, as
        AstrBot's runner passes one)."""
        stream = self.provider.text_chat_stream(
            prompt=prompt, func_tool=self.tools if tools else None, abort_signal=asyncio.Event()
        )
        return await _drive(stream, on_first)

    async def aclose(self) -> None:
        """Release the provider's HTTP client."""
        await self.provider.terminate()


class Ours(_AstrBotProvider):
    """This plugin's provider (``openai_responses_plugin``)."""

    name = "ours"

    def __init__(self, api_base: str, **overrides: Any) -> None:
        import importlib

        adapter = importlib.import_module(f"{PKG}.provider.adapter")
        config: dict[str, Any] = {
            "id": "bench",
            "type": "openai_responses_plugin",
            "key": [KEY],
            "api_base": api_base,
            "model": MODEL,
            "timeout": 30,
            "tool_fallback_stream_buffer": True,
            **overrides,
        }
        self.provider = adapter.ResponsesProvider(config, {})
        self.tools = tool_set()
        self.max_output_chars: int = self.provider.cfg.max_output_chars


class Builtin(_AstrBotProvider):
    """AstrBot 4.29.1's built-in ``openai_responses`` provider."""

    name = "builtin"

    def __init__(self, api_base: str) -> None:
        from astrbot.core.provider.sources.openai_responses_source import (
            ProviderOpenAIResponses,
        )

        config = {
            "id": "bench-builtin",
            "type": "openai_responses",
            "key": [KEY],
            "api_base": api_base,
            "model": MODEL,
            "timeout": 30,
        }
        self.provider = ProviderOpenAIResponses(config, {})
        self.tools = tool_set()


class WithTools:
    """``inner`` called with one function tool offered (``ours``: the stream guard runs)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.name = f"{inner.name}+tools"

    async def consume(
        self, prompt: str, *, tools: bool = False, on_first: Callable[[], None] | None = None
    ) -> Outcome:
        """One streamed chat with tools offered."""
        return await self.inner.consume(prompt, tools=True, on_first=on_first)

    async def aclose(self) -> None:
        """Nothing: ``inner`` is closed by its owner."""


class RawLoop:
    """The practical floor: httpx + ``aiter_lines`` + ``json.loads`` + join."""

    name = "raw"

    def __init__(self, api_base: str) -> None:
        self.url = f"{api_base}/responses"
        self.client = httpx.AsyncClient(
            headers={"Authorization": f"Bearer {KEY}"},
            timeout=30,
            limits=httpx.Limits(max_connections=256, max_keepalive_connections=32),
            trust_env=False,
        )
        self.tool_schema = [
            {"type": "function", **t["function"]} for t in tool_set().openai_schema()
        ]

    async def consume(
        self, prompt: str, *, tools: bool = False, on_first: Callable[[], None] | None = None
    ) -> Outcome:
        """One streamed POST, deltas joined."""
        body: dict[str, Any] = {"model": MODEL, "input": prompt, "stream": True}
        if tools:
            body["tools"] = self.tool_schema
        parts: list[str] = []
        out = Outcome()
        try:
            async with self.client.stream("POST", self.url, json=body) as response:
                async for line in response.aiter_lines():
                    if not line.startswith("data: "):
                        continue
                    try:
                        event = json.loads(line[6:])
                    except ValueError:
                        continue
                    if event.get("type") == "response.output_text.delta":
                        if not parts and on_first is not None:
                            on_first()
                        parts.append(event["delta"])
        except Exception as exc:
            out.error = type(exc).__name__
        out.chunks = len(parts)
        out.chars = len("".join(parts))
        return out

    async def aclose(self) -> None:
        """Close the client."""
        await self.client.aclose()
