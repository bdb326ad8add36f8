#!/usr/bin/env bash
# PostgreSQL's server programs (initdb, pg_ctl), for the tests on PostgreSQL and a try-out of a shared
# instance: Debian's package when missing. The tests start their own server on a Unix socket in a
# temporary folder (as the system user « postgres » when run as root); nothing is started here.
set -euo pipefail
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1; then
  exit 0
fi
if command -v apt-get >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq || true
  # policy-rc.d: the package must not start its own cluster (no init system here, and none is needed).
  DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 $SUDO apt-get install -y -qq postgresql >/dev/null
fi
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || {
  echo "PostgreSQL (initdb) est introuvable : installez le paquet « postgresql »." >&2
  exit 1
}
