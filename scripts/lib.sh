# shellcheck shell=bash
# Shared helpers for scripts/run and scripts/test (sourced, not executed).
# Owner: integration/scripts. Needs bash; expects to run as root on Debian 12.

ROOMCAST_ROOT=${ROOMCAST_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}

rc_log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

# Packages named in scripts/packages.txt (comments and blank lines dropped):
# `rc_package_list run` gives the [run] section only, `rc_package_list all` every one.
rc_package_list() {
  local which=${1:-all}
  sed -e 's/#.*//' "$ROOMCAST_ROOT/scripts/packages.txt" |
    awk -v which="$which" '/^\[run\]/ {sec = "run"; next} /^\[[a-z]+\]/ {sec = "other"; next}
                            which == "all" || sec == which' |
    tr -s '[:space:]' '\n' | sed '/^$/d'
}

rc_missing_packages() {
  local pkg
  for pkg in $(rc_package_list "${1:-all}"); do
    if ! dpkg-query -W -f='${Status}\n' "$pkg" 2>/dev/null | grep -q '^install ok installed$'; then
      echo "$pkg"
    fi
  done
}

# rc_install_packages [run|all]: install what is missing; `apt-get update` only when
# something is. Services that packages would start (nginx on port 80) are held back
# while installing.
rc_install_packages() {
  local which=${1:-all} missing sudo="" made_policy=0
  missing=$(rc_missing_packages "$which")
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
  missing=$(rc_missing_packages "$which")
  if [ -n "$missing" ]; then
    rc_log "still missing after install: $missing"
    return 1
  fi
}

# rc_build DIR [cmake args...]: configure (RelWithDebInfo, Ninja) and build every
# target (the server, the tests, the benchmarks).
rc_build() {
  local dir=$1
  shift
  cmake -S "$ROOMCAST_ROOT" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" &&
    cmake --build "$dir" -- -j"$(rc_jobs)"
}

# rc_build_server DIR: configure like rc_build, build only the server binary.
rc_build_server() {
  local dir=$1
  cmake -S "$ROOMCAST_ROOT" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo &&
    cmake --build "$dir" --target roomcast -- -j"$(rc_jobs)"
}

rc_jobs() { nproc 2>/dev/null || echo 2; }

# web/node_modules (hls.js, mpegts.js, playwright-core) from web/package-lock.json:
# `npm ci` when node_modules is missing or package.json/package-lock.json changed
# since the last install (a hash kept in node_modules/.roomcast-installed).
rc_install_web() {
  local web="$ROOMCAST_ROOT/web" stamp hash sudo=""
  stamp="$web/node_modules/.roomcast-installed"
  hash=$(cat "$web/package.json" "$web/package-lock.json" 2>/dev/null | sha256sum | cut -d' ' -f1)
  if [ -d "$web/node_modules" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$hash" ]; then
    return 0
  fi
  if ! command -v npm >/dev/null; then
    [ "$(id -u)" != 0 ] && sudo="sudo"
    rc_log "npm not found: installing Debian's npm package"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends npm ||
      { rc_log "could not install npm"; return 1; }
  fi
  local major
  major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
  [ "$major" -ge 20 ] 2>/dev/null ||
    rc_log "warning: node $(node --version 2>/dev/null) is older than 20 (playwright-core needs 20)"
  rc_log "installing web/ npm packages"
  if [ -f "$web/package-lock.json" ]; then
    (cd "$web" && npm ci --no-audit --no-fund --loglevel=error) || return 1
  else
    (cd "$web" && npm install --no-audit --no-fund --loglevel=error) || return 1
  fi
  echo "$hash" >"$stamp"
}
