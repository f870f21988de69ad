"""Run a real AstrBot (headless, loopback only) and chat with it through the dashboard API.

The harness follows the recipe in ``astrbot_e2e.md``: ``astrbot init -y`` in a scratch root
(with ``ASTRBOT_DASHBOARD_INITIAL_PASSWORD``), copy this plugin into ``data/plugins``, patch
``data/cmd_config.json`` (UTF-8 with BOM), ``astrbot run`` with cwd = root, poll
``/api/v1/auth/setup-status``, log in, ``POST /api/v1/chat`` (SSE).

Only the standard library and ``httpx`` are used.  Every process is stopped by its PID.

Example::

    spec = ProviderSpec("resp", "gpt-x", key=["sk-..."], api_base="http://127.0.0.1:9/v1")
    with AstrBotInstance(Path(tmp)) as bot:
        bot.setup([spec], spec.provider_id)
        bot.start()
        print(bot.chat("hello").text)
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tools.processes import stop_process

REPO = Path(__file__).resolve().parents[1]
PLUGIN_DIR_NAME = "astrbot_plugin_openai_responses"
PLUGIN_TYPE = "openai_responses_plugin"
#: the demo plugin that offers the ``get_magic_number`` tool (installed next to ours)
MAGIC_PLUGIN = REPO / "tools" / "demo_plugin" / "astrbot_plugin_magic_tool"
#: texts in an AstrBot reply or log that mean the chat failed (provider missing or raising)
CHAT_ERROR_MARKERS = (
    "LLM 响应错误",
    "Error occurred while processing agent request",
    "not registered",
    "All chat models failed",
    "未找到任何可用的对话模型",
)
BUILTIN_RESPONSES_TYPE = "openai_responses"
DEFAULT_PASSWORD = "E2e-Passw0rd"
PYPI_SIMPLE = "https://pypi.org/simple/"

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
_COPY_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".venv", ".git", "tests", "data")

#: WebChat ``chain_type`` values that are not part of the answer text.
SKIP_CHAIN_TYPES = frozenset({"reasoning", "tool_call", "tool_call_result", "agent_stats"})


_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class HarnessError(RuntimeError):
    """The AstrBot instance could not be set up, started or talked to."""


class AstrBotAPIError(HarnessError):
    """A dashboard API call failed (HTTP error or ``status != "ok"``)."""

    def __init__(self, message: str, status_code: int, body: Any) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.body = body


def find_astrbot_exe() -> Path:
    """Return the ``astrbot`` console script next to the running interpreter (or on PATH)."""
    candidate = Path(sys.executable).with_name("astrbot")
    if candidate.exists():
        return candidate
    venv = REPO / ".venv" / "bin" / "astrbot"
    if venv.exists():
        return venv
    found = shutil.which("astrbot")
    if found:
        return Path(found)
    raise HarnessError("astrbot executable not found (install astrbot==4.29.1 in .venv)")


def free_port() -> int:
    """Return a currently free TCP port on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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


@dataclass
class ChatResult:
    """What one ``POST /api/v1/chat`` returned, already sorted by kind."""

    text: str = ""
    streamed: bool = True
    session_id: str = ""
    deltas: list[str] = field(default_factory=list)
    plain: list[str] = field(default_factory=list)
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    tool_results: list[dict[str, Any]] = field(default_factory=list)
    reasoning: list[str] = field(default_factory=list)
    stats: list[Any] = field(default_factory=list)
    errors: list[Any] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    elapsed: float = 0.0

    @property
    def complete(self) -> dict[str, Any] | None:
        """The ``complete`` event (streaming only), if any."""
        return next((e for e in self.events if e.get("type") == "complete"), None)

    @property
    def all_text(self) -> str:
        """Every text-bearing event (plain, complete, error) joined; for "no error" checks."""
        parts = [
            str(e.get("data", ""))
            for e in self.events
            if e.get("type") in {"plain", "complete", "error"}
        ]
        return "\n".join(parts)


