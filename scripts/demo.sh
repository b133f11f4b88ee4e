#!/usr/bin/env bash
# The demo: a real OpenClaw gateway on 127.0.0.1 with package-guard loaded, driven through its tools and RPC.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/provision.sh"
cd "$PG_ROOT"
npm run --silent build
exec node --import tsx scripts/demo.ts "$@"
