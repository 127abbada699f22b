#!/usr/bin/env bash
# The main job on the bundled example: the seed's myapp declaration emitted
# into ./out, with the plan (and diff) printed first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
node bin/atelier-emit.js --config fixtures/seed/atelier.yaml --out out --dry-run --no-color
node bin/atelier-emit.js --config fixtures/seed/atelier.yaml --out out --no-color
