"""A scratch AstrBot root from which the plugin is imported exactly the way AstrBot does it.

AstrBot imports a plugin as ``data.plugins.<dir>.main`` from its root, and importing
``astrbot.core`` writes ``<root>/data/``. :func:`enter_plugin_root` builds a root outside the
repository, links the repository into ``<root>/data/plugins/astrbot_plugin_openai_responses``,
puts the root on ``sys.path``, changes into it and imports ``astrbot.core``, so nothing is
ever written into the repository. Used by ``tests/conftest.py``, ``benchmarks/_bootstrap.py``
and ``tools/soak.py``.
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


def enter_plugin_root(root: str | None, prefix: str) -> Path:
    """Prepare ``root`` (a new temporary directory named ``prefix…`` when None), set
    ``ASTRBOT_ROOT``, ``chdir`` into it and import ``astrbot.core``. Returns the root."""
    path = Path(root or tempfile.mkdtemp(prefix=prefix))
    (path / "data" / "plugins").mkdir(parents=True, exist_ok=True)
    link = path / "data" / "plugins" / PLUGIN_DIR
    if not link.exists():
        link.symlink_to(REPO, target_is_directory=True)
    os.environ["ASTRBOT_ROOT"] = str(path)
    os.chdir(path)
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))
    if str(REPO) not in sys.path:
        sys.path.append(str(REPO))
    import astrbot.core  # noqa: F401  (writes <root>/data/cmd_config.json, not the repo)

    return path
