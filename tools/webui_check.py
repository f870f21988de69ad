"""Look at the plugin in AstrBot's WebUI with a real (headless) Chromium.

Run ``.venv/bin/python -m tools.webui_check`` (needs Debian's ``chromium`` at /usr/bin/chromium
and the ``playwright`` Python package; no browser download). It

1. starts a fake Responses upstream, a "Chat Completions only" server, and a real AstrBot with
   this plugin on 127.0.0.1, with one provider source per admin mistake (:func:`scenarios`);
2. opens the dashboard in headless Chromium, logs in through the login form, and for each
   locale (zh-CN, en-US): opens Providers → Add, checks that the card
   "OpenAI (Responses, Plugin)" exists exactly once, picks it and reads every row of the
   form (label, hint, widget, value); checks that every field of our template is there with
   the widget our ``_FIELD_ITEMS`` asks for; opens a model's settings dialog
   (``custom_extra_body`` lives there in 4.29); presses "test" and "fetch model list" on a
   good and a wrong-key source and records the messages; opens the plugin's config dialog;
3. saves screenshots (default: a new temporary directory, printed at the end; ``--out DIR``
   to choose, e.g. ``artifacts/screenshots``, which git ignores) and prints a report.

Every network request of the browser that is not to 127.0.0.1 is aborted. All processes are
stopped by PID. Exit status 0 = every check passed.

The dashboard-API side of the error messages (used by ``tests/e2e/test_webui_errors.py``) is
:func:`probe_source`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

if __package__ in (None, ""):  # allow ``python tools/webui_check.py``
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tools.astrbot_harness import (
    PLUGIN_DIR_NAME,
    REPO,
    AstrBotAPIError,
    AstrBotInstance,
    BackgroundUpstream,
    ProviderSpec,
    free_port,
)
from tools.upstream.server import models_body

CHROMIUM = Path("/usr/bin/chromium")
#: Flags that work in this sandbox (no GPU, no network besides loopback, throw-away profile).
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
DISPLAY_NAME = "OpenAI (Responses, Plugin)"
LOCALES = ("zh-CN", "en-US")
MODEL = "fake-model"
GOOD_KEY = "sk-webui-SECRET-good-0123456789abcdef"
WRONG_KEY = "sk-webui-SECRET-wrong-0123456789abcdef"

#: Model ids the fake upstream's ``GET /v1/models`` lists.
LISTED_MODELS = tuple(str(m["id"]) for m in models_body()["data"])
#: Template keys that are not form fields (identity / routing; the host sets them).
NOT_FORM_FIELDS = frozenset({"type", "provider_type", "enable", "provider"})
#: Template keys the 4.29 WebUI strips from a new source and shows in the *model* dialog.
MODEL_DIALOG_FIELDS = frozenset({"custom_extra_body"})
#: Labels AstrBot 4.29.1 gives the core fields we reuse (its own translations).
HOST_LABELS: dict[str, dict[str, str]] = {
    "id": {"zh-CN": "ID", "en-US": "ID"},
    "key": {"zh-CN": "API Key", "en-US": "API Key"},
    "api_base": {"zh-CN": "API Base URL", "en-US": "API Base URL"},
    "timeout": {"zh-CN": "超时时间", "en-US": "Timeout"},
    "proxy": {"zh-CN": "代理地址", "en-US": "Proxy"},
    "custom_headers": {"zh-CN": "自定义请求头", "en-US": "Custom request headers"},
    "custom_extra_body": {
        "zh-CN": "自定义请求体参数",
        "en-US": "Custom request body parameters",
    },
}
#: Texts of ``.astrbot-plugin/i18n/<locale>.json`` expected on the plugin config dialog.
I18N_DIR = REPO / ".astrbot-plugin" / "i18n"


# ----------------------------------------------------------------------------- scenarios
@dataclass(frozen=True)
class Scenario:
    """One provider source the admin might have configured, and what the test should say."""

    name: str
    spec: ProviderSpec
    #: the provider test / model list must succeed
    ok: bool
    #: lower-case fragments, at least one of which an actionable message must contain
    expect: tuple[str, ...] = ()


class ChatCompletionsOnlyServer:
    """A loopback server that speaks Chat Completions but has no ``/responses`` route.

    Like llama.cpp, older Ollama or a Chat-Completions-only relay: ``GET /v1/models`` and
    ``POST /v1/chat/completions`` answer 200; anything else is ``404 page not found``
    (text/plain, the Go default).
    """

    def __init__(self) -> None:
        self.requests: list[tuple[str, str]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _reply(self, status: int, body: bytes, ctype: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                path = urlsplit(self.path).path
                outer.requests.append((self.command, path))
                if self.command == "GET" and path == "/v1/models":
                    model = {"id": "chat-only-model", "object": "model"}
                    body = {"object": "list", "data": [model]}
                    self._reply(200, json.dumps(body).encode(), "application/json")
                elif self.command == "POST" and path == "/v1/chat/completions":
                    body = {
                        "id": "chatcmpl-1",
                        "object": "chat.completion",
                        "choices": [
                            {
                                "index": 0,
                                "message": {"role": "assistant", "content": "PONG"},
                                "finish_reason": "stop",
                            }
                        ],
                    }
                    self._reply(200, json.dumps(body).encode(), "application/json")
                else:
                    self._reply(404, b"404 page not found", "text/plain; charset=utf-8")

            do_GET = do_POST = _handle

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def api_base(self) -> str:
        """``http://127.0.0.1:PORT/v1``."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def start(self) -> str:
        """Serve in a daemon thread; return ``api_base``."""
        self._thread.start()
        return self.api_base

    def stop(self) -> None:
        """Stop serving and close the socket. Idempotent."""
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()


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


