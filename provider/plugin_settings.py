"""Plugin-wide settings from ``_conf_schema.json`` (the plugin's own config page).

They apply to every provider instance of this plugin; ``main.py`` installs them when AstrBot
creates the plugin's Star. Spec: specs/001-redesign-responses-provider/spec.md §"Plugin settings".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .redaction import LOG, set_extra_patterns


@dataclass(slots=True)
class PluginSettings:
    """``log_request_ids``: add the upstream ``x-request-id`` to error messages."""

    log_request_ids: bool = True


PLUGIN_SETTINGS = PluginSettings()


def apply_plugin_config(config: Mapping[str, Any]) -> None:
    """Install the plugin config (``extra_redact_patterns``, ``log_request_ids``).

    An ``extra_redact_patterns`` entry that does not compile or is too slow
    (:func:`~.redaction.check_pattern`) is skipped with an ERROR log line naming it.
    """
    patterns = config.get("extra_redact_patterns") or []
    rejected = (
        set_extra_patterns(p for p in patterns if isinstance(p, str))
        if isinstance(patterns, list)
        else []
    )
    for pattern, reason in rejected:
        LOG.error(
            "Plugin setting `extra_redact_patterns`: the pattern %r was not installed: %s. "
            "Fix or remove it on the plugin's settings page (a pattern must run in linear "
            "time: no nested or adjacent unbounded repeats such as (a+)+ or \\w+\\w*).",
            pattern,
            reason,
        )
    PLUGIN_SETTINGS.log_request_ids = bool(config.get("log_request_ids", True))
