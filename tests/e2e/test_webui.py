"""The WebUI in a real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright).

Runs :func:`tools.webui_check.check_webui` against a real AstrBot with this plugin: the
"OpenAI (Responses, Plugin)" card exists once; every template field is in the form with a
human label and hint in zh-CN and en-US (our fields with the texts of
``provider/form_text.py``) and the widget ``_FIELD_ITEMS`` asks for; ``custom_extra_body``
is in the model dialog; the test / fetch-models buttons show their messages; the plugin
config page shows ``_conf_schema.json`` with the ``.astrbot-plugin/i18n`` texts.

Skipped when Chromium is missing or the AstrBot under test (``ASTRBOT_EXE``) does not ship
its WebUI (hosts before 4.25 download it at first start; there is no network here): the
labels then are checked in the schema the dashboard receives (``test_astrbot_e2e.py``).

Screenshots go to ``artifacts/screenshots/`` (git-ignored; override with
``WEBUI_SCREENSHOTS=DIR``). Same check by hand: ``.venv/bin/python -m tools.webui_check``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from data.plugins.astrbot_plugin_openai_responses.provider import registration
from tools.harness import find_astrbot_exe, host_ships_webui
from tools.plugin_root import REPO
from tools.webui.browser import CHROMIUM
from tools.webui.form import form_fields
from tools.webui.stack import running_stack
from tools.webui_check import DISPLAY_NAME, LOCALES, check_webui, format_report

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.timeout(420),
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium)",
    ),
]


def test_webui_in_chromium(tmp_path_factory: pytest.TempPathFactory) -> None:
    if not host_ships_webui(find_astrbot_exe()):
        pytest.skip("this AstrBot does not ship its WebUI (labels: see the schema test)")
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
    fields = form_fields(report.template)
    assert len(fields) == 19, fields
    assert [(loc.locale, loc.labelled) for loc in report.locales] == [
        (locale, len(fields)) for locale in LOCALES
    ], report.problems
    assert report.ok, "\n".join(report.problems)
