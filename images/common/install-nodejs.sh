#!/bin/sh
# Makes sure Node.js 20.15 or later is installed on a Debian-based system (the Raspberry Pi OS image
# being built, the container image): the distribution's nodejs when it is new enough (Debian 13 and
# later), else NodeSource's node_20.x repository (Debian 12 ships 18). Run as root.
set -eu

node_ok() {
  command -v node >/dev/null 2>&1 || return 1
  version=$(node -p 'process.versions.node')
  dpkg --compare-versions "$version" ge 20.15
}

if node_ok; then
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update
candidate=$(apt-cache policy nodejs | awk '/Candidate:/ { print $2 }')
if [ -n "$candidate" ] && [ "$candidate" != "(none)" ] && dpkg --compare-versions "$candidate" ge 20.15; then
  apt-get install -y --no-install-recommends nodejs
else
  apt-get install -y --no-install-recommends ca-certificates curl gnupg
  install -d -m 0755 /etc/apt/keyrings
  curl -fsSL https://deb.nodesource.com/gpgkey/nodesource-repo.gpg.key | gpg --dearmor --yes -o /etc/apt/keyrings/nodesource.gpg
  echo 'deb [signed-by=/etc/apt/keyrings/nodesource.gpg] https://deb.nodesource.com/node_20.x nodistro main' >/etc/apt/sources.list.d/nodesource.list
  apt-get update
  apt-get install -y --no-install-recommends nodejs
fi
if ! node_ok; then
  echo "install-nodejs: node is still older than 20.15" >&2
  exit 1
fi
