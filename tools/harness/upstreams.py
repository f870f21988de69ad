"""The fake Responses upstream (``tools.upstream``) for the harness: as a subprocess or on
a background thread of the current process. Both listen on 127.0.0.1 only."""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from tools.plugin_root import REPO
from tools.processes import stop_process
from tools.upstream import FakeUpstream

from .errors import HarnessError
from .process import free_port


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
        self.upstream = FakeUpstream(**kwargs)
        self.loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="fake-upstream", daemon=True)
        self._stopped: Any = None

    def _run(self) -> None:
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