def _no_password_prompt(config: dict[str, Any]) -> None:
    """Mark the initial password as accepted (else a blocking "change password" dialog)."""
    config.setdefault("dashboard", {})["password_change_required"] = False


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
        bot.setup([c.spec for c in cases], ok.provider_id, config_patch=_no_password_prompt)
        bot.start(timeout=120)
        bot.login()
        yield Stack(bot, upstream, chat_only, cases)
    finally:
        bot.close()
        upstream.stop()
        chat_only.stop()


# ------------------------------------------------------------------------ API-level probes
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
    resp = bot.request("GET", f"/provider-sources/models?source_id={case.spec.source_id}")
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


# ------------------------------------------------------------------------------- browser
@dataclass
class FormRow:
    """One row of a WebUI config form as rendered."""

    label: str
    hint: str
    widget: str
    value: Any


@dataclass
class LocaleReport:
    """What one locale of the WebUI showed."""

    locale: str
    cards: int = 0
    rows: list[FormRow] = field(default_factory=list)
    alerts: list[str] = field(default_factory=list)
    model_dialog: list[str] = field(default_factory=list)
    plugin_config: list[FormRow] = field(default_factory=list)
    toasts: dict[str, str] = field(default_factory=dict)


@dataclass
class WebUIReport:
    """Everything :func:`check_webui` saw, plus the problems it found."""

    template: dict[str, Any] = field(default_factory=dict)
    items: dict[str, Any] = field(default_factory=dict)
    locales: list[LocaleReport] = field(default_factory=list)
    screenshots: list[Path] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """No problem found."""
        return not self.problems


_ROWS_JS = """
(scope) => {
  const root = scope || document;
  const rows = Array.from(root.querySelectorAll('.config-row'))
    .filter(r => scope ? true : !r.closest('.v-overlay'));
  return rows.map(r => {
    const input = r.querySelector('.config-input') || r;
    const txt = (sel) => { const e = r.querySelector(sel); return e ? e.innerText.trim() : ''; };
    let widget = 'text', value = null;
    const q = (sel) => input.querySelector(sel);
    if (q('.v-switch')) { widget = 'switch'; value = q('input[type=checkbox]').checked; }
    else if (q('.v-slider')) { widget = 'slider'; value = (q('input[type=number]') || {}).value; }
    else if (q('.v-select') || q('.v-autocomplete')) {
      widget = 'select';
      const s = q('.v-select__selection-text');
      value = s ? s.innerText.trim() : '';
    }
    else if (q('input[type=number]')) { widget = 'number'; value = q('input[type=number]').value; }
    else if (q('input') && q('button')) { widget = 'list'; value = q('input').value; }
    else if (q('button')) { widget = 'dict'; value = input.innerText.trim(); }
    else if (q('textarea')) { widget = 'textarea'; value = q('textarea').value; }
    else if (q('input')) { widget = 'text'; value = q('input').value; }
    return {label: txt('.property-name'), hint: txt('.property-hint'), widget, value};
  });
}
"""


