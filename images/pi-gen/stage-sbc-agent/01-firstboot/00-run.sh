#!/bin/bash -e
# pi-gen: the first-boot enrollment (images/firstboot) and the example setup file on the boot
# partition, which an installer fills in and renames to sbc-agent.txt before the first boot.
firstboot="${STAGE_DIR}/../../firstboot"
install -D -m 0755 "${firstboot}/sbc-agent-firstboot.sh" "${ROOTFS_DIR}/usr/lib/sbc-agent/sbc-agent-firstboot.sh"
install -D -m 0644 "${firstboot}/sbc-agent-firstboot.service" "${ROOTFS_DIR}/etc/systemd/system/sbc-agent-firstboot.service"
install -D -m 0644 "${STAGE_DIR}/../../sbc-agent.txt.example" "${ROOTFS_DIR}/boot/firmware/sbc-agent.txt.example"

on_chroot <<CHROOT
systemctl enable sbc-agent-firstboot.service
CHROOT
