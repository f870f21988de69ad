#!/usr/bin/env bash
# Lint, then run the whole test suite (unit, integration and e2e). Extra args go to pytest.
# Exits non-zero on any failure, including "no tests collected" (pytest exit 5).
set -uo pipefail
# shellcheck source=scripts/_venv.sh
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh" || exit 1
cd "$REPO_ROOT" || exit 1

"$VENV/bin/ruff" check . || { echo "ruff check failed" >&2; exit 1; }
"$VENV/bin/ruff" format --check . || { echo "ruff format --check failed: run ruff format ." >&2; exit 1; }

"$VENV_PY" -m pytest -q tests "$@"
rc=$?
if [ "$rc" -eq 5 ]; then
    echo "pytest collected no tests (exit 5): treating as failure" >&2
    exit 5
fi
exit "$rc"
