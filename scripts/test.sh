#!/usr/bin/env bash
# The whole test suite, from a fresh clone: set-up, type check, every test
# (unit, golden, real consumers, and the booted systemd host when run as root).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npx tsc -p tsconfig.json --noEmit
npx vitest run "$@"
