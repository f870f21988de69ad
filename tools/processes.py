"""Stopping the child processes the tools start (AstrBot, upstream servers), by PID."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess


def stop_process(proc: subprocess.Popen | None, timeout: float = 5.0) -> int | None:
    """SIGTERM ``proc``, wait ``timeout`` seconds, then SIGKILL. Idempotent.

    Returns the exit code (None when there is no process).
    """
    if proc is None:
        return None
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    return proc.returncode
