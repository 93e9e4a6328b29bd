#!/bin/sh
# Entry point of the sbc-agent container: on the first start, when the state volume holds no
# identity yet, enrolls from the environment (`sbc-agent setup --no-service`); then replaces itself
# with the command given (default `sbc-agent run ...`), so the agent is PID 1 and `docker stop`'s
# SIGTERM reaches it.
#
#   SBC_AGENT_URL, SBC_AGENT_KEY   the provisioning URL and one-time auth key (first start only;
#                                  the key is spent then, so leaving it set afterwards is harmless)
#   SBC_AGENT_FINGERPRINT          the hub fingerprint (recommended; without it the hub is trusted
#                                  unchecked, as with `--yes`)
#   SBC_AGENT_LAN                  the agent's LAN address (agent.lan in the configuration)
#   SBC_AGENT_STATE_DIR            default /var/lib/sbc-agent (the volume)
#   SBC_AGENT_CONFIG               default /etc/sbc-agent/agent.yaml
#   SBC_AGENT_BIN                  default sbc-agent (tests replace it)
set -eu

BIN="${SBC_AGENT_BIN:-sbc-agent}"
STATE_DIR="${SBC_AGENT_STATE_DIR:-/var/lib/sbc-agent}"
CONFIG="${SBC_AGENT_CONFIG:-/etc/sbc-agent/agent.yaml}"

enroll() {
  set -- setup --no-service --url "$SBC_AGENT_URL" --key "$SBC_AGENT_KEY" --state-dir "$STATE_DIR"
  if [ -f "$CONFIG" ]; then
    set -- "$@" --config "$CONFIG"
  fi
  if [ -n "${SBC_AGENT_FINGERPRINT:-}" ]; then
    set -- "$@" --fingerprint "$SBC_AGENT_FINGERPRINT"
  else
    echo "sbc-agent-entrypoint: SBC_AGENT_FINGERPRINT is not set: trusting the hub's fingerprint unchecked" >&2
    set -- "$@" --yes
  fi
  if [ -n "${SBC_AGENT_LAN:-}" ]; then
    set -- "$@" --lan "$SBC_AGENT_LAN"
  fi
  "$BIN" "$@"
}

if [ ! -f "${STATE_DIR}/agent/hub.json" ]; then
  if [ -n "${SBC_AGENT_URL:-}" ] && [ -n "${SBC_AGENT_KEY:-}" ]; then
    enroll
  else
    echo "sbc-agent-entrypoint: not enrolled (no ${STATE_DIR}/agent/hub.json) and SBC_AGENT_URL/SBC_AGENT_KEY are not set" >&2
  fi
fi
exec "$BIN" "$@"
