#!/usr/bin/env bash
# The whole test suite: provisions what it needs, builds the plugin, then runs unit, integration and e2e tests.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/provision.sh"
cd "$PG_ROOT"
npm run --silent build
npx tsc -p tsconfig.json --noEmit
npx vitest run "$@"
