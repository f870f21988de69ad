"""Errors of the AstrBot harness."""

from __future__ import annotations

from typing import Any


class HarnessError(RuntimeError):
    """The AstrBot instance could not be set up, started or talked to."""


class AstrBotAPIError(HarnessError):
    """A dashboard API call failed (HTTP error or ``status != "ok"``)."""

    def __init__(self, message: str, status_code: int, body: Any) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.body = body
