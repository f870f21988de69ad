"""The files of an AstrBot root: ``data/cmd_config.json`` and the installed plugin.

``cmd_config.json`` is UTF-8 with a BOM (AstrBot writes it that way). A provider lives in
two entries: a ``provider_sources`` item (the connection) and a ``provider`` item (the
model), merged by AstrBot as ``{**source, **model}``; see :class:`ProviderSpec`.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools.plugin_root import PLUGIN_DIR, REPO

PLUGIN_DIR_NAME = PLUGIN_DIR
PLUGIN_TYPE = "openai_responses_plugin"
#: the demo plugin that offers the ``get_magic_number`` tool (installed next to ours)
MAGIC_PLUGIN = REPO / "tools" / "demo_plugin" / "astrbot_plugin_magic_tool"
PYPI_SIMPLE = "https://pypi.org/simple/"
#: md5 of "astrbot": the dashboard password older hosts (no initial-password variable) start with
LEGACY_DEFAULT_PASSWORD_MD5 = hashlib.md5(b"astrbot").hexdigest()

#: Files and directories of the repository that make up the installed plugin.
PLUGIN_FILES: tuple[str, ...] = (
    "main.py",
    "metadata.yaml",
    "_conf_schema.json",
    "requirements.txt",
    "provider",
    "README.md",
    "logo.png",
    ".astrbot-plugin",
)
COPY_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".venv", ".git", "tests", "data")


@dataclass
class ProviderSpec:
    """One provider source plus one model entry of ``cmd_config.json``.

    ``custom`` holds extra source fields (merged last, so it may override anything).
    The provider id AstrBot uses is ``f"{source_id}/{model}"``.
    """

    source_id: str
    model: str
    key: list[str] = field(default_factory=list)
    api_base: str = ""
    type: str = PLUGIN_TYPE
    timeout: int = 30
    proxy: str = ""
    custom_headers: dict[str, str] = field(default_factory=dict)
    custom: dict[str, Any] = field(default_factory=dict)
    enable: bool = True
    icon: str = "openai"
    modalities: list[str] = field(default_factory=lambda: ["text", "image", "tool_use"])

    @property
    def provider_id(self) -> str:
        """The id of the model entry (what ``selected_provider`` expects)."""
        return f"{self.source_id}/{self.model}"

    def source_entry(self) -> dict[str, Any]:
        """The ``provider_sources`` item."""
        entry: dict[str, Any] = {
            "id": self.source_id,
            "provider": self.icon,
            "type": self.type,
            "provider_type": "chat_completion",
            "enable": self.enable,
            "key": list(self.key),
            "api_base": self.api_base,
            "timeout": self.timeout,
            "proxy": self.proxy,
            "custom_headers": dict(self.custom_headers),
        }
        entry.update(self.custom)
        return entry

    def provider_entry(self) -> dict[str, Any]:
        """The ``provider`` (model) item."""
        return {
            "id": self.provider_id,
            "provider_source_id": self.source_id,
            "model": self.model,
            "enable": self.enable,
            "modalities": list(self.modalities),
            "max_context_tokens": 0,
            "custom_extra_body": {},
        }


def read_cmd_config(path: Path) -> dict[str, Any]:
    """Read ``cmd_config.json`` (UTF-8, usually with BOM)."""
    return json.loads(path.read_text(encoding="utf-8-sig"))


def write_cmd_config(path: Path, config: dict[str, Any]) -> None:
    """Write ``cmd_config.json`` the way AstrBot does (UTF-8 with BOM, indented)."""
    path.write_text(json.dumps(config, ensure_ascii=False, indent=2), encoding="utf-8-sig")


def patch_config(
    config: dict[str, Any],
    providers: list[ProviderSpec],
    default_provider_id: str,
    *,
    port: int,
    password: str,
) -> None:
    """Loopback dashboard on ``port``, quiet settings, ``providers``, the default chat model.

    The default chat model goes where the host's fresh config keeps it:
    ``agent_runner.config.model.provider_id`` when there is an ``agent_runner`` section
    (AstrBot 4.28+), else ``provider_settings.default_provider_id``.
    A host that still holds its legacy default password (md5 of ``astrbot``; no
    ``ASTRBOT_DASHBOARD_INITIAL_PASSWORD`` support) gets the md5 of ``password`` instead; the
    initial password counts as changed.
    """
    dashboard = config.setdefault("dashboard", {})
    dashboard["host"] = "127.0.0.1"
    dashboard["port"] = port
    dashboard.setdefault("auth_rate_limit", {})["enable"] = False
    if dashboard.get("password") == LEGACY_DEFAULT_PASSWORD_MD5:
        dashboard["password"] = hashlib.md5(password.encode()).hexdigest()
    if "password_change_required" in dashboard:
        # accepted as is: no "change password" dialog, and 4.24 would otherwise replace a
        # password that still "must be changed" at the next start
        dashboard["password_change_required"] = False
    config["disable_metrics"] = True
    config["t2i_strategy"] = "local"
    config["pypi_index_url"] = PYPI_SIMPLE
    config["provider_sources"] = [p.source_entry() for p in providers]
    config["provider"] = [p.provider_entry() for p in providers]
    runner = config.get("agent_runner")
    if isinstance(runner, dict):
        runner.setdefault("runner_type", "local")
        model = runner.setdefault("config", {}).setdefault("model", {})
        model["provider_id"] = default_provider_id
    else:
        config.setdefault("provider_settings", {})["default_provider_id"] = default_provider_id


def copy_plugin(src: Path, dest: Path, files: Iterable[str] = PLUGIN_FILES) -> list[str]:
    """Copy the plugin's files (not symlinks) from ``src`` into ``dest``; return what was copied."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    copied: list[str] = []
    for name in files:
        item = src / name
        if item.is_dir():
            shutil.copytree(item, dest / name, ignore=COPY_IGNORE)
        elif item.is_file():
            shutil.copy2(item, dest / name)
        else:
            continue
        copied.append(name)
    return copied


def install_plugins(data_dir: Path, plugin_src: Path, extra: Iterable[Path] = ()) -> bool:
    """Install this plugin (when ``plugin_src/main.py`` exists) and ``extra`` plugin
    directories into ``data_dir/plugins``; return whether this plugin was installed."""
    plugins = data_dir / "plugins"
    plugins.mkdir(parents=True, exist_ok=True)
    installed = (plugin_src / "main.py").exists()
    if installed:
        copy_plugin(plugin_src, plugins / PLUGIN_DIR_NAME)
    for path in extra:
        shutil.copytree(path, plugins / Path(path).name, ignore=COPY_IGNORE, dirs_exist_ok=True)
    return installed
