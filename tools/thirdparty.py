"""Third-party Responses servers from the package registries, installed on demand.

Checks the plugin against code nobody here wrote (their deviations:
specs/004-responses-wire-format/spec.md §"Third-party deviations"):

* ``llmock`` (PyPI, :data:`LLMOCK_SPEC`): a generic mock; calls any offered tool, answers in
  text once the last input item is a ``function_call_output``; scriptable replies and faults
  through its ``/_llmock`` control API; ``/_llmock/requests`` is its request journal.
* ``aimock`` (npm, :data:`AIMOCK_SPEC`): JSON fixtures (match on the last user text, on
  whether the turn carries a tool result, …); reasoning items with ``encrypted_content``
  when ``include`` asks for them; ``/__aimock/journal`` lists what it received.
* ``mock-ai-api`` (PyPI, :data:`MOCK_AI_API_SPEC`): canned answers chosen by the model name
  (``gpt-4.1`` → a fixed greeting, ``gpt-4.1:mock-401`` → an HTTP error, …); its part events
  carry no ``item_id``.
* ``llm-mock-api`` (PyPI, :data:`LLM_MOCK_API_SPEC`): JSON5 rules (match on the last user
  text and the offered tools; text, reasoning, tool calls, reply sequences); ``data:``-only
  SSE with ``sequence_number``.

All are installed OUTSIDE the plugin's dev venv, under :func:`thirdparty_home`
(``<repo>/.thirdparty``, gitignored; ``THIRDPARTY_HOME`` overrides it): the PyPI servers each
in their own venv (``python -m venv --without-pip`` + the running interpreter's
``pip --python``), aimock with ``npm install --prefix``. An install is done once (a stamp
file names the exact spec) and guarded by a file lock, so parallel test processes do not race.

An install that fails because the registry cannot be reached raises
:class:`RegistryUnreachable` (tests skip on it); any other failure raises
:class:`ThirdPartyError`. Servers listen on 127.0.0.1, on a free port, log to a file (never to
the test's stdout) and are stopped by their PID.

CLI (manual debugging)::

    python -m tools.thirdparty install llmock|aimock|mock-ai-api|llm-mock-api
    python -m tools.thirdparty serve llmock [--fixtures f.json] [--rules r.json5]  # Ctrl+C
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx

from tools.processes import stop_process

REPO = Path(__file__).resolve().parents[1]
LLMOCK_SPEC = "llmock==0.2.2"
MOCK_AI_API_SPEC = "mock-ai-api==0.1.1"
LLM_MOCK_API_SPEC = "llm-mock-api==0.1.2"
AIMOCK_SPEC = "@copilotkit/aimock@1.43.0"
AIMOCK_PACKAGE = "@copilotkit/aimock"
INSTALL_TIMEOUT = 600.0
STAMP = ".installed"

#: Output of pip / npm that means "the registry could not be reached" (not "bad package").
_NETWORK_MARKERS = re.compile(
    r"NewConnectionError|ConnectTimeoutError|ReadTimeoutError|ProxyError|"
    r"connection broken by|Max retries exceeded|Temporary failure in name resolution|"
    r"Name or service not known|Network is unreachable|No route to host|"
    r"Failed to establish a new connection|"
    r"ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|"
    r"network request to .* failed|request to .* failed, reason",
    re.IGNORECASE,
)


class ThirdPartyError(RuntimeError):
    """A third-party server could not be installed, started or talked to."""


class RegistryUnreachable(ThirdPartyError):
    """The install failed because the package registry could not be reached."""


def thirdparty_home() -> Path:
    """Where installs are cached: ``$THIRDPARTY_HOME`` or ``<repo>/.thirdparty``."""
    return Path(os.environ.get("THIRDPARTY_HOME") or REPO / ".thirdparty").resolve()


def free_port() -> int:
    """A currently free TCP port on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive ``flock`` on ``path`` (created) for the duration of the block."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _run_installer(cmd: Sequence[str], what: str, *, env: dict[str, str] | None = None) -> None:
    """Run one install command; classify a failure as unreachable registry or real error."""
    try:
        done = subprocess.run(
            list(cmd),
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT,
            env=env,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise RegistryUnreachable(
            f"installing {what} timed out after {INSTALL_TIMEOUT:.0f} s"
        ) from exc
    except FileNotFoundError as exc:
        raise ThirdPartyError(f"installing {what}: {cmd[0]} not found") from exc
    if done.returncode == 0:
        return
    output = f"{done.stdout}\n{done.stderr}"
    lines = [ln for ln in output.splitlines() if ln.strip() and "is ignored" not in ln]
    tail = "\n".join(lines[-15:])
    if _NETWORK_MARKERS.search(output):
        raise RegistryUnreachable(f"package registry unreachable while installing {what}:\n{tail}")
    raise ThirdPartyError(f"installing {what} failed (exit {done.returncode}):\n{tail}")


def _stamped(directory: Path, spec: str) -> bool:
    stamp = directory / STAMP
    return stamp.is_file() and stamp.read_text(encoding="utf-8").strip() == spec


def _install_pypi(name: str, spec: str, script: str, home: Path | None) -> Path:
    """Install ``spec`` into its own venv ``<home>/<name>/venv`` (once); return the path of
    its console ``script``."""
    directory = (home or thirdparty_home()) / name
    venv = directory / "venv"
    exe = venv / "bin" / script
    with _locked(directory.parent / ".lock"):
        if _stamped(directory, spec) and exe.exists():
            return exe
        if directory.exists():
            shutil.rmtree(directory)
        directory.mkdir(parents=True)
        _run_installer([sys.executable, "-m", "venv", "--without-pip", str(venv)], "a venv")
        _run_installer(
            [
                sys.executable,
                "-m",
                "pip",
                "--python",
                str(venv / "bin" / "python"),
                "install",
                "-q",
                "--disable-pip-version-check",
                "--timeout",
                "30",
                "--retries",
                "2",
                spec,
            ],
            spec,
        )
        if not exe.exists():
            raise ThirdPartyError(f"{spec} installed but {exe} is missing")
        (directory / STAMP).write_text(spec + "\n", encoding="utf-8")
        return exe


def install_llmock(home: Path | None = None) -> Path:
    """Install :data:`LLMOCK_SPEC` into its own venv (once); return its ``llmock`` script."""
    return _install_pypi("llmock", LLMOCK_SPEC, "llmock", home)


def install_mock_ai_api(home: Path | None = None) -> Path:
    """Install :data:`MOCK_AI_API_SPEC` into its own venv (once); return its script."""
    return _install_pypi("mock-ai-api", MOCK_AI_API_SPEC, "mock-ai-api", home)


def install_llm_mock_api(home: Path | None = None) -> Path:
    """Install :data:`LLM_MOCK_API_SPEC` into its own venv (once); return its script."""
    return _install_pypi("llm-mock-api", LLM_MOCK_API_SPEC, "llm-mock-api", home)


def install_aimock(home: Path | None = None) -> Path:
    """Install :data:`AIMOCK_SPEC` with npm (once); return the path of its server CLI (JS)."""
    directory = (home or thirdparty_home()) / "aimock"
    package = directory / "node_modules" / AIMOCK_PACKAGE
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        raise ThirdPartyError("node/npm not on PATH: cannot install " + AIMOCK_SPEC)
    with _locked(directory.parent / ".lock"):
        if not (_stamped(directory, AIMOCK_SPEC) and (package / "package.json").exists()):
            if directory.exists():
                shutil.rmtree(directory)
            directory.mkdir(parents=True)
            (directory / "package.json").write_text('{"private": true}\n', encoding="utf-8")
            _run_installer(
                [
                    npm,
                    "install",
                    "--prefix",
                    str(directory),
                    "--no-audit",
                    "--no-fund",
                    "--no-package-lock",
                    "--fetch-retries",
                    "2",
                    "--fetch-timeout",
                    "30000",
                    "--fetch-retry-mintimeout",
                    "1000",
                    "--fetch-retry-maxtimeout",
                    "4000",
                    "--loglevel",
                    "error",
                    AIMOCK_SPEC,
                ],
                AIMOCK_SPEC,
            )
            (directory / STAMP).write_text(AIMOCK_SPEC + "\n", encoding="utf-8")
        meta = json.loads((package / "package.json").read_text(encoding="utf-8"))
        # the flag-driven server CLI (``-p``, ``-f``); ``aimock`` itself wants a config file
        cli = package / meta["bin"]["llmock"]
        if not cli.exists():
            raise ThirdPartyError(f"{AIMOCK_SPEC} installed but {cli} is missing")
        return cli


class ServerProcess:
    """One server process on 127.0.0.1: started, polled for readiness, stopped by PID.

    ``command`` is built per attempt from the port (a port taken between picking and
    binding makes the process exit; it is retried on a new port). Output goes to
    ``log_path``; ``health_path`` must answer 200 when the server is ready.
    """

    def __init__(
        self,
        name: str,
        command: Any,
        log_path: Path,
        *,
        health_path: str = "/health",
        env: dict[str, str] | None = None,
    ) -> None:
        self.name = name
        self._command = command
        self.log_path = Path(log_path)
        self.health_path = health_path
        self.env = env
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.startup_seconds = 0.0

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        """``http://127.0.0.1:PORT/v1`` (what a provider's ``api_base`` is set to)."""
        return f"{self.base_url}/v1"

    @property
    def pid(self) -> int | None:
        """PID of the server process."""
        return self.proc.pid if self.proc is not None else None

    def start(self, timeout: float = 30.0, attempts: int = 3) -> str:
        """Start and wait until ``health_path`` answers 200; return :attr:`api_base`."""
        started = time.monotonic()
        last = ""
        for _ in range(attempts):
            self.port = free_port()
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            with self.log_path.open("ab") as out:
                self.proc = subprocess.Popen(
                    [str(part) for part in self._command(self.port)],
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    env=self.env,
                    start_new_session=True,
                )
            if self._wait_ready(started + timeout):
                self.startup_seconds = time.monotonic() - started
                return self.api_base
            last = self.log_tail()
            self.stop()
            if time.monotonic() > started + timeout:
                break
        raise ThirdPartyError(f"{self.name} did not become ready:\n{last}")

    def _wait_ready(self, deadline: float) -> bool:
        with httpx.Client(trust_env=False, timeout=2.0) as client:
            while time.monotonic() < deadline:
                if self.proc is None or self.proc.poll() is not None:
                    return False
                with contextlib.suppress(httpx.HTTPError):
                    if client.get(self.base_url + self.health_path).status_code == 200:
                        return True
                time.sleep(0.1)
        return False

    def log_tail(self, lines: int = 30) -> str:
        """The last ``lines`` lines of the server's output."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout: float = 5.0) -> int | None:
        """SIGTERM the PID, SIGKILL after ``timeout`` s. Idempotent; returns the exit code."""
        return stop_process(self.proc, timeout)

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _listen(port: int) -> list[str]:
    """The ``--host 127.0.0.1 --port PORT --log-level warning`` options the Python servers
    share."""
    return ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]


def llmock_server(log_path: Path, *, home: Path | None = None) -> ServerProcess:
    """An (unstarted) llmock server; installs llmock first if needed."""
    exe = install_llmock(home)
    env = dict(os.environ, NO_COLOR="1", TERM="dumb", PYTHONUNBUFFERED="1")

    def command(port: int) -> list[str]:
        return [str(exe), "serve", *_listen(port)]

    return ServerProcess("llmock", command, log_path, env=env)


def aimock_server(fixtures: Path, log_path: Path, *, home: Path | None = None) -> ServerProcess:
    """An (unstarted) aimock server serving ``fixtures`` (a JSON file or directory)."""
    cli = install_aimock(home)
    node = shutil.which("node") or "node"
    env = dict(os.environ, NO_COLOR="1")
    env.pop("AIMOCK_API_KEYS", None)

    def command(port: int) -> list[str]:
        return [
            node,
            str(cli),
            "--port",
            str(port),
            "--host",
            "127.0.0.1",
            "--fixtures",
            str(fixtures),
            "--log-level",
            "warn",
            "--validate-on-load",
        ]

    return ServerProcess("aimock", command, log_path, env=env)


def mock_ai_api_server(log_path: Path, *, home: Path | None = None) -> ServerProcess:
    """An (unstarted) mock-ai-api OpenAI server; installs mock-ai-api first if needed.

    Its own ``mock-ai-api`` CLI starts the OpenAI and an Anthropic app as two child
    processes that a SIGTERM to the CLI would leave running, so the OpenAI app is run
    directly with uvicorn: one process, stopped by its PID.
    """
    python = install_mock_ai_api(home).with_name("python")  # the venv's interpreter
    env = dict(os.environ, NO_COLOR="1", PYTHONUNBUFFERED="1")

    def command(port: int) -> list[str]:
        return [str(python), "-m", "uvicorn", "app.openai_app:app", *_listen(port)]

    return ServerProcess("mock-ai-api", command, log_path, env=env)


def llm_mock_api_server(rules: Path, log_path: Path, *, home: Path | None = None) -> ServerProcess:
    """An (unstarted) llm-mock-api server answering by the JSON5 ``rules`` file, without its
    default 200 ms pause between chunks; installs llm-mock-api first if needed."""
    exe = install_llm_mock_api(home)
    env = dict(os.environ, NO_COLOR="1", PYTHONUNBUFFERED="1")
    no_config = rules.parent / "llm-mock-api-no-config.json"  # not the cwd's config.json

    def command(port: int) -> list[str]:
        return [
            str(exe),
            "start",
            *("--config", str(no_config), "--rules", str(rules), "--latency", "0"),
            *_listen(port),
        ]

    # no /health route: FastAPI's schema page answers once the server is up
    return ServerProcess("llm-mock-api", command, log_path, health_path="/openapi.json", env=env)


_INSTALLERS = {
    "llmock": install_llmock,
    "aimock": install_aimock,
    "mock-ai-api": install_mock_ai_api,
    "llm-mock-api": install_llm_mock_api,
}


def main(argv: Sequence[str] | None = None) -> int:
    """``install NAME`` or ``serve NAME [--fixtures F]`` (see the module docstring)."""
    parser = argparse.ArgumentParser(prog="python -m tools.thirdparty")
    parser.add_argument("action", choices=["install", "serve"])
    parser.add_argument("server", choices=sorted(_INSTALLERS))
    parser.add_argument("--fixtures", type=Path, help="aimock fixture file or directory")
    parser.add_argument("--rules", type=Path, help="llm-mock-api JSON5 rules file")
    args = parser.parse_args(argv)
    started = time.monotonic()
    if args.action == "install":
        path = _INSTALLERS[args.server]()
        print(f"{args.server}: {path} ({time.monotonic() - started:.1f} s)")
        return 0
    log = thirdparty_home() / f"{args.server}.log"
    if args.server == "llmock":
        server = llmock_server(log)
    elif args.server == "mock-ai-api":
        server = mock_ai_api_server(log)
    elif args.server == "llm-mock-api":
        if args.rules is None:
            parser.error("llm-mock-api needs --rules")
        server = llm_mock_api_server(args.rules.resolve(), log)
    else:
        if args.fixtures is None:
            parser.error("aimock needs --fixtures")
        server = aimock_server(args.fixtures.resolve(), log)
    with server:
        print(f"{args.server} pid {server.pid} ready at {server.start()} (log {log})", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            while server.proc is not None and server.proc.poll() is None:
                time.sleep(0.5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
