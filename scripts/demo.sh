#!/usr/bin/env bash
# Run the end-to-end demo (tools/demo.py) with the project venv. Extra args go to demo.py.
set -euo pipefail
# shellcheck source=scripts/_venv.sh
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh"
cd "$REPO_ROOT"
exec "$VENV_PY" -m tools.demo "$@"
