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
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PLUGIN_DIR = "astrbot_plugin_openai_responses"
#: Import prefix of the plugin's modules (``PKG + ".provider.adapter"``).
PKG = f"data.plugins.{PLUGIN_DIR}"

ROOT = Path(os.environ.get("BENCH_ROOT") or tempfile.mkdtemp(prefix="astrbot-bench-root-"))
(ROOT / "data" / "plugins").mkdir(parents=True, exist_ok=True)
_link = ROOT / "data" / "plugins" / PLUGIN_DIR
if not _link.exists():
    _link.symlink_to(REPO, target_is_directory=True)
os.environ["ASTRBOT_ROOT"] = str(ROOT)
os.chdir(ROOT)
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
if str(REPO) not in sys.path:
    sys.path.append(str(REPO))

import astrbot.core  # noqa: E402,F401  (writes <root>/data/cmd_config.json, not the repo)
