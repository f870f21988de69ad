"""Shared helpers of the fault-matrix tests (``test_faults_*.py``); not a test module.

:class:`Kit` wraps the ``upstream`` / ``make_provider`` fixtures: it builds providers with
small timeouts, runs one call in either mode (``text_chat`` or ``text_chat_stream``) and
measures it, and on exit checks that nothing was left behind (no open upstream connection,
no stray asyncio task). The ``kit`` fixture (tests/integration/conftest.py) yields one.
"""

from __future__ import annotations

import asyncio
import socket
import time
import traceback
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

import pytest
from astrbot.core.provider.entities import LLMResponse

from data.plugins.astrbot_plugin_openai_responses.provider import retry as retry_mod
from data.plugins.astrbot_plugin_openai_responses.provider.adapter import ResponsesProvider
from data.plugins.astrbot_plugin_openai_responses.provider.notices import CUT_NOTICE
from tests.conftest import USER_MARK
from tools.upstream import FakeUpstream

if TYPE_CHECKING:  # conftest imports this module for the ``kit`` fixture
    from tests.integration.conftest import MakeProvider

#: ``stream`` parameter: every fault runs through both AstrBot entry points.
MODES = pytest.mark.parametrize("stream", [False, True], ids=["text_chat", "text_chat_stream"])
#: Timeout (seconds) of the providers built by :meth:`Kit.provider`.
TIMEOUT = 1.0
#: Backoff base (seconds) in fault tests; :meth:`Kit.real_backoff` restores the real 0.5 s.
FAST_BACKOFF = 0.05
#: Slack (seconds) added to every time bound (scheduling, TLS-less loopback connects).
SLACK = 0.75
#: The prompt of every call: private text the leak guard looks for in logs.
PROMPT = f"hello {USER_MARK}"
#: What the upstream's default brain answers to :data:`PROMPT`.
BRAIN_ANSWER = f"CANNED REPLY: you said '{PROMPT}'"
#: Text used by scripted streams.
ANSWER = "Alpha beta gamma delta epsilon zeta eta theta."


def cut(text: str, notice: str = CUT_NOTICE) -> str:
    """The final visible text of an answer cut after ``text`` (see ``results.visible_text``)."""
    return f"{text}\n\n({notice})" if text else f"({notice})"


def assert_cut_by_upstream(text: str, shown: str, *reason: str) -> None:
    """``text`` is ``shown`` plus the notice that names why the upstream ended it."""
    head = f"{shown}\n\n(The answer above is incomplete. "
    assert text.startswith(head), text
    assert text.endswith(")"), text
    for fragment in reason:
        assert fragment in text[len(head) :], (fragment, text)


def closed_port() -> int:
    """A loopback port nobody listens on (bound, then closed)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(slots=True)
class Outcome:
    """What one call produced: chunk texts (stream only), the final response or the error."""

    stream: bool
    elapsed: float
    chunks: list[str] = field(default_factory=list)
    reasoning: list[str] = field(default_factory=list)
    final: LLMResponse | None = None
    error: BaseException | None = None

    @property
    def text(self) -> str:
        """The final response's visible text (fails the test when the call raised)."""
        assert self.error is None, f"the call failed: {self.error!r}"
        assert self.final is not None
        return self.final.completion_text or ""

    @property
    def message(self) -> str:
        """The error message (fails the test when the call succeeded)."""
        assert self.error is not None, f"the call succeeded: {self.final!r}"
        return str(self.error)

    def raised(self, kind: type[BaseException]) -> str:
        """Assert the call raised ``kind``; return its message."""
        assert isinstance(self.error, kind), f"expected {kind.__name__}, got {self.error!r}"
        return str(self.error)


