#!/usr/bin/env bash
# `npm run bench`: every benchmark in bench/, one after the other (never in parallel: they
# measure the machine). Each writes bench/results/<name>.json and its own delimited section
# of docs/benchmarks.md; decisions.bench.ts also draws docs/benchmarks-latency.svg. Then
# bench/summary.ts rebuilds the goals table at the top of docs/benchmarks.md from the JSON.
#
#   npm run bench                 full sizes (a few minutes on 2 cores)
#   npm run bench -- --quick      CI-size runs (shorter durations, fewer repetitions)
#   npm run bench -- decisions cold   only the named benchmarks (file stems in bench/)
#
# Needs the pinned peers (scripts/install-tools.sh): opa, oras, cosign, wasmgate-testregistry,
# docker-registry.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/env.sh
. "$root/scripts/env.sh"
cd "$root"

quick=()
names=()
for arg in "$@"; do
  case "$arg" in
    --quick|-q) quick=(--quick) ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) names+=("$arg") ;;
  esac
done
if [ "${#names[@]}" -eq 0 ]; then
  names=(vulns engine collect server decisions cold scale fleet)
fi

for tool in opa oras cosign wasmgate-testregistry; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing: run scripts/install-tools.sh" >&2; exit 1; }
done

echo "== machine: $(nproc) cores, $(node --version), load average $(cut -d' ' -f1-3 /proc/loadavg)"
for name in "${names[@]}"; do
  file="bench/$name.bench.ts"
  [ -f "$file" ] || { echo "bench: no $file" >&2; exit 2; }
  echo "== $file ${quick[*]:-}"
  start=$(date +%s)
  node --expose-gc "$file" "${quick[@]}"
  echo "== $name done in $(( $(date +%s) - start )) s"
done
echo "== bench/summary.ts (goals table at the top of docs/benchmarks.md)"
node bench/summary.ts >/dev/null
echo "== results in bench/results/, tables in docs/benchmarks.md"
