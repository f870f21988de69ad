"""Test bootstrap: import the plugin exactly the way AstrBot does.

AstrBot imports a plugin as ``data.plugins.<dir>.main`` from its root. We build a scratch
root (``ASTRBOT_ROOT``) outside the repo, link the repository into
``<root>/data/plugins/astrbot_plugin_openai_responses`` and put the root on ``sys.path``.
Importing ``astrbot.core`` writes into the root, never into the repository.

Tests import plugin modules as ``data.plugins.astrbot_plugin_openai_responses.provider.…``;
the short alias :data:`PKG` holds that prefix.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PLUGIN_DIR = "astrbot_plugin_openai_responses"
PKG = f"data.plugins.{PLUGIN_DIR}"

_root = Path(os.environ.get("PLUGIN_TEST_ROOT") or tempfile.mkdtemp(prefix="astrbot-test-root-"))
(_root / "data" / "plugins").mkdir(parents=True, exist_ok=True)
_link = _root / "data" / "plugins" / PLUGIN_DIR
if not _link.exists():
    _link.symlink_to(REPO, target_is_directory=True)
os.environ["ASTRBOT_ROOT"] = str(_root)
os.chdir(_root)
if str(_root) not in sys.path:
    sys.path.insert(0, str(_root))
if str(REPO) not in sys.path:
    sys.path.append(str(REPO))  # tools/ and benchmarks/ helpers

import astrbot.core  # noqa: E402,F401  (writes <root>/data/cmd_config.json, not the repo)
