"""End-to-end: a real AstrBot process with this plugin, driven through the dashboard API.

The AstrBot is the project venv's (4.29.1) or the one ``ASTRBOT_EXE`` names (CI also runs
this module on the oldest declared and the newest release: ``tools/host_matrix.py``).

One module-scoped AstrBot (startup ≈10 s) with two providers of our type:

* ``e2e/fake-model`` → an in-process fake Responses upstream accepting only :data:`SECRET`;
* ``e2e-bad/fake-model`` → a second fake upstream that accepts another key (every call 401s).

Plus the test plugin ``astrbot_plugin_magic_tool`` (LLM tool ``get_magic_number``). Tests run
in file order; the lifecycle test (reload / disable / enable / provider toggle) and the 401
test come last.

Debugging aid: ``E2E_PROVIDER_TYPE=openai_responses`` runs the same turns through AstrBot's
built-in Responses provider (the plugin-specific tests are skipped then).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.e2e.bots import PROVIDER_TYPE, RunningBot, assert_clean, running_bot, start_bot
from tools.harness import (
    MAGIC_PLUGIN,
    PLUGIN_DIR_NAME,
    PLUGIN_TYPE,
    BackgroundUpstream,
    ChatResult,
    ProviderSpec,
)
from tools.plugin_root import REPO
from tools.webui.form import schema_problems

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

SECRET = "sk-e2e-SECRET-0123456789abcdef"
MODEL = "fake-model"
DISPLAY_NAME = "OpenAI (Responses, Plugin)"
plugin_only = pytest.mark.skipif(
    PROVIDER_TYPE != PLUGIN_TYPE, reason=f"E2E_PROVIDER_TYPE={PROVIDER_TYPE}"
)


@dataclass
class E2E(RunningBot):
    """What the module fixture hands to the tests."""

    bad_upstream: BackgroundUpstream
    good: ProviderSpec
    bad: ProviderSpec


@pytest.fixture(scope="module")
def e2e(tmp_path_factory: pytest.TempPathFactory) -> Iterator[E2E]:
    """Both fake upstreams and ONE AstrBot instance for the whole module."""
    if PROVIDER_TYPE == PLUGIN_TYPE and not (REPO / "main.py").exists():
        pytest.fail("main.py missing: the plugin is not there to test")
    upstream = BackgroundUpstream(api_keys=[SECRET])
    bad_upstream = BackgroundUpstream(api_keys=["sk-some-other-key"])
    with running_bot(tmp_path_factory.mktemp("astrbot-e2e"), upstream, bad_upstream) as bot:
        good = ProviderSpec("e2e", MODEL, [SECRET], upstream.api_base, PROVIDER_TYPE)
        bad = ProviderSpec("e2e-bad", MODEL, [SECRET], bad_upstream.api_base, PROVIDER_TYPE)
        start_bot(bot, [good, bad], [MAGIC_PLUGIN])
        yield E2E(bot, upstream, bad_upstream, good, bad)


def assert_plain_answer(result: ChatResult) -> None:
    """The fake upstream's canned answer came back cleanly."""
    assert_clean(result, SECRET)
    assert "CANNED REPLY" in result.text, result.text


def responses_requests(up: BackgroundUpstream) -> list:
    """Every ``POST /v1/responses`` the upstream received."""
    return [r for r in up.requests if r.method == "POST" and r.path == "/v1/responses"]


@plugin_only
def test_plugin_loaded(e2e: E2E) -> None:
    """No import or load failure of our plugin or type in AstrBot's log (in English or, on
    older hosts, Chinese), and our provider was loaded."""
    log = e2e.bot.log_text()
    failure = ("Failed", "failed", "失败", "Error", "not found", "未找到")
    bad = [
        line
        for line in log.splitlines()
        if (PLUGIN_DIR_NAME in line or PLUGIN_TYPE in line) and any(f in line for f in failure)
    ]
    assert not bad, "\n".join(bad[:10])
    assert f"{PLUGIN_TYPE}({e2e.good.provider_id})" in log  # "Loading model <type>(<id>)"


def test_streamed_chat(e2e: E2E) -> None:
    result = e2e.bot.chat("Hello! Who are you?", stream=True)
    assert_plain_answer(result)
    assert len(result.deltas) >= 2, result.deltas
    assert "".join(result.deltas) == result.text
    assert result.stats, "no agent_stats event (usage not reported)"


