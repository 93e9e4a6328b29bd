#!/usr/bin/env bash
# A branch ── wan ── hub testbed in network namespaces for trying the tunnel by hand (the e2e test
# test/e2e/tunnel-netns.test.ts builds the same one itself). Addresses exist only inside them:
# branch 10.201.1.2, router 10.201.1.1 / 10.201.2.1, hub 10.201.2.2. Run as root.
#
#   scripts/testbed/tunnel-netns.sh up [SUFFIX]       create sbctun-{b,w,h}-SUFFIX (default: manual)
#   scripts/testbed/tunnel-netns.sh cut|restore [SUFFIX]   take the router's hub-side link down / up
#   scripts/testbed/tunnel-netns.sh down [SUFFIX]     delete the namespaces
#
# Then e.g.: ip netns exec sbctun-h-manual node dist/test/support/tunnel-peer.js hub --certs DIR --host 10.201.2.2
set -euo pipefail
cmd=${1:-}
id=${2:-manual}
B=sbctun-b-$id W=sbctun-w-$id H=sbctun-h-$id

case "$cmd" in
  up)
    for ns in "$B" "$W" "$H"; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
    ip link add vb0 netns "$B" type veth peer name vw0 netns "$W"
    ip link add vh0 netns "$H" type veth peer name vw1 netns "$W"
    ip -n "$B" addr add 10.201.1.2/24 dev vb0
    ip -n "$W" addr add 10.201.1.1/24 dev vw0
    ip -n "$W" addr add 10.201.2.1/24 dev vw1
    ip -n "$H" addr add 10.201.2.2/24 dev vh0
    ip -n "$B" link set vb0 up; ip -n "$W" link set vw0 up; ip -n "$W" link set vw1 up; ip -n "$H" link set vh0 up
    ip -n "$B" route add default via 10.201.1.1
    ip -n "$H" route add default via 10.201.2.1
    ip netns exec "$W" sysctl -qw net.ipv4.ip_forward=1
    echo "up: $B (10.201.1.2) -- $W -- $H (10.201.2.2)"
    ;;
  cut) ip -n "$W" link set vw1 down ;;
  restore) ip -n "$W" link set vw1 up ;;
  down) for ns in "$B" "$W" "$H"; do ip netns del "$ns" 2>/dev/null || true; done ;;
  *) sed -n '2,12p' "$0"; exit 2 ;;
esac
