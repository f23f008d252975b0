#!/usr/bin/env bash
# Debian's Chromium for the browser tests (Playwright cannot download browsers here).
# When Chromium is already there and the venv's Playwright can be imported, this only checks
# and exits: no apt-get at all. Otherwise it needs apt-get, and root or sudo.
set -euo pipefail
chromium="${CHROMIUM:-/usr/bin/chromium}"
python="${PY:-.venv/bin/python}"
if [ -x "$chromium" ]; then
  if "$python" -c 'import playwright.sync_api' 2>/dev/null; then
    exit 0
  fi
  echo "Chromium is at $chromium, but $python cannot import playwright: run make .venv/.installed." >&2
  exit 1
fi
if ! command -v apt-get >/dev/null; then
  echo "No Chromium at $chromium and no apt-get to install it: install Chromium and set CHROMIUM=/path/to/it." >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
# A machine whose package lists are missing or stale gets them refreshed once.
$sudo apt-get install -y -q chromium || { $sudo apt-get update -q && $sudo apt-get install -y -q chromium; }
