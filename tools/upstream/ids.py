"""OpenAI-style identifiers (``resp_…``, ``msg_…``, ``fc_…``, ``call_…``, ``rs_…``)."""

from __future__ import annotations

import secrets


def new_id(prefix: str, nbytes: int = 12) -> str:
    """Return ``<prefix>_<random hex>``, e.g. ``new_id("fc")`` → ``fc_3f2a…``."""
    return f"{prefix}_{secrets.token_hex(nbytes)}"
