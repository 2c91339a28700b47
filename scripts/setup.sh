#!/usr/bin/env bash
# Set up everything `make run`, `make test` and `make bench` need, on a fresh
# machine: system libraries Qt needs (Debian/Ubuntu, when run as root or with
# sudo) and a virtualenv with Anki from PyPI.  Safe to run again: it only does
# what is missing.
#
#   scripts/setup.sh                                   # .venv, newest Anki (Qt6)
#   VENV=.venv-qt5 REQUIREMENTS=requirements-qt5.txt XVFB=1 scripts/setup.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}
REQUIREMENTS=${REQUIREMENTS:-requirements-dev.txt}
XVFB=${XVFB:-}

# Shared libraries Qt and QtWebEngine load offscreen; with a display (or under
# Xvfb) also the xcb platform's.
need_libs="libEGL.so.1 libGL.so.1 libnss3.so libxkbcommon.so.0 libfontconfig.so.1 \
libasound.so.2 libdbus-1.so.3 libXcomposite.so.1 libXdamage.so.1 libXrandr.so.2 \
libXtst.so.6 libxshmfence.so.1 libxkbfile.so.1"
debs="libegl1 libgl1 libnss3 libxkbcommon0 libfontconfig1 libasound2 libdbus-1-3 \
libxcomposite1 libxdamage1 libxrandr2 libxtst6 libxshmfence1 libxkbfile1"
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}${XVFB}" ]; then
  need_libs="$need_libs libxcb-cursor.so.0 libxcb-icccm.so.4 libxcb-keysyms.so.1 \
libxcb-image.so.0 libxcb-render-util.so.0 libxkbcommon-x11.so.0 libxcb-xinerama.so.0"
  debs="$debs libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 \
libxcb-render-util0 libxkbcommon-x11-0 libxcb-xinerama0"
fi
missing=""
for lib in $need_libs; do
  ldconfig -p 2>/dev/null | grep -q "$lib" || missing="$missing $lib"
done
if [ -n "$XVFB" ] && ! command -v xvfb-run >/dev/null; then
  missing="$missing xvfb-run"; debs="$debs xvfb xauth"
fi
if [ -n "$missing" ] && command -v apt-get >/dev/null; then
  echo "Installing system packages Qt needs (missing:$missing)"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq || true
  # Names differ between releases (libasound2 vs libasound2t64): try both.
  for deb in $debs; do
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$deb" >/dev/null 2>&1 \
      || $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${deb}t64" >/dev/null 2>&1 \
      || echo "note: could not install $deb"
  done
fi

if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
stamp="$VENV/.requirements-$(cksum < "$REQUIREMENTS" | cut -d' ' -f1)"
if [ ! -f "$stamp" ]; then
  "$VENV/bin/python" -m pip install -q --upgrade pip >/dev/null 2>&1 || true
  "$VENV/bin/python" -m pip install -q -r "$REQUIREMENTS"
  touch "$stamp"
fi

# The official TypeScript MCP SDKs, for tests/test_mcp.py (skipped without npm).
if command -v npm >/dev/null && [ ! -d tests/mcp_node/node_modules ]; then
  (cd tests/mcp_node && npm ci --silent --no-audit --no-fund >/dev/null 2>&1) \
    || echo "note: could not install the TypeScript MCP SDKs (tests/mcp_node); their test is skipped"
fi
