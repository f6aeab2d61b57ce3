#!/usr/bin/env bash
# The README's run command: wasmgate on its embedded default (bundled policy, demo
# OCI-layout store, demo trust), on 127.0.0.1:8181 and a Unix socket.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WASMGATE_SKIP_TOOLS=1 bash "$root/scripts/setup.sh" >&2
. "$root/scripts/env.sh"
cd "$root"
# With no arguments: TCP 127.0.0.1:8181 and the Unix socket /tmp/wasmgate.sock.
if [ $# -eq 0 ]; then set -- --addr 127.0.0.1:8181 --unix-socket /tmp/wasmgate.sock; fi
exec node bin/wasmgate.js serve "$@"
