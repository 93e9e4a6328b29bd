#!/bin/sh
# First boot of a Raspberry Pi OS image with sbc-agent (sbc-agent-firstboot.service): when the boot
# partition holds sbc-agent.txt with a key, runs `sbc-agent setup` from it once, which enrolls the
# agent, blanks the spent key in the file and enables and starts sbc-agent.service. Output goes to
# the journal (journalctl -u sbc-agent-firstboot).
#
# The unit is disabled once there is nothing left to do: setup succeeded (or enrolled but could not
# start the service, exit 22: the key is spent either way), or there is no file or no key. After
# any other failure it stays enabled and the exit code decides (RestartPreventExitStatus= in the
# unit): an unreachable hub (10) or a timeout (5) is retried in 30 s; a wrong, used or expired key
# waits for the file to be corrected and the next boot.
#
# Paths come from the environment for tests; the defaults are the real ones.
set -u

BIN="${SBC_AGENT_BIN:-/usr/bin/sbc-agent}"
SYSTEMCTL="${SBC_AGENT_SYSTEMCTL:-systemctl}"
UNIT="${SBC_AGENT_FIRSTBOOT_UNIT:-sbc-agent-firstboot.service}"
BOOT_FILE="${SBC_AGENT_BOOT_FILE:-}"
if [ -z "$BOOT_FILE" ]; then
  # Bookworm and later mount the boot partition on /boot/firmware, older releases on /boot.
  BOOT_FILE=/boot/firmware/sbc-agent.txt
  [ -e "$BOOT_FILE" ] || [ ! -e /boot/sbc-agent.txt ] || BOOT_FILE=/boot/sbc-agent.txt
fi

log() {
  echo "sbc-agent-firstboot: $*"
}

disable_self() {
  "$SYSTEMCTL" disable "$UNIT" || log "could not disable $UNIT"
}

# A `key=` line with a value; the file may have been written on Windows (CRLF, byte order mark).
has_key() {
  tr -d '\r' <"$1" | sed '1s/^\xEF\xBB\xBF//' | grep -Eiq '^[[:space:]]*key[[:space:]]*=[[:space:]]*[^[:space:]]'
}

if [ ! -f "$BOOT_FILE" ]; then
  log "no $BOOT_FILE: nothing to set up ('sudo sbc-agent setup' enrolls by hand)"
  disable_self
  exit 0
fi
if ! has_key "$BOOT_FILE"; then
  log "$BOOT_FILE has no key (already used?): nothing to set up"
  disable_self
  exit 0
fi

log "enrolling from $BOOT_FILE"
"$BIN" setup --from "$BOOT_FILE" --yes
rc=$?
case "$rc" in
  0)
    log "done: the agent is enrolled and sbc-agent.service started"
    disable_self
    ;;
  22)
    log "enrolled, but sbc-agent.service could not be started (see above); the key is spent, so this runs no more"
    disable_self
    ;;
  5 | 10)
    log "the hub could not be reached (exit $rc); trying again"
    ;;
  *)
    log "setup failed (exit $rc); correct $BOOT_FILE and reboot, or run 'sudo sbc-agent setup'"
    ;;
esac
exit "$rc"