def test_nonstreamed_chat(e2e: E2E) -> None:
    result = e2e.bot.chat("Hello without streaming", stream=False)
    assert_plain_answer(result)
    assert result.deltas == []
    assert "Hello without streaming" in result.text


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "json"])
def test_tool_round_trip(e2e: E2E, stream: bool) -> None:
    before = len(responses_requests(e2e.upstream))
    result = e2e.bot.chat("MAGIC please: call get_magic_number with seed 7", stream=stream)
    assert_clean(result, SECRET)
    names = [c.get("name") for c in result.tool_calls]
    assert "get_magic_number" in names, result.events
    assert any("42" in json.dumps(r) for r in result.tool_results), result.tool_results
    assert "TOOL RESULT WAS" in result.text and "42" in result.text, result.text
    sent = responses_requests(e2e.upstream)[before:]
    assert any(r.body.get("stream") is stream for r in sent)
    follow_ups = [
        r
        for r in sent
        if isinstance(r.body.get("input"), list)
        and any(i.get("type") == "function_call_output" for i in r.body["input"])
    ]
    assert follow_ups, "no request carried the function_call_output"
    items = follow_ups[-1].body["input"]
    calls = [i for i in items if i.get("type") == "function_call"]
    outputs = [i for i in items if i.get("type") == "function_call_output"]
    assert calls and outputs and calls[-1]["call_id"] == outputs[-1]["call_id"]


@plugin_only
@pytest.mark.parametrize("stream", [True, False], ids=["stream", "json"])
def test_pseudo_tool_call_runs_the_tool_and_never_reaches_the_chat(e2e: E2E, stream: bool) -> None:
    """The model writes ``assistant to=functions.get_magic_number {"seed": 7}`` as text: the
    tool runs, and no event the chat user receives carries the leak."""
    before = len(responses_requests(e2e.upstream))
    result = e2e.bot.chat("LEAK please: what is the magic number?", stream=stream)
    assert_clean(result, SECRET)
    assert "get_magic_number" in [c.get("name") for c in result.tool_calls], result.events
    assert "TOOL RESULT WAS" in result.text and "42" in result.text, result.text
    blob = json.dumps(result.events, ensure_ascii=False)
    assert "to=functions" not in blob and "assistant to=" not in blob
    sent = responses_requests(e2e.upstream)[before:]
    assert not [r for r in sent if r.body.get("tool_choice") == "required"]  # parsed locally
    assert any(
        i.get("type") == "function_call_output"
        for r in sent
        for i in r.body.get("input") or ()
        if isinstance(i, dict)
    )


@plugin_only
@pytest.mark.parametrize("stream", [True, False], ids=["stream", "json"])
def test_pseudo_call_with_broken_arguments_is_asked_again_never_guessed(
    e2e: E2E, stream: bool
) -> None:
    """The model writes a call whose arguments were cut (``{"seed": 7 "mode": ``): nothing
    is run with a guessed value; the provider asks again with a forced ``tool_choice`` and
    runs the call the model then makes properly. No chat event carries the leak."""
    before = len(responses_requests(e2e.upstream))
    result = e2e.bot.chat("BROKENLEAK please: what is the magic number?", stream=stream)
    assert_clean(result, SECRET)
    sent = responses_requests(e2e.upstream)[before:]
    forced = [r for r in sent if r.body.get("tool_choice") == "required"]
    assert len(forced) == 1, [r.body.get("tool_choice") for r in sent]
    calls = [
        i
        for r in sent
        for i in r.body.get("input") or ()
        if isinstance(i, dict) and i.get("type") == "function_call"
    ]
    assert calls, "the tool call the model made when asked again was never run"
    assert all(json.loads(c["arguments"]) == {"seed": 7} for c in calls), calls
    assert "TOOL RESULT WAS" in result.text, result.text
    blob = json.dumps(result.events, ensure_ascii=False)
    assert "to=functions" not in blob
    assert '"mode"' not in blob


def test_requests_pass_oracle(e2e: E2E) -> None:
    from tools.upstream.oracle import check_request

    sent = responses_requests(e2e.upstream)
    assert len(sent) >= 4
    for request in sent:
        check_request(request.body)
        assert request.headers.get("authorization") == f"Bearer {SECRET}"
        assert request.body.get("model") == MODEL


def test_provider_test_endpoint(e2e: E2E) -> None:
    data = e2e.bot.test_provider(e2e.good.provider_id)
    assert data["status"] == "available", data
    assert data["error"] is None


