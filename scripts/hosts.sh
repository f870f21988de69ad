#!/usr/bin/env bash
# Run tests/e2e against the oldest AstrBot metadata.yaml declares and the newest on the
# registry, each in a fresh uv venv (tools/host_matrix.py). Extra args go to host_matrix.
set -uo pipefail
# shellcheck source=scripts/_venv.sh
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh" || exit 1
cd "$REPO_ROOT" || exit 1
exec "$VENV_PY" -m tools.host_matrix "$@"
