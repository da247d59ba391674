#!/usr/bin/env bash
# `npm test` runs this first: the integration tests start a real Prometheus (and promtool to
# backfill it). Installs Debian's package when it is missing; says what to do where it cannot.
set -euo pipefail
if command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; then exit 0; fi
echo "prescale tests: prometheus/promtool not found; installing Debian's prometheus package" >&2
if ! command -v apt-get >/dev/null 2>&1; then
  echo "prescale tests: no apt-get here: install Prometheus (with promtool) and put both on PATH, then run npm test again" >&2
  exit 1
fi
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=(sudo); else
    echo "prescale tests: not root and no sudo: run 'apt-get install -y --no-install-recommends prometheus' as root, then npm test again" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends prometheus >/dev/null
command -v prometheus >/dev/null && command -v promtool >/dev/null || { echo "prescale tests: the prometheus package installed, but prometheus/promtool are still not on PATH" >&2; exit 1; }