def _decode_json_maybe(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def parse_chat_events(events: Iterable[dict[str, Any]], *, stream: bool) -> ChatResult:
    """Sort WebChat SSE events into a :class:`ChatResult`.

    Streaming: ``text`` is the ``complete`` event's data (fallback: joined deltas).
    Non-streaming: ``text`` is the joined non-streaming ``plain`` chunks.
    ``chain_type`` reasoning / tool_call / tool_call_result / agent_stats never count as text.
    """
    result = ChatResult(streamed=stream)
    complete: str | None = None
    for event in events:
        result.events.append(event)
        etype = event.get("type")
        data = event.get("data")
        chain = event.get("chain_type")
        if etype == "session_id":
            result.session_id = str(event.get("session_id", ""))
        elif etype == "agent_stats":
            result.stats.append(data)
        elif etype == "error":
            result.errors.append(data)
        elif etype == "complete":
            complete = str(data or "")
            if event.get("reasoning"):
                result.reasoning.append(str(event["reasoning"]))
        elif etype == "plain":
            text = "" if data is None else str(data)
            if chain == "tool_call":
                result.tool_calls.append(_as_dict(_decode_json_maybe(text)))
            elif chain == "tool_call_result":
                result.tool_results.append(_as_dict(_decode_json_maybe(text)))
            elif chain == "reasoning":
                result.reasoning.append(text)
            elif chain == "agent_stats":
                result.stats.append(_decode_json_maybe(text))
            elif event.get("streaming"):
                result.deltas.append(text)
            else:
                result.plain.append(text)
    if stream:
        result.text = complete if complete is not None else "".join(result.deltas)
    else:
        result.text = "".join(result.plain)
    return result


def _as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {"raw": value}


def read_cmd_config(path: Path) -> dict[str, Any]:
    """Read ``cmd_config.json`` (UTF-8, usually with BOM)."""
    return json.loads(path.read_text(encoding="utf-8-sig"))


def write_cmd_config(path: Path, config: dict[str, Any]) -> None:
    """Write ``cmd_config.json`` the way AstrBot does (UTF-8 with BOM, indented)."""
    path.write_text(json.dumps(config, ensure_ascii=False, indent=2), encoding="utf-8-sig")


def copy_plugin(src: Path, dest: Path, files: Iterable[str] = PLUGIN_FILES) -> list[str]:
    """Copy the plugin's files (not symlinks) from ``src`` into ``dest``; return what was copied."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    copied: list[str] = []
    for name in files:
        item = src / name
        if item.is_dir():
            shutil.copytree(item, dest / name, ignore=_COPY_IGNORE)
        elif item.is_file():
            shutil.copy2(item, dest / name)
        else:
            continue
        copied.append(name)
    return copied


class AstrBotInstance:
    """One AstrBot process on 127.0.0.1 with its own scratch root.

    Lifecycle: :meth:`setup` → :meth:`start` → :meth:`login` (implicit) → :meth:`chat` /
    :meth:`api` → :meth:`stop` (also on ``__exit__`` and at interpreter exit).
    """

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
        self.proc: subprocess.Popen[bytes] | None = None
        self.token: str | None = None
        self.startup_seconds: float | None = None
        self.plugin_installed = False
        self._client = httpx.Client(base_url=self.base_url, timeout=30.0, trust_env=False)
        self._atexit_registered = False

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
        return self.root / "astrbot.out"

    @property
    def plugin_dest(self) -> Path:
        """Where this repository's plugin is installed."""
        return self.data_dir / "plugins" / PLUGIN_DIR_NAME

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        # conftest.py exports ASTRBOT_ROOT for the test process; the child must use ours.
        env["ASTRBOT_ROOT"] = str(self.root)
        env.update(
            DASHBOARD_HOST="127.0.0.1",
            DASHBOARD_PORT=str(self.port),
            ASTRBOT_DASHBOARD_HOST="127.0.0.1",
            ASTRBOT_DASHBOARD_PORT=str(self.port),
            ASTRBOT_DISABLE_METRICS="1",
            PYTHONUNBUFFERED="1",
            ASTRBOT_DASHBOARD_INITIAL_PASSWORD=self.password,
        )
        return env

    # ----------------------------------------------------------------- setup
    def setup(
        self,
        providers: list[ProviderSpec],
        default_provider_id: str,
        extra_plugins: Iterable[Path] = (),
        *,
        config_patch: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        """Create the root: ``astrbot init -y``, install plugins, patch ``cmd_config.json``.

        The repository plugin is copied only when ``plugin_src/main.py`` exists.
        ``config_patch`` may mutate the config dict last.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        init = subprocess.run(
            [str(self.astrbot_exe), "init", "-y"],
            cwd=self.root,
            env=self._env(),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if init.returncode != 0 or not self.config_path.exists():
            raise HarnessError(f"astrbot init failed ({init.returncode}): {init.stderr[-2000:]}")
        plugins = self.data_dir / "plugins"
        plugins.mkdir(parents=True, exist_ok=True)
        if (self.plugin_src / "main.py").exists():
            copy_plugin(self.plugin_src, self.plugin_dest)
            self.plugin_installed = True
        for extra in extra_plugins:
            extra = Path(extra)
            shutil.copytree(extra, plugins / extra.name, ignore=_COPY_IGNORE, dirs_exist_ok=True)
        config = read_cmd_config(self.config_path)
        self.patch_config(config, providers, default_provider_id)
        if config_patch is not None:
            config_patch(config)
        write_cmd_config(self.config_path, config)

    def patch_config(
        self, config: dict[str, Any], providers: list[ProviderSpec], default_provider_id: str
    ) -> None:
        """Apply loopback, quiet and provider settings to a ``cmd_config.json`` dict."""
        dashboard = config.setdefault("dashboard", {})
        dashboard["host"] = "127.0.0.1"
        dashboard["port"] = self.port
        limit = dashboard.setdefault("auth_rate_limit", {})
        limit["enable"] = False
        config["disable_metrics"] = True
        config["t2i_strategy"] = "local"
        config["pypi_index_url"] = PYPI_SIMPLE
        config["provider_sources"] = [p.source_entry() for p in providers]
        config["provider"] = [p.provider_entry() for p in providers]
        runner = config.setdefault("agent_runner", {})
        runner.setdefault("runner_type", "local")
        model = runner.setdefault("config", {}).setdefault("model", {})
        model["provider_id"] = default_provider_id

    # --------------------------------------------------------------- process
    def start(self, timeout: float = 60.0) -> float:
        """Start ``astrbot run`` and wait until the dashboard answers; return the startup time."""
        if self.proc is not None and self.proc.poll() is None:
            raise HarnessError(f"AstrBot already running (pid {self.proc.pid})")
        if not (self.root / ".astrbot").exists():
            raise HarnessError(f"{self.root} is not initialised; call setup() first")
        env = self._env()
        env.pop("ASTRBOT_DASHBOARD_INITIAL_PASSWORD", None)
        started = time.monotonic()
        with self.log_path.open("ab") as out:
            self.proc = subprocess.Popen(
                [str(self.astrbot_exe), "run"],
                cwd=self.root,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        (self.root / "astrbot.pid").write_text(str(self.proc.pid))
        if not self._atexit_registered:
            atexit.register(self.stop)
            self._atexit_registered = True
        deadline = started + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise HarnessError(
                    f"AstrBot exited with {self.proc.returncode} during startup:\n"
                    + self.log_tail()
                )
            try:
                resp = self._client.get("/api/v1/auth/setup-status", timeout=2.0)
                if resp.status_code < 500:
                    self.startup_seconds = time.monotonic() - started
                    return self.startup_seconds
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        self.stop()
        raise HarnessError(f"AstrBot not ready after {timeout:.0f}s:\n" + self.log_tail())

    @property
    def pid(self) -> int | None:
        """PID of the running ``astrbot run`` process."""
        return self.proc.pid if self.proc is not None else None

    def is_running(self) -> bool:
        """Whether the AstrBot process is alive."""
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM the AstrBot PID, wait ``timeout`` seconds, then SIGKILL. Idempotent."""
        code = stop_process(self.proc, timeout)
        self.token = None
        return code

    def close(self) -> None:
        """Stop the process and close the HTTP client."""
        self.stop()
        self._client.close()

    def __enter__(self) -> AstrBotInstance:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ logs
    def log_text(self, *, strip_ansi: bool = True) -> str:
        """The whole ``astrbot.out`` so far (ANSI colour codes removed unless asked not to)."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""
        return _ANSI.sub("", text) if strip_ansi else text

    def log_tail(self, lines: int = 60) -> str:
        """The last ``lines`` lines of ``astrbot.out``."""
        return "\n".join(self.log_text().splitlines()[-lines:])

    def wait_for_log(self, needle: str, timeout: float = 10.0, *, start: int = 0) -> bool:
        """Wait until ``needle`` appears in the log after character offset ``start``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if needle in self.log_text()[start:]:
                return True
            time.sleep(0.2)
        return False

    # ------------------------------------------------------------------- API
    def login(self) -> str:
        """``POST /api/v1/auth/login`` and remember the JWT."""
        resp = self._client.post(
            "/api/v1/auth/login", json={"username": "astrbot", "password": self.password}
        )
        body = _json_or_text(resp)
        if resp.status_code != 200 or not isinstance(body, dict) or body.get("status") != "ok":
            raise AstrBotAPIError(f"login failed: {body!r}", resp.status_code, body)
        self.token = str(body["data"]["token"])
        return self.token

    def _headers(self) -> dict[str, str]:
        if self.token is None:
            self.login()
        return {"Authorization": f"Bearer {self.token}"}

    def request(self, method: str, path: str, json: Any = None, **kwargs: Any) -> httpx.Response:
        """Authenticated raw request; ``path`` without ``/api`` gets the ``/api/v1`` prefix."""
        if not path.startswith("/api"):
            path = "/api/v1" + (path if path.startswith("/") else "/" + path)
        return self._client.request(method, path, json=json, headers=self._headers(), **kwargs)

    def api(self, method: str, path: str, json: Any = None, *, check: bool = True) -> Any:
        """Authenticated dashboard call returning the decoded body.

        With ``check`` (default) an HTTP error or a body whose ``status`` is not ``"ok"``
        raises :class:`AstrBotAPIError`.
        """
        resp = self.request(method, path, json)
        body = _json_or_text(resp)
        if check and (
            resp.status_code >= 400 or (isinstance(body, dict) and body.get("status") != "ok")
        ):
            raise AstrBotAPIError(
                f"{method} {path} -> HTTP {resp.status_code}: {str(body)[:500]}",
                resp.status_code,
                body,
            )
        return body

    def iter_chat_events(
        self,
        message: str,
        *,
        stream: bool = True,
        session_id: str | None = None,
        provider_id: str | None = None,
        timeout: float = 90.0,
    ) -> Iterator[dict[str, Any]]:
        """Yield the decoded SSE ``data:`` objects of one chat turn as they arrive."""
        payload: dict[str, Any] = {
            "message": message,
            "session_id": session_id or f"e2e-{uuid.uuid4().hex[:12]}",
            "enable_streaming": stream,
        }
        if provider_id:
            payload["selected_provider"] = provider_id
        with self._client.stream(
            "POST",
            "/api/v1/chat",
            json=payload,
            headers={**self._headers(), "Accept": "text/event-stream"},
            timeout=httpx.Timeout(timeout, connect=5.0),
        ) as resp:
            if resp.status_code != 200:
                resp.read()
                raise AstrBotAPIError(
                    f"chat -> HTTP {resp.status_code}: {resp.text[:500]}",
                    resp.status_code,
                    resp.text,
                )
            for line in resp.iter_lines():
                if not line.startswith("data:"):
                    continue
                raw = line[5:].strip()
                if not raw:
                    continue
                try:
                    event = json.loads(raw)
                except ValueError:
                    event = {"type": "unparsed", "data": raw}
                if isinstance(event, dict):
                    yield event

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
        """Send one WebChat message and collect the reply (see :func:`parse_chat_events`).

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
    def reload_plugin(self, plugin_id: str = PLUGIN_DIR_NAME) -> Any:
        """``POST /api/v1/plugins/reload``."""
        return self.api("POST", "/plugins/reload", {"plugin_id": plugin_id})

    def set_plugin_enabled(self, enabled: bool, plugin_id: str = PLUGIN_DIR_NAME) -> Any:
        """``PATCH /api/v1/plugins/enabled``."""
        return self.api("PATCH", "/plugins/enabled", {"plugin_id": plugin_id, "enabled": enabled})

    def set_provider_enabled(self, provider_id: str, enabled: bool) -> Any:
        """``PATCH /api/v1/providers/enabled``."""
        return self.api(
            "PATCH", "/providers/enabled", {"provider_id": provider_id, "enabled": enabled}
        )

    def test_provider(self, provider_id: str) -> Any:
        """``POST /api/v1/providers/{id}/test``; returns the ``data`` dict."""
        return self.api("POST", f"/providers/{provider_id}/test")["data"]


class UpstreamProcess:
    """``python -m tools.upstream`` as a subprocess on 127.0.0.1 (stopped by PID).

    ``requests()`` reads the JSONL log of every request the fake upstream received.
    """

    def __init__(
        self,
        workdir: Path,
        *,
        port: int = 0,
        api_key: str | None = None,
        name: str = "upstream",
    ) -> None:
        self.workdir = Path(workdir)
        self.port = port or free_port()
        self.api_key = api_key
        self.log_path = self.workdir / f"{name}_requests.jsonl"
        self.out_path = self.workdir / f"{name}.out"
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 20.0) -> str:
        """Start the process and wait for its ``upstream ready <url>`` line; return the URL."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        cmd = [
            sys.executable,
            "-m",
            "tools.upstream",
            "--port",
            str(self.port),
            "--log",
            str(self.log_path),
        ]
        if self.api_key:
            cmd += ["--api-key", self.api_key]
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
        with self.out_path.open("ab") as out:
            self.proc = subprocess.Popen(
                cmd,
                cwd=REPO,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        atexit.register(self.stop)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.out_path.read_text(encoding="utf-8", errors="replace")
            for line in text.splitlines():
                if line.startswith("upstream ready "):
                    self.base_url = line.split(" ", 2)[2].strip()
                    return self.base_url
            if self.proc.poll() is not None:
                raise HarnessError(f"upstream exited with {self.proc.returncode}:\n{text[-2000:]}")
            time.sleep(0.1)
        self.stop()
        raise HarnessError(f"upstream not ready after {timeout:.0f}s")

    @property
    def pid(self) -> int | None:
        """PID of the upstream process."""
        return self.proc.pid if self.proc is not None else None

    def requests(self) -> list[dict[str, Any]]:
        """Every logged request record (one JSON object per line)."""
        if not self.log_path.exists():
            return []
        records = []
        for line in self.log_path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                records.append(json.loads(line))
        return records

    def stop(self, timeout: float = 5.0) -> int | None:
        """SIGTERM the PID, then SIGKILL after ``timeout`` seconds. Idempotent."""
        return stop_process(self.proc, timeout)

    def __enter__(self) -> UpstreamProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class BackgroundUpstream:
    """An in-process ``tools.upstream.FakeUpstream`` on its own event loop in a daemon thread.

    For synchronous code (pytest module fixtures): ``requests`` is the live list of
    ``RecordedRequest`` objects (headers unredacted), ``enqueue`` is thread-safe.
    ``kwargs`` go to ``FakeUpstream`` (e.g. ``api_keys=[...]``, ``log_path=...``).
    """

    def __init__(self, **kwargs: Any) -> None:
        import asyncio
        import threading

        from tools.upstream import FakeUpstream

        self._asyncio = asyncio
        self.upstream = FakeUpstream(**kwargs)
        self.loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="fake-upstream", daemon=True)
        self._stopped: Any = None

    def _run(self) -> None:
        asyncio = self._asyncio
        asyncio.set_event_loop(self.loop)

        async def main() -> None:
            self._stopped = asyncio.Event()
            try:
                await self.upstream.start()
            except BaseException as exc:
                self._error = exc
                self._ready.set()
                return
            self._ready.set()
            try:
                await self._stopped.wait()
            finally:
                await self.upstream.stop()

        try:
            self.loop.run_until_complete(main())
        finally:
            self.loop.close()

    def start(self, timeout: float = 10.0) -> str:
        """Start the thread and the server; return ``api_base``."""
        self._thread.start()
        if not self._ready.wait(timeout):
            raise HarnessError("fake upstream did not start")
        if self._error is not None:
            raise HarnessError(f"fake upstream failed to start: {self._error!r}")
        return self.api_base

    @property
    def api_base(self) -> str:
        """``http://127.0.0.1:PORT/v1``."""
        return self.upstream.api_base

    @property
    def requests(self) -> list[Any]:
        """Every ``RecordedRequest`` received so far."""
        return self.upstream.requests

    def enqueue(self, script: Any, *, path: str = "/v1/responses") -> None:
        """Queue a script for the next request to ``path`` (thread-safe)."""
        self.loop.call_soon_threadsafe(lambda: self.upstream.enqueue(script, path=path))

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server and join the thread. Idempotent."""
        if self._thread.is_alive() and self._stopped is not None:
            with contextlib.suppress(RuntimeError):
                self.loop.call_soon_threadsafe(self._stopped.set)
            self._thread.join(timeout)

    def __enter__(self) -> BackgroundUpstream:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _json_or_text(resp: httpx.Response) -> Any:
    try:
        return resp.json()
    except ValueError:
        return resp.text
