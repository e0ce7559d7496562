#!/usr/bin/env bash
# Makes a fresh Debian machine able to build and run uring-shim: the system packages the addon
# builds against (when missing), the npm dependencies, the addon and the TypeScript build.
set -euo pipefail
cd "$(dirname "$0")/.."

needed=()
command -v cmake >/dev/null || needed+=(cmake)
command -v g++ >/dev/null || needed+=(g++)
command -v pkg-config >/dev/null || needed+=(pkg-config)
command -v strace >/dev/null || needed+=(strace)
[ -f /usr/include/liburing.h ] || needed+=(liburing-dev)
if [ ${#needed[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing ${needed[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${needed[@]}" >/dev/null
  else
    echo "setup: missing ${needed[*]} (install them with your package manager; continuing)"
  fi
fi

npm ci --no-audit --no-fund
npm run build:native
