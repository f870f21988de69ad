"""Headless Chromium for the WebUI checks: Debian's ``/usr/bin/chromium`` driven by
Playwright (no browser download), a throw-away profile, and no network beyond loopback
(every other request is aborted). Plus the page helpers the checks share.
"""

from __future__ import annotations

import contextlib
import re
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tools.harness import AstrBotInstance

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

#: JavaScript ``(scope) => rows``: every ``.config-row`` (outside dialogs unless ``scope`` is
#: given) as ``{label, hint, widget, value}`` (see :class:`tools.webui.form.FormRow`).
ROWS_JS = """
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


ROWS_JS_IN_DIALOG = (
    "(() => { const d = Array.from(document.querySelectorAll('.v-dialog .v-card')).pop();"
    f" return ({ROWS_JS})(d); }})()"
)


class Browser:
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


def toast(page: Any, before: str, timeout: float = 60.0) -> str:
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


def visible_toasts(page: Any) -> str:
    """The texts of the snackbars shown now, joined with ``" | "``."""
    texts = page.evaluate(
        "Array.from(document.querySelectorAll('.v-snackbar__content'))"
        ".filter(e => e.offsetParent !== null).map(e => e.innerText.trim())"
    )
    return " | ".join(t for t in texts if t)


def login(page: Any, bot: AstrBotInstance) -> None:
    """Log in through the login form."""
    page.goto(bot.base_url + "/#/auth/login", wait_until="domcontentloaded")
    page.fill("input[name=username]", "astrbot")
    page.fill("input[name=password]", bot.password)
    page.press("input[name=password]", "Enter")
    page.wait_for_url(lambda url: "/auth/" not in url, timeout=30_000)


def source_item(page: Any, source_id: str) -> Any:
    """The entry of ``source_id`` in the provider-source list."""
    exact = re.compile(f"^{re.escape(source_id)}$")
    title = page.locator(".provider-source-item__title", has_text=exact)
    return page.locator("button.provider-source-item", has=title).first


def open_providers(page: Any, bot: AstrBotInstance, source_id: str) -> None:
    """Load the providers page afresh (drops unsaved sources); wait for ``source_id``."""
    page.goto(bot.base_url + "/#/providers", wait_until="domcontentloaded")
    page.reload(wait_until="domcontentloaded")
    source_item(page, source_id).wait_for()


def select_source(page: Any, source_id: str) -> None:
    """Open the form of the provider source ``source_id``."""
    source_item(page, source_id).click()
    page.locator(".config-row").first.wait_for()
    page.wait_for_timeout(300)


def read_rows(page: Any, in_dialog: bool = False, timeout: float = 15.0) -> list[dict[str, Any]]:
    """The form rows (:data:`ROWS_JS`, or the last dialog's), once every row has a label —
    the WebUI fills labels in after the rows appear; a busy machine can take seconds."""
    deadline = time.monotonic() + timeout
    while True:
        rows = page.evaluate(ROWS_JS_IN_DIALOG) if in_dialog else page.evaluate(ROWS_JS, None)
        if (rows and all(r["label"] for r in rows)) or time.monotonic() > deadline:
            return rows
        page.wait_for_timeout(250)


def chromium_available() -> str | None:
    """None when the browser check can run, else the reason it cannot."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} not found (apt-get install -y chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -r requirements-dev.txt)"
    return None