class Kit:
    """Providers on the loopback upstream, timed calls, and a leak check on exit.

    Retries use a short backoff (:data:`FAST_BACKOFF`) unless a test calls
    :meth:`real_backoff`; ``Retry-After`` headers are always honoured as sent.
    """

    def __init__(
        self, upstream: FakeUpstream, make_provider: MakeProvider, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        self.upstream = upstream
        self._make = make_provider
        self._monkeypatch = monkeypatch
        self._real_backoff = retry_mod.BACKOFF_BASE
        monkeypatch.setattr(retry_mod, "BACKOFF_BASE", FAST_BACKOFF)
        self.providers: list[ResponsesProvider] = []
        self._tasks_before: set[asyncio.Task[Any]] = set()

    def real_backoff(self) -> float:
        """Use the production backoff in this test; return its base (seconds)."""
        self._monkeypatch.setattr(retry_mod, "BACKOFF_BASE", self._real_backoff)
        return self._real_backoff

    async def __aenter__(self) -> Self:
        self._tasks_before = asyncio.all_tasks()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for provider in self.providers:
            await provider.terminate()
        if exc_type is None:
            await self.settled()

    async def provider(self, **overrides: Any) -> ResponsesProvider:
        """A provider with ``timeout`` :data:`TIMEOUT` (override anything)."""
        provider = await self._make(**{"timeout": TIMEOUT, **overrides})
        self.providers.append(provider)
        return provider

    async def chat(
        self,
        provider: ResponsesProvider,
        stream: bool,
        *,
        bound: float,
        prompt: str = PROMPT,
        **kwargs: Any,
    ) -> Outcome:
        """Run one call; assert it finished within ``bound`` (+ :data:`SLACK`) seconds.

        The stream's chunks must add up to the final text (no duplicated or lost text) and
        exactly one final response must come.
        """
        start = time.monotonic()
        out = Outcome(stream=stream, elapsed=0.0)
        finals: list[LLMResponse] = []
        try:
            if stream:
                async for response in provider.text_chat_stream(prompt=prompt, **kwargs):
                    if not response.is_chunk:
                        finals.append(response)
                    elif response.reasoning_content:
                        out.reasoning.append(response.reasoning_content)
                    else:
                        out.chunks.append(response.completion_text or "")
            else:
                finals.append(await provider.text_chat(prompt=prompt, **kwargs))
        except Exception as exc:  # the outcome under test
            out.error = exc
        out.elapsed = time.monotonic() - start
        assert out.elapsed < bound + SLACK, f"took {out.elapsed:.2f} s, bound {bound} s"
        if out.error is None:
            assert len(finals) == 1, f"{len(finals)} final responses"
            out.final = finals[0]
            if stream:  # whitespace aside: the final text is rstripped before its notice
                assert same_words("".join(out.chunks), out.final.completion_text or "")
        else:
            assert not finals, "a final response came before the error"
            assert_clear_error(out.error)
        return out

    async def settled(self, within: float = 2.0) -> None:
        """Wait (up to ``within`` s) until the upstream has no open connection and no new
        task is alive."""
        deadline = time.monotonic() + within
        while True:
            current = asyncio.current_task()
            stray = {t for t in asyncio.all_tasks() if t is not current} - self._tasks_before
            if self.upstream.connections_open == 0 and not stray:
                return
            if time.monotonic() > deadline:
                pytest.fail(
                    f"left behind: {self.upstream.connections_open} upstream connection(s), "
                    f"tasks {sorted(t.get_name() for t in stray)}"
                )
            await asyncio.sleep(0.01)

    async def connections_closed(self, within: float = 1.0) -> None:
        """Assert the provider closed every upstream connection (before ``terminate``) within
        ``within`` seconds."""
        deadline = time.monotonic() + within
        while self.upstream.connections_open:
            if time.monotonic() > deadline:
                pytest.fail(f"{self.upstream.connections_open} upstream connection(s) still open")
            await asyncio.sleep(0.01)

    def requests(self) -> int:
        """How many ``POST /v1/responses`` the upstream received."""
        return sum(1 for r in self.upstream.requests if r.path == "/v1/responses")


def same_words(a: str, b: str) -> bool:
    """``a`` and ``b`` are equal up to whitespace."""
    return a.split() == b.split()


def assert_clear_error(error: BaseException) -> None:
    """A user-facing error: one of ours, English sentences, short, no internals or secrets."""
    from data.plugins.astrbot_plugin_openai_responses.provider.errors import (
        ResponsesPluginError,
    )

    assert isinstance(error, ResponsesPluginError), f"raw exception escaped: {error!r}"
    message = str(error)
    assert message, "empty error message"
    assert message[0].isupper(), message
    assert len(message) < 1200, f"error message too long ({len(message)} chars)"
    assert "Traceback" not in message, message
    assert "\n" not in message, message
    assert ".." not in message.replace("...", ""), f"double full stop: {message}"
    assert (error.__cause__ is None and error.__suppress_context__) or error.__context__ is None
    rendered = "".join(traceback.format_exception(error))
    for mark in ("SECRET", USER_MARK):
        assert mark not in rendered, f"{mark} in the traceback of {error!r}"
