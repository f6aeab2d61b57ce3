#!/usr/bin/env bash
# Builds wasmgate's OCI image without a container daemon (see scripts/release/build-image.ts):
# a minimal Debian bookworm root from Debian's packages (scripts/release/image-debs.lock), Node.js 24,
# and the packed wasmgate, as an OCI image layout in build/image (+ a CycloneDX SBOM attached as a
# referrer, also written to build/image.cdx.json). Reproducible: SOURCE_DATE_EPOCH (default: the HEAD
# commit's time) fixes every timestamp. Needs dpkg-deb, apt-get (the configured Debian mirror), GNU tar.
#   scripts/build-image.sh [--out dir] [--cache dir] [--tarball wasmgate.tgz] [--push registry/repo]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$root/scripts/env.sh"
exec node "$root/scripts/release/build-image.ts" "$@"