@plugin_only
def test_webui_schema_has_one_card(e2e: E2E) -> None:
    templates = e2e.bot.provider_schema()["config_template"]
    ours = {k: v for k, v in templates.items() if v.get("type") == PLUGIN_TYPE}
    assert list(ours) == [DISPLAY_NAME], list(ours)
    card = ours[DISPLAY_NAME]
    assert card["provider_type"] == "chat_completion"
    assert PLUGIN_TYPE not in templates  # no second card labelled with the raw type name
    for field in ("key", "api_base", "timeout", "proxy", "custom_headers"):
        assert field in card, field


@plugin_only
def test_field_labels_reach_the_dashboard(e2e: E2E) -> None:
    """Every field of our card is labelled, with a hint, in zh-CN and en-US, in the schema
    the WebUI receives (the browser check in ``test_webui.py`` shows the rendered form)."""
    assert schema_problems(e2e.bot.provider_schema(), DISPLAY_NAME) == []


def test_source_model_list(e2e: E2E) -> None:
    data = e2e.bot.source_models(e2e.good.source_id)["data"]
    assert MODEL in data["models"], data
    assert any(r.path == "/v1/models" for r in e2e.upstream.requests)


@plugin_only
def test_plugin_lifecycle(e2e: E2E) -> None:
    """Reload, disable, re-enable the plugin, toggle the provider: chat keeps answering, and
    the field labels are in the dashboard exactly while the plugin is loaded."""
    bot, pid = e2e.bot, e2e.good.provider_id
    steps = {
        "reload": lambda: bot.reload_plugin(),
        "disable plugin": lambda: bot.set_plugin_enabled(False),
        "enable plugin": lambda: bot.set_plugin_enabled(True),
        "provider off": lambda: bot.set_provider_enabled(pid, False),
        "provider on": lambda: bot.set_provider_enabled(pid, True),
    }
    for name, action in steps.items():
        action()
        labels = schema_problems(bot.provider_schema(), DISPLAY_NAME)
        if name == "disable plugin":  # unloaded: the label adaptation is gone, the card stays
            assert labels and all("text missing" in p for p in labels), labels
        else:
            assert labels == [], (name, labels)
        if name == "provider off":  # the instance is gone until it is switched back on
            body = bot.api("POST", f"/providers/{pid}/test", check=False)
            data = body.get("data") if isinstance(body, dict) else None
            assert not (isinstance(data, dict) and data.get("status") == "available"), body
            continue
        for stream in (True, False):
            result = bot.chat(f"after {name}", stream=stream)
            try:
                assert_plain_answer(result)
            except AssertionError as exc:
                raise AssertionError(f"after {name!r} (stream={stream}): {exc}") from None
        assert bot.test_provider(pid)["status"] == "available", name
    assert "not registered" not in bot.log_text()


def test_key_and_user_text_never_logged_even_after_401(e2e: E2E) -> None:
    bot = e2e.bot
    private = "refuse my key PRIVATE-USER-TEXT-e2e"
    for stream in (True, False):
        result = bot.chat(private, stream=stream, provider_id=e2e.bad.provider_id)
        # the error reaches the user; AstrBot 4.22 – 4.24 drop a streamed turn's error from
        # WebChat (an empty "complete" event) and only log it
        shown = "401" in result.all_text or (stream and "HTTP 401 from" in bot.log_text())
        assert shown, result.all_text
        assert SECRET not in json.dumps(result.events, ensure_ascii=False)
    refused = [r for r in e2e.bad_upstream.requests if r.path == "/v1/responses"]
    assert refused, "the 401 upstream was never called"
    assert refused[0].headers.get("authorization") == f"Bearer {SECRET}"
    data = bot.test_provider(e2e.bad.provider_id)
    assert data["status"] == "unavailable"
    assert SECRET not in json.dumps(data)
    log = bot.log_text(strip_ansi=False)
    assert SECRET not in log
    assert SECRET[-12:] not in log  # no partially masked key either
    # AstrBot prints local variables of traceback frames: none may hold the message. The
    # only line allowed to show it is AstrBot's own "message received" log (core.event_bus).
    leaks = [ln for ln in log.splitlines() if "PRIVATE-USER-TEXT" in ln]
    assert leaks and all("core.event_bus" in ln for ln in leaks), leaks
