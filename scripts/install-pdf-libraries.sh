#!/usr/bin/env bash
# The system libraries WeasyPrint needs for PDFs (Pango, and fonts): Debian's packages when missing.
# Without them the app still runs and says, in French, that PDFs cannot be made here.
set -euo pipefail
if ldconfig -p 2>/dev/null | grep -q "libpango-1.0.so" && ldconfig -p 2>/dev/null | grep -q "libpangoft2-1.0.so" \
   && fc-list 2>/dev/null | grep -qi dejavu; then
  exit 0
fi
if command -v apt-get >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq || true
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    >/dev/null || echo "PDF : les bibliothèques Pango n'ont pas pu être installées ; l'application le signalera."
fi
