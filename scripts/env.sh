# Source this file: puts the project's Node.js 24 and pinned tools first on PATH.
# Every project command (.ci/run, the README's commands, the npm scripts) runs through it.
WASMGATE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export WASMGATE_ROOT
# scripts/bin holds the `wasmgate` command of this checkout (the README's `wasmgate ...` commands).
export PATH="$WASMGATE_ROOT/.node/node_modules/.bin:$WASMGATE_ROOT/scripts/bin:$WASMGATE_ROOT/.tools/bin:$WASMGATE_ROOT/node_modules/.bin:$PATH"
