"""The WebUI's "test" and "fetch model list" buttons, through the dashboard API they call.

One real AstrBot with one provider source per admin mistake of issue 7
(:func:`tools.webui.stack.scenarios`): a good source, a wrong key (upstream 401), a wrong
``api_base`` (404), nothing listening, a server without ``/responses`` (Chat Completions
only), an unreachable proxy. For each we call exactly what the buttons call
(:func:`tools.webui.stack.probe_source`) and check that what the admin would read names the
setting to fix and never shows a key.

A source with a value the plugin rejects still loads ("misconfigured"): both buttons then
show the configuration message, which names the field.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tools.webui.stack import (
    GOOD_KEY,
    MODEL,
    WRONG_KEY,
    Probe,
    Scenario,
    Stack,
    probe_source,
    running_stack,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

FAILING = (
    "wrong_key",
    "wrong_api_base_404",
    "nothing_listening",
    "no_responses_endpoint",
    "proxy_without_scheme",
    "proxy_unreachable",
)
#: fragments the "test" message must contain (lower-cased), per scenario
TEST_MESSAGE_MUST_SAY: dict[str, tuple[str, ...]] = {
    "wrong_key": ("http 401", "check the api key (`key`)"),
    "wrong_api_base_404": ("http 404", "check `api_base`", "must serve the responses api"),
    "nothing_listening": ("could not reach", "check `api_base`"),
    "no_responses_endpoint": ("http 404", "/v1/responses", "must serve the responses api"),
    "proxy_without_scheme": ("invalid configuration", "`proxy`"),
    "proxy_unreachable": ("`proxy`",),
}
#: fragments the "fetch model list" message must contain (lower-cased), per scenario
MODELS_MESSAGE_MUST_SAY: dict[str, tuple[str, ...]] = {
    "wrong_key": ("http 401", "/models", "`key`"),
    "wrong_api_base_404": ("http 404", "/openai/models", "`api_base`"),
    "nothing_listening": ("could not reach", "`api_base`"),
    "proxy_without_scheme": ("invalid configuration", "`proxy`"),
    "proxy_unreachable": ("`proxy`",),
}
#: sources whose ``/models`` works although chat does not (the model list must come back)
MODELS_LISTED = {"ok": MODEL, "no_responses_endpoint": "chat-only-model"}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """One AstrBot with every scenario's source, plus the fake upstreams."""
    with running_stack(tmp_path_factory.mktemp("webui-errors")) as running:
        yield running


@pytest.fixture(scope="module")
def probes(stack: Stack) -> dict[str, Probe]:
    """Press both buttons once per scenario (through the API); print what the admin reads."""
    results = {case.name: probe_source(stack.bot, case) for case in stack.scenarios}
    for p in results.values():
        shown = p.models if p.models_ok else p.models_message
        print(
            f"\n[{p.scenario}] test ({p.test_seconds:.1f}s): {p.test_status}: {p.test_error}"
            f"\n[{p.scenario}] models ({p.models_seconds:.1f}s, HTTP {p.models_http}): {shown}"
        )
    return results


def _case(stack: Stack, name: str) -> Scenario:
    return stack.scenario(name)


def _assert_no_key(*texts: object) -> None:
    blob = json.dumps(texts, ensure_ascii=False, default=str)
    assert GOOD_KEY not in blob and WRONG_KEY not in blob, "an API key is shown to the admin"


def test_good_source_passes_both_buttons(probes: dict[str, Probe]) -> None:
    probe = probes["ok"]
    assert probe.test_status == "available", probe
    assert probe.test_error is None
    assert MODEL in probe.models, probe
    assert probe.test_seconds < 10


@pytest.mark.parametrize("name", FAILING)
def test_test_button_message_is_actionable(
    probes: dict[str, Probe], stack: Stack, name: str
) -> None:
    probe = probes[name]
    case = _case(stack, name)
    message = str(probe.test_error or "")
    assert probe.test_status == "unavailable", f"{probe.test_status}: {message}"
    _assert_no_key(message)
    for fragment in TEST_MESSAGE_MUST_SAY[name]:
        assert fragment in message.lower(), f"{fragment!r} not in {message!r}"
    if name == "proxy_unreachable":  # the proxy itself must be named
        proxy_host = case.spec.proxy.removeprefix("http://")
        assert proxy_host in message, message
    assert probe.test_seconds < 15, f"the test button took {probe.test_seconds:.1f}s"


def test_test_button_distinguishes_the_mistakes(probes: dict[str, Probe]) -> None:
    """Different mistakes must not read the same (first 40 characters differ)."""
    heads = {
        name: str(probes[name].test_error)[:40]
        for name in ("wrong_key", "wrong_api_base_404", "nothing_listening")
    }
    assert len(set(heads.values())) == len(heads), heads


@pytest.mark.parametrize("name", sorted(MODELS_LISTED))
def test_model_list_works_where_models_exist(probes: dict[str, Probe], name: str) -> None:
    probe = probes[name]
    assert probe.models_ok, probe
    assert MODELS_LISTED[name] in probe.models


@pytest.mark.parametrize("name", [n for n in FAILING if n not in MODELS_LISTED])
def test_model_list_failure_message_is_actionable(probes: dict[str, Probe], name: str) -> None:
    probe = probes[name]
    assert not probe.models_ok
    message = probe.models_message
    _assert_no_key(message)
    assert message != "Internal server error", (
        f"the admin reads only {message!r} (HTTP {probe.models_http})"
    )
    for fragment in MODELS_MESSAGE_MUST_SAY[name]:
        assert fragment in message.lower(), f"{fragment!r} not in {message!r}"


def test_no_key_in_astrbot_log(probes: dict[str, Probe], stack: Stack) -> None:
    log = stack.bot.log_text()
    assert GOOD_KEY not in log and WRONG_KEY not in log
    _assert_no_key([vars(p) for p in probes.values()])
