"""One AstrBot call, end to end: the retry/fallback loop around request → upstream → reader.

:func:`exchange` is an async generator used by both ``text_chat`` (``stream=False``: no
deltas are produced, the guard is off) and ``text_chat_stream``. It yields
``(TEXT | REASONING, delta)`` tuples for the user and finally one :class:`~.types.Turn`.
All state lives in the generator's frame: one provider instance serves many chats at once.

Each upstream response is read by a :class:`~.response_reader.ResponseReader` (accumulator,
stream guard, stop conditions, notices). Pseudo tool calls
(specs/002-pseudo-tool-calls/spec.md): when tools were offered, text deltas pass through the
:class:`~.stream_guard.StreamGuard`; at the end the fallback policy
(:mod:`.tool_fallback`) decides to pass the text, use recovered calls, re-ask with a forced
``tool_choice`` (a new upstream request, at most ``tool_fallback_retry_attempts`` times) or
replace the leak by a short notice.

Spec: specs/001-redesign-responses-provider/spec.md §"Data flow".
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx

from .call import ChatCall
from .config import SourceConfig
from .errors import UpstreamError
from .profiles import Profile
from .redaction import LOG
from .request import RequestPlan, build_request
from .response_reader import ResponseReader
from .stream_guard import StreamGuard
from .tool_fallback import (
    FallbackSettings,
    Passthrough,
    Recovered,
    Retry,
    Unrecoverable,
    decide,
)
from .transport import Transport
from .types import TEXT, Delta, Turn
from .usage_log import RequestStats


async def exchange(
    transport: Transport,
    cfg: SourceConfig,
    call: ChatCall,
    *,
    profile: Profile,
    stream: bool,
    stats: RequestStats,
    attempts: int | None = None,
    abort: asyncio.Event | None = None,
    reasoning_source: str = "",
    disabled: set[str] | None = None,
) -> AsyncIterator[Delta | Turn]:
    """Run one call; yield deltas (stream only), then exactly one final :class:`Turn`.

    Raises :class:`~.errors.UpstreamError` / :class:`~.errors.AbortedError` when no answer
    could be produced. A stream that breaks after text was shown is not an error: the final
    turn keeps the text and carries :data:`CUT_NOTICE`.

    ``disabled`` is the provider instance's set of optional request fields the upstream
    rejected before (``include``, ``prompt_cache_key``); a 400 naming one of them adds it
    and the request is sent again once without it.
    """
    if disabled is None:
        disabled = set()
    settings = FallbackSettings.from_config(cfg)
    retries_left = settings.retry_attempts
    tool_choice: str | None = None
    while True:
        plan = await build_request(
            call,
            cfg,
            stream=stream,
            tool_choice_override=tool_choice,
            reasoning_source=reasoning_source,
            profile=profile,
            disabled=frozenset(disabled),
        )
        if plan.dropped_extra_keys:
            LOG.warning(
                "custom_extra_body keys %s are managed by the plugin and were ignored",
                ", ".join(plan.dropped_extra_keys),
            )
        try:
            opened = await transport.open(plan.body, attempts=attempts, abort=abort)
        except UpstreamError as exc:
            stats.http_attempts += exc.attempts
            feature = _rejected_feature(exc, plan.body, disabled)
            if feature is None:
                raise
            disabled.add(feature)
            LOG.warning(
                "the upstream rejected `%s`; it is not sent again by this provider", feature
            )
            continue
        stats.http_attempts += opened.attempts
        # One upstream response. The event loop lives here, not in a nested generator: each
        # generator layer costs every streamed delta a resume (benchmarks/README.md).
        guard = (
            _guard_for(plan, cfg) if stream and settings.guards_stream(plan.offered_tools) else None
        )
        reader = ResponseReader(cfg.max_output_chars, guard, abort, opened.clock)
        try:
            for delta in reader.feed(opened.prefetched):
                yield delta
            if not reader.stop and opened.rest is not None:
                async for batch in opened.rest:
                    for delta in reader.feed(batch):
                        yield delta
                    if reader.stop:
                        break
        except (httpx.TransportError, UpstreamError) as exc:
            reader.broken(exc)
        finally:
            await opened.aclose()
        outcome = reader.outcome()
        turn = outcome.turn
        stats.add_usage(turn.usage)
        decision = decide(
            turn,
            plan.offered_tools,
            settings,
            retries_left=retries_left,
            overflow=outcome.guard_aborted,
        )
        if isinstance(decision, Retry):
            retries_left -= 1
            tool_choice = decision.tool_choice
            stats.fallback_path = "retried"
            LOG.info("pseudo tool call detected; asking again with tool_choice=%s", tool_choice)
            continue
        final = decision.turn
        if isinstance(decision, Recovered):
            stats.fallback_path = "parsed" if stats.fallback_path == "none" else stats.fallback_path
        elif isinstance(decision, Unrecoverable):
            stats.fallback_path = "unrecoverable"
        if outcome.held and isinstance(decision, Passthrough) and final.text == turn.text:
            # text the guard held back turned out harmless: show it now
            yield (TEXT, outcome.held)
        yield final
        return


#: request fields an upstream may reject with a 400 naming them → the body key we drop
_OPTIONAL_FEATURES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("include", ("include", "encrypted")),
    ("prompt_cache_key", ("prompt_cache_key",)),
)


def _rejected_feature(exc: UpstreamError, body: dict[str, Any], disabled: set[str]) -> str | None:
    """The optional field a 400 complains about (sent and not yet disabled), else None."""
    if exc.status not in (400, 422):
        return None
    text = str(exc).lower()
    for feature, words in _OPTIONAL_FEATURES:
        if feature in body and feature not in disabled and any(w in text for w in words):
            return feature
    return None


def _guard_for(plan: RequestPlan, cfg: SourceConfig) -> StreamGuard:
    return StreamGuard(
        plan.offered_tools,
        max_held_chars=cfg.stream_buffer_max_chars,
        max_held_responses=cfg.stream_buffer_max_responses,
    )
