# shellcheck shell=bash
# Shared helpers for scripts/run and scripts/test (sourced, not executed).
# Owner: integration/scripts. Needs bash; expects to run as root on Debian 12.

ROOMCAST_ROOT=${ROOMCAST_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}

rc_log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

# Packages named in scripts/packages.txt (comments and blank lines dropped).
rc_package_list() {
  sed -e 's/#.*//' -e 's/[[:space:]]\+/\n/g' "$ROOMCAST_ROOT/scripts/packages.txt" | sed '/^$/d'
}

rc_missing_packages() {
  local pkg
  for pkg in $(rc_package_list); do
    if ! dpkg-query -W -f='${Status}\n' "$pkg" 2>/dev/null | grep -q '^install ok installed$'; then
      echo "$pkg"
    fi
  done
}

# Install what is missing; `apt-get update` only when something is.
# Services that packages would start (nginx on port 80) are held back while installing.
rc_install_packages() {
  local missing sudo="" made_policy=0
  missing=$(rc_missing_packages)
  [ -z "$missing" ] && return 0
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || { rc_log "missing packages and not root: $missing"; return 1; }
    sudo="sudo"
  fi
  rc_log "installing missing packages: ${missing//$'\n'/ }"
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
    $sudo chmod +x /usr/sbin/policy-rc.d
    made_policy=1
  fi
  local rc=0
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q || rc=$?
  if [ $rc = 0 ]; then
    # shellcheck disable=SC2086
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing || rc=$?
  fi
  [ $made_policy = 1 ] && $sudo rm -f /usr/sbin/policy-rc.d
  if [ $rc != 0 ]; then
    rc_log "package installation failed ($rc)"
    return $rc
  fi
  missing=$(rc_missing_packages)
  if [ -n "$missing" ]; then
    rc_log "still missing after install: $missing"
    return 1
  fi
}

# rc_build DIR [cmake args...]: configure (RelWithDebInfo, Ninja) and build.
rc_build() {
  local dir=$1
  shift
  cmake -S "$ROOMCAST_ROOT" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" &&
    cmake --build "$dir" -- -j"$(rc_jobs)"
}

rc_jobs() { nproc 2>/dev/null || echo 2; }
