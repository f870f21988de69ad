"""Look at the plugin in AstrBot's WebUI with a real (headless) Chromium.

Run ``.venv/bin/python -m tools.webui_check`` (needs Debian's ``chromium`` at /usr/bin/chromium
and the ``playwright`` Python package; no browser download; ``ASTRBOT_EXE`` picks another
AstrBot). It

1. starts a fake Responses upstream, a "Chat Completions only" server, and a real AstrBot with
   this plugin on 127.0.0.1, with one provider source per admin mistake
   (:func:`tools.webui.stack.scenarios`);
2. checks the provider schema the dashboard receives: every field of our card has its label
   and hint in zh-CN and en-US (:func:`tools.webui.form.schema_problems`; works on every
   host, also those whose WebUI is not installed, which end the check here);
3. opens the dashboard in headless Chromium, logs in through the login form, and for each
   locale (zh-CN, en-US): opens Providers → Add, checks that the card
   "OpenAI (Responses, Plugin)" exists exactly once, picks it and reads every row of the
   form; every field must show a human label and hint in that language, with the widget
   ``registration._FIELD_ITEMS`` asks for (:func:`tools.webui.form.form_problems`); opens a
   model's settings dialog (``custom_extra_body`` lives there in 4.29); presses "test" and
   "fetch model list" on a good and a wrong-key source and records the messages; opens the
   plugin's config dialog;
4. saves screenshots (default: a new temporary directory, printed at the end; ``--out DIR``
   to choose, e.g. ``artifacts/screenshots``, which git ignores) and prints a report.

Every network request of the browser that is not to 127.0.0.1 is aborted. All processes are
stopped by PID. Exit status 0 = every check passed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # allow ``python tools/webui_check.py``
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tools.harness import PLUGIN_DIR_NAME, AstrBotInstance, host_ships_webui
from tools.plugin_root import REPO
from tools.webui.browser import (
    Browser,
    chromium_available,
    login,
    open_providers,
    read_rows,
    select_source,
    toast,
    visible_toasts,
)
from tools.webui.form import (
    MODEL_DIALOG_FIELDS,
    FormRow,
    expected_label,
    form_fields,
    form_problems,
    schema_problems,
)
from tools.webui.stack import (
    GOOD_KEY,
    LISTED_MODELS,
    MODEL,
    WRONG_KEY,
    Stack,
    probe_source,
    running_stack,
)

DISPLAY_NAME = "OpenAI (Responses, Plugin)"
LOCALES = ("zh-CN", "en-US")
#: Texts of ``.astrbot-plugin/i18n/<locale>.json`` expected on the plugin config dialog.
I18N_DIR = REPO / ".astrbot-plugin" / "i18n"


def plugin_i18n(locale: str) -> dict[str, Any]:
    """``.astrbot-plugin/i18n/<locale>.json`` (empty dict when missing)."""
    path = I18N_DIR / f"{locale}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


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
    #: form fields shown with a human label and hint in this locale
    labelled: int = 0


@dataclass
class WebUIReport:
    """Everything :func:`check_webui` saw, plus the problems it found."""

    template: dict[str, Any] = field(default_factory=dict)
    items: dict[str, Any] = field(default_factory=dict)
    locales: list[LocaleReport] = field(default_factory=list)
    screenshots: list[Path] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0
    #: whether the browser part ran (the host ships its WebUI)
    browser: bool = False

    @property
    def ok(self) -> bool:
        """No problem found."""
        return not self.problems


def check_schema(bot: AstrBotInstance, report: WebUIReport) -> bool:
    """Read the provider schema the dashboard receives into ``report`` and check its labels
    (:func:`schema_problems`); return whether our card is in it."""
    schema = bot.provider_schema()
    report.template = dict(schema["config_template"].get(DISPLAY_NAME) or {})
    report.items = schema.get("items", {})
    report.problems += [f"[schema] {p}" for p in schema_problems(schema, DISPLAY_NAME)]
    return bool(report.template)


def check_webui(stack: Stack, out_dir: Path, *, locales: tuple[str, ...] = LOCALES) -> WebUIReport:
    """Check the schema, then drive the dashboard of ``stack.bot`` in Chromium; screenshots go
    to ``out_dir``. A host that does not ship its WebUI gets the schema check only
    (``report.browser`` stays False)."""
    started = time.monotonic()
    report = WebUIReport()
    out_dir.mkdir(parents=True, exist_ok=True)
    bot = stack.bot
    if not check_schema(bot, report) or not host_ships_webui(bot.astrbot_exe):
        report.seconds = time.monotonic() - started
        return report
    report.browser = True
    profile = Path(tempfile.mkdtemp(prefix="webui-chromium-profile-"))
    browser = Browser(profile)
    try:
        page = browser.page
        login(page, bot)
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
    open_providers(page, bot, ok.source_id)

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
    seen.rows = [FormRow(**r) for r in read_rows(page)]
    seen.alerts = page.locator(".v-alert").all_inner_texts()
    _shot(page, report, out / f"{tag}-2-provider-form.png")
    problems, seen.labelled = form_problems(seen.rows, report.template, report.items, locale)
    report.problems += problems

    # -- a configured model: settings dialog, test button, fetch models ---------------------
    page.set_viewport_size({"width": 1400, "height": 1400})
    open_providers(page, bot, ok.source_id)
    select_source(page, ok.source_id)
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
        select_source(page, source.source_id)
        before = visible_toasts(page)
        page.locator("button:has(i.mdi-connection)").first.click()
        seen.toasts[f"test:{label}"] = toast(page, before)
        _shot(page, report, out / f"{tag}-4-test-{label}.png")
        before = visible_toasts(page)
        page.locator("button:has(i.mdi-download)").first.click()
        if label == "ok":
            listed = [m for m in LISTED_MODELS if m != MODEL]
            page.get_by_text(listed[0], exact=True).first.wait_for()
            seen.toasts["models:ok"] = "listed " + ", ".join(
                m for m in listed if page.get_by_text(m, exact=True).count()
            )
        else:
            seen.toasts[f"models:{label}"] = toast(page, before)
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
    seen.plugin_config = [FormRow(**r) for r in read_rows(page, in_dialog=True)]
    _shot(page, report, out / f"{locale}-6-plugin-config.png", dialog)
    texts = plugin_i18n(locale).get("config", {})
    labels = {r.label for r in seen.plugin_config}
    schema = json.loads((REPO / "_conf_schema.json").read_text(encoding="utf-8-sig"))
    for key in schema:
        want = (texts.get(key) or {}).get("description") or schema[key].get("description", key)
        if want not in labels:
            report.problems.append(f"[{locale}] plugin setting {key!r}: label {want!r} not shown")
    page.keyboard.press("Escape")


def format_report(report: WebUIReport) -> str:
    """Human-readable summary: per locale every form row, the messages, the problems."""
    fields = len(form_fields(report.template))
    lines: list[str] = []
    if not report.browser:
        lines.append("(schema check only: this AstrBot does not ship its WebUI)")
    for loc in report.locales:
        lines.append(f"== {loc.locale}: card {DISPLAY_NAME!r} shown {loc.cards}x")
        lines.append(f"   {loc.labelled}/{fields} fields with a human label and hint")
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
