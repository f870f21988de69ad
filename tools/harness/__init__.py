"""The AstrBot harness: run a real AstrBot (headless, loopback only) with this plugin.

Modules by job: :mod:`.process` (``astrbot init``/``run``, logs, stop by PID),
:mod:`.config_io` (``cmd_config.json``, provider entries, installing plugins),
:mod:`.dashboard` (login and API calls, routes learned from the host), :mod:`.webchat`
(one chat turn over SSE, sorted into a :class:`ChatResult`), :mod:`.upstreams` (the fake
Responses upstream as a process or a thread), :mod:`.instance` (all of it as one
:class:`AstrBotInstance`).
"""

from __future__ import annotations

from .config_io import MAGIC_PLUGIN, PLUGIN_DIR_NAME, PLUGIN_TYPE, ProviderSpec
from .dashboard import Dashboard
from .errors import AstrBotAPIError, HarnessError
from .instance import DEFAULT_PASSWORD, AstrBotInstance
from .process import ASTRBOT_EXE_ENV, find_astrbot_exe, free_port, host_ships_webui
from .upstreams import BackgroundUpstream, UpstreamProcess
from .webchat import CHAT_ERROR_MARKERS, ChatResult, parse_chat_events

__all__ = [
    "ASTRBOT_EXE_ENV",
    "CHAT_ERROR_MARKERS",
    "DEFAULT_PASSWORD",
    "MAGIC_PLUGIN",
    "PLUGIN_DIR_NAME",
    "PLUGIN_TYPE",
    "AstrBotAPIError",
    "AstrBotInstance",
    "BackgroundUpstream",
    "ChatResult",
    "Dashboard",
    "HarnessError",
    "ProviderSpec",
    "UpstreamProcess",
    "find_astrbot_exe",
    "free_port",
    "host_ships_webui",
    "parse_chat_events",
]
