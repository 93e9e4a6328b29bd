#!/usr/bin/env bash
# Network namespaces for the STUN NAT end-to-end test (test/e2e/stun-nat.test.ts). Needs root.
#
#   client ns  10.200.1.2 ──veth── 10.200.1.1  nat ns  10.200.2.1 ──veth── 10.200.2.2 + 10.200.2.3  server ns
#
# Addresses exist only inside the namespaces. TAG makes every name unique per run.
#
#   stun-nat.sh up TAG                 create the three namespaces and the two veth pairs
#   stun-nat.sh nat TAG MODE PORT      load the NAT rules (nftables) in the nat namespace:
#       plain     masquerade (Linux: endpoint-independent mapping, address-and-port-dependent filtering)
#       random    masquerade random,fully-random (a new random port per destination)
#       fullcone  masquerade, and inbound UDP to PORT forwarded to the client (endpoint-independent filtering)
#       adf       fullcone, plus a filter that drops new inbound packets from the server's
#                 other address 10.200.2.3 (address-dependent filtering)
#   stun-nat.sh down TAG               delete the namespaces (and with them the veth pairs)
set -euo pipefail

cmd=${1:?usage: stun-nat.sh up|nat|down TAG [MODE PORT]}
tag=${2:?TAG missing}
C="${tag}c" N="${tag}n" S="${tag}s"

case "$cmd" in
  up)
    ip netns add "$C"
    ip netns add "$N"
    ip netns add "$S"
    ip link add "${tag}ca" netns "$C" type veth peer name "${tag}na" netns "$N"
    ip link add "${tag}nb" netns "$N" type veth peer name "${tag}sa" netns "$S"
    ip -n "$C" addr add 10.200.1.2/24 dev "${tag}ca"
    ip -n "$N" addr add 10.200.1.1/24 dev "${tag}na"
    ip -n "$N" addr add 10.200.2.1/24 dev "${tag}nb"
    ip -n "$S" addr add 10.200.2.2/24 dev "${tag}sa"
    ip -n "$S" addr add 10.200.2.3/24 dev "${tag}sa"
    for ns in "$C" "$N" "$S"; do ip -n "$ns" link set lo up; done
    ip -n "$C" link set "${tag}ca" up
    ip -n "$N" link set "${tag}na" up
    ip -n "$N" link set "${tag}nb" up
    ip -n "$S" link set "${tag}sa" up
    ip -n "$C" route add default via 10.200.1.1
    ip netns exec "$N" sysctl -qw net.ipv4.ip_forward=1
    ;;
  nat)
    mode=${3:?MODE missing} port=${4:?PORT missing}
    masq="masquerade"
    [ "$mode" = random ] && masq="masquerade random,fully-random"
    dnat="" drop=""
    if [ "$mode" = fullcone ] || [ "$mode" = adf ]; then
      dnat="iifname \"${tag}nb\" udp dport $port dnat to 10.200.1.2:$port"
    fi
    if [ "$mode" = adf ]; then
      drop="iifname \"${tag}nb\" ip saddr 10.200.2.3 ct state new drop"
    fi
    ip netns exec "$N" nft flush ruleset
    ip netns exec "$N" nft -f - <<NFT
table ip stunnat {
  chain prerouting {
    type nat hook prerouting priority dstnat;
    $dnat
  }
  chain postrouting {
    type nat hook postrouting priority srcnat;
    oifname "${tag}nb" $masq
  }
  chain forward {
    type filter hook forward priority filter;
    $drop
  }
}
NFT
    ;;
  down)
    for ns in "$C" "$N" "$S"; do ip netns del "$ns" 2>/dev/null || true; done
    ;;
  *)
    echo "unknown command $cmd" >&2
    exit 2
    ;;
esac
