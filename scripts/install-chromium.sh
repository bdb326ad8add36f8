#!/usr/bin/env bash
# A Chromium for the browser tests: the system one if present, else Debian's package, else Playwright's.
set -euo pipefail
PY=${1:-python3}
if command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; then
  exit 0
fi
if command -v apt-get >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
  exit 0
fi
"$PY" -m playwright install chromium
