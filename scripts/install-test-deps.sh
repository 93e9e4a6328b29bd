#!/usr/bin/env bash
# Installs the real peers the test suite starts (Debian packages), on a fresh Debian machine.
# Needs root (apt-get). Already-installed packages are left alone, so a second run is quick.
set -euo pipefail

PACKAGES=(
  kamailio               # stand-in PBX: registrar + proxy with digest auth
  kamailio-tls-modules   # Kamailio over TLS
  kamailio-presence-modules  # presence, presence_dialoginfo, pua, pua_dialoginfo: Kamailio as the BLF notifier (db_text from the core package)
  sip-tester             # SIPp: call load and scenario peers
  baresip-core           # real phones with audio
  coturn                 # STUN peer (turnserver, turnutils_stunclient, turnutils_natdiscovery)
  stun-client            # classic RFC 3489 STUN client (binary: stun)
  iproute2               # network namespaces for the testbed
  nftables               # NAT inside the testbed namespaces
  iptables               # --random-fully masquerade for NAT tests
  openssl                # test certificates
  sox                    # tone generation and frequency checks of recordings
  g++                    # node-gyp builds unix-dgram's native addon (systemd notify socket) at npm ci
  make                   #   (node-gyp runs make)
  python3                #   (node-gyp is driven by python3)
  systemd                # systemd-analyze verify/security on the packaged units (no systemd as PID 1 needed)
  adduser                # the package's postinst creates the sbc-agent system user with adduser
  shellcheck             # lint of every shell script (scripts/, images/, packaging/)
  chromium               # the admin status pages in a real browser (headless, driven by playwright-core)
  tshark                 # reads the pcap files of 'sbc-agent capture' (test/e2e/capture.test.ts)
  iputils-tracepath      # sbc-agent doctor's path MTU check toward the hub (test/e2e/doctor-faults.test.ts)
  faketime               # libfaketime: a branch box whose clock is 10 minutes off (test/e2e/doctor-faults.test.ts)
  rtpengine-daemon       # npm run bench:calls: Kamailio + rtpengine (userspace, no kernel module) next to agent + hub
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done

if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-test-deps: need root to install: ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The Debian packages install services; the tests start their own instances on their own ports.
for svc in kamailio coturn rtpengine-daemon; do
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$svc" 2>/dev/null; then
    systemctl stop "$svc" || true
  fi
done
echo "install-test-deps: ready (${#missing[@]} installed now)"
