#!/usr/bin/env bash
# Builds the Debian package of sbc-agent (npm run package:deb):
#   dist-deb/sbc-agent_<version>_<arch>.deb
# with the program in /usr/lib/sbc-agent (dist/src, production node_modules, package.json and
# the Node.js runtime that ran this build), the launcher /usr/bin/sbc-agent, the systemd units,
# /etc/sbc-agent/{agent,hub}.yaml as conffiles, and the docs.
#
# The runtime is bundled because Debian 12 ships Node 18 and sbc-agent needs >= 20.15; a branch
# box cannot be assumed to reach a third-party apt repository, and a single executable (Node SEA)
# cannot carry the native unix-dgram addon without extracting it at run time. The addon is built
# by `npm ci` below with the same node, so its ABI matches the bundled runtime.
#
# Needs: node and npm (>= 20.15), dpkg-deb, a C++ toolchain for node-gyp (g++, make, python3).
# Environment: DEB_OUT (output folder, default dist-deb), DEB_COMPRESSION (dpkg-deb -Z, default xz),
# DEB_COMPRESS_LEVEL (dpkg-deb -z, default 3: most of the size is the node binary), DEB_NO_BUILD=1
# (package the dist/ already built, as the package test does).
set -euo pipefail
umask 022

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

OUT="${DEB_OUT:-$ROOT/dist-deb}"
COMPRESSION="${DEB_COMPRESSION:-xz}"
LEVEL="${DEB_COMPRESS_LEVEL:-3}"
NODE_BIN="$(node -p 'process.execPath')"
NPM_VERSION="$(node -p 'require("./package.json").version')"
# Debian sorts '~' before anything, as semver sorts a pre-release before its release.
VERSION="${NPM_VERSION//-/\~}"
ARCH="$(dpkg --print-architecture)"
NAME="sbc-agent_${VERSION}_${ARCH}"
STAGE="$OUT/$NAME"
LIB="$STAGE/usr/lib/sbc-agent"

node -e 'const [a, b] = process.versions.node.split(".").map(Number); if (a < 20 || (a === 20 && b < 15)) { console.error("package-deb: node " + process.versions.node + " is older than 20.15"); process.exit(1); }'

if [ "${DEB_NO_BUILD:-}" = 1 ] && [ -f dist/src/main.js ]; then
  echo "package-deb: using the dist/ already built (DEB_NO_BUILD=1)"
else
  echo "package-deb: building dist/ (tsc)"
  npx tsc -p tsconfig.json
fi

rm -rf "$STAGE"
mkdir -p "$LIB/dist" "$STAGE/usr/bin" "$STAGE/lib/systemd/system" "$STAGE/etc/sbc-agent" "$STAGE/usr/share/doc/sbc-agent" "$STAGE/DEBIAN"

cp -r dist/src "$LIB/dist/src"
# The admin status pages are served from the source folder beside dist (src/admin/pages.ts).
mkdir -p "$LIB/src/admin"
cp -r src/admin/page "$LIB/src/admin/page"
find "$LIB/dist" -name '*.map' -delete
cp package.json package-lock.json "$LIB/"
echo "package-deb: production node_modules (npm ci --omit=dev)"
(cd "$LIB" && npm ci --omit=dev --no-audit --no-fund --prefer-offline --loglevel=error)
# The addon's object files and the headers it was built from are not needed at run time.
rm -rf "$LIB/node_modules/unix-dgram/build/Release/obj.target" "$LIB/node_modules/unix-dgram/build/Release/.deps" \
  "$LIB/node_modules/unix-dgram/build/Makefile" "$LIB/node_modules/unix-dgram/build/"*.mk "$LIB/node_modules/nan"
test -f "$LIB/node_modules/unix-dgram/build/Release/unix_dgram.node" || { echo "package-deb: unix-dgram did not build" >&2; exit 1; }
cp "$NODE_BIN" "$LIB/node"
chmod 0755 "$LIB/node"

install -m 0755 packaging/debian/sbc-agent.launcher "$STAGE/usr/bin/sbc-agent"
install -m 0644 packaging/debian/sbc-agent.service packaging/debian/sbc-agent-hub.service "$STAGE/lib/systemd/system/"
install -m 0644 config/agent.yaml config/hub.yaml "$STAGE/etc/sbc-agent/"
install -m 0644 README.md "$STAGE/usr/share/doc/sbc-agent/README.md"
install -m 0644 packaging/README.md "$STAGE/usr/share/doc/sbc-agent/packaging.md"
install -m 0644 config/sbc-agent.schema.json "$STAGE/usr/share/doc/sbc-agent/"
cat >"$STAGE/usr/share/doc/sbc-agent/copyright" <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: sbc-agent

Files: *
License: MIT

Files: usr/lib/sbc-agent/node
License: MIT and others: see https://github.com/nodejs/node/blob/v$(node -p 'process.versions.node')/LICENSE

Files: usr/lib/sbc-agent/node_modules/*
License: as stated in each package's package.json and LICENSE file
EOF

for script in postinst prerm postrm; do
  install -m 0755 "packaging/debian/$script" "$STAGE/DEBIAN/$script"
done
printf '/etc/sbc-agent/agent.yaml\n/etc/sbc-agent/hub.yaml\n' >"$STAGE/DEBIAN/conffiles"
INSTALLED_KB="$(du -sk --exclude=DEBIAN "$STAGE" | cut -f1)"
cat >"$STAGE/DEBIAN/control" <<EOF
Package: sbc-agent
Version: $VERSION
Architecture: $ARCH
Maintainer: sbc-agent developers <sbc-agent@users.noreply.github.com>
Installed-Size: $INSTALLED_KB
Depends: adduser, libc6 (>= 2.28), libstdc++6, procps, util-linux
Recommends: iputils-tracepath
Section: net
Priority: optional
Homepage: https://github.com/sbc-agent/sbc-agent
Description: Session Border Controller and tunnel agent for branch offices
 One program, two roles: the branch agent (sbc-agent.service) answers phone
 plug-and-play, serves STUN and carries the branch's SIP and RTP to the hub
 over one encrypted tunnel; the hub (sbc-agent-hub.service) sits beside the
 PBX and enrolls agents by auth key.
 .
 Bundles the Node.js $(node -p 'process.versions.node') runtime in /usr/lib/sbc-agent.
EOF

echo "package-deb: dpkg-deb --build ($COMPRESSION -z$LEVEL)"
dpkg-deb --build --root-owner-group "-Z$COMPRESSION" "-z$LEVEL" "$STAGE" "$OUT/$NAME.deb" >/dev/null
rm -rf "$STAGE"
echo "$OUT/$NAME.deb"