def expected_widget(item: dict[str, Any] | None) -> str:
    """The widget the 4.29 ``ConfigItemRenderer`` draws for a schema item (see the bundle)."""
    if not item:
        return "text"
    kind = item.get("type")
    if kind == "bool":
        return "switch"
    if kind in ("int", "float") and item.get("slider"):
        return "slider"
    if item.get("options"):
        return "select"
    return {
        "int": "number",
        "float": "number",
        "list": "list",
        "dict": "dict",
        "text": "textarea",
    }.get(str(kind), "text")


def expected_label(name: str, locale: str) -> str:
    """Host fields keep AstrBot's translated label; ours show the raw key (see README)."""
    return HOST_LABELS.get(name, {}).get(locale, name)


def form_fields(template: dict[str, Any]) -> list[str]:
    """Template keys that must appear in the *source* form."""
    return [k for k in template if k not in NOT_FORM_FIELDS | MODEL_DIALOG_FIELDS]


def plugin_i18n(locale: str) -> dict[str, Any]:
    """``.astrbot-plugin/i18n/<locale>.json`` (empty dict when missing)."""
    path = I18N_DIR / f"{locale}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


class _Browser:
    """Thin wrapper: one Playwright Chromium with a fresh profile; loopback-only network."""

    def __init__(self, profile: Path, *, width: int = 1400, height: int = 1000) -> None:
        from playwright.sync_api import sync_playwright

        self._pw = sync_playwright().start()
        self.context = self._pw.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            headless=True,
            args=list(CHROMIUM_ARGS),
            viewport={"width": width, "height": height},
        )
        self.context.route("**/*", self._loopback_only)
        self.page = self.context.pages[0] if self.context.pages else self.context.new_page()
        self.page.set_default_timeout(30_000)
        self.blocked: set[str] = set()

    def _loopback_only(self, route: Any) -> None:
        host = urlsplit(route.request.url).hostname or ""
        if host in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            self.blocked.add(host)
            route.abort()

    def close(self) -> None:
        """Close the browser and Playwright's driver."""
        with contextlib.suppress(Exception):
            self.context.close()
        with contextlib.suppress(Exception):
            self._pw.stop()


def _toast(page: Any, before: str, timeout: float = 60.0) -> str:
    """Wait for a snackbar whose text differs from ``before``; return its text."""
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        texts = page.evaluate(
            "Array.from(document.querySelectorAll('.v-snackbar__content'))"
            ".filter(e => e.offsetParent !== null).map(e => e.innerText.trim())"
        )
        text = " | ".join(t for t in texts if t)
        if text and text != before:
            page.wait_for_timeout(700)  # let the snackbar finish its entry animation
            return text
        page.wait_for_timeout(200)
    return text


def _visible_toasts(page: Any) -> str:
    texts = page.evaluate(
        "Array.from(document.querySelectorAll('.v-snackbar__content'))"
        ".filter(e => e.offsetParent !== null).map(e => e.innerText.trim())"
    )
    return " | ".join(t for t in texts if t)


def _login(page: Any, bot: AstrBotInstance) -> None:
    page.goto(bot.base_url + "/#/auth/login", wait_until="domcontentloaded")
    page.fill("input[name=username]", "astrbot")
    page.fill("input[name=password]", bot.password)
    page.press("input[name=password]", "Enter")
    page.wait_for_url(lambda url: "/auth/" not in url, timeout=30_000)


def _source_item(page: Any, source_id: str) -> Any:
    """The entry of ``source_id`` in the provider-source list."""
    exact = re.compile(f"^{re.escape(source_id)}$")
    title = page.locator(".provider-source-item__title", has_text=exact)
    return page.locator("button.provider-source-item", has=title).first


