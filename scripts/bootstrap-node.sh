#!/usr/bin/env bash
# Installs Node.js 24 LTS (the npm package node@24, which ships the binary) into
# the git-ignored .node/ folder, unless a Node.js 22.22+/24+ is already first on PATH
# and WASMGATE_USE_SYSTEM_NODE=1 says to use it. Idempotent.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
want_major=24
if [ "${WASMGATE_USE_SYSTEM_NODE:-0}" = 1 ]; then
  echo "bootstrap-node: using system $(node --version) (WASMGATE_USE_SYSTEM_NODE=1)"; exit 0
fi
have="$("$root/.node/node_modules/.bin/node" --version 2>/dev/null || true)"
if [[ "$have" == v${want_major}.* ]]; then
  echo "bootstrap-node: Node.js $have already in .node/"; exit 0
fi
echo "bootstrap-node: installing node@${want_major} from the npm registry into .node/ ..."
mkdir -p "$root/.node"
npm install --prefix "$root/.node" --no-audit --no-fund --loglevel=error "node@${want_major}" >/dev/null
have="$("$root/.node/node_modules/.bin/node" --version)"
[[ "$have" == v${want_major}.* ]] || { echo "bootstrap-node: expected Node.js ${want_major}, got $have" >&2; exit 1; }
echo "bootstrap-node: Node.js $have ready"
