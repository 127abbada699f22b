#!/usr/bin/env bash
# Installs what the build and the tests need: Debian packages (as root, only
# those missing) and the npm dependencies from package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/.."

# The real programs that read what atelier-emit writes, and the booted test host.
DEBIAN_PACKAGES=(systemd systemd-container debootstrap caddy restic shellcheck sudo sqlite3 ansible-core bind9 openssl lintian)

missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing Debian packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run --silent build
