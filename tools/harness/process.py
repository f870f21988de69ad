"""One ``astrbot`` process in a scratch root on 127.0.0.1: init, run, logs, stop by PID.

Hosts differ, and :func:`init_root` finds out by trying: ``astrbot init -y`` (4.27+) skips
the prompts; older hosts reject ``-y`` and ask for confirmation on stdin. Hosts before 4.25
do not ship their WebUI: ``init`` and ``run`` then download it (no network here) and stop
when that fails, so such a root gets a placeholder version file of the WebUI
(``data/dist/assets/version``): the dashboard API then runs without the web pages.
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tools.plugin_root import REPO
from tools.processes import stop_process

from .errors import HarnessError

#: Environment variable naming the ``astrbot`` executable to run (another host's venv).
ASTRBOT_EXE_ENV = "ASTRBOT_EXE"
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def find_astrbot_exe() -> Path:
    """``$ASTRBOT_EXE``, else the ``astrbot`` script next to the running interpreter, else
    ``.venv/bin/astrbot``, else the one on PATH."""
    override = os.environ.get(ASTRBOT_EXE_ENV)
    if override:
        if not Path(override).exists():
            raise HarnessError(f"{ASTRBOT_EXE_ENV}={override} does not exist")
        return Path(override)
    for candidate in (Path(sys.executable).with_name("astrbot"), REPO / ".venv/bin/astrbot"):
        if candidate.exists():
            return candidate
    found = shutil.which("astrbot")
    if found:
        return Path(found)
    raise HarnessError("astrbot executable not found (pip install -r requirements-dev.txt)")


def free_port() -> int:
    """Return a currently free TCP port on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def host_env(root: Path, port: int, password: str) -> dict[str, str]:
    """The environment of every ``astrbot`` command for ``root`` (loopback dashboard)."""
    env = dict(os.environ)
    env.update(
        ASTRBOT_ROOT=str(root),  # the test process exports its own; the child uses ours
        DASHBOARD_HOST="127.0.0.1",
        DASHBOARD_PORT=str(port),
        ASTRBOT_DASHBOARD_HOST="127.0.0.1",
        ASTRBOT_DASHBOARD_PORT=str(port),
        ASTRBOT_DISABLE_METRICS="1",
        PYTHONUNBUFFERED="1",
        ASTRBOT_DASHBOARD_INITIAL_PASSWORD=password,
    )
    return env


def host_ships_webui(exe: Path) -> bool:
    """Whether the AstrBot package that ``exe`` runs contains its WebUI (``dashboard/dist``).

    Asked from the host's own interpreter (next to ``exe``) without importing AstrBot.
    """
    python = exe.with_name("python")
    probe = (
        "import importlib.util, pathlib; s = importlib.util.find_spec('astrbot');"
        "print((pathlib.Path(s.origin).parent / 'dashboard' / 'dist').is_dir())"
    )
    done = subprocess.run(
        [str(python if python.exists() else sys.executable), "-c", probe],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return done.stdout.strip() == "True"


def init_root(exe: Path, root: Path, env: dict[str, str]) -> None:
    """``astrbot init`` in ``root`` without prompts; raise :class:`HarnessError` on failure."""
    if not host_ships_webui(exe):
        version = root / "data" / "dist" / "assets" / "version"
        version.parent.mkdir(parents=True, exist_ok=True)
        version.write_text("v99.0.0\n", encoding="utf-8")  # "up to date": no download

    def run(args: list[str], answers: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(exe), "init", *args],
            cwd=root,
            env=env,
            input=answers,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    done = run(["-y"])
    if done.returncode == 2 and "-y" in done.stderr:  # click: "No such option: -y"
        done = run([], answers="y\n" * 4)
    if done.returncode != 0 or not (root / "data" / "cmd_config.json").exists():
        output = (done.stdout + done.stderr)[-2000:]
        raise HarnessError(f"astrbot init failed ({done.returncode}): {output}")


class AstrBotProcess:
    """``astrbot run`` in ``root`` (stdout+stderr to ``root/astrbot.out``), stopped by PID."""

    def __init__(self, exe: Path, root: Path, env: dict[str, str]) -> None:
        self.exe = exe
        self.root = root
        self.env = env
        self.proc: subprocess.Popen[bytes] | None = None
        self._atexit = False

    @property
    def log_path(self) -> Path:
        """Combined stdout+stderr of ``astrbot run``."""
        return self.root / "astrbot.out"

    @property
    def pid(self) -> int | None:
        """PID of the running process."""
        return self.proc.pid if self.proc is not None else None

    def is_running(self) -> bool:
        """Whether the process is alive."""
        return self.proc is not None and self.proc.poll() is None

    def start(self, ready_url: str, timeout: float) -> float:
        """Start and wait until ``ready_url`` answers any HTTP status below 500; return the
        seconds it took. The initial password variable is dropped (``init`` used it)."""
        if self.is_running():
            raise HarnessError(f"AstrBot already running (pid {self.pid})")
        env = dict(self.env)
        env.pop("ASTRBOT_DASHBOARD_INITIAL_PASSWORD", None)
        started = time.monotonic()
        with self.log_path.open("ab") as out:
            self.proc = subprocess.Popen(
                [str(self.exe), "run"],
                cwd=self.root,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        (self.root / "astrbot.pid").write_text(str(self.proc.pid))
        if not self._atexit:
            atexit.register(self.stop)
            self._atexit = True
        deadline = started + timeout
        with httpx.Client(timeout=2.0, trust_env=False) as probe:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise HarnessError(
                        f"AstrBot exited with {self.proc.returncode} during startup:\n"
                        + self.log_tail()
                    )
                try:
                    if probe.get(ready_url).status_code < 500:
                        return time.monotonic() - started
                except httpx.HTTPError:
                    pass
                time.sleep(0.25)
        self.stop()
        raise HarnessError(f"AstrBot not ready after {timeout:.0f}s:\n" + self.log_tail())

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM the PID, wait ``timeout`` seconds, then SIGKILL. Idempotent."""
        return stop_process(self.proc, timeout)

    def log_text(self, *, strip_ansi: bool = True) -> str:
        """The whole log so far (ANSI colour codes removed unless asked not to)."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""
        return _ANSI.sub("", text) if strip_ansi else text

    def log_tail(self, lines: int = 60) -> str:
        """The last ``lines`` lines of the log."""
        return "\n".join(self.log_text().splitlines()[-lines:])

    def wait_for_log(self, needle: str, timeout: float = 10.0, *, start: int = 0) -> bool:
        """Wait until ``needle`` appears in the log after character offset ``start``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if needle in self.log_text()[start:]:
                return True
            time.sleep(0.2)
        return False
