"""One logger for the whole plugin (issue 14, item 5; spec 001 §"Secrets").

Every record the plugin writes goes through ``redaction.LOG`` (AstrBot's per-plugin child
logger ``astrbot.plugin.<plugin>``), whose filter clips and redacts it. A module that made
its own logger, imported ``logging``/``loguru`` or AstrBot's ``logger``, or printed, would
bypass the filter: the source scan below fails on any of them, and the runtime checks fail
when a record from plugin code arrives under another name.
"""

from __future__ import annotations

import ast
import importlib
import logging
import pkgutil
from pathlib import Path

import pytest

from data.plugins.astrbot_plugin_openai_responses import provider
from data.plugins.astrbot_plugin_openai_responses.provider import pseudo_calls, redaction
from data.plugins.astrbot_plugin_openai_responses.provider.config import parse_config
from data.plugins.astrbot_plugin_openai_responses.provider.redaction import LOG, MASK
from tests.conftest import REPO

#: The one module allowed to touch ``logging``.
LOGGER_MODULE = REPO / "provider" / "redaction.py"
_BANNED_MODULES = ("logging", "loguru")


def _sources() -> list[Path]:
    return [REPO / "main.py", *sorted((REPO / "provider").rglob("*.py"))]


def _violations(path: Path) -> list[str]:
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        where = f"{path.relative_to(REPO)}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Import):
            found += [
                f"{where} import {a.name}"
                for a in node.names
                if a.name.split(".")[0] in _BANNED_MODULES
            ]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if module.split(".")[0] in _BANNED_MODULES:
                found.append(f"{where} from {module} import …")
            elif module.startswith("astrbot") and any(a.name == "logger" for a in node.names):
                found.append(f"{where} from {module} import logger")
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("getLogger", "GetLogger", "get_plugin_logger", "print"):
                found.append(f"{where} {name}(…)")
    return found


def test_no_module_but_redaction_touches_logging_or_prints() -> None:
    sources = _sources()
    assert LOGGER_MODULE in sources
    assert len(sources) > 30
    found = [v for path in sources if path != LOGGER_MODULE for v in _violations(path)]
    assert found == []
    own = [v.split(" ", 1)[1] for v in _violations(LOGGER_MODULE)]
    assert sorted(own) == ["getLogger(…)", "import logging"]  # the one logger


def test_importing_every_module_creates_no_other_plugin_logger() -> None:
    for module in pkgutil.walk_packages(provider.__path__, provider.__name__ + "."):
        importlib.import_module(module.name)
    names = [
        name
        for name in logging.Logger.manager.loggerDict
        if "openai_responses" in name and name != LOG.name
    ]
    assert names == []
    assert LOG.name == "astrbot.plugin.astrbot_plugin_openai_responses"
    assert any(isinstance(f, redaction.RedactingFilter) for f in LOG.filters)


@pytest.fixture
def plugin_records() -> list[logging.LogRecord]:
    """Every record emitted from a plugin source file, whatever logger it came through."""
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if "astrbot_plugin_openai_responses" in record.pathname.replace("\\", "/"):
                records.append(record)

    # the root catches records of any other logger; AstrBot's "astrbot" logger does not
    # propagate, so the plugin logger gets the handler itself
    loggers = [logging.getLogger(), LOG]
    handler = Keep(logging.DEBUG)
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(logging.DEBUG)
    try:
        yield records
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.removeHandler(handler)
            lg.setLevel(level)


def test_config_and_pseudo_call_warnings_pass_the_redaction_filter(
    plugin_records: list[logging.LogRecord], monkeypatch: pytest.MonkeyPatch
) -> None:
    # config.py: a deprecated key warning naming the source id (here secret-shaped)
    parse_config({"id": "sk-proj-abcdefgh12345678", "base_url": "http://h/v1", "model": "m"})

    # pseudo_calls: an extraction failure warning
    def broken(text: str, offered: object) -> object:
        raise RuntimeError("sk-proj-abcdefgh12345678")

    monkeypatch.setattr(pseudo_calls, "run", broken)
    assert pseudo_calls.extract("text", {}).status == "none"

    assert [r.name for r in plugin_records] == [LOG.name, LOG.name]
    messages = [r.getMessage() for r in plugin_records]
    assert messages[0].startswith(f"Provider {MASK} uses deprecated config keys (base_url")
    assert messages[1] == "pseudo-call extraction failed (RuntimeError); text passed through"
