"""What the WebUI checks run against: fake upstreams and one AstrBot with a provider source
per admin mistake, plus what the "test" and "fetch model list" buttons get from the API.

Used by ``tools/webui_check.py``, ``tests/e2e/test_webui.py`` and
``tests/e2e/test_webui_errors.py``.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools.chat_only_server import ChatCompletionsOnlyServer
from tools.harness import (
    AstrBotAPIError,
    AstrBotInstance,
    BackgroundUpstream,
    ProviderSpec,
    free_port,
)
from tools.plugin_root import REPO
from tools.upstream.server import models_body

MODEL = "fake-model"
GOOD_KEY = "sk-webui-SECRET-good-0123456789abcdef"
WRONG_KEY = "sk-webui-SECRET-wrong-0123456789abcdef"
#: Model ids the fake upstream's ``GET /v1/models`` lists.
LISTED_MODELS = tuple(str(m["id"]) for m in models_body()["data"])


@dataclass(frozen=True)
class Scenario:
    """One provider source the admin might have configured, and what the test should say."""

    name: str
    spec: ProviderSpec
    #: the provider test / model list must succeed
    ok: bool
    #: lower-case fragments, at least one of which an actionable message must contain
    expect: tuple[str, ...] = ()


def scenarios(upstream_base: str, chat_only_base: str) -> list[Scenario]:
    """The sources of the check: one good, one per admin mistake of issue 7.

    ``upstream_base`` accepts only :data:`GOOD_KEY`. Ports that nothing listens on are
    picked now (free at that moment).
    """
    root = upstream_base.removesuffix("/v1")
    dead = f"http://127.0.0.1:{free_port()}"
    dead_proxy = f"http://127.0.0.1:{free_port()}"

    def spec(source: str, key: str, base: str, **kw: Any) -> ProviderSpec:
        return ProviderSpec(source, MODEL, [key], base, timeout=10, **kw)

    return [
        Scenario("ok", spec("ok", GOOD_KEY, upstream_base), ok=True),
        Scenario(
            "wrong_key",
            spec("wrong-key", WRONG_KEY, upstream_base),
            ok=False,
            expect=("key",),
        ),
        Scenario(
            "wrong_api_base_404",
            spec("wrong-base", GOOD_KEY, root + "/openai"),
            ok=False,
            expect=("api_base",),
        ),
        Scenario(
            "nothing_listening",
            spec("nothing-listening", GOOD_KEY, dead + "/v1"),
            ok=False,
            expect=("api_base",),
        ),
        Scenario(
            "no_responses_endpoint",
            spec("chat-only", GOOD_KEY, chat_only_base),
            ok=False,
            expect=("responses",),
        ),
        Scenario(
            "proxy_without_scheme",
            spec("proxy-no-scheme", GOOD_KEY, upstream_base, proxy="127.0.0.1:7890"),
            ok=False,
            expect=("proxy",),
        ),
        Scenario(
            "proxy_unreachable",
            spec("bad-proxy", GOOD_KEY, upstream_base, proxy=dead_proxy),
            ok=False,
            expect=("proxy",),
        ),
    ]


@dataclass
class Stack:
    """What :func:`running_stack` hands out."""

    bot: AstrBotInstance
    upstream: BackgroundUpstream
    chat_only: ChatCompletionsOnlyServer
    scenarios: list[Scenario]

    def scenario(self, name: str) -> Scenario:
        """The scenario called ``name``."""
        return next(s for s in self.scenarios if s.name == name)


@contextlib.contextmanager
def running_stack(workdir: Path, *, plugin_src: Path = REPO) -> Iterator[Stack]:
    """Upstreams + one AstrBot (plugin from ``plugin_src``) with every :func:`scenarios` source.

    Everything is stopped on exit, by PID / by closing the servers.
    """
    upstream = BackgroundUpstream(api_keys=[GOOD_KEY])
    chat_only = ChatCompletionsOnlyServer()
    bot = AstrBotInstance(Path(workdir) / "root", plugin_src=plugin_src)
    try:
        upstream.start()
        chat_only.start()
        cases = scenarios(upstream.api_base, chat_only.api_base)
        ok = cases[0].spec
        bot.setup([c.spec for c in cases], ok.provider_id)
        bot.start(timeout=120)
        bot.login()
        yield Stack(bot, upstream, chat_only, cases)
    finally:
        bot.close()
        upstream.stop()
        chat_only.stop()


@dataclass
class Probe:
    """What the WebUI's "test" and "fetch model list" buttons get from the dashboard API."""

    scenario: str
    test_status: str = ""
    test_error: str | None = None
    test_seconds: float = 0.0
    models: list[str] = field(default_factory=list)
    models_ok: bool = False
    models_message: str = ""
    models_http: int = 0
    models_seconds: float = 0.0


def probe_source(bot: AstrBotInstance, case: Scenario) -> Probe:
    """Call exactly what the buttons call.

    * "test" (model row): ``POST /api/v1/providers/{id}/test``; the UI shows
      ``data.error`` when it is not null, or the ``message`` of an HTTP error (then
      ``test_status`` is ``"http-<code>"``).
    * "fetch model list" (source): ``GET /api/v1/provider-sources/models?source_id=…``; the UI
      shows ``message`` when ``status`` is not ``ok`` (or the HTTP error's ``message``).

    Older hosts serve both under other routes (learned by :class:`tools.harness.Dashboard`).
    """
    probe = Probe(case.name)
    started = time.monotonic()
    try:
        data = bot.test_provider(case.spec.provider_id)
    except AstrBotAPIError as exc:  # e.g. HTTP 400 "Provider x not found" (it did not load)
        body = exc.body if isinstance(exc.body, dict) else {"message": str(exc.body)}
        data = {"status": f"http-{exc.status_code}", "error": str(body.get("message") or "")}
    probe.test_seconds = time.monotonic() - started
    probe.test_status = str(data.get("status", ""))
    probe.test_error = data.get("error")
    started = time.monotonic()
    resp = bot.dashboard.send("source_models", source_id=case.spec.source_id)
    probe.models_seconds = time.monotonic() - started
    probe.models_http = resp.status_code
    try:
        body = resp.json()
    except ValueError:
        body = {"status": "error", "message": resp.text}
    probe.models_ok = resp.status_code == 200 and body.get("status") == "ok"
    if probe.models_ok:
        probe.models = list((body.get("data") or {}).get("models") or [])
    else:
        probe.models_message = str(body.get("message") or "")
    return probe