def _open_providers(page: Any, bot: AstrBotInstance, source_id: str) -> None:
    """Load the providers page afresh (drops unsaved sources); wait for ``source_id``."""
    page.goto(bot.base_url + "/#/providers", wait_until="domcontentloaded")
    page.reload(wait_until="domcontentloaded")
    _source_item(page, source_id).wait_for()


def _select_source(page: Any, source_id: str) -> None:
    _source_item(page, source_id).click()
    page.locator(".config-row").first.wait_for()
    page.wait_for_timeout(300)


def check_webui(stack: Stack, out_dir: Path, *, locales: tuple[str, ...] = LOCALES) -> WebUIReport:
    """Drive the dashboard of ``stack.bot`` in Chromium; screenshots go to ``out_dir``."""
    started = time.monotonic()
    report = WebUIReport()
    out_dir.mkdir(parents=True, exist_ok=True)
    bot = stack.bot
    schema = bot.api("GET", "/providers/schema")["data"]["config_schema"]["provider"]
    report.template = dict(schema["config_template"].get(DISPLAY_NAME) or {})
    report.items = schema.get("items", {})
    if not report.template:
        report.problems.append(f"schema has no config_template[{DISPLAY_NAME!r}]")
        return report
    profile = Path(tempfile.mkdtemp(prefix="webui-chromium-profile-"))
    browser = _Browser(profile)
    try:
        page = browser.page
        _login(page, bot)
        for locale in locales:
            page.evaluate("l => localStorage.setItem('astrbot-locale', l)", locale)
            page.reload(wait_until="domcontentloaded")
            report.locales.append(_check_locale(page, stack, report, out_dir, locale))
        if browser.blocked:
            print(f"(blocked non-loopback requests to: {', '.join(sorted(browser.blocked))})")
    except Exception as exc:  # keep the evidence
        shot = out_dir / "failure.png"
        with contextlib.suppress(Exception):
            browser.page.screenshot(path=str(shot), full_page=True)
            report.screenshots.append(shot)
        report.problems.append(f"browser step failed: {type(exc).__name__}: {exc}")
    finally:
        browser.close()
        shutil.rmtree(profile, ignore_errors=True)
    report.seconds = time.monotonic() - started
    return report


def _shot(page: Any, report: WebUIReport, path: Path, target: Any = None) -> None:
    (target or page).screenshot(path=str(path))
    report.screenshots.append(path)


