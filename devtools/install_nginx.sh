#!/usr/bin/env bash
# Debian's nginx for the local HTTP cache in front of `make run` (make run-cached, the edge-cache tests
# and bench). Only nginx-light: proxy_cache is part of its core. When nginx is there this only checks.
# Otherwise it needs apt-get, and root or sudo. The package's own service is never started here.
set -euo pipefail
nginx="${NGINX:-/usr/sbin/nginx}"
if [ -x "$nginx" ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  echo "No nginx at $nginx and no apt-get to install it: install nginx and set NGINX=/path/to/nginx." >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
# policy-rc.d: Debian's package would start a system nginx on port 80; the project runs its own.
$sudo apt-get install -y -q --no-install-recommends nginx-light \
  || { $sudo apt-get update -q && $sudo apt-get install -y -q --no-install-recommends nginx-light; }
