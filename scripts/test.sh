#!/usr/bin/env bash
# The whole test suite: type check, the policy's own Rego tests (opa test), then vitest
# (unit, integration against real peers on loopback, reliability). Runs on the project's Node.js 24.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Idempotent: Node.js 24, npm ci, the pinned real peers (fast when already there).
bash "$root/scripts/setup.sh"
# shellcheck source=scripts/env.sh
. "$root/scripts/env.sh"
cd "$root"
echo "== node $(node --version)"
echo "== typecheck"
tsc -p tsconfig.json --noEmit
echo "== opa test policies/"
if command -v opa >/dev/null; then
  opa test --fail-on-empty -v policies/ | tail -n 3
elif [ "${CI:-}" = true ]; then
  echo "opa is missing: run scripts/install-tools.sh" >&2; exit 1
else
  echo "(opa not installed: skipping policy tests; run scripts/install-tools.sh)"
fi
echo "== vitest"
results="$(mktemp -d)/vitest.json"
status=0
vitest run --reporter=default --reporter=json --outputFile.json="$results" "$@" || status=$?
# The plain closing line CI reads: counts from vitest's own JSON report.
if [ -s "$results" ]; then
  node -e 'const r=require(process.argv[1]); const skipped=r.numPendingTests+r.numTodoTests; console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""))' "$results"
fi
exit "$status"
