"""Import the plugin exactly the way AstrBot does (same idea as ``tests/conftest.py``).

AstrBot imports a plugin as ``data.plugins.<dir>.main`` from its root. We build a scratch
root (``ASTRBOT_ROOT``, or ``BENCH_ROOT`` when set) outside the repository, link the
repository into ``<root>/data/plugins/astrbot_plugin_openai_responses``, put the root on
``sys.path`` and import ``astrbot.core`` (which writes into the root, never the repository).

Import this module before anything from ``astrbot`` or the plugin. It changes the working
directory to the scratch root; use :data:`REPO` for paths inside the repository.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parents[1]))  # for tools/
from tools.plugin_root import PKG, PLUGIN_DIR, REPO, enter_plugin_root

__all__ = ["PKG", "PLUGIN_DIR", "REPO", "ROOT"]

ROOT = enter_plugin_root(os.environ.get("BENCH_ROOT"), "astrbot-bench-root-")
