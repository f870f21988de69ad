"""What the end-to-end modules share: one real AstrBot on fake upstreams, and the checks of a
clean chat turn.

Each module starts its own AstrBot (module-scoped fixture) because each needs other
providers and settings: :func:`running_bot` starts the fake upstreams and stops everything
afterwards, :func:`start_bot` sets the bot up with the providers built from their
``api_base`` and starts it; the fixture hands a :class:`RunningBot` (or a subclass with
more) to the tests.

Debugging aid: ``E2E_PROVIDER_TYPE=openai_responses`` makes the modules that use
:data:`PROVIDER_TYPE` run their turns through AstrBot's built-in Responses provider.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.harness import (
    CHAT_ERROR_MARKERS,
    PLUGIN_TYPE,
    AstrBotInstance,
    BackgroundUpstream,
    ChatResult,
    ProviderSpec,
)

#: seconds AstrBot may take to start (a busy machine, an older host)
STARTUP_TIMEOUT = 90
#: the provider type the chat turns go through: ours, unless ``E2E_PROVIDER_TYPE`` says
PROVIDER_TYPE = os.environ.get("E2E_PROVIDER_TYPE") or PLUGIN_TYPE


@dataclass
class RunningBot:
    """A started AstrBot and the fake upstream of its default chat model."""

    bot: AstrBotInstance
    upstream: BackgroundUpstream


@contextlib.contextmanager
def running_bot(work: Path, *upstreams: BackgroundUpstream) -> Iterator[AstrBotInstance]:
    """Start ``upstreams``; yield an AstrBot (not set up yet) rooted at ``work / "root"``.

    On exit the AstrBot process is stopped, then the upstreams (also when starting failed).
    """
    with contextlib.ExitStack() as stack:
        bot = AstrBotInstance(work / "root")
        for upstream in upstreams:
            stack.callback(upstream.stop)
        stack.callback(bot.close)
        for upstream in upstreams:
            upstream.start()
        yield bot


def start_bot(
    bot: AstrBotInstance,
    providers: list[ProviderSpec],
    plugins: Iterable[Path] = (),
    *,
    config_patch: Callable[[dict[str, Any]], None] | None = None,
) -> float:
    """Set ``bot`` up with ``providers`` (the first is the default chat model), the extra
    ``plugins`` and ``config_patch``; start it and log in. Returns the startup seconds."""
    bot.setup(providers, providers[0].provider_id, plugins, config_patch=config_patch)
    seconds = bot.start(timeout=STARTUP_TIMEOUT)
    print(f"\nAstrBot pid {bot.pid} ready after {seconds:.1f}s on {bot.base_url}")
    bot.login()
    return seconds


def assert_no_error(result: ChatResult) -> None:
    """No host or provider error text in any event of the turn."""
    blob = result.all_text + json.dumps(result.errors, ensure_ascii=False)
    for marker in CHAT_ERROR_MARKERS:
        assert marker not in blob, f"{marker!r} in chat events: {blob[:800]}"


def assert_clean(result: ChatResult, secret: str) -> None:
    """:func:`assert_no_error`, the key ``secret`` in no event, and some answer text."""
    assert_no_error(result)
    assert secret not in json.dumps(result.events, ensure_ascii=False)
    assert result.text.strip(), f"empty answer; events: {result.events}"
