#!/usr/bin/env bash
# One-time setup on a fresh machine: Node.js 24, the npm dependencies, the pinned test peers.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/bootstrap-node.sh"
. "$root/scripts/env.sh"
cd "$root"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
if [ "${WASMGATE_SKIP_TOOLS:-0}" != 1 ]; then bash "$root/scripts/install-tools.sh" "$@"; fi