def _check_locale(
    page: Any, stack: Stack, report: WebUIReport, out: Path, locale: str
) -> LocaleReport:
    seen = LocaleReport(locale)
    bot = stack.bot
    tag = locale
    ok = stack.scenario("ok").spec
    wrong = stack.scenario("wrong_key").spec
    page.set_viewport_size({"width": 1400, "height": 1000})
    _open_providers(page, bot, ok.source_id)

    # -- the "add provider source" dialog and our card --------------------------------------
    page.locator("button:has(i.mdi-plus)").first.click()
    page.locator(".source-card__name").first.wait_for()
    page.wait_for_timeout(300)
    names = page.locator(".source-card__name").all_inner_texts()
    seen.cards = sum(1 for n in names if n.strip() == DISPLAY_NAME)
    if seen.cards != 1:
        report.problems.append(f"[{locale}] card {DISPLAY_NAME!r} shown {seen.cards} times")
    page.locator(
        f"button.source-card__select[aria-label='{DISPLAY_NAME}']"
    ).scroll_into_view_if_needed()
    _shot(page, report, out / f"{tag}-1-add-provider-dialog.png")
    page.locator(f"button.source-card__select[aria-label='{DISPLAY_NAME}']").first.click()
    page.locator(".config-row").first.wait_for()

    # -- the new source's form ----------------------------------------------------------------
    page.set_viewport_size({"width": 1400, "height": 2600})
    page.wait_for_timeout(500)
    seen.rows = [FormRow(**r) for r in page.evaluate(_ROWS_JS, None)]
    seen.alerts = page.locator(".v-alert").all_inner_texts()
    _shot(page, report, out / f"{tag}-2-provider-form.png")
    by_label = {r.label: r for r in seen.rows}
    for name in form_fields(report.template):
        label = expected_label(name, locale)
        row = by_label.get(label)
        if row is None:
            report.problems.append(f"[{locale}] field {name!r} (label {label!r}) not in the form")
            continue
        want = expected_widget(report.items.get(name))
        if name not in HOST_LABELS and row.widget != want:
            report.problems.append(
                f"[{locale}] field {name!r}: widget {row.widget!r}, expected {want!r}"
            )
    raw_keys = [r.label for r in seen.rows if r.label.startswith("provider_group.")]
    if raw_keys:
        report.problems.append(f"[{locale}] raw i18n keys shown as labels: {raw_keys}")

    # -- a configured model: settings dialog, test button, fetch models ---------------------
    page.set_viewport_size({"width": 1400, "height": 1400})
    _open_providers(page, bot, ok.source_id)
    _select_source(page, ok.source_id)
    page.locator("button:has(i.mdi-cog-outline)").first.click()
    dialog = page.locator(".v-dialog .v-card").last
    dialog.locator(".property-name").first.wait_for()
    seen.model_dialog = dialog.locator(".property-name").all_inner_texts()
    _shot(page, report, out / f"{tag}-3-model-settings-dialog.png", dialog)
    for name in MODEL_DIALOG_FIELDS & set(report.template):
        if expected_label(name, locale) not in [t.strip() for t in seen.model_dialog]:
            report.problems.append(f"[{locale}] {name!r} not in the model settings dialog")
    page.keyboard.press("Escape")
    page.wait_for_timeout(300)

    for label, source in (("ok", ok), ("wrong_key", wrong)):
        _select_source(page, source.source_id)
        before = _visible_toasts(page)
        page.locator("button:has(i.mdi-connection)").first.click()
        seen.toasts[f"test:{label}"] = _toast(page, before)
        _shot(page, report, out / f"{tag}-4-test-{label}.png")
        before = _visible_toasts(page)
        page.locator("button:has(i.mdi-download)").first.click()
        if label == "ok":
            listed = [m for m in LISTED_MODELS if m != MODEL]
            page.get_by_text(listed[0], exact=True).first.wait_for()
            seen.toasts["models:ok"] = "listed " + ", ".join(
                m for m in listed if page.get_by_text(m, exact=True).count()
            )
        else:
            seen.toasts[f"models:{label}"] = _toast(page, before)
        _shot(page, report, out / f"{tag}-5-models-{label}.png")
    if not any(m in seen.toasts["test:ok"] for m in ("ok/fake-model", MODEL)):
        report.problems.append(f"[{locale}] no success message for test: {seen.toasts}")
    if "key" not in seen.toasts.get("test:wrong_key", "").lower():
        report.problems.append(f"[{locale}] wrong-key test message lacks 'key': {seen.toasts}")
    if GOOD_KEY in json.dumps(seen.toasts) or WRONG_KEY in json.dumps(seen.toasts):
        report.problems.append(f"[{locale}] an API key is shown in a message")

    _check_plugin_config(page, bot, report, out, seen)
    return seen


def _check_plugin_config(
    page: Any, bot: AstrBotInstance, report: WebUIReport, out: Path, seen: LocaleReport
) -> None:
    """Plugins → our card → configure: every ``_conf_schema.json`` key with its i18n text."""
    locale = seen.locale
    page.goto(bot.base_url + "/#/extension", wait_until="domcontentloaded")
    page.reload(wait_until="domcontentloaded")
    meta = plugin_i18n(locale).get("metadata", {})
    title = str(meta.get("display_name") or PLUGIN_DIR_NAME)
    title_el = page.locator(".extension-title__text", has_text=title)
    card = page.locator(".extension-card", has=title_el)
    try:
        card.first.wait_for(timeout=20_000)
    except Exception:
        report.problems.append(f"[{locale}] plugin card titled {title!r} not found")
        _shot(page, report, out / f"{locale}-6-plugin-card-missing.png")
        return
    card.first.locator("button:has(i.mdi-cog)").click()
    dialog = page.locator(".v-dialog .v-card").last
    dialog.locator(".config-row").first.wait_for()
    page.wait_for_timeout(300)
    seen.plugin_config = [FormRow(**r) for r in page.evaluate(_ROWS_JS_IN_DIALOG)]
    _shot(page, report, out / f"{locale}-6-plugin-config.png", dialog)
    texts = plugin_i18n(locale).get("config", {})
    labels = {r.label for r in seen.plugin_config}
    schema = json.loads((REPO / "_conf_schema.json").read_text(encoding="utf-8-sig"))
    for key in schema:
        want = (texts.get(key) or {}).get("description") or schema[key].get("description", key)
        if want not in labels:
            report.problems.append(f"[{locale}] plugin setting {key!r}: label {want!r} not shown")
    page.keyboard.press("Escape")


