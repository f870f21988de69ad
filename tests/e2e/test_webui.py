"""The WebUI in a real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright).

Runs :func:`tools.webui_check.check_webui` against a real AstrBot with this plugin: the
"OpenAI (Responses, Plugin)" card exists once, every template field is in the form with the
widget ``_FIELD_ITEMS`` asks for (zh-CN and en-US), ``custom_extra_body`` is in the model
dialog, the test / fetch-models buttons show their messages, and the plugin config page
shows ``_conf_schema.json`` with the ``.astrbot-plugin/i18n`` texts.

Screenshots go to ``artifacts/screenshots/`` (git-ignored; override with
``WEBUI_SCREENSHOTS=DIR``). Same check by hand: ``.venv/bin/python -m tools.webui_check``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from data.plugins.astrbot_plugin_openai_responses.provider import registration
from tools.astrbot_harness import REPO
from tools.webui_check import (
    CHROMIUM,
    DISPLAY_NAME,
    check_webui,
    format_report,
    running_stack,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.timeout(420),
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium)",
    ),
]


def test_webui_in_chromium(tmp_path_factory: pytest.TempPathFactory) -> None:
    out = Path(os.environ.get("WEBUI_SCREENSHOTS") or REPO / "artifacts" / "screenshots")
    for old in out.glob("*.png") if out.is_dir() else ():
        old.unlink()
    with running_stack(tmp_path_factory.mktemp("webui")) as stack:
        report = check_webui(stack, out)
    print("\n" + format_report(report))
    assert report.template, "no template in the schema API"
    assert list(report.template) == list(registration.config_template()), (
        f"the WebUI template under {DISPLAY_NAME!r} is not registration.config_template()"
    )
    assert len(report.locales) == 2, report.problems
    assert report.ok, "\n".join(report.problems)
