#!/usr/bin/env bash
# `npm test` runs this first. The tests need, from Debian's packages:
# - prometheus and promtool (package `prometheus`): the integration tests start a real Prometheus
#   and backfill it with promtool; test/install checks the alert rules with `promtool check rules`;
# - kubectl (package `kubernetes-client`): test/install renders manifests/ with `kubectl kustomize`;
# - libfaketime (package `faketime`): test/integration/faults.test.ts moves the operator's clock
#   forward an hour by preloading libfaketimeMT.so.1.
# Installs what is missing; says what to do where it cannot.
set -euo pipefail
missing=()
if ! command -v prometheus >/dev/null 2>&1 || ! command -v promtool >/dev/null 2>&1; then missing+=(prometheus); fi
# Any kubectl will do (the manifests render with kustomize v2.0.3, kubectl 1.14+, and later).
if ! command -v kubectl >/dev/null 2>&1; then missing+=(kubernetes-client); fi
has_libfaketime() { compgen -G '/usr/lib/*/faketime/libfaketimeMT.so.1' >/dev/null || compgen -G '/usr/lib/faketime/libfaketimeMT.so.1' >/dev/null || compgen -G '/usr/local/lib/faketime/libfaketimeMT.so.1' >/dev/null; }
if ! has_libfaketime; then missing+=(faketime); fi
if [ "${#missing[@]}" -eq 0 ]; then exit 0; fi
echo "prescale tests: not found: ${missing[*]} (prometheus/promtool, kubectl, libfaketime); installing Debian's package(s) ${missing[*]}" >&2
if ! command -v apt-get >/dev/null 2>&1; then
  echo "prescale tests: no apt-get here: install Prometheus (with promtool), kubectl and libfaketime and put them on PATH, then run npm test again" >&2
  exit 1
fi
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=(sudo); else
    echo "prescale tests: not root and no sudo: run 'apt-get install -y --no-install-recommends ${missing[*]}' as root, then npm test again" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
command -v prometheus >/dev/null && command -v promtool >/dev/null || { echo "prescale tests: the prometheus package installed, but prometheus/promtool are still not on PATH" >&2; exit 1; }
command -v kubectl >/dev/null || { echo "prescale tests: the kubernetes-client package installed, but kubectl is still not on PATH" >&2; exit 1; }
has_libfaketime || { echo "prescale tests: the faketime package installed, but libfaketimeMT.so.1 is still not under /usr/lib/*/faketime/" >&2; exit 1; }
