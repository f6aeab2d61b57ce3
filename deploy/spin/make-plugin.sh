#!/usr/bin/env bash
# Packs deploy/spin/wasmgate-spin as the Spin plugin `wasmgate` and writes its
# plugin manifest (the JSON that `spin plugins install --file` reads).
#   deploy/spin/make-plugin.sh OUTDIR [BASE_URL]
# BASE_URL is where the tarball will be served (default: file://OUTDIR).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$(mkdir -p "$1" && cd "$1" && pwd)"
base="${2:-file://$out}"
version="$(node -p 'require(process.argv[1]).version' "$here/../../package.json")"
case "$(uname -m)" in x86_64) arch=amd64 ;; aarch64|arm64) arch=aarch64 ;; *) arch="$(uname -m)" ;; esac
os="$(uname -s | tr '[:upper:]' '[:lower:]')"; [ "$os" = darwin ] && os=macos

stage="$(mktemp -d)"; trap 'rm -rf "$stage"' EXIT
install -m 0755 "$here/wasmgate-spin" "$stage/wasmgate"   # a plugin's executable carries the plugin's name
cp "$here/../../LICENSE" "$stage/wasmgate.license" 2>/dev/null || echo "Apache-2.0" > "$stage/wasmgate.license"
tarball="wasmgate-spin-plugin-$version-$os-$arch.tar.gz"
tar -C "$stage" -czf "$out/$tarball" wasmgate wasmgate.license
sha="$(sha256sum "$out/$tarball" | cut -d' ' -f1)"

cat > "$out/wasmgate.json" <<JSON
{
  "name": "wasmgate",
  "description": "Run spin up only after wasmgate allowed the application (signature, SBOM, provenance and vulnerability policy).",
  "homepage": "https://github.com/wasmgate/wasmgate",
  "version": "$version",
  "spinCompatibility": ">=2.0",
  "license": "Apache-2.0",
  "packages": [
    { "os": "$os", "arch": "$arch", "url": "$base/$tarball", "sha256": "$sha" }
  ]
}
JSON
echo "$out/wasmgate.json"
