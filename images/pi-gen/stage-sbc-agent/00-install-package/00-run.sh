#!/bin/bash -e
# pi-gen: installs the sbc-agent Debian package (from `npm run package:deb`, copied into files/)
# into the image; the package carries its own Node.js runtime (Debian 12 ships Node.js 18).
deb=$(find files -maxdepth 1 -name 'sbc-agent_*.deb' | sort -V | tail -n 1)
if [ -z "${deb}" ]; then
  echo "stage-sbc-agent: no sbc-agent_*.deb in $(pwd)/files; build it with 'npm run package:deb' and copy it there" >&2
  exit 1
fi
install -m 0644 "${deb}" "${ROOTFS_DIR}/tmp/sbc-agent.deb"

on_chroot <<CHROOT
set -e
apt-get install -y --no-install-recommends /tmp/sbc-agent.deb
rm -f /tmp/sbc-agent.deb
CHROOT
