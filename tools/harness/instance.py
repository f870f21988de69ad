"""One real AstrBot (headless, loopback only) with this plugin, driven through its dashboard.

Lifecycle: :meth:`AstrBotInstance.setup` (``astrbot init``, plugins, ``cmd_config.json``) →
:meth:`~AstrBotInstance.start` → :meth:`~AstrBotInstance.chat` / the dashboard shortcuts →
:meth:`~AstrBotInstance.stop` (also on ``__exit__`` and at interpreter exit). Works on every
4.x host the plugin supports: ``init`` options, config keys, routes and the login are learned
from the host (see :mod:`.process`, :mod:`.config_io`, :mod:`.dashboard`). The executable is
``$ASTRBOT_EXE`` when set (another host's venv), else the project's.

Example::

    spec = ProviderSpec("resp", "gpt-x", key=["sk-..."], api_base="http://127.0.0.1:9/v1")
    with AstrBotInstance(Path(tmp)) as bot:
        bot.setup([spec], spec.provider_id)
        bot.start()
        print(bot.chat("hello").text)
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import httpx

from tools.plugin_root import REPO

from . import config_io
from .config_io import PLUGIN_DIR_NAME, ProviderSpec
from .dashboard import Dashboard
from .errors import HarnessError
from .process import AstrBotProcess, find_astrbot_exe, free_port, host_env, init_root
from .webchat import ChatResult, iter_chat_events, parse_chat_events

DEFAULT_PASSWORD = "E2e-Passw0rd"


class AstrBotInstance:
    """One AstrBot process on 127.0.0.1 with its own scratch root."""

    def __init__(
        self,
        root: Path,
        *,
        dashboard_port: int = 0,
        password: str = DEFAULT_PASSWORD,
        plugin_src: Path = REPO,
        astrbot_exe: Path | None = None,
    ) -> None:
        self.root = Path(root).resolve()
        self.port = dashboard_port or free_port()
        self.password = password
        self.plugin_src = Path(plugin_src).resolve()
        self.astrbot_exe = astrbot_exe or find_astrbot_exe()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.startup_seconds: float | None = None
        self.plugin_installed = False
        self.process = AstrBotProcess(
            self.astrbot_exe, self.root, host_env(self.root, self.port, password)
        )
        self.dashboard = Dashboard(self.base_url, password)

    # ----------------------------------------------------------------- paths
    @property
    def data_dir(self) -> Path:
        """``<root>/data``."""
        return self.root / "data"

    @property
    def config_path(self) -> Path:
        """``<root>/data/cmd_config.json``."""
        return self.data_dir / "cmd_config.json"

    @property
    def log_path(self) -> Path:
        """Combined stdout+stderr of ``astrbot run``."""
        return self.process.log_path

    @property
    def plugin_dest(self) -> Path:
        """Where this repository's plugin is installed."""
        return self.data_dir / "plugins" / PLUGIN_DIR_NAME

    # ----------------------------------------------------------------- setup
    def setup(
        self,
        providers: list[ProviderSpec],
        default_provider_id: str,
        extra_plugins: Iterable[Path] = (),
        *,
        config_patch: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        """Create the root: ``astrbot init``, install plugins, patch ``cmd_config.json``.

        The repository plugin is copied only when ``plugin_src/main.py`` exists.
        ``config_patch`` may mutate the config dict last.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        init_root(self.astrbot_exe, self.root, self.process.env)
        self.plugin_installed = config_io.install_plugins(
            self.data_dir, self.plugin_src, extra_plugins
        )
        config = config_io.read_cmd_config(self.config_path)
        config_io.patch_config(
            config, providers, default_provider_id, port=self.port, password=self.password
        )
        if config_patch is not None:
            config_patch(config)
        config_io.write_cmd_config(self.config_path, config)

    # --------------------------------------------------------------- process
    def start(self, timeout: float = 60.0) -> float:
        """Start ``astrbot run`` and wait until the dashboard answers; return the startup time."""
        if not (self.root / ".astrbot").exists():
            raise HarnessError(f"{self.root} is not initialised; call setup() first")
        self.startup_seconds = self.process.start(self.base_url + "/", timeout)
        return self.startup_seconds

    @property
    def pid(self) -> int | None:
        """PID of the running ``astrbot run`` process."""
        return self.process.pid

    def is_running(self) -> bool:
        """Whether the AstrBot process is alive."""
        return self.process.is_running()

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM the AstrBot PID, wait ``timeout`` seconds, then SIGKILL. Idempotent."""
        code = self.process.stop(timeout)
        self.dashboard.token = None
        return code

    def close(self) -> None:
        """Stop the process and close the HTTP client."""
        self.stop()
        self.dashboard.close()

    def __enter__(self) -> AstrBotInstance:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ logs
    def log_text(self, *, strip_ansi: bool = True) -> str:
        """The whole ``astrbot.out`` so far (ANSI colour codes removed unless asked not to)."""
        return self.process.log_text(strip_ansi=strip_ansi)

    def log_tail(self, lines: int = 60) -> str:
        """The last ``lines`` lines of ``astrbot.out``."""
        return self.process.log_tail(lines)

    def wait_for_log(self, needle: str, timeout: float = 10.0, *, start: int = 0) -> bool:
        """Wait until ``needle`` appears in the log after character offset ``start``."""
        return self.process.wait_for_log(needle, timeout, start=start)

    # ------------------------------------------------------------------- API
    def login(self) -> str:
        """Log in to the dashboard; return the JWT."""
        return self.dashboard.login()

    def request(self, method: str, path: str, json: Any = None, **kwargs: Any) -> httpx.Response:
        """Authenticated raw request; ``path`` without ``/api`` gets the ``/api/v1`` prefix."""
        return self.dashboard.request(method, path, json, **kwargs)

    def api(self, method: str, path: str, json: Any = None, *, check: bool = True) -> Any:
        """Authenticated dashboard call returning the decoded body (see :meth:`Dashboard.api`)."""
        return self.dashboard.api(method, path, json, check=check)

    def iter_chat_events(self, message: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
        """Yield the decoded SSE events of one chat turn (see :func:`.webchat.iter_chat_events`)."""
        return iter_chat_events(self.dashboard, message, **kwargs)

    def chat(
        self,
        message: str,
        *,
        stream: bool = True,
        session_id: str | None = None,
        provider_id: str | None = None,
        on_event: Callable[[dict[str, Any]], None] | None = None,
        timeout: float = 90.0,
    ) -> ChatResult:
        """Send one WebChat message and collect the reply (see :func:`.parse_chat_events`).

        ``on_event`` sees every SSE event as it arrives (e.g. to print deltas live).
        """
        started = time.monotonic()

        def tee() -> Iterator[dict[str, Any]]:
            for event in self.iter_chat_events(
                message,
                stream=stream,
                session_id=session_id,
                provider_id=provider_id,
                timeout=timeout,
            ):
                if on_event is not None:
                    on_event(event)
                yield event

        result = parse_chat_events(tee(), stream=stream)
        result.elapsed = time.monotonic() - started
        if not result.session_id and session_id:
            result.session_id = session_id
        return result

    # ------------------------------------------------------------ shortcuts
    def provider_schema(self) -> dict[str, Any]:
        """The provider form schema the WebUI receives (``config_schema["provider"]``)."""
        return self.dashboard.call("provider_schema")["data"]["config_schema"]["provider"]

    def source_models(self, source_id: str, *, check: bool = True) -> Any:
        """The body of "fetch model list" for a provider source."""
        return self.dashboard.call("source_models", check=check, source_id=source_id)

    def reload_plugin(self, plugin: str = PLUGIN_DIR_NAME) -> Any:
        """Reload a plugin."""
        return self.dashboard.call("reload_plugin", plugin=plugin)

    def set_plugin_enabled(self, enabled: bool, plugin: str = PLUGIN_DIR_NAME) -> Any:
        """Enable or disable a plugin."""
        switch = "on" if enabled else "off"
        return self.dashboard.call(
            "set_plugin_enabled", plugin=plugin, enabled=enabled, switch=switch
        )

    def set_provider_enabled(self, provider_id: str, enabled: bool) -> Any:
        """Switch a provider (model entry) on or off (the entry is read from the root's
        ``cmd_config.json`` for hosts that take the whole entry)."""
        config = config_io.read_cmd_config(self.config_path)
        entry = next(p for p in config.get("provider", []) if p.get("id") == provider_id)
        return self.dashboard.call(
            "set_provider_enabled", provider_id=provider_id, enabled=enabled, entry=entry
        )

    def test_provider(self, provider_id: str) -> Any:
        """The provider "test" button; returns the ``data`` dict (``status``, ``error``)."""
        return self.dashboard.call("test_provider", provider_id=provider_id)["data"]