_ROWS_JS_IN_DIALOG = (
    "(() => { const d = Array.from(document.querySelectorAll('.v-dialog .v-card')).pop();"
    f" return ({_ROWS_JS})(d); }})()"
)


def format_report(report: WebUIReport) -> str:
    """Human-readable summary: per locale every form row, the messages, the problems."""
    lines: list[str] = []
    for loc in report.locales:
        lines.append(f"== {loc.locale}: card {DISPLAY_NAME!r} shown {loc.cards}x")
        for alert in loc.alerts:
            lines.append(f"   [info box] {alert}")
        for row in loc.rows:
            hint = f" — {row.hint}" if row.hint else ""
            lines.append(f"   {row.label:<34} {row.widget:<7} {row.value!r}{hint}")
        lines.append(f"   model settings dialog: {', '.join(loc.model_dialog)}")
        for name, text in loc.toasts.items():
            lines.append(f"   message {name:<17} {text}")
        lines.append("   plugin config page:")
        for row in loc.plugin_config:
            lines.append(f"     {row.label} [{row.widget}] — {row.hint}")
    lines.append(f"screenshots ({len(report.screenshots)}):")
    lines += [f"   {p}" for p in report.screenshots]
    if report.problems:
        lines.append("PROBLEMS:")
        lines += [f"   - {p}" for p in report.problems]
    lines.append(f"{'PASS' if report.ok else 'FAIL'} in {report.seconds:.1f}s")
    return "\n".join(lines)


def chromium_available() -> str | None:
    """None when the browser check can run, else the reason it cannot."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} not found (apt-get install -y chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -r requirements-dev.txt)"
    return None


def main(argv: list[str] | None = None) -> int:
    """CLI entry point."""
    parser = argparse.ArgumentParser(prog="python -m tools.webui_check", description=__doc__)
    parser.add_argument("--out", type=Path, default=None, help="screenshot directory")
    parser.add_argument("--locale", action="append", choices=LOCALES, help="repeatable")
    parser.add_argument(
        "--plugin-src", type=Path, default=REPO, help="plugin checkout to install (default: repo)"
    )
    parser.add_argument("--keep-root", action="store_true", help="keep AstrBot's scratch root")
    args = parser.parse_args(argv)
    reason = chromium_available()
    if reason:
        print(f"cannot run: {reason}", file=sys.stderr)
        return 2
    out = args.out or Path(tempfile.mkdtemp(prefix="webui-screenshots-"))
    work = Path(tempfile.mkdtemp(prefix="webui-check-"))
    try:
        with running_stack(work, plugin_src=args.plugin_src) as stack:
            print(f"AstrBot on {stack.bot.base_url} (startup {stack.bot.startup_seconds:.1f}s)")
            for case in stack.scenarios:
                probe = probe_source(stack.bot, case)
                print(
                    f"api {case.name:<22} test={probe.test_status} ({probe.test_seconds:.1f}s) "
                    f"{probe.test_error or ''}\n"
                    f"    models ok={probe.models_ok} ({probe.models_seconds:.1f}s) "
                    f"{probe.models if probe.models_ok else probe.models_message}"
                )
            report = check_webui(stack, out.resolve(), locales=tuple(args.locale or LOCALES))
    finally:
        if args.keep_root:
            print(f"AstrBot root kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(format_report(report))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
