# shellcheck shell=bash
# Sourced by the other scripts: ensure <repo>/.venv exists (Python >= 3.12) and is in sync
# with requirements-dev.txt. Afterwards $REPO_ROOT, $VENV and $VENV_PY are set.
# Reinstalls only when requirements-dev.txt changed (its sha256 is kept in .venv).

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$REPO_ROOT/.venv"
VENV_PY="$VENV/bin/python"
_REQ="$REPO_ROOT/requirements-dev.txt"
_STAMP="$VENV/.requirements-dev.sha256"

_py_ok() {
    [ -n "${1:-}" ] && [ -x "$1" ] || command -v "$1" >/dev/null 2>&1 || return 1
    "$1" -c 'import sys; sys.exit(sys.version_info < (3,12))' >/dev/null 2>&1
}

_find_python() {
    local cand root
    for cand in python3.13 python3.12 python3; do
        if _py_ok "$cand"; then command -v "$cand"; return 0; fi
    done
    local globs=()
    if command -v pyenv >/dev/null 2>&1 && root="$(pyenv root 2>/dev/null)"; then
        globs+=("$root"/versions/3.1[23]*/bin/python)
    fi
    globs+=(/root/.pyenv/versions/3.1[23]*/bin/python)
    for cand in "${globs[@]}"; do
        if _py_ok "$cand"; then echo "$cand"; return 0; fi
    done
    return 1
}

_req_hash() {
    "$VENV_PY" -c 'import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],"rb").read()).hexdigest())' "$_REQ"
}

if [ ! -x "$VENV_PY" ] || ! _py_ok "$VENV_PY"; then
    _BASE_PY="$(_find_python)" || { echo "error: no Python >= 3.12 found" >&2; return 1 2>/dev/null || exit 1; }
    echo "creating $VENV with $_BASE_PY" >&2
    "$_BASE_PY" -m venv "$VENV" || { return 1 2>/dev/null || exit 1; }
    rm -f "$_STAMP"
fi

if [ ! -f "$_STAMP" ] || [ "$(cat "$_STAMP")" != "$(_req_hash)" ]; then
    echo "installing requirements-dev.txt into $VENV" >&2
    if "$VENV_PY" -m pip install -q --disable-pip-version-check -r "$_REQ" >&2; then
        _req_hash > "$_STAMP"
    else
        echo "error: pip install -r requirements-dev.txt failed" >&2
        return 1 2>/dev/null || exit 1
    fi
fi
unset _REQ _STAMP _BASE_PY
