"""One request as the fake upstream received it (what scripts and tests look at)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class RecordedRequest:
    """One request as received: ``headers`` lower-cased, ``body`` the parsed JSON or None."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    raw_len: int
    query: str = ""
    raw: bytes = field(default=b"", repr=False)

    @property
    def json(self) -> Any:
        """Alias of :attr:`body` (the parsed JSON body, or None)."""
        return self.body
