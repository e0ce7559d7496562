#!/usr/bin/env bash
# Fetch Node.js 20.19.2's own test suite (test/common, test/fixtures, test/parallel,
# test/sequential) from Debian's source package, into a cache OUTSIDE the repository.
# Node's sources are never committed: they are fetched at test time.
#
#   bash test/compat/fetch-node.sh          # idempotent: does nothing when the tree is present
#
# Cache: ${URING_SHIM_CACHE:-$HOME/.cache/uring-shim}
#   apt/sources.list, apt/lists/   a private apt source list + lists dir (deb-src trixie);
#                                  /etc/apt and the system lists are never touched
#   src/                           the downloaded source package files
#   node-20.19.2/test/...          the extracted test tree used by run.mjs
set -euo pipefail

NODE_TEST_VERSION=20.19.2
DEB_VERSION="${URING_SHIM_NODE_DEB_VERSION:-20.19.2+dfsg-1+deb13u2}"
DEB_SUITE="${URING_SHIM_NODE_DEB_SUITE:-trixie}"
ORIG="nodejs_${NODE_TEST_VERSION}+dfsg.orig.tar.xz"
ORIG_SHA256=5e5559381ad031d245a8efa403458abbb73755f74c3e6380f185a4dd342b7949

CACHE="${URING_SHIM_CACHE:-$HOME/.cache/uring-shim}"
TREE="$CACHE/node-$NODE_TEST_VERSION"
STAMP="$TREE/.complete"

log() { echo "fetch-node: $*" >&2; }
die() { echo "fetch-node: ERROR: $*" >&2; exit 1; }

if [ -f "$STAMP" ] && [ -f "$TREE/test/common/index.js" ]; then
  log "test tree present at $TREE (nothing to do)"
  exit 0
fi

command -v tar >/dev/null || die "tar is required"
command -v xz >/dev/null || die "xz is required (apt-get install xz-utils)"
command -v sha256sum >/dev/null || die "sha256sum is required"

mkdir -p "$CACHE/apt/lists/partial" "$CACHE/src"

verify() { # $1 = file; prints nothing, returns 0 when the sha256 matches
  local got
  got="$(sha256sum "$1" | cut -d' ' -f1)"
  [ "$got" = "$ORIG_SHA256" ]
}

if [ -f "$CACHE/src/$ORIG" ] && verify "$CACHE/src/$ORIG"; then
  log "using cached $CACHE/src/$ORIG"
else
  command -v apt-get >/dev/null || die "apt-get is required to download the Debian source package"
  if [ -f "$CACHE/src/$ORIG" ]; then log "cached $ORIG has a wrong sha256; downloading it again"; fi
  rm -f "$CACHE/src/$ORIG"
  echo "deb-src http://deb.debian.org/debian $DEB_SUITE main" >"$CACHE/apt/sources.list"
  # Private apt configuration: our own sources.list, no sources.list.d, our own lists dir.
  APT_OPTS=(
    -o "Dir::Etc::sourcelist=$CACHE/apt/sources.list"
    -o "Dir::Etc::sourceparts=-"
    -o "Dir::State::Lists=$CACHE/apt/lists"
    -o "APT::Get::List-Cleanup=0"
  )
  # Only the orig tarball is needed (the tests are in it): a mirror missing some other file of
  # the package (its debian.tar.xz was a 404 once, for a revision just published) fails
  # apt-get after the tarball has arrived, and that is enough.
  fetch() {
    (cd "$CACHE/src" && apt-get "${APT_OPTS[@]}" -q --download-only source "nodejs=$DEB_VERSION") ||
      { [ -f "$CACHE/src/$ORIG" ] && verify "$CACHE/src/$ORIG" && log "apt-get failed after $ORIG arrived; using it"; }
  }
  if ! fetch; then
    log "updating the private apt list ($CACHE/apt/lists) for deb-src $DEB_SUITE"
    apt-get "${APT_OPTS[@]}" -q update || die "apt-get update of the private list failed"
    if ! fetch; then
      # Debian may have superseded the pinned revision (e.g. a later +deb13uN). Every Debian
      # revision of 20.19.2+dfsg shares the same orig tarball, which the sha256 below checks.
      alt="$(apt-cache "${APT_OPTS[@]}" showsrc nodejs 2>/dev/null |
        awk '/^Version: /{print $2}' | grep -F "${NODE_TEST_VERSION}+dfsg-" | sort -V | tail -n1 || true)"
      [ -n "$alt" ] || die "Debian $DEB_SUITE serves no nodejs ${NODE_TEST_VERSION}+dfsg source (see: apt-cache ${APT_OPTS[*]} showsrc nodejs)"
      log "nodejs=$DEB_VERSION is not served; using nodejs=$alt (same orig tarball)"
      DEB_VERSION="$alt"
      fetch || die "apt-get source nodejs=$DEB_VERSION failed"
    fi
  fi
  [ -f "$CACHE/src/$ORIG" ] || die "$ORIG was not downloaded into $CACHE/src"
  if ! verify "$CACHE/src/$ORIG"; then
    die "sha256 mismatch for $CACHE/src/$ORIG: expected $ORIG_SHA256, got $(sha256sum "$CACHE/src/$ORIG" | cut -d' ' -f1)"
  fi
  log "downloaded and verified $ORIG"
fi

# Extract into a temporary dir, then move into place, so an interrupted run never leaves
# a half tree that looks complete.
top="$(tar -tJf "$CACHE/src/$ORIG" | sed -n 1p)"
top="${top%%/*}"
[ -n "$top" ] || die "cannot read the top directory of $ORIG"
tmp="$CACHE/.extract.$$"
rm -rf "$tmp"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
log "extracting test/{common,fixtures,parallel,sequential} from $ORIG"
tar -xJf "$CACHE/src/$ORIG" -C "$tmp" --strip-components=1 --wildcards \
  "$top/test/common/*" "$top/test/fixtures/*" "$top/test/parallel/*" "$top/test/sequential/*"
[ -f "$tmp/test/common/index.js" ] || die "extraction produced no test/common/index.js"
echo "node $NODE_TEST_VERSION tests from Debian nodejs=$DEB_VERSION ($ORIG sha256 $ORIG_SHA256)" >"$tmp/.complete"
rm -rf "$TREE"
mv "$tmp" "$TREE"
trap - EXIT
log "test tree ready at $TREE ($(find "$TREE/test" -type f | wc -l) files)"
