#!/usr/bin/env bash
# Lint (ruff), type-check (mypy --strict on provider/, settings in pyproject.toml), then run
# the test suite. Extra args go to pytest.
#   bash scripts/test.sh          everything: unit, integration and e2e (CI runs this)
#   bash scripts/test.sh --fast   the edit loop: unit + integration, no AstrBot process started
#                                 (tests/e2e and anything marked e2e are left out); lint and
#                                 type check as above
# Exits non-zero on any failure, including "no tests collected" (pytest exit 5).
set -uo pipefail
# shellcheck source=scripts/_venv.sh
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh" || exit 1
cd "$REPO_ROOT" || exit 1

targets=(tests)
if [ "${1:-}" = "--fast" ]; then
    shift
    targets=(tests/unit tests/integration -m "not e2e")
fi

"$VENV/bin/ruff" check . || { echo "ruff check failed" >&2; exit 1; }
"$VENV/bin/ruff" format --check . || { echo "ruff format --check failed: run ruff format ." >&2; exit 1; }
"$VENV/bin/mypy" || { echo "mypy failed (settings: [tool.mypy] in pyproject.toml)" >&2; exit 1; }

"$VENV_PY" -m pytest -q "${targets[@]}" "$@"
rc=$?
if [ "$rc" -eq 5 ]; then
    echo "pytest collected no tests (exit 5): treating as failure" >&2
    exit 5
fi
exit "$rc"
