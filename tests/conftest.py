"""Test bootstrap: import the plugin exactly the way AstrBot does.

AstrBot imports a plugin as ``data.plugins.<dir>.main`` from its root. We build a scratch
root (``ASTRBOT_ROOT``) outside the repo, link the repository into
``<root>/data/plugins/astrbot_plugin_openai_responses`` and put the root on ``sys.path``.
Importing ``astrbot.core`` writes into the root, never into the repository.

Tests import plugin modules as ``data.plugins.astrbot_plugin_openai_responses.provider.…``;
the short alias :data:`PKG` holds that prefix (both from :mod:`tools.plugin_root`).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parents[1]))  # tools/ and benchmarks/ helpers
from tools.plugin_root import PKG, REPO, enter_plugin_root

__all__ = ["PKG", "REPO", "SECRET_MARK", "USER_MARK"]

_root = enter_plugin_root(os.environ.get("PLUGIN_TEST_ROOT"), "astrbot-test-root-")

# --- leak guard ---------------------------------------------------------------------------
# Every secret configured in a test contains SECRET_MARK and every chat message whose text
# must stay private contains USER_MARK. The autouse fixture below captures ALL logging
# (root + the plugin logger, DEBUG and up) and the process's stdout/stderr for each test and
# fails the test if either mark shows up there, or if a record from provider code came
# through any logger but the plugin's one (whose filter redacts).
import logging  # noqa: E402

import pytest  # noqa: E402

SECRET_MARK = "SECRET"
USER_MARK = "PRIVATE-USER-TEXT"


PLUGIN_LOGGER = "astrbot.plugin.astrbot_plugin_openai_responses"
_PROVIDER_DIRS = ("/astrbot_plugin_openai_responses/provider/", f"{REPO.as_posix()}/provider/")


class _ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.bypassed: list[str] = []  # plugin records that skipped the redacting logger

    def emit(self, record: logging.LogRecord) -> None:
        path = record.pathname.replace("\\", "/")
        if record.name != PLUGIN_LOGGER and any(d in path for d in _PROVIDER_DIRS):
            self.bypassed.append(f"{record.name} ({path}:{record.lineno})")
        try:
            self.lines.append(record.getMessage())
            if record.exc_info:
                self.lines.append(logging.Formatter().formatException(record.exc_info))
            if record.exc_text:
                self.lines.append(record.exc_text)
        except Exception:  # pragma: no cover - a broken record must not hide a leak
            self.lines.append(repr(record.__dict__))


@pytest.fixture(autouse=True)
def _no_secret_or_user_text_in_output(capfd: pytest.CaptureFixture[str]):
    handler = _ListHandler()
    plugin_logger = logging.getLogger(PLUGIN_LOGGER)
    loggers = [logging.getLogger(), plugin_logger, logging.getLogger("astrbot")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.removeHandler(handler)
            lg.setLevel(level)
    if handler.bypassed:
        pytest.fail(f"plugin records bypassed the redacting plugin logger: {handler.bypassed}")
    out, err = capfd.readouterr()
    captured = "\n".join([*handler.lines, out, err])
    for mark in (SECRET_MARK, USER_MARK):
        if mark in captured:
            start = captured.index(mark)
            excerpt = captured[max(0, start - 120) : start + 60]
            pytest.fail(f"{mark!r} leaked into logs/stdout/stderr: …{excerpt}…")
