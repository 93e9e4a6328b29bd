#!/usr/bin/env bash
# A hand-run plug-and-play lab: a network namespace whose loopback carries multicast, the
# responder (`sbc-agent pnp`) inside it, and one SIPp phone booting against it. Nothing leaves
# the namespace. Run as root from the repository after `npm run build`:
#   scripts/testbed/pnp-lab.sh [yealink|grandstream|snom]   (Ctrl-C stops the responder)
# The responder's inbox is in a temporary state directory printed at start; try
#   node dist/src/main.js phones --state-dir DIR   (SBC_AGENT_MAIN=path/main.js picks another build)
set -euo pipefail
cd "$(dirname "$0")/../.."
NS="pnp-lab-$$"
PORT=14560
STATE="$(mktemp -d)"
MAIN="${SBC_AGENT_MAIN:-dist/src/main.js}"
cleanup() { [ -n "${PNP_PID:-}" ] && kill "$PNP_PID" 2>/dev/null; ip netns del "$NS" 2>/dev/null; rm -rf "$STATE"; }
trap cleanup EXIT
ip netns add "$NS"
ip -n "$NS" link set lo up
ip -n "$NS" link set lo multicast on
ip -n "$NS" route add 224.0.0.0/4 dev lo
echo "state dir: $STATE"
ip netns exec "$NS" node "$MAIN" pnp --listen 127.0.0.1 --port "$PORT" --policy auto --state-dir "$STATE" --http-port 14580 &
PNP_PID=$!
sleep 1
case "${1:-yealink}" in
  grandstream) RURI='sip:MAC%3AC074AD112233@224.0.1.75'; USER=''; EVENT='ua-profile;profile-type="device";vendor="Grandstream";model="GRP2612W";version="1.0.5.67"'; UA='Grandstream GRP2612W 1.0.5.67' ;;
  snom) RURI='sip:MAC%3a00135E874B49@fake'; USER=''; EVENT='ua-profile;profile-type="device";vendor="snom";model="snom720";version="7.1.19"'; UA='snom720/7.1.19' ;;
  *) RURI='sip:MAC001565f4f9e1@224.0.1.75'; USER='MAC001565f4f9e1@'; EVENT='ua-profile;profile-type="device";vendor="yealink";model="W52P";version="25.81.0.10"'; UA='Yealink W52P 25.81.0.10' ;;
esac
FROM="<${RURI}>"
ip netns exec "$NS" sipp "224.0.1.75:$PORT" -sf test/support/pnp-subscribe.xml -key ruri "$RURI" -key from "$FROM" \
  -key contact_user "$USER" -key event "$EVENT" -key ua "$UA" -i 127.0.0.1 -p 14561 -m 1 -nostdin -timeout 10s \
  -trace_msg -message_file "$STATE/sipp.log" >/dev/null || echo "sipp failed (exit $?)"
cat "$STATE/sipp.log"
node "$MAIN" phones --state-dir "$STATE"
