#!/usr/bin/env bash
# Installs the real peers wasmgate's tests run against, pinned, into the git-ignored
# .tools/bin. Idempotent: a tool already at its pinned version is not rebuilt.
#   Go module proxy (CGO_ENABLED=0 go install): opa, oras, crane, cosign (v3), and
#   wasmgate-testregistry (test/peers/registry: go-containerregistry's registry with
#   the OCI 1.1 referrers API; olareg is not served by the module proxy).
#   Go: actionlint (lints deploy/github/build-wasm.yml).
#   Debian: docker-registry (no referrers API: the tag fallback), nats-server,
#   systemd (systemd-analyze verify/security for deploy/systemd), curl,
#   chromium (headless, driven by puppeteer-core in the decision explorer's browser tests),
#   redis-server (fleet mode: the shared cache's tests start their own server on loopback),
#   openssl (the CA and server certificate of the fleet suite's TLS Redis),
#   wabt (wasm-objdump: the inspection parity tests on real core modules).
# Usage: scripts/install-tools.sh [--no-apt] [tool ...]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="$root/.tools/bin"
mkdir -p "$bin" "$root/.tools/stamps"
export CGO_ENABLED=0 GOBIN="$bin"

declare -A PINS=(
  [opa]="github.com/open-policy-agent/opa@v1.22.3"
  [oras]="oras.land/oras/cmd/oras@v1.3.6"
  [crane]="github.com/google/go-containerregistry/cmd/crane@v0.22.1"
  [cosign]="github.com/sigstore/cosign/v3/cmd/cosign@v3.1.2"
  [actionlint]="github.com/rhysd/actionlint/cmd/actionlint@v1.7.12"
)
apt_ok=1
wanted=()
for a in "$@"; do
  case "$a" in --no-apt) apt_ok=0 ;; *) wanted+=("$a") ;; esac
done
[ ${#wanted[@]} -gt 0 ] || wanted=(opa oras crane cosign actionlint testregistry docker-registry nats-server systemd curl chromium redis-server openssl wabt)

go_tool() {
  local name="$1" pin="${PINS[$1]}" stamp="$root/.tools/stamps/$1"
  if [ -x "$bin/$name" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$pin" ]; then return 0; fi
  echo "install-tools: go install $pin"
  go install "$pin"
  echo "$pin" > "$stamp"
}

apt_tool() {
  local pkg="$1" exe="$2"
  if [ -x "$exe" ]; then ln -sf "$exe" "$bin/$(basename "$exe")"; return 0; fi
  [ "$apt_ok" = 1 ] || { echo "install-tools: $pkg missing and --no-apt given" >&2; return 1; }
  echo "install-tools: apt-get install $pkg"
  if [ ! -f "$root/.tools/stamps/apt-updated" ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null && touch "$root/.tools/stamps/apt-updated"
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$pkg" >/dev/null
  ln -sf "$exe" "$bin/$(basename "$exe")"
}

for t in "${wanted[@]}"; do
  case "$t" in
    opa|oras|crane|cosign|actionlint) go_tool "$t" ;;
    testregistry)
      src="$root/test/peers/registry"
      sum="$(cat "$src"/go.mod "$src"/go.sum "$src"/*.go | sha256sum | cut -c1-16)"
      if [ ! -x "$bin/wasmgate-testregistry" ] || [ "$(cat "$root/.tools/stamps/testregistry" 2>/dev/null)" != "$sum" ]; then
        echo "install-tools: go build test/peers/registry"
        (cd "$src" && go build -o "$bin/wasmgate-testregistry" .)
        echo "$sum" > "$root/.tools/stamps/testregistry"
      fi ;;
    docker-registry) apt_tool docker-registry /usr/bin/docker-registry ;;
    nats-server) apt_tool nats-server /usr/sbin/nats-server ;;
    systemd) apt_tool systemd /usr/bin/systemd-analyze ;;
    curl) apt_tool curl /usr/bin/curl ;;
    chromium) apt_tool chromium /usr/bin/chromium ;;
    redis-server) apt_tool redis-server /usr/bin/redis-server ;;
    openssl) apt_tool openssl /usr/bin/openssl ;;
    wabt) apt_tool wabt /usr/bin/wasm-objdump ;;
    *) echo "install-tools: unknown tool $t" >&2; exit 2 ;;
  esac
done
echo "install-tools: ready in .tools/bin: $(ls "$bin" | tr '\n' ' ')"
