#!/bin/bash -e
# pi-gen: installs the sbc-agent Debian package (from `npm run package:deb`, copied into files/)
# into the image, with Node.js 20.15 or later (images/common/install-nodejs.sh).
deb=$(find files -maxdepth 1 -name 'sbc-agent_*.deb' | sort -V | tail -n 1)
if [ -z "${deb}" ]; then
  echo "stage-sbc-agent: no sbc-agent_*.deb in $(pwd)/files; build it with 'npm run package:deb' and copy it there" >&2
  exit 1
fi
install -m 0644 "${deb}" "${ROOTFS_DIR}/tmp/sbc-agent.deb"
install -m 0755 "${STAGE_DIR}/../../common/install-nodejs.sh" "${ROOTFS_DIR}/tmp/install-nodejs.sh"

on_chroot <<CHROOT
set -e
/tmp/install-nodejs.sh
apt-get install -y --no-install-recommends /tmp/sbc-agent.deb
rm -f /tmp/sbc-agent.deb /tmp/install-nodejs.sh
CHROOT
