#!/usr/bin/env bash
# The whole test suite: provisions what it needs, builds the plugin, lints, then runs unit, integration and e2e tests.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/provision.sh"
cd "$PG_ROOT"
npm run --silent build
npx tsc -p tsconfig.json --noEmit
npm run --silent lint
npx vitest run "$@"
